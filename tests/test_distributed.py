"""Data-parallel training (mer_lessons.distributed): the sampler, the 2-process gloo run that
reproduces the single-process run, the command lines and the SLURM script."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess

import pytest
import torch

from mer_lessons.distributed import (
    DistributedConfig,
    GlobalBatchSampler,
    command_text,
    compare_results,
    main,
    make_task,
    run_torchrun,
    slurm_script,
    torchrun_command,
    train,
    write_slurm_script,
)


def _gloo_available() -> bool:
    import torch.distributed as dist
    return dist.is_available() and dist.is_gloo_available()


needs_gloo = pytest.mark.skipif(not _gloo_available(), reason="torch.distributed with gloo is unavailable")


# --------------------------------------------------------------------------- task


def test_make_task_is_deterministic_and_has_the_right_shapes():
    (X, y), factory = make_task("mini-mlp", n=100, seed=3)
    (X2, y2), _ = make_task("mini-mlp", n=100, seed=3)
    assert X.shape == (100, 16) and X.dtype == torch.float32
    assert y.shape == (100,) and y.dtype == torch.int64 and set(y.tolist()) <= {0, 1, 2, 3}
    assert torch.equal(X, X2) and torch.equal(y, y2)
    model = factory()
    assert model(X).shape == (100, 4)
    assert not any(isinstance(m, (torch.nn.Dropout, torch.nn.modules.batchnorm._BatchNorm)) for m in model.modules())
    with pytest.raises(ValueError, match="unknown task"):
        make_task("nope")


# --------------------------------------------------------------------------- sampler


def test_sampler_with_one_process_is_the_global_order():
    sampler = GlobalBatchSampler(50, 16, seed=7)
    sampler.set_epoch(2)
    order = sampler.permutation().tolist()
    batches = list(sampler)
    assert len(batches) == len(sampler) == 4
    assert batches == [order[0:16], order[16:32], order[32:48], order[48:50]]
    sampler.set_epoch(3)
    assert sampler.permutation().tolist() != order  # a new order every epoch


def test_two_slices_rebuild_every_global_batch_and_cover_each_index_once():
    n, gb = 96, 16
    samplers = [GlobalBatchSampler(n, gb, rank=r, world_size=2, seed=1) for r in range(2)]
    single = GlobalBatchSampler(n, gb, seed=1)
    for epoch in range(2):
        for s in (*samplers, single):
            s.set_epoch(epoch)
        parts = [list(s) for s in samplers]
        whole = list(single)
        assert len(parts[0]) == len(parts[1]) == len(whole) == n // gb
        seen = []
        for a, b, g in zip(*parts, whole):
            assert len(a) == len(b) == gb // 2
            assert a + b == g
            seen += g
        assert sorted(seen) == list(range(n))


def test_sampler_refuses_unequal_slices():
    with pytest.raises(ValueError, match="not divisible by the world size 2"):
        GlobalBatchSampler(64, 15, rank=0, world_size=2)
    with pytest.raises(ValueError, match="last global batch"):
        GlobalBatchSampler(65, 16, rank=0, world_size=2)
    assert len(GlobalBatchSampler(65, 16, rank=0, world_size=2, drop_last=True)) == 4
    with pytest.raises(ValueError):
        GlobalBatchSampler(64, 16, rank=2, world_size=2)
    with pytest.raises(ValueError):
        GlobalBatchSampler(64, 0)


# --------------------------------------------------------------------------- 2 processes == 1 process


@needs_gloo
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_gloo_processes_reproduce_the_single_process_run(tmp_path, optimizer):
    lr = "0.1" if optimizer == "sgd" else "0.01"
    out = tmp_path / "ddp.json"
    args = ["--epochs", "3", "--global-batch", "64", "--examples", "256", "--lr", lr,
            "--optimizer", optimizer, "--momentum", "0.0", "--backend", "gloo", "--out", str(out)]
    process = run_torchrun(2, args, timeout=120)
    assert "world_size=2" in process.stdout
    ddp = json.loads(out.read_text())
    single = train(DistributedConfig(n=256, epochs=3, global_batch=64, lr=float(lr),
                                     optimizer=optimizer, backend="gloo"))
    assert ddp["world_size"] == 2 and single["world_size"] == 1
    assert ddp["backend"] == "gloo"
    assert ddp["steps"] == single["steps"] == 3 * 256 // 64
    assert len(ddp["losses"]) == ddp["steps"]
    assert ddp["replica_checksums"][0] == ddp["replica_checksums"][1]  # replicas stayed identical
    diff = compare_results(single, ddp)
    assert diff["same_steps"]
    assert diff["max_loss_rel_diff"] < 1e-5, diff
    assert diff["max_param_diff"] < 1e-5, diff
    assert ddp["losses"][-1] < ddp["losses"][0]  # it did learn


def test_run_torchrun_reports_the_workers_error():
    with pytest.raises(RuntimeError, match="exit status") as info:
        run_torchrun(1, ["--epochs", "0"], timeout=60)
    assert "--epochs must be >= 1" in str(info.value)


def test_train_in_process_writes_json(tmp_path):
    out = tmp_path / "sub" / "r.json"
    result = train({"n": 64, "epochs": 1, "global_batch": 32, "out": str(out), "backend": "gloo"})
    assert json.loads(out.read_text())["losses"] == result["losses"]
    assert result["steps"] == 2 and result["world_size"] == 1
    with pytest.raises(ValueError, match="unknown config keys"):
        train({"epoch": 1})


# --------------------------------------------------------------------------- command line


def test_main_refuses_a_global_batch_the_world_size_does_not_divide(monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SystemExit) as info:
        main(["--global-batch", "63"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--global-batch 63" in err and "WORLD_SIZE=2" in err and "not divisible" in err


def test_main_refuses_bad_values(capsys):
    for argv, text in ((["--epochs", "0"], "--epochs"), (["--lr", "-1"], "--lr"),
                       (["--optimizer", "lbfgs"], "invalid choice")):
        with pytest.raises(SystemExit):
            main(argv)
        assert text in capsys.readouterr().err


def test_torchrun_command_for_one_node():
    command = torchrun_command(nproc_per_node=2, args=["--epochs", "3"])
    assert command[:2] == ["torchrun", "--standalone"]
    assert command[command.index("--nproc-per-node") + 1] == "2"
    assert command[-4:] == ["-m", "mer_lessons.distributed", "--epochs", "3"]
    assert "--rdzv-endpoint" not in command


def test_torchrun_command_for_two_nodes():
    command = torchrun_command(nproc_per_node=4, nnodes=2, node_rank=1,
                               rdzv_endpoint="node01:29500", rdzv_id="job7")
    assert "--standalone" not in command
    for option, value in (("--nnodes", "2"), ("--node-rank", "1"), ("--rdzv-backend", "c10d"),
                          ("--rdzv-endpoint", "node01:29500"), ("--rdzv-id", "job7"),
                          ("--nproc-per-node", "4")):
        assert command[command.index(option) + 1] == value
    with pytest.raises(ValueError, match="rdzv_endpoint"):
        torchrun_command(nnodes=2)


def test_command_text_round_trips_through_shlex():
    options = dict(nproc_per_node=2, nnodes=2, rdzv_endpoint="h:1234",
                   args=["--out", "my results/r.json", "--lr", "0.1"])
    assert shlex.split(command_text(**options)) == torchrun_command(**options)


# --------------------------------------------------------------------------- SLURM


def test_slurm_script_content():
    text = slurm_script(job_name="ddp", nodes=2, gpus_per_node=4, partition="gpu",
                        module_args=["--epochs", "3", "--out", "r.json"])
    assert text.startswith("#!/bin/bash\n")
    assert "#SBATCH --nodes=2" in text
    assert "#SBATCH --gpus-per-node=4" in text
    assert "#SBATCH --partition=gpu" in text
    assert 'scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1' in text
    assert "srun torchrun" in text
    assert "$SLURM_JOB_ID" in text and "$SLURM_NNODES" in text
    assert '--rdzv-endpoint "$head_node:29500"' in text
    assert "--nproc-per-node 4" in text
    assert "-m mer_lessons.distributed --epochs 3 --out r.json" in text


def test_write_slurm_script_is_executable_and_parses(tmp_path):
    path = write_slurm_script(tmp_path / "job.sh", job_name="ddp", nodes=2, gpus_per_node=2)
    assert os.access(path, os.X_OK)
    assert path.read_text() == slurm_script(job_name="ddp", nodes=2, gpus_per_node=2)
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    assert subprocess.run([bash, "-n", str(path)], capture_output=True).returncode == 0
