"""cnncourse.reference, the oracle, checked against scipy and independent NumPy versions.

If the reference were wrong, the kernel tests against it would prove nothing; these
tests pin it to the spec independently (np.pad + sliding_window_view, scipy.signal).
"""

import inspect

import numpy as np
import pytest
import scipy.signal
from helpers import assert_close, rand, seeds, window_1d, window_2d
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import (
    np_conv1d,
    np_conv2d,
    np_conv2d_backward,
    np_pool2d,
    numerical_gradient,
    rel_error,
)

import cnncourse
from cnncourse import reference

NAMES = [
    "output_size",
    "conv1d",
    "conv2d",
    "pool2d",
    "global_pool",
    "conv2d_backward",
    "pool2d_backward",
]


@pytest.mark.parametrize("name", NAMES)
def test_reference_has_same_functions_and_signatures(name):
    ref, pub = getattr(reference, name), getattr(cnncourse, name)
    assert callable(ref)
    ref_params = [(p.name, p.default) for p in inspect.signature(ref).parameters.values()]
    pub_params = [(p.name, p.default) for p in inspect.signature(pub).parameters.values()]
    assert ref_params == pub_params


def test_reference_is_plain_python():
    source = inspect.getsource(reference)
    for word in ("numba", "njit", "scipy", "sliding_window_view", "einsum", "tensordot"):
        assert word not in source, f"the reference should be plain loops, found {word!r}"


def test_reference_says_it_assumes_valid_arguments():
    """Only the dtype is validated; a wrong shape fails inside the loops, as documented."""
    assert "assume valid arguments" in reference.__doc__
    with pytest.raises(TypeError, match="conv2d: argument 'x' has complex dtype"):
        reference.conv2d(np.zeros((3, 3), complex), np.ones((2, 2)))
    with pytest.raises(ValueError):
        reference.conv2d(np.zeros((2, 3, 3)), np.zeros((2, 2)))


def test_reference_lecture_worked_example():
    out = reference.conv1d((0, 0, 0, 0, 1, 2, 3, 3), (-1, 1))
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1, 0])


@pytest.mark.parametrize(
    "n, k, p, s, expected", [(8, 2, 0, 1, 7), (7, 3, 1, 2, 4), (6, 3, 0, 2, 2), (3, 5, 1, 1, 1)]
)
def test_reference_output_size(n, k, p, s, expected):
    assert reference.output_size(n, k, p, s) == expected


def test_reference_output_size_window_does_not_fit():
    with pytest.raises(ValueError, match="output_size"):
        reference.output_size(3, 5)


@settings(max_examples=30, deadline=None)
@given(window_1d(max_n=20, max_k=5, max_pad=3, max_stride=3), seeds)
def test_reference_conv1d_matches_scipy(win, seed):
    W, w, p, s = win
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (W,)), rand(rng, (w,))
    expected = scipy.signal.correlate(np.pad(x, p), u, mode="valid")[::s]
    assert_close(reference.conv1d(x, u, padding=p, stride=s), expected)


@settings(max_examples=30, deadline=None)
@given(window_1d(max_n=10, max_k=4, max_pad=2, max_stride=3), seeds, st.booleans())
def test_reference_conv1d_batched_matches_numpy(win, seed, with_bias):
    W, w, p, s = win
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (2, 3, W)), rand(rng, (2, 3, w))
    b = rand(rng, (2,)) if with_bias else None
    assert_close(reference.conv1d(x, u, p, s, b), np_conv1d(x, u, p, s, b))
    assert_close(reference.conv1d(x[1], u, p, s, b), np_conv1d(x[1:], u, p, s, b)[0])


@settings(max_examples=30, deadline=None)
@given(window_2d(max_n=10, max_k=4), seeds)
def test_reference_conv2d_matches_scipy(win, seed):
    (H, W), (h, w), padding, stride = win
    (ph, pw) = (padding, padding) if isinstance(padding, int) else padding
    (sh, sw) = (stride, stride) if isinstance(stride, int) else stride
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (H, W)), rand(rng, (h, w))
    expected = scipy.signal.correlate(np.pad(x, ((ph, ph), (pw, pw))), u, "valid")[::sh, ::sw]
    assert_close(reference.conv2d(x, u, padding=padding, stride=stride), expected)


@settings(max_examples=25, deadline=None)
@given(window_2d(max_n=7, max_k=3), seeds, st.booleans())
def test_reference_conv2d_layouts_match_numpy(win, seed, with_bias):
    (H, W), (h, w), padding, stride = win
    rng = np.random.default_rng(seed)
    x, u = rand(rng, (2, 2, H, W)), rand(rng, (3, 2, h, w))
    b = rand(rng, (3,)) if with_bias else None
    full = np_conv2d(x, u, padding, stride, b)
    assert_close(reference.conv2d(x, u, padding, stride, b), full)
    assert_close(reference.conv2d(x[0], u, padding, stride, b), full[0])
    rgb = np_conv2d(x[:1], u[:1], padding, stride)[0, 0]
    assert_close(reference.conv2d(x[0], u[0], padding, stride), rgb)


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from([(5, 6), (2, 5, 4), (2, 2, 4, 5)]),
    st.sampled_from([1, 2, 3, (2, 3)]),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
    st.sampled_from(["max", "avg", "min"]),
    seeds,
)
def test_reference_pool2d_matches_numpy(shape, kernel_size, stride, pad, mode, seed):
    kh, kw = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    padding = (kh // 2, kw // 2) if pad else 0
    x = rand(np.random.default_rng(seed), shape)
    assert_close(
        reference.pool2d(x, kernel_size, stride, padding, mode),
        np_pool2d(x, kernel_size, stride, padding, mode),
    )


@pytest.mark.parametrize("mode, reduce", [("avg", np.mean), ("max", np.max), ("min", np.min)])
def test_reference_global_pool_matches_numpy(mode, reduce):
    x = rand(np.random.default_rng(0), (2, 3, 4, 5))
    assert_close(reference.global_pool(x, mode), reduce(x, axis=(2, 3)))
    assert_close(reference.global_pool(x[0], mode), reduce(x[0], axis=(1, 2)))


@pytest.mark.parametrize("padding, stride", [(0, 1), (1, 2), ((1, 0), (1, 2))])
def test_reference_conv2d_backward(padding, stride):
    rng = np.random.default_rng(1)
    x, u = rand(rng, (2, 2, 5, 6)), rand(rng, (3, 2, 3, 2))
    dout = rand(rng, np_conv2d(x, u, padding, stride).shape)
    dx, du = reference.conv2d_backward(dout, x, u, padding, stride)
    exp_dx, exp_du = np_conv2d_backward(dout, x, u, padding, stride)
    assert_close(dx, exp_dx)
    assert_close(du, exp_du)
    num_dx = numerical_gradient(
        lambda t: np.sum(np_conv2d(t, u, padding, stride) * dout), x, h=1e-3
    )
    assert rel_error(dx, num_dx) < 1e-8


@pytest.mark.parametrize("mode", ["max", "min", "avg"])
def test_reference_pool2d_backward(mode):
    rng = np.random.default_rng(2)
    x = (rng.permutation(2 * 7 * 6) * 0.01).reshape(2, 7, 6)
    out = np_pool2d(x, 3, 2, 1, mode)
    dout = rand(rng, out.shape)
    dx = reference.pool2d_backward(dout, x, 3, 2, 1, mode)
    num = numerical_gradient(lambda t: np.sum(np_pool2d(t, 3, 2, 1, mode) * dout), x)
    assert dx.shape == x.shape
    assert rel_error(dx, num) < 1e-7


def test_reference_pool2d_backward_ties_first_occurrence():
    dx = reference.pool2d_backward(np.array([[1.0]]), np.array([[1.0, 3.0], [3.0, 0.0]]), 2)
    np.testing.assert_array_equal(dx, [[0, 1], [0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_preserves_float_dtype(dtype):
    rng = np.random.default_rng(3)
    x, u = rand(rng, (1, 2, 5, 5), dtype), rand(rng, (2, 2, 3, 3), dtype)
    assert reference.conv2d(x, u).dtype == dtype
    assert reference.conv1d(x[0, 0, 0], u[0, 0, 0]).dtype == dtype
    assert reference.pool2d(x).dtype == dtype
    assert reference.global_pool(x).dtype == dtype
    assert all(
        g.dtype == dtype for g in reference.conv2d_backward(np.ones((1, 2, 3, 3), dtype), x, u)
    )
    assert reference.pool2d_backward(np.ones((1, 2, 2, 2), dtype), x).dtype == dtype
    assert reference.conv2d(x.astype(np.uint8), u.astype(np.int64)).dtype == np.float64


# ---------------------------------------------------------------- PyTorch (optional)
@pytest.mark.parametrize("padding, stride", [(0, 1), (1, 2), ((2, 0), (1, 3))])
def test_conv_and_pool_match_torch(padding, stride):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x, u, b = rand(rng, (2, 3, 9, 10)), rand(rng, (4, 3, 3, 2)), rand(rng, (4,))
    t = torch.from_numpy
    expected = F.conv2d(t(x), t(u), t(b), stride=stride, padding=padding).numpy()
    assert_close(cnncourse.conv2d(x, u, padding, stride, b), expected)
    expected1 = F.conv1d(t(x[:, :, 0]), t(u[:, :, 0]), t(b), stride=2, padding=1).numpy()
    assert_close(cnncourse.conv1d(x[:, :, 0], u[:, :, 0], 1, 2, b), expected1)
    for k, s, p in [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0))]:
        mx = F.max_pool2d(t(x), k, s, p).numpy()
        av = F.avg_pool2d(t(x), k, s, p).numpy()
        assert_close(cnncourse.pool2d(x, k, s, p, "max"), mx)
        assert_close(cnncourse.pool2d(x, k, s, p, "avg"), av)


def test_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, u = rand(rng, (2, 3, 8, 9)), rand(rng, (4, 3, 3, 3))
    tx = torch.tensor(x, requires_grad=True)
    tu = torch.tensor(u, requires_grad=True)
    out = torch.nn.functional.conv2d(tx, tu, stride=2, padding=1)
    dout = rand(rng, tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    dx, du = cnncourse.conv2d_backward(dout, x, u, padding=1, stride=2)
    assert_close(dx, tx.grad.numpy())
    assert_close(du, tu.grad.numpy())
    tx = torch.tensor(np.round(x), requires_grad=True)  # many ties
    out = torch.nn.functional.max_pool2d(tx, 2, 2, 1)
    g = rand(rng, tuple(out.shape))
    out.backward(torch.from_numpy(g))
    assert_close(cnncourse.pool2d_backward(g, np.round(x), 2, 2, 1), tx.grad.numpy())
