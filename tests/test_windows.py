"""Tests of mer_lessons.windows: cutting trials into windows, featurizers, WindowSet, FeatureScaler,
and that the stream (mer_lessons.streaming) sees the same windows."""

import functools

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import streaming as S
from mer_lessons import windows as W
from mer_lessons.models import hao
from mer_lessons.validation import InputError

CLASSES = ["Q1", "Q2", "Q3", "Q4"]


def test_cut_windows_counts_and_slices():
    sr = 100
    item = {"audio": np.arange(350, dtype=float), "sr": sr, "gsr": np.arange(35, dtype=float), "gsr_sr": 10,
            "face": np.arange(14)[:, None, None] * np.ones((1, 4, 4)), "face_fps": 4}
    cut = list(W.cut_windows(item, ["audio", "gsr", "face"], window_s=1.0, hop_s=0.5))
    assert [s for s, _ in cut] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]        # 3.5 s: whole 1 s windows only
    start, win = cut[1]
    np.testing.assert_array_equal(win["audio"], np.arange(50, 150))
    np.testing.assert_array_equal(win["gsr"], np.arange(5, 15))
    assert win["face"][:, 0, 0].tolist() == [2, 3, 4, 5]                 # frames starting in [0.5, 1.5)
    with pytest.raises(KeyError, match="ecg"):
        list(W.cut_windows(item, ["ecg"]))
    with pytest.raises(InputError, match="window_s"):
        list(W.cut_windows(item, ["audio"], window_s=0))


def test_window_dataset_shapes_cache_and_meta(teaching_trials, teaching_windows, module_data_home):
    n_trials = len(teaching_trials)
    assert len(teaching_windows) == 4 * n_trials == 480               # 4 s trials, 1 s windows every 1 s
    assert teaching_windows.modalities == ["audio", "eeg", "gsr", "ecg", "face"]
    assert teaching_windows.dims == W.FEATURE_DIMS and teaching_windows.steps == 8
    assert {"trial", "start_s", "id", "subject", "clip_id"} <= set(teaching_windows.meta.columns)
    assert sorted(teaching_windows.meta["start_s"].unique().tolist()) == [0.0, 1.0, 2.0, 3.0]
    cached = list((module_data_home / "features" / "mini").glob("windows-*.npz"))
    assert len(cached) == 1
    again = W.window_dataset(teaching_trials, hop_s=1.0, progress=False)
    for m in teaching_windows.modalities:
        np.testing.assert_array_equal(again.features[m], teaching_windows.features[m])
    pd.testing.assert_frame_equal(again.meta, teaching_windows.meta)


def test_a_featurizer_plugs_in_and_gets_its_own_cache(teaching_trials, module_data_home):
    """Windows take any featurizer (a paper's own recipe); its options are part of the cache key."""
    calls = []

    def energy(window, rates, *, steps):
        calls.append(1)
        return {m: np.stack([np.full(1, float(np.mean(np.square(np.asarray(p, dtype=float)))))
                             for p in np.array_split(np.asarray(x, dtype=float).reshape(-1), steps)])
                for m, x in window.items() if m != "face"}

    small = teaching_trials.subset(range(4))
    out = W.window_dataset(small, modalities=["audio", "gsr"], hop_s=1.0, steps=4, featurizer=energy,
                           progress=False)
    assert out.dims == {"audio": 1, "gsr": 1} and out.steps == 4 and len(calls) == len(out) == 16
    again = W.window_dataset(small, modalities=["audio", "gsr"], hop_s=1.0, steps=4, featurizer=energy,
                             progress=False)
    assert len(calls) == 16                                # read back from its cache
    np.testing.assert_array_equal(again.features["audio"], out.features["audio"])
    wider = W.window_dataset(small, modalities=["audio"], hop_s=1.0, progress=False,
                             featurizer=functools.partial(W.window_features, n_mels=16))
    assert wider.dims == {"audio": 16}
    assert W.featurizer_key(functools.partial(W.window_features, n_mels=16)).endswith("window_features(n_mels=16)")
    with pytest.raises(TypeError, match="featurizer"):
        W.window_dataset(small, featurizer="log-mel", progress=False)


def test_streaming_imports_windows_not_the_reverse():
    import ast
    import inspect

    def imported(module):
        tree = ast.parse(inspect.getsource(module))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    assert not any("streaming" in n for n in imported(W))
    assert "mer_lessons.windows" in imported(S)
    assert not any("models" in n for n in imported(S))     # no paper's model built into the stream
    assert not hasattr(S, "default_model")


def test_with_labels_standardize_and_shapes(teaching_trials, teaching_windows, labelled_windows):
    assert labelled_windows.classes == CLASSES
    trial_labels = teaching_trials.meta["quadrant"].to_numpy()[teaching_windows.meta["trial"].to_numpy()]
    assert list(labelled_windows.labels) == list(trial_labels)
    assert labelled_windows.y.dtype == np.int64 and set(labelled_windows.y) <= {0, 1, 2, 3}
    for s in labelled_windows.meta["subject"].unique():
        rows = (labelled_windows.meta["subject"] == s).to_numpy()
        x = labelled_windows.features["audio"][rows].reshape(-1, 32)
        np.testing.assert_allclose(x.mean(0), 0, atol=1e-4)
    assert labelled_windows.stacked().shape == (len(labelled_windows), 8, 85)
    assert labelled_windows.summary(["gsr", "ecg"]).shape == (len(labelled_windows), 8)
    assert labelled_windows.select(["eeg"]).modalities == ["eeg"]
    with pytest.raises(ValueError, match="not among classes"):
        teaching_windows.with_labels(teaching_trials.meta["quadrant"], classes=["Q1", "Q2"])
    with pytest.raises(ValueError, match="no labels"):
        teaching_windows.y


def test_torch_dataset_and_feature_scaler(labelled_windows, teaching_windows):
    ds = labelled_windows.torch_dataset()
    x, y = ds[0]
    assert set(x) == set(labelled_windows.modalities) and x["audio"].shape == (8, 32) and y.dtype == torch.long
    xs, _ = labelled_windows.torch_dataset(stacked=True)[0]
    assert xs.shape == (8, 85)
    torch.manual_seed(0)
    model = hao.HaoRecognizer(teaching_windows.dims, 4, code_dim=4, ae_hidden=8, lstm_hidden=8).eval()
    stats = teaching_windows.stats()
    scaler = W.FeatureScaler(model, stats).eval()
    raw = {m: torch.from_numpy(teaching_windows.features[m][:5]) for m in teaching_windows.modalities}
    by_hand = {m: (raw[m] - torch.from_numpy(stats[m][0])) / torch.from_numpy(stats[m][1]) for m in raw}
    with torch.no_grad():
        torch.testing.assert_close(scaler(raw), model(by_hand))
    assert scaler.modalities == model.modalities and scaler.head is model.head


def test_offline_windows_equal_the_streams_windows(teaching_trials):
    """A model trained on window_dataset sees in the stream exactly what it saw in training."""
    seen = []

    class Recorder(torch.nn.Module):
        modalities = list(W.FEATURE_DIMS)

        def __init__(self):
            super().__init__()
            self.head = torch.nn.Linear(1, 4)

        def forward(self, batch):
            seen.append({m: v[0].numpy().copy() for m, v in batch.items()})
            return torch.zeros(1, 4)

    pipe = S.StreamingPipeline(Recorder(), window_s=1.0, hop_s=0.5)
    pipe.run(S.stream_from_dataset(teaching_trials, [0]))
    offline = W.window_dataset(teaching_trials.subset([0]), hop_s=0.5, cache=False, progress=False)
    assert len(seen) == len(offline) == 7
    for k in range(7):
        for m in W.FEATURE_DIMS:
            np.testing.assert_allclose(seen[k][m], offline.features[m][k], rtol=1e-5, atol=1e-5)


def test_window_features_ppg_and_two_lead_ecg():
    rng = np.random.default_rng(0)
    ecg = rng.normal(size=(2, 256))
    f = W.window_features({"ecg": ecg, "ppg": rng.normal(size=128)}, {"ecg": 256, "ppg": 128})
    assert f["ecg"].shape == (8, 2) and f["ppg"].shape == (8, 2)
    np.testing.assert_allclose(f["ecg"], W.window_features({"ecg": ecg[0]}, {"ecg": 256})["ecg"])
    with pytest.raises(InputError, match="steps"):
        W.window_features({"ecg": ecg[0]}, {"ecg": 256}, steps=0)


def test_window_features_shapes():
    rng = np.random.default_rng(0)
    r = W.MINI_RATES
    win = {"audio": rng.normal(size=int(r["audio"])) * 0.1, "eeg": rng.normal(size=(8, int(r["eeg"]))),
           "gsr": rng.normal(size=int(r["gsr"])), "ecg": rng.normal(size=int(r["ecg"])),
           "face": rng.integers(0, 255, size=(4, 48, 48), dtype=np.uint8)}
    feats = W.window_features(win, r, steps=8)
    for m, d in W.FEATURE_DIMS.items():
        assert feats[m].shape == (8, d) and feats[m].dtype == np.float32
    empty_face = W.window_features({"face": np.zeros((0, 48, 48), np.uint8)}, r, steps=4)
    assert empty_face["face"].shape == (4, 17) and not empty_face["face"].any()


def test_pipeline_takes_the_featurizer_the_model_was_trained_with():
    class Mean(torch.nn.Module):
        modalities = ["gsr"]

        def __init__(self):
            super().__init__()
            self.head = torch.nn.Linear(1, 2)
            self.seen = []

        def forward(self, batch):
            self.seen.append(batch["gsr"].shape)
            return torch.zeros(1, 2)

    def level(window, rates, *, steps):
        return {"gsr": np.full((steps, 1), float(np.mean(window["gsr"])), np.float32)}

    model = Mean()
    pipe = S.StreamingPipeline(model, featurizer=level, steps=3, label_names=["lo", "hi"])
    pipe.run(S.stream_from_arrays({"gsr": np.ones(32 * 3)}, {"gsr": 32}))
    assert model.seen and all(s == (1, 3, 1) for s in model.seen)


def test_pipeline_sampler_on_eeg_without_audio():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"eeg": 32, "gsr": 2}, 2, code_dim=4, ae_hidden=8, lstm_hidden=8)
    steady = np.tile(np.sin(2 * np.pi * 10 * np.arange(128 * 20) / 128), (8, 1))
    signals_ = {"eeg": steady + 0.01 * rng.normal(size=steady.shape), "gsr": rng.normal(size=32 * 20)}
    sampler = hao.DynamicSampler(sr=128, n_fft=32, hop_length=16)
    pipe = S.StreamingPipeline(model, sampler=sampler, label_names=["lo", "hi"])
    assert pipe.sampler_on == "eeg"
    report = pipe.run(S.stream_from_arrays(signals_, {"eeg": 128, "gsr": 32}))
    assert 0 < report.summary()["processed"] < len(report.windows)
    with pytest.raises(ValueError, match="sampler_on"):
        S.StreamingPipeline(model, sampler=sampler, sampler_on="face")
