"""Liu, Feng and Li's audio-video emotion recognition: cross-modal attention, reconstruction, decision fusion.

Paper: Liu et al. (2025), *A Bimodal Emotion Recognition Algorithm for Audio and Video
Based on Emotion Modeling* (cite it with ``mer_lessons.papers.cite("liu")``; its tables and
contradictions are in :mod:`mer_lessons.papers.liu`). Nine emotion classes; audio
features are MFCCs, openSMILE functionals and SoundNet embeddings, video features come
from a recurrent encoder of the frames; a cross-modal attention fuses them, reconstruction
networks map the fusion back to each modality, and a decision-level fusion weighs the
fused, audio and video predictions.

Which class or function implements which equation:

* Eq. 6, the SoundNet embedding -- :class:`SoundNet`, the 8-layer 1-D convolutional
  network of Aytar, Vondrick and Torralba (2016) on the raw waveform at 22,050 Hz
  (:meth:`SoundNet.prepare` resamples and scales a waveform the way the original expects).
* Eq. 7, ``X^a = [A_MFCC, A_openSMILE, A_soundNET]`` -- the ``audio`` dict of
  :meth:`LiuNet.forward`: one entry per feature group, concatenated into ``x_a``.
* Eq. 8-11, an RNN (128 hidden units) and an LSTM (256 units) over the frame features --
  :class:`VideoEncoder`.
* Eq. 12-15, the cross-modal attention (projection ``X~ = M X + a`` to ``d_u = 128``,
  ``CMA(x, y) = softmax(X~_x X~_y^T / sqrt(d)) X~_y``, ``X_m = X_{a,b} (+) X_{b,a}``) --
  :class:`CrossModalAttention`.
* Eq. 16-18, the reconstruction networks ``G_phi`` and the loss ``L_REC`` --
  :class:`Reconstruction`.
* Eq. 19, ``y^ = (y_m + beta y_a + chi y_v) / (1 + beta + chi)`` -- :func:`decision_fusion`.
* Eq. 20-21, the L1 classification loss with weighted unimodal terms plus ``L_REC`` --
  :meth:`LiuNet.losses` (and :meth:`WindowInputs.loss_fn` for the course's training loop).
* The whole model with its ablation switches -- :class:`LiuNet`; the paper's "LSTM"
  comparison method (Zhang et al.) -- :class:`LSTMBaseline`; every variant by name --
  :func:`build` (wrapped in :class:`WindowInputs`).

What the paper does not specify, and what we chose:

* How the RNN and the LSTM connect: we stack them (the RNN's states feed the LSTM).
* Eq. 12 projects "the" audio features, which are a concatenation of groups of very
  different sizes (13 MFCCs, hundreds of functionals, a SoundNet vector). We read Eq. 12
  per group: each group gets its own ``Linear`` to ``d_u``, so the audio side becomes a
  short sequence of ``Ta = number of groups`` tokens and the attention has a sequence on
  both sides.
* Eq. 13-14 are garbled as printed (the query and key roles are not legible); we read them
  the usual way: queries from ``x``, keys and values from ``y``, the scores of width
  ``attention_dim = 64`` (the width of the query/key projections; the values are the
  projected ``X~_y`` of width ``d_u``). Each direction's output is averaged over its query
  steps before the concatenation of Eq. 15.
* The reconstruction networks (Eq. 16-17 print ``sigma(linear)``): we use
  Linear -> ReLU -> Linear without a squashing sigmoid, because our targets are z-scored
  features (a sigmoid cannot reach negative values). The video target ``X^b`` is the
  pooled LSTM state, detached, so the encoder cannot shrink it to make ``L_REC`` small.
* Eq. 18 as printed, ``(X^a - X^b)^2 + (X^b - X^a)^2``, compares the two modalities with
  each other: a misprint; we implement the intended ``||r_a - X^a||^2 + ||r_b - X^b||^2``
  (as mean squared errors).
* The three classifiers (``y_m`` from ``X_m``, ``y_a`` from ``X^a``, ``y_v`` from ``X^b``)
  are not described: each is Linear -> ReLU -> dropout -> Linear -> softmax.
* Eq. 20 weighs the unimodal terms by ``M_S`` without a value; we use 0.5.

SoundNet's pretrained weights are a download from the authors' site, which the course does
not make (``SoundNet.pretrained = False``): the chapter trains a teaching-size SoundNet on
its own targets, or uses the course's SoundNet-like feature vectors.

Parameter counts: :func:`mer_lessons.models.sequence.count_parameters`. No model here is
pretrained.

Taught in ``12_liu_bimodal_audio_video``.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.models.blocks import scaled_dot_product_attention
from mer_lessons.validation import (
    sequence_tensor, step_mask,
    InputError, WrongShapeError, WrongTypeError, as_choice, as_float, as_int, as_sample_rate, as_signal, message,
)

__all__ = ["decision_fusion", "SoundNet", "VideoEncoder", "CrossModalAttention", "Reconstruction", "LiuNet",
           "LSTMBaseline", "WindowInputs", "NAMES", "build"]

_CHAPTER = "12_liu_bimodal_audio_video"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _check_sequence(x, name: str, dim: Optional[int], where: str, batch: Optional[int] = None) -> torch.Tensor:
    return sequence_tensor(x, name, dim, where=where, batch=batch)


def _check_mask(mask, name: str, shape, where: str, device) -> Optional[torch.Tensor]:
    """A ``(B, T)`` mask as bool, True at real steps; ``None`` stays ``None``."""
    return step_mask(mask, name, shape, where=where, device=device)


def _masked_mean(x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """``(B, T, D)`` -> ``(B, D)``, the mean over the real steps (a row without one: zeros)."""
    if mask is None:
        return x.mean(dim=1)
    w = mask.to(x.dtype).unsqueeze(-1)
    return (x * w).sum(dim=1) / w.sum(dim=1).clamp(min=1.0)


def _check_probs(p, name: str, where: str, shape=None) -> torch.Tensor:
    if not isinstance(p, torch.Tensor) or p.ndim != 2 or not p.is_floating_point():
        raise WrongShapeError(message(name, "a float tensor of probabilities shaped (batch, classes)", p,
                                      where=where))
    if shape is not None and tuple(p.shape) != tuple(shape):
        raise WrongShapeError(message(name, f"shaped {tuple(shape)} like y_m", f"shape {tuple(p.shape)}",
                                      where=where, describe=False))
    return p


def _head(dim_in: int, hidden: int, n_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes))


def _flag(value, name: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise WrongTypeError(message(name, "True or False", value, where=where))
    return value


def _audio_dims(audio_dims, where: str) -> dict:
    if not isinstance(audio_dims, Mapping) or not audio_dims:
        raise WrongTypeError(message("audio_dims", "a non-empty dict {group name: width}, e.g. "
                                     "{'mfcc': 13, 'functionals': 384, 'soundnet': 256}", audio_dims, where=where))
    out = {}
    for k, v in audio_dims.items():
        if not isinstance(k, str):
            raise WrongTypeError(message("audio_dims", "keyed by group names (strings)", k, where=where))
        out[k] = as_int(v, f"audio_dims[{k!r}]", minimum=1, where=where)
    return out


# ---------------------------------------------------------------------------------------
# Eq. 19: decision-level fusion
# ---------------------------------------------------------------------------------------


def decision_fusion(y_m: torch.Tensor, y_a: torch.Tensor, y_v: torch.Tensor, beta: float = 0.6,
                    chi: float = 0.4) -> torch.Tensor:
    """Decision-level fusion, Liu et al. (2025), Eq. 19: ``(y_m + beta y_a + chi y_v) / (1 + beta + chi)``.

    Shapes: ``y_m`` (the fused branch), ``y_a`` (audio) and ``y_v`` (video) are probability
    tensors ``(B, C)``; the result ``(B, C)`` is their weighted average, so when each row of
    the inputs sums to 1 so does each row of the result. ``beta``, ``chi`` >= 0 (the paper:
    0.6 and 0.4); ``beta = chi = 0`` returns ``y_m`` exactly. A negative weight raises
    :class:`~mer_lessons.validation.OutOfRangeError`.

    Paper: the weights of Eq. 19 are fixed, not learned; we: the same (arguments).

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "decision_fusion"
    beta = as_float(beta, "beta", minimum=0, where=where)
    chi = as_float(chi, "chi", minimum=0, where=where)
    y_m = _check_probs(y_m, "y_m", where)
    y_a = _check_probs(y_a, "y_a", where, y_m.shape)
    y_v = _check_probs(y_v, "y_v", where, y_m.shape)
    if beta == 0 and chi == 0:
        return y_m
    return (y_m + beta * y_a + chi * y_v) / (1.0 + beta + chi)


# ---------------------------------------------------------------------------------------
# Eq. 6: SoundNet
# ---------------------------------------------------------------------------------------


class SoundNet(nn.Module):
    """SoundNet-8 (Aytar, Vondrick and Torralba, 2016): a 1-D fully convolutional network on raw audio.

    *SoundNet: Learning Sound Representations from Unlabeled Video* (NeurIPS 2016), the
    8-layer model, as in the authors' Torch code. Layers (channels at ``width=1``, kernel,
    stride, padding; every conv layer but conv8 is followed by BatchNorm and ReLU):

    ========  ========  ======  ======  =======  ==============
    layer     channels  kernel  stride  padding  then
    ========  ========  ======  ======  =======  ==============
    conv1     16        64      2       32       max-pool 8 (stride 8)
    conv2     32        32      2       16       max-pool 8 (stride 8)
    conv3     64        16      2       8
    conv4     128       8       2       4
    conv5     256       4       2       2        max-pool 4 (stride 4)
    conv6     512       4       2       2
    conv7     1024      4       2       2
    conv8     1000 + 401  8     2       0        (two heads: objects, places)
    ========  ========  ======  ======  =======  ==============

    Input: the waveform ``(B, 1, n)`` or ``(B, n)`` at 22,050 Hz, scaled as the original
    expects: samples in ``[-1, 1]`` times 256 (:meth:`prepare` does both). A 1-s input
    (22,050 samples) gives 11,026 -> 1,378 (pool) steps after conv1, 690 -> 86 after conv2,
    44, 23, 12 -> 3 (pool), 2 and 2 after conv3-conv7: about one conv7 step per 0.68 s
    (the original runs on 20-s clips).

    ``width``: channel multiplier (1.0: the real network, 0.25: a teaching size); every
    layer keeps at least one channel. ``n_outputs``: ``None`` builds no conv8 (a feature
    extractor); an int builds one conv8 head with that many channels (our training targets
    replace the original's 1000 object and 401 place classes). conv8 has no padding and a
    kernel of 8, so it needs 8 conv7 steps (about 5 s of audio): shorter conv7 outputs are
    zero-padded at the end to 8 steps (our addition; the original never meets them).

    ``features(x, layer="conv7")`` -> the time-averaged activations of that layer
    ``(B, C)``; ``activations(x)`` -> every layer's ``(B, C, T)`` output by name;
    ``forward(x)`` -> conv8's output averaged over time ``(B, n_outputs)`` (needs
    ``n_outputs``). ``pretrained = False``: the original weights are a download from the
    authors' site, which the course does not make; the chapter trains the network.

    Paper (Liu et al., 2025, Eq. 6): "SoundNet" features, layer not given; we: the
    time-averaged conv7 activations (the layer SoundNet's authors found best for
    classification is conv5 or conv7; ``layer=`` picks another).

    Taught in ``12_liu_bimodal_audio_video``.
    """

    pretrained = False
    SAMPLE_RATE = 22050
    SCALE = 256.0
    #: (name, channels at width 1, kernel, stride, padding, max-pool after (0: none)).
    LAYERS = (("conv1", 16, 64, 2, 32, 8), ("conv2", 32, 32, 2, 16, 8), ("conv3", 64, 16, 2, 8, 0),
              ("conv4", 128, 8, 2, 4, 0), ("conv5", 256, 4, 2, 2, 4), ("conv6", 512, 4, 2, 2, 0),
              ("conv7", 1024, 4, 2, 2, 0))
    CONV8 = (8, 2)                    # kernel, stride, no padding

    def __init__(self, width: float = 1.0, n_outputs: Optional[int] = None):
        super().__init__()
        where = "SoundNet"
        self.width = as_float(width, "width", minimum=0, low_open=True, where=where)
        self.n_outputs = None if n_outputs is None else as_int(n_outputs, "n_outputs", minimum=1, where=where)
        layers, c_in = {}, 1
        self.channels = {}
        for name, c, k, s, p, pool in self.LAYERS:
            c_out = max(1, int(round(c * self.width)))
            block = [nn.Conv1d(c_in, c_out, k, stride=s, padding=p), nn.BatchNorm1d(c_out), nn.ReLU()]
            if pool:
                block.append(nn.MaxPool1d(pool, stride=pool))
            layers[name] = nn.Sequential(*block)
            self.channels[name] = c_in = c_out
        self.layers = nn.ModuleDict(layers)
        self.conv8 = (None if self.n_outputs is None else
                      nn.Conv1d(c_in, self.n_outputs, self.CONV8[0], stride=self.CONV8[1]))
        if self.conv8 is not None:
            self.channels["conv8"] = self.n_outputs

    @classmethod
    def prepare(cls, y, sr: float) -> torch.Tensor:
        """A waveform in ``[-1, 1]`` at ``sr`` Hz -> float32 tensor at 22,050 Hz scaled by 256.

        ``y``: ``(n,)`` or ``(B, n)`` samples (NumPy or torch). Resampled with
        ``scipy.signal.resample_poly`` by the exact ratio ``22050 / sr`` (16 kHz: up 441,
        down 320), then multiplied by 256: the original Torch code reads samples in
        ``[-1, 1]`` and scales them to ``[-256, 256]``, the range its weights were trained on.

        Taught in ``12_liu_bimodal_audio_video``.
        """
        from scipy.signal import resample_poly
        where = "SoundNet.prepare"
        sr = as_sample_rate(sr, where=where)
        y = as_signal(y, "y", where=where, ndim=(1, 2))
        ratio = Fraction(cls.SAMPLE_RATE) / Fraction(sr).limit_denominator(1_000_000)
        if ratio != 1:
            y = resample_poly(y, ratio.numerator, ratio.denominator, axis=-1)
        return torch.as_tensor(np.ascontiguousarray(y * cls.SCALE), dtype=torch.float32)

    def _input(self, x) -> torch.Tensor:
        where = "SoundNet"
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise WrongTypeError(message("x", "a float tensor of samples shaped (batch, 1, samples) or "
                                         "(batch, samples)", x, where=where))
        if x.ndim == 2:
            x = x.unsqueeze(1)
        if x.ndim != 3 or x.shape[1] != 1:
            raise WrongShapeError(message("x", "shaped (batch, 1, samples) or (batch, samples)",
                                          f"shape {tuple(x.shape)}", where=where, describe=False,
                                          hint="mono audio at 22,050 Hz; see SoundNet.prepare"))
        return x

    def activations(self, x: torch.Tensor) -> dict:
        """Every layer's output ``(B, C, T)`` by name (``"conv1"`` ... ``"conv7"``, and ``"conv8"`` if built)."""
        x = self._input(x)
        out = {}
        for name, layer in self.layers.items():
            x = layer(x)
            out[name] = x
        if self.conv8 is not None:
            need = self.CONV8[0]
            if x.shape[-1] < need:
                x = F.pad(x, (0, need - x.shape[-1]))
            out["conv8"] = self.conv8(x)
        return out

    def features(self, x: torch.Tensor, layer: str = "conv7") -> torch.Tensor:
        """The activations of ``layer`` averaged over time: ``(B, C)``."""
        as_choice(layer, "layer", tuple(self.channels), where="SoundNet.features")
        return self.activations(x)[layer].mean(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv8 is None:
            raise InputError(message("n_outputs", "set (an int) for forward: conv8 gives the outputs", None,
                                     where="SoundNet", hint="use features(x) for embeddings"))
        return self.activations(x)["conv8"].mean(dim=-1)


# ---------------------------------------------------------------------------------------
# Eq. 8-11: the video encoder
# ---------------------------------------------------------------------------------------


class VideoEncoder(nn.Module):
    """Frame features -> a tanh RNN (Eq. 8) -> an LSTM (Eq. 9-11), Liu et al. (2025).

    Shapes: ``x`` ``(B, T, in_dim)`` (one feature vector per video frame) -> RNN states
    ``(B, T, rnn_hidden)`` (``h_t = tanh(W x_t + U h_{t-1} + b)``, Eq. 8) -> LSTM states
    ``(B, T, lstm_hidden)`` (input, forget and output gates and the cell update, Eq. 9-11),
    returned by ``forward(x, mask=None)``. ``pooled(x, mask=None)`` -> the video feature
    ``X^b`` ``(B, lstm_hidden)``: the mean of the states over the real frames
    (``pool="mean"``) or the state at the last real frame (``pool="last"``). ``mask``
    ``(B, T)`` bool, ``True`` at real frames (padding at the end).

    Paper: an RNN with 128 hidden units and an LSTM with 256 units, their connection not
    said; we: stacked (the RNN's states are the LSTM's input), sizes as arguments
    (``rnn_hidden=128``, ``lstm_hidden=256``; smaller teaching sizes train faster).

    Taught in ``12_liu_bimodal_audio_video``.
    """

    POOLS = ("mean", "last")

    def __init__(self, in_dim: int, rnn_hidden: int = 128, lstm_hidden: int = 256, pool: str = "mean"):
        super().__init__()
        where = "VideoEncoder"
        self.in_dim = as_int(in_dim, "in_dim", minimum=1, where=where)
        self.rnn_hidden = as_int(rnn_hidden, "rnn_hidden", minimum=1, where=where)
        self.lstm_hidden = as_int(lstm_hidden, "lstm_hidden", minimum=1, where=where)
        self.pool = as_choice(pool, "pool", self.POOLS, where=where)
        self.rnn = nn.RNN(self.in_dim, self.rnn_hidden, nonlinearity="tanh", batch_first=True)     # Eq. 8
        self.lstm = nn.LSTM(self.rnn_hidden, self.lstm_hidden, batch_first=True)                    # Eq. 9-11

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = _check_sequence(x, "x", self.in_dim, "VideoEncoder")
        _check_mask(mask, "mask", x.shape[:2], "VideoEncoder", x.device)
        h, _ = self.rnn(x)
        states, _ = self.lstm(h)
        return states

    def summarise(self, states: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """LSTM states ``(B, T, lstm_hidden)`` -> ``(B, lstm_hidden)`` by the encoder's ``pool``."""
        mask = _check_mask(mask, "mask", states.shape[:2], "VideoEncoder", states.device)
        if self.pool == "mean":
            return _masked_mean(states, mask)
        if mask is None:
            return states[:, -1]
        last = (mask.long().sum(dim=1) - 1).clamp(min=0)                  # the LSTM is causal: padding after
        return states[torch.arange(states.shape[0], device=states.device), last]

    def pooled(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Frames ``(B, T, in_dim)`` -> the video feature ``X^b`` ``(B, lstm_hidden)``."""
        return self.summarise(self.forward(x, mask), mask)


# ---------------------------------------------------------------------------------------
# Eq. 12-15: cross-modal attention
# ---------------------------------------------------------------------------------------


class CrossModalAttention(nn.Module):
    """Cross-modal attention in both directions, Liu et al. (2025), Eq. 12-15.

    Shapes: ``audio_tokens`` ``(B, Ta, audio_dim)``, ``video_tokens`` ``(B, Tv, video_dim)``.

    * Eq. 12: ``X~ = M X + a``, both projected to ``(B, T, common_dim)`` (``d_u = 128``;
      layers ``project_audio``, ``project_video``; ``project_audio=False`` skips the audio
      projection when the tokens are already in the common space, then ``audio_dim`` must
      equal ``common_dim``).
    * Eq. 13-14: ``CMA(x, y) = softmax(Q K^T / sqrt(d)) X~_y`` with queries
      ``Q = W_q X~_x`` and keys ``K = W_k X~_y`` of width ``attention_dim`` (``d = 64``;
      per head ``attention_dim / heads``) and the projected ``X~_y`` as the values
      (:func:`mer_lessons.models.blocks.scaled_dot_product_attention`). ``X_ab = CMA(a, b)``:
      audio asks, video answers ``(B, Ta, common_dim)``; ``X_ba = CMA(b, a)``
      ``(B, Tv, common_dim)``. Each direction has its own query and key layers.
    * Eq. 15: ``X_m = X_ab (+) X_ba``: each mean-pooled over its (real) query steps and
      concatenated: ``forward`` returns ``X_m`` ``(B, 2 * common_dim)``.

    ``audio_mask`` ``(B, Ta)`` / ``video_mask`` ``(B, Tv)`` (bool, ``True`` at real steps):
    a masked step gets attention weight 0 as a key and is left out of its direction's mean.
    After each call ``weights_audio_to_video`` ``(B, Ta, Tv)`` and
    ``weights_video_to_audio`` ``(B, Tv, Ta)`` hold the weights (detached, averaged over the
    heads; each row sums to 1 over the real keys). ``common_dim`` and ``attention_dim``
    must be divisible by ``heads``.

    Paper: Eq. 13-14 are garbled as printed; we: the usual reading (queries from ``x``,
    keys and values from ``y``), one head, no residual or normalisation (none is printed).

    Taught in ``12_liu_bimodal_audio_video``.
    """

    def __init__(self, audio_dim: int, video_dim: int, common_dim: int = 128, attention_dim: int = 64,
                 heads: int = 1, *, project_audio: bool = True):
        super().__init__()
        where = "CrossModalAttention"
        self.audio_dim = as_int(audio_dim, "audio_dim", minimum=1, where=where)
        self.video_dim = as_int(video_dim, "video_dim", minimum=1, where=where)
        self.common_dim = as_int(common_dim, "common_dim", minimum=1, where=where)
        self.attention_dim = as_int(attention_dim, "attention_dim", minimum=1, where=where)
        self.heads = as_int(heads, "heads", minimum=1, where=where)
        _flag(project_audio, "project_audio", where)
        for name, value in (("common_dim", self.common_dim), ("attention_dim", self.attention_dim)):
            if value % self.heads:
                raise InputError(message(name, f"divisible by heads={self.heads}", value, where=where))
        if not project_audio and self.audio_dim != self.common_dim:
            raise InputError(message("audio_dim", f"equal to common_dim={self.common_dim} when project_audio=False",
                                     self.audio_dim, where=where))
        self.project_audio = nn.Linear(self.audio_dim, self.common_dim) if project_audio else nn.Identity()  # Eq. 12
        self.project_video = nn.Linear(self.video_dim, self.common_dim)                                     # Eq. 12
        self.query_audio = nn.Linear(self.common_dim, self.attention_dim)        # CMA(a, b): audio queries
        self.key_video = nn.Linear(self.common_dim, self.attention_dim)          #   video keys
        self.query_video = nn.Linear(self.common_dim, self.attention_dim)        # CMA(b, a): video queries
        self.key_audio = nn.Linear(self.common_dim, self.attention_dim)          #   audio keys
        self.weights_audio_to_video: Optional[torch.Tensor] = None
        self.weights_video_to_audio: Optional[torch.Tensor] = None

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, steps, d = t.shape
        return t.reshape(b, steps, self.heads, d // self.heads).transpose(1, 2)          # (B, h, T, d/h)

    def _cma(self, q_in, k_in, v_in, key_mask):
        q, k, v = self._split(q_in), self._split(k_in), self._split(v_in)
        mask = None if key_mask is None else key_mask[:, None, None, :]
        out, weights = scaled_dot_product_attention(q, k, v, mask=mask)                  # Eq. 13-14
        b, _, steps, _ = out.shape
        return out.transpose(1, 2).reshape(b, steps, self.common_dim), weights.mean(dim=1)

    def forward(self, audio_tokens: torch.Tensor, video_tokens: torch.Tensor,
                audio_mask: Optional[torch.Tensor] = None, video_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        where = "CrossModalAttention"
        audio_tokens = _check_sequence(audio_tokens, "audio_tokens", self.audio_dim, where)
        video_tokens = _check_sequence(video_tokens, "video_tokens", self.video_dim, where,
                                       batch=audio_tokens.shape[0])
        audio_mask = _check_mask(audio_mask, "audio_mask", audio_tokens.shape[:2], where, audio_tokens.device)
        video_mask = _check_mask(video_mask, "video_mask", video_tokens.shape[:2], where, video_tokens.device)
        a = self.project_audio(audio_tokens)                                              # X~_a (B, Ta, d_u)
        v = self.project_video(video_tokens)                                              # X~_b (B, Tv, d_u)
        x_ab, w_ab = self._cma(self.query_audio(a), self.key_video(v), v, video_mask)     # (B, Ta, d_u)
        x_ba, w_ba = self._cma(self.query_video(v), self.key_audio(a), a, audio_mask)     # (B, Tv, d_u)
        self.weights_audio_to_video = w_ab.detach()
        self.weights_video_to_audio = w_ba.detach()
        return torch.cat([_masked_mean(x_ab, audio_mask), _masked_mean(x_ba, video_mask)], dim=-1)   # Eq. 15

    def extra_repr(self) -> str:
        return f"common_dim={self.common_dim}, attention_dim={self.attention_dim}, heads={self.heads}"


# ---------------------------------------------------------------------------------------
# Eq. 16-18: reconstruction
# ---------------------------------------------------------------------------------------


class Reconstruction(nn.Module):
    """The reconstruction networks ``G_phi`` and ``L_REC``, Liu et al. (2025), Eq. 16-18.

    Shapes: the fused ``x_m`` ``(B, fused_dim)`` -> ``r_a`` ``(B, audio_dim)`` (layer
    ``to_audio``) and ``r_b`` ``(B, video_dim)`` (layer ``to_video``), each
    Linear -> ReLU -> Linear with ``hidden`` units; ``forward(x_m)`` returns
    ``(r_a, r_b)``. ``loss(x_m, x_a, x_b)`` -> the scalar
    ``MSE(r_a, x_a) + MSE(r_b, x_b)`` (Eq. 18 as intended; each term a mean over the
    elements, so the scale does not depend on the batch size or the feature widths).

    Paper: Eq. 16-17 print ``r = sigma(W X_m + b)``, and Eq. 18 compares ``X^a`` with
    ``X^b`` (a misprint); we: a hidden ReLU layer and no squashing sigmoid, because our
    targets are z-scored features that a sigmoid cannot reach, and each modality compared
    with its own reconstruction.

    Taught in ``12_liu_bimodal_audio_video``.
    """

    def __init__(self, fused_dim: int, audio_dim: int, video_dim: int, hidden: int = 128):
        super().__init__()
        where = "Reconstruction"
        self.fused_dim = as_int(fused_dim, "fused_dim", minimum=1, where=where)
        self.audio_dim = as_int(audio_dim, "audio_dim", minimum=1, where=where)
        self.video_dim = as_int(video_dim, "video_dim", minimum=1, where=where)
        hidden = as_int(hidden, "hidden", minimum=1, where=where)
        self.to_audio = nn.Sequential(nn.Linear(self.fused_dim, hidden), nn.ReLU(), nn.Linear(hidden, self.audio_dim))
        self.to_video = nn.Sequential(nn.Linear(self.fused_dim, hidden), nn.ReLU(), nn.Linear(hidden, self.video_dim))

    def forward(self, x_m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x_m, torch.Tensor) or x_m.ndim != 2 or x_m.shape[-1] != self.fused_dim:
            raise WrongShapeError(message("x_m", f"a float tensor shaped (batch, {self.fused_dim})", x_m,
                                          where="Reconstruction"))
        return self.to_audio(x_m), self.to_video(x_m)                                   # Eq. 16-17

    def loss(self, x_m: torch.Tensor, x_a: torch.Tensor, x_b: torch.Tensor) -> torch.Tensor:
        """``MSE(r_a, x_a) + MSE(r_b, x_b)``: Eq. 18 as intended (a scalar)."""
        r_a, r_b = self.forward(x_m)
        for name, t, r in (("x_a", x_a, r_a), ("x_b", x_b, r_b)):
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != tuple(r.shape):
                raise WrongShapeError(message(name, f"a tensor shaped {tuple(r.shape)}", t,
                                              where="Reconstruction.loss"))
        return F.mse_loss(r_a, x_a) + F.mse_loss(r_b, x_b)                              # Eq. 18


# ---------------------------------------------------------------------------------------
# Eq. 20-21: the losses, shared by the models
# ---------------------------------------------------------------------------------------


class _Losses:
    """``losses(out, y)`` for the models here (Eq. 20-21)."""

    LOSSES = ("l1", "ce")

    def _unimodal_outputs(self, out) -> list:
        return []

    def reconstruction_term(self, out: Mapping) -> torch.Tensor:
        """``L_REC`` of a forward's output dict (a zero scalar without a reconstruction module)."""
        rec = getattr(self, "reconstruction", None)
        if rec is None or out.get("x_m") is None:
            return out["probs"].new_zeros(())
        return rec.loss(out["x_m"], out["x_a"].detach(), out["x_b"].detach())

    def losses(self, out: Mapping, y: torch.Tensor, *, loss: str = "l1", unimodal_weight: float = 0.5) -> dict:
        """Eq. 20-21: ``{"total", "classification", "reconstruction"}`` (scalar tensors).

        ``y``: class indices ``(B,)``. ``loss="l1"``: ``mean_batch sum_classes |y^ - onehot(y)|``
        plus ``unimodal_weight`` times the same for ``y_a`` and ``y_v`` (decision fusion
        only). ``loss="ce"``: the cross-entropy ``-log y^[y]`` plus the same unimodal
        cross-entropy terms. ``total = classification + reconstruction``.

        Taught in ``12_liu_bimodal_audio_video``.
        """
        where = "losses"
        as_choice(loss, "loss", self.LOSSES, where=where)
        unimodal_weight = as_float(unimodal_weight, "unimodal_weight", minimum=0, where=where)
        probs = out["probs"]
        y = _check_targets(y, probs, where)
        classification = _classification(probs, y, loss)
        for p in self._unimodal_outputs(out):
            classification = classification + unimodal_weight * _classification(p, y, loss)
        reconstruction = self.reconstruction_term(out)
        return {"total": classification + reconstruction, "classification": classification,
                "reconstruction": reconstruction}


def _check_targets(y, probs, where: str) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != probs.shape[0] or y.is_floating_point():
        raise WrongShapeError(message("y", f"a long tensor of class indices shaped ({probs.shape[0]},)", y,
                                      where=where))
    if bool(((y < 0) | (y >= probs.shape[1])).any()):
        raise InputError(message("y", f"class indices in [0, {probs.shape[1] - 1}]", y, where=where))
    return y.long()


def _classification(probs: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "l1":                                                                    # Eq. 20
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        return (probs - onehot).abs().sum(dim=1).mean()
    return F.nll_loss(torch.log(probs.clamp_min(1e-12)), y)


# ---------------------------------------------------------------------------------------
# the whole model
# ---------------------------------------------------------------------------------------


class LiuNet(_Losses, nn.Module):
    """Liu et al. (2025)'s bimodal model: audio groups + video frames -> nine emotion probabilities.

    ``forward(audio, video, video_mask=None)``: ``audio`` a dict ``{group: (B, D_g)}`` with
    the groups of ``audio_dims`` (Eq. 7: e.g. MFCC means, openSMILE functionals, SoundNet
    features), ``video`` the frame features ``(B, T, video_dim)`` and ``video_mask``
    ``(B, T)`` bool (``True`` at real frames). Steps:

    1. ``x_a`` ``(B, sum D_g)``: the groups concatenated (``X^a``, Eq. 7); each group is
       also projected by its own ``Linear`` (``audio_projections``) to a token of width
       ``common_dim``: ``Ta = len(audio_dims)`` audio tokens (our reading of Eq. 12 for
       groups of different sizes).
    2. :class:`VideoEncoder` (Eq. 8-11): states ``(B, T, lstm_hidden)`` and ``x_b``
       ``(B, lstm_hidden)``, their mean over the real frames (``X^b``).
    3. :class:`CrossModalAttention` (Eq. 12-15): ``x_m`` ``(B, 2 * common_dim)``. With
       ``cma=False`` (the "without CMA" ablation): ``x_m`` is the mean of the audio tokens
       concatenated with ``x_b``, ``(B, common_dim + lstm_hidden)``, no attention.
    4. Three classifiers (Linear -> ReLU -> dropout -> Linear -> softmax, hidden
       ``common_dim``): ``y_m`` from ``x_m``, ``y_a`` from ``x_a``, ``y_v`` from ``x_b``,
       fused by :func:`decision_fusion` (Eq. 19, ``beta``, ``chi``) into ``probs``.
    5. :class:`Reconstruction` (Eq. 16-18) maps ``x_m`` back to ``x_a`` and ``x_b``; its
       loss enters :meth:`losses` (``reconstruction=False``: no module, loss 0).

    Returns ``{"probs": (B, C), "y_m", "y_a", "y_v": (B, C) or None, "x_m", "x_a", "x_b"}``.
    Switches: ``fusion="feature"``: one classifier on ``concat(x_a, x_b)`` gives ``probs``
    (feature-level fusion; no ``y_m``/``y_a``/``y_v``, no decision fusion; ``x_m`` is then
    only read by the reconstruction loss); ``modalities=("audio",)`` or ``("video",)``:
    only that branch and its classifier (``probs`` is ``y_a`` or ``y_v``; ``cma`` and
    ``reconstruction`` are then off whatever they are set to). :meth:`losses` gives
    Eq. 20-21 (``loss="l1"``, the paper's, or ``"ce"``).

    Paper: sizes 128 (projection), 64 (attention), 128 (RNN), 256 (LSTM), ``beta = 0.6``,
    ``chi = 0.4``; the classifiers, dropout and pooling are not described; we: these
    defaults, dropout 0.2 in the classifiers, mean pooling, and the per-group projections.

    Taught in ``12_liu_bimodal_audio_video``.
    """

    pretrained = False
    FUSIONS = ("decision", "feature")
    MODALITIES = ("audio", "video")

    def __init__(self, audio_dims: Mapping[str, int], video_dim: int, n_classes: int = 9, common_dim: int = 128,
                 attention_dim: int = 64, rnn_hidden: int = 128, lstm_hidden: int = 256, beta: float = 0.6,
                 chi: float = 0.4, cma: bool = True, reconstruction: bool = True, fusion: str = "decision",
                 modalities: Sequence[str] = ("audio", "video"), dropout: float = 0.2, heads: int = 1):
        nn.Module.__init__(self)
        where = "LiuNet"
        self.audio_dims = _audio_dims(audio_dims, where)
        self.video_dim = as_int(video_dim, "video_dim", minimum=1, where=where)
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        self.common_dim = as_int(common_dim, "common_dim", minimum=1, where=where)
        self.beta = as_float(beta, "beta", minimum=0, where=where)
        self.chi = as_float(chi, "chi", minimum=0, where=where)
        self.fusion = as_choice(fusion, "fusion", self.FUSIONS, where=where)
        if isinstance(modalities, str) or not modalities:
            raise WrongTypeError(message("modalities", "a non-empty tuple such as ('audio', 'video') or ('audio',)",
                                         modalities, where=where))
        modalities = tuple(modalities)
        for m in modalities:
            as_choice(m, "modalities", self.MODALITIES, where=where)
        if len(set(modalities)) != len(modalities):
            raise InputError(message("modalities", "without repeats", modalities, where=where))
        self.modalities = tuple(m for m in self.MODALITIES if m in modalities)
        dropout = as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where)
        bimodal = len(self.modalities) == 2
        self.cma = _flag(cma, "cma", where) and bimodal
        self.use_reconstruction = _flag(reconstruction, "reconstruction", where) and bimodal
        self.audio_total = sum(self.audio_dims.values())
        lstm_hidden = as_int(lstm_hidden, "lstm_hidden", minimum=1, where=where)
        has_audio, has_video = "audio" in self.modalities, "video" in self.modalities

        self.audio_projections = (nn.ModuleDict({g: nn.Linear(d, self.common_dim) for g, d in self.audio_dims.items()})
                                  if bimodal else None)
        self.video_encoder = VideoEncoder(self.video_dim, rnn_hidden, lstm_hidden) if has_video else None
        self.lstm_hidden = lstm_hidden
        self.attention = (CrossModalAttention(self.common_dim, lstm_hidden, self.common_dim, attention_dim, heads,
                                              project_audio=False) if self.cma else None)
        fused_dim = 2 * self.common_dim if self.cma else self.common_dim + lstm_hidden
        self.fused_dim = fused_dim if bimodal else 0
        self.reconstruction = (Reconstruction(fused_dim, self.audio_total, lstm_hidden, hidden=self.common_dim)
                               if self.use_reconstruction else None)
        decision = self.fusion == "decision" or not bimodal
        self.head_m = _head(fused_dim, self.common_dim, self.n_classes, dropout) if bimodal and decision else None
        self.head_a = (_head(self.audio_total, self.common_dim, self.n_classes, dropout)
                       if has_audio and decision else None)
        self.head_v = _head(lstm_hidden, self.common_dim, self.n_classes, dropout) if has_video and decision else None
        self.head_feature = (_head(self.audio_total + lstm_hidden, self.common_dim, self.n_classes, dropout)
                             if bimodal and not decision else None)

    def _unimodal_outputs(self, out) -> list:
        if self.head_m is None:
            return []
        return [out[k] for k in ("y_a", "y_v") if out.get(k) is not None]

    def _audio(self, audio, batch: Optional[int]) -> tuple[torch.Tensor, list]:
        where = "LiuNet"
        if not isinstance(audio, Mapping):
            raise WrongTypeError(message("audio", f"a dict {{group: (batch, width)}} with groups "
                                         f"{list(self.audio_dims)}", audio, where=where))
        missing = [g for g in self.audio_dims if g not in audio]
        if missing:
            raise InputError(message("audio", f"a dict with the groups {list(self.audio_dims)}",
                                     f"groups {sorted(audio)}", where=where, describe=False))
        parts = []
        for g, d in self.audio_dims.items():
            t = audio[g]
            if not isinstance(t, torch.Tensor) or t.ndim != 2 or t.shape[1] != d or not t.is_floating_point() or (
                    batch is not None and t.shape[0] != batch):
                raise WrongShapeError(message(f"audio[{g!r}]", f"a float tensor shaped "
                                              f"({'batch' if batch is None else batch}, {d})", t, where=where))
            batch = t.shape[0]
            parts.append(t)
        return torch.cat(parts, dim=1), parts

    def forward(self, audio: Optional[Mapping[str, torch.Tensor]] = None, video: Optional[torch.Tensor] = None,
                video_mask: Optional[torch.Tensor] = None) -> dict:
        where = "LiuNet"
        out = {"probs": None, "y_m": None, "y_a": None, "y_v": None, "x_m": None, "x_a": None, "x_b": None}
        states = mask = None
        if "video" in self.modalities:
            if video is None:
                raise InputError(message("video", f"frame features shaped (batch, frames, {self.video_dim})", None,
                                         where=where))
            video = _check_sequence(video, "video", self.video_dim, where)
            mask = _check_mask(video_mask, "video_mask", video.shape[:2], where, video.device)
            states = self.video_encoder(video, mask)                                     # Eq. 8-11
            out["x_b"] = self.video_encoder.summarise(states, mask)                     # X^b
        if "audio" in self.modalities:
            if audio is None:
                raise InputError(message("audio", f"a dict with the groups {list(self.audio_dims)}", None,
                                         where=where))
            out["x_a"], parts = self._audio(audio, None if video is None else video.shape[0])   # X^a, Eq. 7
        if len(self.modalities) == 2:
            tokens = torch.stack([self.audio_projections[g](p) for g, p in zip(self.audio_dims, parts)], dim=1)
            if self.attention is not None:
                out["x_m"] = self.attention(tokens, states, video_mask=mask)             # Eq. 12-15
            else:
                out["x_m"] = torch.cat([tokens.mean(dim=1), out["x_b"]], dim=1)
        if self.head_feature is not None:
            out["probs"] = torch.softmax(self.head_feature(torch.cat([out["x_a"], out["x_b"]], dim=1)), dim=1)
            return out
        if self.head_a is not None:
            out["y_a"] = torch.softmax(self.head_a(out["x_a"]), dim=1)
        if self.head_v is not None:
            out["y_v"] = torch.softmax(self.head_v(out["x_b"]), dim=1)
        if self.head_m is None:
            out["probs"] = out["y_a"] if out["y_a"] is not None else out["y_v"]
            return out
        out["y_m"] = torch.softmax(self.head_m(out["x_m"]), dim=1)
        out["probs"] = decision_fusion(out["y_m"], out["y_a"], out["y_v"], self.beta, self.chi)   # Eq. 19
        return out


class LSTMBaseline(_Losses, nn.Module):
    """The paper's "LSTM" comparison method (Zhang et al.), our stand-in: LSTM over frames + audio groups -> MLP.

    ``forward(audio, video, video_mask=None)`` with the inputs of :class:`LiuNet`: an LSTM
    (``lstm_hidden`` units) reads the frames ``(B, T, video_dim)``; its state at the last
    real frame ``(B, lstm_hidden)`` is concatenated with the audio groups
    ``(B, sum D_g)`` and an MLP (Linear -> ReLU -> dropout -> Linear, ``hidden`` units)
    gives the probabilities ``(B, C)``. Returns the dict of :class:`LiuNet` (``probs``,
    ``x_a``, ``x_b``; the rest ``None``); :meth:`losses` has no unimodal or
    reconstruction terms.

    Paper: "LSTM" is cited, not described; we: the simplest audio-video LSTM model.

    Taught in ``12_liu_bimodal_audio_video``.
    """

    pretrained = False

    def __init__(self, audio_dims: Mapping[str, int], video_dim: int, n_classes: int = 9, lstm_hidden: int = 256,
                 hidden: int = 128, dropout: float = 0.2):
        nn.Module.__init__(self)
        where = "LSTMBaseline"
        self.audio_dims = _audio_dims(audio_dims, where)
        self.video_dim = as_int(video_dim, "video_dim", minimum=1, where=where)
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        lstm_hidden = as_int(lstm_hidden, "lstm_hidden", minimum=1, where=where)
        hidden = as_int(hidden, "hidden", minimum=1, where=where)
        dropout = as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where)
        self.lstm = nn.LSTM(self.video_dim, lstm_hidden, batch_first=True)
        self.head = _head(sum(self.audio_dims.values()) + lstm_hidden, hidden, self.n_classes, dropout)
        self.modalities = ("audio", "video")

    def forward(self, audio: Mapping[str, torch.Tensor], video: torch.Tensor,
                video_mask: Optional[torch.Tensor] = None) -> dict:
        where = "LSTMBaseline"
        video = _check_sequence(video, "video", self.video_dim, where)
        mask = _check_mask(video_mask, "video_mask", video.shape[:2], where, video.device)
        x_a, _ = LiuNet._audio(self, audio, video.shape[0])
        states, _ = self.lstm(video)
        last = (states.shape[1] - 1 if mask is None else (mask.long().sum(dim=1) - 1).clamp(min=0))
        x_b = states[:, -1] if mask is None else states[torch.arange(states.shape[0], device=states.device), last]
        probs = torch.softmax(self.head(torch.cat([x_a, x_b], dim=1)), dim=1)
        return {"probs": probs, "y_m": None, "y_a": None, "y_v": None, "x_m": None, "x_a": x_a, "x_b": x_b}


# ---------------------------------------------------------------------------------------
# the course's training loop
# ---------------------------------------------------------------------------------------


class WindowInputs(nn.Module):
    """A :class:`LiuNet` (or :class:`LSTMBaseline`) that reads the course's dict of window inputs.

    The course's trainers (:func:`mer_lessons.evaluation.train_window_model`) hand a model
    a dict ``{name: (B, steps, D)}``. This wrapper reads the audio groups (``audio``: the
    input names, default the model's ``audio_dims`` keys; each ``(B, 1, D_g)``, or
    ``(B, steps, D_g)`` averaged over the steps), the frames ``video`` ``(B, T, Dv)`` and,
    if ``video_mask`` names one, a mask input ``(B, T, 1)`` (1 at real frames). ``forward(x)``
    -> ``log(y^)`` ``(B, C)``, the log of the fused probabilities, so that the loop's
    default cross-entropy is the negative log-likelihood of ``y^`` and ``argmax`` is the
    predicted class; the whole output dict stays in :attr:`last_outputs`.
    ``predict_proba(x)`` -> ``y^`` ``(B, C)``.

    The loss of Eq. 20-21 reaches the loop in two parts: :meth:`loss_fn` ``(output, y)``,
    the classification term (``loss="l1"``: Eq. 20's L1 on ``exp(output)`` plus
    ``unimodal_weight`` times the unimodal terms of the last forward; ``loss="ce"``: the
    negative log-likelihood plus the same unimodal terms), which the chapter passes with
    ``train_options={"loss_fn": "model"}``; and :meth:`auxiliary_loss` ``(x)``, the
    reconstruction loss of the last forward, which the loop adds by itself. Without
    ``loss_fn="model"`` the loop trains the NLL of ``y^`` plus the reconstruction loss.

    Paper: Eq. 20-21 as one loss; we: split in two so that the course's loop can add them.

    Taught in ``12_liu_bimodal_audio_video``.
    """

    def __init__(self, model: nn.Module, *, audio: Optional[Sequence[str]] = None, video: str = "video",
                 video_mask: Optional[str] = None, loss: str = "l1", unimodal_weight: float = 0.5):
        super().__init__()
        where = "WindowInputs"
        if not isinstance(model, (LiuNet, LSTMBaseline)):
            raise WrongTypeError(message("model", "a LiuNet or LSTMBaseline", model, where=where))
        self.model = model
        groups = list(model.audio_dims)
        self.audio = groups if audio is None else [str(a) for a in audio]
        if len(self.audio) != len(groups):
            raise InputError(message("audio", f"{len(groups)} input names, one per group {groups}", audio,
                                     where=where))
        self.video, self.video_mask = video, video_mask
        self.loss = as_choice(loss, "loss", _Losses.LOSSES, where=where)
        self.unimodal_weight = as_float(unimodal_weight, "unimodal_weight", minimum=0, where=where)
        self.last_outputs: Optional[dict] = None

    @property
    def beta(self) -> float:
        """The wrapped model's audio weight of Eq. 19 (settable: an evaluation-time sweep, e.g.
        :func:`mer_lessons.evaluation.attribute_sweep`); NaN for a model without decision fusion."""
        return getattr(self.model, "beta", float("nan"))

    @beta.setter
    def beta(self, value: float) -> None:
        self._set_fusion_weight("beta", value)

    @property
    def chi(self) -> float:
        """The wrapped model's video weight of Eq. 19 (settable, like :attr:`beta`)."""
        return getattr(self.model, "chi", float("nan"))

    @chi.setter
    def chi(self, value: float) -> None:
        self._set_fusion_weight("chi", value)

    def _set_fusion_weight(self, name: str, value: float) -> None:
        if not hasattr(self.model, name):
            raise AttributeError(f"WindowInputs: the wrapped {type(self.model).__name__} has no decision-fusion "
                                 f"weight {name!r}")
        setattr(self.model, name, as_float(value, name, minimum=0, where=f"WindowInputs.{name}"))

    def _get(self, batch, key: str) -> torch.Tensor:
        if key not in batch:
            raise InputError(message("batch", f"an input named {key!r}", f"inputs {sorted(batch)}",
                                     where="WindowInputs", describe=False))
        return batch[key]

    def outputs(self, batch: Mapping[str, torch.Tensor]) -> dict:
        """The wrapped model's output dict for ``batch`` (also kept in :attr:`last_outputs`)."""
        modalities = self.model.modalities
        audio = video = mask = None
        if "audio" in modalities:
            audio = {}
            for group, key in zip(self.model.audio_dims, self.audio):
                t = self._get(batch, key)
                audio[group] = t.mean(dim=1) if t.ndim == 3 else t
        if "video" in modalities:
            video = self._get(batch, self.video)
            if self.video_mask is not None:
                mask = self._get(batch, self.video_mask)
                mask = (mask[..., 0] if mask.ndim == 3 else mask) > 0.5
        out = self.model(audio, video, mask)
        self.last_outputs = out
        return out

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.log(self.outputs(batch)["probs"].clamp_min(1e-12))

    @torch.no_grad()
    def predict_proba(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The fused probabilities ``y^`` ``(B, C)`` (eval mode is the caller's business)."""
        return self.outputs(batch)["probs"]

    def loss_fn(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Eq. 20 (``loss="l1"``) or the NLL (``"ce"``) of ``output = log y^``, plus the unimodal terms."""
        probs = output.exp()
        y = _check_targets(y, probs, "WindowInputs.loss_fn")
        value = _classification(probs, y, self.loss) if self.loss == "l1" else F.nll_loss(output, y)
        if self.last_outputs is not None and self.last_outputs["probs"].shape == probs.shape:
            for p in self.model._unimodal_outputs(self.last_outputs):
                value = value + self.unimodal_weight * _classification(p, y, self.loss)
        return value

    def auxiliary_loss(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The reconstruction loss (Eq. 18) of the last forward (0 without a reconstruction module)."""
        if self.last_outputs is None:
            return torch.zeros(())
        return self.model.reconstruction_term(self.last_outputs)


# ---------------------------------------------------------------------------------------
# every variant by name
# ---------------------------------------------------------------------------------------

#: The model variants of :func:`build` -> the :class:`LiuNet` switches they set.
NAMES = {
    "proposed": {},
    "without CMA": {"cma": False},
    "without reconstruction": {"reconstruction": False},
    "audio only": {"modalities": ("audio",)},
    "video only": {"modalities": ("video",)},
    "feature-level fusion": {"fusion": "feature", "cma": False, "reconstruction": False},
    "LSTM baseline": None,
}

_WRAPPER_OPTIONS = ("loss", "unimodal_weight", "video", "video_mask", "audio")
_LIU_ONLY = ("attention_dim", "rnn_hidden", "beta", "chi", "heads", "cma", "reconstruction", "fusion", "modalities")


def build(name: str, dims: Mapping[str, int], n_classes: int = 9, **options) -> nn.Module:
    """A Liu et al. (2025) model variant by name, wrapped in :class:`WindowInputs`.

    ``name``: a key of :data:`NAMES` (case and surrounding spaces ignored): ``"proposed"``,
    the ablations ``"without CMA"``, ``"without reconstruction"``, ``"audio only"``,
    ``"video only"``, ``"feature-level fusion"`` (one classifier on the concatenated
    features, no attention, no reconstruction) and ``"LSTM baseline"``
    (:class:`LSTMBaseline`). ``dims``: the window input widths, e.g. ``{"mfcc": 13,
    "functionals": 384, "soundnet": 256, "video": 512}``: the ``video`` entry (name set by
    ``video=``) is the frame width, every other entry an audio group (a ``video_mask`` entry
    named by ``video_mask=`` is skipped). ``options``: ``loss``, ``unimodal_weight``,
    ``video``, ``video_mask`` go to :class:`WindowInputs`, the rest to :class:`LiuNet`
    (``common_dim=``, ``lstm_hidden=``, ``dropout=``, ...); for ``"LSTM baseline"``
    ``common_dim`` is the MLP's width and the LiuNet-only options (``attention_dim``,
    ``rnn_hidden``, ``beta``, ``chi``, ``heads``) are ignored, so one dict of sizes serves
    every name. An option that contradicts the name (``cma=True`` with ``"without CMA"``)
    raises :class:`~mer_lessons.validation.InputError`.

    Paper: the proposed algorithm, LSTM and DEAN (not built: not described); the ablations
    are ours (the paper reports none).

    Taught in ``12_liu_bimodal_audio_video``.
    """
    where = "build"
    names = tuple(NAMES)
    if not isinstance(name, str):
        raise WrongTypeError(message("name", "one of " + ", ".join(map(repr, names)), name, where=where))
    key = {n.lower(): n for n in names}.get(name.strip().lower(), name)
    as_choice(key, "name", names, where=where)
    if not isinstance(dims, Mapping):
        raise WrongTypeError(message("dims", "a dict {input name: width}", dims, where=where))
    wrapper = {k: options.pop(k) for k in _WRAPPER_OPTIONS if k in options}
    video_key = wrapper.get("video", "video")
    if video_key not in dims:
        raise InputError(message("dims", f"a dict with the frame width under {video_key!r}", dict(dims),
                                 where=where))
    skip = {video_key, wrapper.get("video_mask")}
    audio_dims = {k: v for k, v in dims.items() if k not in skip}
    if key == "LSTM baseline":
        for k in _LIU_ONLY:
            options.pop(k, None)
        if "common_dim" in options:
            options["hidden"] = options.pop("common_dim")
        model = LSTMBaseline(audio_dims, dims[video_key], n_classes, **options)
    else:
        fixed = NAMES[key]
        for k, v in fixed.items():
            if k in options and options[k] != v and not (k == "modalities" and tuple(options[k]) == v):
                raise InputError(message(k, f"{v!r} (or left out) for {key!r}", options[k], where=where))
        model = LiuNet(audio_dims, dims[video_key], n_classes, **{**options, **fixed})
    return WindowInputs(model, **wrapper)
