"""Label schemes of the papers, all derived from valence and arousal on DEAP's 1-9 SAM scale.

One documented rule per scheme, so that every dataset that has valence/arousal (the
teaching dataset, DEAP, AMIGOS, PMEmo, DEAM ...) offers the same label columns:

* ``high_valence`` / ``high_arousal``: at or above the scale's midpoint (5 on 1-9) is high.
* ``quadrant``: Russell's circumplex quadrants as used by the 4Q dataset (Panda et al.):
  Q1 = +valence +arousal (happy, excited), Q2 = -valence +arousal (angry, tense),
  Q3 = -valence -arousal (sad, depressed), Q4 = +valence -arousal (calm, relaxed).
* ``polarity``: Wang's three classes, negative / neutral / positive, by valence bands.
* ``kirar3``: Kirar et al.'s happy / sad / surprise, the nearest prototype in the VA plane.
* ``liu9``: Liu et al.'s nine classes, the nearest prototype in the VA plane.

One rule for high/low and quadrants: a value **at or above the midpoint is high** (``>= 5``), so a point's
quadrant always agrees with its two high/low labels (Q1 = high/high, Q2 = low/high,
Q3 = low/low, Q4 = high/low), also for points exactly on the midpoint. DEAP studies differ
on the tie (some use ``> 5``); the tie only matters for ratings of exactly 5.

The prototypes are our reading of where these emotion words sit on the circumplex
(Russell 1980; Scherer 2005); the papers do not define such a mapping. They are
documented in ``datasets/mini.md`` and taught in ``04_emotion_models_and_datasets``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Midpoint of the 1-9 self-assessment manikin (SAM) scale.
SAM_MIDPOINT = 5.0

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
POLARITY_CLASSES = ("negative", "neutral", "positive")

#: Kirar et al.'s three MELD classes placed on the circumplex: (valence, arousal) on 1-9.
KIRAR3_PROTOTYPES = {
    "happy": (7.5, 6.0),
    "sad": (2.5, 3.0),
    "surprise": (5.5, 8.0),
}

#: Liu et al.'s nine classes placed on the circumplex: (valence, arousal) on 1-9.
LIU9_PROTOTYPES = {
    "joy": (7.8, 6.2),
    "trust": (7.0, 3.8),
    "anticipation": (6.5, 7.2),
    "surprise": (5.5, 8.2),
    "anxiety": (3.6, 6.6),
    "fear": (2.6, 7.6),
    "anger": (2.0, 8.0),
    "disgust": (2.6, 5.4),
    "sadness": (2.6, 2.8),
}

#: Every label column that :func:`label_table` adds.
LABEL_COLUMNS = ("valence", "arousal", "high_valence", "high_arousal", "quadrant", "polarity", "kirar3", "liu9")


def _va(valence, arousal) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(valence, dtype=np.float64)
    a = np.asarray(arousal, dtype=np.float64)
    if v.shape != a.shape:
        raise ValueError(f"valence and arousal must have the same shape, got {v.shape} and {a.shape}")
    if np.any(~np.isfinite(v)) or np.any(~np.isfinite(a)):
        raise ValueError("valence and arousal must be finite numbers")
    return v, a


def high_low(values, threshold: float = SAM_MIDPOINT) -> np.ndarray:
    """1 where ``values >= threshold`` (high), else 0 (low). Shape preserved.

    The same tie rule as :func:`quadrant`: a value exactly on the midpoint counts as high.

    Taught in ``04_emotion_models_and_datasets``.
    """
    return (np.asarray(values, dtype=np.float64) >= threshold).astype(np.int64)


def quadrant(valence, arousal, midpoint: float = SAM_MIDPOINT) -> np.ndarray:
    """Russell quadrant ``"Q1".."Q4"`` of each (valence, arousal) pair (see module docstring).

    Points exactly on the midpoint count as high (as in :func:`high_low`), so the quadrant
    always agrees with ``high_valence`` / ``high_arousal``. Returns an array of strings.

    Taught in ``04_emotion_models_and_datasets``.
    """
    v, a = _va(valence, arousal)
    high_v, high_a = v >= midpoint, a >= midpoint
    return np.select([high_v & high_a, ~high_v & high_a, ~high_v & ~high_a], ["Q1", "Q2", "Q3"], "Q4")


def polarity(valence, low: float = 4.0, high: float = 6.0) -> np.ndarray:
    """Wang's polarity: ``"negative"`` below ``low``, ``"positive"`` above ``high``, else ``"neutral"``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    v = np.asarray(valence, dtype=np.float64)
    if low >= high:
        raise ValueError(f"polarity: low ({low}) must be below high ({high})")
    return np.select([v < low, v > high], ["negative", "positive"], "neutral")


def nearest_prototype(valence, arousal, prototypes: dict[str, tuple[float, float]]) -> np.ndarray:
    """Name of the prototype closest (Euclidean, in the VA plane) to each point.

    Taught in ``04_emotion_models_and_datasets``.
    """
    v, a = _va(valence, arousal)
    names = list(prototypes)
    centres = np.array([prototypes[n] for n in names])                       # (K, 2)
    points = np.stack([v.ravel(), a.ravel()], axis=1)                          # (N, 2)
    distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)
    return np.array(names, dtype=object)[np.argmin(distances, axis=1)].reshape(v.shape).astype(str)


def label_table(valence, arousal) -> pd.DataFrame:
    """All label schemes for arrays of valence and arousal (1-9): one row per item.

    Columns: :data:`LABEL_COLUMNS`. Used by every dataset with dimensional labels so that
    chapters can switch label scheme by column name.

    Taught in ``04_emotion_models_and_datasets``.
    """
    v, a = _va(valence, arousal)
    v, a = v.ravel(), a.ravel()
    return pd.DataFrame({
        "valence": v,
        "arousal": a,
        "high_valence": high_low(v),
        "high_arousal": high_low(a),
        "quadrant": quadrant(v, a),
        "polarity": polarity(v),
        "kirar3": nearest_prototype(v, a, KIRAR3_PROTOTYPES),
        "liu9": nearest_prototype(v, a, LIU9_PROTOTYPES),
    })


def rescale(values, source: tuple[float, float], target: tuple[float, float] = (1.0, 9.0)) -> np.ndarray:
    """Linearly map ``values`` from the ``source`` range to the ``target`` range (e.g. DEAM's
    [-1, 1] dynamic annotations or PMEmo's [0, 1] to the 1-9 SAM scale).

    Taught in ``04_emotion_models_and_datasets``.
    """
    lo, hi = source
    if hi <= lo:
        raise ValueError(f"rescale: empty source range {source}")
    t_lo, t_hi = target
    return t_lo + (np.asarray(values, dtype=np.float64) - lo) * (t_hi - t_lo) / (hi - lo)
