"""Tests of mer_lessons.models.liu: Liu et al.'s cross-modal attention, reconstruction, fusion (chapter 12)."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from mer_lessons.models import liu as L
from mer_lessons.models.sequence import count_parameters
from mer_lessons.validation import InputError, OutOfRangeError, UnknownOptionError

SMALL = dict(common_dim=16, attention_dim=8, rnn_hidden=12, lstm_hidden=20)
DIMS = {"mfcc": 13, "functionals": 24, "soundnet": 10, "video": 7}
B, T = 4, 6


def _batch(b=B, t=T, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = {k: torch.randn(b, 1, d, generator=g) for k, d in DIMS.items() if k != "video"}
    x["video"] = torch.randn(b, t, DIMS["video"], generator=g)
    return x


def _net(**options):
    torch.manual_seed(0)
    return L.LiuNet({k: d for k, d in DIMS.items() if k != "video"}, DIMS["video"], **{**SMALL, **options})


def _inputs(b=B, t=T, seed=0):
    x = _batch(b, t, seed)
    return {k: v[:, 0] for k, v in x.items() if k != "video"}, x["video"]


# ------------------------------------------------------------------ Eq. 19


def test_decision_fusion_is_the_weighted_average_of_eq_19():
    y_m, y_a, y_v = torch.tensor([[.7, .3]]), torch.tensor([[.2, .8]]), torch.tensor([[.5, .5]])
    fused = L.decision_fusion(y_m, y_a, y_v, beta=.6, chi=.4)
    # (0.7 + 0.6*0.2 + 0.4*0.5) / 2 = 1.02 / 2 = 0.51 ; (0.3 + 0.48 + 0.2) / 2 = 0.49
    assert torch.allclose(fused, torch.tensor([[0.51, 0.49]]))
    assert torch.equal(L.decision_fusion(y_m, y_a, y_v, beta=0, chi=0), y_m)
    p = torch.softmax(torch.randn(3, 5, 9), dim=-1)
    assert torch.allclose(L.decision_fusion(p[0], p[1], p[2]).sum(dim=1), torch.ones(5))
    with pytest.raises(OutOfRangeError):
        L.decision_fusion(y_m, y_a, y_v, beta=-0.1)


# ------------------------------------------------------------------ Eq. 12-15


def test_cma_shapes_weights_and_gradients_in_both_directions():
    torch.manual_seed(0)
    cma = L.CrossModalAttention(5, 7, common_dim=16, attention_dim=8)
    a = torch.randn(2, 3, 5, requires_grad=True)
    v = torch.randn(2, 4, 7, requires_grad=True)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    x_m = cma(a, v, video_mask=mask)
    assert x_m.shape == (2, 32)
    assert cma.weights_audio_to_video.shape == (2, 3, 4) and cma.weights_video_to_audio.shape == (2, 4, 3)
    assert torch.allclose(cma.weights_audio_to_video.sum(-1), torch.ones(2, 3))
    assert torch.allclose(cma.weights_video_to_audio.sum(-1), torch.ones(2, 4))
    assert torch.all(cma.weights_audio_to_video[0, :, 3] == 0)          # the masked video step
    x_m.pow(2).sum().backward()
    assert a.grad.abs().sum() > 0 and v.grad.abs().sum() > 0
    for layer in (cma.project_audio, cma.project_video, cma.query_audio, cma.key_video, cma.query_video,
                  cma.key_audio):
        assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
    # a padded video step changes nothing once masked
    v2 = v.detach().clone()
    v2[0, 3] = 100.0
    assert torch.allclose(cma(a.detach(), v2, video_mask=mask)[0], cma(a.detach(), v.detach(), video_mask=mask)[0],
                          atol=1e-5)
    with pytest.raises(InputError):
        L.CrossModalAttention(5, 7, common_dim=16, attention_dim=8, heads=3)


# ------------------------------------------------------------------ Eq. 16-18


def test_reconstruction_loss_falls_while_training():
    torch.manual_seed(0)
    rec = L.Reconstruction(12, 9, 6, hidden=32)
    x_m, x_a, x_b = torch.randn(16, 12), torch.randn(16, 9), torch.randn(16, 6)
    opt = torch.optim.Adam(rec.parameters(), lr=1e-2)
    with torch.no_grad():
        first = float(rec.loss(x_m, x_a, x_b))
    for _ in range(50):
        opt.zero_grad()
        loss = rec.loss(x_m, x_a, x_b)
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(rec.loss(x_m, x_a, x_b)) < 0.5 * first
    r_a, r_b = rec(x_m)
    assert torch.allclose(rec.loss(x_m, x_a, x_b), F.mse_loss(r_a, x_a) + F.mse_loss(r_b, x_b))


# ------------------------------------------------------------------ SoundNet


def test_soundnet_layer_shapes_width_and_parameter_count():
    net = L.SoundNet().eval()
    assert net.pretrained is False
    assert count_parameters(net) == 2_874_320                    # conv1-conv7 with BatchNorm, no conv8
    with torch.no_grad():
        acts = net.activations(torch.randn(2, 1, 22050))
    lengths = {k: v.shape[-1] for k, v in acts.items()}
    assert lengths == {"conv1": 1378, "conv2": 86, "conv3": 44, "conv4": 23, "conv5": 3, "conv6": 2, "conv7": 2}
    assert [acts[k].shape[1] for k in acts] == [16, 32, 64, 128, 256, 512, 1024]
    small = L.SoundNet(width=0.25, n_outputs=5).eval()
    with torch.no_grad():
        assert small.features(torch.randn(2, 22050)).shape == (2, 256)
        assert small.features(torch.randn(2, 22050), layer="conv5").shape == (2, 64)
        assert small(torch.randn(2, 22050)).shape == (2, 5)
    with pytest.raises(InputError):
        net(torch.randn(1, 22050))                              # no conv8 without n_outputs


def test_soundnet_prepare_resamples_and_scales():
    t = np.arange(16000) / 16000
    y = L.SoundNet.prepare(np.sin(2 * np.pi * 440 * t), 16000)
    assert y.dtype == torch.float32 and y.shape == (22050,)
    assert 250 < float(y.abs().max()) < 262
    assert L.SoundNet.prepare(np.ones((2, 22050)) * 0.5, 22050).shape == (2, 22050)


# ------------------------------------------------------------------ Eq. 8-11 and the whole model


def test_video_encoder_shapes_and_masked_last_state():
    enc = L.VideoEncoder(7, rnn_hidden=12, lstm_hidden=20, pool="last")
    x = torch.randn(3, 5, 7)
    assert enc(x).shape == (3, 5, 20) and enc.pooled(x).shape == (3, 20)
    mask = torch.tensor([[1, 1, 1, 0, 0]] * 3, dtype=torch.bool)
    assert torch.allclose(enc.pooled(x, mask), enc(x)[:, 2])
    assert L.VideoEncoder(7).pooled(x).shape == (3, 256)


@pytest.mark.parametrize("name", list(L.NAMES))
def test_every_built_model_gives_log_probabilities(name):
    torch.manual_seed(0)
    model = L.build(name, DIMS, **SMALL).eval()
    out = model(_batch())
    assert out.shape == (B, 9)
    assert torch.allclose(out.exp().sum(dim=1), torch.ones(B), atol=1e-5)
    assert torch.allclose(model.predict_proba(_batch()), out.exp(), atol=1e-6)
    assert model.loss_fn(out, torch.zeros(B, dtype=torch.long)).ndim == 0
    assert model.auxiliary_loss(_batch()).ndim == 0


def test_ablation_switches_remove_their_component():
    kinds = lambda m: {type(x).__name__ for x in m.modules()}                    # noqa: E731
    full = _net()
    assert {"CrossModalAttention", "Reconstruction", "VideoEncoder"} <= kinds(full)
    assert "CrossModalAttention" not in kinds(_net(cma=False))
    no_rec = _net(reconstruction=False)
    assert "Reconstruction" not in kinds(no_rec)
    audio, video = _inputs()
    out = no_rec(audio, video)
    assert float(no_rec.losses(out, torch.zeros(B, dtype=torch.long))["reconstruction"]) == 0
    feature = _net(fusion="feature", cma=False, reconstruction=False)
    out = feature(audio, video)
    assert out["y_m"] is None and out["y_a"] is None and out["y_v"] is None and feature.head_m is None
    audio_only = _net(modalities=("audio",))
    assert "VideoEncoder" not in kinds(audio_only) and "CrossModalAttention" not in kinds(audio_only)
    out = audio_only(audio, None)
    assert out["probs"] is out["y_a"] and out["y_v"] is None and out["x_b"] is None
    video_only = _net(modalities=("video",))
    assert video_only.head_a is None and video_only.audio_projections is None
    assert video_only(None, video)["probs"].shape == (B, 9)
    out = full(audio, video)
    assert out["x_m"].shape == (B, 32) and out["x_a"].shape == (B, 47) and out["x_b"].shape == (B, 20)
    assert _net(cma=False)(audio, video)["x_m"].shape == (B, 16 + 20)
    with pytest.raises(InputError):
        L.build("without CMA", DIMS, cma=True)
    with pytest.raises(UnknownOptionError):
        L.build("DEAN", DIMS)


def test_l1_loss_matches_a_hand_computation():
    model = _net(reconstruction=False)
    out = {"probs": torch.tensor([[.6, .3, .1], [.2, .2, .6]]), "y_a": torch.tensor([[.5, .5, 0.], [0., 0., 1.]]),
           "y_v": torch.tensor([[1., 0., 0.], [1., 0., 0.]]), "y_m": None, "x_m": None}
    y = torch.tensor([0, 2])
    # fused: (0.4 + 0.3 + 0.1) = 0.8 and (0.2 + 0.2 + 0.4) = 0.8 -> 0.8
    # y_a: 1.0 and 0.0 -> 0.5 ; y_v: 0.0 and 2.0 -> 1.0 ; total 0.8 + 0.5 * (0.5 + 1.0) = 1.55
    losses = model.losses(out, y, loss="l1", unimodal_weight=0.5)
    assert float(losses["classification"]) == pytest.approx(1.55)
    assert float(losses["total"]) == pytest.approx(1.55)
    ce = model.losses(out, y, loss="ce", unimodal_weight=0.0)["classification"]
    assert float(ce) == pytest.approx(-(np.log(.6) + np.log(.6)) / 2)
    wrapped = L.WindowInputs(model, loss="l1")
    wrapped.last_outputs = out
    assert float(wrapped.loss_fn(torch.log(out["probs"]), y)) == pytest.approx(1.55, rel=1e-5)


def test_gradient_reaches_every_parameter_of_the_proposed_model():
    model = _net(dropout=0.0)
    audio, video = _inputs()
    out = model(audio, video, video_mask=torch.ones(B, T, dtype=torch.bool))
    model.losses(out, torch.arange(B) % 9)["total"].backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing


def test_the_proposed_model_learns_a_tiny_problem_with_the_l1_loss():
    g = torch.Generator().manual_seed(1)
    n, classes = 90, 3
    y = torch.arange(n) % classes
    audio = {k: torch.randn(n, d, generator=g) for k, d in DIMS.items() if k != "video"}
    audio["mfcc"][:, :3] += 2.0 * F.one_hot(y, classes)
    video = torch.randn(n, T, DIMS["video"], generator=g)
    video[:, :, :3] += 2.0 * F.one_hot(y, classes)[:, None, :]
    model = _net(n_classes=classes, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(60):
        opt.zero_grad()
        model.losses(model(audio, video), y, loss="l1")["total"].backward()
        opt.step()
    model.eval()
    g_test = torch.Generator().manual_seed(2)
    y_test = torch.arange(60) % classes
    a_test = {k: torch.randn(60, d, generator=g_test) for k, d in DIMS.items() if k != "video"}
    a_test["mfcc"][:, :3] += 2.0 * F.one_hot(y_test, classes)
    v_test = torch.randn(60, T, DIMS["video"], generator=g_test)
    v_test[:, :, :3] += 2.0 * F.one_hot(y_test, classes)[:, None, :]
    with torch.no_grad():
        accuracy = float((model(a_test, v_test)["probs"].argmax(1) == y_test).float().mean())
    assert accuracy > 0.7                                        # majority class: 1/3


def test_window_inputs_expose_the_fusion_weights_for_sweeps():
    dims = {"mfcc": 4, "video": 6}
    model = L.build("proposed", dims, n_classes=3, common_dim=8, attention_dim=4, rnn_hidden=4, lstm_hidden=4)
    x = {"mfcc": torch.randn(2, 1, 4), "video": torch.randn(2, 3, 6)}
    model.eval()
    before = model(x)
    model.beta = 0.0
    assert model.model.beta == 0.0 and not torch.allclose(before, model(x))
    with pytest.raises(AttributeError, match="beta"):
        L.build("LSTM baseline", dims, n_classes=3).beta = 0.1
