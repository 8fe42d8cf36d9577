"""mer_lessons.environment: seeds, device choice, versions, data directory."""

import io
import random

import numpy as np
import pytest
import torch

import mer_lessons
from mer_lessons import environment


def _draws():
    return random.random(), np.random.rand(3), torch.rand(3)


def test_same_seed_gives_same_draws_in_python_numpy_and_torch():
    mer_lessons.set_seed(123)
    first = _draws()
    mer_lessons.set_seed(123)
    second = _draws()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_different_seeds_give_different_draws():
    mer_lessons.set_seed(1)
    first = _draws()
    mer_lessons.set_seed(2)
    second = _draws()
    assert first[0] != second[0]
    assert not np.array_equal(first[1], second[1])
    assert not torch.equal(first[2], second[2])


def test_set_seed_returns_a_seeded_generator():
    a = mer_lessons.set_seed(7).normal(size=5)
    b = mer_lessons.set_seed(7).normal(size=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mer_lessons.set_seed(8).normal(size=5))


def test_seeded_model_initialisation_is_reproducible():
    mer_lessons.set_seed(0)
    w1 = torch.nn.Linear(8, 4).weight.detach().clone()
    mer_lessons.set_seed(0)
    w2 = torch.nn.Linear(8, 4).weight.detach().clone()
    assert torch.equal(w1, w2)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True, None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        mer_lessons.set_seed(bad)


def test_auto_device_on_cpu_prints_the_colab_hint(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(environment, "_mps_available", lambda _torch: False)
    device = mer_lessons.get_device("auto")
    assert device == torch.device("cpu")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Colab" in out and "GPU" in out


def test_quiet_cpu_device_prints_nothing(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mer_lessons.get_device("cpu", verbose=False).type == "cpu"
    assert capsys.readouterr().out == ""


def test_auto_prefers_cuda_then_mps(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(environment, "_mps_available", lambda _torch: True)
    assert mer_lessons.get_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mer_lessons.get_device("auto").type == "mps"
    assert capsys.readouterr().out == ""  # the hint is for the CPU only


def test_explicit_cpu_wins_even_with_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert mer_lessons.get_device("cpu", verbose=False).type == "cpu"
    assert mer_lessons.get_device(torch.device("cpu"), verbose=False).type == "cpu"


def test_requested_cuda_without_gpu_fails_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA GPU.*Colab"):
        mer_lessons.get_device("cuda")


def test_requested_cuda_index_beyond_device_count_fails(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert mer_lessons.get_device("cuda:0").index == 0
    with pytest.raises(RuntimeError, match="only 1 CUDA device"):
        mer_lessons.get_device("cuda:3")


def test_requested_mps_without_metal_fails_clearly(monkeypatch):
    monkeypatch.setattr(environment, "_mps_available", lambda _torch: False)
    with pytest.raises(RuntimeError, match="mps"):
        mer_lessons.get_device("mps")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "cuda:x", "cpu:1", ""])
def test_unknown_device_names_are_rejected(bad):
    with pytest.raises(ValueError, match="unknown device"):
        mer_lessons.get_device(bad)


def test_non_string_preference_is_rejected():
    with pytest.raises(TypeError):
        mer_lessons.get_device(0)


def test_show_versions_reports_python_packages_and_device():
    buffer = io.StringIO()
    info = mer_lessons.show_versions(file=buffer)
    assert info["numpy"] == np.__version__
    assert info["torch"] == torch.__version__
    assert info["mer_lessons"] == mer_lessons.__version__
    assert info["device"].startswith(("cpu", "cuda", "mps"))
    text = buffer.getvalue()
    assert all(key in text for key in ("python", "librosa", "device"))


def test_show_versions_marks_missing_packages(monkeypatch):
    monkeypatch.setattr(environment, "REPORTED_PACKAGES", ("numpy", "surely-not-a-real-package-xyz"))
    info = mer_lessons.show_versions(file=io.StringIO())
    assert info["surely-not-a-real-package-xyz"] == "not installed"


def test_data_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("MER_LESSONS_DATA", str(tmp_path / "course-data"))
    path = mer_lessons.data_dir("mini", "audio")
    assert path == tmp_path / "course-data" / "mini" / "audio"
    assert path.is_dir()


def test_data_dir_defaults_to_the_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("MER_LESSONS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mer_lessons.data_dir(create=False) == tmp_path / ".cache" / "mer_lessons"
    assert not (tmp_path / ".cache").exists()  # create=False creates nothing


def test_data_dir_that_is_a_file_is_a_clear_error(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MER_LESSONS_DATA", str(blocker))
    with pytest.raises(NotADirectoryError, match="MER_LESSONS_DATA"):
        mer_lessons.data_dir()


def test_on_colab_is_false_here():
    assert mer_lessons.on_colab() is False


# --------------------------------------------------------------------------- CPU policy

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from mer_lessons import cpu  # noqa: E402


@pytest.fixture()
def fake_machine(monkeypatch, tmp_path):
    """A machine with 8 CPUs, 4 of them in the affinity mask, and a cgroup tree in tmp_path.

    Returns ``(cgroup root, /proc/self/cgroup file)``; write cpu.max etc. under the root."""
    root, proc = tmp_path / "sys_fs_cgroup", tmp_path / "proc_self_cgroup"
    root.mkdir()
    proc.write_text("0::/\n")
    monkeypatch.setattr(cpu, "CGROUP_ROOT", root)
    monkeypatch.setattr(cpu, "PROC_SELF_CGROUP", proc)
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(cpu.os, "cpu_count", lambda: 8)
    return root, proc


def test_without_a_quota_usable_cpus_is_the_affinity_mask(fake_machine):
    root, _ = fake_machine
    (root / "cpu.max").write_text("max 100000\n")
    assert cpu.cgroup_cpu_limit() is None
    assert cpu.usable_cpus() == 4


def test_a_quota_of_one_and_a_half_cpus_gives_one(fake_machine):
    root, _ = fake_machine
    (root / "cpu.max").write_text("150000 100000\n")
    assert cpu.cgroup_cpu_limit() == pytest.approx(1.5)
    assert cpu.usable_cpus() == 1


def test_the_tightest_quota_on_the_path_to_the_own_cgroup_wins(fake_machine):
    root, proc = fake_machine
    proc.write_text("0::/user.slice/course\n")
    (root / "user.slice" / "course").mkdir(parents=True)
    (root / "user.slice" / "course" / "cpu.max").write_text("max 100000\n")
    (root / "user.slice" / "cpu.max").write_text("300000 100000\n")
    assert cpu.cgroup_cpu_limit() == pytest.approx(3.0)
    assert cpu.usable_cpus() == 3


def test_cgroup_v1_cfs_quota_is_read_and_minus_one_means_none(fake_machine):
    root, proc = fake_machine
    proc.write_text("4:memory:/\n3:cpu,cpuacct:/\n")
    v1 = root / "cpu,cpuacct"
    v1.mkdir()
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu.cgroup_cpu_limit() is None and cpu.usable_cpus() == 4
    (v1 / "cpu.cfs_quota_us").write_text("200000\n")
    assert cpu.cgroup_cpu_limit() == pytest.approx(2.0)
    assert cpu.usable_cpus() == 2


def test_a_tiny_quota_still_leaves_one_cpu_and_no_affinity_call_falls_back_to_cpu_count(fake_machine, monkeypatch):
    root, _ = fake_machine
    (root / "cpu.max").write_text("20000 100000\n")
    assert cpu.usable_cpus() == 1
    (root / "cpu.max").write_text("max 100000\n")
    monkeypatch.delattr(cpu.os, "sched_getaffinity")
    assert cpu.affinity_cpus() is None and cpu.usable_cpus() == 8


def test_policy_sets_only_what_the_user_left_unset(fake_machine):
    env = {"OMP_NUM_THREADS": "7", "OMP_WAIT_POLICY": "ACTIVE", "MKL_NUM_THREADS": ""}
    policy = cpu.apply_cpu_policy(env)
    assert env["OMP_NUM_THREADS"] == "7" and env["OMP_WAIT_POLICY"] == "ACTIVE"  # overrides kept
    for name in ("MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        assert env[name] == "7"  # the user's OMP_NUM_THREADS; an empty value counts as unset
    env = {"MKL_NUM_THREADS": "3"}
    cpu.apply_cpu_policy(env)
    assert env["MKL_NUM_THREADS"] == "3" and env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "3"
    assert policy.threads == 7 and policy.usable_cpus == 4
    assert "OMP_NUM_THREADS" not in policy.set_by_course and "MKL_NUM_THREADS" in policy.set_by_course
    assert "MKL_NUM_THREADS=7  (set by the course)" in policy.describe()
    assert "already set in the environment" in cpu.apply_cpu_policy(
        {"OMP_NUM_THREADS": "7", "OMP_WAIT_POLICY": "ACTIVE"}).describe()


def test_policy_on_an_empty_environment_sets_passive_and_leaves_one_cpu_free(fake_machine):
    env = {}
    policy = cpu.apply_cpu_policy(env)
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    assert policy.usable_cpus == 4 and policy.threads == 3
    assert all(env[name] == "3" for name in cpu.THREAD_VARIABLES)
    assert set(policy.set_by_course) == set(cpu.POLICY_VARIABLES)
    assert cpu.apply_cpu_policy(env).set_by_course == policy.set_by_course  # again: same answer


def test_policy_threads_leave_one_cpu_for_everything_else():
    assert [cpu.policy_threads(n) for n in (1, 2, 3, 4, 16)] == [1, 1, 2, 3, 15]


def _python(code: str, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in cpu.POLICY_VARIABLES and k != cpu.MARKER_VARIABLE}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).parent)


def test_importing_mer_lessons_applies_the_policy_before_torch_loads():
    result = _python(
        "import os, mer_lessons, torch\n"
        "print(os.environ['OMP_WAIT_POLICY'], os.environ['OMP_NUM_THREADS'], torch.get_num_threads(),"
        " mer_lessons.cpu.usable_cpus())"
    )
    assert result.returncode == 0, result.stderr
    wait, omp, torch_threads, usable = result.stdout.split()
    assert wait == "PASSIVE" and int(omp) == int(torch_threads) == max(1, int(usable) - 1)
    assert "RuntimeWarning" not in result.stderr


def test_a_user_thread_count_reaches_torch():
    result = _python("import mer_lessons, torch; print(torch.get_num_threads())", OMP_NUM_THREADS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1"]


def test_torch_imported_first_gets_its_threads_set_and_one_warning():
    result = _python(
        "import torch; torch.set_num_threads(3)\n"
        "import mer_lessons\n"
        "mer_lessons.cpu.apply_cpu_policy()\n"
        "policy = mer_lessons.cpu.current_policy()\n"
        "print(torch.get_num_threads(), policy.threads, policy.wait_policy_applies)"
    )
    assert result.returncode == 0, result.stderr
    torch_threads, threads, applies = result.stdout.split()
    assert torch_threads == threads and applies == "False"
    assert result.stderr.count("torch was imported before mer_lessons") == 1
