"""Back from spectrograms to sound: Griffin-Lim phase recovery and mel-to-linear inversion.

A magnitude or mel spectrogram throws the phase away (and a mel spectrogram also merges
neighbouring frequencies), so it cannot be inverted exactly. Listening to the best
approximation is the quickest way to hear what a representation keeps: used by the
spectrogram explorer in ``02_stft_and_spectrograms``.
"""

from __future__ import annotations

import numpy as np

from mer_lessons import dsp
from mer_lessons.validation import OutOfRangeError, WrongShapeError, as_float, as_int, as_real_array, message


def griffin_lim(magnitude, *, n_iter: int = 32, hop_length: int | None = None, win_length: int | None = None,
                window: str = "hann", center: bool = True, length: int | None = None, momentum: float = 0.99,
                seed: int = 0) -> np.ndarray:
    """Estimate a signal whose STFT magnitude is ``magnitude`` (fast Griffin-Lim).

    Griffin & Lim (1984) alternate between the two constraints: keep the given magnitude
    with the current phase estimate, go to the time domain (``dsp.istft``) and back
    (``dsp.stft``) to get a consistent spectrogram, take its phase, repeat. The "fast"
    variant of Perraudin et al. (2013) adds ``momentum`` (0 gives the original algorithm).

    Parameters
    ----------
    magnitude : array, shape (1 + n_fft // 2, n_frames), non-negative STFT magnitudes.
    n_iter : int, iterations (more = cleaner, slower; 32 is plenty for listening).
    hop_length, win_length, window, center : as used to compute the magnitude.
    length : int, optional exact output length in samples.
    seed : int, seed of the random initial phase.

    Returns
    -------
    y : float64 array, shape (n_samples,).
    Taught in ``02_stft_and_spectrograms``.
    """
    where = "griffin_lim"
    S = as_real_array(magnitude, "magnitude", where=where)  # complex, NaN, inf: errors naming magnitude
    if S.ndim != 2 or S.shape[0] < 2:
        raise WrongShapeError(message("magnitude", "2-D (1 + n_fft // 2, n_frames) with at least 2 rows",
                                      f"shape {S.shape}", where=where, describe=False))
    if np.any(S < 0):
        raise OutOfRangeError(message("magnitude", "non-negative", f"min {S.min():g}", where=where, describe=False,
                                      hint="pass |STFT|, not a dB or complex array"))
    n_iter = as_int(n_iter, "n_iter", where=where)
    momentum = as_float(momentum, "momentum", minimum=0, where=where)
    if length is not None:
        length = as_int(length, "length", where=where)
    n_fft = 2 * (S.shape[0] - 1)
    options = dict(hop_length=hop_length, win_length=win_length, window=window, center=center)
    phase = np.exp(2j * np.pi * np.random.default_rng(seed).random(S.shape))
    previous = np.zeros_like(phase)
    for _ in range(n_iter):
        y = dsp.istft(S * phase, n_fft=n_fft, length=length, **options)
        rebuilt = dsp.stft(y, n_fft=n_fft, **options)[:, : S.shape[1]]
        accelerated = rebuilt - momentum / (1 + momentum) * previous
        previous = rebuilt
        phase = accelerated / np.maximum(np.abs(accelerated), 1e-16)
    return dsp.istft(S * phase, n_fft=n_fft, length=length, **options)


def mel_to_linear(mel_power, *, sr: float, n_fft: int, fmin: float = 0.0, fmax: float | None = None,
                  htk: bool = False, norm: str | None = "slaney") -> np.ndarray:
    """Approximate the linear power spectrogram behind a mel power spectrogram.

    Solves ``M @ S ≈ mel`` in the least-squares sense with the pseudo-inverse of the mel
    filterbank ``M`` (``dsp.mel_filterbank`` with the same arguments) and clips negative
    powers to zero. Frequencies that one mel band merged come back smeared: that loss is
    what you hear. (librosa solves the non-negative least-squares problem instead; the
    difference is inaudible for listening purposes.)

    Returns an array of shape ``(1 + n_fft // 2, n_frames)``.
    Taught in ``02_stft_and_spectrograms``.
    """
    mel_power = as_real_array(mel_power, "mel_power", where="mel_to_linear")
    if mel_power.ndim != 2:
        raise WrongShapeError(message("mel_power", "2-D (n_mels, n_frames)", f"shape {mel_power.shape}",
                                      where="mel_to_linear", describe=False))
    basis = dsp.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=mel_power.shape[0], fmin=fmin, fmax=fmax,
                               htk=htk, norm=norm)
    return np.maximum(np.linalg.pinv(basis) @ mel_power, 0.0)
