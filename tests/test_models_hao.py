"""Tests for mer_lessons.models.hao (Hao, Li, Wen)."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons import dsp, signals, train
from mer_lessons.models import hao


def _all_grads_finite(model):
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, name
            assert torch.isfinite(p.grad).all(), name


# --- Eq. 5 ------------------------------------------------------------------------------

def test_align_linear_exact_and_shapes():
    ts = np.linspace(0, 2, 11)
    vals = np.stack([3 * ts + 1, -2 * ts])
    tt = np.linspace(0, 2, 37)
    out = hao.align_modalities(ts, vals, tt)
    assert out.shape == (2, 37)
    np.testing.assert_allclose(out, np.stack([3 * tt + 1, -2 * tt]), atol=1e-12)
    one = hao.align_modalities(ts, 3 * ts + 1, tt)
    assert one.shape == (37,)
    streams = hao.align_streams({"a": (ts, ts), "v": (ts, vals)}, tt)
    assert streams["a"].shape == (1, 37) and streams["v"].shape == (2, 37)


def test_align_errors():
    ts = np.array([0.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        hao.align_modalities(ts, ts, [0.1])
    with pytest.raises(ValueError, match="sorted"):
        hao.align_modalities([0, 1, 2], [0, 1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="T ="):
        hao.align_modalities([0, 1, 2], [0, 1], [0.5])
    with pytest.raises(ValueError, match="range"):
        hao.align_modalities([0, 1], [0, 1], [2.0], outside="error")
    assert np.isnan(hao.align_modalities([0, 1], [0, 1], [2.0], outside="nan")[0])


# --- Eq. 1–3 ----------------------------------------------------------------------------

def test_sampler_steady_vs_turbulent():
    sr = 16_000
    sampler = hao.DynamicSampler(sr=sr)
    y = signals.calm_then_turbulent(sr)
    half = len(y) // 2
    calm, turb = sampler(y[:half]), sampler(y[half:])
    steady = sampler(signals.chord((60, 64, 67), sr, 3.0))
    assert calm.keep.shape == calm.rates.shape == calm.fluctuation.shape
    assert steady.keep.sum() < turb.keep.sum()
    assert calm.keep.sum() < turb.keep.sum()
    assert turb.kept_fraction > 0.8 and steady.kept_fraction < 0.5
    # ablation: adaptive=False keeps every window
    full = hao.DynamicSampler(sr=sr, adaptive=False)(y[:half])
    assert full.keep.all()
    # Eq. 2 as printed and our normalised variant also run
    for measure in ("fvr", "fvr_normalized"):
        fvr = hao.DynamicSampler(sr=sr, measure=measure)(y[:half])
        assert fvr.keep.shape == calm.keep.shape
    with pytest.raises(ValueError):
        hao.DynamicSampler(measure="nope")


def test_sampler_fvr_is_eq2_as_printed_and_normalized_is_our_variant():
    sr = 16_000
    y = signals.calm_then_turbulent(sr)
    kw = dict(sr=sr, n_fft=1024, hop_length=512)
    printed = hao.DynamicSampler(measure="fvr", **kw)
    # "fvr" is dsp.frequency_variation_rate (Eq. 2 as printed) of every |STFT| column
    S = np.abs(dsp.stft(y, n_fft=1024, hop_length=512))
    np.testing.assert_allclose(printed.fluctuation(y), dsp.frequency_variation_rate(S, axis=0))
    # as printed it grows with loudness; the normalised variant does not
    np.testing.assert_allclose(printed.fluctuation(3 * y), 3 * printed.fluctuation(y), rtol=1e-6)
    ours = hao.DynamicSampler(measure="fvr_normalized", **kw)
    np.testing.assert_allclose(ours.fluctuation(3 * y), ours.fluctuation(y), rtol=1e-6, atol=1e-9)
    n_bins = 1024 // 2 + 1
    np.testing.assert_allclose(
        ours.fluctuation(y),
        dsp.frequency_variation_rate_frames(y, normalize=True, **kw) * np.sqrt(n_bins))


# --- Fig. 1 -----------------------------------------------------------------------------

def _fusion_net():
    torch.manual_seed(0)
    return hao.LyricsAudioFusionNet(vocab_size=50, n_classes=4, n_mels=16, d_model=32,
                                    n_encoder_layers=7, dropout=0.1)


def test_fusion_net_shapes_and_grads():
    net = _fusion_net()
    assert len(net.encoders) == 7
    tokens = torch.randint(1, 50, (3, 9))
    mask = torch.zeros(3, 9, dtype=torch.bool)
    mask[0, 6:] = True
    mel = torch.randn(3, 16, 40)
    out = net(tokens, mask, mel)
    assert out.shape == (3, 4)
    F.cross_entropy(out, torch.tensor([0, 1, 2])).backward()
    _all_grads_finite(net)
    # any clip length / no mask
    net.eval()
    assert net(tokens, None, torch.randn(3, 16, 7)).shape == (3, 4)
    with pytest.raises(ValueError):
        net(tokens, torch.ones(3, 9, dtype=torch.bool), mel)


def test_fusion_net_padding_is_ignored():
    net = _fusion_net().eval()
    tokens = torch.randint(1, 50, (1, 5))
    mel = torch.randn(1, 16, 20)
    padded = torch.cat([tokens, torch.randint(1, 50, (1, 4))], dim=1)
    mask = torch.tensor([[False] * 5 + [True] * 4])
    with torch.no_grad():
        a = net(tokens, None, mel)
        b = net(padded, mask, mel)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


# --- Eq. 6–9 ----------------------------------------------------------------------------

def test_autoencoder_shapes_and_learns():
    torch.manual_seed(0)
    ae = hao.ModalityAutoencoder(20, 4, hidden=32)
    x = torch.randn(64, 20)
    assert ae.encode(x).shape == (64, 4) and ae(x).shape == (64, 20)
    assert ae.encode(torch.randn(2, 5, 20)).shape == (2, 5, 4)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    first = ae.reconstruction_loss(x).item()
    for _ in range(30):
        opt.zero_grad()
        loss = ae.reconstruction_loss(x)
        loss.backward()
        opt.step()
    assert ae.reconstruction_loss(x).item() < 0.8 * first


def test_feature_fusion():
    zs = [torch.randn(2, 5, 3), torch.randn(2, 5, 7)]
    cat = hao.FeatureFusion([3, 7])
    assert cat(zs).shape == (2, 5, 10) and cat.out_dim == 10
    w = hao.FeatureFusion([3, 7], mode="weighted", common_dim=6)
    assert w(zs).shape == (2, 5, 6)
    assert torch.isclose(w.weights().sum(), torch.tensor(1.0))
    with torch.no_grad():
        w.logits.copy_(torch.tensor([2.0, -1.0]))
    assert torch.isclose(w.weights().sum(), torch.tensor(1.0))
    with pytest.raises(ValueError):
        cat([torch.randn(2, 5, 4), torch.randn(2, 5, 7)])


# --- Eq. 10 -----------------------------------------------------------------------------

DIMS = {"audio": 12, "visual": 8, "physio": 5}


def _batch(B=4, T=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {m: torch.randn(B, T, d, generator=g) for m, d in DIMS.items()}


@pytest.mark.parametrize("fusion", ["concat", "weighted"])
def test_recognizer_shapes_and_grads(fusion):
    torch.manual_seed(0)
    model = hao.HaoRecognizer(DIMS, n_classes=3, code_dim=8, ae_hidden=16, fusion=fusion)
    batch = _batch()
    out = model(batch)
    assert out.shape == (4, 3)
    assert model(batch, per_step=True).shape == (4, 6, 3)
    loss = F.cross_entropy(out, torch.tensor([0, 1, 2, 0])) + model.reconstruction_loss(batch)
    loss.backward()
    _all_grads_finite(model)  # decoders get gradients through the reconstruction loss
    assert model.lstm.hidden_size == 128 and model.lstm.bidirectional
    assert model.dropout.p == 0.5


def test_recognizer_ablations():
    kw = dict(n_classes=3, code_dim=8, ae_hidden=16)
    full = hao.HaoRecognizer(DIMS, **kw)
    no_lstm = hao.HaoRecognizer(DIMS, use_bilstm=False, **kw)
    no_fusion = hao.HaoRecognizer(DIMS, use_fusion=False, **kw)
    flag = hao.HaoRecognizer(DIMS, adaptive_sampling=False, **kw)
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert not any(isinstance(m, nn.LSTM) for m in no_lstm.modules())
    assert any(isinstance(m, nn.LSTM) for m in full.modules())
    assert n(no_lstm) != n(full)
    assert no_fusion.fusion is None and list(no_fusion.autoencoders) == ["audio"]
    assert n(no_fusion) < n(full)
    assert flag.adaptive_sampling is False and full.adaptive_sampling is True
    batch = _batch()
    assert no_lstm(batch).shape == (4, 3)
    assert no_fusion({"audio": batch["audio"]}).shape == (4, 3)
    with pytest.raises(KeyError):
        full({"audio": batch["audio"]})


def _sequence_task(n, T=8, seed=0):
    """Class 1 sequences drift upward in the audio features, class 0 downward."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    trend = torch.linspace(-1, 1, T)[None, :, None] * (2 * y[:, None, None] - 1)
    batch = {m: 0.5 * torch.randn(n, T, d, generator=g) for m, d in DIMS.items()}
    batch["audio"] = batch["audio"] + trend
    return batch, y


def test_recognizer_learns_synthetic_task():
    torch.manual_seed(0)
    model = hao.HaoRecognizer(DIMS, n_classes=2, code_dim=8, ae_hidden=16, lstm_hidden=32)
    xb, yb = _sequence_task(64, seed=1)
    xt, yt = _sequence_task(128, seed=2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb) + 0.1 * model.reconstruction_loss(xb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(-1) == yt).float().mean().item()
    assert acc > 0.75


# --- Section 3.3 --------------------------------------------------------------------------

def _linear_stream(n, shift, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g) * 2
    y = (x[:, 0] > shift).long()
    return x, y


def _pretrained_linear():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    x, y = _linear_stream(512, 0.0, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def test_online_adapter_improves_on_shifted_stream():
    model = _pretrained_linear()
    frozen = _pretrained_linear()
    adapter = hao.OnlineAdapter(model, lr=0.05, batch_size=8, change_threshold=1.0)
    x, y = _linear_stream(8 * 60, 1.5, seed=3)   # the decision boundary moved
    hits_upd = hits_frozen = 0
    for i in range(0, len(x), 8):
        xb, yb = x[i:i + 8], y[i:i + 8]
        with torch.no_grad():   # prequential: predict, then learn
            hits_upd += int((model(xb).argmax(-1) == yb).sum())
            hits_frozen += int((frozen(xb).argmax(-1) == yb).sum())
        adapter.update(xb, yb)
    assert hits_upd > hits_frozen + 20


def test_online_adapter_resets_on_change():
    model = _pretrained_linear()
    pre = {k: v.clone() for k, v in model.state_dict().items()}
    seen = {}

    def hook(m):
        seen["equal"] = all(torch.equal(m.state_dict()[k], pre[k]) for k in pre)

    adapter = hao.OnlineAdapter(model, lr=0.05, window=3, adapt_steps=3, on_reset=hook)   # default threshold
    x, y = _linear_stream(8, 1.5, seed=4)
    for _ in range(5):
        adapter.update(x, y)
    assert not all(torch.equal(model.state_dict()[k], pre[k]) for k in pre)
    infos = [adapter.observe(torch.tensor([0.9, 0.1])) for _ in range(3)]
    assert all(not i["reset"] for i in infos)
    infos += [adapter.observe(torch.tensor([[0.1, 0.9], [0.2, 0.8]])) for _ in range(3)]
    assert infos[-1]["reset"] and infos[-1]["tv"] > 0.5 and infos[-1]["adapt_steps"] == 3
    assert infos[-1]["statistic"] > adapter.change_threshold and infos[-1]["observation"] == 5
    assert adapter.resets == [{"observation": 5, "statistic": infos[-1]["statistic"], "tv": infos[-1]["tv"]}]
    assert seen["equal"] and adapter.n_resets == 1
    # fast adaptation moved the weights away from the pre-trained copy again
    assert not all(torch.equal(model.state_dict()[k], pre[k]) for k in pre)
    # stable predictions do not trigger
    for _ in range(6):
        assert not adapter.observe(torch.tensor([0.5, 0.5]))["reset"]


def _group_stream(n_groups, change_at=None, seed=0, shift=0.2, per_group=4, concentration=20.0):
    """Per-group predicted distributions (B=4, C=3): Dirichlet noise around one distribution,
    another from ``change_at`` on (a listener change moving the mean by ``shift`` in TV)."""
    rng = np.random.default_rng(seed)
    before = np.array([0.5, 0.3, 0.2])
    after = before + np.array([-shift, 0.0, shift])
    return [torch.tensor(rng.dirichlet((after if change_at is not None and g >= change_at else before)
                                       * concentration, size=per_group)) for g in range(n_groups)]


def _fired(adapter, stream):
    return [g for g, p in enumerate(stream) if adapter.observe(p)["reset"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_change_detector_fires_soon_after_a_listener_change_and_not_before(seed):
    model = nn.Linear(2, 3)
    adapter = hao.OnlineAdapter(model)                            # defaults: window 8, threshold 6
    fired = _fired(adapter, _group_stream(80, change_at=40, seed=seed))
    assert fired and 40 <= fired[0] <= 40 + adapter.window + 2, fired   # within a few groups, never before
    assert adapter.n_resets == len(fired) and adapter.resets[0]["observation"] == fired[0]
    quiet = hao.OnlineAdapter(nn.Linear(2, 3))
    assert _fired(quiet, _group_stream(80, seed=100 + seed)) == []      # same length and noise, no change
    statistic, _ = quiet.change_statistic()
    assert statistic is not None and statistic < quiet.change_threshold


def test_change_detector_statistic_and_guards():
    adapter = hao.OnlineAdapter(nn.Linear(2, 2), window=2, noise_floor=0.1)
    infos = [adapter.observe(torch.tensor(p)) for p in ([0.6, 0.4], [0.6, 0.4], [0.5, 0.5])]
    assert [i["statistic"] for i in infos] == [None, None, None]
    info = adapter.observe(torch.tensor([0.5, 0.5]))
    # d = 0.1 per class, variances 0 -> floor 0.1; z = 0.1 / (0.1 * sqrt(2 / 2)) = 1; tv = 0.1
    assert info["statistic"] == pytest.approx(1.0) and info["tv"] == pytest.approx(0.1) and not info["reset"]
    small = hao.OnlineAdapter(nn.Linear(2, 2), window=2, min_change=0.2)   # beyond noise, but too small
    assert not any(small.observe(torch.tensor(p))["reset"] for p in ([0.6, 0.4],) * 2 + ([0.5, 0.5],) * 2)
    for bad in ({"change_threshold": 0}, {"window": 1}, {"min_change": 1.0}, {"noise_floor": 0}):
        with pytest.raises(ValueError):
            hao.OnlineAdapter(nn.Linear(2, 2), **bad)


def test_online_adapter_with_recognizer():
    torch.manual_seed(0)
    model = hao.HaoRecognizer(DIMS, n_classes=2, code_dim=4, ae_hidden=8, lstm_hidden=8)
    adapter = hao.OnlineAdapter(model, batch_size=4)
    xb, yb = _sequence_task(6, seed=5)
    loss = adapter.update(xb, yb)
    assert np.isfinite(loss)
    assert adapter.buffer[-1][1].shape == (4,)


# --- chapter-07 additions: dict batches, Eq. 8 loss in fit, code sizes -------------------------


def test_dict_dataset_and_lyrics_net_dict_forward():
    torch.manual_seed(0)
    net = hao.LyricsAudioFusionNet(vocab_size=10, n_classes=3, n_mels=8, n_encoder_layers=2).eval()
    tokens = torch.randint(1, 10, (4, 5))
    mel = torch.randn(4, 8, 16)
    ds = train.DictDataset({"tokens": tokens, "padding_mask": tokens == 0, "log_mel": mel}, [0, 1, 2, 0])
    x, y = ds[1]
    assert x["tokens"].shape == (5,) and int(y) == 1
    with torch.no_grad():
        torch.testing.assert_close(net({"tokens": tokens, "padding_mask": tokens == 0, "log_mel": mel}),
                                   net(tokens, tokens == 0, mel))
    history = train.fit(net, ds, epochs=2, batch_size=2, progress=False, device="cpu")
    assert len(history.train_loss) == 2
    with pytest.raises(ValueError, match="rows"):
        train.DictDataset({"a": torch.zeros(3, 2)}, [0, 1])


def test_fit_extra_loss_is_added_and_trains_the_decoders():
    torch.manual_seed(0)
    model = hao.HaoRecognizer({"a": 6, "b": 3}, 2, code_dim=2, ae_hidden=8, lstm_hidden=4)
    x = {"a": torch.randn(64, 4, 6), "b": torch.randn(64, 4, 3)}
    y = torch.randint(0, 2, (64,))
    ds = train.DictDataset(x, y)
    with torch.no_grad():
        before = float(model.reconstruction_loss(x))
    decoder = model.autoencoders["a"].decoder[0].weight.detach().clone()
    train.fit(model, ds, epochs=1, progress=False, device="cpu")
    assert torch.equal(decoder, model.autoencoders["a"].decoder[0].weight)   # no gradient without Eq. 8
    train.fit(model, ds, epochs=20, progress=False, device="cpu", extra_loss=lambda m, xb: m.reconstruction_loss(xb))
    assert not torch.equal(decoder, model.autoencoders["a"].decoder[0].weight)
    with torch.no_grad():
        assert float(model.reconstruction_loss(x)) < 0.97 * before


def test_compact_code_dims_and_dict_codes():
    codes = hao.compact_code_dims({"audio": 32, "eeg": 32, "gsr": 2, "ecg": 2, "face": 17})
    assert codes == {"audio": 8, "eeg": 8, "gsr": 2, "ecg": 2, "face": 4}
    assert hao.compact_code_dims({"x": 1}) == {"x": 1}
    model = hao.HaoRecognizer({"audio": 32, "gsr": 2}, 4, code_dim={"audio": 8, "gsr": 2})
    assert model.lstm.input_size == 10 and model.code_dims == {"audio": 8, "gsr": 2}
    with pytest.raises(ValueError):
        hao.compact_code_dims({"x": 4}, ratio=0)


def test_online_adapter_records_every_statistic():
    adapter = hao.OnlineAdapter(nn.Linear(2, 2), window=2)
    for p in ([0.5, 0.5], [0.5, 0.5], [0.6, 0.4], [0.4, 0.6]):
        adapter.observe(torch.tensor(p))
    assert len(adapter.statistics) == 4
    assert all(np.isnan(s) for s in adapter.statistics[:3]) and np.isfinite(adapter.statistics[3])
    assert adapter.statistics[3] == pytest.approx(adapter.change_statistic()[0])


def test_recognizer_builder_switches_really_remove_modules():
    dims = {"audio": 8, "eeg": 4}
    full = hao.recognizer_builder()(dims, 3)
    reduced = hao.recognizer_builder(use_bilstm=False, use_fusion=False)(dims, 3)
    assert full.lstm is not None and full.fusion is not None
    assert reduced.lstm is None and reduced.fusion is None and reduced.modalities == ["audio"]
    assert full.code_dims == hao.compact_code_dims(dims)
    out = reduced({"audio": torch.zeros(2, 5, 8)})
    assert out.shape == (2, 3)
    with pytest.raises(TypeError):
        hao.recognizer_builder(use_lstm=False)
