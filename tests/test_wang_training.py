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
