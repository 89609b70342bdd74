"""Shared helpers for the library tests: test data, tolerances, error matchers, strategies.

The independent NumPy oracles the results are compared with live in ``oracles.py``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import strategies as st

FLOATS = (np.float32, np.float64)
HYPOTHESIS = {"max_examples": 40, "deadline": None}


def rand(rng, shape, dtype=np.float64):
    """Standard-normal test data of a given shape and dtype."""
    return rng.standard_normal(shape).astype(dtype)


def assert_close(actual, expected, dtype=None):
    """Compare with a tolerance suited to the dtype, relative to the magnitude of the result.

    float32: rtol 1e-4 of max(1, max|expected|); float64: 1e-10. NaN must match NaN.
    Also checks the shape and, when ``dtype`` is given, the exact output dtype.
    """
    assert isinstance(actual, np.ndarray), f"expected an ndarray, got {type(actual).__name__}"
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), f"dtype {actual.dtype} != expected {dtype}"
    tol = 1e-4 if actual.dtype == np.float32 else 1e-10
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=tol, atol=tol * scale)


def raises(exc, func, *args):
    """pytest.raises(exc) whose message must name ``func`` and every word in ``args``.

    Order-independent: each name is a look-ahead, matched as a whole word.
    Use ``check_exact`` on the result to also forbid subclasses (e.g. Numba's errors).
    """
    names = (func, *args)
    pattern = "(?s)" + "".join(rf"(?=.*(?<!\w){re.escape(n)}(?!\w))" for n in names)
    return pytest.raises(exc, match=pattern)


def check_exact(excinfo):
    """The exception is exactly ValueError or TypeError, not a Numba subclass."""
    assert type(excinfo.value) in (ValueError, TypeError), (
        f"{type(excinfo.value).__module__}.{type(excinfo.value).__name__} reached the user"
    )
    msg = str(excinfo.value)
    assert "nopython" not in msg and "numba" not in msg.lower(), msg


@st.composite
def window_1d(draw, max_n=9, max_k=4, max_pad=2, max_stride=3):
    """(n, k, padding, stride) with the window fitting in the padded input."""
    k = draw(st.integers(1, max_k))
    p = draw(st.integers(0, max_pad))
    s = draw(st.integers(1, max_stride))
    n = draw(st.integers(max(1, k - 2 * p), max_n))
    return n, k, p, s


@st.composite
def window_2d(draw, max_n=9, max_k=4, max_pad=2, max_stride=3, pairs=True):
    """((H, W), (h, w), padding, stride); padding/stride drawn as int or pair."""
    n1, k1, p1, s1 = draw(window_1d(max_n, max_k, max_pad, max_stride))
    n2, k2, p2, s2 = draw(window_1d(max_n, max_k, max_pad, max_stride))
    if pairs and draw(st.booleans()):
        padding, stride = (p1, p2), (s1, s2)
    else:
        p = min(p1, p2)
        n1, n2 = max(n1, k1), max(n2, k2)  # fits with the smaller padding too
        padding, stride = p, s1
    return (n1, n2), (k1, k2), padding, stride


seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from(FLOATS)
