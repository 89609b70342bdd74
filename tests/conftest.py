"""Fixtures for every test. Shared helpers live in ``helpers.py`` and ``oracles.py``."""

from __future__ import annotations

import pytest

# test_arithmetic.py and test_architectures.py still import these from here; new tests
# import them from helpers / oracles.
from cnncourse import _backend


@pytest.fixture(scope="session", autouse=True)
def numba_kernels_loaded():
    """Make the kernel tests deterministic: wait until the Numba kernels are loaded.

    ``import cnncourse`` loads them in a background thread and serves forward calls
    with NumPy versions meanwhile; that fallback is tested on its own in test_warmup.py.
    """
    _backend.kernels(wait=True)
