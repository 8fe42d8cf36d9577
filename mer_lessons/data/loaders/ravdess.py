"""RAVDESS: the Ryerson audio-visual database of emotional speech and song.

What
    24 professional actors (12 female, 12 male; odd ids male, even ids female) speak and
    sing two lexically matched statements in North American English with eight emotions
    (speech: neutral, calm, happy, sad, angry, fearful, disgust, surprised; song: no
    disgust or surprised), each at normal and strong intensity (neutral only at normal),
    twice. Audio-only files: 1,440 speech + 1,012 song WAVs (16-bit, 48 kHz; actor 18 has
    no song files). The audio-visual (mp4) files come in per-actor zips.

Labels (from the file name, ``MM-VC-EE-II-SS-RR-AA.wav``)
    modality (01 full audio-video, 02 video-only, 03 audio-only), vocal channel (01 speech,
    02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
    07 disgust, 08 surprised), intensity (01 normal, 02 strong), statement (01 "Kids are
    talking by the door", 02 "Dogs are sitting by the door"), repetition (01, 02), actor
    (01-24). Every code is validated: a code out of range, strong neutral, a sung disgust/
    surprised, or an actor number that disagrees with its ``Actor_XX`` folder is reported
    by file name. The acted categories are the labels; there are no valence/arousal values.

Items (``ds[i]``)
    ``audio`` (float32 mono, decoded lazily) and ``sr`` (48000 unless ``sr=``); for mp4
    files (``include_video=True``) ``video_path`` instead.

Official layout (``Audio_Speech_Actors_01-24.zip`` and ``Audio_Song_Actors_01-24.zip``
unpacked into ``root``; both hold ``Actor_01/`` ... ``Actor_24/``; unpacking each into its
own folder, as the Kaggle copies do, works too)::

    Actor_01/03-01-01-01-01-01-01.wav ...      speech (vocal channel 01)
    Actor_01/03-02-01-01-01-01-01.wav ...      song (vocal channel 02)

Citation: Livingstone, S. R., & Russo, F. A. (2018). The Ryerson Audio-Visual Database of
Emotional Speech and Song (RAVDESS). PLoS ONE, 13(5), e0196391. Used in chapter 10.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from mer_lessons.data.core import Dataset, register_loader, require_root
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import read_audio
from mer_lessons.validation import UnknownOptionError

NAME = "ravdess"

MODALITIES = {1: "full-AV", 2: "video-only", 3: "audio-only"}
VOCAL_CHANNELS = {1: "speech", 2: "song"}
EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgust", 8: "surprised"}
INTENSITIES = {1: "normal", 2: "strong"}
STATEMENTS = {1: "Kids are talking by the door", 2: "Dogs are sitting by the door"}
#: Emotions that were not sung (the song files have only the first six).
NOT_SUNG = {7, 8}

_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_ACTOR_DIR = re.compile(r"^Actor_(\d{2})$")
EXPECTED_NAME = "MM-VC-EE-II-SS-RR-AA (seven two-digit codes, e.g. 03-01-06-01-02-01-12.wav)"


def decode_name(stem: str, folder_actor: int | None = None) -> dict:
    """Decode a RAVDESS file stem into its fields; ``ValueError`` saying what is wrong.

    Taught in ``04_emotion_models_and_datasets``.
    """
    match = _NAME.match(stem)
    if not match:
        raise ValueError(f"not of the form {EXPECTED_NAME}")
    modality, channel, emotion, intensity, statement, repetition, actor = (int(g) for g in match.groups())
    checks = [
        (modality in MODALITIES, f"modality {modality:02d} is not 01, 02 or 03"),
        (channel in VOCAL_CHANNELS, f"vocal channel {channel:02d} is not 01 (speech) or 02 (song)"),
        (emotion in EMOTIONS, f"emotion {emotion:02d} is not 01-08"),
        (intensity in INTENSITIES, f"intensity {intensity:02d} is not 01 or 02"),
        (not (emotion == 1 and intensity == 2), "neutral has no strong intensity (02)"),
        (not (channel == 2 and emotion in NOT_SUNG), f"emotion {emotion:02d} was not recorded as song"),
        (statement in STATEMENTS, f"statement {statement:02d} is not 01 or 02"),
        (repetition in (1, 2), f"repetition {repetition:02d} is not 01 or 02"),
        (1 <= actor <= 24, f"actor {actor:02d} is not 01-24"),
        (folder_actor is None or folder_actor == actor,
         f"actor {actor:02d} in the name disagrees with its folder Actor_{folder_actor or 0:02d}"),
    ]
    problems = [message for ok, message in checks if not ok]
    if problems:
        raise ValueError("; ".join(problems))
    return {
        "subject": f"Actor_{actor:02d}",
        "actor": actor,
        "sex": "male" if actor % 2 else "female",
        "modality": MODALITIES[modality],
        "vocal_channel": VOCAL_CHANNELS[channel],
        "emotion": EMOTIONS[emotion],
        "emotion_code": emotion,
        "intensity": INTENSITIES[intensity],
        "statement": STATEMENTS[statement],
        "statement_code": statement,
        "repetition": repetition,
    }


def _actor_folders(root: Path) -> list[Path]:
    """``Actor_XX`` folders directly in ``root`` or one level down (one folder per zip)."""
    folders = [p for p in root.iterdir() if p.is_dir() and _ACTOR_DIR.match(p.name)]
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not _ACTOR_DIR.match(p.name)):
        folders += [p for p in child.iterdir() if p.is_dir() and _ACTOR_DIR.match(p.name)]
    return sorted(folders, key=lambda p: (p.name, str(p)))


@register_loader(NAME)
def load_ravdess(root, *, sr: int | None = None, vocal_channels=("speech", "song"),
                 include_video: bool = False, skip_malformed: bool = False) -> Dataset:
    """Load RAVDESS from ``root`` (the folder holding ``Actor_01`` ... ``Actor_24``).

    Parameters
    ----------
    sr : resample the audio to this rate (default 48000, the files' own).
    vocal_channels : which of "speech" and "song" to keep.
    include_video : also list the ``.mp4`` files (full-AV and video-only) with ``video_path``.
    skip_malformed : leave out files whose name does not decode (with a warning naming
        them) instead of raising :class:`DatasetFormatError`.

    ``meta``: ``id`` (the file stem), ``path``, ``subject`` ("Actor_01"), ``actor``, ``sex``,
    ``modality``, ``vocal_channel``, ``emotion``, ``emotion_code``, ``intensity``,
    ``statement``, ``statement_code``, ``repetition``. Labels: emotion and intensity.

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = require_root(root, "ravdess")
    vocal_channels = (vocal_channels,) if isinstance(vocal_channels, str) else tuple(vocal_channels)
    unknown = set(vocal_channels) - set(VOCAL_CHANNELS.values())
    if unknown:
        raise UnknownOptionError(f"{NAME}: vocal_channels must be among {sorted(VOCAL_CHANNELS.values())}, "
                         f"got {sorted(unknown)}")
    folders = _actor_folders(root)
    if not folders:
        raise DatasetFormatError(f"{NAME}: no Actor_XX folders in {root}; expected {root}/Actor_01/"
                                 "03-01-01-01-01-01-01.wav ... (unzip Audio_Speech_Actors_01-24.zip here)")
    suffixes = {".wav"} | ({".mp4"} if include_video else set())
    rows, malformed = [], []
    for folder in folders:
        folder_actor = int(_ACTOR_DIR.match(folder.name).group(1))
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.suffix.lower() not in suffixes or not path.is_file():
                continue
            try:
                fields = decode_name(path.stem, folder_actor)
            except ValueError as error:
                malformed.append(f"{path} ({error})")
                continue
            if fields["vocal_channel"] in vocal_channels:
                rows.append({"id": path.stem, "path": str(path), **fields})
    if malformed:
        message = (f"{NAME}: {len(malformed)} file name(s) do not follow {EXPECTED_NAME}: "
                   + "; ".join(malformed[:10]))
        if not skip_malformed:
            raise DatasetFormatError(message + " (pass skip_malformed=True to leave them out)")
        warnings.warn(message, stacklevel=3)
    if not rows:
        raise DatasetFormatError(f"{NAME}: no RAVDESS files ({', '.join(sorted(suffixes))}) in the Actor_XX "
                                 f"folders of {root}")
    meta = pd.DataFrame(rows)
    duplicated = meta["id"].duplicated(keep=False)
    if duplicated.any():
        paths = meta.loc[duplicated, "path"].tolist()[:6]
        raise DatasetFormatError(f"{NAME}: the same file appears twice under {root}: {paths}")
    meta = meta.sort_values(["actor", "id"]).reset_index(drop=True)

    def load_item(row: pd.Series) -> dict:
        path = Path(row["path"])
        if path.suffix.lower() == ".mp4":
            if not path.is_file():
                raise FileNotFoundError(f"{path}: video file not found")
            return {"video_path": str(path)}
        audio, rate = read_audio(path, sr=sr)
        return {"audio": audio, "sr": rate}

    return Dataset(NAME, meta, load_item, label_columns=("emotion", "intensity"), root=root)
