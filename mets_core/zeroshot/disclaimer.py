"""What METS output is and is not, in one sentence: the one source for every disclaimer.

The app's sidebar and exports (`mets_core.app.exports`) and the printable reading
(`mets_core.reading`) all show this text, so it lives in the core, which both may import.
"""

from __future__ import annotations

DISCLAIMER = (
    "METS ranks free-text diagnoses by their similarity to an ECG. It is a research and teaching "
    "tool, not a medical device, and its output is not a diagnosis."
)
