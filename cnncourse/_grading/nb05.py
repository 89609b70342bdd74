"""Notebook 05 (pooling): hints for the visible tests and the hidden checks.

Exercises: ``pool2d_loops``, ``global_pool_loops``, ``maxpool_backward``.

The visible tests run every call of the student's function through
:func:`check_pool_rules` (the hidden tests' own guard, ``_pool_call``, inside
``check_rules``), so each rule the hidden checks apply (no library pooling or convolution,
in the code or at run time; the inputs not modified; an exact float ``numpy.ndarray``) is
said before grading. :func:`probe_pool2d_loops` lets ``checks.exercise`` blame a wrong
``pool2d_loops`` when a later answer that uses it fails.

The visible test of ``maxpool_backward`` ends with a numerical gradient check (central
differences of sum(dout * maxpool(x)) on an input without ties); a mismatch there is
explained by :func:`explain_maxpool_numeric`.

The library's semantics, which the references below follow with plain loops on lists:
stride defaults to the window size; padding never wins (-inf for max, +inf for min);
avg divides by the full window, the padded zeros included (PyTorch's
``count_include_pad=True``); max backward sends each window's gradient to the first
arg-max in row-major order, and the gradients of overlapping windows add up.
"""

from __future__ import annotations

import sys as _sys

import numpy as _np

from ._core import (
    _FORBIDDEN_NAMES,
    _array,
    _as_lists,
    _AssertionError,
    _code_names,
    _dict,
    _fail,
    _float,
    _function,
    _irange,
    _list,
    _n,
    _python_code,
    _Rng,
    _scale,
    _shape_of,
    _Tripwire,
    _tuple,
    _type,
    check_rules,
    close_lists,
    rule_error,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` in its visible tests and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_pool2d",
    "explain_global_pool",
    "explain_maxpool_backward",
    "explain_maxpool_numeric",
    "hidden_pool2d",
    "hidden_global_pool",
    "hidden_maxpool_backward",
    "check_pool_rules",
    "probe_pool2d_loops",
]

_POOL_INF = _float("inf")
_POOL_OP_ES = {"max": "el máximo", "min": "el mínimo", "avg": "la media"}

# --------------------------------------------------------------------------------------
# Trusted references on nested lists
# --------------------------------------------------------------------------------------


def _pool_out(n, k, s, p):
    """floor((n + 2p - k) / s) + 1, the output length along one axis (H5)."""
    return (n + 2 * p - k) // s + 1


def ref_pool2d(x, k, s=None, p=0, mode="max", fill=None, count_pad=True, step=None):
    """Pooling of x (a list of rows) with k x k windows, stride s (default k), padding p.

    Padding never wins (-inf for max, +inf for min) and avg divides by k*k (P3). The
    keyword arguments give the classic mistakes: ``fill`` the value of the padded cells
    (0 lets the padding win), ``count_pad=False`` averages over the real cells only,
    ``step`` moves the windows by ``step`` instead of ``s`` (the output size still uses s).
    """
    s = k if s is None else s
    step = s if step is None else step
    H, W = _n(x), _n(x[0])
    if fill is None:
        fill = -_POOL_INF if mode == "max" else (_POOL_INF if mode == "min" else 0.0)
    Ho, Wo = _pool_out(H, k, s, p), _pool_out(W, k, s, p)
    out = []
    for j in _irange(Ho):
        row = []
        for i in _irange(Wo):
            values = []
            real = 0
            for n in _irange(k):
                for m in _irange(k):
                    r = step * j + n - p
                    c = step * i + m - p
                    if 0 <= r < H and 0 <= c < W:
                        values.append(x[r][c])
                        real = real + 1
                    else:
                        values.append(fill)
            best = values[0]
            total = 0.0
            for v in values:
                total = total + v
                if (mode == "max" and v > best) or (mode == "min" and v < best):
                    best = v
            if mode == "avg":
                best = total / (k * k if count_pad else real)
            row.append(best)
        out.append(row)
    return out


def ref_global_pool(x, mode="avg"):
    """One number per channel of x (C, H, W): its mean, max or min (P4)."""
    out = []
    for channel in x:
        values = []
        for row in channel:
            for v in row:
                values.append(v)
        best = values[0]
        total = 0.0
        for v in values:
            total = total + v
            if (mode == "max" and v > best) or (mode == "min" and v < best):
                best = v
        out.append(total / _n(values) if mode == "avg" else best)
    return out


def ref_maxpool_backward(dout, x, k, s=None, variant=""):
    """dL/dx of a k x k max pooling with stride s (default k): each window's gradient goes
    to its first arg-max (row-major) and overlapping windows add up.

    ``variant`` gives the classic mistakes: "all" (every input of the window gets the
    gradient), "avg" (gradient / k*k to every input: avg pooling's backward), "last"
    (last arg-max on ties), "overwrite" (= instead of +=), "min" (the arg-min), "step1"
    (windows moved by 1 instead of s), "xshape" (``np.unravel_index`` of the window's
    arg-max with x's shape instead of the window's), "origin" (the position inside the
    window written without the window's origin), "k2" (windows of 2 x 2 whatever k).
    Returns None when the mistake would write outside x (the student's code then raises
    IndexError: no values to compare).
    """
    s = k if s is None else s
    step = 1 if variant == "step1" else s
    if variant == "k2":
        k = 2
    H, W = _n(x), _n(x[0])
    Ho, Wo = _n(dout), _n(dout[0])
    dx = [[0.0] * W for _ in _irange(H)]
    for j in _irange(Ho):
        for i in _irange(Wo):
            g = dout[j][i]
            if variant in ("all", "avg"):
                share = g if variant == "all" else g / (k * k)
                for n in _irange(k):
                    for m in _irange(k):
                        dx[step * j + n][step * i + m] = dx[step * j + n][step * i + m] + share
                continue
            best, bn, bm = None, 0, 0
            for n in _irange(k):
                for m in _irange(k):
                    v = x[step * j + n][step * i + m]
                    if variant == "last":
                        better = best is None or v >= best
                    elif variant == "min":
                        better = best is None or v < best
                    else:
                        better = best is None or v > best
                    if better:
                        best, bn, bm = v, n, m
            r, c = step * j + bn, step * i + bm
            if variant == "xshape":  # np.unravel_index(n·k + m, (H, W))
                f = bn * k + bm
                r, c = step * j + f // W, step * i + f % W
            elif variant == "origin":
                r, c = bn, bm
            if not (r < H and c < W):
                return None
            dx[r][c] = g if variant == "overwrite" else dx[r][c] + g
    return dx


# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
def _pool_clamped(values, mode):
    """``values`` (nested lists) as if the max had started at 0 (or the min at 0)."""
    if _type(values) is _list:
        return [_pool_clamped(v, mode) for v in values]
    if mode == "max":
        return values if values > 0.0 else 0.0
    return values if values < 0.0 else 0.0


def _pool_zero_start(mode, where):
    """The hint for a max (min) that never goes below (above) 0, seen in ``where``."""
    if mode == "max":
        what, never, sign, start = "máximo", "baja", "negativos", "-np.inf"
    else:
        what, never, sign, start = "mínimo", "sube", "positivos", "np.inf"
    return (
        f"Tu {what} nunca {never} de 0: en {where} con todos los valores {sign} das 0 en "
        f"vez del {what} de sus valores. ¿Empiezas el {what} con 0? Empieza con el primer "
        f"valor, con {start}, o usa .{mode}()."
    )


def _pool_as_array(got):
    try:
        return _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001 - any object a student returns
        return None


def explain_pool2d(got, x, kernel_size=2, stride=None, padding=0, mode="max"):
    """Spanish hint for a wrong result ``got`` of pooling x (H, W), or '' if none matches."""
    x = _as_lists(x)
    k, p = kernel_size, padding
    s = k if stride is None else stride
    H, W = _n(x), _n(x[0])
    g = _pool_as_array(got)
    if g is None:
        return "El resultado no se puede convertir en un array de números."
    exp_shape = (_pool_out(H, k, s, p), _pool_out(W, k, s, p))
    shape = _tuple(g.shape)
    if g.ndim != 2:
        return f"La salida debe ser una matriz 2D de forma {exp_shape}; la tuya es {shape}."
    if shape != exp_shape:
        head = f"Forma {shape} en vez de {exp_shape}"
        if s != 1 and shape == (_pool_out(H, k, 1, p), _pool_out(W, k, 1, p)):
            default = " (con stride=None, el stride es kernel_size)" if stride is None else ""
            return (
                f"{head}: tu ventana avanza de 1 en 1; debe avanzar {s} posiciones{default}. "
                f"La ventana de la salida (j, i) empieza en la fila j·s y la columna i·s."
            )
        if shape == (exp_shape[0] - 1, exp_shape[1] - 1):
            return (
                f"{head}: error por uno, te falta la última ventana. La fórmula es "
                "⌊(H + 2p − k)/s⌋ + 1: no olvides el + 1."
            )
        if shape == (exp_shape[0] + 1, exp_shape[1] + 1) and (H + 2 * p - k) % s == 0:
            return (
                f"{head}: error por uno, te sobra una ventana: la última empieza en "
                "H + 2p − k, y no más allá."
            )
        ceil = (-(-(H + 2 * p - k) // s) + 1, -(-(W + 2 * p - k) // s) + 1)
        if shape == ceil:
            return (
                f"{head}: redondeas hacia arriba (como ceil_mode=True en PyTorch). La fórmula "
                "del ejercicio redondea hacia abajo, ⌊(H + 2p − k)/s⌋ + 1: una ventana que no "
                "cabe entera no produce salida."
            )
        if p and shape == (_pool_out(H, k, s, 0), _pool_out(W, k, s, 0)):
            return f"{head}: no has añadido el padding (p = {p} a cada lado)."
        if p and shape == (_pool_out(H, k, s, 0) + 1, _pool_out(W, k, s, 0) + 1):
            return f"{head}: has puesto el padding en un solo lado; va en los dos (p a cada lado)."
        if shape == (H, W):
            return f"{head}: la salida no puede medir lo mismo que la entrada; el pooling reduce."
        if shape == (exp_shape[1], exp_shape[0]):
            return f"{head}: has intercambiado filas y columnas; en NumPy x.shape es (H, W)."
        return f"{head} = (⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1)."
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_pool2d(x, k, s, p, mode)):
        return ""
    if mode in ("max", "min"):
        other = "min" if mode == "max" else "max"
        if close_lists(gl, ref_pool2d(x, k, s, p, other)):
            return (
                f"Has intercambiado el máximo y el mínimo: con mode={mode!r} cada ventana da "
                f"{_POOL_OP_ES[mode]}, no {_POOL_OP_ES[other]}."
            )
        if p and close_lists(gl, ref_pool2d(x, k, s, p, mode, fill=0.0)):
            sign = "negativos" if mode == "max" else "positivos"
            fill = "−∞" if mode == "max" else "+∞"
            return (
                f"Sale un valor del padding: en una ventana con valores {sign}, un cero del "
                f"padding ha sido {_POOL_OP_ES[mode]}. El padding nunca puede ser el resultado: "
                f"rellena con {fill} (o usa solo las celdas de la entrada)."
            )
    if mode in ("max", "min"):
        exp = ref_pool2d(x, k, s, p, mode)
        if close_lists(gl, _pool_clamped(exp, mode)):
            return _pool_zero_start(mode, "las ventanas")
    if mode == "avg" and p:
        if close_lists(gl, ref_pool2d(x, k, s, p, mode, count_pad=False)):
            return (
                "Has hecho la media solo sobre la parte válida de la ventana (las celdas de "
                "la entrada, sin el padding). Aquí, como en PyTorch (count_include_pad=True), "
                f"la media divide siempre entre el tamaño completo de la ventana, k·k = {k * k}: "
                "los ceros del padding cuentan."
            )
    if s != 1 and close_lists(gl, ref_pool2d(x, k, s, p, mode, step=1)):
        return (
            "Tus ventanas avanzan de 1 en 1 aunque la forma es la correcta: la ventana de la "
            f"salida (j, i) empieza en la fila j·s y la columna i·s (s = {s}), no en (j, i)."
        )
    if mode == "avg":
        exp = ref_pool2d(x, k, s, p, mode)
        if close_lists(gl, _scale(exp, k * k)):
            return f"Has sumado la ventana sin dividir: la media divide entre k·k = {k * k}."
        if k > 1 and close_lists(gl, _scale(exp, k)):
            return f"Has dividido entre k = {k}; la ventana tiene k·k = {k * k} valores."
    for other in ("max", "avg", "min"):
        if other != mode and close_lists(gl, ref_pool2d(x, k, s, p, other)):
            op = _POOL_OP_ES[other]
            return f"Con mode={mode!r} has calculado {op}: revisa cómo eliges la operación."
    return ""


def explain_global_pool(got, x, mode="avg"):
    """Spanish hint for a wrong global pooling ``got`` of x (C, H, W), or ''."""
    x = _as_lists(x)
    C, H, W = _n(x), _n(x[0]), _n(x[0][0])
    g = _pool_as_array(got)
    if g is None:
        return "El resultado no se puede convertir en un array de números."
    shape = _tuple(g.shape)
    head = f"Forma {shape} en vez de ({C},)"
    method = {"avg": "mean", "max": "max", "min": "min"}.get(mode, "mean")
    per_channel = (
        f"recorre los canales con un bucle y resume cada matriz x[c] entera (x[c].{method}())."
    )
    if shape != (C,):
        if shape in ((C, 1, 1), (C, 1)):
            return (
                f"{head}: has conservado los ejes resumidos (como keepdims=True). El global "
                "pooling da un vector de longitud C, un número por canal: forma (C,)."
            )
        if g.size == 1 and C != 1:
            return (
                f"{head}: un solo número para todo el volumen. Hay que resumir cada canal "
                f"(cada matriz H × W) por separado: {C} canales, {C} números."
            )
        if shape == (H, W):
            return (
                f"{head}: has resumido a lo largo de la profundidad (eje 0), mezclando los "
                f"canales. Cada canal se resume por separado: {per_channel}"
            )
        if shape in ((C, H), (C, W)):
            which = "las columnas (eje 2)" if shape == (C, H) else "las filas (eje 1)"
            return (
                f"{head}: solo has resumido {which}. Cada matriz H × W se resume en un solo "
                f"número: {per_channel}"
            )
        if shape in ((H,), (W,)):
            return (
                f"{head}: has resumido sobre el eje equivocado. Con x de forma (C, H, W) "
                "el resultado tiene un número por canal: forma (C,)."
            )
        return f"{head}: un número por canal."
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_global_pool(x, mode)):
        return ""
    if mode in ("max", "min") and close_lists(gl, _pool_clamped(ref_global_pool(x, mode), mode)):
        return _pool_zero_start(mode, "los canales")
    if mode == "avg" and close_lists(gl, _scale(ref_global_pool(x, mode), H * W)):
        return f"Has sumado sin dividir: la media divide entre H·W = {H * W}."
    for other in ("avg", "max", "min"):
        if other != mode and close_lists(gl, ref_global_pool(x, other)):
            return f"Con mode={mode!r} has calculado {_POOL_OP_ES[other]} de cada canal."
    if C > 1 and close_lists(gl, [ref_global_pool(x, mode)[0]] * C):
        return "Todos los valores salen del canal 0: resume cada canal c con su matriz x[c]."
    return ""


_MAXPOOL_HINTS = (
    (
        "all",
        "Has enviado el gradiente de cada ventana a todas las entradas de la ventana. En el "
        "máximo solo influye la entrada que lo tiene: esa recibe el gradiente y las demás, 0.",
    ),
    (
        "avg",
        "Has repartido el gradiente a partes iguales entre las k·k entradas de la ventana: "
        "esa es la pasada hacia atrás del average pooling, no la del máximo. En max pooling "
        "todo el gradiente va a la entrada que tiene el máximo.",
    ),
    (
        "last",
        "Empate: cuando varias entradas de la ventana tienen el mismo máximo, el gradiente va "
        "a la primera en orden de filas (la que da np.argmax, como en PyTorch); tú lo "
        "envías a la última. Compara con > estricto, no con >=.",
    ),
    (
        "overwrite",
        "Con ventanas solapadas (stride < kernel_size) una misma entrada puede ser el máximo "
        "de varias ventanas: sus gradientes se suman (dx[...] += ...); tú los sobrescribes "
        "(dx[...] = ...).",
    ),
    (
        "min",
        "Has enviado el gradiente a la posición del mínimo de cada ventana; va a la del máximo.",
    ),
    (
        "step1",
        "Tus ventanas avanzan de 1 en 1: la ventana de la salida (j, i) empieza en la fila "
        "j·s y la columna i·s de la entrada.",
    ),
    (
        "xshape",
        "Has pasado la posición del máximo de np.argmax(window) a (fila, columna) con la "
        "forma de x: np.unravel_index necesita la forma de la ventana, "
        "np.unravel_index(np.argmax(window), window.shape), que da (n, m) dentro de la "
        "ventana; en x es (j·s + n, i·s + m).",
    ),
    (
        "origin",
        "El gradiente de cada ventana va a la posición del máximo dentro de la ventana, "
        "(n, m), sin sumarle dónde empieza la ventana: en x esa posición es (j·s + n, i·s + m).",
    ),
)


def explain_maxpool_backward(got, dout, x, kernel_size=2, stride=None):
    """Spanish hint for a wrong max-pool gradient ``got`` (the shape of x), or ''."""
    dout, x = _as_lists(dout), _as_lists(x)
    k = kernel_size
    s = k if stride is None else stride
    H, W = _n(x), _n(x[0])
    g = _pool_as_array(got)
    if g is None:
        return "El resultado no se puede convertir en un array de números."
    shape = _tuple(g.shape)
    if shape != (H, W):
        if shape == _shape_of(dout):
            return (
                f"dx tiene la forma de dout {shape}; debe tener la de la entrada x, {(H, W)}: "
                "un gradiente por cada entrada."
            )
        return f"dx debe tener la forma de x, {(H, W)}; tiene {shape}."
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_maxpool_backward(dout, x, k, s)):
        return ""
    for variant, hint in _MAXPOOL_HINTS:
        if variant == "step1" and s == 1:
            continue
        ref = ref_maxpool_backward(dout, x, k, s, variant)
        if ref is not None and close_lists(gl, ref):
            return hint
    if k != 2:
        ref = ref_maxpool_backward(dout, x, k, s, "k2")
        if ref is not None and close_lists(gl, ref):
            return (
                f"Tus ventanas miden siempre 2 × 2: con kernel_size={k} la ventana (j, i) es "
                f"x[j·s : j·s + k, i·s : i·s + k], de {k} × {k}. Usa kernel_size, no un 2 fijo."
            )
    return ""


def _absf(v):
    return v if v >= 0.0 else -v


def _maxpool_wins(x, k, s, r, c):
    """The windows (j, i) of a k x k max pooling with stride s whose first arg-max is
    x[r][c] (the windows whose gradient x[r][c] receives)."""
    H, W = _n(x), _n(x[0])
    wins = []
    for j in _irange(_pool_out(H, k, s, 0)):
        for i in _irange(_pool_out(W, k, s, 0)):
            best, br, bc = None, 0, 0
            for n in _irange(k):
                for m in _irange(k):
                    v = x[j * s + n][i * s + m]
                    if best is None or v > best:
                        best, br, bc = v, j * s + n, i * s + m
            if (br, bc) == (r, c):
                wins.append((j, i))
    return wins


def explain_maxpool_numeric(got, numeric, dout, x, kernel_size=2, stride=None):
    """Spanish hint when ``got`` differs from the numerical gradient ``numeric`` (central
    differences of sum(dout * maxpool(x)), x without ties): a classic mistake if one
    matches (:func:`explain_maxpool_backward`), else the first entry that differs, what
    its numerical gradient means (0: x[r, c] is the maximum of no window; otherwise the
    sum of the dout of the windows whose maximum it is) and what the answer gave."""
    first = explain_maxpool_backward(got, dout, x, kernel_size, stride)
    if first:
        return first
    g = _pool_as_array(got)
    num = _pool_as_array(numeric)
    if g is None or num is None or _tuple(g.shape) != _tuple(num.shape):
        return ""
    x, dout = _as_lists(x), _as_lists(dout)
    k = kernel_size
    s = k if stride is None else stride
    gl, nl = _np.ndarray.tolist(g), _np.ndarray.tolist(num)
    for r in _irange(_n(nl)):
        for c in _irange(_n(nl[0])):
            a, b = gl[r][c], nl[r][c]
            if _absf(a - b) <= 1e-8 + 1e-5 * _absf(b):
                continue
            here = f"x[{r}, {c}] = {x[r][c]:g}"
            if _absf(b) <= 1e-8:
                return (
                    f"{here} no es el máximo de ninguna ventana: si se mueve un poco, ninguna "
                    f"salida cambia y su gradiente numérico es 0; tu dx[{r}, {c}] vale {a:.4g}."
                )
            wins = _maxpool_wins(x, k, s, r, c)
            names = ", ".join(f"({j}, {i})" for j, i in wins)
            terms = " + ".join(
                f"({dout[j][i]:.4g})" if dout[j][i] < 0.0 else f"{dout[j][i]:.4g}" for j, i in wins
            )
            if _n(wins) > 1:
                what = f"de las ventanas {names}: su gradiente numérico es la suma de sus dout"
                total = f"{terms} = {b:.4g}"
            else:
                what = f"de la ventana {names}: su gradiente numérico es el dout de esa ventana"
                total = f"{b:.4g}"
            return f"{here} es el máximo {what}, {total}; tu dx[{r}, {c}] vale {a:.4g}."
    return ""


# --------------------------------------------------------------------------------------
# Guards: no library pooling while a student function runs
# --------------------------------------------------------------------------------------
_POOL_NAMES = (
    "pool2d",
    "global_pool",
    "pool2d_backward",
    "block_reduce",
    "maximum_filter",
    "minimum_filter",
    "uniform_filter",
    "generic_filter",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    # torch (torch.nn.functional, torch.nn and the aten ops)
    "max_pool2d_with_indices",
    "max_pool2d_with_indices_backward",
    "max_unpool2d",
    "lp_pool2d",
    "fractional_max_pool2d",
    "MaxPool2d",
    "AvgPool2d",
    "LPPool2d",
    "MaxUnpool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "FractionalMaxPool2d",
)
# What each exercise asks to write and how, for the guard's messages (default: pooling)
_POOL_WHAT = {
    "global_pool_loops": ("el global pooling", "con un bucle (y NumPy sobre cada canal)"),
    "maxpool_backward": (
        "el gradiente del max pooling",
        "con bucles (y NumPy sobre cada ventana; tu pool2d_loops sí puedes usarla)",
    ),
}
# The arguments of each exercise, to name the one modified in place (default: x, ...)
_POOL_ARGS = {"maxpool_backward": ("dout", "x")}
_POOL_FORBIDDEN_ES = (
    "cnncourse.pool2d, cnncourse.global_pool, cnncourse.pool2d_backward, las convoluciones "
    "(cnncourse.conv2d, np.convolve, scipy.signal...) ni los poolings de scipy.ndimage o "
    "torch"
)
_POOL_TARGETS = (
    ("cnncourse", ("pool2d", "global_pool", "pool2d_backward")),
    ("cnncourse.functional", ("pool2d", "global_pool", "pool2d_backward")),
    ("cnncourse.reference", ("pool2d", "global_pool", "pool2d_backward")),
    ("skimage.measure", ("block_reduce",)),
    ("scipy.ndimage", ("maximum_filter", "minimum_filter", "uniform_filter", "generic_filter")),
)


class _PoolTripwire(_Tripwire):
    """The convolution tripwire of ``_core`` plus the library poolings."""

    def __enter__(self):
        _Tripwire.__enter__(self)
        originals = {}
        for modname, names in _POOL_TARGETS:
            mod = _sys.modules.get(modname)
            if mod is None:
                continue
            for n in names:
                if n in mod.__dict__:
                    original = mod.__dict__[n]
                    label = f"{modname}.{n}"
                    # the first name wins: cnncourse.pool2d, not cnncourse.functional.pool2d
                    _dict.setdefault(originals, id(original), (label, original))
                    self.saved.append((mod.__dict__, n, original))
                    mod.__dict__[n] = self._wrap(label, original)
        if self.namespace is not None:  # aliases such as `from cnncourse import pool2d`
            for key, value in list(self.namespace.items()):
                if id(value) in originals and originals[id(value)][1] is value:
                    label, original = originals[id(value)]
                    self.saved.append((self.namespace, key, value))
                    self.namespace[key] = self._wrap(label, original)
        return self


def _own_function(namespace, key):
    """True when ``key`` names a function the student defined in the notebook (a helper
    that happens to be called ``pool2d``, say): not a library function to forbid. Calls
    to the library's own function are still caught at run time by the tripwire."""
    if _type(namespace) is not _dict:
        return False
    value = _dict.get(namespace, key)
    return _type(value) is _function and value.__module__ == "__main__"


def _pool_call(fn, args, name, namespace=None):
    """Call the student's function on copies of ``args`` with no library pooling or
    convolution at hand; check that the inputs survive."""
    arrays = [_array(a) if _type(a) is _list else a for a in args]
    before = [_np.ndarray.tolist(a) if _type(a) is _np.ndarray else a for a in arrays]
    what, how = _dict.get(
        _POOL_WHAT, name, ("el pooling", "con bucles (y NumPy sobre cada ventana)")
    )
    code = _python_code(fn)
    if code is not None:
        names = _code_names(code, [])
        bad = [
            n
            for n in names
            if (n in _POOL_NAMES or n in _FORBIDDEN_NAMES) and not _own_function(namespace, n)
        ]
        if bad:
            _fail(
                f"{name} usa {sorted(set(bad))}: en este ejercicio tienes que escribir "
                f"{what} tú mismo, {how}, no llamar a uno ya hecho. No se pueden usar "
                f"{_POOL_FORBIDDEN_ES}."
            )
    with _PoolTripwire(namespace) as wire:
        try:
            got = fn(*arrays)
        except _AssertionError:
            if wire.used:
                _fail(
                    f"{name} llama a {wire.used[0]} (directamente o desde una función "
                    f"auxiliar): en este ejercicio tienes que escribir {what} tú mismo."
                )
            raise
    if wire.used:
        _fail(
            f"{name} llama a {wire.used[0]} (directamente o desde una función auxiliar): en "
            f"este ejercicio tienes que escribir {what} tú mismo."
        )
    arg_names = _dict.get(_POOL_ARGS, name, ("x",))
    for k, (a, b) in enumerate(zip(arrays, before, strict=True)):
        if _type(a) is _np.ndarray and not close_lists(_np.ndarray.tolist(a), b, 0.0, 0.0):
            which = f" ({arg_names[k]})" if k < _n(arg_names) else ""
            _fail(
                f"{name} ha modificado su argumento número {k + 1}{which}: ha escrito sobre el "
                f"propio array que recibe. {name} no debe cambiar sus entradas: escribe el "
                "resultado en un array nuevo (np.zeros(...)) y no asignes ni operes directamente "
                "sobre los argumentos (x[...] = ..., x -= ...)."
            )
    return got


def _pool_values(got, expected, name, hint):
    """Strict floats of ``got`` with the shape of ``expected``; a failure adds ``hint()``."""
    try:
        return strict_floats(got, _shape_of(expected), name)
    except _AssertionError as err:
        _fail(f"{err} {hint()}".strip())


# --------------------------------------------------------------------------------------
# Visible tests: the hidden rules before grading, and the probe for the cascades
# --------------------------------------------------------------------------------------
def check_pool_rules(fn, args, name, namespace=None, explain=None):
    """``fn(*args)`` under the hidden tests' guard (``_pool_call``); returns the result.

    A library pooling or convolution (in the code of ``fn`` or called at run time, from a
    helper too), an input modified in place, a result that is not exactly a float
    ``numpy.ndarray``: AssertionError in Spanish that names the rule and says that the
    hidden checks apply it too (``check_rules``). ``explain(got, *args)`` (the exercise's
    ``explain_*``, whose arguments follow those of the exercise), when given, diagnoses a
    result of the wrong type (a number where a vector was due, say) and goes first. The
    shape and the values are left to the test, with its hints.
    """
    got = check_rules(fn, args, name, namespace, caller=_pool_call, float_result=False)
    if _type(got) is not _np.ndarray:
        why = (
            f"{name} debe devolver un numpy.ndarray (devolvió un objeto de tipo "
            f"{_type(got).__name__}). Crea la salida con np.zeros(...) y devuélvela; no "
            "devuelvas una lista, una tupla ni un número."
        )
    elif got.dtype.kind != "f":
        why = (
            f"{name} debe devolver un array de tipo float (su dtype es {got.dtype}). Crea "
            "la salida con np.zeros(..., dtype=float) o conviértela con .astype(float)."
        )
    else:
        return got
    first = explain(got, *args) if explain is not None else ""
    raise rule_error(f"{first}\n{why}" if first else why)


# Fixed probe of pool2d_loops: 3 x 5 inputs (a size per axis, all negative so that a
# padded 0 would win the max), every mode, stride, overlapping windows and padding
_PROBE_POOL_X = [
    [-3.0, -1.0, -4.0, -1.0, -5.0],
    [-9.0, -2.0, -6.0, -5.0, -3.0],
    [-5.0, -8.0, -9.0, -7.0, -9.0],
]
_PROBE_POOL_CASES = (
    (2, None, 0, "max"),
    (2, 1, 0, "min"),
    (3, 2, 1, "avg"),
    (2, None, 1, "max"),
)


def probe_pool2d_loops(fn):
    """'' when ``fn`` pools the fixed 3 x 5 probe right (max, min, avg; stride, padding)
    under the exercise's rules; otherwise a short Spanish reason (for ``checks.exercise``,
    which names a wrong pool2d_loops when a later answer that uses it fails)."""
    namespace = getattr(fn, "__globals__", None)  # the notebook's: its own helpers are fine
    cases = [(_PROBE_POOL_X, k, s, p, mode) for k, s, p, mode in _PROBE_POOL_CASES]
    cases.append((_pool_negated(_PROBE_POOL_X), 2, None, 1, "min"))
    for x, k, s, p, mode in cases:
        exp = ref_pool2d(x, k, s, p, mode)
        call = (
            f"Con x de forma {_shape_of(x)}, kernel_size={k}, stride={s}, padding={p} y "
            f"mode={mode!r}"
        )
        try:
            got = _pool_call(fn, (_array(x), k, s, p, mode), "pool2d_loops", namespace)
        except _AssertionError as err:  # a rule of the statement
            return f"{call}: {err}"
        try:
            values = strict_floats(got, _shape_of(exp), "su resultado")
        except _AssertionError as err:
            return f"{call}: {err} {explain_pool2d(got, x, k, s, p, mode)}".strip()
        if not close_lists(values, exp):
            return f"{call} no da el resultado esperado. {explain_pool2d(got, x, k, s, p, mode)}"
    return ""


# --------------------------------------------------------------------------------------
# Hidden checks, one per graded exercise
# --------------------------------------------------------------------------------------
_POOL_X = [[1.0, 3.0, 5.0, 6.0], [2.0, 9.0, 7.0, 8.0], [0.0, 0.0, 1.0, 1.0], [0.0, 4.0, 1.0, 1.0]]


def _pool_negated(x):
    return [[-v for v in row] for row in x]


def hidden_pool2d(fn, namespace=None, name="pool2d_loops"):
    """Max/avg/min with random non-square inputs, windows 1-3, strides None/1/2/3,
    padding (never winning; avg over the full window) and inexact divisions."""
    rng = _Rng()
    cases = [(_POOL_X, 2, None, 0, mode) for mode in ("max", "avg", "min")]
    for mode in ("max", "avg", "min"):
        for _ in _irange(3):
            H = rng.integers(3, 8)
            W = H + rng.integers(1, 3)  # never square
            k = rng.integers(2, 3)
            s = (None, 1, 2, 3)[rng.integers(0, 3)]
            p = rng.integers(0, k // 2)
            cases.append((rng.values((H, W)), k, s, p, mode))
    # padding next to windows of one sign: a padded 0 would win the max or the min
    low = rng.values((5, 6), -9, -1)
    cases.append((low, 2, None, 1, "max"))
    cases.append((_pool_negated(low), 2, None, 1, "min"))
    cases.append((rng.values((5, 4), 1, 9), 3, 2, 1, "avg"))  # avg over the full window
    cases.append((rng.values((7, 5)), 2, None, 0, "max"))  # 7 = 2·3 + 1: floor
    cases.append((rng.values((4, 6)), 3, 1, 0, "max"))  # overlapping windows
    cases.append((rng.values((3, 5)), 1, None, 0, "avg"))  # 1 x 1 window: the input
    for x, k, s, p, mode in cases:
        got = _pool_call(fn, (x, k, s, p, mode), name, namespace)
        exp = ref_pool2d(x, k, s, p, mode)
        call = (
            f"{name}(x de forma {_shape_of(x)}, kernel_size={k}, stride={s}, padding={p}, "
            f"mode={mode!r})"
        )

        def hint(got=got, x=x, k=k, s=s, p=p, mode=mode):
            return explain_pool2d(got, x, k, s, p, mode)

        values = _pool_values(got, exp, name, hint)
        if not close_lists(values, exp):
            _fail(f"{call} no da el valor esperado. {hint()}".strip())


def _pool_dims(rng):
    """(C, H, W), three different sizes, so that every axis mistake shows in the shape."""
    while True:
        C, H, W = rng.integers(2, 5), rng.integers(2, 6), rng.integers(2, 7)
        if C != H and H != W and C != W:
            return C, H, W


def hidden_global_pool(fn, namespace=None, name="global_pool_loops"):
    """avg/max/min of each channel of random (C, H, W) volumes, C = 1 and 1 x 1 maps."""
    rng = _Rng()
    cases = []
    for mode in ("avg", "max", "min"):
        for _ in _irange(2):
            cases.append((rng.values(_pool_dims(rng)), mode))
    cases.append((rng.values((1, 3, 4)), "avg"))
    cases.append((rng.values((3, 1, 1)), "max"))
    cases.append((rng.values((2, 4, 3), -9, -1), "max"))  # all negative: max is not 0
    cases.append((rng.values((2, 3, 5), 1, 9), "min"))  # all positive: min is not 0
    for x, mode in cases:
        got = _pool_call(fn, (x, mode), name, namespace)
        exp = ref_global_pool(x, mode)

        def hint(got=got, x=x, mode=mode):
            return explain_global_pool(got, x, mode)

        values = _pool_values(got, exp, name, hint)
        if not close_lists(values, exp):
            _fail(
                f"{name}(x de forma {_shape_of(x)}, mode={mode!r}) no da el valor esperado. "
                f"{hint()}".strip()
            )


def _pool_nonzero(rng, shape):
    """Values in -4..4 without zeros, so every routed gradient shows."""
    v = rng.values(shape, -4, 3)
    return [[e if e < 0 else e + 1.0 for e in row] for row in v]


def hidden_maxpool_backward(fn, namespace=None, name="maxpool_backward"):
    """Random inputs with many ties (values 0..3), windows 2-3, strides None/1/2, inputs
    that the windows do not cover entirely, overlapping windows."""
    rng = _Rng()
    cases = [(_POOL_X, 2, None)]
    for k, s in ((2, None), (2, 1), (3, 2), (3, 1), (2, 2), (3, None)):
        H = rng.integers(k + 1, 7)
        W = H + rng.integers(1, 2)
        cases.append((rng.values((H, W), 0, 3), k, s))
    cases.append(([[0.0] * 5 for _ in _irange(4)], 2, None))  # all ties (after a ReLU)
    for x, k, s in cases:
        st = k if s is None else s
        Ho, Wo = _pool_out(_n(x), k, st, 0), _pool_out(_n(x[0]), k, st, 0)
        dout = _pool_nonzero(rng, (Ho, Wo))
        got = _pool_call(fn, (dout, x, k, s), name, namespace)
        exp = ref_maxpool_backward(dout, x, k, s)

        def hint(got=got, dout=dout, x=x, k=k, s=s):
            return explain_maxpool_backward(got, dout, x, k, s)

        values = _pool_values(got, exp, name, hint)
        if not close_lists(values, exp):
            _fail(
                f"{name}(dout de forma {_shape_of(dout)}, x de forma {_shape_of(x)}, "
                f"kernel_size={k}, stride={s}) no da el gradiente esperado. {hint()}".strip()
            )
