"""VGMIDI: piano arrangements of video-game music, labelled with valence and arousal.

What
    Piano MIDI arrangements of video-game soundtracks (from VGMusic). The labelled part has
    200 pieces, each annotated by 30 listeners along valence and arousal with a web tool;
    ``vgmidi_labelled.csv`` summarises each piece (or each phrase of a piece whose emotion
    changes) as a valence sign and an arousal sign, -1 or +1. The repository also holds
    unlabelled pieces; this loader reads the labelled phrases only.

Labels
    ``valence_sign`` and ``arousal_sign`` (the CSV's -1/+1 values) give Russell quadrants:
    (+1, +1) Q1, (-1, +1) Q2, (-1, -1) Q3, (+1, -1) Q4. For the course's label table the
    signs are placed at the centres of the low and high halves of the 1-9 scale: -1 -> 3,
    +1 -> 7 (:data:`SIGN_TO_SAM`). Only ``quadrant``, ``high_valence``, ``high_arousal`` and
    ``polarity`` carry information then; ``kirar3``/``liu9`` are the nearest prototypes to
    those four points and should be read as such.

Items (``ds[i]``): ``midi_path`` (str) and ``notes`` (DataFrame with ``onset``,
``duration`` (seconds), ``pitch``, ``velocity`` (MIDI numbers), read with pretty_midi,
sorted by onset then pitch; drum notes left out).

Quirks handled
    * ``id`` in the CSV is the piece, not the row: a piece whose emotion changes has one
      row per phrase (``..._0.mid``, ``..._1.mid``) with the same id. Items are the rows;
      their ``id`` is "<piece id>_<phrase>" and ``piece_id`` keeps the CSV's id.
    * File names contain spaces and apostrophes, and do not always follow the other
      columns (piece "Stage" is ``..._Stage_Clear_0.mid``): the ``midi`` column is used as is.
    * Newer versions of the repository ship the phrases as ``labelled/phrases.zip``; with
      ``extract=True`` (default) the loader unpacks the ``.mid`` members it needs into
      ``labelled/phrases/`` on first use (no other member is written).

Official layout (the GitHub archive of lucasnfe/vgmidi, e.g. ``vgmidi-master/``; ``root``
may be that folder or its parent)::

    vgmidi_labelled.csv          id, series, console, game, piece, midi, valence, arousal
    labelled/phrases/<series>_<console>_<game>_<piece>_<n>.mid   (or labelled/phrases.zip)

Citation: Ferreira, L. N., & Whitehead, J. (2019). Learning to generate music with
sentiment. ISMIR. Used in chapter 08.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError, UnsafeArchiveError
from mer_lessons.data.files import numeric_column, read_csv_text
from mer_lessons.data.labels import LABEL_COLUMNS, label_table

NAME = "vgmidi"
CSV_NAME = "vgmidi_labelled.csv"
#: Where the -1/+1 signs sit on the 1-9 scale for the label table.
SIGN_TO_SAM = {-1: 3.0, 1: 7.0}
#: The documented values of the CSV's ``valence`` and ``arousal`` columns: a sign, -1 or +1.
SIGN_SCALE = tuple(SIGN_TO_SAM)
NOTE_COLUMNS = ("onset", "duration", "pitch", "velocity")
_PHRASE = re.compile(r"_(\d+)\.midi?$", re.IGNORECASE)
_REQUIRED = ("id", "midi", "valence", "arousal")


def _base_folder(root: Path) -> tuple[Path, Path]:
    """(repository folder, path of vgmidi_labelled.csv)."""
    candidates = [root, *sorted(p for p in root.iterdir() if p.is_dir())]
    for folder in candidates:
        for csv in (folder / CSV_NAME, folder / "labelled" / CSV_NAME):
            if csv.is_file():
                return folder, csv
    raise DatasetFormatError(f"{NAME}: no {CSV_NAME} in {root} (or its vgmidi-master/ folder); expected "
                             f"{root}/{CSV_NAME} with columns id, series, console, game, piece, midi, valence, arousal")


def _extract_phrases(archive: Path, base: Path, wanted: dict[str, Path]) -> None:
    """Unpack the ``.mid`` members of ``archive`` whose base names are keys of ``wanted``
    to the paths they map to (which must lie inside ``base``); nothing else is written."""
    inside = base.resolve()
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                name = PurePosixPath(member.filename.replace("\\", "/")).name
                if member.is_dir() or name not in wanted:
                    continue
                destination = wanted[name]
                if not destination.resolve().is_relative_to(inside):
                    raise UnsafeArchiveError(f"{archive}: {member.filename!r} would be written outside {base}")
                destination.parent.mkdir(parents=True, exist_ok=True)
                if not destination.exists():
                    destination.write_bytes(bundle.read(member))
    except zipfile.BadZipFile as error:
        raise DatasetFormatError(f"{NAME}: {archive} is not a readable zip archive ({error})") from error
    except OSError as error:
        raise DatasetFormatError(f"{NAME}: could not unpack {archive} ({error}); unzip it into "
                                 f"{archive.parent / 'phrases'} by hand") from error


def read_notes(path) -> pd.DataFrame:
    """The notes of a MIDI file as a DataFrame (onset, duration in s; pitch, velocity), drums left out.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import pretty_midi

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: MIDI file not found")
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:                       # mido/pretty_midi raise many types on bad files
        raise DatasetFormatError(f"{NAME}: {path} is not a readable MIDI file "
                                 f"({type(error).__name__}: {error})") from error
    notes = [(n.start, n.end - n.start, n.pitch, n.velocity)
             for instrument in midi.instruments if not instrument.is_drum for n in instrument.notes]
    frame = pd.DataFrame(notes, columns=list(NOTE_COLUMNS))
    frame = frame.astype({"onset": np.float64, "duration": np.float64, "pitch": np.int64, "velocity": np.int64})
    return frame.sort_values(["onset", "pitch"]).reset_index(drop=True)


@register_loader(NAME)
def load_vgmidi(root, *, extract: bool = True) -> Dataset:
    """Load VGMIDI's labelled phrases from ``root`` (the repository folder or its parent).

    Parameters
    ----------
    extract : unpack ``labelled/phrases.zip`` into ``labelled/phrases/`` when the MIDI files
        are not on disk yet (writes into ``root``).

    ``meta``: ``id`` ("<piece id>_<phrase>"), ``piece_id``, ``phrase``, ``series``,
    ``console``, ``game``, ``piece``, ``midi`` (as in the CSV), ``midi_path``,
    ``valence_sign``, ``arousal_sign`` and the label-table columns (signs at 3 and 7).

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "vgmidi")
    base, csv = _base_folder(root)
    table = read_csv_text(csv, dataset=NAME, encodings=("utf-8-sig",), errors="strict", dtype={"midi": str},
                          keep_default_na=True, skipinitialspace=True)
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise DatasetFormatError(f"{NAME}: {csv} lacks columns {missing}; expected id, series, console, game, "
                                 f"piece, midi, valence, arousal; found {list(table.columns)}")
    for column in ("valence", "arousal"):
        lines = np.arange(len(table)) + 2
        values = numeric_column(table, column, csv, dataset=NAME, ids=lines, id_name="line")  # text raises
        bad = ~values.isin(list(SIGN_SCALE))
        if bad.any():
            lines = lines[bad.to_numpy()].tolist()[:5]
            raise DatasetFormatError(f"{NAME}: {csv}: '{column}' must be -1 or 1 (the documented valence/arousal "
                                     f"signs); lines {lines} hold {table.loc[bad, column].tolist()[:5]} "
                                     "(an empty cell: is the file truncated?)")
        table[column] = values.astype(int)
    if table["midi"].isna().any():
        lines = (np.flatnonzero(table["midi"].isna().to_numpy()) + 2).tolist()[:5]
        raise DatasetFormatError(f"{NAME}: {csv}: empty 'midi' cells on lines {lines}")

    midi_paths = [base / PurePosixPath(m.strip().replace("\\", "/")) for m in table["midi"]]
    outside = [str(p) for p in midi_paths if not p.resolve().is_relative_to(base.resolve())]
    if outside:
        raise DatasetFormatError(f"{NAME}: {csv}: 'midi' paths point outside {base}: {outside[:3]}")
    absent = [p for p in midi_paths if not p.is_file()]
    archive = base / "labelled" / "phrases.zip"
    if absent and archive.is_file():
        if not extract:
            raise DatasetFormatError(f"{NAME}: the phrases are still zipped in {archive}; unzip it into "
                                     f"{archive.parent / 'phrases'} or pass extract=True")
        _extract_phrases(archive, base, {p.name: p for p in absent})

    phrases = []
    for midi in table["midi"]:
        match = _PHRASE.search(midi.strip())
        phrases.append(int(match.group(1)) if match else 0)
    meta = pd.DataFrame({
        "id": [f"{piece}_{phrase}" for piece, phrase in zip(table["id"], phrases)],
        "piece_id": table["id"].to_numpy(),
        "phrase": phrases,
    })
    for column in ("series", "console", "game", "piece"):
        meta[column] = table[column].to_numpy() if column in table.columns else ""
    meta["midi"] = table["midi"].str.strip().to_numpy()
    meta["midi_path"] = [str(p) for p in midi_paths]
    meta["valence_sign"] = table["valence"].to_numpy()
    meta["arousal_sign"] = table["arousal"].to_numpy()
    if meta["id"].duplicated().any():
        dupes = meta.loc[meta["id"].duplicated(keep=False), "midi"].tolist()[:4]
        raise DatasetFormatError(f"{NAME}: {csv} lists the same piece and phrase twice: {dupes}")
    labels = label_table(meta["valence_sign"].map(SIGN_TO_SAM), meta["arousal_sign"].map(SIGN_TO_SAM))
    meta = pd.concat([meta, labels], axis=1)

    def load_item(row: pd.Series) -> dict:
        return {"midi_path": row["midi_path"], "notes": read_notes(row["midi_path"])}

    return Dataset(NAME, meta, load_item, label_columns=LABEL_COLUMNS + ("valence_sign", "arousal_sign"), root=root)
