"""Per-window latency of the streaming pipeline (window -> features -> model -> label).

Plays trials of the mini teaching dataset as a stream (0.1 s chunks), 1-second windows
every 0.5 s, through :class:`mer_lessons.streaming.StreamingPipeline` with an untrained
paper-size :class:`mer_lessons.models.hao.HaoRecognizer` (Bi-LSTM 128 per direction, code 32,
on :data:`mer_lessons.windows.FEATURE_DIMS`) or a checkpoint (``--checkpoint``: a
state_dict for that model). Every window is processed
(no sampler) for the latency numbers; one more CPU row with the DynamicSampler shows the
share of windows saved. Three warm-up predictions are not counted. On a GPU the CUDA run
is synchronised before the clock stops.

    python bench/latency.py --quick        # 40 windows
    python bench/latency.py --windows 200
    python bench/latency.py --papers zhao,liu   # the real-time table of these papers only
    python bench/latency.py --papers none       # Hao's rows only

Then (``--papers``, default all five) one row per paper of the course
(:func:`mer_lessons.realtime.realtime_table`): its teaching-size model through the same
pipeline with the chapter's features, p50/p99 per window on one CPU thread, and the
listeners served in real time with one batched forward pass per hop (``--quick``: fewer
windows and cycles).

Last line: ``p50_ms=<x> p99_ms=<y>`` of the CPU run without sampler.
Hao et al. report 24.3 ms (DEAP) / 22.8 ms (AMIGOS) per prediction on a GTX 1080 Ti.
"""

from __future__ import annotations

import argparse
import math

import mer_lessons  # noqa: F401  (first: the course's CPU policy)
import pandas as pd
import torch
from mer_lessons.data import load
from mer_lessons.models.hao import DynamicSampler, HaoRecognizer
from mer_lessons.realtime import PAPER_KEYS, realtime_table
from mer_lessons.streaming import StreamingPipeline, stream_from_dataset
from mer_lessons.windows import FEATURE_DIMS


def _papers(text, ap):
    keys = [k.strip().lower() for k in str(text).split(",") if k.strip()]
    if keys == ["all"]:
        return list(PAPER_KEYS)
    if keys in ([], ["none"]):
        return []
    unknown = [k for k in keys if k not in PAPER_KEYS]
    if unknown:
        ap.error(f"--papers: unknown paper key(s) {unknown}; choose from {', '.join(PAPER_KEYS)}, 'all' or 'none'")
    return keys


def run_one(ds, model, device, windows, sampler=None):
    clip_s = len(ds[0]["audio"]) / ds[0]["sr"]
    n_trials = int(math.ceil((windows * 0.5 + 1.0) / clip_s)) + 1
    indices = [i % len(ds) for i in range(n_trials)]
    pipe = StreamingPipeline(model, window_s=1.0, hop_s=0.5, sampler=sampler, device=device,
                             rates={"audio": ds[0]["sr"], "eeg": ds[0]["eeg_sr"], "gsr": ds[0]["gsr_sr"],
                                    "ecg": ds[0]["ecg_sr"], "face": ds[0]["face_fps"]})
    pipe.warmup(3)
    return pipe.run(stream_from_dataset(ds, indices, chunk_s=0.1), max_windows=windows).summary()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=200, help="1-second windows per run")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--quick", action="store_true", help="40 windows, smallest dataset")
    ap.add_argument("--checkpoint", default=None, help="state_dict of HaoRecognizer(FEATURE_DIMS, 4)")
    ap.add_argument("--n-clips", type=int, default=8)
    ap.add_argument("--n-subjects", type=int, default=2)
    ap.add_argument("--papers", default="all",
                    help="comma-separated paper keys (hao,zhao,wang,kirar,liu) for the real-time table; "
                         "'all' (default) or 'none'")
    args = ap.parse_args(argv)
    windows = 40 if args.quick else args.windows
    papers = _papers(args.papers, ap)

    ds = load("mini", n_clips=args.n_clips, n_subjects=args.n_subjects, progress=False)
    torch.manual_seed(0)
    model = HaoRecognizer(dict(FEATURE_DIMS), 4)   # the paper's sizes
    if args.checkpoint:
        model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))

    devices = []
    if args.device in ("auto", "cpu"):
        devices.append("cpu")
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device available")
        devices.append("cuda")
    if "cpu" not in devices:        # the last line always reports the CPU run
        devices.insert(0, "cpu")

    rows = []
    for dev in devices:
        rows.append(("none", run_one(ds, model, dev, windows)))
    rows.append(("dynamic", run_one(ds, model, "cpu", windows, sampler=DynamicSampler(ds[0]["sr"]))))

    head = f"{'device':<8}{'sampler':<9}{'windows':>8}{'processed':>10}{'skipped':>8}" \
           f"{'mean_ms':>9}{'p50_ms':>8}{'p95_ms':>8}{'p99_ms':>8}"
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} window=1.0s hop=0.5s")
    print(head)
    print("-" * len(head))
    for sampler, s in rows:
        print(f"{s['device']:<8}{sampler:<9}{s['windows']:>8}{s['processed']:>10}{s['skipped']:>8}"
              f"{s['mean_ms']:>9.2f}{s['p50_ms']:>8.2f}{s['p95_ms']:>8.2f}{s['p99_ms']:>8.2f}")
    if papers:
        table = realtime_table(papers, quick=args.quick, ds=ds)
        print()
        print("every paper's model in real time (p50/p99: one thread per window; listeners: batched, "
              "p99 of a hop cycle <= hop_s)")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(table.round({"p50_ms": 2, "p99_ms": 2}).to_string())
        print()
    cpu = rows[0][1]
    print(f"p50_ms={cpu['p50_ms']:.2f} p99_ms={cpu['p99_ms']:.2f}")


if __name__ == "__main__":
    main()
