"""The wheel, as Colab and Binder install it (non-editable): every subpackage and every
dataset card ships. Builds the wheel offline with .ci/build_wheel.py (as `make test-colab`)."""

import importlib.util
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _build_wheel_module():
    spec = importlib.util.spec_from_file_location("build_wheel", ROOT / ".ci" / "build_wheel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    wheel = _build_wheel_module().build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_subpackage_of_mer_lessons_is_in_the_wheel(wheel_names):
    packages = sorted(p.parent.relative_to(ROOT) for p in (ROOT / "mer_lessons").rglob("__init__.py")
                      if "__pycache__" not in p.parts)
    assert Path("mer_lessons/models") in packages and Path("mer_lessons/data/examples") in packages
    missing = [str(p) for p in packages if f"{p.as_posix()}/__init__.py" not in wheel_names]
    assert missing == [], f"subpackages missing from the wheel: {missing}"


def test_every_module_of_mer_lessons_is_in_the_wheel(wheel_names):
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "mer_lessons").rglob("*.py")
                     if "__pycache__" not in p.parts and (p.parent / "__init__.py").is_file())
    missing = [m for m in modules if m not in wheel_names]
    assert missing == [], f"modules missing from the wheel: {missing}"


def test_dataset_cards_and_registry_ship_as_mer_lessons_datasets(wheel_names):
    files = sorted(p.name for p in (ROOT / "datasets").iterdir() if p.suffix in (".md", ".toml"))
    assert "registry.toml" in files and "deap.md" in files
    missing = [name for name in files if f"mer_lessons/datasets/{name}" not in wheel_names]
    assert missing == [], f"dataset files missing from the wheel: {missing}"
    assert "mer_lessons/datasets/__init__.py" in wheel_names


def test_the_wheel_holds_no_tests_notebooks_or_top_level_datasets_package(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"mer_lessons"}
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith(".pyc")]
