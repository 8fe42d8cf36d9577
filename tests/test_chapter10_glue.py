"""Chapter 10's glue: a text encoder trained inside WindowInputs, the evaluation-time attribute
sweep (DropRatio, Wang (2025) Figs. 5-6) over a repeated comparison, and the clip log-mel input."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import dsp
from mer_lessons import evaluation as E
from mer_lessons import windows as W
from mer_lessons.models import wang
from mer_lessons.validation import InputError

CLASSES = list(wang.POLARITIES)
VOCAB = 50


# --------------------------------------------------------------------------- WindowInputs(text_encoder=...)


def token_windows(n=180, length=8, seed=0):
    """Token ids (as float32 (N, L, 1)) whose label is which of the key ids 1, 2, 3 appears."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, length + 1, n)
    ids = rng.integers(5, VOCAB, (n, length))
    y = rng.integers(0, 3, n)
    where = (rng.random(n) * lengths).astype(int)
    ids[np.arange(n), where] = y + 1                                 # the key token
    real = np.arange(length)[None, :] < lengths[:, None]
    ids = np.where(real, ids, 0)                                     # padding id 0 at the end
    meta = pd.DataFrame({"trial": np.arange(n), "clip_id": [f"c{i}" for i in range(n)], "subject": "all"})
    return W.WindowSet({"text": ids.astype(np.float32)[..., None], "text_mask": real.astype(np.float32)[..., None]},
                       meta, labels=np.array(CLASSES, dtype=object)[y], classes=CLASSES)


def encoded_model(built=None):
    def make(dims, n_classes):
        encoder = wang.BiLSTMEncoder(vocab_size=VOCAB, embed_dim=16, hidden=16)
        head = wang.SingleModality(dim_in=encoder.hidden_size, hidden=32, n_classes=n_classes, dropout=0.0)
        model = wang.WindowInputs(head, text="text", text_mask="text_mask", audio=None, text_encoder=encoder)
        if built is not None:
            built.append((model, {k: v.detach().clone() for k, v in encoder.state_dict().items()}))
        return model
    return make


def test_window_inputs_trains_a_text_encoder_on_token_ids():
    ws = token_windows()
    parts = {"train": np.arange(0, 110), "val": np.arange(110, 140), "test": np.arange(140, 180)}
    sets = [ws.subset(parts[k]) for k in ("train", "val", "test")]
    built = []
    spec = E.ModelSpec("bilstm", "fusion", encoded_model(built), inputs=("text", "text_mask"))
    results, models = E.compare_models(*sets, specs=[spec], epochs=40, device="cpu", n_timing=0, progress=False,
                                       train_options={"lr": 1e-2, "patience": 15})
    majority = np.mean(sets[2].y == np.bincount(sets[0].y).argmax())
    assert results.loc["bilstm", "accuracy"] > majority + 0.3, results["accuracy"]
    model, initial = built[0]
    assert models["bilstm"] is model
    assert any(p.requires_grad for p in model.text_encoder.parameters())
    assert any(id(p) in {id(q) for q in model.parameters()} for p in model.text_encoder.parameters())
    trained = model.text_encoder.state_dict()
    assert any(not torch.equal(trained[k], initial[k]) for k in initial)   # the encoder was trained


def test_text_encoder_output_ignores_padding_and_accepts_two_dimensional_ids():
    ws = token_windows(n=12)
    torch.manual_seed(0)
    model = encoded_model()(ws.dims, 3).eval()
    batch = {k: torch.from_numpy(v) for k, v in ws.features.items()}
    reference = model(batch)
    padded = {k: torch.cat([v, torch.zeros(v.shape[0], 5, 1)], dim=1) for k, v in batch.items()}
    torch.testing.assert_close(model(padded), reference, atol=1e-5, rtol=1e-5)
    flat = {"text": batch["text"][..., 0], "text_mask": batch["text_mask"]}
    torch.testing.assert_close(model(flat), reference, atol=1e-6, rtol=1e-6)
    model.drop_text = 1.0                                    # DropRatio after the encoder: nothing left
    states = model.text_encoder(batch["text"][..., 0].long(), batch["text_mask"][..., 0] > 0.5)
    hidden = model.model(states, torch.zeros(states.shape[:2], dtype=torch.bool))["logits"]
    torch.testing.assert_close(model(batch), hidden, atol=1e-6, rtol=1e-6)


def test_text_encoder_argument_is_checked():
    head = wang.SingleModality(dim_in=4)
    with pytest.raises(TypeError, match="text_encoder"):
        wang.WindowInputs(head, audio=None, text_encoder="bilstm")
    with pytest.raises(InputError, match="text"):
        wang.WindowInputs(head, text=None, text_encoder=wang.BiLSTMEncoder(vocab_size=VOCAB))
    model = wang.WindowInputs(wang.SingleModality(dim_in=64), audio=None,
                              text_encoder=wang.BiLSTMEncoder(vocab_size=VOCAB))
    with pytest.raises(InputError, match="token ids"):
        model({"text": torch.zeros(2, 3, 4), "text_mask": torch.ones(2, 3, 1)})


# --------------------------------------------------------------------------- attribute_sweep


class ShiftedLinear(torch.nn.Module):
    """A linear classifier on the mean window whose class-0 logit is raised by ``bias_shift``."""

    def __init__(self, dim, n_classes):
        super().__init__()
        self.linear = torch.nn.Linear(dim, n_classes)
        self.bias_shift = 0.0

    def forward(self, x):
        logits = self.linear(x["feat"].mean(1))
        return logits + torch.nn.functional.one_hot(torch.tensor(0), logits.shape[1]) * self.bias_shift


def feature_windows(subjects=8, per_subject=24, seed=0):
    rng = np.random.default_rng(seed)
    n = subjects * per_subject
    feat = rng.normal(size=(n, 4, 3)).astype(np.float32)
    signal = feat[:, :, 0].mean(1)
    y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    meta = pd.DataFrame({"trial": np.arange(n), "clip_id": [f"c{i}" for i in range(n)],
                         "subject": np.repeat([f"s{i}" for i in range(subjects)], per_subject), "start_s": 0.0})
    return W.WindowSet({"feat": feat}, meta, labels=np.array(CLASSES, dtype=object)[y], classes=CLASSES)


@pytest.fixture(scope="module")
def study():
    ws = feature_windows()
    spec = E.ModelSpec("linear", "fusion", lambda dims, n: ShiftedLinear(dims["feat"], n), inputs=("feat",))
    result = E.repeated_comparison(ws, [spec], repeats=3, keep=["linear"], epochs=30, device="cpu",
                                   progress=False, train_options={"lr": 3e-2, "patience": 10})
    return ws, result


def test_attribute_sweep_changes_the_metric_and_restores_the_attribute(study):
    ws, result = study
    summary, per_repeat = E.attribute_sweep(result, ["linear"], ws, "bias_shift", [0.0, 100.0],
                                            inputs={"linear": ("feat",)})
    assert list(per_repeat.columns) == ["name", "value", "repeat", "macro_f1"]
    assert len(per_repeat) == 3 * 2
    assert list(summary.columns) == ["name", "value", "mean", "low", "high", "repeats"]
    assert list(summary["value"]) == [0.0, 100.0] and set(summary["repeats"]) == {3}
    at = summary.set_index("value")["mean"]
    assert at[0.0] > at[100.0] + 0.2                     # everything called class 0: macro F1 falls
    assert (summary["low"] <= summary["mean"]).all() and (summary["mean"] <= summary["high"]).all()
    for models in result.kept_models.values():
        assert models["linear"].bias_shift == 0.0         # restored


def test_attribute_sweep_at_the_trained_value_reproduces_the_study(study):
    ws, result = study
    model = result.kept_models[1]["linear"]
    model.bias_shift = 0.25                                 # a non-default value is restored too
    try:
        _, per_repeat = E.attribute_sweep(result, ["linear"], ws, "bias_shift", [0.0], inputs={"linear": ("feat",)},
                                          metric="accuracy")
        assert model.bias_shift == 0.25
    finally:
        model.bias_shift = 0.0
    ours = per_repeat.set_index("repeat")["accuracy"].sort_index()
    theirs = result.per_repeat[result.per_repeat["name"] == "linear"].set_index("repeat")["accuracy"].sort_index()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy())


def test_attribute_sweep_errors_are_clear(study):
    ws, result = study
    with pytest.raises(InputError, match=r"keep=\['other'\]"):
        E.attribute_sweep(result, ["other"], ws, "bias_shift", [0.0], inputs={"other": ("feat",)})
    with pytest.raises(InputError, match="no_such_attribute"):
        E.attribute_sweep(result, ["linear"], ws, "no_such_attribute", [0.0], inputs={"linear": ("feat",)})
    with pytest.raises(InputError, match="inputs"):
        E.attribute_sweep(result, ["linear"], ws, "bias_shift", [0.0], inputs={})


# --------------------------------------------------------------------------- clip_log_mel


SR = 16000


def tone(seconds=2.0, hz=1000.0):
    t = np.arange(int(seconds * SR)) / SR
    return 0.5 * np.sin(2 * np.pi * hz * t)


def test_clip_log_mel_shape_and_the_brightest_band_of_a_tone():
    out = dsp.clip_log_mel(tone(), SR)
    assert set(out) == {"mel"}
    mel = out["mel"]
    assert mel.shape == (64, 64) and np.all(np.isfinite(mel))
    assert mel.max() <= 0.0 and mel.min() >= -80.0
    centres = dsp.mel_frequencies(64 + 2, 0.0, SR / 2)[1:-1]
    assert int(np.argmax(mel.mean(axis=1))) == int(np.argmin(np.abs(centres - 1000.0)))
    assert dsp.clip_log_mel(tone(), SR, n_mels=32, n_frames=10)["mel"].shape == (32, 10)


def test_clip_log_mel_seconds_pads_with_silence_and_crops():
    y = tone(seconds=1.0)
    padded = dsp.clip_log_mel(y, SR, seconds=2.0, top_db=60.0)["mel"]
    assert padded.shape == (64, 64)
    np.testing.assert_array_equal(padded[:, -8:], -60.0)          # silence sits at the floor
    assert padded[:, :8].max() > -1.0                          # the tone: near the 0 dB peak
    long = tone(seconds=3.0) + 0.1 * np.random.default_rng(0).normal(size=3 * SR)
    np.testing.assert_array_equal(dsp.clip_log_mel(long, SR, seconds=1.5)["mel"],
                                  dsp.clip_log_mel(long[:int(1.5 * SR)], SR)["mel"])


def test_clip_log_mel_too_short_names_n_frames():
    with pytest.raises(InputError, match="n_frames"):
        dsp.clip_log_mel(tone(seconds=0.1), SR)                 # 1 + 1600 // 256 = 7 frames
    assert dsp.clip_log_mel(tone(seconds=0.1), SR, n_frames=7)["mel"].shape == (64, 7)
    with pytest.raises(InputError, match="seconds"):
        dsp.clip_log_mel(tone(), SR, seconds=0)
