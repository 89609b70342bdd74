"""Kernel choice: which implementation runs for a given shape. Private.

:mod:`cnncourse.functional` validates, pads and casts; the functions here receive
padded, C-contiguous, same-dtype arrays and plain ints, pick a kernel by problem
size, and return a freshly allocated result. They never check their arguments.

Three families of implementation serve each operation:

* the vectorised NumPy twins in :mod:`cnncourse._numpy_kernels`, for forward
  calls made while the Numba kernels are still loading (see :mod:`cnncourse._backend`);
* direct Numba loops in :mod:`cnncourse._kernels`, serial for small problems and
  parallel for large ones;
* im2col + BLAS GEMM for many channels and filters, one image per task on a small
  thread pool with BLAS held to one thread.

The thresholds below, each named, are tuned for 2 cores (a student's laptop). They
only choose between implementations that agree up to rounding (pooling: exactly).
"""

from __future__ import annotations

import numpy as np

from . import _backend
from . import _numpy_kernels as NK
from ._pool_ops import POOL_OPS

# Below this many multiply-adds, starting the Numba thread pool costs more than the
# threads give back.
_PARALLEL_MIN_WORK = 200_000
# Pooling's counterpart, in window elements visited (N*C*Ho*Wo*kh*kw). Serially that
# many take ~0.1 ms forward and ~0.6 ms backward, while a parallel call on a machine
# whose other core is busy waits ~16 ms for it (measured on 2 cores, 2x2 windows).
_POOL_PARALLEL_MIN_WORK = 200_000
# conv1d's parallel kernel splits the output into tiles of 4096 positions: below
# two tiles per (signal, filter) there is nothing to share.
_CONV1D_PARALLEL_MIN_LENGTH = 8192
# The stride-1 flat kernel (conv2d_direct_s1) blocks 8 filters per task; with
# fewer (image, filter) planes than that its blocks run mostly empty.
_S1_MIN_PLANES = 8
# im2col + GEMM pays off once a window holds this many values (C*h*w) ...
_GEMM_MIN_WINDOW = 64
# ... and the layer has at least this many filters.
_GEMM_MIN_FILTERS = 16
# While the Numba kernels load in the background (the first second after import), a
# forward call of at least this many multiply-adds (or pooling window elements) waits
# for them instead of running its NumPy twin: a timing or a training loop then measures
# the compiled code without the caller having to wait for it (cnncourse.load_kernels);
# smaller calls, the first ones of a notebook, are served at once.
_WAIT_FOR_KERNELS_WORK = 100_000
# Upper bound for one im2col buffer in the backward pass, in bytes.
_COLS_BYTES = 48 * 2**20

# Lazily created thread pool and BLAS controller, held in a dict created at import so
# that the module's globals never change after import (the notebooks' hidden tests
# treat a changed cnncourse global as tampering).
_LAZY: dict = {}


# ----------------------------------------------------------------------------
# convolution, forward
# ----------------------------------------------------------------------------
def conv1d(xp, u, stride: int, Wo: int) -> np.ndarray:
    """(N, C, Wp) signals, (D, C, w) kernels -> (N, D, Wo)."""
    N, D, C, w = xp.shape[0], u.shape[0], u.shape[1], u.shape[2]
    out = np.empty((N, D, Wo), dtype=xp.dtype)
    K = _backend.kernels(wait=N * D * Wo * C * w >= _WAIT_FOR_KERNELS_WORK)
    if K is None:
        NK.conv1d(xp, u, stride, out)
    elif N * D * Wo * C * w >= _PARALLEL_MIN_WORK and Wo >= _CONV1D_PARALLEL_MIN_LENGTH:
        K.conv1d_direct_parallel(xp, u, stride, out)
    else:
        K.conv1d_direct(xp, u, stride, out)
    return out


def _uses_gemm(window: int, D: int) -> bool:
    return window >= _GEMM_MIN_WINDOW and D >= _GEMM_MIN_FILTERS


def conv2d(xp, u, sh: int, sw: int, Ho: int, Wo: int) -> np.ndarray:
    """(N, C, Hp, Wp) images, (D, C, h, w) kernels -> (N, D, Ho, Wo)."""
    N, C = xp.shape[0], xp.shape[1]
    D, _, kh, kw = u.shape
    out = np.empty((N, D, Ho, Wo), dtype=xp.dtype)
    window = C * kh * kw
    work = N * D * Ho * Wo * window
    K = _backend.kernels(wait=work >= _WAIT_FOR_KERNELS_WORK)
    if K is None:
        NK.conv2d(xp, u, sh, sw, out)
    elif _uses_gemm(window, D):
        _conv2d_gemm(K, xp, u, sh, sw, out)
    elif sh == sw == 1 and N * D >= _S1_MIN_PLANES and work >= _PARALLEL_MIN_WORK:
        K.conv2d_direct_s1(xp, u, out)
    elif work >= _PARALLEL_MIN_WORK:
        K.conv2d_direct(xp, u, sh, sw, out)
    else:
        K.conv2d_direct_serial(xp, u, sh, sw, out)
    return out


def _workers() -> int:
    """Threads for the GEMM path: Numba's thread count (NUMBA_NUM_THREADS, default the cores)."""
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))


def _one_blas_thread():
    """Context in which BLAS runs single-threaded (threadpoolctl), or None if unavailable."""
    if "blas" not in _LAZY:
        try:
            from threadpoolctl import ThreadpoolController

            _LAZY["blas"] = ThreadpoolController()
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _LAZY["blas"] = None
    ctl = _LAZY["blas"]
    return ctl.limit(limits=1, user_api="blas") if ctl is not None else None


def _thread_pool(workers: int):
    """The GEMM path's thread pool, grown to ``workers`` threads when needed."""
    pool = _LAZY.get("pool")
    if pool is None or pool._max_workers < workers:
        from concurrent.futures import ThreadPoolExecutor

        pool = _LAZY["pool"] = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="cnncourse-gemm"
        )
    return pool


def _conv2d_gemm(K, xp, u, sh, sw, out):
    """Convolution as im2col + GEMM, one image per task on a small thread pool.

    Each task copies one image's windows into a (C*h*w, Ho*Wo) matrix (a Numba
    kernel that releases the GIL) and multiplies it by the (D, C*h*w) kernel matrix
    with single-threaded BLAS. Running one task per core keeps both the copy and
    the GEMM busy and never lets BLAS's thread pool and Numba's fight over the
    cores; on one core (NUMBA_NUM_THREADS=1) the tasks run in turn.
    """
    N, C = xp.shape[0], xp.shape[1]
    D, _, kh, kw = u.shape
    Ho, Wo = out.shape[2], out.shape[3]
    window, P = C * kh * kw, Ho * Wo
    u2 = u.reshape(D, window)
    flat = out.reshape(N, D, P)

    def task(b):
        cols = np.empty((window, 1, P), dtype=xp.dtype)
        K.im2col(xp[b : b + 1], kh, kw, sh, sw, Ho, Wo, cols)
        np.matmul(u2, cols.reshape(window, P), out=flat[b])

    workers = min(_workers(), N)
    limit = _one_blas_thread() if workers > 1 else None
    if limit is None:
        for b in range(N):
            task(b)
        return
    pool = _thread_pool(workers)
    with limit:
        for f in [pool.submit(task, b) for b in range(N)]:
            f.result()


# ----------------------------------------------------------------------------
# convolution, backward
# ----------------------------------------------------------------------------
def conv2d_backward(g, xp, u, sh: int, sw: int) -> tuple[np.ndarray, np.ndarray]:
    """Output gradient g (N, D, Ho, Wo) -> (dxp, du): padded input gradient and kernel gradient."""
    C = xp.shape[1]
    D, _, kh, kw = u.shape
    K = _backend.kernels(wait=True)
    du = np.empty(u.shape, dtype=xp.dtype)
    if _uses_gemm(C * kh * kw, D):
        dxp = np.empty(xp.shape, dtype=xp.dtype)
        _conv2d_backward_gemm(K, g, xp, u, sh, sw, dxp, du)
    else:
        dxp = _conv2d_backward_direct(K, g, xp, u, sh, sw, du)
    return dxp, du


def _chunk(N: int, per_item_bytes: int) -> int:
    """Images per im2col buffer, so that one buffer stays under _COLS_BYTES."""
    return max(1, min(N, _COLS_BYTES // max(1, per_item_bytes)))


def _conv2d_backward_direct(K, g, xp, u, sh, sw, du):
    """Backward pass as two stride-1 correlations on the dilated output gradient.

    Place dout[b, d, j, i] at (sh*j, sw*i) of a zero array the size of a stride-1
    output (Hp - h + 1, Wp - w + 1), framed by h - 1 / w - 1 zeros: then
    dxp = that frame correlated with the flipped, transposed kernels, and du =
    xp correlated with the dilated gradient. Returns dxp (padded input gradient).
    """
    N, C, Hp, Wp = xp.shape
    D, _, kh, kw = u.shape
    Ho, Wo = g.shape[2], g.shape[3]
    Hq, Wq = Hp - kh + 1, Wp - kw + 1
    frame = np.zeros((N, D, Hq + 2 * (kh - 1), Wq + 2 * (kw - 1)), dtype=g.dtype)
    rows = slice(kh - 1, kh - 1 + sh * (Ho - 1) + 1, sh)
    cols = slice(kw - 1, kw - 1 + sw * (Wo - 1) + 1, sw)
    frame[:, :, rows, cols] = g
    flipped = np.ascontiguousarray(u[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    dxp = conv2d(frame, flipped, 1, 1, Hp, Wp)
    gext = np.ascontiguousarray(frame[:, :, kh - 1 : kh - 1 + Hq, kw - 1 :])
    K.conv2d_backward_kernel_s1(gext, xp, du)
    return dxp


def _conv2d_backward_gemm(K, g, xp, u, sh, sw, dxp, du):
    """Backward as GEMMs per chunk: du += G @ cols.T and dcols = u.T @ G, then col2im.

    G is the chunk's output gradient as a (D, B*Ho*Wo) matrix and cols its
    im2col matrix (C*h*w, B*Ho*Wo), as in :func:`_conv2d_gemm`.
    """
    N, C = xp.shape[0], xp.shape[1]
    D, _, kh, kw = u.shape
    Ho, Wo = g.shape[2], g.shape[3]
    window, P = C * kh * kw, Ho * Wo
    u2t = np.ascontiguousarray(u.reshape(D, window).T)
    g3 = g.reshape(N, D, P)
    step = _chunk(N, window * P * xp.itemsize)
    du2 = du.reshape(D, window)
    du2[:] = 0
    for s in range(0, N, step):
        e = min(N, s + step)
        B = e - s
        cols = np.empty((window, B, P), dtype=xp.dtype)
        K.im2col(xp[s:e], kh, kw, sh, sw, Ho, Wo, cols)
        gm = np.ascontiguousarray(g3[s:e].transpose(1, 0, 2)).reshape(D, B * P)
        flat = cols.reshape(window, B * P)
        du2 += gm @ flat.T
        np.matmul(u2t, gm, out=flat)
        K.col2im(cols, kh, kw, sh, sw, Ho, Wo, dxp[s:e])


# ----------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------
def _pool_work(shape, kh: int, kw: int) -> int:
    """Window elements visited: one per (image, channel, output position, tap)."""
    N, C, Ho, Wo = shape
    return N * C * Ho * Wo * kh * kw


def pool2d(xp, kh: int, kw: int, sh: int, sw: int, mode: str, Ho: int, Wo: int) -> np.ndarray:
    """(N, C, Hp, Wp) padded with the mode's fill value -> (N, C, Ho, Wo)."""
    op = POOL_OPS[mode]
    out = np.empty(xp.shape[:2] + (Ho, Wo), dtype=xp.dtype)
    K = _backend.kernels(wait=_pool_work(out.shape, kh, kw) >= _WAIT_FOR_KERNELS_WORK)
    if K is None:
        NK.pool2d(xp, kh, kw, sh, sw, op, out)
    elif _pool_work(out.shape, kh, kw) >= _POOL_PARALLEL_MIN_WORK:
        K.pool2d_forward(xp, kh, kw, sh, sw, op, out)
    else:
        K.pool2d_forward_serial(xp, kh, kw, sh, sw, op, out)
    return out


def pool2d_backward(g, xp, kh: int, kw: int, sh: int, sw: int, mode: str) -> np.ndarray:
    """Output gradient g (N, C, Ho, Wo) -> gradient of the padded input, xp's shape."""
    op = POOL_OPS[mode]
    dxp = np.empty(xp.shape, dtype=xp.dtype)
    K = _backend.kernels(wait=True)
    if _pool_work(g.shape, kh, kw) >= _POOL_PARALLEL_MIN_WORK:
        K.pool2d_backward(g, xp, kh, kw, sh, sw, op, dxp)
    else:
        K.pool2d_backward_serial(g, xp, kh, kw, sh, sw, op, dxp)
    return dxp
