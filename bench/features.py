"""Benchmark: log-mel and MFCC extraction for a batch of clips, librosa vs our code.

    python bench/features.py                     # 64 clips x 30 s at 22.05 kHz, 3 repeats
    python bench/features.py --quick             # 4 clips x 5 s (smoke check)
    python bench/features.py --clips 16 --seconds 10 --repeat 5

Rows, all measured in the same run on the same synthetic batch (seeded noise + tones):

* librosa            -- ``librosa.power_to_db(librosa.feature.melspectrogram(...))`` and
                        ``librosa.feature.mfcc(...)``, one clip at a time (the reference);
* mer_lessons.dsp    -- the course's from-scratch NumPy versions, one clip at a time
                        (skipped, with a note, if the module or function is missing);
* features (cpu)     -- :mod:`mer_lessons.features` given the whole batch in one call, CPU
                        (internally a clip or two at a time, see ``cpu_chunk_mb``);
* features (cuda)    -- the same on the GPU if ``torch.cuda.is_available()`` (batch already
                        on the GPU; a second row includes the host-to-device copy);
* nnAudio            -- ``nnAudio.features.MelSpectrogram`` / ``MFCC`` if installed.

Settings: n_fft 2048, hop 512, n_mels 128, n_mfcc 20, Hann window, center=True, zero
padding (librosa 0.11's defaults), float32 audio. Each method runs once untimed (warm-up:
imports, JIT, memory pools, cuFFT plans), then ``--repeat`` times; "seconds" is the best
(minimum) of the repeats, "median" the median; "speed-up" = librosa seconds / method
seconds (> 1: faster than librosa). Module construction (filterbanks) is not timed: it
happens once per training run. "rel err" = max |a - b| / max |b| against librosa over the
whole batch. Torch rows compute in float32, librosa in float64 internally.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

import librosa  # noqa: E402
import torch  # noqa: E402

from mer_lessons import features  # noqa: E402

N_FFT, HOP, N_MELS, N_MFCC = 2048, 512, 128, 20


def make_batch(clips: int, seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """``(clips, seconds * sr)`` float32: per clip, three tones with a slow amplitude
    envelope plus white noise at a random level, scaled to peak 0.9."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n, dtype=np.float64) / sr
    out = np.empty((clips, n), dtype=np.float32)
    for i in range(clips):
        y = rng.uniform(0.01, 0.2) * rng.standard_normal(n)
        for _ in range(3):
            f0 = rng.uniform(80, 4000)
            env = 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(0.1, 2) * t + rng.uniform(0, 2 * np.pi)))
            y += rng.uniform(0.1, 0.5) * env * np.sin(2 * np.pi * f0 * t)
        out[i] = (0.9 * y / np.max(np.abs(y))).astype(np.float32)
    return out


def timeit(fn: Callable[[], object], repeat: int, sync: Callable[[], None] = lambda: None, warmup: Optional[Callable[[], object]] = None):
    """Run ``warmup`` (or ``fn``) once untimed, then ``fn`` ``repeat`` times.
    Returns (best seconds, median seconds, last result)."""
    (warmup or fn)()
    sync()
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def rel_err(a, b) -> float:
    a = a.detach().cpu().double().numpy() if torch.is_tensor(a) else np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def machine_info() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CUDA not available)"
    try:
        import nnAudio  # noqa: F401

        nn_ver = getattr(nnAudio, "__version__", "installed")
    except ImportError:
        nn_ver = "not installed"
    return [
        f"CPU: {cpu}; os.cpu_count() = {os.cpu_count()}; torch threads = {torch.get_num_threads()}",
        f"GPU: {gpu}",
        f"python {platform.python_version()}, numpy {np.__version__}, librosa {librosa.__version__}, "
        f"torch {torch.__version__}, nnAudio {nn_ver}",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=64, help="clips in the batch (default 64)")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each clip in seconds (default 30)")
    ap.add_argument("--sr", type=int, default=22050, help="sample rate in Hz (default 22050)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions per method (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke check: 4 clips of 5 s (overrides --clips/--seconds)")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.quick:
        args.clips, args.seconds = 4, 5.0
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clips < 1 or args.seconds <= 0 or args.repeat < 1:
        ap.error("--clips, --seconds and --repeat must be positive")

    Y = make_batch(args.clips, args.seconds, args.sr, args.seed)
    sr = args.sr
    print(f"MER Lessons feature benchmark: {args.clips} clips x {args.seconds:g} s at {sr} Hz "
          f"({Y.nbytes / 1e6:.0f} MB float32), n_fft={N_FFT}, hop={HOP}, n_mels={N_MELS}, n_mfcc={N_MFCC}, "
          f"repeat={args.repeat}")
    for line in machine_info():
        print("  " + line)
    print()

    X_cpu = torch.from_numpy(Y)
    mel_kw = dict(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    notes: list[str] = []
    results: dict[str, list[tuple[str, str, Optional[float], Optional[float], Optional[float]]]] = {"log-mel": [], "MFCC": []}

    # ---- librosa, one clip at a time (the reference)
    lib = {
        "log-mel": lambda y: librosa.power_to_db(librosa.feature.melspectrogram(y=y, **mel_kw), ref=1.0, amin=1e-10, top_db=80.0),
        "MFCC": lambda y: librosa.feature.mfcc(y=y, n_mfcc=N_MFCC, **mel_kw),
    }
    ref, lib_time = {}, {}
    for feat, f in lib.items():
        best, med, out = timeit(lambda f=f: np.stack([f(y) for y in Y]), args.repeat, warmup=lambda f=f: f(Y[0]))
        ref[feat], lib_time[feat] = out, best
        results[feat].append(("librosa (loop over clips)", "cpu", best, med, 0.0))

    # ---- mer_lessons.dsp, one clip at a time
    try:
        from mer_lessons import dsp
    except ImportError as exc:
        dsp = None
        notes.append(f"mer_lessons.dsp: skipped ({exc})")
    if dsp is not None:
        dsp_fns = {}
        if hasattr(dsp, "mel_spectrogram") and hasattr(dsp, "power_to_db"):
            dsp_fns["log-mel"] = lambda y: dsp.power_to_db(dsp.mel_spectrogram(y, **mel_kw), ref=1.0, amin=1e-10, top_db=80.0)
        else:
            notes.append("mer_lessons.dsp log-mel: skipped (no mel_spectrogram/power_to_db)")
        if hasattr(dsp, "mfcc"):
            dsp_fns["MFCC"] = lambda y: dsp.mfcc(y, n_mfcc=N_MFCC, **mel_kw)
        else:
            notes.append("mer_lessons.dsp MFCC: skipped (no mfcc)")
        for feat, f in dsp_fns.items():
            best, med, out = timeit(lambda f=f: np.stack([f(y) for y in Y]), args.repeat, warmup=lambda f=f: f(Y[0]))
            results[feat].append(("mer_lessons.dsp NumPy (loop)", "cpu", best, med, rel_err(out, ref[feat])))

    # ---- mer_lessons.features, batched
    modules = {
        "log-mel": lambda: features.LogMelSpectrogram(**mel_kw, top_db=80.0),
        "MFCC": lambda: features.MFCC(n_mfcc=N_MFCC, **mel_kw),
    }
    for feat, make in modules.items():
        m = make()
        with torch.inference_mode():
            best, med, out = timeit(lambda: m(X_cpu), args.repeat)
        results[feat].append(("mer_lessons.features (batched)", "cpu", best, med, rel_err(out, ref[feat])))
    if torch.cuda.is_available():
        dev = torch.device("cuda")
        sync = torch.cuda.synchronize
        X_gpu = X_cpu.to(dev)
        for feat, make in modules.items():
            m = make().to(dev)
            with torch.inference_mode():
                best, med, out = timeit(lambda: m(X_gpu), args.repeat, sync=sync)
                results[feat].append(("mer_lessons.features (batched)", "cuda", best, med, rel_err(out, ref[feat])))
                best, med, out = timeit(lambda: m(X_cpu.to(dev)), args.repeat, sync=sync)
                results[feat].append(("mer_lessons.features (batched, + H2D copy)", "cuda", best, med, rel_err(out, ref[feat])))
    else:
        notes.append("features on CUDA: skipped (torch.cuda.is_available() is False)")

    # ---- nnAudio, batched
    try:
        from nnAudio import features as nnf
    except ImportError:
        nnf = None
        notes.append("nnAudio: skipped (not installed; pip install nnAudio)")
    if nnf is not None:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for device in devices:
            sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
            X = X_cpu.to(device)
            mel = nnf.MelSpectrogram(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, center=True, pad_mode="constant",
                                     htk=False, fmin=0.0, fmax=None, norm=1, verbose=False).to(device)
            mfcc = nnf.MFCC(sr=sr, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, center=True,
                            pad_mode="constant", verbose=False).to(device)
            nn_fns = {
                # nnAudio returns the power mel; dB with the same per-clip rule as ours
                "log-mel": lambda: features.batch_power_to_db(mel(X), ref=1.0, amin=1e-10, top_db=80.0),
                "MFCC": lambda: mfcc(X),
            }
            for feat, f in nn_fns.items():
                with torch.inference_mode():
                    best, med, out = timeit(f, args.repeat, sync=sync)
                results[feat].append((f"nnAudio {getattr(sys.modules.get('nnAudio'), '__version__', '')} (batched)".replace("  ", " "),
                                      device, best, med, rel_err(out, ref[feat])))

    # ---- table
    header = ("feature", "method", "device", "seconds", "median s", "speed-up vs librosa", "rel err vs librosa")
    rows = []
    for feat, rs in results.items():
        for method, device, best, med, err in rs:
            rows.append((feat, method, device, f"{best:.3f}", f"{med:.3f}", f"{lib_time[feat] / best:.2f}x", f"{err:.1e}"))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()
    print("seconds = best of --repeat runs for the whole batch; speed-up = librosa seconds / method seconds.")
    for n in notes:
        print("note: " + n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
