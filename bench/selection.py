"""Benchmark: the wrapper fitness of :mod:`mer_lessons.selection` and a full zebra_select run.

    python bench/selection.py                 # 200 masks per row, 3 zebra runs
    python bench/selection.py --quick         # 30 masks per row, 1 zebra run
    OMP_NUM_THREADS=1 python bench/selection.py   # the one-thread figure the module promises

Rows 1-3 per setting: one fitness evaluation (a classifier fit on the training rows' selected
columns, scored on the validation rows) at ``n_train`` x ``n_val`` = 500 x 150 rows, 3
classes, ``D`` = 100 or 600 features, for "ridge" and "centroid", with fresh random masks
(no cache hit) selecting each feature with probability ``share`` (0.5: a typical initial
zebra; 0.9 at D = 600: more features than training rows, so the ridge is solved in its dual
form). "setup ms" is building the fitness and its first call (standardisation, Gram or kernel
matrices, built once); "median ms"
and "p90 ms" are per evaluation. Last rows: ``zebra_select`` with its defaults (population
12, iterations 20, i.e. 492 evaluations, inner 25 % validation split) on 650 rows, best of
``--repeat`` runs. Data: seeded Gaussian noise with 5 informative features.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from mer_lessons import selection  # noqa: E402


def make(n: int, d: int, classes: int = 3, informative: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(classes, size=n)
    X = rng.standard_normal((n, d))
    X[:, :informative] += rng.standard_normal((classes, informative))[y]
    return X, y


def time_fitness(classifier: str, d: int, share: float, masks: int, n_train: int = 500, n_val: int = 150):
    X, y = make(n_train + n_val, d)
    t0 = time.perf_counter()
    fitness = selection.subset_fitness(X[:n_train], y[:n_train], X[n_train:], y[n_train:], classifier=classifier)
    rng = np.random.default_rng(1)
    fitness(rng.random(d) < share)  # the first call builds the Gram / kernel matrices lazily
    setup = time.perf_counter() - t0
    times = []
    for _ in range(masks):
        mask = rng.random(d) < share
        t0 = time.perf_counter()
        fitness(mask)
        times.append(time.perf_counter() - t0)
    return setup, statistics.median(times), float(np.percentile(times, 90))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--masks", type=int, default=200, help="timed masks per row (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="zebra_select runs (default 3, best counts)")
    ap.add_argument("--quick", action="store_true", help="smoke check: 30 masks, 1 zebra run")
    args = ap.parse_args(argv)
    masks, repeat = (30, 1) if args.quick else (args.masks, args.repeat)

    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, numpy {np.__version__}, "
          f"os.cpu_count()={os.cpu_count()}")
    head = f"{'what':<34}{'D':>5}{'share':>7}{'setup ms':>10}{'median ms':>11}{'p90 ms':>9}"
    print(head)
    print("-" * len(head))
    for d, share in ((100, 0.5), (600, 0.5), (600, 0.9)):
        for classifier in selection.CLASSIFIERS:
            setup, median, p90 = time_fitness(classifier, d, share, masks)
            print(f"{'fitness, ' + classifier + ' (500 x 150)':<34}{d:>5}{share:>7.1f}{setup * 1e3:>10.1f}"
                  f"{median * 1e3:>11.3f}{p90 * 1e3:>9.3f}")
    for d in (100, 600):
        X, y = make(650, d)
        best, result = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = selection.zebra_select(X, y)
            best = min(best, time.perf_counter() - t0)
        print(f"{'zebra_select defaults (650 rows)':<34}{d:>5}{'':>7}{'':>10}{best * 1e3:>11.1f}{'':>9}"
              f"   {result.evaluations} evaluations, {best / result.evaluations * 1e3:.3f} ms each, "
              f"{result.n_features} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
