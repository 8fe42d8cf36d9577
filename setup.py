"""Package discovery for setuptools; everything else is declared in pyproject.toml.

Every package under ``mer_lessons/`` (any folder with an ``__init__.py``) is found, so a new
subpackage ships in the wheel without being listed anywhere. The one package that lives
outside that folder is ``mer_lessons.datasets``: the dataset cards and registry in
``datasets/`` (mapped in ``[tool.setuptools.package-dir]``). ``tests/test_packaging.py``
builds the wheel and checks both.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["mer_lessons", "mer_lessons.*"]), "mer_lessons.datasets"])
