"""Tests of mer_lessons.models.blocks: the blocks several papers share."""
import pytest
import torch
from torch.nn import functional as F

from mer_lessons.models import blocks, hao, sequence
from mer_lessons.validation import InputError, WrongShapeError


def test_autoencoder_shapes_loss_and_gradients():
    torch.manual_seed(0)
    ae = blocks.Autoencoder(6, 2, hidden=8)
    x = torch.randn(4, 3, 6)
    assert ae.encode(x).shape == (4, 3, 2) and ae(x).shape == x.shape
    loss = ae.reconstruction_loss(x)
    torch.testing.assert_close(loss, F.mse_loss(ae.decode(ae.encode(x)), x))     # Eq. 8 as an MSE
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in ae.parameters())
    with pytest.raises(WrongShapeError, match="expected last dim 6"):
        ae.encode(torch.randn(2, 5))
    with pytest.raises(InputError, match="code_dim"):
        blocks.Autoencoder(6, 0)


def test_hao_uses_the_shared_autoencoder():
    assert hao.ModalityAutoencoder is blocks.Autoencoder
    model = hao.HaoRecognizer({"a": 6, "b": 3}, 2, code_dim=2, ae_hidden=8, lstm_hidden=4)
    assert all(isinstance(ae, blocks.Autoencoder) for ae in model.autoencoders.values())


def test_attention_pooling_by_hand():
    pool = blocks.AdditiveAttentionPooling(2, attn_dim=1)
    with torch.no_grad():
        pool.proj.weight.copy_(torch.tensor([[1.0, 0.0]]))
        pool.proj.bias.zero_()
        pool.v.weight.fill_(1.0)
    h = torch.tensor([[[0.0, 1.0], [2.0, 3.0]]])                 # (1, 2 steps, 2)
    context, alpha = pool(h)
    e = torch.tanh(torch.tensor([0.0, 2.0]))                      # v^T tanh(W h_t)
    expected = torch.softmax(e, dim=0)
    torch.testing.assert_close(alpha[0], expected)
    torch.testing.assert_close(context[0], expected[0] * h[0, 0] + expected[1] * h[0, 1])
    one, weights = pool(h[:, :1])
    torch.testing.assert_close(weights, torch.ones(1, 1))        # one step: weight 1
    with pytest.raises(WrongShapeError, match="h must be shaped"):
        pool(torch.randn(3, 2))


def test_attention_pooling_gradients_reach_every_parameter():
    pool = blocks.AdditiveAttentionPooling(5)
    h = torch.randn(3, 7, 5, requires_grad=True)
    context, alpha = pool(h)
    assert context.shape == (3, 5) and alpha.shape == (3, 7)
    context.sum().backward()
    assert h.grad is not None and all(p.grad is not None for p in pool.parameters())


def test_lstm_attention_row_pools_with_the_shared_block():
    model = sequence.LSTMAttentionClassifier(4, 3, hidden=8)
    assert isinstance(model.pool, blocks.AdditiveAttentionPooling)


# --------------------------------------------------------------------------- attention by hand


def test_scaled_dot_product_attention_equals_pytorch():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6)
    out, weights = blocks.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 5, 6) and weights.shape == (2, 3, 5, 7)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5))
    mask = torch.rand(5, 7) > 0.3
    mask[:, 0] = True                                           # every query may see a key
    out_m, _ = blocks.scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out_m, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def test_scaled_dot_product_attention_by_hand_2x2():
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    v = torch.tensor([[10.0], [20.0]])
    out, weights = blocks.scaled_dot_product_attention(q, k, v)
    s = 2 ** -0.5                                               # scores q.k / sqrt(2)
    w0 = torch.tensor([1 / (1 + torch.exp(torch.tensor(-s))), 0.0])   # softmax([s, 0])
    w0[1] = 1 - w0[0]
    w1 = torch.tensor([1 / (1 + torch.exp(torch.tensor(2 * s))), 0.0])  # softmax([0, 2s])
    w1[1] = 1 - w1[0]
    torch.testing.assert_close(weights, torch.stack([w0, w1]))
    torch.testing.assert_close(out[:, 0], 10 * weights[:, 0] + 20 * weights[:, 1])
    assert abs(weights[0, 0].item() - 0.6698) < 1e-3


def test_masked_keys_get_weight_zero_and_empty_rows_give_zero():
    torch.manual_seed(1)
    q, k, v = torch.randn(1, 3, 4), torch.randn(1, 5, 4), torch.randn(1, 5, 2)
    mask = torch.tensor([[True, True, False, False, True],
                         [True, False, False, False, False],
                         [False, False, False, False, False]])
    out, weights = blocks.scaled_dot_product_attention(q, k, v, mask)
    assert (weights[0][~mask] == 0).all()
    torch.testing.assert_close(weights[0, 1], torch.tensor([1.0, 0, 0, 0, 0]))
    torch.testing.assert_close(out[0, 1], v[0, 0])
    assert torch.isfinite(out).all() and (out[0, 2] == 0).all() and (weights[0, 2] == 0).all()
    kept = blocks.scaled_dot_product_attention(q[:, :1], k[:, mask[0]], v[:, mask[0]])[0]
    torch.testing.assert_close(out[:, :1], kept)               # masking = deleting those keys


def test_scaled_dot_product_attention_rejects_bad_shapes():
    with pytest.raises(WrongShapeError, match="k must be shaped"):
        blocks.scaled_dot_product_attention(torch.randn(2, 4), torch.randn(3, 5), torch.randn(3, 5))
    with pytest.raises(WrongShapeError, match="one value per key"):
        blocks.scaled_dot_product_attention(torch.randn(2, 4), torch.randn(3, 4), torch.randn(2, 5))
    with pytest.raises(WrongShapeError, match="mask must be"):
        blocks.scaled_dot_product_attention(torch.randn(2, 4), torch.randn(3, 4), torch.randn(3, 5),
                                            torch.ones(4, 4, dtype=torch.bool))


def test_one_head_multihead_attention_is_the_by_hand_formula_on_projections():
    torch.manual_seed(2)
    mha = torch.nn.MultiheadAttention(6, 1, batch_first=True)
    x = torch.randn(2, 5, 6)
    out, weights = mha(x, x, x)
    wq, wk, wv = mha.in_proj_weight.chunk(3)
    bq, bk, bv = mha.in_proj_bias.chunk(3)
    mixed, by_hand = blocks.scaled_dot_product_attention(x @ wq.T + bq, x @ wk.T + bk, x @ wv.T + bv)
    torch.testing.assert_close(weights, by_hand)
    torch.testing.assert_close(out, mha.out_proj(mixed))


# --------------------------------------------------------------------------- cross-attention


def test_cross_attention_shapes_and_residual_layernorm():
    torch.manual_seed(3)
    block = blocks.CrossAttention(8, heads=2, context_dim=5)
    x, context = torch.randn(3, 4, 8), torch.randn(3, 9, 5)
    out, weights = block(x, context)
    assert out.shape == (3, 4, 8) and weights.shape == (3, 4, 9)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))
    mixed, _ = block.attention(x, context, context)
    torch.testing.assert_close(out, block.norm(x + mixed))
    torch.testing.assert_close(out.mean(-1), torch.zeros(3, 4), atol=1e-5, rtol=0)


def test_cross_attention_gradients_reach_both_modalities_and_every_parameter():
    block = blocks.CrossAttention(6, heads=3)
    x = torch.randn(2, 4, 6, requires_grad=True)
    context = torch.randn(2, 7, 6, requires_grad=True)
    out, _ = block(x, context)
    (out * torch.randn_like(out)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert context.grad is not None and context.grad.abs().sum() > 0
    assert all(p.grad is not None for p in block.parameters())


def test_cross_attention_key_padding_mask_ignores_padded_context():
    torch.manual_seed(4)
    block = blocks.CrossAttention(4, heads=2).eval()
    x, context = torch.randn(2, 3, 4), torch.randn(2, 6, 4)
    pad = torch.zeros(2, 6, dtype=torch.bool)
    pad[0, 4:] = True                                            # the first example has 4 real steps
    out, weights = block(x, context, key_padding_mask=pad)
    assert (weights[0, :, 4:] == 0).all() and (weights[1] > 0).all()
    changed = context.clone()
    changed[0, 4:] = 100.0                                       # what is padded does not matter
    out2, _ = block(x, changed, key_padding_mask=pad)
    torch.testing.assert_close(out, out2)
    short, _ = block(x[:1], context[:1, :4])
    torch.testing.assert_close(out[:1], short)


def test_cross_attention_rejects_bad_input():
    with pytest.raises(InputError, match="divisible"):
        blocks.CrossAttention(6, heads=4)
    block = blocks.CrossAttention(4, context_dim=3)
    with pytest.raises(WrongShapeError, match="context must be"):
        block(torch.randn(2, 3, 4), torch.randn(2, 5, 4))
    with pytest.raises(WrongShapeError, match="key_padding_mask"):
        block(torch.randn(2, 3, 4), torch.randn(2, 5, 3), key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))


# --------------------------------------------------------------------------- positions


def test_sinusoidal_positions_by_hand():
    p = blocks.sinusoidal_positions(3, 4)
    assert p.shape == (3, 4)
    torch.testing.assert_close(p[0], torch.tensor([0.0, 1.0, 0.0, 1.0]))
    t = torch.tensor(2.0)
    expected = torch.stack([torch.sin(t), torch.cos(t), torch.sin(t / 100), torch.cos(t / 100)])
    torch.testing.assert_close(p[2], expected)
    assert blocks.sinusoidal_positions(5, 7).shape == (5, 7)
    assert len({tuple(r.tolist()) for r in blocks.sinusoidal_positions(50, 16)}) == 50   # all distinct


def test_self_attention_ignores_order_until_positions_are_added():
    torch.manual_seed(5)
    layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True).eval()
    x = torch.randn(1, 6, 8)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    torch.testing.assert_close(layer(x)[:, perm], layer(x[:, perm]))
    pos = blocks.sinusoidal_positions(6, 8)
    assert not torch.allclose(layer(x + pos)[:, perm], layer(x[:, perm] + pos), atol=1e-4)


def test_positional_encoding_module_adds_the_codes():
    enc = blocks.PositionalEncoding(6)
    x = torch.randn(2, 5, 6)
    torch.testing.assert_close(enc(x), x + blocks.sinusoidal_positions(5, 6))
    assert list(enc.parameters()) == []
    with pytest.raises(WrongShapeError):
        enc(torch.randn(2, 5, 4))


# --------------------------------------------------------------------------- pooling for nn.Sequential


def test_sequence_pool_by_hand_and_with_rnn_outputs():
    x = torch.tensor([[[1.0, 5.0], [3.0, -1.0]]])               # (1, 2 steps, 2)
    torch.testing.assert_close(blocks.SequencePool("mean")(x), torch.tensor([[2.0, 2.0]]))
    torch.testing.assert_close(blocks.SequencePool("max")(x), torch.tensor([[3.0, 5.0]]))
    torch.testing.assert_close(blocks.SequencePool("last")(x), torch.tensor([[3.0, -1.0]]))
    torch.manual_seed(6)
    lstm = torch.nn.LSTM(4, 3, batch_first=True)
    seq = torch.randn(2, 7, 4)
    out, (h_n, _) = lstm(seq)
    torch.testing.assert_close(blocks.SequencePool("last")(lstm(seq)), h_n[0])   # last output = final state
    model = torch.nn.Sequential(torch.nn.GRU(4, 5, batch_first=True, bidirectional=True),
                                blocks.SequencePool("mean"), torch.nn.Linear(10, 3))
    logits = model(seq)
    assert logits.shape == (2, 3)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(InputError, match="how"):
        blocks.SequencePool("median")
    with pytest.raises(WrongShapeError):
        blocks.SequencePool()(torch.randn(3, 4))
