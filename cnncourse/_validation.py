"""Shared argument checks and casts for the public API.

Every public function validates its arguments here, once, so that every error
message reads the same way: which function, which argument, what was received,
what was expected, and how to fix it. The Numba kernels behind the API never
see anything but C-contiguous float32/float64 arrays and plain ints.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_ndim",
    "check_size",
    "check_pair",
    "check_mode",
    "common_dtype",
    "window_out",
]


def _describe(value) -> str:
    """Short description of a received value for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def as_float_array(value, func: str, name: str) -> np.ndarray:
    """Convert ``value`` to a float ndarray (float32 stays float32, the rest float64).

    Integer and bool inputs (a uint8 image is the common case) are promoted to
    float64. Complex, object and string inputs raise ``TypeError``; empty arrays
    raise ``ValueError``. The input is never modified.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{func}: argument '{name}' must be a numeric array, got {_describe(value)}; "
            f"pass a NumPy array of numbers, e.g. np.asarray(...)"
        )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{func}: argument '{name}' could not be converted to an array ({exc}); "
            f"pass a rectangular NumPy array of numbers"
        ) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{func}: argument '{name}' has complex dtype {arr.dtype}; convolutions here are "
            f"real-valued: pass the real part (x.real) or the magnitude (np.abs(x))"
        )
    if kind not in "fiub":
        raise TypeError(
            f"{func}: argument '{name}' must hold real numbers, got dtype {arr.dtype}; "
            f"convert it with np.asarray({name}, dtype=float)"
        )
    if arr.size == 0:
        raise ValueError(
            f"{func}: argument '{name}' is empty (shape {arr.shape}); "
            f"pass an array with at least one element along every axis"
        )
    if kind == "f" and arr.dtype == np.float32:
        return arr
    if kind == "f" and arr.dtype == np.float64:
        return arr
    # float16, longdouble, ints, bools: compute in float64
    return arr.astype(np.float64)


def common_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 only when every float input is float32, float64 otherwise."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _or(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def check_ndim(arr: np.ndarray, allowed: tuple[int, ...], func: str, name: str, meaning: str):
    """Raise ValueError unless ``arr.ndim`` is one of ``allowed``.

    ``meaning`` describes the accepted layouts, e.g. "(H, W), (C, H, W) or (N, C, H, W)".
    """
    if arr.ndim not in allowed:
        raise ValueError(
            f"{func}: argument '{name}' must have {_or(allowed)} dimensions "
            f"{meaning}, got {arr.ndim} dimension(s) with shape {arr.shape}; "
            f"reshape it (e.g. x[None] adds a leading axis, x.squeeze() removes size-1 axes)"
        )


def check_size(value, func: str, name: str, minimum: int) -> int:
    """Check one integer size (kernel_size, stride, padding component); return it as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{func}: argument '{name}' must be an integer, got {_describe(value)}; "
            f"pass a whole number such as {max(minimum, 1)}"
        )
    value = int(value)
    if value < minimum:
        if minimum == 0:
            fix = "use padding=0 for no padding"
        else:
            fix = f"use {name}>={minimum}"
        raise ValueError(f"{func}: argument '{name}' must be >= {minimum}, got {value}; {fix}")
    return value


def check_pair(value, func: str, name: str, minimum: int, dims: int = 2) -> tuple[int, ...]:
    """Accept an int or a tuple/list of ``dims`` ints; return a tuple of ``dims`` ints."""
    if isinstance(value, (tuple, list, np.ndarray)):
        items = list(value)
        if len(items) != dims:
            raise ValueError(
                f"{func}: argument '{name}' must be an int or a pair (rows, cols), got "
                f"{_describe(value)} with {len(items)} element(s); pass e.g. {name}=1 "
                f"or {name}=(1, 2)"
            )
        return tuple(check_size(v, func, name, minimum) for v in items)
    return (check_size(value, func, name, minimum),) * dims


def check_mode(mode, func: str, allowed: tuple[str, ...]) -> str:
    """Check a pooling mode name."""
    if not isinstance(mode, str) or mode not in allowed:
        raise ValueError(
            f"{func}: argument 'mode' must be one of {', '.join(repr(m) for m in allowed)}, "
            f"got {_describe(mode)}; pass e.g. mode={allowed[0]!r}"
        )
    return mode


def window_out(
    n: int, k: int, padding: int, stride: int, func: str, axis: str, what: str = "kernel 'u'"
) -> int:
    """Number of window positions along one axis: floor((n + 2p - k) / s) + 1.

    This is the single place where the lecture's output-size formula (H5) is
    applied; convolution and pooling both call it. ``what`` names the argument
    that sets the window (``"kernel 'u'"`` or ``"kernel_size"``). Raises
    ValueError when the window does not fit in the padded input.
    """
    padded = n + 2 * padding
    if k > padded:
        need = (k - n + 1) // 2
        label = f"{what} of size {k}" if " " in what else f"{what}={k}"
        raise ValueError(
            f"{func}: {label} does not fit input size {n} along {axis} with "
            f"padding={padding} (padded size {padded}); use padding >= {need} "
            f"or a smaller {what}"
        )
    return (padded - k) // stride + 1
