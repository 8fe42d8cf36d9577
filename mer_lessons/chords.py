"""Chord2Vec as Zhao, Jin and Guo use it: chords cut from notes by beat, embedded with skip-gram.

The pipeline of Zhao et al. (Sec. III, Fig. 1), one function per step:

1. notes ``(start, end, pitch)`` in seconds and MIDI numbers, from a MIDI file
   (:func:`chord_sequences_from_midi`) or a score (:func:`chord_sequences_from_chorales`);
2. chord segmentation by beat (:func:`segment_chords`, Eq. 1: a measure lasts
   ``60 / B * X`` seconds, so a beat lasts ``60 / B``; an interval of at least one beat
   between successive notes starts a new chord);
3. a chord symbol per chord (:func:`chord_token`: ``"C:maj"``, ``"G:7"``, ``"A:min"``, ...);
4. skip-gram embeddings of the chord symbols (:func:`train_chord2vec`, gensim ``Word2Vec``
   with ``sg=1``, ``min_count=5`` as in the paper);
5. one vector per piece, the sum of its chord vectors (:func:`piece_vector`,
   :func:`piece_vectors`, Eq. 2-4).

Then a look inside the embedding: :func:`nearest_chords`, :func:`project_2d` and a
measurement, :func:`relatedness_test`, of whether dominant-tonic pairs
(:func:`dominant_tonic_pairs`) end up closer than random pairs of chords.

Not to be confused with the *sequence-to-sequence* "Chord2Vec" of Madjiheurem, Qu and
Walder (2016), which predicts the notes of neighbouring chords with an encoder-decoder;
this module is word2vec's skip-gram over chord *symbols*, which is what Zhao et al. describe.

Taught in ``09_zhao_multispec_cbam_bls``.
"""
from __future__ import annotations

import re
from pathlib import Path
import warnings
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from mer_lessons.validation import (EmptyInputError, InputError, NonFiniteError, OutOfRangeError,
                                    UnknownOptionError, WrongShapeError, WrongTypeError, as_choice,
                                    as_float, as_int, as_real_array, message)

__all__ = [
    "PAPER_VECTOR_SIZE", "PAPER_MIN_COUNT", "PITCH_CLASS_NAMES", "CHORD_QUALITIES",
    "note_number", "notes_from_intervals", "segment_chords", "segment_table1_row", "format_segmentation",
    "chord_token", "train_chord2vec", "piece_vector", "piece_vectors", "nearest_chords",
    "project_2d", "dominant_tonic_pairs", "relatedness_test",
    "chord_sequences_from_chorales", "chord_sequences_from_midi",
]

#: Chord-vector size set in the paper (Sec. V.A: "a set chord vector dimension of 500").
PAPER_VECTOR_SIZE = 500
#: gensim ``min_count`` used in the paper (Sec. V.A).
PAPER_MIN_COUNT = 5

#: Pitch-class names used in tokens (MIDI has no spelling; flats for Eb, Ab, Bb as in key names).
PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Quality -> intervals above the root (semitones). Matched exactly against a pitch-class set.
CHORD_QUALITIES = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "7(no5)": (0, 4, 10), "5": (0, 7), "1": (0,),
}

_WHERE = "chords"
_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE_NAME = re.compile(r"^([A-Ga-g])([#b]*)(-?\d+)$")
# (pitch-class set) -> list of (root, quality), built once
_TEMPLATES: dict[frozenset, list[tuple[int, str]]] = {}
for _quality, _intervals in CHORD_QUALITIES.items():
    for _root in range(12):
        _TEMPLATES.setdefault(frozenset((_root + i) % 12 for i in _intervals), []).append((_root, _quality))


# --------------------------------------------------------------------------- notes


def note_number(name: Any) -> int:
    """The MIDI number of a note name: ``"C4"`` -> 60, ``"F#5"`` -> 78, ``"Bb3"`` -> 58.

    Scientific pitch notation as Table I of Zhao et al. prints it (the number is the octave,
    C4 = middle C = 60); ``#`` raises and ``b`` lowers by a semitone. Integers (MIDI numbers
    0-127) pass through. Raises :class:`~mer_lessons.validation.InputError` naming ``name``.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    if isinstance(name, (int, np.integer)) and not isinstance(name, (bool, np.bool_)):
        return as_int(name, "name", minimum=0, maximum=127, where="note_number")
    match = _NOTE_NAME.match(str(name).strip()) if isinstance(name, str) else None
    if match is None:
        raise WrongTypeError(message("name", "a note name like 'C4' or 'F#5' or a MIDI number", name,
                                     where="note_number"))
    letter, accidentals, octave = match.groups()
    number = 12 * (int(octave) + 1) + _LETTER[letter.upper()] + accidentals.count("#") - accidentals.count("b")
    if not 0 <= number <= 127:
        raise OutOfRangeError(message("name", "a note between C-1 and G9 (MIDI 0-127)", name, where="note_number"))
    return number


def _note_name(pitch: int) -> str:
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def notes_from_intervals(note_names: Sequence[Any], intervals: Sequence[float], *,
                         measure_s: float = 2.0) -> pd.DataFrame:
    """Notes ``(start, end, pitch)`` from a note list and inter-onset intervals in measures (Table I).

    Table I of Zhao et al. gives, per piece, the notes in playing order and the "note
    interval" after each one, in measures (0 = played together, 0.25 = a quarter of a
    measure later). The first note starts at 0 s; note ``i + 1`` starts
    ``intervals[i] * measure_s`` seconds after note ``i``. Each note lasts until the next
    onset (the last one for its own interval). ``intervals`` has ``len(note_names)`` or
    ``len(note_names) - 1`` entries.

    Paper: no durations and no measure length are printed; we: legato notes and a measure
    of ``measure_s`` seconds (by Eq. 1, ``measure_s = 60 / B * X``, so for a metre of X
    beats the tempo is ``B = 60 * X / measure_s``).

    Returns a DataFrame with columns ``start``, ``end`` (s) and ``pitch`` (MIDI).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "notes_from_intervals"
    measure_s = as_float(measure_s, "measure_s", minimum=0, low_open=True, where=where, unit="seconds")
    names = list(note_names)
    steps = as_real_array(list(intervals), "intervals", where=where, finite=False)  # complex, text: WrongTypeError
    if not names:
        raise EmptyInputError(message("note_names", "at least one note", "an empty list", where=where,
                                      describe=False))
    if len(steps) not in (len(names), len(names) - 1):
        raise WrongShapeError(message("intervals", f"{len(names)} or {len(names) - 1} values (one per note)",
                                      f"{len(steps)}", where=where, describe=False))
    if not np.all(np.isfinite(steps)) or np.any(steps < 0):
        raise OutOfRangeError(message("intervals", "finite and >= 0 (measures)", steps.tolist(), where=where))
    starts = np.concatenate([[0.0], np.cumsum(steps[: len(names) - 1])]) * measure_s
    last = steps[len(names) - 1] * measure_s if len(steps) == len(names) else 0.0
    ends = np.append(starts[1:], starts[-1] + last)
    # chords played together (interval 0) should still sound: give them the next later onset
    for i in range(len(names) - 2, -1, -1):
        if ends[i] <= starts[i]:
            ends[i] = ends[i + 1]
    return pd.DataFrame({"start": starts, "end": ends, "pitch": [note_number(n) for n in names]})


def _as_notes(notes: Any, where: str) -> pd.DataFrame:
    """``notes`` as a DataFrame start, end (s), pitch (int), sorted by start then pitch."""
    if isinstance(notes, pd.DataFrame):
        columns = set(notes.columns)
        if {"start", "end", "pitch"} <= columns:
            frame = notes[["start", "end", "pitch"]].apply(pd.to_numeric, errors="coerce")
        elif {"onset", "duration", "pitch"} <= columns:
            frame = notes[["onset", "duration", "pitch"]].apply(pd.to_numeric, errors="coerce")
            if np.any(frame["duration"].to_numpy() < 0):
                row = int(np.flatnonzero(frame["duration"].to_numpy() < 0)[0])
                raise OutOfRangeError(message("notes", "durations >= 0 s", f"{frame['duration'].iloc[row]:g} "
                                              f"in row {row}", where=where, describe=False))
            frame = pd.DataFrame({"start": frame["onset"], "end": frame["onset"] + frame["duration"],
                                  "pitch": frame["pitch"]})
        else:
            raise WrongShapeError(message("notes", "a table with columns start, end, pitch (or onset, duration, "
                                          "pitch)", f"columns {list(notes.columns)}", where=where, describe=False))
        array = frame.to_numpy(np.float64)
    else:
        if notes is None or isinstance(notes, (str, bytes)):
            raise WrongTypeError(message("notes", "an array-like of (start, end, pitch) rows or a DataFrame",
                                         notes, where=where))
        try:
            array = np.asarray(notes)
            if np.iscomplexobj(array):  # NumPy would drop the imaginary part with only a warning
                raise WrongTypeError(message("notes", "real (start, end, pitch) rows", array, where=where))
            array = array.astype(np.float64)
        except WrongTypeError:
            raise
        except (TypeError, ValueError):
            raise WrongTypeError(message("notes", "numeric (start, end, pitch) rows", notes, where=where)) from None
        if array.size == 0:
            array = array.reshape(0, 3)
        if array.ndim != 2 or array.shape[1] != 3:
            raise WrongShapeError(message("notes", "shaped (n_notes, 3) = (start, end, pitch)",
                                          f"shape {array.shape}", where=where, describe=False))
    if not np.all(np.isfinite(array)):
        raise NonFiniteError(message("notes", "finite (no NaN or inf, numbers in every column)",
                                     f"{int(np.sum(~np.isfinite(array)))} bad values", where=where, describe=False))
    start, end, pitch = array.T
    if np.any(start < 0):
        raise OutOfRangeError(message("notes", "start times >= 0 s", f"start {start.min():g} in row "
                                      f"{int(np.argmin(start))}", where=where, describe=False))
    if np.any(end < start):
        row = int(np.flatnonzero(end < start)[0])
        raise OutOfRangeError(message("notes", "end >= start in every row", f"end {end[row]:g} < start "
                                      f"{start[row]:g} in row {row}", where=where, describe=False))
    if np.any((pitch < 0) | (pitch > 127) | (pitch != np.round(pitch))):
        raise OutOfRangeError(message("notes", "whole MIDI pitches 0-127", pitch[(pitch < 0) | (pitch > 127) |
                                      (pitch != np.round(pitch))][:3].tolist(), where=where))
    frame = pd.DataFrame({"start": start, "end": end, "pitch": pitch.astype(np.int64)})
    return frame.sort_values(["start", "pitch"], kind="stable").reset_index(drop=True)


_CHORD_COLUMNS = ["start", "end", "measure", "n_notes", "notes", "pitches", "pitch_classes", "token"]


def segment_chords(notes: Any, tempo_bpm: float, beats_per_measure: int = 4, *, rule: str = "onset",
                   min_gap_beats: float = 1.0, split_at_measures: bool = False,
                   fallback: str = "unknown") -> pd.DataFrame:
    """Cut a note list into chords by beat (Zhao et al., Eq. 1 and Table II).

    Parameters
    ----------
    notes : DataFrame with columns ``start, end, pitch`` (or ``onset, duration, pitch``, as
        the course's MIDI loaders return), or an array-like ``(n_notes, 3)`` of
        ``(start, end, pitch)``; times in seconds, MIDI pitch numbers.
    tempo_bpm : B, beats per minute (> 0). One beat lasts ``60 / B`` seconds.
    beats_per_measure : X (>= 1). A measure lasts ``Y = 60 / B * X`` seconds (Eq. 1).
    rule : what "the interval between successive notes" is.

        * ``"onset"`` (default, the paper): the time from one onset to the next, in onset
          order (Table I: "0 indicates that the two notes are played together"). A new
          chord starts at a note whose onset comes at least ``min_gap_beats`` beats after
          the previous onset. Overlapping notes whose onsets are closer than a beat are one
          chord; a held note does not bridge a new onset a beat later.
        * ``"silence"``: the silence between the end of everything sounding in the current
          chord and the next onset. Overlapping or touching notes always belong to one
          chord; only a rest of at least ``min_gap_beats`` beats starts a new one.
        * ``"beat"`` (ours, not the paper's): one chord per beat of the grid from time 0,
          holding the notes whose onsets fall in it (``floor(onset / (60 / B))``); the grid
          the chorales' chord table uses. Dense music (a melody in eighth notes) never has
          an onset interval of a whole beat, so the paper's rule makes it one "chord".
    min_gap_beats : the threshold in beats (the paper: 1 beat = ``1 / X`` measure).
    split_at_measures : also start a new chord at every barline (measure ``k`` starts at
        ``k * Y`` seconds from time 0). The paper does not split at barlines; Table II is
        reproduced without it.
    fallback : passed to :func:`chord_token` for the ``token`` column.

    Returns
    -------
    DataFrame, one row per chord in time order: ``start`` (first onset, s), ``end`` (last
    note end, s), ``measure`` (index of the measure holding ``start``, ``floor(start / Y)``),
    ``n_notes``, ``notes`` (tuple of MIDI pitches in onset order, repeats kept, as Table II
    lists them), ``pitches`` (tuple of the distinct MIDI pitches, sorted), ``pitch_classes``
    (tuple of distinct pitch classes 0-11, sorted) and ``token`` (:func:`chord_token`).
    Thresholds allow 1e-9 s of rounding: an interval of exactly one beat splits.

    Paper: "If the interval between successive notes is greater than or equal to 1 beat, or
    0.25 measures [in 4/4] ... the following note is the first note of the subsequent chord
    combination"; Table II shows the metre changing the segmentation of the same passage
    (notes of Table I, intervals in measures): the threshold is ``1 / X`` of a measure, so
    in 6/8 an interval of 0.22 measure splits and in 3/4 one of 0.33 does not. In seconds,
    with the tempo fixed, the threshold ``60 / B`` does not depend on X; the metre changes
    the segmentation when the *measure* is held fixed (Table II's reading: ``B = 60 X / Y``)
    or through ``split_at_measures``. We: the paper's onset rule by default, the silence
    rule as an option, no barline splits by default, and every note (one note, a melody
    fragment) makes a "chord", as in Table II, although Sec. III.B defines a chord as three
    or more different notes.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "segment_chords"
    tempo_bpm = as_float(tempo_bpm, "tempo_bpm", minimum=0, low_open=True, where=where, unit="beats per minute")
    beats_per_measure = as_int(beats_per_measure, "beats_per_measure", minimum=1, where=where)
    rule = as_choice(rule, "rule", ("onset", "silence", "beat"), where=where)
    min_gap_beats = as_float(min_gap_beats, "min_gap_beats", minimum=0, low_open=True, where=where,
                             unit="beats")
    fallback = as_choice(fallback, "fallback", ("unknown", "pcset"), where=where)
    frame = _as_notes(notes, where)
    if frame.empty:
        return pd.DataFrame({c: [] for c in _CHORD_COLUMNS})
    beat_s = 60.0 / tempo_bpm
    measure_s = beat_s * beats_per_measure  # Eq. 1
    threshold = min_gap_beats * beat_s - 1e-9
    start, end, pitch = frame["start"].to_numpy(), frame["end"].to_numpy(), frame["pitch"].to_numpy()
    measure = np.floor(start / measure_s + 1e-9).astype(np.int64)
    beat = np.floor(start / beat_s + 1e-9).astype(np.int64)
    groups, current = [], [0]
    reach = end[0]  # latest end in the current chord (silence rule)
    for i in range(1, len(frame)):
        if rule == "beat":
            new = beat[i] != beat[current[0]]
        else:
            interval = start[i] - (start[i - 1] if rule == "onset" else reach)
            new = interval >= threshold
        new = new or (split_at_measures and measure[i] != measure[current[0]])
        if new:
            groups.append(current)
            current, reach = [i], end[i]
        else:
            current.append(i)
            reach = max(reach, end[i])
    groups.append(current)
    rows = []
    for members in groups:
        ps = pitch[members]
        distinct = tuple(sorted({int(p) for p in ps}))
        rows.append({"start": float(start[members[0]]), "end": float(end[members].max()),
                     "measure": int(measure[members[0]]), "n_notes": len(members),
                     "notes": tuple(int(p) for p in ps), "pitches": distinct,
                     "pitch_classes": tuple(sorted({p % 12 for p in distinct})),
                     "token": chord_token(distinct, fallback=fallback)})
    return pd.DataFrame(rows, columns=_CHORD_COLUMNS)


def segment_table1_row(row: Mapping[str, Any], beats_per_measure: int, *, measure_s: float = 2.0) -> pd.DataFrame:
    """Cut one row of Zhao et al.'s Table I under a metre of ``beats_per_measure`` beats (Table II).

    ``row``: a row of :data:`mer_lessons.papers.zhao.TABLE1` (``"Note Combination"``,
    comma-separated note names; ``"Note Intervals"``, inter-onset intervals in measures).
    The notes are placed by :func:`notes_from_intervals` in measures of ``measure_s``
    seconds and cut by :func:`segment_chords` with the paper's onset rule at the tempo Eq. 1
    gives for that measure, ``B = 60 X / measure_s`` (Table II holds the measure fixed and
    divides it into X beats; the result does not depend on ``measure_s``).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "segment_table1_row"
    for key in ("Note Combination", "Note Intervals"):
        if key not in row:
            raise InputError(message("row", f"a row of papers.zhao.TABLE1 with a {key!r} entry", type(row).__name__,
                                     where=where, describe=False))
    beats = as_int(beats_per_measure, "beats_per_measure", minimum=1, where=where)
    names = [n.strip() for n in str(row["Note Combination"]).split(",")]
    intervals = [float(x) for x in str(row["Note Intervals"]).split(",")]
    notes = notes_from_intervals(names, intervals, measure_s=measure_s)
    return segment_chords(notes, 60.0 * beats / float(measure_s), beats)


def format_segmentation(chords: pd.DataFrame) -> str:
    """A segmentation written the way Table II of Zhao et al. prints it: ``"D5 D5 F5/B4 G4"``.

    Notes of a chord in onset order (repeats kept) by name, chords separated by ``/``.
    ``chords`` is what :func:`segment_chords` returns (its ``notes`` column).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    if not isinstance(chords, pd.DataFrame) or "notes" not in chords.columns:
        raise WrongShapeError(message("chords", "the DataFrame segment_chords returns (a 'notes' column)",
                                      type(chords).__name__, where="format_segmentation", describe=False))
    return "/".join(" ".join(_note_name(int(p)) for p in notes) for notes in chords["notes"])


# --------------------------------------------------------------------------- chord symbols


def chord_token(pitches: Iterable[Any], *, fallback: str = "unknown") -> str:
    """A chord symbol for a set of notes: ``"C:maj"``, ``"G:7"``, ``"A:min"``, ``"X"``.

    Parameters
    ----------
    pitches : MIDI numbers or note names (``"G3"``), in any order, octave or doubling; the
        pitch-class set ``{p mod 12}`` is all that counts, so every inversion and voicing of
        a chord gets the same token.
    fallback : what a set that matches no quality becomes: ``"unknown"`` -> ``"X"``;
        ``"pcset"`` -> the pitch classes by name in braces, from C up, e.g. ``"{C,D,G}"``.

    Returns ``"<root>:<quality>"`` when the pitch-class set equals one of
    :data:`CHORD_QUALITIES` transposed to a root (``maj``, ``min``, ``dim``, ``aug``, ``7``,
    ``maj7``, ``min7``, ``hdim7``, ``dim7``, ``7(no5)``; a bare fifth ``5``; a single pitch
    class ``1``), ``"N"`` for no notes, else the fallback. Roots are named with
    :data:`PITCH_CLASS_NAMES` (C#, Eb, F#, Ab, Bb: MIDI carries no spelling). The symmetric
    sets (augmented triad, diminished seventh) take the lowest note's pitch class as root
    when it is one of the candidates, else the lowest candidate pitch class. Exact match:
    a triad with an added passing note is not that triad.

    Paper: chord combinations are written as their notes (Table II, "D5 D5 F5 F#5 E5 D5"),
    with no rule for naming them; we: a root and quality in Harte et al.'s (2005) ``root:quality``
    style with inversions and octaves dropped, so "the same chord" is one word for skip-gram
    and the vocabulary stays small enough for ``min_count = 5``.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "chord_token"
    fallback = as_choice(fallback, "fallback", ("unknown", "pcset"), where=where)
    if pitches is None or isinstance(pitches, (str, bytes)) or np.ndim(pitches) != 1 and not isinstance(
            pitches, (list, tuple, set, frozenset)):
        raise WrongTypeError(message("pitches", "a sequence of MIDI numbers or note names", pitches, where=where))
    numbers = []
    for p in pitches:
        if isinstance(p, (float, np.floating)) and float(p).is_integer():
            p = int(p)
        try:
            numbers.append(note_number(p))
        except InputError:
            raise WrongTypeError(message("pitches", "MIDI numbers 0-127 or note names like 'G3'", p,
                                         where=where)) from None
    if not numbers:
        return "N"
    classes = frozenset(n % 12 for n in numbers)
    candidates = _TEMPLATES.get(classes)
    if not candidates:
        if fallback == "unknown":
            return "X"
        return "{" + ",".join(PITCH_CLASS_NAMES[c] for c in sorted(classes)) + "}"
    bass = min(numbers) % 12
    root, quality = next(((r, q) for r, q in candidates if r == bass), min(candidates))
    return f"{PITCH_CLASS_NAMES[root]}:{quality}"


# --------------------------------------------------------------------------- skip-gram


def _as_sequences(sequences: Any, where: str) -> list[list[str]]:
    if sequences is None or isinstance(sequences, (str, bytes)):
        raise WrongTypeError(message("sequences", "a list of token sequences (lists of strings)", sequences,
                                     where=where))
    out = []
    for i, seq in enumerate(list(sequences)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Iterable):
            raise WrongTypeError(message("sequences", "a list of token lists (a string is not a sequence of "
                                         "chords)", f"item {i}: {seq!r}"[:80], where=where, describe=False))
        seq = list(seq)
        if not all(isinstance(t, str) for t in seq):
            raise WrongTypeError(message("sequences", "sequences of string tokens like 'C:maj'",
                                         f"item {i}: {seq[:5]!r}"[:80], where=where, describe=False))
        out.append(seq)
    if not any(out):
        raise EmptyInputError(message("sequences", "at least one non-empty sequence", f"{len(out)} sequences, "
                                      "all empty" if out else "no sequences", where=where, describe=False))
    return out


def train_chord2vec(sequences: Any, *, vector_size: int = 32, window: int = 5, min_count: int = PAPER_MIN_COUNT,
                    epochs: int = 50, negative: int = 5, seed: int = 0, workers: int = 1):
    """Train skip-gram chord vectors: word2vec with chords as words (Zhao et al., Sec. III.D).

    Parameters
    ----------
    sequences : one list of chord tokens per piece (N pieces; the rows of Eq. 2's G), e.g.
        the ``tokens`` column of :func:`chord_sequences_from_chorales`.
    vector_size : V, the length of each chord vector.
    window : how many chords either side count as context.
    min_count : tokens seen fewer times in the whole corpus get no vector (paper: 5).
    epochs : passes over the corpus.
    negative : negative samples per positive pair (gensim's default, 5).
    seed : seeds the initial vectors and the sampling.
    workers : gensim threads; 1 (default) makes training reproducible for a seed.

    Returns
    -------
    gensim ``Word2Vec`` (``sg=1``, skip-gram with negative sampling); ``model.wv[token]`` is
    a float32 vector ``(vector_size,)``, ``model.wv.index_to_key`` the vocabulary.

    Paper: gensim skip-gram, ``min_count = 5``, vectors of 500 dimensions (Sec. V.A), which
    the same sentence then calls "1x256" after summing (summing cannot change the length,
    Eq. 3-4); window, epochs and negative sampling are not given. We: ``min_count = 5``;
    ``vector_size = 32`` by default because a chord vocabulary has tens of words (500
    dimensions would give each word more parameters than the corpus has occurrences;
    :data:`PAPER_VECTOR_SIZE` is there to try); ``window = 5`` and ``negative = 5``, gensim's
    defaults, which the paper presumably kept; ``epochs = 50`` because a chord corpus is a
    few thousand tokens, far less than the text corpora gensim's 5 epochs are set for (with
    5 epochs on 40 chorales every pair of chord vectors has a cosine near 0.99: nothing
    learned). gensim's other defaults are kept (``alpha = 0.025``, ``sample = 1e-3``).
    Raises :class:`~mer_lessons.validation.EmptyInputError` naming ``min_count`` when no
    token is frequent enough.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    from gensim.models import Word2Vec

    where = "train_chord2vec"
    sequences = _as_sequences(sequences, where)
    vector_size = as_int(vector_size, "vector_size", minimum=1, where=where)
    window = as_int(window, "window", minimum=1, where=where)
    min_count = as_int(min_count, "min_count", minimum=1, where=where)
    epochs = as_int(epochs, "epochs", minimum=1, where=where)
    negative = as_int(negative, "negative", minimum=1, where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    workers = as_int(workers, "workers", minimum=1, where=where)
    counts: dict[str, int] = {}
    for seq in sequences:
        for token in seq:
            counts[token] = counts.get(token, 0) + 1
    if max(counts.values()) < min_count:
        raise EmptyInputError(message("min_count", f"at most the count of the most frequent token "
                                      f"({max(counts.values())}) so that some chord gets a vector", min_count,
                                      where=where))
    return Word2Vec(sentences=sequences, vector_size=vector_size, window=window, min_count=min_count, sg=1,
                    hs=0, negative=negative, epochs=epochs, seed=seed, workers=workers)


def _vectors(model: Any, where: str):
    wv = getattr(model, "wv", model)
    if not (hasattr(wv, "key_to_index") and hasattr(wv, "vectors")):
        raise WrongTypeError(message("model", "a gensim Word2Vec model or KeyedVectors (train_chord2vec)",
                                     type(model).__name__, where=where, describe=False))
    return wv


def piece_vector(model: Any, tokens: Iterable[str]) -> np.ndarray:
    """One piece's chord vector: the sum of the vectors of its chords (Zhao et al., Eq. 3-4).

    ``tokens`` are the M chords of one piece in order; Eq. 3 stacks their V-dimensional
    vectors into S (V x M) and each ``Z_v = F_1v + ... + F_Mv`` sums a row, so the result
    is ``(vector_size,)`` float64, a chord counted as often as it occurs. Tokens without a
    vector (below ``min_count``, or never seen) are skipped; a piece with none at all gets
    zeros.

    Paper: "weighting" the features of the M chords, written out as a plain sum; silent on
    chords outside the vocabulary. We: the plain sum; unknown chords skipped; zeros for an
    all-unknown piece (dividing by M, a mean, would make long and short pieces comparable;
    we keep the paper's sum).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    wv = _vectors(model, "piece_vector")
    if tokens is None or isinstance(tokens, (str, bytes)):
        raise WrongTypeError(message("tokens", "a sequence of chord tokens", tokens, where="piece_vector"))
    total = np.zeros(wv.vector_size, dtype=np.float64)
    for token in tokens:
        index = wv.key_to_index.get(token)
        if index is not None:
            total += wv.vectors[index]
    return total


def piece_vectors(model: Any, sequences: Iterable[Iterable[str]]) -> np.ndarray:
    """The chord vector matrix C of Zhao et al., Eq. 4: one :func:`piece_vector` per piece.

    ``sequences``: N token lists -> array ``(N, vector_size)`` float64, row ``j`` the sum
    of the chord vectors of piece ``j``. Paper: C is written V x N (pieces as columns);
    we: pieces as rows, the layout scikit-learn expects.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    wv = _vectors(model, "piece_vectors")
    rows = [piece_vector(wv, seq) for seq in sequences]
    return np.vstack(rows) if rows else np.zeros((0, wv.vector_size))


def _check_token(wv, token: Any, where: str, name: str = "token") -> str:
    if token not in wv.key_to_index:
        raise UnknownOptionError(message(name, f"a chord in the model's vocabulary ({len(wv.key_to_index)} "
                                         "tokens, model.wv.index_to_key)", token, where=where,
                                         hint="it is rarer than min_count or never occurs"))
    return token


def nearest_chords(model: Any, token: str, k: int = 5) -> pd.DataFrame:
    """The ``k`` chords whose vectors point most nearly the same way as ``token``'s.

    Returns a DataFrame with columns ``token`` and ``cosine`` (cosine similarity in [-1, 1]),
    most similar first, ``token`` itself left out; at most ``vocabulary - 1`` rows. Raises
    :class:`~mer_lessons.validation.UnknownOptionError` naming ``token`` if it has no vector.
    Not in the paper (it uses the vectors only as features); a way to look inside them.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "nearest_chords"
    wv = _vectors(model, where)
    _check_token(wv, token, where)
    k = as_int(k, "k", minimum=1, where=where)
    similar = wv.most_similar(token, topn=min(k, len(wv.key_to_index) - 1)) if len(wv.key_to_index) > 1 else []
    return pd.DataFrame(similar, columns=["token", "cosine"])


def project_2d(model: Any, tokens: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Chord vectors projected onto their first two principal components, for a scatter plot.

    ``tokens``: which chords (default: the whole vocabulary, most frequent first). PCA is
    fitted on those vectors (centred, SVD); each component's sign is fixed so that its
    largest-magnitude loading is positive, so the picture does not flip between runs.
    Returns a DataFrame ``token, x, y`` (one row per token). With a single token, or all
    vectors equal, the coordinates are 0. Not in the paper; for looking at the embedding.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "project_2d"
    wv = _vectors(model, where)
    if tokens is None:
        tokens = list(wv.index_to_key)
    elif isinstance(tokens, (str, bytes)):
        raise WrongTypeError(message("tokens", "a list of chord tokens", tokens, where=where))
    tokens = [_check_token(wv, t, where, "tokens") for t in tokens]
    if not tokens:
        raise EmptyInputError(message("tokens", "at least one token", "an empty list", where=where, describe=False))
    x = np.vstack([wv[t] for t in tokens]).astype(np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    components = np.zeros((2, x.shape[1]))
    components[: min(2, len(vt))] = vt[:2]
    for row in components:
        if np.any(row) and row[np.argmax(np.abs(row))] < 0:
            row *= -1
    xy = x @ components.T
    return pd.DataFrame({"token": tokens, "x": xy[:, 0], "y": xy[:, 1]})


# --------------------------------------------------------------------------- measurement


def dominant_tonic_pairs(vocabulary: Iterable[str], *, dominants: Sequence[str] = ("7", "maj"),
                         tonics: Sequence[str] = ("maj", "min")) -> list[tuple[str, str]]:
    """Dominant -> tonic chord pairs in all 12 keys, kept where both are in ``vocabulary``.

    For each tonic root r (C, C#, ..., B) the dominant's root lies a fifth above
    (``r + 7`` semitones): with the defaults ``G:7 -> C:maj``, ``G:7 -> C:min``,
    ``G:maj -> C:maj``, ``G:maj -> C:min`` and the same transposed. Returns
    ``[(dominant, tonic), ...]`` ordered by tonic root, then ``dominants``, then
    ``tonics``. Not in the paper; the musically related pairs for :func:`relatedness_test`.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "dominant_tonic_pairs"
    if vocabulary is None or isinstance(vocabulary, (str, bytes)):
        raise WrongTypeError(message("vocabulary", "a collection of chord tokens", vocabulary, where=where))
    vocab = set(getattr(getattr(vocabulary, "wv", vocabulary), "key_to_index", vocabulary))
    for name, qualities in (("dominants", dominants), ("tonics", tonics)):
        for q in qualities:
            as_choice(q, name, tuple(CHORD_QUALITIES), where=where)
    pairs = []
    for root in range(12):
        for d in dominants:
            for t in tonics:
                pair = (f"{PITCH_CLASS_NAMES[(root + 7) % 12]}:{d}", f"{PITCH_CLASS_NAMES[root]}:{t}")
                if pair[0] in vocab and pair[1] in vocab:
                    pairs.append(pair)
    return pairs


def relatedness_test(model: Any, pairs: Sequence[tuple[str, str]], *, n_random: int = 1000,
                     control: str = "vocabulary", n_boot: int = 2000, confidence: float = 0.95,
                     seed: int = 0) -> dict[str, Any]:
    """Are related chords closer than random ones? Cosine of given pairs vs random pairs.

    ``pairs``: musically related ``(a, b)`` tokens (e.g. :func:`dominant_tonic_pairs`);
    pairs with a token outside the model's vocabulary are dropped. ``n_random`` control
    pairs of two different tokens are drawn uniformly with ``seed``: with
    ``control="vocabulary"`` from the whole vocabulary; with ``control="matched"`` the
    first token from the first members of the kept pairs and the second from the second
    members (same chords, shuffled partners: frequent major and minor triads tend to be
    similar to everything, and this control takes that out). The interval of the
    difference (related mean - random mean) is a percentile bootstrap: ``n_boot`` times,
    both groups are resampled with replacement, independently.

    Returns a dict: ``related_mean``, ``random_mean``, ``difference``, ``low``, ``high``
    (the ``confidence`` interval of the difference), ``n_related``, ``n_random``,
    ``dropped`` (pairs not in the vocabulary). A difference whose interval lies above 0
    says the embedding places these pairs closer than chance. Not in the paper, which
    reports no look at the vectors themselves.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "relatedness_test"
    wv = _vectors(model, where)
    n_random = as_int(n_random, "n_random", minimum=2, where=where)
    n_boot = as_int(n_boot, "n_boot", minimum=10, where=where)
    confidence = as_float(confidence, "confidence", minimum=0, maximum=1, low_open=True, high_open=True,
                          where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    control = as_choice(control, "control", ("vocabulary", "matched"), where=where)
    if pairs is None or isinstance(pairs, (str, bytes)):
        raise WrongTypeError(message("pairs", "a list of (token, token) pairs", pairs, where=where))
    pairs = [tuple(p) for p in pairs]
    if any(len(p) != 2 for p in pairs):
        raise WrongShapeError(message("pairs", "(token, token) pairs", pairs[:3], where=where))
    kept = [p for p in pairs if p[0] in wv.key_to_index and p[1] in wv.key_to_index]
    if not kept:
        raise EmptyInputError(message("pairs", "at least one pair with both tokens in the vocabulary",
                                      f"{len(pairs)} pairs, none usable", where=where, describe=False))
    if len(wv.key_to_index) < 2:
        raise EmptyInputError(message("model", "a vocabulary of at least 2 tokens", len(wv.key_to_index),
                                      where=where))
    unit = wv.vectors / np.maximum(np.linalg.norm(wv.vectors, axis=1, keepdims=True), 1e-12)
    unit = unit.astype(np.float64)
    index = wv.key_to_index
    related = np.array([unit[index[a]] @ unit[index[b]] for a, b in kept])
    rng = np.random.default_rng(seed)
    if control == "vocabulary":
        n = len(index)
        first = rng.integers(0, n, n_random)
        second = (first + rng.integers(1, n, n_random)) % n  # a different token, uniformly
    else:
        lefts = np.array(sorted({index[a] for a, _ in kept}))
        rights = np.array(sorted({index[b] for _, b in kept}))
        if len(set(lefts) | set(rights)) < 2:
            raise EmptyInputError(message("pairs", "at least two different tokens for control='matched'",
                                          kept[:3], where=where))
        first, second = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        while len(first) < n_random:  # rejection: keep the draws whose two tokens differ
            a = lefts[rng.integers(0, len(lefts), n_random)]
            b = rights[rng.integers(0, len(rights), n_random)]
            first, second = np.append(first, a[a != b]), np.append(second, b[a != b])
        first, second = first[:n_random], second[:n_random]
    random = np.einsum("ij,ij->i", unit[first], unit[second])
    boot_r = related[rng.integers(0, len(related), (n_boot, len(related)))].mean(axis=1)
    boot_x = random[rng.integers(0, n_random, (n_boot, n_random))].mean(axis=1)
    low, high = np.quantile(boot_r - boot_x, [(1 - confidence) / 2, (1 + confidence) / 2])
    return {"related_mean": float(related.mean()), "random_mean": float(random.mean()),
            "difference": float(related.mean() - random.mean()), "low": float(low), "high": float(high),
            "n_related": len(kept), "n_random": n_random, "dropped": len(pairs) - len(kept)}


# --------------------------------------------------------------------------- corpora


def _merge_repeats(tokens: list[str]) -> list[str]:
    return [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]


def chord_sequences_from_chorales(dataset: Any = None, *, source: str = "chords", merge_repeats: bool = True,
                                  fallback: str = "unknown", rule: str = "onset",
                                  **load_options: Any) -> pd.DataFrame:
    """Chord-token sequences of Bach chorales (the course's ``chorales`` dataset), one per piece.

    Parameters
    ----------
    dataset : a loaded chorales dataset (``mer_lessons.data.load("chorales", ...)``); if
        ``None`` it is loaded with ``load_options`` (e.g. ``n_pieces=40``,
        ``engine="additive"``, ``verbose=False``; the first build renders audio too).
    source : ``"chords"`` (default): the dataset's chord table, one chord per quarter-note
        beat, each named by :func:`chord_token` from its pitches; ``"notes"``: the notes cut
        by :func:`segment_chords` at the chorale's tempo in 4/4 with ``rule``.
    merge_repeats : join consecutive equal tokens (a half-note chord fills two beats of the
        chord table; one chord event, one word).
    fallback : passed to :func:`chord_token`.

    Returns a DataFrame, one row per chorale: ``id``, ``key``, ``mode``, ``tempo`` (beats
    per minute), ``n_chords`` and ``tokens`` (list of str).

    Paper: Chord2Vec is trained on the EMA dataset's MIDI files (not published). We: Bach
    chorales, which are offline and harmonically clear; the beat-sampled chord table skips
    passing notes, which the paper's onset rule would fold into its chords.

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "chord_sequences_from_chorales"
    source = as_choice(source, "source", ("chords", "notes"), where=where)
    fallback = as_choice(fallback, "fallback", ("unknown", "pcset"), where=where)
    if dataset is None:
        from mer_lessons.data import load
        dataset = load("chorales", **load_options)
    elif load_options:
        raise InputError(message("load_options", "empty when a dataset is given", sorted(load_options),
                                 where=where))
    meta = getattr(dataset, "meta", None)
    if meta is None or "id" not in meta.columns:
        raise WrongTypeError(message("dataset", "the chorales dataset (mer_lessons.data.load('chorales'))",
                                     type(dataset).__name__, where=where, describe=False))
    root = getattr(dataset, "root", None)
    table_name = "chords.csv" if source == "chords" else "notes.csv"
    if root is not None and (Path(root) / table_name).is_file():  # the documented cache layout: no audio read
        table = pd.read_csv(Path(root) / table_name, dtype={"id": str, "pitches": str})
        by_id = {i: g for i, g in table.groupby("id", sort=False)}
        tables = [by_id.get(i, table.iloc[:0]) for i in meta["id"]]
    else:
        tables = [dataset[i][source] for i in range(len(dataset))]
    rows = []
    for (_, entry), table in zip(meta.iterrows(), tables):
        tempo = float(entry["tempo"])
        if source == "chords":
            tokens = [chord_token([int(p) for p in str(ps).split()], fallback=fallback)
                      for ps in table["pitches"]]
        else:
            tokens = list(segment_chords(table[["onset", "duration", "pitch"]], tempo, 4, rule=rule,
                                         fallback=fallback)["token"])
        if merge_repeats:
            tokens = _merge_repeats(tokens)
        rows.append({"id": entry["id"], "key": entry.get("key", ""), "mode": entry.get("mode", ""),
                     "tempo": tempo, "n_chords": len(tokens), "tokens": tokens})
    return pd.DataFrame(rows, columns=["id", "key", "mode", "tempo", "n_chords", "tokens"])


def _read_midi(path: Path) -> tuple[pd.DataFrame, float]:
    """Notes (drums left out) and the first tempo of a MIDI file."""
    import pretty_midi

    from mer_lessons.data.errors import DatasetFormatError

    if not path.is_file():
        raise FileNotFoundError(f"{path}: MIDI file not found")
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido/pretty_midi raise many types on bad files
        raise DatasetFormatError(f"{path}: not a readable MIDI file ({type(error).__name__}: {error})") from error
    notes = pd.DataFrame([(n.start, n.end, n.pitch) for inst in midi.instruments if not inst.is_drum
                          for n in inst.notes], columns=["start", "end", "pitch"])
    _, tempi = midi.get_tempo_changes()
    return notes, float(tempi[0]) if len(tempi) else 120.0


def chord_sequences_from_midi(sources: Sequence[Any], tempo_bpm: Any = None, *, beats_per_measure: int = 4,
                              rule: str = "onset", merge_repeats: bool = False, fallback: str = "unknown",
                              ids: Optional[Sequence[Any]] = None, errors: str = "raise") -> pd.DataFrame:
    """Chord-token sequences of MIDI pieces (EMOPIA, VGMIDI, ...) by :func:`segment_chords`.

    Parameters
    ----------
    sources : MIDI file paths, or note tables (what the EMOPIA/VGMIDI loaders put in
        ``item["notes"]``: ``onset, duration, pitch``; or ``start, end, pitch``), one per piece.
    tempo_bpm : beats per minute, one number for all pieces or one per piece. ``None``:
        read from each file (its first tempo event; 120, the MIDI default, without one);
        note tables then need a tempo and raise an error naming ``tempo_bpm``.
    beats_per_measure, rule : passed to :func:`segment_chords` (paper: 4/4, the onset rule).
    merge_repeats : join consecutive equal tokens.
    fallback : passed to :func:`chord_token`.
    ids : names of the pieces (default: file stems, or 0, 1, ...).
    errors : ``"raise"`` (default) or ``"skip"``: a missing or unreadable MIDI file is left
        out with a warning naming it (real collections hold a few broken files; EMOPIA
        does); the ``id`` column says which pieces are there.

    Returns a DataFrame, one row per piece: ``id``, ``tempo``, ``n_chords``, ``tokens``.

    Paper: notes read with musicpy, 4/4 for all music "for data uniformity", BPM per piece
    (Sec. III.C). We: pretty_midi, drums left out, the first tempo of the file for the
    whole piece (tempo changes are ignored).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    where = "chord_sequences_from_midi"
    if sources is None or isinstance(sources, (str, bytes, Path, pd.DataFrame)):
        raise WrongTypeError(message("sources", "a list of MIDI paths or note tables (one per piece)",
                                     type(sources).__name__, where=where, describe=False))
    sources = list(sources)
    if tempo_bpm is None or np.ndim(tempo_bpm) == 0:
        tempi = [tempo_bpm] * len(sources)
    else:
        tempi = list(tempo_bpm)
        if len(tempi) != len(sources):
            raise WrongShapeError(message("tempo_bpm", f"one number or {len(sources)} (one per source)",
                                          f"{len(tempi)} values", where=where, describe=False))
    if ids is not None and len(ids) != len(sources):
        raise WrongShapeError(message("ids", f"{len(sources)} names (one per source)", f"{len(ids)}",
                                      where=where, describe=False))
    errors = as_choice(errors, "errors", ("raise", "skip"), where=where)
    rows = []
    for i, (src, tempo) in enumerate(zip(sources, tempi)):
        if isinstance(src, (str, Path)):
            try:
                notes, file_tempo = _read_midi(Path(src))
            except (OSError, ValueError) as error:    # DatasetFormatError is a ValueError
                if errors == "raise":
                    raise
                warnings.warn(f"chord_sequences_from_midi: skipped {src}: {error}", stacklevel=2)
                continue
            name = Path(src).stem
            tempo = file_tempo if tempo is None else tempo
        else:
            notes, name = src, i
            if tempo is None:
                raise WrongTypeError(message("tempo_bpm", "a number (beats per minute) when sources are note "
                                             "tables", None, where=where))
        tempo = as_float(tempo, "tempo_bpm", minimum=0, low_open=True, where=where, unit="beats per minute")
        tokens = list(segment_chords(notes, tempo, beats_per_measure, rule=rule, fallback=fallback)["token"])
        if merge_repeats:
            tokens = _merge_repeats(tokens)
        rows.append({"id": ids[i] if ids is not None else name, "tempo": tempo, "n_chords": len(tokens),
                     "tokens": tokens})
    return pd.DataFrame(rows, columns=["id", "tempo", "n_chords", "tokens"])
