"""Wang's models trained by the course's trainers: WindowInputs, the auxiliary regression loss and
the MAE column of compare_models (groundwork of chapter 10)."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import evaluation as E
from mer_lessons import windows as W
from mer_lessons.models import wang
from mer_lessons.validation import InputError

CLASSES = list(wang.POLARITIES)


def synthetic(n=150, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 9, n)
    text = rng.normal(size=(n, 8, 8)).astype(np.float32)
    mask = (np.arange(8)[None, :] < lengths[:, None]).astype(np.float32)[..., None]
    text *= mask                                                  # padding holds zeros
    audio = rng.normal(size=(n, 12, 6)).astype(np.float32)
    signal = (text[:, :, 0].sum(1) / lengths) + audio[:, :, 0].mean(1)
    y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    va = np.stack([signal, audio[:, :, 1].mean(1)], 1)[:, None, :].astype(np.float32)
    meta = pd.DataFrame({"trial": np.arange(n), "clip_id": [f"c{i}" for i in range(n)], "subject": "all"})
    ws = W.WindowSet({"text": text, "text_mask": mask, "audio": audio, "va": va}, meta,
                     labels=np.array(CLASSES, dtype=object)[y], classes=CLASSES)
    return ws


def build(weight=0.5, **switches):
    def make(dims, n_classes):
        fusion = wang.CrossModalTransformer(dims["text"], dims["audio"], dim=16, heads=2, n_classes=n_classes, **switches)
        return wang.WindowInputs(fusion, targets="va", weight=weight)
    return make


def batch_of(ws, rows=slice(0, 16)):
    return {k: torch.from_numpy(v[rows]) for k, v in ws.features.items()}


def test_auxiliary_plus_cross_entropy_is_the_multi_output_loss_rescaled():
    ws = synthetic()
    torch.manual_seed(0)
    model = build(weight=0.3)(ws.dims, 3).eval()
    batch = batch_of(ws)
    logits = model(batch)
    y = torch.from_numpy(ws.y[:16])
    total = torch.nn.functional.cross_entropy(logits, y) + model.auxiliary_loss(batch)
    reference, _ = wang.multi_output_loss(model.last_outputs, y, batch["va"][:, 0, :], weight=0.3)
    assert float(total.detach()) == pytest.approx(float(reference.detach()) / 0.7, rel=1e-5)
    assert float(build(weight=0.0)(ws.dims, 3).eval().auxiliary_loss(batch)) == 0.0


def test_compare_models_trains_the_fused_model_and_reports_mae():
    ws = synthetic()
    parts = {"train": np.arange(0, 90), "val": np.arange(90, 110), "test": np.arange(110, 150)}
    sets = [ws.subset(parts[k]) for k in ("train", "val", "test")]
    inputs = ("text", "text_mask", "audio", "va")
    specs = [E.ModelSpec("fused", "fusion", build(), inputs=inputs, regression="va"),
             E.ModelSpec("no regression", "fusion", build(weight=0.0), inputs=inputs, regression="va")]
    results, models = E.compare_models(*sets, specs=specs, epochs=40, device="cpu", n_timing=0, progress=False,
                                       train_options={"lr": 3e-3, "patience": 10})
    majority = np.mean(sets[2].y == np.bincount(sets[0].y).argmax())
    assert results.loc["fused", "accuracy"] > majority + 0.15, results["accuracy"]
    spread = np.mean(np.abs(sets[2].features["va"] - sets[0].features["va"].mean(axis=0)))
    assert results.loc["fused", "mae"] < spread                     # better than predicting the mean
    assert results.loc["fused", "mae"] < results.loc["no regression", "mae"]   # the regression head was trained


def test_dropping_all_text_at_evaluation_equals_leaving_text_out():
    ws = synthetic()
    torch.manual_seed(1)
    model = build()(ws.dims, 3).eval()
    batch = batch_of(ws)
    model.drop_text = 1.0
    dropped = model(batch)
    text_free = wang.WindowInputs(model.model, text=None, text_mask=None, targets="va").eval()
    torch.testing.assert_close(dropped, text_free(batch), atol=1e-5, rtol=1e-5)
    model.drop_text = 0.0
    assert not torch.allclose(model(batch), dropped)
    with pytest.raises(InputError, match="audio"):
        wang.WindowInputs(model.model, audio="missing")(batch)


def test_fuse_switch_changes_only_the_last_step():
    torch.manual_seed(0)
    a = wang.CrossModalTransformer(8, 6, dim=16, heads=2, fuse="probabilities").eval()
    b = wang.CrossModalTransformer(8, 6, dim=16, heads=2, fuse="logits").eval()
    b.load_state_dict(a.state_dict())
    x, y = torch.randn(3, 5, 8), torch.randn(3, 4, 6)
    oa, ob = a(x, y), b(x, y)
    torch.testing.assert_close(oa["probs_us"], ob["probs_us"])          # same heads
    assert not torch.allclose(oa["logits"], ob["logits"])               # a different fusion
    # as printed, the fused logits are an affine map of a vector in [0, 2]^C: bounded by Q_phi's weights
    bound = a.out_fused.weight.abs().sum(1) * 2 + a.out_fused.bias.abs()
    assert bool((oa["logits"].abs() <= bound + 1e-6).all())
    with pytest.raises(InputError, match="fuse"):
        wang.CrossModalTransformer(8, 6, fuse="average")


def test_fused_model_beats_the_majority_class_on_the_teaching_clips(module_data_home):
    """The chapter's fused model (logits fused, teaching size) learns polarity from the teaching clips."""
    from mer_lessons import data, dsp, splits, text
    from mer_lessons.papers import wang as wang_paper

    clips = data.load("mini", n_clips=120, unit="clip", progress=False)
    states, token_mask = text.pretrained_token_states(clips.meta["lyrics"].tolist(), max_length=24)
    mask = token_mask[..., None].astype(np.float32)
    va = (clips.meta[["valence", "arousal"]].to_numpy(dtype=np.float32) - 5) / 4
    ws = (W.clip_windows(clips, dsp.clip_log_mel, progress=False).standardize(by=None)
          .with_features("text", states * mask).with_features("text_mask", mask).with_features("va", va)
          .with_labels(clips.meta["polarity"], classes=CLASSES))
    spec = [s for s in wang_paper.table_models() if s.name == wang_paper.FUSED_LOGITS]
    gains = []
    for seed in (0, 1):
        parts = splits.group_split(ws.meta, by="clip_id", test_size=0.25, val_size=0.25, seed=seed)
        tr, va_set, te = (ws.subset(parts[k]) for k in ("train", "val", "test"))
        results, _ = E.compare_models(tr, va_set, te, specs=spec, epochs=40, seed=seed, device="cpu", n_timing=0,
                                      progress=False, train_options={"lr": 2e-3, "patience": 10, "batch_size": 16})
        gains.append(results["accuracy"].iloc[0] - np.mean(te.y == np.bincount(tr.y).argmax()))
    assert np.mean(gains) > 0.05, gains
