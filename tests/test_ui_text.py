"""Text from a file is shown as written: Markdown punctuation in a device statement is escaped."""

from __future__ import annotations

import re

import pytest

from mets_core.app.ui import as_plain_text


@pytest.mark.parametrize(
    "statement",
    [">>> Acute MI <<<", "*** ABNORMAL ECG ***", "QRS | axis", "# of beats: 12", "V1_V2 (1.5 mV)"],
)
def test_statements_are_escaped_and_nothing_else_changes(statement):
    escaped = as_plain_text(statement)
    assert re.sub(r"\\(.)", r"\1", escaped) == statement  # only backslashes were added
    assert not re.search(r"(?<!\\)[>*|#_(]", escaped)  # no active Markdown punctuation left
