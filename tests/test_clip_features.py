"""mer_lessons.clip_features: the handcrafted features measure what their names say."""

import numpy as np
import pandas as pd
import pytest

from mer_lessons import clip_features as cf
from mer_lessons.data.core import Dataset

SR = 16000


def tone(freq, seconds=2.0, amplitude=0.5, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return amplitude * np.sin(2 * np.pi * freq * t)


def clicks(bpm, seconds=6.0, sr=SR):
    y = np.zeros(int(seconds * sr))
    click = np.hanning(64) * np.sin(2 * np.pi * 1500 * np.arange(64) / sr)
    for start in (np.arange(0, seconds, 60.0 / bpm) * sr).astype(int):
        end = min(start + 64, len(y))
        y[start:end] += click[: end - start]
    return y


def test_names_and_shape():
    features = cf.clip_features(tone(440), SR)
    names = cf.feature_names()
    assert isinstance(features, pd.Series) and list(features.index) == names and len(names) == 77
    assert len(set(names)) == len(names) and np.all(np.isfinite(features))
    assert "mfcc_01_mean" in names and "chroma_A_mean" in names and "spectral_contrast_7_std" in names
    assert len(cf.feature_names(n_mfcc=13)) == 77 - 14 and len(cf.clip_features(tone(440), SR, n_mfcc=13)) == 63
    groups = cf.feature_groups()
    assert sum(len(v) for v in groups.values()) == 77 and groups["tempo"] == ["tempo"]
    assert groups["energy"] == ["rms_mean", "rms_std"] and len(groups["chroma"]) == 12


@pytest.mark.parametrize("freq", [300.0, 1000.0, 2500.0])
def test_centroid_of_a_sine_is_its_frequency(freq):
    features = cf.clip_features(tone(freq), SR)
    assert features["spectral_centroid_mean"] == pytest.approx(freq, rel=0.03)
    assert features["spectral_centroid_std"] < 0.1 * freq


def test_louder_means_higher_rms_and_same_spectrum():
    quiet, loud = cf.clip_features(tone(440, amplitude=0.1), SR), cf.clip_features(tone(440, amplitude=0.4), SR)
    assert loud["rms_mean"] == pytest.approx(4 * quiet["rms_mean"], rel=1e-6)
    assert loud["rms_mean"] == pytest.approx(0.4 / np.sqrt(2), rel=0.05)
    assert loud["spectral_centroid_mean"] == pytest.approx(quiet["spectral_centroid_mean"], rel=1e-6)


def test_noise_crosses_zero_more_often_than_a_low_tone():
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * SR)
    assert cf.clip_features(noise, SR)["zcr_mean"] > 10 * cf.clip_features(tone(200), SR)["zcr_mean"]


def test_chroma_of_an_a_tone_peaks_at_a():
    features = cf.clip_features(tone(440.0), SR)
    chroma = features[[name for name in features.index if name.startswith("chroma_")]]
    assert chroma.idxmax() == "chroma_A_mean" and chroma.max() == pytest.approx(1.0, abs=0.05)
    c_tone = cf.clip_features(tone(261.63), SR)
    assert c_tone[[f"chroma_{pc}_mean" for pc in ("C", "C#", "D", "A")]].idxmax() == "chroma_C_mean"


@pytest.mark.parametrize("method", cf.TEMPO_METHODS)
def test_faster_click_track_gives_a_higher_tempo(method):
    slow = cf.clip_features(clicks(80), SR, tempo_method=method)["tempo"]
    fast = cf.clip_features(clicks(140), SR, tempo_method=method)["tempo"]
    assert fast > slow
    assert slow == pytest.approx(80, rel=0.06) and fast == pytest.approx(140, rel=0.06)


def test_low_sampling_rate_still_fits_seven_contrast_bands():
    features = cf.clip_features(tone(440, sr=8000), 8000)
    assert np.all(np.isfinite(features))


@pytest.mark.parametrize("y, sr, kwargs", [
    (np.zeros((2, SR)), SR, {}),                   # stereo
    (np.zeros(SR), 0, {}),                         # bad rate
    (np.zeros(SR), SR, {"tempo_method": "magic"}),
    (np.zeros(100), SR, {}),                       # shorter than one frame
    (np.array([0.0, np.nan] * SR), SR, {}),
    (np.array(["a"] * SR), SR, {}),
])
def test_bad_inputs_raise(y, sr, kwargs):
    with pytest.raises((ValueError, TypeError)):
        cf.clip_features(y, sr, **kwargs)


# --------------------------------------------------------------------------- datasets


def tiny_dataset(root, n_clips=3, n_subjects=2, with_audio=True):
    rows = [{"id": f"c{c}_s{s}", "clip_id": f"c{c}", "subject": f"s{s}"}
            for c in range(n_clips) for s in range(n_subjects)]
    meta = pd.DataFrame(rows)
    freqs = {f"c{c}": 220.0 * (c + 1) for c in range(n_clips)}

    def load_item(row):
        return {"audio": tone(freqs[row["clip_id"]], seconds=1.0), "sr": SR} if with_audio else {"text": "x"}

    return Dataset("tiny", meta, load_item, root=root)


def test_dataset_features_one_row_per_clip_and_cached(tmp_path, monkeypatch):
    ds = tiny_dataset(tmp_path / "data")
    table = cf.dataset_features(ds, cache_dir=tmp_path / "cache", progress=False)
    assert list(table.index) == ["c0", "c1", "c2"] and table.index.name == "clip_id"
    assert list(table.columns) == cf.feature_names()
    assert table["spectral_centroid_mean"].is_monotonic_increasing
    assert len(list((tmp_path / "cache").glob("clip_features-*.csv"))) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("the cache should have been read")

    monkeypatch.setattr(cf, "clip_features", refuse)
    again = cf.dataset_features(ds, cache_dir=tmp_path / "cache", progress=False)
    pd.testing.assert_frame_equal(again, table, check_exact=True)
    with pytest.raises(AssertionError, match="cache"):
        cf.dataset_features(ds, cache_dir=tmp_path / "cache", progress=False, tempo_method="beat_track")
    with pytest.raises(AssertionError, match="cache"):
        cf.dataset_features(ds, cache=False, progress=False)


def test_default_cache_lives_in_the_data_dir(tmp_path, data_home):
    ds = tiny_dataset(tmp_path / "data", n_clips=2, n_subjects=1)
    path = cf.cache_path(ds, {})
    assert path.parent == data_home / "features" / "tiny"
    cf.dataset_features(ds, progress=False)
    assert path.is_file()
    assert cf.cache_path(ds, {"tempo_method": "beat_track"}) != path
    assert cf.cache_path(ds.subset([0]), {}) != path          # different clips, different key


def test_a_stale_cache_is_recomputed(tmp_path):
    ds = tiny_dataset(tmp_path / "data", n_clips=2, n_subjects=1)
    path = cf.cache_path(ds, {}, tmp_path / "cache")
    path.parent.mkdir(parents=True)
    path.write_text("clip_id,nonsense\nc0,1\n")
    with pytest.warns(UserWarning, match="does not match"):
        table = cf.dataset_features(ds, cache_dir=tmp_path / "cache", progress=False)
    assert table.shape == (2, 77)


def test_for_items_joins_features_to_trials(tmp_path):
    ds = tiny_dataset(tmp_path / "data")
    table = cf.dataset_features(ds, cache=False, progress=False)
    X = cf.for_items(table, ds.meta)
    assert X.shape == (6, 77) and list(X.index) == list(ds.meta.index)
    np.testing.assert_array_equal(X.iloc[0].to_numpy(), X.iloc[1].to_numpy())  # same clip, same audio
    with pytest.raises(KeyError, match="no features"):
        cf.for_items(table.iloc[:1], ds.meta)
    with pytest.raises(KeyError):
        cf.for_items(table, ds.meta, column="track")


def test_dataset_without_audio_raises(tmp_path):
    with pytest.raises(ValueError, match="audio"):
        cf.dataset_features(tiny_dataset(tmp_path, with_audio=False), cache=False, progress=False)
