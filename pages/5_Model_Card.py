"""Model card: the weights in use, their provenance, preprocessing contract, results and limits."""

from __future__ import annotations

import streamlit as st

from mets_core.app import keys, model_cache, ui
from mets_core.app.charts import plot_training_history
from mets_core.config import to_dict
from mets_core.errors import METSError
from mets_core.evaluate import model_card

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
provenance = info.provenance or {}
if provenance:
    st.markdown("**How these weights were trained** (weights sidecar)")
    st.dataframe(model_card.training_summary(provenance), hide_index=True, key="card_training")
    runs = model_card.ensemble_runs(provenance)
    if not runs.empty:
        st.markdown(f"**An ensemble of {len(runs)} runs trained apart** (cosines averaged)")
        st.dataframe(runs, hide_index=True, key="card_ensemble_runs")
    histories = model_card.run_histories(provenance)
    tabs = st.tabs(list(histories)) if len(histories) > 1 else [st.container()] * len(histories)
    for i, (tab, history) in enumerate(zip(tabs, histories.values(), strict=True)):
        with tab:
            st.plotly_chart(
                plot_training_history(history, model_card.kept_epoch(history)),
                key=f"card_history_{i}",
            )
    with st.expander("Full provenance (command, configuration, per-epoch values)"):
        hidden = ("history", "ensemble_of")
        st.table(ui.key_value_table({k: v for k, v in provenance.items() if k not in hidden}))
        for i, (name, history) in enumerate(histories.items()):
            st.caption(name)
            st.dataframe(history, hide_index=True, key=f"card_history_table_{i}")

config = model.config
st.subheader("Architecture")
st.markdown(
    f"- ECG encoder: ResNet1d, {config.ecg.n_leads} leads, stage widths "
    f"{list(config.ecg.stage_widths)}, blocks {list(config.ecg.blocks_per_stage)}\n"
    f"- Frozen language model: `{config.text.model_id}` @ `{config.text.revision}` "
    f"({config.text.pooling} pooling, at most {config.text.max_tokens} tokens)\n"
    f"- Projection to {config.proj_dim} dimensions; learned temperature now "
    f"{model.temperature:.4f}\n"
    + (
        f"- Ensemble of {config.ensemble_size} runs trained apart (seeds or recipes, listed in "
        "the provenance): every cosine shown is the mean of theirs\n"
        if config.ensemble_size > 1
        else ""
    )
    + f"- Zero-shot template: `{config.zero_shot_template}`; probability temperature "
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


def _result(name: str) -> dict:
    """results/<name> parsed, or {} (with a note) when it is missing or unreadable."""
    try:
        return model_card.read_result(ui.RESULTS_DIR / name)
    except METSError as error:
        st.caption(f"results/{name}: {error}")
        return {}


st.subheader("Headline results (results/)")
st.caption(
    "Each table is read from the file a command wrote; the commands are in results/README.md. "
    "PTB-XL fold 10 is the test fold: nothing was trained or chosen on it."
)
serving = _result("serving.json")
evaluation = _result("evaluation.json")
results_sha = (serving.get("weights") or {}).get("sha256")
if results_sha and results_sha != info.sha256:
    st.warning(
        f"These results were measured for other weights ({results_sha[:12]}...), not for the "
        "weights in use here.",
        icon=ui.ICON_WARNING,
    )
zero_shot = model_card.zero_shot_table(serving)
if not zero_shot.empty:
    st.markdown(
        "**Zero-shot on PTB-XL fold 10, as served** (plain class names, the served template and "
        "temperature; results/serving.json). Calibration error and top-1 accuracy over the "
        "records with one reference class."
    )
    st.dataframe(zero_shot, hide_index=True, key="card_zero_shot")
baselines = model_card.baseline_table(evaluation, serving)
if not baselines.empty:
    st.markdown(
        "**Beside the baselines** (fold-10 macro AUROC per task; `mets evaluate`, "
        "results/evaluation.json): the untrained encoder shows what the text alone gives; the "
        "linear probes and the supervised network use training labels, which zero-shot never sees."
    )
    st.dataframe(baselines, hide_index=True, key="card_baselines")
external = model_card.external_table(_result("external_sites.json"))
if not external.empty:
    st.markdown(
        "**Other hospitals** (rhythm classes, CinC 2020/2021 sites; results/external_sites.json; "
        "reporting only, never used to choose anything)"
    )
    st.dataframe(external, hide_index=True, key="card_external")
abstain = model_card.abstain_table(_result("abstain.json"))
if not abstain.empty:
    st.markdown(
        "**Abstain** (results/abstain.json): every ranking checks whether the input looks like an "
        "ECG the model learned from: usable leads (quality), limb leads consistent with "
        "Einthoven's law (limb), QRS-like slopes (slope), and similarity to the **reference "
        "bank**, training-fold ECGs embedded with these weights (reference). The thresholds "
        "were set on fold 9 so that no fold-9 ECG is refused; below, how often it abstained on "
        "real ECGs (with the allowed rate) and on synthetic controls that are no ECG."
    )
    st.dataframe(abstain, hide_index=True, key="card_abstain")
bank = model_card.reference_bank_summary(info.reference_bank)
st.markdown(
    "**Reference bank**: training-fold ECGs embedded with these weights and shipped beside them. "
    "Each ranking places every candidate's cosine among the bank's ECGs (its percentile) and "
    "lists the most similar bank ECGs with their reports (case-based evidence); the abstain "
    "check above uses the distance to them."
)
if bank.empty:
    st.info("These weights ship no reference bank: rankings show no percentiles or neighbours.")
else:
    st.dataframe(bank, hide_index=True, key="card_bank")

with st.expander("Every results file (raw JSON)"):
    reports = ui.result_files(".json")
    if not reports:
        st.info("No evaluation results have been written to results/ yet.")
    path = st.selectbox("File", reports, format_func=ui.relative_to_repo, key=keys.W_CARD_RAW_FILE)
    if path is not None:
        try:
            st.json(model_card.read_result(path), expanded=False)
        except METSError as error:
            st.error(str(error))

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
