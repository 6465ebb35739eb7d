"""Home: how to start, what METS is and is not, and which model runs (details on the Model card)."""

from __future__ import annotations

import streamlit as st

from mets_core.app import model_cache, ui
from mets_core.evaluate.model_card import training_summary

ui.page_setup("Home")
st.title("METS: zero-shot ECG reading")
st.markdown(
    "Load a 12-lead ECG, type the diagnoses you are weighing, and METS ranks them by how similar "
    "each one is to the tracing, using an ECG encoder trained against report text "
    "(METS: multimodal ECG-text self-supervision)."
)

st.subheader("Quick start")
st.markdown(
    "1. **Load ECG**: pick a bundled example or upload a WFDB pair (.hea + .dat), ZIP, CSV, NPY, "
    "MAT, EDF or a vendor XML export.\n"
    "2. **Signal view**: read it as paper (3 x 4 + rhythm strip, 25 mm/s, 10 mm/mV), raw or "
    "cleaned, with measurements, median beats and calipers.\n"
    "3. **Zero shot**: type one candidate per line (or pick a preset) and rank them.\n"
    "4. **Teaching**: read a tracing yourself first, then compare with the model and the "
    "reference; no upload needed.\n"
    "5. **Explore dataset**: run over a PTB-XL test split and open the misclassified records."
)
col_load, col_teach = st.columns(2)
with col_load:
    ui.link_to("pages/1_Load_ECG.py", "Start: load an ECG", ":material/upload_file:")
with col_teach:
    ui.link_to("pages/8_Teaching.py", "Practise reading ECGs", ":material/school:")

col_is, col_is_not = st.columns(2)
with col_is:
    st.subheader("What it is")
    st.markdown(
        "- A **similarity ranking** of free-text candidate diagnoses for one recording\n"
        "- A standard **12-lead paper display** with measurements and quality flags\n"
        "- A way to **explore a dataset** and walk through the model's failures\n"
        "- For **research and teaching**"
    )
with col_is_not:
    st.subheader("What it is not")
    st.markdown(
        "- **Not a diagnosis** and not a medical device\n"
        "- Not a probability of disease: scores are relative between the candidates you type\n"
        "- Not validated for clinical use; never base patient care on it\n"
        "- Uploads stay in your browser session; they are not stored or shared"
    )

st.subheader("Model in use")
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)
summary = training_summary(model.weights.provenance or {})
if not summary.empty:
    st.dataframe(summary, hide_index=True, key="home_training_summary")
ui.link_to("pages/5_Model_Card.py", "Full model card", ":material/description:")
