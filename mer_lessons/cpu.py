"""The course's CPU policy: how many threads, and threads that sleep instead of spinning.

PyTorch's CPU kernels run on OpenMP threads (GNU libgomp). By default those threads spin,
busy-waiting for the next parallel region, and on a busy machine they spin for cores that
another process holds: on 2 cores beside one busy process, 50 small Bi-LSTM training steps
took from 20 s to over a minute with torch's defaults, about 0.6 s with one thread. Containers (Binder, CI) add a second
trap: a CPU quota smaller than the cores the process can see, so the default thread count
oversubscribes the quota.

``import mer_lessons`` therefore calls :func:`apply_cpu_policy`, which sets

* ``OMP_WAIT_POLICY=PASSIVE``: idle OpenMP threads sleep (read once, when libgomp loads,
  i.e. when torch is first imported: import ``mer_lessons`` before ``torch``);
* ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
  ``VECLIB_MAXIMUM_THREADS`` and ``NUMEXPR_NUM_THREADS`` to :func:`policy_threads`: one
  less than the CPUs this process may use (:func:`usable_cpus`: affinity mask, cgroup
  quota, CPU count, the smallest), at least 1 -- one core stays free for the browser, the
  video call or the other notebook -- or to your ``OMP_NUM_THREADS`` when you set only that;

each only where it is not set already. Measured with ``bench/contention.py`` on 2 cores:
one thread trains the course's small models as fast as two when the machine is idle, and
sleeping threads wake too slowly for their many tiny operations (two passive threads were
about 4x slower than one), so on 2 cores the policy is one thread.

**Your setting wins:** set any of these variables before Python starts
(``OMP_NUM_THREADS=2 jupyter lab``, or in the shell that runs ``make``) and the course
leaves it alone. ``python -m mer_lessons.course cpu`` prints the policy in force;
``--export`` prints it as shell ``export`` lines (Binder's start script uses them so that
every kernel starts with the policy).

Taught in ``00_welcome`` (the CPU policy).
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

#: OpenMP's wait policy variable and the value the course sets.
WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY"
WAIT_POLICY = "PASSIVE"

#: Thread-count variables of OpenMP (torch, scikit-learn), MKL, OpenBLAS, Accelerate, numexpr.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

#: Every variable the policy manages.
POLICY_VARIABLES = (WAIT_POLICY_VARIABLE, *THREAD_VARIABLES)

#: Names of the variables the course set itself (comma-separated), inherited by child
#: processes (Jupyter kernels, DataLoader workers) so that they report them as the course's.
MARKER_VARIABLE = "MER_LESSONS_CPU_POLICY"

#: Where cgroups are mounted and where this process's cgroup is named (tests patch these).
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")

#: True once the course had to set OMP_WAIT_POLICY after torch was imported (too late for it).
_late_torch = False


# --------------------------------------------------------------------------- usable CPUs


def affinity_cpus() -> int | None:
    """Number of CPUs in this process's affinity mask (``None`` where the OS has no such call).

    Taught in ``00_welcome`` (the CPU policy).
    """
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return None
    try:
        return len(getter(0)) or None
    except OSError:
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _own_cgroups(proc_cgroup: Path) -> tuple[str | None, str | None]:
    """This process's cgroup v2 path and cgroup v1 ``cpu`` controller path, from /proc."""
    text = _read(proc_cgroup) or ""
    v2 = v1 = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2 = path
        elif "cpu" in controllers.split(","):
            v1 = path
    return v2, v1


def _folders(mount: Path, path: str | None) -> list[Path]:
    """``mount/path`` and its parents up to ``mount`` that exist (a limit anywhere above applies)."""
    folders = [mount]
    if path:
        inner = mount
        for part in [p for p in path.strip("/").split("/") if p and p != ".."]:
            inner = inner / part
            folders.append(inner)
    return [folder for folder in folders if folder.is_dir()]


def _v2_limit(folder: Path) -> float | None:
    text = _read(folder / "cpu.max")
    if not text:
        return None
    quota, _, period = text.partition(" ")
    if quota == "max":
        return None
    try:
        quota_us, period_us = float(quota), float(period or 100_000)
    except ValueError:
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _v1_limit(folder: Path) -> float | None:
    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
    try:
        quota_us, period_us = float(quota), float(period)
    except (TypeError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None  # -1: no quota


def cgroup_cpu_limit(root: Path | None = None, proc_cgroup: Path | None = None) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (``1.5`` = 150 ms per 100 ms), or ``None``.

    Reads cgroup v2 ``cpu.max`` and cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``
    of the process's own cgroup and of every cgroup above it, and returns the smallest quota
    found. ``None`` when there is no quota (or no cgroups, as on macOS and Windows).

    Taught in ``00_welcome`` (the CPU policy).
    """
    root = CGROUP_ROOT if root is None else Path(root)
    proc_cgroup = PROC_SELF_CGROUP if proc_cgroup is None else Path(proc_cgroup)
    v2_path, v1_path = _own_cgroups(proc_cgroup)
    limits: list[float] = []
    for folder in _folders(root, v2_path):
        limit = _v2_limit(folder)
        if limit is not None:
            limits.append(limit)
    for mount in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
        for folder in _folders(mount, v1_path) if mount.is_dir() else []:
            limit = _v1_limit(folder)
            if limit is not None:
                limits.append(limit)
    return min(limits) if limits else None


def usable_cpus() -> int:
    """How many CPUs this process can keep busy: at least 1.

    The smallest of ``len(os.sched_getaffinity(0))`` (where the OS has it), the cgroup CPU
    quota rounded down (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``: a quota
    of 1.5 CPUs gives 1) and ``os.cpu_count()``.

    Taught in ``00_welcome`` (the CPU policy).
    """
    candidates = [n for n in (affinity_cpus(), os.cpu_count()) if n]
    quota = cgroup_cpu_limit()
    if quota is not None:
        candidates.append(max(1, math.floor(quota)))
    return max(1, min(candidates)) if candidates else 1


def policy_threads(usable: int | None = None) -> int:
    """The thread count the policy gives torch and the BLAS pools: ``max(1, usable - 1)``.

    ``usable`` defaults to :func:`usable_cpus`. One core is left for everything else the
    student runs (on 2 cores: 1 thread; measured in ``bench/contention.py``).

    Taught in ``00_welcome`` (the CPU policy).
    """
    n = usable_cpus() if usable is None else int(usable)
    return max(1, n - 1)


# --------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class CpuPolicy:
    """The CPU policy in force: what :func:`apply_cpu_policy` found and did.

    Taught in ``00_welcome`` (the CPU policy).
    """

    usable_cpus: int
    threads: int                    # OpenMP threads (torch's intra-op threads)
    environment: dict[str, str]     # every policy variable's value now
    set_by_course: tuple[str, ...]  # the variables the course set (the others came set)
    torch_threads: int | None       # torch.get_num_threads(), if torch is imported
    wait_policy_applies: bool       # False: torch was imported before the policy was set

    def describe(self) -> str:
        """Lines for people: each variable, its value, and who set it."""
        lines = [f"usable CPUs: {self.usable_cpus} (affinity {affinity_cpus()}, "
                 f"cgroup quota {_format_quota(cgroup_cpu_limit())}, os.cpu_count() {os.cpu_count()})"]
        for name in POLICY_VARIABLES:
            value = self.environment.get(name)
            origin = "set by the course" if name in self.set_by_course else (
                "already set in the environment: kept" if value is not None else "not set")
            lines.append(f"{name}={value if value is not None else ''}  ({origin})")
        if self.torch_threads is not None:
            lines.append(f"torch threads: {self.torch_threads}")
        if not self.wait_policy_applies:
            lines.append("note: torch was imported before mer_lessons, so its OpenMP threads "
                         "keep the default (spinning) wait policy: restart and import mer_lessons first")
        return "\n".join(lines)


def _format_quota(quota: float | None) -> str:
    return "none" if quota is None else f"{quota:g} CPUs"


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _limit_loaded_blas(threads: int) -> None:
    """Cap BLAS pools already loaded (NumPy imported before the policy) when a quota is tighter."""
    if "numpy" not in sys.modules or threads >= (os.cpu_count() or threads):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    try:
        threadpool_limits(limits=threads, user_api="blas")
    except Exception:  # an unknown library must never break `import mer_lessons`
        pass


def apply_cpu_policy(environ: dict[str, str] | None = None) -> CpuPolicy:
    """Set the course's CPU policy in ``environ`` (default ``os.environ``) where it is unset.

    Sets ``OMP_WAIT_POLICY=PASSIVE`` and each of :data:`THREAD_VARIABLES` to
    :func:`policy_threads` (or to your ``OMP_NUM_THREADS`` when you set that one), but only
    those that are not set already: a value you set before starting Python or Jupyter is
    respected. If torch is already imported, its thread count
    is set with ``torch.set_num_threads``; the wait policy cannot reach it any more (libgomp
    read the variable when torch loaded), which is warned about once.

    Called by ``import mer_lessons``; safe to call again. Returns the :class:`CpuPolicy`.

    Taught in ``00_welcome`` (the CPU policy).
    """
    global _late_torch
    env = os.environ if environ is None else environ
    n = usable_cpus()
    # A thread count you gave in OMP_NUM_THREADS is the default of the other pools too (torch
    # built with MKL takes its thread count from MKL_NUM_THREADS when that is set).
    default_threads = _positive_int(env.get("OMP_NUM_THREADS")) or policy_threads(n)
    inherited = {name for name in env.get(MARKER_VARIABLE, "").split(",") if name}
    newly_set: list[str] = []
    if not env.get(WAIT_POLICY_VARIABLE, "").strip():
        env[WAIT_POLICY_VARIABLE] = WAIT_POLICY
        newly_set.append(WAIT_POLICY_VARIABLE)
    for name in THREAD_VARIABLES:
        if not env.get(name, "").strip():
            env[name] = str(default_threads)
            newly_set.append(name)
    set_by_course = tuple(name for name in POLICY_VARIABLES if name in inherited or name in newly_set)
    if set_by_course:
        env[MARKER_VARIABLE] = ",".join(set_by_course)
    threads = _positive_int(env.get("OMP_NUM_THREADS")) or policy_threads(n)

    torch_threads = None
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads") and environ is None:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        torch_threads = torch.get_num_threads()
        if WAIT_POLICY_VARIABLE in newly_set and not _late_torch:
            _late_torch = True
            warnings.warn(
                "mer_lessons: torch was imported before mer_lessons, so OMP_WAIT_POLICY=PASSIVE "
                "cannot reach its OpenMP threads (libgomp reads it when torch loads) and they may "
                "spin on a busy CPU. Import mer_lessons before torch, or set OMP_WAIT_POLICY=PASSIVE "
                f"before starting Python. torch now uses {torch_threads} thread(s).",
                RuntimeWarning, stacklevel=2,
            )
    if environ is None:
        _limit_loaded_blas(threads)
    return CpuPolicy(
        usable_cpus=n,
        threads=threads,
        environment={name: env[name] for name in POLICY_VARIABLES if name in env},
        set_by_course=set_by_course,
        torch_threads=torch_threads,
        wait_policy_applies=not (_late_torch and environ is None),
    )


def current_policy() -> CpuPolicy:
    """The policy in force now (applies it first where it is not set yet).

    Taught in ``00_welcome`` (the CPU policy).
    """
    return apply_cpu_policy()


def policy_environment() -> dict[str, str]:
    """The policy's variables as a child process should get them (``os.environ`` is not changed).

    Taught in ``00_welcome`` (the CPU policy).
    """
    policy = apply_cpu_policy(dict(os.environ))
    env = dict(policy.environment)
    if policy.set_by_course:
        env[MARKER_VARIABLE] = ",".join(policy.set_by_course)
    return env


def export_lines() -> str:
    """The policy as POSIX shell ``export`` lines (values are digits or PASSIVE-like words).

    Taught in ``00_welcome`` (the CPU policy).
    """
    import shlex

    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in policy_environment().items())


__all__ = [
    "CpuPolicy", "POLICY_VARIABLES", "THREAD_VARIABLES", "WAIT_POLICY", "WAIT_POLICY_VARIABLE",
    "affinity_cpus", "apply_cpu_policy", "cgroup_cpu_limit", "current_policy", "export_lines",
    "policy_environment", "policy_threads", "usable_cpus",
]
