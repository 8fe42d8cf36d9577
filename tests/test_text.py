"""Tests of mer_lessons.text (the word tokenizer and vocabulary of the lyrics branch)."""

import pytest

from mer_lessons import text


def test_tokenize_and_vocabulary():
    assert text.tokenize("Don't STOP, the night!") == ["don't", "stop", "the", "night"]
    with pytest.raises(TypeError):
        text.tokenize(3)
    vocab = text.Vocabulary.build(["b a a", "c a b"])
    assert vocab.words == ["<pad>", "<unk>", "a", "b", "c"]
    tokens, pad = vocab.encode(["a b", "c zebra a", ""])
    assert tokens.tolist() == [[2, 3, 0], [4, 1, 2], [1, 0, 0]]
    assert pad.tolist() == [[False, False, True], [False, False, False], [False, True, True]]
    assert vocab.encode(["a b c"], max_len=2)[0].shape == (1, 2)
