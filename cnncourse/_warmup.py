"""Compile and cache every kernel ahead of class: ``python -m cnncourse warmup``.

Each kernel is called once per dtype on tiny inputs that take every code path
(serial and parallel, direct and im2col/GEMM, stride 1 and 2), so that Numba
writes its on-disk cache and later processes start in milliseconds.
"""

from __future__ import annotations

import time

import numpy as np

from . import functional as F


def warmup(verbose: bool = True) -> float:
    """Run every public function on small inputs in float32 and float64; return seconds taken."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        sig = rng.standard_normal(40_000).astype(dtype)
        F.conv1d(sig, np.ones(3, dtype))  # parallel path
        F.conv1d(sig[:50], np.ones(3, dtype), stride=2)  # serial path
        img = rng.standard_normal((2, 3, 12, 12)).astype(dtype)
        small = rng.standard_normal((2, 3, 3, 3)).astype(dtype)
        wide = rng.standard_normal((16, 3, 5, 5)).astype(dtype)  # C*h*w >= 64: GEMM path
        big = rng.standard_normal((1, 1, 200, 200)).astype(dtype)
        for stride in (1, 2):
            F.conv2d(img, small, padding=1, stride=stride)
            F.conv2d(img, wide, padding=2, stride=stride)
            F.conv2d(big, small[:1, :1], stride=stride)
            F.conv2d_backward(
                np.ones_like(F.conv2d(img, small, padding=1, stride=stride)),
                img, small, padding=1, stride=stride,
            )
            F.conv2d_backward(
                np.ones_like(F.conv2d(img, wide, padding=2, stride=stride)),
                img, wide, padding=2, stride=stride,
            )
        for mode in ("max", "avg", "min"):
            out = F.pool2d(img, 2, mode=mode)
            F.pool2d_backward(np.ones_like(out), img, 2, mode=mode)
            F.global_pool(img, mode=mode)
    elapsed = time.perf_counter() - start
    if verbose:
        print(f"cnncourse: kernels compiled and cached in {elapsed:.1f} s")
    return elapsed
