"""Train, score, time and compare window-level emotion models; repeat it to get error bars.

Every paper chapter ends the same way: a table of models beside the paper's table, an
ablation, and (for the streaming papers) a run on a played-back stream. The steps are
general, so they live here, on top of :mod:`mer_lessons.windows` (the data),
:mod:`mer_lessons.train` (the loop), :mod:`mer_lessons.metrics` (the scores) and
:mod:`mer_lessons.splits` (who is tested). What belongs to one paper (its tables, which
of our models stands for which row, its claims) lives in :mod:`mer_lessons.papers`.

* :func:`train_window_model`, :func:`predict_windows`, :func:`time_window_predictions` --
  fit a torch model on a :class:`~mer_lessons.windows.WindowSet`, predict, time one window.
* :func:`score` -- one row of every classification metric.
* :class:`ModelSpec`, :func:`compare_models` -- train and score a list of models on one split.
* :func:`repeated_evaluation` (any experiment, repeated over seeds),
  :func:`repeated_comparison` (:func:`compare_models` over listener splits and seeds, with a
  majority-class floor and, optionally, a :class:`StreamAblation` played in every repeat),
  :func:`mean_interval`, :func:`paired_difference` -- means with 95 % intervals.
* :func:`beside_paper` -- our numbers and a paper's, one labelling: ``"<column> (ours)"``
  beside ``"<column> (paper)"``.
* :func:`stream_scores`, :func:`ablation_grid` -- models played on a stream through
  :class:`~mer_lessons.streaming.StreamingPipeline`, one configuration per row.
* :func:`prequential_run`, :func:`rolling_accuracy` -- online learning, "test, then train".
* :func:`verdict`, :func:`difference_verdict`, :func:`measured`, :func:`verdict_table` --
  "What we reproduced": a paper's value judged against our 95 % interval, by a stated rule.

Taught in ``08_hao_realtime_fusion``; every later paper chapter reuses it.
"""
from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import torch

from mer_lessons import metrics, splits, train
from mer_lessons.validation import (EmptyInputError, InputError, WrongTypeError, as_choice, as_class_labels,
                                    as_float, as_int, message)
from mer_lessons.windows import FeatureScaler, WindowSet

__all__ = [
    "train_window_model", "predict_windows", "time_window_predictions", "score",
    "ModelSpec", "compare_models", "mean_interval", "repeated_evaluation", "repeated_comparison",
    "RepeatedComparison", "StreamAblation",
    "paired_difference", "paired_ratio", "BesideColumn", "beside_paper", "stream_scores", "ablation_grid",
    "prequential_run", "repeated_prequential", "rolling_accuracy", "attribute_sweep", "verdict", "difference_verdict", "measured", "verdict_table",
    "REPRODUCED", "NOT_REPRODUCED", "CANNOT_TELL", "NOT_TESTABLE", "NOT_MEASURED", "NOT_A_NUMBER", "VERDICTS",
]


# --------------------------------------------------------------------------- argument checks


def _seeds(repeats, where: str) -> list:
    """``repeats`` (a count >= 1 or a non-empty list of seeds >= 0) as the list of seeds."""
    if isinstance(repeats, (str, bytes)) or not isinstance(repeats, Iterable):
        return list(range(as_int(repeats, "repeats", minimum=1, where=where)))
    seeds = [as_int(r, "repeats", minimum=0, where=where) for r in repeats]
    if not seeds:
        raise EmptyInputError(message("repeats", "a count >= 1 or a non-empty list of seeds", "[]", where=where,
                                      describe=False))
    return seeds


def _fraction(value, name: str, where: str) -> float:
    return as_float(value, name, minimum=0, maximum=1, low_open=True, high_open=True, where=where)


def _class_windows(windows, name: str, where: str, *, one_class: str = "raise") -> None:
    """Labelled windows with at least two classes (a classifier needs both).

    ``one_class="warn"``: a single class only warns (one split of a tiny data set may hold
    one class; the models can then only learn to predict it)."""
    if not isinstance(windows, WindowSet):
        raise WrongTypeError(message(name, "a labelled WindowSet", windows, where=where))
    if len(windows) == 0:
        raise EmptyInputError(message(name, "at least one window", "0 windows", where=where, describe=False))
    if windows.labels is None:
        raise InputError(message(name, "labelled windows", "windows without labels", where=where, describe=False,
                                 hint="build them with labels (e.g. WindowSet(..., labels=..., classes=...))"))
    try:
        as_class_labels(windows.labels, f"{name}.labels", where=where)
    except EmptyInputError as error:
        if one_class != "warn" or len(windows) == 0:
            raise
        warnings.warn(f"{error}: every model can only learn to predict that class", stacklevel=3)


def _check_specs(specs, where: str) -> list:
    if isinstance(specs, ModelSpec) or not isinstance(specs, Iterable):
        raise WrongTypeError(message("specs", "a list of ModelSpec", specs, where=where))
    specs = list(specs)
    if not specs:
        raise EmptyInputError(message("specs", "a non-empty list of ModelSpec", "[]", where=where, describe=False))
    bad = [type(s).__name__ for s in specs if not isinstance(s, ModelSpec)]
    if bad:
        raise WrongTypeError(message("specs", "a list of ModelSpec", f"items of type {bad}", where=where,
                                     describe=False))
    return specs


# --------------------------------------------------------------------------- torch models


def _data(windows: WindowSet, modalities, stacked: bool):
    return windows.torch_dataset(modalities, stacked=stacked)


def train_window_model(model: torch.nn.Module, train_set: WindowSet, val_set: Optional[WindowSet] = None, *,
                       modalities: Optional[Sequence[str]] = None, stacked: bool = False,
                       epochs: int = 30, batch_size: int = 32, lr: float = 1e-3,
                       lr_decay: Optional[float] = 0.95, patience: Optional[int] = 5,
                       reconstruction: bool = True, seed: int = 0, device: Any = "auto",
                       progress: bool = False, loss_fn: Optional[Callable] = None) -> train.History:
    """Fit ``model`` on labelled windows; the defaults are Hao et al.'s settings (§3.3/§4.1).

    Adam at ``lr = 1e-3``, multiplied by ``lr_decay`` after every epoch (the paper says
    "with decay" and gives no rate; we use 0.95), batches of 32, cross-entropy, early
    stopping on the validation loss (``patience`` epochs; the best weights are put back).
    ``stacked=False`` feeds ``{modality: (B, steps, D)}`` (a fusion model such as
    :class:`~mer_lessons.models.hao.HaoRecognizer`); ``stacked=True`` one
    ``(B, steps, sum D)`` tensor (the sequence baselines). With ``reconstruction`` and a
    model that has ``reconstruction_loss`` (autoencoders, Hao et al. Eq. 8) that loss is
    added to the cross-entropy of every batch: the encoders and the classifier learn
    jointly (the paper does not say whether it pre-trains them). A model with an
    ``auxiliary_loss(x)`` method (e.g. the valence/arousal regression of
    :class:`mer_lessons.models.wang.WindowInputs`) gets that term added the same way.
    ``loss_fn(output, y)`` replaces the cross-entropy; ``"model"`` uses the model's own
    ``loss_fn`` method (e.g. the L1 loss of Liu et al., Eq. 20, in
    :class:`mer_lessons.models.liu.WindowInputs`).

    Taught in ``08_hao_realtime_fusion``.
    """
    extra = None
    if reconstruction and hasattr(model, "reconstruction_loss") and not stacked:
        extra = lambda m, x: m.reconstruction_loss(x)  # noqa: E731
    elif hasattr(model, "auxiliary_loss"):
        extra = lambda m, x: m.auxiliary_loss(x)  # noqa: E731
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    val = _data(val_set, modalities, stacked) if val_set is not None else None
    if isinstance(loss_fn, str):
        if loss_fn != "model" or not callable(getattr(model, "loss_fn", None)):
            raise ValueError(f"train_window_model: loss_fn must be a callable, None or 'model' (a model with a "
                             f"loss_fn method), got {loss_fn!r} for {type(model).__name__}")
        loss_fn = model.loss_fn
    return train.fit(model, _data(train_set, modalities, stacked), val, optimizer=optimizer, loss_fn=loss_fn,
                     epochs=epochs, batch_size=batch_size, lr_decay=lr_decay,
                     patience=patience if val is not None else None, seed=seed, device=device,
                     progress=progress, extra_loss=extra)


def predict_windows(model: torch.nn.Module, windows: WindowSet, *, modalities: Optional[Sequence[str]] = None,
                    stacked: bool = False, device: Any = "auto") -> np.ndarray:
    """Class probabilities ``(N, C)`` for every window (softmax of the logits).

    Taught in ``08_hao_realtime_fusion``.
    """
    return train.predict(model, _data(windows, modalities, stacked), device=device, output="proba")


def _one_window(windows: WindowSet, i: int, modalities, stacked: bool, device):
    ms = list(modalities) if modalities is not None else windows.modalities
    if stacked:
        return torch.from_numpy(windows.subset([i]).stacked(ms)).to(device)
    return {m: torch.from_numpy(np.ascontiguousarray(windows.features[m][i:i + 1])).to(device) for m in ms}


def time_window_predictions(model: torch.nn.Module, windows: WindowSet, *, n: int = 100, warmup: int = 5,
                            modalities: Optional[Sequence[str]] = None, stacked: bool = False,
                            threads: Optional[int] = 1, device: Any = "cpu") -> np.ndarray:
    """Seconds for each of ``n`` single-window predictions, shape ``(n,)`` (model only; features excluded).

    One request is one window, as in a stream. ``threads`` limits torch's intra-op
    threads during the timing (one request, one core: the same rule as
    :func:`mer_lessons.models.baselines.time_single_predictions`). On CUDA every call is
    synchronised before the clock stops.

    Taught in ``08_hao_realtime_fusion``.
    """
    n = as_int(n, "n", minimum=1, where="time_window_predictions")
    warmup = as_int(warmup, "warmup", minimum=0, where="time_window_predictions")
    device = torch.device(device)
    model = model.to(device).eval()
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    times = np.empty(n)
    try:
        with torch.no_grad():
            for k in range(warmup + n):
                x = _one_window(windows, k % len(windows), modalities, stacked, device)
                t0 = time.perf_counter()
                out = model(x)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                int(out.argmax())
                if k >= warmup:
                    times[k - warmup] = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old)
    return times


def volume_latency(model: torch.nn.Module, windows: WindowSet, volumes: Sequence[int] = (100, 200, 300, 400, 500), *,
                   modalities: Optional[Sequence[str]] = None, stacked: bool = False, repeats: int = 5,
                   warmup: int = 1) -> pd.DataFrame:
    """Time to recognise ``n`` samples at once, for each ``n`` of ``volumes``: ``(volume, ms, ms_per_sample)``.

    The first ``n`` windows (repeated when there are fewer) go through ``model`` as one batch
    on the CPU under ``torch.no_grad()`` in eval mode; the median of ``repeats`` timed calls
    (after ``warmup`` untimed ones) is ``ms``, in milliseconds. This is what Liu et al.
    (2025), Table 3, tabulate ("emotion recognition delay" for 100 ... 500 samples); the
    paper does not say how it timed, so our numbers measure this machine and this batch
    rule, not theirs.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    volumes = [as_int(v, "volumes", minimum=1, where="volume_latency") for v in volumes]
    repeats = as_int(repeats, "repeats", minimum=1, where="volume_latency")
    warmup = as_int(warmup, "warmup", minimum=0, where="volume_latency")
    ms = list(modalities) if modalities is not None else windows.modalities
    model = model.cpu()
    was_training = model.training
    model.eval()
    rows = []
    try:
        for n in volumes:
            index = np.arange(n) % len(windows)
            part = windows.subset(index)
            x = (torch.from_numpy(part.stacked(ms)) if stacked else
                 {m: torch.from_numpy(part.features[m]) for m in ms})
            seconds = []
            with torch.no_grad():
                for k in range(warmup + repeats):
                    t0 = time.perf_counter()
                    model(x)
                    if k >= warmup:
                        seconds.append(time.perf_counter() - t0)
            ms_total = float(np.median(seconds) * 1000)
            rows.append({"volume": n, "ms": ms_total, "ms_per_sample": ms_total / n})
    finally:
        model.train(was_training)
    return pd.DataFrame(rows)


def score(y_true, y_pred, classes: Sequence, name: Optional[str] = None) -> pd.DataFrame:
    """Every metric of :func:`mer_lessons.metrics.classification_report_table` in one row.

    ``y_true``/``y_pred``: ``(N,)`` class indices (positions in ``classes``) or class names.

    Taught in ``05_metrics_and_classical_baselines`` and ``08_hao_realtime_fusion``.
    """
    classes = [str(c) for c in classes]

    def names(v):
        v = np.asarray(v)
        return np.array([classes[int(i)] for i in v]) if v.dtype.kind in "iu" else v.astype(str)

    return metrics.classification_report_table(names(y_true), names(y_pred), labels=classes, name=name)


# --------------------------------------------------------------------------- comparing models


@dataclass
class ModelSpec:
    """One row of a comparison: how to build a model and what it reads.

    ``kind``: ``"fusion"`` (``build(dims: dict, n_classes)`` -> a model taking the dict of
    modalities), ``"sequence"`` (``build(in_dim, n_classes)`` -> a model taking one
    ``(B, steps, D)`` tensor) or ``"sklearn"`` (``build(seed)`` -> an estimator fitted on
    :meth:`WindowSet.summary` rows). ``inputs``: ``"all"``, ``"audio"`` (falls back to
    the first modality when there is no audio) or a tuple of input names. Which paper row a
    spec stands for is kept by the paper's module (e.g.
    :data:`mer_lessons.papers.hao.ROW_MODELS`), not here.

    ``head`` (torch models): ``"softmax"`` (the model's logits, trained by backpropagation)
    or ``"bls"``: a :class:`mer_lessons.models.zhao.BroadLearningSystem` fitted in closed
    form on the model's ``features(x)`` of the training + validation windows (Zhao et al.'s
    BLS heads; ``bls``: its options). With ``train_front=False`` a BLS model's network is
    left at its random initial weights and nothing is trained by backpropagation (the
    reading under which "BLS trains fast" holds); with ``True`` the network is trained
    first through its softmax head. A BLS model's ``latency_ms`` is not timed (NaN).

    ``regression``: the name of an input holding continuous targets ``(N, 1, k)`` (e.g.
    valence and arousal) that the model also predicts through ``predict_regression(x)``
    (:class:`mer_lessons.models.wang.WindowInputs`); :func:`compare_models` then reports
    their mean absolute error ``mae`` on the test windows (in the targets' units).

    ``prepare``: a preprocessing step *learned from data* (an autoencoder, a feature
    selection: e.g. :class:`mer_lessons.audiovisual.FusedSelection`), an object with
    ``fit(train_set, val_set, seed) -> fitted`` whose ``fitted.transform(windows)``
    returns new windows. :func:`compare_models` fits it on the training and validation
    windows only, transforms the train, validation and test windows with it, and then
    builds and trains the model on the result; specs that share one ``prepare`` object
    share one fit per split (its time is the ``prepare_s`` column). The fitted step is kept
    on the trained model as ``model.preparation``. So a selection or an autoencoder never
    sees a test window.

    ``name`` must be a non-empty string and ``build`` a callable (else
    :class:`~mer_lessons.validation.WrongTypeError`).

    Taught in ``08_hao_realtime_fusion`` (``prepare``: ``11_kirar_zebra_bilstm_attention``).
    """

    name: str
    kind: str
    build: Callable
    inputs: Any = "all"
    head: str = "softmax"
    train_front: bool = True
    bls: Optional[Mapping[str, Any]] = None
    regression: Optional[str] = None
    prepare: Optional[Any] = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise WrongTypeError(message("name", "a non-empty string", self.name, where="ModelSpec"))
        if not callable(self.build):
            raise WrongTypeError(message("build", "a callable that builds the model", self.build,
                                         where=f"ModelSpec {self.name!r}"))
        as_choice(self.kind, "kind", ("fusion", "sequence", "sklearn"), where="ModelSpec")
        if isinstance(self.inputs, (list, tuple)):
            if not self.inputs or not all(isinstance(m, str) for m in self.inputs):
                raise ValueError(f"ModelSpec {self.name!r}: inputs must be 'all', 'audio' or a non-empty tuple "
                                 f"of input names, got {self.inputs!r}")
            self.inputs = tuple(self.inputs)
        else:
            as_choice(self.inputs, "inputs", ("all", "audio"), where="ModelSpec")
        as_choice(self.head, "head", ("softmax", "bls"), where="ModelSpec")
        if self.prepare is not None and not callable(getattr(self.prepare, "fit", None)):
            raise TypeError(f"ModelSpec {self.name!r}: prepare must have fit(train_set, val_set, seed) returning an "
                            f"object with transform(windows), got {type(self.prepare).__name__}")
        if self.head == "bls" and self.kind != "fusion":
            raise ValueError(f"ModelSpec {self.name!r}: a BLS head needs a torch model taking the dict of inputs "
                             f"and having features() (kind='fusion'), not kind={self.kind!r}")


def _inputs(spec: ModelSpec, windows: WindowSet) -> list:
    if isinstance(spec.inputs, tuple):
        missing = [m for m in spec.inputs if m not in windows.features]
        if missing:
            raise KeyError(f"model {spec.name!r} reads {missing}, which the windows do not have "
                           f"(they have {windows.modalities})")
        return list(spec.inputs)
    if spec.inputs == "audio":
        return ["audio"] if "audio" in windows.features else windows.modalities[:1]
    return windows.modalities


def _bls_head(spec: ModelSpec, model: torch.nn.Module, fit_sets: Sequence[WindowSet], ms: list, seed: int):
    """Fit a Broad Learning System on ``model.features`` of ``fit_sets`` (see :class:`ModelSpec`)."""
    from mer_lessons.models.zhao import BroadLearningSystem, model_features

    if not hasattr(model, "features"):
        raise TypeError(f"model {spec.name!r}: head='bls' needs a model with features(x)")
    model = model.cpu()
    x = [{m: torch.from_numpy(w.features[m]) for m in ms} for w in fit_sets]
    feats = np.concatenate([model_features(model, xi) for xi in x])
    y = np.concatenate([w.y for w in fit_sets])
    return BroadLearningSystem(**{"seed": seed, **(spec.bls or {})}).fit(feats, y)


def _regression_mae(model: torch.nn.Module, windows: WindowSet, ms: list, target: str) -> float:
    """Mean absolute error of ``model.predict_regression`` against the ``target`` input (see :class:`ModelSpec`)."""
    if not hasattr(model, "predict_regression"):
        raise TypeError(f"regression={target!r} needs a model with predict_regression(x)")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            predicted = model.predict_regression({m: torch.from_numpy(windows.features[m]) for m in ms})
    finally:
        model.train(was_training)
    truth = windows.features[target].reshape(predicted.shape)
    return float(np.mean(np.abs(predicted.cpu().numpy() - truth)))


def compare_models(train_set: WindowSet, val_set: WindowSet, test_set: WindowSet, *,
                   specs: Sequence[ModelSpec], epochs: int = 30, seed: int = 0,
                   device: Any = "auto", n_timing: int = 100, progress: bool = True,
                   train_options: Optional[Mapping[str, Any]] = None):
    """Train every model of ``specs`` on ``train_set`` and score it on ``test_set``.

    Torch models: :func:`train_window_model` (validation set for early stopping), built
    after ``set_seed(seed)`` so their initial weights are reproducible; scikit-learn
    models: fitted on train + validation summary rows (they have no early stopping to feed).
    ``train_options`` go to :func:`train_window_model` (e.g. ``{"lr": 3e-3, "patience":
    15}``; default: Hao et al.'s settings). Latency: :func:`time_window_predictions` /
    ``time_single_predictions`` (one window,
    one thread, model only, CPU), ``n_timing`` calls (0: not timed, ``latency_ms`` NaN).

    A model whose spec asks for ``"audio"`` gets the first modality when the windows have
    no audio (DEAP, AMIGOS); its name then says so: ``"GRU on log-mel [no audio: eeg]"``.

    Returns ``(results, models)``: a DataFrame indexed by model name (columns ``inputs``,
    every :func:`score` metric, ``latency_ms``, ``parameters`` (torch only), ``epochs``,
    ``train_s``, ``train_accuracy`` (on the training windows: its gap to ``accuracy`` shows
    over-fitting), and ``prepare_s`` when a spec has a ``prepare`` step: the seconds its
    fit took, once per split) and ``{name: trained model}`` (a BLS head is kept as
    ``model.bls_head``, a fitted ``prepare`` step as ``model.preparation``).

    The training windows must hold at least two classes and the validation and test
    sets at least one window (else :class:`~mer_lessons.validation.EmptyInputError`);
    ``specs`` must be a non-empty list of :class:`ModelSpec`.

    Taught in ``08_hao_realtime_fusion``.
    """
    from tqdm.auto import tqdm

    from mer_lessons.environment import set_seed
    from mer_lessons.models.baselines import time_single_predictions

    n_timing = as_int(n_timing, "n_timing", minimum=0, where="compare_models")
    specs = _check_specs(specs, "compare_models")
    _class_windows(train_set, "train_set", "compare_models", one_class="warn")
    for name, w in (("val_set", val_set), ("test_set", test_set)):
        if not isinstance(w, WindowSet) or len(w) == 0:
            raise EmptyInputError(message(name, "a non-empty WindowSet", w if not isinstance(w, WindowSet)
                                          else "0 windows", where="compare_models",
                                          describe=not isinstance(w, WindowSet)))
    classes = train_set.classes
    rows, models = [], {}
    prepared: Dict[int, tuple] = {}
    raw_sets = (train_set, val_set, test_set)
    for spec in tqdm(specs, desc="models", disable=not progress):
        prepare_s, fitted_step = np.nan, None
        if spec.prepare is not None:
            if id(spec.prepare) not in prepared:
                t0 = time.perf_counter()
                fitted_step = spec.prepare.fit(raw_sets[0], raw_sets[1], seed)
                sets = tuple(fitted_step.transform(w) for w in raw_sets)
                prepared[id(spec.prepare)] = (fitted_step, sets, time.perf_counter() - t0)
            fitted_step, (train_set, val_set, test_set), prepare_s = prepared[id(spec.prepare)]
        else:
            train_set, val_set, test_set = raw_sets
        ms = _inputs(spec, train_set)
        t0 = time.perf_counter()
        if spec.kind == "sklearn":
            both = WindowSet({m: np.concatenate([train_set.features[m], val_set.features[m]]) for m in ms},
                             pd.concat([train_set.meta, val_set.meta], ignore_index=True),
                             labels=np.concatenate([train_set.labels, val_set.labels]), classes=classes)
            model = spec.build(seed).fit(both.summary(ms), both.y)
            train_s = time.perf_counter() - t0
            pred = model.predict(test_set.summary(ms))
            fitted = np.mean(np.asarray(model.predict(train_set.summary(ms))) == train_set.y)
            latency = (time_single_predictions(model, test_set.summary(ms)[:n_timing], n_timing)
                       if n_timing else np.array([np.nan]))
            extra = {"parameters": np.nan, "epochs": np.nan}
        else:
            set_seed(seed)
            stacked = spec.kind == "sequence"
            if stacked:
                model = spec.build(int(sum(train_set.dims[m] for m in ms)), len(classes))
            else:
                model = spec.build({m: train_set.dims[m] for m in ms}, len(classes))
            trained = spec.head == "softmax" or spec.train_front
            history = (train_window_model(model, train_set, val_set, modalities=ms, stacked=stacked,
                                          epochs=epochs, seed=seed, device=device, **(train_options or {}))
                       if trained else None)
            head = _bls_head(spec, model, (train_set, val_set), ms, seed) if spec.head == "bls" else None
            train_s = time.perf_counter() - t0
            if head is None:
                pred = predict_windows(model, test_set, modalities=ms, stacked=stacked, device=device).argmax(1)
                fitted = np.mean(predict_windows(model, train_set, modalities=ms, stacked=stacked,
                                                 device=device).argmax(1) == train_set.y)
            else:
                from mer_lessons.models.zhao import model_features
                pred, fitted = (np.asarray(head.predict(model_features(
                    model, {m: torch.from_numpy(w.features[m]) for m in ms}))).astype(np.int64)   # class indices
                    for w in (test_set, train_set))
                fitted = np.mean(fitted == train_set.y)
            model = model.cpu()
            latency = (time_window_predictions(model, test_set, n=n_timing, modalities=ms, stacked=stacked)
                       if n_timing and head is None else np.array([np.nan]))
            extra = {"parameters": int(sum(p.numel() for p in model.parameters())),
                     "epochs": len(history.train_loss) if history is not None else 0}
            if head is not None:
                model.bls_head = head
            if fitted_step is not None:
                model.preparation = fitted_step
            if spec.regression is not None:
                extra["mae"] = _regression_mae(model, test_set, ms, spec.regression)
        name = spec.name if spec.inputs != "audio" or ms == ["audio"] else f"{spec.name} [no audio: {'+'.join(ms)}]"
        row = score(test_set.y, pred, classes, name=name)
        row.insert(0, "inputs", "+".join(ms))
        row["latency_ms"] = float(np.mean(latency) * 1000)
        for k, v in extra.items():
            row[k] = v
        row["train_s"] = train_s
        if spec.prepare is not None or prepared:
            row["prepare_s"] = prepare_s
        row["train_accuracy"] = float(fitted)
        rows.append(row)
        models[name] = model
    return pd.concat(rows), models


# --------------------------------------------------------------------------- error bars


def mean_interval(values, confidence: float = 0.95) -> Tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` ``(n,)`` and its ``confidence`` interval.

    Student's t interval: ``mean ± t_{(1+c)/2, n-1} · sd / sqrt(n)`` with the sample standard
    deviation (``ddof=1``). It treats the repeats as independent draws, which repeated
    listener splits only approximate (their test sets overlap), so read it as a yardstick,
    not an exact coverage. NaN values are ignored; with fewer than two values the interval
    is ``(nan, nan)``: one run says nothing about its own spread.

    Taught in ``08_hao_realtime_fusion``.
    """
    from scipy import stats

    confidence = as_float(confidence, "confidence", minimum=0, maximum=1, low_open=True, high_open=True,
                          where="mean_interval")
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(v.mean())
    if v.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf((1 + confidence) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def _summarise(per_repeat: pd.DataFrame, by: str, confidence: float) -> pd.DataFrame:
    numeric = [c for c in per_repeat.columns
               if c not in (by, "repeat") and pd.api.types.is_numeric_dtype(per_repeat[c])]
    rows = {}
    for name, group in per_repeat.groupby(by, sort=False):
        row: Dict[str, Any] = {}
        for c in numeric:
            mean, low, high = mean_interval(group[c], confidence)
            row[c], row[f"{c}_low"], row[f"{c}_high"] = mean, low, high
        row["repeats"] = int(group["repeat"].nunique())
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def repeated_evaluation(run: Callable[[int], pd.DataFrame], repeats: int | Sequence[int] = 5, *,
                        confidence: float = 0.95, progress: bool = True) -> Tuple[pd.DataFrame, pd.DataFrame]:
    """Run one experiment once per repeat and summarise every numeric column.

    ``run(r)`` gets the repeat's seed ``r`` (``repeats``: a count ``n`` means seeds
    ``0 .. n-1``, or a list of seeds) and returns a DataFrame indexed by what is compared
    (model or configuration name), one numeric column per metric. Returns ``(summary,
    per_repeat)``: ``summary`` indexed the same way with, for every numeric column ``c``,
    ``c`` (the mean over repeats), ``c_low`` and ``c_high`` (the :func:`mean_interval`) and
    ``repeats``; ``per_repeat`` has every run's rows with a ``repeat`` column (keep it for
    :func:`paired_difference`). ``repeats`` must be a count >= 1 or a non-empty list of
    seeds >= 0 (else an :class:`~mer_lessons.validation.InputError`).

    Taught in ``08_hao_realtime_fusion``.
    """
    from tqdm.auto import tqdm

    if not callable(run):
        raise WrongTypeError(message("run", "a callable run(seed) returning a DataFrame", run,
                                     where="repeated_evaluation"))
    seeds = _seeds(repeats, "repeated_evaluation")
    frames = []
    for r in tqdm(seeds, desc="repeats", disable=not progress):
        frame = run(r)
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"repeated_evaluation: run({r}) must return a DataFrame, got {type(frame).__name__}")
        frame = frame.copy()
        frame.index.name = frame.index.name or "name"
        frame = frame.reset_index()
        frame.insert(1, "repeat", r)
        frames.append(frame)
    per_repeat = pd.concat(frames, ignore_index=True)
    by = per_repeat.columns[0]
    return _summarise(per_repeat, by, confidence), per_repeat


@dataclass
class StreamAblation:
    """What :func:`repeated_comparison` plays on a stream after each repeat's training.

    ``configurations``: ``{row name: {"model": name of a trained spec, "sampler": None or a
    factory returning a fresh sampler, **columns}}`` (as :func:`ablation_grid` takes, with
    the model given by its spec name: it is trained anew in every repeat). ``ds``: the
    trial dataset the windows were cut from; ``trials_per_listener``: how many trials of
    each test listener are played (in dataset order); ``labels``: one label per trial of
    ``ds`` (e.g. ``ds.meta["quadrant"]``); ``stats_by_subject``: each listener's feature
    statistics (the stream standardises with them); ``stream_options`` go to
    :func:`stream_scores`.

    Taught in ``08_hao_realtime_fusion``.
    """

    configurations: Mapping[str, Mapping[str, Any]]
    ds: Any
    trials_per_listener: int
    labels: Sequence
    stats_by_subject: Mapping[str, dict]
    stream_options: Mapping[str, Any] = None


@dataclass
class RepeatedComparison:
    """The result of :func:`repeated_comparison`.

    ``summary`` / ``per_repeat``: the models' scores (:func:`repeated_evaluation`'s two
    frames; a ``"majority class"`` row is included); ``ablation`` /
    ``ablation_per_repeat``: the same for the stream ablation (``None`` without one);
    ``models``, ``parts`` and ``stream_windows``: the first repeat's trained models, its
    split (``{"train", "val", "test"}`` window positions) and its per-window stream rows
    (``{configuration: frame}``), for plots and latency. ``parts_by_repeat`` holds every
    repeat's split and ``kept_models`` ``{repeat: {name: model}}`` the models named in
    ``repeated_comparison(keep=...)`` from every repeat (for follow-up experiments such as
    :func:`repeated_prequential`).

    Taught in ``08_hao_realtime_fusion``.
    """

    summary: pd.DataFrame
    per_repeat: pd.DataFrame
    ablation: Optional[pd.DataFrame]
    ablation_per_repeat: Optional[pd.DataFrame]
    models: Dict[str, Any]
    parts: Dict[str, np.ndarray]
    stream_windows: Dict[str, pd.DataFrame]
    parts_by_repeat: Dict[int, Dict[str, np.ndarray]] = None
    kept_models: Dict[int, Dict[str, Any]] = None


def repeated_comparison(windows: WindowSet, specs: Sequence[ModelSpec], repeats: int | Sequence[int] = 5, *,
                        by: str = "subject", test_size: float = 0.25, val_size: float = 0.2,
                        stream_ablation: Optional[StreamAblation] = None, n_timing: int = 0,
                        keep: Sequence[str] = (), confidence: float = 0.95, progress: bool = True,
                        folds: Optional[int] = None, **compare_options) -> RepeatedComparison:
    """:func:`compare_models` over repeated listener splits and seeds, with 95 % intervals.

    Repeat ``r`` splits ``windows`` (labelled, standardised) with
    :func:`mer_lessons.splits.group_split` (``seed=r``: other listeners are tested each
    time), trains every model with ``seed=r`` (other initial weights and batches) and adds
    a ``"majority class"`` row (the training set's most frequent label predicted for every
    test window: the floor any model must beat). With ``stream_ablation``, the repeat's
    trained models are then played through :func:`ablation_grid` on the first
    ``trials_per_listener`` trials of each **test** listener, so the ablation's intervals
    come from the same repeats as the table's. ``compare_options`` go to
    :func:`compare_models` (``epochs``, ``device``); ``n_timing`` latency calls are made in
    the first repeat only (latency measures the machine, not the split: ``latency_ms`` has
    no interval). Returns a :class:`RepeatedComparison`.

    ``folds=K`` replaces the random splits by a grouped K-fold cross-validation
    (:func:`mer_lessons.splits.group_fold_split`): repeat ``r`` tests fold ``r % K`` of the
    folds drawn with seed ``r // K`` (``test_size`` is then unused), so ``repeats=K`` is one
    K-fold cross-validation in which every group is tested once.

    Checked first: ``repeats`` a count >= 1 or a non-empty list of seeds, ``folds`` an
    integer >= 2, ``test_size`` and ``val_size`` in (0, 1), ``specs`` non-empty, and
    ``windows`` labelled with at least two classes (else an
    :class:`~mer_lessons.validation.InputError` naming the argument).

    Taught in ``08_hao_realtime_fusion`` (``folds``: ``12_liu_bimodal_audio_video``).
    """
    where = "repeated_comparison"
    n_timing = as_int(n_timing, "n_timing", minimum=0, where=where)
    if folds is not None:
        folds = as_int(folds, "folds", minimum=2, where=where)
    seeds = _seeds(repeats, where)
    test_size = _fraction(test_size, "test_size", where)
    val_size = _fraction(val_size, "val_size", where)
    specs = _check_specs(specs, where)
    _class_windows(windows, "windows", where)
    if by not in windows.meta.columns:
        raise KeyError(message("by", f"a column of windows.meta {list(windows.meta.columns)}", by, where=where))
    if stream_ablation is not None:
        unknown = sorted({str(c.get("model")) for c in stream_ablation.configurations.values()}
                         - {spec.name for spec in specs})
        if unknown:
            raise ValueError(f"repeated_comparison: stream_ablation names models {unknown} that are not "
                             f"among specs {[spec.name for spec in specs]}")
    first: Dict[str, Any] = {}
    ablation_rows: Dict[int, pd.DataFrame] = {}
    parts_by_repeat: Dict[int, Dict[str, np.ndarray]] = {}
    kept: Dict[int, Dict[str, Any]] = {}
    unknown_keep = sorted(set(keep) - {spec.name for spec in specs})
    if unknown_keep:
        raise ValueError(f"repeated_comparison: keep names {unknown_keep}, which are not among specs")

    def run(r: int) -> pd.DataFrame:
        parts = (splits.group_split(windows.meta, by=by, test_size=test_size, val_size=val_size, seed=r)
                 if folds is None else
                 splits.group_fold_split(windows.meta, by=by, n_folds=folds, fold=r % folds, val_size=val_size,
                                         seed=r // folds))
        tr, va, te = (windows.subset(parts[k]) for k in ("train", "val", "test"))
        results, models = compare_models(tr, va, te, specs=specs, seed=r, progress=False,
                                         n_timing=n_timing if r == seeds[0] else 0, **compare_options)
        majority = pd.Series(tr.labels).value_counts().idxmax()
        floor = score(te.y, np.full(len(te), tr.classes.index(majority)), tr.classes, name="majority class")
        results = pd.concat([results, floor])
        streams: Dict[str, pd.DataFrame] = {}
        if stream_ablation is not None:
            sa = stream_ablation
            subjects = sa.ds.meta["subject"].to_numpy()
            played = [int(t) for s in sorted(set(te.meta[by])) for t in np.flatnonzero(subjects == s)[:sa.trials_per_listener]]
            configs = {name: {**c, "model": models[c["model"]]} for name, c in sa.configurations.items()}
            ablation_rows[r], streams = ablation_grid(configs, sa.ds, played, classes=tr.classes, labels=sa.labels,
                                                      stats_by_subject=sa.stats_by_subject, progress=False,
                                                      **(sa.stream_options or {}))
        if r == seeds[0]:
            first.update(models=models, parts=parts, streams=streams)
        parts_by_repeat[r] = parts
        kept[r] = {name: models[name] for name in keep}
        return results

    summary, per_repeat = repeated_evaluation(run, seeds, confidence=confidence, progress=progress)
    ablation = ablation_per_repeat = None
    if stream_ablation is not None:
        ablation, ablation_per_repeat = repeated_evaluation(lambda r: ablation_rows[r], seeds,
                                                            confidence=confidence, progress=False)
    return RepeatedComparison(summary, per_repeat, ablation, ablation_per_repeat,
                              first["models"], first["parts"], first["streams"], parts_by_repeat, kept)


def pooled_confusion(study: "RepeatedComparison", spec: ModelSpec, windows: WindowSet, *,
                     device: Any = "cpu", per_repeat: bool = False):
    """The confusion counts of one model summed over every repeat's test windows.

    ``study``: a :class:`RepeatedComparison` whose ``repeated_comparison(keep=...)`` named
    ``spec.name`` (its trained model of every repeat is kept); ``windows``: the windows the
    study was run on. Each repeat's model predicts its own test windows (after its
    ``preparation``, when the spec has a ``prepare`` step); the counts of
    :func:`mer_lessons.metrics.confusion` are added up. Rows: true class, columns:
    predicted, in ``windows.classes`` order; the total is the number of test windows over
    all repeats.

    ``per_repeat=True`` returns ``{repeat: table}`` instead of their sum (for a metric per
    repeat, e.g. :func:`mer_lessons.metrics.grade_correlation`).

    Paper: one confusion matrix of one split (Kirar et al., Figs. 4-6); we: every repeat's
    test windows pooled, so the matrix rests on all of them.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    kept = study.kept_models or {}
    if not kept or any(spec.name not in models for models in kept.values()):
        raise KeyError(f"pooled_confusion: the study did not keep {spec.name!r}; run repeated_comparison(..., "
                       f"keep=[{spec.name!r}, ...])")
    classes = list(windows.classes)
    total, tables = None, {}
    for r, models in kept.items():
        model = models[spec.name]
        test = windows.subset(study.parts_by_repeat[r]["test"])
        if getattr(model, "preparation", None) is not None:
            test = model.preparation.transform(test)
        if spec.kind == "sklearn":
            pred = np.asarray(model.predict(test.summary(_inputs(spec, test))))
        else:
            pred = predict_windows(model, test, modalities=_inputs(spec, test), stacked=spec.kind == "sequence",
                                   device=device).argmax(1)
        table = metrics.confusion(test.labels, np.asarray(classes, dtype=object)[pred], labels=classes)
        tables[r] = table
        total = table if total is None else total + table
    return tables if per_repeat else total


@dataclass
class RepeatedSelection:
    """The result of :func:`repeated_selection`.

    ``summary`` / ``per_repeat``: :func:`repeated_evaluation`'s two frames over the
    selectors' rows (``test_accuracy``, ``val_fitness``, ``n_features``, ``share_selected``,
    ``evaluations``, ``seconds``); ``results``: ``{repeat: {method:
    mer_lessons.selection.SelectionResult}}`` (masks and convergence histories);
    ``names``: the fused features' names (as the masks index them).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    summary: pd.DataFrame
    per_repeat: pd.DataFrame
    results: Dict[int, Dict[str, Any]]
    names: np.ndarray


def repeated_selection(windows: WindowSet, preparation: Any, repeats: int | Sequence[int] = 5, *,
                       by: str = "subject", test_size: float = 0.25, val_size: float = 0.2,
                       methods: Sequence[str] = ("none", "random search", "genetic", "zebra"),
                       confidence: float = 0.95, progress: bool = True, **selector_options) -> RepeatedSelection:
    """Feature selectors compared at the same number of fitness evaluations, over repeated splits.

    Repeat ``r`` splits ``windows`` as :func:`repeated_comparison` does (``group_split``
    by ``by``, ``seed=r``), fits ``preparation`` (a
    :class:`mer_lessons.audiovisual.FusedSelection` *without* a selector: its autoencoders
    and scaling) on the training and validation windows, averages the fused steps over time
    and calls :func:`mer_lessons.selection.compare_selectors` with ``seed=r``: every method
    of ``methods`` gets the same budget of fitness evaluations, its fitness is measured on
    the validation rows only, and each chosen subset is scored once on the test rows with
    the same cheap classifier. ``selector_options`` (``population``, ``iterations``,
    ``penalty``, ``classifier``) go there. Returns a :class:`RepeatedSelection`.

    Kirar et al. (2024), Sec. 3.4 compare nothing: the zebra algorithm is the only selector.
    We: no selection, random search and a genetic algorithm beside it, at equal budgets.

    ``repeats``, ``test_size``, ``val_size`` and the labels are checked as in
    :func:`repeated_comparison`.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from mer_lessons.selection import compare_selectors

    if getattr(preparation, "selector", None) is not None:
        raise ValueError("repeated_selection: pass a preparation without a selector (selector=None); "
                         "the selectors are what is compared")
    seeds = _seeds(repeats, "repeated_selection")
    test_size = _fraction(test_size, "test_size", "repeated_selection")
    val_size = _fraction(val_size, "val_size", "repeated_selection")
    _class_windows(windows, "windows", "repeated_selection")
    results: Dict[int, Dict[str, Any]] = {}
    names: list = []

    def run(r: int) -> pd.DataFrame:
        parts = splits.group_split(windows.meta, by=by, test_size=test_size, val_size=val_size, seed=r)
        tr, va, te = (windows.subset(parts[k]) for k in ("train", "val", "test"))
        fitted = preparation.fit(tr, va, r)
        x = {k: w.features[preparation.output].mean(axis=1) for k, w in
             (("train", fitted.transform(tr)), ("val", fitted.transform(va)), ("test", fitted.transform(te)))}
        table, results[r] = compare_selectors(x["train"], tr.y, x["val"], va.y, x["test"], te.y, seed=r,
                                              methods=methods, **selector_options)
        names[:] = list(fitted.names)
        return table.rename_axis("name")

    summary, per_repeat = repeated_evaluation(run, seeds, confidence=confidence, progress=progress)
    return RepeatedSelection(summary, per_repeat, results, np.array(names, dtype=object))


def _paired_table(per_repeat: pd.DataFrame, a: str, b: str, metric: str, by: Optional[str], where: str) -> pd.DataFrame:
    """``metric`` per repeat (rows) and name (columns), checked to hold ``a`` and ``b``."""
    by = by or per_repeat.columns[0]
    table = per_repeat.pivot_table(index="repeat", columns=by, values=metric, aggfunc="mean")
    for name in (a, b):
        if name not in table.columns:
            raise KeyError(f"{where}: no {name!r} in column {by!r}; have {list(table.columns)}")
    return table


def paired_difference(per_repeat: pd.DataFrame, a: str, b: str, metric: str, *, confidence: float = 0.95,
                      by: Optional[str] = None, scale: float = 1.0) -> Dict[str, Any]:
    """Does ``a`` beat ``b`` on ``metric`` over the same repeats? The interval of ``a - b``.

    ``per_repeat``: the second output of :func:`repeated_evaluation` (rows of ``a`` and
    ``b`` matched by their ``repeat``; ``by`` is the name column, by default the first).
    Pairing removes what the two share in each repeat (the same test listeners, the same
    seed), so a real difference shows with fewer repeats than two separate intervals need.
    Returns ``{"difference", "low", "high", "repeats", "a_better", "b_better"}``; the last
    two are True only when the whole interval lies on that side of 0 (with fewer than two
    repeats both are False: one run cannot tell). ``scale`` multiplies the difference and
    its interval (100: accuracy in percentage points, a paper's unit).

    Taught in ``08_hao_realtime_fusion``.
    """
    table = _paired_table(per_repeat, a, b, metric, by, "paired_difference")
    diff = (table[a] - table[b]).dropna() * float(scale)
    mean, low, high = mean_interval(diff.to_numpy(), confidence)
    return {"difference": mean, "low": low, "high": high, "repeats": int(diff.size),
            "a_better": bool(low > 0), "b_better": bool(high < 0)}


def paired_ratio(per_repeat: pd.DataFrame, a: str, b: str, metric: str, *, confidence: float = 0.95,
                 by: Optional[str] = None) -> Dict[str, Any]:
    """``a / b`` on ``metric`` within each repeat, and the 95 % interval of its mean.

    For costs that scale with the machine (training time): the paper's 95.72 s against
    520.43 s is a ratio of 0.18 whatever the computer, while the seconds themselves are
    not comparable. Pairing as in :func:`paired_difference`. Returns ``{"mean", "low",
    "high", "repeats"}`` (what :func:`verdict_table` reads).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    table = _paired_table(per_repeat, a, b, metric, by, "paired_ratio")
    if (table[b] <= 0).any():
        raise ValueError(f"paired_ratio: {b!r} has {metric} <= 0 in some repeat; a ratio needs positive values")
    ratio = (table[a] / table[b]).dropna()
    mean, low, high = mean_interval(ratio.to_numpy(), confidence)
    return {"mean": mean, "low": low, "high": high, "repeats": int(ratio.size)}


# --------------------------------------------------------------------------- beside a paper


@dataclass(frozen=True)
class BesideColumn:
    """One metric of :func:`beside_paper`: ``label`` shown, our column, the paper's column.

    Our value is multiplied by ``scale`` (e.g. 100 for a paper that prints %) and rounded
    to ``digits``. Taught in ``08_hao_realtime_fusion``.
    """

    label: str
    ours: str
    paper: str
    scale: float = 1.0
    digits: int = 2


def beside_paper(ours: pd.DataFrame, paper: pd.DataFrame, *, rows: Mapping[str, Optional[str]],
                 columns: Sequence[BesideColumn], paper_index: Optional[str] = None) -> pd.DataFrame:
    """Our numbers beside a paper's, one row per row of the paper's table (its order).

    ``ours``: indexed by our names (e.g. :func:`compare_models` results, or a
    :func:`repeated_evaluation` summary, whose ``<column>_low``/``_high`` intervals are
    shown as ``"<label> (ours, 95 % CI)"``). ``paper``: the paper's table
    (``paper_index``: the column naming its rows, default its index). ``rows``: paper row
    -> our name (``None``: not built). ``columns``: :class:`BesideColumn` s (or tuples of
    their fields, as the paper modules keep them, e.g.
    :data:`mer_lessons.papers.hao.TABLE3_COLUMNS`). The result has
    a column ``ours`` (our name, or ``"not built"``) and, per metric, ``"<label> (ours)"``
    beside ``"<label> (paper)"``. The numbers come from different data, protocols and
    machines unless a chapter says otherwise: read them, do not subtract them.

    Taught in ``05_metrics_and_classical_baselines`` and ``08_hao_realtime_fusion``.
    """
    table = paper.set_index(paper_index) if paper_index is not None else paper
    unknown = [r for r in rows if r not in table.index]
    if unknown:
        raise KeyError(f"beside_paper: rows {unknown} are not rows of the paper's table {list(table.index)}")
    out = pd.DataFrame(index=pd.Index(table.index, name=table.index.name or "paper row"))
    names = [rows.get(r) if rows.get(r) in ours.index else None for r in table.index]
    out["ours"] = [n if n is not None else "not built" for n in names]
    for col in columns:
        col = col if isinstance(col, BesideColumn) else BesideColumn(*col)
        if col.ours not in ours.columns:
            raise KeyError(f"beside_paper: our results have no column {col.ours!r}")
        mine = [round(float(ours.loc[n, col.ours]) * col.scale, col.digits) if n is not None else np.nan
                for n in names]
        out[f"{col.label} (ours)"] = mine
        if f"{col.ours}_low" in ours.columns:
            out[f"{col.label} (ours, 95 % CI)"] = [
                _interval_text(ours.loc[n, f"{col.ours}_low"], ours.loc[n, f"{col.ours}_high"], col)
                if n is not None else "" for n in names]
        out[f"{col.label} (paper)"] = table[col.paper].to_numpy()
    return out


def _interval_text(low, high, col: BesideColumn) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "n/a (1 repeat)"
    return f"[{low * col.scale:.{col.digits}f}, {high * col.scale:.{col.digits}f}]"


# --------------------------------------------------------------------------- on a stream


def stream_scores(model: torch.nn.Module, ds, trials: Sequence[int], *, classes: Sequence[str],
                  stats_by_subject: Mapping[str, dict], sampler=None, label_key: str = "quadrant",
                  labels: Optional[Sequence] = None, window_s: float = 1.0, hop_s: float = 0.5,
                  steps: int = 8, warmup: int = 3, featurizer=None) -> tuple:
    """Play ``trials`` of ``ds`` as a stream through a :class:`~mer_lessons.streaming.StreamingPipeline`.

    Trials are grouped by listener (``ds.meta["subject"]``); each listener's part is played
    with the model wrapped in a :class:`~mer_lessons.windows.FeatureScaler` holding that
    listener's feature statistics (``stats_by_subject[subject]``: the calibration step of
    :meth:`WindowSet.standardize`). ``labels``: one label per trial of ``ds`` (default the
    ``label_key`` column). ``featurizer``: the window featurizer the model was trained on
    (default :func:`mer_lessons.windows.window_features`). Returns ``(windows, summary)``:
    every window's row (see :class:`~mer_lessons.streaming.StreamReport`) and a dict with
    the scores of the per-window labels (every :func:`score` column), ``share_saved`` and
    ``inference_ms`` -- the mean compute per window of stream (the sampler's decision on
    every window, plus window features + model on the processed ones).

    Taught in ``08_hao_realtime_fusion``.
    """
    from mer_lessons.streaming import StreamingPipeline, stream_from_dataset
    from mer_lessons.windows import RATE_KEYS, item_modalities

    meta = ds.meta
    trials = [int(t) for t in trials]
    ids = meta["id"].astype(str).to_numpy() if "id" in meta else np.arange(len(meta)).astype(str)
    truth = dict(zip(ids, meta[label_key] if labels is None else labels))
    frames = []
    subjects = meta["subject"].to_numpy()[trials]
    for subject in pd.unique(subjects):
        group = [t for t, s in zip(trials, subjects) if s == subject]
        first = ds[group[0]]
        names = list(getattr(model, "modalities", item_modalities(first)))
        played = item_modalities(first)
        rates = {m: float(first[RATE_KEYS[m]]) for m in played}
        options = {} if featurizer is None else {"featurizer": featurizer}
        pipe = StreamingPipeline(FeatureScaler(model, stats_by_subject[subject]), window_s=window_s,
                                 hop_s=hop_s, sampler=sampler, label_names=list(classes), steps=steps,
                                 modalities=names, rates=rates, **options)
        if warmup:
            pipe.warmup(warmup, channels={m: np.shape(first[m])[0] for m in played
                                          if m != "face" and np.ndim(first[m]) == 2})
        source = stream_from_dataset(ds, group, modalities=played)
        report = pipe.run(({**c, "label": truth.get(str(c["trial"]))} for c in source), reset=True)
        w = report.windows.copy()
        w["subject"] = subject
        frames.append(w)
    windows = pd.concat(frames, ignore_index=True)
    known = windows[windows["true_label"].notna()]
    row = score(known["true_label"].astype(str).to_numpy(), known["label"].astype(str).to_numpy(), classes)
    summary = row.iloc[0].to_dict()
    n = len(windows)
    compute = windows["decide_ms"].sum() + windows["latency_ms"].fillna(0).sum()
    summary.update({"windows": n, "processed": int(windows["processed"].sum()),
                    "share_saved": 1 - windows["processed"].mean(), "inference_ms": compute / n,
                    "latency_p50_ms": float(windows.loc[windows["processed"], "latency_ms"].median())})
    return windows, summary


def ablation_grid(configurations: Mapping[str, Mapping[str, Any]], ds, trials: Sequence[int], *,
                  classes: Sequence[str], stats_by_subject: Mapping[str, dict], label_key: str = "quadrant",
                  progress: bool = True, **stream_options) -> tuple:
    """An ablation measured on a stream: every configuration played on the same trials.

    ``configurations``: ``{name: {"model": trained model, "sampler": None or a factory
    returning a fresh sampler, **columns}}``; extra entries (e.g. the switches a
    configuration turns off) are copied into its row. A configuration without a sampler
    processes every window. ``stream_options`` go to :func:`stream_scores`. Returns
    ``(table, windows)``: one row per configuration (every :func:`stream_scores` summary
    entry) and ``{name: per-window rows}``. For Hao et al.'s Table 4 the configurations
    come from :data:`mer_lessons.papers.hao.ABLATIONS`.

    Taught in ``08_hao_realtime_fusion``.
    """
    from tqdm.auto import tqdm

    rows, per_window = [], {}
    for name, config in tqdm(configurations.items(), desc="ablations", disable=not progress):
        if "model" not in config:
            raise KeyError(f"ablation_grid: configuration {name!r} has no 'model'")
        factory = config.get("sampler")
        w, summary = stream_scores(config["model"], ds, trials, classes=classes, stats_by_subject=stats_by_subject,
                                   sampler=factory() if factory is not None else None, label_key=label_key,
                                   **stream_options)
        summary.update({k: v for k, v in config.items() if k not in ("model", "sampler")})
        rows.append(pd.Series(summary, name=name))
        per_window[name] = w
    table = pd.DataFrame(rows)
    for column in ("windows", "processed"):
        table[column] = table[column].astype(int)
    return table, per_window


# --------------------------------------------------------------------------- online adaptation


PREQUENTIAL_MODES = ("frozen", "incremental", "incremental+reset")


def prequential_run(model: torch.nn.Module, stream: WindowSet, *, mode: str = "frozen",
                    adapter_factory: Optional[Callable[[torch.nn.Module], Any]] = None,
                    group: str = "trial", stacked: bool = False,
                    watch: Optional[np.ndarray] = None) -> pd.DataFrame:
    """Online learning "test, then train" over a stream of windows.

    ``stream``: labelled, standardised windows in playing order. They arrive in groups
    (``group``: every window of one trial): the model labels the group's windows, then the
    group's true labels arrive (the listener's rating at the end of the excerpt) and, by
    ``mode``:

    * ``"frozen"``: nothing is learnt (the pre-trained model throughout);
    * ``"incremental"``: ``adapter.update(x, y)`` on the group (e.g. one small-batch Adam
      step of :class:`mer_lessons.models.hao.OnlineAdapter`, Hao et al. §3.3);
    * ``"incremental+reset"``: the same, after passing what the detector watches to
      ``adapter.observe(...)``, which may reload the pre-trained weights when it detects a
      large change (its ``"reset"`` entry is recorded). By default it watches the group's
      predicted distribution ``(B, C)``; ``watch`` ``(len(stream), D)`` gives it other
      per-window values instead, e.g. the signal levels
      :meth:`mer_lessons.windows.WindowSet.levels` (a new listener's body sits elsewhere).

    ``adapter_factory(model) -> adapter`` (needed unless ``mode="frozen"``). ``model`` is
    deep-copied (the caller's stays as it is). Returns one row per window: ``position``,
    the ``stream.meta`` columns, ``true``, ``pred``, ``correct``, ``reset`` (a reset
    happened after this window's group).

    Taught in ``08_hao_realtime_fusion``.
    """
    as_choice(mode, "mode", PREQUENTIAL_MODES, where="prequential_run")
    if mode != "frozen" and adapter_factory is None:
        raise ValueError(f"prequential_run: mode {mode!r} needs adapter_factory (e.g. "
                         "lambda m: mer_lessons.models.hao.OnlineAdapter(m, batch_size=8))")
    if watch is not None:
        watch = np.asarray(watch, dtype=np.float64)
        if watch.ndim != 2 or len(watch) != len(stream):
            raise ValueError(f"prequential_run: watch must be (windows, values) with {len(stream)} rows, "
                             f"got shape {watch.shape}")
    model = copy.deepcopy(model).cpu()
    adapter = adapter_factory(model) if mode != "frozen" else None
    data = stream.torch_dataset(stacked=stacked)
    keys = stream.meta[group].to_numpy()
    bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    preds, resets = np.empty(len(stream), dtype=np.int64), np.zeros(len(stream), dtype=bool)
    for a, b in zip(bounds[:-1], bounds[1:]):
        idx = list(range(a, b))
        x = data.x[a:b] if stacked else {m: v[a:b] for m, v in data.x.items()}
        y = data.y[a:b]
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(x), dim=-1)
        preds[idx] = probs.argmax(1).numpy()
        if adapter is None:
            continue
        if mode == "incremental+reset":
            info = adapter.observe(probs if watch is None else torch.from_numpy(watch[a:b]))
            resets[b - 1] = info["reset"]
        adapter.update(x, y)
    out = stream.meta.copy()
    out.insert(0, "position", np.arange(len(stream)))
    out["true"] = np.asarray(stream.classes, dtype=object)[stream.y]
    out["pred"] = np.asarray(stream.classes, dtype=object)[preds]
    out["correct"] = preds == stream.y
    out["reset"] = resets
    return out


def repeated_prequential(study: "RepeatedComparison", model: str, windows: WindowSet, *,
                         modes: Mapping[str, Tuple[str, bool]], adapter_factory: Callable[[torch.nn.Module], Any],
                         levels_from: Optional[WindowSet] = None, by: str = "subject",
                         confidence: float = 0.95) -> Tuple[pd.DataFrame, pd.DataFrame, Dict[str, pd.DataFrame]]:
    """:func:`prequential_run` in every repeat of a :func:`repeated_comparison`, with intervals.

    In repeat ``r`` the model ``model`` trained in that repeat (``study.kept_models``: pass
    ``keep=[model]`` to :func:`repeated_comparison`) plays that repeat's test windows of
    ``windows`` listener after listener (ordered by ``by``, ``trial``, ``start_s``).
    ``modes``: ``{row name: (mode, watch_levels)}``, ``mode`` as in :func:`prequential_run`;
    with ``watch_levels`` the change detector watches the signal levels
    (:meth:`~mer_lessons.windows.WindowSet.levels` of ``levels_from``, the unstandardised
    windows, in units of that repeat's training windows) instead of the predictions.

    Per repeat and row: ``accuracy``; ``first listener`` and ``after the change`` (accuracy
    before and after the second test listener starts); ``resets``; ``false alarms``
    (resets before the change); ``delay`` (trials from the change to the first reset after
    it; NaN when none). Returns ``(summary, per_repeat, first_runs)`` (the
    :func:`repeated_evaluation` frames and the first repeat's :func:`prequential_run` frames).

    Taught in ``08_hao_realtime_fusion``.
    """
    if study.kept_models is None or not study.kept_models or model not in next(iter(study.kept_models.values())):
        raise ValueError(f"repeated_prequential: the study kept no {model!r} models; "
                         f"call repeated_comparison(..., keep=[{model!r}])")
    if any(watch for _, watch in modes.values()) and levels_from is None:
        raise ValueError("repeated_prequential: a mode watches the signal levels: pass levels_from "
                         "(the labelled windows before standardisation)")
    first_runs: Dict[str, pd.DataFrame] = {}
    seeds = list(study.parts_by_repeat)

    def run(r: int) -> pd.DataFrame:
        parts = study.parts_by_repeat[r]
        test = windows.subset(parts["test"])
        order = test.meta.assign(pos=np.arange(len(test))).sort_values([by, "trial", "start_s"])["pos"].to_numpy()
        stream = test.subset(order)
        levels = None
        if levels_from is not None:
            reference = levels_from.subset(parts["train"]).stats()
            levels = levels_from.subset(parts["test"]).subset(order).levels(reference)
        listeners = stream.meta[by].to_numpy()
        change = int(np.flatnonzero(listeners[1:] != listeners[:-1])[0]) + 1 if len(set(listeners)) > 1 else len(stream)
        trial_of = stream.meta["trial"].to_numpy()
        change_trial = len(pd.unique(trial_of[:change]))
        rows = {}
        for name, (mode, watch) in modes.items():
            out = prequential_run(study.kept_models[r][model], stream, mode=mode, adapter_factory=adapter_factory,
                                  watch=levels if watch else None)
            group_index = pd.Series(pd.factorize(out["trial"])[0])      # trial number in playing order
            fired = group_index[out["reset"].to_numpy()].to_numpy()
            after = fired[fired >= change_trial]
            rows[name] = {"accuracy": out["correct"].mean(), "first listener": out["correct"][:change].mean(),
                          "after the change": out["correct"][change:].mean() if change < len(out) else np.nan,
                          "resets": int(out["reset"].sum()), "false alarms": int((fired < change_trial).sum()),
                          "delay": float(after.min() - change_trial) if after.size else np.nan}
            if r == seeds[0]:
                first_runs[name] = out
        return pd.DataFrame.from_dict(rows, orient="index")

    summary, per_repeat = repeated_evaluation(run, seeds, confidence=confidence, progress=False)
    return summary, per_repeat, first_runs


def attribute_sweep(study: "RepeatedComparison", names: Sequence[str], windows: WindowSet, attribute: str,
                    values: Sequence[Any], *, inputs: Mapping[str, Sequence[str]], metric: str = "macro_f1",
                    confidence: float = 0.95) -> Tuple[pd.DataFrame, pd.DataFrame]:
    """Score trained models again with one attribute set to each of ``values``, in every repeat.

    For every repeat ``r`` of ``study`` (a :func:`repeated_comparison` run with
    ``keep=names``), every name and every value: ``setattr(model, attribute, value)`` on
    the model ``study.kept_models[r][name]``, predict that repeat's test windows
    ``windows.subset(study.parts_by_repeat[r]["test"])`` (:func:`predict_windows` on the
    CPU, reading ``inputs[name]``, the input names the model was trained on: its spec's
    ``inputs``), :func:`score` them, and put the attribute back to its old value (also when
    scoring fails). No model is retrained: this is an evaluation-time sweep, e.g. the
    DropRatio of :class:`mer_lessons.models.wang.WindowInputs` (``attribute="drop_text"``,
    ``values=[0, 0.2, ..., 1]``), Wang (2025), Figs. 5-6. ``windows``: the labelled,
    standardised windows the study was run on (positions must match its splits).
    ``metric``: a column of :func:`score` (``"accuracy"``, ``"macro_f1"``, ...).

    Returns ``(summary, per_repeat)``, both plain-column DataFrames (no MultiIndex):
    ``per_repeat`` one row per (repeat, name, value) with columns ``name``, ``value``,
    ``repeat`` and ``metric`` (the score, column named after the metric, e.g.
    ``macro_f1``); ``summary`` one row per (name, value), in the order of ``names`` and
    ``values``, with columns ``name``, ``value``, ``mean``, ``low``, ``high``
    (:func:`mean_interval` over the repeats, at ``confidence``) and ``repeats``. Raises
    :class:`~mer_lessons.validation.InputError` for a name the study did not keep, a name
    missing from ``inputs`` or an attribute a model lacks, and ``KeyError`` for an unknown
    ``metric``.

    Paper: one trained model, one curve of points; we: the curve in every repeat (other
    listeners tested, other seeds), with a 95 % interval at every value.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "attribute_sweep"
    confidence = as_float(confidence, "confidence", minimum=0, maximum=1, low_open=True, high_open=True,
                          where=where)
    if isinstance(names, str):
        names = [names]
    names = list(names)
    values = list(values)
    if not names:
        raise InputError(message("names", "at least one kept model name", names, where=where))
    if not values:
        raise InputError(message("values", "at least one value to set", values, where=where))
    if not isinstance(attribute, str) or not attribute:
        raise InputError(message("attribute", "the name of a model attribute (a string)", attribute, where=where))
    kept = study.kept_models or {}
    for name in names:
        if not kept or any(name not in models for models in kept.values()):
            raise InputError(message("names", "models the study kept", name, where=where,
                                     hint=f"pass keep={names!r} to repeated_comparison"))
        if name not in inputs:
            raise InputError(message("inputs", f"the input names of every model, including {name!r}",
                                     sorted(inputs), where=where, describe=False,
                                     hint="e.g. {name: spec.inputs} from the specs of the study"))
        for r, models in kept.items():
            if not hasattr(models[name], attribute):
                raise InputError(message("attribute", f"an attribute of model {name!r}", attribute, where=where,
                                         hint=f"{type(models[name]).__name__} has no {attribute!r}"))
    rows = []
    for r in study.parts_by_repeat:
        test = windows.subset(study.parts_by_repeat[r]["test"])
        for name in names:
            model = kept[r][name]
            modalities = list(inputs[name])
            old = getattr(model, attribute)
            try:
                for value in values:
                    setattr(model, attribute, value)
                    pred = predict_windows(model, test, modalities=modalities, device="cpu").argmax(1)
                    table = score(test.y, pred, test.classes, name=name)
                    if metric not in table.columns:
                        raise KeyError(f"{where}: no metric {metric!r}; score gives {list(table.columns)}")
                    rows.append({"name": name, "value": value, "repeat": r, metric: float(table[metric].iloc[0])})
            finally:
                setattr(model, attribute, old)
    per_repeat = pd.DataFrame(rows, columns=["name", "value", "repeat", metric])
    summary_rows = []
    for name in names:
        for k, value in enumerate(values):
            group = per_repeat[(per_repeat["name"] == name)
                               & (per_repeat.index % len(values) == k)]    # by position: values may be unhashable
            mean, low, high = mean_interval(group[metric], confidence)
            summary_rows.append({"name": name, "value": value, "mean": mean, "low": low, "high": high,
                                 "repeats": int(group["repeat"].nunique())})
    return pd.DataFrame(summary_rows, columns=["name", "value", "mean", "low", "high", "repeats"]), per_repeat


def rolling_accuracy(run: pd.DataFrame, window: int = 100) -> pd.Series:
    """Accuracy over the last ``window`` windows at every position of a :func:`prequential_run`.

    Taught in ``08_hao_realtime_fusion``.
    """
    window = as_int(window, "window", minimum=1, where="rolling_accuracy")
    return run["correct"].astype(float).rolling(window, min_periods=max(1, window // 4)).mean()


# --------------------------------------------------------------------------- verdicts


#: The verdicts :func:`verdict` and :func:`verdict_table` give, as printed.
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
CANNOT_TELL = "cannot tell at this size"
NOT_TESTABLE = "not testable here"
NOT_MEASURED = "not measured"
NOT_A_NUMBER = "not one number: see the chapter"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, CANNOT_TELL, NOT_TESTABLE, NOT_MEASURED, NOT_A_NUMBER)


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def verdict(paper_value: float, low: float, high: float, *, mean: Optional[float] = None,
            tolerance: float = 0.0, repeats: Optional[int] = None,
            higher_is_better: Optional[bool] = None, null: Optional[float] = None,
            max_width: Optional[float] = None) -> str:
    """Is the paper's number consistent with ours? Read off our 95 % interval ``[low, high]``.

    The rule, in order (all values in the paper's unit; convert ours first, e.g. x 100 for %):

    1. **Cannot tell at this size** when there is no interval: ``low`` or ``high`` is NaN
       (one repeat: :func:`mean_interval` gives NaN) or ``repeats < 2``.
    2. The interval is widened by ``tolerance`` on both sides: ``[low - tol, high + tol]``
       (an absolute allowance the caller states, e.g. 0.005 for a paper that prints two
       decimals). Two-sided (``higher_is_better=None``): the claim is the value itself.
       One-sided: ``higher_is_better=True`` reads the claim as "at least ``paper_value``"
       (a score), ``False`` as "at most" (a latency): doing better than the paper does
       not refute it.
    3. **Not reproduced** when the whole widened interval lies on the wrong side of the
       paper's value (two-sided: on either side; "at least": below it; "at most": above
       it). That is decisive however wide the interval is.
    4. Otherwise the paper's value is inside (a value exactly on the widened boundary
       counts as inside: the interval is closed, up to floating-point rounding,
       ``1e-9`` relative). It is **reproduced** only if the
       interval is also narrow enough to mean something; else **cannot tell at this
       size**. "Too wide" is stated by the caller, two ways: ``null`` -- a value that
       would mean the claim is *not* true (0 for a claimed difference, chance level for a
       score): our (unwidened) interval containing it as well as the paper's value says
       both "the paper is right" and "there is no effect", so it cannot tell; and
       ``max_width`` -- the widest interval ``high - low`` the caller accepts. With
       neither, rule 4 is plain containment.

    ``mean``: our mean, checked to lie in ``[low, high]`` (it does not change the verdict).
    Returns one of :data:`REPRODUCED`, :data:`NOT_REPRODUCED`, :data:`CANNOT_TELL`. More
    repeats shrink the interval: "cannot tell" is a statement about the experiment's size.

    Paper: the papers compare single numbers; we: a paper's value against our interval over
    repeated splits and seeds, with the allowance written down.

    Taught in ``08_hao_realtime_fusion``.
    """
    where = "verdict"
    paper_value = as_float(paper_value, "paper_value", where=where)
    tolerance = as_float(tolerance, "tolerance", minimum=0, where=where)
    if higher_is_better not in (None, True, False):
        raise ValueError(f"verdict: higher_is_better must be None, True or False, got {higher_is_better!r}")
    if max_width is not None:
        max_width = as_float(max_width, "max_width", minimum=0, where=where)
    if repeats is not None and int(repeats) < 2:
        return CANNOT_TELL
    if not (_finite(low) and _finite(high)):
        return CANNOT_TELL
    low, high = float(low), float(high)
    if low > high:
        raise ValueError(f"verdict: low ({low}) is above high ({high})")
    if mean is not None and _finite(mean) and not (low - 1e-12 <= float(mean) <= high + 1e-12):
        raise ValueError(f"verdict: mean {mean} lies outside its interval [{low}, {high}]")
    eps = 1e-9 * max(1.0, abs(paper_value), abs(low), abs(high))   # floating-point rounding only
    lo, hi = low - tolerance - eps, high + tolerance + eps
    above = lo > paper_value                # the whole interval above the paper's value
    below = hi < paper_value
    wrong = {None: above or below, True: below, False: above}[higher_is_better]
    if wrong:
        return NOT_REPRODUCED
    if null is not None and _finite(null) and low <= float(null) <= high:
        return CANNOT_TELL
    if max_width is not None and high - low > max_width + eps:
        return CANNOT_TELL
    return REPRODUCED


def difference_verdict(difference: Mapping[str, Any], paper_difference: float, *, tolerance: float = 0.0,
                       null: Optional[float] = 0.0, max_width: Optional[float] = None,
                       higher_is_better: Optional[bool] = None) -> str:
    """:func:`verdict` for a claimed difference ("removing X lowers F1 by 0.06") from :func:`paired_difference`.

    ``difference``: the dict :func:`paired_difference` returns (``difference``, ``low``,
    ``high``, ``repeats``), ``a - b`` in that order: call it with ``a`` the configuration the
    paper's difference starts from (``paired_difference(per, "Without Bi-LSTM", "Full
    model", "weighted_f1")`` for a claimed -0.06). ``paper_difference``: the paper's
    ``a - b`` in the same unit. ``null`` defaults to 0: an interval that holds both the
    claimed difference and no difference at all cannot tell (pass ``None`` to judge
    containment only). Other arguments as in :func:`verdict`.

    Paper: differences of two single runs; we: the interval of the paired difference.

    Taught in ``08_hao_realtime_fusion``.
    """
    for k in ("low", "high"):
        if k not in difference:
            raise KeyError(f"difference_verdict: {k!r} missing; pass what paired_difference returns")
    return verdict(paper_difference, difference["low"], difference["high"],
                   mean=difference.get("difference", difference.get("mean")), tolerance=tolerance,
                   repeats=difference.get("repeats"), null=null, max_width=max_width,
                   higher_is_better=higher_is_better)


def measured(summary: pd.DataFrame, row: str, metric: str, *, scale: float = 1.0) -> Dict[str, Any]:
    """One of our numbers from a :func:`repeated_evaluation` summary, as :func:`verdict_table` reads it.

    Returns ``{"mean", "low", "high", "repeats"}`` of ``summary.loc[row, metric]`` and its
    ``_low``/``_high`` columns, each times ``scale`` (100 to compare a 0-1 accuracy with a
    paper's %); a summary without interval columns gives NaN bounds (cannot tell).

    Taught in ``08_hao_realtime_fusion``.
    """
    if row not in summary.index:
        raise KeyError(f"measured: no row {row!r}; have {list(summary.index)}")
    if metric not in summary.columns:
        raise KeyError(f"measured: no column {metric!r}")

    def get(column):
        return float(summary.loc[row, column]) * scale if column in summary.columns else float("nan")

    repeats = summary.loc[row, "repeats"] if "repeats" in summary.columns else 1
    return {"mean": get(metric), "low": get(f"{metric}_low"), "high": get(f"{metric}_high"),
            "repeats": int(repeats)}


def _option(value, key):
    return value.get(key) if isinstance(value, Mapping) else value


def verdict_table(claims: Sequence[Any], values: Mapping[str, Mapping[str, Any]], *,
                  tolerance: Any = 0.0, null: Any = None, max_width: Any = None,
                  higher_is_better: Any = None) -> pd.DataFrame:
    """"What we reproduced": one row per claim, our value beside the paper's, and the :func:`verdict`.

    ``claims``: :class:`mer_lessons.papers.base.Claim` s (e.g. ``papers.hao.CLAIMS``; only
    their fields are read). ``values``: ``{claim.key: our number}``, each a dict with
    ``low``, ``high``, ``repeats`` and ``mean`` (as :func:`measured` returns) or
    ``difference`` (as :func:`paired_difference` returns), in the claim's unit. Options
    (``tolerance``, ``null``, ``max_width``, ``higher_is_better``): one value for every
    claim, or ``{claim.key: value}`` (a missing key: the default).

    Columns: ``claim`` (text), ``source``, ``unit``, ``paper``, ``ours`` (mean), ``low``,
    ``high``, ``repeats``, ``verdict``, ``why``. The verdict is computed, never typed in:
    a claim with ``testable=False`` gets :data:`NOT_TESTABLE` with its ``why_not``; one
    whose paper value is not a number (a contradiction, a ranking) gets
    :data:`NOT_A_NUMBER` with the claim's ``measure``; a testable claim missing from
    ``values`` gets :data:`NOT_MEASURED`; every other row gets :func:`verdict` (a value
    with ``difference`` goes through :func:`difference_verdict`, ``null`` 0 by default).
    Indexed by claim key, in the claims' order.

    Taught in ``08_hao_realtime_fusion``.
    """
    rows = {}
    for claim in claims:
        key = claim.key
        row: Dict[str, Any] = {"claim": claim.text, "source": claim.source, "unit": claim.unit,
                               "paper": claim.paper_value, "ours": np.nan, "low": np.nan, "high": np.nan,
                               "repeats": np.nan, "verdict": "", "why": ""}
        ours = values.get(key)
        if ours is not None:
            mean = ours.get("mean", ours.get("difference", np.nan))
            row.update({"ours": mean, "low": ours.get("low", np.nan), "high": ours.get("high", np.nan),
                        "repeats": ours.get("repeats", np.nan)})
        if not claim.testable:
            row["verdict"], row["why"] = NOT_TESTABLE, claim.why_not or ""
        elif not _finite(claim.paper_value) or isinstance(claim.paper_value, str):
            row["verdict"], row["why"] = NOT_A_NUMBER, claim.measure
        elif ours is None:
            row["verdict"], row["why"] = NOT_MEASURED, f"no value given for {key!r}"
        else:
            options = {"tolerance": _option(tolerance, key) or 0.0, "max_width": _option(max_width, key),
                       "higher_is_better": _option(higher_is_better, key)}
            nul = _option(null, key)
            if "difference" in ours:
                row["verdict"] = difference_verdict(ours, float(claim.paper_value), null=nul if nul is not None
                                                    else 0.0, **options)
            else:
                row["verdict"] = verdict(float(claim.paper_value), row["low"], row["high"], mean=row["ours"],
                                         repeats=ours.get("repeats"), null=nul, **options)
            n = row["repeats"]
            row["why"] = (f"{int(n)} repeat(s): no interval" if row["verdict"] == CANNOT_TELL and _finite(n)
                          and int(n) < 2 else "")
        rows[key] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "key"
    return out
