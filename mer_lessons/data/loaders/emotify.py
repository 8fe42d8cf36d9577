"""Emotify: emotion *induced* by music, on the nine GEMS categories, from a crowdsourcing game.

400 one-minute excerpts, 100 per genre (classical, rock, pop, electronic). Each player
listened to an excerpt and ticked the GEMS categories (Geneva Emotional Music Scales) they
*felt*: amazement, solemnity, tenderness, nostalgia, calmness, power, joyful activation,
tension, sadness. ``data.csv`` holds one row per rating (no player identifier), with the
player's mood before the game, whether they liked or disliked the excerpt, age, gender and
mother tongue. Chapter ``09`` (emotion categories beyond valence/arousal) uses it.

Official layout (``data.csv`` and ``emotifymusic.zip`` unpacked beside it; the genre
folders may sit in ``emotifymusic/``)::

    data.csv
    classical/1.mp3 ... classical/100.mp3
    rock/1.mp3 ... / pop/... / electronic/...

Header of ``data.csv``: ``track id, genre, amazement, solemnity, tenderness, nostalgia,
calmness, power, joyful_activation, tension, sadness, mood, liked, disliked, age, gender,
mother tongue`` -- every name after the first starts with a space, and so may the values.

Quirks handled:

* **Leading spaces** in header names and values (``" genre"``, ``" classical"``): stripped;
  ``"track id"``/``"mother tongue"`` become ``track_id``/``mother_tongue``.
* **File names.** Track ids run 1-400 in blocks of 100 per genre and each genre folder numbers
  its files 1-100, so track ``t`` of genre ``g`` is ``g/((t - 1) % 100 + 1).mp3`` (track 101 of
  the electronic block is ``electronic/1.mp3``). The genre comes from ``data.csv``.
* **Aggregation.** ``ds.meta`` has one row per track: for each GEMS category the *share* of
  its raters who ticked it (0-1), ``n_raters``, the share who liked / disliked it, and
  ``dominant_gems`` (the category with the largest share; ties go to the first in GEMS
  order). The raw table, one row per rating, is ``ds.ratings``; ``per_participant=True``
  makes the items the ratings themselves (id ``"{track}_{k}"``).
* **Missing audio / unrated files**: a rated track without its mp3 has ``has_audio`` False
  (loading it raises :class:`DatasetFormatError`, so ``ds.validate()`` lists it;
  ``require_audio=True`` drops it); an mp3 that no row rates is reported in ``ds.skipped``.
* A GEMS cell that is not 0/1, or a track whose genre changes between rows, raises
  :class:`DatasetFormatError` naming ``data.csv`` and the line.

Citation: Aljanaki, A., Wiering, F., & Veltkamp, R. C. (2016). Studying emotion induced by
music through a crowdsourcing game. Information Processing & Management, 52(1), 115-128.
"""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, option_names, register_loader, require_root, warn_skipped
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import decode_text, find_dataset_root, numeric_column, parse_csv_text, read_audio

#: The nine GEMS categories, in the order of ``data.csv``.
GEMS = ("amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power",
        "joyful_activation", "tension", "sadness")
GENRES = ("classical", "rock", "pop", "electronic")
#: The documented answers of the GEMS, liked and disliked columns: ticked (1) or not (0).
ANSWER_SCALE = (0, 1)
#: Columns of ``data.csv`` after stripping spaces and replacing inner spaces by ``_``.
COLUMNS = ("track_id", "genre", *GEMS, "mood", "liked", "disliked", "age", "gender", "mother_tongue")
AUDIO_FOLDERS = ("", "emotifymusic")


def audio_file_number(track_id: int) -> int:
    """The number of a track's mp3 inside its genre folder: ``(track_id - 1) % 100 + 1``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    return (int(track_id) - 1) % 100 + 1


def _find_root(root: Path) -> Path:
    return find_dataset_root(root, lambda folder: (folder / "data.csv").exists(), dataset="emotify",
                             marker="data.csv", expected="the ratings file data.csv and the genre folders of "
                             "emotifymusic.zip")


def _column_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def read_ratings(path: Path) -> pd.DataFrame:
    """``data.csv`` as a clean table, one row per rating (see :data:`COLUMNS`).

    Taught in ``04_emotion_models_and_datasets``.
    """
    text, _ = decode_text(path.read_bytes())
    table = parse_csv_text(text, path, dataset="emotify", column_name=_column_name, skipinitialspace=True)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DatasetFormatError(f"{path}: missing column(s) {missing}; expected the header "
                                 "'track id, genre, amazement, ..., mother tongue'")
    lines = np.arange(len(table)) + 2
    widths = [len(fields) for fields in csv.reader(StringIO(text)) if fields]
    short = [k for k, width in enumerate(widths[1:]) if width < widths[0]]  # pandas pads them with ""
    if short:
        raise DatasetFormatError(f"{path}, line {short[0] + 2}: {widths[short[0] + 1]} fields, fewer than the "
                                 f"header's {widths[0]}; is the file truncated?")
    table = table[list(COLUMNS)].apply(lambda column: column.str.strip())
    table["genre"] = table["genre"].str.lower()
    track = numeric_column(table, "track_id", path, dataset="emotify", allow_missing=False, integer=True,
                           ids=lines, id_name="line")
    table["track_id"] = track.astype(np.int64)
    bad_genre = ~table["genre"].isin(GENRES)
    if bad_genre.any():
        line = lines[np.flatnonzero(bad_genre)[0]]
        raise DatasetFormatError(f"{path}, line {line}: genre {table['genre'][line - 2]!r} is not one of {GENRES}")
    for column in (*GEMS, "liked", "disliked"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = ~values.isin(ANSWER_SCALE)
        if bad.any():
            line = lines[np.flatnonzero(bad)[0]]
            raise DatasetFormatError(f"{path}, line {line}: {column!r} must be 0 or 1, got {table[column][line - 2]!r} "
                                     f"(the documented 0/1 answers)")
        table[column] = values.astype(np.int64)
    for column in ("mood", "age", "gender"):  # empty cells become NaN; other text raises
        table[column] = numeric_column(table, column, path, dataset="emotify", ids=lines, id_name="line")
    genres_per_track = table.groupby("track_id")["genre"].nunique()
    if (genres_per_track > 1).any():
        track_id = int(genres_per_track[genres_per_track > 1].index[0])
        raise DatasetFormatError(f"{path}: track {track_id} is listed under more than one genre")
    table.insert(0, "rating", np.arange(len(table)))
    return table


def _audio_folder(root: Path) -> Path:
    """The folder holding the genre folders: ``root`` or ``root/emotifymusic``."""
    return next((root / f for f in AUDIO_FOLDERS if any((root / f / g).is_dir() for g in GENRES)), root)


@register_loader("emotify")
def load_emotify(root, *, per_participant: bool = False, genres=None, require_audio: bool = False,
                 sr: int | None = None) -> Dataset:
    """Load Emotify from ``root`` (``data.csv`` + genre folders; see the module docstring).

    Parameters
    ----------
    per_participant : False (default) = one item per track with the share of raters per GEMS
        category; True = one item per rating row, with that player's 0/1 answers.
    genres : keep only these genres (a name or a list); None = all four.
    require_audio : drop tracks whose mp3 is missing.
    sr : resample the audio to this rate (default: the file's, 44.1 kHz in the release).

    Returns a :class:`Dataset`. Track-level ``meta``: ``id`` (the track id as a string),
    ``track_id, genre``, the nine GEMS shares, ``n_raters, liked, disliked, dominant_gems,
    audio_path, has_audio``. Labels: the nine GEMS columns and ``dominant_gems``. Items:
    ``audio`` (float32 mono) and ``sr``. ``ds.ratings`` is the per-rating table (columns
    ``rating, track_id, genre``, the GEMS 0/1 answers, ``mood, liked, disliked, age, gender,
    mother_tongue``); ``ds.skipped`` lists mp3 files that no rating refers to.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = _find_root(require_root(root, "emotify"))
    ratings = read_ratings(root / "data.csv")
    if genres is not None:
        wanted = option_names(genres, GENRES, dataset="emotify", what="genre")
        ratings = ratings[ratings["genre"].isin(wanted)].reset_index(drop=True)

    grouped = ratings.groupby("track_id", sort=True)
    tracks = grouped[list(GEMS)].mean()
    tracks.insert(0, "genre", grouped["genre"].first())
    tracks["n_raters"] = grouped.size()
    tracks["liked"] = grouped["liked"].mean()
    tracks["disliked"] = grouped["disliked"].mean()
    tracks["dominant_gems"] = [GEMS[int(np.argmax(row))] for row in tracks[list(GEMS)].to_numpy()]
    tracks = tracks.reset_index()
    audio_folder = _audio_folder(root)
    paths = [audio_folder / genre / f"{audio_file_number(t)}.mp3"
             for t, genre in zip(tracks["track_id"], tracks["genre"])]
    tracks["audio_path"] = [str(p) for p in paths]
    tracks["has_audio"] = [p.exists() for p in paths]
    tracks.insert(0, "id", tracks["track_id"].astype(str))

    expected = {Path(p).resolve() for p in paths}
    skipped = []
    for genre in GENRES if genres is None else sorted(set(ratings["genre"])):
        for mp3 in sorted((audio_folder / genre).glob("*.mp3")):
            if mp3.resolve() not in expected and not mp3.name.startswith("._"):
                skipped.append((f"{genre}/{mp3.name}", "no rating in data.csv"))
    warn_skipped(skipped, "emotify", "audio file(s) have no rating and are skipped")
    if require_audio:
        tracks = tracks[tracks["has_audio"]].reset_index(drop=True)

    def load_item(row: pd.Series) -> dict:
        path = Path(row["audio_path"])
        if not path.exists():
            raise DatasetFormatError(f"emotify: {path} is missing; expected the mp3 of track {row['track_id']} "
                                     f"({row['genre']}) from emotifymusic.zip")
        samples, rate = read_audio(path, sr=sr)
        return {"audio": samples, "sr": rate}

    if per_participant:
        keep = ratings[ratings["track_id"].isin(tracks["track_id"])].copy()
        info = tracks.set_index("track_id")[["audio_path", "has_audio"]]
        keep["audio_path"] = info.loc[keep["track_id"], "audio_path"].to_numpy()
        keep["has_audio"] = info.loc[keep["track_id"], "has_audio"].to_numpy()
        keep.insert(0, "id", [f"{t}_{k}" for t, k in zip(keep["track_id"], keep.groupby("track_id").cumcount())])
        meta, labels = keep.reset_index(drop=True), (*GEMS,)
    else:
        meta, labels = tracks, (*GEMS, "dominant_gems")
    ds = Dataset("emotify", meta, load_item, label_columns=labels, root=root)
    ds.ratings = ratings
    ds.skipped = skipped
    return ds
