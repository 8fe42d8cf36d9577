"""Distributed data-parallel (DDP) training with ``torch.distributed``, from one laptop to a cluster.

* :func:`make_task` builds a tiny training problem that needs no download (a synthetic
  4-class problem and a 2-layer MLP).
* :class:`GlobalBatchSampler` splits every *global* batch into one equal slice per process.
* :func:`train` is the worker that every process runs; :func:`main` is its command line
  (``python -m mer_lessons.distributed ...``), which is what ``torchrun`` starts.
* :func:`run_torchrun` launches ``torchrun`` as a subprocess (works from a notebook);
  :func:`compare_results` checks that two runs trained the same model.
* :func:`torchrun_command` / :func:`command_text` write the command line for one or several
  machines; :func:`slurm_script` / :func:`write_slurm_script` write a SLURM batch script.

Data parallelism
----------------
Every process (a *rank*, numbered ``0 .. W-1`` for a *world size* ``W``) holds a **full copy
of the model**. Each step, a global batch of ``B`` examples is cut into ``W`` equal slices
of ``B / W``; rank ``r`` runs the forward and backward pass on slice ``r`` only.
``DistributedDataParallel`` (DDP) hooks into ``backward``: as soon as a bucket of gradients
is ready it starts an **all-reduce** that sums that bucket over all ranks and divides by
``W``, overlapping the communication with the rest of the backward pass. After
``backward`` every rank holds the same averaged gradient, the optimiser takes the same
step everywhere, and the replicas stay identical (DDP also copies rank 0's initial
weights to every rank when it wraps the model).

Why this reproduces single-process training: with a *mean* loss and *equal* slices,
``mean over ranks of (gradient of the mean loss on slice r)`` is exactly the gradient of
the mean loss on the whole global batch. So ``W`` processes with a global batch ``B`` train
the same model as one process with batch ``B`` (up to float rounding, because sums are
added in a different order). With unequal slices, or a *summed* loss, the two differ.
Layers that look at the batch break the equivalence: batch normalisation computes its
statistics over each rank's slice (``B / W`` examples, not ``B``; ``SyncBatchNorm`` would
all-reduce them), and dropout draws its random masks from each process's own random
stream. That is why the teaching task uses neither.

Backends
--------
``torch.distributed`` talks through a *backend*: **gloo** runs on the CPU (and over plain
TCP between machines); **NCCL** is NVIDIA's library for GPUs (NVLink inside a machine,
InfiniBand or Ethernet between machines) and is what you use on GPUs. ``backend="auto"``
picks NCCL when CUDA is available and gloo otherwise. With NCCL, each process drives **one
GPU**: ``torchrun --nproc-per-node`` = the number of GPUs of the machine, and each process
calls ``torch.cuda.set_device(LOCAL_RANK)`` before it builds anything on the GPU.

torchrun
--------
``torchrun`` (= ``python -m torch.distributed.run``) starts ``--nproc-per-node`` copies of a
script or module (``-m``) and gives each one its place through environment variables:
``RANK`` (global rank ``0 .. W-1``), ``WORLD_SIZE`` (``W``), ``LOCAL_RANK`` (rank inside its
machine: which GPU to use), ``MASTER_ADDR`` / ``MASTER_PORT`` (where the processes meet).
``init_process_group(backend)`` reads them. On one machine ``--standalone`` starts the
meeting point on a free port. The worker code must live in an importable module (here
this one): a function typed into a notebook cannot be sent to another process.

Several machines
----------------
Run the same ``torchrun`` on every machine with ``--nnodes N`` and a shared **rendezvous**:
``--rdzv-backend c10d --rdzv-endpoint host:port --rdzv-id JOB``, where ``host`` is one of the
machines (reachable from all others) and ``JOB`` is the same string everywhere. The
machines meet there, agree on ``WORLD_SIZE = N * nproc_per_node`` and hand out the ranks.
On a SLURM cluster, :func:`slurm_script` takes the first node of the job as the host and
``$SLURM_JOB_ID`` as the rendezvous id, and ``srun`` starts one ``torchrun`` per node.

Taught in ``13_gpus_and_distributed_training``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "DistributedConfig",
    "GlobalBatchSampler",
    "TASKS",
    "command_text",
    "compare_results",
    "main",
    "make_task",
    "run_torchrun",
    "slurm_script",
    "torchrun_command",
    "train",
    "write_slurm_script",
]

TASKS = ("mini-mlp",)
OPTIMIZERS = ("sgd", "adam")
BACKENDS = ("auto", "gloo", "nccl")
DEFAULT_PORT = 29500


# --------------------------------------------------------------------------- the task


def make_task(name: str = "mini-mlp", n: int = 512, seed: int = 0):
    """Return ``((X, y), model_factory)``: a small training problem that needs no download.

    ``"mini-mlp"``: ``n`` points in 16 dimensions from 4 classes (Gaussian clouds around 4
    random centres, ``X`` float32 of shape ``(n, 16)``, ``y`` int64 class indices of shape
    ``(n,)``), and a factory that builds a 2-layer MLP ``16 -> 32 -> 4`` (logits). The data
    depend only on ``n`` and ``seed``, so every process builds the same data set; the
    factory's weights depend on the torch seed set just before calling it (:func:`train`
    seeds it identically on every rank).

    The model has **no dropout and no batch normalisation** on purpose: dropout draws
    random masks from each process's own random stream, and batch normalisation computes
    its mean and variance over each process's slice of the batch (``B / W`` examples), so
    with either of them a run on ``W`` processes would *not* reproduce the run on one.

    Taught in ``13_gpus_and_distributed_training``.
    """
    if name not in TASKS:
        raise ValueError(f"make_task: unknown task {name!r}; choose one of {list(TASKS)}")
    n = int(n)
    if n < 1:
        raise ValueError(f"make_task: n must be >= 1, got {n}")
    n_features, n_hidden, n_classes = 16, 32, 4
    generator = torch.Generator().manual_seed(int(seed))
    centres = 2.0 * torch.randn(n_classes, n_features, generator=generator)
    y = torch.randint(0, n_classes, (n,), generator=generator, dtype=torch.int64)
    X = (centres[y] + 1.5 * torch.randn(n, n_features, generator=generator)).to(torch.float32)

    def model_factory() -> nn.Module:
        return nn.Sequential(
            nn.Linear(n_features, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_classes)
        )

    return (X, y), model_factory


# --------------------------------------------------------------------------- the sampler


class GlobalBatchSampler:
    """Batch sampler that gives rank ``rank`` of ``world_size`` its slice of every global batch.

    Every epoch draws one permutation of ``0 .. n-1`` from a generator seeded with
    ``seed + epoch`` (the same on every rank). The permutation is cut into global batches
    of ``global_batch`` consecutive indices, and each global batch into ``world_size`` equal
    slices; rank ``r`` gets slice ``r``. Iterating yields this rank's lists of indices (one
    per step; usable as a ``DataLoader``'s ``batch_sampler``); call :meth:`set_epoch` before
    each epoch. With ``world_size=1`` it yields the plain single-process order.

    ``global_batch`` must be divisible by ``world_size`` (``ValueError`` otherwise). When
    ``n`` is not a multiple of ``global_batch``, the last, smaller global batch is kept if
    ``drop_last`` is False (its size must then also be divisible by ``world_size``) and
    dropped otherwise. With equal slices and a mean loss, DDP's average of the ranks'
    gradients equals the single-process gradient of the whole global batch.

    Taught in ``13_gpus_and_distributed_training``.
    """

    def __init__(
        self,
        n: int,
        global_batch: int,
        *,
        rank: int = 0,
        world_size: int = 1,
        seed: int = 0,
        drop_last: bool = False,
    ):
        n, global_batch, rank, world_size = int(n), int(global_batch), int(rank), int(world_size)
        if n < 1:
            raise ValueError(f"GlobalBatchSampler: n must be >= 1, got {n}")
        if world_size < 1:
            raise ValueError(f"GlobalBatchSampler: world_size must be >= 1, got {world_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"GlobalBatchSampler: rank must be in 0..{world_size - 1}, got {rank}")
        if global_batch < 1:
            raise ValueError(f"GlobalBatchSampler: global_batch must be >= 1, got {global_batch}")
        if global_batch % world_size:
            raise ValueError(
                f"GlobalBatchSampler: the global batch {global_batch} is not divisible by the "
                f"world size {world_size}: every process must get an equal slice "
                f"(choose a multiple of {world_size})"
            )
        rest = n % global_batch
        if not drop_last and rest and rest % world_size:
            raise ValueError(
                f"GlobalBatchSampler: the last global batch has {rest} examples "
                f"({n} % {global_batch}), not divisible by the world size {world_size}; "
                "use drop_last=True or another n / global batch"
            )
        if drop_last and n < global_batch:
            raise ValueError(
                f"GlobalBatchSampler: n={n} < global_batch={global_batch} with drop_last=True "
                "leaves no batch at all"
            )
        self.n, self.global_batch = n, global_batch
        self.rank, self.world_size = rank, world_size
        self.seed, self.drop_last = int(seed), bool(drop_last)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of epoch ``epoch`` (call with the same value on every rank).

        Taught in ``13_gpus_and_distributed_training``.
        """
        self.epoch = int(epoch)

    def permutation(self) -> torch.Tensor:
        """This epoch's global order of the ``n`` indices (the same on every rank).

        Taught in ``13_gpus_and_distributed_training``.
        """
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(self.n, generator=generator)

    def global_batches(self) -> list[list[int]]:
        """This epoch's global batches (lists of indices), before they are sliced.

        Taught in ``13_gpus_and_distributed_training``.
        """
        order = self.permutation().tolist()
        stop = (self.n // self.global_batch) * self.global_batch if self.drop_last else self.n
        return [order[i:min(i + self.global_batch, stop)] for i in range(0, stop, self.global_batch)]

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.global_batches():
            size = len(batch) // self.world_size
            yield batch[self.rank * size:(self.rank + 1) * size]

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.global_batch
        return math.ceil(self.n / self.global_batch)


# --------------------------------------------------------------------------- the worker


@dataclass
class DistributedConfig:
    """Settings of one :func:`train` run (a plain ``dict`` with the same keys works too).

    ``task``, ``n``, ``seed``: the problem (:func:`make_task`) and the seed of the model's
    initial weights and of the shuffling. ``epochs``; ``global_batch``: examples per step
    summed over all processes; ``lr``: learning rate; ``optimizer``: ``"sgd"`` (with
    ``momentum``) or ``"adam"``; ``backend``: ``"auto"`` (NCCL with CUDA, else gloo),
    ``"gloo"`` or ``"nccl"``; ``drop_last``: see :class:`GlobalBatchSampler`; ``out``: path
    of the JSON result that rank 0 writes (``None``: write nothing).

    Taught in ``13_gpus_and_distributed_training``.
    """

    task: str = "mini-mlp"
    n: int = 512
    seed: int = 0
    epochs: int = 3
    global_batch: int = 64
    lr: float = 0.1
    optimizer: str = "sgd"
    momentum: float = 0.0
    backend: str = "auto"
    drop_last: bool = False
    out: str | None = None


def _as_config(config) -> DistributedConfig:
    if isinstance(config, DistributedConfig):
        return config
    if not isinstance(config, Mapping):
        raise TypeError(f"train: config must be a dict or a DistributedConfig, got {type(config).__name__}")
    known = {f.name for f in fields(DistributedConfig)}
    unknown = set(config) - known
    if unknown:
        raise ValueError(f"train: unknown config keys {sorted(unknown)}; known: {sorted(known)}")
    return DistributedConfig(**dict(config))


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"train: backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "auto":
        return "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl" and not torch.cuda.is_available():
        raise RuntimeError("train: backend 'nccl' needs CUDA GPUs; use 'gloo' on the CPU")
    return backend


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def train(config, *, rank: int | None = None, world_size: int | None = None) -> dict:
    """Train the task of ``config`` as one process of a data-parallel group; return the result.

    ``config``: a :class:`DistributedConfig` or a dict with its keys. ``rank`` and
    ``world_size`` default to the environment that ``torchrun`` sets (``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``); without it this is one
    ordinary process (world size 1, no process group).

    Steps: pick the backend (gloo on the CPU, NCCL on GPUs) and, with NCCL, the device
    ``cuda:LOCAL_RANK`` (``torch.cuda.set_device``); ``init_process_group`` when the world
    size is > 1; seed and build the same data and model on every rank; wrap the model in
    ``DistributedDataParallel``; train for ``epochs`` with SGD or Adam on this rank's slices
    from :class:`GlobalBatchSampler` and a mean cross-entropy loss; destroy the process
    group.

    The returned dict (rank 0 also writes it as JSON to ``config["out"]``) holds
    ``losses`` (one per step: the mean loss over the whole *global* batch, averaged over
    the ranks with one all-reduce at the end), ``steps``, ``accuracy`` (final, on all
    ``n`` examples), ``parameters`` (name -> flat list of the final values), ``checksum``
    (their sum, float64), ``replica_checksums`` (one per rank: equal when the replicas
    stayed identical), ``world_size``, ``backend``, ``device``, ``seconds`` (training loop
    only, wall clock) and ``config``.

    Taught in ``13_gpus_and_distributed_training``.
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    cfg = _as_config(config)
    if cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"train: optimizer must be one of {list(OPTIMIZERS)}, got {cfg.optimizer!r}")
    if int(cfg.epochs) < 1:
        raise ValueError(f"train: epochs must be >= 1, got {cfg.epochs}")
    rank = _env_int("RANK", 0) if rank is None else int(rank)
    world_size = _env_int("WORLD_SIZE", 1) if world_size is None else int(world_size)
    local_rank = _env_int("LOCAL_RANK", 0)
    backend = _resolve_backend(cfg.backend)
    # Check the slicing before any process group exists, so a bad batch fails fast everywhere.
    sampler = GlobalBatchSampler(
        cfg.n, cfg.global_batch, rank=rank, world_size=world_size, seed=cfg.seed,
        drop_last=cfg.drop_last,
    )

    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # one GPU per process, before anything touches CUDA
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")

    distributed = world_size > 1
    owns_group = False
    if distributed and not dist.is_initialized():
        if not dist.is_available():
            raise RuntimeError("train: torch.distributed is not available in this PyTorch build")
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
        owns_group = True
    try:
        (X, y), factory = make_task(cfg.task, n=cfg.n, seed=cfg.seed)
        X, y = X.to(device), y.to(device)
        torch.manual_seed(cfg.seed)  # same initial weights on every rank
        model = factory().to(device)
        net = model
        if distributed:
            net = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
        if cfg.optimizer == "sgd":
            optimizer = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum)
        else:
            optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        loss_fn = nn.CrossEntropyLoss()  # mean over this rank's slice

        local_losses = []
        start = time.perf_counter()
        net.train()
        for epoch in range(int(cfg.epochs)):
            sampler.set_epoch(epoch)
            for indices in sampler:
                index = torch.as_tensor(indices, device=device)
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(net(X[index]), y[index])
                loss.backward()  # DDP all-reduces (averages) the gradients here
                optimizer.step()
                local_losses.append(loss.detach())
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start

        # One all-reduce for all logged losses instead of one per step (each one is a sync).
        losses = torch.stack(local_losses).to(torch.float64)
        checksum = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum()
        checksums = [checksum]
        if distributed:
            # gloo and NCCL both reduce float64; NCCL needs the tensors on the GPU.
            dist.all_reduce(losses, op=dist.ReduceOp.SUM)
            losses /= world_size
            checksums = [torch.zeros_like(checksum) for _ in range(world_size)]
            dist.all_gather(checksums, checksum)
        with torch.no_grad():
            model.eval()
            accuracy = (model(X).argmax(dim=1) == y).double().mean().item()
        result = {
            "losses": losses.cpu().tolist(),
            "steps": len(local_losses),
            "accuracy": accuracy,
            "parameters": {
                name: p.detach().cpu().reshape(-1).tolist() for name, p in model.named_parameters()
            },
            "checksum": checksum.item(),
            "replica_checksums": [c.item() for c in checksums],
            "world_size": world_size,
            "backend": backend if distributed else f"{backend} (unused: one process)",
            "device": str(device),
            "seconds": seconds,
            "config": asdict(cfg),
        }
        if rank == 0 and cfg.out:
            _write_json_atomic(Path(cfg.out), result)
        if distributed:
            # Every rank waits here until all have finished their collectives and rank 0 has
            # written the result: a rank that tears its connections down while a peer still
            # uses them makes gloo abort that peer (SIGABRT) now and then.
            dist.barrier()
        return result
    finally:
        if owns_group:
            dist.destroy_process_group()


# --------------------------------------------------------------------------- the command line


def _parser() -> argparse.ArgumentParser:
    d = DistributedConfig()
    p = argparse.ArgumentParser(
        prog="python -m mer_lessons.distributed",
        description="Data-parallel training worker (run it under torchrun for several processes).",
    )
    p.add_argument("--task", choices=TASKS, default=d.task)
    # Not "--n": torchrun's own parser rejects an argument that abbreviates several of its
    # options (--nnodes, --node-rank ...), even after "-m module".
    p.add_argument("--examples", dest="n", type=int, default=d.n,
                   help="number of examples n (default %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--global-batch", type=int, default=d.global_batch,
                   help="examples per step over ALL processes; divisible by WORLD_SIZE")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--momentum", type=float, default=d.momentum)
    p.add_argument("--backend", choices=BACKENDS, default=d.backend,
                   help="auto: nccl with CUDA, else gloo")
    p.add_argument("--drop-last", action="store_true", help="drop a last, smaller global batch")
    p.add_argument("--out", default=None, help="JSON result written by rank 0")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line of the worker: ``python -m mer_lessons.distributed [options]``; return the result.

    Options (see ``--help``): ``--task``, ``--examples`` (``n``), ``--seed``, ``--epochs``,
    ``--global-batch`` (over all processes), ``--lr``, ``--optimizer sgd|adam``,
    ``--momentum``, ``--backend auto|gloo|nccl``, ``--drop-last``, ``--out result.json``.
    Run it under ``torchrun --nproc-per-node 2 -m mer_lessons.distributed ...`` for two
    processes. Bad values (a global batch that the world size does not divide, an unknown
    option, epochs < 1 ...) stop with a usage message and exit status 2 before any
    process group is started. Rank 0 prints a one-line summary.

    torchrun parses the whole command line with its own ``argparse`` parser first, and that
    parser refuses an argument that abbreviates several of *its* options even after ``-m
    module`` (``--n`` would look like ``--nnodes``/``--node-rank``...): that is why the
    number of examples is ``--examples``.

    Taught in ``13_gpus_and_distributed_training``.
    """
    parser = _parser()
    args = parser.parse_args(None if argv is None else list(argv))
    world_size = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    if not args.lr > 0:
        parser.error(f"--lr must be > 0, got {args.lr}")
    if args.n < 1:
        parser.error(f"--examples must be >= 1, got {args.n}")
    try:
        GlobalBatchSampler(args.n, args.global_batch, rank=0, world_size=world_size,
                           drop_last=args.drop_last)
    except ValueError as error:
        parser.error(f"--global-batch {args.global_batch} with WORLD_SIZE={world_size}: "
                     f"{str(error).split(': ', 1)[-1]}")
    if args.backend == "nccl" and not torch.cuda.is_available():
        parser.error("--backend nccl needs CUDA GPUs; use --backend gloo on the CPU")
    config = DistributedConfig(
        task=args.task, n=args.n, seed=args.seed, epochs=args.epochs,
        global_batch=args.global_batch, lr=args.lr, optimizer=args.optimizer,
        momentum=args.momentum, backend=args.backend, drop_last=args.drop_last, out=args.out,
    )
    result = train(config)
    if rank == 0:
        print(
            f"[mer_lessons.distributed] world_size={result['world_size']} backend={result['backend']} "
            f"steps={result['steps']} final loss={result['losses'][-1]:.6f} "
            f"accuracy={result['accuracy']:.3f} seconds={result['seconds']:.3f}",
            flush=True,
        )
    return result


# --------------------------------------------------------------------------- launching


def _launcher(launcher) -> list[str]:
    return [launcher] if isinstance(launcher, str) else list(launcher)


def torchrun_command(
    *,
    nproc_per_node: int | str = 2,
    nnodes: int = 1,
    node_rank: int = 0,
    rdzv_endpoint: str | None = None,
    rdzv_id: str = "mer-lessons",
    module: str = "mer_lessons.distributed",
    args: Sequence[str] = (),
    launcher: str | Sequence[str] = "torchrun",
) -> list[str]:
    """Return the ``torchrun`` command line (a list of strings) that starts ``module`` on this machine.

    ``nproc_per_node``: processes on this machine (on GPUs: the number of GPUs, or
    ``"gpu"``). One machine (``nnodes=1``) without ``rdzv_endpoint`` uses ``--standalone``
    (a local rendezvous on a free port). Several machines (``nnodes > 1``) need
    ``rdzv_endpoint="host:port"`` (one machine all others can reach; ``ValueError``
    without it) and add ``--nnodes N --node-rank R --rdzv-backend c10d --rdzv-endpoint
    host:port --rdzv-id ID``; run the same line on every machine with its own
    ``node_rank`` (the c10d rendezvous may renumber the machines; the id must be the same
    everywhere). ``args`` are appended after ``-m module``; ``launcher`` replaces
    ``torchrun`` (e.g. ``[sys.executable, "-m", "torch.distributed.run"]``).

    Taught in ``13_gpus_and_distributed_training``.
    """
    nnodes = int(nnodes)
    if nnodes < 1:
        raise ValueError(f"torchrun_command: nnodes must be >= 1, got {nnodes}")
    if not 0 <= int(node_rank) < nnodes:
        raise ValueError(f"torchrun_command: node_rank must be in 0..{nnodes - 1}, got {node_rank}")
    command = _launcher(launcher)
    if nnodes == 1 and rdzv_endpoint is None:
        command += ["--standalone"]
    else:
        if rdzv_endpoint is None:
            raise ValueError(
                "torchrun_command: several machines need rdzv_endpoint='host:port' "
                f"(a machine that all {nnodes} can reach)"
            )
        if ":" not in str(rdzv_endpoint):
            raise ValueError(f"torchrun_command: rdzv_endpoint must be 'host:port', got {rdzv_endpoint!r}")
        command += [
            "--nnodes", str(nnodes), "--node-rank", str(int(node_rank)),
            "--rdzv-backend", "c10d", "--rdzv-endpoint", str(rdzv_endpoint),
            "--rdzv-id", str(rdzv_id),
        ]
    command += ["--nproc-per-node", str(nproc_per_node), "-m", module, *[str(a) for a in args]]
    return command


def command_text(**options) -> str:
    """:func:`torchrun_command` (same keyword arguments) as one shell-quoted string to paste in a terminal.

    ``shlex.split(command_text(...)) == torchrun_command(...)``.

    Taught in ``13_gpus_and_distributed_training``.
    """
    return shlex.join(torchrun_command(**options))


def slurm_script(
    *,
    job_name: str,
    nodes: int = 1,
    gpus_per_node: int = 1,
    cpus_per_task: int = 8,
    time: str = "01:00:00",
    partition: str | None = None,
    account: str | None = None,
    module_args: Sequence[str] = (),
    module: str = "mer_lessons.distributed",
    port: int = DEFAULT_PORT,
    setup: Sequence[str] = (),
    output: str = "%x-%j.out",
) -> str:
    """Return a SLURM batch script (text) that trains ``module`` on ``nodes`` machines.

    The job asks for ``nodes`` nodes with one task each (``--ntasks-per-node=1``: ``srun``
    starts one ``torchrun`` per node), ``gpus_per_node`` GPUs (0: a CPU job with one
    process per node), ``cpus_per_task`` CPU cores per node and a ``time`` limit
    (``HH:MM:SS``); ``partition`` and ``account`` are added when given. The script takes
    the first node of ``$SLURM_JOB_NODELIST`` as the rendezvous host (``scontrol show
    hostnames ... | head -n 1``), gives each worker ``cpus_per_task / gpus_per_node``
    OpenMP threads, runs the ``setup`` lines (e.g. ``module load ...``, ``source
    .venv/bin/activate``), then ``srun torchrun --nnodes $SLURM_NNODES --nproc-per-node G
    --rdzv-id $SLURM_JOB_ID --rdzv-backend c10d --rdzv-endpoint $head_node:port -m module
    module_args``. The log goes to ``output`` (``%x`` job name, ``%j`` job id). Submit it
    with ``sbatch script.sh``.

    Taught in ``13_gpus_and_distributed_training``.
    """
    nodes, gpus_per_node, cpus_per_task = int(nodes), int(gpus_per_node), int(cpus_per_task)
    if nodes < 1:
        raise ValueError(f"slurm_script: nodes must be >= 1, got {nodes}")
    if gpus_per_node < 0:
        raise ValueError(f"slurm_script: gpus_per_node must be >= 0, got {gpus_per_node}")
    if cpus_per_task < 1:
        raise ValueError(f"slurm_script: cpus_per_task must be >= 1, got {cpus_per_task}")
    if not job_name or any(c.isspace() for c in job_name):
        raise ValueError(f"slurm_script: job_name must be a non-empty word, got {job_name!r}")
    nproc = max(gpus_per_node, 1)
    threads = max(1, cpus_per_task // nproc)
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={job_name}",
        f"#SBATCH --nodes={nodes}",
        "#SBATCH --ntasks-per-node=1",
    ]
    if gpus_per_node:
        lines.append(f"#SBATCH --gpus-per-node={gpus_per_node}")
    lines += [f"#SBATCH --cpus-per-task={cpus_per_task}", f"#SBATCH --time={time}"]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    if account:
        lines.append(f"#SBATCH --account={account}")
    lines += [
        f"#SBATCH --output={output}",
        "",
        "set -euo pipefail",
        "",
        *setup,
        "",
        "# The first node of the job hosts the rendezvous; every node's torchrun meets there.",
        'head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
        f"export OMP_NUM_THREADS={threads}  # CPU cores per worker process",
        'echo "job $SLURM_JOB_ID: $SLURM_NNODES node(s), rendezvous on $head_node"',
        "",
        "srun torchrun \\",
        '    --nnodes "$SLURM_NNODES" \\',
        f"    --nproc-per-node {nproc} \\",
        '    --rdzv-id "$SLURM_JOB_ID" \\',
        "    --rdzv-backend c10d \\",
        f'    --rdzv-endpoint "$head_node:{int(port)}" \\',
        f"    -m {shlex.quote(module)}" + "".join(f" {shlex.quote(str(a))}" for a in module_args),
        "",
    ]
    return "\n".join(lines)


def write_slurm_script(path, **options) -> Path:
    """Write :func:`slurm_script` ``(**options)`` to ``path`` atomically, make it executable, return the path.

    The text goes to a temporary file in the same folder that then replaces ``path``
    (``os.replace``); the file gets the execute bits (``chmod +x``).

    Taught in ``13_gpus_and_distributed_training``.
    """
    path = Path(path)
    text = slurm_script(**options)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _tail(text: str | bytes | None, lines: int = 40) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join(text.strip().splitlines()[-lines:])


def run_torchrun(
    nproc_per_node: int,
    args: Sequence[str] = (),
    *,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
    module: str = "mer_lessons.distributed",
) -> subprocess.CompletedProcess:
    """Run ``module`` on ``nproc_per_node`` local processes under torchrun; return the finished process.

    Launches ``sys.executable -m torch.distributed.run --standalone --nproc-per-node N -m
    module args`` as a subprocess (so it works from a notebook, whose own functions cannot
    be sent to other processes) and waits at most ``timeout`` seconds. ``--standalone``
    puts the rendezvous on a free local port, so runs never collide. Each worker gets
    ``OMP_NUM_THREADS=1`` (unless ``env`` sets it): two workers each starting one thread
    per core would fight over the same few cores. ``env`` adds environment variables;
    the package's folder is put on ``PYTHONPATH`` so the workers import this copy.

    Returns the ``subprocess.CompletedProcess`` (``stdout``, ``stderr`` as text). A non-zero
    exit status or a timeout raises ``RuntimeError`` with the command and the last lines of
    the workers' stderr (on a timeout the launcher and its workers are stopped first).

    Taught in ``13_gpus_and_distributed_training``.
    """
    nproc = int(nproc_per_node)
    if nproc < 1:
        raise ValueError(f"run_torchrun: nproc_per_node must be >= 1, got {nproc}")
    command = torchrun_command(
        nproc_per_node=nproc, module=module, args=args,
        launcher=[sys.executable, "-m", "torch.distributed.run"],
    )
    run_env = dict(os.environ)
    run_env["OMP_NUM_THREADS"] = "1"
    root = str(Path(__file__).resolve().parents[1])
    run_env["PYTHONPATH"] = os.pathsep.join(p for p in (root, run_env.get("PYTHONPATH")) if p)
    run_env.update({str(k): str(v) for k, v in (env or {}).items()})
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        run_env.pop(name, None)  # torchrun sets them; a stale value from the caller would only confuse
    posix = hasattr(os, "killpg")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env,
        start_new_session=posix,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process, posix)
        stdout, stderr = process.communicate()
        raise RuntimeError(
            f"run_torchrun: no result after {timeout} s; stopped {shlex.join(command)}\n"
            f"--- last lines of stderr ---\n{_tail(stderr)}"
        ) from None
    except BaseException:  # e.g. KeyboardInterrupt in the notebook: leave no workers behind
        _stop(process, posix)
        raise
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if process.returncode != 0:
        raise RuntimeError(
            f"run_torchrun: exit status {process.returncode} from {shlex.join(command)}\n"
            f"--- last lines of stderr ---\n{_tail(stderr)}\n"
            f"--- last lines of stdout ---\n{_tail(stdout, 10)}"
        )
    return result


def _stop(process: subprocess.Popen, posix: bool) -> None:
    """Stop the launcher and (POSIX) its whole process group: SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        if posix:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
    except ProcessLookupError:
        pass


def compare_results(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict:
    """Compare two :func:`train` results; return the largest differences.

    Returns ``{"same_steps": bool, "max_loss_diff", "max_loss_rel_diff",
    "max_param_diff"}`` (absolute differences, the relative one divided by the
    larger ``|loss|``). Two runs with the same global batch on 1 and on ``W`` processes
    should differ only by float rounding (around ``1e-7``).

    Taught in ``13_gpus_and_distributed_training``.
    """
    la, lb = list(a["losses"]), list(b["losses"])
    same = len(la) == len(lb)
    loss_diff = max((abs(x - y) for x, y in zip(la, lb)), default=0.0)
    loss_rel = max((abs(x - y) / max(abs(x), abs(y), 1e-30) for x, y in zip(la, lb)), default=0.0)
    pa, pb = a["parameters"], b["parameters"]
    if set(pa) != set(pb):
        raise ValueError(f"compare_results: different parameters {sorted(pa)} vs {sorted(pb)}")
    param_diff = 0.0
    for name in pa:
        if len(pa[name]) != len(pb[name]):
            raise ValueError(f"compare_results: parameter {name!r} has different sizes")
        param_diff = max([param_diff, *(abs(x - y) for x, y in zip(pa[name], pb[name]))])
    return {
        "same_steps": same,
        "max_loss_diff": loss_diff if same else math.inf,
        "max_loss_rel_diff": loss_rel if same else math.inf,
        "max_param_diff": param_diff,
    }


def _run_worker_and_exit() -> None:
    """Entry point under ``python -m``: run :func:`main`, then leave without C++ teardown.

    After a successful run the worker flushes its output and ends with ``os._exit(0)``:
    on torch 2.13 CPU, gloo's background threads are sometimes still joinable when the
    interpreter runs C++ static destructors at exit, which calls ``std::terminate``
    ("terminate called without an active exception", SIGABRT) although training finished
    and the result was written -- and torchrun then reports the whole job as failed. Errors
    still propagate normally (non-zero exit status with a traceback).
    """
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    _run_worker_and_exit()
