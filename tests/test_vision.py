"""mer_lessons.vision: summary images, face detection and crops, CNN features, face pre-training."""
import numpy as np
import pytest
import torch

from mer_lessons import vision
from mer_lessons.data import listener
from mer_lessons.models import blocks
from mer_lessons.validation import EmptyInputError, InputError, UnknownOptionError, WrongShapeError


def drawn_face(seed=0, valence=7.0, arousal=6.0, seconds=2.0):
    return listener.draw_faces(valence, arousal, seconds=seconds, fps=4, rng=np.random.default_rng(seed),
                               identity=123 + seed)


@pytest.mark.parametrize("method", vision.SUMMARY_METHODS)
@pytest.mark.parametrize("colour", [False, True])
def test_summary_of_identical_frames_is_that_frame(method, colour):
    frame = np.random.default_rng(1).integers(0, 256, (12, 10, 3) if colour else (12, 10)).astype(np.uint8)
    out = vision.summary_image(np.stack([frame] * 5), method)
    assert out.dtype == np.float32 and out.shape == frame.shape
    np.testing.assert_array_equal(out, frame.astype(np.float32))


def test_mean_summary_is_the_frame_average_and_median_ignores_a_blink():
    frames = drawn_face()
    np.testing.assert_allclose(vision.summary_image(frames), frames.astype(np.float64).mean(0), rtol=1e-6)
    flash = np.zeros((5, 4, 4))
    flash[2] = 100.0
    np.testing.assert_array_equal(vision.summary_image(flash, "median"), np.zeros((4, 4)))


def test_sharpest_picks_the_unblurred_frame_among_blurred_copies():
    from scipy.ndimage import gaussian_filter
    sharp = drawn_face()[0].astype(np.float64)
    frames = np.stack([gaussian_filter(sharp, 1.5), gaussian_filter(sharp, 2.5), sharp, gaussian_filter(sharp, 1.0)])
    s = vision.sharpness(frames)
    assert s.shape == (4,) and int(np.argmax(s)) == 2
    np.testing.assert_array_equal(vision.summary_image(frames, "sharpest"), sharp.astype(np.float32))
    assert isinstance(vision.sharpness(sharp), float) and vision.sharpness(np.full((5, 5), 7.0)) == 0.0
    assert vision.sharpness(np.stack([np.stack([sharp] * 3, -1)] * 2)).shape == (2,)


def test_most_different_picks_the_odd_frame():
    frames = np.repeat(drawn_face()[:1], 7, axis=0).astype(np.float64)
    odd = frames[4].copy()
    odd[30:40, 10:38] = 0.0                                           # a wide-open mouth
    frames[4] = odd
    np.testing.assert_array_equal(vision.summary_image(frames, "most_different"), odd.astype(np.float32))


def test_segment_summaries_shapes_and_groups():
    frames = np.arange(10, dtype=np.float64)[:, None, None] * np.ones((10, 3, 4))
    out = vision.segment_summaries(frames, 3)
    assert out.shape == (3, 3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0], [1.5, 5.0, 8.0])          # groups 0-3, 4-6, 7-9
    few = vision.segment_summaries(frames[:2], 5, "median")               # fewer frames than steps
    np.testing.assert_array_equal(few[:, 0, 0], [0, 0, 0, 1, 1])
    colour = vision.segment_summaries(np.zeros((6, 8, 8, 3), np.uint8), 2, "sharpest")
    assert colour.shape == (2, 8, 8, 3)


@pytest.mark.parametrize("bad, error", [
    (np.zeros((48, 48)), WrongShapeError),
    (np.zeros((0, 48, 48)), EmptyInputError),
    (np.zeros((3, 0, 48)), EmptyInputError),
    (np.array([[["a"]]]), InputError),
    (np.full((2, 4, 4), np.nan), InputError),
])
def test_bad_frames_raise_clear_errors(bad, error):
    with pytest.raises(error, match="summary_image: frames"):
        vision.summary_image(bad)


def test_unknown_method_and_bad_steps():
    with pytest.raises(UnknownOptionError, match="method must be one of 'mean'"):
        vision.summary_image(np.zeros((2, 4, 4)), "max")
    with pytest.raises(InputError, match="steps"):
        vision.segment_summaries(np.zeros((2, 4, 4)), 0)
    with pytest.raises(WrongShapeError, match="image\\[None\\]"):
        vision.segment_summaries(np.zeros((4, 4)), 2)


def test_detect_faces_gives_boxes_in_original_coordinates():
    pytest.importorskip("cv2")
    face = vision.summary_image(drawn_face())                           # 48 x 48, centred face
    canvas = np.full((120, 160), 55.0, dtype=np.float32)
    canvas[40:88, 90:138] = face                                        # the face at x 90-138, y 40-88
    boxes = vision.detect_faces(canvas)
    assert boxes.ndim == 2 and boxes.shape[1] == 4 and boxes.dtype == np.int64
    if len(boxes):                                                      # measured: always found
        x, y, w, h = boxes[0]
        assert 90 - 8 <= x + w / 2 - 24 <= 90 + 8 and 40 - 8 <= y + h / 2 - 24 <= 40 + 8
        assert 24 <= w <= 48 and 24 <= h <= 48
        areas = boxes[:, 2] * boxes[:, 3]
        assert np.all(np.diff(areas) <= 0)                              # biggest first
    empty = vision.detect_faces(np.full((48, 48), 55, np.uint8))
    assert empty.shape == (0, 4)
    with pytest.raises(UnknownOptionError, match="cascade"):
        vision.detect_faces(face, cascade="cat")


def test_face_region_crops_or_falls_back():
    pytest.importorskip("cv2")
    region, found = vision.face_region(vision.summary_image(drawn_face()), size=32)
    assert region.shape == (32, 32) and region.dtype == np.float32
    if found:                                                           # the crop is mostly skin, not background
        assert region.mean() > 100
    blank = np.full((40, 60), 55.0)
    region, found = vision.face_region(blank, size=16)
    assert not found and region.shape == (16, 16)
    np.testing.assert_allclose(region, 55.0, atol=1e-3)
    with pytest.raises(InputError, match="finds a face"):
        vision.face_region(blank, fallback="error")
    with pytest.raises(UnknownOptionError, match="fallback"):
        vision.face_region(blank, fallback="crop")


def test_face_region_without_detection_needs_no_opencv():
    image = np.arange(40 * 60, dtype=np.float64).reshape(40, 60) / (40 * 60)     # 0-1 floats stay 0-1
    region, found = vision.face_region(image, size=40, detect=False)
    assert not found and region.shape == (40, 40)
    np.testing.assert_allclose(region, image[:, 10:50], atol=1e-5)              # the centred square


def test_image_features_shape_and_grey_to_three_channels():
    torch.manual_seed(0)
    images = np.random.default_rng(0).integers(0, 256, (5, 48, 48)).astype(np.uint8)
    rgb = blocks.ResNet50Backbone(in_channels=3, width=4)
    feats = vision.image_features(rgb, images, batch_size=2, size=32)
    assert feats.shape == (5, rgb.out_channels) and feats.dtype == np.float32 and rgb.training
    # replication: the same as feeding the three identical channels by hand
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None].expand(-1, 3, -1, -1)
    x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
    with torch.no_grad():
        want = rgb.eval()(x).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(feats, want, rtol=1e-4, atol=1e-5)
    # 0-1 floats are the same images as uint8 0-255
    np.testing.assert_allclose(vision.image_features(rgb, images / 255.0, size=32), feats, rtol=1e-4, atol=1e-5)
    rgb.pretrained = True                                               # ImageNet normalisation by default
    assert not np.allclose(vision.image_features(rgb, images, size=32), feats)
    np.testing.assert_allclose(vision.image_features(rgb, images, size=32, imagenet_normalise=False), feats,
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(WrongShapeError, match="image_features: images"):
        vision.image_features(rgb, images[0])


def test_face_pretraining_set_is_deterministic_and_labelled():
    images, valence, arousal, labels = vision.face_pretraining_set(12, seed=3)
    again = vision.face_pretraining_set(12, seed=3)
    assert images.shape == (12, 48, 48) and images.dtype == np.float32
    np.testing.assert_array_equal(images, again[0])
    np.testing.assert_array_equal(labels, again[3])
    assert set(labels) <= {"happy", "sad", "surprise"}
    assert np.all((valence >= 1) & (valence <= 9)) and np.all((arousal >= 1) & (arousal <= 9))
    assert not np.array_equal(images, vision.face_pretraining_set(12, seed=4)[0])
    from mer_lessons.data.labels import KIRAR3_PROTOTYPES, nearest_prototype
    np.testing.assert_array_equal(labels, nearest_prototype(valence, arousal, KIRAR3_PROTOTYPES))


def test_train_face_backbone_lowers_the_loss():
    images, _, _, labels = vision.face_pretraining_set(96, seed=1)
    torch.manual_seed(0)
    backbone = blocks.ResNet50Backbone(in_channels=1, width=4)
    state = torch.get_rng_state()
    trained, history = vision.train_face_backbone(backbone, images, labels, epochs=6, batch_size=32, lr=3e-3,
                                                  size=32)
    assert torch.equal(state, torch.get_rng_state())                    # the global generator is untouched
    assert trained is backbone and not trained.training
    assert list(history.columns) == ["epoch", "loss", "accuracy"] and list(history["epoch"]) == list(range(1, 7))
    assert history["loss"].iloc[-2:].mean() < history["loss"].iloc[0]
    assert vision.image_features(trained, images[:3], size=32).shape == (3, trained.out_channels)
    with pytest.raises(WrongShapeError, match="labels"):
        vision.train_face_backbone(backbone, images, labels[:5], epochs=1)


def test_missing_opencv_says_how_to_install_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "cv2", None)                       # makes `import cv2` fail
    with pytest.raises(ImportError, match=r'pip install "opencv-python-headless<5"'):
        vision.detect_faces(np.zeros((48, 48)))
    region, found = vision.face_region(np.full((48, 48), 0.5), size=20, detect=False)   # resized without OpenCV
    assert not found and region.shape == (20, 20)
    np.testing.assert_allclose(region, 0.5, atol=1e-5)
