"""Vectorised NumPy twins of the forward kernels, used while Numba is still loading.

Same calling convention as :mod:`cnncourse._kernels`: padded, contiguous,
same-dtype inputs and a preallocated output. ``sliding_window_view`` exposes
every window without copying; ``einsum`` contracts it with the kernels (BLAS).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._pool_ops import POOL_AVG, POOL_MAX, POOL_MIN

_POOL_REDUCE = {POOL_MAX: np.max, POOL_AVG: np.mean, POOL_MIN: np.min}


def conv1d(xp, u, stride, out):
    """out[b, d, i] = sum_c sum_m xp[b, c, m + stride*i] * u[d, c, m]."""
    win = sliding_window_view(xp, u.shape[2], axis=2)[:, :, ::stride][:, :, : out.shape[2]]
    np.einsum("bciw,dcw->bdi", win, u, out=out, optimize=True)


def conv2d(xp, u, sh, sw, out):
    """out[b,d,j,i] = sum_c sum_n sum_m xp[b,c,sh*j+n,sw*i+m] * u[d,c,n,m]."""
    win = sliding_window_view(xp, u.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    win = win[:, :, : out.shape[2], : out.shape[3]]
    np.einsum("bcjinm,dcnm->bdji", win, u, out=out, optimize=True)


def pool2d(xp, kh, kw, sh, sw, op, out):
    """out = max (POOL_MAX), mean (POOL_AVG) or min (POOL_MIN) over each window; NaN propagates."""
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    win = win[:, :, : out.shape[2], : out.shape[3]]
    out[...] = _POOL_REDUCE[op](win, axis=(-2, -1))
