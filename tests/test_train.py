"""Tests for mer_lessons.train (CPU only, a few seconds)."""

import copy
import math

import numpy as np
import pytest
import torch

from mer_lessons import set_seed
from mer_lessons.train import (
    CheckpointError,
    EarlyStopping,
    History,
    MixedPrecision,
    current_lr,
    evaluate,
    fit,
    load_checkpoint,
    make_loader,
    make_lr_scheduler,
    predict,
    resolve_amp,
    save_checkpoint,
    save_epoch_checkpoints,
    train_one_epoch,
)
from mer_lessons.validation import (
    InputError,
    OutOfRangeError,
    UnknownOptionError,
    WrongTypeError,
)

torch.set_num_threads(1)


def _blobs(n=200, seed=0, random_labels=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    X[:, 0] += np.where(y == 1, 2.5, -2.5)
    if random_labels:
        y = rng.integers(0, 2, n)
    return X, y


def _mlp(seed=0):
    set_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
    )


def test_fit_learns_separable_problem_and_history_lengths():
    model = _mlp()
    history = fit(model, _blobs(200, 0), _blobs(100, 1), epochs=5, progress=False)
    assert isinstance(history, History)
    for name in (
        "train_loss",
        "val_loss",
        "train_accuracy",
        "val_accuracy",
        "lr",
        "seconds",
    ):
        assert len(getattr(history, name)) == 5, name
    assert history.val_accuracy[-1] > 0.9
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.best_epoch is not None and not history.stopped_early
    assert history.amp is None and history.device == "cpu"
    frame = history.to_frame()
    assert list(frame.index) == [1, 2, 3, 4, 5] and frame.index.name == "epoch"
    assert "val_accuracy" in frame.columns


def test_fit_without_validation_fills_nan():
    history = fit(_mlp(), _blobs(64), epochs=2, progress=False, metrics=())
    assert len(history.val_loss) == 2 and all(math.isnan(v) for v in history.val_loss)
    assert all(math.isnan(v) for v in history.train_accuracy)


def test_seeded_runs_are_identical():
    runs = []
    for _ in range(2):
        h = fit(_mlp(3), _blobs(120), _blobs(60, 1), epochs=3, seed=7, progress=False)
        d = h.to_dict()
        d.pop("seconds")
        runs.append(d)
    assert runs[0] == runs[1]


def test_early_stopping_restores_best_weights():
    train, val = _blobs(200, 0), _blobs(200, 1, random_labels=True)
    model = _mlp()
    history = fit(
        model,
        train,
        val,
        epochs=40,
        patience=2,
        progress=False,
        lr_decay=None,
        optimizer=None,
    )
    assert history.stopped_early
    assert len(history.train_loss) < 40
    best = min(history.val_loss)
    assert history.val_loss[history.best_epoch - 1] == best
    assert len(history.train_loss) == history.best_epoch + 2
    assert evaluate(model, val)["loss"] == pytest.approx(best, rel=1e-5)


def test_patience_needs_validation_data():
    with pytest.raises(ValueError, match="val_data"):
        fit(_mlp(), _blobs(32), patience=2, progress=False)


def test_lr_decay_halves_lr():
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(
        model, _blobs(64), optimizer=opt, epochs=3, lr_decay=0.5, progress=False
    )
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_checkpoint_round_trip(tmp_path):
    model = _mlp(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    fit(model, _blobs(64), optimizer=opt, epochs=1, progress=False)
    path = save_checkpoint(
        tmp_path / "ck" / "m.pt",
        model,
        opt,
        epoch=3,
        val_loss=np.float32(0.5),
        note="hi",
        classes=["a", "b"],
    )
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # no temp file left
    other = _mlp(2)
    other_opt = torch.optim.Adam(other.parameters(), lr=1e-3)
    meta = load_checkpoint(path, other, other_opt)
    assert meta == {"epoch": 3, "val_loss": 0.5, "note": "hi", "classes": ["a", "b"]}
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    assert other_opt.state_dict()["state"].keys() == opt.state_dict()["state"].keys()


def test_fit_writes_best_and_last_checkpoints(tmp_path):
    model = _mlp()
    fit(
        model,
        _blobs(64),
        _blobs(32, 1),
        epochs=2,
        checkpoint_dir=tmp_path,
        progress=False,
    )
    assert (tmp_path / "best.pt").is_file() and (tmp_path / "last.pt").is_file()
    meta = load_checkpoint(tmp_path / "last.pt", _mlp())
    assert meta["epoch"] == 2 and len(meta["history"]["train_loss"]) == 2


_EXECUTED = []


def _side_effect():
    _EXECUTED.append(True)
    return "pwned"


class _Malicious:
    def __reduce__(self):
        return (_side_effect, ())


def test_unsafe_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save(
        {"model": _mlp().state_dict(), "optimizer": None, "meta": {"x": _Malicious()}},
        path,
    )
    with pytest.raises(CheckpointError, match="evil.pt") as info:
        load_checkpoint(path, _mlp())
    assert "weights_only" in str(info.value)
    assert _EXECUTED == []


def test_truncated_and_missing_checkpoints(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", _mlp())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="m.pt"):
        load_checkpoint(path, _mlp())
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(tmp_path / "nope.pt", _mlp())


def test_incompatible_checkpoint_names_file(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", _mlp())
    wrong = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
    )
    with pytest.raises(CheckpointError, match="m.pt"):
        load_checkpoint(path, wrong)


def test_meta_must_be_safe_to_load(tmp_path):
    with pytest.raises(TypeError, match="meta"):
        save_checkpoint(tmp_path / "m.pt", _mlp(), thing=object())


def test_evaluate_and_predict_shapes():
    model = _mlp()
    X, y = _blobs(50)
    scores = evaluate(model, (X, y), batch_size=16)
    assert set(scores) == {"loss", "accuracy", "n"} and scores["n"] == 50
    assert 0 <= scores["accuracy"] <= 1
    assert predict(model, X).shape == (50, 2)
    assert predict(model, (X, y), batch_size=7).shape == (50, 2)
    proba = predict(model, X, output="proba")
    assert np.allclose(proba.sum(1), 1, atol=1e-6)
    labels = predict(model, torch.as_tensor(X), output="class")
    assert labels.shape == (50,) and labels.dtype == np.int64
    assert model.training  # mode restored


def test_amp_auto_is_off_on_cpu():
    assert resolve_amp("auto", "cpu") is None
    assert resolve_amp(False, "cpu") is None
    with pytest.raises(ValueError):
        resolve_amp("fp16", "cpu")
    with pytest.raises(ValueError):
        resolve_amp("half-ish", "cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_raises():
    with pytest.raises(RuntimeError):
        fit(_mlp(), _blobs(32), device="cuda", progress=False)
    with pytest.raises(RuntimeError):
        evaluate(_mlp(), _blobs(32), device="cuda")


def test_bad_data_is_rejected():
    X, y = _blobs(10)
    with pytest.raises(ValueError, match="rows"):
        fit(_mlp(), (X, y[:5]), progress=False)
    with pytest.raises(TypeError):
        fit(_mlp(), X, progress=False)


# --------------------------------------------------------------------------- the steps of fit


def _flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double()


def test_fit_matches_numbers_recorded_before_the_refactor():
    """fit was split into public steps; these numbers come from the single-function fit
    (recorded on the CPU, torch 2.13, before the split). The split also gave bit-identical
    weights, histories, checkpoints and global RNG state in seven further configurations."""
    model = _mlp(3)
    history = fit(
        model, _blobs(120), _blobs(60, 1), epochs=3, batch_size=16, seed=7, lr_decay=0.5,
        patience=5, extra_loss=lambda m, x: 1e-3 * m[0].weight.pow(2).sum(), progress=False,
    )
    close = dict(rel=1e-6, abs=1e-7)
    assert history.train_loss == pytest.approx(
        [0.6659810980161031, 0.6255027572313945, 0.6068457007408142], **close)
    assert history.val_loss == pytest.approx(
        [0.6172270178794861, 0.5947830677032471, 0.5835755467414856], **close)
    assert history.train_accuracy == pytest.approx([76 / 120, 86 / 120, 93 / 120])
    assert history.val_accuracy == pytest.approx([47 / 60, 50 / 60, 50 / 60])
    assert history.lr == pytest.approx([0.001, 0.0005, 0.00025])
    assert history.best_epoch == 3 and not history.stopped_early
    w = _flat(model)
    assert w.sum().item() == pytest.approx(-4.4519417837727815, rel=1e-6)
    assert w.abs().sum().item() == pytest.approx(25.34736872720532, rel=1e-6)
    assert w[0].item() == pytest.approx(-0.4833504855632782, rel=1e-6)
    assert w[-1].item() == pytest.approx(-0.1844470351934433, rel=1e-6)


def test_early_stopping_fit_matches_numbers_recorded_before_the_refactor():
    model = _mlp()
    history = fit(model, _blobs(200, 0), _blobs(200, 1, random_labels=True), epochs=40,
                  patience=2, progress=False)
    assert len(history.train_loss) == 3 and history.best_epoch == 1 and history.stopped_early
    assert history.val_loss == pytest.approx(
        [0.8200317621231079, 0.843186616897583, 0.8688807487487793], rel=1e-6, abs=1e-7)
    w = _flat(model)  # the restored weights of epoch 1
    assert w.sum().item() == pytest.approx(-1.0201137580443174, rel=1e-6)
    assert w.abs().sum().item() == pytest.approx(24.985449424711987, rel=1e-6)


def test_fit_is_exactly_its_steps(tmp_path):
    """The loop in the module docstring, written out, gives bit-identical results."""
    train, val = _blobs(120), _blobs(60, 1)
    extra = lambda m, x: 1e-3 * m[0].weight.pow(2).sum()  # noqa: E731
    model_a = _mlp(3)
    history_a = fit(model_a, train, val, epochs=4, batch_size=16, seed=7, lr_decay=0.7,
                    patience=2, extra_loss=extra, checkpoint_dir=tmp_path / "a",
                    progress=False)

    model = _mlp(3)
    set_seed(7)
    loader = make_loader(train, 16, shuffle=True, seed=7)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    precision = MixedPrecision("auto", "cpu")
    scheduler = make_lr_scheduler(optimizer, 0.7)
    stopper = EarlyStopping(patience=2)
    history = History(device="cpu", amp=precision.name)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, 5):
        lr = current_lr(optimizer)
        scores = train_one_epoch(model, loader, optimizer, loss_fn=loss_fn, device="cpu",
                                 precision=precision, extra_loss=extra)
        scheduler.step()
        val_scores = evaluate(model, val, loss_fn=loss_fn, device="cpu")
        history.append_epoch(scores, val_scores, lr=lr, seconds=0.0)
        improved = stopper.update(val_scores["loss"], model)
        history.best_epoch = stopper.best_epoch
        save_epoch_checkpoints(tmp_path / "b", model, optimizer, history, improved=improved)
        if stopper.should_stop:
            history.stopped_early = epoch < 4
            break
    stopper.restore_best(model)

    for a, b in zip(model_a.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    a, b = history_a.to_dict(), history.to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert a == b
    meta_a = load_checkpoint(tmp_path / "a" / "last.pt", _mlp())
    meta_b = load_checkpoint(tmp_path / "b" / "last.pt", _mlp())
    assert meta_a["epoch"] == meta_b["epoch"] and meta_a["val_loss"] == meta_b["val_loss"]


def test_make_loader_is_deterministic_for_a_seed():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)

    def orders(seed, epochs=2):
        loader = make_loader((X, y), 4, shuffle=True, seed=seed)
        return [[b[1].tolist() for b in loader] for _ in range(epochs)]

    state = torch.get_rng_state()
    first = orders(5)
    assert torch.equal(state, torch.get_rng_state())  # own generator: global state untouched
    assert first == orders(5)
    assert first[0] != first[1]  # a new order every epoch
    assert first != orders(6)
    assert [len(batch) for batch in first[0]] == [4, 4, 2]
    assert sorted(sum(first[0], [])) == list(range(10))
    plain = make_loader((X, y), 4)
    assert [b[1].tolist() for b in plain] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x0, y0 = next(iter(plain))
    assert x0.dtype == torch.float32 and x0.shape == (4, 2) and y0.dtype == torch.int64


def test_make_loader_rejects_bad_arguments():
    with pytest.raises(OutOfRangeError, match="batch_size must be an integer >= 1, got 0"):
        make_loader(_blobs(8), 0)
    with pytest.raises(TypeError):
        make_loader(np.zeros(3), 2)


def test_train_one_epoch_lowers_the_loss():
    model = _mlp()
    train = _blobs(200)
    before = evaluate(model, train)["loss"]
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scores = train_one_epoch(model, make_loader(train, 16, shuffle=True, seed=0), optimizer,
                             device="cpu")
    assert set(scores) == {"loss", "accuracy", "n"} and scores["n"] == 200
    assert 0 <= scores["accuracy"] <= 1 and model.training
    assert evaluate(model, train)["loss"] < 0.5 * before
    off = train_one_epoch(model, make_loader(train, 16), optimizer, device="cpu",
                          accuracy=False)
    assert math.isnan(off["accuracy"]) and off["loss"] < scores["loss"]


def test_early_stopping_stops_after_patience_and_restores_best():
    model = torch.nn.Linear(1, 1, bias=False)
    stopper = EarlyStopping(patience=2)
    results = []
    for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.1], start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        results.append(stopper.update(loss, model))
        if stopper.should_stop:
            break
    assert results == [True, True, False, False]  # stopped after 2 epochs without gain
    assert stopper.best_epoch == 2 and stopper.best_loss == 0.5 and stopper.bad_epochs == 2
    assert stopper.restore_best(model) and model.weight.item() == 2.0

    lenient = EarlyStopping(patience=1, min_delta=0.1)
    assert lenient.update(1.0, model) and not lenient.update(0.95, model)
    assert lenient.should_stop and lenient.best_epoch == 1

    tracker = EarlyStopping()  # no patience: tracks the best epoch, never stops
    for loss in [3.0, 2.0, 2.5, 2.6, 2.7, float("nan")]:
        tracker.update(loss)
    assert tracker.best_epoch == 2 and not tracker.should_stop
    assert not tracker.restore_best(model)  # kept no weights

    with pytest.raises(OutOfRangeError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(OutOfRangeError, match="min_delta"):
        EarlyStopping(patience=2, min_delta=-0.1)
    with pytest.raises(WrongTypeError, match="model"):
        EarlyStopping(patience=2).update(1.0)


def test_mixed_precision_on_cpu():
    for amp in ("auto", False, None):
        precision = MixedPrecision(amp, "cpu")
        assert not precision.enabled and precision.dtype is None and precision.name is None
        assert not precision.scaler.is_enabled()
    with pytest.raises(ValueError, match="amp") as info:
        MixedPrecision("fp16", "cpu")
    assert isinstance(info.value, InputError) and "CUDA" in str(info.value)
    bf16 = MixedPrecision("bf16", "cpu")                  # bf16 autocast runs on the CPU (chapter 13); no scaler
    assert bf16.enabled and bf16.dtype == torch.bfloat16 and not bf16.scaler.is_enabled()
    with pytest.raises(UnknownOptionError, match="amp must be one of"):
        MixedPrecision("half-ish", "cpu")
    # off, it is plain backward + step
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    precision = MixedPrecision("auto", "cpu")
    with precision.autocast():
        loss = model(torch.ones(1, 2)).sum()
    before = model.bias.item()
    precision.backward_and_step(loss, optimizer)
    assert model.bias.item() == pytest.approx(before - 1.0)


def test_lr_scheduler_step():
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    assert make_lr_scheduler(optimizer, None) is None
    scheduler = make_lr_scheduler(optimizer, 0.5)
    rates = []
    for _ in range(3):
        rates.append(current_lr(optimizer))
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.1, 0.05, 0.025])
    step = make_lr_scheduler(optimizer, lambda o: torch.optim.lr_scheduler.StepLR(o, 2))
    assert isinstance(step, torch.optim.lr_scheduler.StepLR)
    with pytest.raises(OutOfRangeError, match=r"lr_decay must be a number in \(0, 1\]"):
        make_lr_scheduler(optimizer, 1.5)
    with pytest.raises(TypeError, match="callable"):
        make_lr_scheduler(optimizer, "fast")


def test_save_epoch_checkpoints(tmp_path):
    model = _mlp()
    history = History()
    history.append_epoch({"loss": 0.7, "accuracy": 0.5}, None, lr=0.1, seconds=1.0)
    assert math.isnan(history.val_loss[0]) and math.isnan(history.val_accuracy[0])
    written = save_epoch_checkpoints(tmp_path, model, None, history, improved=False)
    assert [p.name for p in written] == ["last.pt"] and not (tmp_path / "best.pt").exists()
    history.append_epoch({"loss": 0.6, "accuracy": 0.6}, {"loss": 0.5, "accuracy": 0.7},
                         lr=0.1, seconds=1.0)
    written = save_epoch_checkpoints(tmp_path, model, None, history, improved=True)
    assert [p.name for p in written] == ["last.pt", "best.pt"]
    meta = load_checkpoint(tmp_path / "best.pt", _mlp())
    assert meta["epoch"] == 2 and meta["val_loss"] == 0.5 and meta["train_loss"] == 0.6


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"epochs": 0}, OutOfRangeError, "fit: epochs must be an integer >= 1, got 0"),
        ({"epochs": 2.5}, WrongTypeError, "fit: epochs must be an integer"),
        ({"batch_size": 0}, OutOfRangeError, "fit: batch_size must be"),
        ({"lr_decay": 2.0}, OutOfRangeError, "fit: lr_decay"),
        ({"lr_decay": "fast"}, WrongTypeError, "fit: lr_decay"),
        ({"amp": "fp16"}, InputError, "fit: amp"),
        ({"amp": "half-ish"}, UnknownOptionError, "fit: amp"),
        ({"metrics": ("f1",)}, UnknownOptionError, "fit: metrics"),
        ({"extra_loss": 3}, WrongTypeError, "fit: extra_loss must be a callable"),
        ({"loss_fn": "mse"}, WrongTypeError, "fit: loss_fn must be a callable"),
        ({"seed": -1}, OutOfRangeError, "fit: seed"),
        ({"min_delta": -1.0}, OutOfRangeError, "fit: min_delta"),
    ],
)
def test_fit_checks_its_arguments_first(kwargs, error, pattern):
    model = torch.nn.Linear(4, 2)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(error, match=pattern):
        fit(model, _blobs(16), _blobs(8, 1), progress=False, device="cpu", **kwargs)
    base = TypeError if issubclass(error, WrongTypeError) else ValueError
    with pytest.raises(base):  # the old exception types still catch it
        fit(model, _blobs(16), _blobs(8, 1), progress=False, device="cpu", **kwargs)
    for name, value in model.state_dict().items():  # refused before any training
        assert torch.equal(value, before[name])


def test_patience_errors_name_fit():
    with pytest.raises(InputError, match="fit: val_data must be given"):
        fit(_mlp(), _blobs(32), patience=2, progress=False)
    with pytest.raises(OutOfRangeError, match="fit: patience"):
        fit(_mlp(), _blobs(32), _blobs(8), patience=0, progress=False)
