"""METS pretraining (`mets train`, `python -m mets_core.train`): the loop and its settings
(`loop`), training data (`data`), augmentations (`augment`), fold-9 validation (`validation`) and
torchrun set-up (`distributed`). Imports the core; nothing in the core imports it."""
