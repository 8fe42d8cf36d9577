"""The 4Q audio emotion dataset (Panda, Malheiro & Paiva, 2018): 900 clips in Russell's quadrants.

900 clips of about 30 s from the AllMusic API, in the quadrants of Russell's circumplex:
Q1 = positive valence, high arousal; Q2 = negative valence, high arousal; Q3 = negative
valence, low arousal; Q4 = positive valence, low arousal. Quadrants were derived from
AllMusic mood tags matched against Warriner's affective norms (see the paper).
Chapter ``08`` (audio features for emotion) uses it.

Official layout (``MER_audio_taffc_dataset.zip`` unpacked; the single top folder
``MER_audio_taffc_dataset/`` is found)::

    Q1/MT0000004637.mp3 ...  Q2/...  Q3/...  Q4/...
    panda_dataset_taffc_metadata.csv     # Song, Artist, Title, Quadrant, PQuad, MoodsTotal,
                                         # Moods, MoodsFoundStr, MoodsStr, MoodsStrSplit,
                                         # Genres, GenresStr, Sample, SampleURL (quoted)
    panda_dataset_taffc_annotations.csv  # Song, Quadrant
    readme.txt

Labels: ``quadrant`` (the annotation) and ``high_valence`` / ``high_arousal`` derived from
it (Q1: 1/1, Q2: 0/1, Q3: 0/0, Q4: 1/0). **There are no valence or arousal numbers in this
dataset**, so the ``labels.label_table`` columns (valence, arousal, polarity, ...) are not
offered: inventing numbers from a quadrant would be fabricating data.

Quirks handled:

* A CSV row whose mp3 is missing keeps its row with ``has_audio`` False (loading it raises
  :class:`DatasetFormatError`, so ``ds.validate()`` lists it; ``require_audio=True`` drops it).
* An mp3 with no CSV row, or in a folder other than its CSV quadrant, is reported by name in
  ``ds.skipped`` (with a warning) and is not an item.
* The metadata CSV is read as UTF-8, else cp1252 (artist and title names are not ASCII);
  if it is absent the annotations CSV (Song, Quadrant) is used, without artist and title.

Citation: Panda, R., Malheiro, R., & Paiva, R. P. (2018). Novel audio features for music
emotion recognition. IEEE Transactions on Affective Computing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, option_names, register_loader, require_root, warn_skipped
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import find_dataset_root, numeric_column, read_audio, read_csv_text

#: The documented labels of the ``Quadrant`` column: Russell's quadrants.
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
METADATA = "panda_dataset_taffc_metadata.csv"
ANNOTATIONS = "panda_dataset_taffc_annotations.csv"
#: quadrant -> (high_valence, high_arousal)
QUADRANT_VA = {"Q1": (1, 1), "Q2": (0, 1), "Q3": (0, 0), "Q4": (1, 0)}
#: Metadata column -> ``ds.meta`` column.
COLUMNS = {
    "Song": "song", "Artist": "artist", "Title": "title", "Quadrant": "quadrant", "PQuad": "pquad",
    "MoodsTotal": "moods_total", "Moods": "moods", "MoodsFoundStr": "moods_found", "MoodsStr": "moods_str",
    "MoodsStrSplit": "moods_split", "Genres": "genres", "GenresStr": "genres_str", "Sample": "sample",
    "SampleURL": "sample_url",
}
_SONG = re.compile(r"^[A-Za-z]+\d+$")


def _find_root(root: Path) -> Path:
    return find_dataset_root(root, lambda folder: (folder / METADATA).exists() or (folder / ANNOTATIONS).exists(),
                             dataset="4q", marker=f"{METADATA} (or {ANNOTATIONS})",
                             expected="the unpacked MER_audio_taffc_dataset.zip (folders Q1-Q4 and the metadata CSV)")


def _read_csv(path: Path) -> pd.DataFrame:
    table = read_csv_text(path, dataset="4q", column_name=lambda name: name.strip().strip('"'), strip_values=True,
                          skipinitialspace=True)
    if "Song" not in table.columns or "Quadrant" not in table.columns:
        raise DatasetFormatError(f"{path}: expected the columns 'Song' and 'Quadrant', got {list(table.columns)[:6]}")
    return table


@register_loader("4q")
def load_fourq(root, *, quadrants=None, require_audio: bool = False, sr: int | None = None) -> Dataset:
    """Load the 4Q dataset from ``root`` (see the module docstring for the layout).

    Parameters
    ----------
    quadrants : keep only these quadrants (``"Q1"`` or a list); None = all four.
    require_audio : drop CSV rows whose mp3 is missing.
    sr : resample the audio to this rate (default: the file's rate).

    Returns a :class:`Dataset`: ``meta`` has ``id`` (the AllMusic song id, e.g.
    ``MT0000004637``), ``quadrant, high_valence, high_arousal, artist, title``, the other
    metadata columns in snake case (``pquad, moods_split, genres_str, sample_url`` ...),
    ``audio_path, has_audio``. Items: ``audio`` (float32 mono) and ``sr``. Labels:
    ``quadrant, high_valence, high_arousal``. ``ds.skipped`` lists mp3 files without a
    matching CSV row, ``(file, reason)``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = _find_root(require_root(root, "4q"))
    source = root / METADATA if (root / METADATA).exists() else root / ANNOTATIONS
    table = _read_csv(source)
    table = table.rename(columns={k: v for k, v in COLUMNS.items() if k in table.columns})
    for column in ("artist", "title"):
        if column not in table.columns:
            table[column] = ""
    table["quadrant"] = table["quadrant"].str.upper()
    bad = ~table["quadrant"].isin(QUADRANTS)
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2
        raise DatasetFormatError(f"{source}, line {line}: quadrant {table['quadrant'][line - 2]!r} "
                                 f"is not one of {QUADRANTS}")
    bad = ~table["song"].str.match(_SONG)
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2
        raise DatasetFormatError(f"{source}, line {line}: song id {table['song'][line - 2]!r} is not like MT0000004637")
    if table["song"].duplicated().any():
        twice = table.loc[table["song"].duplicated(), "song"].tolist()[:5]
        raise DatasetFormatError(f"{source}: song id(s) listed twice: {twice}")
    lines = np.arange(len(table)) + 2
    spelled = {v: k for k, v in COLUMNS.items()}  # meta column -> the file's column, for messages
    for column in ("pquad",):  # empty cells become NaN; other text raises
        if column in table.columns:
            table[column] = numeric_column(table, column, source, dataset="4q", ids=lines, id_name="line",
                                           name=spelled[column])
    for column in ("moods_total", "moods", "genres", "sample"):
        if column in table.columns:
            table[column] = numeric_column(table, column, source, dataset="4q", integer=True, ids=lines,
                                           id_name="line", name=spelled[column]).astype("Int64")

    paths = [root / q / f"{song}.mp3" for song, q in zip(table["song"], table["quadrant"])]
    table["audio_path"] = [str(p) for p in paths]
    table["has_audio"] = [p.exists() for p in paths]
    table["high_valence"] = [QUADRANT_VA[q][0] for q in table["quadrant"]]
    table["high_arousal"] = [QUADRANT_VA[q][1] for q in table["quadrant"]]
    first = ["song", "quadrant", "high_valence", "high_arousal", "artist", "title"]
    meta = table[first + [c for c in table.columns if c not in first]].copy()
    meta.insert(0, "id", meta.pop("song"))

    where = dict(zip(meta["id"], meta["quadrant"]))
    skipped = []
    for quadrant in QUADRANTS:
        for mp3 in sorted((root / quadrant).glob("*.mp3")):
            if mp3.name.startswith("._"):
                continue  # macOS resource-fork files
            listed = where.get(mp3.stem)
            if listed is None:
                skipped.append((f"{quadrant}/{mp3.name}", f"no row in {source.name}"))
            elif listed != quadrant:
                skipped.append((f"{quadrant}/{mp3.name}", f"{source.name} puts it in {listed}"))
    warn_skipped(skipped, "4q", "audio file(s) without a matching CSV row are skipped")

    if quadrants is not None:
        meta = meta[meta["quadrant"].isin(option_names(quadrants, QUADRANTS, dataset="4q", what="quadrant"))]
    if require_audio:
        meta = meta[meta["has_audio"]]
    meta = meta.reset_index(drop=True)

    def load_item(row: pd.Series) -> dict:
        path = Path(row["audio_path"])
        if not path.exists():
            raise DatasetFormatError(f"4q: {path} is missing; expected the clip of {row['id']} "
                                     f"in folder {row['quadrant']}/")
        samples, rate = read_audio(path, sr=sr)
        return {"audio": samples, "sr": rate}

    ds = Dataset("4q", meta, load_item, label_columns=("quadrant", "high_valence", "high_arousal"), root=root)
    ds.skipped = skipped
    return ds
