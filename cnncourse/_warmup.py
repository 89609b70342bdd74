"""Compile and cache every kernel ahead of class: ``python -m cnncourse warmup``.

Numba compiles a kernel the first time it sees a new combination of argument
types and, with ``cache=True``, stores the machine code next to the source (or in
``NUMBA_CACHE_DIR``). :func:`load_cached` calls every kernel once per float dtype
on tiny arrays, with exactly the argument types the public API passes, so that
the first run compiles and caches them all and every later process only loads
them from disk.
"""

from __future__ import annotations

import time

import numpy as np


def load_cached(K) -> None:
    """Call every kernel of module ``K`` once per dtype (compiles on a cold cache)."""
    for dtype in (np.float32, np.float64):
        x3 = np.ones((1, 1, 8), dtype)
        u3 = np.ones((1, 1, 3), dtype)
        o3 = np.empty((1, 1, 6), dtype)
        K.conv1d_direct(x3, u3, 1, o3)
        K.conv1d_direct_parallel(x3, u3, 1, o3)
        x = np.ones((1, 2, 6, 6), dtype)
        u = np.ones((2, 2, 3, 3), dtype)
        o = np.empty((1, 2, 4, 4), dtype)
        K.conv2d_direct(x, u, 1, 1, o)
        K.conv2d_direct_serial(x, u, 1, 1, o)
        K.conv2d_direct_s1(x, u, o)
        K.conv2d_backward_kernel_s1(np.ones((1, 2, 4, 6), dtype), x, np.empty_like(u))
        cols = np.empty((18, 1, 16), dtype)
        K.im2col(x, 3, 3, 1, 1, 4, 4, cols)
        K.col2im(cols, 3, 3, 1, 1, 4, 4, np.empty_like(x))
        p = np.empty((1, 2, 3, 3), dtype)
        K.pool2d_forward(x, 2, 2, 2, 2, 0, p)
        K.pool2d_backward(p, x, 2, 2, 2, 2, 0, np.empty_like(x))


def warmup(verbose: bool = True) -> float:
    """Compile (or load) every kernel, then run the public API once; return seconds taken."""
    from . import _backend
    from . import functional as F

    start = time.perf_counter()
    _backend.kernels(wait=True)
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        img = rng.standard_normal((2, 3, 12, 12)).astype(dtype)
        wide = rng.standard_normal((16, 3, 5, 5)).astype(dtype)
        for stride in (1, 2):
            out = F.conv2d(img, wide, padding=2, stride=stride)
            F.conv2d_backward(np.ones_like(out), img, wide, padding=2, stride=stride)
            out = F.conv2d(img, wide[:2], padding=1, stride=stride)
            F.conv2d_backward(np.ones_like(out), img, wide[:2], padding=1, stride=stride)
        for mode in ("max", "avg", "min"):
            F.pool2d_backward(np.ones_like(F.pool2d(img, 2, mode=mode)), img, 2, mode=mode)
        F.conv1d(rng.standard_normal(20_000).astype(dtype), np.ones(3, dtype))
    elapsed = time.perf_counter() - start
    if verbose:
        print(f"cnncourse: kernels compiled and cached in {elapsed:.1f} s")
    return elapsed
