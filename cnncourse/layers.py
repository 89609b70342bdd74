"""Layers of a CNN with forward and backward passes on (N, C, H, W) batches.

How to read this file
---------------------
Every layer is a class with two methods:

* ``forward(x)`` computes the output and caches (``self._save``) what the
  backward pass will need, usually the input;
* ``backward(dout)`` receives ``dL/d(output)``, fetches the cache
  (``self._saved``), writes the gradient of every parameter into
  ``self.grads`` (same keys and shapes as ``self.params``) and returns
  ``dL/dx``, which becomes the ``dout`` of the layer before.

Blocks (``Sequential``, ``ResidualBlock``, ``Bottleneck``, ``Inception``) are
layers made of layers: forward calls the children in order, backward calls
them in reverse order (the chain rule). The optimizers of
:mod:`cnncourse.optim` receive ``model.parameters()``, the list of
``(param, grad)`` pairs, and update the parameters in place; that is why
backward fills ``self.grads[key][...]`` instead of binding new arrays.

The heavy lifting is done by :mod:`cnncourse.functional` (``conv2d`` and
``conv2d_backward``: im2col + GEMM; ``pool2d`` and ``pool2d_backward``);
everything else is a few lines of vectorised NumPy. float32 stays float32.

Examples
--------
>>> import numpy as np
>>> from cnncourse.layers import Conv2D, ReLU, MaxPool2D, Sequential
>>> net = Sequential(Conv2D(3, 8, 3, padding=1), ReLU(), MaxPool2D(2))
>>> x = np.ones((4, 3, 32, 32), dtype=np.float32)
>>> net(x).shape
(4, 8, 16, 16)
>>> net.backward(np.ones((4, 8, 16, 16), dtype=np.float32)).shape
(4, 3, 32, 32)
>>> net.output_shape((3, 32, 32)), net.count_params(), net.macs((3, 32, 32))
((8, 16, 16), 224, 221184)
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _validation as V
from .functional import conv2d, conv2d_backward, global_pool, pool2d, pool2d_backward

__all__ = [
    "Layer",
    "Conv2D",
    "ReLU",
    "MaxPool2D",
    "AvgPool2D",
    "GlobalAvgPool",
    "Flatten",
    "Dense",
    "BatchNorm2d",
    "Dropout",
    "LocalResponseNorm",
    "Sequential",
    "ResidualBlock",
    "Bottleneck",
    "Inception",
    "SoftmaxCrossEntropy",
    "softmax",
]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _check_dtype(dtype, label: str) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise TypeError(
            f"{label}: argument 'dtype' must be np.float32 or np.float64, got {dtype!r}; "
            f"use np.float32 for speed or np.float64 for gradient checks"
        )
    return dt


def _check_rng(rng, label: str) -> np.random.Generator:
    """None -> np.random.default_rng(0); an int is used as a seed."""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{label}: argument 'rng' must be a np.random.Generator or an int seed, "
            f"got {type(rng).__name__}; pass e.g. rng=np.random.default_rng(0)"
        )
    return rng


def _he_uniform(rng, shape, fan_in: int, dtype) -> np.ndarray:
    """U(-b, b) with b = sqrt(6 / fan_in): variance 2 / fan_in, He et al. (2015) for ReLU."""
    bound = np.sqrt(6.0 / fan_in)
    w = rng.random(shape, dtype=dtype)  # U[0, 1), filled in place: no float64 copy
    w *= 2 * bound
    w -= bound
    return w


def _sequential(name: str, **layers) -> Sequential:
    """A Sequential called ``name`` whose children are named after the keywords."""
    for child_name, layer in layers.items():
        layer.name = child_name
    block = Sequential(*layers.values())
    block.name = name
    return block


# ----------------------------------------------------------------------------
# the base class
# ----------------------------------------------------------------------------
class _Grads(dict):
    """A layer's gradients, each allocated (zeros) the first time it is used.

    Building VGG-16 to read its summary needs its 138 million weights, not another 138
    million gradients: those appear with the first backward or ``parameters()`` call.
    """

    def __init__(self, params: dict):
        super().__init__()
        self._params = params

    def __missing__(self, key):
        value = np.zeros_like(self._params[key])
        self[key] = value
        return value


class Layer:
    """Base class: parameters, gradients, train/eval mode and the shared checks.

    Attributes
    ----------
    name : str
        Shown in error messages and summaries, e.g. ``"conv1"``; defaults to the class name.
    params : dict of str to ndarray
        The trainable arrays, e.g. ``{"weight": ..., "bias": ...}``; ``{}`` if none.
    grads : dict of str to ndarray
        Same keys and shapes; overwritten (not accumulated) by every backward.
    training : bool
        True after ``train()`` (the default), False after ``eval()``.
    """

    def __init__(self):
        self.name = type(self).__name__
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = _Grads(self.params)
        self.training = True
        self._cache = None
        self._out_shape = None

    # -- to override --------------------------------------------------------
    def forward(self, x):
        """Output of the layer for a batch ``x``; caches what backward needs."""
        raise NotImplementedError

    def backward(self, dout):
        """Given dL/d(output), fill ``self.grads`` and return dL/dx."""
        raise NotImplementedError

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one output sample (no batch axis) for one input sample."""
        return self._shape(input_shape)

    def macs(self, input_shape: tuple) -> int:
        """Multiply-adds for ONE sample of shape ``input_shape`` (0 unless overridden)."""
        self.output_shape(input_shape)
        return 0

    def children(self) -> list[Layer]:
        """The sub-layers of a block; [] for a plain layer."""
        return []

    def extra_repr(self) -> str:
        return ""

    # -- shared by every layer ------------------------------------------------
    def __call__(self, x):
        return self.forward(x)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(param, grad)`` pairs of this layer and all its children, for the optimizers."""
        pairs = [(self.params[key], self.grads[key]) for key in self.params]
        for child in self.children():
            pairs += child.parameters()
        return pairs

    def count_params(self) -> int:
        """Number of trainable values (BatchNorm's running statistics are not counted)."""
        return sum(p.size for p in self.params.values()) + sum(
            child.count_params() for child in self.children()
        )

    def train(self):
        """Training mode, recursively (batch statistics in BatchNorm2d, dropout on)."""
        self.training = True
        for child in self.children():
            child.train()
        return self

    def eval(self):
        """Evaluation mode, recursively (running statistics in BatchNorm2d, dropout off)."""
        self.training = False
        for child in self.children():
            child.eval()
        return self

    def __repr__(self) -> str:
        kind = type(self).__name__
        kids = self.children()
        if not kids:
            return f"{kind}({self.extra_repr()})"
        lines = [f"  ({child.name}): " + repr(child).replace("\n", "\n  ") for child in kids]
        return f"{kind}(\n" + "\n".join(lines) + "\n)"

    def _add_param(self, key: str, value: np.ndarray) -> None:
        self.params[key] = value  # its gradient is allocated on first use (_Grads)

    @property
    def _label(self) -> str:
        """``Conv2D(conv1)`` for a named layer, ``Conv2D`` otherwise: starts every error."""
        kind = type(self).__name__
        return kind if self.name == kind else f"{kind}({self.name})"

    def _save(self, out: np.ndarray, **cache) -> np.ndarray:
        """Remember ``cache`` and the output's shape for backward; return ``out``."""
        self._cache = cache
        self._out_shape = out.shape
        return out

    def _saved(self, dout):
        """Check ``dout`` against the last forward's output; return ``(dout, cache)``."""
        if self._cache is None:
            raise RuntimeError(
                f"{self._label}: backward called before forward; call forward(x) first "
                f"(backward uses what forward cached)"
            )
        dout = V.as_float_array(dout, self._label, "dout")
        if dout.shape != self._out_shape:
            raise ValueError(
                f"{self._label}: argument 'dout' must have the shape of the last forward "
                f"output {self._out_shape}, got {dout.shape}; pass dL/d(output) of that call"
            )
        return dout, self._cache

    def _input(self, x, ndim: int | None = None, layout: str = "(N, C, H, W)") -> np.ndarray:
        """``x`` as a float array (float32 stays float32) with ``ndim`` axes."""
        x = V.as_float_array(x, self._label, "x")
        if ndim is not None:
            V.check_ndim(x, (ndim,), self._label, "x", layout)
        return x

    def _shape(self, input_shape, ndim: int | None = None, layout: str = "") -> tuple:
        """Check an ``input_shape`` argument (one sample, no batch axis)."""
        ok = isinstance(input_shape, (tuple, list)) and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
            for s in input_shape
        )
        if not ok or (ndim is not None and len(input_shape) != ndim):
            expected = f"{ndim} positive ints {layout}" if ndim else "a tuple of positive ints"
            raise ValueError(
                f"{self._label}: argument 'input_shape' must be {expected} for one sample "
                f"(no batch axis), got {input_shape!r}; e.g. (3, 224, 224) for an RGB image"
            )
        return tuple(int(s) for s in input_shape)

    def _check_channels(self, shape: tuple, expected: int, batched: bool = True) -> None:
        channels = shape[1] if batched else shape[0]
        if channels != expected:
            layout = f"(N, {expected}, H, W)" if batched else f"({expected}, H, W)"
            raise ValueError(
                f"{self._label}: expected input with {expected} channels {layout}, got shape "
                f"{shape}; the layer before must output {expected} channels, or build this "
                f"layer for {channels} input channel(s)"
            )


# ----------------------------------------------------------------------------
# convolution, activation, pooling
# ----------------------------------------------------------------------------
class Conv2D(Layer):
    """2D convolution (cross-correlation) with ``groups``, as PyTorch's ``nn.Conv2d``.

    ``out[b, d] = bias[d] + sum_c conv2d(x[b, c], weight[d, c])`` where, with
    ``groups=G``, filter d only sees the ``C/G`` input channels of its group (the
    original AlexNet's two-GPU split is ``groups=2``).

    Parameters
    ----------
    in_channels, out_channels : int
        C and D; both must be divisible by ``groups``.
    kernel_size : int or (int, int)
        (h, w).
    stride, padding : int or (int, int)
        As in :func:`cnncourse.conv2d`.
    bias : bool, default True
        Add a learnable bias per filter (set False before a BatchNorm2d).
    groups : int, default 1
        Number of channel groups, each convolved independently.
    dtype : np.float32 or np.float64
    rng : np.random.Generator or int, optional
        For the He-uniform initialisation ``U(-b, b)``, ``b = sqrt(6 / (C/G * h * w))``;
        defaults to ``np.random.default_rng(0)``. Biases start at zero.

    Notes
    -----
    Input (N, C, H, W) -> output (N, D, Ho, Wo) with
    ``Ho = floor((H + 2*p_h - h)/s_h) + 1`` and likewise Wo. Parameters:
    ``weight`` (D, C/G, h, w) and ``bias`` (D,).
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        bias=True,
        groups=1,
        dtype=np.float32,
        rng=None,
    ):
        super().__init__()
        label = "Conv2D"
        self.in_channels = V.check_size(in_channels, label, "in_channels", 1)
        self.out_channels = V.check_size(out_channels, label, "out_channels", 1)
        self.kernel_size = V.check_pair(kernel_size, label, "kernel_size", 1)
        self.stride = V.check_pair(stride, label, "stride", 1)
        self.padding = V.check_pair(padding, label, "padding", 0)
        self.groups = V.check_size(groups, label, "groups", 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{label}: argument 'groups' must divide in_channels={self.in_channels} and "
                f"out_channels={self.out_channels}, got groups={self.groups}; "
                f"use groups=1 or channel counts that are multiples of {self.groups}"
            )
        dtype = _check_dtype(dtype, label)
        rng = _check_rng(rng, label)
        kh, kw = self.kernel_size
        group_in = self.in_channels // self.groups
        shape = (self.out_channels, group_in, kh, kw)
        self._add_param("weight", _he_uniform(rng, shape, group_in * kh * kw, dtype))
        if bias:
            self._add_param("bias", np.zeros(self.out_channels, dtype=dtype))

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if self.groups > 1:
            text += f", groups={self.groups}"
        return text + ("" if "bias" in self.params else ", bias=False")

    def _split(self, a, axis):
        """The ``groups`` slices of ``a`` along ``axis`` (one slice when groups=1)."""
        return np.split(a, self.groups, axis=axis)

    def forward(self, x):
        """(N, C, H, W) -> (N, D, Ho, Wo)."""
        x = self._input(x, 4)
        self._check_channels(x.shape, self.in_channels)
        self.output_shape(x.shape[1:])  # errors that name this layer
        bias = self.params.get("bias")
        biases = self._split(bias, 0) if bias is not None else [None] * self.groups
        outs = [
            conv2d(xg, wg, self.padding, self.stride, bg)
            for xg, wg, bg in zip(
                self._split(x, 1), self._split(self.params["weight"], 0), biases, strict=True
            )
        ]
        out = outs[0] if self.groups == 1 else np.concatenate(outs, axis=1)
        return self._save(out, x=x)

    def backward(self, dout):
        """(N, D, Ho, Wo) -> dx (N, C, H, W); fills grads["weight"] and grads["bias"]."""
        dout, cache = self._saved(dout)
        dxs, dws = [], []
        for xg, wg, dg in zip(
            self._split(cache["x"], 1),
            self._split(self.params["weight"], 0),
            self._split(dout, 1),
            strict=True,
        ):
            dx, dw = conv2d_backward(dg, xg, wg, self.padding, self.stride)
            dxs.append(dx)
            dws.append(dw)
        self.grads["weight"][...] = np.concatenate(dws, axis=0)
        if "bias" in self.params:
            self.grads["bias"][...] = dout.sum(axis=(0, 2, 3))
        return dxs[0] if self.groups == 1 else np.concatenate(dxs, axis=1)

    def output_shape(self, input_shape):
        """(C, H, W) -> (D, Ho, Wo)."""
        C, H, W = self._shape(input_shape, 3, "(C, H, W)")
        self._check_channels((C, H, W), self.in_channels, batched=False)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        Ho = V.window_out(H, kh, ph, sh, self._label, "the rows (H)", what="kernel_size")
        Wo = V.window_out(W, kw, pw, sw, self._label, "the columns (W)", what="kernel_size")
        return (self.out_channels, Ho, Wo)

    def macs(self, input_shape):
        """``D * Ho * Wo * (C/groups) * h * w`` (the bias additions are not counted)."""
        D, Ho, Wo = self.output_shape(input_shape)
        kh, kw = self.kernel_size
        return D * Ho * Wo * (self.in_channels // self.groups) * kh * kw


class ReLU(Layer):
    """``max(x, 0)`` elementwise, any shape; the gradient passes where ``x > 0``."""

    def forward(self, x):
        x = self._input(x)
        return self._save(np.maximum(x, 0), mask=x > 0)

    def backward(self, dout):
        dout, cache = self._saved(dout)
        return dout * cache["mask"]


class _Pool2D(Layer):
    """Shared code of MaxPool2D and AvgPool2D (on cnncourse.pool2d)."""

    mode = ""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        label = type(self).__name__
        self.kernel_size = V.check_pair(kernel_size, label, "kernel_size", 1)
        self.stride = (
            self.kernel_size if stride is None else V.check_pair(stride, label, "stride", 1)
        )
        self.padding = V.check_pair(padding, label, "padding", 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(
                f"{label}: argument 'padding' must be at most half the window, got "
                f"padding={self.padding} with kernel_size={self.kernel_size}; "
                f"use padding <= kernel_size // 2"
            )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, x):
        """(N, C, H, W) -> (N, C, Ho, Wo)."""
        x = self._input(x, 4)
        self.output_shape(x.shape[1:])
        out = pool2d(x, self.kernel_size, self.stride, self.padding, self.mode)
        return self._save(out, x=x)

    def backward(self, dout):
        dout, cache = self._saved(dout)
        return pool2d_backward(
            dout, cache["x"], self.kernel_size, self.stride, self.padding, self.mode
        )

    def output_shape(self, input_shape):
        """(C, H, W) -> (C, Ho, Wo), ``Ho = floor((H + 2*p - k)/s) + 1``."""
        C, H, W = self._shape(input_shape, 3, "(C, H, W)")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        Ho = V.window_out(H, kh, ph, sh, self._label, "the rows (H)", what="kernel_size")
        Wo = V.window_out(W, kw, pw, sw, self._label, "the columns (W)", what="kernel_size")
        return (C, Ho, Wo)


class MaxPool2D(_Pool2D):
    """Max pooling; ``stride`` defaults to ``kernel_size``; padding never wins.

    Backward routes each gradient to the FIRST maximum of its window (row-major),
    as PyTorch does, so ties send everything to one position.
    """

    mode = "max"


class AvgPool2D(_Pool2D):
    """Average pooling; divides by the full window, padding included (PyTorch's default)."""

    mode = "avg"


class GlobalAvgPool(Layer):
    """Mean of each (H, W) map: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        x = self._input(x, 4)
        return self._save(global_pool(x, "avg"), x_shape=x.shape)

    def backward(self, dout):
        """Each of the H*W inputs gets ``dout / (H*W)``."""
        dout, cache = self._saved(dout)
        N, C, H, W = cache["x_shape"]
        return np.broadcast_to(dout[:, :, None, None] / (H * W), (N, C, H, W)).copy()

    def output_shape(self, input_shape):
        return self._shape(input_shape, 3, "(C, H, W)")[:1]


class Flatten(Layer):
    """(N, C, H, W) (or any (N, ...)) -> (N, C*H*W), the bridge to Dense layers."""

    def forward(self, x):
        x = self._input(x)
        if x.ndim < 2:
            V.check_ndim(x, (2, 3, 4), self._label, "x", "(a batch (N, ...))")
        return self._save(x.reshape(x.shape[0], -1), x_shape=x.shape)

    def backward(self, dout):
        dout, cache = self._saved(dout)
        return dout.reshape(cache["x_shape"])

    def output_shape(self, input_shape):
        return (int(np.prod(self._shape(input_shape))),)


class Dense(Layer):
    """Fully connected layer ``x @ weight.T + bias``, as PyTorch's ``nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    dtype : np.float32 or np.float64
    rng : np.random.Generator or int, optional
        He-uniform initialisation, ``b = sqrt(6 / in_features)``; biases start at zero.

    Notes
    -----
    Input (N, in_features) -> output (N, out_features). Parameters: ``weight``
    (out_features, in_features) and ``bias`` (out_features,).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, rng=None):
        super().__init__()
        label = "Dense"
        self.in_features = V.check_size(in_features, label, "in_features", 1)
        self.out_features = V.check_size(out_features, label, "out_features", 1)
        dtype = _check_dtype(dtype, label)
        rng = _check_rng(rng, label)
        shape = (self.out_features, self.in_features)
        self._add_param("weight", _he_uniform(rng, shape, self.in_features, dtype))
        if bias:
            self._add_param("bias", np.zeros(self.out_features, dtype=dtype))

    def extra_repr(self):
        bias = "" if "bias" in self.params else ", bias=False"
        return f"{self.in_features}, {self.out_features}{bias}"

    def forward(self, x):
        """(N, in_features) -> (N, out_features)."""
        x = self._input(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            fix = (
                "put a Flatten() layer before Dense to turn (N, C, H, W) into (N, C*H*W)"
                if x.ndim != 2
                else f"build this layer with in_features={x.shape[1]}"
            )
            raise ValueError(
                f"{self._label}: expected input of shape (N, {self.in_features}), "
                f"got shape {x.shape}; {fix}"
            )
        out = x @ self.params["weight"].T
        if "bias" in self.params:
            out += self.params["bias"]
        return self._save(out, x=x)

    def backward(self, dout):
        """dW = dout.T @ x, db = sum of dout over the batch, dx = dout @ W."""
        dout, cache = self._saved(dout)
        self.grads["weight"][...] = dout.T @ cache["x"]
        if "bias" in self.params:
            self.grads["bias"][...] = dout.sum(axis=0)
        return dout @ self.params["weight"]

    def output_shape(self, input_shape):
        shape = self._shape(input_shape)
        if shape != (self.in_features,):
            raise ValueError(
                f"{self._label}: expected input_shape ({self.in_features},), got {shape}; "
                f"flatten first or build this layer with in_features={int(np.prod(shape))}"
            )
        return (self.out_features,)

    def macs(self, input_shape):
        """``in_features * out_features``."""
        self.output_shape(input_shape)
        return self.in_features * self.out_features


# ----------------------------------------------------------------------------
# normalisation and regularisation
# ----------------------------------------------------------------------------
class BatchNorm2d(Layer):
    """Batch normalisation per channel, as PyTorch's ``nn.BatchNorm2d``.

    ``out = weight * (x - mean) / sqrt(var + eps) + bias`` with mean and var per
    channel over (N, H, W): the batch's in training mode, the running estimates in
    eval mode. Training updates ``running = (1 - momentum) * running + momentum *
    batch`` (the variance unbiased, as PyTorch).

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float, default 1e-5
    momentum : float, default 0.1
    dtype : np.float32 or np.float64, keyword only

    Notes
    -----
    Parameters ``weight`` (gamma) and ``bias`` (beta), shape (C,), start at 1 and
    0. ``running_mean`` and ``running_var`` (C,) are buffers, not parameters.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, dtype=np.float32):
        super().__init__()
        label = "BatchNorm2d"
        self.num_features = V.check_size(num_features, label, "num_features", 1)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(
                f"{label}: argument 'eps' must be a positive number, got {eps!r}; "
                f"the usual value is eps=1e-5"
            )
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, numbers.Real)
            or not (0 <= momentum <= 1)
        ):
            raise ValueError(
                f"{label}: argument 'momentum' must be a number in [0, 1], got {momentum!r}; "
                f"the usual value is momentum=0.1 (0 freezes the running statistics)"
            )
        self.eps, self.momentum = float(eps), float(momentum)
        dtype = _check_dtype(dtype, label)
        self._add_param("weight", np.ones(self.num_features, dtype=dtype))
        self._add_param("bias", np.zeros(self.num_features, dtype=dtype))
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W)."""
        x = self._input(x, 4)
        self._check_channels(x.shape, self.num_features)
        axes = (0, 2, 3)
        if self.training:
            count = x.size // x.shape[1]  # values per channel: N * H * W
            if count < 2:
                raise ValueError(
                    f"{self._label}: training mode needs more than one value per channel, got "
                    f"input of shape {x.shape}; use a batch with N*H*W >= 2 or call eval()"
                )
            mean = x.mean(axis=axes)
            centred = x - mean[:, None, None]
            var = np.mean(centred * centred, axis=axes)
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * (count / (count - 1))
        else:
            centred = x - self.running_mean[:, None, None]
            var = self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = centred * inv_std[:, None, None]
        out = self.params["weight"][:, None, None] * xhat + self.params["bias"][:, None, None]
        return self._save(out, xhat=xhat, inv_std=inv_std, training=self.training)

    def backward(self, dout):
        """Train mode: the batch statistics depend on x too, hence the two extra terms.

        ``dx = gamma * inv_std * (dout - mean(dout) - xhat * mean(dout * xhat))``
        with the means per channel over (N, H, W); eval mode keeps only the first term.
        """
        dout, cache = self._saved(dout)
        xhat = cache["xhat"]
        axes = (0, 2, 3)
        dbeta = dout.sum(axis=axes)
        dgamma = (dout * xhat).sum(axis=axes)
        self.grads["weight"][...] = dgamma
        self.grads["bias"][...] = dbeta
        scale = (self.params["weight"] * cache["inv_std"])[:, None, None]
        if not cache["training"]:
            return dout * scale
        count = dout.size // dout.shape[1]
        return scale * (
            dout - (dbeta / count)[:, None, None] - xhat * (dgamma / count)[:, None, None]
        )

    def output_shape(self, input_shape):
        shape = self._shape(input_shape, 3, "(C, H, W)")
        self._check_channels(shape, self.num_features, batched=False)
        return shape


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``p`` and scale the
    survivors by ``1 / (1 - p)``; in eval mode, the identity.

    Parameters
    ----------
    p : float in [0, 1], default 0.5
    rng : np.random.Generator or int, keyword only
        Draws the masks; defaults to ``np.random.default_rng(0)``.
    """

    def __init__(self, p=0.5, *, rng=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(
                f"Dropout: argument 'p' must be a probability in [0, 1], got {p!r}; "
                f"e.g. p=0.5 drops half of the values"
            )
        self.p = float(p)
        self.rng = _check_rng(rng, "Dropout")

    def extra_repr(self):
        return f"p={self.p}"

    def forward(self, x):
        x = self._input(x)
        if not self.training or self.p == 0:
            return self._save(x, mask=None)
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        mask = keep * x.dtype.type(scale)
        return self._save(x * mask, mask=mask)

    def backward(self, dout):
        dout, cache = self._saved(dout)
        return dout if cache["mask"] is None else dout * cache["mask"]


class LocalResponseNorm(Layer):
    """Local response normalisation across channels (AlexNet), as PyTorch's.

    ``out[:, c] = x[:, c] / (k + alpha/size * sum_{c' near c} x[:, c']**2) ** beta``, the
    sum over channels ``c - size//2 .. c + (size-1)//2`` (zero outside). No parameters.
    Note PyTorch's ``alpha / size``; the paper's alpha is ``alpha / size`` here.
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0):
        super().__init__()
        self.size = V.check_size(size, "LocalResponseNorm", "size", 1)
        self.alpha, self.beta, self.k = float(alpha), float(beta), float(k)

    def extra_repr(self):
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    @staticmethod
    def _channel_sum(a, before, after):
        """``out[:, c] = sum of a[:, c - before .. c + after]`` (zero outside the channels)."""
        padded = np.pad(a, ((0, 0), (before, after), (0, 0), (0, 0)))
        C = a.shape[1]
        return sum(padded[:, i : i + C] for i in range(before + after + 1))

    def forward(self, x):
        x = self._input(x, 4)
        s = self.k + self.alpha / self.size * self._channel_sum(
            x * x, self.size // 2, (self.size - 1) // 2
        )
        out = x * s**-self.beta
        return self._save(out, x=x, s=s)

    def backward(self, dout):
        """With ``s`` the denominator's base and the sum over the channels c whose window holds j:

        ``dx_j = dout_j s_j^-beta - 2 beta alpha/size x_j sum_c dout_c x_c s_c^(-beta-1)``.
        """
        dout, cache = self._saved(dout)
        x, s = cache["x"], cache["s"]
        back = self._channel_sum(
            dout * x * s ** (-self.beta - 1), (self.size - 1) // 2, self.size // 2
        )
        return dout * s**-self.beta - (2 * self.beta * self.alpha / self.size) * x * back

    def output_shape(self, input_shape):
        return self._shape(input_shape, 3, "(C, H, W)")


# ----------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------
class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse order.

    Supports ``append``, indexing (a slice gives a Sequential), ``len`` and iteration.
    """

    def __init__(self, *layers):
        super().__init__()
        self.layers: list[Layer] = []
        for layer in layers:
            self.append(layer)

    def append(self, layer):
        """Add ``layer`` at the end; returns self."""
        if not isinstance(layer, Layer):
            hint = (
                f"create it first, e.g. {layer.__name__}(...) rather than {layer.__name__}"
                if isinstance(layer, type) and issubclass(layer, Layer)
                else "pass layers such as Conv2D(3, 8, 3) or ReLU()"
            )
            raise TypeError(
                f"{self._label}: every element must be a Layer, got {V._describe(layer)}; {hint}"
            )
        self.layers.append(layer)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def children(self):
        return list(self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def output_shape(self, input_shape):
        shape = self._shape(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def macs(self, input_shape):
        shape, total = self._shape(input_shape), 0
        for layer in self.layers:
            total += layer.macs(shape)
            shape = layer.output_shape(shape)
        return total


class _Residual(Layer):
    """``relu(main(x) + shortcut(x))``, the shortcut being the identity when it is None.

    The gradient reaching the sum flows unchanged into both branches, and the two
    gradients with respect to x add up.
    """

    def __init__(self, main: Sequential, shortcut: Sequential | None):
        super().__init__()
        self.main = main
        self.shortcut = shortcut
        self.relu = ReLU()
        self.relu.name = "relu"

    def children(self):
        return [self.main] + ([self.shortcut] if self.shortcut is not None else []) + [self.relu]

    def forward(self, x):
        out = self.main(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + skip)

    def backward(self, dout):
        dsum = self.relu.backward(dout)
        dx = self.main.backward(dsum)
        return dx + (dsum if self.shortcut is None else self.shortcut.backward(dsum))

    def output_shape(self, input_shape):
        return self.main.output_shape(input_shape)

    def macs(self, input_shape):
        extra = 0 if self.shortcut is None else self.shortcut.macs(input_shape)
        return self.main.macs(input_shape) + extra


def _projection(in_channels, out_channels, stride, dtype, rng):
    """The shortcut: None (identity) if the shape is kept, else 1x1 conv (stride) + BN."""
    if stride == 1 and in_channels == out_channels:
        return None
    return _sequential(
        "shortcut",
        conv=Conv2D(in_channels, out_channels, 1, stride, bias=False, dtype=dtype, rng=rng),
        bn=BatchNorm2d(out_channels, dtype=dtype),
    )


class ResidualBlock(_Residual):
    """ResNet's basic block: conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU.

    The shortcut is the identity when the shape is unchanged (``stride == 1`` and
    ``in_channels == out_channels``), else a 1x1 convolution with ``stride`` and a
    BatchNorm2d ("projection shortcut"). Convolutions have no bias (BN follows).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int, default 1
        Of the first 3x3 convolution (and of the projection).
    dtype : np.float32 or np.float64, keyword only
    rng : np.random.Generator or int, keyword only
        Shared by the convolutions of the block.

    Notes
    -----
    (N, C, H, W) -> (N, out_channels, Ho, Wo), ``Ho = floor((H - 1)/stride) + 1``.
    """

    def __init__(self, in_channels, out_channels, stride=1, *, dtype=np.float32, rng=None):
        rng = _check_rng(rng, "ResidualBlock")
        stride = V.check_size(stride, "ResidualBlock", "stride", 1)

        def conv3x3(c_in, c_out, s):
            return Conv2D(c_in, c_out, 3, s, 1, bias=False, dtype=dtype, rng=rng)

        main = _sequential(
            "main",
            conv1=conv3x3(in_channels, out_channels, stride),
            bn1=BatchNorm2d(out_channels, dtype=dtype),
            relu1=ReLU(),
            conv2=conv3x3(out_channels, out_channels, 1),
            bn2=BatchNorm2d(out_channels, dtype=dtype),
        )
        super().__init__(main, _projection(in_channels, out_channels, stride, dtype, rng))


class Bottleneck(_Residual):
    """ResNet-50/101/152's block: 1x1 (reduce) - 3x3 - 1x1 (expand), each with BN.

    ``out_channels = mid_channels * expansion``; ReLU after the first two BNs and
    after the sum. The stride sits on the 3x3 convolution (as torchvision); the
    shortcut is a 1x1 convolution + BN when the shape changes, else the identity.

    Parameters
    ----------
    in_channels, mid_channels : int
    stride : int, default 1
    expansion : int, default 4
    dtype, rng : keyword only, as in ResidualBlock
    """

    def __init__(
        self, in_channels, mid_channels, stride=1, expansion=4, *, dtype=np.float32, rng=None
    ):
        rng = _check_rng(rng, "Bottleneck")
        stride = V.check_size(stride, "Bottleneck", "stride", 1)
        expansion = V.check_size(expansion, "Bottleneck", "expansion", 1)
        out_channels = mid_channels * expansion

        def conv(c_in, c_out, k, s=1):
            return Conv2D(c_in, c_out, k, s, k // 2, bias=False, dtype=dtype, rng=rng)

        main = _sequential(
            "main",
            conv1=conv(in_channels, mid_channels, 1),
            bn1=BatchNorm2d(mid_channels, dtype=dtype),
            relu1=ReLU(),
            conv2=conv(mid_channels, mid_channels, 3, stride),
            bn2=BatchNorm2d(mid_channels, dtype=dtype),
            relu2=ReLU(),
            conv3=conv(mid_channels, out_channels, 1),
            bn3=BatchNorm2d(out_channels, dtype=dtype),
        )
        super().__init__(main, _projection(in_channels, out_channels, stride, dtype, rng))


class Inception(Layer):
    """GoogLeNet's inception module: four parallel paths concatenated on channels.

    1. 1x1 conv (``ch1x1``);
    2. 1x1 conv (``ch3x3red``) -> 3x3 conv, padding 1 (``ch3x3``);
    3. 1x1 conv (``ch5x5red``) -> 5x5 conv, padding 2 (``ch5x5``);
    4. 3x3 max pool, stride 1, padding 1 -> 1x1 conv (``pool_proj``).

    Every convolution has a bias and is followed by ReLU; no batch norm (Szegedy
    et al. 2014, Table 1). (N, C, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    Backward splits dout by channels, runs each path backward and adds the four dx.

    Parameters
    ----------
    in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj : int
    dtype, rng : keyword only, as in ResidualBlock
    """

    def __init__(
        self,
        in_channels,
        ch1x1,
        ch3x3red,
        ch3x3,
        ch5x5red,
        ch5x5,
        pool_proj,
        *,
        dtype=np.float32,
        rng=None,
    ):
        super().__init__()
        rng = _check_rng(rng, "Inception")

        def conv(c_in, c_out, k):
            return Conv2D(c_in, c_out, k, padding=k // 2, dtype=dtype, rng=rng)

        self.branches = [
            _sequential("branch1", conv=conv(in_channels, ch1x1, 1), relu=ReLU()),
            _sequential(
                "branch2",
                reduce=conv(in_channels, ch3x3red, 1),
                relu1=ReLU(),
                conv=conv(ch3x3red, ch3x3, 3),
                relu2=ReLU(),
            ),
            _sequential(
                "branch3",
                reduce=conv(in_channels, ch5x5red, 1),
                relu1=ReLU(),
                conv=conv(ch5x5red, ch5x5, 5),
                relu2=ReLU(),
            ),
            _sequential(
                "branch4",
                pool=MaxPool2D(3, stride=1, padding=1),
                proj=conv(in_channels, pool_proj, 1),
                relu=ReLU(),
            ),
        ]
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def children(self):
        return list(self.branches)

    def forward(self, x):
        outs = [branch(x) for branch in self.branches]
        return self._save(np.concatenate(outs, axis=1), channels=[o.shape[1] for o in outs])

    def backward(self, dout):
        dout, cache = self._saved(dout)
        parts = np.split(dout, np.cumsum(cache["channels"])[:-1], axis=1)
        dxs = [branch.backward(part) for branch, part in zip(self.branches, parts, strict=True)]
        return sum(dxs[1:], dxs[0])

    def output_shape(self, input_shape):
        shapes = [branch.output_shape(input_shape) for branch in self.branches]
        return (sum(s[0] for s in shapes),) + shapes[0][1:]

    def macs(self, input_shape):
        return sum(branch.macs(input_shape) for branch in self.branches)


# ----------------------------------------------------------------------------
# loss
# ----------------------------------------------------------------------------
def softmax(logits) -> np.ndarray:
    """Softmax along the last axis, stable for large logits (the max is subtracted first).

    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    z = V.as_float_array(logits, "softmax", "logits")
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels.

    ``loss = -mean_b log softmax(logits[b])[labels[b]]``, computed with the
    log-sum-exp trick so that logits of 1e4 give no overflow. ``backward()``
    returns ``dL/dlogits = (softmax(logits) - onehot(labels)) / N``.

    Examples
    --------
    >>> loss_fn = SoftmaxCrossEntropy()
    >>> round(loss_fn(np.zeros((2, 4)), np.array([0, 3])), 6)  # log(4)
    1.386294
    >>> loss_fn.backward().shape
    (2, 4)
    """

    def __init__(self):
        self.name = "SoftmaxCrossEntropy"
        self._cache = None

    def __call__(self, logits, labels) -> float:
        return self.forward(logits, labels)

    def forward(self, logits, labels) -> float:
        """Loss for logits (N, K) and labels (N,) of ints in [0, K)."""
        label = self.name
        logits = V.as_float_array(logits, label, "logits")
        V.check_ndim(logits, (2,), label, "logits", "(N, K): one row of K class scores per sample")
        N, K = logits.shape
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape == logits.shape:
            raise ValueError(
                f"{label}: argument 'labels' must be class indices of shape ({N},), got a "
                f"one-hot array of shape {labels.shape}; pass labels.argmax(axis=1)"
            )
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"{label}: argument 'labels' must hold integer class indices, got dtype "
                f"{labels.dtype}; convert with labels.astype(int)"
            )
        if labels.shape != (N,):
            raise ValueError(
                f"{label}: argument 'labels' must have shape ({N},), one class per row of "
                f"logits {logits.shape}, got {labels.shape}"
            )
        if labels.min() < 0 or labels.max() >= K:
            raise ValueError(
                f"{label}: argument 'labels' must be in [0, {K - 1}] for {K} classes, got values "
                f"from {labels.min()} to {labels.max()}; check the number of classes of the model"
            )
        z = logits - logits.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(N)
        self._cache = (np.exp(log_probs), labels)
        return float(-log_probs[rows, labels].mean())

    def backward(self, dloss=1.0) -> np.ndarray:
        """``dL/dlogits``, shape (N, K), times ``dloss``."""
        if self._cache is None:
            raise RuntimeError(
                f"{self.name}: backward called before forward; call loss_fn(logits, labels) first"
            )
        probs, labels = self._cache
        N = probs.shape[0]
        dlogits = probs.copy()
        dlogits[np.arange(N), labels] -= 1
        dlogits *= dloss / N
        return dlogits
