"""conv2d_backward and pool2d_backward against numerical gradients, NumPy and the reference.

Numerical gradients are central differences in float64 of L = sum(forward(x) * dout),
with the forward pass computed by the NumPy oracle in conftest; errors are cs231n's
relative error, which should be around 1e-8 or better.
"""

import numpy as np
import pytest
from helpers import FLOATS, assert_close, float_dtypes, rand, seeds, window_2d
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import np_conv2d, np_conv2d_backward, np_pool2d, numerical_gradient, rel_error

import cnncourse
from cnncourse import reference

TOL_CONV = 1e-8  # cs231n's conv checks report ~1e-9 and below
TOL = 1e-7  # pooling: max/min are piecewise linear, so a small step is needed
# The loss is linear in x (and in u), so central differences have no truncation error;
# a larger step only shrinks the rounding error (1e-5 gives ~1e-8, 1e-3 gives ~1e-10).
LINEAR_STEP = 1e-3

CONV_CASES = [
    # x shape, u shape, padding, stride
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((2, 2, 7, 6), (3, 2, 3, 3), 0, 2),
    ((1, 3, 6, 7), (2, 3, 2, 3), (1, 2), (2, 1)),
    ((2, 2, 8, 8), (2, 2, 2, 2), 2, 3),  # stride > kernel: some inputs get no gradient
    ((1, 1, 4, 4), (1, 1, 4, 4), 0, 1),
]


@pytest.mark.parametrize("xshape, ushape, padding, stride", CONV_CASES)
def test_conv2d_backward_dx_numerical(xshape, ushape, padding, stride):
    rng = np.random.default_rng(0)
    x, u = rand(rng, xshape), rand(rng, ushape)
    dout = rand(rng, np_conv2d(x, u, padding, stride).shape)
    dx, du = cnncourse.conv2d_backward(dout, x, u, padding=padding, stride=stride)
    assert dx.shape == x.shape and du.shape == u.shape
    assert dx.dtype == du.dtype == np.float64
    num_dx = numerical_gradient(
        lambda t: np.sum(np_conv2d(t, u, padding, stride) * dout), x, h=LINEAR_STEP
    )
    assert rel_error(dx, num_dx) < TOL_CONV, rel_error(dx, num_dx)


@pytest.mark.parametrize("xshape, ushape, padding, stride", CONV_CASES)
def test_conv2d_backward_du_numerical(xshape, ushape, padding, stride):
    rng = np.random.default_rng(1)
    x, u = rand(rng, xshape), rand(rng, ushape)
    dout = rand(rng, np_conv2d(x, u, padding, stride).shape)
    _, du = cnncourse.conv2d_backward(dout, x, u, padding=padding, stride=stride)
    num_du = numerical_gradient(
        lambda t: np.sum(np_conv2d(x, t, padding, stride) * dout), u, h=LINEAR_STEP
    )
    assert rel_error(du, num_du) < TOL_CONV, rel_error(du, num_du)


def test_conv2d_backward_uncovered_inputs_get_zero_gradient():
    """With stride 3 and a 2x2 kernel, rows/cols 2, 5 are never read: their gradient is 0."""
    rng = np.random.default_rng(2)
    x, u = rand(rng, (1, 1, 8, 8)), rand(rng, (1, 1, 2, 2))
    dx, _ = cnncourse.conv2d_backward(np.ones((1, 1, 3, 3)), x, u, stride=3)
    assert np.all(dx[..., [2, 5], :] == 0) and np.all(dx[..., :, [2, 5]] == 0)
    np.testing.assert_array_equal(dx[0, 0, :2, :2], u[0, 0])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "xshape, ushape, padding, stride",
    [
        ((2, 3, 16, 16), (8, 3, 3, 3), 1, 1),
        ((4, 8, 12, 12), (16, 8, 3, 3), 1, 1),  # many filters, big windows (GEMM-sized)
        ((3, 8, 11, 12), (16, 8, 3, 3), (0, 1), (2, 1)),
        ((2, 16, 9, 9), (32, 16, 5, 5), 2, 2),
    ],
)
def test_conv2d_backward_matches_numpy(dtype, xshape, ushape, padding, stride):
    rng = np.random.default_rng(3)
    x, u = rand(rng, xshape, dtype), rand(rng, ushape, dtype)
    dout = rand(rng, np_conv2d(x, u, padding, stride).shape, dtype)
    dx, du = cnncourse.conv2d_backward(dout, x, u, padding=padding, stride=stride)
    exp_dx, exp_du = np_conv2d_backward(dout, x, u, padding, stride)
    assert_close(dx, exp_dx, dtype)
    assert_close(du, exp_du, dtype)


def test_conv2d_backward_large_batch_matches_numpy():
    """Big enough (~20 MB of windows per image, float64) for any blocked/chunked path."""
    rng = np.random.default_rng(6)
    x, u = rand(rng, (3, 8, 180, 180)), rand(rng, (16, 8, 3, 3))
    dout = rand(rng, (3, 16, 180, 180))
    dx, du = cnncourse.conv2d_backward(dout, x, u, padding=1)
    exp_dx, exp_du = np_conv2d_backward(dout, x, u, 1)
    assert_close(dx, exp_dx)
    assert_close(du, exp_du)


@settings(max_examples=40, deadline=None)
@given(window_2d(max_n=8, max_k=3), float_dtypes, seeds)
def test_conv2d_backward_matches_reference(win, dtype, seed):
    (H, W), (h, w), padding, stride = win
    rng = np.random.default_rng(seed)
    N, C, D = (int(v) for v in rng.integers(1, 3, size=3))
    x, u = rand(rng, (N, C, H, W), dtype), rand(rng, (D, C, h, w), dtype)
    dout = rand(rng, np_conv2d(x, u, padding, stride).shape, dtype)
    dx, du = cnncourse.conv2d_backward(dout, x, u, padding=padding, stride=stride)
    ref_dx, ref_du = reference.conv2d_backward(dout, x, u, padding=padding, stride=stride)
    assert_close(dx, ref_dx, dtype)
    assert_close(du, ref_du, dtype)


# ---------------------------------------------------------------- pooling
def distinct(rng, shape):
    """Values whose pairwise gaps (>= 0.01) dwarf the finite-difference step."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.01 - n * 0.005).reshape(shape).astype(np.float64)


POOL_CASES = [
    # x shape, kernel_size, stride, padding
    ((2, 2, 6, 6), 2, None, 0),
    ((1, 2, 7, 7), 3, 2, 1),  # overlapping windows and padding
    ((2, 1, 5, 6), (2, 3), (1, 2), (1, 1)),
    ((5, 7), 3, 1, 1),
    ((3, 6, 4), (3, 2), None, (1, 0)),
]


@pytest.mark.parametrize("mode", ["max", "min", "avg"])
@pytest.mark.parametrize("xshape, kernel_size, stride, padding", POOL_CASES)
def test_pool2d_backward_numerical(mode, xshape, kernel_size, stride, padding):
    rng = np.random.default_rng(4)
    x = distinct(rng, xshape)
    out = np_pool2d(x, kernel_size, stride, padding, mode)
    dout = rand(rng, out.shape)
    dx = cnncourse.pool2d_backward(
        dout, x, kernel_size=kernel_size, stride=stride, padding=padding, mode=mode
    )
    assert dx.shape == x.shape and dx.dtype == np.float64
    num = numerical_gradient(
        lambda t: np.sum(np_pool2d(t, kernel_size, stride, padding, mode) * dout), x
    )
    assert rel_error(dx, num) < TOL, rel_error(dx, num)


def test_pool2d_backward_avg_spreads_over_full_window():
    dx = cnncourse.pool2d_backward(np.ones((2, 2)), np.ones((2, 2)), 2, padding=1, mode="avg")
    np.testing.assert_array_equal(dx, np.full((2, 2), 0.25))
    dx = cnncourse.pool2d_backward(np.array([[8.0]]), np.zeros((2, 2)), 2, mode="avg")
    np.testing.assert_array_equal(dx, np.full((2, 2), 2.0))


@pytest.mark.parametrize(
    "mode, window, expected",
    [
        # ties go to the first occurrence in row-major window order, as in PyTorch
        ("max", [[1.0, 3.0], [3.0, 0.0]], [[0, 1], [0, 0]]),
        ("max", [[5.0, 5.0], [5.0, 5.0]], [[1, 0], [0, 0]]),
        ("max", [[0.0, 1.0], [2.0, 2.0]], [[0, 0], [1, 0]]),
        ("min", [[4.0, 3.0], [3.0, 9.0]], [[0, 1], [0, 0]]),
        ("min", [[7.0, 7.0], [7.0, 7.0]], [[1, 0], [0, 0]]),
    ],
)
def test_pool2d_backward_ties_go_to_first_occurrence(mode, window, expected):
    dx = cnncourse.pool2d_backward(np.array([[1.0]]), np.array(window), 2, mode=mode)
    np.testing.assert_array_equal(dx, expected)


def test_pool2d_backward_overlapping_windows_accumulate():
    x = np.array([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]])
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    dx = cnncourse.pool2d_backward(dout, x, 2, stride=1, mode="max")
    expected = np.zeros((3, 3))
    expected[1, 1] = 10.0
    np.testing.assert_array_equal(dx, expected)


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from([(6, 7), (2, 5, 5), (2, 2, 6, 5)]),
    st.sampled_from([2, 3, (2, 3), (3, 1)]),
    st.sampled_from([None, 1, 2, (1, 2)]),
    st.sampled_from(["max", "min", "avg"]),
    st.booleans(),
    st.booleans(),
    float_dtypes,
    seeds,
)
def test_pool2d_backward_matches_reference(
    shape, kernel_size, stride, mode, pad, ties, dtype, seed
):
    """Also with many ties (small integers), where only the first occurrence may win."""
    kh, kw = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    padding = (kh // 2, kw // 2) if pad else 0
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    out = cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
    dout = rand(rng, out.shape, dtype)
    kwargs = {"kernel_size": kernel_size, "stride": stride, "padding": padding, "mode": mode}
    dx = cnncourse.pool2d_backward(dout, x, **kwargs)
    assert_close(dx, reference.pool2d_backward(dout, x, **kwargs), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_backward_dtypes_preserved(dtype):
    rng = np.random.default_rng(5)
    x, u = rand(rng, (2, 3, 6, 6), dtype), rand(rng, (4, 3, 3, 3), dtype)
    dx, du = cnncourse.conv2d_backward(rand(rng, (2, 4, 4, 4), dtype), x, u)
    assert dx.dtype == du.dtype == dtype
    dxp = cnncourse.pool2d_backward(rand(rng, (2, 3, 3, 3), dtype), x, 2)
    assert dxp.dtype == dtype
