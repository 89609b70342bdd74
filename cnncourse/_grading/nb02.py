"""Notebook 02 (2D convolution): hints for the visible tests and the hidden checks.

Exercises: ``conv2d_loops``, ``to_unit_range``, ``loss_grad``.

Every rule a hidden check enforces is also checked by the visible test, through
``checks.check_rules`` and this module's ``call_*`` guards (the hidden test's guard, plus a
hint when the answer crashes, or the rules of ``to_unit_range``), with a Spanish message
that names the rule. ``probe_conv2d_loops`` is the quick check ``checks.exercise`` runs
when a later test fails (``loss_grad`` may use ``conv2d_loops``).
"""

from __future__ import annotations

import numpy as _np

from ._core import (
    _array,
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
    _tuple,
    _type,
    close_lists,
    ref_conv2d,
    rule_error,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` hints and `checks.call_*` rule guards in its
# visible tests, `trusted(globals()).hidden_*` in its hidden ones; `probe_*` is found by
# `checks.exercise` (an earlier exercise that a later one may use).
__all__ = [
    "explain_conv2d",
    "explain_unit_range",
    "explain_loss_grad",
    "call_conv2d_loops",
    "call_to_unit_range",
    "call_loss_grad",
    "probe_conv2d_loops",
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
                f"Forma {g.shape} en vez de {exp_shape}: la salida es más pequeña que la "
                "entrada, porque el kernel solo cabe entero en (H - h + 1) x (W - w + 1) "
                "posiciones."
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


def _nb02_square_kernel(k):
    """A k x k kernel that differs from its transpose and from its 180° flip."""
    return [[float(1 + n * k + m) for m in range(k)] for n in range(k)]


def _nb02_crash_hint(fn, x, u):
    """What a conv2d answer that crashed on a non-square kernel does with a square one.

    Right with a square kernel: it swaps h and w somewhere; the transposed kernel's result:
    it reads u[m, n]. Anything else (or a crash again): no hint, the error speaks for itself.
    """
    x, u = _as_lists(x), _as_lists(u)
    H, W, h, w = _n(x), _n(x[0]), _n(u), _n(u[0])
    k = max(2, min(h, w))
    if h == w or k > H or k > W:
        return ""
    sq = _nb02_square_kernel(k)
    try:
        got = _np.asarray(fn(_array(x), _array(sq)), dtype=_np.float64)
    except Exception:  # noqa: BLE001 - the same answer may crash again
        return ""
    g = _np.ndarray.tolist(got)
    if _shape_of(g) == (H - k + 1, W - k + 1) and close_lists(g, ref_conv2d(x, sq)):
        return (
            f"Con un kernel cuadrado de {k} x {k} tu función acierta, pero con u de forma "
            f"{(h, w)} (h = {h} filas, w = {w} columnas) falla: en algún sitio usas h donde va "
            "w, o al revés. En NumPy `u.shape` es (h, w), filas primero: escribe "
            "`h, w = u.shape`, y la ventana de o[j, i] es x[j:j+h, i:i+w]."
        )
    if _shape_of(g) == (H - k + 1, W - k + 1) and close_lists(g, ref_conv2d(x, _transpose(sq))):
        return (
            f"Con un kernel cuadrado de {k} x {k} tu función no falla, pero da el resultado "
            f"del kernel traspuesto: usas {_KERNEL_TRANSPOSED}, o u.T. Con u de forma "
            f"{(h, w)} las formas ya no encajan y salta el error."
        )
    return ""


def call_conv2d_loops(fn, args, name, namespace=None):
    """The hidden test's guard (``_call``), and a hint when the answer crashes.

    For ``checks.check_rules(..., caller=checks.call_conv2d_loops)``: no library
    convolution, inputs untouched; an IndexError or ValueError on a non-square kernel is
    explained by what the answer does with a square one (h and w swapped, kernel
    transposed), the original error after the hint.
    """
    try:
        return _call(fn, args, name, namespace)
    except (IndexError, ValueError) as err:
        hint = _nb02_crash_hint(fn, args[0], args[1])
        if not hint:
            raise
        raise _AssertionError(
            f"{hint}\n(El error de tu función: {_type(err).__name__}: {err})"
        ) from err


def probe_conv2d_loops(fn):
    """'' when ``fn`` computes x ⊛ u right on a fixed 5 x 8 input and 2 x 3 kernel."""
    x = [[float((7 * j + 3 * i) % 11 - 5) for i in range(8)] for j in range(5)]
    u = [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]
    try:
        got = _call(fn, (x, u), "conv2d_loops", None, forbid=False)
    except _AssertionError as err:  # the input changed in place
        return str(err)
    except (IndexError, ValueError) as err:
        hint = _nb02_crash_hint(fn, x, u)
        why = f"{_type(err).__name__}: {err}"
        return f"Con x de forma (5, 8) y u de forma (2, 3) lanza {why}. {hint}".strip()
    exp = ref_conv2d(x, u)
    if _type(got) is not _np.ndarray:
        return f"Devuelve un objeto de tipo {_type(got).__name__}, no un np.ndarray."
    g = _np.ndarray.tolist(_np.asarray(got, dtype=_np.float64))
    if _tuple(got.shape) == _shape_of(exp) and close_lists(g, exp):
        return ""
    hint = explain_conv2d(got, x, u)
    return (
        f"Con x de forma (5, 8) y u de forma (2, 3) no da x ⊛ u (su propia celda de "
        f"comprobación también falla). {hint}".strip()
    )


# --------------------------------------------------------------------------------------
# to_unit_range: uint8 [0, 255] -> float [-1, 1]
# --------------------------------------------------------------------------------------
_NB02_UNIT = "x / 127.5 - 1 (127.5 = 255 / 2, con 255 el máximo de un uint8)"


def call_to_unit_range(fn, args, name, namespace=None):
    """The rules of to_unit_range: the image untouched, the result in float64.

    For ``checks.check_rules(..., caller=checks.call_to_unit_range)`` (which then checks
    the exact np.ndarray and the float dtype). float32 or float16 results are too coarse
    for the hidden check's tolerance: a rule, said in the statement.
    """
    img = args[0]
    before = _np.ndarray.tolist(img)
    got = fn(img)
    if _np.ndarray.tolist(img) != before:
        raise rule_error(
            f"{name} ha modificado la imagen de entrada: deja img como estaba y devuelve un "
            "array nuevo."
        )
    if _type(got) is _np.ndarray and got.dtype.kind == "f" and got.dtype.itemsize < 8:
        raise rule_error(
            f"{name} devuelve un array de tipo {got.dtype}: usa float64, el float de NumPy "
            "por defecto (img.astype(float), o dividir el uint8 entre 127.5). Con "
            f"{got.dtype} los valores pierden precisión: 128 no da exactamente 1/255."
        )
    return got


def explain_unit_range(got, img):
    """Spanish hint for a wrong ``to_unit_range(img)``, read from the values received."""
    a = _np.asarray(img, dtype=_np.float64)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    if g.shape != a.shape:
        return f"La salida tiene la forma de la imagen, {a.shape}; la tuya tiene {g.shape}."
    exp = a / 127.5 - 1.0
    wrong = ~_np.isclose(g, exp, rtol=1e-7, atol=1e-9)
    if not wrong.any():
        return ""
    if _np.allclose(g, ((a * 2) % 256) / 255 - 1):
        return (
            "Los píxeles de 0 a 127 salen bien y los de 128 a 255 no: img * 2 con un uint8 se "
            "desborda (el máximo es 255; 200 * 2 da 144). Convierte a float antes de "
            "multiplicar (img.astype(float)), o divide primero."
        )
    low = a < 128
    if low.any() and not wrong[low].any():
        return (
            "Los píxeles de 0 a 127 salen bien y algunos de 128 a 255 no: ¿se desborda algún "
            "cálculo hecho con el uint8 (su máximo es 255)? Convierte a float antes de operar."
        )
    if _np.allclose(g, _np.floor(a / 127.5) - 1.0):
        return "Usas la división entera (//), que redondea hacia abajo: divide con /."
    design = _np.stack([_np.ones(a.size), a.ravel()], axis=1)
    coef = _np.linalg.lstsq(design, g.ravel(), rcond=None)[0]
    if not _np.allclose(design @ coef, g.ravel(), rtol=1e-6, atol=1e-6):
        gap = float(_np.max(_np.abs(g - exp)))
        if gap < 0.051:
            return (
                f"Casi: tus valores se apartan de los esperados como mucho {gap:.3g}, y no "
                "siguen una misma fórmula a · x + b: no redondees el resultado."
            )
        return (
            "Tus valores no se obtienen con una misma fórmula a · x + b en todos los píxeles: "
            f"cada píxel x se transforma igual, con {_NB02_UNIT}."
        )
    black, white = coef[0], coef[0] + 255 * coef[1]

    def near(v, target):
        return abs(v - target) < 1e-6

    if near(black, 0) and near(white, 1):
        return (
            "Tus valores van de 0 a 1 (divides entre 255): falta pasarlos a [-1, 1], "
            f"multiplicando por 2 y restando 1, es decir {_NB02_UNIT}."
        )
    if near(black, 0) and near(white, 2):
        return "Tus valores van de 0 a 2: falta restar 1 (x / 127.5 - 1)."
    if near(black, 1) and near(white, -1):
        return "Al revés: el negro (0) debe dar -1 y el blanco (255), 1; tú das 1 y -1."
    if near(black, -1) and coef[1] > 0:
        return (
            f"El negro (0) da -1, bien, pero el blanco (255) da {white:.6g} en vez de 1: "
            f"divides entre {1 / coef[1]:.6g}. Para que 255 dé 1, {_NB02_UNIT}."
        )
    return (
        f"El negro (0) da {black:.6g} y el blanco (255) da {white:.6g}; deben dar -1 y 1, "
        f"con {_NB02_UNIT}."
    )


# --------------------------------------------------------------------------------------
# loss_grad: dL/du for L = mean((x_k ⊛ u - t_k)^2)
# --------------------------------------------------------------------------------------
def explain_loss_grad(got, expected, x, t):
    """Spanish hint for a wrong gradient ``got`` (``expected``: the right one, shape of u).

    Shapes first (the output's, one gradient per image, transposed), then a constant
    factor read from the values (the 2, the sign, the mean over N·Ho·Wo outputs: each
    missing or doubled divisor named), then the kernel flipped 180°.
    """
    exp = _np.asarray(expected, dtype=_np.float64)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    N = _np.shape(x)[0]
    Ho, Wo = _np.shape(t)[1:]
    h, w = exp.shape
    if g.shape != exp.shape:
        if g.shape == (w, h):
            return (
                f"Forma {g.shape} en vez de {(h, w)}: el gradiente tiene la forma del kernel "
                "(h, w), filas primero; parece traspuesto."
            )
        if g.shape == (N, h, w):
            return (
                f"Forma {g.shape}: un gradiente por imagen. Falta sumar las contribuciones de "
                "las N imágenes (la suma en k de la fórmula)."
            )
        if g.shape in ((Ho, Wo), (N, Ho, Wo)):
            return (
                f"Forma {g.shape}: es la forma de la salida (o del error o - t), no la del "
                f"kernel. El gradiente respecto a u tiene la forma de u, {(h, w)}: "
                "sum_k x_k ⊛ (o_k - t_k), por 2/(N·Ho·Wo)."
            )
        return f"El gradiente tiene la forma del kernel u, {(h, w)}; el tuyo tiene {g.shape}."
    if _np.allclose(g, exp, rtol=1e-5, atol=1e-9):
        return ""
    scale = float(_np.vdot(g, exp) / max(_np.vdot(exp, exp), 1e-300))
    if _np.allclose(g, scale * exp, rtol=1e-5, atol=1e-9) and abs(scale) > 1e-12:
        reasons = _nb02_factor_reasons(scale, N, Ho * Wo)
        if reasons:
            return (
                f"Tu gradiente es el correcto multiplicado por {scale:.6g}: "
                + "; ".join(reasons)
                + "."
            )
        return (
            f"Tu gradiente es el correcto multiplicado por {scale:.6g}: revisa la constante "
            "2/(N·Ho·Wo) y el signo del error (o - t)."
        )
    if _np.allclose(g, exp[::-1, ::-1], rtol=1e-5, atol=1e-9):
        return (
            "Tu gradiente es el correcto girado 180°: es sum_k x_k ⊛ (o_k - t_k), una "
            "correlación cruzada como la de la clase, sin girar nada."
        )
    return ""


def _nb02_factor_reasons(scale, N, HoWo):
    """The mistakes whose product is ``scale`` (sign, the 2, N and Ho·Wo), or []."""
    for sign in (1, -1):
        for a in (0, -1, 1):
            for b in (0, 1, -1):
                for c in (0, 1, -1):
                    if (sign, a, b, c) == (1, 0, 0, 0):
                        continue
                    r = sign * 2.0**a * float(N) ** b * float(HoWo) ** c
                    if abs(scale - r) > 1e-5 * abs(r):
                        continue
                    out = []
                    if sign < 0:
                        out.append("el signo está cambiado (el error es o - t, no t - o)")
                    if a < 0:
                        out.append("falta el factor 2 de la derivada de (o - t)²")
                    if a > 0:
                        out.append("sobra un factor 2")
                    total = f"N·Ho·Wo = {N}·{HoWo} = {N * HoWo}"
                    if b > 0 and c > 0:
                        out.append(f"has sumado en vez de promediar: divide entre {total}")
                    elif c > 0:
                        out.append(
                            f"divides solo entre N = {N} (el número de imágenes), pero la "
                            f"media es sobre todas las salidas: divide entre {total} (las "
                            f"Ho·Wo = {HoWo} posiciones de cada una de las N salidas)"
                        )
                    elif b > 0:
                        out.append(
                            f"divides solo entre Ho·Wo = {HoWo}: divide también entre N = {N}, "
                            f"el número de imágenes ({total})"
                        )
                    if b < 0:
                        out.append(f"has dividido dos veces entre N = {N}")
                    if c < 0:
                        out.append(f"has dividido dos veces entre Ho·Wo = {HoWo}")
                    return out
    return []


def call_loss_grad(fn, args, name, namespace=None):
    """The hidden test's guard for loss_grad (any library call allowed, x, u and t must
    survive), with the modified argument named. For ``checks.check_rules(...,
    caller=checks.call_loss_grad)``."""
    arrays = [_np.array(a, dtype=_np.float64) for a in args]
    try:
        got = fn(*args)
    except NotImplementedError as err:
        tb, last = err.__traceback__, ""
        while tb is not None:
            last, tb = tb.tb_frame.f_code.co_name, tb.tb_next
        if last != "conv2d_loops":
            raise
        raise _AssertionError(
            f"Tu conv2d_loops está sin hacer: hazla primero ({name} la usa, así que esta "
            "comprobación no puede pasar hasta que conv2d_loops funcione)."
        ) from err
    for k, label in enumerate(("la pila de imágenes x", "el kernel u", "las respuestas t")):
        if not _np.array_equal(args[k], arrays[k]):
            raise rule_error(
                f"{name} ha modificado {label} (su argumento número {k + 1}): ha escrito "
                "sobre el propio array que recibe. No cambies las entradas: calcula en arrays "
                "nuevos (err = o - t) en vez de operar directamente sobre ellas (-=, *=, ...)."
            )
    return got


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
    """uint8 [0, 255] -> float64 [-1, 1] with x / 127.5 - 1, no uint8 overflow."""
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
        if got.dtype.itemsize < 8:
            _fail(
                f"{name} devuelve un array de tipo {got.dtype}: usa float64, el float de "
                "NumPy por defecto; con menos bits los valores pierden precisión."
            )
        if not close_lists(values, exp):
            hint = explain_unit_range(got, a)
            _fail(
                f"{name} no lleva [0, 255] a [-1, 1] con x / 127.5 - 1: por ejemplo 0 -> -1, "
                f"255 -> 1. {hint}".strip()
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
            (_scale(exp, 0.5), "falta el factor 2 de la derivada de (o - t)²"),
            (_scale(exp, -1.0), "el signo está cambiado: el error es o - t, no t - o"),
            (_scale(exp, N * Ho * Wo), "has sumado en vez de promediar: divide entre N·Ho·Wo"),
            (_scale(exp, N), "divide entre el número total de salidas N·Ho·Wo, no solo Ho·Wo"),
            (
                _scale(exp, Ho * Wo),
                "divides solo entre N (el número de imágenes): la media es sobre todas las "
                "salidas, divide entre N·Ho·Wo",
            ),
            (_scale(exp, 1.0 / N), "has dividido dos veces entre N"),
        )
        for variant, hint in hints:
            if close_lists(values, variant):
                _fail(f"{name}: {hint}.")
        _fail(
            f"{name} no coincide con dL/du[n, m] = 2/(N·Ho·Wo) · sum_k sum_j sum_i "
            "(o - t)[k, j, i] · x[k, n + j, m + i] para una entrada de forma "
            f"{_shape_of(x)} y un kernel {_shape_of(u)}."
        )
