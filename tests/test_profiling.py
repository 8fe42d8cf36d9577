"""mer_lessons.profiling: the paper models, the profiled phases and the throughput table (CPU; CUDA tests skip)."""

import math
import warnings

import pandas as pd
import pytest
import torch
from torch import nn

from mer_lessons import profiling

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none on this machine)")


def tiny(batch=8, classes=3):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, classes))
    return model, torch.randn(batch, 6), torch.randint(0, classes, (batch,))


@pytest.fixture(scope="module")
def models():
    return profiling.paper_models(n_classes=4, batch=4, seed=0)


def test_paper_models_gives_the_five_papers(models):
    assert len(models) == 5
    assert [name.split(":")[0] for name in models] == ["Hao et al.", "Zhao et al.", "Wang", "Kirar et al.",
                                                       "Liu et al."]


@pytest.mark.parametrize("index", range(5))
def test_each_paper_model_trains_on_its_inputs(models, index):
    name = list(models)[index]
    model, inputs, targets = models[name]
    assert targets.dtype == torch.int64 and targets.shape == (4,)
    model.zero_grad(set_to_none=True)
    logits = model(inputs)
    assert logits.shape == (4, 4), name
    torch.nn.functional.cross_entropy(logits, targets).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads), f"{name}: no gradient reached a parameter"


def test_to_device_keeps_containers_and_copies_on_request():
    x = {"a": torch.ones(2), "b": torch.zeros(3)}
    out = profiling.to_device(x, "cpu")
    assert set(out) == {"a", "b"} and out["a"] is x["a"]
    copied = profiling.to_device(x, "cpu", copy=True)
    assert copied["a"] is not x["a"] and torch.equal(copied["a"], x["a"])
    assert profiling.to_device(torch.ones(1), "cpu").device.type == "cpu"


def test_train_step_returns_the_loss_and_changes_the_weights():
    model, x, y = tiny()
    before = model[0].weight.detach().clone()
    loss = profiling.train_step(model, x, y, torch.optim.SGD(model.parameters(), lr=0.1))
    assert math.isfinite(loss) and loss > 0
    assert not torch.equal(before, model[0].weight)
    with pytest.raises(ValueError):
        profiling.train_step(model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), amp="fp8")


def test_profile_step_returns_the_four_phases():
    model, x, y = tiny()
    table = profiling.profile_step(model, x, y, steps=2, warmup=1)
    assert list(table.index) == ["data loading", "forward", "backward", "optimizer"]
    assert (table["ms"] >= 0).all() and table["ms"].sum() > 0
    assert table["share"].sum() == pytest.approx(1.0)
    for phase in profiling.PHASES:
        assert phase in table.attrs["summary"]


def test_plot_phases_draws_one_bar_per_table():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    model, x, y = tiny()
    table = profiling.profile_step(model, x, y, steps=1, warmup=0)
    ax = profiling.plot_phases(table)
    assert len(ax.patches) == 4
    ax2 = profiling.plot_phases({"a": table, "b": table}, column="share")
    assert len(ax2.patches) == 8
    plt.close("all")


def test_throughput_is_consistent_with_the_batch():
    model, x, y = tiny(batch=8)
    result = profiling.throughput(model, x, y, steps=3, warmup=1)
    assert result["samples_per_s"] > 0 and result["ms_per_step"] > 0 and result["peak_memory_mb"] > 0
    assert result["samples_per_s"] == pytest.approx(8 * 1000 / result["ms_per_step"], rel=1e-6)
    assert result["compiled"] is False and result["device"] == "cpu"


def test_throughput_bf16_runs_on_cpu():
    model, x, y = tiny()
    result = profiling.throughput(model, x, y, steps=2, warmup=1, amp="bf16")
    assert result["samples_per_s"] > 0


def test_compile_that_works_is_used(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda model, **kw: model)   # a "compiler" that returns the model
    model, x, y = tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = profiling.throughput(model, x, y, steps=2, warmup=1, compile=True)
    assert result["compiled"] is True


def test_compile_that_raises_falls_back_with_a_warning(monkeypatch):
    def broken(model, **kw):
        raise RuntimeError("no compiler here")
    monkeypatch.setattr(torch, "compile", broken)
    model, x, y = tiny()
    with pytest.warns(RuntimeWarning, match="torch.compile failed"):
        result = profiling.throughput(model, x, y, steps=2, warmup=1, compile=True)
    assert result["compiled"] is False and result["samples_per_s"] > 0


def test_compiled_model_failing_at_first_call_falls_back(monkeypatch):
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("backend compiler failed")
    monkeypatch.setattr(torch, "compile", lambda model, **kw: Broken())
    model, x, y = tiny()
    with pytest.warns(RuntimeWarning, match="first call"):
        result = profiling.throughput(model, x, y, steps=2, warmup=1, compile=True)
    assert result["compiled"] is False


def test_throughput_table_on_cpu(models):
    table = profiling.throughput_table(models, devices=("cpu",), steps=1, warmup=1)
    assert isinstance(table, pd.DataFrame)
    assert set(table["model"]) == set(models) and len(table) == len(models)
    assert (table["device"] == "cpu").all() and (table["setting"] == "fp32").all()
    assert (table["samples_per_s"] > 0).all()
    assert "ratio_to_cpu" not in table.columns


def test_default_devices_have_no_cuda_rows_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model, x, y = tiny()
    table = profiling.throughput_table({"tiny": (model, x, y)}, steps=1, warmup=0)
    assert list(table["device"]) == ["cpu"]


def test_asking_for_cuda_without_a_gpu_raises(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model, x, y = tiny()
    with pytest.raises(RuntimeError, match="CUDA"):
        profiling.throughput(model, x, y, device="cuda", steps=1)
    with pytest.raises(RuntimeError, match="CUDA"):
        profiling.profile_step(model, x, y, device="cuda")


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="unknown setting"):
        profiling.throughput_table({"tiny": tiny()}, devices=("cpu",), cpu_settings=("fp8",), steps=1)


@CUDA
def test_profile_step_on_cuda_reports_device_time():
    model, x, y = tiny()
    table = profiling.profile_step(model, x, y, device="cuda", steps=2)
    assert list(table.index) == list(profiling.PHASES)
    assert "device_ms" in table.columns and (table["device_ms"] >= 0).all()


@CUDA
def test_throughput_table_on_cuda_has_ratios():
    model, x, y = tiny()
    table = profiling.throughput_table({"tiny": (model, x, y)}, settings=("fp32", "amp"), steps=2, warmup=1)
    assert set(table["device"]) == {"cpu", "cuda:0"} or set(table["device"]) == {"cpu", "cuda"}
    assert "ratio_to_cpu" in table.columns and (table["ratio_to_cpu"] > 0).all()
    assert next(model.parameters()).device.type == "cpu"
