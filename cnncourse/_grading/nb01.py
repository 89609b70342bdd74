"""Notebook 01 (1D convolution): hints for the visible tests and the hidden checks.

Exercises: ``dense_params``, ``conv1d_loops``, ``find_rising_edges``, ``conv1d_numba``.
"""

from __future__ import annotations

import numpy as _np

from ._core import (
    _as_lists,
    _call,
    _check,
    _fail,
    _flip1,
    _float,
    _int,
    _n,
    _Rng,
    _tuple,
    _type,
    close_lists,
    ref_conv1d,
)

# What the notebook calls: `checks.explain_*` in its visible tests and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_conv1d",
    "explain_numba_error",
    "hidden_dense_params",
    "hidden_conv1d",
    "hidden_rising_edges",
    "hidden_conv1d_numba",
]


# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
def explain_conv1d(got, x, u):
    """Spanish hint for a wrong 1D result ``got`` of x ⊛ u, or '' if nothing matches."""
    x, u = _as_lists(x), _as_lists(u)
    W, w = _n(x), _n(u)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001 - any object a student returns
        return "El resultado no se puede convertir en un array de números."
    if g.ndim != 1:
        return f"La salida debe ser un vector 1D; la tuya tiene forma {g.shape}."
    n = g.shape[0]
    if n != W - w + 1:
        hint = f"La salida debe tener W - w + 1 = {W} - {w} + 1 = {W - w + 1} elementos; tiene {n}."
        if n == W - w:
            hint += " Parece un error por uno: el bucle debe llegar hasta i = W - w incluido."
        elif n == W:
            hint += " Parece que recorres toda la entrada: la ventana se sale del vector."
        return hint
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_conv1d(x, _flip1(u))):
        return (
            "Has invertido el kernel: eso es la convolución de las matemáticas (np.convolve). "
            "En deep learning 'convolución' es correlación cruzada (np.correlate): "
            "x[m + i] * u[m], sin invertir."
        )
    return ""


# (cause, words of Numba's message that point to it), the most specific first
_NUMBA_CAUSES = (
    (
        "una lista de Python en vez de un array de NumPy como entrada (convierte antes "
        "con np.asarray(x, dtype=float))",
        ("reflected list", "can't unbox", "non-precise type", "pyobject"),
    ),
    (
        "llamar dentro a cnncourse o a otra función normal de Python (dentro de "
        "@numba.njit solo valen NumPy y otras funciones @numba.njit)",
        ("Untyped global name", "Module(", "Cannot determine Numba type"),
    ),
    (
        "algo que Numba no admite: f-strings, diccionarios con valores de tipos distintos, "
        "print de objetos complejos",
        ("print", "FORMAT_VALUE", "BUILD_STRING", "opcode", "format", "Dict", "dict"),
    ),
    (
        "mezclar tipos: una variable que es un entero en una rama y un array en otra, o "
        "np.zeros con una lista o tupla de tamaños que no son enteros (usa np.zeros((n, m)) "
        "con n y m enteros)",
        ("Cannot unify", "zeros", "empty", "No implementation of function", "list("),
    ),
)


def _strip_ansi(text):
    """Numba colours its messages with ANSI escapes (ESC [ ... m): drop them."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\x1b" and text[i + 1 : i + 2] == "[":
            j = i + 2
            while j < len(text) and not text[j].isalpha():
                j += 1
            i = j + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _numba_message_line(text):
    """The first informative line of a Numba message (not the 'Failed in ...' header)."""
    lines = [ln.strip() for ln in _strip_ansi(text).splitlines() if ln.strip()]
    for k, ln in enumerate(lines):
        if ln.startswith("Failed in ") or ln.startswith("During: "):
            continue
        if ln.endswith(":") and k + 1 < len(lines):  # "... found for signature:" + ">>> f(...)"
            ln = ln + " " + lines[k + 1]
        return ln
    return lines[0] if lines else ""


def _from_numba(exc):
    for cls in type(exc).__mro__:
        if str(getattr(cls, "__module__", "")).split(".")[0] == "numba":
            return True
    try:
        from numba.core.errors import NumbaError
    except Exception:  # noqa: BLE001 - numba missing or broken
        NumbaError = None
    if NumbaError is not None and isinstance(exc, NumbaError):
        return True
    # Numba's dispatcher raises a plain TypeError when it cannot convert an argument.
    return isinstance(exc, TypeError) and str(exc).startswith("can't unbox")


def explain_numba_error(exc):
    """Spanish explanation of an error raised by Numba when compiling or calling a student's
    ``@numba.njit`` function (TypingError and the like), or '' if ``exc`` is not Numba's."""
    if not isinstance(exc, BaseException) or not _from_numba(exc):
        return ""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = ""
    line = _numba_message_line(text)
    if len(line) > 200:
        line = line[:197] + "..."
    likely = [cause for cause, words in _NUMBA_CAUSES if any(w in line for w in words)][:1]
    others = [cause for cause, _ in _NUMBA_CAUSES if cause not in likely]
    parts = [
        "Numba no ha podido compilar o llamar a la función: dentro de @numba.njit solo vale "
        "una parte de Python y de NumPy."
    ]
    if likely:
        parts.append(f"Lo más probable: {likely[0]}.")
    parts.append(
        ("Otras causas" if likely else "Causas") + " habituales: " + "; ".join(others) + "."
    )
    if line:
        parts.append(f"Mensaje de Numba: «{line}»")
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# Hidden checks, one per graded exercise
# --------------------------------------------------------------------------------------
def hidden_dense_params(fn):
    """dense_params(height, width, units) = height * width * units + units."""
    rng = _Rng()
    cases = [(100, 100, 1000), (1, 1, 1), (28, 28, 10), (3, 5, 7)]
    cases += [(rng.integers(1, 300), rng.integers(1, 300), rng.integers(1, 50)) for _ in range(4)]
    for H, W, units in cases:
        got = fn(H, W, units)
        exp = H * W * units + units
        if _type(got) is not _int and _type(got) not in (_np.int64, _np.int32, _np.intp):
            _fail(f"dense_params debe devolver un entero; devolvió un {_type(got).__name__}.")
        got = _int(got.item() if _type(got) is not _int else got)
        if got != exp:
            if got == H * W * units:
                _fail(f"dense_params({H}, {W}, {units}) = {got}: faltan los {units} sesgos.")
            if got == H * W:
                _fail(
                    f"dense_params({H}, {W}, {units}) = {got}: hay {units} neuronas, cada una "
                    "con su propio peso por píxel."
                )
            _fail(f"dense_params({H}, {W}, {units}) devolvió {got}; se esperaba {exp}.")


def hidden_conv1d(fn, namespace=None, name="conv1d_loops", forbid=True):
    """Other sizes, w = 1, w = W, flips, in-place, type and dtype."""
    rng = _Rng()
    cases = [([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1])]
    for _ in range(4):
        W = rng.integers(3, 12)
        w = rng.integers(2, W)
        cases.append((rng.values((W,)), rng.nonsymmetric((w,))))
    W = rng.integers(2, 9)
    cases.append((rng.values((W,)), rng.nonsymmetric((W,))))  # kernel as long as input
    cases.append((rng.values((6,)), [rng.values((1,))[0] or 2.0]))  # 1-element kernel
    for x, u in cases:
        x = [_float(v) for v in x]
        u = [_float(v) for v in u]
        got = _call(fn, (x, u), name, namespace, forbid=forbid)
        _check(got, ref_conv1d(x, u), name, explain_conv1d, (x, u))


def hidden_rising_edges(fn, namespace=None, name="find_rising_edges"):
    """Indices i where x[i + 1] - x[i] > threshold, as an integer array."""
    rng = _Rng()
    cases = [([0, 0, 0, 0, 1, 2, 3, 3], 0.5), ([3, 3, 2, 1, 0, 0], 0.5), ([0, 1], 0.5)]
    for _ in range(4):
        n = rng.integers(5, 40)
        levels = [_float(rng.integers(0, 1)) * 2.0 for _ in range(n)]
        cases.append((levels, 1.0))
    cases.append(([0.0, 0.4, 0.8, 2.0, 2.1, 0.0, 1.0], 0.3))
    for x, thr in cases:
        x = [_float(v) for v in x]
        exp = [i for i in range(len(x) - 1) if x[i + 1] - x[i] > thr]
        got = _call(lambda a, t=thr: fn(a, t), (x,), name, namespace, forbid=False)
        if _type(got) is not _np.ndarray or got.dtype.kind not in "iu":
            _fail(
                f"{name} debe devolver un numpy.ndarray de enteros (índices); devolvió "
                f"{_type(got).__name__} {getattr(got, 'dtype', '')}."
            )
        if _tuple(got.shape) != (len(exp),):
            _fail(
                f"{name}({x}, threshold={thr}) devolvió forma {_tuple(got.shape)}; se "
                f"esperaban {len(exp)} índices: {exp}."
            )
        vals = _np.ndarray.tolist(got)
        if vals != exp:
            if vals == [e + 1 for e in exp]:
                _fail(
                    f"{name} devuelve i + 1 (la muestra ya alta); se pide el índice i de la "
                    f"salida de x ⊛ (-1, 1). Esperado {exp}, recibido {vals}."
                )
            _fail(f"{name}({x}, threshold={thr}): esperado {exp}, recibido {vals}.")


def hidden_conv1d_numba(fn, namespace=None, name="conv1d_numba"):
    """The @numba.njit version: a numba dispatcher that computes C1."""
    try:
        from numba.core.registry import CPUDispatcher
    except Exception:  # noqa: BLE001
        CPUDispatcher = None
    if CPUDispatcher is not None and _type(fn) is not CPUDispatcher:
        _fail(f"{name} debe estar decorada con @numba.njit (es un {_type(fn).__name__}).")
    hidden_conv1d(fn, namespace, name=name)
    rng = _Rng()
    x = rng.values((500,))
    u = rng.nonsymmetric((7,))
    _check(_call(fn, (x, u), name, namespace), ref_conv1d(x, u), name, explain_conv1d, (x, u))
