"""Tests for Zhao et al.'s two model inputs in mer_lessons.dsp (chapter 09): GTF and MF_RP.

Analytic oracles (ERB formula, tones, AR processes), SciPy/librosa references, the frame
grid shared by both features, and bad inputs. Signals are 1 s or shorter.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

from mer_lessons import dsp
from mer_lessons.validation import InputError

SR = 16000


def _ar2(n: int, seed: int = 0):
    """AR(2) process y[n] = 1.3 y[n-1] - 0.6 y[n-2] + e[n]: a = [1, -1.3, 0.6]."""
    a = np.array([1.0, -1.3, 0.6])
    e = np.random.default_rng(seed).standard_normal(n)
    return a, scipy.signal.lfilter([1.0], a, e), e


def _tone(freq: float, seconds: float = 0.5, amp: float = 1.0, sr: int = SR) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)


# ---------------------------------------------------------------------------------------
# ERB scale and gammatone filters (the building blocks GTF uses)
# ---------------------------------------------------------------------------------------


def test_erb_hand_values():
    # Glasberg & Moore: 24.7 (4.37 f / 1000 + 1)
    assert dsp.erb_bandwidth(1000.0) == pytest.approx(132.639, abs=1e-3)
    assert dsp.erb_bandwidth(0.0) == pytest.approx(24.7)
    assert dsp.erb_bandwidth(4000.0) == pytest.approx(24.7 * (4.37 * 4 + 1))
    assert dsp.hz_to_erb_rate(1000.0) == pytest.approx(21.4 * np.log10(5.37))
    assert dsp.erb_rate_to_hz(dsp.hz_to_erb_rate(1234.5)) == pytest.approx(1234.5)


def test_centre_frequencies_erb_spaced_within_band():
    cf = dsp.gammatone_center_frequencies(24, 50.0, 8000.0)
    assert cf.shape == (24,)
    assert np.all(np.diff(cf) > 0)
    assert cf[0] == pytest.approx(50.0) and cf[-1] == pytest.approx(8000.0)
    assert np.all((cf >= 50.0 - 1e-9) & (cf <= 8000.0 + 1e-9))
    steps = np.diff(dsp.hz_to_erb_rate(cf))
    assert np.allclose(steps, steps[0], rtol=1e-10)
    assert not np.allclose(np.diff(cf), np.diff(cf)[0])  # not linear in Hz


@pytest.mark.parametrize("fc", [100.0, 1000.0, 5000.0])
def test_gammatone_impulse_response_unit_gain_at_centre(fc):
    g = dsp.gammatone_impulse_response(fc, SR)
    n = 4 * SR  # 0.25 Hz bins
    H = np.abs(np.fft.rfft(g, n))
    freqs = np.fft.rfftfreq(n, 1.0 / SR)
    k = int(np.argmin(np.abs(freqs - fc)))
    assert H[k] == pytest.approx(1.0, abs=2e-3)  # 0 dB at the centre frequency
    assert abs(freqs[int(np.argmax(H))] - fc) < 0.05 * fc + 2.0  # the peak sits at fc
    # one ERB above fc: (1 + (1 / 1.019)^2)^-2 = 0.26 (-11.7 dB) for the 4th-order gammatone
    k_off = int(np.argmin(np.abs(freqs - (fc + dsp.erb_bandwidth(fc)))))
    assert H[k_off] == pytest.approx((1 + (1 / 1.019) ** 2) ** -2, abs=0.01)


# ---------------------------------------------------------------------------------------
# GTF
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("f0", [180.0, 950.0, 3100.0])
def test_gtf_tone_lands_in_nearest_band(f0):
    G = dsp.zhao_gtf(_tone(f0), SR, n_bands=24)
    cf = dsp.gammatone_center_frequencies(24, 50.0, SR / 2)
    assert G.shape == (24, 1 + int(0.5 * SR) // 160)
    band = int(np.argmax(G[:, 10:-10].mean(axis=1)))
    assert band == int(np.argmin(np.abs(cf - f0)))


def test_gtf_level_of_a_tone_at_a_centre_frequency():
    cf = dsp.gammatone_center_frequencies(24, 50.0, SR / 2)
    amp = 0.5
    G = dsp.zhao_gtf(_tone(cf[15], amp=amp), SR, n_bands=24, db=False)
    # unit gain at fc: the band passes the tone unchanged, mean square A^2 / 2
    assert np.median(G[15, 10:-10]) == pytest.approx(amp**2 / 2, rel=0.02)
    G_db = dsp.zhao_gtf(_tone(cf[15], amp=amp), SR, n_bands=24)
    assert np.median(G_db[15, 10:-10]) == pytest.approx(10 * np.log10(amp**2 / 2), abs=0.1)
    assert G_db.max() - G_db.min() <= 80.0 + 1e-9  # top_db


# ---------------------------------------------------------------------------------------
# LPC, LP residual, residual phase
# ---------------------------------------------------------------------------------------


def test_lpc_equals_toeplitz_solve():
    x = np.random.default_rng(3).standard_normal(600)
    x = scipy.signal.lfilter([1.0], [1.0, -0.9, 0.4], x) * np.hamming(600)
    order = 16
    r = np.array([np.dot(x[: x.size - k], x[k:]) for k in range(order + 1)])
    expected = np.concatenate([[1.0], scipy.linalg.solve_toeplitz(r[:-1], -r[1:])])
    a = dsp.lpc(x, order)
    assert a[0] == 1.0
    assert np.allclose(a, expected, atol=1e-10)


def test_lpc_recovers_ar2_and_librosa_burg_is_close():
    import librosa

    a_true, y, _ = _ar2(16000)
    a = dsp.lpc(y, 2)
    assert np.allclose(a, a_true, atol=0.03)
    a_burg = librosa.lpc(y.astype(np.float64), order=2)
    assert np.allclose(a_burg, a_true, atol=0.03)
    assert np.allclose(a, a_burg, atol=0.01)  # two methods, same answer on a long signal


def test_inverse_filtering_whitens_an_ar_process():
    # a resonant AR(2) (poles at radius 0.95): the innovation is ~4 % of the signal's power
    innovation = np.random.default_rng(5).standard_normal(SR)
    y = scipy.signal.lfilter([1.0], [1.0, -1.6, 0.9], innovation)
    rp = dsp.residual_phase_frames(y, SR, order=16, preemphasis_coef=0.0)
    e = rp.residual[400:]
    # per-frame LP fits a little of the innovation too, so the residual is slightly smaller
    assert 0.8 < np.var(e) / np.var(innovation[400:]) < 1.1
    assert np.var(e) < 0.1 * np.var(y)
    rho = np.array([np.dot(e[:-k], e[k:]) for k in range(1, 11)]) / np.dot(e, e)
    assert np.max(np.abs(rho)) < 0.1  # nearly white
    ry = np.dot(y[:-1], y[1:]) / np.dot(y, y)
    assert ry > 0.7  # ... while the signal itself is strongly correlated


def test_residual_phase_frames_fields():
    rng = np.random.default_rng(1)
    y = 0.01 * rng.standard_normal(8000)
    y[[1000, 4000, 6500]] += [1.0, 0.5, 2.0]  # three clicks: strong excitation instants
    rp = dsp.residual_phase_frames(y, SR, preemphasis_coef=0.0)
    n_frames = 1 + 8000 // 160
    assert rp.hop_length == 160 and rp.win_length == 400
    for name in ("peak_index", "envelope_max", "phase_at_peak", "weights"):
        assert getattr(rp, name).shape == (n_frames,)
    assert rp.residual.shape == rp.envelope.shape == rp.phase.shape == (8000,)
    assert np.all(np.abs(rp.phase) <= 1.0)
    assert np.allclose(rp.envelope, np.abs(scipy.signal.hilbert(rp.residual)), atol=1e-10)
    # the maximum per frame, by hand: frame t covers [t*160 - 200, t*160 + 200)
    for t in (0, 6, 25, 40, n_frames - 1):
        lo, hi = max(0, t * 160 - 200), min(8000, t * 160 + 200)
        assert rp.envelope_max[t] == pytest.approx(rp.envelope[lo:hi].max())
        assert lo <= rp.peak_index[t] < hi
    # frames around a click peak at (almost) the click
    t = 4000 // 160
    assert abs(rp.peak_index[t] - 4000) <= 3
    assert rp.phase_at_peak[t] == rp.phase[rp.peak_index[t]]
    assert rp.weights.max() == pytest.approx(1.0) and rp.weights.min() >= 0.0
    assert abs(rp.peak_index[int(np.argmax(rp.weights))] - 6500) <= 3  # the loudest click


def test_residual_phase_frames_of_silence_is_zero_not_nan():
    rp = dsp.residual_phase_frames(np.zeros(4000), SR)
    assert np.all(rp.weights == 0) and np.all(rp.phase == 0) and np.all(np.isfinite(rp.envelope))


# ---------------------------------------------------------------------------------------
# MF_RP and the pair
# ---------------------------------------------------------------------------------------


def _music_like(seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * 220 * h * t) / h for h in range(1, 6)) * (0.2 + 0.8 * (t % 0.25 < 0.1))
    return y + 0.01 * np.random.default_rng(2).standard_normal(t.size)


def test_mf_rp_is_mfcc_times_documented_weights():
    y = _music_like()
    F = dsp.mfcc_residual_phase(y, SR, n_mfcc=13, rp_weight=0.5)
    M = dsp.mfcc(y=y, sr=SR, n_mfcc=13, n_fft=512, hop_length=160, win_length=400, n_mels=40, center=True)
    assert F.shape == M.shape == (13, 1 + y.size // 160)
    r = dsp.residual_phase_frames(y, SR).weights
    t = 37  # one frame by hand
    assert np.allclose(F[:, t], M[:, t] * (0.5 + 0.5 * r[t]))
    assert np.allclose(F, M * (0.5 + 0.5 * r)[None, :])
    assert not np.allclose(F, M)  # the weighting does something
    assert np.allclose(dsp.mfcc_residual_phase(y, SR, n_mfcc=13, rp_weight=0.0), M)


def test_feature_pair_shares_the_frame_grid():
    y = _music_like()
    d = dsp.zhao_feature_pair(y, SR, n_bands=24, n_mfcc=20)
    T = 1 + y.size // 160
    assert d["gtf"].shape == (24, T) and d["mf_rp"].shape == (20, T) and d["times"].shape == (T,)
    assert np.allclose(d["times"], np.arange(T) * 0.01)
    assert np.allclose(d["gtf"], dsp.zhao_gtf(y, SR))
    pooled = dsp.zhao_feature_pair(y, SR, n_frames=44)
    assert pooled["gtf"].shape == (24, 44) and pooled["mf_rp"].shape == (20, 44)
    groups = np.array_split(np.arange(T), 44)
    assert np.allclose(pooled["gtf"][:, 5], d["gtf"][:, groups[5]].mean(axis=1))
    assert np.allclose(pooled["mf_rp"][:, -1], d["mf_rp"][:, groups[-1]].mean(axis=1))


def test_existing_wide_and_narrowband_windows():
    # the MultiSpec-DNN spectrogram pair already exists (chapter 02): ~3 ms and ~25 ms windows
    y = _music_like(0.2)
    assert dsp.wideband_spectrogram(y, SR).win_length == 48
    assert dsp.narrowband_spectrogram(y, SR).win_length == 400


# ---------------------------------------------------------------------------------------
# bad inputs: an InputError that names the argument
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, name", [
    (lambda y: dsp.mfcc_residual_phase(y, SR, order=320), "order"),  # LP frame: 20 ms = 320 samples
    (lambda y: dsp.residual_phase_frames(y, SR, order=400, lp_frame_ms=25.0), "order"),
    (lambda y: dsp.zhao_feature_pair(y, SR, order=999), "order"),
    (lambda y: dsp.zhao_gtf(y, SR, fmin=4000.0, fmax=1000.0), "fmin"),
    (lambda y: dsp.zhao_feature_pair(y, SR, fmin=2000.0, fmax=2000.0), "fmin"),
    (lambda y: dsp.zhao_gtf(y, SR, fmin=0.0), "fmin"),
    (lambda y: dsp.zhao_gtf(y, SR, fmax=9000.0), "fmax"),
    (lambda y: dsp.zhao_gtf(y, SR, hop_ms=30.0), "hop_ms"),
    (lambda y: dsp.zhao_feature_pair(y, SR, n_frames=10_000), "n_frames"),
    (lambda y: dsp.mfcc_residual_phase(y, SR, rp_weight=1.5), "rp_weight"),
    (lambda y: dsp.mfcc_residual_phase(y, SR, n_mfcc=50, n_mels=40), "n_mfcc"),
    (lambda y: dsp.zhao_gtf(np.where(np.arange(y.size) == 7, np.nan, y), SR), "y"),
    (lambda y: dsp.zhao_feature_pair(np.where(np.arange(y.size) == 7, np.inf, y), SR), "y"),
    (lambda y: dsp.residual_phase_frames(np.stack([y, y]), SR), "y"),
])
def test_bad_inputs_name_the_argument(call, name):
    y = _tone(440.0, 0.1)
    with pytest.raises(InputError) as info:
        call(y)
    assert name in str(info.value)
