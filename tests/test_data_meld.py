"""MELD loader on the fixture in tests/fixtures/meld (layout of MELD.Raw.tar.gz, with its quirks)."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from mer_lessons import data
from mer_lessons.data import files, labels
from mer_lessons.data.examples import meld as meld_writer
from mer_lessons.data.loaders import meld

from fixture_tools import (BYTES, assert_writer_deterministic, card_text, copy_fixture_for, fixture_path, quiet_loader,
                           registry_entry)

FIXTURE = fixture_path("meld")
HAVE_FFMPEG = files.ffmpeg_program() is not None
needs_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="decoding a clip's audio from MP4 needs an ffmpeg program "
                                  "(apt-get install ffmpeg, or pip install imageio-ffmpeg)")
needs_opencv = pytest.mark.skipif(not meld._have_opencv(), reason="decoding video frames needs OpenCV")

#: The utterances of Kirar's classes whose clip has a video track (a drawn face) and an extracted waves/*.wav.
AV_IDS = [f"{split}_dia{d}_utt{u}" for split, clips in meld_writer.AV_CLIPS.items() for d, u, _ in clips]
#: ... the same for anger, fear and disgust (Liu's other MELD classes); all of them, in the writer's
#: order (a clip's index here is the variant of its drawn face).
LIU_AV_IDS = [f"{split}_dia{d}_utt{u}" for split, clips in meld_writer.AV_CLIPS_LIU.items() for d, u, _ in clips]
ALL_AV_IDS = AV_IDS + LIU_AV_IDS
LIU9_MELD = ("joy", "sadness", "surprise", "anger", "fear", "disgust")


load = quiet_loader("meld")
copy = copy_fixture_for("meld", "MELD.Raw")


def test_counts_ids_splits_and_speakers():
    ds = load()
    assert len(ds) == 27
    assert ds.meta["split"].value_counts().to_dict() == {"train": 16, "dev": 5, "test": 6}
    assert ds.meta["id"].iloc[0] == "train_dia0_utt0" and ds.meta["id"].iloc[-1] == "test_dia2_utt0"
    assert ds.meta["id"].is_unique  # dialogue ids restart per split, ids do not collide
    assert (ds.meta["subject"] == ds.meta["speaker"]).all()
    assert ds.meta.loc[1, "speaker"] == "The Interviewer"
    assert ds.root.name == "MELD.Raw"  # the single top folder is found
    assert list(ds.meta["sr_no"][:6]) == [1, 2, 3, 4, 5, 15]  # gaps in Sr No. are kept


def test_labels_and_columns():
    ds = load()
    assert ds.label_columns == ("emotion", "sentiment", "kirar3", "liu9")
    assert set(ds.meta["emotion"]) <= set(meld.EMOTIONS)
    assert set(ds.meta["sentiment"]) <= set(meld.SENTIMENTS)
    for column in ("text", "speaker", "dialogue_id", "utterance_id", "season", "episode", "start_time",
                   "end_time", "duration", "video_path", "audio_path", "has_video", "has_audio"):
        assert column in ds.meta.columns
    item = ds[4]
    assert item["labels"] == {"emotion": "surprise", "sentiment": "positive", "kirar3": "surprise", "liu9": "surprise"}
    assert ds[0]["labels"]["kirar3"] is None and ds[0]["labels"]["liu9"] is None  # neutral


def test_kirar3_classes():
    ds = load(classes="kirar3")
    assert len(ds) == 16
    assert set(ds.meta["kirar3"]) == {"happy", "sad", "surprise"}
    mapping = dict(zip(ds.meta["emotion"], ds.meta["kirar3"]))
    assert mapping == {"joy": "happy", "sadness": "sad", "surprise": "surprise"}
    assert ds.meta["liu9"].tolist() == ds.meta["emotion"].tolist()  # the liu9 column is there too
    with pytest.raises(ValueError, match="kirar3"):
        load(classes="ekman")


def test_liu9_classes_drop_neutral_and_keep_both_columns():
    every = load()
    assert meld.LIU9 == {e: e for e in LIU9_MELD} and set(meld.LIU9) <= set(labels.LIU9_PROTOTYPES)
    expected = [None if e == "neutral" else e for e in every.meta["emotion"]]
    assert every.meta["liu9"].tolist() == expected  # always a column, None for neutral
    ds = load(classes="liu9")
    assert len(ds) == 22 and "neutral" not in set(ds.meta["emotion"])
    assert list(ds.meta["id"]) == [i for i, e in zip(every.meta["id"], expected) if e is not None]
    assert (ds.meta["liu9"] == ds.meta["emotion"]).all() and set(ds.meta["liu9"]) == set(LIU9_MELD)
    assert ds.meta["liu9"].value_counts().to_dict() == {"surprise": 7, "sadness": 5, "joy": 4, "anger": 2,
                                                        "fear": 2, "disgust": 2}
    kirar = dict(zip(ds.meta["emotion"], ds.meta["kirar3"]))  # kirar3 still right, None outside its three
    assert kirar == {"joy": "happy", "sadness": "sad", "surprise": "surprise", "anger": None, "fear": None,
                     "disgust": None}
    assert ds[0]["labels"]["liu9"] == ds.meta["liu9"].iloc[0]
    with pytest.raises(ValueError, match="liu9"):
        load(classes="liu")


def test_csv_encodings_and_text_repair():
    ds = load()
    assert ds.encodings == {"train_sent_emo.csv": "utf-8", "dev_sent_emo.csv": "utf-8", "test_sent_emo.csv": "cp1252"}
    text = dict(zip(ds.meta["id"], ds.meta["text"]))
    # cp1252 punctuation stored as C1 control characters (raw download)
    assert text["train_dia0_utt0"].startswith("also I was the point person on my company's transition")
    assert text["train_dia1_utt2"] == 'Oh, she\'s gonna say "Hey, you\'re not Bob."...'  # \x85 and "" quoting
    # mojibake and typographic quotes, no-break space
    assert text["dev_dia1_utt0"] == 'You\'re "the" guy... really?'
    assert text["dev_dia0_utt0"] == "Oh my God, he's lost it. He's totally lost it."
    # a cp1252 file
    assert text["test_dia0_utt2"].endswith("she can be like, 'Where's number 27?!'")
    assert all(t.isascii() for t in ds.meta["text"])
    assert all(not any("\x80" <= c <= "\x9f" for c in t) for t in ds.meta["text"])


def test_text_without_normalisation_keeps_typography_but_repairs_encoding():
    text = dict(zip(*[load(normalise_text=False).meta[c] for c in ("id", "text")]))
    assert text["train_dia0_utt0"].startswith("also I was the point person on my company\u2019s")
    assert text["dev_dia1_utt0"] == "You\u2019re \u201cthe\u201d guy\u2026\u00a0really?"


@pytest.mark.parametrize("raw, expected", [
    ("company\x92s", "company's"),
    ("You\u00e2\u0080\u0099re", "You're"),   # UTF-8 read as Latin-1
    ("You\u00e2\u20ac\u2122re", "You're"),   # UTF-8 read as cp1252
    ("wait\x85 what", "wait... what"),
    ("caf\u00e9 \u2013 ok", "caf\u00e9 - ok"),  # real accents are left alone
    ("  padded  ", "padded"),
])
def test_clean_text(raw, expected):
    assert meld.clean_text(raw) == expected


def test_times_in_seconds():
    ds = load()
    row = ds.meta.set_index("id").loc["train_dia0_utt0"]
    assert row["start_time"] == pytest.approx(16 * 60 + 16.059)
    assert row["end_time"] == pytest.approx(16 * 60 + 21.731)
    assert row["duration"] == pytest.approx(5.672)
    one_digit_hour = ds.meta.set_index("id").loc["train_dia1_utt1", "start_time"]  # "0:36:44,368"
    assert one_digit_hour == pytest.approx(36 * 60 + 44.368)
    assert meld.parse_time("01:02:03.5") == pytest.approx(3723.5)
    with pytest.raises(ValueError, match="not a time"):
        meld.parse_time("16:16")


def test_missing_clips_still_give_text():
    ds = load()
    meta = ds.meta.set_index("id")
    assert not meta.loc["dev_dia0_utt1", "has_video"] and not meta.loc["dev_dia0_utt1", "has_audio"]
    item = ds[int(np.flatnonzero(ds.meta["id"] == "dev_dia0_utt1")[0])]
    assert item["text"] == "What?" and item["video_path"] is None and "audio" not in item
    assert meta["has_video"].sum() == 22 and meta["has_audio"].sum() == 23
    kept = load(require_media=True)
    assert len(kept) == 23 and kept.meta["has_audio"].all()


def test_extracted_wav_is_read_without_ffmpeg(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # as on a machine without ffmpeg
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # ... and without the imageio-ffmpeg wheel
    ds = load()
    index = int(np.flatnonzero(ds.meta["id"] == "train_dia1_utt0")[0])
    item = ds[index]
    assert item["video_path"] is None
    assert item["sr"] == 8000 and item["audio"].dtype == np.float32 and item["audio"].shape == (1600,)
    clip = ds[0]  # an MP4 clip: without ffmpeg audio=None leaves the audio out
    assert clip["video_path"].endswith("train_splits/dia0_utt0.mp4") and "audio" not in clip
    strict = load(audio=True)
    with pytest.raises(data.DatasetFormatError, match="ffmpeg"):
        strict[0]
    with pytest.raises(data.DatasetFormatError, match="no clip for train_dia0_utt3"):
        strict[3]
    assert all("audio" not in load(audio=False)[i] for i in range(3))


@needs_ffmpeg
def test_audio_decoded_from_mp4_clips():
    ds = load()
    item = ds[0]
    assert item["sr"] == 16000 and item["audio"].dtype == np.float32 and item["audio"].ndim == 1
    assert item["audio"].shape[0] == pytest.approx(3200, abs=40)  # 0.2 s
    assert np.abs(item["audio"]).max() == pytest.approx(0.3, abs=0.02)
    assert load(sr=8000)[0]["sr"] == 8000


@needs_ffmpeg
def test_validate_lists_the_corrupt_clip():
    problems = load().validate()
    assert [pid for pid, _ in problems] == ["train_dia0_utt2"]
    assert "dia0_utt2.mp4" in problems[0][1]


# --------------------------------------------------------------------------- video frames and audio of the AV clips


def test_av_clips_have_a_wav_and_a_clip_in_every_split_and_class():
    ds = load(classes="kirar3", require_media=True, frames=False)
    meta = ds.meta.set_index("id")
    assert set(AV_IDS) <= set(meta.index)
    av = meta.loc[AV_IDS]
    assert av["has_video"].all() and all(p.endswith(".wav") for p in av["audio_path"])
    counts = av.groupby(["split", "kirar3"]).size()
    assert counts.loc["train"].to_dict() == {"happy": 2, "sad": 2, "surprise": 2}
    assert (counts.loc[["dev", "test"]] == 1).all() and len(counts) == 9


def test_av_clip_audio_reads_from_the_wav_without_ffmpeg(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    ds = load(classes="kirar3", require_media=True)
    for i in range(len(ds)):
        if ds.meta["id"].iloc[i] in AV_IDS:
            item = ds[i]
            assert item["sr"] == 8000 and item["audio"].shape == (1600,)


@needs_opencv
def test_frames_true_gives_face_frames_of_the_av_clips():
    ds = load(classes="kirar3", require_media=True, frames=True)
    assert list(ds.meta["id"]) == AV_IDS   # require_media with frames=True: only utterances with a clip
    assert len(ds) >= 9 and set(ds.meta["kirar3"]) == {"happy", "sad", "surprise"}
    emotions = dict(zip(ds.meta["id"], ds.meta["emotion"]))
    for i in range(len(ds)):
        item = ds[i]
        assert item["face"].shape == (4, 48, 48) and item["face"].dtype == np.uint8
        assert item["face_fps"] == 4.0 and isinstance(item["face_fps"], float)
        assert "audio" in item
        # the drawn face comes back exactly (uncompressed video)
        drawn = meld_writer.face_frames(emotions[item["id"]], AV_IDS.index(item["id"]))
        np.testing.assert_array_equal(item["face"], drawn)


def test_liu9_av_clips_have_a_wav_and_a_clip_for_every_class():
    ds = load(classes="liu9", require_media=True, frames=True)
    assert sorted(ds.meta["id"]) == sorted(ALL_AV_IDS)  # with frames=True: only utterances with a clip
    assert ds.meta["has_video"].all() and all(p.endswith(".wav") for p in ds.meta["audio_path"])
    counts = ds.meta["liu9"].value_counts().to_dict()
    assert counts == {"joy": 4, "sadness": 4, "surprise": 4, "anger": 2, "fear": 2, "disgust": 2}
    liu = ds.meta.set_index("id").loc[LIU_AV_IDS]
    assert liu.groupby("liu9")["split"].apply(lambda s: "train" in set(s) and len(set(s)) == 2).all()


@needs_opencv
def test_liu9_frames_and_audio_for_the_six_classes(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # the sidecar wavs need no ffmpeg
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    ds = load(classes="liu9", require_media=True, frames=True)
    emotions = dict(zip(ds.meta["id"], ds.meta["emotion"]))
    seen = set()
    for i in range(len(ds)):
        item = ds[i]
        assert item["face"].shape == (4, 48, 48) and item["face_fps"] == 4.0
        assert item["sr"] == 8000 and item["audio"].shape == (1600,)
        drawn = meld_writer.face_frames(emotions[item["id"]], ALL_AV_IDS.index(item["id"]))
        np.testing.assert_array_equal(item["face"], drawn)
        seen.add(item["labels"]["liu9"])
    assert seen == set(LIU9_MELD)


def test_drawn_faces_differ_between_the_six_classes():
    faces = {e: meld_writer.face_frames(e, 0) for e in LIU9_MELD}
    for a in LIU9_MELD:
        for b in LIU9_MELD:
            assert a == b or not np.array_equal(faces[a], faces[b])
    assert all(np.all(f % 17 == 0) for f in faces.values())


@needs_opencv
def test_frame_fps_and_frame_size_options():
    ds = load(classes="kirar3", require_media=True, frames=True, frame_fps=8, frame_size=24, audio=False)
    item = ds[0]
    assert item["face"].shape == (8, 24, 24) and item["face_fps"] == 8.0 and "audio" not in item
    wide = load(split="dev", classes="kirar3", require_media=True, frames=True, frame_size=(30, 40), frame_fps=None)
    assert wide[0]["face"].shape == (4, 30, 40) and wide[0]["face_fps"] == 4.0
    native = load(split="test", classes="kirar3", require_media=True, frames=True, frame_size=None)
    assert native[0]["face"].shape == (4, 48, 48)
    with pytest.raises(ValueError, match="frames"):
        load(frames="yes")
    with pytest.raises(ValueError, match="frame_fps"):
        load(frames=True, frame_fps=0)
    with pytest.raises(ValueError, match="frame_size"):
        load(frames=True, frame_size=(1, 2, 3))


@needs_opencv
def test_frames_none_is_best_effort_and_frames_true_requires_a_video():
    ds = load(frames=None, audio=False)
    with_face = {ds.meta["id"].iloc[i] for i in range(len(ds)) if "face" in ds[i]}
    assert with_face == set(ALL_AV_IDS)  # audio-only, truncated and missing clips give no frames
    strict = load(frames=True, audio=False)
    ids = list(strict.meta["id"])
    with pytest.raises(data.DatasetFormatError, match="dia0_utt0.mp4"):  # an audio-only clip
        strict[ids.index("train_dia0_utt0")]
    with pytest.raises(data.DatasetFormatError, match="dia0_utt2.mp4"):  # the truncated clip
        strict[ids.index("train_dia0_utt2")]
    with pytest.raises(data.DatasetFormatError, match="no clip for train_dia0_utt3"):
        strict[ids.index("train_dia0_utt3")]
    default = load(audio=False)  # frames=False: the default
    assert all("face" not in default[i] for i in range(len(default)))


def test_frames_none_without_opencv_leaves_them_out(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    ds = load(classes="kirar3", require_media=True, frames=None, audio=False)
    assert all("face" not in ds[i] for i in range(len(ds)))
    with pytest.raises(ImportError, match="opencv-python-headless"):
        load(classes="kirar3", require_media=True, frames=True, audio=False)[0]


@needs_ffmpeg
def test_audio_of_an_av_clip_decodes_from_the_mp4():
    clip = FIXTURE / "MELD.Raw" / "train_splits" / "dia2_utt0.mp4"
    audio, sr = files.read_audio(clip, sr=8000)
    wav, _ = files.read_audio(clip.parent / "waves" / "dia2_utt0.wav")
    assert sr == 8000 and audio.shape[0] == pytest.approx(1600, abs=20)
    n = min(len(audio), len(wav))
    assert np.corrcoef(audio[:n], wav[:n])[0, 1] > 0.95


def test_final_videos_test_clip_is_preferred():
    ds = load()
    path = ds.meta.set_index("id").loc["test_dia0_utt1", "video_path"]
    assert Path(path).name == "final_videos_testdia0_utt1.mp4"


def test_clips_without_csv_row_are_reported():
    with pytest.warns(UserWarning, match="dia7_utt0.mp4"):
        ds = data.load("meld", root=FIXTURE)
    assert ds.skipped == [("train_splits/dia7_utt0.mp4", "no row in train_sent_emo.csv")]


def test_split_option():
    ds = load(split="dev")
    assert len(ds) == 5 and set(ds.meta["split"]) == {"dev"}
    assert len(load(split=["train", "test"])) == 22
    with pytest.raises(ValueError, match="unknown split"):
        load(split="validation")


def test_unpacked_archive_is_explained(copy):
    shutil.rmtree(copy / "dev_splits_complete")
    (copy / "dev.tar.gz").write_bytes(b"")
    with pytest.warns(UserWarning, match="dev.tar.gz is not unpacked"):
        ds = data.load("meld", root=copy.parent, split="dev")
    assert not ds.meta["has_video"].any() and ds[0]["text"]


def test_missing_label_file(copy):
    (copy / "dev_sent_emo.csv").unlink()
    with pytest.raises(data.DatasetFormatError, match="dev_sent_emo.csv"):
        load(copy)
    assert len(load(copy, split="train")) == 16


def test_wrong_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("not MELD")
    with pytest.raises(data.DatasetFormatError, match="train_sent_emo.csv"):
        load(tmp_path)


def test_missing_column(copy):
    path = copy / "train_sent_emo.csv"
    path.write_bytes(path.read_bytes().replace(b"Sentiment", b"Feeling", 1))
    with pytest.raises(data.DatasetFormatError, match=r"train_sent_emo.csv: missing column.*Sentiment"):
        load(copy)


def test_bad_time_and_label_name_the_line(copy):
    path = copy / "train_sent_emo.csv"
    original = path.read_bytes()
    path.write_bytes(original.replace(b"00:16:21,940", b"16:21", 1))
    with pytest.raises(data.DatasetFormatError, match=r"train_sent_emo.csv, line 3: not a time"):
        load(copy)
    path.write_bytes(original.replace(b"surprise,positive", b"amused,positive", 1))
    with pytest.raises(data.DatasetFormatError, match="unknown emotion label.*amused"):
        load(copy)


def test_truncated_csv(copy):
    path = copy / "dev_sent_emo.csv"
    path.write_bytes(path.read_bytes()[:150])  # cut inside a quoted field
    with pytest.raises(data.DatasetFormatError, match="dev_sent_emo.csv"):
        load(copy)


def test_writer_is_deterministic(tmp_path):
    assert_writer_deterministic("meld", tmp_path, compare=BYTES)


def test_registry_and_card():
    info = registry_entry("meld", "open", modalities=("audio", "video", "text"), chapters=("11", "12"))
    assert any(f.filename == "MELD.Raw.tar.gz" for f in info.files)
    card_text("meld", "kirar3", 'classes="liu9"')
