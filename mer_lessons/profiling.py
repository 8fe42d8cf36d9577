"""Where a training step spends its time, and how many examples per second it trains.

A *profiler* (:mod:`torch.profiler`) records every operation a step runs (a matrix product,
an LSTM cell, a copy), with its start, its end and, on a GPU, the kernels it launched.
Read op by op it is a long list; the course groups it into the four phases of one
training step, each marked by a ``torch.profiler.record_function`` label (the same labels
as :func:`mer_lessons.train.train_one_epoch`):

* ``"data loading"``: getting the batch to the device (here: copying it there);
* ``"forward"``: the model and the loss;
* ``"backward"``: ``loss.backward()``, the gradients;
* ``"optimizer"``: ``optimizer.step()`` and ``zero_grad``.

:func:`profile_step` returns one row per phase (milliseconds per step and share of the
four) and :func:`plot_phases` draws them. A phase's CPU time includes everything called
inside its label. On a GPU the CPU only *launches* kernels and moves on, so a CPU time
says little unless the step waits for the GPU: :func:`profile_step` synchronises at the
end of every phase on CUDA, and also reports the time the GPU itself spent.

Throughput (:func:`throughput`, :func:`throughput_table`) is counted in **samples per
second**, ``batch * steps / seconds`` of whole training steps (forward, backward, Adam):
the number that says how long an epoch takes, comparable between batch sizes, devices and
precisions (milliseconds per step alone favour small batches). The clock is read only after
``torch.cuda.synchronize()`` on a GPU, otherwise it would time the launches, not the work.

*Peak memory* means different things on the two devices, and the tables say which:

* CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``: the most
  bytes held by tensors on the GPU at any moment of the measured steps (parameters,
  gradients, Adam state, batch and activations; not the allocator's cache, not the CUDA
  context).
* CPU: the bytes of the tensors the step starts with (parameters, gradients, Adam state and
  the batch) plus the highest running total of the tensor allocations minus frees that
  ``torch.profiler`` (``profile_memory=True``) records during one more step, in the order
  the operations start. It is not the process's resident memory (which also holds Python,
  the libraries and the allocator's free blocks), and an allocation freed inside one
  operation is not seen: a lower bound on the activations' peak, to one operation.

The models (:func:`paper_models`) are one teaching-size network per paper of the course,
each with a random batch of the shapes its chapter feeds it. Numbers depend on the machine;
``bench/train_throughput.py`` prints a table of them.

Taught in ``13_gpus_and_distributed_training``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PHASES", "TEACHING_SIZES", "paper_models", "to_device", "train_step", "profile_step", "plot_phases", "throughput",
           "throughput_table"]

#: The four phases of a training step, in the order a step runs them.
PHASES = ("data loading", "forward", "backward", "optimizer")
_AMPS = (None, "bf16", "fp16")
_SETTING_WORDS = ("fp32", "amp", "bf16", "fp16", "compile", "channels_last")


# ---------------------------------------------------------------------------------------
# the models
# ---------------------------------------------------------------------------------------

#: The teaching sizes of the papers' models used by this chapter and by
#: :mod:`mer_lessons.realtime` (keyword arguments of each model's constructor or ``build``).
TEACHING_SIZES = {
    "hao": {"lstm_hidden": 32},
    "zhao": {"channels": (8, 12, 16, 20), "stem_channels": 8, "hidden": 32, "fc_hidden": 64},
    "liu": {"common_dim": 32, "rnn_hidden": 32, "lstm_hidden": 64},
}


def paper_models(n_classes: int = 4, batch: int = 16, seed: int = 0) -> dict:
    """One small (teaching-size) model per paper of the course, each with a random batch.

    Returns ``{name: (model, inputs, targets)}``, ``inputs`` a tensor or a dict of tensors of
    the shapes the chapter feeds the model, ``targets`` int64 class indices ``(batch,)`` in
    ``[0, n_classes)``. Everything is on the CPU, float32, seeded by ``seed`` (weights and
    data). The models, in the course's order:

    * ``"Hao et al.: HaoRecognizer"``: :class:`mer_lessons.models.hao.HaoRecognizer` on the
      window features :data:`mer_lessons.windows.FEATURE_DIMS` with compact codes, a dict
      ``{modality: (batch, 8, D)}`` (8 steps per window); Bi-LSTM of 32 units per direction
      (the paper's 128 in ``bench/latency.py``).
    * ``"Zhao et al.: MultiSpec-DNN"``: :class:`mer_lessons.models.zhao.MultiSpecDNN`, two
      spectrograms ``(batch, 1, 64, 24)`` (24 frames) in a dict ``{"wideband", "narrowband"}``;
      channels (8, 12, 16, 20), BLSTM 32.
    * ``"Wang: cross-modal Transformer"``: the fused-logits model of
      :func:`mer_lessons.papers.wang.table_models` (a :class:`mer_lessons.models.wang.WindowInputs`),
      a dict with MiniLM token states ``text`` ``(batch, 16, 384)``, their mask
      ``text_mask`` ``(batch, 16, 1)`` (all ones) and log-mel frames ``mel`` ``(batch, 32, 32)``.
    * ``"Kirar et al.: BiLSTM + self-attention"``: :func:`mer_lessons.models.kirar.build`
      ``("Bi-Directional LSTM with Self-Attention Mechanism")`` on ``(batch, 20, 40)`` (20 steps of 40 selected features).
    * ``"Liu et al.: cross-modal attention + decision fusion"``:
      :func:`mer_lessons.models.liu.build` ``("proposed", ...)`` with ``common_dim=32``,
      ``rnn_hidden=32``, ``lstm_hidden=64``, on a dict of clip-level audio groups ``mfcc``
      ``(batch, 1, 13)``, ``functionals`` ``(batch, 1, 88)``, ``soundnet`` ``(batch, 1, 64)``
      and face features ``video`` ``(batch, 16, 64)``. Its output is the log of the fused
      probabilities, so cross-entropy on it is their negative log-likelihood.

    Only the classification loss is used in this chapter: the models' auxiliary losses
    (reconstruction, regression of valence/arousal) are left out of the step.

    Taught in ``13_gpus_and_distributed_training``.
    """
    from mer_lessons.models import kirar, liu
    from mer_lessons.models.hao import HaoRecognizer, compact_code_dims
    from mer_lessons.models.zhao import MultiSpecDNN
    from mer_lessons.papers import wang as wang_paper
    from mer_lessons.windows import FEATURE_DIMS

    n_classes, batch = int(n_classes), int(batch)
    if n_classes < 2 or batch < 1:
        raise ValueError(f"paper_models: need n_classes >= 2 and batch >= 1, got {n_classes}, {batch}")
    gen = torch.Generator().manual_seed(int(seed))

    def randn(*shape):
        return torch.randn(*shape, generator=gen)

    def targets():
        return torch.randint(0, n_classes, (batch,), generator=gen, dtype=torch.int64)

    models = {}
    torch.manual_seed(seed)
    dims = dict(FEATURE_DIMS)
    hao = HaoRecognizer(dims, n_classes, code_dim=compact_code_dims(dims), **TEACHING_SIZES["hao"])
    models["Hao et al.: HaoRecognizer"] = (hao, {m: randn(batch, 8, d) for m, d in dims.items()}, targets())

    torch.manual_seed(seed)
    zhao = MultiSpecDNN((64, 64), n_classes, **TEACHING_SIZES["zhao"])
    models["Zhao et al.: MultiSpec-DNN"] = (zhao, {"wideband": randn(batch, 1, 64, 24),
                                                  "narrowband": randn(batch, 1, 64, 24)}, targets())

    torch.manual_seed(seed)
    spec = next(s for s in wang_paper.table_models() if s.name == wang_paper.FUSED_LOGITS)
    wang = spec.build({"text": 384}, n_classes)
    models["Wang: cross-modal Transformer"] = (
        wang, {"text": randn(batch, 16, 384), "text_mask": torch.ones(batch, 16, 1), "mel": randn(batch, 32, 32)},
        targets())

    torch.manual_seed(seed)
    kir = kirar.build("Bi-Directional LSTM with Self-Attention Mechanism", 40, n_classes)
    models["Kirar et al.: BiLSTM + self-attention"] = (kir, randn(batch, 20, 40), targets())

    torch.manual_seed(seed)
    liu_dims = {"mfcc": 13, "functionals": 88, "soundnet": 64, "video": 64}
    liu_model = liu.build("proposed", liu_dims, n_classes=n_classes, **TEACHING_SIZES["liu"])
    liu_inputs = {g: randn(batch, 1, d) for g, d in liu_dims.items() if g != "video"}
    liu_inputs["video"] = randn(batch, 16, liu_dims["video"])
    models["Liu et al.: cross-modal attention + decision fusion"] = (liu_model, liu_inputs, targets())
    return models


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what C++ code writes to file descriptor 2 while the profiler runs.

    PyTorch's profiler back end (Kineto) logs "profiler_start/stop" lines and allocator notes
    straight to the process's stderr, below Python, so they would fill a notebook's output;
    Python-level warnings still go through. Where the descriptor cannot be duplicated
    (an unusual embedding), nothing is silenced.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def to_device(inputs: Any, device: Any, *, copy: bool = False, memory_format: Optional[torch.memory_format] = None):
    """``inputs`` (a tensor, a dict or a tuple/list of tensors) moved to ``device``.

    Containers keep their type and keys; other values pass unchanged. ``copy=True`` copies
    even when a tensor is already there (what :func:`profile_step` times as "data loading"
    on the CPU). ``memory_format`` (e.g. ``torch.channels_last``) is applied to 4-D tensors
    only.

    Taught in ``13_gpus_and_distributed_training``.
    """
    if isinstance(inputs, torch.Tensor):
        out = inputs.to(device, non_blocking=False, copy=copy)
        if memory_format is not None and out.ndim == 4:
            out = out.contiguous(memory_format=memory_format)
        return out
    if isinstance(inputs, Mapping):
        return {k: to_device(v, device, copy=copy, memory_format=memory_format) for k, v in inputs.items()}
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(to_device(v, device, copy=copy, memory_format=memory_format) for v in inputs)
    return inputs


def _call(model: nn.Module, inputs):
    return model(inputs)


def _batch_size(inputs) -> int:
    if isinstance(inputs, torch.Tensor):
        return int(inputs.shape[0])
    values = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
    for v in values:
        if isinstance(v, torch.Tensor):
            return int(v.shape[0])
    raise ValueError("inputs hold no tensor to read the batch size from")


def _device_type(device) -> str:
    return torch.device(device).type


def _check_device(device, where: str) -> torch.device:
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{where}: device {str(device)!r} asked for, but no CUDA device is available")
    return device


def _synchronize(device) -> None:
    if _device_type(device) == "cuda":
        torch.cuda.synchronize(device)


def _autocast(amp: Optional[str], device):
    if amp is None:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(_device_type(device), dtype=dtype)


@contextlib.contextmanager
def _phase(name: str, device, sync: bool):
    with torch.profiler.record_function(name):
        yield
        if sync:
            _synchronize(device)


# ---------------------------------------------------------------------------------------
# one step
# ---------------------------------------------------------------------------------------

def train_step(model: nn.Module, inputs, targets: torch.Tensor, optimizer: torch.optim.Optimizer, *,
               amp: Optional[str] = None, scaler: Optional[Any] = None,
               loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
               synchronize: bool = False) -> float:
    """One training step, its phases labelled for the profiler; returns the loss (a float).

    ``model`` maps ``inputs`` (its one argument: a tensor or a dict of tensors) to logits
    ``(B, C)``; ``targets`` ``(B,)`` int64; both already on the model's device (the caller
    labels its own ``"data loading"``). Phases, each inside
    ``torch.profiler.record_function``: ``"forward"`` (model and ``loss_fn(logits.float(),
    targets)``), ``"backward"`` and ``"optimizer"`` (``optimizer.step()`` then
    ``zero_grad(set_to_none=True)``).

    ``amp``: ``None`` (float32), ``"bf16"`` or ``"fp16"``: the forward runs under
    ``torch.autocast`` of the model's device type with that dtype (on the CPU: bfloat16).
    ``scaler``: a ``torch.amp.GradScaler`` (needed with ``"fp16"`` on CUDA, where small
    gradients would underflow); it scales the loss and skips steps with inf/NaN gradients.
    ``synchronize=True`` waits for the GPU at the end of each phase (profiling only; a
    no-op on the CPU). Reading the returned float also waits for the GPU once.

    Taught in ``13_gpus_and_distributed_training``.
    """
    if amp not in _AMPS:
        raise ValueError(f"train_step: amp must be one of {_AMPS}, got {amp!r}")
    device = targets.device
    sync = bool(synchronize) and device.type == "cuda"
    with _phase("forward", device, sync):
        with _autocast(amp, device):
            output = _call(model, inputs)
        loss = loss_fn(output.float(), targets)
    with _phase("backward", device, sync):
        (scaler.scale(loss) if scaler is not None else loss).backward()
    with _phase("optimizer", device, sync):
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def _activities(device) -> list:
    acts = [torch.profiler.ProfilerActivity.CPU]
    if _device_type(device) == "cuda":
        acts.append(torch.profiler.ProfilerActivity.CUDA)
    return acts


def _event_device_us(event) -> float:
    value = getattr(event, "device_time_total", None)
    if value is None:
        value = getattr(event, "cuda_time_total", 0.0)
    return float(value or 0.0)


def profile_step(model: nn.Module, inputs, targets: torch.Tensor, *, device: Any = "cpu", steps: int = 3,
                 warmup: int = 1, lr: float = 1e-3, amp: Optional[str] = None) -> pd.DataFrame:
    """Profile ``steps`` training steps and return the time of each of the four phases.

    ``model``, ``inputs`` (tensor, dict or tuple of tensors) and ``targets`` (int64
    ``(B,)``) start on the CPU; the model is moved to ``device`` (``"cpu"`` or
    ``"cuda"``; asking for CUDA without one raises ``RuntimeError``) and trained with Adam
    (``lr``), ``amp`` as in :func:`train_step`. ``warmup`` steps run first, unprofiled
    (first calls allocate, pick kernels, fill caches). Then ``torch.profiler.profile``
    (activities CPU, plus CUDA on a GPU; ``record_shapes=False``) records ``steps`` steps,
    each: ``"data loading"`` (the batch copied to ``device``, a fresh copy even on the
    CPU), then :func:`train_step`'s ``"forward"``, ``"backward"``, ``"optimizer"``; on
    CUDA each phase ends with a synchronisation so that its CPU time covers its GPU work.

    Returns a DataFrame indexed by ``phase`` (the four of :data:`PHASES`, in order) with
    ``ms``: the mean per step of the profiler's CPU time total of the events of that name
    (the label and everything inside it), and ``share``: ``ms`` over the sum of the four
    (they add to 1). On CUDA also ``device_ms``, the time the GPU spent in the kernels
    launched inside the label (per step). ``table.attrs["summary"]`` holds the profiler's
    own text table (``key_averages().table``, sorted by CPU time, 20 rows) and
    ``table.attrs["device"]`` the device.

    Taught in ``13_gpus_and_distributed_training``.
    """
    steps, warmup = int(steps), int(warmup)
    if steps < 1 or warmup < 0:
        raise ValueError(f"profile_step: need steps >= 1 and warmup >= 0, got {steps}, {warmup}")
    device = _check_device(device, "profile_step")
    model = model.to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    cuda = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if (amp == "fp16" and cuda) else None

    def one_step():
        with _phase("data loading", device, cuda):
            x = to_device(inputs, device, copy=True)
            y = targets.to(device, copy=True)
        train_step(model, x, y, optimizer, amp=amp, scaler=scaler, synchronize=cuda)

    for _ in range(warmup):
        one_step()
    _synchronize(device)
    with _quiet_native_stderr(), torch.profiler.profile(activities=_activities(device), record_shapes=False) as prof:
        for _ in range(steps):
            one_step()
        _synchronize(device)
    averages = prof.key_averages()
    rows = []
    for name in PHASES:
        events = [e for e in averages if e.key == name]
        cpu_us = sum(float(e.cpu_time_total) for e in events)
        row = {"phase": name, "ms": cpu_us / 1000.0 / steps}
        if cuda:
            row["device_ms"] = max((_event_device_us(e) for e in events), default=0.0) / 1000.0 / steps
        rows.append(row)
    table = pd.DataFrame(rows).set_index("phase")
    total = float(table["ms"].sum())
    table.insert(1, "share", table["ms"] / total if total > 0 else 1.0 / len(PHASES))
    table.attrs["summary"] = averages.table(sort_by="cpu_time_total", row_limit=20)
    table.attrs["device"] = str(device)
    return table


def plot_phases(table: pd.DataFrame, ax=None, *, column: str = "ms"):
    """A horizontal stacked bar of the four phases of :func:`profile_step`; returns the Axes.

    ``table``: one table of :func:`profile_step` (one bar), or a dict ``{label: table}`` /
    a DataFrame with the phases as columns and one row per bar (several bars, e.g. CPU and
    GPU, or one per model). ``column``: ``"ms"`` (milliseconds per step) or ``"share"``
    (fractions, every bar of length 1). Each phase keeps its colour across bars and is
    named in the legend.

    Taught in ``13_gpus_and_distributed_training``.
    """
    import matplotlib.pyplot as plt

    if isinstance(table, Mapping):
        wide = pd.DataFrame({label: t[column] for label, t in table.items()}).T
    elif isinstance(table, pd.DataFrame) and table.index.name == "phase":
        wide = table[[column]].T
        wide.index = [table.attrs.get("device", "step")]
    else:
        wide = table
    wide = wide[[p for p in PHASES if p in wide.columns]]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * len(wide)))
    left = np.zeros(len(wide))
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", [None] * 4)
    for i, phase in enumerate(wide.columns):
        values = wide[phase].to_numpy(dtype=float)
        ax.barh([str(label) for label in wide.index], values, left=left, label=phase, color=colors[i % len(colors)])
        left += values
    ax.set_xlabel("ms per step" if column == "ms" else "share of the step")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title("Where a training step spends its time")
    return ax


# ---------------------------------------------------------------------------------------
# throughput
# ---------------------------------------------------------------------------------------

def _tensor_bytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, Mapping):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (tuple, list)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0


def _cpu_peak_bytes(run_step: Callable[[], Any], model: nn.Module, optimizer, inputs, targets) -> int:
    held = sum(_tensor_bytes(p) + (_tensor_bytes(p.grad) if p.grad is not None else 0) for p in model.parameters())
    held += sum(_tensor_bytes(state) for state in optimizer.state.values())
    held += _tensor_bytes(inputs) + _tensor_bytes(targets)
    with _quiet_native_stderr(), torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True,
                                record_shapes=False) as prof:
        run_step()
    running = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        running += int(event.self_cpu_memory_usage)
        peak = max(peak, running)
    return held + peak


def throughput(model: nn.Module, inputs, targets: torch.Tensor, *, device: Any = "cpu", steps: int = 10,
               warmup: int = 2, amp: Optional[str] = None, compile: bool = False, channels_last: bool = False,
               lr: float = 1e-3) -> dict:
    """Training speed of ``model`` on one batch: samples per second, ms per step, peak memory.

    ``model``, ``inputs`` and ``targets`` as in :func:`profile_step`; they are moved to
    ``device`` once (no data loading is timed: the model's speed alone). ``warmup`` full
    steps (forward, backward, Adam with ``lr``) run first, then ``steps`` timed ones; the
    clock (``time.perf_counter``) is read after ``torch.cuda.synchronize()`` on a GPU.
    ``amp``: ``None``, ``"bf16"`` or ``"fp16"`` (:func:`train_step`; ``"fp16"`` uses a
    ``GradScaler`` on CUDA; on the CPU ``"bf16"`` is ``torch.autocast("cpu",
    dtype=torch.bfloat16)``). ``compile=True``: ``torch.compile(model)``; compiling happens
    at the first call, so a failure there (no C compiler, an unsupported op) falls back to
    the eager model with a ``RuntimeWarning``. ``channels_last=True``: the model's and the
    batch's 4-D tensors in ``torch.channels_last`` layout (faster convolutions on recent
    GPUs).

    Returns a dict: ``samples_per_s`` (``batch * steps / seconds``), ``ms_per_step``,
    ``peak_memory_mb`` (MiB; see the module's notes: on CUDA the allocator's peak, on the
    CPU the held tensors plus the profiler's running peak over one extra step),
    ``compiled`` (whether ``torch.compile`` was really used), ``first_step_s`` (seconds of
    the first warm-up step: the compile time when compiling), ``batch`` and ``device``.
    The model is left on ``device``, its weights trained by the steps.

    Taught in ``13_gpus_and_distributed_training``.
    """
    steps, warmup = int(steps), int(warmup)
    if steps < 1 or warmup < 0:
        raise ValueError(f"throughput: need steps >= 1 and warmup >= 0, got {steps}, {warmup}")
    if amp not in _AMPS:
        raise ValueError(f"throughput: amp must be one of {_AMPS}, got {amp!r}")
    device = _check_device(device, "throughput")
    cuda = device.type == "cuda"
    fmt = torch.channels_last if channels_last else None
    model = model.to(device)
    if fmt is not None:
        model = model.to(memory_format=fmt)
    model.train()
    x = to_device(inputs, device, memory_format=fmt)
    y = targets.to(device)
    batch = _batch_size(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cuda") if (amp == "fp16" and cuda) else None
    runner, compiled = model, False
    if compile:
        try:
            runner, compiled = torch.compile(model), True
        except Exception as error:  # noqa: BLE001  (any failure: fall back)
            warnings.warn(f"throughput: torch.compile failed ({type(error).__name__}: {error}); using eager mode",
                          RuntimeWarning, stacklevel=2)

    def step(m):
        return train_step(m, x, y, optimizer, amp=amp, scaler=scaler)

    start = time.perf_counter()
    try:
        step(runner)
    except Exception as error:  # noqa: BLE001
        if not compiled:
            raise
        warnings.warn(f"throughput: the compiled model failed at its first call ({type(error).__name__}: "
                      f"{str(error)[:200]}); using eager mode", RuntimeWarning, stacklevel=2)
        runner, compiled = model, False
        optimizer.zero_grad(set_to_none=True)
        step(runner)
    _synchronize(device)
    first_step_s = time.perf_counter() - start
    for _ in range(max(warmup - 1, 0)):
        step(runner)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step(runner)
    _synchronize(device)
    seconds = time.perf_counter() - start
    if cuda:
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = _cpu_peak_bytes(lambda: step(runner), model, optimizer, x, y)
    return {"samples_per_s": batch * steps / seconds, "ms_per_step": 1000.0 * seconds / steps,
            "peak_memory_mb": peak / 2 ** 20, "compiled": compiled, "first_step_s": first_step_s,
            "batch": batch, "device": str(device)}


def _parse_setting(setting: str, device_type: str) -> dict:
    words = [w.strip() for w in str(setting).lower().split("+") if w.strip()]
    unknown = [w for w in words if w not in _SETTING_WORDS]
    if unknown or not words:
        raise ValueError(f"throughput_table: unknown setting {setting!r}; use words {_SETTING_WORDS} joined by '+'")
    amp = None
    if "bf16" in words:
        amp = "bf16"
    elif "fp16" in words:
        amp = "fp16"
    elif "amp" in words:
        cuda_bf16 = device_type == "cuda" and torch.cuda.is_bf16_supported()
        amp = "bf16" if (device_type != "cuda" or cuda_bf16) else "fp16"
    return {"amp": amp, "compile": "compile" in words, "channels_last": "channels_last" in words}


def throughput_table(models: Optional[Mapping[str, tuple]] = None, *, devices: Optional[Sequence[str]] = None,
                     settings: Sequence[str] = ("fp32", "amp", "amp+compile"), cpu_settings: Sequence[str] = ("fp32",),
                     steps: int = 10, warmup: int = 2, batch: int = 16, n_classes: int = 4,
                     seed: int = 0) -> pd.DataFrame:
    """:func:`throughput` of several models, devices and settings, one row each.

    ``models``: ``{name: (model, inputs, targets)}`` (default :func:`paper_models` with
    ``n_classes``, ``batch``, ``seed``). ``devices``: default ``("cpu", "cuda")`` when a GPU
    is available, else ``("cpu",)``; naming ``"cuda"`` without one raises ``RuntimeError``.
    ``settings`` (GPU rows) and ``cpu_settings`` (CPU rows): words joined by ``+``:
    ``"fp32"``, ``"amp"`` (bfloat16 where supported, else float16 with a ``GradScaler``;
    bfloat16 on the CPU), ``"bf16"``, ``"fp16"``, ``"compile"`` (``torch.compile``),
    ``"channels_last"``. By default only ``"fp32"`` runs on the CPU (add ``"bf16"`` to see
    the CPU's mixed precision). ``steps``, ``warmup``: per row, as in :func:`throughput`.
    The models train in place during the rows (moved back to the CPU after each).

    Returns a DataFrame with columns ``model``, ``device``, ``setting``, ``samples_per_s``,
    ``ms_per_step``, ``peak_memory_mb``, ``compiled`` and ``first_step_s``; when there are
    GPU rows also ``ratio_to_cpu``: each row's samples/s over the CPU fp32 samples/s of the
    same model (NaN without such a CPU row).

    Taught in ``13_gpus_and_distributed_training``.
    """
    if devices is None:
        devices = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
    devices = [str(_check_device(d, "throughput_table")) for d in devices]
    if models is None:
        models = paper_models(n_classes=n_classes, batch=batch, seed=seed)
    rows = []
    for name, (model, inputs, targets) in models.items():
        for device in devices:
            dtype = torch.device(device).type
            for setting in (cpu_settings if dtype == "cpu" else settings):
                options = _parse_setting(setting, dtype)
                try:
                    result = throughput(model, inputs, targets, device=device, steps=steps, warmup=warmup, **options)
                finally:
                    model.to("cpu")
                    if options["channels_last"]:
                        model.to(memory_format=torch.contiguous_format)
                rows.append({"model": name, "device": device, "setting": setting,
                             "samples_per_s": result["samples_per_s"], "ms_per_step": result["ms_per_step"],
                             "peak_memory_mb": result["peak_memory_mb"], "compiled": result["compiled"],
                             "first_step_s": result["first_step_s"]})
    table = pd.DataFrame(rows, columns=["model", "device", "setting", "samples_per_s", "ms_per_step",
                                        "peak_memory_mb", "compiled", "first_step_s"])
    if (table["device"] != "cpu").any():
        base = table[(table["device"] == "cpu") & (table["setting"] == "fp32")].set_index("model")["samples_per_s"]
        table["ratio_to_cpu"] = table["samples_per_s"] / table["model"].map(base).astype(float)
    return table
