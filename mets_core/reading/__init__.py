"""The printable reading: one page (PDF and PNG) of the tracing on paper with its ranking.

`render_reading(record, ranking, label=...)` returns the PDF and PNG bytes; `build_reading`
collects the page's content (`content`), `draw_reading` draws it (`page`).
"""

from mets_core.reading.content import PrintSettings, Reading, build_reading
from mets_core.reading.page import draw_reading
from mets_core.reading.render import ReadingFiles, render_reading

__all__ = [
    "PrintSettings",
    "Reading",
    "ReadingFiles",
    "build_reading",
    "draw_reading",
    "render_reading",
]
