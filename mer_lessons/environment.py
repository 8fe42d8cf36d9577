"""Run-time environment of the course: seeds, compute device, versions, data directory.

Taught in ``notebooks/00_welcome.ipynb``. Every notebook calls :func:`set_seed` and
:func:`get_device` right after its ``parameters`` cell.

Heavy libraries (torch) are imported inside the functions that need them, so that
``import mer_lessons`` stays fast.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random
import sys
from pathlib import Path
from typing import Any

#: Environment variable that moves the course's data and cache directory.
DATA_ENV_VAR = "MER_LESSONS_DATA"

#: Default data and cache directory when :data:`DATA_ENV_VAR` is not set.
DEFAULT_DATA_DIR = Path("~/.cache/mer_lessons")

#: Device preferences accepted by :func:`get_device` (``"cuda:N"`` is accepted too).
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")

#: The line printed when no accelerator is found.
CPU_HINT = (
    "Running on CPU. Every default run of this course is sized for a CPU; for the GPU "
    "chapters open the notebook in Colab and choose Runtime > Change runtime type > GPU."
)

#: Packages reported by :func:`show_versions`, in the order they are printed.
REPORTED_PACKAGES = (
    "mer_lessons",
    "numpy",
    "scipy",
    "pandas",
    "librosa",
    "soundfile",
    "scikit-learn",
    "torch",
    "transformers",
    "matplotlib",
    "plotly",
    "ipywidgets",
    "papermill",
    "nbval",
)


def set_seed(seed: int = 0, *, deterministic_torch: bool = False):
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Parameters
    ----------
    seed : int
        A non-negative integer. The same seed gives the same draws from ``random``,
        ``numpy.random`` and ``torch`` on the same machine and library versions.
    deterministic_torch : bool
        Also ask torch for deterministic kernels (``torch.use_deterministic_algorithms``
        with ``warn_only=True``, cuDNN benchmark off). Slower on a GPU; use it when a
        chapter compares runs bit for bit.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``: the recommended way to draw random
        numbers in new code.

    Taught in ``00_welcome``.
    """
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0 or seed >= 2**32:
        raise ValueError(f"set_seed: seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by subprocesses (e.g. DataLoader workers)
    try:
        import torch
    except ImportError:  # the NumPy-only parts of the course still work
        torch = None
    if torch is not None:
        torch.manual_seed(seed)  # seeds every CUDA device too
        if deterministic_torch:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
    return np.random.default_rng(seed)


def _mps_available(torch_module) -> bool:
    mps = getattr(torch_module.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(preference: Any = "auto", *, verbose: bool = True):
    """Pick the torch device a notebook trains on.

    Parameters
    ----------
    preference : str or torch.device
        ``"auto"`` tries CUDA, then Apple's MPS, then the CPU. ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"`` ask for that device and raise ``RuntimeError`` with a
        clear message if it is not available (a silent fallback would hide a
        misconfigured GPU runtime).
    verbose : bool
        On the CPU, print one line saying how to get a GPU on Colab.

    Returns
    -------
    torch.device

    Taught in ``00_welcome``.
    """
    import torch

    if isinstance(preference, torch.device):
        preference = str(preference)
    if not isinstance(preference, str):
        raise TypeError(
            f"get_device: preference must be a string or torch.device, got {preference!r}"
        )
    choice = preference.strip().lower()
    kind, _, index = choice.partition(":")
    if kind not in DEVICE_CHOICES or (index and (kind != "cuda" or not index.isdigit())):
        raise ValueError(
            f"get_device: unknown device {preference!r}; use one of "
            f"{', '.join(DEVICE_CHOICES)} or 'cuda:N'"
        )

    if kind == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
        elif _mps_available(torch):
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
    elif kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"get_device: {preference!r} was requested but torch sees no CUDA GPU "
                f"(torch {torch.__version__}). Use DEVICE='auto' or 'cpu', or on Colab choose "
                "Runtime > Change runtime type > GPU and run the notebook again."
            )
        count = torch.cuda.device_count()
        if index and int(index) >= count:
            raise RuntimeError(
                f"get_device: {preference!r} was requested but only {count} CUDA device(s) exist"
            )
        device = torch.device(choice)
    elif kind == "mps":
        if not _mps_available(torch):
            raise RuntimeError(
                "get_device: 'mps' was requested but Apple's Metal backend is not available "
                "here. Use DEVICE='auto' or 'cpu'."
            )
        device = torch.device("mps")
    else:
        device = torch.device("cpu")

    if verbose and device.type == "cpu":
        print(CPU_HINT)
    return device


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def show_versions(*, file=None) -> dict[str, str]:
    """Print and return the versions of Python, the platform and the course's libraries.

    Include this output when you report a problem. Versions are read from package
    metadata, so nothing heavy is imported except torch when it is installed (to report
    the GPU it sees).

    Returns
    -------
    dict
        ``{"python": ..., "platform": ..., "<package>": version or "not installed",
        "device": ...}``.

    Taught in ``00_welcome``.
    """
    info: dict[str, str] = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    for name in REPORTED_PACKAGES:
        info[name] = _package_version(name)
    info["device"] = _describe_accelerator()
    width = max(len(key) for key in info)
    out = file if file is not None else sys.stdout
    for key, value in info.items():
        print(f"{key:<{width}}  {value}", file=out)
    return info


def _describe_accelerator() -> str:
    try:
        import torch
    except ImportError:
        return "unknown (torch not installed)"
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)}, {torch.cuda.device_count()} device(s))"
    if _mps_available(torch):
        return "mps (Apple GPU)"
    return f"cpu ({os.cpu_count()} logical cores, {torch.get_num_threads()} torch threads)"


def data_dir(*parts: str, create: bool = True) -> Path:
    """The course's data and cache directory, or a path inside it.

    ``$MER_LESSONS_DATA`` when set, otherwise ``~/.cache/mer_lessons``. Generated
    datasets, downloads and feature caches all live here, never in the repository.

    Parameters
    ----------
    *parts : str
        Sub-path inside the data directory, e.g. ``data_dir("mini")``.
    create : bool
        Create the directory (and parents) if missing.

    Raises
    ------
    NotADirectoryError
        If the path exists and is a file.

    Taught in ``00_welcome``; used by every dataset in ``mer_lessons.data``.
    """
    root = os.environ.get(DATA_ENV_VAR, "").strip()
    base = Path(root).expanduser() if root else DEFAULT_DATA_DIR.expanduser()
    path = base.joinpath(*parts)
    if path.exists() and not path.is_dir():
        source = f"${DATA_ENV_VAR}" if root else "the default data directory"
        raise NotADirectoryError(
            f"data_dir: {path} (from {source}) exists but is a file; expected a directory"
        )
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def on_colab() -> bool:
    """True when running inside Google Colab.

    Taught in ``00_welcome``.
    """
    return "google.colab" in sys.modules
