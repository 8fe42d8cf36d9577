"""Notes, MIDI and audio: one notes table, MIDI files both ways, and two synthesizers.

The course moves music between three forms:

* a **notes table** (pandas DataFrame, one row per note): ``onset`` and ``duration`` in
  seconds, ``pitch`` (MIDI number, 60 = middle C), ``velocity`` (1-127), and optionally
  ``program`` (General MIDI program 0-127, 0 = piano), ``is_drum``, ``channel`` and
  ``part`` (a voice or track name). :func:`notes_frame` checks and normalises one;
* a **MIDI file** (``pretty_midi.PrettyMIDI``): :func:`notes_to_midi`, :func:`midi_to_notes`,
  :func:`write_midi`;
* **audio** (float32 mono): :func:`render_midi` with one of two engines:

  - ``"fluidsynth"``: the FluidSynth sample player with the General MIDI soundfont that
    ships with pretty_midi (``TimGM6mb.sf2``). Needs the system library (Debian:
    ``apt-get install --no-install-recommends libfluidsynth3``) and ``pip install pyfluidsynth``.
  - ``"additive"``: a small additive synthesizer written here in NumPy (no dependency):
    each note is a sum of harmonic partials whose number and roll-off depend on the GM
    program's family (bright brass and synth leads, dark flutes and strings, ...), shaped
    by an ADSR envelope (or a decaying one for plucked and struck families).
  - ``"auto"``: FluidSynth when :func:`fluidsynth_available`, else additive.

**Loudness is kept.** Loudness is one of the musical factors of emotion (chapter 03), so
renders are *not* peak-normalised per piece: the synthesizer output is multiplied by a
fixed gain, and only a render that would clip (peak above 1.0) is scaled down as a whole
to a peak of 0.99. With the default gains that happens only for dense, loud material (many
voices at high velocity), and the returned array is the same for the same input every time.

Used by ``mer_lessons.data.chorales`` (Bach chorales rendered to audio), the generated
teaching dataset, the MIDI loaders (``midi_to_notes``), and chapters 03, 04 and the
Chord2Vec chapter (Zhao et al.).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.validation import UnknownOptionError

#: Columns every notes table has (seconds, seconds, MIDI number, MIDI velocity).
NOTE_COLUMNS = ("onset", "duration", "pitch", "velocity")

#: Engines :func:`render_midi` accepts.
ENGINES = ("auto", "fluidsynth", "additive")

#: Fixed output gain per engine (see the module docstring: no per-piece normalisation).
#: Chosen so that one mezzo-forte note (velocity 80) has a similar level with either engine
#: (peak about 0.05-0.1) and a four-voice chorale stays well below clipping. FluidSynth's
#: raw output is taken at 16-bit full scale = 1.0 with its default synth.gain of 0.2.
DEFAULT_GAIN = {"fluidsynth": 4.0, "additive": 1.0}

#: Peak a clipping render is scaled down to.
CLIP_PEAK = 0.99

#: Seconds of audio after the last note ends (release and reverb tails). pretty_midi's
#: FluidSynth render also adds one second; both engines return exactly
#: ``ceil((end_time + tail) * sr)`` samples.
DEFAULT_TAIL = 1.0

_INSTALL_HINT = ("FluidSynth is not available: install the system library "
                 "(Debian/Ubuntu: apt-get install --no-install-recommends libfluidsynth3; "
                 "macOS: brew install fluid-synth) and the Python binding (pip install pyfluidsynth), "
                 "or use engine='additive'.")


# --------------------------------------------------------------------------- notes tables


def notes_frame(notes: Any, *, program: int = 0) -> pd.DataFrame:
    """Check and normalise a notes table.

    Parameters
    ----------
    notes : DataFrame, list of dicts, list of tuples ``(onset, duration, pitch, velocity
        [, program])`` or an array with those columns. ``start``/``end`` columns are
        accepted in place of ``onset``/``duration``.
    program : GM program for notes without a ``program`` column.

    Returns
    -------
    DataFrame with columns ``onset`` (s, float), ``duration`` (s, float), ``pitch`` (int
    0-127), ``velocity`` (int 1-127), ``program`` (int 0-127), ``is_drum`` (bool), plus
    any other columns given (``channel``, ``part``, ...), sorted by onset then pitch, index
    0..n-1.

    Raises
    ------
    ValueError naming the column and the first offending row: missing columns, non-finite
    or negative times, pitches outside 0-127 or not whole numbers, velocities outside 1-127.

    Taught in ``04_emotion_models_and_datasets``.
    """
    frame = _as_frame(notes)
    if "onset" not in frame.columns and "start" in frame.columns:
        frame = frame.rename(columns={"start": "onset"})
    if "duration" not in frame.columns and "end" in frame.columns and "onset" in frame.columns:
        frame = frame.assign(duration=_numeric(frame["end"], "end") - _numeric(frame["onset"], "onset")
                             ).drop(columns="end")
    missing = [c for c in NOTE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"notes table: missing column(s) {missing}; expected {list(NOTE_COLUMNS)} "
                         f"(got {list(frame.columns)})")
    if "program" not in frame.columns:
        frame["program"] = program
    if "is_drum" not in frame.columns:
        frame["is_drum"] = False

    out = frame.copy()
    for column in ("onset", "duration"):
        values = _numeric(out[column], column)
        _check(np.isfinite(values), column, values, "must be finite")
        _check(values >= 0, column, values, "must be >= 0 seconds")
        out[column] = values.astype(np.float64)
    for column, low, high in (("pitch", 0, 127), ("velocity", 1, 127), ("program", 0, 127)):
        values = _numeric(out[column], column)
        _check(np.isfinite(values) & (values == np.round(values)), column, values, "must be whole numbers")
        _check((values >= low) & (values <= high), column, values, f"must be in {low}-{high}")
        out[column] = values.astype(np.int64)
    out["is_drum"] = out["is_drum"].fillna(False).astype(bool)
    if "channel" in out.columns:
        values = _numeric(out["channel"], "channel")
        _check((values >= 0) & (values <= 15) & (values == np.round(values)), "channel", values,
               "must be a MIDI channel 0-15")
        out["channel"] = values.astype(np.int64)

    order = np.lexsort((out["pitch"].to_numpy(), out["onset"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    first = list(NOTE_COLUMNS) + ["program", "is_drum"]
    return out[first + [c for c in out.columns if c not in first]]


def _as_frame(notes: Any) -> pd.DataFrame:
    if isinstance(notes, pd.DataFrame):
        return notes.copy()
    if isinstance(notes, np.ndarray):
        if notes.ndim != 2 or notes.shape[1] not in (4, 5):
            raise ValueError(f"notes array: expected shape (n, 4) or (n, 5) "
                             f"[onset, duration, pitch, velocity(, program)], got {notes.shape}")
        return pd.DataFrame(notes, columns=list(NOTE_COLUMNS) + (["program"] if notes.shape[1] == 5 else []))
    if isinstance(notes, Iterable) and not isinstance(notes, (str, bytes, dict)):
        rows = list(notes)
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in NOTE_COLUMNS})
        if all(isinstance(r, dict) for r in rows):
            return pd.DataFrame(rows)
        if all(isinstance(r, (tuple, list)) and len(r) in (4, 5) for r in rows):
            width = len(rows[0])
            if any(len(r) != width for r in rows):
                raise ValueError("notes: tuples must all have the same length (4 or 5)")
            return pd.DataFrame(rows, columns=list(NOTE_COLUMNS) + (["program"] if width == 5 else []))
    raise ValueError("notes: expected a DataFrame, a list of dicts, a list of (onset, duration, pitch, "
                     f"velocity[, program]) tuples or an (n, 4|5) array, got {type(notes).__name__}")


def _numeric(series: pd.Series, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"notes table: column {column!r} must be numeric; row {row} is {series.iloc[row]!r}")
    return values


def _check(ok: np.ndarray, column: str, values: np.ndarray, what: str) -> None:
    if not np.all(ok):
        row = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"notes table: {column} {what}; row {row} has {values[row]!r}")


# --------------------------------------------------------------------------- MIDI


def notes_to_midi(notes: Any, *, tempo: float = 120.0, program: int = 0):
    """A ``pretty_midi.PrettyMIDI`` holding the notes, with ``tempo`` (bpm) written to the file.

    One instrument (MIDI track) per ``program`` (and per drum flag); when the table has a
    ``part`` column, one per part instead, named after it (so a four-voice chorale keeps
    its soprano, alto, tenor and bass tracks). Times stay in seconds: the tempo only sets
    how the file counts beats, so write the tempo the notes were timed at.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import pretty_midi

    if not (isinstance(tempo, (int, float, np.number)) and math.isfinite(tempo) and tempo > 0):
        raise ValueError(f"notes_to_midi: tempo must be a positive number of beats per minute, got {tempo!r}")
    table = notes_frame(notes, program=program)
    pm = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=float(tempo))
    keys = ["part", "program", "is_drum"] if "part" in table.columns else ["program", "is_drum"]
    if table.empty:
        return pm
    for key, group in table.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        prog, drum = int(group["program"].iloc[0]), bool(group["is_drum"].iloc[0])
        if "part" in table.columns:
            name = str(key[0])
        else:
            name = "Drums" if drum else pretty_midi.program_to_instrument_name(prog)
        instrument = pretty_midi.Instrument(program=prog, is_drum=drum, name=name)
        for onset, duration, pitch, velocity in group[list(NOTE_COLUMNS)].itertuples(index=False):
            instrument.notes.append(pretty_midi.Note(velocity=int(velocity), pitch=int(pitch),
                                                     start=float(onset), end=float(onset + duration)))
        pm.instruments.append(instrument)
    return pm


def midi_to_notes(pm_or_path: Any) -> pd.DataFrame:
    """The notes of a MIDI file (or ``PrettyMIDI``) as a table (see :func:`notes_frame`).

    Columns: onset, duration, pitch, velocity, program, is_drum, part (the track's name,
    or ``track<i>`` when it has none), sorted by onset then pitch.

    Raises
    ------
    DatasetFormatError naming the file when it is missing or not a readable Standard MIDI File.

    Taught in ``04_emotion_models_and_datasets``.
    """
    pm = _as_pretty_midi(pm_or_path)
    rows = []
    for index, instrument in enumerate(pm.instruments):
        part = instrument.name.strip() or f"track{index}"
        for note in instrument.notes:
            rows.append((note.start, max(note.end - note.start, 0.0), note.pitch, note.velocity,
                         instrument.program, instrument.is_drum, part))
    columns = list(NOTE_COLUMNS) + ["program", "is_drum", "part"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame.astype({"onset": float, "duration": float, "pitch": np.int64, "velocity": np.int64,
                             "program": np.int64, "is_drum": bool, "part": object})
    # MIDI allows velocity-0 note-ons only as note-offs; pretty_midi never returns them.
    return notes_frame(frame)


def _as_pretty_midi(pm_or_path: Any):
    import pretty_midi

    if isinstance(pm_or_path, pretty_midi.PrettyMIDI):
        return pm_or_path
    if not isinstance(pm_or_path, (str, PathLike)):
        raise TypeError(f"expected a pretty_midi.PrettyMIDI or a path to a .mid file, got {type(pm_or_path).__name__}")
    path = Path(pm_or_path)
    if not path.is_file():
        raise DatasetFormatError(f"{path}: MIDI file is missing; expected a Standard MIDI File (.mid)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # tempo events on non-zero tracks, common and harmless
            return pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido/pretty_midi raise many types (OSError, EOFError, KeyError, ValueError...)
        raise DatasetFormatError(f"{path}: cannot read as a Standard MIDI File ({type(error).__name__}: {error})") from error


def write_midi(pm, path: str | PathLike) -> Path:
    """Write a ``PrettyMIDI`` to ``path`` (parent folders created); return the path.

    Taught in ``04_emotion_models_and_datasets``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(path))
    return path


# --------------------------------------------------------------------------- engines


def default_soundfont() -> Path:
    """The General MIDI soundfont that ships with pretty_midi (``TimGM6mb.sf2``).

    Taught in ``04_emotion_models_and_datasets``.
    """
    import pretty_midi

    return Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"


@functools.lru_cache(maxsize=1)
def fluidsynth_available() -> bool:
    """True when FluidSynth rendering works here: pyfluidsynth imports (which loads the
    libfluidsynth shared library), pretty_midi sees it, and pretty_midi's ``TimGM6mb.sf2``
    is present."""
    try:
        import fluidsynth
        import pretty_midi.fluidsynth as pm_fluidsynth
    except (ImportError, OSError):
        return False
    if not getattr(pm_fluidsynth, "_HAS_FLUIDSYNTH", True):
        return False
    if not hasattr(fluidsynth, "Synth"):
        return False
    return default_soundfont().is_file()


def resolve_engine(engine: str = "auto") -> str:
    """``"fluidsynth"`` or ``"additive"``: what ``engine`` means on this machine.

    Raises ValueError for an unknown engine and RuntimeError (with the install commands)
    when ``"fluidsynth"`` is asked for but not available.

    Taught in ``04_emotion_models_and_datasets``.
    """
    if engine not in ENGINES:
        raise UnknownOptionError(f"render engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "fluidsynth" if fluidsynth_available() else "additive"
    if engine == "fluidsynth" and not fluidsynth_available():
        raise RuntimeError(_INSTALL_HINT)
    return engine


def render_midi(pm: Any, *, sr: int = 16000, engine: str = "auto", soundfont: str | PathLike | None = None,
                gain: float | None = None, tail: float = DEFAULT_TAIL) -> np.ndarray:
    """Render MIDI to mono float32 audio at ``sr``.

    Parameters
    ----------
    pm : ``pretty_midi.PrettyMIDI``, a path to a .mid file, or a notes table.
    sr : sampling rate in Hz (FluidSynth accepts 8000-96000).
    engine : ``"auto"`` (FluidSynth if available, else additive), ``"fluidsynth"`` or ``"additive"``.
    soundfont : .sf2 file for FluidSynth (default: pretty_midi's ``TimGM6mb.sf2``).
    gain : fixed output gain (default :data:`DEFAULT_GAIN` of the engine).
    tail : seconds kept after the last note ends.

    Returns
    -------
    float32 array of shape ``(ceil((end_time + tail) * sr),)``; velocity differences are
    kept (fixed gain); a render whose peak would exceed 1.0 is scaled as a whole to 0.99.
    Deterministic: the same input gives the same samples.

    Raises
    ------
    ValueError (bad engine/sr/tail, a MIDI without notes), RuntimeError (FluidSynth asked
    for but not installed), FileNotFoundError (soundfont missing), DatasetFormatError
    (unreadable MIDI file).

    Taught in ``04_emotion_models_and_datasets``.
    """

    if isinstance(pm, (pd.DataFrame, list, np.ndarray)):
        pm = notes_to_midi(pm)
    pm = _as_pretty_midi(pm)
    name = resolve_engine(engine)
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"render_midi: sr must be a positive integer (Hz), got {sr!r}")
    if not (math.isfinite(tail) and tail >= 0):
        raise ValueError(f"render_midi: tail must be >= 0 seconds, got {tail!r}")
    if not any(instrument.notes for instrument in pm.instruments):
        raise ValueError("render_midi: nothing to render, the MIDI has no notes")
    end_time = pm.get_end_time()
    n_samples = math.ceil((end_time + tail) * sr)

    if name == "fluidsynth":
        if not 8000 <= sr <= 96000:
            raise ValueError(f"render_midi: FluidSynth renders at 8000-96000 Hz, got sr={sr}")
        font = Path(soundfont) if soundfont is not None else default_soundfont()
        if not font.is_file():
            raise FileNotFoundError(f"render_midi: soundfont {font} not found (expected a .sf2 file)")
        # normalize=False divides by (n_instruments * 2**15): undo the instrument count so
        # the level does not depend on how many tracks the file has.
        raw = pm.fluidsynth(fs=sr, synthesizer=str(font), normalize=False)
        audio = np.asarray(raw, dtype=np.float64) * max(len(pm.instruments), 1)
    else:
        audio = _additive(pm, sr, n_samples)
    audio = _fit_length(audio, n_samples)
    audio *= DEFAULT_GAIN[name] if gain is None else float(gain)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1.0:
        audio *= CLIP_PEAK / peak
    return audio.astype(np.float32)


def _fit_length(audio: np.ndarray, n_samples: int) -> np.ndarray:
    if audio.shape[0] == n_samples:
        return audio
    if audio.shape[0] > n_samples:
        audio = audio[:n_samples].copy()
        fade = min(int(0.01 * n_samples), 256)
        if fade > 1:  # avoid a click where a ringing tail is cut
            audio[-fade:] *= np.linspace(1.0, 0.0, fade)
        return audio
    return np.pad(audio, (0, n_samples - audio.shape[0]))


# --------------------------------------------------------------------------- additive synthesizer

#: Timbre of each General MIDI family (program // 8) for the additive synth:
#: ``partials`` harmonics with amplitude ``k ** -slope`` (``odd``: even harmonics x 0.25),
#: envelope ``attack, decay, sustain level, release`` in seconds / fraction, or
#: ``decay_tau`` (s) for struck and plucked families, whose sound dies away.
def _timbre(name, partials, slope, odd, adsr, decay_tau):
    return {"name": name, "partials": partials, "slope": slope, "odd": odd, "adsr": adsr, "decay_tau": decay_tau}


FAMILY_TIMBRE: dict[int, dict[str, Any]] = {
    # program // 8: _timbre(family, partials, slope, odd, (attack, decay, sustain, release), decay_tau)
    0: _timbre("piano", 12, 1.6, False, (0.005, 0.0, 1.0, 0.25), 1.2),
    1: _timbre("chromatic percussion", 6, 2.2, False, (0.002, 0.0, 1.0, 0.3), 0.6),
    2: _timbre("organ", 10, 1.2, False, (0.02, 0.05, 0.9, 0.08), None),
    3: _timbre("guitar", 12, 1.5, False, (0.003, 0.0, 1.0, 0.2), 0.8),
    4: _timbre("bass", 8, 1.8, False, (0.005, 0.0, 1.0, 0.15), 1.0),
    5: _timbre("strings", 8, 2.0, False, (0.12, 0.1, 0.85, 0.3), None),
    6: _timbre("ensemble", 6, 2.2, False, (0.15, 0.1, 0.85, 0.3), None),
    7: _timbre("brass", 20, 0.9, False, (0.04, 0.08, 0.8, 0.12), None),
    8: _timbre("reed", 14, 1.2, True, (0.03, 0.05, 0.85, 0.1), None),
    9: _timbre("pipe", 4, 3.0, False, (0.06, 0.05, 0.9, 0.12), None),
    10: _timbre("synth lead", 24, 0.8, False, (0.005, 0.05, 0.85, 0.08), None),
    11: _timbre("synth pad", 8, 1.8, False, (0.3, 0.2, 0.8, 0.5), None),
    12: _timbre("synth effects", 10, 1.3, False, (0.1, 0.1, 0.8, 0.4), None),
    13: _timbre("ethnic", 10, 1.5, False, (0.005, 0.0, 1.0, 0.2), 0.9),
    14: _timbre("percussive", 5, 2.0, False, (0.001, 0.0, 1.0, 0.1), 0.25),
    15: _timbre("sound effects", 6, 1.5, False, (0.05, 0.05, 0.8, 0.2), None),
}

#: Amplitude of a velocity-127 note's fundamental before the output gain.
_ADDITIVE_LEVEL = 0.25


def family_timbre(program: int) -> dict[str, Any]:
    """The additive synth's timbre for a GM program (its family: program // 8).

    Taught in ``04_emotion_models_and_datasets``.
    """
    if not 0 <= int(program) <= 127:
        raise ValueError(f"GM program must be 0-127, got {program!r}")
    return FAMILY_TIMBRE[int(program) // 8]


def _partial_weights(timbre: dict[str, Any]) -> np.ndarray:
    k = np.arange(1, timbre["partials"] + 1, dtype=np.float64)
    weights = k ** -timbre["slope"]
    if timbre["odd"]:
        weights[1::2] *= 0.25
    return weights / weights.sum() * 1.5  # comparable loudness across families (fundamental-heavy sums ~1)


def _envelope(n_on: int, n_total: int, sr: int, timbre: dict[str, Any]) -> np.ndarray:
    """ADSR (or attack + exponential decay) for a note held ``n_on`` samples, released after."""
    attack, decay, sustain, release = timbre["adsr"]
    t = np.arange(n_total, dtype=np.float64) / sr
    held = t[:n_on] if n_on > 0 else t[:0]
    a = max(attack, 1.0 / sr)
    env_on = np.minimum(held / a, 1.0)
    if timbre["decay_tau"] is not None:
        env_on = env_on * np.exp(-np.maximum(held - a, 0.0) / timbre["decay_tau"])
    elif decay > 0:
        env_on = np.where(held < a, env_on,
                          np.where(held < a + decay, 1.0 - (1.0 - sustain) * (held - a) / decay, sustain))
    else:
        env_on = np.where(held < a, env_on, sustain)
    level = env_on[-1] if n_on > 0 else 0.0
    after = t[n_on:] - (n_on / sr)
    env_off = level * np.clip(1.0 - after / max(release, 1.0 / sr), 0.0, 1.0)
    return np.concatenate([env_on, env_off])


def _harmonic_sum(freq: float, n: int, sr: int, weights: np.ndarray) -> np.ndarray:
    """sum_k w_k sin(2 pi k f t) by the Chebyshev recurrence (one multiply-add per partial)."""
    n_partials = min(len(weights), int((sr / 2 - 1) // freq)) if freq > 0 else 0
    if n_partials < 1:
        return np.zeros(n)
    theta = 2.0 * np.pi * freq * np.arange(n, dtype=np.float64) / sr
    two_cos = 2.0 * np.cos(theta)
    previous, current = np.zeros(n), np.sin(theta)
    total = weights[0] * current
    for k in range(1, n_partials):
        previous, current = current, two_cos * current - previous
        total += weights[k] * current
    return total


def _drum_hit(pitch: int, n: int, sr: int) -> np.ndarray:
    """A deterministic noise burst (seeded by pitch) for GM percussion notes."""
    rng = np.random.default_rng(1000 + pitch)
    t = np.arange(n, dtype=np.float64) / sr
    tau = 0.04 + 0.25 * (pitch % 12) / 12
    return rng.standard_normal(n) * np.exp(-t / tau) * 0.3


def _additive(pm, sr: int, n_samples: int) -> np.ndarray:
    out = np.zeros(n_samples, dtype=np.float64)
    for instrument in pm.instruments:
        timbre = family_timbre(instrument.program)
        weights = _partial_weights(timbre)
        release = timbre["adsr"][3]
        for note in instrument.notes:
            start = round(note.start * sr)
            if start >= n_samples:
                continue
            n_on = max(round((note.end - note.start) * sr), 0)
            n_total = min(n_on + math.ceil(release * sr), n_samples - start)
            if n_total <= 0:
                continue
            amplitude = _ADDITIVE_LEVEL * (note.velocity / 127.0) ** 2  # ~ FluidSynth's velocity curve
            if instrument.is_drum:
                wave = _drum_hit(note.pitch, n_total, sr)
            else:
                freq = 440.0 * 2.0 ** ((note.pitch - 69) / 12.0)
                wave = _harmonic_sum(freq, n_total, sr, weights) * _envelope(min(n_on, n_total), n_total, sr, timbre)
            out[start:start + n_total] += amplitude * wave
    return out
