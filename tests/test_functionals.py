"""Tests for chapter 12's audio features: dsp.liu_mfcc (Liu et al., Eq. 1-4) and mer_lessons.functionals (Eq. 5).

librosa parity for the MFCCs, analytic oracles for the functionals (a ramp) and the pitch
(a harmonic tone, noise, silence), openSMILE when it is installed, the fallback without it,
and bad inputs. Signals are 1 s or shorter.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mer_lessons import dsp, functionals
from mer_lessons.validation import EmptyInputError, InputError, UnknownOptionError

SR = 16000


def _harmonic(f0: float = 200.0, seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return 0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))


def _noise(seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    return 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SR))


# ---- dsp.liu_mfcc ---------------------------------------------------------------------


@pytest.mark.parametrize("sr", [16000, 22050])
def test_liu_mfcc_matches_librosa_with_the_papers_settings(sr):
    librosa = pytest.importorskip("librosa")
    y = np.random.default_rng(1).standard_normal(sr // 2) * 0.1 + np.sin(2 * np.pi * 440 * np.arange(sr // 2) / sr)
    win, hop = int(round(0.025 * sr)), int(round(0.010 * sr))
    ours = dsp.liu_mfcc(y, sr, pooling=None)
    ref = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=dsp.next_power_of_two(win), win_length=win,
                               hop_length=hop, n_mels=40, htk=False, norm="ortho", power=2.0)
    assert ours.shape == ref.shape == (13, 1 + y.size // hop)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_liu_mfcc_pooling_options():
    y = _noise(0.5)
    M = dsp.liu_mfcc(y, SR, pooling=None)
    np.testing.assert_allclose(dsp.liu_mfcc(y, SR), M.mean(axis=1))
    np.testing.assert_allclose(dsp.liu_mfcc(y, SR, pooling="sum"), M.sum(axis=1))
    both = dsp.liu_mfcc(y, SR, pooling="mean_std", n_mfcc=20)
    assert both.shape == (40,)
    M20 = dsp.liu_mfcc(y, SR, pooling=None, n_mfcc=20)
    np.testing.assert_allclose(both, np.concatenate([M20.mean(axis=1), M20.std(axis=1)]))
    # the mean compares clips of different lengths, the sum grows with the length
    longer = np.tile(y, 2)
    assert np.abs(dsp.liu_mfcc(longer, SR) - dsp.liu_mfcc(y, SR)).max() < 0.05 * np.abs(dsp.liu_mfcc(y, SR)).max()


@pytest.mark.parametrize("kwargs", [dict(pooling="max"), dict(n_mfcc=41), dict(frame_ms=0), dict(n_mels=0)])
def test_liu_mfcc_bad_settings_raise(kwargs):
    with pytest.raises(InputError, match="liu_mfcc"):
        dsp.liu_mfcc(_noise(0.1), SR, **kwargs)


# ---- the functionals of a contour -----------------------------------------------------


def test_functionals_of_a_ramp():
    f = functionals.contour_functionals(1.0 + 2.0 * np.arange(11))
    assert list(f.index) == list(functionals.FUNCTIONALS)
    assert f["max"] == 21 and f["min"] == 1 and f["range"] == 20 and f["amean"] == 11
    assert f["maxPos"] == 1 and f["minPos"] == 0
    assert f["linregc1"] == pytest.approx(2.0) and f["linregc2"] == pytest.approx(1.0)
    assert f["linregerrQ"] == pytest.approx(0.0, abs=1e-20)
    assert f["stddev"] == pytest.approx(2.0 * np.sqrt(10.0))        # population std of 0..10 is sqrt(10)
    assert f["skewness"] == pytest.approx(0.0, abs=1e-12)
    assert f["kurtosis"] == pytest.approx(3 - 6 * 122 / (5 * 120))   # discrete uniform on 11 points: 1.78


def test_functionals_of_a_peak_and_a_flat_contour():
    f = functionals.contour_functionals([0.0, 0.0, 4.0, 0.0, 0.0])
    assert f["maxPos"] == 0.5 and f["minPos"] == 0.0 and f["linregc1"] == pytest.approx(0.0)
    assert f["linregerrQ"] == pytest.approx(np.var([0, 0, 4, 0, 0]))
    assert f["skewness"] > 0
    flat = functionals.contour_functionals(np.full(7, 3.0))
    assert flat["stddev"] == 0 and flat["skewness"] == 0 and flat["kurtosis"] == 0 and flat["range"] == 0


# ---- the course's IS09 recipe -----------------------------------------------------------


def test_pitch_of_a_harmonic_tone_noise_and_silence():
    f0, voicing = functionals.acf_pitch(_harmonic(200.0), SR)
    inner = slice(3, -3)                                             # frames padded with zeros at the edges
    assert np.abs(f0[inner] - 200.0).max() < 1.0
    assert voicing[inner].min() > 0.95
    f0, voicing = functionals.acf_pitch(_noise(), SR)
    assert voicing.mean() < 0.4 and (f0 > 0).mean() < 0.05
    f0, voicing = functionals.acf_pitch(np.zeros(SR), SR)
    assert not voicing.any() and not f0.any()


def test_course_functionals_shape_names_and_determinism():
    y = _harmonic(150.0) + _noise(seed=3) * 0.1
    s = functionals.course_functionals(y, SR)
    assert s.shape == (384,) and s.index.is_unique and np.isfinite(s.to_numpy()).all()
    assert s.name == functionals.COURSE_SOURCE
    for name in ("zcr_sma_max", "mfcc_sma[1]_amean", "zcr_sma_de_max", "F0_sma_linregc1", "mfcc_sma_de[12]_kurtosis"):
        assert name in s.index
    assert s["F0_sma_max"] == pytest.approx(150.0, abs=2.0)
    np.testing.assert_array_equal(s.to_numpy(), functionals.course_functionals(y, SR).to_numpy())
    llds = functionals.course_llds(y, SR)
    assert llds.shape == (1 + y.size // 160, 32)


def test_course_names_line_up_with_opensmile_is09():
    pytest.importorskip("opensmile")
    y = _harmonic(200.0)
    ours = functionals.course_functionals(y, SR)
    theirs = functionals.opensmile_functionals(y, SR, "IS09")
    assert [n.replace("pcm_", "").replace("fftMag_", "") for n in theirs.index] == list(ours.index)


# ---- openSMILE and the fallback ---------------------------------------------------------


def test_opensmile_is09_gives_384_features():
    pytest.importorskip("opensmile")
    s = functionals.opensmile_functionals(_harmonic(), SR, "IS09")
    assert s.shape == (functionals.OPENSMILE_SIZES["IS09"],) == (384,)
    assert s.name == "openSMILE IS09" and np.isfinite(s.to_numpy()).all()
    values, source = functionals.audio_functionals(_harmonic(), SR)
    assert source == "openSMILE IS09" and values.shape == (384,)


def test_audio_functionals_falls_back_without_opensmile(monkeypatch):
    monkeypatch.setitem(sys.modules, "opensmile", None)              # `import opensmile` now fails
    y = _harmonic()
    values, source = functionals.audio_functionals(y, SR)
    assert source == functionals.COURSE_SOURCE == "course functionals (IS09 recipe, not openSMILE)"
    assert values.shape == (384,)
    with pytest.raises(ImportError, match="only IS09"):
        functionals.audio_functionals(y, SR, "IS13")
    with pytest.raises(ImportError, match="pip install opensmile.*research"):
        functionals.audio_functionals(y, SR, fallback=False)
    with pytest.raises(ImportError, match="pip install opensmile"):
        functionals.opensmile_functionals(y, SR)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(EmptyInputError, match="course_llds"):
        functionals.course_functionals([], SR)
    with pytest.raises(EmptyInputError, match="400 samples"):
        functionals.course_functionals(np.zeros(100), SR)
    with pytest.raises(UnknownOptionError, match="IS09"):
        functionals.audio_functionals(_noise(0.1), SR, "IS99")
    with pytest.raises(UnknownOptionError, match="feature_set"):
        functionals.opensmile_functionals(_noise(0.1), SR, "ComParE")
    with pytest.raises(InputError):
        functionals.opensmile_functionals([], SR)


def test_opensmile_rejects_a_clip_too_short_for_the_set():
    pytest.importorskip("opensmile")
    with pytest.raises(EmptyInputError, match="too short|long enough"):
        functionals.opensmile_functionals(np.zeros(100), SR, "IS09")
