"""A real-time recognition pipeline over a multimodal stream (Hao et al., through
:mod:`mer_lessons.papers`).

The paper claims real-time recognition (24.3 ms per prediction on DEAP, 22.8 ms on AMIGOS,
GTX 1080 Ti) with *dynamic sampling* (Eq. 1-3): windows in which little changes are not
sent through the model. This module plays the teaching dataset (or any arrays) as a
stream and measures what such a system does:

* :class:`RingBuffer` — fixed memory per modality; push chunks, read the latest ``n``.
* :func:`stream_from_arrays` / :func:`stream_from_dataset` — chunks of ``chunk_s`` seconds
  per modality at each modality's own rate (audio 16 kHz, EEG 128 Hz, GSR 32 Hz, ECG
  256 Hz, face frames 4 fps in the mini dataset), trials played back to back.
* Window features come from :mod:`mer_lessons.windows` (:func:`~mer_lessons.windows.window_features`
  by default, or any featurizer), the same recipe a model was trained on offline.
* :class:`StreamingPipeline` — every ``hop_s`` seconds it asks the
  sampler (e.g. :class:`~mer_lessons.models.hao.DynamicSampler`) whether the latest window
  should be processed (features + model) or the last prediction reused (skipped), and times
  each processed window. :meth:`StreamingPipeline.run` returns a :class:`StreamReport`.
  The pipeline takes any model and any sampler: none is built in.

Paper: how S_dyn (windows per second, Eq. 3) turns into "process this window or not" in a
stream is not given; we: the sampler scores the latest audio window (its STFT frames), the
mean Eq. 3 rate of those frames divided by the frame rate is the share of windows to
process, and an integrate-and-fire accumulator over windows (the rule of
:func:`mer_lessons.dsp.dynamic_sampling_keep`) decides; the first window is always
processed. With the sampler's defaults a steady passage processes about one window in
four, a turbulent one every window.

Taught in ``08_hao_realtime_fusion``.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch

from mer_lessons.metrics import latency_summary
from mer_lessons.validation import (EmptyInputError, InputError, NonFiniteError, OutOfRangeError,
                                    UnknownOptionError, WrongShapeError, WrongTypeError, as_float, as_int,
                                    as_sample_rate, message)
from mer_lessons.windows import FEATURE_DIMS, RATE_KEYS, Featurizer, window_features

__all__ = [
    "RingBuffer", "QUADRANTS", "stream_from_arrays", "stream_from_dataset", "StreamingPipeline",
    "StreamReport", "MissingModalityError",
]

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


class MissingModalityError(InputError, KeyError):
    """A modality the stream or the model needs has no entry (no rate in ``rates``, no
    samples in a chunk). The message lists what was given and what has a rate.

    Also a ``KeyError`` (what the dictionary look-up used to raise), so ``except KeyError``
    still catches it. Taught in ``08_hao_realtime_fusion``.
    """

    def __str__(self) -> str:  # a KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _check_rates(rates: Any, needed: Sequence[str], where: str, *, given: Optional[Sequence[str]] = None,
                 name: str = "rates") -> Dict[str, float]:
    """``rates`` checked: a mapping with a sample rate > 0 for every modality of ``needed``."""
    if not isinstance(rates, Mapping):
        raise WrongTypeError(message(name, "a dict {modality: sample rate in Hz}", rates, where=where))
    missing = [m for m in needed if m not in rates]
    if missing:
        listed = sorted(given) if given is not None else list(needed)
        raise MissingModalityError(message(
            name, f"a sample rate for every modality {listed}", f"no rate for {missing}", where=where,
            describe=False, hint=f"{name} has rates for {sorted(map(str, rates))}"))
    return {m: as_sample_rate(rates[m], f"{name}[{m!r}]", where=where) for m in needed}


def _check_finite(x: np.ndarray, name: str, where: str, *, what: str = "") -> None:
    """:class:`NonFiniteError` if the float array ``x`` holds NaN or inf (integer data always pass)."""
    if x.dtype.kind in "fc" and not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise NonFiniteError(message(
            name, "finite (no NaN or inf)", f"{bad} non-finite value{'s' if bad != 1 else ''}{what}", where=where,
            describe=False, hint="a model would label garbage: interpolate or cut out the gaps before streaming"))


# ---------------------------------------------------------------------------------------
# Ring buffer
# ---------------------------------------------------------------------------------------


class RingBuffer:
    """Fixed-size buffer of the latest ``capacity`` samples of ``channels`` channels.

    ``push(x)`` takes ``(n,)`` (one channel) or ``(channels, n)``; old samples are
    overwritten (wrap-around). ``latest(n, skip=0)`` returns the ``n`` samples that end
    ``skip`` samples before the newest one, oldest first, as ``(n,)`` for one channel or
    ``(channels, n)``. A single push larger than ``capacity`` raises ``ValueError``
    (it would silently drop data the caller thinks is buffered); so does reading more
    than is buffered. Samples that are NaN or infinite raise
    :class:`~mer_lessons.validation.NonFiniteError` and nothing of that chunk is stored.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, capacity_samples: int, channels: int = 1, dtype=np.float32):
        capacity_samples = as_int(capacity_samples, "capacity_samples", minimum=1, where="RingBuffer")
        channels = as_int(channels, "channels", minimum=1, where="RingBuffer")
        self.capacity = capacity_samples
        self.channels = channels
        self._data = np.zeros((channels, capacity_samples), dtype=dtype)
        self._write = 0          # next write position
        self.total = 0           # samples ever pushed

    def __len__(self) -> int:
        """Samples currently held (at most ``capacity``)."""
        return min(self.total, self.capacity)

    def _as_2d(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 1 and self.channels == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] != self.channels:
            expected = f"(n,) or ({self.channels}, n)" if self.channels == 1 else f"({self.channels}, n)"
            raise WrongShapeError(message("x", f"shaped {expected} for a buffer of {self.channels} channel(s)",
                                          f"shape {x.shape}", where="RingBuffer.push", describe=False))
        return x

    def push(self, x) -> None:
        x = self._as_2d(x)
        _check_finite(x, "x", "RingBuffer.push")
        n = x.shape[1]
        if n > self.capacity:
            raise OutOfRangeError(message("x", f"at most {self.capacity} samples long (the capacity)", n,
                                          where="RingBuffer.push",
                                          hint="make the buffer larger or the chunks smaller"))
        if n == 0:
            return
        first = min(n, self.capacity - self._write)
        self._data[:, self._write:self._write + first] = x[:, :first]
        if first < n:
            self._data[:, :n - first] = x[:, first:]
        self._write = (self._write + n) % self.capacity
        self.total += n

    def latest(self, n: int, skip: int = 0) -> np.ndarray:
        n = as_int(n, "n", minimum=0, where="RingBuffer.latest")
        skip = as_int(skip, "skip", minimum=0, where="RingBuffer.latest")
        if n + skip > len(self):
            raise EmptyInputError(message("n + skip", f"at most the {len(self)} samples buffered", n + skip,
                                          where="RingBuffer.latest"))
        end = (self._write - skip) % self.capacity
        idx = (end - n + np.arange(n)) % self.capacity
        out = self._data[:, idx]
        return out[0] if self.channels == 1 else out

    def clear(self) -> None:
        self._write = 0
        self.total = 0


# ---------------------------------------------------------------------------------------
# Stream sources
# ---------------------------------------------------------------------------------------


def _chunk_bounds(length: int, rate: float, k: int, n_chunks: int, chunk_s: float) -> tuple[int, int]:
    start = min(length, int(round(k * chunk_s * rate)))
    end = length if k == n_chunks - 1 else min(length, int(round((k + 1) * chunk_s * rate)))
    return start, max(start, end)


def stream_from_arrays(signals: Mapping[str, np.ndarray], rates: Mapping[str, float], *,
                       chunk_s: float = 0.1, label: Any = None, t0: float = 0.0,
                       trial: Any = None) -> Iterator[Dict[str, Any]]:
    """Play one recording as chunks of ``chunk_s`` seconds per modality.

    ``signals``: ``{name: array}`` with time on the last axis (``(T,)`` or ``(C, T)``),
    except ``"face"``, frames on the *first* axis ``(F, H, W)``. The number of chunks is
    ``ceil(duration / chunk_s)`` with the duration of the audio (or of the first modality).
    Chunk ``k`` of a modality holds samples ``round(k chunk_s rate) .. round((k+1) chunk_s
    rate)``, the last chunk everything left, so concatenating the chunks gives back each
    signal exactly (a 4 fps face stream gives empty ``(0, H, W)`` chunks in between).
    Yields ``{"t": start time (s, from t0), "rates", "trial", "label", <name>: chunk}``.

    Checked when the first chunk is asked for: ``chunk_s`` must be a finite number > 0,
    every rate a finite number > 0 (a modality without a rate raises
    :class:`MissingModalityError`, listing the modalities given and those with rates), and
    a signal holding NaN or inf raises :class:`~mer_lessons.validation.NonFiniteError`
    naming it (a model would label garbage).

    Taught in ``08_hao_realtime_fusion``.
    """
    chunk_s = as_float(chunk_s, "chunk_s", minimum=0, low_open=True, where="stream_from_arrays", unit="s")
    if not isinstance(signals, Mapping):
        raise WrongTypeError(message("signals", "a dict {modality: array}", signals, where="stream_from_arrays"))
    names = list(signals)
    if not names:
        raise EmptyInputError(message("signals", "a non-empty dict of signals", "{}", where="stream_from_arrays",
                                      describe=False))
    rates = _check_rates(rates, names, "stream_from_arrays", given=names)
    for m in names:
        arr = np.asarray(signals[m])
        if arr.ndim == 0:
            raise WrongShapeError(message(f"signals[{m!r}]", "an array with a time axis", "a scalar",
                                          where="stream_from_arrays", describe=False))
        _check_finite(arr, f"signals[{m!r}]", "stream_from_arrays")
    lead = "audio" if "audio" in signals else names[0]

    def length(m):
        a = np.asarray(signals[m])
        return a.shape[0] if m == "face" else a.shape[-1]

    duration = length(lead) / float(rates[lead])
    n_chunks = max(1, int(math.ceil(duration / chunk_s - 1e-9)))
    arrays = {m: np.asarray(signals[m]) for m in names}
    for k in range(n_chunks):
        chunk: Dict[str, Any] = {"t": t0 + k * chunk_s, "rates": dict(rates), "trial": trial, "label": label}
        for m in names:
            a, n = arrays[m], length(m)
            s, e = _chunk_bounds(n, float(rates[m]), k, n_chunks, chunk_s)
            chunk[m] = a[s:e] if m == "face" else a[..., s:e]
        yield chunk


def stream_from_dataset(ds, indices: Optional[Iterable[int]] = None, *, chunk_s: float = 0.1,
                        label_key: str = "quadrant",
                        modalities: Sequence[str] = ("audio", "eeg", "gsr", "ecg", "face"),
                        ) -> Iterator[Dict[str, Any]]:
    """Play trials of a teaching-dataset (``unit="trial"``) back to back as one stream.

    Each trial is loaded when its turn comes (loading is not part of any latency), its
    modalities are cut by :func:`stream_from_arrays` at the item's own rates
    (``sr``, ``eeg_sr``, ``gsr_sr``, ``ecg_sr``, ``face_fps``), times continue across
    trials, and every chunk carries the trial's ``labels[label_key]`` as ``"label"``.
    ``indices`` may repeat (to make a long stream); default: every item once. A bad
    ``chunk_s``, a missing or non-positive rate or a non-finite signal raise as in
    :func:`stream_from_arrays`.

    Taught in ``08_hao_realtime_fusion``.
    """
    chunk_s = as_float(chunk_s, "chunk_s", minimum=0, low_open=True, where="stream_from_dataset", unit="s")
    rate_keys = RATE_KEYS
    t0 = 0.0
    for i in (range(len(ds)) if indices is None else indices):
        item = ds[int(i)]
        lacking = [m for m in modalities if m not in item]
        no_key = [m for m in modalities if m not in rate_keys or rate_keys[m] not in item]
        if lacking or no_key:
            raise MissingModalityError(message(
                "modalities", f"present in item {i} with their rates", list(modalities),
                where="stream_from_dataset", hint=f"missing signals: {lacking}, missing rates: {no_key}; "
                f"the item has keys {sorted(map(str, item))}"))
        signals = {m: item[m] for m in modalities}
        rates = {m: as_sample_rate(item[rate_keys[m]], f"item {i} {rate_keys[m]!r} (rate of {m!r})",
                                   where="stream_from_dataset") for m in modalities}
        label = item.get("labels", {}).get(label_key)
        last_t = t0
        for chunk in stream_from_arrays(signals, rates, chunk_s=chunk_s, label=label, t0=t0,
                                        trial=item.get("id", i)):
            last_t = chunk["t"]
            yield chunk
        lead = "audio" if "audio" in signals else modalities[0]
        n = len(item["face"]) if lead == "face" else np.asarray(signals[lead]).shape[-1]
        t0 = max(t0 + n / rates[lead], last_t + chunk_s * 1e-6)


# ---------------------------------------------------------------------------------------
# Pipeline
# ---------------------------------------------------------------------------------------


@dataclass
class StreamReport:
    """What a run of :class:`StreamingPipeline` did, one row per window.

    ``windows`` columns: ``t`` (window end, s), ``processed`` (bool), ``label`` (predicted;
    on a skipped window the last prediction), ``prob`` (its probability), ``latency_ms``
    (window read -> features -> model -> label; NaN when skipped), ``decide_ms`` (time of
    the sampling decision, every window), ``true_label`` (the stream's label, if any).

    Taught in ``08_hao_realtime_fusion``.
    """

    windows: pd.DataFrame
    device: str = "cpu"
    info: Dict[str, Any] = field(default_factory=dict)

    def summary(self) -> Dict[str, Any]:
        """Counts, share saved, :func:`mer_lessons.metrics.latency_summary` of processed
        windows, and accuracy against the stream labels when present."""
        w = self.windows
        n = len(w)
        done = int(w["processed"].sum()) if n else 0
        out: Dict[str, Any] = {"device": self.device, "windows": n, "processed": done,
                               "skipped": n - done, "share_saved": (n - done) / n if n else 0.0}
        lat = w.loc[w["processed"], "latency_ms"].to_numpy(dtype=float) / 1000.0 if n else np.array([])
        if lat.size:
            out.update(latency_summary(lat))
        if n and "true_label" in w and w["true_label"].notna().any():
            known = w[w["true_label"].notna()]
            out["accuracy"] = float((known["label"].astype(str) == known["true_label"].astype(str)).mean())
        return out


class StreamingPipeline:
    """Ring buffers -> dynamic sampling -> features -> model -> a label per window.

    ``model``: a module taking ``{name: (1, steps, D)}`` and returning logits ``(1, C)``
    (e.g. a trained :class:`~mer_lessons.models.hao.HaoRecognizer`). ``window_s``/``hop_s``: a window of ``window_s`` seconds
    ends every ``hop_s`` seconds of stream (the first once ``window_s`` has arrived).
    ``sampler``: ``None`` processes every window; a
    :class:`~mer_lessons.models.hao.DynamicSampler` decides on the latest audio window (see
    the module docstring). ``label_names``: names of the model's classes (default Q1..Q4
    for 4 classes, else the class index). ``rates``: per-modality rates if the chunks do
    not carry them. Buffers hold ``buffer_s`` seconds (default ``window_s + 2 hop_s``; a
    chunk longer than that raises). ``sampler_on``: the modality the sampler watches
    (default ``"audio"``, or the first modality when there is no audio, e.g. DEAP's EEG;
    of a multichannel signal the first channel); its ``sr`` must be that modality's rate.
    ``featurizer``: turns a window into the model's input (default
    :func:`mer_lessons.windows.window_features`; use the one the model was trained with).

    Bad input raises instead of producing labels: ``window_s``, ``hop_s`` and ``buffer_s``
    must be finite numbers > 0 (``buffer_s >= window_s``), every rate a finite number > 0;
    a modality of the model without a rate or missing from a chunk raises
    :class:`MissingModalityError` (listing the modalities given and those with rates); a
    chunk holding NaN or inf raises :class:`~mer_lessons.validation.NonFiniteError` naming
    the modality and the chunk's stream time (nothing of that chunk is buffered); a chunk
    longer than its buffer raises :class:`~mer_lessons.validation.OutOfRangeError` naming
    the modality's rate.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, model: torch.nn.Module, *, window_s: float = 1.0, hop_s: float = 0.5,
                 sampler=None, device: Any = "cpu", label_names: Optional[Sequence[str]] = None,
                 steps: int = 8, rates: Optional[Mapping[str, float]] = None,
                 modalities: Optional[Sequence[str]] = None, buffer_s: Optional[float] = None,
                 sampler_on: Optional[str] = None, featurizer: Optional[Featurizer] = None):
        window_s = as_float(window_s, "window_s", minimum=0, low_open=True, where="StreamingPipeline", unit="s")
        hop_s = as_float(hop_s, "hop_s", minimum=0, low_open=True, where="StreamingPipeline", unit="s")
        steps = as_int(steps, "steps", minimum=1, where="StreamingPipeline")
        if buffer_s is not None:
            buffer_s = as_float(buffer_s, "buffer_s", minimum=window_s, where="StreamingPipeline", unit="s")
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.window_s, self.hop_s = float(window_s), float(hop_s)
        self.sampler = sampler
        self.featurizer = window_features if featurizer is None else featurizer
        self.steps = int(steps)
        self.modalities = list(modalities) if modalities is not None else list(
            getattr(model, "modalities", FEATURE_DIMS))
        if not self.modalities:
            raise EmptyInputError(message("modalities", "at least one modality", self.modalities,
                                          where="StreamingPipeline"))
        if rates is not None:
            self.rates = _check_rates(rates, self.modalities, "StreamingPipeline", given=list(rates))
            self.rates.update({m: as_sample_rate(r, f"rates[{m!r}]", where="StreamingPipeline")
                               for m, r in rates.items() if m not in self.rates})
        else:
            self.rates = None
        self.buffer_s = float(buffer_s) if buffer_s is not None else self.window_s + 2 * self.hop_s
        self.label_names = list(label_names) if label_names is not None else None
        lead = "audio" if "audio" in self.modalities else self.modalities[0]
        self.sampler_on = sampler_on if sampler_on is not None else lead
        if self.sampler_on not in self.modalities or self.sampler_on == "face":
            raise UnknownOptionError(message("sampler_on", f"one of the model's signal modalities "
                                             f"{[m for m in self.modalities if m != 'face']}", self.sampler_on,
                                             where="StreamingPipeline"))
        self.reset()

    def reset(self) -> None:
        """Forget buffers, time and the last prediction."""
        self.buffers: Dict[str, RingBuffer] = {}
        self._next_end = self.window_s
        self._credit = 0.0
        self._last: Optional[tuple] = None
        self.rows: list = []

    # -- internals ------------------------------------------------------------------------

    def _buffer(self, m: str, x: np.ndarray, rate: float) -> RingBuffer:
        if m not in self.buffers:
            cap = int(math.ceil(self.buffer_s * rate)) + 1
            if m == "face":
                self.buffers[m] = RingBuffer(max(cap, 2), channels=int(np.prod(x.shape[1:])), dtype=np.uint8)
                self._face_shape = tuple(x.shape[1:])
            else:
                self.buffers[m] = RingBuffer(cap, channels=1 if x.ndim == 1 else x.shape[0])
        return self.buffers[m]

    def _name(self, k: int) -> str:
        if self.label_names is not None:
            return str(self.label_names[k])
        return QUADRANTS[k] if getattr(self.model.head, "out_features", None) == 4 else str(k)

    def _read_window(self, end_t: float, now_t: Dict[str, float]) -> Dict[str, np.ndarray]:
        win = {}
        for m in self.modalities:
            rate, buf = self.rates[m], self.buffers[m]
            if m == "face":
                # frame i starts at i / rate: take those starting in [end - window, end)
                upto = int(math.ceil(end_t * rate - 1e-9))
                first = max(0, int(math.ceil((end_t - self.window_s) * rate - 1e-9)))
                skip = max(0, buf.total - upto)
                n = max(0, min(upto - first, len(buf) - skip))
                x = buf.latest(n, skip) if n > 0 else np.zeros((buf.channels, 0), np.uint8)
                win[m] = x.T.reshape((-1,) + self._face_shape)
                continue
            skip = max(0, int(round((now_t[m] - end_t) * rate)))
            n = min(int(round(self.window_s * rate)), len(buf) - skip)
            win[m] = buf.latest(n, skip)
        return win

    def _decide(self, signal: np.ndarray) -> bool:
        if self._last is None:
            return True
        if self.sampler is None:
            return True
        signal = np.asarray(signal, dtype=np.float64)
        d = self.sampler.decide(signal[0] if signal.ndim == 2 else signal)
        share = float(np.mean(d.rates)) / d.frame_rate if d.rates.size else 1.0
        self._credit += min(max(share, 0.0), 1.0)
        if self._credit >= 1.0 - 1e-9:
            self._credit -= 1.0
            return True
        return False

    def _predict(self, win: Dict[str, np.ndarray]) -> tuple:
        feats = self.featurizer(win, self.rates, steps=self.steps)
        batch = {m: torch.from_numpy(feats[m][None]).to(self.device) for m in self.modalities}
        with torch.no_grad():
            probs = torch.softmax(self.model(batch), dim=-1)[0]
            k = int(torch.argmax(probs))
            p = float(probs[k])           # .item() synchronises with the device
        return self._name(k), p

    # -- public ---------------------------------------------------------------------------

    def process(self, chunk: Mapping[str, Any]) -> list:
        """Push one chunk into the ring buffers; handle every window that ended.

        Returns the rows (dicts) of the windows completed by this chunk (often none). The
        whole chunk is checked before anything is buffered (see the class docstring).
        """
        where = "StreamingPipeline.process"
        if not isinstance(chunk, Mapping):
            raise WrongTypeError(message("chunk", "a dict {modality: samples, 'rates': ...}", chunk, where=where))
        given = [k for k in chunk if k not in ("t", "rates", "trial", "label")]
        if self.rates is None:
            if "rates" not in chunk:
                raise MissingModalityError(message(
                    "chunk", "a dict with a 'rates' entry (or give StreamingPipeline(rates=...))",
                    f"keys {sorted(map(str, chunk))}", where=where, describe=False))
            rates = _check_rates(chunk["rates"], self.modalities, where, given=given, name="chunk['rates']")
            rates.update({m: as_sample_rate(r, f"chunk['rates'][{m!r}]", where=where)
                          for m, r in chunk["rates"].items() if m not in rates})
            self.rates = rates
        lacking = [m for m in self.modalities if m not in chunk]
        if lacking:
            raise MissingModalityError(message(
                "chunk", f"samples of every modality of the model {self.modalities}", f"none for {lacking}",
                where=where, describe=False, hint=f"the chunk has {sorted(map(str, given))}; "
                f"rates are known for {sorted(self.rates)}"))
        arrays = {}
        at = chunk.get("t")
        when = f" in the chunk at t={at:g} s" if isinstance(at, (int, float, np.number)) else ""
        for m in self.modalities:
            x = np.asarray(chunk[m])
            _check_finite(x, f"chunk[{m!r}]", where, what=when)
            n = (x.shape[0] if m == "face" else x.shape[-1]) if x.ndim else 0
            buf = self.buffers.get(m)
            cap = buf.capacity if buf is not None else int(math.ceil(self.buffer_s * self.rates[m])) + 1
            if x.ndim and n > cap:
                raise OutOfRangeError(message(
                    f"chunk[{m!r}]", f"at most {cap} samples long (the capacity of its buffer: "
                    f"buffer_s={self.buffer_s:g} s at {self.rates[m]:g} Hz)",
                    f"{n} samples = {n / self.rates[m]:g} s at {self.rates[m]:g} Hz", where=where, describe=False,
                    hint=f"check that {self.rates[m]:g} Hz is the rate of {m!r}, send shorter chunks or give "
                         "a larger buffer_s"))
            arrays[m] = x
        for m in self.modalities:
            x = arrays[m]
            if m == "face":
                if x.shape[0]:
                    self._buffer(m, x, self.rates[m]).push(x.reshape(x.shape[0], -1).T)
                elif m not in self.buffers and x.ndim == 3:
                    self._buffer(m, x, self.rates[m])
            else:
                self._buffer(m, x, self.rates[m]).push(x)
        lead = self.modalities[0] if "audio" not in self.modalities else "audio"
        now = {m: (self.buffers[m].total / self.rates[m] if m in self.buffers else 0.0)
               for m in self.modalities}
        done = []
        while now[lead] + 1e-9 >= self._next_end:
            end_t = self._next_end
            self._next_end += self.hop_s
            t0 = time.perf_counter()
            win = self._read_window(end_t, now)
            run = self._decide(win[self.sampler_on])
            t1 = time.perf_counter()
            if run:
                label, prob = self._predict(win)
                if self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                latency = (time.perf_counter() - t1) * 1000.0
                self._last = (label, prob)
            else:
                label, prob = self._last
                latency = float("nan")
            row = {"t": end_t, "processed": bool(run), "label": label, "prob": prob,
                   "latency_ms": latency, "decide_ms": (t1 - t0) * 1000.0,
                   "true_label": chunk.get("label")}
            self.rows.append(row)
            done.append(row)
        return done

    def warmup(self, n: int = 3, *, channels: Optional[Mapping[str, int]] = None) -> None:
        """Run features + model ``n`` times on a quiet window (first calls are slow:
        allocations, kernel selection); nothing is recorded.

        ``channels``: channel count per multichannel modality (e.g. ``{"eeg": 32}`` for
        DEAP, ``{"eeg": 14, "ecg": 2}`` for AMIGOS); a modality not named there takes the
        channel count of its ring buffer once a chunk has arrived, else 8 for EEG (the
        teaching dataset) and 1 for every other signal.
        """
        n = as_int(n, "n", minimum=0, where="StreamingPipeline.warmup")
        if self.rates is None:
            raise MissingModalityError(message("rates", "known (give StreamingPipeline(rates=...) or process a "
                                               "chunk first)", "None", where="StreamingPipeline.warmup",
                                               describe=False))
        counts = dict(channels or {})
        rng = np.random.default_rng(0)
        win = {}
        for m in self.modalities:
            r = self.rates[m]
            size = int(round(self.window_s * r))
            if m == "face":
                win[m] = np.zeros((max(1, size), 48, 48), np.uint8)
                continue
            k = counts.get(m, self.buffers[m].channels if m in self.buffers else (8 if m == "eeg" else 1))
            win[m] = rng.normal(size=(k, size)) if k > 1 else rng.normal(size=size) * 1e-2
        for _ in range(int(n)):
            self._predict(win)

    def run(self, source: Iterable[Mapping[str, Any]], *, max_windows: Optional[int] = None,
            reset: bool = True) -> StreamReport:
        """Feed every chunk of ``source`` to :meth:`process`; stop after ``max_windows``."""
        if max_windows is not None:
            max_windows = as_int(max_windows, "max_windows", minimum=0, where="StreamingPipeline.run")
        if reset:
            self.reset()
        for chunk in source:
            self.process(chunk)
            if max_windows is not None and len(self.rows) >= max_windows:
                break
        rows = self.rows[:max_windows] if max_windows is not None else self.rows
        cols = ["t", "processed", "label", "prob", "latency_ms", "decide_ms", "true_label"]
        frame = pd.DataFrame(rows, columns=cols)
        return StreamReport(frame, device=str(self.device),
                            info={"window_s": self.window_s, "hop_s": self.hop_s,
                                  "sampler": type(self.sampler).__name__ if self.sampler else None})
