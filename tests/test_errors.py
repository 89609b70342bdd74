"""Every wrong call gets a ValueError or TypeError naming the function and the argument.

Each case also checks the exception type is exactly ValueError/TypeError (no Numba
error, whose classes subclass them, may reach the user) and, where the received
value is a short scalar, that the message quotes it.
"""

import numpy as np
import pytest
from helpers import check_exact, raises

import cnncourse

Z1 = np.zeros(8)
Z2 = np.zeros((6, 6))
Z3 = np.zeros((3, 6, 6))
Z4 = np.zeros((2, 3, 6, 6))
K1 = np.ones(3)
K2 = np.ones((3, 3))
K3 = np.ones((3, 3, 3))
K4 = np.ones((4, 3, 3, 3))
X1C = np.zeros((3, 8))
X1N = np.zeros((2, 3, 8))
U1 = np.ones((4, 3, 3))
DOUT = np.zeros((2, 4, 4, 4))  # conv2d(Z4, K4) output shape
PDOUT = np.zeros((2, 3, 3, 3))  # pool2d(Z4, 2) output shape

conv1d, conv2d, pool2d = cnncourse.conv1d, cnncourse.conv2d, cnncourse.pool2d
global_pool = cnncourse.global_pool
conv2d_backward, pool2d_backward = cnncourse.conv2d_backward, cnncourse.pool2d_backward


NI = (TypeError, ValueError)  # non-integer sizes: either is fine
EMPTY = (ValueError, TypeError)


def case(id_, func, args, kwargs, exc, *names, shows=None):
    return pytest.param(func, args, kwargs, exc, names, shows, id=id_)


CASES = [
    # ---- conv1d
    case("conv1d-x-0d", conv1d, (np.float64(1.0), K1), {}, ValueError, "x"),
    case("conv1d-x-4d", conv1d, (np.zeros((1, 2, 3, 8)), U1), {}, ValueError, "x"),
    case("conv1d-u-ndim-for-1d-x", conv1d, (Z1, U1), {}, ValueError, "u"),
    case("conv1d-u-ndim-for-2d-x", conv1d, (X1C, K1), {}, ValueError, "u"),
    case("conv1d-u-2d-for-3d-x", conv1d, (X1N, np.ones((3, 3))), {}, ValueError, "u"),
    case("conv1d-channels-2d", conv1d, (np.zeros((2, 8)), U1), {}, ValueError, "channel"),
    case("conv1d-channels-3d", conv1d, (np.zeros((2, 2, 8)), U1), {}, ValueError, "channel"),
    case("conv1d-kernel-too-long", conv1d, (np.zeros(3), np.ones(5)), {}, ValueError, "kernel"),
    case(
        "conv1d-kernel-too-long-padded",
        conv1d,
        (np.zeros(3), np.ones(6)),
        {"padding": 1},
        ValueError,
        "kernel",
    ),
    case("conv1d-stride-0", conv1d, (Z1, K1), {"stride": 0}, ValueError, "stride", shows="0"),
    case("conv1d-stride-neg", conv1d, (Z1, K1), {"stride": -1}, ValueError, "stride", shows="-1"),
    case(
        "conv1d-padding-neg", conv1d, (Z1, K1), {"padding": -2}, ValueError, "padding", shows="-2"
    ),
    case("conv1d-stride-float", conv1d, (Z1, K1), {"stride": 1.5}, NI, "stride", shows="1.5"),
    case("conv1d-padding-str", conv1d, (Z1, K1), {"padding": "1"}, NI, "padding"),
    case("conv1d-padding-bool", conv1d, (Z1, K1), {"padding": True}, NI, "padding"),
    case("conv1d-stride-none", conv1d, (Z1, K1), {"stride": None}, NI, "stride"),
    case("conv1d-x-empty", conv1d, (np.zeros(0), K1), {}, EMPTY, "x"),
    case("conv1d-u-empty", conv1d, (Z1, np.zeros(0)), {}, EMPTY, "u"),
    case("conv1d-x-empty-channels", conv1d, (np.zeros((0, 8)), np.ones((4, 0, 3))), {}, EMPTY, "x"),
    case("conv1d-bias-len", conv1d, (X1N, U1), {"bias": np.zeros(3)}, ValueError, "bias"),
    case("conv1d-bias-2d", conv1d, (X1N, U1), {"bias": np.zeros((4, 1))}, ValueError, "bias"),
    case(
        "conv1d-bias-complex", conv1d, (X1N, U1), {"bias": np.zeros(4, complex)}, TypeError, "bias"
    ),
    case("conv1d-x-complex", conv1d, (Z1.astype(complex), K1), {}, TypeError, "x"),
    case("conv1d-u-str", conv1d, (Z1, "abc"), {}, TypeError, "u"),
    case(
        "conv1d-x-object", conv1d, (np.array([1, "a", None], dtype=object), K1), {}, TypeError, "x"
    ),
    # ---- conv2d
    case("conv2d-x-1d", conv2d, (Z1, K2), {}, ValueError, "x"),
    case("conv2d-x-5d", conv2d, (np.zeros((1,) + Z4.shape), K4), {}, ValueError, "x"),
    case("conv2d-u-1d", conv2d, (Z2, K1), {}, ValueError, "u"),
    case("conv2d-u-3d-for-2d-x", conv2d, (Z2, K3), {}, ValueError, "u"),
    case("conv2d-u-4d-for-2d-x", conv2d, (Z2, K4), {}, ValueError, "u"),
    case("conv2d-u-2d-for-3d-x", conv2d, (Z3, K2), {}, ValueError, "u"),
    case("conv2d-u-2d-for-4d-x", conv2d, (Z4, K2), {}, ValueError, "u"),
    case("conv2d-u-3d-for-4d-x", conv2d, (Z4, K3), {}, ValueError, "u"),
    case("conv2d-u-5d", conv2d, (Z4, np.ones((1,) + K4.shape)), {}, ValueError, "u"),
    case("conv2d-channels-rgb", conv2d, (Z3, np.ones((2, 3, 3))), {}, ValueError, "channel"),
    case("conv2d-channels-chw", conv2d, (Z3, np.ones((4, 2, 3, 3))), {}, ValueError, "channel"),
    case("conv2d-channels-nchw", conv2d, (Z4, np.ones((4, 1, 3, 3))), {}, ValueError, "channel"),
    case(
        "conv2d-kernel-too-large",
        conv2d,
        (np.zeros((3, 3)), np.ones((5, 5))),
        {},
        ValueError,
        "kernel",
    ),
    case(
        "conv2d-kernel-too-tall",
        conv2d,
        (np.zeros((3, 9)), np.ones((5, 2))),
        {"padding": 0},
        ValueError,
        "kernel",
    ),
    case(
        "conv2d-kernel-too-wide-padded",
        conv2d,
        (np.zeros((9, 3)), np.ones((2, 6))),
        {"padding": (2, 1)},
        ValueError,
        "kernel",
    ),
    case("conv2d-stride-0", conv2d, (Z4, K4), {"stride": 0}, ValueError, "stride", shows="0"),
    case("conv2d-stride-pair-0", conv2d, (Z4, K4), {"stride": (1, 0)}, ValueError, "stride"),
    case(
        "conv2d-padding-neg", conv2d, (Z4, K4), {"padding": -1}, ValueError, "padding", shows="-1"
    ),
    case("conv2d-padding-pair-neg", conv2d, (Z4, K4), {"padding": (0, -1)}, ValueError, "padding"),
    case("conv2d-stride-float", conv2d, (Z4, K4), {"stride": 1.5}, NI, "stride", shows="1.5"),
    case("conv2d-stride-float-whole", conv2d, (Z4, K4), {"stride": 2.0}, NI, "stride"),
    case("conv2d-padding-str", conv2d, (Z4, K4), {"padding": "1"}, NI, "padding"),
    case("conv2d-padding-bool", conv2d, (Z4, K4), {"padding": True}, NI, "padding"),
    case("conv2d-stride-bool", conv2d, (Z4, K4), {"stride": True}, NI, "stride"),
    case("conv2d-stride-pair-float", conv2d, (Z4, K4), {"stride": (1, 1.5)}, NI, "stride"),
    case(
        "conv2d-padding-triple",
        conv2d,
        (Z4, K4),
        {"padding": (1, 1, 1)},
        (TypeError, ValueError),
        "padding",
    ),
    case("conv2d-padding-none", conv2d, (Z4, K4), {"padding": None}, NI, "padding"),
    case("conv2d-x-empty", conv2d, (np.zeros((0, 6)), K2), {}, EMPTY, "x"),
    case("conv2d-x-empty-batch", conv2d, (np.zeros((0, 3, 6, 6)), K4), {}, EMPTY, "x"),
    case("conv2d-u-empty", conv2d, (Z2, np.zeros((0, 3))), {}, EMPTY, "u"),
    case("conv2d-u-no-filters", conv2d, (Z4, np.zeros((0, 3, 3, 3))), {}, ValueError, "u"),
    case("conv2d-bias-len", conv2d, (Z4, K4), {"bias": np.zeros(5)}, ValueError, "bias"),
    case("conv2d-bias-2d", conv2d, (Z4, K4), {"bias": np.zeros((4, 1))}, ValueError, "bias"),
    case(
        "conv2d-bias-single-filter-len", conv2d, (Z2, K2), {"bias": np.zeros(2)}, ValueError, "bias"
    ),
    case("conv2d-bias-str", conv2d, (Z4, K4), {"bias": "0"}, TypeError, "bias"),
    case("conv2d-x-complex", conv2d, (Z2.astype(np.complex64), K2), {}, TypeError, "x"),
    case("conv2d-u-complex", conv2d, (Z2, K2.astype(complex)), {}, TypeError, "u"),
    case(
        "conv2d-x-str-array",
        conv2d,
        (np.array([["a", "b"], ["c", "d"]]), K2[:1, :1]),
        {},
        TypeError,
        "x",
    ),
    case("conv2d-x-str", conv2d, ("image.png", K2), {}, TypeError, "x"),
    case("conv2d-x-none", conv2d, (None, K2), {}, TypeError, "x"),
    case(
        "conv2d-x-ragged",
        conv2d,
        ([[1.0, 2.0], [3.0]], K2[:1, :1]),
        {},
        (TypeError, ValueError),
        "x",
    ),
    # ---- pool2d
    case("pool2d-x-1d", pool2d, (Z1,), {}, ValueError, "x"),
    case("pool2d-x-5d", pool2d, (np.zeros((1,) + Z4.shape),), {}, ValueError, "x"),
    case(
        "pool2d-kernel-0", pool2d, (Z2,), {"kernel_size": 0}, ValueError, "kernel_size", shows="0"
    ),
    case("pool2d-kernel-pair-0", pool2d, (Z2,), {"kernel_size": (2, 0)}, ValueError, "kernel_size"),
    case(
        "pool2d-kernel-float", pool2d, (Z2,), {"kernel_size": 2.5}, NI, "kernel_size", shows="2.5"
    ),
    case("pool2d-kernel-str", pool2d, (Z2,), {"kernel_size": "2"}, NI, "kernel_size"),
    case("pool2d-kernel-bool", pool2d, (Z2,), {"kernel_size": True}, NI, "kernel_size"),
    case("pool2d-kernel-too-large", pool2d, (Z2,), {"kernel_size": 7}, ValueError, "kernel_size"),
    case(
        "pool2d-kernel-too-wide",
        pool2d,
        (np.zeros((8, 3)),),
        {"kernel_size": (2, 4)},
        ValueError,
        "kernel_size",
    ),
    case("pool2d-stride-0", pool2d, (Z2,), {"stride": 0}, ValueError, "stride", shows="0"),
    case("pool2d-stride-neg-pair", pool2d, (Z2,), {"stride": (1, -1)}, ValueError, "stride"),
    case("pool2d-stride-float", pool2d, (Z2,), {"stride": 1.5}, NI, "stride"),
    case("pool2d-padding-neg", pool2d, (Z2,), {"padding": -1}, ValueError, "padding", shows="-1"),
    case("pool2d-padding-str", pool2d, (Z2,), {"padding": "1"}, NI, "padding"),
    case("pool2d-mode-unknown", pool2d, (Z2,), {"mode": "mean"}, ValueError, "mode", shows="mean"),
    case("pool2d-mode-empty", pool2d, (Z2,), {"mode": ""}, ValueError, "mode"),
    case("pool2d-mode-none", pool2d, (Z2,), {"mode": None}, (TypeError, ValueError), "mode"),
    case("pool2d-x-empty", pool2d, (np.zeros((3, 0, 6)),), {}, EMPTY, "x"),
    case("pool2d-x-complex", pool2d, (Z2.astype(complex),), {}, TypeError, "x"),
    case("pool2d-x-object", pool2d, (Z2.astype(object),), {}, TypeError, "x"),
    # ---- global_pool
    case("global_pool-x-1d", global_pool, (Z1,), {}, ValueError, "x"),
    case("global_pool-x-5d", global_pool, (np.zeros((1,) + Z4.shape),), {}, ValueError, "x"),
    case(
        "global_pool-mode",
        global_pool,
        (Z3,),
        {"mode": "median"},
        ValueError,
        "mode",
        shows="median",
    ),
    case("global_pool-mode-int", global_pool, (Z3,), {"mode": 1}, (TypeError, ValueError), "mode"),
    case("global_pool-x-empty", global_pool, (np.zeros((3, 0, 4)),), {}, EMPTY, "x"),
    case("global_pool-x-complex", global_pool, (Z3.astype(complex),), {}, TypeError, "x"),
    case("global_pool-x-str", global_pool, ("abc",), {}, TypeError, "x"),
    # ---- conv2d_backward
    case("conv2d_backward-x-3d", conv2d_backward, (DOUT[0], Z3, K4), {}, ValueError, "x"),
    case("conv2d_backward-u-3d", conv2d_backward, (DOUT, Z4, K3), {}, ValueError, "u"),
    case(
        "conv2d_backward-dout-shape",
        conv2d_backward,
        (np.zeros((2, 4, 6, 6)), Z4, K4),
        {},
        ValueError,
        "dout",
    ),
    case("conv2d_backward-dout-ndim", conv2d_backward, (DOUT[0], Z4, K4), {}, ValueError, "dout"),
    case(
        "conv2d_backward-dout-stride",
        conv2d_backward,
        (DOUT, Z4, K4),
        {"stride": 2},
        ValueError,
        "dout",
    ),
    case(
        "conv2d_backward-channels",
        conv2d_backward,
        (DOUT, Z4, np.ones((4, 2, 3, 3))),
        {},
        ValueError,
        "channel",
    ),
    case(
        "conv2d_backward-kernel-too-large",
        conv2d_backward,
        (np.zeros((2, 4, 1, 1)), Z4, np.ones((4, 3, 7, 7))),
        {},
        ValueError,
        "kernel",
    ),
    case(
        "conv2d_backward-stride-0",
        conv2d_backward,
        (DOUT, Z4, K4),
        {"stride": 0},
        ValueError,
        "stride",
    ),
    case(
        "conv2d_backward-padding-neg",
        conv2d_backward,
        (DOUT, Z4, K4),
        {"padding": -1},
        ValueError,
        "padding",
    ),
    case(
        "conv2d_backward-padding-float",
        conv2d_backward,
        (DOUT, Z4, K4),
        {"padding": 0.5},
        NI,
        "padding",
    ),
    case(
        "conv2d_backward-dout-complex",
        conv2d_backward,
        (DOUT.astype(complex), Z4, K4),
        {},
        TypeError,
        "dout",
    ),
    case(
        "conv2d_backward-dout-empty",
        conv2d_backward,
        (np.zeros((2, 4, 0, 4)), Z4, K4),
        {},
        EMPTY,
        "dout",
    ),
    # ---- pool2d_backward
    case(
        "pool2d_backward-dout-shape",
        pool2d_backward,
        (np.zeros((2, 3, 2, 2)), Z4),
        {},
        ValueError,
        "dout",
    ),
    case(
        "pool2d_backward-dout-stride",
        pool2d_backward,
        (PDOUT, Z4),
        {"stride": 1},
        ValueError,
        "dout",
    ),
    case("pool2d_backward-x-1d", pool2d_backward, (PDOUT, Z1), {}, ValueError, "x"),
    case(
        "pool2d_backward-mode",
        pool2d_backward,
        (PDOUT, Z4),
        {"mode": "sum"},
        ValueError,
        "mode",
        shows="sum",
    ),
    case(
        "pool2d_backward-kernel-0",
        pool2d_backward,
        (PDOUT, Z4),
        {"kernel_size": 0},
        ValueError,
        "kernel_size",
    ),
    case(
        "pool2d_backward-padding-neg",
        pool2d_backward,
        (PDOUT, Z4),
        {"padding": -1},
        ValueError,
        "padding",
    ),
    case(
        "pool2d_backward-stride-float", pool2d_backward, (PDOUT, Z4), {"stride": 2.0}, NI, "stride"
    ),
    case(
        "pool2d_backward-dout-complex",
        pool2d_backward,
        (PDOUT.astype(complex), Z4),
        {},
        TypeError,
        "dout",
    ),
]


@pytest.mark.parametrize("func, args, kwargs, exc, names, shows", CASES)
def test_bad_input_raises_clear_error(func, args, kwargs, exc, names, shows):
    with raises(exc, func.__name__, *names) as excinfo:
        func(*args, **kwargs)
    check_exact(excinfo)
    if shows is not None:
        assert shows in str(excinfo.value), f"the message should quote the received {shows!r}"


@pytest.mark.parametrize(
    "call",
    [
        lambda: conv2d(np.zeros((3, 3)), np.ones((5, 5))),
        lambda: conv1d(np.zeros(3), np.ones(5)),
        lambda: pool2d(np.zeros((3, 3)), 4),
    ],
    ids=["conv2d", "conv1d", "pool2d"],
)
def test_window_too_large_message_explains_fix(call):
    """What was received (the sizes), and how to fix it (padding or a smaller kernel)."""
    with pytest.raises(ValueError) as excinfo:
        call()
    check_exact(excinfo)
    msg = str(excinfo.value)
    assert "3" in msg, msg
    assert "padding" in msg, msg
    assert "smaller" in msg or "reduce" in msg or "larger" in msg, msg


def test_channel_mismatch_message_quotes_both_shapes():
    with pytest.raises(ValueError) as excinfo:
        conv2d(np.zeros((3, 8, 8)), np.ones((4, 2, 3, 3)))
    check_exact(excinfo)
    msg = str(excinfo.value)
    assert "3" in msg and "2" in msg and "conv2d" in msg, msg


def test_wrong_ndim_message_quotes_received_shape():
    with pytest.raises(ValueError) as excinfo:
        conv2d(np.zeros((1, 2, 3, 4, 5)), np.ones((1, 2, 3, 3)))
    check_exact(excinfo)
    assert "(1, 2, 3, 4, 5)" in str(excinfo.value) or "5" in str(excinfo.value)


def test_errors_survive_python_O():
    """Validation must not rely on assert (stripped by python -O)."""
    import subprocess
    import sys

    code = (
        "import numpy as np, cnncourse\n"
        "try:\n"
        "    cnncourse.conv2d(np.zeros((3, 3)), np.ones((3, 3)), stride=0)\n"
        "except ValueError as e:\n"
        "    raise SystemExit(0 if 'stride' in str(e) else 2)\n"
        "raise SystemExit(1)\n"
    )
    res = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
