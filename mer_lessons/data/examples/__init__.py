"""Tiny example files in the official format of each real dataset.

``write_example(name, folder)`` writes a few kB that imitate the official download of
dataset ``name`` (its folder layout, file formats and known quirks), so that
``data.load(name, root=folder)`` can be tried and taught without the real, often
restricted, data: on Colab, on Binder, or from a notebook copied alone into a folder::

    from mer_lessons import data
    from mer_lessons.data import examples

    root = examples.write_example("deap", overwrite=True)   # into data_dir("examples", "deap")
    deap = data.load("deap", root=root)

The files are deterministic: the committed test fixtures (``tests/fixtures/<name>/`` in the
repository) are these very files, written by ``tests/fixtures/make_fixtures.py``. They are
examples of the *format*; their signals and ratings are made up.

One module per dataset (``fourq`` for 4Q), each with ``write(root)``; DEAP and AMIGOS also
have ``write_recordings(root, ...)``: longer trials for running whole pipelines.
Taught in ``04_emotion_models_and_datasets`` and ``06_physiological_signals``.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

#: (valence, arousal) centres of the four quadrants on a 1-9 scale (Q1..Q4), cycled over the
#: trials by the ``write_recordings`` of DEAP and AMIGOS.
QUADRANT_CENTRES = [(7.0, 7.0), (3.0, 7.0), (3.0, 3.0), (7.0, 3.0)]

#: dataset name -> writer module in this package
WRITERS = {
    "deap": "deap", "amigos": "amigos", "meld": "meld", "emotify": "emotify", "4q": "fourq",
    "emopia": "emopia", "pmemo": "pmemo", "deam": "deam", "ravdess": "ravdess", "emodb": "emodb",
    "iemocap": "iemocap", "vgmidi": "vgmidi",
}


def available_examples() -> list[str]:
    """Names of the datasets :func:`write_example` can write, in registry spelling.

    Taught in ``04_emotion_models_and_datasets`` and ``06_physiological_signals``.
    """
    return list(WRITERS)


def writer(name: str) -> ModuleType:
    """The writer module of dataset ``name`` (``"4q"``, ``"deap"``, ...).

    Taught in ``04_emotion_models_and_datasets`` and ``06_physiological_signals``.
    """
    key = str(name).lower()
    if key not in WRITERS:
        raise ValueError(f"no example files for dataset {name!r}; choose from {', '.join(WRITERS)}")
    return importlib.import_module(f"{__name__}.{WRITERS[key]}")


def write_example(name: str, folder: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Write the example files of dataset ``name`` into ``folder`` and return ``folder``.

    Parameters
    ----------
    name : str
        A dataset of :func:`available_examples` (``"deap"``, ``"amigos"``, ``"ravdess"``, ...).
    folder : path, optional
        Where to write; created if missing. Default: ``data_dir("examples", name)``, in the
        course's data folder.
    overwrite : bool
        The dataset's top-level entries (``data_preprocessed_python/`` for DEAP ...) that
        already exist in ``folder`` are replaced only when this is true; otherwise a
        ``FileExistsError`` protects them (``folder`` could hold the real dataset). Nothing
        else in ``folder`` is touched.

    Returns
    -------
    Path
        ``folder``: pass it as ``data.load(name, root=folder)``.

    Taught in ``04_emotion_models_and_datasets`` and ``06_physiological_signals``.
    """
    module = writer(name)
    if folder is None:
        from mer_lessons.environment import data_dir

        folder = data_dir("examples", str(name).lower())
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".example-", dir=folder) as tmp:
        staging = Path(tmp) / "root"
        staging.mkdir()
        module.write(staging)
        entries = sorted(staging.iterdir())
        clashes = [entry.name for entry in entries if (folder / entry.name).exists()]
        if clashes and not overwrite:
            raise FileExistsError(
                f"write_example({name!r}): {folder} already holds {', '.join(clashes)}; "
                "pass overwrite=True to replace them, or choose an empty folder")
        for entry in entries:
            target = folder / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            shutil.move(str(entry), str(target))
    return folder


__all__ = ["QUADRANT_CENTRES", "WRITERS", "available_examples", "write_example", "writer"]
