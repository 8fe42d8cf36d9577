"""DEAM (MediaEval Database for Emotional Analysis in Music): song-level and 2 Hz valence/arousal.

What
    1,802 pieces from freemusicarchive.org, jamendo and medleyDB, rated by crowd workers:
    744 45-second excerpts (MediaEval 2013, song ids 1-1000), 1,000 excerpts (2014, ids
    1001-2000) and 58 full songs (2015, ids 2001-2058). Static (whole-piece) ratings on the
    1-9 scale, and dynamic ratings in [-1, 1] every 0.5 s from 15 s into the piece (the
    first 15 s are left out because ratings were unstable there).

Labels
    ``valence_mean``, ``valence_std``, ``arousal_mean``, ``arousal_std`` as in the release
    (1-9; the 2015 file adds ``*_max_mean``/``*_min_mean`` ... columns, NaN for the other
    songs). The label-table columns (``valence``, ``arousal``, ``quadrant`` ...) are taken
    from the means directly (already 1-9). ``subset`` is "2013", "2014" or "2015" by song id
    (the MediaEval campaign the piece came from; not an official train/test split).

Items (``ds[i]``)
    ``audio`` (float32 mono, decoded lazily; most files are 44.1 kHz stereo, a few 48/22.05/
    16 kHz or mono: pass ``sr=`` for one rate) and ``sr``; ``valence_curve`` /
    ``arousal_curve`` (float32, the dynamic [-1, 1] averages rescaled linearly to 1-9:
    -1 -> 1, 0 -> 5, 1 -> 9; empty when the song has no dynamic row), ``curve_sr`` (2.0)
    and ``curve_start`` (seconds of the first value, 15.0).

Quirks handled
    * The static CSV headers carry leading spaces (``song_id, valence_mean, ...``) and the
      2015 file has ``valence_ max_mean``: all whitespace is removed from column names.
    * Static labels come in two files (songs 1-2000 and 2000-2058) with different columns.
    * The dynamic CSVs are one row per song with columns ``sample_15000ms``,
      ``sample_15500ms`` ...; shorter pieces end in empty cells, which are trimmed.

Official layout (``DEAM_Annotations.zip`` and ``DEAM_audio.zip`` unpacked into ``root``;
the Kaggle copy's extra ``DEAM_Annotations/`` and ``DEAM_audio/`` folders are accepted)::

    annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv
    annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_2000_2058.csv
    annotations/annotations averaged per song/dynamic (per second annotations)/arousal.csv, valence.csv
    MEMD_audio/{song_id}.mp3

Citation: Aljanaki, A., Yang, Y.-H., & Soleymani, M. (2017). Developing a benchmark for
emotional analysis of music. PLoS ONE, 12(3), e0173392. Used in chapter 08.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import check_scale, numeric_column, read_audio, read_csv_text
from mer_lessons.data.labels import LABEL_COLUMNS, label_table, rescale

NAME = "deam"
#: Range of DEAM's dynamic (per 0.5 s) annotations, rescaled to 1-9 for the curves.
DYNAMIC_RANGE = (-1.0, 1.0)
#: Range of the static (song-level) ratings: already the 1-9 scale.
STATIC_RANGE = (1.0, 9.0)
CURVE_SR = 2.0

AVERAGED = Path("annotations averaged per song")
STATIC_FILES = ("static_annotations_averaged_songs_1_2000.csv", "static_annotations_averaged_songs_2000_2058.csv")
_STATIC_REQUIRED = ("song_id", "valence_mean", "valence_std", "arousal_mean", "arousal_std")
_SAMPLE_COLUMN = re.compile(r"^sample_(\d+)ms$")


def _column_name(name: str) -> str:
    """Remove every whitespace character from a column name (' valence_ max_mean' -> 'valence_max_mean')."""
    return re.sub(r"\s+", "", name)


def _read_csv(path: Path, expected: str) -> pd.DataFrame:
    return read_csv_text(path, dataset=NAME, expected=expected, encodings=("utf-8-sig",), errors="strict",
                         column_name=_column_name, dtype=None, keep_default_na=True, skipinitialspace=True)


def _find(root: Path, relatives) -> Path | None:
    for relative in relatives:
        candidate = root / relative
        if candidate.exists():
            return candidate
    return None


def subset_of(song_id: int) -> str:
    """MediaEval campaign a DEAM song id belongs to: '2013' (1-1000), '2014' (1001-2000), '2015' (2001-).

    Taught in ``04_emotion_models_and_datasets``.
    """
    return "2013" if song_id <= 1000 else "2014" if song_id <= 2000 else "2015"


def _static(averaged: Path) -> pd.DataFrame:
    level = averaged / "song_level"
    frames = []
    for index, filename in enumerate(STATIC_FILES):
        path = level / filename
        if index > 0 and not path.is_file():
            continue                   # the 2015 file is optional: 1,744 songs without it
        frame = _read_csv(path, "columns song_id, valence_mean, valence_std, arousal_mean, arousal_std (1-9)")
        missing = [c for c in _STATIC_REQUIRED if c not in frame.columns]
        if missing:
            raise DatasetFormatError(f"{NAME}: {path} lacks columns {missing}; found {list(frame.columns)}")
        for column in frame.columns:  # empty cells (the 2015-only columns) are NaN; other text raises
            frame[column] = numeric_column(frame, column, path, dataset=NAME)
        bad = frame[["song_id", "valence_mean", "arousal_mean"]].isna().any(axis=1)
        if bad.any():
            lines = (np.flatnonzero(bad.to_numpy()) + 2).tolist()[:5]
            raise DatasetFormatError(f"{NAME}: {path} has missing song_id/valence_mean/arousal_mean values "
                                     f"(lines {lines}); is the file truncated?")
        for column in ("valence_mean", "arousal_mean"):
            check_scale(frame[column], STATIC_RANGE, path, column, dataset=NAME, ids=frame["song_id"].astype(int),
                        id_name="song_id", scale_name="1-9 static", tolerance=0)
        frame["song_id"] = frame["song_id"].astype(int)
        frame["annotation_file"] = filename
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True, sort=False)
    duplicated = table["song_id"].duplicated()
    if duplicated.any():
        warnings.warn(f"{NAME}: song ids listed in both static files, keeping the first: "
                      f"{table.loc[duplicated, 'song_id'].tolist()[:10]}", stacklevel=3)
        table = table[~duplicated]
    return table.sort_values("song_id").reset_index(drop=True)


def _dynamic(path: Path) -> dict[int, tuple[np.ndarray, float]]:
    """song_id -> (values in [-1, 1] with trailing empty cells trimmed, time of the first value)."""
    frame = _read_csv(path, "one row per song: song_id, sample_15000ms, sample_15500ms, ... (values in [-1, 1])")
    if "song_id" not in frame.columns:
        raise DatasetFormatError(f"{NAME}: {path} has no 'song_id' column; found {list(frame.columns)[:5]} ...")
    times = {}
    for column in frame.columns:
        match = _SAMPLE_COLUMN.match(column)
        if match:
            times[column] = int(match.group(1)) / 1000.0
    if not times:
        raise DatasetFormatError(f"{NAME}: {path} has no 'sample_<ms>ms' columns; expected sample_15000ms, ...")
    columns = sorted(times, key=times.get)
    ids = numeric_column(frame, "song_id", path, dataset=NAME, integer=True)
    values = np.column_stack([numeric_column(frame, column, path, dataset=NAME, ids=frame["song_id"], id_name="song_id")
                              .to_numpy() for column in columns])   # empty cells (shorter songs) are NaN
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < DYNAMIC_RANGE[0] - 1e-6 or finite.max() > DYNAMIC_RANGE[1] + 1e-6):
        for index, column in enumerate(columns):
            check_scale(values[:, index], DYNAMIC_RANGE, path, column, dataset=NAME, ids=frame["song_id"],
                        id_name="song_id", scale_name="[-1, 1] dynamic")
    out = {}
    for song_id, row in zip(ids, values):
        if not np.isfinite(song_id):
            continue
        present = np.flatnonzero(np.isfinite(row))
        if present.size == 0:
            out[int(song_id)] = (np.zeros(0), float("nan"))
            continue
        first, last = present[0], present[-1]
        out[int(song_id)] = (row[first:last + 1], times[columns[first]])
    return out


@register_loader(NAME)
def load_deam(root, *, sr: int | None = None, curves: bool = True) -> Dataset:
    """Load DEAM from ``root`` (the folder holding ``annotations/`` and ``MEMD_audio/``).

    Parameters
    ----------
    sr : resample the audio to this rate (default: each file's own rate).
    curves : read the dynamic annotations (``valence_curve``, ``arousal_curve`` in each item).

    ``meta``: ``id`` (the song id as a string), ``song_id``, ``subset``, the static label
    columns of the release, ``audio_file``, ``n_curve_frames`` and the label-table columns.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "deam")
    averaged = _find(root, (Path("annotations") / AVERAGED, Path("DEAM_Annotations") / "annotations" / AVERAGED,
                            AVERAGED))
    if averaged is None:
        raise DatasetFormatError(f"{NAME}: {root} does not hold DEAM's annotations; expected "
                                 f"{root / 'annotations' / AVERAGED / 'song_level' / STATIC_FILES[0]} "
                                 "(unzip DEAM_Annotations.zip here)")
    table = _static(averaged)

    dynamic: dict[str, dict] = {"valence": {}, "arousal": {}}
    dynamic_dir = averaged / "dynamic (per second annotations)"
    if curves and dynamic_dir.is_dir():
        for dimension in dynamic:
            dynamic[dimension] = _dynamic(dynamic_dir / f"{dimension}.csv")

    audio_dir = _find(root, (Path("MEMD_audio"), Path("DEAM_audio") / "MEMD_audio")) or root / "MEMD_audio"

    def audio_file(song_id: int) -> str:
        for suffix in (".mp3", ".wav"):
            if (audio_dir / f"{song_id}{suffix}").is_file():
                return f"{song_id}{suffix}"
        return f"{song_id}.mp3"

    table.insert(0, "id", table["song_id"].astype(str))
    table.insert(2, "subset", [subset_of(s) for s in table["song_id"]])
    table["audio_file"] = [audio_file(s) for s in table["song_id"]]
    table["n_curve_frames"] = [min(len(dynamic[d][s][0]) if s in dynamic[d] else 0 for d in dynamic)
                               for s in table["song_id"]]
    labels = label_table(table["valence_mean"], table["arousal_mean"])
    meta = pd.concat([table.reset_index(drop=True), labels], axis=1)
    empty = np.zeros(0, dtype=np.float32)

    def load_item(row: pd.Series) -> dict:
        song_id = int(row["song_id"])
        audio, rate = read_audio(audio_dir / row["audio_file"], sr=sr)
        item = {"audio": audio, "sr": rate}
        if curves:
            valence, start = dynamic["valence"].get(song_id, (empty, float("nan")))
            arousal, _ = dynamic["arousal"].get(song_id, (empty, float("nan")))
            item.update({
                "valence_curve": rescale(valence, DYNAMIC_RANGE).astype(np.float32),
                "arousal_curve": rescale(arousal, DYNAMIC_RANGE).astype(np.float32),
                "curve_sr": CURVE_SR, "curve_start": start,
            })
        return item

    return Dataset(NAME, meta, load_item,
                   label_columns=LABEL_COLUMNS + ("valence_mean", "arousal_mean", "valence_std", "arousal_std"),
                   root=root)
