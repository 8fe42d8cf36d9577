"""Every public function and class of the package says what it does and ends with the notebook
that teaches it ("Taught in ``05_metrics_and_classical_baselines``.")."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import mer_lessons

NOTEBOOK = re.compile(r"``(\d\d)_[a-z0-9_]+``")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def public_objects():
    for info in pkgutil.walk_packages(mer_lessons.__path__, "mer_lessons."):
        if info.name.startswith("mer_lessons.datasets"):
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj


OBJECTS = dict(public_objects())


def known_notebooks():
    from mer_lessons.papers import PAPERS
    names = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    return names | {paper.CHAPTER for paper in PAPERS.values()}


def test_there_are_public_objects_to_check():
    assert len(OBJECTS) > 200


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_docstring_ends_with_the_notebook_that_teaches_it(name):
    doc = inspect.getdoc(OBJECTS[name])
    assert doc, f"{name} has no docstring"
    last = [p for p in re.split(r"\n\s*\n", doc.strip()) if p.strip()][-1]
    found = NOTEBOOK.findall(last)
    assert found, f"{name}: the docstring's last paragraph does not name a notebook: {last[-160:]!r}"
    taught = {m.group(0).strip("`") for m in NOTEBOOK.finditer(last)}
    unknown = taught - known_notebooks()
    assert not unknown, f"{name} names notebooks that do not exist: {sorted(unknown)}"
