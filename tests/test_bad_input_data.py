"""Malformed input, dataset side: ratings outside a dataset's documented scale, unknown
category labels, truncated audio files, text in numeric CSV columns, missing root folders
and unknown loader options -- each answered by a named error (the file, the row or clip,
the column and the bad value), never by a silent NaN or a short array.

Every case copies a committed fixture (tests/fixtures/<name>) into ``tmp_path`` and breaks
one value in it, in the dataset's real format.
"""

import csv
import io
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
import soundfile

from mer_lessons import data
from mer_lessons.data import core
from mer_lessons.data.errors import DatasetFormatError, DatasetNotAvailableError
from mer_lessons.data.files import check_scale, load_restricted_pickle, numeric_column, read_audio
from mer_lessons.data.loaders import amigos, deam, deap, emodb, emopia, emotify, fourq, iemocap, meld, pmemo, vgmidi
from mer_lessons.validation import UnknownOptionError

from fixture_tools import copy_fixture, fixture_path

DEAM_LEVEL = Path("annotations") / "annotations averaged per song" / "song_level"
DEAM_STATIC = DEAM_LEVEL / "static_annotations_averaged_songs_1_2000.csv"
DEAM_DYNAMIC = Path("annotations") / "annotations averaged per song" / "dynamic (per second annotations)"
PMEMO = Path("PMEmo2019")
IEMOCAP_EVAL = Path("IEMOCAP_full_release/Session1/dialog/EmoEvaluation/Ses01F_impro01.txt")
FOURQ_META = Path("MER_audio_taffc_dataset/panda_dataset_taffc_metadata.csv")
VGMIDI_CSV = Path("vgmidi-master/vgmidi_labelled.csv")


# --------------------------------------------------------------------------- helpers


def load(name, root, **options):
    """``data.load`` with the warnings about skipped files silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load(name, root=root, **options)


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Rewrite data row ``row`` (0 = first after the header) of a CSV, cell ``column``.
    Bytes are kept as they are (read and written as Latin-1)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("latin-1"))))
    names = [name.strip().strip('"') for name in rows[0]]
    rows[row + 1][names.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("latin-1"))


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode("latin-1")
    assert old in text, f"{old!r} not in {path}"
    path.write_bytes(text.replace(old, new, 1).encode("latin-1"))


def rewrite_deap_labels(root: Path, trial: int, column: int, value: float) -> None:
    path = root / "data_preprocessed_python" / "s01.dat"
    content = load_restricted_pickle(path)
    content["labels"][trial, column] = value
    with open(path, "wb") as handle:
        pickle.dump(content, handle, protocol=2)


def rewrite_amigos_rating(root: Path, position: int, value: float) -> None:
    path = root / "Data_Preprocessed_P01" / "Data_Preprocessed_P01.mat"
    content = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    labels = content["labels_selfassessment"]
    cell = np.array(labels[0, 0], dtype=np.float64)
    cell.ravel()[position] = value
    labels[0, 0] = cell
    scipy.io.savemat(path, content, format="5")


def escaped(*parts: str) -> str:
    """A regex matching the parts in this order, anything between."""
    return ".*".join(re.escape(part) for part in parts)


# --------------------------------------------------------------------------- 1. values outside the scale


def _deap_rating(root):
    rewrite_deap_labels(root, trial=1, column=0, value=12.0)
    return "deap", {}, escaped("s01.dat", "'valence'", "trial 2", "12 is outside [1, 9]", "1-9 SAM")


def _deap_familiarity(root):
    set_cell(root / "metadata_csv" / "participant_ratings.csv", 0, "Familiarity", "7")
    return "deap", {}, escaped("participant_ratings.csv", "'Familiarity'", "row 1", "7 is outside [1, 5]")


def _amigos_rating(root):
    rewrite_amigos_rating(root, position=1, value=10.0)          # valence of trial 1
    return "amigos", {}, escaped("Data_Preprocessed_P01.mat", "'valence'", "trial 1", "10 is outside [1, 9]")


def _amigos_emotion(root):
    rewrite_amigos_rating(root, position=7, value=3.0)           # happiness tick of trial 1
    return "amigos", {}, escaped("Data_Preprocessed_P01.mat", "'happiness'", "trial 1", "3 is not one of", "0, 1")


def _deam_static(root):
    set_cell(root / DEAM_STATIC, 0, "valence_mean", "12")
    return "deam", {}, escaped("static_annotations_averaged_songs_1_2000.csv", "'valence_mean'", "song_id 2",
                               "12 is outside [1, 9]")


def _deam_dynamic(root):
    set_cell(root / DEAM_DYNAMIC / "arousal.csv", 1, "sample_15500ms", "1.7")
    return "deam", {}, escaped("arousal.csv", "'sample_15500ms'", "song_id 3", "1.7 is outside [-1, 1]")


def _pmemo_static(root):
    set_cell(root / PMEMO / "annotations" / "static_annotations.csv", 1, "Valence(mean)", "1.5")
    return "pmemo", {}, escaped("static_annotations.csv", "'Valence(mean)'", "musicId 4", "1.5 is outside [0, 1]")


def _pmemo_dynamic(root):
    set_cell(root / PMEMO / "annotations" / "dynamic_annotations.csv", 1, "Arousal(mean)", "-0.2")
    return "pmemo", {}, escaped("dynamic_annotations.csv", "'Arousal(mean)'", "row 2", "-0.2 is outside [0, 1]")


def _emotify_gems(root):
    set_cell(root / "data.csv", 0, "calmness", " 2")
    return "emotify", {}, escaped("data.csv, line 2", "'calmness' must be 0 or 1", "'2'")


def _iemocap_valence(root):
    replace_text(root / IEMOCAP_EVAL, "[2.5000, 2.5000, 2.5000]", "[7.0000, 2.5000, 2.5000]")
    return "iemocap", {}, escaped("Ses01F_impro01.txt line 3", "Ses01F_impro01_F000", "valence 7.0000",
                                  "outside [1, 5]")


def _iemocap_code(root):
    replace_text(root / IEMOCAP_EVAL, "Ses01F_impro01_F000\tneu", "Ses01F_impro01_F000\tzzz")
    return "iemocap", {}, escaped("Ses01F_impro01.txt line 3", "emotion code 'zzz' is not one of")


def _meld_emotion(root):
    set_cell(root / "MELD.Raw" / "train_sent_emo.csv", 1, "Emotion", "amused")
    return "meld", {}, escaped("train_sent_emo.csv", "'Emotion'", "line 3", "'amused' is not one of", "joy")


def _meld_sentiment(root):
    set_cell(root / "MELD.Raw" / "dev_sent_emo.csv", 0, "Sentiment", "meh")
    return "meld", {}, escaped("dev_sent_emo.csv", "'Sentiment'", "line 2", "'meh' is not one of", "positive")


def _emopia_quadrant(root):
    set_cell(root / "EMOPIA_2.2" / "label.csv", 0, "4Q", "5")
    return "emopia", {}, escaped("label.csv, line 2", "4Q must be 1-4", "'5'", "Q1__8v0MFBZoco_0")


def _fourq_quadrant(root):
    set_cell(root / FOURQ_META, 0, "Quadrant", "Q5")
    return "4q", {}, escaped("panda_dataset_taffc_metadata.csv, line 2", "quadrant 'Q5' is not one of")


def _vgmidi_valence(root):
    set_cell(root / VGMIDI_CSV, 0, "valence", "2")
    return "vgmidi", {}, escaped("vgmidi_labelled.csv", "'valence' must be -1 or 1", "lines [2]", "[2]")


def _ravdess_emotion(root):
    wav = root / "Actor_01" / "03-01-05-02-02-01-01.wav"
    wav.rename(wav.with_name("03-01-09-02-02-01-01.wav"))
    return "ravdess", {}, escaped("03-01-09-02-02-01-01.wav", "emotion 09 is not 01-08")


def _emodb_emotion(root):
    wav = root / "wav" / "03a01Fa.wav"
    wav.rename(wav.with_name("03a01Xa.wav"))
    return "emodb", {}, escaped("03a01Xa.wav", "emotion letter X is not one of")


def _emodb_recognition(root):
    replace_text(root / "erkennung.txt", "73,9", "173,9")
    return "emodb", {}, escaped("erkennung.txt line 2", "'erkannt' 173,9 is outside [0, 100]")


OUT_OF_SCALE = [_deap_rating, _deap_familiarity, _amigos_rating, _amigos_emotion, _deam_static, _deam_dynamic,
                _pmemo_static, _pmemo_dynamic, _emotify_gems, _iemocap_valence, _iemocap_code, _meld_emotion,
                _meld_sentiment, _emopia_quadrant, _fourq_quadrant, _vgmidi_valence, _ravdess_emotion,
                _emodb_emotion, _emodb_recognition]

def _broken_copy(case, tmp_path):
    name = case.__name__.split("_")[1].replace("fourq", "4q")
    root = copy_fixture(name, tmp_path)
    amigos._cached_trials.cache_clear()
    return case(root) + (root,)


@pytest.mark.parametrize("case", OUT_OF_SCALE, ids=lambda case: case.__name__.strip("_"))
def test_a_value_outside_the_documented_scale_is_named(case, tmp_path):
    name, options, match, root = _broken_copy(case, tmp_path)
    with pytest.raises(DatasetFormatError, match=match):
        load(name, root, **options)


def test_scale_constants_sit_next_to_the_loaders():
    assert deap.RATING_SCALE == amigos.RATING_SCALE == deam.STATIC_RANGE == (1.0, 9.0)
    assert deam.DYNAMIC_RANGE == (-1.0, 1.0) and pmemo.SOURCE_RANGE == (0.0, 1.0)
    assert iemocap.RATING_SCALE == (1.0, 5.0) and deap.FAMILIARITY_SCALE == (1.0, 5.0)
    assert vgmidi.SIGN_SCALE == (-1, 1) and emotify.ANSWER_SCALE == (0, 1) and amigos.EMOTION_VALUES == (0.0, 1.0)
    assert emopia.QUADRANT_CODES == ("1", "2", "3", "4") and fourq.QUADRANTS == ("Q1", "Q2", "Q3", "Q4")
    assert meld.EMOTIONS[:2] == ("neutral", "joy") and emodb.RECOGNITION_SCALE == (0.0, 100.0)


def test_values_on_the_ends_of_the_scale_are_kept(tmp_path):
    root = copy_fixture("deam", tmp_path)
    set_cell(root / DEAM_STATIC, 0, "valence_mean", "9")
    set_cell(root / DEAM_DYNAMIC / "arousal.csv", 1, "sample_15500ms", "-1")
    meta = load("deam", root).meta.set_index("song_id")
    assert meta.loc[2, "valence_mean"] == 9.0


# --------------------------------------------------------------------------- 2. truncated audio


def _truncated_wav(path: Path, seconds: float = 0.5, sr: int = 16000, cut: int = 4000) -> int:
    """Write a valid 16-bit WAV of ``seconds`` to ``path``, then cut ``cut`` bytes off its
    end (the header is kept); returns the frames the header announces."""
    frames = int(seconds * sr)
    audio = 0.1 * np.sin(2 * np.pi * 440 * np.arange(frames) / sr)
    soundfile.write(path, audio, sr, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:-cut])
    return frames


def test_read_audio_refuses_a_truncated_wav(tmp_path):
    path = tmp_path / "cut.wav"
    frames = _truncated_wav(path)
    with pytest.raises(DatasetFormatError, match=escaped(str(path), "file truncated: header says 8000 frames, "
                                                         "read 6000")):
        read_audio(path)
    assert frames == 8000


def test_read_audio_keeps_a_complete_wav(tmp_path):
    path = tmp_path / "whole.wav"
    soundfile.write(path, np.zeros(8000), 16000, subtype="PCM_16")
    audio, sr = read_audio(path)
    assert audio.shape == (8000,) and sr == 16000


TRUNCATED_IN_LOADERS = [
    ("ravdess", "Actor_01/03-01-05-02-02-01-01.wav", "03-01-05-02-02-01-01"),
    ("emodb", "wav/03a01Fa.wav", "03a01Fa"),
    ("iemocap", "IEMOCAP_full_release/Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F000.wav",
     "Ses02M_script01_1_F000"),
]


@pytest.mark.parametrize("name, relative, item_id", TRUNCATED_IN_LOADERS, ids=[t[0] for t in TRUNCATED_IN_LOADERS])
def test_a_loader_item_with_a_truncated_wav_is_named(name, relative, item_id, tmp_path):
    root = copy_fixture(name, tmp_path)
    _truncated_wav(root / relative)
    ds = load(name, root)
    index = ds.meta.index[ds.meta["id"] == item_id][0]
    with pytest.raises(DatasetFormatError, match=escaped(Path(relative).name, "file truncated: header says 8000 "
                                                         "frames, read 6000")):
        ds[int(index)]
    assert [bad for bad, _ in ds.validate()] == [item_id]


# --------------------------------------------------------------------------- 3. text in numeric columns


def _deap_familiarity_text(root):
    set_cell(root / "metadata_csv" / "participant_ratings.csv", 1, "Familiarity", "often")
    return "deap", escaped("participant_ratings.csv", "'Familiarity'", "row 2", "'often' is not a number")


def _deap_trial_text(root):
    set_cell(root / "metadata_csv" / "participant_ratings.csv", 0, "Trial", "first")
    return "deap", escaped("participant_ratings.csv", "'Trial'", "row 1", "'first' is not a number")


def _deam_std_text(root):
    set_cell(root / DEAM_STATIC, 1, "arousal_std", "abc")
    return "deam", escaped("static_annotations_averaged_songs_1_2000.csv", "'arousal_std'", "row 2",
                           "'abc' is not a number")


def _deam_dynamic_text(root):
    set_cell(root / DEAM_DYNAMIC / "valence.csv", 0, "sample_16000ms", "zero")
    return "deam", escaped("valence.csv", "'sample_16000ms'", "song_id 2", "'zero' is not a number")


def _pmemo_std_text(root):
    set_cell(root / PMEMO / "annotations" / "static_annotations_std.csv", 0, "Valence(std)", "high")
    return "pmemo", escaped("static_annotations_std.csv", "'Valence(std)'", "row 1", "'high' is not a number")


def _pmemo_static_text(root):
    set_cell(root / PMEMO / "annotations" / "static_annotations.csv", 0, "Arousal(mean)", "calm")
    return "pmemo", escaped("static_annotations.csv", "'Arousal(mean)'", "row 1", "'calm' is not a number")


def _emotify_age_text(root):
    set_cell(root / "data.csv", 2, "age", " old")
    return "emotify", escaped("data.csv", "'age'", "line 4", "'old' is not a number")


def _fourq_pquad_text(root):
    set_cell(root / FOURQ_META, 1, "PQuad", "high")
    return "4q", escaped("panda_dataset_taffc_metadata.csv", "'PQuad'", "line 3", "'high' is not a number")


def _fourq_moods_text(root):
    set_cell(root / FOURQ_META, 0, "MoodsTotal", "ten")
    return "4q", escaped("panda_dataset_taffc_metadata.csv", "'MoodsTotal'", "line 2", "'ten' is not a number")


def _meld_season_text(root):
    set_cell(root / "MELD.Raw" / "train_sent_emo.csv", 0, "Season", "eight")
    return "meld", escaped("train_sent_emo.csv", "'Season'", "line 2", "'eight' is not a number")


def _vgmidi_arousal_text(root):
    set_cell(root / VGMIDI_CSV, 1, "arousal", "up")
    return "vgmidi", escaped("vgmidi_labelled.csv", "'arousal'", "line 3", "'up' is not a number")


def _iemocap_dominance_text(root):
    replace_text(root / IEMOCAP_EVAL, "[2.5000, 2.5000, 2.5000]", "[2.5000, 2.5000, 2.5.00]")
    return "iemocap", escaped("Ses01F_impro01.txt line 3", "Ses01F_impro01_F000", "dominance '2.5.00' is not a number")


TEXT_IN_NUMBERS = [_deap_familiarity_text, _deap_trial_text, _deam_std_text, _deam_dynamic_text, _pmemo_std_text,
                   _pmemo_static_text, _emotify_age_text, _fourq_pquad_text, _fourq_moods_text, _meld_season_text,
                   _vgmidi_arousal_text, _iemocap_dominance_text]


@pytest.mark.parametrize("case", TEXT_IN_NUMBERS, ids=lambda case: case.__name__.strip("_"))
def test_text_in_a_numeric_column_is_named(case, tmp_path):
    name = case.__name__.split("_")[1].replace("fourq", "4q")
    root = copy_fixture(name, tmp_path)
    _, match = case(root)
    with pytest.raises(DatasetFormatError, match=match):
        load(name, root)


def test_text_in_an_eda_file_is_named_when_the_item_is_read(tmp_path):
    root = copy_fixture("pmemo", tmp_path)
    set_cell(root / PMEMO / "EDA" / "1_EDA.csv", 1, "100081", "n.a.")
    ds = load("pmemo", root)
    with pytest.raises(DatasetFormatError, match=escaped("1_EDA.csv", "'100081'", "row 2", "'n.a.' is not a number")):
        ds[0]


def test_documented_missing_values_stay_nan(tmp_path):
    # DEAP: familiarity is empty for some participants (the fixture's s02) -> NaN
    meta = load("deap", copy_fixture("deap", tmp_path / "a")).meta.set_index("id")
    assert np.isnan(meta.loc["s02_t01", "familiarity"]) and meta.loc["s01_t01", "familiarity"] == 3.0
    # Emotify: an empty age cell -> NaN
    root = copy_fixture("emotify", tmp_path / "b")
    set_cell(root / "data.csv", 2, "age", "")
    ratings = load("emotify", root).ratings
    assert np.isnan(ratings["age"].iloc[2]) and ratings["age"].iloc[0] == 27
    # DEAM: an empty std cell -> NaN; the dynamic files' trailing empty cells are trimmed
    root = copy_fixture("deam", tmp_path / "c")
    set_cell(root / DEAM_STATIC, 0, "valence_std", "")
    meta = load("deam", root).meta.set_index("song_id")
    assert np.isnan(meta.loc[2, "valence_std"]) and meta.loc[3, "valence_std"] == 1.75


def test_numeric_column_reads_missing_cells_and_refuses_text():
    table = pd.DataFrame({"x": ["1", "", " 2.5", "NA", "x"]})
    head = numeric_column(table.iloc[:3], "x", "t.csv")
    assert np.isnan(head.iloc[1]) and head.iloc[2] == 2.5
    assert np.isnan(numeric_column(table.iloc[:4], "x", "t.csv", missing=("", "NA")).iloc[3])
    with pytest.raises(DatasetFormatError, match=r"^toy: t\.csv: column 'x', row 4: 'NA' is not a number$"):
        numeric_column(table, "x", "t.csv", dataset="toy")
    with pytest.raises(DatasetFormatError, match=r"column 'x', row 2: '' is missing"):
        numeric_column(table, "x", "t.csv", allow_missing=False)
    with pytest.raises(DatasetFormatError, match=r"column 'X', clip c: ' 2.5' is not a whole number"):
        numeric_column(table.iloc[:3], "x", "t.csv", integer=True, ids=["a", "b", "c"], id_name="clip", name="X")


def test_check_scale_names_the_first_value_outside():
    check_scale([1.0, np.nan, 9.0], (1, 9), "r.csv", "valence")
    with pytest.raises(DatasetFormatError, match=r"^r\.csv: column 'valence', song_id 7: 9\.5 is outside \[1, 9\]"):
        check_scale([1.0, 9.5, 0.0], (1, 9), "r.csv", "valence", ids=[3, 7, 8], id_name="song_id")


# --------------------------------------------------------------------------- 4. roots and options


ALL_LOADERS = ["amigos", "deam", "deap", "emodb", "emopia", "emotify", "4q", "iemocap", "meld", "pmemo", "ravdess",
               "vgmidi"]


@pytest.mark.parametrize("name", ALL_LOADERS)
def test_a_root_that_does_not_exist_is_named(name, tmp_path):
    missing = tmp_path / "not_there"
    with pytest.raises(DatasetNotAvailableError, match=escaped(name, str(missing), "does not exist")):
        core._loader(name)(root=missing)
    with pytest.raises(DatasetNotAvailableError, match=escaped(str(missing))):
        data.load(name, root=missing)


def test_a_root_that_is_a_file_is_named(tmp_path):
    path = tmp_path / "emodb.zip"
    path.write_bytes(b"PK")
    with pytest.raises(DatasetFormatError, match=escaped(str(path), "is a file")):
        core._loader("emodb")(root=path)


WRONG_OPTIONS = [
    ("emopia", {"split": "validation"}, "unknown split(s) ['validation']"),
    ("emopia", {"quadrants": "Q5"}, "unknown quadrant(s) ['Q5']"),
    ("emotify", {"genres": ["jazz"]}, "unknown genre(s) ['jazz']"),
    ("4q", {"quadrants": 5}, "unknown quadrant(s) [5]"),
    ("meld", {"split": "valid"}, "unknown split(s) ['valid']"),
    ("meld", {"classes": "kirar4"}, "classes must be one of None, 'kirar3', 'liu9', got 'kirar4'"),
    ("deap", {"baseline": "drop"}, "baseline must be one of 'remove', 'keep', 'subtract', got 'drop'"),
    ("deap", {"modalities": ("ecg",)}, "modalities must be among"),
    ("ravdess", {"vocal_channels": "singing"}, "vocal_channels must be among"),
]


@pytest.mark.parametrize("name, options, match", WRONG_OPTIONS,
                         ids=[f"{n}-{next(iter(o))}" for n, o, _ in WRONG_OPTIONS])
def test_a_wrong_option_is_an_unknown_option(name, options, match):
    with pytest.raises(UnknownOptionError, match=escaped(name, match)):
        load(name, fixture_path(name), **options)


def test_ravdess_vocal_channels_may_be_one_name():
    ds = load("ravdess", fixture_path("ravdess"), vocal_channels="song")
    assert set(ds.meta["vocal_channel"]) == {"song"}
