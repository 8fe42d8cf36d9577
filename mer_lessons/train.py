"""One training loop for every chapter that trains a network (``07`` on).

* :func:`fit` trains a ``torch.nn.Module`` for some epochs and returns a :class:`History`
  (one value per epoch, ready for ``history.to_frame().plot()``). It picks the device,
  uses mixed precision on a GPU, seeds the shuffling, decays the learning rate, stops
  early when the validation loss stops improving, and can write checkpoints.
* :func:`fit` is built from small public steps that a chapter can call one by one
  (see *The steps of fit* below).
* :func:`evaluate` returns the mean loss and the accuracy on a data set;
  :func:`predict` returns the model's outputs as a NumPy array.
* :func:`save_checkpoint` / :func:`load_checkpoint` write and read checkpoints *safely*
  (see below).

The steps of fit
----------------
:func:`fit` is exactly this loop (same seed, same weights and history, bit for bit)::

    loader = make_loader(train_data, batch_size, shuffle=True, seed=seed)
    precision = MixedPrecision(amp, device)             # autocast dtype + GradScaler
    scheduler = make_lr_scheduler(optimizer, lr_decay)  # or None
    stopper = EarlyStopping(patience, min_delta)
    for epoch in range(1, epochs + 1):
        lr = current_lr(optimizer)
        train = train_one_epoch(model, loader, optimizer, loss_fn=loss_fn,
                                device=device, precision=precision, extra_loss=extra_loss)
        if scheduler is not None:
            scheduler.step()
        val = evaluate(model, val_data, loss_fn=loss_fn, device=device)
        history.append_epoch(train, val, lr=lr, seconds=...)
        improved = stopper.update(val["loss"], model)
        save_epoch_checkpoints(checkpoint_dir, model, optimizer, history, improved=improved)
        if stopper.should_stop:
            break
    stopper.restore_best(model)

Data
----
Every ``data`` argument is either a ``torch.utils.data.Dataset`` whose items are
``(x, y)`` pairs, or a pair ``(X, y)`` of tensors or NumPy arrays with the same first
dimension ``N`` (one row per example). Such a pair is wrapped in a ``TensorDataset``:
floating ``X`` becomes ``float32``, integer ``y`` becomes ``int64`` (class indices, what
``CrossEntropyLoss`` expects) and floating ``y`` becomes ``float32`` (regression targets).

Shapes
------
For classification into ``C`` classes the model maps a batch ``x`` of shape ``(B, ...)``
to logits of shape ``(B, C)`` (no softmax: ``CrossEntropyLoss`` applies it) and ``y`` has
shape ``(B,)``. A binary model may also return ``(B,)`` or ``(B, 1)`` logits with
``BCEWithLogitsLoss``; accuracy then thresholds the logits at 0. For other outputs
(regression) the accuracy is ``nan``.

Devices
-------
``device="auto"`` uses :func:`mer_lessons.get_device`: CUDA, then Apple's MPS, then the
CPU. Asking for ``"cuda"`` without a GPU raises ``RuntimeError`` rather than silently
training on the CPU. :func:`fit` moves the model to the device and leaves it there;
:func:`evaluate` and :func:`predict` move it too and return NumPy/Python values on the CPU.

Mixed precision
---------------
On CUDA, ``amp="auto"`` runs the forward pass under ``torch.autocast``: in ``bfloat16``
when the GPU supports it (Ampere and newer; same range as float32, no loss scaling
needed) and otherwise in ``float16`` with a ``GradScaler`` (float16 has a narrow range, so
the loss is scaled up before ``backward`` to keep small gradients from underflowing to
zero). ``amp="bf16"`` or ``"fp16"`` forces one; ``amp=False`` trains in float32. On the CPU
``"auto"`` is off, but ``amp="bf16"`` explicitly runs ``torch.autocast("cpu",
dtype=torch.bfloat16)`` (no loss scaling needed); ``"fp16"`` raises there (no GradScaler
or fp16 autocast worth using on a CPU). On MPS mixed precision is always off.
:class:`MixedPrecision` bundles the choice (see also :func:`resolve_amp`).

Safe checkpoints
----------------
A checkpoint is a ``torch.save`` file holding ``{"model": state_dict, "optimizer":
state_dict or None, "meta": dict}``. Loading an ordinary pickle can run arbitrary code
hidden in the file. :func:`load_checkpoint` uses ``torch.load(weights_only=True)``, which
only rebuilds tensors and plain containers (dict, list, tuple, str, int, float, bool,
None): a file holding anything else is refused with a :class:`CheckpointError` before
any of its code can run. Writing is atomic (a temporary file in the same folder, then
``os.replace``), so an interrupted save never leaves a half-written checkpoint under the
final name.

Errors
------
Bad arguments raise the error types of :mod:`mer_lessons.validation` (all of them are
``ValueError``; a wrong type is also a ``TypeError``), with messages such as
``fit: epochs must be an integer >= 1, got 0``. Bad data are caught batch by batch, before
they can spoil the weights: an empty data set or loader raises ``EmptyInputError``, a
batch holding NaN or inf ``NonFiniteError`` (naming the batch), and with a
classification loss (``CrossEntropyLoss``/``NLLLoss``, the default) float labels of shape
``(B,)`` raise ``WrongTypeError`` (convert them with ``y.long()``) and a label outside
``0 .. C-1`` (``C``: the model's outputs, the last dimension of ``(B, C)`` logits)
``OutOfRangeError``. A
training loss that becomes NaN or infinite stops training with
:class:`TrainingDivergedError` (naming the epoch, the batch and the loss) before that
batch's step; the checkpoints of earlier epochs stay as they were.

Taught in ``07_deep_learning_primer`` and used by every later training chapter; the steps of :func:`fit` are
taught in ``08_hao_realtime_fusion`` and ``13_gpus_and_distributed_training``.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import random
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from mer_lessons.environment import get_device, set_seed
from mer_lessons.validation import (
    EmptyInputError,
    InputError,
    NonFiniteError,
    OutOfRangeError,
    UnknownOptionError,
    WrongTypeError,
    as_float,
    as_int,
    message,
)

__all__ = [
    "CheckpointError",
    "DictDataset",
    "TrainingDivergedError",
    "EarlyStopping",
    "History",
    "MixedPrecision",
    "current_lr",
    "evaluate",
    "fit",
    "load_checkpoint",
    "make_loader",
    "make_lr_scheduler",
    "predict",
    "resolve_amp",
    "save_checkpoint",
    "save_epoch_checkpoints",
    "to_channels_last",
    "compile_model",
    "train_one_epoch",
]

SUPPORTED_METRICS = ("accuracy",)
RESUME_FILE = "resume.pt"  # fit writes it to checkpoint_dir after every epoch


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, truncated, unsafe or does not fit the model.

    Taught in ``08_hao_realtime_fusion``.
    """


class TrainingDivergedError(RuntimeError):
    """The training loss (or the weights) became NaN or infinite: training diverged.

    Raised by :func:`train_one_epoch` (and :func:`fit`) at the first non-finite loss,
    before the optimizer steps on it. ``epoch`` (1-based, ``None`` outside :func:`fit`),
    ``batch`` (1-based within the epoch) and ``loss`` say where. Usual causes: a learning
    rate that is too high, or NaN/inf in the inputs or targets.

    Taught in ``07_deep_learning_primer``.
    """

    def __init__(self, text: str, *, epoch: int | None = None, batch: int | None = None,
                 loss: float | None = None):
        super().__init__(text)
        self.epoch, self.batch, self.loss = epoch, batch, loss


# --------------------------------------------------------------------------- history


@dataclass
class History:
    """What :func:`fit` measured, one entry per finished epoch.

    ``train_loss`` / ``val_loss`` are mean losses per example; ``train_accuracy`` /
    ``val_accuracy`` are in [0, 1] (``nan`` when not computed, e.g. without validation
    data or for regression); ``lr`` is the learning rate used during the epoch;
    ``seconds`` its wall-clock time. ``best_epoch`` is the 1-based epoch with the lowest
    validation loss (training loss without validation data), ``stopped_early`` whether
    early stopping ended the run before ``epochs``.

    Taught in ``07_deep_learning_primer``.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    device: str = "cpu"
    amp: str | None = None

    @property
    def epochs(self) -> list:
        """The 1-based numbers of the finished epochs."""
        return list(range(1, len(self.train_loss) + 1))

    def append_epoch(
        self, train: dict, val: dict | None = None, *, lr: float, seconds: float
    ) -> None:
        """Add one finished epoch.

        ``train``: what :func:`train_one_epoch` returned (``{"loss", "accuracy", ...}``);
        ``val``: what :func:`evaluate` returned, or ``None`` without validation data (its
        entries are then ``nan``); ``lr``: the learning rate the epoch used; ``seconds``:
        its wall-clock time. Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
        """
        self.lr.append(lr)
        self.train_loss.append(train["loss"])
        self.train_accuracy.append(train["accuracy"])
        self.val_loss.append(math.nan if val is None else val["loss"])
        self.val_accuracy.append(math.nan if val is None else val["accuracy"])
        self.seconds.append(seconds)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_frame(self):
        """A pandas DataFrame with one row per epoch (index ``epoch``, from 1)."""
        import pandas as pd

        columns = [
            "train_loss",
            "val_loss",
            "train_accuracy",
            "val_accuracy",
            "lr",
            "seconds",
        ]
        frame = pd.DataFrame({name: getattr(self, name) for name in columns})
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
        return frame


# --------------------------------------------------------------------------- helpers


class DictDataset(Dataset):
    """``(x, y)`` pairs where ``x`` is a dict of tensors (a model with several inputs).

    ``inputs``: ``{name: tensor or array with N rows}``; ``y``: ``N`` labels (integer
    classes become ``int64``). ``dataset[i]`` is ``({name: inputs[name][i]}, y[i])``; a
    DataLoader batches it into ``({name: (B, ...)}, (B,))``.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, inputs, y):
        self.inputs = {k: torch.as_tensor(np.asarray(v) if not torch.is_tensor(v) else v)
                       for k, v in inputs.items()}
        self.y = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y)
        if not self.y.is_floating_point():
            self.y = self.y.long()
        bad = {k: len(v) for k, v in self.inputs.items() if len(v) != len(self.y)}
        if not self.inputs or bad:
            raise ValueError(f"DictDataset: every input needs {len(self.y)} rows like y; got {bad or 'no inputs'}")

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.inputs.items()}, self.y[i]



def _as_dataset(data, name: str = "data") -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = (
            torch.as_tensor(np.asarray(v) if not torch.is_tensor(v) else v)
            for v in data
        )
        if X.is_floating_point():
            X = X.float()
        if y.is_floating_point():
            y = y.float()
        elif y.dtype != torch.bool:
            y = y.long()
        if len(X) != len(y):
            raise ValueError(f"{name}: X has {len(X)} rows but y has {len(y)}")
        return TensorDataset(X, y)
    raise TypeError(
        f"{name}: expected a torch Dataset or an (X, y) pair of tensors/arrays, "
        f"got {type(data).__name__}"
    )


def _as_inputs_dataset(data) -> Dataset:
    """For :func:`predict`: also accept ``X`` alone."""
    if isinstance(data, Dataset) or (
        isinstance(data, (tuple, list)) and len(data) == 2
    ):
        return _as_dataset(data)
    X = torch.as_tensor(np.asarray(data) if not torch.is_tensor(data) else data)
    if X.is_floating_point():
        X = X.float()
    return TensorDataset(X)


def _split(batch):
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def _to(x, device):
    if torch.is_tensor(x):
        return x.to(device, non_blocking=True)
    if isinstance(x, (tuple, list)):
        return type(x)(_to(v, device) for v in x)
    if isinstance(x, dict):
        return {k: _to(v, device) for k, v in x.items()}
    return x


def _n_correct(out: torch.Tensor, y: torch.Tensor) -> float:
    """Correct predictions in a batch, or ``nan`` if accuracy does not apply."""
    if y is None or not torch.is_tensor(out) or not torch.is_tensor(y):
        return math.nan
    out = out.detach()
    if out.ndim == 2 and out.shape[1] > 1 and not y.is_floating_point() and y.ndim == 1:
        return (out.argmax(1) == y).sum().item()
    if (
        out.ndim >= 1
        and out.reshape(len(out), -1).shape[1] == 1
        and y.numel() == len(out)
    ):
        truth = y.reshape(-1)
        if truth.is_floating_point() and not bool(((truth == 0) | (truth == 1)).all()):
            return math.nan
        return ((out.reshape(-1) > 0).long() == truth.long()).sum().item()
    return math.nan


def _resolve_device(device):
    return get_device(device, verbose=False)


def _dataset_length(dataset) -> int | None:
    try:
        return len(dataset)
    except TypeError:  # an IterableDataset without __len__
        return None


def _require_examples(dataset, name: str, where: str) -> None:
    if _dataset_length(dataset) == 0:
        raise EmptyInputError(message(name, "a data set with at least one example", "0 examples",
                                      where=where, describe=False))


def _class_loss_ignore(loss_fn) -> tuple[bool, int | None]:
    """``(True, ignore_index)`` for a loss that takes class indices (cross-entropy, NLL)."""
    if isinstance(loss_fn, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
        return True, loss_fn.ignore_index
    if loss_fn in (torch.nn.functional.cross_entropy, torch.nn.functional.nll_loss):
        return True, -100
    return False, None


def _tensors(x):
    """``(label, tensor)`` for every floating tensor in a batch input (tensor, tuple, dict)."""
    if torch.is_tensor(x):
        return [("", x)] if (x.is_floating_point() or x.is_complex()) else []
    if isinstance(x, dict):
        return [(f" (input {k!r})", t) for k, v in x.items() for _, t in _tensors(v)]
    if isinstance(x, (tuple, list)):
        return [(f" (input {i})", t) for i, v in enumerate(x) for _, t in _tensors(v)]
    return []


def _check_batch(x, y, out, *, loss_fn, name: str, where: str, batch: int) -> None:
    """Finite inputs and, for a classification loss, integer labels in ``0 .. C-1``.

    One synchronisation with the device per batch (the counts and the label range are
    read together).
    """
    is_class, ignore = _class_loss_ignore(loss_fn)
    check_labels = (is_class and torch.is_tensor(y) and torch.is_tensor(out) and out.ndim >= 2
                    and y.ndim == out.ndim - 1)
    if check_labels and (y.is_floating_point() or y.dtype == torch.bool or y.is_complex()):
        raise WrongTypeError(message(
            f"{name} labels", "integer class indices (torch.long) for a classification loss",
            f"dtype {y.dtype} in batch {batch}", where=where, describe=False,
            hint="convert them with y.long() (or pass integer labels); for continuous targets use a "
                 "regression loss such as loss_fn=torch.nn.MSELoss()"))
    inputs = _tensors(x)
    values = [(~torch.isfinite(t)).sum() for _, t in inputs]
    n_classes = out.shape[1] if check_labels else None
    if check_labels and y.numel():
        # ignored labels (ignore_index) count as class 0; no boolean indexing (it would sync)
        valid = y if ignore is None else torch.where(y != ignore, y, torch.zeros_like(y))
        lo, hi = torch.aminmax(valid)
        values += [lo, hi]
    if not values:
        return
    got = torch.stack([v.to(torch.float32) for v in values]).tolist()
    for (label, _), bad in zip(inputs, got):
        if bad:
            raise NonFiniteError(message(
                name, "finite (no NaN or inf)", f"{int(bad)} non-finite values in batch {batch}{label}",
                where=where, describe=False,
                hint="clean the data first (drop or fill those rows, e.g. np.nan_to_num)"))
    if check_labels and len(got) > len(inputs):
        lo, hi = got[len(inputs):]
        if lo < 0 or hi >= n_classes:
            bad = int(lo) if lo < 0 else int(hi)
            raise OutOfRangeError(message(
                f"{name} labels", f"class indices in 0 .. {n_classes - 1} (the model has {n_classes} outputs)",
                f"label {bad} in batch {batch}", where=where, describe=False,
                hint="number the classes 0 .. C-1 (e.g. with np.unique(y, return_inverse=True)) or give "
                     "the model one output per class"))


def _check_loss(value: float, *, where: str, batch: int, optimizer=None, what: str = "training loss") -> None:
    if not math.isfinite(value):
        lr = f" (lr={current_lr(optimizer):g})" if optimizer is not None else ""
        raise TrainingDivergedError(
            f"{where}: the {what} is {value} at batch {batch}: training diverged; the optimizer did not "
            f"step on it. Lower the learning rate{lr}, and check the inputs and targets for NaN/inf",
            batch=batch, loss=value)


def _check_callable(value, name: str, expected: str, where: str) -> None:
    if value is not None and not callable(value):
        raise WrongTypeError(message(name, expected, value, where=where))


def _check_metrics(metrics, where: str = "fit") -> bool:
    """``True`` if ``metrics`` asks for accuracy; unknown names raise."""
    metrics = tuple(metrics or ())
    unknown = [m for m in metrics if m not in SUPPORTED_METRICS]
    if unknown:
        listed = ", ".join(repr(m) for m in SUPPORTED_METRICS)
        raise UnknownOptionError(message(
            "metrics", f"a tuple of names from {listed} (or ())", metrics, where=where,
            hint=f"unknown: {unknown}"))
    return "accuracy" in metrics


# --------------------------------------------------------------------------- the steps


def _seed_worker(worker_id: int) -> None:
    """``worker_init_fn``: seed NumPy and ``random`` in a loader worker from torch's seed.

    torch gives worker ``i`` the seed ``base_seed + i``, where ``base_seed`` is drawn from
    the loader's generator, so a seeded loader makes the workers' NumPy/``random`` draws
    (e.g. random augmentation in ``__getitem__``) reproducible too.
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(
    data, batch_size: int = 32, *, shuffle: bool = False, seed: int | None = None,
    name: str = "data", num_workers: int = 0, pin_memory: bool = False,
    persistent_workers: bool | None = None, **loader_kwargs
) -> DataLoader:
    """A ``DataLoader`` of mini-batches over ``data``, shuffled reproducibly.

    Parameters
    ----------
    data : Dataset or (X, y)
        See the module docstring: ``X`` of shape ``(N, ...)`` and ``y`` of shape ``(N,)``.
    batch_size : int
        Examples per batch (>= 1); a batch is ``(x, y)`` with ``x`` of shape
        ``(B, ...)`` and ``y`` of shape ``(B,)``, ``B = batch_size`` except for a smaller
        last batch.
    shuffle : bool
        Visit the examples in a new random order every epoch (training) or in their
        order (evaluation).
    seed : int or None
        With ``shuffle``: seeds the loader's own ``torch.Generator``, so the order of
        every epoch is the same for the same seed and does not depend on (or change)
        torch's global random state. ``None`` draws a fresh random seed. Ignored
        without ``shuffle``.
    name : str
        Names ``data`` in error messages.
    num_workers : int
        Worker processes that load batches in parallel with training (>= 0; ``0`` loads
        them in the training process). Helps when ``__getitem__`` does real work (reading
        files, computing features); for tensors already in memory it only adds start-up
        time. Each worker seeds NumPy and ``random`` from torch's per-worker seed (a
        ``worker_init_fn``), and the batch order comes from the seeded generator in the
        main process, so results do not depend on ``num_workers``.
    pin_memory : bool
        Put batches in page-locked memory, so copies to a CUDA GPU are faster and can
        overlap with computation (``.to(device, non_blocking=True)``). Without CUDA it
        is quietly turned off (torch would only warn that it has no effect).
    persistent_workers : bool or None
        Keep the workers alive between epochs (faster epoch start with many workers).
        ``None`` means ``False``. With ``True`` the workers' seeds are drawn only once
        per loader, so a run resumed with :func:`fit` (``resume``) no longer repeats the
        uninterrupted run bit for bit.
    **loader_kwargs
        Passed to ``DataLoader`` (``drop_last``, ``prefetch_factor`` ...).

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """
    batch_size = as_int(batch_size, "batch_size", minimum=1, where="make_loader")
    num_workers = as_int(num_workers, "num_workers", minimum=0, where="make_loader")
    dataset = _as_dataset(data, name)
    options = dict(loader_kwargs)
    if num_workers:
        options["num_workers"] = num_workers
        options.setdefault("worker_init_fn", _seed_worker)
        if persistent_workers:
            options["persistent_workers"] = True
    elif persistent_workers:
        raise InputError(message(
            "persistent_workers", "False or None when num_workers=0", persistent_workers,
            where="make_loader", hint="there are no workers to keep"))
    if pin_memory and torch.cuda.is_available():
        options["pin_memory"] = True
    if not shuffle:
        return DataLoader(dataset, batch_size=batch_size, shuffle=False, **options)
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(int(seed))
    else:
        generator.seed()
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, generator=generator, **options
    )


def resolve_amp(amp: Any, device, *, where: str = "resolve_amp") -> torch.dtype | None:
    """The autocast dtype :func:`fit` uses, or ``None`` for plain float32.

    ``amp`` is ``"auto"`` (bf16 if the GPU supports it, else fp16; ``None`` off CUDA),
    ``True`` (the same, but raises off CUDA), ``"bf16"``, ``"fp16"``, or ``False``/``None``.

    On the CPU only an explicit ``"bf16"`` turns mixed precision on
    (``torch.autocast("cpu", dtype=torch.bfloat16)``; bfloat16 has float32's range, so no
    loss scaling is needed); ``"auto"`` stays off there, because bf16 on a CPU is only
    faster on recent chips with bf16 instructions. ``"fp16"`` and ``True`` on the CPU, and
    any mixed precision on MPS, raise: float16 needs a ``GradScaler`` and fp16 autocast,
    which only CUDA supports well enough to be worth teaching.

    An unknown value raises :class:`~mer_lessons.validation.UnknownOptionError`, a
    combination the device does not support an :class:`~mer_lessons.validation.InputError`
    (both are ``ValueError``). ``where`` names the caller in the message.

    Taught in ``08_hao_realtime_fusion``; CPU bf16 in ``13_gpus_and_distributed_training``.
    """
    device = torch.device(device)
    if amp is None or amp is False:
        return None
    if isinstance(amp, str):
        amp = amp.strip().lower()
    if amp == "auto" and device.type != "cuda":
        return None
    try:
        known = amp in ("auto", True, "bf16", "bfloat16", "fp16", "float16")
    except TypeError:  # something incomparable
        known = False
    if not known:
        raise UnknownOptionError(message(
            "amp", "one of 'auto', True, False, 'bf16' or 'fp16'", amp, where=where))
    if device.type == "cpu" and amp in ("bf16", "bfloat16"):
        return torch.bfloat16
    if device.type == "cpu":
        raise InputError(message(
            "amp", "'auto', False or 'bf16' on the cpu device", amp, where=where,
            hint="float16 mixed precision needs CUDA (a GradScaler and fp16 autocast, "
                 "which the CPU does not support well enough to be worth it); "
                 "use amp='bf16' on the CPU"))
    if device.type != "cuda":
        raise InputError(message(
            "amp", f"'auto' or False on the {device.type} device", amp, where=where,
            hint="mixed precision is only used on CUDA (and bf16 on the CPU)"))
    if amp in ("bf16", "bfloat16"):
        return torch.bfloat16
    if amp in ("fp16", "float16"):
        return torch.float16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class MixedPrecision:
    """Mixed precision on one device: the autocast dtype and the loss scaler, together.

    ``MixedPrecision(amp, device)`` resolves ``amp`` with :func:`resolve_amp` (so
    ``"auto"`` is off on the CPU and MPS; on the CPU ``"bf16"`` turns bfloat16 autocast on,
    without loss scaling, while ``"fp16"``/``True`` raise there, as does anything on MPS).

    Attributes
    ----------
    device : torch.device
    dtype : torch.dtype or None
        ``torch.bfloat16`` or ``torch.float16`` for the forward pass, ``None`` for float32.
    scaler : torch.amp.GradScaler
        Enabled only for ``float16`` (its narrow range needs the loss scaled up before
        ``backward``); for bf16 and float32 it passes everything through unchanged.

    Use it as::

        with precision.autocast():
            loss = loss_fn(model(x), y)          # matmuls in dtype, reductions in float32
        precision.backward_and_step(loss, optimizer)

    or, to accumulate gradients over several batches, :meth:`backward` per batch and
    :meth:`step` once per group (what :func:`train_one_epoch` does with ``accumulate``).

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """

    def __init__(self, amp: Any = "auto", device="auto", *, where: str = "MixedPrecision"):
        self.device = _resolve_device(device)
        self.dtype = resolve_amp(amp, self.device, where=where)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.dtype == torch.float16)

    @property
    def enabled(self) -> bool:
        """Whether the forward pass runs in lower precision."""
        return self.dtype is not None

    @property
    def name(self) -> str | None:
        """``"torch.bfloat16"``, ``"torch.float16"`` or ``None`` (what ``History.amp`` holds)."""
        return None if self.dtype is None else str(self.dtype)

    def autocast(self):
        """A ``torch.autocast`` context for the forward pass and the loss (off if disabled)."""
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=self.enabled)

    def backward_and_step(self, loss: torch.Tensor, optimizer) -> None:
        """``loss.backward()`` and ``optimizer.step()``, through the scaler.

        With float16 the loss is multiplied by the scale before ``backward``, the
        gradients are divided by it again before the step (which is skipped if any of
        them overflowed to inf/nan), and the scale is adapted; otherwise this is plain
        ``loss.backward(); optimizer.step()``.
        """
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        self.scaler.update()

    def backward(self, loss: torch.Tensor) -> None:
        """``loss.backward()`` through the scaler; gradients add up until :meth:`step`."""
        self.scaler.scale(loss).backward()

    def step(self, optimizer) -> None:
        """``optimizer.step()`` through the scaler (unscales, skips on inf/nan, adapts)."""
        self.scaler.step(optimizer)
        self.scaler.update()

    def __repr__(self) -> str:
        return (f"MixedPrecision(device={self.device}, dtype={self.dtype}, "
                f"loss_scaling={self.scaler.is_enabled()})")


def current_lr(optimizer) -> float:
    """The learning rate of the optimizer's first parameter group, as a float.

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """
    return float(optimizer.param_groups[0]["lr"])


def _lr_gamma(lr_decay, where: str) -> float:
    try:
        return as_float(lr_decay, "lr_decay", minimum=0, maximum=1, low_open=True, where=where)
    except InputError as exc:
        raise type(exc)(
            f"{exc}; or pass a callable lr_decay(optimizer) that returns a scheduler"
        ) from None


def make_lr_scheduler(optimizer, lr_decay, *, where: str = "make_lr_scheduler"):
    """The learning-rate schedule of :func:`fit`, stepped once per epoch; ``None`` for none.

    ``lr_decay`` is ``None`` (constant rate), a factor ``gamma`` in ``(0, 1]`` (the rate is
    multiplied by it after every epoch: ``lr_epoch_k = lr * gamma**(k-1)``, an
    ``ExponentialLR``) or a callable ``lr_decay(optimizer)`` returning any scheduler with a
    ``step()`` method. A factor outside ``(0, 1]`` raises
    :class:`~mer_lessons.validation.OutOfRangeError`, a non-number
    :class:`~mer_lessons.validation.WrongTypeError`.

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """
    if lr_decay is None:
        return None
    if callable(lr_decay):
        return lr_decay(optimizer)
    gamma = _lr_gamma(lr_decay, where)
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)


def train_one_epoch(
    model: torch.nn.Module,
    loader,
    optimizer: torch.optim.Optimizer,
    *,
    loss_fn: Callable | None = None,
    device="auto",
    precision: MixedPrecision | None = None,
    extra_loss: Callable | None = None,
    accuracy: bool = True,
    accumulate: int = 1,
    name: str = "loader",
) -> dict:
    """One pass over ``loader``: forward, loss, backward and an optimizer step per batch.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device`` and put in training mode (dropout on, batch-norm updating).
    loader : iterable of (x, y) batches
        E.g. from :func:`make_loader`; ``x`` of shape ``(B, ...)`` (or a dict of such
        tensors), ``y`` of shape ``(B,)``.
    optimizer : torch.optim.Optimizer
        Stepped once per batch (once per ``accumulate`` batches); gradients are cleared
        after each step.
    loss_fn : callable, optional
        ``loss_fn(output, y)`` returning the batch mean. Default ``CrossEntropyLoss()``.
    device : str or torch.device
        Where the batches go (via :func:`mer_lessons.get_device`).
    precision : MixedPrecision, optional
        Autocast and loss scaling; ``None`` trains in plain float32.
    extra_loss : callable, optional
        ``extra_loss(model, x)``: a scalar tensor added to the loss that is minimised (not
        to the reported loss), e.g. a reconstruction term.
    accuracy : bool
        Count correct predictions (see the module docstring); ``False`` reports ``nan``.
    accumulate : int
        Gradient accumulation (>= 1): the loss of every batch is divided by
        ``accumulate`` and the gradients of ``accumulate`` consecutive batches add up
        before one optimizer step, so with a mean loss and equal batches of ``B``
        examples a step sees the gradient of one batch of ``accumulate * B`` examples
        (a large effective batch that does not fit in memory at once). If the epoch
        ends inside a group, the optimizer also steps on the last ``r < accumulate``
        batches; their losses are still divided by ``accumulate``, so every example
        keeps the same weight and that last step is ``r / accumulate`` of a full one.
        ``1`` (the default) steps after every batch.
    name : str
        Names the data in error messages (:func:`fit` passes ``"train_data"``).

    Bad data (see the module docstring, *Errors*): a loader without batches raises
    ``EmptyInputError``; a batch with NaN/inf inputs ``NonFiniteError``; with a
    classification loss, float labels ``WrongTypeError`` and labels outside the model's
    ``0 .. C-1`` ``OutOfRangeError``; a NaN or infinite loss :class:`TrainingDivergedError`
    before the optimizer steps on that batch. Each names the batch (1-based).

    Profiling
    ---------
    The phases of every batch run inside ``torch.profiler.record_function`` labels
    ``"data loading"`` (fetching the next batch from ``loader``), ``"forward"`` (model and
    loss, under autocast), ``"backward"`` and ``"optimizer"`` (the step and clearing the
    gradients), so a ``torch.profiler.profile`` of an epoch shows where the time goes.
    Without an active profiler the labels cost next to nothing.

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float, "n": int}`` like :func:`evaluate`: ``loss``
        is the mean of ``loss_fn`` per example over the epoch (each batch mean weighted by
        its size ``B``, measured while the weights change), ``accuracy`` the fraction
        correct in [0, 1], ``n`` the number of examples seen. The reported loss is
        not divided by ``accumulate``.

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on
    (``13_gpus_and_distributed_training`` adds ``accumulate`` and the profiling labels).
    """
    accumulate = as_int(accumulate, "accumulate", minimum=1, where="train_one_epoch")
    device = _resolve_device(device)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    if precision is None:
        precision = MixedPrecision(False, device)
    model.to(device)
    model.train()
    total_loss, correct, n = 0.0, 0.0, 0
    record = torch.profiler.record_function
    optimizer.zero_grad(set_to_none=True)
    iterator = iter(loader)
    pending = 0  # batches whose gradients wait for a step
    index = 0
    while True:
        with record("data loading"):
            try:
                batch = next(iterator)
            except StopIteration:
                break
            index += 1
            x, y = _split(batch)
            x, y = _to(x, device), _to(y, device)
        with record("forward"):
            with precision.autocast():
                out = model(x)
                _check_batch(x, y, out, loss_fn=loss_fn, name=name, where="train_one_epoch", batch=index)
                loss = loss_fn(out, y)
                total = loss if extra_loss is None else loss + extra_loss(model, x)
            loss_value = loss.item()
            _check_loss(loss_value, where="train_one_epoch", batch=index, optimizer=optimizer)
            if extra_loss is not None:
                _check_loss(total.item(), where="train_one_epoch", batch=index, optimizer=optimizer,
                            what="training loss + extra_loss")
        with record("backward"):
            precision.backward(total if accumulate == 1 else total / accumulate)
        pending += 1
        if pending == accumulate:
            with record("optimizer"):
                precision.step(optimizer)
                optimizer.zero_grad(set_to_none=True)
            pending = 0
        b = len(y)
        total_loss += loss_value * b
        if accuracy:
            correct += _n_correct(out, y)
        n += b
    if index == 0:
        raise EmptyInputError(message(
            name, "a loader that yields at least one batch", "none", where="train_one_epoch", describe=False,
            hint="is the data set empty, or drop_last=True with fewer examples than batch_size?"))
    if pending:  # the last, partial group
        with record("optimizer"):
            precision.step(optimizer)
            optimizer.zero_grad(set_to_none=True)
    return {
        "loss": total_loss / max(n, 1),
        "accuracy": correct / max(n, 1) if accuracy else math.nan,
        "n": n,
    }


class EarlyStopping:
    """Tracks the best epoch of a monitored loss and says when to stop.

    Call :meth:`update` once per epoch with the loss (the validation loss in :func:`fit`).
    An epoch *improves* when its loss is below ``best_loss - min_delta``. After
    ``patience`` epochs in a row without improvement :attr:`should_stop` becomes true;
    :meth:`restore_best` then puts back the weights of the best epoch.

    Parameters
    ----------
    patience : int or None
        Epochs without improvement to wait (>= 1); ``None`` never stops (it still tracks
        ``best_epoch``, which :func:`fit` uses for ``best.pt``).
    min_delta : float
        How much lower (in loss units, >= 0) the loss must be to count as better.
    keep_best : bool, optional
        Keep a copy of the best weights (``model.state_dict()``, on the model's device).
        Default: only when ``patience`` is set.

    Attributes
    ----------
    best_loss : float
        Lowest loss so far (``inf`` before the first update).
    best_epoch : int or None
        1-based epoch of ``best_loss``.
    bad_epochs : int
        Epochs since the last improvement.
    epoch : int
        Updates so far.

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """

    def __init__(self, patience: int | None = None, min_delta: float = 0.0, *,
                 keep_best: bool | None = None, where: str = "EarlyStopping"):
        self.patience = None if patience is None else as_int(
            patience, "patience", minimum=1, where=where)
        self.min_delta = as_float(min_delta, "min_delta", minimum=0, where=where)
        self.keep_best = (patience is not None) if keep_best is None else bool(keep_best)
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.epoch = 0
        self.best_state: dict | None = None

    def update(self, loss: float, model: torch.nn.Module | None = None) -> bool:
        """Record one epoch's ``loss``; return whether it improved on the best so far.

        With ``keep_best`` the ``model``'s weights are copied when it improved. A ``nan``
        loss never improves.
        """
        if self.keep_best and model is None:
            raise WrongTypeError(message(
                "model", "the model whose best weights to keep", model,
                where="EarlyStopping.update"))
        self.epoch += 1
        improved = loss < self.best_loss - self.min_delta
        if improved:
            self.best_loss, self.bad_epochs = loss, 0
            self.best_epoch = self.epoch
            if self.keep_best:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return improved

    @property
    def should_stop(self) -> bool:
        """``True`` once ``patience`` epochs in a row did not improve."""
        return self.patience is not None and self.bad_epochs >= self.patience

    def restore_best(self, model: torch.nn.Module) -> bool:
        """Load the best weights into ``model``; ``False`` (nothing done) if none were kept."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"best_loss={self.best_loss:.4g}, best_epoch={self.best_epoch}, "
                f"bad_epochs={self.bad_epochs})")


# --------------------------------------------------------------------------- evaluate


def evaluate(
    model, data, *, loss_fn=None, batch_size: int = 256, device="auto", name: str = "data"
) -> dict:
    """Mean loss and accuracy of ``model`` on ``data``, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device``; put in eval mode during the pass, its previous mode restored.
    data : Dataset or (X, y)
        See the module docstring for the shapes.
    loss_fn : callable, optional
        ``loss_fn(output, y)`` returning a batch mean (``CrossEntropyLoss()`` by default).
    batch_size : int
        Only changes speed and memory, not the result (up to float rounding).
    device : str or torch.device
        As in :func:`mer_lessons.get_device`.

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float (nan if not applicable), "n": int}``, the
        loss being the mean over all ``n`` examples (all ``nan`` and ``n=0`` for an empty
        data set).

    Batches with NaN/inf inputs, float labels or labels outside the model's classes raise
    as in :func:`train_one_epoch` (``name`` names the data in the message).

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """
    device = _resolve_device(device)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    loader = make_loader(data, batch_size, shuffle=False)
    model.to(device)
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0.0, 0
    try:
        with torch.no_grad():
            for index, batch in enumerate(loader, 1):
                x, y = _split(batch)
                x, y = _to(x, device), _to(y, device)
                out = model(x)
                _check_batch(x, y, out, loss_fn=loss_fn, name=name, where="evaluate", batch=index)
                b = len(y)
                total_loss += float(loss_fn(out, y)) * b
                correct += _n_correct(out, y)
                n += b
    finally:
        model.train(was_training)
    if n == 0:
        return {"loss": math.nan, "accuracy": math.nan, "n": 0}
    return {"loss": total_loss / n, "accuracy": correct / n, "n": n}


def predict(
    model, data, *, batch_size: int = 256, device="auto", output: str = "logits"
):
    """The model's outputs on ``data`` as a NumPy array (on the CPU).

    ``data`` is a Dataset, an ``(X, y)`` pair (``y`` ignored) or ``X`` alone.
    ``output="logits"`` returns the raw outputs, shape ``(N, C)`` for a classifier;
    ``"proba"`` applies a softmax over the last axis (shape ``(N, C)``, rows sum to 1);
    ``"class"`` returns the arg-max class indices, shape ``(N,)``. A batch with NaN or
    infinite inputs raises ``NonFiniteError`` naming it (its outputs would be garbage).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    if output not in ("logits", "proba", "class"):
        raise UnknownOptionError(message(
            "output", "one of 'logits', 'proba' or 'class'", output, where="predict"))
    device = _resolve_device(device)
    loader = DataLoader(_as_inputs_dataset(data), batch_size=batch_size, shuffle=False)
    model.to(device)
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for index, batch in enumerate(loader, 1):
                x, _ = _split(batch)
                x = _to(x, device)
                _check_batch(x, None, None, loss_fn=None, name="data", where="predict", batch=index)
                chunks.append(model(x).float().cpu())
    finally:
        model.train(was_training)
    out = torch.cat(chunks) if chunks else torch.empty(0)
    if output == "proba":
        out = out.softmax(-1)
    elif output == "class":
        out = out.argmax(-1)
    return out.numpy()


# --------------------------------------------------------------------------- fit


def _progress_postfix(history: History, want_accuracy: bool, has_val: bool) -> dict:
    postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
    if want_accuracy and not math.isnan(history.train_accuracy[-1]):
        postfix["acc"] = f"{history.train_accuracy[-1]:.3f}"
    if has_val:
        postfix["val_loss"] = f"{history.val_loss[-1]:.4f}"
        if want_accuracy and not math.isnan(history.val_accuracy[-1]):
            postfix["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return postfix


def fit(
    model: torch.nn.Module,
    train_data,
    val_data=None,
    *,
    loss_fn: Callable | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    lr_decay: float | Callable | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    device="auto",
    amp="auto",
    seed: int | None = 0,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
    metrics=("accuracy",),
    extra_loss: Callable | None = None,
    accumulate: int = 1,
    loader_options: dict | None = None,
    resume: bool | str | os.PathLike = False,
    stop_after: int | None = None,
) -> History:
    """Train ``model`` on ``train_data`` and return its :class:`History`.

    The loop is made of the public steps (see the module docstring, *The steps of
    fit*): :func:`make_loader` (seeded shuffling), :class:`MixedPrecision` (autocast and
    loss scaling), :func:`make_lr_scheduler`, then per epoch :func:`train_one_epoch`,
    :func:`evaluate` on ``val_data``, :meth:`History.append_epoch`,
    :class:`EarlyStopping` and :func:`save_epoch_checkpoints`.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device`` and trained in place (it stays on ``device``). Build it after
        :func:`mer_lessons.set_seed` if its initial weights should be reproducible too.
    train_data, val_data : Dataset or (X, y)
        See the module docstring. ``val_data`` is evaluated after every epoch.
    loss_fn : callable, optional
        ``loss_fn(output, y)`` returning a batch mean. Default ``CrossEntropyLoss()``.
    optimizer : torch.optim.Optimizer, optional
        Default ``Adam(model.parameters(), lr=1e-3)`` (created after the move to ``device``).
    epochs : int
        The most epochs to train (>= 1).
    batch_size : int
        Training mini-batch size (>= 1; the last batch may be smaller).
    lr_decay : float or callable, optional
        A factor ``gamma``: the learning rate is multiplied by it after every epoch
        (``ExponentialLR``), so ``lr_decay=0.5`` halves it each epoch. A callable
        ``lr_decay(optimizer)`` may return any scheduler with a ``step()`` called once
        per epoch. ``history.lr`` records the rate each epoch used. See
        :func:`make_lr_scheduler`.
    patience : int, optional
        Early stopping (needs ``val_data``): stop when the validation loss has not
        improved by more than ``min_delta`` for ``patience`` epochs in a row, and put
        back the weights of the best epoch. See :class:`EarlyStopping`.
    min_delta : float
        The improvement (>= 0, in loss units) that counts for early stopping and
        ``best.pt``.
    device : str or torch.device
        ``"auto"`` or a device name, via :func:`mer_lessons.get_device`.
    amp : "auto", bool, "bf16" or "fp16"
        Mixed precision, on CUDA only (see the module docstring, :class:`MixedPrecision`
        and :func:`resolve_amp`).
    seed : int or None
        Passed to :func:`mer_lessons.set_seed` and seeds the shuffling of the training
        batches (:func:`make_loader`), so two runs with the same seed (and the same
        initial model) give the same history on the same machine. ``None`` leaves the
        random state alone.
    checkpoint_dir : path, optional
        Write ``best.pt`` (whenever the monitored loss improves) and ``last.pt`` (after
        every epoch) with :func:`save_checkpoint`; meta holds ``epoch``, the losses and the
        history so far. See :func:`save_epoch_checkpoints`.
    progress : bool
        Show a tqdm bar over the epochs with the latest loss/accuracy.
    metrics : tuple
        ``("accuracy",)`` (the default) or ``()`` to skip accuracy.
    extra_loss : callable, optional
        ``extra_loss(model, x)`` returning a scalar tensor added to the training loss of
        every batch, e.g. an autoencoder's reconstruction loss (Hao et al., Eq. 8:
        ``lambda m, x: m.reconstruction_loss(x)``). The reported losses and early stopping
        use ``loss_fn`` only, so they stay comparable across models.
    accumulate : int
        Gradient accumulation (>= 1): one optimizer step per ``accumulate`` batches, each
        batch's loss divided by ``accumulate``, so the effective batch has
        ``accumulate * batch_size`` examples. See :func:`train_one_epoch` (also for the
        last, partial group of an epoch).
    loader_options : dict, optional
        More options for the training loader, passed to :func:`make_loader`:
        ``num_workers`` (default 0), ``pin_memory`` (default False; turned off without
        CUDA), ``persistent_workers`` and any ``DataLoader`` keyword. The shuffling stays
        seeded, so the result does not depend on ``num_workers``.
    resume : bool or path
        Continue an interrupted run. After every epoch :func:`fit` (with
        ``checkpoint_dir``) writes ``checkpoint_dir/resume.pt``: the model, the optimizer,
        the learning-rate scheduler, the early-stopping state (best loss, best weights,
        epochs without improvement), the history so far, the epoch number and the random
        states (torch's CPU generator, the loader's shuffling generator, NumPy, Python's
        ``random`` and, if present, CUDA), all stored as tensors and plain values that
        load safely (``weights_only=True``). ``resume=True`` restores that file if it
        exists (and starts from scratch if it does not); ``resume=path`` restores that
        file (which must exist). The run then continues with the next epoch, and with
        the same arguments it ends with bit-identical weights and history (except
        ``seconds``) to a run that was never interrupted (on the same machine, with
        ``persistent_workers`` off). A run that had already finished is not trained
        further. Build the model and optimizer as for the first run before resuming.
    stop_after : int, optional
        Stop after this epoch as if the run were killed there (for demonstrations and
        tests of ``resume``; needs ``checkpoint_dir``): the resume checkpoint is left
        behind, and the model keeps that epoch's weights (the best ones are not put
        back). The returned history holds the epochs so far.

    Returns
    -------
    History

    Raises
    ------
    ValueError, TypeError
        Bad arguments, as the error types of :mod:`mer_lessons.validation`
        (``fit: epochs must be an integer >= 1, got 0``).
    RuntimeError
        ``device="cuda"`` (or ``"mps"``) where there is none.
    FileNotFoundError
        ``resume`` names a file that does not exist.
    CheckpointError
        The resume checkpoint is corrupt, unsafe or does not fit the model/optimizer.
    EmptyInputError, NonFiniteError, WrongTypeError, OutOfRangeError
        An empty ``train_data``/``val_data``; a batch with NaN/inf inputs; float labels
        or labels outside ``0 .. C-1`` with a classification loss (see the module
        docstring, *Errors*). Checked batch by batch, the labels with one min/max each.
    TrainingDivergedError
        The training loss became NaN or infinite (named: epoch, batch, loss), or the
        validation loss or the weights after an epoch did. Nothing of that epoch is
        saved; checkpoints (written atomically) keep the last finished epoch.

    Taught in ``02_stft_and_spectrograms``; ``accumulate``, ``loader_options``,
    ``resume`` and ``stop_after`` in ``13_gpus_and_distributed_training``.
    """
    from tqdm.auto import tqdm

    # 1. check the arguments before anything changes
    epochs = as_int(epochs, "epochs", minimum=1, where="fit")
    batch_size = as_int(batch_size, "batch_size", minimum=1, where="fit")
    if patience is not None and val_data is None:
        raise InputError(message(
            "val_data", "given for early stopping", "None", where="fit", describe=False,
            hint=f"patience={patience!r} monitors the validation loss: pass val_data"))
    stopper = EarlyStopping(patience, min_delta, where="fit")
    want_accuracy = _check_metrics(metrics, where="fit")
    if lr_decay is not None and not callable(lr_decay):
        _lr_gamma(lr_decay, "fit")
    _check_callable(loss_fn, "loss_fn", "a callable loss_fn(output, y)", "fit")
    _check_callable(extra_loss, "extra_loss", "a callable extra_loss(model, x)", "fit")
    if seed is not None:
        seed = as_int(seed, "seed", minimum=0, maximum=2**32 - 1, where="fit")
    accumulate = as_int(accumulate, "accumulate", minimum=1, where="fit")
    if stop_after is not None:
        stop_after = as_int(stop_after, "stop_after", minimum=1, where="fit")
    if loader_options is not None and not isinstance(loader_options, dict):
        raise WrongTypeError(message(
            "loader_options", "a dict of make_loader/DataLoader options or None",
            loader_options, where="fit"))
    if (resume is True or stop_after is not None) and checkpoint_dir is None:
        raise InputError(message(
            "checkpoint_dir", "given with resume=True or stop_after", "None", where="fit",
            describe=False, hint="the resume checkpoint lives in checkpoint_dir/resume.pt"))
    resume_path = None
    if resume is True:
        resume_path = Path(checkpoint_dir) / RESUME_FILE
        if not resume_path.is_file():
            resume_path = None  # nothing to resume: start from scratch
    elif resume is not False and resume is not None:
        if not isinstance(resume, (str, os.PathLike)):
            raise WrongTypeError(message(
                "resume", "True, False or the path of a resume checkpoint", resume,
                where="fit"))
        resume_path = Path(resume)
        if not resume_path.is_file():
            raise FileNotFoundError(f"fit: no resume checkpoint at {resume_path}")
    device = _resolve_device(device)
    precision = MixedPrecision(amp, device, where="fit")

    # 2. seed, data, model, optimizer, schedule
    if seed is not None:
        set_seed(seed)
    train_set = _as_dataset(train_data, "train_data")
    _require_examples(train_set, "train_data", "fit")
    val_set = None if val_data is None else _as_dataset(val_data, "val_data")
    if val_set is not None:
        _require_examples(val_set, "val_data", "fit")
    loader = make_loader(train_set, batch_size, shuffle=True, seed=seed,
                         name="train_data", **(loader_options or {}))
    model.to(device)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = make_lr_scheduler(optimizer, lr_decay, where="fit")
    ckpt_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)

    # 3. the epochs (after the state of an interrupted run, if resuming)
    history = History(device=str(device), amp=precision.name)
    first = 1
    if resume_path is not None:
        history = _load_resume(resume_path, model, optimizer, scheduler, stopper,
                               loader, precision)
        first = len(history.train_loss) + 1
        if history.stopped_early or stopper.should_stop:
            first = epochs + 1  # that run had finished
    bar = tqdm(range(first, epochs + 1), desc="epochs", unit="epoch",
               disable=not progress, initial=first - 1, total=epochs)
    for epoch in bar:
        start = time.perf_counter()
        lr = current_lr(optimizer)
        try:
            train_scores = train_one_epoch(
                model, loader, optimizer, loss_fn=loss_fn, device=device,
                precision=precision, extra_loss=extra_loss, accuracy=want_accuracy,
                accumulate=accumulate, name="train_data",
            )
        except TrainingDivergedError as exc:
            bar.close()
            raise TrainingDivergedError(
                f"fit: epoch {epoch}, " + str(exc).replace("train_one_epoch: ", "", 1)
                + ("; the checkpoints in checkpoint_dir are those of the last finished epoch"
                   if ckpt_dir is not None else ""),
                epoch=epoch, batch=exc.batch, loss=exc.loss) from None
        if scheduler is not None:
            scheduler.step()
        val_scores = None
        if val_set is not None:
            val_scores = evaluate(
                model, val_set, loss_fn=loss_fn, batch_size=max(256, batch_size),
                device=device, name="val_data",
            )
            if not math.isfinite(val_scores["loss"]):
                bar.close()
                raise TrainingDivergedError(
                    f"fit: epoch {epoch}: the validation loss is {val_scores['loss']}: training diverged "
                    "(the weights after the epoch give non-finite outputs); nothing of this epoch was "
                    f"saved. Lower the learning rate (lr={lr:g})", epoch=epoch, loss=val_scores["loss"])
            if not want_accuracy:
                val_scores["accuracy"] = math.nan
        history.append_epoch(
            train_scores, val_scores, lr=lr, seconds=time.perf_counter() - start
        )

        monitored = history.val_loss[-1] if val_set is not None else history.train_loss[-1]
        improved = stopper.update(monitored, model)
        history.best_epoch = stopper.best_epoch
        bar.set_postfix(_progress_postfix(history, want_accuracy, val_set is not None))
        if ckpt_dir is not None:
            if not all(bool(torch.isfinite(p).all()) for p in model.parameters() if p.is_floating_point()):
                bar.close()
                raise TrainingDivergedError(
                    f"fit: epoch {epoch}: the weights became NaN or infinite: training diverged; the "
                    f"checkpoints of this epoch were not written. Lower the learning rate (lr={lr:g})",
                    epoch=epoch)
            save_epoch_checkpoints(ckpt_dir, model, optimizer, history, improved=improved)
        if stopper.should_stop:
            history.stopped_early = epoch < epochs
        if ckpt_dir is not None:
            _save_resume(ckpt_dir / RESUME_FILE, model, optimizer, scheduler, stopper,
                         history, loader, precision)
        if stopper.should_stop:
            break
        if stop_after is not None and epoch >= stop_after and epoch < epochs:
            bar.close()
            return history  # as if killed here: no restore_best
    bar.close()
    stopper.restore_best(model)
    return history


# --------------------------------------------------------------------------- checkpoints


def _plain(value, where: str):
    """Meta values that ``weights_only`` loading accepts (NumPy scalars become Python)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return torch.as_tensor(value).detach().cpu()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"save_checkpoint: {where} is a {type(value).__name__}; meta may only hold None, "
        "bool, int, float, str, tensors/arrays, lists and dicts (what loads safely)"
    )


def save_checkpoint(path, model, optimizer=None, **meta) -> Path:
    """Write ``{"model", "optimizer", "meta"}`` to ``path`` atomically; return the path.

    Tensors are stored on the CPU, so the file loads on any machine. ``meta`` (epoch,
    losses, settings ...) may only hold plain values, lists, dicts and tensors; anything
    else raises ``TypeError`` now instead of failing the safe load later. The data go to
    a temporary file in the same folder that then replaces ``path`` (``os.replace``), so
    readers see either the old or the new checkpoint, never half a file.

    Taught in ``07_deep_learning_primer``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": None if optimizer is None else _to(optimizer.state_dict(), "cpu"),
        "meta": _plain(meta, "meta"),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def save_epoch_checkpoints(
    folder, model, optimizer, history: History, *, improved: bool
) -> list[Path]:
    """The checkpoints :func:`fit` writes after an epoch; returns the paths written.

    ``folder/last.pt`` every epoch, and ``folder/best.pt`` too when ``improved`` (the
    monitored loss reached a new best, see :meth:`EarlyStopping.update`). Both hold the
    model and optimizer state and meta ``{"epoch", "train_loss", "val_loss",
    "history"}``: the 1-based epoch (``len(history.train_loss)``), that epoch's mean
    losses per example and ``history.to_dict()`` so far.

    Taught in ``07_deep_learning_primer``; used from ``08_hao_realtime_fusion`` on (``13_gpus_and_distributed_training`` takes it to GPUs).
    """
    folder = Path(folder)
    meta = {
        "epoch": len(history.train_loss),
        "train_loss": history.train_loss[-1],
        "val_loss": history.val_loss[-1],
        "history": history.to_dict(),
    }
    written = [save_checkpoint(folder / "last.pt", model, optimizer, **meta)]
    if improved:
        written.append(save_checkpoint(folder / "best.pt", model, optimizer, **meta))
    return written


def load_checkpoint(
    path, model, optimizer=None, *, map_location=None, strict: bool = True
) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``).

    Safe: uses ``torch.load(weights_only=True)``, so a file holding pickled Python objects
    other than tensors and plain containers is refused instead of executed.
    ``map_location`` defaults to the device of the model's first parameter (the CPU for a
    model without parameters). Returns the ``meta`` dict.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CheckpointError
        The file is truncated/corrupt, unsafe, not a checkpoint of this format, or its
        weights do not fit ``model`` (missing/unexpected keys, wrong shapes). The message
        names the file.

    Taught in ``08_hao_realtime_fusion``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {path}")
    if map_location is None:
        param = next(iter(model.parameters()), None)
        map_location = param.device if param is not None else torch.device("cpu")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"load_checkpoint: refused to load {path}: it contains objects other than "
            "tensors and plain containers, which weights_only=True does not unpickle "
            "(arbitrary pickles can run code). Only load files you trust with "
            f"torch.load(weights_only=False). Details: {exc}"
        ) from exc
    except Exception as exc:
        raise CheckpointError(
            f"load_checkpoint: could not read {path}; the file is corrupt or truncated "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(payload, dict) or "model" not in payload:
        raise CheckpointError(
            f"load_checkpoint: {path} is not a mer_lessons checkpoint "
            "(expected a dict with 'model', 'optimizer' and 'meta')"
        )
    try:
        model.load_state_dict(payload["model"], strict=strict)
    except Exception as exc:
        raise CheckpointError(
            f"load_checkpoint: the weights in {path} do not fit this model: {exc}"
        ) from exc
    if optimizer is not None:
        if payload.get("optimizer") is None:
            raise CheckpointError(f"load_checkpoint: {path} holds no optimizer state")
        try:
            optimizer.load_state_dict(payload["optimizer"])
        except Exception as exc:
            raise CheckpointError(
                f"load_checkpoint: the optimizer state in {path} does not fit this "
                f"optimizer: {exc}"
            ) from exc
    return dict(payload.get("meta") or {})


# --------------------------------------------------------------------------- resuming


def _rng_states(loader) -> dict:
    """Every random state a training run draws from, as tensors and plain values."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    generator = getattr(loader, "generator", None)
    return {
        "torch": torch.get_rng_state(),
        "loader": None if generator is None else generator.get_state(),
        "numpy": [str(np_name), torch.as_tensor(np.asarray(np_keys, dtype=np.int64)),
                  int(np_pos), int(np_has_gauss), float(np_gauss)],
        "random": [int(py_version), torch.tensor(py_internal, dtype=torch.int64), py_gauss],
        "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else None,
    }


def _set_rng_states(states: dict, loader) -> None:
    torch.set_rng_state(states["torch"].cpu())
    generator = getattr(loader, "generator", None)
    if generator is not None and states.get("loader") is not None:
        generator.set_state(states["loader"].cpu())
    name, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((name, keys.cpu().numpy().astype(np.uint32), int(pos),
                         int(has_gauss), float(gauss)))
    version, internal, gauss_next = states["random"]
    random.setstate((int(version), tuple(int(v) for v in internal.tolist()), gauss_next))
    cuda = states.get("cuda")
    if cuda and torch.cuda.is_available():
        count = min(len(cuda), torch.cuda.device_count())
        torch.cuda.set_rng_state_all([state.cpu() for state in cuda[:count]])


def _save_resume(path, model, optimizer, scheduler, stopper: EarlyStopping,
                 history: History, loader, precision: MixedPrecision) -> Path:
    """``fit``'s resume checkpoint: everything needed to continue after this epoch."""
    return save_checkpoint(
        path, model, optimizer,
        kind="resume",
        epoch=len(history.train_loss),
        history=history.to_dict(),
        scheduler=None if scheduler is None else scheduler.state_dict(),
        early_stopping={
            "best_loss": stopper.best_loss, "best_epoch": stopper.best_epoch,
            "bad_epochs": stopper.bad_epochs, "epoch": stopper.epoch,
            "best_state": stopper.best_state,
        },
        scaler=precision.scaler.state_dict() if precision.scaler.is_enabled() else None,
        rng=_rng_states(loader),
    )


def _load_resume(path, model, optimizer, scheduler, stopper: EarlyStopping, loader,
                 precision: MixedPrecision) -> History:
    """Restore what :func:`_save_resume` wrote; return the history so far."""
    meta = load_checkpoint(path, model, optimizer)
    if meta.get("kind") != "resume" or "rng" not in meta:
        raise CheckpointError(
            f"fit: {path} is not a resume checkpoint (fit writes those to "
            f"checkpoint_dir/{RESUME_FILE}; best.pt and last.pt cannot resume a run)")
    try:
        if scheduler is not None and meta.get("scheduler") is not None:
            scheduler.load_state_dict(meta["scheduler"])
        state = meta["early_stopping"]
        stopper.best_loss = float(state["best_loss"])
        stopper.best_epoch = state["best_epoch"]
        stopper.bad_epochs = int(state["bad_epochs"])
        stopper.epoch = int(state["epoch"])
        stopper.best_state = state["best_state"]
        if meta.get("scaler") and precision.scaler.is_enabled():
            precision.scaler.load_state_dict(meta["scaler"])
        _set_rng_states(meta["rng"], loader)
        history = History(**meta["history"])
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(
            f"fit: could not resume from {path}: {type(exc).__name__}: {exc}") from exc
    history.device, history.amp = str(precision.device), precision.name
    return history


# --------------------------------------------------------------------------- speed


def to_channels_last(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with its 4-D weights in ``torch.channels_last`` memory format (in place).

    A batch of images ``(B, C, H, W)`` is normally stored channel by channel (NCHW);
    channels-last stores it pixel by pixel (NHWC, the shape stays ``(B, C, H, W)``).
    Convolutions on GPUs with tensor cores (and mixed precision) run faster in that
    layout; on the CPU it matters little. Feed inputs in the same format too:
    ``x.to(memory_format=torch.channels_last)``. Returns the same model object.

    Taught in ``13_gpus_and_distributed_training``.
    """
    if not isinstance(model, torch.nn.Module):
        raise WrongTypeError(message("model", "a torch.nn.Module", model,
                                     where="to_channels_last"))
    return model.to(memory_format=torch.channels_last)


def compile_model(model: torch.nn.Module, *, mode: str = "default") -> torch.nn.Module:
    """Compile ``model`` with ``torch.compile``, falling back to eager mode if that fails.

    ``torch.compile`` traces the forward pass and generates fused kernels (Triton on a
    GPU, C++ on the CPU). The first call (and the first call with a new input shape) is
    slow, seconds to minutes, so it pays off for long runs, mostly on GPUs. ``mode`` is
    ``"default"``, ``"reduce-overhead"`` (CUDA graphs, for small batches) or
    ``"max-autotune"`` (tries many kernels: the slowest compile, often the fastest run).

    The model's ``forward`` is compiled in place and the model returned, so it
    keeps its class, parameters and ``state_dict`` keys, and checkpoints and :func:`fit`
    work unchanged. If compiling is not possible (``torch.compile`` missing, no C
    compiler, an unsupported platform such as some Windows set-ups) or the first call
    raises, a ``RuntimeWarning`` says why and the model runs eagerly (the same outputs,
    just not faster).

    Taught in ``13_gpus_and_distributed_training``.
    """
    if not isinstance(model, torch.nn.Module):
        raise WrongTypeError(message("model", "a torch.nn.Module", model,
                                     where="compile_model"))
    if mode not in ("default", "reduce-overhead", "max-autotune",
                    "max-autotune-no-cudagraphs"):
        raise UnknownOptionError(message(
            "mode", "one of 'default', 'reduce-overhead', 'max-autotune' or "
            "'max-autotune-no-cudagraphs'", mode, where="compile_model"))

    eager_forward = model.forward

    def fall_back(exc: BaseException) -> None:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        warnings.warn(
            f"compile_model: torch.compile is not available here ({type(exc).__name__}: "
            f"{reason}); the model runs eagerly (same results, no speed-up)",
            RuntimeWarning, stacklevel=3)
        model.forward = eager_forward

    try:
        compiled = torch.compile(eager_forward, mode=mode)
    except Exception as exc:  # no dynamo on this platform/version
        fall_back(exc)
        return model
    state = {"checked": False}

    def forward(*args, **kwargs):
        if state["checked"]:
            return compiled(*args, **kwargs)
        try:
            out = compiled(*args, **kwargs)
        except Exception as exc:  # compiling happens at the first call
            fall_back(exc)
            return eager_forward(*args, **kwargs)
        state["checked"] = True
        return out

    model.forward = forward
    return model
