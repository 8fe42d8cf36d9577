"""Physiological signals for emotion recognition: EEG, skin conductance (GSR/EDA) and ECG.

Preprocessing, as Hao et al. describe it in Sec. 4.2 ("Preprocessing of physiological
signals"): EEG band-passed to 0.5-50 Hz (:func:`bandpass`), DEAP's EEG downsampled from
512 to 128 Hz and AMIGOS's physiology to 64 Hz (:func:`resample`), every signal
z-scored (:func:`zscore`). Around that, what real recordings need and the paper leaves
out: a mains :func:`notch`, DEAP's 3 s pre-trial baseline (:func:`remove_baseline`) and
:func:`sliding_windows` for models that read a trial in pieces.

Features, the classical ones of DEAP/AMIGOS studies:

* EEG: :func:`band_powers` (Welch), :func:`differential_entropy` (DE of a band-limited
  Gaussian signal), :func:`frontal_asymmetry` (ln right - ln left alpha power);
* GSR: :func:`eda_decompose` (tonic level + phasic responses), :func:`scr_peaks` and
  :func:`scr_rate` (skin-conductance responses per minute);
* ECG: :func:`detect_r_peaks` (a Pan-Tompkins-style detector written here),
  :func:`heart_rate`, :func:`hrv` (SDNN, RMSSD, pNN50), :func:`average_beat` and
  :func:`beat_landmarks` (the P, Q, R, S and T waves of an R-peak-aligned mean beat);
* :func:`trial_features`: one documented feature vector per trial of the teaching
  dataset (or of DEAP/AMIGOS items), and :func:`zscore_per_group`, per-listener feature
  normalisation, the standard remedy for people who differ.

Conventions: signals are float arrays ``(..., T)`` with time on the last axis, channels
before it (``(channels, T)`` for EEG); sample rates ``sr`` in Hz; times in seconds;
EEG in microvolts (uV), skin conductance in microsiemens (uS), ECG in millivolts (mV).
Filtering is zero-phase (forward-backward, no delay), so a Butterworth filter of the
design's -3 dB cutoff is -6 dB at that frequency once applied (:func:`filter_response_db`).
Bad inputs (sample rates <= 0, cutoffs at or above Nyquist, windows longer than the
signal, signals too short to filter) raise the errors of :mod:`mer_lessons.validation`
(all ``ValueError`` s), whose message names the function and the argument and says
what to change.

Only NumPy/SciPy: the course runs offline with no extra dependency. ``neurokit2``
(``nk.ecg_peaks``, ``nk.eda_phasic``, ``nk.hrv_time``) is a fuller, well-tested
alternative for real studies; the functions here are small enough to read.
Taught in ``06_physiological_signals``; used by the Hao et al. chapter.
"""

from __future__ import annotations

import functools
import math
import warnings
from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import signal as sps

from mer_lessons.validation import (
    EmptyInputError,
    InputError,
    OutOfRangeError,
    UnknownOptionError,
    WrongShapeError,
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
    "AMIGOS_HAO_SR", "DEAP_BASELINE_SECONDS", "DEAP_RAW_SR", "DEAP_SR", "EEG_BANDS", "HAO_EEG_BAND",
    "ECG_WAVES", "average_beat", "beat_landmarks",
    "band_name", "band_powers", "bandpass", "bandpass_sos", "detect_r_peaks", "differential_entropy",
    "eda_decompose", "features_table", "filter_response_db", "frontal_asymmetry", "gaussian_entropy",
    "heart_rate", "highpass", "hrv", "lowpass", "notch", "preprocess_eeg", "remove_baseline", "resample",
    "scr_peaks", "scr_rate", "sliding_windows", "trial_features", "welch_psd", "zscore", "zscore_per_group",
]

#: The classical EEG rhythms in Hz, ``name: (low, high)``; a band holds ``low <= f < high``.
#: Gamma stops at 45 Hz, where DEAP's preprocessed release stops (it was band-passed 4-45 Hz).
#: The same bands as the teaching dataset's simulator (``mer_lessons.data.listener.EEG_BANDS``).
EEG_BANDS: dict[str, tuple[float, float]] = {
    "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0),
}
#: Hao et al., Sec. 4.2: "band-pass filters to remove noise below 0.5 Hz and above 50 Hz".
HAO_EEG_BAND = (0.5, 50.0)
#: DEAP: recorded at 512 Hz, released (preprocessed) at 128 Hz, 3 s baseline before each video.
DEAP_RAW_SR = 512
DEAP_SR = 128
DEAP_BASELINE_SECONDS = 3.0
#: Hao et al., Sec. 4.2: AMIGOS physiology "adjusted to 64 Hz" (the release is at 128 Hz).
AMIGOS_HAO_SR = 64

BASELINE_METHODS = ("subtract_mean", "drop")
EDA_METHODS = ("lowpass", "median")


# --------------------------------------------------------------------------- input checks

def _padlen_sos(sos: np.ndarray) -> int:
    """The padding ``scipy.signal.sosfiltfilt`` uses by default."""
    return 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))


def _filtfilt_sos(sos: np.ndarray, x: np.ndarray, what: str) -> np.ndarray:
    padlen = _padlen_sos(sos)
    if x.shape[-1] <= padlen:
        raise EmptyInputError(message(
            "x", f"more than {padlen} samples long for this zero-phase filter", f"{x.shape[-1]} samples (too short)",
            where=what, describe=False, hint="use a longer signal or a lower order"))
    return sps.sosfiltfilt(sos, x, axis=-1)


# --------------------------------------------------------------------------- filters

def _butter(order: int, cutoff, btype: str, sr: float) -> np.ndarray:
    """Butterworth design (second-order sections), cached: a design costs more than filtering a short trial."""
    return _butter_cached(order, cutoff, btype, sr).copy()


@functools.lru_cache(maxsize=256)
def _butter_cached(order: int, cutoff, btype: str, sr: float) -> np.ndarray:
    if btype == "bandpass":
        from mer_lessons.dsp import butter_bandpass_sos

        sos = butter_bandpass_sos(sr, cutoff[0], cutoff[1], order=order)
    else:
        sos = sps.butter(order, cutoff, btype=btype, fs=sr, output="sos")
    return sos


def _bandpass_design(sr: float, low, high, order, *, where: str) -> np.ndarray:
    low, high = as_frequency_band(low, high, sr, names=("low", "high"), where=where)
    order = as_int(order, "order", where=where)
    return _butter(order, (low, high), "bandpass", sr)


def bandpass_sos(sr: float, low: float, high: float, order: int = 4) -> np.ndarray:
    """Butterworth band-pass design ``low``-``high`` Hz as second-order sections, shape ``(order, 6)``.

    The design is -3 dB at both cutoffs (one pass); :func:`bandpass` applies it forward and
    backward, which squares the magnitude: -6 dB at the cutoffs, 0 dB in the passband.
    The design itself is :func:`mer_lessons.dsp.butter_bandpass_sos` (SciPy's ``butter``),
    after checks that name the problem. Hao et al., Sec. 4.2 (EEG 0.5-50 Hz).
    Taught in ``06_physiological_signals``.
    """
    return _bandpass_design(as_sample_rate(sr, where="bandpass_sos"), low, high, order, where="bandpass_sos")


def bandpass(x, sr: float, low: float, high: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass of ``x`` (``(..., T)``, any unit) along time; same shape.

    Hao et al., Sec. 4.2: EEG band-passed to 0.5-50 Hz (``bandpass(eeg, 128, 0.5, 50)``).
    Forward-backward filtering (``scipy.signal.sosfiltfilt``): no delay, passband gain 1
    (0 dB), -6 dB at ``low`` and ``high``, and ``-2 * 20 * order`` dB per decade outside.
    ``x`` needs more samples than the filter's edge padding (27 for order 4).
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="bandpass")
    sos = _bandpass_design(sr, low, high, order, where="bandpass")
    return _filtfilt_sos(sos, as_signal(x, where="bandpass", refuse_channels_last=True), "bandpass")


def lowpass(x, sr: float, cutoff: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass of ``x`` (``(..., T)``) at ``cutoff`` Hz (-6 dB there); same shape.

    Used by :func:`eda_decompose` (the tonic skin-conductance level) and :func:`scr_peaks`.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="lowpass")
    cutoff = as_frequency(cutoff, "cutoff", sr, where="lowpass")
    sos = _butter(as_int(order, "order", where="lowpass"), cutoff, "lowpass", sr)
    return _filtfilt_sos(sos, as_signal(x, where="lowpass", refuse_channels_last=True), "lowpass")


def highpass(x, sr: float, cutoff: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth high-pass of ``x`` (``(..., T)``) at ``cutoff`` Hz (-6 dB there); same shape.

    Removes drift and baseline wander (ECG, EEG). Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="highpass")
    cutoff = as_frequency(cutoff, "cutoff", sr, where="highpass")
    sos = _butter(as_int(order, "order", where="highpass"), cutoff, "highpass", sr)
    return _filtfilt_sos(sos, as_signal(x, where="highpass", refuse_channels_last=True), "highpass")


def filter_response_db(sos, sr: float, freqs, *, zero_phase: bool = True) -> np.ndarray:
    """Magnitude response in dB of second-order sections ``sos`` at ``freqs`` (Hz).

    ``scipy.signal.sosfreqz``; with ``zero_phase=True`` the dB values are doubled, since
    :func:`bandpass` runs the filter twice (forward and backward).
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="filter_response_db")
    sos = as_real_array(sos, "sos", where="filter_response_db")
    freqs = np.atleast_1d(as_real_array(freqs, "freqs", where="filter_response_db"))
    _, h = sps.sosfreqz(sos, worN=freqs, fs=sr)
    db = 20 * np.log10(np.maximum(np.abs(h), 1e-300))
    return 2 * db if zero_phase else db


def notch(x, sr: float, freq: float = 50.0, quality: float = 30.0) -> np.ndarray:
    """Remove mains hum at ``freq`` Hz (50 in Europe, 60 in the Americas) from ``x`` (``(..., T)``).

    A second-order IIR notch (``scipy.signal.iirnotch``) of quality ``quality`` (the notch
    is ``freq / quality`` Hz wide at -3 dB: 1.7 Hz for 50 Hz and Q = 30), run forward and
    backward (``filtfilt``): zero phase, so the rest of the spectrum is untouched.
    Taught in ``06_physiological_signals`` (the simulated signals carry a small 50 Hz hum).
    """
    sr = as_sample_rate(sr, where="notch")
    freq = as_frequency(freq, "freq", sr, where="notch")
    quality = as_float(quality, "quality", minimum=0, low_open=True, where="notch")
    x = as_signal(x, where="notch", refuse_channels_last=True)
    b, a = sps.iirnotch(freq, quality, fs=sr)
    padlen = 3 * max(len(a), len(b))
    if x.shape[-1] <= padlen:
        raise EmptyInputError(message("x", f"more than {padlen} samples long for the notch filter",
                                      f"{x.shape[-1]} samples (too short)", where="notch", describe=False))
    return sps.filtfilt(b, a, x, axis=-1)


# --------------------------------------------------------------------------- resampling, baseline, scaling

def resample(x, sr: float, target_sr: float) -> np.ndarray:
    """Change the sample rate of ``x`` (``(..., T)``) from ``sr`` to ``target_sr`` Hz, polyphase.

    ``target_sr / sr`` is written as a fraction ``up / down`` in lowest terms (128/512 =
    1/4), and ``scipy.signal.resample_poly`` upsamples by ``up``, low-pass filters (a
    Kaiser-windowed FIR, which also stops aliasing) and keeps every ``down``-th sample.
    The output has ``ceil(T * up / down)`` samples. Hao et al., Sec. 4.2: DEAP's EEG 512 ->
    128 Hz, AMIGOS 128 -> 64 Hz. Rates must be rational with a denominator up to 1000.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="resample")
    target_sr = as_sample_rate(target_sr, "target_sr", where="resample")
    x = as_signal(x, where="resample", refuse_channels_last=True)
    ratio = Fraction(target_sr / sr).limit_denominator(1000)
    if abs(float(ratio) - target_sr / sr) > 1e-9 * target_sr / sr:
        raise OutOfRangeError(message("target_sr", f"a rate whose ratio to sr={sr:g} Hz is a fraction of small "
                                      "integers (denominator <= 1000)", target_sr, where="resample"))
    up, down = ratio.numerator, ratio.denominator
    if up == down:
        return x.copy()
    return sps.resample_poly(x, up, down, axis=-1)


def remove_baseline(x, sr: float, baseline_seconds: float = DEAP_BASELINE_SECONDS,
                    method: str = "subtract_mean") -> np.ndarray:
    """Cut the pre-trial baseline off ``x`` (``(..., T)``); returns ``(..., T - n_b)``.

    ``n_b = round(baseline_seconds * sr)`` samples at the start are the baseline (DEAP: 3 s,
    384 samples at 128 Hz, recorded before each video). ``method="drop"`` only cuts them;
    ``"subtract_mean"`` also subtracts each channel's baseline mean from the rest (removes a
    resting offset; for features such as band power, a ratio to the baseline's power is
    the analogue). The DEAP loader's ``baseline="subtract"`` does the per-second variant
    common in DEAP papers. Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="remove_baseline")
    as_choice(method, "method", BASELINE_METHODS, where="remove_baseline")
    x = as_signal(x, where="remove_baseline", refuse_channels_last=True)
    baseline_seconds = as_float(baseline_seconds, "baseline_seconds", minimum=0, low_open=True,
                                where="remove_baseline")
    n_b = int(round(baseline_seconds * sr))
    if n_b >= x.shape[-1]:
        raise OutOfRangeError(message(
            "baseline_seconds", f"shorter than the signal ({x.shape[-1]} samples = {x.shape[-1] / sr:g} s)",
            f"{baseline_seconds:g} s = {n_b} samples at {sr:g} Hz, not shorter", where="remove_baseline",
            describe=False))
    rest = x[..., n_b:]
    if method == "drop":
        return rest.copy()
    return rest - x[..., :n_b].mean(axis=-1, keepdims=True)


def zscore(x, axis: int = -1) -> np.ndarray:
    """``(x - mean) / sd`` along ``axis`` (Hao et al., Sec. 4.2: Z-score standardisation); same shape.

    The sd is the population one (``ddof=0``), so the result has mean 0 and sd 1.
    Constant slices (sd = 0, up to rounding) become all zeros instead of NaN.
    Taught in ``06_physiological_signals``.
    """
    x = as_real_array(x, "x", where="zscore")
    axis = as_int(axis, "axis", minimum=None, where="zscore")
    if x.size == 0:
        raise EmptyInputError(message("x", "non-empty", f"shape {x.shape}", where="zscore", describe=False))
    mean = x.mean(axis=axis, keepdims=True)
    sd = x.std(axis=axis, keepdims=True)
    constant = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    return np.where(constant, 0.0, (x - mean) / np.where(constant, 1.0, sd))


def zscore_per_group(X, groups) -> np.ndarray | pd.DataFrame:
    """Z-score every feature (column) of ``X`` (``(n, features)``) within each group of ``groups``.

    Per-listener normalisation: each person's features get mean 0, sd 1, which removes
    personal offsets (alpha amplitude, resting heart rate, skin-conductance level) that a
    model could otherwise mistake for emotion. It uses the person's unlabelled data
    (all their trials), never labels. A DataFrame stays a DataFrame. Constant features
    of a group become 0; missing values (NaN) are ignored and stay NaN.
    Taught in ``06_physiological_signals``.
    """
    groups = np.asarray(groups)
    values = as_real_array(X, "X", where="zscore_per_group", finite=False)  # NaN: missing, ignored
    if values.ndim != 2 or len(values) != len(groups):
        raise WrongShapeError(message("X", f"shaped (n, features) with one row per group label ({len(groups)} "
                                      "groups)", f"shape {values.shape}", where="zscore_per_group", describe=False))
    out = np.full_like(values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a feature missing for a whole group stays NaN
        for g in pd.unique(groups):
            rows = groups == g
            block = values[rows]
            mean = np.nanmean(block, axis=0)
            sd = np.nanstd(block, axis=0)
            constant = ~(sd > 1e-12 * np.maximum(1.0, np.abs(mean)))
            out[rows] = np.where(constant & np.isfinite(block), 0.0, (block - mean) / np.where(constant, 1.0, sd))
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(out, index=X.index, columns=X.columns)
    return out


def sliding_windows(x, sr: float, window_s: float, hop_s: float) -> np.ndarray:
    """Cut ``x`` (``(..., T)``) into windows: ``(n_windows, ..., window)``, a read-only view.

    ``window = round(window_s * sr)``, ``hop = round(hop_s * sr)`` samples,
    ``n_windows = 1 + (T - window) // hop`` (the tail that does not fill a window is
    dropped). Copy it (``.copy()``) before writing. Used to give sequence models (Hao et
    al.'s Bi-LSTM) a trial as a series of windows. Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="sliding_windows")
    x = as_signal(x, where="sliding_windows", refuse_channels_last=True)
    where = "sliding_windows"
    window_s = as_float(window_s, "window_s", minimum=0, low_open=True, where=where)
    hop_s = as_float(hop_s, "hop_s", minimum=0, low_open=True, where=where)
    window, hop = int(round(window_s * sr)), int(round(hop_s * sr))
    for name, seconds, n in (("window_s", window_s, window), ("hop_s", hop_s, hop)):
        if n < 1:
            raise OutOfRangeError(message(name, f"at least one sample long at {sr:g} Hz (>= {0.5 / sr:g} s)", seconds,
                                          where=where))
    if window > x.shape[-1]:
        raise OutOfRangeError(message(
            "window_s", f"at most the signal's length ({x.shape[-1]} samples = {x.shape[-1] / sr:g} s)",
            f"{window_s:g} s = {window} samples, longer than the signal", where=where, describe=False))
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=-1)[..., ::hop, :]
    return np.moveaxis(view, -2, 0)


def preprocess_eeg(eeg, sr: float, *, band: tuple[float, float] = HAO_EEG_BAND, notch_freq: float | None = 50.0,
                   target_sr: float | None = None, standardize: bool = False) -> tuple[np.ndarray, float]:
    """The EEG chain of Hao et al., Sec. 4.2: notch -> band-pass -> resample -> z-score.

    ``eeg``: ``(channels, T)`` in uV at ``sr`` Hz. Steps: remove ``notch_freq`` mains hum
    (skipped when None or at/above Nyquist), band-pass ``band`` (0.5-50 Hz), resample to
    ``target_sr`` (None keeps ``sr``), z-score each channel when ``standardize``.
    Returns ``(eeg, sr)`` after the chain. Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="preprocess_eeg")
    x = as_signal(eeg, "eeg", where="preprocess_eeg", refuse_channels_last=True)
    if notch_freq is not None and notch_freq < sr / 2:
        x = notch(x, sr, notch_freq)
    x = bandpass(x, sr, band[0], band[1])
    if target_sr is not None and target_sr != sr:
        x, sr = resample(x, sr, target_sr), float(target_sr)
    if standardize:
        x = zscore(x)
    return x, sr


# --------------------------------------------------------------------------- EEG features

def band_name(freq: float, bands: Mapping[str, tuple[float, float]] = EEG_BANDS) -> str | None:
    """The name of the band holding ``freq`` Hz (``low <= freq < high``), or None (e.g. delta < 4 Hz).

    Taught in ``06_physiological_signals``.
    """
    for name, (low, high) in bands.items():
        if low <= freq < high:
            return name
    return None


def welch_psd(x, sr: float, nperseg: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density of ``x`` (``(..., T)``): ``(freqs (F,), psd (..., F))`` in unit^2/Hz.

    Hann windows of ``nperseg`` samples, half overlapping, mean removed per window;
    ``nperseg`` defaults to ``min(T, 2 * sr)`` (2 s windows: 0.5 Hz resolution, and a
    4 s trial at 128 Hz gives three averaged windows). The PSD is one-sided, so summing it
    times the bin width gives the signal's variance (Parseval).
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="welch_psd")
    x = as_signal(x, min_length=2, where="welch_psd", refuse_channels_last=True)
    n = x.shape[-1]
    if nperseg is None:
        nperseg = min(n, int(round(2 * sr)))
    nperseg = as_int(nperseg, "nperseg", minimum=2, maximum=n, where="welch_psd")
    return sps.welch(x, fs=sr, window="hann", nperseg=int(nperseg), noverlap=int(nperseg) // 2,
                     detrend="constant", scaling="density", axis=-1)


def _usable_bands(bands: Mapping[str, tuple[float, float]], sr: float, *,
                  where: str) -> dict[str, tuple[float, float]]:
    """Bands clipped to Nyquist; a band wholly above it is an error, one partly above a warning."""
    nyquist = sr / 2.0
    out = {}
    for name, (low, high) in bands.items():
        if not 0 <= low < high:
            raise OutOfRangeError(message(f"bands[{name!r}]", "(low, high) in Hz with 0 <= low < high", (low, high),
                                          where=where))
        if low >= nyquist:
            raise OutOfRangeError(message(
                f"bands[{name!r}]", f"a band starting below the Nyquist frequency {nyquist:g} Hz (sr = {sr:g} Hz)",
                f"{low:g}-{high:g} Hz", where=where, describe=False,
                hint="this signal cannot hold it; drop the band or keep a higher rate"))
        if high > nyquist:
            warnings.warn(f"band {name!r} ({low:g}-{high:g} Hz) is cut at the Nyquist frequency {nyquist:g} Hz "
                          f"(sr = {sr:g} Hz): only {low:g}-{nyquist:g} Hz of it is measured", UserWarning, stacklevel=3)
            high = nyquist
        out[name] = (float(low), float(high))
    return out


def _as_frame(values: np.ndarray, bands, channels, *, where: str) -> np.ndarray | pd.DataFrame:
    if channels is None:
        return values
    channels = list(channels)
    if values.ndim != 2 or len(channels) != values.shape[0]:
        raise WrongShapeError(message("channels", f"one name per row of x ({values.shape[0] if values.ndim else 0} "
                                      "rows, x of shape (C, T))", f"{len(channels)} names", where=where,
                                      describe=False))
    return pd.DataFrame(values, index=pd.Index(channels, name="channel"), columns=list(bands))


def band_powers(x, sr: float, bands: Mapping[str, tuple[float, float]] = EEG_BANDS, *, nperseg: int | None = None,
                relative: bool = False, channels: Sequence[str] | None = None) -> np.ndarray | pd.DataFrame:
    """Power of ``x`` (``(..., T)``, uV) in each frequency band: ``(..., n_bands)`` in uV^2.

    The Welch PSD (:func:`welch_psd`, 2 s Hann windows by default) summed over the bins
    with ``low <= f < high`` times the bin width: the variance the signal has in that band.
    A pure sine of amplitude A at 10 Hz gives ``A**2 / 2`` in alpha and ~0 elsewhere.
    ``relative=True`` divides by the total power of the signal (every bin), so values are
    fractions. With ``channels`` (names of the rows of a ``(C, T)`` input) a DataFrame
    channels x bands is returned. Bands above Nyquist: see the warning/error raised.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="band_powers")
    usable = _usable_bands(bands, sr, where="band_powers")
    freqs, psd = welch_psd(x, sr, nperseg)
    df = freqs[1] - freqs[0]
    out = np.stack([psd[..., (freqs >= lo) & (freqs < hi)].sum(axis=-1) * df for lo, hi in usable.values()], axis=-1)
    if relative:
        total = psd.sum(axis=-1, keepdims=True) * df
        out = out / np.where(total > 0, total, 1.0)
    return _as_frame(out, usable, channels, where="band_powers")


def gaussian_entropy(variance) -> np.ndarray | float:
    """Differential entropy (nats) of a Gaussian of variance ``variance``: ``0.5 * ln(2 pi e var)``.

    Shi, Jiao & Lu (2013) and the DEAP/SEED literature use it as an EEG feature: within a
    narrow band, EEG is close to Gaussian, so its entropy depends on its variance only.
    Taught in ``06_physiological_signals``.
    """
    v = as_real_array(variance, "variance", where="gaussian_entropy")
    if np.any(v <= 0):
        raise OutOfRangeError(message("variance", "> 0", v.item() if v.ndim == 0 else v, where="gaussian_entropy"))
    out = 0.5 * np.log(2 * np.pi * np.e * v)
    return float(out) if out.ndim == 0 else out


def differential_entropy(x, sr: float, bands: Mapping[str, tuple[float, float]] = EEG_BANDS, *, order: int = 4,
                         channels: Sequence[str] | None = None) -> np.ndarray | pd.DataFrame:
    """Differential entropy (DE, nats) of ``x`` (``(..., T)``) in each band: ``(..., n_bands)``.

    Band-pass ``x`` to each band (:func:`bandpass`, order ``order``), take the variance
    ``s2`` of the result and return ``0.5 * ln(2 pi e s2)`` (:func:`gaussian_entropy`), the
    DE of a Gaussian with that variance. DE is thus a log band power up to a constant, and
    the favourite EEG emotion feature since Duan et al. (2013). A band cut by Nyquist
    is filtered up to 0.99 of it. With ``channels`` a DataFrame channels x bands.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="differential_entropy")
    usable = _usable_bands(bands, sr, where="differential_entropy")
    x = as_signal(x, where="differential_entropy", refuse_channels_last=True)
    order = as_int(order, "order", where="differential_entropy")
    out = []
    for low, high in usable.values():
        high = min(high, 0.99 * sr / 2)
        if low <= 0:
            y = lowpass(x, sr, high, order)
        else:
            y = bandpass(x, sr, low, high, order)
        out.append(gaussian_entropy(np.maximum(y.var(axis=-1), 1e-300)))
    return _as_frame(np.stack(out, axis=-1), usable, channels, where="differential_entropy")


def frontal_asymmetry(powers, channels: Sequence[str] | None = None,
                      pairs: Sequence[tuple[str, str]] = (("F4", "F3"), ("F8", "F7")), band: str = "alpha",
                      bands: Mapping[str, tuple[float, float]] = EEG_BANDS) -> pd.Series:
    """Frontal asymmetry ``ln P(right) - ln P(left)`` in ``band`` for each (right, left) pair.

    ``powers``: a DataFrame channels x bands (from :func:`band_powers` with ``channels``),
    or an array ``(C, n_bands)`` with ``channels`` naming its rows and columns in the
    order of ``bands``. Alpha power is an inverse index of cortical activity, so a
    positive alpha asymmetry (more alpha on the right) means relatively more left-frontal
    activity, which the approach-withdrawal model (Davidson; Coan & Allen, 2004) links to
    pleasant, approach-related states. Returns a Series indexed ``"F4-F3"``, ...
    Taught in ``06_physiological_signals``.
    """
    if isinstance(powers, pd.DataFrame):
        table = powers
    else:
        values = as_real_array(powers, "powers", where="frontal_asymmetry")
        if channels is None or values.ndim != 2 or values.shape != (len(channels), len(bands)):
            raise WrongShapeError(message(
                "powers", "a DataFrame channels x bands, or a (C, n_bands) array with channels naming its rows",
                f"shape {values.shape} with {'no' if channels is None else len(channels)} channel names",
                where="frontal_asymmetry", describe=False))
        table = pd.DataFrame(values, index=list(channels), columns=list(bands))
    if band not in table.columns:
        as_choice(band, "band", list(table.columns), where="frontal_asymmetry")
    out = {}
    for right, left in pairs:
        missing = [c for c in (right, left) if c not in table.index]
        if missing:
            raise UnknownOptionError(message("pairs", f"pairs of channels from {list(table.index)}",
                                             f"unknown channel(s) {missing}", where="frontal_asymmetry",
                                             describe=False))
        p_right, p_left = float(table.loc[right, band]), float(table.loc[left, band])
        if p_right <= 0 or p_left <= 0:
            raise OutOfRangeError(message("powers", "positive to take logs", f"{right}={p_right:g}, {left}={p_left:g}",
                                          where="frontal_asymmetry", describe=False))
        out[f"{right}-{left}"] = math.log(p_right) - math.log(p_left)
    return pd.Series(out, name=f"{band} asymmetry", dtype=float)


# --------------------------------------------------------------------------- GSR / EDA

def eda_decompose(gsr, sr: float, *, method: str = "lowpass", cutoff: float = 0.05,
                  window_s: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Split skin conductance ``gsr`` (``(T,)``, uS) into ``(tonic, phasic)``, each ``(T,)``, summing to ``gsr``.

    The tonic skin-conductance level (SCL) changes over tens of seconds; phasic
    responses (SCRs) rise in 1-3 s and recover over several seconds.

    * ``method="lowpass"`` (default): tonic = a zero-phase 2nd-order Butterworth low-pass
      at ``cutoff`` Hz (0.05 Hz, after the "high-pass at 0.05 Hz" convention of
      neurokit2's ``eda_phasic(method="highpass")``); phasic = the rest, which can dip
      below 0 after a large response;
    * ``method="median"``: tonic = a running median over ``window_s`` seconds (4 s; an SCR
      shorter than half the window does not move the median), phasic = the rest.

    Model-based decompositions (Ledalab's deconvolution, cvxEDA) are more faithful; these
    two are the common quick ones. On short trials (the teaching dataset's 4 s) the tonic
    is close to a straight line either way. Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="eda_decompose")
    as_choice(method, "method", EDA_METHODS, where="eda_decompose")
    x = as_signal(gsr, "gsr", ndim=1, where="eda_decompose")
    if method == "lowpass":
        cutoff = as_frequency(cutoff, "cutoff", sr, where="eda_decompose")
        sos = _butter(2, cutoff, "lowpass", sr)
        tonic = _filtfilt_sos(sos, x, "eda_decompose")
    else:
        from scipy.ndimage import median_filter

        window_s = as_float(window_s, "window_s", minimum=0, low_open=True, where="eda_decompose")
        size = max(1, int(round(window_s * sr))) | 1  # odd: centred
        tonic = median_filter(x, size=size, mode="nearest")
    return tonic, x - tonic


def scr_peaks(gsr, sr: float, min_amplitude: float = 0.01, *, smooth_hz: float | None = 1.0,
              detrend_hz: float | None = 0.05) -> pd.DataFrame:
    """Skin-conductance responses (SCRs) of ``gsr`` (``(T,)``, uS) by the trough-to-peak method.

    1. smooth: zero-phase low-pass at ``smooth_hz`` (1 Hz; skipped when None or the rate
       is too low), so that noise cannot split a rise;
    2. detrend: subtract the tonic level, a zero-phase low-pass at ``detrend_hz`` (0.05 Hz,
       as :func:`eda_decompose`), so that a drifting skin-conductance level does not turn
       into one long "rise" (skipped when None or the signal is too short to filter);
    3. every run of rising samples is a candidate: its **onset** is where the rise starts
       (the trough), its **peak** where it stops, its **amplitude** the rise in uS. Two
       rises separated by a dip smaller than ``0.1 * min_amplitude`` count as one; rises
       below ``min_amplitude`` (0.01 uS, a usual criterion; Boucsein's *Electrodermal
       Activity*) are dropped, and so is a rise still going at the last sample (its peak
       is not in the signal).

    An SCR that starts on the recovery of the previous one is measured from its own
    trough, while the recovery keeps pulling the level down: its amplitude comes out
    smaller than the response's own size (model-based decompositions avoid this).
    Returns a DataFrame, one row per SCR: ``onset``, ``peak`` (sample indices),
    ``onset_s``, ``peak_s`` (seconds), ``amplitude`` (uS), ``rise_time`` (s).
    ``neurokit2.eda_peaks`` implements several published variants.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="scr_peaks")
    x = as_signal(gsr, "gsr", ndim=1, min_length=3, where="scr_peaks")
    min_amplitude = as_float(min_amplitude, "min_amplitude", minimum=0, low_open=True, where="scr_peaks", unit="uS")
    s = x
    if smooth_hz and smooth_hz < 0.45 * sr:
        sos = _butter(2, float(smooth_hz), "lowpass", sr)
        if x.size > _padlen_sos(sos):
            s = sps.sosfiltfilt(sos, s)
    if detrend_hz and detrend_hz < 0.45 * sr:
        sos = _butter(2, float(detrend_hz), "lowpass", sr)
        if x.size > _padlen_sos(sos):
            s = s - sps.sosfiltfilt(sos, s)
    rising = np.diff(s) > 0
    edges = np.diff(np.concatenate([[0], rising.astype(np.int8), [0]]))
    onsets = np.flatnonzero(edges == 1)       # first rising difference i: the rise starts at sample i
    peaks = np.flatnonzero(edges == -1)       # one past the last rising difference: the top sample
    merged_on, merged_pk = [], []
    for on, pk in zip(onsets, peaks):
        if merged_pk and s[merged_pk[-1]] - s[on] < 0.1 * min_amplitude:
            merged_pk[-1] = pk                # a negligible dip: the same response goes on
        else:
            merged_on.append(on)
            merged_pk.append(pk)
    rows = []
    for on, pk in zip(merged_on, merged_pk):
        amplitude = s[pk] - s[on]
        if pk >= len(s) - 1 or amplitude < min_amplitude:
            continue
        rows.append((on, pk, on / sr, pk / sr, amplitude, (pk - on) / sr))
    return pd.DataFrame(rows, columns=["onset", "peak", "onset_s", "peak_s", "amplitude", "rise_time"]).astype(
        {"onset": int, "peak": int, "onset_s": float, "peak_s": float, "amplitude": float, "rise_time": float})


def scr_rate(gsr, sr: float, min_amplitude: float = 0.01, **options) -> float:
    """Skin-conductance responses per minute in ``gsr`` (``(T,)``, uS): ``len(scr_peaks) / minutes``.

    The classic arousal index of electrodermal activity. Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="scr_rate")
    found = scr_peaks(gsr, sr, min_amplitude, **options)
    return len(found) / (np.asarray(gsr).shape[-1] / sr / 60.0)


# --------------------------------------------------------------------------- ECG

def detect_r_peaks(ecg, sr: float, *, refractory_s: float = 0.25) -> np.ndarray:
    """Sample indices of the R peaks of a one-lead ECG ``ecg`` (``(T,)``, mV), Pan-Tompkins style.

    After Pan & Tompkins (1985), simplified:

    1. band-pass 5-15 Hz (zero-phase): keeps the steep QRS, drops baseline wander, the
       slow P and T waves, mains hum and most muscle noise;
    2. derivative, squared (emphasises the steepest slopes, all positive);
    3. moving-window integration over 150 ms (about one QRS), centred;
    4. local maxima at least ``refractory_s`` apart (0.25 s: nothing beats faster than
       240 bpm, and the heart cannot fire again at once) are candidates; an adaptive
       threshold ``noise + 0.25 * (signal - noise)`` follows running estimates of the
       QRS ("signal") and noise peak heights (updated 1/8 per peak, started from the first
       2 s); a gap longer than 1.66 x the median RR is searched again at half the threshold;
    5. each detection is moved to the largest deflection of the ECG (band-passed 0.5-40 Hz)
       within 80 ms; the lead's polarity (R up or down) is taken from the majority.

    Needs ``sr`` >= 64 Hz (AMIGOS 128 Hz, the teaching dataset 256 Hz) and at least 2 s.
    ``neurokit2.ecg_peaks`` offers several published detectors for real studies.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="detect_r_peaks")
    if sr < 64:
        raise OutOfRangeError(message("sr", ">= 64 Hz to see the QRS complex", sr, where="detect_r_peaks"))
    x = as_signal(ecg, "ecg", ndim=1, where="detect_r_peaks")
    if x.size < 2 * sr:
        raise EmptyInputError(message("ecg", "at least 2 s long", f"{x.size / sr:g} s", where="detect_r_peaks",
                                      describe=False))
    refractory = max(1, int(round(refractory_s * sr)))
    f = bandpass(x, sr, 5.0, 15.0, order=2)
    energy = (np.gradient(f) * sr) ** 2
    w = max(1, int(round(0.150 * sr)))
    mwi = np.convolve(energy, np.ones(w) / w, mode="same")
    candidates, _ = sps.find_peaks(mwi, distance=refractory)
    if candidates.size == 0:
        return np.zeros(0, dtype=int)
    heights = mwi[candidates]
    first = mwi[: int(2 * sr)]
    spk, npk = 0.25 * first.max(), 0.5 * first.mean()
    accepted, thresholds = [], np.empty(len(candidates))
    for k, (c, h) in enumerate(zip(candidates, heights)):
        threshold = npk + 0.25 * (spk - npk)
        thresholds[k] = threshold
        if h > threshold and (not accepted or c - accepted[-1] > refractory):
            accepted.append(c)
            spk = 0.125 * h + 0.875 * spk
        else:
            npk = 0.125 * h + 0.875 * npk
    accepted = list(accepted)
    # search back: a missed beat leaves a long gap; take its largest candidate above half the threshold
    if len(accepted) >= 3:
        rr = np.median(np.diff(accepted))
        extra = []
        for a, b in zip(accepted[:-1], accepted[1:]):
            if b - a > 1.66 * rr:
                inside = np.flatnonzero((candidates > a + refractory) & (candidates < b - refractory))
                inside = inside[heights[inside] > 0.5 * thresholds[inside]]
                if inside.size:
                    extra.append(candidates[inside[np.argmax(heights[inside])]])
        accepted = sorted(accepted + extra)
    if not accepted:
        return np.zeros(0, dtype=int)
    # refine on the ECG itself, with the lead's polarity
    g = bandpass(x, sr, 0.5, min(40.0, 0.45 * sr), order=2)
    half = max(1, int(round(0.08 * sr)))
    windows = [(max(0, c - half), min(len(g), c + half + 1)) for c in accepted]
    ups = np.array([g[a:b].max() for a, b in windows])
    downs = np.array([-g[a:b].min() for a, b in windows])
    sign = -1.0 if np.median(downs) > np.median(ups) else 1.0
    peaks = np.array([a + int(np.argmax(sign * g[a:b])) for a, b in windows])
    peaks = np.unique(peaks)
    keep = np.concatenate([[True], np.diff(peaks) > refractory])
    return peaks[keep]


def heart_rate(ecg, sr: float, *, peaks=None) -> float:
    """Mean heart rate (beats per minute) of ``ecg`` (``(T,)``): ``60 / mean RR``; NaN if < 2 beats.

    R peaks from :func:`detect_r_peaks` unless given as sample indices in ``peaks``.
    Taught in ``06_physiological_signals``.
    """
    sr = as_sample_rate(sr, where="heart_rate")
    peaks = detect_r_peaks(ecg, sr) if peaks is None else np.asarray(peaks)
    if len(peaks) < 2:
        return float("nan")
    return float(60.0 / np.mean(np.diff(peaks) / sr))


def hrv(rr_intervals_s) -> pd.Series:
    """Time-domain heart-rate variability of RR intervals (seconds, ``(n,)``).

    Returns a Series: ``mean_rr`` (ms), ``mean_hr`` (bpm, ``60 / mean RR``), ``sdnn`` (ms,
    sample SD of the intervals, ``ddof=1``), ``rmssd`` (ms, root mean square of successive
    differences: beat-to-beat, vagal variability), ``pnn50`` (% of successive differences
    larger than 50 ms, strictly). NaN where there are too few intervals (SDNN needs 2, RMSSD/pNN50 2).

    With RR intervals ``RR_1 .. RR_n`` and successive differences ``d_i = RR_{i+1} - RR_i``:
    ``SDNN = sqrt(sum_i (RR_i - mean RR)^2 / (n - 1))``, ``RMSSD = sqrt(mean_i d_i^2)``,
    ``pNN50 = 100 * #{i : |d_i| > 50 ms} / (n - 1)``.
    Arousal (sympathetic activation, vagal withdrawal) raises HR and lowers RMSSD.
    On a 4 s trial these are rough: HRV is normally measured over minutes.
    Taught in ``06_physiological_signals``.
    """
    rr = as_real_array(rr_intervals_s, "rr_intervals_s", where="hrv", finite=False).ravel()
    if rr.size:
        as_signal(rr, "rr_intervals_s", where="hrv")  # finite
        if np.any(rr <= 0):
            raise OutOfRangeError(message("rr_intervals_s", "positive numbers of seconds", f"min {rr.min():g}",
                                          where="hrv", describe=False))
        if rr.max() > 10:
            raise OutOfRangeError(message("rr_intervals_s", "in seconds", f"max {rr.max():g}", where="hrv",
                                          describe=False, hint="these look like milliseconds; divide by 1000"))
    nan = float("nan")
    mean_rr = float(rr.mean()) if rr.size else nan
    diffs = np.diff(rr)
    return pd.Series({
        "mean_rr": 1000 * mean_rr,
        "mean_hr": 60.0 / mean_rr if rr.size else nan,
        "sdnn": 1000 * float(rr.std(ddof=1)) if rr.size >= 2 else nan,
        "rmssd": 1000 * float(np.sqrt(np.mean(diffs ** 2))) if diffs.size else nan,
        "pnn50": 100 * float(np.mean(np.abs(diffs) > 0.05)) if diffs.size else nan,
    }, dtype=float)


#: The waves of one heartbeat, in order, as :func:`beat_landmarks` names them.
ECG_WAVES = ("P", "Q", "R", "S", "T")

# Where beat_landmarks looks for each wave, in seconds relative to the R peak, and whether it
# is a maximum (+1) or a minimum (-1) there. Valid from about 50 to 150 bpm.
_WAVE_SEARCH = {"P": (-0.30, -0.07, 1), "Q": (-0.06, -0.005, -1), "R": (-0.04, 0.04, 1),
                "S": (0.005, 0.07, -1), "T": (0.10, 0.45, 1)}


def average_beat(ecg, sr: float, *, peaks=None, before_s: float = 0.3,
                 after_s: float = 0.45) -> tuple[np.ndarray, np.ndarray]:
    """Mean heartbeat of a one-lead ECG ``ecg`` (``(T,)``, mV), aligned on the R peaks.

    Cuts ``before_s`` seconds before to ``after_s`` seconds after every R peak
    (:func:`detect_r_peaks` unless sample indices are given in ``peaks``) whose window lies
    inside the signal, and averages them (ensemble averaging): noise and beat-to-beat
    jitter shrink, the P-QRS-T shape stays. The baseline is removed first with a 0.5 Hz
    high-pass, so that breathing wander does not shift the beats.

    Returns ``(t, beat)``: times relative to the R peak in seconds and the mean beat
    (units of ``ecg``), both shape ``(n,)`` with ``n = round(before_s * sr) +
    round(after_s * sr) + 1``. Raises if no whole beat fits.
    Taught in ``06_physiological_signals`` (a labelled beat: P, QRS, T, RR interval).
    """
    sr = as_sample_rate(sr, where="average_beat")
    x = as_signal(ecg, "ecg", ndim=1, where="average_beat")
    before = int(round(as_float(before_s, "before_s", minimum=0, where="average_beat") * sr))
    after = int(round(as_float(after_s, "after_s", minimum=0, where="average_beat") * sr))
    peaks = detect_r_peaks(x, sr) if peaks is None else np.asarray(peaks, dtype=int).ravel()
    peaks = peaks[(peaks - before >= 0) & (peaks + after < x.size)]
    if peaks.size == 0:
        raise EmptyInputError(message("ecg", f"at least one R peak with {before_s:g} s before and {after_s:g} s "
                                      "after it inside the signal", "none", where="average_beat", describe=False))
    x = highpass(x, sr, 0.5, order=2)
    segments = np.stack([x[p - before:p + after + 1] for p in peaks])
    return np.arange(-before, after + 1) / sr, segments.mean(axis=0)


def beat_landmarks(t, beat) -> pd.DataFrame:
    """Where the P, Q, R, S and T waves of one mean beat (:func:`average_beat`) peak.

    Each wave is the extremum of ``beat`` in a fixed window around the R peak (``t = 0``,
    seconds): P the maximum 300-70 ms before R (atrial depolarisation), Q the minimum in
    the 60 ms before R, R the maximum within 40 ms of 0, S the minimum in the 70 ms after R
    (Q, R and S together form the QRS complex: ventricular depolarisation), T the maximum
    100-450 ms after R (ventricular repolarisation). Good for an upright lead at about
    50-150 bpm, which is what it is for: labelling a picture, not delineating real ECGs
    (``neurokit2.ecg_delineate`` does that).

    Returns a DataFrame indexed by :data:`ECG_WAVES` with columns ``time_s`` and ``amplitude``.
    Taught in ``06_physiological_signals``.
    """
    t = as_signal(t, "t", ndim=1, where="beat_landmarks")
    beat = as_signal(beat, "beat", ndim=1, where="beat_landmarks")
    if t.shape != beat.shape:
        raise WrongShapeError(message("beat", f"the shape of t {t.shape}", beat.shape, where="beat_landmarks"))
    rows = {}
    for wave, (low, high, sign) in _WAVE_SEARCH.items():
        inside = np.flatnonzero((t >= low) & (t <= high))
        if inside.size == 0:
            raise OutOfRangeError(message("t", f"to cover {low:g} to {high:g} s around the R peak (the {wave} wave)",
                                          f"{t[0]:g} to {t[-1]:g} s", where="beat_landmarks", describe=False))
        k = inside[np.argmax(sign * beat[inside])]
        rows[wave] = {"time_s": float(t[k]), "amplitude": float(beat[k])}
    return pd.DataFrame.from_dict(rows, orient="index").loc[list(ECG_WAVES)]


# --------------------------------------------------------------------------- one feature vector per trial

def _first_lead(signal) -> np.ndarray:
    arr = np.asarray(signal)
    return arr[0] if arr.ndim == 2 else arr


def trial_features(item: Mapping, *, bands: Mapping[str, tuple[float, float]] = EEG_BANDS,
                   eeg_band: tuple[float, float] = HAO_EEG_BAND, notch_freq: float | None = 50.0,
                   pairs: Sequence[tuple[str, str]] = (("F4", "F3"), ("F8", "F7"))) -> pd.Series:
    """A documented feature vector for one trial (an item of ``data.load("mini")``, DEAP or AMIGOS).

    Uses whichever of ``eeg`` (``(C, T)`` uV, with ``eeg_sr``, ``eeg_channels``), ``gsr``
    (``(T,)`` uS, ``gsr_sr``) and ``ecg`` (``(T,)`` or ``(leads, T)`` mV, ``ecg_sr``; the
    first lead) the item has. Features (name: meaning):

    EEG, after :func:`preprocess_eeg` (notch ``notch_freq``, band-pass ``eeg_band`` =
    Hao et al.'s 0.5-50 Hz):

    * ``eeg_logpow_<band>_<ch>``: ln band power (uV^2, :func:`band_powers`, Welch 2 s);
    * ``eeg_de_<band>_<ch>``: differential entropy (nats, :func:`differential_entropy`);
    * ``eeg_asym_alpha_<R>-<L>``: frontal alpha asymmetry for each pair present;
    * ``eeg_beta_alpha``: mean over channels of ln beta - ln alpha (an arousal index).

    GSR: ``gsr_tonic`` (mean tonic level, uS, :func:`eda_decompose`), ``gsr_scr_rate``
    (SCRs per minute, :func:`scr_rate`), ``gsr_scr_amp`` (mean SCR amplitude, uS; 0 if
    none), ``gsr_phasic_sd`` (SD of the phasic part, uS).

    ECG: ``ecg_hr`` (bpm), ``ecg_sdnn``, ``ecg_rmssd`` (ms, :func:`hrv`); NaN when fewer
    than 3 beats are found.

    No feature is z-scored here: scale them in the model (``StandardScaler``) and, across
    people, per listener (:func:`zscore_per_group`). Hao et al. z-score the signals;
    here the absolute band power is kept, since z-scoring a trial's EEG would erase it.
    Taught in ``06_physiological_signals``.
    """
    feats: dict[str, float] = {}
    if "eeg" in item:
        sr = float(item["eeg_sr"])
        channels = list(item.get("eeg_channels") or [f"ch{i}" for i in range(np.asarray(item["eeg"]).shape[0])])
        high = min(eeg_band[1], 0.45 * sr)
        eeg, sr = preprocess_eeg(item["eeg"], sr, band=(eeg_band[0], high), notch_freq=notch_freq)
        powers = band_powers(eeg, sr, bands, channels=channels)
        de = differential_entropy(eeg, sr, bands)
        logp = np.log(powers.to_numpy())
        for b, band in enumerate(powers.columns):
            feats.update({f"eeg_logpow_{band}_{ch}": float(v) for ch, v in zip(channels, logp[:, b])})
        for b, band in enumerate(powers.columns):
            feats.update({f"eeg_de_{band}_{ch}": float(v) for ch, v in zip(channels, de[:, b])})
        present = [p for p in pairs if p[0] in channels and p[1] in channels]
        if present and "alpha" in powers.columns:
            for name, value in frontal_asymmetry(powers, pairs=present).items():
                feats[f"eeg_asym_alpha_{name}"] = float(value)
        if {"alpha", "beta"} <= set(powers.columns):
            feats["eeg_beta_alpha"] = float((logp[:, list(powers.columns).index("beta")]
                                             - logp[:, list(powers.columns).index("alpha")]).mean())
    if "gsr" in item:
        gsr, sr = np.asarray(item["gsr"], dtype=float), float(item["gsr_sr"])
        tonic, phasic = eda_decompose(gsr, sr)
        scrs = scr_peaks(gsr, sr)
        feats["gsr_tonic"] = float(tonic.mean())
        feats["gsr_scr_rate"] = len(scrs) / (gsr.size / sr / 60.0)
        feats["gsr_scr_amp"] = float(scrs["amplitude"].mean()) if len(scrs) else 0.0
        feats["gsr_phasic_sd"] = float(phasic.std())
    if "ecg" in item:
        ecg, sr = _first_lead(item["ecg"]), float(item["ecg_sr"])
        peaks = detect_r_peaks(ecg, sr)
        if len(peaks) >= 3:
            stats = hrv(np.diff(peaks) / sr)
            feats.update(ecg_hr=float(stats["mean_hr"]), ecg_sdnn=float(stats["sdnn"]), ecg_rmssd=float(stats["rmssd"]))
        else:
            feats.update(ecg_hr=float("nan"), ecg_sdnn=float("nan"), ecg_rmssd=float("nan"))
    if not feats:
        raise InputError(message("item", "a trial holding at least one of 'eeg', 'gsr', 'ecg'",
                                 f"keys {sorted(map(str, item))}", where="trial_features", describe=False))
    return pd.Series(feats, name=item.get("id"), dtype=float)


def features_table(dataset, *, skip_errors: bool = True, **options) -> pd.DataFrame:
    """:func:`trial_features` of every item of ``dataset`` (``len``, ``ds[i]``): ``(n_items, features)``.

    Rows follow the dataset's order (index: item ids). With ``skip_errors`` a trial whose
    signals cannot be used (too short, NaN samples, as in some AMIGOS recordings) gets a
    row of NaN instead of stopping the loop; the ids and reasons are kept in
    ``table.attrs["failed"]`` (a dict id -> message). Impute or drop them before a model.
    ``options`` go to :func:`trial_features`. Taught in ``06_physiological_signals``.
    """
    rows, ids, failed = [], [], {}
    for i in range(len(dataset)):
        item = dataset[i]
        ids.append(item.get("id", i))
        try:
            rows.append(trial_features(item, **options))
        except ValueError as error:
            if not skip_errors:
                raise
            failed[ids[-1]] = str(error)
            rows.append(pd.Series(dtype=float))
    table = pd.DataFrame([r.to_dict() for r in rows], index=pd.Index(ids, name="id"))
    table.attrs["failed"] = failed
    return table
