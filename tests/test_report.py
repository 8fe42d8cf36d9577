"""The reproducibility report (mer_lessons.report): records, recomputed verdicts, the files it writes."""

import json
import math

import pandas as pd
import pytest

from mer_lessons import evaluation, report
from mer_lessons.papers import PAPERS
from mer_lessons.validation import UnknownOptionError

SETTINGS = {"SMOKE": False, "SEED": 0, "DATASET": "mini", "DEVICE": "cpu", "REPEATS": 5}

#: Three constructed cases for Hao et al.'s claims: one clearly matching the paper, one clearly
#: different, one whose interval holds both the paper's value and "no effect".
CASES = {
    "table3_latency": {"mean": 24.0, "low": 23.5, "high": 25.0, "repeats": 5},                  # paper 24.3 ms
    "beats_cnn_rnn_accuracy": {"difference": 20.0, "low": 18.0, "high": 22.0, "repeats": 5},    # paper +4.3 pp
    "beats_lstm_attention": {"difference": 2.0, "low": -3.0, "high": 7.0, "repeats": 5},        # paper +2.2 pp
    "f1_margin_cnn_cnngru": {"difference": 0.05, "low": math.nan, "high": math.nan, "repeats": 1},  # one repeat
}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "results"


def test_verdicts_are_recomputed_from_the_intervals_of_a_record(folder):
    table = report.record_claims("hao", CASES, settings=SETTINGS, folder=folder)
    record = report.load_record("hao", folder=folder)
    again = report.claims_table("hao", record)
    expected = {"table3_latency": evaluation.REPRODUCED, "beats_cnn_rnn_accuracy": evaluation.NOT_REPRODUCED,
                "beats_lstm_attention": evaluation.CANNOT_TELL, "f1_margin_cnn_cnngru": evaluation.CANNOT_TELL}
    for key, verdict in expected.items():
        assert table.loc[key, "verdict"] == verdict, key
        assert again.loc[key, "verdict"] == verdict, key
    assert again.loc["table3_latency", "paper_value"] == 24.3 and again.loc["table3_latency", "ours"] == 24.0
    # the verdict is not stored: changing the stored interval changes the verdict
    data = json.loads(record.path.read_text())
    assert "verdict" not in json.dumps(data["values"])
    data["values"]["table3_latency"].update(low=30.0, high=31.0, mean=30.5)
    record.path.write_text(json.dumps(data))
    assert report.claims_table("hao", report.load_record("hao", folder=folder)).loc[
        "table3_latency", "verdict"] == evaluation.NOT_REPRODUCED


def test_the_chapters_allowances_are_kept(folder):
    one_sided = {"table3_latency": {"mean": 5.0, "low": 4.0, "high": 6.0, "repeats": 5}}  # far faster than 24.3 ms
    report.record_claims("hao", one_sided, settings=SETTINGS, folder=folder,
                         higher_is_better={"table3_latency": False})
    table = report.claims_table("hao", report.load_record("hao", folder=folder))
    assert table.loc["table3_latency", "verdict"] == evaluation.REPRODUCED   # "at most 24.3 ms"
    report.record_claims("hao", one_sided, settings=SETTINGS, folder=folder)
    table = report.claims_table("hao", report.load_record("hao", folder=folder))
    assert table.loc["table3_latency", "verdict"] == evaluation.NOT_REPRODUCED


def test_a_missing_record_gives_not_measured_rows_naming_the_chapter():
    table = report.claims_table("liu", None)
    testable = [c for c in PAPERS["liu"].CLAIMS if c.testable and not isinstance(c.paper_value, str)
                and c.paper_value is not None]
    assert set(table.loc[[c.key for c in testable], "verdict"]) == {evaluation.NOT_MEASURED}
    assert PAPERS["liu"].CHAPTER in table.loc[testable[0].key, "why"]
    assert (table.loc[[c.key for c in PAPERS["liu"].CLAIMS if not c.testable], "verdict"]
            == evaluation.NOT_TESTABLE).all()


def test_smoke_and_default_records_are_kept_apart_and_written_atomically(folder):
    report.record_claims("zhao", {}, settings={**SETTINGS, "SMOKE": True}, folder=folder)
    assert report.load_record("zhao", folder=folder) is None
    smoke = report.load_record("zhao", smoke=True, folder=folder)
    assert smoke.smoke and smoke.chapter == PAPERS["zhao"].CHAPTER and "recompute" in smoke.describe()
    assert [p.name for p in folder.iterdir()] == ["zhao.smoke.json"]  # no temporary file left


def test_bad_input_to_the_report_is_named(folder):
    with pytest.raises(UnknownOptionError, match="paper"):
        report.record_claims("nobody", {}, settings=SETTINGS, folder=folder)
    with pytest.raises(UnknownOptionError, match="values.*'no_such_claim'"):
        report.record_claims("hao", {"no_such_claim": CASES["table3_latency"]}, settings=SETTINGS, folder=folder)
    with pytest.raises(UnknownOptionError, match="dataset"):
        report._dataset_choices("hao:deap", ["hao"])
    assert report._dataset_choices("real", ["hao", "liu"]) == {"hao": "deap", "liu": "meld"}
    assert report._dataset_choices("liu=iemocap", ["hao", "liu"]) == {"hao": "mini", "liu": "iemocap"}


def test_an_unreadable_record_is_ignored_with_a_warning(folder):
    report.record_claims("wang", {}, settings=SETTINGS, folder=folder)
    report.results_path("wang", folder=folder).write_text("{not json")
    with pytest.warns(UserWarning, match="ignoring"):
        assert report.load_record("wang", folder=folder) is None


def test_every_not_testable_claim_is_listed_with_what_to_run():
    table = report.not_testable_here()
    expected = [(p, c.key) for p, m in PAPERS.items() for c in m.CLAIMS if not c.testable]
    assert list(zip(table["paper"], table["claim"])) == expected
    deap = table[(table["paper"] == "hao") & (table["claim"] == "table3_accuracy")].iloc[0]
    assert "--dataset hao=deap" in deap["with it, run"]


def test_forest_plot_and_overview_cover_the_measured_claims(folder):
    import matplotlib.pyplot as plt

    report.record_claims("hao", CASES, settings=SETTINGS, folder=folder)
    tables = {p: report.claims_table(p, report.load_record(p, folder=folder)) for p in PAPERS}
    counts = report.overview(tables)
    assert counts.loc["hao", evaluation.REPRODUCED] == 1 and counts.loc["hao", evaluation.NOT_REPRODUCED] == 1
    assert (counts["claims"] == pd.Series({p: len(m.CLAIMS) for p, m in PAPERS.items()})).all()
    fig = report.forest_plot(tables)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "hao: table3_latency" in labels and "hao: beats_cnn_rnn_accuracy" in labels
    plt.close(fig)


def test_the_report_command_writes_markdown_and_html_with_every_claim(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_LESSONS_DATA", str(tmp_path / "data"))
    report.record_claims("hao", CASES, settings=SETTINGS)
    for paper in ("zhao", "wang", "kirar", "liu"):   # recorded: the command runs no chapter
        report.record_claims(paper, {}, settings=SETTINGS)
    out = tmp_path / "report"
    assert report.main(["--out", str(out), "--no-realtime"]) == 0
    markdown = (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert (out / "forest.png").stat().st_size > 1000
    for paper, module in PAPERS.items():
        assert module.CITATION.short() in markdown
        for claim in module.CLAIMS:
            assert claim.text.replace("|", "\\|").replace("\n", " ") in markdown, (paper, claim.key)
    assert "| table3_latency |" in markdown and evaluation.REPRODUCED in markdown
    assert "torch" in markdown and "OMP_WAIT_POLICY" in markdown  # the environment


def test_run_chapters_passes_dataset_device_and_repeats_to_each_chapter(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from mer_lessons import course

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for module in PAPERS.values():
        (notebooks / f"{module.CHAPTER}.ipynb").write_text("{}")
    calls = []

    def fake_run(paths, out, parameters, **options):
        calls.append((paths[0].name, parameters))
        return SimpleNamespace(results=[SimpleNamespace(error=None, seconds=1.5)])

    monkeypatch.setattr(course, "run_course", fake_run)
    seconds = report.run_chapters(["hao", "liu"], dataset="real", device="cuda", repeats=10, notebooks=notebooks,
                                  out=tmp_path / "out", progress=False)
    assert seconds == {"hao": 1.5, "liu": 1.5}
    assert calls == [("08_hao_realtime_fusion.ipynb", {"SMOKE": False, "DEVICE": "cuda", "DATASET": "deap", "REPEATS": 10}),
                     ("12_liu_bimodal_audio_video.ipynb", {"SMOKE": False, "DEVICE": "cuda", "DATASET": "meld", "FOLDS": 10})]
    with pytest.raises(FileNotFoundError, match="no course notebooks"):
        report.run_chapters(["hao"], notebooks=tmp_path / "elsewhere")
