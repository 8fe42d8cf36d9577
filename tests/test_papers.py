"""mer_lessons.papers: references, typed tables and claims of the five papers."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_lessons import papers
from mer_lessons.papers import hao, kirar, liu, wang, zhao

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["hao", "zhao", "wang", "kirar", "liu"]

#: Metric columns a claim may name (our results tables use these names).
METRICS = {"accuracy", "ua", "g_mean", "macro_precision", "macro_recall", "macro_f1", "weighted_precision",
           "weighted_recall", "weighted_f1", "average_score", "latency_ms", "inference_ms", "mae", "correlation",
           "train_s"}


def _tables(module):
    return {name: value for name, value in vars(module).items()
            if isinstance(value, pd.DataFrame) and not name.startswith("_")}


def test_papers_maps_every_key_to_its_module():
    assert list(papers.PAPERS) == KEYS
    for key, module in papers.PAPERS.items():
        assert module.KEY == key


@pytest.mark.parametrize("key", KEYS)
def test_citation_is_complete_or_says_what_the_text_lacks(key):
    c = papers.PAPERS[key].CITATION
    assert c.authors and all(re.fullmatch(r"[^,]+, [^,]+", a) for a in c.authors)
    assert c.title.strip() == c.title and len(c.title) > 20
    missing = set(c.not_in_text)
    assert (c.venue is not None) != ("venue" in missing)
    assert (c.year is not None) != ("year" in missing)
    has_link = bool(c.doi or c.url)
    assert has_link != bool({"DOI or URL"} & missing)
    if c.doi:
        assert re.fullmatch(r"10\.\d{4,9}/\S+", c.doi)
    if c.year is not None:
        assert 2000 < c.year < 2030
    doc = " ".join(papers.PAPERS[key].__doc__.replace("*", "").split()).lower()
    if missing:
        assert "not printed" in doc


def test_citations_hold_what_the_texts_print():
    assert hao.CITATION.authors == ("Hao, Xingye", "Li, Honghe", "Wen, Yonggang")
    assert wang.CITATION.doi == "10.18280/ts.420446" and wang.CITATION.year == 2025
    assert liu.CITATION.doi == "10.34028/iajit/23/2/3"
    assert kirar.CITATION.venue == "International Journal of Intelligent Systems and Applications in Engineering"
    assert kirar.CITATION.year == 2024
    assert zhao.CITATION.authors[0] == "Zhao, Hanbing"


@pytest.mark.parametrize("key", KEYS)
def test_cite_in_every_style(key):
    c = papers.PAPERS[key].CITATION
    text = papers.cite(key)
    assert text == papers.cite(key, "text") == c.text()
    assert c.title in text and c.authors[0] in text
    link = f"https://doi.org/{c.doi}" if c.doi else c.url
    if link:
        assert link in text
    if c.not_in_text:
        assert "Not printed in the paper" in text
    short = papers.cite(key, "short")
    family = c.authors[0].split(",")[0]
    assert re.fullmatch(re.escape(family) + r"( et al\.)? \((\d{4}|n\.d\.)\)", short)
    bib = papers.cite(key, "bibtex")
    assert bib.startswith(f"@article{{{key},") and bib.rstrip().endswith("}")
    assert "{" + c.title + "}" in bib and bib.count("{") == bib.count("}")


def test_short_citation_forms():
    assert papers.cite("hao", "short") == "Hao et al. (n.d.)"
    assert papers.cite("wang", "short") == "Wang (2025)"
    assert papers.cite("kirar", "short") == "Kirar et al. (2024)"


def test_unknown_key_or_style_raises_naming_the_choices():
    with pytest.raises(ValueError) as err:
        papers.cite("smith")
    for key in KEYS:
        assert key in str(err.value)
    with pytest.raises(ValueError, match="bibtex"):
        papers.cite("hao", "apa")


@pytest.mark.parametrize("key", KEYS)
def test_every_table_is_a_non_empty_data_frame(key):
    tables = _tables(papers.PAPERS[key])
    assert tables
    for name, table in tables.items():
        assert len(table) and len(table.columns), name
        assert not table.isna().any().any(), name


def test_hao_tables_as_printed():
    first = hao.TABLE3.iloc[0]
    assert first["Model"] == "Our model (Bi-LSTM + Feature fusion)"
    assert list(first.iloc[1:7]) == [87.5, 0.89, 0.88, 0.87, 24.3, 0.88]
    assert hao.TABLE3.set_index("Model").loc["K-Nearest neighbors", "Latency (ms)"] == 48.9
    assert len(hao.TABLE3) == 14 and len(hao.TABLE4) == 7 and len(hao.TABLE2) == 12
    t4 = hao.TABLE4.set_index("Configuration")
    assert list(t4.loc["Without Bi-LSTM"]) == [0.85, 83.4, 0.82, 0.83, 26.7, 0.84]
    assert t4.loc["Full model", "Inference time"] == 22.8


def test_hao_ablations_have_one_home_and_follow_table4():
    pytest.importorskip("torch")
    from mer_lessons.models import hao as hao_models
    assert not hasattr(hao_models, "ABLATIONS")          # one home: papers.hao
    assert list(hao.ABLATIONS) == list(hao.TABLE4["Configuration"])
    assert hao.ABLATIONS["Full model"] == (True, True, True)
    assert len(set(hao.ABLATIONS.values())) == 7 and all(any(v) for v in hao.ABLATIONS.values())


def test_hao_row_models_name_the_models_we_build():
    pytest.importorskip("torch")
    from mer_lessons.models import baselines, sequence
    specs = hao.table3_models()
    built = [name for name in hao.ROW_MODELS.values() if name is not None]
    assert [s.name for s in specs] == built and len(built) == 10
    assert set(sequence.SEQUENCE_MODELS) <= set(built)
    assert {baselines.MODEL_NAMES[k] for k in ("svm", "random_forest", "knn", "mlp")} <= set(built)
    assert {s.kind for s in specs} == {"fusion", "sequence", "sklearn"}
    assert [s.inputs for s in specs if s.name == hao.ROW_MODELS["GRU + Spectrogram features"]] == ["audio"]


def test_hao_beside_columns_name_the_paper_columns():
    for columns, table in ((hao.TABLE3_COLUMNS, hao.TABLE3), (hao.TABLE4_COLUMNS, hao.TABLE4)):
        for label, ours, paper, scale, digits in columns:
            assert paper in table.columns and ours and label and scale in (1.0, 100.0) and digits in (1, 2, 3)


def test_hao_contradictions_hold_in_the_typed_table():
    ours = hao.TABLE3.iloc[0]
    assert ours["F1 score"] - (ours["Precision"] + ours["Recall"]) / 2 > 0.01   # beyond rounding
    mean3 = hao.TABLE3[["F1 score", "Precision", "Recall"]].mean(axis=1).round(2)
    off = hao.TABLE3.loc[~np.isclose(mean3, hao.TABLE3["Average score"]), "Model"]
    assert list(off) == ["MLP-EmotionNet", "Capsule network"]


def test_wang_tables_as_printed():
    assert wang.TABLE1.loc["Proposed Method", ("Text", "F1")] == 82.36
    assert wang.TABLE1.loc["ViT", ("Text", "MAE")] == 0.785
    assert wang.TABLE2.loc["Proposed Method", ("Text+Audio", "F1")] == 78.36
    assert wang.TABLE3.loc["Remove multi-head cross attention", ("Emotify Dataset", "Accuracy")] == 71.23
    assert wang.TABLE3.loc["Proposed Method", ("MUSIC Dataset", "F1")] == 75.68
    assert list(wang.TABLE4.loc["True Label"]) == ["Positive", "Negative", "Neutral"]
    # the contradictions the module documents
    assert wang.TABLE1.loc["Proposed Method", ("Text+Audio", "F1")] < wang.TABLE1.loc["MuSE-Net", ("Text+Audio", "F1")]
    assert wang.TABLE3.loc["Proposed Method", ("Emotify Dataset", "F1")] != wang.TABLE1.loc["Proposed Method",
                                                                                               ("Text+Audio", "F1")]


def test_kirar_table_as_printed_and_the_implied_test_size():
    t = kirar.TABLE1.set_index("Model")
    assert t.loc["Bi-Directional LSTM with Self-Attention Mechanism", "Accuracy"] == 0.89834
    assert t.loc["CNN", "Precision"] == 0.86877
    counts = kirar.CORRECT_COUNTS.set_index("Model")
    implied = counts.sum(axis=1) / t.loc[counts.index, "Accuracy"]
    assert np.allclose(implied, 3373, atol=1)
    assert implied.min() > 0.2 * 13708


def test_liu_tables_as_printed():
    assert liu.TABLE3.loc[500, ("IEMOCAP dataset", "DEAN")] == 49
    assert liu.TABLE3.loc[100, ("Self-built dataset", "Proposed algorithm")] == 17
    m = liu.FIG10_CONFUSION
    assert m.shape == (9, 9) and m.loc["anger", "anger"] == 0.96
    assert round(float(np.diag(m).mean()), 3) == 0.938          # the text says 93.4 %
    sums = m.sum(axis=1).round(2)
    assert sums["trust"] == 1.02 and sums["hate"] == 0.99
    assert (liu.TABLE3.xs("Proposed algorithm", axis=1, level=1).to_numpy()
            < liu.TABLE3.drop(columns="Proposed algorithm", level=1).min(axis=1).to_numpy()[:, None]).all()


def test_zhao_tables_as_printed():
    t7, t9 = zhao.TABLE7.set_index("Model"), zhao.TABLE9.set_index("Model")
    assert t7.loc["MULTISPEC-DNN", "Accuracy"] == 0.624
    assert t7.loc["RCNNLSTM", "Training time (s)"] == 1105.12
    assert t9.loc["LSTM_BLS", "Accuracy"] == 0.661
    assert zhao.TABLE8.set_index("Model").loc["RCNNBL", "Recall"] == 0.618
    assert zhao.TABLE4.iloc[-1].tolist() == ["2,4,5,4", "3,5,7,4", 0.96, 0.63]
    for table in (zhao.TABLE7, zhao.TABLE8, zhao.TABLE9):
        assert list(table["Model"]) == list(zhao.ROW_MODELS)
        harmonic = 2 * table["Precision"] * table["Recall"] / (table["Precision"] + table["Recall"])
        assert (abs(harmonic - table["F1"]) < 0.0025).all()


@pytest.mark.parametrize("key", KEYS)
def test_row_models_cover_the_rows_of_the_main_table(key):
    module = papers.PAPERS[key]
    table = getattr(module, module.MAIN_TABLE)
    if key == "liu":
        rows = list(dict.fromkeys(table.columns.get_level_values(1)))
    elif module.MAIN_ROW_COLUMN is None:
        rows = list(table.index)
    else:
        rows = list(table[module.MAIN_ROW_COLUMN])
    assert list(module.ROW_MODELS) == rows
    if key not in ("hao", "zhao", "wang", "kirar", "liu"):   # chapters not built yet stand for no row
        assert all(v is None for v in module.ROW_MODELS.values())


def test_zhao_table_models_are_named_as_the_rows():
    from mer_lessons.papers import zhao

    specs = zhao.table_models()
    assert [s.name for s in specs] == list(zhao.ROW_MODELS.values())
    heads = {s.name: (s.head, s.train_front) for s in specs}
    assert heads["MCCBL"] == heads["RCNNBL"] == heads["LSTM_BLS"] == ("bls", False)
    assert heads["MCCLSTM"] == ("softmax", True)
    no_chords = zhao.table_models(chords=None)[-1]
    assert "chords" not in no_chords.inputs and "chords" not in no_chords.name


@pytest.mark.parametrize("key", KEYS)
def test_claims_are_complete_with_unique_keys(key):
    claims = papers.PAPERS[key].CLAIMS
    assert len(claims) >= 10
    keys = [c.key for c in claims]
    assert len(keys) == len(set(keys))
    for c in claims:
        assert re.fullmatch(r"[a-z0-9_]+", c.key)
        assert c.text and c.source and c.measure and isinstance(c.unit, str)
        assert c.paper_value is None or isinstance(c.paper_value, (int, float, str))
        assert c.metric is None or c.metric in METRICS, c.metric
        assert isinstance(c.testable, bool)
        assert bool(c.why_not) == (not c.testable), c.key


def test_all_claims_lists_every_claim_once():
    df = papers.all_claims()
    assert list(df.columns) == papers.CLAIM_COLUMNS
    assert len(df) == sum(len(m.CLAIMS) for m in papers.PAPERS.values())
    assert not df.duplicated(["paper", "key"]).any()
    assert set(df["paper"]) == set(KEYS)
    assert df.loc[(df.paper == "hao") & (df.key == "table3_accuracy"), "paper_value"].item() == 87.5


@pytest.mark.parametrize("key", KEYS)
def test_chapter_exists_or_is_planned(key):
    module = papers.PAPERS[key]
    if (ROOT / "notebooks" / f"{module.CHAPTER}.ipynb").exists():
        return
    assert "planned" in module.__doc__
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", module.CHAPTER)


def test_hao_chapter_is_the_current_notebook():
    assert hao.CHAPTER == "08_hao_realtime_fusion"
    assert (ROOT / "notebooks" / "08_hao_realtime_fusion.ipynb").exists()


def test_importing_papers_does_not_import_torch():
    code = "import sys, mer_lessons.papers; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_no_file_cites_the_papers_by_their_development_path():
    files = [p for p in (ROOT / "mer_lessons").rglob("*") if p.is_file() and p.suffix in {".py", ".md", ".txt"}]
    files += sorted((ROOT / "notebooks").glob("*.ipynb"))
    offenders = [str(p.relative_to(ROOT)) for p in files if "shared/papers" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_readme_cites_every_paper():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How to cite"):]
    for key in KEYS:
        c = papers.PAPERS[key].CITATION
        assert c.title in section
        assert (c.doi or c.url or "Not printed in the paper") in section
        assert papers.cite(key, "bibtex") in section


def test_kirar_table_models_are_named_as_the_rows_and_share_one_preparation():
    specs = kirar.table_models()
    names = [s.name for s in specs]
    assert names[:3] == list(kirar.ROW_MODELS.values())
    assert names[3:] == [kirar.ablation_name(w) for w in kirar.ABLATIONS]
    table = specs[:3]
    assert all(s.prepare is table[0].prepare for s in table)           # one fit per split for the three rows
    assert len({id(s.prepare) for s in specs}) == 1 + len(kirar.ABLATIONS)
    by_name = {s.name: s for s in specs}
    assert by_name[kirar.ablation_name("without selection")].prepare.selector is None
    assert by_name[kirar.ablation_name("without the autoencoder")].prepare.codes == {}
    assert by_name[kirar.ablation_name("without spectral subtraction")].prepare.inputs == ("audio_no_ss", "face")
    assert by_name[kirar.ablation_name("audio only")].prepare.inputs == ("audio",)
    assert by_name[kirar.ablation_name("faces only")].prepare.inputs == ("face",)
    extra = kirar.table_models(face_inputs={"random": "face_random"})[-1]
    assert extra.name == "faces only: random" and extra.prepare.inputs == ("face_random",)
    with pytest.raises(KeyError, match="ablations are"):
        kirar.ablation_name("without everything")


def test_liu_table_models_are_the_rows_and_the_ablations():
    specs = liu.table_models()
    names = [s.name for s in specs]
    assert names[:2] == [liu.ROW_MODELS["Proposed algorithm"], liu.ROW_MODELS["LSTM"]]
    assert liu.ROW_MODELS["DEAN"] is None
    assert names[2:] == list(liu.ABLATIONS) + [liu.CROSS_ENTROPY]
    assert all(s.kind == "fusion" and s.inputs == ("mfcc", "functionals", "soundnet", "video") for s in specs)
    assert set(liu.GRADES) == {"trust", "joy", "anxiety", "fear", "surprise", "sadness", "anticipation", "anger",
                               "disgust"}
    assert liu.GRADES["disgust"] == pytest.approx(0.9) and liu.GRADES["trust"] == pytest.approx(0.05)
    model = specs[-1].build({"mfcc": 3, "functionals": 4, "soundnet": 2, "video": 5}, 9)
    assert model.loss == "ce"
