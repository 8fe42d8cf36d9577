"""Kirar et al.'s BiLSTM with multi-head self-attention, and the paper's two baselines.

Paper: Kirar, Gill, Jangra and Sharma (2024), *Multimodal Emotion Recognition: Integrating
Audio and Visual Features Using Enhanced Deep Learning Techniques* (cite it with
``mer_lessons.papers.cite("kirar")``; its Table 1 is :data:`mer_lessons.papers.kirar.TABLE1`).
Kirar et al. (2024) concatenate autoencoder audio features and ResNet-50 features of a key
frame, let an Improved Zebra Algorithm pick a subset of them, and classify three MELD
emotions (happy, sad, surprise) with a bidirectional LSTM followed by multi-head scaled
dot-product self-attention, a residual connection, LayerNorm and a fully connected layer.
Their baselines are a plain BiLSTM and a CNN (the three rows of Table 1).

Which class implements which equation (``X`` ``(T, d)`` is the BiLSTM's output sequence,
``h`` heads, ``d_k = d / h``):

* :class:`MultiHeadSelfAttention` -- Eq. 4-6, ``Q_i = X W^Q_i``, ``K_i = X W^K_i``,
  ``V_i = X W^V_i``, each ``d -> d/h`` (one ``d -> d`` linear layer per role, whose output
  is cut into ``h`` slices of ``d/h`` features: the same as ``h`` separate matrices);
  Eq. 7, ``Head_i = softmax(Q_i K_i^T / sqrt(d_k)) V_i``, computed by
  :func:`mer_lessons.models.blocks.scaled_dot_product_attention`; Eq. 8,
  ``R = Concat(Head_1, ..., Head_h) W_O``; Eq. 9, ``S = LayerNorm(X + R)``.
* :class:`BiLSTMSelfAttention` -- the proposed classifier: BiLSTM -> Eq. 4-9 -> pooling
  over time -> dropout -> linear layer (the "Bi-Directional LSTM with Self-Attention
  Mechanism" row). With ``attention=False`` it is the plain BiLSTM baseline
  ("Bi-Directional LSTM").
* :class:`CNNBaseline` -- the "CNN" row: :class:`mer_lessons.models.sequence.CNNClassifier`
  (1-D convolutions over time) on the same ``(B, T, in_dim)`` input.
* :data:`MODELS` / :func:`build` -- the three rows of Table 1 by name (the keys of
  :data:`mer_lessons.papers.kirar.ROW_MODELS`).

What the paper does not specify, and what we chose: no size at all is given (BiLSTM
units, number of heads, dropout, layers, epochs, optimiser). We use teaching sizes that
train on a CPU in seconds: one BiLSTM layer of 32 units per direction (``d = 64``), 4 heads
(``d_k = 16``), dropout 0.3 before the output layer, no dropout inside the attention. The
paper does not say how the sequence ``S`` ``(T, d)`` becomes one prediction; we average it
over time (``pool="mean"``; ``pool="last"`` takes the forward direction's last step and the
backward direction's first step, the BiLSTM's usual summary). Eq. 4-6 and 8 have no bias
terms; our projections have biases (as ``nn.MultiheadAttention``; ``bias=False`` removes
them). The input is any feature sequence ``(B, T, in_dim)``: every sequence in a batch has
the same ``T`` (crop or pad upstream; no masking in the classifiers).

The paper also prints Eq. 2-3, a "2-D LSTM" that runs over the rows and the columns of a
convolutional feature map and adds the two outputs, ``o_t = o_t^-> + o_t^v``. Its method
never uses it (the visual features come from ResNet-50, the classifier is a BiLSTM over a
feature sequence), so it is not built here.

Parameter counts: :func:`mer_lessons.models.sequence.count_parameters`. Every model has
``pretrained = False`` (trained from scratch).

Taught in ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import torch
from torch import nn

from mer_lessons.models.blocks import scaled_dot_product_attention
from mer_lessons.models.sequence import CNNClassifier
from mer_lessons.validation import (
    step_mask,
    InputError, WrongShapeError, WrongTypeError, as_choice, as_float, as_int, message,
)

__all__ = ["MultiHeadSelfAttention", "BiLSTMSelfAttention", "CNNBaseline", "MODELS", "build"]


def _check_x(x, dim: int, where: str) -> torch.Tensor:
    """``x`` must be a float tensor ``(B, T, dim)`` with ``T >= 1``."""
    if not isinstance(x, torch.Tensor):
        raise WrongTypeError(message("x", f"a float tensor shaped (batch, steps, {dim})", x, where=where))
    if x.ndim != 3 or x.shape[-1] != dim:
        raise WrongShapeError(message("x", f"shaped (batch, steps, {dim})", f"shape {tuple(x.shape)}",
                                      where=where, describe=False))
    if x.shape[1] == 0:
        raise WrongShapeError(message("x", "at least one step long", f"shape {tuple(x.shape)}", where=where,
                                      describe=False))
    if not x.is_floating_point():
        raise WrongTypeError(message("x", "a floating-point tensor", f"dtype {x.dtype}", where=where,
                                     describe=False))
    return x


def _check_mask(mask, shape, where: str, device) -> Optional[torch.Tensor]:
    """A ``(B, T)`` mask as bool, True at real steps; ``None`` stays ``None``."""
    return step_mask(mask, "mask", shape, where=where, device=device)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with residual and LayerNorm, Kirar et al. (2024), Eq. 4-9.

    Shapes: ``x`` = ``X`` ``(B, T, dim)`` -> ``S`` ``(B, T, dim)``. With ``h = heads`` and
    ``d_k = dim / h``:

    * Eq. 4-6: ``Q_i = X W^Q_i``, ``K_i = X W^K_i``, ``V_i = X W^V_i``, ``(B, T, d_k)``
      each (layers ``query``, ``key``, ``value``, ``dim -> dim``, cut into ``h`` slices);
    * Eq. 7: ``Head_i = softmax(Q_i K_i^T / sqrt(d_k)) V_i`` with
      :func:`mer_lessons.models.blocks.scaled_dot_product_attention`;
    * Eq. 8: ``R = Concat(Head_1, ..., Head_h) W_O`` (layer ``out``, ``dim -> dim``);
    * Eq. 9: ``S = LayerNorm(X + R)`` (layer ``norm``).

    ``forward(x, mask=None)``: ``mask`` ``(B, T)`` bool, ``True`` at real steps; padded
    steps get weight exactly 0 as keys (their own rows are still computed, ignore them).
    After each call ``weights`` holds the attention weights ``(B, heads, T, T)``
    (detached; each row sums to 1 over the real keys). ``dim`` must be divisible by
    ``heads`` (:class:`~mer_lessons.validation.InputError` otherwise). Ablation switches:
    ``residual=False`` gives ``S = LayerNorm(R)``, ``layer_norm=False`` gives
    ``S = X + R`` (and no ``norm`` layer); both off, ``S = R``. ``dropout`` is applied to
    ``R`` before the residual sum (in training mode only).

    Paper: Eq. 4-9 without biases, sizes, or dropout; we: ``heads=4`` by default, biases in
    the four projections (``bias=False`` drops them), dropout 0 by default.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    pretrained = False

    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.0, residual: bool = True,
                 layer_norm: bool = True, bias: bool = True):
        super().__init__()
        where = "MultiHeadSelfAttention"
        dim = as_int(dim, "dim", minimum=1, where=where)
        heads = as_int(heads, "heads", minimum=1, where=where)
        if dim % heads:
            raise InputError(message("dim", f"divisible by heads={heads} (each head gets dim/heads features)",
                                     dim, where=where))
        for name, flag in (("residual", residual), ("layer_norm", layer_norm), ("bias", bias)):
            if not isinstance(flag, bool):
                raise WrongTypeError(message(name, "True or False", flag, where=where))
        self.dim, self.heads, self.head_dim = dim, heads, dim // heads
        self.residual, self.layer_norm = residual, layer_norm
        self.query = nn.Linear(dim, dim, bias=bias)      # W^Q_1..W^Q_h side by side (Eq. 4)
        self.key = nn.Linear(dim, dim, bias=bias)        # W^K (Eq. 5)
        self.value = nn.Linear(dim, dim, bias=bias)      # W^V (Eq. 6)
        self.out = nn.Linear(dim, dim, bias=bias)        # W_O (Eq. 8)
        self.dropout = nn.Dropout(as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where))
        self.norm = nn.LayerNorm(dim) if layer_norm else None
        self.weights: Optional[torch.Tensor] = None

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        b, steps, _ = t.shape
        return t.reshape(b, steps, self.heads, self.head_dim).transpose(1, 2)        # (B, h, T, d_k)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        where = "MultiHeadSelfAttention"
        x = _check_x(x, self.dim, where)
        mask = _check_mask(mask, x.shape[:2], where, x.device)
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        heads, weights = scaled_dot_product_attention(
            q, k, v, mask=None if mask is None else mask[:, None, None, :])           # Eq. 7
        self.weights = weights.detach()
        b, _, steps, _ = heads.shape
        r = self.out(heads.transpose(1, 2).reshape(b, steps, self.dim))               # Eq. 8
        s = x + self.dropout(r) if self.residual else self.dropout(r)
        return self.norm(s) if self.norm is not None else s                           # Eq. 9

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}, residual={self.residual}, layer_norm={self.layer_norm}"


class BiLSTMSelfAttention(nn.Module):
    """Kirar et al. (2024)'s classifier: BiLSTM -> multi-head self-attention (Eq. 4-9) -> pooling -> linear.

    Shapes: ``x`` ``(B, T, in_dim)`` (the selected multimodal features, one vector per
    step) -> BiLSTM states ``X`` ``(B, T, d)`` with ``d = 2 * hidden`` (forward states in
    the first ``hidden`` columns, backward in the rest) -> ``S`` ``(B, T, d)`` by
    :class:`MultiHeadSelfAttention` (layer ``attention``) -> pooled ``(B, d)`` -> dropout ->
    logits ``(B, n_classes)`` (layer ``head``; softmax / cross-entropy outside).

    ``forward(x, return_attention=False)`` -> logits, or ``(logits, weights)`` with the
    attention weights ``(B, heads, T, T)`` (``None`` without attention). ``features(x)`` ->
    the pooled vector ``(B, 2 * hidden)`` (for plots and probing). ``pool``: ``"mean"``
    (average of ``S`` over the steps) or ``"last"`` (the forward half at the last step
    concatenated with the backward half at the first step: where each direction has read
    the whole sequence). ``attention=False`` leaves the attention block out (``attention``
    is ``None``): that is the paper's plain "Bi-Directional LSTM" baseline, the rest being
    identical. ``2 * hidden`` must be divisible by ``heads`` when ``attention=True``.

    Paper: BiLSTM, Eq. 4-9 and a fully connected layer, no sizes, pooling or dropout given;
    we: one BiLSTM layer of ``hidden=32`` units per direction, ``heads=4``, mean pooling
    over time, dropout 0.3 before the linear layer (none inside the attention).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    pretrained = False
    POOLS = ("mean", "last")

    def __init__(self, in_dim: int, n_classes: int = 3, hidden: int = 32, heads: int = 4, dropout: float = 0.3,
                 attention: bool = True, pool: str = "mean"):
        super().__init__()
        where = type(self).__name__
        self.in_dim = as_int(in_dim, "in_dim", minimum=1, where=where)
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        self.hidden = as_int(hidden, "hidden", minimum=1, where=where)
        heads = as_int(heads, "heads", minimum=1, where=where)
        if not isinstance(attention, bool):
            raise WrongTypeError(message("attention", "True or False", attention, where=where))
        self.pool = as_choice(pool, "pool", self.POOLS, where=where)
        dim = 2 * self.hidden
        if attention and dim % heads:
            raise InputError(message("hidden", f"such that 2 * hidden is divisible by heads={heads}",
                                     self.hidden, where=where, hint=f"2 * hidden = {dim}"))
        self.lstm = nn.LSTM(self.in_dim, self.hidden, batch_first=True, bidirectional=True)
        self.attention = MultiHeadSelfAttention(dim, heads) if attention else None
        self.dropout = nn.Dropout(as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where))
        self.head = nn.Linear(dim, self.n_classes)

    def _pooled(self, x: torch.Tensor) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = _check_x(x, self.in_dim, type(self).__name__)
        states, _ = self.lstm(x)                                                      # X (B, T, d)
        weights = None
        if self.attention is not None:
            states = self.attention(states)                                           # S (B, T, d)
            weights = self.attention.weights
        if self.pool == "mean":
            return states.mean(dim=1), weights
        return torch.cat([states[:, -1, :self.hidden], states[:, 0, self.hidden:]], dim=1), weights

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled sequence summary ``(B, 2 * hidden)`` that the linear layer reads."""
        return self._pooled(x)[0]

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        pooled, weights = self._pooled(x)
        logits = self.head(self.dropout(pooled))
        return (logits, weights) if return_attention else logits


class CNNBaseline(CNNClassifier):
    """The paper's CNN baseline on the same ``(B, T, in_dim)`` input: Kirar et al. (2024), Table 1, "CNN".

    Shapes: ``x`` ``(B, T, in_dim)`` is read as ``in_dim`` channels over ``T`` steps ->
    ``Conv1d`` layers ``(B, C, T)`` -> mean and max over time ``(B, 2 C)`` -> dropout ->
    logits ``(B, n_classes)``. It is :class:`mer_lessons.models.sequence.CNNClassifier`
    (one ``Conv1d(kernel_size, padding="same") + ReLU`` per entry of ``channels``, no
    temporal down-sampling, so ``T = 1`` works) with this chapter's defaults and input
    checks (:class:`~mer_lessons.validation.WrongShapeError` naming the model).

    Paper: "CNN", no architecture given; we: two conv layers of 32 and 64 channels, kernel
    3, dropout 0.3 before the linear layer, as our BiLSTM.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    pretrained = False

    def __init__(self, in_dim: int, n_classes: int = 3, channels=(32, 64), kernel_size: int = 3,
                 dropout: float = 0.3):
        where = "CNNBaseline"
        in_dim = as_int(in_dim, "in_dim", minimum=1, where=where)
        n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        try:
            channels = tuple(as_int(c, "channels", minimum=1, where=where) for c in channels)
        except TypeError:
            raise WrongTypeError(message("channels", "a sequence of channel counts", channels, where=where)) from None
        if not channels:
            raise InputError(message("channels", "at least one channel count (one conv layer)", channels,
                                     where=where))
        super().__init__(in_dim, n_classes, channels=channels,
                         kernel_size=as_int(kernel_size, "kernel_size", minimum=1, where=where),
                         dropout=as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(_check_x(x, self.in_dim, "CNNBaseline"))


def _plain_bilstm(in_dim: int, n_classes: int = 3, **options) -> BiLSTMSelfAttention:
    """The "Bi-Directional LSTM" row: :class:`BiLSTMSelfAttention` with ``attention=False``."""
    if "attention" in options:
        raise InputError(message("attention", "left out for the plain BiLSTM (it is always False)",
                                 options["attention"], where="build"))
    return BiLSTMSelfAttention(in_dim, n_classes, attention=False, **options)


#: Row of Table 1 (:data:`mer_lessons.papers.kirar.ROW_MODELS`) -> constructor ``(in_dim, n_classes) -> nn.Module``.
MODELS: Dict[str, Callable[..., nn.Module]] = {
    "Bi-Directional LSTM with Self-Attention Mechanism": BiLSTMSelfAttention,
    "Bi-Directional LSTM": _plain_bilstm,
    "CNN": CNNBaseline,
}


def build(name: str, in_dim: int, n_classes: int = 3, **options) -> nn.Module:
    """The model of a row of Kirar et al. (2024)'s Table 1, by name: ``build("CNN", in_dim=40)``.

    ``name``: a key of :data:`MODELS` (the row names of Table 1, as in
    :data:`mer_lessons.papers.kirar.ROW_MODELS`; case and surrounding spaces are ignored).
    ``in_dim``: features per step of the input ``(B, T, in_dim)``; ``n_classes``: 3 (happy,
    sad, surprise). ``options`` go to the class (``hidden=``, ``heads=``, ``dropout=``,
    ``pool=`` for the BiLSTMs; ``channels=``, ``kernel_size=``, ``dropout=`` for the CNN).
    Returns an untrained module mapping ``(B, T, in_dim)`` to logits ``(B, n_classes)``.
    An unknown name raises :class:`~mer_lessons.validation.UnknownOptionError` listing the
    names.

    Paper: the three models of Table 1, no sizes; we: the teaching sizes of each class.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    names = tuple(MODELS)
    if not isinstance(name, str):
        raise WrongTypeError(message("name", "one of " + ", ".join(map(repr, names)), name, where="build"))
    by_lower = {n.lower(): n for n in names}
    key = by_lower.get(name.strip().lower(), name)
    as_choice(key, "name", names, where="build")
    return MODELS[key](in_dim, n_classes, **options)
