"""Architectures (issue 9): the papers' parameter counts, shapes, summaries, and PyTorch as oracle.

The totals below are the papers' (and torchvision's, which match them for VGG and ResNet);
the counts for another ``num_classes`` come from a formula on the classifier alone, so a
builder that ignores ``num_classes`` anywhere fails. When PyTorch is importable, the same
architectures are written again with ``torch.nn`` (small, inline; torchvision is not used)
and compared layer by layer: parameter counts, output shapes, multiply-adds, and a forward
pass after copying the weights.
"""

from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np
import pytest
from helpers import assert_close

from cnncourse import architectures as A
from cnncourse.layers import BatchNorm2d, Conv2D, Dense

try:
    import torch
    from torch import nn
except ImportError:  # the torch comparisons are skipped, with this reason
    torch = None
needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed; it is only the oracle for these checks"
)

# name: (parameters at the default num_classes, default num_classes, classifier's in_features)
PAPER = {
    "lenet5": (61_706, 10, 84),
    "alexnet": (60_965_224, 1000, 4096),
    "vgg11": (132_863_336, 1000, 4096),
    "vgg13": (133_047_848, 1000, 4096),
    "vgg16": (138_357_544, 1000, 4096),
    "vgg19": (143_667_240, 1000, 4096),
    "googlenet": (6_998_552, 1000, 1024),
    "resnet18": (11_689_512, 1000, 512),
    "resnet34": (21_797_672, 1000, 512),
    "resnet50": (25_557_032, 1000, 2048),
    "resnet101": (44_549_160, 1000, 2048),
    "resnet152": (60_192_808, 1000, 2048),
}
# Weight layers on the longest path: the number in each name, 8 for AlexNet, 22 for GoogLeNet.
DEPTH = {name: int(re.sub(r"\D", "", name) or 0) for name in PAPER}
DEPTH.update(lenet5=5, alexnet=8, googlenet=22)
# The paper's input for each model.
INPUT = {name: (3, 224, 224) for name in PAPER}
INPUT.update(lenet5=(1, 32, 32), alexnet=(3, 227, 227))
OTHER_CLASSES = 7


def expected_params(name: str, num_classes: int) -> int:
    """The paper's total with the last dense layer resized: (in+1)*k parameters for k classes."""
    total, default, features = PAPER[name]
    return total - (features + 1) * default + (features + 1) * num_classes


@pytest.fixture(scope="module", params=list(PAPER))
def paper_model(request):
    """(name, model at the default num_classes); pytest groups the tests by model, so each
    model is built once and only one is alive at a time (VGG-19 alone takes 1.1 GB)."""
    return request.param, A.BUILDERS[request.param]()


@pytest.fixture(scope="module", params=list(PAPER))
def other_model(request):
    """(name, model built with num_classes=OTHER_CLASSES)."""
    return request.param, A.BUILDERS[request.param](num_classes=OTHER_CLASSES)


def test_builders_are_all_there_with_their_exact_names():
    assert list(A.BUILDERS) == list(PAPER)
    for name, builder in A.BUILDERS.items():
        assert getattr(A, name) is builder
        assert builder.__doc__, f"{name} has no docstring"


def test_count_params_matches_the_paper(paper_model):
    name, model = paper_model
    assert model.count_params() == PAPER[name][0]
    assert model.output_shape() == (PAPER[name][1],)
    assert A.weight_depth(model) == DEPTH[name]


def test_count_params_honours_num_classes(other_model):
    name, model = other_model
    assert model.count_params() == expected_params(name, OTHER_CLASSES)
    assert model.output_shape() == (OTHER_CLASSES,)


def test_count_params_for_ten_classes_matches_the_issue():
    assert A.resnet18(num_classes=10).count_params() == 11_181_642
    assert expected_params("resnet18", 10) == 11_181_642
    assert expected_params("vgg16", 10) == 134_301_514


def test_count_params_adds_up_the_layers_parameter_arrays():
    model = A.resnet18(num_classes=10)
    arrays = [param for param, _ in model.parameters()]
    assert sum(a.size for a in arrays) == model.count_params()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("builder", [A.lenet5, A.googlenet, A.resnet18])
def test_builders_create_parameters_in_the_requested_dtype(builder, dtype):
    model = builder(num_classes=3, dtype=dtype)
    model.eval()
    assert {param.dtype for param, _ in model.parameters()} == {np.dtype(dtype)}
    channels = INPUT[builder.__name__][0]
    x = np.random.default_rng(0).standard_normal((2, channels, 32, 32)).astype(dtype)
    assert model(x).dtype == dtype


def test_the_seed_makes_initialisation_reproducible():
    def weights(model):
        return np.concatenate([param.ravel() for param, _ in model.parameters()])

    np.testing.assert_array_equal(weights(A.lenet5(seed=3)), weights(A.lenet5(seed=3)))
    assert not np.array_equal(weights(A.lenet5(seed=3)), weights(A.lenet5(seed=4)))


# --------------------------------------------------------------------------- forward passes

# Smallest inputs the architecture allows: LeNet-5, AlexNet and VGG have dense layers sized
# for their paper's input; GoogLeNet and ResNet end with global average pooling.
SMALL_INPUT = dict(INPUT, googlenet=(3, 32, 32))
SMALL_INPUT.update({name: (3, 32, 32) for name in PAPER if name.startswith("resnet")})
BATCH = dict.fromkeys(PAPER, 2)
BATCH.update({name: 1 for name in PAPER if name.startswith("vgg")})  # 224x224: one image


def test_forward_returns_logits_for_each_image_of_the_batch(other_model):
    name, model = other_model
    model.eval()
    shape = (BATCH[name], *SMALL_INPUT[name])
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    out = model(x)
    assert out.shape == (shape[0], OTHER_CLASSES)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert model.output_shape(shape[1:]) == (OTHER_CLASSES,)


@pytest.mark.parametrize("name", ["googlenet", "resnet50"])
def test_forward_on_one_image_of_the_papers_size(name):
    """GoogLeNet (1.6 G multiply-adds) and ResNet-50 (4.1 G) in a few seconds on 2 cores."""
    model = A.BUILDERS[name]()
    model.eval()
    x = np.random.default_rng(2).standard_normal((1, *INPUT[name])).astype(np.float32)
    out = model(x)
    assert out.shape == (1, 1000)
    assert np.all(np.isfinite(out))


def test_forward_in_training_mode_applies_dropout():
    model = A.googlenet(num_classes=5)
    x = np.random.default_rng(3).standard_normal((2, 3, 32, 32)).astype(np.float32)
    model.eval()
    first, second = model(x), model(x)
    np.testing.assert_array_equal(first, second)
    model.train()
    assert not np.allclose(model(x), first)  # dropout 40% before the classifier


def test_forward_rejects_a_single_image_and_says_to_add_the_batch_axis():
    model = A.lenet5()
    with pytest.raises(ValueError, match=r"LeNet-5.*\(N, C, H, W\).*x\[None\]"):
        model(np.zeros((1, 32, 32), np.float32))


def test_train_and_eval_reach_every_layer_inside_the_blocks():
    def leaves(layer):
        kids = layer.children()
        return [layer] if not kids else [leaf for kid in kids for leaf in leaves(kid)]

    model = A.resnet18()
    model.eval()
    assert not any(leaf.training for leaf in leaves(model))
    model.train()
    assert all(leaf.training for leaf in leaves(model))


# --------------------------------------------------------------------------- summaries


def parse_totals(summary: str) -> tuple[int, int]:
    """(parameters, multiply-adds) from the summary's 'total' line."""
    line = next(row for row in summary.splitlines() if row.startswith("total"))
    numbers = re.findall(r"\d[\d,]*(?![\d,]*\))", line.split(")")[-1])
    params, macs = (int(n.replace(",", "")) for n in numbers[-2:])
    return params, macs


def test_summary_totals_equal_count_params_and_the_sum_of_the_rows(paper_model):
    name, model = paper_model
    rows = model.profile()
    text = model.summary()
    params, macs = parse_totals(text)
    assert params == model.count_params() == sum(r.params for r in rows)
    assert macs == sum(r.macs for r in rows) == model.macs()
    for row in rows:  # every layer has its own line
        assert re.search(rf"^{re.escape(row.name)}\s", text, flags=re.M), row.name
    assert rows[-1].output_shape == (1000 if name != "lenet5" else 10,)
    assert f"weight layers on the longest path: {DEPTH[name]}" in text


def test_summary_of_lenet5_counts_multiply_adds_by_the_formula():
    """D*Ho*Wo*C*h*w per convolution, in*out per dense layer, 0 for the rest."""
    conv = 6 * 28 * 28 * 1 * 25 + 16 * 10 * 10 * 6 * 25 + 120 * 1 * 1 * 16 * 25
    dense = 120 * 84 + 84 * 10
    model = A.lenet5()
    assert parse_totals(model.summary()) == (61_706, conv + dense)
    shapes = {row.name: row.output_shape for row in model.profile()}
    assert shapes["conv1"] == (6, 28, 28)
    assert shapes["pool2"] == (16, 5, 5)
    assert shapes["conv3"] == (120, 1, 1)


def test_summary_takes_another_input_shape():
    model = A.resnet18()
    small, large = model.macs((3, 32, 32)), model.macs((3, 224, 224))
    assert 0 < small < large
    text = model.summary((3, 32, 32))
    assert "input (3, 32, 32)" in text
    assert re.search(r"^layer4\.1 .*\(512, 1, 1\)", text, flags=re.M)
    assert re.search(r"^avgpool .*\(512\) ", text, flags=re.M)


def test_summary_thousands_separator_is_an_option():
    """Commas by default (the library speaks English); spaces as in the course notebooks."""
    model = A.lenet5()
    default, spaced = model.summary(), model.summary(thousands=" ")
    assert "61,706" in default and "61 706" not in default
    assert re.search(r"^total\s+\(10\)\s+61 706\s+416 520$", spaced, flags=re.M)
    assert not re.search(r"\d,\d", spaced), "no thousands comma left"
    plain = model.summary(thousands="")
    assert re.search(r"^conv3 .* 48120\s+48000$", plain, flags=re.M)
    # the columns stay aligned: same width with any one-character separator
    assert [len(line) for line in default.splitlines()] == [
        len(line) for line in spaced.splitlines()
    ]
    with pytest.raises(TypeError, match="thousands.*str"):
        model.summary(thousands=1)


def test_summary_speaks_spanish_for_the_notebooks():
    """lang="es": the notebooks' headers and last line; the same rows and totals."""
    model = A.lenet5()
    english, spanish = model.summary(thousands=""), model.summary(thousands="", lang="es")
    lines = spanish.splitlines()
    assert lines[0] == "LeNet-5, entrada (1, 32, 32)"
    assert re.fullmatch(
        r"capa\s+tipo\s+forma de la salida\s+parámetros\s+multiplicaciones", lines[1]
    )
    assert re.match(r"entrada\s+\(1, 32, 32\)$", lines[3])
    assert lines[-1] == "capas con pesos en el camino más largo: 5"
    assert parse_totals(spanish) == parse_totals(english) == (61_706, 416_520)
    rows = [line.split() for line in lines[4:-3]]  # the layers, between the two rules
    assert rows == [line.split() for line in english.splitlines()[4:-3]]
    assert [row[0] for row in rows] == [r.name for r in model.profile()]
    for word in ("layer", "output shape", "multiply-adds", "weight layers", "input"):
        assert word not in spanish, word
    with pytest.raises(ValueError, match=r"LeNet-5.*lang.*'en', 'es'"):
        model.summary(lang="fr")


def test_summary_names_the_layer_that_cannot_take_the_input():
    # 36x36 leaves C5 with 2x2 maps: 480 features reach fc1, built for 120.
    with pytest.raises(ValueError, match=r"LeNet-5.*'fc1' \(Dense\).*480.*\(1, 32, 32\)"):
        A.lenet5().summary((1, 36, 36))


@pytest.mark.parametrize("shape", [(224, 224), (3, 0, 224), "3x224x224", (1, 3, 224, 224)])
def test_summary_rejects_input_shapes_that_are_not_c_h_w(shape):
    with pytest.raises(ValueError, match=r"input_shape.*\(C, H, W\)"):
        A.lenet5().summary(shape)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_builders_reject_a_num_classes_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match=r"resnet18.*num_classes.*positive int"):
        A.resnet18(num_classes=bad)


def test_builders_reject_an_integer_dtype():
    with pytest.raises(TypeError, match=r"lenet5.*dtype.*float32"):
        A.lenet5(dtype=np.int32)


def test_compare_gives_depth_params_and_macs_for_a_plot():
    rows = A.compare({"LeNet-5": A.lenet5(), "ResNet-18": A.resnet18()})
    assert [(r.name, r.depth, r.params) for r in rows] == [
        ("LeNet-5", 5, 61_706),
        ("ResNet-18", 18, 11_689_512),
    ]
    assert rows[1].macs == A.resnet18().macs((3, 224, 224))
    same = A.compare([A.resnet18()], input_shape=(3, 64, 64))
    assert same[0].name == "ResNet-18" and same[0].macs == A.resnet18().macs((3, 64, 64))


# --------------------------------------------------------------------------- ResNet v1 and v1.5

# He et al. (2015), Table 1: "FLOPs" (multiply-adds) of each ResNet on 224x224, in units of
# 10^9 with one decimal.
PAPER_GMACS = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6}
PAPER_GMACS["resnet152"] = 11.3
BOTTLENECK_RESNETS = ("resnet50", "resnet101", "resnet152")
# Exact counts of the two variants (torchvision's FLOP counters give the same).
V1_MACS = {"resnet50": 3_857_973_248, "resnet101": 7_570_194_432, "resnet152": 11_282_415_616}
V15_MACS = {"resnet50": 4_089_184_256, "resnet101": 7_801_405_440, "resnet152": 11_513_626_624}


@pytest.mark.parametrize("name", BOTTLENECK_RESNETS)
def test_paper_variant_has_the_same_parameters_and_the_papers_multiply_adds(name):
    """stride_on="1x1" (the paper, v1): v1.5's parameters and shapes, Table 1's multiply-adds.

    The paper gives one decimal, so "match" means less than 0.1 G away: 3.86 for 3.8, 7.57
    for 7.6, 11.28 for 11.3. torchvision's v1.5 (the default) is 0.2-0.3 G above the paper.
    """
    v15 = A.BUILDERS[name]()
    v1 = A.BUILDERS[name](stride_on="1x1")
    assert v1.name == v15.name + " v1"
    assert v1.count_params() == v15.count_params() == PAPER[name][0]
    assert A.weight_depth(v1) == DEPTH[name]
    assert [(r.name, r.output_shape, r.params) for r in v1.profile()] == [
        (r.name, r.output_shape, r.params) for r in v15.profile()
    ]
    assert (v1.macs(), v15.macs()) == (V1_MACS[name], V15_MACS[name])
    paper = PAPER_GMACS[name] * 1e9
    assert abs(v1.macs() - paper) < 0.1e9, "the paper's variant rounds to Table 1's figure"
    assert v15.macs() - paper > 0.2e9, "torchvision's variant is not the paper's count"


@pytest.mark.parametrize("name", ["resnet18", "resnet34"])
def test_basic_block_resnets_match_the_papers_multiply_adds_too(name):
    """Basic blocks have no 1x1 in their main path: one variant, Table 1's 1.8 and 3.6 G."""
    assert abs(A.BUILDERS[name]().macs() - PAPER_GMACS[name] * 1e9) < 0.1e9


def test_paper_variant_moves_the_stride_to_the_first_1x1_of_the_halving_blocks_only():
    model = A.resnet50(stride_on="1x1")
    for block in (b for b in model if b.name.startswith("layer")):
        conv1, conv2 = block.main[0], block.main[3]
        halving = block.name in ("layer2.0", "layer3.0", "layer4.0")
        assert conv1.kernel_size == (1, 1) and conv2.kernel_size == (3, 3)
        assert (conv1.stride, conv2.stride) == (((2, 2), (1, 1)) if halving else ((1, 1),) * 2)
        if halving:  # the shortcut halves the maps as before
            assert block.shortcut[0].stride == (2, 2)


@pytest.mark.parametrize("bad", ["3x1", "paper", None, 1])
def test_stride_on_must_be_3x3_or_1x1(bad):
    with pytest.raises(ValueError, match=r"resnet101.*stride_on.*'1x1', '3x3'"):
        A.resnet101(stride_on=bad)


# --------------------------------------------------------------------------- PyTorch as oracle


def torch_lenet5(num_classes=10):
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, 6, 5),
            relu1=nn.ReLU(),
            pool1=nn.AvgPool2d(2),
            conv2=nn.Conv2d(6, 16, 5),
            relu2=nn.ReLU(),
            pool2=nn.AvgPool2d(2),
            conv3=nn.Conv2d(16, 120, 5),
            relu3=nn.ReLU(),
            flatten=nn.Flatten(),
            fc1=nn.Linear(120, 84),
            relu4=nn.ReLU(),
            fc2=nn.Linear(84, num_classes),
        )
    )


def torch_alexnet(num_classes=1000):
    lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 96, 11, stride=4),
            relu1=nn.ReLU(),
            lrn1=nn.LocalResponseNorm(**lrn),
            pool1=nn.MaxPool2d(3, 2),
            conv2=nn.Conv2d(96, 256, 5, padding=2, groups=2),
            relu2=nn.ReLU(),
            lrn2=nn.LocalResponseNorm(**lrn),
            pool2=nn.MaxPool2d(3, 2),
            conv3=nn.Conv2d(256, 384, 3, padding=1),
            relu3=nn.ReLU(),
            conv4=nn.Conv2d(384, 384, 3, padding=1, groups=2),
            relu4=nn.ReLU(),
            conv5=nn.Conv2d(384, 256, 3, padding=1, groups=2),
            relu5=nn.ReLU(),
            pool5=nn.MaxPool2d(3, 2),
            flatten=nn.Flatten(),
            dropout6=nn.Dropout(0.5),
            fc6=nn.Linear(9216, 4096),
            relu6=nn.ReLU(),
            dropout7=nn.Dropout(0.5),
            fc7=nn.Linear(4096, 4096),
            relu7=nn.ReLU(),
            fc8=nn.Linear(4096, num_classes),
        )
    )


# Convolutions per stage in Simonyan & Zisserman's Table 1 (all 3x3), widths 64..512.
TORCH_VGG_STAGES = {
    "vgg11": (1, 1, 2, 2, 2),
    "vgg13": (2, 2, 2, 2, 2),
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}


def torch_vgg(name, num_classes=1000):
    layers, cin = OrderedDict(), 3
    for stage, (count, width) in enumerate(
        zip(TORCH_VGG_STAGES[name], (64, 128, 256, 512, 512), strict=True)
    ):
        for i in range(1, count + 1):
            layers[f"conv{stage + 1}_{i}"] = nn.Conv2d(cin, width, 3, padding=1)
            layers[f"relu{stage + 1}_{i}"] = nn.ReLU()
            cin = width
        layers[f"pool{stage + 1}"] = nn.MaxPool2d(2, 2)
    layers.update(
        flatten=nn.Flatten(),
        fc6=nn.Linear(25088, 4096),
        relu6=nn.ReLU(),
        dropout6=nn.Dropout(0.5),
        fc7=nn.Linear(4096, 4096),
        relu7=nn.ReLU(),
        dropout7=nn.Dropout(0.5),
        fc8=nn.Linear(4096, num_classes),
    )
    return nn.Sequential(layers)


class TorchInception(nn.Module if torch else object):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool_proj):
        super().__init__()

        def conv(i, o, k):
            return [nn.Conv2d(i, o, k, padding=k // 2), nn.ReLU()]

        self.b1 = nn.Sequential(*conv(cin, c1, 1))
        self.b2 = nn.Sequential(*conv(cin, c3r, 1), *conv(c3r, c3, 3))
        self.b3 = nn.Sequential(*conv(cin, c5r, 1), *conv(c5r, c5, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), *conv(cin, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def torch_googlenet(num_classes=1000):
    lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 64, 7, 2, 3),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(3, 2, 1),
            lrn1=nn.LocalResponseNorm(**lrn),
            conv2_reduce=nn.Conv2d(64, 64, 1),
            relu2_reduce=nn.ReLU(),
            conv2=nn.Conv2d(64, 192, 3, padding=1),
            relu2=nn.ReLU(),
            lrn2=nn.LocalResponseNorm(**lrn),
            pool2=nn.MaxPool2d(3, 2, 1),
            inception3a=TorchInception(192, 64, 96, 128, 16, 32, 32),
            inception3b=TorchInception(256, 128, 128, 192, 32, 96, 64),
            pool3=nn.MaxPool2d(3, 2, 1),
            inception4a=TorchInception(480, 192, 96, 208, 16, 48, 64),
            inception4b=TorchInception(512, 160, 112, 224, 24, 64, 64),
            inception4c=TorchInception(512, 128, 128, 256, 24, 64, 64),
            inception4d=TorchInception(512, 112, 144, 288, 32, 64, 64),
            inception4e=TorchInception(528, 256, 160, 320, 32, 128, 128),
            pool4=nn.MaxPool2d(3, 2, 1),
            inception5a=TorchInception(832, 256, 160, 320, 32, 128, 128),
            inception5b=TorchInception(832, 384, 192, 384, 48, 128, 128),
            avgpool=nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
            dropout=nn.Dropout(0.4),
            fc=nn.Linear(1024, num_classes),
        )
    )


class TorchBasicBlock(nn.Module if torch else object):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width
        self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class TorchBottleneck(nn.Module if torch else object):
    """torchvision's bottleneck (stride on the 3x3, "v1.5"), or the paper's (on the 1x1)."""

    expansion = 4

    def __init__(self, cin, width, stride, stride_on="3x3"):
        super().__init__()
        cout = 4 * width
        s1, s3 = (stride, 1) if stride_on == "1x1" else (1, stride)
        self.conv1 = nn.Conv2d(cin, width, 1, s1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, s3, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        return torch.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


TORCH_RESNET_BLOCKS = {
    "resnet18": (TorchBasicBlock, (2, 2, 2, 2)),
    "resnet34": (TorchBasicBlock, (3, 4, 6, 3)),
    "resnet50": (TorchBottleneck, (3, 4, 6, 3)),
    "resnet101": (TorchBottleneck, (3, 4, 23, 3)),
    "resnet152": (TorchBottleneck, (3, 8, 36, 3)),
}


def torch_resnet(name, num_classes=1000, stride_on="3x3"):
    block, counts = TORCH_RESNET_BLOCKS[name]
    variant = {"stride_on": stride_on} if block is TorchBottleneck else {}
    layers = OrderedDict(
        conv1=nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        bn1=nn.BatchNorm2d(64),
        relu1=nn.ReLU(),
        maxpool=nn.MaxPool2d(3, 2, 1),
    )
    cin = 64
    for stage, (count, width) in enumerate(zip(counts, (64, 128, 256, 512), strict=True)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            layers[f"layer{stage + 1}_{i}"] = block(cin, width, stride, **variant)  # layer1.0
            cin = width * block.expansion
    layers.update(avgpool=nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()))
    layers.update(fc=nn.Linear(cin, num_classes))
    return nn.Sequential(layers)


def torch_model(name, num_classes, stride_on="3x3"):
    if name == "lenet5":
        return torch_lenet5(num_classes)
    if name == "alexnet":
        return torch_alexnet(num_classes)
    if name == "googlenet":
        return torch_googlenet(num_classes)
    if name.startswith("vgg"):
        return torch_vgg(name, num_classes)
    return torch_resnet(name, num_classes, stride_on)


def torch_profile(model, input_shape):
    """{top-level name: (output shape without batch, multiply-adds)} from forward hooks.

    Runs on PyTorch's "meta" device: shapes only, no memory for the weights, no arithmetic.
    """
    macs = {}

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per_output = module.in_channels // module.groups * kh * kw
            macs[module] = output[0].numel() * per_output
        elif isinstance(module, nn.Linear):
            macs[module] = module.in_features * module.out_features

    shapes, handles = {}, []
    for module in model.modules():
        handles.append(module.register_forward_hook(count))
    for name, child in model.named_children():
        handles.append(
            child.register_forward_hook(
                lambda mod, inp, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))
            )
        )
    with torch.no_grad():
        model.eval()(torch.zeros((1, *input_shape), device="meta"))
    for handle in handles:
        handle.remove()
    return {
        torch_name(name): (shapes[name], sum(macs.get(m, 0) for m in child.modules()))
        for name, child in model.named_children()
    }


def torch_name(name):
    """PyTorch forbids dots in module names: our "layer1.0" is its "layer1_0"."""
    return re.sub(r"^(layer\d)_(\d+)$", r"\1.\2", name)


def check_against_pytorch(name, ours, num_classes, stride_on="3x3"):
    with torch.device("meta"):
        reference = torch_model(name, num_classes, stride_on)
    assert ours.count_params() == sum(p.numel() for p in reference.parameters())
    theirs = torch_profile(reference, INPUT[name])
    rows = ours.profile(INPUT[name])
    assert [row.name for row in rows] == list(theirs)
    children = {torch_name(name): child for name, child in reference.named_children()}
    for row in rows:
        assert (row.output_shape, row.macs) == theirs[row.name], row.name
        assert row.params == sum(p.numel() for p in children[row.name].parameters()), row.name


@needs_torch
def test_layers_match_pytorch_in_shape_parameters_and_multiply_adds(paper_model):
    name, model = paper_model
    check_against_pytorch(name, model, PAPER[name][1])


@needs_torch
def test_layers_match_pytorch_with_another_num_classes(other_model):
    name, model = other_model
    check_against_pytorch(name, model, OTHER_CLASSES)


@needs_torch
@pytest.mark.parametrize("name", BOTTLENECK_RESNETS)
def test_paper_variant_matches_pytorch_with_the_stride_on_the_1x1(name):
    check_against_pytorch(name, A.BUILDERS[name](stride_on="1x1"), 1000, stride_on="1x1")


@needs_torch
@pytest.mark.parametrize("name", ["googlenet", "resnet18", "resnet50"])
def test_layers_match_pytorch_on_small_inputs_too(name):
    theirs = torch_profile(torch_model(name, 1000).to("meta"), (3, 64, 48))
    rows = A.BUILDERS[name]().profile((3, 64, 48))
    assert {row.name: (row.output_shape, row.macs) for row in rows} == theirs


def leaf_layers(layer):
    """Conv2D, BatchNorm2d and Dense layers in the order of ``children()``, depth first."""
    if isinstance(layer, (Conv2D, BatchNorm2d, Dense)):
        return [layer]
    return [leaf for child in layer.children() for leaf in leaf_layers(child)]


TORCH_EQUIVALENT = {}
if torch is not None:
    TORCH_EQUIVALENT = {Conv2D: nn.Conv2d, BatchNorm2d: nn.BatchNorm2d, Dense: nn.Linear}


def copy_weights(ours, reference, rng):
    """Give both models the same random weights (and batch-norm running statistics)."""
    theirs = [
        m for m in reference.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))
    ]
    mine = leaf_layers(ours)
    assert len(mine) == len(theirs)
    for layer, module in zip(mine, theirs, strict=True):
        assert TORCH_EQUIVALENT[type(layer)] is type(module), (layer.name, module)
        for key, param in layer.params.items():
            value = getattr(module, key)
            assert param.shape == tuple(value.shape), (layer.name, key)
            centre = 1.0 if isinstance(layer, BatchNorm2d) and key == "weight" else 0.0
            fresh = centre + 0.2 * rng.standard_normal(param.shape)
            param[...] = fresh
            with torch.no_grad():
                value.copy_(torch.from_numpy(fresh))
        if isinstance(layer, BatchNorm2d):
            mean = rng.standard_normal(layer.running_mean.shape) * 0.1
            var = rng.uniform(0.5, 2.0, layer.running_var.shape)
            layer.running_mean[...] = mean
            layer.running_var[...] = var
            module.running_mean.copy_(torch.from_numpy(mean))
            module.running_var.copy_(torch.from_numpy(var))


@needs_torch
def test_lenet5_forward_equals_pytorch_with_the_same_weights():
    rng = np.random.default_rng(5)
    ours = A.lenet5(num_classes=10, dtype=np.float64)
    reference = torch_lenet5(10).double()
    copy_weights(ours, reference, rng)
    x = rng.standard_normal((4, 1, 32, 32))
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    assert_close(ours(x), expected, dtype=np.float64)


@needs_torch
@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize(
    ("name", "layer", "stride_on"),
    [
        ("resnet18", "layer1.0", "3x3"),
        ("resnet18", "layer2.0", "3x3"),
        ("resnet50", "layer2.0", "3x3"),
        ("resnet50", "layer2.0", "1x1"),
    ],
    ids=["basic-identity", "basic-projection", "bottleneck-projection", "paper-bottleneck"],
)
def test_residual_block_forward_equals_pytorch_with_the_same_weights(name, layer, stride_on, mode):
    rng = np.random.default_rng(6)
    variant = {"stride_on": stride_on} if name != "resnet18" else {}
    model = A.BUILDERS[name](dtype=np.float64, **variant)
    block = next(b for b in model if b.name == layer)
    reference = torch_resnet(name, stride_on=stride_on)
    reference = dict(reference.named_children())[layer.replace(".", "_")].double()
    copy_weights(block, reference, rng)
    getattr(block, mode)()
    getattr(reference, mode)()
    cin = reference.conv1.in_channels
    x = rng.standard_normal((2, cin, 8, 8))
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    assert_close(block(x), expected, dtype=np.float64)


@needs_torch
def test_resnet18_forward_equals_pytorch_with_the_same_weights():
    rng = np.random.default_rng(7)
    ours = A.resnet18(num_classes=10, dtype=np.float64)
    reference = torch_resnet("resnet18", 10).double()
    copy_weights(ours, reference, rng)
    ours.eval()
    reference.eval()
    x = rng.standard_normal((2, 3, 32, 32))
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    assert_close(ours(x), expected, dtype=np.float64)
