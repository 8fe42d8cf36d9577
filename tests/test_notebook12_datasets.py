"""Notebook 12 (Liu et al.) on MELD: DATASET="meld" end to end in smoke mode, on the committed fixture
(the official layout; clips with a video track and extracted waves/ for six of Liu's nine emotions), read by
the same loader a student uses (``data.load("meld", root=..., classes="liu9", frames=True)``)."""

import pytest

from fixture_tools import FIXTURES, smoke_run_text

pytest.importorskip("cv2")


def test_notebook_12_runs_on_meld(tmp_path):
    text = smoke_run_text("12", tmp_path, DATASET="meld", DATA_ROOT=FIXTURES / "meld")
    assert "Dataset('meld'" in text
    assert "faces found in 100% of the frames" in text
    assert "every model is a mean over every fold: True" in text
    assert "every trial tested exactly once: True" in text
