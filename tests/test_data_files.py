"""mer_lessons.data.files: the dataset folder, CSV tables, restricted unpickling, audio reading, checksums."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from mer_lessons.data.errors import DatasetFormatError
from mer_lessons.data.examples import meld as meld_writer
from mer_lessons.data.files import (decode_text, ffmpeg_program, file_stamp, find_dataset_root, load_restricted_pickle,
                                    parse_csv_text, read_audio, read_csv_text, read_video_frames, sha256_file)
from mer_lessons.validation import InputError

# --------------------------------------------------------------------------- pickles


def _arrays():
    return {"labels": np.arange(8, dtype=np.float64).reshape(2, 4),
            "data": np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4)}


def test_a_protocol_2_pickle_of_numpy_arrays_loads(tmp_path):
    path = tmp_path / "s01.dat"
    path.write_bytes(pickle.dumps(_arrays(), protocol=2))
    loaded = load_restricted_pickle(path)
    assert set(loaded) == {"labels", "data"}
    for key, expected in _arrays().items():
        np.testing.assert_array_equal(loaded[key], expected)
        assert loaded[key].dtype == expected.dtype


class _Python2Pickler(pickle._Pickler):
    """Writes text and bytes as Python 2 ``str`` (BINSTRING), as DEAP's Python 2 pickles do."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str


def _python2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    # Python 2's NumPy lived in numpy.core; array bytes are raw 8-bit strings, not _codecs.encode
    raw = buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert b"_codecs" not in raw and b"cnumpy.core.multiarray\n_reconstruct" in raw
    return raw


def test_a_python_2_style_pickle_loads_with_latin1(tmp_path):
    path = tmp_path / "s02.dat"
    path.write_bytes(_python2_pickle(_arrays()))
    with pytest.raises(UnicodeDecodeError):                # why latin1 is needed: raw bytes are not ASCII
        pickle.loads(path.read_bytes(), encoding="ascii")
    loaded = load_restricted_pickle(path)
    assert set(loaded) == {"labels", "data"}               # Python 2 str keys arrive as str
    for key, expected in _arrays().items():
        np.testing.assert_array_equal(loaded[key], expected)


class _RunsACommand:
    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        return os.system, (f"touch {self.flag}",)


class _Evaluates:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


def test_a_pickle_that_would_run_a_command_is_refused_and_the_command_does_not_run(tmp_path):
    flag = tmp_path / "pwned"
    path = tmp_path / "evil.dat"
    path.write_bytes(pickle.dumps({"data": _RunsACommand(flag)}, protocol=2))
    with pytest.raises(DatasetFormatError, match="evil.dat") as caught:
        load_restricted_pickle(path)
    assert "system" in str(caught.value)
    assert not flag.exists()


def test_a_pickle_calling_eval_is_refused(tmp_path):
    path = tmp_path / "eval.dat"
    path.write_bytes(pickle.dumps(_Evaluates(), protocol=2))
    with pytest.raises(DatasetFormatError, match="eval"):
        load_restricted_pickle(path)


def test_a_truncated_pickle_raises_a_format_error_naming_the_file(tmp_path):
    path = tmp_path / "s03.dat"
    path.write_bytes(pickle.dumps(_arrays(), protocol=2)[:150])
    with pytest.raises(DatasetFormatError) as caught:
        load_restricted_pickle(path)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_a_pickle_raises_a_format_error(tmp_path):
    path = tmp_path / "s04.dat"
    path.write_bytes(b"this is a text file, not a pickle\n")
    with pytest.raises(DatasetFormatError, match="s04.dat"):
        load_restricted_pickle(path)


def test_a_missing_pickle_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_restricted_pickle(tmp_path / "nope.dat")


# --------------------------------------------------------------------------- audio


SR = 16000


def _tone(seconds=0.25, sr=SR, freq=440.0):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_read_audio_reads_a_mono_wav(tmp_path):
    path = tmp_path / "mono.wav"
    tone = _tone()
    soundfile.write(path, tone, SR, subtype="FLOAT")
    audio, sr = read_audio(path)
    assert sr == SR and audio.dtype == np.float32 and audio.shape == tone.shape
    np.testing.assert_allclose(audio, tone, atol=1e-6)


def test_read_audio_mixes_stereo_down_to_mono_or_keeps_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    n = SR // 4
    stereo = np.stack([np.full(n, 0.5), np.full(n, -0.1)], axis=1).astype(np.float32)
    soundfile.write(path, stereo, SR, subtype="PCM_16")
    audio, sr = read_audio(path)
    assert audio.shape == (n,) and sr == SR
    np.testing.assert_allclose(audio, 0.2, atol=1e-3)
    both, _ = read_audio(path, mono=False)
    assert both.shape == (2, n) and both.dtype == np.float32
    np.testing.assert_allclose(both[0], 0.5, atol=1e-3)


def test_read_audio_resamples_when_asked(tmp_path):
    path = tmp_path / "tone.wav"
    soundfile.write(path, _tone(seconds=0.5), SR)
    audio, sr = read_audio(path, sr=8000)
    assert sr == 8000 and audio.dtype == np.float32
    assert abs(len(audio) - 4000) <= 1
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 8000 / len(audio) - 440) < 5   # still a 440 Hz tone
    same, same_sr = read_audio(path, sr=SR)                          # no resampling needed
    assert same_sr == SR and len(same) == SR // 2


def test_read_audio_names_a_corrupt_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really audio at all" + bytes(range(64)))
    with pytest.raises(DatasetFormatError) as caught:
        read_audio(path)
    assert str(path) in str(caught.value)


def test_read_audio_names_a_truncated_wav(tmp_path):
    path = tmp_path / "cut.wav"
    soundfile.write(path, _tone(), SR)
    path.write_bytes(path.read_bytes()[:30])               # the header is cut off
    with pytest.raises(DatasetFormatError, match="cut.wav"):
        read_audio(path)


def test_read_audio_refuses_a_wav_without_samples(tmp_path):
    path = tmp_path / "empty.wav"
    soundfile.write(path, np.zeros(0, dtype=np.float32), SR)
    with pytest.raises(DatasetFormatError, match="empty.wav"):
        read_audio(path)


def test_read_audio_raises_file_not_found_for_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        read_audio(tmp_path / "missing.wav")


# --------------------------------------------------------------------------- the ffmpeg program

#: A MELD fixture clip with a video track (4 frames of a drawn face, 48x48, 4 fps) and 0.2 s of audio.
MELD_CLIPS = Path(__file__).resolve().parent / "fixtures" / "meld" / "MELD.Raw" / "train_splits"
AV_CLIP = MELD_CLIPS / "dia2_utt0.mp4"       # variant 1 of the writer's drawn faces, joy
AUDIO_ONLY_CLIP = MELD_CLIPS / "dia0_utt0.mp4"
HAVE_IMAGEIO_FFMPEG = importlib.util.find_spec("imageio_ffmpeg") is not None
HAVE_OPENCV = importlib.util.find_spec("cv2") is not None
needs_opencv = pytest.mark.skipif(not HAVE_OPENCV, reason="decoding video needs OpenCV (opencv-python-headless)")


@pytest.mark.skipif(not HAVE_IMAGEIO_FFMPEG, reason="the imageio-ffmpeg wheel is not installed")
def test_read_audio_falls_back_to_the_imageio_ffmpeg_binary(monkeypatch):
    import imageio_ffmpeg

    monkeypatch.setattr(shutil, "which", lambda name: None)   # no ffmpeg on the PATH
    assert ffmpeg_program() == imageio_ffmpeg.get_ffmpeg_exe()
    programs = []
    real_run = subprocess.run

    def run(command, **options):
        programs.append(command[0])
        return real_run(command, **options)

    monkeypatch.setattr(subprocess, "run", run)
    audio, sr = read_audio(AV_CLIP)                               # an MP4: soundfile cannot read it
    assert programs == [imageio_ffmpeg.get_ffmpeg_exe()]
    assert sr == 16000 and audio.shape[0] == pytest.approx(3200, abs=40)
    assert np.abs(audio).max() == pytest.approx(0.3, abs=0.02)


def test_read_audio_without_any_ffmpeg_names_both_ways_to_get_one(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)     # import imageio_ffmpeg fails
    assert ffmpeg_program() is None
    with pytest.raises(DatasetFormatError, match=r"apt-get install ffmpeg.*pip install imageio-ffmpeg") as caught:
        read_audio(AV_CLIP)
    assert "dia2_utt0.mp4" in str(caught.value)


def test_the_ffmpeg_on_the_path_comes_first(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: "/opt/bin/ffmpeg" if name == "ffmpeg" else None)
    assert ffmpeg_program() == "/opt/bin/ffmpeg"


# --------------------------------------------------------------------------- video frames


@needs_opencv
def test_read_video_frames_decodes_the_hand_written_video_track_exactly():
    frames, fps = read_video_frames(AV_CLIP)
    assert frames.shape == (4, 48, 48) and frames.dtype == np.uint8 and fps == 4.0
    np.testing.assert_array_equal(frames, meld_writer.face_frames("joy", 1))
    assert len({f.tobytes() for f in frames}) == 4                # the head moves: four different frames


@needs_opencv
@pytest.mark.parametrize("fps, picked", [(2, [0, 2]), (8, [0, 0, 1, 1, 2, 2, 3, 3]), (3, [0, 1, 3]), (4, [0, 1, 2, 3]),
                                         (5, [0, 1, 2, 2, 3]), (0.5, [0])])
def test_read_video_frames_resamples_to_the_nearest_frame(fps, picked):
    native, _ = read_video_frames(AV_CLIP)
    frames, fps_out = read_video_frames(AV_CLIP, fps=fps)
    assert fps_out == float(fps) and len(frames) == len(picked)   # ceil(1 s * fps) frames
    for frame, index in zip(frames, picked):
        np.testing.assert_array_equal(frame, native[index])


@needs_opencv
def test_read_video_frames_max_frames_and_size():
    frames, _ = read_video_frames(AV_CLIP, fps=8, max_frames=3)
    assert frames.shape == (3, 48, 48)
    small, _ = read_video_frames(AV_CLIP, size=24)
    assert small.shape == (4, 24, 24)
    native, _ = read_video_frames(AV_CLIP)
    expected = native[0].reshape(24, 2, 24, 2).mean(axis=(1, 3))  # INTER_AREA halving: 2x2 means
    assert np.abs(small[0].astype(float) - expected).max() <= 1
    wide, _ = read_video_frames(AV_CLIP, size=(30, 40))
    assert wide.shape == (4, 30, 40)


@needs_opencv
def test_read_video_frames_grey_or_rgb():
    grey, _ = read_video_frames(AV_CLIP)
    rgb, fps = read_video_frames(AV_CLIP, grey=False)
    assert rgb.shape == (4, 48, 48, 3) and rgb.dtype == np.uint8 and fps == 4.0
    for channel in range(3):                                      # a grey video: R = G = B = grey
        np.testing.assert_array_equal(rgb[..., channel], grey)


@needs_opencv
def test_read_video_frames_square_crops_the_centre(tmp_path):
    import cv2

    path = tmp_path / "wide.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 32))
    if not writer.isOpened():
        pytest.skip("this OpenCV cannot write MJPG video")
    for k in range(5):
        image = np.zeros((32, 64, 3), dtype=np.uint8)
        image[:, 16:48] = (0, 0, 250)                             # the centre square is red (BGR)
        writer.write(image)
    writer.release()
    full, fps = read_video_frames(path, grey=False)
    assert full.shape == (5, 32, 64, 3) and fps == pytest.approx(10)
    centre, _ = read_video_frames(path, grey=False, square=True, size=16)
    assert centre.shape == (5, 16, 16, 3)
    assert np.all(centre[:, 2:-2, 2:-2, 0] > 200) and np.all(centre[:, 2:-2, 2:-2, 2] < 50)  # RGB: red first
    assert np.all(full[:, :, :8].max(axis=-1) < 50)              # outside the centre: black


@needs_opencv
@pytest.mark.parametrize("name, content", [("audio_only.mp4", None), ("cut.mp4", 60), ("noise.mp4", b"not a video")])
def test_read_video_frames_names_an_undecodable_file(tmp_path, name, content):
    path = tmp_path / name
    raw = AUDIO_ONLY_CLIP.read_bytes() if content is None else AV_CLIP.read_bytes()[:content] \
        if isinstance(content, int) else content
    path.write_bytes(raw)
    with pytest.raises(DatasetFormatError, match=name):
        read_video_frames(path)


def test_read_video_frames_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        read_video_frames(tmp_path / "missing.mp4")


def test_read_video_frames_without_opencv_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)                 # import cv2 fails
    with pytest.raises(ImportError, match=r'pip install "opencv-python-headless<5"'):
        read_video_frames(AV_CLIP)


@pytest.mark.parametrize("options, match", [({"fps": 0}, "fps"), ({"fps": "4"}, "fps"), ({"size": 0}, "size"),
                                            ({"size": (1, 2, 3)}, "size"), ({"max_frames": 0}, "max_frames")])
def test_read_video_frames_checks_its_arguments(options, match):
    with pytest.raises(InputError, match=match):
        read_video_frames(AV_CLIP, **options)


# --------------------------------------------------------------------------- checksums


@pytest.mark.parametrize("size", [0, 1, 1000, 70_000])
def test_sha256_file_matches_hashlib(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(path, chunk_bytes=4096) == expected   # several chunks


# --------------------------------------------------------------------------- dataset folder


def _has_labels(folder):
    return (folder / "labels.csv").exists()


def _find(root):
    return find_dataset_root(root, _has_labels, dataset="toy", marker="labels.csv", expected="the unpacked toy.zip")


def test_find_dataset_root_accepts_the_folder_itself(tmp_path):
    (tmp_path / "labels.csv").write_text("id\n")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "labels.csv").write_text("id\n")
    assert _find(tmp_path) == tmp_path              # the folder itself wins over a subfolder
    assert _find(str(tmp_path)) == tmp_path         # a str root too


def test_find_dataset_root_finds_the_one_subfolder_beside_macosx_and_hidden_folders(tmp_path):
    for name in ("toy_1.0", "__MACOSX", ".cache", "other"):
        (tmp_path / name).mkdir()
    for name in ("toy_1.0", "__MACOSX", ".cache"):
        (tmp_path / name / "labels.csv").write_text("id\n")
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    assert _find(tmp_path) == tmp_path / "toy_1.0"


def test_find_dataset_root_names_what_is_missing_and_what_was_expected(tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(DatasetFormatError, match=r"^toy: labels.csv is missing in .*; expected the unpacked toy.zip$"):
        _find(tmp_path)


def test_find_dataset_root_refuses_to_guess_between_two_subfolders(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "labels.csv").write_text("id\n")
    with pytest.raises(DatasetFormatError, match=r"toy: labels.csv is in several subfolders .*\(a/, b/\)"):
        _find(tmp_path)


def test_file_stamp_changes_with_the_file_and_names_a_file_that_has_gone(tmp_path):
    path = tmp_path / "s01.dat"
    path.write_bytes(b"12345")
    first = file_stamp(path, "toy")
    assert first == (path.stat().st_mtime_ns, 5)
    os.utime(path, ns=(first[0] + 10**9, first[0] + 10**9))
    assert file_stamp(str(path), "toy") == (first[0] + 10**9, 5)
    path.unlink()
    with pytest.raises(DatasetFormatError, match=r"^toy: .*s01.dat is missing; it was there when the dataset was"):
        file_stamp(path, "toy")


# --------------------------------------------------------------------------- CSV tables


def test_decode_text_tries_utf8_then_cp1252():
    assert decode_text("Blár Dagur".encode("utf-8")) == ("Blár Dagur", "utf-8-sig")
    assert decode_text(b"\xef\xbb\xbfid,name") == ("id,name", "utf-8-sig")          # the BOM is dropped
    assert decode_text("Blár – Dagur".encode("cp1252")) == ("Blár – Dagur", "cp1252")


def test_decode_text_replaces_or_raises_on_the_last_encoding():
    raw = b"caf\xe9 \x81"                                  # 0x81 is undefined in cp1252
    assert decode_text(raw) == ("café \ufffd", "cp1252")
    with pytest.raises(UnicodeDecodeError):
        decode_text(raw, errors="strict")
    assert decode_text(raw, ("utf-8-sig", "cp1252", "latin-1"), errors="strict") == ("café \x81", "latin-1")
    with pytest.raises(ValueError):
        decode_text(raw, ())


def test_read_csv_text_reads_text_cells_and_strips_header_names(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes("\ufeffid , name, count\n007, Café ,3\n008,,\n".encode("utf-8"))
    table = read_csv_text(path)
    assert list(table.columns) == ["id", "name", "count"]
    assert table["id"].tolist() == ["007", "008"]            # text: leading zeros kept
    assert table["name"].tolist() == [" Café ", ""]           # empty cells stay "", values as written
    assert read_csv_text(path, strip_values=True)["name"].tolist() == ["Café", ""]
    assert list(read_csv_text(path, column_name=None).columns) == ["id ", " name", " count"]
    assert list(read_csv_text(path, column_name=str.upper).columns) == ["ID ", " NAME", " COUNT"]


def test_read_csv_text_falls_back_to_cp1252(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes("artist,title\nSigur Rós,Blár Dagur\n".encode("cp1252"))
    assert read_csv_text(path).loc[0, "artist"] == "Sigur Rós"
    with pytest.raises(DatasetFormatError, match=r"toy: .*table.csv is not utf-8-sig text .*; expected two columns"):
        read_csv_text(path, dataset="toy", expected="two columns", encodings=("utf-8-sig",), errors="strict")


def test_read_csv_text_passes_options_to_pandas(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("id, value, label\n1, 0.5, a\n2,, b\n")
    table = read_csv_text(path, dtype=None, keep_default_na=True, skipinitialspace=True, strip_values=True)
    assert table["id"].tolist() == [1, 2]
    assert table["value"].iloc[0] == 0.5 and np.isnan(table["value"].iloc[1])
    assert table["label"].tolist() == ["a", "b"]


@pytest.mark.parametrize("content", [b"", b'id,name\n1,"cut inside a quote\n'])
def test_read_csv_text_names_an_unreadable_file(tmp_path, content):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetFormatError, match=r"broken.csv is not a readable CSV \(.+\)$"):
        read_csv_text(path)
    with pytest.raises(DatasetFormatError, match=r"^toy: .*broken.csv is not a readable CSV .*; expected id, name$"):
        read_csv_text(path, dataset="toy", expected="id, name")


def test_read_csv_text_names_a_missing_file(tmp_path):
    with pytest.raises(DatasetFormatError, match=r"^toy: .*labels.csv is missing; expected the label table$"):
        read_csv_text(tmp_path / "labels.csv", dataset="toy", expected="the label table")


def test_parse_csv_text_names_the_file_it_came_from(tmp_path):
    table = parse_csv_text("Track Id,Genre\n1,pop\n", tmp_path / "data.csv", column_name=str.lower)
    assert list(table.columns) == ["track id", "genre"] and table.loc[0, "track id"] == "1"
    with pytest.raises(DatasetFormatError, match="data.csv is not a readable CSV"):
        parse_csv_text("", tmp_path / "data.csv")
