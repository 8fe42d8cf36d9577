"""EmoDB: the Berlin database of emotional speech (German, acted).

What
    Ten professional actors (five female, five male) speak ten everyday German sentences
    (five short, five long) in seven emotions; the 535 utterances that listeners recognised
    well (over 80 %) and found natural (over 60 %) form the release. Mono WAV, 16 kHz.

Labels (from the file name, e.g. ``03a01Fa.wav``)
    positions 1-2 speaker (03, 08, 09, 10, 11, 12, 13, 14, 15, 16), 3-5 text code (a01, a02,
    a04, a05, a07, b01, b02, b03, b09, b10), 6 emotion letter of the German word (W Ärger =
    anger, L Langeweile = boredom, E Ekel = disgust, A Angst = fear, F Freude = happiness,
    T Trauer = sadness, N neutral), 7 version letter (a, b, c ... when an actor recorded a
    sentence more than once). Speaker sex and age come from the database's documentation
    (:data:`SPEAKERS`); the sentences' wording from its text list (:data:`TEXTS`). When the
    release's ``erkennung.txt`` is present, its ``erkannt`` column (the percentage of
    listeners who recognised the intended emotion; Latin-1, decimal commas) becomes
    ``recognition``. The acted categories are the labels; there are no valence/arousal values.

Items (``ds[i]``): ``audio`` (float32 mono, decoded lazily), ``sr`` (16000 unless ``sr=``),
``text`` (the German sentence).

Official layout (``download.zip`` unpacked into ``root``)::

    wav/03a01Fa.wav ...          the utterances
    erkennung.txt                recognition rates per file (optional for the loader)
    lablaut/, labsilb/, silb/, erklaerung.txt    phone/syllable labels and notes (not read)

Citation: Burkhardt, F., Paeschke, A., Rolfes, M., Sendlmeier, W. F., & Weiss, B. (2005).
A database of German emotional speech. Interspeech. Used in chapter 10.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import read_audio

NAME = "emodb"
#: The documented scale of ``erkennung.txt``'s recognition rates: percent, 0-100.
RECOGNITION_SCALE = (0.0, 100.0)

#: Speaker code -> (sex, age in years), from the EmoDB documentation.
SPEAKERS = {
    "03": ("male", 31), "08": ("female", 34), "09": ("female", 21), "10": ("male", 32),
    "11": ("male", 26), "12": ("male", 30), "13": ("female", 32), "14": ("female", 35),
    "15": ("male", 25), "16": ("female", 31),
}

#: Text code -> the German sentence.
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}

#: Emotion letter -> (German word, English label used by the course).
EMOTIONS = {
    "W": ("Ärger", "anger"), "L": ("Langeweile", "boredom"), "E": ("Ekel", "disgust"),
    "A": ("Angst", "fear"), "F": ("Freude", "happiness"), "T": ("Trauer", "sadness"),
    "N": ("Neutral", "neutral"),
}

_NAME = re.compile(r"^(\d{2})([ab]\d{2})([A-Z])([a-z])$")
EXPECTED_NAME = ("speaker (2 digits), text code (a01 ... b10), emotion letter (W L E A F T N), version letter, "
                 "e.g. 03a01Fa.wav")


def decode_name(stem: str) -> dict:
    """Decode an EmoDB file stem (``03a01Fa``) into its fields; ``ValueError`` saying what is wrong.

    Taught in ``04_emotion_models_and_datasets``.
    """
    match = _NAME.match(stem)
    if not match:
        raise ValueError(f"not of the form {EXPECTED_NAME}")
    speaker, text_code, letter, version = match.groups()
    problems = []
    if speaker not in SPEAKERS:
        problems.append(f"speaker {speaker} is not one of {', '.join(SPEAKERS)}")
    if text_code not in TEXTS:
        problems.append(f"text code {text_code} is not one of {', '.join(TEXTS)}")
    if letter not in EMOTIONS:
        problems.append(f"emotion letter {letter} is not one of {', '.join(EMOTIONS)}")
    if problems:
        raise ValueError("; ".join(problems))
    sex, age = SPEAKERS[speaker]
    german, english = EMOTIONS[letter]
    return {
        "subject": speaker, "sex": sex, "age": age, "text_code": text_code, "text": TEXTS[text_code],
        "emotion": english, "emotion_letter": letter, "emotion_german": german, "version": version,
    }


def _wav_folder(root: Path) -> Path:
    for candidate in (root / "wav", *(p / "wav" for p in sorted(root.iterdir()) if p.is_dir())):
        if candidate.is_dir():
            return candidate
    raise DatasetFormatError(f"{NAME}: no wav/ folder in {root}; expected {root}/wav/03a01Fa.wav ... "
                             "(unzip EmoDB's download.zip here)")


def read_recognition(path: Path) -> dict[str, float]:
    """``erkennung.txt`` -> {file stem: recognition rate in percent}.

    The file is Latin-1, whitespace-separated, with a header naming the columns ``Satz``
    (the file name) and ``erkannt`` (recognised, %), decimal commas, and stray non-breaking
    spaces; a file without those columns raises :class:`DatasetFormatError` naming it.

    Taught in ``04_emotion_models_and_datasets``.
    """
    lines = [line.split() for line in path.read_text(encoding="latin-1").splitlines() if line.strip()]
    if not lines or "Satz" not in lines[0] or "erkannt" not in lines[0]:
        raise DatasetFormatError(f"{NAME}: {path} has no header with the columns 'Satz' and 'erkannt'")
    name_at, rate_at = lines[0].index("Satz"), lines[0].index("erkannt")
    rates = {}
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) <= max(name_at, rate_at):
            raise DatasetFormatError(f"{NAME}: {path} line {number} has {len(fields)} fields; expected at least "
                                     f"{max(name_at, rate_at) + 1} (is the file truncated?)")
        value = fields[rate_at].replace("\xa0", "").replace(",", ".")
        try:
            rate = float(value)
        except ValueError as error:
            raise DatasetFormatError(f"{NAME}: {path} line {number}: 'erkannt' is not a number "
                                     f"({fields[rate_at]!r})") from error
        if not RECOGNITION_SCALE[0] <= rate <= RECOGNITION_SCALE[1]:
            raise DatasetFormatError(f"{NAME}: {path} line {number}: 'erkannt' {fields[rate_at]} is outside "
                                     "[0, 100], the documented recognition rate in percent")
        rates[Path(fields[name_at]).stem] = rate
    return rates


@register_loader(NAME)
def load_emodb(root, *, sr: int | None = None, skip_malformed: bool = False) -> Dataset:
    """Load EmoDB from ``root`` (the folder holding ``wav/``).

    Parameters
    ----------
    sr : resample the audio to this rate (default 16000, the files' own).
    skip_malformed : leave out files whose name does not decode (with a warning naming
        them) instead of raising :class:`DatasetFormatError`.

    ``meta``: ``id`` (the file stem), ``path``, ``subject`` (speaker code), ``sex``, ``age``,
    ``text_code``, ``text``, ``emotion`` (English), ``emotion_letter``, ``emotion_german``,
    ``version`` and ``recognition`` (%, NaN without ``erkennung.txt``). Label: emotion.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "emodb")
    wav = _wav_folder(root)
    rows, malformed = [], []
    for path in sorted(wav.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() != ".wav" or not path.is_file():
            continue
        try:
            rows.append({"id": path.stem, "path": str(path), **decode_name(path.stem)})
        except ValueError as error:
            malformed.append(f"{path} ({error})")
    if malformed:
        message = f"{NAME}: {len(malformed)} file name(s) do not decode: " + "; ".join(malformed[:10])
        if not skip_malformed:
            raise DatasetFormatError(message + " (pass skip_malformed=True to leave them out)")
        warnings.warn(message, stacklevel=3)
    if not rows:
        raise DatasetFormatError(f"{NAME}: no .wav files in {wav}; expected 03a01Fa.wav ...")
    meta = pd.DataFrame(rows)
    recognition_path = wav.parent / "erkennung.txt"
    rates = read_recognition(recognition_path) if recognition_path.is_file() else {}
    meta["recognition"] = [rates.get(stem, np.nan) for stem in meta["id"]]

    def load_item(row: pd.Series) -> dict:
        audio, rate = read_audio(row["path"], sr=sr)
        return {"audio": audio, "sr": rate, "text": row["text"]}

    return Dataset(NAME, meta, load_item, label_columns=("emotion",), root=root)
