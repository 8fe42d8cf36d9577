"""mer_lessons.course run: the papermill course runner, on small fixture notebooks."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mer_lessons import course

PARAMETERS = 'SMOKE = False\nSEED = 0\nDEVICE = "auto"\nEPOCHS = 3\nLABEL = "default"'


def _write(folder: Path, name: str, *cells) -> Path:
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}"), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def fixture_notebooks(tmp_path):
    """00 passes and echoes its parameters, 01 fails in its third cell, 02 passes."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _write(folder, "00_passes.ipynb",
           new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
           new_code_cell('print(f"SMOKE={SMOKE} EPOCHS={EPOCHS!r} LABEL={LABEL!r}")'),
           new_code_cell('import os; print("cwd=" + os.getcwd())'))
    _write(folder, "01_fails.ipynb",
           new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
           new_code_cell("x = 1"),
           new_code_cell('raise ValueError("boom in the third cell")'),
           new_code_cell('print("never reached")'))
    _write(folder, "02_passes_too.ipynb",
           new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
           new_code_cell("print(SEED * 2)"))
    (folder / "scratch.ipynb").write_text("{}")  # not a course notebook: ignored
    return folder


def _outputs(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def test_list_and_select_notebooks(fixture_notebooks):
    names = [p.name for p in course.list_notebooks(fixture_notebooks)]
    assert names == ["00_passes.ipynb", "01_fails.ipynb", "02_passes_too.ipynb"]
    chosen = course.select_notebooks(course.list_notebooks(fixture_notebooks), ["02", "0"])
    assert [p.name for p in chosen] == ["00_passes.ipynb", "02_passes_too.ipynb"]
    with pytest.raises(ValueError, match="'07' matches no notebook"):
        course.select_notebooks(course.list_notebooks(fixture_notebooks), ["07"])


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("0.5", 0.5), ("True", True), ("false", False), ("'deap'", "deap"),
    ("deap", "deap"), ("[1, 2]", [1, 2]), ("cuda:0", "cuda:0"),
])
def test_parameter_values_are_read_as_literals(text, value):
    assert course.parse_parameter_value(text) == value


def test_successful_run_injects_parameters_and_writes_the_report(fixture_notebooks, tmp_path, capsys):
    out = tmp_path / "out"
    code = course.main(["run", "--notebooks", str(fixture_notebooks), "--only", "00",
                        "--out", str(out), "-p", "EPOCHS", "7", "-p", "LABEL", "deap", "--no-progress"])
    assert code == 0
    text = _outputs(out / "00_passes.ipynb")
    assert "SMOKE=False EPOCHS=7 LABEL='deap'" in text
    assert f"cwd={fixture_notebooks}" in text  # runs in the notebook's own folder
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] == 1 and report["failed"] == 0
    assert report["parameters"] == {"EPOCHS": 7, "LABEL": "deap"}
    entry = report["results"][0]
    assert entry["notebook"] == "00_passes.ipynb" and entry["status"] == "passed" and entry["seconds"] > 0
    assert "| 00_passes.ipynb | passed |" in (out / "report.md").read_text()
    assert "custom: 1 passed, 0 failed" in capsys.readouterr().out


def test_smoke_flag_injects_smoke_true(fixture_notebooks, tmp_path):
    out = tmp_path / "smoke"
    assert course.main(["run", "--smoke", "--notebooks", str(fixture_notebooks), "--only", "00",
                        "--out", str(out), "--no-progress"]) == 0
    assert "SMOKE=True EPOCHS=3" in _outputs(out / "00_passes.ipynb")
    assert json.loads((out / "report.json").read_text())["mode"] == "smoke"


def test_failing_cell_is_named_and_the_rest_still_runs(fixture_notebooks, tmp_path, capsys):
    out = tmp_path / "out"
    code = course.main(["run", "--notebooks", str(fixture_notebooks), "--out", str(out), "--no-progress"])
    assert code == 1
    captured = capsys.readouterr()
    assert "FAILED 01_fails.ipynb at cell 3 (In [3]): ValueError: boom in the third cell" in captured.err
    assert "default: 2 passed, 1 failed" in captured.out
    report = json.loads((out / "report.json").read_text())
    statuses = {r["notebook"]: r["status"] for r in report["results"]}
    assert statuses == {"00_passes.ipynb": "passed", "01_fails.ipynb": "failed", "02_passes_too.ipynb": "passed"}
    failed = report["results"][1]["error"]
    assert failed["cell_index"] == 3 and failed["ename"] == "ValueError"
    assert (out / "01_fails.ipynb").exists()  # the executed notebook shows the traceback
    assert "failed" in (out / "report.md").read_text()


def test_fail_fast_stops_at_the_first_failure(fixture_notebooks, tmp_path):
    out = tmp_path / "out"
    assert course.main(["run", "--notebooks", str(fixture_notebooks), "--out", str(out),
                        "--fail-fast", "--no-progress"]) == 1
    report = json.loads((out / "report.json").read_text())
    assert [r["notebook"] for r in report["results"]] == ["00_passes.ipynb", "01_fails.ipynb"]


def test_unknown_parameter_is_warned_about(fixture_notebooks, tmp_path, capsys):
    course.main(["run", "--notebooks", str(fixture_notebooks), "--only", "02",
                 "--out", str(tmp_path / "o"), "-p", "EPOCH", "1", "--no-progress"])
    assert "02_passes_too.ipynb has no parameter named EPOCH" in capsys.readouterr().err


def test_inplace_writes_outputs_back_without_timing_metadata(fixture_notebooks, tmp_path):
    source = fixture_notebooks / "02_passes_too.ipynb"
    assert course.main(["run", "--inplace", "--notebooks", str(fixture_notebooks), "--only", "02",
                        "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    nb = json.loads(source.read_text())
    assert [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"] == [1, 2]
    assert "0" in _outputs(source)
    assert "papermill" not in nb["metadata"]
    assert all("papermill" not in c["metadata"] and "execution" not in c["metadata"] for c in nb["cells"])


def test_inplace_refuses_smoke_or_parameters(fixture_notebooks, tmp_path, capsys):
    assert course.main(["run", "--inplace", "--smoke", "--notebooks", str(fixture_notebooks)]) == 2
    assert "--inplace" in capsys.readouterr().err


def test_command_line_exit_code_and_message(fixture_notebooks, tmp_path):
    """The real `python -m mer_lessons.course run` process, as CI calls it."""
    result = subprocess.run(
        [sys.executable, "-m", "mer_lessons.course", "run", "--notebooks", str(fixture_notebooks),
         "--only", "01", "--out", str(tmp_path / "cli"), "--no-progress"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert "FAILED 01_fails.ipynb at cell 3" in result.stderr
    assert "0 passed, 1 failed" in result.stdout


def test_missing_notebook_folder_is_a_usage_error(tmp_path, capsys):
    assert course.main(["run", "--notebooks", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_isolated_run_copies_each_notebook_alone_into_an_empty_folder(tmp_path, capsys):
    """--isolated, as on Colab: the kernel's working directory holds the notebook and nothing
    else, is not the notebook's own folder, and a single notebook file can be given."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "neighbour.txt").write_text("in the repository, not beside the notebook on Colab")
    _write(folder, "00_alone.ipynb",
           new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
           new_code_cell('import os; print("cwd=" + os.getcwd()); print("files=" + ",".join(sorted(os.listdir())))'))
    out = tmp_path / "out"
    assert course.main(["run", "--smoke", "--isolated", "--notebooks", str(folder / "00_alone.ipynb"),
                        "--out", str(out), "--no-progress"]) == 0
    text = _outputs(out / "00_alone.ipynb")
    assert "files=00_alone.ipynb\n" in text
    cwd = Path(text.split("cwd=")[1].splitlines()[0])
    assert cwd != folder and not cwd.exists()  # a temporary folder, removed afterwards
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "smoke, isolated" and report["passed"] == 1


def test_inplace_refuses_isolated(fixture_notebooks, capsys):
    assert course.main(["run", "--inplace", "--isolated", "--notebooks", str(fixture_notebooks)]) == 2
    assert "--isolated" in capsys.readouterr().err


def test_kernels_get_the_cpu_policy_in_their_environment(tmp_path, monkeypatch):
    """The runner's kernelspec carries the CPU policy, so a notebook that imports torch before
    mer_lessons still starts with OMP_WAIT_POLICY=PASSIVE."""
    from mer_lessons import cpu

    with course.current_python_kernel():
        spec_dir = Path(course.os.environ["JUPYTER_PATH"].split(course.os.pathsep)[0]) / "kernels" / "python3"
        spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["env"]["OMP_WAIT_POLICY"] == course.os.environ["OMP_WAIT_POLICY"]
    for name in cpu.THREAD_VARIABLES:
        assert int(spec["env"][name]) >= 1
    folder = tmp_path / "nb"
    folder.mkdir()
    _write(folder, "00_env.ipynb",
           new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
           new_code_cell('import os; print("policy=" + os.environ.get("OMP_WAIT_POLICY", "unset"))'))
    monkeypatch.delenv("OMP_WAIT_POLICY")  # as if the runner's own environment lacked it
    assert course.main(["run", "--notebooks", str(folder), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "policy=PASSIVE" in _outputs(tmp_path / "out" / "00_env.ipynb")


def test_list_without_the_repository_prints_the_shipped_syllabus(tmp_path, monkeypatch, capsys):
    def no_repository(start=None):
        raise FileNotFoundError("no course repository found")

    monkeypatch.setattr(course, "find_repo_root", no_repository)
    assert course.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [name for name, _ in course.SYLLABUS]


def test_cpu_command_prints_the_policy_and_export_lines(capsys):
    assert course.main(["cpu"]) == 0
    assert "OMP_WAIT_POLICY=" in capsys.readouterr().out
    assert course.main(["cpu", "--export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "export OMP_WAIT_POLICY=" + course.os.environ["OMP_WAIT_POLICY"] in lines
    assert all(line.startswith("export ") for line in lines)
