"""Reference implementations: plain Python loops that read like the lecture.

Slow on purpose. These are the oracle the fast kernels are tested against and
the code a student reads next to the formulas of the lecture (notation: input
``x``, kernel ``u``, output ``o``; padding ``p``, stride ``s``):

* 1D (C1): ``o[i] = sum_m x[m + i] u[m]``
* 2D (C3): ``o[j, i] = sum_n sum_m x[n + j, m + i] u[n, m]``
* RGB (C4): ``o[j, i] = sum_c (x_c ⊛ u_c)[j, i]``
* with padding and stride (H3-H5) the input is framed by ``p`` zeros and the
  window moves ``s`` positions: ``o[j, i] = sum_n sum_m x[n + s*j, m + s*i] u[n, m]``

All convolutions are cross-correlations (no kernel flip), as in deep learning.
The functions take the same arguments and shapes as :mod:`cnncourse.functional`
and return the same dtypes (float32 stays float32, everything else becomes
float64), but they **assume valid arguments**. Only the dtype is checked, with
the API's validator (a complex or string input raises the same ``TypeError``).
Shapes, sizes and modes are not checked, so that each function stays as short as
its formula: an invalid call fails with whatever plain Python raises, e.g.
``reference.conv2d(np.zeros((2, 3, 3)), np.zeros((2, 2)))`` with "not enough
values to unpack", and a kernel larger than the padded input with the error of
:func:`output_size`, the helper that finds it. Check arguments with the public
function first when they may be wrong.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validation as V

__all__ = [
    "output_size",
    "conv1d",
    "conv2d",
    "pool2d",
    "global_pool",
    "conv2d_backward",
    "pool2d_backward",
]


def output_size(n, k, padding=0, stride=1):
    """floor((n + 2p - k) / s) + 1, the lecture's formula (H5)."""
    if (n + 2 * padding - k) < 0:
        raise ValueError(f"output_size: kernel size {k} does not fit input size {n}")
    return (n + 2 * padding - k) // stride + 1


def _zero_pad(x, pad_h, pad_w):
    """Frame the last two axes of x with zeros (H3)."""
    H, W = x.shape[-2], x.shape[-1]
    out = np.zeros(x.shape[:-2] + (H + 2 * pad_h, W + 2 * pad_w), dtype=np.float64)
    out[..., pad_h : pad_h + H, pad_w : pad_w + W] = x
    return out


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _as_nchw_conv2d(x, u):
    """Put x and u in (N, C, H, W) / (D, C, h, w) form; return a function to undo it."""
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if x.ndim == 2 and u.ndim == 2:  # grayscale
        return x[None, None], u[None, None], lambda o: o[0, 0]
    if x.ndim == 3 and u.ndim == 3:  # RGB with one filter: a 2D output
        return x[None], u[None], lambda o: o[0, 0]
    if x.ndim == 3 and u.ndim == 4:  # one image, D filters
        return x[None], u, lambda o: o[0]
    return x, u, lambda o: o


def conv2d(x, u, padding=0, stride=1, bias=None):
    """2D cross-correlation with plain loops.

    o[d, j, i] = sum_c sum_n sum_m x[c, n + s*j, m + s*i] u[d, c, n, m]
    """
    dtype = V.common_dtype(V.as_float_array(x, "conv2d", "x"), V.as_float_array(u, "conv2d", "u"))
    x4, u4, undo = _as_nchw_conv2d(x, u)
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    N, C, H, W = x4.shape
    D, _, h, w = u4.shape
    xp = _zero_pad(x4, ph, pw)
    Ho = output_size(H, h, ph, sh)
    Wo = output_size(W, w, pw, sw)
    o = np.zeros((N, D, Ho, Wo))
    for b in range(N):
        for d in range(D):
            for j in range(Ho):
                for i in range(Wo):
                    total = 0.0
                    for c in range(C):
                        for n in range(h):
                            for m in range(w):
                                total += xp[b, c, n + sh * j, m + sw * i] * u4[d, c, n, m]
                    if bias is not None:
                        total += np.ravel(bias)[d]
                    o[b, d, j, i] = total
    return undo(o).astype(dtype)


def conv1d(x, u, padding=0, stride=1, bias=None):
    """1D cross-correlation with plain loops: o[i] = sum_c sum_m x[c, m + s*i] u[c, m]."""
    dtype = V.common_dtype(V.as_float_array(x, "conv1d", "x"), V.as_float_array(u, "conv1d", "u"))
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if x.ndim == 1:
        x3, u3, undo = x[None, None], u[None, None], lambda o: o[0, 0]
    elif x.ndim == 2:
        x3, u3, undo = x[None], u, lambda o: o[0]
    else:
        x3, u3, undo = x, u, lambda o: o
    N, C, W = x3.shape
    D, _, w = u3.shape
    xp = np.zeros((N, C, W + 2 * padding))
    xp[:, :, padding : padding + W] = x3
    Wo = output_size(W, w, padding, stride)
    o = np.zeros((N, D, Wo))
    for b in range(N):
        for d in range(D):
            for i in range(Wo):
                total = 0.0
                for c in range(C):
                    for m in range(w):
                        total += xp[b, c, m + stride * i] * u3[d, c, m]
                if bias is not None:
                    total += np.ravel(bias)[d]
                o[b, d, i] = total
    return undo(o).astype(dtype)


def _as_nchw(x):
    x = np.asarray(x)
    if x.ndim == 2:
        return x[None, None], lambda o: o[0, 0]
    if x.ndim == 3:
        return x[None], lambda o: o[0]
    return x, lambda o: o


def pool2d(x, kernel_size=2, stride=None, padding=0, mode="max"):
    """Pooling with plain loops: each output is the max/avg/min of one window (P2, P3).

    Padding uses values that never win (-inf for max, +inf for min, 0 for avg);
    avg divides by the full window size kh*kw, padding included.
    """
    dtype = V.as_float_array(x, "pool2d", "x").dtype
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    x4, undo = _as_nchw(np.asarray(x, dtype=np.float64))
    N, C, H, W = x4.shape
    Ho = output_size(H, kh, ph, sh)
    Wo = output_size(W, kw, pw, sw)
    fill = {"max": -math.inf, "min": math.inf, "avg": 0.0}[mode]
    xp = np.full((N, C, H + 2 * ph, W + 2 * pw), fill)
    xp[:, :, ph : ph + H, pw : pw + W] = x4
    o = np.zeros((N, C, Ho, Wo))
    for b in range(N):
        for c in range(C):
            for j in range(Ho):
                for i in range(Wo):
                    window = [
                        xp[b, c, n + sh * j, m + sw * i] for n in range(kh) for m in range(kw)
                    ]
                    if mode == "max":
                        o[b, c, j, i] = _first_extreme(window, max)
                    elif mode == "min":
                        o[b, c, j, i] = _first_extreme(window, min)
                    else:
                        o[b, c, j, i] = sum(window) / (kh * kw)
    return undo(o).astype(dtype)


def _first_extreme(values, pick):
    """max/min of a list; NaN wins (it propagates, as in PyTorch)."""
    for v in values:
        if v != v:
            return v
    return pick(values)


def global_pool(x, mode="avg"):
    """Global pooling (P4): one number per channel, no window, no stride."""
    dtype = V.as_float_array(x, "global_pool", "x").dtype
    x = np.asarray(x, dtype=np.float64)
    lead = x.shape[:-2]
    flat = x.reshape(-1, x.shape[-2] * x.shape[-1])
    o = np.zeros(flat.shape[0])
    for r in range(flat.shape[0]):
        values = list(flat[r])
        if mode == "avg":
            o[r] = sum(values) / len(values)
        elif mode == "max":
            o[r] = _first_extreme(values, max)
        else:
            o[r] = _first_extreme(values, min)
    return o.reshape(lead).astype(dtype)


def conv2d_backward(dout, x, u, padding=0, stride=1):
    """Gradients of conv2d for (N, C, H, W) x and (D, C, h, w) u, with plain loops.

    Since o[b,d,j,i] = sum_c sum_n sum_m xp[b,c,n+s*j,m+s*i] u[d,c,n,m], each
    output gradient flows back to the inputs and weights it multiplied:
    dxp[b,c,n+s*j,m+s*i] += dout[b,d,j,i] u[d,c,n,m] and
    du[d,c,n,m] += dout[b,d,j,i] xp[b,c,n+s*j,m+s*i].
    """
    dtype = V.common_dtype(
        V.as_float_array(dout, "conv2d_backward", "dout"),
        V.as_float_array(x, "conv2d_backward", "x"),
        V.as_float_array(u, "conv2d_backward", "u"),
    )
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    N, C, H, W = x.shape
    D, _, h, w = u.shape
    _, _, Ho, Wo = dout.shape
    xp = _zero_pad(x, ph, pw)
    dxp = np.zeros_like(xp)
    du = np.zeros_like(u)
    for b in range(N):
        for d in range(D):
            for j in range(Ho):
                for i in range(Wo):
                    g = dout[b, d, j, i]
                    for c in range(C):
                        for n in range(h):
                            for m in range(w):
                                dxp[b, c, n + sh * j, m + sw * i] += g * u[d, c, n, m]
                                du[d, c, n, m] += g * xp[b, c, n + sh * j, m + sw * i]
    dx = dxp[:, :, ph : ph + H, pw : pw + W]
    return dx.astype(dtype), du.astype(dtype)


def pool2d_backward(dout, x, kernel_size=2, stride=None, padding=0, mode="max"):
    """Gradient of pool2d with plain loops.

    max/min send each output gradient to the first position (row-major within the
    window) that holds the window's max/min; avg spreads it evenly over the full
    window, padding included (the padded positions' share is dropped).
    """
    dtype = V.common_dtype(
        V.as_float_array(dout, "pool2d_backward", "dout"),
        V.as_float_array(x, "pool2d_backward", "x"),
    )
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    x4, undo = _as_nchw(np.asarray(x, dtype=np.float64))
    d4, _ = _as_nchw(np.asarray(dout, dtype=np.float64))
    N, C, H, W = x4.shape
    fill = {"max": -math.inf, "min": math.inf, "avg": 0.0}[mode]
    xp = np.full((N, C, H + 2 * ph, W + 2 * pw), fill)
    xp[:, :, ph : ph + H, pw : pw + W] = x4
    dxp = np.zeros_like(xp)
    Ho, Wo = d4.shape[2], d4.shape[3]
    for b in range(N):
        for c in range(C):
            for j in range(Ho):
                for i in range(Wo):
                    g = d4[b, c, j, i]
                    if mode == "avg":
                        for n in range(kh):
                            for m in range(kw):
                                dxp[b, c, n + sh * j, m + sw * i] += g / (kh * kw)
                        continue
                    best = None
                    where = (0, 0)
                    for n in range(kh):
                        for m in range(kw):
                            v = xp[b, c, n + sh * j, m + sw * i]
                            if best is None or v != v or (v > best if mode == "max" else v < best):
                                best, where = v, (n, m)
                            if v != v:
                                break
                        if best != best:
                            break
                    dxp[b, c, where[0] + sh * j, where[1] + sw * i] += g
    dx = dxp[:, :, ph : ph + H, pw : pw + W]
    return undo(dx).astype(dtype)
