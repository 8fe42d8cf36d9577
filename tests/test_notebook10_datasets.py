"""Notebook 10 (Wang) on PMEmo: DATASET="pmemo" end to end in smoke mode, on the committed fixture
(the 2019 release's layout: metadata and annotation CSVs, chorus MP3s, LRC lyrics, EDA), read by the
same loader a student uses (``data.load("pmemo", root=...)``)."""

from fixture_tools import FIXTURES, smoke_run_text


def test_notebook_10_runs_on_pmemo(tmp_path):
    text = smoke_run_text("10", tmp_path, DATASET="pmemo", DATA_ROOT=FIXTURES / "pmemo")
    assert "Dataset('pmemo'" in text
    assert "token states are zero exactly at padding: True" in text
    assert "too few for a nearest-neighbour estimate" in text          # three fixture songs
    assert "every model is a mean over every repeat: True" in text
