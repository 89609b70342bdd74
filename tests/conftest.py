"""Shared helpers for the library tests: independent NumPy oracles, tolerances, strategies.

The oracles here are written from the spec (issue 2) with ``np.pad`` +
``sliding_window_view``, independently of ``cnncourse.reference``, so that the
kernels and the reference are each checked against something they do not share code with.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

FLOATS = (np.float32, np.float64)


@pytest.fixture(scope="session", autouse=True)
def numba_kernels_loaded():
    """Make the kernel tests deterministic: wait until the Numba kernels are loaded.

    ``import cnncourse`` loads them in a background thread and serves forward calls
    with NumPy versions meanwhile; that fallback is tested on its own in test_warmup.py.
    """
    import cnncourse

    backend = getattr(cnncourse, "_backend", None)
    if backend is not None and hasattr(backend, "kernels"):
        backend.kernels(wait=True)


HYPOTHESIS = {"max_examples": 40, "deadline": None}


def pair(v):
    """An int or a pair (rows, cols) -> (rows, cols)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def rand(rng, shape, dtype=np.float64):
    """Standard-normal test data of a given shape and dtype."""
    return rng.standard_normal(shape).astype(dtype)


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
