"""Tests for mer_lessons.dsp: parity with librosa/NumPy/SciPy, analytic oracles, bad inputs.

Relative error is ``max|a - b| / max|b|`` throughout. Signals are short (1 s or less).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import scipy.signal

import librosa

from mer_lessons import dsp, validation


def rel_err(a, b) -> float:
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ---------------------------------------------------------------------------------------
# test signals (deterministic, <= 1 s)
# ---------------------------------------------------------------------------------------


def _chord(sr, seconds=1.0):
    t = np.arange(int(sr * seconds)) / sr
    return sum(0.3 * np.sin(2 * np.pi * f * t + i) for i, f in enumerate([261.63, 329.63, 392.0, 440.0]))


def _chirp(sr, seconds=1.0):
    t = np.arange(int(sr * seconds)) / sr
    f0, f1 = 100.0, 0.4 * sr
    return 0.8 * np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / seconds * t**2))


def _noise(sr, seconds=1.0):
    return 0.3 * np.random.default_rng(1234).standard_normal(int(sr * seconds))


def _melody(sr, seconds=1.0):
    """Five notes (MIDI 60, 64, 67, 72, 69) with 4 harmonics and a decaying envelope."""
    n = int(sr * seconds)
    y = np.zeros(n)
    notes = [60, 64, 67, 72, 69]
    seg = n // len(notes)
    t = np.arange(seg) / sr
    env = np.exp(-4 * t) * np.minimum(1.0, t / 0.01)
    for i, midi in enumerate(notes):
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        note = sum((0.6 / h) * np.sin(2 * np.pi * h * f0 * t) for h in range(1, 5))
        y[i * seg:(i + 1) * seg] = env * note
    return y


SIGNALS = {"chord": _chord, "chirp": _chirp, "noise": _noise, "melody": _melody}


# ---------------------------------------------------------------------------------------
# Fourier basics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 16, 1024, 4096, 3, 7, 100, 1000, 1023, 4097])
def test_fft_matches_numpy(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    ref = np.fft.fft(x)
    assert rel_err(dsp.fft(x), ref) < 1e-9
    assert rel_err(dsp.ifft(ref), x) < 1e-9
    xr = rng.standard_normal(n)
    assert rel_err(dsp.rfft(xr), np.fft.rfft(xr)) < 1e-9


def test_fft_batched_last_axis():
    x = np.random.default_rng(0).standard_normal((3, 5, 96))
    assert rel_err(dsp.fft(x), np.fft.fft(x, axis=-1)) < 1e-9
    x = np.random.default_rng(0).standard_normal((4, 64))
    assert rel_err(dsp.fft(x), np.fft.fft(x, axis=-1)) < 1e-9


@pytest.mark.parametrize("n", [1, 8, 100, 257])
def test_dft_matches_numpy(n):
    x = np.random.default_rng(n).standard_normal(n)
    assert rel_err(dsp.dft(x), np.fft.fft(x)) < 1e-9
    W = dsp.dft_matrix(n)
    assert W.shape == (n, n)
    assert np.allclose(W @ W.conj().T, n * np.eye(n))  # orthogonal up to N


def test_parseval():
    x = np.random.default_rng(3).standard_normal(1000)
    X = dsp.fft(x)
    assert np.isclose(np.sum(x**2), np.sum(np.abs(X) ** 2) / x.size, rtol=1e-12)


def test_sine_spectrum_peaks_at_its_bin():
    sr, n, k0, amp = 8000, 1024, 37, 0.7
    x = amp * np.sin(2 * np.pi * k0 * np.arange(n) / n)
    X = np.abs(dsp.rfft(x))
    assert int(np.argmax(X)) == k0
    assert np.isclose(X[k0], amp * n / 2)
    assert np.isclose(dsp.fft_frequencies(sr, n)[k0], k0 * sr / n)
    # every other bin is (numerically) zero: an integer number of periods has no leakage
    assert np.max(np.delete(X, k0)) < 1e-9 * X[k0]


@pytest.mark.parametrize("name,scipy_name", [("hann", "hann"), ("hamming", "hamming"),
                                             ("blackman", "blackman"), ("rectangular", "boxcar")])
@pytest.mark.parametrize("n", [1, 16, 401])
def test_windows_match_scipy(name, scipy_name, n):
    assert np.allclose(dsp.get_window(name, n), scipy.signal.get_window(scipy_name, n), atol=1e-12)
    assert np.allclose(dsp.get_window(name, n, periodic=False),
                       scipy.signal.get_window(scipy_name, n, fftbins=False), atol=1e-12)


def test_frame_signal_columns():
    y = np.arange(10.0)
    frames = dsp.frame_signal(y, frame_length=4, hop_length=3)
    assert frames.shape == (4, 3)
    assert np.array_equal(frames[:, 1], [3, 4, 5, 6])
    assert np.array_equal(frames, librosa.util.frame(y, frame_length=4, hop_length=3))


# ---------------------------------------------------------------------------------------
# STFT / ISTFT parity
# ---------------------------------------------------------------------------------------

STFT_CASES = [
    dict(sr=22050, n_fft=2048, hop_length=512),
    dict(sr=16000, n_fft=512, hop_length=128),
    dict(sr=44100, n_fft=1024, hop_length=256, win_length=800, window="hamming"),
    dict(sr=22050, n_fft=1024, hop_length=256, center=False),
    dict(sr=16000, n_fft=512, hop_length=None, pad_mode="reflect", window="blackman"),
]


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("case", STFT_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_stft_matches_librosa(signal, case):
    kw = dict(case)
    sr = kw.pop("sr")
    y = SIGNALS[signal](sr)
    ours = dsp.stft(y, **kw)
    ref = librosa.stft(y, **kw)
    assert rel_err(ours, ref) <= 1e-4
    assert rel_err(ours, ref) <= 1e-10  # in float64 it is in fact exact


def test_stft_own_fft_and_float32():
    y = _melody(16000)
    ref = librosa.stft(y, n_fft=1000, hop_length=250)  # not a power of two: Bluestein
    assert rel_err(dsp.stft(y, n_fft=1000, hop_length=250, use_own_fft=True), ref) < 1e-10
    y32 = y.astype(np.float32)
    assert rel_err(dsp.stft(y32, n_fft=512, hop_length=128), librosa.stft(y32, n_fft=512, hop_length=128)) <= 1e-4


def test_power_spectrogram_matches_librosa():
    y = _chirp(22050)
    for power in (1.0, 2.0):
        ours = dsp.power_spectrogram(y, n_fft=1024, hop_length=256, power=power)
        ref = np.abs(librosa.stft(y, n_fft=1024, hop_length=256)) ** power
        assert rel_err(ours, ref) < 1e-10


def test_stft_tone_peaks_at_bin():
    sr, n_fft, k0 = 16000, 512, 40
    y = np.sin(2 * np.pi * (k0 * sr / n_fft) * np.arange(sr // 2) / sr)
    D = np.abs(dsp.stft(y, n_fft=n_fft, hop_length=128))
    assert np.all(np.argmax(D[:, 4:-4], axis=0) == k0)


def test_stft_is_fast():
    import time

    y = np.random.default_rng(0).standard_normal(30 * 22050)
    start = time.perf_counter()
    dsp.stft(y)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("case", [
    dict(n_fft=2048, hop_length=512),
    dict(n_fft=512, hop_length=128, win_length=400, window="hamming"),
    dict(n_fft=1024, hop_length=256, center=False),
])
@pytest.mark.parametrize("length", [None, 15000, 16000, 17000])
def test_istft_matches_librosa_and_round_trips(case, length):
    y = _chord(16000)
    D = librosa.stft(y, **case)
    ours = dsp.istft(D, length=length, **case)
    ref = librosa.istft(D, length=length, **case)
    assert ours.shape == ref.shape
    assert rel_err(ours, ref) < 1e-8
    if case.get("center", True) and length is not None and length <= y.size:
        assert np.allclose(ours, y[:length], atol=1e-8)


def test_istft_round_trip():
    y = _noise(22050)
    back = dsp.istft(dsp.stft(y, n_fft=1024, hop_length=256), hop_length=256, length=y.size)
    assert np.allclose(back, y, atol=1e-10)


def test_power_and_amplitude_to_db_match_librosa():
    S = np.abs(librosa.stft(_melody(16000), n_fft=512)) ** 2
    for kw in [dict(), dict(ref=np.max), dict(ref=2.0, amin=1e-6, top_db=None), dict(top_db=40.0)]:
        assert np.allclose(dsp.power_to_db(S, **kw), librosa.power_to_db(S, **kw), atol=1e-9)
        A = np.sqrt(S)
        assert np.allclose(dsp.amplitude_to_db(A, **kw), librosa.amplitude_to_db(A, **kw), atol=1e-9)
    assert np.allclose(dsp.db_to_power(dsp.power_to_db(S, top_db=None)), np.maximum(S, 1e-10))
    assert np.allclose(dsp.db_to_amplitude(20.0), 10.0)


# ---------------------------------------------------------------------------------------
# mel scale, mel filterbank, mel spectrogram, DCT, MFCC
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("htk", [False, True])
def test_hz_mel_conversions(htk):
    f = np.array([0.0, 20.0, 440.0, 999.9, 1000.0, 1000.1, 4000.0, 11025.0, 22050.0])
    assert np.allclose(dsp.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk), rtol=1e-12)
    m = dsp.hz_to_mel(f, htk=htk)
    assert np.allclose(dsp.mel_to_hz(m, htk=htk), f, rtol=1e-12, atol=1e-9)
    assert np.allclose(dsp.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk), rtol=1e-12)
    assert isinstance(dsp.hz_to_mel(1000.0, htk=htk), float)
    assert np.isclose(dsp.mel_to_hz(dsp.hz_to_mel(3000.0, htk=htk), htk=htk), 3000.0)
    assert np.allclose(dsp.mel_frequencies(40, 30.0, 8000.0, htk=htk),
                       librosa.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk))


def test_hao_eq12_mel():
    f = np.array([0.0, 500.0, 1000.0, 3000.0, 8000.0])
    m = dsp.hz_to_mel_hao_eq12(f)
    assert np.allclose(m, 1000.0 / np.log10(2) * np.log10(1 + f / 1000.0))
    assert np.isclose(dsp.hz_to_mel_hao_eq12(1000.0), 1000.0)
    assert np.allclose(dsp.mel_to_hz_hao_eq12(m), f)
    # differs from the HTK form away from 0 and 1 kHz
    assert abs(dsp.hz_to_mel_hao_eq12(4000.0) - dsp.hz_to_mel(4000.0, htk=True)) > 100


MEL_CASES = [
    dict(sr=22050, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None, htk=False),
    dict(sr=16000, n_fft=512, hop_length=128, n_mels=40, fmin=30.0, fmax=8000.0, htk=True),
    dict(sr=44100, n_fft=1024, hop_length=256, n_mels=64, fmin=0.0, fmax=8000.0, htk=False, center=False),
    dict(sr=16000, n_fft=1024, hop_length=256, n_mels=64, fmin=30.0, fmax=None, htk=True, center=False),
    dict(sr=22050, n_fft=1024, hop_length=512, n_mels=40, fmin=30.0, fmax=8000.0, htk=False,
         norm=None, power=1.0, win_length=700),
]
MEL_IDS = [f"sr{c['sr']}-nfft{c['n_fft']}-mels{c['n_mels']}-fmin{c['fmin']}-fmax{c['fmax']}-htk{c['htk']}"
           f"-c{c.get('center', True)}" for c in MEL_CASES]


@pytest.mark.parametrize("case", MEL_CASES, ids=MEL_IDS)
def test_mel_filterbank_matches_librosa(case):
    kw = {k: case[k] for k in ("sr", "n_fft", "n_mels", "fmin", "fmax", "htk")}
    norm = case.get("norm", "slaney")
    ours = dsp.mel_filterbank(norm=norm, **kw)
    ref = librosa.filters.mel(norm=norm, dtype=np.float64, **kw)
    assert rel_err(ours, ref) < 1e-10


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("case", MEL_CASES, ids=MEL_IDS)
def test_mel_spectrogram_matches_librosa(signal, case):
    y = SIGNALS[signal](case["sr"])
    ours = dsp.mel_spectrogram(y=y, **case)
    ref = librosa.feature.melspectrogram(y=y, **case)
    assert rel_err(ours, ref) <= 1e-4


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("case", MEL_CASES[:4], ids=MEL_IDS[:4])
@pytest.mark.parametrize("n_mfcc,lifter", [(20, 0), (13, 22)])
def test_mfcc_matches_librosa(signal, case, n_mfcc, lifter):
    y = SIGNALS[signal](case["sr"])
    ours = dsp.mfcc(y=y, n_mfcc=n_mfcc, lifter=lifter, **case)
    ref = librosa.feature.mfcc(y=y, n_mfcc=n_mfcc, lifter=lifter, **case)
    assert rel_err(ours, ref) <= 1e-3


def test_mfcc_from_log_mel_input():
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=_chord(16000), sr=16000, n_mels=40))
    assert rel_err(dsp.mfcc(S=S, n_mfcc=13), librosa.feature.mfcc(S=S, n_mfcc=13)) <= 1e-9


def test_mel_spectrogram_from_power_spectrogram():
    S = np.abs(librosa.stft(_melody(22050), n_fft=1024)) ** 2
    assert rel_err(dsp.mel_spectrogram(S=S, sr=22050, n_mels=64),
                   librosa.feature.melspectrogram(S=S, sr=22050, n_mels=64)) <= 1e-4


@pytest.mark.parametrize("n", [None, 30, 50])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_dct_matches_scipy(n, axis, norm):
    x = np.random.default_rng(7).standard_normal((40, 40))
    assert np.allclose(dsp.dct_type2(x, n=n, axis=axis, norm=norm),
                       scipy.fft.dct(x, type=2, n=n, axis=axis, norm=norm), atol=1e-10)


def test_dct_ortho_matrix_is_orthonormal():
    C = dsp.dct_matrix(32, 32)
    assert np.allclose(C @ C.T, np.eye(32), atol=1e-12)


@pytest.mark.parametrize("n", [None, 13, 50])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_idct_matches_scipy_and_inverts_dct(n, axis, norm):
    x = np.random.default_rng(8).standard_normal((40, 40))
    assert np.allclose(dsp.idct_type2(x, n=n, axis=axis, norm=norm),
                       scipy.fft.idct(x, type=2, n=n, axis=axis, norm=norm), atol=1e-10)
    assert np.allclose(dsp.idct_type2(dsp.dct_type2(x, axis=axis, norm=norm), axis=axis, norm=norm), x)


def test_mfcc_truncated_inverse_is_a_smoothed_log_mel():
    S = dsp.power_to_db(dsp.mel_spectrogram(y=_melody(16000), sr=16000, n_fft=512, n_mels=40))
    c = dsp.mfcc(S=S, n_mfcc=40)
    assert np.allclose(dsp.idct_type2(c, axis=0), S)  # all coefficients: exact
    errors = [np.mean((dsp.idct_type2(c[:k], n=40, axis=0) - S) ** 2) for k in (2, 5, 13, 30)]
    assert all(a > b for a, b in zip(errors, errors[1:]))  # more coefficients, closer
    with pytest.raises(ValueError, match="norm"):
        dsp.idct_type2(c, norm="forward")


def test_hao_eq13_dct_differs_from_ortho_only_in_c0():
    H, C = dsp.dct_matrix_hao_eq13(13, 40), dsp.dct_matrix(13, 40)
    assert H.shape == (13, 40)
    assert np.allclose(H[1:], C[1:])
    assert np.allclose(H[0], np.sqrt(2) * C[0])


def test_mel_triangles():
    sr, n_fft, n_mels = 16000, 4096, 40
    freqs = dsp.fft_frequencies(sr, n_fft)
    edges = dsp.mel_frequencies(n_mels + 2, 0.0, sr / 2)
    peak1 = dsp.mel_filterbank(sr, n_fft, n_mels=n_mels, norm=None)
    area1 = dsp.mel_filterbank(sr, n_fft, n_mels=n_mels, norm="slaney")
    df = sr / n_fft
    assert np.all(peak1 >= 0) and np.all(peak1 <= 1 + 1e-12)
    for i in range(n_mels):
        row = peak1[i]
        lo, centre, hi = edges[i], edges[i + 1], edges[i + 2]
        # support strictly inside (lo, hi)
        assert np.all(row[(freqs <= lo) | (freqs >= hi)] == 0)
        # peak at the bin nearest the centre frequency
        assert abs(freqs[np.argmax(row)] - centre) <= df
        # triangle: rising then falling, linear on each side
        k = int(np.argmax(row))
        assert np.all(np.diff(row[: k + 1]) >= -1e-12) and np.all(np.diff(row[k:]) <= 1e-12)
        inside = (freqs > lo) & (freqs <= centre)
        assert np.allclose(row[inside], (freqs[inside] - lo) / (centre - lo))
        # Slaney normalisation: area (in Hz) of each triangle is 1
        if hi - lo > 20 * df:
            assert np.isclose(area1[i].sum() * df, 1.0, rtol=0.02)
        assert np.allclose(area1[i], row * 2 / (hi - lo))


# ---------------------------------------------------------------------------------------
# chroma and tuning
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [
    dict(sr=22050, n_fft=2048),
    dict(sr=16000, n_fft=512, tuning=0.3),
    dict(sr=44100, n_fft=1024, n_chroma=24, tuning=-0.2, base_c=False),
    dict(sr=22050, n_fft=4096, octwidth=None, norm=None, ctroct=4.0),
])
def test_chroma_filterbank_matches_librosa(kw):
    assert rel_err(dsp.chroma_filterbank(**kw), librosa.filters.chroma(dtype=np.float64, **kw)) < 1e-10


CHROMA_CASES = [
    dict(sr=22050, n_fft=2048, hop_length=512, tuning=0.0),
    dict(sr=16000, n_fft=512, hop_length=128, tuning=0.0),
    dict(sr=44100, n_fft=1024, hop_length=256, tuning=None, center=False),
    dict(sr=22050, n_fft=2048, hop_length=512, tuning=None),
    dict(sr=16000, n_fft=1024, hop_length=256, tuning=0.25, n_chroma=24, win_length=800),
]


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("case", CHROMA_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_chroma_stft_matches_librosa(signal, case):
    y = SIGNALS[signal](case["sr"])
    ours = dsp.chroma_stft(y=y, **case)
    ref = librosa.feature.chroma_stft(y=y, **case)
    assert rel_err(ours, ref) <= 1e-3


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("sr,n_fft", [(22050, 2048), (16000, 512)])
def test_estimate_tuning_matches_librosa(signal, sr, n_fft):
    y = SIGNALS[signal](sr)
    assert dsp.estimate_tuning(y=y, sr=sr, n_fft=n_fft) == pytest.approx(
        librosa.estimate_tuning(y=y, sr=sr, n_fft=n_fft), abs=1e-9)


def test_estimate_tuning_detects_detuning():
    sr = 22050
    t = np.arange(sr) / sr
    cents = 30  # +0.3 semitone
    y = sum(np.sin(2 * np.pi * f * 2 ** (cents / 1200) * t) for f in [220.0, 329.63, 440.0])
    assert dsp.estimate_tuning(y=y, sr=sr) == pytest.approx(0.3, abs=0.03)


def test_piptrack_matches_librosa():
    y = _melody(22050)
    p, m = dsp.piptrack(y=y, sr=22050)
    pr, mr = librosa.piptrack(y=y, sr=22050)
    assert np.allclose(p, pr) and np.allclose(m, mr)


@pytest.mark.parametrize("freq,name", [(440.0, "A"), (261.63, "C"), (369.99, "F#"), (493.88, "B")])
@pytest.mark.parametrize("tuning", [0.0, None])
def test_pure_tone_chroma_peaks_at_pitch_class(freq, name, tuning):
    sr = 22050
    y = np.sin(2 * np.pi * freq * np.arange(sr) / sr)
    C = dsp.chroma_stft(y=y, sr=sr, tuning=tuning)
    assert C.shape[0] == 12
    winners = np.argmax(C[:, 2:-2], axis=0)
    assert np.all(np.array(dsp.PITCH_CLASSES)[winners] == name)


# ---------------------------------------------------------------------------------------
# wideband / narrowband, gammatone
# ---------------------------------------------------------------------------------------


def test_wideband_vs_narrowband():
    sr = 16000
    y = _melody(sr)
    wide = dsp.wideband_spectrogram(y, sr)
    narrow = dsp.narrowband_spectrogram(y, sr)
    assert wide.win_length == 48 and narrow.win_length == 400  # 3 ms and 25 ms
    assert wide.hop_length < narrow.hop_length
    assert wide.S.shape[1] > narrow.S.shape[1]  # more frames: finer time resolution
    assert wide.S.shape[0] < narrow.S.shape[0]  # fewer bins: coarser frequency resolution
    assert wide.S.shape == (wide.freqs.size, wide.times.size)
    assert np.isclose(narrow.freqs[1] - narrow.freqs[0], sr / narrow.n_fft)
    pair = dsp.wide_and_narrowband_spectrograms(y, sr)
    assert pair[0].S.shape == pair[1].S.shape
    S, freqs, times = wide  # unpacks like a (S, freqs, times) tuple
    assert S is wide.S and np.isclose(times[1] - times[0], wide.hop_length / sr)


def test_wideband_resolves_clicks_narrowband_does_not():
    sr = 16000
    y = np.zeros(sr // 4)
    y[2000] = y[2000 + 80] = 1.0  # two clicks 5 ms apart
    common = dict(hop_ms=0.5, n_fft=512)
    wide = dsp.wideband_spectrogram(y, sr, **common).S.sum(axis=0)
    narrow = dsp.narrowband_spectrogram(y, sr, **common).S.sum(axis=0)

    def dip_db(energy):
        seg = energy[(2000 // 8):(2080 // 8) + 1]  # frames between the two clicks (hop = 8)
        return 10 * np.log10(max(seg[0], seg[-1]) / (seg.min() + 1e-30))

    assert dip_db(wide) > 10  # two separate events
    assert dip_db(narrow) < 3  # smeared into one


def test_erb_scale():
    assert np.isclose(dsp.erb_bandwidth(1000.0), 24.7 * (4.37 + 1))
    f = np.array([50.0, 500.0, 5000.0])
    assert np.allclose(dsp.erb_rate_to_hz(dsp.hz_to_erb_rate(f)), f)
    cf = dsp.gammatone_center_frequencies(32, 50.0, 8000.0)
    assert np.isclose(cf[0], 50.0) and np.isclose(cf[-1], 8000.0)
    steps = np.diff(dsp.hz_to_erb_rate(cf))
    assert np.allclose(steps, steps[0])  # equally spaced in ERB-rate
    # neighbouring filters are roughly one ERB apart or less in Hz (32 bands over ~33 ERBs)
    assert np.all(np.diff(cf) <= 1.1 * dsp.erb_bandwidth(cf[1:]))


@pytest.mark.parametrize("method", ["fft", "fir"])
@pytest.mark.parametrize("freq", [250.0, 1000.0, 3000.0])
def test_gammatone_tone_energy_in_nearest_band(method, freq):
    sr = 16000
    y = np.sin(2 * np.pi * freq * np.arange(sr // 2) / sr)
    E = dsp.gammatone_spectrogram(y, sr, n_bands=32, method=method)
    cf = dsp.gammatone_center_frequencies(32, 50.0, sr / 2)
    assert E.shape == (32, 1 + y.size // 160)
    nearest = np.argmin(np.abs(dsp.hz_to_erb_rate(cf) - dsp.hz_to_erb_rate(freq)))
    assert int(np.argmax(E.sum(axis=1))) == nearest


def test_gammatone_filterbank_matches_impulse_response():
    sr, n_fft = 16000, 16384
    W = dsp.gammatone_filterbank(sr, n_fft, n_bands=16, fmin=200.0, fmax=6000.0)
    cf = dsp.gammatone_center_frequencies(16, 200.0, 6000.0)
    freqs = dsp.fft_frequencies(sr, n_fft)
    assert np.all((W >= 0) & (W <= 1))
    for i in (3, 8, 13):
        g = dsp.gammatone_impulse_response(cf[i], sr)
        H = np.abs(np.fft.rfft(g, n_fft))
        k = int(np.argmin(np.abs(freqs - cf[i])))
        assert H[k] == pytest.approx(1.0, abs=0.02)  # unit gain at the centre
        near = np.abs(freqs - cf[i]) < 2 * dsp.erb_bandwidth(cf[i])
        assert np.max(np.abs(H[near] - W[i, near])) < 0.03


# ---------------------------------------------------------------------------------------
# linear prediction, residual phase, MF_RP
# ---------------------------------------------------------------------------------------


def _ar2(n=20000, seed=5):
    a = np.array([1.0, -1.3, 0.8])
    e = np.random.default_rng(seed).standard_normal(n)
    return a, scipy.signal.lfilter([1.0], a, e), e


def test_lpc_recovers_ar2():
    a, y, _ = _ar2()
    est = dsp.lpc(y, order=2)
    assert est[0] == 1.0
    assert np.allclose(est, a, atol=0.02)
    # librosa uses Burg's method: not identical, but close on a long stationary signal
    assert np.allclose(est, librosa.lpc(y, order=2), atol=0.01)


def test_lpc_solves_normal_equations():
    y = _melody(8000)[:4000] * dsp.get_window("hamming", 4000, periodic=False)
    r = dsp.autocorrelation(y, 12)
    assert np.allclose(r, [np.dot(y[: y.size - k], y[k:]) for k in range(13)])
    a = dsp.lpc(y, order=12)
    assert np.allclose(a[1:], scipy.linalg.solve_toeplitz(r[:12], -r[1:13]), rtol=1e-7, atol=1e-9)


def test_lpc_envelope_matches_ar_spectrum_and_energy():
    a, y, _ = _ar2()
    env = dsp.lpc_envelope(y, order=2, n_fft=1024)
    assert env.shape == (513,)
    true = np.sqrt(y.size) / np.abs(np.fft.rfft(a, 1024))  # unit-variance white excitation
    assert np.max(np.abs(env / true - 1)) < 0.05
    frame = _melody(16000)[2000:2400] * dsp.get_window("hamming", 400, periodic=False)
    env = dsp.lpc_envelope(frame, order=16, n_fft=8192)
    two_sided = np.concatenate([env, env[1:-1][::-1]])
    assert np.mean(two_sided**2) == pytest.approx(np.sum(frame**2), rel=1e-6)  # matches r[0]
    assert dsp.lpc_envelope(frame, order=16).shape == (201,)


def test_levinson_batched_and_zero_signal():
    frames = np.random.default_rng(0).standard_normal((5, 200))
    r = dsp.autocorrelation(frames, 6)
    a, err, k = dsp.levinson_durbin(r, 6)
    for i in range(5):
        assert np.allclose(a[i], dsp.lpc(frames[i], 6))
    assert np.all(np.abs(k) < 1) and np.all(err > 0)
    assert np.array_equal(dsp.lpc(np.zeros(100), 4), [1, 0, 0, 0, 0])


def test_lp_residual_whitens_ar_process():
    a, y, e = _ar2(16000)
    res = dsp.lp_residual(y, order=2, frame_length=400, hop_length=160)
    assert res.shape == y.shape
    assert np.var(res[500:]) == pytest.approx(np.var(e[500:]), rel=0.1)
    assert np.var(res) < 0.25 * np.var(y)


def test_analytic_signal_matches_scipy():
    for n in (99, 100):
        x = np.random.default_rng(n).standard_normal(n)
        assert np.allclose(dsp.analytic_signal(x), scipy.signal.hilbert(x), atol=1e-12)


def test_residual_phase_bounded_and_is_cosine_of_phase():
    _, y, _ = _ar2(8000)
    rp = dsp.residual_phase(dsp.lp_residual(y, order=16))
    assert np.all(rp >= -1) and np.all(rp <= 1)
    n = 1000
    phase = 2 * np.pi * 25 * np.arange(n) / n + 0.3
    x = 3.0 * np.cos(phase)  # constant envelope 3: residual phase = cos(phase)
    assert np.allclose(dsp.residual_phase(x), np.cos(phase), atol=1e-9)
    assert np.allclose(dsp.hilbert_envelope(x), 3.0, atol=1e-9)


def test_mf_rp_shape_and_blocks():
    sr = 16000
    y = _melody(sr) + 0.01 * _noise(sr)
    F = dsp.mf_rp(y, sr=sr, n_mfcc=13, rp_length=20, weight=0.4, n_fft=512, hop_length=160)
    M = dsp.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=512, hop_length=160)
    assert F.shape == (13 + 20, M.shape[1])
    assert np.allclose(F[:13], 0.6 * M)
    assert np.all(np.abs(F[13:]) <= 0.4 + 1e-12)
    assert np.any(F[13:] != 0)


# ---------------------------------------------------------------------------------------
# cleaning: spectral subtraction, band-pass
# ---------------------------------------------------------------------------------------


def _snr_db(clean, estimate):
    return 10 * np.log10(np.sum(clean**2) / np.sum((estimate - clean) ** 2))


def test_snr_db():
    rng = np.random.default_rng(3)
    clean = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    noise = rng.standard_normal(16000)
    noise *= np.sqrt(np.mean(clean**2) / 10 ** (5 / 10) / np.mean(noise**2))
    assert dsp.snr_db(clean, clean + noise) == pytest.approx(5.0)
    assert dsp.snr_db(clean, clean + noise) == pytest.approx(_snr_db(clean, clean + noise))
    assert dsp.snr_db(clean, clean) == float("inf")
    with pytest.raises(ValueError, match="shape"):
        dsp.snr_db(clean, clean[:-1])
    with pytest.raises(ValueError, match="silent"):
        dsp.snr_db(np.zeros(10), np.ones(10))


def test_spectral_subtraction_improves_snr_with_noise_sample():
    sr = 16000
    rng = np.random.default_rng(11)
    clean = 0.5 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)
    noisy = clean + 0.2 * rng.standard_normal(sr)
    out = dsp.spectral_subtraction(noisy, sr, noise=0.2 * rng.standard_normal(sr // 2))
    assert out.shape == noisy.shape
    assert _snr_db(clean, out) > _snr_db(clean, noisy) + 5


def test_spectral_subtraction_improves_snr_with_leading_noise():
    sr = 16000
    rng = np.random.default_rng(12)
    clean = 0.5 * np.sin(2 * np.pi * 700 * np.arange(sr) / sr)
    clean[: int(0.3 * sr)] = 0.0  # the first 0.3 s is noise only
    noisy = clean + 0.1 * rng.standard_normal(sr)
    out = dsp.spectral_subtraction(noisy, sr, noise_seconds=0.25, over_subtraction=2.0,
                                   power=2.0, n_fft=1024)
    assert _snr_db(clean, out) > _snr_db(clean, noisy) + 5


def test_ideal_bandpass():
    freqs = np.linspace(-8000, 8000, 1001)
    H = dsp.ideal_bandpass_response(freqs, 300.0, 3000.0)
    inside = (np.abs(freqs) >= 300) & (np.abs(freqs) <= 3000)
    assert np.all(H[inside] == 1) and np.all(H[~inside] == 0)
    sr, n = 16000, 16000
    t = np.arange(n) / sr
    low, mid, high = (np.sin(2 * np.pi * f * t) for f in (100.0, 1000.0, 5000.0))
    out = dsp.ideal_bandpass(low + mid + high, sr, 300.0, 3000.0)
    assert np.allclose(out, mid, atol=1e-9)
    spectrum = np.abs(np.fft.rfft(dsp.ideal_bandpass(_noise(sr), sr, 300.0, 3000.0)))
    f = np.fft.rfftfreq(n, 1 / sr)
    assert np.max(spectrum[(f < 300) | (f > 3000)]) < 1e-9


def test_butterworth_response():
    sr, f_low, f_high = 44100, 100.0, 2000.0
    sos = dsp.butter_bandpass_sos(sr, f_low, f_high, order=4)
    _, h = scipy.signal.sosfreqz(sos, worN=[f_low, f_high, np.sqrt(f_low * f_high),
                                            f_low / 10, f_high * 10], fs=sr)
    db = 20 * np.log10(np.abs(h))
    assert db[0] == pytest.approx(-3.01, abs=0.05) and db[1] == pytest.approx(-3.01, abs=0.05)
    assert db[2] == pytest.approx(0.0, abs=0.1)
    assert db[3] < -60 and db[4] < -60

    t = np.arange(sr) / sr

    def gain_db(freq, **kw):
        x = np.sin(2 * np.pi * freq * t)
        out = dsp.butter_bandpass(x, sr, f_low, f_high, **kw)
        mid = slice(sr // 4, 3 * sr // 4)
        return 20 * np.log10(np.std(out[mid]) / np.std(x[mid]))

    assert gain_db(np.sqrt(f_low * f_high)) == pytest.approx(0.0, abs=0.1)
    assert gain_db(f_high) == pytest.approx(-6.02, abs=0.2)  # filtfilt: squared magnitude
    assert gain_db(f_high, zero_phase=False) == pytest.approx(-3.01, abs=0.2)
    assert gain_db(f_high * 10) < -100


# ---------------------------------------------------------------------------------------
# Hao et al.: FVR, spectral flux, dynamic sampling
# ---------------------------------------------------------------------------------------


def test_fvr_as_written():
    X = np.array([0.0, 1.0, 3.0, 2.0])
    assert dsp.frequency_variation_rate(X) == pytest.approx((1 + 2 + 1) / 3)
    S = np.stack([X, 2 * X], axis=1)
    assert np.allclose(dsp.frequency_variation_rate(S), [4 / 3, 8 / 3])


def test_fvr_tone_vs_noise_burst():
    sr = 16000
    t = np.arange(sr // 2) / sr
    tone = np.sqrt(2) * np.sin(2 * np.pi * 1000 * t)  # RMS 1
    noise = np.random.default_rng(2).standard_normal(t.size)  # RMS 1
    kw = dict(sr=sr, n_fft=512, hop_length=256)
    f_tone = dsp.frequency_variation_rate_frames(tone, **kw)[2:-2]
    f_noise = dsp.frequency_variation_rate_frames(noise, **kw)[2:-2]
    assert np.median(f_noise) > 2 * np.median(f_tone)
    # normalize=True removes loudness: a quiet noise is still rougher than a loud tone
    g_tone = dsp.frequency_variation_rate_frames(10 * tone, normalize=True, **kw)[2:-2]
    g_noise = dsp.frequency_variation_rate_frames(0.1 * noise, normalize=True, **kw)[2:-2]
    assert np.median(g_noise) > 2 * np.median(g_tone)
    assert np.allclose(dsp.frequency_variation_rate_frames(10 * tone, normalize=True, **kw)[2:-2],
                       dsp.frequency_variation_rate_frames(tone, normalize=True, **kw)[2:-2])


def test_spectral_flux_changing_vs_steady():
    sr = 16000
    t = np.arange(sr) / sr
    steady = np.sin(2 * np.pi * 440 * t)
    freqs = np.repeat([440.0, 660.0, 550.0, 880.0, 330.0] * 2, sr // 10)
    changing = np.sin(2 * np.pi * np.cumsum(freqs) / sr)
    kw = dict(sr=sr, n_fft=1024, hop_length=256)
    flux_steady = dsp.spectral_flux(steady, **kw)
    flux_changing = dsp.spectral_flux(changing, **kw)
    assert flux_steady[0] == 0 and flux_steady.shape == (1 + sr // 256,)
    assert np.mean(flux_changing[4:-4]) > 5 * np.mean(flux_steady[4:-4])
    S = np.abs(dsp.stft(changing, n_fft=1024, hop_length=256))
    assert np.allclose(dsp.spectral_flux(S=S), flux_changing)
    assert np.all(dsp.spectral_flux(S=S, rectify=True) <= flux_changing + 1e-12)


def test_dynamic_sampling_rate():
    assert dsp.dynamic_sampling_rate(0.5, s_base=100.0, alpha=2.0) == pytest.approx(200.0)
    rates = dsp.dynamic_sampling_rate(np.array([0.0, 1.0, 10.0]), 16000.0, 0.5, s_max=40000.0)
    assert np.allclose(rates, [16000.0, 24000.0, 40000.0])


def test_dynamic_sampling_keep():
    keep = dsp.dynamic_sampling_keep(np.full(12, 25.0), frame_rate=100.0)
    assert keep.dtype == bool and keep.shape == (12,)
    assert np.array_equal(np.flatnonzero(keep), [0, 4, 8])
    assert dsp.dynamic_sampling_keep(np.full(7, 500.0), frame_rate=100.0).all()  # clipped
    assert not dsp.dynamic_sampling_keep(np.zeros(7), frame_rate=100.0).any()
    rates = np.concatenate([np.full(400, 10.0), np.full(400, 50.0)])
    keep = dsp.dynamic_sampling_keep(rates, frame_rate=100.0)
    assert keep[:400].mean() == pytest.approx(0.1, abs=0.01)
    assert keep[400:].mean() == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError, match="rates"):
        dsp.dynamic_sampling_keep(np.array([]), 100.0)


# ---------------------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------------------

_Y = np.random.default_rng(0).standard_normal(2048)


@pytest.mark.parametrize("call,match", [
    (lambda: dsp.stft(np.array([])), "y must be non-empty"),
    (lambda: dsp.stft(np.zeros((2, 1000))), "y must be 1-D.*mono"),
    (lambda: dsp.mfcc(y=np.zeros((2, 1000))), "y must be 1-D.*mono"),
    (lambda: dsp.chroma_stft(y=np.array([])), "y must be non-empty"),
    (lambda: dsp.stft(np.array([0.0, np.nan, 1.0])), "NaN"),
    (lambda: dsp.stft(_Y, n_fft=256, win_length=512), "win_length"),
    (lambda: dsp.stft(_Y, hop_length=-1), "hop_length"),
    (lambda: dsp.stft(_Y, hop_length=0), "hop_length"),
    (lambda: dsp.stft(_Y[:100], n_fft=256, center=False), "n_fft"),
    (lambda: dsp.stft(_Y, pad_mode="wrap"), "pad_mode"),
    (lambda: dsp.frame_signal(_Y, 10, -2), "hop_length"),
    (lambda: dsp.mel_filterbank(16000, 512, fmax=9000.0), "fmax"),
    (lambda: dsp.mel_spectrogram(y=_Y, sr=16000, fmax=9000.0), "fmax"),
    (lambda: dsp.mel_filterbank(16000, 512, fmin=5000.0, fmax=4000.0), "fmin"),
    (lambda: dsp.lpc(_Y[:10], order=10), "order"),
    (lambda: dsp.lpc(_Y, order=0), "order"),
    (lambda: dsp.get_window("triangle", 16), "name"),
    (lambda: dsp.fft(np.array([])), "x"),
    (lambda: dsp.istft(np.zeros(5, dtype=complex)), "stft_matrix"),
    (lambda: dsp.mfcc(y=_Y, sr=16000, dct_type=3), "dct_type"),
    (lambda: dsp.ideal_bandpass_response([1.0], 500.0, 100.0), "f_low"),
    (lambda: dsp.butter_bandpass(_Y, 16000, 100.0, 8000.0), "f_high"),
    (lambda: dsp.gammatone_spectrogram(_Y, 16000, method="dft"), "method"),
    (lambda: dsp.spectral_subtraction(_Y, 16000, noise_seconds=1.0), "noise_seconds"),
    (lambda: dsp.frequency_variation_rate(np.array([1.0])), "X"),
    (lambda: dsp.dynamic_sampling_rate(0.1, s_base=-1.0, alpha=1.0), "s_base"),
])
def test_bad_inputs_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_no_warnings_on_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dsp.mfcc(y=_chord(22050), sr=22050)
        dsp.chroma_stft(y=_melody(16000), sr=16000)


# --------------------------------------------------------------------- aliasing and window lobes


@pytest.mark.parametrize("freq, sr, expected", [
    (3000, 16000, 3000), (9000, 16000, 7000), (10000, 16000, 6000), (17000, 16000, 1000),
    (8000, 16000, 8000), (32000, 16000, 0), (440, 44100, 440),
])
def test_alias_frequency_folds_around_nyquist(freq, sr, expected):
    assert dsp.alias_frequency(freq, sr) == pytest.approx(expected)


def test_alias_frequency_matches_a_sampled_tone():
    sr, n = 16000, 16000
    for freq in (9000, 13500, 21000):
        tone = np.sin(2 * np.pi * freq * np.arange(n) / sr)
        peak = np.argmax(np.abs(np.fft.rfft(tone))) * sr / n
        assert peak == pytest.approx(dsp.alias_frequency(freq, sr))
    np.testing.assert_allclose(dsp.alias_frequency(np.array([9000, 100]), sr), [7000, 100])
    with pytest.raises(ValueError, match="freq"):
        dsp.alias_frequency(-1, sr)


@pytest.mark.parametrize("name, level", [
    ("rectangular", -13.26), ("hann", -31.47), ("hamming", -42.7), ("blackman", -58.1),
])
def test_highest_sidelobe_matches_the_textbook_values(name, level):
    assert dsp.highest_sidelobe_db(dsp.get_window(name, 512)) == pytest.approx(level, abs=0.4)


def test_window_response_peaks_at_zero_offset_and_is_normalised():
    offsets, response = dsp.window_response_db(dsp.get_window("hann", 64), oversample=32)
    assert offsets[0] == 0 and response[0] == pytest.approx(0.0)
    assert response.max() == pytest.approx(0.0)
    # Hann's main lobe is +/- 2 bins wide: the first null lies at 2 bins
    first_min = offsets[np.flatnonzero(np.diff(response) > 0)[0]]
    assert first_min == pytest.approx(2.0, abs=0.05)
    with pytest.raises(ValueError, match="window"):
        dsp.window_response_db([1.0])


# --------------------------------------------------------------------------- shared helpers, error style


def test_ms_to_samples_and_next_power_of_two():
    assert dsp.ms_to_samples(25, 16000) == 400 and dsp.ms_to_samples(3, 22050) == 66
    assert [dsp.next_power_of_two(n) for n in (1, 2, 3, 400, 512, 513)] == [1, 2, 4, 512, 512, 1024]
    with pytest.raises(validation.OutOfRangeError, match=r"^f: window_ms must be at least 2 samples long"):
        dsp.ms_to_samples(0.01, 16000, "window_ms", minimum=2, where="f")
    with pytest.raises(validation.OutOfRangeError, match=r"^f: hop_ms must be a number in ms > 0, got 0"):
        dsp.ms_to_samples(0, 16000, "hop_ms", where="f")
    with pytest.raises(validation.WrongTypeError, match=r"next_power_of_two: n must be an integer"):
        dsp.next_power_of_two(2.5)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: dsp.stft(np.zeros((2, 1000))), validation.WrongShapeError, r"^stft: y must be 1-D, got shape \(2, 1000\); "
                                                                         r"pass one channel at a time \(mono\)"),
    (lambda: dsp.mfcc(y=np.zeros((2, 1000))), validation.WrongShapeError, r"^mfcc: y must be 1-D"),
    (lambda: dsp.stft(_Y, n_fft=2.5), validation.WrongTypeError, r"^stft: n_fft must be an integer, got 2.5$"),
    (lambda: dsp.stft(_Y, hop_length=0), validation.OutOfRangeError, r"^stft: hop_length must be an integer >= 1"),
    (lambda: dsp.stft(_Y, pad_mode="wrap"), validation.UnknownOptionError, r"^stft: pad_mode must be one of"),
    (lambda: dsp.fft_frequencies("fast"), validation.WrongTypeError, r"^fft_frequencies: sr must be a number in Hz"),
    (lambda: dsp.mel_spectrogram(y=_Y, sr=16000, fmax=9000.0), validation.OutOfRangeError,
     r"^mel_spectrogram: fmax must be a frequency at or below the Nyquist frequency 8000 Hz"),
    (lambda: dsp.spectral_subtraction(_Y, 16000, hop_length=-1), validation.OutOfRangeError,
     r"^spectral_subtraction: hop_length"),
    (lambda: dsp.power_spectrogram(_Y, n_fft=0), validation.OutOfRangeError, r"^power_spectrogram: n_fft"),
    (lambda: dsp.butter_bandpass(_Y, 16000, 100.0, 8000.0), validation.OutOfRangeError,
     r"^butter_bandpass: f_high must be a frequency below the Nyquist"),
    (lambda: dsp.wideband_spectrogram(_Y, 16000, window_ms=0.01), validation.OutOfRangeError,
     r"^wideband_spectrogram: window_ms must be at least 2 samples long"),
    (lambda: dsp.stft(np.array([0.0, np.nan, 1.0])), validation.NonFiniteError, r"^stft: y must be finite"),
    (lambda: dsp.stft(np.array([1j, 2.0])), validation.WrongTypeError, r"^stft: y must be real-valued"),
    (lambda: dsp.get_window("triangle", 16), validation.UnknownOptionError,
     r"^get_window: name must be a known window"),
    (lambda: dsp.dynamic_sampling_keep(np.array([]), 100.0), validation.EmptyInputError,
     r"^dynamic_sampling_keep: rates must be non-empty"),
])
def test_errors_are_validation_errors_naming_function_and_argument(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
