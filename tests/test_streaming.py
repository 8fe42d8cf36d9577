"""Tests of mer_lessons.streaming: ring buffer, stream sources, pipeline (window features: test_windows.py)."""

import numpy as np
import pytest
import torch

from mer_lessons import signals
from mer_lessons import streaming as S
from mer_lessons import windows as W
from mer_lessons.models.hao import DynamicSampler, HaoRecognizer


@pytest.fixture(scope="module")
def mini(module_data_home):
    from mer_lessons.data import load
    return load("mini", n_clips=8, n_subjects=2, progress=False)


def small_model(n_classes=4):
    torch.manual_seed(0)
    return HaoRecognizer(dict(W.FEATURE_DIMS), n_classes, code_dim=8, ae_hidden=16, lstm_hidden=16)


def synthetic(seconds_steady=4.0, seed=0):
    sr = 16_000
    y = np.concatenate([signals.chord((60, 64, 67), sr, seconds_steady), signals.calm_then_turbulent(sr, 6.0)])
    dur = len(y) / sr
    rng = np.random.default_rng(seed)
    return {"audio": y, "eeg": rng.normal(size=(8, int(dur * 128))), "gsr": rng.normal(size=int(dur * 32)),
            "ecg": rng.normal(size=int(dur * 256)),
            "face": rng.integers(0, 255, (int(dur * 4), 48, 48), dtype=np.uint8)}


def test_ring_buffer_wraps_and_reads_latest():
    rb = S.RingBuffer(5)
    rb.push(np.arange(3))
    assert len(rb) == 3 and list(rb.latest(3)) == [0, 1, 2]
    rb.push(np.arange(3, 7))                    # wraps
    assert len(rb) == 5 and rb.total == 7
    assert list(rb.latest(5)) == [2, 3, 4, 5, 6]
    assert list(rb.latest(2)) == [5, 6]
    assert list(rb.latest(2, skip=1)) == [4, 5]
    with pytest.raises(ValueError, match="capacity"):
        rb.push(np.arange(6))
    with pytest.raises(ValueError, match="buffered"):
        rb.latest(6)
    multi = S.RingBuffer(4, channels=2)
    multi.push(np.array([[1, 2, 3], [10, 20, 30]]))
    multi.push(np.array([[4, 5], [40, 50]]))
    np.testing.assert_array_equal(multi.latest(3), [[3, 4, 5], [30, 40, 50]])
    with pytest.raises(ValueError):
        multi.push(np.arange(3))


def test_stream_from_dataset_chunks_and_counts(mini):
    chunks = list(S.stream_from_dataset(mini, [0, 1], chunk_s=0.1))
    items = [mini[0], mini[1]]
    dur = [len(it["audio"]) / it["sr"] for it in items]
    assert len(chunks) == sum(int(np.ceil(d / 0.1 - 1e-9)) for d in dur)
    assert chunks[0]["t"] == 0 and np.isclose(chunks[-1]["t"], dur[0] + dur[1] - 0.1)
    for m, axis in [("audio", -1), ("eeg", -1), ("gsr", -1), ("ecg", -1), ("face", 0)]:
        got = sum(np.asarray(c[m]).shape[axis] for c in chunks)
        want = sum(np.asarray(it[m]).shape[axis] for it in items)
        assert got == want, m
    assert chunks[0]["eeg"].shape[0] == 8
    assert chunks[0]["label"] == items[0]["labels"]["quadrant"]
    # audio chunks of exactly 0.1 s
    assert chunks[1]["audio"].shape == (1600,)
    # back to back: the audio stream is the concatenation
    np.testing.assert_array_equal(np.concatenate([c["audio"] for c in chunks]),
                                  np.concatenate([it["audio"] for it in items]))


def test_pipeline_all_windows_without_sampler_fewer_with():
    sig = synthetic()
    full = S.StreamingPipeline(small_model(), window_s=1.0, hop_s=0.5)
    rep = full.run(S.stream_from_arrays(sig, W.MINI_RATES, chunk_s=0.1, label="Q1"))
    s = rep.summary()
    n_expected = int((10.0 - 1.0) / 0.5) + 1
    assert s["windows"] == n_expected == s["processed"] and s["skipped"] == 0
    assert (rep.windows["latency_ms"] > 0).all()
    assert s["p50_ms"] > 0 and s["n"] == s["processed"]
    assert 0.0 <= s["accuracy"] <= 1.0
    assert set(rep.windows["label"]) <= set(S.QUADRANTS)

    dyn = S.StreamingPipeline(small_model(), window_s=1.0, hop_s=0.5, sampler=DynamicSampler(16_000))
    rep2 = dyn.run(S.stream_from_arrays(sig, W.MINI_RATES, chunk_s=0.1, label="Q1"))
    s2 = rep2.summary()
    assert s2["windows"] == n_expected
    assert s2["processed"] + s2["skipped"] == s2["windows"]
    assert 0 < s2["processed"] < n_expected and s2["share_saved"] > 0
    w = rep2.windows
    assert w["processed"].iloc[0]                                   # first window always
    steady = w[w["t"] <= 4.0]
    turbulent = w[w["t"] >= 8.0]
    assert steady["processed"].mean() < turbulent["processed"].mean()
    assert w.loc[w["processed"], "latency_ms"].gt(0).all() and w.loc[~w["processed"], "latency_ms"].isna().all()
    # skipped windows reuse the last prediction
    for i in np.flatnonzero(~w["processed"].to_numpy()):
        assert w["label"].iloc[i] == w["label"].iloc[i - 1]


def test_pipeline_on_dataset_stream(mini):
    pipe = S.StreamingPipeline(small_model(), window_s=1.0, hop_s=0.5)
    rep = pipe.run(S.stream_from_dataset(mini, [0, 1, 2], chunk_s=0.1), max_windows=12)
    s = rep.summary()
    assert s["windows"] == 12 and s["processed"] == 12 and "accuracy" in s
    assert rep.windows["t"].is_monotonic_increasing
    with pytest.raises(ValueError, match="capacity"):
        S.StreamingPipeline(small_model(), buffer_s=1.0).process(
            {"rates": W.MINI_RATES, **{k: v for k, v in synthetic().items()}})


def test_warmup_takes_the_channel_counts_of_the_data():
    """DEAP's 32 EEG channels / AMIGOS's 2 ECG leads: warm-up windows must match the model's widths."""
    torch.manual_seed(0)
    dims = {"eeg": 32 * 4, "gsr": 2, "ecg": 2}          # band powers: channels x 4 bands
    model = HaoRecognizer(dims, 4, code_dim=8, ae_hidden=16, lstm_hidden=16)
    rates = {"eeg": 128.0, "gsr": 128.0, "ecg": 128.0}
    pipe = S.StreamingPipeline(model, rates=rates)
    with pytest.raises(ValueError, match="expected last dim 128"):
        pipe.warmup(1)                                   # the teaching data's 8 EEG channels do not fit
    pipe.warmup(2, channels={"eeg": 32, "ecg": 2})
    rng = np.random.default_rng(0)
    chunk = {"eeg": rng.normal(size=(32, 64)), "gsr": rng.normal(size=64), "ecg": rng.normal(size=(2, 64))}
    pipe.process(chunk)
    pipe.warmup(1)                                       # after a chunk: the ring buffers know the counts
    assert pipe.rows == []                               # warm-up records nothing
