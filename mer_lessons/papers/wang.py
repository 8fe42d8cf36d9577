"""Wang: music emotion recognition from lyrics and audio with a cross-modal Transformer.

What the paper proposes: text features from DeBERTa (Eq. 1-2; elsewhere called
"BiLSTM + attention") and audio features from a ResNet50 on the spectrogram (Eq. 3-4;
elsewhere "improved CNN"), a bidirectional multi-head cross attention between them
(Eq. 5-14), self-attention per modality, a Transformer encoder over both (Eq. 15-19), two
softmax heads fused into one (Eq. 20-22) and a cross-entropy loss (Eq. 23) for three
polarities (positive, neutral, negative).

Tables, typed in from the paper (F1 and accuracy in %, MAE as printed):

* :data:`TABLE1`: MAE and F1 for text, audio and text + audio on Emotify, for ViT, CLIP,
  MAGNet, MuSE-Net, CoAtt-Music, MusicGNN, AudioTextFusionNet and the proposed method.
  Index: model; columns: (modality, metric).
* :data:`TABLE2`: the same on the "MUSIC" dataset (the paper never describes it).
* :data:`TABLE3`: the ablation (remove multi-head cross attention / self-attention /
  Transformer encoder): accuracy and F1 on both datasets.
* :data:`TABLE4`: predicted polarity of three example songs per configuration, and the
  true labels.

Figures 5-6 (F1 against the share of a modality dropped) are images; only the values the
text quotes are kept, as claims.

Citation: the text prints the author, the title, the DOI (10.18280/ts.420446), the
publisher (IIETA) and the dates (available online 14 August 2025, copyright 2025). The
journal (IIETA's *Traitement du Signal*), volume 42, issue 4 and pages 2389-2399 are not in
the text: they come from the publisher's page for this DOI.

What does not add up in the paper:

* On Emotify the fused model's F1 (72.36) is below its text-only F1 (82.36) and below
  MuSE-Net's fused F1 (76.32); on MUSIC the fused MAE (0.668) is worse than its text-only
  (0.635) and audio-only (0.623) MAE. Fusion does not help by the paper's own numbers.
* Table 3's full model scores F1 74.58 on Emotify and 75.68 on MUSIC; Tables 1-2 give the
  same model on the same data F1 72.36 and 78.36.
* The conclusion's gains: "text F1 +14.84 %" is the margin over MAGNet (67.52), not over the
  best baseline MuSE-Net (74.23, margin 8.13); "audio F1 +8.4 %" matches AudioTextFusionNet;
  "MAE -12.4 %" and "F1 +5.04 %" after fusion match no pair of numbers in Tables 1-2
  (fused MAE on Emotify is 10.2 % below the best baseline; on MUSIC 1.5 %).
* Sec. 3 says performance "further declines" without self-attention and "continues to
  decrease" without the Transformer encoder, but both score above the model without cross
  attention (Table 3: 72.65 and 72.89 against 71.23 on Emotify).
* Table 4: the text calls the predictions of "Remove self-attention" for sample 3 and of
  "Remove Transformer encoder" failures, yet both equal the true label (Neutral).
* No split, no training settings and no dataset sizes are given; nor where continuous
  valence/arousal targets come from for the "multi-output" loss (Eq. 23 is cross-entropy only).

Taught in ``10_wang_crossmodal_transformer``.
"""
from __future__ import annotations

import pandas as pd

from mer_lessons.papers.base import Citation, Claim

KEY = "wang"

CITATION = Citation(
    authors=("Wang, Shan",),
    title="Music Emotion Recognition and Modeling Based on Multimodal Signal Fusion",
    venue="Traitement du Signal",
    year=2025,
    doi="10.18280/ts.420446",
    volume="42(4)",
    pages="2389-2399",
)

#: The notebook that teaches this paper.
CHAPTER = "10_wang_crossmodal_transformer"

_MODELS = ["ViT", "CLIP", "MAGNet", "MuSE-Net", "CoAtt-Music", "MusicGNN", "AudioTextFusionNet", "Proposed Method"]
_COLUMNS = pd.MultiIndex.from_product([["Text", "Audio", "Text+Audio"], ["MAE", "F1"]])


def _table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index(_MODELS, name="Model"), columns=_COLUMNS)


#: Table 1, "Experimental results on the Emotify dataset".
TABLE1 = _table([
    (0.785, 65.23, 0.745, 41.23, 0.784, 64.23),
    (0.774, 66.5, 0.741, 41.56, 0.735, 68.52),
    (0.812, 67.52, 0.778, 42.58, 0.685, 71.52),
    (0.816, 74.23, 0.752, 58.62, 0.712, 76.32),
    (0.825, 63.51, 0.812, 37.52, 0.745, 62.35),
    (0.814, 54.58, 0.826, 45.62, 0.712, 62.48),
    (0.836, 56.35, 0.815, 65.12, 0.728, 57.31),
    (0.659, 82.36, 0.645, 73.52, 0.615, 72.36),
])

#: Table 2, "Experimental results on the MUSIC dataset".
TABLE2 = _table([
    (0.745, 67.52, 0.725, 42.23, 0.765, 68.32),
    (0.756, 72.36, 0.736, 42.56, 0.715, 74.52),
    (0.778, 71.25, 0.778, 41.58, 0.678, 73.21),
    (0.812, 71.56, 0.689, 43.23, 0.689, 73.56),
    (0.775, 66.23, 0.774, 38.62, 0.715, 72.56),
    (0.823, 67.52, 0.745, 42.56, 0.725, 72.54),
    (0.812, 68.54, 0.779, 41.58, 0.716, 72.63),
    (0.635, 75.23, 0.623, 66.32, 0.668, 78.36),
])

#: Table 3, "Ablation experiment results" (accuracy and F1 in %).
TABLE3 = pd.DataFrame(
    [
        (71.23, 71.54, 68.23, 68.21),
        (72.65, 72.69, 72.64, 72.56),
        (72.89, 72.34, 71.52, 71.45),
        (74.25, 74.58, 74.69, 75.68),
    ],
    index=pd.Index(["Remove multi-head cross attention", "Remove self-attention", "Remove Transformer encoder",
                    "Proposed Method"], name="Model"),
    columns=pd.MultiIndex.from_product([["Emotify Dataset", "MUSIC Dataset"], ["Accuracy", "F1"]]),
)

#: Table 4, "Case prediction results": predicted label per configuration, then the true label.
TABLE4 = pd.DataFrame(
    [
        ("Positive", "Negative", "Negative"),
        ("Positive", "Neutral", "Neutral"),
        ("Positive", "Negative", "Neutral"),
        ("Positive", "Negative", "Neutral"),
        ("Positive", "Negative", "Neutral"),
    ],
    index=pd.Index(["Remove multi-head cross attention", "Remove self-attention", "Remove Transformer encoder",
                    "Proposed Method", "True Label"], name="Model"),
    columns=["Sample 1", "Sample 2", "Sample 3"],
)

#: The table whose rows :data:`ROW_MODELS` covers (its index holds the row names).
MAIN_TABLE = "TABLE1"
MAIN_ROW_COLUMN = None

#: Our fused model as printed (Eq. 22 fuses two probability vectors), our variant that fuses the
#: heads' logits (the base of the ablations), and the rows chapter 10 measures (:func:`table_models`).
FUSED = "text + audio: cross-modal Transformer (Eq. 22 as printed)"
FUSED_LOGITS = "text + audio: cross-modal Transformer (logits fused, ours)"
TEXT_ENCODERS = {"text: MiniLM (pretrained, frozen)": "minilm", "text: DeBERTa-v2 (random init)": "deberta",
                 "text: BiLSTM + attention": "bilstm"}
AUDIO_BRANCHES = {"audio: ResNet-50 (random init)": "resnet50", "audio: small CNN": "cnn"}
BASELINES = {"text + audio: early concatenation": "early", "text + audio: late averaging": "late"}
#: Table 3's rows -> our configuration and the switch of ``CrossModalTransformer`` it turns off
#: (each built on :data:`FUSED_LOGITS`).
ABLATIONS = {"Remove multi-head cross attention": ("without cross-attention", "use_cross"),
             "Remove self-attention": ("without self-attention", "use_self"),
             "Remove Transformer encoder": ("without Transformer encoder", "use_encoder")}

#: Row of Tables 1-2 -> our model standing for it (the seven baselines are not built).
ROW_MODELS = {name: (FUSED if name == "Proposed Method" else None) for name in _MODELS}


def table_models(*, weight: float = 0.5, dim: int = 32, audio_width: int = 16, resnet_width: int = 8,
                 vocab_size: int = 30522) -> list:
    """Chapter 10's models as ``evaluation.ModelSpec`` s, each a ``models.wang.WindowInputs``.

    The three text encoders alone (keys of :data:`TEXT_ENCODERS`; the pretrained MiniLM reads
    the precomputed token states ``text``, the other two the token ids ``ids``), the two
    audio branches alone (:data:`AUDIO_BRANCHES`, on the log-mel frames ``mel``), the fused
    cross-modal Transformer (MiniLM states + the small CNN) as printed (:data:`FUSED`) and
    with the heads' logits fused (:data:`FUSED_LOGITS`, ``fuse="logits"``), the two simpler
    fusions (:data:`BASELINES`) and the three ablations of Table 3 (:data:`ABLATIONS`, on
    :data:`FUSED_LOGITS`). All
    predict polarity and valence/arousal (``va``, weighted by ``weight`` in the
    multi-output loss). Teaching sizes (ours): ``dim`` wide attention, CNN width
    ``audio_width``, ResNet-50 at ``resnet_width`` channels in its first stage (the real
    one has 64). Built on call (importing this module does not import torch).

    Taught in ``10_wang_crossmodal_transformer``.
    """
    from mer_lessons.evaluation import ModelSpec
    from mer_lessons.models import wang

    def wrap(model, **kw):
        return wang.WindowInputs(model, targets="va", weight=weight, **kw)

    def text_only(kind):
        def make(dims, n_classes):
            if kind == "minilm":
                return wrap(wang.SingleModality(dims["text"], hidden=dim, n_classes=n_classes), audio=None)
            encoder = wang.text_encoder(kind, vocab_size=vocab_size)
            return wrap(wang.SingleModality(encoder.hidden_size, hidden=dim, n_classes=n_classes), text="ids",
                        audio=None, text_encoder=encoder)
        return make

    def audio_only(kind):
        def make(dims, n_classes):
            branch = wang.AudioBranch(kind, out_dim=dim, width=resnet_width if kind == "resnet50" else audio_width)
            return wrap(wang.SingleModality(dim, hidden=dim, n_classes=n_classes), text=None, text_mask=None,
                        audio="mel", audio_branch=branch)
        return make

    def fused(kind="transformer", **switches):
        def make(dims, n_classes):
            branch = wang.AudioBranch("cnn", out_dim=dim, width=audio_width)
            if kind in ("transformer", "logits"):
                model = wang.CrossModalTransformer(dims["text"], dim, dim=dim, heads=4, n_classes=n_classes,
                                                   fuse="logits" if kind == "logits" else "probabilities", **switches)
            else:
                model = (wang.EarlyFusion if kind == "early" else wang.LateFusion)(dims["text"], dim, hidden=dim,
                                                                                  n_classes=n_classes)
            return wrap(model, audio="mel", audio_branch=branch)
        return make

    states, ids, mel = ("text", "text_mask", "va"), ("ids", "text_mask", "va"), ("mel", "va")
    both = ("text", "text_mask", "mel", "va")
    specs = [ModelSpec(name, "fusion", text_only(kind), inputs=states if kind == "minilm" else ids, regression="va")
             for name, kind in TEXT_ENCODERS.items()]
    specs += [ModelSpec(name, "fusion", audio_only(kind), inputs=mel, regression="va")
              for name, kind in AUDIO_BRANCHES.items()]
    specs.append(ModelSpec(FUSED, "fusion", fused(), inputs=both, regression="va"))
    specs.append(ModelSpec(FUSED_LOGITS, "fusion", fused("logits"), inputs=both, regression="va"))
    specs += [ModelSpec(name, "fusion", fused(kind), inputs=both, regression="va") for name, kind in BASELINES.items()]
    specs += [ModelSpec(name, "fusion", fused("logits", **{switch: False}), inputs=both, regression="va")
              for name, switch in ABLATIONS.values()]
    return specs

_NO_DATA = ("the paper's data, split and training settings are not given, and 'MUSIC' is never described; "
            "our numbers come from other lyrics + audio data")
_NOT_BUILT = "the baseline is not built in the course (the paper gives no reference or settings for it)"

CLAIMS = [
    Claim("emotify_text_f1", "Text only, the proposed method reaches F1 82.36 on Emotify (MAE 0.659).", 82.36, "%",
          "Table 1; Sec. 3", "Macro F1 of the text branch alone on the chapter's lyrics data.", "macro_f1",
          False, _NO_DATA),
    Claim("emotify_audio_f1", "Audio only, F1 73.52 on Emotify (MAE 0.645).", 73.52, "%", "Table 1; Sec. 3",
          "Macro F1 of the audio branch alone.", "macro_f1", False, _NO_DATA),
    Claim("emotify_fusion_mae", "Text + audio: the lowest MAE on Emotify, 0.615.", 0.615, "MAE", "Table 1; Sec. 3",
          "MAE of the fused model's valence/arousal output.", "mae", False, _NO_DATA),
    Claim("emotify_fusion_f1", "Text + audio: F1 72.36 on Emotify, below MuSE-Net's 76.32.", 72.36, "%",
          "Table 1; Sec. 3", "Macro F1 of the fused model.", "macro_f1", False, _NO_DATA),
    Claim("music_fusion_f1", "Text + audio: the highest F1 on MUSIC, 78.36 (MAE 0.668).", 78.36, "%",
          "Table 2; Sec. 3", "Macro F1 of the fused model.", "macro_f1", False, _NO_DATA),
    Claim("music_text_mae", "Text only, MAE 0.635 on MUSIC, below ViT (0.745) and CLIP (0.756).", 0.635, "MAE",
          "Table 2; Sec. 3", "MAE of the text branch alone.", "mae", False, _NO_DATA),
    Claim("fusion_beats_single_modality", "Fusing text and audio beats either modality alone.", None, "",
          "Abstract; Sec. 3", "Macro F1 and MAE of text only, audio only and fused models on the same split.",
          "macro_f1", True, None),
    Claim("fusion_worse_than_text_emotify", "Contradiction: on Emotify the fused F1 (72.36) is 10 points below "
          "the text-only F1 (82.36).", "72.36 (Text+Audio) vs 82.36 (Text)", "%", "Table 1",
          "Read from the typed table; the chapter compares its own fused and text-only F1.", "macro_f1", True, None),
    Claim("ablation_cross_attention", "Removing multi-head cross attention drops accuracy to 71.23 % on Emotify "
          "(from 74.25) and to 68.23 % on MUSIC (from 74.69).", -3.02, "percentage points", "Table 3; Sec. 3",
          "Accuracy of the model without cross attention minus the full model on the same split.",
          "accuracy", True, None),
    Claim("ablation_self_attention", "Removing self-attention lowers accuracy to 72.65 % on Emotify.", -1.60,
          "percentage points", "Table 3", "Accuracy without self-attention minus the full model.",
          "accuracy", True, None),
    Claim("ablation_transformer", "Removing the Transformer encoder lowers accuracy to 72.89 % on Emotify.",
          -1.36, "percentage points", "Table 3", "Accuracy without the encoder minus the full model.",
          "accuracy", True, None),
    Claim("ablation_full_best", "The full model has the highest accuracy and F1 on both datasets.", None, "",
          "Table 3; Sec. 3", "Rank of the full model among the four ablation configurations.", None, True, None),
    Claim("ablation_f1_vs_table1", "Contradiction: the full model's F1 is 74.58 (Emotify) and 75.68 (MUSIC) in "
          "Table 3 but 72.36 and 78.36 in Tables 1-2.", "74.58 (Table 3) vs 72.36 (Table 1)", "%",
          "Tables 1-3", "Read from the typed tables.", None, True, None),
    Claim("ablation_order_text", "Contradiction: the text says removing self-attention and then the encoder "
          "'further' lowers performance, but both score above the model without cross attention.",
          "72.65 and 72.89 vs 71.23", "%", "Table 3; Sec. 3", "Read from the typed table.", None, True, None),
    Claim("dropratio_text_08", "With 80 % of the text dropped, the proposed method keeps F1 about 50, while "
          "AudioTextFusionNet falls below 40.", 50.0, "%", "Fig. 5; Sec. 3",
          "Macro F1 of the fused model when a share 0.8 of the text tokens is removed at test time.",
          "macro_f1", True, None),
    Claim("dropratio_audio_06", "With 60 % of the audio dropped, F1 stays about 60.", 60.0, "%", "Fig. 6; Sec. 3",
          "Macro F1 of the fused model when a share 0.6 of the audio frames is removed at test time.",
          "macro_f1", True, None),
    Claim("dropratio_margin", "At high drop ratios the proposed method's F1 is 10-20 points above the baselines.",
          "10-20", "percentage points", "Sec. 3",
          "F1 difference to a baseline at drop ratio 0.8.", "macro_f1", False, _NOT_BUILT),
    Claim("conclusion_text_f1_gain", "Conclusion: text F1 improves by 14.84 % (the margin over MAGNet, 82.36 - "
          "67.52; over the best baseline MuSE-Net it is 8.13).", 14.84, "percentage points", "Sec. 4; Table 1",
          "Read from the typed table.", None, True, None),
    Claim("conclusion_audio_f1_gain", "Conclusion: audio F1 improves by 8.4 % (73.52 vs AudioTextFusionNet's 65.12).",
          8.4, "percentage points", "Sec. 4; Table 1", "Read from the typed table.", None, True, None),
    Claim("conclusion_fusion_mae_gain", "Conclusion: after fusion MAE decreases by 12.4 %; no pair of numbers in "
          "Tables 1-2 gives 12.4 (Emotify: 10.2 % below the best baseline).", 12.4, "%", "Sec. 4",
          "Recomputed from the typed tables.", "mae", True, None),
    Claim("conclusion_fusion_f1_gain", "Conclusion: after fusion F1 increases by 5.04 %; no pair of numbers in "
          "Tables 1-2 gives it (MUSIC: +3.84 points over CLIP; Emotify: 3.96 below MuSE-Net).", 5.04, "%",
          "Sec. 4", "Recomputed from the typed tables.", "macro_f1", True, None),
    Claim("beats_baselines", "The proposed method beats ViT, CLIP, MAGNet, MuSE-Net, CoAtt-Music, MusicGNN and "
          "AudioTextFusionNet.", None, "", "Tables 1-2", "Not measured: none of the seven baselines is built.",
          None, False, _NOT_BUILT),
]
