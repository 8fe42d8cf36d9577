"""Notebook 10 (Wang) on PMEmo: DATASET="pmemo" end to end in smoke mode, on the committed fixture
(the 2019 release's layout: metadata and annotation CSVs, chorus MP3s, LRC lyrics, EDA), read by the
same loader a student uses (``data.load("pmemo", root=...)``)."""

import json
from pathlib import Path

import nbformat

from mer_lessons import course

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_notebook_10_runs_on_pmemo(tmp_path):
    out = tmp_path / "out"
    code = course.main(["run", "--smoke", "--notebooks", str(NOTEBOOKS), "--only", "10", "--out", str(out), "--no-progress",
                        "-p", "DATASET", "pmemo", "-p", "DATA_ROOT", str(FIXTURES / "pmemo")])
    report = json.loads((out / "report.json").read_text())
    assert code == 0, report["results"]
    nb = nbformat.read(out / "10_wang_crossmodal_transformer.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Dataset('pmemo'" in text
    assert "token states are zero exactly at padding: True" in text
    assert "too few for a nearest-neighbour estimate" in text          # three fixture songs
    assert "every model is a mean over every repeat: True" in text
