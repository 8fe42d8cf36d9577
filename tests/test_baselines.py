"""mer_lessons.models.baselines: the classical yardsticks, their protocols and their table."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mer_lessons import metrics
from mer_lessons.models import baselines

TIMING_COLUMNS = ["latency_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "fit_s"]


def synthetic(seed=0, n_subjects=6, n_clips=30, separable=True):
    """Trials of n_subjects x n_clips; the class depends on the clip (4 imbalanced classes)."""
    rng = np.random.default_rng(seed)
    classes = np.array(["Q1", "Q2", "Q3", "Q4"])
    clip_class = rng.choice(4, size=n_clips, p=[0.4, 0.3, 0.2, 0.1])
    centres = rng.normal(0, 3.0 if separable else 0.0, size=(4, 6))
    clip_x = centres[clip_class] + rng.normal(0, 1, size=(n_clips, 6))
    subjects, clips = np.meshgrid(np.arange(n_subjects), np.arange(n_clips), indexing="ij")
    meta = pd.DataFrame({"subject": [f"s{s}" for s in subjects.ravel()], "clip_id": [f"c{c}" for c in clips.ravel()]})
    scales = np.array([1.0, 10.0, 100.0, 1000.0, 0.01, 1.0])                    # wild scales: needs the scaler
    X = (clip_x[clips.ravel()] + rng.normal(0, 0.3, size=(len(meta), 6))) * scales
    y = classes[clip_class[clips.ravel()]]
    return X, y, meta


@pytest.fixture(scope="module")
def problem():
    return synthetic()


@pytest.fixture(scope="module")
def results(problem):
    X, y, meta = problem
    models = {**baselines.BASELINES, "majority": lambda seed: baselines.make_baseline("majority", seed)}
    return baselines.cross_validate_baselines(X, y, meta, by="subject", n_folds=3, latency_items=30,
                                              models=models, return_predictions=True)


def test_every_baseline_is_a_scaled_pipeline():
    for name in ("svm", "random_forest", "knn", "mlp", "majority"):
        model = baselines.make_baseline(name, seed=1)
        assert isinstance(model, Pipeline) and isinstance(model.steps[0][1], StandardScaler)
    assert baselines.make_baseline("svm").steps[-1][1].probability in (False, "deprecated")  # no probabilities
    assert baselines.make_baseline("svm").steps[-1][1].kernel == "rbf"
    assert list(baselines.BASELINES) == ["svm", "random_forest", "knn", "mlp"]
    assert isinstance(baselines.BASELINES["knn"](0), Pipeline)
    with pytest.raises(ValueError, match="unknown model"):
        baselines.make_baseline("xgboost")


def test_every_baseline_beats_the_majority_class(results):
    table, _ = results
    floor = table.loc["majority"]
    for name in baselines.BASELINES:
        assert table.loc[name, "accuracy"] > floor["accuracy"] + 0.2
        assert table.loc[name, "ua"] > floor["ua"] + 0.3
        assert table.loc[name, "macro_f1"] > 0.7
    assert floor["ua"] == pytest.approx(0.25) and floor["g_mean"] == 0.0


def test_subject_independent_folds_share_no_subject(problem, results):
    table, predictions = results
    assert (table["shared_subjects"] == 0).all() and (table["shared_clips"] == 30).all()
    assert (table["protocol"] == "subject").all() and (table["n_items"] == 180).all()
    X, y, meta = problem
    by_clip = baselines.cross_validate_baselines(X, y, meta, by="clip_id", n_folds=3, latency_items=0,
                                                 models={"knn": baselines.BASELINES["knn"]})
    assert by_clip.loc["knn", "shared_clips"] == 0 and by_clip.loc["knn", "shared_subjects"] == 6
    assert np.isnan(by_clip.loc["knn", "latency_ms"])
    random = baselines.cross_validate_baselines(X, y, meta, by=None, n_folds=3, latency_items=0,
                                                models={"knn": baselines.BASELINES["knn"]})
    assert random.loc["knn", "shared_subjects"] == 6 and random.loc["knn", "protocol"] == "random"


def test_out_of_fold_predictions_reproduce_the_metrics(problem, results):
    X, y, meta = problem
    table, predictions = results
    assert list(predictions.columns) == list(table.index) and list(predictions.index) == list(meta.index)
    assert set(predictions["svm"]) <= set(y)
    pooled = metrics.weighted_accuracy(y, predictions["svm"])
    assert pooled == pytest.approx(table.loc["svm", "accuracy"], abs=0.02)   # equal folds: mean ~ pooled


def test_results_columns_and_positive_latency(results):
    table, _ = results
    for metric in baselines.CV_METRICS:
        assert metric in table.columns and f"{metric}_sd" in table.columns
        assert table[metric].between(0, 1).all()
    assert (table["latency_ms"] > 0).all() and (table["latency_p99_ms"] >= table["latency_p50_ms"]).all()
    expected = table[["accuracy", "macro_f1", "macro_precision", "macro_recall"]].mean(axis=1)
    np.testing.assert_allclose(table["average_score"], expected)


def test_beside_hao_table3(results):
    """Every baseline stands for one row of Hao et al.'s Table 3 (papers.hao.ROW_MODELS, by MODEL_NAMES)."""
    from mer_lessons import evaluation
    from mer_lessons.papers import hao

    table, _ = results
    ours = table.set_index("name")
    side = evaluation.beside_paper(ours, hao.TABLE3, paper_index="Model", rows=hao.ROW_MODELS,
                                   columns=hao.TABLE3_COLUMNS)
    assert side.loc["SVM + Feature extraction", "ours"] == baselines.MODEL_NAMES["svm"]
    assert side.loc["SVM + Feature extraction", "Accuracy % (paper)"] == 75.8
    assert side.loc["SVM + Feature extraction", "Accuracy % (ours)"] == round(100 * ours.loc[
        baselines.MODEL_NAMES["svm"], "accuracy"], 1)
    assert side.loc["K-Nearest neighbors", "Latency ms (paper)"] == 48.9
    assert side.loc["MLP-EmotionNet", "ours"] == baselines.MODEL_NAMES["mlp"]
    assert side.loc["Random forest classifier", "ours"] == baselines.MODEL_NAMES["random_forest"]
    assert (side["ours"] != "not built").sum() == 4   # the deep rows are chapter 08's, not built here


def test_seeded_runs_are_identical_except_timings(problem):
    X, y, meta = problem
    run = [baselines.cross_validate_baselines(X, y, meta, by="subject", n_folds=3, seed=4, latency_items=3,
                                              return_predictions=True) for _ in range(2)]
    pd.testing.assert_frame_equal(run[0][0].drop(columns=TIMING_COLUMNS), run[1][0].drop(columns=TIMING_COLUMNS))
    pd.testing.assert_frame_equal(run[0][1], run[1][1])


def test_estimators_are_accepted_and_cloned(problem):
    X, y, meta = problem
    model = baselines.make_baseline("knn")
    table = baselines.cross_validate_baselines(X, y, meta, n_folds=3, latency_items=3, models={"mine": model})
    assert table.loc["mine", "name"] == "mine" and not hasattr(model, "classes_")   # the original stays unfitted
    with pytest.raises(TypeError):
        baselines.cross_validate_baselines(X, y, meta, n_folds=3, models={"bad": 42})


def test_integer_labels_work(problem):
    X, y, meta = problem
    codes = pd.Series(y).map({"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4}).to_numpy()
    table, predictions = baselines.cross_validate_baselines(X, codes, meta, n_folds=3, latency_items=0,
                                                            models={"svm": baselines.BASELINES["svm"]},
                                                            return_predictions=True)
    assert table.loc["svm", "accuracy"] > 0.8 and predictions["svm"].dtype.kind == "i"


@pytest.mark.parametrize("change", ["short_y", "short_meta", "one_d", "missing_column"])
def test_mismatched_inputs_raise(problem, change):
    X, y, meta = problem
    kwargs = dict(by="subject")
    if change == "short_y":
        y = y[:-1]
    elif change == "short_meta":
        meta = meta.iloc[:-1]
    elif change == "one_d":
        X = X[:, 0]
    else:
        kwargs = dict(by="listener")
    with pytest.raises((ValueError, KeyError)):
        baselines.cross_validate_baselines(X, y, meta, n_folds=3, latency_items=0, **kwargs)


def test_single_prediction_timer():
    model = baselines.make_baseline("knn").fit(np.random.default_rng(0).normal(size=(20, 3)), [0, 1] * 10)
    times = baselines.time_single_predictions(model, np.zeros((2, 3)), 7)
    assert times.shape == (7,) and (times > 0).all()
    assert baselines.time_single_predictions(model, np.zeros((2, 3)), 2, threads=None).shape == (2,)
    with pytest.raises(ValueError):
        baselines.time_single_predictions(model, np.zeros((0, 3)), 5)
