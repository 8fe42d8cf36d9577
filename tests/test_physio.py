"""Tests for mer_lessons.physio on signals with known answers (sines, white noise, synthetic
ECG and skin-conductance responses at known times, hand-computed HRV) and bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mer_lessons import physio
from mer_lessons.data import listener


def sine(freq, sr, seconds, amplitude=1.0, phase=0.0):
    t = np.arange(int(round(seconds * sr))) / sr
    return amplitude * np.sin(2 * np.pi * freq * t + phase)


def amplitude_of(x, sr, freq, trim_s=1.0):
    """Amplitude of the ``freq`` component of ``x`` away from the edges (least squares)."""
    n = int(trim_s * sr)
    core = x[n:-n]
    t = (np.arange(len(x)) / sr)[n:-n]
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, core, rcond=None)
    return float(np.hypot(*coef))


# --------------------------------------------------------------------------- constants


def test_bands_match_the_simulator():
    assert {k: tuple(map(float, v)) for k, v in listener.EEG_BANDS.items()} == physio.EEG_BANDS
    assert physio.band_name(10.0) == "alpha"
    assert physio.band_name(20.0) == "beta"
    assert physio.band_name(13.0) == "beta"  # low edge inclusive
    assert physio.band_name(2.0) is None


# --------------------------------------------------------------------------- filters


def test_bandpass_keeps_10_hz_and_removes_60_hz():
    sr = 256
    x = sine(10, sr, 8) + sine(60, sr, 8)
    alpha = physio.bandpass(x, sr, 8.0, 13.0)
    assert alpha.shape == x.shape
    assert amplitude_of(alpha, sr, 10) == pytest.approx(1.0, abs=0.02)
    assert amplitude_of(alpha, sr, 60) < 1e-4
    hao = physio.bandpass(x + sine(100, sr, 8), sr, 0.5, 50.0)  # Hao et al.'s EEG band
    assert amplitude_of(hao, sr, 10) == pytest.approx(1.0, abs=0.01)
    assert amplitude_of(hao, sr, 60) < 0.15    # -17 dB just above the 50 Hz edge (order 4, two passes)
    assert amplitude_of(hao, sr, 100) < 1e-3


def test_bandpass_design_response_at_chosen_frequencies():
    sr, low, high = 128.0, 0.5, 50.0
    sos = physio.bandpass_sos(sr, low, high, order=4)
    assert sos.shape == (4, 6)
    one_pass = physio.filter_response_db(sos, sr, [low, high, 10.0, 20.0], zero_phase=False)
    np.testing.assert_allclose(one_pass[:2], -3.01, atol=0.05)       # -3 dB at the cutoffs
    np.testing.assert_allclose(one_pass[2:], 0.0, atol=0.05)         # flat passband
    two_pass = physio.filter_response_db(sos, sr, [low, high, 10.0])
    np.testing.assert_allclose(two_pass, [-6.02, -6.02, 0.0], atol=0.1)
    assert physio.filter_response_db(sos, sr, [60.0])[0] < -20      # stopband
    # it agrees with what the applied filter does to a sine at the upper cutoff (-6 dB: half)
    y = physio.bandpass(sine(high, sr, 20), sr, low, high)
    assert amplitude_of(y, sr, high, trim_s=3) == pytest.approx(0.5, abs=0.02)


def test_lowpass_and_highpass_split_a_slow_and_a_fast_tone():
    sr = 100
    x = sine(0.2, sr, 60) + sine(10, sr, 60)
    assert amplitude_of(physio.lowpass(x, sr, 1.0), sr, 0.2, trim_s=10) == pytest.approx(1.0, abs=0.02)
    assert amplitude_of(physio.lowpass(x, sr, 1.0), sr, 10, trim_s=10) < 1e-3
    assert amplitude_of(physio.highpass(x, sr, 1.0), sr, 10, trim_s=10) == pytest.approx(1.0, abs=0.01)
    assert amplitude_of(physio.highpass(x, sr, 1.0), sr, 0.2, trim_s=10) < 1e-3


def test_filters_work_on_every_channel():
    sr = 128
    eeg = np.stack([sine(10, sr, 4), sine(60, sr, 4) + sine(10, sr, 4)])
    y = physio.bandpass(eeg, sr, 0.5, 50)
    assert y.shape == (2, 512)
    np.testing.assert_allclose(y[0], physio.bandpass(eeg[0], sr, 0.5, 50))


def test_notch_removes_50_hz_and_keeps_40_hz():
    sr = 256
    x = sine(50, sr, 10) + sine(40, sr, 10)
    y = physio.notch(x, sr, 50.0)
    assert amplitude_of(y, sr, 50) < 0.01
    assert amplitude_of(y, sr, 40) == pytest.approx(1.0, abs=0.01)
    y60 = physio.notch(sine(60, sr, 10), sr, freq=60.0)
    assert amplitude_of(y60, sr, 60) < 0.01


# --------------------------------------------------------------------------- resampling, baseline, z-score


def test_resample_512_to_128_keeps_a_10_hz_tone_and_quarters_the_length():
    x = sine(10, 512, 4)
    y = physio.resample(x, 512, 128)
    assert y.shape == (512,)  # 2048 / 4
    np.testing.assert_allclose(y[64:-64], sine(10, 128, 4)[64:-64], atol=0.01)
    z = physio.resample(sine(10, 128, 4), 128, 64)  # AMIGOS, as Hao et al.
    assert z.shape == (256,)
    assert amplitude_of(z, 64, 10) == pytest.approx(1.0, abs=0.01)
    assert physio.resample(np.zeros((3, 101)), 128, 64).shape == (3, 51)  # ceil(101 / 2)
    # a tone above the new Nyquist is filtered out, not aliased
    assert np.abs(physio.resample(sine(40, 128, 4), 128, 64)[32:-32]).max() < 0.05


def test_remove_baseline_with_a_known_offset():
    sr = 128
    baseline = np.full((2, 3 * sr), [[5.0], [-2.0]])
    trial = np.vstack([sine(10, sr, 4), sine(10, sr, 4)]) + [[5.0], [-2.0]]
    x = np.concatenate([baseline, trial], axis=1)
    out = physio.remove_baseline(x, sr, 3.0)
    assert out.shape == (2, 4 * sr)
    np.testing.assert_allclose(out, trial - [[5.0], [-2.0]], atol=1e-12)
    dropped = physio.remove_baseline(x, sr, 3.0, method="drop")
    np.testing.assert_allclose(dropped, trial)
    with pytest.raises(ValueError, match="method"):
        physio.remove_baseline(x, sr, method="divide")


def test_zscore_mean_zero_sd_one_and_constant_guard():
    rng = np.random.default_rng(0)
    x = 3.0 + 7.0 * rng.standard_normal((4, 1000))
    z = physio.zscore(x)
    np.testing.assert_allclose(z.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=-1), 1, atol=1e-12)
    const = physio.zscore(np.full(50, 4.2))
    assert np.all(const == 0) and np.all(np.isfinite(const))
    by_col = physio.zscore(x.T, axis=0)
    np.testing.assert_allclose(by_col.std(axis=0), 1, atol=1e-12)


def test_zscore_per_group_normalises_each_listener():
    X = pd.DataFrame({"hr": [60.0, 62, 64, 90, 95, 100], "flat": [1.0, 1, 1, 2, 2, 2]})
    groups = ["a", "a", "a", "b", "b", "b"]
    Z = physio.zscore_per_group(X, groups)
    assert isinstance(Z, pd.DataFrame) and list(Z.columns) == ["hr", "flat"]
    np.testing.assert_allclose(Z["hr"], [-1.2247, 0, 1.2247, -1.2247, 0, 1.2247], atol=1e-4)
    assert (Z["flat"] == 0).all()
    X.loc[0, "hr"] = np.nan  # a missing value is skipped, and stays missing
    Z = physio.zscore_per_group(X, groups)
    assert np.isnan(Z.loc[0, "hr"]) and Z.loc[[1, 2], "hr"].tolist() == [-1.0, 1.0]
    arr = physio.zscore_per_group(X.to_numpy(), groups)
    assert isinstance(arr, np.ndarray) and arr.shape == (6, 2)
    with pytest.raises(ValueError):
        physio.zscore_per_group(X, groups[:-1])


def test_sliding_window_counts_and_contents():
    sr = 128
    x = np.arange(10 * sr, dtype=float)
    w = physio.sliding_windows(x, sr, 2.0, 1.0)
    assert w.shape == (9, 256)  # 1 + (1280 - 256) // 128
    np.testing.assert_array_equal(w[3], x[3 * 128:3 * 128 + 256])
    eeg = np.stack([x, -x, 2 * x])
    we = physio.sliding_windows(eeg, sr, 4.0, 0.5)
    assert we.shape == (13, 3, 512)
    np.testing.assert_array_equal(we[2, 1], -x[128:640])
    assert physio.sliding_windows(x, sr, 10.0, 1.0).shape == (1, 1280)


# --------------------------------------------------------------------------- EEG features


def test_10_hz_sine_power_lands_in_alpha():
    sr = 128
    p = physio.band_powers(sine(10, sr, 4, amplitude=2.0), sr)
    assert p.shape == (4,)
    assert p[1] == pytest.approx(2.0, rel=0.01)  # A^2 / 2
    assert p[[0, 2, 3]].max() < 1e-6 * p[1]
    for freq, band in ((6, "theta"), (20, "beta"), (38, "gamma")):
        table = physio.band_powers(np.stack([sine(freq, sr, 4), sine(10, sr, 4)]), sr, channels=["A", "B"])
        assert table.loc["A"].idxmax() == band and table.loc["B"].idxmax() == "alpha"
    relative = physio.band_powers(sine(10, sr, 4) + sine(20, sr, 4), sr, relative=True)
    np.testing.assert_allclose(relative, [0, 0.5, 0.5, 0], atol=0.01)


def test_band_powers_of_white_noise_are_proportional_to_bandwidth():
    sr = 128
    x = np.random.default_rng(1).standard_normal(60 * sr)
    p = physio.band_powers(x, sr)
    widths = np.array([hi - lo for lo, hi in physio.EEG_BANDS.values()])
    np.testing.assert_allclose(p, widths / (sr / 2), rtol=0.1)  # flat PSD of 2 / sr


def test_bands_above_nyquist_warn_or_raise():
    with pytest.warns(UserWarning, match="Nyquist"):
        p = physio.band_powers(sine(10, 64, 4), 64)  # gamma 30-45 Hz only up to 32 Hz at 64 Hz
    assert p.shape == (4,)
    with pytest.raises(ValueError, match="Nyquist"):
        physio.band_powers(sine(5, 32, 4), 32, {"gamma": (30, 45)})


def test_differential_entropy_of_white_noise_matches_the_analytic_value():
    sr, sigma = 128, 3.0
    x = sigma * np.random.default_rng(2).standard_normal(120 * sr)
    de = physio.differential_entropy(x, sr)
    assert de.shape == (4,)
    for k, (low, high) in enumerate(physio.EEG_BANDS.values()):
        # the zero-phase filter passes white noise with variance sigma^2 * mean(|H|^4) over 0..Nyquist
        freqs = np.linspace(0, sr / 2, 20001)
        gain = 10 ** (physio.filter_response_db(physio.bandpass_sos(sr, low, high), sr, freqs) / 10)
        var = sigma ** 2 * np.trapezoid(gain, freqs) / (sr / 2)
        assert de[k] == pytest.approx(0.5 * math.log(2 * math.pi * math.e * var), abs=0.03)
    assert physio.gaussian_entropy(1.0) == pytest.approx(1.4189385, abs=1e-6)
    # wider band -> more variance -> more entropy
    assert de[2] > de[1] > de[0]


def test_frontal_asymmetry_is_ln_right_minus_ln_left():
    powers = pd.DataFrame({"theta": [1.0, 1, 1, 1], "alpha": [10.0, 20.0, 5.0, 5.0]}, index=["F3", "F4", "F7", "F8"])
    asym = physio.frontal_asymmetry(powers)
    assert asym["F4-F3"] == pytest.approx(math.log(2))
    assert asym["F8-F7"] == pytest.approx(0.0)
    arr = physio.frontal_asymmetry(powers.to_numpy(), ["F3", "F4", "F7", "F8"], bands={"theta": 0, "alpha": 0})
    assert arr["F4-F3"] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="F8"):
        physio.frontal_asymmetry(powers.drop(index="F8"))


def test_frontal_asymmetry_follows_valence_in_simulated_eeg():
    values = {}
    for valence in (2.0, 8.0):
        scores = []
        for seed in range(6):
            eeg = listener.simulate_eeg(valence, 5.0, seconds=30, rng=np.random.default_rng(seed))
            powers = physio.band_powers(physio.bandpass(eeg, 128, 0.5, 50), 128, channels=listener.EEG_CHANNELS)
            scores.append(physio.frontal_asymmetry(powers)["F4-F3"])
        values[valence] = np.mean(scores)
    assert values[8.0] - values[2.0] > 0.4


# --------------------------------------------------------------------------- GSR


def bateman_train(onsets_s, amplitudes, sr, seconds, tau_rise=0.75, tau_decay=3.0, tonic=4.0, noise=0.001, seed=0):
    n = int(seconds * sr)
    t = np.arange(n) / sr
    x = np.full(n, tonic) + 0.002 * t  # a slow upward drift, as real SCL has
    peak_t = math.log(tau_decay / tau_rise) * tau_rise * tau_decay / (tau_decay - tau_rise)
    norm = math.exp(-peak_t / tau_decay) - math.exp(-peak_t / tau_rise)
    for onset, amp in zip(onsets_s, amplitudes):
        s = np.clip(t - onset, 0, None)
        x += amp * (np.exp(-s / tau_decay) - np.exp(-s / tau_rise)) / norm
    return x + noise * np.random.default_rng(seed).standard_normal(n)


def test_scr_detection_on_a_bateman_train_with_known_onsets():
    sr = 32
    onsets = [3.0, 9.5, 14.0, 21.0, 26.5, 33.0, 37.0, 45.0]
    amps = [0.2, 0.05, 0.5, 0.1, 0.3, 0.03, 0.15, 0.08]
    gsr = bateman_train(onsets, amps, sr, 50)  # drifting level + noise
    found = physio.scr_peaks(gsr, sr)
    assert len(found) == len(onsets)
    np.testing.assert_allclose(found["onset_s"], onsets, atol=0.35)
    # the Bateman pulse peaks 1.39 s after its onset (earlier when it rides on a recovery)
    assert found["rise_time"].between(0.6, 1.8).all() and found["rise_time"].iloc[0] == pytest.approx(1.39, abs=0.3)
    # an SCR on a flat level is measured close to its size (trough to peak);
    # one that rides on the previous one's recovery is measured smaller
    assert found["amplitude"].iloc[0] == pytest.approx(0.2, rel=0.15)
    assert np.all(found["amplitude"].to_numpy() > 0.25 * np.array(amps))
    assert physio.scr_rate(gsr, sr) == pytest.approx(len(onsets) / (50 / 60))
    # responses below the threshold are not counted
    big = physio.scr_peaks(gsr, sr, min_amplitude=0.1)
    np.testing.assert_allclose(big["onset_s"], [3.0, 14.0, 26.5, 37.0], atol=0.35)
    # a flat, noisy, drifting signal has none
    assert len(physio.scr_peaks(bateman_train([], [], sr, 30), sr)) == 0


def test_eda_decompose_splits_tonic_and_phasic():
    sr = 32
    gsr = bateman_train([10.0, 30.0, 50.0], [0.4, 0.4, 0.4], sr, 80, noise=0.0)
    true_phasic = gsr - (4.0 + 0.002 * np.arange(len(gsr)) / sr)
    for method in physio.EDA_METHODS:
        tonic, phasic = physio.eda_decompose(gsr, sr, method=method)
        np.testing.assert_allclose(tonic + phasic, gsr)
        assert np.corrcoef(phasic, true_phasic)[0, 1] > 0.65
        for onset in (10, 30, 50):  # the phasic part peaks where the responses do
            assert np.argmax(phasic[onset * sr:(onset + 10) * sr]) / sr == pytest.approx(1.39, abs=0.2)
        # a slow drift alone stays in the tonic part
        t = np.arange(80 * sr) / sr
        drift = 4.0 + 0.003 * t + 0.05 * np.sin(2 * np.pi * 0.01 * t)
        assert np.abs(physio.eda_decompose(drift, sr, method=method)[1]).max() < 0.02
    flat = physio.eda_decompose(np.full(320, 5.0), sr)
    np.testing.assert_allclose(flat[0], 5.0)
    np.testing.assert_allclose(flat[1], 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="method"):
        physio.eda_decompose(gsr, sr, method="cvxeda")


def test_scr_rate_grows_with_simulated_arousal():
    def rate(arousal):
        return np.mean([physio.scr_rate(listener.simulate_gsr(arousal, seconds=60, rng=np.random.default_rng(s)), 32)
                        for s in range(4)])
    assert rate(9.0) > 2 * rate(1.0)


# --------------------------------------------------------------------------- ECG


def template_ecg(rr_s, sr, seconds, *, noise=0.02, polarity=1.0, seed=0):
    """An ECG from Gaussian P, Q, R, S, T waves at beats separated by ``rr_s``; returns (ecg, r_times)."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beats = 0.5 + np.concatenate([[0.0], np.cumsum(rr_s)])
    beats = beats[beats < seconds - 0.5]
    waves = ((-0.17, 0.025, 0.15), (-0.03, 0.010, -0.12), (0.0, 0.011, 1.2), (0.032, 0.011, -0.28), (0.26, 0.055, 0.35))
    x = np.zeros(n)
    for beat in beats:
        for offset, width, amp in waves:
            x += amp * np.exp(-0.5 * ((t - beat - offset) / width) ** 2)
    rng = np.random.default_rng(seed)
    x = polarity * x + 0.15 * np.sin(2 * np.pi * 0.25 * t) + 0.02 * np.sin(2 * np.pi * 50 * t)
    return x + noise * rng.standard_normal(n), beats


@pytest.mark.parametrize("sr", [256, 128])
def test_r_peaks_of_a_template_ecg_at_a_known_heart_rate(sr):
    rng = np.random.default_rng(3)
    rr = 0.8 + 0.03 * rng.standard_normal(80)  # 75 bpm with variability
    ecg, beats = template_ecg(rr, sr, 60)
    peaks = physio.detect_r_peaks(ecg, sr)
    assert len(peaks) == len(beats)
    np.testing.assert_allclose(peaks / sr, beats, atol=1.5 / sr + 1e-9)
    true_hr = 60 / np.mean(np.diff(beats))
    assert physio.heart_rate(ecg, sr) == pytest.approx(true_hr, abs=0.5)


def test_r_peaks_of_an_inverted_lead_and_fast_and_slow_hearts():
    sr = 256
    for rr_value in (0.45, 1.2):  # 133 and 50 bpm
        ecg, beats = template_ecg(np.full(150, rr_value), sr, 30, seed=1)
        assert physio.heart_rate(ecg, sr) == pytest.approx(60 / rr_value, abs=1.0)
    ecg, beats = template_ecg(np.full(60, 0.75), sr, 30, polarity=-1.0)
    peaks = physio.detect_r_peaks(ecg, sr)
    assert len(peaks) == len(beats)
    np.testing.assert_allclose(peaks / sr, beats, atol=2 / sr)


def test_heart_rate_of_the_simulated_ecg():
    # arousal 1 adds nothing to the resting rate; the simulator's own jitter is N(0, 1.5) bpm
    for seed, resting in ((0, 62.0), (1, 70.0), (2, 80.0)):
        ecg = listener.simulate_ecg(1.0, seconds=60, sr=256, rng=np.random.default_rng(seed), resting_hr=resting)
        assert physio.heart_rate(ecg, 256) == pytest.approx(resting, abs=3.0)
    # and with a recording's own rate: beats at known times within 2 bpm
    ecg, beats = template_ecg(np.full(40, 60 / 72), 256, 30)
    assert physio.heart_rate(ecg, 256) == pytest.approx(72, abs=2)


def test_hrv_of_a_known_rr_series():
    rr = [0.8, 0.9, 0.82, 0.86, 0.78]
    out = physio.hrv(rr)
    mean = 4.16 / 5
    sdnn = math.sqrt(sum((r - mean) ** 2 for r in rr) / 4)
    rmssd = math.sqrt((0.1 ** 2 + 0.08 ** 2 + 0.04 ** 2 + 0.08 ** 2) / 4)
    assert out["mean_rr"] == pytest.approx(1000 * mean)
    assert out["mean_hr"] == pytest.approx(60 / mean)
    assert out["sdnn"] == pytest.approx(1000 * sdnn)       # 48.17 ms
    assert out["rmssd"] == pytest.approx(1000 * rmssd)     # 78.10 ms
    assert out["pnn50"] == pytest.approx(75.0)              # 3 of 4 differences > 50 ms
    assert physio.hrv([0.8]).isna()[["sdnn", "rmssd", "pnn50"]].all()
    np.testing.assert_allclose(physio.hrv([0.8, 0.8, 0.8])[["sdnn", "rmssd", "pnn50"]], 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="milliseconds"):
        physio.hrv([800, 900])


# --------------------------------------------------------------------------- one trial


def simulated_item(valence=6.0, arousal=6.0, seconds=4.0, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "id": "demo",
        "eeg": listener.simulate_eeg(valence, arousal, seconds=seconds, rng=rng), "eeg_sr": 128,
        "eeg_channels": list(listener.EEG_CHANNELS),
        "gsr": listener.simulate_gsr(arousal, seconds=seconds, rng=rng), "gsr_sr": 32,
        "ecg": listener.simulate_ecg(arousal, seconds=seconds, rng=rng), "ecg_sr": 256,
    }


def test_trial_features_of_a_teaching_dataset_like_item():
    feats = physio.trial_features(simulated_item())
    assert isinstance(feats, pd.Series) and feats.name == "demo"
    assert len(feats) == 2 * 4 * 8 + 2 + 1 + 4 + 3
    assert {"eeg_logpow_alpha_O1", "eeg_de_gamma_F8", "eeg_asym_alpha_F4-F3", "eeg_asym_alpha_F8-F7",
            "eeg_beta_alpha", "gsr_tonic", "gsr_scr_rate", "ecg_hr", "ecg_sdnn", "ecg_rmssd"} <= set(feats.index)
    assert feats.notna().all()
    assert 40 < feats["ecg_hr"] < 140
    again = physio.trial_features(simulated_item())
    pd.testing.assert_series_equal(feats, again)  # deterministic
    eeg_only = physio.trial_features({k: v for k, v in simulated_item().items() if k.startswith("eeg")})
    assert all(name.startswith("eeg_") for name in eeg_only.index)
    # AMIGOS-like: two ECG leads, the first one is used
    two_leads = simulated_item()
    two_leads["ecg"] = np.stack([two_leads["ecg"], -two_leads["ecg"]])
    assert physio.trial_features(two_leads)["ecg_hr"] == pytest.approx(feats["ecg_hr"])
    with pytest.raises(ValueError, match="at least one of 'eeg', 'gsr', 'ecg'"):
        physio.trial_features({"id": "x"})


def test_features_table_keeps_going_past_a_bad_trial():
    good = {k: v for k, v in simulated_item().items() if k.startswith("eeg") or k == "id"}
    bad = dict(good, id="bad", eeg=np.where(np.arange(512) == 100, np.nan, good["eeg"]))
    table = physio.features_table([good, bad, dict(good, id="again")])
    assert list(table.index) == ["demo", "bad", "again"]
    assert table.loc["bad"].isna().all() and table.loc["demo"].notna().all()
    assert "NaN" in table.attrs["failed"]["bad"]
    with pytest.raises(ValueError, match="NaN"):
        physio.features_table([bad], skip_errors=False)


def test_preprocess_eeg_chain():
    eeg = np.stack([sine(10, 128, 8) + 0.5 * sine(50, 128, 8) + 3.0, sine(20, 128, 8)])
    out, sr = physio.preprocess_eeg(eeg, 128, target_sr=64, standardize=True)
    assert sr == 64 and out.shape == (2, 512)
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=-1), 1, atol=1e-9)
    clean, _ = physio.preprocess_eeg(eeg, 128)
    assert amplitude_of(clean[0], 128, 50) < 0.01 and amplitude_of(clean[0], 128, 10) == pytest.approx(1, abs=0.01)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("sr", [0, -128, float("nan"), "fast"])
def test_bad_sample_rates_raise(sr):
    x = sine(10, 128, 4)
    for call in (lambda: physio.bandpass(x, sr, 1, 20), lambda: physio.notch(x, sr), lambda: physio.resample(x, sr, 64),
                 lambda: physio.band_powers(x, sr), lambda: physio.sliding_windows(x, sr, 1, 1),
                 lambda: physio.remove_baseline(x, sr)):
        with pytest.raises(ValueError, match="sr"):
            call()
    with pytest.raises(ValueError, match="target_sr"):
        physio.resample(x, 128, 0)


def test_bad_cutoffs_and_lengths_raise_clear_errors():
    x = sine(10, 128, 4)
    with pytest.raises(ValueError, match="Nyquist"):
        physio.bandpass(x, 128, 0.5, 64)
    with pytest.raises(ValueError, match="Nyquist"):
        physio.bandpass(x, 100, 0.5, 60)
    with pytest.raises(ValueError, match="below"):
        physio.bandpass(x, 128, 30, 10)
    with pytest.raises(ValueError, match="low must be a number in Hz > 0"):
        physio.bandpass(x, 128, 0, 10)
    with pytest.raises(ValueError, match="Nyquist"):
        physio.notch(x, 100, 50)
    with pytest.raises(ValueError, match="too short"):
        physio.bandpass(x[:20], 128, 0.5, 50)
    with pytest.raises(ValueError, match="longer than the signal"):
        physio.sliding_windows(x, 128, 5.0, 1.0)
    with pytest.raises(ValueError, match="not shorter"):
        physio.remove_baseline(x, 128, 4.0)
    with pytest.raises(ValueError, match="NaN"):
        physio.bandpass(np.r_[x[:-1], np.nan], 128, 0.5, 50)
    with pytest.raises(ValueError, match="2 s"):
        physio.detect_r_peaks(np.zeros(100), 256)
    with pytest.raises(ValueError, match="64 Hz"):
        physio.detect_r_peaks(np.zeros(1000), 32)
    with pytest.raises(ValueError, match="1-D"):
        physio.scr_peaks(np.zeros((2, 100)), 32)


def test_errors_are_validation_errors_naming_function_and_argument():
    from mer_lessons import validation

    x = sine(10, 128, 4)
    with pytest.raises(validation.OutOfRangeError, match=r"^bandpass: high must be a frequency below the Nyquist"):
        physio.bandpass(x, 128, 0.5, 64)
    with pytest.raises(validation.WrongTypeError, match=r"^resample: sr must be a number in Hz, got 'fast'"):
        physio.resample(x, "fast", 64)
    with pytest.raises(validation.WrongTypeError, match=r"^bandpass: order must be an integer, got 2.5"):
        physio.bandpass(x, 128, 0.5, 40, order=2.5)
    with pytest.raises(validation.WrongTypeError, match=r"^lowpass: order must be an integer"):
        physio.lowpass(x, 128, 10, order=2.5)
    with pytest.raises(validation.UnknownOptionError, match=r"^eda_decompose: method must be one of"):
        physio.eda_decompose(x, 128, method="mean")
    with pytest.raises(validation.NonFiniteError, match=r"^welch_psd: x must be finite"):
        physio.welch_psd(np.r_[x[:-1], np.inf], 128)
    with pytest.raises(validation.WrongShapeError, match=r"^scr_peaks: gsr must be 1-D"):
        physio.scr_peaks(np.zeros((2, 100)), 32)
    with pytest.raises(validation.EmptyInputError, match=r"^bandpass: x must be more than \d+ samples long"):
        physio.bandpass(x[:20], 128, 0.5, 50)
    with pytest.raises(validation.OutOfRangeError, match=r"^welch_psd: nperseg must be an integer in \[2, 512\]"):
        physio.welch_psd(x, 128, nperseg=1000)


def test_average_beat_and_its_landmarks_on_the_simulated_ecg():
    sr = 256
    ecg = listener.simulate_ecg(3.0, seconds=20.0, sr=sr, rng=np.random.default_rng(4), resting_hr=66.0)
    t, beat = physio.average_beat(ecg, sr)
    assert t.shape == beat.shape == (round(0.3 * sr) + round(0.45 * sr) + 1,)
    assert t[np.argmax(beat)] == pytest.approx(0.0, abs=0.01)          # aligned on the R peak
    marks = physio.beat_landmarks(t, beat)
    assert list(marks.index) == list(physio.ECG_WAVES)
    assert marks["time_s"].is_monotonic_increasing                     # P before Q before R before S before T
    assert marks.loc["R", "amplitude"] > marks.loc["T", "amplitude"] > marks.loc["P", "amplitude"] > 0
    assert marks.loc["Q", "amplitude"] < 0.1 and marks.loc["S", "amplitude"] < 0
    # the simulator's template (listener._WAVES): P ~0.17 s before R, T ~0.26 s after it, at RR ~ 0.9 s
    assert -0.22 < marks.loc["P", "time_s"] < -0.10 and 0.15 < marks.loc["T", "time_s"] < 0.32


def test_average_beat_and_landmarks_reject_what_does_not_fit():
    sr = 256
    ecg = listener.simulate_ecg(5.0, seconds=4.0, sr=sr, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="average_beat"):
        physio.average_beat(ecg, sr, peaks=[5])                        # no room before the first peak
    t, beat = physio.average_beat(ecg, sr, after_s=0.05)
    with pytest.raises(ValueError, match="T wave"):
        physio.beat_landmarks(t, beat)


def test_hrv_formulas_on_a_hand_computed_case():
    rr = [0.80, 0.86, 0.79, 0.83]                  # successive differences 60, -70, 40 ms
    values = physio.hrv(rr)
    assert values["rmssd"] == pytest.approx(math.sqrt((60**2 + 70**2 + 40**2) / 3))
    assert values["pnn50"] == pytest.approx(200 / 3)  # two of the three differences exceed 50 ms
    assert values["sdnn"] == pytest.approx(1000 * np.std(rr, ddof=1))
