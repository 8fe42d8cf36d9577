"""Trials cut into the short windows a real-time recogniser sees, with their features.

Hao, Li, Wen (real-time MER, ``/work/shared/papers/000_29086870ac4e2f25.txt``) label a
stream window by window. To train and test such a model offline we cut every trial of a
dataset into windows of ``window_s`` seconds every ``hop_s`` seconds, exactly as
:class:`mer_lessons.streaming.StreamingPipeline` cuts its ring buffers, and compute the same
:func:`mer_lessons.streaming.window_features` (``steps`` time steps per window, Eq. 5
alignment). A model trained here can therefore be dropped into the stream unchanged.

* :func:`cut_windows` — the windows of one item (a dict of signals).
* :func:`window_dataset` — every window of a dataset -> :class:`WindowSet` (features per
  modality ``(N, steps, D)``, one meta row per window); cached on disk.
* :class:`WindowSet` — subsets, labels per window (from a per-trial column), per-subject
  standardisation, and the three shapes models want: a dict for
  :class:`~mer_lessons.models.hao.HaoRecognizer`, one stacked ``(N, steps, D)`` array for
  the sequence baselines, and ``(N, 2 D)`` summary rows (mean and standard deviation over
  the steps) for scikit-learn.
* :class:`FeatureScaler` — a model wrapper that standardises its inputs, so a stream can
  feed raw window features to a model trained on standardised ones.

Taught in ``07_hao_realtime_fusion``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lessons.environment import data_dir
from mer_lessons.streaming import RATE_KEYS, window_features

__all__ = ["SIGNAL_MODALITIES", "FEATURE_VERSION", "item_modalities", "cut_windows",
           "window_dataset", "WindowSet", "FeatureScaler", "MultimodalWindows"]

#: Modalities :func:`window_dataset` knows, in the order a model receives them.
SIGNAL_MODALITIES = ("audio", "eeg", "gsr", "ecg", "ppg", "face")
#: Bumped whenever the features change, so old caches are not reused.
FEATURE_VERSION = 1


def item_modalities(item: Mapping[str, Any]) -> list:
    """The modalities of :data:`SIGNAL_MODALITIES` an item has (signal and rate present)."""
    return [m for m in SIGNAL_MODALITIES if m in item and RATE_KEYS[m] in item]


def _duration(item: Mapping[str, Any], modalities: Sequence[str]) -> float:
    lead = "audio" if "audio" in modalities else modalities[0]
    x = np.asarray(item[lead])
    n = x.shape[0] if lead == "face" else x.shape[-1]
    return n / float(item[RATE_KEYS[lead]])


def cut_windows(item: Mapping[str, Any], modalities: Sequence[str], *, window_s: float = 1.0,
                hop_s: float = 0.5) -> Iterator[tuple]:
    """Yield ``(start_s, {modality: window})`` for every whole window of one item.

    Windows start at ``0, hop_s, 2 hop_s, ...`` while ``start + window_s`` fits in the
    item's duration (that of the audio, else of the first modality). A signal of rate ``r``
    gives samples ``round(start r) .. round(start r) + round(window_s r)`` (time on the last
    axis); face frames (first axis) are those *starting* in ``[start, start + window_s)``,
    frame ``i`` starting at ``i / fps`` -- the rules of
    :class:`mer_lessons.streaming.StreamingPipeline`, so both see the same window.
    """
    if window_s <= 0 or hop_s <= 0:
        raise ValueError("window_s and hop_s must be > 0")
    missing = [m for m in modalities if m not in item or RATE_KEYS.get(m, "?") not in item]
    if missing:
        raise KeyError(f"cut_windows: the item has no {missing} (or no rate for them); "
                       f"it has {item_modalities(item)}")
    duration = _duration(item, modalities)
    n = int(math.floor((duration - window_s) / hop_s + 1e-9)) + 1 if duration >= window_s - 1e-9 else 0
    for k in range(n):
        start = k * hop_s
        win = {}
        for m in modalities:
            r = float(item[RATE_KEYS[m]])
            x = np.asarray(item[m])
            if m == "face":
                a = int(math.ceil(start * r - 1e-9))
                b = int(math.ceil((start + window_s) * r - 1e-9))
                win[m] = x[a:b]
            else:
                a = int(round(start * r))
                win[m] = x[..., a:a + int(round(window_s * r))]
        yield start, win


@dataclass
class WindowSet:
    """Window features of a dataset: ``features[m]`` is ``float32 (N, steps, D_m)``.

    ``meta`` has one row per window: ``trial`` (row of the dataset's meta), ``start_s``
    and the trial's ``id``/``subject``/``clip_id`` columns when the dataset has them.
    ``labels`` (``(N,)`` strings or ``None``) comes from :meth:`with_labels`; ``classes``
    lists the label values in a fixed order (the class index of each window is
    :attr:`y`).
    """

    features: Dict[str, np.ndarray]
    meta: pd.DataFrame
    rates: Dict[str, float] = field(default_factory=dict)
    labels: Optional[np.ndarray] = None
    classes: Optional[list] = None

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def modalities(self) -> list:
        return list(self.features)

    @property
    def dims(self) -> Dict[str, int]:
        """Feature width per modality (what :class:`HaoRecognizer` takes as ``modality_dims``)."""
        return {m: int(x.shape[-1]) for m, x in self.features.items()}

    @property
    def steps(self) -> int:
        return int(next(iter(self.features.values())).shape[1])

    @property
    def y(self) -> np.ndarray:
        """Class index per window (``int64``), by position in :attr:`classes`."""
        if self.labels is None or self.classes is None:
            raise ValueError("this WindowSet has no labels: call with_labels(...) first")
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[v] for v in self.labels], dtype=np.int64)

    def with_labels(self, trial_labels, classes: Optional[Sequence] = None) -> "WindowSet":
        """Label every window with its trial's value: ``trial_labels[meta.trial]``.

        ``trial_labels``: one value per trial of the dataset (a meta column, e.g.
        ``ds.meta["quadrant"]``). Windows whose trial has no label (NaN/None) are dropped.
        ``classes``: the class order (default: sorted distinct labels).
        """
        values = np.asarray(pd.Series(trial_labels).to_numpy(), dtype=object)
        per_window = values[self.meta["trial"].to_numpy()]
        keep = ~pd.isna(per_window)
        out = self.subset(np.flatnonzero(keep))
        out.labels = np.asarray([str(v) for v in per_window[keep]], dtype=object)
        out.classes = [str(c) for c in classes] if classes is not None else sorted(set(out.labels))
        unknown = sorted(set(out.labels) - set(out.classes))
        if unknown:
            raise ValueError(f"labels {unknown} are not among classes {out.classes}")
        return out

    def subset(self, index) -> "WindowSet":
        """The windows at positions ``index`` (integer array or boolean mask)."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return WindowSet({m: x[index] for m, x in self.features.items()},
                         self.meta.iloc[index].reset_index(drop=True), dict(self.rates),
                         None if self.labels is None else self.labels[index],
                         None if self.classes is None else list(self.classes))

    def select(self, modalities: Sequence[str]) -> "WindowSet":
        """Only these modalities (in this order)."""
        missing = [m for m in modalities if m not in self.features]
        if missing:
            raise KeyError(f"no features for {missing}; have {self.modalities}")
        return WindowSet({m: self.features[m] for m in modalities}, self.meta, dict(self.rates),
                         self.labels, self.classes)

    def standardize(self, by: Optional[str] = "subject", stats: Optional[dict] = None) -> "WindowSet":
        """Z-score every feature per group (``by`` column, e.g. each listener) or globally.

        Each group's mean and standard deviation over its windows and steps are used --
        labels are never looked at, so standardising an unseen listener by their own
        windows is a calibration step, not a leak. With ``stats`` (from :meth:`stats`)
        the given numbers are used instead (e.g. the training set's, ``by=None``).
        Constant features get a standard deviation of 1.
        """
        groups = (np.zeros(len(self), dtype=int) if by is None else self.meta[by].to_numpy())
        feats = {m: x.astype(np.float32, copy=True) for m, x in self.features.items()}
        for g in pd.unique(groups):
            rows = groups == g
            for m, x in feats.items():
                mean, std = (stats[m] if stats is not None else _mean_std(x[rows]))
                x[rows] = (x[rows] - mean) / std
        return WindowSet(feats, self.meta, dict(self.rates), self.labels, self.classes)

    def stats(self) -> Dict[str, tuple]:
        """``{modality: (mean (D,), std (D,))}`` over all windows and steps."""
        return {m: _mean_std(x) for m, x in self.features.items()}

    def stacked(self, modalities: Optional[Sequence[str]] = None) -> np.ndarray:
        """All (or these) modalities side by side: ``float32 (N, steps, sum D)``."""
        ms = list(modalities) if modalities is not None else self.modalities
        return np.concatenate([self.features[m] for m in ms], axis=-1).astype(np.float32)

    def summary(self, modalities: Optional[Sequence[str]] = None) -> np.ndarray:
        """Mean and standard deviation over the steps: ``(N, 2 sum D)`` rows for scikit-learn."""
        x = self.stacked(modalities)
        return np.concatenate([x.mean(axis=1), x.std(axis=1)], axis=-1)

    def torch_dataset(self, modalities: Optional[Sequence[str]] = None,
                      stacked: bool = False) -> "MultimodalWindows":
        """A ``torch`` Dataset of ``(x, y)`` pairs: ``x`` a dict ``{m: (steps, D_m)}`` (for
        :class:`HaoRecognizer`) or, with ``stacked=True``, one ``(steps, sum D)`` tensor."""
        return MultimodalWindows(self, modalities, stacked)


def _mean_std(x: np.ndarray) -> tuple:
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    std = flat.std(axis=0)
    return flat.mean(axis=0).astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32)


class MultimodalWindows(torch.utils.data.Dataset):
    """``(x, y)`` pairs of a :class:`WindowSet` for :func:`mer_lessons.train.fit`."""

    def __init__(self, windows: WindowSet, modalities: Optional[Sequence[str]] = None,
                 stacked: bool = False):
        self.modalities = list(modalities) if modalities is not None else windows.modalities
        self.y = torch.from_numpy(windows.y)
        if stacked:
            self.x = torch.from_numpy(windows.stacked(self.modalities))
        else:
            self.x = {m: torch.from_numpy(np.ascontiguousarray(windows.features[m], dtype=np.float32))
                      for m in self.modalities}
        self.stacked = stacked

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        x = self.x[i] if self.stacked else {m: v[i] for m, v in self.x.items()}
        return x, self.y[i]


class FeatureScaler(nn.Module):
    """Wrap a model so it standardises each modality first: ``model({m: (x - mean) / std})``.

    ``stats``: ``{modality: (mean (D,), std (D,))}`` (:meth:`WindowSet.stats`). Stats live
    in buffers, so they move with the model; :meth:`set_stats` swaps them, e.g. when the
    listener of a stream changes. ``modalities`` and ``head`` are the wrapped model's, so a
    :class:`~mer_lessons.streaming.StreamingPipeline` sees the same interface.
    """

    def __init__(self, model: nn.Module, stats: Mapping[str, tuple]):
        super().__init__()
        self.model = model
        self.names = list(stats)
        for m, (mean, std) in stats.items():
            self.register_buffer(f"mean_{m}", torch.as_tensor(np.asarray(mean), dtype=torch.float32))
            self.register_buffer(f"std_{m}", torch.as_tensor(np.asarray(std), dtype=torch.float32))

    @property
    def modalities(self):
        return getattr(self.model, "modalities", self.names)

    @property
    def head(self):
        return self.model.head

    def set_stats(self, stats: Mapping[str, tuple]) -> None:
        for m, (mean, std) in stats.items():
            getattr(self, f"mean_{m}").copy_(torch.as_tensor(np.asarray(mean), dtype=torch.float32))
            getattr(self, f"std_{m}").copy_(torch.as_tensor(np.asarray(std), dtype=torch.float32))

    def forward(self, batch: Mapping[str, torch.Tensor]):
        scaled = {m: (x - getattr(self, f"mean_{m}")) / getattr(self, f"std_{m}") if m in self.names else x
                  for m, x in batch.items()}
        return self.model(scaled)


# --------------------------------------------------------------------------- dataset


def _cache_file(ds, options: dict, cache_dir) -> Path:
    ids = [str(v) for v in ds.meta["id"]] if "id" in ds.meta else [str(len(ds))]
    description = {"version": FEATURE_VERSION, "dataset": ds.name,
                   "root": str(getattr(ds, "root", "")), "ids": ids, "options": options}
    key = hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else data_dir("features", ds.name)
    return folder / f"windows-{key}.npz"


def _progress(iterable, total: int, enabled: bool):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc="window features", leave=False)


def window_dataset(ds, *, modalities: Optional[Sequence[str]] = None, window_s: float = 1.0,
                   hop_s: float = 0.5, steps: int = 8, n_mels: int = 32, cache: bool = True,
                   cache_dir: Optional[str | os.PathLike] = None, progress: bool = True) -> WindowSet:
    """Cut every item of ``ds`` into windows (:func:`cut_windows`) and compute their
    :func:`~mer_lessons.streaming.window_features`.

    ``modalities``: default every modality of :data:`SIGNAL_MODALITIES` the first item has
    (teaching dataset: audio, eeg, gsr, ecg, face; DEAP: eeg, gsr, ppg; AMIGOS: eeg, gsr,
    ecg). Every item must have them, at the same rates (else a ``ValueError`` naming the
    item). About 2.5 ms per window on a 2-core CPU (the default teaching dataset, 6720
    windows: ~16 s); the result is cached in ``data_dir("features", ds.name)`` keyed by the
    dataset's ids and the options (``cache=False`` to skip). Attach labels with
    :meth:`WindowSet.with_labels`.
    """
    if len(ds) == 0:
        raise ValueError(f"window_dataset: dataset {ds.name!r} is empty")
    first = ds[0]
    modalities = list(modalities) if modalities is not None else item_modalities(first)
    if not modalities:
        raise ValueError(f"window_dataset: items of {ds.name!r} have none of {SIGNAL_MODALITIES}")
    options = {"modalities": modalities, "window_s": float(window_s), "hop_s": float(hop_s),
               "steps": int(steps), "n_mels": int(n_mels)}
    rates = {m: float(first[RATE_KEYS[m]]) for m in modalities if RATE_KEYS.get(m) in first}
    path = _cache_file(ds, options, cache_dir) if cache else None
    meta_columns = [c for c in ("id", "subject", "clip_id") if c in ds.meta.columns]
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                feats = {m: z[f"f_{m}"] for m in modalities}
                meta = pd.DataFrame({"trial": z["trial"], "start_s": z["start_s"]})
            for c in meta_columns:
                meta[c] = ds.meta[c].to_numpy()[meta["trial"].to_numpy()]
            return WindowSet(feats, meta, rates)
        except (OSError, KeyError, ValueError):
            pass   # unreadable or stale cache: recompute and overwrite
    chunks: Dict[str, list] = {m: [] for m in modalities}
    trial, start = [], []
    for i in _progress(range(len(ds)), len(ds), progress):
        item = first if i == 0 else ds[i]
        item_rates = {m: float(item[RATE_KEYS[m]]) for m in modalities if RATE_KEYS[m] in item}
        if item_rates != rates:
            raise ValueError(f"window_dataset: item {i} ({item.get('id', i)}) has rates {item_rates}, "
                             f"expected {rates} like the first item")
        for s, win in cut_windows(item, modalities, window_s=window_s, hop_s=hop_s):
            f = window_features(win, rates, steps=steps, n_mels=n_mels)
            for m in modalities:
                chunks[m].append(f[m])
            trial.append(i)
            start.append(s)
    if not trial:
        raise ValueError(f"window_dataset: no item of {ds.name!r} is {window_s} s long")
    feats = {m: np.stack(v).astype(np.float32) for m, v in chunks.items()}
    meta = pd.DataFrame({"trial": np.asarray(trial, dtype=np.int64),
                         "start_s": np.asarray(start, dtype=np.float64)})
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, trial=meta["trial"].to_numpy(), start_s=meta["start_s"].to_numpy(),
                 **{f"f_{m}": x for m, x in feats.items()})
        os.replace(tmp, path)
    for c in meta_columns:
        meta[c] = ds.meta[c].to_numpy()[meta["trial"].to_numpy()]
    return WindowSet(feats, meta, rates)
