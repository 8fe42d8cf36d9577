"""mer_lessons.metrics against scikit-learn, SciPy and the definitions."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from mer_lessons import metrics
from mer_lessons.papers import hao as papers_hao

# A small imbalanced 3-class example that is easy to check by hand.
Y_TRUE = ["calm"] * 6 + ["happy"] * 3 + ["sad"] * 1
Y_PRED = ["calm"] * 5 + ["happy"] + ["happy", "happy", "calm"] + ["calm"]


def random_labels(seed, n=200, classes=("Q1", "Q2", "Q3", "Q4"), p=(0.5, 0.2, 0.2, 0.1)):
    rng = np.random.default_rng(seed)
    y_true = rng.choice(classes, size=n, p=p)
    noisy = rng.choice(classes, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, noisy)
    return y_true, y_pred


# --------------------------------------------------------------------------- by hand


def test_confusion_matrix_by_hand():
    table = metrics.confusion(Y_TRUE, Y_PRED)
    assert list(table.index) == ["calm", "happy", "sad"] and list(table.columns) == ["calm", "happy", "sad"]
    assert table.to_numpy().tolist() == [[5, 1, 0], [1, 2, 0], [1, 0, 0]]
    assert table.index.name == "true" and table.columns.name == "predicted"


def test_classification_metrics_by_hand():
    # recalls: calm 5/6, happy 2/3, sad 0/1; precisions: calm 5/7, happy 2/3, sad 0 (never predicted)
    assert metrics.weighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)
    assert metrics.unweighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx((5 / 6 + 2 / 3 + 0) / 3)
    assert metrics.g_mean(Y_TRUE, Y_PRED) == 0.0          # one class never recognised
    f1_calm = 2 * (5 / 7) * (5 / 6) / (5 / 7 + 5 / 6)
    f1_happy = 2 / 3
    assert metrics.macro_f1(Y_TRUE, Y_PRED) == pytest.approx((f1_calm + f1_happy + 0) / 3)
    assert metrics.weighted_f1(Y_TRUE, Y_PRED) == pytest.approx((6 * f1_calm + 3 * f1_happy) / 10)
    assert metrics.precision(Y_TRUE, Y_PRED) == pytest.approx((5 / 7 + 2 / 3) / 3)
    recalls = metrics.per_class_recall(Y_TRUE, Y_PRED)
    assert recalls.to_dict() == pytest.approx({"calm": 5 / 6, "happy": 2 / 3, "sad": 0.0})


def test_g_mean_is_the_geometric_mean_of_recalls():
    y_true = ["a"] * 4 + ["b"] * 4
    y_pred = ["a", "a", "a", "b"] + ["b", "b", "a", "a"]     # recalls 3/4 and 1/2
    assert metrics.g_mean(y_true, y_pred) == pytest.approx(math.sqrt(0.75 * 0.5))
    assert metrics.g_mean(y_true, y_true) == 1.0


def test_majority_predictor_looks_good_on_accuracy_only():
    y_true = ["neutral"] * 80 + ["happy"] * 15 + ["sad"] * 5
    y_pred = ["neutral"] * 100
    row = metrics.classification_report_table(y_true, y_pred).iloc[0]
    assert row["accuracy"] == pytest.approx(0.8)
    assert row["ua"] == pytest.approx(1 / 3) and row["g_mean"] == 0.0
    assert row["macro_f1"] < 0.31 < row["weighted_f1"]


# --------------------------------------------------------------------------- against scikit-learn


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_sklearn(seed):
    y_true, y_pred = random_labels(seed)
    assert metrics.weighted_accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert metrics.unweighted_accuracy(y_true, y_pred) == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    for average in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        assert metrics.precision(y_true, y_pred, average=average) == pytest.approx(p)
        assert metrics.recall(y_true, y_pred, average=average) == pytest.approx(r)
        assert metrics.f1(y_true, y_pred, average=average) == pytest.approx(f)
    assert metrics.weighted_f1(y_true, y_pred) == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))
    labels = ["Q4", "Q3", "Q2", "Q1"]
    np.testing.assert_array_equal(metrics.confusion(y_true, y_pred, labels=labels).to_numpy(),
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(metrics.confusion(y_true, y_pred, normalize=normalize).to_numpy(),
                                   skm.confusion_matrix(y_true, y_pred, normalize=normalize))
    table = metrics.per_class_table(y_true, y_pred)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    np.testing.assert_allclose(table[["precision", "recall", "f1"]].to_numpy().T, [p, r, f])
    np.testing.assert_array_equal(table["support"], s)


def test_weighted_recall_is_accuracy_and_macro_recall_is_ua():
    y_true, y_pred = random_labels(5)
    assert metrics.recall(y_true, y_pred, average="weighted") == pytest.approx(metrics.accuracy(y_true, y_pred))
    assert metrics.recall(y_true, y_pred) == pytest.approx(metrics.unweighted_accuracy(y_true, y_pred))


def test_g_mean_against_the_product_of_sklearn_recalls():
    y_true, y_pred = random_labels(3)
    recalls = skm.recall_score(y_true, y_pred, average=None)
    assert metrics.g_mean(y_true, y_pred) == pytest.approx(np.prod(recalls) ** (1 / len(recalls)))


def test_labels_of_any_hashable_type_and_explicit_order():
    y_true = [(0, "a"), (1, "b"), (1, "b"), (0, "a")]
    y_pred = [(0, "a"), (1, "b"), (0, "a"), (0, "a")]
    assert metrics.unweighted_accuracy(y_true, y_pred) == pytest.approx(0.75)
    ints = metrics.confusion([2, 10, 1], [2, 10, 10])
    assert list(ints.index) == [1, 2, 10]                          # sorted, not as strings
    mixed = metrics.confusion([1, "x"], ["x", "x"])                  # unsortable: order of appearance
    assert list(mixed.index) == [1, "x"]
    ordered = metrics.confusion(Y_TRUE, Y_PRED, labels=["sad", "happy", "calm"])
    assert ordered.loc["calm", "calm"] == 5 and list(ordered.columns) == ["sad", "happy", "calm"]
    assert metrics.weighted_accuracy(pd.Series(Y_TRUE), np.array(Y_PRED)) == pytest.approx(0.7)


def test_absent_classes_are_left_out_of_ua_and_g_mean_with_a_warning():
    y_true = ["a", "a", "b", "b"]
    y_pred = ["a", "c", "b", "b"]                                    # "c" never occurs in y_true
    with pytest.warns(metrics.UndefinedMetricWarning, match="'c'"):
        ua = metrics.unweighted_accuracy(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ua == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred)) == pytest.approx(0.75)
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert metrics.g_mean(y_true, y_pred) == pytest.approx(math.sqrt(0.5))
    # precision/recall/F1 follow sklearn (zero_division=0): the absent class stays in the macro mean
    assert metrics.recall(y_true, y_pred) == pytest.approx(skm.recall_score(y_true, y_pred, average="macro",
                                                                            zero_division=0))
    assert metrics.recall(y_true, y_pred) == pytest.approx(0.5)
    with pytest.warns(metrics.UndefinedMetricWarning, match="UA and G-mean"):
        metrics.classification_report_table(y_true, y_pred, labels=["a", "b", "c", "d"])


def test_report_table_row():
    y_true, y_pred = random_labels(4)
    row = metrics.classification_report_table(y_true, y_pred, name="model")
    assert list(row.columns) == list(metrics.REPORT_COLUMNS) and list(row.index) == ["model"]
    r = row.iloc[0]
    assert r["weighted_recall"] == pytest.approx(r["accuracy"]) and r["n"] == 200
    assert r["average_score"] == pytest.approx(np.mean([r["accuracy"], r["macro_f1"], r["macro_precision"],
                                                        r["macro_recall"]]))


@pytest.mark.parametrize("bad", [
    lambda: metrics.weighted_accuracy([1, 2], [1]),
    lambda: metrics.weighted_accuracy([], []),
    lambda: metrics.weighted_accuracy("abc", "abd"),
    lambda: metrics.confusion([1, 2], [1, 3], labels=[1, 2]),
    lambda: metrics.confusion([1, 2], [1, 2], labels=[1, 1, 2]),
    lambda: metrics.confusion([1, 2], [1, 2], normalize="rows"),
    lambda: metrics.f1([1, 2], [1, 2], average="micro"),
])
def test_mismatched_or_invalid_inputs_raise(bad):
    with pytest.raises((ValueError, TypeError)):
        bad()


def test_quadrant_error_kinds():
    y_true = ["Q1", "Q1", "Q1", "Q1", "Q2", "Q3", "Q4", "Q4"]
    y_pred = ["Q1", "Q2", "Q4", "Q3", "Q2", "Q2", "Q3", "Q2"]
    kinds = metrics.quadrant_error_kinds(y_true, y_pred)
    assert kinds == pytest.approx({"valence only": 2 / 8, "arousal only": 2 / 8, "both": 2 / 8})
    assert 1 - sum(kinds.values()) == pytest.approx(metrics.accuracy(y_true, y_pred))
    with pytest.raises(ValueError, match="Q1-Q4"):
        metrics.quadrant_error_kinds(["Q1", "happy"], ["Q1", "Q1"])


# --------------------------------------------------------------------------- regression


def test_regression_metrics_against_sklearn_and_scipy():
    rng = np.random.default_rng(0)
    y = rng.uniform(1, 9, 300)
    p = 0.7 * y + 1.0 + rng.normal(0, 1, 300)
    assert metrics.mae(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert metrics.rmse(y, p) == pytest.approx(math.sqrt(skm.mean_squared_error(y, p)))
    assert metrics.pearson(y, p) == pytest.approx(stats.pearsonr(y, p)[0])
    expected = 2 * np.cov(y, p, bias=True)[0, 1] / (y.var() + p.var() + (y.mean() - p.mean()) ** 2)
    assert metrics.ccc(y, p) == pytest.approx(expected)
    # the identity CCC = r * 2 sx sy / (sx^2 + sy^2 + (mx - my)^2)
    sx, sy = y.std(), p.std()
    assert metrics.ccc(y, p) == pytest.approx(
        metrics.pearson(y, p) * 2 * sx * sy / (sx ** 2 + sy ** 2 + (y.mean() - p.mean()) ** 2))
    assert set(metrics.regression_report(y, p)) == {"mae", "rmse", "pearson", "ccc"}


def test_ccc_properties():
    rng = np.random.default_rng(1)
    y = rng.normal(5, 1.5, 500)
    assert metrics.ccc(y, y) == pytest.approx(1.0)
    shifted, scaled = y + 1.0, 5 + 0.3 * (y - 5)
    assert metrics.pearson(y, shifted) == pytest.approx(1.0) and metrics.pearson(y, scaled) == pytest.approx(1.0)
    assert metrics.ccc(y, shifted) < 0.9 and metrics.ccc(y, scaled) < 0.7
    assert metrics.ccc(y, y + 2.0) < metrics.ccc(y, y + 1.0)                 # more bias, lower CCC
    assert metrics.ccc(y, 10 - y) == pytest.approx(-1.0, abs=0.2) and metrics.ccc(y, 10 - y) < 0
    assert metrics.ccc(y, np.full_like(y, 5.0)) == 0.0                      # constant prediction
    assert metrics.ccc(y, shifted) == pytest.approx(metrics.ccc(shifted, y))   # symmetric


def test_constant_inputs_give_nan_with_a_warning():
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert math.isnan(metrics.pearson([1.0, 2.0, 3.0], [4.0, 4.0, 4.0]))
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert math.isnan(metrics.ccc([4.0, 4.0], [4.0, 4.0]))
    with pytest.raises(ValueError):
        metrics.mae([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError):
        metrics.rmse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        metrics.pearson([1.0], [2.0])


# --------------------------------------------------------------------------- latency


def test_latency_summary_in_milliseconds():
    seconds = np.arange(1, 101) / 1000.0                    # 1 ms ... 100 ms
    summary = metrics.latency_summary(seconds)
    assert summary["n"] == 100
    assert summary["mean_ms"] == pytest.approx(50.5)
    assert summary["p50_ms"] == pytest.approx(np.percentile(np.arange(1, 101), 50))
    assert summary["p95_ms"] == pytest.approx(95.05) and summary["p99_ms"] == pytest.approx(99.01)
    assert metrics.latency_summary([0.002])["p99_ms"] == pytest.approx(2.0)
    assert metrics.latency_summary(x / 1000 for x in (1.0, 3.0))["mean_ms"] == pytest.approx(2.0)
    for bad in ([], [-0.1], [np.nan]):
        with pytest.raises(ValueError):
            metrics.latency_summary(bad)


# --------------------------------------------------------------------------- Hao et al., Table 3

# Hao et al., Table 3, from its one home (mer_lessons.papers.hao), in short column names.
HAO_TABLE3 = papers_hao.TABLE3.rename(columns={
    "Model": "model", "Accuracy (%)": "accuracy", "F1 score": "f1", "Precision": "precision", "Recall": "recall",
    "Latency (ms)": "latency_ms", "Average score": "average"}).set_index("model")


def _round2(x):
    return math.floor(x * 100 + 0.5 + 1e-9) / 100      # half up, robust to binary representation


def test_average_score_reproduces_most_but_not_all_rows_of_table3():
    t = HAO_TABLE3
    ours = [metrics.average_score(a / 100, f, p, r) for a, f, p, r in
            zip(t["accuracy"], t["f1"], t["precision"], t["recall"])]
    matches = [_round2(o) == pytest.approx(avg) for o, avg in zip(ours, t["average"])]
    mismatched = sorted(t.index[~np.array(matches)])
    # the plain mean of the four metrics, rounded to 2 decimals, gives the printed value in 9 of 14 rows
    assert sum(matches) == 9
    assert mismatched == sorted(["MLP-EmotionNet", "GRU + Spectrogram features", "Capsule network",
                                 "Hybrid CNN-GRU", "Random forest classifier"])
    # allowing for the rounding of the printed inputs (accuracy +-0.05 %, the others +-0.005),
    # only the Capsule network row is out of reach: at most 0.794, printed 0.80
    lo = (t["accuracy"] / 100 - 0.0005 + t[["f1", "precision", "recall"]].sum(axis=1) - 0.015) / 4
    hi = (t["accuracy"] / 100 + 0.0005 + t[["f1", "precision", "recall"]].sum(axis=1) + 0.015) / 4
    consistent = (hi >= t["average"] - 0.005) & (lo <= t["average"] + 0.005)
    assert list(t.index[~consistent]) == ["Capsule network"]
    assert hi["Capsule network"] == pytest.approx(0.794, abs=5e-4)


def test_no_simple_alternative_reproduces_table3_either():
    t = HAO_TABLE3
    mean3 = t[["f1", "precision", "recall"]].mean(axis=1).map(_round2)
    wrong = [name for name, m, avg in zip(t.index, mean3, t["average"]) if abs(m - avg) > 1e-9]
    assert sorted(wrong) == ["Capsule network", "MLP-EmotionNet"]          # mean of F1, P, R: 12 of 14
    f1_only = [name for name, f, avg in zip(t.index, t["f1"], t["average"]) if abs(f - avg) > 1e-9]
    assert len(f1_only) == 3                                               # "it is just F1": 11 of 14


def test_average_score_scale_and_range():
    assert metrics.average_score(0.8, 0.6, 0.7, 0.5) == pytest.approx(0.65)
    with pytest.raises(ValueError, match="fraction"):
        metrics.average_score(87.5, 0.89, 0.88, 0.87)
    with pytest.raises(ValueError):
        metrics.average_score(0.5, -0.1, 0.5, 0.5)


def test_errors_are_validation_errors_naming_function_and_argument():
    from mer_lessons import validation

    with pytest.raises(validation.WrongShapeError, match=r"^f1: y_pred must be as long as y_true \(2 items\), got 1"):
        metrics.f1([1, 2], [1])
    with pytest.raises(validation.WrongTypeError, match=r"^weighted_accuracy: y_true must be a sequence of labels"):
        metrics.weighted_accuracy("abc", "abd")
    with pytest.raises(TypeError):  # still a TypeError for callers that catch those
        metrics.weighted_accuracy("abc", "abd")
    with pytest.raises(validation.EmptyInputError, match=r"^accuracy: y_true must be non-empty"):
        metrics.accuracy([], [])
    with pytest.raises(validation.UnknownOptionError, match=r"^confusion: y_pred must be made of labels from"):
        metrics.confusion([1, 2], [1, 3], labels=[1, 2])
    with pytest.raises(validation.UnknownOptionError, match=r"^precision: average must be one of 'macro', 'weighted'"):
        metrics.precision([1, 2], [1, 2], average="micro")
    with pytest.raises(validation.UnknownOptionError, match=r"^confusion: normalize must be one of"):
        metrics.confusion([1, 2], [1, 2], normalize="rows")
    with pytest.raises(validation.InputError, match=r"^confusion: labels must be free of duplicates"):
        metrics.confusion([1, 2], [1, 2], labels=[1, 1, 2])
    with pytest.raises(validation.OutOfRangeError,
                       match=r"^average_score: accuracy must be a number in \[0, 1\], got 87.5; pass accuracy"):
        metrics.average_score(87.5, 0.8, 0.8, 0.8)
    with pytest.raises(validation.NonFiniteError, match=r"^mae: y_true must be finite"):
        metrics.mae([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(validation.WrongShapeError, match=r"^rmse: y_pred must be as long as y_true"):
        metrics.rmse([1.0, 2.0], [1.0])
    with pytest.raises(validation.EmptyInputError, match=r"^pearson: y_true must be at least 2 values long"):
        metrics.pearson([1.0], [2.0])
    with pytest.raises(validation.OutOfRangeError, match=r"^latency_summary: seconds must be latencies >= 0 s"):
        metrics.latency_summary([-0.1])
    assert metrics.mae(pd.Series([1.0, 2.0], dtype=object), [1.0, 3.0]) == pytest.approx(0.5)  # object columns
