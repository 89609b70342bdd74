"""The public API: validate and cast once, then call a Numba kernel.

Shapes follow NumPy order: (W,), (C, W), (N, C, W) for signals and (H, W),
(C, H, W), (N, C, H, W) for images; kernels are (w,), (D, C, w), (h, w),
(C, h, w) or (D, C, h, w). Every convolution is a cross-correlation (no kernel
flip), as in the lecture and in PyTorch. Output sizes follow the lecture's
formula (H5)::

    Ho = floor((H + 2*p - h) / s) + 1        Wo = floor((W + 2*p - w) / s) + 1

Dtypes: float32 stays float32, float64 stays float64; integer and bool inputs
(a uint8 image) are promoted to float64; when x and u differ, float64 wins.
Inputs are never modified.

Each function validates its arguments (:mod:`cnncourse._validation`), pads and
casts them, and hands them to :mod:`cnncourse._dispatch`, which picks the kernel.
"""

from __future__ import annotations

import numbers
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from . import _validation as V
from ._pool_ops import POOL_OPS

__all__ = [
    "output_size",
    "conv1d",
    "conv2d",
    "pool2d",
    "global_pool",
    "conv2d_backward",
    "pool2d_backward",
]


def output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis (H5).

    Parameters
    ----------
    n : int
        Input length (W or H), >= 1.
    k : int
        Window length (w or h), >= 1.
    padding : int, default 0
        Zeros added on each side, >= 0.
    stride : int, default 1
        Step of the window, >= 1.

    Returns
    -------
    int
        ``floor((n + 2*padding - k) / stride) + 1``.

    Raises
    ------
    ValueError
        When the window does not fit in the padded input.

    Examples
    --------
    >>> output_size(8, 2)  # the lecture's voltage example: W - w + 1
    7
    >>> output_size(32, 3, padding=1)
    32
    >>> output_size(7, 3, stride=2)
    3
    """
    func = "output_size"
    n = V.check_size(n, func, "n", 1)
    k = V.check_size(k, func, "k", 1)
    padding = V.check_size(padding, func, "padding", 0)
    stride = V.check_size(stride, func, "stride", 1)
    return V.window_out(n, k, padding, stride, func, "the axis", what="k")


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _pad(x: np.ndarray, pads: tuple[int, ...], value: float = 0.0) -> np.ndarray:
    """C-contiguous copy of x with its last len(pads) axes framed by ``value``.

    Without padding, returns x itself when it is already C-contiguous.
    """
    if not any(pads):
        return _contig(x, x.dtype)
    lead = x.ndim - len(pads)
    shape = x.shape[:lead] + tuple(s + 2 * p for s, p in zip(x.shape[lead:], pads, strict=True))
    out = np.full(shape, value, dtype=x.dtype) if value else np.zeros(shape, dtype=x.dtype)
    index = (Ellipsis,) + tuple(slice(p, p + s) for s, p in zip(x.shape[lead:], pads, strict=True))
    out[index] = x
    return out


def _contig(a: np.ndarray, dtype) -> np.ndarray:
    """C-contiguous, writeable array of ``dtype`` (a copy only when needed).

    Read-only inputs are copied so that every kernel is compiled (and cached)
    for one array type only.
    """
    a = np.ascontiguousarray(a, dtype=dtype)
    return a if a.flags.writeable else a.copy()


def _check_bias(bias, D: int, dtype, func: str):
    if bias is None:
        return None
    if isinstance(bias, numbers.Number) and not isinstance(bias, (bool, np.bool_)) and D == 1:
        bias = [bias]
    b = V.as_float_array(bias, func, "bias")
    if b.shape != (D,):
        raise ValueError(
            f"{func}: argument 'bias' must have shape ({D},), one value per filter, "
            f"got shape {b.shape}; pass an array of length {D} (the number of filters D)"
        )
    return b.astype(dtype, copy=False)


def _check_channels(func, x, u, x_axis, u_axis):
    if x.shape[x_axis] != u.shape[u_axis]:
        raise ValueError(
            f"{func}: channel mismatch: input 'x' of shape {x.shape} has "
            f"{x.shape[x_axis]} channel(s) but kernel 'u' of shape {u.shape} expects "
            f"{u.shape[u_axis]}; every filter needs one slice per input channel "
            f"(u.shape[{u_axis}] must equal x.shape[{x_axis}])"
        )


# ----------------------------------------------------------------------------
# convolution
# ----------------------------------------------------------------------------
def conv1d(
    x: ArrayLike,
    u: ArrayLike,
    padding: int = 0,
    stride: int = 1,
    bias: ArrayLike | None = None,
) -> np.ndarray:
    """1D convolution (cross-correlation) of signals with kernels (C1).

    ``o[i] = sum_c sum_m x[c, m + stride*i] * u[c, m]`` on the zero-padded input.

    Parameters
    ----------
    x : array_like, shape (W,), (C, W) or (N, C, W)
        Input signal(s).
    u : array_like, shape (w,) or (D, C, w)
        Kernel: (w,) with a (W,) signal, (D, C, w) otherwise.
    padding : int, default 0
        Zeros added at both ends.
    stride : int, default 1
        Step of the kernel.
    bias : array_like, shape (D,), optional
        One value added to each output channel.

    Returns
    -------
    ndarray, shape (Wo,), (D, Wo) or (N, D, Wo)
        With ``Wo = floor((W + 2*padding - w) / stride) + 1``.

    Examples
    --------
    The lecture's voltage example (C2): rising steps of one unit.

    >>> conv1d([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1])
    array([0., 0., 0., 1., 1., 1., 0.])
    """
    func = "conv1d"
    x = V.as_float_array(x, func, "x")
    u = V.as_float_array(u, func, "u")
    V.check_ndim(x, (1, 2, 3), func, "x", "((W,), (C, W) or (N, C, W))")
    if x.ndim == 1:
        V.check_ndim(u, (1,), func, "u", "((w,) for a (W,) signal)")
        x3, u3, squeeze = x[None, None], u[None, None], 2
    else:
        V.check_ndim(u, (3,), func, "u", f"((D, C, w) for an input of shape {x.shape})")
        x3 = x[None] if x.ndim == 2 else x
        u3 = u
        squeeze = 1 if x.ndim == 2 else 0
        _check_channels(func, x3, u3, 1, 1)
    padding = V.check_size(padding, func, "padding", 0)
    stride = V.check_size(stride, func, "stride", 1)
    dtype = V.common_dtype(x, u)
    W = x3.shape[2]
    D, _, w = u3.shape
    Wo = V.window_out(W, w, padding, stride, func, "the signal (W)")
    b = _check_bias(bias, D, dtype, func)

    xp = _pad(x3.astype(dtype, copy=False), (padding,))
    out = _dispatch.conv1d(xp, _contig(u3, dtype), stride, Wo)
    if b is not None:
        out += b[:, None]
    if squeeze == 2:
        return out[0, 0]
    return out[0] if squeeze == 1 else out


def _conv2d_args(func, x, u, padding, stride):
    """Validate a conv2d-style call; return x4, u4, pads, strides, Ho, Wo, dtype, layout."""
    x = V.as_float_array(x, func, "x")
    u = V.as_float_array(u, func, "u")
    V.check_ndim(x, (2, 3, 4), func, "x", "((H, W), (C, H, W) or (N, C, H, W))")
    if x.ndim == 2:
        V.check_ndim(u, (2,), func, "u", "((h, w) for a grayscale (H, W) image)")
        x4, u4, layout = x[None, None], u[None, None], "gray"
    elif x.ndim == 3:
        V.check_ndim(u, (3, 4), func, "u", "((C, h, w) or (D, C, h, w) for a (C, H, W) image)")
        if u.ndim == 3:
            _check_channels(func, x, u, 0, 0)
            x4, u4, layout = x[None], u[None], "rgb"
        else:
            _check_channels(func, x, u, 0, 1)
            x4, u4, layout = x[None], u, "chw"
    else:
        V.check_ndim(u, (4,), func, "u", "((D, C, h, w) for an (N, C, H, W) batch)")
        _check_channels(func, x, u, 1, 1)
        x4, u4, layout = x, u, "nchw"
    ph, pw = V.check_pair(padding, func, "padding", 0)
    sh, sw = V.check_pair(stride, func, "stride", 1)
    H, W = x4.shape[2], x4.shape[3]
    h, w = u4.shape[2], u4.shape[3]
    Ho = V.window_out(H, h, ph, sh, func, "the rows (H)")
    Wo = V.window_out(W, w, pw, sw, func, "the columns (W)")
    dtype = V.common_dtype(x, u)
    return x4, u4, (ph, pw), (sh, sw), Ho, Wo, dtype, layout


def conv2d(
    x: ArrayLike,
    u: ArrayLike,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
    bias: ArrayLike | None = None,
) -> np.ndarray:
    """2D convolution (cross-correlation) of images with kernels (C3, C4, H1-H5).

    ``o[d, j, i] = sum_c sum_n sum_m x[c, n + s*j, m + s*i] * u[d, c, n, m]``
    on the zero-padded input.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        Image(s). A uint8 image is promoted to float64.
    u : array_like, shape (h, w), (C, h, w) or (D, C, h, w)
        Kernel(s): (h, w) with a grayscale image; (C, h, w) is one filter over C
        channels whose output is a single 2D map (the lecture's RGB case);
        (D, C, h, w) is a bank of D filters.
    padding : int or (int, int), default 0
        Zeros added on each side, (rows, cols).
    stride : int or (int, int), default 1
        Step of the kernel, (rows, cols).
    bias : array_like, shape (D,), optional
        One value per filter (shape (1,) or a number for the single-filter cases).

    Returns
    -------
    ndarray
        (Ho, Wo) for (H, W)/(h, w) and (C, H, W)/(C, h, w); (D, Ho, Wo) for
        (C, H, W)/(D, C, h, w); (N, D, Ho, Wo) for (N, C, H, W)/(D, C, h, w); with
        ``Ho = floor((H + 2*p_h - h)/s_h) + 1`` and ``Wo = floor((W + 2*p_w - w)/s_w) + 1``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> conv2d(x, np.ones((2, 2))).shape
    (3, 3)
    >>> conv2d(x, np.ones((3, 3)), padding=1, stride=2)
    array([[10., 24.],
           [51., 90.]])
    """
    func = "conv2d"
    x4, u4, (ph, pw), (sh, sw), Ho, Wo, dtype, layout = _conv2d_args(func, x, u, padding, stride)
    b = _check_bias(bias, u4.shape[0], dtype, func)
    xp = _pad(x4.astype(dtype, copy=False), (ph, pw))
    out = _dispatch.conv2d(xp, _contig(u4, dtype), sh, sw, Ho, Wo)
    if b is not None:
        out += b[:, None, None]
    if layout in ("gray", "rgb"):
        return out[0, 0]
    return out[0] if layout == "chw" else out


def conv2d_backward(
    dout: ArrayLike,
    x: ArrayLike,
    u: ArrayLike,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d` with respect to its input and its kernel.

    Parameters
    ----------
    dout : array_like, shape (N, D, Ho, Wo)
        Gradient of the loss with respect to the output of ``conv2d(x, u, padding, stride)``.
    x : array_like, shape (N, C, H, W)
        The forward pass's input.
    u : array_like, shape (D, C, h, w)
        The forward pass's kernels.
    padding, stride : int or (int, int)
        As in the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        ``dL/dx``.
    du : ndarray, shape (D, C, h, w)
        ``dL/du``. (The bias gradient is ``dout.sum(axis=(0, 2, 3))``.)

    Examples
    --------
    With ``L = conv2d(x, u).sum()`` (``dout`` all ones), ``dL/dx`` counts the
    windows each input lies in, and ``dL/du[n, m]`` adds up the inputs that
    tap ``(n, m)`` multiplied:

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> dx, du = conv2d_backward(np.ones((1, 1, 3, 3)), x, np.ones((1, 1, 2, 2)))
    >>> dx[0, 0]
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    >>> du[0, 0]
    array([[45., 54.],
           [81., 90.]])
    """
    func = "conv2d_backward"
    xa = V.as_float_array(x, func, "x")
    ua = V.as_float_array(u, func, "u")
    V.check_ndim(xa, (4,), func, "x", "((N, C, H, W))")
    V.check_ndim(ua, (4,), func, "u", "((D, C, h, w))")
    x4, u4, (ph, pw), (sh, sw), Ho, Wo, dtype, _ = _conv2d_args(func, xa, ua, padding, stride)
    g = V.as_float_array(dout, func, "dout")
    expected = (x4.shape[0], u4.shape[0], Ho, Wo)
    if g.shape != expected:
        raise ValueError(
            f"{func}: argument 'dout' must have the forward output's shape {expected} "
            f"(N, D, Ho, Wo), got {g.shape}; pass the gradient of conv2d(x, u, "
            f"padding={padding!r}, stride={stride!r})"
        )
    dtype = V.common_dtype(g, xa, ua)
    xp = _pad(x4.astype(dtype, copy=False), (ph, pw))
    dxp, du = _dispatch.conv2d_backward(_contig(g, dtype), xp, _contig(u4, dtype), sh, sw)
    H, W = x4.shape[2], x4.shape[3]
    dx = dxp[:, :, ph : ph + H, pw : pw + W]
    return np.ascontiguousarray(dx), du


# ----------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------
def _pool_args(func, x, kernel_size, stride, padding, mode):
    x = V.as_float_array(x, func, "x")
    V.check_ndim(x, (2, 3, 4), func, "x", "((H, W), (C, H, W) or (N, C, H, W))")
    mode = V.check_mode(mode, func, tuple(POOL_OPS))
    kh, kw = V.check_pair(kernel_size, func, "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else V.check_pair(stride, func, "stride", 1)
    ph, pw = V.check_pair(padding, func, "padding", 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"{func}: argument 'padding' must be at most half the window, got "
            f"padding={(ph, pw)} with kernel_size={(kh, kw)}; a window made only of "
            f"padding has no input value to pool: use padding <= kernel_size // 2"
        )
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    H, W = x4.shape[2], x4.shape[3]
    Ho = V.window_out(H, kh, ph, sh, func, "the rows (H)", what="kernel_size")
    Wo = V.window_out(W, kw, pw, sw, func, "the columns (W)", what="kernel_size")
    fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
    return x, x4, (kh, kw), (sh, sw), (ph, pw), Ho, Wo, mode, fill


def pool2d(
    x: ArrayLike,
    kernel_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    mode: Literal["max", "avg", "min"] = "max",
) -> np.ndarray:
    """Max, average or min pooling over windows of each channel (P2, P3).

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
    kernel_size : int or (int, int), default 2
        Window size (rows, cols).
    stride : int or (int, int), optional
        Step of the window; defaults to ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Padding on each side, at most half the window. It never wins: -inf for
        max, +inf for min; avg divides by the full window, padding included
        (PyTorch's default ``count_include_pad=True``).
    mode : {"max", "avg", "min"}

    Returns
    -------
    ndarray, same leading axes as x, last two (Ho, Wo)
        ``Ho = floor((H + 2*p_h - k_h)/s_h) + 1``, likewise Wo. NaN in a window
        propagates to its max/min.

    Examples
    --------
    >>> x = np.array([[1., 2, 5, 6], [3, 4, 7, 8], [0, 0, 1, 1], [0, 9, 1, 1]])
    >>> pool2d(x, 2)
    array([[4., 8.],
           [9., 1.]])
    >>> pool2d(x, 2, mode="avg")
    array([[2.5 , 6.5 ],
           [2.25, 1.  ]])
    """
    func = "pool2d"
    x, x4, (kh, kw), (sh, sw), (ph, pw), Ho, Wo, mode, fill = _pool_args(
        func, x, kernel_size, stride, padding, mode
    )
    xp = _pad(x4, (ph, pw), fill)
    out = _dispatch.pool2d(xp, kh, kw, sh, sw, mode, Ho, Wo)
    return out.reshape(x.shape[:-2] + (Ho, Wo))


def pool2d_backward(
    dout: ArrayLike,
    x: ArrayLike,
    kernel_size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    mode: Literal["max", "avg", "min"] = "max",
) -> np.ndarray:
    """Gradient of :func:`pool2d` with respect to its input.

    max/min route each output gradient to the first position (row-major within
    the window) holding the window's max/min, as PyTorch does; avg spreads it
    evenly over the full window (the share that falls on padding is dropped).

    Parameters
    ----------
    dout : array_like, the shape of ``pool2d(x, ...)``
    x, kernel_size, stride, padding, mode
        As in the forward pass.

    Returns
    -------
    dx : ndarray, the shape of x

    Examples
    --------
    Max pooling sends each gradient to its window's maximum (on a tie, to the
    first one, as in the bottom-right window of ones); avg shares it out:

    >>> x = np.array([[1., 2, 5, 6], [3, 4, 7, 8], [0, 0, 1, 1], [0, 9, 1, 1]])
    >>> pool2d_backward(np.array([[10., 20], [30, 40]]), x, 2)
    array([[ 0.,  0.,  0.,  0.],
           [ 0., 10.,  0., 20.],
           [ 0.,  0., 40.,  0.],
           [ 0., 30.,  0.,  0.]])
    >>> pool2d_backward(np.ones((2, 2)), x, 2, mode="avg")[0]
    array([0.25, 0.25, 0.25, 0.25])
    """
    func = "pool2d_backward"
    x, x4, (kh, kw), (sh, sw), (ph, pw), Ho, Wo, mode, fill = _pool_args(
        func, x, kernel_size, stride, padding, mode
    )
    g = V.as_float_array(dout, func, "dout")
    expected = x.shape[:-2] + (Ho, Wo)
    if g.shape != expected:
        raise ValueError(
            f"{func}: argument 'dout' must have the forward output's shape {expected}, "
            f"got {g.shape}; pass the gradient of pool2d(x, ...) with the same settings"
        )
    dtype = V.common_dtype(g, x)
    xp = _pad(x4.astype(dtype, copy=False), (ph, pw), fill)
    g4 = _contig(g.reshape(x4.shape[:2] + (Ho, Wo)), dtype)
    dxp = _dispatch.pool2d_backward(g4, xp, kh, kw, sh, sw, mode)
    H, W = x4.shape[2], x4.shape[3]
    dx = dxp[:, :, ph : ph + H, pw : pw + W]
    return np.ascontiguousarray(dx).reshape(x.shape)


def global_pool(x: ArrayLike, mode: Literal["avg", "max", "min"] = "avg") -> np.ndarray:
    """Global pooling (P4): each (H, W) matrix summarised by one number.

    No window and no stride: a volume becomes a vector as long as its depth.

    Parameters
    ----------
    x : array_like, shape (C, H, W) or (N, C, H, W)
    mode : {"avg", "max", "min"}, default "avg"

    Returns
    -------
    ndarray, shape (C,) or (N, C)

    Examples
    --------
    >>> global_pool(np.arange(8.0).reshape(2, 2, 2))
    array([1.5, 5.5])
    """
    func = "global_pool"
    x = V.as_float_array(x, func, "x")
    V.check_ndim(x, (3, 4), func, "x", "((C, H, W) or (N, C, H, W))")
    mode = V.check_mode(mode, func, ("avg", "max", "min"))
    reduce = {"avg": np.mean, "max": np.max, "min": np.min}[mode]
    return np.asarray(reduce(x, axis=(-2, -1)), dtype=x.dtype)
