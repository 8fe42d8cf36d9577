"""Liu, Feng and Li: audio-video emotion recognition with cross-modal attention and decision fusion.

What the paper proposes: audio features are MFCCs (Eq. 1-4; 40 mel filters, 25 ms frames,
10 ms shift), openSMILE IS09/IS11/IS13 functionals (Eq. 5) and SoundNet embeddings (Eq. 6),
concatenated (Eq. 7); video features come from an RNN (128 hidden units, Eq. 8) and an LSTM
(256 units, Eq. 9-11). A cross-modal attention (projection 128, attention 64; Eq. 12-15)
fuses them, reconstruction networks map the fusion back to each modality (Eq. 16-18), and
a decision-level fusion weighs the fused, audio and video predictions with beta = 0.6 and
chi = 0.4 (Eq. 19), trained with an L1 loss plus the reconstruction loss (Eq. 20-21).
Nine classes; 8:1:1 split and 5-fold cross-validation; baselines LSTM and DEAN.

Tables, typed in from the paper:

* :data:`TABLE1`: the recording equipment (Logitech C920e camera, Sennheiser MK4 microphone).
* :data:`TABLE2`: the data collection and annotation settings (85 participants, ...).
* :data:`TABLE3`: recognition latency in ms for 100-500 samples, for the proposed algorithm,
  LSTM and DEAN on the self-built dataset and on IEMOCAP. Index: data volume; columns:
  (dataset, method).
* :data:`FIG10_CONFUSION`: the row-normalised confusion matrix printed under Fig. 10, with
  the class names printed beside its rows (trust, joy, anxiety, fear, amazed, sad,
  expectation, anger, hate).
* :data:`EMOTION_GRADES`: the value range Sec. 4.2 assigns to each of the nine emotions.

Weighted accuracy, unweighted accuracy and the correlation coefficients (Fig. 7-9) are only
plotted; the text gives bounds for the correlations, kept as claims.

Citation: the text prints the authors, the title, the DOI (10.34028/iajit/23/2/3) and the
dates (received 6 March 2025, accepted 21 September 2025). The journal's name, the year of
publication, volume and pages are **not printed** and stay ``None``.

What does not add up in the paper:

* "Nine types of emotions, each 100 samples, a total of 9000": nine times 100 is 900.
* "The average accuracy is 93.4 % (mean of the main diagonal)": the printed diagonal
  averages 93.8 % (8.44 / 9).
* Two rows of the confusion matrix do not sum to 1: trust 1.02 and hate 0.99.
* Anxiety -> fear, disgust -> anger and trust -> expectation are named as the three most
  confused pairs (4 % each), but joy -> expectation and fear -> anxiety are also 4 %.
* The class names change: anticipation / expectation, surprise / amazed, sadness / sad,
  disgust / hate. Sec. 4.2 maps the nine classes onto value ranges of width 0.1 except
  disgust (0.8-1.0, width 0.2), and never says how those values enter the L1 loss (Eq. 20).
* "The latency of all three algorithms has increased" with the data volume, yet DEAN on the
  self-built set stays at 46 ms from 400 to 500 samples and the proposed algorithm at
  18 ms from 300 to 400 on IEMOCAP.
* Eq. 18 writes the reconstruction loss as (X^a - X^b)^2 + (X^b - X^a)^2, which compares
  the two modalities rather than each one with its reconstruction.

Taught in ``12_liu_bimodal_audio_video``.
"""
from __future__ import annotations

import pandas as pd

from mer_lessons.papers.base import Citation, Claim

KEY = "liu"

CITATION = Citation(
    authors=("Liu, Yang", "Feng, Shudan", "Li, Kaiyong"),
    title="A Bimodal Emotion Recognition Algorithm for Audio and Video Based on Emotion Modeling",
    venue=None,
    year=None,
    doi="10.34028/iajit/23/2/3",
    not_in_text=("venue", "year", "volume", "pages"),
)

#: The notebook that teaches this paper.
CHAPTER = "12_liu_bimodal_audio_video"

#: Table 1, "Details of equipment parameters".
TABLE1 = pd.DataFrame(
    [
        ("Logitech C920e video capture device", "diagonal field of view", "78°"),
        ("Logitech C920e video capture device", "resolution and frame rate", "1080p/30fps and 720p/30fps"),
        ("Logitech C920e video capture device", "autofocus with automatic light correction",
         "Built-in HD autofocus; RightLight 2 automatic light correction"),
        ("Logitech C920e video capture device", "privacy", "Removable privacy lens cover"),
        ("Logitech C920e video capture device", "connectivity", "USB-A, cable length 1.5 meters"),
        ("Sennheiser MK4 audio capture device", "frequency response range", "20Hz~20kHz"),
        ("Sennheiser MK4 audio capture device", "sensitivity", "25mV/Pa"),
        ("Sennheiser MK4 audio capture device", "product sound pressure", "140 dB max"),
        ("Sennheiser MK4 audio capture device", "shape", "Diameter 57mm (max), length 160mm"),
        ("Sennheiser MK4 audio capture device", "weight", "485g"),
    ],
    columns=["Equipment name", "The relevant parameters", "Details/Description"],
)

#: Table 2, "Data collection and annotation settings".
TABLE2 = pd.DataFrame(
    [
        ("participant", "85 people (aged 18-65)",
         "Gender distribution (42 males/43 females), clinical grouping (60 healthy individuals/15 depressed "
         "individuals/10 anxious individuals)"),
        ("Collection environment", "Standardized psychological counseling room",
         "Light control (500-700 lux), background noise (<35 dB)"),
        ("Stimulative materials", "IAPS images+self-selected videos", "Stimulus library accounts for 70%"),
        ("Labeling protocol", "Three-layer annotation mechanism",
         "1. Russell's circular model annotation by expert psychologists (valence/arousal) 2. Participants' "
         "Self-Assessment Manikin (SAM) scale 3. Cross validation of physiological signals Electrodermal "
         "Activity (EDA)/Heart Rate Variability (HRV)"),
        ("data distribution", "Statistics of 9 types of emotional samples",
         "Including trust, joy, anxiety, fear, surprise, sadness, expectation, anger, and disgust"),
    ],
    columns=["Attribute", "Details", "In detail"],
)

#: Table 3, "Emotion recognition delay/ms".
TABLE3 = pd.DataFrame(
    [
        (17, 39, 40, 16, 40, 41),
        (18, 40, 44, 17, 42, 42),
        (18, 42, 45, 18, 43, 46),
        (19, 45, 46, 18, 45, 48),
        (21, 48, 46, 19, 48, 49),
    ],
    index=pd.Index([100, 200, 300, 400, 500], name="Data volume"),
    columns=pd.MultiIndex.from_product([["Self-built dataset", "IEMOCAP dataset"],
                                        ["Proposed algorithm", "LSTM", "DEAN"]]),
)

_CLASSES = ["trust", "joy", "anxiety", "fear", "amazed", "sad", "expectation", "anger", "hate"]

#: The confusion matrix under Fig. 10 (rows: true class, columns: predicted class, both in
#: the printed order 1-9; names as printed beside the rows).
FIG10_CONFUSION = pd.DataFrame(
    [
        (0.93, 0.03, 0.02, 0, 0, 0, 0.04, 0, 0),
        (0.02, 0.94, 0, 0, 0, 0, 0.04, 0, 0),
        (0, 0, 0.91, 0.04, 0.02, 0.01, 0, 0, 0.02),
        (0, 0, 0.04, 0.94, 0, 0, 0, 0.01, 0.01),
        (0.03, 0.01, 0, 0, 0.94, 0, 0.02, 0, 0),
        (0, 0, 0.02, 0.01, 0, 0.95, 0, 0, 0.02),
        (0.02, 0.03, 0, 0, 0, 0, 0.95, 0, 0),
        (0, 0, 0.01, 0, 0, 0, 0, 0.96, 0.03),
        (0, 0, 0.02, 0.01, 0, 0, 0, 0.04, 0.92),
    ],
    index=pd.Index(_CLASSES, name="true"),
    columns=pd.Index(_CLASSES, name="predicted"),
)

#: Sec. 4.2: the value range of each emotion "grade".
EMOTION_GRADES = pd.DataFrame(
    [("trust", 0.0, 0.1), ("joy", 0.1, 0.2), ("anxiety", 0.2, 0.3), ("fear", 0.3, 0.4), ("surprise", 0.4, 0.5),
     ("sadness", 0.5, 0.6), ("anticipation", 0.6, 0.7), ("anger", 0.7, 0.8), ("disgust", 0.8, 1.0)],
    columns=["Emotion", "From", "To"],
)

#: The table whose methods :data:`ROW_MODELS` covers: Table 3 puts them in its columns
#: (second level); its rows are data volumes.
MAIN_TABLE = "TABLE3"
MAIN_ROW_COLUMN = None

#: Method compared in Table 3 (and Fig. 7-9) -> our model standing for it (a spec name of
#: :func:`table_models`). DEAN (Zhang et al., the paper's reference [16]) is another paper's
#: model that this one does not describe: not built.
ROW_MODELS = {"Proposed algorithm": "proposed", "LSTM": "LSTM baseline", "DEAN": None}

#: The chapter's ablation rows (names of :func:`mer_lessons.models.liu.build`), each set
#: against the proposed model.
ABLATIONS = ("without CMA", "without reconstruction", "audio only", "video only", "feature-level fusion")

#: The proposed model trained with cross-entropy instead of the L1 loss of Eq. 20.
CROSS_ENTROPY = "proposed, cross-entropy loss"

#: The middle of each emotion's range in Sec. 4.2 (for the correlation coefficient, Fig. 9),
#: by the course's class names (``labels.LIU9_PROTOTYPES``).
GRADES = {row.Emotion: (row.From + row.To) / 2 for row in EMOTION_GRADES.itertuples()}


def table_models(*, audio_inputs=("mfcc", "functionals", "soundnet"), video_input: str = "video",
                 **options) -> list:
    """Chapter 12's models as ``evaluation.ModelSpec`` s (kind ``"fusion"``: they read a dict of inputs).

    The proposed model and the LSTM baseline (:data:`ROW_MODELS`), the ablations of
    :data:`ABLATIONS` and the proposed model trained with cross-entropy
    (:data:`CROSS_ENTROPY`), all built by :func:`mer_lessons.models.liu.build` from the
    window inputs ``audio_inputs`` (clip-level vectors, ``(N, 1, D)`` each) and
    ``video_input`` (per-frame face features, ``(N, T, D)``); ``options`` go to every
    model (e.g. sizes, ``beta``, ``chi``). Train them with ``train_options={"loss_fn":
    "model"}`` so that each uses its own loss (Eq. 20 L1, or cross-entropy). Built on call
    (importing this module does not import torch).

    Taught in ``12_liu_bimodal_audio_video``.
    """
    from mer_lessons.evaluation import ModelSpec
    from mer_lessons.models import liu as liu_models

    inputs = tuple(audio_inputs) + (video_input,)

    def maker(name, **extra):
        def make(dims, n_classes):
            return liu_models.build(name, dims, n_classes=n_classes, video=video_input, **{**options, **extra})
        return make

    specs = [ModelSpec("proposed", "fusion", maker("proposed"), inputs=inputs),
             ModelSpec("LSTM baseline", "fusion", maker("LSTM baseline"), inputs=inputs)]
    specs += [ModelSpec(name, "fusion", maker(name), inputs=inputs) for name in ABLATIONS]
    specs.append(ModelSpec(CROSS_ENTROPY, "fusion", maker("proposed", loss="ce"), inputs=inputs))
    return specs


_SELF_BUILT = "the self-built counselling-room dataset (85 participants) is not public"
_IEMOCAP = ("needs IEMOCAP (licence on request) and the paper's unstated definition of latency and "
            "of 'data volume'; the paper's machine is a V100 server")

CLAIMS = [
    Claim("confusion_mean_accuracy", "The average accuracy over the nine classes is 93.4 % (mean of the "
          "confusion matrix's diagonal).", 93.4, "%", "Sec. 4.3.5; Fig. 10",
          "Unweighted accuracy (mean per-class recall) of our model on the test folds.", "ua", False, _SELF_BUILT),
    Claim("confusion_mean_contradiction", "Contradiction: the printed diagonal averages 93.8 %, not 93.4 %.",
          "93.4 (text) vs 93.8 (diagonal)", "%", "Sec. 4.3.5; Fig. 10", "Recomputed from the typed matrix.",
          None, True, None),
    Claim("confusion_rows_sum", "Contradiction: rows trust (1.02) and hate (0.99) of the normalised confusion "
          "matrix do not sum to 1.", "1.02 and 0.99", "", "Fig. 10", "Recomputed from the typed matrix.",
          None, True, None),
    Claim("sample_count", "Contradiction: 'nine types of emotions, each 100 samples, a total of 9000'; nine times "
          "100 is 900.", "9000 vs 900", "samples", "Sec. 4.3.1", "Arithmetic.", None, True, None),
    Claim("all_classes_above_90", "Every class is recognised with more than 90 % accuracy (lowest: anxiety, 91 %).",
          91.0, "%", "Sec. 4.3.5; Fig. 10", "Lowest per-class recall of our model.", "macro_recall",
          False, _SELF_BUILT),
    Claim("wa_above_baselines", "The proposed algorithm's weighted accuracy is higher than LSTM's and DEAN's in "
          "every one of 15 random groups.", 0.0, "percentage points (claimed > 0)", "Sec. 4.3.1; Fig. 7",
          "Weighted accuracy of our model minus our LSTM baseline's, paired over the cross-validation folds "
          "(DEAN is not built).", "accuracy", True, None),
    Claim("ua_above_baselines", "Its unweighted accuracy is higher than LSTM's and DEAN's.", 0.0,
          "percentage points (claimed > 0)", "Sec. 4.3.2; Fig. 8",
          "Unweighted accuracy (mean per-class recall) of our model minus the LSTM baseline's, paired over folds.",
          "ua", True, None),
    Claim("correlation_above_098", "The correlation between recognised and actual emotions is above 0.98 for "
          "every class (LSTM at most 0.96, DEAN at most 0.98).", 0.98, "r", "Sec. 4.3.3; Fig. 9",
          "Pearson correlation between predicted and true emotion values per class.", "correlation",
          False, _SELF_BUILT),
    Claim("latency_self_built_100", "On the self-built set, 100 samples are recognised in 17 ms (LSTM 39, DEAN 40).",
          17.0, "ms", "Table 3", "Time to recognise a batch of 100 samples on CPU.", "latency_ms",
          False, _SELF_BUILT),
    Claim("latency_iemocap_500", "On IEMOCAP, 500 samples take 19 ms (LSTM 48, DEAN 49).", 19.0, "ms", "Table 3",
          "Time to recognise a batch of 500 samples on CPU.", "latency_ms", False, _IEMOCAP),
    Claim("latency_lowest", "The proposed algorithm has lower latency than LSTM and DEAN at every data volume "
          "(at 500 samples on the self-built set: 21 vs 48 ms).", 0.0, "ms (claimed < 0)", "Table 3; Sec. 4.3.4",
          "Time to recognise 500 samples at once, our model minus our LSTM baseline, over the folds' models.",
          "latency_ms", True, None),
    Claim("latency_grows_slowly", "Its latency grows least with the data volume (17 -> 21 ms from 100 to 500 "
          "samples on the self-built set, LSTM 39 -> 48).", 0.0, "ms (claimed < 0)", "Table 3; Sec. 4.3.4",
          "Growth from 100 to 500 samples (ms at 500 minus ms at 100), ours minus the LSTM baseline's.",
          "latency_ms", True, None),
    Claim("decision_fusion_weights", "Decision-level fusion with beta = 0.6 (audio) and chi = 0.4 (video) improves "
          "recognition over a single modality.", 0.0, "percentage points (claimed > 0)", "Eq. 19; Sec. 4.2, 4.3.2",
          "Accuracy of the proposed model minus the better of audio only and video only, paired over folds.",
          "accuracy", True, None),
    Claim("decision_beats_feature_level", "Decision-level fusion, by fusing after classification, avoids the high "
          "dimensionality of feature splicing and raises the unweighted accuracy.", 0.0,
          "percentage points (claimed > 0)", "Sec. 4.3.2",
          "Unweighted accuracy of the proposed model minus feature-level fusion, paired over folds.", "ua", True,
          None),
    Claim("cma_helps", "Cross-modal attention integrates the complementary information of audio and video and is "
          "what lifts the weighted accuracy.", 0.0, "percentage points (claimed > 0)", "Sec. 3.1, 4.3.1",
          "Weighted accuracy of the proposed model minus the model without CMA, paired over folds.", "accuracy",
          True, None),
    Claim("reconstruction_helps", "Reconstructing each modality from the fusion strengthens the fusion results.",
          0.0, "percentage points (claimed > 0)", "Sec. 3.1 (Eq. 16-18)",
          "Weighted accuracy of the proposed model minus the model without reconstruction, paired over folds.",
          "accuracy", True, None),
    Claim("training_time", "Training takes about 2 hours per round on an NVIDIA Tesla V100.", 2.0, "h",
          "Sec. 4.2", "Not measured at this scale.", "train_s", False,
          "needs the paper's data and a V100-class GPU"),
]
