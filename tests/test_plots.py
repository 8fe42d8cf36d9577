"""mer_lessons.plots: helpers draw on the axes they are given, with the course look."""

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from mer_lessons import plots, signals  # noqa: E402


def test_plots_draw_on_given_axes():
    plots.use_course_style()
    fig, axes = plots.figure(1, 3)
    y = signals.sine(440, duration=0.1)
    plots.waveform(y, 16000, ax=axes[0])
    freqs = np.fft.rfftfreq(len(y), 1 / 16000)
    plots.spectrum(freqs, np.abs(np.fft.rfft(y)), ax=axes[1], db=True, fmax=2000)
    plots.spectrogram(np.random.rand(5, 8), sr=16000, hop_length=160, ax=axes[2])
    assert len(axes[0].lines) == 1 and axes[1].get_xlim() == (0, 2000)
    assert axes[2].get_xlabel() == "time (s)"
    plt.close(fig)


def test_spectrogram_colorbar_is_labelled():
    fig, ax = plots.figure()
    plots.spectrogram(np.zeros((3, 4)), sr=100, hop_length=10, ax=ax, colorbar_label="share of max")
    assert fig.axes[-1].get_ylabel() == "share of max"
    plt.close(fig)


def test_piano_roll_draws_one_bar_per_note_and_a_legend_per_part():
    import pandas as pd

    notes = pd.DataFrame({"onset": [0.0, 0.5, 0.5], "duration": [0.4, 0.4, 0.9], "pitch": [60, 64, 48],
                          "part": ["melody", "melody", "bass"]})
    fig, ax = plots.figure()
    plots.piano_roll(notes, ax=ax)
    bars = [c for c in ax.collections if c.get_alpha() != 0]
    assert len(bars) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["melody", "bass"]
    plt.close(fig)


def test_circumplex_places_points_and_prototypes():
    fig, ax = plots.figure()
    plots.circumplex(ax=ax, points=[(7, 8), (2, 3)], labels=["a", "b"], prototypes={"joy": (7.8, 6.2)})
    assert ax.get_xlim() == (1, 9) and ax.get_ylim() == (1, 9)
    texts = [t.get_text() for t in ax.texts]
    assert {"Q1", "Q2", "Q3", "Q4", "joy", "a", "b"} <= set(texts)
    plt.close(fig)


def test_image_strip_and_signal_traces():
    fig, axes = plots.image_strip([np.zeros((4, 4), dtype=np.uint8)] * 3, titles=["a", "b", "c"])
    assert len(axes) == 3 and axes[1].get_title() == "b"
    plt.close(fig)
    fig, axes = plots.signal_traces({"eeg": (np.zeros(256), 128, "uV"), "gsr": (np.ones(64), 32, "uS")}, seconds=1.0)
    assert len(axes) == 2 and len(axes[0].lines[0].get_xdata()) == 128 and len(axes[1].lines[0].get_xdata()) == 32
    plt.close(fig)
    import pytest
    with pytest.raises(ValueError):
        plots.image_strip([])


def test_circumplex_regions_shade_the_plane():
    from mer_lessons.data.labels import KIRAR3_PROTOTYPES

    fig, ax = plots.figure()
    plots.circumplex(ax=ax, prototypes=KIRAR3_PROTOTYPES, regions=True)
    image = ax.images[0].get_array()
    assert image.shape == (161, 161) and set(np.unique(image)) == {0, 1, 2}
    plt.close(fig)


# --------------------------------------------------------------------------- interactive (plotly)

import base64  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

go = pytest.importorskip("plotly.graph_objects")


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def shown(monkeypatch):
    """What show_interactive passes to IPython.display.display (raw bundles)."""
    bundles = []

    def fake_display(*objs, raw=False, **kwargs):
        assert raw, "show_interactive should publish raw MIME bundles"
        bundles.extend(objs)

    monkeypatch.setattr("IPython.display.display", fake_display)
    monkeypatch.setattr("mer_lessons.environment.on_colab", lambda: False)
    return bundles


def ratings(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "valence": rng.uniform(1, 9, n), "arousal": rng.uniform(1, 9, n),
        "clip": [f"clip_{i // 10:03d}" for i in range(n)], "listener": rng.integers(0, 40, n),
        "tempo": rng.uniform(60, 180, n), "mode": rng.choice(["major", "minor"], n),
        "quadrant": rng.choice(["Q1", "Q2", "Q3", "Q4"], n)})


def histories(models=("cnn", "lstm", "fusion"), epochs=12):
    rng = np.random.default_rng(1)
    return {name: pd.DataFrame({"train_loss": rng.random(epochs), "val_loss": rng.random(epochs)}) for name in models}


def decoded(bundle):
    return json.loads(json.dumps(bundle["application/vnd.plotly.v1+json"]))


def test_interactive_scatter_one_trace_per_category_with_hover_fields(offline):
    frame = ratings(200)
    fig = plots.interactive_scatter(frame, "valence", "arousal", color="quadrant",
                                    hover=("clip", "listener", "tempo", "mode"), title="ratings")
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["Q1", "Q2", "Q3", "Q4"] and fig.layout.showlegend
    assert sum(len(t.x) for t in fig.data) == 200
    template = fig.data[0].hovertemplate
    for field in ("valence", "arousal", "quadrant", "clip", "listener", "tempo", "mode"):
        assert field in template
    first = fig.data[0]
    row = frame[frame["quadrant"] == "Q1"].iloc[0]
    assert list(first.customdata[0][:3]) == ["Q1", row["clip"], row["listener"]]
    assert fig.layout.xaxis.title.text == "valence" and tuple(fig.layout.xaxis.range) == (1, 9)
    assert fig.layout.yaxis.scaleanchor == "x"  # the VA plane, drawn as circumplex() does
    assert {a.text for a in fig.layout.annotations} == {"Q1", "Q2", "Q3", "Q4"}


def test_interactive_scatter_numeric_colour_is_continuous_and_plane_is_automatic_only_for_va():
    frame = ratings(100)
    fig = plots.interactive_scatter(frame, "tempo", "arousal", color="tempo")
    assert len(fig.data) == 1 and fig.data[0].marker.showscale and not fig.layout.showlegend
    assert fig.layout.yaxis.scaleanchor is None and not fig.layout.annotations
    with pytest.raises(KeyError, match="no column"):
        plots.interactive_scatter(frame, "valence", "nope")


def test_interactive_scatter_samples_down_to_max_points():
    fig = plots.interactive_scatter(ratings(500), "valence", "arousal", max_points=120)
    assert len(fig.data[0].x) == 120 and "random 120 of 500" in fig.layout.title.text


def test_interactive_spectrogram_downsamples_and_keeps_axes(offline):
    S = np.full((1025, 3000), -80.0)
    S[100, 1234] = 0.0  # one loud cell must survive the block maximum
    fig = plots.interactive_spectrogram(S, 22050, 512, max_frames=300, max_bins=100)
    heatmap = fig.data[0]
    z = np.asarray(heatmap.z)
    assert isinstance(heatmap, go.Heatmap) and z.shape[0] <= 100 and z.shape[1] <= 300
    assert z.max() == 0 and z.min() == -80 and z.dtype == np.int8
    assert heatmap.y[0] == pytest.approx(0, abs=120) and heatmap.y[-1] == pytest.approx(11025, abs=150)
    assert heatmap.x[-1] == pytest.approx(3000 * 512 / 22050, rel=0.01)
    assert fig.layout.xaxis.title.text == "time (s)" and fig.layout.yaxis.title.text == "frequency (Hz)"
    small = plots.interactive_spectrogram(np.array([[0.0, -np.inf], [np.nan, -10.0]]), 100, 10)
    assert np.asarray(small.data[0].z).tolist() == [[0, -10], [-10, -10]]
    with pytest.raises(ValueError, match="y_coords"):
        plots.interactive_spectrogram(np.zeros((3, 4)), 100, 10, y_coords=[1, 2])


def test_interactive_curves_one_toggleable_trace_per_model(offline):
    from mer_lessons.train import History

    history = History()
    for epoch in range(3):
        history.append_epoch({"loss": 1.0 / (epoch + 1), "accuracy": 0.5}, {"loss": 1.2, "accuracy": 0.4},
                             lr=1e-3, seconds=1.0)
    runs = {**histories(), "fit": history, "lists": {"val_loss": [0.9, 0.8]}}
    fig = plots.interactive_curves(runs)
    assert [t.name for t in fig.data] == ["cnn", "lstm", "fusion", "fit", "lists"]
    assert fig.layout.showlegend and fig.layout.legend.groupclick == "togglegroup"
    assert list(fig.data[3].x) == [1, 2, 3] and list(fig.data[3].y) == [1.2, 1.2, 1.2]
    both = plots.interactive_curves(histories(), y=("train_loss", "val_loss"))
    assert len(both.data) == 6 and {t.legendgroup for t in both.data} == {"cnn", "lstm", "fusion"}
    with pytest.raises(KeyError, match="val_accuracy"):
        plots.interactive_curves(histories(), y="val_accuracy")


@pytest.mark.parametrize("make", ["scatter", "spectrogram", "curves"])
def test_show_interactive_stores_plotly_json_and_a_png_in_one_small_output(make, shown, offline):
    fig = {"scatter": lambda: plots.interactive_scatter(ratings(1000), "valence", "arousal", color="quadrant",
                                                        hover=("clip", "listener", "tempo", "mode")),
           "spectrogram": lambda: plots.interactive_spectrogram(
               np.random.default_rng(0).normal(-40, 15, (1025, 4000)), 22050, 512),
           "curves": lambda: plots.interactive_curves(histories(epochs=50), y=("train_loss", "val_loss"))}[make]()
    plots.show_interactive(fig)
    assert len(shown) == 1
    bundle = shown[0]
    assert set(bundle) == {"application/vnd.plotly.v1+json", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert decoded(bundle)["data"][0]["type"] in {"scatter", "heatmap"}
    assert "plotly.min.js" not in json.dumps(bundle) and "<script" not in json.dumps(bundle)
    assert len(json.dumps(bundle)) < 300_000


def test_show_interactive_uses_the_colab_renderer_on_colab(shown, monkeypatch):
    monkeypatch.setattr("mer_lessons.environment.on_colab", lambda: True)
    plots.show_interactive(plots.interactive_curves(histories()))
    assert set(shown[0]) == {"text/html", "image/png", "text/plain"}
    assert "Plotly.newPlot" in shown[0]["text/html"]


def test_show_interactive_takes_a_static_figure_for_any_plotly_figure(shown):
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    with pytest.raises(ValueError, match="static"):
        plots.show_interactive(fig)
    static, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    plots.show_interactive(fig, static=static)
    plots.show_interactive(fig, static=lambda: ax)
    assert len(shown) == 2 and all("image/png" in b for b in shown)
    assert not plt.fignum_exists(static.number)  # closed, so the inline backend does not show it again


def test_without_plotly_the_static_figure_is_shown_with_one_line(monkeypatch, shown, capsys):
    for name in [m for m in sys.modules if m == "plotly" or m.startswith("plotly.")] + ["plotly"]:
        monkeypatch.setitem(sys.modules, name, None)  # import plotly... now raises ImportError
    figs = [plots.interactive_scatter(ratings(50), "valence", "arousal", color="mode"),
            plots.interactive_spectrogram(np.zeros((5, 8)), 100, 10),
            plots.interactive_curves(histories())]
    for fig in figs:
        plots.show_interactive(fig)
    assert capsys.readouterr().out.splitlines() == [plots.PLOTLY_MISSING] * 3
    assert [set(b) for b in shown] == [{"image/png", "text/plain"}] * 3
    with pytest.raises(ImportError, match=r'pip install "mer_lessons\[plots\]"'):
        figs[0].update_layout(title="x")


def _summary():
    import pandas as pd

    return pd.DataFrame({"accuracy": [0.6, 0.5, 0.4], "accuracy_low": [0.55, np.nan, 0.3],
                         "accuracy_high": [0.65, np.nan, 0.5], "repeats": [5, 1, 5]}, index=["A", "B", "C"])


def test_scores_with_intervals_with_and_without_paper_values():
    import pandas as pd

    fig, ax = plots.figure()
    out = plots.scores_with_intervals(_summary(), "accuracy", ax=ax, paper=pd.Series({"A": 0.7, "C": np.nan}))
    assert out is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    assert len(ax.containers) == 1                                   # whiskers for A and C only
    assert len(ax.containers[0].lines[0].get_xdata()) == 2
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["no interval (1 repeat)"]                       # B has one repeat
    paper = [line for line in ax.lines if line.get_label() == "paper"]
    assert len(paper) == 1 and list(paper[0].get_xdata()) == [0.7]  # NaN paper value: no marker
    plt.close(fig)
    fig, ax = plots.figure()
    plots.scores_with_intervals(_summary().drop(index="B"), "accuracy", ax=ax, scale=100)
    assert not ax.texts and not [line for line in ax.lines if line.get_label() == "paper"]
    assert ax.containers[0].lines[0].get_xdata()[0] == 60.0
    plt.close(fig)


def test_architecture_of_a_hao_recognizer_and_a_sequential():
    import torch
    from torch import nn

    from mer_lessons.models import hao

    torch.manual_seed(0)
    model = hao.HaoRecognizer({"audio": 6, "physio": 3}, 4, code_dim=2, ae_hidden=8, lstm_hidden=4)
    batch = {"audio": torch.randn(2, 5, 6), "physio": torch.randn(2, 5, 3)}
    table, ax = plots.architecture(model, batch)
    assert table["parameters"].sum() == sum(p.numel() for p in model.parameters())
    shapes = dict(zip(table["block"], table["output shape"]))
    assert shapes["autoencoders.audio.encoder"] == "(2, 5, 2)" and shapes["fusion"] == "(2, 5, 4)"
    assert shapes["lstm"].startswith("[(2, 5, 8)") and shapes["head"] == "(2, 4)"
    assert shapes["autoencoders.physio.decoder"] == "not run in forward"
    assert {"fusion", "lstm", "dropout", "head"} <= set(table["block"])
    assert list(table["block"]).index("fusion") < list(table["block"]).index("head")   # order they ran
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "input audio" in texts and "input physio" in texts and "LSTM -> (2, 5, 8)" in texts
    assert len(ax.patches) == table["called"].sum() + 2              # one box per block run and per input
    assert "not run in forward: autoencoders.audio.decoder (Sequential)" in texts
    plt.close(ax.figure)

    seq = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 3), nn.Tanh()))
    table, ax = plots.architecture(seq, torch.randn(7, 4))
    assert list(table["block"]) == ["0", "1", "2"] and list(table["output shape"]) == ["(7, 8)", "(7, 8)", "(7, 3)"]
    assert table["parameters"].sum() == sum(p.numel() for p in seq.parameters())
    deep, _ = plots.architecture(seq, torch.randn(7, 4), max_depth=2, draw=False)
    assert list(deep["block"]) == ["0", "1", "2.0", "2.1"] and _ is None
    plt.close(ax.figure)
