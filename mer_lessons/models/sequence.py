"""Small deep sequence baselines for the rows of Hao et al.'s Table 3.

Paper: Hao et al., Table 3 (typed in as :data:`mer_lessons.papers.hao.TABLE3`; cite it
with ``mer_lessons.papers.cite("hao")``). The table compares the paper's Bi-LSTM +
feature-fusion model with deep baselines (GRU on spectrogram features, a CNN, a Bi-GRU,
LSTM + attention, CNN-RNN, ...). **The paper gives no architecture, size or training
details for any baseline** (only a reference number per row), so every model here is our
own small, CPU-friendly stand-in for the *idea* of its row, not a reproduction of the
cited work. The accuracy quoted in each class docstring is read from
:data:`mer_lessons.papers.hao.TABLE3` at import time, never retyped; which model stands for
which row of the table is kept in :data:`mer_lessons.papers.hao.ROW_MODELS`.

All models share one interface:

* input ``x``: a float tensor of shape ``(B, T, D)`` — ``B`` sequences of ``T`` steps with
  ``D`` features per step (log-mel frames, or the fused multimodal steps of
  :mod:`mer_lessons.models.hao`);
* output: logits of shape ``(B, n_classes)`` (apply ``softmax`` / ``CrossEntropyLoss``
  outside).

Variable lengths are handled the simple way: every sequence in a batch must have the same
``T`` (crop or pad upstream, e.g. fixed-length windows); there is no masking, so padding
frames are treated as data. ``T = 1`` is allowed everywhere (convolutions use "same"
padding and no temporal down-sampling; recurrent models just take one step; attention
then puts weight 1 on the single step).

:data:`SEQUENCE_MODELS` maps our model names to constructors ``(in_dim, n_classes) ->
nn.Module``; :func:`count_parameters` counts trainable parameters.

Taught in ``08_hao_realtime_fusion``, next to :class:`mer_lessons.models.hao.HaoRecognizer`.
"""

from __future__ import annotations

from typing import Callable, Dict, Sequence, Union

import torch
from torch import nn

from mer_lessons.models.blocks import AdditiveAttentionPooling

from mer_lessons.papers.hao import TABLE3 as _HAO_TABLE3

__all__ = [
    "GRUClassifier",
    "BiGRUClassifier",
    "CNNClassifier",
    "LSTMAttentionClassifier",
    "CNNRNNClassifier",
    "SEQUENCE_MODELS",
    "count_parameters",
]


def _paper_accuracy(row: str) -> float:
    """Accuracy (%) that Hao et al.'s Table 3 reports for ``row``."""
    hit = _HAO_TABLE3.loc[_HAO_TABLE3["Model"] == row, "Accuracy (%)"]
    if len(hit) != 1:
        raise KeyError(f"no single row {row!r} in Hao et al.'s Table 3")
    return float(hit.iloc[0])


def _cite(*rows: str):
    """Fill the ``<<PAPER>>`` marker of a class docstring with the Table 3 accuracies."""
    def deco(cls):
        text = "; ".join(f'"{r}" {_paper_accuracy(r):g} % accuracy' for r in rows)
        cls.__doc__ = cls.__doc__.replace("<<PAPER>>", f"Hao et al., Table 3 (``papers.hao.TABLE3``): {text}.")
        return cls
    return deco


def _check_input(x: torch.Tensor, in_dim: int) -> None:
    if x.ndim != 3:
        raise ValueError(f"expected x of shape (B, T, D), got {tuple(x.shape)}")
    if x.shape[1] < 1:
        raise ValueError("sequences need at least one time step (T >= 1)")
    if x.shape[2] != in_dim:
        raise ValueError(f"expected D = {in_dim} features per step, got {x.shape[2]}")


def _last_hidden(h_n: torch.Tensor, bidirectional: bool) -> torch.Tensor:
    """Top layer's final hidden state(s) from ``h_n`` (layers*dirs, B, H) -> (B, H*dirs)."""
    if bidirectional:
        return torch.cat([h_n[-2], h_n[-1]], dim=-1)  # forward end, backward end (= t=0)
    return h_n[-1]


@_cite("GRU + Spectrogram features", "Bi-GRU")
class GRUClassifier(nn.Module):
    """GRU over the feature sequence; the final hidden state feeds a linear head.

    Shapes: ``x`` ``(B, T, in_dim)`` -> logits ``(B, n_classes)``.

    Table 3 row: "GRU + Spectrogram features" (``bidirectional=False``, fed log-mel
    frames) and "Bi-GRU" (``bidirectional=True``, see :class:`BiGRUClassifier`).
    <<PAPER>>

    Paper: no architecture given for either baseline. We: one GRU layer with ``hidden``
    units (per direction), the last time step's hidden state (for the Bi-GRU, the forward
    state at ``T`` concatenated with the backward state at ``t = 0``), optional dropout and
    one ``Linear`` layer.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, n_classes: int, hidden: int = 64, bidirectional: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        self.in_dim = in_dim
        self.bidirectional = bidirectional
        self.rnn = nn.GRU(in_dim, hidden, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        _, h_n = self.rnn(x)
        return self.head(self.dropout(_last_hidden(h_n, self.bidirectional)))


@_cite("Bi-GRU")
class BiGRUClassifier(GRUClassifier):
    """:class:`GRUClassifier` with ``bidirectional=True``: the "Bi-GRU" row of Table 3.

    Shapes: ``x`` ``(B, T, in_dim)`` -> logits ``(B, n_classes)``.

    <<PAPER>>

    Paper: no architecture given. We: as :class:`GRUClassifier`, both directions.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, n_classes: int, hidden: int = 64, dropout: float = 0.0):
        super().__init__(in_dim, n_classes, hidden=hidden, bidirectional=True, dropout=dropout)


@_cite("EmotionNet (CNN)")
class CNNClassifier(nn.Module):
    """1-D convolutions over time, then global mean + max pooling and a linear head.

    Shapes: ``x`` ``(B, T, in_dim)`` is read as ``in_dim`` channels over ``T`` steps;
    each conv layer maps ``(B, C_in, T) -> (B, C_out, T)``; pooling gives ``(B, 2 C_last)``;
    logits ``(B, n_classes)``.

    Table 3 row: "EmotionNet (CNN)". <<PAPER>>

    Paper: no architecture given. We: one ``Conv1d(kernel_size, padding="same") + ReLU``
    per entry of ``channels`` (no batch norm, so batch size 1 trains; no temporal
    down-sampling, so ``T = 1`` works), then the mean and the max over time concatenated.
    The model is (almost) translation-invariant in time: it detects *local* patterns
    (onsets, rises, steps) wherever they occur.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, n_classes: int, channels: Sequence[int] = (32, 64),
                 kernel_size: int = 3, dropout: float = 0.0):
        super().__init__()
        if len(channels) == 0:
            raise ValueError("channels must name at least one conv layer")
        self.in_dim = in_dim
        layers = []
        c_in = in_dim
        for c_out in channels:
            layers += [nn.Conv1d(c_in, c_out, kernel_size, padding="same"), nn.ReLU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        h = self.conv(x.transpose(1, 2))                              # (B, C, T)
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)     # (B, 2C)
        return self.head(self.dropout(pooled))


@_cite("LSTM + Attention")
class LSTMAttentionClassifier(nn.Module):
    """LSTM followed by additive (Bahdanau-style) attention pooling over time
    (:class:`mer_lessons.models.blocks.AdditiveAttentionPooling`).

    Shapes: ``x`` ``(B, T, in_dim)`` -> LSTM states ``H`` ``(B, T, hidden)``; scores
    ``e_t = v^T tanh(W h_t + b)`` ``(B, T)``; weights ``alpha = softmax_t(e)`` ``(B, T)``
    (each row sums to 1); context ``sum_t alpha_t h_t`` ``(B, hidden)``; logits
    ``(B, n_classes)``. With ``return_attention=True`` the forward pass returns
    ``(logits, alpha)``.

    Table 3 row: "LSTM + Attention". <<PAPER>>

    Paper: no architecture given. We: one unidirectional LSTM layer, additive attention
    with an ``attn_dim``-wide (default ``hidden``) scoring layer, optional dropout and one
    ``Linear`` layer. With ``T = 1`` the single weight is exactly 1.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, n_classes: int, hidden: int = 64, attn_dim: Union[int, None] = None,
                 dropout: float = 0.0):
        super().__init__()
        self.in_dim = in_dim
        attn_dim = hidden if attn_dim is None else attn_dim
        self.rnn = nn.LSTM(in_dim, hidden, batch_first=True)
        self.pool = AdditiveAttentionPooling(hidden, attn_dim)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        _check_input(x, self.in_dim)
        h, _ = self.rnn(x)                                            # (B, T, H)
        context, alpha = self.pool(h)                                 # (B, H), (B, T)
        logits = self.head(self.dropout(context))
        return (logits, alpha) if return_attention else logits


@_cite("CNN-RNN (Baseline)", "Hybrid CNN-GRU")
class CNNRNNClassifier(nn.Module):
    """Convolutional front end, then a GRU over the conv features; last state -> linear head.

    Shapes: ``x`` ``(B, T, in_dim)`` -> ``Conv1d`` ``(B, channels, T)`` -> GRU over
    ``(B, T, channels)`` -> final hidden ``(B, hidden)`` -> logits ``(B, n_classes)``.

    Table 3 row: "CNN-RNN (Baseline)" (the paper's main comparison); with a GRU as the
    recurrent part it is equally a stand-in for "Hybrid CNN-GRU". <<PAPER>>

    Paper: no architecture given. We: one ``Conv1d(kernel_size, padding="same") + ReLU``
    (local patterns, no down-sampling so ``T = 1`` works), one GRU layer, the last time
    step's hidden state, optional dropout and one ``Linear`` layer.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, in_dim: int, n_classes: int, channels: int = 32, hidden: int = 64,
                 kernel_size: int = 3, dropout: float = 0.0):
        super().__init__()
        self.in_dim = in_dim
        self.conv = nn.Sequential(nn.Conv1d(in_dim, channels, kernel_size, padding="same"), nn.ReLU())
        self.rnn = nn.GRU(channels, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        z = self.conv(x.transpose(1, 2)).transpose(1, 2)             # (B, T, C)
        _, h_n = self.rnn(z)
        return self.head(self.dropout(h_n[-1]))


#: Table 3 row name -> constructor ``(in_dim, n_classes) -> nn.Module`` (default sizes).
SEQUENCE_MODELS: Dict[str, Callable[[int, int], nn.Module]] = {
    "GRU on log-mel": GRUClassifier,
    "CNN": CNNClassifier,
    "Bi-GRU": BiGRUClassifier,
    "LSTM + attention": LSTMAttentionClassifier,
    "CNN-RNN": CNNRNNClassifier,
}


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable, by default) parameters of ``model``.

    Taught in ``08_hao_realtime_fusion``.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
