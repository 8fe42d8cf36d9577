"""Build the package's wheel from a clean copy of the sources (no stale build/ folder).

    python .ci/build_wheel.py REPO_ROOT OUT_DIR     # prints the wheel's path

Used by ``.ci/test-colab`` and ``tests/test_packaging.py``. Offline: ``pip wheel --no-deps
--no-build-isolation`` with the setuptools of the running environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: What the build reads: pyproject.toml (metadata, readme, licence), setup.py (packages),
#: the package and the dataset cards mapped into it.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "mer_lessons", "datasets")


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Copy :data:`SOURCES` of ``root`` to a temporary folder, build the wheel into ``out_dir``."""
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")
    with tempfile.TemporaryDirectory(prefix="mer_lessons_wheel_") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in SOURCES:
            path = root / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=ignore)
            else:
                shutil.copy2(path, source / name)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
             "-w", str(out_dir), str(source)],
            check=True,
        )
    wheels = sorted(out_dir.glob("mer_lessons-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"pip wheel wrote no mer_lessons wheel into {out_dir}")
    return wheels[-1]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(build_wheel(Path(sys.argv[1]), Path(sys.argv[2])))
