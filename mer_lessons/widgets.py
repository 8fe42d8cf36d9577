"""Interactive explorers for the notebooks (ipywidgets): change a setting, see and hear the result.

Each explorer keeps its computation in plain methods (testable without a browser) and
uses widgets only to call them. On GitHub, or in a notebook whose kernel is not running,
widgets do not render: the notebooks always show a static figure of the same thing too.
"""

from __future__ import annotations

import warnings

import numpy as np

from mer_lessons import dsp, inversion, plots

#: Window lengths (samples) offered by the spectrogram explorer.
EXPLORER_WINDOW_LENGTHS = (64, 128, 256, 512, 1024, 2048, 4096)
#: Hop sizes offered, as fractions of the window length.
EXPLORER_HOP_FRACTIONS = (("1/8", 0.125), ("1/4", 0.25), ("1/2", 0.5), ("1", 1.0))
EXPLORER_SCALES = ("linear (dB)", "log-mel (dB)")


class SpectrogramExplorer:
    """Window length, hop and number of mel bands for one clip: redraw and listen.

    The picture is the STFT of ``y`` (``n_fft`` = window length, Hann window) in dB, on a
    linear frequency axis or as a log-mel spectrogram. "Hear what it keeps" resynthesises
    the clip from exactly what is drawn: magnitudes only (the phase is estimated with
    Griffin-Lim) and, for log-mel, only ``n_mels`` bands (pseudo-inverse of the
    filterbank). Taught in ``02_stft_and_spectrograms``.

    Parameters
    ----------
    y : array, shape (n_samples,), mono audio. sr : sample rate in Hz.
    win_length : initial window length (one of :data:`EXPLORER_WINDOW_LENGTHS`).
    hop_fraction : initial hop as a fraction of the window.
    n_mels : initial number of mel bands. scale : one of :data:`EXPLORER_SCALES`.
    griffin_lim_iter : iterations used when resynthesising.

    Taught in ``02_stft_and_spectrograms``.
    """

    def __init__(self, y, sr: float, *, win_length: int = 1024, hop_fraction: float = 0.25, n_mels: int = 64,
                 scale: str = "log-mel (dB)", griffin_lim_iter: int = 24):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or y.size == 0:
            raise ValueError(f"SpectrogramExplorer: y must be a non-empty mono signal, got shape {y.shape}")
        if win_length not in EXPLORER_WINDOW_LENGTHS:
            raise ValueError(f"SpectrogramExplorer: win_length must be one of {EXPLORER_WINDOW_LENGTHS}")
        if hop_fraction not in dict(EXPLORER_HOP_FRACTIONS).values():
            raise ValueError(f"SpectrogramExplorer: hop_fraction must be one of {dict(EXPLORER_HOP_FRACTIONS)}")
        if scale not in EXPLORER_SCALES:
            raise ValueError(f"SpectrogramExplorer: scale must be one of {EXPLORER_SCALES}")
        self.y, self.sr, self.griffin_lim_iter = y, float(sr), griffin_lim_iter
        self.redraw_count = 0
        self._build_widgets(win_length, hop_fraction, n_mels, scale)
        self.redraw()

    # ------------------------------------------------------------------ computation

    def settings(self) -> dict:
        """The current settings: ``win_length``, ``hop_length`` (samples), ``n_mels``, ``scale``."""
        win_length = int(self.window_slider.value)
        return {
            "win_length": win_length,
            "hop_length": max(1, int(win_length * self.hop_slider.value)),
            "n_mels": int(self.mels_slider.value),
            "scale": self.scale_buttons.value,
        }

    def magnitude(self) -> np.ndarray:
        """``|STFT|`` with the current window and hop, shape (1 + win_length // 2, n_frames)."""
        s = self.settings()
        return np.abs(dsp.stft(self.y, n_fft=s["win_length"], hop_length=s["hop_length"]))

    def mel_power(self, magnitude: np.ndarray | None = None) -> np.ndarray:
        """Mel power spectrogram with the current settings, shape (n_mels, n_frames)."""
        s = self.settings()
        magnitude = self.magnitude() if magnitude is None else magnitude
        with warnings.catch_warnings():  # tiny windows leave some mel bands empty: the picture shows it
            warnings.simplefilter("ignore", UserWarning)
            basis = dsp.mel_filterbank(sr=self.sr, n_fft=s["win_length"], n_mels=s["n_mels"])
        return basis @ magnitude**2

    def image(self) -> tuple[np.ndarray, np.ndarray, str]:
        """What is drawn: ``(S_db, row_frequencies_hz, y_label)``, dB relative to the maximum."""
        s = self.settings()
        magnitude = self.magnitude()
        if s["scale"] == "linear (dB)":
            S_db = dsp.amplitude_to_db(magnitude, ref=np.max)
            rows = dsp.fft_frequencies(sr=self.sr, n_fft=s["win_length"])
        else:
            S_db = dsp.power_to_db(self.mel_power(magnitude), ref=np.max)
            rows = dsp.mel_frequencies(n_mels=s["n_mels"] + 2, fmax=self.sr / 2)[1:-1]
        return S_db, rows, "frequency (Hz)"

    def resynthesize(self) -> np.ndarray:
        """A signal rebuilt from what is drawn (magnitudes only; mel bands only for log-mel)."""
        s = self.settings()
        magnitude = self.magnitude()
        if s["scale"] == "log-mel (dB)":
            linear_power = inversion.mel_to_linear(self.mel_power(magnitude), sr=self.sr, n_fft=s["win_length"])
            magnitude = np.sqrt(linear_power)
        return inversion.griffin_lim(magnitude, n_iter=self.griffin_lim_iter, hop_length=s["hop_length"],
                                     length=len(self.y))

    def describe(self) -> str:
        """One line: the time and frequency resolution of the current settings."""
        s = self.settings()
        text = (f"window {s['win_length']} samples = {1000 * s['win_length'] / self.sr:.1f} ms, "
                f"hop {s['hop_length']} = {1000 * s['hop_length'] / self.sr:.1f} ms, "
                f"bins {self.sr / s['win_length']:.1f} Hz apart")
        if s["scale"] == "log-mel (dB)":
            text += f", {s['n_mels']} mel bands"
        return text

    # ------------------------------------------------------------------ widgets

    def _build_widgets(self, win_length, hop_fraction, n_mels, scale):
        import ipywidgets as widgets

        sr = self.sr
        self.window_slider = widgets.SelectionSlider(
            options=[(f"{n} ({1000 * n / sr:.0f} ms)", n) for n in EXPLORER_WINDOW_LENGTHS],
            value=win_length, description="window", continuous_update=False,
            layout=widgets.Layout(width="420px"))
        self.hop_slider = widgets.SelectionSlider(options=EXPLORER_HOP_FRACTIONS, value=hop_fraction,
                                                  description="hop/window", continuous_update=False)
        self.mels_slider = widgets.IntSlider(value=n_mels, min=8, max=256, step=8, description="n_mels",
                                             continuous_update=False)
        self.scale_buttons = widgets.ToggleButtons(options=EXPLORER_SCALES, value=scale)
        self.play_button = widgets.Button(description="hear what it keeps", icon="play")
        self.info = widgets.Label()
        self.plot_output = widgets.Output()
        self.audio_output = widgets.Output()
        for control in (self.window_slider, self.hop_slider, self.mels_slider, self.scale_buttons):
            control.observe(lambda _change: self.redraw(), names="value")
        self.play_button.on_click(lambda _button: self.play())
        self.widget = widgets.VBox([
            widgets.HBox([self.window_slider, self.hop_slider]),
            widgets.HBox([self.mels_slider, self.scale_buttons]),
            self.info, self.plot_output, widgets.HBox([self.play_button, self.audio_output]),
        ])

    def redraw(self) -> None:
        """Recompute and redraw the picture (called whenever a control changes)."""
        import matplotlib.pyplot as plt
        from IPython.display import clear_output

        s = self.settings()
        self.mels_slider.disabled = s["scale"] == "linear (dB)"
        self.info.value = self.describe()
        S_db, rows, label = self.image()
        with self.plot_output:
            clear_output(wait=True)
            fig, ax = plots.figure(height=2.8)
            plots.spectrogram(S_db, sr=self.sr, hop_length=s["hop_length"], ax=ax, y_coords=rows,
                              y_label=label, title=s["scale"])
            plt.show()
        plt.close(fig)
        self.redraw_count += 1

    def play(self) -> None:
        """Resynthesise and show an audio player next to the button."""
        from IPython.display import Audio

        self.audio_output.outputs = ()
        self.audio_output.append_display_data(Audio(self.resynthesize(), rate=self.sr))

    def _ipython_display_(self) -> None:
        from IPython.display import Audio, display

        display(Audio(self.y, rate=self.sr))
        display(self.widget)


def spectrogram_explorer(y, sr: float, **options) -> SpectrogramExplorer:
    """Build a :class:`SpectrogramExplorer` for a clip; show it as a cell's last value.

    Taught in ``02_stft_and_spectrograms``.
    """
    return SpectrogramExplorer(y, sr, **options)


class MusicFactorExplorer:
    """Change the musical factors of Hao et al.'s Table 2 and hear, see and locate the result.

    Every control is one factor of the teaching dataset's musical plan
    (:data:`mer_lessons.data.mini.FACTORS`: tempo, mode, loudness, register, harmony,
    timbre, articulation, rhythm, dynamics, contour, texture). A change recomposes the clip
    (:func:`mer_lessons.data.mini.compose`), renders it (fluidsynth if available, else the
    additive synthesizer), draws its piano roll, and places the noise-free valence and
    arousal of the dataset's emotion model (:func:`mer_lessons.data.mini.emotion_model`)
    on the circumplex. Taught in ``04_emotion_models_and_datasets``.
    """

    def __init__(self, *, seed: int = 0, seconds: float = 4.0, sr: int = 16000, engine: str = "auto", **factors):
        from mer_lessons.data import mini

        if seconds <= 0:
            raise ValueError(f"MusicFactorExplorer: seconds must be positive, got {seconds}")
        self._mini = mini
        self.seed, self.seconds, self.sr, self.engine = seed, float(seconds), int(sr), engine
        base = mini.sample_plan(seed, 0)
        unknown = sorted(set(factors) - set(mini.FACTORS))
        if unknown:
            raise ValueError(f"MusicFactorExplorer: unknown factor(s) {unknown}; use {sorted(mini.FACTORS)}")
        base.update(factors)
        self.redraw_count = 0
        self._build_widgets(base)
        self.redraw()

    def plan(self) -> dict:
        """The current musical plan (factor values from the controls, key and program derived)."""
        mini = self._mini
        plan = {name: control.value for name, control in self.controls.items()}
        plan["register"] = int(plan["register"])
        plan["texture"] = int(plan["texture"])
        plan["key"] = mini.KEY_NAMES[(60 + plan["register"]) % 12]
        plan["program"] = int(mini.PROGRAMS[plan["timbre"]]["melody"][0])
        return plan

    def notes(self):
        """Notes of the current plan (the composer is seeded, so the same plan gives the same notes)."""
        return self._mini.compose(self.plan(), self.seconds, np.random.default_rng(self.seed))

    def audio(self) -> np.ndarray:
        """The current plan rendered, float32 ``(seconds * sr,)``."""
        from mer_lessons.data.render import resolve_engine

        plan = self.plan()
        return self._mini.render_clip(self.notes(), tempo=plan["tempo"], seconds=self.seconds, sr=self.sr,
                                      engine=resolve_engine(self.engine))

    def predicted_emotion(self) -> tuple[float, float]:
        """(valence, arousal) on 1-9 that the dataset's emotion model gives this plan, without noise."""
        import pandas as pd

        row = pd.DataFrame([{**self.plan(), "clip_index": 0}])
        result = self._mini.emotion_model(row, self.seed, noise=False).iloc[0]
        return float(result["true_valence"]), float(result["true_arousal"])

    def _build_widgets(self, base: dict) -> None:
        import ipywidgets as widgets

        mini = self._mini
        self.controls = {}
        for name, spec in mini.FACTORS.items():
            if "levels" in spec:
                control = widgets.ToggleButtons(options=list(spec["levels"]), value=base[name], description=name,
                                                style={"button_width": "90px"})
            elif spec.get("integer"):
                low, high = spec["range"]
                control = widgets.IntSlider(value=int(base[name]), min=int(low), max=int(high), description=name,
                                            continuous_update=False)
            else:
                low, high = spec["range"]
                control = widgets.FloatSlider(value=float(base[name]), min=low, max=high,
                                              step=(high - low) / 100, description=name, continuous_update=False)
            control.observe(lambda _change: self.redraw(), names="value")
            self.controls[name] = control
        self.info = widgets.Label()
        self.plot_output = widgets.Output()
        self.audio_output = widgets.Output()
        self.widget = widgets.VBox([*self.controls.values(), self.info, self.plot_output, self.audio_output])

    def redraw(self) -> None:
        """Recompose, render and redraw (called whenever a control changes)."""
        import matplotlib.pyplot as plt
        from IPython.display import Audio, clear_output

        from mer_lessons.data.labels import quadrant

        valence, arousal = self.predicted_emotion()
        self.info.value = (f"model: valence {valence:.1f}, arousal {arousal:.1f} "
                           f"({quadrant([valence], [arousal])[0]}) — noise-free part of the teaching dataset's model")
        notes = self.notes()
        with self.plot_output:
            clear_output(wait=True)
            fig, (ax_roll, ax_va) = plots.figure(1, 2, height=2.6, gridspec_kw={"width_ratios": [3, 1]})
            plots.piano_roll(notes, ax=ax_roll)
            plots.circumplex(ax=ax_va, points=[(valence, arousal)])
            plt.show()
        plt.close(fig)
        self.audio_output.outputs = ()
        self.audio_output.append_display_data(Audio(self.audio(), rate=self.sr))
        self.redraw_count += 1

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def music_factor_explorer(**options) -> MusicFactorExplorer:
    """Build a :class:`MusicFactorExplorer`; show it as a cell's last value.

    Taught in ``04_emotion_models_and_datasets``.
    """
    return MusicFactorExplorer(**options)
