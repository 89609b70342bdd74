"""Pooling op codes: the one table shared by the API, the Numba kernels and their NumPy twins.

The kernels take the reduction as a small int (Numba compiles one version for all
three); :mod:`cnncourse._dispatch` turns the public ``mode`` name into it. Numba
freezes these globals into its cached machine code: change a value here only
together with ``_kernels.py`` (which recompiles it).
"""

from __future__ import annotations

POOL_MAX = 0
POOL_AVG = 1
POOL_MIN = 2

# mode name -> op code, in the order error messages list the modes
POOL_OPS = {"max": POOL_MAX, "avg": POOL_AVG, "min": POOL_MIN}
