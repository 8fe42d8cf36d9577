"""Small matplotlib helpers shared by the notebooks: one look, small stored figures.

Every function draws on an ``ax`` it is given (or a new one) and returns it, so notebooks
can combine panels. Figures are sized to stay small when notebooks are committed with
their outputs. Used from ``01_sound_and_fourier`` on.
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
