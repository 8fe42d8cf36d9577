"""Malformed input, signal side: NaN/inf samples, integer PCM, complex values, channels-last stereo
and fractional or zero filter orders (and other integer settings) given to the signal-processing
modules (dsp, features, signals, physio, clip_features, functionals, inversion, windows, chords).

Every case checks the error type of :mod:`mer_lessons.validation` AND that the message names
the argument (and, for stereo, that it mentions the channels-last layout). The integer-PCM
conversion helper :func:`mer_lessons.dsp.pcm_to_float` is checked on exact values.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from mer_lessons import chords, clip_features, dsp, features, functionals, inversion, physio, signals, windows
from mer_lessons.validation import (
    NonFiniteError,
    OutOfRangeError,
    WrongShapeError,
    WrongTypeError,
    check_channels_last,
    looks_channels_last,
)

SR = 16_000
RNG = np.random.default_rng(0)
Y = 0.1 * RNG.standard_normal(SR // 2)                       # 0.5 s of float64 noise
Y_NAN = Y.copy()
Y_NAN[100] = np.nan
Y_INF = Y.copy()
Y_INF[7] = np.inf
Y_INT16 = (Y * 32767).astype(np.int16)
Y_COMPLEX = Y + 1j * Y
STEREO = np.stack([Y, Y], axis=1)                           # (samples, 2): channels last
S_POWER = np.abs(dsp.stft(Y, n_fft=512)) ** 2                # (257, frames)
T = torch.tensor(Y, dtype=torch.float32)
T_NAN = torch.tensor(Y_NAN, dtype=torch.float32)
T_INF = torch.tensor(Y_INF, dtype=torch.float32)


def _with_nan(a):
    a = np.array(a, dtype=np.float64)
    a.flat[1] = np.nan
    return a


def check(call, error, *patterns):
    """``call()`` raises ``error`` and its message matches every regex in ``patterns``."""
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, text), f"{pattern!r} not in {text!r}"
    return text


# ------------------------------------------------------------------------- 1. NaN / inf samples
NON_FINITE = {
    "dsp.stft": (lambda: dsp.stft(Y_NAN, n_fft=512), "y"),
    "dsp.mel_spectrogram": (lambda: dsp.mel_spectrogram(y=Y_INF, sr=SR, n_fft=512), "y"),
    "dsp.mfcc(y)": (lambda: dsp.mfcc(y=Y_NAN, sr=SR, n_fft=512), "y"),
    "dsp.mfcc(S)": (lambda: dsp.mfcc(S=_with_nan(S_POWER[:40])), "S"),
    "dsp.butter_bandpass": (lambda: dsp.butter_bandpass(Y_INF, SR, 100.0, 1000.0), "y"),
    "dsp.fft": (lambda: dsp.fft(Y_NAN[:256]), "x"),
    "dsp.dct_type2": (lambda: dsp.dct_type2(Y_NAN[:256]), "x"),
    "dsp.power_to_db": (lambda: dsp.power_to_db(_with_nan(S_POWER)), "S"),
    "dsp.amplitude_to_db": (lambda: dsp.amplitude_to_db(_with_nan(S_POWER)), "S"),
    "dsp.istft": (lambda: dsp.istft(_with_nan(S_POWER) + 0j), "stft_matrix"),
    "dsp.mel_spectrogram(S)": (lambda: dsp.mel_spectrogram(S=_with_nan(S_POWER), sr=SR), "S"),
    "dsp.levinson_durbin": (lambda: dsp.levinson_durbin(_with_nan(np.ones(10)), 4), "r"),
    "dsp.frequency_variation_rate": (lambda: dsp.frequency_variation_rate(_with_nan(S_POWER)), "X"),
    "dsp.dynamic_sampling_rate": (lambda: dsp.dynamic_sampling_rate(_with_nan([0.1, 0.2]), 10.0, 1.0), "fvr"),
    "features.Spectrogram": (lambda: features.Spectrogram(n_fft=512)(T_NAN), "x"),
    "features.MelSpectrogram": (lambda: features.MelSpectrogram(sr=SR, n_fft=512, n_mels=40)(T_INF), "x"),
    "features.LogMelSpectrogram": (lambda: features.LogMelSpectrogram(sr=SR, n_fft=512, n_mels=40)(T_NAN[None]),
                                   "x"),
    "features.MFCC": (lambda: features.MFCC(sr=SR, n_mfcc=13, n_fft=512, n_mels=40)(T_INF), "x"),
    "features.WidebandSpectrogram": (lambda: features.WidebandSpectrogram(sr=SR)(T_NAN), "x"),
    "features.WideNarrowbandSpectrogram": (lambda: features.WideNarrowbandSpectrogram(sr=SR)(T_INF), "x"),
    "features.batch_power_to_db": (lambda: features.batch_power_to_db(torch.tensor([[1.0, float("nan")]])), "S"),
    "signals.fade": (lambda: signals.fade(Y_NAN, SR), "y"),
    "signals.add_noise": (lambda: signals.add_noise(Y_INF, 10.0), "y"),
    "physio.bandpass": (lambda: physio.bandpass(Y_NAN, 128.0, 4.0, 45.0), "x"),
    "physio.zscore": (lambda: physio.zscore(Y_NAN), "x"),
    "physio.filter_response_db": (lambda: physio.filter_response_db(physio.bandpass_sos(128.0, 4.0, 45.0), 128.0,
                                                                     [1.0, np.nan]), "freqs"),
    "clip_features": (lambda: clip_features.clip_features(Y_NAN, SR), "y"),
    "functionals.course_llds": (lambda: functionals.course_llds(Y_INF, SR), "y"),
    "inversion.griffin_lim": (lambda: inversion.griffin_lim(_with_nan(np.sqrt(S_POWER)), n_iter=1), "magnitude"),
    "inversion.mel_to_linear": (lambda: inversion.mel_to_linear(_with_nan(S_POWER[:40]), sr=SR, n_fft=512),
                                "mel_power"),
    "windows.window_features": (lambda: windows.window_features({"audio": Y_NAN}, {"audio": SR}), r"window\['audio'\]"),
}


@pytest.mark.parametrize("case", sorted(NON_FINITE))
def test_non_finite_samples_raise_naming_the_argument(case):
    call, name = NON_FINITE[case]
    check(call, NonFiniteError, rf"(^|\W){name}(\W|$)", "finite")


# ------------------------------------------------------------------------- 2. integer PCM
INTEGER_PCM = {
    "dsp.stft": lambda: dsp.stft(Y_INT16, n_fft=512),
    "dsp.mel_spectrogram": lambda: dsp.mel_spectrogram(y=Y_INT16, sr=SR, n_fft=512),
    "dsp.mfcc": lambda: dsp.mfcc(y=Y_INT16, sr=SR, n_fft=512),
    "dsp.preemphasis": lambda: dsp.preemphasis(Y_INT16),
    "dsp.butter_bandpass": lambda: dsp.butter_bandpass(Y_INT16, SR, 100.0, 1000.0),
    "dsp.spectral_subtraction": lambda: dsp.spectral_subtraction(Y_INT16, SR),
    "dsp.clip_log_mel": lambda: dsp.clip_log_mel(Y_INT16, SR, n_frames=4),
    "dsp.stft(bool)": lambda: dsp.stft(Y > 0, n_fft=512),
    "signals.fade": lambda: signals.fade(Y_INT16, SR),
    "signals.add_noise": lambda: signals.add_noise(Y_INT16, 10.0),
    "clip_features": lambda: clip_features.clip_features(Y_INT16, SR),
    "functionals.course_llds": lambda: functionals.course_llds(Y_INT16, SR),
    "windows.window_features": lambda: windows.window_features({"audio": Y_INT16}, {"audio": SR}),
}


@pytest.mark.parametrize("case", sorted(INTEGER_PCM))
def test_integer_pcm_is_refused_with_the_conversion_hint(case):
    check(INTEGER_PCM[case], WrongTypeError, r"(^|\W)(y|window\['audio'\])(\W|$)", "floating-point",
          r"pcm_to_float", "32768")


@pytest.mark.parametrize("module", ["MelSpectrogram", "Spectrogram"])
def test_torch_integer_pcm_is_refused_with_the_conversion_hint(module):
    m = getattr(features, module)(n_fft=512) if module == "Spectrogram" else features.MelSpectrogram(sr=SR, n_fft=512)
    check(lambda: m(torch.tensor(Y_INT16)), WrongTypeError, r"x must be", "floating-point", "32768", "pcm_to_float")


def test_physiological_integer_counts_are_still_accepted():
    counts = (1000 * np.sin(2 * np.pi * 10 * np.arange(1280) / 128)).astype(np.int32)  # ADC counts
    out = physio.bandpass(counts, 128.0, 4.0, 45.0)
    assert out.dtype == np.float64
    assert np.allclose(out, physio.bandpass(counts.astype(np.float64), 128.0, 4.0, 45.0))


def test_pcm_to_float_exact_values():
    int16 = np.array([-32768, -16384, 0, 16384, 32767], dtype=np.int16)
    out = dsp.pcm_to_float(int16)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([-1.0, -0.5, 0.0, 0.5, 32767 / 32768], dtype=np.float32))
    int32 = np.array([-2**31, 2**30, 0], dtype=np.int32)
    np.testing.assert_array_equal(dsp.pcm_to_float(int32), np.array([-1.0, 0.5, 0.0], dtype=np.float32))
    uint8 = np.array([0, 64, 128, 255], dtype=np.uint8)         # offset binary: 128 is silence
    np.testing.assert_array_equal(dsp.pcm_to_float(uint8), np.array([-1.0, -0.5, 0.0, 127 / 128], dtype=np.float32))
    int8 = np.array([-128, 64], dtype=np.int8)
    np.testing.assert_array_equal(dsp.pcm_to_float(int8), np.array([-1.0, 0.5], dtype=np.float32))
    np.testing.assert_array_equal(dsp.pcm_to_float(torch.tensor([-32768, 16384], dtype=torch.int16)),
                                  np.array([-1.0, 0.5], dtype=np.float32))
    floats = np.array([0.25, -0.5])
    np.testing.assert_array_equal(dsp.pcm_to_float(floats), floats.astype(np.float32))
    # the converted clip is accepted where the integer one was refused
    assert dsp.stft(dsp.pcm_to_float(Y_INT16), n_fft=512).shape == (257, 1 + Y.size // 128)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, bool, np.complex64])
def test_pcm_to_float_refuses_unknown_dtypes(dtype):
    check(lambda: dsp.pcm_to_float(np.zeros(4, dtype=dtype)), WrongTypeError, r"pcm_to_float: x must be", "int16")


# ------------------------------------------------------------------------- 3. complex values
COMPLEX = {
    "dsp.stft": (lambda: dsp.stft(Y_COMPLEX, n_fft=512), "y"),
    "dsp.stft(window)": (lambda: dsp.stft(Y, n_fft=512, window=np.hanning(512) + 1j), "window"),
    "dsp.mel_spectrogram(S)": (lambda: dsp.mel_spectrogram(S=S_POWER + 1j, sr=SR), "S"),
    "dsp.mfcc(S)": (lambda: dsp.mfcc(S=S_POWER[:40] + 1j), "S"),
    "dsp.hz_to_mel": (lambda: dsp.hz_to_mel(np.array([440.0 + 1j])), "frequencies"),
    "dsp.db_to_power": (lambda: dsp.db_to_power(np.array([1.0 + 1j])), "S_db"),
    "dsp.levinson_durbin": (lambda: dsp.levinson_durbin(np.ones(10) + 1j, 4), "r"),
    "dsp.dct_type2": (lambda: dsp.dct_type2(Y_COMPLEX[:64]), "x"),
    "dsp.alias_frequency": (lambda: dsp.alias_frequency(100.0 + 1j, SR), "freq"),
    "dsp.dynamic_sampling_rate": (lambda: dsp.dynamic_sampling_rate(np.array([0.1 + 1j]), 10.0, 1.0), "fvr"),
    "features.Spectrogram": (lambda: features.Spectrogram(n_fft=512)(torch.tensor(Y_COMPLEX)), "x"),
    "features.Spectrogram(window)": (lambda: features.Spectrogram(n_fft=8, window=np.ones(8) + 1j), "window"),
    "features.batch_power_to_db": (lambda: features.batch_power_to_db(torch.ones(1, 4, dtype=torch.complex64)),
                                   "S"),
    "signals.add_noise": (lambda: signals.add_noise(Y_COMPLEX, 10.0), "y"),
    "physio.zscore": (lambda: physio.zscore(Y_COMPLEX), "x"),
    "physio.zscore_per_group": (lambda: physio.zscore_per_group(np.ones((4, 2)) + 1j, [0, 0, 1, 1]), "X"),
    "physio.gaussian_entropy": (lambda: physio.gaussian_entropy(1.0 + 1j), "variance"),
    "physio.hrv": (lambda: physio.hrv(np.array([0.8, 0.9, 0.85]) + 1j), "rr_intervals_s"),
    "physio.bandpass": (lambda: physio.bandpass(Y_COMPLEX, 128.0, 4.0, 45.0), "x"),
    "inversion.griffin_lim": (lambda: inversion.griffin_lim(np.sqrt(S_POWER) + 1j, n_iter=1), "magnitude"),
    "inversion.mel_to_linear": (lambda: inversion.mel_to_linear(S_POWER[:40] + 1j, sr=SR, n_fft=512), "mel_power"),
    "chords.notes_from_intervals": (lambda: chords.notes_from_intervals(["C4", "E4"], [1 + 1j, 1.0]), "intervals"),
    "chords.segment_chords": (lambda: chords.segment_chords(np.array([[0.0, 1.0, 60 + 1j]]), 120.0), "notes"),
    "clip_features": (lambda: clip_features.clip_features(Y_COMPLEX, SR), "y"),
}


@pytest.mark.parametrize("case", sorted(COMPLEX))
def test_complex_input_is_refused_naming_the_argument(case):
    call, name = COMPLEX[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # a silent .real would fail here
        check(call, WrongTypeError, rf"(^|\W){name}(\W|$)", "real")


# ------------------------------------------------------------------------- 4. channels-last stereo
CHANNELS_LAST = {
    "dsp.stft": (lambda: dsp.stft(STEREO, n_fft=512), "y"),
    "dsp.mel_spectrogram": (lambda: dsp.mel_spectrogram(y=STEREO, sr=SR, n_fft=512), "y"),
    "dsp.butter_bandpass": (lambda: dsp.butter_bandpass(STEREO, SR, 100.0, 1000.0), "y"),
    "dsp.frame_signal": (lambda: dsp.frame_signal(STEREO, 256, 128), "y"),
    "features.Spectrogram": (lambda: features.Spectrogram(n_fft=512)(torch.tensor(STEREO)), "x"),
    "features.MelSpectrogram": (lambda: features.MelSpectrogram(sr=SR, n_fft=512)(torch.tensor(STEREO)), "x"),
    "features.MFCC(numpy)": (lambda: features.MFCC(sr=SR, n_fft=512, n_mels=40)(STEREO.astype(np.float32)), "x"),
    "signals.fade": (lambda: signals.fade(STEREO, SR), "y"),
    "physio.bandpass": (lambda: physio.bandpass(STEREO, 128.0, 4.0, 45.0), "x"),
    "physio.welch_psd": (lambda: physio.welch_psd(STEREO, 128.0), "x"),
    "physio.preprocess_eeg": (lambda: physio.preprocess_eeg(np.tile(Y[:2048, None], (1, 4)), 128.0), "eeg"),
    "physio.sliding_windows": (lambda: physio.sliding_windows(STEREO, 128.0, 1.0, 0.5), "x"),
    "clip_features": (lambda: clip_features.clip_features(STEREO, SR), "y"),
    "functionals.course_llds": (lambda: functionals.course_llds(STEREO, SR), "y"),
    "windows.window_features": (lambda: windows.window_features({"audio": STEREO}, {"audio": SR}),
                                r"window\['audio'\]"),
    "validation.check_channels_last": (lambda: check_channels_last(torch.zeros(44100, 2), "x"), "x"),
}


@pytest.mark.parametrize("case", sorted(CHANNELS_LAST))
def test_channels_last_stereo_is_refused_with_the_layout_hint(case):
    call, name = CHANNELS_LAST[case]
    check(call, WrongShapeError, rf"(^|\W){name}(\W|$)", "channels-last", r"x\.T", r"x\.mean\(axis=1\)")


def test_time_last_inputs_are_still_accepted():
    assert physio.bandpass(STEREO.T, 128.0, 4.0, 45.0).shape == STEREO.T.shape   # (channels, samples)
    out = features.Spectrogram(n_fft=8, hop_length=2)(torch.zeros(4, 8))           # a small batch
    assert out.shape == (4, 5, 5)
    assert not looks_channels_last((2, SR)) and not looks_channels_last((10, 4))
    assert looks_channels_last((44100, 2)) and looks_channels_last((SR, 8)) and not looks_channels_last((SR, 9))


# ------------------------------------------------------------------------- 5. orders and integer settings
BAD_INTEGERS = {
    "dsp.butter_bandpass order=0": (lambda: dsp.butter_bandpass(Y, SR, 100.0, 1000.0, order=0), OutOfRangeError,
                                    "order"),
    "dsp.butter_bandpass order=2.5": (lambda: dsp.butter_bandpass(Y, SR, 100.0, 1000.0, order=2.5), WrongTypeError,
                                      "order"),
    "dsp.butter_bandpass_sos order=0": (lambda: dsp.butter_bandpass_sos(SR, 100.0, 1000.0, order=0),
                                        OutOfRangeError, "order"),
    "dsp.lpc order=1.5": (lambda: dsp.lpc(Y, 1.5), WrongTypeError, "order"),
    "dsp.lp_residual order=0": (lambda: dsp.lp_residual(Y, order=0), OutOfRangeError, "order"),
    "dsp.gammatone_impulse_response order=0.5": (lambda: dsp.gammatone_impulse_response(1000.0, SR, order=0.5),
                                                 WrongTypeError, "order"),
    "physio.bandpass order=0": (lambda: physio.bandpass(Y, 128.0, 4.0, 45.0, order=0), OutOfRangeError, "order"),
    "physio.lowpass order=1.5": (lambda: physio.lowpass(Y, 128.0, 10.0, order=1.5), WrongTypeError, "order"),
    "physio.highpass order=0": (lambda: physio.highpass(Y, 128.0, 1.0, order=0), OutOfRangeError, "order"),
    "physio.bandpass_sos order=2.5": (lambda: physio.bandpass_sos(128.0, 4.0, 45.0, order=2.5), WrongTypeError,
                                      "order"),
    "physio.differential_entropy order=0": (lambda: physio.differential_entropy(Y, 128.0, order=0),
                                            OutOfRangeError, "order"),
    "dsp.hz_to_octs bins_per_octave=0": (lambda: dsp.hz_to_octs(440.0, bins_per_octave=0), OutOfRangeError,
                                         "bins_per_octave"),
    "dsp.frame_times offset=0.5": (lambda: dsp.frame_times(4, SR, 512, offset=0.5), WrongTypeError, "offset"),
    "dsp.frequency_variation_rate axis=0.5": (lambda: dsp.frequency_variation_rate(S_POWER, axis=0.5),
                                              WrongTypeError, "axis"),
    "physio.zscore axis=1.5": (lambda: physio.zscore(Y, axis=1.5), WrongTypeError, "axis"),
    "signals.add_noise lead_in=1.5": (lambda: signals.add_noise(Y, 10.0, lead_in=1.5), WrongTypeError, "lead_in"),
    "signals.harmonic_tone n_harmonics=2.5": (lambda: signals.harmonic_tone(100.0, n_harmonics=2.5), WrongTypeError,
                                              "n_harmonics"),
    "clip_features n_fft=1000.5": (lambda: clip_features.clip_features(Y, SR, n_fft=1000.5), WrongTypeError,
                                   "n_fft"),
    "clip_features n_mels=0": (lambda: clip_features.clip_features(Y, SR, n_mels=0), OutOfRangeError, "n_mels"),
    "windows.window_features n_mels=2.5": (lambda: windows.window_features({"audio": Y}, {"audio": SR}, n_mels=2.5),
                                           WrongTypeError, "n_mels"),
    "inversion.griffin_lim length=10.5": (lambda: inversion.griffin_lim(np.sqrt(S_POWER), n_iter=1, length=10.5),
                                          WrongTypeError, "length"),
    "features.Spectrogram n_fft=0": (lambda: features.Spectrogram(n_fft=0), OutOfRangeError, "n_fft"),
    "features.MelSpectrogram n_mels=1.5": (lambda: features.MelSpectrogram(sr=SR, n_mels=1.5), WrongTypeError,
                                           "n_mels"),
}


@pytest.mark.parametrize("case", sorted(BAD_INTEGERS))
def test_zero_or_fractional_integer_settings_raise_naming_the_argument(case):
    call, error, name = BAD_INTEGERS[case]
    function = case.split()[0].split(".")[-1]
    check(call, error, rf"^{function}: {name} must be an integer")
