"""Auto-checks for the notebooks' exercises.

Every exercise ends with a call such as::

    answer_00_1 = None  # replace None with your answer
    check.exercise("00.1", answer_00_1, expected=16000, hint="samples = seconds * rate")

The call prints one line: not attempted yet (the answer is still ``None``), correct, or
wrong with a hint. It never raises for a wrong answer, so "Run all" always finishes; it
returns ``True``/``False``/``None`` so a notebook or a test can assert on it.

Strict mode (for tests): with the environment variable ``MER_LESSONS_STRICT_EXERCISES=1``
a wrong or not-attempted answer raises ``AssertionError`` naming the exercise and the answer
(``tests/test_exercise_solutions.py`` runs every notebook with its solutions this way).

Solutions convention: each notebook's "Solutions" cell holds, per exercise, a fenced
``python`` block that assigns the answer (``answer_05_1 = 7 / 15``); the exercise cell starts
with ``answer_05_1 = None  # ...``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

PASS = "✅"
FAIL = "❌"
TODO = "✏️"

#: Environment variable that turns a wrong or missing answer into an ``AssertionError``.
STRICT_VARIABLE = "MER_LESSONS_STRICT_EXERCISES"


def strict_mode() -> bool:
    """True when ``MER_LESSONS_STRICT_EXERCISES`` is set to a true value (``1``, ``true``, ``yes``).

    Taught in ``00_welcome``.
    """
    return os.environ.get(STRICT_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one exercise check: ``passed`` is True, False or None (not attempted).

    Taught in ``00_welcome``.
    """

    exercise: str
    passed: bool | None
    message: str

    def __bool__(self) -> bool:
        return bool(self.passed)

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's value: :func:`exercise` has already printed the feedback."""


def _compare(answer: Any, expected: Any, rtol: float, atol: float) -> tuple[bool, str]:
    """Compare an answer with the expected value; returns (equal, reason if not)."""
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return False, f"expected text, got {type(answer).__name__}"
        ok = answer.strip().lower() == expected.strip().lower()
        return ok, "" if ok else "that is not the expected text"
    if isinstance(expected, (bool, np.bool_)):
        ok = isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(expected)
        return ok, "" if ok else f"expected {bool(expected)}"
    try:
        got = np.asarray(answer, dtype=float)
        want = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        ok = answer == expected
        return bool(ok), "" if ok else "the value differs from the expected one"
    if got.shape != want.shape:
        return False, f"shape {got.shape}, expected {want.shape}"
    ok = bool(np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True))
    if ok:
        return True, ""
    if want.size == 1:
        return False, f"got {got.item():.6g}"
    worst = float(np.max(np.abs(got - want)))
    return False, f"largest difference {worst:.3g}"


def exercise(
    name: str,
    answer: Any,
    *,
    expected: Any = None,
    test: Callable[[Any], bool] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hint: str = "",
    quiet: bool = False,
) -> CheckResult:
    """Check a student's answer and print one line of feedback.

    Parameters
    ----------
    name : str
        Exercise label shown in the feedback, e.g. ``"01.2"``.
    answer : any
        The student's value. ``None`` (or ``...``) means "not attempted yet".
    expected : any
        The correct value: a number or array (compared with ``numpy.allclose`` using
        ``rtol``/``atol``, shapes must agree), a string (compared case-insensitively,
        stripped) or a bool.
    test : callable, optional
        Instead of ``expected``: a function ``test(answer) -> bool`` for answers with
        many correct forms (e.g. "any window whose first sample is 0").
    hint : str
        Printed when the answer is wrong.

    Returns
    -------
    CheckResult
        Truthy only when the answer is correct.

    Raises
    ------
    AssertionError
        Only in strict mode (:func:`strict_mode`), for a wrong or not-attempted answer.

    Taught in ``00_welcome``.
    """
    if (expected is None) == (test is None):
        raise ValueError(f"exercise {name}: give exactly one of expected= or test=")
    if answer is None or answer is Ellipsis:
        result = CheckResult(name, None, f"{TODO} Exercise {name}: not attempted yet.")
    else:
        if test is not None:
            try:
                ok, reason = bool(test(answer)), ""
            except Exception as error:  # a student's malformed answer must not stop the notebook
                ok, reason = False, f"checking it raised {type(error).__name__}: {error}"
        else:
            ok, reason = _compare(answer, expected, rtol, atol)
        if ok:
            result = CheckResult(name, True, f"{PASS} Exercise {name}: correct.")
        else:
            detail = f" ({reason})" if reason else ""
            tip = f" Hint: {hint}" if hint else ""
            result = CheckResult(name, False, f"{FAIL} Exercise {name}: not yet{detail}.{tip}")
    if not quiet:
        print(result.message)
    if result.passed is not True and strict_mode():
        shown = repr(answer)
        shown = shown if len(shown) <= 200 else shown[:200] + "..."
        raise AssertionError(f"exercise {name}: answer {shown} was not accepted "
                             f"({STRICT_VARIABLE}=1): {result.message}")
    return result
