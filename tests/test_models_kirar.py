"""Tests of mer_lessons.models.kirar: Kirar et al.'s BiLSTM + self-attention and baselines (chapter 11)."""
import math

import pytest
import torch
from torch.nn import functional as F

from mer_lessons.models import kirar as K
from mer_lessons.papers import kirar as paper
from mer_lessons.validation import InputError, UnknownOptionError, WrongShapeError

B, T, IN_DIM = 3, 5, 7


def _all_models():
    torch.manual_seed(0)
    return {name: K.build(name, IN_DIM) for name in K.MODELS}


# ------------------------------------------------------------------ shapes and gradients


@pytest.mark.parametrize("steps", [T, 1])
def test_every_model_maps_sequences_to_logits(steps):
    x = torch.randn(B, steps, IN_DIM)
    for name, model in _all_models().items():
        model.eval()
        assert model(x).shape == (B, 3), name
        assert model.pretrained is False


@pytest.mark.parametrize("steps", [T, 1])
def test_bilstm_attention_weights_and_features_shapes(steps):
    torch.manual_seed(0)
    model = K.BiLSTMSelfAttention(IN_DIM, hidden=8, heads=4).eval()
    logits, weights = model(torch.randn(B, steps, IN_DIM), return_attention=True)
    assert logits.shape == (B, 3)
    assert weights.shape == (B, 4, steps, steps)
    assert not weights.requires_grad
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, 4, steps))
    assert model.features(torch.randn(B, steps, IN_DIM)).shape == (B, 16)
    last = K.BiLSTMSelfAttention(IN_DIM, hidden=8, heads=4, pool="last").eval()
    assert last.features(torch.randn(B, steps, IN_DIM)).shape == (B, 16)


def test_gradient_reaches_every_parameter():
    x = torch.randn(B, T, IN_DIM)
    y = torch.tensor([0, 1, 2])
    for name, model in _all_models().items():
        model.train()
        F.cross_entropy(model(x), y).backward()
        for pname, p in model.named_parameters():
            assert p.grad is not None, f"{name}: {pname} got no gradient"
            assert float(p.grad.abs().sum()) > 0, f"{name}: {pname} got a zero gradient"


def test_last_pooling_takes_forward_end_and_backward_start():
    torch.manual_seed(0)
    model = K.BiLSTMSelfAttention(IN_DIM, hidden=6, attention=False, pool="last").eval()
    x = torch.randn(B, T, IN_DIM)
    states, _ = model.lstm(x)
    expected = torch.cat([states[:, -1, :6], states[:, 0, 6:]], dim=1)
    torch.testing.assert_close(model.features(x), expected)


# ------------------------------------------------------------------ the equations


def _identity_attention(dim, **kw):
    attn = K.MultiHeadSelfAttention(dim, heads=1, **kw)
    with torch.no_grad():
        for layer in (attn.query, attn.key, attn.value, attn.out):
            layer.weight.copy_(torch.eye(dim))
            layer.bias.zero_()
    return attn


def test_eq7_one_head_equals_a_hand_computation():
    attn = _identity_attention(2, residual=False, layer_norm=False)
    x = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]])
    s = attn(x)
    # x x^T = [[1, 0], [0, 4]], divided by sqrt(2); softmax by rows; times x
    r = 1 / math.sqrt(2)
    w1 = [math.exp(r) / (math.exp(r) + 1), 1 / (math.exp(r) + 1)]
    w2 = [1 / (1 + math.exp(4 * r)), math.exp(4 * r) / (1 + math.exp(4 * r))]
    expected = torch.tensor([[[w1[0] * 1, w1[1] * 2], [w2[0] * 1, w2[1] * 2]]])
    torch.testing.assert_close(s, expected)
    torch.testing.assert_close(attn.weights, torch.tensor([[[w1, w2]]]))


def test_residual_carries_the_input_when_the_attention_output_is_zero():
    torch.manual_seed(0)
    x = torch.randn(B, T, 8)
    for layer_norm in (True, False):
        attn = K.MultiHeadSelfAttention(8, heads=2, layer_norm=layer_norm)
        with torch.no_grad():
            attn.out.weight.zero_()
            attn.out.bias.zero_()
        expected = F.layer_norm(x, (8,)) if layer_norm else x
        assert torch.equal(attn(x), expected)


def test_heads_split_the_features_and_rows_sum_to_one():
    torch.manual_seed(0)
    attn = K.MultiHeadSelfAttention(8, heads=4)
    attn(torch.randn(B, T, 8))
    assert attn.weights.shape == (B, 4, T, T)
    torch.testing.assert_close(attn.weights.sum(-1), torch.ones(B, 4, T))
    assert attn.query.weight.shape == (8, 8) and attn.head_dim == 2


# ------------------------------------------------------------------ ablation switches


def test_attention_false_is_the_plain_bilstm():
    torch.manual_seed(0)
    model = K.BiLSTMSelfAttention(IN_DIM, attention=False)
    assert model.attention is None
    assert not any(isinstance(m, K.MultiHeadSelfAttention) for m in model.modules())
    logits, weights = model(torch.randn(B, T, IN_DIM), return_attention=True)
    assert logits.shape == (B, 3) and weights is None
    plain = K.build("Bi-Directional LSTM", IN_DIM)
    assert plain.attention is None


def test_residual_switch_changes_the_output():
    torch.manual_seed(0)
    with_res = K.MultiHeadSelfAttention(8, heads=2)
    without = K.MultiHeadSelfAttention(8, heads=2, residual=False)
    without.load_state_dict(with_res.state_dict())
    x = torch.randn(B, T, 8)
    assert not torch.allclose(with_res(x), without(x))
    torch.testing.assert_close(without(x), F.layer_norm(with_res.out(_mixed(with_res, x)), (8,)))


def _mixed(attn, x):
    """Concat of the heads (before W_O), recomputed from the kept weights."""
    v = attn.value(x).reshape(x.shape[0], x.shape[1], attn.heads, attn.head_dim).transpose(1, 2)
    return (attn.weights @ v).transpose(1, 2).reshape(x.shape)


def test_layer_norm_switch_removes_the_normalisation():
    torch.manual_seed(0)
    normed = K.MultiHeadSelfAttention(8, heads=2)
    raw = K.MultiHeadSelfAttention(8, heads=2, layer_norm=False)
    assert raw.norm is None
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in raw.modules())
    x = 3 + 5 * torch.randn(B, T, 8)
    s = normed(x)
    torch.testing.assert_close(s.mean(-1), torch.zeros(B, T), atol=1e-5, rtol=0)
    torch.testing.assert_close(s.std(-1, unbiased=False), torch.ones(B, T), atol=1e-3, rtol=0)
    r = raw(x)
    assert r.mean(-1).abs().min() > 0.5
    assert (r.std(-1, unbiased=False) - 1).abs().min() > 0.5


# ------------------------------------------------------------------ mask


def test_padded_key_gets_weight_exactly_zero():
    torch.manual_seed(0)
    attn = K.MultiHeadSelfAttention(8, heads=2)
    x = torch.randn(2, 4, 8)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    attn(x, mask=mask)
    assert torch.all(attn.weights[0, :, :, 3] == 0)
    assert torch.all(attn.weights[1, :, :, 3] > 0)
    torch.testing.assert_close(attn.weights.sum(-1), torch.ones(2, 2, 4))
    # the real steps do not depend on what the padded step holds
    y = x.clone()
    y[0, 3] = 100.0
    s_x, s_y = attn(x, mask=mask), attn(y, mask=mask)
    torch.testing.assert_close(s_x[0, :3], s_y[0, :3])
    with pytest.raises(WrongShapeError):
        attn(x, mask=mask[:, :3])


# ------------------------------------------------------------------ errors


def test_clear_errors():
    with pytest.raises(InputError, match="divisible by heads"):
        K.MultiHeadSelfAttention(10, heads=4)
    with pytest.raises(InputError, match="divisible by heads"):
        K.BiLSTMSelfAttention(IN_DIM, hidden=5, heads=4)
    K.BiLSTMSelfAttention(IN_DIM, hidden=5, heads=4, attention=False)      # no attention: no constraint
    for model in _all_models().values():
        where = type(model).__name__
        with pytest.raises(WrongShapeError, match=where):
            model(torch.randn(B, IN_DIM))
        with pytest.raises(WrongShapeError, match=where):
            model(torch.randn(B, T, IN_DIM + 1))
    with pytest.raises(WrongShapeError, match="MultiHeadSelfAttention"):
        K.MultiHeadSelfAttention(8)(torch.randn(B, T, 6))
    with pytest.raises(UnknownOptionError, match="Bi-Directional LSTM with Self-Attention Mechanism"):
        K.build("Transformer", IN_DIM)
    with pytest.raises(UnknownOptionError, match="pool"):
        K.BiLSTMSelfAttention(IN_DIM, pool="max")


# ------------------------------------------------------------------ build and the paper's rows


def test_build_covers_every_row_of_table1():
    assert set(K.MODELS) == set(paper.ROW_MODELS)
    assert set(paper.TABLE1[paper.MAIN_ROW_COLUMN]) == set(K.MODELS)
    for name in paper.ROW_MODELS:
        model = K.build(name, IN_DIM, n_classes=3)
        assert model(torch.randn(B, T, IN_DIM)).shape == (B, 3)
    assert isinstance(K.build("cnn", IN_DIM), K.CNNBaseline)
    assert K.build("Bi-Directional LSTM with Self-Attention Mechanism", IN_DIM, hidden=4, heads=2).hidden == 4


# ------------------------------------------------------------------ it learns


def _synthetic(n, seed):
    """Class c raises features 2c, 2c+1 by 1.5 at steps 2-4 of 8; the rest is noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = torch.randn(n, 8, 6, generator=g)
    for c in range(3):
        x[y == c, 2:5, 2 * c:2 * c + 2] += 1.5
    return x, y


def test_short_training_beats_the_majority_class():
    x, y = _synthetic(150, seed=1)
    x_test, y_test = _synthetic(150, seed=2)
    torch.manual_seed(0)
    model = K.BiLSTMSelfAttention(6)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(40):
        optimiser.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(1) == y_test).float().mean())
    assert accuracy > 0.7, accuracy           # majority class: 1/3
