"""Every paper's model in real time: one stream, one label per window, and how many listeners.

Chapter 08 runs Hao et al.'s model through :class:`mer_lessons.streaming.StreamingPipeline`.
This module does the same for the five papers of the course (chapters 08-12), each with its
teaching-size model (the sizes of :func:`mer_lessons.profiling.paper_models`, random weights
unless a ``state_dict`` is given), the modalities it reads from the stream of the mini
teaching dataset, and a *featurizer* that turns one raw window ``{modality: samples}`` into
the model's inputs with the **same feature functions as the chapter**:

* ``"hao"``: :func:`mer_lessons.windows.window_features` (8 steps per 1-s window of audio,
  EEG, GSR, ECG and face frames) -> :class:`~mer_lessons.models.hao.HaoRecognizer`.
* ``"zhao"``: the wideband (3 ms) and narrowband (25 ms) spectrograms of
  :func:`mer_lessons.dsp.zhao_clip_inputs` (:func:`~mer_lessons.dsp.wide_and_narrowband_spectrograms`,
  dB re the window's peak, 0-4 kHz pooled into 64 bins, 10 ms hop pooled into 24 frames) of
  a 1-s audio window -> :class:`~mer_lessons.models.zhao.MultiSpecDNN`. The GTF/MF_RP pair
  that ``zhao_clip_inputs`` also returns is not computed: the spectrogram model does not read it.
* ``"wang"``: :func:`mer_lessons.dsp.clip_log_mel` (32 mel bands, 32 pooled frames) of a
  1-s audio window -> the fused-logits model of :func:`mer_lessons.papers.wang.table_models`.
  **The lyrics do not stream**: a song's text is known before it plays, so its MiniLM token
  states (:func:`mer_lessons.text.pretrained_token_states`, 16 tokens) are computed once
  per song and held constant over the stream (the adapter adds them to every window).
* ``"kirar"``: :func:`mer_lessons.dsp.kirar_audio_frames` (40 log-mel bands in 20 steps) and
  per-step face features (:func:`mer_lessons.audiovisual.face_step_images` then
  :func:`~mer_lessons.audiovisual.face_features` with a mini-Xception face network,
  128 values) of a 1-s window -> the BiLSTM with self-attention of
  :func:`mer_lessons.models.kirar.build`. **Feature selection does not run in a stream**:
  the zebra search of chapter 11 is done offline; here a *fixed* subset of 40 of the
  168 concatenated features (seeded, or ``selected=`` from a selection run) is kept.
  The chapter's autoencoder codes are not used (the selection reads the 40 bands).
* ``"liu"``: the clip-level audio groups of chapter 12 on a 4-s window (a teaching clip):
  :func:`mer_lessons.dsp.liu_mfcc` (13), :func:`mer_lessons.functionals.audio_functionals`
  IS09 (384) and :func:`mer_lessons.audiovisual.soundnet_vectors` (SoundNet at width 0.25,
  conv5: 64), plus face features of 8 frame steps (as ``"kirar"``) -> LiuNet ``"proposed"``
  (:func:`mer_lessons.models.liu.build`).

The feature networks (face network, SoundNet) have random weights and are part of the
featurizer, not of the ``parameters`` reported. No standardisation is applied (the
chapters standardise with training-set statistics; random weights have none).

A featurizer returns one float32 array per *stream* modality (the only keys the pipeline
passes on); :class:`StreamModel` wraps the paper's model so that the pipeline can call it:
it splits or joins those arrays into the model's own inputs (Zhao's two spectrograms, Liu's
three audio groups, Kirar's selected subset, Wang's constant token states) and has a
``head.out_features`` (the class count) for the pipeline's label names.

Measurements (all on the CPU, numbers depend on the machine):

* :func:`window_latency`: per-window latency (window read from the ring buffers ->
  features -> model -> label) through :class:`~mer_lessons.streaming.StreamingPipeline` on
  **one** CPU thread.
* :func:`listeners_served`: ``B`` listeners, each with a new window every ``hop_s``; each
  hop the ``B`` windows are featurized and labelled in **one batched forward pass**. ``B``
  is served in real time when the 99th percentile of the cycle time is at most ``hop_s``;
  ``B`` doubles from 1 and stops at the first ``B`` not served: the answer is measured,
  never extrapolated.
* :func:`realtime_table`: both, one row per paper.

Taught in ``14_reproducibility_report``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lessons.papers import PAPERS as _paper_modules
from mer_lessons.profiling import TEACHING_SIZES
from mer_lessons.validation import (EmptyInputError, WrongTypeError, as_choice, as_float, as_int, message)

__all__ = ["PAPER_KEYS", "StreamModel", "StreamSetup", "stream_setup", "window_latency", "listeners_served",
           "realtime_table"]

#: The paper keys of :data:`mer_lessons.papers.PAPERS`, in the course's order.
PAPER_KEYS = tuple(_paper_modules)

_NAMES = {"hao": "Hao et al.: HaoRecognizer", "zhao": "Zhao et al.: MultiSpec-DNN",
          "wang": "Wang: cross-modal Transformer", "kirar": "Kirar et al.: BiLSTM + self-attention",
          "liu": "Liu et al.: LiuNet (proposed)"}
_FACE_SIZE = 64
_WANG_TOKENS = 16
_KIRAR_STEPS, _KIRAR_SELECTED = 20, 40
_LIU_FRAMES = 8


# ---------------------------------------------------------------------------------------
# the adapter
# ---------------------------------------------------------------------------------------

class _ClassCount(nn.Module):
    """A parameterless stand-in for a classifier head: only ``out_features``."""

    def __init__(self, n_classes: int):
        super().__init__()
        self.out_features = int(n_classes)


class StreamModel(nn.Module):
    """A paper's model behind the interface :class:`~mer_lessons.streaming.StreamingPipeline` calls.

    ``forward(batch)`` takes ``{stream modality: tensor (B, ...)}`` (the featurizer's
    arrays with a batch axis), builds the model's own inputs with ``assemble(batch)`` and
    returns the model's output ``(B, C)`` (logits, or LiuNet's log-probabilities: the
    softmax of either gives the class probabilities). ``model`` is the paper's module,
    ``head.out_features`` the class count ``C``; ``buffers`` (e.g. Wang's token states) are
    registered so that ``.to(device)`` moves them.

    Taught in ``14_reproducibility_report``.
    """

    def __init__(self, model: nn.Module, n_classes: int, modalities: Sequence[str],
                 assemble: Optional[Callable[["StreamModel", Mapping[str, torch.Tensor]], Any]] = None,
                 buffers: Optional[Mapping[str, torch.Tensor]] = None):
        super().__init__()
        self.model = model
        self.head = _ClassCount(n_classes)
        self.modalities = list(modalities)
        self._assemble = assemble
        for name, value in (buffers or {}).items():
            self.register_buffer(name, value)

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        inputs = dict(batch) if self._assemble is None else self._assemble(self, batch)
        return self.model(inputs)


# ---------------------------------------------------------------------------------------
# featurizers (one raw window -> {stream modality: float32 array})
# ---------------------------------------------------------------------------------------

def _audio(window: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.asarray(window["audio"], dtype=np.float64).reshape(-1)


def _zhao_features(window, rates, *, steps=None, n_bins: int = 64, n_frames: int = 24) -> Dict[str, np.ndarray]:
    """Zhao: wideband + narrowband spectrograms stacked, ``{"audio": (2, n_bins, n_frames)}``.

    The spectrogram part of :func:`mer_lessons.dsp.zhao_clip_inputs` (3 / 25 ms Hann
    windows, 10 ms hop, dB re the window's peak floored at -80 dB, 0-4 kHz averaged into
    ``n_bins`` groups of bins, frames averaged into ``n_frames`` groups).
    """
    from mer_lessons import dsp

    y, sr = _audio(window), float(rates["audio"])
    out = []
    for spec in dsp.wide_and_narrowband_spectrograms(y, sr, wide_ms=3.0, narrow_ms=25.0, hop_ms=10.0):
        keep = spec.freqs <= 4000.0
        S_db = dsp.power_to_db(spec.S[keep], ref=np.max, top_db=80.0)
        bins = dsp._pool_frames(S_db.T, n_bins).T
        out.append(dsp._pool_frames(bins, n_frames))
    return {"audio": np.stack(out).astype(np.float32)}


def _wang_features(window, rates, *, steps=None) -> Dict[str, np.ndarray]:
    """Wang: ``{"audio": (32 frames, 32 mel bands)}`` from :func:`mer_lessons.dsp.clip_log_mel`."""
    from mer_lessons import dsp

    mel = dsp.clip_log_mel(_audio(window), float(rates["audio"]), n_mels=32, n_frames=32)["mel"]
    return {"audio": np.ascontiguousarray(mel.T, dtype=np.float32)}


class _FaceSteps:
    """Face features of ``steps`` frame steps of a window: ``(steps, D)`` float32.

    :func:`mer_lessons.audiovisual.face_step_images` (per-step mean images, face crop
    from the Haar cascade on the window's mean image, 64 x 64) then
    :func:`mer_lessons.audiovisual.face_features`. A window with fewer frames than steps
    repeats frames (step ``s`` reads frame ``floor(s F / steps)``, as
    :func:`mer_lessons.vision.segment_summaries` does); each distinct frame goes through
    the network once. A window without frames gives zeros.
    """

    def __init__(self, network: nn.Module, steps: int):
        self.network = network.eval()
        self.steps = int(steps)
        self.dim = int(self.network.embedding(torch.zeros(1, 1, _FACE_SIZE, _FACE_SIZE)).shape[-1]) \
            if hasattr(self.network, "embedding") else int(self.network.out_channels)

    def __call__(self, frames) -> np.ndarray:
        from mer_lessons import audiovisual

        frames = np.asarray(frames)
        n = len(frames) if frames.ndim == 3 else 0
        if n == 0:
            return np.zeros((self.steps, self.dim), np.float32)
        k = min(self.steps, n)
        images, _ = audiovisual.face_step_images([{"face": frames}], steps=k, size=_FACE_SIZE)
        feats = audiovisual.face_features(images, self.network)[0]
        if k < self.steps:
            feats = feats[(np.arange(self.steps) * n) // self.steps]
        return np.ascontiguousarray(feats, dtype=np.float32)


class _KirarFeatures:
    """Kirar: ``{"audio": (20, 40) log-mel steps, "face": (20, D) face features}``."""

    def __init__(self, face: _FaceSteps):
        self.face = face

    def __call__(self, window, rates, *, steps=None) -> Dict[str, np.ndarray]:
        from mer_lessons import dsp

        audio = dsp.kirar_audio_frames(_audio(window), float(rates["audio"]), steps=_KIRAR_STEPS)
        return {"audio": np.ascontiguousarray(audio.T, dtype=np.float32), "face": self.face(window["face"])}


class _LiuFeatures:
    """Liu: ``{"audio": (1, 13 + F + 64) MFCC | functionals | SoundNet, "face": (8, D)}``."""

    def __init__(self, soundnet: nn.Module, face: _FaceSteps):
        self.soundnet = soundnet.eval()
        self.face = face

    def groups(self, window, rates) -> Dict[str, np.ndarray]:
        from mer_lessons import audiovisual, dsp, functionals

        y, sr = _audio(window), float(rates["audio"])
        return {"mfcc": dsp.liu_mfcc(y, sr),
                "functionals": functionals.audio_functionals(y, sr, "IS09")[0].to_numpy(),
                "soundnet": audiovisual.soundnet_vectors(self.soundnet, y, sr)}

    def __call__(self, window, rates, *, steps=None) -> Dict[str, np.ndarray]:
        audio = np.concatenate([np.asarray(v, np.float32).reshape(-1) for v in self.groups(window, rates).values()])
        return {"audio": audio[None].astype(np.float32), "face": self.face(window["face"])}


# ---------------------------------------------------------------------------------------
# setups
# ---------------------------------------------------------------------------------------

@dataclass
class StreamSetup:
    """One paper's model ready for a stream (see :func:`stream_setup`).

    ``model``: a :class:`StreamModel`; ``modalities``: the stream modalities it reads;
    ``featurizer(window, rates, *, steps)`` -> ``{modality: float32 array}`` of shapes
    ``input_shapes``; ``window_s``/``hop_s``/``steps``: the pipeline's settings;
    ``label_names``: the classes; ``notes``: what does not come from the live stream.

    Taught in ``14_reproducibility_report``.
    """

    paper: str
    name: str
    model: StreamModel
    modalities: tuple
    featurizer: Callable[..., Dict[str, np.ndarray]]
    input_shapes: Dict[str, tuple]
    label_names: tuple
    window_s: float = 1.0
    hop_s: float = 0.5
    steps: int = 8
    notes: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> int:
        """Parameters of the paper's model (feature networks not counted)."""
        return int(sum(p.numel() for p in self.model.model.parameters()))

    def rates(self, item: Mapping[str, Any]) -> Dict[str, float]:
        """``{modality: rate}`` of a dataset item (``sr``, ``eeg_sr``, ..., ``face_fps``)."""
        from mer_lessons.windows import RATE_KEYS

        return {m: float(item[RATE_KEYS[m]]) for m in self.modalities}

    def pipeline(self, rates: Mapping[str, float], **options) -> Any:
        """A :class:`~mer_lessons.streaming.StreamingPipeline` for this setup (``options`` go to it)."""
        from mer_lessons.streaming import StreamingPipeline

        kw = dict(window_s=self.window_s, hop_s=self.hop_s, steps=self.steps, rates=dict(rates),
                  modalities=list(self.modalities), featurizer=self.featurizer, label_names=list(self.label_names))
        kw.update(options)
        return StreamingPipeline(self.model, **kw)


def _paper(paper: Any, where: str) -> str:
    if not isinstance(paper, str):
        raise WrongTypeError(message("paper", f"one of {list(PAPER_KEYS)}", paper, where=where))
    return as_choice(paper.strip().lower(), "paper", PAPER_KEYS, where=where)


def _token_states(lyrics: str, n_tokens: int) -> tuple:
    """MiniLM token states ``(1, T, 384)`` and mask ``(1, T, 1)`` of one song's lyrics."""
    from mer_lessons import text

    try:
        states, mask = text.pretrained_token_states([lyrics], max_length=n_tokens)
    except ImportError as err:
        warnings.warn(f"stream_setup('wang'): {err}; the token states are zeros (text carries no information)",
                      stacklevel=3)
        return torch.zeros(1, n_tokens, 384), torch.ones(1, n_tokens, 1)
    mask = np.asarray(mask, np.float32)[..., None]
    states = np.asarray(states, np.float32) * mask
    return torch.from_numpy(states), torch.from_numpy(mask)


def stream_setup(paper: str, *, state_dict: Optional[Mapping[str, Any]] = None, seed: int = 0,
                 lyrics: str = "", selected: Optional[Sequence[int]] = None) -> StreamSetup:
    """The teaching-size model of ``paper`` ready for :class:`~mer_lessons.streaming.StreamingPipeline`.

    ``paper``: one of :data:`PAPER_KEYS` (case and spaces ignored; anything else raises
    :class:`~mer_lessons.validation.UnknownOptionError`, a non-string
    :class:`~mer_lessons.validation.WrongTypeError`). Models and feature networks are
    seeded by ``seed``; ``state_dict`` is loaded into the paper's model (``strict``, so a
    checkpoint of another size raises torch's ``RuntimeError``). ``lyrics`` (Wang only): the
    song's text, encoded once (the lyrics do not stream; without the MiniLM package the
    states are zeros, with a warning). ``selected`` (Kirar only): the 40 feature indices
    kept by an offline selection (default: 40 of the 168 drawn with ``seed``); other
    lengths or indices out of range raise :class:`~mer_lessons.validation.OutOfRangeError`.
    See the module docstring for each paper's features.

    Taught in ``14_reproducibility_report``.
    """
    where = "stream_setup"
    paper = _paper(paper, where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    if not isinstance(lyrics, str):
        raise WrongTypeError(message("lyrics", "a string (the song's text)", lyrics, where=where))
    torch.manual_seed(seed)
    if paper == "hao":
        from mer_lessons.models.hao import HaoRecognizer, compact_code_dims
        from mer_lessons.streaming import QUADRANTS
        from mer_lessons.windows import FEATURE_DIMS, window_features

        dims = dict(FEATURE_DIMS)
        model = HaoRecognizer(dims, 4, code_dim=compact_code_dims(dims), **TEACHING_SIZES["hao"])
        wrapped = StreamModel(model, 4, list(dims))
        setup = StreamSetup(paper, _NAMES[paper], wrapped, tuple(dims), window_features,
                            {m: (8, d) for m, d in dims.items()}, tuple(QUADRANTS), steps=8,
                            notes="every input streams")
    elif paper == "zhao":
        from mer_lessons.models.zhao import MultiSpecDNN
        from mer_lessons.streaming import QUADRANTS

        model = MultiSpecDNN((64, 64), 4, **TEACHING_SIZES["zhao"])

        def assemble(self, batch):
            x = batch["audio"]
            return {"wideband": x[:, 0:1], "narrowband": x[:, 1:2]}

        wrapped = StreamModel(model, 4, ["audio"], assemble)
        setup = StreamSetup(paper, _NAMES[paper], wrapped, ("audio",), _zhao_features, {"audio": (2, 64, 24)},
                            tuple(QUADRANTS), notes="every input streams (no chord vectors: no MIDI in a stream)")
    elif paper == "wang":
        from mer_lessons.models.wang import POLARITIES
        from mer_lessons.papers import wang as wang_paper

        spec = next(s for s in wang_paper.table_models() if s.name == wang_paper.FUSED_LOGITS)
        model = spec.build({"text": 384}, len(POLARITIES))
        states, mask = _token_states(lyrics, _WANG_TOKENS)

        def assemble(self, batch):
            mel = batch["audio"]
            n = mel.shape[0]
            return {"text": self.text_states.expand(n, -1, -1), "text_mask": self.text_mask.expand(n, -1, -1),
                    "mel": mel}

        wrapped = StreamModel(model, len(POLARITIES), ["audio"], assemble,
                              buffers={"text_states": states, "text_mask": mask})
        setup = StreamSetup(paper, _NAMES[paper], wrapped, ("audio",), _wang_features, {"audio": (32, 32)},
                            tuple(POLARITIES), notes="lyrics: the song's token states, precomputed, "
                                                     "constant over the stream")
    elif paper == "kirar":
        from mer_lessons.models import kirar
        from mer_lessons.models.mini_xception import MiniXception

        face = _FaceSteps(MiniXception(), _KIRAR_STEPS)
        total = 40 + face.dim
        if selected is None:
            keep = np.sort(np.random.default_rng(seed).choice(total, _KIRAR_SELECTED, replace=False))
        else:
            keep = np.asarray(selected).reshape(-1)
            if keep.size != _KIRAR_SELECTED or keep.dtype.kind not in "iu" or keep.min() < 0 or keep.max() >= total:
                from mer_lessons.validation import OutOfRangeError

                raise OutOfRangeError(message("selected", f"{_KIRAR_SELECTED} integer indices in 0..{total - 1}",
                                              selected, where=where))
        torch.manual_seed(seed)
        model = kirar.build("Bi-Directional LSTM with Self-Attention Mechanism", _KIRAR_SELECTED, 3)

        def assemble(self, batch):
            return torch.cat([batch["audio"], batch["face"]], dim=-1).index_select(-1, self.selected)

        wrapped = StreamModel(model, 3, ["audio", "face"], assemble,
                              buffers={"selected": torch.as_tensor(keep, dtype=torch.long)})
        setup = StreamSetup(paper, _NAMES[paper], wrapped, ("audio", "face"), _KirarFeatures(face),
                            {"audio": (_KIRAR_STEPS, 40), "face": (_KIRAR_STEPS, face.dim)},
                            ("happy", "sad", "surprise"),
                            notes=f"feature selection: a fixed subset of {_KIRAR_SELECTED} of {total} features")
    else:  # liu
        from mer_lessons.models import liu
        from mer_lessons.models.mini_xception import MiniXception
        from mer_lessons.papers import liu as liu_paper

        face = _FaceSteps(MiniXception(), _LIU_FRAMES)
        torch.manual_seed(seed)
        featurizer = _LiuFeatures(liu.SoundNet(width=0.25), face)
        probe = {"audio": np.random.default_rng(seed).normal(size=16000 * 4) * 1e-2}
        groups = {k: int(np.size(v)) for k, v in featurizer.groups(probe, {"audio": 16000.0}).items()}
        dims = dict(groups, video=face.dim)
        classes = tuple(liu_paper.GRADES)
        torch.manual_seed(seed)
        model = liu.build("proposed", dims, n_classes=len(classes), **TEACHING_SIZES["liu"])
        bounds = np.cumsum([0] + list(groups.values()))

        def assemble(self, batch):
            a = batch["audio"]
            out = {g: a[..., int(bounds[i]):int(bounds[i + 1])] for i, g in enumerate(groups)}
            out["video"] = batch["face"]
            return out

        wrapped = StreamModel(model, len(classes), ["audio", "face"], assemble)
        setup = StreamSetup(paper, _NAMES[paper], wrapped, ("audio", "face"), featurizer,
                            {"audio": (1, int(bounds[-1])), "face": (_LIU_FRAMES, face.dim)}, classes,
                            window_s=4.0, notes="clip-level features on a 4-s window (a teaching clip)",
                            extra={"groups": groups})
    if state_dict is not None:
        setup.model.model.load_state_dict(state_dict)
    setup.model.eval()
    return setup


# ---------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------

_MINI: Dict[tuple, Any] = {}


def _mini(ds):
    """``ds`` or the teaching dataset of ``bench/latency.py`` (8 clips, 2 listeners, loaded once)."""
    if ds is not None:
        return ds
    key = (8, 2)
    if key not in _MINI:
        from mer_lessons.data import load

        _MINI[key] = load("mini", n_clips=8, n_subjects=2, progress=False)
    return _MINI[key]


def _setup_for(paper, setup, ds, state_dict, seed, where) -> StreamSetup:
    if setup is not None:
        if not isinstance(setup, StreamSetup):
            raise WrongTypeError(message("setup", "a StreamSetup (from stream_setup)", setup, where=where))
        return setup
    lyrics = ds[0].get("lyrics") if len(ds) else ""
    return stream_setup(paper, state_dict=state_dict, seed=seed, lyrics=lyrics if isinstance(lyrics, str) else "")


def window_latency(paper: str, *, windows: int = 50, warmup: int = 3, ds=None,
                   state_dict: Optional[Mapping[str, Any]] = None, setup: Optional[StreamSetup] = None,
                   chunk_s: float = 0.1, seed: int = 0) -> dict:
    """Per-window latency of ``paper``'s model through the streaming pipeline, on **one** CPU thread.

    Trials of ``ds`` (default: the mini teaching dataset, 8 clips x 2 listeners) are played
    back to back in chunks of ``chunk_s`` seconds (:func:`~mer_lessons.streaming.stream_from_dataset`,
    only the modalities the model reads) through :meth:`StreamSetup.pipeline` (every window
    processed, no sampler); ``warmup`` predictions on a quiet window run first and are not
    counted. The clock of each window covers reading it from the ring buffers, the features,
    the model and the label. ``torch.set_num_threads(1)`` holds during the run and the
    previous thread count is restored afterwards (also on an error). ``setup``: a
    :func:`stream_setup` to reuse (else one is built with ``state_dict``, ``seed`` and the
    first trial's lyrics).

    Returns ``{"paper", "model", "parameters", "window_s", "hop_s", "windows", "p50_ms",
    "p99_ms", "mean_ms", "threads": 1}``. ``windows`` must be an integer >= 1 and
    ``warmup`` >= 0 (:class:`~mer_lessons.validation.OutOfRangeError` otherwise).

    Taught in ``14_reproducibility_report``.
    """
    from mer_lessons.streaming import stream_from_dataset

    where = "window_latency"
    paper = _paper(paper, where)
    windows = as_int(windows, "windows", minimum=1, where=where)
    warmup = as_int(warmup, "warmup", minimum=0, where=where)
    ds = _mini(ds)
    setup = _setup_for(paper, setup, ds, state_dict, seed, where)
    item0 = ds[0]
    clip_s = len(item0["audio"]) / float(item0["sr"])
    n_trials = int(math.ceil((windows * setup.hop_s + setup.window_s) / clip_s)) + 1
    indices = [i % len(ds) for i in range(n_trials)]
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        pipe = setup.pipeline(setup.rates(item0))
        pipe.warmup(warmup)
        report = pipe.run(stream_from_dataset(ds, indices, chunk_s=chunk_s, modalities=setup.modalities),
                          max_windows=windows)
    finally:
        torch.set_num_threads(previous)
    s = report.summary()
    return {"paper": paper, "model": setup.name, "parameters": setup.parameters, "window_s": setup.window_s,
            "hop_s": setup.hop_s, "windows": int(s["processed"]), "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
            "mean_ms": s["mean_ms"], "threads": 1}


def _window_pool(setup: StreamSetup, ds, hop_s: float, limit: int = 64) -> tuple:
    """Raw windows cut from the trials of ``ds`` (every ``hop_s``), and the rates."""
    pool = []
    rates = setup.rates(ds[0])
    for i in range(len(ds)):
        item = ds[i]
        length = len(item["audio"]) / float(item["sr"])
        starts = np.arange(0.0, length - setup.window_s + 1e-9, hop_s)
        for t0 in starts:
            win = {}
            for m in setup.modalities:
                r = rates[m]
                x = np.asarray(item[m])
                if m == "face":
                    a, b = int(math.ceil(t0 * r - 1e-9)), int(math.ceil((t0 + setup.window_s) * r - 1e-9))
                    win[m] = x[a:b]
                else:
                    a = int(round(t0 * r))
                    win[m] = x[..., a:a + int(round(setup.window_s * r))]
            pool.append(win)
            if len(pool) >= limit:
                return pool, rates
    if not pool:
        raise EmptyInputError(message("ds", f"trials at least {setup.window_s:g} s long", f"{len(ds)} shorter ones",
                                      where="listeners_served", describe=False))
    return pool, rates


def listeners_served(paper: str, *, hop_s: float = 0.5, max_listeners: int = 256, cycles: int = 4,
                     threads: Optional[int] = None, ds=None, setup: Optional[StreamSetup] = None,
                     state_dict: Optional[Mapping[str, Any]] = None, seed: int = 0) -> dict:
    """How many listeners one process labels in real time, with one batched forward pass per hop.

    ``B`` listeners each have a new window every ``hop_s`` seconds (raw windows cut from the
    trials of ``ds``, default the mini teaching dataset, listener ``i`` at cycle ``c`` reading
    window ``c B + i`` of that pool). A *cycle* is what a server does each hop: featurize the
    ``B`` windows (one after the other, :attr:`StreamSetup.featurizer`), stack them, **one**
    forward pass of the model on the batch, argmax. For ``B = 1, 2, 4, ...`` up to
    ``max_listeners``: one warm-up cycle (not counted), then ``cycles`` timed cycles;
    measuring a ``B`` stops early after a cycle longer than ``3 hop_s`` or a second cycle
    longer than ``hop_s`` (its two slowest cycles then exceed ``hop_s``, so its p99 would
    too, whatever the remaining cycles give). ``B`` is served in real
    time when the p99 of its cycle times is ``<= hop_s``; doubling stops at the first ``B``
    not served (measured, never extrapolated). ``threads``: torch's thread count during the
    measurement (``None``: :func:`mer_lessons.cpu.usable_cpus`), restored afterwards.

    Returns ``{"paper", "listeners"`` (the largest ``B`` served; 0 when even one listener is
    not; equal to ``max_listeners`` when the cap, not the clock, stopped the doubling),
    ``"table"`` (a DataFrame: ``listeners``, ``cycles``, ``p50_ms``, ``p99_ms``,
    ``real_time``), ``"threads", "hop_s"}``. ``hop_s`` must be a finite number > 0,
    ``max_listeners`` and ``cycles`` integers >= 1, ``threads`` ``None`` or an integer >= 1
    (:class:`~mer_lessons.validation.InputError` subclasses naming the argument).

    Taught in ``14_reproducibility_report``.
    """
    from mer_lessons.cpu import usable_cpus
    from mer_lessons.metrics import latency_summary

    where = "listeners_served"
    paper = _paper(paper, where)
    hop_s = as_float(hop_s, "hop_s", minimum=0, low_open=True, where=where, unit="s")
    max_listeners = as_int(max_listeners, "max_listeners", minimum=1, where=where)
    cycles = as_int(cycles, "cycles", minimum=1, where=where)
    threads = usable_cpus() if threads is None else as_int(threads, "threads", minimum=1, where=where)
    ds = _mini(ds)
    setup = _setup_for(paper, setup, ds, state_dict, seed, where)
    pool, rates = _window_pool(setup, ds, setup.hop_s)
    model = setup.model.eval()

    def cycle(B: int, c: int) -> float:
        t0 = time.perf_counter()
        feats = [setup.featurizer(pool[(c * B + i) % len(pool)], rates, steps=setup.steps) for i in range(B)]
        batch = {m: torch.from_numpy(np.stack([f[m] for f in feats])) for m in setup.modalities}
        with torch.no_grad():
            model(batch).argmax(dim=-1)
        return time.perf_counter() - t0

    rows, best = [], 0
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        B = 1
        while B <= max_listeners:
            cycle(B, 0)                                   # warm-up: new batch size, new allocations
            times = []
            for c in range(1, cycles + 1):
                times.append(cycle(B, c))
                late = sum(t > hop_s for t in times)
                if times[-1] > 3 * hop_s or late >= 2:   # p99 > hop_s whatever the other cycles give
                    break
            s = latency_summary(np.asarray(times))
            served = s["p99_ms"] <= hop_s * 1000.0
            rows.append({"listeners": B, "cycles": len(times), "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
                         "real_time": bool(served)})
            if not served:
                break
            best = B
            B *= 2
    finally:
        torch.set_num_threads(previous)
    table = pd.DataFrame(rows, columns=["listeners", "cycles", "p50_ms", "p99_ms", "real_time"])
    return {"paper": paper, "listeners": best, "table": table, "threads": threads, "hop_s": hop_s}


def realtime_table(papers: Sequence[str] = PAPER_KEYS, *, quick: bool = False, ds=None, threads: Optional[int] = None,
                   max_listeners: int = 256, windows: Optional[int] = None, cycles: Optional[int] = None,
                   progress: bool = False, seed: int = 0) -> pd.DataFrame:
    """One row per paper: its model in real time on this machine's CPU.

    Columns: ``model``, ``parameters``, ``window_s``, ``hop_s``, ``p50_ms``/``p99_ms`` (per
    window, one thread: :func:`window_latency`, 50 windows; 20 with ``quick``),
    ``listeners`` (served in real time with batching: :func:`listeners_served`, 4 timed
    cycles per batch size; 2 with ``quick``), ``threads`` (of the listeners measurement)
    and ``device`` (``"cpu"``); indexed by the paper key. ``windows`` / ``cycles`` (optional)
    replace those counts; ``max_listeners`` caps the doubling. ``papers``: keys of
    :data:`PAPER_KEYS` (a single key is accepted as a one-paper list; an empty list raises
    :class:`~mer_lessons.validation.EmptyInputError`). ``progress``: a tqdm bar.

    Taught in ``14_reproducibility_report``.
    """
    where = "realtime_table"
    if isinstance(papers, str):
        papers = [papers]
    if not isinstance(papers, Sequence):
        raise WrongTypeError(message("papers", f"a list of paper keys from {list(PAPER_KEYS)}", papers, where=where))
    papers = [_paper(p, where) for p in papers]
    if not papers:
        raise EmptyInputError(message("papers", f"at least one paper key from {list(PAPER_KEYS)}", "[]", where=where,
                                      describe=False))
    n_windows, n_cycles = (20, 2) if quick else (50, 4)
    windows = n_windows if windows is None else as_int(windows, "windows", minimum=1, where=where)
    cycles = n_cycles if cycles is None else as_int(cycles, "cycles", minimum=1, where=where)
    max_listeners = as_int(max_listeners, "max_listeners", minimum=1, where=where)
    ds = _mini(ds)
    from tqdm.auto import tqdm

    rows = []
    for paper in tqdm(papers, desc="papers", disable=not progress):
        setup = _setup_for(paper, None, ds, None, seed, where)
        lat = window_latency(paper, windows=windows, ds=ds, setup=setup)
        served = listeners_served(paper, hop_s=setup.hop_s, max_listeners=max_listeners, cycles=cycles,
                                  threads=threads, ds=ds, setup=setup)
        rows.append({"paper": paper, "model": setup.name, "parameters": setup.parameters,
                     "window_s": setup.window_s, "hop_s": setup.hop_s, "p50_ms": lat["p50_ms"],
                     "p99_ms": lat["p99_ms"], "listeners": served["listeners"], "threads": served["threads"],
                     "device": "cpu"})
    return pd.DataFrame(rows).set_index("paper")
