"""`streamlit run app.py`: the router. It names every page, loads the model once, runs the page.

Each page stays a file under `pages/` (so `ui.link_to("pages/...")`, `st.switch_page` and
AppTest address it by path) and still runs on its own. The model is loaded here, before any
page, with a visible status: importing torch and loading the weights takes 10-20 s on a CPU the
first time after a server start, and a page would otherwise wait on a blank screen.
"""

from __future__ import annotations

import sys

import streamlit as st
from streamlit.navigation.page import StreamlitPage

MODEL_STATUS = "Loading the METS model (first start only) ..."
PAGES = {  # section -> (file, title in the navigation); titles match the tests' labels.
    # No st.Page icons: the router's page icon becomes the tab's favicon before the page sets its
    # own, and a ":material/...:" favicon is fetched from fonts.gstatic.com (off the machine).
    "": [("pages/0_Home.py", "Home")],
    "Read an ECG": [
        ("pages/1_Load_ECG.py", "Load ECG"),
        ("pages/3_Signal_View.py", "Signal View"),
        ("pages/2_Zero_Shot.py", "Zero Shot"),
        ("pages/6_Sanity_Check.py", "Sanity Check"),
    ],
    "Learn": [("pages/8_Teaching.py", "Teaching")],
    "Research": [
        ("pages/4_Explore_Dataset.py", "Explore Dataset"),
        ("pages/7_Search.py", "Search"),
        ("pages/5_Model_Card.py", "Model Card"),
    ],
}

# While a script runs, Streamlit's status widget swaps its "running" icon every 200 ms. In a
# software-rendered browser each swap lays out and repaints the page (5-13 layouts a second):
# 0.015-0.05 CPU-s per second of waiting per browser on a quiet machine, 0.1 on a loaded one
# (benchmarks/browser_cost.py, results/browser_cost.json), paid by every session waiting on the
# same 2 cores that compute the rankings. A still "Running..." label replaces the moving icon;
# the Stop button stays. (The selector is Streamlit 1.67's test id: if a later Streamlit renames
# it, the moving icon simply comes back; tests/test_browser_running_label.py would fail.)
RUNNING_LABEL_CSS = (
    "<style>"
    '[data-testid="stStatusWidgetRunningIcon"]{width:auto !important}'
    '[data-testid="stStatusWidgetRunningIcon"]>*{display:none !important}'
    '[data-testid="stStatusWidgetRunningIcon"]::before{content:"Running\\2026";white-space:nowrap}'
    "</style>"
)


def _navigation() -> StreamlitPage:
    sections = {
        section: [
            st.Page(path, title=title, default=path.endswith("0_Home.py"))
            for path, title in entries
        ]
        for section, entries in PAGES.items()
    }
    return st.navigation(sections, expanded=True)


def _preload_model() -> None:
    """Import the model code and load the weights once per server process, with a status.

    `mets_core` pulls in torch and the language model, so it is imported inside the status:
    the user sees what is happening from the first second. Later runs find the model loaded and
    show nothing. A failure is left to the page, which shows it in plain words.
    """
    cache = sys.modules.get("mets_core.app.model_cache")
    if cache is not None and cache.is_loaded():
        return
    slot = st.empty()
    with slot.status(MODEL_STATUS, expanded=False) as status:
        from mets_core.app import model_cache

        if model_cache.preload() is not None:
            status.update(label="The METS model could not be loaded", state="error")
            return
    slot.empty()


page = _navigation()
st.html(RUNNING_LABEL_CSS)  # style only: Streamlit puts it in the event container, no space
_preload_model()
from mets_core.app.ui import router_started  # noqa: E402 (mets_core is imported by now)

router_started()  # pages opened by URL before the router ran are sent through it (ui.page_setup)
page.run()
