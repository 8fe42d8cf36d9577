"""Malformed input, streaming and training side: non-finite samples and losses, bad sample
rates and window lengths, empty data sets, float or out-of-range labels, and bad counts,
fractions and single-class labels at the evaluation entry points.

Every case checks the error type and that the message names the argument or modality.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import evaluation as E
from mer_lessons import splits
from mer_lessons import streaming as S
from mer_lessons import train as T
from mer_lessons import windows as W
from mer_lessons.validation import (EmptyInputError, InputError, NonFiniteError, OutOfRangeError,
                                    WrongTypeError)

torch.set_num_threads(1)

NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------- helpers


def gsr_pipeline(**options):
    """A pipeline over one modality (GSR at 32 Hz) with a tiny model; nothing is predicted in the bad cases."""
    torch.manual_seed(0)
    options = {"rates": {"gsr": 32.0}, "window_s": 1.0, "hop_s": 0.5, **options}
    return S.StreamingPipeline(torch.nn.Linear(4, 2), modalities=["gsr"], device="cpu", **options)


def with_bad(x, where, value):
    x = np.array(x, dtype=np.float64)
    x.flat[where] = value
    return x


def tiny_data(n=6, labels=None, nan_at=None):
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.normal(size=(n, 4)).astype(np.float32))
    if nan_at is not None:
        X[nan_at] = NAN
    y = torch.tensor([i % 3 for i in range(n)] if labels is None else labels)
    return X, y


def tiny_model(outputs=3):
    torch.manual_seed(0)
    return torch.nn.Linear(4, outputs)


def tiny_fit(data, val=None, **options):
    options = {"epochs": 1, "batch_size": 3, "device": "cpu", "progress": False, **options}
    return T.fit(tiny_model(), data, val, **options)


def tiny_windows(labels, *, labelled=True):
    n = len(labels)
    meta = pd.DataFrame({"subject": [f"s{i % 4}" for i in range(n)], "trial": np.arange(n),
                         "clip_id": [f"c{i}" for i in range(n)]})
    return W.WindowSet({"audio": np.zeros((n, 2, 3), np.float32)}, meta, {"audio": 4.0},
                       np.array(labels, dtype=object) if labelled else None,
                       sorted(set(labels)) if labelled else None)


def knn_spec():
    from sklearn.neighbors import KNeighborsClassifier
    return E.ModelSpec("knn", "sklearn", lambda seed: KNeighborsClassifier(1))


# --------------------------------------------------------------------------- 1. non-finite samples in the stream


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: S.RingBuffer(8).push(with_bad(np.zeros(4), 1, NAN)), NonFiniteError, r"RingBuffer\.push: x must be finite"),
    (lambda: S.RingBuffer(8, channels=2).push(with_bad(np.zeros((2, 3)), 4, -INF)), NonFiniteError,
     r"RingBuffer\.push: x .*1 non-finite value"),
    (lambda: next(S.stream_from_arrays({"gsr": np.zeros(64), "eeg": with_bad(np.zeros((2, 256)), 7, NAN)},
                                       {"gsr": 32.0, "eeg": 128.0})), NonFiniteError, r"signals\['eeg'\]"),
    (lambda: gsr_pipeline().process({"gsr": with_bad(np.zeros(16), 3, NAN), "t": 0.5}), NonFiniteError,
     r"StreamingPipeline\.process: chunk\['gsr'\] must be finite.*t=0\.5 s"),
    (lambda: gsr_pipeline().process({"gsr": with_bad(np.zeros(16), 0, INF)}), NonFiniteError, r"chunk\['gsr'\]"),
], ids=["ring-nan", "ring-inf-2ch", "arrays-nan", "pipeline-nan", "pipeline-inf"])
def test_non_finite_samples_raise(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_a_non_finite_chunk_buffers_nothing():
    rb = S.RingBuffer(8)
    rb.push(np.arange(3.0))
    with pytest.raises(NonFiniteError):
        rb.push(np.array([1.0, NAN]))
    assert rb.total == 3 and list(rb.latest(3)) == [0.0, 1.0, 2.0]
    pipe = gsr_pipeline()
    with pytest.raises(NonFiniteError, match="gsr"):
        pipe.process({"gsr": with_bad(np.zeros(40), 39, NAN)})
    assert pipe.rows == [] and all(b.total == 0 for b in pipe.buffers.values())


# --------------------------------------------------------------------------- 2. rates and lengths in the stream


def arrays(rates, **options):
    return next(S.stream_from_arrays({"gsr": np.zeros(64), "eeg": np.zeros((2, 256))}, rates, **options))


GOOD_RATES = {"gsr": 32.0, "eeg": 128.0}


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: arrays({"gsr": 0, "eeg": 128.0}), OutOfRangeError, r"stream_from_arrays: rates\['gsr'\] must be .*> 0"),
    (lambda: arrays({"gsr": -32.0, "eeg": 128.0}), OutOfRangeError, r"rates\['gsr'\]"),
    (lambda: arrays({"gsr": 32.0, "eeg": NAN}), NonFiniteError, r"rates\['eeg'\]"),
    (lambda: arrays({"gsr": None, "eeg": 128.0}), WrongTypeError, r"rates\['gsr'\]"),
    (lambda: arrays({"gsr": 32.0}), S.MissingModalityError,
     r"stream_from_arrays: rates must .*\['eeg', 'gsr'\].*no rate for \['eeg'\].*has rates for \['gsr'\]"),
    (lambda: arrays(32.0), WrongTypeError, r"stream_from_arrays: rates must be a dict"),
    (lambda: arrays(GOOD_RATES, chunk_s=0), OutOfRangeError, r"chunk_s must be a number in s > 0"),
    (lambda: arrays(GOOD_RATES, chunk_s=-0.1), OutOfRangeError, r"chunk_s"),
    (lambda: arrays(GOOD_RATES, chunk_s=INF), NonFiniteError, r"chunk_s"),
    (lambda: next(S.stream_from_dataset([{"gsr": np.zeros(64), "gsr_sr": 0.0}], modalities=("gsr",))),
     OutOfRangeError, r"stream_from_dataset: item 0 'gsr_sr'"),
    (lambda: next(S.stream_from_dataset([{"gsr": np.zeros(64)}], modalities=("gsr",))),
     S.MissingModalityError, r"stream_from_dataset: modalities .*missing rates: \['gsr'\]"),
    (lambda: next(S.stream_from_dataset([{"gsr": np.zeros(64), "gsr_sr": 32.0}], modalities=("gsr",),
                                        chunk_s=0)), OutOfRangeError, r"stream_from_dataset: chunk_s"),
    (lambda: gsr_pipeline(window_s=0), OutOfRangeError, r"StreamingPipeline: window_s must be a number in s > 0"),
    (lambda: gsr_pipeline(hop_s=-0.5), OutOfRangeError, r"StreamingPipeline: hop_s"),
    (lambda: gsr_pipeline(hop_s=NAN), NonFiniteError, r"hop_s"),
    (lambda: gsr_pipeline(buffer_s=0.5), OutOfRangeError, r"StreamingPipeline: buffer_s must be .*>= 1"),
    (lambda: gsr_pipeline(rates={"gsr": 0.0}), OutOfRangeError, r"StreamingPipeline: rates\['gsr'\]"),
    (lambda: gsr_pipeline(rates={"eeg": 128.0}), S.MissingModalityError,
     r"StreamingPipeline: rates .*no rate for \['gsr'\].*has rates for \['eeg'\]"),
    (lambda: gsr_pipeline(rates=None).process({"gsr": np.zeros(8), "rates": {"gsr": -1.0}}), OutOfRangeError,
     r"process: chunk\['rates'\]\['gsr'\]"),
    (lambda: gsr_pipeline(rates=None).process({"gsr": np.zeros(8), "rates": {"eeg": 128.0}}),
     S.MissingModalityError, r"chunk\['rates'\] must .*\['gsr'\].*has rates for \['eeg'\]"),
    (lambda: gsr_pipeline(rates=None).process({"gsr": np.zeros(8)}), S.MissingModalityError,
     r"process: chunk must be a dict with a 'rates' entry"),
    (lambda: gsr_pipeline().process({"eeg": np.zeros(8)}), S.MissingModalityError,
     r"process: chunk must .*none for \['gsr'\].*the chunk has \['eeg'\]"),
    (lambda: gsr_pipeline().process({"gsr": np.zeros(32 * 60)}), OutOfRangeError,
     r"chunk\['gsr'\] must be at most 65 samples long \(the capacity .*32 Hz\)"),
], ids=["zero-rate", "negative-rate", "nan-rate", "none-rate", "missing-rate", "rates-not-dict",
        "chunk_s-zero", "chunk_s-negative", "chunk_s-inf", "dataset-zero-rate", "dataset-missing-rate",
        "dataset-chunk_s", "window_s-zero", "hop_s-negative", "hop_s-nan", "buffer_s-short",
        "pipeline-zero-rate", "pipeline-missing-rate", "chunk-negative-rate", "chunk-missing-rate",
        "chunk-no-rates", "chunk-missing-modality", "chunk-longer-than-buffer"])
def test_bad_rates_and_lengths_raise(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_a_missing_rate_is_still_a_key_error():
    """The old type still catches it, and the message is not quoted the way a KeyError's is."""
    with pytest.raises(KeyError) as info:
        arrays({"gsr": 32.0})
    assert str(info.value).startswith("stream_from_arrays: rates")


# --------------------------------------------------------------------------- 1 + 3. training


class NaNOnCall:
    """MSE loss that returns ``value`` on its ``k``-th call (a loss that suddenly diverges)."""

    def __init__(self, k, value):
        self.k, self.value, self.calls = k, value, 0

    def __call__(self, out, y):
        self.calls += 1
        loss = torch.nn.functional.mse_loss(out, y)
        return loss * self.value if self.calls == self.k else loss


class DictModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.head(x["a"])


def regression_data(n=6):
    X, _ = tiny_data(n)
    return X, torch.arange(n, dtype=torch.float32)[:, None].repeat(1, 3) / n


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: tiny_fit(tiny_data(nan_at=(4, 2))), NonFiniteError,
     r"train_one_epoch: train_data must be finite .*1 non-finite values in batch 2"),
    (lambda: tiny_fit(tiny_data(), tiny_data(nan_at=(0, 0))), NonFiniteError, r"evaluate: val_data .*batch 1"),
    (lambda: T.fit(DictModel(), T.DictDataset({"a": torch.full((3, 4), INF)}, [0, 1, 2]), epochs=1,
                   device="cpu", progress=False), NonFiniteError,
     r"train_data .*batch 1 \(input 'a'\)"),
    (lambda: T.predict(tiny_model(), tiny_data(nan_at=(1, 1))[0], device="cpu"), NonFiniteError,
     r"predict: data must be finite"),
    (lambda: tiny_fit((torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))), EmptyInputError,
     r"fit: train_data must be a data set with at least one example, got 0 examples"),
    (lambda: tiny_fit(tiny_data(), (torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))), EmptyInputError,
     r"fit: val_data"),
    (lambda: T.train_one_epoch(tiny_model(), [], torch.optim.SGD(tiny_model().parameters(), lr=0.1),
                               device="cpu"), EmptyInputError, r"train_one_epoch: loader must .*at least one batch"),
    (lambda: tiny_fit(tiny_data(2), batch_size=3, loader_options={"drop_last": True}), EmptyInputError,
     r"train_data must be a loader that yields at least one batch"),
    (lambda: tiny_fit(tiny_data(labels=[0.0, 1.0, 0.0, 1.0, 0.0, 1.0])), WrongTypeError,
     r"train_data labels must be integer class indices .*dtype torch.float32 in batch 1.*y\.long\(\)"),
    (lambda: tiny_fit(tiny_data(labels=[0, 1, 3, 0, 1, 2])), OutOfRangeError,
     r"train_data labels must be class indices in 0 \.\. 2 \(the model has 3 outputs\), got label 3 in batch \d"),
    (lambda: tiny_fit(tiny_data(labels=[0, 1, 2, -1, 1, 2])), OutOfRangeError, r"train_data labels .*got label -1 in batch \d"),
    (lambda: tiny_fit(tiny_data(), tiny_data(labels=[0, 1, 7, 0, 1, 2])), OutOfRangeError,
     r"evaluate: val_data labels .*got label 7"),
    (lambda: T.evaluate(tiny_model(), tiny_data(labels=[0.0, 1.0, 2.0, 0.0, 1.0, 2.0]), device="cpu"),
     WrongTypeError, r"evaluate: data labels"),
], ids=["nan-input", "nan-val-input", "inf-dict-input", "nan-predict", "empty-train", "empty-val",
        "empty-loader", "no-full-batch", "float-labels", "label-too-large", "negative-label", "val-label-too-large",
        "evaluate-float-labels"])
def test_bad_training_data_raise(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("value", [NAN, INF], ids=["nan", "inf"])
def test_a_non_finite_loss_stops_fit_and_keeps_the_last_good_checkpoint(tmp_path, value):
    data = regression_data()
    model = tiny_model()
    loss = NaNOnCall(3, value)          # 2 batches per epoch: call 3 = epoch 2, batch 1
    with pytest.raises(T.TrainingDivergedError, match=r"fit: epoch 2, the training loss is (nan|inf) at batch 1"
                                                       r".*Lower the learning rate \(lr=0\.01\)") as info:
        T.fit(model, data, loss_fn=loss, optimizer=torch.optim.SGD(model.parameters(), lr=0.01), epochs=3,
              batch_size=3, device="cpu", progress=False, checkpoint_dir=tmp_path, metrics=())
    err = info.value
    assert (err.epoch, err.batch) == (2, 1) and not math.isfinite(err.loss)
    assert isinstance(err, RuntimeError) and "checkpoint" in str(err)
    assert all(torch.isfinite(p).all() for p in model.parameters())      # no step on the bad loss
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["best.pt", "last.pt", "resume.pt"]  # no temp files
    meta = T.load_checkpoint(tmp_path / "last.pt", tiny_model())
    assert meta["epoch"] == 1 and math.isfinite(meta["train_loss"])


def test_a_real_divergence_and_nan_targets_raise():
    data = regression_data()
    model = tiny_model()
    with pytest.raises(T.TrainingDivergedError, match=r"fit: epoch \d+, the training loss is .*diverged"):
        T.fit(model, (data[0] * 1e3, data[1]), loss_fn=torch.nn.MSELoss(), epochs=50, batch_size=3, device="cpu",
              optimizer=torch.optim.SGD(model.parameters(), lr=1e6), progress=False, metrics=())
    y = data[1].clone()
    y[4, 0] = NAN
    with pytest.raises(T.TrainingDivergedError, match=r"epoch 1, .*batch 2.*check the inputs and targets"):
        tiny_fit((data[0], y), loss_fn=torch.nn.MSELoss(), metrics=())


def test_float_targets_are_fine_with_a_regression_loss_and_ignored_labels_with_cross_entropy():
    """Only a classification loss takes class indices: MSE on float targets trains; -100 is ignore_index."""
    history = tiny_fit(regression_data(), loss_fn=torch.nn.MSELoss(), metrics=())
    assert len(history.train_loss) == 1 and math.isfinite(history.train_loss[0])
    history = tiny_fit(tiny_data(labels=[0, 1, -100, 2, 1, 0]))
    assert math.isfinite(history.train_loss[0])


# --------------------------------------------------------------------------- 4. evaluation and splits


WINDOWS = tiny_windows(["Q1", "Q2"] * 8)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: E.repeated_evaluation(lambda r: pd.DataFrame({"a": [1.0]}), 0, progress=False), OutOfRangeError,
     r"repeated_evaluation: repeats must be an integer >= 1, got 0"),
    (lambda: E.repeated_evaluation(lambda r: pd.DataFrame({"a": [1.0]}), 2.5, progress=False), WrongTypeError,
     r"repeats must be an integer"),
    (lambda: E.repeated_evaluation(lambda r: pd.DataFrame({"a": [1.0]}), [], progress=False), EmptyInputError,
     r"repeated_evaluation: repeats must be a count >= 1 or a non-empty list"),
    (lambda: E.repeated_evaluation(lambda r: pd.DataFrame({"a": [1.0]}), [0, -1], progress=False), OutOfRangeError,
     r"repeated_evaluation: repeats must be an integer >= 0, got -1"),
    (lambda: E.repeated_comparison(WINDOWS, [knn_spec()], 0), OutOfRangeError, r"repeated_comparison: repeats"),
    (lambda: E.repeated_comparison(WINDOWS, [knn_spec()], 2, test_size=0), OutOfRangeError,
     r"repeated_comparison: test_size must be a number in \(0, 1\), got 0"),
    (lambda: E.repeated_comparison(WINDOWS, [knn_spec()], 2, test_size=1.2), OutOfRangeError, r"test_size"),
    (lambda: E.repeated_comparison(WINDOWS, [knn_spec()], 2, val_size=NAN), NonFiniteError, r"val_size"),
    (lambda: E.repeated_comparison(WINDOWS, [knn_spec()], 2, folds=1), OutOfRangeError,
     r"repeated_comparison: folds must be an integer >= 2"),
    (lambda: E.repeated_comparison(WINDOWS, [], 2), EmptyInputError, r"repeated_comparison: specs"),
    (lambda: E.repeated_comparison(tiny_windows(["Q1"] * 12), [knn_spec()], 2), EmptyInputError,
     r"repeated_comparison: windows\.labels must be labels of at least 2 different classes, got only 'Q1'"),
    (lambda: E.repeated_comparison(tiny_windows(["Q1", "Q2"] * 4, labelled=False), [knn_spec()], 2), InputError,
     r"repeated_comparison: windows must be labelled windows"),
    (lambda: E.repeated_comparison(tiny_windows([]), [knn_spec()], 2), EmptyInputError,
     r"repeated_comparison: windows must be at least one window"),
    (lambda: E.repeated_selection(WINDOWS, object(), 0), OutOfRangeError, r"repeated_selection: repeats"),
    (lambda: E.repeated_selection(WINDOWS, object(), 2, test_size=-0.25), OutOfRangeError,
     r"repeated_selection: test_size"),
    (lambda: E.repeated_selection(tiny_windows(["Q3"] * 8), object(), 2), EmptyInputError,
     r"repeated_selection: windows\.labels"),
    (lambda: E.ModelSpec("", "sklearn", lambda seed: None), WrongTypeError, r"ModelSpec: name must be a non-empty"),
    (lambda: E.ModelSpec("knn", "sklearn", "KNeighborsClassifier"), WrongTypeError, r"ModelSpec 'knn': build"),
    (lambda: splits.split_indices(WINDOWS.meta, test_size=0), OutOfRangeError,
     r"split_indices: test_size must be a number in \(0, 1\)"),
    (lambda: splits.split_indices(WINDOWS.meta, test_size="0.2"), WrongTypeError, r"split_indices: test_size"),
    (lambda: splits.group_split(WINDOWS.meta, val_size=1.0), OutOfRangeError, r"group_split: val_size"),
    (lambda: list(splits.group_folds(WINDOWS.meta, by="subject", n_folds=2.5)), WrongTypeError,
     r"group_folds: n_folds must be an integer"),
    (lambda: splits.group_fold_split(WINDOWS.meta, n_folds=4, fold=4), OutOfRangeError,
     r"group_fold_split: fold must be an integer in \[0, 3\], got 4"),
    (lambda: splits.evaluate_protocols(None, np.zeros((16, 2)), ["a"] * 16, WINDOWS.meta), EmptyInputError,
     r"evaluate_protocols: y must be labels of at least 2 different classes"),
    (lambda: splits.evaluate_protocols(None, np.zeros((0, 2)), [], WINDOWS.meta.iloc[:0]), EmptyInputError,
     r"evaluate_protocols: y must be at least 1 label"),
    (lambda: splits.evaluate_protocols(None, np.zeros((16, 2)), ["a", "b"] * 8, WINDOWS.meta, n_folds=1),
     OutOfRangeError, r"evaluate_protocols: n_folds"),
], ids=["repeats-zero", "repeats-fraction", "repeats-empty-list", "repeats-negative-seed",
        "comparison-repeats", "test_size-zero", "test_size-above-one", "val_size-nan", "folds-one", "specs-empty",
        "single-class", "unlabelled", "no-windows", "selection-repeats", "selection-test_size",
        "selection-single-class", "spec-name", "spec-build", "split-test_size",
        "split-test_size-str", "group_split-val_size", "folds-fraction", "fold-out-of-range",
        "protocols-single-class", "protocols-empty", "protocols-n_folds"])
def test_bad_evaluation_arguments_raise(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_one_split_with_one_class_warns_instead_of_failing():
    """A split of a tiny data set may hold one class: compare_models warns (the whole set must have two)."""
    with pytest.warns(UserWarning, match=r"compare_models: train_set\.labels .*only 'Q1'.*can only learn"):
        train = tiny_windows(["Q1"] * 4)
        train = W.WindowSet(train.features, train.meta, train.rates, train.labels, ["Q1", "Q2"])
        E.compare_models(train, WINDOWS, WINDOWS, specs=[knn_spec()], progress=False)
