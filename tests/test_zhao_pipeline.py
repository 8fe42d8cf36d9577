"""Chapter 09's pipeline pieces: whole-clip WindowSets (clip_windows, with_features), the clip
inputs (dsp.zhao_clip_inputs), the WindowSet adapter of the Zhao models (WindowInputs,
window_builder), compare_models' tuple inputs / BLS heads / train_options, and the beat rule of
chords.segment_chords."""

import functools

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import chords
from mer_lessons import dsp
from mer_lessons import evaluation as E
from mer_lessons import windows as W
from mer_lessons.environment import set_seed
from mer_lessons.models import zhao
from mer_lessons.validation import InputError

TINY = dict(channels=(4, 4, 4, 4), stem_channels=4, hidden=4, fc_hidden=8)
DIMS = {"gtf": 24, "mf_rp": 20, "chords": 16}


# --------------------------------------------------------------------------- clip_windows


class FakeClips:
    """The smallest dataset clip_windows needs: name, meta (id, clip_id, subject), len, and
    items with ``audio`` and ``sr`` (item i's audio is the constant i; 600 samples, 700 for
    ``bad_item``)."""

    def __init__(self, n=5, name="fake-clips", bad_item=None):
        self.name = name
        self.meta = pd.DataFrame({"id": [f"c{i:02d}" for i in range(n)],
                                  "clip_id": [f"clip{i % 3}" for i in range(n)],
                                  "subject": [f"s{i % 2}" for i in range(n)]})
        self.bad_item = bad_item

    def __len__(self):
        return len(self.meta)

    def __getitem__(self, i):
        n = 700 if i == self.bad_item else 600
        return {"id": self.meta["id"].iloc[i], "audio": np.full(n, float(i)), "sr": 100.0}


def spectro_featurizer(calls):
    """featurize(audio, sr) -> {name: (D, T)} as dsp returns maps; T = one frame per second."""
    def featurize(audio, sr):
        calls.append(float(audio[0]))
        t = np.arange(int(len(audio) // sr), dtype=np.float64)
        return {"gtf": audio[0] + t[None, :] + np.zeros((24, 1)),
                "mf_rp": -audio[0] + np.zeros((20, len(t)))}
    return featurize


def test_clip_windows_one_window_per_item_with_stacked_features_and_meta():
    ds, calls = FakeClips(5), []
    ws = W.clip_windows(ds, spectro_featurizer(calls), cache=False, progress=False)
    assert len(ws) == 5 and calls == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ws.features["gtf"].shape == (5, 6, 24) and ws.features["mf_rp"].shape == (5, 6, 20)
    assert ws.features["gtf"].dtype == np.float32
    assert ws.dims == {"gtf": 24, "mf_rp": 20} and ws.steps == 6
    # item i's features sit at row i
    np.testing.assert_array_equal(ws.features["gtf"][3, :, 0], 3.0 + np.arange(6))
    np.testing.assert_array_equal(ws.features["mf_rp"][4], np.full((6, 20), -4.0))
    assert list(ws.meta["trial"]) == [0, 1, 2, 3, 4]
    assert (ws.meta["start_s"] == 0).all()
    for c in ("id", "clip_id", "subject"):
        assert list(ws.meta[c]) == list(ds.meta[c])
    # labels per trial work as for windows
    labelled = ws.with_labels(pd.Series(["a", "b", None, "a", "b"]), classes=["a", "b"])
    assert list(labelled.meta["id"]) == ["c00", "c01", "c03", "c04"] and list(labelled.y) == [0, 1, 0, 1]


def test_clip_windows_a_different_shape_names_the_item():
    ds = FakeClips(5, bad_item=2)
    with pytest.raises(ValueError, match=r"item 2 \(c02\).*'gtf'.*\(24, 7\)"):
        W.clip_windows(ds, spectro_featurizer([]), cache=False, progress=False)


def test_clip_windows_cache_is_written_once_and_read_back(tmp_path):
    ds, calls = FakeClips(4), []
    featurize = spectro_featurizer(calls)
    first = W.clip_windows(ds, featurize, cache_dir=tmp_path, progress=False)
    assert len(calls) == 4
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("windows-") and files[0].endswith(".npz"), files
    second = W.clip_windows(ds, featurize, cache_dir=tmp_path, progress=False)
    assert len(calls) == 4, "the second call featurized again instead of reading the cache"
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert list(second.features) == list(first.features)
    for name in first.features:
        np.testing.assert_array_equal(second.features[name], first.features[name])
        assert second.features[name].dtype == first.features[name].dtype
    pd.testing.assert_frame_equal(second.meta, first.meta)
    # another dataset (other ids) does not hit this cache
    W.clip_windows(FakeClips(3), featurize, cache_dir=tmp_path, progress=False)
    assert len(calls) == 7 and len(list(tmp_path.iterdir())) == 2


class ToneClips(FakeClips):
    """Three 1-s tones at 16 kHz (300, 600, 900 Hz)."""

    def __getitem__(self, i):
        t = np.arange(16_000) / 16_000
        return {"id": self.meta["id"].iloc[i], "audio": np.sin(2 * np.pi * 300 * (i + 1) * t), "sr": 16_000}


def test_clip_windows_with_zhao_clip_inputs_stores_maps_frames_first():
    ds = ToneClips(3, name="tones")
    ws = W.clip_windows(ds, functools.partial(dsp.zhao_clip_inputs, n_frames=10, n_bins=16),
                        cache=False, progress=False)
    assert ws.dims == {"wideband": 16, "narrowband": 16, "gtf": 24, "mf_rp": 20} and ws.steps == 10
    for i in range(3):
        item = ds[i]
        direct = dsp.zhao_clip_inputs(item["audio"], item["sr"], n_frames=10, n_bins=16)
        for name, x in direct.items():
            np.testing.assert_allclose(ws.features[name][i], x.T.astype(np.float32), rtol=1e-6, atol=1e-5)
    # higher tone, higher brightest row
    rows = ws.features["narrowband"].mean(axis=1).argmax(axis=1)
    assert rows[0] < rows[1] < rows[2]


def test_with_features_adds_a_vector_per_window_and_checks_it():
    ws = W.clip_windows(FakeClips(5), spectro_featurizer([]), cache=False, progress=False)
    vectors = np.arange(5 * 16, dtype=np.float64).reshape(5, 16)
    more = ws.with_features("chords", vectors)
    assert more.features["chords"].shape == (5, 1, 16) and more.features["chords"].dtype == np.float32
    np.testing.assert_array_equal(more.features["chords"][:, 0], vectors)
    assert more.modalities == ["gtf", "mf_rp", "chords"] and more.dims["chords"] == 16
    assert "chords" not in ws.features                 # a copy: the original is untouched
    np.testing.assert_array_equal(more.features["gtf"], ws.features["gtf"])
    three_d = ws.with_features("x3", np.ones((5, 6, 2)))
    assert three_d.features["x3"].shape == (5, 6, 2)
    with pytest.raises(ValueError, match="chords"):
        ws.with_features("chords", vectors[:4])
    with pytest.raises(ValueError, match="chords"):
        ws.with_features("chords", np.ones(5))
    bad = vectors.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ws.with_features("chords", bad)


# --------------------------------------------------------------------------- zhao_clip_inputs

SR = 16_000
T1 = np.arange(SR) / SR      # 1 s


def _fft_freqs():
    """The FFT bin frequencies zhao_clip_inputs pools (its spectrograms' grid)."""
    _, narrow = dsp.wide_and_narrowband_spectrograms(np.random.default_rng(0).standard_normal(SR), SR, hop_ms=10.0)
    return narrow.freqs


def test_zhao_clip_inputs_shapes_and_finite():
    y = np.sin(2 * np.pi * 440 * T1) + 0.1 * np.random.default_rng(1).standard_normal(SR)
    out = dsp.zhao_clip_inputs(y, SR)
    assert set(out) == {"wideband", "narrowband", "gtf", "mf_rp"}
    assert out["wideband"].shape == (32, 44) and out["narrowband"].shape == (32, 44)
    assert out["gtf"].shape == (24, 44) and out["mf_rp"].shape == (20, 44)
    for name, x in out.items():
        assert np.isfinite(x).all(), name
    # dB relative to the clip's peak, floored at -top_db
    for name in ("wideband", "narrowband"):
        assert out[name].max() <= 1e-9 and out[name].min() >= -80.0 - 1e-9
    small = dsp.zhao_clip_inputs(y, SR, n_frames=10, n_bins=8)
    assert small["narrowband"].shape == (8, 10) and small["gtf"].shape == (24, 10)


def test_a_1khz_tone_is_brightest_in_its_bin_group():
    out = dsp.zhao_clip_inputs(np.sin(2 * np.pi * 1000 * T1), SR, max_hz=4000, n_bins=32)
    freqs = _fft_freqs()
    groups = np.array_split(np.flatnonzero(freqs <= 4000), 32)
    # the group whose frequency range holds 1 kHz
    expected = [i for i, g in enumerate(groups) if freqs[g[0]] <= 1000 <= freqs[g[-1]]]
    assert len(expected) == 1
    assert int(out["narrowband"].mean(axis=1).argmax()) == expected[0]
    assert int(out["wideband"].mean(axis=1).argmax()) == expected[0]


def test_narrowband_resolves_two_close_tones_and_wideband_does_not():
    freqs = _fft_freqs()
    kept = freqs[freqs <= 4000]
    f1, f2 = 1000.0, 1150.0
    # phase 1 rad: with a 10 ms hop a zero phase offset makes the 150 Hz beat alternate between
    # constructive and destructive frames, which digs a (dB-averaged) notch into the wideband map too
    y = np.sin(2 * np.pi * f1 * T1) + np.sin(2 * np.pi * f2 * T1 + 1.0)
    out = dsp.zhao_clip_inputs(y, SR, n_bins=len(kept))       # one FFT bin per row
    i1, i2 = int(np.argmin(abs(kept - f1))), int(np.argmin(abs(kept - f2)))

    def dip(name):
        p = out[name].mean(axis=1)
        return min(p[i1], p[i2]) - p[i1 + 1:i2].min()

    narrow, wide = dip("narrowband"), dip("wideband")
    assert narrow > 10.0, narrow             # two peaks with a clear valley between them
    assert wide < 3.0, wide                  # one hump
    assert narrow > wide + 8.0
    p = out["narrowband"].mean(axis=1)
    assert p[i1] > -3 and p[i2] > -3          # both tones near the clip's peak


def test_zhao_clip_inputs_rejects_bad_n_bins_and_max_hz():
    y = np.sin(2 * np.pi * 500 * T1)
    n_below = int((_fft_freqs() <= 4000).sum())
    dsp.zhao_clip_inputs(y, SR, n_bins=n_below)           # the most it can have
    with pytest.raises(InputError, match="n_bins"):
        dsp.zhao_clip_inputs(y, SR, n_bins=n_below + 1)
    with pytest.raises(InputError, match="n_bins"):
        dsp.zhao_clip_inputs(y, SR, n_bins=0)
    with pytest.raises(InputError, match="max_hz"):
        dsp.zhao_clip_inputs(y, SR, max_hz=SR / 2 + 100)
    dsp.zhao_clip_inputs(y, SR, max_hz=SR / 2)             # Nyquist itself is fine
    with pytest.raises(InputError, match="n_frames"):
        dsp.zhao_clip_inputs(y[:4000], SR, n_frames=44)   # 0.25 s at a 10 ms hop: 26 frames


# --------------------------------------------------------------------------- WindowInputs / window_builder


def _batch(b=3, t=6, seed=0, with_chords=True):
    g = torch.Generator().manual_seed(seed)
    batch = {"gtf": torch.randn(b, t, 24, generator=g), "mf_rp": torch.randn(b, t, 20, generator=g)}
    if with_chords:
        batch["chords"] = torch.randn(b, 1, 16, generator=g)
    return batch


def test_window_builder_multispec_shapes_and_transposition():
    torch.manual_seed(0)
    make = zhao.window_builder("MULTISPEC-DNN", ("gtf", "mf_rp"), chords="chords", **TINY)
    model = make(DIMS, 3)
    assert isinstance(model, zhao.WindowInputs) and isinstance(model.model, zhao.MultiSpecDNN)
    assert model.model.n_freq == (24, 20) and model.model.use_chords and model.model.chord_dim == 16
    assert model.HEAD == "softmax"
    model.eval()
    batch = _batch(b=3)
    with torch.no_grad():
        logits, feats = model(batch), model.features(batch)
        assert logits.shape == (3, 3) and feats.shape == (3, 8)
        images = (batch["gtf"].transpose(1, 2).unsqueeze(1), batch["mf_rp"].permute(0, 2, 1)[:, None])
        assert images[0].shape == (3, 1, 24, 6) and images[1].shape == (3, 1, 20, 6)
        chord_vec = batch["chords"][:, 0, :]
        torch.testing.assert_close(logits, model.model(images, chord_vec), rtol=0, atol=0)
        torch.testing.assert_close(feats, model.model.features(images, chord_vec), rtol=0, atol=0)
        # the chord vector matters (it is passed, not dropped)
        other = dict(batch, chords=batch["chords"] + 5.0)
        assert not torch.allclose(model(other), logits)


def test_window_builder_without_chords_and_missing_inputs():
    torch.manual_seed(0)
    model = zhao.window_builder("MultiSpec-DNN", ("gtf", "mf_rp"), **TINY)(DIMS, 4).eval()
    assert not model.model.use_chords
    batch = _batch(b=2, with_chords=False)
    assert model(batch).shape == (2, 4)
    with pytest.raises(InputError, match="mf_rp"):
        model({"gtf": batch["gtf"]})
    with_chords = zhao.window_builder("MULTISPEC-DNN", ("gtf", "mf_rp"), chords="chords", **TINY)(DIMS, 4)
    with pytest.raises(InputError, match="chords"):
        with_chords(batch)


def test_window_builder_baselines_read_the_first_spectrogram_and_keep_their_head():
    torch.manual_seed(0)
    lstm = zhao.window_builder("MCCLSTM", ("gtf", "mf_rp"), kernel_sizes=(3,), branch_channels=2, hidden=4)(DIMS, 4)
    assert isinstance(lstm.model, zhao.MCCLSTM) and lstm.model.n_freq == 24 and lstm.HEAD == "softmax"
    assert lstm.spectrograms == ("gtf",)
    lstm.eval()
    batch = _batch(b=2, with_chords=False)
    with torch.no_grad():
        out = lstm(batch)
        assert out.shape == (2, 4)
        # only the first spectrogram is read: the second may change or be missing
        torch.testing.assert_close(lstm(dict(batch, mf_rp=batch["mf_rp"] * 10)), out, rtol=0, atol=0)
        torch.testing.assert_close(lstm({"gtf": batch["gtf"]}), out, rtol=0, atol=0)
        torch.testing.assert_close(out, lstm.model(batch["gtf"].transpose(1, 2).unsqueeze(1)), rtol=0, atol=0)
        assert not torch.allclose(lstm(dict(batch, gtf=batch["gtf"] + 1.0)), out)
    with pytest.raises(InputError, match="gtf"):
        lstm({"mf_rp": batch["mf_rp"]})
    bl = zhao.window_builder("MCCBL", ("gtf",), kernel_sizes=(3,), branch_channels=2)(DIMS, 4)
    assert bl.HEAD == "bls" and isinstance(bl.model, zhao.MCCBL)
    assert bl.features(batch).shape[0] == 2


# --------------------------------------------------------------------------- compare_models


CLASSES = ["Q1", "Q2"]


def synthetic_windows(n, seed, flip=False):
    """(n, 6, 24) "gtf" and (n, 6, 20) "mf_rp" with a class offset, a (n, 1, 16) "chords"."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    sign = np.where(y == 1, 1.0, -1.0)[:, None, None]
    feats = {"gtf": rng.standard_normal((n, 6, 24)) + 0.8 * sign,
             "mf_rp": rng.standard_normal((n, 6, 20)) - 0.5 * sign,
             "chords": rng.standard_normal((n, 1, 16)) + 0.5 * sign}
    feats = {k: v.astype(np.float32) for k, v in feats.items()}
    meta = pd.DataFrame({"trial": np.arange(n), "subject": [f"s{seed}"] * n,
                         "clip_id": [f"clip{seed}_{i}" for i in range(n)], "start_s": np.zeros(n)})
    labels = np.array([CLASSES[(v + flip) % 2] for v in y], dtype=object)
    return W.WindowSet(feats, meta, labels=labels, classes=list(CLASSES))


@pytest.fixture(scope="module")
def sets():
    return synthetic_windows(40, 0), synthetic_windows(16, 1), synthetic_windows(20, 2)


def multispec_spec(name="MSD", head="softmax", train_front=True, inputs=("gtf", "mf_rp", "chords"), **kw):
    chord_name = "chords" if "chords" in inputs else None
    spectros = tuple(m for m in inputs if m != "chords")
    return E.ModelSpec(name, "fusion", zhao.window_builder("MULTISPEC-DNN", spectros, chords=chord_name, **TINY),
                       inputs=inputs, head=head, train_front=train_front, **kw)


RUN = dict(epochs=3, seed=0, device="cpu", n_timing=0, progress=False)


def test_model_spec_inputs_tuple_and_head_checks(sets):
    spec = E.ModelSpec("x", "fusion", lambda dims, n: None, inputs=["gtf", "mf_rp"])
    assert spec.inputs == ("gtf", "mf_rp")
    with pytest.raises(ValueError):
        E.ModelSpec("x", "fusion", lambda dims, n: None, inputs=())
    with pytest.raises(ValueError):
        E.ModelSpec("x", "fusion", lambda dims, n: None, inputs="gtf")
    with pytest.raises(ValueError, match="sklearn"):
        E.ModelSpec("knn", "sklearn", lambda seed: None, head="bls")
    with pytest.raises(ValueError):
        E.ModelSpec("x", "fusion", lambda dims, n: None, head="svm")
    built = []

    def build(dims, n_classes):
        built.append(dict(dims))
        return zhao.window_builder("MULTISPEC-DNN", ("gtf",), **TINY)({"gtf": 24}, n_classes)

    missing = E.ModelSpec("missing", "fusion", build, inputs=("gtf", "narrowband"))
    with pytest.raises(KeyError, match="narrowband") as info:
        E.compare_models(*sets, specs=[missing], **RUN)
    assert built == [], "the missing input should be reported before the model is built"
    assert "'missing'" in str(info.value) and "mf_rp" in str(info.value)   # names the model, lists what there is


def test_compare_models_with_tuple_inputs_trains_and_scores(sets):
    results, models = E.compare_models(*sets, specs=[multispec_spec()], train_options={"lr": 1e-2}, **RUN)
    row = results.loc["MSD"]
    assert row["inputs"] == "gtf+mf_rp+chords"
    assert 1 <= row["epochs"] <= 3 and row["parameters"] > 0 and np.isnan(row["latency_ms"])
    assert row["accuracy"] > 0.7 and row["train_accuracy"] > 0.7   # the class offset is learnable
    model = models["MSD"]
    assert isinstance(model, zhao.WindowInputs) and model.model.use_chords and model.model.chord_dim == 16
    assert not hasattr(model, "bls_head")


def test_bls_head_without_front_training_keeps_the_random_weights(sets):
    set_seed(0)
    reference = zhao.window_builder("MULTISPEC-DNN", ("gtf", "mf_rp"), chords="chords", **TINY)(
        {m: sets[0].dims[m] for m in ("gtf", "mf_rp", "chords")}, 2)
    initial = {k: v.clone() for k, v in reference.state_dict().items()}
    spec = multispec_spec("MSD+BLS", head="bls", train_front=False,
                          bls={"n_feature_groups": 4, "nodes_per_group": 4, "n_enhancement": 20})
    results, models = E.compare_models(*sets, specs=[spec], **RUN)
    row = results.loc["MSD+BLS"]
    assert row["epochs"] == 0
    model = models["MSD+BLS"]
    state = model.state_dict()
    assert set(state) == set(initial)
    for k, v in initial.items():
        assert torch.equal(state[k], v), f"{k} changed although nothing should be trained"
    head = model.bls_head
    assert isinstance(head, zhao.BroadLearningSystem) and head.n_feature_groups == 4
    # its predictions on the test windows are class indices of the windows' classes
    feats = zhao.model_features(model, {m: torch.from_numpy(sets[2].features[m]) for m in ("gtf", "mf_rp", "chords")})
    pred = np.asarray(head.predict(feats))
    assert pred.shape == (len(sets[2]),)
    assert set(pred.tolist()) <= set(range(len(CLASSES)))
    names = np.asarray(CLASSES)[pred.astype(int)]
    assert set(names) <= set(CLASSES)
    # the reported accuracies are those of the BLS head's predictions
    assert row["accuracy"] == pytest.approx(float(np.mean(pred == sets[2].y)))
    train_feats = zhao.model_features(model, {m: torch.from_numpy(sets[0].features[m])
                                              for m in ("gtf", "mf_rp", "chords")})
    assert row["train_accuracy"] == pytest.approx(float(np.mean(head.predict(train_feats) == sets[0].y)))
    assert row["train_accuracy"] > 0.6        # random features + BLS still fit the class offset


def test_bls_head_after_front_training_trains_first(sets):
    spec = multispec_spec("trained+BLS", head="bls", train_front=True,
                          bls={"n_feature_groups": 4, "nodes_per_group": 4, "n_enhancement": 20})
    results, models = E.compare_models(*sets, specs=[spec], **RUN)
    assert results.loc["trained+BLS", "epochs"] >= 1
    assert isinstance(models["trained+BLS"].bls_head, zhao.BroadLearningSystem)


def test_train_options_reach_the_trainer(sets):
    train_set, _, test_set = sets
    # a validation set labelled the other way round: its loss rises as the model learns
    flipped_val = synthetic_windows(16, 1, flip=True)
    spec = multispec_spec()
    opts = dict(RUN, epochs=5)
    early, _ = E.compare_models(train_set, flipped_val, test_set, specs=[spec],
                                train_options={"lr": 1e-2, "patience": 1}, **opts)
    late, _ = E.compare_models(train_set, flipped_val, test_set, specs=[spec],
                               train_options={"lr": 1e-2, "patience": None}, **opts)
    assert late.loc["MSD", "epochs"] == 5
    assert early.loc["MSD", "epochs"] < late.loc["MSD", "epochs"]
    # lr=0: the parameters stay at their initial values (BatchNorm buffers may move)
    set_seed(0)
    reference = spec.build({m: train_set.dims[m] for m in spec.inputs}, 2)
    _, models = E.compare_models(*sets, specs=[spec], train_options={"lr": 0.0}, **dict(RUN, epochs=1))
    for (k, p0), (k1, p1) in zip(reference.named_parameters(), models["MSD"].named_parameters()):
        assert k == k1 and torch.equal(p0, p1), k
    with pytest.raises(TypeError):
        E.compare_models(*sets, specs=[spec], train_options={"no_such_option": 1}, **RUN)


# --------------------------------------------------------------------------- segment_chords, beat rule


NOTES_120 = [(0.0, 0.15, 60), (0.2, 0.4, 64), (0.6, 0.8, 67), (1.4, 1.6, 72)]


def test_beat_rule_one_chord_per_occupied_beat():
    table = chords.segment_chords(NOTES_120, 120, rule="beat")      # beat = 0.5 s
    assert [tuple(n) for n in table["notes"]] == [(60, 64), (67,), (72,)]   # beat 2 (1.0-1.5 s) is empty
    assert list(table["start"]) == [0.0, 0.6, 1.4]
    assert list(table["end"]) == [0.4, 0.8, 1.6]
    assert list(table["n_notes"]) == [2, 1, 1]
    # the grid starts at 0: an onset exactly on a beat opens it
    on_grid = chords.segment_chords([(0.0, 0.1, 60), (0.49, 0.6, 62), (0.5, 0.6, 64)], 120, rule="beat")
    assert [tuple(n) for n in on_grid["notes"]] == [(60, 62), (64,)]
    # another tempo, another grid: at 60 bpm (1 s beats) the first three notes share a beat
    slow = chords.segment_chords(NOTES_120, 60, rule="beat")
    assert [tuple(n) for n in slow["notes"]] == [(60, 64, 67), (72,)]


def test_onset_rule_makes_eighth_notes_one_chord_and_the_beat_rule_does_not():
    eighths = [(0.25 * k, 0.25 * k + 0.25, 60 + k) for k in range(8)]   # 120 bpm eighth notes: 2 s
    onset = chords.segment_chords(eighths, 120, rule="onset")
    assert len(onset) == 1 and onset.iloc[0]["n_notes"] == 8
    beat = chords.segment_chords(eighths, 120, rule="beat")
    assert len(beat) == 4
    assert [tuple(n) for n in beat["notes"]] == [(60, 61), (62, 63), (64, 65), (66, 67)]


def test_clip_inputs_crop_or_pad_to_seconds():
    sr = 16_000
    t = np.arange(int(0.5 * sr)) / sr
    short = np.sin(2 * np.pi * 440 * t)
    padded = dsp.zhao_clip_inputs(short, sr, seconds=2.0)
    assert all(x.shape[1] == 44 for x in padded.values())
    # the padding is silence: the last frames of the padded clip are at the dB floor
    assert padded["narrowband"][:, -5:].max() <= padded["narrowband"].min() + 1e-6
    long = np.concatenate([short, np.random.default_rng(0).normal(size=3 * sr)])
    np.testing.assert_allclose(dsp.zhao_clip_inputs(long, sr, seconds=0.5)["gtf"],
                               dsp.zhao_clip_inputs(short, sr)["gtf"])     # cut to the first 0.5 s
    with pytest.raises(InputError, match="seconds"):
        dsp.zhao_clip_inputs(short, sr, seconds=0)


def test_multispec_dnn_beats_the_majority_class_on_the_teaching_clips(module_data_home):
    """The chapter's full model (GTF + MF_RP + chord vectors, teaching size) learns the teaching clips."""
    from mer_lessons import data, splits
    from mer_lessons.papers import zhao as zhao_paper

    clips = data.load("mini", n_clips=120, unit="clip", progress=False)
    inputs = W.clip_windows(clips, dsp.zhao_clip_inputs, progress=False)
    tokens = chords.chord_sequences_from_midi([clips[i]["midi_path"] for i in range(len(clips))], rule="beat",
                                              fallback="pcset")["tokens"].tolist()
    inputs = inputs.with_features("chords", chords.piece_vectors(chords.train_chord2vec(tokens, seed=0), tokens))
    labelled = inputs.with_labels(clips.meta["quadrant"], classes=["Q1", "Q2", "Q3", "Q4"]).standardize(by=None)
    full = [s for s in zhao_paper.table_models() if s.name == zhao_paper.ROW_MODELS["MULTISPEC-DNN"]]
    gains, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)            # one thread: the same sums in the same order on a busy or an idle machine
    try:
        for seed in (0, 1, 2):
            parts = splits.group_split(labelled.meta, by="clip_id", test_size=0.25, val_size=0.25, seed=seed)
            tr, va, te = (labelled.subset(parts[k]) for k in ("train", "val", "test"))
            results, _ = E.compare_models(tr, va, te, specs=full, epochs=60, seed=seed, device="cpu", n_timing=0,
                                          progress=False, train_options={"lr": 3e-3, "patience": 15, "batch_size": 16})
            majority = np.mean(te.y == np.bincount(tr.y).argmax())
            gains.append(results["accuracy"].iloc[0] - majority)
    finally:
        torch.set_num_threads(threads)
    assert np.mean(gains) > 0.08 and min(gains) > -0.05, gains
