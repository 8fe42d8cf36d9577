"""Zhao, Jin and Guo's MultiSpec-DNN, its CBAM attention, the Broad Learning System and the baselines.

Paper: Zhao, Jin, Guo -- *Music Emotion Recognition and Analysis Based on Neural Network*
(cite it with ``mer_lessons.papers.cite("zhao")``). What each block implements:

* :class:`ChannelAttention` -- CBAM's channel attention ``M_c`` (Eq. 5).
* :class:`SpatialAttention` -- CBAM's spatial attention ``M_s`` with a 7x7 kernel (Eq. 6).
* :class:`CBAM` -- both, in order: ``F' = M_c(F) * F``, ``F'' = M_s(F') * F'`` (Sec. IV.B.2,
  Fig. 4); keeps the last weights so a notebook can plot what attention highlights.
* :class:`MultiSpecDNN` -- one 3x3 convolution per spectrogram (wideband/narrowband, or GTF
  and MF_RP), channel concatenation, four 3x3 conv + CBAM layers (32, 48, 64, 80 filters), a
  BLSTM along time (128 per direction), the optional chord vector (Chord2Vec, Eq. 2-4) and
  two fully connected layers (Fig. 2). Switches ``use_cbam`` and ``use_chords`` are the
  ablations.
* :class:`BroadLearningSystem` -- random feature nodes, tanh enhancement nodes and ridge
  output weights (Chen & Chen, 2018), the "BLS" of the paper's model and baselines.
* :class:`MCCLSTM`, :class:`MCCBL`, :class:`RCNNLSTM`, :class:`RCNNBL`, :class:`LSTM_BLS` --
  the comparison models of Tables VII-IX (Sec. V.B.1), which the paper describes in one
  sentence each; every gap is filled in the class docstring.
* :func:`fit_bls_head` -- fit a BLS on a trained (or random) module's ``features()``.
* :func:`build` -- a model from a row name of Table VII (``"MCCLSTM"``, ...,
  ``"MULTISPEC-DNN"``).

Shapes: a spectrogram is ``(B, 1, F, T)`` -- batch, one channel, frequency bins, frames.
Models return class logits ``(B, n_classes)``; the softmax of Eq. 7 lives in the loss
(``nn.CrossEntropyLoss``). Everything is CPU-friendly and seeded.

Taught in ``09_zhao_multispec_cbam_bls``.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np
import scipy.linalg
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.models.blocks import SequencePool
from mer_lessons.validation import (
    InputError, OutOfRangeError, WrongShapeError, WrongTypeError, as_choice, as_float, as_int,
    as_labels, as_signal, message,
)

__all__ = [
    "ChannelAttention", "SpatialAttention", "CBAM", "MultiSpecDNN", "BroadLearningSystem",
    "MCCLSTM", "MCCBL", "RCNNLSTM", "RCNNBL", "LSTM_BLS", "model_features", "fit_bls_head", "build",
    "MODEL_NAMES",
]

#: The row names of Tables VII-IX, in the paper's order.
MODEL_NAMES = ("MCCLSTM", "MCCBL", "RCNNLSTM", "RCNNBL", "LSTM_BLS", "MULTISPEC-DNN")


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------


def _odd_int(value, name: str, where: str) -> int:
    value = as_int(value, name, minimum=1, where=where)
    if value % 2 == 0:
        raise OutOfRangeError(message(name, "an odd integer >= 1 (so that padding k//2 keeps the size)",
                                      value, where=where))
    return value


def _int_tuple(values, name: str, where: str, *, minimum: int = 1, odd: bool = False) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or len(values) == 0:
        raise WrongTypeError(message(name, "a non-empty list or tuple of integers", values, where=where))
    if odd:
        return tuple(_odd_int(v, name, where) for v in values)
    return tuple(as_int(v, name, minimum=minimum, where=where) for v in values)


def _check_spectrogram(x, name: str, n_freq: Optional[int], where: str) -> torch.Tensor:
    """A ``(B, 1, F, T)`` float tensor with ``F == n_freq`` (when given)."""
    if not isinstance(x, torch.Tensor):
        raise WrongTypeError(message(name, "a torch tensor shaped (batch, 1, freq, time)", x, where=where))
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[0] < 1 or x.shape[3] < 1:
        raise WrongShapeError(message(name, "shaped (batch, 1, freq, time)", f"shape {tuple(x.shape)}",
                                      where=where, describe=False))
    if n_freq is not None and x.shape[2] != n_freq:
        raise WrongShapeError(message(name, f"shaped (batch, 1, {n_freq}, time): {n_freq} frequency bins",
                                      f"shape {tuple(x.shape)}", where=where, describe=False))
    if not x.is_floating_point():
        raise WrongTypeError(message(name, "a floating-point tensor", x, where=where))
    return x


def _conv_bn_relu(c_in: int, c_out: int, kernel: int) -> nn.Sequential:
    """Conv2d (same padding) -> BatchNorm2d -> ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2),
                         nn.BatchNorm2d(c_out), nn.ReLU())


def _freq_pool(f: int) -> tuple[nn.Module, int]:
    """Max-pool by 2 over frequency only (time kept); identity once a single bin is left."""
    if f >= 2:
        return nn.MaxPool2d(kernel_size=(2, 1)), f // 2
    return nn.Identity(), f


# ---------------------------------------------------------------------------------------
# CBAM (Eq. 5-6)
# ---------------------------------------------------------------------------------------


class ChannelAttention(nn.Module):
    """CBAM channel attention: one weight in (0, 1) per channel (Zhao et al., Eq. 5).

    ``M_c(F) = sigmoid(MLP(MaxPool(F)) + MLP(AvgPool(F)))`` with
    ``MLP(v) = W_1 ReLU(W_0 v)``: the feature map ``F`` ``(B, C, H, W)`` is pooled over all
    positions into two vectors ``(B, C)`` (max and average), both go through the *same*
    two-layer MLP ``C -> C/r -> C`` (one module, :attr:`mlp`, shared by the two paths),
    the results are added and squashed. ``forward`` returns the weights ``(B, C, 1, 1)``,
    ready to multiply ``F`` (broadcast over frequency and time). Unitless.

    ``reduction`` ``r``: hidden width ``max(1, C // r)``, so tiny maps (``C < r``) still
    work. Paper: the ratio is "a certain ratio"; we: ``r = 16``, the CBAM paper's default
    (Woo et al., 2018). Paper: ``W_0``/``W_1`` written without biases; we: ``nn.Linear``
    with biases, as in the CBAM reference implementation.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        where = "ChannelAttention"
        self.channels = as_int(channels, "channels", minimum=1, where=where)
        self.reduction = as_int(reduction, "reduction", minimum=1, where=where)
        self.hidden = max(1, self.channels // self.reduction)
        self.mlp = nn.Sequential(nn.Linear(self.channels, self.hidden), nn.ReLU(),
                                 nn.Linear(self.hidden, self.channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.channels:
            raise WrongShapeError(message("x", f"shaped (batch, {self.channels}, freq, time)",
                                          f"shape {tuple(getattr(x, 'shape', ()))}", where="ChannelAttention",
                                          describe=False))
        f_max = x.amax(dim=(2, 3))                     # (B, C)
        f_avg = x.mean(dim=(2, 3))                     # (B, C)
        weights = torch.sigmoid(self.mlp(f_max) + self.mlp(f_avg))
        return weights[:, :, None, None]


class SpatialAttention(nn.Module):
    """CBAM spatial attention: one weight in (0, 1) per time-frequency position (Zhao et al., Eq. 6).

    ``M_s(F) = sigmoid(f^{k x k}([MaxPool_c(F); AvgPool_c(F)]))``: the map ``F``
    ``(B, C, F, T)`` is reduced over channels to a max map and a mean map (each
    ``(B, 1, F, T)``), stacked as 2 channels (max first, as written in Eq. 6), convolved
    with one ``k x k`` kernel (zero padding ``k // 2``, so any map size, ``F != T`` and maps
    smaller than the kernel, keeps its shape) and squashed. ``forward`` returns
    ``(B, 1, F, T)``. Unitless.

    Paper: 7x7, "better than 3x3" per the CBAM paper; we: ``kernel_size=7`` by default, any
    odd size allowed. Paper: no bias or normalisation mentioned; we: a plain convolution
    with a bias (the CBAM reference adds a BatchNorm here; we leave it out so the weights
    depend on one sample only).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        self.kernel_size = _odd_int(kernel_size, "kernel_size", "SpatialAttention")
        self.conv = nn.Conv2d(2, 1, self.kernel_size, padding=self.kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            raise WrongShapeError(message("x", "shaped (batch, channels, freq, time)",
                                          f"shape {tuple(getattr(x, 'shape', ()))}", where="SpatialAttention",
                                          describe=False))
        stacked = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)   # (B, 2, F, T)
        return torch.sigmoid(self.conv(stacked))


class CBAM(nn.Module):
    """Convolutional Block Attention Module: channel, then spatial refinement (Zhao et al., Eq. 5-6, Fig. 4).

    ``F' = M_c(F) * F`` (:class:`ChannelAttention`), then ``F'' = M_s(F') * F'``
    (:class:`SpatialAttention`), both products element-wise with broadcasting. Input and
    output ``(B, C, F, T)``, same shape and units as the input. After every forward the
    weights are kept, detached, for plotting: :attr:`last_channel_weights`
    ``(B, C, 1, 1)`` and :attr:`last_spatial_weights` ``(B, 1, F, T)`` (``None`` before the
    first call).

    Paper: "a certain ratio" for the channel MLP; we: ``reduction=16`` (CBAM paper), hidden
    width clamped to at least 1. Spatial kernel 7x7 as in the paper.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, channels: int, reduction: int = 16, spatial_kernel: int = 7):
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(spatial_kernel)
        self.last_channel_weights: Optional[torch.Tensor] = None
        self.last_spatial_weights: Optional[torch.Tensor] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m_c = self.channel(x)
        refined = x * m_c
        m_s = self.spatial(refined)
        self.last_channel_weights = m_c.detach()
        self.last_spatial_weights = m_s.detach()
        return refined * m_s


# ---------------------------------------------------------------------------------------
# MultiSpec-DNN (Fig. 2, Sec. IV)
# ---------------------------------------------------------------------------------------


class MultiSpecDNN(nn.Module):
    """MultiSpec-DNN: several spectrograms -> conv + CBAM -> BLSTM -> (+ chords) -> two FC layers (Zhao et al., Fig. 2).

    Inputs: a tuple/list of spectrograms in the order of ``n_freq``, or a dict keyed by
    ``input_names``; input ``i`` is ``(B, 1, n_freq[i], T)`` (e.g. wideband ~3 ms and
    narrowband ~25 ms windows, or GTF and MF_RP features; any units, log-magnitude
    recommended). All inputs share ``T`` frames; their frequency sizes may differ.
    ``n_freq`` an int means two inputs of that size. Returns logits ``(B, n_classes)``.

    Steps (with the paper's part):

    1. One 3x3 convolution per input (``stem_channels`` maps) + BatchNorm + ReLU
       (Sec. IV.B.2a). If the inputs' frequency sizes differ, every stem output is
       average-pooled over frequency to the smallest size ``min(n_freq)`` (adaptive
       average pooling, time untouched). Paper: the spectrograms come from one FFT grid
       and the question does not arise; we: pool the finer grid down rather than invent
       bins by interpolation.
    2. Channel concatenation, then four 3x3 conv layers with ``channels`` filters
       (32, 48, 64, 80; Sec. IV.B.2b), each conv -> BatchNorm -> ReLU -> :class:`CBAM`
       (Eq. 5-6) -> max pooling by 2 over frequency only. Paper: no normalisation or
       pooling named for these layers (Sec. V.A says the filter channels use BN and 2x2
       max pooling); we: BN + ReLU, and pool frequency only so every frame reaches the
       BLSTM.
    3. BLSTM along time, CTPN-style (Sec. IV.B.3, Fig. 8): every frequency row of the
       ``(C, F', T)`` map is a sequence of ``T`` vectors of size ``C``, read by one shared
       bidirectional LSTM (``hidden`` per direction, 128 in the paper), giving
       ``(B, F', T, 2 * hidden)``. Paper: the whole ``F' x T x 256`` output is flattened;
       we: average over time first, then flatten the ``F'`` rows, so clips of any length
       fit the same weights.
    4. With ``use_chords=True`` the chord vector ``chords`` ``(B, chord_dim)`` (Chord2Vec,
       Eq. 2-4; 256 in the paper) is concatenated here (Sec. V.A: "further fused with the
       chord vectors"). With ``use_chords=False`` there is no chord branch at all (the
       first FC layer is narrower) and passing ``chords`` raises :class:`InputError`.
    5. FC (``fc_hidden`` units) -> ReLU -> dropout -> FC to ``n_classes`` logits. Paper:
       widths not given; we: ``fc_hidden=128``, dropout 0.2 (the experiments' value).

    ``features(x, chords=None)`` returns the output of the first FC layer (after ReLU),
    ``(B, fc_hidden)``: the representation a :class:`BroadLearningSystem` head is fitted on
    (Sec. V.A: "BLS is used for node enhancement to obtain the final output").
    ``use_cbam=False`` (ablation) builds the same network without any CBAM module.
    ``cbam_blocks`` lists the CBAM modules (empty without CBAM) for plotting their
    ``last_spatial_weights``.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    HEAD = "softmax"

    def __init__(self, n_freq: int | Sequence[int] = 64, n_classes: int = 4, *,
                 channels: Sequence[int] = (32, 48, 64, 80), stem_channels: int = 16, hidden: int = 128,
                 fc_hidden: int = 128, use_cbam: bool = True, use_chords: bool = False, chord_dim: int = 256,
                 reduction: int = 16, spatial_kernel: int = 7, dropout: float = 0.2,
                 input_names: Optional[Sequence[str]] = None):
        super().__init__()
        where = "MultiSpecDNN"
        if isinstance(n_freq, (list, tuple)):
            n_freq = _int_tuple(n_freq, "n_freq", where)
        else:
            n_freq = (as_int(n_freq, "n_freq", minimum=1, where=where),) * 2
        self.n_freq = n_freq
        self.n_inputs = len(n_freq)
        if input_names is None:
            input_names = ("wideband", "narrowband") if self.n_inputs == 2 else tuple(
                f"input{i}" for i in range(self.n_inputs))
        input_names = tuple(str(n) for n in input_names)
        if len(input_names) != self.n_inputs or len(set(input_names)) != self.n_inputs:
            raise InputError(message("input_names", f"{self.n_inputs} distinct names, one per entry of n_freq",
                                     input_names, where=where))
        self.input_names = input_names
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        self.channels = _int_tuple(channels, "channels", where)
        stem_channels = as_int(stem_channels, "stem_channels", minimum=1, where=where)
        self.hidden = as_int(hidden, "hidden", minimum=1, where=where)
        self.fc_hidden = as_int(fc_hidden, "fc_hidden", minimum=1, where=where)
        dropout = as_float(dropout, "dropout", minimum=0.0, maximum=1.0, high_open=True, where=where)
        if not isinstance(use_cbam, bool):
            raise WrongTypeError(message("use_cbam", "True or False", use_cbam, where=where))
        if not isinstance(use_chords, bool):
            raise WrongTypeError(message("use_chords", "True or False", use_chords, where=where))
        self.use_cbam, self.use_chords = use_cbam, use_chords
        self.chord_dim = as_int(chord_dim, "chord_dim", minimum=1, where=where) if use_chords else 0

        self.stems = nn.ModuleList([_conv_bn_relu(1, stem_channels, 3) for _ in range(self.n_inputs)])
        self.common_freq = min(n_freq)
        layers = []
        c_in, f = stem_channels * self.n_inputs, self.common_freq
        for c_out in self.channels:
            pool, f = _freq_pool(f)
            block = [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
            if use_cbam:
                block.append(CBAM(c_out, reduction, spatial_kernel))
            block.append(pool)
            layers.append(nn.Sequential(*block))
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        self.rows = f                                   # F' frequency rows reaching the BLSTM
        self.blstm = nn.LSTM(c_in, self.hidden, batch_first=True, bidirectional=True)
        self.fc1 = nn.Linear(self.rows * 2 * self.hidden + self.chord_dim, self.fc_hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(self.fc_hidden, self.n_classes)

    @property
    def cbam_blocks(self) -> list:
        """The CBAM modules, first conv layer first (empty with ``use_cbam=False``)."""
        return [m for m in self.modules() if isinstance(m, CBAM)]

    def _inputs(self, x) -> list:
        where = "MultiSpecDNN"
        if isinstance(x, Mapping):
            if set(x) != set(self.input_names):
                raise InputError(message("x", f"a dict with keys {list(self.input_names)}", sorted(map(str, x)),
                                         where=where))
            x = [x[name] for name in self.input_names]
        elif isinstance(x, torch.Tensor) or not isinstance(x, (list, tuple)):
            raise WrongTypeError(message("x", f"a tuple or dict of {self.n_inputs} spectrograms "
                                         "(batch, 1, freq, time)", x, where=where))
        if len(x) != self.n_inputs:
            raise InputError(message("x", f"{self.n_inputs} spectrograms ({', '.join(self.input_names)})",
                                     f"{len(x)}", where=where, describe=False))
        x = [_check_spectrogram(s, f"x[{name!r}]", f, where)
             for s, name, f in zip(x, self.input_names, self.n_freq)]
        batch, frames = x[0].shape[0], x[0].shape[3]
        for s, name in zip(x[1:], self.input_names[1:]):
            if s.shape[0] != batch or s.shape[3] != frames:
                raise WrongShapeError(message(f"x[{name!r}]", f"shaped ({batch}, 1, freq, {frames}) like "
                                              f"x[{self.input_names[0]!r}] (same batch and frames)",
                                              f"shape {tuple(s.shape)}", where=where, describe=False))
        return x

    def _check_chords(self, chords, batch: int):
        where = "MultiSpecDNN"
        if not self.use_chords:
            if chords is not None:
                raise InputError(message("chords", "None: this model was built with use_chords=False",
                                         chords, where=where, hint="build it with use_chords=True"))
            return None
        if chords is None:
            raise InputError(message("chords", f"a tensor shaped ({batch}, {self.chord_dim}) "
                                     "(the model was built with use_chords=True)", None, where=where))
        if not isinstance(chords, torch.Tensor) or tuple(chords.shape) != (batch, self.chord_dim):
            raise WrongShapeError(message("chords", f"a tensor shaped ({batch}, {self.chord_dim})", chords,
                                          where=where))
        return chords

    def features(self, x, chords: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Penultimate representation ``(B, fc_hidden)``: the first FC layer after ReLU."""
        specs = self._inputs(x)
        chords = self._check_chords(chords, specs[0].shape[0])
        maps = []
        for stem, spec in zip(self.stems, specs):
            m = stem(spec)
            if m.shape[2] != self.common_freq:
                m = F.adaptive_avg_pool2d(m, (self.common_freq, m.shape[3]))
            maps.append(m)
        h = self.conv(torch.cat(maps, dim=1))                       # (B, C, F', T)
        b, c, rows, t = h.shape
        seq = h.permute(0, 2, 3, 1).reshape(b * rows, t, c)         # every row a sequence
        out, _ = self.blstm(seq)                                    # (B*F', T, 2H)
        summary = out.mean(dim=1).reshape(b, rows * 2 * self.hidden)
        if chords is not None:
            summary = torch.cat([summary, chords.to(summary.dtype)], dim=1)
        return F.relu(self.fc1(summary))

    def forward(self, x, chords: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.fc2(self.dropout(self.features(x, chords)))


# ---------------------------------------------------------------------------------------
# Broad Learning System
# ---------------------------------------------------------------------------------------


class BroadLearningSystem:
    """Broad Learning System classifier: random feature and enhancement nodes + ridge output (Chen & Chen, 2018).

    ``X`` ``(n, d)`` is standardised with the training mean and standard deviation
    (:attr:`mean_`, :attr:`scale_`; constant columns get scale 1). Then

    * feature nodes, ``n_feature_groups`` groups of ``nodes_per_group``:
      ``Z_i = phi(X W_i + b_i)``, ``Z = [Z_1 | ... | Z_n]``;
    * enhancement nodes: ``H = tanh(Z W_h + b_h)`` (``n_enhancement`` of them);
    * ``A = [Z | H]`` ``(n, n_nodes)`` (:meth:`nodes`);
    * output weights ``W = argmin ||A W - Y||^2 + ridge ||W||^2`` with ``Y`` the one-hot
      labels ``(n, n_classes)``, i.e. ``(A^T A + ridge I) W = A^T Y``, solved with a
      Cholesky-based linear solver (never an explicit inverse). :attr:`output_weights_`
      ``(n_nodes, n_classes)``; :attr:`classes_` the sorted labels.

    ``predict_proba``: the softmax of the scores ``A W`` over classes (the ridge scores
    estimate the one-hot targets and can leave [0, 1]; the softmax makes them positive and
    sum to 1 without changing the arg-max). ``predict``: the class of the largest score.

    Paper (Zhao et al.): BLS "node enhancement" on top of the network, no sizes given; we:
    10 groups of 10 feature nodes and 100 enhancement nodes by default, ``ridge=1e-2``.
    BLS paper: ``W_i`` refined by a sparse autoencoder and ``phi`` linear; we: plain random
    projections, uniform in ``[-1, 1] / sqrt(fan_in)`` (weights and biases), ``phi``
    chosen by ``feature_activation`` (``"linear"`` default, ``"tanh"``, ``"relu"``). Weights
    are drawn from ``numpy.random.default_rng(seed)`` at ``fit``: same seed, same model.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    ACTIVATIONS = ("linear", "tanh", "relu")

    def __init__(self, n_feature_groups: int = 10, nodes_per_group: int = 10, n_enhancement: int = 100, *,
                 ridge: float = 1e-2, seed: int = 0, feature_activation: str = "linear"):
        where = "BroadLearningSystem"
        self.n_feature_groups = as_int(n_feature_groups, "n_feature_groups", minimum=1, where=where)
        self.nodes_per_group = as_int(nodes_per_group, "nodes_per_group", minimum=1, where=where)
        self.n_enhancement = as_int(n_enhancement, "n_enhancement", minimum=0, where=where)
        self.ridge = as_float(ridge, "ridge", minimum=0.0, low_open=True, where=where)
        self.seed = as_int(seed, "seed", minimum=0, where=where)
        self.feature_activation = as_choice(feature_activation, "feature_activation", self.ACTIVATIONS,
                                            where=where)
        self.output_weights_: Optional[np.ndarray] = None
        self.classes_: Optional[np.ndarray] = None

    def __repr__(self) -> str:
        return (f"BroadLearningSystem(n_feature_groups={self.n_feature_groups}, "
                f"nodes_per_group={self.nodes_per_group}, n_enhancement={self.n_enhancement}, "
                f"ridge={self.ridge:g}, seed={self.seed}, feature_activation={self.feature_activation!r})")

    @property
    def n_nodes(self) -> int:
        """Columns of ``A``: feature nodes plus enhancement nodes."""
        return self.n_feature_groups * self.nodes_per_group + self.n_enhancement

    def _as_x(self, X, where: str) -> np.ndarray:
        X = as_signal(X, "X", ndim=2, where=where, hint="one row per sample, one column per feature")
        if self.output_weights_ is not None and X.shape[1] != self.n_features_in_:
            raise WrongShapeError(message("X", f"shaped (n_samples, {self.n_features_in_}) like the data "
                                          "it was fitted on", f"shape {X.shape}", where=where, describe=False))
        return X

    def _require_fitted(self, where: str) -> None:
        if self.output_weights_ is None:
            raise InputError(f"{where}: this BroadLearningSystem is not fitted yet; call fit(X, y) first")

    def _phi(self, u: np.ndarray) -> np.ndarray:
        if self.feature_activation == "tanh":
            return np.tanh(u)
        if self.feature_activation == "relu":
            return np.maximum(u, 0.0)
        return u

    def _nodes(self, X: np.ndarray) -> np.ndarray:
        x = (X - self.mean_) / self.scale_
        z = self._phi(x @ self.feature_weights_ + self.feature_bias_)
        if self.n_enhancement == 0:
            return z
        h = np.tanh(z @ self.enhancement_weights_ + self.enhancement_bias_)
        return np.concatenate([z, h], axis=1)

    def fit(self, X, y) -> "BroadLearningSystem":
        """Fit on ``X`` ``(n, d)`` and labels ``y`` ``(n,)`` (any hashable labels, >= 2 classes); returns ``self``."""
        where = "BroadLearningSystem.fit"
        self.output_weights_ = None
        X = self._as_x(X, where)
        labels = as_labels(y, "y", where=where, min_length=1)
        if len(labels) != X.shape[0]:
            raise WrongShapeError(message("y", f"one label per row of X ({X.shape[0]})", f"{len(labels)} labels",
                                          where=where, describe=False))
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise InputError(message("y", "labels of at least 2 classes", f"only {classes.tolist()}", where=where,
                                     describe=False))
        n, d = X.shape
        self.n_features_in_ = d
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        rng = np.random.default_rng(self.seed)
        n_z = self.n_feature_groups * self.nodes_per_group
        # groups drawn one after another: W = [W_1 | ... | W_n]
        self.feature_weights_ = rng.uniform(-1, 1, (d, n_z)) / np.sqrt(d)
        self.feature_bias_ = rng.uniform(-1, 1, n_z) / np.sqrt(d)
        self.enhancement_weights_ = rng.uniform(-1, 1, (n_z, self.n_enhancement)) / np.sqrt(n_z)
        self.enhancement_bias_ = rng.uniform(-1, 1, self.n_enhancement) / np.sqrt(n_z)
        A = self._nodes(X)
        Y = np.eye(len(classes))[codes]
        gram = A.T @ A + self.ridge * np.eye(A.shape[1])
        self.output_weights_ = scipy.linalg.solve(gram, A.T @ Y, assume_a="pos")
        typed = np.asarray(classes.tolist())          # int labels predict ints, strings strings
        self.classes_ = typed if typed.ndim == 1 else classes
        return self

    def nodes(self, X) -> np.ndarray:
        """``A = [Z | H]`` ``(n, n_nodes)`` for ``X`` ``(n, d)`` (standardised with the training statistics)."""
        self._require_fitted("BroadLearningSystem.nodes")
        return self._nodes(self._as_x(X, "BroadLearningSystem.nodes"))

    def decision_function(self, X) -> np.ndarray:
        """Ridge scores ``A W`` ``(n, n_classes)``, columns in the order of ``classes_``."""
        self._require_fitted("BroadLearningSystem.decision_function")
        return self._nodes(self._as_x(X, "BroadLearningSystem.decision_function")) @ self.output_weights_

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the scores over classes ``(n, n_classes)``; rows sum to 1."""
        scores = self.decision_function(X)
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The label with the largest score ``(n,)``."""
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``."""
        labels = as_labels(y, "y", where="BroadLearningSystem.score")
        predicted = self.predict(X)
        if len(labels) != len(predicted):
            raise WrongShapeError(message("y", f"one label per row of X ({len(predicted)})", f"{len(labels)} labels",
                                          where="BroadLearningSystem.score", describe=False))
        return float(np.mean(predicted == labels))


# ---------------------------------------------------------------------------------------
# The baselines of Tables VII-IX (Sec. V.B.1)
# ---------------------------------------------------------------------------------------


class _SpectrogramModel(nn.Module):
    """Shared checks and the linear/LSTM heads of the baselines (not public)."""

    HEAD = "softmax"

    def _check(self, x) -> torch.Tensor:
        return _check_spectrogram(x, "x", self.n_freq, type(self).__name__)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _ConvLSTMBase(_SpectrogramModel):
    """conv front ``(B, C, F', T)`` -> frames ``(B, T, C * F')`` -> LSTM -> last step (features)."""

    def _init_head(self, front_channels: int, n_classes: int, hidden: int, freq_bins: int,
                   dropout: float, use_lstm: bool, where: str) -> None:
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        self.freq_bins = min(as_int(freq_bins, "freq_bins", minimum=1, where=where), self.n_freq)
        self.dropout = nn.Dropout(as_float(dropout, "dropout", minimum=0.0, maximum=1.0, high_open=True,
                                           where=where))
        width = front_channels * self.freq_bins
        self.use_lstm = use_lstm
        if use_lstm:
            self.hidden = as_int(hidden, "hidden", minimum=1, where=where)
            self.lstm = nn.LSTM(width, self.hidden, batch_first=True)
            self.pool = SequencePool("last")
            self.feature_dim = self.hidden
        else:
            self.feature_dim = width
        self.classifier = nn.Sequential(self.dropout, nn.Linear(self.feature_dim, self.n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, n_freq, T)`` -> ``(B, feature_dim)``: the LSTM's last step, or the time-averaged conv maps."""
        h = self.front(self._check(x))                                    # (B, C, F, T)
        h = F.adaptive_avg_pool2d(h, (self.freq_bins, h.shape[3]))        # (B, C, bins, T)
        b, c, f, t = h.shape
        if not self.use_lstm:
            return h.mean(dim=3).reshape(b, c * f)
        frames = h.permute(0, 3, 1, 2).reshape(b, t, c * f)
        return self.pool(self.lstm(frames))


class _MultiKernelFront(nn.Module):
    """Parallel conv branches with different kernel sizes, concatenated over channels."""

    def __init__(self, kernel_sizes: Sequence[int], branch_channels: int):
        super().__init__()
        self.branches = nn.ModuleList([_conv_bn_relu(1, branch_channels, k) for k in kernel_sizes])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class MCCLSTM(_ConvLSTMBase):
    """Multi-channel CNN + LSTM baseline (Zhao et al., Sec. V.B.1a; Tables VII-IX).

    ``(B, 1, n_freq, T)`` -> three parallel conv branches (kernels ``kernel_sizes``,
    default 3x3, 5x5, 7x7, ``branch_channels`` maps each, same padding, BN + ReLU)
    concatenated over channels -> frequency average-pooled to ``freq_bins`` bins -> every
    frame ``(C * freq_bins)`` into an LSTM (``hidden`` units) -> last step -> dropout ->
    linear -> logits ``(B, n_classes)``. ``features(x)`` is the LSTM's last step
    ``(B, hidden)``.

    Paper: "CNN filtering channels with convolutional kernels of three different sizes ...
    the output of each CNN channel concatenated as the input for the LSTM layer", other
    settings "refer to the literature"; we: kernels 3/5/7, 16 maps per branch, 8 frequency
    bins, 64 LSTM units, dropout 0.2 (the paper's value).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, n_freq: int = 64, n_classes: int = 4, *, kernel_sizes: Sequence[int] = (3, 5, 7),
                 branch_channels: int = 16, hidden: int = 64, freq_bins: int = 8, dropout: float = 0.2):
        super().__init__()
        where = type(self).__name__
        self.n_freq = as_int(n_freq, "n_freq", minimum=1, where=where)
        self.kernel_sizes = _int_tuple(kernel_sizes, "kernel_sizes", where, odd=True)
        branch_channels = as_int(branch_channels, "branch_channels", minimum=1, where=where)
        self.front = _MultiKernelFront(self.kernel_sizes, branch_channels)
        self._init_head(branch_channels * len(self.kernel_sizes), n_classes, hidden, freq_bins, dropout,
                        use_lstm=self.HEAD == "softmax", where=where)


class MCCBL(MCCLSTM):
    """Multi-channel CNN + Broad Learning System baseline (Zhao et al., Sec. V.B.1a; Tables VII-IX).

    The conv front of :class:`MCCLSTM` (three kernel sizes, concatenated), without the
    LSTM: ``features(x)`` averages the conv maps over time, ``(B, 1, n_freq, T)`` ->
    ``(B, 3 * branch_channels * freq_bins)``; a :class:`BroadLearningSystem` is fitted on
    them (:func:`fit_bls_head`). ``forward`` gives logits from a linear layer on the same
    features, so the front can be trained by backpropagation first if wanted.

    Paper: "enhances the nodes using a BLS layer"; whether the conv front is trained is not
    said; we: either (train with ``forward`` then fit the BLS, or fit the BLS on the
    random front, the quick BLS way). Time averaging replaces the LSTM's reading of the
    frames (our choice).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    HEAD = "bls"


class _RandomConvFront(nn.Module):
    def __init__(self, counts: Sequence[int], kernel_size: int):
        super().__init__()
        layers, c_in = [], 1
        for c_out in counts:
            layers.append(_conv_bn_relu(c_in, c_out, kernel_size))
            c_in = c_out
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class RCNNLSTM(_ConvLSTMBase):
    """Random-width CNN + LSTM baseline (Zhao et al., Sec. V.B.1b; Tables VII-IX).

    ``(B, 1, n_freq, T)`` -> two conv layers with a fixed ``kernel_size`` (same padding,
    BN + ReLU) whose numbers of kernels are drawn once, uniformly from
    ``channel_range = (low, high)`` inclusive, by ``numpy.random.default_rng(seed)``
    (stored in :attr:`kernel_counts`) -> frequency average-pooled to ``freq_bins`` bins ->
    LSTM over frames (``hidden`` units) -> last step -> dropout -> linear -> logits
    ``(B, n_classes)``. ``features(x)`` is the LSTM's last step ``(B, hidden)``.

    Paper: "a fixed convolution kernel size but a random number of kernels", nothing else;
    we: 3x3 kernels, counts in [8, 32], seed 0, 8 frequency bins, 64 LSTM units, dropout 0.2.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, n_freq: int = 64, n_classes: int = 4, *, kernel_size: int = 3,
                 channel_range: Sequence[int] = (8, 32), seed: int = 0, hidden: int = 64, freq_bins: int = 8,
                 dropout: float = 0.2):
        super().__init__()
        where = type(self).__name__
        self.n_freq = as_int(n_freq, "n_freq", minimum=1, where=where)
        self.kernel_size = _odd_int(kernel_size, "kernel_size", where)
        pair = _int_tuple(channel_range, "channel_range", where)
        if len(pair) != 2 or pair[0] > pair[1]:
            raise InputError(message("channel_range", "a pair (low, high) of integers >= 1 with low <= high",
                                     channel_range, where=where))
        low, high = pair
        self.seed = as_int(seed, "seed", minimum=0, where=where)
        rng = np.random.default_rng(self.seed)
        self.kernel_counts = tuple(int(c) for c in rng.integers(low, high + 1, size=2))
        self.front = _RandomConvFront(self.kernel_counts, self.kernel_size)
        self._init_head(self.kernel_counts[-1], n_classes, hidden, freq_bins, dropout,
                        use_lstm=self.HEAD == "softmax", where=where)


class RCNNBL(RCNNLSTM):
    """Random-width CNN + Broad Learning System baseline (Zhao et al., Sec. V.B.1b; Tables VII-IX).

    The two-layer random-width conv front of :class:`RCNNLSTM` without the LSTM:
    ``features(x)`` averages the last conv maps over time, ``(B, 1, n_freq, T)`` ->
    ``(B, kernel_counts[-1] * freq_bins)``, for a :class:`BroadLearningSystem` head
    (:func:`fit_bls_head`). ``forward`` gives logits from a linear layer on the features,
    for optional backpropagation training of the front.

    Paper: "uses BLS layer for enhancement"; we: as for :class:`MCCBL` (front trained or
    not, time averaging instead of the LSTM).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    HEAD = "bls"


class LSTM_BLS(_SpectrogramModel):
    """Two-layer LSTM whose output, with the input features, feeds a BLS (Zhao et al., Sec. V.B.1c; Tables VII-IX).

    ``(B, 1, n_freq, T)`` (the paper uses MF_RP features) -> frames ``(B, T, n_freq)`` ->
    LSTM (``hidden[0]`` cells) -> LSTM (``hidden[1]`` cells) -> last step ``(B, hidden[1])``.
    ``features(x)`` concatenates the time-averaged input frames and that last step,
    ``(B, n_freq + hidden[1])``: the input features are the BLS's feature-node input and
    the LSTM output joins them ("directly uses the extracted features as input for a
    multi-layer LSTM and as feature nodes for BLS. The latter connects the final output to
    the enhancement nodes"). ``forward``: dropout + linear on the LSTM's last step, to
    train the LSTM by backpropagation before fitting the BLS (:func:`fit_bls_head`).

    Paper: 1024 and 512 memory cells; we: ``hidden=(64, 32)`` by default, scaled down for a
    CPU (pass ``(1024, 512)`` for the paper's sizes). Paper: how the LSTM output reaches
    the enhancement nodes is not specified beyond that sentence; we: one joint feature
    vector, from which our BLS makes both feature and enhancement nodes.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    HEAD = "bls"

    def __init__(self, n_freq: int = 64, n_classes: int = 4, *, hidden: Sequence[int] = (64, 32),
                 dropout: float = 0.2):
        super().__init__()
        where = "LSTM_BLS"
        self.n_freq = as_int(n_freq, "n_freq", minimum=1, where=where)
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        self.hidden = _int_tuple(hidden, "hidden", where)
        if len(self.hidden) != 2:
            raise InputError(message("hidden", "two sizes (first LSTM, second LSTM)", hidden, where=where))
        self.lstm1 = nn.LSTM(self.n_freq, self.hidden[0], batch_first=True)
        self.lstm2 = nn.LSTM(self.hidden[0], self.hidden[1], batch_first=True)
        self.feature_dim = self.n_freq + self.hidden[1]
        dropout = as_float(dropout, "dropout", minimum=0.0, maximum=1.0, high_open=True, where=where)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.hidden[1], self.n_classes))

    def _sequence(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = self._check(x)[:, 0].transpose(1, 2)          # (B, T, F)
        out, _ = self.lstm1(frames)
        out, _ = self.lstm2(out)
        return frames, out[:, -1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, n_freq, T)`` -> ``(B, n_freq + hidden[1])``: mean input frame, then the LSTM's last step."""
        frames, last = self._sequence(x)
        return torch.cat([frames.mean(dim=1), last], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self._sequence(x)[1])


# ---------------------------------------------------------------------------------------
# helpers for the chapter
# ---------------------------------------------------------------------------------------


def _slice(x, start: int, stop: int):
    if isinstance(x, Mapping):
        return {k: v[start:stop] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(v[start:stop] for v in x)
    return x[start:stop]


def _batch_size_of(x) -> int:
    first = next(iter(x.values())) if isinstance(x, Mapping) else (x[0] if isinstance(x, (list, tuple)) else x)
    if not isinstance(first, torch.Tensor) or first.ndim < 1:
        raise WrongTypeError(message("X", "a tensor (or a tuple/dict of tensors) with a batch axis", first,
                                     where="fit_bls_head"))
    return first.shape[0]


@torch.no_grad()
def model_features(model: nn.Module, X, chords: Optional[torch.Tensor] = None, *,
                   batch_size: int = 64) -> np.ndarray:
    """``model.features`` over ``X`` in eval mode and batches, as a float64 array ``(n, D)``.

    ``X``: what the model's ``features`` takes (a ``(n, 1, F, T)`` tensor, or for
    :class:`MultiSpecDNN` a tuple/dict of them); ``chords`` ``(n, chord_dim)`` only for a
    :class:`MultiSpecDNN` built with ``use_chords=True``. The model's train/eval mode is
    restored afterwards.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    if not hasattr(model, "features"):
        raise WrongTypeError(message("model", "a module with a features() method", type(model).__name__,
                                     where="model_features", describe=False))
    batch_size = as_int(batch_size, "batch_size", minimum=1, where="model_features")
    n = _batch_size_of(X)
    was_training = model.training
    model.eval()
    try:
        parts = []
        for start in range(0, n, batch_size):
            xb = _slice(X, start, start + batch_size)
            if chords is None:
                parts.append(model.features(xb))
            else:
                parts.append(model.features(xb, chords[start:start + batch_size]))
    finally:
        model.train(was_training)
    return torch.cat(parts).double().cpu().numpy()


def fit_bls_head(model: nn.Module, X, y, chords: Optional[torch.Tensor] = None, *, batch_size: int = 64,
                 **bls_kwargs: Any) -> BroadLearningSystem:
    """Fit a :class:`BroadLearningSystem` on ``model.features(X)`` (Zhao et al., Sec. V.A/V.B.1: the BLS heads).

    ``X`` as for :func:`model_features`, ``y`` ``(n,)`` labels; ``bls_kwargs`` go to
    :class:`BroadLearningSystem` (``n_feature_groups``, ``ridge``, ``seed``, ...). Returns
    the fitted BLS; predict with ``bls.predict(model_features(model, X_test))``. The model
    is not changed (its front may be trained beforehand, or left random).

    Paper: how the BLS is attached is not described; we: features from the frozen network,
    then a closed-form BLS fit.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    feats = model_features(model, X, chords, batch_size=batch_size)
    return BroadLearningSystem(**bls_kwargs).fit(feats, y)


_BUILDERS = {"MCCLSTM": MCCLSTM, "MCCBL": MCCBL, "RCNNLSTM": RCNNLSTM, "RCNNBL": RCNNBL,
             "LSTM_BLS": LSTM_BLS, "MULTISPEC-DNN": MultiSpecDNN}


def build(name: str, n_freq: int | Sequence[int] = 64, n_classes: int = 4, **kw: Any) -> nn.Module:
    """The model of a row of Tables VII-IX: ``build("RCNNBL", n_freq=64)`` (Zhao et al., Sec. V.B.1).

    ``name``: one of :data:`MODEL_NAMES` (case-insensitive; ``"MultiSpec-DNN"`` works).
    ``n_freq``: frequency bins of the input spectrogram, or for ``"MULTISPEC-DNN"`` one
    size per input (an int means two inputs of that size). ``kw`` go to the class. Every
    returned module has a ``HEAD`` attribute: ``"bls"`` for the rows whose classifier is a
    Broad Learning System (fit one with :func:`fit_bls_head`), ``"softmax"`` for the rest
    (train ``forward``'s logits with cross-entropy, Eq. 7). Paper: MULTISPEC-DNN also ends
    in a BLS (Sec. V.A) but Fig. 2 ends in softmax; we: ``"softmax"``, with
    :meth:`MultiSpecDNN.features` ready for a BLS head as an extra.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    if not isinstance(name, str):
        raise WrongTypeError(message("name", "one of " + ", ".join(map(repr, MODEL_NAMES)), name, where="build"))
    key = as_choice(name.strip().upper(), "name", MODEL_NAMES, where="build")
    if key != "MULTISPEC-DNN" and isinstance(n_freq, (list, tuple)):
        raise WrongTypeError(message("n_freq", f"an integer for {key} (one spectrogram)", n_freq, where="build"))
    return _BUILDERS[key](n_freq, n_classes, **kw)


class WindowInputs(nn.Module):
    """A Zhao model that reads a :class:`~mer_lessons.windows.WindowSet` batch.

    The course's trainers (:func:`mer_lessons.evaluation.compare_models`) hand a model a
    dict ``{input: (B, T, F)}`` (frames as steps, bins as features; see
    :func:`mer_lessons.windows.clip_windows`). This wrapper turns each named spectrogram into
    the ``(B, 1, F, T)`` image the Zhao models read and, for a :class:`MultiSpecDNN` built
    with ``use_chords=True``, passes ``chords`` ``(B, 1, D)`` as the ``(B, D)`` chord vector.
    ``forward(batch)`` gives the wrapped model's logits; ``features(batch)`` its
    ``features`` (what a BLS head is fitted on); ``HEAD`` is the wrapped model's.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """

    def __init__(self, model: nn.Module, spectrograms: Sequence[str], chords: Optional[str] = None):
        super().__init__()
        if not isinstance(model, nn.Module):
            raise WrongTypeError(message("model", "a torch module", model, where="WindowInputs"))
        self.model = model
        self.spectrograms = tuple(str(s) for s in spectrograms)
        if not self.spectrograms:
            raise InputError(message("spectrograms", "at least one input name", spectrograms, where="WindowInputs"))
        self.chords = None if chords is None else str(chords)
        self.HEAD = getattr(model, "HEAD", "softmax")

    def _call(self, batch: Mapping[str, torch.Tensor], method):
        missing = [k for k in self.spectrograms + ((self.chords,) if self.chords else ()) if k not in batch]
        if missing:
            raise InputError(message("batch", f"inputs {list(self.spectrograms)}"
                                     + (f" and {self.chords!r}" if self.chords else ""),
                                     f"a batch without {missing}", where="WindowInputs", describe=False))
        images = [batch[k].transpose(1, 2).unsqueeze(1) for k in self.spectrograms]   # (B, 1, F, T)
        x = tuple(images) if isinstance(self.model, MultiSpecDNN) else images[0]
        if self.chords is None:
            return method(x)
        return method(x, batch[self.chords].reshape(batch[self.chords].shape[0], -1))

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self._call(batch, self.model)

    def features(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self._call(batch, self.model.features)


def window_builder(name: str, spectrograms: Sequence[str], chords: Optional[str] = None, **kw: Any):
    """``build(dims, n_classes) -> WindowInputs``: a row of Tables VII-IX for ``ModelSpec(kind="fusion")``.

    ``dims`` (``{input: width}``, from the training windows) gives each spectrogram's
    frequency size and the chord vector's length; ``kw`` go to :func:`build` (e.g. smaller
    ``channels``). For ``"MULTISPEC-DNN"`` every name in ``spectrograms`` is one input and
    ``chords`` (if given) switches the chord branch on (``use_chords=True``); the baselines
    read the first spectrogram only.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    spectrograms = tuple(spectrograms)

    def make(dims: Mapping[str, int], n_classes: int) -> WindowInputs:
        if name.strip().upper() == "MULTISPEC-DNN":
            extra = {"use_chords": chords is not None, "input_names": spectrograms}
            if chords is not None:
                extra["chord_dim"] = int(dims[chords])
            model = build(name, [int(dims[s]) for s in spectrograms], n_classes, **extra, **kw)
            return WindowInputs(model, spectrograms, chords)
        return WindowInputs(build(name, int(dims[spectrograms[0]]), n_classes, **kw), spectrograms[:1])

    return make


__all__ += ["WindowInputs", "window_builder"]
