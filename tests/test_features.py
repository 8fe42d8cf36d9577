"""Tests for mer_lessons.features: batched torch features == librosa (and mer_lessons.dsp).

Parity measure: rel_err(a, b) = max|a - b| / max|b|, b = librosa on float64 input, clip by
clip, same arguments. Required: <= 1e-4 (TOL).

* float64 input (the parity path): measured <= 5e-8 for every module and parameter set
  (what is left is librosa's own float32 mel filterbank).
* float32 input, against the same float64 reference: spectrogram / mel <= 4e-7, log-mel
  (power=2) <= 2e-5, MFCC <= 2e-6: also held to 1e-4.
* float32 input with ``power=1`` *and* dB (log-mel or MFCC of a magnitude mel spectrogram):
  NOT 1e-4. ``top_db=80`` on a magnitude spectrum keeps 80 dB of magnitude = 160 dB of
  energy, below the round-off floor of a float32 FFT (~1e-7 of the peak magnitude, about
  -140 dB in energy). Leakage bins that are really 150 dB down come out 140 dB down:
  measured rel_err up to 7e-2 (log-mel) and 1.5e-2 (MFCC). librosa does better there only
  because it multiplies float32 frames by a float64 window and runs the FFT in float64.
  We test that case on the bins within 60 dB of each clip's peak (<= 1e-3, measured 6e-4)
  and the MFCC at 5e-2. For power=2 (the usual setting) the 80 dB floor is far above the
  float32 round-off and 1e-4 holds.
"""

from __future__ import annotations

import inspect

import librosa
import numpy as np
import pytest
import torch

from mer_lessons.features import (
    MFCC,
    LogMelSpectrogram,
    MelSpectrogram,
    NarrowbandSpectrogram,
    Spectrogram,
    WidebandSpectrogram,
    WideNarrowbandSpectrogram,
    batch_power_to_db,
    mfcc_dct_matrix,
)
from mer_lessons.validation import EmptyInputError, OutOfRangeError, UnknownOptionError, WrongShapeError, WrongTypeError

TOL = 1e-4  # float64 and float32 paths (see module docstring)
TOL32_MAGNITUDE_DB_TOP60 = 1e-3  # float32, power=1 then dB: bins within 60 dB of the peak
TOL32_MAGNITUDE_MFCC = 5e-2  # float32, power=1 then dB then DCT (mixes in the floor bins)


def _float32_magnitude_db(dtype, extra) -> bool:
    return dtype == torch.float32 and extra.get("power", 2.0) == 1.0


def rel_err(a, b) -> float:
    a = a.detach().cpu().double().numpy() if torch.is_tensor(a) else np.asarray(a, dtype=np.float64)
    b = b.detach().cpu().double().numpy() if torch.is_tensor(b) else np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def make_signals(sr: int, seconds: float = 1.2, seed: int = 0) -> np.ndarray:
    """Four clips (float64, (4, T)), T not a multiple of any hop: noise + tones, a chirp,
    a tone with a silent gap (exercises amin / top_db), and a very quiet clip (1e-4)."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds) + 7
    t = np.arange(n) / sr
    tones = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1318.5 * t) + 0.05 * rng.standard_normal(n)
    chirp = 0.5 * np.sin(2 * np.pi * (100 * t + 0.5 * (sr / 4 - 100) / seconds * t**2))
    gap = 0.4 * np.sin(2 * np.pi * 440 * t)
    gap[n // 3 : 2 * n // 3] = 0.0
    quiet = 1e-4 * rng.standard_normal(n) + 1e-4 * np.sin(2 * np.pi * 3000 * t)
    return np.stack([tones, chirp, gap, quiet])


SIGNALS = {sr: make_signals(sr) for sr in (16000, 22050)}

# (sr, n_fft, hop, n_mels, fmin, fmax, center, extra)
PARAMS = [
    pytest.param(22050, 2048, 512, 128, 0.0, None, True, {}, id="22k-2048-512-128-default"),
    pytest.param(16000, 512, 128, 40, 30.0, 8000.0, False, {}, id="16k-512-128-40-fmin30-fmax8k-nocenter"),
    pytest.param(22050, 512, 128, 40, 30.0, 8000.0, True, {"win_length": 400, "htk": True}, id="22k-512-win400-htk"),
    pytest.param(16000, 2048, 512, 128, 0.0, None, False, {"norm": None}, id="16k-2048-512-128-nocenter-nonorm"),
    pytest.param(22050, 2048, 128, 40, 30.0, 8000.0, True, {"pad_mode": "reflect", "power": 1.0}, id="22k-reflect-power1"),
]

MEL_KEYS = ("win_length", "htk", "norm", "pad_mode", "power")


def _librosa_mel(y, sr, n_fft, hop, n_mels, fmin, fmax, center, extra):
    return librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, fmin=fmin, fmax=fmax, center=center, **extra
    )


def _module_kwargs(sr, n_fft, hop, n_mels, fmin, fmax, center, extra):
    return dict(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, fmin=fmin, fmax=fmax, center=center, **extra)


# ----------------------------------------------------------------------------- STFT
@pytest.mark.parametrize(
    "n_fft,hop,win_length,center,pad_mode,power",
    [
        (2048, 512, None, True, "constant", 2.0),
        (512, 128, None, False, "constant", 2.0),
        (512, 128, 400, True, "reflect", 1.0),
        (2048, None, 1024, True, "edge", 2.0),
        (511, 100, None, True, "constant", 1.5),  # odd n_fft
    ],
)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_spectrogram_matches_librosa(n_fft, hop, win_length, center, pad_mode, power, dtype):
    y = SIGNALS[22050]
    ref = np.stack(
        [
            np.abs(librosa.stft(c, n_fft=n_fft, hop_length=hop, win_length=win_length, center=center, pad_mode=pad_mode))
            ** power
            for c in y
        ]
    )
    m = Spectrogram(n_fft=n_fft, hop_length=hop, win_length=win_length, center=center, pad_mode=pad_mode, power=power)
    out = m(torch.tensor(y, dtype=dtype))
    assert out.dtype == dtype
    assert out.shape == ref.shape == (4, 1 + n_fft // 2, m.n_frames(y.shape[-1]))
    assert rel_err(out, ref) <= TOL


def test_complex_stft_matches_librosa():
    y = SIGNALS[16000]
    ref = np.stack([librosa.stft(c, n_fft=512, hop_length=128) for c in y])
    out = Spectrogram(n_fft=512, hop_length=128, power=None)(torch.from_numpy(y))
    assert out.is_complex()
    assert rel_err(out.real, ref.real) <= TOL and rel_err(out.imag, ref.imag) <= TOL


# ----------------------------------------------------------------------------- mel / log-mel / MFCC
@pytest.mark.parametrize("sr,n_fft,hop,n_mels,fmin,fmax,center,extra", PARAMS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_melspectrogram_matches_librosa(sr, n_fft, hop, n_mels, fmin, fmax, center, extra, dtype):
    y = SIGNALS[sr]
    ref = np.stack([_librosa_mel(c, sr, n_fft, hop, n_mels, fmin, fmax, center, extra) for c in y])
    out = MelSpectrogram(**_module_kwargs(sr, n_fft, hop, n_mels, fmin, fmax, center, extra))(torch.tensor(y, dtype=dtype))
    assert out.shape == ref.shape
    assert rel_err(out, ref) <= TOL
    # every clip on its own too (the quiet one is 1e-8 of the loud ones in power)
    for b in range(len(y)):
        assert rel_err(out[b], ref[b]) <= TOL


@pytest.mark.parametrize("sr,n_fft,hop,n_mels,fmin,fmax,center,extra", PARAMS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_logmel_matches_librosa(sr, n_fft, hop, n_mels, fmin, fmax, center, extra, dtype):
    y = SIGNALS[sr]
    ref = np.stack(
        [
            librosa.power_to_db(_librosa_mel(c, sr, n_fft, hop, n_mels, fmin, fmax, center, extra), ref=1.0, amin=1e-10, top_db=80.0)
            for c in y
        ]
    )
    m = LogMelSpectrogram(**_module_kwargs(sr, n_fft, hop, n_mels, fmin, fmax, center, extra), top_db=80.0, amin=1e-10, ref=1.0)
    out = m(torch.tensor(y, dtype=dtype))
    for b in range(len(y)):
        if _float32_magnitude_db(dtype, extra):  # see module docstring
            top = ref[b] > ref[b].max() - 60
            err = np.abs(out[b].double().numpy() - ref[b])[top].max() / np.abs(ref[b]).max()
            assert err <= TOL32_MAGNITUDE_DB_TOP60
        else:
            assert rel_err(out[b], ref[b]) <= TOL


def test_logmel_ref_max_and_no_top_db():
    y = SIGNALS[22050]
    mel = [librosa.feature.melspectrogram(y=c, sr=22050) for c in y]
    out = LogMelSpectrogram(sr=22050, ref="max", top_db=None)(torch.from_numpy(y))
    for b, S in enumerate(mel):
        assert rel_err(out[b], librosa.power_to_db(S, ref=np.max, top_db=None)) <= TOL


@pytest.mark.parametrize("sr,n_fft,hop,n_mels,fmin,fmax,center,extra", PARAMS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_mfcc_matches_librosa(sr, n_fft, hop, n_mels, fmin, fmax, center, extra, dtype):
    y = SIGNALS[sr]
    extra = dict(extra)
    mel_norm = extra.pop("norm", "slaney")
    kw = dict(n_fft=n_fft, hop_length=hop, n_mels=n_mels, fmin=fmin, fmax=fmax, center=center, **extra)
    ref = np.stack([librosa.feature.mfcc(y=c, sr=sr, n_mfcc=20, mel_norm=mel_norm, **kw) for c in y])
    out = MFCC(sr=sr, n_mfcc=20, mel_norm=mel_norm, **kw)(torch.tensor(y, dtype=dtype))
    assert out.shape == ref.shape
    tol = TOL32_MAGNITUDE_MFCC if _float32_magnitude_db(dtype, extra) else TOL  # see module docstring
    for b in range(len(y)):
        assert rel_err(out[b], ref[b]) <= tol


@pytest.mark.parametrize(
    "dct_type,norm,lifter,n_mfcc", [(2, "ortho", 22, 13), (3, "ortho", 0, 20), (2, None, 0, 40), (1, None, 0, 12), (1, "ortho", 0, 12)]
)
def test_mfcc_dct_variants(dct_type, norm, lifter, n_mfcc):
    y = SIGNALS[16000]
    kw = dict(n_fft=512, hop_length=160, win_length=400, n_mels=40)  # Liu et al.: 40 filters, 25 ms / 10 ms
    ref = np.stack([librosa.feature.mfcc(y=c, sr=16000, n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter, **kw) for c in y])
    out = MFCC(sr=16000, n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter, **kw)(torch.from_numpy(y))
    for b in range(len(y)):
        assert rel_err(out[b], ref[b]) <= TOL


# ----------------------------------------------------------------------------- batching, shapes, dtype, device
@pytest.mark.parametrize("cls", [Spectrogram, MelSpectrogram, LogMelSpectrogram, MFCC])
def test_batched_equals_per_clip_and_1d_input(cls):
    y = torch.from_numpy(SIGNALS[22050])
    m = cls()
    batched = m(y)
    for b in range(len(y)):
        single = m(y[b])  # (T,) input -> (1, ...)
        assert single.shape == (1,) + batched.shape[1:]
        torch.testing.assert_close(single[0], batched[b], rtol=1e-9, atol=1e-9 * float(batched[b].abs().max()))


@pytest.mark.parametrize("cls", [MelSpectrogram, LogMelSpectrogram, MFCC])
def test_cpu_chunking_changes_nothing(cls):
    y = torch.from_numpy(SIGNALS[22050]).float()
    whole = cls(cpu_chunk_mb=None)(y)
    one_clip_at_a_time = cls(cpu_chunk_mb=1e-6)(y)
    torch.testing.assert_close(one_clip_at_a_time, whole, rtol=1e-5, atol=1e-5 * float(whole.abs().max()))
    with pytest.raises(ValueError, match="cpu_chunk_mb"):
        cls(cpu_chunk_mb=-1)


def test_per_item_top_db_differs_from_a_batch_wide_floor():
    """The quiet clip's floor must not depend on the loud clips next to it."""
    y = torch.from_numpy(SIGNALS[22050].copy())
    y[3] *= 0.1  # -20 dB more: > 80 dB below the loud clip
    out = LogMelSpectrogram()(y)
    quiet, loud = out[3], out[0]
    # a batch-wide floor (loud max - 80 dB) would flatten the quiet clip to one value
    assert float(quiet.max()) < float(loud.max()) - 80
    assert float(quiet.max() - quiet.min()) > 20
    torch.testing.assert_close(quiet, LogMelSpectrogram()(y[3])[0], rtol=1e-9, atol=1e-9)


def test_module_to_float64_and_buffers():
    m = MFCC(sr=16000, n_fft=512, hop_length=128, n_mels=40)
    names = {n for n, _ in m.named_buffers()}
    assert {"logmel.spectrogram.window", "logmel.mel_basis", "dct"} <= names
    assert m.state_dict() == {}  # buffers are derived from the constructor: not checkpointed
    x = torch.from_numpy(SIGNALS[16000])
    ref = m(x)
    m32 = m.to(torch.float32)
    assert all(b.dtype == torch.float32 for b in m32.buffers())
    assert m32(x.float()).dtype == torch.float32
    m64 = m32.to(torch.float64)
    assert all(b.dtype == torch.float64 for b in m64.buffers())
    out = m64(x)
    assert out.dtype == torch.float64 and rel_err(out, ref) <= 1e-6  # (buffers were rounded to float32)
    # the output follows the input's dtype, not the module's
    assert m64(x.float()).dtype == torch.float32


def test_half_input_is_computed_in_float32():
    out = MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40)(torch.from_numpy(SIGNALS[16000]).half())
    assert out.dtype == torch.float32 and torch.isfinite(out).all()


def test_numpy_input_and_frame_count():
    y = SIGNALS[16000]
    m = MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40)
    out = m(y)
    assert out.shape == (4, 40, 1 + y.shape[-1] // 128) == (4, 40, m.n_frames(y.shape[-1]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    y = torch.from_numpy(SIGNALS[22050]).float()
    for cls in (MelSpectrogram, LogMelSpectrogram, MFCC, WidebandSpectrogram):
        m = cls()
        cpu = m(y)
        gpu = m.to("cuda")(y.cuda())
        assert gpu.device.type == "cuda"
        assert rel_err(gpu, cpu) <= TOL
        # CPU module, CUDA input: the buffers follow the input
        assert cls()(y.cuda()).device.type == "cuda"


# ----------------------------------------------------------------------------- gradients
def test_gradients_flow_to_the_input():
    x = torch.from_numpy(SIGNALS[16000][:2].copy()).requires_grad_(True)
    MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40)(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().max() > 0
    g = x.grad.clone()
    x.grad = None  # the same through the CPU chunking path (one clip at a time)
    MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40, cpu_chunk_mb=1e-6)(x).sum().backward()
    torch.testing.assert_close(x.grad, g)
    x.grad = None
    MFCC(sr=16000, n_fft=512, hop_length=128, n_mels=40)(x).pow(2).mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 0


def test_gradcheck_melspectrogram():
    m = MelSpectrogram(sr=8000, n_fft=64, hop_length=16, n_mels=8).double()
    x = torch.randn(1, 150, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    assert torch.autograd.gradcheck(m, (x,), eps=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- wide / narrowband
@pytest.mark.parametrize("sr", [16000, 22050])
def test_wideband_vs_narrowband(sr):
    y = torch.from_numpy(SIGNALS[sr])
    wide, narrow = WidebandSpectrogram(sr), NarrowbandSpectrogram(sr)
    assert wide.win_length == round(0.003 * sr) and narrow.win_length == round(0.025 * sr)
    assert wide.win_length < narrow.win_length
    assert wide.n_fft == narrow.n_fft == {16000: 512, 22050: 1024}[sr]
    W, N = wide(y), narrow(y)
    assert W.shape[1] == N.shape[1] == wide.n_freqs
    assert W.shape[2] > 5 * N.shape[2]  # much finer time grid
    assert W.shape[2] == wide.n_frames(y.shape[-1]) and N.shape[2] == narrow.n_frames(y.shape[-1])
    assert wide.hop_ms == 1.5 and narrow.hop_ms == 12.5  # default: half the window
    # the same hop gives maps of identical shape (channel concatenation, Zhao Fig. 2)
    assert WidebandSpectrogram(sr, hop_ms=12.5)(y).shape == N.shape
    pair = WideNarrowbandSpectrogram(sr)(y)
    assert pair.shape == (4, 2, wide.n_freqs, W.shape[2])
    torch.testing.assert_close(pair[:, 0], W)
    torch.testing.assert_close(pair[:, 1], NarrowbandSpectrogram(sr, hop_ms=1.5)(y))
    # parity with librosa: |STFT| with the same window/hop/n_fft
    for m, out in ((wide, W), (narrow, N)):
        ref = np.abs(librosa.stft(SIGNALS[sr][0], n_fft=m.n_fft, hop_length=m.hop_length, win_length=m.win_length))
        assert rel_err(out[0], ref) <= TOL


def test_wideband_resolves_time_narrowband_resolves_frequency():
    """Two tones 250 Hz apart: only the narrowband map separates them. A click: the
    wideband map localises it in far fewer milliseconds."""
    sr = 16000
    t = np.arange(sr) / sr
    two_tones = torch.from_numpy(np.sin(2 * np.pi * 1000 * t) + np.sin(2 * np.pi * 1250 * t))
    wide, narrow = WidebandSpectrogram(sr), NarrowbandSpectrogram(sr)
    f = narrow.freqs

    def dip(S):  # spectrum in the middle frame between the two peaks, relative to the peaks
        s = S[0, :, S.shape[-1] // 2].numpy()
        lo, hi = np.argmin(abs(f - 1000)), np.argmin(abs(f - 1250))
        return s[lo + 1 : hi].min() / max(s[lo], s[hi])

    assert dip(narrow(two_tones)) < 0.8 < dip(wide(two_tones))
    click = torch.zeros(sr, dtype=torch.float64)
    click[sr // 2] = 1.0

    def spread_ms(m):
        energy = m(click)[0].sum(0).numpy()
        return (energy > 0.5 * energy.max()).sum() * m.hop_length / sr * 1000

    assert spread_ms(wide) < 5 < spread_ms(narrow)


def test_band_spectrogram_db_and_fmax():
    sr = 16000
    y = torch.from_numpy(SIGNALS[sr])
    m = NarrowbandSpectrogram(sr, scale="db", fmax=4000)
    out = m(y)
    assert out.shape[1] == m.n_freqs == int(np.sum(np.arange(257) * sr / 512 <= 4000))
    assert m.freqs[-1] <= 4000
    ref = librosa.amplitude_to_db(
        np.abs(librosa.stft(SIGNALS[sr][1], n_fft=512, hop_length=m.hop_length, win_length=m.win_length)), ref=1.0, top_db=80.0
    )
    full = NarrowbandSpectrogram(sr, scale="db")(y)
    assert rel_err(full[1], ref) <= TOL
    # dB floor (max - 80 dB) from the full spectrum, then the rows above fmax are dropped
    torch.testing.assert_close(out, full[:, : m.n_freqs])


# ----------------------------------------------------------------------------- errors
def test_bad_inputs_raise():
    m = MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40)
    with pytest.raises(TypeError, match="floating-point"):
        m(torch.zeros(2, 1000, dtype=torch.int16))
    with pytest.raises(TypeError, match="floating-point"):
        m(torch.zeros(2, 1000, dtype=torch.complex64))
    with pytest.raises(TypeError):
        m([0.0] * 1000)
    with pytest.raises(WrongShapeError, match="MelSpectrogram: x must be shaped"):
        m(torch.zeros(2, 1, 1000))
    with pytest.raises(EmptyInputError, match="x must be a non-empty signal"):
        m(torch.zeros(2, 0))
    with pytest.raises(EmptyInputError, match="x must be a non-empty batch"):
        m(torch.zeros(0, 1000))
    with pytest.raises(EmptyInputError, match="at least n_fft=512 samples"):
        MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40, center=False)(torch.zeros(2, 511))
    MelSpectrogram(sr=16000, n_fft=512, hop_length=128, n_mels=40, center=False)(torch.zeros(2, 512))  # exactly fits
    with pytest.raises(ValueError, match="reflect"):
        Spectrogram(n_fft=512, pad_mode="reflect")(torch.zeros(1, 200))


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="Nyquist"):
        MelSpectrogram(sr=16000, fmax=9000)
    with pytest.raises(ValueError, match="fmin"):
        MelSpectrogram(sr=16000, fmin=5000, fmax=4000)
    with pytest.raises(ValueError, match="win_length"):
        Spectrogram(n_fft=512, win_length=1024)
    with pytest.raises(ValueError, match="n_fft"):
        Spectrogram(n_fft=0)
    with pytest.raises(ValueError, match="pad_mode"):
        Spectrogram(pad_mode="mirror")
    with pytest.raises(ValueError, match="n_mfcc"):
        MFCC(n_mfcc=50, n_mels=40)
    with pytest.raises(ValueError, match="dct_type"):
        MFCC(dct_type=4)
    with pytest.raises(ValueError, match="lifter"):
        MFCC(lifter=-1)
    with pytest.raises(ValueError, match="top_db"):
        LogMelSpectrogram(top_db=-1)
    with pytest.raises(ValueError, match="amin"):
        LogMelSpectrogram(amin=0)
    with pytest.raises(ValueError, match="fmax"):
        WidebandSpectrogram(16000, fmax=9000)
    with pytest.raises(ValueError, match="scale"):
        NarrowbandSpectrogram(16000, scale="log")
    with pytest.raises(ValueError, match="window"):
        Spectrogram(n_fft=512, window=np.ones(100))
    with pytest.raises(OutOfRangeError, match="batch_power_to_db: amin"):
        batch_power_to_db(torch.ones(1, 3), amin=0)
    with pytest.raises(UnknownOptionError, match="ref"):
        batch_power_to_db(torch.ones(1, 3), ref="min")


# ----------------------------------------------------------------------------- parity with mer_lessons.dsp
def _dsp_function(name):
    try:
        from mer_lessons import dsp
    except ImportError:
        pytest.skip("mer_lessons.dsp is not there yet")
    fn = getattr(dsp, name, None)
    if not callable(fn):
        pytest.skip(f"mer_lessons.dsp has no {name}() yet")
    return fn


def _call_dsp(fn, y, **kwargs):
    """Call a dsp function with the signal first and only the keyword arguments it takes."""
    params = inspect.signature(fn).parameters
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = [k for k in kwargs if k not in params and not var_kw]
    if unknown:
        pytest.skip(f"mer_lessons.dsp.{fn.__name__} does not take {unknown}")
    first = next(iter(params.values()))
    if first.kind is inspect.Parameter.KEYWORD_ONLY:
        return fn(**{first.name: y}, **kwargs)
    return fn(y, **kwargs)


@pytest.mark.parametrize("sr,n_fft,hop,n_mels", [(22050, 2048, 512, 128), (16000, 512, 128, 40)])
def test_parity_with_dsp_mel_spectrogram(sr, n_fft, hop, n_mels):
    fn = _dsp_function("mel_spectrogram")
    y = SIGNALS[sr]
    out = MelSpectrogram(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels)(torch.from_numpy(y))
    for b in range(len(y)):
        ref = np.asarray(_call_dsp(fn, y[b], sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels))
        assert rel_err(out[b], ref) <= TOL


@pytest.mark.parametrize("sr,n_fft,hop,n_mels", [(22050, 2048, 512, 128), (16000, 512, 128, 40)])
def test_parity_with_dsp_mfcc(sr, n_fft, hop, n_mels):
    fn = _dsp_function("mfcc")
    y = SIGNALS[sr]
    out = MFCC(sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=hop, n_mels=n_mels)(torch.from_numpy(y))
    for b in range(len(y)):
        ref = np.asarray(_call_dsp(fn, y[b], sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=hop, n_mels=n_mels))
        assert rel_err(out[b], ref) <= TOL


@pytest.mark.parametrize("kind", ["wideband", "narrowband"])
@pytest.mark.parametrize("sr", [16000, 22050])
def test_parity_with_dsp_band_spectrograms(kind, sr):
    fn = _dsp_function(f"{kind}_spectrogram")
    cls = WidebandSpectrogram if kind == "wideband" else NarrowbandSpectrogram
    m = cls(sr, scale="power")
    y = SIGNALS[sr]
    out = m(torch.from_numpy(y))
    for b in range(len(y)):
        res = _call_dsp(fn, y[b], sr=sr, n_fft=m.n_fft, power=2.0)
        ref = np.asarray(getattr(res, "S", res))  # dsp returns a SpectrogramWithAxes(S, freqs, times, ...)
        assert (getattr(res, "hop_length", m.hop_length), getattr(res, "win_length", m.win_length)) == (
            m.hop_length,
            m.win_length,
        )
        assert rel_err(out[b], ref) <= TOL


def test_mel_filterbank_from_dsp_matches_librosa():
    _dsp_function("mel_filterbank")
    m = MelSpectrogram(sr=22050, n_fft=2048, n_mels=128)
    assert rel_err(m.mel_basis, librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)) <= 1e-6


# ----------------------------------------------------------------------------- one name, one meaning
@pytest.mark.parametrize("dct_type,norm,lifter", [(2, "ortho", 0.0), (2, None, 0.0), (2, "ortho", 22.0),
                                                  (1, None, 0.0), (3, "ortho", 0.0)])
def test_mfcc_dct_matrix_matches_scipy_and_dsp_argument_order(dct_type, norm, lifter):
    import scipy.fft

    from mer_lessons import dsp

    n_mfcc, n_mels = 13, 40
    basis = mfcc_dct_matrix(n_mfcc, n_mels, dct_type=dct_type, norm=norm, lifter=lifter)
    assert basis.shape == (n_mfcc, n_mels)  # rows out, columns in, as dsp.dct_matrix(n_out, n_in)
    expected = scipy.fft.dct(np.eye(n_mels), type=dct_type, norm=norm, axis=0)[:n_mfcc]
    if lifter:
        k = np.arange(1, n_mfcc + 1)
        expected = expected * (1 + lifter / 2 * np.sin(np.pi * k / lifter))[:, None]
    np.testing.assert_allclose(basis, expected, atol=1e-12)
    if dct_type == 2 and not lifter:
        np.testing.assert_array_equal(basis, dsp.dct_matrix(n_mfcc, n_mels, norm=norm))


def test_mfcc_dct_matrix_refuses_bad_arguments():
    with pytest.raises(OutOfRangeError, match="mfcc_dct_matrix: n_mfcc"):
        mfcc_dct_matrix(50, 40)
    with pytest.raises(UnknownOptionError, match="dct_type"):
        mfcc_dct_matrix(13, 40, dct_type=4)
    with pytest.raises(OutOfRangeError, match="lifter"):
        mfcc_dct_matrix(13, 40, lifter=-1)


def test_public_names_do_not_clash_with_dsp():
    from mer_lessons import dsp, features

    shared = set(dsp.__all__) & set(features.__all__)
    assert not shared, f"the same name means two things in dsp and features: {sorted(shared)}"
    assert not hasattr(dsp, "Spectrogram") and not hasattr(features, "power_to_db")
    assert not hasattr(features, "dct_matrix") and not hasattr(features, "WindowSpec")


def test_errors_name_the_module_and_argument():
    with pytest.raises(WrongTypeError, match="Spectrogram: n_fft must be an integer"):
        Spectrogram(n_fft="512")
    with pytest.raises(OutOfRangeError, match="WidebandSpectrogram: window_ms"):
        WidebandSpectrogram(16000, window_ms=0.01)
    with pytest.raises(OutOfRangeError, match="WideNarrowbandSpectrogram: wide_ms"):
        WideNarrowbandSpectrogram(16000, wide_ms=30.0)
    with pytest.raises(ValueError, match="sr"):  # still a ValueError for callers that catch those
        MelSpectrogram(sr=0)
