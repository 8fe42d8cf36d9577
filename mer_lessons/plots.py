"""Small matplotlib helpers shared by the notebooks: one look, small stored figures.

Every function draws on an ``ax`` it is given (or a new one) and returns it, so notebooks
can combine panels. Figures are sized to stay small when notebooks are committed with
their outputs. Used from ``01_sound_and_fourier`` on.

The ``interactive_*`` builders make plotly figures (optional extra ``plots``) to explore
rather than look at; :func:`show_interactive` stores each with a static PNG twin, so the
notebook still shows it where no kernel runs (GitHub).
"""

from __future__ import annotations

import numpy as np

#: Default figure width (inches) and dots per inch for stored notebook figures.
FIGURE_WIDTH = 9.0
FIGURE_DPI = 80


def use_course_style() -> None:
    """Set matplotlib defaults for the course: small dpi, readable fonts, light grid.

    Taught in ``01_sound_and_fourier``.
    """
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": FIGURE_DPI,
        "savefig.dpi": FIGURE_DPI,
        "figure.figsize": (FIGURE_WIDTH, 3.0),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
    })


def figure(n_rows: int = 1, n_cols: int = 1, *, height: float = 2.6, width: float = FIGURE_WIDTH, **kwargs):
    """``plt.subplots`` with the course's default size; returns ``(fig, axes)``.

    Taught in ``01_sound_and_fourier``.
    """
    import matplotlib.pyplot as plt

    return plt.subplots(n_rows, n_cols, figsize=(width, height * n_rows), **kwargs)


def _axis(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 2.6))
    return ax


def waveform(y, sr: float, *, ax=None, start: float = 0.0, end: float | None = None, title: str = "waveform",
             **line_options):
    """Plot samples ``y`` (shape ``(T,)``) against time in seconds, between ``start`` and ``end``.

    Taught in ``00_welcome``.
    """
    ax = _axis(ax)
    y = np.asarray(y)
    t = np.arange(len(y)) / sr
    shown = (t >= start) & (t < (end if end is not None else np.inf))
    ax.plot(t[shown], y[shown], lw=0.8, **line_options)
    ax.set(xlabel="time (s)", ylabel="amplitude", title=title)
    return ax


def spectrum(freqs, magnitude, *, ax=None, db: bool = False, fmax: float | None = None,
             title: str = "magnitude spectrum", **line_options):
    """Plot a magnitude spectrum (linear or in dB) against frequency in Hz.

    Taught in ``00_welcome``.
    """
    ax = _axis(ax)
    values = 20 * np.log10(np.maximum(np.asarray(magnitude), 1e-10)) if db else np.asarray(magnitude)
    ax.plot(freqs, values, lw=0.8, **line_options)
    ax.set(xlabel="frequency (Hz)", ylabel="magnitude (dB)" if db else "|X(f)|", title=title)
    if fmax is not None:
        ax.set_xlim(0, fmax)
    return ax


def spectrogram(S_db, *, sr: float, hop_length: int, ax=None, y_coords=None, y_label: str = "frequency (Hz)",
                title: str = "spectrogram", colorbar: bool = True, colorbar_label: str = "dB", cmap: str = "magma",
                **mesh_options):
    """Show a (frequency, frames) array in dB as an image with time in seconds on the x axis.

    ``y_coords`` gives the centre of each row (Hz for a linear spectrogram, or band index /
    mel frequency); by default rows are numbered. Uses ``pcolormesh``, so uneven rows (mel,
    gammatone) are drawn where they belong. ``colorbar_label`` names the values' unit
    (``""`` for MFCC or chroma, which are not in dB).

    Taught in ``01_sound_and_fourier``.
    """
    ax = _axis(ax)
    S_db = np.asarray(S_db)
    times = np.arange(S_db.shape[1]) * hop_length / sr
    rows = np.arange(S_db.shape[0]) if y_coords is None else np.asarray(y_coords)
    mesh = ax.pcolormesh(times, rows, S_db, shading="auto", cmap=cmap, **mesh_options)
    ax.set(xlabel="time (s)", ylabel=y_label, title=title)
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, pad=0.01, label=colorbar_label)
    return ax


#: Colours of the parts of a composed clip in :func:`piano_roll`.
PART_COLOURS = {"melody": "tab:red", "chords": "tab:blue", "bass": "tab:green"}


def piano_roll(notes, *, ax=None, title: str = "piano roll"):
    """Draw notes (DataFrame: onset, duration in s, pitch, optional ``part``) as horizontal bars.

    Taught in ``01_sound_and_fourier``.
    """
    ax = _axis(ax)
    parts = notes["part"] if "part" in notes else ["notes"] * len(notes)
    for part in dict.fromkeys(parts):
        chosen = notes[np.asarray(parts) == part]
        ax.broken_barh(list(zip(chosen["onset"], chosen["duration"])), (0, 0), alpha=0)  # keeps the x range
        for onset, duration, pitch in zip(chosen["onset"], chosen["duration"], chosen["pitch"]):
            ax.broken_barh([(onset, duration)], (pitch - 0.4, 0.8), color=PART_COLOURS.get(part, "tab:gray"))
        ax.plot([], [], color=PART_COLOURS.get(part, "tab:gray"), lw=4, label=str(part))
    ax.set(xlabel="time (s)", ylabel="MIDI pitch", title=title)
    if len(notes):
        ax.legend(fontsize=7, loc="upper right")
    return ax


def circumplex(*, ax=None, points=(), labels=None, prototypes=None, regions: bool = False,
               title: str = "valence-arousal"):
    """The valence-arousal plane (1-9) with its quadrants, optional prototype words and points.

    ``points``: iterable of (valence, arousal); ``labels``: one text per point;
    ``prototypes``: dict name -> (valence, arousal) drawn as grey words (e.g. Liu et al.'s nine);
    ``regions=True`` also shades the part of the plane nearest to each prototype (the rule
    :func:`mer_lessons.data.labels.nearest_prototype` uses to name a point).

    Taught in ``04_emotion_models_and_datasets``.
    """
    ax = _axis(ax)
    if prototypes and regions:
        from mer_lessons.data.labels import nearest_prototype

        grid = np.linspace(1, 9, 161)
        v, a = np.meshgrid(grid, grid)
        names = list(prototypes)
        nearest = nearest_prototype(v, a, prototypes)
        index = np.vectorize(names.index)(nearest)
        ax.imshow(index, origin="lower", extent=(1, 9, 1, 9), cmap="Pastel1", alpha=0.6,
                  vmin=0, vmax=max(len(names) - 1, 1), interpolation="nearest")
    ax.axhline(5, color="gray", lw=0.8)
    ax.axvline(5, color="gray", lw=0.8)
    for text, (x, y) in {"Q1": (8.6, 8.6), "Q2": (1.4, 8.6), "Q3": (1.4, 1.4), "Q4": (8.6, 1.4)}.items():
        ax.text(x, y, text, ha="center", va="center", color="gray", fontsize=9)
    for name, (v, a) in (prototypes or {}).items():
        ax.text(v, a, name, ha="center", va="center", fontsize=7, color="dimgray")
    points = list(points)
    if points:
        v, a = np.asarray(points, dtype=float).T
        ax.scatter(v, a, color="tab:red", zorder=3, s=25)
        for text, x, y in zip(labels or [], v, a):
            ax.annotate(text, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set(xlim=(1, 9), ylim=(1, 9), xlabel="valence", ylabel="arousal", title=title, aspect="equal")
    return ax


def image_strip(images, *, titles=None, width: float = FIGURE_WIDTH, cmap: str = "gray"):
    """Show 2-D images (e.g. face frames, ``(H, W)`` uint8) side by side; returns ``(fig, axes)``.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import matplotlib.pyplot as plt

    images = list(images)
    if not images:
        raise ValueError("image_strip: no images to show")
    fig, axes = plt.subplots(1, len(images), figsize=(width, width / len(images) * 1.25), squeeze=False)
    for ax, image, title in zip(axes[0], images, titles or [""] * len(images)):
        ax.imshow(image, cmap=cmap, vmin=0, vmax=255 if np.asarray(image).dtype == np.uint8 else None)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    return fig, axes[0]


def signal_traces(signals: dict, *, seconds: float | None = None, height: float = 1.1, title: str = ""):
    """Stack several signals over a shared time axis: ``{name: (samples, sample_rate, unit)}``.

    Returns ``(fig, axes)``. ``seconds`` shows only the first seconds.

    Taught in ``04_emotion_models_and_datasets``.
    """
    import matplotlib.pyplot as plt

    if not signals:
        raise ValueError("signal_traces: no signals to show")
    fig, axes = plt.subplots(len(signals), 1, figsize=(FIGURE_WIDTH, height * len(signals) + 0.4), sharex=True,
                             squeeze=False)
    for ax, (name, (samples, rate, unit)) in zip(axes[:, 0], signals.items()):
        samples = np.asarray(samples)
        n = len(samples) if seconds is None else min(len(samples), int(seconds * rate))
        ax.plot(np.arange(n) / rate, samples[:n], lw=0.7)
        ax.set_ylabel(f"{name}\n({unit})", fontsize=8)
    axes[-1, 0].set_xlabel("time (s)")
    if title:
        axes[0, 0].set_title(title)
    return fig, axes[:, 0]


# --------------------------------------------------------------------------- interactive (plotly)
#
# Plotly is the optional extra ``plots`` (``pip install "mer_lessons[plots]"``; Colab's
# bootstrap and requirements.txt install it). Each builder returns a
# ``plotly.graph_objects.Figure`` and remembers a matplotlib twin drawing the same data;
# :func:`show_interactive` stores both in ONE output: the plotly JSON (no plotly.js inside)
# and a small PNG. JupyterLab's plotly renderer (shipped in the plotly wheel) shows the PNG
# and swaps in the interactive figure under the mouse; GitHub and nbconvert, which cannot run
# plotly, show the PNG; Colab gets plotly's "colab" renderer (plotly.js from the CDN).

#: Most points :func:`interactive_scatter` keeps (a seeded random sample beyond that).
MAX_POINTS = 2000
#: Most time frames and frequency rows :func:`interactive_spectrogram` keeps (block maxima).
MAX_FRAMES = 400
MAX_BINS = 128
#: Colours of categories (matplotlib's tab10, so the PNG and the interactive figure agree).
CATEGORY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: A numeric ``color`` column with at most this many distinct values is drawn as categories.
MAX_CATEGORIES = 10
#: The one line :func:`show_interactive` prints when plotly is not installed.
PLOTLY_MISSING = 'plotly is not installed (pip install "mer_lessons[plots]"): showing the static figure only.'

_TEMPLATE = "plotly_white"
_STATIC_ATTRIBUTE = "_mer_static"


def _plotly():
    """``plotly.graph_objects``, or ``None`` when plotly is not installed."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        return None
    return go


class _StaticOnly:
    """What a builder returns without plotly: the static twin, shown by :func:`show_interactive`."""

    def __init__(self, draw, title):
        self._draw = draw
        self._title = title

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise ImportError(f"{PLOTLY_MISSING} ({name!r} needs a plotly figure)")

    def _repr_png_(self):
        return _png(self._draw)


def _finish(fig, draw, title):
    """Attach the matplotlib twin ``draw`` to a plotly figure, or stand in for it."""
    if fig is None:
        return _StaticOnly(draw, title)
    object.__setattr__(fig, _STATIC_ATTRIBUTE, draw)
    return fig


def _png(static) -> bytes:
    """PNG bytes of a matplotlib Figure/Axes, or of what a callable returns; closed after."""
    import io

    from PIL import Image

    drawn = static() if callable(static) else static
    fig = getattr(drawn, "figure", drawn)  # an Axes -> its Figure
    if not hasattr(fig, "savefig"):
        raise TypeError(f"show_interactive: static must be a matplotlib Figure, Axes or a function returning one, "
                        f"got {type(drawn).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    if "matplotlib.pyplot" in __import__("sys").modules:
        import matplotlib.pyplot as plt

        plt.close(fig)  # a pyplot figure would otherwise be shown a second time by the inline backend
    # a 128-colour palette PNG is 3-5 times smaller than RGBA and looks the same at this size
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").quantize(colors=128)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def _new_static_figure(width: float, height: float):
    """A matplotlib Figure outside pyplot (never displayed by the inline backend on its own)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=FIGURE_DPI)
    return fig, fig.add_subplot()


def _is_categorical(values) -> bool:
    import pandas as pd

    values = pd.Series(values)
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return True
    return values.nunique() <= MAX_CATEGORIES


def _hover_column(values) -> list:
    import pandas as pd

    values = pd.Series(values)
    if pd.api.types.is_float_dtype(values):
        return [None if v != v else float(f"{v:.4g}") for v in values.tolist()]
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.tolist()
    return values.astype(str).tolist()


def _va_plane_shapes(fig) -> None:
    for position in ("x", "y"):
        fig.add_shape(type="line", line={"color": "gray", "width": 1}, layer="below",
                      **({"x0": 5, "x1": 5, "y0": 1, "y1": 9} if position == "x" else
                         {"x0": 1, "x1": 9, "y0": 5, "y1": 5}))
    for text, (x, y) in {"Q1": (8.6, 8.6), "Q2": (1.4, 8.6), "Q3": (1.4, 1.4), "Q4": (8.6, 1.4)}.items():
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font={"color": "gray"})
    fig.update_xaxes(range=[1, 9])
    fig.update_yaxes(range=[1, 9], scaleanchor="x", scaleratio=1)


def interactive_scatter(frame, x: str, y: str, *, color: str | None = None, hover=(), title: str | None = None,
                        plane: bool | None = None, max_points: int = MAX_POINTS):
    """Scatter two columns of a DataFrame with a hover box per point; returns a plotly Figure.

    ``frame``: one row per point (e.g. one per clip x listener). ``x``, ``y``: column names.
    ``color``: a column that colours the points: text, booleans or numbers with at most
    :data:`MAX_CATEGORIES` distinct values become one trace per category (click the legend
    to hide or show one); other numbers use a continuous scale with a colour bar. ``hover``:
    more columns shown in the hover box (e.g. ``("clip", "listener", "tempo", "mode")``);
    floats are rounded to 4 significant digits. ``plane``: draw the valence-arousal plane
    (1-9, quadrant lines at 5, equal axes) as :func:`circumplex` does; ``None`` draws it when
    ``x``/``y`` are ``valence``/``arousal`` and every value lies in [1, 9]. More than
    ``max_points`` rows are replaced by a seeded random sample of that size (the title says
    so), so the stored figure stays small (about 60 kB per 1,000 points with four hover
    columns). Built offline. Without plotly it returns a stand-in that :func:`show_interactive`
    shows as the static figure (anything else on it raises ImportError).

    Taught in ``04_emotion_models_and_datasets``.
    """
    import pandas as pd

    hover = [hover] if isinstance(hover, str) else list(hover)
    missing = [c for c in [x, y, color, *hover] if c is not None and c not in frame]
    if missing:
        raise KeyError(f"interactive_scatter: no column {missing} in the frame (has {list(frame.columns)})")
    n_rows = len(frame)
    if n_rows > max_points:
        frame = frame.iloc[np.sort(np.random.default_rng(0).choice(n_rows, max_points, replace=False))]
    title = title if title is not None else f"{y} against {x}"
    if n_rows > max_points:
        title = f"{title} (random {max_points} of {n_rows} points)"
    xs = np.asarray(frame[x], dtype=float)
    ys = np.asarray(frame[y], dtype=float)
    if plane is None:
        plane = (x.lower(), y.lower()) == ("valence", "arousal") and bool(
            np.all((xs >= 1) & (xs <= 9) & (ys >= 1) & (ys <= 9)))
    if color is None:
        groups = [(None, np.ones(len(frame), dtype=bool))]
        continuous = False
    elif _is_categorical(frame[color]):
        values = frame[color].to_numpy()
        groups = [(level, values == level) for level in pd.unique(values)]
        try:
            groups.sort(key=lambda group: group[0])
        except TypeError:
            pass
        continuous = False
    else:
        groups = [(None, np.ones(len(frame), dtype=bool))]
        continuous = True
    shown = [c for c in [color, *hover] if c is not None and c not in (x, y)]
    shown = list(dict.fromkeys(shown))
    custom = list(zip(*[_hover_column(frame[c]) for c in shown])) if shown else None
    template = "<br>".join([f"{x}=%{{x:.3g}}", f"{y}=%{{y:.3g}}"]
                           + [f"{c}=%{{customdata[{i}]}}" for i, c in enumerate(shown)]) + "<extra></extra>"

    def draw():
        fig, ax = _new_static_figure(5.2 if plane else FIGURE_WIDTH, 4.6 if plane else 3.2)
        if plane:
            circumplex(ax=ax, title=title)
        for i, (level, chosen) in enumerate(groups):
            if continuous:
                dots = ax.scatter(xs, ys, c=np.asarray(frame[color], dtype=float), cmap="viridis", s=12, zorder=3)
                fig.colorbar(dots, ax=ax, pad=0.01, label=color)
            else:
                ax.scatter(xs[chosen], ys[chosen], s=12, zorder=3, color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)],
                           label=None if level is None else str(level))
        ax.set(xlabel=x, ylabel=y, title=title)
        if color is not None and not continuous:
            ax.legend(fontsize=7, title=color, title_fontsize=7, loc="best")
        return fig

    go = _plotly()
    if go is None:
        return _finish(None, draw, title)
    fig = go.Figure()
    for i, (level, chosen) in enumerate(groups):
        marker = {"size": 6, "color": CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]}
        if continuous:
            marker = {"size": 6, "color": np.asarray(frame[color], dtype=np.float32), "colorscale": "Viridis",
                      "colorbar": {"title": {"text": color}}, "showscale": True}
        fig.add_trace(go.Scatter(
            x=xs[chosen].astype(np.float32), y=ys[chosen].astype(np.float32), mode="markers", marker=marker,
            name=str(y) if level is None else str(level),
            customdata=None if custom is None else [custom[j] for j in np.flatnonzero(chosen)],
            hovertemplate=template))
    fig.update_layout(template=_TEMPLATE, title={"text": title}, height=480 if plane else 380,
                      margin={"l": 50, "r": 20, "t": 50, "b": 45}, xaxis_title=x, yaxis_title=y,
                      showlegend=color is not None and not continuous, legend_title_text=color or "")
    if plane:
        _va_plane_shapes(fig)
        fig.update_layout(width=560)
    return _finish(fig, draw, title)


def _pool(values, stride: int, axis: int, how):
    starts = np.arange(0, values.shape[axis], stride)
    return how.reduceat(values, starts, axis=axis) if stride > 1 else values


def interactive_spectrogram(S_db, sr: float, hop_length: int, *, y_coords=None, y_label: str = "frequency (Hz)",
                            colorbar_label: str = "dB", title: str | None = None, max_frames: int = MAX_FRAMES,
                            max_bins: int = MAX_BINS):
    """A (frequency, frames) array in dB as a zoomable heatmap; returns a plotly Figure.

    ``S_db``: shape ``(n_rows, n_frames)``; frame ``t`` starts at ``t * hop_length / sr``
    seconds. ``y_coords``: the centre of each row; by default the rows are the
    ``n_fft // 2 + 1`` bins of an STFT, evenly spaced from 0 to ``sr / 2`` Hz (pass mel or
    CQT centre frequencies, or ``np.arange(n_rows)``, for other spectrograms). To keep the
    stored figure small, more than ``max_frames`` frames or ``max_bins`` rows are reduced by
    taking the maximum of each block of neighbouring frames / rows (so thin harmonics and
    onsets stay visible; a block's row coordinate is the mean of its rows), and values are
    rounded to whole dB (stored as int8 when they fit in -128..127, else int16): the default
    400 x 128 keeps the figure under about 90 kB. Non-finite values become the smallest
    (largest) finite one. Drag to zoom, double-click to reset. Built offline; without plotly
    see :func:`interactive_scatter`.

    Taught in ``02_stft_and_spectrograms``.
    """
    S = np.asarray(S_db, dtype=float)
    if S.ndim != 2:
        raise ValueError(f"interactive_spectrogram: S_db must be 2-D (rows, frames), got shape {S.shape}")
    n_rows, n_frames = S.shape
    rows = np.linspace(0, sr / 2, n_rows) if y_coords is None else np.asarray(y_coords, dtype=float)
    if rows.shape != (n_rows,):
        raise ValueError(f"interactive_spectrogram: y_coords has {rows.shape} values for {n_rows} rows")
    finite = S[np.isfinite(S)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    S = np.nan_to_num(S, nan=low, neginf=low, posinf=high)
    frame_stride = max(1, -(-n_frames // max_frames))
    row_stride = max(1, -(-n_rows // max_bins))
    S = _pool(_pool(S, frame_stride, 1, np.maximum), row_stride, 0, np.maximum)
    starts = np.arange(0, n_rows, row_stride)
    rows = np.add.reduceat(rows, starts) / np.diff(np.append(starts, n_rows)) if row_stride > 1 else rows
    times = np.arange(S.shape[1]) * frame_stride * hop_length / sr
    z = np.round(S)
    z = z.astype(np.int8 if z.min() >= -128 and z.max() <= 127 else np.int16)
    title = title if title is not None else "spectrogram"
    if frame_stride > 1 or row_stride > 1:
        title = f"{title} (block max of {row_stride} rows x {frame_stride} frames)"

    def draw():
        fig, ax = _new_static_figure(FIGURE_WIDTH, 3.0)
        spectrogram(z, sr=sr, hop_length=hop_length * frame_stride, ax=ax, y_coords=rows, y_label=y_label,
                    title=title, colorbar_label=colorbar_label)
        return fig

    go = _plotly()
    if go is None:
        return _finish(None, draw, title)
    y_hover = "%{y:.0f} Hz" if y_label == "frequency (Hz)" else f"{y_label} %{{y:.4g}}"
    fig = go.Figure(go.Heatmap(
        z=z, x=times.astype(np.float32), y=rows.astype(np.float32), colorscale="Magma",
        colorbar={"title": {"text": colorbar_label}},
        hovertemplate=f"%{{x:.2f}} s<br>{y_hover}<br>%{{z}} {colorbar_label}<extra></extra>"))
    fig.update_layout(template=_TEMPLATE, title={"text": title}, height=340,
                      margin={"l": 60, "r": 20, "t": 50, "b": 45}, xaxis_title="time (s)", yaxis_title=y_label)
    return _finish(fig, draw, title)


def _history_frame(history):
    import pandas as pd

    if hasattr(history, "to_frame"):  # mer_lessons.train.History
        history = history.to_frame()
    frame = pd.DataFrame(history)
    if "epoch" in frame:
        return frame.set_index("epoch")
    if frame.index.name != "epoch":
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def interactive_curves(histories: dict, *, y="val_loss", title: str | None = None):
    """Training curves of several models, one trace per model; returns a plotly Figure.

    ``histories``: ``{model name: history}`` where a history is a DataFrame (one row per
    epoch; an ``epoch`` column or index gives the x axis, else epochs count from 1), a dict
    of equal-length lists, or a :class:`mer_lessons.train.History`. ``y``: the column to
    draw (e.g. ``"val_loss"``, ``"val_accuracy"``), or several (e.g. ``("train_loss",
    "val_loss")``: one dash style per column, the traces of a model grouped). The legend is
    always on: click a model to hide or show it, double-click to show it alone.
    Built offline; without plotly see :func:`interactive_scatter`.

    Taught in ``07_deep_learning_primer``.
    """
    if not histories:
        raise ValueError("interactive_curves: no histories to draw")
    columns = [y] if isinstance(y, str) else list(y)
    frames = {str(name): _history_frame(history) for name, history in histories.items()}
    for name, frame in frames.items():
        missing = [c for c in columns if c not in frame]
        if missing:
            raise KeyError(f"interactive_curves: {name!r} has no column {missing} (has {list(frame.columns)})")
    title = title if title is not None else " and ".join(columns)
    y_title = columns[0] if len(columns) == 1 else "value"
    dashes = ("solid", "dash", "dot", "dashdot")
    mpl_dashes = ("-", "--", ":", "-.")

    def label(name, column):
        return name if len(columns) == 1 else f"{name}: {column}"

    def draw():
        fig, ax = _new_static_figure(FIGURE_WIDTH, 3.0)
        for i, (name, frame) in enumerate(frames.items()):
            for j, column in enumerate(columns):
                ax.plot(frame.index, frame[column], mpl_dashes[j % 4], marker=".", lw=1.2,
                        color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], label=label(name, column))
        ax.set(xlabel="epoch", ylabel=y_title, title=title)
        ax.legend(fontsize=7, loc="best")
        return fig

    go = _plotly()
    if go is None:
        return _finish(None, draw, title)
    fig = go.Figure()
    for i, (name, frame) in enumerate(frames.items()):
        for j, column in enumerate(columns):
            fig.add_trace(go.Scatter(
                x=np.asarray(frame.index, dtype=float), y=np.asarray(frame[column], dtype=float),
                mode="lines+markers", name=label(name, column), legendgroup=name,
                line={"color": CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], "dash": dashes[j % 4]},
                marker={"size": 4}, hovertemplate=f"{name}<br>epoch %{{x}}<br>{column}=%{{y:.4g}}<extra></extra>"))
    fig.update_layout(template=_TEMPLATE, title={"text": title}, height=340, showlegend=True,
                      margin={"l": 60, "r": 20, "t": 50, "b": 45}, xaxis_title="epoch", yaxis_title=y_title,
                      legend={"groupclick": "togglegroup"}, hovermode="closest")
    return _finish(fig, draw, title)


def show_interactive(fig, static=None) -> None:
    """Show a plotly figure with a static PNG of it in ONE output, small enough to commit.

    ``fig``: what :func:`interactive_scatter`, :func:`interactive_spectrogram` or
    :func:`interactive_curves` returned (each carries a matplotlib twin of its data), or any
    plotly Figure together with ``static``: a matplotlib Figure or Axes, or a function
    returning one (a pyplot figure is closed so it is not shown twice). The output holds
    ``image/png`` (a 128-colour PNG at :data:`FIGURE_DPI`, typically 15-60 kB) and the
    interactive figure: plotly's JSON (``application/vnd.plotly.v1+json``, without the 3.5 MB
    plotly.js; JupyterLab and Notebook 7 draw it with the renderer the plotly wheel installs,
    showing the PNG until the mouse enters) or, on Google Colab, plotly's ``colab`` HTML
    (plotly.js from the CDN). GitHub and nbconvert cannot run plotly and show the PNG.
    Without plotly it prints :data:`PLOTLY_MISSING` and shows the PNG alone.

    Taught in ``04_emotion_models_and_datasets``.
    """
    from IPython.display import display

    from mer_lessons.environment import on_colab

    static = static if static is not None else getattr(fig, _STATIC_ATTRIBUTE, None)
    if isinstance(fig, _StaticOnly):
        print(PLOTLY_MISSING)
        display({"image/png": _base64(_png(fig._draw)), "text/plain": f"<static figure: {fig._title}>"}, raw=True)
        return
    if static is None:
        raise ValueError("show_interactive: pass static= (a matplotlib Figure or a function drawing one) for a "
                         "figure not made by mer_lessons.plots; readers without a kernel see only that image")
    import plotly.io as pio

    fig_dict = fig.to_dict()
    bundle = dict(pio.renderers["colab" if on_colab() else "plotly_mimetype"].to_mimebundle(fig_dict))
    title = (fig_dict.get("layout", {}).get("title") or {}).get("text") or "figure"
    bundle["image/png"] = _base64(_png(static))
    bundle["text/plain"] = f"<interactive figure: {title}>"
    display(bundle, raw=True)


# --------------------------------------------------------------------------- honest numbers


def scores_with_intervals(summary, metric: str, *, paper=None, ax=None, scale: float = 1.0,
                          title: str | None = None, xlabel: str | None = None, order=None):
    """Our mean of ``metric`` per row with its 95 % interval as a whisker, the paper's value beside it.

    ``summary``: a :func:`mer_lessons.evaluation.repeated_evaluation` summary (rows: models
    or configurations; columns ``metric``, ``metric + "_low"``, ``metric + "_high"``,
    optionally ``repeats``). ``paper``: a Series indexed like ``summary`` (NaN or missing:
    the paper has no such row) drawn as a hollow diamond on the same row. ``scale``
    multiplies our values (100 to put a 0-1 accuracy beside a paper's %; the paper's stay
    as given). A row without an interval (one repeat: NaN bounds) gets no whisker and the
    note "no interval (1 repeat)" beside its point. Rows run top to bottom in the
    summary's order (or ``order``).

    Returns the Axes: one errorbar container for the rows with an interval, one point
    series for those without, one marker series for the paper, one text per note.

    Paper: tables of single numbers; we: a mean and its interval for every row.

    Taught in ``08_hao_realtime_fusion``.
    """
    import pandas as pd

    ax = _axis(ax)
    if metric not in summary.columns:
        raise KeyError(f"scores_with_intervals: no column {metric!r} in the summary")
    rows = list(order) if order is not None else list(summary.index)
    mean = summary.loc[rows, metric].astype(float).to_numpy() * scale
    nan = np.full(len(rows), np.nan)
    low = summary.loc[rows, f"{metric}_low"].astype(float).to_numpy() * scale \
        if f"{metric}_low" in summary.columns else nan
    high = summary.loc[rows, f"{metric}_high"].astype(float).to_numpy() * scale \
        if f"{metric}_high" in summary.columns else nan
    y = np.arange(len(rows))[::-1].astype(float)
    has = np.isfinite(low) & np.isfinite(high)
    if has.any():
        err = np.vstack([mean[has] - low[has], high[has] - mean[has]])
        ax.errorbar(mean[has], y[has], xerr=err, fmt="o", color="C0", capsize=3, label="ours (mean, 95 % CI)")
    if (~has).any():
        ax.plot(mean[~has], y[~has], "o", color="C0", mfc="white", label="ours (no interval)")
        for yi, mi in zip(y[~has], mean[~has]):
            if np.isfinite(mi):
                ax.annotate("no interval (1 repeat)", (mi, yi), xytext=(6, 4), textcoords="offset points",
                            fontsize=8, color="0.3")
    if paper is not None:
        paper = pd.Series(paper).reindex(rows).astype(float).to_numpy()
        shown = np.isfinite(paper)
        if shown.any():
            ax.plot(paper[shown], y[shown] - 0.22, "D", color="C3", mfc="none", label="paper")
    ax.set_yticks(y)
    ax.set_yticklabels([str(r) for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel or metric)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return ax


def confusion_matrix(table, *, ax=None, title: str | None = None, cmap: str = "Blues"):
    """Draw a confusion table (rows: true class, columns: predicted) with its counts written in.

    ``table``: a square DataFrame such as :func:`mer_lessons.metrics.confusion` or
    :func:`mer_lessons.evaluation.pooled_confusion` returns (counts or shares). Cells are
    shaded by their share of the row (so classes of different sizes compare), and each
    cell shows its value. Returns the Axes.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    import pandas as pd

    ax = _axis(ax)
    table = pd.DataFrame(table)
    if table.shape[0] != table.shape[1] or table.shape[0] == 0:
        raise ValueError(f"confusion_matrix: expected a square, non-empty table, got shape {table.shape}")
    values = table.to_numpy(dtype=float)
    rows = values.sum(axis=1, keepdims=True)
    share = np.divide(values, rows, out=np.zeros_like(values), where=rows > 0)
    ax.imshow(share, cmap=cmap, vmin=0, vmax=1)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = f"{values[i, j]:.0f}" if float(values[i, j]).is_integer() else f"{values[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", color="white" if share[i, j] > 0.6 else "black",
                    fontsize=9)
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([str(c) for c in table.columns])
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([str(c) for c in table.index])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax


def metric_bars(summary, metrics, *, rows=None, paper=None, ax=None, scale: float = 1.0, title: str | None = None):
    """Grouped bars: each metric of ``metrics`` for each row, our mean with its 95 % interval.

    ``summary``: a :func:`mer_lessons.evaluation.repeated_evaluation` summary (columns
    ``m``, ``m_low``, ``m_high`` for each metric ``m``); ``rows``: which rows, in order
    (default all); ``paper``: a DataFrame indexed like the rows with one column per metric
    (the paper's values, same scale as ours after ``scale``), drawn as hollow diamonds on
    the bars. A row without an interval (one repeat) gets no whisker. Returns the Axes.

    Taught in ``11_kirar_zebra_bilstm_attention`` (the paper's Fig. 7).
    """
    import pandas as pd

    ax = _axis(ax)
    rows = list(rows) if rows is not None else list(summary.index)
    metrics = list(metrics)
    missing = [m for m in metrics if m not in summary.columns]
    if missing:
        raise KeyError(f"metric_bars: no column {missing} in the summary")
    width = 0.8 / len(rows)
    x = np.arange(len(metrics), dtype=float)
    for k, row in enumerate(rows):
        mean = summary.loc[row, metrics].astype(float).to_numpy() * scale
        low = np.array([summary.loc[row].get(f"{m}_low", np.nan) for m in metrics], dtype=float) * scale
        high = np.array([summary.loc[row].get(f"{m}_high", np.nan) for m in metrics], dtype=float) * scale
        pos = x - 0.4 + width * (k + 0.5)
        has = np.isfinite(low) & np.isfinite(high)
        err = np.vstack([np.where(has, mean - low, 0), np.where(has, high - mean, 0)])
        ax.bar(pos, mean, width * 0.9, yerr=err, capsize=3, color=f"C{k}", label=str(row))
        if paper is not None and row in pd.DataFrame(paper).index:
            p = pd.DataFrame(paper).loc[row].reindex(metrics).astype(float).to_numpy()
            ax.plot(pos[np.isfinite(p)], p[np.isfinite(p)], "D", color="black", mfc="none",
                    label="paper" if k == 0 else None)
    ax.set_xticks(x)
    ax.set_xticklabels(metrics)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _shape_text(value) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return "(" + ", ".join(str(int(d)) for d in value.shape) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        parts = [_shape_text(v) for v in value]
        return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return type(value).__name__


def _main_shape(value) -> str:
    """The first tensor's shape: what a box shows (an LSTM's (out, (h, c)) shows ``out``)."""
    import torch

    if isinstance(value, torch.Tensor):
        return _shape_text(value)
    if isinstance(value, (tuple, list)) and value:
        return _main_shape(value[0])
    return _shape_text(value)


def architecture(model, example_input, *, ax=None, max_depth: int = 1, draw: bool = True, title: str | None = None):
    """Draw a model's blocks from the model itself: one forward pass, hooks on its children.

    ``example_input``: what ``model(...)`` takes -- a tensor ``(B, ...)`` or, for a fusion
    model such as :class:`mer_lessons.models.hao.HaoRecognizer`, ``{modality: (B, T, D)}``.
    Every module down to ``max_depth`` levels of ``named_children`` is a block
    (``max_depth=1``: the model's children). A module goes one level deeper, whatever
    ``max_depth``, when it is a container without a forward of its own
    (``nn.ModuleDict``/``nn.ModuleList``) or when it is never called but some of its
    children are (an autoencoder whose ``encode`` calls only its encoder). A block that
    the forward pass never runs (a decoder) is kept, with ``"not run in forward"``.

    Returns ``(table, ax)``: ``table`` a DataFrame with one row per block in the order
    they ran (``block`` name, ``class``, ``output shape`` -- every output, e.g. an
    LSTM's ``[(B, T, 2H), [(2, B, H), (2, B, H)]]`` --, ``parameters``, ``called``), plus a
    row ``"(own parameters)"`` when the model holds parameters directly, so that
    ``table["parameters"].sum()`` is the model's count (shared parameters counted once per
    block). ``ax``: boxes with arrows top to bottom (``None`` when ``draw=False``); for a
    dict input one column per modality (input box, then the blocks whose name holds the
    modality), merging into one chain for the rest (fusion, Bi-LSTM, head); blocks the
    forward pass never ran are named in a note under the drawing.

    Paper: Hao et al. draw their architecture by hand (Fig. 1); we: from the code, so the
    drawing cannot drift from the model.

    Taught in ``08_hao_realtime_fusion``.
    """
    import pandas as pd
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"architecture: model must be a torch.nn.Module, got {type(model).__name__}")
    if int(max_depth) < 1:
        raise ValueError(f"architecture: max_depth must be >= 1, got {max_depth}")
    records, order, handles = {}, [], []

    def hook_for(name):
        def hook(_module, _inputs, output):
            if name not in records:
                records[name] = output
                order.append(name)
        return hook

    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_hook(hook_for(name)))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example_input)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    def called_below(prefix):
        return any(n.startswith(prefix + ".") for n in records)

    blocks = []

    def walk(module, prefix, depth):
        for child_name, child in module.named_children():
            name = f"{prefix}.{child_name}" if prefix else child_name
            children = list(child.children())
            container = isinstance(child, (nn.ModuleDict, nn.ModuleList))
            deeper = children and (container or depth < max_depth or (name not in records and called_below(name)))
            if deeper:
                walk(child, name, depth + 1)
            else:
                blocks.append((name, child))

    walk(model, "", 1)
    rank = {n: i for i, n in enumerate(order)}
    keyed, last = [], -1.0
    for i, (name, module) in enumerate(blocks):       # uncalled blocks stay after the block before them
        key = rank.get(name, last + 1e-3)
        last = key
        keyed.append((key, i, name, module))
    keyed.sort(key=lambda t: (t[0], t[1]))
    rows = []
    for _, _, name, module in keyed:
        called = name in records
        rows.append({"block": name, "class": type(module).__name__,
                     "output shape": _shape_text(records[name]) if called else "not run in forward",
                     "parameters": int(sum(p.numel() for p in module.parameters())), "called": called,
                     "_shown": _main_shape(records[name]) if called else "not run in forward"})
    own = sum(p.numel() for p in model.parameters(recurse=False))
    if own:
        rows.append({"block": "(own parameters)", "class": type(model).__name__, "output shape": "",
                     "parameters": int(own), "called": False, "_shown": ""})
    table = pd.DataFrame(rows)
    shown = table.pop("_shown")
    if not draw:
        return table, None
    ax = _draw_architecture(table, shown, example_input, ax=ax, title=title or type(model).__name__)
    return table, ax


def _draw_architecture(table, shown, example_input, *, ax, title):
    import matplotlib.pyplot as plt

    blocks = [(b, c, s, called) for b, c, s, called in zip(table["block"], table["class"], shown, table["called"])
              if b != "(own parameters)" and called]
    idle = [f"{b} ({c})" for b, c, called in zip(table["block"], table["class"], table["called"])
            if b != "(own parameters)" and not called]
    modalities = list(example_input) if isinstance(example_input, dict) else []

    def column_of(name):
        parts = name.split(".")
        for m in modalities:
            if m in parts:
                return m
        return None

    columns = {m: [] for m in modalities}
    chain = []
    for blk in blocks:
        col = column_of(blk[0])
        (columns[col] if col is not None else chain).append(blk)
    n_cols = max(1, len(modalities))
    top = max([len(v) for v in columns.values()] or [0]) + (1 if modalities else 0)
    n_levels = top + len(chain) + (0 if modalities else 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(FIGURE_WIDTH, 3.2 * n_cols + 1), 0.75 * n_levels + 0.6))
    box_w, box_h = 0.9, 0.6
    positions = {}

    def box(x, level, text, dashed=False, face="#e8f0fa"):
        y = -level
        rect = plt.Rectangle((x - box_w / 2, y - box_h / 2), box_w, box_h, facecolor=face if not dashed else "white",
                             edgecolor="0.3" if not dashed else "0.6", ls="--" if dashed else "-", lw=1)
        ax.add_patch(rect)
        ax.text(x, y, text, ha="center", va="center", fontsize=7, color="0.5" if dashed else "black")
        return (x, y)

    def arrow(a, b):
        ax.annotate("", xy=(b[0], b[1] + box_h / 2), xytext=(a[0], a[1] - box_h / 2),
                    arrowprops=dict(arrowstyle="->", color="0.3", lw=1))

    ends = []
    if modalities:
        xs = np.arange(n_cols) - (n_cols - 1) / 2
        for x, m in zip(xs, modalities):
            prev = box(x, 0, f"input {m}\n{_shape_text(example_input[m])}", face="#f5f5f5")
            for level, (name, cls, shape, called) in enumerate(columns[m], start=1):
                here = box(x, level, f"{name}\n{cls} -> {shape}", dashed=not called)
                if called:
                    arrow(prev, here)
                    prev = here
                positions[name] = here
            ends.append(prev)
    else:
        ends.append(box(0, 0, f"input\n{_shape_text(example_input)}", face="#f5f5f5"))
    level = top if modalities else 1
    prev_list = ends
    for name, cls, shape, called in chain:
        here = box(0, level, f"{name}\n{cls} -> {shape}", dashed=not called)
        if called:
            for p in prev_list:
                arrow(p, here)
            prev_list = [here]
        level += 1
    half = max(1.0, n_cols / 2 + 0.1)
    ax.set_xlim(-half, half)
    bottom = -(level - 1) - 0.6
    if idle:
        ax.text(0, bottom, "not run in forward: " + ", ".join(idle), ha="center", va="top", fontsize=7,
                color="0.4", wrap=True)
        bottom -= 0.4
    ax.set_ylim(bottom, 0.6)
    ax.set_aspect("auto")
    ax.axis("off")
    ax.set_title(title)
    return ax
