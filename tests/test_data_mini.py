"""Tests of the generated teaching dataset "mini" (mer_lessons/data/mini.py).

The default build (120 clips x 8 listeners) is generated once for this module into a
temporary $MER_LESSONS_DATA (``module_data_home``, tests/conftest.py); the other tests use
tiny builds (a few clips, 2 s).
"""

from __future__ import annotations

import filecmp
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_lessons.data import DatasetFormatError, card, load
from mer_lessons.data import mini
from mer_lessons.data.labels import LABEL_COLUMNS, label_table
from mer_lessons.data.render import fluidsynth_available, resolve_engine

REPO = Path(__file__).resolve().parents[1]
TINY = dict(n_clips=6, n_subjects=2, clip_seconds=2.0, progress=False)


@pytest.fixture(scope="module")
def default_build(module_data_home):
    started = time.perf_counter()
    trials = load("mini", progress=False)
    seconds = time.perf_counter() - started
    clips = load("mini", unit="clip", progress=False)
    return trials, clips, seconds


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _tiny(root: Path, **options):
    """A tiny build (6 clips x 2 listeners, 2 s) under ``root``."""
    return load("mini", root=root, **{**TINY, **options})


# --------------------------------------------------------------------------- default build


def test_default_build_layout(default_build, module_data_home):
    trials, clips, seconds = default_build
    folder = trials.root
    assert folder.parent == module_data_home / "mini"
    assert folder.name == mini.cache_key(seed=0, n_clips=120, n_subjects=8, clip_seconds=4.0, sr=16000,
                                         lyrics_contradiction=0.2, engine=json.loads(
                                             (folder / "manifest.json").read_text())["engine"])
    for name in ("manifest.json", "README.md", "clips.csv", "lyrics.csv", "subjects.csv", "annotations.csv"):
        assert (folder / name).is_file(), name
    assert len(list((folder / "audio").glob("*.wav"))) == 120
    assert len(list((folder / "midi").glob("*.mid"))) == 120
    assert len(list((folder / "physio").glob("*.npz"))) == 960
    assert len(list((folder / "faces").glob("*.npz"))) == 960
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["generator_version"] == mini.GENERATOR_VERSION
    assert manifest["counts"] == {"clips": 120, "subjects": 8, "trials": 960, "lyrics_contradicting": 24}
    assert manifest["engine"] == ("fluidsynth" if fluidsynth_available() else "additive")
    assert (folder / "README.md").read_text(encoding="utf-8") == card("mini")
    assert not [p for p in folder.parent.iterdir() if ".partial-" in p.name]
    print(f"default build: {seconds:.1f} s ({manifest['engine']})")


def test_second_load_reads_files_only(default_build, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the cached dataset was rebuilt")

    monkeypatch.setattr(mini, "build", fail)
    monkeypatch.setattr(mini, "render_clip", fail)
    started = time.perf_counter()
    again = load("mini", progress=False)
    assert time.perf_counter() - started < 5.0
    assert again.root == default_build[0].root
    assert again.meta.equals(default_build[0].meta)
    assert again[0]["audio"].shape == (64000,)


def test_trial_items_follow_the_contract(default_build):
    trials = default_build[0]
    meta = trials.meta
    assert len(trials) == 960 and meta["id"].is_unique
    assert meta["subject"].nunique() == 8 and meta["clip_id"].nunique() == 120
    assert set(meta["fold"]) == {0, 1, 2, 3, 4}
    assert (meta.groupby("clip_id")["fold"].nunique() == 1).all()          # folds are clip-grouped
    for column in ["clip_id", "subject", "true_valence", "true_arousal", "felt_valence", "felt_arousal",
                   "lyrics_contradicts", "fold", "key", "program", *mini.FACTORS, *LABEL_COLUMNS]:
        assert column in meta.columns, column
    assert trials.label_columns == LABEL_COLUMNS
    item = trials[5]
    row = meta.iloc[5]
    assert item["id"] == row["id"] == f"{row['clip_id']}_{row['subject']}"
    assert item["audio"].dtype == np.float32 and item["audio"].shape == (64000,) and item["sr"] == 16000
    assert 0 < np.abs(item["audio"]).max() <= 1.0
    assert Path(item["midi_path"]).is_file() and item["midi_path"].endswith(f"{row['clip_id']}.mid")
    assert list(item["notes"].columns[:4]) == ["onset", "duration", "pitch", "velocity"]
    assert set(item["notes"]["part"]) <= {"melody", "chords", "bass"}
    assert item["notes"]["onset"].max() < 4.0
    assert isinstance(item["lyrics"], str) and " / " in item["lyrics"]
    assert item["eeg"].shape == (8, 512) and item["eeg"].dtype == np.float32 and item["eeg_sr"] == 128
    assert item["eeg_channels"] == ["F3", "F4", "F7", "F8", "C3", "C4", "O1", "O2"]
    assert item["gsr"].shape == (128,) and item["gsr_sr"] == 32
    assert item["ecg"].shape == (1024,) and item["ecg_sr"] == 256
    assert item["face"].shape == (16, 48, 48) and item["face"].dtype == np.uint8 and item["face_fps"] == 4
    assert item["labels"] == {c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in LABEL_COLUMNS}
    assert trials.subset(np.arange(0, 960, 97)).validate() == []


def test_clip_unit(default_build):
    trials, clips, _ = default_build
    meta = clips.meta
    assert len(clips) == 120 and list(meta["id"]) == sorted(meta["id"])
    assert clips.label_columns == (*LABEL_COLUMNS, "true_valence", "true_arousal")
    means = trials.meta.groupby("clip_id")[["valence", "arousal"]].mean()
    np.testing.assert_allclose(meta.set_index("id").loc[means.index, "valence"], means["valence"], atol=1e-3)
    np.testing.assert_allclose(meta.set_index("id").loc[means.index, "arousal"], means["arousal"], atol=1e-3)
    item = clips[3]
    assert set(item) == {"id", "audio", "sr", "midi_path", "notes", "lyrics", "labels"}
    assert item["labels"]["true_valence"] == meta.loc[3, "true_valence"]
    assert clips.validate() == []


def test_label_schemes_match_label_table(default_build):
    for ds in default_build[:2]:
        meta = ds.meta
        expected = label_table(meta["valence"], meta["arousal"])
        for column in LABEL_COLUMNS:
            assert (meta[column].to_numpy() == expected[column].to_numpy()).all(), column
        assert meta["valence"].between(1, 9).all() and meta["arousal"].between(1, 9).all()
    quadrants = default_build[1].meta["quadrant"].value_counts()
    assert set(quadrants.index) == {"Q1", "Q2", "Q3", "Q4"} and quadrants.min() >= 10


def test_factors_move_labels_as_table2_says(default_build):
    clips = default_build[1].meta
    by = clips.groupby
    assert by("mode")["valence"].mean()["major"] > by("mode")["valence"].mean()["minor"]
    assert by("harmony")["valence"].mean()["consonant"] > by("harmony")["valence"].mean()["dissonant"]
    assert by("timbre")["valence"].mean()["bright"] > by("timbre")["valence"].mean()["dark"]
    fast = clips["tempo"] > clips["tempo"].median()
    assert clips.loc[fast, "arousal"].mean() > clips.loc[~fast, "arousal"].mean()
    loud = clips["loudness"] > 0.5
    assert clips.loc[loud, "arousal"].mean() > clips.loc[~loud, "arousal"].mean() + 1.0
    assert by("texture")["arousal"].mean().is_monotonic_increasing
    # the noise-free model: moving one factor from its lowest to its highest level moves
    # valence and arousal (averaged over the clips) by the sign of its weight
    plans = clips.assign(clip_index=np.arange(len(clips)))
    for factor, weights in mini.EMOTION_WEIGHTS.items():
        spec = mini.FACTORS[factor]
        low, high = (spec["levels"][0], spec["levels"][-1]) if "levels" in spec else spec["range"]
        lo = mini.emotion_model(plans.assign(**{factor: low}), 0, noise=False).mean()
        hi = mini.emotion_model(plans.assign(**{factor: high}), 0, noise=False).mean()
        for dimension, weight in zip(("true_valence", "true_arousal"), weights):
            assert np.sign(round(hi[dimension] - lo[dimension], 6)) == np.sign(weight), (factor, dimension)
    # listeners differ: ratings are not the true values
    trials = default_build[0].meta
    assert not np.allclose(trials["valence"], trials["true_valence"])
    assert trials.groupby("subject")["valence"].mean().std() > 0.1


def test_lyrics_follow_the_music_except_the_contradicting_share(default_build):
    clips = default_build[1].meta
    assert clips["lyrics_contradicts"].dtype == bool
    assert clips["lyrics_contradicts"].sum() == 24                               # exactly 20 % of 120
    music = label_table(clips["true_valence"], clips["true_arousal"])["quadrant"].to_numpy()
    lyric = clips["lyrics_quadrant"].to_numpy()
    same = ~clips["lyrics_contradicts"].to_numpy()
    assert (lyric[same] == music[same]).all()
    positive = {"Q1", "Q4"}
    assert all((a in positive) != (b in positive) for a, b in zip(lyric[~same], music[~same]))
    for text, quadrant in zip(clips["lyrics"], lyric):
        words = set(text.replace(",", " ").replace("/", " ").split())
        assert words & set(mini.LYRIC_WORDS[quadrant]), text


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_lyrics_contradiction_share(tmp_path, share):
    ds = _tiny(tmp_path, unit="clip", n_clips=8, n_subjects=1, lyrics_contradiction=share)
    assert ds.meta["lyrics_contradicts"].mean() == share


def test_calibration(default_build):
    """The numbers in datasets/mini.md: a plain audio baseline is well above the majority
    class and well below perfect; every other modality carries signal."""
    spec = importlib.util.spec_from_file_location("mini_calibration", REPO / "bench" / "mini_calibration.py")
    calibration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibration)
    trials, clips, _ = default_build
    table = calibration.calibrate(trials, clips).set_index(["probe", "label"])
    print("\n" + table.to_string())
    audio = table.loc[("audio", "quadrant")]
    engine = json.loads((trials.root / "manifest.json").read_text())["engine"]
    # measured (seed 0): fluidsynth 0.600 vs majority 0.333; additive 0.483 vs 0.333
    assert audio["accuracy"] > audio["majority"] + (0.15 if engine == "fluidsynth" else 0.12)
    assert audio["accuracy"] < 0.9
    minimum_margin = {
        ("audio", "high_valence"): 0.12, ("audio", "high_arousal"): 0.12,
        ("lyrics", "high_valence"): 0.10,
        ("EEG", "high_valence"): 0.05, ("EEG", "high_arousal"): 0.07,
        ("GSR", "high_arousal"): 0.04, ("ECG", "high_arousal"): 0.12,
        ("face", "high_valence"): 0.15,
    }
    for key, margin in minimum_margin.items():
        assert table.loc[key, "margin"] > margin, (key, table.loc[key].to_dict())
        assert table.loc[key, "accuracy"] < 0.95, key


# --------------------------------------------------------------------------- tiny builds


def test_same_seed_same_files_and_other_seed_differs(tmp_path):
    a = _tiny(tmp_path / "a").root
    b = _tiny(tmp_path / "b").root
    files = _files(a)
    assert files == _files(b)
    assert {"clips.csv", "annotations.csv", "lyrics.csv", "subjects.csv", "README.md"} <= set(files)
    for name in files:
        if name != "manifest.json":
            assert filecmp.cmp(a / name, b / name, shallow=False), name
    manifests = [json.loads((f / "manifest.json").read_text()) for f in (a, b)]
    for m in manifests:
        m.pop("build_seconds")
    assert manifests[0] == manifests[1]

    c = _tiny(tmp_path / "c", seed=1).root
    assert c.name != a.name
    assert not filecmp.cmp(a / "annotations.csv", c / "annotations.csv", shallow=False)
    assert not filecmp.cmp(a / "clips.csv", c / "clips.csv", shallow=False)
    assert not filecmp.cmp(a / "audio" / "c000.wav", c / "audio" / "c000.wav", shallow=False)


def test_clips_do_not_depend_on_the_number_of_clips_or_listeners(tmp_path):
    small = _tiny(tmp_path, unit="clip").meta
    large = _tiny(tmp_path, unit="clip", n_clips=9, n_subjects=3).meta
    columns = ["clip_id", *mini.FACTORS, "key", "program", "true_valence", "true_arousal"]
    pd.testing.assert_frame_equal(small[columns], large[columns].iloc[:6])


def test_labels_do_not_depend_on_the_render_engine(tmp_path):
    if not fluidsynth_available():
        pytest.skip("FluidSynth (libfluidsynth3 + pyfluidsynth) is not installed")
    additive = _tiny(tmp_path, engine="additive").root
    fluid = _tiny(tmp_path, engine="fluidsynth").root
    assert additive != fluid
    for name in ("annotations.csv", "clips.csv", "lyrics.csv", "subjects.csv"):
        assert filecmp.cmp(additive / name, fluid / name, shallow=False), name
    for name in _files(additive):
        if name.startswith(("physio", "faces", "midi")):
            assert filecmp.cmp(additive / name, fluid / name, shallow=False), name
    assert json.loads((additive / "manifest.json").read_text())["engine"] == "additive"
    assert json.loads((fluid / "manifest.json").read_text())["engine"] == "fluidsynth"
    assert not filecmp.cmp(additive / "audio" / "c000.wav", fluid / "audio" / "c000.wav", shallow=False)


def test_rebuild_and_incomplete_builds(tmp_path, monkeypatch):
    folder = _tiny(tmp_path).root
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    _tiny(tmp_path)
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp              # reused
    time.sleep(0.01)
    _tiny(tmp_path, rebuild=True)
    assert (folder / "manifest.json").stat().st_mtime_ns != stamp              # regenerated
    (folder / "manifest.json").unlink()                                         # an interrupted build
    assert len(_tiny(tmp_path)) == 12 and (folder / "manifest.json").is_file()

    def fail(*args, **kwargs):
        raise RuntimeError("synthesizer crashed")

    monkeypatch.setattr(mini, "render_clip", fail)
    with pytest.raises(RuntimeError, match="crashed"):
        _tiny(tmp_path, seed=5)
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]        # no half-built folder left
    assert not (tmp_path / mini.cache_key(seed=5, n_clips=6, n_subjects=2, clip_seconds=2.0, sr=16000,
                                          lyrics_contradiction=0.2, engine=resolve_engine("auto"))).exists()


def test_damaged_files(tmp_path):
    ds = _tiny(tmp_path)
    folder = ds.root
    (folder / "physio" / "c002_s01.npz").write_bytes(b"not a zip file")
    (folder / "faces" / "c003_s02.npz").unlink()
    problems = dict(load("mini", root=tmp_path, **TINY).validate())
    assert set(problems) == {"c002_s01", "c003_s02"}
    assert "c002_s01.npz" in problems["c002_s01"] and "c003_s02.npz" in problems["c003_s02"]
    (folder / "annotations.csv").unlink()
    with pytest.raises(DatasetFormatError, match="annotations.csv"):
        load("mini", root=tmp_path, **TINY)


@pytest.mark.parametrize("options, error", [
    (dict(n_clips=3), ValueError), (dict(n_clips=0), ValueError), (dict(n_clips=4.5), TypeError),
    (dict(n_subjects=0), ValueError), (dict(clip_seconds=0), ValueError), (dict(clip_seconds=-1.0), ValueError),
    (dict(clip_seconds=float("nan")), ValueError), (dict(unit="listener"), ValueError),
    (dict(engine="timidity"), ValueError), (dict(lyrics_contradiction=1.5), ValueError),
    (dict(seed=-1), ValueError), (dict(sr=100), ValueError),
])
def test_bad_options_raise(tmp_path, options, error):
    with pytest.raises(error):
        load("mini", root=tmp_path, progress=False, **options)
    assert not any(tmp_path.iterdir())                                          # nothing was built


def test_composer_follows_the_plan():
    plan = mini.sample_plan(0, 0) | {"tempo": 120.0, "mode": "major", "register": 0, "texture": 3,
                                     "harmony": "consonant", "rhythm": "regular", "articulation": "legato",
                                     "contour": "rising", "dynamics": "crescendo", "loudness": 0.5}
    notes = mini.compose(plan, 4.0, np.random.default_rng(0))
    melody = notes[notes["part"] == "melody"]
    assert set(notes["part"]) == {"melody", "chords", "bass"}
    assert set((melody["pitch"] - 60) % 12) <= set(mini.SCALES["major"])     # in key (consonant)
    assert np.allclose(np.diff(melody["onset"]) % 0.25, 0, atol=1e-3)          # on the grid
    assert melody["pitch"].iloc[-3:].mean() > melody["pitch"].iloc[:3].mean()   # rising
    assert melody["velocity"].iloc[-3:].mean() > melody["velocity"].iloc[:3].mean()  # crescendo
    assert (notes["onset"] + notes["duration"]).max() <= 3.75 + 1e-6
    staccato = mini.compose(plan | {"articulation": "staccato"}, 4.0, np.random.default_rng(0))
    assert staccato["duration"].mean() < 0.5 * notes["duration"].mean()
    thin = mini.compose(plan | {"texture": 1}, 4.0, np.random.default_rng(0))
    assert set(thin["part"]) == {"melody"}
    dissonant = mini.compose(plan | {"harmony": "dissonant"}, 4.0, np.random.default_rng(0))
    chords = dissonant[dissonant["part"] == "chords"]
    assert chords.groupby("onset")["pitch"].count().min() == 5                  # triad + m2 + tritone
