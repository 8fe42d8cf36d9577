"""Reading dataset files safely: the dataset's folder, CSV tables, audio, video frames,
Python-2 pickles (DEAP), checksums.

Every reader raises :class:`~mer_lessons.data.errors.DatasetFormatError` naming the file
and what was expected, so one bad file is reported by name instead of crashing a whole
dataset. Used by the loaders in ``mer_lessons.data.loaders``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import pickle
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.validation import WrongTypeError, as_float, as_int, message

#: Folders an unpacked archive may hold beside the dataset: hidden ones and macOS resource forks.
IGNORED_FOLDER_PREFIXES = (".", "__MACOSX")

#: Encodings :func:`read_csv_text` tries in turn: UTF-8 (with or without BOM), then cp1252.
CSV_ENCODINGS = ("utf-8-sig", "cp1252")


# --------------------------------------------------------------------------- folders


def find_dataset_root(root: str | Path, looks_like: Callable[[Path], bool], *, dataset: str, marker: str,
                      expected: str) -> Path:
    """The dataset's top folder: ``root`` itself if ``looks_like(root)``, else the one
    subfolder of ``root`` that looks like it (an archive unpacked into its own folder, such
    as ``MELD.Raw/``); hidden folders and ``__MACOSX/`` are never candidates.

    ``looks_like(folder)`` says whether ``folder`` holds the dataset (e.g. its label file);
    ``dataset``, ``marker`` (what ``looks_like`` looks for, e.g. ``"data.csv"``) and
    ``expected`` (what the folder should hold) word the :class:`DatasetFormatError` raised
    when no folder, or more than one subfolder, looks like the dataset::

        emotify: data.csv is missing in /data/emotify (and in its subfolders); expected ...

    Taught in ``04_emotion_models_and_datasets``.
    """
    root = Path(root)
    if looks_like(root):
        return root
    candidates = [d for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(IGNORED_FOLDER_PREFIXES)
                  and looks_like(d)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(d.name + "/" for d in candidates)
        raise DatasetFormatError(f"{dataset}: {marker} is in several subfolders of {root} ({names}); "
                                 f"pass the one to load as root; expected {expected}")
    raise DatasetFormatError(f"{dataset}: {marker} is missing in {root} (and in its subfolders); expected {expected}")


def file_stamp(path: str | Path, dataset: str) -> tuple[int, int]:
    """``(modification time in ns, size)`` of a file a loaded dataset reads from: the key
    under which a loader may cache the file's content (a changed file is read again).
    Raises :class:`DatasetFormatError` if the file has gone since the dataset was loaded.

    Taught in ``04_emotion_models_and_datasets``.
    """
    try:
        status = Path(path).stat()
    except FileNotFoundError as error:
        raise DatasetFormatError(f"{dataset}: {path} is missing; it was there when the dataset was loaded") from error
    return status.st_mtime_ns, status.st_size


# --------------------------------------------------------------------------- CSV tables


def decode_text(raw: bytes, encodings: tuple[str, ...] = CSV_ENCODINGS, *, errors: str = "replace") -> tuple[str, str]:
    """Decode ``raw`` with the first of ``encodings`` that fits; returns ``(text, encoding)``.

    Each encoding but the last is tried strictly; the last decodes with ``errors``
    (``"replace"``: undecodable bytes become U+FFFD, so this always returns; ``"strict"``:
    ``UnicodeDecodeError`` when none fits). A byte-order mark is dropped by ``"utf-8-sig"``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    if not encodings:
        raise ValueError("decode_text needs at least one encoding")
    for encoding in encodings[:-1]:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode(encodings[-1], errors=errors), encodings[-1]


def parse_csv_text(text: str, path: str | Path, *, dataset: str | None = None, expected: str | None = None,
                   column_name: Callable[[str], str] | None = str.strip, strip_values: bool = False,
                   **read_csv_options) -> pd.DataFrame:
    """Parse the decoded text of the CSV file ``path`` (named in errors) with ``pd.read_csv``.

    Cells are text (``dtype=str``, empty cells stay ``""``) unless ``read_csv_options`` say
    otherwise (``dtype=None, keep_default_na=True`` lets pandas infer numbers and NaN).
    ``column_name`` normalises each header name (default: strip surrounding spaces; None
    keeps them as written); ``strip_values`` strips the spaces around text cells. A file
    pandas cannot parse (truncated inside a quote, empty) raises :class:`DatasetFormatError`
    ``"<dataset>: <path> is not a readable CSV (<why>); expected <expected>"``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    options = {"dtype": str, "keep_default_na": False, **read_csv_options}
    try:
        table = pd.read_csv(StringIO(text), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DatasetFormatError(f"{_named(path, dataset)} is not a readable CSV ({error})"
                                 f"{_expected(expected)}") from error
    if column_name is not None:
        table.columns = [column_name(str(c)) for c in table.columns]
    if strip_values:
        table = table.apply(lambda column: column.str.strip() if pd.api.types.is_string_dtype(column.dtype) else column)
    return table


def read_csv_text(path: str | Path, *, dataset: str | None = None, expected: str | None = None,
                  encodings: tuple[str, ...] = CSV_ENCODINGS, errors: str = "replace",
                  column_name: Callable[[str], str] | None = str.strip, strip_values: bool = False,
                  **read_csv_options) -> pd.DataFrame:
    """Read the CSV file ``path`` as a table, decoding it with :func:`decode_text`
    (``encodings``, by default UTF-8 with or without BOM, else cp1252) and parsing it with
    :func:`parse_csv_text` (text cells, normalised header names; ``read_csv_options`` go to
    ``pd.read_csv``).

    Raises :class:`DatasetFormatError` naming the file (after ``dataset: `` when given, and
    followed by ``; expected <expected>``) when it is missing, not text in ``encodings``
    (only with ``errors="strict"``) or not a readable CSV.

    Taught in ``04_emotion_models_and_datasets``.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetFormatError(f"{_named(path, dataset)} is missing{_expected(expected)}")
    try:
        text, _ = decode_text(path.read_bytes(), encodings, errors=errors)
    except UnicodeDecodeError as error:
        names = " or ".join(encodings)
        raise DatasetFormatError(f"{_named(path, dataset)} is not {names} text ({error})"
                                 f"{_expected(expected)}") from error
    return parse_csv_text(text, path, dataset=dataset, expected=expected, column_name=column_name,
                          strip_values=strip_values, **read_csv_options)


def _named(path, dataset: str | None) -> str:
    return f"{dataset}: {path}" if dataset else str(path)


def _expected(expected: str | None) -> str:
    return f"; expected {expected}" if expected else ""


# --------------------------------------------------------------------------- pickles


#: The only globals a restricted unpickler may resolve: NumPy array reconstruction.
_ALLOWED_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"),
    ("__builtin__", "object"),
    ("builtins", "object"),
    ("_codecs", "encode"),  # Python 3 writes bytes in protocol-2 pickles as _codecs.encode(text, "latin1")
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that admits NumPy arrays and plain containers, never arbitrary objects."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_PICKLE_GLOBALS:
            if module == "copy_reg":
                module = "copyreg"
            if module == "__builtin__":
                module = "builtins"
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only NumPy arrays are allowed")


def load_restricted_pickle(path: str | Path, *, encoding: str = "latin1"):
    """Unpickle ``path`` admitting only NumPy arrays, numbers, strings, lists, tuples and dicts.

    A pickle can run arbitrary code when loaded; DEAP ships its preprocessed data as
    (Python 2) pickles, so the course loads them with this restricted unpickler instead of
    ``pickle.load``. ``encoding="latin1"`` reads Python-2 NumPy pickles correctly.
    Raises :class:`DatasetFormatError` naming the file if it is truncated, not a pickle,
    or asks for anything else.

    Taught in ``04_emotion_models_and_datasets``.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return _RestrictedUnpickler(handle, encoding=encoding).load()
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, KeyError) as error:
        raise DatasetFormatError(f"{path}: not a readable NumPy pickle ({type(error).__name__}: {error})") from error


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks.

    Taught in ``04_emotion_models_and_datasets``.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_audio(path: str | Path, *, sr: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Decode an audio file to float32 ``(samples,)`` (mono) or ``(channels, samples)``.

    WAV/FLAC/OGG/MP3 through soundfile (libsndfile); other containers (mp4, m4a) through
    an ``ffmpeg`` program when there is one (:func:`ffmpeg_program`: the system's, else the
    ``imageio-ffmpeg`` wheel's), decoded at 16 kHz for video containers and 44.1 kHz
    otherwise. ``sr`` resamples (librosa's soxr resampler).
    Returns ``(audio, sample_rate)``. Raises :class:`DatasetFormatError` naming the file if
    it cannot be decoded, if it holds fewer frames than its header announces (a truncated
    WAV or FLAC: ``"file truncated: header says N frames, read M"``), and
    ``FileNotFoundError`` if it does not exist.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import soundfile

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: audio file not found")
    try:
        with soundfile.SoundFile(str(path)) as handle:
            announced = _announced_frames(path, handle)
            data = handle.read(dtype="float32", always_2d=True)
            rate = handle.samplerate
        audio = data.T                                               # (channels, samples)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        audio, rate = _read_with_ffmpeg(path, error)
    else:
        if announced is not None and audio.shape[1] < announced:
            raise DatasetFormatError(f"{path}: file truncated: header says {announced} frames, read {audio.shape[1]} "
                                     "(download or copy it again)")
    if audio.size == 0:
        raise DatasetFormatError(f"{path}: the audio file holds no samples")
    if mono:
        audio = audio.mean(axis=0)
    if sr is not None and sr != rate:
        import librosa

        audio = librosa.resample(y=audio, orig_sr=rate, target_sr=sr).astype(np.float32)
        rate = sr
    return np.ascontiguousarray(audio, dtype=np.float32), int(rate)


def _announced_frames(path: Path, handle) -> int | None:
    """Frames the file's header announces, or None when it does not say (or cannot be trusted).

    For WAV, libsndfile shortens ``frames`` to what the file holds, so the ``data`` chunk
    size is read from the RIFF header itself; for FLAC the STREAMINFO count is ``frames``
    (0 = unknown). Other formats (MP3 estimates its length) are not checked.
    """
    if handle.format == "FLAC":
        return int(handle.frames) or None
    if handle.format != "WAV":
        return None
    try:
        with open(path, "rb") as raw:
            if raw.read(4) != b"RIFF":
                return None
            raw.seek(12)
            block_align = None
            while True:
                header = raw.read(8)
                if len(header) < 8:
                    return None
                chunk, size = header[:4], int.from_bytes(header[4:], "little")
                if chunk == b"fmt ":
                    block_align = int.from_bytes(raw.read(16)[12:14], "little")
                    raw.seek(size - 16 + (size & 1), 1)
                elif chunk == b"data":
                    if not block_align or size in (0, 0xFFFFFFFF):  # streamed writers leave the size open
                        return None
                    return size // block_align
                else:
                    raw.seek(size + (size & 1), 1)
    except OSError:
        return None


#: How to get an ``ffmpeg`` program, named in the errors of :func:`read_audio`.
FFMPEG_HINT = "install ffmpeg (apt-get install ffmpeg) or pip install imageio-ffmpeg"

#: How to get OpenCV, named in the ``ImportError`` of :func:`read_video_frames`.
OPENCV_HINT = 'pip install "opencv-python-headless<5"'


def ffmpeg_program() -> str | None:
    """The path of an ``ffmpeg`` program, or None when there is none.

    The ``ffmpeg`` on the ``PATH`` (``apt-get install ffmpeg``), else the binary shipped in
    the ``imageio-ffmpeg`` wheel (``pip install imageio-ffmpeg``; imported only here).
    :func:`read_audio` uses it for containers soundfile cannot read (mp4, m4a).

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    found = shutil.which("ffmpeg")
    if found is not None:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # the wheel's binary is missing (a platform it has none for)
        return None


def _read_with_ffmpeg(path: Path, first_error: Exception) -> tuple[np.ndarray, int]:
    ffmpeg = ffmpeg_program()
    if ffmpeg is None:
        raise DatasetFormatError(
            f"{path}: cannot decode this audio file with soundfile ({first_error}); for mp4/m4a "
            f"{FFMPEG_HINT}") from first_error
    rate = 16000 if path.suffix.lower() in (".mp4", ".m4a", ".avi", ".mkv") else 44100
    command = [ffmpeg, "-v", "error", "-i", str(path), "-f", "wav", "-ac", "1", "-ar", str(rate), "-"]
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        lines = [line.strip() for line in result.stderr.decode(errors="replace").splitlines() if line.strip()]
        raise DatasetFormatError(f"{path}: ffmpeg could not decode it ({'; '.join(lines[-3:]) or 'no output'})")
    import soundfile

    data, rate = soundfile.read(io.BytesIO(result.stdout), dtype="float32", always_2d=True)
    return data.T, rate


# --------------------------------------------------------------------------- video


def _import_cv2():
    try:
        import cv2
    except ImportError as error:
        raise ImportError(f"reading video frames needs OpenCV; install it with: {OPENCV_HINT}") from error
    return cv2


def _frame_size(size, where: str) -> tuple[int, int] | None:
    """``size`` as ``(height, width)``: an int is a square; None stays None."""
    if size is None:
        return None
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise WrongTypeError(message("size", "an int or a pair (height, width)", size, where=where))
        return as_int(size[0], "size[0] (height)", where=where), as_int(size[1], "size[1] (width)", where=where)
    side = as_int(size, "size", where=where)
    return side, side


def _centre_square(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return frame[top:top + side, left:left + side]


def read_video_frames(path: str | Path, *, fps: float | None = None, size=None, grey: bool = True,
                      max_frames: int | None = None, square: bool = False) -> tuple[np.ndarray, float]:
    """Decode the video track of a clip (mp4, avi, mov, ...) into frames with OpenCV.

    Returns ``(frames, fps_out)``: ``frames`` is uint8 ``(F, H, W)`` grey (``grey=True``) or
    ``(F, H, W, 3)`` RGB, ``fps_out`` the frame rate in frames per second of what is
    returned. ``fps`` resamples in time: output frame ``k`` is the decoded frame nearest
    to the time ``k / fps`` s (decoded frame ``i`` is at ``i / native_fps`` s; ties go to
    the earlier frame), for as long as the clip lasts (``F = ceil(duration * fps)`` frames
    of a clip of ``duration = n_frames / native_fps`` s); None keeps every frame at the
    clip's own rate. ``square`` crops each frame to
    its centred square first (a 1280x720 MELD frame -> its middle 720x720). ``size``
    (``(height, width)``, or an int for a square) resizes each frame (``cv2.INTER_AREA``);
    None keeps the size. ``max_frames`` stops after that many output frames (decoding
    stops there too).

    Raises ``FileNotFoundError`` for a missing file, :class:`DatasetFormatError` naming the
    file when it holds no decodable video frames (an audio-only or truncated clip), or no
    frame rate, and ``ImportError`` (``pip install "opencv-python-headless<5"``) when OpenCV
    is not installed; bad arguments raise the errors of :mod:`mer_lessons.validation`.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "read_video_frames"
    path = Path(path)
    target_fps = None if fps is None else as_float(fps, "fps", minimum=0, low_open=True, where=where, unit="Hz")
    shape = _frame_size(size, where)
    limit = None if max_frames is None else as_int(max_frames, "max_frames", where=where)
    if not path.exists():
        raise FileNotFoundError(f"{path}: video file not found")
    cv2 = _import_cv2()
    with _quiet_opencv(cv2):  # OpenCV logs a warning for every file it cannot open; the error says it
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise DatasetFormatError(f"{path}: OpenCV cannot open this file as a video (no video track, or a "
                                     "corrupt or truncated file)")
        native = float(capture.get(cv2.CAP_PROP_FPS))
        if not (math.isfinite(native) and native > 0):
            raise DatasetFormatError(f"{path}: the video has no frame rate (OpenCV reports {native})")
        fps_out = native if target_fps is None else target_fps
        frames, index, k, last = [], 0, 0, None
        while limit is None or len(frames) < limit:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            last, picks = frame, 1
            if target_fps is not None:  # how many output times k / fps have this frame as the nearest one
                picks = 0
                while math.ceil((k + picks) * native / target_fps - 0.5 - 1e-9) <= index:
                    picks += 1
                k += picks
            index += 1
            if picks:
                frames.extend([_convert_frame(cv2, frame, grey, square, shape)] * picks)
        if target_fps is not None and last is not None and (limit is None or len(frames) < limit):
            # the times after the last frame's timestamp, up to the clip's end (index / native s)
            tail = math.ceil(index * target_fps / native - 1e-9) - k
            if tail > 0:
                frames.extend([_convert_frame(cv2, last, grey, square, shape)] * tail)
    finally:
        capture.release()
    if not frames:
        raise DatasetFormatError(f"{path}: no video frames could be decoded (no video track, or a corrupt clip)")
    if limit is not None:
        frames = frames[:limit]
    return np.ascontiguousarray(np.stack(frames), dtype=np.uint8), float(fps_out)


@contextlib.contextmanager
def _quiet_opencv(cv2):
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None or not hasattr(logging, "getLogLevel"):
        yield
        return
    previous = logging.getLogLevel()
    logging.setLogLevel(min(previous, logging.LOG_LEVEL_ERROR))
    try:
        yield
    finally:
        logging.setLogLevel(previous)


def _convert_frame(cv2, frame: np.ndarray, grey: bool, square: bool, shape: tuple[int, int] | None) -> np.ndarray:
    if frame.ndim == 2:
        frame = frame if grey else cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY if grey else cv2.COLOR_BGRA2RGB)
    else:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY if grey else cv2.COLOR_BGR2RGB)
    if square:
        frame = _centre_square(frame)
    if shape is not None and frame.shape[:2] != shape:
        frame = cv2.resize(frame, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.asarray(frame, dtype=np.uint8)


# --------------------------------------------------------------------------- checked values


#: Cells :func:`numeric_column` reads as missing by default: an empty (or blank) cell.
MISSING_CELLS = ("",)


def _where(path, dataset: str | None) -> str:
    return f"{dataset}: {path}" if dataset else str(path)


def numeric_column(table: pd.DataFrame, column: str, path: str | Path, *, dataset: str | None = None,
                   missing: tuple[str, ...] = MISSING_CELLS, allow_missing: bool = True,
                   integer: bool = False, ids=None, id_name: str = "row", name: str | None = None) -> pd.Series:
    """Column ``column`` of the CSV table ``table`` (read from ``path``) as float64 numbers.

    Cells that pandas already read as missing (NaN) and text cells in ``missing`` (after
    stripping spaces; by default only the empty cell) become NaN -- the values a dataset
    documents as missing. Any other cell that is not a number raises
    :class:`DatasetFormatError` naming the file, the column, the first bad row and its text,
    instead of being turned into NaN silently::

        pmemo: .../static_annotations.csv: column 'Valence(mean)', row 3: 'high' is not a number

    Rows are counted from 1 after the header (``ids``, one per row, names them instead, as
    ``<id_name> <id>``). ``allow_missing=False`` refuses missing cells as well;
    ``integer=True`` refuses numbers with a fraction. ``name``: the column as the file
    spells it, for the message (default ``column``). One shared check for every loader.

    Taught in ``04_emotion_models_and_datasets``.
    """
    raw = table[column]
    name = column if name is None else name
    values = pd.to_numeric(raw, errors="coerce").astype(np.float64)
    failed = values.isna().to_numpy()
    if failed.any():
        texts = raw.to_numpy()
        for position in np.flatnonzero(failed):
            text = texts[position]
            is_missing = text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA \
                or (isinstance(text, str) and text.strip() in missing)
            if is_missing and allow_missing:
                continue
            what = "is missing" if is_missing else "is not a number"
            raise DatasetFormatError(f"{_where(path, dataset)}: column {name!r}, "
                                     f"{_row_name(position, ids, id_name)}: "
                                     f"{text!r} {what}")
    if integer:
        fraction = values.notna().to_numpy() & (values.to_numpy() % 1 != 0)
        if fraction.any():
            position = int(np.flatnonzero(fraction)[0])
            raise DatasetFormatError(f"{_where(path, dataset)}: column {name!r}, "
                                     f"{_row_name(position, ids, id_name)}: "
                                     f"{raw.iloc[position]!r} is not a whole number")
    return pd.Series(values.to_numpy(), index=table.index, name=column)


def _row_name(position: int, ids, id_name: str) -> str:
    if ids is not None:
        value = list(ids)[position]
        return f"{id_name} {value.item() if isinstance(value, np.generic) else value}"
    return f"row {position + 1}"


def check_scale(values, scale: tuple[float, float], path: str | Path, column: str, *, dataset: str | None = None,
                ids=None, id_name: str = "row", scale_name: str = "", tolerance: float = 1e-6) -> None:
    """Raise :class:`DatasetFormatError` if a value of ``values`` (one per row; NaN is
    skipped: missing values are the caller's business) lies outside the documented
    ``scale = (low, high)``, naming the file, the row (or ``<id_name> <id>`` with ``ids``),
    the column, the value and the scale::

        deam: .../static_annotations_averaged_songs_1_2000.csv: column 'valence_mean', song_id 2:
        12 is outside [1, 9], the documented 1-9 scale

    ``tolerance`` forgives rounding just outside the ends.

    Taught in ``04_emotion_models_and_datasets``.
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    low, high = scale
    outside = (array < low - tolerance) | (array > high + tolerance)
    if outside.any():
        position = int(np.flatnonzero(outside)[0])
        named = scale_name or f"{_number(low)}-{_number(high)}"
        raise DatasetFormatError(f"{_where(path, dataset)}: column {column!r}, {_row_name(position, ids, id_name)}: "
                                 f"{_number(array[position])} is outside [{_number(low)}, {_number(high)}], "
                                 f"the documented {named} scale")


def check_categories(values, allowed, path: str | Path, column: str, *, dataset: str | None = None,
                     ids=None, id_name: str = "row") -> None:
    """Raise :class:`DatasetFormatError` if a value of ``values`` is not one of the
    documented categories ``allowed``, naming the file, the row (or ``<id_name> <id>``),
    the column, the value and the allowed ones.

    Taught in ``04_emotion_models_and_datasets``.
    """
    allowed = tuple(allowed)
    for position, value in enumerate(values):
        if value not in allowed:
            row = _row_name(position, ids, id_name)
            raise DatasetFormatError(f"{_where(path, dataset)}: column {column!r}, {row}: {value!r} is not one of "
                                     f"the documented labels {', '.join(map(str, allowed))}")


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)
