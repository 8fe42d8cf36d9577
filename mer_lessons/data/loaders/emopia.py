"""EMOPIA: pop piano clips (MIDI) labelled with Russell's emotion quadrants.

1,087 clips cut from 387 piano covers of pop songs found on YouTube, each labelled by one of
four annotators with a quadrant: Q1 = positive valence, high arousal; Q2 = negative valence,
high arousal; Q3 = negative valence, low arousal; Q4 = positive valence, low arousal. The
clips come as MIDI transcriptions (the audio is not redistributed). Chapter ``08`` uses it
for symbolic (score-level) emotion features.

Official layout (``EMOPIA_2.2.zip`` from Zenodo unpacked; the single top folder
``EMOPIA_2.2/`` is found and a ``__MACOSX/`` folder beside it is ignored)::

    midis/Q{n}_{youtube id}_{segment}.mid     # e.g. Q1__8v0MFBZoco_0.mid, Q3_0lEL_XHyhuU_2.mid
    label.csv                                 # ID, 4Q, annotator
    split/train_SL.csv, val_SL.csv, test_SL.csv     # songID, num_Q1..num_Q4, DominantQ
    split/train_clip.csv, val_clip.csv, test_clip.csv  # (index), clip_name  [when present]
    metadata_by_song.csv, key_mode_tempo.csv, ...    # not needed by this loader

**File names.** The quadrant is the file name's prefix and a YouTube id is always 11
characters long and may itself contain ``_`` or ``-`` (even start with them: ``Q1__8v0MFBZoco_0``
is quadrant 1, song ``_8v0MFBZoco``, segment 0), so names are parsed as
``Q[1-4]_<11 characters>_<segment>.mid``, never by splitting on ``_``.

**Splits** are song-level (``SL``): every clip of a song is in the song's split. The clip
lists (``*_clip.csv``) are used when present, otherwise the song lists; a clip whose song
is in no list gets split ``"none"``. Clip names in the lists are matched with or without
``.mid`` (copies exist whose names were cut short, e.g. ``Q1_2Z9SjI131jA_14.``).

Labels: ``quadrant`` and ``high_valence`` / ``high_arousal`` derived from it. **EMOPIA has no
valence or arousal numbers**, so the ``labels.label_table`` columns are not offered.

Quirks handled: file names that do not match the pattern and ``label.csv`` rows without a
MIDI file (the release has at least one mistyped ID) are reported in ``ds.skipped``; a
``label.csv`` quadrant that disagrees with the file name is reported there too (the file
name wins); a truncated or unreadable MIDI raises :class:`DatasetFormatError` naming the file
when loaded, so ``ds.validate()`` lists it by id.

Items: ``midi_path`` and ``notes`` (DataFrame ``onset, duration, pitch, velocity`` in seconds
and MIDI numbers, sorted by onset, read with pretty_midi).

Citation: Hung, H.-T., Ching, J., Doh, S., Kim, N., Nam, J., & Yang, Y.-H. (2021). EMOPIA: A
multi-modal pop piano dataset for emotion recognition and emotion-based music generation. ISMIR.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, option_names, register_loader, require_root, warn_skipped
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import find_dataset_root, read_csv_text

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
#: The documented values of ``label.csv``'s ``4Q`` column: quadrant numbers 1-4.
QUADRANT_CODES = ("1", "2", "3", "4")
QUADRANT_VA = {"Q1": (1, 1), "Q2": (0, 1), "Q3": (0, 0), "Q4": (1, 0)}
SPLITS = ("train", "val", "test")
#: ``Q{n}_{11-character YouTube id}_{segment}``
CLIP_NAME = re.compile(r"^(Q[1-4])_([A-Za-z0-9_-]{11})_(\d+)$")
NOTE_COLUMNS = ("onset", "duration", "pitch", "velocity")


def clip_stem(name: str) -> str:
    """A clip name without ``.mid``, also when the extension was cut short (``"Q1_x_14."``).

    Taught in ``04_emotion_models_and_datasets``.
    """
    return re.sub(r"\.(m(i(d)?)?)?$", "", str(name).strip())


def parse_clip_name(name: str) -> tuple[str, str, int] | None:
    """``"Q1__8v0MFBZoco_0.mid"`` -> ``("Q1", "_8v0MFBZoco", 0)``; None if it does not match.

    Accepts the name with ``.mid``, without it, or with a cut-short extension (``"...14."``).

    Taught in ``04_emotion_models_and_datasets``.
    """
    match = CLIP_NAME.match(clip_stem(name))
    if match is None:
        return None
    quadrant, song, segment = match.groups()
    return quadrant, song, int(segment)


def read_notes(path: str | Path) -> pd.DataFrame:
    """The notes of a MIDI file: DataFrame ``onset, duration, pitch, velocity``, sorted by onset.

    Raises :class:`DatasetFormatError` naming the file if pretty_midi cannot read it.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import pretty_midi

    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido/pretty_midi raise EOFError, OSError, ValueError, KeyError ...
        raise DatasetFormatError(f"{path}: not a readable MIDI file ({type(error).__name__}: {error})") from error
    rows = [(n.start, n.end - n.start, n.pitch, n.velocity)
            for instrument in midi.instruments for n in instrument.notes]
    notes = pd.DataFrame(rows, columns=list(NOTE_COLUMNS))
    notes = notes.astype({"onset": np.float64, "duration": np.float64, "pitch": np.int64, "velocity": np.int64})
    return notes.sort_values(["onset", "pitch"], kind="stable").reset_index(drop=True)


def _find_root(root: Path) -> Path:
    return find_dataset_root(root, lambda folder: (folder / "midis").is_dir(), dataset="emopia", marker="midis/",
                             expected="the unpacked EMOPIA_2.2.zip (midis/, label.csv, split/)")


def _read_csv(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    table = read_csv_text(path, dataset="emopia", encodings=("utf-8-sig",), errors="strict", strip_values=True)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DatasetFormatError(f"{path}: missing column(s) {missing}; expected {list(needed)}")
    return table


def _splits(root: Path, meta: pd.DataFrame) -> list[str]:
    folder = root / "split"
    clip_files = [folder / f"{s}_clip.csv" for s in SPLITS]
    song_files = [folder / f"{s}_SL.csv" for s in SPLITS]
    if all(p.exists() for p in clip_files):
        by_clip = {}
        for split, path in zip(SPLITS, clip_files):
            for name in _read_csv(path, ("clip_name",))["clip_name"]:
                by_clip[clip_stem(name)] = split
        return [by_clip.get(i, "none") for i in meta["id"]]
    if all(p.exists() for p in song_files):
        by_song = {}
        for split, path in zip(SPLITS, song_files):
            for song in _read_csv(path, ("songID",))["songID"]:
                by_song[song] = split
        return [by_song.get(s, "none") for s in meta["song_id"]]
    raise DatasetFormatError(f"emopia: the official split is missing; expected {', '.join(p.name for p in song_files)} "
                             f"(or the *_clip.csv lists) in {folder}")


@register_loader("emopia")
def load_emopia(root, *, split=None, quadrants=None) -> Dataset:
    """Load EMOPIA's MIDI clips from ``root`` (see the module docstring for the layout).

    Parameters
    ----------
    split : ``"train"``, ``"val"``, ``"test"``, a list of them, or None for every clip.
    quadrants : keep only these quadrants (``"Q1"`` or a list); None = all four.

    Returns a :class:`Dataset`: ``meta`` has ``id`` (the file name without ``.mid``),
    ``song_id, segment, split, quadrant, high_valence, high_arousal, annotator`` (from
    ``label.csv``, empty when absent) and ``midi_path``. Items: ``midi_path`` and ``notes``.
    Labels: ``quadrant, high_valence, high_arousal``. ``ds.skipped`` lists ``(name, reason)``
    for files and label rows that could not become items.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = _find_root(require_root(root, "emopia"))
    label_path = root / "label.csv"
    if not label_path.exists():
        raise DatasetFormatError(f"emopia: {label_path} is missing; expected the clip labels (ID, 4Q, annotator)")
    labels = _read_csv(label_path, ("ID", "4Q"))
    labels["ID"] = [clip_stem(i) for i in labels["ID"]]

    rows, skipped = [], []
    for path in sorted((root / "midis").iterdir()):
        if path.name.startswith("._") or path.suffix.lower() not in (".mid", ".midi"):
            continue
        parsed = parse_clip_name(path.stem)
        if parsed is None:
            skipped.append((f"midis/{path.name}", "file name is not Q{n}_{11-character id}_{segment}.mid"))
            continue
        quadrant, song, segment = parsed
        rows.append({"id": path.stem, "song_id": song, "segment": segment, "quadrant": quadrant,
                     "midi_path": str(path)})
    if not rows:
        raise DatasetFormatError(f"emopia: no clip like Q1_xxxxxxxxxxx_0.mid in {root / 'midis'}")
    meta = pd.DataFrame(rows)

    label_of = {}
    for line, (clip_id, value) in enumerate(zip(labels["ID"], labels["4Q"]), start=2):
        if value not in QUADRANT_CODES:
            raise DatasetFormatError(f"{label_path}, line {line}: 4Q must be 1-4 (the documented quadrants Q1-Q4), "
                                     f"got {value!r} (clip {clip_id})")
        label_of[clip_id] = f"Q{value}"
    annotator = dict(zip(labels["ID"], labels["annotator"])) if "annotator" in labels.columns else {}
    on_disk = set(meta["id"])
    for clip_id in labels["ID"]:
        if clip_id not in on_disk:
            skipped.append((f"label.csv: {clip_id}", "no MIDI file midis/" + clip_id + ".mid"))
    for clip_id, quadrant in zip(meta["id"], meta["quadrant"]):
        listed = label_of.get(clip_id)
        if listed is not None and listed != quadrant:
            skipped.append((f"label.csv: {clip_id}",
                            f"4Q says {listed}, the file name says {quadrant} (file name kept)"))
    meta["annotator"] = [annotator.get(i, "") for i in meta["id"]]
    meta["high_valence"] = [QUADRANT_VA[q][0] for q in meta["quadrant"]]
    meta["high_arousal"] = [QUADRANT_VA[q][1] for q in meta["quadrant"]]
    meta["split"] = _splits(root, meta)
    meta = meta[["id", "song_id", "segment", "split", "quadrant", "high_valence", "high_arousal",
                 "annotator", "midi_path"]]
    warn_skipped(skipped, "emopia", "file(s) or label row(s) skipped or inconsistent")

    if split is not None:
        meta = meta[meta["split"].isin(option_names(split, SPLITS, dataset="emopia", what="split"))]
    if quadrants is not None:
        meta = meta[meta["quadrant"].isin(option_names(quadrants, QUADRANTS, dataset="emopia", what="quadrant"))]
    meta = meta.reset_index(drop=True)

    def load_item(row: pd.Series) -> dict:
        return {"midi_path": row["midi_path"], "notes": read_notes(row["midi_path"])}

    ds = Dataset("emopia", meta, load_item, label_columns=("quadrant", "high_valence", "high_arousal"), root=root)
    ds.skipped = skipped
    return ds
