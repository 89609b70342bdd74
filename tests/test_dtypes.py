"""Dtypes, memory layouts, read-only and unmodified inputs, NaN and inf.

float32 stays float32, float64 stays float64, ints and bools become float64;
complex/object/str are TypeErrors (see also test_errors.py). Non-contiguous and
read-only inputs work and give the same result as contiguous copies; inputs are
never modified; NaN and inf propagate as IEEE arithmetic says.
"""

import numpy as np
import pytest
from helpers import assert_close, check_exact, rand
from oracles import np_conv2d, np_pool2d

import cnncourse
from cnncourse import reference


def calls(rng, dtype=np.float64):
    """One representative call per public function: (name, function, args, kwargs)."""
    r = lambda *shape: rand(rng, shape, dtype)  # noqa: E731
    return [
        (
            "conv1d",
            cnncourse.conv1d,
            (r(2, 3, 11), r(4, 3, 3)),
            {"padding": 1, "stride": 2, "bias": r(4)},
        ),
        ("conv1d-1d", cnncourse.conv1d, (r(11), r(3)), {"padding": 2}),
        (
            "conv2d",
            cnncourse.conv2d,
            (r(2, 3, 7, 8), r(4, 3, 3, 2)),
            {"padding": (1, 2), "stride": (2, 1), "bias": r(4)},
        ),
        ("conv2d-gemm", cnncourse.conv2d, (r(2, 8, 9, 9), r(16, 8, 3, 3)), {"padding": 1}),
        ("conv2d-gray", cnncourse.conv2d, (r(9, 8), r(3, 3)), {"padding": 1}),
        ("conv2d-rgb", cnncourse.conv2d, (r(3, 9, 8), r(3, 3, 3)), {"stride": 2}),
        ("conv2d-chw", cnncourse.conv2d, (r(3, 9, 8), r(2, 3, 3, 3)), {"bias": r(2)}),
        (
            "pool2d-max",
            cnncourse.pool2d,
            (r(2, 3, 7, 8),),
            {"kernel_size": 3, "stride": 2, "padding": 1},
        ),
        ("pool2d-avg", cnncourse.pool2d, (r(3, 7, 8),), {"padding": 1, "mode": "avg"}),
        ("pool2d-min", cnncourse.pool2d, (r(7, 8),), {"kernel_size": (2, 3), "mode": "min"}),
        ("global_pool", cnncourse.global_pool, (r(2, 3, 5, 4),), {"mode": "avg"}),
        ("global_pool-max", cnncourse.global_pool, (r(3, 5, 4),), {"mode": "max"}),
        (
            "conv2d_backward",
            cnncourse.conv2d_backward,
            (r(2, 4, 4, 11), r(2, 3, 7, 8), r(4, 3, 3, 2)),
            {"padding": (1, 2), "stride": (2, 1)},
        ),
        (
            "conv2d_backward-gemm",
            cnncourse.conv2d_backward,
            (r(2, 16, 9, 9), r(2, 8, 9, 9), r(16, 8, 3, 3)),
            {"padding": 1},
        ),
        (
            "pool2d_backward",
            cnncourse.pool2d_backward,
            (r(2, 3, 4, 4), r(2, 3, 7, 8)),
            {"kernel_size": 3, "stride": 2, "padding": 1},
        ),
        (
            "pool2d_backward-avg",
            cnncourse.pool2d_backward,
            (r(3, 4, 5), r(3, 7, 8)),
            {"padding": 1, "mode": "avg"},
        ),
    ]


CALL_IDS = [c[0] for c in calls(np.random.default_rng(0))]


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


def get_call(name, dtype=np.float64, seed=0):
    for c in calls(np.random.default_rng(seed), dtype):
        if c[0] == name:
            return c[1:]
    raise KeyError(name)


@pytest.mark.parametrize("name", CALL_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_is_preserved(name, dtype):
    func, args, kwargs = get_call(name, dtype)
    for out in outputs(func(*args, **kwargs)):
        assert isinstance(out, np.ndarray)
        assert out.dtype == dtype, f"{name}: {out.dtype} != {np.dtype(dtype)}"


@pytest.mark.parametrize("name", CALL_IDS)
@pytest.mark.parametrize("int_dtype", [np.uint8, np.int8, np.int32, np.int64, np.bool_])
def test_integer_and_bool_inputs_become_float64(name, int_dtype):
    func, args, kwargs = get_call(name)
    if int_dtype == np.bool_:
        int_args = tuple(a > 0 for a in args)
    else:
        info = np.iinfo(int_dtype)
        int_args = tuple(
            np.clip(np.round(a * 3), info.min, info.max).astype(int_dtype) for a in args
        )
    kwargs = {
        k: (v.astype(np.int64) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()
    }
    result = outputs(func(*int_args, **kwargs))
    expected = outputs(func(*(a.astype(np.float64) for a in int_args), **kwargs))
    for out, exp in zip(result, expected, strict=True):
        assert out.dtype == np.float64, f"{name}: {out.dtype}"
        assert_close(out, exp)


def test_uint8_image_does_not_overflow():
    img = np.full((3, 3), 255, dtype=np.uint8)
    out = cnncourse.conv2d(img, np.ones((3, 3), dtype=np.uint8))
    np.testing.assert_array_equal(out, [[2295.0]])
    assert out.dtype == np.float64
    out = cnncourse.pool2d(img, 3, mode="avg")
    np.testing.assert_array_equal(out, [[255.0]])
    np.testing.assert_array_equal(cnncourse.global_pool(img[None]), [255.0])


def test_uint8_rgb_image_with_float_kernel():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (3, 12, 10), dtype=np.uint8)
    u = rand(rng, (3, 3, 3))
    out = cnncourse.conv2d(img, u, padding=1)
    assert out.dtype == np.float64
    assert_close(out, np_conv2d(img[None].astype(float), u[None], 1)[0, 0])


def test_nested_lists_are_accepted():
    out = cnncourse.conv2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, 1]])
    np.testing.assert_array_equal(out, [[6, 8], [12, 14]])
    assert out.dtype == np.float64


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((3, 6, 6), dtype=np.complex128),
        np.zeros((3, 6, 6), dtype=object),
        np.full((3, 6, 6), "a"),
    ],
    ids=["complex", "object", "str"],
)
@pytest.mark.parametrize("name", CALL_IDS)
def test_non_real_arrays_are_type_errors(name, bad):
    """Replace each array argument in turn by a non-real one of the same shape."""
    func, args, kwargs = get_call(name)
    for i, a in enumerate(args):
        bad_args = list(args)
        bad_args[i] = np.full(a.shape, bad.flat[0], dtype=bad.dtype)
        with pytest.raises(TypeError) as excinfo:
            func(*bad_args, **kwargs)
        check_exact(excinfo)
        assert func.__name__ in str(excinfo.value)


@pytest.mark.parametrize("name", CALL_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_inputs_are_not_modified(name, dtype):
    func, args, kwargs = get_call(name, np.float64)
    args = tuple((np.abs(a) * 10).astype(dtype) for a in args)
    before = [a.copy() for a in args] + [
        v.copy() for v in kwargs.values() if isinstance(v, np.ndarray)
    ]
    result = outputs(func(*args, **kwargs))
    after = list(args) + [v for v in kwargs.values() if isinstance(v, np.ndarray)]
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} modified an input")
    for out in result:  # writing into the result must not write into an input
        for a in after:
            assert not np.shares_memory(out, a), f"{name}: the result shares memory with an input"


def test_identity_like_calls_return_new_arrays():
    """Cases where a shortcut could hand back the input itself."""
    x = np.arange(12.0).reshape(3, 4)
    for out in (
        cnncourse.pool2d(x, 1),
        cnncourse.pool2d(x, 1, mode="avg"),
        cnncourse.conv2d(x, np.ones((1, 1))),
        cnncourse.conv1d(x[0], np.ones(1)),
        cnncourse.pool2d_backward(x, x, 1),
    ):
        assert not np.shares_memory(out, x)
        out[...] = -1
    np.testing.assert_array_equal(x, np.arange(12.0).reshape(3, 4))


@pytest.mark.parametrize("name", CALL_IDS)
def test_read_only_inputs_work(name):
    func, args, kwargs = get_call(name, np.float64)
    expected = outputs(func(*args, **kwargs))
    ro_args = []
    for a in args:
        a = a.copy()
        a.setflags(write=False)
        ro_args.append(a)
    ro_kwargs = {}
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            v = v.copy()
            v.setflags(write=False)
        ro_kwargs[k] = v
    for out, exp in zip(outputs(func(*ro_args, **ro_kwargs)), expected, strict=True):
        assert_close(out, exp, exp.dtype)


def _layouts(a):
    """Views of the same values with other memory layouts (all non-C-contiguous for ndim>=2)."""
    views = {"fortran": np.asfortranarray(a)}
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    big[..., ::2] = a
    views["strided"] = big[..., ::2]
    rev = np.ascontiguousarray(a[..., ::-1])
    views["reversed"] = rev[..., ::-1]
    if a.ndim >= 2:
        views["transposed"] = np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    views["broadcast"] = np.broadcast_to(a, (2,) + a.shape)[1]
    return views


@pytest.mark.parametrize("name", CALL_IDS)
@pytest.mark.parametrize("layout", ["fortran", "strided", "reversed", "transposed", "broadcast"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_contiguous_inputs_give_same_result(name, layout, dtype):
    func, args, kwargs = get_call(name, dtype)
    expected = outputs(func(*args, **kwargs))
    nc_args = []
    for a in args:
        views = _layouts(a)
        v = views.get(layout, views["strided"])
        np.testing.assert_array_equal(v, a)
        nc_args.append(v)
    for out, exp in zip(outputs(func(*nc_args, **kwargs)), expected, strict=True):
        assert_close(out, exp, dtype)


def test_non_contiguous_slices_of_a_batch():
    """The typical student case: x[:, ::2] (every other channel) and x[..., ::2, ::2]."""
    rng = np.random.default_rng(2)
    x, u = rand(rng, (2, 6, 9, 10)), rand(rng, (3, 3, 3, 3))
    xs = x[:, ::2]
    assert not xs.flags.c_contiguous
    assert_close(cnncourse.conv2d(xs, u, padding=1), np_conv2d(xs, u, 1))
    xs = x[..., ::2, ::2]
    assert_close(cnncourse.pool2d(xs, 2, mode="avg"), np_pool2d(xs, 2, mode="avg"))
    assert_close(
        cnncourse.conv2d(x[0, 0].T, u[0, 0]), np_conv2d(x[0, 0].T[None, None], u[:1, :1])[0, 0]
    )


# ---------------------------------------------------------------- NaN and inf
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv1d_nan_propagates_to_windows_that_see_it(dtype):
    x = np.arange(10, dtype=dtype)
    x[4] = np.nan
    out = cnncourse.conv1d(x, np.ones(3, dtype=dtype))
    np.testing.assert_array_equal(np.isnan(out), [i in (2, 3, 4) for i in range(8)])
    assert_close(out, reference.conv1d(x, np.ones(3, dtype=dtype)), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ushape", [((7, 7), (3, 3)), ((2, 8, 7, 7), (16, 8, 3, 3))])
def test_conv2d_nan_and_inf_propagate(dtype, shape, ushape):
    rng = np.random.default_rng(3)
    x = rand(rng, shape, dtype)
    u = np.abs(rand(rng, ushape, dtype)) + 0.5  # positive, so inf stays inf
    x[..., 1, 1] = np.nan
    x[..., 5, 5] = np.inf
    out = cnncourse.conv2d(x, u)
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    u4 = u.reshape((1,) * (4 - u.ndim) + u.shape)
    o4 = out.reshape((x4.shape[0], u4.shape[0]) + out.shape[-2:])
    nan_mask = np.zeros((5, 5), bool)
    nan_mask[:2, :2] = True
    inf_mask = np.zeros((5, 5), bool)
    inf_mask[3:, 3:] = True
    assert np.all(np.isnan(o4[..., nan_mask]))
    assert np.all(np.isposinf(o4[..., inf_mask]))
    clean = ~(nan_mask | inf_mask)
    x_clean = np.nan_to_num(x4.astype(np.float64), nan=0.0, posinf=0.0)
    assert_close(o4[..., clean], np_conv2d(x_clean, u4)[..., clean])


def test_inf_times_zero_weight_is_nan():
    out = cnncourse.conv1d(np.array([np.inf, 1.0, 1.0]), np.array([0.0, 1.0]))
    assert np.isnan(out[0]) and out[1] == 1.0
    out = cnncourse.conv2d(
        np.array([[np.inf, 1.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    )
    assert np.isnan(out[0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool2d_nan_and_inf(dtype):
    x = np.arange(16, dtype=dtype).reshape(4, 4)
    x[0, 0] = np.nan
    x[3, 3] = np.inf
    x[0, 3] = -np.inf
    mx = cnncourse.pool2d(x, 2, mode="max")
    mn = cnncourse.pool2d(x, 2, mode="min")
    av = cnncourse.pool2d(x, 2, mode="avg")
    # the NaN window is NaN in every mode (as np.max / torch max_pool2d)
    assert np.isnan(mx[0, 0]) and np.isnan(mn[0, 0]) and np.isnan(av[0, 0])
    assert mx[1, 1] == np.inf and av[1, 1] == np.inf and mn[1, 1] == 10
    assert mn[0, 1] == -np.inf and av[0, 1] == -np.inf and mx[0, 1] == 7
    assert mx[1, 0] == 13 and mn[1, 0] == 8
    for mode, out in (("max", mx), ("min", mn), ("avg", av)):
        assert_close(out, reference.pool2d(x, 2, mode=mode), dtype)


def test_pool2d_nan_not_first_in_window_still_propagates():
    x = np.array([[1.0, 2.0], [np.nan, 0.0]])
    assert np.isnan(cnncourse.pool2d(x, 2, mode="max")[0, 0])
    assert np.isnan(cnncourse.pool2d(x, 2, mode="min")[0, 0])


def test_global_pool_nan_and_inf():
    x = np.ones((3, 2, 2))
    x[0, 0, 0] = np.nan
    x[1, 1, 1] = np.inf
    for mode in ("avg", "max", "min"):
        out = cnncourse.global_pool(x, mode)
        assert np.isnan(out[0]), mode
        assert out[2] == 1.0
    assert cnncourse.global_pool(x, "max")[1] == np.inf
    assert cnncourse.global_pool(x, "min")[1] == 1.0


def test_backward_with_nan_and_inf_does_not_crash():
    rng = np.random.default_rng(4)
    x, u = rand(rng, (1, 2, 5, 5)), rand(rng, (3, 2, 3, 3))
    x[0, 0, 2, 2] = np.nan
    x[0, 1, 0, 0] = np.inf
    dout = rand(rng, (1, 3, 3, 3))
    dx, du = cnncourse.conv2d_backward(dout, x, u)
    assert dx.shape == x.shape and np.all(np.isnan(du[:, 0]))
    assert np.all(np.isfinite(dx))  # dx depends on dout and u only
    dxp = cnncourse.pool2d_backward(rand(rng, (1, 2, 2, 2)), x, 2)
    assert dxp.shape == x.shape
