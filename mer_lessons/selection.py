"""Wrapper feature selection with a metaheuristic: the "Improved Zebra Algorithm" of Kirar et al.

**Wrapper selection.** A *filter* ranks features by a statistic computed without a model
(variance, mutual information, ...). A *wrapper* searches over feature subsets and scores
each subset by training a classifier on it: ``fitness(mask)`` is a validation score of a
model fitted on the selected columns only. With ``D`` features there are ``2**D - 1``
non-empty subsets, so the search is heuristic: a population of masks is improved
generation after generation, each step costing one classifier fit per candidate.

Kirar et al. (2024, ``mer_lessons.papers.cite("kirar")``) select their audio-visual
features with an "Improved Zebra Algorithm (IZA)": "an initial population of possible
feature subsets; a fitness function evaluates each subset in terms of classification
accuracy; the approach repeatedly hones the population by exploiting and exploring". The
paper gives nothing more: no population size, no number of iterations, no classifier, and
not what is "improved". We build on the Zebra Optimization Algorithm (ZOA) of Trojovska,
Dehghani and Trojovsky (2022, IEEE Access 10:49445-49473, DOI 10.1109/ACCESS.2022.3172789).

**ZOA** keeps ``N`` zebras, positions ``x_i`` in ``[lb, ub]^D``, for ``T`` iterations
``t = 1..T``; ``r`` is uniform on ``[0, 1]`` (drawn per dimension, ``*`` is element-wise)
and ``I = round(1 + rand)`` is 1 or 2.

* Phase 1, foraging (exploration). The best zebra is the pioneer ``PZ``; every zebra tries
  ``x_new = x_i + r * (PZ - I * x_i)`` (:func:`foraging_step`).
* Phase 2, defence against predators (exploitation). Each zebra, with probability 1/2,
  either S1, escapes a lion: ``x_new = x_i + R * (2 r - 1) * (1 - t / T) * x_i`` with
  ``R = 0.01`` (:func:`escape_step`), or S2, joins the group attacking a smaller predator:
  ``x_new = x_i + r * (AZ - I * x_i)`` with ``AZ`` another zebra drawn at random
  (:func:`attack_step`).
* After each try the new position replaces the old one only if its fitness is better
  (greedy acceptance), so the best fitness of the population never goes down.

Every zebra is evaluated once at the start and twice per iteration: ``N * (1 + 2 T)``
fitness evaluations in all (:func:`zebra_budget`).

**Our binarisation.** Positions live in ``[0, 1]^D`` and are clipped there after each step;
a zebra's feature mask is ``x > 0.5``. (S-shaped transfer functions, selecting feature ``j``
with probability ``1 / (1 + exp(-x_j))``, are a common alternative.) Note that S1 moves a
coordinate by at most 1 % of its own value: near 0 it barely moves, and it flips a mask bit
only if the coordinate already sits within 1 % of the threshold. We keep it as published.

**Our "improved".** Ours, the paper does not say what is improved. With ``improved=True``
the S1 step is followed by a bit-flip mutation, the standard local move of binary genetic
algorithms: each coordinate is reflected about the threshold (``x_j <- 1 - x_j``, which
flips its mask bit) with probability ``1/D``, at least one coordinate per try. It costs no
extra evaluation (the S1 try is evaluated once, mutated), so the budget stays
``N * (1 + 2 T)``. ``improved=False`` is plain binary ZOA.

**The fitness** (:func:`subset_fitness`): accuracy on validation rows of a cheap
classifier (one-vs-rest ridge least squares, or the nearest class mean) fitted on the
training rows' selected columns, minus ``penalty * (selected / D)`` so that, at equal
accuracy, smaller subsets win. An empty mask scores ``-inf``. Fitness evaluations are
counted even when a mask was seen before (the score comes from a cache, the budget is still
charged), so that the methods' budgets compare.

**What the literature says about metaphor-based metaheuristics.** Hundreds of "novel"
algorithms named after animals have appeared since the 2000s. Sorensen (2015,
"Metaheuristics -- the metaphor exposed", International Transactions in Operational
Research 22(1):3-18, DOI 10.1111/itor.12001) argues that the metaphor often hides a known
method under a new vocabulary; Camacho-Villalon, Dorigo and Stutzle (2023, "Exposing the
grey wolf, moth-flame, whale, firefly, bat, and antlion algorithms: six misleading
optimization techniques inspired by bestial metaphors", International Transactions in
Operational Research 30(6):2945-2971, DOI 10.1111/itor.13176) take six of them apart and
find re-packaged particle swarm and evolutionary operators. ZOA's foraging step is such an
operator: a random move towards the best solution, as in particle swarm optimisation or
differential evolution's "current-to-best". The no-free-lunch theorem (Wolpert and
Macready, 1997, IEEE Transactions on Evolutionary Computation 1(1):67-82,
DOI 10.1109/4235.585893) adds that, averaged over all problems, no search beats any other:
an algorithm's worth shows only on a problem class, compared *at an equal number of
evaluations* with simple baselines. :func:`compare_selectors` does exactly that: no
selection, random search and a plain genetic algorithm against the zebras, same budget.

**Wrapper selection over-fits its validation rows.** Hundreds of evaluations on the same
validation rows pick, among many nearly equal masks, the one luckiest on those rows: the
chosen mask's validation fitness is optimistic. Only a score on rows the search never saw
(the test rows of :func:`compare_selectors`) is honest.

Taught in ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd
from scipy import linalg

from mer_lessons.validation import (
    EmptyInputError,
    InputError,
    NonFiniteError,
    WrongShapeError,
    WrongTypeError,
    as_choice,
    as_float,
    as_int,
    as_labels,
    message,
)

__all__ = [
    "SelectionResult", "CLASSIFIERS", "HISTORY_COLUMNS", "SELECTORS",
    "subset_fitness", "holdout_accuracy", "foraging_step", "escape_step", "attack_step",
    "zebra_select", "random_search_select", "genetic_select", "no_selection", "zebra_budget",
    "compare_selectors",
]

#: Accepted values of ``classifier``.
CLASSIFIERS = ("ridge", "centroid")

#: Columns of :attr:`SelectionResult.history`, in order.
HISTORY_COLUMNS = ("iteration", "evaluations", "best_fitness", "mean_fitness", "n_selected")

#: Ridge strength of the "ridge" classifier, relative to the number of training rows: on
#: standardised features each column's sum of squares is ``n_train``, the ridge adds
#: ``RIDGE * n_train`` to it (1 %).
RIDGE = 0.01

#: ZOA's escape step size ``R`` (Trojovska et al., 2022).
ESCAPE_R = 0.01

#: Our binarisation threshold: a zebra selects feature ``j`` when ``x_j > THRESHOLD``.
THRESHOLD = 0.5


# --------------------------------------------------------------------------- the result


@dataclass
class SelectionResult:
    """What a selector found: the best mask, its fitness and how the search went.

    ``method``: ``"zebra"``, ``"random search"``, ``"genetic"`` or ``"none"``. ``mask``:
    ``(D,)`` bool, the best mask found; ``fitness``: its fitness (validation accuracy minus
    the size penalty, an optimistic number, see the module docstring); ``evaluations``: the
    fitness evaluations used; ``history``: one row per iteration (generation, or evaluation
    for random search) with the columns :data:`HISTORY_COLUMNS`; ``seconds``: wall-clock
    time of the search. :attr:`selected` gives the indices of the selected features.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    method: str
    mask: np.ndarray
    fitness: float
    evaluations: int
    history: pd.DataFrame = field(repr=False)
    seconds: float

    @property
    def selected(self) -> np.ndarray:
        """Indices of the selected features, ascending (``np.flatnonzero(mask)``)."""
        return np.flatnonzero(self.mask)

    @property
    def n_features(self) -> int:
        """Number of selected features."""
        return int(np.count_nonzero(self.mask))


# --------------------------------------------------------------------------- argument checks


def _as_matrix(X: Any, name: str, where: str, n_features: Optional[int] = None) -> np.ndarray:
    """``X`` as a finite float64 ``(rows, features)`` array, or a clear error."""
    if X is None:
        raise WrongTypeError(message(name, "a 2-D array (rows, features)", "None", where=where, describe=False))
    if hasattr(X, "detach") and hasattr(X, "cpu"):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) \
            or np.iscomplexobj(arr):
        raise WrongTypeError(message(name, "a real numeric 2-D array (rows, features)", arr, where=where))
    if arr.ndim != 2:
        raise WrongShapeError(message(name, "2-D (rows, features)", f"shape {arr.shape}", where=where,
                                      describe=False, hint="a single row is X[None, :], a single feature X[:, None]"))
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise EmptyInputError(message(name, "non-empty (at least one row and one feature)", f"shape {arr.shape}",
                                      where=where, describe=False))
    if n_features is not None and arr.shape[1] != n_features:
        raise WrongShapeError(message(name, f"{n_features} features (columns), like X", f"shape {arr.shape}",
                                      where=where, describe=False))
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", f"{int(np.sum(~np.isfinite(arr)))} non-finite "
                                     "values", where=where, describe=False, hint="impute or drop them first"))
    return arr


def _as_targets(y: Any, name: str, n_rows: int, x_name: str, where: str, *, min_classes: int = 2) -> np.ndarray:
    """``y`` as a 1-D object array of ``n_rows`` labels with at least ``min_classes`` classes."""
    y = as_labels(y, name, where=where)
    if len(y) != n_rows:
        raise WrongShapeError(message(name, f"as long as {x_name} has rows ({n_rows})", f"{len(y)} labels",
                                      where=where, describe=False))
    n_classes = len(set(y.tolist())) if n_rows else 0
    if n_classes < min_classes:
        raise InputError(message(name, f"made of at least {min_classes} classes", f"{n_classes}", where=where,
                                 describe=False, hint="a classifier needs two classes to tell apart"))
    return y


def _classes(y: np.ndarray) -> list:
    """The distinct labels, sorted when they compare, else in order of appearance."""
    seen = list(dict.fromkeys(y.tolist()))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _codes(y: np.ndarray, classes: Sequence) -> np.ndarray:
    """Integer codes of ``y`` in ``classes``; labels not in ``classes`` get -1 (never predicted)."""
    index = {label: code for code, label in enumerate(classes)}
    return np.fromiter((index.get(v, -1) for v in y.tolist()), dtype=np.int64, count=len(y))


def _check_common(where: str, X, y, X_val, y_val, val_size, penalty, classifier, seed):
    """Validate the arguments every selector shares; returns them checked."""
    X = _as_matrix(X, "X", where)
    y = _as_targets(y, "y", X.shape[0], "X", where)
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise InputError(message(missing, f"given together with {given} (both or neither)", "None", where=where,
                                 describe=False, hint="leave both out for an inner split of (X, y) by val_size"))
    if X_val is not None:
        X_val = _as_matrix(X_val, "X_val", where, n_features=X.shape[1])
        y_val = _as_targets(y_val, "y_val", X_val.shape[0], "X_val", where, min_classes=1)
    val_size = as_float(val_size, "val_size", minimum=0, maximum=1, low_open=True, high_open=True, where=where)
    penalty = as_float(penalty, "penalty", minimum=0, where=where)
    as_choice(classifier, "classifier", CLASSIFIERS, where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    return X, y, X_val, y_val, val_size, penalty, seed


def _inner_split(y: np.ndarray, val_size: float, rng: np.random.Generator, where: str):
    """Stratified (train, val) positions: about ``val_size`` of each class's rows to val.

    A class with a single row stays in training; every class with two or more rows keeps
    at least one on each side.
    """
    codes = _codes(y, _classes(y))
    train, val = [], []
    for c in range(codes.max() + 1):
        rows = np.flatnonzero(codes == c)
        rows = rows[rng.permutation(len(rows))]
        n_val = 0 if len(rows) < 2 else min(len(rows) - 1, max(1, int(round(val_size * len(rows)))))
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    train, val = np.sort(np.concatenate(train)), np.sort(np.concatenate(val))
    if len(val) == 0 or len(set(y[train].tolist())) < 2:
        raise EmptyInputError(message("y", "large enough for a validation split (two rows in some class)",
                                      f"{len(y)} rows", where=where, describe=False,
                                      hint="pass X_val and y_val explicitly"))
    return train, val


# --------------------------------------------------------------------------- the fitness


class _SubsetClassifier:
    """A cheap classifier on column subsets, fitted on (X_fit, y_fit), scored on (X_eval, y_eval).

    Standardisation (training statistics only) and the products that every subset needs
    (Gram matrices, class means) are computed once, so that one subset costs a small
    linear solve (ridge) or a matrix-vector product (centroid).
    """

    def __init__(self, X_fit, y_fit, X_eval, y_eval, classifier: str):
        self.classes = _classes(y_fit)
        codes = _codes(y_fit, self.classes)
        self.eval_codes = _codes(y_eval, self.classes)
        mean = X_fit.mean(axis=0)
        std = X_fit.std(axis=0)
        std[std < 1e-12] = 1.0  # constant columns: centred to 0, left unscaled
        self.X = np.ascontiguousarray((X_fit - mean) / std)
        self.Xe = np.ascontiguousarray((X_eval - mean) / std)
        self.n, self.D = self.X.shape
        self.classifier = classifier
        onehot = np.zeros((self.n, len(self.classes)))
        onehot[np.arange(self.n), codes] = 1.0
        if classifier == "centroid":
            self.means = np.stack([self.X[codes == c].mean(axis=0) for c in range(len(self.classes))])
        else:
            self.prior = onehot.mean(axis=0)
            self.Yc = onehot - self.prior
            self.lam = RIDGE * self.n
            self._gram = None    # (D, D) X^T X, for the primal form
            self._xty = None     # (D, C) X^T Yc
            self._kernel = None  # (n, n) X X^T, for the dual form
            self._cross = None   # (n_eval, n) Xe X^T

    def scores(self, mask: np.ndarray) -> np.ndarray:
        """``(n_eval, classes)`` scores of the subset ``mask``; the prediction is the argmax."""
        if self.classifier == "centroid":
            # argmin_c ||x - mu_c||^2 over the subset = argmax_c x.mu_c - ||mu_c||^2 / 2
            mu = self.means * mask
            return self.Xe @ mu.T - 0.5 * np.einsum("cd,cd->c", mu, mu)
        idx = np.flatnonzero(mask)
        k = len(idx)
        if k <= self.n:  # primal: (X_m^T X_m + lam I) W = X_m^T Yc, a k x k system
            if self._gram is None:
                self._gram = self.X.T @ self.X
                self._xty = self.X.T @ self.Yc
            A = self._gram[np.ix_(idx, idx)]
            A.flat[:: k + 1] += self.lam
            W = linalg.solve(A, self._xty[idx], assume_a="pos", check_finite=False)
            return self.Xe[:, idx] @ W + self.prior
        # dual (kernel) form: (X_m X_m^T + lam I) A = Yc, W = X_m^T A, an n x n system
        if self._kernel is None:
            self._kernel = self.X @ self.X.T
            self._cross = self.Xe @ self.X.T
        if k <= self.D - k:
            K, Kc = self.X[:, idx] @ self.X[:, idx].T, self.Xe[:, idx] @ self.X[:, idx].T
        else:  # fewer columns left out than kept: subtract them from the full kernels
            out = np.flatnonzero(~mask)
            K = self._kernel - self.X[:, out] @ self.X[:, out].T
            Kc = self._cross - self.Xe[:, out] @ self.X[:, out].T
        K.flat[:: self.n + 1] += self.lam
        A = linalg.solve(K, self.Yc, assume_a="pos", check_finite=False)
        return Kc @ A + self.prior

    def accuracy(self, mask: np.ndarray) -> float:
        """Share of evaluation rows whose predicted class is the true one."""
        predicted = np.argmax(self.scores(mask), axis=1)
        return float(np.mean(predicted == self.eval_codes))


class _SubsetFitness:
    """``fitness(mask)``: see :func:`subset_fitness`. Memoised by the mask's bytes."""

    def __init__(self, model: _SubsetClassifier, penalty: float):
        self.model, self.penalty, self.D = model, penalty, model.D
        self.cache: dict[bytes, float] = {}
        self.calls = 0  # every call, cached or not
        self.fits = 0   # classifier fits (cache misses)

    def __call__(self, mask) -> float:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.D,):
            raise WrongShapeError(message("mask", f"a boolean array of shape ({self.D},)", f"shape {mask.shape}",
                                          where="fitness", describe=False))
        self.calls += 1
        key = np.packbits(mask).tobytes()
        value = self.cache.get(key)
        if value is None:
            k = int(np.count_nonzero(mask))
            if k == 0:
                value = -math.inf
            else:
                self.fits += 1
                value = self.model.accuracy(mask) - self.penalty * k / self.D
            self.cache[key] = value
        return value


def _fit_and_score_rows(X_a, y_a, X_b, y_b, names: tuple, classifier: str, where: str) -> tuple:
    """Checked rows to fit on (``X_<a>``, ``y_<a>``) and to score on (``X_<b>``, ``y_<b>``), and the classifier."""
    a, b = names
    X_a = _as_matrix(X_a, f"X_{a}", where)
    y_a = _as_targets(y_a, f"y_{a}", X_a.shape[0], f"X_{a}", where)
    X_b = _as_matrix(X_b, f"X_{b}", where, n_features=X_a.shape[1])
    y_b = _as_targets(y_b, f"y_{b}", X_b.shape[0], f"X_{b}", where, min_classes=1)
    as_choice(classifier, "classifier", CLASSIFIERS, where=where)
    return X_a, y_a, X_b, y_b


def subset_fitness(X_train, y_train, X_val, y_val, *, penalty: float = 0.01,
                   classifier: str = "ridge") -> Callable[[np.ndarray], float]:
    """The wrapper fitness: ``fitness(mask) = val accuracy - penalty * mask.sum() / D``.

    ``X_train`` ``(n_train, D)`` and ``X_val`` ``(n_val, D)`` are float features, ``y_train``
    and ``y_val`` labels of any hashable type (at least two classes in ``y_train``; a
    validation label absent from training always counts as an error). The returned
    callable takes a ``(D,)`` boolean mask and returns a float: the accuracy (0-1) on the
    validation rows of ``classifier`` fitted on the training rows' selected columns, minus
    the size penalty (``penalty`` per 100 % of the features); an empty mask gives ``-inf``,
    so it is never chosen.

    ``classifier``: ``"ridge"``, one-vs-rest least squares on one-hot targets with a small
    ridge (``RIDGE * n_train``, 1 % of a standardised column's sum of squares), solved in
    the primal form (a ``k x k`` system, from a Gram matrix computed once) when the subset
    has ``k <= n_train`` features and in the dual (kernel) form (an ``n_train x n_train``
    system) otherwise; or ``"centroid"``, the nearest class mean. Both standardise with the
    training rows' mean and standard deviation, computed once. At ``n_train=500``,
    ``n_val=150``, ``D=600``, 3 classes, on one thread, one evaluation of a half-full mask
    takes about 0.8 ms (ridge) or 0.06 ms (centroid); a ridge subset of more than
    ``n_train`` features (the dual form) about 3 ms (see ``bench/selection.py``).

    The callable is memoised by the mask's bytes: a mask seen before costs no classifier
    fit. Its ``calls`` attribute counts every call, ``fits`` the classifier fits; the
    selectors count every call as an evaluation, cached or not, so that budgets compare.

    Paper: Kirar et al. (2024) evaluate subsets "in terms of classification accuracy" with
    no classifier, split or size term named; we: a cheap linear classifier on a validation
    split, plus a small size penalty (common in wrapper selection) that breaks ties towards
    fewer features.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "subset_fitness"
    X_train, y_train, X_val, y_val = _fit_and_score_rows(X_train, y_train, X_val, y_val, ("train", "val"),
                                                         classifier, where)
    penalty = as_float(penalty, "penalty", minimum=0, where=where)
    return _SubsetFitness(_SubsetClassifier(X_train, y_train, X_val, y_val, classifier), penalty)


def holdout_accuracy(X_fit, y_fit, X_test, y_test, mask, *, classifier: str = "ridge") -> float:
    """Accuracy (0-1) on ``(X_test, y_test)`` of ``classifier`` fitted on ``X_fit[:, mask]``.

    The same cheap classifier as :func:`subset_fitness` (same standardisation, same ridge),
    without the size penalty: the one honest score of a selected subset, computed once on
    rows the search never saw. ``X_fit`` ``(n, D)``, ``X_test`` ``(m, D)``, ``mask`` ``(D,)``
    bool and not empty.

    Paper: Kirar et al. (2024) report the accuracy of their BiLSTM on the selected
    features; we: the selection's own cheap classifier, so that selectors compare without
    training a network per subset.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "holdout_accuracy"
    X_fit, y_fit, X_test, y_test = _fit_and_score_rows(X_fit, y_fit, X_test, y_test, ("fit", "test"), classifier, where)
    mask = _as_mask(mask, X_fit.shape[1], where)
    if not mask.any():
        raise EmptyInputError(message("mask", "a mask selecting at least one feature", "an empty mask",
                                      where=where, describe=False))
    return _SubsetClassifier(X_fit, y_fit, X_test, y_test, classifier).accuracy(mask)


def _as_mask(mask, D: int, where: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.shape != (D,):
        raise WrongShapeError(message("mask", f"a boolean array of shape ({D},)", f"shape {arr.shape}",
                                      where=where, describe=False))
    if arr.dtype != bool:
        raise WrongTypeError(message("mask", "a boolean array", arr, where=where))
    return arr


# --------------------------------------------------------------------------- the ZOA steps


def _as_position(x, name: str, where: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", arr, where=where))
    return arr


def _as_I(I, where: str):
    arr = np.asarray(I)
    if not np.all((arr == 1) | (arr == 2)):
        raise InputError(message("I", "1 or 2 (round(1 + rand))", I, where=where))
    return arr.astype(np.float64)


def foraging_step(x, pioneer, r, I) -> np.ndarray:
    """ZOA phase 1, foraging: ``x_new = x + r * (pioneer - I * x)``.

    ``x``, ``pioneer`` (the best zebra, PZ) and ``r`` (uniform on [0, 1], one per
    dimension) are arrays of the same shape ``(D,)`` (or broadcastable); ``I`` is 1 or 2
    (``round(1 + rand)``). With ``I = 1`` the zebra moves a random part of the way to the
    pioneer; with ``I = 2`` towards ``pioneer - x``, i.e. also towards the origin. Returns
    the new position, not clipped (:func:`zebra_select` clips it to [0, 1]).

    Paper: Trojovska et al. (2022), ZOA, Eq. 3 (the step) and Eq. 4 (greedy acceptance);
    we: the step only, acceptance is done by the caller.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    return _move_towards(x, pioneer, r, I, "pioneer", "foraging_step")


def _move_towards(x, target, r, I, target_name: str, where: str) -> np.ndarray:
    """``x + r * (target - I * x)``: the move of ZOA's foraging (target: the pioneer) and attack (another zebra)."""
    x = _as_position(x, "x", where)
    target = _as_position(target, target_name, where)
    r = _as_position(r, "r", where)
    return x + r * (target - _as_I(I, where) * x)


def escape_step(x, r, t: int, iterations: int, *, R: float = ESCAPE_R) -> np.ndarray:
    """ZOA phase 2, strategy S1 (escape from a lion): ``x + R * (2 r - 1) * (1 - t / T) * x``.

    ``x`` ``(D,)`` position, ``r`` uniform on [0, 1] of the same shape, ``t`` the iteration
    (1..T) and ``iterations`` ``T``; ``R = 0.01``. The step shrinks linearly to 0 at
    ``t = T`` and is proportional to ``x`` itself: a coordinate near 0 barely moves, and one
    moves by at most 1 % of its value. Returns the new position, not clipped.

    Paper: Trojovska et al. (2022), ZOA, Eq. 5, S1; we: the same, ``r`` drawn per dimension
    (our "improved" variant adds a bit-flip mutation after it, in :func:`zebra_select`).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "escape_step"
    x = _as_position(x, "x", where)
    r = _as_position(r, "r", where)
    iterations = as_int(iterations, "iterations", minimum=1, where=where)
    t = as_int(t, "t", minimum=0, maximum=iterations, where=where)
    R = as_float(R, "R", minimum=0, where=where)
    return x + R * (2 * r - 1) * (1 - t / iterations) * x


def attack_step(x, attacked, r, I) -> np.ndarray:
    """ZOA phase 2, strategy S2 (the group attacks a smaller predator): ``x + r * (AZ - I * x)``.

    ``x``, ``attacked`` (AZ, another zebra drawn at random) and ``r`` (uniform on [0, 1]
    per dimension) are ``(D,)`` arrays; ``I`` is 1 or 2. The same move as
    :func:`foraging_step`, towards a random zebra instead of the best. Returns the new
    position, not clipped.

    Paper: Trojovska et al. (2022), ZOA, Eq. 5, S2; we: the same.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    return _move_towards(x, attacked, r, I, "attacked", "attack_step")


def zebra_budget(population: int, iterations: int) -> int:
    """Fitness evaluations of :func:`zebra_select`: ``population * (1 + 2 * iterations)``.

    Each zebra is evaluated once at the start, then once per phase per iteration (phase 1
    and phase 2 each try one new position per zebra).

    Paper: Trojovska et al. (2022) count ZOA's cost the same way (N initial evaluations,
    2N per iteration); we: the budget every method of :func:`compare_selectors` gets.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    population = as_int(population, "population", minimum=1, where="zebra_budget")
    iterations = as_int(iterations, "iterations", minimum=0, where="zebra_budget")
    return population * (1 + 2 * iterations)


# --------------------------------------------------------------------------- the selectors


def _prepare(where, X, y, X_val, y_val, val_size, penalty, classifier, seed):
    """Check the shared arguments, split if needed, build the fitness; returns (fitness, D, rng)."""
    X, y, X_val, y_val, val_size, penalty, seed = _check_common(where, X, y, X_val, y_val, val_size, penalty,
                                                                classifier, seed)
    rng = np.random.default_rng(seed)
    if X_val is None:
        train, val = _inner_split(y, val_size, rng, where)
        X, y, X_val, y_val = X[train], y[train], X[val], y[val]
    fitness = subset_fitness(X, y, X_val, y_val, penalty=penalty, classifier=classifier)
    return fitness, X.shape[1], rng


def _random_masks(rng: np.random.Generator, n: int, D: int, fraction: float) -> np.ndarray:
    return rng.random((n, D)) < fraction


def _history(rows: list) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def _row(iteration: int, evaluations: int, fitnesses: np.ndarray, best_mask: np.ndarray) -> tuple:
    finite = fitnesses[np.isfinite(fitnesses)]
    return (iteration, evaluations, float(np.max(fitnesses)),
            float(finite.mean()) if len(finite) else -math.inf, int(np.count_nonzero(best_mask)))


def zebra_select(X, y, *, X_val=None, y_val=None, val_size: float = 0.25, population: int = 12,
                 iterations: int = 20, penalty: float = 0.01, classifier: str = "ridge", improved: bool = True,
                 init_fraction: float = 0.5, seed: int = 0, progress: bool = False) -> SelectionResult:
    """Binary Zebra Optimization Algorithm feature selection (our reading of Kirar et al.'s IZA).

    ``X`` ``(N, D)`` float features, ``y`` ``(N,)`` labels of any hashable type (two classes
    at least). With ``X_val``/``y_val`` given, :func:`subset_fitness` fits on ``(X, y)`` and
    scores on them; with both ``None``, a stratified, seeded split of ``(X, y)`` keeps
    ``val_size`` of each class for validation. The fitness never sees any other row.

    ``population`` zebras (``N >= 2``) with positions in ``[0, 1]^D`` start with each
    feature selected with probability ``init_fraction`` (the coordinate uniform on the
    upper or lower half); then ``iterations`` rounds of phase 1 (:func:`foraging_step`
    towards the best zebra) and phase 2 (with probability 1/2 :func:`escape_step`, else
    :func:`attack_step` towards a random other zebra), each try clipped to [0, 1] and kept
    only if its fitness is strictly better. A zebra's mask is ``x > 0.5``. Evaluations:
    :func:`zebra_budget` ``= population * (1 + 2 * iterations)``. ``history`` has one row
    per iteration (row 0: the initial population). ``progress=True`` prints one line per
    iteration. Deterministic for a given ``seed``.

    ``improved=True`` (ours, the paper does not say what is improved): each escape (S1) try
    also reflects each coordinate about 0.5 with probability ``1/D`` (at least one), a
    bit-flip mutation of its mask; the near-null S1 step alone hardly ever changes a mask.
    ``improved=False`` is plain binary ZOA.

    Paper: Kirar et al. (2024) give no population, iterations, classifier, nor what is
    "improved"; ZOA is Trojovska et al. (2022), Eq. 3-5 (continuous). We: binarise by
    threshold 0.5, clip to [0, 1], the defaults ``population=12``, ``iterations=20``, and
    the mutation above.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "zebra_select"
    population = as_int(population, "population", minimum=2, where=where)
    iterations = as_int(iterations, "iterations", minimum=0, where=where)
    init_fraction = as_float(init_fraction, "init_fraction", minimum=0, maximum=1, low_open=True, where=where)
    if not isinstance(improved, (bool, np.bool_)):
        raise WrongTypeError(message("improved", "True or False", improved, where=where))
    start = time.perf_counter()
    fitness, D, rng = _prepare(where, X, y, X_val, y_val, val_size, penalty, classifier, seed)

    on = _random_masks(rng, population, D, init_fraction)
    u = rng.random((population, D))
    P = np.where(on, 1.0 - (1 - THRESHOLD) * u, THRESHOLD * u)  # on: (0.5, 1], off: [0, 0.5)
    F = np.array([fitness(p > THRESHOLD) for p in P])
    used = population
    best = int(np.argmax(F))
    history = [_row(0, used, F, P[best] > THRESHOLD)]

    def try_move(i: int, x_new: np.ndarray) -> None:
        nonlocal used
        x_new = np.clip(x_new, 0.0, 1.0)
        f_new = fitness(x_new > THRESHOLD)
        used += 1
        if f_new > F[i]:
            P[i], F[i] = x_new, f_new

    for t in range(1, iterations + 1):
        # phase 1: foraging towards the pioneer (the best zebra at the start of the phase)
        pioneer = P[int(np.argmax(F))].copy()
        for i in range(population):
            I = int(rng.integers(1, 3))
            try_move(i, foraging_step(P[i], pioneer, rng.random(D), I))
        # phase 2: defence, S1 (escape) or S2 (attack) with probability 1/2 each
        for i in range(population):
            if rng.random() < 0.5:
                x_new = escape_step(P[i], rng.random(D), t, iterations)
                if improved:
                    flip = rng.random(D) < 1.0 / D
                    if not flip.any():
                        flip[rng.integers(D)] = True
                    x_new = np.where(flip, 1.0 - x_new, x_new)
            else:
                others = np.delete(np.arange(population), i)
                attacked = P[int(rng.choice(others))].copy()
                x_new = attack_step(P[i], attacked, rng.random(D), int(rng.integers(1, 3)))
            try_move(i, x_new)
        best = int(np.argmax(F))
        history.append(_row(t, used, F, P[best] > THRESHOLD))
        if progress:
            print(f"zebra: iteration {t}/{iterations}, evaluations {used}, best fitness {F[best]:.4f}, "
                  f"{history[-1][-1]} features")

    best = int(np.argmax(F))
    return SelectionResult("zebra", P[best] > THRESHOLD, float(F[best]), used, _history(history),
                           time.perf_counter() - start)


def random_search_select(X, y, *, X_val=None, y_val=None, val_size: float = 0.25, evaluations: int,
                         penalty: float = 0.01, classifier: str = "ridge", init_fraction: float = 0.5,
                         seed: int = 0) -> SelectionResult:
    """Random search: ``evaluations`` random masks, keep the best. The simplest baseline.

    ``X`` ``(N, D)``, ``y`` ``(N,)``, the validation rows and the fitness as in
    :func:`zebra_select`. Each mask selects each feature independently with probability
    ``init_fraction``. ``history`` has one row per evaluation (``mean_fitness``: the mean of
    the finite fitnesses so far). Deterministic for a given ``seed``.

    Paper: Kirar et al. (2024) compare their IZA with no other selector; we: random search
    at the same budget, the baseline any metaheuristic should beat (Sorensen, 2015).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "random_search_select"
    evaluations = as_int(evaluations, "evaluations", minimum=1, where=where)
    init_fraction = as_float(init_fraction, "init_fraction", minimum=0, maximum=1, low_open=True, where=where)
    start = time.perf_counter()
    fitness, D, rng = _prepare(where, X, y, X_val, y_val, val_size, penalty, classifier, seed)
    best_mask, best_f = None, -math.inf
    total, n_finite, rows = 0.0, 0, []
    for e in range(1, evaluations + 1):
        mask = _random_masks(rng, 1, D, init_fraction)[0]
        f = fitness(mask)
        if f > best_f or best_mask is None:
            best_mask, best_f = mask, f
        if math.isfinite(f):
            total, n_finite = total + f, n_finite + 1
        rows.append((e, e, best_f, total / n_finite if n_finite else -math.inf, int(best_mask.sum())))
    return SelectionResult("random search", best_mask, float(best_f), evaluations, _history(rows),
                           time.perf_counter() - start)


def genetic_select(X, y, *, X_val=None, y_val=None, val_size: float = 0.25, population: int = 12,
                   evaluations: int, penalty: float = 0.01, classifier: str = "ridge", crossover: float = 0.9,
                   mutation: float | None = None, init_fraction: float = 0.5, seed: int = 0) -> SelectionResult:
    """A plain generational genetic algorithm on masks, stopped after ``evaluations`` fitness calls.

    ``X`` ``(N, D)``, ``y`` ``(N,)``, the validation rows and the fitness as in
    :func:`zebra_select`. ``population`` random masks (each feature on with probability
    ``init_fraction``); each generation keeps the best mask (elitism of 1) and breeds the
    others: two parents by binary tournament, uniform crossover with probability
    ``crossover`` (else a copy of the first parent), then bit-flip mutation with
    probability ``mutation`` per bit (default ``1/D``). Every child costs one evaluation;
    the last generation stops where the budget ends (``evaluations >= population``).
    ``history`` has one row per generation (row 0: the initial population). Deterministic
    for a given ``seed``.

    Paper: Kirar et al. (2024) compare their IZA with no other selector; we: the textbook
    binary GA (Goldberg, 1989) at the same budget, a baseline for :func:`compare_selectors`.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "genetic_select"
    population = as_int(population, "population", minimum=2, where=where)
    evaluations = as_int(evaluations, "evaluations", minimum=population, where=where)
    crossover = as_float(crossover, "crossover", minimum=0, maximum=1, where=where)
    init_fraction = as_float(init_fraction, "init_fraction", minimum=0, maximum=1, low_open=True, where=where)
    if mutation is not None:
        mutation = as_float(mutation, "mutation", minimum=0, maximum=1, where=where)
    start = time.perf_counter()
    fitness, D, rng = _prepare(where, X, y, X_val, y_val, val_size, penalty, classifier, seed)
    rate = 1.0 / D if mutation is None else mutation

    pop = _random_masks(rng, population, D, init_fraction)
    F = np.array([fitness(m) for m in pop])
    used = population
    history = [_row(0, used, F, pop[int(np.argmax(F))])]

    def tournament() -> int:
        a, b = rng.integers(population, size=2)
        return int(a if F[a] >= F[b] else b)

    generation = 0
    while used < evaluations:
        generation += 1
        elite = int(np.argmax(F))
        children, child_f = [pop[elite].copy()], [F[elite]]
        while len(children) < population and used < evaluations:
            p1, p2 = pop[tournament()], pop[tournament()]
            if rng.random() < crossover:
                child = np.where(rng.random(D) < 0.5, p1, p2)
            else:
                child = p1.copy()
            child ^= rng.random(D) < rate
            children.append(child)
            child_f.append(fitness(child))
            used += 1
        pop, F = np.array(children), np.array(child_f)  # the last generation may be partial
        history.append(_row(generation, used, F, pop[int(np.argmax(F))]))
    best = int(np.argmax(F))
    return SelectionResult("genetic", pop[best].copy(), float(F[best]), used, _history(history),
                           time.perf_counter() - start)


def no_selection(X, y, *, X_val=None, y_val=None, val_size: float = 0.25, penalty: float = 0.01,
                 classifier: str = "ridge", seed: int = 0) -> SelectionResult:
    """No selection: all ``D`` features, one fitness evaluation (the reference row).

    ``X`` ``(N, D)``, ``y`` ``(N,)``, the validation rows and the fitness as in
    :func:`zebra_select` (the fitness includes the full penalty ``penalty``).

    Paper: Kirar et al. (2024) do not report their model without selection; we: the
    baseline that tells whether selecting helps at all.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    start = time.perf_counter()
    fitness, D, _ = _prepare("no_selection", X, y, X_val, y_val, val_size, penalty, classifier, seed)
    mask = np.ones(D, dtype=bool)
    f = fitness(mask)
    history = _history([(0, 1, f, f, D)])
    return SelectionResult("none", mask, float(f), 1, history, time.perf_counter() - start)


#: The selectors of :func:`compare_selectors`, by method name.
SELECTORS = {"none": no_selection, "random search": random_search_select, "genetic": genetic_select,
             "zebra": zebra_select}


def compare_selectors(X_train, y_train, X_val, y_val, X_test, y_test, *, population: int = 12,
                      iterations: int = 20, penalty: float = 0.01, classifier: str = "ridge", seed: int = 0,
                      methods: Sequence[str] = ("none", "random search", "genetic", "zebra"),
                      ) -> tuple[pd.DataFrame, dict[str, SelectionResult]]:
    """Every selector at the same budget, then one honest test score each.

    ``X_train`` ``(n_train, D)``, ``X_val`` ``(n_val, D)``, ``X_test`` ``(n_test, D)`` with
    their labels. Each method of ``methods`` (keys of :data:`SELECTORS`) searches with the
    fitness on (train, val) only and, except ``"none"`` (1 evaluation), the same number of
    fitness evaluations, :func:`zebra_budget` ``(population, iterations)``. Then each
    selected subset is scored once on the test rows by :func:`holdout_accuracy`, the same
    cheap classifier fitted on train + val. Returns a DataFrame indexed by method with the
    columns ``n_features``, ``share_selected`` (0-1), ``val_fitness`` (optimistic: chosen on
    those rows), ``test_accuracy`` (0-1), ``evaluations`` and ``seconds`` (the search), and
    the :class:`SelectionResult` of each method.

    Paper: Kirar et al. (2024) report no comparison of selectors; we: the comparison at
    equal budgets that the metaheuristics literature asks for (Camacho-Villalon et al.,
    2023).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "compare_selectors"
    X_train = _as_matrix(X_train, "X_train", where)
    D = X_train.shape[1]
    y_train = _as_targets(y_train, "y_train", X_train.shape[0], "X_train", where)
    X_val = _as_matrix(X_val, "X_val", where, n_features=D)
    y_val = _as_targets(y_val, "y_val", X_val.shape[0], "X_val", where, min_classes=1)
    X_test = _as_matrix(X_test, "X_test", where, n_features=D)
    y_test = _as_targets(y_test, "y_test", X_test.shape[0], "X_test", where, min_classes=1)
    budget = zebra_budget(population, iterations)
    if isinstance(methods, str):
        methods = (methods,)
    methods = [as_choice(m, "methods", tuple(SELECTORS), where=where) for m in methods]
    if not methods:
        raise EmptyInputError(message("methods", f"at least one of {tuple(SELECTORS)}", "nothing", where=where,
                                      describe=False))
    common = dict(X_val=X_val, y_val=y_val, penalty=penalty, classifier=classifier, seed=seed)
    extra = {"none": {}, "random search": {"evaluations": budget},
             "genetic": {"population": population, "evaluations": budget},
             "zebra": {"population": population, "iterations": iterations}}
    results: dict[str, SelectionResult] = {}
    for method in methods:
        results[method] = SELECTORS[method](X_train, y_train, **common, **extra[method])
    X_fit = np.vstack([X_train, X_val])
    y_fit = np.concatenate([y_train, y_val])
    rows = []
    for method, result in results.items():
        test = holdout_accuracy(X_fit, y_fit, X_test, y_test, result.mask, classifier=classifier)
        rows.append({"method": method, "n_features": result.n_features, "share_selected": result.n_features / D,
                     "val_fitness": result.fitness, "test_accuracy": test, "evaluations": result.evaluations,
                     "seconds": result.seconds})
    return pd.DataFrame(rows).set_index("method"), results
