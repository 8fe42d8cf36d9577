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
