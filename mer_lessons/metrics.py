"""The metrics the papers report, written out so that every number can be traced.

Classification (labels of any hashable type: strings, ints, tuples ...)

* :func:`weighted_accuracy` (WA): the share of correct predictions, i.e. plain accuracy.
  Speech and music emotion papers call it "weighted" because every class counts in
  proportion to its size.
* :func:`unweighted_accuracy` (UA): the mean of the per-class recalls, every class
  counting equally (scikit-learn's ``balanced_accuracy_score``).
* :func:`g_mean`: the geometric mean of the per-class recalls ("G-Mean accuracy" in Hao
  et al., Table 4). It is 0 as soon as one class is never recognised.
* :func:`precision`, :func:`recall`, :func:`f1` with ``average="macro"`` (every class
  counts equally) or ``"weighted"`` (classes weighted by their number of true items);
  :func:`macro_f1`, :func:`weighted_f1`; :func:`per_class_table` for one row per class.
* :func:`quadrant_error_kinds`: are the errors on quadrant labels valence or arousal errors?
* :func:`confusion` (a labelled DataFrame), :func:`classification_report_table` (every
  metric above in one row), :func:`average_score` (the last column of Hao et al.'s
  Table 3; see its docstring for what we could and could not reproduce).

Regression (valence/arousal ratings): :func:`mae`, :func:`rmse`, :func:`pearson`,
:func:`ccc` (Lin's concordance correlation coefficient) and :func:`regression_report`.

Speed: :func:`latency_summary` (mean, median, 95th and 99th percentile in ms).

Conventions
-----------
``labels`` (optional) fixes the order of the classes and may include classes that do not
occur in this sample; every value of ``y_true`` and ``y_pred`` must then be one of them
(a ``ValueError`` otherwise). Without it, the classes are the sorted union of the values
in ``y_true`` and ``y_pred`` (order of first appearance when the values cannot be sorted).

**Classes absent from y_true.** A class with no true item has no recall (0/0).
:func:`unweighted_accuracy` and :func:`g_mean` leave such classes out and issue an
:class:`UndefinedMetricWarning` naming them, like ``balanced_accuracy_score``.
:func:`precision`/:func:`recall`/:func:`f1` follow ``precision_recall_fscore_support``
with ``zero_division=0``: an undefined per-class value counts as 0 and the class stays in
the macro average. So macro recall equals UA exactly when every class of ``labels``
occurs in ``y_true``; otherwise macro recall is lower (the absent class adds a 0).

Taught in ``05_metrics_and_classical_baselines``; used by the baselines
(:mod:`mer_lessons.models.baselines`) and every chapter that reports a result.
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from mer_lessons.validation import (
    EmptyInputError,
    InputError,
    OutOfRangeError,
    UnknownOptionError,
    WrongShapeError,
    WrongTypeError,
    as_choice,
    as_float,
    as_labels,
    as_signal,
    message,
)

#: Columns of :func:`classification_report_table`, in order.
REPORT_COLUMNS = ("accuracy", "ua", "g_mean", "macro_precision", "macro_recall", "macro_f1",
                  "weighted_precision", "weighted_recall", "weighted_f1", "average_score", "n")

#: Accepted values of ``average``.
AVERAGES = ("macro", "weighted")

#: Accepted values of ``normalize`` in :func:`confusion`.
NORMALIZATIONS = (None, "true", "pred", "all")


class UndefinedMetricWarning(UserWarning):
    """A metric was computed over fewer classes (or is nan) because some quantity was 0/0.

    Taught in ``05_metrics_and_classical_baselines``.
    """


# --------------------------------------------------------------------------- labels


def _default_labels(y_true: np.ndarray, y_pred: np.ndarray) -> list:
    seen = list(dict.fromkeys(list(y_true) + list(y_pred)))
    try:
        return sorted(seen)
    except TypeError:  # mixed types that do not compare: keep the order of appearance
        return seen


def _prepare(y_true, y_pred, labels: Sequence | None = None, *,
             where: str) -> tuple[np.ndarray, np.ndarray, list]:
    """Validate a classification input and return (true codes, predicted codes, labels).

    ``where`` is the public function the student called; it leads every error message.
    """
    y_true = as_labels(y_true, "y_true", where=where)
    y_pred = as_labels(y_pred, "y_pred", where=where)
    if len(y_true) != len(y_pred):
        raise WrongShapeError(message("y_pred", f"as long as y_true ({len(y_true)} items)", f"{len(y_pred)} items",
                                      where=where, describe=False))
    if len(y_true) == 0:
        raise EmptyInputError(message("y_true", "non-empty (at least one item)", "0 items", where=where,
                                      describe=False))
    if labels is None:
        labels = _default_labels(y_true, y_pred)
    else:
        labels = list(as_labels(labels, "labels", where=where, min_length=1))
        if len(set(labels)) != len(labels):
            raise InputError(message("labels", "free of duplicates", labels, where=where))
    index = {label: code for code, label in enumerate(labels)}
    codes = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        unknown = [v for v in dict.fromkeys(values) if v not in index]
        if unknown:
            raise UnknownOptionError(message(name, f"made of labels from labels={labels}",
                                             f"unknown labels {unknown[:5]}", where=where, describe=False))
        codes.append(np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values)))
    return codes[0], codes[1], labels


def _counts(y_true, y_pred, labels=None, *, where: str) -> tuple[np.ndarray, list]:
    """Confusion counts ``C[i, j]`` = items of true class i predicted as class j."""
    t, p, labels = _prepare(y_true, y_pred, labels, where=where)
    k = len(labels)
    matrix = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    return matrix, labels


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division with 0 where the denominator is 0 (``zero_division=0``)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _present_recalls(y_true, y_pred, labels, metric: str) -> np.ndarray:
    """Recalls of the classes that occur in y_true; warns naming the ones left out."""
    matrix, labels = _counts(y_true, y_pred, labels, where=metric)
    support = matrix.sum(axis=1)
    absent = [label for label, n in zip(labels, support) if n == 0]
    if absent:
        warnings.warn(f"{metric}: classes {absent} do not occur in y_true, so their recall is undefined; "
                      "they are left out", UndefinedMetricWarning, stacklevel=3)
    present = support > 0
    return np.diag(matrix)[present] / support[present]


# --------------------------------------------------------------------------- classification


def confusion(y_true, y_pred, labels: Sequence | None = None, normalize: str | None = None) -> pd.DataFrame:
    """Confusion matrix as a DataFrame: rows are true classes, columns predicted classes.

    ``normalize``: None (counts), ``"true"`` (each row sums to 1: the diagonal holds the
    per-class recalls), ``"pred"`` (each column sums to 1: the diagonal holds the
    precisions) or ``"all"`` (the whole matrix sums to 1). A row or column with no items
    stays 0. Same numbers as ``sklearn.metrics.confusion_matrix``.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    as_choice(normalize, "normalize", NORMALIZATIONS, where="confusion")
    matrix, labels = _counts(y_true, y_pred, labels, where="confusion")
    if normalize == "true":
        values = _safe_divide(matrix, matrix.sum(axis=1, keepdims=True))
    elif normalize == "pred":
        values = _safe_divide(matrix, matrix.sum(axis=0, keepdims=True))
    elif normalize == "all":
        values = matrix / matrix.sum()
    else:
        values = matrix
    return pd.DataFrame(values, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="predicted"))


def weighted_accuracy(y_true, y_pred, labels: Sequence | None = None) -> float:
    """WA: the share of items whose prediction equals the truth (plain accuracy), in [0, 1].

    ``labels`` only validates (every value must be one of them).
    Taught in ``05_metrics_and_classical_baselines``.
    """
    t, p, _ = _prepare(y_true, y_pred, labels, where="weighted_accuracy")
    return float(np.mean(t == p))


def accuracy(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Plain accuracy in [0, 1] of two ``(n,)`` label sequences; the same as :func:`weighted_accuracy`.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    t, p, _ = _prepare(y_true, y_pred, labels, where="accuracy")
    return float(np.mean(t == p))


def per_class_recall(y_true, y_pred, labels: Sequence | None = None) -> pd.Series:
    """Recall of every class (correct / true items of that class); nan for a class absent from y_true.

    A Series indexed by class, values in [0, 1]. Taught in ``05_metrics_and_classical_baselines``.
    """
    matrix, labels = _counts(y_true, y_pred, labels, where="per_class_recall")
    support = matrix.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, np.diag(matrix) / np.where(support > 0, support, 1), np.nan)
    return pd.Series(recall, index=pd.Index(labels, name="class"), name="recall")


def unweighted_accuracy(y_true, y_pred, labels: Sequence | None = None) -> float:
    """UA: the mean of the per-class recalls, every class counting equally, in [0, 1].

    Classes absent from ``y_true`` are left out with an :class:`UndefinedMetricWarning`
    (see the module docstring). Equals ``sklearn.metrics.balanced_accuracy_score``.
    A majority-class predictor scores 1 / (number of classes).
    Taught in ``05_metrics_and_classical_baselines``.
    """
    return float(np.mean(_present_recalls(y_true, y_pred, labels, "unweighted_accuracy")))


def g_mean(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Geometric mean of the per-class recalls, in [0, 1]; 0 if any class has recall 0.

    ``(r_1 * r_2 * ... * r_K) ** (1/K)`` over the K classes present in ``y_true`` (absent
    classes are left out with a warning, as in :func:`unweighted_accuracy`). It punishes a
    model that neglects one class much harder than UA does. Hao et al. report it as
    "G-Mean accuracy" (Table 4).
    Taught in ``05_metrics_and_classical_baselines``.
    """
    recalls = _present_recalls(y_true, y_pred, labels, "g_mean")
    if np.any(recalls == 0):
        return 0.0
    return float(np.exp(np.mean(np.log(recalls))))


def per_class_table(y_true, y_pred, labels: Sequence | None = None) -> pd.DataFrame:
    """One row per class: precision, recall, f1 and support (number of true items).

    Undefined values (0/0) are 0, as ``precision_recall_fscore_support(zero_division=0)``.
    Per-class F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.
    A DataFrame of shape ``(n_classes, 4)``. Taught in ``05_metrics_and_classical_baselines``.
    """
    return _per_class_table(y_true, y_pred, labels, where="per_class_table")


def _per_class_table(y_true, y_pred, labels, *, where: str) -> pd.DataFrame:
    matrix, labels = _counts(y_true, y_pred, labels, where=where)
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    table = pd.DataFrame({
        "precision": _safe_divide(tp, predicted),
        "recall": _safe_divide(tp, support),
        "f1": _safe_divide(2 * tp, support + predicted),
        "support": support,
    }, index=pd.Index(labels, name="class"))
    return table


def _average(column: str, y_true, y_pred, labels, average: str, *, where: str) -> float:
    as_choice(average, "average", AVERAGES, where=where)
    table = _per_class_table(y_true, y_pred, labels, where=where)
    if average == "macro":
        return float(table[column].mean())
    total = table["support"].sum()
    return float((table[column] * table["support"]).sum() / total) if total else 0.0


def precision(y_true, y_pred, labels: Sequence | None = None, average: str = "macro") -> float:
    """Precision averaged over classes: ``"macro"`` (plain mean) or ``"weighted"`` (by support).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    return _average("precision", y_true, y_pred, labels, average, where="precision")


def recall(y_true, y_pred, labels: Sequence | None = None, average: str = "macro") -> float:
    """Recall averaged over classes. Weighted recall always equals accuracy; macro recall is
    UA when every class occurs in ``y_true``.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    return _average("recall", y_true, y_pred, labels, average, where="recall")


def f1(y_true, y_pred, labels: Sequence | None = None, average: str = "macro") -> float:
    """F1 (harmonic mean of precision and recall) per class, averaged ``"macro"`` or ``"weighted"``.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    return _average("f1", y_true, y_pred, labels, average, where="f1")


def macro_f1(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Mean of the per-class F1 scores (every class counts equally).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    return f1(y_true, y_pred, labels, average="macro")


def weighted_f1(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Per-class F1 weighted by the number of true items of each class (Hao et al., Table 4).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    return f1(y_true, y_pred, labels, average="weighted")


def average_score(accuracy: float, f1: float, precision: float, recall: float) -> float:
    """The "Average score" of Hao et al.'s Table 3: the plain mean of the four metrics.

    All four on the 0-1 scale (pass accuracy 0.875, not 87.5; a value above 1 raises).

    The paper does not say how its Average score is computed, so we checked its Table 3
    (``tests/test_metrics.py`` types in all 14 rows). The mean of accuracy/100, F1,
    precision and recall, rounded to two decimals, gives the printed value in 9 of the 14
    rows; allowing for the rounding of the printed inputs it is consistent with 13 of
    14. The Capsule network row (80.1 %, 0.79, 0.78, 0.79 -> printed 0.80) cannot come
    from this mean: even with every input at the top of its rounding interval the mean is
    0.794. The mean of F1, precision and recall alone matches 12 of 14 rows exactly
    (not MLP-EmotionNet, not Capsule network) and no weighted mean of the four matches all
    14. No simple formula reproduces the column, so we implement the plain mean of the
    four metrics the column sits beside, and say so wherever we print it.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    values = {"accuracy": accuracy, "f1": f1, "precision": precision, "recall": recall}
    for name, value in values.items():
        value = as_float(value, name, where="average_score")
        if not 0.0 <= value <= 1.0:
            hint = "pass accuracy as a fraction, e.g. 0.875 for 87.5 %" if value > 1 else None
            raise OutOfRangeError(message(name, "a number in [0, 1]", value, where="average_score", hint=hint))
        values[name] = value
    return float(np.mean(list(values.values())))


def classification_report_table(y_true, y_pred, labels: Sequence | None = None, *,
                                name: str | None = None) -> pd.DataFrame:
    """Every classification metric of this module in one row (columns :data:`REPORT_COLUMNS`).

    ``average_score`` is :func:`average_score` of accuracy, macro F1, macro precision and
    macro recall (Hao et al. do not say which average their Table 3 uses; we take macro,
    because it is the one that does not hide imbalance). ``name`` labels the row.
    Classes absent from ``y_true`` warn once (from UA/G-mean).
    Taught in ``05_metrics_and_classical_baselines``.
    """
    table = _per_class_table(y_true, y_pred, labels, where="classification_report_table")
    support = table["support"].to_numpy()
    total = support.sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedMetricWarning)
        ua = unweighted_accuracy(y_true, y_pred, labels)
        gm = g_mean(y_true, y_pred, labels)
    if caught:
        warnings.warn(str(caught[0].message).replace("unweighted_accuracy", "UA and G-mean"),
                      UndefinedMetricWarning, stacklevel=2)
    acc = weighted_accuracy(y_true, y_pred)
    row: dict[str, float] = {"accuracy": acc, "ua": ua, "g_mean": gm}
    for column in ("precision", "recall", "f1"):
        row[f"macro_{column}"] = float(table[column].mean())
        row[f"weighted_{column}"] = float((table[column] * support).sum() / total)
    row["average_score"] = average_score(acc, row["macro_f1"], row["macro_precision"], row["macro_recall"])
    row["n"] = int(total)
    return pd.DataFrame([row], columns=list(REPORT_COLUMNS), index=[name if name is not None else 0])


#: Quadrants of the valence-arousal plane as (high valence, high arousal) (Russell's circumplex).
QUADRANT_AXES = {"Q1": (1, 1), "Q2": (0, 1), "Q3": (0, 0), "Q4": (1, 0)}


def quadrant_error_kinds(y_true, y_pred) -> dict[str, float]:
    """Shares of all predictions of quadrant labels that are wrong on valence only, arousal only, or both.

    ``Q1`` (happy) / ``Q2`` (tense) / ``Q3`` (sad) / ``Q4`` (calm): Q1 vs Q2 and Q3 vs Q4 are
    valence errors, Q1 vs Q4 and Q2 vs Q3 arousal errors, Q1 vs Q3 and Q2 vs Q4 both.
    Returns ``{"valence only", "arousal only", "both"}``; 1 minus their sum is the accuracy.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    t, p, labels = _prepare(y_true, y_pred, where="quadrant_error_kinds")
    unknown = [label for label in labels if label not in QUADRANT_AXES]
    if unknown:
        raise UnknownOptionError(message("y_true and y_pred", "quadrant labels Q1-Q4", f"other labels {unknown}",
                                         where="quadrant_error_kinds", describe=False))
    axes = np.array([QUADRANT_AXES[label] for label in labels])
    wrong = axes[t] != axes[p]
    return {"valence only": float(np.mean(wrong[:, 0] & ~wrong[:, 1])),
            "arousal only": float(np.mean(wrong[:, 1] & ~wrong[:, 0])),
            "both": float(np.mean(wrong.all(axis=1)))}


# --------------------------------------------------------------------------- regression


def _ratings(values, name: str, where: str) -> np.ndarray:
    """Ratings as a finite 1-D float array (pandas object columns of numbers are fine)."""
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise WrongTypeError(message(name, "numbers (ratings)", values, where=where)) from None
    return as_signal(values, name, where=where, ndim=1)


def _as_pair(y_true, y_pred, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    a = _ratings(y_true, "y_true", where)
    b = _ratings(y_pred, "y_pred", where)
    if len(a) != len(b):
        raise WrongShapeError(message("y_pred", f"as long as y_true ({len(a)} values)", f"{len(b)} values",
                                      where=where, describe=False))
    return a, b


def mae(y_true, y_pred) -> float:
    """Mean absolute error of two ``(n,)`` arrays of ratings, in the units of the ratings.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    a, b = _as_pair(y_true, y_pred, where="mae")
    return float(np.mean(np.abs(a - b)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error of two ``(n,)`` arrays of ratings, in their units (>= MAE; large errors weigh more).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    a, b = _as_pair(y_true, y_pred, where="rmse")
    return float(np.sqrt(np.mean((a - b) ** 2)))


def pearson(y_true, y_pred) -> float:
    """Pearson correlation coefficient in [-1, 1].

    Blind to offset and scale: adding a constant to the predictions, or multiplying them
    by a positive number, leaves it unchanged. If either input is constant the
    correlation is undefined: returns nan with an :class:`UndefinedMetricWarning` (as
    ``scipy.stats.pearsonr`` does), so that a cross-validation loop does not stop.
    Needs at least 2 values.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    a, b = _as_pair(y_true, y_pred, where="pearson")
    if len(a) < 2:
        raise EmptyInputError(message("y_true", "at least 2 values long", f"{len(a)}", where="pearson",
                                      describe=False))
    da, db = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    if denominator == 0:
        warnings.warn("pearson: an input is constant, so the correlation is undefined (nan)",
                      UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    return float(np.clip(np.dot(da, db) / denominator, -1.0, 1.0))


def ccc(y_true, y_pred) -> float:
    """Lin's concordance correlation coefficient, in [-1, 1].

    ``2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))**2)`` with population
    (1/N) moments (Lin, 1989). It is 1 only when the predictions equal the truth; an
    offset or a change of scale lowers it, which Pearson's correlation does not notice.
    Equals ``pearson * 2 sd_x sd_y / (sd_x**2 + sd_y**2 + (mean_x - mean_y)**2)``.
    When both inputs are the same constant the value is 0/0: nan with an
    :class:`UndefinedMetricWarning`. A constant prediction of a varying truth gives 0.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    a, b = _as_pair(y_true, y_pred, where="ccc")
    mean_a, mean_b = a.mean(), b.mean()
    covariance = float(np.mean((a - mean_a) * (b - mean_b)))
    denominator = float(a.var() + b.var() + (mean_a - mean_b) ** 2)
    if denominator == 0:
        warnings.warn("ccc: both inputs are the same constant, so the concordance is undefined (nan)",
                      UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    return 2.0 * covariance / denominator


def grade_correlation(table, grades) -> float:
    """Pearson correlation between the true and the predicted classes' numeric grades, from a confusion table.

    ``table``: counts, rows true class, columns predicted (:func:`confusion`); ``grades``:
    ``{class: value}`` for every class of the table (e.g. the middle of each emotion's
    range in Liu et al. (2025), Sec. 4.2: trust 0.05, joy 0.15, ... disgust 0.9). Every
    test item is the pair (grade of its true class, grade of its predicted class), each
    cell counted as often as it holds items; the result is their Pearson r (NaN when
    either side has no spread, e.g. one predicted class only). Perfect predictions give 1.

    Liu et al. (2025), Fig. 9, report "the correlation coefficient" between recognised and
    actual emotions without defining it; we: this reading, which needs a number per class
    and so uses their grades.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    table = pd.DataFrame(table)
    missing = [c for c in list(table.index) + list(table.columns) if c not in grades]
    if missing:
        raise KeyError(f"grade_correlation: no grade for {sorted(set(map(str, missing)))}")
    counts = table.to_numpy(dtype=float)
    if (counts < 0).any():
        raise ValueError("grade_correlation: the table must hold counts (>= 0)")
    true_g = np.array([grades[c] for c in table.index], dtype=float)[:, None] * np.ones_like(counts)
    pred_g = np.array([grades[c] for c in table.columns], dtype=float)[None, :] * np.ones_like(counts)
    w = counts / counts.sum() if counts.sum() > 0 else counts
    if counts.sum() == 0:
        return float("nan")
    mt, mp = (w * true_g).sum(), (w * pred_g).sum()
    cov = (w * (true_g - mt) * (pred_g - mp)).sum()
    vt, vp = (w * (true_g - mt) ** 2).sum(), (w * (pred_g - mp) ** 2).sum()
    return float(cov / np.sqrt(vt * vp)) if vt > 0 and vp > 0 else float("nan")


def regression_report(y_true, y_pred) -> dict[str, float]:
    """``{"mae", "rmse", "pearson", "ccc"}`` of one prediction of a rating.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    return {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred),
            "pearson": pearson(y_true, y_pred), "ccc": ccc(y_true, y_pred)}


# --------------------------------------------------------------------------- latency


def latency_summary(seconds: Iterable[float]) -> dict[str, float]:
    """Summarise measured latencies (in **seconds**) in **milliseconds**.

    Returns ``{"n", "mean_ms", "p50_ms", "p95_ms", "p99_ms"}``: the number of
    measurements, their mean, median and 95th/99th percentiles (NumPy's linear
    interpolation). The tail percentiles matter for real-time use: a system whose mean is
    10 ms but whose p99 is 200 ms stutters once in a hundred predictions.
    Taught in ``05_metrics_and_classical_baselines``.
    """
    values = np.asarray(list(seconds) if not hasattr(seconds, "__len__") else seconds, dtype=float).ravel()
    values = as_signal(values, "seconds", where="latency_summary")
    if np.any(values < 0):
        raise OutOfRangeError(message("seconds", "latencies >= 0 s", f"min {values.min():g}", where="latency_summary",
                                      describe=False))
    ms = values * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"n": int(ms.size), "mean_ms": float(ms.mean()), "p50_ms": float(p50),
            "p95_ms": float(p95), "p99_ms": float(p99)}


# --------------------------------------------------------------------------- mutual information (Wang)
#
# Wang's cross-modal interaction module weighs text and audio by "mutual information
# entropy" (Abstract, Introduction, Sec. 3 and 4; the paper prints no equation for it).
# The two functions below are the estimator and the weighting rule the course uses.

from scipy.spatial import cKDTree  # noqa: E402  (imports of this section)
from scipy.special import digamma  # noqa: E402

from mer_lessons.validation import as_int  # noqa: E402


def _mi_samples(values, name: str, where: str) -> np.ndarray:
    """``values`` as a finite float array of shape (N, D); a 1-D input becomes (N, 1)."""
    arr = as_signal(values, name, where=where, ndim=(1, 2),
                    hint="pass one row per sample: shape (N,) or (N, D)")
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def _standardise_and_jitter(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each column to mean 0 and standard deviation 1 (a constant column only centred), plus
    a 1e-10 Gaussian jitter so that no two distances tie."""
    std = arr.std(axis=0)
    out = (arr - arr.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return out + 1e-10 * rng.standard_normal(out.shape)


def _count_within(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """For every row of ``points``: how many other rows lie strictly closer than ``radius``
    (max-norm). ``np.nextafter`` turns the closed ball of the k-d tree into an open one."""
    tree = cKDTree(points)
    inside = tree.query_ball_point(points, r=np.nextafter(radius, 0), p=np.inf, return_length=True)
    return np.asarray(inside, dtype=np.int64) - 1       # the point itself is inside its own ball


def mutual_information(x, y, k: int = 3, seed: int = 0) -> float:
    """Mutual information I(X; Y) in nats between two continuous (multivariate) variables.

    ``x``: shape (N,) or (N, Dx); ``y``: shape (N,) or (N, Dy); row ``i`` of both is one
    sample (one song: its text features and its audio features, say). Returns a float >= 0
    in nats (divide by ln 2 = 0.693 for bits). For a bivariate Gaussian with correlation
    rho the exact value is ``-1/2 ln(1 - rho**2)`` (0.830 nats at rho = 0.9).

    The estimator (Kraskov, Stögbauer & Grassberger 2004, "Estimating mutual information",
    Phys. Rev. E 69, 066138; their estimator 1, Eq. 8), in plain words: mutual information
    asks how much knowing x narrows down y. Take every sample and find its k-th nearest
    neighbour in the joint space (x, y), measuring distance with the max-norm (the largest
    difference over all coordinates); call that distance eps_i. Now look at x alone and
    count the samples n_x(i) closer than eps_i to sample i; do the same in y alone for
    n_y(i). If x and y are independent, a ball that holds k neighbours in the joint space
    holds many more in each marginal space; if they are dependent, the neighbours in the
    joint space are also the neighbours in each marginal, so n_x and n_y stay small. The
    digamma function psi (psi(n) ~ ln n) turns those counts into a log-volume estimate::

        I(X; Y) = psi(k) + psi(N) - < psi(n_x(i) + 1) + psi(n_y(i) + 1) >_i

    where <.>_i averages over the N samples. The estimate is nearly unbiased for small k
    (k = 3 is the authors' suggestion) and its error shrinks as 1/sqrt(N); it needs many
    samples when Dx + Dy is large (tens of dimensions), and is biased towards 0 there:
    reduce high-dimensional features (PCA to a few components) before estimating.

    Where we depart from KSG: every column is standardised (mean 0, standard deviation 1)
    first, so the estimate does not depend on units (MI itself does not: scaling one
    variable leaves it unchanged, and with the max-norm the estimator would otherwise be
    dominated by the widest column); a seeded Gaussian jitter of 1e-10 (after
    standardising) breaks ties between equal distances (repeated values), as
    scikit-learn's ``mutual_info_regression`` does; and the result is clipped at 0 (the
    raw estimate of independent variables scatters around 0 and can be slightly negative,
    but mutual information cannot be). The neighbour searches use ``scipy.spatial.cKDTree``
    (about 10 ms for N = 1000 in 3 + 3 dimensions on one CPU core).
    Paper (Wang): "mutual information entropy" between audio and text, no estimator given;
    we: the KSG estimator above, in nats.

    Raises :class:`~mer_lessons.validation.InputError` subclasses naming the argument: x or y
    not 1-D/2-D, with NaN or infinite values, a different number of rows (``y``), at most
    ``k`` rows (``x``: the k-th neighbour must exist), ``k`` < 1.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "mutual_information"
    k = as_int(k, "k", minimum=1, where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    x = _mi_samples(x, "x", where)
    y = _mi_samples(y, "y", where)
    if len(y) != len(x):
        raise WrongShapeError(message("y", f"as many rows (samples) as x ({len(x)})", f"{len(y)} rows",
                                      where=where, describe=False))
    n = len(x)
    if n <= k:
        raise EmptyInputError(message("x", f"at least k + 1 = {k + 1} samples (rows) long", f"{n}", where=where,
                                      describe=False, hint="lower k or pass more samples"))
    rng = np.random.default_rng(seed)
    x = _standardise_and_jitter(x, rng)
    y = _standardise_and_jitter(y, rng)
    joint = np.hstack([x, y])
    distances, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)   # column 0 is the point itself
    eps = distances[:, -1]
    n_x = _count_within(x, eps)
    n_y = _count_within(y, eps)
    estimate = digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_y + 1))
    return float(max(estimate, 0.0))


def _mi_with_labels(x: np.ndarray, codes: np.ndarray, k: int, rng: np.random.Generator) -> float:
    """I(X; C) in nats between continuous ``x`` (N, D) and integer class codes (N,).

    Ross (2014, PLoS ONE 9(2): e87357), the KSG idea for a discrete second variable: eps_i
    is the distance to the k-th neighbour of sample i *within its own class*, m_i the number
    of samples of any class strictly closer than eps_i (i included), N_c(i) the size of i's
    class, N the number of samples used::

        I(X; C) = psi(N) + < psi(k_i) > - < psi(N_c(i)) > - < psi(m_i) >

    A class with fewer than k + 1 samples uses k_i = its size - 1 (scikit-learn's
    ``mutual_info_classif`` does the same); single-sample classes are left out.
    """
    x = _standardise_and_jitter(x, rng)
    radius = np.zeros(len(x))
    k_used = np.zeros(len(x))
    class_size = np.bincount(codes)[codes]
    for c in np.unique(codes):
        members = codes == c
        size = int(members.sum())
        if size < 2:
            continue
        k_c = min(k, size - 1)
        distances, _ = cKDTree(x[members]).query(x[members], k=k_c + 1, p=np.inf)
        radius[members] = distances[:, -1]
        k_used[members] = k_c
    kept = k_used > 0
    if not kept.any():
        return 0.0
    inside = cKDTree(x).query_ball_point(x[kept], r=np.nextafter(radius[kept], 0), p=np.inf,
                                         return_length=True)
    m = np.asarray(inside, dtype=np.int64)
    estimate = (digamma(int(kept.sum())) + np.mean(digamma(k_used[kept])) - np.mean(digamma(class_size[kept]))
                - np.mean(digamma(m)))
    return float(max(estimate, 0.0))


def _share(a: float, b: float) -> tuple:
    """``(a, b) / (a + b)``, or (0.5, 0.5) when both are 0 (no evidence for either)."""
    total = a + b
    return (a / total, b / total) if total > 0 else (0.5, 0.5)


def modality_weights(text, audio, labels=None, k: int = 3):
    """Weights of the text and the audio modality from mutual information; they sum to 1.

    ``text``: features of each song's lyrics, shape (N, Dt) (or (N,)); ``audio``: features
    of the same songs' audio, (N, Da); ``labels``: optional emotion class of each song, (N,)
    (strings or ints). Features in any units (each column is standardised). All mutual
    informations are in nats.

    The rule, with labels: a modality's weight is its share of the information about the
    emotion that the two modalities carry, each measured on its own::

        w_text  = I(T; Y) / (I(T; Y) + I(A; Y)),   w_audio = 1 - w_text

    and for one emotion class c the same with the class indicator 1[Y = c] (is the song in
    class c or not?) in place of Y::

        w_text(c) = I(T; 1[Y=c]) / (I(T; 1[Y=c]) + I(A; 1[Y=c]))

    I(T; A) between the modalities and I(. ; Y) use the KSG k-nearest-neighbour estimator
    (:func:`mutual_information`; for the class label its version for a discrete variable,
    Ross 2014). When both informations are 0 the weights are 0.5 and 0.5.

    Returns, without ``labels``: a Series of weights indexed ``["text", "audio"]``; with
    ``labels``: a tuple ``(weights, per_class)`` where ``per_class`` is a DataFrame with one
    row per class (sorted) and columns ``text``, ``audio`` (the class's weights), ``mi_text``,
    ``mi_audio`` (I(T; 1[Y=c]), I(A; 1[Y=c]) in nats) and ``n`` (songs of the class), so a
    notebook can show which modality carries each emotion. ``weights.attrs`` holds the
    mutual informations used: ``mi_text_audio`` always, ``mi_text`` and ``mi_audio`` with
    labels.

    Paper (Wang, Abstract and Sec. 1): the cross-modal interaction module "dynamically
    calculat[es] the mutual information entropy between audio and text features,
    quantifying their contribution in different emotional dimensions", and Sec. 3 credits it
    with "dynamically adjusting the audio feature weights through mutual information entropy
    to achieve modal complementarity"; no equation, estimator or normalisation is printed.
    We: I(T; A) alone is symmetric (it measures what the two modalities share, the same
    number for both), so it cannot say which modality contributes more; "their contribution
    in different emotional dimensions" needs the emotion, so we read the weight of a
    modality as its mutual information with the emotion label, normalised over the two
    modalities, and "different emotional dimensions" as one weight pair per emotion class
    (one-vs-rest). Without labels there is nothing to tell the modalities apart and the
    weights are 0.5 and 0.5 (I(T; A) is reported in ``attrs``). The weights are computed
    once from data, not per sample inside the network. High-dimensional features (a
    384-d sentence embedding) make the estimates small and noisy: reduce them to a few
    principal components first.

    Raises :class:`~mer_lessons.validation.InputError` subclasses naming the argument:
    ``audio`` or ``labels`` of another length, NaN or infinite values, N <= k (``text``),
    ``k`` < 1. A class with a single song is allowed: it is left out of the estimates.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "modality_weights"
    k = as_int(k, "k", minimum=1, where=where)
    text = _mi_samples(text, "text", where)
    audio = _mi_samples(audio, "audio", where)
    if len(audio) != len(text):
        raise WrongShapeError(message("audio", f"as many rows (songs) as text ({len(text)})", f"{len(audio)} rows",
                                      where=where, describe=False))
    if len(text) <= k:
        raise EmptyInputError(message("text", f"at least k + 1 = {k + 1} songs (rows) long", f"{len(text)}",
                                      where=where, describe=False, hint="lower k or pass more songs"))
    shared = mutual_information(text, audio, k=k)
    if labels is None:
        weights = pd.Series([0.5, 0.5], index=["text", "audio"], name="weight")
        weights.attrs["mi_text_audio"] = shared
        return weights
    labels = as_labels(labels, "labels", where=where)
    if len(labels) != len(text):
        raise WrongShapeError(message("labels", f"one label per song ({len(text)})", f"{len(labels)} labels",
                                      where=where, describe=False))
    classes = _default_labels(labels, labels)
    index = {c: i for i, c in enumerate(classes)}
    codes = np.fromiter((index[v] for v in labels), dtype=np.int64, count=len(labels))
    rng = np.random.default_rng(0)
    mi_text = _mi_with_labels(text, codes, k, rng)
    mi_audio = _mi_with_labels(audio, codes, k, rng)
    weights = pd.Series(_share(mi_text, mi_audio), index=["text", "audio"], name="weight")
    weights.attrs.update(mi_text_audio=shared, mi_text=mi_text, mi_audio=mi_audio)
    rows = []
    for i, c in enumerate(classes):
        indicator = (codes == i).astype(np.int64)
        t, a = _mi_with_labels(text, indicator, k, rng), _mi_with_labels(audio, indicator, k, rng)
        rows.append((*_share(t, a), t, a, int(indicator.sum())))
    per_class = pd.DataFrame(rows, columns=["text", "audio", "mi_text", "mi_audio", "n"],
                             index=pd.Index(classes, name="class"))
    return weights, per_class
