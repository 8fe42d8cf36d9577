"""The generated 'chorales' dataset: Bach chorales from music21's corpus, rendered."""

import filecmp

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("music21")

import music21.corpus

from mer_lessons.data import chorales, load, render
from mer_lessons.data.errors import DatasetFormatError

N = 4
ITEM_KEYS = {"id", "audio", "sr", "midi_path", "notes", "chords", "key", "mode", "tempo", "title", "labels"}
META_COLUMNS = {"id", "title", "key", "mode", "tempo", "n_notes", "duration", "key_correlation",
                "notated_key", "riemenschneider", "bwv", "audio_path", "midi_path"}


@pytest.fixture(scope="module")
def ds(module_data_home):  # the module's own data folder (tests/conftest.py)
    return load("chorales", n_pieces=N, engine="additive", verbose=False)


def test_catalog_lists_the_corpus_chorales_once_each():
    catalog = chorales.chorale_catalog()
    assert 340 <= len(catalog) <= 371
    assert catalog["id"].is_unique and catalog["riemenschneider"].is_monotonic_increasing
    assert catalog.iloc[0]["id"] == "bwv269" and catalog.iloc[0]["title"] == "Aus meines Herzens Grunde"


def test_selection_is_seeded_and_nested():
    small, large = chorales.select_chorales(4, seed=0), chorales.select_chorales(10, seed=0)
    assert set(small["id"]) <= set(large["id"])
    assert small["id"].tolist() == chorales.select_chorales(4, seed=0)["id"].tolist()
    assert small["id"].tolist() != chorales.select_chorales(4, seed=1)["id"].tolist()


def test_layout_of_the_cache(ds, module_data_home):
    folder = ds.root
    assert folder.parent == module_data_home / "chorales"  # respects MER_LESSONS_DATA
    assert folder.name == chorales.build_key(n_pieces=N, sr=16000, tempo=None, engine="additive",
                                              program=chorales.DEFAULT_PROGRAM, seed=0)
    for name in ("notes.csv", "chords.csv", "meta.csv", "README.md", "build.json"):
        assert (folder / name).is_file(), name
    assert sorted(p.stem for p in (folder / "audio").glob("*.wav")) == sorted(ds.meta["id"])
    assert sorted(p.stem for p in (folder / "midi").glob("*.mid")) == sorted(ds.meta["id"])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folders left
    assert "proxy" in (folder / "README.md").read_text(encoding="utf-8")


def test_dataset_contract(ds):
    assert len(ds) == N
    assert META_COLUMNS <= set(ds.meta.columns)
    assert ds.label_columns == ("mode", "key")
    assert ds.meta["id"].str.match(r"^bwv[\d.]+(-\w+)?$").all()
    item = ds[0]
    assert set(item) == ITEM_KEYS
    assert item["id"] == ds.meta.loc[0, "id"]
    assert item["labels"] == {"mode": ds.meta.loc[0, "mode"], "key": ds.meta.loc[0, "key"]}
    assert item["audio"].dtype == np.float32 and item["audio"].ndim == 1 and item["sr"] == 16000
    assert isinstance(item["notes"], pd.DataFrame) and isinstance(item["chords"], pd.DataFrame)
    assert ds.validate() == []


def test_keys_and_modes_are_plausible(ds):
    meta = ds.meta
    assert set(meta["mode"]) <= {"major", "minor"}
    assert all(key.endswith(mode) for key, mode in zip(meta["key"], meta["mode"]))
    assert meta["key_correlation"].between(0.5, 1.0).all()
    # the stored key is music21's analysis of the same score
    score = music21.corpus.parse(meta.loc[0, "corpus_path"], forceSource=True)
    analysed = score.analyze("key")
    assert meta.loc[0, "key"] == f"{analysed.tonic.name.replace('-', 'b')} {analysed.mode}"
    assert meta.loc[0, "key_correlation"] == pytest.approx(analysed.correlationCoefficient)


def test_a_known_chorale_is_in_g_major():
    entry = chorales.chorale_catalog().iloc[0]  # Riemenschneider 1, BWV 269
    piece = chorales._piece(entry, tempo=90, seed=0, program=19)
    assert piece["meta"]["key"] == "G major" and piece["meta"]["notated_key"] == "G major"
    assert piece["meta"]["time_signature"] == "3/4" and piece["meta"]["tempo_source"] == "argument"
    chords = piece["chords"]
    assert chords.loc[0, "symbol"] == "G" and chords.loc[0, "roman"] == "I"
    assert chords["roman"].iloc[-1] == "I"  # ends on the tonic


def test_notes_are_sorted_and_inside_the_piece(ds):
    for index in range(len(ds)):
        item, row = ds[index], ds.meta.iloc[index]
        notes = item["notes"]
        assert len(notes) == row["n_notes"] > 50
        assert notes["onset"].is_monotonic_increasing
        assert notes["onset"].min() == 0.0
        assert (notes["onset"] + notes["duration"]).max() == pytest.approx(row["duration"])
        assert notes["pitch"].between(30, 90).all() and (notes["duration"] > 0).all()
        assert {"Soprano", "Bass"} <= set(notes["part"])
        seconds_per_quarter = 60.0 / row["tempo"]
        np.testing.assert_allclose(notes["onset"], notes["onset_ql"] * seconds_per_quarter)


def test_chords_have_valid_pitch_class_sets(ds):
    item = ds[1]
    chords, duration = item["chords"], ds.meta.loc[1, "duration"]
    assert len(chords) == ds.meta.loc[1, "n_chords"] > 10
    for pcs, root in zip(chords["pitch_classes"], chords["root"]):
        values = [int(v) for v in pcs.split()]
        assert values == sorted(set(values)) and all(0 <= v <= 11 for v in values)
        assert render_pc(root) in values
    assert chords["onset"].is_monotonic_increasing and chords["onset"].max() < duration
    assert (chords["symbol"] != "").all() and (chords["name"] != "").all()
    assert set(chords["quality"]) <= {"major", "minor", "diminished", "augmented", "other"}


def render_pc(name):
    return chorales._pitch_class(name)


def test_audio_and_midi_match_the_notes(ds):
    item, row = ds[2], ds.meta.iloc[2]
    seconds = len(item["audio"]) / item["sr"]
    assert abs(seconds - (row["duration"] + render.DEFAULT_TAIL)) < 0.01
    assert np.sqrt(np.mean(item["audio"] ** 2)) > 1e-3
    midi_notes = render.midi_to_notes(item["midi_path"])
    assert len(midi_notes) == len(item["notes"])
    assert sorted(midi_notes["pitch"]) == sorted(item["notes"]["pitch"])
    assert set(midi_notes["part"]) == set(item["notes"]["part"])


def test_second_load_reuses_the_cache_without_parsing(ds, monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("music21 parsed a score although the build is cached")

    monkeypatch.setattr(music21.corpus, "parse", no_parse)
    again = load("chorales", n_pieces=N, engine="additive", verbose=False)
    pd.testing.assert_frame_equal(again.meta, ds.meta)


def test_a_failed_build_leaves_nothing_behind(ds, monkeypatch, module_data_home):
    def broken(*args, **kwargs):
        raise OSError("corpus file unreadable")

    monkeypatch.setattr(music21.corpus, "parse", broken)
    with pytest.raises(DatasetFormatError, match="could not parse"):
        load("chorales", n_pieces=2, engine="additive", verbose=False)
    leftovers = [p.name for p in (module_data_home / "chorales").iterdir() if p.name != ds.root.name]
    assert leftovers == []


def test_builds_are_deterministic_and_rebuild_replaces(tmp_path):
    options = {"n_pieces": 2, "engine": "additive", "tempo": 100, "sr": 8000, "verbose": False}
    first = load("chorales", root=tmp_path / "a", **options)
    second = load("chorales", root=tmp_path / "b", **options)
    assert (first.meta["tempo"] == 100).all() and (first.meta["tempo_source"] == "argument").all()
    assert first[0]["sr"] == 8000
    names = ["notes.csv", "chords.csv", "meta.csv", "README.md"] + \
        [f"audio/{i}.wav" for i in first.meta["id"]] + [f"midi/{i}.mid" for i in first.meta["id"]]
    _, mismatch, errors = filecmp.cmpfiles(first.root, second.root, names, shallow=False)
    assert mismatch == [] and errors == []
    before = (first.root / "meta.csv").read_bytes()
    rebuilt = load("chorales", root=tmp_path / "a", rebuild=True, **options)
    assert rebuilt.root == first.root and (rebuilt.root / "meta.csv").read_bytes() == before
    assert [p.name for p in (tmp_path / "a").iterdir()] == [first.root.name]


@pytest.mark.parametrize("options, message", [
    ({"n_pieces": 0}, "n_pieces"),
    ({"n_pieces": 100000}, "n_pieces"),
    ({"sr": -1}, "sr"),
    ({"engine": "organ"}, "engine"),
    ({"program": 200}, "program"),
    ({"tempo": -60}, "tempo"),
])
def test_bad_options_raise(options, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        load("chorales", root=tmp_path, verbose=False, **{"engine": "additive", **options})


@pytest.mark.skipif(not render.fluidsynth_available(),
                    reason="FluidSynth not available (apt-get install libfluidsynth3; pip install pyfluidsynth)")
def test_fluidsynth_build(tmp_path):
    ds = load("chorales", root=tmp_path, n_pieces=1, engine="auto", verbose=False)
    assert ds.meta.loc[0, "engine"] == "fluidsynth" and "fluidsynth" in ds.root.name
    audio = ds[0]["audio"]
    assert np.sqrt(np.mean(audio ** 2)) > 1e-3 and np.abs(audio).max() <= 1.0
