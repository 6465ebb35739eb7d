"""Evaluation (`mets evaluate`, `python -m mets_core.evaluate`): the two protocols (`protocols`),
metrics (`metrics`), baselines (`baselines`), the results report (`report`, `markdown`), the
command (`run`), and the per-record tables the app's Explore page shows (`explore`,
`explore_mitbih`). Imports the core, never `train`."""
