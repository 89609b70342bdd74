"""The kernel loading machinery: background loading, the NumPy fallback, doctests."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import HYPOTHESIS, assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse import _backend, _numpy_kernels, data, functional, widgets
from cnncourse._pool_ops import POOL_OPS


@settings(**HYPOTHESIS)
@given(
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from((np.float32, np.float64)),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    size=st.tuples(st.integers(4, 11), st.integers(4, 11)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
)
def test_numpy_fallback_matches_numba_kernels(seed, dtype, shape, size, kernel, stride):
    """While Numba loads, the NumPy twins serve forward calls: they must agree with the kernels."""
    K = _backend.kernels(wait=True)
    rng = np.random.default_rng(seed)
    N, C, D = shape
    (H, W), (kh, kw), (sh, sw) = size, kernel, stride
    xp = rng.standard_normal((N, C, H, W)).astype(dtype)
    u = rng.standard_normal((D, C, kh, kw)).astype(dtype)
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    a, b = np.empty((N, D, Ho, Wo), dtype), np.empty((N, D, Ho, Wo), dtype)
    _numpy_kernels.conv2d(xp, u, sh, sw, a)
    K.conv2d_direct(xp, u, sh, sw, b)
    assert_close(a, b, dtype)
    for op in POOL_OPS.values():
        a, b = np.empty((N, C, Ho, Wo), dtype), np.empty((N, C, Ho, Wo), dtype)
        _numpy_kernels.pool2d(xp, kh, kw, sh, sw, op, a)
        K.pool2d_forward(xp, kh, kw, sh, sw, op, b)
        assert_close(a, b, dtype)
    x3 = xp.reshape(N, C, H * W)
    u3 = u.reshape(D, C, kh * kw)
    Wo3 = (H * W - kh * kw) // sw + 1
    a, b = np.empty((N, D, Wo3), dtype), np.empty((N, D, Wo3), dtype)
    _numpy_kernels.conv1d(x3, u3, sw, a)
    K.conv1d_direct(x3, u3, sw, b)
    assert_close(a, b, dtype)


def _run(code: str, **env) -> str:
    full_env = {**os.environ, **env}
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=300
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_first_calls_are_right_before_and_after_the_kernels_load():
    """A fresh process answers at once (fallback) and identically once the kernels are in."""
    out = _run(
        "import numpy as np, cnncourse as cc\n"
        "from cnncourse import _backend\n"
        "x = np.arange(64.0).reshape(8, 8); u = np.array([[1.0, -1.0], [2.0, 0.5]])\n"
        "early = cc.conv2d(x, u, padding=1, stride=2), cc.pool2d(x, 3, 2, 1)\n"
        "_backend.kernels(wait=True)\n"
        "late = cc.conv2d(x, u, padding=1, stride=2), cc.pool2d(x, 3, 2, 1)\n"
        "ref = cc.reference.conv2d(x, u, 1, 2), cc.reference.pool2d(x, 3, 2, 1)\n"
        "ok = [np.allclose(a, r) and np.allclose(b, r) for a, b, r in zip(early, late, ref)]\n"
        "print(all(ok))\n",
        CNNCOURSE_BACKGROUND_LOAD="1",
    )
    assert out.strip() == "True"


def test_a_large_call_waits_for_the_compiled_kernels_itself():
    """Right after import, a small call is served at once by the NumPy twin, while a call
    big enough to be timed waits for the Numba kernels: a student's benchmark measures the
    compiled code without calling cnncourse.load_kernels() first (issue 18, point 13)."""
    out = _run(
        "import numpy as np, cnncourse as cc\n"
        "from cnncourse import _backend, _dispatch\n"
        "cc.conv1d(np.ones(50), np.ones(3))\n"
        "small = _backend._module is not None\n"
        "x, u = np.ones(20_000), np.ones(9)  # 180 000 multiply-adds\n"
        "assert x.size * u.size >= _dispatch._WAIT_FOR_KERNELS_WORK\n"
        "cc.conv1d(x, u)\n"
        "print(small, _backend._module is not None)\n",
        CNNCOURSE_BACKGROUND_LOAD="1",
    )
    assert out.split() == ["False", "True"]


def test_background_loading_can_be_turned_off():
    """CNNCOURSE_BACKGROUND_LOAD=0: no thread; the first call loads the kernels itself."""
    out = _run(
        "import cnncourse, threading\n"
        "from cnncourse import _backend\n"
        "names = [t.name for t in threading.enumerate()]\n"
        "cnncourse.conv1d([1.0, 2.0, 3.0], [1.0, 1.0])\n"
        "print('cnncourse-kernels' in names, _backend._module is not None)\n",
        CNNCOURSE_BACKGROUND_LOAD="0",
    )
    assert out.split() == ["False", "True"]


@pytest.mark.parametrize("module", [functional, _backend, data, widgets])
def test_docstring_examples_run(module):
    """The numpydoc Examples sections are correct (doctest)."""
    flags = doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=flags)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_failed_background_load_is_retried_once_in_the_caller(monkeypatch):
    """A race in the background import must not leave the process without kernels."""
    from cnncourse import _backend

    _backend.kernels(wait=True)
    monkeypatch.setattr(_backend, "_module", None)
    monkeypatch.setattr(
        _backend, "_error", RuntimeError("dictionary changed size during iteration")
    )
    monkeypatch.setattr(_backend, "_retried", False)
    assert _backend.kernels(wait=True) is not None  # loaded again, here
    assert _backend._error is None and _backend._retried

    monkeypatch.setattr(_backend, "_module", None)
    monkeypatch.setattr(_backend, "_error", RuntimeError("numba is broken"))
    with pytest.raises(RuntimeError, match="failed to load: RuntimeError.'numba is broken'"):
        _backend.kernels(wait=True)  # already retried once: a second failure is raised
