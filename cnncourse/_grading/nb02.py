"""Notebook 02 (2D convolution): hints for the visible tests and the hidden checks.

Exercises: ``conv2d_loops``, ``to_unit_range``, ``loss_grad``.
"""

from __future__ import annotations

import numpy as _np

from ._core import (
    _as_lists,
    _AssertionError,
    _call,
    _check,
    _fail,
    _flip2,
    _n,
    _Rng,
    _scale,
    _shape_of,
    _transpose,
    close_lists,
    ref_conv2d,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` in its visible tests and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_conv2d",
    "hidden_conv2d",
    "hidden_unit_range",
    "hidden_loss_grad",
]

# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
_KERNEL_READ_AS_WH = (
    "parece que has leído la forma del kernel como (w, h): en NumPy `u.shape` es (h, w), "
    "filas primero (h = alto, w = ancho); escribe `h, w = u.shape`."
)
_KERNEL_TRANSPOSED = "u[m, n] en lugar de u[n, m] (n recorre filas, m columnas)"


def explain_conv2d(got, x, u):
    """Spanish hint for a wrong grayscale 2D result ``got`` of x ⊛ u."""
    x, u = _as_lists(x), _as_lists(u)
    H, W, h, w = _n(x), _n(x[0]), _n(u), _n(u[0])
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    exp_shape = (H - h + 1, W - w + 1)
    if g.ndim != 2:
        return (
            f"La salida debe ser una matriz 2D de forma {exp_shape}; la tuya tiene forma {g.shape}."
        )
    gl = _np.ndarray.tolist(g)
    ref_t = ref_conv2d(x, _transpose(u))  # what loops reading u as (w, h) compute
    transposed = _shape_of(ref_t) == g.shape and close_lists(gl, ref_t)
    if g.shape != exp_shape:
        # `w, h = u.shape` (the lecture's W x H order taken literally) swaps the kernel's
        # sizes: with h != w the output is (H - w + 1, W - h + 1).
        if h != w and g.shape == (H - w + 1, W - h + 1):
            if transposed or g.shape != (exp_shape[1], exp_shape[0]):
                hint = f"Forma {g.shape} en vez de {exp_shape}: {_KERNEL_READ_AS_WH}"
                if transposed:
                    hint += f" Además recorres el kernel traspuesto: {_KERNEL_TRANSPOSED}."
                return hint
        if g.shape == (exp_shape[1], exp_shape[0]):
            return (
                f"Forma {g.shape} en vez de {exp_shape}: parece que has intercambiado filas y "
                "columnas. En NumPy la imagen es (H, W): filas primero, o[j, i] con j la fila."
            )
        if g.shape in ((exp_shape[0] - 1, exp_shape[1] - 1), (H - h, W - w)):
            return (
                f"Forma {g.shape} en vez de {exp_shape}: error por uno; la salida tiene "
                "(H - h + 1) x (W - w + 1) posiciones."
            )
        if g.shape == (H, W):
            return (
                f"Forma {g.shape} en vez de {exp_shape}: sin padding la salida es más "
                "pequeña que la entrada, (H - h + 1) x (W - w + 1)."
            )
        return f"Forma {g.shape} en vez de {exp_shape} = (H - h + 1, W - w + 1)."
    if close_lists(gl, ref_conv2d(x, _flip2(u))):
        return (
            "Has girado el kernel 180° (convolución matemática, como scipy.signal.convolve2d). "
            "Aquí se usa correlación cruzada: x[n + j, m + i] * u[n, m]."
        )
    if transposed:
        return f"Parece que usas el kernel traspuesto: {_KERNEL_TRANSPOSED}."
    return ""


# --------------------------------------------------------------------------------------
# Hidden checks, one per graded exercise
# --------------------------------------------------------------------------------------
def hidden_conv2d(fn, namespace=None, name="conv2d_loops"):
    """Non-square inputs and kernels (rows vs columns), 1 x 1 and full-size kernels."""
    rng = _Rng()
    cases = []
    for _ in range(3):
        H = rng.integers(4, 9)
        W = H + rng.integers(1, 4)  # never square
        h = rng.integers(1, 3)
        w = h + 1
        cases.append((rng.values((H, W)), rng.nonsymmetric((h, w))))
    cases.append((rng.values((7, 5)), rng.nonsymmetric((3, 2))))
    cases.append((rng.values((5, 5)), rng.nonsymmetric((3, 3))))
    cases.append((rng.values((4, 6)), rng.nonsymmetric((4, 6))))  # kernel = whole image
    cases.append((rng.values((3, 4)), [[2.5]]))
    for x, u in cases:
        got = _call(fn, (x, u), name, namespace)
        _check(got, ref_conv2d(x, u), name, explain_conv2d, (x, u))


def hidden_unit_range(fn, name="to_unit_range"):
    """uint8 [0, 255] -> float [-1, 1] with x / 127.5 - 1, no uint8 overflow."""
    rng = _Rng()
    imgs = [[[0, 255], [128, 1]], rng.values((5, 7), 0, 255), [[255] * 3] * 2]
    for img in imgs:
        a = _np.array(img, dtype=_np.uint8)
        before = _np.ndarray.tolist(a)
        got = fn(a)
        if _np.ndarray.tolist(a) != before:
            _fail(f"{name} ha modificado la imagen de entrada.")
        exp = [[v / 127.5 - 1.0 for v in row] for row in before]
        values = strict_floats(got, _shape_of(exp), name)
        if not close_lists(values, exp):
            _fail(
                f"{name} no lleva [0, 255] a [-1, 1] con x / 127.5 - 1: por ejemplo 0 -> -1, "
                "255 -> 1. Si multiplicas un uint8 por 2 antes de convertir a float, se "
                "desborda (200 * 2 = 144 en uint8)."
            )


def _ref_loss_grad(x, u, t):
    N = _n(x)
    h, w = _n(u), _n(u[0])
    Ho, Wo = _n(t[0]), _n(t[0][0])
    g = [[0.0] * w for _ in range(h)]
    for k in range(N):
        o = ref_conv2d(x[k], u)
        for j in range(Ho):
            for i in range(Wo):
                e = o[j][i] - t[k][j][i]
                for n in range(h):
                    for m in range(w):
                        g[n][m] += 2.0 * e * x[k][n + j][m + i] / (N * Ho * Wo)
    return g


def hidden_loss_grad(fn, namespace=None, name="loss_grad"):
    """dL/du for L = mean((x ⊛ u - t)^2) over a batch (N, H, W)."""
    rng = _Rng()
    cases = []
    for N, H, W, h, w in ((1, 4, 5, 2, 3), (3, 6, 5, 3, 2), (2, 5, 5, 3, 3)):
        x = rng.values((N, H, W))
        u = rng.nonsymmetric((h, w))
        t = rng.values((N, H - h + 1, W - w + 1))
        cases.append((x, u, t))
    for x, u, t in cases:
        got = _call(fn, (x, u, t), name, namespace, forbid=False)
        exp = _ref_loss_grad(x, u, t)
        try:
            values = strict_floats(got, _shape_of(exp), name)
        except _AssertionError as err:
            _fail(f"{err} El gradiente tiene la misma forma que el kernel u.")
        if close_lists(values, exp):
            continue
        N, Ho, Wo = _n(t), _n(t[0]), _n(t[0][0])
        hints = (
            (_scale(exp, 0.5), "falta el factor 2 de la derivada de (o - t)^2"),
            (_scale(exp, -1.0), "el signo está cambiado: el error es o - t, no t - o"),
            (_scale(exp, N * Ho * Wo), "has sumado en vez de promediar: divide entre N·Ho·Wo"),
            (_scale(exp, N), "divide entre el número total de salidas N·Ho·Wo, no solo Ho·Wo"),
            (_scale(exp, 1.0 / N), "has dividido dos veces por N"),
        )
        for variant, hint in hints:
            if close_lists(values, variant):
                _fail(f"{name}: {hint}.")
        _fail(
            f"{name} no coincide con dL/du[n, m] = 2/(N·Ho·Wo) · sum_k sum_j sum_i "
            "(o - t)[k, j, i] · x[k, n + j, m + i] para una entrada de forma "
            f"{_shape_of(x)} y un kernel {_shape_of(u)}."
        )
