"""Tests for mer_lessons.models.sequence (deep baselines of Hao et al.'s Table 3)."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.models import sequence
from mer_lessons.papers import hao as hao_paper

ROWS = list(sequence.SEQUENCE_MODELS)


def _make(row, in_dim, n_classes, seed=0):
    torch.manual_seed(seed)
    return sequence.SEQUENCE_MODELS[row](in_dim, n_classes)


@pytest.mark.parametrize("row", ROWS)
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("steps", [1, 2, 9])
def test_output_shapes(row, batch, steps):
    model = _make(row, 6, 3)
    out = model(torch.randn(batch, steps, 6))
    assert out.shape == (batch, 3)
    assert torch.isfinite(out).all()
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(batch, steps, 6)).shape == (batch, 3)


@pytest.mark.parametrize("row", ROWS)
def test_bad_inputs_rejected(row):
    model = _make(row, 6, 3)
    with pytest.raises(ValueError):
        model(torch.randn(4, 6))            # missing time axis
    with pytest.raises(ValueError):
        model(torch.randn(4, 5, 7))         # wrong feature count
    with pytest.raises(ValueError):
        model(torch.randn(4, 0, 6))         # empty sequence


@pytest.mark.parametrize("row", ROWS)
@pytest.mark.parametrize("steps", [1, 7])
def test_gradients_reach_every_parameter(row, steps):
    model = _make(row, 5, 4)
    x = torch.randn(3, steps, 5)
    loss = F.cross_entropy(model(x), torch.tensor([0, 1, 3]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        if steps > 1:  # with T = 1 and a zero initial state, weight_hh rightly gets 0
            assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("batch,steps", [(1, 1), (1, 8), (4, 1), (4, 12)])
def test_attention_weights(batch, steps):
    torch.manual_seed(0)
    model = sequence.LSTMAttentionClassifier(5, 3, hidden=16)
    x = torch.randn(batch, steps, 5)
    logits, alpha = model(x, return_attention=True)
    assert logits.shape == (batch, 3)
    assert alpha.shape == (batch, steps)
    assert (alpha >= 0).all()
    torch.testing.assert_close(alpha.sum(dim=1), torch.ones(batch))
    torch.testing.assert_close(model(x), logits)  # default returns logits only
    if steps == 1:
        torch.testing.assert_close(alpha, torch.ones(batch, 1))


def _halves_task(n=64, steps=16, dim=8, seed=0):
    """Class 1 iff feature 0's level in the second half exceeds the first half's."""
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, generator=g) * 2 - 1
    gap = (torch.rand(n, generator=g) * 0.8 + 0.4) * torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    b = a + gap
    x = 0.2 * torch.randn(n, steps, dim, generator=g)
    x[:, : steps // 2, 0] += a[:, None]
    x[:, steps // 2:, 0] += b[:, None]
    y = (b > a).long()
    return x, y


@pytest.mark.parametrize("row", ROWS)
def test_learns_tiny_sequence_task(row):
    x, y = _halves_task()
    assert 0.3 < y.float().mean() < 0.7
    model = _make(row, x.shape[2], 2, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(80):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    assert acc > 0.8, (row, acc)


def test_registry_maps_names_to_classes():
    expected = {
        "GRU on log-mel": sequence.GRUClassifier,
        "CNN": sequence.CNNClassifier,
        "Bi-GRU": sequence.BiGRUClassifier,
        "LSTM + attention": sequence.LSTMAttentionClassifier,
        "CNN-RNN": sequence.CNNRNNClassifier,
    }
    assert sequence.SEQUENCE_MODELS == expected
    for name, cls in expected.items():
        assert type(sequence.SEQUENCE_MODELS[name](8, 3)) is cls
        assert name in hao_paper.ROW_MODELS.values()   # each stands for a row of Hao et al.'s Table 3
    assert not _make("GRU on log-mel", 8, 3).bidirectional
    assert _make("Bi-GRU", 8, 3).bidirectional
    assert sequence.GRUClassifier(8, 3, bidirectional=True).rnn.bidirectional


def test_paper_accuracy_in_docstrings_read_from_the_table():
    table = hao_paper.TABLE3.set_index("Model")["Accuracy (%)"]
    for row, name in hao_paper.ROW_MODELS.items():
        if name not in sequence.SEQUENCE_MODELS:
            continue
        doc = sequence.SEQUENCE_MODELS[name].__doc__
        assert f"{table[row]:g} %" in doc and "<<PAPER>>" not in doc
        assert "no architecture" in doc


@pytest.mark.parametrize("row", ROWS)
def test_parameter_counts_modest(row):
    model = _make(row, 64, 4)
    n = sequence.count_parameters(model)
    assert 1_000 < n < 200_000
    assert n == sum(p.numel() for p in model.parameters())
    for p in model.parameters():
        p.requires_grad_(False)
    assert sequence.count_parameters(model) == 0
    assert sequence.count_parameters(model, trainable_only=False) == n


def test_count_parameters_simple():
    assert sequence.count_parameters(nn.Linear(3, 2)) == 8
