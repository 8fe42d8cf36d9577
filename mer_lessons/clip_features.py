"""Handcrafted audio features of a whole clip: the input of the classical baselines.

A clip becomes one fixed-length vector of named numbers: frame-level features
(MFCC, chroma, spectral shape, loudness, noisiness) summarised over time by their mean
and standard deviation, plus a tempo estimate. This is the "feature extraction" of the
"SVM + Feature extraction" row of Hao et al.'s Table 3, and the classic MIR recipe the
papers' deep models are compared against.

* MFCC and chroma come from the course's own NumPy implementations
  (:func:`mer_lessons.dsp.mfcc`, :func:`mer_lessons.dsp.chroma_stft`, checked against
  librosa in ``tests/test_dsp.py``), computed from one shared power spectrogram.
* Spectral centroid, bandwidth, contrast and roll-off, RMS, zero-crossing rate and tempo
  come from librosa (``librosa.feature.*``; tempo from the autocorrelation of the onset
  strength, ``librosa.feature.tempo``, or from ``librosa.beat.beat_track``).

:func:`clip_features` handles one signal; :func:`dataset_features` computes one row per
unique clip of a :class:`mer_lessons.data.Dataset` and caches the table as CSV in the
course's data directory (``data_dir("features", <dataset name>)``), keyed by the dataset,
its clips and the feature settings, so the second call reads the file.

Taught in ``05_metrics_and_classical_baselines``; used by :mod:`mer_lessons.models.baselines`.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_lessons import dsp
from mer_lessons.environment import data_dir
from mer_lessons.validation import as_float, as_int, as_sample_rate, as_signal

#: Bump when the features change meaning, so that old caches are not reused.
FEATURE_VERSION = 1

#: Number of spectral-contrast bands (librosa's ``n_bands=6`` gives 7 rows).
N_CONTRAST = 7

#: Tempo estimators accepted by :func:`clip_features`.
TEMPO_METHODS = ("onset_autocorrelation", "beat_track")


def feature_names(n_mfcc: int = 20) -> list[str]:
    """The names of :func:`clip_features`' output, in order (77 with ``n_mfcc=20``).

    Taught in ``05_metrics_and_classical_baselines``.
    """
    names = [f"mfcc_{k:02d}_mean" for k in range(1, n_mfcc + 1)]
    names += [f"mfcc_{k:02d}_std" for k in range(1, n_mfcc + 1)]
    names += [f"chroma_{pc}_mean" for pc in dsp.PITCH_CLASSES]
    for name in ("spectral_centroid", "spectral_bandwidth"):
        names += [f"{name}_mean", f"{name}_std"]
    names += [f"spectral_contrast_{k}_mean" for k in range(1, N_CONTRAST + 1)]
    names += [f"spectral_contrast_{k}_std" for k in range(1, N_CONTRAST + 1)]
    for name in ("spectral_rolloff", "rms", "zcr"):
        names += [f"{name}_mean", f"{name}_std"]
    names.append("tempo")
    return names


def feature_groups(n_mfcc: int = 20) -> dict[str, list[str]]:
    """Feature names by family: mfcc, chroma, spectral, energy (RMS), zcr, tempo.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    groups: dict[str, list[str]] = {"mfcc": [], "chroma": [], "spectral": [], "energy": [], "zcr": [], "tempo": []}
    for name in feature_names(n_mfcc):
        family = name.split("_")[0]
        key = {"rms": "energy"}.get(family, family)
        groups[key].append(name)
    return groups


def _check_signal(y, sr) -> tuple[np.ndarray, float]:
    """Mono, real, finite float samples (integer PCM refused, see :func:`mer_lessons.dsp.pcm_to_float`)."""
    y = as_signal(y, "y", where="clip_features", ndim=1, audio=True,
                  hint="pass one channel at a time (mono), e.g. y[0] or y.mean(axis=0)")
    return y, as_sample_rate(sr, where="clip_features")


def clip_features(y, sr: float, *, n_mfcc: int = 20, n_fft: int = 2048, hop_length: int = 512,
                  n_mels: int = 128, tempo_method: str = "onset_autocorrelation",
                  start_bpm: float = 120.0) -> pd.Series:
    """Named features of one clip: statistics over time of frame features, and its tempo.

    Parameters
    ----------
    y : 1-D float signal, at least ``n_fft`` samples. Integer PCM, bool, complex, NaN/inf and
        2-D (stereo) input raise errors of :mod:`mer_lessons.validation` naming ``y``
        (convert PCM with :func:`mer_lessons.dsp.pcm_to_float`).
    sr : sampling rate in Hz.
    n_mfcc, n_fft, hop_length, n_mels : analysis settings (frames of ``n_fft`` samples,
        every ``hop_length`` samples; Hann window, centred).
    tempo_method : ``"onset_autocorrelation"`` (``librosa.feature.tempo``: the peak of
        the onset-strength autocorrelation, weighted by a log-normal prior around
        ``start_bpm``) or ``"beat_track"`` (``librosa.beat.beat_track``'s estimate).
        Both can be off by a factor of 2 (the "octave error" of tempo estimation).
    start_bpm : centre of the tempo prior (BPM).

    Returns
    -------
    pd.Series named by :func:`feature_names`: MFCC 1-20 mean and std (dB-scaled
    cepstrum), chroma mean for C ... B (0-1), spectral centroid, bandwidth and roll-off
    (85 % of the energy) mean and std in Hz, spectral contrast of 7 octave bands mean and
    std (dB), RMS mean and std (amplitude units of y), zero-crossing rate mean and std
    (crossings per sample), tempo (BPM).

    The contrast bands start at ``fmin = min(200 Hz, 0.9 * (sr/2) / 32)`` so that the
    seventh band still fits below the Nyquist frequency at low sampling rates.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    import librosa

    y, sr = _check_signal(y, sr)
    where = "clip_features"
    n_mfcc = as_int(n_mfcc, "n_mfcc", where=where)
    n_fft = as_int(n_fft, "n_fft", where=where)
    hop_length = as_int(hop_length, "hop_length", where=where)
    n_mels = as_int(n_mels, "n_mels", where=where)
    start_bpm = as_float(start_bpm, "start_bpm", minimum=0, low_open=True, where=where)
    if tempo_method not in TEMPO_METHODS:
        raise ValueError(f"clip_features: tempo_method must be one of {TEMPO_METHODS}, got {tempo_method!r}")
    if len(y) < n_fft:
        raise ValueError(f"clip_features: the clip has {len(y)} samples, fewer than n_fft={n_fft}")
    power = dsp.power_spectrogram(y, n_fft=n_fft, hop_length=hop_length)          # (1 + n_fft/2, frames)
    magnitude = np.sqrt(power)
    log_mel = dsp.power_to_db(dsp.mel_filterbank(sr, n_fft, n_mels=n_mels) @ power, top_db=80.0)
    mfcc = dsp.mfcc(S=log_mel, n_mfcc=n_mfcc)
    chroma = dsp.chroma_stft(S=power, sr=sr, n_fft=n_fft)

    spectral = {
        "spectral_centroid": librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=n_fft)[0],
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=n_fft)[0],
    }
    fmin = min(200.0, 0.9 * (sr / 2) / 2 ** (N_CONTRAST - 2))
    contrast = librosa.feature.spectral_contrast(S=magnitude, sr=sr, n_fft=n_fft, fmin=fmin,
                                                 n_bands=N_CONTRAST - 1)
    rolloff = librosa.feature.spectral_rolloff(S=magnitude, sr=sr, n_fft=n_fft, roll_percent=0.85)[0]
    rms = librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop_length)[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop_length)[0]
    if tempo_method == "beat_track":
        tempo, _ = librosa.beat.beat_track(y=y, sr=sr, hop_length=hop_length, start_bpm=start_bpm)
    else:
        tempo = librosa.feature.tempo(y=y, sr=sr, hop_length=hop_length, start_bpm=start_bpm)
    values = [*mfcc.mean(axis=1), *mfcc.std(axis=1), *chroma.mean(axis=1)]
    for series in spectral.values():
        values += [series.mean(), series.std()]
    values += [*contrast.mean(axis=1), *contrast.std(axis=1)]
    for series in (rolloff, rms, zcr):
        values += [series.mean(), series.std()]
    values.append(float(np.asarray(tempo).ravel()[0]))
    return pd.Series(np.asarray(values, dtype=float), index=feature_names(n_mfcc), name="features")


# --------------------------------------------------------------------------- datasets


def _clip_column(meta: pd.DataFrame) -> str:
    for column in ("clip_id", "id"):
        if column in meta.columns:
            return column
    raise ValueError("dataset_features: the dataset's meta has neither a 'clip_id' nor an 'id' column")


def cache_path(ds, options: dict[str, Any] | None = None, cache_dir: str | Path | None = None) -> Path:
    """Where :func:`dataset_features` caches the features of ``ds`` with these options.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    meta = ds.meta
    clips = [str(c) for c in pd.unique(meta[_clip_column(meta)])]
    description = {"version": FEATURE_VERSION, "dataset": ds.name, "root": str(getattr(ds, "root", "")),
                   "clips": clips, "options": {k: (options or {})[k] for k in sorted(options or {})}}
    key = hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else data_dir("features", ds.name)
    return folder / f"clip_features-{key}.csv"


def _read_cache(path: Path, clips: list, names: list[str]) -> pd.DataFrame | None:
    try:
        table = pd.read_csv(path, index_col=0)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        warnings.warn(f"dataset_features: ignoring unreadable cache {path} ({error}); recomputing", stacklevel=3)
        return None
    if list(table.columns) != names or [str(c) for c in table.index] != [str(c) for c in clips]:
        warnings.warn(f"dataset_features: cache {path} does not match the dataset; recomputing", stacklevel=3)
        return None
    table.index = pd.Index(clips, name="clip_id")
    return table


def _progress(iterable, total: int, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc="clip features", leave=False)


def dataset_features(ds, *, cache: bool = True, progress: bool = True, cache_dir: str | Path | None = None,
                     **options: Any) -> pd.DataFrame:
    """Features of every unique clip of a dataset: a DataFrame indexed by ``clip_id``.

    Parameters
    ----------
    ds : a :class:`mer_lessons.data.Dataset` whose items have ``audio`` and ``sr``. Its
        ``meta`` names the clip of every item in ``clip_id`` (or ``id``); a trial-level
        dataset (many listeners per clip) gives one row per clip, in order of first
        appearance, computed from the first item of each clip (the audio is the same).
    cache : read the table from, and write it to, the cache file (:func:`cache_path`:
        ``data_dir("features", ds.name)/clip_features-<key>.csv``, the key hashing the
        dataset, its root, its clips, :data:`FEATURE_VERSION` and ``options``). A cache
        that does not match is recomputed with a warning.
    progress : show a tqdm progress bar while computing.
    cache_dir : another folder for the cache.
    **options : passed to :func:`clip_features` (e.g. ``tempo_method="beat_track"``).

    Join the result to the items with :func:`for_items`.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    meta = ds.meta
    column = _clip_column(meta)
    positions = np.flatnonzero(~meta[column].duplicated().to_numpy())
    clips = meta[column].iloc[positions].tolist()
    names = feature_names(options.get("n_mfcc", 20))
    path = cache_path(ds, options, cache_dir) if cache else None
    if path is not None and path.is_file():
        table = _read_cache(path, clips, names)
        if table is not None:
            return table
    rows = []
    for position in _progress(positions, len(positions), progress):
        item = ds[int(position)]
        if "audio" not in item or "sr" not in item:
            raise ValueError(f"dataset_features: items of {ds.name!r} have no 'audio' and 'sr'")
        rows.append(clip_features(item["audio"], item["sr"], **options))
    table = pd.DataFrame(rows, index=pd.Index(clips, name="clip_id"))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        table.to_csv(temporary)
        os.replace(temporary, path)
    return table


def for_items(features: pd.DataFrame, meta: pd.DataFrame, column: str = "clip_id") -> pd.DataFrame:
    """The feature rows of each item of ``meta`` (joined on ``column``), in the order of ``meta``.

    With trial-level data every listener of a clip gets the same audio features. Raises
    ``KeyError`` naming clips that have no features.

    Taught in ``05_metrics_and_classical_baselines``.
    """
    if column not in meta.columns:
        raise KeyError(f"for_items: meta has no column {column!r}")
    keys = meta[column]
    missing = pd.Index(pd.unique(keys)).difference(features.index)
    if len(missing):
        raise KeyError(f"for_items: no features for {len(missing)} clip(s), e.g. {list(missing[:5])}")
    return features.loc[keys.to_numpy()].set_index(meta.index)
