"""cnncourse: the library behind an open course on Convolutional Neural Networks.

Shapes follow NumPy/PyTorch order: (W,), (C, W), (N, C, W) for signals and
(H, W), (C, H, W), (N, C, H, W) for images. Every "convolution" here is a
cross-correlation (no kernel flip), as in the lecture and in PyTorch.
"""

from . import _backend, reference
from ._backend import load_kernels
from .functional import (
    conv1d,
    conv2d,
    conv2d_backward,
    global_pool,
    output_size,
    pool2d,
    pool2d_backward,
)

__all__ = [
    "output_size",
    "conv1d",
    "conv2d",
    "pool2d",
    "global_pool",
    "conv2d_backward",
    "pool2d_backward",
    "reference",
    "load_kernels",
]
__version__ = "0.1.0"

# Numba and the cached kernels load in a background thread (see _backend).
_backend.start()
