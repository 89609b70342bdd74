"""`python -m cnncourse warmup` exits 0; the forward calls served before the kernels load."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_close, rand
from oracles import np_conv1d, np_conv2d

import cnncourse
from cnncourse import _backend, reference

ROOT = Path(__file__).resolve().parents[1]


def test_warmup_command_exits_zero():
    res = subprocess.run(
        [sys.executable, "-m", "cnncourse", "warmup"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert "Traceback" not in res.stderr, res.stderr


def test_warmed_up_process_computes_correctly():
    """A fresh process (loading the cache) gives the lecture's worked example."""
    code = (
        "import numpy as np, cnncourse\n"
        "o = cnncourse.conv1d(np.array([0, 0, 0, 0, 1, 2, 3, 3.]), np.array([-1, 1.]))\n"
        "assert o.tolist() == [0, 0, 0, 1, 1, 1, 0], o\n"
        "x = np.ones((2, 3, 8, 8), np.float32)\n"
        "o = cnncourse.conv2d(x, np.ones((16, 3, 3, 3), np.float32), padding=1)\n"
        "assert o.shape == (2, 16, 8, 8) and o.dtype == np.float32 and o[0, 0, 4, 4] == 27\n"
        "print('ok')\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


# ---------------------------------------------------------------- NumPy fallback
# Until the Numba kernels have loaded (in a background thread after `import cnncourse`),
# forward calls are served by NumPy versions: in class, the first calls students make.
# They must give the same results, so force that path and compare with the oracles.


@pytest.fixture
def numpy_fallback(monkeypatch):
    """The backend answers "still loading" to forward calls (backward calls still wait)."""
    real = _backend.kernels

    def not_loaded_yet(wait=True):
        return real(wait=True) if wait else None

    monkeypatch.setattr(_backend, "kernels", not_loaded_yet)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "xshape, ushape, padding, stride",
    [
        ((9, 8), (3, 2), 0, 1),
        ((3, 9, 8), (3, 3, 3), 1, 2),
        ((2, 3, 9, 8), (4, 3, 3, 2), (2, 1), (1, 3)),
        ((2, 8, 12, 12), (16, 8, 3, 3), 1, 1),
        ((2, 3, 24, 24), (8, 3, 3, 3), 1, 1),
    ],
)
def test_fallback_conv2d(numpy_fallback, dtype, xshape, ushape, padding, stride):
    rng = np.random.default_rng(0)
    x, u = rand(rng, xshape, dtype), rand(rng, ushape, dtype)
    x[..., 0, 0] = np.nan
    out = cnncourse.conv2d(x, u, padding=padding, stride=stride)
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    u4 = u.reshape((1,) * (4 - u.ndim) + u.shape)
    expected = np_conv2d(x4, u4, padding, stride)
    assert_close(out, expected.reshape(out.shape), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "xshape, ushape, padding, stride",
    [((8,), (2,), 0, 1), ((2, 13), (3, 2, 3), 1, 2), ((2, 2, 20_000), (3, 2, 5), 2, 3)],
)
def test_fallback_conv1d(numpy_fallback, dtype, xshape, ushape, padding, stride):
    rng = np.random.default_rng(1)
    x, u = rand(rng, xshape, dtype), rand(rng, ushape, dtype)
    out = cnncourse.conv1d(x, u, padding=padding, stride=stride)
    assert_close(out, reference_or_numpy_conv1d(x, u, padding, stride), dtype)


def reference_or_numpy_conv1d(x, u, padding, stride):
    x3 = x.reshape((1,) * (3 - x.ndim) + x.shape)
    u3 = u.reshape((1, 1) + u.shape) if u.ndim == 1 else u
    out = np_conv1d(x3, u3, padding, stride)
    return out[0, 0] if x.ndim == 1 else (out[0] if x.ndim == 2 else out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize(
    "shape, kernel_size, stride, padding",
    [((7, 8), 2, None, 0), ((2, 7, 8), 3, 2, 1), ((2, 2, 7, 8), (3, 2), (1, 2), (1, 0))],
)
def test_fallback_pool2d(numpy_fallback, dtype, mode, shape, kernel_size, stride, padding):
    rng = np.random.default_rng(2)
    x = rand(rng, shape, dtype)
    x[..., 1, 1] = np.nan
    out = cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
    assert_close(out, reference.pool2d(x, kernel_size, stride, padding, mode), dtype)


def test_fallback_lecture_example(numpy_fallback):
    out = cnncourse.conv1d((0, 0, 0, 0, 1, 2, 3, 3), (-1, 1))
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1, 0])
