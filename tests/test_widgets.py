"""mer_lessons.widgets: the spectrogram explorer computes, redraws and resynthesises."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mer_lessons import dsp, signals, widgets  # noqa: E402

SR = 8000


@pytest.fixture()
def explorer():
    clip = signals.melody(((60, 1), (67, 1)), sr=SR, tempo=240)
    return widgets.spectrogram_explorer(clip, SR, win_length=256, n_mels=32, griffin_lim_iter=4)


def test_changing_a_control_redraws_with_the_new_settings(explorer):
    before = explorer.redraw_count
    explorer.window_slider.value = 512
    explorer.hop_slider.value = 0.5
    explorer.mels_slider.value = 64
    assert explorer.redraw_count == before + 3
    assert explorer.settings() == {"win_length": 512, "hop_length": 256, "n_mels": 64, "scale": "log-mel (dB)"}
    assert "512 samples = 64.0 ms" in explorer.info.value and "64 mel bands" in explorer.info.value


def test_image_shapes_follow_the_scale(explorer):
    n_frames = 1 + len(explorer.y) // 64  # hop = 256 / 4, centred frames
    S_db, rows, _ = explorer.image()
    assert S_db.shape == (32, n_frames) and rows.shape == (32,) and S_db.max() == pytest.approx(0.0)
    explorer.scale_buttons.value = "linear (dB)"
    S_db, rows, _ = explorer.image()
    assert S_db.shape == (129, n_frames) and rows[-1] == SR / 2
    assert explorer.mels_slider.disabled  # n_mels means nothing on the linear scale


def test_the_picture_matches_dsp(explorer):
    explorer.scale_buttons.value = "linear (dB)"
    S_db, _, _ = explorer.image()
    expected = dsp.amplitude_to_db(np.abs(dsp.stft(explorer.y, n_fft=256, hop_length=64)), ref=np.max)
    np.testing.assert_allclose(S_db, expected)


def test_resynthesis_has_the_clip_length_and_loses_more_with_fewer_mel_bands(explorer):
    def error():
        rebuilt = explorer.resynthesize()
        assert rebuilt.shape == explorer.y.shape and np.all(np.isfinite(rebuilt))
        target = np.abs(dsp.stft(explorer.y, n_fft=256, hop_length=64))
        return np.linalg.norm(np.abs(dsp.stft(rebuilt, n_fft=256, hop_length=64)) - target) / np.linalg.norm(target)

    explorer.mels_slider.value = 16
    coarse = error()
    explorer.mels_slider.value = 128
    fine = error()
    assert fine < coarse


def test_play_fills_the_audio_output(explorer):
    explorer.play()
    assert len(explorer.audio_output.outputs) == 1


@pytest.mark.parametrize("options, message", [
    ({"win_length": 300}, "win_length"), ({"hop_fraction": 0.3}, "hop_fraction"), ({"scale": "bark"}, "scale"),
])
def test_bad_settings_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        widgets.SpectrogramExplorer(np.zeros(1000), SR, **options)


def test_stereo_input_is_rejected():
    with pytest.raises(ValueError, match="mono"):
        widgets.SpectrogramExplorer(np.zeros((2, 1000)), SR)


@pytest.fixture()
def music(data_home):
    return widgets.music_factor_explorer(seed=0, seconds=2.0, sr=8000, engine="additive", mode="major", tempo=120.0)


def test_music_explorer_follows_its_controls(music):
    before = music.redraw_count
    music.controls["tempo"].value = 170.0
    music.controls["register"].value = 7
    assert music.redraw_count == before + 2
    plan = music.plan()
    assert plan["tempo"] == 170.0 and plan["register"] == 7 and plan["key"] == "G"
    audio = music.audio()
    assert audio.shape == (16000,) and np.abs(audio).max() > 0.01
    assert len(music.audio_output.outputs) == 1 and "valence" in music.info.value


def test_music_explorer_moves_emotion_the_way_table_2_says(music):
    valence_major, _ = music.predicted_emotion()
    music.controls["mode"].value = "minor"
    valence_minor, _ = music.predicted_emotion()
    assert valence_minor < valence_major
    _, arousal_slow = (music.controls["tempo"].__setattr__("value", 60.0), music.predicted_emotion())[1]
    _, arousal_fast = (music.controls["tempo"].__setattr__("value", 180.0), music.predicted_emotion())[1]
    assert arousal_fast > arousal_slow


def test_staccato_shortens_the_notes(music):
    music.controls["articulation"].value = "legato"
    legato = music.notes()["duration"].mean()
    music.controls["articulation"].value = "staccato"
    assert music.notes()["duration"].mean() < 0.6 * legato


def test_music_explorer_rejects_unknown_factors():
    with pytest.raises(ValueError, match="unknown factor"):
        widgets.MusicFactorExplorer(seconds=1.0, speed=3)
