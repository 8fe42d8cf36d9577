"""From-scratch signal processing for the course, in NumPy.

Everything a music-emotion model sees starts here: frames and windows, the DFT and a
hand-written FFT, the short-time Fourier transform (STFT), mel filterbanks, MFCC, chroma,
wideband/narrowband spectrograms, gammatone filterbanks, linear prediction and residual
phase, spectral subtraction, band-pass filters, and the frequency variation rate of
Hao et al. Each function says which paper and equation it implements and which notebook
teaches it:

* ``01_sound_and_fourier``: windows, framing, DFT, FFT, Parseval.
* ``02_stft_and_spectrograms``: STFT/ISTFT, dB scales, mel scale and filterbank,
  mel spectrogram, wideband vs narrowband spectrograms.
* ``03_mfcc_chroma_and_friends``: DCT and MFCC, chroma and tuning, gammatone, LPC and
  residual phase (MF_RP), spectral subtraction, band-pass, FVR and spectral flux.

Conventions (the same as librosa, so that students can switch between the two):

* A signal ``y`` is a 1-D float array of samples (mono). Multi-channel input is *not*
  accepted: pass one channel at a time (a ``WrongShapeError`` says so otherwise, and
  names the channels-last layout for a ``(samples, channels)`` array such as ``(44100, 2)``).
  Integer (PCM) and bool samples are refused with a ``WrongTypeError``: scale them first
  with :func:`pcm_to_float` (int16 / 32768, ...); complex, NaN or inf samples are refused
  too (``WrongTypeError``, ``NonFiniteError``), each error naming the argument.
* Bad arguments raise the errors of :mod:`mer_lessons.validation` (all subclasses of
  ``ValueError``; a wrong type is also a ``TypeError``), with one message style:
  ``"stft: n_fft must be an integer >= 1, got 0"`` (function, argument, what was
  expected, what came).
* Spectrograms are ``(n_bins, n_frames)``: frequency down the rows, time along the
  columns; frames produced by :func:`frame_signal` are columns as well.
* Frequencies are in Hz, times in seconds, lengths (``n_fft``, ``hop_length``,
  ``win_length``) in samples.

The course's own :func:`fft` is the teaching version. Inside :func:`stft` and
:func:`istft` NumPy's FFT (``numpy.fft.rfft``/``irfft``, pocketfft) is used for speed; the
results agree to ~1e-12 (``stft(..., use_own_fft=True)`` uses ours). SciPy is used in
one place only, explained in its docstrings: the Butterworth band-pass design and
filtering (:func:`butter_bandpass_sos`, :func:`butter_bandpass`). Everything else,
including the Hilbert transform, the DCT and Levinson–Durbin, is written here.

Where this module deliberately differs from librosa 0.11 (``tests/test_dsp.py`` checks the
rest to float64 rounding):

* Everything is computed and returned in float64/complex128 (librosa's filterbanks are
  float32 by default, and it keeps float32 input in single precision).
* Mono only; windows are the four named ones or an array (no tuples or callables);
  ``pad_mode`` is limited to the modes librosa allows for ``stft``.
* Invalid settings that librosa accepts with a warning raise ``ValueError`` here, e.g.
  ``fmax > sr / 2`` in the mel filterbank.
* ``mfcc`` implements only the DCT-II (librosa's default ``dct_type=2``).
* ``lpc`` uses the autocorrelation method (Levinson–Durbin); ``librosa.lpc`` uses Burg's
  method, so the two agree closely but not exactly.
* ``preemphasis`` keeps the first sample; librosa extrapolates it.

Papers (cited through :mod:`mer_lessons.papers`, e.g. ``papers.cite("hao")``):

* Hao, Li, Wen — *Real-time music emotion recognition based on multimodal fusion*
  ("Hao et al."): Eq. 1 (DFT), Eq. 2 (FVR), Eq. 3 (dynamic sampling rate),
  Eq. 4 (band-pass), Eq. 11–14 (STFT, mel, MFCC, chroma).
* Kirar, Gill, Jangra, Sharma — *Multimodal Emotion Recognition: Integrating Audio and
  Visual Features ...* ("Kirar et al."): spectral subtraction.
* Liu, Feng, Li — *A Bimodal Emotion Recognition Algorithm for Audio and Video Based on
  Emotion Modeling* ("Liu et al."): Eq. 1–4 (framing + FFT, mel filters, log, DCT).
* Zhao, Jin, Guo — *Music Emotion Recognition and Analysis Based on Neural Network*
  ("Zhao et al."): wideband/narrowband spectrograms, gammatone features (GTF),
  16th-order LP residual, residual phase and MF_RP.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np

from mer_lessons.validation import (
    PCM_HINT,
    EmptyInputError,
    InputError,
    NonFiniteError,
    OutOfRangeError,
    UnknownOptionError,
    WrongShapeError,
    WrongTypeError,
    as_choice,
    as_float,
    as_frequency,
    as_frequency_band,
    as_int,
    as_real_array,
    as_sample_rate,
    as_signal,
    message,
)

__all__ = [
    # framing, windows
    "pcm_to_float",
    "frame_signal",
    "get_window",
    "pad_center",
    "fft_frequencies",
    "frame_times",
    "ms_to_samples",
    "next_power_of_two",
    "preemphasis",
    "alias_frequency",
    "window_response_db",
    "highest_sidelobe_db",
    # Fourier
    "dft_matrix",
    "dft",
    "fft",
    "ifft",
    "rfft",
    "stft",
    "istft",
    "power_spectrogram",
    "power_to_db",
    "amplitude_to_db",
    "db_to_power",
    "db_to_amplitude",
    # mel, MFCC
    "hz_to_mel",
    "mel_to_hz",
    "hz_to_mel_hao_eq12",
    "mel_to_hz_hao_eq12",
    "mel_frequencies",
    "mel_filterbank",
    "mel_spectrogram",
    "dct_matrix",
    "dct_type2",
    "idct_type2",
    "dct_matrix_hao_eq13",
    "mfcc",
    # chroma
    "hz_to_octs",
    "chroma_filterbank",
    "piptrack",
    "pitch_tuning",
    "estimate_tuning",
    "chroma_stft",
    "PITCH_CLASSES",
    # wide/narrowband, gammatone
    "SpectrogramWithAxes",
    "wideband_spectrogram",
    "narrowband_spectrogram",
    "wide_and_narrowband_spectrograms",
    "erb_bandwidth",
    "hz_to_erb_rate",
    "erb_rate_to_hz",
    "gammatone_center_frequencies",
    "gammatone_impulse_response",
    "gammatone_filterbank",
    "gammatone_spectrogram",
    # linear prediction, residual phase
    "autocorrelation",
    "levinson_durbin",
    "lpc",
    "lpc_envelope",
    "lp_residual",
    "analytic_signal",
    "hilbert_envelope",
    "residual_phase",
    "mf_rp",
    # cleaning
    "snr_db",
    "spectral_subtraction",
    "ideal_bandpass_response",
    "ideal_bandpass",
    "butter_bandpass_sos",
    "butter_bandpass",
    # Hao et al. dynamic sampling
    "frequency_variation_rate",
    "frequency_variation_rate_frames",
    "spectral_flux",
    "dynamic_sampling_rate",
    "dynamic_sampling_keep",
]

#: Pitch-class names in chroma row order (``base_c=True``), Hao et al. Eq. 14.
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

_TINY = np.finfo(np.float64).tiny
_STFT_PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric", "empty")

#: What the ``window`` argument of this module accepts: one of the names of
#: :func:`get_window` or an array of ``win_length`` samples. (The torch modules of
#: :mod:`mer_lessons.features` accept more: :data:`mer_lessons.features.LibrosaWindowSpec`.)
WindowSpec = Union[str, np.ndarray]


# ---------------------------------------------------------------------------------------
# Input checks (every public function validates before computing, with the argument name)
# ---------------------------------------------------------------------------------------


_MONO_HINT = "pass one channel at a time (mono), e.g. y[0] or y.mean(axis=0)"


def _mono(y, name: str = "y", min_length: int = 1, *, where: Optional[str] = None, audio: bool = True) -> np.ndarray:
    """``y`` as a finite 1-D float64 array (:func:`mer_lessons.validation.as_signal`, mono).

    ``audio=True``: integer and bool samples are refused (integer PCM must be scaled first,
    :func:`pcm_to_float`); a ``(samples, channels)`` array gets the channels-last hint.
    """
    return as_signal(y, name, where=where, ndim=1, min_length=min_length, hint=_MONO_HINT, audio=audio)


def _finite(arr: np.ndarray, name: str, *, where: Optional[str] = None) -> np.ndarray:
    """Raise :class:`~mer_lessons.validation.NonFiniteError` (or ``WrongTypeError`` for a
    non-numeric array) unless every value of ``arr`` (real or complex) is finite."""
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise WrongTypeError(message(name, "a numeric array", arr, where=where))
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", f"{int(np.sum(~np.isfinite(arr)))} non-finite "
                                     "values", where=where, describe=False))
    return arr


def pcm_to_float(x) -> np.ndarray:
    """Integer PCM samples as float32 in ``[-1, 1)``: the conversion the audio functions ask for.

    * int16: ``x / 32768`` (full scale -32768..32767 -> -1 .. 32767/32768);
    * int32: ``x / 2**31``; int8: ``x / 128``;
    * uint8 (offset binary, as in 8-bit WAV): ``(x - 128) / 128``;
    * float input is returned as float32 unchanged (already scaled).

    Every function of this module that takes audio samples (and the torch modules of
    :mod:`mer_lessons.features`) refuses integer and bool arrays with a
    :class:`~mer_lessons.validation.WrongTypeError` pointing here: reading int16 counts as
    floats would make a clip 32768 times too loud. Raises ``WrongTypeError`` for other
    dtypes (bool, int64, uint16, complex, ...). Taught in ``01_sound_and_fourier``.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    scales = {np.dtype(np.int16): (0, 32768.0), np.dtype(np.int32): (0, 2.0**31), np.dtype(np.int8): (0, 128.0),
              np.dtype(np.uint8): (128, 128.0)}
    if arr.dtype in scales:
        offset, scale = scales[arr.dtype]
        return ((arr.astype(np.float64) - offset) / scale).astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float32)
    raise WrongTypeError(message("x", "integer PCM (int8, uint8, int16 or int32) or float samples",
                                 f"dtype {arr.dtype}", where="pcm_to_float", describe=False))


def _stft_lengths(n_fft, hop_length, win_length, *, where: str) -> tuple[int, int, int]:
    """Validate and fill in (n_fft, hop_length, win_length) with librosa's defaults."""
    n_fft = as_int(n_fft, "n_fft", where=where)
    win_length = n_fft if win_length is None else as_int(win_length, "win_length", where=where)
    if win_length > n_fft:
        raise OutOfRangeError(message(
            "win_length", f"<= n_fft={n_fft}", win_length, where=where,
            hint="the window is zero-padded to n_fft, never truncated"))
    if hop_length is None:
        hop_length = max(1, win_length // 4)
    else:
        hop_length = as_int(hop_length, "hop_length", where=where)
    return n_fft, hop_length, win_length


def _fmin_fmax(sr: float, fmin, fmax, *, where: str) -> tuple[float, float]:
    """``0 <= fmin < fmax <= sr / 2`` in Hz (``fmax=None``: ``sr / 2``), via :func:`as_frequency_band`."""
    return as_frequency_band(fmin, sr / 2.0 if fmax is None else fmax, sr, names=("fmin", "fmax"),
                             allow_zero=True, nyquist_ok=True, where=where)


def _transform_input(x, name: str, *, where: str, axis: int = -1, real: bool = False) -> np.ndarray:
    """``x`` as an array (any number of dimensions) with at least one sample along ``axis``.

    ``real=True`` converts to float64 (the DCT); otherwise the dtype is kept (complex allowed).
    """
    arr = as_real_array(x, name, where=where, finite=False) if real else np.asarray(x)
    if arr.ndim == 0:
        raise WrongShapeError(message(name, "an array with at least one axis", "a scalar", where=where,
                                      describe=False))
    if not -arr.ndim <= axis < arr.ndim:
        raise OutOfRangeError(message("axis", f"an axis of {name} (in [{-arr.ndim}, {arr.ndim - 1}])", axis,
                                      where=where))
    if arr.shape[axis] == 0:
        raise EmptyInputError(message(name, f"at least one sample long along axis {axis}", f"shape {arr.shape}",
                                      where=where, describe=False))
    return _finite(arr, name, where=where)


def _normalize(S: np.ndarray, norm, axis: int, *, where: Optional[str] = None) -> np.ndarray:
    """Scale slices of ``S`` along ``axis`` to unit ``norm`` (None, inf, -inf, 0 or p > 0).

    Slices whose norm is below the smallest positive float are left as they are (silent
    frames stay zero instead of becoming NaN), which is what librosa does by default.
    """
    if norm is None:
        return S
    mag = np.abs(S).astype(np.float64)
    if norm == np.inf:
        length = mag.max(axis=axis, keepdims=True)
    elif norm == -np.inf:
        length = mag.min(axis=axis, keepdims=True)
    elif norm == 0:
        length = np.sum(mag > 0, axis=axis, keepdims=True).astype(np.float64)
    elif isinstance(norm, numbers.Real) and norm > 0:
        length = np.sum(mag**norm, axis=axis, keepdims=True) ** (1.0 / norm)
    else:
        raise UnknownOptionError(message("norm", "None, inf, -inf, 0 or a positive number", norm, where=where))
    length = np.where(length < _TINY, 1.0, length)
    return S / length


# ---------------------------------------------------------------------------------------
# 01 — framing and windows
# ---------------------------------------------------------------------------------------


def frame_signal(y, frame_length: int, hop_length: int) -> np.ndarray:
    """Cut a signal into overlapping frames, one frame per **column**.

    Frame ``t`` holds ``y[t * hop_length : t * hop_length + frame_length]``; frames that
    would run past the end are dropped (no padding; :func:`stft` pads when ``center=True``).

    Parameters
    ----------
    y : array, shape (n_samples,)
    frame_length, hop_length : int, samples

    Returns
    -------
    frames : array, shape (frame_length, n_frames), ``n_frames = 1 + (n_samples -
        frame_length) // hop_length``. A read-only strided *view* of ``y`` (no copy), the
        same layout as ``librosa.util.frame``; use ``frames.T`` for one frame per row.

    Taught in ``01_sound_and_fourier`` (Liu et al., Eq. 1 starts from such frames).
    """
    y = _mono(y, where="frame_signal")
    frame_length = as_int(frame_length, "frame_length", where="frame_signal")
    hop_length = as_int(hop_length, "hop_length", where="frame_signal")
    if y.size < frame_length:
        raise EmptyInputError(message("y", f"at least frame_length={frame_length} samples long", y.size,
                                      where="frame_signal"))
    windows = np.lib.stride_tricks.sliding_window_view(y, frame_length)  # (n - L + 1, L)
    return windows[::hop_length].T


def get_window(name: str, n: int, periodic: bool = True) -> np.ndarray:
    """A window of ``n`` samples: ``"hann"``, ``"hamming"``, ``"rectangular"`` or ``"blackman"``.

    ``periodic=True`` gives the "DFT-even" form (the symmetric window of ``n + 1`` points
    with the last point dropped), which is what ``scipy.signal.get_window(name, n)``
    returns by default (``fftbins=True``) and what librosa uses for the STFT: overlapping
    periodic Hann windows at hop ``n/4`` sum to a constant. ``periodic=False`` gives the
    symmetric form used for filter design and LPC analysis. With ``M = n`` (periodic) or
    ``M = n - 1`` (symmetric) and ``k = 0 .. n-1``:

    * hann: ``0.5 - 0.5 cos(2 pi k / M)``
    * hamming: ``0.54 - 0.46 cos(2 pi k / M)``
    * blackman: ``0.42 - 0.5 cos(2 pi k / M) + 0.08 cos(4 pi k / M)``
    * rectangular (aliases ``boxcar``, ``rect``, ``ones``): all ones.

    Returns
    -------
    window : array, shape (n,), float64, dimensionless.

    Taught in ``01_sound_and_fourier`` (windows and spectral leakage).
    """
    n = as_int(n, "n", where="get_window")
    if not isinstance(name, str):
        raise WrongTypeError(message("name", "a window name (str)", name, where="get_window"))
    key = name.lower().strip()
    aliases = {"hanning": "hann", "boxcar": "rectangular", "rect": "rectangular",
               "rectangle": "rectangular", "ones": "rectangular"}
    key = aliases.get(key, key)
    coefficients = {
        "hann": (0.5, 0.5),
        "hamming": (0.54, 0.46),
        "blackman": (0.42, 0.5, 0.08),
        "rectangular": (1.0,),
    }
    if key not in coefficients:
        raise UnknownOptionError(message("name", "a known window: one of 'hann', 'hamming', 'blackman', "
                                         "'rectangular'", name, where="get_window"))
    if n == 1:
        return np.ones(1)
    M = n if periodic else n - 1
    phase = 2.0 * np.pi * np.arange(n) / M
    w = np.zeros(n)
    for i, a in enumerate(coefficients[key]):
        w += (-1) ** i * a * np.cos(i * phase)
    return w


def pad_center(x: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad a 1-D array on both sides to ``size`` samples, centred (extra zero on the right).

    Used to put a ``win_length`` window in the middle of an ``n_fft`` frame (librosa's
    ``util.pad_center``). Taught in ``02_stft_and_spectrograms``.
    """
    x = np.asarray(x)
    size = as_int(size, "size", where="pad_center")
    if x.shape[-1] > size:
        raise OutOfRangeError(message("size", f">= the input length {x.shape[-1]}", size, where="pad_center"))
    left = (size - x.shape[-1]) // 2
    return np.pad(x, (left, size - x.shape[-1] - left))


def _resolve_window(window: WindowSpec, win_length: int, *, where: Optional[str] = None) -> np.ndarray:
    if isinstance(window, str):
        return get_window(window, win_length, periodic=True)
    w = as_real_array(window, "window", where=where)
    if w.ndim != 1 or w.size != win_length:
        raise WrongShapeError(message("window", f"a window name or a 1-D array of win_length={win_length} samples",
                                      f"shape {w.shape}", where=where, describe=False))
    return w


def fft_frequencies(sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """Centre frequency (Hz) of each of the ``1 + n_fft // 2`` non-negative FFT bins: ``k sr / n_fft``.

    Taught in ``01_sound_and_fourier``.
    """
    sr = as_sample_rate(sr, where="fft_frequencies")
    n_fft = as_int(n_fft, "n_fft", where="fft_frequencies")
    return np.arange(1 + n_fft // 2) * (sr / n_fft)


def frame_times(n_frames: int, sr: float = 22050, hop_length: int = 512, offset: int = 0) -> np.ndarray:
    """Time (s) of frame ``t``: ``(t * hop_length + offset) / sr``.

    With ``center=True`` (the default everywhere here) frame ``t`` is centred on sample
    ``t * hop_length``, so ``offset=0`` gives frame centres; for ``center=False`` pass
    ``offset=n_fft // 2``. Shape ``(n_frames,)``. Taught in ``02_stft_and_spectrograms``.
    """
    n_frames = as_int(n_frames, "n_frames", minimum=0, where="frame_times")
    hop_length = as_int(hop_length, "hop_length", where="frame_times")
    offset = as_int(offset, "offset", minimum=None, where="frame_times")
    return (np.arange(n_frames) * hop_length + offset) / as_sample_rate(sr, where="frame_times")


def ms_to_samples(ms: float, sr: float, name: str = "ms", *, minimum: int = 1,
                  where: Optional[str] = None) -> int:
    """A duration in milliseconds as a whole number of samples: ``round(ms * sr / 1000)``.

    Window and hop lengths given in ms (Zhao et al.'s ~3 ms and ~25 ms windows) become
    sample counts this way, e.g. 25 ms at 16 kHz is 400 samples. Raises
    :class:`~mer_lessons.validation.OutOfRangeError` if ``ms`` is not > 0 or if the result
    is below ``minimum`` samples (bad types and NaN raise the other
    :mod:`mer_lessons.validation` errors); ``name`` and ``where`` (the argument and the
    function the student called) go into the message. Returns an ``int``.
    Taught in ``02_stft_and_spectrograms``.
    """
    sr = as_sample_rate(sr, where=where)
    ms = as_float(ms, name, minimum=0, low_open=True, where=where, unit="ms")
    minimum = as_int(minimum, "minimum", minimum=0, where=where)
    n = int(round(ms * sr / 1000.0))
    if n < minimum:
        raise OutOfRangeError(message(
            name, f"at least {minimum} sample{'s' if minimum > 1 else ''} long at sr={sr:g} Hz "
            f"(>= {1000.0 * (minimum - 0.5) / sr:g} ms)", f"{ms:g} ms = {n} samples", where=where, describe=False))
    return n


def next_power_of_two(n: int) -> int:
    """The smallest power of two ``>= n`` (1 for ``n <= 1``): the usual ``n_fft`` for a window of ``n`` samples.

    ``next_power_of_two(400) == 512``; a power of two is returned unchanged. An ``int``
    in, an ``int`` out. Taught in ``02_stft_and_spectrograms``.
    """
    n = as_int(n, "n", minimum=None, where="next_power_of_two")
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def preemphasis(y, coef: float = 0.97) -> np.ndarray:
    """Pre-emphasis filter ``y'[n] = y[n] - coef * y[n-1]`` (first sample kept as is).

    A first-order high-pass that boosts high frequencies by about 6 dB per octave,
    flattening the spectral tilt of voice and instruments before LP analysis (Zhao et
    al. apply pre-emphasis before extracting the LP residual). ``coef`` is usually
    0.95–0.97. A vectorised difference; no SciPy needed. (``librosa.effects.preemphasis``
    differs only in the first sample, which it extrapolates.) Shape ``(n,) -> (n,)``.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="preemphasis")
    out = y.copy()
    out[1:] -= float(coef) * y[:-1]
    return out


def alias_frequency(freq, sr: float):
    """The frequency (Hz) at which a tone of ``freq`` Hz appears after sampling at ``sr`` Hz.

    Sampling cannot tell ``f`` from ``f + m sr`` for any integer ``m``, nor ``f`` from
    ``-f``; the tone therefore shows up at the distance from ``f`` to the nearest multiple
    of ``sr``, a value in ``[0, sr / 2]``. Frequencies below the Nyquist frequency map to
    themselves. Scalar or array in, same shape out. Taught in ``01_sound_and_fourier``.
    """
    sr = as_sample_rate(sr, where="alias_frequency")
    freq = as_real_array(freq, "freq", where="alias_frequency")
    if np.any(freq < 0):
        raise OutOfRangeError(message("freq", "non-negative (Hz)", freq.item() if freq.ndim == 0 else freq,
                                      where="alias_frequency"))
    folded = np.abs(freq - sr * np.round(freq / sr))
    return folded.item() if folded.ndim == 0 else folded


def window_response_db(window, oversample: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The magnitude spectrum of a window, finely sampled, in dB relative to its peak.

    This is what a single steady tone looks like through the window: the main lobe around
    the tone and the side lobes that leak onto other bins. The window is zero-padded to
    ``oversample`` times its length so the lobes are drawn smoothly.

    Returns
    -------
    offsets : array, shape (oversample * N // 2 + 1,), distance from the tone in DFT bins
        of the un-padded length ``N``.
    response_db : array, same shape, ``20 log10(|W| / max |W|)``, floored at -300 dB.

    Taught in ``01_sound_and_fourier`` (windows and leakage).
    """
    w = _mono(window, "window", min_length=2, where="window_response_db", audio=False)
    oversample = as_int(oversample, "oversample", where="window_response_db")
    n_fft = oversample * w.size
    magnitude = np.abs(np.fft.rfft(w, n=n_fft))
    response = 20 * np.log10(np.maximum(magnitude / magnitude.max(), 1e-15))
    return np.arange(magnitude.size) / oversample, response


def highest_sidelobe_db(window, oversample: int = 64) -> float:
    """Level (dB below the main lobe, a negative number) of a window's highest side lobe.

    The main lobe ends at the first local minimum of :func:`window_response_db`; the
    highest point beyond it is the worst leakage a loud tone causes far from its bin.
    Classic values: rectangular about -13 dB, Hann -31 dB, Hamming -43 dB, Blackman -58 dB.
    Taught in ``01_sound_and_fourier``.
    """
    _, response = window_response_db(window, oversample)
    rising = np.flatnonzero(np.diff(response) > 0)
    if rising.size == 0:
        raise InputError(message("window", "a window with side lobes at this resolution", "none",
                                 where="highest_sidelobe_db", describe=False, hint="increase oversample"))
    return float(response[rising[0]:].max())


# ---------------------------------------------------------------------------------------
# 01 — DFT and FFT
# ---------------------------------------------------------------------------------------


def dft_matrix(n: int) -> np.ndarray:
    """The ``n x n`` DFT matrix ``W[k, m] = exp(-2 pi i k m / n)`` (complex128).

    ``W @ x`` is the DFT of Hao et al., Eq. 1 (``X(f) = sum_n x(n) e^{-j 2 pi f n / N}``)
    and of Liu et al., Eq. 1. The product ``k m`` is reduced modulo ``n`` before taking the
    exponential so that large ``n`` keeps full precision. Taught in ``01_sound_and_fourier``.
    """
    n = as_int(n, "n", where="dft_matrix")
    k = np.arange(n)
    return np.exp(-2j * np.pi * (np.outer(k, k) % n) / n)


def dft(x) -> np.ndarray:
    """Discrete Fourier transform by definition: a matrix product, O(N^2) (Hao et al., Eq. 1).

    Parameters
    ----------
    x : array, shape (..., N), real or complex; transformed along the last axis.

    Returns
    -------
    X : complex array, shape (..., N); ``X[k]`` is the component at ``k sr / N`` Hz.
    Equal to ``numpy.fft.fft(x)`` up to rounding. Taught in ``01_sound_and_fourier``.
    """
    x = _transform_input(x, "x", where="dft")
    return x @ dft_matrix(x.shape[-1])  # W is symmetric, so x @ W == (W @ x^T)^T


def _bit_reversed_indices(n: int) -> np.ndarray:
    bits = n.bit_length() - 1
    idx = np.arange(n)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        rev |= ((idx >> b) & 1) << (bits - 1 - b)
    return rev


def _fft_radix2(x: np.ndarray) -> np.ndarray:
    """Iterative radix-2 decimation-in-time Cooley–Tukey FFT along the last axis (n = 2^m)."""
    n = x.shape[-1]
    lead = x.shape[:-1]
    # Reorder the input so that every butterfly stage combines neighbouring blocks.
    X = x[..., _bit_reversed_indices(n)].astype(np.complex128)
    size = 2
    while size <= n:
        half = size // 2
        twiddle = np.exp(-2j * np.pi * np.arange(half) / size)
        blocks = X.reshape(lead + (n // size, size))
        even = blocks[..., :half]  # DFT (length half) of the even-indexed samples
        odd = blocks[..., half:] * twiddle  # ... of the odd-indexed ones, rotated
        X = np.concatenate([even + odd, even - odd], axis=-1).reshape(lead + (n,))
        size *= 2
    return X


def _fft_bluestein(x: np.ndarray) -> np.ndarray:
    """Bluestein's chirp-z FFT for any length: a circular convolution done with radix-2 FFTs."""
    n = x.shape[-1]
    m = 1 << (2 * n - 2).bit_length()  # power of two >= 2n - 1
    k = np.arange(n)
    chirp = np.exp(-1j * np.pi * ((k * k) % (2 * n)) / n)  # w_k = e^{-i pi k^2 / n}
    a = np.zeros(x.shape[:-1] + (m,), dtype=np.complex128)
    a[..., :n] = x * chirp
    b = np.zeros(m, dtype=np.complex128)
    b[:n] = np.conj(chirp)
    if n > 1:
        b[m - n + 1:] = np.conj(chirp[1:])[::-1]  # negative lags wrap around
    conv = _ifft_radix2(_fft_radix2(a) * _fft_radix2(b))
    return chirp * conv[..., :n]


def _ifft_radix2(X: np.ndarray) -> np.ndarray:
    return np.conj(_fft_radix2(np.conj(X))) / X.shape[-1]


def fft(x) -> np.ndarray:
    """Fast Fourier transform written by hand (the course's teaching FFT).

    * Length a power of two: iterative radix-2 Cooley–Tukey (decimation in time): reorder
      the samples by bit-reversed index, then ``log2(N)`` butterfly stages, each combining
      pairs of half-length DFTs ``E[k] +/- e^{-2 pi i k / size} O[k]``. O(N log N).
    * Any other length: **Bluestein's algorithm** (chirp-z): ``nk = (n^2 + k^2 - (k-n)^2)/2``
      turns the DFT into a convolution with a chirp, computed with radix-2 FFTs of length
      ``>= 2N - 1``. Still O(N log N), exact up to rounding.

    Parameters
    ----------
    x : array, shape (..., N), real or complex; transformed along the last axis.

    Returns
    -------
    X : complex128 array, shape (..., N), the DFT of Hao et al., Eq. 1; matches
    ``numpy.fft.fft`` to ~1e-12 relative. Taught in ``01_sound_and_fourier``.
    """
    x = _transform_input(x, "x", where="fft")
    n = x.shape[-1]
    if n & (n - 1) == 0:
        return _fft_radix2(x)
    return _fft_bluestein(x)


def ifft(X) -> np.ndarray:
    """Inverse of :func:`fft`: ``x[n] = (1/N) sum_k X[k] e^{+2 pi i k n / N}``, via
    ``conj(fft(conj(X))) / N``. Shape ``(..., N) -> (..., N)``, complex.
    Taught in ``01_sound_and_fourier``.
    """
    X = _transform_input(X, "X", where="ifft")
    return np.conj(fft(np.conj(X))) / X.shape[-1]


def rfft(x) -> np.ndarray:
    """The non-negative-frequency half of :func:`fft` for a real signal.

    A real signal's spectrum is conjugate-symmetric (``X[N-k] = conj(X[k])``), so bins
    ``0 .. N//2`` carry all the information. Shape ``(..., N) -> (..., N//2 + 1)``;
    matches ``numpy.fft.rfft``. Taught in ``01_sound_and_fourier``.
    """
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise WrongTypeError(message("x", "real", x, where="rfft", hint="use fft for complex input"))
    x = _transform_input(x, "x", where="rfft")
    return fft(x)[..., : x.shape[-1] // 2 + 1]


# ---------------------------------------------------------------------------------------
# 02 — STFT, ISTFT, dB
# ---------------------------------------------------------------------------------------


def stft(
    y,
    n_fft: int = 2048,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    use_own_fft: bool = False,
) -> np.ndarray:
    """Short-time Fourier transform, identical in behaviour to ``librosa.stft`` (0.11).

    Hao et al., Eq. 11 (``X(tau, w) = int x(t) w(t - tau) e^{-iwt} dt``) in discrete form:
    ``X[k, t] = sum_m w[m] y[t*hop + m] e^{-2 pi i k m / n_fft}``.

    Steps: a ``win_length`` window (periodic, see :func:`get_window`) is zero-padded to
    ``n_fft`` samples, centred; if ``center=True`` the signal is padded by ``n_fft // 2``
    samples on each side with ``pad_mode`` (librosa's default ``"constant"`` = zeros) so that
    frame ``t`` is centred on sample ``t * hop_length``; frames (:func:`frame_signal`) are
    windowed and transformed with a real FFT.

    Parameters
    ----------
    y : array, shape (n_samples,), mono.
    n_fft : int, FFT length in samples (frequency resolution ``sr / n_fft`` Hz).
    hop_length : int, samples between frames; default ``win_length // 4``.
    win_length : int <= n_fft, default ``n_fft``.
    window : window name (see :func:`get_window`) or array of ``win_length`` samples.
    center : bool, pad so frames are centred on ``t * hop_length``.
    pad_mode : ``numpy.pad`` mode used when ``center=True`` (``"constant"``, ``"reflect"``, ...).
    use_own_fft : bool, use the course's :func:`fft` instead of ``numpy.fft.rfft``
        (same result, slower; NumPy is the default only for speed).

    Returns
    -------
    D : complex128 array, shape (1 + n_fft // 2, n_frames); with ``center=True``
        ``n_frames = 1 + n_samples // hop_length``, otherwise
        ``1 + (n_samples - n_fft) // hop_length``.

    Taught in ``02_stft_and_spectrograms``.
    """
    return _stft(y, n_fft, hop_length, win_length, window, center, pad_mode, use_own_fft, where="stft")


def _stft(y, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True, pad_mode="constant",
          use_own_fft=False, *, where: str):
    """:func:`stft`, with errors naming ``where`` (the public function the student called)."""
    y = _mono(y, where=where)
    n_fft, hop_length, win_length = _stft_lengths(n_fft, hop_length, win_length, where=where)
    win = pad_center(_resolve_window(window, win_length, where=where), n_fft)
    if center:
        as_choice(pad_mode, "pad_mode", _STFT_PAD_MODES, where=where)
        if n_fft > y.size:
            warnings.warn(f"n_fft={n_fft} is larger than the signal ({y.size} samples)", stacklevel=3)
        y = np.pad(y, n_fft // 2, mode=pad_mode)
    elif n_fft > y.size:
        raise OutOfRangeError(message("n_fft", f"<= the signal length ({y.size} samples) with center=False",
                                      n_fft, where=where, hint="use center=True or a longer signal"))
    frames = frame_signal(y, n_fft, hop_length).T * win  # (n_frames, n_fft), contiguous rows
    if use_own_fft:
        spectrum = rfft(frames)
    else:
        spectrum = np.fft.rfft(frames, axis=-1)
    return spectrum.T  # (1 + n_fft // 2, n_frames)


def istft(
    stft_matrix,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
    n_fft: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    length: Optional[int] = None,
) -> np.ndarray:
    """Inverse STFT by weighted overlap-add, identical in behaviour to ``librosa.istft``.

    Each column is inverted with a real inverse FFT, multiplied by the synthesis window
    (the same as the analysis window), and added at ``t * hop_length``; the sum is then
    divided by the overlapped squared windows ``sum_t w^2[n - t*hop]`` wherever that sum
    is non-zero (least-squares inversion, Griffin & Lim 1984). ``istft(stft(y))`` gives
    back ``y`` when the windows overlap enough (e.g. Hann at hop ``n_fft // 4``).

    Parameters
    ----------
    stft_matrix : complex array, shape (1 + n_fft // 2, n_frames).
    hop_length, win_length, window, center : as in :func:`stft`.
    n_fft : int, default ``2 * (stft_matrix.shape[0] - 1)``.
    length : int, optional exact output length (zero-padded or trimmed).

    Returns
    -------
    y : float64 array, shape (n_samples,).

    Taught in ``02_stft_and_spectrograms``; used by :func:`spectral_subtraction`.
    """
    D = _finite(np.asarray(stft_matrix), "stft_matrix", where="istft")
    if D.ndim != 2:
        raise WrongShapeError(message("stft_matrix", "2-D (n_bins, n_frames)", f"shape {D.shape}", where="istft",
                                      describe=False))
    if D.shape[1] == 0:
        raise EmptyInputError(message("stft_matrix", "at least one frame", f"shape {D.shape}", where="istft",
                                      describe=False))
    if n_fft is None:
        n_fft = 2 * (D.shape[0] - 1)
    n_fft, hop_length, win_length = _stft_lengths(n_fft, hop_length, win_length, where="istft")
    if D.shape[0] != 1 + n_fft // 2:
        raise WrongShapeError(message("stft_matrix", f"1 + n_fft // 2 = {1 + n_fft // 2} rows", f"{D.shape[0]}",
                                      where="istft", describe=False))
    win = pad_center(_resolve_window(window, win_length, where="istft"), n_fft)

    n_frames = D.shape[1]
    if length is not None:
        length = as_int(length, "length", where="istft")
        padded = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, int(np.ceil(padded / hop_length)))

    frames = np.fft.irfft(D[:, :n_frames].T, n=n_fft, axis=-1) * win  # (n_frames, n_fft)
    total = n_fft + hop_length * (n_frames - 1)
    signal = np.zeros(total)
    norm = np.zeros(total)
    win_sq = win**2
    for t in range(n_frames):  # overlap-add; n_frames Python steps of vectorised work
        start = t * hop_length
        signal[start:start + n_fft] += frames[t]
        norm[start:start + n_fft] += win_sq
    nonzero = norm > _TINY
    signal[nonzero] /= norm[nonzero]

    start = n_fft // 2 if center else 0
    signal = signal[start:]
    if length is None:
        end = signal.size - (n_fft // 2 if center else 0)
        return signal[:end].copy()
    if signal.size >= length:
        return signal[:length].copy()
    return np.pad(signal, (0, length - signal.size))


def _spectrogram(y, S, n_fft, hop_length, win_length, window, center, pad_mode, power, *, where: str):
    """``(|STFT(y)|**power, n_fft)``, or ``(S, n_fft inferred from S)`` when ``S`` is given."""
    if S is not None:
        S = np.asarray(S)
        S = as_real_array(S, "S", where=where, dtype=S.dtype if np.issubdtype(S.dtype, np.floating) else np.float64)
        if S.ndim != 2:
            raise WrongShapeError(message("S", "2-D (n_bins, n_frames)", f"shape {S.shape}", where=where,
                                          describe=False))
        if n_fft is None or n_fft // 2 + 1 != S.shape[0]:
            n_fft = 2 * (S.shape[0] - 1)
        return S, n_fft
    if y is None:
        raise WrongTypeError(message("y", "a signal (or S a spectrogram)", "None for both", where=where,
                                     describe=False))
    power = as_float(power, "power", minimum=0, low_open=True, where=where)
    D = _stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
              center=center, pad_mode=pad_mode, where=where)
    return np.abs(D) ** power, n_fft


def power_spectrogram(
    y,
    n_fft: int = 2048,
    hop_length: Optional[int] = 512,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
) -> np.ndarray:
    """``|STFT(y)|**power``: power 2 gives energy (the default), 1 gives magnitude.

    Same settings as :func:`stft` (but ``hop_length`` defaults to 512, like librosa's
    feature functions). Returns shape (1 + n_fft // 2, n_frames), units of ``y**power``.
    Taught in ``02_stft_and_spectrograms``.
    """
    return _spectrogram(y, None, n_fft, hop_length, win_length, window, center, pad_mode, power,
                        where="power_spectrogram")[0]


def power_to_db(S, ref: Union[float, Callable] = 1.0, amin: float = 1e-10,
                top_db: Optional[float] = 80.0) -> np.ndarray:
    """Power to decibels: ``10 log10(max(S, amin)) - 10 log10(max(ref, amin))``, like librosa.

    If ``top_db`` is set, values are clipped below ``max - top_db`` dB (librosa's default is
    80 dB). ``ref`` may be a number or a function of the array (e.g. ``np.max`` for 0 dB at
    the peak). Complex input is turned into its magnitude (with a warning, as in librosa).
    Shape unchanged. Liu et al., Eq. 3 takes the (natural) log of filterbank energies;
    dB is the same up to the factor ``10 / ln 10``. Taught in ``02_stft_and_spectrograms``.
    """
    S = _finite(np.asarray(S), "S", where="power_to_db")
    amin = as_float(amin, "amin", minimum=0, low_open=True, where="power_to_db")
    if np.iscomplexobj(S):
        warnings.warn("power_to_db got complex input; using its magnitude", stacklevel=2)
        S = np.abs(S)
    ref_value = ref(S) if callable(ref) else np.abs(ref)
    db = 10.0 * np.log10(np.maximum(amin, S)) - 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        top_db = as_float(top_db, "top_db", minimum=0, where="power_to_db")
        db = np.maximum(db, db.max() - top_db)
    return db


def amplitude_to_db(S, ref: Union[float, Callable] = 1.0, amin: float = 1e-5,
                    top_db: Optional[float] = 80.0) -> np.ndarray:
    """Amplitude (magnitude) to decibels: ``20 log10(|S| / ref)`` = ``power_to_db(|S|^2, ref^2, amin^2)``.

    Same conventions as ``librosa.amplitude_to_db``. Shape unchanged.
    Taught in ``02_stft_and_spectrograms``.
    """
    magnitude = np.abs(_finite(np.asarray(S), "S", where="amplitude_to_db"))
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    amin = as_float(amin, "amin", minimum=0, low_open=True, where="amplitude_to_db")
    return power_to_db(magnitude**2, ref=ref_value**2, amin=amin**2, top_db=top_db)


def db_to_power(S_db, ref: float = 1.0) -> np.ndarray:
    """Inverse of :func:`power_to_db` (without clipping): ``ref * 10^(S_db / 10)``.

    Shape unchanged. Taught in ``02_stft_and_spectrograms``.
    """
    return ref * np.power(10.0, 0.1 * as_real_array(S_db, "S_db", where="db_to_power", finite=False))


def db_to_amplitude(S_db, ref: float = 1.0) -> np.ndarray:
    """Inverse of :func:`amplitude_to_db` (without clipping): ``ref * 10^(S_db / 20)``.

    Shape unchanged. Taught in ``02_stft_and_spectrograms``.
    """
    return ref * np.power(10.0, 0.05 * as_real_array(S_db, "S_db", where="db_to_amplitude", finite=False))


# ---------------------------------------------------------------------------------------
# 02 — mel scale and mel spectrogram
# ---------------------------------------------------------------------------------------

_SLANEY_F_SP = 200.0 / 3  # Hz per mel in the linear part
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP  # = 15 mel
_SLANEY_LOGSTEP = np.log(6.4) / 27.0  # 27 mel per factor 6.4 in frequency


def hz_to_mel(frequencies, htk: bool = False):
    """Hz to mel. Default: Slaney's Auditory Toolbox scale (librosa's default); ``htk=True``:
    ``2595 log10(1 + f / 700)``.

    Slaney: linear below 1 kHz (``f / (200/3)``, so 1 kHz = 15 mel), logarithmic above
    (27 mel per factor 6.4, i.e. ``15 + ln(f / 1000) / (ln 6.4 / 27)``). Note that the two
    scales use different units: 1 kHz is 15 Slaney-mel but ~1000 HTK-mel. See also
    :func:`hz_to_mel_hao_eq12`. Scalar in, scalar out; array in, array out (same shape).
    Taught in ``02_stft_and_spectrograms``.
    """
    f = as_real_array(frequencies, "frequencies", where="hz_to_mel", finite=False)
    if htk:
        mel = 2595.0 * np.log10(1.0 + f / 700.0)
    else:
        mel = np.where(
            f >= _SLANEY_MIN_LOG_HZ,
            _SLANEY_MIN_LOG_MEL + np.log(np.maximum(f, _SLANEY_MIN_LOG_HZ) / _SLANEY_MIN_LOG_HZ)
            / _SLANEY_LOGSTEP,
            f / _SLANEY_F_SP,
        )
    return mel.item() if mel.ndim == 0 else mel


def mel_to_hz(mels, htk: bool = False):
    """Mel to Hz, the exact inverse of :func:`hz_to_mel` (same ``htk`` flag).

    Slaney: ``m * 200/3`` below 15 mel, ``1000 exp((m - 15) ln(6.4)/27)`` above; HTK:
    ``700 (10^(m/2595) - 1)``. Taught in ``02_stft_and_spectrograms``.
    """
    m = as_real_array(mels, "mels", where="mel_to_hz", finite=False)
    if htk:
        f = 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    else:
        f = np.where(
            m >= _SLANEY_MIN_LOG_MEL,
            _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (np.maximum(m, _SLANEY_MIN_LOG_MEL) - _SLANEY_MIN_LOG_MEL)),
            m * _SLANEY_F_SP,
        )
    return f.item() if f.ndim == 0 else f


def hz_to_mel_hao_eq12(frequencies):
    """The mel scale exactly as printed in Hao et al., Eq. 12: ``mel(f) = 1000/log10(2) * log10(1 + f/1000)``.

    This equals ``1000 * log2(1 + f / 1000)`` (Fant's 1968 form): 1000 Hz -> 1000 mel, and
    every doubling of ``1 + f/1000`` adds 1000 mel. It differs from

    * the HTK/O'Shaughnessy form ``2595 log10(1 + f/700)`` (``htk=True`` in
      :func:`hz_to_mel`): same shape of curve, but the knee is at 700 Hz instead of
      1000 Hz, so Eq. 12 is more linear at low frequencies and gives fewer mels above
      1 kHz (e.g. 4 kHz: 2322 vs 2146 mel);
    * Slaney's scale (librosa's default): exactly linear below 1 kHz, log above, and in
      units where 1 kHz = 15 mel.

    The paper does not say which scale its experiments used; the course uses librosa's
    (Slaney) for features and this function to show Eq. 12. Scalar or array in, same out.
    Taught in ``02_stft_and_spectrograms``.
    """
    f = as_real_array(frequencies, "frequencies", where="hz_to_mel_hao_eq12", finite=False)
    mel = 1000.0 / np.log10(2.0) * np.log10(1.0 + f / 1000.0)
    return mel.item() if mel.ndim == 0 else mel


def mel_to_hz_hao_eq12(mels):
    """Inverse of :func:`hz_to_mel_hao_eq12`: ``f = 1000 (2^(m/1000) - 1)`` Hz.

    Scalar or array in, same out. Taught in ``02_stft_and_spectrograms``.
    """
    m = as_real_array(mels, "mels", where="mel_to_hz_hao_eq12", finite=False)
    f = 1000.0 * (np.power(2.0, m / 1000.0) - 1.0)
    return f.item() if f.ndim == 0 else f


def mel_frequencies(n_mels: int = 128, fmin: float = 0.0, fmax: float = 11025.0,
                    htk: bool = False) -> np.ndarray:
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from ``fmin`` to ``fmax``.

    Shape (n_mels,). Taught in ``02_stft_and_spectrograms``.
    """
    n_mels = as_int(n_mels, "n_mels", where="mel_frequencies")
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return np.asarray(mel_to_hz(mels, htk=htk))


def mel_filterbank(
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    htk: bool = False,
    norm: Union[str, float, None] = "slaney",
    dtype=np.float64,
) -> np.ndarray:
    """Triangular mel filterbank, matching ``librosa.filters.mel``.

    ``n_mels + 2`` edge frequencies are spaced evenly on the mel scale from ``fmin`` to
    ``fmax``; filter ``i`` rises linearly (in Hz) from edge ``i`` to a peak of 1 at edge
    ``i+1`` and falls back to 0 at edge ``i+2`` (Liu et al., Eq. 2; their printed slopes are
    garbled, this is the standard triangle). With ``norm="slaney"`` each triangle is then
    scaled by ``2 / (f_{i+2} - f_i)`` so that every filter has the same area (constant
    energy per band); ``norm=None`` keeps peak 1; a number ``p`` gives unit p-norm rows.

    Parameters
    ----------
    sr : float, Hz. n_fft : int. n_mels : int. fmin, fmax : Hz (fmax default ``sr / 2``;
    must not exceed ``sr / 2``). htk : mel formula (see :func:`hz_to_mel`).
    dtype : output dtype (librosa defaults to float32; float64 here).

    Returns
    -------
    weights : array, shape (n_mels, 1 + n_fft // 2); ``weights @ |STFT|^2`` is the mel
    spectrogram. Taught in ``02_stft_and_spectrograms``.
    """
    return _mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype, where="mel_filterbank")


def _mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype, *, where: str) -> np.ndarray:
    sr = as_sample_rate(sr, where=where)
    n_fft = as_int(n_fft, "n_fft", where=where)
    n_mels = as_int(n_mels, "n_mels", where=where)
    fmin, fmax = _fmin_fmax(sr, fmin, fmax, where=where)
    bin_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    edges = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)  # (n_mels + 2,)
    widths = np.diff(edges)
    # distance (Hz) from every edge to every FFT bin: rising and falling slopes
    offsets = edges[:, None] - bin_freqs[None, :]
    rising = -offsets[:-2] / widths[:-1, None]   # 0 at left edge, 1 at centre
    falling = offsets[2:] / widths[1:, None]     # 1 at centre, 0 at right edge
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if isinstance(norm, str):
        as_choice(norm, "norm", ("slaney",), where=where)
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    else:
        weights = _normalize(weights, norm, axis=-1, where=where)
    empty = (edges[:-2] > 0) & (weights.max(axis=1) <= 0)
    if np.any(empty):
        warnings.warn(
            f"{int(empty.sum())} mel filters are empty (narrower than one FFT bin); "
            "use a larger n_fft or fewer n_mels",
            stacklevel=3,
        )
    return weights.astype(dtype, copy=False)


def mel_spectrogram(
    y=None,
    sr: float = 22050,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    htk: bool = False,
    norm: Union[str, float, None] = "slaney",
) -> np.ndarray:
    """Mel spectrogram ``M = mel_filterbank @ |STFT(y)|^power``, matching ``librosa.feature.melspectrogram``.

    Pass either a signal ``y`` (and STFT settings) or a precomputed ``S = |STFT|^power`` of
    shape (1 + n_fft // 2, n_frames). Liu et al., Eq. 2 (inner sum of Eq. 3); the
    frequency axis is warped with the mel scale (Hao et al., Eq. 12 gives one such scale;
    this uses Slaney's by default, see :func:`hz_to_mel_hao_eq12`).

    Returns
    -------
    M : array, shape (n_mels, n_frames), power (units of ``|STFT|^power``).
    Taught in ``02_stft_and_spectrograms``.
    """
    return _mel_spectrogram(y, sr, S, n_fft, hop_length, win_length, window, center, pad_mode, power, n_mels,
                            fmin, fmax, htk, norm, where="mel_spectrogram")


def _mel_spectrogram(y=None, sr=22050, S=None, n_fft=2048, hop_length=512, win_length=None, window="hann",
                     center=True, pad_mode="constant", power=2.0, n_mels=128, fmin=0.0, fmax=None, htk=False,
                     norm="slaney", *, where: str) -> np.ndarray:
    sr = as_sample_rate(sr, where=where)
    S, n_fft = _spectrogram(y, S, n_fft, hop_length, win_length, window, center, pad_mode, power, where=where)
    basis = _mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, np.float64, where=where)
    return basis @ S


# ---------------------------------------------------------------------------------------
# 03 — DCT and MFCC
# ---------------------------------------------------------------------------------------


def dct_matrix(n_out: int, n_in: int, norm: Optional[str] = "ortho") -> np.ndarray:
    """DCT-II basis: ``C[k, m] = s_k cos(pi k (2m + 1) / (2 n_in))``, shape (n_out, n_in).

    ``norm=None``: ``s_k = 2`` (SciPy's unnormalised DCT-II). ``norm="ortho"``:
    ``s_0 = sqrt(1/n_in)``, ``s_k = sqrt(2/n_in)`` otherwise, making the full square
    matrix orthonormal. Hao et al., Eq. 13 prints ``sqrt(2/M) sum_m X_m cos(c pi (m - 1/2) / M)``,
    the ortho form except that it also uses ``sqrt(2/M)`` for ``c = 0``; Liu et al., Eq. 4
    prints the unscaled sum (half of ``norm=None``). Taught in ``03_mfcc_chroma_and_friends``.
    """
    n_out = as_int(n_out, "n_out", where="dct_matrix")
    n_in = as_int(n_in, "n_in", where="dct_matrix")
    k = np.arange(n_out)[:, None]
    m = np.arange(n_in)[None, :]
    C = np.cos(np.pi * k * (2 * m + 1) / (2 * n_in))
    if norm is None:
        return 2.0 * C
    as_choice(norm, "norm", ("ortho", None), where="dct_matrix")
    scale = np.full((n_out, 1), np.sqrt(2.0 / n_in))
    scale[0] = np.sqrt(1.0 / n_in)
    return scale * C


def dct_type2(x, n: Optional[int] = None, axis: int = -1, norm: Optional[str] = "ortho") -> np.ndarray:
    """DCT-II of ``x`` along ``axis`` as a matrix product, matching ``scipy.fft.dct(x, type=2, n=n, axis=axis, norm=norm)``.

    ``n`` follows SciPy: the transform length; the input is truncated or zero-padded to
    ``n`` along ``axis`` (default: its length). Output has length ``n`` along ``axis``.
    ``norm``: ``"ortho"`` or ``None`` (see :func:`dct_matrix`). Liu et al., Eq. 4;
    Hao et al., Eq. 13. Taught in ``03_mfcc_chroma_and_friends``.
    """
    xm = np.moveaxis(_transform_input(x, "x", where="dct_type2", axis=axis, real=True), axis, -1)
    length = xm.shape[-1] if n is None else as_int(n, "n", where="dct_type2")
    if xm.shape[-1] >= length:
        xm = xm[..., :length]
    else:
        xm = np.concatenate([xm, np.zeros(xm.shape[:-1] + (length - xm.shape[-1],))], axis=-1)
    out = xm @ dct_matrix(length, length, norm=norm).T
    return np.moveaxis(out, -1, axis)


def idct_type2(X, n: Optional[int] = None, axis: int = -1, norm: Optional[str] = "ortho") -> np.ndarray:
    """Inverse of :func:`dct_type2` (a DCT-III), matching ``scipy.fft.idct(X, type=2, n=n, axis=axis, norm=norm)``.

    ``n`` is the output length along ``axis``; ``X`` is truncated or **zero-padded** to
    ``n`` first. Zero-padding is what makes it useful for MFCC: ``idct_type2(c[:k], n=n_mels,
    axis=0)`` rebuilds the log-mel spectrum from its first ``k`` cepstral coefficients (the
    rest set to 0), a smoothed spectral envelope. With ``norm="ortho"`` the inverse is the
    transpose of :func:`dct_matrix`; with ``norm=None`` it undoes SciPy's unnormalised DCT-II.
    Shape: ``X`` with ``axis`` resized to ``n``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    Xm = np.moveaxis(_transform_input(X, "X", where="idct_type2", axis=axis, real=True), axis, -1)
    length = Xm.shape[-1] if n is None else as_int(n, "n", where="idct_type2")
    if Xm.shape[-1] >= length:
        Xm = Xm[..., :length]
    else:
        Xm = np.concatenate([Xm, np.zeros(Xm.shape[:-1] + (length - Xm.shape[-1],))], axis=-1)
    C = dct_matrix(length, length, norm="ortho")
    if norm is None:  # dct_matrix(norm=None) = diag(2 / s_k) @ C_ortho, so its inverse is C_ortho.T @ diag(s_k / 2)
        s = np.full(length, np.sqrt(2.0 / length))
        s[0] = np.sqrt(1.0 / length)
        Xm = Xm * (s / 2.0)
    else:
        as_choice(norm, "norm", ("ortho", None), where="idct_type2")
    return np.moveaxis(Xm @ C, -1, axis)


def dct_matrix_hao_eq13(n_out: int, n_in: int) -> np.ndarray:
    """The MFCC transform exactly as printed in Hao et al., Eq. 13, as a matrix (n_out, n_in).

    ``MFCC_c = sqrt(2/M) sum_{m=1}^{M} X_m cos(c pi (m - 1/2) / M)`` with ``M = n_in`` mel
    bands counted from 1 and ``c = 0 .. n_out - 1`` (the paper gives no range for ``c``; the
    ``M_m`` in its denominator is read as ``M``). With ``m`` counted from 1, ``m - 1/2`` is
    the standard DCT-II sample position, so every row equals :func:`dct_matrix` (``"ortho"``)
    except row 0, which is ``sqrt(2)`` times larger: the printed formula uses ``sqrt(2/M)``
    for ``c = 0`` too, so it is not orthonormal. Taught in ``03_mfcc_chroma_and_friends``.
    """
    n_out = as_int(n_out, "n_out", where="dct_matrix_hao_eq13")
    n_in = as_int(n_in, "n_in", where="dct_matrix_hao_eq13")
    c = np.arange(n_out)[:, None]
    m = np.arange(1, n_in + 1)[None, :]
    return np.sqrt(2.0 / n_in) * np.cos(c * np.pi * (m - 0.5) / n_in)


def mfcc(
    y=None,
    sr: float = 22050,
    S=None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: Optional[str] = "ortho",
    lifter: float = 0,
    mel_norm: Union[str, float, None] = "slaney",
    top_db: Optional[float] = 80.0,
    **kwargs,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients, matching ``librosa.feature.mfcc``.

    Pipeline (Liu et al., Eq. 1–4; Hao et al., Eq. 13): STFT power -> mel filterbank ->
    ``power_to_db`` (``ref=1``, ``amin=1e-10``, ``top_db=80``, as librosa) -> DCT-II along
    the mel axis (:func:`dct_type2`, ``norm="ortho"``) -> keep the first ``n_mfcc``.
    With ``lifter > 0`` coefficient ``k`` is multiplied by ``1 + (lifter/2) sin(pi (k+1) / lifter)``.

    Parameters
    ----------
    y : signal, or ``S``: a log-power (dB) mel spectrogram (n_mels, n_frames).
    n_mfcc : int, number of coefficients kept.
    dct_type : only 2 is implemented (librosa's default); other values raise ValueError.
    norm : DCT normalisation, ``"ortho"`` or None. mel_norm : passed to the filterbank.
    top_db : dB clipping of the log-mel spectrogram (librosa: 80).
    **kwargs : STFT/mel settings of :func:`mel_spectrogram` (n_fft, hop_length, n_mels,
        fmin, fmax, htk, window, center, pad_mode, power, win_length).

    Returns
    -------
    M : array, shape (n_mfcc, n_frames). Taught in ``03_mfcc_chroma_and_friends``.
    """
    if dct_type != 2:
        raise UnknownOptionError(message("dct_type", "2 (only the DCT-II is implemented)", dct_type, where="mfcc"))
    n_mfcc = as_int(n_mfcc, "n_mfcc", where="mfcc")
    if S is None:
        S = power_to_db(_mel_spectrogram(y=y, sr=sr, norm=mel_norm, where="mfcc", **kwargs), top_db=top_db)
    else:
        S = as_real_array(S, "S", where="mfcc")
        if S.ndim != 2:
            raise WrongShapeError(message("S", "a 2-D log-mel spectrogram (n_mels, n_frames)", f"shape {S.shape}",
                                          where="mfcc", describe=False))
    if n_mfcc > S.shape[0]:
        raise OutOfRangeError(message("n_mfcc", f"<= the number of mel bands {S.shape[0]}", n_mfcc, where="mfcc"))
    M = dct_matrix(n_mfcc, S.shape[0], norm=norm) @ S
    lifter = as_float(lifter, "lifter", minimum=0, where="mfcc")
    if lifter > 0:
        k = np.arange(1, n_mfcc + 1)
        M = M * (1.0 + (lifter / 2.0) * np.sin(np.pi * k / lifter))[:, None]
    return M


# ---------------------------------------------------------------------------------------
# 03 — chroma and tuning
# ---------------------------------------------------------------------------------------


def hz_to_octs(frequencies, tuning: float = 0.0, bins_per_octave: int = 12):
    """Frequency to (fractional) octave number, with ``A4 = 440 * 2^(tuning/bins_per_octave)`` Hz
    at octave 4.75 (so C4 ~ octave 4): ``log2(f / (A4 / 16))``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    bins_per_octave = as_int(bins_per_octave, "bins_per_octave", where="hz_to_octs")
    a4 = 440.0 * 2.0 ** (as_float(tuning, "tuning", where="hz_to_octs") / bins_per_octave)
    return np.log2(as_real_array(frequencies, "frequencies", where="hz_to_octs", finite=False) / (a4 / 16.0))


def chroma_filterbank(
    sr: float,
    n_fft: int,
    n_chroma: int = 12,
    tuning: float = 0.0,
    ctroct: float = 5.0,
    octwidth: Optional[float] = 2,
    norm: Optional[float] = 2,
    base_c: bool = True,
    dtype=np.float64,
) -> np.ndarray:
    """Chroma filterbank (Ellis's ``chromagram_E``), matching ``librosa.filters.chroma``.

    Each FFT bin ``k`` (frequency ``k sr / n_fft``) is mapped to a continuous chroma
    position ``p_k = n_chroma * log2(f / (A4/16))``; the DC bin, which has no pitch, is
    placed 1.5 octaves below bin 1. Chroma row ``c`` gives bin ``k`` the weight of a
    Gaussian bump in the circular distance ``d`` (wrapped to ``[-n_chroma/2, n_chroma/2)``)
    between ``p_k`` and ``c``: ``exp(-0.5 (2 d / w_k)^2)``, where ``w_k`` (>= 1) is the
    distance to the next bin's position, so low bins that span several semitones spread
    over several chroma rows. Columns are normalised (``norm``, default L2), then weighted
    by a Gaussian in octave centred on ``ctroct`` with standard deviation ``octwidth``
    octaves (``None`` = flat), which de-emphasises very low and very high bins. With
    ``base_c=True`` row 0 is C (Hao et al., Eq. 14 order ``C, C#, ..., B``); otherwise A.

    Returns
    -------
    weights : array, shape (n_chroma, 1 + n_fft // 2). Taught in ``03_mfcc_chroma_and_friends``.
    """
    sr = as_sample_rate(sr, where="chroma_filterbank")
    n_fft = as_int(n_fft, "n_fft", minimum=2, where="chroma_filterbank")
    n_chroma = as_int(n_chroma, "n_chroma", where="chroma_filterbank")
    freqs = np.arange(1, n_fft) * (sr / n_fft)  # full-FFT bins except DC
    position = n_chroma * hz_to_octs(freqs, tuning=tuning, bins_per_octave=n_chroma)
    position = np.concatenate(([position[0] - 1.5 * n_chroma], position))  # DC placeholder
    width = np.concatenate((np.maximum(np.diff(position), 1.0), [1.0]))
    half = np.round(n_chroma / 2.0)
    # circular distance (in chroma bins) from every bin's position to every chroma row
    distance = position[None, :] - np.arange(n_chroma, dtype=np.float64)[:, None]
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2.0 * distance / width[None, :]) ** 2)
    weights = _normalize(weights, norm, axis=0, where="chroma_filterbank")
    if octwidth is not None:
        octave = position / n_chroma
        weights *= np.exp(-0.5 * ((octave - ctroct) / octwidth) ** 2)[None, :]
    if base_c:
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)  # A-based -> C-based rows
    return np.ascontiguousarray(weights[:, : 1 + n_fft // 2], dtype=dtype)


def _parabolic_shift(S: np.ndarray) -> np.ndarray:
    """Offset (in bins, along axis 0) of the vertex of the parabola through each bin and its
    two neighbours; 0 where the vertex would be more than one bin away and at the edges."""
    shift = np.zeros_like(S, dtype=np.float64)
    left, mid, right = S[:-2], S[1:-1], S[2:]
    curvature = right + left - 2.0 * mid
    slope = 0.5 * (right - left)
    ok = np.abs(slope) < np.abs(curvature)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift[1:-1] = np.where(ok, -slope / np.where(ok, curvature, 1.0), 0.0)
    return shift


def _local_max(x: np.ndarray) -> np.ndarray:
    """Local maxima along axis 0: ``x[i] > x[i-1]`` and ``x[i] >= x[i+1]``; the first bin
    never counts, the last counts if it exceeds its left neighbour."""
    peak = np.zeros(x.shape, dtype=bool)
    peak[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    if x.shape[0] > 1:
        peak[-1] = x[-1] > x[-2]
    return peak


def piptrack(
    y=None,
    sr: float = 22050,
    S=None,
    n_fft: int = 2048,
    hop_length: Optional[int] = None,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> tuple[np.ndarray, np.ndarray]:
    """Peak picking with parabolic interpolation (librosa's ``piptrack``), for tuning estimation.

    In every frame of the magnitude spectrum (``|S|``; ``S`` is used as given if passed),
    bins between ``fmin`` and ``fmax`` that are local maxima and exceed ``threshold`` x the
    frame's maximum are peaks. A parabola through the peak and its neighbours refines its
    frequency to ``(k + shift) sr / n_fft`` and its height to ``S + 0.5 * gradient * shift``
    (Smith & Serra's quadratic interpolation).

    Returns
    -------
    pitches, magnitudes : arrays, shape (1 + n_fft // 2, n_frames); zero except at peaks.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    sr = as_sample_rate(sr, where="piptrack")
    S, n_fft = _spectrogram(y, S, n_fft, hop_length, win_length, window, center, pad_mode, 1.0,
                            where="piptrack")
    S = np.abs(S)
    fmin = max(float(fmin), 0.0)
    fmax = min(float(fmax), sr / 2.0)
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    gradient = np.gradient(S, axis=0)
    shift = _parabolic_shift(S)
    in_band = ((freqs >= fmin) & (freqs < fmax))[:, None]
    loud = S > threshold * S.max(axis=0, keepdims=True)
    rows, cols = np.nonzero(in_band & _local_max(S * loud))
    pitches = np.zeros_like(S)
    mags = np.zeros_like(S)
    pitches[rows, cols] = (rows + shift[rows, cols]) * sr / n_fft
    mags[rows, cols] = S[rows, cols] + 0.5 * gradient[rows, cols] * shift[rows, cols]
    return pitches, mags


def pitch_tuning(frequencies, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """Most common deviation of ``frequencies`` (Hz) from the equal-tempered grid (A4 = 440 Hz).

    Each frequency's distance to the nearest semitone, in fractions of a bin
    (``[-0.5, 0.5)``), is put in a histogram with ``resolution``-wide bins; the left edge of
    the fullest bin is returned (librosa's convention). Returns 0.0 (with a warning) if no
    positive frequency is given. Taught in ``03_mfcc_chroma_and_friends``.
    """
    bins_per_octave = as_int(bins_per_octave, "bins_per_octave", where="pitch_tuning")
    f = np.atleast_1d(as_real_array(frequencies, "frequencies", where="pitch_tuning", finite=False))
    f = f[f > 0]
    if f.size == 0:
        warnings.warn("pitch_tuning: no positive frequency to estimate tuning from", stacklevel=2)
        return 0.0
    deviation = np.mod(bins_per_octave * hz_to_octs(f), 1.0)
    deviation[deviation >= 0.5] -= 1.0
    edges = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, _ = np.histogram(deviation, edges)
    return float(edges[np.argmax(counts)])


def estimate_tuning(
    y=None,
    sr: float = 22050,
    S=None,
    n_fft: int = 2048,
    resolution: float = 0.01,
    bins_per_octave: int = 12,
    **kwargs,
) -> float:
    """Estimate the tuning offset (fraction of a chroma bin, in [-0.5, 0.5)) of a recording.

    As ``librosa.estimate_tuning``: :func:`piptrack` finds spectral peaks; the peaks at or
    above the median peak height vote in :func:`pitch_tuning`. A recording tuned to
    A4 = 446 Hz gives about ``12 log2(446/440) = 0.23``. ``S`` (if given) is used as the
    spectrum as is (``chroma_stft`` passes its power spectrogram, like librosa).
    ``kwargs`` go to :func:`piptrack`. Taught in ``03_mfcc_chroma_and_friends``.
    """
    pitch, mag = piptrack(y=y, sr=sr, S=S, n_fft=n_fft, **kwargs)
    voiced = pitch > 0
    threshold = np.median(mag[voiced]) if voiced.any() else 0.0
    return pitch_tuning(pitch[(mag >= threshold) & voiced], resolution=resolution,
                        bins_per_octave=bins_per_octave)


def chroma_stft(
    y=None,
    sr: float = 22050,
    S=None,
    norm: Optional[float] = np.inf,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    tuning: Optional[float] = None,
    n_chroma: int = 12,
    ctroct: float = 5.0,
    octwidth: Optional[float] = 2,
    base_c: bool = True,
) -> np.ndarray:
    """Chromagram from the STFT power spectrum, matching ``librosa.feature.chroma_stft``.

    Hao et al., Eq. 14: a 12-vector per frame with one entry per pitch class
    ``C, C#, D, ..., B`` (:data:`PITCH_CLASSES`). Computed as
    ``chroma_filterbank @ |STFT|^2``, then each frame is normalised (``norm=inf``: its
    largest pitch class is 1; silent frames stay 0). With ``tuning=None`` the tuning is
    first estimated from the spectrum (:func:`estimate_tuning`), as librosa does; pass
    ``tuning=0.0`` for A4 = 440 Hz. ``S`` (optional) is a power spectrogram.

    Returns
    -------
    chroma : array, shape (n_chroma, n_frames), in [0, 1] with the default norm.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    sr = as_sample_rate(sr, where="chroma_stft")
    S, n_fft = _spectrogram(y, S, n_fft, hop_length, win_length, window, center, pad_mode, 2.0,
                            where="chroma_stft")
    if tuning is None:
        tuning = estimate_tuning(S=S, sr=sr, bins_per_octave=n_chroma)
    basis = chroma_filterbank(sr, n_fft, n_chroma=n_chroma, tuning=tuning, ctroct=ctroct,
                              octwidth=octwidth, base_c=base_c)
    return _normalize(basis @ S, norm, axis=0, where="chroma_stft")


# ---------------------------------------------------------------------------------------
# 02 — wideband and narrowband spectrograms (Zhao et al.)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpectrogramWithAxes:
    """A spectrogram array together with its axes; unpacks as ``S, freqs, times = ...``.

    What :func:`wideband_spectrogram`, :func:`narrowband_spectrogram` and
    :func:`wide_and_narrowband_spectrograms` return (a result, not a transform: the batched
    torch transform is :class:`mer_lessons.features.Spectrogram`).
    S: (n_bins, n_frames) array, ``|STFT|^power``; freqs: (n_bins,) Hz; times: (n_frames,)
    s, the centre of each frame; win_length, hop_length, n_fft: samples; sr: Hz.
    Taught in ``02_stft_and_spectrograms``.
    """

    S: np.ndarray
    freqs: np.ndarray
    times: np.ndarray
    win_length: int
    hop_length: int
    n_fft: int
    sr: float

    def __iter__(self):
        return iter((self.S, self.freqs, self.times))


def _band_spectrogram(y, sr, window_ms, hop_ms, n_fft, window, power, center, *, where: str) -> SpectrogramWithAxes:
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    win_length = ms_to_samples(window_ms, sr, "window_ms", minimum=2, where=where)
    hop_ms = window_ms / 2.0 if hop_ms is None else hop_ms
    hop_length = ms_to_samples(hop_ms, sr, "hop_ms", where=where)
    n_fft = next_power_of_two(win_length) if n_fft is None else as_int(n_fft, "n_fft", where=where)
    D = _stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
              center=center, where=where)
    S = np.abs(D) ** as_float(power, "power", minimum=0, low_open=True, where=where)
    offset = 0 if center else n_fft // 2
    return SpectrogramWithAxes(S, fft_frequencies(sr, n_fft), frame_times(S.shape[1], sr, hop_length, offset),
                       win_length, hop_length, n_fft, sr)


def wideband_spectrogram(
    y,
    sr: float,
    window_ms: float = 3.0,
    hop_ms: Optional[float] = None,
    n_fft: Optional[int] = None,
    window: WindowSpec = "hann",
    power: float = 2.0,
    center: bool = True,
) -> SpectrogramWithAxes:
    """Wideband spectrogram: a short (~3 ms) window, fine in time, coarse in frequency.

    Zhao et al. (MultiSpec-DNN, Sec. IV) use "window widths of approximately 3 ms/25 ms"
    for the wideband/narrowband pair. A 3 ms window has a bandwidth of roughly
    ``2 / 0.003 s ~ 670 Hz`` (Hann main lobe), wider than the spacing of voice or
    instrument harmonics, so harmonics merge into formant bands while onsets and plosives
    show up as sharp vertical lines. The paper gives no hop; the default is half the
    window (no sample skipped). ``n_fft`` defaults to the next power of two >= the window.

    Returns
    -------
    :class:`SpectrogramWithAxes` ``(S, freqs, times, win_length, hop_length, n_fft, sr)``, ``S`` of
    shape (1 + n_fft // 2, n_frames). Taught in ``02_stft_and_spectrograms``.
    """
    return _band_spectrogram(y, sr, window_ms, hop_ms, n_fft, window, power, center, where="wideband_spectrogram")


def narrowband_spectrogram(
    y,
    sr: float,
    window_ms: float = 25.0,
    hop_ms: Optional[float] = None,
    n_fft: Optional[int] = None,
    window: WindowSpec = "hann",
    power: float = 2.0,
    center: bool = True,
) -> SpectrogramWithAxes:
    """Narrowband spectrogram: a long (~25 ms) window, fine in frequency, coarse in time.

    Zhao et al. (Sec. IV): the ~25 ms window (bandwidth ~80 Hz) resolves individual
    harmonics, which appear as thin horizontal lines following the pitch, at the cost of
    smearing fast events over 25 ms. Same parameters and return value as
    :func:`wideband_spectrogram` (default hop: half the window). Taught in
    ``02_stft_and_spectrograms``.
    """
    return _band_spectrogram(y, sr, window_ms, hop_ms, n_fft, window, power, center,
                             where="narrowband_spectrogram")


def wide_and_narrowband_spectrograms(
    y,
    sr: float,
    wide_ms: float = 3.0,
    narrow_ms: float = 25.0,
    hop_ms: float = 1.5,
    n_fft: Optional[int] = None,
    window: WindowSpec = "hann",
    power: float = 2.0,
) -> tuple[SpectrogramWithAxes, SpectrogramWithAxes]:
    """The MultiSpec-DNN input pair (Zhao et al.): wideband and narrowband spectrograms of the
    **same shape**, so they can be stacked as channels.

    Both use the same hop (default 1.5 ms, half the short window, so the wideband one
    keeps its time resolution) and the same ``n_fft`` (default: next power of two >= the
    long window); only the window length differs. Returns ``(wide, narrow)``
    :class:`SpectrogramWithAxes` s. Taught in ``02_stft_and_spectrograms``.
    """
    y = _mono(y, where="wide_and_narrowband_spectrograms")
    sr = as_sample_rate(sr, where="wide_and_narrowband_spectrograms")
    if n_fft is None:
        n_fft = next_power_of_two(ms_to_samples(narrow_ms, sr, "narrow_ms", where="wide_and_narrowband_spectrograms"))
    wide = wideband_spectrogram(y, sr, wide_ms, hop_ms, n_fft, window, power)
    narrow = narrowband_spectrogram(y, sr, narrow_ms, hop_ms, n_fft, window, power)
    return wide, narrow


# ---------------------------------------------------------------------------------------
# 03 — gammatone filterbank (Zhao et al., GTF)
# ---------------------------------------------------------------------------------------

_ERB_MIN = 24.7  # Hz, Glasberg & Moore: ERB(f) = 24.7 (4.37 f / 1000 + 1)


def erb_bandwidth(frequencies):
    """Equivalent rectangular bandwidth (Hz) of the auditory filter at ``f`` Hz
    (Glasberg & Moore 1990): ``24.7 (4.37 f / 1000 + 1)``. Taught in ``03_mfcc_chroma_and_friends``."""
    f = as_real_array(frequencies, "frequencies", where="erb_bandwidth", finite=False)
    return _ERB_MIN * (4.37e-3 * f + 1.0)


def hz_to_erb_rate(frequencies):
    """ERB-rate (number of ERBs below ``f`` Hz; Glasberg & Moore 1990): ``21.4 log10(1 + 4.37 f / 1000)``.

    Scalar or array in, same shape out. Taught in ``03_mfcc_chroma_and_friends``.
    """
    f = as_real_array(frequencies, "frequencies", where="hz_to_erb_rate", finite=False)
    return 21.4 * np.log10(1.0 + 4.37e-3 * f)


def erb_rate_to_hz(erb_rate):
    """Inverse of :func:`hz_to_erb_rate`: ``(10^(E / 21.4) - 1) / 0.00437`` Hz.

    Scalar or array in, same shape out. Taught in ``03_mfcc_chroma_and_friends``.
    """
    e = as_real_array(erb_rate, "erb_rate", where="erb_rate_to_hz", finite=False)
    return (np.power(10.0, e / 21.4) - 1.0) / 4.37e-3


def gammatone_center_frequencies(n_bands: int = 64, fmin: float = 50.0, fmax: float = 8000.0) -> np.ndarray:
    """``n_bands`` centre frequencies (Hz, ascending) equally spaced on the ERB-rate scale
    from ``fmin`` to ``fmax`` (both included). Shape (n_bands,). Taught in ``03_mfcc_chroma_and_friends``."""
    n_bands = as_int(n_bands, "n_bands", where="gammatone_center_frequencies")
    fmin = as_frequency(fmin, "fmin", where="gammatone_center_frequencies")
    fmax = as_frequency(fmax, "fmax", where="gammatone_center_frequencies")
    if fmin >= fmax:
        raise OutOfRangeError(message("fmin", f"below fmax={fmax:g} Hz", fmin, where="gammatone_center_frequencies"))
    return erb_rate_to_hz(np.linspace(hz_to_erb_rate(fmin), hz_to_erb_rate(fmax), n_bands))


def gammatone_impulse_response(fc: float, sr: float, duration: Optional[float] = None,
                               order: int = 4, b: float = 1.019) -> np.ndarray:
    """Impulse response of a gammatone filter: ``g(t) = t^(n-1) exp(-2 pi b ERB(fc) t) cos(2 pi fc t)``.

    ``n = order`` (4: Patterson's auditory filter), ``b = 1.019`` makes the filter's
    equivalent rectangular bandwidth equal to ``ERB(fc)`` (:func:`erb_bandwidth`). Scaled
    to unit gain at ``fc``. ``duration`` (s) defaults to where the envelope has decayed by
    more than 150 dB. Returns shape (round(duration * sr),). Taught in ``03_mfcc_chroma_and_friends``.
    """
    sr = as_sample_rate(sr, where="gammatone_impulse_response")
    fc = as_frequency(fc, "fc", where="gammatone_impulse_response")
    order = as_int(order, "order", where="gammatone_impulse_response")
    bw = b * float(erb_bandwidth(fc))
    if duration is None:
        duration = (order - 1 + 25.0) / (2 * np.pi * bw)
    duration = as_float(duration, "duration", minimum=0, low_open=True, where="gammatone_impulse_response")
    n = max(2, int(round(duration * sr)))
    t = np.arange(n) / sr
    g = t ** (order - 1) * np.exp(-2 * np.pi * bw * t) * np.cos(2 * np.pi * fc * t)
    gain = np.abs(np.sum(g * np.exp(-2j * np.pi * fc * t)))
    return g / gain


def gammatone_filterbank(
    sr: float,
    n_fft: int,
    n_bands: int = 64,
    fmin: float = 50.0,
    fmax: Optional[float] = None,
    order: int = 4,
    b: float = 1.019,
) -> np.ndarray:
    """Magnitude responses of ``n_bands`` gammatone filters on the FFT bins (FFT-weighting form).

    The gammatone's spectrum is dominated by the term at positive frequencies,
    ``|H(f)| = (1 + ((f - fc) / (b ERB(fc)))^2)^(-order/2)`` (exact for that term, 1 at
    ``fc``); the mirror term at ``-fc`` is negligible except for the lowest bands and is
    dropped, as in Ellis's ``fft2gammatonemx`` approximation. Centre frequencies are
    ERB-spaced (:func:`gammatone_center_frequencies`, Glasberg & Moore); ``fmax`` defaults
    to ``sr / 2``. Used by Zhao et al. for their GTF features.

    Returns
    -------
    weights : array, shape (n_bands, 1 + n_fft // 2), magnitude gains in [0, 1]; the band
    energy is ``(weights ** 2) @ |STFT|^2``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    sr = as_sample_rate(sr, where="gammatone_filterbank")
    n_fft = as_int(n_fft, "n_fft", where="gammatone_filterbank")
    fmin, fmax = _fmin_fmax(sr, fmin, fmax, where="gammatone_filterbank")
    if fmin <= 0:
        raise OutOfRangeError(message("fmin", "> 0 Hz for a gammatone filterbank", fmin, where="gammatone_filterbank"))
    centres = gammatone_center_frequencies(n_bands, fmin, fmax)
    bw = b * erb_bandwidth(centres)
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    order = as_int(order, "order", where="gammatone_filterbank")
    return (1.0 + ((freqs[None, :] - centres[:, None]) / bw[:, None]) ** 2) ** (-order / 2.0)


def gammatone_spectrogram(
    y,
    sr: float,
    n_bands: int = 64,
    fmin: float = 50.0,
    fmax: Optional[float] = None,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    n_fft: Optional[int] = None,
    method: str = "fft",
    order: int = 4,
    center: bool = True,
) -> np.ndarray:
    """Energy per gammatone band per frame (a "gammatonegram"; Zhao et al.'s GTF features).

    ``method="fft"`` (default, fast): ``(gammatone_filterbank ** 2) @ |STFT|^2`` with a Hann
    window. ``method="fir"``: the signal is really filtered with each gammatone impulse
    response (:func:`gammatone_impulse_response`, convolution by FFT), and the output
    energy is averaged over rectangular frames of ``win_length`` centred on
    ``t * hop_length``. Both give the same picture; absolute scales differ.
    Defaults: 25 ms frames, 10 ms hop (Ellis's gammatonegram), ``n_fft`` = next power of
    two >= ``win_length``. The paper does not give the band count (its Table III lists GTF
    maps of 24 x 44); 64 bands are used here by default.

    Returns
    -------
    E : array, shape (n_bands, n_frames), band energies (bands ascending in frequency;
    frame count as :func:`stft` with ``center``). Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="gammatone_spectrogram")
    sr = as_sample_rate(sr, where="gammatone_spectrogram")
    where = "gammatone_spectrogram"
    win_length = int(round(0.025 * sr)) if win_length is None else as_int(win_length, "win_length", where=where)
    hop_length = int(round(0.010 * sr)) if hop_length is None else as_int(hop_length, "hop_length", where=where)
    n_fft = next_power_of_two(win_length) if n_fft is None else as_int(n_fft, "n_fft", where="gammatone_spectrogram")
    if method == "fft":
        P = np.abs(_stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                         center=center, where=where)) ** 2
        W = gammatone_filterbank(sr, n_fft, n_bands=n_bands, fmin=fmin, fmax=fmax, order=order)
        return (W**2) @ P
    as_choice(method, "method", ("fft", "fir"), where="gammatone_spectrogram")
    fmin, fmax = _fmin_fmax(sr, fmin, fmax, where="gammatone_spectrogram")
    centres = gammatone_center_frequencies(n_bands, fmin, fmax)
    irs = [gammatone_impulse_response(fc, sr, order=order) for fc in centres]
    n_conv = y.size + max(len(g) for g in irs) - 1
    size = next_power_of_two(n_conv)
    Y = np.fft.rfft(y, size)
    out = np.empty((n_bands, y.size))
    for i, g in enumerate(irs):
        out[i] = np.fft.irfft(Y * np.fft.rfft(g, size), size)[: y.size]
    power = out**2
    if center:  # frame t centred on sample t * hop_length, as in stft: 1 + n // hop frames
        power = np.pad(power, ((0, 0), (win_length // 2, win_length)))
        n_frames = 1 + y.size // hop_length
    elif y.size < win_length:
        raise OutOfRangeError(message("win_length", f"<= the signal length ({y.size} samples) with center=False",
                                      win_length, where="gammatone_spectrogram"))
    else:
        n_frames = 1 + (y.size - win_length) // hop_length
    csum = np.concatenate([np.zeros((n_bands, 1)), np.cumsum(power, axis=1)], axis=1)
    starts = np.arange(n_frames) * hop_length
    return (csum[:, starts + win_length] - csum[:, starts]) / win_length


# ---------------------------------------------------------------------------------------
# 03 — linear prediction, residual, residual phase (Zhao et al.)
# ---------------------------------------------------------------------------------------


def autocorrelation(y, max_lag: int) -> np.ndarray:
    """Biased autocorrelation ``r[k] = sum_n y[n] y[n + k]`` for ``k = 0 .. max_lag``.

    Shape ``(..., n) -> (..., max_lag + 1)`` (works on a batch of frames along the last
    axis). Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _transform_input(y, "y", where="autocorrelation", real=True)
    max_lag = as_int(max_lag, "max_lag", minimum=0, where="autocorrelation")
    n = y.shape[-1]
    if max_lag >= n:
        raise OutOfRangeError(message("max_lag", f"smaller than the signal length {n}", max_lag,
                                      where="autocorrelation"))
    return np.stack([np.sum(y[..., : n - k] * y[..., k:], axis=-1) for k in range(max_lag + 1)], axis=-1)


def levinson_durbin(r, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the autocorrelation normal equations with the Levinson–Durbin recursion.

    Finds ``a = [1, a_1, ..., a_p]`` minimising the prediction error of
    ``y[n] ~ -sum_k a_k y[n-k]``, i.e. solving ``sum_j a_j r[|i - j|] = -r[i]``
    (``i = 1..p``) in O(p^2) by growing the predictor one order at a time with reflection
    coefficients ``k_i``; the error shrinks by ``(1 - k_i^2)`` at each step. If the error
    reaches zero (a perfectly predictable signal) the remaining coefficients stay 0.

    Parameters
    ----------
    r : array, shape (..., >= order + 1), autocorrelation(s) (batched along leading axes).

    Returns
    -------
    a : (..., order + 1), ``a[..., 0] = 1``; err : (...), final prediction error power;
    k : (..., order), reflection coefficients. Taught in ``03_mfcc_chroma_and_friends``.
    """
    r = as_real_array(r, "r", where="levinson_durbin")
    order = as_int(order, "order", where="levinson_durbin")
    if r.shape[-1] < order + 1:
        raise EmptyInputError(message("r", f"at least order + 1 = {order + 1} lags long", f"{r.shape[-1]}",
                                      where="levinson_durbin", describe=False))
    lead = r.shape[:-1]
    a = np.zeros(lead + (order + 1,))
    a[..., 0] = 1.0
    refl = np.zeros(lead + (order,))
    err = r[..., 0].copy()
    for i in range(1, order + 1):
        acc = r[..., i] + np.sum(a[..., 1:i] * r[..., i - 1:0:-1], axis=-1)
        alive = err > 1e-12 * np.maximum(r[..., 0], _TINY)
        k = np.where(alive, -acc / np.where(alive, err, 1.0), 0.0)
        a[..., 1:i] = a[..., 1:i] + k[..., None] * a[..., i - 1:0:-1]
        a[..., i] = k
        refl[..., i - 1] = k
        err = np.where(alive, err * (1.0 - k * k), err)
    return a, err, refl


def lpc(y, order: int) -> np.ndarray:
    """Linear-prediction coefficients by the autocorrelation method (Levinson–Durbin).

    Returns ``a = [1, a_1, ..., a_order]`` of the prediction-error filter
    ``A(z) = 1 + sum_k a_k z^-k`` (the convention of ``librosa.lpc`` and
    ``scipy.signal.lfilter(a, [1], y)``): ``y[n] ~ -sum_k a_k y[n-k]``. ``y`` is used as
    given: window it first (e.g. Hamming) for short frames. An all-zero ``y`` gives the
    trivial predictor ``[1, 0, ..., 0]``. librosa uses Burg's method instead; both solve
    the same problem and agree closely on long signals, not exactly.
    Zhao et al. use order 16 for the LP residual. Shape ``(n,) -> (order + 1,)``.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="lpc")
    order = as_int(order, "order", where="lpc")
    if order >= y.size:
        raise OutOfRangeError(message("order", f"smaller than the signal length ({y.size} samples)", order,
                                      where="lpc"))
    a, _, _ = levinson_durbin(autocorrelation(y, order), order)
    return a


def lpc_envelope(y, order: int, n_fft: Optional[int] = None) -> np.ndarray:
    """The all-pole spectral envelope of a frame, on the same scale as ``|rfft(y, n_fft)|``.

    LP models the frame as white excitation shaped by the filter ``1 / A(z)``
    (:func:`lpc`); its magnitude response, scaled by the excitation's level, is the smooth
    curve that the frame's spectrum scatters around: ``sqrt(err) / |A(e^{2 pi i k / n_fft})|``,
    where ``err`` is the final prediction-error energy of :func:`levinson_durbin`. (With
    this gain the model's mean power over frequency equals the frame's energy ``r[0]``:
    the autocorrelation method matches the first ``order + 1`` autocorrelation lags.)
    ``y`` is used as given: window it first. ``n_fft`` defaults to ``len(y)``.

    Returns
    -------
    envelope : array, shape (1 + n_fft // 2,), magnitude (units of ``y``), bins at
    ``k sr / n_fft`` Hz. Taught in ``03_mfcc_chroma_and_friends`` (Zhao et al.'s 16th-order LP).
    """
    y = _mono(y, where="lpc_envelope")
    order = as_int(order, "order", where="lpc_envelope")
    if order >= y.size:
        raise OutOfRangeError(message("order", f"smaller than the signal length ({y.size} samples)", order,
                                      where="lpc_envelope"))
    n_fft = y.size if n_fft is None else as_int(n_fft, "n_fft", minimum=order + 1, where="lpc_envelope")
    a, err, _ = levinson_durbin(autocorrelation(y, order), order)
    return np.sqrt(max(float(err), 0.0)) / np.maximum(np.abs(np.fft.rfft(a, n_fft)), _TINY)


def lp_residual(y, order: int = 16, frame_length: int = 320, hop_length: int = 160,
                window: str = "hamming") -> np.ndarray:
    """LP residual (prediction error) of a signal, frame by frame (Zhao et al.: 16th-order LP).

    For each block of ``hop_length`` samples, LP coefficients are estimated (:func:`lpc`)
    from a ``frame_length`` analysis window (symmetric ``window``) centred on the block; the
    block is then inverse-filtered, ``e[n] = y[n] + sum_k a_k y[n-k]``, using the true
    preceding samples, so there is no transient at block borders. Defaults: 20 ms frames
    with 10 ms hop at 16 kHz, i.e. adjacent frames overlap by 10 ms, our reading of the
    paper's "overlapping of 10 ms between adjacent frames". The residual is what is left
    after removing the spectral envelope (vocal tract / instrument body): mostly the
    excitation (glottal pulses, bow/reed/string impulses).

    Returns
    -------
    e : array, shape (n_samples,). Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="lp_residual")
    order = as_int(order, "order", where="lp_residual")
    frame_length = as_int(frame_length, "frame_length", minimum=2, where="lp_residual")
    hop_length = as_int(hop_length, "hop_length", where="lp_residual")
    if order >= frame_length:
        raise OutOfRangeError(message("order", f"smaller than frame_length={frame_length}", order,
                                      where="lp_residual"))
    n = y.size
    n_blocks = -(-n // hop_length)
    centres = np.minimum(np.arange(n_blocks) * hop_length + hop_length // 2, n - 1)
    half = frame_length // 2
    padded = np.pad(y, (half, frame_length))
    frames = padded[centres[:, None] + np.arange(frame_length)[None, :]]  # centred windows
    frames = frames * get_window(window, frame_length, periodic=False)
    a, _, _ = levinson_durbin(autocorrelation(frames, order), order)  # (n_blocks, order + 1)
    # past samples y[n-k], k = 0..order, for every n (zeros before the start)
    history = np.lib.stride_tricks.sliding_window_view(np.pad(y, (order, 0)), order + 1)[:, ::-1]
    block_of = np.arange(n) // hop_length
    return np.einsum("nk,nk->n", history, a[block_of])


def analytic_signal(x) -> np.ndarray:
    """Analytic signal ``x + i H{x}`` (H = Hilbert transform), computed in the FFT domain:
    keep DC (and Nyquist), double positive frequencies, zero negative ones. Same result as
    ``scipy.signal.hilbert``. Shape ``(n,) -> (n,)`` complex. Taught in ``03_mfcc_chroma_and_friends``."""
    x = _mono(x, "x", where="analytic_signal")
    n = x.size
    X = np.fft.fft(x)
    h = np.zeros(n)
    h[0] = 1.0
    if n % 2 == 0:
        h[n // 2] = 1.0
        h[1:n // 2] = 2.0
    else:
        h[1:(n + 1) // 2] = 2.0
    return np.fft.ifft(X * h)


def hilbert_envelope(x) -> np.ndarray:
    """Hilbert envelope ``|x + i H{x}|`` (instantaneous amplitude), units of ``x``.

    Shape (n,) -> (n,). Taught in ``03_mfcc_chroma_and_friends`` (Zhao et al. locate the
    maximum of the residual's Hilbert envelope in each frame).
    """
    return np.abs(analytic_signal(x))


def residual_phase(residual) -> np.ndarray:
    """Residual phase: the LP residual divided by its Hilbert envelope, ``cos(arg(e_a[n]))``.

    ``e_a = e + i H{e}`` is the analytic residual; ``e / |e_a|`` is the cosine of its
    instantaneous phase, in [-1, 1]: the amplitude is removed and only the timing/phase
    structure of the excitation remains (Yegnanarayana et al.; Zhao et al. use it to
    complement MFCC). Samples where the envelope is zero are 0. Shape (n,) -> (n,).
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    z = analytic_signal(_mono(residual, "residual", where="residual_phase"))
    env = np.abs(z)
    out = np.zeros(z.size)
    nz = env > _TINY
    out[nz] = np.clip(z.real[nz] / env[nz], -1.0, 1.0)
    return out


def mf_rp(
    y,
    sr: float = 22050,
    n_mfcc: int = 20,
    rp_length: Optional[int] = None,
    weight: float = 0.5,
    order: int = 16,
    preemphasis_coef: float = 0.97,
    lp_frame_ms: float = 20.0,
    lp_hop_ms: float = 10.0,
    n_fft: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    **mfcc_kwargs,
) -> np.ndarray:
    """MF_RP: MFCC fused with residual-phase (RP) features, our reading of Zhao et al.

    What the paper says: a 16th-order LP residual with 10 ms overlap between frames,
    pre-emphasis, "identify the maximum value of the Hilbert envelope in each frame,
    thereby obtaining the required RP features", then "RP and MFCC are weighted and
    fused". It gives no RP length, weights or fusion rule. We implement, following
    the residual-phase literature (Murty & Yegnanarayana 2006, who take residual-phase
    samples around the excitation instants, where the Hilbert envelope peaks):

    1. ``e`` = :func:`lp_residual` of the pre-emphasised signal (``order``, frames of
       ``lp_frame_ms`` with hop ``lp_hop_ms``); ``rp`` = :func:`residual_phase` of ``e``.
    2. For every MFCC frame (same ``n_fft``, ``hop_length``, ``center`` as :func:`mfcc`), find
       the sample where the Hilbert envelope of ``e`` is largest inside the frame and take
       the ``rp_length`` residual-phase samples centred there (default ``n_mfcc``).
    3. Weighted fusion by concatenation: ``[(1 - weight) * MFCC ; weight * RP]``.

    Scale MFCC and RP (e.g. z-score per row over the training set) before a model if
    needed; ``weight`` balances the two blocks.

    Returns
    -------
    F : array, shape (n_mfcc + rp_length, n_frames): rows ``[:n_mfcc]`` MFCC, the rest RP.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="mf_rp")
    sr = as_sample_rate(sr, where="mf_rp")
    weight = as_float(weight, "weight", minimum=0.0, maximum=1.0, where="mf_rp")
    rp_length = n_mfcc if rp_length is None else as_int(rp_length, "rp_length", where="mf_rp")
    M = mfcc(y=y, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length, center=center,
             **mfcc_kwargs)
    frame_len = ms_to_samples(lp_frame_ms, sr, "lp_frame_ms", minimum=order + 1, where="mf_rp")
    hop = ms_to_samples(lp_hop_ms, sr, "lp_hop_ms", where="mf_rp")
    e = lp_residual(preemphasis(y, preemphasis_coef) if preemphasis_coef else y, order=order,
                    frame_length=frame_len, hop_length=hop)
    env = hilbert_envelope(e) if np.any(e) else np.zeros_like(e)
    rp = residual_phase(e) if np.any(e) else np.zeros_like(e)
    n_frames = M.shape[1]
    RP = np.zeros((rp_length, n_frames))
    rp_padded = np.pad(rp, (rp_length, rp_length))
    for t in range(n_frames):
        start = t * hop_length - (n_fft // 2 if center else 0)
        lo, hi = max(0, start), min(y.size, start + n_fft)
        if hi <= lo:
            continue
        peak = lo + int(np.argmax(env[lo:hi]))
        first = peak - rp_length // 2 + rp_length  # index into the padded array
        RP[:, t] = rp_padded[first:first + rp_length]
    return np.concatenate([(1.0 - weight) * M, weight * RP], axis=0)


# ---------------------------------------------------------------------------------------
# 03 — cleaning: spectral subtraction and band-pass
# ---------------------------------------------------------------------------------------


def snr_db(reference, estimate) -> float:
    """Signal-to-noise ratio (dB) of ``estimate`` against the clean ``reference``:
    ``10 log10(sum(reference^2) / sum((estimate - reference)^2))``.

    Everything that differs from the reference counts as noise, including distortion of
    the music itself and any delay or phase change (a sample-by-sample measure), so use it
    on zero-phase processing. Both shape (n,); returns ``inf`` if they are identical.
    Taught in ``03_mfcc_chroma_and_friends`` (spectral subtraction, band-pass cleaning).
    """
    reference = _mono(reference, "reference", where="snr_db")
    estimate = _mono(estimate, "estimate", where="snr_db")
    if reference.shape != estimate.shape:
        raise WrongShapeError(message("estimate", f"the same shape as reference {reference.shape}",
                                      f"shape {estimate.shape}", where="snr_db", describe=False))
    signal_energy = float(np.sum(reference**2))
    if signal_energy == 0:
        raise InputError(message("reference", "not silent (an SNR is undefined otherwise)", "all zeros",
                                 where="snr_db", describe=False))
    noise_energy = float(np.sum((estimate - reference) ** 2))
    return float("inf") if noise_energy == 0 else 10.0 * np.log10(signal_energy / noise_energy)


def spectral_subtraction(
    y,
    sr: float,
    noise=None,
    noise_seconds: float = 0.25,
    n_fft: int = 512,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    over_subtraction: float = 1.0,
    floor: float = 0.01,
    power: float = 1.0,
) -> np.ndarray:
    """Spectral subtraction denoising (Boll 1979; Berouti et al. 1979), as used by Kirar et al.

    1. Noise spectrum ``N(f)``: the mean of ``|STFT|^power`` over the frames of a
       noise-only signal — ``noise`` if given, else the first ``noise_seconds`` of ``y``.
    2. For each frame of ``Y = STFT(y)``:
       ``|S|^power = |Y|^power - over_subtraction * N``, and wherever that falls below the
       spectral floor ``floor * N`` it is set to ``floor * N`` (Berouti's floor, which
       limits "musical noise").
    3. Resynthesis with the *noisy* phase: ``S = |S| e^{i arg Y}``, then :func:`istft`
       (our overlap-add) back to ``len(y)`` samples.

    ``power=1`` subtracts magnitudes, ``power=2`` powers. Kirar et al. name the method but
    give no parameters; these are the textbook defaults. Returns shape (n_samples,).
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="spectral_subtraction")
    sr = as_sample_rate(sr, where="spectral_subtraction")
    n_fft, hop_length, win_length = _stft_lengths(n_fft, hop_length, win_length, where="spectral_subtraction")
    over_subtraction = as_float(over_subtraction, "over_subtraction", minimum=0, where="spectral_subtraction")
    floor = as_float(floor, "floor", minimum=0, where="spectral_subtraction")
    power = as_float(power, "power", minimum=0, low_open=True, where="spectral_subtraction")
    if noise is None:
        noise_seconds = as_float(noise_seconds, "noise_seconds", minimum=0, low_open=True, where="spectral_subtraction")
        n_noise = int(round(noise_seconds * sr))
        if n_noise < 1:
            raise OutOfRangeError(message("noise_seconds", f"at least one sample long (>= {1 / sr:g} s)",
                                          noise_seconds, where="spectral_subtraction"))
        if n_noise > y.size:
            raise OutOfRangeError(message("noise_seconds", f"<= the length of y ({y.size / sr:.3f} s)",
                                          noise_seconds, where="spectral_subtraction"))
        noise = y[:n_noise]
    noise = _mono(noise, "noise", where="spectral_subtraction")
    settings = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
    # frames fully inside the noise excerpt when possible (zero padding would bias N down)
    N = np.abs(_stft(noise, center=noise.size < n_fft, where="spectral_subtraction", **settings)) ** power
    noise_profile = N.mean(axis=1, keepdims=True)
    Y = _stft(y, where="spectral_subtraction", **settings)
    cleaned = np.abs(Y) ** power - over_subtraction * noise_profile
    cleaned = np.maximum(cleaned, floor * noise_profile)
    S = cleaned ** (1.0 / power) * np.exp(1j * np.angle(Y))
    return istft(S, length=y.size, **settings)


def ideal_bandpass_response(freqs, f_low: float, f_high: float) -> np.ndarray:
    """Ideal band-pass gain, Hao et al., Eq. 4: ``H(f) = 1`` if ``f_low <= |f| <= f_high`` else 0.

    ``|f|`` is used so that negative FFT frequencies get the same gain (a real filter).
    Shape of ``freqs``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    f = np.abs(as_real_array(freqs, "freqs", where="ideal_bandpass_response", finite=False))
    f_low, f_high = as_frequency_band(f_low, f_high, names=("f_low", "f_high"), allow_zero=True,
                                      where="ideal_bandpass_response")
    return ((f >= f_low) & (f <= f_high)).astype(np.float64)


def ideal_bandpass(y, sr: float, f_low: float, f_high: float) -> np.ndarray:
    """Apply Hao et al.'s Eq. 4 in the frequency domain: FFT the whole signal, multiply by
    :func:`ideal_bandpass_response`, inverse FFT. Zero-phase; the brick wall rings in time
    (Gibbs), which is why practical systems use :func:`butter_bandpass`.
    Shape (n,) -> (n,). Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = _mono(y, where="ideal_bandpass")
    sr = as_sample_rate(sr, where="ideal_bandpass")
    as_frequency(f_high, "f_high", sr, where="ideal_bandpass", nyquist_ok=True)
    H = ideal_bandpass_response(np.fft.rfftfreq(y.size, d=1.0 / sr), f_low, f_high)
    return np.fft.irfft(np.fft.rfft(y) * H, n=y.size)


def butter_bandpass_sos(sr: float, f_low: float, f_high: float, order: int = 4) -> np.ndarray:
    """Butterworth band-pass design (second-order sections), ``scipy.signal.butter``.

    SciPy here because designing a stable IIR filter (analog prototype, bilinear
    transform with pre-warping, pole/zero pairing into sections) is a course of its own;
    the course teaches what the filter does, not the design algebra. The magnitude is
    -3 dB at ``f_low`` and ``f_high`` and falls ``20 * order`` dB per decade outside.
    Returns an array of shape (order, 6). Taught in ``03_mfcc_chroma_and_friends``.
    """
    return _butter_bandpass_sos(sr, f_low, f_high, order, where="butter_bandpass_sos")


def _butter_bandpass_sos(sr, f_low, f_high, order, *, where: str) -> np.ndarray:
    from scipy import signal as sps

    sr = as_sample_rate(sr, where=where)
    order = as_int(order, "order", where=where)
    f_low, f_high = as_frequency_band(f_low, f_high, names=("f_low", "f_high"), where=where)
    as_frequency(f_high, "f_high", sr, where=where)
    return sps.butter(order, [f_low, f_high], btype="bandpass", fs=sr, output="sos")


def butter_bandpass(y, sr: float, f_low: float, f_high: float, order: int = 4,
                    zero_phase: bool = True) -> np.ndarray:
    """Band-pass ``y`` with a Butterworth filter (the practical version of Hao et al., Eq. 4).

    ``zero_phase=True`` runs the filter forward and backward (``scipy.signal.sosfiltfilt``):
    no delay or phase distortion, but the magnitude is squared, so the cutoffs are at
    -6 dB; ``zero_phase=False`` is a single causal pass (``sosfilt``, -3 dB at cutoffs),
    what a real-time system would run. SciPy is used for the design and the filtering
    (stable second-order sections and the edge handling of filtfilt). Shape (n,) -> (n,).
    Hao et al. band-pass EEG at 0.5–50 Hz. Taught in ``03_mfcc_chroma_and_friends``.
    """
    from scipy import signal as sps

    y = _mono(y, where="butter_bandpass")
    sos = _butter_bandpass_sos(sr, f_low, f_high, order, where="butter_bandpass")
    if zero_phase:
        return sps.sosfiltfilt(sos, y)
    return sps.sosfilt(sos, y)


# ---------------------------------------------------------------------------------------
# 03 — Hao et al.: frequency variation rate, spectral flux, dynamic sampling rate
# ---------------------------------------------------------------------------------------


def frequency_variation_rate(X, axis: int = 0) -> Union[float, np.ndarray]:
    """Frequency variation rate as printed in Hao et al., Eq. 2.

    ``FVR = (1/N_f) sum_{f=1}^{N_f} |X(f) - X(f-1)|``: the mean absolute difference between
    **neighbouring frequency bins of one window's spectrum**, divided by the number of
    differences. With ``K`` bins ``X(0) .. X(K-1)`` there are ``N_f = K - 1`` differences. As written, this measures how
    jagged the spectrum is across frequency (spectral roughness: high for noise, low for a
    smooth or sparse spectrum), not how the spectrum changes over time; the paper's text
    ("emotion fluctuation", "energy changes") suggests a change over time, which is
    :func:`spectral_flux`. The course implements both and compares them.

    Parameters
    ----------
    X : array, a magnitude spectrum (n_bins,) or spectrogram (n_bins, n_frames); the
        difference is taken along ``axis`` (frequency). Complex input is used literally
        (``|X(f) - X(f-1)|`` of complex values, which depends on phase); pass ``np.abs``.

    Returns
    -------
    float for 1-D input, else an array with ``axis`` removed (one FVR per frame).
    Units of ``X``. Taught in ``03_mfcc_chroma_and_friends``.
    """
    X = _finite(np.asarray(X), "X", where="frequency_variation_rate")
    axis = as_int(axis, "axis", minimum=None, where="frequency_variation_rate")
    if X.ndim == 0 or X.shape[axis] < 2:
        raise EmptyInputError(message("X", f"at least 2 frequency bins long along axis={axis}", f"shape {X.shape}",
                                      where="frequency_variation_rate", describe=False))
    fvr = np.mean(np.abs(np.diff(X, axis=axis)), axis=axis)
    return float(fvr) if np.ndim(fvr) == 0 else fvr


def frequency_variation_rate_frames(
    y,
    sr: float = 22050,
    n_fft: int = 1024,
    hop_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    normalize: bool = False,
) -> np.ndarray:
    """Hao et al., Eq. 2 for every window of a signal: FVR of each ``|STFT|`` column.

    With ``normalize=False`` (default) this is Eq. 2 as printed, which grows in proportion
    to loudness. ``normalize=True`` gives the **normalised FVR (our variant)**, not Eq. 2
    as printed: each frame's magnitude spectrum is first divided by its L2 norm
    (proportional to the frame's RMS, by Parseval), so the value depends only on the
    *shape* of the spectrum and Eq. 3's ``alpha`` has a loudness-independent meaning (the
    paper is silent on scale). Dividing by the
    sum (L1) instead would make a single sharp peak the "roughest" spectrum of all.
    ``sr`` is only validated (FVR is per bin).
    Returns shape (n_frames,). Taught in ``03_mfcc_chroma_and_friends``.
    """
    as_sample_rate(sr, where="frequency_variation_rate_frames")
    S = np.abs(_stft(y, n_fft=n_fft, hop_length=hop_length, window=window, center=center,
                     where="frequency_variation_rate_frames"))
    if normalize:
        S = S / np.maximum(np.sqrt(np.sum(S**2, axis=0, keepdims=True)), _TINY)
    return frequency_variation_rate(S, axis=0)


def spectral_flux(
    y=None,
    sr: float = 22050,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: WindowSpec = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    rectify: bool = False,
) -> np.ndarray:
    """Spectral flux: how much the magnitude spectrum changes from one frame to the next.

    ``flux[t] = (1/K) sum_f |S(f, t) - S(f, t-1)|`` over the ``K`` bins (``flux[0] = 0``);
    with ``rectify=True`` only increases count (``max(0, .)``, the onset-detection form).
    This is the time-direction counterpart of :func:`frequency_variation_rate` and what
    Hao et al.'s text about detecting "emotion fluctuation" seems to mean. ``S`` is a
    magnitude spectrogram (n_bins, n_frames); otherwise it is ``|stft(y)|``.
    Returns shape (n_frames,). Taught in ``03_mfcc_chroma_and_friends``.
    """
    as_sample_rate(sr, where="spectral_flux")
    S, _ = _spectrogram(y, S, n_fft, hop_length, win_length, window, center, pad_mode, 1.0,
                        where="spectral_flux")
    S = np.abs(S)
    change = np.diff(S, axis=1)
    if rectify:
        change = np.maximum(change, 0.0)
    else:
        change = np.abs(change)
    return np.concatenate([[0.0], change.mean(axis=0)])


def dynamic_sampling_rate(fvr, s_base: float, alpha: float,
                          s_min: Optional[float] = None, s_max: Optional[float] = None):
    """Hao et al., Eq. 3: ``S_dyn = S_base * (1 + alpha * FVR)``.

    ``fvr`` may be a scalar or an array (one value per window); ``s_min``/``s_max``
    optionally clip the result (the paper does not bound it; a real device has limits).
    Units of ``s_base`` (e.g. Hz or frames per second). Taught in
    ``03_mfcc_chroma_and_friends`` and used by the real-time chapter.
    """
    s_base = as_float(s_base, "s_base", minimum=0, low_open=True, where="dynamic_sampling_rate")
    alpha = as_float(alpha, "alpha", where="dynamic_sampling_rate")
    rate = s_base * (1.0 + alpha * as_real_array(fvr, "fvr", where="dynamic_sampling_rate"))
    if s_min is not None or s_max is not None:
        rate = np.clip(rate, s_min, s_max)
    return float(rate) if np.ndim(rate) == 0 else rate


def dynamic_sampling_keep(rates, frame_rate: float) -> np.ndarray:
    """Which analysis windows a sampler running at ``rates`` keeps (Hao et al., Eq. 3 applied).

    The paper says that ``S_dyn`` (:func:`dynamic_sampling_rate`) sets how often data are
    taken, not how; our reading: windows arrive at ``frame_rate`` per second, and a
    window is kept whenever the accumulated share ``sum_t rates[t] / frame_rate`` crosses
    the next whole number (an integrate-and-fire sampler). At ``rates == frame_rate``
    every window is kept, at a quarter of it one in four; rates are clipped to
    ``[0, frame_rate]`` (a sampler cannot take more windows than arrive). The first window
    is kept if its rate is positive.

    Parameters
    ----------
    rates : array, shape (n_windows,), samples (windows) per second, e.g. ``S_dyn``.
    frame_rate : float, windows per second arriving (``sr / hop_length``).

    Returns
    -------
    keep : bool array, shape (n_windows,). ``1 - keep.mean()`` is the share skipped.
    Taught in ``03_mfcc_chroma_and_friends``; used by the real-time chapter.
    """
    frame_rate = as_float(frame_rate, "frame_rate", minimum=0, low_open=True, where="dynamic_sampling_keep")
    rates = as_signal(rates, "rates", where="dynamic_sampling_keep", ndim=1)
    credit = np.cumsum(np.clip(rates / frame_rate, 0.0, 1.0))
    fired = np.ceil(credit - 1e-9)
    return np.diff(fired, prepend=0.0) > 0


# ---------------------------------------------------------------------------------------
# 09 — Zhao et al.'s two model inputs: GTF and MF_RP on one frame grid
# ---------------------------------------------------------------------------------------
#
# The building blocks already live above and are taught in 03: ERB scale
# (erb_bandwidth, hz_to_erb_rate, gammatone_center_frequencies), gammatone impulse
# responses (gammatone_impulse_response, unit gain at fc) and gammatone_spectrogram
# (method="fir": FFT convolution + mean square per frame); lpc (Levinson–Durbin),
# lp_residual (block-wise inverse filtering), hilbert_envelope, residual_phase; the
# wide/narrowband pair (wideband_spectrogram, narrowband_spectrogram). This section only
# adds what chapter 09 needs on top: both features with millisecond settings, the per-frame
# Hilbert-envelope maximum of the LP residual, our multiplicative MF_RP reading, and
# a helper that returns GTF and MF_RP with the same number of frames.

_ZHAO_WHERE_GTF = "zhao_gtf"


def _zhao_frames(sr: float, frame_ms, hop_ms, *, where: str) -> tuple[int, int]:
    """(win_length, hop_length) in samples from milliseconds, hop <= window."""
    win_length = ms_to_samples(frame_ms, sr, "frame_ms", minimum=2, where=where)
    hop_length = ms_to_samples(hop_ms, sr, "hop_ms", where=where)
    if hop_length > win_length:
        raise OutOfRangeError(message("hop_ms", f"<= frame_ms={frame_ms:g} ms (frames must touch or overlap)",
                                      hop_ms, where=where))
    return win_length, hop_length


def _zhao_fmax(sr: float, fmin, fmax, *, where: str) -> tuple[float, float]:
    """``0 < fmin < fmax <= sr / 2`` for a gammatone bank (``fmax=None``: ``sr / 2``)."""
    fmin, fmax = _fmin_fmax(sr, fmin, fmax, where=where)
    if fmin <= 0:
        raise OutOfRangeError(message("fmin", "> 0 Hz for a gammatone filterbank", fmin, where=where))
    return fmin, fmax


def zhao_gtf(
    y,
    sr: float,
    n_bands: int = 24,
    fmin: float = 50.0,
    fmax: Optional[float] = None,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    db: bool = True,
    top_db: Optional[float] = 80.0,
) -> np.ndarray:
    """GTF, Zhao et al.'s gammatone features: band energy per frame of a 4th-order gammatone bank.

    Zhao et al., Sec. III and Sec. V.A (Table III: "GTF Features 3895x24x44"). The paper
    names the feature and its size only; the filterbank is the standard auditory one:

    1. ``n_bands`` centre frequencies equally spaced on the ERB-rate scale from ``fmin`` to
       ``fmax`` (:func:`gammatone_center_frequencies`, Glasberg & Moore 1990,
       ``ERB(f) = 24.7 (4.37 f / 1000 + 1)`` Hz).
    2. Each band's impulse response ``g(t) = t^3 exp(-2 pi 1.019 ERB(fc) t) cos(2 pi fc t)``
       scaled to gain 1 (0 dB) at its centre frequency (:func:`gammatone_impulse_response`);
       the signal is convolved with it by FFT (the ``method="fir"`` path of
       :func:`gammatone_spectrogram`).
    3. Energy per band per frame: the mean square of the band's output over rectangular
       frames of ``frame_ms`` centred on ``t * hop`` (frame ``t`` is centred at
       ``t * hop_length`` samples, ``1 + len(y) // hop_length`` frames, the same grid as
       :func:`stft` with ``center=True`` and so as :func:`mfcc`).
    4. ``db=True``: :func:`power_to_db` with ``ref=1`` and ``top_db`` (as our MFCC), so a
       tone of amplitude ``A`` at a centre frequency reads about ``10 log10(A^2 / 2)`` dB.

    Paper: 24 bands x 44 frames per clip (frame settings not given); we: 24 bands, 25 ms
    frames every 10 ms (the usual gammatonegram settings), ``fmin`` 50 Hz, ``fmax``
    ``sr / 2``; pool the frames afterwards (``zhao_feature_pair(..., n_frames=44)``) to
    get the paper's 44.

    Parameters
    ----------
    y : array (n_samples,), mono signal. sr : Hz. n_bands : number of bands.
    fmin, fmax : Hz, ``0 < fmin < fmax <= sr / 2``. frame_ms, hop_ms : ms (hop <= frame).
    db : return dB (True) or power (False). top_db : dB range kept (None: no clipping).

    Returns
    -------
    G : array, shape (n_bands, 1 + n_samples // hop_length), bands ascending in frequency;
    power in squared signal units, or dB.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = _ZHAO_WHERE_GTF
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    n_bands = as_int(n_bands, "n_bands", where=where)
    fmin, fmax = _zhao_fmax(sr, fmin, fmax, where=where)
    win_length, hop_length = _zhao_frames(sr, frame_ms, hop_ms, where=where)
    G = gammatone_spectrogram(y, sr, n_bands=n_bands, fmin=fmin, fmax=fmax, win_length=win_length,
                              hop_length=hop_length, method="fir", center=True)
    G = np.maximum(G, 0.0)  # FFT round-off can leave -1e-20 in silent frames
    if not db:
        return G
    if top_db is not None:
        top_db = as_float(top_db, "top_db", minimum=0, where=where)
    return power_to_db(G, ref=1.0, top_db=top_db)


@dataclass(frozen=True)
class ResidualPhaseFrames:
    """What :func:`residual_phase_frames` returns: the LP residual, its Hilbert envelope and
    residual phase (per sample) and, per analysis frame, where the envelope peaks.

    residual, envelope, phase : arrays (n_samples,); ``phase`` = cos of the Hilbert phase
    of ``residual``, in [-1, 1]. peak_index : int array (n_frames,), sample of the envelope
    maximum in each frame. envelope_max : (n_frames,), that maximum (units of the
    pre-emphasised signal). phase_at_peak : (n_frames,), ``phase[peak_index]``.
    weights : (n_frames,), ``envelope_max / envelope_max.max()`` in [0, 1] (all 0 for a
    silent clip). win_length, hop_length : samples of the frame grid.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    residual: np.ndarray
    envelope: np.ndarray
    phase: np.ndarray
    peak_index: np.ndarray
    envelope_max: np.ndarray
    phase_at_peak: np.ndarray
    weights: np.ndarray
    win_length: int
    hop_length: int


def _lp_settings(sr: float, order, lp_frame_ms, lp_hop_ms, *, where: str) -> tuple[int, int, int]:
    """(order, lp_frame_length, lp_hop_length); ``order`` must be below the LP frame length."""
    order = as_int(order, "order", where=where)
    lp_frame = ms_to_samples(lp_frame_ms, sr, "lp_frame_ms", minimum=2, where=where)
    lp_hop = ms_to_samples(lp_hop_ms, sr, "lp_hop_ms", where=where)
    if order >= lp_frame:
        raise OutOfRangeError(message(
            "order", f"smaller than the LP frame length ({lp_frame} samples = {lp_frame_ms:g} ms at {sr:g} Hz)",
            order, where=where))
    return order, lp_frame, lp_hop


def residual_phase_frames(
    y,
    sr: float,
    order: int = 16,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    lp_frame_ms: float = 20.0,
    lp_hop_ms: float = 10.0,
    preemphasis_coef: float = 0.97,
) -> ResidualPhaseFrames:
    """The RP analysis of Zhao et al.: 16th-order LP residual, Hilbert envelope, its maximum per frame.

    Zhao et al., Sec. V.A: "a 16th-order LP to derive the LP residuals, with overlapping of
    10 ms between adjacent frames. Then pre-emphasis is applied ... to extract LP
    residuals and identify the maximum value of the Hilbert envelope in each frame". Steps:

    1. Pre-emphasis ``y[n] - 0.97 y[n-1]`` (:func:`preemphasis`; ``preemphasis_coef=0``
       skips it). The paper's order of words puts it after LP; it only makes sense
       before (it flattens the spectral tilt the LP model would otherwise spend poles on).
    2. LP residual :func:`lp_residual`: LP coefficients (autocorrelation method,
       Levinson–Durbin, order ``order``) from Hamming-windowed ``lp_frame_ms`` frames every
       ``lp_hop_ms`` (20 ms frames every 10 ms = "10 ms overlap"); each 10 ms block is
       inverse-filtered ``e[n] = sum_k a_k y[n-k]`` with its own coefficients and the true
       past samples (per block, no overlap-add, no transients at block edges).
    3. Hilbert envelope ``|e + i H{e}|`` (:func:`hilbert_envelope`) and residual phase
       ``e / |e + i H{e}|`` (:func:`residual_phase`, 0 where the envelope is 0).
    4. In each analysis frame (``frame_ms`` long, centred at ``t * hop_length`` samples: the
       grid of :func:`mfcc` and :func:`zhao_gtf` with ``center=True``; frames are clipped at
       the signal's ends) the envelope maximum, its position and the phase there.

    Paper: RP frames of unspecified length; we: the MFCC/GTF frames (25 ms, 10 ms hop),
    so that RP weights and MFCC line up. ``weights`` (our choice) normalise the maxima
    by the clip's largest, so they do not depend on the recording level.

    Returns
    -------
    :class:`ResidualPhaseFrames`, per-frame arrays of length ``1 + n_samples // hop_length``.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "residual_phase_frames"
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    order, lp_frame, lp_hop = _lp_settings(sr, order, lp_frame_ms, lp_hop_ms, where=where)
    win_length, hop_length = _zhao_frames(sr, frame_ms, hop_ms, where=where)
    coef = as_float(preemphasis_coef, "preemphasis_coef", minimum=0.0, maximum=1.0, where=where)
    x = preemphasis(y, coef) if coef > 0 else y
    e = lp_residual(x, order=order, frame_length=lp_frame, hop_length=lp_hop)
    if np.any(e):
        envelope, phase = hilbert_envelope(e), residual_phase(e)
    else:  # silence: no excitation, no phase
        envelope, phase = np.zeros_like(e), np.zeros_like(e)
    n = y.size
    n_frames = 1 + n // hop_length
    starts = np.arange(n_frames) * hop_length - win_length // 2
    lo = np.clip(starts, 0, n - 1)
    hi = np.clip(starts + win_length, lo + 1, n)  # at least one sample per frame
    peak = np.empty(n_frames, dtype=np.int64)
    for t in range(n_frames):
        peak[t] = lo[t] + int(np.argmax(envelope[lo[t]:hi[t]]))
    env_max = envelope[peak]
    top = float(env_max.max())
    weights = env_max / top if top > 0 else np.zeros(n_frames)
    return ResidualPhaseFrames(e, envelope, phase, peak, env_max, phase[peak], weights, win_length, hop_length)


def mfcc_residual_phase(
    y,
    sr: float,
    n_mfcc: int = 20,
    order: int = 16,
    rp_weight: float = 0.5,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    n_mels: int = 40,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    lp_frame_ms: float = 20.0,
    lp_hop_ms: float = 10.0,
    preemphasis_coef: float = 0.97,
) -> np.ndarray:
    """MF_RP, Zhao et al.'s "MFCC weighted with the residual phase", as a per-frame weighting.

    Zhao et al., Sec. III ("MFCCs being weighted with the residual phase (RP) for
    compensation") and Sec. V.A ("RP and MFCC are weighted and fused"; Table III
    "MF_RP Features 3895x192x44"). The paper gives no weights and no fusion rule. We
    read it literally, per frame ``t``:

    * ``M = mfcc(y)``: (n_mfcc, T), Hann frames of ``frame_ms`` every ``hop_ms``,
      ``n_fft`` = next power of two, ``n_mels`` Slaney mel bands, dB, DCT-II (:func:`mfcc`).
    * ``r_t`` = the maximum of the Hilbert envelope of the 16th-order LP residual in frame
      ``t`` divided by its largest value over the clip (:func:`residual_phase_frames`
      ``.weights``, in [0, 1]): how strong the excitation (onset, glottal/pluck/bow
      impulse) in that frame is.
    * ``w_t = (1 - rp_weight) + rp_weight * r_t`` and ``MF_RP[:, t] = M[:, t] * w_t``.
      ``rp_weight = 0`` gives the plain MFCC; ``1`` scales each frame by ``r_t`` alone.

    Paper: 192 rows (Table III), 44 frames; we: ``n_mfcc`` = 20 rows on a 10 ms grid (pool
    to 44 frames with :func:`zhao_feature_pair`). Another reading, concatenating MFCC with
    residual-phase samples around the envelope peak, is :func:`mf_rp` (chapter 03).

    Returns
    -------
    F : array, shape (n_mfcc, 1 + n_samples // hop_length), the same shape and frame
    grid as :func:`mfcc` with ``center=True`` (and :func:`zhao_gtf`).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "mfcc_residual_phase"
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    n_mfcc = as_int(n_mfcc, "n_mfcc", where=where)
    n_mels = as_int(n_mels, "n_mels", where=where)
    if n_mfcc > n_mels:
        raise OutOfRangeError(message("n_mfcc", f"<= n_mels={n_mels}", n_mfcc, where=where))
    rp_weight = as_float(rp_weight, "rp_weight", minimum=0.0, maximum=1.0, where=where)
    fmin, fmax = _fmin_fmax(sr, fmin, fmax, where=where)
    _lp_settings(sr, order, lp_frame_ms, lp_hop_ms, where=where)
    win_length, hop_length = _zhao_frames(sr, frame_ms, hop_ms, where=where)
    M = mfcc(y=y, sr=sr, n_mfcc=n_mfcc, n_fft=next_power_of_two(win_length), hop_length=hop_length,
             win_length=win_length, n_mels=n_mels, fmin=fmin, fmax=fmax, center=True)
    rp = residual_phase_frames(y, sr, order=order, frame_ms=frame_ms, hop_ms=hop_ms, lp_frame_ms=lp_frame_ms,
                               lp_hop_ms=lp_hop_ms, preemphasis_coef=preemphasis_coef)
    w = (1.0 - rp_weight) + rp_weight * rp.weights
    return M * w[None, :]


def _crop_or_pad(y: np.ndarray, sr: float, seconds, *, where: str) -> np.ndarray:
    """``y`` cut to its first ``seconds`` or zero-padded at the end to that length (``None``: unchanged)."""
    if seconds is None:
        return y
    length = int(round(as_float(seconds, "seconds", minimum=0.0, low_open=True, where=where, unit="s") * sr))
    return np.pad(y[:length], (0, max(0, length - y.size)))


def _pool_frames(X: np.ndarray, n_frames: int) -> np.ndarray:
    """Mean over ``n_frames`` near-equal consecutive groups of columns (np.array_split)."""
    groups = np.array_split(np.arange(X.shape[1]), n_frames)
    return np.stack([X[:, g].mean(axis=1) for g in groups], axis=1)


def zhao_feature_pair(
    y,
    sr: float,
    n_bands: int = 24,
    n_mfcc: int = 20,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    n_frames: Optional[int] = None,
    fmin: float = 50.0,
    fmax: Optional[float] = None,
    order: int = 16,
    rp_weight: float = 0.5,
    n_mels: int = 40,
    gtf_db: bool = True,
) -> dict:
    """Both inputs of Zhao et al.'s two CNN filter channels, GTF and MF_RP, on one time grid.

    Zhao et al., Sec. V.A and Table III (GTF 24 x 44, MF_RP 192 x 44 per clip: the two
    features share the frame axis). GTF is :func:`zhao_gtf` (``n_bands`` gammatone bands,
    dB if ``gtf_db``), MF_RP is :func:`mfcc_residual_phase` (``n_mfcc`` rows); both use
    frames of ``frame_ms`` centred every ``hop_ms``, so both have
    ``T = 1 + n_samples // hop_length`` frames by construction (nothing is trimmed or
    padded). ``fmin`` is the gammatone bank's lowest centre; the MFCC's mel bank spans
    0 Hz to ``fmax`` (``sr / 2`` by default).

    ``n_frames`` (optional): average consecutive frames into ``n_frames`` near-equal
    groups (``np.array_split``), e.g. 44 to match Table III's time size; it must be
    ``<= T``. Pooling is our choice: the paper gives 44 frames but not how they are made.

    Paper: 24 x 44 and 192 x 44 for 60 s at 44.1 kHz; we: 24 x T and 20 x T
    (T = 3007 for 30 s at 22,050 Hz: 10 ms rounds to a 220-sample hop), or 24 x 44 and 20 x 44 with ``n_frames=44``.

    Returns
    -------
    dict with ``"gtf"``: (n_bands, T), ``"mf_rp"``: (n_mfcc, T), ``"times"``: (T,) s, the
    centre of each frame (of each group's frames when pooled).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "zhao_feature_pair"
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    _zhao_fmax(sr, fmin, fmax, where=where)
    _lp_settings(sr, order, 20.0, 10.0, where=where)
    win_length, hop_length = _zhao_frames(sr, frame_ms, hop_ms, where=where)
    T = 1 + y.size // hop_length
    if n_frames is not None:
        n_frames = as_int(n_frames, "n_frames", maximum=T, where=where)
    gtf = zhao_gtf(y, sr, n_bands=n_bands, fmin=fmin, fmax=fmax, frame_ms=frame_ms, hop_ms=hop_ms, db=gtf_db)
    mf = mfcc_residual_phase(y, sr, n_mfcc=n_mfcc, order=order, rp_weight=rp_weight, frame_ms=frame_ms,
                             hop_ms=hop_ms, n_mels=n_mels, fmax=fmax)
    assert gtf.shape[1] == mf.shape[1] == T, (gtf.shape, mf.shape, T)  # same grid by construction
    times = frame_times(T, sr, hop_length)
    if n_frames is not None:
        gtf, mf = _pool_frames(gtf, n_frames), _pool_frames(mf, n_frames)
        times = _pool_frames(times[None, :], n_frames)[0]
    return {"gtf": gtf, "mf_rp": mf, "times": times}


__all__ += [
    # Zhao et al. (chapter 09): GTF and MF_RP on one grid
    "zhao_gtf",
    "ResidualPhaseFrames",
    "residual_phase_frames",
    "mfcc_residual_phase",
    "zhao_feature_pair",
]


def zhao_clip_inputs(
    y,
    sr: float,
    n_frames: int = 44,
    max_hz: float = 4000.0,
    n_bins: int = 32,
    wide_ms: float = 3.0,
    narrow_ms: float = 25.0,
    hop_ms: float = 10.0,
    top_db: float = 80.0,
    seconds: Optional[float] = None,
) -> dict:
    """Every input of chapter 09's models for one clip, on one grid of ``n_frames`` frames.

    ``seconds`` (optional): first cut the clip to its first ``seconds`` or pad it with
    zeros to that length, as Zhao et al. do ("only the first 30 seconds ..., with
    zero-padding for those less than 30 seconds", Sec. V.A).

    * ``"wideband"``, ``"narrowband"``: (``n_bins``, ``n_frames``) log-power spectrograms
      with ``wide_ms`` / ``narrow_ms`` Hann windows (Zhao et al., Sec. IV.B.1: "approximately
      3 ms/25 ms"; :func:`wide_and_narrowband_spectrograms` with one ``n_fft`` and a hop of
      ``hop_ms``), dB relative to the clip's peak, floored at ``-top_db``, cut to
      ``0 .. max_hz`` (the paper truncates its input to 0-4 kHz) and averaged over
      frequency into ``n_bins`` near-equal groups of bins.
    * ``"gtf"`` (24, ``n_frames``) and ``"mf_rp"`` (20, ``n_frames``): :func:`zhao_feature_pair`
      (Sec. V.A, Table III: 24 x 44 and 192 x 44).

    Every map is averaged over time into ``n_frames`` groups of frames (44: Table III's
    time size). Paper: a 60 s clip at 44.1 kHz gives 44 frames and MF_RP has 192 rows; we:
    any clip length gives ``n_frames`` frames (the teaching clips are 4 s), MF_RP has 20
    rows, and the spectrograms are pooled to ``n_bins`` so that small models train in
    seconds (the paper's spectrogram sizes are not given).

    Returns ``{name: (F, n_frames)}`` float64 arrays.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "zhao_clip_inputs"
    y = _mono(y, where=where)
    sr = as_sample_rate(sr, where=where)
    max_hz = as_frequency(max_hz, "max_hz", sr=sr, where=where, nyquist_ok=True)
    n_bins = as_int(n_bins, "n_bins", minimum=1, where=where)
    top_db = as_float(top_db, "top_db", minimum=0.0, low_open=True, where=where)
    y = _crop_or_pad(y, sr, seconds, where=where)
    pair = zhao_feature_pair(y, sr, hop_ms=hop_ms, n_frames=n_frames)
    out = {}
    for name, spec in zip(("wideband", "narrowband"),
                          wide_and_narrowband_spectrograms(y, sr, wide_ms=wide_ms, narrow_ms=narrow_ms, hop_ms=hop_ms)):
        keep = spec.freqs <= max_hz
        if keep.sum() < n_bins:
            raise InputError(message("n_bins", f"at most {int(keep.sum())} (the FFT bins below max_hz)", n_bins,
                                     where=where))
        S_db = power_to_db(spec.S[keep], ref=np.max, top_db=top_db)
        bins = _pool_frames(S_db.T, n_bins).T                      # frequency groups
        out[name] = _pool_frames(bins, n_frames)
    out["gtf"], out["mf_rp"] = pair["gtf"], pair["mf_rp"]
    return out


__all__ += ["zhao_clip_inputs"]


def _log_mel_settings(y, sr, n_mels, n_fft, hop_length, top_db, where: str) -> tuple:
    """Checked ``(y, sr, n_mels, n_fft, hop_length, top_db)`` of a clip-level log-mel input."""
    return (_mono(y, where=where), as_sample_rate(sr, where=where),
            as_int(n_mels, "n_mels", minimum=1, where=where), as_int(n_fft, "n_fft", minimum=1, where=where),
            as_int(hop_length, "hop_length", minimum=1, where=where),
            as_float(top_db, "top_db", minimum=0.0, low_open=True, where=where))


def clip_log_mel(
    y,
    sr: float,
    n_mels: int = 64,
    n_frames: int = 64,
    n_fft: int = 1024,
    hop_length: int = 256,
    seconds: Optional[float] = None,
    top_db: float = 80.0,
) -> dict:
    """The audio input of chapter 10's models for one clip: a log-mel spectrogram on ``n_frames`` frames.

    ``y``: mono samples ``(n,)`` at ``sr`` Hz. ``seconds`` (optional): first cut the clip to
    its first ``seconds`` or pad it with zeros (silence) to that length, as
    :func:`zhao_clip_inputs` does. Then :func:`mel_spectrogram` (``n_mels`` Slaney mel bands
    from 0 Hz to ``sr / 2``, Hann window of ``n_fft`` samples, hop ``hop_length`` samples,
    power), :func:`power_to_db` in dB relative to the clip's peak (0 dB at the loudest
    bin) and floored at ``-top_db`` dB, and an average over time into ``n_frames``
    near-equal consecutive groups of STFT frames (so every clip gives the same shape).

    Returns ``{"mel": (n_mels, n_frames)}``, float64 dB in ``[-top_db, 0]``; row ``i`` is the
    band centred near ``mel_frequencies(n_mels + 2, 0, sr / 2)[i + 1]`` Hz. Raises
    :class:`~mer_lessons.validation.InputError` (naming ``n_frames``) when the clip, after
    ``seconds``, has fewer than ``n_frames`` STFT frames (``1 + len(y) // hop_length``).

    Wang (2025), Eq. 3: the audio branch reads a mel spectrogram of the clip. Paper: the
    mel settings and the input length are not given; we: 64 bands, a 1024-sample window,
    a hop of 256 and 64 pooled frames per clip, so that small models train in seconds.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "clip_log_mel"
    y, sr, n_mels, n_fft, hop_length, top_db = _log_mel_settings(y, sr, n_mels, n_fft, hop_length, top_db, where)
    n_frames = as_int(n_frames, "n_frames", minimum=1, where=where)
    y = _crop_or_pad(y, sr, seconds, where=where)
    available = 1 + y.size // hop_length                      # frames of a centred STFT
    if available < n_frames:
        raise InputError(message("n_frames", f"at most {available} (the STFT frames of this "
                                 f"{y.size / sr:g} s clip at hop_length={hop_length})", n_frames, where=where,
                                 hint="pass a longer clip, seconds=..., a smaller hop_length or fewer n_frames"))
    M = _mel_spectrogram(y, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, where=where)
    S_db = power_to_db(M, ref=np.max, top_db=top_db)
    return {"mel": _pool_frames(S_db, n_frames)}


__all__ += ["clip_log_mel"]


def peak_normalise(y, peak: float = 0.99) -> np.ndarray:
    """Scale a signal so that its largest absolute sample is ``peak``: shape ``(n,)`` -> ``(n,)``.

    ``y * peak / max|y|``; a silent signal (all zeros) is returned unchanged (there is no
    level to match). Kirar et al. (2024), Sec. 3.2.1: audio "normalization to keep the
    amplitude consistent". Paper: the kind of normalisation is not given; we: peak
    normalisation, so every clip's loudest sample sits at the same level whatever the
    recording gain.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    y = _mono(y, where="peak_normalise")
    peak = as_float(peak, "peak", minimum=0.0, low_open=True, where="peak_normalise")
    top = float(np.max(np.abs(y)))
    return y.copy() if top == 0 else y * (peak / top)


def kirar_audio_frames(
    y,
    sr: float,
    steps: Optional[int] = 8,
    n_mels: int = 40,
    n_fft: int = 512,
    hop_length: int = 160,
    spectral_subtraction: bool = True,
    noise_seconds: float = 0.25,
    normalise: bool = True,
    top_db: float = 80.0,
) -> np.ndarray:
    """The audio input of chapter 11: cleaned, normalised log-mel frames, ``(n_mels, steps)`` dB.

    Kirar et al. (2024), Sec. 3.2.1, in order: (1) :func:`spectral_subtraction` with the
    noise spectrum of the first ``noise_seconds`` (at most a quarter of the clip, so short
    utterances work; ``spectral_subtraction=False`` skips it: the chapter's ablation); (2) :func:`peak_normalise` (``normalise=False`` skips it);
    (3) :func:`mel_spectrogram` (``n_mels`` Slaney bands, Hann window of ``n_fft`` samples,
    hop ``hop_length`` samples: 32 ms and 10 ms at 16 kHz) in dB re 1 (:func:`power_to_db`,
    floored ``top_db`` below the clip's peak); (4) an average over time into ``steps``
    near-equal consecutive groups of frames, the steps the BiLSTM reads
    (``steps=None`` keeps every STFT frame: ``(n_mels, 1 + n // hop_length)``).
    The autoencoder of Eq. 10 then compresses each step (chapter 11).

    ``y``: mono samples ``(n,)`` at ``sr`` Hz. Paper: no frame, band or step setting is given,
    nor what the autoencoder reads; we: log-mel steps, a common speech-emotion input.
    Raises :class:`~mer_lessons.validation.InputError` (naming ``steps``) when the clip has
    fewer STFT frames than ``steps``.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "kirar_audio_frames"
    y, sr, n_mels, n_fft, hop_length, top_db = _log_mel_settings(y, sr, n_mels, n_fft, hop_length, top_db, where)
    if spectral_subtraction:
        noise_seconds = min(as_float(noise_seconds, "noise_seconds", minimum=0, low_open=True, where=where, unit="s"),
                            y.size / sr / 4)
        y = globals()["spectral_subtraction"](y, sr, noise_seconds=noise_seconds, n_fft=n_fft, hop_length=hop_length)
    if normalise:
        y = peak_normalise(y)
    M = _mel_spectrogram(y, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, where=where)
    S_db = power_to_db(M, ref=1.0, top_db=top_db)
    if steps is None:
        return S_db
    steps = as_int(steps, "steps", minimum=1, where=where)
    if S_db.shape[1] < steps:
        raise InputError(message("steps", f"at most {S_db.shape[1]} (the STFT frames of this {y.size / sr:g} s clip)",
                                 steps, where=where, hint="pass a longer clip, a smaller hop_length or fewer steps"))
    return _pool_frames(S_db, steps)


__all__ += ["peak_normalise", "kirar_audio_frames"]


def liu_mfcc(
    y,
    sr: float,
    *,
    n_mfcc: int = 13,
    n_mels: int = 40,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    pooling: Optional[str] = "mean",
) -> np.ndarray:
    """MFCCs with Liu et al.'s settings: frame-level ``(n_mfcc, frames)`` or one clip vector.

    Liu et al. (2025), Eq. 1–4: frames of ``frame_ms`` (25 ms) every ``hop_ms`` (10 ms),
    FFT (Eq. 1), a bank of ``n_mels`` = 40 mel filters (Eq. 2), log (Eq. 3) and DCT (Eq. 4),
    then ``A_MFCC``: the coefficients summed over the frames. Computed with :func:`mfcc`
    (Hann window of ``win_length`` = the frame length, ``n_fft`` = the next power of two
    ``>=`` it (:func:`next_power_of_two`: 512 at 16 kHz), hop = ``hop_ms``, Slaney mel
    filters, power spectrum, dB via :func:`power_to_db` floored 80 dB below 0 dB re 1, DCT-II
    ``"ortho"``), the same numbers as ``librosa.feature.mfcc`` with those settings.

    ``y``: mono samples ``(n,)`` at ``sr`` Hz. ``pooling``:

    * ``None``: the frame-level coefficients, ``(n_mfcc, 1 + n // hop)`` (centred frames).
    * ``"mean"`` (default): the clip vector ``(n_mfcc,)``, the paper's sum over frames
      divided by the number of frames, so that clips of different lengths compare.
    * ``"sum"``: the paper's literal ``A_MFCC``, ``(n_mfcc,)``; it grows with the clip length.
    * ``"mean_std"``: mean and standard deviation over frames, concatenated, ``(2 n_mfcc,)``.

    Paper: 40 filters, 25 ms frames, 10 ms shift and a sum over frames; the window, the
    FFT size, the mel formula and the number of coefficients are not given; we: a Hann
    window, the next power-of-two FFT, Slaney's mel scale, 13 coefficients (c0 included)
    and, by default, the mean instead of the sum.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "liu_mfcc"
    win_length = ms_to_samples(frame_ms, sr, "frame_ms", where=where)
    hop_length = ms_to_samples(hop_ms, sr, "hop_ms", where=where)
    y, sr, n_mels, n_fft, hop_length, _ = _log_mel_settings(y, sr, n_mels, next_power_of_two(win_length),
                                                            hop_length, 80.0, where)
    n_mfcc = as_int(n_mfcc, "n_mfcc", minimum=1, maximum=n_mels, where=where)
    pooling = as_choice(pooling, "pooling", (None, "mean", "sum", "mean_std"), where=where)
    M = mfcc(y, sr, n_mfcc=n_mfcc, n_fft=n_fft, win_length=win_length, hop_length=hop_length, n_mels=n_mels)
    if pooling is None:
        return M
    if pooling == "sum":
        return M.sum(axis=1)
    if pooling == "mean":
        return M.mean(axis=1)
    return np.concatenate([M.mean(axis=1), M.std(axis=1)])


__all__ += ["liu_mfcc"]
