"""Notebook 04 (hyperparameters): hints for the visible tests and the hidden checks.

Exercises: ``conv_output_size``, ``output_shapes``, ``conv2d_pad_stride``,
``conv_layer_params``.

The visible tests run every rule the hidden checks enforce (no rule only the hidden tests
know): ``call_conv_output_size``, ``output_size_must_raise`` and ``call_output_shapes``
run the student's function under the hidden checks' guard (``_nb04_run``: no library size
helper or convolution) and check the result's type; ``check_pad_stride_signature`` and
``check_layer_params_result`` check the argument order and the int result (conv2d_pad_stride
also goes through ``check_rules`` of ``_core``). A broken rule raises ``rule_error``.
``probe_conv_output_size`` lets ``checks.exercise`` name a broken conv_output_size when
output_shapes or conv2d_pad_stride fails because of it.
"""

from __future__ import annotations

import inspect as _inspect
import sys as _sys

import numpy as _np

from ._core import (
    _as_lists,
    _AssertionError,
    _call,
    _code_names,
    _dict,
    _fail,
    _flip2,
    _float,
    _int,
    _irange,
    _is_rule_message,
    _list,
    _n,
    _python_code,
    _Rng,
    _shape_of,
    _str,
    _transpose,
    _Tripwire,
    _tuple,
    _type,
    close_lists,
    rule_error,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` hints, `checks.call_*` / `checks.check_*` rule
# guards and `checks.probe_*` (for `checks.exercise` cascades) in its visible tests, and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_output_size",
    "explain_output_shapes",
    "explain_pad_stride_error",
    "explain_pad_stride",
    "explain_layer_params",
    "call_conv_output_size",
    "output_size_must_raise",
    "call_output_shapes",
    "check_pad_stride_signature",
    "check_layer_params_result",
    "probe_conv_output_size",
    "hidden_output_size",
    "hidden_output_shapes",
    "hidden_pad_stride",
    "hidden_layer_params",
]

# --------------------------------------------------------------------------------------
# Trusted references on plain ints and nested lists (the lecture's formulas)
# --------------------------------------------------------------------------------------
_NB04_INT_TYPES = (_int, _np.int64, _np.int32, _np.intp)


def ref_output_size(n, k, padding=0, stride=1):
    """floor((n + 2p - k) / s) + 1 (H5), or None when the window does not fit (n + 2p < k)."""
    if n + 2 * padding < k:
        return None
    return (n + 2 * padding - k) // stride + 1


def ref_output_shapes(input_shape, layers):
    """(D, Ho, Wo) after each layer, chained; None when some layer does not fit."""
    H, W = input_shape[1], input_shape[2]
    out = []
    for layer in layers:
        k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
        H = ref_output_size(H, k, p, s)
        W = ref_output_size(W, k, p, s)
        if H is None or W is None:
            return None
        out.append((layer["filters"], H, W))
    return out


def _pad_lists(x, top, bottom, left, right, fill=None):
    """x (a list of rows) inside a frame: ``fill`` (zeros) or, with fill='edge', the border."""
    H, W = _n(x), _n(x[0])
    rows = []
    for r in _irange(H + top + bottom):
        row = []
        for c in _irange(W + left + right):
            jr, ic = r - top, c - left
            if 0 <= jr < H and 0 <= ic < W:
                row.append(x[jr][ic])
            elif fill == "edge":
                row.append(x[min(max(jr, 0), H - 1)][min(max(ic, 0), W - 1)])
            else:
                row.append(0.0)
        rows.append(row)
    return rows


def _windows(xp, u, stride, tap=1):
    """o[j][i] = sum_n sum_m xp[s*j + tap*n][s*i + tap*m] * u[n][m] on an already padded xp.

    The output size is the lecture's, floor((Hp - h)/s) + 1 per axis. ``tap`` > 1 spreads
    the kernel's cells (a stride wrongly applied to the kernel index too). None when the
    kernel is larger than xp or a window leaves it.
    """
    Hp, Wp = _n(xp), _n(xp[0])
    h, w = _n(u), _n(u[0])
    if Hp < h or Wp < w:
        return None
    Ho, Wo = (Hp - h) // stride + 1, (Wp - w) // stride + 1
    if stride * (Ho - 1) + tap * (h - 1) >= Hp or stride * (Wo - 1) + tap * (w - 1) >= Wp:
        return None
    out = []
    for j in _irange(Ho):
        row = []
        for i in _irange(Wo):
            acc = 0.0
            for n in _irange(h):
                for m in _irange(w):
                    acc = acc + xp[stride * j + tap * n][stride * i + tap * m] * u[n][m]
            row.append(acc)
        out.append(row)
    return out


def ref_conv2d_pad_stride(x, u, padding=0, stride=1):
    """o[j, i] = sum_n sum_m xp[s*j + n][s*i + m] u[n][m], xp = x framed by p zeros (H3, H4)."""
    return _windows(_pad_lists(x, padding, padding, padding, padding), u, stride)


def _nb04_crop(a, rows, cols):
    """The top-left rows x cols corner of a list of rows (None stays None)."""
    if a is None:
        return None
    return [a[r][:cols] for r in _irange(rows)]


def ref_layer_params(in_channels, out_channels, kernel_size):
    """D * (C * h * w + 1)."""
    h, w = _nb04_kernel_hw(kernel_size)
    return out_channels * (in_channels * h * w + 1)


def _nb04_kernel_hw(kernel_size):
    if _type(kernel_size) is _tuple or _type(kernel_size) is _list:
        return kernel_size[0], kernel_size[1]
    return kernel_size, kernel_size


_NB04_TYPES_ES = {
    "list": "una lista (list)",
    "tuple": "una tupla (tuple)",
    "dict": "un diccionario (dict)",
    "str": "una cadena (str)",
    "ndarray": "un array de NumPy (ndarray)",
    "NoneType": "None",
}


def _nb04_type_es(obj):
    """The type of obj in Spanish, with its article: 'una lista (list)', 'un float'."""
    name = _type(obj).__name__
    return _dict.get(_NB04_TYPES_ES, name, f"un {name}")


def _nb04_int(got):
    """A plain int from an exact int or NumPy integer, else None (bool and floats refused)."""
    t = _type(got)
    if t is _int:
        return got
    for it in _NB04_INT_TYPES:
        if t is it:
            return _int(got.item())
    return None


# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
def _call_es(n, k, padding, stride):
    return f"conv_output_size({n}, {k}, padding={padding}, stride={stride})"


def explain_output_size(got, n, k, padding=0, stride=1):
    """Spanish hint for a wrong conv_output_size(n, k, padding, stride) result ``got``."""
    p, s = padding, stride
    span = n + 2 * p - k
    if span < 0:
        hint = (
            f"{_call_es(n, k, p, s)} devolvió {got!r}, pero la ventana (k = {k}) no cabe en la "
            f"entrada con padding (n + 2p = {n + 2 * p} < {k}): debe lanzar ValueError. "
            "Compruébalo con n + 2·padding < k antes de aplicar la fórmula"
        )
        if s > 1 and span // s + 1 == 0:
            return (
                f"{hint}: con stride > 1, ⌊(n + 2p − k)/s⌋ + 1 puede dar 0 en vez de un número "
                f"negativo (aquí ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = 0)."
            )
        return f"{hint}."
    exp = span // s + 1
    if _type(got) is _type(True):
        return "Devuelve un número entero (int), no un booleano."
    if _type(got) is _float or _type(got) is _np.float64 or _type(got) is _np.float32:
        if got == span / s + 1 and span % s:
            return (
                f"Devuelves {got}, con decimales: ({n} + 2·{p} − {k})/{s} no es exacta, y la "
                "fórmula redondea hacia abajo, ⌊·⌋ (la ventana que no cabe entera no cuenta). "
                "Usa la división entera // y devuelve un int."
            )
        return (
            f"Devuelves un float ({got!r}): el tamaño es un número entero de posiciones. Usa la "
            "división entera // (redondea hacia abajo) en vez de /, y devuelve un int."
        )
    value = _nb04_int(got)
    if value is None:
        return f"Devuelve un int; has devuelto {_nb04_type_es(got)}."
    if value == exp:
        return ""
    ceil = -(-span // s) + 1
    nearest = (2 * span + s) // (2 * s) + 1
    if value in (ceil, nearest) and span % s:
        how = "hacia arriba" if value == ceil else "al entero más cercano"
        if value == ceil == nearest:
            how = "hacia arriba (o al entero más cercano)"
        return (
            f"Has redondeado {how}: ({n} + 2·{p} − {k})/{s} no es exacta y la fórmula redondea "
            f"hacia abajo, ⌊{span}/{s}⌋ = {span // s}: lo que sobra no basta para otra ventana."
        )
    variants = (
        (
            span // s,
            "Falta el + 1 fuera de la división: la fórmula es ⌊(n + 2p − k)/s⌋ + 1, no "
            "⌊(n + 2p − k)/s⌋ ni ⌊(n + 2p − k + 1)/s⌋; el + 1 cuenta la posición de partida "
            "de la ventana.",
        ),
        (
            (n + p - k) // s + 1,
            "Has sumado el padding una sola vez: el marco tiene grosor p por cada lado "
            "(arriba y abajo, izquierda y derecha), así que la entrada mide n + 2p.",
        ),
        ((n - k) // s + 1, "Has olvidado el padding: la entrada con padding mide n + 2p."),
        (
            span + 1,
            "Has olvidado dividir entre el stride s: con stride s la ventana salta s casillas.",
        ),
    )
    for wrong, hint in variants:
        if value == wrong:
            return hint
    return f"La fórmula es ⌊(n + 2p − k)/s⌋ + 1 = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = {exp}."


def _nb04_as_shapes(got):
    """got as a list of tuples of plain numbers, or None when it is not list-like."""
    try:
        return [_tuple(_int(v) if _float(v) == _int(v) else _float(v) for v in t) for t in got]
    except Exception:  # noqa: BLE001 - any object a student returns
        return None


def explain_output_shapes(got, input_shape, layers):
    """Spanish hint for a wrong output_shapes(input_shape, layers) result ``got``."""
    exp = ref_output_shapes(input_shape, layers)
    if exp is None:
        return "Alguna capa no cabe: output_shapes debe dejar pasar el ValueError."
    if _type(got) is _tuple and _n(got) == 3 and _n(exp) and _nb04_as_shapes([got]) == [exp[-1]]:
        return (
            "Devuelves solo la forma de la última capa: se pide una lista con la forma de cada "
            "capa, [(D1, Ho1, Wo1), (D2, Ho2, Wo2), ...]."
        )
    shapes = _nb04_as_shapes(got)
    if shapes is None:
        return "El resultado debe ser una lista de tuplas (D, Ho, Wo), una por capa."
    if shapes == exp:
        if _type(got) is not _list:
            return f"Devuelve una lista (list), no {_nb04_type_es(got)}."
        for t in got:
            if _type(t) is not _tuple:
                return f"Cada forma debe ser una tupla (D, Ho, Wo), no {_nb04_type_es(t)}."
            for v in t:
                if _nb04_int(v) is None:
                    return f"Los tamaños deben ser enteros (int), no {_nb04_type_es(v)}."
        return ""
    if _n(shapes) == _n(exp) + 1 and shapes[1:] == exp:
        return "No incluyas la forma de entrada: una forma por capa, la de su salida."
    if _n(shapes) != _n(exp):
        return f"Hay {_n(exp)} capas: se esperan {_n(exp)} formas, una por capa."
    if shapes == [(d, wo, ho) for d, ho, wo in exp]:
        return (
            "Has intercambiado alto y ancho: input_shape es (C, H, W), filas primero, y cada "
            "forma es (D, Ho, Wo), con Ho calculado a partir de H."
        )
    channels = [input_shape[0]] + [t[0] for t in exp[:-1]]
    if shapes == [(c, ho, wo) for c, (_, ho, wo) in zip(channels, exp, strict=True)]:
        return (
            "El primer número de cada forma debe ser el número de filtros D de esa capa (un "
            "mapa por filtro), no los canales C de su entrada."
        )
    if shapes == [(input_shape[0], ho, wo) for _, ho, wo in exp]:
        return (
            "El número de canales de la salida de cada capa es su número de filtros D, no los "
            "C canales de la imagen de entrada."
        )
    alone = [ref_output_shapes(input_shape, [layer]) for layer in layers]
    if None not in alone and shapes == [a[0] for a in alone]:
        return (
            "Cada capa recibe la salida de la anterior, no la imagen original: encadena los "
            "tamaños (la entrada de la capa 2 es la salida de la capa 1)."
        )
    return _nb04_first_wrong_size(shapes, exp, input_shape, layers)


def _nb04_first_wrong_size(shapes, exp, input_shape, layers):
    """The first layer whose Ho or Wo breaks the formula, given its (right) input size."""
    H, W = input_shape[1], input_shape[2]
    for number, (layer, t, e) in enumerate(zip(layers, shapes, exp, strict=True), 1):
        if _n(t) != 3 or t[0] != e[0]:
            return ""
        k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
        for axis, got_n, exp_n, n in (("Ho", t[1], e[1], H), ("Wo", t[2], e[2], W)):
            if got_n != exp_n:
                why = explain_output_size(got_n, n, k, p, s)
                return (
                    f"Capa {number}: {axis} = {got_n} en vez de {exp_n} (su entrada mide {n}, "
                    f"con k = {k}, p = {p} y s = {s}). {why}"
                )
        H, W = e[1], e[2]
    return ""


def _pad_stride_call(x, u, padding, stride):
    return (
        f"conv2d_pad_stride(x de forma {_shape_of(x)}, u de forma {_shape_of(u)}, "
        f"padding={padding}, stride={stride})"
    )


def explain_pad_stride_error(x, u, padding=0, stride=1):
    """Spanish hint when conv2d_pad_stride raised IndexError/ValueError (a window left xp)."""
    x = _as_lists(x)
    H, W = _n(x), _n(x[0])
    return (
        "Parece que alguna ventana se sale de la entrada con padding, que mide "
        f"(H + 2p) × (W + 2p) = {H + 2 * padding} × {W + 2 * padding}. Revisa tres cosas: "
        "(1) el marco de ceros va por los cuatro lados (np.pad(x, padding)), no solo por uno; "
        "(2) el tamaño de la salida es Ho = ⌊(H + 2p − h)/s⌋ + 1 (con stride hay menos "
        "posiciones); (3) solo el origen de la ventana se multiplica por el stride: "
        "xp[s·j + n, s·i + m], nunca s·n."
    )


def explain_pad_stride(got, x, u, padding=0, stride=1):
    """Spanish hint for a wrong conv2d_pad_stride(x, u, padding, stride) result ``got``."""
    x, u = _as_lists(x), _as_lists(u)
    p, s = padding, stride
    H, W, h, w = _n(x), _n(x[0]), _n(u), _n(u[0])
    exp = ref_conv2d_pad_stride(x, u, p, s)
    exp_shape = _shape_of(exp)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001 - any object a student returns
        return "El resultado no se puede convertir en un array de números."
    if g.ndim != 2:
        return (
            f"La salida debe ser una matriz 2D de forma {exp_shape}; la tuya tiene forma {g.shape}."
        )
    shape = _tuple(g.shape)
    gl = _np.ndarray.tolist(g)

    def size(n, k, pad, st):
        return (n + pad - k) // st + 1

    def same(ref):
        """The answer's values are ``ref`` cut to the answer's shape (top-left corner)."""
        if ref is None or _n(ref) < shape[0] or _n(ref[0]) < shape[1]:
            return False
        return close_lists(gl, _nb04_crop(ref, shape[0], shape[1]))

    if shape != exp_shape:
        if s > 1 and shape == (H + 2 * p - h + 1, W + 2 * p - w + 1):
            return (
                f"Forma {shape} en vez de {exp_shape}: es la salida con stride 1. Con stride s "
                "la ventana salta s casillas y hay menos posiciones: Ho = ⌊(H + 2p − h)/s⌋ + 1."
            )
        if p > 0 and shape == (size(H, h, p, s), size(W, w, p, s)):
            if same(exp):
                return (
                    f"Forma {shape} en vez de {exp_shape}: tus valores coinciden con las primeras "
                    "filas y columnas de la salida correcta, pero faltan las últimas: o has "
                    "puesto el marco solo por un lado (arriba y a la izquierda), o calculas Ho y "
                    "Wo con H + p y W + p. El marco tiene grosor p por los cuatro lados: la "
                    "entrada con padding mide (H + 2p) × (W + 2p) (np.pad(x, padding) lo hace) "
                    "y Ho = ⌊(H + 2p − h)/s⌋ + 1."
                )
            return (
                f"Forma {shape} en vez de {exp_shape}: parece que has puesto el padding solo por "
                "un lado. El marco tiene grosor p por los cuatro lados: la entrada con padding "
                "mide (H + 2p) × (W + 2p); np.pad(x, padding) lo hace."
            )
        if p > 0 and shape == (size(H, h, 0, s), size(W, w, 0, s)):
            if same(ref_conv2d_pad_stride(x, u, 0, s)):
                return (
                    f"Forma {shape} en vez de {exp_shape}: es la salida sin padding, también en "
                    "los valores. Añade el marco de p ceros (np.pad(x, padding)) antes de "
                    "recorrer la entrada, y calcula Ho con H + 2p: Ho = ⌊(H + 2p − h)/s⌋ + 1."
                )
            framed = " (tus valores son los primeros de la salida correcta)" if same(exp) else ""
            return (
                f"Forma {shape} en vez de {exp_shape}: es el tamaño de la fórmula sin padding"
                f"{framed}. Ho usa H + 2p, el alto de la entrada con el marco: "
                "Ho = ⌊(H + 2p − h)/s⌋ + 1 y Wo = ⌊(W + 2p − w)/s⌋ + 1 (con tu conv_output_size, "
                "pásale padding y stride)."
            )
        if shape == (exp_shape[1], exp_shape[0]):
            return (
                f"Forma {shape} en vez de {exp_shape}: filas y columnas intercambiadas; en NumPy "
                "la imagen es (H, W) y la salida (Ho, Wo), filas primero."
            )
        if shape == (-(-(H + 2 * p - h) // s) + 1, -(-(W + 2 * p - w) // s) + 1):
            return (
                f"Forma {shape} en vez de {exp_shape}: has redondeado hacia arriba; la fórmula "
                "redondea hacia abajo, Ho = ⌊(H + 2p − h)/s⌋ + 1."
            )
        if shape == (exp_shape[0] - 1, exp_shape[1] - 1):
            return (
                f"Forma {shape} en vez de {exp_shape}: falta el + 1 de la fórmula (error por uno)."
            )
        return (
            f"Forma {shape} en vez de {exp_shape} = (⌊(H + 2p − h)/s⌋ + 1, ⌊(W + 2p − w)/s⌋ + 1)."
        )
    padded = _pad_lists(x, p, p, p, p)
    candidates = [
        (
            _windows(padded, _flip2(u), s),
            "Has girado el kernel 180° (convolución matemática); aquí es correlación cruzada: "
            "xp[s·j + n, s·i + m] · u[n, m].",
        ),
        (
            _windows(padded, u, s, tap=s),
            "Has multiplicado por el stride también el índice del kernel: solo el origen de la "
            "ventana salta s casillas; dentro de ella los píxeles son consecutivos, "
            "xp[s·j + n, s·i + m], nunca s·n.",
        ),
    ]
    if s > 1:
        candidates.append(
            (
                _nb04_crop(_windows(padded, u, 1), exp_shape[0], exp_shape[1]),
                f"La forma es la correcta, pero la ventana no salta: o[j, i] usa xp[j + n, i + m] "
                f"(son las primeras filas y columnas de la salida con stride 1). Con stride "
                f"s = {s} la ventana de o[j, i] empieza en la fila s·j y la columna s·i: "
                "xp[s·j + n, s·i + m].",
            )
        )
    if p > 0:
        corner = (
            "El marco debe rodear a x por igual: p filas de ceros arriba y p abajo, p columnas "
            "a la izquierda y p a la derecha (x centrada, como hace np.pad(x, padding)); parece "
            "que has puesto x en una esquina de la entrada con padding."
        )
        candidates += [
            (_windows(_pad_lists(x, 0, 2 * p, 0, 2 * p), u, s), corner),
            (_windows(_pad_lists(x, 2 * p, 0, 2 * p, 0), u, s), corner),
            (
                _windows(_pad_lists(x, p, p, p, p, fill="edge"), u, s),
                "El padding es de ceros (zero padding): np.pad(x, padding) rellena con ceros; no "
                "repitas los píxeles del borde.",
            ),
        ]
    if h == w:
        candidates.append(
            (
                _windows(padded, _transpose(u), s),
                "Parece que usas el kernel traspuesto: u[m, n] en lugar de u[n, m].",
            )
        )
    for ref, hint in candidates:
        if ref is not None and _shape_of(ref) == exp_shape and close_lists(gl, ref):
            return hint
    return ""


def explain_layer_params(got, in_channels, out_channels, kernel_size):
    """Spanish hint for a wrong conv_layer_params(C, D, kernel_size) result ``got``."""
    C, D = in_channels, out_channels
    h, w = _nb04_kernel_hw(kernel_size)
    exp = D * (C * h * w + 1)
    value = _nb04_int(got)
    if value is None:
        return f"Devuelve un número entero (int), no {_nb04_type_es(got)}."
    if value == exp:
        return ""
    variants = (
        (D * C * h * w, "Faltan los sesgos: cada filtro tiene uno, D en total."),
        (
            D * (h * w + 1),
            "Faltan los canales de entrada: cada filtro tiene C × h × w pesos, una matriz "
            "h × w por cada canal de la entrada.",
        ),
        (
            2 * D * C * h * w,
            "Has contado un sesgo por peso: hay un solo sesgo por filtro, que se suma a todo su "
            "mapa.",
        ),
        (
            D * C * (h * w + 1),
            "Has contado un sesgo por canal de entrada: el sesgo es uno por filtro (por mapa de "
            "salida), D en total.",
        ),
        (
            D * C * h * w + 1,
            "Has contado un solo sesgo para toda la capa: hay uno por filtro, D en total.",
        ),
        (
            C * (D * h * w + 1),
            "Los sesgos van con los filtros de salida (out_channels = D), no con los canales de "
            "entrada.",
        ),
        (
            D * (C * kernel_size + 1) if _type(kernel_size) is _int else -1,
            f"kernel_size = {kernel_size} es un kernel {kernel_size} × {kernel_size}: cada filtro "
            f"tiene C × k² = {C} × {kernel_size}² pesos, no C × k.",
        ),
        (
            D * (C * h * h + 1) if h != w else -1,
            "Con un kernel (h, w) no cuadrado los pesos por canal son h × w, no h × h.",
        ),
        (
            D * (C * w * w + 1) if h != w else -1,
            "Con un kernel (h, w) no cuadrado los pesos por canal son h × w, no w × w.",
        ),
    )
    for wrong, hint in variants:
        if value == wrong:
            return hint
    return f"La fórmula es D × (C × h × w + 1) = {D} × ({C} × {h} × {w} + 1) = {exp}."


# --------------------------------------------------------------------------------------
# Guards: no library shortcut for the output size
# --------------------------------------------------------------------------------------
_NB04_SIZE_NAMES = ("output_size", "output_shape", "Geometry")


class _SizeTripwire:
    """Replace the library's output-size helpers while a student function runs."""

    def __init__(self, namespace=None):
        self.namespace = namespace
        self.used = []
        self.saved = []

    def _wrap(self, label):
        def wire(*args, **kwargs):
            self.used.append(label)
            raise _AssertionError(f"{label} no está permitido en este ejercicio.")

        return wire

    def __enter__(self):
        targets = []
        for modname, names in (
            ("cnncourse", ("output_size",)),
            ("cnncourse.functional", ("output_size",)),
            ("cnncourse.reference", ("output_size",)),
            ("cnncourse.arithmetic", ("output_shape", "Geometry", "fits")),
        ):
            mod = _dict.get(_sys.modules, modname)
            if mod is not None:
                targets += [(mod.__dict__, n, f"{modname}.{n}") for n in names if n in mod.__dict__]
        originals = {}
        for d, name, label in targets:
            originals[id(d[name])] = (label, d[name])
            self.saved.append((d, name, d[name]))
            d[name] = self._wrap(label)
        # aliases such as `from cnncourse.arithmetic import Geometry`
        if self.namespace is not None:
            for key, value in list(self.namespace.items()):
                if id(value) in originals and originals[id(value)][1] is value:
                    self.saved.append((self.namespace, key, value))
                    self.namespace[key] = self._wrap(originals[id(value)][0])
        return self

    def __exit__(self, *exc):
        for d, name, value in reversed(self.saved):
            d[name] = value
        self.saved = []
        return False


def _nb04_run(fn, args, kwargs, name, namespace=None, visible=False):
    """Call fn(*args, **kwargs) with the library's size helpers and convolutions disabled.

    ``visible``: a broken rule raises ``rule_error`` (the visible tests' message, which says
    that it is a rule of the statement) instead of a plain AssertionError.
    """
    fail = _nb04_rule_fail if visible else _fail
    code = _python_code(fn)
    if code is not None:
        bad = [n for n in _code_names(code, []) if n in _NB04_SIZE_NAMES or n in ("conv2d",)]
        if bad:
            fail(
                f"{name} usa {sorted(set(bad))}: en este ejercicio hay que calcular los tamaños "
                "con la fórmula, no con una función de la biblioteca."
            )
    with _SizeTripwire(namespace) as sizes, _Tripwire(namespace) as convs:
        try:
            got = fn(*args, **kwargs)
        except _AssertionError:
            if sizes.used or convs.used:
                break_in = (sizes.used + convs.used)[0]
                fail(
                    f"{name} llama a {break_in}: en este ejercicio hay que calcular los tamaños "
                    "con la fórmula, no con una función de la biblioteca."
                )
            raise
    if sizes.used or convs.used:
        fail(
            f"{name} llama a {(sizes.used + convs.used)[0]}: en este ejercicio hay que calcular "
            "los tamaños con la fórmula, no con una función de la biblioteca."
        )
    return got


def _nb04_rule_fail(msg):
    raise rule_error(msg)


# --------------------------------------------------------------------------------------
# Visible tests: the hidden checks' rules, run before grading (each names its rule)
# --------------------------------------------------------------------------------------
def call_conv_output_size(fn, n, k, padding=None, stride=None, namespace=None):
    """The student's conv_output_size(n, k, padding=p, stride=s) under the hidden rules.

    No library size helper or convolution (code and run time); a window that fits must
    not raise ValueError; the result must be an int (Python's, or NumPy's int64/int32).
    ``padding``/``stride`` None: not passed (the defaults are used). Returns the result.
    """
    name = "conv_output_size"
    kwargs = {}
    if padding is not None:
        kwargs["padding"] = padding
    if stride is not None:
        kwargs["stride"] = stride
    p = 0 if padding is None else padding
    s = 1 if stride is None else stride
    call = f"{name}({n}, {k})" if not kwargs else _call_es(n, k, p, s)
    _nb04_keywords_rule(fn, name)
    try:
        got = _nb04_run(fn, (n, k), kwargs, name, namespace, visible=True)
    except ValueError as err:
        if n + 2 * p >= k:
            raise _AssertionError(
                f"{call} lanza ValueError ({err}), pero la ventana cabe: n + 2p = {n + 2 * p} "
                f"≥ k = {k}. Solo hay que lanzarlo cuando n + 2p < k (si n + 2p = k, la "
                "ventana cabe justa y la salida mide 1)."
            ) from err
        raise
    if _nb04_int(got) is None:
        hint = explain_output_size(got, n, k, p, s)  # says which type it got, and why not
        if not hint:
            hint = f"debe devolver un int; devolvió {got!r} ({_type(got).__name__})."
        raise rule_error(f"{call}: {hint}")
    return got


def _nb04_keywords_rule(fn, name):
    """padding and stride: arguments with those names and defaults (the tests call
    fn(n, k) and fn(n, k, padding=p, stride=s))."""
    try:
        params = _dict(_inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # not a Python function: let the calls tell
        return
    kinds = _inspect.Parameter
    if any(q.kind is kinds.VAR_KEYWORD for q in _dict.values(params)):
        return
    shown = f"{name}(n, k, padding=0, stride=1)"
    for arg in ("padding", "stride"):
        q = _dict.get(params, arg)
        if q is None or q.kind is kinds.POSITIONAL_ONLY:
            raise rule_error(
                f"{name} tiene los argumentos {_tuple(params)}: el enunciado pide {shown}, con "
                f"uno llamado {arg} (las comprobaciones la llaman con {arg}=...)."
            )
        if q.default is kinds.empty:
            raise rule_error(
                f"{arg} necesita un valor por defecto, {shown}: las comprobaciones también la "
                f"llaman como {name}(n, k), sin padding ni stride."
            )


def output_size_must_raise(fn, n, k, padding, stride, namespace=None):
    """conv_output_size(n, k, padding, stride) for a window that does not fit: it must raise
    ValueError (its message is returned); returning or raising anything else fails."""
    name = "conv_output_size"
    call = _call_es(n, k, padding, stride)
    kwargs = {"padding": padding, "stride": stride}
    try:
        got = _nb04_run(fn, (n, k), kwargs, name, namespace, visible=True)
    except ValueError as err:
        return _str(err)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any error a student raises
        if _type(err) is _AssertionError and _is_rule_message(_str(err)):
            raise
        raise rule_error(
            f"{call} lanza {_type(err).__name__} ({err}); cuando la ventana no cabe "
            f"(n + 2p = {n + 2 * padding} < k = {k}) debe lanzar ValueError, que es el error "
            "que esperan output_shapes y quien use tu función."
        ) from err
    raise _AssertionError(explain_output_size(got, n, k, padding, stride))


def call_output_shapes(fn, input_shape, layers, namespace=None):
    """The student's output_shapes(input_shape, layers) under the hidden rules.

    No library size helper or convolution; ``layers`` (and its dicts) not modified; the
    result a list of tuples (D, Ho, Wo) of ints (Python's, or NumPy's int64/int32).
    Returns the result (its values are the visible test's business).
    """
    name = "output_shapes"
    before = _nb04_snapshot(layers)
    got = _nb04_run(fn, (input_shape, layers), {}, name, namespace, visible=True)
    if _nb04_snapshot(layers) != before:
        raise rule_error(
            f"{name} ha modificado la lista de capas (o sus diccionarios): léela sin cambiarla "
            "(quien la llama la sigue usando)."
        )
    call = f"{name}({input_shape}, {_n(layers)} capas)"
    if not _n(layers) and (_type(got) is not _list or _n(got) != 0):
        raise rule_error(
            f"{name}({input_shape}, []) debe devolver la lista vacía, []: sin capas no hay "
            f"ninguna forma que dar. Devolvió {got!r}."
        )
    hint = explain_output_shapes(got, input_shape, layers)
    if _type(got) is not _list:
        raise rule_error(
            f"{call} debe devolver una lista (list), una forma por capa; devolvió "
            f"{_nb04_type_es(got)}. {hint}"
        )
    for t in got:
        if _type(t) is not _tuple or _n(t) != 3:
            raise rule_error(
                f"{call}: cada forma debe ser una tupla (D, Ho, Wo) de 3 enteros; recibido "
                f"{got}. {hint}"
            )
        for v in t:
            if _nb04_int(v) is None:
                raise rule_error(
                    f"{call}: los tamaños deben ser enteros (int), no {_nb04_type_es(v)}; "
                    f"recibido {got}. Usa la división entera // (o tu conv_output_size, que "
                    "devuelve un int)."
                )
    return got


_NB04_PAD_STRIDE_SIGNATURE = "conv2d_pad_stride(x, u, padding=0, stride=1)"


def check_pad_stride_signature(fn):
    """The arguments the hidden tests pass: (x, u) and (x, u, p, s), in that order."""
    try:
        params = _dict.values(_dict(_inspect.signature(fn).parameters))
    except (TypeError, ValueError):  # not a Python function: let the calls tell
        return
    kinds = _inspect.Parameter
    positional = [
        q for q in params if q.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    if any(q.kind is kinds.VAR_POSITIONAL for q in params):
        return
    names = [q.name for q in positional]
    if "padding" in names and "stride" in names and names.index("padding") > names.index("stride"):
        raise rule_error(
            f"conv2d_pad_stride tiene los argumentos {tuple(names)}: el orden es "
            f"{_NB04_PAD_STRIDE_SIGNATURE}, padding antes que stride (las comprobaciones la "
            "llaman como conv2d_pad_stride(x, u, p, s))."
        )
    if _n(positional) < 4:
        raise rule_error(
            f"conv2d_pad_stride tiene los argumentos {tuple(names)}: deben ser cuatro, "
            f"{_NB04_PAD_STRIDE_SIGNATURE} (las comprobaciones la llaman como "
            "conv2d_pad_stride(x, u, p, s))."
        )
    if positional[2].default is kinds.empty or positional[3].default is kinds.empty:
        raise rule_error(
            f"padding y stride necesitan valores por defecto, {_NB04_PAD_STRIDE_SIGNATURE}: "
            "las comprobaciones también la llaman como conv2d_pad_stride(x, u), sin padding "
            "ni stride."
        )


def check_layer_params_result(got, in_channels, out_channels, kernel_size):
    """conv_layer_params must return an int (Python's, or NumPy's int64/int32)."""
    if _nb04_int(got) is None:
        call = f"conv_layer_params({in_channels}, {out_channels}, {kernel_size!r})"
        raise rule_error(
            f"{call} debe devolver un número entero (int); devolvió {got!r} "
            f"({_type(got).__name__}). Un número de parámetros no tiene decimales: usa solo "
            "productos y sumas de enteros (o int(...) al final)."
        )


def probe_conv_output_size(fn):
    """'' when fn is a right conv_output_size on a few fixed cases, else why not (Spanish).

    ``checks.exercise`` calls it when a later test fails (output_shapes and
    conv2d_pad_stride use conv_output_size) to name a broken conv_output_size as the cause.
    """
    name = "conv_output_size"
    try:
        for n, k, p, s in ((11, 4, 1, 2), (8, 3, 2, 1), (13, 5, 0, 3)):
            call = _call_es(n, k, p, s)
            try:
                got = _nb04_run(fn, (n, k), {"padding": p, "stride": s}, name)
            except ValueError as err:
                return f"{call} lanza ValueError ({err}), pero la ventana cabe."
            exp = ref_output_size(n, k, p, s)
            if _nb04_int(got) != exp:
                why = explain_output_size(got, n, k, p, s)
                return f"{call} devuelve {got!r} en vez de {exp}. {why}".strip()
        got = _nb04_run(fn, (9, 4), {}, name)
        if _nb04_int(got) != 6:
            return f"{name}(9, 4) devuelve {got!r} en vez de 6 (padding 0 y stride 1 por defecto)."
        for n, k, p, s in ((4, 5, 0, 2), (2, 7, 2, 1)):
            try:
                got = _nb04_run(fn, (n, k), {"padding": p, "stride": s}, name)
            except ValueError:
                continue
            return explain_output_size(got, n, k, p, s)
    except _AssertionError as err:
        return _str(err)
    return ""


# --------------------------------------------------------------------------------------
# Hidden checks, one per graded exercise
# --------------------------------------------------------------------------------------
def hidden_output_size(fn, namespace=None, name="conv_output_size"):
    """Exact and inexact divisions, padding, strides, and windows that do not fit."""
    rng = _Rng()
    fitting = [  # the first cases tell the classic mistakes apart (see explain_output_size)
        (8, 2, 0, 1),
        (7, 3, 2, 1),
        (5, 3, 1, 1),
        (9, 3, 0, 3),
        (8, 3, 0, 3),
        (227, 11, 0, 4),
        (224, 7, 3, 2),
        (3, 5, 1, 1),
        (1, 1, 0, 1),
        (6, 6, 0, 5),
        (7, 2, 0, 4),
    ]
    for _ in _irange(12):
        n = rng.integers(1, 60)
        p = rng.integers(0, 3)
        k = rng.integers(1, n + 2 * p)
        fitting.append((n, k, p, rng.integers(1, 5)))
    for n, k, p, s in fitting:
        call = _call_es(n, k, p, s)
        try:
            got = _nb04_run(fn, (n, k), {"padding": p, "stride": s}, name, namespace)
        except ValueError as err:
            _fail(
                f"{call} lanza ValueError ({err}), pero la ventana cabe: n + 2p = {n + 2 * p} "
                f"≥ k = {k}. Solo hay que lanzarlo cuando n + 2p < k."
            )
        exp = ref_output_size(n, k, p, s)
        value = _nb04_int(got)
        if value is None or value != exp:
            _fail(
                f"{call} debe ser {exp}; devolvió {got!r}. {explain_output_size(got, n, k, p, s)}"
            )
    got = _nb04_run(fn, (9, 4), {}, name, namespace)
    if _nb04_int(got) != 6:
        _fail(
            f"conv_output_size(9, 4) debe ser 6 (padding 0 y stride 1 por defecto); devolvió "
            f"{got!r}."
        )
    misfits = [(3, 5, 0, 1), (4, 5, 0, 2), (4, 6, 0, 3), (2, 7, 2, 1), (1, 2, 0, 1)]
    for _ in _irange(4):
        n = rng.integers(1, 20)
        p = rng.integers(0, 2)
        misfits.append((n, n + 2 * p + rng.integers(1, 4), p, rng.integers(1, 4)))
    for n, k, p, s in misfits:
        try:
            got = _nb04_run(fn, (n, k), {"padding": p, "stride": s}, name, namespace)
        except ValueError:
            continue
        except _AssertionError:
            raise
        except Exception as err:  # noqa: BLE001 - any error a student raises
            _fail(
                f"{_call_es(n, k, p, s)} lanza {_type(err).__name__}; cuando la ventana no cabe "
                "debe lanzar ValueError."
            )
        _fail(explain_output_size(got, n, k, p, s))


def _nb04_layers(rng, n_layers):
    layers = []
    for _ in _irange(n_layers):
        k = rng.integers(1, 5)
        layers.append(
            {
                "filters": rng.integers(1, 64),
                "kernel_size": k,
                "padding": rng.integers(0, 2),
                "stride": rng.integers(1, 3),
            }
        )
    return layers


def _nb04_snapshot(layers):
    return [_tuple(sorted(_dict.items(layer))) for layer in layers]


def hidden_output_shapes(fn, namespace=None, name="output_shapes"):
    """Chained shapes on non-square inputs; D becomes the next layer's C; misfits raise."""
    rng = _Rng()

    def conv(d, k, p=0, s=1):
        return {"filters": d, "kernel_size": k, "padding": p, "stride": s}

    cases = [
        ((3, 227, 227), [conv(96, 11, 0, 4)]),
        ((3, 224, 224), [conv(64, 3, 1), conv(64, 3, 1)]),
        ((3, 480, 640), [conv(16, 7, 3, 2), conv(32, 3, 0, 2), conv(8, 1)]),
        ((1, 28, 28), []),
    ]
    while _n(cases) < 8:
        H = rng.integers(20, 60)
        W = H + rng.integers(3, 30)  # never square
        shape, layers = (rng.integers(1, 4), H, W), _nb04_layers(rng, rng.integers(2, 4))
        if ref_output_shapes(shape, layers) is not None:
            cases.append((shape, layers))
    for input_shape, layers in cases:
        exp = ref_output_shapes(input_shape, layers)
        before = _nb04_snapshot(layers)
        got = _nb04_run(fn, (input_shape, layers), {}, name, namespace)
        if _nb04_snapshot(layers) != before:
            _fail(f"{name} ha modificado la lista de capas (o sus diccionarios).")
        ok = _type(got) is _list and _n(got) == _n(exp)
        if ok:
            for t, e in zip(got, exp, strict=True):
                if _type(t) is not _tuple or _n(t) != 3:
                    ok = False
                    break
                vals = [_nb04_int(v) for v in t]
                if vals != list(e):
                    ok = False
                    break
        if not ok:
            hint = explain_output_shapes(got, input_shape, layers)
            _fail(
                f"{name}({input_shape}, {_n(layers)} capas) debe ser {exp}; devolvió {got!r}. "
                f"{hint}".strip()
            )
    # a network whose third layer does not fit
    H = rng.integers(8, 12)
    layers = [conv(4, 3), conv(8, 3), conv(2, H)]
    try:
        got = _nb04_run(fn, ((1, H, H + 5), layers), {}, name, namespace)
    except ValueError:
        return
    _fail(
        f"{name}((1, {H}, {H + 5}), capas de kernels 3, 3 y {H}) devolvió {got!r}, pero la "
        f"tercera capa no cabe (su entrada mide {H - 4} filas): debe dejar pasar el ValueError "
        "de conv_output_size."
    )


def hidden_pad_stride(fn, namespace=None, name="conv2d_pad_stride"):
    """Random non-square inputs and kernels, paddings 0-2, strides 1-3, exact or not."""
    rng = _Rng()
    settings = [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (2, 3), (1, 3), (0, 3)]
    cases = []
    for p, s in settings:
        H = rng.integers(4, 8)
        W = H + rng.integers(1, 3)  # never square
        h = rng.integers(1, 3)
        w = h + 1
        cases.append((rng.values((H, W)), rng.nonsymmetric((h, w)), p, s))
    cases.append((rng.values((5, 5)), rng.nonsymmetric((3, 3)), 1, 2))
    cases.append((rng.values((6, 7)), [[rng.values((1,))[0] or 2.0]], 0, 2))  # 1 x 1: subsampling
    cases.append((rng.values((3, 4)), rng.nonsymmetric((2, 5)), 2, 2))  # kernel wider than x
    got = _call(fn, (cases[0][0], cases[0][1]), name, namespace)
    exp = ref_conv2d_pad_stride(cases[0][0], cases[0][1])
    try:
        values = strict_floats(got, _shape_of(exp), name)
    except _AssertionError as err:
        _fail(f"{err} Sin padding ni stride (0 y 1 por defecto) es la convolución del cuaderno 2.")
    if not close_lists(values, exp):
        _fail(f"{name}(x, u) sin padding ni stride debe ser la convolución del cuaderno 2.")
    for x, u, p, s in cases:
        call = _pad_stride_call(x, u, p, s)
        try:
            got = _call(fn, (x, u, p, s), name, namespace)
        except (IndexError, ValueError) as err:
            hint = explain_pad_stride_error(x, u, p, s)
            _fail(f"{call} falla con {_type(err).__name__}: {err}. {hint}")
        exp = ref_conv2d_pad_stride(x, u, p, s)
        try:
            values = strict_floats(got, _shape_of(exp), name)
        except _AssertionError as err:
            _fail(f"{err} {explain_pad_stride(got, x, u, p, s)}".strip())
        if not close_lists(values, exp):
            _fail(f"{call} no da el valor esperado. {explain_pad_stride(got, x, u, p, s)}".strip())


def hidden_layer_params(fn, namespace=None, name="conv_layer_params"):
    """D * (C * h * w + 1) for ints and (h, w) tuples, square and not."""
    rng = _Rng()
    cases = [(3, 64, 3), (3, 96, 11), (1, 1, 1), (2, 4, (1, 3)), (16, 8, (5, 2)), (64, 128, (3, 3))]
    for _ in _irange(6):
        k = rng.integers(1, 7)
        ks = k if rng.integers(0, 1) else (k, rng.integers(1, 7))
        cases.append((rng.integers(1, 256), rng.integers(1, 256), ks))
    for C, D, k in cases:
        call = f"{name}({C}, {D}, {k!r})"
        try:
            got = fn(C, D, k)
        except TypeError as err:
            _fail(
                f"{call} falla con TypeError ({err}): kernel_size puede ser un int (k × k) o una "
                "tupla (h, w)."
            )
        exp = ref_layer_params(C, D, k)
        if _nb04_int(got) is None:
            _fail(f"{call} debe devolver un int; devolvió {got!r} ({_type(got).__name__}).")
        if _nb04_int(got) != exp:
            _fail(f"{call} debe ser {exp}; devolvió {got}. {explain_layer_params(got, C, D, k)}")
