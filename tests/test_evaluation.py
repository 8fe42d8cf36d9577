"""Tests of mer_lessons.evaluation: training/scoring/timing window models, comparisons, repeated
evaluation with intervals, paired differences, "beside the paper", streams, ablations, prequential runs."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import evaluation as E
from mer_lessons import splits
from mer_lessons import windows as W
from mer_lessons.models import hao
from mer_lessons.papers import hao as hao_paper
from mer_lessons.validation import InputError

CLASSES = ["Q1", "Q2", "Q3", "Q4"]


def specs_named(*prefixes):
    return [s for s in hao_paper.table3_models() if s.name.startswith(prefixes)]


FULL = hao_paper.ROW_MODELS["Our model (Bi-LSTM + Feature fusion)"]
KNN = hao_paper.ROW_MODELS["K-Nearest neighbors"]
GRU = hao_paper.ROW_MODELS["GRU + Spectrogram features"]


def test_group_split_keeps_listeners_apart(labelled_windows):
    parts = splits.group_split(labelled_windows.meta)
    subjects = {k: set(labelled_windows.meta["subject"].iloc[v]) for k, v in parts.items()}
    assert all(subjects.values())
    assert not (subjects["train"] & subjects["test"]) and not (subjects["val"] & subjects["test"])
    assert not (subjects["train"] & subjects["val"])
    assert sum(len(v) for v in parts.values()) == len(labelled_windows)
    with pytest.raises(ValueError, match=">= 3 groups"):
        splits.group_split(labelled_windows.meta[labelled_windows.meta["subject"] != "s01"])


def test_score_accepts_indices_and_names():
    a = E.score([0, 1, 2, 3], [0, 1, 2, 2], CLASSES)
    b = E.score(["Q1", "Q2", "Q3", "Q4"], ["Q1", "Q2", "Q3", "Q3"], CLASSES)
    pd.testing.assert_frame_equal(a, b)
    assert a["accuracy"].iloc[0] == 0.75 and a["g_mean"].iloc[0] == 0.0


@pytest.fixture(scope="module")
def split_sets(labelled_windows):
    """Clip-independent: 28 clips train, 4 validate, 8 test (every listener on each side)."""
    clip = labelled_windows.meta["clip_id"].str.extract(r"(\d+)$")[0].astype(int).to_numpy()
    return labelled_windows.subset(clip < 28), labelled_windows.subset((clip >= 28) & (clip < 32)), labelled_windows.subset(clip >= 32)


@pytest.fixture(scope="module")
def compared(split_sets):
    specs = [s for s in hao_paper.table3_models() if s.name in (FULL, GRU, KNN)]
    return E.compare_models(*split_sets, specs=specs, epochs=25, n_timing=3, progress=False, device="cpu")


def test_full_model_beats_chance_on_the_teaching_data(compared, split_sets):
    results, models = compared
    train_set, _, test_set = split_sets
    majority = pd.Series(train_set.labels).value_counts().idxmax()
    chance = float(np.mean(test_set.labels == majority))
    ours = results.loc[FULL]
    assert ours["accuracy"] > chance + 0.05, (ours["accuracy"], chance)
    assert results.loc[GRU, "inputs"] == "audio"
    assert ours["parameters"] > 0 and ours["latency_ms"] > 0 and np.isnan(results.loc[KNN, "parameters"])


def test_audio_model_without_audio_says_what_it_read(split_sets):
    """DEAP/AMIGOS have no audio: the "GRU on log-mel" row reads the first modality and its name says so."""
    body = [m for m in split_sets[0].modalities if m != "audio"]
    sets = [part.select(body) for part in split_sets]
    specs = [s for s in hao_paper.table3_models() if s.name == GRU]
    results, models = E.compare_models(*sets, specs=specs, epochs=1, n_timing=2, progress=False, device="cpu")
    name = f"{GRU} [no audio: {body[0]}]"
    assert list(results.index) == [name] and list(models) == [name]
    assert results.loc[name, "inputs"] == body[0]


def test_model_spec_checks_its_kind():
    with pytest.raises(InputError, match="kind"):
        E.ModelSpec("x", "transformer", lambda *a: None)


def test_every_paper_row_maps_to_a_spec_or_none():
    names = {s.name for s in hao_paper.table3_models()}
    built = {v for v in hao_paper.ROW_MODELS.values() if v is not None}
    assert built == names
    assert set(hao_paper.ROW_MODELS) == set(hao_paper.TABLE3["Model"])


def test_beside_paper_lists_every_paper_row(compared):
    table = E.beside_paper(compared[0], hao_paper.TABLE3, paper_index="Model", rows=hao_paper.ROW_MODELS,
                           columns=hao_paper.TABLE3_COLUMNS)
    assert len(table) == 14 and (table["ours"] == "not built").sum() == 11
    assert table.loc["Our model (Bi-LSTM + Feature fusion)", "Accuracy % (paper)"] == 87.5
    assert table.loc["K-Nearest neighbors", "ours"] == KNN
    assert table.loc["K-Nearest neighbors", "Accuracy % (ours)"] == round(100 * compared[0].loc[KNN, "accuracy"], 1)
    assert all(c.endswith(("(ours)", "(paper)")) or c == "ours" for c in table.columns)
    with pytest.raises(KeyError, match="not rows"):
        E.beside_paper(compared[0], hao_paper.TABLE3, paper_index="Model", rows={"No such model": KNN},
                       columns=hao_paper.TABLE3_COLUMNS)


def test_beside_paper_shows_intervals_of_a_repeated_summary():
    per = pd.DataFrame({"name": ["m"] * 3, "repeat": [0, 1, 2], "accuracy": [0.5, 0.6, 0.7]})
    summary = E._summarise(per, "name", 0.95)
    paper = pd.DataFrame({"Model": ["Theirs"], "Accuracy (%)": [80.0]})
    table = E.beside_paper(summary, paper, paper_index="Model", rows={"Theirs": "m"},
                           columns=[E.BesideColumn("Accuracy %", "accuracy", "Accuracy (%)", 100, 1)])
    assert table.loc["Theirs", "Accuracy % (ours)"] == 60.0
    _, low, high = E.mean_interval([0.5, 0.6, 0.7])
    assert table.loc["Theirs", "Accuracy % (ours, 95 % CI)"] == f"[{100 * low:.1f}, {100 * high:.1f}]"


def test_mean_interval_by_hand():
    # mean 2, sd 1, n 3: t_{0.975, 2} = 4.302653 -> half width 4.302653 / sqrt(3) = 2.484138
    mean, low, high = E.mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    np.testing.assert_allclose([low, high], [2 - 2.484138, 2 + 2.484138], atol=1e-5)
    assert np.isnan(E.mean_interval([0.4])[1])                    # one repeat: no interval
    assert E.mean_interval([0.4, np.nan, 0.4])[:1] == (0.4,)     # NaN ignored
    with pytest.raises(InputError, match="confidence"):
        E.mean_interval([1, 2], confidence=1.5)


def test_repeated_evaluation_summarises_every_metric_per_model():
    def run(seed):
        rng = np.random.default_rng(seed)
        return pd.DataFrame({"accuracy": [0.8 + 0.01 * rng.normal(), 0.5 + 0.01 * rng.normal()],
                             "latency_ms": [1.0, 2.0]}, index=pd.Index(["good", "poor"], name="model"))

    summary, per_repeat = E.repeated_evaluation(run, 6, progress=False)
    assert list(summary.index) == ["good", "poor"] and (summary["repeats"] == 6).all()
    assert {"accuracy", "accuracy_low", "accuracy_high", "latency_ms_low"} <= set(summary.columns)
    assert summary.loc["good", "accuracy_low"] < summary.loc["good", "accuracy"] < summary.loc["good", "accuracy_high"]
    assert summary.loc["poor", "accuracy_high"] < summary.loc["good", "accuracy_low"]
    assert len(per_repeat) == 12 and sorted(per_repeat["repeat"].unique()) == list(range(6))
    one, _ = E.repeated_evaluation(run, 1, progress=False)
    assert np.isnan(one.loc["good", "accuracy_low"])              # smoke: interval unavailable
    with pytest.raises(TypeError, match="DataFrame"):
        E.repeated_evaluation(lambda s: 0.5, 2, progress=False)


def test_paired_difference_tells_a_real_difference_from_none():
    rng = np.random.default_rng(0)
    shared = rng.normal(scale=0.1, size=8)                      # what both models share per repeat
    rows = []
    for r in range(8):
        rows += [("a", r, 0.6 + shared[r] + 0.005 * rng.normal()), ("b", r, 0.55 + shared[r] + 0.005 * rng.normal()),
                 ("twin", r, 0.6 + shared[r] + 0.005 * rng.normal())]
    per = pd.DataFrame(rows, columns=["name", "repeat", "accuracy"])
    real = E.paired_difference(per, "a", "b", "accuracy")
    assert real["a_better"] and not real["b_better"] and real["low"] > 0 and real["repeats"] == 8
    same = E.paired_difference(per, "a", "twin", "accuracy")
    assert not same["a_better"] and not same["b_better"] and same["low"] < 0 < same["high"]
    with pytest.raises(KeyError, match="nobody"):
        E.paired_difference(per, "a", "nobody", "accuracy")


def test_repeated_comparison_moves_the_test_listeners(labelled_windows):
    specs = [s for s in hao_paper.table3_models() if s.name == KNN]
    study = E.repeated_comparison(labelled_windows, specs, repeats=[0, 1, 2], progress=False)
    summary, per_repeat = study.summary, study.per_repeat
    assert summary.loc[KNN, "repeats"] == 3 and study.ablation is None and set(study.models) == {KNN}
    tested = {r: tuple(sorted(set(labelled_windows.meta["subject"].iloc[splits.group_split(labelled_windows.meta, seed=r)["test"]])))
              for r in (0, 1, 2)}
    assert len(set(tested.values())) > 1                        # other listeners are tested
    np.testing.assert_array_equal(study.parts["test"], splits.group_split(labelled_windows.meta, seed=0)["test"])
    assert per_repeat["accuracy"].between(0, 1).all()
    # the majority-class floor: the training split's most frequent label, predicted everywhere
    part = splits.group_split(labelled_windows.meta, seed=1)
    tr, te = labelled_windows.subset(part["train"]), labelled_windows.subset(part["test"])
    floor = np.mean(te.labels == pd.Series(tr.labels).value_counts().idxmax())
    row = per_repeat[(per_repeat["name"] == "majority class") & (per_repeat["repeat"] == 1)]
    assert row["accuracy"].iloc[0] == pytest.approx(floor)
    with pytest.raises(ValueError, match="not among specs"):
        E.repeated_comparison(labelled_windows, specs, repeats=1, progress=False,
                              stream_ablation=E.StreamAblation({"x": {"model": "nope"}}, None, 1, [], {}))


def test_repeated_comparison_plays_the_ablation_in_every_repeat(teaching_trials, labelled_windows):
    specs = [s for s in hao_paper.table3_models() if s.name == FULL]
    stats = {s: labelled_windows.subset((labelled_windows.meta["subject"] == s).to_numpy()).stats()
             for s in pd.unique(labelled_windows.meta["subject"])}
    configs = {"adaptive": {"model": FULL, "sampler": lambda: hao.DynamicSampler(sr=16_000)},
               "fixed S_base": {"model": FULL, "sampler": lambda: hao.DynamicSampler(sr=16_000, alpha=0)},
               "every window": {"model": FULL, "sampler": None}}
    ablation = E.StreamAblation(configs, teaching_trials, 1, teaching_trials.meta["quadrant"], stats)
    study = E.repeated_comparison(labelled_windows, specs, repeats=[0, 1], epochs=2, device="cpu",
                                  stream_ablation=ablation, progress=False)
    assert list(study.ablation.index) == list(configs) and (study.ablation["repeats"] == 2).all()
    saved = study.ablation["share_saved"]
    assert saved["every window"] == 0 and saved["fixed S_base"] > 0.5 and saved["fixed S_base"] >= saved["adaptive"]
    tested = set(labelled_windows.meta["subject"].iloc[study.parts["test"]])
    played = set(study.stream_windows["adaptive"]["subject"])
    assert played == tested                                       # only test listeners are streamed


def test_ablation_grid_on_a_stream(teaching_trials, teaching_windows, compared, split_sets):
    models = compared[1]
    train_set, val_set, _ = split_sets
    variants = {(True, True): models[FULL]}
    for key in [(False, True), (True, False), (False, False)]:
        torch.manual_seed(0)
        variants[key] = hao.HaoRecognizer(train_set.dims, 4, code_dim=4, use_bilstm=key[0], use_fusion=key[1])
    stats = {s: teaching_windows.subset((teaching_windows.meta["subject"] == s).to_numpy()).stats() for s in ("s03",)}
    trials_ = [int(t) for t in np.flatnonzero(teaching_trials.meta["subject"] == "s03")[:3]]
    configs = {name: {"model": variants[(b, f)], "sampler": (lambda: hao.DynamicSampler(sr=16_000)) if a else None,
                      "adaptive sampling": a} for name, (b, f, a) in hao_paper.ABLATIONS.items()}
    table, per_window = E.ablation_grid(configs, teaching_trials, trials_, classes=CLASSES, stats_by_subject=stats,
                                        progress=False)
    assert list(table.index) == list(hao_paper.ABLATIONS)
    off = [k for k, v in hao_paper.ABLATIONS.items() if not v[2]]
    assert (table.loc[off, "share_saved"] == 0).all() and not table.loc[off, "adaptive sampling"].any()
    assert (table["windows"] == 23).all()                 # 12 s of stream, a 1 s window every 0.5 s
    assert per_window["Without feature fusion"]["label"].isin(CLASSES).all()
    beside = E.beside_paper(table, hao_paper.TABLE4, paper_index="Configuration",
                            rows={k: k for k in hao_paper.ABLATIONS}, columns=hao_paper.TABLE4_COLUMNS)
    assert beside.loc["Full model", "F1 score (paper)"] == 0.91
    assert 0 <= beside.loc["Full model", "G-Mean accuracy (ours)"] <= 100
    with pytest.raises(KeyError, match="model"):
        E.ablation_grid({"x": {}}, teaching_trials, trials_, classes=CLASSES, stats_by_subject=stats, progress=False)


def test_levels_are_signal_means_in_reference_units():
    x = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)        # 2 windows, 3 steps, 2 dims
    ws = W.WindowSet({"gsr": x, "ecg": -x}, pd.DataFrame({"trial": [0, 1]}))
    stats = {"gsr": (np.array([1.0, 1.0]), np.array([2.0, 2.0])), "ecg": (np.zeros(2), np.ones(2))}
    levels = ws.levels(stats)
    assert levels.shape == (2, 2)
    np.testing.assert_allclose(levels[:, 0], [(2.5 - 1) / 2, (8.5 - 1) / 2])     # window means 2.5 and 8.5
    np.testing.assert_allclose(levels[:, 1], [-2.5, -8.5])
    with pytest.raises(KeyError, match="ecg"):
        ws.levels({"gsr": stats["gsr"]})


def test_prequential_reset_watching_signal_levels():
    """The predictions barely move at a listener change, the signal levels do: watching them fires."""
    rng = np.random.default_rng(3)
    n_trials, per, change = 40, 2, 20
    x = rng.normal(size=(n_trials * per, 4, 3)).astype(np.float32)
    y = rng.integers(0, 2, n_trials * per)
    meta = pd.DataFrame({"trial": np.repeat(np.arange(n_trials), per),
                         "subject": np.where(np.arange(n_trials * per) < change * per, "s01", "s02")})
    stream = W.WindowSet({"a": x}, meta, labels=np.array(["lo", "hi"], dtype=object)[y], classes=["lo", "hi"])
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"a": 3}, 2, code_dim=3, ae_hidden=8, lstm_hidden=8)
    levels = np.where(np.arange(n_trials * per) < change * per, 0.0, 3.0)[:, None] + 0.3 * rng.normal(size=(n_trials * per, 1))
    watched = E.prequential_run(model, stream, mode="incremental+reset", adapter_factory=adapter(), watch=levels)
    fired = watched.loc[watched["reset"], "trial"].to_numpy()
    assert fired.size >= 1 and change <= fired.min() <= change + 8, fired     # within one window of 8 trials
    flat = E.prequential_run(model, stream, mode="incremental+reset", adapter_factory=adapter(), watch=levels * 0 + 1.0)
    assert not flat["reset"].any()
    with pytest.raises(ValueError, match="watch"):
        E.prequential_run(model, stream, mode="incremental+reset", adapter_factory=adapter(), watch=levels[:5])


def adapter(lr=1e-3):
    return lambda m: hao.OnlineAdapter(m, batch_size=8, lr=lr)


def test_prequential_modes(compared, split_sets):
    model = compared[1][FULL]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    stream = split_sets[2].subset(np.arange(48))
    frozen = E.prequential_run(model, stream, mode="frozen")
    again = E.prequential_run(model, stream, mode="frozen")
    pd.testing.assert_frame_equal(frozen, again)
    learning = E.prequential_run(model, stream, mode="incremental", adapter_factory=adapter())
    assert not learning["pred"].equals(frozen["pred"])     # updates change later predictions
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())   # caller's model untouched
    assert len(E.rolling_accuracy(frozen, 10)) == len(stream)
    with pytest.raises(ValueError, match="mode"):
        E.prequential_run(model, stream, mode="sometimes")
    with pytest.raises(ValueError, match="adapter_factory"):
        E.prequential_run(model, stream, mode="incremental")


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
    E.train_window_model(model, pre, epochs=10, patience=None, device="cpu", seed=0)
    frozen = E.prequential_run(model, stream, mode="frozen")["correct"].mean()
    online = E.prequential_run(model, stream, mode="incremental", adapter_factory=adapter(3e-3))["correct"].mean()
    assert online > frozen + 0.05, (frozen, online)


def test_prequential_reset_fires_after_a_listener_change():
    """A second listener whose signals sit higher moves the predicted distribution: the detector resets then."""
    rng = np.random.default_rng(1)
    n_trials, per, change = 60, 4, 30
    x = rng.normal(size=(n_trials * per, 4, 3)).astype(np.float32)
    x[change * per:, :, 0] += 1.5                         # listener 2 from trial 30 on
    signal = x[:, :, 0].mean(1)
    y = (signal > 0).astype(int)
    meta = pd.DataFrame({"trial": np.repeat(np.arange(n_trials), per),
                         "subject": np.where(np.arange(n_trials * per) < change * per, "s01", "s02")})
    stream = W.WindowSet({"a": x}, meta, labels=np.array(["lo", "hi"], dtype=object)[y], classes=["lo", "hi"])
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"a": 3}, 2, code_dim=3, ae_hidden=8, lstm_hidden=8)
    pre = stream.subset(np.arange(change * per))                 # a confident model of listener 1
    E.train_window_model(model, pre, epochs=30, lr=1e-2, patience=None, device="cpu", seed=0)
    run = E.prequential_run(model, stream, mode="incremental+reset", adapter_factory=adapter())
    fired = run.loc[run["reset"], "trial"].to_numpy()
    assert fired.size >= 1, "the detector never fired on a clear listener change"
    assert fired.min() >= change and fired.min() <= change + 10, fired     # soon after, never before
    plain = E.prequential_run(model, stream, mode="incremental", adapter_factory=adapter())
    assert not plain["reset"].any()


# --- verdicts ----------------------------------------------------------------------------------


def test_verdict_on_constructed_cases():
    assert E.verdict(0.88, 0.85, 0.90, mean=0.875, repeats=5) == E.REPRODUCED            # clearly matching
    assert E.verdict(0.88, 0.40, 0.50, mean=0.45, repeats=5) == E.NOT_REPRODUCED         # clearly different
    assert E.verdict(0.88, 0.95, 0.99, repeats=5) == E.NOT_REPRODUCED                    # different, above
    assert E.verdict(0.88, np.nan, np.nan, mean=0.87, repeats=1) == E.CANNOT_TELL        # one repeat
    assert E.verdict(0.88, 0.85, 0.90, repeats=1) == E.CANNOT_TELL
    assert E.verdict(0.88, 0.10, 0.95, null=0.25, repeats=3) == E.CANNOT_TELL            # holds chance too
    assert E.verdict(0.88, 0.60, 0.95, max_width=0.2, repeats=3) == E.CANNOT_TELL        # wider than stated
    assert E.verdict(0.88, 0.60, 0.95, repeats=3) == E.REPRODUCED                        # no width stated
    assert E.verdict(0.88, 0.10, 0.40, null=0.25, max_width=0.1) == E.NOT_REPRODUCED     # wide but decisive


def test_verdict_edges_tolerance_and_direction():
    assert E.verdict(0.90, 0.85, 0.90) == E.REPRODUCED                     # on the boundary: inside (closed)
    assert E.verdict(0.85, 0.85, 0.90) == E.REPRODUCED
    assert E.verdict(0.905, 0.85, 0.90) == E.NOT_REPRODUCED                # just outside
    assert E.verdict(0.905, 0.85, 0.90, tolerance=0.005) == E.REPRODUCED   # rounding allowance, boundary
    assert E.verdict(0.88, 0.85, 0.90, max_width=0.05) == E.REPRODUCED     # width exactly the limit
    assert E.verdict(0.88, 0.95, 0.99, higher_is_better=True) == E.REPRODUCED      # "at least 0.88": better
    assert E.verdict(0.88, 0.70, 0.80, higher_is_better=True) == E.NOT_REPRODUCED
    assert E.verdict(24.3, 1.0, 2.0, higher_is_better=False) == E.REPRODUCED        # "at most 24.3 ms"
    assert E.verdict(24.3, 30.0, 31.0, higher_is_better=False) == E.NOT_REPRODUCED
    with pytest.raises(ValueError, match="low"):
        E.verdict(0.5, 0.6, 0.4)
    with pytest.raises(ValueError, match="outside"):
        E.verdict(0.5, 0.4, 0.6, mean=0.9)
    with pytest.raises(InputError):
        E.verdict(0.5, 0.4, 0.6, tolerance=-1)


def test_difference_verdict_from_paired_difference():
    rng = np.random.default_rng(0)
    shared = rng.normal(scale=0.05, size=8)
    rows = []
    for r in range(8):
        rows += [("full", r, 0.80 + shared[r]), ("without", r, 0.74 + shared[r] + 0.005 * rng.normal()),
                 ("twin", r, 0.80 + shared[r] + 0.05 * rng.normal())]
    per = pd.DataFrame(rows, columns=["name", "repeat", "weighted_f1"])
    lower = E.paired_difference(per, "without", "full", "weighted_f1")
    assert lower["high"] < 0 and E.difference_verdict(lower, -0.06, tolerance=0.005) == E.REPRODUCED
    assert E.difference_verdict(lower, -0.20, tolerance=0.005) == E.NOT_REPRODUCED
    noisy = E.paired_difference(per, "twin", "full", "weighted_f1")
    assert noisy["low"] < -0.01 < 0 < noisy["high"]                 # holds both the claim (-0.01) and 0
    assert E.difference_verdict(noisy, -0.01) == E.CANNOT_TELL
    assert E.difference_verdict(noisy, -0.01, null=None) == E.REPRODUCED
    one = E.paired_difference(per[per["repeat"] == 0], "without", "full", "weighted_f1")
    assert E.difference_verdict(one, -0.06) == E.CANNOT_TELL


def test_verdict_table_from_claims():
    from mer_lessons.papers.base import Claim

    claims = [Claim("acc", "Reaches 87.5 %.", 87.5, "%", "Table 3", "accuracy", "accuracy"),
              Claim("lat", "Answers in 24.3 ms.", 24.3, "ms", "Table 3", "latency", "latency_ms"),
              Claim("deap", "F1 0.89 on DEAP.", 0.89, "F1", "Table 3", "macro F1", "macro_f1", False,
                    "DEAP is not bundled"),
              Claim("best", "Best on every metric.", None, "", "Table 3", "ranks in the chapter"),
              Claim("drop", "Removing X lowers F1 by 0.06.", -0.06, "F1", "Table 4", "paired difference", "f1"),
              Claim("missing", "Something else.", 1.0, "", "", "not run")]
    summary = pd.DataFrame({"accuracy": [0.86], "accuracy_low": [0.84], "accuracy_high": [0.88],
                            "latency_ms": [2.0], "latency_ms_low": [np.nan], "latency_ms_high": [np.nan],
                            "repeats": [1]}, index=["ours"])
    values = {"acc": E.measured(summary, "ours", "accuracy", scale=100),
              "lat": E.measured(summary, "ours", "latency_ms"),
              "drop": {"difference": -0.05, "low": -0.08, "high": -0.03, "repeats": 5}}
    assert values["acc"] == {"mean": 86.0, "low": 84.0, "high": 88.0, "repeats": 1}
    table = E.verdict_table(claims, values, tolerance={"acc": 0.05})
    assert list(table.index) == [c.key for c in claims]
    assert table.loc["deap", "verdict"] == E.NOT_TESTABLE and table.loc["deap", "why"] == "DEAP is not bundled"
    assert table.loc["best", "verdict"] == E.NOT_A_NUMBER
    assert table.loc["missing", "verdict"] == E.NOT_MEASURED
    assert table.loc["drop", "verdict"] == E.REPRODUCED and table.loc["drop", "ours"] == -0.05
    assert table.loc["lat", "verdict"] == E.CANNOT_TELL and "1 repeat" in table.loc["lat", "why"]
    # the summary says 1 repeat, so even a finite interval cannot tell: the rule reads repeats first
    assert table.loc["acc", "verdict"] == E.CANNOT_TELL
    values["acc"]["repeats"] = 5
    assert E.verdict_table(claims, values).loc["acc", "verdict"] == E.REPRODUCED
    assert set(table["verdict"]) <= set(E.VERDICTS)


def test_paired_ratio_and_scaled_difference_by_hand():
    per = pd.DataFrame({"name": ["fast", "slow"] * 3, "repeat": np.repeat([0, 1, 2], 2),
                        "train_s": [1.0, 10.0, 2.0, 10.0, 3.0, 10.0], "accuracy": [0.5, 0.6, 0.6, 0.6, 0.7, 0.6]})
    ratio = E.paired_ratio(per, "fast", "slow", "train_s")
    assert ratio["mean"] == pytest.approx(0.2) and ratio["repeats"] == 3 and ratio["low"] < 0.2 < ratio["high"]
    diff = E.paired_difference(per, "fast", "slow", "accuracy", scale=100)
    assert diff["difference"] == pytest.approx(0.0) and diff["high"] - diff["low"] == pytest.approx(
        100 * (E.paired_difference(per, "fast", "slow", "accuracy")["high"] - E.paired_difference(per, "fast", "slow", "accuracy")["low"]))
    with pytest.raises(ValueError, match="positive"):
        E.paired_ratio(per.assign(train_s=0.0), "fast", "slow", "train_s")
    with pytest.raises(KeyError, match="nope"):
        E.paired_ratio(per, "nope", "slow", "train_s")


def test_repeated_prequential_frozen_equals_the_table_and_reset_mode_runs(labelled_windows):
    specs = [s for s in hao_paper.table3_models() if s.name == FULL]
    scaled = labelled_windows.standardize(by="subject")
    study = E.repeated_comparison(scaled, specs, repeats=[0, 1], epochs=2, device="cpu", keep=[FULL], progress=False)
    assert set(study.kept_models) == {0, 1} and set(study.parts_by_repeat) == {0, 1}
    modes = {"frozen": ("frozen", False), "reset on levels": ("incremental+reset", True)}
    summary, per_repeat, runs = E.repeated_prequential(study, FULL, scaled, modes=modes,
                                                       adapter_factory=lambda m: hao.OnlineAdapter(m, batch_size=8),
                                                       levels_from=labelled_windows)
    # a frozen model on its repeat's test windows scores exactly what the comparison measured
    table = study.per_repeat[study.per_repeat["name"] == FULL].set_index("repeat")["accuracy"]
    frozen = per_repeat[per_repeat["name"] == "frozen"].set_index("repeat")["accuracy"]
    np.testing.assert_allclose(frozen.sort_index().to_numpy(), table.sort_index().to_numpy())
    assert summary.loc["frozen", "resets"] == 0 and summary.loc["frozen", "repeats"] == 2
    assert set(runs) == set(modes) and runs["frozen"]["subject"].is_monotonic_increasing
    with pytest.raises(ValueError, match="keep"):
        E.repeated_prequential(E.repeated_comparison(scaled, specs, repeats=[0], epochs=1, device="cpu", progress=False),
                               FULL, scaled, modes=modes, adapter_factory=lambda m: hao.OnlineAdapter(m))
    with pytest.raises(ValueError, match="levels_from"):
        E.repeated_prequential(study, FULL, scaled, modes=modes, adapter_factory=lambda m: hao.OnlineAdapter(m))
