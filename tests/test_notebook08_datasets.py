"""Notebook 08 (Hao et al.) on the paper's own datasets: DATASET="deap" / "amigos" end to end (SMOKE=True).

The real releases cannot be downloaded here, so the fixture writers produce small
recordings in each dataset's real file format (DEAP: Python-2 pickles; AMIGOS: MATLAB v5
cell arrays), long enough to cut into 1-s windows and with enough participants for a
train / validation / test split by listener. The notebook then runs through the same
loader a student would use (``data.load(DATASET, root=DATA_ROOT)``).
"""

from pathlib import Path

import pytest

from mer_lessons import data

from fixture_tools import load_writer, smoke_run_text

PARTICIPANTS = (1, 2, 3, 4, 5, 6)   # 6 listeners: 2 test, 1 validation, 3 training


def _recordings(name: str, root: Path) -> Path:
    writer = load_writer(name)
    if name == "deap":
        writer.write_recordings(root, participants=PARTICIPANTS, n_trials=4, seconds=4.0)
    else:
        writer.write_recordings(root, participants=PARTICIPANTS, seconds=3.0)
    return root


@pytest.mark.parametrize("name, modalities", [
    ("deap", {"eeg": 32, "gsr": 1, "ppg": 1}),
    ("amigos", {"eeg": 14, "ecg": 2, "gsr": 1}),
])
def test_recordings_load_in_the_real_format(tmp_path, name, modalities):
    ds = data.load(name, root=_recordings(name, tmp_path / name))
    assert ds.meta["subject"].nunique() == len(PARTICIPANTS)
    assert set(ds.meta["quadrant"]) == {"Q1", "Q2", "Q3", "Q4"}
    item = ds[0]
    for modality, channels in modalities.items():
        signal = item[modality]
        assert (signal.shape[0] if signal.ndim == 2 else 1) == channels
        assert signal.shape[-1] >= 3 * item[f"{modality}_sr"]   # at least 3 one-second windows


@pytest.mark.parametrize("name, modalities", [("deap", "eeg, gsr, ppg"), ("amigos", "eeg, ecg, gsr")])
def test_notebook_08_runs_on_the_papers_datasets(tmp_path, name, modalities):
    text = smoke_run_text("08", tmp_path, DATASET=name, DATA_ROOT=_recordings(name, tmp_path / name))
    assert f"Dataset('{name}'" in text
    assert "has no lyrics and no music audio: the Fig. 1 network is skipped" in text
    assert "the felt emotion is only known on the teaching dataset" in text
    assert "no listener in two parts: True" in text
    assert "sampling skips windows and never adds any: True" in text
    # the windows hold the dataset's own body signals, and the stream ran on them
    assert "feature widths: {" in text and all(f"'{m}'" in text for m in modalities.split(", "))
    assert "processed (" in text and "only one test listener" not in text
