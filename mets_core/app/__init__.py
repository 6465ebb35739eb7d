"""The app layer: the only streamlit code in mets_core (session state, widgets, caches in `ui`
and `keys`), and the plotly figures and exports the pages show (`plotting`, `charts`, `paper`,
`exports`)."""
