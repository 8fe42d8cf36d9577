"""Chord2Vec (Zhao et al.): chord segmentation by beat, chord symbols, skip-gram vectors."""

import numpy as np
import pandas as pd
import pytest

from mer_lessons import chords
from mer_lessons.papers import zhao
from mer_lessons.validation import EmptyInputError, InputError, OutOfRangeError, UnknownOptionError, WrongShapeError

# --------------------------------------------------------------------------- segmentation (Eq. 1)


def n_chords(notes, tempo, beats=4, **kwargs):
    return len(chords.segment_chords(notes, tempo, beats, **kwargs))


def test_an_interval_of_exactly_one_beat_splits_and_a_shorter_one_does_not():
    # 120 bpm: one beat is 0.5 s
    assert n_chords([(0.0, 0.2, 60), (0.5, 0.7, 64)], 120) == 2
    assert n_chords([(0.0, 0.2, 60), (0.49, 0.7, 64)], 120) == 1
    # silence rule: the rest after the last end counts
    assert n_chords([(0.0, 0.25, 60), (0.75, 0.9, 64)], 120, rule="silence") == 2
    assert n_chords([(0.0, 0.25, 60), (0.74, 0.9, 64)], 120, rule="silence") == 1


def test_overlapping_and_simultaneous_notes_form_one_chord():
    arpeggio = [(0.0, 2.0, 60), (0.1, 2.0, 64), (0.2, 2.0, 67)]
    table = chords.segment_chords(arpeggio, 120)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["pitches"] == (60, 64, 67) and row["pitch_classes"] == (0, 4, 7)
    assert row["token"] == "C:maj" and row["start"] == 0.0 and row["end"] == 2.0 and row["n_notes"] == 3
    # a note held over the next onset a beat later: the onset rule splits, the silence rule does not
    held = [(0.0, 2.0, 60), (0.0, 2.0, 64), (0.5, 1.0, 67)]
    assert n_chords(held, 120, rule="onset") == 2
    assert n_chords(held, 120, rule="silence") == 1


def test_order_of_the_input_rows_does_not_matter_and_columns_onset_duration_work():
    rows = [(0.6, 0.7, 67), (0.0, 0.2, 60), (0.1, 0.3, 64)]
    a = chords.segment_chords(rows, 120)
    frame = pd.DataFrame({"onset": [0.0, 0.1, 0.6], "duration": [0.2, 0.2, 0.2], "pitch": [60, 64, 67]})
    b = chords.segment_chords(frame, 120)
    assert list(a["notes"]) == list(b["notes"]) == [(60, 64), (67,)]


def test_tempo_changes_the_segmentation_as_eq1_says():
    notes = [(0.0, 0.1, 60), (0.6, 0.7, 62)]  # 0.6 s apart
    assert n_chords(notes, 120) == 2  # beat 0.5 s
    assert n_chords(notes, 100) == 2  # beat exactly 0.6 s
    assert n_chords(notes, 90) == 1   # beat 0.667 s


def test_metre_sets_the_measure_length_and_the_barlines():
    eighths = [(0.5 * i, 0.5 * i + 0.4, 60 + i) for i in range(16)]  # 60 bpm: beat 1 s, measure X s
    for beats, expected in [(2, [0, 2, 4, 6]), (3, [0, 3, 6]), (4, [0, 4])]:
        table = chords.segment_chords(eighths, 60, beats, split_at_measures=True)
        assert table["start"].tolist() == expected
        assert table["measure"].tolist() == list(range(len(expected)))
        # without barline splits, intervals of half a beat never split, whatever the metre
        assert n_chords(eighths, 60, beats) == 1


def canon(beats_per_measure, measure_s=2.0):
    row = zhao.TABLE1.set_index("Music Name").loc["Canon"]
    names = [n.strip() for n in row["Note Combination"].split(",")]
    intervals = [float(x) for x in row["Note Intervals"].split(",")]
    notes = chords.notes_from_intervals(names, intervals, measure_s=measure_s)
    # Table I's intervals are in measures; Table II keeps the measure and divides it into X
    # beats, so by Eq. 1 the tempo is B = 60 X / Y
    return chords.segment_chords(notes, 60 * beats_per_measure / measure_s, beats_per_measure)


@pytest.mark.parametrize("row", range(len(zhao.TABLE2)))
def test_table2_segmentation_of_the_canon_is_reproduced(row):
    metre, printed = zhao.TABLE2.iloc[row]
    beats = int(metre.split("/")[0])
    printed = printed.replace("F#4", "F#5")  # Table II's 4/4 row misprints F#5 (Tables I and the other rows)
    expected = [chunk.split() for chunk in printed.split("/")]
    got = [chunk.split() for chunk in chords.format_segmentation(canon(beats)).split("/")]
    assert got == expected


def test_the_canon_splits_differ_by_metre_but_not_by_measure_length():
    sizes = {beats: canon(beats)["n_notes"].tolist() for beats in (2, 3, 4, 6)}
    assert sizes == {2: [9, 2], 3: [9, 2], 4: [6, 3, 2], 6: [1, 5, 3, 2]}
    assert canon(4, measure_s=3.1)["n_notes"].tolist() == sizes[4]


def test_note_numbers_and_empty_input():
    assert [chords.note_number(n) for n in ("C4", "F#5", "Bb3", "A0", 64)] == [60, 78, 58, 21, 64]
    assert chords.segment_chords(np.zeros((0, 3)), 120).empty


# --------------------------------------------------------------------------- chord symbols


@pytest.mark.parametrize("pitches", [[60, 64, 67], [64, 67, 72], [55, 60, 76], [48, 52, 55, 60, 64, 79]])
def test_c_e_g_is_c_major_in_any_inversion_and_octave(pitches):
    assert chords.chord_token(pitches) == "C:maj"


@pytest.mark.parametrize("names", [["G3", "B3", "D4", "F4"], ["B2", "F4", "G4", "D5"], ["F2", "G3", "B3", "D5"],
                                   ["D3", "G3", "B4", "F5"]])
def test_g_b_d_f_is_g_dominant_seventh_in_any_inversion(names):
    assert chords.chord_token(names) == "G:7"
    assert chords.chord_token([chords.note_number(n) for n in names]) == "G:7"


def test_other_qualities_and_fallbacks():
    assert chords.chord_token([57, 60, 64]) == "A:min"
    assert chords.chord_token([59, 62, 65]) == "B:dim"
    assert chords.chord_token([62]) == "D:1"
    assert chords.chord_token([]) == "N"
    assert chords.chord_token([60, 62, 67]) == "X"
    assert chords.chord_token([67, 60, 62], fallback="pcset") == "{C,D,G}"
    assert chords.chord_token([64, 68, 72]) == "E:aug"  # symmetric set: the bass names the root
    assert chords.chord_token([60, 64, 68]) == "C:aug"


# --------------------------------------------------------------------------- Chord2Vec

CORPUS = [["C:maj", "F:maj", "G:7", "C:maj", "A:min", "D:min", "G:7", "C:maj"]] * 6 + [["A:min", "E:7", "A:min"]] * 3


def test_training_is_deterministic_for_a_seed():
    a = chords.train_chord2vec(CORPUS, vector_size=8, epochs=5, seed=3)
    b = chords.train_chord2vec(CORPUS, vector_size=8, epochs=5, seed=3)
    c = chords.train_chord2vec(CORPUS, vector_size=8, epochs=5, seed=4)
    assert a.sg == 1 and a.wv.vector_size == 8
    assert a.wv.index_to_key == b.wv.index_to_key
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    assert not np.allclose(a.wv.vectors, c.wv.vectors)


def test_min_count_drops_rare_tokens():
    corpus = CORPUS + [["Eb:maj", "Bb:7", "Eb:maj"]]
    default = chords.train_chord2vec(corpus, vector_size=4, epochs=1)
    assert "Eb:maj" not in default.wv.key_to_index and "E:7" not in default.wv.key_to_index  # 2 and 3 < 5
    assert "G:7" in default.wv.key_to_index
    low = chords.train_chord2vec(corpus, vector_size=4, epochs=1, min_count=2)
    assert "Eb:maj" in low.wv.key_to_index and "Bb:7" not in low.wv.key_to_index
    with pytest.raises(EmptyInputError, match="min_count"):
        chords.train_chord2vec([["C:maj", "G:7"]], min_count=5)


def test_piece_vector_is_the_sum_of_the_chord_vectors():
    model = chords.train_chord2vec(CORPUS, vector_size=6, epochs=2)
    wv = model.wv
    piece = ["C:maj", "G:7", "C:maj", "never-seen"]
    expected = wv["C:maj"].astype(np.float64) * 2 + wv["G:7"]
    got = chords.piece_vector(model, piece)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_array_equal(chords.piece_vector(model, ["never-seen"]), np.zeros(6))
    matrix = chords.piece_vectors(model, [piece, ["never-seen"], ["G:7"]])
    assert matrix.shape == (3, 6)
    np.testing.assert_allclose(matrix[0], expected, rtol=1e-6)
    np.testing.assert_allclose(matrix[2], wv["G:7"], rtol=1e-6)


def test_nearest_chords_and_projection():
    model = chords.train_chord2vec(CORPUS, vector_size=6, epochs=2)
    near = chords.nearest_chords(model, "G:7", k=3)
    assert list(near.columns) == ["token", "cosine"] and len(near) == 3
    assert "G:7" not in near["token"].tolist() and near["cosine"].is_monotonic_decreasing
    xy = chords.project_2d(model)
    assert xy["token"].tolist() == model.wv.index_to_key and list(xy.columns) == ["token", "x", "y"]
    np.testing.assert_allclose(xy[["x", "y"]].mean(), 0, atol=1e-6)
    pd.testing.assert_frame_equal(xy, chords.project_2d(model))
    with pytest.raises(UnknownOptionError, match="token"):
        chords.nearest_chords(model, "Q:maj")


# --------------------------------------------------------------------------- relatedness


def test_dominant_tonic_pairs_transposes_and_keeps_pairs_in_the_vocabulary():
    vocabulary = ["G:7", "C:maj", "D:7", "A:min", "E:maj", "F:maj", "C:7", "X"]
    assert chords.dominant_tonic_pairs(vocabulary) == [("G:7", "C:maj"), ("C:7", "F:maj"), ("C:maj", "F:maj"),
                                                       ("E:maj", "A:min")]
    assert chords.dominant_tonic_pairs(vocabulary, dominants=("7",), tonics=("maj",)) == [
        ("G:7", "C:maj"), ("C:7", "F:maj")]
    everything = [f"{r}:{q}" for r in chords.PITCH_CLASS_NAMES for q in ("maj", "min", "7")]
    pairs = chords.dominant_tonic_pairs(everything)
    assert len(pairs) == 12 * 2 * 2
    assert ("C#:7", "F#:min") in pairs and ("Bb:maj", "Eb:maj") in pairs and ("F#:7", "B:maj") in pairs


def test_relatedness_is_positive_when_dominants_always_resolve():
    # one key per piece; V7 is always followed by I, the other chords wander (I, IV, ii, vi, V7).
    # Skip-gram makes chords with the same neighbours similar: V7 and I share their key's chords.
    rng = np.random.default_rng(0)
    names = chords.PITCH_CLASS_NAMES
    corpus = []
    for tonic in range(12):
        degrees = {"I": f"{names[tonic]}:maj", "IV": f"{names[(tonic + 5) % 12]}:maj",
                   "ii": f"{names[(tonic + 2) % 12]}:min", "vi": f"{names[(tonic + 9) % 12]}:min",
                   "V7": f"{names[(tonic + 7) % 12]}:7"}
        for _ in range(3):
            seq = ["I"]
            while len(seq) < 24:
                seq.append("I" if seq[-1] == "V7" else str(rng.choice(["IV", "ii", "vi", "V7"])))
            corpus.append([degrees[d] for d in seq])
    model = chords.train_chord2vec(corpus, vector_size=16, window=2)
    pairs = chords.dominant_tonic_pairs(model, dominants=("7",), tonics=("maj",))
    assert len(pairs) == 12
    for control in ("vocabulary", "matched"):
        result = chords.relatedness_test(model, pairs + [("G:7", "nowhere")], n_random=300, n_boot=300,
                                         control=control)
        assert result["n_related"] == 12 and result["dropped"] == 1
        assert result["difference"] == pytest.approx(result["related_mean"] - result["random_mean"])
        assert result["low"] <= result["difference"] <= result["high"]
        assert result["low"] > 0.2
    # the same chords in a random order: no key, no resolution, no relatedness
    tokens = rng.permutation([t for seq in corpus for t in seq]).tolist()
    shuffled = chords.train_chord2vec([tokens[i:i + 24] for i in range(0, len(tokens), 24)], vector_size=16)
    result = chords.relatedness_test(shuffled, pairs, n_random=300, n_boot=300)
    assert abs(result["difference"]) < 0.1


# --------------------------------------------------------------------------- corpora


def test_chord_sequences_from_midi_reads_the_tempo_from_the_file(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    midi = pretty_midi.PrettyMIDI(initial_tempo=100)  # beat 0.6 s
    piano = pretty_midi.Instrument(program=0)
    for start, pitches in [(0.0, (60, 64, 67)), (0.6, (55, 59, 62, 65)), (1.2, (48, 60, 64, 67))]:
        for p in pitches:
            piano.notes.append(pretty_midi.Note(velocity=80, pitch=p, start=start, end=start + 0.55))
    midi.instruments.append(piano)
    path = tmp_path / "cadence.mid"
    midi.write(str(path))
    table = chords.chord_sequences_from_midi([path])
    assert table.loc[0, "id"] == "cadence" and table.loc[0, "tempo"] == pytest.approx(100)
    assert table.loc[0, "tokens"] == ["C:maj", "G:7", "C:maj"]
    # at 90 bpm a beat is 0.667 s: the three chords run together
    assert chords.chord_sequences_from_midi([path], 90).loc[0, "tokens"] == ["X"]
    notes = pd.DataFrame({"onset": [0.0, 0.0, 0.0], "duration": [1.0] * 3, "pitch": [57, 60, 64]})
    assert chords.chord_sequences_from_midi([notes], 120).loc[0, "tokens"] == ["A:min"]
    with pytest.raises(InputError, match="tempo_bpm"):
        chords.chord_sequences_from_midi([notes])


def test_chord_sequences_from_two_chorales(data_home):
    pytest.importorskip("music21")
    from mer_lessons.data import load

    ds = load("chorales", n_pieces=2, engine="additive", verbose=False)  # about 1 s
    table = chords.chord_sequences_from_chorales(ds)
    assert table["id"].tolist() == ds.meta["id"].tolist()
    assert set(table.columns) >= {"id", "mode", "tempo", "tokens"}
    for tokens in table["tokens"]:
        assert len(tokens) > 10 and all(a != b for a, b in zip(tokens, tokens[1:]))  # repeats merged
        assert sum(":maj" in t or ":min" in t for t in tokens) > len(tokens) / 2
    by_notes = chords.chord_sequences_from_chorales(ds, source="notes")
    assert (by_notes["n_chords"] > 0).all()


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_input_errors_naming_the_argument():
    notes = [(0.0, 0.5, 60)]
    with pytest.raises(OutOfRangeError, match="tempo_bpm"):
        chords.segment_chords(notes, -120)
    with pytest.raises(OutOfRangeError, match="beats_per_measure"):
        chords.segment_chords(notes, 120, 0)
    with pytest.raises(OutOfRangeError, match="notes.*end >= start"):
        chords.segment_chords([(1.0, 0.5, 60)], 120)
    with pytest.raises(WrongShapeError, match="notes.*columns"):
        chords.segment_chords(pd.DataFrame({"time": [0.0], "note": [60]}), 120)
    with pytest.raises(WrongShapeError, match="notes"):
        chords.segment_chords([(0.0, 60)], 120)
    with pytest.raises(OutOfRangeError, match="notes"):
        chords.segment_chords([(0.0, 0.5, 200)], 120)
    with pytest.raises(InputError, match="rule"):
        chords.segment_chords(notes, 120, rule="gap")
    with pytest.raises(InputError, match="sequences"):
        chords.train_chord2vec(["C:maj G:7 C:maj"])
    with pytest.raises(InputError, match="pitches"):
        chords.chord_token("CEG")
    with pytest.raises(InputError, match="name"):
        chords.note_number("H4")


def test_unreadable_midi_is_skipped_only_when_asked(tmp_path):
    good = tmp_path / "good.mid"
    import pretty_midi
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(program=0)
    piano.notes += [pretty_midi.Note(velocity=80, pitch=p, start=0.0, end=0.5) for p in (60, 64, 67)]
    pm.instruments.append(piano)
    pm.write(str(good))
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00")
    with pytest.raises(ValueError, match="bad.mid"):
        chords.chord_sequences_from_midi([good, bad])
    with pytest.warns(UserWarning, match="bad.mid"):
        table = chords.chord_sequences_from_midi([good, bad], errors="skip", ids=["g", "b"])
    assert table["id"].tolist() == ["g"] and table["tokens"].iloc[0] == ["C:maj"]
