"""cnncourse.conv2d: the four layouts, padding/stride pairs, bias, against reference/scipy/NumPy."""

import numpy as np
import pytest
import scipy.signal
from helpers import FLOATS, assert_close, float_dtypes, rand, seeds, window_2d
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import np_conv2d

import cnncourse
from cnncourse import reference


def test_conv2d_small_worked_values():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(
        cnncourse.conv2d(x, np.ones((2, 2))), [[10, 14, 18], [26, 30, 34], [42, 46, 50]]
    )
    # padding 1, stride 2, 3x3 box: windows centred on (0,0), (0,2), (2,0), (2,2)
    np.testing.assert_array_equal(
        cnncourse.conv2d(x, np.ones((3, 3)), padding=1, stride=2), [[10, 24], [51, 90]]
    )


def test_conv2d_is_cross_correlation_not_convolution():
    x = np.arange(9.0).reshape(3, 3)
    u = np.zeros((2, 2))
    u[0, 1] = 1.0  # picks x[j, i + 1]
    np.testing.assert_array_equal(cnncourse.conv2d(x, u), x[:2, 1:])


@pytest.mark.parametrize(
    "xshape, ushape, expected",
    [
        ((7, 6), (3, 2), (5, 5)),
        ((3, 7, 6), (3, 3, 2), (5, 5)),  # RGB: one filter summed over channels
        ((3, 7, 6), (4, 3, 3, 2), (4, 5, 5)),
        ((2, 3, 7, 6), (4, 3, 3, 2), (2, 4, 5, 5)),
        ((1, 1, 4, 4), (1, 1, 4, 4), (1, 1, 1, 1)),
    ],
)
def test_conv2d_layout_shapes(xshape, ushape, expected):
    rng = np.random.default_rng(0)
    x, u = rand(rng, xshape), rand(rng, ushape)
    out = cnncourse.conv2d(x, u)
    assert out.shape == expected
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    u4 = u.reshape((1,) * (4 - u.ndim) + u.shape)
    assert_close(out, np_conv2d(x4, u4).reshape(expected))


def test_conv2d_rgb_is_sum_of_channel_convolutions():
    rng = np.random.default_rng(1)
    x, u = rand(rng, (3, 8, 9)), rand(rng, (3, 3, 3))
    per_channel = sum(cnncourse.conv2d(x[c], u[c], padding=1) for c in range(3))
    assert_close(cnncourse.conv2d(x, u, padding=1), per_channel)


def test_conv2d_chw_equals_batch_of_one():
    rng = np.random.default_rng(2)
    x, u, b = rand(rng, (2, 3, 8, 9)), rand(rng, (5, 3, 3, 2)), rand(rng, (5,))
    batched = cnncourse.conv2d(x, u, padding=(1, 2), stride=(2, 1), bias=b)
    for i in range(2):
        single = cnncourse.conv2d(x[i], u, padding=(1, 2), stride=(2, 1), bias=b)
        assert_close(single, batched[i])


@pytest.mark.parametrize(
    "padding, stride, expected",
    [
        ((1, 0), 1, (7, 3)),  # (rows, cols)
        ((0, 1), 1, (5, 5)),
        (0, (2, 1), (3, 3)),
        (0, (1, 2), (5, 2)),
        ((2, 1), (3, 2), (3, 3)),
        ([1, 0], [2, 1], (4, 3)),  # lists work like tuples
    ],
)
def test_conv2d_padding_and_stride_pairs_are_rows_then_cols(padding, stride, expected):
    rng = np.random.default_rng(3)
    x, u = rand(rng, (7, 5)), rand(rng, (3, 3))
    out = cnncourse.conv2d(x, u, padding=padding, stride=stride)
    assert out.shape == expected
    assert_close(out, np_conv2d(x[None, None], u[None, None], padding, stride)[0, 0])


def test_conv2d_zero_padding_values():
    out = cnncourse.conv2d(np.ones((2, 2)), np.ones((3, 3)), padding=1)
    np.testing.assert_array_equal(out, [[4, 4], [4, 4]])
    out = cnncourse.conv2d(np.ones((1, 1)), np.ones((3, 3)), padding=(1, 2))
    np.testing.assert_array_equal(out, [[1, 1, 1]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv2d_bias_per_filter(dtype):
    rng = np.random.default_rng(4)
    x, u = rand(rng, (2, 3, 6, 6), dtype), rand(rng, (4, 3, 3, 3), dtype)
    bias = np.array([1.0, -2.0, 10.0, 0.5], dtype=dtype)
    out = cnncourse.conv2d(x, u, padding=1, bias=bias)
    assert out.dtype == dtype
    assert_close(out, cnncourse.conv2d(x, u, padding=1) + bias[None, :, None, None])
    out3 = cnncourse.conv2d(x[0], u, padding=1, bias=bias)
    assert_close(out3, out[0])


@pytest.mark.parametrize("xshape, ushape", [((5, 6), (2, 2)), ((3, 5, 6), (3, 2, 2))])
def test_conv2d_single_filter_bias_of_shape_one(xshape, ushape):
    rng = np.random.default_rng(5)
    x, u = rand(rng, xshape), rand(rng, ushape)
    out = cnncourse.conv2d(x, u, bias=np.array([3.0]))
    assert out.shape == (4, 5)
    assert_close(out, cnncourse.conv2d(x, u) + 3.0)


@settings(max_examples=50, deadline=None)
@given(
    window_2d(), float_dtypes, seeds, st.sampled_from(["gray", "rgb", "chw", "nchw"]), st.booleans()
)
def test_conv2d_matches_reference(win, dtype, seed, layout, with_bias):
    (H, W), (h, w), padding, stride = win
    rng = np.random.default_rng(seed)
    N, C, D = (int(v) for v in rng.integers(1, 4, size=3))
    xshape, ushape = {
        "gray": ((H, W), (h, w)),
        "rgb": ((C, H, W), (C, h, w)),
        "chw": ((C, H, W), (D, C, h, w)),
        "nchw": ((N, C, H, W), (D, C, h, w)),
    }[layout]
    x, u = rand(rng, xshape, dtype), rand(rng, ushape, dtype)
    nfilters = D if layout in ("chw", "nchw") else 1
    bias = rand(rng, (nfilters,), dtype) if with_bias else None
    out = cnncourse.conv2d(x, u, padding=padding, stride=stride, bias=bias)
    expected = reference.conv2d(x, u, padding=padding, stride=stride, bias=bias)
    assert_close(out, expected, dtype)
    (ph, pw), (sh, sw) = (
        (padding, padding) if isinstance(padding, int) else padding,
        (stride, stride) if isinstance(stride, int) else stride,
    )
    assert out.shape[-2:] == (
        cnncourse.output_size(H, h, ph, sh),
        cnncourse.output_size(W, w, pw, sw),
    )


@settings(max_examples=50, deadline=None)
@given(window_2d(max_n=16, max_k=5, max_pad=3), float_dtypes, seeds)
def test_conv2d_single_channel_matches_scipy(win, dtype, seed):
    (H, W), (h, w), padding, stride = win
    (ph, pw) = (padding, padding) if isinstance(padding, int) else padding
    (sh, sw) = (stride, stride) if isinstance(stride, int) else stride
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (H, W), dtype), rand(rng, (h, w), dtype)
    xp = np.pad(x.astype(np.float64), ((ph, ph), (pw, pw)))
    expected = scipy.signal.correlate(xp, u.astype(np.float64), mode="valid")[::sh, ::sw]
    assert_close(cnncourse.conv2d(x, u, padding=padding, stride=stride), expected, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv2d_large_single_channel_matches_scipy(dtype):
    rng = np.random.default_rng(6)
    x, u = rand(rng, (300, 257), dtype), rand(rng, (7, 7), dtype)
    expected = scipy.signal.correlate(np.pad(x.astype(np.float64), 3), u, mode="valid")
    assert_close(cnncourse.conv2d(x, u, padding=3), expected, dtype)
    assert_close(cnncourse.conv2d(x, u, padding=3, stride=2), expected[::2, ::2], dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "xshape, ushape, padding, stride",
    [
        ((2, 3, 24, 24), (8, 3, 3, 3), 1, 1),  # enough work for a parallel path
        ((4, 8, 12, 12), (16, 8, 3, 3), 1, 1),  # many filters, big windows (GEMM-sized)
        ((4, 8, 13, 12), (16, 8, 3, 3), (1, 0), (2, 1)),
        ((3, 16, 9, 9), (32, 16, 5, 5), 2, 2),
        ((2, 1, 28, 28), (6, 1, 5, 5), 2, 1),  # LeNet
    ],
)
def test_conv2d_batched_shapes_match_numpy(dtype, xshape, ushape, padding, stride):
    rng = np.random.default_rng(7)
    x, u, b = rand(rng, xshape, dtype), rand(rng, ushape, dtype), rand(rng, ushape[:1], dtype)
    out = cnncourse.conv2d(x, u, padding=padding, stride=stride, bias=b)
    assert_close(out, np_conv2d(x, u, padding, stride, b), dtype)


def test_conv2d_kernel_as_large_as_padded_input():
    out = cnncourse.conv2d(np.ones((2, 3)), np.ones((4, 3)), padding=(1, 0))
    np.testing.assert_array_equal(out, [[6.0]])


def test_conv2d_large_batch_matches_numpy():
    """Big enough (~20 MB of windows per image, float64) for any blocked/chunked path."""
    rng = np.random.default_rng(8)
    x, u = rand(rng, (3, 8, 180, 180)), rand(rng, (16, 8, 3, 3))
    assert_close(cnncourse.conv2d(x, u, padding=1), np_conv2d(x, u, 1))
