"""ResNet50Backbone in blocks, and loading a torchvision ImageNet checkpoint into it."""
import pytest
import torch

from mer_lessons.models import blocks, wang
from mer_lessons.validation import InputError, WrongShapeError


def to_torchvision(state_dict: dict) -> dict:
    """Our names -> torchvision's, written independently of the module's table (the inverse)."""
    out = {}
    for key, value in state_dict.items():
        parts = key.split(".")
        if parts[0] == "stem":
            name = {"0": "conv1", "1": "bn1"}[parts[1]] + "." + ".".join(parts[2:])
        else:
            _, i, j, part, index, *rest = parts
            if part == "body":
                layer = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"}[index]
            else:
                layer = f"downsample.{index}"
            name = f"layer{int(i) + 1}.{j}.{layer}." + ".".join(rest)
        out[name] = value
    return out


@pytest.fixture(scope="module")
def source():
    torch.manual_seed(0)
    model = blocks.ResNet50Backbone(in_channels=3, width=64)
    with torch.no_grad():                       # non-trivial BN statistics, so that buffers matter too
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.num_batches_tracked.fill_(7)
    return model.eval()


@pytest.fixture(scope="module")
def checkpoint(source, tmp_path_factory):
    state = to_torchvision(source.state_dict())
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 2048), torch.zeros(1000)
    path = tmp_path_factory.mktemp("ckpt") / "resnet50-test.pth"
    torch.save(state, path)
    return path, state


def test_the_backbone_moved_to_blocks_and_wang_still_has_it():
    assert blocks.ResNet50Backbone is wang.ResNet50Backbone
    assert "ResNet50Backbone" in blocks.__all__ and "ResNet50Backbone" in wang.__all__
    assert blocks.ResNet50Backbone.__module__ == "mer_lessons.models.blocks"
    assert not hasattr(wang, "_Bottleneck")
    assert blocks.ResNet50Backbone.pretrained is False


def test_key_table_covers_every_parameter_and_buffer():
    ours = set(blocks.ResNet50Backbone(in_channels=3, width=8).state_dict())
    assert set(blocks.RESNET50_TORCHVISION_KEYS.values()) == ours
    assert len(blocks.RESNET50_TORCHVISION_KEYS) == 318
    assert blocks.RESNET50_TORCHVISION_KEYS["conv1.weight"] == "stem.0.weight"
    assert blocks.RESNET50_TORCHVISION_KEYS["layer4.0.downsample.1.running_var"] == "stages.3.0.shortcut.1.running_var"


def test_loaded_checkpoint_gives_identical_outputs(source, checkpoint):
    path, _ = checkpoint
    model = blocks.load_torchvision_resnet50(path)
    assert model.pretrained is True and not model.training
    assert blocks.ResNet50Backbone.pretrained is False            # set on the instance only
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), source(x))
    loaded = model.state_dict()
    assert all(torch.equal(v, loaded[k]) for k, v in source.state_dict().items())


def test_mapping_drops_fc_and_accepts_old_checkpoints(checkpoint):
    _, state = checkpoint
    mapped = blocks.torchvision_resnet50_state_dict_to_backbone(state)
    assert not any(k.startswith("fc") for k in mapped) and len(mapped) == 318
    old = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert int(blocks.torchvision_resnet50_state_dict_to_backbone(old)["stem.1.num_batches_tracked"]) == 0
    wrapped = {"module." + k: v for k, v in state.items()}
    assert set(blocks.torchvision_resnet50_state_dict_to_backbone(wrapped)) == set(mapped)


def test_missing_and_unexpected_keys_are_named(checkpoint, tmp_path):
    _, state = checkpoint
    broken = dict(state)
    del broken["layer2.1.conv2.weight"]
    broken["layer5.0.conv1.weight"] = torch.zeros(1)
    with pytest.raises(InputError, match=r"missing key.*layer2\.1\.conv2\.weight.*unexpected.*layer5\.0\.conv1"):
        blocks.torchvision_resnet50_state_dict_to_backbone(broken)
    path = tmp_path / "broken.pth"
    torch.save(broken, path)
    with pytest.raises(InputError, match="missing key"):
        blocks.load_torchvision_resnet50(path)
    with pytest.raises(InputError, match="mapping"):
        blocks.torchvision_resnet50_state_dict_to_backbone([1, 2])


def test_wrong_shapes_are_named(checkpoint, tmp_path):
    _, state = checkpoint
    broken = dict(state)
    broken["conv1.weight"] = torch.zeros(64, 1, 7, 7)              # a one-channel stem
    path = tmp_path / "shape.pth"
    torch.save(broken, path)
    with pytest.raises(WrongShapeError, match=r"stem\.0\.weight \(64, 1, 7, 7\) \(want \(64, 3, 7, 7\)\)"):
        blocks.load_torchvision_resnet50(path)


def test_absent_file_says_where_such_files_live(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"~/\.cache/torch/hub/checkpoints/.*never"):
        blocks.load_torchvision_resnet50(tmp_path / "resnet50-0676ba61.pth")


def test_load_without_a_path_looks_in_the_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="never"):
        blocks.load_torchvision_resnet50()
