"""Binder as repo2docker reads it: detection without a build, then a launch's CPU policy.

    python .ci/binder_check.py [--out build/binder]

Run by ``make test-binder`` (and so by CI). Docker is not needed:

1. installs ``jupyter-repo2docker`` (:data:`REPO2DOCKER`) into a throwaway virtual
   environment and runs ``repo2docker --no-build --no-run --debug`` on the repository, which
   makes repo2docker detect its build pack from ``binder/`` and print the Dockerfile it would
   build (saved as ``--out``/Dockerfile);
2. checks that Dockerfile: Python from ``binder/runtime.txt``; every package of
   ``binder/apt.txt`` in its ``apt-get install``; ``pip install -r binder/requirements.txt``;
   ``binder/postBuild`` run after the requirements; ``binder/start`` as the entrypoint
   (``R2D_ENTRYPOINT``), so it wraps the Jupyter server of every launch;
3. starts a process the way a Binder launch does (``binder/start <command>`` with an
   environment that has none of the policy's variables) and checks that the command sees
   the course's CPU policy (``OMP_WAIT_POLICY=PASSIVE``, thread counts from
   :func:`mer_lessons.cpu.policy_threads`) and that torch, imported *before*
   ``mer_lessons``, already runs with that many threads.

Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

#: The repo2docker release whose detection is checked (PyPI ``jupyter-repo2docker``).
REPO2DOCKER = "jupyter-repo2docker==2026.4.0"

#: The environment variables of the course's CPU policy (mer_lessons/cpu.py).
POLICY_VARIABLES = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def listed(path: Path) -> list[str]:
    """The non-comment, non-empty lines of ``path`` (the first word of each)."""
    lines = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line.split()[0])
    return lines


def render_dockerfile(work: Path) -> str:
    """The Dockerfile repo2docker would build for the repository (no Docker needed)."""
    env_dir = work / "r2d-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--progress-bar", "off", "-q", REPO2DOCKER], check=True)
    result = subprocess.run(
        [str(env_dir / "bin" / "repo2docker"), "--no-build", "--no-run", "--debug",
         "--user-id", "1000", "--user-name", "jovyan", str(ROOT)],
        capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"repo2docker failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def check_dockerfile(text: str) -> list[str]:
    """Problems with what repo2docker detected; empty when everything is picked up."""
    problems = []
    python = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    if f"python={python}" not in text:
        problems.append(f"runtime.txt asks for Python {python}; repo2docker did not pick it up")
    installs = " ".join(re.findall(r"apt-get install[^\n]*(?:\\\n[^\n]*)*", text))
    for package in listed(BINDER / "apt.txt"):
        if not re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", installs):
            problems.append(f"apt.txt package {package!r} is not in repo2docker's apt-get install")
    requirements = re.search(r'pip install[^\n]*-r "?binder/requirements\.txt', text)
    post_build = re.search(r"RUN \./binder/postBuild", text)
    if not requirements:
        problems.append("binder/requirements.txt is not installed with pip")
    if not post_build:
        problems.append("binder/postBuild is not run")
    if requirements and post_build and post_build.start() < requirements.start():
        problems.append("postBuild runs before the requirements are installed")
    if not re.search(r'ENV R2D_ENTRYPOINT="?\$\{REPO_DIR\}/binder/start', text):
        problems.append("binder/start is not the launch entrypoint (R2D_ENTRYPOINT)")
    return problems


#: What the launched command reports: its policy variables, and torch's threads when torch is
#: imported before mer_lessons (a notebook that does not import mer_lessons first).
PROBE = """
import json, os
import torch
threads = torch.get_num_threads()
from mer_lessons import cpu
print(json.dumps({"env": {k: os.environ.get(k) for k in %r}, "torch_threads": threads,
                  "policy_threads": cpu.policy_threads()}))
""" % (POLICY_VARIABLES,)


def check_launch() -> list[str]:
    """Start ``binder/start python -c PROBE`` as a Binder launch would; check the CPU policy."""
    env = {k: v for k, v in os.environ.items()
           if k not in POLICY_VARIABLES and k != "MER_LESSONS_CPU_POLICY" and not k.endswith("_NUM_THREADS")}
    # binder/start runs `python -m mer_lessons.course cpu --export`: the environment's python
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as folder:  # outside the repository, like a notebook's kernel
        result = subprocess.run(["bash", str(BINDER / "start"), sys.executable, "-c", PROBE],
                                capture_output=True, text=True, env=env, cwd=folder, timeout=300)
    if result.returncode != 0:
        return [f"binder/start failed ({result.returncode}): {result.stderr.strip()[-2000:]}"]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"launch: {seen}")
    problems = []
    if seen["env"]["OMP_WAIT_POLICY"] != "PASSIVE":
        problems.append(f"a launch starts with OMP_WAIT_POLICY={seen['env']['OMP_WAIT_POLICY']!r}, not PASSIVE")
    want = str(seen["policy_threads"])
    for name in POLICY_VARIABLES[1:]:
        if seen["env"][name] != want:
            problems.append(f"a launch starts with {name}={seen['env'][name]!r}, expected {want}")
    if str(seen["torch_threads"]) != want:
        problems.append(f"torch imported first runs {seen['torch_threads']} threads, expected {want}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "binder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mer_lessons_binder_") as work:
        text = render_dockerfile(Path(work))
    (args.out / "Dockerfile").write_text(text)
    problems = check_dockerfile(text)
    if not problems:
        print(f"repo2docker ({REPO2DOCKER}) picks up binder/: runtime.txt, apt.txt "
              f"({', '.join(listed(BINDER / 'apt.txt'))}), requirements.txt, postBuild, start "
              f"(Dockerfile in {args.out / 'Dockerfile'})")
    problems += check_launch()
    for problem in problems:
        print(f"binder check FAILED: {problem}", file=sys.stderr)
    if not problems:
        print("binder check passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
