"""Faces for emotion recognition: from a clip's video frames to one image, and to features.

Kirar et al. (2024; cite with ``mer_lessons.papers.cite("kirar")``) turn each video into
one "summary image" by key-frame extraction ("like frame averaging") and read it with a
pre-trained ResNet-50. This module is that preprocessing, for the course's face frames
(``(F, 48, 48)`` uint8 grey from :func:`mer_lessons.data.listener.draw_faces`) and for real
video frames alike:

* :func:`summary_image` -- one image per clip: the ``"mean"`` frame (the paper's frame
  averaging), the ``"median"``, the ``"sharpest"`` frame (:func:`sharpness`, the variance
  of the Laplacian) or the ``"most_different"`` one (the most atypical moment, e.g. the
  peak of an expression); :func:`segment_summaries` makes one per segment, a short
  sequence for a recurrent model.
* :func:`detect_faces` / :func:`face_region` -- OpenCV's Haar cascades (Viola and Jones)
  find the face, which is cropped and resized; OpenCV is the only optional dependency
  (``pip install "opencv-python-headless<5"``), imported when first needed.
* :func:`image_features` -- global-average-pooled feature maps of a CNN backbone
  (:class:`mer_lessons.models.blocks.ResNet50Backbone`), ``(N, C)``.
* :func:`face_pretraining_set` / :func:`train_face_backbone` -- ImageNet weights cannot be
  downloaded here, so the course "pre-trains" on drawn faces of other people (new
  identities) labelled with Kirar et al.'s three classes, then reuses the backbone.
  :func:`mer_lessons.models.blocks.load_torchvision_resnet50` loads real ImageNet weights
  when you have the file.

Conventions: frames are ``(T, H, W)`` grey or ``(T, H, W, C)`` colour, time first, any
numeric dtype; summaries are float32 in the input's units (0-255 for uint8 frames). Bad
inputs raise the errors of :mod:`mer_lessons.validation` (all ``ValueError`` s).

Taught in ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

import functools
import math
import os
from typing import Optional

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.validation import (
    EmptyInputError, InputError, NonFiniteError, WrongShapeError, WrongTypeError, as_choice, as_float, as_int,
    message,
)

__all__ = [
    "SUMMARY_METHODS", "CASCADES", "IMAGENET_MEAN", "IMAGENET_STD", "summary_image", "sharpness",
    "segment_summaries", "detect_faces", "face_region", "image_features", "face_pretraining_set",
    "train_face_backbone",
]

#: The ways :func:`summary_image` turns a clip's frames into one image.
SUMMARY_METHODS = ("mean", "median", "sharpest", "most_different")

#: Haar cascades of the opencv wheel that :func:`detect_faces` accepts by name
#: (file ``haarcascade_<name>.xml`` in ``cv2.data.haarcascades``).
CASCADES = ("frontalface_default", "frontalface_alt", "frontalface_alt2", "frontalface_alt_tree", "profileface")

#: ImageNet's per-channel mean and standard deviation (RGB, on 0-1 images): the
#: normalisation every torchvision ImageNet model expects.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_UPSAMPLE_TO = 192          # detect_faces: small images are enlarged until their short side is at least this
_OPENCV_HINT = 'pip install "opencv-python-headless<5"'


# ---------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------


def _numeric(x, name: str, where: str) -> np.ndarray:
    if x is None:
        raise WrongTypeError(message(name, "a numeric array", "None", where=where, describe=False))
    if hasattr(x, "detach") and hasattr(x, "cpu"):                      # a torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) \
            or np.iscomplexobj(arr):
        raise WrongTypeError(message(name, "a real numeric array (uint8 grey levels or floats)", arr, where=where))
    return arr


def _finite(arr: np.ndarray, name: str, where: str) -> np.ndarray:
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise NonFiniteError(message(name, "finite (no NaN or inf)", f"{int(np.sum(~np.isfinite(arr)))} non-finite "
                                     "values", where=where, describe=False))
    return arr


def _frames(frames, where: str, name: str = "frames") -> np.ndarray:
    """``(T, H, W)`` or ``(T, H, W, C)``, non-empty, finite, as float64."""
    arr = _numeric(frames, name, where)
    if arr.ndim not in (3, 4):
        hint = ("one image? add a time axis: image[None]" if arr.ndim == 2 else
                "time first: (frames, height, width) grey or (frames, height, width, channels) colour")
        raise WrongShapeError(message(name, "3-D (frames, height, width) or 4-D (frames, height, width, channels)",
                                      f"shape {arr.shape}", where=where, describe=False, hint=hint))
    if arr.size == 0:
        raise EmptyInputError(message(name, "non-empty (at least one frame of at least 1x1 pixel)",
                                      f"shape {arr.shape}", where=where, describe=False))
    return _finite(arr, name, where).astype(np.float64, copy=False)


def _image(image, where: str, name: str = "image") -> np.ndarray:
    """One ``(H, W)`` grey or ``(H, W, C)`` colour image, non-empty, finite."""
    arr = _numeric(image, name, where)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise WrongShapeError(message(name, "one image, (height, width) grey or (height, width, 1|3|4) colour",
                                      f"shape {arr.shape}", where=where, describe=False,
                                      hint="a clip's frames? summarise them first with summary_image"))
    if arr.size == 0:
        raise EmptyInputError(message(name, "non-empty", f"shape {arr.shape}", where=where, describe=False))
    return _finite(arr, name, where)


def _grey(arr: np.ndarray) -> np.ndarray:
    """``(..., H, W, C)`` colour -> ``(..., H, W)`` by the mean of the channels (alpha included)."""
    return arr.mean(axis=-1)


# ---------------------------------------------------------------------------------------
# one image per clip
# ---------------------------------------------------------------------------------------


def sharpness(image_or_frames) -> np.ndarray | float:
    """How sharp an image is: the variance of its 3x3 Laplacian, one number per frame.

    ``image_or_frames``: one ``(H, W)`` grey image -> a float; ``(T, H, W)`` grey frames ->
    ``(T,)``; ``(T, H, W, C)`` colour frames -> ``(T,)`` (on the mean of the channels). A
    single colour image is ``image[None]``. The Laplacian
    ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` (the one ``cv2.Laplacian`` uses with ``ksize=1``)
    responds to edges; blur and motion smear edges, so a blurred frame has a smaller
    variance of the Laplacian (Pech-Pacheco et al., 2000), in squared input units. Edges
    are replicated at the border. NumPy only. Used by :func:`summary_image` (``"sharpest"``)
    to pick a key frame, as Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) pick
    key frames of each video. Paper: key-frame extraction, no criterion given; we: one of
    four documented criteria.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "sharpness"
    arr = _numeric(image_or_frames, "image_or_frames", where)
    if arr.ndim not in (2, 3, 4):
        raise WrongShapeError(message("image_or_frames", "(H, W), (T, H, W) or (T, H, W, C)", f"shape {arr.shape}",
                                      where=where, describe=False))
    if arr.size == 0:
        raise EmptyInputError(message("image_or_frames", "non-empty", f"shape {arr.shape}", where=where,
                                      describe=False))
    x = _finite(arr, "image_or_frames", where).astype(np.float64, copy=False)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim == 4:
        x = _grey(x)
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    lap = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4.0 * p[:, 1:-1, 1:-1]
    out = lap.reshape(len(lap), -1).var(axis=1)
    return float(out[0]) if single else out


def _key_index(frames: np.ndarray, method: str) -> int:
    if method == "sharpest":
        return int(np.argmax(sharpness(frames)))
    mean = frames.mean(axis=0)
    distance = np.abs(frames - mean).reshape(len(frames), -1).mean(axis=1)
    return int(np.argmax(distance))


def summary_image(frames, method: str = "mean") -> np.ndarray:
    """One image for a clip: ``(T, H, W[, C])`` frames -> ``(H, W[, C])`` float32, in the input's units.

    ``method``:

    * ``"mean"`` -- the average frame, ``frames.mean(0)``: the paper's "frame averaging".
      Head motion blurs it a little; blinks and noise average out.
    * ``"median"`` -- the per-pixel median: like the mean, but a brief event (a blink, a
      flash) that covers fewer than half the frames disappears entirely.
    * ``"sharpest"`` -- the frame with the largest :func:`sharpness` (variance of the
      Laplacian): a real key frame, the one least blurred by motion.
    * ``"most_different"`` -- the frame farthest from the mean image (mean absolute
      difference): the most atypical moment of the clip, e.g. the peak of an expression
      or a blink.

    Ties go to the earliest frame; the summary of identical frames is that frame, whatever
    the method. Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) make one summary
    image per video for a pre-trained ResNet-50. Paper: "key frame extraction ... like
    frame averaging"; we: the mean as the default, and three other choices to compare.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "summary_image"
    method = as_choice(method, "method", SUMMARY_METHODS, where=where)
    x = _frames(frames, where)
    if method == "mean":
        out = x.mean(axis=0)
    elif method == "median":
        out = np.median(x, axis=0)
    else:
        out = x[_key_index(x, method)]
    return out.astype(np.float32)


def segment_summaries(frames, steps: int, method: str = "mean") -> np.ndarray:
    """One summary image per segment: ``(T, H, W[, C])`` -> ``(steps, H, W[, C])`` float32.

    The frames are cut into ``steps`` consecutive groups of nearly equal length (the
    first ``T % steps`` groups one frame longer: ``np.array_split``) and each group is
    summarised by :func:`summary_image` with ``method``. When ``T < steps`` the frames are
    repeated so that every step has one (step ``s`` gets frame ``floor(s * T / steps)``).
    A short sequence of images, for a model that reads a clip in order (a BiLSTM over
    per-segment features). Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) use
    one image per video. Paper: one summary image; we: also ``steps`` of them, so that the
    recurrent model has a visual sequence to read.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "segment_summaries"
    method = as_choice(method, "method", SUMMARY_METHODS, where=where)
    steps = as_int(steps, "steps", minimum=1, where=where)
    x = _frames(frames, where)
    if len(x) < steps:
        groups = [x[(s * len(x)) // steps][None] for s in range(steps)]
    else:
        groups = np.array_split(x, steps, axis=0)
    return np.stack([summary_image(g, method) for g in groups]).astype(np.float32)


# ---------------------------------------------------------------------------------------
# finding the face (OpenCV)
# ---------------------------------------------------------------------------------------


def _cv2():
    try:
        import cv2
    except ImportError as error:
        raise ImportError(f"OpenCV is needed to detect faces; install it with: {_OPENCV_HINT} "
                          f"(the course's [vision] extra)") from error
    return cv2


@functools.lru_cache(maxsize=None)
def _cascade(path: str):
    cv2 = _cv2()
    classifier = cv2.CascadeClassifier(path)
    if classifier.empty():
        raise InputError(message("cascade", "a Haar cascade OpenCV can read", path, where="detect_faces"))
    return classifier


def _cascade_path(cascade: str) -> str:
    where = "detect_faces"
    if not isinstance(cascade, (str, os.PathLike)):
        raise WrongTypeError(message("cascade", "a cascade name or the path of an .xml file", cascade, where=where))
    text = os.fspath(cascade)
    if text.endswith(".xml"):
        if not os.path.isfile(text):
            raise FileNotFoundError(f"{where}: no cascade file at {text!r}")
        return text
    as_choice(text, "cascade", CASCADES, where=where)
    return os.path.join(_cv2().data.haarcascades, f"haarcascade_{text}.xml")


def _as_uint8(image: np.ndarray) -> np.ndarray:
    """Grey levels 0-255 as uint8; float images whose maximum is at most 1 are taken as 0-1."""
    x = image.astype(np.float64, copy=False)
    if not np.issubdtype(image.dtype, np.integer) and x.size and float(x.max()) <= 1.0:
        x = x * 255.0
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def detect_faces(image, *, cascade: str = "frontalface_default", scale_factor: float = 1.1,
                 min_neighbors: int = 3, min_size: Optional[int] = None,
                 upsample: Optional[int] = None) -> np.ndarray:
    """Faces in one image with an OpenCV Haar cascade: ``(n, 4)`` int boxes ``(x, y, w, h)``, biggest first.

    ``image``: ``(H, W)`` grey or ``(H, W, C)`` colour (channels averaged), any numeric
    dtype: integers and floats above 1 are grey levels 0-255, floats at most 1 are 0-1.
    ``cascade``: one of :data:`CASCADES` (the files shipped in the opencv wheel,
    ``cv2.data.haarcascades``) or the path of a cascade ``.xml``. A Haar cascade (Viola and
    Jones, 2001) slides a 24x24 (or 20x20) window over the image at scales growing by
    ``scale_factor``; a window is a face when it passes every stage of simple light/dark
    rectangle tests, and ``min_neighbors`` overlapping hits are needed to keep a box.
    Small images are first enlarged (bicubic) by ``upsample`` (None: the smallest integer
    that makes the short side at least 192 pixels, so 4x for 48x48 frames): the cascade's
    smallest window would otherwise cover a face of the course's size too coarsely.
    ``min_size``: the smallest face kept, in pixels of the original image (None: a quarter
    of the short side). Boxes are in the original image's coordinates (clipped to it);
    none found gives an empty ``(0, 4)`` array.

    Measured on the course's drawn faces (``data.load("mini", seed=0)``, 960 clips, these
    defaults): ``"frontalface_default"`` finds a face in 100 % of the mean summary images
    and in 100 % of 1,920 single frames (every 8th clip, 16 frames each), one box each,
    about 38 px wide, centred within half a pixel of the image centre; ``"frontalface_alt"``
    and ``"frontalface_alt2"`` do the same, ``"frontalface_alt_tree"`` misses 4-20 %.
    On 800 frames of exaggerated faces (valence and arousal 1 or 9, expressiveness 2.5)
    it finds 99.9 % (94 % without the enlargement), and it finds nothing in 100 images of
    uniform noise. So the cartoon is face-like enough for a detector trained on photographs;
    that says nothing about how it does on real video (pose, occlusion, small faces). About
    10 ms per 48x48 image on one CPU thread.

    Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) read MELD video frames with a
    ResNet-50. Paper: no face detection mentioned (the whole frame); we: a detector first,
    since a face is a small part of a real frame. Needs OpenCV: without it an
    ``ImportError`` says ``pip install "opencv-python-headless<5"``.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "detect_faces"
    img = _image(image, where)
    path = _cascade_path(cascade)
    scale_factor = as_float(scale_factor, "scale_factor", minimum=1.0, low_open=True, where=where)
    min_neighbors = as_int(min_neighbors, "min_neighbors", minimum=0, where=where)
    grey = _as_uint8(_grey(img) if img.ndim == 3 else img)
    h, w = grey.shape
    short = min(h, w)
    min_size = max(1, short // 4) if min_size is None else as_int(min_size, "min_size", minimum=1, where=where)
    factor = (max(1, math.ceil(_UPSAMPLE_TO / short)) if upsample is None
              else as_int(upsample, "upsample", minimum=1, maximum=16, where=where))
    cv2 = _cv2()
    big = grey if factor == 1 else cv2.resize(grey, (w * factor, h * factor), interpolation=cv2.INTER_CUBIC)
    found = _cascade(path).detectMultiScale(big, scaleFactor=scale_factor, minNeighbors=min_neighbors,
                                            minSize=(min_size * factor, min_size * factor))
    boxes = np.asarray(found, dtype=np.float64).reshape(-1, 4) / factor
    if not len(boxes):
        return np.zeros((0, 4), dtype=np.int64)
    x0 = np.clip(np.round(boxes[:, 0]), 0, w - 1)
    y0 = np.clip(np.round(boxes[:, 1]), 0, h - 1)
    x1 = np.clip(np.round(boxes[:, 0] + boxes[:, 2]), x0 + 1, w)
    y1 = np.clip(np.round(boxes[:, 1] + boxes[:, 3]), y0 + 1, h)
    out = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).astype(np.int64)
    order = np.argsort(-(out[:, 2] * out[:, 3]), kind="stable")
    return out[order]


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    """``(h, w[, C])`` -> ``(size, size[, C])`` float32; area averaging when shrinking (OpenCV when available)."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    try:
        import cv2
    except ImportError:
        t = torch.from_numpy(image if image.ndim == 3 else image[..., None]).permute(2, 0, 1)[None]
        out = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out = out[0].permute(1, 2, 0).numpy()
        return out if image.ndim == 3 else out[..., 0]
    shrink = size < min(image.shape[:2])
    out = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    if image.ndim == 3 and out.ndim == 2:                              # OpenCV drops a single channel
        out = out[..., None]
    return out.astype(np.float32)


def face_region(image, *, size: int = 64, margin: float = 0.1, fallback: str = "center", detect: bool = True,
                box=None, **detect_options) -> tuple[np.ndarray, bool]:
    """The face of one image, cropped and resized: ``(region (size, size[, C]) float32, found)``.

    ``image``: ``(H, W)`` grey or ``(H, W, C)`` colour, e.g. a :func:`summary_image`.
    The biggest box of :func:`detect_faces` (``detect_options`` are passed to it: cascade,
    scale_factor, min_neighbors, min_size, upsample) is widened by ``margin`` times its
    width/height on every side (clipped to the image), cropped and resized to
    ``size x size`` (``cv2.resize``, area averaging when shrinking, bilinear when
    enlarging); values stay in the input's units. ``found`` says whether a face was
    detected. When none is: ``fallback="center"`` returns the largest centred square of
    the image (the whole image when it is square) resized the same way, with
    ``found=False``; ``fallback="error"`` raises :class:`~mer_lessons.validation.InputError`.
    ``detect=False`` skips the detector (no OpenCV needed) and always returns that centred
    square, with ``found=False``. ``box``: a box ``(x, y, w, h)`` found before (e.g. by
    :func:`detect_faces` on the whole clip's summary image) to crop instead of detecting
    again (``found=True``). On the course's drawn faces the detector finds a face in every clip (see
    :func:`detect_faces`), and the crop removes the dark background around the head.
    Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) feed whole key frames to
    ResNet-50. Paper: no cropping mentioned; we: crop the face, fall back to the frame.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "face_region"
    img = _image(image, where)
    size = as_int(size, "size", minimum=1, where=where)
    margin = as_float(margin, "margin", minimum=0.0, maximum=1.0, where=where)
    fallback = as_choice(fallback, "fallback", ("center", "error"), where=where)
    if not isinstance(detect, bool):
        raise WrongTypeError(message("detect", "True or False", detect, where=where))
    if box is not None:
        boxes = np.asarray(box, dtype=np.int64).reshape(1, -1)
        if boxes.shape != (1, 4) or (boxes[0, 2:] <= 0).any():
            raise InputError(message("box", "(x, y, w, h) with w, h > 0", box, where=where))
    else:
        boxes = detect_faces(img, **detect_options) if detect else np.zeros((0, 4), dtype=np.int64)
    h, w = img.shape[:2]
    if len(boxes):
        x, y, bw, bh = (int(v) for v in boxes[0])
        mx, my = int(round(margin * bw)), int(round(margin * bh))
        x0, y0 = max(0, x - mx), max(0, y - my)
        x1, y1 = min(w, x + bw + mx), min(h, y + bh + my)
        return _resize(img[y0:y1, x0:x1], size), True
    if fallback == "error" and detect:
        raise InputError(message("image", "an image in which the cascade finds a face", img, where=where,
                                 hint="try another cascade or min_neighbors, or fallback='center'"))
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    return _resize(img[y0:y0 + side, x0:x0 + side], size), False


# ---------------------------------------------------------------------------------------
# CNN features, and pre-training on other faces
# ---------------------------------------------------------------------------------------


def _first_conv(backbone: nn.Module, where: str) -> nn.Conv2d:
    if not isinstance(backbone, nn.Module):
        raise WrongTypeError(message("backbone", "a torch module (a CNN such as blocks.ResNet50Backbone)", backbone,
                                     where=where))
    for m in backbone.modules():
        if isinstance(m, nn.Conv2d):
            return m
    raise InputError(message("backbone", "a CNN with at least one nn.Conv2d", type(backbone).__name__, where=where,
                             describe=False))


def _image_batch(images, where: str, *, size: int, channels: int, normalise: bool) -> torch.Tensor:
    """``(N, H, W)`` grey or ``(N, H, W, C)`` colour -> ``(N, channels, size, size)`` float32 tensor."""
    arr = _numeric(images, "images", where)
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] not in (1, 3)):
        raise WrongShapeError(message("images", "(N, H, W) grey or (N, H, W, 3) colour", f"shape {arr.shape}",
                                      where=where, describe=False,
                                      hint="one image? add an axis: image[None]" if arr.ndim == 2 else None))
    if arr.size == 0:
        raise EmptyInputError(message("images", "non-empty", f"shape {arr.shape}", where=where, describe=False))
    _finite(arr, "images", where)
    x = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    if np.issubdtype(arr.dtype, np.integer) or float(np.max(arr)) > 1.0:
        x = x / 255.0
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)          # (N, c, H, W)
    if x.shape[1] != channels:
        x = x.mean(dim=1, keepdim=True)                                  # colour -> grey
        x = x.expand(-1, channels, -1, -1) if channels > 1 else x        # grey -> replicated
    if tuple(x.shape[2:]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    if normalise:
        if channels == 3:
            mean, std = torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
        else:
            mean = torch.tensor([sum(IMAGENET_MEAN) / 3] * channels)
            std = torch.tensor([sum(IMAGENET_STD) / 3] * channels)
        x = (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
    return x.contiguous()


def _pooled(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = backbone(x)
    return out.mean(dim=(2, 3)) if out.ndim == 4 else out.reshape(out.shape[0], -1)


def image_features(backbone: nn.Module, images, *, batch_size: int = 64, size: int = 64,
                   imagenet_normalise: Optional[bool] = None) -> np.ndarray:
    """CNN features of images: ``(N, H, W)`` grey -> ``(N, C)`` float32, globally average-pooled.

    ``backbone``: a CNN giving ``(B, C, h, w)`` feature maps, e.g.
    :class:`mer_lessons.models.blocks.ResNet50Backbone` (``C = 2048`` at ``width=64``) or
    the one :func:`train_face_backbone` returns. ``images``: ``(N, H, W)`` grey (also
    ``(N, H, W, 3)`` colour), integers or floats above 1 as 0-255 (scaled by 1/255),
    floats at most 1 as 0-1; each is resized to ``size x size`` (bilinear, antialiased).
    Grey images are replicated to 3 channels when the backbone's first convolution wants 3
    (colour ones averaged to grey when it wants 1). ``imagenet_normalise``: subtract the
    ImageNet mean and divide by its standard deviation (:data:`IMAGENET_MEAN`,
    :data:`IMAGENET_STD`; their averages for a one-channel backbone); ``None`` (default)
    means "when ``backbone.pretrained`` is True", the normalisation ImageNet weights were
    trained with. Run in eval mode (BatchNorm uses its running statistics) under
    ``torch.no_grad()``, ``batch_size`` images at a time, on the backbone's device; the
    backbone's train/eval mode is restored afterwards. Kirar et al. (2024;
    ``mer_lessons.papers.cite("kirar")``) take the visual features of each summary image
    from a pre-trained ResNet-50. Paper: which layer is not said; we: the global average
    pool of the last stage, ResNet's standard image embedding.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "image_features"
    conv = _first_conv(backbone, where)
    batch_size = as_int(batch_size, "batch_size", minimum=1, where=where)
    size = as_int(size, "size", minimum=1, where=where)
    if imagenet_normalise is None:
        imagenet_normalise = bool(getattr(backbone, "pretrained", False))
    elif not isinstance(imagenet_normalise, bool):
        raise WrongTypeError(message("imagenet_normalise", "True, False or None", imagenet_normalise, where=where))
    x = _image_batch(images, where, size=size, channels=conv.in_channels, normalise=imagenet_normalise)
    device = conv.weight.device
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():
            parts = [_pooled(backbone, x[i:i + batch_size].to(device)).float().cpu()
                     for i in range(0, len(x), batch_size)]
    finally:
        backbone.train(was_training)
    return torch.cat(parts).numpy().astype(np.float32, copy=False)


def face_pretraining_set(n: int, *, seed: int = 0, size: int = 48, seconds: float = 1.0, fps: float = 4,
                         method: str = "mean") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drawn faces of new people for pre-training: ``(images (n, size, size) float32, valence, arousal, labels)``.

    Each of the ``n`` items is one short clip (``seconds`` at ``fps`` frames per second)
    of :func:`mer_lessons.data.listener.draw_faces` at a random ``(valence, arousal)``,
    uniform on the 1-9 SAM scale, with an expressiveness uniform on 0.6-1.4 (the teaching
    dataset's range), summarised by :func:`summary_image` (``method``); images are grey
    levels 0-255. Every item is a new identity: its face-shape seed is drawn by the
    generator seeded with ``seed`` from ``[2**31, 2**32)``, outside ``[0, 2**31)`` where
    the teaching dataset draws its listeners' identities, so no face here is a dataset
    listener's. ``labels`` ``(n,)`` str are Kirar et al.'s three classes (``"happy"``,
    ``"sad"``, ``"surprise"``) by the course's ``kirar3`` rule
    (:func:`mer_lessons.data.labels.label_table`: the nearest prototype in the
    valence/arousal plane; uniform points make the classes unequal in size);
    ``valence``/``arousal`` ``(n,)`` float64. The same ``seed`` gives the same set.
    Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) use an ImageNet pre-trained
    ResNet-50. Paper: pre-trained weights; we: pre-training on other (drawn) faces with
    :func:`train_face_backbone`, since ImageNet weights cannot be downloaded here.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    from mer_lessons.data import labels as label_rules
    from mer_lessons.data import listener

    where = "face_pretraining_set"
    n = as_int(n, "n", minimum=1, where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    size = as_int(size, "size", minimum=16, where=where)
    seconds = as_float(seconds, "seconds", minimum=0, low_open=True, where=where, unit="seconds")
    fps = as_float(fps, "fps", minimum=0, low_open=True, where=where, unit="frames per second")
    method = as_choice(method, "method", SUMMARY_METHODS, where=where)
    rng = np.random.default_rng(seed)
    valence = rng.uniform(1.0, 9.0, n)
    arousal = rng.uniform(1.0, 9.0, n)
    expressiveness = rng.uniform(0.6, 1.4, n)
    identities = rng.integers(2**31, 2**32, n)
    images = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        frames = listener.draw_faces(float(valence[i]), float(arousal[i]), seconds=seconds, fps=fps, size=size,
                                     rng=rng, expressiveness=float(expressiveness[i]), identity=int(identities[i]))
        images[i] = summary_image(frames, method)
    kirar3 = label_rules.label_table(valence, arousal)["kirar3"].to_numpy().astype(str)
    return images, valence, arousal, kirar3


def train_face_backbone(backbone: nn.Module, images, labels, *, epochs: int = 8, batch_size: int = 64,
                        lr: float = 2e-3, seed: int = 0, size: int = 64,
                        progress: bool = False) -> tuple[nn.Module, pd.DataFrame]:
    """Pre-train a CNN backbone on labelled face images: ``(backbone in eval mode, history)``.

    ``backbone`` (e.g. ``ResNet50Backbone(in_channels=1, width=8)``) gets a temporary head,
    global average pooling -> ``Linear(C, n_classes)``; both are trained with Adam
    (``lr``) on the cross-entropy for ``epochs`` passes over ``images`` (``(N, H, W)`` grey,
    prepared exactly as :func:`image_features` prepares them: 0-255 scaled to 0-1, resized
    to ``size``, replicated to 3 channels for a 3-channel backbone, ImageNet-normalised
    when ``backbone.pretrained``), shuffled in batches of ``batch_size``. ``labels``
    ``(N,)``: class names or integers (classes are the sorted distinct values). The head is
    discarded; the backbone is trained in place and returned in eval mode, ready for
    :func:`image_features`. ``history``: a DataFrame with ``epoch`` (1..epochs), ``loss``
    (mean training cross-entropy) and ``accuracy`` (on the training batches, while
    training). ``seed`` fixes the head's initialisation and the shuffling (the global
    torch generator is left as it was); the backbone's initial weights are the caller's.
    ``progress=True`` prints one line per epoch. About 6 s for a
    ``ResNet50Backbone(in_channels=1, width=8)`` on 600 images of 64x64 for 8 epochs on
    one CPU thread. Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) use a
    ResNet-50 pre-trained on ImageNet. Paper: ImageNet weights; we: pre-training on drawn
    faces of other people (:func:`face_pretraining_set`), the stand-in available offline.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "train_face_backbone"
    conv = _first_conv(backbone, where)
    epochs = as_int(epochs, "epochs", minimum=1, where=where)
    batch_size = as_int(batch_size, "batch_size", minimum=1, where=where)
    lr = as_float(lr, "lr", minimum=0, low_open=True, where=where)
    seed = as_int(seed, "seed", minimum=0, where=where)
    size = as_int(size, "size", minimum=1, where=where)
    x = _image_batch(images, where, size=size, channels=conv.in_channels,
                     normalise=bool(getattr(backbone, "pretrained", False)))
    y_raw = np.asarray(labels)
    if y_raw.ndim != 1 or len(y_raw) != len(x):
        raise WrongShapeError(message("labels", f"one label per image, shaped ({len(x)},)",
                                      f"shape {y_raw.shape}", where=where, describe=False))
    classes, y = np.unique(y_raw, return_inverse=True)
    if len(classes) < 2:
        raise InputError(message("labels", "at least two distinct classes", list(classes), where=where))
    y = torch.from_numpy(y.astype(np.int64))
    device = conv.weight.device
    backbone.train()
    with torch.no_grad():
        channels = _pooled(backbone, x[:2].to(device)).shape[1]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = nn.Linear(channels, len(classes)).to(device)
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(list(backbone.parameters()) + list(head.parameters()), lr=lr)
    rows = []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x), generator=generator)
        total = correct = seen = 0.0
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            if len(idx) < 2 and len(x) >= 2:                               # BatchNorm needs two images
                continue
            xb, yb = x[idx].to(device), y[idx].to(device)
            logits = head(_pooled(backbone, xb))
            loss = F.cross_entropy(logits, yb)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
            correct += float((logits.argmax(1) == yb).sum())
            seen += len(idx)
        seen = max(seen, 1.0)
        rows.append({"epoch": epoch, "loss": total / seen, "accuracy": correct / seen})
        if progress:
            print(f"{where}: epoch {epoch}/{epochs} loss {rows[-1]['loss']:.4f} accuracy {rows[-1]['accuracy']:.3f}",
                  flush=True)
    return backbone.eval(), pd.DataFrame(rows, columns=["epoch", "loss", "accuracy"])
