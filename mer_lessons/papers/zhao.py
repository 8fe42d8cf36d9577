"""Zhao, Jin and Guo: music emotion recognition with MultiSpec-DNN, Chord2Vec and a Broad Learning System.

What the paper proposes: chords are cut from MIDI notes by beat (Eq. 1: a measure lasts
60/B * X seconds; a gap of at least one beat starts a new chord) and embedded with a
skip-gram model (Chord2Vec, Eq. 2-4). MultiSpec-DNN reads a wideband (~3 ms window) and a
narrowband (~25 ms) spectrogram with one convolution each, concatenates them, applies four
3x3 convolutions (32, 48, 64, 80 filters) each followed by CBAM attention (Eq. 5-6), a
BLSTM (128 per direction) and two fully connected layers. The experiments instead feed
gammatone (GTF) and MFCC-with-residual-phase (MF_RP) features through two CNN "filter
channels", a BLSTM, the chord vectors, and Broad Learning System (BLS) enhancement nodes.

Tables, typed in from the paper:

* :data:`TABLE1`: notes and note intervals of four pieces (1:10-1:13).
* :data:`TABLE2`: chord segmentation of three seconds of Pachelbel's Canon under four metres.
* :data:`TABLE3`: feature sizes (pieces x dimensions x frames).
* :data:`TABLE4`, :data:`TABLE5`, :data:`TABLE6`: CNN filter-channel architectures on EMA,
  Emotion and 4Q-emotion with training and testing accuracy. Each channel is written
  "repetitions, feature maps, kernel size, pooling size", kept as the printed string.
* :data:`TABLE7`, :data:`TABLE8`, :data:`TABLE9`: accuracy, precision, recall, F1 and
  training time (s) of MCCLSTM, MCCBL, RCNNLSTM, RCNNBL, LSTM_BLS and MULTISPEC-DNN on EMA,
  Emotion and 4Q. Table VII's header reads "Traning time(s)"; all three use
  "Training time (s)" here.

Citation: the text gives the authors (family name first, as printed: Zhao Hanbing, Jin Xin,
Guo Jinfeng) and the title. The journal, year, volume, pages and a DOI or URL are **not
printed** in the text and stay ``None``.

What does not add up in the paper:

* Sec. V.B.2 quotes 61.8 % on EMA and 63.8 % on Emotion; Tables VII-VIII print 0.624 and
  0.647. The quoted margins fit neither: EMA "+7.6 over MCCLSTM, +4.4 over RCNNBL, +1.5
  over LSTM_BLS" against 6.7, 4.3 and 1.4 from Table VII (7.6 is the margin over MCCBL);
  Emotion "+4.6, +2.4, +5" against 5.6, 5.8 and 0.6 from Table VIII.
* The abstract and conclusion report EmoDB (91.24 %) and IEMOCAP (71.88 %) results; the
  experiments use EMA, Emotion and 4Q, and no table has EmoDB or IEMOCAP.
* 4Q-emotion has 1,472 pieces (442 + 296 + 438 + 296) but the discussion blames "1286
  pieces" for overfitting; Table III and Sec. V.A process 3,895 pieces, which matches
  none of the datasets (4,412, 2,978, 1,472).
* Clip length: the first 25 s (Emotion), 30 s (4Q), then "the first 50 seconds of each
  song"; Table III's 44100 x 60 suggests 60 s at 44.1 kHz.
* Chord vectors are set to 500 dimensions and then summed into a 1 x 256 vector.
* The split is 9:1 train/test, then train/validation/test with ten-fold cross-validation.
* Table II's 4/4 row has F#4 where Table I and the other rows have F#5.
* The final filter channels described in Sec. V.A (GTF: 3 maps, 2x2 filters, 2x2 pooling,
  twice; MF_RP: 6 maps, 3x3, 2x2, three times) match no row of Tables IV-VI.
* F1 is the harmonic mean of the printed precision and recall in every row but two of
  Table VIII (MCCLSTM 0.596 vs 0.594; MULTISPEC-DNN 0.648 vs 0.647).
* The wideband and narrowband spectrograms are labelled the wrong way round
  ("wideband spectrogram (Narrow Band Spectrum)"), and two passages are leftover chatbot
  replies ("it seems that you are discussing ...").

Taught in ``09_zhao_multispec_cbam_bls``.
"""
from __future__ import annotations

import pandas as pd

from mer_lessons.papers.base import Citation, Claim

KEY = "zhao"

CITATION = Citation(
    authors=("Zhao, Hanbing", "Jin, Xin", "Guo, Jinfeng"),
    title="Music Emotion Recognition and Analysis Based on Neural Network",
    venue=None,
    year=None,
    not_in_text=("venue", "year", "volume", "pages", "DOI or URL"),
)

#: The notebook that teaches this paper.
CHAPTER = "09_zhao_multispec_cbam_bls"

#: Table I, "Music note information" (intervals in measures).
TABLE1 = pd.DataFrame(
    [
        ("Kiss The Rain", "Joyful", "D4, G4, E4, D4, C4, D4, E4, F4, E4, D4, C4, D4",
         "0.13, 0.12, 0.12, 0.13, 0.13, 0.24, 0.14, 0.13, 0.13, 0.12, 0.52, 0.05"),
        ("Canon", "Sad", "D5, D5, F5, F#5, E5, D5, B4, G4, G4, A4, B4",
         "0.22, 0.02, 0.09, 0.13, 0.04, 0.33, 0.03, 0.14, 0.63, 0.09, 0.08"),
        ("Victory", "Excited", "A4, E4, E4, G4, A4, B4, A4, A4, F4, E4",
         "0.13, 0.26, 0.06, 0.13, 0.63, 0.13, 0.13, 0.13, 0.13, 0.06"),
        ("Dust", "Tense", "D4, A4, G4, G4, D4, F4, G4, G4, G4, A4",
         "0.12, 0.79, 0.12, 0.11, 0.03, 0.22, 0.11, 0.25, 0.12, 0.25"),
    ],
    columns=["Music Name", "Emotion", "Note Combination", "Note Intervals"],
)

#: Table II, "Chord segmentation results (Canon)"; "/" separates chords, as printed.
TABLE2 = pd.DataFrame(
    [
        ("4/4 Beat", "D5 D5 F5 F#4 E5 D5/B4 G4 G4/A4 B4"),
        ("3/4 Beat", "D5 D5 F5 F#5 E5 D5 B4 G4 G4/A4 B4"),
        ("2/4 Beat", "D5 D5 F5 F#5 E5 D5 B4 G4 G4/A4 B4"),
        ("6/8 Beat", "D5/ D5 F5 F#5 E5 D5 /B4 G4 G4/A4 B4"),
    ],
    columns=["Musical Beat", "Chord Segmentation Results"],
)

#: Table III, "Feature extraction size".
TABLE3 = pd.DataFrame(
    [("Music Pre-processing", "3895x44100x60"), ("GTF Features", "3895x24x44"), ("MF_RP Features", "3895x192x44")],
    columns=["Data", "Size"],
)

_ARCH_COLUMNS = ["GTF Feature Channel", "MF_RP Feature Channel", "Training Accuracy", "Testing Accuracy"]

#: Table IV, "CNN filter channel architecture comparison" (EMA).
TABLE4 = pd.DataFrame(
    [("3,4,5,4", "2,4,6,5", 0.75, 0.48), ("2,5,7,4", "3,6,8,4", 0.88, 0.53), ("2,4,6,4", "2,7,9,5", 0.91, 0.58),
     ("3,3,5,5", "4,6,8,4", 0.87, 0.57), ("2,4,5,4", "3,5,7,4", 0.96, 0.63)],
    columns=_ARCH_COLUMNS,
)

#: Table V, "Different CNN filter channel architecture comparison (Emotion)".
TABLE5 = pd.DataFrame(
    [("3,5,4,4", "2,4,6,5", 0.81, 0.46), ("2,4,5,4", "3,6,8,4", 0.84, 0.50), ("2,5,8,4", "2,7,9,5", 0.94, 0.63),
     ("3,3,5,5", "3,5,8,4", 0.88, 0.54), ("2,4,5,4", "3,6,9,5", 0.91, 0.57)],
    columns=_ARCH_COLUMNS,
)

#: Table VI, "Different CNN filter channel architecture comparison (4Q-emotion)".
TABLE6 = pd.DataFrame(
    [("3,4,5,4", "2,3,5,4", 0.91, 0.56), ("2,3,5,4", "2,6,8,4", 0.97, 0.63), ("2,4,8,4", "2,7,8,4", 0.85, 0.52),
     ("3,4,5,4", "3,6,8,4", 0.83, 0.50), ("2,3,5,4", "3,6,8,4", 0.92, 0.58)],
    columns=_ARCH_COLUMNS,
)

_MODELS = ["MCCLSTM", "MCCBL", "RCNNLSTM", "RCNNBL", "LSTM_BLS", "MULTISPEC-DNN"]
_CLS_COLUMNS = ["Model", "Accuracy", "Precision", "Recall", "F1", "Training time (s)"]


def _cls(rows) -> pd.DataFrame:
    return pd.DataFrame([(m, *r) for m, r in zip(_MODELS, rows)], columns=_CLS_COLUMNS)


#: Table VII, "Model classification comparison (EMA)".
TABLE7 = _cls([(0.557, 0.615, 0.557, 0.585, 520.43), (0.548, 0.590, 0.548, 0.568, 95.72),
               (0.562, 0.608, 0.562, 0.584, 1105.12), (0.581, 0.599, 0.581, 0.590, 120.49),
               (0.610, 0.633, 0.610, 0.621, 335.78), (0.624, 0.645, 0.624, 0.634, 470.94)])

#: Table VIII, "Model classification comparison (Emotion)".
TABLE8 = _cls([(0.591, 0.642, 0.553, 0.596, 280.45), (0.578, 0.601, 0.525, 0.560, 42.18),
               (0.573, 0.612, 0.508, 0.556, 630.12), (0.589, 0.603, 0.618, 0.610, 58.37),
               (0.641, 0.655, 0.612, 0.633, 175.49), (0.647, 0.670, 0.625, 0.648, 223.74)])

#: Table IX, "Model classification comparison (4Q)".
TABLE9 = _cls([(0.581, 0.598, 0.569, 0.583, 198.34), (0.589, 0.624, 0.571, 0.596, 35.21),
               (0.593, 0.635, 0.574, 0.603, 550.42), (0.622, 0.633, 0.624, 0.629, 50.81),
               (0.661, 0.674, 0.671, 0.673, 132.47), (0.635, 0.658, 0.629, 0.643, 191.54)])

#: The table whose rows :data:`ROW_MODELS` covers (Tables VIII-IX have the same rows).
MAIN_TABLE = "TABLE7"
MAIN_ROW_COLUMN = "Model"

#: Row of Tables VII-IX -> our model standing for it (:func:`table_models` builds them).
ROW_MODELS = {"MCCLSTM": "MCCLSTM", "MCCBL": "MCCBL", "RCNNLSTM": "RCNNLSTM", "RCNNBL": "RCNNBL",
              "LSTM_BLS": "LSTM_BLS", "MULTISPEC-DNN": "MultiSpec-DNN (GTF + MF_RP + chords)"}

#: Teaching sizes (ours): the paper's widths scaled down so that every row trains in seconds.
TEACHING_SIZES = {
    "MULTISPEC-DNN": {"channels": (8, 12, 16, 20), "stem_channels": 8, "hidden": 16, "fc_hidden": 32},
    "MCCLSTM": {"branch_channels": 8, "hidden": 16}, "MCCBL": {"branch_channels": 8},
    "RCNNLSTM": {"hidden": 16}, "RCNNBL": {}, "LSTM_BLS": {"hidden": (32, 16)},
}


def table_models(single: str = "mf_rp", pair: tuple = ("gtf", "mf_rp"), chords: str | None = "chords",
                 sizes: dict | None = None) -> list:
    """The rows of Tables VII-IX as ``evaluation.ModelSpec`` s named as in :data:`ROW_MODELS`.

    ``single``: the input of the five baselines (the paper gives MF_RP to LSTM_BLS and
    nothing for the others: we give them all MF_RP); ``pair``: MultiSpec-DNN's two
    spectrogram-like inputs (Sec. V: GTF and MF_RP); ``chords``: the name of the chord
    vector input (``None``: no chord branch, e.g. on audio without MIDI). The ``*BL`` rows
    and LSTM_BLS fit a Broad Learning System in closed form on their untrained (random)
    network (``head="bls", train_front=False``); the others train by backpropagation.
    ``sizes``: per-row keyword arguments (default :data:`TEACHING_SIZES`). Built on call
    (importing this module does not import torch).

    Taught in ``09_zhao_multispec_cbam_bls``.
    """
    from mer_lessons.evaluation import ModelSpec
    from mer_lessons.models import zhao

    sizes = TEACHING_SIZES if sizes is None else sizes
    specs = []
    for row, name in ROW_MODELS.items():
        kw = dict(sizes.get(row, {}))
        if row == "MULTISPEC-DNN":
            inputs = tuple(pair) + ((chords,) if chords else ())
            if not chords:
                name = name.replace(" + chords", "")
            specs.append(ModelSpec(name, "fusion", zhao.window_builder(row, pair, chords, **kw), inputs=inputs))
        else:
            bls = row in ("MCCBL", "RCNNBL", "LSTM_BLS")
            specs.append(ModelSpec(name, "fusion", zhao.window_builder(row, [single], **kw), inputs=(single,),
                                   head="bls" if bls else "softmax", train_front=not bls))
    return specs

_EMA = "EMA is the authors' own collection and is not published"
_DATA = "needs the paper's exact clips, split and training settings, which are only partly given"
_GPU = "training times depend on the machine, which the paper does not name"

CLAIMS = [
    Claim("ema_accuracy_table", "MULTISPEC-DNN reaches 0.624 accuracy on EMA.", 0.624, "0-1", "Table VII",
          "Test accuracy of our MultiSpec-DNN on the chapter's data.", "accuracy", False, _EMA),
    Claim("ema_accuracy_text_vs_table", "Contradiction: the text quotes 61.8 % on EMA, Table VII prints 0.624.",
          "61.8 (text) / 62.4 (Table VII)", "%", "Sec. V.B.2; Table VII", "Read from the paper.", "accuracy",
          True, None),
    Claim("emotion_accuracy_table", "MULTISPEC-DNN reaches 0.647 accuracy on the Emotion dataset.", 0.647, "0-1",
          "Table VIII", "Test accuracy of our MultiSpec-DNN on the Emotion dataset's 4 classes.", "accuracy",
          False, _DATA),
    Claim("emotion_accuracy_text_vs_table", "Contradiction: the text quotes 63.8 % on Emotion, Table VIII prints "
          "0.647.", "63.8 (text) / 64.7 (Table VIII)", "%", "Sec. V.B.2; Table VIII", "Read from the paper.",
          "accuracy", True, None),
    Claim("q4_accuracy", "MULTISPEC-DNN reaches 0.635 accuracy on 4Q, below LSTM_BLS's 0.661.", 0.635, "0-1",
          "Table IX", "Test accuracy of our MultiSpec-DNN and our LSTM_BLS on 4Q (ten folds).", "accuracy",
          False, _DATA),
    Claim("ema_f1", "MULTISPEC-DNN's F1 on EMA is 0.634.", 0.634, "0-1", "Table VII",
          "F1 of our MultiSpec-DNN.", "macro_f1", False, _EMA),
    Claim("emotion_f1", "MULTISPEC-DNN's F1 on Emotion is 0.648.", 0.648, "0-1", "Table VIII",
          "F1 of our MultiSpec-DNN.", "macro_f1", False, _DATA),
    Claim("ema_margins", "On EMA MULTISPEC-DNN is 7.6 points above MCCLSTM, 4.4 above RCNNBL and 1.5 above "
          "LSTM_BLS (Table VII gives 6.7, 4.3 and 1.4).", "7.6 / 4.4 / 1.5 (text) vs 6.7 / 4.3 / 1.4 (Table VII)",
          "percentage points", "Sec. V.B.2; Table VII", "Recomputed from the typed table.", "accuracy", True, None),
    Claim("emotion_margins", "On Emotion MULTISPEC-DNN is 4.6 points above MCCLSTM, 2.4 above RCNNBL and 5 above "
          "LSTM_BLS (Table VIII gives 5.6, 5.8 and 0.6).", "4.6 / 2.4 / 5 (text) vs 5.6 / 5.8 / 0.6 (Table VIII)",
          "percentage points", "Sec. V.B.2; Table VIII", "Recomputed from the typed table.", "accuracy", True, None),
    Claim("best_on_ema_and_emotion", "MULTISPEC-DNN is the most accurate model on EMA and Emotion, and LSTM_BLS on 4Q.",
          None, "", "Tables VII-IX; Sec. V.B.2", "Rank of our MultiSpec-DNN among the models we build, per dataset.",
          "accuracy", True, None),
    Claim("chord_vectors_help", "Adding Chord2Vec chord vectors to the GTF + MF_RP features improves accuracy.",
          None, "", "Sec. V.B.1", "Accuracy of MultiSpec-DNN with and without the summed chord vectors "
          "(needs MIDI, so on a MIDI-backed dataset).", "accuracy", True, None),
    Claim("bls_trains_faster", "BLS models train much faster than LSTM models: MCCBL needs at most 0.18 of "
          "MCCLSTM's training time (95.72 vs 520.43 s on EMA; 0.15 on Emotion, 0.18 on 4Q).", 0.18, "ratio",
          "Tables VII-IX; Sec. V.B.2", "Training time of our MCCBL divided by our MCCLSTM's in each repeat "
          "(a ratio: seconds depend on the machine).", "train_s", True, None),
    Claim("bls_costs_little_accuracy", "The BLS model is only about 2 points less accurate than the LSTM one "
          "(MCCBL - MCCLSTM: -0.9 on EMA, -1.3 on Emotion, +0.8 on 4Q).", -0.9, "percentage points",
          "Tables VII-IX; Sec. V.B.2", "Accuracy of our MCCBL minus our MCCLSTM over the same repeats.",
          "accuracy", True, None),
    Claim("rcnnbl_beats_rcnnlstm", "RCNNBL beats RCNNLSTM in accuracy on all three datasets (by 1.6 to 2.9 "
          "points).", 1.6, "percentage points", "Tables VII-IX; Sec. V.B.2",
          "Accuracy of our RCNNBL minus our RCNNLSTM over the same repeats (the smallest printed margin, 4Q: "
          "62.2 - 59.3 = 2.9; EMA: 1.9; Emotion: 1.6).", "accuracy", True, None),
    Claim("multispec_slower_than_bls", "MULTISPEC-DNN trains slower than MCCBL, RCNNBL and LSTM_BLS (470.94 s on "
          "EMA).", 470.94, "s", "Tables VII-IX; Sec. V.B.2", "Training time of our MultiSpec-DNN against our "
          "BLS models.", "train_s", False, _GPU),
    Claim("best_filter_channels", "The best filter-channel architecture reaches 0.63 testing accuracy on each "
          "dataset (EMA 2,4,5,4 / 3,5,7,4; Emotion 2,5,8,4 / 2,7,9,5; 4Q 2,3,5,4 / 2,6,8,4).", 0.63, "0-1",
          "Tables IV-VI", "Test accuracy of the CNN channels alone for the printed configurations.", "accuracy",
          False, _DATA),
    Claim("emodb_iemocap", "Contradiction: the abstract and conclusion report 91.24 % on EmoDB and 71.88 % on "
          "IEMOCAP, datasets no experiment uses.", "91.24 (EmoDB) / 71.88 (IEMOCAP)", "%",
          "Abstract; Sec. VI", "Not comparable: no table reports these datasets.", "accuracy", False,
          "the paper gives no experiment, split or table for EmoDB or IEMOCAP"),
    Claim("q4_size", "Contradiction: 4Q has 1,472 pieces (Sec. V.A) but the discussion speaks of 1,286.",
          "1472 vs 1286", "pieces", "Sec. V.A; Sec. V.B.2", "Counted by the 4Q loader.", None, True, None),
]
