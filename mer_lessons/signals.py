"""Test signals for the signal-processing notebooks and tests: tones, chirps, noise, a melody.

Everything is synthesised offline, deterministically (seeded), as float32 mono in [-1, 1].
Taught in ``01_sound_and_fourier`` and used throughout ``02``/``03`` until the data chapter's
real music (rendered scores) takes over.
"""

from __future__ import annotations

import numpy as np

from mer_lessons.validation import as_float, as_int, as_signal

#: Semitone names of the twelve pitch classes, C first (as in Hao et al., Eq. 14).
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _check_timing(sr: float, duration: float) -> int:
    if sr <= 0:
        raise ValueError(f"sr must be positive (samples per second), got {sr}")
    if duration <= 0:
        raise ValueError(f"duration must be positive (seconds), got {duration}")
    return int(round(sr * duration))


def midi_to_hz(note: float) -> float:
    """Frequency in Hz of a MIDI note number (A4 = 69 = 440 Hz, equal temperament).

    Taught in ``02_stft_and_spectrograms``.
    """
    return 440.0 * 2.0 ** ((note - 69) / 12)


def time_axis(sr: float, duration: float) -> np.ndarray:
    """Sample times in seconds, shape ``(round(sr * duration),)``.

    Taught in ``01_sound_and_fourier``.
    """
    return np.arange(_check_timing(sr, duration)) / sr


def fade(y: np.ndarray, sr: float, fade_seconds: float = 0.01) -> np.ndarray:
    """Linear fade-in and fade-out of ``fade_seconds`` each, so a clip starts and ends without a click.

    ``y``: mono float samples (integer PCM, complex, NaN/inf or 2-D input raise errors of
    :mod:`mer_lessons.validation` naming ``y``; convert PCM with :func:`mer_lessons.dsp.pcm_to_float`).

    Taught in ``01_sound_and_fourier``.
    """
    y = as_signal(y, "y", where="fade", ndim=1, audio=True)  # real, finite, float (not integer PCM)
    n = min(len(y) // 2, int(round(fade_seconds * sr)))
    out = np.array(y, dtype=np.float32, copy=True)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
        out[:n] *= ramp
        out[len(out) - n:] *= ramp[::-1]
    return out


def sine(freq: float, sr: float = 16_000, duration: float = 1.0, *, amplitude: float = 0.5,
         phase: float = 0.0) -> np.ndarray:
    """A pure tone ``amplitude * sin(2 pi freq t + phase)``, shape ``(sr * duration,)``.

    Taught in ``01_sound_and_fourier``.
    """
    if freq < 0:
        raise ValueError(f"freq must be non-negative (Hz), got {freq}")
    t = time_axis(sr, duration)
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def harmonic_tone(freq: float, sr: float = 16_000, duration: float = 1.0, *, n_harmonics: int = 6,
                  brightness: float = 1.0, amplitude: float = 0.5, decay: float = 0.0) -> np.ndarray:
    """A tone with harmonics ``k * freq`` of weight ``1 / k**(1 / brightness)`` (below Nyquist).

    ``brightness`` > 1 gives stronger upper harmonics (a brighter timbre); ``decay`` (1/s)
    adds an exponential envelope like a plucked string. Peak-normalised to ``amplitude``.

    Taught in ``03_mfcc_chroma_and_friends``.
    """
    n_harmonics = as_int(n_harmonics, "n_harmonics", minimum=1, where="harmonic_tone")
    if brightness <= 0:
        raise ValueError(f"brightness must be positive, got {brightness}")
    t = time_axis(sr, duration)
    y = np.zeros_like(t)
    for k in range(1, n_harmonics + 1):
        if k * freq >= sr / 2:
            break
        y += np.sin(2 * np.pi * k * freq * t) / k ** (1.0 / brightness)
    if decay:
        y *= np.exp(-decay * t)
    peak = np.max(np.abs(y))
    return (amplitude * y / peak if peak > 0 else y).astype(np.float32)


def chirp(f_start: float, f_end: float, sr: float = 16_000, duration: float = 1.0, *,
          amplitude: float = 0.5) -> np.ndarray:
    """A linear sweep from ``f_start`` to ``f_end`` Hz (instantaneous frequency linear in time).

    Taught in ``01_sound_and_fourier``.
    """
    t = time_axis(sr, duration)
    rate = (f_end - f_start) / duration
    return (amplitude * np.sin(2 * np.pi * (f_start * t + 0.5 * rate * t**2))).astype(np.float32)


def white_noise(sr: float = 16_000, duration: float = 1.0, *, amplitude: float = 0.1, seed: int = 0) -> np.ndarray:
    """Gaussian white noise with standard deviation ``amplitude`` (seeded).

    Taught in ``02_stft_and_spectrograms``.
    """
    n = _check_timing(sr, duration)
    return (amplitude * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


#: A short C-major phrase: (MIDI note, beats). Used by :func:`melody` by default.
DEFAULT_PHRASE = ((60, 1), (64, 1), (67, 1), (72, 1), (71, 0.5), (67, 0.5), (64, 1), (65, 1), (62, 1), (60, 2))


def melody(notes=DEFAULT_PHRASE, sr: float = 16_000, *, tempo: float = 120.0, n_harmonics: int = 6,
           brightness: float = 1.0, legato: float = 0.9, amplitude: float = 0.5) -> np.ndarray:
    """A melody of harmonic tones: ``notes`` is a sequence of ``(midi_note, beats)``.

    Each note lasts ``beats * 60 / tempo`` seconds and sounds for the share ``legato`` of it
    (1.0 = legato, 0.3 = staccato), with a plucked decay and short fades. A stand-in for real
    music until the data chapter renders scores.

    Taught in ``01_sound_and_fourier``.
    """
    if tempo <= 0:
        raise ValueError(f"tempo must be positive (beats per minute), got {tempo}")
    if not 0 < legato <= 1:
        raise ValueError(f"legato must be in (0, 1], got {legato}")
    beat = 60.0 / tempo
    pieces = []
    for note, beats in notes:
        length = beats * beat
        sounding = harmonic_tone(midi_to_hz(note), sr, length * legato, n_harmonics=n_harmonics,
                                 brightness=brightness, amplitude=amplitude, decay=2.0)
        silence = np.zeros(_check_timing(sr, length) - len(sounding), dtype=np.float32)
        pieces += [fade(sounding, sr, 0.005), silence]
    return np.concatenate(pieces)


def chord(midi_notes, sr: float = 16_000, duration: float = 1.0, **tone_options) -> np.ndarray:
    """Several harmonic tones sounding together, peak-normalised to 0.5.

    Taught in ``02_stft_and_spectrograms``.
    """
    y = sum(harmonic_tone(midi_to_hz(n), sr, duration, **tone_options) for n in midi_notes)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def calm_then_turbulent(sr: float = 16_000, duration: float = 6.0, *, seed: int = 0) -> np.ndarray:
    """First half: one steady, soft chord. Second half: fast, loud, changing notes over noise bursts.

    The test signal for the frequency variation rate and spectral flux (Hao et al., Eq. 2–3):
    a good "fluctuation" measure should be low on the first half and high on the second.

    Taught in ``03_mfcc_chroma_and_friends``.
    """
    half = duration / 2
    calm = 0.6 * chord((60, 64, 67), sr, half, n_harmonics=4)
    rng = np.random.default_rng(seed)
    notes = [(int(n), 0.25) for n in rng.integers(55, 84, size=int(half * 8))]
    busy = melody(notes, sr, tempo=120, brightness=2.0, legato=0.6, amplitude=0.8)
    busy = busy[: _check_timing(sr, half)]
    busy = np.pad(busy, (0, _check_timing(sr, half) - len(busy)))
    gate = (np.sin(2 * np.pi * 3 * time_axis(sr, half)) > 0.6).astype(np.float32)
    busy = busy + gate * white_noise(sr, half, amplitude=0.15, seed=seed)
    return fade(np.concatenate([calm, busy]).astype(np.float32), sr)


def add_noise(y: np.ndarray, snr_db: float, *, seed: int = 0, lead_in: int = 0) -> np.ndarray:
    """``y`` plus white noise scaled to the given signal-to-noise ratio in dB.

    ``lead_in`` (samples, default 0): that much noise *alone* comes first, so the result
    has ``lead_in + len(y)`` samples, like a recording that starts before anyone speaks
    or plays -- what :func:`mer_lessons.dsp.spectral_subtraction` measures its noise
    spectrum from (used in ``11_kirar_zebra_bilstm_attention``). The SNR is that of ``y``
    against the noise under it. ``y`` is checked as in :func:`fade`; ``lead_in`` must be a
    whole number of samples.

    Taught in ``03_mfcc_chroma_and_friends``.
    """
    y = as_signal(y, "y", where="add_noise", ndim=1, audio=True).astype(np.float32)
    snr_db = as_float(snr_db, "snr_db", where="add_noise")
    power = float(np.mean(y**2))
    if power == 0:
        raise ValueError("add_noise: the signal is silent, so an SNR is undefined")
    lead_in = as_int(lead_in, "lead_in", minimum=0, where="add_noise")  # samples
    noise = np.random.default_rng(seed).standard_normal(lead_in + len(y)).astype(np.float32)
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise**2))
    return np.concatenate([np.zeros(lead_in, dtype=np.float32), y]) + noise
