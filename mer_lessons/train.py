"""One training loop for every chapter that trains a network (``07`` on).

* :func:`fit` trains a ``torch.nn.Module`` for some epochs and returns a :class:`History`
  (one value per epoch, ready for ``history.to_frame().plot()``). It picks the device,
  uses mixed precision on a GPU, seeds the shuffling, decays the learning rate, stops
  early when the validation loss stops improving, and can write checkpoints.
* :func:`evaluate` returns the mean loss and the accuracy on a data set;
  :func:`predict` returns the model's outputs as a NumPy array.
* :func:`save_checkpoint` / :func:`load_checkpoint` write and read checkpoints *safely*
  (see below).

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
and MPS mixed precision is always off (``"auto"``) and asking for it raises.

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

Taught in ``07`` and used by every later training chapter.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from mer_lessons.environment import get_device, set_seed

__all__ = [
    "CheckpointError",
    "DictDataset",
    "History",
    "evaluate",
    "fit",
    "load_checkpoint",
    "predict",
    "resolve_amp",
    "save_checkpoint",
]

SUPPORTED_METRICS = ("accuracy",)


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, truncated, unsafe or does not fit the model."""


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


def resolve_amp(amp: Any, device) -> torch.dtype | None:
    """The autocast dtype :func:`fit` uses, or ``None`` for plain float32.

    ``amp`` is ``"auto"`` (bf16 if the GPU supports it, else fp16; ``None`` off CUDA),
    ``True`` (the same, but raises off CUDA), ``"bf16"``, ``"fp16"``, or ``False``/``None``.
    """
    device = torch.device(device)
    if amp is None or amp is False:
        return None
    if isinstance(amp, str):
        amp = amp.strip().lower()
    if amp == "auto" and device.type != "cuda":
        return None
    if amp not in ("auto", True, "bf16", "bfloat16", "fp16", "float16"):
        raise ValueError(
            f"amp must be 'auto', True, False, 'bf16' or 'fp16', got {amp!r}"
        )
    if device.type != "cuda":
        raise ValueError(
            f"mixed precision (amp={amp!r}) is only used on CUDA; the device is {device}. "
            "Use amp='auto' or amp=False."
        )
    if amp in ("bf16", "bfloat16"):
        return torch.bfloat16
    if amp in ("fp16", "float16"):
        return torch.float16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _make_scheduler(optimizer, lr_decay):
    if lr_decay is None:
        return None
    if callable(lr_decay):
        return lr_decay(optimizer)
    gamma = float(lr_decay)
    if not 0 < gamma <= 1:
        raise ValueError(
            f"lr_decay must be a factor in (0, 1] (or a callable), got {lr_decay!r}"
        )
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)


def _check_metrics(metrics) -> bool:
    metrics = tuple(metrics or ())
    unknown = [m for m in metrics if m not in SUPPORTED_METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; supported: {SUPPORTED_METRICS}")
    return "accuracy" in metrics


# --------------------------------------------------------------------------- evaluate


def evaluate(
    model, data, *, loss_fn=None, batch_size: int = 256, device="auto"
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
        loss being the mean over all ``n`` examples.
    """
    device = _resolve_device(device)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    loader = DataLoader(_as_dataset(data), batch_size=batch_size, shuffle=False)
    model.to(device)
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0.0, 0
    try:
        with torch.no_grad():
            for batch in loader:
                x, y = _split(batch)
                x, y = _to(x, device), _to(y, device)
                out = model(x)
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
    ``"class"`` returns the arg-max class indices, shape ``(N,)``.
    """
    if output not in ("logits", "proba", "class"):
        raise ValueError(f"output must be 'logits', 'proba' or 'class', got {output!r}")
    device = _resolve_device(device)
    loader = DataLoader(_as_inputs_dataset(data), batch_size=batch_size, shuffle=False)
    model.to(device)
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for batch in loader:
                x, _ = _split(batch)
                chunks.append(model(_to(x, device)).float().cpu())
    finally:
        model.train(was_training)
    out = torch.cat(chunks) if chunks else torch.empty(0)
    if output == "proba":
        out = out.softmax(-1)
    elif output == "class":
        out = out.argmax(-1)
    return out.numpy()


# --------------------------------------------------------------------------- fit


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
) -> History:
    """Train ``model`` on ``train_data`` and return its :class:`History`.

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
        The most epochs to train.
    batch_size : int
        Training mini-batch size (the last batch may be smaller).
    lr_decay : float or callable, optional
        A factor ``gamma``: the learning rate is multiplied by it after every epoch
        (``ExponentialLR``), so ``lr_decay=0.5`` halves it each epoch. A callable
        ``lr_decay(optimizer)`` may return any scheduler with a ``step()`` called once
        per epoch. ``history.lr`` records the rate each epoch used.
    patience : int, optional
        Early stopping (needs ``val_data``): stop when the validation loss has not
        improved by more than ``min_delta`` for ``patience`` epochs in a row, and put
        back the weights of the best epoch.
    device : str or torch.device
        ``"auto"`` or a device name, via :func:`mer_lessons.get_device`.
    amp : "auto", bool, "bf16" or "fp16"
        Mixed precision, on CUDA only (see the module docstring and :func:`resolve_amp`).
    seed : int or None
        Passed to :func:`mer_lessons.set_seed` and seeds the shuffling of the training
        batches, so two runs with the same seed (and the same initial model) give the
        same history on the same machine. ``None`` leaves the random state alone.
    checkpoint_dir : path, optional
        Write ``best.pt`` (whenever the monitored loss improves) and ``last.pt`` (after
        every epoch) with :func:`save_checkpoint`; meta holds ``epoch``, the losses and the
        history so far.
    progress : bool
        Show a tqdm bar over the epochs with the latest loss/accuracy.
    metrics : tuple
        ``("accuracy",)`` (the default) or ``()`` to skip accuracy.
    extra_loss : callable, optional
        ``extra_loss(model, x)`` returning a scalar tensor added to the training loss of
        every batch, e.g. an autoencoder's reconstruction loss (Hao et al., Eq. 8:
        ``lambda m, x: m.reconstruction_loss(x)``). The reported losses and early stopping
        use ``loss_fn`` only, so they stay comparable across models.

    Returns
    -------
    History
    """
    from tqdm.auto import tqdm

    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if patience is not None and val_data is None:
        raise ValueError(
            "early stopping (patience) monitors the validation loss: pass val_data"
        )
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be >= 1, got {patience}")
    want_accuracy = _check_metrics(metrics)
    device = _resolve_device(device)
    amp_dtype = resolve_amp(amp, device)
    if seed is not None:
        set_seed(seed)

    train_set = _as_dataset(train_data, "train_data")
    val_set = None if val_data is None else _as_dataset(val_data, "val_data")
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(int(seed))
    else:
        generator.seed()
    loader = DataLoader(
        train_set, batch_size=batch_size, shuffle=True, generator=generator
    )

    model.to(device)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = _make_scheduler(optimizer, lr_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    ckpt_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)

    history = History(
        device=str(device), amp=None if amp_dtype is None else str(amp_dtype)
    )
    best_loss, best_state, bad_epochs = math.inf, None, 0
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress)
    for epoch in bar:
        start = time.perf_counter()
        history.lr.append(float(optimizer.param_groups[0]["lr"]))
        model.train()
        total_loss, correct, n = 0.0, 0.0, 0
        for batch in loader:
            x, y = _split(batch)
            x, y = _to(x, device), _to(y, device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(
                device.type, dtype=amp_dtype, enabled=amp_dtype is not None
            ):
                out = model(x)
                loss = loss_fn(out, y)
                total = loss if extra_loss is None else loss + extra_loss(model, x)
            scaler.scale(total).backward()
            scaler.step(optimizer)
            scaler.update()
            b = len(y)
            total_loss += loss.item() * b
            if want_accuracy:
                correct += _n_correct(out, y)
            n += b
        if scheduler is not None:
            scheduler.step()
        history.train_loss.append(total_loss / max(n, 1))
        history.train_accuracy.append(
            correct / max(n, 1) if want_accuracy else math.nan
        )
        if val_set is not None:
            scores = evaluate(
                model,
                val_set,
                loss_fn=loss_fn,
                batch_size=max(256, batch_size),
                device=device,
            )
            history.val_loss.append(scores["loss"])
            history.val_accuracy.append(
                scores["accuracy"] if want_accuracy else math.nan
            )
        else:
            history.val_loss.append(math.nan)
            history.val_accuracy.append(math.nan)
        history.seconds.append(time.perf_counter() - start)

        monitored = (
            history.val_loss[-1] if val_set is not None else history.train_loss[-1]
        )
        improved = monitored < best_loss - min_delta
        if improved:
            best_loss, bad_epochs = monitored, 0
            history.best_epoch = epoch
            if patience is not None:
                best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1

        postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
        if want_accuracy and not math.isnan(history.train_accuracy[-1]):
            postfix["acc"] = f"{history.train_accuracy[-1]:.3f}"
        if val_set is not None:
            postfix["val_loss"] = f"{history.val_loss[-1]:.4f}"
            if want_accuracy and not math.isnan(history.val_accuracy[-1]):
                postfix["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
        bar.set_postfix(postfix)

        if ckpt_dir is not None:
            meta = {
                "epoch": epoch,
                "train_loss": history.train_loss[-1],
                "val_loss": history.val_loss[-1],
                "history": history.to_dict(),
            }
            save_checkpoint(ckpt_dir / "last.pt", model, optimizer, **meta)
            if improved:
                save_checkpoint(ckpt_dir / "best.pt", model, optimizer, **meta)

        if patience is not None and bad_epochs >= patience:
            history.stopped_early = epoch < epochs
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
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
