"""Clip-level "functionals" of frame-level descriptors: openSMILE's IS09-IS13 sets and the course's own IS09 recipe.

Liu et al. (2025), Eq. 5 describe a clip by ``A_openSMILE = openSMILE(A, IS*)``: the
INTERSPEECH challenge feature sets IS09, IS11 and IS13 computed by openSMILE. Two ideas
make such a set:

* **Low-level descriptors (LLDs)**: one number per short frame (25 ms every 10 ms), e.g.
  energy, zero-crossing rate, pitch (F0), voicing probability, MFCCs. A clip gives a
  *contour* per descriptor, as long as the clip; their first differences (deltas) say
  how fast each one changes.
* **Functionals**: statistics that turn each contour into a fixed number of values,
  whatever the clip length: max, min, range, where the max and min are, mean, a line
  fitted through the contour (slope, offset, error), standard deviation, skewness,
  kurtosis. LLDs x functionals = one fixed-length vector per clip.

IS09 (Schuller, Steidl and Batliner, 2009, "The INTERSPEECH 2009 Emotion Challenge") is
the smallest recipe: 16 LLDs (RMS energy, MFCC 1-12, zero-crossing rate, voicing
probability, F0), each smoothed by a 3-frame moving average (``_sma``), plus their deltas
(``_de``): 32 contours x 12 functionals = 384 features. IS10 (1582), IS11 (4368), IS12
(6125) and IS13 (ComParE 2013, 6373) add many more descriptors and functionals.

openSMILE (Eyben, Wöllmer and Schuller, 2010; audEERING) is the tool that defines these
sets; its Python package ``opensmile`` (``pip install opensmile``) wraps the C++ library.
Its licence is **research-only**: free for research and education, commercial use needs a
licence from audEERING. It is therefore optional here:

* :func:`opensmile_functionals`: the real feature sets (needs ``opensmile``).
* :func:`course_functionals`: the course's own NumPy re-creation of the IS09 *recipe*
  (:func:`course_llds`, :func:`acf_pitch`, :func:`contour_functionals`). It is **not
  openSMILE**: same descriptors, functionals and names (openSMILE's without ``pcm_`` and
  ``fftMag_``), different implementations, so the values differ.
* :func:`audio_functionals`: openSMILE when it is installed, else the course's IS09.

Taught in ``12_liu_bimodal_audio_video``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mer_lessons import dsp
from mer_lessons.validation import (
    EmptyInputError,
    OutOfRangeError,
    as_choice,
    as_float,
    as_sample_rate,
    as_signal,
    message,
)

__all__ = [
    "OPENSMILE_SETS",
    "OPENSMILE_SIZES",
    "FUNCTIONALS",
    "COURSE_LLDS",
    "COURSE_SOURCE",
    "opensmile_functionals",
    "acf_pitch",
    "contour_functionals",
    "course_llds",
    "course_functionals",
    "audio_functionals",
]

#: The paper's set names -> the member of ``opensmile.FeatureSet`` (openSMILE config file in the comment).
OPENSMILE_SETS = {
    "IS09": "IS09",  # is09-13/IS09_emotion.conf (INTERSPEECH 2009 Emotion Challenge)
    "IS10": "IS10",  # is09-13/IS10_paraling_compat.conf (2010 Paralinguistic Challenge)
    "IS11": "IS11",  # is09-13/IS11_speaker_state.conf (2011 Speaker State Challenge)
    "IS12": "IS12",  # is09-13/IS12_speaker_trait_compat.conf (2012 Speaker Trait Challenge)
    "IS13": "IS13",  # is09-13/IS13_ComParE.conf (ComParE 2013)
}

#: Number of functionals of each set (opensmile 2.6.0).
OPENSMILE_SIZES = {"IS09": 384, "IS10": 1582, "IS11": 4368, "IS12": 6125, "IS13": 6373}

#: IS09's 12 functionals, in openSMILE's order and with its names.
FUNCTIONALS = ("max", "min", "range", "maxPos", "minPos", "amean", "linregc1", "linregc2", "linregerrQ",
               "stddev", "skewness", "kurtosis")

#: The 16 smoothed LLD contours of :func:`course_llds`, in IS09's order (then the same with ``_de``).
COURSE_LLDS = ("RMSenergy_sma", *(f"mfcc_sma[{k}]" for k in range(1, 13)), "zcr_sma", "voiceProb_sma", "F0_sma")

#: The ``source`` :func:`audio_functionals` gives for the course's re-creation.
COURSE_SOURCE = "course functionals (IS09 recipe, not openSMILE)"

_MISSING = ("opensmile is not installed: pip install opensmile (audEERING's openSMILE; its licence is "
            "research-only: free for research and education, commercial use needs a licence from audEERING)")
_FRAME_MS, _HOP_MS = 25.0, 10.0
_SMILES: dict = {}  # feature set -> opensmile.Smile (creating one parses the config: slow)


def _opensmile():
    """The ``opensmile`` module, or an ImportError that says how to install it and its licence."""
    try:
        import opensmile
    except ImportError as err:
        raise ImportError(_MISSING) from err
    return opensmile


def _smile(feature_set: str):
    opensmile = _opensmile()
    if feature_set not in _SMILES:
        _SMILES[feature_set] = opensmile.Smile(feature_set=opensmile.FeatureSet[OPENSMILE_SETS[feature_set]],
                                               feature_level=opensmile.FeatureLevel.Functionals)
    return _SMILES[feature_set]


def _feature_set(feature_set, where: str) -> str:
    return as_choice(feature_set, "feature_set", tuple(OPENSMILE_SETS), where=where)


def opensmile_functionals(y, sr: float, feature_set: str = "IS09") -> pd.Series:
    """openSMILE's functionals of one clip: ``(n_features,)`` float64, named by openSMILE.

    ``y``: mono samples ``(n,)`` at ``sr`` Hz; ``feature_set``: a key of
    :data:`OPENSMILE_SETS` (``"IS09"`` 384, ``"IS10"`` 1582, ``"IS11"`` 4368, ``"IS12"`` 6125,
    ``"IS13"`` 6373 values: :data:`OPENSMILE_SIZES`). Runs
    ``opensmile.Smile(feature_set=..., feature_level=Functionals).process_signal(y, sr)``;
    the ``Smile`` object of each set is created once and kept. Index: openSMILE's names,
    e.g. ``"pcm_RMSenergy_sma_max"``; ``name``: ``"openSMILE IS09"``.

    Liu et al. (2025), Eq. 5: ``A_openSMILE = openSMILE(A, IS*)``. Paper: IS09, IS11 and
    IS13 with openSMILE's settings; we: the same sets through the ``opensmile`` Python
    package (IS13 = ``IS13_ComParE``), at the clip's own sample rate.

    Raises ImportError when ``opensmile`` is not installed (``pip install opensmile``; its
    licence is research-only), :class:`~mer_lessons.validation.UnknownOptionError` for an
    unknown set, :class:`~mer_lessons.validation.EmptyInputError` for empty audio or a clip
    too short for the set (openSMILE returns NaN: IS09 needs 25 ms, IS13 60 ms, the others
    100 ms at 16 kHz).

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "opensmile_functionals"
    feature_set = _feature_set(feature_set, where)
    y = as_signal(y, "y", where=where, ndim=1, audio=True)
    sr = as_sample_rate(sr, where=where)
    smile = _smile(feature_set)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Segment too short")
        frame = smile.process_signal(y.astype(np.float32), sr)
    values = frame.iloc[0].astype(np.float64)
    if values.isna().any():
        raise EmptyInputError(message("y", f"long enough for openSMILE {feature_set} (it returned NaN)",
                                      f"{y.size} samples = {1000 * y.size / sr:g} ms", where=where, describe=False,
                                      hint="pass a longer clip (at 16 kHz IS09 needs 25 ms, IS13 60 ms, IS10-IS12 100 ms)"))
    values.name = f"openSMILE {feature_set}"
    return values


def _frames(y: np.ndarray, sr: float, where: str) -> np.ndarray:
    """Centred 25 ms frames every 10 ms, one per row: ``(1 + n // hop, win)`` (the MFCC grid)."""
    win = dsp.ms_to_samples(_FRAME_MS, sr, "frame_ms", where=where)
    hop = dsp.ms_to_samples(_HOP_MS, sr, "hop_ms", where=where)
    padded = np.pad(y, (win // 2, win // 2))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop]
    return frames[: 1 + y.size // hop]


def acf_pitch(y, sr: float, *, fmin: float = 60.0, fmax: float = 500.0,
              voicing_threshold: float = 0.55) -> tuple[np.ndarray, np.ndarray]:
    """F0 and voicing probability per 25 ms frame (10 ms hop) from the normalised autocorrelation.

    Each centred frame (the :func:`course_llds` grid, ``1 + n // hop`` frames) loses its
    mean; for every lag ``tau`` between ``sr / fmax`` and ``sr / fmin`` samples the
    normalised autocorrelation ``r(tau) / sqrt(E_head E_tail)`` compares the frame with
    itself shifted by ``tau`` (1: a perfect repeat; the energies of the overlapping parts
    normalise it). Voicing probability = its highest value, clipped to ``[0, 1]`` (0 for a
    silent frame); the period is the first peak within 90 % of that value (so that twice
    the period does not win) refined by a parabola, and ``F0 = sr / period`` in Hz, 0 where
    the voicing is below ``voicing_threshold`` (IS09's ``voicingCutoff`` is 0.55).

    Returns ``(f0, voicing)``, two ``(frames,)`` float64 arrays. Schuller et al. (2009),
    IS09's ``F0`` and ``voiceProb`` LLDs, for Liu et al. (2025), Eq. 5. Paper (openSMILE):
    the autocorrelation and the cepstrum of a Hamming-windowed frame, F0 up to 500 Hz;
    we: the normalised autocorrelation of the raw frame only.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "acf_pitch"
    sr = as_sample_rate(sr, where=where)
    win = dsp.ms_to_samples(_FRAME_MS, sr, "frame_ms", where=where)
    y = as_signal(y, "y", where=where, ndim=1, min_length=win, audio=True)
    fmax = as_float(fmax, "fmax", minimum=0.0, low_open=True, maximum=sr / 2, where=where, unit="Hz")
    fmin = as_float(fmin, "fmin", minimum=0.0, low_open=True, maximum=fmax, where=where, unit="Hz")
    voicing_threshold = as_float(voicing_threshold, "voicing_threshold", minimum=0.0, maximum=1.0, where=where)
    lag_min, lag_max = max(1, int(np.ceil(sr / fmax))), min(int(np.floor(sr / fmin)), (2 * win) // 3)
    if lag_max - lag_min < 2:
        raise OutOfRangeError(message("fmin", f"low enough that periods from {sr / fmax:g} samples fit a 25 ms "
                                      f"frame of {win} samples", f"{fmin:g} Hz", where=where, describe=False))
    X = _frames(y, sr, where)
    X = X - X.mean(axis=1, keepdims=True)
    n_fft = dsp.next_power_of_two(2 * win)
    spec = np.fft.rfft(X, n_fft, axis=1)
    R = np.fft.irfft(spec.real ** 2 + spec.imag ** 2, n_fft, axis=1)[:, :win]
    cumulative = np.concatenate([np.zeros((X.shape[0], 1)), np.cumsum(X ** 2, axis=1)], axis=1)
    lags = np.arange(lag_min, lag_max + 1)
    head = cumulative[:, win - lags]                       # energy of x[0 : win - tau]
    tail = cumulative[:, -1:] - cumulative[:, lags]        # energy of x[tau : win]
    silent = cumulative[:, -1] <= win * 1e-12              # RMS below 1e-6
    nccf = R[:, lags] / np.sqrt(np.maximum(head * tail, dsp._TINY))
    nccf[silent] = 0.0
    best = nccf.max(axis=1)
    peak = np.zeros_like(nccf, dtype=bool)
    peak[:, 1:-1] = (nccf[:, 1:-1] >= nccf[:, :-2]) & (nccf[:, 1:-1] >= nccf[:, 2:])
    peak &= nccf >= 0.9 * best[:, None]
    peak[np.arange(nccf.shape[0]), nccf.argmax(axis=1)] = True
    i = peak.argmax(axis=1)                                # the first such peak
    rows = np.arange(nccf.shape[0])
    inner = (i > 0) & (i < lags.size - 1)
    a, b, c = nccf[rows, np.maximum(i - 1, 0)], nccf[rows, i], nccf[rows, np.minimum(i + 1, lags.size - 1)]
    curve = a - 2 * b + c
    shift = np.where(inner & (curve < 0), 0.5 * (a - c) / np.where(curve < 0, curve, -1.0), 0.0)
    voicing = np.clip(best, 0.0, 1.0)
    f0 = np.where(voicing >= voicing_threshold, sr / (lags[i] + shift), 0.0)
    return f0, voicing


def _smooth(X: np.ndarray, width: int = 3) -> np.ndarray:
    """Centred moving average along the rows of ``X`` (frames last); the edges average the frames they have."""
    kernel = np.ones(width)
    counts = np.convolve(np.ones(X.shape[1]), kernel, mode="same")
    return np.stack([np.convolve(row, kernel, mode="same") for row in X]) / counts


def _functionals(X: np.ndarray) -> np.ndarray:
    """The 12 :data:`FUNCTIONALS` of each row of ``X`` (contours, frames): ``(contours, 12)``."""
    T = X.shape[1]
    t = np.arange(T, dtype=np.float64)
    mean = X.mean(axis=1)
    top, bottom = X.max(axis=1), X.min(axis=1)
    scale = max(T - 1, 1)
    tc = t - t.mean()
    slope = (X - mean[:, None]) @ tc / max(float(tc @ tc), dsp._TINY)
    offset = mean - slope * t.mean()
    error = np.mean((X - offset[:, None] - slope[:, None] * t) ** 2, axis=1)
    centred = X - mean[:, None]
    std = np.sqrt(np.mean(centred ** 2, axis=1))
    flat = std <= 1e-9 * np.maximum(np.abs(X).max(axis=1), dsp._TINY)
    safe = np.where(flat, 1.0, std)
    skew = np.where(flat, 0.0, np.mean(centred ** 3, axis=1) / safe ** 3)
    kurt = np.where(flat, 0.0, np.mean(centred ** 4, axis=1) / safe ** 4)
    return np.stack([top, bottom, top - bottom, X.argmax(axis=1) / scale, X.argmin(axis=1) / scale, mean,
                     slope, offset, error, std, skew, kurt], axis=1)


def contour_functionals(x) -> pd.Series:
    """IS09's 12 functionals of one contour ``(frames,)``: a Series indexed by :data:`FUNCTIONALS`.

    With frames ``t = 0 .. T-1``: ``max``, ``min``, ``range`` (max - min); ``maxPos`` and
    ``minPos``, the first frame of the max / min divided by ``T - 1`` (0 = start, 1 = end;
    0 for one frame); ``amean``; ``linregc1`` and ``linregc2``, slope (per frame) and offset
    (the value at ``t = 0``) of the least-squares line; ``linregerrQ``, the mean squared
    error of that line; ``stddev`` (population); ``skewness`` ``m3 / stddev^3`` and
    ``kurtosis`` ``m4 / stddev^4`` (Pearson's, 3 for a Gaussian; both 0 for a flat contour).

    Schuller et al. (2009), the functionals of IS09, for Liu et al. (2025), Eq. 5. Paper
    (openSMILE's IS09): ``maxPos`` / ``minPos`` in frames; we: relative positions 0-1, so
    that clips of different lengths compare.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    x = as_signal(x, "x", where="contour_functionals", ndim=1)
    return pd.Series(_functionals(x[None, :])[0], index=list(FUNCTIONALS), name="functionals")


def course_llds(y, sr: float) -> pd.DataFrame:
    """The course's IS09 low-level descriptors: 32 contours, ``(frames, 32)``, one row per 10 ms.

    16 LLDs per centred 25 ms frame every 10 ms (``1 + n // hop`` frames, index: frame
    centres in s), in IS09's order: RMS energy of the frame; MFCC 1-12
    (:func:`mer_lessons.dsp.liu_mfcc` with ``pooling=None``, c0 dropped); zero-crossing
    rate (the fraction of neighbouring samples that change sign); voicing probability and
    F0 in Hz (:func:`acf_pitch`, 0 when unvoiced). Each is smoothed by a 3-frame moving
    average (``_sma``, the edges average the frames they have); then their first
    differences (``_de``, the first frame 0) follow, named as IS09's without ``pcm_`` and
    ``fftMag_``: ``"RMSenergy_sma"``, ``"mfcc_sma[1]"``, ..., ``"F0_sma_de"``.

    Schuller et al. (2009), IS09's LLDs, for Liu et al. (2025), Eq. 5. Paper (openSMILE's
    IS09): pre-emphasis and a Hamming window, 26 HTK mel bands with liftering, ACF and
    cepstrum pitch, deltas by a regression over 5 frames; we: 40 Slaney bands
    (:func:`mer_lessons.dsp.liu_mfcc`), the plain frame, the normalised autocorrelation and
    first differences. Not openSMILE: the numbers differ.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "course_llds"
    sr = as_sample_rate(sr, where=where)
    win = dsp.ms_to_samples(_FRAME_MS, sr, "frame_ms", where=where)
    hop = dsp.ms_to_samples(_HOP_MS, sr, "hop_ms", where=where)
    y = as_signal(y, "y", where=where, ndim=1, min_length=win, audio=True)
    X = _frames(y, sr, where)
    rms = np.sqrt(np.mean(X ** 2, axis=1))
    signs = np.signbit(X)
    zcr = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)
    mfcc = dsp.liu_mfcc(y, sr, n_mfcc=13, frame_ms=_FRAME_MS, hop_ms=_HOP_MS, pooling=None)[1:13]
    f0, voicing = acf_pitch(y, sr)
    T = min(X.shape[0], mfcc.shape[1])
    L = np.vstack([rms[None, :T], mfcc[:, :T], zcr[None, :T], voicing[None, :T], f0[None, :T]])
    L = _smooth(L)
    D = np.diff(L, axis=1, prepend=L[:, :1])
    names = list(COURSE_LLDS) + [n.replace("_sma[", "_sma_de[") if "[" in n else n + "_de" for n in COURSE_LLDS]
    return pd.DataFrame(np.vstack([L, D]).T, columns=names,
                        index=pd.Index(dsp.frame_times(T, sr, hop), name="time_s"))


def course_functionals(y, sr: float) -> pd.Series:
    """The course's own re-creation of the IS09 recipe: 384 named values for one clip. Not openSMILE.

    :func:`course_llds` (16 LLDs smoothed over 3 frames + their deltas = 32 contours on a
    25 ms / 10 ms grid) -> :func:`contour_functionals` of each (12 values) -> 32 x 12 = 384
    float64 values. Index: ``"<contour>_<functional>"`` in IS09's order, e.g.
    ``"RMSenergy_sma_max"``, ``"mfcc_sma[1]_amean"``, ``"zcr_sma_de_max"``: openSMILE's IS09
    names without ``pcm_`` and ``fftMag_``, so the two tables line up column by column.
    ``name``: :data:`COURSE_SOURCE`. ``y``: mono samples ``(n,)`` at ``sr`` Hz, at least
    25 ms long (else :class:`~mer_lessons.validation.EmptyInputError`).

    Liu et al. (2025), Eq. 5 with ``IS* = IS09`` (Schuller et al., 2009). Paper: openSMILE's
    IS09; we: the same descriptors and functionals in NumPy (see :func:`course_llds` and
    :func:`contour_functionals` for the differences), so the course runs without
    openSMILE's research-only licence; the values are close in kind, not equal.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    llds = course_llds(y, sr)
    values = _functionals(llds.to_numpy().T)
    names = [f"{c}_{f}" for c in llds.columns for f in FUNCTIONALS]
    return pd.Series(values.ravel(), index=names, name=COURSE_SOURCE)


def audio_functionals(y, sr: float, feature_set: str = "IS09", *, fallback: bool = True) -> tuple[pd.Series, str]:
    """Functionals of one clip from openSMILE if it is installed, else the course's IS09: ``(values, source)``.

    With ``opensmile`` importable: :func:`opensmile_functionals` and ``source =
    "openSMILE IS09"`` (or IS10 ... IS13). Without it and ``fallback=True`` and
    ``feature_set="IS09"``: :func:`course_functionals` (384 values) and ``source =``
    :data:`COURSE_SOURCE` (``"course functionals (IS09 recipe, not openSMILE)"``). Keep the
    ``source`` next to any number you report: the two are not interchangeable.

    Liu et al. (2025), Eq. 5. Paper: openSMILE's IS09, IS11 and IS13; we: the same when
    openSMILE is installed, else only IS09's recipe.

    Raises ImportError without ``opensmile`` when ``fallback=False`` or for IS10-IS13
    (only IS09 has a course re-creation), :class:`~mer_lessons.validation.UnknownOptionError`
    for an unknown set.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    feature_set = _feature_set(feature_set, "audio_functionals")
    try:
        _opensmile()
    except ImportError as err:
        if not fallback:
            raise
        if feature_set != "IS09":
            raise ImportError(f"audio_functionals: feature_set {feature_set!r} needs openSMILE; only IS09 has a "
                              f"course re-creation (course_functionals). {_MISSING}") from err
        return course_functionals(y, sr), COURSE_SOURCE
    return opensmile_functionals(y, sr, feature_set), f"openSMILE {feature_set}"
