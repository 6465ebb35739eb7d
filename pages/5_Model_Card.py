"""Model card: the weights in use, their provenance, preprocessing contract, results and limits."""

from __future__ import annotations

import json

import streamlit as st

from mets_core.app import model_cache, ui
from mets_core.config import to_dict

ui.page_setup("Model card")
st.title("Model card")
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)
info = model.weights

st.subheader("Weights")
st.table(
    {
        "item": ["name", "trained", "file", "SHA-256 (verified at load)"],
        "value": [
            info.name,
            "yes" if info.trained else "NO (random-init)",
            ui.relative_to_repo(info.path) if info.path else "-",
            info.sha256 or "- (not a file)",
        ],
    }
)
if info.provenance:
    st.markdown("**Provenance (from the weights sidecar)**")
    st.table(ui.key_value_table(info.provenance))

config = model.config
st.subheader("Architecture")
st.markdown(
    f"- ECG encoder: ResNet1d, {config.ecg.n_leads} leads, stage widths "
    f"{list(config.ecg.stage_widths)}, blocks {list(config.ecg.blocks_per_stage)}\n"
    f"- Frozen language model: `{config.text.model_id}` @ `{config.text.revision}` "
    f"({config.text.pooling} pooling, at most {config.text.max_tokens} tokens)\n"
    f"- Projection to {config.proj_dim} dimensions; learned temperature now "
    f"{model.temperature:.4f}\n"
    f"- Zero-shot template: `{config.zero_shot_template}`; probability temperature "
    f"{model.probability_temperature:.4f} "
    + ("(fitted on fold 9)" if model.calibrated else "(training temperature: not calibrated)")
)
if info.selection:
    st.markdown(
        "**What serves by default, and why (chosen on PTB-XL fold 9 by `mets select`)**: "
        f"{info.selection.get('criterion', '')}; {info.selection.get('temperature_criterion', '')}."
    )
    st.dataframe(info.selection.get("fold9_macro_auroc", {}), key="selection_table")
st.subheader("Preprocessing contract (applied identically in training and in this app)")
st.table(ui.key_value_table(to_dict(config.preprocess)))
with st.expander("Full configuration (weights sidecar)"):
    st.json(to_dict(config), expanded=False)
st.caption(
    "The app runs offline: the language model is read from the local Hugging Face cache or the "
    "bundled package; nothing is downloaded while you use it."
)

st.subheader("Evaluation results (results/)")
reports = ui.result_files(".json")
if not reports:
    st.info("No evaluation results have been written to results/ yet.")
for path in reports:
    with st.expander(str(path.relative_to(ui.REPO_ROOT))):
        try:
            st.json(json.loads(path.read_text(encoding="utf-8")), expanded=False)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            st.error(f"Could not read {path.name}: {error}")

st.subheader("Known limits")
st.markdown(
    "- A **similarity ranking** between the candidates typed, not a probability of disease and "
    "not a diagnosis. Adding or removing candidates changes every probability shown.\n"
    "- Trained on PTB-XL (German hospital population, one device family, 10 s 12-lead resting "
    "ECGs). Other populations, devices, durations and lead sets are out of distribution.\n"
    "- Rare findings and wordings unlike PTB-XL reports rank poorly; paraphrases can change "
    "the order. Check the exact prompts and try synonyms.\n"
    "- Missing leads are filled by the preprocessing policy and noted; scores on 2-lead Holter "
    "excerpts (MIT-BIH) are far less reliable than on 12-lead ECGs.\n"
    "- Nearly uniform scores mean the model cannot separate the candidates; the app warns."
)
