"""Chapter 13 (GPUs and distributed training): bf16 on the CPU, gradient accumulation,
loader workers, resuming after an interruption, compile/channels-last, profiling labels."""

import time
import warnings

import numpy as np
import pytest
import torch

from mer_lessons import set_seed
from mer_lessons.train import (
    MixedPrecision,
    compile_model,
    fit,
    make_loader,
    resolve_amp,
    to_channels_last,
    train_one_epoch,
)
from mer_lessons.validation import InputError

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _blobs(n=128, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    X[:, 0] += np.where(y == 1, 2.0, -2.0)
    return X, y


def _mlp(seed=0, dropout=0.0):
    set_seed(seed)
    layers = [torch.nn.Linear(4, 16), torch.nn.ReLU()]
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*layers, torch.nn.Linear(16, 2))


# ------------------------------------------------------------------ mixed precision


def test_bf16_autocast_on_cpu_trains_in_bfloat16():
    assert resolve_amp("bf16", "cpu") is torch.bfloat16
    assert resolve_amp("auto", "cpu") is None
    precision = MixedPrecision("bf16", "cpu")
    assert precision.dtype is torch.bfloat16 and not precision.scaler.is_enabled()
    model = _mlp()
    seen = []
    model[0].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    data = _blobs()
    loader = make_loader(data, 32, shuffle=True, seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    first = train_one_epoch(model, loader, optimizer, device="cpu", precision=precision)
    for _ in range(3):
        last = train_one_epoch(model, loader, optimizer, device="cpu", precision=precision)
    assert seen and all(dtype == torch.bfloat16 for dtype in seen)
    assert last["loss"] < first["loss"]
    assert model[0].weight.dtype == torch.float32  # the weights stay float32
    history = fit(_mlp(), data, epochs=2, amp="bf16", device="cpu", progress=False)
    assert history.amp == "torch.bfloat16"


def test_fp16_and_true_on_cpu_raise_with_a_reason():
    for amp in ("fp16", True):
        with pytest.raises(InputError, match="CUDA") as info:
            MixedPrecision(amp, "cpu")
        assert "GradScaler" in str(info.value) and "bf16" in str(info.value)


@CUDA
def test_amp_auto_on_cuda_trains():
    history = fit(_mlp(), _blobs(), epochs=1, device="cuda", progress=False)
    assert history.amp in ("torch.bfloat16", "torch.float16")


# ------------------------------------------------------------------ accumulation


def test_accumulation_equals_a_bigger_batch():
    X, y = _blobs(64)  # N divisible by 2B
    B = 8
    results = []
    for batch_size, accumulate in ((B, 2), (2 * B, 1)):
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                    torch.nn.Linear(8, 2))
        torch.manual_seed(0)
        for p in model.parameters():
            torch.nn.init.normal_(p, std=0.3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        loader = make_loader((X, y), batch_size, shuffle=False)
        for _ in range(3):
            scores = train_one_epoch(model, loader, optimizer, device="cpu",
                                     accumulate=accumulate)
        assert scores["n"] == 64
        results.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_accumulation_steps_on_the_last_partial_group():
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    loader = make_loader(_blobs(40), 8)  # 5 batches
    train_one_epoch(model, loader, optimizer, device="cpu", accumulate=2)
    assert len(steps) == 3  # 2 + 2 + the last single batch
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="accumulate"):
        train_one_epoch(model, loader, optimizer, device="cpu", accumulate=0)
    history = fit(_mlp(), _blobs(64), epochs=1, accumulate=2, batch_size=16,
                  device="cpu", progress=False)
    assert len(history.train_loss) == 1


# ------------------------------------------------------------------ loader options


def test_loader_workers_are_deterministic():
    X, y = np.arange(48, dtype=np.float32).reshape(24, 2), np.arange(24)

    def orders():
        loader = make_loader((X, y), 5, shuffle=True, seed=3, num_workers=2)
        return [[b[1].tolist() for b in loader] for _ in range(2)]

    first = orders()
    assert first == orders()
    plain = make_loader((X, y), 5, shuffle=True, seed=3)
    assert first == [[b[1].tolist() for b in plain] for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pin_memory without CUDA is quietly off
        loader = make_loader((X, y), 5, pin_memory=True)
        next(iter(loader))
    assert loader.pin_memory == torch.cuda.is_available()
    with pytest.raises(ValueError, match="persistent_workers"):
        make_loader((X, y), 5, persistent_workers=True)


# ------------------------------------------------------------------ resuming


def _resumable_run(model, ckpt, **kwargs):
    data, val = _blobs(96), _blobs(48, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    return fit(model, data, val, optimizer=optimizer, epochs=6, batch_size=16, seed=5,
               lr_decay=0.8, patience=3, checkpoint_dir=ckpt, device="cpu",
               progress=False, **kwargs)


def test_resume_gives_bit_identical_results(tmp_path):
    straight = _mlp(1, dropout=0.3)
    history_a = _resumable_run(straight, tmp_path / "a")

    interrupted = _mlp(1, dropout=0.3)
    partial = _resumable_run(interrupted, tmp_path / "b", stop_after=3)
    assert len(partial.train_loss) == 3 and (tmp_path / "b" / "resume.pt").is_file()
    torch.manual_seed(12345)  # the resumed run must not depend on the random state now
    np.random.seed(1)
    resumed = _mlp(99, dropout=0.3)  # fresh weights: all of them come from the checkpoint
    history_b = _resumable_run(resumed, tmp_path / "b", resume=True)

    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    a, b = history_a.to_dict(), history_b.to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert a == b and len(history_b.train_loss) == len(history_a.train_loss)


def test_resume_arguments(tmp_path):
    with pytest.raises(ValueError, match="checkpoint_dir"):
        fit(_mlp(), _blobs(32), epochs=1, resume=True, progress=False)
    with pytest.raises(FileNotFoundError):
        fit(_mlp(), _blobs(32), epochs=1, resume=tmp_path / "none.pt", progress=False)
    # resume=True without a resume file starts from scratch
    history = fit(_mlp(), _blobs(32), epochs=1, checkpoint_dir=tmp_path, resume=True,
                  device="cpu", progress=False)
    assert len(history.train_loss) == 1
    from mer_lessons.train import CheckpointError
    with pytest.raises(CheckpointError, match="not a resume checkpoint"):
        fit(_mlp(), _blobs(32), epochs=2, resume=tmp_path / "last.pt", progress=False,
            device="cpu")


# ------------------------------------------------------------------ speed helpers


def test_to_channels_last():
    model = to_channels_last(torch.nn.Conv2d(3, 4, 3))
    assert model.weight.is_contiguous(memory_format=torch.channels_last)


def test_compile_model_matches_eager():
    model = _mlp(2)
    x = torch.randn(5, 4)
    with torch.no_grad():
        expected = model(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = compile_model(model)
        start = time.perf_counter()
        with torch.no_grad():
            out = compiled(x)
        first_call = time.perf_counter() - start
    assert compiled is model and list(model.state_dict()) == ["0.weight", "0.bias",
                                                              "2.weight", "2.bias"]
    torch.testing.assert_close(out, expected)
    if any("compile_model" in str(w.message) for w in caught):
        pytest.skip(f"torch.compile does not work here; fell back to eager: "
                    f"{[str(w.message) for w in caught]}")
    print(f"torch.compile first call: {first_call:.1f} s")


# ------------------------------------------------------------------ profiling


def test_profiler_sees_the_phase_labels():
    from torch.profiler import ProfilerActivity, profile

    model = _mlp()
    loader = make_loader(_blobs(32), 16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_one_epoch(model, loader, optimizer, device="cpu")
    names = {event.key for event in prof.key_averages()}
    assert {"data loading", "forward", "backward", "optimizer"} <= names
