"""Notebook 01 (1D convolution): hints for the visible tests and the hidden checks.

Exercises: ``dense_params``, ``conv1d_loops``, ``find_rising_edges``, ``conv1d_numba``.

Every rule a hidden check enforces has a ``rule_*`` twin that the visible test calls (the
same predicate, a Spanish message that names the rule), so that a student learns each
rule before submitting. ``probe_conv1d_loops`` is the quick check ``checks.exercise``
runs when a later test fails (``find_rising_edges`` may use ``conv1d_loops``).
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
    _irange,
    _n,
    _Rng,
    _tuple,
    _type,
    check_rules,
    close_lists,
    ref_conv1d,
    rule_error,
)

# What the notebook calls: `checks.explain_*` and `checks.rule_*` in its visible tests,
# `trusted(globals()).hidden_*` in its hidden ones; `probe_*` is found by
# `checks.exercise` (an earlier exercise that a later one may use).
__all__ = [
    "explain_dense_params",
    "explain_conv1d",
    "explain_rising_edges",
    "explain_numba_error",
    "rule_int",
    "rule_index_array",
    "rule_njit",
    "probe_conv1d_loops",
    "hidden_dense_params",
    "hidden_conv1d",
    "hidden_rising_edges",
    "hidden_conv1d_numba",
]


# --------------------------------------------------------------------------------------
# Exercise 1: dense_params
# --------------------------------------------------------------------------------------
_NB01_INT_TYPES = (_int, _np.int64, _np.int32, _np.intp)


def _nb01_is_int(value):
    """The types the hidden check accepts for a count: int or NumPy's usual integers."""
    t = _type(value)
    for ok in _NB01_INT_TYPES:
        if t is ok:
            return True
    return False


def rule_int(value, name="dense_params"):
    """Raise the rule failure (Spanish) unless ``value`` is an int, as the hidden check asks."""
    if _nb01_is_int(value):
        return
    kind = _type(value).__name__
    why = (
        "Un número de parámetros es un entero: usa solo *, + y enteros (sin / ni float), o "
        "conviértelo con int(...)."
    )
    if _type(value) is _type(True):
        why = "Has devuelto True o False (¿una comparación?): devuelve el número de parámetros."
    raise rule_error(f"{name} debe devolver un entero (int), no un {kind}. {why}")


def explain_dense_params(got, height, width, units):
    """Spanish hint for a wrong parameter count ``got`` of a dense layer, or ''."""
    H, W, n = height, width, units
    if _type(got) is _np.ndarray and got.ndim != 0:
        return "Devuelve un número (el total de parámetros), no un array."
    try:
        g = _float(got)
    except Exception:  # noqa: BLE001 - any object a student returns
        return ""
    expected = H * W * n + n
    candidates = [
        (H * W * n, f"Faltan los sesgos: uno por neurona, {n} en total."),
        (
            H * W + n,
            f"Hay {n} neuronas y cada una tiene su propio peso por píxel: {H} * {W} * {n} "
            "pesos, más los sesgos.",
        ),
        (H * W * n + 1, f"Hay un sesgo por neurona ({n}), no uno solo para toda la capa."),
        (
            H * W + 1,
            f"Has contado una sola neurona ({H} * {W} pesos + 1 sesgo): la capa tiene {n}.",
        ),
        (
            H * W,
            f"{H} * {W} es el número de píxeles: cada una de las {n} neuronas tiene un "
            "peso por píxel, y además un sesgo.",
        ),
        (
            (H + W) * n + n,
            f"La imagen aplanada tiene height * width = {H} * {W} píxeles, no height + width.",
        ),
    ]
    return _nb01_one_hint(g, expected, candidates, lambda a, b: a == b)


def _nb01_one_hint(got, expected, candidates, same):
    """The hints of the candidates (wrong results of classic mistakes) equal to ``got``.

    Candidates equal to the expected value are dropped (they cannot explain a failure);
    when several distinct mistakes give ``got``, all of them are named, as possibilities.
    """
    hints = []
    for value, hint in candidates:
        if same(value, expected) or not same(got, value):
            continue
        if hint not in hints:
            hints.append(hint)
    if _n(hints) == 1:
        return hints[0]
    if _n(hints) > 1:
        return "Tu resultado encaja con más de un error típico: " + " O bien: ".join(hints)
    return ""


# --------------------------------------------------------------------------------------
# Exercise 2: conv1d_loops (and 4, conv1d_numba)
# --------------------------------------------------------------------------------------
_NB01_FLIPPED = (
    "Has invertido el kernel: eso es la convolución de las matemáticas (np.convolve). "
    "En aprendizaje profundo, «convolución» es la correlación cruzada (np.correlate): "
    "x[m + i] * u[m], sin invertir."
)


def _nb01_conv1d_mistakes(x, u):
    """(expected, [(wrong result, hint)]) for x ⊛ u: the classic mistakes, on lists."""
    W, w = _n(x), _n(u)
    n = W - w + 1
    expected = ref_conv1d(x, u)
    sum_u = 0.0
    for m in _irange(w):
        sum_u = sum_u + u[m]
    mistakes = [
        (ref_conv1d(x, _flip1(u)), _NB01_FLIPPED),
        (
            expected[: n - 1] + [0.0],
            "La última salida se queda en 0: el bucle de i debe llegar hasta i = W - w "
            "incluido, range(W - w + 1).",
        ),
        (
            [expected[0]] + [0.0] * (n - 1),
            "Solo se calcula la primera salida y las demás se quedan en 0: ¿está el return "
            "dentro del bucle de i?",
        ),
        (
            ref_conv1d(x, [1.0] * w),
            "Sumas la ventana de x sin multiplicar por el kernel: cada término es x[m + i] * u[m].",
        ),
        (
            [x[i + w - 1] * u[w - 1] for i in _irange(n)],
            "Cada salida es solo el último producto, x[i + w - 1] * u[w - 1]: asignas (=) en "
            "vez de acumular (+=), o pones el acumulador a 0 dentro del bucle de m.",
        ),
        (
            [x[i] * u[0] for i in _irange(n)],
            "Cada salida es solo el primer producto, x[i] * u[0]: la suma no recorre todo el "
            "kernel (revisa el bucle de m y que el return no esté dentro de él).",
        ),
        (
            [x[i] * sum_u for i in _irange(n)],
            "Multiplicas x[i] por todos los pesos: dentro de la suma el índice de x es m + i, "
            "no i.",
        ),
        (
            [expected[0]] * n,
            "Todas las salidas valen lo mismo, el valor de la primera ventana: el índice de x es "
            "m + i, no m (la ventana se desliza con i).",
        ),
    ]
    return expected, mistakes


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
            hint += (
                " Parece un error por uno: crea la salida con np.zeros(W - w + 1) y haz que el "
                "bucle de i llegue hasta i = W - w incluido, range(W - w + 1)."
            )
        elif n == W:
            hint += " Parece que recorres toda la entrada: la ventana se sale del vector."
        return hint
    expected, mistakes = _nb01_conv1d_mistakes(x, u)
    return _nb01_one_hint(_np.ndarray.tolist(g), expected, mistakes, close_lists)


_NB01_PROBE_X = (3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0)  # W = 7
_NB01_PROBE_U = (2.0, 0.0, -1.0)  # w = 3: five outputs


def probe_conv1d_loops(fn):
    """'' when ``fn`` computes x ⊛ u right on a small fixed case, else a Spanish reason."""
    xs, us = list(_NB01_PROBE_X), list(_NB01_PROBE_U)
    x, u = _np.array(xs), _np.array(us)
    got = fn(x, u)
    where = f"con x = {xs} y u = {us}"
    if _np.ndarray.tolist(x) != xs or _np.ndarray.tolist(u) != us:
        return f"Modifica su entrada ({where}): escribe en un array de salida nuevo."
    if _type(got) is not _np.ndarray:
        return f"Devuelve un objeto de tipo {_type(got).__name__} ({where}), no un np.ndarray."
    expected = ref_conv1d(xs, us)
    try:
        values = _np.ndarray.tolist(_np.asarray(got, dtype=_np.float64))
    except Exception:  # noqa: BLE001
        return f"Devuelve algo que no son números ({where})."
    if _tuple(got.shape) != (_n(expected),) or not close_lists(values, expected):
        hint = explain_conv1d(got, xs, us)
        return f"Con x = {xs} y u = {us} devuelve {values} en vez de {expected}. {hint}".strip()
    return ""


# --------------------------------------------------------------------------------------
# Exercise 3: find_rising_edges
# --------------------------------------------------------------------------------------
def rule_index_array(got, name="find_rising_edges"):
    """Raise the rule failure unless ``got`` is exactly a numpy.ndarray of integers."""
    if _type(got) is _tuple:
        raise rule_error(
            f"{name} debe devolver un numpy.ndarray de enteros, no una tupla: np.nonzero(...) "
            "devuelve una tupla con un array por eje; usa np.flatnonzero(...) o "
            "np.nonzero(...)[0]."
        )
    if _type(got) is not _np.ndarray:
        raise rule_error(
            f"{name} debe devolver un numpy.ndarray de enteros (devolvió un objeto de tipo "
            f"{_type(got).__name__}). np.flatnonzero(...) ya devuelve uno; una lista se "
            "convierte con np.array(lista, dtype=int)."
        )
    kind = got.dtype.kind
    if kind == "b":
        raise rule_error(
            f"{name} debe devolver los índices (enteros), no la máscara de True/False de cada "
            "posición: pásala por np.flatnonzero(...)."
        )
    if kind not in "iu" and got.size == 0:
        raise rule_error(
            f"{name} debe devolver un array de enteros también cuando no hay ningún flanco; el "
            f"tuyo está vacío y su dtype es {got.dtype} (np.array([]) es float). Usa "
            "np.array(lista, dtype=int) o np.flatnonzero(...), que siempre da enteros."
        )
    if kind not in "iu":
        raise rule_error(
            f"{name} debe devolver índices enteros; su dtype es {got.dtype}. Devuelve las "
            "posiciones donde la salida supera threshold (np.flatnonzero(...) da enteros), no "
            "los valores de la salida."
        )


def _nb01_edges(d, test):
    return [i for i in _irange(_n(d)) if test(d[i])]


def explain_rising_edges(got, x, threshold=0.5):
    """Spanish hint for wrong rising-edge indices ``got`` of x, or '' if nothing matches."""
    x = [_float(v) for v in _as_lists(x)]
    thr = _float(threshold)
    d = [x[i + 1] - x[i] for i in _irange(_n(x) - 1)]
    if _type(got) is _tuple:
        return "np.nonzero devuelve una tupla: usa np.flatnonzero(...) o np.nonzero(...)[0]."
    try:
        g = _np.asarray(got)
    except Exception:  # noqa: BLE001
        return ""
    if g.ndim != 1:
        return f"Se espera un vector 1D de índices; el tuyo tiene forma {g.shape}."
    if g.dtype.kind == "b":
        return "Devuelves la máscara de True/False: pásala por np.flatnonzero(...)."
    if g.dtype.kind == "f" and g.shape[0] == _n(d):
        values = _np.ndarray.tolist(g.astype(_np.float64))
        if close_lists(values, d):
            return (
                "Devuelves la salida de x ⊛ (-1, 1), no los índices donde supera threshold: "
                "np.flatnonzero(salida > threshold)."
            )
        if close_lists(values, [-v for v in d]):
            return (
                "Devuelves la salida de x ⊛ (1, -1) (el kernel invertido, lo que calcula "
                "np.convolve), no los índices donde x ⊛ (-1, 1) supera threshold."
            )
    if g.dtype.kind not in "iuf":
        return ""
    vals = _np.ndarray.tolist(g)
    expected = _nb01_edges(d, lambda v: v > thr)
    falling = _nb01_edges(d, lambda v: -v > thr)
    candidates = [
        (
            [e + 1 for e in expected],
            "Devuelves i + 1 (la muestra ya alta); se pide el índice i de la salida de "
            "x ⊛ (-1, 1): el salto ocurre entre las muestras i e i + 1.",
        ),
        (
            falling,
            "Marcas los flancos de bajada, no los de subida: el kernel está invertido. "
            "np.convolve (como scipy.signal.convolve) invierte el kernel antes de deslizarlo: "
            "np.convolve(x, [-1, 1], 'valid') calcula x[i] - x[i + 1]. Usa "
            "np.correlate(x, [-1, 1], 'valid'), cnncourse.conv1d(x, np.array([-1.0, 1.0])), "
            "tu conv1d_loops o x[1:] - x[:-1].",
        ),
        (
            _nb01_edges(d, lambda v: v > thr or -v > thr),
            "Marcas también los flancos de bajada: compara la salida de x ⊛ (-1, 1) con "
            "threshold tal cual, sin valor absoluto.",
        ),
        (
            _nb01_edges(d, lambda v: v > 0.5),
            f"No usas el parámetro threshold: compara con threshold (aquí {thr}), no con 0.5.",
        ),
        (
            _nb01_edges(d, lambda v: v > 0.0),
            f"Comparas con 0, no con threshold (aquí {thr}).",
        ),
        (
            _nb01_edges(d, lambda v: v >= thr),
            "Usas >= en vez de >: se piden los índices donde la salida es estrictamente mayor "
            "que threshold.",
        ),
    ]
    candidates = [(c, h) for c, h in candidates if _n(c)]  # an empty result says little
    return _nb01_one_hint(vals, expected, candidates, lambda a, b: a == b)


# --------------------------------------------------------------------------------------
# Exercise 4: conv1d_numba
# --------------------------------------------------------------------------------------
def _nb01_is_njit(fn):
    """True when ``fn`` is a Numba CPU dispatcher (what @numba.njit returns)."""
    try:
        from numba.core.registry import CPUDispatcher
    except Exception:  # noqa: BLE001 - numba missing or broken: nothing to check against
        return True
    return _type(fn) is CPUDispatcher


def rule_njit(fn, name="conv1d_numba"):
    """Raise the rule failure unless ``fn`` is decorated with @numba.njit."""
    if _nb01_is_njit(fn):
        return
    what = _type(fn).__name__
    if what == "function":
        what = "una función normal de Python"
    raise rule_error(
        f"{name} debe estar decorada con @numba.njit (ahora es {what}). Escribe @numba.njit "
        f"en la línea justo encima de «def {name}(x, u):» y ejecuta esa celda de nuevo."
    )


# --------------------------------------------------------------------------------------
# Numba errors, explained (the visible test of conv1d_numba)
# --------------------------------------------------------------------------------------
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
    """dense_params(height, width, units) = height * width * units + units, an int."""
    rng = _Rng()
    cases = [(100, 100, 1000), (1, 1, 1), (28, 28, 10), (3, 5, 7)]
    cases += [(rng.integers(1, 300), rng.integers(1, 300), rng.integers(1, 50)) for _ in range(4)]
    for H, W, units in cases:
        got = fn(H, W, units)
        exp = H * W * units + units
        rule_int(got, "dense_params")
        got = _int(got.item() if _type(got) is not _int else got)
        if got != exp:
            hint = explain_dense_params(got, H, W, units)
            _fail(
                f"{hint} dense_params({H}, {W}, {units}) devolvió {got}; se esperaba {exp}.".strip()
            )


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
        rule_index_array(got, name)
        vals = _np.ndarray.tolist(got)
        if _tuple(got.shape) != (len(exp),) or vals != exp:
            hint = explain_rising_edges(got, x, thr)
            _fail(
                f"{hint} {name}({x}, threshold={thr}): se esperaban los índices {exp}; "
                f"recibido {vals}.".strip()
            )


def hidden_conv1d_numba(fn, namespace=None, name="conv1d_numba"):
    """The @numba.njit version: a numba dispatcher that computes C1, with C1's rules."""
    rule_njit(fn, name)
    # its rules first (a list returned, an int dtype...), with the visible test's messages
    check_rules(fn, ([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0], [-1.0, 1.0]), name, namespace)
    hidden_conv1d(fn, namespace, name=name)
    rng = _Rng()
    x = rng.values((500,))
    u = rng.nonsymmetric((7,))
    _check(_call(fn, (x, u), name, namespace), ref_conv1d(x, u), name, explain_conv1d, (x, u))
