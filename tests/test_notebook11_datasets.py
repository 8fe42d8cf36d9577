"""Notebook 11 (Kirar et al.) on MELD: DATASET="meld" end to end in smoke mode, on the committed fixture
(the official layout: the three CSVs, MP4 clips with a video track, extracted waves/), read by the same
loader a student uses (``data.load("meld", root=..., classes="kirar3", frames=True)``)."""

import pytest

from fixture_tools import FIXTURES, smoke_run_text

pytest.importorskip("cv2")


def test_notebook_11_runs_on_meld(tmp_path):
    text = smoke_run_text("11", tmp_path, DATASET="meld", DATA_ROOT=FIXTURES / "meld")
    assert "Dataset('meld'" in text
    assert "SNR before" not in text                                   # real recordings: no noise added
    assert "face found by the Haar cascade in 100%" in text
    assert "the three searches used the same budget: True" in text
    assert "every model is a mean over every repeat: True" in text
