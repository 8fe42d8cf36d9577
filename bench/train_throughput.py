"""Training throughput (samples/s) of each paper's model: CPU, and GPU fp32 / AMP / AMP + compile.

One run, side by side: for every model of :func:`mer_lessons.profiling.paper_models` (one
teaching-size network per paper, random batch of its chapter's shapes), full training steps
(forward, cross-entropy, backward, Adam) on one batch already on the device, timed by
:func:`mer_lessons.profiling.throughput` after warm-up steps (``torch.cuda.synchronize()``
before the clock is read on a GPU). Rows: CPU fp32 (``--cpu-bf16`` adds CPU bfloat16), and
when CUDA is available GPU fp32, AMP (bfloat16 where supported, else float16 with a
GradScaler) and AMP + ``torch.compile`` (``--no-compile`` leaves that row out; its first
step, the compilation, is reported in ``first_s`` and not timed). ``x cpu`` is each row's
samples/s over the CPU fp32 samples/s of the same model. Peak memory: on CUDA the
allocator's peak; on the CPU the held tensors plus the profiler's running peak (see the
module's notes).

    python bench/train_throughput.py                 # 10 timed steps, batch 16
    python bench/train_throughput.py --steps 30 --batch 64 --threads 4

Last line: ``train throughput: CPU fp32 <model>: N samples/s; ...; GPU: ...`` (the GPU/CPU
ratios, or "not available on this machine").
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

import mer_lessons  # noqa: E402,F401  (first: the course's CPU policy)
import torch  # noqa: E402
from mer_lessons import profiling  # noqa: E402


def short(name: str) -> str:
    return name.split(":")[0].replace(" et al.", "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="timed training steps per row")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (the first one compiles)")
    ap.add_argument("--batch", type=int, default=16, help="examples per batch")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the course's policy)")
    ap.add_argument("--cpu-bf16", action="store_true", help="add a CPU bfloat16 autocast row")
    ap.add_argument("--no-compile", action="store_true", help="leave out the GPU AMP + torch.compile row")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    cuda = torch.cuda.is_available()
    devices = ("cpu", "cuda") if cuda else ("cpu",)
    settings = ("fp32", "amp") if args.no_compile else ("fp32", "amp", "amp+compile")
    cpu_settings = ("fp32", "bf16") if args.cpu_bf16 else ("fp32",)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        table = profiling.throughput_table(devices=devices, settings=settings, cpu_settings=cpu_settings,
                                           steps=args.steps, warmup=args.warmup, batch=args.batch)
    elapsed = time.perf_counter() - start

    gpu = torch.cuda.get_device_name(0) if cuda else "none"
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} batch={args.batch} steps={args.steps} "
          f"gpu={gpu}")
    head = f"{'model':<10}{'device':<7}{'setting':<13}{'samples/s':>11}{'ms/step':>9}{'peak MB':>9}" \
           f"{'x cpu':>7}{'first_s':>9}"
    print(head)
    print("-" * len(head))
    for _, r in table.iterrows():
        ratio = f"{r['ratio_to_cpu']:>7.2f}" if "ratio_to_cpu" in table.columns else f"{'':>7}"
        setting = r["setting"] + ("" if r["compiled"] or "compile" not in r["setting"] else " (eager)")
        print(f"{short(r['model']):<10}{r['device']:<7}{setting:<13}{r['samples_per_s']:>11.0f}"
              f"{r['ms_per_step']:>9.2f}{r['peak_memory_mb']:>9.1f}{ratio}{r['first_step_s']:>9.2f}")
    for w in caught:
        print(f"warning: {str(w.message)[:160]}")
    print(f"({elapsed:.1f} s)")

    cpu = table[(table["device"] == "cpu") & (table["setting"] == "fp32")]
    parts = [f"{short(r['model'])}: {r['samples_per_s']:.0f} samples/s" for _, r in cpu.iterrows()]
    line = "train throughput: CPU fp32 " + "; ".join(parts)
    if cuda:
        gpu_rows = table[table["device"] != "cpu"]
        ratios = [f"{short(r['model'])} {r['setting']} x{r['ratio_to_cpu']:.1f}" for _, r in gpu_rows.iterrows()]
        line += f"; GPU ({gpu}) / CPU: " + ", ".join(ratios)
    else:
        line += "; GPU: not available on this machine"
    print(line)


if __name__ == "__main__":
    main()
