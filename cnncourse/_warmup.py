"""``python -m cnncourse warmup``: compile and cache every kernel ahead of class.

Numba compiles a kernel the first time it sees a new combination of argument
types and, with ``cache=True``, stores the machine code next to the source (or in
``NUMBA_CACHE_DIR``). Loading the kernels (:mod:`cnncourse._backend`) calls each of
them once per float dtype (:func:`cnncourse._kernels.load_cached`), which compiles
and caches them all on the first run; :func:`warmup` then runs the public API
once on small inputs, so that every later process only loads them from disk.
"""

from __future__ import annotations

import time

import numpy as np

from . import _backend
from . import functional as F


def warmup(verbose: bool = True) -> float:
    """Compile (or load) every kernel, then run the public API once; return seconds taken."""
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
