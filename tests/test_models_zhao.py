"""Tests for mer_lessons.models.zhao (Zhao, Jin, Guo: MultiSpec-DNN, CBAM, BLS, baselines)."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.models import zhao
from mer_lessons.validation import InputError

TINY = dict(channels=(4, 4, 4, 4), stem_channels=2, hidden=4, fc_hidden=8)


def _spec(b=3, f=12, t=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 1, f, t, generator=g)


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


# --- CBAM (Eq. 5-6) ---------------------------------------------------------------------

def test_cbam_shapes_ranges_and_stored_weights():
    torch.manual_seed(0)
    cbam = zhao.CBAM(6, reduction=2)
    assert cbam.last_channel_weights is None and cbam.last_spatial_weights is None
    x = torch.randn(2, 6, 5, 11)                       # F != T
    out = cbam(x)
    assert out.shape == x.shape
    mc, ms = cbam.last_channel_weights, cbam.last_spatial_weights
    assert mc.shape == (2, 6, 1, 1) and ms.shape == (2, 1, 5, 11)
    assert ((mc > 0) & (mc < 1)).all() and ((ms > 0) & (ms < 1)).all()
    assert not mc.requires_grad and not ms.requires_grad
    torch.testing.assert_close(out, x * mc * ms)


def test_cbam_small_maps_and_clamped_hidden():
    cbam = zhao.CBAM(3)                                # 3 // 16 = 0 -> clamped to 1
    assert cbam.channel.hidden == 1
    for shape in [(1, 3, 1, 1), (2, 3, 2, 7), (2, 3, 9, 1)]:
        assert cbam(torch.randn(*shape)).shape == shape


def test_cbam_gradients_reach_mlp_and_conv():
    torch.manual_seed(1)
    cbam = zhao.CBAM(8, reduction=4)
    x = torch.randn(2, 8, 6, 10, requires_grad=True)
    (cbam(x) ** 2).sum().backward()
    for name, p in cbam.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert x.grad.abs().sum() > 0


def test_channel_attention_one_shared_mlp():
    c, r = 12, 4
    ca = zhao.ChannelAttention(c, reduction=r)
    h = c // r
    one_mlp = c * h + h + h * c + c
    assert _n_params(ca) == one_mlp
    assert sum(isinstance(m, nn.Linear) for m in ca.modules()) == 2


def test_channel_attention_hand_computed():
    ca = zhao.ChannelAttention(2, reduction=2)         # hidden 1
    with torch.no_grad():
        ca.mlp[0].weight.copy_(torch.tensor([[1.0, 2.0]]))
        ca.mlp[0].bias.zero_()
        ca.mlp[2].weight.copy_(torch.tensor([[1.0], [-0.5]]))
        ca.mlp[2].bias.copy_(torch.tensor([0.1, 0.0]))
    x = torch.tensor([[[[1.0, 3.0], [0.0, 0.0]],        # channel 0: max 3, mean 1
                       [[2.0, 2.0], [2.0, -2.0]]]])     # channel 1: max 2, mean 1
    w = ca(x)
    hmax = max(0.0, 1 * 3 + 2 * 2)                     # 7
    havg = max(0.0, 1 * 1 + 2 * 1)                     # 3
    expected = torch.sigmoid(torch.tensor([(hmax + 0.1) + (havg + 0.1), -0.5 * hmax - 0.5 * havg]))
    torch.testing.assert_close(w.reshape(2), expected)


def test_spatial_attention_hand_computed():
    sa = zhao.SpatialAttention(kernel_size=1)
    with torch.no_grad():
        sa.conv.weight.copy_(torch.tensor([1.0, -1.0]).reshape(1, 2, 1, 1))
        sa.conv.bias.zero_()
    x = torch.randn(2, 3, 4, 5)
    expected = torch.sigmoid(x.amax(1, keepdim=True) - x.mean(1, keepdim=True))
    torch.testing.assert_close(sa(x), expected)
    assert zhao.SpatialAttention().conv.kernel_size == (7, 7)


def test_cbam_bad_arguments():
    with pytest.raises(InputError, match="kernel_size"):
        zhao.SpatialAttention(4)
    with pytest.raises(InputError, match="channels"):
        zhao.ChannelAttention(0)
    with pytest.raises(InputError, match="reduction"):
        zhao.CBAM(4, reduction=0)
    with pytest.raises(InputError, match="x must be shaped"):
        zhao.ChannelAttention(4)(torch.randn(2, 3, 5, 5))


# --- MultiSpec-DNN ----------------------------------------------------------------------

def test_multispec_forward_two_inputs_different_freq():
    torch.manual_seed(0)
    model = zhao.MultiSpecDNN((12, 20), n_classes=4, **TINY)
    x = (_spec(f=12), _spec(f=20, seed=1))
    out = model(x)
    assert out.shape == (3, 4) and torch.isfinite(out).all()
    assert model.features(x).shape == (3, 8)
    named = model({"narrowband": x[1], "wideband": x[0]})
    model.eval()
    torch.testing.assert_close(model(x), model({"wideband": x[0], "narrowband": x[1]}))
    assert named.shape == (3, 4)
    # frames of any length fit the same weights
    assert model((_spec(f=12, t=4), _spec(f=20, t=4))).shape == (3, 4)


def test_multispec_cbam_blocks_store_spatial_maps():
    model = zhao.MultiSpecDNN((12, 12), **TINY)
    model((_spec(), _spec(seed=1)))
    blocks = model.cbam_blocks
    assert len(blocks) == 4
    assert blocks[0].last_spatial_weights.shape == (3, 1, 12, 9)   # pooling comes after CBAM


def test_multispec_use_cbam_false_has_no_cbam():
    with_cbam = zhao.MultiSpecDNN(12, **TINY)
    without = zhao.MultiSpecDNN(12, use_cbam=False, **TINY)
    assert not any(isinstance(m, (zhao.CBAM, zhao.ChannelAttention, zhao.SpatialAttention))
                   for m in without.modules())
    assert without.cbam_blocks == []
    assert _n_params(without) < _n_params(with_cbam)
    assert without((_spec(), _spec())).shape == (3, 4)


def test_multispec_chord_switch():
    torch.manual_seed(0)
    plain = zhao.MultiSpecDNN(12, **TINY)
    torch.manual_seed(0)
    chordy = zhao.MultiSpecDNN(12, use_chords=True, chord_dim=5, **TINY)
    assert _n_params(chordy) - _n_params(plain) == 5 * TINY["fc_hidden"]   # the chord columns of fc1
    x = (_spec(), _spec(seed=1))
    with pytest.raises(InputError, match="chords"):
        plain(x, torch.zeros(3, 5))
    with pytest.raises(InputError, match="chords"):
        chordy(x)
    with pytest.raises(InputError, match="chords"):
        chordy(x, torch.zeros(3, 4))
    chordy.eval()
    a = chordy(x, torch.zeros(3, 5))
    b = chordy(x, torch.ones(3, 5))
    assert a.shape == (3, 4)
    assert not torch.allclose(a, b)


def test_multispec_trains():
    torch.manual_seed(0)
    model = zhao.MultiSpecDNN((12, 16), dropout=0.0, **TINY)
    x = (_spec(b=6), _spec(b=6, f=16, seed=1))
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first


def test_multispec_bad_inputs():
    model = zhao.MultiSpecDNN((12, 16), **TINY)
    with pytest.raises(InputError, match="x"):
        model(_spec())                                        # one tensor, not a tuple
    with pytest.raises(InputError, match="x"):
        model((_spec(),))                                     # wrong count
    with pytest.raises(InputError, match="narrowband"):
        model((_spec(f=12), _spec(f=12)))                     # wrong frequency size
    with pytest.raises(InputError, match="narrowband"):
        model((_spec(f=12), _spec(f=16, t=5)))                # different frames
    with pytest.raises(InputError, match="keys"):
        model({"a": _spec(), "b": _spec(f=16)})
    with pytest.raises(InputError, match="n_freq"):
        zhao.MultiSpecDNN((12, 0))
    with pytest.raises(InputError, match="use_chords"):
        zhao.MultiSpecDNN(12, use_chords="yes")
    with pytest.raises(InputError, match="input_names"):
        zhao.MultiSpecDNN((12, 12, 12), input_names=("a", "b"))


# --- Broad Learning System --------------------------------------------------------------

def _blobs(n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-5, 1, (n, d)), rng.normal(5, 1, (n, d))])
    y = np.array(["calm"] * n + ["tense"] * n)
    return X, y


def test_bls_separates_blobs():
    X, y = _blobs()
    bls = zhao.BroadLearningSystem(4, 5, 20, seed=0).fit(X, y)
    assert list(bls.classes_) == ["calm", "tense"]
    assert bls.score(X, y) == 1.0
    proba = bls.predict_proba(X)
    assert proba.shape == (80, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (bls.classes_[proba.argmax(1)] == bls.predict(X)).all()
    assert bls.nodes(X).shape == (80, bls.n_nodes) == (80, 40)
    assert bls.output_weights_.shape == (40, 2)


def test_bls_output_weights_equal_ridge():
    from sklearn.linear_model import Ridge
    X, y = _blobs(n=15, d=3, seed=2)
    X = X + np.random.default_rng(3).normal(0, 3, X.shape)
    lam = 0.7
    bls = zhao.BroadLearningSystem(3, 4, 10, ridge=lam, seed=5, feature_activation="tanh").fit(X, y)
    A = bls.nodes(X)
    Y = np.eye(2)[np.searchsorted(bls.classes_, y)]
    ridge = Ridge(alpha=lam, fit_intercept=False).fit(A, Y)
    np.testing.assert_allclose(bls.output_weights_, ridge.coef_.T, rtol=1e-6, atol=1e-9)


def test_bls_standardises_and_is_seeded():
    X, y = _blobs(n=10, d=4)
    X[:, 2] = 7.0                                            # constant column: scale 1, no nan
    a = zhao.BroadLearningSystem(2, 3, 5, seed=11).fit(X, y)
    b = zhao.BroadLearningSystem(2, 3, 5, seed=11).fit(X, y)
    c = zhao.BroadLearningSystem(2, 3, 5, seed=12).fit(X, y)
    np.testing.assert_allclose(a.mean_, X.mean(0))
    assert np.all(np.isfinite(a.nodes(X)))
    np.testing.assert_array_equal(a.output_weights_, b.output_weights_)
    assert not np.allclose(a.output_weights_, c.output_weights_)
    # standardisation: scaling the inputs changes nothing
    d = zhao.BroadLearningSystem(2, 3, 5, seed=11).fit(X * 1000.0, y)
    np.testing.assert_allclose(d.output_weights_, a.output_weights_, rtol=1e-6, atol=1e-9)


def test_bls_errors():
    bls = zhao.BroadLearningSystem(2, 2, 2)
    X, y = _blobs(n=5, d=3)
    with pytest.raises(InputError, match="not fitted"):
        bls.predict(X)
    with pytest.raises(InputError, match="not fitted"):
        bls.nodes(X)
    with pytest.raises(InputError, match="y"):
        bls.fit(X, y[:-1])
    with pytest.raises(InputError, match="y"):
        bls.fit(X, ["a"] * len(X))
    with pytest.raises(InputError, match="X"):
        bls.fit(X[:, 0], y)
    bls.fit(X, y)
    with pytest.raises(InputError, match="X"):
        bls.predict(X[:, :2])
    with pytest.raises(InputError, match="ridge"):
        zhao.BroadLearningSystem(ridge=0)
    with pytest.raises(InputError, match="n_feature_groups"):
        zhao.BroadLearningSystem(0)
    with pytest.raises(InputError, match="feature_activation"):
        zhao.BroadLearningSystem(feature_activation="sigmoid")


# --- baselines --------------------------------------------------------------------------

BASELINE_KW = {
    "MCCLSTM": dict(branch_channels=3, hidden=6, freq_bins=4),
    "MCCBL": dict(branch_channels=3, freq_bins=4),
    "RCNNLSTM": dict(channel_range=(2, 5), hidden=6, freq_bins=4),
    "RCNNBL": dict(channel_range=(2, 5), freq_bins=4),
    "LSTM_BLS": dict(hidden=(8, 6)),
}


@pytest.mark.parametrize("name", sorted(BASELINE_KW))
def test_baseline_shapes_and_training(name):
    torch.manual_seed(0)
    model = zhao.build(name, n_freq=12, n_classes=3, dropout=0.0, **BASELINE_KW[name])
    x, y = _spec(b=6), torch.tensor([0, 1, 2, 0, 1, 2])
    assert model(x).shape == (6, 3)
    feats = model.features(x)
    assert feats.ndim == 2 and feats.shape[0] == 6 and feats.shape[1] == model.feature_dim
    assert model.HEAD == ("softmax" if name.endswith("LSTM") else "bls")
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    with pytest.raises(InputError, match="x"):
        model(_spec(f=10))


def test_mcc_has_three_kernel_sizes():
    model = zhao.MCCLSTM(12)
    sizes = [m.kernel_size for m in model.front.modules() if isinstance(m, nn.Conv2d)]
    assert sizes == [(3, 3), (5, 5), (7, 7)]
    assert not hasattr(zhao.MCCBL(12), "lstm")
    with pytest.raises(InputError, match="kernel_sizes"):
        zhao.MCCLSTM(12, kernel_sizes=(3, 4))


def test_rcnn_random_counts_are_seeded_and_in_range():
    a = zhao.RCNNLSTM(12, channel_range=(4, 9), seed=3)
    b = zhao.RCNNLSTM(12, channel_range=(4, 9), seed=3)
    assert a.kernel_counts == b.kernel_counts and len(a.kernel_counts) == 2
    counts = {zhao.RCNNBL(12, channel_range=(4, 9), seed=s).kernel_counts for s in range(8)}
    assert len(counts) > 1
    assert all(4 <= c <= 9 for pair in counts for c in pair)
    convs = [m for m in a.front.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == list(a.kernel_counts)
    assert {c.kernel_size for c in convs} == {(3, 3)}
    with pytest.raises(InputError, match="channel_range"):
        zhao.RCNNLSTM(12, channel_range=(9, 4))


def test_lstm_bls_sizes():
    model = zhao.LSTM_BLS(12)
    assert (model.lstm1.hidden_size, model.lstm2.hidden_size) == (64, 32)
    assert model.features(_spec()).shape == (3, 12 + 32)
    with pytest.raises(InputError, match="hidden"):
        zhao.LSTM_BLS(12, hidden=(8,))


def test_fit_bls_head_on_features():
    torch.manual_seed(0)
    model = zhao.build("RCNNBL", 12, n_classes=2, channel_range=(3, 3), freq_bins=4)
    x = torch.cat([_spec(b=8) - 3.0, _spec(b=8, seed=1) + 3.0])
    y = np.array([0] * 8 + [1] * 8)
    model.train()
    bls = zhao.fit_bls_head(model, x, y, batch_size=5, n_feature_groups=3, nodes_per_group=4, n_enhancement=8)
    assert model.training                                   # mode restored
    feats = zhao.model_features(model, x, batch_size=7)
    assert feats.shape == (16, model.feature_dim)
    assert bls.score(feats, y) == 1.0
    # MultiSpec-DNN with chords, through tuple inputs
    net = zhao.MultiSpecDNN(12, use_chords=True, chord_dim=3, **TINY)
    f2 = zhao.model_features(net, (x, x), torch.zeros(16, 3), batch_size=6)
    assert f2.shape == (16, TINY["fc_hidden"])


def test_build_names():
    assert zhao.MODEL_NAMES == ("MCCLSTM", "MCCBL", "RCNNLSTM", "RCNNBL", "LSTM_BLS", "MULTISPEC-DNN")
    assert isinstance(zhao.build("MultiSpec-DNN", (12, 16), **TINY), zhao.MultiSpecDNN)
    assert isinstance(zhao.build("lstm_bls", 12), zhao.LSTM_BLS)
    with pytest.raises(InputError, match="name"):
        zhao.build("CNN", 12)
    with pytest.raises(InputError, match="n_freq"):
        zhao.build("MCCLSTM", (12, 16))
