"""Wrapper feature selection (mer_lessons.selection): ZOA steps, fitness, selectors, budgets, leakage."""

import numpy as np
import pandas as pd
import pytest

from mer_lessons import selection as S
from mer_lessons.validation import InputError, NonFiniteError, UnknownOptionError, WrongShapeError


def make_problem(seed, n=600, d=80, informative=5, classes=3, sep=1.0):
    """``n`` rows, ``d`` features of which ``informative`` shift the class means (a permutation
    of -sep, 0, +sep per feature); the rest are pure noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(classes, size=n)
    X = rng.standard_normal((n, d))
    cols = rng.choice(d, informative, replace=False)
    means = np.stack([rng.permutation(classes) - (classes - 1) / 2 for _ in range(informative)], axis=1) * sep
    X[:, cols] += means[y]
    return X, y, set(cols.tolist())


# --------------------------------------------------------------------------- the ZOA steps, by hand


def test_foraging_step_by_hand():
    x, pz, r = [0.2, 0.8, 0.5], [0.6, 0.4, 0.5], [0.5, 0.25, 1.0]
    # I = 1: x + r (PZ - x) = 0.2 + 0.5*0.4, 0.8 + 0.25*(-0.4), 0.5 + 1*0
    np.testing.assert_allclose(S.foraging_step(x, pz, r, 1), [0.4, 0.7, 0.5])
    # I = 2: x + r (PZ - 2x) = 0.2 + 0.5*(0.6-0.4), 0.8 + 0.25*(0.4-1.6), 0.5 + 1*(0.5-1.0)
    np.testing.assert_allclose(S.foraging_step(x, pz, r, 2), [0.3, 0.5, 0.0])
    with pytest.raises(InputError, match="I must be 1 or 2"):
        S.foraging_step(x, pz, r, 3)


def test_escape_and_attack_steps_by_hand():
    # S1: x + R (2r - 1)(1 - t/T) x with R = 0.01, t/T = 0.5
    np.testing.assert_allclose(S.escape_step([0.5, 0.2], [1.0, 0.0], 5, 10), [0.5025, 0.199])
    np.testing.assert_allclose(S.escape_step([0.5, 0.2], [1.0, 0.0], 10, 10), [0.5, 0.2])  # t = T: no move
    np.testing.assert_allclose(S.escape_step([0.0, 0.3], [1.0, 1.0], 0, 10), [0.0, 0.303])  # 0 stays at 0
    # S2: x + r (AZ - I x)
    np.testing.assert_allclose(S.attack_step([0.2, 0.8], [1.0, 0.0], [0.5, 0.5], 1), [0.6, 0.4])
    np.testing.assert_allclose(S.attack_step([0.2, 0.8], [1.0, 0.0], [0.5, 0.5], 2), [0.5, 0.0])


def test_zebra_budget():
    assert S.zebra_budget(12, 20) == 12 * 41
    assert S.zebra_budget(5, 0) == 5


# --------------------------------------------------------------------------- the fitness


def reference_ridge_scores(Xtr, ytr, Xv, mask):
    mean, std = Xtr.mean(0), Xtr.std(0)
    A, B = ((Xtr - mean) / std)[:, mask], ((Xv - mean) / std)[:, mask]
    Y = np.eye(ytr.max() + 1)[ytr]
    prior = Y.mean(0)
    W = np.linalg.solve(A.T @ A + S.RIDGE * len(Xtr) * np.eye(A.shape[1]), A.T @ (Y - prior))
    return B @ W + prior


@pytest.mark.parametrize("k", [10, 40, 90])  # primal (k <= n), dual direct, dual by subtraction
def test_ridge_primal_and_dual_forms_agree_with_a_direct_solve(k):
    rng = np.random.default_rng(1)
    Xtr, ytr, Xv = rng.standard_normal((30, 100)), rng.integers(3, size=30), rng.standard_normal((12, 100))
    mask = np.zeros(100, bool)
    mask[rng.choice(100, k, replace=False)] = True
    model = S._SubsetClassifier(Xtr, np.array(ytr, dtype=object), Xv, np.zeros(12, dtype=object), "ridge")
    np.testing.assert_allclose(model.scores(mask), reference_ridge_scores(Xtr, ytr, Xv, mask), atol=1e-8)


def test_centroid_is_the_nearest_class_mean():
    rng = np.random.default_rng(2)
    Xtr, ytr, Xv = rng.standard_normal((40, 20)), rng.integers(3, size=40), rng.standard_normal((15, 20))
    mask = rng.random(20) < 0.5
    mean, std = Xtr.mean(0), Xtr.std(0)
    A, B = ((Xtr - mean) / std)[:, mask], ((Xv - mean) / std)[:, mask]
    centres = np.stack([A[ytr == c].mean(0) for c in range(3)])
    expected = np.argmin(((B[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    model = S._SubsetClassifier(Xtr, np.array(ytr, dtype=object), Xv, np.zeros(15, dtype=object), "centroid")
    np.testing.assert_array_equal(np.argmax(model.scores(mask), axis=1), expected)


def test_fitness_value_penalty_empty_mask_and_cache():
    X, y, _ = make_problem(0, n=200, d=20)
    labels = np.array(["a", "b", "c"], dtype=object)[y]  # labels of any hashable type
    fitness = S.subset_fitness(X[:150], labels[:150], X[150:], labels[150:], penalty=0.1)
    mask = np.zeros(20, bool)
    assert fitness(mask) == -np.inf
    mask[:10] = True
    model = S._SubsetClassifier(X[:150], labels[:150], X[150:], labels[150:], "ridge")
    assert fitness(mask) == pytest.approx(model.accuracy(mask) - 0.1 * 10 / 20)
    fits = fitness.fits
    fitness(mask.copy())
    assert fitness.fits == fits and fitness.calls == 3  # cached, but still counted


# --------------------------------------------------------------------------- the selectors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zebra_recovers_the_informative_features(seed):
    X, y, informative = make_problem(seed)
    Xtr, ytr, Xte, yte = X[:400], y[:400], X[400:], y[400:]
    result = S.zebra_select(Xtr, ytr, population=20, iterations=40, penalty=0.2, seed=seed)
    assert len(set(result.selected.tolist()) & informative) >= 4
    assert result.n_features <= X.shape[1] / 4  # chance would select about half
    none = S.no_selection(Xtr, ytr, seed=seed)
    test = S.holdout_accuracy(Xtr, ytr, Xte, yte, result.mask)
    assert test >= S.holdout_accuracy(Xtr, ytr, Xte, yte, none.mask) - 0.05


def test_zebra_is_deterministic_for_a_seed():
    X, y, _ = make_problem(3, n=300, d=40)
    a = S.zebra_select(X, y, population=6, iterations=5, seed=7)
    b = S.zebra_select(X, y, population=6, iterations=5, seed=7)
    np.testing.assert_array_equal(a.mask, b.mask)
    pd.testing.assert_frame_equal(a.history, b.history)
    others = [S.zebra_select(X, y, population=6, iterations=5, seed=s) for s in (8, 9, 10)]
    assert any(not np.array_equal(o.mask, a.mask) or not o.history.equals(a.history) for o in others)


@pytest.mark.parametrize("method", ["zebra", "genetic", "random search"])
def test_history_is_monotone_and_ends_at_the_budget(method):
    X, y, _ = make_problem(4, n=300, d=40)
    budget = S.zebra_budget(6, 5)
    kwargs = {"zebra": dict(population=6, iterations=5), "genetic": dict(population=6, evaluations=budget),
              "random search": dict(evaluations=budget)}[method]
    result = S.SELECTORS[method](X, y, seed=1, **kwargs)
    history = result.history
    assert list(history.columns) == list(S.HISTORY_COLUMNS)
    assert np.all(np.diff(history["best_fitness"].to_numpy()) >= 0)
    assert history["evaluations"].iloc[-1] == budget == result.evaluations
    assert history["best_fitness"].iloc[-1] == pytest.approx(result.fitness)
    assert result.mask.dtype == bool and result.mask.shape == (40,) and result.mask.any()
    assert history["n_selected"].iloc[-1] == len(result.selected)


def test_plain_zebra_runs_and_uses_the_same_budget():
    X, y, _ = make_problem(5, n=300, d=40)
    result = S.zebra_select(X, y, population=5, iterations=4, improved=False)
    assert result.evaluations == S.zebra_budget(5, 4) and len(result.history) == 5


def test_a_large_penalty_selects_fewer_features():
    X, y, _ = make_problem(6, n=400, d=60)
    free = S.zebra_select(X, y, population=10, iterations=15, penalty=0.0, seed=0)
    costly = S.zebra_select(X, y, population=10, iterations=15, penalty=2.0, seed=0)
    assert costly.n_features < free.n_features / 2


# --------------------------------------------------------------------------- the comparison


def test_compare_selectors_equal_budgets_and_no_test_rows_in_the_fitness(monkeypatch):
    X, y, _ = make_problem(7, n=500, d=30)
    marker = 12345.0
    X_test = X[400:].copy()
    X_test[:, 0] = marker  # a value no training or validation row has
    seen_by_fitness, scored = [], []
    original_fitness, original_holdout = S.subset_fitness, S.holdout_accuracy

    def spy_fitness(X_train, y_train, X_val, y_val, **kwargs):
        seen_by_fitness.append((np.array(X_train), np.array(X_val)))
        return original_fitness(X_train, y_train, X_val, y_val, **kwargs)

    def spy_holdout(X_fit, y_fit, X_eval, y_eval, mask, **kwargs):
        scored.append((np.array(X_fit), np.array(X_eval)))
        return original_holdout(X_fit, y_fit, X_eval, y_eval, mask, **kwargs)

    monkeypatch.setattr(S, "subset_fitness", spy_fitness)
    monkeypatch.setattr(S, "holdout_accuracy", spy_holdout)
    table, results = S.compare_selectors(X[:300], y[:300], X[300:400], y[300:400], X_test, y[400:],
                                         population=5, iterations=4, seed=0)
    budget = S.zebra_budget(5, 4)
    assert list(table.index) == ["none", "random search", "genetic", "zebra"]
    assert list(table.columns) == ["n_features", "share_selected", "val_fitness", "test_accuracy", "evaluations",
                                   "seconds"]
    assert table.loc["none", "evaluations"] == 1
    assert (table.loc[["random search", "genetic", "zebra"], "evaluations"] == budget).all()
    assert {r.evaluations for m, r in results.items() if m != "none"} == {budget}
    assert len(seen_by_fitness) == 4
    for X_fit, X_val in seen_by_fitness:
        assert not np.any(X_fit == marker) and not np.any(X_val == marker)
        assert len(X_fit) == 300 and len(X_val) == 100
    assert len(scored) == 4  # each selected subset scored once on the test rows
    for X_fit, X_eval in scored:
        assert not np.any(X_fit == marker) and np.all(X_eval[:, 0] == marker)
        assert len(X_fit) == 400  # train + val
    assert table["test_accuracy"].between(0, 1).all()
    np.testing.assert_allclose(table["share_selected"], table["n_features"] / 30)


def test_inner_split_is_stratified_and_seeded():
    y = np.array([0] * 40 + [1] * 20 + [2] * 8, dtype=object)
    train, val = S._inner_split(y, 0.25, np.random.default_rng(0), "test")
    assert len(set(train) & set(val)) == 0 and len(train) + len(val) == len(y)
    assert [int(np.sum(y[val] == c)) for c in (0, 1, 2)] == [10, 5, 2]
    again = S._inner_split(y, 0.25, np.random.default_rng(0), "test")
    np.testing.assert_array_equal(val, again[1])


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("bad, error, text", [
    (dict(y=np.zeros(10)), WrongShapeError, "y must be as long as X has rows"),
    (dict(X=np.zeros(50)), WrongShapeError, "X must be 2-D"),
    (dict(X=np.full((50, 4), np.nan)), NonFiniteError, "X must be finite"),
    (dict(y=np.zeros(50)), InputError, "y must be made of at least 2 classes"),
    (dict(classifier="svm"), UnknownOptionError, "classifier must be one of 'ridge', 'centroid'"),
    (dict(X_val=np.zeros((5, 4))), InputError, "y_val must be given together with X_val"),
    (dict(X_val=np.zeros((5, 3)), y_val=[0, 1, 0, 1, 0]), WrongShapeError, "X_val must be 4 features"),
    (dict(population=1), InputError, "population must be an integer >= 2"),
])
def test_bad_inputs_raise_clear_errors(bad, error, text):
    rng = np.random.default_rng(0)
    args = dict(X=rng.standard_normal((50, 4)), y=np.arange(50) % 2)
    args.update(bad)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(error, match=text) as info:
        S.zebra_select(X, y, iterations=1, **args)
    assert str(info.value).startswith("zebra_select: ")


def test_bad_inputs_of_the_other_selectors():
    X, y = np.random.default_rng(0).standard_normal((40, 4)), np.arange(40) % 2
    with pytest.raises(InputError, match="evaluations must be an integer >= 6"):
        S.genetic_select(X, y, population=6, evaluations=3)
    with pytest.raises(InputError, match="X_val must be given together with y_val"):
        S.random_search_select(X, y, y_val=[0, 1], evaluations=5)
    with pytest.raises(UnknownOptionError, match="methods must be one of"):
        S.compare_selectors(X, y, X, y, X, y, methods=("zebra", "pso"))
    with pytest.raises(WrongShapeError, match="X_test must be 4 features"):
        S.compare_selectors(X, y, X, y, X[:, :3], y)
