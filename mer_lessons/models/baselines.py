"""Classical baselines: SVM, random forest, k-nearest neighbours and an MLP on handcrafted features.

These are the yardsticks of Hao et al.'s Table 3 ("SVM + Feature extraction", "Random
forest classifier", "K-Nearest neighbors", "MLP-EmotionNet"), rebuilt with scikit-learn
so that every number the course puts beside the paper's is measured here:

* :func:`make_baseline` builds one model as a ``Pipeline(StandardScaler, classifier)``;
  :data:`BASELINES` holds the four as factories ``seed -> Pipeline``.
* :func:`cross_validate_baselines` runs k-fold cross-validation with whole subjects (or
  clips) per fold, and reports every metric of :mod:`mer_lessons.metrics`, the leakage of
  each protocol, and the latency of one prediction.
* Which row of Hao et al.'s Table 3 each baseline stands for is kept in
  :data:`mer_lessons.papers.hao.ROW_MODELS` (by the names of :data:`MODEL_NAMES`);
  :func:`mer_lessons.evaluation.beside_paper` puts the paper's numbers beside ours.

Hyperparameters are scikit-learn's defaults unless said otherwise: none is tuned here,
which is the honest way to use a baseline in a teaching setting (tuning on the test folds
would leak; nested tuning is an exercise).

Taught in ``05_metrics_and_classical_baselines``.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mer_lessons import metrics, splits

#: Display names of the models :func:`make_baseline` builds.
MODEL_NAMES = {
    "svm": "SVM (RBF) + features",
    "random_forest": "Random forest",
    "knn": "k-nearest neighbours",
    "mlp": "MLP",
    "majority": "Majority class",
}

#: Metrics reported (mean and fold standard deviation) by :func:`cross_validate_baselines`.
CV_METRICS = ("accuracy", "ua", "g_mean", "macro_precision", "macro_recall", "macro_f1", "weighted_f1",
              "average_score")


def make_baseline(name: str, seed: int = 0) -> Pipeline:
    """One baseline as ``Pipeline([("scale", StandardScaler()), (name, classifier)])``.

    * ``"svm"``: ``SVC(kernel="rbf", C=1, gamma="scale")`` without probability estimates
      (``predict`` only; scikit-learn 1.9 deprecates the ``probability`` argument, whose
      default computes none).
    * ``"random_forest"``: ``RandomForestClassifier(n_estimators=100, n_jobs=1)``
      (scaling changes nothing for trees; it is there so that all four share one shape).
    * ``"knn"``: ``KNeighborsClassifier(n_neighbors=5)`` (Euclidean on standardised features).
    * ``"mlp"``: ``MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, early_stopping=True,
      max_iter=500)``: Adam, stops when 10 % held-out training data stop improving for 20 epochs.
    * ``"majority"``: ``DummyClassifier("most_frequent")``, the floor every model must beat.

    ``seed`` fixes every random choice (forest bootstraps, MLP initialisation and its
    validation split), so the same data and seed give the same predictions.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    seed = int(seed)
    if name == "svm":
        model = SVC(kernel="rbf", C=1.0, gamma="scale", random_state=seed)   # no probability estimates
    elif name == "random_forest":
        model = RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=seed)
    elif name == "knn":
        model = KNeighborsClassifier(n_neighbors=5)
    elif name == "mlp":
        model = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, early_stopping=True, n_iter_no_change=20,
                              max_iter=500, random_state=seed)
    elif name == "majority":
        model = DummyClassifier(strategy="most_frequent")
    else:
        raise ValueError(f"make_baseline: unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return Pipeline([("scale", StandardScaler()), (name, model)])


def _factory(name: str) -> Callable[[int], Pipeline]:
    def build(seed: int = 0) -> Pipeline:
        return make_baseline(name, seed)
    build.__name__ = f"make_{name}"
    build.__doc__ = f"make_baseline({name!r}, seed)"
    return build


#: The four baselines of Hao et al.'s Table 3, as factories ``seed -> Pipeline``.
BASELINES: dict[str, Callable[[int], Pipeline]] = {name: _factory(name) for name in ("svm", "random_forest", "knn", "mlp")}


def _instantiate(spec: Any, seed: int):
    """A fresh, unfitted model from a factory ``seed -> estimator`` or an estimator (cloned)."""
    if hasattr(spec, "fit"):
        return clone(spec)
    if callable(spec):
        return spec(seed)
    raise TypeError(f"a model must be an estimator or a factory seed -> estimator, got {spec!r}")


def time_single_predictions(model, X, n: int, *, warmup: int = 3, threads: int | None = 1) -> np.ndarray:
    """Seconds taken by ``n`` calls ``model.predict(X[i:i+1])``, one row each (rows cycled).

    ``warmup`` calls first, untimed. Each call is timed on its own with
    ``time.perf_counter``: this is the latency of answering one request, including
    scikit-learn's input checks and the scaler, excluding feature extraction.
    ``threads`` limits the BLAS/OpenMP thread pools during the timing (``threadpoolctl``;
    ``None`` leaves them alone). One thread is the default because one request is served
    on one core, and because multi-threaded single-row calls (k-NN's distance kernels)
    stall for tens of milliseconds whenever another program keeps the cores busy.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    X = np.asarray(X)
    if len(X) == 0 or n < 1:
        raise ValueError("time_single_predictions: need at least one row and n >= 1")
    times = np.empty(n)
    with threadpool_limits(limits=threads) if threads is not None else nullcontext():
        for i in range(warmup):
            model.predict(X[i % len(X): i % len(X) + 1])
        for i in range(n):
            row = X[i % len(X): i % len(X) + 1]
            start = time.perf_counter()
            model.predict(row)
            times[i] = time.perf_counter() - start
    return times


def cross_validate_baselines(X, y, meta: pd.DataFrame, *, by: str | None = "subject", n_folds: int = 5,
                             seed: int = 0, models: Mapping[str, Any] | None = None, latency_items: int = 200,
                             return_predictions: bool = False):
    """Cross-validate models under one split protocol; one row of results per model.

    Parameters
    ----------
    X : (n_items, n_features) array or DataFrame. y : (n_items,) labels (any hashable).
    meta : one row per item, with the grouping column(s) (``subject``, ``clip_id``).
    by : ``"subject"`` (subject-independent: no listener in both training and test
        folds), ``"clip_id"`` (clip-independent: no piece of music in both) or ``None``
        (random items). Folds come from :func:`mer_lessons.splits.group_folds` (seeded).
    n_folds : number of folds; every item is tested exactly once.
    seed : seeds the folds and every model.
    models : ``{name: factory seed -> estimator, or an estimator (cloned)}``; default
        :data:`BASELINES`. Names found in :data:`MODEL_NAMES` get its display name.
    latency_items : total number of single-row predictions timed, spread evenly over the
        folds (``ceil(latency_items / n_folds)`` per fold, each after fitting on that
        fold's training part, on its test rows, thread pools limited to one thread; see
        :func:`time_single_predictions`).
    return_predictions : also return the out-of-fold predictions.

    Returns
    -------
    DataFrame indexed by model name with columns ``name``, the mean over folds of every
    metric in :data:`CV_METRICS` and its fold standard deviation (``<metric>_sd``), the
    latency summary over all timed calls (``latency_ms`` = mean, ``latency_p50_ms``,
    ``latency_p95_ms``, ``latency_p99_ms``), ``fit_s`` (mean seconds to fit), the mean
    number of subjects and clips shared by training and test parts (``shared_subjects``,
    ``shared_clips``: 0 for the grouping column), ``protocol``, ``n_folds`` and
    ``n_items``. With ``return_predictions``: ``(table, predictions)`` where predictions
    is a DataFrame (index of ``meta``, one column per model) of out-of-fold predictions.

    Per-fold metrics use the classes present in that fold's truth and predictions
    (warnings about classes absent from a fold are silenced; see :mod:`mer_lessons.metrics`).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"cross_validate_baselines: X must be 2-D (items, features), got shape {X.shape}")
    if not len(X) == len(y) == len(meta):
        raise ValueError(f"cross_validate_baselines: X ({len(X)}), y ({len(y)}) and meta ({len(meta)}) "
                         "differ in length")
    if latency_items < 0:
        raise ValueError(f"latency_items must be >= 0, got {latency_items}")
    models = dict(BASELINES if models is None else models)
    folds = list(splits.group_folds(meta, by=by, n_folds=n_folds, seed=seed))
    shared = [splits.leakage(meta, train, test) for train, test in folds]
    per_fold_latency = math.ceil(latency_items / n_folds) if latency_items else 0
    rows, predictions = [], {}
    for name, spec in models.items():
        scores: dict[str, list[float]] = {metric: [] for metric in CV_METRICS}
        out_of_fold = np.empty(len(y), dtype=y.dtype if y.dtype.kind in "iub" else object)
        latencies, fit_seconds = [], []
        for train, test in folds:
            model = _instantiate(spec, seed)
            start = time.perf_counter()
            model.fit(X[train], y[train])
            fit_seconds.append(time.perf_counter() - start)
            predicted = model.predict(X[test])
            out_of_fold[test] = predicted
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)
                report = metrics.classification_report_table(list(y[test]), list(predicted)).iloc[0]
            for metric in CV_METRICS:
                scores[metric].append(float(report[metric]))
            if per_fold_latency:
                latencies.append(time_single_predictions(model, X[test], per_fold_latency))
        row: dict[str, Any] = {"model": name, "name": MODEL_NAMES.get(name, name)}
        for metric in CV_METRICS:
            row[metric] = float(np.mean(scores[metric]))
            row[f"{metric}_sd"] = float(np.std(scores[metric]))
        if latencies:
            summary = metrics.latency_summary(np.concatenate(latencies))
            row.update({"latency_ms": summary["mean_ms"], "latency_p50_ms": summary["p50_ms"],
                        "latency_p95_ms": summary["p95_ms"], "latency_p99_ms": summary["p99_ms"]})
        else:
            row.update({"latency_ms": np.nan, "latency_p50_ms": np.nan, "latency_p95_ms": np.nan,
                        "latency_p99_ms": np.nan})
        row["fit_s"] = float(np.mean(fit_seconds))
        row["shared_subjects"] = float(np.mean([s.get("subject", np.nan) for s in shared]))
        row["shared_clips"] = float(np.mean([s.get("clip_id", np.nan) for s in shared]))
        row.update({"protocol": by or "random", "n_folds": n_folds, "n_items": len(y)})
        rows.append(row)
        predictions[name] = out_of_fold
    table = pd.DataFrame(rows).set_index("model")
    if return_predictions:
        return table, pd.DataFrame(predictions, index=meta.index)
    return table
