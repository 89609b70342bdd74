"""Numba kernels. Private: no argument checks here.

Every kernel receives C-contiguous float32 or float64 arrays that already
hold any padding (the public API in :mod:`cnncourse.functional` pads, casts and
checks once), plain int strides, and a preallocated output. Layout is always
(N, C, H, W) for images and (D, C, h, w) for kernels; 1D signals are (N, C, W).

Inner loops run over a contiguous output row so that LLVM vectorises them; a
stride-1 fast path avoids index arithmetic in the hottest loop. Which kernel runs
for which shape is decided in :mod:`cnncourse._dispatch`; :func:`load_cached` at the
end calls each one with the argument types the API passes, so that the cache
covers them all.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._pool_ops import POOL_AVG, POOL_MAX

# Kernels that do reductions may reorder additions (and fuse multiply-adds) but
# must keep IEEE NaN/inf semantics: no 'nnan'/'ninf' flags.
_FAST = {"reassoc", "contract"}


# ----------------------------------------------------------------------------
# convolution, direct (small channel counts, single-channel images and signals)
# ----------------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath=_FAST)
def _row_accumulate(acc, row, start, stride, wt):
    """acc[i] += wt * row[start + stride * i] for every output position i."""
    n = acc.shape[0]
    if stride == 1:
        seg = row[start : start + n]
        for i in range(n):
            acc[i] += wt * seg[i]
    else:
        for i in range(n):
            acc[i] += wt * row[start + stride * i]


@njit(cache=True, nogil=True, fastmath=_FAST)
def conv1d_direct(xp, u, stride, out):
    """out[b, d, i] = sum_c sum_m xp[b, c, m + stride*i] * u[d, c, m]; out is zeroed here."""
    N, C, _ = xp.shape
    D, _, w = u.shape
    Wo = out.shape[2]
    tile = 2048
    for b in range(N):
        for d in range(D):
            for t0 in range(0, Wo, tile):
                t1 = min(Wo, t0 + tile)
                acc = out[b, d, t0:t1]
                acc[:] = 0
                for c in range(C):
                    row = xp[b, c]
                    for m in range(w):
                        _row_accumulate(acc, row, m + stride * t0, stride, u[d, c, m])


@njit(cache=True, nogil=True, fastmath=_FAST, parallel=True)
def conv1d_direct_parallel(xp, u, stride, out):
    """Same as conv1d_direct, tiles of the output spread over the cores (long signals)."""
    N, C, _ = xp.shape
    D, _, w = u.shape
    Wo = out.shape[2]
    tile = 4096
    ntiles = (Wo + tile - 1) // tile
    for job in prange(N * D * ntiles):
        b = job // (D * ntiles)
        d = (job // ntiles) % D
        t0 = (job % ntiles) * tile
        t1 = min(Wo, t0 + tile)
        acc = out[b, d, t0:t1]
        acc[:] = 0
        for c in range(C):
            row = xp[b, c]
            for m in range(w):
                _row_accumulate(acc, row, m + stride * t0, stride, u[d, c, m])


@njit(cache=True, nogil=True, fastmath=_FAST)
def _conv2d_plane(xp, u, b, d, sh, sw, j0, j1, out):
    C = xp.shape[1]
    kh, kw = u.shape[2], u.shape[3]
    for j in range(j0, j1):
        acc = out[b, d, j]
        acc[:] = 0
        for c in range(C):
            for n in range(kh):
                row = xp[b, c, j * sh + n]
                for m in range(kw):
                    _row_accumulate(acc, row, m, sw, u[d, c, n, m])


@njit(cache=True, nogil=True, fastmath=_FAST, parallel=True)
def conv2d_direct(xp, u, sh, sw, out):
    """out[b,d,j,i] = sum_c sum_n sum_m xp[b,c,sh*j+n,sw*i+m] * u[d,c,n,m].

    Work is split over (image, filter, block of rows) so that even a single
    grayscale image keeps both cores busy.
    """
    N = xp.shape[0]
    D = u.shape[0]
    Ho = out.shape[2]
    rows = 16 if Ho >= 64 else Ho
    nblocks = (Ho + rows - 1) // rows
    for job in prange(N * D * nblocks):
        b = job // (D * nblocks)
        d = (job // nblocks) % D
        j0 = (job % nblocks) * rows
        _conv2d_plane(xp, u, b, d, sh, sw, j0, min(Ho, j0 + rows), out)


@njit(cache=True, nogil=True, fastmath=_FAST, parallel=True)
def conv2d_direct_s1(xp, u, out):
    """Stride-1 direct convolution on the flattened padded image.

    With stride 1, output (j, i) reads xp[c].flat[(j + n)*Wp + i + m]: every
    kernel tap (c, n, m) adds a shifted copy of the flat image. Computing the
    output on the padded width (positions with i >= Wo are thrown away) turns each
    tap into one long, contiguous, vectorisable loop. Tiles of T flat positions
    and blocks of DB filters keep the accumulators in L1 and reuse each input
    load DB times.
    """
    N, C, Hp, Wp = xp.shape
    D, _, kh, kw = u.shape
    Ho, Wo = out.shape[2], out.shape[3]
    L = (Ho - 1) * Wp + Wo
    T = 512
    DB = 8
    ntiles = (L + T - 1) // T
    ndb = (D + DB - 1) // DB
    xf = xp.reshape(N, C, Hp * Wp)
    for job in prange(N * ndb * ntiles):
        b = job // (ndb * ntiles)
        d0 = ((job // ntiles) % ndb) * DB
        t0 = (job % ntiles) * T
        tl = min(T, L - t0)
        db = min(DB, D - d0)
        acc = np.zeros((DB, T), dtype=out.dtype)
        for c in range(C):
            xc = xf[b, c]
            for n in range(kh):
                if kw == 3:  # a whole kernel row per pass: 3 multiply-adds per load/store
                    off = n * Wp + t0
                    xs = xc[off : off + tl + 2]
                    for dd in range(db):
                        w0 = u[d0 + dd, c, n, 0]
                        w1 = u[d0 + dd, c, n, 1]
                        w2 = u[d0 + dd, c, n, 2]
                        a = acc[dd]
                        for t in range(tl):
                            a[t] += w0 * xs[t] + w1 * xs[t + 1] + w2 * xs[t + 2]
                    continue
                if kw == 5:
                    off = n * Wp + t0
                    xs = xc[off : off + tl + 4]
                    for dd in range(db):
                        w0 = u[d0 + dd, c, n, 0]
                        w1 = u[d0 + dd, c, n, 1]
                        w2 = u[d0 + dd, c, n, 2]
                        w3 = u[d0 + dd, c, n, 3]
                        w4 = u[d0 + dd, c, n, 4]
                        a = acc[dd]
                        for t in range(tl):
                            a[t] += (
                                w0 * xs[t]
                                + w1 * xs[t + 1]
                                + w2 * xs[t + 2]
                                + w3 * xs[t + 3]
                                + w4 * xs[t + 4]
                            )
                    continue
                for m in range(kw):
                    off = n * Wp + m + t0
                    xs = xc[off : off + tl]
                    for dd in range(db):
                        wt = u[d0 + dd, c, n, m]
                        a = acc[dd]
                        for t in range(tl):
                            a[t] += wt * xs[t]
        j = t0 // Wp
        i = t0 - j * Wp
        for t in range(tl):
            if i < Wo:
                for dd in range(db):
                    out[b, d0 + dd, j, i] = acc[dd, t]
            i += 1
            if i == Wp:
                i = 0
                j += 1


@njit(cache=True, nogil=True, fastmath=_FAST)
def conv2d_direct_serial(xp, u, sh, sw, out):
    """Serial twin of conv2d_direct, for small problems where threads cost more than they give."""
    N = xp.shape[0]
    D = u.shape[0]
    Ho = out.shape[2]
    for b in range(N):
        for d in range(D):
            _conv2d_plane(xp, u, b, d, sh, sw, 0, Ho, out)


# ----------------------------------------------------------------------------
# convolution through im2col + BLAS GEMM (many channels)
# ----------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def im2col(xp, kh, kw, sh, sw, Ho, Wo, cols):
    """cols[(c*kh + n)*kw + m, b, j*Wo + i] = xp[b, c, sh*j + n, sw*i + m].

    cols is (C*kh*kw, N, Ho*Wo): seen as a (C*kh*kw, N*Ho*Wo) matrix, one GEMM
    with the (D, C*kh*kw) kernel matrix convolves the whole chunk of images.
    """
    N, C = xp.shape[0], xp.shape[1]
    for b in range(N):
        for c in range(C):
            for n in range(kh):
                for m in range(kw):
                    dst = cols[(c * kh + n) * kw + m, b]
                    for j in range(Ho):
                        row = xp[b, c, sh * j + n]
                        base = j * Wo
                        if sw == 1:
                            dst[base : base + Wo] = row[m : m + Wo]
                        else:
                            for i in range(Wo):
                                dst[base + i] = row[m + sw * i]


@njit(cache=True, nogil=True)
def col2im(cols, kh, kw, sh, sw, Ho, Wo, dxp):
    """Adjoint of im2col: dxp[b, c, sh*j + n, sw*i + m] += cols[(c*kh + n)*kw + m, b, j*Wo + i].

    dxp is zeroed here.
    """
    N, C = dxp.shape[0], dxp.shape[1]
    dxp[:] = 0
    for b in range(N):
        for c in range(C):
            for n in range(kh):
                for m in range(kw):
                    src = cols[(c * kh + n) * kw + m, b]
                    for j in range(Ho):
                        row = dxp[b, c, sh * j + n]
                        base = j * Wo
                        if sw == 1:
                            seg = row[m : m + Wo]
                            for i in range(Wo):
                                seg[i] += src[base + i]
                        else:
                            for i in range(Wo):
                                row[m + sw * i] += src[base + i]


# ----------------------------------------------------------------------------
# convolution backward, direct
# ----------------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath=_FAST, parallel=True)
def conv2d_backward_kernel_s1(gext, xp, du):
    """du[d,c,n,m] = sum_b sum_t gext[b,d].flat[t] * xp[b,c].flat[n*Wp + m + t].

    ``gext`` (N, D, Hq, Wp) holds the output gradient on the padded width (zeros
    in columns past the output, and between rows/columns for strided layers),
    so every kernel tap is one contiguous dot product over the flat image.
    """
    N, C, Hp, Wp = xp.shape
    D, kh, kw = du.shape[0], du.shape[2], du.shape[3]
    Hq = gext.shape[2]
    Wq = Wp - kw + 1
    L = (Hq - 1) * Wp + Wq
    DB = 4
    ndb = (D + DB - 1) // DB
    xf = xp.reshape(N, C, Hp * Wp)
    gf = gext.reshape(N, D, Hq * Wp)
    for job in prange(C * ndb * kh):
        c = job // (ndb * kh)
        d0 = ((job // kh) % ndb) * DB
        n = job % kh
        db = min(DB, D - d0)
        for m in range(kw):
            acc = np.zeros(DB, dtype=np.float64)
            off = n * Wp + m
            for b in range(N):
                xs = xf[b, c, off : off + L]
                for dd in range(db):
                    g = gf[b, d0 + dd]
                    total = 0.0
                    for t in range(L):
                        total += g[t] * xs[t]
                    acc[dd] += total
            for dd in range(db):
                du[d0 + dd, c, n, m] = acc[dd]


# ----------------------------------------------------------------------------
# pooling (op codes in _pool_ops: POOL_MAX, POOL_AVG, POOL_MIN)
# ----------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _has_nan(plane):
    count = 0
    for r in range(plane.shape[0]):
        row = plane[r]
        for i in range(row.shape[0]):
            count += row[i] != row[i]
    return count > 0


@njit(cache=True, nogil=True)
def _pool_plane_2x2(plane, op, o):
    """The common 2x2 window with stride 2 in one pass over each pair of rows."""
    Ho, Wo = o.shape
    for j in range(Ho):
        r0 = plane[2 * j]
        r1 = plane[2 * j + 1]
        orow = o[j]
        if op == POOL_AVG:
            for i in range(Wo):
                orow[i] = ((r0[2 * i] + r0[2 * i + 1]) + (r1[2 * i] + r1[2 * i + 1])) * 0.25
        elif op == POOL_MAX:
            for i in range(Wo):
                a = r0[2 * i] if r0[2 * i] > r0[2 * i + 1] else r0[2 * i + 1]
                b = r1[2 * i] if r1[2 * i] > r1[2 * i + 1] else r1[2 * i + 1]
                orow[i] = a if a > b else b
        else:
            for i in range(Wo):
                a = r0[2 * i] if r0[2 * i] < r0[2 * i + 1] else r0[2 * i + 1]
                b = r1[2 * i] if r1[2 * i] < r1[2 * i + 1] else r1[2 * i + 1]
                orow[i] = a if a < b else b


@njit(cache=True, nogil=True)
def _pool_plane(plane, kh, kw, sh, sw, op, o, nan_aware):
    """Pool one (Hp, Wp) plane into o (Ho, Wo).

    The fast path uses comparisons LLVM turns into vector max/min; when the plane
    holds a NaN, ``nan_aware`` makes NaN win instead, as IEEE max/min (and
    PyTorch) propagate it.
    """
    Ho, Wo = o.shape
    scale = 1.0 / (kh * kw)
    if kh == 2 and kw == 2 and sh == 2 and sw == 2 and not nan_aware:
        _pool_plane_2x2(plane, op, o)
        return
    for j in range(Ho):
        orow = o[j]
        if op == POOL_AVG:
            orow[:] = 0
            for n in range(kh):
                row = plane[sh * j + n]
                for m in range(kw):
                    for i in range(Wo):
                        orow[i] += row[sw * i + m]
            for i in range(Wo):
                orow[i] *= scale
            continue
        first = plane[sh * j]
        for i in range(Wo):
            orow[i] = first[sw * i]
        for n in range(kh):
            row = plane[sh * j + n]
            for m in range(kw):
                if n == 0 and m == 0:
                    continue
                if nan_aware:
                    for i in range(Wo):
                        v = row[sw * i + m]
                        best = orow[i]
                        if best == best and (v != v or (v > best if op == POOL_MAX else v < best)):
                            orow[i] = v
                elif op == POOL_MAX:
                    for i in range(Wo):
                        v = row[sw * i + m]
                        orow[i] = v if v > orow[i] else orow[i]
                else:
                    for i in range(Wo):
                        v = row[sw * i + m]
                        orow[i] = v if v < orow[i] else orow[i]


@njit(cache=True, nogil=True)
def _pool_forward_plane(xp, kh, kw, sh, sw, op, out, b, c):
    """out[b, c] = op over each window of xp[b, c]."""
    plane = xp[b, c]
    nan_aware = op != POOL_AVG and _has_nan(plane)
    _pool_plane(plane, kh, kw, sh, sw, op, out[b, c], nan_aware)


@njit(cache=True, nogil=True, parallel=True)
def pool2d_forward(xp, kh, kw, sh, sw, op, out):
    """out[b,c,j,i] = op over the window xp[b,c,sh*j:sh*j+kh, sw*i:sw*i+kw].

    max/min: NaN wins (it propagates, as in PyTorch); avg divides by kh*kw.
    One (image, channel) plane per task.
    """
    N, C = xp.shape[0], xp.shape[1]
    for job in prange(N * C):
        _pool_forward_plane(xp, kh, kw, sh, sw, op, out, job // C, job % C)


@njit(cache=True, nogil=True)
def pool2d_forward_serial(xp, kh, kw, sh, sw, op, out):
    """Serial twin of pool2d_forward, for small problems where threads cost more than they give."""
    N, C = xp.shape[0], xp.shape[1]
    for b in range(N):
        for c in range(C):
            _pool_forward_plane(xp, kh, kw, sh, sw, op, out, b, c)


@njit(cache=True, nogil=True)
def _pool_backward_plane(dout, xp, kh, kw, sh, sw, op, dxp, b, c):
    """Route dout[b, c] back through the windows of xp[b, c] into dxp[b, c] (zeroed here)."""
    Ho, Wo = dout.shape[2], dout.shape[3]
    scale = 1.0 / (kh * kw)
    plane = xp[b, c]
    g = dout[b, c]
    dp = dxp[b, c]
    dp[:] = 0
    for j in range(Ho):
        for i in range(Wo):
            if op == POOL_AVG:
                share = g[j, i] * scale
                for n in range(kh):
                    for m in range(kw):
                        dp[sh * j + n, sw * i + m] += share
                continue
            best = plane[sh * j, sw * i]
            bn = 0
            bm = 0
            for n in range(kh):
                for m in range(kw):
                    v = plane[sh * j + n, sw * i + m]
                    if best != best:
                        break
                    if v != v or (v > best if op == POOL_MAX else v < best):
                        best = v
                        bn = n
                        bm = m
            dp[sh * j + bn, sw * i + bm] += g[j, i]


@njit(cache=True, nogil=True, parallel=True)
def pool2d_backward(dout, xp, kh, kw, sh, sw, op, dxp):
    """Route dout back through pooling windows into dxp (zeroed here).

    max/min: to the first position, in row-major window order, holding the
    window's max/min (NaN wins); avg: dout / (kh*kw) to every position.
    One (image, channel) plane per task.
    """
    N, C = xp.shape[0], xp.shape[1]
    for job in prange(N * C):
        _pool_backward_plane(dout, xp, kh, kw, sh, sw, op, dxp, job // C, job % C)


@njit(cache=True, nogil=True)
def pool2d_backward_serial(dout, xp, kh, kw, sh, sw, op, dxp):
    """Serial twin of pool2d_backward, for small problems."""
    N, C = xp.shape[0], xp.shape[1]
    for b in range(N):
        for c in range(C):
            _pool_backward_plane(dout, xp, kh, kw, sh, sw, op, dxp, b, c)


# ----------------------------------------------------------------------------
# the signatures the API compiles, for the cache
# ----------------------------------------------------------------------------
def load_cached() -> None:
    """Call every kernel once per float dtype on tiny arrays (compiles on a cold cache).

    The argument types are exactly those :mod:`cnncourse._dispatch` passes (C-contiguous
    float32/float64 arrays, Python ints), so that after one run every later process
    only loads machine code from the cache. A new kernel or signature goes here too.
    """
    for dtype in (np.float32, np.float64):
        x3 = np.ones((1, 1, 8), dtype)
        u3 = np.ones((1, 1, 3), dtype)
        o3 = np.empty((1, 1, 6), dtype)
        conv1d_direct(x3, u3, 1, o3)
        conv1d_direct_parallel(x3, u3, 1, o3)
        x = np.ones((1, 2, 6, 6), dtype)
        u = np.ones((2, 2, 3, 3), dtype)
        o = np.empty((1, 2, 4, 4), dtype)
        conv2d_direct(x, u, 1, 1, o)
        conv2d_direct_serial(x, u, 1, 1, o)
        conv2d_direct_s1(x, u, o)
        conv2d_backward_kernel_s1(np.ones((1, 2, 4, 6), dtype), x, np.empty_like(u))
        cols = np.empty((18, 1, 16), dtype)
        im2col(x, 3, 3, 1, 1, 4, 4, cols)
        col2im(cols, 3, 3, 1, 1, 4, 4, np.empty_like(x))
        p = np.empty((1, 2, 3, 3), dtype)
        pool2d_forward(x, 2, 2, 2, 2, POOL_MAX, p)
        pool2d_forward_serial(x, 2, 2, 2, 2, POOL_MAX, p)
        pool2d_backward(p, x, 2, 2, 2, 2, POOL_MAX, np.empty_like(x))
        pool2d_backward_serial(p, x, 2, 2, 2, 2, POOL_MAX, np.empty_like(x))
