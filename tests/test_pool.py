"""cnncourse.pool2d and cnncourse.global_pool: modes, default stride, padding that never wins."""

import numpy as np
import pytest
from helpers import FLOATS, assert_close, float_dtypes, rand, seeds
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import np_pool2d

import cnncourse
from cnncourse import _dispatch, reference

MODES = ("max", "avg", "min")
X4 = np.array([[1.0, 2, 5, 6], [3, 4, 7, 8], [0, 0, 1, 1], [0, 9, 1, 1]])


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("max", [[4, 8], [9, 1]]),
        ("avg", [[2.5, 6.5], [2.25, 1]]),
        ("min", [[1, 5], [0, 1]]),
    ],
)
def test_pool2d_worked_values(mode, expected):
    np.testing.assert_array_equal(cnncourse.pool2d(X4, 2, mode=mode), expected)


def test_pool2d_default_mode_is_max_and_kernel_is_two():
    np.testing.assert_array_equal(cnncourse.pool2d(X4), [[4, 8], [9, 1]])


@pytest.mark.parametrize("kernel_size", [2, 3, (2, 3), (3, 1)])
def test_pool2d_stride_defaults_to_kernel_size(kernel_size):
    rng = np.random.default_rng(0)
    x = rand(rng, (2, 3, 9, 10))
    out = cnncourse.pool2d(x, kernel_size)
    assert_close(out, cnncourse.pool2d(x, kernel_size, stride=kernel_size))
    assert_close(out, np_pool2d(x, kernel_size, kernel_size))


def test_pool2d_overlapping_windows():
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(cnncourse.pool2d(x, 2, stride=1), [[4, 5], [7, 8]])
    np.testing.assert_array_equal(cnncourse.pool2d(x, 2, stride=1, mode="min"), [[0, 1], [3, 4]])


def test_pool2d_max_padding_never_wins_over_negative_values():
    x = -np.arange(1.0, 10.0).reshape(3, 3)  # all negative: zero padding would win
    out = cnncourse.pool2d(x, 3, stride=1, padding=1, mode="max")
    np.testing.assert_array_equal(out, [[-1, -1, -2], [-1, -1, -2], [-4, -4, -5]])


def test_pool2d_min_padding_never_wins_over_positive_values():
    x = np.arange(1.0, 10.0).reshape(3, 3)  # all positive: zero padding would win
    out = cnncourse.pool2d(x, 3, stride=1, padding=1, mode="min")
    np.testing.assert_array_equal(out, [[1, 1, 2], [1, 1, 2], [4, 4, 5]])


def test_pool2d_avg_divides_by_full_window_including_padding():
    """PyTorch's default count_include_pad=True."""
    out = cnncourse.pool2d(np.ones((2, 2)), 2, padding=1, mode="avg")
    np.testing.assert_array_equal(out, np.full((2, 2), 0.25))
    out = cnncourse.pool2d(np.ones((3, 3)), 3, stride=1, padding=1, mode="avg")
    np.testing.assert_allclose(out, np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) / 9, rtol=1e-15)


@pytest.mark.parametrize(
    "xshape, kernel_size, stride, padding, expected",
    [
        ((8, 6), 2, None, 0, (4, 3)),
        ((3, 8, 6), (2, 3), None, 0, (3, 4, 2)),
        ((2, 3, 8, 6), 3, 2, 1, (2, 3, 4, 3)),
        ((2, 3, 8, 6), (3, 2), (1, 2), (1, 0), (2, 3, 8, 3)),
        ((7, 7), 7, None, 0, (1, 1)),
        ((5, 5), 1, None, 0, (5, 5)),
    ],
)
def test_pool2d_layouts_and_pairs(xshape, kernel_size, stride, padding, expected):
    rng = np.random.default_rng(1)
    x = rand(rng, xshape)
    for mode in MODES:
        out = cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
        assert out.shape == expected, mode
        assert_close(out, np_pool2d(x, kernel_size, stride, padding, mode))


def test_pool2d_channels_and_batch_are_independent():
    rng = np.random.default_rng(2)
    x = rand(rng, (2, 3, 6, 6))
    batched = cnncourse.pool2d(x, 3, stride=1, padding=1, mode="avg")
    for n in range(2):
        assert_close(cnncourse.pool2d(x[n], 3, stride=1, padding=1, mode="avg"), batched[n])
        for c in range(3):
            single = cnncourse.pool2d(x[n, c], 3, stride=1, padding=1, mode="avg")
            assert_close(single, batched[n, c])


@st.composite
def pool_case(draw, max_n=9):
    """(shape, kernel_size, stride, padding, mode); padding at most half the window."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), max_n))
    W = draw(st.integers(max(1, kw - 2 * pw), max_n))
    lead = draw(st.sampled_from([(), (2,), (2, 3), (1, 1)]))
    if draw(st.booleans()):
        kernel_size, padding = (kh, kw), (ph, pw)
    else:
        k = min(kh, kw)
        kernel_size, padding = k, min(ph, pw, k // 2)
        H, W = max(H, k), max(W, k)
    stride = draw(
        st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
    )
    mode = draw(st.sampled_from(MODES))
    return lead + (H, W), kernel_size, stride, padding, mode


@settings(max_examples=60, deadline=None)
@given(pool_case(), float_dtypes, seeds)
def test_pool2d_matches_reference(case, dtype, seed):
    shape, kernel_size, stride, padding, mode = case
    x = rand(np.random.default_rng(seed), shape, dtype)
    out = cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
    expected = reference.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
    assert_close(out, expected, dtype)
    assert_close(out, np_pool2d(x, kernel_size, stride, padding, mode), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode", MODES)
def test_pool2d_large_batch_matches_numpy(dtype, mode):
    rng = np.random.default_rng(3)
    x = rand(rng, (4, 16, 56, 56), dtype)
    assert_close(cnncourse.pool2d(x, 2, mode=mode), np_pool2d(x, 2, mode=mode), dtype)
    assert_close(
        cnncourse.pool2d(x, 3, stride=2, padding=1, mode=mode),
        np_pool2d(x, 3, 2, 1, mode),
        dtype,
    )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape, kernel_size, stride, padding",
    [((2, 3, 9, 8), 2, None, 0), ((2, 3, 9, 8), 3, 2, 1), ((1, 2, 7, 9), (3, 2), (1, 2), (1, 0))],
)
def test_pool2d_serial_and_parallel_kernels_agree_exactly(
    monkeypatch, dtype, mode, shape, kernel_size, stride, padding
):
    """Small inputs take the serial kernel, large ones the parallel one: same bits, NaN included."""
    rng = np.random.default_rng(4)
    x = rand(rng, shape, dtype)
    x[0, 0, 1, 1] = np.nan
    dout = rand(rng, np_pool2d(x, kernel_size, stride, padding, mode).shape, dtype)
    results = {}
    for path, threshold in (("serial", 10**12), ("parallel", 0)):
        monkeypatch.setattr(_dispatch, "_POOL_PARALLEL_MIN_WORK", threshold)
        args = (kernel_size, stride, padding, mode)
        results[path] = cnncourse.pool2d(x, *args), cnncourse.pool2d_backward(dout, x, *args)
    for serial, parallel in zip(results["serial"], results["parallel"], strict=True):
        np.testing.assert_array_equal(serial, parallel)
    assert_close(results["serial"][0], np_pool2d(x, kernel_size, stride, padding, mode), dtype)


# ---------------------------------------------------------------- global_pool
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 5, 4), (2, 3, 5, 4), (1, 1, 1, 1), (4, 1, 7)])
def test_global_pool_values_and_shapes(dtype, shape):
    rng = np.random.default_rng(4)
    x = rand(rng, shape, dtype)
    for mode, reduce in (("avg", np.mean), ("max", np.max), ("min", np.min)):
        out = cnncourse.global_pool(x, mode=mode)
        assert out.shape == shape[:-2]
        assert_close(out, reduce(x.astype(np.float64), axis=(-2, -1)), dtype)


def test_global_pool_default_mode_is_avg():
    x = np.arange(8.0).reshape(2, 2, 2)
    np.testing.assert_array_equal(cnncourse.global_pool(x), [1.5, 5.5])


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([(2, 3, 4), (2, 3, 4, 5), (1, 6, 1)]),
    st.sampled_from(MODES),
    float_dtypes,
    seeds,
)
def test_global_pool_matches_reference(shape, mode, dtype, seed):
    x = rand(np.random.default_rng(seed), shape, dtype)
    assert_close(cnncourse.global_pool(x, mode), reference.global_pool(x, mode), dtype)


def test_global_pool_equals_pool_with_full_window():
    rng = np.random.default_rng(5)
    x = rand(rng, (2, 3, 5, 6))
    for mode in MODES:
        full = cnncourse.pool2d(x, (5, 6), mode=mode)[..., 0, 0]
        assert_close(cnncourse.global_pool(x, mode), full)
