"""Errors of the data layer: each names the dataset or file and says what was expected."""

from __future__ import annotations


class DatasetNotAvailableError(FileNotFoundError):
    """A dataset is not on disk (and cannot be fetched now): the message says what to do.

    Taught in ``04_emotion_models_and_datasets``.
    """


class DatasetFormatError(ValueError):
    """A file or folder is not laid out as the official dataset is: the message names the file.

    Taught in ``04_emotion_models_and_datasets``.
    """


class ChecksumError(ValueError):
    """A downloaded file's sha256 differs from the registry's; the file was not kept.

    Taught in ``04_emotion_models_and_datasets``.
    """


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the target folder (path traversal, links).

    Taught in ``04_emotion_models_and_datasets``.
    """
