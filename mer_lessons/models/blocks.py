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

Each paper's own architecture lives in its module (:mod:`mer_lessons.models.hao`, ...),
built from these blocks where they fit.

Taught in ``07_deep_learning_primer`` and ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.validation import InputError, WrongShapeError, as_int, message

__all__ = ["Autoencoder", "AdditiveAttentionPooling", "scaled_dot_product_attention", "CrossAttention",
           "sinusoidal_positions", "PositionalEncoding", "SequencePool"]


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
