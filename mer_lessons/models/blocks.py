"""Network blocks that two or more papers share.

* :class:`Autoencoder` -- compress a feature vector to a code and reconstruct it, trained
  with a mean-squared reconstruction loss. Hao et al. compress each modality with one
  (Eq. 6-8); Kirar et al. take audio features from an autoencoder's bottleneck (Eq. 10);
  Liu et al. reconstruct each modality from the fused code (Eq. 16-18).
* :class:`AdditiveAttentionPooling` -- a learned weighted average over time,
  ``alpha = softmax_t(v^T tanh(W h_t + b))``: the "LSTM + attention" row of Hao et al.'s
  Table 3, and the pooling the attention chapters (Wang, Kirar et al.) build on.
* :func:`scaled_dot_product_attention` -- ``softmax(Q K^T / sqrt(d)) V`` written out with
  a matrix product and a softmax, returning the weights too: what ``nn.MultiheadAttention``
  and every Transformer layer compute inside (Vaswani et al., 2017, Eq. 1).
* :class:`CrossAttention` -- queries from one modality, keys and values from another,
  then a residual connection and LayerNorm: the cross-modal attention of Wang (chapter 10)
  and Liu et al. (chapter 12).
* :func:`sinusoidal_positions` / :class:`PositionalEncoding` -- the fixed sine/cosine
  position codes a Transformer adds to its input, since attention by itself ignores the
  order of the steps.
* :class:`SequencePool` -- ``(B, T, F)`` (or an RNN's ``(output, state)`` pair) to
  ``(B, F)`` by the mean, max or last step, so that recurrent and Transformer layers fit in
  an ``nn.Sequential`` classifier.
* :class:`ResNet50Backbone` -- ResNet-50 without its classifier (He et al., 2016),
  written out: Wang's audio branch reads a mel spectrogram with it (chapter 10), Kirar et
  al. read a summary image of a face video (chapter 11).
  :func:`load_torchvision_resnet50` fills it with a torchvision ImageNet checkpoint that is
  already on disk (:func:`torchvision_resnet50_state_dict_to_backbone` renames the keys);
  the course never downloads one.

Each paper's own architecture lives in its module (:mod:`mer_lessons.models.hao`, ...),
built from these blocks where they fit.

Taught in ``07_deep_learning_primer``, ``08_hao_realtime_fusion``,
``10_wang_crossmodal_transformer`` and ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.validation import InputError, WrongShapeError, WrongTypeError, as_int, message

__all__ = ["Autoencoder", "AdditiveAttentionPooling", "scaled_dot_product_attention", "CrossAttention",
           "sinusoidal_positions", "PositionalEncoding", "SequencePool", "ResNet50Backbone",
           "RESNET50_TORCHVISION_KEYS", "torchvision_resnet50_state_dict_to_backbone", "load_torchvision_resnet50"]


class Autoencoder(nn.Module):
    """A feature autoencoder: ``(..., in_dim)`` -> code ``(..., code_dim)`` -> ``(..., in_dim)``.

    ``encode``: ``Z = f_encoder(F)`` (Hao et al., Eq. 6/7), Linear -> ReLU -> Linear to
    ``code_dim``; ``decode`` mirrors it. ``reconstruction_loss(x)`` is Eq. 8,
    ``||F - F_hat||^2``, as a *mean* over elements (MSE): the same minimiser, a scale
    independent of batch and sequence length. Works on any leading shape. Paper: layer
    sizes and activations are not given; we: one hidden layer of ``hidden`` units.

    Taught in ``07_deep_learning_primer`` and ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, code_dim: int, hidden: int = 64):
        super().__init__()
        in_dim = as_int(in_dim, "in_dim", minimum=1, where="Autoencoder")
        code_dim = as_int(code_dim, "code_dim", minimum=1, where="Autoencoder")
        hidden = as_int(hidden, "hidden", minimum=1, where="Autoencoder")
        self.in_dim, self.code_dim = in_dim, code_dim
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, code_dim))
        self.decoder = nn.Sequential(nn.Linear(code_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, in_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_dim)`` -> code ``(..., code_dim)``."""
        if x.shape[-1] != self.in_dim:
            raise WrongShapeError(message("x", f"shaped (..., {self.in_dim})", f"shape {tuple(x.shape)}",
                                          where="Autoencoder.encode", describe=False,
                                          hint=f"expected last dim {self.in_dim}"))
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """code ``(..., code_dim)`` -> reconstruction ``(..., in_dim)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean squared error between ``x`` and its reconstruction (a scalar)."""
        return F.mse_loss(self.forward(x), x)


class AdditiveAttentionPooling(nn.Module):
    """Additive (Bahdanau-style) attention pooling over time.

    Shapes: states ``h`` ``(B, T, dim)``; scores ``e_t = v^T tanh(W h_t + b)`` ``(B, T)``;
    weights ``alpha = softmax_t(e)`` ``(B, T)``, each row summing to 1; context
    ``sum_t alpha_t h_t`` ``(B, dim)``. ``forward`` returns ``(context, alpha)``. With
    ``T = 1`` the single weight is exactly 1. ``attn_dim``: width of the scoring layer
    (default ``dim``).

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, dim: int, attn_dim: int | None = None):
        super().__init__()
        dim = as_int(dim, "dim", minimum=1, where="AdditiveAttentionPooling")
        attn_dim = dim if attn_dim is None else as_int(attn_dim, "attn_dim", minimum=1,
                                                       where="AdditiveAttentionPooling")
        self.dim = dim
        self.proj = nn.Linear(dim, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if h.ndim != 3 or h.shape[-1] != self.dim:
            raise WrongShapeError(message("h", f"shaped (batch, time, {self.dim})", f"shape {tuple(h.shape)}",
                                          where="AdditiveAttentionPooling", describe=False))
        scores = self.v(torch.tanh(self.proj(h))).squeeze(-1)          # (B, T)
        alpha = torch.softmax(scores, dim=1)
        context = torch.bmm(alpha.unsqueeze(1), h).squeeze(1)          # (B, dim)
        return context, alpha


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention written out: ``weights = softmax(q k^T / sqrt(d))``, ``out = weights v``.

    Shapes: queries ``q`` ``(..., Tq, d)``, keys ``k`` ``(..., Tk, d)``, values ``v``
    ``(..., Tk, dv)`` (any leading batch/head dimensions, broadcast like ``torch.matmul``).
    Returns ``(out, weights)``: ``out`` ``(..., Tq, dv)`` and ``weights`` ``(..., Tq, Tk)``,
    each row a probability distribution over the keys. Dividing by ``sqrt(d)`` keeps the
    scores' spread near 1 whatever the width ``d``, so the softmax does not saturate.

    ``mask`` (optional, bool, broadcastable to ``(..., Tq, Tk)``): ``True`` where a query
    may look at a key, ``False`` where it may not (padding, the future), the convention of
    ``torch.nn.functional.scaled_dot_product_attention``. Masked keys get weight exactly 0;
    a query with no allowed key gets all-zero weights and a zero output (PyTorch's own
    function returns ``nan`` there). Without a mask the result equals PyTorch's function.
    Vaswani et al. (2017), Eq. 1; Wang and Kirar et al. use it inside their Transformer
    and self-attention layers.

    Taught in ``07_deep_learning_primer``.
    """
    where = "scaled_dot_product_attention"
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.ndim < 2:
            raise WrongShapeError(message(name, "a tensor shaped (..., steps, features)",
                                          f"{type(t).__name__} of shape {tuple(getattr(t, 'shape', ()))}",
                                          where=where, describe=False))
    if q.shape[-1] != k.shape[-1]:
        raise WrongShapeError(message("k", f"shaped (..., Tk, {q.shape[-1]}) like q's last dimension",
                                      f"shape {tuple(k.shape)}", where=where, describe=False))
    if k.shape[-2] != v.shape[-2]:
        raise WrongShapeError(message("v", f"shaped (..., {k.shape[-2]}, dv): one value per key",
                                      f"shape {tuple(v.shape)}", where=where, describe=False))
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5              # (..., Tq, Tk)
    if mask is not None:
        mask = torch.as_tensor(mask, device=scores.device)
        if mask.dtype != torch.bool:
            raise WrongShapeError(message("mask", "a bool tensor (True: may attend)", f"dtype {mask.dtype}",
                                          where=where, describe=False))
        try:
            mask = torch.broadcast_to(mask, scores.shape)
        except RuntimeError:
            raise WrongShapeError(message("mask", f"broadcastable to {tuple(scores.shape)}",
                                          f"shape {tuple(mask.shape)}", where=where, describe=False)) from None
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)    # also turns rows with no allowed key (nan) into 0
    return weights @ v, weights


class CrossAttention(nn.Module):
    """Cross-modal attention: one modality asks, another answers; residual + LayerNorm.

    ``forward(x, context)``: queries from ``x`` ``(B, Tq, dim)`` (e.g. audio steps), keys
    and values from ``context`` ``(B, Tk, context_dim)`` (e.g. lyrics tokens or EEG steps;
    ``Tk`` may differ from ``Tq``). Multi-head attention (``heads`` heads of
    ``dim // heads`` features each, ``nn.MultiheadAttention``) gives for every query step a
    weighted mix of the context's values, projected back to ``dim``; it is added to ``x``
    (residual) and normalised: ``out = LayerNorm(x + Attention(x, context, context))``.
    Returns ``(out, weights)``: ``out`` ``(B, Tq, dim)``, ``weights`` ``(B, Tq, Tk)``
    averaged over the heads. ``key_padding_mask`` ``(B, Tk)`` bool, ``True`` at padded
    context steps, which then get weight 0 (the convention of ``nn.MultiheadAttention``).
    ``dim`` must be divisible by ``heads``. Wang (chapter 10) lets audio attend to lyrics
    and back in a cross-modal Transformer; Liu et al. (chapter 12) let audio and video
    attend to each other before fusing. Paper: neither gives the normalisation; we: the
    post-norm residual of a standard Transformer layer.

    Taught in ``07_deep_learning_primer``.
    """

    def __init__(self, dim: int, heads: int = 1, *, context_dim: int | None = None, dropout: float = 0.0):
        super().__init__()
        where = "CrossAttention"
        dim = as_int(dim, "dim", minimum=1, where=where)
        heads = as_int(heads, "heads", minimum=1, where=where)
        context_dim = dim if context_dim is None else as_int(context_dim, "context_dim", minimum=1, where=where)
        if dim % heads:
            raise InputError(message("dim", f"divisible by heads={heads}", dim, where=where))
        self.dim, self.heads, self.context_dim = dim, heads, context_dim
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True,
                                               kdim=context_dim, vdim=context_dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        where = "CrossAttention"
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise WrongShapeError(message("x", f"shaped (batch, Tq, {self.dim})", f"shape {tuple(x.shape)}",
                                          where=where, describe=False))
        if context.ndim != 3 or context.shape[-1] != self.context_dim or context.shape[0] != x.shape[0]:
            raise WrongShapeError(message("context", f"shaped ({x.shape[0]}, Tk, {self.context_dim})",
                                          f"shape {tuple(context.shape)}", where=where, describe=False))
        if key_padding_mask is not None and tuple(key_padding_mask.shape) != tuple(context.shape[:2]):
            raise WrongShapeError(message("key_padding_mask", f"shaped {tuple(context.shape[:2])} (batch, Tk)",
                                          f"shape {tuple(key_padding_mask.shape)}", where=where, describe=False))
        mixed, weights = self.attention(x, context, context, key_padding_mask=key_padding_mask,
                                        need_weights=True, average_attn_weights=True)
        return self.norm(x + mixed), weights


def sinusoidal_positions(steps: int, dim: int) -> torch.Tensor:
    """Fixed position codes ``(steps, dim)`` to add to a ``(B, steps, dim)`` sequence.

    ``P[t, 2i] = sin(t / 10000^(2i/dim))``, ``P[t, 2i+1] = cos(t / 10000^(2i/dim))``
    (Vaswani et al., 2017, Sec. 3.5): every step gets a distinct pattern of slow and fast
    waves. Self-attention by itself treats its input as a *set* (permute the steps and the
    outputs are permuted the same way); adding these codes tells it the order. An odd
    ``dim`` drops the last cosine column. Row 0 is ``[0, 1, 0, 1, ...]``.

    Taught in ``07_deep_learning_primer``.
    """
    steps = as_int(steps, "steps", minimum=1, where="sinusoidal_positions")
    dim = as_int(dim, "dim", minimum=1, where="sinusoidal_positions")
    position = torch.arange(steps, dtype=torch.float32).unsqueeze(1)                    # (steps, 1)
    rates = torch.pow(10000.0, -torch.arange(0, dim, 2, dtype=torch.float32) / dim)     # (ceil(dim/2),)
    angles = position * rates                                                           # (steps, ceil(dim/2))
    codes = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).reshape(steps, -1)
    return codes[:, :dim]


class PositionalEncoding(nn.Module):
    """Adds :func:`sinusoidal_positions` to a sequence: ``(B, T, dim)`` -> ``(B, T, dim)``.

    No trainable parameters; works for any ``T``. Put it before a Transformer encoder layer
    in an ``nn.Sequential`` so that the layer can tell the steps apart.

    Taught in ``07_deep_learning_primer``.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = as_int(dim, "dim", minimum=1, where="PositionalEncoding")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise WrongShapeError(message("x", f"shaped (batch, steps, {self.dim})", f"shape {tuple(x.shape)}",
                                          where="PositionalEncoding", describe=False))
        return x + sinusoidal_positions(x.shape[1], self.dim).to(device=x.device, dtype=x.dtype)


class SequencePool(nn.Module):
    """Summarise a sequence over time: ``(B, T, F)`` -> ``(B, F)``.

    ``how``: ``"mean"`` (average of the steps), ``"max"`` (largest value of each feature)
    or ``"last"`` (the final step: what a one-directional RNN has read by the end). Also
    accepts the ``(output, state)`` pair that ``nn.RNN``/``nn.GRU``/``nn.LSTM`` return and
    pools their ``output``, so ``nn.Sequential(nn.LSTM(D, H, batch_first=True),
    SequencePool("mean"), nn.Linear(H, C))`` is a complete classifier. (For a
    bidirectional RNN, ``"last"`` takes the last step of both directions, where the
    backward direction has read only that step: prefer ``"mean"``.)

    Taught in ``07_deep_learning_primer``.
    """

    HOWS = ("mean", "max", "last")

    def __init__(self, how: str = "mean"):
        super().__init__()
        if how not in self.HOWS:
            raise InputError(message("how", "one of " + ", ".join(repr(h) for h in self.HOWS), how,
                                     where="SequencePool"))
        self.how = how

    def forward(self, x) -> torch.Tensor:
        if isinstance(x, tuple):                         # an RNN's (output, state)
            x = x[0]
        if x.ndim != 3:
            raise WrongShapeError(message("x", "shaped (batch, steps, features)", f"shape {tuple(x.shape)}",
                                          where="SequencePool", describe=False))
        if self.how == "mean":
            return x.mean(dim=1)
        if self.how == "max":
            return x.amax(dim=1)
        return x[:, -1]

    def extra_repr(self) -> str:
        return repr(self.how)


class _Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 (stride) -> 1x1 (expand x4), BN after each, identity or 1x1 shortcut."""

    expansion = 4

    def __init__(self, c_in: int, planes: int, stride: int):
        super().__init__()
        c_out = planes * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(c_in, planes, 1, bias=False), nn.BatchNorm2d(planes), nn.ReLU(inplace=True),
            nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(planes),
            nn.ReLU(inplace=True),
            nn.Conv2d(planes, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out else
                         nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class ResNet50Backbone(nn.Module):
    """ResNet-50 without its classifier: ``(B, in_channels, F, T)`` -> feature map ``(B, 32 w, F/32, T/32)``.

    The architecture of He et al. (2016), written out: a 7x7 stride-2 stem convolution
    (``width`` filters) + BN + ReLU + 3x3 stride-2 max pooling, then four stages of
    bottleneck blocks, ``[3, 4, 6, 3]`` blocks with ``width x (1, 2, 4, 8)`` inner channels
    and 4x that at the output (``64-128-256-512``, x4 = 2048 channels at ``width=64``),
    stride 2 in the 3x3 convolution of each stage's first block (the "v1.5" layout) and a
    1x1 projection shortcut where the shape changes. Wang (2025), Eq. 3:
    ``G_IM = RESNET50(U)``. ``in_channels=1``: a mel spectrogram has one channel (an image
    has 3). ``width``: channels of the stem; 64 is the real ResNet-50 (23,501,760
    parameters with one input channel, 23,508,032 with three -- the familiar 25.6 M minus
    the 1000-class layer), 16 is a teaching size (1/16 of the parameters). Random
    initialisation (``pretrained = False``); torchvision is not needed. Every stride-2
    step maps ``n`` rows/frames to ``ceil(n / 2)``: 5 of them, so ``T' = ceil(T / 32)``.
    Paper: an ImageNet ResNet50 is implied; we: the same layout trained from scratch
    (no weights can be downloaded here).

    The same network reads faces in Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``):
    ``ResNet50Backbone(in_channels=3)`` has exactly the parameter names' layout of
    torchvision's ``resnet50`` minus ``fc``, so :func:`load_torchvision_resnet50` can fill it
    with ImageNet weights from a checkpoint file you already have (that instance then has
    ``pretrained = True``).

    Taught in ``10_wang_crossmodal_transformer`` and ``11_kirar_zebra_bilstm_attention``.
    """

    pretrained = False
    BLOCKS = (3, 4, 6, 3)

    def __init__(self, in_channels: int = 1, width: int = 64):
        super().__init__()
        where = "ResNet50Backbone"
        in_channels = as_int(in_channels, "in_channels", minimum=1, where=where)
        width = as_int(width, "width", minimum=1, where=where)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, stride=2, padding=1))
        stages, c_in = [], width
        for i, n in enumerate(self.BLOCKS):
            planes = width * 2 ** i
            blocks = []
            for j in range(n):
                blocks.append(_Bottleneck(c_in, planes, stride=2 if (j == 0 and i > 0) else 1))
                c_in = planes * _Bottleneck.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.out_channels = c_in
        self.downsamplings = 5
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


# ---------------------------------------------------------------------------------------
# ImageNet weights from a torchvision checkpoint that is already on disk
# ---------------------------------------------------------------------------------------

_BN_ENTRIES = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _resnet50_key_table() -> dict:
    """torchvision name -> our name, for every parameter and buffer of ResNet-50 minus ``fc``."""
    modules = [("conv1", "stem.0", "conv"), ("bn1", "stem.1", "bn")]
    for i, n in enumerate(ResNet50Backbone.BLOCKS):
        for j in range(n):
            theirs, ours = f"layer{i + 1}.{j}", f"stages.{i}.{j}"
            for k, (conv, bn) in enumerate(((0, 1), (3, 4), (6, 7)), start=1):
                modules += [(f"{theirs}.conv{k}", f"{ours}.body.{conv}", "conv"),
                            (f"{theirs}.bn{k}", f"{ours}.body.{bn}", "bn")]
            if j == 0:                                               # the projection shortcut
                modules += [(f"{theirs}.downsample.0", f"{ours}.shortcut.0", "conv"),
                            (f"{theirs}.downsample.1", f"{ours}.shortcut.1", "bn")]
    table = {}
    for theirs, ours, kind in modules:
        for entry in (("weight",) if kind == "conv" else _BN_ENTRIES):
            table[f"{theirs}.{entry}"] = f"{ours}.{entry}"
    return table


#: torchvision's ResNet-50 parameter/buffer names -> :class:`ResNet50Backbone`'s (318 entries):
#: ``conv1`` -> ``stem.0``, ``bn1`` -> ``stem.1``, ``layer{i}.{j}.conv{1,2,3}`` ->
#: ``stages.{i-1}.{j}.body.{0,3,6}``, ``layer{i}.{j}.bn{1,2,3}`` -> ``...body.{1,4,7}``,
#: ``layer{i}.0.downsample.{0,1}`` -> ``stages.{i-1}.0.shortcut.{0,1}``. ``fc.*`` has no
#: counterpart (the 1000 ImageNet classes) and is dropped.
RESNET50_TORCHVISION_KEYS = _resnet50_key_table()


def _listed(keys, at_most: int = 8) -> str:
    keys = list(keys)
    shown = ", ".join(repr(k) for k in keys[:at_most])
    return shown + (f" and {len(keys) - at_most} more" if len(keys) > at_most else "")


def torchvision_resnet50_state_dict_to_backbone(state_dict) -> dict:
    """Rename a torchvision ResNet-50 ``state_dict`` to the keys of :class:`ResNet50Backbone`.

    ``state_dict``: a mapping name -> tensor as saved by torchvision (``conv1.weight``,
    ``bn1.{weight,bias,running_mean,running_var,num_batches_tracked}``,
    ``layer{1..4}.{j}.conv{1,2,3}.weight``, ``layer{1..4}.{j}.bn{1,2,3}.*``,
    ``layer{1..4}.0.downsample.{0,1}.*``, ``fc.{weight,bias}``). Returns a new dict with our
    names (:data:`RESNET50_TORCHVISION_KEYS`) and the same tensors; ``fc.*`` (the ImageNet
    classifier) is dropped. A ``module.`` prefix on every key (a checkpoint saved from
    ``nn.DataParallel``) is removed. A missing ``num_batches_tracked`` (checkpoints saved
    before PyTorch 0.4.1, e.g. ``resnet50-19c8e357.pth``) becomes 0, as PyTorch itself does.
    Any other missing or unexpected key raises :class:`~mer_lessons.validation.InputError`
    naming them. Shapes are not checked here: :func:`load_torchvision_resnet50` does.
    Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) feed key frames to a
    pre-trained ResNet-50. Paper: "pre-trained", no source named; we: torchvision's
    ImageNet weights, when a checkpoint is on disk.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "torchvision_resnet50_state_dict_to_backbone"
    if not isinstance(state_dict, Mapping):
        raise WrongTypeError(message("state_dict", "a mapping of parameter names to tensors (a state_dict)",
                                     state_dict, where=where))
    keys = [str(k) for k in state_dict]
    if keys and all(k.startswith("module.") for k in keys):
        state_dict = {k[len("module."):]: v for k, v in state_dict.items()}
    out, unexpected = {}, []
    for key, value in state_dict.items():
        if key in RESNET50_TORCHVISION_KEYS:
            out[RESNET50_TORCHVISION_KEYS[key]] = value
        elif not str(key).startswith("fc."):
            unexpected.append(key)
    missing = [k for k, ours in RESNET50_TORCHVISION_KEYS.items()
               if ours not in out and not k.endswith(".num_batches_tracked")]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s): {_listed(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): {_listed(unexpected)}")
        raise InputError(message("state_dict", "a torchvision ResNet-50 state_dict (conv1, bn1, layer1-4, fc)",
                                 "; ".join(parts), where=where, describe=False,
                                 hint="is this a ResNet-50 (not a ResNet-18/101) saved from torchvision?"))
    for theirs, ours in RESNET50_TORCHVISION_KEYS.items():
        if ours not in out:                                          # an old checkpoint's num_batches_tracked
            out[ours] = torch.tensor(0, dtype=torch.long)
    return {ours: out[ours] for ours in RESNET50_TORCHVISION_KEYS.values()}


def _torch_checkpoints() -> Path:
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "torch")
    return Path(home).expanduser() / "hub" / "checkpoints"


def load_torchvision_resnet50(path=None) -> ResNet50Backbone:
    """A :class:`ResNet50Backbone` (``in_channels=3``, ``width=64``) with ImageNet weights read from ``path``.

    ``path``: a torchvision ResNet-50 checkpoint already on disk, e.g. ``resnet50-0676ba61.pth``
    (``IMAGENET1K_V1``) or ``resnet50-11ad3fa6.pth`` (``IMAGENET1K_V2``); torchvision keeps
    the files it downloads in ``~/.cache/torch/hub/checkpoints/`` (``$TORCH_HOME/hub/checkpoints``),
    where ``path=None`` looks for a ``resnet50-*.pth``. Read safely with
    ``torch.load(path, map_location="cpu", weights_only=True)`` (tensors only, no pickled
    code runs), renamed by :func:`torchvision_resnet50_state_dict_to_backbone`, and every
    key and shape checked before loading: missing or unexpected keys raise
    :class:`~mer_lessons.validation.InputError` naming them, wrong shapes
    :class:`~mer_lessons.validation.WrongShapeError` naming the tensors. Returns the model
    in eval mode with ``pretrained = True`` set on the instance (its input: ``(B, 3, H, W)``
    images normalised with the ImageNet mean and standard deviation; its output:
    ``(B, 2048, ceil(H/32), ceil(W/32))``). A file that does not exist raises
    ``FileNotFoundError``: the course never downloads weights. Kirar et al. (2024;
    ``mer_lessons.papers.cite("kirar")``) feed a summary image per clip to a pre-trained
    ResNet-50. Paper: ImageNet pre-training implied; we: the same when you have the file,
    otherwise :func:`mer_lessons.vision.train_face_backbone` pre-trains on drawn faces.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "load_torchvision_resnet50"
    if path is None:
        found = sorted(_torch_checkpoints().glob("resnet50-*.pth"))
        path = found[0] if found else _torch_checkpoints() / "resnet50-0676ba61.pth"
    if not isinstance(path, (str, os.PathLike)):
        raise WrongTypeError(message("path", "a file path (str or pathlib.Path)", path, where=where))
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(
            f"{where}: no checkpoint file at {str(file)!r}. A torchvision ResNet-50 checkpoint "
            "(resnet50-0676ba61.pth or resnet50-11ad3fa6.pth) usually lives in "
            "~/.cache/torch/hub/checkpoints/ once torchvision has downloaded it; this course never "
            "downloads weights, so copy the file there (or pass its path) yourself.")
    loaded = torch.load(file, map_location="cpu", weights_only=True)
    if isinstance(loaded, Mapping) and "state_dict" in loaded and isinstance(loaded["state_dict"], Mapping):
        loaded = loaded["state_dict"]                                # a training checkpoint's wrapper
    weights = torchvision_resnet50_state_dict_to_backbone(loaded)
    model = ResNet50Backbone(in_channels=3, width=64)
    wanted = model.state_dict()
    wrong = [f"{k} {tuple(getattr(v, 'shape', ()))} (want {tuple(wanted[k].shape)})"
             for k, v in weights.items() if not isinstance(v, torch.Tensor) or tuple(v.shape) != tuple(wanted[k].shape)]
    if wrong:
        raise WrongShapeError(message("the checkpoint's tensors", "shaped like torchvision's ResNet-50",
                                      f"{len(wrong)} wrong shape(s): {_listed(wrong, 5)}", where=where,
                                      describe=False, hint="a ResNet-50 with 3 input channels and 64 stem filters"))
    model.load_state_dict(weights, strict=True)
    model.pretrained = True
    return model.eval()
