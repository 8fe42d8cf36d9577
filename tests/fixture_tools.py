"""Shared scaffolding of the dataset-loader tests (tests/test_data_<name>.py).

Plain functions, imported as ``from fixture_tools import ...`` (pytest's default "prepend"
import mode puts ``tests/`` on ``sys.path`` for the test files there):

* :data:`FIXTURES` / :func:`fixture_path` -- the committed fixtures, ``tests/fixtures/<name>``;
* :func:`load_writer` / :func:`make_fixtures` -- a writer module (``mer_lessons.data.examples``,
  the package's example-file writers) and ``tests/fixtures/make_fixtures.py``;
* :func:`copy_fixture` -- a writable copy of a fixture under ``tmp_path``; :func:`copy_fixture_for`
  and :func:`dataset_fixture` make a test module's ``copy`` and ``ds`` fixtures::

      copy = copy_fixture_for("meld", "MELD.Raw")   # fixture "copy": a copy of MELD.Raw/
      ds = dataset_fixture("pmemo")                  # module fixture "ds": the loaded fixture

* :func:`load_quietly` / :func:`quiet_loader` -- ``data.load`` with the loaders' warnings silenced;
* :func:`file_bytes` / :func:`assert_writer_deterministic` -- the fixture writer writes the
  same bytes twice and what ``tests/fixtures/<name>`` holds;
* :func:`assert_not_available` -- ``data.load`` of an empty folder says where to get the data;
* :func:`registry_entry` / :func:`card_text` -- a dataset's registry entry and card;
* :func:`smoke_run_text` -- run one chapter in smoke mode with parameters (a real dataset's
  fixture) and return the text its cells printed.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import warnings
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

from mer_lessons import data

#: The committed fixtures: ``tests/fixtures/<dataset name>/`` (written by ``make_fixtures.py``
#: with the package's writers, ``mer_lessons.data.examples``).
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: ``compare=`` values of :func:`assert_writer_deterministic`.
BYTES = "bytes"   # the same file names and the same bytes in every file
NAMES = "names"   # the same file names only


def fixture_path(name: str) -> Path:
    """The committed fixture of dataset ``name`` (``"4q"``, ``"deap"``, ...)."""
    return FIXTURES / name


def load_writer(module_name: str) -> ModuleType:
    """The writer module ``mer_lessons.data.examples.<module_name>`` (``"fourq"`` for 4Q)."""
    return importlib.import_module(f"mer_lessons.data.examples.{module_name}")


def make_fixtures() -> ModuleType:
    """``tests/fixtures/make_fixtures.py`` as a module (``write_fixture``, ``WRITERS``)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_fixture(name: str, tmp_path: Path, inner: str | None = None) -> Path:
    """Copy the fixture of ``name`` to ``tmp_path/<name>``; return that folder, or its
    subfolder ``inner`` (the dataset's own top folder, e.g. ``"MELD.Raw"``)."""
    target = tmp_path / name
    shutil.copytree(fixture_path(name), target)
    return target / inner if inner else target


def copy_fixture_for(name: str, inner: str | None = None):
    """A pytest fixture named ``copy``: :func:`copy_fixture` of ``name`` (and ``inner``) into
    the test's ``tmp_path``. Assign it in the test module: ``copy = copy_fixture_for("4q")``."""

    @pytest.fixture(name="copy")
    def copy(tmp_path):
        return copy_fixture(name, tmp_path, inner)

    return copy


def dataset_fixture(name: str):
    """A module-scoped pytest fixture named ``ds``: ``data.load(name)`` of the committed
    fixture. Assign it in the test module: ``ds = dataset_fixture("deam")``."""

    @pytest.fixture(name="ds", scope="module")
    def ds():
        return data.load(name, root=fixture_path(name))

    return ds


def load_quietly(name: str, root: Path, **options) -> data.Dataset:
    """``data.load(name, root=root, **options)`` with warnings (skipped files ...) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load(name, root=root, **options)


def quiet_loader(name: str) -> Callable[..., data.Dataset]:
    """``load(root=<the committed fixture>, **options)``: :func:`load_quietly` for dataset ``name``."""

    def load(root: Path = fixture_path(name), **options) -> data.Dataset:
        return load_quietly(name, root, **options)

    return load


def file_bytes(root: Path) -> dict[str, bytes]:
    """``{path relative to root: bytes}`` of every file below ``root``, sorted by path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_writer_deterministic(name: str, tmp_path: Path, *,
                                compare: str | Callable[[str], bool] | None = BYTES) -> Path:
    """Write the fixture of dataset ``name`` twice (``make_fixtures.write_fixture`` into
    ``tmp_path/a`` and ``tmp_path/b``), assert both hold the same files with the same bytes,
    then compare the first with the committed ``tests/fixtures/<name>``:

    * ``BYTES`` (``"bytes"``): the same file names, every file byte for byte;
    * a callable ``(relative path) -> bool``: the same file names, and the bytes of the files
      it selects (text and MIDI files: audio and MATLAB bytes may vary with library versions);
    * ``NAMES`` (``"names"``): the same file names only;
    * ``None``: nothing (the caller compares the loaded data instead).

    Returns the first written folder (``tmp_path/a``).
    """
    make = make_fixtures()
    first_root = make.write_fixture(name, tmp_path / "a")
    first = file_bytes(first_root)
    second = file_bytes(make.write_fixture(name, tmp_path / "b"))
    assert sorted(first) == sorted(second), f"the {name} writer wrote other files the second time"
    for path, content in first.items():
        assert content == second[path], f"the {name} writer is not deterministic: {path}"
    if compare is None:
        return first_root
    committed = file_bytes(fixture_path(name))
    assert set(committed) == set(first), (
        f"tests/fixtures/{name} is stale (files differ): rerun make_fixtures.py {name}")
    if compare == NAMES:
        return first_root
    selected = (lambda path: True) if compare == BYTES else compare
    if not callable(selected):
        raise ValueError(f"compare must be {BYTES!r}, {NAMES!r}, None or a callable, not {compare!r}")
    for path, content in first.items():
        if selected(path):
            assert committed[path] == content, f"tests/fixtures/{name}/{path} is stale: rerun make_fixtures.py {name}"
    return first_root


def suffix_in(*suffixes: str) -> Callable[[str], bool]:
    """A ``compare=`` selector: the files whose suffix is one of ``suffixes`` (``".csv"``)."""
    return lambda path: Path(path).suffix in suffixes


def assert_not_available(name: str, root: Path, match: str) -> None:
    """``data.load(name, root=root)`` of a folder without the dataset raises
    ``DatasetNotAvailableError`` whose message matches ``match`` (where to get the data)."""
    with pytest.raises(data.DatasetNotAvailableError, match=match):
        data.load(name, root=root)


def registry_entry(name: str, access: str, *, modalities=(), chapters=()):
    """``data.dataset_info(name)``, asserting its access level and that it lists
    ``modalities`` and ``chapters`` (among others)."""
    info = data.dataset_info(name)
    assert info.access == access
    assert set(modalities) <= set(info.modalities), f"{name}: modalities {info.modalities}"
    assert set(chapters) <= set(info.chapters), f"{name}: chapters {info.chapters}"
    return info


def card_text(name: str, *needles: str) -> str:
    """``data.card(name)``, asserting each of ``needles`` appears in it."""
    text = data.card(name)
    for needle in needles:
        assert needle in text, f"the {name} card does not mention {needle!r}"
    return text


def smoke_run_text(number: str, tmp_path: Path, **parameters) -> str:
    """Run notebook ``number`` (e.g. ``"11"``) with ``SMOKE=True`` and ``parameters`` (``-p KEY VALUE``
    each) through ``course run``, assert it passed, and return the text of its cells' outputs."""
    import json

    import nbformat

    from mer_lessons import course

    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    out = tmp_path / "out"
    args = ["run", "--smoke", "--notebooks", str(notebooks), "--only", number, "--out", str(out), "--no-progress"]
    for key, value in parameters.items():
        args += ["-p", key, str(value)]
    code = course.main(args)
    report = json.loads((out / "report.json").read_text())
    assert code == 0, report["results"]
    (path,) = [out / r["notebook"] for r in report["results"]]
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
