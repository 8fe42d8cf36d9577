"""Network blocks that two or more papers share.

* :class:`Autoencoder` -- compress a feature vector to a code and reconstruct it, trained
  with a mean-squared reconstruction loss. Hao et al. compress each modality with one
  (Eq. 6-8); Kirar et al. take audio features from an autoencoder's bottleneck (Eq. 10);
  Liu et al. reconstruct each modality from the fused code (Eq. 16-18).
* :class:`AdditiveAttentionPooling` -- a learned weighted average over time,
  ``alpha = softmax_t(v^T tanh(W h_t + b))``: the "LSTM + attention" row of Hao et al.'s
  Table 3, and the pooling the attention chapters (Wang, Kirar et al.) build on.

Each paper's own architecture lives in its module (:mod:`mer_lessons.models.hao`, ...),
built from these blocks where they fit.

Taught in ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.validation import as_int, message, WrongShapeError

__all__ = ["Autoencoder", "AdditiveAttentionPooling"]


class Autoencoder(nn.Module):
    """A feature autoencoder: ``(..., in_dim)`` -> code ``(..., code_dim)`` -> ``(..., in_dim)``.

    ``encode``: ``Z = f_encoder(F)`` (Hao et al., Eq. 6/7), Linear -> ReLU -> Linear to
    ``code_dim``; ``decode`` mirrors it. ``reconstruction_loss(x)`` is Eq. 8,
    ``||F - F_hat||^2``, as a *mean* over elements (MSE): the same minimiser, a scale
    independent of batch and sequence length. Works on any leading shape. Paper: layer
    sizes and activations are not given; we: one hidden layer of ``hidden`` units.

    Taught in ``08_hao_realtime_fusion``.
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
