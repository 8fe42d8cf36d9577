"""Train/test splits that respect who and what is in the data, and leakage checks.

Emotion data repeat themselves: the same listener rates many clips, the same clip is
rated by many listeners. A random split of trials puts the same listener (or the same
clip) on both sides, and a model can score well by recognising *them* rather than the
emotion. Subject-independent (and clip-independent) splits keep groups apart.
Taught in ``04_emotion_models_and_datasets``; used by the baselines and every chapter.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from mer_lessons.validation import EmptyInputError, WrongTypeError, as_class_labels, as_float, as_int, message


def _check_fraction(test_size: float, name: str = "test_size", where: str = "split_indices") -> float:
    """A fraction strictly between 0 and 1 (:class:`~mer_lessons.validation.OutOfRangeError` otherwise)."""
    return as_float(test_size, name, minimum=0, maximum=1, low_open=True, high_open=True, where=where)


def _check_meta(meta, where: str) -> None:
    if not isinstance(meta, pd.DataFrame):
        raise WrongTypeError(message("meta", "a pandas DataFrame (one row per example)", meta, where=where))


def split_indices(meta: pd.DataFrame, *, by: str | Sequence[str] | None = None, test_size: float = 0.25,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the training and test rows of ``meta``.

    ``by=None`` draws rows at random (a "subject-dependent" split when rows are trials).
    ``by="subject"`` (or ``"clip_id"``, or a list of columns) draws whole groups, so that
    no group has rows on both sides; about ``test_size`` of the *groups* go to the test set.
    With several columns, a row is tested only if all its groups were drawn for the test
    side and trained only if none was; rows in between are dropped (reported by
    :func:`leakage` as nothing shared).

    Taught in ``04_emotion_models_and_datasets``.
    """
    test_size = _check_fraction(test_size)
    _check_meta(meta, "split_indices")
    rng = np.random.default_rng(seed)
    n = len(meta)
    if n < 2:
        raise ValueError("split_indices: need at least 2 rows")
    if by is None:
        order = rng.permutation(n)
        n_test = max(1, int(round(test_size * n)))
        return np.sort(order[n_test:]), np.sort(order[:n_test])
    columns = [by] if isinstance(by, str) else list(by)
    missing = [c for c in columns if c not in meta.columns]
    if missing:
        raise KeyError(f"split_indices: meta has no column(s) {missing}")
    in_test = np.ones(n, dtype=bool)
    in_train = np.ones(n, dtype=bool)
    for column in columns:
        groups = pd.unique(meta[column])
        if len(groups) < 2:
            raise ValueError(f"split_indices: column {column!r} has a single group; cannot split by it")
        n_test = max(1, int(round(test_size * len(groups))))
        test_groups = set(rng.permutation(groups)[:n_test].tolist())
        member = meta[column].isin(test_groups).to_numpy()
        in_test &= member
        in_train &= ~member
    return np.flatnonzero(in_train), np.flatnonzero(in_test)


def group_split(meta: pd.DataFrame, *, by: str = "subject", test_size: float = 0.25,
                val_size: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """``{"train", "val", "test"}`` positions of ``meta`` rows, whole groups on each side.

    About ``test_size`` of the groups (listeners) are tested, then about ``val_size`` of
    the rest validate (early stopping); at least one group each, so at least three groups
    are needed. With ``by="subject"`` this is the subject-independent protocol: the model
    never sees a test listener while training. Built on :func:`split_indices`.

    ``test_size`` and ``val_size`` must be fractions in (0, 1).

    Taught in ``08_hao_realtime_fusion``.
    """
    test_size = _check_fraction(test_size, "test_size", "group_split")
    val_size = _check_fraction(val_size, "val_size", "group_split")
    _check_meta(meta, "group_split")
    if by not in meta.columns:
        raise KeyError(f"group_split: meta has no column {by!r}")
    groups = pd.unique(meta[by])
    if len(groups) < 3:
        raise ValueError(f"group_split: need >= 3 groups in {by!r} for train/val/test, got {len(groups)}")
    rest, test = split_indices(meta, by=by, test_size=test_size, seed=seed)
    sub = meta.iloc[rest].reset_index(drop=True)
    train_pos, val_pos = split_indices(sub, by=by, test_size=val_size, seed=seed + 1)
    return {"train": rest[train_pos], "val": rest[val_pos], "test": test}


def group_folds(meta: pd.DataFrame, *, by: str | None, n_folds: int = 5, seed: int = 0
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """K-fold cross-validation positions; with ``by``, whole groups per fold (like GroupKFold, seeded).

    Yields ``(train_positions, test_positions)`` ``n_folds`` times; every row is tested once.

    Taught in ``04_emotion_models_and_datasets``.
    """
    n_folds = as_int(n_folds, "n_folds", minimum=2, where="group_folds")
    _check_meta(meta, "group_folds")
    if len(meta) < n_folds:
        raise EmptyInputError(message("meta", f"at least n_folds={n_folds} rows", f"{len(meta)} rows",
                                      where="group_folds", describe=False))
    rng = np.random.default_rng(seed)
    if by is None:
        labels = rng.permutation(len(meta)) % n_folds
    else:
        if by not in meta.columns:
            raise KeyError(f"group_folds: meta has no column {by!r}")
        groups = pd.unique(meta[by])
        if len(groups) < n_folds:
            raise ValueError(f"group_folds: {len(groups)} groups in {by!r}, fewer than n_folds={n_folds}")
        fold_of = dict(zip(rng.permutation(groups).tolist(), np.arange(len(groups)) % n_folds))
        labels = meta[by].map(fold_of).to_numpy()
    for fold in range(n_folds):
        yield np.flatnonzero(labels != fold), np.flatnonzero(labels == fold)


def group_fold_split(meta: pd.DataFrame, *, by: str = "subject", n_folds: int = 5, fold: int = 0,
                     val_size: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """``{"train", "val", "test"}`` positions for fold ``fold`` of a grouped k-fold cross-validation.

    The test rows are those of fold ``fold`` of :func:`group_folds` (``seed`` draws the
    folds: every group is tested exactly once over ``fold = 0 .. n_folds - 1``); about
    ``val_size`` of the remaining groups validate (early stopping), the rest train. So a
    5-fold cross-validation grouped by listener is five calls with ``fold = 0 .. 4``.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    n_folds = as_int(n_folds, "n_folds", minimum=2, where="group_fold_split")
    fold = as_int(fold, "fold", minimum=0, maximum=n_folds - 1, where="group_fold_split")
    val_size = _check_fraction(val_size, "val_size", "group_fold_split")
    rest, test = list(group_folds(meta, by=by, n_folds=int(n_folds), seed=seed))[int(fold)]
    sub = meta.iloc[rest].reset_index(drop=True)
    if sub[by].nunique() < 2:
        raise ValueError(f"group_fold_split: fold {fold} leaves {sub[by].nunique()} group(s) for training and "
                         f"validation; need at least 2 (use fewer folds)")
    train_pos, val_pos = split_indices(sub, by=by, test_size=val_size, seed=seed + 1)
    return {"train": rest[train_pos], "val": rest[val_pos], "test": test}


def leakage(meta: pd.DataFrame, train: np.ndarray, test: np.ndarray,
            columns: Sequence[str] = ("subject", "clip_id")) -> dict[str, int]:
    """How many groups of each column appear on both sides of a split (0 = no leakage).

    Taught in ``04_emotion_models_and_datasets``.
    """
    report = {}
    for column in columns:
        if column not in meta.columns:
            continue
        shared = set(meta[column].iloc[train]) & set(meta[column].iloc[test])
        report[column] = len(shared)
    return report


#: The three protocols notebook 04 compares: name -> grouping column (None = random rows).
DEFAULT_PROTOCOLS = {"random trials": None, "unseen clips": "clip_id", "unseen listeners": "subject"}


def evaluate_protocols(model, X, y, meta: pd.DataFrame, *, protocols: dict[str, str | None] | None = None,
                       n_folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """Cross-validated accuracy of ``model`` under several split protocols, with their leakage.

    For each protocol (name -> grouping column, ``None`` = random rows), ``n_folds``-fold
    cross-validation with :func:`group_folds`: a fresh copy of ``model`` (scikit-learn
    ``clone``) is fitted on each training part and scored (accuracy) on its test part.

    Returns a DataFrame, one row per protocol: ``accuracy`` (mean over folds), ``sd``,
    and for every leakage column of ``meta`` (subject, clip_id) the mean number of groups
    shared between training and test parts. The gap between protocols is how much a
    model profits from having seen the same listener or clip.

    ``n_folds`` must be an integer >= 2 and ``y`` hold at least two classes (else an
    :class:`~mer_lessons.validation.InputError` naming the argument, instead of a crash
    inside scikit-learn).

    Taught in ``04_emotion_models_and_datasets``.
    """
    from sklearn.base import clone

    n_folds = as_int(n_folds, "n_folds", minimum=2, where="evaluate_protocols")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y) or len(X) != len(meta):
        raise ValueError(f"evaluate_protocols: X ({len(X)}), y ({len(y)}) and meta ({len(meta)}) differ in length")
    as_class_labels(y, "y", where="evaluate_protocols")
    rows = []
    for name, by in (protocols or DEFAULT_PROTOCOLS).items():
        scores, shared = [], []
        for train, test in group_folds(meta, by=by, n_folds=n_folds, seed=seed):
            fitted = clone(model).fit(X[train], y[train])
            scores.append(float(np.mean(fitted.predict(X[test]) == y[test])))
            shared.append(leakage(meta, train, test))
        row = {"protocol": name, "grouped by": by or "-", "accuracy": float(np.mean(scores)), "sd": float(np.std(scores))}
        for column in shared[0]:
            row[f"shared {column}s"] = float(np.mean([s[column] for s in shared]))
        rows.append(row)
    return pd.DataFrame(rows).set_index("protocol")
