"""PMEmo (2019 release): pop-song choruses with valence/arousal, lyrics and listeners' EDA.

What
    794 chorus clips of Western pop songs (Billboard Hot 100, iTunes Top 100, UK Top 40,
    2016-2017) rated for valence and arousal by at least 10 listeners each, with the
    listeners' electrodermal activity (EDA, skin conductance at 50 Hz) recorded while they
    listened, and the songs' lyrics as LRC files. 767 songs have static (whole-clip)
    labels; the loader's items are those 767 songs.

Labels
    ``annotations/static_annotations.csv`` (``musicId, Arousal(mean), Valence(mean)``) on
    [0, 1]; the loader keeps them as ``arousal_mean_01`` / ``valence_mean_01`` (and the
    ``..._std_01`` columns from ``static_annotations_std.csv`` when present) and rescales
    the means linearly [0, 1] -> [1, 9] (0 -> 1, 0.5 -> 5, 1 -> 9) for the course's label
    schemes (:func:`mer_lessons.data.labels.label_table`: valence, arousal, quadrant ...).
    ``annotations/dynamic_annotations.csv`` (``musicId, frameTime, Arousal(mean),
    Valence(mean)``) gives 2 Hz curves that start at 15.5 s into the clip (the first 15 s
    are not annotated); they are rescaled the same way.

Items (``ds[i]``)
    ``audio`` (float32 mono, the chorus MP3, decoded lazily) and ``sr`` (44100 unless
    ``sr=`` resamples); ``lyrics`` (str: the lyric lines in time order, credit lines such
    as "作词 : ..." and empty lines removed; "" when the song has no LRC file) and
    ``lyrics_lines`` (list of ``(time_s, line)``); ``valence_curve`` / ``arousal_curve``
    (float32, 1-9; empty when the song has no dynamic rows), ``curve_sr`` (2.0) and
    ``curve_start`` (seconds of the first frame, 15.5 in the release); with ``eda=True``
    ``eda`` (float32, ``(listeners, samples)``; NaN where a listener's trace is shorter
    than the file), ``eda_subjects`` (the listener ids, the CSV's column names) and
    ``gsr_sr`` (Hz, from the file's ``time(s)`` column; 50 in the release).

Official layout (the ``PMEmo2019`` folder of the download; ``root`` may be that folder or
its parent)::

    PMEmo2019/metadata.csv                 musicId, fileName, title, artist, album, duration,
                                           chorus_start_time, chorus_end_time
    PMEmo2019/annotations/static_annotations.csv      (+ static_annotations_std.csv)
    PMEmo2019/annotations/dynamic_annotations.csv     (+ dynamic_annotations_std.csv)
    PMEmo2019/chorus/{musicId}.mp3
    PMEmo2019/lyrics/{musicId}.lrc         not every song has one
    PMEmo2019/EDA/{musicId}_EDA.csv        time(s), then one column per listener id

Citation: Zhang, K., Zhang, H., Li, S., Yang, C., & Sun, L. (2018). The PMEmo dataset for
music emotion recognition. ICMR. Used in chapter 09 (lyrics and physiology with audio).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import check_scale, numeric_column, read_audio, read_csv_text
from mer_lessons.data.labels import LABEL_COLUMNS, label_table, rescale

NAME = "pmemo"
#: Source range of PMEmo's valence/arousal (static and dynamic) before rescaling to 1-9.
SOURCE_RANGE = (0.0, 1.0)
#: Rate of the dynamic annotations (one value per 0.5 s).
CURVE_SR = 2.0

_STATIC_COLUMNS = ("musicId", "Arousal(mean)", "Valence(mean)")
_DYNAMIC_COLUMNS = ("musicId", "frameTime", "Arousal(mean)", "Valence(mean)")
_TIME_TAG = re.compile(r"\[(\d+):(\d+(?:[.:]\d+)?)\]")
_CREDIT = re.compile(r"^\s*(作词|作曲|编曲|词|曲|制作人|监制|混音|Lyricist|Lyrics|Composer|Producer|Arranger)\s*[:：]",
                     re.IGNORECASE)


# --------------------------------------------------------------------------- helpers


def _read_csv(path: Path, expected: str) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM; Latin-1 as a fallback) or raise naming it."""
    return read_csv_text(path, dataset=NAME, expected=expected, encodings=("utf-8-sig", "latin-1"),
                         column_name=None, dtype=None, keep_default_na=True)


def _require_columns(frame: pd.DataFrame, columns, path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetFormatError(f"{NAME}: {path} lacks columns {missing}; expected {list(columns)}, "
                                 f"found {list(frame.columns)}")


def _numeric(frame: pd.DataFrame, columns, path: Path) -> pd.DataFrame:
    """Columns as floats; a missing or non-numeric cell raises naming the file and rows."""
    out = frame.copy()
    for column in columns:
        values = numeric_column(out, column, path, dataset=NAME)   # text in a number's place raises here
        bad = values.isna()
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 2).tolist()[:5]   # +2: header line, 1-based
            raise DatasetFormatError(f"{NAME}: {path} has missing or non-numeric '{column}' values "
                                     f"(lines {rows}); is the file truncated?")
        out[column] = values
    return out


def _base_folder(root: Path) -> Path:
    """The ``PMEmo2019`` folder: ``root`` itself or ``root/PMEmo2019``."""
    for candidate in (root, root / "PMEmo2019"):
        if (candidate / "annotations").is_dir() or (candidate / "metadata.csv").is_file():
            return candidate
    raise DatasetFormatError(f"{NAME}: {root} does not hold the PMEmo2019 release; expected "
                             f"{root}/PMEmo2019/annotations/static_annotations.csv, metadata.csv, chorus/ ...")


def _read_text(path: Path) -> str:
    """Decode a lyrics file: UTF-8 (with or without BOM), then GB18030 (Chinese), then Latin-1."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def parse_lrc(text: str) -> list[tuple[float, str]]:
    """Parse LRC lyrics into ``[(time_s, line), ...]`` sorted by time.

    * ``[mm:ss.xx]text`` lines give one pair; ``[mm:ss.xx][mm:ss.xx]text`` (a repeated
      line) gives one pair per time tag; ``[mm:ss:xx]`` is read like ``[mm:ss.xx]``.
    * ID tags such as ``[ti:...]``, ``[ar:...]``, ``[offset:...]`` and untagged lines are skipped.
    * Credit lines ("作词 : ...", "作曲 : ...", "Composer: ...") and empty lines (instrumental
      gaps) are dropped: they are not lyrics.

    Taught in ``04_emotion_models_and_datasets``.
    """
    pairs: list[tuple[float, str]] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        times = []
        while True:
            match = _TIME_TAG.match(line)
            if not match:
                break
            minutes, seconds = match.group(1), match.group(2).replace(":", ".")
            times.append(int(minutes) * 60 + float(seconds))
            line = line[match.end():]
        words = line.strip()
        if not times or not words or _CREDIT.match(words):
            continue
        pairs.extend((t, words) for t in times)
    pairs.sort(key=lambda pair: pair[0])
    return pairs


def _read_eda(path: Path) -> tuple[np.ndarray, list[str], float]:
    """One song's EDA file -> ``(eda (listeners, samples) float32, listener ids, rate Hz)``."""
    frame = _read_csv(path, "a 'time(s)' column followed by one EDA column per listener")
    if frame.shape[1] < 2:
        raise DatasetFormatError(f"{NAME}: {path} has no listener columns; expected 'time(s)' then one "
                                 "column per listener id")
    time = numeric_column(frame, frame.columns[0], path, dataset=NAME).to_numpy(dtype=np.float64)
    steps = np.diff(time[np.isfinite(time)])
    steps = steps[steps > 0]
    if steps.size == 0:
        raise DatasetFormatError(f"{NAME}: {path}: the first column ('time(s)') does not increase; "
                                 "cannot tell the sampling rate")
    rate = float(np.round(1.0 / np.median(steps), 3))
    subjects = [str(c).strip() for c in frame.columns[1:]]
    values = np.array([numeric_column(frame, column, path, dataset=NAME).to_numpy()   # empty cells: NaN
                       for column in frame.columns[1:]], dtype=np.float32)
    return np.ascontiguousarray(values), subjects, rate


def _curves(dynamic: pd.DataFrame | None) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """musicId -> (valence 1-9, arousal 1-9, first frame time)."""
    if dynamic is None:
        return {}
    out = {}
    for music_id, group in dynamic.sort_values(["musicId", "frameTime"]).groupby("musicId", sort=False):
        valence = rescale(group["Valence(mean)"].to_numpy(), SOURCE_RANGE).astype(np.float32)
        arousal = rescale(group["Arousal(mean)"].to_numpy(), SOURCE_RANGE).astype(np.float32)
        out[int(music_id)] = (valence, arousal, float(group["frameTime"].iloc[0]))
    return out


# --------------------------------------------------------------------------- loader


@register_loader(NAME)
def load_pmemo(root, *, sr: int | None = None, eda: bool = True) -> Dataset:
    """Load PMEmo2019 from ``root`` (the ``PMEmo2019`` folder or its parent).

    Parameters
    ----------
    sr : resample the chorus audio to this rate (default: the file's own, 44100 Hz).
    eda : include the listeners' EDA traces in each item (``eda``, ``eda_subjects``,
        ``gsr_sr``); ``False`` skips reading the EDA files.

    Returns a :class:`~mer_lessons.data.core.Dataset` of the 767 songs with static labels;
    ``meta`` has ``id`` (the musicId as a string), ``music_id``, the metadata columns,
    ``arousal_mean_01``/``valence_mean_01`` (original [0, 1] labels, plus ``*_std_01`` when
    ``static_annotations_std.csv`` is present), ``has_lyrics``, ``has_eda``,
    ``n_curve_frames`` and the label-table columns (valence/arousal rescaled to 1-9).

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "pmemo")
    base = _base_folder(root)
    annotations = base / "annotations"

    static_path = annotations / "static_annotations.csv"
    static = _read_csv(static_path, "columns musicId, Arousal(mean), Valence(mean) (values in [0, 1])")
    _require_columns(static, _STATIC_COLUMNS, static_path)
    static = _numeric(static, _STATIC_COLUMNS, static_path)
    for column in _STATIC_COLUMNS[1:]:
        check_scale(static[column], SOURCE_RANGE, static_path, column, dataset=NAME, ids=static["musicId"].astype(int),
                    id_name="musicId", scale_name="PMEmo [0, 1]")
    static["musicId"] = static["musicId"].astype(int)
    if static["musicId"].duplicated().any():
        dupes = static.loc[static["musicId"].duplicated(), "musicId"].tolist()[:5]
        raise DatasetFormatError(f"{NAME}: {static_path} lists musicIds more than once, e.g. {dupes}")
    table = static.rename(columns={"musicId": "music_id", "Arousal(mean)": "arousal_mean_01",
                                   "Valence(mean)": "valence_mean_01"})

    std_path = annotations / "static_annotations_std.csv"
    if std_path.is_file():
        std = _read_csv(std_path, "columns musicId, Arousal(std), Valence(std)")
        _require_columns(std, ("musicId", "Arousal(std)", "Valence(std)"), std_path)
        std = std.rename(columns={"musicId": "music_id", "Arousal(std)": "arousal_std_01",
                                  "Valence(std)": "valence_std_01"})
        for column, name in (("music_id", "musicId"), ("arousal_std_01", "Arousal(std)"),
                             ("valence_std_01", "Valence(std)")):
            std[column] = numeric_column(std, column, std_path, dataset=NAME, name=name)
        std = std.dropna(subset=["music_id"]).astype({"music_id": int})
        table = table.merge(std[["music_id", "arousal_std_01", "valence_std_01"]], on="music_id", how="left")

    metadata_path = base / "metadata.csv"
    metadata = _read_csv(metadata_path, "columns musicId, fileName, title, artist, album, duration, "
                                        "chorus_start_time, chorus_end_time")
    _require_columns(metadata, ("musicId", "fileName"), metadata_path)
    metadata = _numeric(metadata, ("musicId",), metadata_path)
    metadata["musicId"] = metadata["musicId"].astype(int)
    keep = [c for c in ("musicId", "fileName", "title", "artist", "album", "duration",
                        "chorus_start_time", "chorus_end_time") if c in metadata.columns]
    metadata = metadata[keep].rename(columns={"musicId": "music_id", "fileName": "file_name"})
    table = table.merge(metadata.drop_duplicates("music_id"), on="music_id", how="left")
    table["file_name"] = [name if isinstance(name, str) and name.strip() else f"{mid}.mp3"
                          for name, mid in zip(table["file_name"], table["music_id"])]

    dynamic_path = annotations / "dynamic_annotations.csv"
    dynamic = None
    if dynamic_path.is_file():
        dynamic = _read_csv(dynamic_path, "columns musicId, frameTime, Arousal(mean), Valence(mean)")
        _require_columns(dynamic, _DYNAMIC_COLUMNS, dynamic_path)
        dynamic = _numeric(dynamic, _DYNAMIC_COLUMNS, dynamic_path)
        for column in _DYNAMIC_COLUMNS[2:]:
            check_scale(dynamic[column], SOURCE_RANGE, dynamic_path, column, dataset=NAME, scale_name="PMEmo [0, 1]")
    curves = _curves(dynamic)

    lyrics_dir, eda_dir = base / "lyrics", base / "EDA"
    table["has_lyrics"] = [(lyrics_dir / f"{mid}.lrc").is_file() for mid in table["music_id"]]
    table["has_eda"] = [(eda_dir / f"{mid}_EDA.csv").is_file() for mid in table["music_id"]]
    table["n_curve_frames"] = [len(curves[mid][0]) if mid in curves else 0 for mid in table["music_id"]]
    table.insert(0, "id", table["music_id"].astype(str))

    labels = label_table(rescale(table["valence_mean_01"], SOURCE_RANGE),
                         rescale(table["arousal_mean_01"], SOURCE_RANGE))
    meta = pd.concat([table.reset_index(drop=True), labels], axis=1)
    chorus_dir = base / "chorus"
    empty = np.zeros(0, dtype=np.float32)

    def load_item(row: pd.Series) -> dict:
        music_id = int(row["music_id"])
        audio, rate = read_audio(chorus_dir / row["file_name"], sr=sr)
        lyrics_path = lyrics_dir / f"{music_id}.lrc"
        lines = parse_lrc(_read_text(lyrics_path)) if lyrics_path.is_file() else []
        valence, arousal, start = curves.get(music_id, (empty, empty, float("nan")))
        item = {
            "audio": audio, "sr": rate,
            "lyrics": "\n".join(line for _, line in lines), "lyrics_lines": lines,
            "valence_curve": valence.copy(), "arousal_curve": arousal.copy(),
            "curve_sr": CURVE_SR, "curve_start": start,
        }
        if eda:
            eda_path = eda_dir / f"{music_id}_EDA.csv"
            if eda_path.is_file():
                traces, subjects, rate_eda = _read_eda(eda_path)
            else:
                traces, subjects, rate_eda = np.zeros((0, 0), dtype=np.float32), [], float("nan")
            item.update({"eda": traces, "eda_subjects": subjects, "gsr_sr": rate_eda})
        return item

    return Dataset(NAME, meta, load_item, label_columns=LABEL_COLUMNS + ("valence_mean_01", "arousal_mean_01"),
                   root=root)
