"""Bach chorales from music21's corpus, rendered to MIDI and audio: real music, offline.

``load("chorales")`` (or :func:`load_chorales`) builds, on first use, a small dataset of
four-part chorales harmonised by J. S. Bach, taken from the score corpus that ships inside
the ``music21`` wheel (no download). Per chorale it keeps

* the **notes** (one row per note: onset/duration in seconds at the rendered tempo, MIDI
  pitch, velocity, voice ``part``, and the score position in quarter notes),
* a **MIDI file** and **audio** rendered from it (:func:`mer_lessons.data.render.render_midi`:
  FluidSynth with a church-organ sound when available, else the additive synthesizer),
* the **chord sequence**: one row per quarter-note beat, the chord sounding at the beat
  (root, bass, quality, pitch-class set, a readable name, a chord symbol and a Roman
  numeral in the analysed key), for Chord2Vec in the Zhao et al. chapter,
* the **key** found by music21's key analysis (``score.analyze('key')``, Krumhansl-style
  profile matching) with its correlation coefficient, and the key the file notates,
* the **tempo** it was rendered at.

Labels: ``mode`` (major/minor) and ``key``. Mode is used in chapter 04 as a *proxy* for
valence. That is a tendency of Western listeners (major sounds happier than minor on
average), not a measurement of felt emotion: a minor-key chorale by Bach is not "sad"
because it is in minor. The card (``datasets/chorales.md``) says more.

Cache: ``<data dir>/chorales/<build key>/`` with ``audio/<id>.wav``, ``midi/<id>.mid``,
``notes.csv``, ``chords.csv``, ``meta.csv``, ``README.md`` and ``build.json``. The build key
encodes every option and :data:`GENERATOR_VERSION`, so changing an option builds a new
folder and the second load with the same options reads the files (no parsing). A build is
written to a temporary folder and renamed into place, so an interrupted build never leaves
a half-written cache behind.

Scores: public domain. music21 (and its corpus encoding): BSD licence. Cite
Cuthbert & Ariza (2010), "music21: A toolkit for computer-aided musicology and symbolic
music data", ISMIR.

Used in ``04_emotion_models_and_datasets`` and the Zhao et al. chapter (Chord2Vec).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_lessons.data import render
from mer_lessons.data.core import Dataset, register_loader
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import read_audio
from mer_lessons.environment import data_dir

#: Bump when the generated files change for the same options (invalidates old caches).
GENERATOR_VERSION = 1

#: General MIDI program the chorales are rendered with (19 = Church Organ).
DEFAULT_PROGRAM = 19

#: Tempo range (quarter notes per minute) drawn from when the score has no metronome mark
#: and ``tempo=None``; chorales are usually sung at roughly these tempi.
TEMPO_RANGE = (66, 96)

#: Velocity of the top voice (the chorale melody) and of the lower voices.
MELODY_VELOCITY, VOICE_VELOCITY = 90, 76

LABEL_COLUMNS = ("mode", "key")

#: Voice names used when a score does not name its four parts.
_VOICES = ("Soprano", "Alto", "Tenor", "Bass")

_META_DTYPES = {"id": str, "title": str, "corpus_path": str, "bwv": str, "key": str, "mode": str,
                "notated_key": str, "time_signature": str, "tempo_source": str, "engine": str}


def _music21():
    try:
        import music21  # noqa: F401
        from music21 import corpus
    except ImportError as error:  # pragma: no cover - music21 is in the 'music' extra
        raise ImportError("the 'chorales' dataset needs music21: pip install 'mer_lessons[music]' "
                          "(or pip install music21)") from error
    return corpus


# --------------------------------------------------------------------------- catalogue


@functools.lru_cache(maxsize=1)
def _catalog_cached() -> pd.DataFrame:
    corpus = _music21()
    from music21.corpus import chorales

    rows, seen = [], set()
    preference = {".mxl": 0, ".xml": 1, ".musicxml": 1, ".krn": 2}
    shipped: dict[str, str] = {}  # stem -> file name in the wheel, MusicXML preferred over Humdrum
    for path in sorted(Path(str(p)) for p in corpus.getComposer("bach")):
        if path.suffix in preference and (path.stem not in shipped or
                                          preference[path.suffix] < preference[Path(shipped[path.stem]).suffix]):
            shipped[path.stem] = path.name
    by_number = chorales.ChoraleListRKBWV().byRiemenschneider
    for number in sorted(by_number):
        entry = by_number[number]
        stem = f"bwv{entry['bwv']}"
        if stem in seen or stem not in shipped:  # a few harmonisations are listed twice
            continue
        seen.add(stem)
        rows.append({"id": stem, "riemenschneider": int(number), "bwv": str(entry["bwv"]),
                     "title": str(entry["title"]), "corpus_path": f"bach/{shipped[stem]}"})
    return pd.DataFrame(rows)


def chorale_catalog() -> pd.DataFrame:
    """Every distinct chorale the music21 corpus ships (about 350), in Riemenschneider order:
    columns id (``bwv269``), riemenschneider, bwv, title, corpus_path (``bach/bwv269.mxl``;
    MusicXML preferred where the corpus also has a Humdrum version).

    Taught in ``04_emotion_models_and_datasets``.
    """
    return _catalog_cached().copy()


def select_chorales(n_pieces: int, seed: int = 0) -> pd.DataFrame:
    """The ``n_pieces`` chorales a build uses: a seeded random order of the catalogue, first
    ``n_pieces`` of it, listed in Riemenschneider order. Smaller selections with the same
    seed are subsets of larger ones.

    Taught in ``04_emotion_models_and_datasets``.
    """
    catalog = _catalog_cached()
    if not (isinstance(n_pieces, (int, np.integer)) and 1 <= n_pieces <= len(catalog)):
        raise ValueError(f"chorales: n_pieces must be an integer from 1 to {len(catalog)}, got {n_pieces!r}")
    order = np.random.default_rng(seed).permutation(len(catalog))[: int(n_pieces)]
    return catalog.iloc[np.sort(order)].reset_index(drop=True)


# --------------------------------------------------------------------------- one chorale


def _pc_name(pitch) -> str:
    """A pitch-class name with 'b' for flats (music21 writes B- for B flat)."""
    return pitch.name.replace("-", "b")


def _key_name(key) -> str:
    return f"{_pc_name(key.tonic)} {key.mode}"


def _score_tempo(score) -> float | None:
    from music21 import tempo as m21tempo

    for mark in score.recurse().getElementsByClass(m21tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm:
            return float(bpm)
    return None


def _notated_key(score) -> tuple[str, int]:
    from music21 import key as m21key

    for signature in score.recurse().getElementsByClass(m21key.KeySignature):
        name = _key_name(signature) if isinstance(signature, m21key.Key) else ""
        return name, int(signature.sharps)
    return "", 0


def _score_notes(score) -> pd.DataFrame:
    """Notes in quarter-note units (ties merged, repeats not expanded, grace notes dropped)."""
    rows = []
    for index, part in enumerate(score.parts):
        name = (part.partName or "").strip() or (
            _VOICES[index] if len(score.parts) == len(_VOICES) else f"Part {index + 1}")
        velocity = MELODY_VELOCITY if index == 0 else VOICE_VELOCITY
        for element in part.stripTies().flatten().notes:
            length = float(element.quarterLength)
            if length <= 0:
                continue
            for pitch in element.pitches:
                rows.append({"part": name, "onset_ql": float(element.offset), "duration_ql": length,
                             "pitch": int(pitch.midi), "velocity": velocity,
                             "spelling": _pc_name(pitch) + str(pitch.octave)})
    if not rows:
        raise DatasetFormatError("chorale score has no notes")
    return pd.DataFrame(rows)


#: Chord-symbol suffix for music21's common chord names (anything else: the triad quality).
_SYMBOL_SUFFIX = {
    "major triad": "", "minor triad": "m", "diminished triad": "dim", "augmented triad": "aug",
    "dominant seventh chord": "7", "incomplete dominant-seventh chord": "7", "major seventh chord": "maj7",
    "incomplete major-seventh chord": "maj7", "minor seventh chord": "m7",
    "incomplete minor-seventh chord": "m7", "half-diminished seventh chord": "m7b5",
    "incomplete half-diminished seventh chord": "m7b5", "diminished seventh chord": "dim7",
    "incomplete diminished-seventh chord": "dim7",
}
_QUALITY_SUFFIX = {"major": "", "minor": "m", "diminished": "dim", "augmented": "aug", "other": "?"}


_PITCH_NAME = re.compile(r"[A-G][#b]*")


def _m21_name(spelling: str) -> str:
    """'Bb4' -> 'B-4' (music21 spells flats with '-')."""
    return spelling[0] + spelling[1:].replace("b", "-")


_LETTERS = "CDEFGAB"
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_INVERSIONS = {False: ("", "6", "64"), True: ("7", "65", "43", "42")}


def _pitch_class(name: str) -> int:
    return (_LETTER_PC[name[0]] + name.count("#") - name[1:].count("b")) % 12


def roman_numeral(root: str, bass: str, quality: str, common_name: str, key_name: str) -> str:
    """A Roman numeral for a chord in a key, the way harmony textbooks write it.

    The scale degree comes from the root's letter name relative to the tonic, with ``b``/``#``
    for roots outside the scale (in minor, the raised 6th and 7th degrees count as in the
    scale); upper case for major/augmented chords, lower case for minor/diminished, ``o``
    (diminished), ``ø`` (half-diminished), ``+`` (augmented); figures ``6``/``64`` for
    triad inversions and ``7``/``65``/``43``/``42`` for seventh chords; ``?`` after the
    numeral of a sonority that is neither a triad nor a seventh chord (passing-note
    collisions, suspensions). In minor, VI and VII are the natural-minor degrees (music21's
    own ``romanNumeralFromChord`` writes bVI, bVII). Works on spelled names ('Bb', 'F#'),
    so it is fast and needs no music21 call.

    Taught in ``04_emotion_models_and_datasets``.
    """
    tonic, mode = key_name.split(" ")
    degree = (_LETTERS.index(root[0]) - _LETTERS.index(tonic[0])) % 7
    expected = (_pitch_class(tonic) + _SCALES[mode][degree]) % 12
    shift = (_pitch_class(root) - expected + 6) % 12 - 6
    if mode == "minor" and degree in (5, 6) and shift == 1:
        shift = 0  # raised 6th / leading tone of the melodic and harmonic minor
    numeral = _NUMERALS[degree]
    if quality in ("minor", "diminished"):
        numeral = numeral.lower()
    seventh = "seventh" in common_name
    if common_name not in _SYMBOL_SUFFIX:
        prefix = "b" * -shift if shift < 0 else "#" * shift
        return f"{prefix}{numeral}?"
    suffix = "ø" if "half-diminished" in common_name else "o" if quality == "diminished" else \
        "+" if quality == "augmented" else ""
    interval = (_pitch_class(bass) - _pitch_class(root)) % 12
    position = 0 if interval == 0 else 1 if interval in (3, 4) else 2 if interval in (6, 7, 8) else 3
    figures = _INVERSIONS[seventh]
    figure = figures[position] if position < len(figures) else ""
    prefix = "b" * -shift if shift < 0 else "#" * shift
    return f"{prefix}{numeral}{suffix}{figure}"


@functools.lru_cache(maxsize=8192)
def _describe_chord(names: tuple[str, ...], bass: str, key_name: str) -> dict[str, Any]:
    """Root, quality, name, symbol and Roman numeral of the pitch names ``names`` (no
    octaves) over ``bass``, in ``key_name``. Cached: chorales reuse their chords."""
    from music21 import chord

    c = chord.Chord([_m21_name(bass) + "2"] + [_m21_name(n) + "4" for n in names])
    root = _pc_name(c.root())
    common = c.commonName
    quality = c.quality
    suffix = _SYMBOL_SUFFIX.get(common, _QUALITY_SUFFIX.get(quality, ""))
    symbol = root + suffix + ("" if bass == root else f"/{bass}")
    numeral = roman_numeral(root, bass, quality, common, key_name) if len(names) > 1 else ""
    return {"root": root, "bass": bass, "quality": quality, "name": f"{root} {common}",
            "symbol": symbol, "roman": numeral}


def _beat_chords(notes: pd.DataFrame, seconds_per_quarter: float, key_name: str) -> pd.DataFrame:
    """The chord sounding at each quarter-note beat (sampling the score's vertical slices)."""
    onset = notes["onset_ql"].to_numpy()
    end = onset + notes["duration_ql"].to_numpy()
    pitch = notes["pitch"].to_numpy()
    spelling = notes["spelling"].to_numpy()
    total = float(end.max())
    rows = []
    for beat in np.arange(0.0, math.ceil(total - 1e-9), 1.0):
        sounding = (onset <= beat + 1e-9) & (end > beat + 1e-9)
        if not sounding.any():
            continue  # a rest in every voice
        order = np.argsort(pitch[sounding], kind="stable")
        pitches = pitch[sounding][order]
        names = [_PITCH_NAME.match(s).group() for s in spelling[sounding][order]]
        rows.append({"onset": beat * seconds_per_quarter,
                     "duration": (min(beat + 1.0, total) - beat) * seconds_per_quarter,
                     "onset_ql": beat, "pitches": " ".join(str(int(p)) for p in pitches),
                     "pitch_classes": " ".join(str(pc) for pc in sorted({int(p) % 12 for p in pitches})),
                     **_describe_chord(tuple(sorted(set(names))), names[0], key_name)})
    return pd.DataFrame(rows)


def _piece(entry: pd.Series, *, tempo: float | None, seed: int, program: int) -> dict[str, Any]:
    """Parse one chorale and compute its notes, chords, key and tempo (no files written)."""
    corpus = _music21()
    from music21 import meter

    try:
        score = corpus.parse(entry["corpus_path"], forceSource=True)  # forceSource: no pickle written
    except Exception as error:
        raise DatasetFormatError(f"chorales: music21 could not parse {entry['corpus_path']} ({error})") from error
    analysed = score.analyze("key")
    key_name = _key_name(analysed)
    notated, sharps = _notated_key(score)
    if tempo is not None:
        bpm, source = float(tempo), "argument"
    elif (marked := _score_tempo(score)) is not None:
        bpm, source = marked, "score"
    else:
        rng = np.random.default_rng([int(seed), int(entry["riemenschneider"])])
        bpm, source = float(rng.integers(TEMPO_RANGE[0], TEMPO_RANGE[1] + 1)), "random"
    spq = 60.0 / bpm
    quarters = _score_notes(score)
    notes = render.notes_frame(quarters.assign(onset=quarters["onset_ql"] * spq,
                                               duration=quarters["duration_ql"] * spq,
                                               program=program))
    chords = _beat_chords(quarters, spq, key_name)
    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    return {
        "notes": notes, "chords": chords,
        "meta": {"key": key_name, "mode": analysed.mode,
                 "key_correlation": float(analysed.correlationCoefficient),
                 "notated_key": notated, "key_signature_sharps": sharps,
                 "tempo": bpm, "tempo_source": source,
                 "time_signature": signatures[0].ratioString if signatures else "",
                 "n_parts": len(score.parts), "n_notes": len(notes), "n_chords": len(chords),
                 "duration": float((notes["onset"] + notes["duration"]).max())},
    }


# --------------------------------------------------------------------------- building


def build_key(*, n_pieces: int, sr: int, tempo: float | None, engine: str, program: int, seed: int) -> str:
    """Folder name of a build: every option plus the generator version (``engine`` resolved).

    Taught in ``04_emotion_models_and_datasets``.
    """
    tempo_part = "auto" if tempo is None else f"{float(tempo):g}"
    return f"v{GENERATOR_VERSION}_n{n_pieces}_sr{sr}_t{tempo_part}_{engine}_p{program}_s{seed}"


def _readme(options: dict[str, Any], meta: pd.DataFrame) -> str:
    modes = meta["mode"].value_counts().to_dict()
    return (
        "# Bach chorales, rendered (mer_lessons generated dataset)\n\n"
        "Built by `mer_lessons.data.load('chorales')` from the score corpus shipped with music21;\n"
        "delete this folder to rebuild it. See the dataset card (`mer_lessons.data.card('chorales')`).\n\n"
        f"- options: {json.dumps(options, sort_keys=True)}\n"
        f"- pieces: {len(meta)} ({', '.join(f'{k}: {v}' for k, v in sorted(modes.items()))})\n"
        "- audio/<id>.wav: mono 16-bit PCM, fixed gain (velocity differences kept)\n"
        "- midi/<id>.mid: one track per voice, tempo written to the file\n"
        "- notes.csv: id, onset, duration (s), pitch, velocity, program, is_drum, part, onset_ql, duration_ql, spelling\n"
        "- chords.csv: id, onset, duration (s), onset_ql, pitches, root, bass, quality, pitch_classes, "
        "name, symbol, roman (one row per quarter-note beat)\n"
        "- meta.csv: one row per chorale (id, title, key, mode, key_correlation, tempo, ...)\n\n"
        "Labels: `mode` and `key` from music21's key analysis. Mode is only a proxy for valence: in\n"
        "Western listeners major tends to sound happier than minor, but mode is not a label of\n"
        "felt emotion and a chorale in minor is not 'sad' because of it.\n"
        "Scores: public domain; music21 and its corpus encoding: BSD licence.\n"
    )


def _build(target: Path, options: dict[str, Any], *, verbose: bool) -> None:
    import soundfile as sf

    selection = select_chorales(options["n_pieces"], options["seed"])
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".building-{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if verbose:
        print(f"chorales: building {len(selection)} chorales ({options['engine']} rendering) into {target} ...",
              file=sys.stderr, flush=True)
    try:
        (temporary / "audio").mkdir(parents=True)
        (temporary / "midi").mkdir()
        all_notes, all_chords, metas = [], [], []
        for _, entry in selection.iterrows():
            piece = _piece(entry, tempo=options["tempo"], seed=options["seed"], program=options["program"])
            piece_id = entry["id"]
            pm = render.notes_to_midi(piece["notes"], tempo=piece["meta"]["tempo"])
            midi_rel, audio_rel = f"midi/{piece_id}.mid", f"audio/{piece_id}.wav"
            render.write_midi(pm, temporary / midi_rel)
            audio = render.render_midi(pm, sr=options["sr"], engine=options["engine"])
            sf.write(temporary / audio_rel, audio, options["sr"], subtype="PCM_16")
            all_notes.append(piece["notes"].assign(id=piece_id))
            all_chords.append(piece["chords"].assign(id=piece_id))
            metas.append({"id": piece_id, "title": entry["title"], "riemenschneider": entry["riemenschneider"],
                          "bwv": entry["bwv"], "corpus_path": entry["corpus_path"], **piece["meta"],
                          "audio_duration": len(audio) / options["sr"], "engine": options["engine"],
                          "program": options["program"], "audio_path": audio_rel, "midi_path": midi_rel})
        meta = pd.DataFrame(metas)
        notes = pd.concat(all_notes, ignore_index=True)
        chords = pd.concat(all_chords, ignore_index=True)
        notes[["id"] + [c for c in notes.columns if c != "id"]].to_csv(temporary / "notes.csv", index=False)
        chords[["id"] + [c for c in chords.columns if c != "id"]].to_csv(temporary / "chords.csv", index=False)
        meta.to_csv(temporary / "meta.csv", index=False)
        (temporary / "README.md").write_text(_readme(options, meta), encoding="utf-8")
        (temporary / "build.json").write_text(json.dumps(_build_info(options), indent=2, sort_keys=True),
                                              encoding="utf-8")
        _move_into_place(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _build_info(options: dict[str, Any]) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("music21", "pretty_midi", "pyfluidsynth", "numpy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = ""
    return {"generator_version": GENERATOR_VERSION, "options": options, "versions": versions}


def _move_into_place(temporary: Path, target: Path) -> None:
    """Rename the finished build to ``target``; an existing one is replaced (rebuild)."""
    old = None
    if target.exists():
        old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    try:
        os.replace(temporary, target)
    except OSError:
        if target.exists():  # another process finished the same build first: keep theirs
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _is_complete(folder: Path) -> bool:
    return all((folder / name).exists() for name in ("meta.csv", "notes.csv", "chords.csv", "audio", "midi"))


# --------------------------------------------------------------------------- loading


def _read_table(path: Path, what: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)
    except FileNotFoundError as error:
        raise DatasetFormatError(f"chorales: {path} is missing; expected {what}") from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DatasetFormatError(f"chorales: {path} cannot be read as {what} ({error})") from error


def _open(folder: Path) -> Dataset:
    meta = _read_table(folder / "meta.csv", "one row per chorale (id, title, key, mode, ...)", dtype=_META_DTYPES)
    for column in ("notated_key", "time_signature"):
        meta[column] = meta[column].fillna("")
    notes = _read_table(folder / "notes.csv", "the notes of every chorale", dtype={"id": str, "part": str})
    chords = _read_table(folder / "chords.csv", "the beat chords of every chorale",
                         dtype={"id": str, "pitches": str, "pitch_classes": str, "symbol": str, "roman": str})
    for column in ("symbol", "roman"):
        chords[column] = chords[column].fillna("")
    notes_by_id = {i: g.drop(columns="id").reset_index(drop=True) for i, g in notes.groupby("id", sort=False)}
    chords_by_id = {i: g.drop(columns="id").reset_index(drop=True) for i, g in chords.groupby("id", sort=False)}
    empty_notes = notes.drop(columns="id").iloc[:0]
    empty_chords = chords.drop(columns="id").iloc[:0]

    def load_item(row: pd.Series) -> dict[str, Any]:
        audio, sr = read_audio(folder / row["audio_path"])
        return {
            "audio": audio, "sr": sr,
            "midi_path": str(folder / row["midi_path"]),
            "notes": notes_by_id.get(row["id"], empty_notes).copy(),
            "chords": chords_by_id.get(row["id"], empty_chords).copy(),
            "key": row["key"], "mode": row["mode"], "tempo": float(row["tempo"]), "title": row["title"],
        }

    return Dataset("chorales", meta, load_item, label_columns=LABEL_COLUMNS, root=folder)


@register_loader("chorales")
def load_chorales(root: str | Path | None = None, *, n_pieces: int = 40, sr: int = 16000,
                  tempo: float | None = None, engine: str = "auto", program: int = DEFAULT_PROGRAM,
                  rebuild: bool = False, seed: int = 0, verbose: bool = True) -> Dataset:
    """Bach chorales from music21's corpus with notes, chords, MIDI, audio, key and mode.

    Parameters
    ----------
    root : folder that holds the builds (default ``data_dir("chorales")``, i.e.
        ``$MER_LESSONS_DATA/chorales`` or ``~/.cache/mer_lessons/chorales``). Each set of
        options is built once into ``root/<build key>/`` (see :func:`build_key`).
    n_pieces : how many chorales (1 to about 350); a seeded choice, see :func:`select_chorales`.
    sr : audio sampling rate in Hz.
    tempo : quarter notes per minute for every chorale; ``None``: the score's metronome mark
        if it has one (a few corpus files do), else a tempo drawn per chorale from
        :data:`TEMPO_RANGE` with ``seed``.
    engine : ``"auto"``, ``"fluidsynth"`` or ``"additive"`` (see ``mer_lessons.data.render``);
        ``"auto"`` is resolved on this machine before the build key is made.
    program : General MIDI program of every voice (default 19, Church Organ; 52 is Choir Aahs).
    rebuild : build again even if a cached build exists (replaces it atomically).
    seed : chooses the chorales and the drawn tempi.
    verbose : print one line when a build starts (the first build of 40 chorales takes
        20-30 s on two CPU cores with FluidSynth).

    Returns
    -------
    Dataset: ``ds[i]`` has ``audio`` (float32 mono), ``sr``, ``midi_path``, ``notes``
    (DataFrame: onset, duration [s], pitch, velocity, program, is_drum, part, onset_ql,
    duration_ql [quarter notes]), ``chords`` (DataFrame, one row per quarter-note beat:
    onset, duration [s], onset_ql, pitches, root, bass, quality, pitch_classes, name,
    symbol, roman), ``key``, ``mode``, ``tempo``, ``title`` and ``labels`` {mode, key}.
    ``ds.meta``: id (corpus file stem, e.g. ``bwv269``), title, riemenschneider, bwv,
    corpus_path, key, mode, key_correlation, notated_key, key_signature_sharps, tempo,
    tempo_source, time_signature, n_parts, n_notes, n_chords, duration (s, end of the
    last note), audio_duration (s; one second of release tail), engine, program,
    audio_path, midi_path.

    Used in ``04_emotion_models_and_datasets`` (mode as a valence proxy) and the Zhao et
    al. chapter (Chord2Vec on the chord sequences).
    """
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"chorales: sr must be a positive integer (Hz), got {sr!r}")
    if tempo is not None and not (isinstance(tempo, (int, float, np.number)) and math.isfinite(tempo) and tempo > 0):
        raise ValueError(f"chorales: tempo must be None or a positive number of quarter notes per minute, got {tempo!r}")
    if not (isinstance(program, (int, np.integer)) and 0 <= program <= 127):
        raise ValueError(f"chorales: program must be a General MIDI program 0-127, got {program!r}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"chorales: seed must be an integer, got {seed!r}")
    resolved = render.resolve_engine(engine)
    if not (isinstance(n_pieces, (int, np.integer)) and n_pieces >= 1):
        raise ValueError(f"chorales: n_pieces must be a positive integer, got {n_pieces!r}")
    options = {"n_pieces": int(n_pieces), "sr": int(sr), "tempo": None if tempo is None else float(tempo),
               "engine": resolved, "program": int(program), "seed": int(seed)}
    base = Path(root).expanduser() if root is not None else data_dir("chorales")
    target = base / build_key(**options)
    if rebuild or not _is_complete(target):
        _build(target, options, verbose=verbose)
    return _open(target)
