"""AMIGOS (Miranda-Correa et al., 2018): EEG, ECG and GSR of 40 people watching short and long film clips.

What it is
    40 participants watched 16 short emotional film excerpts alone; 37 of them later
    watched 4 long excerpts (alone or in groups of four). After each video they rated
    arousal, valence, dominance, liking and familiarity and ticked the basic emotions they
    felt (neutral, disgust, happiness, surprise, anger, fear, sadness). Three annotators
    also rated valence and arousal of 20 s segments of every recording ("external
    annotations"). EEG came from a 14-channel Emotiv headset; ECG (two leads) and GSR from
    Shimmer sensors.

The official layout this loader reads (``root`` is the folder you pass to ``load``)::

    root/
      Data_Preprocessed_P01/Data_Preprocessed_P01.mat   # one zip per participant, unzipped
      ...
      Data_Preprocessed_P40/Data_Preprocessed_P40.mat

(``root/Data_Preprocessed_PNN.mat`` directly in ``root`` is accepted too.) Each MATLAB
file holds four 1 x 20 cell arrays, one cell per video, **in video-number order** (not in
presentation order): the 16 short videos, then the 4 long ones (``N1, P1, B1, U1``)::

    joined_data            samples x 17 at 128 Hz: 14 EEG (AF3, F7, F3, FC5, T7, P7, O1, O2,
                           P8, T8, FC6, F4, F8, AF4), ECG right, ECG left, GSR
    labels_selfassessment  1 x 12: arousal, valence, dominance, liking, familiarity (1-9),
                           then neutral, disgust, happiness, surprise, anger, fear, sadness (0/1)
    labels_ext_annotation  segments x 3: segment number, valence, arousal (external annotators)
    VideoIDs               the video's name: '4', '5', ... '138', 'N1', 'P1', 'B1', 'U1'

**Empty cells.** The three participants who did not take part in the long-video
experiment, and some recordings that failed, have empty cells (0 x 0 signals, 1 x 0
ratings). The loader never crashes on them: trials with empty self-assessment cells are
left out of ``meta`` and listed in ``ds.skipped`` (a DataFrame: subject, trial, video,
reason, file) with the reason. Finding an empty *signal* cell needs the signals, which
are only read lazily; such a trial (ratings present, no signals) raises
:class:`DatasetFormatError` naming the file and cell when accessed, so
``ds.validate()`` lists it, and ``load("amigos", scan_signals=True)`` reads every file
once to leave those out too. Some recordings contain NaN samples; they are returned as
stored.

Items (``ds[i]``), float32 at 128 Hz: ``eeg`` (14, T) + ``eeg_sr`` + ``eeg_channels``;
``ecg`` (2, T: right, left lead) + ``ecg_sr`` + ``ecg_channels``; ``gsr`` (T,) +
``gsr_sr``; ``ext_annotation``: a DataFrame (segment, valence, arousal) of the external
annotations of this trial, values as stored.

``meta``: ``id`` (``"P01_t03"``: participant, cell number), ``subject`` (``"P01"``),
``participant``, ``trial`` (cell number 1-20), ``video`` (VideoIDs), ``long`` (long
video?), the 12 self-assessment columns (ratings 1-9 kept as they are; emotions 0/1), the
columns of :func:`mer_lessons.data.labels.label_table`, ``file`` and ``n_samples``
(``<NA>`` unless ``scan_signals=True``).

Citation: J. A. Miranda-Correa, M. K. Abadi, N. Sebe, I. Patras (2021). AMIGOS: A dataset
for affect, personality and mood research on individuals and groups. IEEE Transactions on
Affective Computing 12(2), 479-493 (online 2018).

Used in ``06_physiological_signals`` and the physiology chapter of Hao et al. (07); card:
``datasets/amigos.md``.
"""

from __future__ import annotations

import functools
import re
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root, select_participants
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import check_scale, file_stamp
from mer_lessons.data.labels import LABEL_COLUMNS, label_table

#: The 14 EEG channels (Emotiv EPOC), columns 1-14 of every trial.
EEG_CHANNELS = ("AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4")
#: Columns 15-16: the two ECG leads.
ECG_CHANNELS = ("ECG right", "ECG left")
#: All 17 columns of a trial, in file order.
CHANNELS = EEG_CHANNELS + ECG_CHANNELS + ("GSR",)
SAMPLE_RATE = 128

#: The 12 values of each ``labels_selfassessment`` cell, in file order.
SELF_ASSESSMENT = ("arousal", "valence", "dominance", "liking", "familiarity",
                   "neutral", "disgust", "happiness", "surprise", "anger", "fear", "sadness")
RATINGS = SELF_ASSESSMENT[:5]
EMOTIONS = SELF_ASSESSMENT[5:]
#: AMIGOS's documented scale of the five ratings (arousal ... familiarity): 1-9.
RATING_SCALE = (1.0, 9.0)
#: The documented values of the seven basic-emotion ticks: 0 (not felt) or 1 (felt).
EMOTION_VALUES = (0.0, 1.0)
#: Names of the four long videos in ``VideoIDs``.
LONG_VIDEOS = ("N1", "P1", "B1", "U1")
#: Number of short videos (cells 1-16).
N_SHORT = 16
#: Variables every preprocessed file must hold.
VARIABLES = ("joined_data", "labels_selfassessment", "VideoIDs")

_FILE_NAME = re.compile(r"^Data_Preprocessed_P(\d+)\.mat$")
_LAYOUT = "Data_Preprocessed_P01/Data_Preprocessed_P01.mat ... Data_Preprocessed_P40/Data_Preprocessed_P40.mat"


@register_loader("amigos")
def load_amigos(root, *, subjects: Iterable | None = None, include_long: bool = False,
                scan_signals: bool = False) -> Dataset:
    """Read AMIGOS's preprocessed MATLAB files under ``root`` into a :class:`Dataset`.

    Parameters
    ----------
    root : folder holding ``Data_Preprocessed_PNN/Data_Preprocessed_PNN.mat`` (see module doc).
    subjects : participants to load, as numbers (``[1, 2]``) or names (``["P01"]``);
        ``None`` loads every file present.
    include_long : also return the 4 long videos (about 14-24 min each; default: only the
        16 short ones, the usual benchmark). Left-out long videos are listed in ``ds.skipped``.
    scan_signals : read every file's signals now to drop trials whose signal cell is empty
        (slow on the real data: every file is read twice). By default only the ratings
        and video names are read here; signals load lazily when an item is accessed.

    Returns a :class:`Dataset` with the extra attribute ``skipped`` (see module doc).
    Raises :class:`DatasetFormatError` naming the file when no file is found, a file is
    truncated or not a MATLAB file, or a variable is missing or malformed.

    Taught in ``06_physiological_signals``.
    """
    root = require_root(root, "amigos")
    files = _find_files(root, subjects)
    rows, skipped = [], []
    for participant, path in files.items():
        names = ["VideoIDs", "labels_selfassessment"] + (["joined_data"] if scan_signals else [])
        variables = _read_mat(path, names)
        videos = [_video_name(c) for c in _cells(variables, "VideoIDs", path)]
        ratings = _cells(variables, "labels_selfassessment", path)
        signals = _cells(variables, "joined_data", path) if scan_signals else None
        if len(ratings) != len(videos) or (signals is not None and len(signals) != len(videos)):
            counts = {"VideoIDs": len(videos), "labels_selfassessment": len(ratings)}
            if signals is not None:
                counts["joined_data"] = len(signals)
            raise DatasetFormatError(f"amigos: {path}: the cell arrays differ in length {counts}; "
                                     "expected one cell per video in each (1 x 20)")
        relative = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        for index, video in enumerate(videos):
            trial = index + 1
            long = video.upper() in LONG_VIDEOS if video else trial > N_SHORT
            base = {"subject": f"P{participant:02d}", "trial": trial, "video": video, "file": relative}
            values = _rating_row(ratings[index], path, trial)
            if long and not include_long:
                reason = "long video (include_long=False)"
            elif values is None:
                reason = "no self-assessment (empty labels_selfassessment cell)"
            elif not np.all(np.isfinite(values[:2])):
                reason = "valence or arousal is not a number"
            elif signals is not None and np.asarray(signals[index]).size == 0:
                reason = "no signals (empty joined_data cell)"
            else:
                reason = ""
            if reason:
                skipped.append({**base, "reason": reason})
                continue
            n_samples = int(np.asarray(signals[index]).shape[0]) if signals is not None else pd.NA
            rows.append({
                "id": f"P{participant:02d}_t{trial:02d}", **base, "participant": participant, "long": long,
                **dict(zip(SELF_ASSESSMENT, values.tolist())), "n_samples": n_samples,
            })

    columns = (["id", "subject", "participant", "trial", "video", "long"] + list(SELF_ASSESSMENT)
               + ["file", "n_samples"])
    meta = pd.DataFrame(rows, columns=columns)
    meta["n_samples"] = meta["n_samples"].astype("Int64")
    meta["long"] = meta["long"].astype(bool)
    for column in EMOTIONS:
        values = meta[column].astype(float)
        meta[column] = values.astype(np.int64) if values.notna().all() else values
    table = label_table(meta["valence"].astype(float), meta["arousal"].astype(float))
    for column in LABEL_COLUMNS:
        if column not in meta.columns:
            meta[column] = table[column].to_numpy()
    label_columns = SELF_ASSESSMENT + tuple(c for c in LABEL_COLUMNS if c not in SELF_ASSESSMENT)

    def load_item(row: pd.Series) -> dict:
        path = root / row["file"]
        joined, annotations = _cached_trials(str(path), *file_stamp(path, "amigos"))
        trial = int(row["trial"])
        signals = np.asarray(joined[trial - 1])
        if signals.size == 0:
            raise DatasetFormatError(
                f"amigos: {path}: joined_data cell {trial} (video {row['video']}) is empty: no signals were "
                "recorded for this trial; load('amigos', scan_signals=True) leaves such trials out")
        if signals.ndim != 2 or signals.shape[1] != len(CHANNELS):
            raise DatasetFormatError(
                f"amigos: {path}: joined_data cell {trial} has shape {signals.shape}; expected samples x 17 "
                "(14 EEG, ECG right, ECG left, GSR)")
        signals = np.array(signals.T, dtype=np.float32, order="C")  # a copy: never a view of the cache
        return {
            "eeg": signals[:14], "eeg_sr": SAMPLE_RATE, "eeg_channels": list(EEG_CHANNELS),
            "ecg": signals[14:16], "ecg_sr": SAMPLE_RATE, "ecg_channels": list(ECG_CHANNELS),
            "gsr": signals[16], "gsr_sr": SAMPLE_RATE,
            "ext_annotation": _annotation_table(annotations[trial - 1] if annotations is not None else None),
        }

    dataset = Dataset("amigos", meta, load_item, label_columns=label_columns, root=root)
    dataset.skipped = pd.DataFrame(skipped, columns=["subject", "trial", "video", "reason", "file"])
    return dataset


# --------------------------------------------------------------------------- layout


def _find_files(root: Path, subjects) -> dict[int, Path]:
    found: dict[int, Path] = {}
    for path in sorted(root.glob("Data_Preprocessed_P*.mat")) + sorted(root.glob("*/Data_Preprocessed_P*.mat")):
        match = _FILE_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        number = int(match.group(1))
        if number in found:
            raise DatasetFormatError(f"amigos: participant {number} appears twice: {found[number]} and {path}")
        found[number] = path
    if not found:
        zips = sorted(p.name for p in root.glob("Data_Preprocessed*.zip"))
        hint = f" (found {zips[0]}{' ...' if len(zips) > 1 else ''}: unzip them first)" if zips else ""
        raise DatasetFormatError(f"amigos: no Data_Preprocessed_PNN.mat under {root}{hint}; expected {_LAYOUT}")
    return select_participants(found, subjects, dataset="amigos", prefix="P", count=40,
                               file_name="Data_Preprocessed_P{:02d}.mat", where=root)


# --------------------------------------------------------------------------- MATLAB files


def _read_mat(path: Path, names: list[str], optional: list[str] = ()) -> dict:
    """The named variables (and those of ``optional`` that exist) of a MATLAB v5 file;
    DatasetFormatError naming the file on any failure or missing variable."""
    import scipy.io
    from scipy.io.matlab import MatReadError

    _check_complete(path)
    try:
        content = scipy.io.loadmat(path, variable_names=list(names) + list(optional))
    except FileNotFoundError as error:
        raise DatasetFormatError(f"amigos: {path} is missing; it was there when the dataset was loaded") from error
    except NotImplementedError as error:  # MATLAB v7.3 files are HDF5
        raise DatasetFormatError(
            f"amigos: {path} is a MATLAB v7.3 (HDF5) file; expected the official v5/v7 .mat") from error
    except (MatReadError, ValueError, TypeError, IndexError, KeyError, OSError, EOFError, AttributeError,
            zlib.error, struct.error) as error:
        raise DatasetFormatError(
            f"amigos: {path} is not a readable MATLAB file ({type(error).__name__}: {error}); it may be truncated "
            "(download it again)") from error
    missing = [n for n in names if n not in content]
    if missing:
        raise DatasetFormatError(
            f"amigos: {path} lacks {missing}; expected the variables {', '.join(VARIABLES)} and "
            "labels_ext_annotation (1 x 20 cell arrays)")
    return content


def _check_complete(path: Path) -> None:
    """Walk the top-level element tags of a MATLAB v5 file (cheap: seeks only) and raise
    :class:`DatasetFormatError` if the file ends inside an element (a truncated download);
    ``loadmat(variable_names=...)`` would silently return the variables before the cut."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(128)
            if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
                return  # not a v5 file: loadmat says what is wrong with it
            order = "<" if header[126:128] == b"IM" else ">"
            position = 128
            while position < size:
                handle.seek(position)
                tag = handle.read(8)
                if len(tag) < 8:
                    position += 8
                    break
                kind, nbytes = struct.unpack(order + "II", tag)
                if kind >> 16:  # small data element, packed into its 8-byte tag
                    position += 8
                    continue
                position += 8 + nbytes
                if kind != 15:  # miMATRIX and friends are padded to 8 bytes; miCOMPRESSED is not
                    position += -nbytes % 8
    except FileNotFoundError as error:
        raise DatasetFormatError(f"amigos: {path} is missing; it was there when the dataset was loaded") from error
    except OSError as error:
        raise DatasetFormatError(f"amigos: {path} cannot be read ({error})") from error
    if position > size:
        raise DatasetFormatError(
            f"amigos: {path} is not a readable MATLAB file: it is truncated ({size} bytes, but its variables "
            f"need {position}); download it again")


def _cells(variables: dict, name: str, path: Path) -> list:
    value = variables[name]
    if not isinstance(value, np.ndarray) or value.dtype != object:
        raise DatasetFormatError(
            f"amigos: {path}: {name} is {type(value).__name__} {getattr(value, 'dtype', '')}; expected a 1 x 20 cell array")
    return list(value.ravel(order="F"))


def _video_name(cell) -> str:
    array = np.asarray(cell)
    if array.size == 0:
        return ""
    if array.dtype.kind in "US":
        return "".join(str(x) for x in array.ravel()).strip()
    number = float(array.ravel()[0])
    return str(int(number)) if number.is_integer() else str(number)


def _rating_row(cell, path: Path, trial: int) -> np.ndarray | None:
    array = np.asarray(cell)
    if array.size == 0:
        return None
    try:
        values = array.astype(np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise DatasetFormatError(f"amigos: {path}: labels_selfassessment cell {trial} is not numeric") from error
    if values.size != len(SELF_ASSESSMENT):
        raise DatasetFormatError(
            f"amigos: {path}: labels_selfassessment cell {trial} has {values.size} values; expected 12 "
            f"({', '.join(SELF_ASSESSMENT)})")
    where = f"{path} labels_selfassessment cell {trial}"
    for k, name in enumerate(RATINGS):  # NaN (not answered) is handled by the caller
        check_scale(values[k:k + 1], RATING_SCALE, where, name, dataset="amigos", ids=[trial], id_name="trial",
                    scale_name="1-9 self-assessment", tolerance=0)
    for k, name in enumerate(EMOTIONS, start=len(RATINGS)):
        if np.isfinite(values[k]) and values[k] not in EMOTION_VALUES:
            raise DatasetFormatError(f"amigos: {where}: column {name!r}, trial {trial}: {values[k]:g} is not one of "
                                     "the documented values 0, 1 (emotion not felt / felt)")
    return values


def _annotation_table(cell) -> pd.DataFrame:
    columns = ["segment", "valence", "arousal"]
    array = np.asarray(cell, dtype=np.float64) if cell is not None else np.zeros((0, 3))
    if array.ndim != 2 or array.shape[1] < 3:
        return pd.DataFrame(columns=columns, dtype=float)
    return pd.DataFrame(array[:, :3], columns=columns)


@functools.lru_cache(maxsize=1)
def _cached_trials(path: str, mtime_ns: int, size: int) -> tuple[list, list | None]:
    """One participant's signal cells (and external annotations), kept while consecutive items use the file."""
    content = _read_mat(Path(path), ["joined_data"], optional=["labels_ext_annotation"])
    joined = _cells(content, "joined_data", Path(path))
    annotations = _cells(content, "labels_ext_annotation", Path(path)) if "labels_ext_annotation" in content else None
    return joined, annotations
