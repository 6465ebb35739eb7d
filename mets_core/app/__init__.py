"""The app layer: the only streamlit code in mets_core.

`session` is the one typed API over `st.session_state` (the record, its ranking and results),
`keys` the widget keys, `model_cache` the process-wide model, `ui` and `sidebar` the display
helpers every page shares; `plotting`, `charts`, `paper` and `exports` build the plotly figures
and exports the pages show (without importing streamlit).
"""
