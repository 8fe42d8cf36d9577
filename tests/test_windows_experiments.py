"""Tests of mer_lessons.windows, mer_lessons.experiments, mer_lessons.text and the chapter-07
additions to train / models.hao / streaming."""

import os

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import experiments as X
from mer_lessons import streaming as S
from mer_lessons import text, train
from mer_lessons import windows as W
from mer_lessons.models import hao

CLASSES = ["Q1", "Q2", "Q3", "Q4"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    old = os.environ.get("MER_LESSONS_DATA")
    os.environ["MER_LESSONS_DATA"] = str(root)
    yield root
    if old is None:
        os.environ.pop("MER_LESSONS_DATA", None)
    else:
        os.environ["MER_LESSONS_DATA"] = old


@pytest.fixture(scope="module")
def mini(data_root):
    from mer_lessons.data import load
    return load("mini", n_clips=40, n_subjects=3, progress=False)


@pytest.fixture(scope="module")
def wins(mini):
    return W.window_dataset(mini, hop_s=1.0, progress=False)


@pytest.fixture(scope="module")
def labelled(mini, wins):
    return wins.with_labels(mini.meta["quadrant"], classes=CLASSES).standardize("subject")


# --------------------------------------------------------------------------- windows


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
    with pytest.raises(ValueError):
        list(W.cut_windows(item, ["audio"], window_s=0))


def test_window_dataset_shapes_cache_and_meta(mini, wins, data_root):
    n_trials = len(mini)
    assert len(wins) == 4 * n_trials == 480               # 4 s trials, 1 s windows every 1 s
    assert wins.modalities == ["audio", "eeg", "gsr", "ecg", "face"]
    assert wins.dims == S.FEATURE_DIMS and wins.steps == 8
    assert {"trial", "start_s", "id", "subject", "clip_id"} <= set(wins.meta.columns)
    assert sorted(wins.meta["start_s"].unique().tolist()) == [0.0, 1.0, 2.0, 3.0]
    cached = list((data_root / "features" / "mini").glob("windows-*.npz"))
    assert len(cached) == 1
    again = W.window_dataset(mini, hop_s=1.0, progress=False)
    for m in wins.modalities:
        np.testing.assert_array_equal(again.features[m], wins.features[m])
    pd.testing.assert_frame_equal(again.meta, wins.meta)


def test_with_labels_standardize_and_shapes(mini, wins, labelled):
    assert labelled.classes == CLASSES
    trial_labels = mini.meta["quadrant"].to_numpy()[wins.meta["trial"].to_numpy()]
    assert list(labelled.labels) == list(trial_labels)
    assert labelled.y.dtype == np.int64 and set(labelled.y) <= {0, 1, 2, 3}
    for s in labelled.meta["subject"].unique():
        rows = (labelled.meta["subject"] == s).to_numpy()
        x = labelled.features["audio"][rows].reshape(-1, 32)
        np.testing.assert_allclose(x.mean(0), 0, atol=1e-4)
    assert labelled.stacked().shape == (len(labelled), 8, 85)
    assert labelled.summary(["gsr", "ecg"]).shape == (len(labelled), 8)
    assert labelled.select(["eeg"]).modalities == ["eeg"]
    with pytest.raises(ValueError, match="not among classes"):
        wins.with_labels(mini.meta["quadrant"], classes=["Q1", "Q2"])
    with pytest.raises(ValueError, match="no labels"):
        wins.y


def test_torch_dataset_and_feature_scaler(labelled, wins):
    ds = labelled.torch_dataset()
    x, y = ds[0]
    assert set(x) == set(labelled.modalities) and x["audio"].shape == (8, 32) and y.dtype == torch.long
    xs, _ = labelled.torch_dataset(stacked=True)[0]
    assert xs.shape == (8, 85)
    torch.manual_seed(0)
    model = hao.HaoRecognizer(wins.dims, 4, code_dim=4, ae_hidden=8, lstm_hidden=8).eval()
    stats = wins.stats()
    scaler = W.FeatureScaler(model, stats).eval()
    raw = {m: torch.from_numpy(wins.features[m][:5]) for m in wins.modalities}
    by_hand = {m: (raw[m] - torch.from_numpy(stats[m][0])) / torch.from_numpy(stats[m][1]) for m in raw}
    with torch.no_grad():
        torch.testing.assert_close(scaler(raw), model(by_hand))
    assert scaler.modalities == model.modalities and scaler.head is model.head


def test_offline_windows_equal_the_streams_windows(mini):
    """A model trained on window_dataset sees in the stream exactly what it saw in training."""
    seen = []

    class Recorder(torch.nn.Module):
        modalities = list(S.FEATURE_DIMS)

        def __init__(self):
            super().__init__()
            self.head = torch.nn.Linear(1, 4)

        def forward(self, batch):
            seen.append({m: v[0].numpy().copy() for m, v in batch.items()})
            return torch.zeros(1, 4)

    pipe = S.StreamingPipeline(Recorder(), window_s=1.0, hop_s=0.5)
    pipe.run(S.stream_from_dataset(mini, [0]))
    offline = W.window_dataset(mini.subset([0]), hop_s=0.5, cache=False, progress=False)
    assert len(seen) == len(offline) == 7
    for k in range(7):
        for m in S.FEATURE_DIMS:
            np.testing.assert_allclose(seen[k][m], offline.features[m][k], rtol=1e-5, atol=1e-5)


def test_window_features_ppg_and_two_lead_ecg():
    rng = np.random.default_rng(0)
    ecg = rng.normal(size=(2, 256))
    f = S.window_features({"ecg": ecg, "ppg": rng.normal(size=128)}, {"ecg": 256, "ppg": 128})
    assert f["ecg"].shape == (8, 2) and f["ppg"].shape == (8, 2)
    np.testing.assert_allclose(f["ecg"], S.window_features({"ecg": ecg[0]}, {"ecg": 256})["ecg"])


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


# --------------------------------------------------------------------------- text, train, hao additions


def test_tokenize_and_vocabulary():
    assert text.tokenize("Don't STOP, the night!") == ["don't", "stop", "the", "night"]
    with pytest.raises(TypeError):
        text.tokenize(3)
    vocab = text.Vocabulary.build(["b a a", "c a b"])
    assert vocab.words == ["<pad>", "<unk>", "a", "b", "c"]
    tokens, pad = vocab.encode(["a b", "c zebra a", ""])
    assert tokens.tolist() == [[2, 3, 0], [4, 1, 2], [1, 0, 0]]
    assert pad.tolist() == [[False, False, True], [False, False, False], [False, True, True]]
    assert vocab.encode(["a b c"], max_len=2)[0].shape == (1, 2)


def test_dict_dataset_and_lyrics_net_dict_forward():
    torch.manual_seed(0)
    net = hao.LyricsAudioFusionNet(vocab_size=10, n_classes=3, n_mels=8, n_encoder_layers=2).eval()
    tokens = torch.randint(1, 10, (4, 5))
    mel = torch.randn(4, 8, 16)
    ds = train.DictDataset({"tokens": tokens, "padding_mask": tokens == 0, "log_mel": mel}, [0, 1, 2, 0])
    x, y = ds[1]
    assert x["tokens"].shape == (5,) and int(y) == 1
    with torch.no_grad():
        torch.testing.assert_close(net({"tokens": tokens, "padding_mask": tokens == 0, "log_mel": mel}),
                                   net(tokens, tokens == 0, mel))
    history = train.fit(net, ds, epochs=2, batch_size=2, progress=False, device="cpu")
    assert len(history.train_loss) == 2
    with pytest.raises(ValueError, match="rows"):
        train.DictDataset({"a": torch.zeros(3, 2)}, [0, 1])


def test_fit_extra_loss_is_added_and_trains_the_decoders():
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"a": 6, "b": 3}, 2, code_dim=2, ae_hidden=8, lstm_hidden=4)
    x = {"a": torch.randn(64, 4, 6), "b": torch.randn(64, 4, 3)}
    y = torch.randint(0, 2, (64,))
    ds = train.DictDataset(x, y)
    with torch.no_grad():
        before = float(model.reconstruction_loss(x))
    decoder = model.autoencoders["a"].decoder[0].weight.detach().clone()
    train.fit(model, ds, epochs=1, progress=False, device="cpu")
    assert torch.equal(decoder, model.autoencoders["a"].decoder[0].weight)   # no gradient without Eq. 8
    train.fit(model, ds, epochs=20, progress=False, device="cpu", extra_loss=lambda m, xb: m.reconstruction_loss(xb))
    assert not torch.equal(decoder, model.autoencoders["a"].decoder[0].weight)
    with torch.no_grad():
        assert float(model.reconstruction_loss(x)) < 0.97 * before


def test_compact_code_dims_and_dict_codes():
    codes = hao.compact_code_dims({"audio": 32, "eeg": 32, "gsr": 2, "ecg": 2, "face": 17})
    assert codes == {"audio": 8, "eeg": 8, "gsr": 2, "ecg": 2, "face": 4}
    assert hao.compact_code_dims({"x": 1}) == {"x": 1}
    model = hao.HaoRecognizer({"audio": 32, "gsr": 2}, 4, code_dim={"audio": 8, "gsr": 2})
    assert model.lstm.input_size == 10 and model.code_dims == {"audio": 8, "gsr": 2}
    with pytest.raises(ValueError):
        hao.compact_code_dims({"x": 4}, ratio=0)


def test_paper_tables_typed_in():
    assert list(hao.HAO_TABLE4["Configuration"]) == list(hao.ABLATIONS)
    assert hao.ABLATIONS["Full model"] == (True, True, True)
    assert sum(not any(v) for v in hao.ABLATIONS.values()) == 0 and len(hao.ABLATIONS) == 7
    row = hao.HAO_TABLE4.set_index("Configuration").loc["Full model"]
    assert (row["F1 score"], row["G-Mean accuracy"], row["Inference time"]) == (0.91, 89.5, 22.8)


# --------------------------------------------------------------------------- experiments


def test_group_split_keeps_listeners_apart(labelled):
    parts = X.group_split(labelled.meta)
    subjects = {k: set(labelled.meta["subject"].iloc[v]) for k, v in parts.items()}
    assert all(subjects.values())
    assert not (subjects["train"] & subjects["test"]) and not (subjects["val"] & subjects["test"])
    assert not (subjects["train"] & subjects["val"])
    assert sum(len(v) for v in parts.values()) == len(labelled)
    with pytest.raises(ValueError, match=">= 3 groups"):
        X.group_split(labelled.meta[labelled.meta["subject"] != "s01"])


def test_score_accepts_indices_and_names():
    a = X.score([0, 1, 2, 3], [0, 1, 2, 2], CLASSES)
    b = X.score(["Q1", "Q2", "Q3", "Q4"], ["Q1", "Q2", "Q3", "Q3"], CLASSES)
    pd.testing.assert_frame_equal(a, b)
    assert a["accuracy"].iloc[0] == 0.75 and a["g_mean"].iloc[0] == 0.0


@pytest.fixture(scope="module")
def split_sets(labelled):
    """Clip-independent: 28 clips train, 4 validate, 8 test (every listener on each side)."""
    clip = labelled.meta["clip_id"].str.extract(r"(\d+)$")[0].astype(int).to_numpy()
    return labelled.subset(clip < 28), labelled.subset((clip >= 28) & (clip < 32)), labelled.subset(clip >= 32)


@pytest.fixture(scope="module")
def compared(split_sets):
    specs = [s for s in X.TABLE3_MODELS if s.name.startswith(("Bi-LSTM", "GRU", "k-NN"))]
    return X.compare_models(*split_sets, specs=specs, epochs=25, n_timing=3, progress=False, device="cpu")


def test_full_model_beats_chance_on_the_teaching_data(compared, split_sets):
    results, models = compared
    train_set, _, test_set = split_sets
    majority = pd.Series(train_set.labels).value_counts().idxmax()
    chance = float(np.mean(test_set.labels == majority))
    ours = results.loc["Bi-LSTM + fusion (ours, Hao et al.)"]
    assert ours["accuracy"] > chance + 0.05, (ours["accuracy"], chance)
    assert results.loc["GRU on log-mel", "inputs"] == "audio"
    assert ours["parameters"] > 0 and ours["latency_ms"] > 0 and np.isnan(results.loc["k-NN", "parameters"])


def test_audio_model_without_audio_says_what_it_read(split_sets):
    """DEAP/AMIGOS have no audio: the "GRU on log-mel" row reads the first modality and its name says so."""
    body = [m for m in split_sets[0].modalities if m != "audio"]
    sets = [part.select(body) for part in split_sets]
    specs = [s for s in X.TABLE3_MODELS if s.name == "GRU on log-mel"]
    results, models = X.compare_models(*sets, specs=specs, epochs=1, n_timing=2, progress=False, device="cpu")
    name = f"GRU on log-mel [no audio: {body[0]}]"
    assert list(results.index) == [name] and list(models) == [name]
    assert results.loc[name, "inputs"] == body[0] and results.loc[name, "paper_row"] == "GRU + Spectrogram features"


def test_table3_beside_paper_lists_every_paper_row(compared):
    table = X.table3_beside_paper(compared[0])
    assert len(table) == 14 and (table["ours"] == "not built").sum() == 11
    assert table.loc["Our model (Bi-LSTM + Feature fusion)", "Accuracy % (paper)"] == 87.5
    assert table.loc["K-Nearest neighbors", "ours"] == "k-NN"


def test_ablation_on_a_stream(mini, wins, compared, split_sets):
    models = compared[1]
    train_set, val_set, _ = split_sets
    variants = {(True, True): models["Bi-LSTM + fusion (ours, Hao et al.)"]}
    for key in [(False, True), (True, False), (False, False)]:
        torch.manual_seed(0)
        variants[key] = hao.HaoRecognizer(train_set.dims, 4, code_dim=4, use_bilstm=key[0], use_fusion=key[1])
    stats = {s: wins.subset((wins.meta["subject"] == s).to_numpy()).stats() for s in ("s03",)}
    trials_ = [int(t) for t in np.flatnonzero(mini.meta["subject"] == "s03")[:3]]
    table, per_window = X.ablation_study(variants, mini, trials_, classes=CLASSES, stats_by_subject=stats,
                                         sampler_factory=lambda: hao.DynamicSampler(sr=16_000), progress=False)
    assert list(table.index) == list(hao.ABLATIONS)
    off = [k for k, v in hao.ABLATIONS.items() if not v[2]]
    assert (table.loc[off, "share_saved"] == 0).all()
    assert (table["windows"] == 23).all()                 # 12 s of stream, a 1 s window every 0.5 s
    assert per_window["Without feature fusion"]["label"].isin(CLASSES).all()
    beside = X.table4_beside_paper(table)
    assert beside.loc["Full model", "F1 score (paper)"] == 0.91
    assert 0 <= beside.loc["Full model", "G-Mean accuracy (ours)"] <= 100


def test_prequential_modes(compared, split_sets):
    model = compared[1]["Bi-LSTM + fusion (ours, Hao et al.)"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    stream = split_sets[2].subset(np.arange(48))
    frozen = X.prequential_run(model, stream, mode="frozen")
    again = X.prequential_run(model, stream, mode="frozen")
    pd.testing.assert_frame_equal(frozen, again)
    learning = X.prequential_run(model, stream, mode="incremental")
    assert not learning["pred"].equals(frozen["pred"])     # updates change later predictions
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())   # caller's model untouched
    assert len(X.rolling_accuracy(frozen, 10)) == len(stream)
    with pytest.raises(ValueError, match="mode"):
        X.prequential_run(model, stream, mode="sometimes")


def test_prequential_learns_a_listeners_bias():
    """A frozen model that ignores a listener's bias is beaten by small-batch updates."""
    rng = np.random.default_rng(0)
    n_trials, per = 60, 4
    x = rng.normal(size=(n_trials * per, 4, 3)).astype(np.float32)
    signal = x[:, :, 0].mean(1)
    y = (signal + 1.0 > 0).astype(int)                  # this listener says "high" far more often
    meta = pd.DataFrame({"trial": np.repeat(np.arange(n_trials), per), "subject": "s09"})
    stream = W.WindowSet({"a": x}, meta, labels=np.array(["lo", "hi"], dtype=object)[y], classes=["lo", "hi"])
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"a": 3}, 2, code_dim=3, ae_hidden=8, lstm_hidden=8)
    pre = W.WindowSet({"a": x}, meta, labels=np.array(["lo", "hi"], dtype=object)[(signal > 0).astype(int)],
                      classes=["lo", "hi"])
    X.train_window_model(model, pre, epochs=10, patience=None, device="cpu", seed=0)
    frozen = X.prequential_run(model, stream, mode="frozen")["correct"].mean()
    online = X.prequential_run(model, stream, mode="incremental", adapter_options={"lr": 3e-3})["correct"].mean()
    assert online > frozen + 0.05, (frozen, online)
