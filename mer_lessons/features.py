"""Batched feature extraction in PyTorch: spectrograms, mel, log-mel, MFCC, wide/narrowband.

Every extractor here is a ``torch.nn.Module``. It takes a batch of mono waveforms and
returns a batch of feature maps, on the device and in the precision of its input:

    >>> import torch
    >>> from mer_lessons.features import LogMelSpectrogram
    >>> logmel = LogMelSpectrogram(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
    >>> x = torch.randn(8, 22050 * 3)          # (batch, samples), float, in [-1, 1] or so
    >>> logmel(x).shape                         # (batch, n_mels, frames)
    torch.Size([8, 128, 130])
    >>> logmel = logmel.to("cuda"); logmel(x.cuda())      # same numbers, on a GPU  # doctest: +SKIP

Why a second implementation when ``librosa`` exists? librosa (and our from-scratch NumPy
version, :mod:`mer_lessons.dsp`) works one clip at a time on the CPU. In the training
chapters we want the features of a whole batch in one call, on the GPU that trains the
model, and we want gradients to flow through them. The numbers are the same as librosa's
(``tests/test_features.py`` checks every module against librosa with the same arguments
to a relative error of 1e-4), so a model trained on these features can be fed librosa's
features later, and vice versa. Speed (``bench/features.py``, 64 clips x 30 s at
22.05 kHz, log-mel): on the course's 2-core CPU the batched modules take about 0.4 s
against about 1 s for a librosa loop; the larger gain is on a GPU, where the whole batch
is one call.

Conventions shared by every module
----------------------------------
* Input: a float tensor of shape ``(B, T)`` (batch of ``B`` mono clips of ``T`` samples).
  A single clip of shape ``(T,)`` is accepted and gets a batch dimension of 1: the output
  is then ``(1, ...)``, never squeezed, so shapes are predictable. NumPy arrays are
  converted with ``torch.as_tensor``. Integer, boolean and complex inputs are refused
  (convert 16-bit PCM to float first: ``x.float() / 32768``, or
  :func:`mer_lessons.dsp.pcm_to_float` for NumPy PCM), and so are NaN or inf samples
  (``NonFiniteError``) and a channels-last ``(samples, channels)`` array such as
  ``(44100, 2)`` stereo, which would otherwise be read as 44100 clips of 2 samples
  (``WrongShapeError``: pass ``x.T`` or mix to mono).
* Precision: the output has the input's dtype (float32 in -> float32 out, float64 in ->
  float64 out, whatever the module's dtype). Windows, filterbanks and the DCT matrix are
  built in float64 and kept in float64 buffers; ``forward`` casts them to the input's
  dtype (a few hundred kB, negligible next to the STFT). Keeping them in float64 matters
  for the float64 path: a float32-rounded Hann window adds a leakage floor about 140 dB
  below the peak, which is visible in log-mel of magnitude spectrograms. ``module.to(
  torch.float64)``/``.float()``/``.half()`` work as usual (they only change the stored
  copies). float16/bfloat16 inputs are computed in float32 (``torch.stft`` does not
  support them everywhere) and returned in float32.
* Device: whatever device the input is on. Windows, filterbanks and the DCT matrix are
  registered as (non-persistent) buffers, so ``module.to(device)`` moves them once; if the
  input lives elsewhere they are copied to it on the fly. They are not saved in a
  ``state_dict``: they are fully determined by the constructor arguments.
* No librosa anywhere. The mel filterbank is built once, in the constructor, by
  :func:`mer_lessons.dsp.mel_filterbank` (our from-scratch version, tested against
  ``librosa.filters.mel``).
* Gradients flow from the output back to the input waveform (``torch.stft``, matrix
  products and ``log10`` are all differentiable).

Where this is taught: ``02_stft_and_spectrograms`` (STFT, wide/narrowband,
mel, log-mel) and ``03_mfcc_chroma_and_friends`` (MFCC step by step), which build
each step by hand with :mod:`mer_lessons.dsp`; the training chapters then use these modules.

Papers: Hao, Li, Wen, "Real-time music emotion recognition based on multimodal fusion",
Eq. 11 (STFT), Eq. 12 (mel scale), Eq. 13 (MFCC as a cosine transform of log-mel);
Liu, Feng, Li, "A bimodal emotion recognition algorithm for audio and video based on
emotion modeling", Eq. 1 (framed FFT), Eq. 2 (triangular mel filters), Eq. 3 (log filterbank
energies), Eq. 4 (DCT); Zhao, Jin, Guo, "Music emotion recognition and analysis based on
neural network" (MultiSpec-DNN), Sec. IV: wideband (~3 ms window) and narrowband (~25 ms
window) spectrograms.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import scipy.fft
import scipy.signal
import torch
import torch.nn.functional as F
from torch import nn

from mer_lessons import dsp
from mer_lessons.validation import (
    EmptyInputError,
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
    check_channels_last,
    message,
)

__all__ = [
    "Spectrogram",
    "MelSpectrogram",
    "LogMelSpectrogram",
    "MFCC",
    "WidebandSpectrogram",
    "NarrowbandSpectrogram",
    "WideNarrowbandSpectrogram",
    "batch_power_to_db",
    "mfcc_dct_matrix",
    "LibrosaWindowSpec",
]

#: What the ``window`` argument of these modules accepts: the rules of
#: ``librosa.filters.get_window`` (a name, a ``(name, parameter)`` tuple or a number for
#: ``scipy.signal.get_window``, a function of the length, or an array). Wider than
#: :data:`mer_lessons.dsp.WindowSpec` (a name of four windows or an array).
LibrosaWindowSpec = Union[str, tuple, float, Callable[[int], Any], Sequence[float], np.ndarray]

# librosa (np.pad) pad-mode names -> torch.nn.functional.pad names
_PAD_MODES = {
    "constant": "constant",
    "reflect": "reflect",
    "edge": "replicate",
    "replicate": "replicate",
    "wrap": "circular",
    "circular": "circular",
}


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------
def _as_batch(x: Any, where: str) -> torch.Tensor:
    """Validate a waveform batch and return it as a float tensor of shape ``(B, T)``.

    Errors are :mod:`mer_lessons.validation` errors naming ``x`` and the module ``where``.
    """
    if isinstance(x, np.ndarray):
        x = torch.as_tensor(x)
    if not torch.is_tensor(x):
        raise WrongTypeError(message("x", "a torch.Tensor (or NumPy array) of audio samples", type(x).__name__,
                                     where=where, describe=False))
    if x.is_complex():
        raise WrongTypeError(message(
            "x", "a real floating-point waveform (float32 or float64)", f"dtype {x.dtype}", where=where,
            describe=False, hint="take x.real or x.abs() explicitly if that is what you mean"))
    if not x.is_floating_point():
        raise WrongTypeError(message(
            "x", "a real floating-point waveform (float32 or float64)", f"dtype {x.dtype}", where=where,
            describe=False, hint="convert integer PCM first, e.g. x.float() / 32768 for 16-bit audio "
            "(mer_lessons.dsp.pcm_to_float(x) for a NumPy array)"))
    if x.ndim == 1:
        x = x.unsqueeze(0)
    elif x.ndim == 2:
        check_channels_last(x, "x", where=where)
    else:
        raise WrongShapeError(message(
            "x", "shaped (batch, samples) or (samples,)", f"shape {tuple(x.shape)}", where=where, describe=False,
            hint="for multichannel audio mix down or reshape to (batch * channels, samples)"))
    if x.shape[-1] == 0:
        raise EmptyInputError(message("x", "a non-empty signal (at least 1 sample)", f"shape {tuple(x.shape)}",
                                      where=where, describe=False))
    if x.shape[0] == 0:
        raise EmptyInputError(message("x", "a non-empty batch (at least 1 clip)", f"shape {tuple(x.shape)}",
                                      where=where, describe=False))
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise NonFiniteError(message("x", "finite (no NaN or inf)", f"{bad} non-finite samples", where=where,
                                     describe=False, hint="interpolate or cut out the gaps first"))
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    return x


def _get_window(window: LibrosaWindowSpec, win_length: int, *, where: Optional[str] = None) -> np.ndarray:
    """A periodic ("fftbins=True") analysis window of ``win_length`` samples, float64.

    Same rules as ``librosa.filters.get_window``: a callable is called with the length, a
    string/tuple/number goes to ``scipy.signal.get_window(..., fftbins=True)`` (so "hann" is
    the periodic Hann window), an array must already have the right length.
    """
    if callable(window):
        w = as_real_array(window(win_length), "window", where=where)
    elif isinstance(window, (str, tuple)) or np.isscalar(window):
        w = scipy.signal.get_window(window, win_length, fftbins=True).astype(np.float64)
    else:
        w = as_real_array(window, "window", where=where)
        if w.ndim != 1 or len(w) != win_length:
            raise WrongShapeError(message("window", f"an array of shape ({win_length},) (win_length samples)",
                                          f"shape {w.shape}", where=where, describe=False))
    if w.shape != (win_length,):
        raise WrongShapeError(message("window", f"a function returning shape ({win_length},)", f"shape {w.shape}",
                                      where=where, describe=False))
    return w


def mfcc_dct_matrix(n_mfcc: int, n_mels: int, dct_type: int = 2, norm: Optional[str] = "ortho",
                    lifter: float = 0.0) -> np.ndarray:
    """The MFCC matrix: the first ``n_mfcc`` rows of the DCT of size ``n_mels``, liftered; float64.

    Shape ``(n_mfcc, n_mels)``, the same argument order as :func:`mer_lessons.dsp.dct_matrix`
    (rows out, columns in). ``mfcc_dct_matrix(...) @ log_mel`` (``log_mel`` of shape
    ``(n_mels, frames)``, dB) equals ``scipy.fft.dct(log_mel, type=dct_type, norm=norm,
    axis=0)[:n_mfcc]`` then librosa's liftering, which is what ``librosa.feature.mfcc``
    computes. ``dct_type=2`` (the MFCC default) is :func:`mer_lessons.dsp.dct_matrix` itself;
    types 1 and 3 come from ``scipy.fft.dct`` of the identity matrix (the DCT is linear, so
    column ``j`` is the DCT of the unit vector ``e_j``). DCT-II with ``norm="ortho"`` is
    Hao et al. Eq. 13 / Liu et al. Eq. 4 with the ``sqrt(2/M)`` scaling (and ``sqrt(1/M)``
    for coefficient 0). ``lifter > 0`` multiplies row ``k`` (1-based) by
    ``1 + (lifter / 2) * sin(pi * k / lifter)``, like librosa.
    Taught in ``03_mfcc_chroma_and_friends``.
    """
    where = "mfcc_dct_matrix"
    n_mfcc = as_int(n_mfcc, "n_mfcc", where=where)
    n_mels = as_int(n_mels, "n_mels", where=where)
    if n_mfcc > n_mels:
        raise OutOfRangeError(message("n_mfcc", f"<= n_mels={n_mels}", n_mfcc, where=where))
    as_choice(dct_type, "dct_type", (1, 2, 3), where=where)
    as_choice(norm, "norm", (None, "ortho"), where=where)
    lifter = as_float(lifter, "lifter", minimum=0, where=where)
    if dct_type == 2:
        basis = dsp.dct_matrix(n_mfcc, n_mels, norm=norm)
    else:
        basis = scipy.fft.dct(np.eye(n_mels), type=dct_type, norm=norm, axis=0)[:n_mfcc]
    if lifter > 0:
        k = np.arange(1, 1 + n_mfcc, dtype=np.float64)
        basis = basis * (1 + (lifter / 2) * np.sin(np.pi * k / lifter))[:, None]
    return basis


def batch_power_to_db(
    S: torch.Tensor,
    ref: Union[float, str] = 1.0,
    amin: float = 1e-10,
    top_db: Optional[float] = 80.0,
) -> torch.Tensor:
    """Power spectrogram to decibels, per batch item: ``10 * log10(max(amin, S) / ref)``.

    Shapes: ``S`` is ``(B, ...)``, the first dimension is the batch; output has the same
    shape, in dB. Liu et al. Eq. 3 (log of filterbank energies, here in dB).

    Matches ``librosa.power_to_db(S[b], ref=ref, amin=amin, top_db=top_db)`` for every
    item ``b``. In librosa, ``top_db`` clips at ``max - top_db`` where the max is over the
    whole array it is given, i.e. one clip; here the max is taken **per batch item** (over
    all dimensions but the first), so a batch gives the same numbers as a loop over clips
    and a loud clip never changes the floor of a quiet one. ``ref="max"`` uses each item's
    own maximum (like librosa's ``ref=np.max`` on one clip). For an unbatched ``(F, N)``
    array pass ``S[None]``.

    The torch, batched counterpart of :func:`mer_lessons.dsp.power_to_db` (NumPy, one
    array, ``ref`` a number or a function such as ``np.max``); the names differ because
    the two differ in what ``top_db`` clips against and in what ``ref`` accepts.
    Taught in ``02_stft_and_spectrograms``.
    """
    where = "batch_power_to_db"
    amin = as_float(amin, "amin", minimum=0, low_open=True, where=where)
    if top_db is not None:
        top_db = as_float(top_db, "top_db", minimum=0, where=where)
    if not torch.is_tensor(S):
        raise WrongTypeError(message("S", "a torch.Tensor (B, ...)", type(S).__name__, where=where, describe=False))
    if S.ndim < 1:
        raise WrongShapeError(message("S", "a batch (B, ...)", "a scalar", where=where, describe=False))
    if S.is_complex():
        raise WrongTypeError(message("S", "a real power spectrogram", f"dtype {S.dtype}", where=where,
                                     describe=False, hint="take S.abs() ** 2 of a complex STFT first"))
    if not bool(torch.isfinite(S).all()):
        raise NonFiniteError(message("S", "finite (no NaN or inf)", f"{int((~torch.isfinite(S)).sum())} non-finite "
                                     "values", where=where, describe=False))
    item_dims = tuple(range(1, S.ndim))
    log_spec = 10.0 * torch.log10(torch.clamp(S, min=amin))
    if isinstance(ref, str):
        if ref != "max":
            raise UnknownOptionError(message("ref", "a positive number or 'max'", ref, where=where))
        ref_value = S.detach().amax(dim=item_dims, keepdim=True) if item_dims else S.detach()
        log_spec = log_spec - 10.0 * torch.log10(torch.clamp(ref_value, min=amin))
    else:
        log_spec = log_spec - 10.0 * math.log10(max(amin, abs(float(ref))))
    if top_db is not None:
        peak = log_spec.amax(dim=item_dims, keepdim=True) if item_dims else log_spec
        log_spec = torch.maximum(log_spec, peak - top_db)
    return log_spec


# --------------------------------------------------------------------------------------
# STFT spectrogram
# --------------------------------------------------------------------------------------
class Spectrogram(nn.Module):
    """Batched STFT spectrogram, identical to ``np.abs(librosa.stft(y, ...)) ** power``.

    Input ``(B, T)`` (or ``(T,)``, given a batch of 1) float waveform.
    Output ``(B, 1 + n_fft // 2, frames)``: bin ``k`` is ``k * sr / n_fft`` Hz, frame ``t``
    is centred on sample ``t * hop_length`` (``center=True``) or starts there
    (``center=False``). Units: ``|X|**power`` of the unnormalised DFT of the windowed
    frame (``power=2``: energy, ``power=1``: magnitude); ``power=None`` returns the complex
    STFT itself. Frames: ``1 + T // hop_length`` with ``center=True`` (even ``n_fft``),
    ``1 + (T - n_fft) // hop_length`` with ``center=False``.

    Hao et al. Eq. 11 (the STFT: slide a window ``w`` along the signal, Fourier-transform
    each windowed piece); Liu et al. Eq. 1 (framing + FFT of each frame). Taught in
    ``02_stft_and_spectrograms`` (built there from frames and an FFT with
    :mod:`mer_lessons.dsp`); used by the training chapters.

    How it matches librosa 0.11 exactly:

    * window: ``window`` of ``win_length`` samples, *periodic* (``fftbins=True``: the
      periodic Hann window of length N is the symmetric one of length N + 1 without its
      last sample), zero-padded on both sides to ``n_fft`` samples, centred;
    * ``center=True``: the signal is padded with ``n_fft // 2`` samples on each side
      (``pad_mode="constant"``: zeros, librosa 0.11's default), so frame ``t`` is centred
      on sample ``t * hop_length``; ``center=False``: no padding, and the signal must be at
      least ``n_fft`` samples long;
    * ``hop_length=None`` means ``win_length // 4``, ``win_length=None`` means ``n_fft``.

    Implementation: we pad the signal ourselves (``torch.nn.functional.pad``, with
    librosa's pad-mode names: "constant", "reflect", "edge", "wrap") and call
    ``torch.stft(center=False)`` with the ``n_fft``-long padded window. ``torch.stft`` does
    what notebook 02 does by hand: a strided view of the frames, ``x.unfold(-1, n_fft,
    hop)``, times the window, then a real FFT of every frame (``torch.fft.rfft``), returned
    as ``(B, freqs, frames)``; both ways cost the same here, ``torch.stft`` is simply the
    one-call, autograd- and CUDA-ready version. Padding ourselves keeps librosa's pad-mode
    names and too-short-signal errors (``torch.stft(center=True)`` would pad the same way
    for "constant").

    Taught in ``02_stft_and_spectrograms``.
    """

    def __init__(
        self,
        n_fft: int = 2048,
        hop_length: Optional[int] = None,
        win_length: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: Optional[float] = 2.0,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.n_fft = as_int(n_fft, "n_fft", where=where)
        self.win_length = self.n_fft if win_length is None else as_int(win_length, "win_length", where=where)
        if self.win_length > self.n_fft:
            raise OutOfRangeError(message("win_length", f"<= n_fft={self.n_fft}", self.win_length, where=where))
        self.hop_length = (
            max(1, self.win_length // 4) if hop_length is None else as_int(hop_length, "hop_length", where=where)
        )
        as_choice(pad_mode, "pad_mode", sorted(_PAD_MODES), where=where)
        if power is not None:
            power = as_float(power, "power", minimum=0, low_open=True, where=where)
        self.center = bool(center)
        self.pad_mode = pad_mode
        self.power = power
        w = dsp.pad_center(_get_window(window, self.win_length, where=where), self.n_fft)
        self.register_buffer("window", torch.tensor(w, dtype=torch.float64), persistent=False)

    @property
    def n_freqs(self) -> int:
        """Number of frequency bins, ``1 + n_fft // 2``."""
        return 1 + self.n_fft // 2

    def n_frames(self, n_samples: int) -> int:
        """Number of STFT frames for a signal of ``n_samples`` samples (same as librosa)."""
        padded = n_samples + 2 * (self.n_fft // 2) if self.center else n_samples
        if padded < self.n_fft:
            raise EmptyInputError(message(
                "x", f"at least n_fft={self.n_fft} samples long with center=False", f"{n_samples} samples",
                where=type(self).__name__, describe=False, hint="use center=True, a smaller n_fft, or a longer clip"))
        return 1 + (padded - self.n_fft) // self.hop_length

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.n_fft // 2
        mode = _PAD_MODES[self.pad_mode]
        if mode == "constant":
            return F.pad(x, (pad, pad))
        n = x.shape[-1]
        if mode == "reflect" and pad >= n:
            raise EmptyInputError(message(
                "x", f"more than n_fft // 2 = {pad} samples long for pad_mode='reflect'", f"{n} samples",
                where=type(self).__name__, describe=False, hint="use pad_mode='constant'"))
        if mode == "circular" and pad > n:
            raise EmptyInputError(message(
                "x", f"at least n_fft // 2 = {pad} samples long for pad_mode='wrap'", f"{n} samples",
                where=type(self).__name__, describe=False, hint="use pad_mode='constant'"))
        return F.pad(x.unsqueeze(1), (pad, pad), mode=mode).squeeze(1)

    def stft(self, x: torch.Tensor) -> torch.Tensor:
        """Complex STFT, ``(B, 1 + n_fft // 2, frames)``, of a validated ``(B, T)`` batch."""
        dtype = x.dtype  # the computation follows the input; buffers are cast to it
        self.n_frames(x.shape[-1])  # raises a clear error if too short for center=False
        if self.center:
            x = self._pad(x)
        window = self.window.to(device=x.device, dtype=dtype)
        return torch.stft(
            x,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.n_fft,
            window=window,
            center=False,
            normalized=False,
            onesided=True,
            return_complex=True,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, 1 + n_fft // 2, frames)`` spectrogram."""
        X = self.stft(_as_batch(x, type(self).__name__))
        if self.power is None:
            return X
        if self.power == 2.0:
            # |X|^2 = re^2 + im^2, written so that no (..., 2) reduction is needed: ~4x
            # faster on CPU than abs()**2 or view_as_real(X).pow(2).sum(-1), and smooth at 0
            ri = torch.view_as_real(X)
            return ri[..., 0].square().addcmul_(ri[..., 1], ri[..., 1])
        if self.power == 1.0:
            return X.abs()
        return X.abs().pow(self.power)

    def extra_repr(self) -> str:
        return (
            f"n_fft={self.n_fft}, hop_length={self.hop_length}, win_length={self.win_length}, "
            f"center={self.center}, pad_mode={self.pad_mode!r}, power={self.power}"
        )


# --------------------------------------------------------------------------------------
# mel, log-mel, MFCC
# --------------------------------------------------------------------------------------
class MelSpectrogram(nn.Module):
    """Batched mel spectrogram, identical to ``librosa.feature.melspectrogram`` (same args).

    Input ``(B, T)`` or ``(T,)`` float waveform at ``sr`` Hz. Output ``(B, n_mels, frames)``
    (frames as in :class:`Spectrogram`): ``mel_basis @ |STFT|**power``, i.e. for each frame
    the energy (``power=2``) collected by each triangular mel filter. Filter ``m`` covers
    ``[f_{m-1}, f_{m+1}]`` with its peak at ``f_m``; the ``n_mels + 2`` edges are equally
    spaced on the mel scale between ``fmin`` and ``fmax`` (Hz).

    Hao et al. Eq. 12 (a mel scale; Hao prints Fant's ``1000/log10(2) log10(1 + f/1000)``,
    we use librosa's Slaney scale by default or HTK's ``2595 log10(1 + f/700)`` with
    ``htk=True``, see :func:`mer_lessons.dsp.mel_filterbank`); Liu et al. Eq. 2 (triangular filters
    ``H_l(k)``) and the sum inside Eq. 3. ``norm="slaney"`` scales each triangle
    to unit area, ``None`` leaves peaks at 1. Taught in
    ``02_stft_and_spectrograms``; used by the training chapters.

    The ``(n_mels, 1 + n_fft // 2)`` filterbank is built once in the constructor by
    :func:`mer_lessons.dsp.mel_filterbank` and stored as the buffer ``mel_basis``.

    ``cpu_chunk_mb``: on a CPU the batch is processed a few clips at a time, so that the
    complex STFT of one group takes about this many MB (``None`` or 0: all at once). It
    changes speed and memory only, never the numbers; CUDA inputs are never split.

    Taught in ``02_stft_and_spectrograms``.
    """

    def __init__(
        self,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: Optional[int] = 512,
        win_length: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: Optional[float] = None,
        htk: bool = False,
        norm: Optional[Union[str, float]] = "slaney",
        cpu_chunk_mb: Optional[float] = 16.0,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.sr = as_sample_rate(sr, where=where)
        if cpu_chunk_mb is not None:
            cpu_chunk_mb = as_float(cpu_chunk_mb, "cpu_chunk_mb", minimum=0, where=where)
        self.cpu_chunk_mb = cpu_chunk_mb
        if power is None:
            raise WrongTypeError(message("power", "a number > 0 for a mel spectrogram", "None", where=where,
                                         describe=False))
        power = as_float(power, "power", minimum=0, low_open=True, where=where)
        self.n_mels = as_int(n_mels, "n_mels", where=where)
        nyquist = self.sr / 2
        self.fmin, self.fmax = as_frequency_band(fmin, nyquist if fmax is None else fmax, self.sr,
                                                 names=("fmin", "fmax"), allow_zero=True, nyquist_ok=True,
                                                 where=where)
        self.htk = bool(htk)
        self.norm = norm
        self.spectrogram = Spectrogram(
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
        )
        basis = dsp.mel_filterbank(
            sr=self.sr, n_fft=self.spectrogram.n_fft, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax,
            htk=self.htk, norm=norm,
        )
        self.register_buffer("mel_basis", torch.tensor(basis, dtype=torch.float64), persistent=False)

    # convenient read-only views of the STFT settings
    n_fft = property(lambda self: self.spectrogram.n_fft)
    hop_length = property(lambda self: self.spectrogram.hop_length)
    win_length = property(lambda self: self.spectrogram.win_length)
    center = property(lambda self: self.spectrogram.center)

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a clip of ``n_samples`` samples."""
        return self.spectrogram.n_frames(n_samples)

    def _mel(self, x: torch.Tensor) -> torch.Tensor:
        S = self.spectrogram(x)  # (B, F, N)
        basis = self.mel_basis.to(device=S.device, dtype=S.dtype)
        return torch.matmul(basis, S)  # (n_mels, F) @ (B, F, N) -> (B, n_mels, N)

    def _per_clip(self, x: torch.Tensor) -> torch.Tensor:
        """The whole per-clip pipeline on a validated batch (subclasses add steps)."""
        return self._mel(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, n_mels, frames)`` mel power spectrogram."""
        x = _as_batch(x, type(self).__name__)
        B, T = x.shape
        if x.device.type == "cpu" and B > 1 and self.cpu_chunk_mb:
            # Every clip is independent, so on a CPU we run a few clips at a time: the
            # complex STFT of a group (the biggest intermediate) then stays around
            # cpu_chunk_mb instead of ~700 MB for 64 x 30 s, which avoids page faults and
            # cache misses (about 2x faster on a 2-core machine). Same numbers; GPUs get
            # the whole batch at once.
            stft_bytes = self.spectrogram.n_freqs * self.n_frames(T) * 2 * x.element_size()
            chunk = max(1, int(self.cpu_chunk_mb * 1e6 // stft_bytes))
            if chunk < B:
                return torch.cat([self._per_clip(x[i : i + chunk]) for i in range(0, B, chunk)])
        return self._per_clip(x)

    def extra_repr(self) -> str:
        return (
            f"sr={self.sr:g}, n_mels={self.n_mels}, fmin={self.fmin:g}, fmax={self.fmax:g}, htk={self.htk}, "
            f"norm={self.norm!r}"
        )


class LogMelSpectrogram(MelSpectrogram):
    """Batched log-mel spectrogram in dB: ``librosa.power_to_db(melspectrogram(...))``.

    Input ``(B, T)`` or ``(T,)``; output ``(B, n_mels, frames)`` in dB,
    ``10 * log10(max(amin, mel) / ref)``, then clipped below at ``max - top_db``.
    Equals ``librosa.power_to_db(librosa.feature.melspectrogram(y=clip, ...), ref=ref,
    amin=amin, top_db=top_db)`` for each clip. The ``top_db`` floor is computed **per clip**
    (librosa's max is over the whole array it gets, one clip; a batch-wide max would make
    a quiet clip's features depend on its neighbours in the batch). ``ref="max"`` gives
    each clip 0 dB at its own loudest bin.

    Liu et al. Eq. 3 (log of mel filterbank energies). The input of MFCC and of most CNN
    models in the course (Wang's audio branch, Hao's audio branch). Taught in
    ``02_stft_and_spectrograms``; used by the training chapters.
    """

    def __init__(
        self,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: Optional[int] = 512,
        win_length: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: Optional[float] = None,
        htk: bool = False,
        norm: Optional[Union[str, float]] = "slaney",
        top_db: Optional[float] = 80.0,
        amin: float = 1e-10,
        ref: Union[float, str] = 1.0,
        cpu_chunk_mb: Optional[float] = 16.0,
    ) -> None:
        super().__init__(
            sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center,
            pad_mode=pad_mode, power=power, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm,
            cpu_chunk_mb=cpu_chunk_mb,
        )
        where = type(self).__name__
        amin = as_float(amin, "amin", minimum=0, low_open=True, where=where)
        if top_db is not None:
            top_db = as_float(top_db, "top_db", minimum=0, where=where)
        if isinstance(ref, str) and ref != "max":
            raise UnknownOptionError(message("ref", "a positive number or 'max'", ref, where=where))
        self.top_db = top_db
        self.amin = amin
        self.ref = ref

    def _per_clip(self, x: torch.Tensor) -> torch.Tensor:
        return batch_power_to_db(self._mel(x), ref=self.ref, amin=self.amin, top_db=self.top_db)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, n_mels, frames)`` log-mel in dB."""
        return super().forward(x)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", top_db={self.top_db}, amin={self.amin:g}, ref={self.ref!r}"


class MFCC(nn.Module):
    """Batched MFCC, identical to ``librosa.feature.mfcc(y=clip, sr=sr, ...)`` for each clip.

    Input ``(B, T)`` or ``(T,)`` float waveform; output ``(B, n_mfcc, frames)``
    (dimensionless cepstral coefficients of the dB log-mel spectrum).

    Steps, as in librosa: mel power spectrogram -> :func:`batch_power_to_db` with ``ref=1.0``,
    ``amin=1e-10``, ``top_db=80`` (per clip) -> DCT along the mel axis (type ``dct_type``,
    ``norm``), keep the first ``n_mfcc`` coefficients -> optional liftering. The DCT is a
    precomputed ``(n_mfcc, n_mels)`` matrix buffer ``dct`` (:func:`mfcc_dct_matrix`, lifter
    folded in), so the last step is one matrix product. ``mel_norm`` is the mel filterbank normalisation (librosa's
    ``mel_norm``); ``norm`` is the DCT's. Other keyword arguments (``n_fft``,
    ``hop_length``, ``win_length``, ``window``, ``center``, ``pad_mode``, ``power``,
    ``n_mels``, ``fmin``, ``fmax``, ``htk``, ``amin``, ``ref``) go to
    :class:`LogMelSpectrogram`.

    Hao et al. Eq. 13 and Liu et al. Eq. 4 (cosine transform of the log filterbank
    energies; DCT-II with ``norm="ortho"`` has the ``sqrt(2/M)`` factor of Hao's Eq. 13).
    Liu et al. use 40 mel filters, 25 ms frames and a 10 ms shift:
    ``MFCC(sr, n_mels=40, n_fft=..., win_length=int(0.025 * sr), hop_length=int(0.010 * sr))``.
    Taught in ``03_mfcc_chroma_and_friends``; used by the classical baselines and
    the training chapters.
    """

    def __init__(
        self,
        sr: float = 22050,
        n_mfcc: int = 20,
        dct_type: int = 2,
        norm: Optional[str] = "ortho",
        lifter: float = 0.0,
        mel_norm: Optional[Union[str, float]] = "slaney",
        top_db: Optional[float] = 80.0,
        **mel_kwargs: Any,
    ) -> None:
        super().__init__()
        self.logmel = LogMelSpectrogram(sr=sr, norm=mel_norm, top_db=top_db, **mel_kwargs)
        where = type(self).__name__
        self.n_mfcc = as_int(n_mfcc, "n_mfcc", where=where)
        if self.n_mfcc > self.logmel.n_mels:
            raise OutOfRangeError(message("n_mfcc", f"<= n_mels={self.logmel.n_mels}", self.n_mfcc, where=where))
        as_choice(dct_type, "dct_type", (1, 2, 3), where=where)
        as_choice(norm, "norm", (None, "ortho"), where=where)
        self.dct_type = dct_type
        self.norm = norm
        self.lifter = as_float(lifter, "lifter", minimum=0, where=where)
        basis = mfcc_dct_matrix(self.n_mfcc, self.logmel.n_mels, dct_type=dct_type, norm=norm, lifter=self.lifter)
        self.register_buffer("dct", torch.tensor(basis, dtype=torch.float64), persistent=False)

    sr = property(lambda self: self.logmel.sr)
    n_mels = property(lambda self: self.logmel.n_mels)

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a clip of ``n_samples`` samples."""
        return self.logmel.n_frames(n_samples)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, n_mfcc, frames)`` MFCCs."""
        S_db = self.logmel(x)  # (B, n_mels, N)
        dct = self.dct.to(device=S_db.device, dtype=S_db.dtype)
        return torch.matmul(dct, S_db)  # (n_mfcc, n_mels) @ (B, n_mels, N)

    def extra_repr(self) -> str:
        return f"n_mfcc={self.n_mfcc}, dct_type={self.dct_type}, norm={self.norm!r}, lifter={self.lifter:g}"


# --------------------------------------------------------------------------------------
# wideband / narrowband spectrograms (Zhao et al., MultiSpec-DNN)
# --------------------------------------------------------------------------------------
_WIDEBAND_MS = 3.0
_NARROWBAND_MS = 25.0


class _BandSpectrogram(nn.Module):
    """Spectrogram with window and hop given in milliseconds (shared by wide/narrowband)."""

    def __init__(
        self,
        sr: float,
        window_ms: float,
        hop_ms: Optional[float],
        n_fft: Optional[int],
        window: LibrosaWindowSpec,
        scale: str,
        fmax: Optional[float],
        top_db: Optional[float],
        center: bool,
        pad_mode: str,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.sr = as_sample_rate(sr, where=where)
        as_choice(scale, "scale", ("magnitude", "power", "db"), where=where)
        if top_db is not None:
            top_db = as_float(top_db, "top_db", minimum=0, where=where)
        self.window_ms = as_float(window_ms, "window_ms", minimum=0, low_open=True, where=where, unit="ms")
        self.hop_ms = self.window_ms / 2 if hop_ms is None else as_float(hop_ms, "hop_ms", minimum=0, low_open=True,
                                                                         where=where, unit="ms")
        win_length = dsp.ms_to_samples(self.window_ms, self.sr, "window_ms", minimum=2, where=where)
        hop_length = dsp.ms_to_samples(self.hop_ms, self.sr, "hop_ms", where=where)
        if n_fft is None:
            # one rule for both kinds: big enough for a 25 ms (narrowband) window, so a
            # wideband and a narrowband spectrogram of the same sr share the frequency axis
            n_fft = dsp.next_power_of_two(max(win_length, int(round(_NARROWBAND_MS * self.sr / 1000))))
        self.scale = scale
        self.top_db = None if top_db is None else float(top_db)
        self.spectrogram = Spectrogram(
            n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center,
            pad_mode=pad_mode, power=1.0 if scale == "magnitude" else 2.0,
        )
        self.fmax = None if fmax is None else as_frequency(fmax, "fmax", self.sr, nyquist_ok=True, where=where)
        freqs = np.arange(self.spectrogram.n_freqs) * self.sr / self.spectrogram.n_fft
        self.n_keep = int(np.sum(freqs <= self.fmax)) if self.fmax is not None else len(freqs)
        #: centre frequency of each output row, Hz (NumPy, shape ``(n_freqs,)``)
        self.freqs = freqs[: self.n_keep]

    n_fft = property(lambda self: self.spectrogram.n_fft)
    win_length = property(lambda self: self.spectrogram.win_length)
    hop_length = property(lambda self: self.spectrogram.hop_length)

    @property
    def n_freqs(self) -> int:
        """Number of output frequency rows (``1 + n_fft // 2``, or fewer with ``fmax``)."""
        return self.n_keep

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a clip of ``n_samples`` samples."""
        return self.spectrogram.n_frames(n_samples)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, n_freqs, frames)``."""
        S = self.spectrogram(x)
        if self.scale == "db":  # floor from the full spectrum (as librosa would), then crop
            S = batch_power_to_db(S, ref=1.0, amin=1e-10, top_db=self.top_db)
        return S[:, : self.n_keep, :]

    def extra_repr(self) -> str:
        return (
            f"sr={self.sr:g}, window_ms={self.window_ms:g} ({self.win_length} samples), "
            f"hop_ms={self.hop_ms:g} ({self.hop_length} samples), n_fft={self.n_fft}, scale={self.scale!r}, "
            f"fmax={self.fmax}"
        )


class WidebandSpectrogram(_BandSpectrogram):
    """Wideband spectrogram: a short (~3 ms) window, fine in time, coarse in frequency.

    Zhao, Jin, Guo (MultiSpec-DNN), Sec. IV.B.1: wideband and narrowband spectrograms
    "differ only in the size of the Fourier transform window", made "with window widths of
    approximately 3 ms/25 ms". A 3 ms Hann window has a main lobe about ``2 / 3 ms`` ≈
    670 Hz wide, more than the spacing of the harmonics of most voices and instruments, so
    harmonics merge into broad bands (formants, the spectral envelope: timbre), while the
    many short frames resolve onsets, plosives and tremolo in time. (The paper's text swaps
    the English labels in parentheses; we use the standard meaning: wideband = short window.)

    Input ``(B, T)`` or ``(T,)`` float waveform at ``sr`` Hz. Output
    ``(B, n_freqs, frames)``, ``n_freqs = 1 + n_fft // 2`` (or the rows up to ``fmax`` Hz),
    ``frames = 1 + T // hop_length`` (``center=True``). Units by ``scale``:
    ``"magnitude"`` (default) ``|STFT|``; ``"power"`` ``|STFT|**2``; ``"db"``
    ``10 log10(max(1e-10, |STFT|**2))`` clipped at ``max - top_db`` per clip, the same as
    ``librosa.amplitude_to_db(|STFT|, ref=1.0, top_db=top_db)``.

    Choices (the paper gives only the two window lengths):

    * ``win_length = round(window_ms * sr / 1000)`` (3 ms at 22.05 kHz: 66 samples);
    * ``hop_ms=None`` means half the window (1.5 ms), as in :mod:`mer_lessons.dsp`: no
      sample is skipped, so the wideband map has ~8x as many frames as the narrowband one
      (12.5 ms hop);
    * ``n_fft=None`` is the next power of two >= a 25 ms window (1024 at 22.05 kHz, 512 at
      16 kHz) **for both classes**, so wideband and narrowband maps of the same ``sr``
      share the frequency axis (row ``k`` is ``k * sr / n_fft`` Hz in both) and can feed
      the two branches of a CNN. The short window is zero-padded to ``n_fft``: that only
      interpolates the spectrum, the frequency *resolution* is still set by the window
      (about ``sr / win_length`` Hz). (:func:`mer_lessons.dsp.wideband_spectrogram` pads
      only to the next power of two of its own window; pass ``n_fft`` to get the same.)

    Zhao's MultiSpec-DNN concatenates its two branches along channels, so the maps need
    the same frames too: use :class:`WideNarrowbandSpectrogram` (same ``n_fft`` and same
    hop, stacked as 2 channels), or keep the native hops and pool the wideband branch in
    time before concatenating. :meth:`n_frames` plans shapes.

    Taught in ``02_stft_and_spectrograms`` (wideband vs narrowband); used by the
    Zhao et al. chapter (MultiSpec-DNN).
    """

    def __init__(
        self,
        sr: float = 22050,
        window_ms: float = _WIDEBAND_MS,
        hop_ms: Optional[float] = None,
        n_fft: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        scale: str = "magnitude",
        fmax: Optional[float] = None,
        top_db: Optional[float] = 80.0,
        center: bool = True,
        pad_mode: str = "constant",
    ) -> None:
        super().__init__(sr, window_ms, hop_ms, n_fft, window, scale, fmax, top_db, center, pad_mode)


class NarrowbandSpectrogram(_BandSpectrogram):
    """Narrowband spectrogram: a long (~25 ms) window, fine in frequency, coarse in time.

    Zhao, Jin, Guo (MultiSpec-DNN), Sec. IV.B.1: the ~25 ms window (Hann main lobe about
    80 Hz) spans several pitch periods, so the harmonics of the fundamental show as thin
    horizontal lines ("ripples") that follow the melody / intonation; fast events are
    smeared over 25 ms and there are fewer frames. Complements :class:`WidebandSpectrogram`.

    Input ``(B, T)`` or ``(T,)``; output ``(B, n_freqs, frames)``; same ``scale`` units,
    ``n_fft`` rule and hop rule (``hop_ms=None``: half the window, 12.5 ms) as
    :class:`WidebandSpectrogram` (read its notes on matching shapes for a two-branch CNN).
    With ``n_fft=None`` a 25 ms window is 551 samples in a 1024-point FFT at 22.05 kHz,
    400 samples in 512 points at 16 kHz.

    Taught in ``02_stft_and_spectrograms``; used by the Zhao et al. chapter.
    """

    def __init__(
        self,
        sr: float = 22050,
        window_ms: float = _NARROWBAND_MS,
        hop_ms: Optional[float] = None,
        n_fft: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        scale: str = "magnitude",
        fmax: Optional[float] = None,
        top_db: Optional[float] = 80.0,
        center: bool = True,
        pad_mode: str = "constant",
    ) -> None:
        super().__init__(sr, window_ms, hop_ms, n_fft, window, scale, fmax, top_db, center, pad_mode)


class WideNarrowbandSpectrogram(nn.Module):
    """Zhao et al.'s MultiSpec-DNN input: wideband and narrowband maps stacked as 2 channels.

    Input ``(B, T)`` or ``(T,)``; output ``(B, 2, n_freqs, frames)``: channel 0 the wideband
    (``wide_ms``, default 3 ms) and channel 1 the narrowband (``narrow_ms``, 25 ms)
    spectrogram, both with the same ``n_fft`` (default: next power of two >= the long
    window) and the same hop (default 1.5 ms, half the short window, so the wideband
    channel keeps its time resolution), hence the same shape. Units as ``scale`` in
    :class:`WidebandSpectrogram`; with ``scale="db"`` each channel gets its own per-clip
    ``top_db`` floor. The same pair as :func:`mer_lessons.dsp.wide_and_narrowband_spectrograms`.
    Zhao, Jin, Guo, Sec. IV.B and Fig. 2. Taught in ``02_stft_and_spectrograms``;
    used by the Zhao et al. chapter.
    """

    def __init__(
        self,
        sr: float = 22050,
        wide_ms: float = _WIDEBAND_MS,
        narrow_ms: float = _NARROWBAND_MS,
        hop_ms: float = 1.5,
        n_fft: Optional[int] = None,
        window: LibrosaWindowSpec = "hann",
        scale: str = "magnitude",
        fmax: Optional[float] = None,
        top_db: Optional[float] = 80.0,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        sr = as_sample_rate(sr, where=where)
        wide_ms = as_float(wide_ms, "wide_ms", minimum=0, low_open=True, where=where, unit="ms")
        narrow_ms = as_float(narrow_ms, "narrow_ms", minimum=0, low_open=True, where=where, unit="ms")
        if not wide_ms < narrow_ms:
            raise OutOfRangeError(message("wide_ms", f"shorter than narrow_ms={narrow_ms:g} ms", wide_ms, where=where))
        if n_fft is None:
            n_fft = dsp.next_power_of_two(dsp.ms_to_samples(narrow_ms, sr, "narrow_ms", where=where))
        common = dict(sr=sr, hop_ms=hop_ms, n_fft=n_fft, window=window, scale=scale, fmax=fmax, top_db=top_db)
        self.wide = WidebandSpectrogram(window_ms=wide_ms, **common)
        self.narrow = NarrowbandSpectrogram(window_ms=narrow_ms, **common)
        self.freqs = self.wide.freqs

    @property
    def n_freqs(self) -> int:
        return self.wide.n_freqs

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a clip of ``n_samples`` samples."""
        return self.wide.n_frames(n_samples)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` or ``(T,)`` waveform -> ``(B, 2, n_freqs, frames)`` (wide, narrow)."""
        return torch.stack([self.wide(x), self.narrow(x)], dim=1)
