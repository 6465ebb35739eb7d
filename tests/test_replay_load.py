"""benchmarks/replay_load.py gives each replayed session a candidate list of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from replay_load import Capture, session_frames  # noqa: E402 (benchmarks/ is not a package)

CANDIDATES = ["atrial fibrillation", "sinus rhythm"]


def _rerun(box_text: str | None) -> bytes:
    message = BackMsg()
    widgets = message.rerun_script.widget_states.widgets
    button = widgets.add()
    button.id, button.trigger_value = "rank-button", True
    if box_text is not None:
        box = widgets.add()
        box.id, box.string_value = "candidate-box", box_text
    return message.SerializeToString()


def _box_text(frame: bytes) -> str | None:
    message = BackMsg()
    message.ParseFromString(frame)
    texts = [w.string_value for w in message.rerun_script.widget_states.widgets if w.string_value]
    return texts[0] if texts else None


def test_each_session_ranks_its_own_list_and_other_frames_stay_as_recorded() -> None:
    heartbeat = BackMsg(app_heartbeat=True).SerializeToString()
    typed = "\n".join(CANDIDATES)
    recorded = Capture([heartbeat, _rerun(None), _rerun(typed)], _rerun(typed), CANDIDATES)
    before, rank = session_frames(recorded, 7)
    assert before[0] == heartbeat and before[1] == recorded.before_rank[1]
    assert _box_text(before[2]) == _box_text(rank) == typed + "\nsinus rhythm, session 7"
    assert _box_text(session_frames(recorded, 8)[1]) != _box_text(rank)


def test_a_capture_whose_rank_press_lacks_the_candidates_is_refused() -> None:
    recorded = Capture([], _rerun("something else"), CANDIDATES)
    with pytest.raises(RuntimeError, match="no candidate box"):
        session_frames(recorded, 0)
