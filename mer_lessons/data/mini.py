"""The course's teaching dataset ``"mini"``: synthetic music with emotion labels, listeners,
physiology, faces and lyrics, generated deterministically on first use.

``load("mini")`` (or :func:`load_mini`) builds the dataset once into the course's data
folder and reads it from there afterwards. Everything is made by documented rules, so a
chapter can show *why* a model works or fails:

1. **Musical plan.** Each clip draws eleven factors after Hao et al.'s Table 2
   (:data:`FACTORS`: tempo, mode, loudness, register, harmony, timbre, articulation,
   rhythm, dynamics, contour, texture) independently from a seeded generator, plus the
   melody's instrument (one of two per timbre class); the key follows from the register.
2. **Composer.** :func:`compose` turns the plan into a notes table (melody over a chord
   progression, optional bass); :mod:`mer_lessons.data.render` writes the MIDI file and
   renders 16 kHz mono audio with FluidSynth (General MIDI soundfont) or, without it,
   the additive synthesizer. The engine changes the audio only, never a label.
3. **Emotion model.** :func:`emotion_model`: valence and arousal on DEAP's 1-9 SAM scale
   are ``5 + sum(weight * standardised factor) + one interaction + Gaussian noise``,
   clipped to [1, 9] (:data:`EMOTION_WEIGHTS`, signs following Table 2).
4. **Listeners.** :func:`sample_subjects`: each subject rates every clip with their own
   bias, scale and noise (:func:`rate_trials`), and *feels* the clip's emotion with a
   different offset; the felt emotion drives simulated EEG, GSR, ECG and face frames
   (:mod:`mer_lessons.data.listener`).
5. **Lyrics.** :func:`write_lyrics`: two template lines from emotion word lists of the
   clip's quadrant; a share ``lyrics_contradiction`` of the clips takes its words from
   an opposite-valence quadrant (Wang's "happy melody + sad lyrics").
6. **Labels.** :func:`mer_lessons.data.labels.label_table` adds every label scheme
   (high/low valence and arousal, quadrants, polarity, Kirar's three, Liu's nine).

Cached layout (``<data dir>/mini/<key>/``, key = every content option + the generator
version, see :func:`cache_key`)::

    manifest.json           options, render engine, versions, counts, build time
    README.md               copy of the dataset card (datasets/mini.md)
    clips.csv               one row per clip: plan factors, true valence/arousal, fold
    lyrics.csv              clip_id, lyrics, lyrics_quadrant, lyrics_contradicts
    subjects.csv            one row per listener: rating bias/scale/noise, felt offset ...
    annotations.csv         one row per trial (clip x listener): ratings and felt emotion
    audio/<clip>.wav        16-bit PCM mono
    midi/<clip>.mid         the rendered score (tracks melody, chords, bass)
    physio/<trial>.npz      eeg (C, T) float32, gsr, ecg, their rates, eeg_channels
    faces/<trial>.npz       face (F, 48, 48) uint8, fps

The card ``datasets/mini.md`` documents every number used here and what the dataset
can and cannot teach, and the calibration (``bench/mini_calibration.py``). Used from
chapter 04 (emotion models and datasets) onward.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.labels import LABEL_COLUMNS, label_table
from mer_lessons.environment import data_dir
from mer_lessons.validation import UnknownOptionError

#: Bump whenever a change to this module changes the generated files (it is part of the cache key).
GENERATOR_VERSION = 1

#: Units a dataset can be loaded as.
UNITS = ("trial", "clip")

#: The documented scale of every valence/arousal in the build (true and rated): DEAP's 1-9 SAM.
SAM_SCALE = (1.0, 9.0)

# --------------------------------------------------------------------------- musical plan

#: The musical factors of a clip (after Hao et al., Table 2), how each is drawn, and its
#: numeric code for the emotion model. Every factor is drawn independently per clip.
#: ``levels``: categorical levels (uniform), with ``codes`` (the number the model sees);
#: ``range``: a continuous uniform draw (``integer``: whole numbers, both ends included).
FACTORS: dict[str, dict[str, Any]] = {
    "tempo": dict(range=(60.0, 180.0), unit="beats per minute",
                  table2="fast: excitement, happiness, anger; slow: calm, sadness"),
    "mode": dict(levels=("minor", "major"), codes=(0.0, 1.0),
                 table2="major: joy, optimism; minor: sorrow"),
    "loudness": dict(range=(0.0, 1.0), unit="0-1, mapped to a MIDI velocity of 32-112",
                     table2="high: power, aggression; low: peace, relaxation"),
    "register": dict(range=(-12, 12), integer=True, unit="semitones the whole clip is transposed",
                     table2="high: excitement, tension; low: melancholy, calm"),
    "harmony": dict(levels=("dissonant", "consonant"), codes=(0.0, 1.0),
                    table2="consonant: comfort, joy; dissonant: anxiety, suspense"),
    "timbre": dict(levels=("dark", "bright"), codes=(0.0, 1.0),
                   table2="bright: cheerfulness; dark: sadness, mystery"),
    "articulation": dict(levels=("legato", "staccato"), codes=(0.0, 1.0),
                         table2="staccato: playfulness, energy; legato: serenity"),
    "rhythm": dict(levels=("regular", "irregular"), codes=(0.0, 1.0),
                   table2="steady: peace, happiness; irregular: surprise, tension"),
    "dynamics": dict(levels=("decrescendo", "steady", "crescendo"), codes=(-1.0, 0.0, 1.0),
                     table2="crescendo: excitement; decrescendo: calmness"),
    "contour": dict(levels=("falling", "arch", "rising"), codes=(-1.0, 0.0, 1.0),
                    table2="ascending: hope, excitement; descending: sadness"),
    "texture": dict(levels=(1, 2, 3), codes=(1.0, 2.0, 3.0), unit="voices: melody (+ chords) (+ bass)",
                    table2="thick: intensity, power; thin: simplicity, loneliness"),
}

#: Effect of one standard deviation of each factor's code on (valence, arousal), in SAM
#: points. Signs follow Hao et al.'s Table 2; sizes are our choice (calibrated so that a
#: plain audio baseline is clearly better than chance and clearly imperfect).
EMOTION_WEIGHTS: dict[str, tuple[float, float]] = {
    "tempo": (0.15, 0.30),          # fast: happier and more aroused
    "mode": (0.45, 0.00),           # major: happier
    "loudness": (-0.10, 1.20),      # loud: power/aggression (a little less pleasant), aroused
    "register": (0.80, 0.40),       # high: excitement/tension; low: melancholy, calm
    "harmony": (0.30, -0.15),       # consonant: comfort, joy; dissonant: anxiety, suspense
    "timbre": (1.10, 0.50),         # bright: cheerful; dark: sad, mysterious
    "articulation": (0.35, 0.35),   # staccato: playful, energetic; legato: serene
    "rhythm": (-0.10, 0.15),        # irregular: surprise, tension; steady: peace
    "dynamics": (0.00, 0.15),       # crescendo: excitement; decrescendo: calm
    "contour": (0.15, 0.10),        # rising: hope, excitement; falling: sadness
    "texture": (0.00, 0.90),        # thick: intensity, power; thin: simplicity
}

#: The one interaction, ``weight * z_mode * z_tempo`` added to valence: fast music in a major
#: key is happier still, while in minor a faster tempo no longer makes music happier.
MODE_TEMPO_INTERACTION = 0.15

#: Standard deviation (SAM points) of the Gaussian noise added to the model's valence and
#: arousal: what the factors cannot explain (the piece's "character").
EMOTION_NOISE_SD = (0.35, 0.35)

#: General MIDI programs (0-based) per timbre and part, chosen so that the two classes
#: differ in spectral centroid with both engines: dark = flute or cello over a warm pad
#: and an acoustic bass; bright = trumpet or sawtooth lead over synth brass and a synth bass.
PROGRAMS = {
    "dark": {"melody": (73, 42), "chords": 89, "bass": 32},
    "bright": {"melody": (56, 81), "chords": 62, "bass": 39},
}

#: Mixing: every part is rendered on its own and scaled so that the reference phrase
#: (:func:`balance_gain`) at velocity 80 has this RMS level (dBFS) whatever the
#: instrument; so velocity, not the choice of instrument, sets how loud a clip is.
BALANCE_DBFS = -30.0

#: Scale steps (semitones above the tonic) of each mode; minor is natural minor.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}

#: Chord progressions as scale degrees (0 = tonic); in major I-vi-IV-V / I-IV-V-I /
#: I-V-vi-IV, in natural minor the same degrees give i-VI-iv-v / i-iv-v-i / i-v-VI-iv.
PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 0), (0, 4, 5, 3))

#: Sounding length of a note as a share of the time to the next one.
ARTICULATION_RATIO = {"staccato": 0.35, "legato": 0.95}

#: Inter-onset intervals of the melody, in beats: regular clips repeat the pattern, irregular
#: clips draw each interval from the choices and jitter every onset.
REGULAR_PATTERN = (0.5, 0.5, 1.0)
IRREGULAR_CHOICES = (0.25, 0.5, 0.75, 1.0, 1.5)
IRREGULAR_JITTER = 0.08  # onset jitter, standard deviation in beats

#: Sampling rates of the listener signals (Hz), face frames per second and face size (pixels).
EEG_SR, GSR_SR, ECG_SR, FACE_FPS, FACE_SIZE = 128, 32, 256, 4, 48

#: Key names (pitch class of the tonic).
KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _rng(seed: int, stream: int, *index: int) -> np.random.Generator:
    """Independent generator per purpose and item: ``(seed, stream, index...)``.

    Streams: 1 plan, 2 composer, 3 emotion noise, 4 lyrics, 5 subjects, 6 ratings,
    7 physiology and faces. So adding listeners never changes a clip, and clip ``i``'s
    music and true emotion are the same whatever ``n_clips`` is (which clips get
    contradicting lyrics depends on ``n_clips``: their number is exact).
    """
    return np.random.default_rng([int(seed), int(stream), *map(int, index)])


def sample_plan(seed: int, index: int) -> dict[str, Any]:
    """The musical plan of clip ``index``: every factor of :data:`FACTORS`, the key and the
    GM program of the melody.

    Taught in ``04_emotion_models_and_datasets``.
    """
    rng = _rng(seed, 1, index)
    plan: dict[str, Any] = {}
    for name, spec in FACTORS.items():
        if "levels" in spec:
            plan[name] = spec["levels"][int(rng.integers(len(spec["levels"])))]
        elif spec.get("integer"):
            low, high = spec["range"]
            plan[name] = int(rng.integers(low, high + 1))
        else:
            low, high = spec["range"]
            plan[name] = float(round(rng.uniform(low, high), 3))
    plan["key"] = KEY_NAMES[(60 + plan["register"]) % 12]  # the tonic is middle C + register
    plan["program"] = int(rng.choice(PROGRAMS[plan["timbre"]]["melody"]))
    return plan


def factor_code(name: str, values) -> np.ndarray:
    """The numeric code of a factor (see :data:`FACTORS`).

    Taught in ``04_emotion_models_and_datasets``.
    """
    spec = FACTORS[name]
    if "levels" in spec:
        mapping = dict(zip(spec["levels"], spec["codes"]))
        return np.array([mapping[v] for v in values], dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def factor_moments(name: str) -> tuple[float, float]:
    """Mean and standard deviation of a factor's code under the sampling distribution (the
    population, not the sample: a clip's standardised factors do not depend on the others).

    Taught in ``04_emotion_models_and_datasets``.
    """
    spec = FACTORS[name]
    if "levels" in spec:
        codes = np.asarray(spec["codes"], dtype=np.float64)
        return float(codes.mean()), float(codes.std())
    low, high = spec["range"]
    if spec.get("integer"):
        n = high - low + 1
        return (low + high) / 2.0, math.sqrt((n * n - 1) / 12.0)
    return (low + high) / 2.0, (high - low) / math.sqrt(12.0)


def standardised_factors(plans: pd.DataFrame) -> pd.DataFrame:
    """``(code - population mean) / population sd`` of every factor, one column each.

    Taught in ``04_emotion_models_and_datasets``.
    """
    out = {}
    for name in FACTORS:
        mean, sd = factor_moments(name)
        out[name] = (factor_code(name, plans[name]) - mean) / sd
    return pd.DataFrame(out, index=plans.index)


def emotion_model(plans: pd.DataFrame, seed: int, *, noise: bool = True) -> pd.DataFrame:
    """True valence and arousal (1-9) of each clip from its factors.

    ``v = 5 + sum_f w_v[f] * z_f + MODE_TEMPO_INTERACTION * z_mode * z_tempo + e_v``,
    ``a = 5 + sum_f w_a[f] * z_f + e_a``, ``e ~ N(0, EMOTION_NOISE_SD)`` (drawn per clip
    from stream 3), both clipped to [1, 9]. ``plans`` needs a ``clip_index`` column (the
    noise of clip ``i`` is the same whatever else is in the table). With ``noise=False``
    the noise-free part (what the factors explain).

    Taught in ``04_emotion_models_and_datasets``.
    """
    z = standardised_factors(plans)
    valence = 5.0 + sum(EMOTION_WEIGHTS[f][0] * z[f] for f in FACTORS)
    arousal = 5.0 + sum(EMOTION_WEIGHTS[f][1] * z[f] for f in FACTORS)
    valence = valence + MODE_TEMPO_INTERACTION * z["mode"] * z["tempo"]
    if noise:
        draws = np.array([_rng(seed, 3, i).standard_normal(2) for i in plans["clip_index"]])
        valence = valence + EMOTION_NOISE_SD[0] * draws[:, 0]
        arousal = arousal + EMOTION_NOISE_SD[1] * draws[:, 1]
    return pd.DataFrame({"true_valence": np.clip(valence, 1, 9).round(3),
                         "true_arousal": np.clip(arousal, 1, 9).round(3)}, index=plans.index)


# --------------------------------------------------------------------------- composer


def _degree_to_semitones(degree: int, scale: tuple[int, ...]) -> int:
    octave, step = divmod(int(degree), len(scale))
    return 12 * octave + scale[step]


def _tonic(plan: dict[str, Any]) -> int:
    """MIDI pitch of the melody's tonic: middle C (60) moved by the register (so the key
    follows from the register: C, C#, ... B)."""
    return 60 + int(plan["register"])


def _melody_onsets(plan: dict[str, Any], beat: float, end: float, rng) -> np.ndarray:
    """Onsets (s): a repeated pattern (regular) or drawn, jittered intervals (irregular)."""
    onsets, t, k = [], 0.0, 0
    while t < end - 0.05:
        onsets.append(t)
        if plan["rhythm"] == "regular":
            step = REGULAR_PATTERN[k % len(REGULAR_PATTERN)]
        else:
            step = float(rng.choice(IRREGULAR_CHOICES))
        t += step * beat
        k += 1
    onsets = np.asarray(onsets)
    if plan["rhythm"] == "irregular" and len(onsets) > 1:
        jitter = rng.normal(0.0, IRREGULAR_JITTER * beat, size=len(onsets))
        jitter[0] = abs(jitter[0])
        onsets = np.sort(np.clip(onsets + jitter, 0.0, end - 0.05))
    return onsets


def _contour_degrees(contour: str, n: int, rng) -> np.ndarray:
    """Scale degrees of ``n`` melody notes: rising (-3 to +7), falling (+7 to -3) or an arch
    (-2 up to +6 and back), plus a little random wandering."""
    p = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    if contour == "rising":
        target = -3.0 + 10.0 * p
    elif contour == "falling":
        target = 7.0 - 10.0 * p
    else:
        target = -2.0 + 8.0 * np.sin(np.pi * p)
    return np.round(target + rng.normal(0.0, 0.7, size=n)).astype(int)


def _velocity(plan: dict[str, Any], t: np.ndarray, seconds: float, offset: float, rng) -> np.ndarray:
    """MIDI velocity: 32-112 from loudness, a +-15 ramp over the clip for crescendo /
    decrescendo, a part offset and a little human variation."""
    base = 32.0 + 80.0 * float(plan["loudness"])
    slope = {"crescendo": 1.0, "steady": 0.0, "decrescendo": -1.0}[plan["dynamics"]]
    v = base + offset + 30.0 * slope * (np.asarray(t) / seconds - 0.5) + rng.normal(0.0, 3.0, size=len(t))
    return np.clip(np.round(v), 1, 127).astype(int)


def compose(plan: dict[str, Any], seconds: float, rng: np.random.Generator) -> pd.DataFrame:
    """Notes of one clip from its plan: columns onset, duration (s), pitch, velocity,
    program, part (melody / chords / bass).

    * melody: onsets from the rhythm factor, pitches along the contour in the mode's scale
      from the tonic (key + register); dissonant harmony alters a third of the notes by a
      semitone (out of key);
    * chords (texture >= 2): a progression from :data:`PROGRESSIONS`, one chord per two
      beats, struck on every beat (jittered and sometimes skipped when the rhythm is
      irregular), an octave below the melody; consonant = triads, dissonant = triads plus
      a minor second and a tritone above the root;
    * bass (texture 3): the chord root two octaves below the melody, once per chord;
    * every part: sounding length = articulation ratio x time to the next onset, velocity
      from loudness and dynamics. All notes end before ``seconds - 0.25`` s.

    Taught in ``04_emotion_models_and_datasets``.
    """
    beat = 60.0 / float(plan["tempo"])
    end = max(seconds - 0.25, 0.2)
    scale = SCALES[plan["mode"]]
    tonic = _tonic(plan)
    ratio = ARTICULATION_RATIO[plan["articulation"]]
    dissonant = plan["harmony"] == "dissonant"
    programs = PROGRAMS[plan["timbre"]]
    parts = []

    onsets = _melody_onsets(plan, beat, end, rng)
    gaps = np.diff(np.append(onsets, end))
    degrees = _contour_degrees(plan["contour"], len(onsets), rng)
    pitches = np.array([tonic + _degree_to_semitones(d, scale) for d in degrees])
    if dissonant:
        altered = rng.random(len(pitches)) < 1.0 / 3.0
        pitches = pitches + altered * rng.choice((-1, 1), size=len(pitches))
    parts.append(pd.DataFrame({
        "onset": onsets, "duration": np.maximum(gaps * ratio, 0.03), "pitch": pitches,
        "velocity": _velocity(plan, onsets, seconds, 8.0, rng), "program": int(plan["program"]), "part": "melody"}))

    if int(plan["texture"]) >= 2:
        progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
        beats = np.arange(0.0, end - 0.05, beat)
        if plan["rhythm"] == "irregular":
            keep = rng.random(len(beats)) > 0.25
            keep[0] = True
            beats = np.clip(beats[keep] + rng.normal(0.0, IRREGULAR_JITTER * beat, size=keep.sum()), 0.0, end - 0.05)
            beats = np.sort(beats)
        chord_gaps = np.diff(np.append(beats, end))
        rows = []
        for onset, gap in zip(beats, chord_gaps):
            degree = progression[int(onset / (2.0 * beat)) % len(progression)]
            root = tonic - 12 + _degree_to_semitones(degree, scale)
            chord = [root, tonic - 12 + _degree_to_semitones(degree + 2, scale),
                     tonic - 12 + _degree_to_semitones(degree + 4, scale)]
            if dissonant:
                chord += [root + 1, root + 6]
            rows += [(onset, max(gap * ratio, 0.03), p) for p in chord]
        chords = pd.DataFrame(rows, columns=["onset", "duration", "pitch"])
        chords["velocity"] = _velocity(plan, chords["onset"].to_numpy(), seconds, -12.0, rng)
        chords["program"], chords["part"] = programs["chords"], "chords"
        parts.append(chords)

        if int(plan["texture"]) >= 3:
            starts = np.arange(0.0, end - 0.05, 2.0 * beat)
            lengths = np.diff(np.append(starts, end)) * ratio
            roots = [tonic - 24 + _degree_to_semitones(progression[k % len(progression)], scale)
                     for k in range(len(starts))]
            bass = pd.DataFrame({"onset": starts, "duration": np.maximum(lengths, 0.03), "pitch": roots})
            bass["velocity"] = _velocity(plan, starts, seconds, -6.0, rng)
            bass["program"], bass["part"] = programs["bass"], "bass"
            parts.append(bass)

    notes = pd.concat(parts, ignore_index=True)
    notes["pitch"] = notes["pitch"].clip(21, 108).astype(int)
    notes["onset"] = notes["onset"].round(4)
    notes["duration"] = np.minimum(notes["duration"], end - notes["onset"]).clip(lower=0.03).round(4)
    return notes.sort_values(["onset", "pitch"], kind="stable").reset_index(drop=True)


@functools.lru_cache(maxsize=None)
def balance_gain(program: int, engine: str, sr: int) -> float:
    """Gain that brings ``program`` to :data:`BALANCE_DBFS` with ``engine``: measured on a
    reference phrase (eight notes around middle C, 0.45 s each, velocity 80)."""
    from mer_lessons.data.render import notes_to_midi, render_midi

    phrase = [(0.5 * k, 0.45, p, 80, int(program)) for k, p in enumerate((57, 60, 62, 64, 65, 67, 69, 64))]
    audio = render_midi(notes_to_midi(phrase), sr=sr, engine=engine, tail=0.2).astype(np.float64)
    rms = float(np.sqrt(np.mean(audio ** 2)))
    return float(10.0 ** (BALANCE_DBFS / 20.0) / max(rms, 1e-9))


def render_clip(notes: pd.DataFrame, *, tempo: float, seconds: float, sr: int, engine: str) -> np.ndarray:
    """Audio of one clip (float32, exactly ``ceil(seconds * sr)`` samples): each part
    rendered with ``engine`` and mixed with its :func:`balance_gain`; a mix that would clip
    is scaled as a whole to a peak of 0.99 (rare).

    Taught in ``04_emotion_models_and_datasets``.
    """
    from mer_lessons.data.render import notes_to_midi, render_midi

    n_samples = int(math.ceil(seconds * sr))
    mix = np.zeros(n_samples, dtype=np.float64)
    for _, part in notes.groupby("part", sort=False):
        pm = notes_to_midi(part.drop(columns="part"), tempo=tempo)
        audio = render_midi(pm, sr=sr, engine=engine, tail=max(seconds - pm.get_end_time(), 0.0))
        audio = audio[:n_samples].astype(np.float64)
        mix[:len(audio)] += balance_gain(int(part["program"].iloc[0]), engine, sr) * audio
    peak = float(np.max(np.abs(mix)))
    if peak > 0.99:
        mix *= 0.99 / peak
    return mix.astype(np.float32)


# --------------------------------------------------------------------------- lyrics

#: Emotion words per quadrant (our own short lists, plain English).
LYRIC_WORDS: dict[str, tuple[str, ...]] = {
    "Q1": ("happy", "joyful", "bright", "excited", "alive", "cheerful", "glowing", "thrilled",
           "laughing", "golden", "free", "sunny", "delighted", "playful", "dancing"),
    "Q2": ("angry", "furious", "tense", "restless", "burning", "bitter", "wild", "afraid",
           "nervous", "violent", "shaking", "raging", "frantic", "hostile", "screaming"),
    "Q3": ("sad", "lonely", "weary", "grey", "broken", "empty", "cold", "crying", "lost",
           "heavy", "gloomy", "hopeless", "fading", "mournful", "numb"),
    "Q4": ("calm", "peaceful", "gentle", "serene", "soft", "warm", "tender", "relaxed",
           "easy", "still", "dreamy", "content", "soothing", "restful", "safe"),
}

#: Neutral nouns the templates fill in.
LYRIC_NOUNS = ("city", "river", "sky", "road", "window", "morning", "heart", "room", "street",
               "light", "ocean", "garden", "train", "night", "voice", "summer")

#: Line templates: ``{n}`` a noun, ``{a}`` and ``{b}`` emotion words.
LYRIC_TEMPLATES = (
    "the {n} feels {a} and {b} tonight",
    "i walk the {n}, {a} and {b}",
    "every {n} is {a}, so {b} again",
    "you made the {n} so {a}, so {b}",
    "{a} {n}, {b} heart",
    "we are {a} under the {b} {n}",
    "the {n} keeps me {a} and {b}",
    "{a} and {b} in the {n}",
)

#: Quadrants with the opposite valence (what contradicting lyrics draw from).
OPPOSITE_VALENCE = {"Q1": ("Q2", "Q3"), "Q2": ("Q1", "Q4"), "Q3": ("Q1", "Q4"), "Q4": ("Q2", "Q3")}


def write_lyrics(quadrant: str, rng: np.random.Generator, *, lines: int = 2) -> str:
    """``lines`` template lines (joined by " / ") using emotion words of ``quadrant``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    words = LYRIC_WORDS[quadrant]
    out = []
    for _ in range(lines):
        template = LYRIC_TEMPLATES[int(rng.integers(len(LYRIC_TEMPLATES)))]
        a, b = rng.choice(len(words), size=2, replace=False)
        noun = LYRIC_NOUNS[int(rng.integers(len(LYRIC_NOUNS)))]
        out.append(template.format(n=noun, a=words[a], b=words[b]))
    return " / ".join(out)


def make_lyrics(clips: pd.DataFrame, seed: int, contradiction: float) -> pd.DataFrame:
    """Lyrics of every clip. Exactly ``round(contradiction * n_clips)`` clips contradict
    their music: those with the smallest draw ``u`` (one uniform per clip, stream 4) take
    their words from a random opposite-valence quadrant; the others from the quadrant of
    the clip's true valence/arousal.

    Taught in ``04_emotion_models_and_datasets``.
    """
    rows, draws = [], []
    for i in clips["clip_index"]:
        draws.append(_rng(seed, 4, i).random())
    n_contra = int(round(contradiction * len(clips)))
    order = np.argsort(np.asarray(draws), kind="stable")
    contradicts = np.zeros(len(clips), dtype=bool)
    contradicts[order[:n_contra]] = True
    music_quadrants = label_table(clips["true_valence"], clips["true_arousal"])["quadrant"].to_numpy()
    for k, (clip_id, i) in enumerate(zip(clips["clip_id"], clips["clip_index"])):
        rng = _rng(seed, 4, i)
        rng.random()  # the draw used above
        quadrant = music_quadrants[k]
        if contradicts[k]:
            quadrant = OPPOSITE_VALENCE[quadrant][int(rng.integers(2))]
        rows.append({"clip_id": clip_id, "lyrics": write_lyrics(quadrant, rng),
                     "lyrics_quadrant": quadrant, "lyrics_contradicts": bool(contradicts[k])})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- listeners

#: How listeners differ (drawn per subject, stream 5). Ratings: ``5 + scale * (true - 5)
#: + bias + N(0, noise)``; felt emotion (drives physiology and faces): ``true + felt offset
#: + N(0, FELT_NOISE_SD)``; both clipped to [1, 9].
SUBJECT_SPREAD = {
    "bias_sd": 0.5,               # rating bias, SAM points, per dimension
    "scale_range": (0.7, 1.3),    # how much of the scale a listener uses
    "noise_range": (0.5, 1.0),    # rating noise sd, per listener
    "felt_offset_sd": 0.4,        # felt-emotion offset (independent of the rating bias)
    "expressiveness_range": (0.6, 1.4),   # face expression strength
    "alpha_range": (0.7, 1.3),    # EEG alpha power scale
    "resting_hr_range": (60.0, 75.0),   # heart rate at rest, bpm
    "tonic_scl_range": (2.0, 8.0),      # skin-conductance level, microsiemens
}
FELT_NOISE_SD = 0.6


def sample_subjects(seed: int, n_subjects: int) -> pd.DataFrame:
    """One row per listener: subject id and their rating and physiology parameters.

    Taught in ``04_emotion_models_and_datasets``.
    """
    rows = []
    s = SUBJECT_SPREAD
    for j in range(n_subjects):
        rng = _rng(seed, 5, j)
        rows.append({
            "subject": f"s{j + 1:02d}",
            "bias_valence": round(float(rng.normal(0, s["bias_sd"])), 3),
            "bias_arousal": round(float(rng.normal(0, s["bias_sd"])), 3),
            "scale": round(float(rng.uniform(*s["scale_range"])), 3),
            "rating_noise": round(float(rng.uniform(*s["noise_range"])), 3),
            "felt_offset_valence": round(float(rng.normal(0, s["felt_offset_sd"])), 3),
            "felt_offset_arousal": round(float(rng.normal(0, s["felt_offset_sd"])), 3),
            "expressiveness": round(float(rng.uniform(*s["expressiveness_range"])), 3),
            "eeg_alpha": round(float(rng.uniform(*s["alpha_range"])), 3),
            "resting_hr": round(float(rng.uniform(*s["resting_hr_range"])), 2),
            "tonic_scl": round(float(rng.uniform(*s["tonic_scl_range"])), 3),
            "face_identity": int(rng.integers(2**31)),
        })
    return pd.DataFrame(rows)


def rate_trials(clips: pd.DataFrame, subjects: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per (clip, listener): the rating (valence, arousal) and the felt emotion.

    Taught in ``04_emotion_models_and_datasets``.
    """
    rows = []
    for _, clip in clips.iterrows():
        for j, subj in subjects.iterrows():
            rng = _rng(seed, 6, clip["clip_index"], j)
            e = rng.standard_normal(4)
            ratings = [5.0 + subj["scale"] * (clip[f"true_{d}"] - 5.0) + subj[f"bias_{d}"]
                       + subj["rating_noise"] * e[k] for k, d in enumerate(("valence", "arousal"))]
            felt = [clip[f"true_{d}"] + subj[f"felt_offset_{d}"] + FELT_NOISE_SD * e[2 + k]
                    for k, d in enumerate(("valence", "arousal"))]
            rows.append({
                "trial_id": f"{clip['clip_id']}_{subj['subject']}", "clip_id": clip["clip_id"],
                "subject": subj["subject"],
                "valence": round(float(np.clip(ratings[0], 1, 9)), 3),
                "arousal": round(float(np.clip(ratings[1], 1, 9)), 3),
                "felt_valence": round(float(np.clip(felt[0], 1, 9)), 3),
                "felt_arousal": round(float(np.clip(felt[1], 1, 9)), 3),
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- files


def _write_npz(path: Path, **arrays) -> None:
    """Like ``np.savez_compressed`` but byte-for-byte reproducible (fixed zip timestamps)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def _read_npz(path: Path, expected: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise DatasetFormatError(f"mini: {path} is missing; expected an .npz with {list(expected)} "
                                 "(delete the folder or load with rebuild=True to regenerate)")
    try:
        with np.load(path, allow_pickle=False) as data:
            out = {name: data[name] for name in data.files}
    except Exception as error:  # zipfile/numpy raise many types for a damaged file
        raise DatasetFormatError(f"mini: cannot read {path} ({type(error).__name__}: {error}); "
                                 f"expected an .npz with {list(expected)}") from error
    missing = [k for k in expected if k not in out]
    if missing:
        raise DatasetFormatError(f"mini: {path} lacks arrays {missing}; expected {list(expected)}")
    return out


def _card_text() -> str:
    import importlib.resources

    try:
        return (importlib.resources.files("mer_lessons.datasets") / "mini.md").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return "# mini\n\nThe MER Lessons teaching dataset. See datasets/mini.md in the course repository.\n"


# --------------------------------------------------------------------------- options and cache


def _check_options(seed, n_clips, n_subjects, clip_seconds, sr, lyrics_contradiction, engine, unit) -> None:
    from mer_lessons.data.render import ENGINES

    def _int(value, name, low):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"mini: {name} must be an int, got {value!r}")
        if value < low:
            raise ValueError(f"mini: {name} must be >= {low}, got {value}")

    _int(seed, "seed", 0)
    _int(n_clips, "n_clips", 4)
    _int(n_subjects, "n_subjects", 1)
    _int(sr, "sr", 8000)
    if sr > 48000:
        raise ValueError(f"mini: sr must be 8000-48000 Hz, got {sr}")
    if not isinstance(clip_seconds, (int, float, np.number)) or not math.isfinite(clip_seconds) or clip_seconds <= 0:
        raise ValueError(f"mini: clip_seconds must be a positive number of seconds, got {clip_seconds!r}")
    if not 1.0 <= clip_seconds <= 60.0:
        raise ValueError(f"mini: clip_seconds must be between 1 and 60 s (a clip needs a few notes), got {clip_seconds}")
    if not isinstance(lyrics_contradiction, (int, float, np.number)) or not 0.0 <= lyrics_contradiction <= 1.0:
        raise ValueError(f"mini: lyrics_contradiction must be a share in [0, 1], got {lyrics_contradiction!r}")
    if engine not in ENGINES:
        raise UnknownOptionError(f"mini: engine must be one of {ENGINES}, got {engine!r}")
    if unit not in UNITS:
        raise UnknownOptionError(f"mini: unit must be one of {UNITS}, got {unit!r}")


def cache_key(*, seed: int, n_clips: int, n_subjects: int, clip_seconds: float, sr: int,
              lyrics_contradiction: float, engine: str) -> str:
    """Folder name of one build: every option that changes the files, the resolved render
    engine (``fluidsynth`` or ``additive``) and :data:`GENERATOR_VERSION`.

    Taught in ``04_emotion_models_and_datasets``.
    """
    return (f"v{GENERATOR_VERSION}-seed{seed}-clips{n_clips}-subjects{n_subjects}-"
            f"{clip_seconds:g}s-{sr}hz-lyrics{lyrics_contradiction:g}-{engine}")


def _progress(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False)


def build(folder: Path, *, seed: int, n_clips: int, n_subjects: int, clip_seconds: float, sr: int,
          lyrics_contradiction: float, engine: str, progress: bool = False) -> dict[str, Any]:
    """Generate the whole dataset into ``folder`` (created; must not exist). Returns the manifest.

    ``engine`` must be resolved (``"fluidsynth"`` or ``"additive"``). Deterministic: the
    same options give byte-identical files, except ``manifest.json``'s build time.

    Taught in ``08_hao_realtime_fusion``.
    """
    import soundfile

    from mer_lessons.data import listener
    from mer_lessons.data.render import notes_to_midi, write_midi

    started = time.perf_counter()
    folder = Path(folder)
    for sub in ("audio", "midi", "physio", "faces"):
        (folder / sub).mkdir(parents=True, exist_ok=False)
    width = max(3, len(str(n_clips - 1)))

    # 1. plans, 2. true emotion, 3. lyrics
    plans = pd.DataFrame([sample_plan(seed, i) for i in range(n_clips)])
    plans.insert(0, "clip_index", np.arange(n_clips))
    plans.insert(0, "clip_id", [f"c{i:0{width}d}" for i in range(n_clips)])
    clips = pd.concat([plans, emotion_model(plans, seed)], axis=1)
    clips["fold"] = clips["clip_index"] % 5
    lyrics = make_lyrics(clips, seed, lyrics_contradiction)

    # 4. notes -> MIDI -> audio
    for _, clip in _progress(clips.iterrows(), n_clips, "mini: rendering clips", progress):
        plan = clip.to_dict()
        notes = compose(plan, float(clip_seconds), _rng(seed, 2, plan["clip_index"]))
        pm = notes_to_midi(notes, tempo=float(plan["tempo"]))
        write_midi(pm, folder / "midi" / f"{plan['clip_id']}.mid")
        audio = render_clip(notes, tempo=float(plan["tempo"]), seconds=float(clip_seconds), sr=sr, engine=engine)
        soundfile.write(folder / "audio" / f"{plan['clip_id']}.wav", audio, sr, subtype="PCM_16")

    # 5. listeners, ratings, physiology and faces
    subjects = sample_subjects(seed, n_subjects)
    trials = rate_trials(clips, subjects, seed)
    by_subject = subjects.set_index("subject")
    index_of = dict(zip(clips["clip_id"], clips["clip_index"]))
    subject_index = {name: j for j, name in enumerate(subjects["subject"])}
    for _, trial in _progress(trials.iterrows(), len(trials), "mini: listeners", progress):
        subj = by_subject.loc[trial["subject"]]
        rng = _rng(seed, 7, index_of[trial["clip_id"]], subject_index[trial["subject"]])
        v, a = float(trial["felt_valence"]), float(trial["felt_arousal"])
        eeg = listener.simulate_eeg(v, a, seconds=clip_seconds, sr=EEG_SR, rng=rng, subject_alpha=float(subj["eeg_alpha"]))
        gsr = listener.simulate_gsr(a, seconds=clip_seconds, sr=GSR_SR, rng=rng,
                                    tonic_level=float(subj["tonic_scl"]))
        ecg = listener.simulate_ecg(a, seconds=clip_seconds, sr=ECG_SR, rng=rng,
                                    resting_hr=float(subj["resting_hr"]))
        faces = listener.draw_faces(v, a, seconds=clip_seconds, fps=FACE_FPS, size=FACE_SIZE, rng=rng,
                                    expressiveness=float(subj["expressiveness"]),
                                    identity=int(subj["face_identity"]))
        _write_npz(folder / "physio" / f"{trial['trial_id']}.npz",
                   eeg=np.asarray(eeg, dtype=np.float32), eeg_sr=np.int64(EEG_SR),
                   eeg_channels=np.array(listener.EEG_CHANNELS, dtype=str),
                   gsr=np.asarray(gsr, dtype=np.float32), gsr_sr=np.int64(GSR_SR),
                   ecg=np.asarray(ecg, dtype=np.float32), ecg_sr=np.int64(ECG_SR))
        _write_npz(folder / "faces" / f"{trial['trial_id']}.npz",
                   face=np.asarray(faces, dtype=np.uint8), fps=np.int64(FACE_FPS))

    # 6. tables, card, manifest (written last: its presence marks a complete build)
    clips.drop(columns=["clip_index"]).to_csv(folder / "clips.csv", index=False)
    lyrics.to_csv(folder / "lyrics.csv", index=False)
    subjects.to_csv(folder / "subjects.csv", index=False)
    trials.to_csv(folder / "annotations.csv", index=False)
    (folder / "README.md").write_text(_card_text(), encoding="utf-8")
    import mer_lessons

    manifest = {
        "dataset": "mini",
        "generator_version": GENERATOR_VERSION,
        "mer_lessons_version": mer_lessons.__version__,
        "options": {"seed": seed, "n_clips": n_clips, "n_subjects": n_subjects, "clip_seconds": clip_seconds,
                    "sr": sr, "lyrics_contradiction": lyrics_contradiction},
        "engine": engine,
        "counts": {"clips": n_clips, "subjects": n_subjects, "trials": len(trials),
                   "lyrics_contradicting": int(lyrics["lyrics_contradicts"].sum())},
        "rates": {"audio": sr, "eeg": EEG_SR, "gsr": GSR_SR, "ecg": ECG_SR, "face_fps": FACE_FPS},
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest



def _ensure_built(folder: Path, options: dict[str, Any], engine: str, *, rebuild: bool, progress: bool) -> None:
    """Build into a hidden temporary sibling folder, then rename it into place (atomic on one
    file system): an interrupted build never looks complete."""
    if (folder / "manifest.json").is_file() and not rebuild:
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(folder)
    partial = folder.parent / f".{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if progress:
        print(f"mini: generating the teaching dataset into {folder} (once; later loads read the files)")
    try:
        build(partial, engine=engine, progress=progress, **options)
        if folder.exists():
            shutil.rmtree(folder)
        os.rename(partial, folder)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if (folder / "manifest.json").is_file():  # another process finished the same build first
            return
        raise
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _remove_stale_partials(folder: Path, max_age_s: float = 3600.0) -> None:
    """Delete temporary folders of this build left by a process killed over an hour ago."""
    now = time.time()
    for stale in folder.parent.glob(f".{folder.name}.partial-*"):
        try:
            if now - stale.stat().st_mtime > max_age_s:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass


def _read_csv(path: Path, expected: str) -> pd.DataFrame:
    if not path.is_file():
        raise DatasetFormatError(f"mini: {path} is missing; expected {expected} "
                                 "(load with rebuild=True to regenerate)")
    return pd.read_csv(path, keep_default_na=False)


@functools.lru_cache(maxsize=512)
def _notes_cached(path: str, mtime: float) -> pd.DataFrame:
    from mer_lessons.data.render import midi_to_notes

    return midi_to_notes(path)


def _notes(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DatasetFormatError(f"mini: {path} is missing; expected the clip's MIDI file")
    return _notes_cached(str(path), path.stat().st_mtime).copy()


def _audio(path: Path, sr: int) -> np.ndarray:
    from mer_lessons.data.files import read_audio

    if not path.is_file():
        raise DatasetFormatError(f"mini: {path} is missing; expected a {sr} Hz mono WAV file")
    audio, file_sr = read_audio(path)
    if file_sr != sr:
        raise DatasetFormatError(f"mini: {path} has sr={file_sr}; expected {sr} Hz")
    return audio


# --------------------------------------------------------------------------- loader


@register_loader("mini")
def load_mini(root: str | Path | None = None, *, seed: int = 0, n_clips: int = 120, n_subjects: int = 8,
              clip_seconds: float = 4.0, sr: int = 16000, lyrics_contradiction: float = 0.2,
              engine: str = "auto", unit: str = "trial", rebuild: bool = False,
              progress: bool = True) -> Dataset:
    """The teaching dataset, generated on first use (about 20-40 s at the default size) and
    cached; later calls read the files.

    Parameters
    ----------
    root : folder that holds the builds (default ``data_dir("mini")``, i.e.
        ``~/.cache/mer_lessons/mini`` or ``$MER_LESSONS_DATA/mini``); each set of options
        lives in its own sub-folder named by :func:`cache_key`.
    seed : the one seed every random draw derives from.
    n_clips : number of clips (>= 4). n_subjects : listeners (>= 1); every listener hears
        every clip.
    clip_seconds : length of each clip (1-60 s). sr : audio sampling rate (Hz).
    lyrics_contradiction : share of clips whose lyrics have the opposite valence of the music.
    engine : ``"auto"`` (FluidSynth if installed, else the additive synth), ``"fluidsynth"``
        or ``"additive"``. Changes the audio only; labels are the same.
    unit : ``"trial"`` -- one item per (clip, listener) with audio, midi_path, notes,
        lyrics, eeg (8, T) at 128 Hz + eeg_sr + eeg_channels, gsr (32 Hz) + gsr_sr,
        ecg (256 Hz) + ecg_sr, face (F, 48, 48) uint8 + face_fps, and that listener's
        ratings as labels; ``"clip"`` -- one item per clip with audio, midi_path, notes,
        lyrics, labelled by the mean rating over listeners (plus the model's
        ``true_valence``/``true_arousal``); no physiology.
    rebuild : regenerate even if a complete build exists. progress : show progress bars
        while building.

    Returns
    -------
    Dataset whose ``meta`` has id, clip_id, (subject), every musical factor, key, program,
    true_valence, true_arousal, (felt_valence, felt_arousal), valence, arousal, the label
    scheme columns of :func:`mer_lessons.data.labels.label_table`, lyrics_quadrant,
    lyrics_contradicts and ``fold`` (0-4 by clip: group folds for clip-independent
    splits; use ``subject`` for subject-independent ones).

    Taught in ``04_emotion_models_and_datasets``.
    """
    from mer_lessons.data.render import resolve_engine

    _check_options(seed, n_clips, n_subjects, clip_seconds, sr, lyrics_contradiction, engine, unit)
    resolved = resolve_engine(engine)
    options = dict(seed=int(seed), n_clips=int(n_clips), n_subjects=int(n_subjects),
                   clip_seconds=float(clip_seconds), sr=int(sr), lyrics_contradiction=float(lyrics_contradiction))
    base = Path(root).expanduser() if root is not None else data_dir("mini")
    folder = base / cache_key(engine=resolved, **options)
    _ensure_built(folder, options, resolved, rebuild=rebuild, progress=progress)
    return _open(folder, unit=unit, sr=int(sr))


def _open(folder: Path, *, unit: str, sr: int) -> Dataset:
    """Read a complete build (the files only) as a Dataset."""
    clips = _read_csv(folder / "clips.csv", "one row per clip with the plan factors and true_valence/true_arousal")
    lyrics = _read_csv(folder / "lyrics.csv", "clip_id, lyrics, lyrics_quadrant, lyrics_contradicts")
    trials = _read_csv(folder / "annotations.csv", "one row per trial: trial_id, clip_id, subject, valence, arousal")
    for frame, name, columns in ((clips, "clips.csv", ("clip_id", "true_valence", "true_arousal", "fold")),
                                 (lyrics, "lyrics.csv", ("clip_id", "lyrics", "lyrics_contradicts")),
                                 (trials, "annotations.csv", ("trial_id", "clip_id", "subject", "valence", "arousal"))):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DatasetFormatError(f"mini: {folder / name} lacks columns {missing}; expected at least {list(columns)}")
    from mer_lessons.data.files import check_scale, numeric_column

    for frame, name, columns in ((clips, "clips.csv", ("true_valence", "true_arousal")),
                                 (trials, "annotations.csv", ("valence", "arousal"))):
        for column in columns:  # the build writes every cell: text or an empty cell means a damaged file
            frame[column] = numeric_column(frame, column, folder / name, dataset="mini", allow_missing=False)
            check_scale(frame[column], SAM_SCALE, folder / name, column, dataset="mini", scale_name="1-9 SAM")
    clips = clips.merge(lyrics, on="clip_id", how="left", validate="one_to_one")
    clips["lyrics_contradicts"] = clips["lyrics_contradicts"].astype(str).str.lower().eq("true")

    if unit == "clip":
        means = trials.groupby("clip_id", sort=False)[["valence", "arousal"]].mean().round(3)
        meta = clips.merge(means, left_on="clip_id", right_index=True, how="left")
        meta.insert(0, "id", meta["clip_id"])
        label_columns = list(LABEL_COLUMNS) + ["true_valence", "true_arousal"]
    else:
        meta = trials.merge(clips, on="clip_id", how="left", validate="many_to_one")
        meta = meta.rename(columns={"trial_id": "id"})
        label_columns = list(LABEL_COLUMNS)
    labels = label_table(meta["valence"], meta["arousal"])
    for column in LABEL_COLUMNS:
        meta[column] = labels[column].to_numpy()

    front = ["id", "clip_id"] + (["subject"] if unit == "trial" else [])
    meta = meta[front + [c for c in meta.columns if c not in front]].reset_index(drop=True)

    def load_item(row) -> dict[str, Any]:
        clip = row["clip_id"]
        item: dict[str, Any] = {
            "audio": _audio(folder / "audio" / f"{clip}.wav", sr), "sr": sr,
            "midi_path": str(folder / "midi" / f"{clip}.mid"),
            "notes": _notes(folder / "midi" / f"{clip}.mid"),
            "lyrics": str(row["lyrics"]),
        }
        if unit == "trial":
            physio = _read_npz(folder / "physio" / f"{row['id']}.npz",
                               ("eeg", "eeg_sr", "eeg_channels", "gsr", "gsr_sr", "ecg", "ecg_sr"))
            face = _read_npz(folder / "faces" / f"{row['id']}.npz", ("face", "fps"))
            item.update({
                "eeg": physio["eeg"], "eeg_sr": int(physio["eeg_sr"]),
                "eeg_channels": [str(c) for c in physio["eeg_channels"]],
                "gsr": physio["gsr"], "gsr_sr": int(physio["gsr_sr"]),
                "ecg": physio["ecg"], "ecg_sr": int(physio["ecg_sr"]),
                "face": face["face"], "face_fps": int(face["fps"]),
            })
        return item

    return Dataset("mini", meta, load_item, label_columns=label_columns, root=folder)
