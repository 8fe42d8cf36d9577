"""Chapter 11's glue: audio inputs, the fitted fusion + selection step, and ModelSpec.prepare."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import audiovisual, dsp, evaluation, signals, windows
from mer_lessons.validation import InputError
from mer_lessons.windows import WindowSet


def _tone(sr=16000, seconds=1.0, f=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return 0.5 * np.sin(2 * np.pi * f * t)


def test_peak_normalise_sets_the_peak_and_keeps_silence():
    y = np.array([0.1, -0.4, 0.2])
    out = dsp.peak_normalise(y, peak=0.8)
    assert np.max(np.abs(out)) == pytest.approx(0.8)
    assert np.allclose(out / out[1], y / y[1])                  # a pure gain
    assert np.array_equal(dsp.peak_normalise(np.zeros(4)), np.zeros(4))
    with pytest.raises(InputError, match="peak"):
        dsp.peak_normalise(y, peak=0)


def test_add_noise_lead_in_is_noise_alone_then_the_signal():
    y = _tone(seconds=0.5)
    out = signals.add_noise(y, 10.0, seed=3, lead_in=800)
    assert out.shape == (800 + y.size,)
    noise = out - np.concatenate([np.zeros(800), y])
    snr = 10 * np.log10(np.mean(y ** 2) / np.mean(noise ** 2))
    assert snr == pytest.approx(10.0, abs=1e-3)
    assert np.array_equal(signals.add_noise(y, 10.0, seed=3)[: y.size].shape, y.shape)
    with pytest.raises(ValueError, match="lead_in"):
        signals.add_noise(y, 10.0, lead_in=-1)


def test_spectral_subtraction_in_the_audio_frames_removes_noise():
    sr = 16000
    clean = _tone(sr, 1.0)
    noisy = signals.add_noise(clean, 5.0, seed=0, lead_in=sr // 2)
    quiet = signals.add_noise(clean, 60.0, seed=0, lead_in=sr // 2)      # nearly clean, same length
    ref = dsp.kirar_audio_frames(quiet, sr, steps=None, spectral_subtraction=False)
    with_ss = dsp.kirar_audio_frames(noisy, sr, steps=None)
    without = dsp.kirar_audio_frames(noisy, sr, steps=None, spectral_subtraction=False)
    # away from the tone, spectral subtraction lowers the noise floor towards the clean one
    bands = np.abs(dsp.mel_frequencies(40 + 2, 0, sr / 2)[1:-1] - 440) > 200
    assert with_ss[bands].mean() < without[bands].mean() - 6
    assert abs(with_ss[bands].mean() - ref[bands].mean()) < abs(without[bands].mean() - ref[bands].mean())


def test_kirar_audio_frames_shapes_pooling_and_errors():
    y = _tone(seconds=1.0)
    full = dsp.kirar_audio_frames(y, 16000, steps=None, spectral_subtraction=False)
    pooled = dsp.kirar_audio_frames(y, 16000, steps=4, spectral_subtraction=False)
    assert full.shape == (40, 1 + y.size // 160) and pooled.shape == (40, 4)
    groups = np.array_split(np.arange(full.shape[1]), 4)
    assert np.allclose(pooled[:, 0], full[:, groups[0]].mean(axis=1))
    with pytest.raises(InputError, match="steps"):
        dsp.kirar_audio_frames(y[:320], 16000, steps=8, spectral_subtraction=False)


def test_trial_audio_inputs_is_seeded_by_the_item_and_gives_both_inputs():
    item = {"id": "c001_s02", "audio": _tone(seconds=1.0), "sr": 16000}
    a, b = audiovisual.trial_audio_inputs(item), audiovisual.trial_audio_inputs(item)
    assert set(a) == {"audio", "audio_no_ss"} and a["audio"].shape == (40, 8)
    assert np.array_equal(a["audio"], b["audio"])
    other = audiovisual.trial_audio_inputs({**item, "id": "c001_s03"})
    assert not np.array_equal(a["audio_no_ss"], other["audio_no_ss"])      # other trial, other noise
    clean = audiovisual.trial_audio_inputs(item, snr_db=None)
    assert not np.array_equal(clean["audio_no_ss"], a["audio_no_ss"])
    with pytest.raises(InputError, match="item"):
        audiovisual.trial_audio_inputs({"id": "x"})


class _Items:
    name = "items"

    def __init__(self, n):
        self.meta = pd.DataFrame({"id": [f"t{i}" for i in range(n)], "clip_id": [f"c{i // 2}" for i in range(n)]})

    def __len__(self):
        return len(self.meta)

    def __getitem__(self, i):
        return {"id": self.meta["id"][i], "audio": _tone(seconds=0.5, f=200 + 50 * i), "sr": 16000}


def test_clip_windows_reads_whole_items():
    ds = _Items(4)
    ws = windows.clip_windows(ds, audiovisual.trial_audio_inputs, reads="item", cache=False, progress=False)
    assert ws.features["audio"].shape == (4, 8, 40) and ws.features["audio_no_ss"].shape == (4, 8, 40)
    assert list(ws.meta["clip_id"]) == ["c0", "c0", "c1", "c1"]
    with pytest.raises(InputError, match="reads"):
        windows.clip_windows(ds, audiovisual.trial_audio_inputs, reads="items", cache=False)


def test_fit_autoencoder_learns_a_low_dimensional_signal():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 2))
    X = (z @ rng.normal(size=(2, 10))).astype(np.float32)
    X = (X - X.mean(0)) / X.std(0)
    ae, history = audiovisual.fit_autoencoder(X[:300], 2, X_val=X[300:], epochs=80, seed=0)
    with torch.no_grad():
        err = float(torch.mean((ae(torch.from_numpy(X[300:])) - torch.from_numpy(X[300:])) ** 2))
    assert err < 0.15                                             # a rank-2 signal through 2 codes
    assert history.train_loss[-1] < history.train_loss[0]
    with pytest.raises(InputError, match="X"):
        audiovisual.fit_autoencoder(np.zeros(5), 2)


def _windows(n=90, steps=4, seed=0, marker=None):
    rng = np.random.default_rng(seed)
    y = np.array(["happy", "sad", "surprise"])[np.arange(n) % 3]
    audio = rng.normal(size=(n, steps, 6)).astype(np.float32)
    face = rng.normal(size=(n, steps, 5)).astype(np.float32)
    audio[:, :, 0] += 2.0 * (np.arange(n) % 3)[:, None]          # one informative audio feature
    meta = pd.DataFrame({"trial": np.arange(n), "clip_id": [f"c{i}" for i in range(n)], "subject": "s"})
    return WindowSet({"audio": audio, "face": face}, meta, labels=y.astype(object), classes=["happy", "sad", "surprise"])


def test_fused_selection_without_selector_concatenates_codes_and_faces():
    ws = _windows()
    step = audiovisual.FusedSelection(inputs=("audio", "face"), codes={"audio": 3}, selector=None,
                                      autoencoder_options={"epochs": 5})
    fitted = step.fit(ws.subset(np.arange(60)), ws.subset(np.arange(60, 75)), seed=0)
    out = fitted.transform(ws.subset(np.arange(75, 90)))
    assert out.modalities == ["fused"] and out.features["fused"].shape == (15, 4, 3 + 5)
    assert list(fitted.names[:4]) == ["audio code 0", "audio code 1", "audio code 2", "face 0"]
    assert fitted.selection is None and fitted.mask.all()
    train_out = fitted.transform(ws.subset(np.arange(60)))
    assert np.allclose(train_out.features["fused"].reshape(-1, 8).mean(0), 0, atol=1e-5)   # z-scored on train
    with pytest.raises(InputError, match="codes"):
        audiovisual.FusedSelection(inputs=("face",), codes={"audio": 3})
    with pytest.raises(InputError, match="selector"):
        audiovisual.FusedSelection(inputs=("face",), selector="bees")


def test_fused_selection_selects_the_informative_feature():
    pytest.importorskip("mer_lessons.selection")
    ws = _windows(n=150)
    step = audiovisual.FusedSelection(inputs=("audio", "face"), selector="zebra",
                                      selector_options={"population": 8, "iterations": 8})
    fitted = step.fit(ws.subset(np.arange(100)), ws.subset(np.arange(100, 130)), seed=0)
    assert "audio 0" in set(fitted.selected)
    assert fitted.transform(ws).features["fused"].shape[-1] == fitted.mask.sum()


class _Spy:
    """A prepare step that records the windows it is fitted on."""

    def __init__(self):
        self.seen = []

    def fit(self, train_set, val_set, seed):
        self.seen.append(set(train_set.meta["clip_id"]) | set(val_set.meta["clip_id"]))
        return self

    def transform(self, windows):
        return WindowSet({"fused": windows.stacked()}, windows.meta, {}, windows.labels, windows.classes)


def test_compare_models_fits_prepare_on_train_and_val_only_once_per_split():
    ws = _windows()
    spy = _Spy()
    make = lambda in_dim, n: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * in_dim, n))  # noqa: E731
    specs = [evaluation.ModelSpec("a", "sequence", make, inputs=("fused",), prepare=spy),
             evaluation.ModelSpec("b", "sequence", make, inputs=("fused",), prepare=spy)]
    study = evaluation.repeated_comparison(ws, specs, 2, by="clip_id", test_size=0.25, val_size=0.25, epochs=2,
                                           device="cpu", progress=False)
    assert len(spy.seen) == 2                                     # one fit per split, shared by both specs
    for r, seen in zip(range(2), spy.seen):
        test_clips = set(ws.meta["clip_id"].to_numpy()[study.parts_by_repeat[r]["test"]])
        assert seen and not (seen & test_clips)
    assert study.models["a"].preparation is spy
    assert "prepare_s" in study.per_repeat.columns
    with pytest.raises(TypeError, match="prepare"):
        evaluation.ModelSpec("c", "sequence", make, prepare=object())


def test_log_mel_to_audio_keeps_the_pitch_of_a_tone():
    sr = 16000
    y = _tone(sr, 1.0, f=1000.0)
    S_db = dsp.kirar_audio_frames(y, sr, steps=None, spectral_subtraction=False)
    back = audiovisual.log_mel_to_audio(S_db, sr, n_iter=8)
    spectrum = np.abs(np.fft.rfft(back[2000:14000]))
    peak = np.fft.rfftfreq(12000, 1 / sr)[np.argmax(spectrum)]
    assert abs(peak - 1000) < 150                      # within a mel band of the tone
    with pytest.raises(InputError, match="S_db"):
        audiovisual.log_mel_to_audio(np.zeros(5), sr)


def test_face_features_reads_a_face_network_through_its_embedding():
    class FaceNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(16, 3)

        def preprocess(self, images):
            return torch.as_tensor(np.asarray(images)[:, ::2, ::2].reshape(len(images), -1), dtype=torch.float32)

        def embedding(self, x):
            return self.w(x)

    images = np.random.default_rng(0).random((2, 3, 8, 8)).astype(np.float32)
    out = audiovisual.face_features(images, FaceNet())
    assert out.shape == (2, 3, 3)
    with pytest.raises(InputError, match="images"):
        audiovisual.face_features(images[0], FaceNet())


def test_pooled_confusion_counts_every_test_window_of_every_repeat():
    ws = _windows()
    step = audiovisual.FusedSelection(inputs=("audio", "face"), selector=None)
    make = lambda in_dim, n: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * in_dim, n))  # noqa: E731
    spec = evaluation.ModelSpec("flat", "sequence", make, inputs=("fused",), prepare=step)
    study = evaluation.repeated_comparison(ws, [spec], 2, by="clip_id", test_size=0.25, val_size=0.25, epochs=3,
                                           device="cpu", progress=False, keep=["flat"])
    table = evaluation.pooled_confusion(study, spec, ws)
    n_test = sum(len(p["test"]) for p in study.parts_by_repeat.values())
    assert list(table.index) == ws.classes and list(table.columns) == ws.classes
    assert int(table.to_numpy().sum()) == n_test
    truth = pd.Series(np.concatenate([ws.labels[p["test"]] for p in study.parts_by_repeat.values()])).value_counts()
    assert table.sum(axis=1).to_dict() == {c: truth.get(c, 0) for c in ws.classes}
    with pytest.raises(KeyError, match="keep"):
        evaluation.pooled_confusion(evaluation.repeated_comparison(ws, [spec], 1, by="clip_id", epochs=1,
                                                                   device="cpu", progress=False), spec, ws)


def test_repeated_selection_compares_selectors_at_equal_budgets():
    ws = _windows(n=150)
    step = audiovisual.FusedSelection(inputs=("audio", "face"), selector=None)
    out = evaluation.repeated_selection(ws, step, 2, by="clip_id", test_size=0.25, val_size=0.25, progress=False,
                                        population=6, iterations=4)
    assert set(out.summary.index) == {"none", "random search", "genetic", "zebra"}
    budget = 6 * (1 + 2 * 4)
    assert (out.summary.loc[["random search", "genetic", "zebra"], "evaluations"] == budget).all()
    assert out.summary.loc["none", "n_features"] == 11 and list(out.names[:2]) == ["audio 0", "audio 1"]
    assert set(out.results) == {0, 1} and out.results[0]["zebra"].mask.shape == (11,)
    with pytest.raises(ValueError, match="without a selector"):
        evaluation.repeated_selection(ws, audiovisual.FusedSelection(inputs=("face",)), 1)


def test_face_step_images_crop_the_drawn_face_once_per_item():
    pytest.importorskip("cv2")
    from mer_lessons.data import listener

    rng = np.random.default_rng(0)

    class Faces:
        meta = pd.DataFrame({"id": ["a", "b"]})

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"id": f"t{i}", "face": listener.draw_faces(7.0, 6.0, seconds=2.0, fps=4, rng=rng)}

    images, found = audiovisual.face_step_images(Faces(), steps=3, size=32)
    assert images.shape == (2, 3, 32, 32) and found.all()
    assert 0.0 <= images.min() and images.max() <= 1.0
    plain, none = audiovisual.face_step_images(Faces(), steps=3, size=32, detect=False)
    assert not none.any()


def test_confusion_and_metric_bar_plots_draw_what_they_are_given():
    import matplotlib

    matplotlib.use("Agg")
    from mer_lessons import plots

    table = pd.DataFrame([[3, 1], [0, 4]], index=["a", "b"], columns=["a", "b"])
    ax = plots.confusion_matrix(table, title="t")
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "4"]
    with pytest.raises(ValueError, match="square"):
        plots.confusion_matrix(table.iloc[:1])
    summary = pd.DataFrame({"accuracy": [0.5, 0.6], "accuracy_low": [0.4, np.nan], "accuracy_high": [0.6, np.nan]},
                           index=["m1", "m2"])
    ax = plots.metric_bars(summary, ["accuracy"], paper=pd.DataFrame({"accuracy": [0.9]}, index=["m1"]))
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [0.5, 0.6]
    with pytest.raises(KeyError, match="f1"):
        plots.metric_bars(summary, ["f1"])


def test_soundnet_input_pretraining_and_vectors():
    from mer_lessons.models import liu

    y = _tone(16000, 1.0)
    x = audiovisual.soundnet_input(y, 16000, seconds=2.0)
    assert x.shape == (1, 44100)                                   # 2 s at 22,050 Hz, zero-padded
    assert float(x.abs().max()) == pytest.approx(0.5 * 256, rel=0.02) and float(x[0, 30000:].abs().max()) == 0.0
    audios = [_tone(16000, 1.0, f=f) for f in (200, 400, 800, 1600)]
    targets = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
    torch.manual_seed(0)
    model = liu.SoundNet(width=0.25, n_outputs=1)
    model, history = audiovisual.pretrain_soundnet(model, audios, 16000, targets, seconds=1.0, epochs=15, batch_size=4)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert not model.training
    v = audiovisual.soundnet_vectors(model, audios[0], 16000, seconds=1.0)
    assert v.ndim == 1 and np.isfinite(v).all()
    with pytest.raises(InputError, match="targets"):
        audiovisual.pretrain_soundnet(model, audios, 16000, targets[:2])


def test_per_clip_vectors_compute_each_clip_once():
    ds = _Items(4)
    calls = []

    def featurize(y, sr):
        calls.append(len(y))
        return {"mean": np.array([y.mean(), y.std()])}

    out = audiovisual.per_clip_vectors(ds, featurize)
    assert out["mean"].shape == (4, 1, 2) and len(calls) == 2           # two clips, c0 and c1
    assert np.array_equal(out["mean"][0], out["mean"][1])
    assert audiovisual.per_clip_vectors(ds, featurize, by=None)["mean"].shape == (4, 1, 2)
    assert len(calls) == 6                                              # by=None: once per item
