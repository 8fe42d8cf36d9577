"""Tests for mer_lessons.validation: every helper accepts what it should, raises the right
error type otherwise, and the message names the function, the argument and what came."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lessons import validation as v
from mer_lessons.validation import (
    EmptyInputError,
    InputError,
    NonFiniteError,
    OutOfRangeError,
    UnknownOptionError,
    WrongShapeError,
    WrongTypeError,
)


# --------------------------------------------------------------------------- error types


@pytest.mark.parametrize("error", [WrongTypeError, WrongShapeError, EmptyInputError, NonFiniteError,
                                   OutOfRangeError, UnknownOptionError])
def test_every_error_is_an_input_error_and_a_value_error(error):
    assert issubclass(error, InputError) and issubclass(error, ValueError)


def test_wrong_type_is_also_a_type_error():
    assert issubclass(WrongTypeError, TypeError)
    assert not issubclass(OutOfRangeError, TypeError)


# --------------------------------------------------------------------------- message


def test_message_style():
    assert v.message("n_fft", "an integer >= 1", 0, where="stft") == "stft: n_fft must be an integer >= 1, got 0"
    assert v.message("x", "finite") == "x must be finite"
    assert v.message("sr", "a number", None) == "sr must be a number, got None"  # None is a value that came
    assert v.message("x", "finite", "3 NaN", describe=False, hint="fill the gaps") == \
        "x must be finite, got 3 NaN; fill the gaps"
    assert v.message("x", "1-D", np.zeros((2, 3))) == "x must be 1-D, got an array of shape (2, 3) and dtype float64"
    assert "a Tensor of shape (4,)" in v.message("x", "1-D", torch.zeros(4))
    assert v.message("n", "positive", np.float64(-2.0)) == "n must be positive, got -2.0"  # not np.float64(-2.0)
    long = v.message("name", "short", "y" * 200)
    assert long.endswith("...") and len(long) < 120


# --------------------------------------------------------------------------- as_int


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int64(7), 7), (4.0, 4), (np.float32(2.0), 2)])
def test_as_int_accepts_integers_and_integral_floats(value, expected):
    out = v.as_int(value, "n")
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value", [2.5, "3", None, True, np.bool_(False), float("nan"), [1]])
def test_as_int_refuses_non_integers(value):
    with pytest.raises(WrongTypeError, match=r"^f: n must be an integer, got "):
        v.as_int(value, "n", where="f")


def test_as_int_range():
    assert v.as_int(0, "max_lag", minimum=0) == 0
    assert v.as_int(-5, "offset", minimum=None) == -5
    with pytest.raises(OutOfRangeError, match=r"^stft: n_fft must be an integer >= 1, got 0$"):
        v.as_int(0, "n_fft", where="stft")
    with pytest.raises(OutOfRangeError, match=r"nperseg must be an integer in \[2, 10\], got 11"):
        v.as_int(11, "nperseg", minimum=2, maximum=10)
    with pytest.raises(OutOfRangeError, match=r"k must be an integer <= 3, got 4"):
        v.as_int(4, "k", minimum=None, maximum=3)


# --------------------------------------------------------------------------- as_float


def test_as_float_accepts_numbers():
    assert v.as_float(3, "x") == 3.0 and type(v.as_float(np.float32(0.5), "x")) is float
    assert v.as_float(0, "floor", minimum=0) == 0.0
    assert v.as_float(1.0, "w", minimum=0, maximum=1) == 1.0


@pytest.mark.parametrize("value", ["3", None, True, [1.0, 2.0], object()])
def test_as_float_refuses_non_numbers(value):
    with pytest.raises(WrongTypeError, match=r"^g: power must be a number, got "):
        v.as_float(value, "power", where="g")


def test_as_float_refuses_non_finite_and_out_of_range():
    with pytest.raises(NonFiniteError, match=r"^g: x must be a finite number in Hz, got inf"):
        v.as_float(float("inf"), "x", where="g", unit="Hz")
    with pytest.raises(OutOfRangeError, match=r"power must be a number > 0, got 0"):
        v.as_float(0, "power", minimum=0, low_open=True)
    with pytest.raises(OutOfRangeError, match=r"weight must be a number in \[0, 1\], got 1.5"):
        v.as_float(1.5, "weight", minimum=0, maximum=1)
    with pytest.raises(OutOfRangeError, match=r"p must be a number in \(0, 1\), got 1"):
        v.as_float(1, "p", minimum=0, maximum=1, low_open=True, high_open=True)
    with pytest.raises(OutOfRangeError, match=r"top_db must be a number >= 0, got -1"):
        v.as_float(-1, "top_db", minimum=0)


# --------------------------------------------------------------------------- as_sample_rate, as_frequency


def test_as_sample_rate():
    assert v.as_sample_rate(16000) == 16000.0 and v.as_sample_rate(np.int64(128), "target_sr") == 128.0
    with pytest.raises(WrongTypeError, match=r"^resample: target_sr must be a sample rate in Hz .*, got None"):
        v.as_sample_rate(None, "target_sr", where="resample")
    with pytest.raises(WrongTypeError, match=r"sr must be a number in Hz, got 'fast'"):
        v.as_sample_rate("fast")
    with pytest.raises(OutOfRangeError, match=r"sr must be a number in Hz > 0, got -128"):
        v.as_sample_rate(-128)
    with pytest.raises(NonFiniteError, match=r"sr must be a finite number in Hz, got nan"):
        v.as_sample_rate(float("nan"))


def test_as_frequency():
    assert v.as_frequency(50, "freq", sr=128) == 50.0
    assert v.as_frequency(0, "fmin", allow_zero=True) == 0.0
    assert v.as_frequency(64, "fmax", sr=128, nyquist_ok=True) == 64.0
    with pytest.raises(OutOfRangeError, match=r"^bandpass: high must be a frequency below the Nyquist frequency 64 Hz "
                                              r"\(sr/2 at sr=128 Hz\), got 80.0; lower it"):
        v.as_frequency(80, "high", sr=128, where="bandpass")
    with pytest.raises(OutOfRangeError, match=r"high must be a frequency below the Nyquist frequency 64 Hz"):
        v.as_frequency(64, "high", sr=128)  # a cutoff at Nyquist is refused...
    with pytest.raises(OutOfRangeError, match=r"fmax must be a frequency at or below the Nyquist frequency"):
        v.as_frequency(65, "fmax", sr=128, nyquist_ok=True)  # ... the edge of a filterbank may sit there
    with pytest.raises(OutOfRangeError, match=r"low must be a number in Hz > 0, got 0"):
        v.as_frequency(0, "low")
    with pytest.raises(WrongTypeError, match=r"fc must be a number in Hz, got 'a'"):
        v.as_frequency("a", "fc")


def test_as_frequency_band():
    assert v.as_frequency_band(0.5, 50, 128) == (0.5, 50.0)
    assert v.as_frequency_band(0, 8000, 16000, names=("fmin", "fmax"), allow_zero=True, nyquist_ok=True) == \
        (0.0, 8000.0)
    with pytest.raises(OutOfRangeError, match=r"^mel: fmin must be below fmax=4000 Hz, got 5000.0$"):
        v.as_frequency_band(5000, 4000, 16000, names=("fmin", "fmax"), where="mel")
    with pytest.raises(OutOfRangeError, match=r"high must be a frequency below the Nyquist"):
        v.as_frequency_band(1, 64, 128)
    with pytest.raises(OutOfRangeError, match=r"low must be a number in Hz > 0, got 0"):
        v.as_frequency_band(0, 10, 128)


# --------------------------------------------------------------------------- as_choice


def test_as_choice():
    assert v.as_choice("fft", "method", ("fft", "fir")) == "fft"
    assert v.as_choice(None, "norm", ("ortho", None)) is None
    with pytest.raises(UnknownOptionError, match=r"^gammatone: method must be one of 'fft', 'fir', got 'dft'$"):
        v.as_choice("dft", "method", ["fft", "fir"], where="gammatone")
    with pytest.raises(UnknownOptionError, match=r"scale must be one of"):
        v.as_choice(["db"], "scale", ("db",))  # unhashable: refused, not a crash
    with pytest.raises(UnknownOptionError, match=r"norm must be one of"):
        v.as_choice(np.array([1, 2]), "norm", (1, 2))  # an array: refused, not "truth value is ambiguous"


# --------------------------------------------------------------------------- as_signal


def test_as_signal_accepts_numbers_and_tensors():
    out = v.as_signal([1, 2, 3])
    assert out.dtype == np.float64 and out.shape == (3,)
    assert v.as_signal(np.array([True, False])).dtype == np.float64
    np.testing.assert_array_equal(v.as_signal(torch.arange(4.0)), [0, 1, 2, 3])
    assert v.as_signal(np.zeros((2, 5)), ndim=(1, 2)).shape == (2, 5)
    x = np.zeros(5)
    assert v.as_signal(x) is x  # no copy when nothing needs converting


@pytest.mark.parametrize("bad, error, pattern", [
    (None, WrongTypeError, r"^f: y must be an array of samples, got None$"),
    (["a", "b"], WrongTypeError, r"^f: y must be a numeric array, got an array of shape \(2,\)"),
    (np.array([1j, 2]), WrongTypeError, r"^f: y must be real-valued, got an array .*complex128; take np.abs"),
    (3.0, WrongShapeError, r"^f: y must be an array with a time axis, got a scalar$"),
    (np.zeros(0), EmptyInputError, r"^f: y must be non-empty, got shape \(0,\)$"),
    (np.zeros((3, 0)), EmptyInputError, r"^f: y must be non-empty, got shape \(3, 0\)$"),
    (np.array([0.0, np.nan, np.inf]), NonFiniteError, r"^f: y must be finite \(no NaN or inf\), got 2 non-finite"),
])
def test_as_signal_refuses(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        v.as_signal(bad, "y", where="f")


def test_as_signal_shape_and_length():
    with pytest.raises(WrongShapeError, match=r"^stft: y must be 1-D, got shape \(2, 10\); pass one channel"):
        v.as_signal(np.zeros((2, 10)), "y", where="stft", ndim=1, hint="pass one channel at a time")
    with pytest.raises(WrongShapeError, match=r"x must be 1-D or 2-D, got shape \(1, 2, 3\)"):
        v.as_signal(np.zeros((1, 2, 3)), ndim=[1, 2])
    with pytest.raises(EmptyInputError, match=r"gsr must be at least 3 samples long \(last axis\), got 2"):
        v.as_signal(np.zeros(2), "gsr", min_length=3)


# --------------------------------------------------------------------------- require_shape


def test_require_shape():
    v.require_shape(np.zeros((4, 3, 100)), "windows", (None, 3, None))
    v.require_shape(torch.zeros(2, 5), "x", (2, 5))
    with pytest.raises(WrongShapeError, match=r"^model: windows must be shaped \(batch, channels, samples\) = "
                                              r"\(any, 3, any\), got shape \(4, 2, 100\)$"):
        v.require_shape(np.zeros((4, 2, 100)), "windows", (None, 3, None), where="model",
                        meaning="(batch, channels, samples)")
    with pytest.raises(WrongShapeError, match=r"x must be shaped \(2, 5\), got shape \(2, 5, 1\)"):
        v.require_shape(np.zeros((2, 5, 1)), "x", (2, 5))


# --------------------------------------------------------------------------- as_labels


def test_as_labels():
    out = v.as_labels(["Q1", "Q2"], "y_true")
    assert out.dtype == object and list(out) == ["Q1", "Q2"]
    assert list(v.as_labels(np.array([1, 2, 1]), "y")) == [1, 2, 1]
    assert list(v.as_labels(pd.Series(["a", "b"]), "y")) == ["a", "b"]
    assert list(v.as_labels([(0, 1), (1, 1)], "y")) == [(0, 1), (1, 1)]  # tuples stay whole labels
    assert list(v.as_labels([(0, 1), (1, 1, 2)], "y")) == [(0, 1), (1, 1, 2)]  # even of different lengths
    assert len(v.as_labels([], "y")) == 0
    with pytest.raises(WrongTypeError, match=r"^f1: y_true must be a sequence of labels .*, got str 'abc'$"):
        v.as_labels("abc", "y_true", where="f1")
    with pytest.raises(WrongTypeError, match=r"labels must be a sequence of labels .*, got int 3"):
        v.as_labels(3)
    with pytest.raises(WrongTypeError, match=r"got None"):
        v.as_labels(None)
    with pytest.raises(EmptyInputError, match=r"^confusion: labels must be at least 1 label long, got 0$"):
        v.as_labels([], where="confusion", min_length=1)
