"""Lyrics as token ids: the input of a lyrics branch (Hao et al., Fig. 1).

A deliberately small word-level tokenizer, enough for the teaching dataset's two-line
lyrics: lower-case words (letters and apostrophes), a vocabulary built from the training
texts, id 0 for padding and id 1 for words never seen in training. Later chapters that use
a pretrained language model use its own tokenizer instead.

Taught in ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

import torch

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
