"""Tests of mer_lessons.realtime: every paper's model on a live stream, latency, listeners served."""

import math

import numpy as np
import pytest
import torch

from mer_lessons import realtime as R
from mer_lessons.streaming import stream_from_dataset
from mer_lessons.validation import (EmptyInputError, NonFiniteError, OutOfRangeError, UnknownOptionError,
                                    WrongTypeError)


@pytest.fixture(scope="module")
def mini(module_data_home):
    from mer_lessons.data import load
    return load("mini", n_clips=4, n_subjects=1, progress=False)


@pytest.fixture(scope="module")
def setups(mini):
    lyrics = mini[0]["lyrics"] if isinstance(mini[0].get("lyrics"), str) else ""
    return {p: R.stream_setup(p, lyrics=lyrics) for p in R.PAPER_KEYS}


def first_window(setup, item):
    """The first ``window_s`` of every modality the setup reads, cut from a dataset item."""
    rates = setup.rates(item)
    win = {}
    for m in setup.modalities:
        x = np.asarray(item[m])
        n = int(math.ceil(setup.window_s * rates[m] - 1e-9)) if m == "face" else int(round(setup.window_s * rates[m]))
        win[m] = x[:n] if m == "face" else x[..., :n]
    return win, rates


# shapes each chapter feeds its model (mer_lessons.profiling.paper_models, batch axis left out)
PROFILED = {
    "hao": "Hao et al.: HaoRecognizer", "zhao": "Zhao et al.: MultiSpec-DNN",
    "wang": "Wang: cross-modal Transformer", "kirar": "Kirar et al.: BiLSTM + self-attention",
}


@pytest.mark.parametrize("paper", R.PAPER_KEYS)
def test_featurizer_gives_the_shapes_the_model_reads(paper, setups, mini):
    setup = setups[paper]
    win, rates = first_window(setup, mini[0])
    feats = setup.featurizer(win, rates, steps=setup.steps)
    assert sorted(feats) == sorted(setup.modalities)
    for m in setup.modalities:
        assert feats[m].shape == tuple(setup.input_shapes[m]), m
        assert feats[m].dtype == np.float32 and np.all(np.isfinite(feats[m]))
    batch = {m: torch.from_numpy(feats[m][None]) for m in setup.modalities}
    with torch.no_grad():
        out = setup.model(batch)
    assert out.shape == (1, len(setup.label_names)) and torch.all(torch.isfinite(out))
    assert setup.model.head.out_features == len(setup.label_names)
    if paper in PROFILED:           # the model's own inputs have the chapter's shapes
        from mer_lessons.profiling import paper_models
        _, reference, _ = paper_models(n_classes=len(setup.label_names), batch=1)[PROFILED[paper]]
        built = batch if setup.model._assemble is None else setup.model._assemble(setup.model, batch)
        if isinstance(reference, torch.Tensor):
            assert built.shape == reference.shape
        else:
            assert {k: tuple(v.shape) for k, v in built.items()} == {k: tuple(v.shape) for k, v in reference.items()}


def test_wang_lyrics_are_constant_token_states(setups, mini):
    setup = setups["wang"]
    states, mask = setup.model.text_states, setup.model.text_mask
    assert states.shape[-1] == 384 and mask.shape[:2] == states.shape[:2]
    win, rates = first_window(setup, mini[0])
    x = torch.from_numpy(setup.featurizer(win, rates)["audio"][None]).repeat(3, 1, 1)
    built = setup.model._assemble(setup.model, {"audio": x})
    assert built["text"].shape[0] == 3 and torch.equal(built["text"][2], states[0])


def test_kirar_keeps_a_fixed_subset(mini):
    a = R.stream_setup("kirar", seed=0)
    b = R.stream_setup("kirar", selected=list(range(40)))
    assert a.model.selected.numel() == 40 and torch.equal(b.model.selected, torch.arange(40))
    assert torch.equal(a.model.selected, R.stream_setup("kirar", seed=0).model.selected)


@pytest.mark.parametrize("paper", R.PAPER_KEYS)
def test_wrapped_model_labels_a_stream(paper, setups, mini):
    setup = setups[paper]
    pipe = setup.pipeline(setup.rates(mini[0]))
    report = pipe.run(stream_from_dataset(mini, [0, 1, 2], chunk_s=0.25, modalities=setup.modalities),
                      max_windows=3)
    w = report.windows
    assert len(w) == 3 and w["processed"].all()
    assert set(w["label"]) <= set(setup.label_names)
    assert np.all(np.isfinite(w["latency_ms"])) and np.all((w["prob"] > 0) & (w["prob"] <= 1))


def test_window_latency_one_thread_and_restores_threads(setups, mini):
    before = torch.get_num_threads()
    seen = []
    setup = setups["hao"]
    inner = setup.featurizer

    def spy(*args, **kw):
        seen.append(torch.get_num_threads())
        return inner(*args, **kw)

    setup.featurizer = spy
    try:
        r = R.window_latency("hao", windows=4, warmup=1, ds=mini, setup=setup)
    finally:
        setup.featurizer = inner
    assert set(seen) == {1}
    assert torch.get_num_threads() == before
    assert r["windows"] == 4 and r["parameters"] == setup.parameters > 0
    assert np.isfinite(r["p50_ms"]) and 0 < r["p50_ms"] <= r["p99_ms"]


def test_window_latency_restores_threads_after_an_error(setups, mini):
    before = torch.get_num_threads()
    setup = setups["zhao"]
    inner = setup.featurizer

    def broken(*args, **kw):
        raise RuntimeError("featurizer failed")

    setup.featurizer = broken
    try:
        with pytest.raises(RuntimeError, match="featurizer failed"):
            R.window_latency("zhao", windows=2, warmup=0, ds=mini, setup=setup)
    finally:
        setup.featurizer = inner
    assert torch.get_num_threads() == before


def test_listeners_served_stops_at_the_first_batch_not_in_real_time(setups, mini):
    before = torch.get_num_threads()
    none = R.listeners_served("hao", hop_s=1e-6, max_listeners=8, cycles=2, threads=1, ds=mini, setup=setups["hao"])
    assert none["listeners"] == 0
    assert list(none["table"]["listeners"]) == [1] and not none["table"]["real_time"].any()
    four = R.listeners_served("hao", hop_s=100.0, max_listeners=4, cycles=1, ds=mini, setup=setups["hao"])
    assert four["listeners"] == 4 and list(four["table"]["listeners"]) == [1, 2, 4]
    assert four["table"]["real_time"].all() and (four["table"]["p50_ms"] <= four["table"]["p99_ms"]).all()
    assert four["threads"] >= 1 and torch.get_num_threads() == before


def test_realtime_table_has_a_row_per_paper(mini):
    table = R.realtime_table(quick=True, ds=mini, windows=2, cycles=1, max_listeners=1, threads=1)
    assert list(table.index) == list(R.PAPER_KEYS)
    for col in ("model", "parameters", "window_s", "hop_s", "p50_ms", "p99_ms", "listeners", "threads", "device"):
        assert col in table.columns
    assert (table["p50_ms"] <= table["p99_ms"]).all() and (table["parameters"] > 0).all()
    assert table["listeners"].isin([0, 1]).all() and (table["device"] == "cpu").all()


def test_paper_key_is_normalised_and_a_single_key_is_a_list(mini):
    assert R.stream_setup(" Zhao ").paper == "zhao"            # documented: case and spaces ignored
    one = R.realtime_table("hao", ds=mini, windows=1, cycles=1, max_listeners=1, threads=1)
    assert list(one.index) == ["hao"]


# --------------------------------------------------------------------------- malformed input

BAD = [
    (lambda ds: R.stream_setup("nope"), UnknownOptionError, "paper"),
    (lambda ds: R.stream_setup(3), WrongTypeError, "paper"),
    (lambda ds: R.stream_setup("wang", lyrics=5), WrongTypeError, "lyrics"),
    (lambda ds: R.stream_setup("kirar", selected=[0, 1]), OutOfRangeError, "selected"),
    (lambda ds: R.stream_setup("kirar", selected=list(range(1000, 1040))), OutOfRangeError, "selected"),
    (lambda ds: R.window_latency("hao", windows=0, ds=ds), OutOfRangeError, "windows"),
    (lambda ds: R.window_latency("hao", warmup=-1, ds=ds), OutOfRangeError, "warmup"),
    (lambda ds: R.window_latency("hao", ds=ds, setup="hao"), WrongTypeError, "setup"),
    (lambda ds: R.listeners_served("hao", hop_s=0, ds=ds), OutOfRangeError, "hop_s"),
    (lambda ds: R.listeners_served("hao", hop_s=float("nan"), ds=ds), NonFiniteError, "hop_s"),
    (lambda ds: R.listeners_served("hao", max_listeners=0, ds=ds), OutOfRangeError, "max_listeners"),
    (lambda ds: R.listeners_served("hao", cycles=1.5, ds=ds), WrongTypeError, "cycles"),
    (lambda ds: R.listeners_served("hao", threads=0, ds=ds), OutOfRangeError, "threads"),
    (lambda ds: R.realtime_table([], ds=ds), EmptyInputError, "papers"),
    (lambda ds: R.realtime_table(["hao", "nope"], ds=ds), UnknownOptionError, "paper"),
    (lambda ds: R.realtime_table(5, ds=ds), WrongTypeError, "papers"),
    (lambda ds: R.realtime_table(["hao"], ds=ds, windows=0), OutOfRangeError, "windows"),
]


@pytest.mark.parametrize("call, error, name", BAD, ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_malformed_input_raises_naming_the_argument(call, error, name, mini):
    with pytest.raises(error, match=name):
        call(mini)
