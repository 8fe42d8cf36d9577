"""mer_lessons.metrics.mutual_information (KSG estimator) and modality_weights (Wang, chapter 10)."""

import math

import numpy as np
import pytest

from mer_lessons import metrics
from mer_lessons.validation import EmptyInputError, InputError, NonFiniteError, WrongShapeError


def gaussian_pair(rho, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rho * x + math.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    return x, y


def test_independent_gaussians_give_about_zero():
    rng = np.random.default_rng(1)
    value = metrics.mutual_information(rng.standard_normal(1000), rng.standard_normal(1000))
    assert 0.0 <= value < 0.05


def test_correlated_gaussians_match_the_exact_value():
    x, y = gaussian_pair(0.9)
    exact = -0.5 * math.log(1 - 0.9 ** 2)
    assert exact == pytest.approx(0.830, abs=1e-3)
    assert metrics.mutual_information(x, y) == pytest.approx(exact, abs=0.1)


def test_grows_with_dependence():
    values = [metrics.mutual_information(*gaussian_pair(rho)) for rho in (0.0, 0.5, 0.8, 0.95)]
    assert values == sorted(values) and values[-1] > values[0] + 1.0


def test_invariant_to_scaling_one_variable():
    x, y = gaussian_pair(0.7)
    base = metrics.mutual_information(x, y)
    assert metrics.mutual_information(1000.0 * x, y) == pytest.approx(base, abs=1e-6)
    assert metrics.mutual_information(x, 0.001 * y - 5.0) == pytest.approx(base, abs=1e-6)


def test_deterministic_for_a_seed_and_symmetric():
    x, y = gaussian_pair(0.6, n=300)
    assert metrics.mutual_information(x, y, seed=3) == metrics.mutual_information(x, y, seed=3)
    assert metrics.mutual_information(x, y) == pytest.approx(metrics.mutual_information(y, x), abs=1e-9)


def test_multivariate_dependence_is_clearly_larger_than_independence():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1000, 3))
    dependent = metrics.mutual_information(x, x + 0.1 * rng.standard_normal((1000, 3)))
    independent = metrics.mutual_information(x, rng.standard_normal((1000, 3)))
    assert independent < 0.05 and dependent > 3.0


def test_repeated_values_do_not_break_it():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 500).astype(float)          # many ties
    value = metrics.mutual_information(x, x + 0.5 * rng.standard_normal(500))
    assert np.isfinite(value) and value > 0.3


@pytest.mark.parametrize("x, y, k, name, error", [
    (np.zeros(10), np.zeros(11), 3, "y", WrongShapeError),
    (np.arange(3.0), np.arange(3.0), 3, "x", EmptyInputError),
    (np.array([1.0, np.nan, 2.0, 3.0, 4.0]), np.arange(5.0), 3, "x", NonFiniteError),
    (np.arange(5.0), np.array([1.0, 2.0, np.inf, 3.0, 4.0]), 3, "y", NonFiniteError),
    (np.zeros((5, 2, 2)), np.zeros(5), 3, "x", WrongShapeError),
    (np.arange(5.0), np.arange(5.0), 0, "k", InputError),
])
def test_bad_inputs_name_the_argument(x, y, k, name, error):
    with pytest.raises(error, match=rf"mutual_information: {name} must"):
        metrics.mutual_information(x, y, k=k)


# --------------------------------------------------------------------------- modality weights


def labelled_modalities(n=450, seed=0):
    """Three classes; the audio features move with the class, the text features are noise."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n)
    audio = rng.standard_normal((n, 2)) + 2.0 * np.eye(3)[codes][:, :2]
    text = rng.standard_normal((n, 3))
    return text, audio, np.array(["calm", "happy", "sad"])[codes]


def test_weights_favour_the_modality_that_carries_the_label():
    text, audio, labels = labelled_modalities()
    weights, per_class = metrics.modality_weights(text, audio, labels=labels)
    assert list(weights.index) == ["text", "audio"]
    assert weights.sum() == pytest.approx(1.0)
    assert weights["audio"] > 0.8 > 0.2 > weights["text"]
    assert weights.attrs["mi_audio"] > weights.attrs["mi_text"]
    # swapping the modalities swaps the weights
    swapped, _ = metrics.modality_weights(audio, text, labels=labels)
    assert swapped["text"] == pytest.approx(weights["audio"])


def test_per_class_table_has_one_row_per_class():
    text, audio, labels = labelled_modalities()
    _, per_class = metrics.modality_weights(text, audio, labels=list(labels))
    assert per_class.shape == (3, 5)
    assert list(per_class.index) == ["calm", "happy", "sad"]
    assert list(per_class.columns) == ["text", "audio", "mi_text", "mi_audio", "n"]
    assert np.allclose(per_class[["text", "audio"]].sum(axis=1), 1.0)
    assert per_class["n"].sum() == len(labels)
    # calm and happy shift one audio column each; sad is where neither shifts: all audio
    assert (per_class["audio"] > per_class["text"]).all()


def test_without_labels_the_weights_are_equal_and_the_shared_information_is_reported():
    rng = np.random.default_rng(4)
    text = rng.standard_normal((400, 2))
    audio = text + 0.3 * rng.standard_normal((400, 2))
    weights = metrics.modality_weights(text, audio)
    assert weights.tolist() == [0.5, 0.5]
    assert weights.attrs["mi_text_audio"] > 1.0


def test_no_information_anywhere_gives_equal_weights():
    rng = np.random.default_rng(5)
    weights, _ = metrics.modality_weights(rng.standard_normal(300), rng.standard_normal(300),
                                          labels=rng.integers(0, 2, 300))
    assert weights.sum() == pytest.approx(1.0)
    assert 0.0 <= weights["text"] <= 1.0


@pytest.mark.parametrize("kwargs, name, error", [
    ({"audio": np.zeros((9, 2))}, "audio", WrongShapeError),
    ({"labels": ["a"] * 9}, "labels", WrongShapeError),
    ({"text": np.array([np.nan] + [0.0] * 9)}, "text", NonFiniteError),
    ({"text": np.zeros(3), "audio": np.zeros(3), "labels": None}, "text", EmptyInputError),
])
def test_modality_weights_bad_inputs_name_the_argument(kwargs, name, error):
    rng = np.random.default_rng(6)
    arguments = {"text": rng.standard_normal(10), "audio": rng.standard_normal(10), "labels": ["a", "b"] * 5}
    arguments.update(kwargs)
    with pytest.raises(error, match=rf"modality_weights: {name} must"):
        metrics.modality_weights(**arguments)
