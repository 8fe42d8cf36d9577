"""How much a busy CPU slows the course's training down, with and without its CPU policy.

    python bench/contention.py [--steps 50] [--timeout 60] [--repeats 3] [--competitor torch|python]

Runs the same small training job (``--steps`` Adam steps of a small Bi-LSTM on random data,
batch 32) in a fresh Python process, (a) alone and (b) beside one competing busy process, for
three configurations. The competitor is, by default, another torch process with torch's
defaults doing small parallel work in a loop (another notebook, a test suite: its OpenMP
threads spin too); ``--competitor python`` uses a pure-Python spin loop on one core instead,
which slows torch's defaults down less often. The configurations:

* ``torch defaults``: no ``mer_lessons`` import, ``OMP_WAIT_POLICY`` and the thread-count
  variables unset: as many threads as cores, spinning while they wait for work;
* ``course policy``: ``import mer_lessons`` first (``mer_lessons/cpu.py``: PASSIVE wait
  policy, one thread less than the usable CPUs, at least one), then torch;
* ``passive, all CPUs``: the PASSIVE wait policy with as many threads as cores
  (``OMP_NUM_THREADS`` set to ``os.cpu_count()``): why the policy also leaves a core free.

Each time is the median of ``--repeats`` runs (the slowest busy run is shown too: the
spinning slowdown comes and goes). It
prints a table (configuration, torch threads, seconds alone, seconds busy, busy/alone, and
busy relative to torch's defaults alone) and, last, the ratio busy/alone under the course's
policy (goal: at most 2.5x). A run that exceeds ``--timeout`` seconds is stopped and
reported as ``>T s``. The whole run takes one to three minutes. Measure on an otherwise
quiet machine: the load average is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Variables removed from the job's environment, so that each configuration starts clean.
POLICY_VARIABLES = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "MER_LESSONS_CPU_POLICY")

JOB = r"""
import json, sys, time
if sys.argv[1] == "policy":
    import mer_lessons  # the course's CPU policy, before torch loads
import torch
from torch import nn

torch.manual_seed(0)
steps = int(sys.argv[2])

class BiLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(40, 64, batch_first=True, bidirectional=True)
        self.head = nn.Linear(128, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])

model = BiLSTM()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(32, 30, 40), torch.randint(0, 4, (32,))

def step():
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()

for _ in range(3):  # warm-up: allocations, thread pool start
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(json.dumps({"seconds": time.perf_counter() - start, "threads": torch.get_num_threads()}))
"""

#: The competing busy processes: a pure-Python spin loop, or torch with its defaults.
COMPETITORS = {
    "python": "while True:\n    pass\n",
    "torch": ("import torch\nx = torch.randn(64, 64)\nwhile True:\n    (x @ x).sum()\n"
              "    torch.tanh(torch.randn(200_000))\n"),
}
SPIN = COMPETITORS["python"]


def job_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POLICY_VARIABLES}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


#: (label, job mode, extra environment) of each configuration measured.
CONFIGURATIONS = (
    ("torch defaults", "default", {}),
    ("course policy", "policy", {}),
    ("passive, all CPUs", "policy", {"OMP_NUM_THREADS": "all"}),
)


def run_job(config: str, steps: int, timeout: float, extra: dict[str, str] | None = None) -> dict:
    """One training job in a fresh process: ``{"seconds": ..., "threads": ...}`` or ``{"timeout": T}``."""
    extra = {k: (str(os.cpu_count() or 1) if v == "all" else v) for k, v in (extra or {}).items()}
    env = {**job_environment(), **extra}
    try:
        result = subprocess.run([sys.executable, "-c", JOB, config, str(steps)], capture_output=True,
                                text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if result.returncode != 0:
        raise RuntimeError(f"the {config} job failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_beside_competitor(config: str, steps: int, timeout: float, extra: dict[str, str] | None = None,
                          competitor_code: str = SPIN) -> dict:
    competitor = subprocess.Popen([sys.executable, "-c", competitor_code], env=job_environment())
    try:
        time.sleep(2.0 if "torch" in competitor_code else 0.5)  # let it start and take its cores
        return run_job(config, steps, timeout, extra)
    finally:
        competitor.kill()
        competitor.wait()


def measure(repeats: int, run) -> dict:
    """The median of ``repeats`` results of ``run()`` (and the slowest, ``"worst"``).

    A run that times out ends the repeats and makes the result a timeout: the slowdown a
    student sees is the point, so it is not averaged away."""
    results = []
    for _ in range(max(1, repeats)):
        result = run()
        if "timeout" in result:
            return result
        results.append(result)
    seconds = sorted(r["seconds"] for r in results)
    return {"seconds": seconds[len(seconds) // 2], "worst": seconds[-1], "threads": results[0]["threads"]}


def _seconds(result: dict) -> str:
    return f">{result['timeout']:.0f} s" if "timeout" in result else f"{result['seconds']:.2f} s"


def _ratio(alone: dict, busy: dict) -> tuple[str, float | None]:
    if "timeout" in alone:
        return "n/a", None
    if "timeout" in busy:
        ratio = busy["timeout"] / alone["seconds"]
        return f">{ratio:.0f}x", ratio
    ratio = busy["seconds"] / alone["seconds"]
    return f"{ratio:.2f}x", ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="training steps per job (default 50)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds allowed to one job before it is stopped (default 60)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement, the median counts (default 3)")
    parser.add_argument("--competitor", choices=sorted(COMPETITORS), default="torch",
                        help="the busy process: torch with its defaults (default) or a pure-Python spin loop")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from mer_lessons import cpu

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    print(f"load average before: {load}; usable CPUs: {cpu.usable_cpus()} (os.cpu_count() {os.cpu_count()}); "
          f"{args.steps} steps of a Bi-LSTM (hidden 64, batch 32, 30 steps x 40 features)")
    started = time.perf_counter()
    rows = []
    for label, config, extra in CONFIGURATIONS:
        alone = measure(args.repeats, lambda: run_job(config, args.steps, args.timeout, extra))
        busy = measure(args.repeats, lambda: run_beside_competitor(config, args.steps, args.timeout, extra,
                                                                   COMPETITORS[args.competitor]))
        rows.append((label, alone, busy))

    print()
    reference = rows[0][1]
    print(f"| {'configuration':<17} | {'threads':>7} | {'alone':>8} | {'busy':>8} | {'busy, worst':>11} "
          f"| {'busy/alone':>10} | {'busy/defaults alone':>19} |")
    print(f"|{'-' * 19}|{'-' * 8}:|{'-' * 9}:|{'-' * 9}:|{'-' * 12}:|{'-' * 11}:|{'-' * 20}:|")
    for label, alone, busy in rows:
        worst = f"{busy['worst']:.2f} s" if "worst" in busy else _seconds(busy)
        print(f"| {label:<17} | {alone.get('threads', '?'):>7} | {_seconds(alone):>8} | {_seconds(busy):>8} "
              f"| {worst:>11} | {_ratio(alone, busy)[0]:>10} | {_ratio(reference, busy)[0]:>19} |")
    print()
    print(f"total {time.perf_counter() - started:.0f} s; medians of {args.repeats} runs; "
          f"busy = beside one busy {args.competitor} process")
    text, ratio = _ratio(rows[1][1], rows[1][2])
    verdict = "within" if ratio is not None and ratio <= 2.5 else "OVER"
    print(f"busy/alone under the course's CPU policy: {text} ({verdict} the goal of 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
