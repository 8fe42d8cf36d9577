"""Argument checks shared by every module that takes a student's input.

One error type per kind of mistake, one message style. Every message names the argument
(and, where given, the function it was passed to), says what was expected and what came::

    stft: n_fft must be an integer >= 1, got 0
    bandpass: high must be a frequency below the Nyquist frequency 64 Hz (sr/2), got 80.0

Every error type derives from ``ValueError`` (the wrong-type one from ``TypeError`` as
well), so ``except ValueError`` keeps catching them all.

Used by :mod:`mer_lessons.dsp`, :mod:`mer_lessons.features`, :mod:`mer_lessons.physio`,
:mod:`mer_lessons.metrics`, :mod:`mer_lessons.streaming` and :mod:`mer_lessons.train`.

Taught in ``00_welcome`` (reading an error message).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Optional, Sequence

import numpy as np

__all__ = [
    "InputError", "WrongTypeError", "WrongShapeError", "EmptyInputError", "NonFiniteError",
    "OutOfRangeError", "UnknownOptionError",
    "message", "as_int", "as_float", "as_sample_rate", "as_frequency", "as_choice",
    "as_signal", "require_shape", "as_frequency_band", "as_labels",
    "looks_channels_last", "check_channels_last", "as_real_array", "PCM_HINT", "CHANNELS_LAST_HINT",
    "as_class_labels", "sequence_tensor", "step_mask",
]


class InputError(ValueError):
    """Base class: an argument a function cannot work with. Taught in ``00_welcome``."""


class WrongTypeError(InputError, TypeError):
    """The argument has the wrong type or dtype (a string for a number, complex samples, ...).

    Taught in ``00_welcome``.
    """


class WrongShapeError(InputError):
    """The array has the wrong number of dimensions or the wrong size along an axis.

    Taught in ``00_welcome``.
    """


class EmptyInputError(InputError):
    """The argument is empty or shorter than the function needs (0 samples, 0 clips, ...).

    Taught in ``00_welcome``.
    """


class NonFiniteError(InputError):
    """The array holds NaN or infinite values. Taught in ``00_welcome``."""


class OutOfRangeError(InputError):
    """A number outside its allowed range (a negative sample rate, a cutoff above Nyquist, ...).

    Taught in ``00_welcome``.
    """


class UnknownOptionError(InputError):
    """A string option that is not one of the accepted ones. Taught in ``00_welcome``."""


def _describe(value: Any) -> str:
    """A short description of what came: arrays by shape and dtype, the rest by repr."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):  # NumPy scalars: 3.0, not np.float64(3.0)
        value = value.item()
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):  # torch tensors
        return f"a {type(value).__name__} of shape {tuple(shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: Default of ``got`` in :func:`message`: nothing came to describe (``None`` is described as ``None``).
_NOTHING: Any = type("_Nothing", (), {"__repr__": lambda self: "<nothing>"})()


def message(name: str, expected: str, got: Any = _NOTHING, *, where: Optional[str] = None,
            hint: Optional[str] = None, describe: bool = True) -> str:
    """The one message style: ``"[where: ]name must be expected, got got[; hint]"``.

    ``got`` is described (arrays by shape and dtype) unless ``describe=False``, in which
    case it is used as written; leave it out for no ", got ..." part (``None`` is a value
    and reads "got None"). Taught in ``00_welcome``.
    """
    text = f"{where}: " if where else ""
    text += f"{name} must be {expected}"
    if got is not _NOTHING:
        text += f", got {_describe(got) if describe else got}"
    if hint:
        text += f"; {hint}"
    return text


def as_int(value: Any, name: str, *, minimum: Optional[int] = 1, maximum: Optional[int] = None,
           where: Optional[str] = None) -> int:
    """``value`` as an ``int`` in ``[minimum, maximum]``.

    Integral floats (``4.0``) are accepted; ``True``/``False``, fractional numbers and
    strings raise :class:`WrongTypeError`; out-of-range values :class:`OutOfRangeError`.
    Taught in ``00_welcome``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise WrongTypeError(message(name, "an integer", value, where=where))
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer():
            value = int(value)
        else:
            raise WrongTypeError(message(name, "an integer", value, where=where))
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise OutOfRangeError(message(name, f"an integer {_range_text(minimum, maximum)}", value, where=where))
    return value


def _range_text(minimum, maximum, *, low_open: bool = False, high_open: bool = False) -> str:
    if minimum is not None and maximum is not None:
        return f"in {'(' if low_open else '['}{minimum:g}, {maximum:g}{')' if high_open else ']'}"
    if minimum is not None:
        return f"{'>' if low_open else '>='} {minimum:g}"
    if maximum is not None:
        return f"{'<' if high_open else '<='} {maximum:g}"
    return ""


def as_float(value: Any, name: str, *, minimum: Optional[float] = None, maximum: Optional[float] = None,
             low_open: bool = False, high_open: bool = False, where: Optional[str] = None,
             unit: str = "") -> float:
    """``value`` as a finite ``float`` in the given range (``low_open``: ``> minimum``).

    Taught in ``00_welcome``.
    """
    what = f"a number{' in ' + unit if unit else ''}"
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)):
        raise WrongTypeError(message(name, what, value, where=where))
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise WrongTypeError(message(name, what, value, where=where)) from None
    if not math.isfinite(v):
        raise NonFiniteError(message(name, f"a finite {what[2:]}", value, where=where))
    too_low = minimum is not None and (v <= minimum if low_open else v < minimum)
    too_high = maximum is not None and (v >= maximum if high_open else v > maximum)
    if too_low or too_high:
        rng = _range_text(minimum, maximum, low_open=low_open, high_open=high_open)
        raise OutOfRangeError(message(name, f"{what} {rng}", value, where=where))
    return v


def as_sample_rate(sr: Any, name: str = "sr", *, where: Optional[str] = None) -> float:
    """A sample rate: a finite number of hertz > 0. Taught in ``01_sound_and_fourier``."""
    if sr is None:
        raise WrongTypeError(message(name, "a sample rate in Hz (a number > 0)", "None", where=where,
                                     describe=False))
    return as_float(sr, name, minimum=0, low_open=True, where=where, unit="Hz")


def as_frequency(value: Any, name: str, sr: Optional[float] = None, *, allow_zero: bool = False,
                 where: Optional[str] = None, nyquist_ok: bool = False) -> float:
    """A frequency in Hz, ``> 0`` (``>= 0`` with ``allow_zero``) and below ``sr / 2`` when ``sr`` is given.

    ``nyquist_ok=True`` also accepts ``sr / 2`` itself (the top edge of a mel filterbank,
    for instance); a cutoff of a filter has to stay strictly below it.
    Taught in ``03_mfcc_chroma_and_friends`` (band-pass filters).
    """
    f = as_float(value, name, minimum=0, low_open=not allow_zero, where=where, unit="Hz")
    if sr is not None:
        nyquist = sr / 2.0
        too_high = f > nyquist * (1 + 1e-12) if nyquist_ok else f >= nyquist
        if too_high:
            where_text = "at or below" if nyquist_ok else "below"
            raise OutOfRangeError(message(
                name, f"a frequency {where_text} the Nyquist frequency {nyquist:g} Hz (sr/2 at sr={sr:g} Hz)", f,
                where=where, hint="lower it or use a signal sampled faster"))
    return f


def as_frequency_band(low: Any, high: Any, sr: Optional[float] = None, *, names: Sequence[str] = ("low", "high"),
                      allow_zero: bool = False, nyquist_ok: bool = False,
                      where: Optional[str] = None) -> tuple[float, float]:
    """``(low, high)`` in Hz with ``low < high``, both checked by :func:`as_frequency`.

    ``names`` are the two arguments' names (``("fmin", "fmax")``, ...); ``allow_zero`` lets
    ``low`` be 0 Hz, ``nyquist_ok`` lets ``high`` be ``sr / 2``. Raises
    :class:`OutOfRangeError` when ``low >= high``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    low_name, high_name = names
    low = as_frequency(low, low_name, sr, allow_zero=allow_zero, where=where, nyquist_ok=nyquist_ok)
    high = as_frequency(high, high_name, sr, where=where, nyquist_ok=nyquist_ok)
    if low >= high:
        raise OutOfRangeError(message(low_name, f"below {high_name}={high:g} Hz", low, where=where))
    return low, high


def as_choice(value: Any, name: str, options: Iterable, *, where: Optional[str] = None):
    """``value`` if it is one of ``options``, else :class:`UnknownOptionError` listing them.

    Taught in ``00_welcome``.
    """
    options = tuple(options)
    try:
        ok = any(value is o or bool(value == o) for o in options)
    except (TypeError, ValueError):  # incomparable, or an array (ambiguous truth value)
        ok = False
    if not ok:
        listed = ", ".join(repr(o) for o in options)
        raise UnknownOptionError(message(name, f"one of {listed}", value, where=where))
    return value


def _real_numeric_array(x: Any, name: str, what: str, where: Optional[str]) -> np.ndarray:
    """``x`` (torch tensors converted) as a real numeric NumPy array, unconverted dtype; else
    :class:`WrongTypeError` for None (``what`` was expected), strings, objects and complex values."""
    if x is None:
        raise WrongTypeError(message(name, what, "None", where=where, describe=False))
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise WrongTypeError(message(name, "a numeric array", arr, where=where))
    if np.iscomplexobj(arr):
        raise WrongTypeError(message(name, "real-valued", arr, where=where,
                                     hint="take np.abs(x) or x.real explicitly if that is what you mean"))
    return arr


def as_signal(x: Any, name: str = "x", *, where: Optional[str] = None, ndim: Optional[int | Sequence[int]] = None,
              min_length: int = 1, hint: Optional[str] = None, audio: bool = False,
              refuse_channels_last: bool = False) -> np.ndarray:
    """``x`` as a finite, real float64 array with time on the last axis.

    ``ndim``: the allowed number(s) of dimensions. ``min_length``: samples needed on the
    last axis. Raises :class:`WrongTypeError` (None, strings, complex, objects),
    :class:`WrongShapeError`, :class:`EmptyInputError` or :class:`NonFiniteError`.
    ``audio=True`` also refuses integer and bool samples (:class:`WrongTypeError`: integer
    PCM must be scaled to float first, see :data:`PCM_HINT`); physiological signals (ADC
    counts) keep the default. ``refuse_channels_last=True`` raises :class:`WrongShapeError`
    for a 2-D input that looks like channels-last audio (:func:`check_channels_last`);
    a wrong number of dimensions or a too-short last axis mentions that layout anyway.
    Taught in ``01_sound_and_fourier``.
    """
    arr = _real_numeric_array(x, name, "an array of samples", where)
    if audio and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        raise WrongTypeError(message(name, "floating-point audio samples (float32/float64, about -1..1)",
                                     f"dtype {arr.dtype}", where=where, describe=False, hint=PCM_HINT))
    if arr.ndim == 0:
        raise WrongShapeError(message(name, "an array with a time axis", "a scalar", where=where, describe=False))
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            dims = " or ".join(f"{d}-D" for d in allowed)
            layout_hint = CHANNELS_LAST_HINT if looks_channels_last(arr.shape) else hint
            raise WrongShapeError(message(name, dims, f"shape {arr.shape}", where=where, hint=layout_hint,
                                          describe=False))
    if refuse_channels_last:
        check_channels_last(arr, name, where=where)
    if arr.shape[-1] == 0 or arr.size == 0:
        raise EmptyInputError(message(name, "non-empty", f"shape {arr.shape}", where=where, describe=False))
    if arr.shape[-1] < min_length:
        raise EmptyInputError(message(name, f"at least {min_length} samples long (last axis)",
                                      f"{arr.shape[-1]}", where=where, describe=False,
                                      hint=CHANNELS_LAST_HINT if looks_channels_last(arr.shape) else None))
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", f"{int(np.sum(~np.isfinite(arr)))} non-finite "
                                     "values", where=where, describe=False,
                                     hint="interpolate or cut out the gaps first"))
    return arr


def require_shape(arr: Any, name: str, expected: Sequence[Optional[int]], *, where: Optional[str] = None,
                  meaning: Optional[str] = None) -> None:
    """Raise :class:`WrongShapeError` unless ``arr.shape`` matches ``expected`` (``None`` = any size).

    ``meaning`` names the axes in the message, e.g. ``"(batch, samples)"``. Taught in
    ``08_hao_realtime_fusion`` (window tensors).
    """
    shape = tuple(np.shape(arr))
    expected = tuple(expected)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        want = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ")"
        text = f"shaped {meaning or want}" + (f" = {want}" if meaning else "")
        raise WrongShapeError(message(name, text, f"shape {shape}", where=where, describe=False))


def as_labels(values: Any, name: str = "labels", *, where: Optional[str] = None, min_length: int = 0) -> np.ndarray:
    """A sequence of labels (strings, ints, tuples, ... any hashable) as a 1-D object array.

    Lists, tuples, arrays and pandas Series are accepted; a single string or a scalar
    raises :class:`WrongTypeError` (``"abc"`` is one label, not three), fewer than
    ``min_length`` items :class:`EmptyInputError`. Taught in ``05_metrics_and_classical_baselines``.
    """
    if values is None or isinstance(values, (str, bytes)) or (
            not isinstance(values, (list, tuple)) and np.ndim(values) == 0):  # lists: ragged tuples are fine
        got = "None" if values is None else f"{type(values).__name__} {_describe(values)}"
        raise WrongTypeError(message(name, "a sequence of labels (list, array, Series)", got, where=where,
                                     describe=False))
    items = list(values.tolist() if hasattr(values, "tolist") else values)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    if len(array) < min_length:
        raise EmptyInputError(message(name, f"at least {min_length} label{'s' if min_length > 1 else ''} long",
                                      f"{len(array)}", where=where, describe=False))
    return array


def sequence_tensor(x: Any, name: str, dim: Optional[int] = None, *, where: Optional[str] = None,
                    batch: Optional[int] = None):
    """Check a floating-point torch tensor shaped ``(batch, steps, dim)`` with at least one step; return it.

    ``dim`` / ``batch``: required sizes (``None``: any). Raises :class:`WrongTypeError` for
    a non-tensor or an integer tensor and :class:`WrongShapeError` for another shape, each
    naming ``name`` and what was expected. Used by every sequence model that reads
    ``(B, T, D)`` inputs.

    Taught in ``10_wang_crossmodal_transformer`` (and every model chapter after it).
    """
    import torch

    if not isinstance(x, torch.Tensor):
        raise WrongTypeError(message(name, "a float tensor shaped (batch, steps, features)", x, where=where))
    if x.ndim != 3 or (dim is not None and x.shape[-1] != dim) or (batch is not None and x.shape[0] != batch):
        want = f"({'batch' if batch is None else batch}, steps, {'features' if dim is None else dim})"
        raise WrongShapeError(message(name, f"shaped {want}", f"shape {tuple(x.shape)}", where=where,
                                      describe=False))
    if x.shape[1] == 0:
        raise WrongShapeError(message(name, "at least one step long", f"shape {tuple(x.shape)}", where=where,
                                      describe=False))
    if not x.is_floating_point():
        raise WrongTypeError(message(name, "a floating-point tensor", f"dtype {x.dtype}", where=where,
                                     describe=False))
    return x


def step_mask(mask: Any, name: str, shape: Sequence[int], *, where: Optional[str] = None, device: Any = None,
              fill: bool = False):
    """A ``(batch, steps)`` mask as a bool tensor, ``True`` at real steps (``False`` at padding).

    ``mask``: a bool tensor or one of 0/1 integers, shaped ``shape``; ``None`` gives ``None``
    or, with ``fill=True``, all ``True``. Moved to ``device`` when given. Raises
    :class:`WrongTypeError` (not a tensor; values other than 0/1; floating point) or
    :class:`WrongShapeError`, naming ``name``.

    Taught in ``10_wang_crossmodal_transformer`` (and every model chapter after it).
    """
    import torch

    if mask is None:
        return torch.ones(tuple(shape), dtype=torch.bool, device=device) if fill else None
    if not isinstance(mask, torch.Tensor):
        raise WrongTypeError(message(name, "a bool tensor (True at real steps) or None", mask, where=where))
    if tuple(mask.shape) != tuple(shape):
        raise WrongShapeError(message(name, f"shaped {tuple(shape)} (batch, steps)", f"shape {tuple(mask.shape)}",
                                      where=where, describe=False))
    if mask.dtype != torch.bool:
        if mask.is_floating_point() or mask.is_complex() or not bool(((mask == 0) | (mask == 1)).all()):
            raise WrongTypeError(message(name, "bool or 0/1 integers (True/1 at real steps)",
                                         f"dtype {mask.dtype}", where=where, describe=False))
        mask = mask != 0
    return mask.to(device) if device is not None else mask


#: The hint of every "integer audio" error: how to turn PCM into float samples.
PCM_HINT = ("convert integer PCM to float first with mer_lessons.dsp.pcm_to_float(x) "
            "(for 16-bit audio: x.astype(np.float32) / 32768)")

#: The hint of every "looks like channels-last" error.
CHANNELS_LAST_HINT = ("looks like channels-last audio (samples, channels); pass x.T or mix to mono with "
                      "x.mean(axis=1)")

#: A 2-D input whose last axis has at most this many samples ...
_MAX_CHANNELS = 8
#: ... while its first axis has at least this many looks like (samples, channels).
_MIN_CHANNELS_LAST_SAMPLES = 64


def looks_channels_last(shape: Sequence[int]) -> bool:
    """Whether a shape looks like channels-last audio ``(samples, channels)``: 2-D, the last
    axis at most 8 long and the first at least 64 (e.g. ``(44100, 2)`` stereo).

    Functions whose 2-D input is ``(clips or channels, samples)`` (time on the last axis)
    would otherwise read such an array as thousands of 2-sample clips. Taught in
    ``01_sound_and_fourier``.
    """
    shape = tuple(shape)
    return len(shape) == 2 and 0 < shape[1] <= _MAX_CHANNELS and shape[0] >= _MIN_CHANNELS_LAST_SAMPLES


def check_channels_last(x: Any, name: str = "x", *, where: Optional[str] = None) -> None:
    """Raise :class:`WrongShapeError` when ``x`` (NumPy array or torch tensor) looks channels-last.

    See :func:`looks_channels_last`; the message says to pass ``x.T`` or mix to mono with
    ``x.mean(axis=1)``. Taught in ``01_sound_and_fourier``.
    """
    shape = tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
    if looks_channels_last(shape):
        raise WrongShapeError(message(name, "shaped (channels or clips, samples) with time on the last axis",
                                      f"shape {shape}", where=where, describe=False, hint=CHANNELS_LAST_HINT))


def as_real_array(x: Any, name: str, *, where: Optional[str] = None, finite: bool = True,
                  dtype: Any = np.float64) -> np.ndarray:
    """``x`` (any shape, scalars included) as a real float array, without NumPy's silent casts.

    Raises :class:`WrongTypeError` for None, strings, objects and complex values (NumPy
    would drop the imaginary part with only a warning) and, with ``finite=True``,
    :class:`NonFiniteError` for NaN or inf, each naming ``name``. Torch tensors are
    converted. Taught in ``01_sound_and_fourier``.
    """
    arr = _real_numeric_array(x, name, "an array of numbers", where)
    arr = arr.astype(dtype, copy=False)
    if finite and not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", f"{int(np.sum(~np.isfinite(arr)))} non-finite "
                                     "values", where=where, describe=False))
    return arr


def as_class_labels(values: Any, name: str = "labels", *, where: Optional[str] = None,
                    min_classes: int = 2) -> np.ndarray:
    """Class labels for a classifier: :func:`as_labels`, non-empty, with at least ``min_classes`` classes.

    Raises :class:`EmptyInputError` for no labels, and for fewer different classes than
    ``min_classes`` (a classifier cannot be trained or scored on one class), naming the
    classes found. Returns the labels as a 1-D object array. Taught in
    ``05_metrics_and_classical_baselines``.
    """
    labels = as_labels(values, name, where=where, min_length=1)
    try:
        classes = sorted(set(labels.tolist()), key=repr)
    except TypeError:  # unhashable labels
        raise WrongTypeError(message(name, "hashable labels (str, int, ...)", labels[:3].tolist(), where=where))
    if len(classes) < min_classes:
        shown = ", ".join(repr(c) for c in classes[:5])
        raise EmptyInputError(message(
            name, f"labels of at least {min_classes} different classes", f"only {shown} ({len(labels)} labels)",
            where=where, describe=False, hint="a classifier needs examples of every class it should tell apart"))
    return labels
