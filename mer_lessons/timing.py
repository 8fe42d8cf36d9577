"""Timing helpers for the notebooks' speed comparisons (e.g. DFT vs FFT in ``01_sound_and_fourier``).

Notebooks show timings as pictures, never as checked numbers: wall times depend on the
machine. Benchmarks with tables live in ``bench/``.
"""

from __future__ import annotations

import time
from typing import Any, Callable


def best_time(function: Callable[..., Any], *args: Any, repeat: int = 5, min_seconds: float = 0.02,
              **kwargs: Any) -> float:
    """Best wall time in seconds of one call ``function(*args, **kwargs)``.

    Each of ``repeat`` rounds calls the function as many times as needed to last at least
    ``min_seconds`` (so that very fast calls are measured above the clock's resolution) and
    records the mean time per call; the minimum over rounds is returned, the usual estimate
    of the cost without interference from other processes.

    Taught in ``01_sound_and_fourier``.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    best = float("inf")
    for _ in range(repeat):
        calls, start = 0, time.perf_counter()
        while True:
            function(*args, **kwargs)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = min(best, elapsed / calls)
    return best


def time_over_sizes(functions: dict[str, Callable[[Any], Any]], inputs: dict[int, Any], *, repeat: int = 3,
                    max_seconds: float = 0.5) -> dict[str, dict[int, float]]:
    """Time each function on each input size: ``{name: {size: seconds}}``.

    Sizes are tried in increasing order; once a function needs more than ``max_seconds``
    for one call, its larger sizes are skipped (left out of its dict), so an O(N^2)
    method cannot stall a notebook.

    Taught in ``01_sound_and_fourier``.
    """
    results: dict[str, dict[int, float]] = {name: {} for name in functions}
    for name, function in functions.items():
        for size in sorted(inputs):
            seconds = best_time(function, inputs[size], repeat=repeat)
            results[name][size] = seconds
            if seconds > max_seconds:
                break
    return results
