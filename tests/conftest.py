"""Fixtures shared by the whole test suite.

* ``data_home``: this test's own empty course data folder: ``$MER_LESSONS_DATA`` points at
  a temporary directory for the duration of the test (restored afterwards).
* ``module_data_home``: the same for a whole test module (for module-scoped fixtures that
  build a dataset once, e.g. the teaching dataset).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mer_lessons.environment import DATA_ENV_VAR


@pytest.fixture()
def data_home(monkeypatch, tmp_path) -> Path:
    """An empty data folder for this test: ``$MER_LESSONS_DATA`` = ``tmp_path/mer_lessons_data``."""
    home = tmp_path / "mer_lessons_data"
    home.mkdir()
    monkeypatch.setenv(DATA_ENV_VAR, str(home))
    return home


@pytest.fixture(scope="module")
def module_data_home(tmp_path_factory) -> Path:
    """An empty data folder shared by one test module: ``$MER_LESSONS_DATA`` points at it
    while the module's tests run, and is restored afterwards."""
    home = tmp_path_factory.mktemp("mer_lessons_data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATA_ENV_VAR, str(home))
        yield home


# --------------------------------------------------------------------------- the teaching data, small

@pytest.fixture(scope="module")
def teaching_trials(module_data_home):
    """A small teaching dataset (40 clips x 3 listeners, 4-s trials), built once per module."""
    from mer_lessons.data import load
    return load("mini", n_clips=40, n_subjects=3, progress=False)


@pytest.fixture(scope="module")
def teaching_windows(teaching_trials):
    """Every 1-s window (one every 1 s) of :func:`teaching_trials`, default features."""
    from mer_lessons import windows
    return windows.window_dataset(teaching_trials, hop_s=1.0, progress=False)


@pytest.fixture(scope="module")
def labelled_windows(teaching_trials, teaching_windows):
    """:func:`teaching_windows` labelled with the reported quadrant, z-scored per listener."""
    return teaching_windows.with_labels(teaching_trials.meta["quadrant"],
                                        classes=["Q1", "Q2", "Q3", "Q4"]).standardize("subject")
