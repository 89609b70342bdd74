"""Notebook 03 (channels): hints for the visible tests and the hidden checks.

Exercises: ``conv2d_rgb``, ``conv2d_multi``, ``filter_bank_params`` (D * (C * h * w + 1)),
``rgb_to_gray`` (a 1 x 1 convolution).

Every rule a hidden check enforces is also checked by the visible test, through
``checks.check_rules`` and this module's ``call_*`` guards (the hidden test's guard, plus a
hint when the answer crashes or when the broken rule is in the student's ``conv2d_rgb``),
with a Spanish message that names the rule. ``probe_conv2d_rgb`` and ``probe_conv2d_multi``
are the quick checks ``checks.exercise`` runs when a later test fails.
"""

from __future__ import annotations

import numpy as _np

from ._core import (
    _array,
    _as_lists,
    _AssertionError,
    _call,
    _check,
    _code_names,
    _fail,
    _flip2,
    _int,
    _irange,
    _n,
    _python_code,
    _Rng,
    _scale,
    _shape_of,
    _transpose,
    _tuple,
    _type,
    close_lists,
    ref_conv2d,
    ref_conv_rgb,
    rule_error,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` hints and `checks.call_*` rule guards in its
# visible tests, `trusted(globals()).hidden_*` in its hidden ones; `probe_*` is found by
# `checks.exercise` (an earlier exercise that a later one may use).
__all__ = [
    "explain_conv_rgb",
    "explain_conv_multi",
    "explain_bank_params",
    "explain_rgb_to_gray",
    "call_conv2d_rgb",
    "call_conv2d_multi",
    "call_rgb_to_gray",
    "check_bank_params_result",
    "probe_conv2d_rgb",
    "probe_conv2d_multi",
    "hidden_conv_rgb",
    "hidden_conv_multi",
    "hidden_bank_params",
    "hidden_rgb_to_gray",
]

_NB03_ALLOWED = (
    "Aquí solo se permite cnncourse.conv2d canal a canal, con matrices 2D (x[c] y u[c]), y "
    "ninguna otra convolución ya hecha (scipy, np.convolve, np.correlate, cnncourse.conv1d)."
)
_NB03_ARGS = {
    "conv2d_rgb": ("la entrada x", "el kernel u"),
    "conv2d_multi": ("la entrada x", "los filtros filters"),
    "rgb_to_gray": ("la imagen x",),
}


def _nb03_rule_text(text, name):
    """The guard's message for a broken rule, said for the exercises of this notebook (what
    is allowed, which argument changed), or '' when ``text`` is not a broken rule."""
    import re

    called = re.search(r" llama a ([\w.]+):", text)
    named = re.search(r" usa (\[[^\]]*\]):", text)
    changed = re.search(r"ha modificado su argumento número (\d+)", text)
    if called and called.group(1).endswith("conv2d"):
        return (
            f"{name} llama a {called.group(1)} con arrays que no son matrices 2D (el volumen "
            f"entero, o el banco de filtros). {_NB03_ALLOWED}"
        )
    if called:
        return f"{name} llama a {called.group(1)}, una convolución ya hecha. {_NB03_ALLOWED}"
    if named:
        return (
            f"{name} usa {named.group(1)}: no se permite llamar a una función con ese nombre "
            f"(una convolución ya hecha, aunque sea tuya). {_NB03_ALLOWED}"
        )
    if changed:
        k = int(changed.group(1))
        labels = _NB03_ARGS.get(name, ())
        what = labels[k - 1] if k <= len(labels) else f"su argumento número {k}"
        return (
            f"{name} ha modificado {what} (sobre el propio array que recibe): no cambies las "
            "entradas; escribe el resultado en un array nuevo (y opera con copias, sin -=, *= "
            "ni asignaciones sobre ellas)."
        )
    return ""


def _nb03_blank_need(err, name):
    """AssertionError when the NotImplementedError ``err`` was raised by an earlier exercise
    (conv2d_rgb, conv2d_multi) that ``name`` calls, not by ``name`` itself; else None."""
    tb, last = err.__traceback__, ""
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_name, tb.tb_next
    if last == name or last not in ("conv2d_rgb", "conv2d_multi"):
        return None
    return _AssertionError(
        f"Tu {last} está sin hacer: hazla primero ({name} la usa, así que esta comprobación "
        f"no puede pasar hasta que {last} funcione)."
    )


def _nb03_guarded(fn, args, name, namespace, forbid=True):
    """``_call`` (2D per-channel conv2d allowed), its rule messages said for this notebook."""
    try:
        return _call(fn, args, name, namespace, allow_2d=True, forbid=forbid)
    except NotImplementedError as err:
        blank = _nb03_blank_need(err, name)
        if blank is None:
            raise
        raise blank from err
    except _AssertionError as err:
        text = _nb03_rule_text(str(err), name)
        if not text:
            raise
        raise rule_error(text) from None


_NB03_USE_C = "El número de canales es C = x.shape[0]: recorre range(C)."


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
    maps = _np.array([ref_conv2d(x[c], u[c]) for c in range(C)])  # (C, Ho, Wo)
    if g.shape == (C,) + exp_shape:
        return (
            f"Forma {g.shape}: has calculado una salida por canal pero no las has sumado. "
            "Con un filtro C x h x w la salida es 2D: o = sum_c (x_c ⊛ u_c)."
        )
    if g.shape == exp_shape + (C,):
        return (
            f"Forma {g.shape}: una salida por canal, en el último eje, sin sumar. Con un "
            "filtro C x h x w la salida es 2D: o = sum_c (x_c ⊛ u_c)."
        )
    wrong_axis = " Suma sobre los canales, el eje 0 (por ejemplo, np.sum(mapas, axis=0))."
    if g.shape == (C, exp_shape[0]) and _np.allclose(g, maps.sum(axis=2)):
        return (
            f"Forma {g.shape} = (C, Ho): has sumado las columnas de cada mapa (el eje 2) en "
            f"vez de los canales.{wrong_axis}"
        )
    if g.shape == (C, exp_shape[1]) and _np.allclose(g, maps.sum(axis=1)):
        return (
            f"Forma {g.shape} = (C, Wo): has sumado las filas de cada mapa (el eje 1) en vez "
            f"de los canales.{wrong_axis}"
        )
    if g.ndim == 0 and _np.isclose(g, maps.sum()):
        return (
            "Devuelves un solo número: has sumado también sobre las posiciones (j, i). La "
            f"salida es una matriz {exp_shape}: en cada posición, la suma sobre los canales."
        )
    if g.ndim != 2 or g.shape != exp_shape:
        if g.shape == (exp_shape[1], exp_shape[0]):
            if _np.allclose(g, maps.sum(axis=0).T):
                return (
                    f"Forma {g.shape} en vez de {exp_shape}: filas y columnas intercambiadas "
                    "(tus valores son los de la salida traspuesta). En NumPy, filas primero: "
                    "o[j, i] con j la fila."
                )
            return (
                f"Forma {g.shape} en vez de {exp_shape}: filas y columnas intercambiadas; la "
                "salida es (H - h + 1, W - w + 1), filas primero."
            )
        return f"La salida debe tener forma (H - h + 1, W - w + 1) = {exp_shape}; tiene {g.shape}."
    gl = _np.ndarray.tolist(g)
    if C > 3 and close_lists(gl, ref_conv_rgb(x[:3], u[:3])):
        return f"Solo sumas los canales 0, 1 y 2, y este x tiene C = {C} canales. {_NB03_USE_C}"
    if C > 1 and close_lists(gl, ref_conv2d(x[0], u[0])):
        return "Solo has usado el canal 0: hay que sumar la contribución de los C canales."
    if C > 1 and close_lists(gl, _scale(ref_conv_rgb(x, u), 1.0 / C)):
        return "Has hecho la media de los canales; la fórmula los suma (sin dividir por C)."
    if close_lists(gl, ref_conv_rgb(x, [_flip2(c) for c in u])):
        return "Has girado el kernel 180°: aquí la convolución es correlación cruzada, sin girarlo."
    if h == w and close_lists(gl, ref_conv_rgb(x, [_transpose(c) for c in u])):
        return "Usas cada canal del kernel traspuesto: u[c, m, n] en lugar de u[c, n, m]."
    return ""


def _nb03_square(C, k):
    """C channels of a k x k kernel that differs from its transpose and its 180° flip."""
    return [[[float(1 + c + n * k + m) for m in range(k)] for n in range(k)] for c in range(C)]


def _nb03_right(fn, x, u, computes=None):
    """True when fn(x, u) runs and gives the multi-channel x ⊛ ``computes`` (default u)."""
    try:
        got = _np.asarray(fn(_array(x), _array(u)), dtype=_np.float64)
    except Exception:  # noqa: BLE001 - the same answer may crash again
        return False
    exp = ref_conv_rgb(x, u if computes is None else computes)
    return _tuple(got.shape) == _shape_of(exp) and close_lists(_np.ndarray.tolist(got), exp)


def _nb03_crash_hint(fn, x, u, err):
    """Why a conv2d_rgb answer crashed, from what it does on a 3-channel or square case."""
    x, u = _as_lists(x), _as_lists(u)
    C, H, W = _n(x), _n(x[0]), _n(x[0][0])
    h, w = _n(u[0]), _n(u[0][0])
    if C != 3:
        x3 = [x[c % C] for c in range(3)]
        u3 = [_scale(u[c % C], c + 1.0) for c in range(3)]
        if _nb03_right(fn, x3, u3):
            return (
                f"Con C = 3 canales tu conv2d_rgb funciona, pero con C = {C} lanza "
                f"{_type(err).__name__}: recorres siempre 3 canales (¿range(3), o "
                f"x[0] + x[1] + x[2]?). {_NB03_USE_C}"
            )
    k = max(2, min(h, w))
    if h != w and k <= H and k <= W:
        sq = _nb03_square(C, k)
        if _nb03_right(fn, x, sq):
            return (
                f"Con un kernel de {k} x {k} por canal tu conv2d_rgb acierta, pero con u de "
                f"forma {(C, h, w)} (h = {h} filas, w = {w} columnas) falla: en algún sitio "
                "usas h donde va w, o al revés. Escribe `C, h, w = u.shape` (filas primero); "
                "la ventana es x[c, j:j+h, i:i+w]."
            )
        if _nb03_right(fn, x, sq, [_transpose(c) for c in sq]):
            return (
                f"Con un kernel de {k} x {k} por canal tu conv2d_rgb no falla, pero da el "
                "resultado del kernel traspuesto: usas u[c, m, n] (o u[c].T) en lugar de "
                f"u[c, n, m]. Con u de forma {(C, h, w)} las formas ya no encajan."
            )
    return ""


def call_conv2d_rgb(fn, args, name, namespace=None):
    """The hidden test's guard for conv2d_rgb (2D per-channel conv2d allowed) and a hint
    when the answer crashes (three channels hard-coded, h and w swapped, kernel transposed).

    For ``checks.check_rules(..., caller=checks.call_conv2d_rgb)``.
    """
    try:
        return _nb03_guarded(fn, args, name, namespace)
    except (IndexError, ValueError) as err:
        hint = _nb03_crash_hint(fn, args[0], args[1], err)
        if not hint:
            raise
        raise _AssertionError(
            f"{hint}\n(El error de tu función: {_type(err).__name__}: {err})"
        ) from err


# The fixed cases of the probes: every size different (C, H, W, h, w, Ho, Wo)
def _nb03_volume(C, H, W):
    return [
        [[float((5 * c + 7 * j + 3 * i) % 11 - 5) for i in range(W)] for j in range(H)]
        for c in range(C)
    ]


def _nb03_kernel(C, h, w):
    return [
        [[float((2 * c + 3 * n + 5 * m) % 7 - 3) or 1.0 for m in range(w)] for n in range(h)]
        for c in range(C)
    ]


def probe_conv2d_rgb(fn):
    """'' when ``fn`` computes the multi-channel x ⊛ u right with C = 3 and with C = 2."""
    for C, H, W, h, w in ((3, 7, 8, 2, 4), (2, 7, 9, 3, 4)):
        x, u = _nb03_volume(C, H, W), _nb03_kernel(C, h, w)
        try:
            got = _call(fn, (x, u), "conv2d_rgb", None, forbid=False)
        except _AssertionError as err:  # the input changed in place
            return str(err)
        except (IndexError, ValueError) as err:
            hint = _nb03_crash_hint(fn, x, u, err)
            why = f"{_type(err).__name__}: {err}"
            return f"Con x de forma {(C, H, W)} y u {(C, h, w)} lanza {why}. {hint}".strip()
        exp = ref_conv_rgb(x, u)
        if _type(got) is not _np.ndarray:
            return f"Devuelve un objeto de tipo {_type(got).__name__}, no un np.ndarray."
        g = _np.ndarray.tolist(_np.asarray(got, dtype=_np.float64))
        if _tuple(got.shape) != _shape_of(exp) or not close_lists(g, exp):
            hint = explain_conv_rgb(got, x, u)
            return (
                f"Con x de forma {(C, H, W)} y u de forma {(C, h, w)} no da la suma de "
                f"x_c ⊛ u_c (su propia celda de comprobación también falla). {hint}".strip()
            )
    return ""


def _nb03_rule_in_rgb(fn, name, namespace):
    """The student's conv2d_rgb, when ``fn`` uses it and it breaks the library rule alone."""
    code = _python_code(fn)
    rgb = namespace.get("conv2d_rgb") if _type(namespace) is dict else None
    if code is None or rgb is None or "conv2d_rgb" not in _code_names(code, []):
        return ""
    x, u = _nb03_volume(3, 7, 8), _nb03_kernel(3, 2, 4)
    try:
        _call(rgb, (x, u), "conv2d_rgb", namespace, allow_2d=True)
    except _AssertionError as err:
        return _nb03_rule_text(str(err), "conv2d_rgb") or str(err)
    except Exception:  # noqa: BLE001 - a crash is not a broken rule
        return ""
    return ""


def call_conv2d_multi(fn, args, name, namespace=None):
    """The hidden test's guard for conv2d_multi; a library call made inside the student's
    conv2d_rgb is named as such (fix conv2d_rgb first).

    For ``checks.check_rules(..., caller=checks.call_conv2d_multi)``.
    """
    try:
        return _call(fn, args, name, namespace, allow_2d=True)
    except NotImplementedError as err:
        blank = _nb03_blank_need(err, name)
        if blank is None:
            raise
        raise blank from err
    except _AssertionError as err:
        text = _nb03_rule_text(str(err), name)
        if not text:
            raise
        inner = "" if "modificado" in text else _nb03_rule_in_rgb(fn, name, namespace)
        if not inner:
            raise rule_error(text) from None
        raise rule_error(
            f"{name} usa tu conv2d_rgb, y es conv2d_rgb quien incumple la regla: {inner} "
            "Arregla primero conv2d_rgb (su celda de comprobación también falla); "
            "conv2d_multi hereda la regla porque la llama."
        ) from None


def explain_conv_multi(got, x, filters):
    """Spanish hint for a wrong stack of D maps from filters (D, C, h, w) on x (C, H, W)."""
    x, filters = _as_lists(x), _as_lists(filters)
    D, C = _n(filters), _n(x)
    H, W = _n(x[0]), _n(x[0][0])
    h, w = _n(filters[0][0]), _n(filters[0][0][0])
    Ho, Wo = H - h + 1, W - w + 1
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    exp = _np.array([ref_conv_rgb(x, f) for f in filters])  # (D, Ho, Wo)
    if g.shape != (D, Ho, Wo):
        if D == 1 and g.shape == (Ho, Wo):
            return (
                f"Forma {g.shape}: con D = 1 filtro la salida conserva el eje de los mapas, "
                f"(1, Ho, Wo) = {(1, Ho, Wo)}; no lo quites (¿has usado np.squeeze?)."
            )
        if g.shape == (Ho, Wo, D):
            return (
                f"Forma {g.shape}: los mapas van en el primer eje, (D, Ho, Wo) = {(D, Ho, Wo)}, "
                "no (Ho, Wo, D): np.stack(mapas) los apila en el eje 0."
            )
        if g.shape == (Ho, Wo):
            return (
                f"Forma {g.shape}: un solo mapa. Con D = {D} filtros la salida tiene D mapas, "
                f"forma (D, Ho, Wo) = {(D, Ho, Wo)}: uno por filtro, apilados."
            )
        if g.shape == (D, C, Ho, Wo):
            return (
                f"Forma {g.shape}: para cada filtro, un mapa por canal sin sumar. El mapa d es "
                "conv2d_rgb(x, filters[d]), que ya suma los canales."
            )
        if g.shape == (D, Wo, Ho):
            return (
                f"Forma {g.shape} en vez de {(D, Ho, Wo)}: filas y columnas intercambiadas en "
                "cada mapa."
            )
        return f"La salida debe tener forma (D, Ho, Wo) = {(D, Ho, Wo)}; tiene {g.shape}."
    for d in range(D):
        if _np.allclose(g[d], exp[d]):
            continue
        same = [e for e in range(D) if _np.allclose(g[d], exp[e])]
        if same:
            return (
                f"Tu mapa {d} es la convolución con filters[{same[0]}]: el mapa d sale del "
                f"filtro d, conv2d_rgb(x, filters[d]), en orden."
            )
        hint = explain_conv_rgb(g[d], x, filters[d])
        return f"El mapa {d} no es conv2d_rgb(x, filters[{d}]). {hint}".strip()
    return ""


def probe_conv2d_multi(fn):
    """'' when ``fn`` gives the D maps right on a fixed case (D = 2, C = 3)."""
    x = _nb03_volume(3, 9, 11)
    filters = [_nb03_kernel(3, 4, 5), _scale(_nb03_kernel(3, 4, 5), -0.5)]
    filters[1][0][0][0] = 2.0
    try:
        got = _call(fn, (x, filters), "conv2d_multi", None, forbid=False)
    except _AssertionError as err:
        return str(err)
    except (IndexError, ValueError) as err:
        return f"Con x de forma (3, 9, 11) y 2 filtros (3, 4, 5) lanza {_type(err).__name__}: {err}"
    exp = [ref_conv_rgb(x, f) for f in filters]
    if _type(got) is not _np.ndarray:
        return f"Devuelve un objeto de tipo {_type(got).__name__}, no un np.ndarray."
    g = _np.ndarray.tolist(_np.asarray(got, dtype=_np.float64))
    if _tuple(got.shape) == _shape_of(exp) and close_lists(g, exp):
        return ""
    hint = explain_conv_multi(got, x, filters)
    return (
        "Con x de forma (3, 9, 11) y 2 filtros (3, 4, 5) no da los 2 mapas (su propia celda "
        f"de comprobación también falla). {hint}".strip()
    )


# --------------------------------------------------------------------------------------
# filter_bank_params: D filters of shape (C, h, w), one bias each: D * (C * h * w + 1)
# --------------------------------------------------------------------------------------
_NB03_INT_TYPES = (_int, _np.int64, _np.int32, _np.intp)


def _nb03_count(value):
    """``value`` as a Python int when it is an int or one of NumPy's usual integers (not a
    bool, a float or an array), else None: the types the hidden check accepts."""
    t = _type(value)
    for ok in _NB03_INT_TYPES:
        if t is ok:
            return _int(value)
    return None


def ref_bank_params(D, C, h, w):
    """D * (C * h * w + 1): a weight per value of the bank (D, C, h, w), a bias per filter."""
    return D * (C * h * w + 1)


def check_bank_params_result(got, D, C, h, w, name="filter_bank_params"):
    """The rule of the statement: a count of parameters is an int (Python's or NumPy's).

    For ``checks.check_bank_params_result(n, D, C, h, w)`` in the visible test; the hidden
    check applies the same rule.
    """
    if _nb03_count(got) is not None:
        return
    call = f"{name}({D}, {C}, {h}, {w})"
    kind = _type(got).__name__
    why = (
        "Un número de parámetros es un entero: calcula solo con * y + (sin / ni float), o "
        "conviértelo con int(...)."
    )
    if _type(got) is _type(True):
        why = "Has devuelto True o False (¿una comparación?): devuelve el número de parámetros."
    elif _type(got) is _np.ndarray:
        why = "Devuelve un número (el total de parámetros), no un array."
    raise rule_error(f"{call} debe devolver un entero (int), no un {kind} ({got!r}). {why}")


def explain_bank_params(got, D, C, h, w):
    """Spanish hint for a wrong count ``got`` of the parameters of D filters (C, h, w)."""
    value = _nb03_count(got)
    if value is None:
        return ""
    exp = ref_bank_params(D, C, h, w)
    if value == exp:
        return ""
    per_filter = C * h * w
    variants = (
        (D * per_filter, f"Faltan los sesgos: uno por filtro, D = {D} en total."),
        (
            D * (h * w + 1),
            f"Faltan los canales: cada filtro tiene forma (C, h, w), una matriz {h} x {w} por "
            f"cada uno de los C = {C} canales de la entrada, C · h · w = {per_filter} pesos.",
        ),
        (
            D * per_filter + 1,
            f"Has contado un solo sesgo para todo el banco: hay uno por filtro, D = {D}.",
        ),
        (
            D * C * (h * w + 1),
            "Has contado un sesgo por canal: cada filtro tiene un solo sesgo, que se suma a todo "
            "su mapa (la suma de los canales).",
        ),
        (
            C * (D * h * w + 1),
            f"Has puesto C = {C} sesgos, uno por canal de la entrada: hay uno por filtro, D = {D}.",
        ),
        (
            per_filter + 1,
            f"Has contado un solo filtro ({C} · {h} · {w} pesos + 1 sesgo): el banco tiene "
            f"D = {D}.",
        ),
        (
            2 * D * per_filter,
            "Has contado un sesgo por peso: hay un solo sesgo por filtro, que se suma a todo su "
            "mapa.",
        ),
        (
            D * (C * (h + w) + 1),
            f"Cada canal del filtro es una matriz {h} x {w}: h · w = {h * w} pesos, no h + w.",
        ),
        (
            D * (C * h * h + 1) if h != w else None,
            f"Con un kernel de {h} x {w} (no cuadrado) cada canal tiene h · w pesos, no h · h.",
        ),
        (
            D * (C * w * w + 1) if h != w else None,
            f"Con un kernel de {h} x {w} (no cuadrado) cada canal tiene h · w pesos, no w · w.",
        ),
        (
            D * (C * h + 1) if w != 1 else None,
            f"Falta w: cada canal del filtro es una matriz {h} x {w}, h · w = {h * w} pesos.",
        ),
        (
            D * (C * w + 1) if h != 1 else None,
            f"Falta h: cada canal del filtro es una matriz {h} x {w}, h · w = {h * w} pesos.",
        ),
    )
    for wrong, hint in variants:
        if value == wrong:
            return hint
    return f"La fórmula es D · (C · h · w + 1) = {D} · ({C} · {h} · {w} + 1) = {exp}."


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


def hidden_bank_params(fn, name="filter_bank_params"):
    """D * (C * h * w + 1), an int, for square and non-square kernels, C and D up to 512."""
    rng = _Rng()
    cases = [(10, 3, 3, 3), (1, 1, 1, 1), (64, 3, 7, 7), (2, 5, 3, 4), (6, 2, 1, 4)]
    for _ in _irange(6):
        cases.append(
            (rng.integers(1, 512), rng.integers(1, 512), rng.integers(1, 7), rng.integers(1, 7))
        )
    for D, C, h, w in cases:
        got = fn(D, C, h, w)
        check_bank_params_result(got, D, C, h, w, name)
        exp = ref_bank_params(D, C, h, w)
        if _nb03_count(got) != exp:
            hint = explain_bank_params(got, D, C, h, w)
            _fail(f"{hint} {name}({D}, {C}, {h}, {w}) devolvió {got}; se esperaba {exp}.".strip())


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
        weighted = [_scale(x[c], GRAY_WEIGHTS[c]) for c in range(3)]
        if close_lists(_np.ndarray.tolist(_np.asarray(got, dtype=_np.float64)), weighted):
            return f"Forma {shape} = (3, H, W): has ponderado los canales pero no los has sumado."
        return f"Forma {shape} = (3, H, W): un mapa por canal; el gris es la suma de los tres."
    if W >= 3 and shape == (3, H):
        last = [
            [sum(GRAY_WEIGHTS[i] * x[c][j][i] for i in range(3)) for j in range(H)]
            for c in range(3)
        ]
        if close_lists(_np.ndarray.tolist(_np.asarray(got, dtype=_np.float64)), last):
            return (
                f"Forma {shape}: has tomado los canales del último eje (x[..., c]), como si la "
                "imagen fuera (H, W, 3). En este curso el canal va primero: x tiene forma "
                "(3, H, W) y el canal c es x[c]."
            )
    if H == 1 and shape == (W,):
        return (
            f"Forma {shape}: con una imagen de una sola fila (H = 1) has quitado también el eje "
            f"de las filas (¿con np.squeeze?). La salida es 2D, (1, {W}): quita solo el eje que "
            "sobra (por ejemplo, con mapas[0])."
        )
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


def call_rgb_to_gray(fn, args, name, namespace=None):
    """The hidden test's guard for rgb_to_gray (any library call allowed, the input must
    survive), then its result rules with the hint that fits: exactly an np.ndarray, of
    float dtype (a rounded uint8 image is named as such).

    For ``checks.check_rules(..., caller=checks.call_rgb_to_gray)``.
    """
    got = _nb03_guarded(fn, args, name, namespace, forbid=False)
    if _type(got) is not _np.ndarray:
        raise rule_error(
            f"{name} debe devolver un numpy.ndarray (devolvió un objeto de tipo "
            f"{_type(got).__name__})."
        )
    if got.dtype.kind != "f":
        raise rule_error(
            f"{name} debe devolver un array de tipo float. {explain_rgb_to_gray(got, args[0])}"
        )
    return got


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
