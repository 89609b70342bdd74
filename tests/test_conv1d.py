"""cnncourse.conv1d: shapes, values against reference / scipy / NumPy, padding, stride, bias."""

import numpy as np
import pytest
import scipy.signal
from helpers import FLOATS, assert_close, float_dtypes, rand, seeds, window_1d
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import np_conv1d

import cnncourse
from cnncourse import reference


def test_conv1d_lecture_worked_example():
    """(0,0,0,0,1,2,3,3) ⊛ (-1,1) = (0,0,0,1,1,1,0): the voltage steps of the lecture."""
    out = cnncourse.conv1d((0, 0, 0, 0, 1, 2, 3, 3), (-1, 1))
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1, 0])
    assert out.shape == (7,)
    assert out.dtype == np.float64  # ints are promoted


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv1d_lecture_worked_example_float(dtype):
    x = np.array([0, 0, 0, 0, 1, 2, 3, 3], dtype=dtype)
    u = np.array([-1, 1], dtype=dtype)
    out = cnncourse.conv1d(x, u)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.array([0, 0, 0, 1, 1, 1, 0], dtype=dtype))


def test_conv1d_is_cross_correlation_not_convolution():
    """No kernel flip: an asymmetric kernel picks out the shifted input."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(cnncourse.conv1d(x, [1.0, 0.0]), [1, 2, 3])
    np.testing.assert_array_equal(cnncourse.conv1d(x, [0.0, 1.0]), [2, 3, 4])


def test_conv1d_zero_padding_values():
    np.testing.assert_array_equal(cnncourse.conv1d(np.ones(3), np.ones(3), padding=1), [2, 3, 2])
    np.testing.assert_array_equal(cnncourse.conv1d(np.ones(2), np.ones(3), padding=2), [1, 2, 2, 1])


def test_conv1d_stride_values():
    x = np.arange(10.0)
    np.testing.assert_array_equal(cnncourse.conv1d(x, [1.0], stride=3), [0, 3, 6, 9])
    np.testing.assert_array_equal(cnncourse.conv1d(x, [1.0, 1.0], stride=4), [1, 9, 17])
    # padding then stride: padded signal 0,0..9,0 windows start at 0, 2, 4, ...
    np.testing.assert_array_equal(
        cnncourse.conv1d(x, [1.0, 1.0, 1.0], padding=1, stride=2), [1, 6, 12, 18, 24]
    )


@pytest.mark.parametrize(
    "xshape, ushape, expected",
    [
        ((10,), (3,), (8,)),
        ((2, 10), (4, 2, 3), (4, 8)),
        ((5, 2, 10), (4, 2, 3), (5, 4, 8)),
        ((1, 1, 10), (1, 1, 10), (1, 1, 1)),
    ],
)
def test_conv1d_layout_shapes(xshape, ushape, expected):
    rng = np.random.default_rng(0)
    x, u = rand(rng, xshape), rand(rng, ushape)
    out = cnncourse.conv1d(x, u)
    assert out.shape == expected
    x3 = x.reshape((1,) * (3 - x.ndim) + x.shape)
    u3 = u.reshape((1, 1) + u.shape) if u.ndim == 1 else u
    assert_close(out, np_conv1d(x3, u3).reshape(expected))


def test_conv1d_single_batch_equals_unbatched():
    rng = np.random.default_rng(1)
    x, u, b = rand(rng, (3, 2, 11)), rand(rng, (4, 2, 3)), rand(rng, (4,))
    batched = cnncourse.conv1d(x, u, padding=1, stride=2, bias=b)
    for i in range(3):
        assert_close(cnncourse.conv1d(x[i], u, padding=1, stride=2, bias=b), batched[i])


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv1d_bias_is_added_per_filter(dtype):
    rng = np.random.default_rng(2)
    x, u = rand(rng, (2, 3, 9), dtype), rand(rng, (4, 3, 2), dtype)
    bias = np.array([1.0, -2.0, 10.0, 0.5], dtype=dtype)
    out = cnncourse.conv1d(x, u, bias=bias)
    assert out.dtype == dtype
    assert_close(out, cnncourse.conv1d(x, u) + bias[None, :, None])
    assert_close(out, np_conv1d(x, u, bias=bias))


def test_conv1d_single_signal_bias_of_shape_one():
    x = np.arange(5.0)
    out = cnncourse.conv1d(x, np.array([1.0, 1.0]), bias=np.array([10.0]))
    np.testing.assert_array_equal(out, [11, 13, 15, 17])


@settings(max_examples=50, deadline=None)
@given(
    window_1d(max_n=12, max_k=5, max_pad=3, max_stride=4),
    float_dtypes,
    seeds,
    st.sampled_from([1, 2, 3]),
    st.booleans(),
)
def test_conv1d_matches_reference(win, dtype, seed, ndim, with_bias):
    W, w, p, s = win
    rng = np.random.default_rng(seed)
    N, C, D = rng.integers(1, 3), rng.integers(1, 4), rng.integers(1, 4)
    if ndim == 1:
        x, u, D = rand(rng, (W,), dtype), rand(rng, (w,), dtype), 1
    else:
        x = rand(rng, (C, W) if ndim == 2 else (N, C, W), dtype)
        u = rand(rng, (D, C, w), dtype)
    bias = rand(rng, (D,), dtype) if with_bias else None
    out = cnncourse.conv1d(x, u, padding=p, stride=s, bias=bias)
    assert_close(out, reference.conv1d(x, u, padding=p, stride=s, bias=bias), dtype)
    assert out.shape[-1] == cnncourse.output_size(W, w, p, s)


@settings(max_examples=50, deadline=None)
@given(window_1d(max_n=30, max_k=7, max_pad=3, max_stride=4), float_dtypes, seeds)
def test_conv1d_single_channel_matches_scipy(win, dtype, seed):
    W, w, p, s = win
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (W,), dtype), rand(rng, (w,), dtype)
    expected = scipy.signal.correlate(np.pad(x.astype(np.float64), p), u, mode="valid")[::s]
    assert_close(cnncourse.conv1d(x, u, padding=p, stride=s), expected, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "xshape, ushape, padding, stride",
    [
        ((30_000,), (9,), 0, 1),  # a long signal (any parallel / blocked path)
        ((30_001,), (10,), 4, 3),
        ((2, 3, 20_000), (4, 3, 7), 3, 1),
        ((2, 3, 20_000), (4, 3, 7), 0, 2),
    ],
)
def test_conv1d_large_inputs_match_numpy(dtype, xshape, ushape, padding, stride):
    rng = np.random.default_rng(3)
    x, u = rand(rng, xshape, dtype), rand(rng, ushape, dtype)
    out = cnncourse.conv1d(x, u, padding=padding, stride=stride)
    if x.ndim == 1:
        expected = np.correlate(np.pad(x.astype(np.float64), padding), u, mode="valid")[::stride]
    else:
        expected = np_conv1d(x, u, padding, stride)
    assert_close(out, expected, dtype)


def test_conv1d_kernel_as_long_as_padded_signal():
    out = cnncourse.conv1d(np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0, 1.0]), padding=1)
    np.testing.assert_array_equal(out, [3.0])
