"""Train, score and time window-level emotion models the way the papers' tables do.

Every paper chapter ends in a table of models (Hao et al.'s Table 3), an ablation (their
Table 4) and, for Hao et al., online adaptation on a stream. The steps are the same each
time, so they live here, on top of :mod:`mer_lessons.windows` (the data),
:mod:`mer_lessons.train` (the loop) and :mod:`mer_lessons.metrics` (the scores):

* :func:`group_split` — train / validation / test positions with no listener on two sides.
* :func:`train_window_model`, :func:`predict_windows`, :func:`time_window_predictions` —
  fit a torch model on a :class:`~mer_lessons.windows.WindowSet`, predict, time one window.
* :func:`score` — one row of every classification metric.
* :data:`TABLE3_MODELS`, :func:`compare_models`, :func:`table3_beside_paper` — the
  Table-3-style comparison, our numbers beside Hao et al.'s.
* :func:`stream_scores`, :func:`ablation_study`, :func:`table4_beside_paper` — the
  Table-4 ablation measured on a played-back stream.
* :func:`prequential_run` — online adaptation: predict each trial of a stream, then learn
  from its label ("test, then train").

Taught in ``07_hao_realtime_fusion``; later chapters reuse it.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch

from mer_lessons import metrics, splits, train
from mer_lessons.windows import FeatureScaler, WindowSet

__all__ = [
    "group_split", "train_window_model", "predict_windows", "time_window_predictions", "score",
    "ModelSpec", "TABLE3_MODELS", "compare_models", "table3_beside_paper", "stream_scores",
    "ablation_study", "table4_beside_paper", "prequential_run", "rolling_accuracy",
]


# --------------------------------------------------------------------------- splits


def group_split(meta: pd.DataFrame, *, by: str = "subject", test_size: float = 0.25,
                val_size: float = 0.2, seed: int = 0) -> Dict[str, np.ndarray]:
    """``{"train", "val", "test"}`` positions of ``meta`` rows, whole groups on each side.

    About ``test_size`` of the groups (listeners) are tested, then about ``val_size`` of
    the rest validate (early stopping); at least one group each, so at least three groups
    are needed. With ``by="subject"`` this is the subject-independent protocol: the model
    never sees a test listener while training. Uses :func:`mer_lessons.splits.split_indices`.
    """
    groups = pd.unique(meta[by])
    if len(groups) < 3:
        raise ValueError(f"group_split: need >= 3 groups in {by!r} for train/val/test, got {len(groups)}")
    rest, test = splits.split_indices(meta, by=by, test_size=test_size, seed=seed)
    sub = meta.iloc[rest].reset_index(drop=True)
    train_pos, val_pos = splits.split_indices(sub, by=by, test_size=val_size, seed=seed + 1)
    return {"train": rest[train_pos], "val": rest[val_pos], "test": test}


# --------------------------------------------------------------------------- torch models


def _data(windows: WindowSet, modalities, stacked: bool):
    return windows.torch_dataset(modalities, stacked=stacked)


def train_window_model(model: torch.nn.Module, train_set: WindowSet, val_set: Optional[WindowSet] = None, *,
                       modalities: Optional[Sequence[str]] = None, stacked: bool = False,
                       epochs: int = 30, batch_size: int = 32, lr: float = 1e-3,
                       lr_decay: Optional[float] = 0.95, patience: Optional[int] = 5,
                       reconstruction: bool = True, seed: int = 0, device: Any = "auto",
                       progress: bool = False) -> train.History:
    """Fit ``model`` on labelled windows with Hao et al.'s settings (Sec. 3.3/4.1).

    Adam at ``lr = 1e-3`` (theirs), multiplied by ``lr_decay`` after every epoch ("with
    decay": the rate is not given; we 0.95), batches of 32 (theirs), cross-entropy, early
    stopping on the validation loss (``patience`` epochs; the best weights are put back).
    ``stacked=False`` feeds ``{modality: (B, steps, D)}`` (:class:`HaoRecognizer`);
    ``stacked=True`` one ``(B, steps, sum D)`` tensor (the sequence baselines). With
    ``reconstruction`` and a model that has ``reconstruction_loss`` (the autoencoders,
    Eq. 8) that loss is added to the cross-entropy of every batch: the encoders and the
    classifier learn jointly (the paper does not say whether it pre-trains them).
    """
    extra = None
    if reconstruction and hasattr(model, "reconstruction_loss") and not stacked:
        extra = lambda m, x: m.reconstruction_loss(x)  # noqa: E731
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    val = _data(val_set, modalities, stacked) if val_set is not None else None
    return train.fit(model, _data(train_set, modalities, stacked), val, optimizer=optimizer,
                     epochs=epochs, batch_size=batch_size, lr_decay=lr_decay,
                     patience=patience if val is not None else None, seed=seed, device=device,
                     progress=progress, extra_loss=extra)


def predict_windows(model: torch.nn.Module, windows: WindowSet, *, modalities: Optional[Sequence[str]] = None,
                    stacked: bool = False, device: Any = "auto") -> np.ndarray:
    """Class probabilities ``(N, C)`` for every window (softmax of the logits)."""
    return train.predict(model, _data(windows, modalities, stacked), device=device, output="proba")


def _one_window(windows: WindowSet, i: int, modalities, stacked: bool, device):
    ms = list(modalities) if modalities is not None else windows.modalities
    if stacked:
        return torch.from_numpy(windows.subset([i]).stacked(ms)).to(device)
    return {m: torch.from_numpy(np.ascontiguousarray(windows.features[m][i:i + 1])).to(device) for m in ms}


def time_window_predictions(model: torch.nn.Module, windows: WindowSet, *, n: int = 100, warmup: int = 5,
                            modalities: Optional[Sequence[str]] = None, stacked: bool = False,
                            threads: Optional[int] = 1, device: Any = "cpu") -> np.ndarray:
    """Seconds for each of ``n`` single-window predictions (model only; features excluded).

    One request is one window, as in a stream. ``threads`` limits torch's intra-op
    threads during the timing (one request, one core: the same rule as
    :func:`mer_lessons.models.baselines.time_single_predictions`). On CUDA every call is
    synchronised before the clock stops.
    """
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


def score(y_true, y_pred, classes: Sequence, name: Optional[str] = None) -> pd.DataFrame:
    """Every metric of :func:`mer_lessons.metrics.classification_report_table` in one row.

    ``y_true``/``y_pred``: class indices (positions in ``classes``) or class names.
    """
    classes = [str(c) for c in classes]

    def names(v):
        v = np.asarray(v)
        return np.array([classes[int(i)] for i in v]) if v.dtype.kind in "iu" else v.astype(str)

    return metrics.classification_report_table(names(y_true), names(y_pred), labels=classes, name=name)


# --------------------------------------------------------------------------- Table 3


@dataclass
class ModelSpec:
    """One row of a comparison: how to build a model and what it reads.

    ``kind``: ``"fusion"`` (``build(dims: dict, n_classes)`` -> a model taking the dict of
    modalities), ``"sequence"`` (``build(in_dim, n_classes)`` -> a model taking one
    ``(B, steps, D)`` tensor) or ``"sklearn"`` (``build(seed)`` -> an estimator fitted on
    :meth:`WindowSet.summary` rows). ``inputs``: ``"all"`` or ``"audio"`` (falls back to
    the first modality when there is no audio). ``paper_row``: the row of Hao et al.'s
    Table 3 it stands for.
    """

    name: str
    paper_row: str
    kind: str
    build: Callable
    inputs: str = "all"


def _hao_full(dims, n_classes):
    from mer_lessons.models.hao import HaoRecognizer, compact_code_dims
    return HaoRecognizer(dims, n_classes, code_dim=compact_code_dims(dims))


def _sequence(cls_name: str):
    def build(in_dim, n_classes):
        from mer_lessons.models import sequence
        return getattr(sequence, cls_name)(in_dim, n_classes)
    return build


def _sklearn(key: str):
    def build(seed):
        from mer_lessons.models.baselines import make_baseline
        return make_baseline(key, seed=seed)
    return build


#: The models of our Table 3 (Hao et al.'s rows we can build; the paper gives no
#: architecture for any baseline, see :mod:`mer_lessons.models.sequence`). ST-GCN, the
#: capsule network, the deep belief network and the hybrid CNN-GRU are not built.
TABLE3_MODELS = [
    ModelSpec("Bi-LSTM + fusion (ours, Hao et al.)", "Our model (Bi-LSTM + Feature fusion)", "fusion", _hao_full),
    ModelSpec("CNN-RNN", "CNN-RNN (Baseline)", "sequence", _sequence("CNNRNNClassifier")),
    ModelSpec("MLP", "MLP-EmotionNet", "sklearn", _sklearn("mlp")),
    ModelSpec("SVM (RBF)", "SVM + Feature extraction", "sklearn", _sklearn("svm")),
    ModelSpec("GRU on log-mel", "GRU + Spectrogram features", "sequence", _sequence("GRUClassifier"), "audio"),
    ModelSpec("CNN", "EmotionNet (CNN)", "sequence", _sequence("CNNClassifier")),
    ModelSpec("Bi-GRU", "Bi-GRU", "sequence", _sequence("BiGRUClassifier")),
    ModelSpec("LSTM + attention", "LSTM + Attention", "sequence", _sequence("LSTMAttentionClassifier")),
    ModelSpec("Random forest", "Random forest classifier", "sklearn", _sklearn("random_forest")),
    ModelSpec("k-NN", "K-Nearest neighbors", "sklearn", _sklearn("knn")),
]


def _inputs(spec: ModelSpec, windows: WindowSet) -> list:
    if spec.inputs == "audio":
        return ["audio"] if "audio" in windows.features else windows.modalities[:1]
    return windows.modalities


def compare_models(train_set: WindowSet, val_set: WindowSet, test_set: WindowSet, *,
                   specs: Sequence[ModelSpec] = tuple(TABLE3_MODELS), epochs: int = 30, seed: int = 0,
                   device: Any = "auto", n_timing: int = 100, progress: bool = True):
    """Train every model of ``specs`` on ``train_set`` and score it on ``test_set``.

    Torch models: :func:`train_window_model` (validation set for early stopping), built
    after ``set_seed(seed)`` so their initial weights are reproducible; scikit-learn
    models: fitted on train + validation summary rows. Latency:
    :func:`time_window_predictions` / ``time_single_predictions`` (one window, one
    thread, model only, CPU), ``n_timing`` calls.

    A model whose spec asks for ``"audio"`` gets the first modality when the windows have
    no audio (DEAP, AMIGOS); its name then says so: ``"GRU on log-mel [no audio: eeg]"``.

    Returns ``(results, models)``: a DataFrame indexed by model name (columns ``paper_row``,
    ``inputs``, every :func:`score` metric, ``latency_ms``, ``parameters`` (torch only),
    ``epochs``, ``train_s``) and ``{name: trained model}``.
    """
    from tqdm.auto import tqdm

    from mer_lessons.environment import set_seed
    from mer_lessons.models.baselines import time_single_predictions

    classes = train_set.classes
    rows, models = [], {}
    for spec in tqdm(specs, desc="models", disable=not progress):
        ms = _inputs(spec, train_set)
        t0 = time.perf_counter()
        if spec.kind == "sklearn":
            both = WindowSet({m: np.concatenate([train_set.features[m], val_set.features[m]]) for m in ms},
                             pd.concat([train_set.meta, val_set.meta], ignore_index=True),
                             labels=np.concatenate([train_set.labels, val_set.labels]), classes=classes)
            model = spec.build(seed).fit(both.summary(ms), both.y)
            train_s = time.perf_counter() - t0
            pred = model.predict(test_set.summary(ms))
            latency = time_single_predictions(model, test_set.summary(ms)[:n_timing], n_timing)
            extra = {"parameters": np.nan, "epochs": np.nan}
        else:
            set_seed(seed)
            stacked = spec.kind == "sequence"
            if stacked:
                model = spec.build(int(sum(train_set.dims[m] for m in ms)), len(classes))
            else:
                model = spec.build({m: train_set.dims[m] for m in ms}, len(classes))
            history = train_window_model(model, train_set, val_set, modalities=ms, stacked=stacked,
                                         epochs=epochs, seed=seed, device=device)
            train_s = time.perf_counter() - t0
            pred = predict_windows(model, test_set, modalities=ms, stacked=stacked, device=device).argmax(1)
            model = model.cpu()
            latency = time_window_predictions(model, test_set, n=n_timing, modalities=ms, stacked=stacked)
            extra = {"parameters": int(sum(p.numel() for p in model.parameters())),
                     "epochs": len(history.train_loss)}
        name = spec.name if spec.inputs != "audio" or ms == ["audio"] else f"{spec.name} [no audio: {'+'.join(ms)}]"
        row = score(test_set.y, pred, classes, name=name)
        row.insert(0, "inputs", "+".join(ms))
        row.insert(0, "paper_row", spec.paper_row)
        row["latency_ms"] = float(np.mean(latency) * 1000)
        for k, v in extra.items():
            row[k] = v
        row["train_s"] = train_s
        rows.append(row)
        models[name] = model
    return pd.concat(rows), models


def table3_beside_paper(results: pd.DataFrame) -> pd.DataFrame:
    """Our :func:`compare_models` results in Table 3's columns, Hao et al.'s numbers beside.

    One row per row of the paper's Table 3 (its order); rows we did not build have empty
    "ours" cells. Our F1/precision/recall are macro averages (the paper does not say);
    latency: ours per window on one CPU core, model only; theirs per prediction on a
    GTX 1080 Ti, unstated what it includes. Our accuracies are on the teaching dataset
    (or whatever ``results`` came from), theirs on DEAP: read, do not subtract.
    """
    from mer_lessons.models.baselines import HAO_TABLE3

    ours = results.set_index("paper_row")
    out = []
    for _, paper in HAO_TABLE3.iterrows():
        key = paper["Model"]
        have = key in ours.index
        r = ours.loc[key] if have else None
        out.append({
            "Hao et al. model": key,
            "ours": results.index[results["paper_row"] == key][0] if have else "not built",
            "Accuracy % (ours)": round(100 * r["accuracy"], 1) if have else np.nan,
            "Accuracy % (paper)": paper["Accuracy (%)"],
            "F1 (ours)": round(r["macro_f1"], 2) if have else np.nan,
            "F1 (paper)": paper["F1 score"],
            "Precision (ours)": round(r["macro_precision"], 2) if have else np.nan,
            "Precision (paper)": paper["Precision"],
            "Recall (ours)": round(r["macro_recall"], 2) if have else np.nan,
            "Recall (paper)": paper["Recall"],
            "Latency ms (ours, CPU)": round(r["latency_ms"], 2) if have else np.nan,
            "Latency ms (paper, GPU)": paper["Latency (ms)"],
        })
    return pd.DataFrame(out).set_index("Hao et al. model")


# --------------------------------------------------------------------------- Table 4 on a stream


def stream_scores(model: torch.nn.Module, ds, trials: Sequence[int], *, classes: Sequence[str],
                  stats_by_subject: Mapping[str, dict], sampler=None, label_key: str = "quadrant",
                  labels: Optional[Sequence] = None, window_s: float = 1.0, hop_s: float = 0.5,
                  steps: int = 8, warmup: int = 3) -> tuple:
    """Play ``trials`` of ``ds`` as a stream through a :class:`~mer_lessons.streaming.StreamingPipeline`.

    Trials are grouped by listener (``ds.meta["subject"]``); each listener's part is played
    with the model wrapped in a :class:`~mer_lessons.windows.FeatureScaler` holding that
    listener's feature statistics (``stats_by_subject[subject]``: the calibration step of
    :meth:`WindowSet.standardize`). ``labels``: one label per trial of ``ds`` (default the
    ``label_key`` column). Returns ``(windows, summary)``: every window's row (see
    :class:`~mer_lessons.streaming.StreamReport`) and a dict with the scores of the
    per-window labels (every :func:`score` column), ``share_saved`` and
    ``inference_ms`` -- the mean compute per window of stream (the sampler's decision on
    every window, plus window features + model on the processed ones).
    """
    from mer_lessons.streaming import RATE_KEYS, StreamingPipeline, stream_from_dataset
    from mer_lessons.windows import item_modalities

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
        pipe = StreamingPipeline(FeatureScaler(model, stats_by_subject[subject]), window_s=window_s,
                                 hop_s=hop_s, sampler=sampler, label_names=list(classes), steps=steps,
                                 modalities=names, rates=rates)
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


def ablation_study(models: Mapping[str, torch.nn.Module], ds, trials: Sequence[int], *, classes: Sequence[str],
                   stats_by_subject: Mapping[str, dict], sampler_factory: Callable, label_key: str = "quadrant",
                   progress: bool = True, **stream_options) -> tuple:
    """Hao et al.'s Table 4, measured: every configuration of
    :data:`mer_lessons.models.hao.ABLATIONS` played on the same stream.

    ``models``: ``{(use_bilstm, use_fusion): trained HaoRecognizer}`` (the sampling switch
    needs no training: it decides which windows reach the model). ``sampler_factory()``
    makes a fresh :class:`~mer_lessons.models.hao.DynamicSampler`; configurations without
    adaptive sampling process every window. Returns ``(table, windows)``: one row per
    configuration (every :func:`stream_scores` summary entry) and ``{configuration:
    per-window rows}``.
    """
    from tqdm.auto import tqdm

    from mer_lessons.models.hao import ABLATIONS

    rows, per_window = [], {}
    for name, (bilstm, fusion, adaptive) in tqdm(ABLATIONS.items(), desc="ablations", disable=not progress):
        model = models[(bilstm, fusion)]
        sampler = sampler_factory() if adaptive else None
        w, summary = stream_scores(model, ds, trials, classes=classes, stats_by_subject=stats_by_subject,
                                   sampler=sampler, label_key=label_key, **stream_options)
        summary.update({"Bi-LSTM": bilstm, "fusion": fusion, "adaptive sampling": adaptive})
        rows.append(pd.Series(summary, name=name))
        per_window[name] = w
    return pd.DataFrame(rows), per_window


def table4_beside_paper(table: pd.DataFrame) -> pd.DataFrame:
    """Our :func:`ablation_study` table in Table 4's columns, Hao et al.'s beside.

    F1 = weighted F1 and recall = macro recall (the paper's words); precision: macro (not
    said); G-mean in %; inference time: ours mean ms per window of stream on this CPU,
    theirs ms on a GTX 1080 Ti (what it includes is not said).
    """
    from mer_lessons.models.hao import HAO_TABLE4

    paper = HAO_TABLE4.set_index("Configuration")
    out = pd.DataFrame(index=paper.index)
    pairs = [("F1 score", "weighted_f1", 2, 1), ("G-Mean accuracy", "g_mean", 1, 100),
             ("Recall", "macro_recall", 2, 1), ("Precision", "macro_precision", 2, 1),
             ("Inference time", "inference_ms", 2, 1)]
    for column, ours, digits, scale in pairs:
        out[f"{column} (ours)"] = [round(float(table.loc[c, ours]) * scale, digits) if c in table.index else np.nan
                                   for c in paper.index]
        out[f"{column} (paper)"] = paper[column]
    out["windows saved (ours)"] = [round(float(table.loc[c, "share_saved"]), 2) if c in table.index else np.nan
                                   for c in paper.index]
    return out


# --------------------------------------------------------------------------- online adaptation


def prequential_run(model: torch.nn.Module, stream: WindowSet, *, mode: str = "frozen",
                    adapter_options: Optional[dict] = None, group: str = "trial",
                    stacked: bool = False) -> pd.DataFrame:
    """Online learning "test, then train" over a stream of windows (Hao et al., Sec. 3.3).

    ``stream``: labelled, standardised windows in playing order. They arrive in groups
    (``group``: every window of one trial): the model labels the group's windows, then the
    group's true labels arrive (the listener's rating at the end of the excerpt) and, by
    ``mode``:

    * ``"frozen"``: nothing is learnt (the pre-trained model throughout);
    * ``"incremental"``: one small-batch Adam step on the group
      (:meth:`mer_lessons.models.hao.OnlineAdapter.update`);
    * ``"incremental+reset"``: the same, and the group's predicted distribution is passed to
      :meth:`~mer_lessons.models.hao.OnlineAdapter.observe`, which reloads the pre-trained
      weights and adapts quickly when it detects a large emotion change.

    ``model`` is deep-copied (the caller's stays as it is). Returns one row per window:
    ``position``, the ``stream.meta`` columns, ``true``, ``pred``, ``correct``, ``reset``
    (a reset happened after this window's group).
    """
    from mer_lessons.models.hao import OnlineAdapter

    if mode not in ("frozen", "incremental", "incremental+reset"):
        raise ValueError(f"mode must be 'frozen', 'incremental' or 'incremental+reset', got {mode!r}")
    model = copy.deepcopy(model).cpu()
    options = {"batch_size": 8}
    options.update(adapter_options or {})
    adapter = OnlineAdapter(model, **options) if mode != "frozen" else None
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
            info = adapter.observe(probs)
            resets[b - 1] = info["reset"]
        adapter.update(x, y)
    out = stream.meta.copy()
    out.insert(0, "position", np.arange(len(stream)))
    out["true"] = np.asarray(stream.classes, dtype=object)[stream.y]
    out["pred"] = np.asarray(stream.classes, dtype=object)[preds]
    out["correct"] = preds == stream.y
    out["reset"] = resets
    return out


def rolling_accuracy(run: pd.DataFrame, window: int = 100) -> pd.Series:
    """Accuracy over the last ``window`` windows at every position of a :func:`prequential_run`."""
    return run["correct"].astype(float).rolling(window, min_periods=max(1, window // 4)).mean()
