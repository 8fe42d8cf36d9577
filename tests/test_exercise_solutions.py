"""Every notebook's exercise solutions pass their own auto-checks.

Convention (see ``mer_lessons.check``): an exercise cell starts with
``answer_NN_K = None  # ...`` and calls ``check.exercise("NN.K", answer_NN_K, ...)``; the
notebook's markdown "Solutions" cell (``<details><summary>Solutions</summary> ...``) holds one
fenced ``python`` block per exercise that assigns ``answer_NN_K``.

Two tests per notebook:

* ``test_every_exercise_has_one_solution`` (fast): exercises and solution blocks match one to one.
* ``test_solutions_pass_their_checks``: a copy of the notebook with each ``answer_NN_K = None``
  line replaced by its solution runs in smoke mode (``SMOKE=True``, papermill, as
  ``python -m mer_lessons.course run --smoke``) with ``MER_LESSONS_STRICT_EXERCISES=1``, so a
  solution that its check rejects fails the run, naming the notebook and the exercise.

Run one notebook's: ``pytest tests/test_exercise_solutions.py -k 05_``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mer_lessons import check, course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = course.list_notebooks(ROOT / "notebooks")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def with_solutions(nb: dict) -> tuple[dict, list[str]]:
    """A copy of ``nb`` whose exercise lines are replaced by their solutions, and the names replaced."""
    solutions = {name: code for names, code in course.solution_blocks(nb) for name in names}
    nb = json.loads(json.dumps(nb))
    replaced: list[str] = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

        def substitute(match):
            name = match.group(1)
            replaced.append(name)
            return textwrap.dedent(solutions[name]).rstrip("\n")

        cell["source"] = course.EXERCISE_LINE.sub(substitute, source)
        cell["outputs"], cell["execution_count"] = [], None
    return nb, replaced


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_one_solution(notebook):
    nb = _load(notebook)
    assert course.exercise_answers(nb), f"{notebook.name}: no exercise cell starting with 'answer_NN_K = None'"
    assert course.solution_problems(nb) == [], notebook.name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pass_their_checks(notebook, tmp_path):
    nb = _load(notebook)
    if course.solution_problems(nb) or not course.exercise_answers(nb):
        pytest.skip(f"{notebook.name}: exercises and solutions do not match (see the test above)")
    solved, replaced = with_solutions(nb)
    assert sorted(replaced) == sorted(course.exercise_answers(nb))
    copy = tmp_path / notebook.name
    copy.write_text(json.dumps(solved), encoding="utf-8")
    # the copy runs in the notebooks folder, as `course run` runs the original
    with course.current_python_kernel({check.STRICT_VARIABLE: "1"}) as kernel:
        result = course.run_notebook(copy, tmp_path / "executed" / notebook.name, {"SMOKE": True},
                                     kernel_name=kernel, cwd=notebook.parent, cell_timeout=300)
    assert result.error is None, (
        f"{notebook.name} with its solutions failed in smoke mode: {result.failure_line()}")


def test_substitution_replaces_only_the_exercise_line():
    nb = {"cells": [
        {"cell_type": "code", "source": 'answer_05_1 = None  # a number\ncheck.exercise("05.1", answer_05_1, expected=1)'},
        {"cell_type": "markdown", "source": "<details><summary>Solutions</summary>\n\n- 05.1: one.\n"
                                            "```python\nanswer_05_1 = 7 / 7\n```\n</details>"},
    ]}
    assert course.solution_problems(nb) == []
    solved, replaced = with_solutions(nb)
    assert replaced == ["answer_05_1"]
    assert solved["cells"][0]["source"] == 'answer_05_1 = 7 / 7\ncheck.exercise("05.1", answer_05_1, expected=1)'


def test_missing_extra_and_duplicate_solutions_are_reported():
    nb = {"cells": [
        {"cell_type": "code", "source": "answer_01_1 = None\nanswer_01_2 = None  # x"},
        {"cell_type": "markdown", "source": "<summary>Solutions</summary>\n```python\nanswer_01_1 = 1\n```\n"
                                            "```python\nanswer_01_1 = 2\n```\n```python\nanswer_01_9 = 3\n```\n"
                                            "```python\nprint(1)\n```"},
    ]}
    problems = "\n".join(course.solution_problems(nb))
    assert "answer_01_1 needs exactly one" in problems and "(found 2)" in problems
    assert "answer_01_2 needs exactly one" in problems and "(found 0)" in problems
    assert "solution answer_01_9 has no exercise" in problems
    assert "assigns no answer_NN_K" in problems


def test_a_wrong_solution_fails_the_strict_run_naming_the_exercise(tmp_path):
    """End to end on a tiny notebook: the kernel gets strict mode, so a wrong solution fails the run."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                          "language": "python"}},
          "cells": [
              {"id": "p", "cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "SMOKE = False", "outputs": [],
               "execution_count": None},
              {"id": "e", "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
               "source": 'from mer_lessons import check\nanswer_99_1 = None  # a number\n'
                         'check.exercise("99.1", answer_99_1, expected=7 / 15, atol=0.005)'},
              {"id": "s", "cell_type": "markdown", "metadata": {}, "source": "<details><summary>Solutions</summary>\n\n"
                                                                  "```python\nanswer_99_1 = 0.5\n```\n</details>"},
          ]}
    solved, _ = with_solutions(nb)
    path = tmp_path / "99_fixture.ipynb"
    path.write_text(json.dumps(solved), encoding="utf-8")
    with course.current_python_kernel({check.STRICT_VARIABLE: "1"}) as kernel:
        result = course.run_notebook(path, tmp_path / "out.ipynb", {"SMOKE": True}, kernel_name=kernel)
    assert result.error is not None and result.error["ename"] == "AssertionError"
    assert "exercise 99.1: answer 0.5 was not accepted" in result.error["evalue"]
