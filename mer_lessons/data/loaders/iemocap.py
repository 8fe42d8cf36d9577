"""IEMOCAP: the interactive emotional dyadic motion capture database (utterance level).

What
    About 12 hours of dyadic sessions: in each of 5 sessions one actress and one actor
    (10 speakers) play improvised and scripted scenes, recorded with audio, video and
    facial motion capture. Dialogs are cut into utterances (about 10,000), each annotated
    by several raters with a categorical emotion and with valence, activation (arousal) and
    dominance on a 1-5 scale.

Labels
    ``emotion_code`` is the release's consensus code: neu (neutral), fru (frustration), ang
    (anger), sad, hap (happiness), exc (excited), sur (surprise), fea (fear), dis (disgust),
    oth (other) or xxx (no majority among the raters). ``emotion`` is the same code, except
    that ``merge_excited=True`` turns exc into hap (the common 4-class protocol of
    ang/hap+exc/neu/sad, which ``four_class=True`` selects outright); ``emotion_name`` spells
    it out. ``valence_1to5``, ``arousal_1to5``, ``dominance_1to5`` are the averaged
    dimensional ratings as released; the label-table columns use them rescaled linearly
    1-5 -> 1-9 (1 -> 1, 3 -> 5, 5 -> 9), and so does ``dominance``. There is no official
    split: ``session`` (1-5) supports the usual leave-one-session-out evaluation.

Items (``ds[i]``): ``audio`` (float32 mono, 16 kHz unless ``sr=``, decoded lazily), ``sr``
and ``text`` (the utterance's transcription; "" when it has none).

Quirks handled
    * ``EmoEvaluation/*.txt`` interleave each utterance's summary line
      ``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]`` with
      per-rater lines (``C-E1:<TAB>Neutral;<TAB>()``, ``A-E3:<TAB>val 3; act 2; dom  2;<TAB>()``);
      only summary lines are read, and one that starts like a summary but does not parse
      (a truncated file) raises :class:`DatasetFormatError` with the file and line.
    * ``EmoEvaluation/`` also holds sub-folders (Categorical/, Attribute/, Self-evaluation/)
      and, in some copies, macOS ``._*`` files: both are ignored.
    * The speaker is the letter after the last underscore of the utterance id
      (``Ses01F_impro01_M002`` is the male actor of session 1), not the one in ``Ses01F``
      (that names who wore the motion-capture markers). ``subject`` is e.g. "Ses01M".
    * Transcription lines ``Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.``; lines of
      turns without an evaluation (``...MXX0``, ``M: [BREATHING]``) are ignored.

Official layout (the release's ``IEMOCAP_full_release`` folder; ``root`` may be it or its parent)::

    Session1/dialog/EmoEvaluation/Ses01F_impro01.txt ...
    Session1/dialog/transcriptions/Ses01F_impro01.txt ...
    Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav ...
    ... Session5/

Citation: Busso, C., et al. (2008). IEMOCAP: Interactive emotional dyadic motion capture
database. Language Resources and Evaluation, 42(4), 335-359. Used in chapter 10.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import read_audio
from mer_lessons.data.labels import LABEL_COLUMNS, label_table, rescale

NAME = "iemocap"
#: Range of IEMOCAP's dimensional ratings, rescaled to 1-9 for the label table.
SOURCE_RANGE = (1.0, 5.0)
#: The documented scale of the valence, activation and dominance ratings: 1-5.
RATING_SCALE = SOURCE_RANGE

EMOTION_NAMES = {
    "neu": "neutral", "fru": "frustration", "ang": "anger", "sad": "sadness", "hap": "happiness",
    "exc": "excited", "sur": "surprise", "fea": "fear", "dis": "disgust", "oth": "other",
    "xxx": "no agreement",
}
FOUR_CLASSES = ("ang", "hap", "neu", "sad")

_SUMMARY = re.compile(r"^\[\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*\]\s+(Ses\d{2}[FM]_\S+)\s+([A-Za-z]{3})\s+"
                      r"\[\s*([-+\d.]+)\s*,\s*([-+\d.]+)\s*,\s*([-+\d.]+)\s*\]\s*$")
_UTTERANCE = re.compile(r"^Ses(\d{2})[FM]_(\S+)_([FM])(\d+)$")
_TRANSCRIPT = re.compile(r"^(Ses\d{2}[FM]_\S+)\s+\[\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*\]:\s?(.*)$")


def parse_evaluation(path: Path) -> list[dict]:
    """The summary lines of one ``EmoEvaluation`` file, one dict per utterance.

    Taught in ``04_emotion_models_and_datasets``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not (stripped.startswith("[") and "Ses" in stripped):
            continue                                       # header, blank and per-rater lines
        match = _SUMMARY.match(stripped)
        if not match:
            raise DatasetFormatError(f"{NAME}: {path} line {number} is not a summary line "
                                     "'[start - end]<TAB>utterance<TAB>code<TAB>[V, A, D]': "
                                     f"{stripped[:80]!r} (is the file truncated?)")
        start, end, utterance, code, *vad = match.groups()
        ratings = []
        for name, text in zip(("valence", "arousal", "dominance"), vad):
            try:
                value = float(text)
            except ValueError:
                raise DatasetFormatError(f"{NAME}: {path} line {number}: utterance {utterance}: {name} "
                                         f"{text!r} is not a number") from None
            if not RATING_SCALE[0] <= value <= RATING_SCALE[1]:
                raise DatasetFormatError(f"{NAME}: {path} line {number}: utterance {utterance}: {name} {text} is "
                                         f"outside [1, 5], the documented 1-5 scale of IEMOCAP's dimensional ratings")
            ratings.append(value)
        v, a, d = ratings
        parts = _UTTERANCE.match(utterance)
        if not parts:
            raise DatasetFormatError(f"{NAME}: {path} line {number}: utterance id {utterance!r} is not "
                                     "of the form SesNN[F|M]_<dialog>_[F|M]NNN")
        code = code.lower()
        if code not in EMOTION_NAMES:
            raise DatasetFormatError(f"{NAME}: {path} line {number}: emotion code {code!r} is not one of "
                                     f"{', '.join(EMOTION_NAMES)}")
        rows.append({
            "id": utterance, "session": int(parts.group(1)), "dialog": utterance.rsplit("_", 1)[0],
            "speaker_sex": "female" if parts.group(3) == "F" else "male",
            "subject": f"Ses{parts.group(1)}{parts.group(3)}",
            "start": float(start), "end": float(end), "emotion_code": code,
            "valence_1to5": v, "arousal_1to5": a, "dominance_1to5": d,
        })
    if not rows:
        raise DatasetFormatError(f"{NAME}: {path} has no utterance summary lines; expected lines like "
                                 "'[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]'")
    return rows


def parse_transcription(path: Path) -> dict[str, str]:
    """utterance id -> text, from one ``transcriptions/<dialog>.txt`` file.

    Taught in ``04_emotion_models_and_datasets``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    out = {}
    for line in text.splitlines():
        match = _TRANSCRIPT.match(line.strip())
        if match:
            out[match.group(1)] = match.group(4).strip()
    return out


def _base_folder(root: Path) -> Path:
    for candidate in (root, root / "IEMOCAP_full_release", *sorted(p for p in root.iterdir() if p.is_dir())):
        if candidate.is_dir() and any((candidate / f"Session{n}").is_dir() for n in range(1, 6)):
            return candidate
    raise DatasetFormatError(f"{NAME}: no Session1 ... Session5 folders in {root}; expected "
                             f"{root}/Session1/dialog/EmoEvaluation/*.txt (the IEMOCAP_full_release folder)")


@register_loader(NAME)
def load_iemocap(root, *, sr: int | None = None, sessions=None, merge_excited: bool = False,
                 four_class: bool = False) -> Dataset:
    """Load IEMOCAP's utterances from ``root`` (``IEMOCAP_full_release`` or its parent).

    Parameters
    ----------
    sr : resample the audio to this rate (default 16000, the files' own).
    sessions : session numbers to load (default: every ``SessionN`` folder present).
    merge_excited : relabel exc (excited) as hap (happiness) in ``emotion``.
    four_class : keep only ang, hap (+ exc, merged), neu and sad utterances: the common
        4-class protocol (5,531 utterances in the full release).

    ``meta``: ``id`` (utterance id), ``session``, ``dialog``, ``method`` (impro/script),
    ``subject`` ("Ses01F"), ``speaker_sex``, ``start``/``end`` (s, within the dialog),
    ``emotion_code``, ``emotion``, ``emotion_name``, ``valence_1to5``, ``arousal_1to5``,
    ``dominance_1to5``, ``dominance`` (1-9), ``text``, ``path`` and the label-table columns.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "iemocap")
    base = _base_folder(root)
    wanted = sorted(int(s) for s in sessions) if sessions is not None else range(1, 6)
    rows, texts = [], {}
    for number in wanted:
        session = base / f"Session{number}"
        if not session.is_dir():
            if sessions is not None:
                raise DatasetFormatError(f"{NAME}: {session} is missing (sessions={list(wanted)} was asked for)")
            continue
        evaluation = session / "dialog" / "EmoEvaluation"
        files = sorted(p for p in evaluation.glob("*.txt") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DatasetFormatError(f"{NAME}: no evaluation files in {evaluation}; expected "
                                     f"{evaluation}/Ses{number:02d}F_impro01.txt ...")
        for path in files:
            rows.extend(parse_evaluation(path))
        transcriptions = session / "dialog" / "transcriptions"
        for path in sorted(transcriptions.glob("*.txt")) if transcriptions.is_dir() else ():
            if not path.name.startswith("."):
                texts.update(parse_transcription(path))
    if not rows:
        raise DatasetFormatError(f"{NAME}: no utterances found under {base}")

    meta = pd.DataFrame(rows)
    meta["method"] = ["script" if "_script" in dialog else "impro" for dialog in meta["dialog"]]
    merge = merge_excited or four_class
    meta["emotion"] = ["hap" if merge and code == "exc" else code for code in meta["emotion_code"]]
    if four_class:
        meta = meta[meta["emotion"].isin(FOUR_CLASSES)]
    meta["emotion_name"] = [EMOTION_NAMES[code] for code in meta["emotion"]]
    meta["text"] = [texts.get(utterance, "") for utterance in meta["id"]]
    meta["path"] = [str(base / f"Session{s}" / "sentences" / "wav" / d / f"{u}.wav")
                    for s, d, u in zip(meta["session"], meta["dialog"], meta["id"])]
    meta["dominance"] = rescale(meta["dominance_1to5"], SOURCE_RANGE)
    columns = ["id", "session", "dialog", "method", "subject", "speaker_sex", "start", "end", "emotion_code",
               "emotion", "emotion_name", "valence_1to5", "arousal_1to5", "dominance_1to5", "dominance", "text", "path"]
    meta = meta[columns].sort_values(["session", "dialog", "start", "id"]).reset_index(drop=True)
    for column in ("valence_1to5", "arousal_1to5", "dominance_1to5"):
        if ((meta[column] < SOURCE_RANGE[0]) | (meta[column] > SOURCE_RANGE[1])).any():
            bad = meta.loc[(meta[column] < 1) | (meta[column] > 5), "id"].tolist()[:5]
            raise DatasetFormatError(f"{NAME}: {column.split('_')[0]} outside 1-5 for {bad}")
    labels = label_table(rescale(meta["valence_1to5"], SOURCE_RANGE), rescale(meta["arousal_1to5"], SOURCE_RANGE))
    meta = pd.concat([meta, labels], axis=1)

    def load_item(row: pd.Series) -> dict:
        audio, rate = read_audio(row["path"], sr=sr)
        return {"audio": audio, "sr": rate, "text": row["text"]}

    return Dataset(NAME, meta, load_item, label_columns=("emotion",) + LABEL_COLUMNS + ("dominance",), root=root)
