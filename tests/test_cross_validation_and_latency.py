"""Grouped k-fold splits in repeated_comparison, latency against data volume, the model's own loss,
and the grade correlation of a confusion table (chapter 12's evaluation)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import evaluation, metrics, splits
from mer_lessons.windows import WindowSet


def _windows(n_subjects=6, per=10, steps=3, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    n = n_subjects * per
    y = np.array(["a", "b", "c"])[np.arange(n) % 3]
    x = rng.normal(size=(n, steps, dim)).astype(np.float32)
    x[:, :, 0] += 2.0 * (np.arange(n) % 3)[:, None]
    meta = pd.DataFrame({"trial": np.arange(n), "subject": [f"s{i // per}" for i in range(n)]})
    return WindowSet({"x": x}, meta, labels=y.astype(object), classes=["a", "b", "c"])


def test_group_fold_split_tests_every_group_once_and_never_mixes_groups():
    meta = _windows().meta
    tested = []
    for fold in range(3):
        parts = splits.group_fold_split(meta, by="subject", n_folds=3, fold=fold, seed=4)
        sets = {k: set(meta["subject"].to_numpy()[v]) for k, v in parts.items()}
        assert not (sets["train"] & sets["test"]) and not (sets["val"] & sets["test"]) and not (sets["train"] & sets["val"])
        assert sets["train"] and sets["val"] and sets["test"]
        tested += sorted(sets["test"])
    assert sorted(tested) == sorted(meta["subject"].unique())
    with pytest.raises(ValueError, match="fold"):
        splits.group_fold_split(meta, n_folds=3, fold=3)


def _linear(dims, n):
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * sum(dims.values()) if isinstance(dims, dict) else 3 * dims, n))


def test_repeated_comparison_with_folds_is_one_cross_validation():
    ws = _windows()
    spec = evaluation.ModelSpec("lin", "sequence", lambda d, n: _linear(d, n), inputs=("x",))
    study = evaluation.repeated_comparison(ws, [spec], 3, by="subject", folds=3, epochs=2, device="cpu", progress=False)
    tested = np.concatenate([p["test"] for p in study.parts_by_repeat.values()])
    assert sorted(tested) == list(range(len(ws)))                         # every window tested exactly once
    assert (study.per_repeat.groupby("name")["repeat"].nunique() == 3).all()


class _OwnLoss(torch.nn.Module):
    def __init__(self, dim, n):
        super().__init__()
        self.lin = torch.nn.Linear(3 * dim, n)
        self.calls = 0

    def forward(self, x):
        return self.lin(x.flatten(1))

    def loss_fn(self, output, y):
        self.calls += 1
        return torch.nn.functional.cross_entropy(output, y)


def test_train_window_model_can_use_the_models_own_loss():
    ws = _windows()
    model = _OwnLoss(4, 3)
    evaluation.train_window_model(model, ws, ws, stacked=True, epochs=1, loss_fn="model", device="cpu")
    assert model.calls > 0
    with pytest.raises(ValueError, match="loss_fn"):
        evaluation.train_window_model(torch.nn.Linear(1, 1), ws, stacked=True, loss_fn="model", device="cpu")


def test_volume_latency_times_each_batch_size():
    ws = _windows()
    table = evaluation.volume_latency(_OwnLoss(4, 3), ws, (5, 100), stacked=True, repeats=2)
    assert list(table["volume"]) == [5, 100] and (table["ms"] > 0).all()
    assert np.allclose(table["ms_per_sample"], table["ms"] / table["volume"])


def test_grade_correlation_of_a_confusion_table():
    grades = {"a": 0.0, "b": 0.5, "c": 1.0}
    perfect = pd.DataFrame(np.diag([3, 2, 4]), index=list("abc"), columns=list("abc"))
    assert metrics.grade_correlation(perfect, grades) == pytest.approx(1.0)
    table = pd.DataFrame([[2, 1, 0], [0, 1, 1], [1, 0, 2]], index=list("abc"), columns=list("abc"))
    pairs = [(grades[t], grades[p]) for t in "abc" for p in "abc" for _ in range(int(table.loc[t, p]))]
    expected = np.corrcoef(np.array(pairs).T)[0, 1]
    assert metrics.grade_correlation(table, grades) == pytest.approx(expected)
    one_column = pd.DataFrame([[2, 0], [3, 0]], index=["a", "b"], columns=["a", "b"])
    assert np.isnan(metrics.grade_correlation(one_column, grades))
    with pytest.raises(KeyError, match="grade"):
        metrics.grade_correlation(table, {"a": 0.0})
