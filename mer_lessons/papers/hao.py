"""Hao, Li and Wen: real-time music emotion recognition by multimodal fusion (Bi-LSTM).

What the paper proposes: a stream is sampled more densely when its spectrum changes
(Eq. 1-3), cleaned by a band-pass filter (Eq. 4) and aligned across modalities (Eq. 5);
per-modality autoencoders compress audio, visual and physiological features (Eq. 6-8) that
are fused (Eq. 9) and read by a Bi-LSTM which keeps learning from small batches (Eq. 10).
It is tested on DEAP (Table 3) and AMIGOS (Table 4).

Tables, typed in from the paper:

* :data:`TABLE1`: the machine the paper ran on (GTX 1080 Ti, i7-8700K, TensorFlow 2.4).
* :data:`TABLE2`: twelve structural elements of music (tempo, mode, ...) and the emotions
  the paper links to them.
* :data:`TABLE3`: the paper's model and thirteen others on DEAP: accuracy (%), F1,
  precision, recall, latency (ms) and "average score"; ``Ref.`` is the reference number
  printed beside the name (MLP-EmotionNet has none).
* :data:`TABLE4`: the ablation on AMIGOS: weighted F1, G-mean accuracy (%), macro recall,
  precision, inference time (ms) and "average score" for seven configurations.

Citation: the text gives the authors and the title only. The journal, the year, volume,
pages and any DOI or URL are **not printed in the text** we have, so they stay ``None``
(see ``CITATION.not_in_text``); look them up before publishing a reference.

What does not add up in the paper (checked number by number against Tables 3 and 4):

* "Average score" is never defined, and no simple mean reproduces every row. The rounded
  mean of F1, precision and recall gives the printed value in 12 of the 14 rows of
  Table 3 (not MLP-EmotionNet: 0.807, printed 0.80; capsule network: 0.787, printed 0.80)
  and 5 of 7 rows of Table 4 (not "Without Bi-LSTM": 0.833, printed 0.84; "Without feature
  fusion": 0.843, printed 0.85); the mean that also includes accuracy/100 (our
  ``metrics.average_score``) gives it in 9 of the 14 rows of Table 3.
* In Table 3 the proposed model's F1 (0.89) is above both its precision (0.88) and its
  recall (0.87). An F1 averaged over classes (macro, weighted or micro) can never exceed
  the mean of the same precision and recall, so this row cannot come from one consistent
  computation, even allowing for rounding. (Table 4 mixes a weighted F1 with a macro
  recall, so there the same check does not apply.)
* The paper never says which emotion classes are predicted (valence/arousal halves,
  quadrants, ...), nor its window length.
* In Table 4 removing a block (the Bi-LSTM, the fusion) makes inference *slower*
  (26.7 and 25.4 ms against 22.8 ms): implausible for a model that does less work.
* Section 4.3 announces Table 2 as "typical music genres" with their emotions; the table
  lists musical elements, not genres.
* The abstract speaks of higher accuracy and lower latency "on the DEAP and AMIGOS data
  sets", but the only comparison with other methods is on DEAP; AMIGOS has the ablation only.

The typed tables were checked against the paper text cell by cell (the earlier copies in
``models.baselines`` and ``models.hao`` had no typo). :data:`ROW_MODELS` says which of our
models stands for which row of Table 3, :func:`table3_models` builds them, and
:data:`TABLE3_COLUMNS` / :data:`TABLE4_COLUMNS` tell ``evaluation.beside_paper`` which of
our columns sits beside which of the paper's.

Taught in ``08_hao_realtime_fusion``.
"""
from __future__ import annotations

import pandas as pd

from mer_lessons.papers.base import Citation, Claim

KEY = "hao"

CITATION = Citation(
    authors=("Hao, Xingye", "Li, Honghe", "Wen, Yonggang"),
    title="Real-time music emotion recognition based on multimodal fusion",
    venue=None,
    year=None,
    not_in_text=("venue", "year", "volume", "pages", "DOI or URL"),
)

#: The notebook that teaches this paper.
CHAPTER = "08_hao_realtime_fusion"

#: Table 1, "Experimental environment configuration".
TABLE1 = pd.DataFrame(
    [
        ("Processor (CPU)", "Intel Core i7-8700K, 3.7 GHz"),
        ("Graphics Card (GPU)", "NVIDIA GeForce GTX 1080 Ti, 11 GB GDDR5X"),
        ("Memory (RAM)", "32 GB DDR4"),
        ("Storage", "1 TB SSD"),
        ("Operating System", "Ubuntu 20.04 LTS"),
        ("Programming Language", "Python 3.8"),
        ("Deep Learning Framework", "TensorFlow 2.4"),
        ("CUDA Version", "CUDA 11.1"),
        ("CuDNN Version", "CuDNN 8.0"),
    ],
    columns=["Component", "Specification"],
)

#: Table 2, "Linking structural elements of music to emotional responses".
TABLE2 = pd.DataFrame(
    [
        ("Tempo", "Speed or pace of music", "Fast: excitement, happiness, anger; Slow: calm, sadness, tranquility"),
        ("Mode", "Type of musical scale", "Major: joy, optimism; Minor: sorrow, introspection"),
        ("Loudness", "Intensity and amplitude of sound", "High: power, aggression; Low: peace, relaxation"),
        ("Pitch", "Perceived frequency of a sound", "High: excitement, tension; Low: melancholy, calm"),
        ("Melody", "Sequence of notes perceived as a cohesive whole",
         "Harmonious: joy, relaxation; Dissonant: unease, tension"),
        ("Rhythm", "Pattern of beats and timing", "Steady: peace, happiness; Irregular: surprise, tension"),
        ("Harmony", "Combination of notes or chords", "Consonant: comfort, joy; Dissonant: anxiety, suspense"),
        ("Timbre", "Tone color or quality of sound", "Bright: cheerfulness; Dark: sadness, mystery"),
        ("Dynamics", "Variation in loudness across a piece", "Crescendo: excitement; Decrescendo: calmness"),
        ("Articulation", "Style of note execution (e.g., staccato, legato)",
         "Staccato: playfulness, energy; Legato: serenity, smoothness"),
        ("Contour", "Shape of pitch movement over time", "Ascending: hope, excitement; Descending: sadness"),
        ("Texture", "Layers and interaction of musical lines", "Thick: intensity, power; Thin: simplicity, loneliness"),
    ],
    columns=["Musical feature", "Description", "Associated emotions"],
)

#: Table 3, "Comparison of our model with other state-of-the-art models on the DEAP
#: dataset". Accuracy in %, F1/precision/recall/average score on 0-1, latency in ms per
#: prediction (their GTX 1080 Ti). ``Ref.``: the reference number printed after the name.
TABLE3 = pd.DataFrame(
    [
        ("Our model (Bi-LSTM + Feature fusion)", 87.5, 0.89, 0.88, 0.87, 24.3, 0.88, ""),
        ("CNN-RNN (Baseline)", 83.2, 0.82, 0.81, 0.82, 30.5, 0.82, "[42]"),
        ("ST-GCN", 79.6, 0.79, 0.78, 0.79, 35.8, 0.79, "[43]"),
        ("MLP-EmotionNet", 81.3, 0.81, 0.80, 0.81, 28.4, 0.80, ""),
        ("SVM + Feature extraction", 75.8, 0.74, 0.75, 0.73, 41.2, 0.74, "[44]"),
        ("GRU + Spectrogram features", 78.9, 0.77, 0.78, 0.77, 29.1, 0.77, "[45]"),
        ("EmotionNet (CNN)", 84.1, 0.83, 0.82, 0.83, 26.7, 0.83, "[46]"),
        ("Bi-GRU", 82.4, 0.81, 0.80, 0.81, 27.9, 0.81, "[47]"),
        ("LSTM + Attention", 85.3, 0.85, 0.84, 0.85, 25.6, 0.85, "[48]"),
        ("Capsule network", 80.1, 0.79, 0.78, 0.79, 33.4, 0.80, "[49]"),
        ("Deep belief network", 76.5, 0.75, 0.75, 0.74, 37.5, 0.75, "[50]"),
        ("Hybrid CNN-GRU", 83.7, 0.82, 0.83, 0.82, 28.1, 0.82, "[51]"),
        ("Random forest classifier", 74.2, 0.72, 0.73, 0.71, 45.7, 0.72, "[52]"),
        ("K-Nearest neighbors", 71.6, 0.70, 0.69, 0.71, 48.9, 0.70, "[53]"),
    ],
    columns=["Model", "Accuracy (%)", "F1 score", "Precision", "Recall", "Latency (ms)", "Average score", "Ref."],
)

#: Table 4, "Ablation study results on AMIGOS dataset". F1 = weighted F1, G-mean in %,
#: recall = macro recall (Sec. 4.3's words), precision unspecified, inference time in ms.
TABLE4 = pd.DataFrame(
    [
        ("Full model", 0.91, 89.5, 0.90, 0.89, 22.8, 0.90),
        ("Without Bi-LSTM", 0.85, 83.4, 0.82, 0.83, 26.7, 0.84),
        ("Without feature fusion", 0.86, 84.5, 0.83, 0.84, 25.4, 0.85),
        ("Without adaptive sampling", 0.88, 86.7, 0.86, 0.87, 25.1, 0.87),
        ("Without Bi-LSTM + Feature fusion", 0.80, 80.1, 0.78, 0.79, 28.3, 0.79),
        ("Without Bi-LSTM + Adaptive sampling", 0.83, 82.3, 0.81, 0.81, 27.4, 0.82),
        ("Without feature fusion + Adaptive sampling", 0.82, 81.9, 0.80, 0.81, 27.8, 0.81),
    ],
    columns=["Configuration", "F1 score", "G-Mean accuracy", "Recall", "Precision",
             "Inference time", "Average score"],
)

#: The table whose rows :data:`ROW_MODELS` covers, and the column holding the row names.
MAIN_TABLE = "TABLE3"
MAIN_ROW_COLUMN = "Model"

#: Row of Table 3 -> the name of our model that stands for it, ``None`` where none is built
#: (the paper gives no architecture for any baseline). Names: :func:`table3_models` for the
#: fused model, ``models.sequence.SEQUENCE_MODELS`` for the recurrent/convolutional ones and
#: ``models.baselines.MODEL_NAMES`` for the scikit-learn ones.
ROW_MODELS = {
    "Our model (Bi-LSTM + Feature fusion)": "Bi-LSTM + fusion (Hao et al.)",
    "CNN-RNN (Baseline)": "CNN-RNN",
    "ST-GCN": None,
    "MLP-EmotionNet": "MLP",
    "SVM + Feature extraction": "SVM (RBF) + features",
    "GRU + Spectrogram features": "GRU on log-mel",
    "EmotionNet (CNN)": "CNN",
    "Bi-GRU": "Bi-GRU",
    "LSTM + Attention": "LSTM + attention",
    "Capsule network": None,
    "Deep belief network": None,
    "Hybrid CNN-GRU": None,
    "Random forest classifier": "Random forest",
    "K-Nearest neighbors": "k-nearest neighbours",
}

#: How our results sit beside Table 3 in ``evaluation.beside_paper``: ``(label, our column,
#: the paper's column, scale, digits)``. F1/precision/recall: ours are macro averages (the
#: paper does not say which); latency: ours on CPU, theirs on a GTX 1080 Ti.
TABLE3_COLUMNS = (
    ("Accuracy %", "accuracy", "Accuracy (%)", 100.0, 1),
    ("F1", "macro_f1", "F1 score", 1.0, 2),
    ("Precision", "macro_precision", "Precision", 1.0, 2),
    ("Recall", "macro_recall", "Recall", 1.0, 2),
    ("Latency ms", "latency_ms", "Latency (ms)", 1.0, 3),
    ("Average score", "average_score", "Average score", 1.0, 2),
)

#: The same for Table 4: F1 = weighted F1 and recall = macro recall (the paper's words),
#: precision macro (not said), G-mean in %, inference time in ms per window.
TABLE4_COLUMNS = (
    ("F1 score", "weighted_f1", "F1 score", 1.0, 2),
    ("G-Mean accuracy", "g_mean", "G-Mean accuracy", 100.0, 1),
    ("Recall", "macro_recall", "Recall", 1.0, 2),
    ("Precision", "macro_precision", "Precision", 1.0, 2),
    ("Inference time", "inference_ms", "Inference time", 1.0, 2),
)


def table3_models() -> list:
    """The models of our Table 3, as ``evaluation.ModelSpec`` s named as in :data:`ROW_MODELS`.

    Built on call (the specs need torch; importing this module does not). ST-GCN, the
    capsule network, the deep belief network and the hybrid CNN-GRU are not built.
    Taught in ``08_hao_realtime_fusion``.
    """
    from mer_lessons.evaluation import ModelSpec
    from mer_lessons.models import baselines, sequence

    def fused(dims, n_classes):
        from mer_lessons.models.hao import HaoRecognizer, compact_code_dims
        return HaoRecognizer(dims, n_classes, code_dim=compact_code_dims(dims))

    def sklearn(key):
        return lambda seed: baselines.make_baseline(key, seed=seed)

    by_name = {v: k for k, v in baselines.MODEL_NAMES.items()}
    specs = []
    for row, name in ROW_MODELS.items():
        if name is None:
            continue
        if name == ROW_MODELS["Our model (Bi-LSTM + Feature fusion)"]:
            specs.append(ModelSpec(name, "fusion", fused))
        elif name in sequence.SEQUENCE_MODELS:
            specs.append(ModelSpec(name, "sequence", sequence.SEQUENCE_MODELS[name],
                                   "audio" if row == "GRU + Spectrogram features" else "all"))
        else:
            specs.append(ModelSpec(name, "sklearn", sklearn(by_name[name])))
    return specs


#: Row of Table 4 -> the switches of our model that configuration turns on:
#: ``(use_bilstm, use_fusion, adaptive_sampling)`` of ``models.hao.HaoRecognizer`` (the first
#: two) and of the stream's ``models.hao.DynamicSampler`` (the third).
ABLATIONS = {
    "Full model": (True, True, True),
    "Without Bi-LSTM": (False, True, True),
    "Without feature fusion": (True, False, True),
    "Without adaptive sampling": (True, True, False),
    "Without Bi-LSTM + Feature fusion": (False, False, True),
    "Without Bi-LSTM + Adaptive sampling": (False, True, False),
    "Without feature fusion + Adaptive sampling": (True, False, False),
}

_DEAP = ("needs the full DEAP recordings (end-user licence, not redistributable) and the paper's "
         "label scheme, which it does not state")
_AMIGOS = ("needs the full AMIGOS recordings (end-user licence) and the paper's label scheme, "
           "which it does not state")
_GPU = "the paper's timing is on a GTX 1080 Ti with an unstated scope; ours is one CPU core, model or pipeline"

CLAIMS = [
    Claim("table3_accuracy", "The proposed Bi-LSTM + fusion model reaches 87.5 % accuracy on DEAP.",
          87.5, "%", "Table 3; Sec. 4.3",
          "Subject-independent test accuracy of HaoRecognizer on the chapter's windows.",
          "accuracy", False, _DEAP),
    Claim("table3_f1", "The proposed model's F1 on DEAP is 0.89.", 0.89, "F1", "Table 3",
          "Macro F1 of HaoRecognizer on the test listeners' windows.", "macro_f1", False, _DEAP),
    Claim("table3_precision", "The proposed model's precision on DEAP is 0.88.", 0.88, "0-1", "Table 3",
          "Macro precision of HaoRecognizer on the test windows.", "macro_precision", False, _DEAP),
    Claim("table3_recall", "The proposed model's recall on DEAP is 0.87.", 0.87, "0-1", "Table 3",
          "Macro recall of HaoRecognizer on the test windows.", "macro_recall", False, _DEAP),
    Claim("table3_latency", "The proposed model answers in 24.3 ms per prediction.", 24.3, "ms", "Table 3; Sec. 4.3",
          "Median time of one window through the trained model (and the whole streaming pipeline) on CPU.",
          "latency_ms", True, None),
    Claim("table3_average_score", "The proposed model's average score on DEAP is 0.88.", 0.88, "0-1", "Table 3",
          "metrics.average_score of our model (mean of accuracy, F1, precision, recall; the paper never "
          "defines it).", "average_score", False, _DEAP),
    Claim("beats_cnn_rnn_accuracy", "The proposed model is 4.3 points more accurate than the CNN-RNN baseline "
          "(87.5 vs 83.2 %).", 4.3, "percentage points", "Sec. 4.3; Table 3",
          "Accuracy of HaoRecognizer minus that of our CNN-RNN on the same windows and split.",
          "accuracy", True, None),
    Claim("beats_lstm_attention", "The proposed model beats LSTM + attention (87.5 vs 85.3 % accuracy).",
          2.2, "percentage points", "Sec. 4.3; Table 3",
          "Accuracy difference HaoRecognizer minus our LSTM + attention on the same windows.",
          "accuracy", True, None),
    Claim("f1_margin_cnn_cnngru", "The proposed model's F1 is 6 and 7 points above EmotionNet (CNN) and the "
          "hybrid CNN-GRU (0.89 vs 0.83 and 0.82).", 0.06, "F1", "Sec. 4.3; Table 3",
          "Macro-F1 difference to our CNN (the hybrid CNN-GRU is not built).", "macro_f1", True, None),
    Claim("best_on_every_metric", "The proposed model is best in Table 3 on every metric, latency included.",
          None, "", "Table 3; Sec. 4.3",
          "Rank of HaoRecognizer among our ten Table-3 models on accuracy, F1, precision, recall and latency.",
          None, True, None),
    Claim("latency_below_svm_knn_cnnrnn", "Its latency (24.3 ms) is well below SVM (41.2 ms), k-NN (48.9 ms) "
          "and CNN-RNN (30.5 ms).", 24.3, "ms", "Sec. 4.3; Table 3",
          "Per-window latency of each model on one CPU core, compared in order, not in value.",
          "latency_ms", True, None),
    Claim("table3_f1_above_precision_and_recall", "Contradiction: F1 0.89 exceeds the mean of precision 0.88 and "
          "recall 0.87, impossible for any consistent averaging.", "F1 0.89 vs (0.88 + 0.87) / 2 = 0.875", "",
          "Table 3", "Checked arithmetically in the chapter; our own F1 is never above that mean.",
          None, True, None),
    Claim("average_score_undefined", "Contradiction: 'average score' is undefined and no simple mean gives every "
          "row: the mean of F1, precision and recall misses four rows (MLP-EmotionNet 0.807 vs 0.80, capsule "
          "0.787 vs 0.80; Table 4: 0.833 vs 0.84, 0.843 vs 0.85), the mean with accuracy misses five of Table 3.",
          "0.80 printed vs 0.807 computed (MLP-EmotionNet)", "", "Tables 3-4",
          "Recomputed from the typed tables.", None, True, None),
    Claim("table4_full_weighted_f1", "The full model reaches a weighted F1 of 0.91 on AMIGOS.", 0.91, "F1",
          "Table 4; Sec. 4.3", "Weighted F1 of the full configuration on the played-back test stream.",
          "weighted_f1", False, _AMIGOS),
    Claim("table4_full_g_mean", "The full model reaches a G-mean accuracy of 89.5 % on AMIGOS.", 89.5, "%",
          "Table 4", "G-mean of per-class recalls of the full configuration on the test stream.",
          "g_mean", False, _AMIGOS),
    Claim("table4_full_recall", "The full model reaches a macro recall of 0.90 on AMIGOS.", 0.90, "0-1",
          "Table 4", "Macro recall of the full configuration on the test stream.", "macro_recall", False, _AMIGOS),
    Claim("table4_full_inference", "The full model infers in 22.8 ms.", 22.8, "ms", "Table 4",
          "Mean ms per window of the full configuration's stream on CPU.", "inference_ms", False, _GPU),
    Claim("ablation_full_is_best", "The full model is best on every metric of the ablation.", None, "",
          "Table 4; Sec. 4.3", "evaluation.ablation_grid: the full configuration against the six others.",
          None, True, None),
    Claim("ablation_without_bilstm", "Removing the Bi-LSTM lowers weighted F1 from 0.91 to 0.85 (and G-mean from "
          "89.5 to 83.4 %).", -0.06, "F1", "Table 4; Sec. 4.3",
          "Weighted F1 of 'Without Bi-LSTM' minus that of the full model on the same stream.",
          "weighted_f1", True, None),
    Claim("ablation_without_fusion", "Removing feature fusion lowers weighted F1 from 0.91 to 0.86.", -0.05, "F1",
          "Table 4; Sec. 4.3", "Weighted F1 of 'Without feature fusion' minus that of the full model.",
          "weighted_f1", True, None),
    Claim("ablation_without_sampling_slower", "Removing adaptive sampling raises inference time from 22.8 to "
          "25.1 ms while weighted F1 drops only to 0.88.", 2.3, "ms", "Table 4; Sec. 4.3",
          "Mean ms per window without the sampler minus with it, on the same stream (and the share of windows "
          "the sampler skips).", "inference_ms", True, None),
    Claim("ablation_sampling_beats_fixed_rate", "Adaptive sampling raises weighted F1 over the model without it "
          "(0.91 against 0.88).", 0.03, "F1", "Table 4; Sec. 3.1",
          "Weighted F1 of the full model (adaptive S_dyn) minus the same model sampled at the fixed base rate "
          "S_base (DynamicSampler(alpha=0)), on the same stream: our reading of the paper's baseline, since a "
          "rate that can only rise above S_base can only add windows to it.", "weighted_f1", True, None),
    Claim("ablation_pairs_worse", "Removing two blocks hurts more than removing one (e.g. without Bi-LSTM and "
          "fusion: weighted F1 0.80, G-mean 80.1 %, 28.3 ms).", 0.80, "F1", "Table 4; Sec. 4.3",
          "Weighted F1 of each two-block configuration against the one-block ones.", "weighted_f1", True, None),
    Claim("ablation_removal_slower", "Implausible: removing the Bi-LSTM or the fusion makes inference slower "
          "(26.7 and 25.4 ms vs 22.8 ms).", 26.7, "ms", "Table 4",
          "Inference time per window of the reduced models against the full one.", "inference_ms", True, None),
    Claim("online_adaptation_helps", "Small-batch incremental updates keep accuracy up when the emotion data "
          "change, and reloading pre-trained weights speeds adaptation after a large change.", None, "",
          "Sec. 3.3; Sec. 4.2", "evaluation.prequential_run: accuracy of a frozen model against small-batch "
          "updates on a stream whose listener changes.", "accuracy", True, None),
    Claim("adaptive_sampling_reduces_data", "Adaptive sampling lowers the data volume and latency without a "
          "loss of accuracy.", None, "", "Sec. 3.1; Table 4",
          "Share of windows skipped by the sampler and the change of time per window and of weighted F1.",
          "inference_ms", True, None),
]
