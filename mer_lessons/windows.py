"""Trials cut into the short windows a real-time recogniser sees, with their features.

A real-time recogniser (Hao et al., cited through :mod:`mer_lessons.papers`)
labels a stream window by window. To train and test such a model offline we cut every
trial of a dataset into windows of ``window_s`` seconds every ``hop_s`` seconds, exactly as
:class:`mer_lessons.streaming.StreamingPipeline` cuts its ring buffers, and turn each window
into ``(steps, D)`` features per modality with a *featurizer*. The stream uses the same
featurizer, so a model trained here can be dropped into the stream unchanged.

* :func:`window_features` -- the default featurizer (log-mel audio, EEG band powers, GSR
  level and slope, ECG/PPG RMS and range, pooled face frames; Eq. 5 alignment onto
  ``steps`` time steps). Any callable ``featurizer(window, rates, *, steps) -> {m: (steps,
  D_m)}`` can replace it (a paper with its own recipe plugs in here).
* :func:`cut_windows` -- the windows of one item (a dict of signals).
* :func:`window_dataset` -- every window of a dataset -> :class:`WindowSet` (features per
  modality ``(N, steps, D)``, one meta row per window); cached on disk.
* :class:`WindowSet` -- subsets, labels per window (from a per-trial column), per-subject
  standardisation, and the three shapes models want: a dict for a fusion model, one
  stacked ``(N, steps, D)`` array for the sequence baselines, and ``(N, 2 D)`` summary rows
  (mean and standard deviation over the steps) for scikit-learn.
* :class:`FeatureScaler` -- a model wrapper that standardises its inputs, so a stream can
  feed raw window features to a model trained on standardised ones.

:mod:`mer_lessons.streaming` imports this module (never the reverse).

Taught in ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lessons import physio
from mer_lessons.environment import data_dir
from mer_lessons.validation import as_choice, as_float, as_int, as_real_array, as_sample_rate, as_signal

__all__ = ["SIGNAL_MODALITIES", "FEATURE_VERSION", "MINI_RATES", "RATE_KEYS", "FEATURE_DIMS",
           "Featurizer", "window_features", "item_modalities", "cut_windows", "window_dataset",
           "WindowSet", "FeatureScaler", "MultimodalWindows", "clip_windows", "featurizer_key"]

#: Modalities :func:`window_dataset` knows, in the order a model receives them.
SIGNAL_MODALITIES = ("audio", "eeg", "gsr", "ecg", "ppg", "face")
#: Bumped whenever the features change, so old caches are not reused.
FEATURE_VERSION = 1


#: Sampling rates of the mini dataset's trial items (face: frames per second).
MINI_RATES: Dict[str, float] = {"audio": 16_000.0, "eeg": 128.0, "gsr": 32.0, "ecg": 256.0, "face": 4.0}
#: Where a dataset item keeps each modality's rate (``item[RATE_KEYS[m]]``).
RATE_KEYS: Dict[str, str] = {"audio": "sr", "eeg": "eeg_sr", "gsr": "gsr_sr", "ecg": "ecg_sr",
                             "ppg": "ppg_sr", "face": "face_fps"}
#: Feature width per modality produced by :func:`window_features` with its defaults
#: (audio 32 log-mel bands; EEG 8 channels x 4 bands; GSR level+slope; ECG rms+range;
#: face 4x4 pooled frame + motion).
FEATURE_DIMS: Dict[str, int] = {"audio": 32, "eeg": 32, "gsr": 2, "ecg": 2, "face": 17}
_FACE_POOL = 4

#: A featurizer: ``featurizer(window, rates, *, steps) -> {modality: float32 (steps, D)}``,
#: ``window`` as :func:`cut_windows` yields it, ``rates`` per modality in Hz (face: fps).
Featurizer = Callable[..., Dict[str, np.ndarray]]


@functools.lru_cache(maxsize=8)
def _log_mel(sr: float, n_mels: int):
    from mer_lessons.features import LogMelSpectrogram
    return LogMelSpectrogram(sr=sr, n_fft=512, hop_length=160, n_mels=n_mels, top_db=80.0)


def _split_steps(x: np.ndarray, steps: int) -> list:
    """Split the last axis into ``steps`` nearly equal parts (none empty if T >= steps)."""
    return np.array_split(x, steps, axis=-1)


def window_features(window: Mapping[str, np.ndarray], rates: Mapping[str, float], *,
                    steps: int = 8, n_mels: int = 32) -> Dict[str, np.ndarray]:
    """Features of one window of every modality on a common grid of ``steps`` time steps.

    ``window``: ``{name: array}`` as :func:`cut_windows` (and the stream) cut them (time
    last; face ``(F, H, W)``); ``rates``: Hz per modality (face: frames per second). Returns ``{name: float32 (steps, D)}``; the widths with the defaults
    are :data:`FEATURE_DIMS`. Our choices (the paper gives none for a streaming window):

    * ``audio``: :class:`mer_lessons.features.LogMelSpectrogram` (n_fft 512, hop 160,
      ``n_mels`` bands, dB with ``ref=1``), frames averaged per step, divided by 80
      (about ``[-1, 0.3]``). D = ``n_mels``.
    * ``eeg``: log10 band powers (:func:`mer_lessons.physio.band_powers`, theta/alpha/beta/
      gamma, Welch over the whole window, ``channels x bands`` flattened) — one value per
      window, repeated at every step: 1/8 s at 128 Hz is too short for a theta band. D = 32.
    * ``gsr``: per step, the level (mean) and slope (last minus first sample, per second).
      D = 2.
    * ``ecg`` (and ``ppg``, DEAP's blood-volume pulse): per step, RMS and range (max - min);
      a 1 s window holds about one beat, so heart rate is not estimated here. Of several
      leads ``(C, T)`` (AMIGOS has two) the first is used. D = 2.
    * ``face``: frames are placed at their times and held (zero-order, Eq. 5 with
      ``outside="hold"``) onto the step ends; per step the held frame average-pooled to 4x4
      (/255) plus motion (mean absolute difference to the previous step's frame). D = 17.

    The audio uses librosa's Slaney mel scale, not Hao et al. Eq. 12 (see
    :func:`mer_lessons.dsp.mel_frequencies`). This is the default featurizer of
    :func:`window_dataset` and :class:`~mer_lessons.streaming.StreamingPipeline`; change an
    option with ``functools.partial(window_features, n_mels=64)``.

    Taught in ``08_hao_realtime_fusion``.
    """
    where = "window_features"
    steps = as_int(steps, "steps", minimum=1, where=where)
    n_mels = as_int(n_mels, "n_mels", minimum=1, where=where)
    out: Dict[str, np.ndarray] = {}
    for m, x in window.items():
        if m != "face":  # samples: real, finite, time last (NaN, complex, channels-last raise, naming the modality)
            x = as_signal(x, f"window[{m!r}]", where=where, audio=(m == "audio"), refuse_channels_last=True)
            as_sample_rate(rates[m], f"rates[{m!r}]", where=where)
        x = np.asarray(x)
        if m == "audio":
            y = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(-1))
            with torch.no_grad():
                db = _log_mel(float(rates[m]), n_mels)(y)[0].numpy()   # (n_mels, frames)
            feats = np.stack([p.mean(axis=-1) for p in _split_steps(db, steps)]) / 80.0
        elif m == "eeg":
            x2 = np.atleast_2d(x).astype(np.float64)
            bp = physio.band_powers(x2, float(rates[m]), nperseg=min(x2.shape[-1], int(2 * rates[m])))
            row = np.log10(np.asarray(bp, dtype=np.float64) + 1e-6).reshape(-1)
            feats = np.repeat(row[None], steps, axis=0)
        elif m in ("gsr", "ecg", "ppg"):
            x1 = np.asarray(x, dtype=np.float64)
            x1 = (x1[0] if x1.ndim == 2 else x1).reshape(-1)   # several ECG leads: the first
            rows = []
            for p in _split_steps(x1, steps):
                if p.size == 0:
                    rows.append(rows[-1] if rows else (0.0, 0.0))
                elif m == "gsr":
                    slope = (p[-1] - p[0]) * rates[m] / max(p.size - 1, 1)
                    rows.append((p.mean(), slope))
                else:
                    rows.append((np.sqrt(np.mean(p ** 2)), p.max() - p.min()))
            feats = np.asarray(rows)
        elif m == "face":
            feats = _face_features(x, steps)
        else:
            raise ValueError(f"window_features: unknown modality {m!r}")
        out[m] = np.asarray(feats, dtype=np.float32)
    return out


def _face_features(frames: np.ndarray, steps: int) -> np.ndarray:
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != 3 or frames.shape[0] == 0:
        return np.zeros((steps, _FACE_POOL * _FACE_POOL + 1), dtype=np.float32)
    f, h, w = frames.shape
    # frame i covers [i/f, (i+1)/f) of the window; step s ends at (s+1)/steps: hold the
    # last frame that has started (index floor((s+1) f / steps) - 1, at least 0)
    idx = np.clip(np.floor((np.arange(steps) + 1) * f / steps - 1e-9).astype(int), 0, f - 1)
    held = frames[idx] / 255.0
    ph, pw = h // _FACE_POOL, w // _FACE_POOL
    pooled = held[:, :ph * _FACE_POOL, :pw * _FACE_POOL].reshape(
        steps, _FACE_POOL, ph, _FACE_POOL, pw).mean(axis=(2, 4)).reshape(steps, -1)
    motion = np.zeros(steps, dtype=np.float32)
    motion[1:] = np.abs(np.diff(held, axis=0)).mean(axis=(1, 2))
    return np.concatenate([pooled, motion[:, None]], axis=1)


def item_modalities(item: Mapping[str, Any]) -> list:
    """The modalities of :data:`SIGNAL_MODALITIES` an item has (signal and rate present).

    Taught in ``08_hao_realtime_fusion``.
    """
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

    Taught in ``08_hao_realtime_fusion``.
    """
    window_s = as_float(window_s, "window_s", minimum=0, low_open=True, where="cut_windows", unit="s")
    hop_s = as_float(hop_s, "hop_s", minimum=0, low_open=True, where="cut_windows", unit="s")
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

    Taught in ``08_hao_realtime_fusion``.
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

    def with_features(self, name: str, values) -> "WindowSet":
        """A copy with one more input ``name``: ``values`` ``(N, steps, D)`` or ``(N, D)``
        (one vector per window, stored as ``(N, 1, D)``), e.g. a clip's chord vector.

        Taught in ``09_zhao_multispec_cbam_bls``.
        """
        x = np.asarray(values, dtype=np.float32)
        if x.ndim == 2:
            x = x[:, None, :]
        if x.ndim != 3 or len(x) != len(self):
            raise ValueError(f"with_features: {name!r} must be ({len(self)}, D) or ({len(self)}, steps, D), "
                             f"got shape {np.shape(values)}")
        if not np.isfinite(x).all():
            raise ValueError(f"with_features: {name!r} has NaN or infinite values")
        return WindowSet({**self.features, str(name): x}, self.meta, dict(self.rates), self.labels, self.classes)

    def levels(self, stats: Mapping[str, tuple]) -> np.ndarray:
        """How high each modality's signals sit in each window: ``float64 (N, n_modalities)``.

        Column ``j`` is the mean over steps and feature dimensions of modality
        ``modalities[j]``, after z-scoring with ``stats`` (``{m: (mean (D,), std (D,))}``,
        e.g. the training listeners' :meth:`stats`): 0 is a training listener's average
        level, 1 is one standard deviation above it. A new person on the sensors (another
        skin conductance baseline, another heart rate) moves these levels, which is what
        :class:`mer_lessons.models.hao.OnlineAdapter`'s change detector can watch in
        :func:`mer_lessons.evaluation.prequential_run` (``watch=``).

        Taught in ``08_hao_realtime_fusion``.
        """
        missing = [m for m in self.modalities if m not in stats]
        if missing:
            raise KeyError(f"levels: stats has no entry for {missing}; it has {sorted(stats)}")
        return np.stack([((self.features[m] - stats[m][0]) / stats[m][1]).mean(axis=(1, 2), dtype=np.float64)
                         for m in self.modalities], axis=1)

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
    """``(x, y)`` pairs of a :class:`WindowSet` for :func:`mer_lessons.train.fit`.

    Taught in ``08_hao_realtime_fusion``.
    """

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

    Taught in ``08_hao_realtime_fusion``.
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


def _progress(iterable, total: int, enabled: bool, desc: str = "window features"):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, leave=False)


def featurizer_key(featurizer: Featurizer) -> str:
    """A text that names a featurizer and its options, for cache keys.

    A function gives its module and qualified name; a ``functools.partial`` adds its
    arguments; any other callable its ``repr`` (give it a stable one). A featurizer with a
    ``version`` attribute adds it: bump it when its features change.

    Taught in ``08_hao_realtime_fusion``.
    """
    if isinstance(featurizer, functools.partial):
        inner = featurizer_key(featurizer.func)
        args = ", ".join([repr(a) for a in featurizer.args] +
                         [f"{k}={v!r}" for k, v in sorted(featurizer.keywords.items())])
        text = f"{inner}({args})"
    elif hasattr(featurizer, "__qualname__") and hasattr(featurizer, "__module__"):
        text = f"{featurizer.__module__}.{featurizer.__qualname__}"
    else:
        text = repr(featurizer)
    version = getattr(featurizer, "version", None)
    return text if version is None else f"{text}@{version}"


def window_dataset(ds, *, modalities: Optional[Sequence[str]] = None, window_s: float = 1.0,
                   hop_s: float = 0.5, steps: int = 8, featurizer: Optional[Featurizer] = None,
                   cache: bool = True, cache_dir: Optional[str | os.PathLike] = None,
                   progress: bool = True) -> WindowSet:
    """Cut every item of ``ds`` into windows (:func:`cut_windows`) and featurize each one.

    ``featurizer``: ``featurizer(window, rates, *, steps) -> {modality: (steps, D)}``,
    default :func:`window_features`.

    ``modalities``: default every modality of :data:`SIGNAL_MODALITIES` the first item has
    (teaching dataset: audio, eeg, gsr, ecg, face; DEAP: eeg, gsr, ppg; AMIGOS: eeg, gsr,
    ecg). Every item must have them, at the same rates (else a ``ValueError`` naming the
    item). About 2.5 ms per window on a 2-core CPU (the default teaching dataset, 6720
    windows: ~16 s); the result is cached in ``data_dir("features", ds.name)`` keyed by the
    dataset's ids and the options (``cache=False`` to skip). Attach labels with
    :meth:`WindowSet.with_labels`.

    Taught in ``08_hao_realtime_fusion``.
    """
    if len(ds) == 0:
        raise ValueError(f"window_dataset: dataset {ds.name!r} is empty")
    first = ds[0]
    modalities = list(modalities) if modalities is not None else item_modalities(first)
    if not modalities:
        raise ValueError(f"window_dataset: items of {ds.name!r} have none of {SIGNAL_MODALITIES}")
    featurizer = window_features if featurizer is None else featurizer
    if not callable(featurizer):
        raise TypeError(f"window_dataset: featurizer must be callable (window, rates, *, steps) -> dict, "
                        f"got {type(featurizer).__name__}")
    options = {"modalities": modalities, "window_s": float(window_s), "hop_s": float(hop_s),
               "steps": int(steps), "featurizer": featurizer_key(featurizer)}
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
            f = featurizer(win, rates, steps=steps)
            absent = [m for m in modalities if m not in f]
            if absent:
                raise ValueError(f"window_dataset: the featurizer returned no features for {absent}")
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


def clip_windows(ds, featurize: Callable[..., Mapping[str, np.ndarray]], *,
                 cache: bool = True, cache_dir: Optional[str | os.PathLike] = None,
                 progress: bool = True, reads: str = "audio") -> WindowSet:
    """One "window" per item of ``ds``: whole-clip inputs for clip-level models.

    ``featurize(audio, sr) -> {name: (D, T)}``: maps with frequency (or coefficients) down
    and frames across, as :mod:`mer_lessons.dsp` returns them (e.g.
    :func:`mer_lessons.dsp.zhao_clip_inputs`); every clip must give the same names and
    shapes (pool or crop to a fixed number of frames). Each map is stored transposed, frames
    as steps: the result is a :class:`WindowSet` whose ``features[name]`` is ``(N, T, D)`` and whose meta
    has ``trial`` (the item's row), ``start_s = 0`` and the dataset's ``id`` / ``subject``
    / ``clip_id`` columns (``clip_id`` = ``id`` when the dataset has none), so :func:`mer_lessons.evaluation.compare_models`, the splits and
    :meth:`WindowSet.with_labels` work on clips as on windows. Cached like
    :func:`window_dataset` (key: the dataset's ids and :func:`featurizer_key` of
    ``featurize``; ``cache=False`` to skip), written to a temporary file and renamed.

    ``reads="item"``: ``featurize(item)`` gets the whole item (a dict: audio, face frames,
    its ``id`` ...), for inputs made from several signals or seeded by the item (chapter
    11's noisy audio); the default ``"audio"`` calls ``featurize(audio, sr)``.

    Taught in ``09_zhao_multispec_cbam_bls`` (``reads="item"``: ``11_kirar_zebra_bilstm_attention``).
    """
    if len(ds) == 0:
        raise ValueError(f"clip_windows: dataset {ds.name!r} is empty")
    if not callable(featurize):
        raise TypeError(f"clip_windows: featurize must be callable (audio, sr) -> {{name: (D, T)}}, "
                        f"got {type(featurize).__name__}")
    reads = as_choice(reads, "reads", ("audio", "item"), where="clip_windows")
    options = {"clip_windows": featurizer_key(featurize)}
    if reads == "item":
        options["reads"] = reads
    path = _cache_file(ds, options, cache_dir) if cache else None
    meta_columns = [c for c in ("id", "subject", "clip_id") if c in ds.meta.columns]
    meta = pd.DataFrame({"trial": np.arange(len(ds), dtype=np.int64), "start_s": np.zeros(len(ds))})
    for c in meta_columns:
        meta[c] = ds.meta[c].to_numpy()
    if "clip_id" not in meta and "id" in meta:
        meta["clip_id"] = meta["id"]           # every item is one clip
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                names = [str(n) for n in z["names"]]
                return WindowSet({n: z[f"f_{n}"] for n in names}, meta)
        except (OSError, KeyError, ValueError):
            pass   # unreadable or stale cache: recompute and overwrite
    chunks: Dict[str, list] = {}
    for i in _progress(range(len(ds)), len(ds), progress, desc="clip features"):
        item = ds[i]
        if reads == "item":
            f = featurize(item)
        else:
            if "audio" not in item or "sr" not in item:
                raise ValueError(f"clip_windows: item {i} ({item.get('id', i)}) of {ds.name!r} has no audio")
            f = featurize(np.asarray(item["audio"], dtype=np.float64), item["sr"])
        if not isinstance(f, Mapping) or not f:
            call = "featurize(item)" if reads == "item" else "featurize(audio, sr)"
            raise TypeError(f"clip_windows: {call} of item {i} must return a non-empty dict of (D, T) arrays")
        if i == 0:
            chunks = {str(n): [] for n in f}
        if set(map(str, f)) != set(chunks):
            raise ValueError(f"clip_windows: item {i} ({item.get('id', i)}) gave inputs {sorted(map(str, f))}, "
                             f"expected {sorted(chunks)} like the first item")
        for n, x in f.items():
            x = as_real_array(x, f"featurize output {str(n)!r}", where="clip_windows", finite=False,
                              dtype=np.float32).T   # complex: an error, not a silently dropped imaginary part
            if x.ndim != 2 or (chunks[str(n)] and x.shape != chunks[str(n)][0].shape):
                expected = chunks[str(n)][0].T.shape if chunks[str(n)] else "(D, T)"
                raise ValueError(f"clip_windows: item {i} ({item.get('id', i)}) gave {n!r} of shape {x.T.shape}, "
                                 f"expected {expected}: crop or pad clips to one length")
            chunks[str(n)].append(x)
    feats = {n: np.stack(v) for n, v in chunks.items()}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, names=np.array(list(feats)), **{f"f_{n}": x for n, x in feats.items()})
        os.replace(tmp, path)
    return WindowSet(feats, meta)

