"""The METS model for the app: loaded once per server process for METS_WEIGHTS and METS_DEVICE.

This holds the app's only `st.cache_resource`. The cached model is shared by every user and
thread, so it is read-only: no `.to()`, no `.train()`, no attributes or per-request caches on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from mets_core.app import settings
from mets_core.errors import METSError

if TYPE_CHECKING:
    from mets_core.model.load import LoadedModel

RANDOM_INIT = "random-init"  # METS_WEIGHTS value for an untrained model (interface demos, tests)
_LOADED: set[tuple[str | None, str]] = set()  # (weights, device) this process has loaded


@st.cache_resource(show_spinner="Loading the METS model (once per server process)…")
def _load_model_cached(weights: str | None, device: str) -> LoadedModel:
    import torch

    from mets_core.model.checkpoint import DEFAULT_WEIGHTS, weights_paths
    from mets_core.model.load import load_model

    torch.set_num_threads(settings.torch_threads())  # per process: sessions are the parallelism
    no_shipped_weights = not weights_paths(DEFAULT_WEIGHTS)[0].is_file()
    if weights == RANDOM_INIT or (weights is None and no_shipped_weights):
        model = load_model(device=device, random_init=True)
    else:
        model = load_model(weights, device=device)
    _LOADED.add((weights, device))
    return model


def is_loaded() -> bool:
    """Whether this server process already holds the model for (METS_WEIGHTS, METS_DEVICE)."""
    return (settings.weights(), settings.device()) in _LOADED


def preload() -> str | None:
    """Load the process-wide model now (the router calls it before any page runs).

    Returns:
        None when the model is ready; otherwise the reason it could not be loaded, in plain words
        (each page then shows it again through `load_model_or_stop`).
    """
    try:
        _load_model_cached(settings.weights(), settings.device())
    except METSError as error:
        return str(error)
    return None


def load_model_or_stop() -> LoadedModel:
    """Return the process-wide model for (METS_WEIGHTS, METS_DEVICE), or show the error and stop.

    Without METS_WEIGHTS the shipped `weights/mets_resnet18` is used; when it is absent, an
    untrained model is loaded and every page that shows the model says so loudly
    (`ui.show_weights_status`).
    """
    try:
        return _load_model_cached(settings.weights(), settings.device())
    except METSError as error:
        st.error(str(error))
        st.stop()
