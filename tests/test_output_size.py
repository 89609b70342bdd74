"""cnncourse.output_size: floor((n + 2p - k) / s) + 1, ValueError when the window does not fit."""

import numpy as np
import pytest
from helpers import check_exact, raises, window_1d
from hypothesis import given, settings

import cnncourse

TABLE = [
    # n, k, padding, stride, expected
    (8, 2, 0, 1, 7),  # the lecture's worked example (0,0,0,0,1,2,3,3) * (-1,1)
    (5, 3, 0, 1, 3),
    (5, 3, 1, 1, 5),  # "same" padding
    (7, 3, 0, 2, 3),
    (7, 3, 1, 2, 4),
    (6, 3, 0, 2, 2),  # floor: the last column is not reached
    (5, 2, 0, 2, 2),
    (4, 4, 0, 1, 1),  # kernel as large as the input
    (3, 5, 1, 1, 1),  # kernel larger than the input, fits once padded
    (1, 3, 1, 1, 1),
    (10, 1, 0, 3, 4),
    (28, 5, 0, 1, 24),  # LeNet
    (32, 5, 2, 1, 32),
    (224, 7, 3, 2, 112),  # ResNet stem
    (56, 3, 1, 2, 28),
]


@pytest.mark.parametrize("n, k, p, s, expected", TABLE)
def test_output_size_table(n, k, p, s, expected):
    result = cnncourse.output_size(n, k, padding=p, stride=s)
    assert result == expected
    assert isinstance(result, int), f"expected a Python int, got {type(result).__name__}"


def test_output_size_positional_and_defaults():
    assert cnncourse.output_size(5, 3) == 3
    assert cnncourse.output_size(7, 3, 1, 2) == 4


def test_output_size_accepts_numpy_integers():
    assert cnncourse.output_size(np.int64(7), np.int32(3), np.int64(1), np.int16(2)) == 4


@settings(max_examples=60, deadline=None)
@given(window_1d(max_n=40, max_k=9, max_pad=4, max_stride=5))
def test_output_size_counts_window_positions(case):
    n, k, p, s = case
    positions = len(range(0, n + 2 * p - k + 1, s))
    assert cnncourse.output_size(n, k, p, s) == positions == (n + 2 * p - k) // s + 1


@pytest.mark.parametrize(
    "n, k, p",
    [(3, 5, 0), (3, 6, 1), (1, 2, 0), (4, 9, 2)],
)
def test_output_size_window_does_not_fit(n, k, p):
    with raises(ValueError, "output_size") as excinfo:
        cnncourse.output_size(n, k, padding=p)
    check_exact(excinfo)


@pytest.mark.parametrize(
    "kwargs, exc, arg",
    [
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": -2}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"stride": 1.5}, (TypeError, ValueError), "stride"),
        ({"stride": 2.0}, (TypeError, ValueError), "stride"),
        ({"padding": "1"}, (TypeError, ValueError), "padding"),
        ({"padding": True}, (TypeError, ValueError), "padding"),
        ({"stride": None}, (TypeError, ValueError), "stride"),
    ],
)
def test_output_size_bad_arguments(kwargs, exc, arg):
    with raises(exc, "output_size", arg) as excinfo:
        cnncourse.output_size(7, 3, **kwargs)
    check_exact(excinfo)


@pytest.mark.parametrize("n, k", [(7.0, 3), (7, 3.5), ("7", 3), (7, True)])
def test_output_size_non_integer_sizes(n, k):
    with raises((TypeError, ValueError), "output_size") as excinfo:
        cnncourse.output_size(n, k)
    check_exact(excinfo)


def test_output_size_kernel_of_size_zero():
    with raises(ValueError, "output_size") as excinfo:
        cnncourse.output_size(5, 0)
    check_exact(excinfo)
