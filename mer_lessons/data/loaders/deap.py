"""DEAP (Koelstra et al., 2012): EEG and peripheral physiology of 32 people watching 40 music videos.

What it is
    32 participants each watched 40 one-minute excerpts of music videos while 32 EEG
    channels and 8 peripheral signals were recorded; after each video they rated valence,
    arousal, dominance and liking on a continuous 1-9 scale (self-assessment manikins;
    liking with thumbs). Familiarity (1-5) was asked at the end, and is missing for
    participants 2, 15 and 23.

The official layout this loader reads (``root`` is the folder you pass to ``load``)::

    root/
      data_preprocessed_python/       # unzipped data_preprocessed_python.zip
        s01.dat ... s32.dat           # one Python-2 pickle per participant
      metadata_csv/                   # optional: unzipped metadata_csv.zip
        participant_ratings.csv       # Participant_id, Trial, Experiment_id, Start_time,
                                      # Valence, Arousal, Dominance, Liking, Familiarity

Each ``sNN.dat`` holds a dict ``{"data": (40, 40, 8064), "labels": (40, 4)}``: trials x
channels x samples at 128 Hz, and trials x (valence, arousal, dominance, liking). The
8064 samples are 63 s: a 3 s pre-trial baseline (the first 384 samples) followed by the
60 s trial. The official preprocessing downsampled to 128 Hz, removed EOG artefacts,
band-passed the EEG to 4-45 Hz, re-referenced it to the common average, put the EEG
channels in the "Geneva" order below, and **reordered the trials from presentation order
to video (Experiment_id) order**: row ``k`` of every file is video ``k + 1``. The
presentation position of each video is in ``participant_ratings.csv`` (column ``Trial``).

Channels (rows of ``data``): the 32 EEG channels of :data:`EEG_CHANNELS`, then hEOG,
vEOG, zEMG (zygomaticus), tEMG (trapezius), GSR, respiration belt, plethysmograph
(finger blood-volume pulse: our ``ppg``) and temperature. DEAP has **no ECG**.

The ``.dat`` files are pickles, and unpickling can run arbitrary code: they are read only
with :func:`mer_lessons.data.files.load_restricted_pickle`, which admits NumPy arrays and
plain containers and refuses anything else.

Items (``ds[i]``), every signal float32 at 128 Hz, shape ``(channels, samples)`` or
``(samples,)``: ``eeg`` (32, T) + ``eeg_sr`` + ``eeg_channels``; ``gsr`` + ``gsr_sr``;
``ppg`` + ``ppg_sr``; optionally ``eog`` (2, T), ``emg`` (2, T), ``resp``, ``temp``
(each with ``<name>_sr``; ``eog``/``emg`` with ``<name>_channels``). With the default
``baseline="remove"`` T = samples - 384 (7680 = 60 s) and ``eeg_baseline`` (32, 384)
holds the 3 s before the video; see :func:`load_deap` for the other choices.

``meta``: ``id`` (``"s01_t01"``: participant, row of the file), ``subject`` (``"s01"``),
``participant`` (1-32), ``trial`` (row of the file, 1-40), ``video`` (Experiment_id, equal
to ``trial`` because of the reordering), ``presentation_trial`` (from the CSV, else <NA>),
``familiarity`` (from the CSV, else NaN), ``valence``, ``arousal``, ``dominance``,
``liking`` (from the ``.dat`` labels, 1-9, not rescaled), the columns of
:func:`mer_lessons.data.labels.label_table`, ``file`` and ``n_samples``.

Citation: S. Koelstra, C. Muehl, M. Soleymani, J.-S. Lee, A. Yazdani, T. Ebrahimi, T. Pun,
A. Nijholt, I. Patras (2012). DEAP: A database for emotion analysis using physiological
signals. IEEE Transactions on Affective Computing 3(1), 18-31.

Used in ``06_physiological_signals`` and the EEG chapter of Hao et al. (07); card:
``datasets/deap.md``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root, select_participants
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import check_scale, file_stamp, load_restricted_pickle, numeric_column, read_csv_text
from mer_lessons.data.labels import LABEL_COLUMNS, label_table
from mer_lessons.validation import UnknownOptionError, as_choice

#: The 32 EEG channels in the order of the preprocessed files ("Geneva" order).
EEG_CHANNELS = (
    "Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3", "O1", "Oz", "Pz",
    "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6", "CP2", "P4", "P8", "PO4", "O2",
)
#: Channels 33-40 of the preprocessed files.
PERIPHERAL_CHANNELS = ("hEOG", "vEOG", "zEMG", "tEMG", "GSR", "Respiration belt", "Plethysmograph", "Temperature")
#: All 40 rows of a trial, in file order.
CHANNELS = EEG_CHANNELS + PERIPHERAL_CHANNELS

SAMPLE_RATE = 128
BASELINE_SECONDS = 3
#: Samples of the pre-trial baseline at the start of every trial (3 s at 128 Hz).
BASELINE_SAMPLES = BASELINE_SECONDS * SAMPLE_RATE
#: Columns of ``labels`` in the ``.dat`` files.
RATINGS = ("valence", "arousal", "dominance", "liking")
#: DEAP's documented scale of the four ratings: continuous 1-9 (self-assessment manikins).
RATING_SCALE = (1.0, 9.0)
#: DEAP's documented familiarity scale (asked once per video after the session): 1-5.
FAMILIARITY_SCALE = (1.0, 5.0)

#: Item key -> rows of a trial (a slice for multichannel signals, an int for one channel).
MODALITY_ROWS = {
    "eeg": slice(0, 32), "eog": slice(32, 34), "emg": slice(34, 36),
    "gsr": 36, "resp": 37, "ppg": 38, "temp": 39,
}
DEFAULT_MODALITIES = ("eeg", "gsr", "ppg")
BASELINE_MODES = ("remove", "keep", "subtract")

_DAT_NAME = re.compile(r"^s(\d{2})\.dat$")
_CSV_COLUMNS = ("Participant_id", "Trial", "Experiment_id")


@register_loader("deap")
def load_deap(root, *, subjects: Iterable | None = None, baseline: str = "remove",
              modalities: Iterable[str] = DEFAULT_MODALITIES) -> Dataset:
    """Read DEAP's ``data_preprocessed_python`` folder under ``root`` into a :class:`Dataset`.

    Parameters
    ----------
    root : folder holding ``data_preprocessed_python/`` (or that folder itself).
    subjects : participants to load, as numbers (``[1, 2]``) or names (``["s01"]``);
        ``None`` loads every ``sNN.dat`` present.
    baseline : what to do with the 3 s recorded before each video (the first 384 samples):
        ``"remove"`` (default) cuts it off every signal and returns the EEG part separately
        as ``eeg_baseline`` (32, 384); ``"keep"`` returns all 63 s (``baseline_samples``
        = 384 in the item says where the video starts); ``"subtract"`` cuts it off and
        subtracts from the EEG, second by second, the mean of the three baseline seconds
        (the baseline correction common in DEAP EEG papers; other signals are only cut).
    modalities : item signals to return, from ``eeg, gsr, ppg, eog, emg, resp, temp``.

    Labels come from each file's ``labels`` array (1-9, not rescaled); the optional
    ``metadata_csv/participant_ratings.csv`` adds ``presentation_trial`` and ``familiarity``.
    Every ``.dat`` file is unpickled once here (with the restricted unpickler) to read its
    labels and check its shape, so loading all 32 participants reads the whole release
    once; signals are read again, one participant at a time (the last one is cached), when
    items are accessed: iterate in ``meta`` order, participant by participant. Raises
    :class:`DatasetFormatError` naming the file for a missing folder, a truncated or unsafe
    pickle, or arrays of the wrong shape.

    Taught in ``06_physiological_signals``.
    """
    root = require_root(root, "deap")
    as_choice(baseline, "baseline", BASELINE_MODES, where="deap")
    modalities = (modalities,) if isinstance(modalities, str) else tuple(modalities)
    unknown = [m for m in modalities if m not in MODALITY_ROWS]
    if unknown or not modalities:
        raise UnknownOptionError(f"deap: modalities must be among {tuple(MODALITY_ROWS)}, got {modalities!r}")

    folder = _data_folder(root)
    files = _subject_files(folder, subjects)
    ratings = _read_participant_ratings(root)

    rows = []
    for participant, path in files.items():
        labels, n_trials, n_samples = _read_labels(path)
        for index in range(n_trials):
            trial = index + 1
            extra = ratings.get((participant, trial), {}) if ratings is not None else {}
            rows.append({
                "id": f"s{participant:02d}_t{trial:02d}",
                "subject": f"s{participant:02d}",
                "participant": participant,
                "trial": trial,
                "video": trial,
                "presentation_trial": extra.get("presentation_trial", pd.NA),
                "familiarity": extra.get("familiarity", np.nan),
                **{name: float(labels[index, k]) for k, name in enumerate(RATINGS)},
                "file": str(path.relative_to(root)) if path.is_relative_to(root) else str(path),
                "n_samples": n_samples,
            })
    meta = pd.DataFrame(rows)
    meta["presentation_trial"] = meta["presentation_trial"].astype("Int64")
    meta["familiarity"] = meta["familiarity"].astype(float)
    table = label_table(meta["valence"], meta["arousal"])
    for column in LABEL_COLUMNS:
        if column not in meta.columns:
            meta[column] = table[column].to_numpy()

    label_columns = RATINGS + ("familiarity",) + tuple(c for c in LABEL_COLUMNS if c not in RATINGS)

    def load_item(row: pd.Series) -> dict:
        path = root / row["file"]
        data = _cached_data(str(path), *file_stamp(path, "deap"))
        trial = np.asarray(data[int(row["trial"]) - 1], dtype=np.float32)
        return _item(trial, baseline, modalities)

    return Dataset("deap", meta, load_item, label_columns=label_columns, root=root)


# --------------------------------------------------------------------------- layout


def _data_folder(root: Path) -> Path:
    folder = root / "data_preprocessed_python"
    if folder.is_dir():
        return folder
    if root.name == "data_preprocessed_python" and root.is_dir():
        return root
    raise DatasetFormatError(
        f"deap: {folder} is missing; expected the unzipped data_preprocessed_python.zip "
        f"(data_preprocessed_python/s01.dat ... s32.dat) inside {root}")


def _subject_files(folder: Path, subjects) -> dict[int, Path]:
    found = {}
    for path in sorted(folder.iterdir()):
        match = _DAT_NAME.match(path.name)
        if match and path.is_file():
            found[int(match.group(1))] = path
    if not found:
        raise DatasetFormatError(f"deap: {folder} holds no sNN.dat files; expected s01.dat ... s32.dat")
    return select_participants(found, subjects, dataset="deap", prefix="s", count=32, file_name="s{:02d}.dat",
                               where=folder)


def _read_participant_ratings(root: Path) -> dict | None:
    """``{(participant, experiment_id): {"presentation_trial", "familiarity"}}`` or ``None``."""
    path = root / "metadata_csv" / "participant_ratings.csv"
    if not path.exists():
        return None
    table = read_csv_text(path, dataset="deap", encodings=("utf-8-sig",), errors="strict", dtype=None,
                          keep_default_na=True, skipinitialspace=True)
    missing = [c for c in _CSV_COLUMNS if c not in table.columns]
    if missing:
        raise DatasetFormatError(
            f"deap: {path} lacks the columns {missing}; expected {', '.join(_CSV_COLUMNS)}, Start_time, "
            "Valence, Arousal, Dominance, Liking, Familiarity")
    ids = pd.DataFrame({column: numeric_column(table, column, path, dataset="deap", allow_missing=False,
                                               integer=True) for column in _CSV_COLUMNS}).astype(int)
    if "Familiarity" in table.columns:  # empty for participants 2, 15 and 23: NaN
        familiarity = numeric_column(table, "Familiarity", path, dataset="deap")
        check_scale(familiarity, FAMILIARITY_SCALE, path, "Familiarity", dataset="deap", scale_name="familiarity 1-5")
    else:
        familiarity = pd.Series(np.nan, index=table.index)
    ratings = {}
    for (participant, trial, experiment), fam in zip(ids.itertuples(index=False), familiarity):
        ratings[(int(participant), int(experiment))] = {"presentation_trial": int(trial), "familiarity": float(fam)}
    return ratings


# --------------------------------------------------------------------------- files


def _unpickle(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(data, labels)`` of one ``sNN.dat``, checked; never uses ``pickle.load``."""
    content = load_restricted_pickle(path)
    if not isinstance(content, dict) or "data" not in content or "labels" not in content:
        keys = sorted(map(str, content)) if isinstance(content, dict) else type(content).__name__
        raise DatasetFormatError(f"deap: {path} holds {keys}; expected a dict with 'data' and 'labels' arrays")
    data, labels = content["data"], content["labels"]
    if not isinstance(data, np.ndarray) or data.ndim != 3 or data.shape[1] != len(CHANNELS):
        shape = getattr(data, "shape", type(data).__name__)
        raise DatasetFormatError(
            f"deap: {path}: 'data' has shape {shape}; expected (trials, 40, samples), e.g. (40, 40, 8064)")
    if data.shape[0] == 0:
        raise DatasetFormatError(f"deap: {path}: 'data' holds no trials; expected (40, 40, 8064)")
    if data.shape[2] <= BASELINE_SAMPLES:
        raise DatasetFormatError(
            f"deap: {path}: trials have {data.shape[2]} samples; expected more than the "
            f"{BASELINE_SAMPLES}-sample (3 s) baseline, e.g. 8064")
    if not np.issubdtype(data.dtype, np.floating):
        raise DatasetFormatError(f"deap: {path}: 'data' has dtype {data.dtype}; expected floating point")
    if not isinstance(labels, np.ndarray) or labels.shape != (data.shape[0], len(RATINGS)):
        shape = getattr(labels, "shape", type(labels).__name__)
        raise DatasetFormatError(
            f"deap: {path}: 'labels' has shape {shape}; expected ({data.shape[0]}, 4) "
            "(valence, arousal, dominance, liking per trial)")
    labels = labels.astype(np.float64)
    if not np.all(np.isfinite(labels)):
        raise DatasetFormatError(f"deap: {path}: 'labels' holds non-finite ratings; expected numbers in 1-9")
    for k, name in enumerate(RATINGS):
        check_scale(labels[:, k], RATING_SCALE, path, name, dataset="deap", ids=range(1, labels.shape[0] + 1),
                    id_name="trial", scale_name="1-9 SAM")
    return data, labels


def _read_labels(path: Path) -> tuple[np.ndarray, int, int]:
    data, labels = _unpickle(path)
    return labels, data.shape[0], data.shape[2]


@functools.lru_cache(maxsize=1)
def _cached_data(path: str, mtime_ns: int, size: int) -> np.ndarray:
    """One participant's ``data`` array, kept while consecutive items come from that file."""
    return _unpickle(Path(path))[0]


def _item(trial: np.ndarray, baseline: str, modalities: tuple[str, ...]) -> dict:
    """Split one (40, samples) trial into the item's signals."""
    item: dict = {}
    if baseline == "keep":
        signals = trial
        item["baseline_samples"] = BASELINE_SAMPLES
    else:
        signals = trial[:, BASELINE_SAMPLES:]
        if "eeg" in modalities:
            item["eeg_baseline"] = np.array(trial[:32, :BASELINE_SAMPLES], dtype=np.float32)
    for name in modalities:
        values = np.array(signals[MODALITY_ROWS[name]], dtype=np.float32)  # a copy: never a view of the cache
        if name == "eeg" and baseline == "subtract":
            values = values - _baseline_wave(trial[:32], values.shape[1])
        item[name] = values
        item[f"{name}_sr"] = SAMPLE_RATE
        rows = MODALITY_ROWS[name]
        if isinstance(rows, slice):
            item[f"{name}_channels"] = list(CHANNELS[rows])
    return item


def _baseline_wave(eeg: np.ndarray, n_samples: int) -> np.ndarray:
    """The mean baseline second, repeated to ``n_samples``: (32, n_samples) float32."""
    seconds = eeg[:, :BASELINE_SAMPLES].reshape(eeg.shape[0], BASELINE_SECONDS, SAMPLE_RATE)
    wave = seconds.mean(axis=1)
    repeats = -(-n_samples // SAMPLE_RATE)
    return np.tile(wave, (1, repeats))[:, :n_samples].astype(np.float32)
