"""Independent NumPy oracles for the library tests, and gradient-check helpers.

Written from the spec (issue 2) with ``np.pad`` + ``sliding_window_view``,
independently of ``cnncourse.reference``, so that the kernels and the reference are
each checked against something they do not share code with (stumpy keeps the same
kind of module as ``tests/naive.py``). Every oracle computes in float64.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def pair(v):
    """An int or a pair (rows, cols) -> (rows, cols)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def np_conv2d(x, u, padding=0, stride=1, bias=None):
    """Batched cross-correlation oracle: x (N, C, H, W), u (D, C, h, w) -> (N, D, Ho, Wo)."""
    (ph, pw), (sh, sw) = pair(padding), pair(stride)
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = sliding_window_view(xp, u.shape[-2:], axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.tensordot(win, u, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)[None, :, None, None]
    return out


def np_conv1d(x, u, padding=0, stride=1, bias=None):
    """Batched 1D oracle: x (N, C, W), u (D, C, w) -> (N, D, Wo)."""
    out = np_conv2d(
        np.asarray(x)[:, :, None, :], np.asarray(u)[:, :, None, :], (0, padding), (1, stride), bias
    )
    return out[:, :, 0, :]


def np_pool2d(x, kernel_size=2, stride=None, padding=0, mode="max"):
    """Pooling oracle on (..., H, W): -inf/+inf padding for max/min, zero padding for avg.

    avg divides by the full window kh*kw (PyTorch's count_include_pad=True).
    """
    (kh, kw) = pair(kernel_size)
    (sh, sw) = pair(kernel_size if stride is None else stride)
    (ph, pw) = pair(padding)
    x = np.asarray(x, dtype=np.float64)
    fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    xp = np.pad(x, widths, constant_values=fill)
    win = sliding_window_view(xp, (kh, kw), axis=(-2, -1))[..., ::sh, ::sw, :, :]
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
    return reduce(win, axis=(-2, -1))


def np_conv2d_backward(dout, x, u, padding=0, stride=1):
    """Oracle gradients of np_conv2d: (dx, du), by scattering one kernel offset at a time."""
    (ph, pw), (sh, sw) = pair(padding), pair(stride)
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    N, C, H, W = x.shape
    _, _, h, w = u.shape
    Ho, Wo = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    du = np.zeros_like(u)
    for m in range(h):
        for n in range(w):
            rows = slice(m, m + sh * (Ho - 1) + 1, sh)
            cols = slice(n, n + sw * (Wo - 1) + 1, sw)
            dxp[:, :, rows, cols] += np.einsum("ndji,dc->ncji", dout, u[:, :, m, n])
            du[:, :, m, n] = np.einsum("ndji,ncji->dc", dout, xp[:, :, rows, cols])
    return dxp[:, :, ph : ph + H, pw : pw + W], du


def rel_error(a, b):
    """cs231n's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of scalar f at x (float64), one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad
