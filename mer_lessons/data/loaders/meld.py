"""MELD, the Multimodal EmotionLines Dataset: 13,708 utterances from the TV series *Friends*.

Each utterance of a multi-party dialogue has its text, its speaker, an **emotion** (one of
seven: neutral, joy, sadness, anger, surprise, fear, disgust), a **sentiment** (positive,
neutral, negative), and a video clip cut from the episode (``.mp4``, audio inside).
Chapter ``11`` uses it: ``classes="kirar3"`` keeps the
three classes of Kirar et al. (happy = joy, sad = sadness, surprise), whose audio and faces
(``frames=True``) chapter ``11`` combines. Chapter ``12`` uses it with ``classes="liu9"``:
the six MELD emotions that are among the nine classes of Liu et al. (joy, sadness,
surprise, anger, fear, disgust, named as in :data:`labels.LIU9_PROTOTYPES`; neutral has no
counterpart and is dropped; trust, anxiety and anticipation have no MELD utterances).

Official layout (``MELD.Raw.tar.gz`` unpacked, then its ``train.tar.gz``, ``dev.tar.gz`` and
``test.tar.gz`` unpacked in place; a single top folder such as ``MELD.Raw/`` is found)::

    train_sent_emo.csv  dev_sent_emo.csv  test_sent_emo.csv
    train_splits/dia{D}_utt{U}.mp4
    dev_splits_complete/dia{D}_utt{U}.mp4
    output_repeated_splits_test/dia{D}_utt{U}.mp4   (some as final_videos_testdia{D}_utt{U}.mp4)

CSV columns: ``Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID,
Season, Episode, StartTime, EndTime`` (times as ``hh:mm:ss,ms``, sometimes ``h:mm:ss,ms``).

Quirks handled (each tested on the fixture in ``tests/fixtures/meld``):

* **Text encoding.** The CSVs of the raw download hold Windows-1252 punctuation stored as
  C1 control characters (``"company\\x92s"``); later copies hold real typographic quotes;
  copies that went through a wrong decode hold mojibake (``"Youâ\\x80\\x99re"``); a re-saved
  file may be plain cp1252 bytes. Each CSV is decoded as UTF-8, else cp1252, else Latin-1
  (``ds.encodings`` says which); C1 characters are mapped through cp1252, mojibake is
  repaired, and with ``normalise_text=True`` (default) typographic quotes, dashes, ellipses
  and no-break spaces become ASCII (``"company's"``).
* **Times** ``"00:16:16,059"`` / ``"0:36:59,425"`` become seconds (``start_time``, ``end_time``).
* **Missing or extra clips.** Some listed utterances have no clip (e.g. dev ``dia110_utt7``):
  ``has_video``/``has_audio`` are False and the item still gives its text;
  ``require_media=True`` drops them. Clips on disk that no CSV lists are reported in
  ``ds.skipped``. Some test clips exist as ``final_videos_testdia{D}_utt{U}.mp4`` (users
  report these as re-cut versions of wrongly cut clips): that file is preferred when present.
* **Corrupt clips** (e.g. train ``dia125_utt3``): ``ds.validate()`` lists them by id.
* **Audio.** An extracted ``.wav`` beside the clip or in a ``waves/`` subfolder
  (``train_splits/waves/dia0_utt0.wav``, the layout of common extraction scripts) is read
  directly; otherwise the clip's audio is decoded with ffmpeg (:func:`files.read_audio`).
  ``audio=None`` (default) gives audio when it can be read and leaves it out when ffmpeg
  is not installed (neither the system's nor the ``imageio-ffmpeg`` wheel's);
  ``audio=True`` requires it; ``audio=False`` never reads it.
* **Video frames.** ``frames=True`` decodes each clip's video track with OpenCV
  (:func:`files.read_video_frames`) into ``face``, grey frames of the clip's centred square
  at ``frame_fps`` frames per second, and ``face_fps`` -- the keys of the course's teaching
  data, so a face pipeline takes both. The frames are the whole centred square, not a
  detected face (``mer_lessons.vision`` finds the face). ``frames=False`` (default) never
  decodes video (decoding is slow: a MELD clip is 1280x720 H.264); ``frames=None`` gives
  frames when OpenCV is installed and the clip's video decodes, and leaves them out
  otherwise.

Dialogue ids restart in each split, so item ids are ``"{split}_dia{D}_utt{U}"``.

Citation: Poria, S., Hazarika, D., Majumder, N., Naik, G., Cambria, E., & Mihalcea, R.
(2019). MELD: A multimodal multi-party dataset for emotion recognition in conversations. ACL.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mer_lessons.data.core import Dataset, option_names, register_loader, require_root, warn_skipped
from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.files import (check_categories, decode_text, ffmpeg_program, find_dataset_root, numeric_column,
                                    parse_csv_text, read_audio, read_video_frames)
from mer_lessons.validation import as_choice, as_float, as_int

#: split name -> (CSV file, clip folder), as in the official download.
SPLITS = {
    "train": ("train_sent_emo.csv", "train_splits"),
    "dev": ("dev_sent_emo.csv", "dev_splits_complete"),
    "test": ("test_sent_emo.csv", "output_repeated_splits_test"),
}

#: The archive each clip folder comes from inside ``MELD.Raw.tar.gz``.
SPLIT_ARCHIVES = {"train": "train.tar.gz", "dev": "dev.tar.gz", "test": "test.tar.gz"}

#: MELD's documented emotion labels (column ``Emotion``) and sentiments (``Sentiment``).
EMOTIONS = ("neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust")
SENTIMENTS = ("positive", "neutral", "negative")

#: Kirar et al.'s three classes on MELD: their name -> MELD's emotion.
KIRAR3 = {"happy": "joy", "sad": "sadness", "surprise": "surprise"}

#: Liu et al.'s nine classes on MELD: their name (a key of ``labels.LIU9_PROTOTYPES``) ->
#: MELD's emotion. Six of the nine have a MELD emotion; trust, anxiety and anticipation have
#: none, and MELD's neutral has no counterpart among the nine.
LIU9 = {"joy": "joy", "sadness": "sadness", "surprise": "surprise", "anger": "anger", "fear": "fear",
        "disgust": "disgust"}

#: The values of ``classes``: None (every utterance) or a class scheme (its label column).
CLASS_SCHEMES = {"kirar3": KIRAR3, "liu9": LIU9}

#: Official CSV column -> column of ``ds.meta``.
COLUMNS = {
    "Sr No.": "sr_no", "Utterance": "text", "Speaker": "speaker", "Emotion": "emotion",
    "Sentiment": "sentiment", "Dialogue_ID": "dialogue_id", "Utterance_ID": "utterance_id",
    "Season": "season", "Episode": "episode", "StartTime": "start_time", "EndTime": "end_time",
}

#: Typographic characters and their ASCII replacements (``normalise_text=True``).
ASCII_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2026": "...", "\u00a0": " ",
}

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*$")
_CLIP = re.compile(r"^(?:final_videos_test)?dia(\d+)_utt(\d+)\.mp4$")
# A UTF-8 lead byte read as Latin-1/cp1252, followed by 1-3 continuation bytes read the same way.
_CP1252_HIGH = "".join(bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xC0))
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf" + re.escape(_CP1252_HIGH) + "]{1,3}")


# --------------------------------------------------------------------------- text


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode a CSV's bytes: UTF-8 (with or without BOM), else cp1252, else Latin-1.

    Returns ``(text, encoding)``. Latin-1 never fails, so this always returns.

    Taught in ``04_emotion_models_and_datasets``.
    """
    text, encoding = decode_text(raw, ("utf-8-sig", "cp1252", "latin-1"), errors="strict")
    return text, ("utf-8" if encoding == "utf-8-sig" else encoding)


def _repair_mojibake(match: re.Match) -> str:
    chunk = match.group(0)
    try:
        raw = b"".join(c.encode("cp1252") if c.encode("cp1252", errors="ignore") else c.encode("latin-1")
                       for c in chunk)
        return raw.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return chunk


def clean_text(text: str, normalise: bool = True) -> str:
    """Repair MELD's text: mojibake (``"â\\x80\\x99"`` -> ``"’"``), cp1252 punctuation stored
    as C1 control characters (``"\\x92"`` -> ``"’"``); with ``normalise`` also typographic
    quotes, dashes, ellipses and no-break spaces to ASCII. Strips surrounding spaces.

    Taught in ``04_emotion_models_and_datasets``.
    """
    text = _MOJIBAKE.sub(_repair_mojibake, text)
    text = "".join(bytes([ord(c)]).decode("cp1252", errors="ignore") if "\x80" <= c <= "\x9f" else c
                   for c in text)
    if normalise:
        text = "".join(ASCII_PUNCTUATION.get(c, c) for c in text)
    return text.strip()


def parse_time(value: str) -> float:
    """``"00:16:16,059"`` (or ``"0:16:16,059"``, ``"00:16:16.059"``) -> seconds (976.059).

    Raises ``ValueError`` for anything else.

    Taught in ``04_emotion_models_and_datasets``.
    """
    match = _TIME.match(str(value))
    if match is None:
        raise ValueError(f"not a time 'hh:mm:ss,ms': {value!r}")
    hours, minutes, seconds, fraction = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction) / 10 ** len(fraction)


# --------------------------------------------------------------------------- layout


def _find_root(root: Path) -> Path:
    """The folder holding the CSVs: ``root`` or its single subfolder (``MELD.Raw/``) that does."""
    names = [csv for csv, _ in SPLITS.values()]
    return find_dataset_root(root, lambda folder: any((folder / name).exists() for name in names), dataset="meld",
                             marker=f"each of {', '.join(names)}",
                             expected="the annotation CSVs of MELD.Raw.tar.gz in this folder or in one subfolder "
                             "such as MELD.Raw/")


def _read_split_csv(path: Path, split: str, normalise: bool) -> tuple[pd.DataFrame, str]:
    text, encoding = decode_bytes(path.read_bytes())
    table = parse_csv_text(text, path, dataset="meld", column_name=clean_text)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DatasetFormatError(f"{path}: missing column(s) {missing}; expected the columns {list(COLUMNS)}")
    table = table[list(COLUMNS)].rename(columns=COLUMNS)
    table["text"] = [clean_text(t, normalise) for t in table["text"]]
    table["speaker"] = [clean_text(s, normalise) for s in table["speaker"]]
    for column in ("emotion", "sentiment"):
        table[column] = table[column].str.strip().str.lower()
    lines = np.arange(len(table)) + 2
    for column, allowed in (("emotion", EMOTIONS), ("sentiment", SENTIMENTS)):
        bad = table.loc[~table[column].isin(allowed), column]
        if len(bad):
            try:
                check_categories(table[column], allowed, path, column.capitalize(), ids=lines, id_name="line")
            except DatasetFormatError as error:
                raise DatasetFormatError(f"{error} (unknown {column} label(s) {sorted(set(bad))[:5]})") from None
    for column in ("sr_no", "dialogue_id", "utterance_id", "season", "episode"):
        name = next(k for k, v in COLUMNS.items() if v == column)   # as the file spells it
        numbers = numeric_column(table, column, path, allow_missing=False, integer=True, ids=lines, id_name="line",
                                 name=name)
        table[column] = numbers.astype(np.int64)
    for column in ("start_time", "end_time"):
        seconds = []
        for line, value in enumerate(table[column], start=2):
            try:
                seconds.append(parse_time(value))
            except ValueError as error:
                raise DatasetFormatError(f"{path}, line {line}: {error}") from error
        table[column] = np.array(seconds, dtype=np.float64)
    table.insert(0, "split", split)
    return table, encoding


def _file_names(folder: Path) -> set[str]:
    """Names of the files in ``folder`` (empty if it does not exist)."""
    return {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()


# --------------------------------------------------------------------------- loader


@register_loader("meld")
def load_meld(root, *, split=None, classes: str | None = None, require_media: bool = False,
              audio: bool | None = None, sr: int | None = None, normalise_text: bool = True,
              frames: bool | None = False, frame_fps: float | None = 4, frame_size=48) -> Dataset:
    """Load MELD from ``root`` (the official layout, see the module docstring).

    Parameters
    ----------
    split : ``"train"``, ``"dev"``, ``"test"``, a list of them, or None for all three.
    classes : None (the seven emotions), ``"kirar3"`` (only joy, sadness and surprise,
        labelled happy / sad / surprise in the ``kirar3`` column) or ``"liu9"`` (only the six
        emotions among Liu et al.'s nine classes -- joy, sadness, surprise, anger, fear,
        disgust, named the same in the ``liu9`` column -- so neutral is dropped).
    require_media : keep only utterances whose clip (or extracted ``.wav``) is on disk; with
        ``frames=True``, only those with a clip.
    audio : None = give ``audio`` when it can be read (a ``.wav`` sidecar, or the clip when
        an ffmpeg program is found, :func:`files.ffmpeg_program`); True = always (raise if
        it cannot); False = never.
    sr : resample audio to this rate (default: the file's rate; clips decode at 16 kHz).
    normalise_text : turn typographic quotes, dashes and ellipses into ASCII.
    frames : False (default) = no video frames; True = give ``face`` and ``face_fps`` for
        every item (raise :class:`DatasetFormatError` when there is no clip or its video does
        not decode, ``ImportError`` without OpenCV); None = give them when OpenCV is
        installed and the clip's video decodes, leave them out otherwise.
    frame_fps : frame rate of ``face`` in frames per second (the frame nearest to each time
        ``k / frame_fps``); None keeps the clip's own rate (about 23.98 for MELD).
    frame_size : ``face`` frames are the clip's centred square resized to ``frame_size`` x
        ``frame_size`` pixels; a pair ``(height, width)`` resizes the whole frame instead;
        None keeps the clip's frames as they are.

    Returns a :class:`Dataset`: ``meta`` has ``id, split, subject`` (the speaker), the CSV's
    columns in snake case (``text, speaker, emotion, sentiment, dialogue_id, utterance_id,
    season, episode, start_time, end_time`` in seconds), ``duration``, ``kirar3`` (None
    outside the three classes) and ``liu9`` (None for neutral) -- both columns in every
    mode, whatever ``classes`` is -- ``video_path`` / ``audio_path`` and ``has_video`` /
    ``has_audio``. Items: ``text``, ``speaker``, ``video_path`` (or None) and, when read,
    ``audio`` (float32 mono) with ``sr`` and ``face`` (uint8 grey ``(F, frame_size,
    frame_size)``, 0-255) with ``face_fps`` (float, frames per second). Labels:
    ``emotion``, ``sentiment``, ``kirar3``, ``liu9``.
    Extra attributes: ``ds.encodings`` (CSV -> encoding used), ``ds.skipped``
    (``(file, reason)`` for clips that no CSV lists).

    Taught in ``04_emotion_models_and_datasets``; the video frames in
    ``11_kirar_zebra_bilstm_attention``; ``classes="liu9"`` in ``12_liu_bimodal_audio_video``.
    """
    root = _find_root(require_root(root, "meld"))
    splits = list(SPLITS) if split is None else option_names(split, list(SPLITS), dataset="meld", what="split")
    as_choice(classes, "classes", (None, *CLASS_SCHEMES), where="meld")
    if audio not in (None, True, False):
        raise ValueError(f"meld: audio must be None, True or False, got {audio!r}")
    if frames not in (None, True, False):
        raise ValueError(f"meld: frames must be None, True or False, got {frames!r}")
    where = "load_meld"
    frame_fps = None if frame_fps is None else as_float(frame_fps, "frame_fps", minimum=0, low_open=True,
                                                        where=where, unit="Hz")
    if isinstance(frame_size, (tuple, list)):
        if len(frame_size) != 2:
            raise ValueError(f"meld: frame_size must be an int, a pair (height, width) or None, got {frame_size!r}")
        frame_size = (as_int(frame_size[0], "frame_size[0]", where=where),
                      as_int(frame_size[1], "frame_size[1]", where=where))
    elif frame_size is not None:
        frame_size = as_int(frame_size, "frame_size", where=where)

    tables, encodings, skipped = [], {}, []
    for name in splits:
        csv_name, folder_name = SPLITS[name]
        csv_path = root / csv_name
        if not csv_path.exists():
            raise DatasetFormatError(f"meld: {csv_path} is missing; expected the {name} annotations "
                                     f"{csv_name} from MELD.Raw.tar.gz")
        table, encodings[csv_name] = _read_split_csv(csv_path, name, normalise_text)
        folder = root / folder_name
        if not folder.is_dir() and (root / SPLIT_ARCHIVES[name]).exists():
            warnings.warn(f"meld: {root / SPLIT_ARCHIVES[name]} is not unpacked; expected the clips in "
                          f"{folder}/ (run: tar -xzf {SPLIT_ARCHIVES[name]} in {root}). "
                          "Loading the text only.", stacklevel=3)
        on_disk = _file_names(folder)  # one listing per folder instead of a stat per utterance
        waves = _file_names(folder / "waves")
        videos, audios = [], []
        for d, u in zip(table["dialogue_id"], table["utterance_id"]):
            stem = f"dia{d}_utt{u}"
            video = next((folder / name for name in (f"final_videos_test{stem}.mp4", f"{stem}.mp4")
                          if name in on_disk), None)
            sidecar = (folder / f"{stem}.wav" if f"{stem}.wav" in on_disk
                       else folder / "waves" / f"{stem}.wav" if f"{stem}.wav" in waves else None)
            videos.append(str(video) if video else None)
            audios.append(str(sidecar) if sidecar else (str(video) if video else None))
        table["video_path"], table["audio_path"] = videos, audios
        if folder.is_dir():
            listed = {f"dia{d}_utt{u}" for d, u in zip(table["dialogue_id"], table["utterance_id"])}
            for name in sorted(n for n in on_disk if n.endswith(".mp4")):
                if name.startswith("._"):
                    continue  # macOS resource-fork files in some copies
                clip, match = folder / name, _CLIP.match(name)
                if match is None:
                    skipped.append((f"{folder_name}/{clip.name}", "file name is not dia{D}_utt{U}.mp4"))
                elif f"dia{match.group(1)}_utt{match.group(2)}" not in listed:
                    skipped.append((f"{folder_name}/{clip.name}", f"no row in {csv_name}"))
        tables.append(table)

    meta = pd.concat(tables, ignore_index=True)
    meta.insert(0, "id", [f"{s}_dia{d}_utt{u}" for s, d, u in
                          zip(meta["split"], meta["dialogue_id"], meta["utterance_id"])])
    meta.insert(2, "subject", meta["speaker"])
    meta["duration"] = meta["end_time"] - meta["start_time"]
    for scheme, mapping in CLASS_SCHEMES.items():  # a column per scheme, None outside its classes
        to_class = {emotion: name for name, emotion in mapping.items()}
        meta[scheme] = [to_class.get(e) for e in meta["emotion"]]
    meta["has_video"] = meta["video_path"].notna()
    meta["has_audio"] = meta["audio_path"].notna()
    if classes is not None:
        meta = meta[meta[classes].notna()]
    if require_media:
        meta = meta[meta["has_video"] if frames is True else meta["has_audio"] | meta["has_video"]]
    meta = meta.reset_index(drop=True)
    for column in (*CLASS_SCHEMES, "video_path", "audio_path"):  # None, not NaN, where there is no value
        meta[column] = meta[column].astype(object).where(meta[column].notna(), None)
    warn_skipped(skipped, "meld", "clip file(s) match no CSV row and are skipped")

    have_ffmpeg = audio is not False and ffmpeg_program() is not None
    read_frames = frames is True or (frames is None and _have_opencv())
    square = isinstance(frame_size, int)

    def load_item(row: pd.Series) -> dict:
        item = {"text": row["text"], "speaker": row["speaker"], "video_path": row["video_path"]}
        if read_frames:
            _add_frames(item, row)
        if audio is False:
            return item
        path = row["audio_path"]
        if not isinstance(path, str):
            if audio:
                raise DatasetFormatError(f"meld: no clip for {row['id']}: expected {_clip_name(row)} "
                                         "(or an extracted .wav)")
            return item
        if path.endswith(".mp4") and not have_ffmpeg and audio is None:
            return item  # the clip's audio needs ffmpeg; text and video path still work
        samples, rate = read_audio(path, sr=sr)
        item["audio"], item["sr"] = samples, rate
        return item

    def _add_frames(item: dict, row: pd.Series) -> None:
        path = row["video_path"]
        if not isinstance(path, str):
            if frames:
                raise DatasetFormatError(f"meld: no clip for {row['id']}: expected {_clip_name(row)} "
                                         "(its video frames were asked for with frames=True)")
            return
        try:
            face, fps = read_video_frames(path, fps=frame_fps, size=frame_size, grey=True, square=square)
        except DatasetFormatError:
            if frames:
                raise
            return  # frames=None: an audio-only or undecodable clip gives no frames
        item["face"], item["face_fps"] = face, fps

    ds = Dataset("meld", meta, load_item, label_columns=("emotion", "sentiment", *CLASS_SCHEMES), root=root)
    ds.encodings = encodings
    ds.skipped = skipped
    return ds


def _clip_name(row: pd.Series) -> str:
    return f"{SPLITS[row['split']][1]}/dia{row['dialogue_id']}_utt{row['utterance_id']}.mp4"


def _have_opencv() -> bool:
    """Whether OpenCV can be imported (``frames=None`` reads video frames only then)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True
