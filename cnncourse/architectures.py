"""Classic CNN architectures, built from :mod:`cnncourse.layers` exactly as the papers describe.

Every builder returns a :class:`Model` (a ``Sequential``) that runs a forward pass on a batch
``x`` of shape (N, C, H, W), counts its parameters (:meth:`Model.count_params`) and prints a
per-layer table (:meth:`Model.summary`: output shape, parameters, multiply-adds). Nothing is
hard-coded: the totals below come out of the layers, and the tests check them against the
papers and against PyTorch.

============  ===============  ==============  =========================================
builder       input (C, H, W)  parameters      source
============  ===============  ==============  =========================================
lenet5        (1, 32, 32)          61,706      LeCun et al. 1998
alexnet       (3, 227, 227)    60,965,224      Krizhevsky et al. 2012 (two-GPU split)
vgg11         (3, 224, 224)   132,863,336      Simonyan & Zisserman 2014, config A
vgg13         (3, 224, 224)   133,047,848      config B
vgg16         (3, 224, 224)   138,357,544      config D
vgg19         (3, 224, 224)   143,667,240      config E
googlenet     (3, 224, 224)     6,998,552      Szegedy et al. 2014, Table 1
resnet18      (3, 224, 224)    11,689,512      He et al. 2015, Table 1
resnet34      (3, 224, 224)    21,797,672
resnet50      (3, 224, 224)    25,557,032
resnet101     (3, 224, 224)    44,549,160
resnet152     (3, 224, 224)    60,192,808
============  ===============  ==============  =========================================

(The counts are for the default ``num_classes``: 10 for LeNet-5, 1000 for the rest.)

ResNet-50, -101 and -152 put the stride of a bottleneck on its 3x3 convolution by default,
as torchvision does ("ResNet v1.5"); ``stride_on="1x1"`` builds the paper's variant, with
the stride on the first 1x1 ("v1"): the same parameters, fewer multiply-adds, and the ones
of the paper's Table 1 (3.8, 7.6 and 11.3 G to its one decimal).

Multiply-adds (MACs) are counted for ONE sample, only in convolutions and dense layers
(``D*Ho*Wo*(C/groups)*h*w`` and ``in*out``); ReLU, pooling, normalisation and the bias
additions count 0, the usual convention of the papers and of the "FLOPs" tables online.

Examples
--------
>>> from cnncourse.architectures import lenet5
>>> model = lenet5()
>>> model.count_params()
61706
>>> import numpy as np
>>> model(np.zeros((2, 1, 32, 32), np.float32)).shape
(2, 10)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import numpy as np

from .layers import (
    AvgPool2D,
    BatchNorm2d,
    Bottleneck,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Inception,
    Layer,
    LocalResponseNorm,
    MaxPool2D,
    ReLU,
    ResidualBlock,
    Sequential,
)

__all__ = [
    "Model",
    "LayerInfo",
    "ModelInfo",
    "BUILDERS",
    "compare",
    "weight_depth",
    "lenet5",
    "alexnet",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
]


# --------------------------------------------------------------------------- the Model


class LayerInfo(NamedTuple):
    """One row of :meth:`Model.profile`: a top-level layer (or a whole block) of a model."""

    name: str
    kind: str  # the layer's class name, e.g. "Conv2D", "Bottleneck"
    output_shape: tuple[int, ...]  # without the batch axis, e.g. (64, 112, 112)
    params: int
    macs: int  # multiply-adds for one sample


class ModelInfo(NamedTuple):
    """One row of :func:`compare`: a model's size in numbers, ready for a plot."""

    name: str
    depth: int  # weight layers (conv, dense) on the longest path from input to output
    params: int
    macs: int  # multiply-adds for one sample of the given input shape
    output_shape: tuple[int, ...]


# The words of Model.summary in each language: column headers, the input and total rows,
# and the last line (the depth).
_SUMMARY_WORDS = {
    "en": {
        "header": ("layer", "type", "output shape", "parameters", "multiply-adds"),
        "input": "input",
        "total": "total",
        "depth": "weight layers on the longest path",
    },
    "es": {
        "header": ("capa", "tipo", "forma de la salida", "parámetros", "multiplicaciones"),
        "input": "entrada",
        "total": "total",
        "depth": "capas con pesos en el camino más largo",
    },
}


def _shape_str(shape: Iterable[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _check_input_shape(input_shape, func: str) -> tuple[int, ...]:
    """(C, H, W) of positive ints, as a tuple; a friendly error for anything else."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if (
        shape is None
        or len(shape) != 3
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape)
        or min(shape) < 1
    ):
        raise ValueError(
            f"{func}: argument 'input_shape' must be (C, H, W) of positive ints, without the "
            f"batch axis, got {input_shape!r}; e.g. (3, 224, 224) for one RGB image"
        )
    return tuple(int(s) for s in shape)


class Model(Sequential):
    """A ``Sequential`` with a name, a default input shape and reporting tools.

    Parameters
    ----------
    *layers : Layer
        The layers, applied in order.
    name : str
        Shown in :meth:`summary`, e.g. ``"ResNet-50"``.
    input_shape : tuple of int
        The paper's input (C, H, W), used when :meth:`summary` is called without one.

    Notes
    -----
    Calling the model runs ``forward`` on a batch x of shape (N, C, H, W) and returns the
    logits (N, num_classes); ``backward``, ``parameters()``, ``train()`` and ``eval()`` come
    from ``Sequential``. Call ``model.eval()`` before inference so that dropout is off and
    batch norm uses its running statistics.
    """

    def __init__(self, *layers: Layer, name: str, input_shape: tuple[int, ...]):
        super().__init__(*layers)
        self.name = name
        self.input_shape = _check_input_shape(input_shape, "Model")

    def forward(self, x):
        """Logits (N, num_classes) for a batch x of shape (N, C, H, W)."""
        if np.ndim(x) != 4:
            hint = "; for one image use x[None]" if np.ndim(x) == 3 else ""
            raise ValueError(
                f"{self.name}: the input must be a batch of shape (N, C, H, W), got shape "
                f"{np.shape(x)}{hint}; this model expects (N, {str(self.input_shape)[1:]}"
            )
        return super().forward(x)

    def count_params(self) -> int:
        """Number of trainable values (weights, biases, batch-norm gamma and beta)."""
        return int(sum(layer.count_params() for layer in self))

    def profile(self, input_shape: tuple[int, ...] | None = None) -> list[LayerInfo]:
        """One :class:`LayerInfo` per top-level layer (a residual or inception block is one row).

        Parameters
        ----------
        input_shape : tuple of int, optional
            (C, H, W) of one sample, without the batch axis; the paper's input by default.

        Raises
        ------
        ValueError
            When a layer cannot take the shape that reaches it (the message names the layer).
        """
        shape = self.input_shape if input_shape is None else input_shape
        shape = _check_input_shape(shape, self.name)
        rows = []
        for layer in self:
            try:
                out = tuple(int(s) for s in layer.output_shape(shape))
                macs = int(layer.macs(shape))
            except ValueError as exc:
                raise ValueError(
                    f"{self.name}: layer '{layer.name}' ({type(layer).__name__}) cannot take "
                    f"an input of shape {_shape_str(shape)}: {exc}. The model was built for "
                    f"inputs {_shape_str(self.input_shape)}"
                ) from None
            rows.append(
                LayerInfo(layer.name, type(layer).__name__, out, layer.count_params(), macs)
            )
            shape = out
        return rows

    def macs(self, input_shape: tuple[int, ...] | None = None) -> int:
        """Multiply-adds for ONE sample of shape ``input_shape`` (the paper's by default)."""
        return sum(row.macs for row in self.profile(input_shape))

    def output_shape(self, input_shape: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """Shape of the output for one sample, e.g. ``(1000,)``."""
        rows = self.profile(input_shape)
        return rows[-1].output_shape

    def summary(
        self, input_shape: tuple[int, ...] | None = None, thousands: str = ",", lang: str = "en"
    ) -> str:
        """A table: one row per layer with output shape, parameters and multiply-adds.

        Parameters
        ----------
        input_shape : tuple of int, optional
            (C, H, W) of one sample, without the batch axis; the paper's input by default.
        thousands : str, default ","
            The thousands separator of the numbers: ``","`` gives 61,706, ``" "`` gives
            61 706 (the course notebooks' style), ``""`` gives 61706.
        lang : {"en", "es"}, default "en"
            The language of the headers and of the last line; ``"es"`` is the notebooks'
            Spanish (capa, tipo, forma de la salida, parámetros, multiplicaciones). The
            layer names and types are the code's, in either language.

        Returns
        -------
        str
            The table; ``print(model.summary())`` shows it. The totals line adds up the
            rows: it equals :meth:`count_params` and :meth:`macs`.

        Examples
        --------
        >>> from cnncourse.architectures import lenet5
        >>> print(lenet5().summary())
        LeNet-5, input (1, 32, 32)
        layer    type       output shape  parameters  multiply-adds
        -----------------------------------------------------------
        input               (1, 32, 32)
        conv1    Conv2D     (6, 28, 28)          156        117,600
        relu1    ReLU       (6, 28, 28)            0              0
        pool1    AvgPool2D  (6, 14, 14)            0              0
        conv2    Conv2D     (16, 10, 10)       2,416        240,000
        relu2    ReLU       (16, 10, 10)           0              0
        pool2    AvgPool2D  (16, 5, 5)             0              0
        conv3    Conv2D     (120, 1, 1)       48,120         48,000
        relu3    ReLU       (120, 1, 1)            0              0
        flatten  Flatten    (120)                  0              0
        fc1      Dense      (84)              10,164         10,080
        relu4    ReLU       (84)                   0              0
        fc2      Dense      (10)                 850            840
        -----------------------------------------------------------
        total               (10)              61,706        416,520
        weight layers on the longest path: 5
        >>> print(lenet5().summary(thousands=" ").splitlines()[-2])
        total               (10)              61 706        416 520
        >>> spanish = lenet5().summary(thousands=" ", lang="es").splitlines()
        >>> print(spanish[0])
        LeNet-5, entrada (1, 32, 32)
        >>> print(spanish[1])
        capa     tipo       forma de la salida  parámetros  multiplicaciones
        >>> print(spanish[-1])
        capas con pesos en el camino más largo: 5
        """
        if not isinstance(thousands, str):
            raise TypeError(
                f"{self.name}.summary: argument 'thousands' must be a str, got "
                f"{thousands!r} (type {type(thousands).__name__}); e.g. thousands=' ' for 61 706"
            )
        if lang not in _SUMMARY_WORDS:
            raise ValueError(
                f"{self.name}.summary: argument 'lang' must be one of "
                f"{sorted(_SUMMARY_WORDS)}, got {lang!r}; e.g. lang='es' for Spanish headers"
            )
        words = _SUMMARY_WORDS[lang]

        def num(n: int) -> str:
            return f"{n:,}".replace(",", thousands)

        shape = self.input_shape if input_shape is None else input_shape
        rows = self.profile(shape)
        shape = _check_input_shape(shape, self.name)
        total_params = sum(r.params for r in rows)
        total_macs = sum(r.macs for r in rows)
        table = [words["header"]]
        table.append((words["input"], "", _shape_str(shape), "", ""))
        for r in rows:
            table.append((r.name, r.kind, _shape_str(r.output_shape), num(r.params), num(r.macs)))
        total = (words["total"], "", _shape_str(rows[-1].output_shape), num(total_params))
        total += (num(total_macs),)
        widths = [max(len(row[i]) for row in [*table, total]) for i in range(5)]
        right = (False, False, False, True, True)

        def fmt(row):
            cells = [
                c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
            ]
            return "  ".join(cells).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [f"{self.name}, {words['input']} {_shape_str(shape)}", fmt(table[0]), rule]
        lines += [fmt(row) for row in table[1:]]
        lines += [rule, fmt(total), f"{words['depth']}: {weight_depth(self)}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{self.name}: {len(self)} layers, {self.count_params():,} parameters>"


def weight_depth(layer: Layer) -> int:
    """Weight layers (convolutions and dense layers) on the longest path through ``layer``.

    This is the depth the papers quote: 5 for LeNet-5, 8 for AlexNet, 16 for VGG-16, 22 for
    GoogLeNet, 18/34/50/101/152 for the ResNets (projection shortcuts and parallel inception
    paths do not add to it).
    """
    if isinstance(layer, (Conv2D, Dense)):
        return 1
    if isinstance(layer, Inception):
        return max(weight_depth(path) for path in _inception_paths(layer))
    if isinstance(layer, (ResidualBlock, Bottleneck)):
        return sum(weight_depth(child) for child in _residual_main_path(layer))
    return sum(weight_depth(child) for child in layer.children())


def _inception_paths(block: Layer) -> list[Layer]:
    """The four parallel paths of an Inception block."""
    return list(block.children())


def _residual_main_path(block: Layer) -> list[Layer]:
    """The layers of a residual block without its shortcut."""
    shortcut = getattr(block, "shortcut", None)
    return [child for child in block.children() if child is not shortcut]


def compare(
    models: Mapping[str, Model] | Iterable[Model], input_shape: tuple[int, ...] | None = None
) -> list[ModelInfo]:
    """Depth, parameters and multiply-adds of several models, one :class:`ModelInfo` each.

    Parameters
    ----------
    models : dict of str to Model, or iterable of Model
        The models; a dict gives the names to show, otherwise each model's own ``name``.
    input_shape : tuple of int, optional
        (C, H, W) of one sample for every model; each model's own default when omitted
        (AlexNet takes 227x227, the ImageNet models 224x224, LeNet-5 32x32).

    Returns
    -------
    list of ModelInfo
        In the order given; e.g. ``[(r.depth, r.params) for r in compare(...)]`` for a plot.

    Examples
    --------
    >>> from cnncourse.architectures import lenet5, compare
    >>> compare({"LeNet-5": lenet5()})
    [ModelInfo(name='LeNet-5', depth=5, params=61706, macs=416520, output_shape=(10,))]
    """
    items = models.items() if isinstance(models, Mapping) else ((m.name, m) for m in models)
    rows = []
    for name, model in items:
        profile = model.profile(input_shape)
        rows.append(
            ModelInfo(
                name=name,
                depth=weight_depth(model),
                params=sum(r.params for r in profile),
                macs=sum(r.macs for r in profile),
                output_shape=profile[-1].output_shape,
            )
        )
    return rows


# --------------------------------------------------------------------------- helpers


def _check_builder_args(func: str, num_classes, dtype) -> np.dtype:
    if (
        not isinstance(num_classes, numbers.Integral)
        or isinstance(num_classes, bool)
        or num_classes < 1
    ):
        raise ValueError(
            f"{func}: argument 'num_classes' must be a positive int, got {num_classes!r}; "
            f"e.g. {func}(num_classes=10) for a 10-class data set"
        )
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(
            f"{func}: argument 'dtype' must be np.float32 or np.float64, got {dt}; "
            f"float32 is the usual choice, float64 is for gradient checks"
        )
    return dt


def _named(name: str, layer: Layer) -> Layer:
    layer.name = name
    return layer


class _Factory:
    """Makes the layers of one model with a shared dtype and random generator."""

    def __init__(self, dtype, seed):
        self.dtype = dtype
        self.rng = np.random.default_rng(seed)

    def conv(self, cin, cout, kernel_size, stride=1, padding=0, bias=True, groups=1):
        return Conv2D(
            cin,
            cout,
            kernel_size,
            stride=stride,
            padding=padding,
            bias=bias,
            groups=groups,
            dtype=self.dtype,
            rng=self.rng,
        )

    def dense(self, fin, fout):
        return Dense(fin, fout, dtype=self.dtype, rng=self.rng)

    def dropout(self, p):
        return Dropout(p, rng=self.rng)


def _build(func: str, num_classes, dtype, seed, make: Callable[[_Factory], tuple]) -> Model:
    dt = _check_builder_args(func, num_classes, dtype)
    name, input_shape, layers = make(_Factory(dt, seed))
    return Model(*[_named(n, layer) for n, layer in layers], name=name, input_shape=input_shape)


# --------------------------------------------------------------------------- LeNet-5


def lenet5(num_classes: int = 10, *, dtype=np.float32, seed: int = 0) -> Model:
    """LeNet-5 (LeCun et al. 1998) on 1x32x32 inputs: 61,706 parameters for 10 classes.

    C1 conv 5x5, 6 maps (28x28) -> S2 pool 2x2 (14x14) -> C3 conv 5x5, 16 maps (10x10) ->
    S4 pool 2x2 (5x5) -> C5 conv 5x5, 120 maps (1x1, the same as a dense 400 -> 120) ->
    F6 dense 120 -> 84 -> output dense 84 -> ``num_classes``.

    Modern simplifications, stated so nobody mistakes them for the original: ReLU after each
    convolution and F6 (the paper used a scaled tanh), plain 2x2 average pooling for S2/S4
    (the paper's subsampling layers multiplied the sum by a trainable coefficient and added a
    trainable bias, 12 + 32 more parameters), C3 connected to all 6 maps of S2 (the paper used
    a partial connection table, 1,516 weights instead of 2,416) and a dense output layer (the
    paper's output used Euclidean radial basis functions, whose parameters were fixed, not
    trained). Hence the paper's "60,000 trainable parameters": 61,706 - 900 (C3) - 850
    (output) + 44 (S2 and S4) = 60,000.

    Parameters
    ----------
    num_classes : int, default 10
        Size of the output layer.
    dtype : np.float32 or np.float64
        dtype of the parameters.
    seed : int
        Seed of the initialisation.
    """

    def make(f: _Factory):
        return (
            "LeNet-5",
            (1, 32, 32),
            [
                ("conv1", f.conv(1, 6, 5)),
                ("relu1", ReLU()),
                ("pool1", AvgPool2D(2)),
                ("conv2", f.conv(6, 16, 5)),
                ("relu2", ReLU()),
                ("pool2", AvgPool2D(2)),
                ("conv3", f.conv(16, 120, 5)),
                ("relu3", ReLU()),
                ("flatten", Flatten()),
                ("fc1", f.dense(120, 84)),
                ("relu4", ReLU()),
                ("fc2", f.dense(84, num_classes)),
            ],
        )

    return _build("lenet5", num_classes, dtype, seed, make)


# --------------------------------------------------------------------------- AlexNet


def alexnet(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """AlexNet (Krizhevsky et al. 2012) on 3x227x227: 60,965,224 parameters for 1000 classes.

    The paper trained on two GPUs, and conv2, conv4 and conv5 only saw the maps on their own
    GPU; here that split is a grouped convolution with ``groups=2``. conv3 and the dense
    layers were connected across GPUs (groups=1). The paper says 224x224, but 227x227 is what
    makes conv1 (11x11, stride 4) produce its 55x55 maps.

    conv1 96 11x11/4 (55) -> ReLU -> LRN -> maxpool 3/2 (27) -> conv2 256 5x5 p2 g2 -> ReLU
    -> LRN -> maxpool 3/2 (13) -> conv3 384 3x3 p1 -> conv4 384 3x3 p1 g2 -> conv5 256 3x3 p1
    g2 (each with ReLU) -> maxpool 3/2 (6) -> flatten 9216 -> dropout 0.5 -> fc6 4096 -> ReLU
    -> dropout 0.5 -> fc7 4096 -> ReLU -> fc8 ``num_classes``.
    """

    def make(f: _Factory):
        lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)  # the paper's constants
        return (
            "AlexNet",
            (3, 227, 227),
            [
                ("conv1", f.conv(3, 96, 11, stride=4)),
                ("relu1", ReLU()),
                ("lrn1", LocalResponseNorm(**lrn)),
                ("pool1", MaxPool2D(3, stride=2)),
                ("conv2", f.conv(96, 256, 5, padding=2, groups=2)),
                ("relu2", ReLU()),
                ("lrn2", LocalResponseNorm(**lrn)),
                ("pool2", MaxPool2D(3, stride=2)),
                ("conv3", f.conv(256, 384, 3, padding=1)),
                ("relu3", ReLU()),
                ("conv4", f.conv(384, 384, 3, padding=1, groups=2)),
                ("relu4", ReLU()),
                ("conv5", f.conv(384, 256, 3, padding=1, groups=2)),
                ("relu5", ReLU()),
                ("pool5", MaxPool2D(3, stride=2)),
                ("flatten", Flatten()),
                ("dropout6", f.dropout(0.5)),
                ("fc6", f.dense(256 * 6 * 6, 4096)),
                ("relu6", ReLU()),
                ("dropout7", f.dropout(0.5)),
                ("fc7", f.dense(4096, 4096)),
                ("relu7", ReLU()),
                ("fc8", f.dense(4096, num_classes)),
            ],
        )

    return _build("alexnet", num_classes, dtype, seed, make)


# --------------------------------------------------------------------------- VGG

# Table 1 of Simonyan & Zisserman (2014): output channels of each 3x3 convolution (stride 1,
# padding 1), "M" for a 2x2 max pool with stride 2.
_VGG_CONFIGS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ),  # fmt: skip
}


def _vgg(func: str, title: str, config: str, num_classes, dtype, seed) -> Model:
    def make(f: _Factory):
        layers = []
        cin, block, index = 3, 1, 1
        for item in _VGG_CONFIGS[config]:
            if item == "M":
                layers.append((f"pool{block}", MaxPool2D(2, stride=2)))
                block, index = block + 1, 1
                continue
            layers.append((f"conv{block}_{index}", f.conv(cin, item, 3, padding=1)))
            layers.append((f"relu{block}_{index}", ReLU()))
            cin, index = item, index + 1
        layers += [
            ("flatten", Flatten()),
            ("fc6", f.dense(512 * 7 * 7, 4096)),
            ("relu6", ReLU()),
            ("dropout6", f.dropout(0.5)),
            ("fc7", f.dense(4096, 4096)),
            ("relu7", ReLU()),
            ("dropout7", f.dropout(0.5)),
            ("fc8", f.dense(4096, num_classes)),
        ]
        return title, (3, 224, 224), layers

    return _build(func, num_classes, dtype, seed, make)


def vgg11(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """VGG-11 (configuration A): 8 convolutions + 3 dense layers, 132,863,336 parameters."""
    return _vgg("vgg11", "VGG-11", "A", num_classes, dtype, seed)


def vgg13(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """VGG-13 (configuration B): 10 convolutions + 3 dense layers, 133,047,848 parameters."""
    return _vgg("vgg13", "VGG-13", "B", num_classes, dtype, seed)


def vgg16(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """VGG-16 (Simonyan & Zisserman 2014, configuration D): 138,357,544 parameters.

    3x3 convolutions (stride 1, padding 1), each with ReLU, in five stages of 2, 2, 3, 3, 3
    convolutions with 64, 128, 256, 512, 512 channels, each stage closed by a 2x2 max pool
    (224 -> 7), then fc6 25088 -> 4096, fc7 4096 -> 4096 (ReLU and dropout 0.5 after each)
    and fc8 4096 -> ``num_classes``. Inputs are 3x224x224: the flattened 512x7x7 maps must
    match fc6. No batch norm (it came a year later). VGG-11, -13 and -19 differ only in the
    number of convolutions per stage (Table 1 of the paper, configurations A, B and E).

    Parameters
    ----------
    num_classes : int, default 1000
        Size of the output layer.
    dtype : np.float32 or np.float64
        dtype of the parameters.
    seed : int
        Seed of the initialisation.
    """
    return _vgg("vgg16", "VGG-16", "D", num_classes, dtype, seed)


def vgg19(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """VGG-19 (configuration E): 16 convolutions + 3 dense layers, 143,667,240 parameters."""
    return _vgg("vgg19", "VGG-19", "E", num_classes, dtype, seed)


# --------------------------------------------------------------------------- GoogLeNet

# Table 1 of Szegedy et al. (2014): name, then Inception(ch1x1, ch3x3red, ch3x3, ch5x5red,
# ch5x5, pool_proj); "M" for a 3x3 max pool with stride 2.
_GOOGLENET_TABLE = (
    ("inception3a", (64, 96, 128, 16, 32, 32)),
    ("inception3b", (128, 128, 192, 32, 96, 64)),
    ("pool3", "M"),
    ("inception4a", (192, 96, 208, 16, 48, 64)),
    ("inception4b", (160, 112, 224, 24, 64, 64)),
    ("inception4c", (128, 128, 256, 24, 64, 64)),
    ("inception4d", (112, 144, 288, 32, 64, 64)),
    ("inception4e", (256, 160, 320, 32, 128, 128)),
    ("pool4", "M"),
    ("inception5a", (256, 160, 320, 32, 128, 128)),
    ("inception5b", (384, 192, 384, 48, 128, 128)),
)


def googlenet(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """GoogLeNet (Szegedy et al. 2014, Table 1) on 3x224x224: 6,998,552 parameters.

    Stem: conv 7x7/2, 64 (112) -> maxpool 3x3/2 (56) -> LRN -> conv 1x1, 64 (the "#3x3
    reduce" of the table's depth-2 row) -> conv 3x3, 192 -> LRN -> maxpool 3x3/2 (28). Then
    inception 3a, 3b -> maxpool (14) -> 4a..4e -> maxpool (7) -> 5a, 5b -> average pool
    (global: at 224x224 it is the table's 7x7/1) -> dropout 40% -> linear 1024 ->
    ``num_classes``. Every convolution has a bias and a ReLU; no batch norm (it came later,
    in Inception v2) and no auxiliary classifiers (used only for training in the paper).
    Pools use padding 1 so that 112 -> 56 -> 28 -> 14 -> 7 as in the table.

    Parameters
    ----------
    num_classes : int, default 1000
        Size of the output layer.
    dtype : np.float32 or np.float64
        dtype of the parameters.
    seed : int
        Seed of the initialisation.
    """

    def make(f: _Factory):
        lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)
        layers = [
            ("conv1", f.conv(3, 64, 7, stride=2, padding=3)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2D(3, stride=2, padding=1)),
            ("lrn1", LocalResponseNorm(**lrn)),
            ("conv2_reduce", f.conv(64, 64, 1)),
            ("relu2_reduce", ReLU()),
            ("conv2", f.conv(64, 192, 3, padding=1)),
            ("relu2", ReLU()),
            ("lrn2", LocalResponseNorm(**lrn)),
            ("pool2", MaxPool2D(3, stride=2, padding=1)),
        ]
        cin = 192
        for name, spec in _GOOGLENET_TABLE:
            if spec == "M":
                layers.append((name, MaxPool2D(3, stride=2, padding=1)))
                continue
            layers.append((name, Inception(cin, *spec, dtype=f.dtype, rng=f.rng)))
            cin = spec[0] + spec[2] + spec[4] + spec[5]
        layers += [
            ("avgpool", GlobalAvgPool()),
            ("dropout", f.dropout(0.4)),
            ("fc", f.dense(cin, num_classes)),
        ]
        return "GoogLeNet", (3, 224, 224), layers

    return _build("googlenet", num_classes, dtype, seed, make)


# --------------------------------------------------------------------------- ResNet

# Table 1 of He et al. (2015): blocks per stage (conv2_x .. conv5_x) and the block type.
_RESNET_STAGES = {
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
    101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True),
}
_RESNET_WIDTHS = (64, 128, 256, 512)
_BOTTLENECK_EXPANSION = 4
# Where a bottleneck that halves the resolution puts its stride: "3x3" (torchvision,
# "ResNet v1.5", the default) or "1x1" (the paper, "v1"), and the model's name suffix.
_STRIDE_ON = {"3x3": "", "1x1": " v1"}


def _check_stride_on(func: str, stride_on) -> str:
    if not isinstance(stride_on, str) or stride_on not in _STRIDE_ON:
        raise ValueError(
            f"{func}: argument 'stride_on' must be one of {sorted(_STRIDE_ON)}, got "
            f"{stride_on!r}; '3x3' is torchvision's ResNet v1.5, '1x1' the paper's (v1)"
        )
    return stride_on


def _bottleneck(f: _Factory, cin: int, width: int, stride: int, stride_on: str) -> Bottleneck:
    """A Bottleneck with its stride on the 3x3 convolution, or on the first 1x1 (the paper).

    The two variants have the same layers and parameters; only the convolution that halves
    the resolution changes. With the stride on the first 1x1, that 1x1 computes a quarter of
    the positions (4 times fewer multiply-adds in it) and reads one pixel in four; the 3x3
    then works on the halved maps and costs what it costs with the stride.
    """
    block = Bottleneck(
        cin, width, stride=stride, expansion=_BOTTLENECK_EXPANSION, dtype=f.dtype, rng=f.rng
    )
    if stride_on == "1x1" and stride != 1:
        conv1, conv2 = block.main[0], block.main[3]  # the first 1x1 and the 3x3
        conv1.stride, conv2.stride = conv2.stride, (1, 1)
    return block


def _resnet(depth: int, num_classes, dtype, seed, stride_on: str = "3x3") -> Model:
    func = f"resnet{depth}"
    stride_on = _check_stride_on(func, stride_on)

    def make(f: _Factory):
        blocks, bottleneck = _RESNET_STAGES[depth]
        layers = [
            ("conv1", f.conv(3, 64, 7, stride=2, padding=3, bias=False)),
            ("bn1", BatchNorm2d(64, dtype=f.dtype)),
            ("relu1", ReLU()),
            ("maxpool", MaxPool2D(3, stride=2, padding=1)),
        ]
        cin = 64
        for stage, (count, width) in enumerate(zip(blocks, _RESNET_WIDTHS, strict=True)):
            for i in range(count):
                stride = 2 if (i == 0 and stage > 0) else 1
                if bottleneck:
                    block = _bottleneck(f, cin, width, stride, stride_on)
                    cin = width * _BOTTLENECK_EXPANSION
                else:
                    block = ResidualBlock(cin, width, stride=stride, dtype=f.dtype, rng=f.rng)
                    cin = width
                layers.append((f"layer{stage + 1}.{i}", block))
        layers += [("avgpool", GlobalAvgPool()), ("fc", f.dense(cin, num_classes))]
        return f"ResNet-{depth}{_STRIDE_ON[stride_on]}", (3, 224, 224), layers

    return _build(func, num_classes, dtype, seed, make)


def resnet18(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """ResNet-18 (He et al. 2015): 11,689,512 parameters; basic blocks 2, 2, 2, 2.

    See :func:`resnet50` for the layout; each basic block is conv3x3-BN-ReLU-conv3x3-BN plus
    the shortcut, then ReLU.
    """
    return _resnet(18, num_classes, dtype, seed)


def resnet34(num_classes: int = 1000, *, dtype=np.float32, seed: int = 0) -> Model:
    """ResNet-34 (He et al. 2015): 21,797,672 parameters; basic blocks 3, 4, 6, 3."""
    return _resnet(34, num_classes, dtype, seed)


def resnet50(
    num_classes: int = 1000, *, dtype=np.float32, seed: int = 0, stride_on: str = "3x3"
) -> Model:
    """ResNet-50 (He et al. 2015, Table 1) on 3x224x224: 25,557,032 parameters.

    conv 7x7/2, 64 (no bias) -> batch norm -> ReLU -> maxpool 3x3/2 (56x56) -> four stages
    (conv2_x .. conv5_x) of 3, 4, 6, 3 bottleneck blocks, 1x1 -> 3x3 -> 1x1 with 64, 128,
    256, 512 channels inside and 4 times that out -> global average pooling -> dense 2048 ->
    ``num_classes``. Batch norm follows every convolution, and convolutions followed by batch
    norm have no bias. The first block of stages 3-5 halves the resolution with stride 2;
    where a block changes the shape, its shortcut is a 1x1 convolution (with that stride) plus
    batch norm (the paper's option B), elsewhere the identity.

    By default the stride of a bottleneck sits on its 3x3 convolution, as in torchvision
    ("ResNet v1.5"); the paper put it on the first 1x1 ("v1", ``stride_on="1x1"``, named
    "ResNet-50 v1"). Parameters and shapes are the same. The 3x3 stride costs more
    multiply-adds, because the first 1x1 of the three halving blocks then runs on the maps
    before they are halved (4 times the positions): 4.09 G instead of 3.86 G per 224x224
    image (the paper's Table 1 says 3.8 G). It is also a little more accurate: a 1x1 with
    stride 2 reads one pixel in four, the overlapping 3x3 windows read them all.

    Parameters
    ----------
    num_classes : int, default 1000
        Size of the output layer.
    dtype : np.float32 or np.float64
        dtype of the parameters (and of the batch-norm statistics).
    seed : int
        Seed of the initialisation.
    stride_on : {"3x3", "1x1"}, default "3x3"
        The convolution of a bottleneck that carries the stride 2: the 3x3 (torchvision,
        v1.5) or the first 1x1 (the paper, v1).
    """
    return _resnet(50, num_classes, dtype, seed, stride_on)


def resnet101(
    num_classes: int = 1000, *, dtype=np.float32, seed: int = 0, stride_on: str = "3x3"
) -> Model:
    """ResNet-101 (He et al. 2015): 44,549,160 parameters; bottlenecks 3, 4, 23, 3.

    7.80 G multiply-adds per 224x224 image with the stride on the 3x3 (the default, v1.5),
    7.57 G with ``stride_on="1x1"`` (the paper's v1; its Table 1 says 7.6 G). See
    :func:`resnet50`.
    """
    return _resnet(101, num_classes, dtype, seed, stride_on)


def resnet152(
    num_classes: int = 1000, *, dtype=np.float32, seed: int = 0, stride_on: str = "3x3"
) -> Model:
    """ResNet-152 (He et al. 2015): 60,192,808 parameters; bottlenecks 3, 8, 36, 3.

    11.51 G multiply-adds per 224x224 image with the stride on the 3x3 (the default, v1.5),
    11.28 G with ``stride_on="1x1"`` (the paper's v1; its Table 1 says 11.3 G). See
    :func:`resnet50`.
    """
    return _resnet(152, num_classes, dtype, seed, stride_on)


BUILDERS: dict[str, Callable[..., Model]] = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "vgg11": vgg11,
    "vgg13": vgg13,
    "vgg16": vgg16,
    "vgg19": vgg19,
    "googlenet": googlenet,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "resnet101": resnet101,
    "resnet152": resnet152,
}
"""Every builder by name, e.g. ``BUILDERS["resnet50"](num_classes=10)``."""
