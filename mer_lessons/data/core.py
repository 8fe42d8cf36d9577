"""One interface to every dataset of the course: ``load(name)``, ``available()``, ``card(name)``.

* The **registry** (``datasets/registry.toml``, shipped inside the package as
  ``mer_lessons.datasets``) describes every dataset: title, modalities, labels, size,
  licence, access (open / eula / request / generated), download files with sha256,
  citation, and the chapters that use it. Each dataset also has a card,
  ``datasets/<name>.md``.
* A **loader** per dataset turns a folder laid out as the official download into a
  :class:`Dataset`: ``len(ds)``, ``ds[i]`` (a dict of the modalities present, plus
  ``labels``) and ``ds.meta`` (a pandas DataFrame, one row per item: ids, subject, split
  hints and every label column). Loaders register themselves with
  :func:`register_loader`; generated datasets ("mini", "chorales") build themselves on
  first use.

Taught in ``04_emotion_models_and_datasets``; used by every chapter that loads data.
"""

from __future__ import annotations

import importlib
import importlib.resources
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from mer_lessons.data.errors import DatasetFormatError, DatasetNotAvailableError
from mer_lessons.environment import data_dir
from mer_lessons.validation import UnknownOptionError

#: Access levels a registry entry may have.
ACCESS_LEVELS = ("open", "eula", "request", "generated")

#: Module (under ``mer_lessons.data``) that defines each dataset's loader.
LOADER_MODULES = {
    "mini": "mini",
    "chorales": "chorales",
    "deap": "loaders.deap",
    "amigos": "loaders.amigos",
    "meld": "loaders.meld",
    "emotify": "loaders.emotify",
    "4q": "loaders.fourq",
    "emopia": "loaders.emopia",
    "pmemo": "loaders.pmemo",
    "deam": "loaders.deam",
    "ravdess": "loaders.ravdess",
    "emodb": "loaders.emodb",
    "iemocap": "loaders.iemocap",
    "vgmidi": "loaders.vgmidi",
}

_LOADERS: dict[str, Callable[..., "Dataset"]] = {}


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class DownloadFile:
    """One file of an open dataset: where to get it and how to check it.

    Taught in ``04_emotion_models_and_datasets``.
    """

    url: str
    filename: str
    sha256: str = ""          # "" when the registry does not know it yet
    size_bytes: int = 0       # 0 when unknown
    extract: bool = False     # unpack (zip / tar) after download
    md5: str = ""             # "" when unknown; the only sum some hosts (Zenodo) publish


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry (see ``datasets/registry.toml``).

    Taught in ``04_emotion_models_and_datasets``.
    """

    name: str
    title: str
    access: str
    modalities: tuple[str, ...]
    labels: tuple[str, ...]
    size: str
    licence: str
    homepage: str
    citation: str
    chapters: tuple[str, ...] = ()
    layout: str = ""
    request_url: str = ""
    files: tuple[DownloadFile, ...] = field(default_factory=tuple)

    def how_to_get(self, root: Path | None = None) -> str:
        """A few sentences telling a user how to get this dataset onto disk."""
        target = root if root is not None else data_dir(self.name, create=False)
        if self.access == "generated":
            return f"'{self.name}' is generated on first use by mer_lessons.data.load('{self.name}')."
        if self.access == "open" and self.files:
            return (f"Download it with mer_lessons.data.fetch('{self.name}') (needs internet; files are "
                    f"checked against their sha256), or place the official files in {target}.")
        if self.access == "open":
            where = self.request_url or self.homepage
            return (f"Download it from {where} (free; the course cannot fetch it automatically), then put "
                    f"the files in {target} laid out as: {self.layout} (or pass root=PATH to load()).")
        where = self.request_url or self.homepage
        return (f"'{self.name}' is distributed under an end-user licence agreement ({self.licence}). "
                f"Request access at {where}, then put the files in {target} laid out as: {self.layout} "
                f"(or pass root=PATH to load()).")


def _registry_text() -> str:
    return (importlib.resources.files("mer_lessons.datasets") / "registry.toml").read_text(encoding="utf-8")


_HEX_DIGITS = {"sha256": 64, "md5": 32}   # a registry sum: "" or this many hexadecimal digits


def _check_download_file(dataset: str, file: DownloadFile) -> None:
    """A ``[[<dataset>.files]]`` entry's sums and size are well formed; else ``DatasetFormatError``."""
    where = f"datasets/registry.toml: [{dataset}] file {file.filename!r}:"
    for kind, digits in _HEX_DIGITS.items():
        value = getattr(file, kind)
        if not isinstance(value, str) or (value.strip() and not re.fullmatch(rf"[0-9a-fA-F]{{{digits}}}",
                                                                             value.strip())):
            raise DatasetFormatError(f"{where} {kind} must be \"\" (unknown) or {digits} hexadecimal "
                                     f"digits, got {value!r}")
    size = file.size_bytes
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise DatasetFormatError(f"{where} size_bytes must be an integer >= 0 (0: unknown), got {size!r}")


def read_registry() -> dict[str, DatasetInfo]:
    """Every registry entry, by dataset name. Raises ``DatasetFormatError`` on a malformed entry.

    Taught in ``04_emotion_models_and_datasets``.
    """
    raw = tomllib.loads(_registry_text())
    entries: dict[str, DatasetInfo] = {}
    for name, table in raw.items():
        try:
            files = tuple(DownloadFile(**f) for f in table.get("files", []))
            for file in files:
                _check_download_file(name, file)
            info = DatasetInfo(
                name=name, title=table["title"], access=table["access"],
                modalities=tuple(table["modalities"]), labels=tuple(table["labels"]), size=table["size"],
                licence=table["licence"], homepage=table["homepage"], citation=table["citation"],
                chapters=tuple(table.get("chapters", ())), layout=table.get("layout", ""),
                request_url=table.get("request_url", ""), files=files,
            )
        except (KeyError, TypeError) as error:
            raise DatasetFormatError(f"datasets/registry.toml: entry [{name}] is malformed ({error})") from error
        if info.access not in ACCESS_LEVELS:
            raise DatasetFormatError(f"datasets/registry.toml: [{name}] access must be one of {ACCESS_LEVELS}")
        entries[name] = info
    return entries


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry of one dataset; ``KeyError`` naming the known ones if unknown.

    Taught in ``04_emotion_models_and_datasets``.
    """
    registry = read_registry()
    key = name.lower()
    if key not in registry:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(registry))}")
    return registry[key]


def card(name: str) -> str:
    """The Markdown card of a dataset (``datasets/<name>.md``).

    Taught in ``06_physiological_signals``.
    """
    dataset_info(name)  # validates the name
    path = importlib.resources.files("mer_lessons.datasets") / f"{name.lower()}.md"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise DatasetFormatError(f"datasets/{name.lower()}.md: the dataset card is missing") from error


def available() -> pd.DataFrame:
    """Every dataset the course knows, one row each: name, title, modalities, labels, size,
    licence, access, chapters, and whether it is on disk in the data directory now.

    Taught in ``04_emotion_models_and_datasets``.
    """
    rows = []
    for info in read_registry().values():
        rows.append({
            "name": info.name,
            "title": info.title,
            "modalities": ", ".join(info.modalities),
            "labels": ", ".join(info.labels),
            "size": info.size,
            "licence": info.licence,
            "access": info.access,
            "chapters": ", ".join(info.chapters),
            "on_disk": _on_disk(info.name),
        })
    return pd.DataFrame(rows).set_index("name")


def _on_disk(name: str) -> bool:
    return has_dataset_files(data_dir(name, create=False))


def has_dataset_files(folder: Path) -> bool:
    """True if ``folder`` holds anything besides bookkeeping (hidden files, unfinished ``.part`` downloads).

    Taught in ``04_emotion_models_and_datasets``.
    """
    folder = Path(folder)
    return folder.is_dir() and any(
        not entry.name.startswith(".") and not entry.name.endswith(".part") for entry in folder.iterdir()
    )


# --------------------------------------------------------------------------- datasets


class Dataset:
    """A dataset as the course uses it: ``len(ds)``, ``ds[i]`` and ``ds.meta``.

    Parameters
    ----------
    name : registry name.
    meta : DataFrame, one row per item; must have an ``id`` column (unique).
    load_item : function ``row -> dict`` reading one item's modalities from disk (or memory).
    label_columns : the columns of ``meta`` copied into every item's ``labels`` dict.
    root : folder the data came from.

    ``ds[i]`` returns ``{"id": ..., <modalities>..., "labels": {...}}``. A file that cannot
    be read raises :class:`DatasetFormatError` naming it; :meth:`validate` checks every
    item and lists the bad ones instead of stopping at the first.

    Taught in ``04_emotion_models_and_datasets``.
    """

    def __init__(self, name: str, meta: pd.DataFrame, load_item: Callable[[pd.Series], dict],
                 *, label_columns: Iterable[str] = (), root: Path | None = None):
        if "id" not in meta.columns:
            raise ValueError(f"{name}: meta needs an 'id' column")
        if meta["id"].duplicated().any():
            dupes = meta.loc[meta["id"].duplicated(), "id"].tolist()[:5]
            raise DatasetFormatError(f"{name}: duplicate item ids in meta, e.g. {dupes}")
        self.name = name
        self.meta = meta.reset_index(drop=True)
        self.label_columns = tuple(label_columns)
        missing = [c for c in self.label_columns if c not in self.meta.columns]
        if missing:
            raise ValueError(f"{name}: label columns {missing} are not in meta")
        self.root = Path(root) if root is not None else None
        self._load_item = load_item

    def __len__(self) -> int:
        return len(self.meta)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{self.name}: index with an int (use ds.subset(...) for many), got {index!r}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.name}: index {index} out of range for {len(self)} items")
        row = self.meta.iloc[int(index)]
        item = {"id": row["id"], **self._load_item(row)}
        item["labels"] = {column: _plain(row[column]) for column in self.label_columns}
        return item

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def subset(self, selection) -> "Dataset":
        """A new dataset with the rows of ``meta`` chosen by a boolean mask or integer positions."""
        selection = np.asarray(selection)
        rows = self.meta[selection] if selection.dtype == bool else self.meta.iloc[selection]
        return Dataset(self.name, rows, self._load_item, label_columns=self.label_columns, root=self.root)

    def validate(self) -> list[tuple[Any, str]]:
        """Load every item; return ``[(id, error message), ...]`` for those that fail."""
        problems = []
        for index in range(len(self)):
            try:
                self[index]
            except (DatasetFormatError, OSError, ValueError) as error:
                problems.append((self.meta.iloc[index]["id"], str(error)))
        return problems

    def __repr__(self) -> str:
        where = f", root={str(self.root)!r}" if self.root is not None else ""
        return f"Dataset({self.name!r}, {len(self)} items, labels={list(self.label_columns)}{where})"


def _plain(value):
    """NumPy scalars to Python scalars, so labels print and compare simply."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- loading


def register_loader(name: str):
    """Decorator: register ``function(root, **options) -> Dataset`` as the loader of ``name``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    def decorate(function):
        _LOADERS[name.lower()] = function
        return function
    return decorate


def _loader(name: str) -> Callable[..., Dataset]:
    key = name.lower()
    if key not in _LOADERS:
        module = LOADER_MODULES.get(key)
        if module is None:
            raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(LOADER_MODULES))}")
        importlib.import_module(f"mer_lessons.data.{module}")
    return _LOADERS[key]


def load(name: str, root: str | Path | None = None, **options) -> Dataset:
    """Load a dataset by name: ``load("mini")``, ``load("deap", root="/data/DEAP")``.

    Generated datasets build themselves (and cache) on first use. Real datasets are read
    from ``root`` (default: ``<data dir>/<name>``); if nothing is there, this fails at once
    with :class:`DatasetNotAvailableError` saying where to get the data and where to put it.
    ``options`` go to the dataset's loader (see its card for what it accepts).

    Taught in ``04_emotion_models_and_datasets``.
    """
    info = dataset_info(name)
    if info.access == "generated":
        return _loader(info.name)(root=Path(root) if root is not None else None, **options)
    folder = Path(root).expanduser() if root is not None else data_dir(info.name, create=False)
    if not has_dataset_files(folder):
        raise DatasetNotAvailableError(f"{info.name}: no data in {folder}. {info.how_to_get(folder)}")
    return _loader(info.name)(root=folder, **options)


def require_file(path: Path, dataset: str, expected: str) -> Path:
    """Return ``path`` if it exists, else raise :class:`DatasetFormatError` saying what was expected.

    Taught in ``04_emotion_models_and_datasets``.
    """
    if not Path(path).exists():
        raise DatasetFormatError(f"{dataset}: {path} is missing; expected {expected}")
    return Path(path)


def require_root(root, dataset: str) -> Path:
    """``root`` as a ``Path`` if it is an existing folder. A folder that does not exist raises
    :class:`DatasetNotAvailableError` (a ``FileNotFoundError``) naming it and saying how to
    get the dataset; a file raises :class:`DatasetFormatError`. Every loader starts with it.

    Taught in ``04_emotion_models_and_datasets``.
    """
    folder = Path(root).expanduser()
    if not folder.exists():
        try:
            how = " " + dataset_info(dataset).how_to_get(folder)
        except KeyError:
            how = ""
        raise DatasetNotAvailableError(f"{dataset}: the folder {folder} does not exist.{how}")
    if not folder.is_dir():
        raise DatasetFormatError(f"{dataset}: {folder} is a file; expected the dataset's folder")
    return folder


def option_names(value, allowed, *, dataset: str, what: str) -> list:
    """A loader option naming one or several choices (``split="train"``,
    ``quadrants=["Q1", "Q2"]``) as a list; a name not in ``allowed`` raises
    :class:`~mer_lessons.validation.UnknownOptionError` (a ``ValueError``)
    ``"<dataset>: unknown <what>(s) [...]; choose from <allowed>"``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    try:
        wanted = [value] if isinstance(value, str) else list(value)
    except TypeError:  # a number, None inside a list is caught below
        raise UnknownOptionError(f"{dataset}: unknown {what}(s) [{value!r}]; choose from {allowed}") from None
    unknown = [v for v in wanted if v not in allowed]
    if unknown:
        raise UnknownOptionError(f"{dataset}: unknown {what}(s) {unknown}; choose from {allowed}")
    return wanted


def warn_skipped(skipped: list[tuple[str, str]], dataset: str, what: str, *, stacklevel: int = 3) -> None:
    """One ``UserWarning`` for the ``(name, reason)`` pairs a loader skipped (none: no warning):
    ``"<dataset>: <n> <what>: <first five names> ... (see ds.skipped)"``. ``stacklevel`` is
    counted from the loader that calls this (3: the code that called ``load``).

    Taught in ``04_emotion_models_and_datasets``.
    """
    if skipped:
        shown = ", ".join(name for name, _ in skipped[:5])
        warnings.warn(f"{dataset}: {len(skipped)} {what}: {shown}{' ...' if len(skipped) > 5 else ''} "
                      "(see ds.skipped)", stacklevel=stacklevel + 1)


def participant_number(value, *, dataset: str, prefix: str, count: int) -> int:
    """A participant given as a number or a name (``3``, ``"03"``, ``"s03"``, ``"S3"`` with
    ``prefix="s"``) -> ``3``; anything else raises ``ValueError`` naming ``dataset`` and
    the accepted forms (``1..<count>`` or ``'<prefix>01'``).

    Taught in ``04_emotion_models_and_datasets``.
    """
    match = re.fullmatch(rf"{re.escape(prefix.lower())}?0*(\d+)", str(value).strip().lower())
    if match is None:
        raise ValueError(f"{dataset}: cannot read {value!r} as a participant (use 1..{count} or '{prefix}01')")
    return int(match.group(1))


def select_participants(found: dict[int, Path], subjects, *, dataset: str, prefix: str, count: int,
                        file_name: str, where: Path) -> dict[int, Path]:
    """The ``subjects=`` option of a per-participant dataset: of ``found`` (participant ->
    file), those asked for (one participant or a list, see :func:`participant_number`),
    in participant order; all of them for ``None``. A participant without a file raises
    :class:`DatasetFormatError` naming the missing files (``file_name.format(number)``,
    e.g. ``"s{:02d}.dat"``) and the folder ``where``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    if subjects is None:
        return found
    asked = [subjects] if isinstance(subjects, (int, str)) else subjects
    wanted = [participant_number(s, dataset=dataset, prefix=prefix, count=count) for s in asked]
    missing = [w for w in wanted if w not in found]
    if missing:
        names = ", ".join(file_name.format(m) for m in missing)
        raise DatasetFormatError(f"{dataset}: {where} has no {names} (asked for by subjects=)")
    return {w: found[w] for w in sorted(set(wanted))}
