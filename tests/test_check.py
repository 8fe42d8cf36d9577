"""mer_lessons.check: the exercises' auto-checks."""

import numpy as np
import pytest

from mer_lessons import check


def test_unanswered_exercise_is_not_attempted_and_falsy(capsys):
    result = check.exercise("0.1", None, expected=3)
    assert result.passed is None and not result
    assert "not attempted" in capsys.readouterr().out


def test_correct_number_passes(capsys):
    assert check.exercise("0.2", 40000, expected=2.5 * 16000)
    assert "correct" in capsys.readouterr().out


def test_wrong_number_fails_with_hint(capsys):
    result = check.exercise("0.3", 41000, expected=40000, hint="seconds x rate")
    assert result.passed is False
    out = capsys.readouterr().out
    assert "got 41000" in out and "seconds x rate" in out


def test_arrays_compare_with_tolerance_and_shape():
    assert check.exercise("a", np.array([1.0, 2.0 + 1e-9]), expected=[1, 2], quiet=True)
    assert not check.exercise("b", [1.0, 2.1], expected=[1, 2], quiet=True)
    wrong_shape = check.exercise("c", [[1, 2]], expected=[1, 2], quiet=True)
    assert not wrong_shape and "shape" in wrong_shape.message


def test_strings_compare_case_insensitively():
    assert check.exercise("s", "  CPU ", expected="cpu", quiet=True)
    assert not check.exercise("s", "gpu", expected="cpu", quiet=True)
    assert not check.exercise("s", 3, expected="cpu", quiet=True)


def test_bools_are_not_numbers():
    assert check.exercise("t", True, expected=True, quiet=True)
    assert not check.exercise("t", 1, expected=True, quiet=True)


def test_custom_test_function_and_its_errors():
    assert check.exercise("f", 4, test=lambda v: v % 2 == 0, quiet=True)
    assert not check.exercise("f", 3, test=lambda v: v % 2 == 0, quiet=True)
    crashed = check.exercise("f", "x", test=lambda v: v / 2 > 0, quiet=True)
    assert not crashed and "TypeError" in crashed.message


def test_exactly_one_of_expected_or_test():
    with pytest.raises(ValueError, match="exactly one"):
        check.exercise("x", 1)
    with pytest.raises(ValueError, match="exactly one"):
        check.exercise("x", 1, expected=1, test=bool)


def test_default_mode_never_raises(monkeypatch):
    monkeypatch.delenv(check.STRICT_VARIABLE, raising=False)
    assert not check.strict_mode()
    assert check.exercise("d", None, expected=1, quiet=True).passed is None
    assert check.exercise("d", 2, expected=1, quiet=True).passed is False


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_strict_mode_raises_for_wrong_and_missing_answers(monkeypatch, value):
    monkeypatch.setenv(check.STRICT_VARIABLE, value)
    assert check.strict_mode()
    with pytest.raises(AssertionError, match=r"exercise 05\.1: answer 0\.9 was not accepted"):
        check.exercise("05.1", 0.9, expected=7 / 15, atol=0.005, quiet=True)
    with pytest.raises(AssertionError, match=r"exercise 05\.2: answer None .*not attempted"):
        check.exercise("05.2", None, expected="pearson", quiet=True)
    with pytest.raises(AssertionError, match="exercise t: .*ZeroDivisionError"):
        check.exercise("t", 0, test=lambda v: 1 / v > 0, quiet=True)
    assert check.exercise("05.1", 0.47, expected=7 / 15, atol=0.005, quiet=True)  # correct: no raise


def test_strict_mode_off_for_other_values(monkeypatch):
    monkeypatch.setenv(check.STRICT_VARIABLE, "0")
    assert not check.strict_mode()
    assert check.exercise("x", 3, expected=1, quiet=True).passed is False
