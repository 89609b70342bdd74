"""Notebook 03 (channels): hints for the visible tests and the hidden checks.

Exercises: ``conv2d_rgb``, ``conv2d_multi``, ``rgb_to_gray`` (a 1 x 1 convolution).
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
    _tuple,
    _type,
    close_lists,
    ref_conv2d,
    ref_conv_rgb,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` in its visible tests and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_conv_rgb",
    "explain_rgb_to_gray",
    "hidden_conv_rgb",
    "hidden_conv_multi",
    "hidden_rgb_to_gray",
]


# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
def explain_conv_rgb(got, x, u):
    """Spanish hint for a wrong multi-channel result (C, H, W) ⊛ (C, h, w) -> (Ho, Wo)."""
    x, u = _as_lists(x), _as_lists(u)
    C, H, W = _n(x), _n(x[0]), _n(x[0][0])
    h, w = _n(u[0]), _n(u[0][0])
    exp_shape = (H - h + 1, W - w + 1)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    if g.shape == (C,) + exp_shape:
        return (
            f"Forma {g.shape}: has calculado una salida por canal pero no las has sumado. "
            "Con un filtro C x h x w la salida es 2D: o = sum_c (x_c ⊛ u_c)."
        )
    if g.ndim != 2 or g.shape != exp_shape:
        if g.shape == (exp_shape[1], exp_shape[0]):
            return f"Forma {g.shape} en vez de {exp_shape}: filas y columnas intercambiadas."
        return f"La salida debe tener forma (H - h + 1, W - w + 1) = {exp_shape}; tiene {g.shape}."
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_conv2d(x[0], u[0])):
        return "Solo has usado el canal 0: hay que sumar la contribución de los C canales."
    if C > 1 and close_lists(gl, _scale(ref_conv_rgb(x, u), 1.0 / C)):
        return "Has hecho la media de los canales; la fórmula los suma (sin dividir por C)."
    if close_lists(gl, ref_conv_rgb(x, [_flip2(c) for c in u])):
        return "Has girado el kernel 180°: aquí la convolución es correlación cruzada, sin girarlo."
    return ""


# --------------------------------------------------------------------------------------
# Hidden checks, one per graded exercise
# --------------------------------------------------------------------------------------
def hidden_conv_rgb(fn, namespace=None, name="conv2d_rgb"):
    """C = 1..4 channels, non-square images and kernels."""
    rng = _Rng()
    cases = []
    for C in (3, 1, 2, 4):
        H = rng.integers(4, 7)
        W = H + rng.integers(1, 3)
        h = rng.integers(1, 3)
        w = h + 1 if C != 2 else h
        cases.append((rng.values((C, H, W)), rng.nonsymmetric((C, h, w))))
    cases.append((rng.values((3, 3, 3)), rng.nonsymmetric((3, 3, 3))))
    for x, u in cases:
        got = _call(fn, (x, u), name, namespace, allow_2d=True)
        _check(got, ref_conv_rgb(x, u), name, explain_conv_rgb, (x, u))


def hidden_conv_multi(fn, namespace=None, name="conv2d_multi"):
    """D filters of shape (C, h, w) give D output maps, in order."""
    rng = _Rng()
    for C, D in ((3, 2), (1, 3), (2, 1), (3, 4)):
        H = rng.integers(4, 7)
        W = H + 1
        x = rng.values((C, H, W))
        filters = [rng.nonsymmetric((C, 2, 3)) for _ in range(D)]
        got = _call(fn, (x, filters), name, namespace, allow_2d=True)
        exp = [ref_conv_rgb(x, f) for f in filters]
        shape = _shape_of(exp)
        try:
            values = strict_floats(got, shape, name)
        except _AssertionError as err:
            extra = ""
            if _type(got) is _np.ndarray and _tuple(got.shape) == (shape[1], shape[2], D):
                extra = " Los mapas van en el primer eje: (D, Ho, Wo), no (Ho, Wo, D)."
            _fail(f"{err}{extra}")
        if not close_lists(values, exp):
            _fail(
                f"{name}: el mapa d debe ser conv2d_rgb(x, filters[d]) para cada filtro d, en "
                f"orden (entrada {_shape_of(x)}, filtros {_shape_of(filters)})."
            )


# --------------------------------------------------------------------------------------
# rgb_to_gray: the grey conversion as a (3, 1, 1) convolution
# --------------------------------------------------------------------------------------
GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, in channel order R, G, B


def _ref_gray(x, weights=GRAY_WEIGHTS):
    """o[j][i] = sum_c weights[c] * x[c][j][i], on nested lists."""
    H, W = _n(x[0]), _n(x[0][0])
    out = []
    for j in range(H):
        row = []
        for i in range(W):
            acc = 0.0
            for c in range(_n(x)):
                acc = acc + weights[c] * x[c][j][i]
            row.append(acc)
        out.append(row)
    return out


def explain_rgb_to_gray(got, x):
    """Spanish hint for a wrong grey image of a (3, H, W) colour image ``x``."""
    x = _as_lists(x)
    H, W = _n(x[0]), _n(x[0][0])
    if _type(got) is not _np.ndarray:
        return f"Devuelve un np.ndarray de forma ({H}, {W}), no un {_type(got).__name__}."
    shape = _tuple(got.shape)
    if shape in ((1, H, W), (H, W, 1)):
        return (
            f"Forma {shape}: has dejado un eje de tamaño 1 (un solo filtro). La convolución "
            f"RGB con un kernel (3, 1, 1) da una matriz 2D de forma ({H}, {W})."
        )
    if shape == (3, H, W):
        return "Forma (3, H, W): has ponderado los canales pero no los has sumado."
    if shape != (H, W):
        return f"La salida debe tener forma ({H}, {W}); tiene {shape}."
    if got.dtype.kind != "f":
        return (
            f"El resultado es de tipo {got.dtype}: no redondees ni conviertas a enteros; "
            "devuelve los valores float de la suma ponderada."
        )
    values = _np.ndarray.tolist(got)
    if close_lists(values, _ref_gray(x, GRAY_WEIGHTS[::-1])):
        return (
            "Has puesto los pesos en orden inverso (B, G, R, como OpenCV): el canal 0 es el "
            "rojo y lleva 0.299, el 1 el verde (0.587) y el 2 el azul (0.114)."
        )
    if close_lists(values, _ref_gray(x, (1 / 3, 1 / 3, 1 / 3))):
        return (
            "Has hecho la media de los tres canales; la fórmula pondera cada canal: "
            "0.299 R + 0.587 G + 0.114 B."
        )
    if close_lists(values, _ref_gray(x, GRAY_WEIGHTS), rtol=0.0, atol=0.5):
        return "Casi: parece que has redondeado el resultado; devuelve los valores sin redondear."
    return ""


def hidden_rgb_to_gray(fn, namespace=None, name="rgb_to_gray"):
    """(3, H, W) -> (H, W): 0.299 R + 0.587 G + 0.114 B, float, input untouched."""
    rng = _Rng()
    cases = [[[[100.0, 0.0]], [[0.0, 100.0]], [[0.0, 0.0]]]]
    for _ in range(3):
        H, W = rng.integers(1, 5), rng.integers(2, 6)
        cases.append(rng.values((3, H, W), 0, 255))
    for x in cases:
        got = _call(fn, (x,), name, namespace, forbid=False)
        exp = _ref_gray(x)
        try:
            values = strict_floats(got, _shape_of(exp), name)
        except _AssertionError as err:
            _fail(f"{err} {explain_rgb_to_gray(got, x)}".strip())
        if not close_lists(values, exp):
            _fail(
                f"{name} no da 0.299·R + 0.587·G + 0.114·B en cada píxel para una imagen de "
                f"forma {_shape_of(x)}. {explain_rgb_to_gray(got, x)}".strip()
            )
