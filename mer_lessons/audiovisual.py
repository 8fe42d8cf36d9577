"""Audio and faces of one recording, turned into the inputs of an audio-visual classifier.

Kirar et al. (2024) (reference: ``mer_lessons.papers.cite("kirar")``) take the audio out of
each video, clean it (spectral subtraction), normalise it and compress it with an
autoencoder (Eq. 10); they summarise the video's frames in one "summary image" that a
pre-trained ResNet-50 describes; they concatenate both, select features with an Improved
Zebra Algorithm and classify with a BiLSTM + self-attention. This module holds the glue
between the signals and the models:

* :func:`trial_audio_inputs` -- one item's audio as log-mel steps, with and without
  spectral subtraction (an item featurizer for
  :func:`mer_lessons.windows.clip_windows` with ``reads="item"``); for the teaching
  clips it first adds stationary noise, since they are clean.
* :func:`face_step_images` / :func:`face_features` -- per-step summary images of the face
  frames, cropped to the face, then the globally pooled feature maps of an image network.
* :func:`fit_autoencoder` -- train :class:`mer_lessons.models.blocks.Autoencoder` on
  feature vectors with the MSE of Eq. 10.
* :func:`per_clip_vectors`, :func:`soundnet_input`, :func:`pretrain_soundnet`,
  :func:`soundnet_vectors` -- clip-level audio vectors (MFCC, functionals, SoundNet codes:
  Liu et al., Eq. 4-7), computed once per clip, and the SoundNet trained on other clips.
* :class:`FusedSelection` -- the steps *learned from the training windows*: an
  autoencoder per chosen input, concatenation (Sec. 3.2), standardisation and a feature
  selection (:mod:`mer_lessons.selection`); a ``prepare`` step for
  :class:`mer_lessons.evaluation.ModelSpec`, so it is fitted on the training and
  validation windows of each split and never sees a test window.

Paper: the selection runs on the whole dataset *before* the 80/20 split (Sec. 3.4 then
3.5), so its fitness has seen the test clips; we fit it inside each split.

Taught in ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np
import torch

from mer_lessons import dsp, signals
from mer_lessons.validation import InputError, as_float, as_int, message
from mer_lessons.windows import WindowSet

__all__ = ["noisy_audio", "trial_audio_inputs", "log_mel_to_audio", "face_step_images", "face_features", "fit_autoencoder",
           "FusedSelection", "FittedFusedSelection", "per_clip_vectors", "soundnet_input", "pretrain_soundnet",
           "soundnet_vectors"]


def _item_seed(item: Mapping[str, Any], seed: int) -> int:
    return (zlib.crc32(str(item.get("id", "")).encode()) + 7919 * int(seed)) % (2 ** 32)


def noisy_audio(item: Mapping[str, Any], *, snr_db: float = 10.0, lead_in: float = 0.5, seed: int = 0) -> np.ndarray:
    """An item's audio with white noise at ``snr_db`` dB and ``lead_in`` seconds of noise alone first.

    :func:`mer_lessons.signals.add_noise`, seeded by the item's ``id`` and ``seed`` (so a
    trial always gets the same noise, and two trials different noise). Returns
    ``(round(lead_in * sr) + n,)`` samples at the item's ``sr``. What
    :func:`trial_audio_inputs` cleans on the teaching clips.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "noisy_audio"
    if "audio" not in item or "sr" not in item:
        raise InputError(message("item", "an item with 'audio' and 'sr'", f"keys {sorted(item)}", where=where,
                                 describe=False))
    snr_db = as_float(snr_db, "snr_db", where=where, unit="dB")
    lead_in = as_float(lead_in, "lead_in", minimum=0.0, where=where, unit="s")
    sr = float(item["sr"])
    return signals.add_noise(np.asarray(item["audio"], dtype=np.float64), snr_db, seed=_item_seed(item, seed),
                             lead_in=int(round(lead_in * sr))).astype(np.float64)


def trial_audio_inputs(item: Mapping[str, Any], *, steps: int = 8, n_mels: int = 40, snr_db: Optional[float] = 10.0,
                       lead_in: float = 0.5, seed: int = 0) -> Dict[str, np.ndarray]:
    """One item's audio as ``{"audio": (n_mels, steps), "audio_no_ss": (n_mels, steps)}`` dB.

    ``snr_db`` (teaching clips, which are clean): first add white noise at that
    signal-to-noise ratio with ``lead_in`` seconds of noise alone before the clip
    (:func:`noisy_audio`, seeded by the item's ``id`` and ``seed``), as a
    recording that starts before the music does; ``None`` for real recordings (MELD), whose
    noise is their own. Then :func:`mer_lessons.dsp.kirar_audio_frames` twice: with spectral
    subtraction (noise spectrum from the first 0.25 s) as ``"audio"``, without as
    ``"audio_no_ss"`` (the ablation's input).

    Kirar et al. (2024), Sec. 3.2.1. Paper: MELD's own noisy speech; we: added noise on the
    teaching clips, so that spectral subtraction has something measurable to remove.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "trial_audio_inputs"
    if "audio" not in item or "sr" not in item:
        raise InputError(message("item", "an item with 'audio' and 'sr'", f"keys {sorted(item)}", where=where,
                                 describe=False))
    sr = float(item["sr"])
    y = (np.asarray(item["audio"], dtype=np.float64) if snr_db is None
         else noisy_audio(item, snr_db=snr_db, lead_in=lead_in, seed=seed))
    return {"audio": dsp.kirar_audio_frames(y, sr, steps=steps, n_mels=n_mels),
            "audio_no_ss": dsp.kirar_audio_frames(y, sr, steps=steps, n_mels=n_mels, spectral_subtraction=False)}


def log_mel_to_audio(S_db, sr: float, *, n_fft: int = 512, hop_length: int = 160, n_iter: int = 32) -> np.ndarray:
    """Listen to log-mel frames: ``(n_mels, T)`` dB (re 1) -> samples ``(n,)`` at ``sr`` Hz.

    dB to power (:func:`mer_lessons.dsp.db_to_power`), mel to linear frequencies
    (:func:`mer_lessons.inversion.mel_to_linear`, the pseudo-inverse of the filterbank) and
    Griffin-Lim phase (:func:`mer_lessons.inversion.griffin_lim`), with the STFT settings of
    :func:`mer_lessons.dsp.kirar_audio_frames`. Phase and the detail inside each mel band
    are lost, so it sounds smeared; it is for *comparing* two log-mel images by ear (a clip
    and its autoencoder reconstruction, Eq. 10), not for listening to music.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from mer_lessons import inversion

    S_db = np.asarray(S_db, dtype=np.float64)
    if S_db.ndim != 2:
        raise InputError(message("S_db", "shaped (n_mels, frames)", f"shape {S_db.shape}", where="log_mel_to_audio",
                                 describe=False))
    power = inversion.mel_to_linear(dsp.db_to_power(S_db), sr=sr, n_fft=n_fft)
    return inversion.griffin_lim(np.sqrt(power), n_iter=n_iter, hop_length=hop_length)


def face_step_images(ds, *, steps: int = 8, size: int = 64, method: str = "mean", detect: bool = True,
                     progress: bool = False) -> tuple:
    """Per-step summary images of every item's face frames, cropped to the face.

    For item ``i`` of ``ds`` (its ``face`` frames ``(F, H, W)``):
    :func:`mer_lessons.vision.segment_summaries` into ``steps`` consecutive groups (each
    summarised by ``method``: ``"mean"`` is the paper's frame averaging), then
    :func:`mer_lessons.vision.face_region` with the box that OpenCV's Haar cascade
    (:func:`mer_lessons.vision.detect_faces`) finds on the whole clip's mean image -- one
    detection per item, not per step (a head moves little within a clip; it is 8 times
    cheaper) -- resized to ``size`` x ``size``; with ``detect=False``, or when no face is
    found, the centred square of each image.

    Returns ``(images (N, steps, size, size) float32 in 0-1, found (N, steps) bool)``:
    ``found`` says where a face was detected. An item without face frames raises
    :class:`~mer_lessons.validation.InputError` naming it.

    Kirar et al. (2024), Sec. 3.2.2: one summary image per video. Paper: one image per
    clip; we: one per step, so that the BiLSTM sees the face change over the clip.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from tqdm.auto import tqdm

    from mer_lessons import vision

    where = "face_step_images"
    steps = as_int(steps, "steps", minimum=1, where=where)
    size = as_int(size, "size", minimum=8, where=where)
    images = np.zeros((len(ds), steps, size, size), dtype=np.float32)
    found = np.zeros((len(ds), steps), dtype=bool)
    for i in tqdm(range(len(ds)), desc="faces", disable=not progress):
        item = ds[i]
        if "face" not in item or np.asarray(item["face"]).size == 0:
            raise InputError(message("ds", "items with face frames ('face')", f"item {i} ({item.get('id', i)}) "
                                     "without them", where=where, describe=False))
        frames = np.asarray(item["face"], dtype=np.float32)
        if frames.max() > 1.0:
            frames = frames / 255.0
        boxes = vision.detect_faces(vision.summary_image(frames)) if detect else ()
        box = boxes[0] if len(boxes) else None
        for s, image in enumerate(vision.segment_summaries(frames, steps, method=method)):
            images[i, s], found[i, s] = vision.face_region(image, size=size, detect=False, box=box)
    return images, found


def face_features(images, backbone: torch.nn.Module, *, batch_size: int = 256) -> np.ndarray:
    """Image-network features of per-step images: ``(N, steps, H, W)`` -> ``(N, steps, C)`` float32.

    :func:`mer_lessons.vision.image_features` on all ``N * steps`` images (eval mode, no
    gradients): the globally average-pooled last feature map of ``backbone`` (``C`` =
    ``backbone.out_channels``, 2048 for a full ResNet-50). Kirar et al. (2024), Sec. 3.2.2:
    "ResNet-50 ... transfer learning". Paper: ImageNet weights; we: whichever backbone is
    given (random, trained on other faces, or pretrained when the weights are on disk). A
    network with ``preprocess`` and ``embedding`` methods (the pretrained face-expression
    network :class:`mer_lessons.models.mini_xception.MiniXception`) is read through those:
    its 128-wide embedding.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from mer_lessons import vision

    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4:
        raise InputError(message("images", "shaped (N, steps, H, W)", f"shape {x.shape}", where="face_features",
                                 describe=False))
    n, steps = x.shape[:2]
    flat = x.reshape(n * steps, *x.shape[2:])
    if hasattr(backbone, "embedding") and hasattr(backbone, "preprocess"):       # a face network with its own input
        was_training = backbone.training
        backbone.eval()
        try:
            with torch.no_grad():
                feats = np.concatenate([backbone.embedding(backbone.preprocess(flat[i:i + batch_size])).numpy()
                                        for i in range(0, len(flat), batch_size)])
        finally:
            backbone.train(was_training)
    else:
        feats = vision.image_features(backbone, flat, batch_size=batch_size, size=x.shape[-1])
    return feats.reshape(n, steps, -1).astype(np.float32)


def fit_autoencoder(X, code_dim: int, *, X_val=None, hidden: int = 32, epochs: int = 60, lr: float = 1e-2,
                    batch_size: int = 256, patience: Optional[int] = 8, seed: int = 0):
    """Train an undercomplete autoencoder on rows ``X`` ``(n, d)`` with the MSE of Eq. 10.

    :class:`mer_lessons.models.blocks.Autoencoder` (``d -> hidden -> code_dim -> hidden ->
    d``) trained by :func:`mer_lessons.train.fit` with Adam (``lr``) on
    ``L = 1/N sum (X_hat - X)^2`` (Kirar et al. (2024), Eq. 10; averaged over elements as
    well), early stopping on ``X_val`` when given. Rows should be standardised. Returns
    ``(autoencoder (eval mode, CPU), history)``; the codes are ``autoencoder.encode(x)``.

    Paper: the autoencoder's layers, code size and training are not given; we: one hidden
    layer of ``hidden`` units, ``code_dim`` codes.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from mer_lessons import train
    from mer_lessons.environment import set_seed
    from mer_lessons.models.blocks import Autoencoder

    where = "fit_autoencoder"
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) == 0:
        raise InputError(message("X", "a non-empty 2-D array (rows, features)", f"shape {X.shape}", where=where,
                                 describe=False))
    if not np.isfinite(X).all():
        raise InputError(message("X", "finite values", "NaN or infinite values", where=where, describe=False))
    code_dim = as_int(code_dim, "code_dim", minimum=1, where=where)
    set_seed(seed)
    model = Autoencoder(X.shape[1], code_dim, hidden=hidden)
    val = None
    if X_val is not None:
        X_val = np.asarray(X_val, dtype=np.float32)
        val = (X_val, X_val)
    history = train.fit(model, (X, X), val, loss_fn=torch.nn.MSELoss(), optimizer=torch.optim.Adam(model.parameters(), lr=lr),
                        epochs=epochs, batch_size=batch_size, patience=patience if val is not None else None,
                        seed=seed, device="cpu", progress=False, metrics=())
    return model.cpu().eval(), history


@dataclass
class FusedSelection:
    """Fusion by concatenation, then feature selection, fitted on the training windows.

    ``inputs``: the window inputs to fuse, in order (e.g. ``("audio", "face")``);
    ``codes``: ``{input: code size}`` -- these inputs are first replaced, step by step, by
    the codes of an autoencoder trained on the training windows (Eq. 10,
    :func:`fit_autoencoder`); ``selector``: a :data:`mer_lessons.selection.SELECTORS` name
    (``"zebra"``, ``"genetic"``, ``"random search"``, ``"none"``) or ``None`` (keep all);
    ``selector_options`` go to it (``population``, ``iterations``, ``penalty`` ...).

    ``fit(train_set, val_set, seed)`` (:class:`mer_lessons.evaluation.ModelSpec`'s
    ``prepare`` protocol) z-scores each input with the training windows' statistics, trains
    the autoencoders (validation windows for early stopping), concatenates the steps
    (``(N, steps, D)``), z-scores again, and runs the selector on the time-averaged
    training rows with the validation rows as its fitness data. It returns a
    :class:`FittedFusedSelection` whose ``transform(windows)`` gives windows with the one
    input ``output`` ``(N, steps, D_selected)``.

    Kirar et al. (2024), Sec. 3.2-3.4. Paper: features concatenated, then IZA on the whole
    dataset; we: the same steps fitted inside each split (see the module docstring).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    inputs: Sequence[str]
    codes: Mapping[str, int] = field(default_factory=dict)
    selector: Optional[str] = "zebra"
    selector_options: Mapping[str, Any] = field(default_factory=dict)
    autoencoder_options: Mapping[str, Any] = field(default_factory=dict)
    output: str = "fused"

    def __post_init__(self):
        self.inputs = tuple(self.inputs)
        if not self.inputs or not all(isinstance(m, str) for m in self.inputs):
            raise InputError(message("inputs", "a non-empty tuple of input names", self.inputs, where="FusedSelection"))
        unknown = sorted(set(self.codes) - set(self.inputs))
        if unknown:
            raise InputError(message("codes", f"keys among inputs {list(self.inputs)}", sorted(self.codes),
                                     where="FusedSelection"))
        if self.selector is not None:
            from mer_lessons.selection import SELECTORS
            if self.selector not in SELECTORS:
                raise InputError(message("selector", f"None or one of {sorted(SELECTORS)}", self.selector,
                                         where="FusedSelection"))

    def fit(self, train_set: WindowSet, val_set: WindowSet, seed: int = 0) -> "FittedFusedSelection":
        missing = [m for m in self.inputs if m not in train_set.features]
        if missing:
            raise KeyError(f"FusedSelection: the windows have no {missing}; they have {train_set.modalities}")
        scales = {m: _mean_std(train_set.features[m]) for m in self.inputs}
        autoencoders, histories = {}, {}
        for m, k in self.codes.items():
            x = _z(train_set.features[m], scales[m])
            xv = _z(val_set.features[m], scales[m])
            autoencoders[m], histories[m] = fit_autoencoder(x.reshape(-1, x.shape[-1]), k,
                                                            X_val=xv.reshape(-1, xv.shape[-1]), seed=seed,
                                                            **dict(self.autoencoder_options))
        fitted = FittedFusedSelection(self, scales, autoencoders, histories)
        fused_train = fitted.fuse(train_set)
        fitted.fused_scale = _mean_std(fused_train)
        names = []
        for m in self.inputs:
            width = self.codes.get(m, train_set.features[m].shape[-1])
            names += [f"{m} code {j}" if m in self.codes else f"{m} {j}" for j in range(width)]
        fitted.names = np.array(names, dtype=object)
        mask = np.ones(len(names), dtype=bool)
        if self.selector is not None:
            from mer_lessons.selection import SELECTORS
            x_tr = _z(fused_train, fitted.fused_scale).mean(axis=1)
            x_va = _z(fitted.fuse(val_set), fitted.fused_scale).mean(axis=1)
            fitted.selection = SELECTORS[self.selector](x_tr, train_set.y, X_val=x_va, y_val=val_set.y, seed=seed,
                                                        **dict(self.selector_options))
            mask = np.asarray(fitted.selection.mask, dtype=bool)
        fitted.mask = mask
        return fitted


def _mean_std(x: np.ndarray) -> tuple:
    flat = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    std = flat.std(axis=0)
    return flat.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)


def _z(x: np.ndarray, scale: tuple) -> np.ndarray:
    return ((np.asarray(x, dtype=np.float32) - scale[0]) / scale[1]).astype(np.float32)


@dataclass
class FittedFusedSelection:
    """A :class:`FusedSelection` fitted on one split's training windows.

    ``scales``: ``{input: (mean, std)}`` of the training windows; ``autoencoders`` /
    ``histories``: per coded input; ``names``: every fused feature's name (``"audio code
    3"``, ``"face 117"``); ``mask``: the selected ones (``(D,)`` bool); ``selection``: the
    selector's :class:`mer_lessons.selection.SelectionResult` (``None`` without one).
    ``transform(windows)`` -> windows with the single input ``spec.output`` ``(N, steps,
    mask.sum())``.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    spec: FusedSelection
    scales: Dict[str, tuple]
    autoencoders: Dict[str, torch.nn.Module]
    histories: Dict[str, Any]
    fused_scale: tuple = None
    names: np.ndarray = None
    mask: np.ndarray = None
    selection: Any = None

    def fuse(self, windows: WindowSet) -> np.ndarray:
        """The concatenated (coded) inputs, before selection: ``(N, steps, D)`` float32."""
        parts = []
        for m in self.spec.inputs:
            if m not in windows.features:
                raise KeyError(f"FittedFusedSelection: the windows have no {m!r}; they have {windows.modalities}")
            x = _z(windows.features[m], self.scales[m])
            if m in self.autoencoders:
                with torch.no_grad():
                    x = self.autoencoders[m].encode(torch.from_numpy(x)).numpy()
            parts.append(x)
        return np.concatenate(parts, axis=-1).astype(np.float32)

    def transform(self, windows: WindowSet) -> WindowSet:
        """Windows with one input ``spec.output``: the fused, z-scored, selected steps."""
        fused = _z(self.fuse(windows), self.fused_scale)[:, :, self.mask]
        return WindowSet({self.spec.output: np.ascontiguousarray(fused)}, windows.meta, dict(windows.rates),
                         windows.labels, windows.classes)

    @property
    def selected(self) -> np.ndarray:
        """Names of the selected features."""
        return self.names[self.mask]


def per_clip_vectors(ds, featurize, *, by: Optional[str] = "clip_id", progress: bool = False) -> Dict[str, np.ndarray]:
    """Clip-level audio vectors for every item of ``ds``: ``{name: (N, 1, D)}`` float32.

    ``featurize(audio, sr) -> {name: (D,) vector}`` runs once per distinct value of the
    ``by`` column (the teaching trials of one clip share its audio: 8 listeners, one
    computation) -- or once per item when ``by`` is ``None`` or not a column (MELD) -- and
    its vectors are repeated for every item of that clip. The result's arrays go straight
    into :meth:`mer_lessons.windows.WindowSet.with_features` (one step per item).

    Liu et al. (2025), Eq. 4-7: A_MFCC, A_openSMILE, A_soundNET are clip-level vectors.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    from tqdm.auto import tqdm

    if len(ds) == 0:
        raise InputError(message("ds", "a non-empty dataset", "0 items", where="per_clip_vectors", describe=False))
    keys = (ds.meta[by].astype(str).to_numpy() if by is not None and by in ds.meta.columns
            else np.array([str(i) for i in range(len(ds))]))
    first = {}
    for i in range(len(ds)):
        first.setdefault(keys[i], i)
    vectors: Dict[str, Dict[str, np.ndarray]] = {}
    for key, i in tqdm(first.items(), desc="clip audio", disable=not progress):
        item = ds[i]
        if "audio" not in item or "sr" not in item:
            raise InputError(message("ds", "items with audio", f"item {i} ({item.get('id', i)}) without it",
                                     where="per_clip_vectors", describe=False))
        out = featurize(np.asarray(item["audio"], dtype=np.float64), float(item["sr"]))
        vectors[key] = {name: np.asarray(v, dtype=np.float32).reshape(-1) for name, v in out.items()}
    names = list(next(iter(vectors.values())))
    return {name: np.stack([vectors[k][name] for k in keys])[:, None, :] for name in names}


def soundnet_input(audio, sr: float, *, seconds: float = 4.0) -> torch.Tensor:
    """One clip as SoundNet reads it: ``(1, round(seconds * 22050))`` float32, samples x 256.

    :meth:`mer_lessons.models.liu.SoundNet.prepare` (resampled to 22,050 Hz and scaled to
    +-256, as the original network was trained), then cut or zero-padded to ``seconds`` so
    that clips batch together. Liu et al. (2025), Eq. 6. Paper: the input length is not
    given; we: the clip's first ``seconds``.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    from mer_lessons.models.liu import SoundNet

    seconds = as_float(seconds, "seconds", minimum=0.0, low_open=True, where="soundnet_input", unit="s")
    x = SoundNet.prepare(np.asarray(audio, dtype=np.float64), sr).reshape(1, -1).float()
    n = int(round(seconds * SoundNet.SAMPLE_RATE))
    return x[:, :n] if x.shape[1] >= n else torch.nn.functional.pad(x, (0, n - x.shape[1]))


def pretrain_soundnet(model: torch.nn.Module, audios: Sequence[np.ndarray], sr: float, targets, *,
                      seconds: float = 4.0, epochs: int = 10, batch_size: int = 16, lr: float = 1e-3,
                      seed: int = 0):
    """Train SoundNet to predict ``targets`` ``(n, k)`` from ``n`` clips: ``(model in eval mode, history)``.

    The original SoundNet learnt from two million unlabelled videos to predict what two
    image networks saw in the frames (objects, scenes): a *teacher-student* transfer
    (Aytar et al., 2016). Its weights are a download, which the course never does; we
    train the same architecture (``model``: a :class:`mer_lessons.models.liu.SoundNet`
    with ``n_outputs = k``) to predict what the *score* of other clips says -- their
    musical factors (tempo, mode, loudness, ...: ``data.mini.standardised_factors``) -- with
    the mean squared error, Adam, ``epochs`` passes. Clips go through
    :func:`soundnet_input`. ``history``: one row per epoch, ``epoch`` and ``loss``.

    Liu et al. (2025), Eq. 6: A_soundNET = soundNET(A), a network pre-trained elsewhere.
    Paper: the pre-trained SoundNet; we: the same layers trained on other teaching clips.

    Taught in ``12_liu_bimodal_audio_video``.
    """
    import pandas as pd

    from mer_lessons import train
    from mer_lessons.environment import set_seed

    y = np.asarray(targets, dtype=np.float32)
    if y.ndim != 2 or len(y) != len(audios) or len(y) == 0:
        raise InputError(message("targets", f"shaped ({len(audios)}, k): one row per clip", f"shape {y.shape}",
                                 where="pretrain_soundnet", describe=False))
    x = torch.cat([soundnet_input(a, sr, seconds=seconds) for a in audios])[:, None, :]      # (n, 1, L)
    set_seed(seed)
    history = train.fit(model, (x, torch.from_numpy(y.copy())), None, loss_fn=torch.nn.MSELoss(),
                        optimizer=torch.optim.Adam(model.parameters(), lr=lr), epochs=epochs,
                        batch_size=batch_size, seed=seed, device="cpu", progress=False, metrics=())
    frame = pd.DataFrame({"epoch": np.arange(1, len(history.train_loss) + 1), "loss": history.train_loss})
    return model.eval(), frame


def soundnet_vectors(model: torch.nn.Module, audio, sr: float, *, layer: str = "conv5",
                     seconds: float = 4.0) -> np.ndarray:
    """A_soundNET of one clip: the time-averaged activations of one SoundNet layer, ``(C,)`` float32.

    :meth:`mer_lessons.models.liu.SoundNet.features` on :func:`soundnet_input`, in eval
    mode without gradients. Liu et al. (2025), Eq. 6. Paper: which layer is not said; we:
    ``layer`` (default conv5, the layer the SoundNet authors found best for classifying
    sounds with a linear model).

    Taught in ``12_liu_bimodal_audio_video``.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = soundnet_input(audio, sr, seconds=seconds)[:, None, :]
            return model.features(x, layer=layer)[0].numpy().astype(np.float32)
    finally:
        model.train(was_training)
