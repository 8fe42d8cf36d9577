"""The repository frame: files a fresh clone needs, pinned requirements, Binder, CI."""

import json
import os
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _requirements(path: Path) -> list[str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("-e ", "--"))]


def test_top_level_layout_exists():
    for name in ("README.md", "requirements.txt", "pyproject.toml", "Makefile", "LICENSE",
                 "LICENSE-CONTENT.md", ".ci/run", "notebooks", "mer_lessons", "datasets", "tests", "binder"):
        assert (ROOT / name).exists(), f"{name} is missing"
    assert os.access(ROOT / ".ci" / "run", os.X_OK), ".ci/run must be executable"
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK), "binder/postBuild must be executable"


def test_requirements_are_pinned_and_torch_is_the_cpu_pin():
    pins = _requirements(ROOT / "requirements.txt")
    unpinned = [line for line in pins if "==" not in line]
    assert unpinned == [], f"unpinned requirements: {unpinned}"
    assert "torch==2.13.0" in pins
    names = {re.split(r"[=<>\[]", line)[0].lower() for line in pins}
    for needed in ("jupyterlab", "ipywidgets", "librosa", "matplotlib", "plotly", "scikit-learn",
                   "transformers", "nbval", "papermill", "tqdm"):
        assert needed in names, f"{needed} missing from requirements.txt"
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines(), "the package itself must be installed"


def test_binder_requirements_match_the_pinned_set():
    assert _requirements(ROOT / "binder" / "requirements.txt") == _requirements(ROOT / "requirements.txt")
    assert "download.pytorch.org/whl/cpu" in (ROOT / "binder" / "requirements.txt").read_text()


def test_package_dependencies_stay_loose_and_extras_hold_the_chapter_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if "==" in d], "the package must not pin (Colab keeps its torch)"
    extras = project["optional-dependencies"]
    for extra in ("text", "music", "physio", "vision", "smile", "all"):
        assert extra in extras
    assert any(d.startswith("opencv-python-headless") and "<5" in d for d in extras["vision"])


def test_makefile_offers_the_two_commands_of_the_quick_start():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^course:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start")[1].split("##")[0]
    assert "make course" in quick_start and "make test" in quick_start


def test_ci_runs_make_test_with_caches_in_a_temporary_folder():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test" in script
    for variable in ("PIP_CACHE_DIR", "XDG_CACHE_HOME", "MPLCONFIGDIR", "MER_LESSONS_DATA"):
        assert variable in script
    assert "binder/apt.txt" in script


def test_colab_bootstrap_installs_an_extra_that_exists():
    from mer_lessons import course

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    source = course.bootstrap_source(course.load_settings(ROOT))
    assert 'f"mer_lessons[colab] @ git+{repo}@{ref}"' in source and '"https://github.com/' in source
    assert "colab" in extras and "torch" not in " ".join(extras["colab"])  # Colab keeps its own torch


def test_system_packages_are_listed_once_for_binder_and_ci():
    packages = [line.strip() for line in (ROOT / "binder" / "apt.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert "libfluidsynth3" in packages


def test_the_shipped_syllabus_lists_the_notebooks_in_order_with_their_titles():
    from mer_lessons import course

    names = [path.name for path in course.list_notebooks(ROOT / "notebooks")]
    assert [name for name, _ in course.syllabus()] == names, (
        "mer_lessons.course.SYLLABUS must list notebooks/ in order (it ships with the package)")
    readme = (ROOT / "README.md").read_text()
    for name, title in course.syllabus():
        first = json.loads((ROOT / "notebooks" / name).read_text())["cells"][0]
        heading = "".join(first["source"]).splitlines()[0]
        assert heading.endswith(title), f"{name}: title {heading!r}, SYLLABUS says {title!r}"
        assert name in readme


def test_notebooks_do_not_reach_into_the_repository():
    """On Colab a notebook sits alone in a folder: no repository paths, no find_repo_root."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        for needle in ("find_repo_root", "tests/fixtures", '"tests"', "../"):
            assert needle not in code, f"{path.name} uses {needle!r}"


def test_setuptools_discovers_the_packages():
    assert "packages" not in tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("setuptools", {})
    assert 'find_packages(include=["mer_lessons", "mer_lessons.*"])' in (ROOT / "setup.py").read_text()


def test_the_cpu_policy_is_set_wherever_a_notebook_runs():
    assert re.search(r"^export OMP_WAIT_POLICY \?= PASSIVE$", (ROOT / "Makefile").read_text(), re.M)
    assert 'export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"' in (ROOT / ".ci" / "run").read_text()
    start = ROOT / "binder" / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable"
    text = start.read_text()
    assert "mer_lessons.course cpu --export" in text and text.rstrip().endswith('exec "$@"')


def test_make_test_includes_the_colab_style_run():
    makefile = (ROOT / "Makefile").read_text()
    test_line = re.search(r"^test:(.*)$", makefile, re.M).group(1)
    assert "test-colab" in test_line.split()
    script = (ROOT / ".ci" / "test-colab").read_text()
    for needle in ("--isolated", "--smoke", "-m venv", "build_wheel.py", "2.13.0"):
        assert needle in script
    assert "--system-site-packages" not in script


def _ci_module(name: str):
    """Import a script of .ci/ (not a package) by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"ci_{name}", ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_runs_the_browser_and_binder_checks_with_debian_chromium():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test test-browser test-binder ", script, re.M)
    assert "chromium chromium-driver" in script
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test-browser:.*\n(?:\t.*\n)*\t\$\(PY\) \.ci/browser_check\.py", makefile, re.M)
    assert re.search(r"^test-binder:.*\n(?:\t.*\n)*\t\$\(PY\) \.ci/binder_check\.py", makefile, re.M)
    assert re.search(r"^selenium==[\d.]+$", (ROOT / "requirements-browser.txt").read_text(), re.M)


#: The parts of the Dockerfile repo2docker 2026.4 prints for this repository (--no-build --debug).
_DOCKERFILE = """Building conda environment for python=3.11
RUN apt-get -qq update && \\
apt-get install --yes --no-install-recommends libfluidsynth3 && \\
apt-get -qq purge
RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"
RUN chmod +x binder/postBuild
RUN ./binder/postBuild
ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"
"""


def test_binder_check_accepts_what_repo2docker_detects_and_names_what_it_misses():
    binder_check = _ci_module("binder_check")
    assert binder_check.check_dockerfile(_DOCKERFILE) == []
    broken = {
        "python=3.11": "python=3.10",
        "libfluidsynth3 &&": "&&",
        "RUN ./binder/postBuild": "",
        'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"': "",
    }
    expected = ("Python 3.11", "libfluidsynth3", "postBuild is not run", "binder/start")
    for (old, new), words in zip(broken.items(), expected):
        problems = binder_check.check_dockerfile(_DOCKERFILE.replace(old, new))
        assert len(problems) == 1 and words in problems[0], (old, problems)


def test_browser_check_waits_and_names_what_it_waited_for():
    browser_check = _ci_module("browser_check")
    assert browser_check.wait_for(lambda: 3, 1, "a number") == 3
    with pytest.raises(browser_check.BrowserCheckFailed, match="waiting for the kernel"):
        browser_check.wait_for(lambda: None, 0.05, "the kernel", interval=0.01)
