"""Notebook 06 (architectures): hints for the visible tests and the hidden checks.

Exercises: ``build_pattern`` (the lecture's pattern INPUT -> [[CONV -> ReLU]*N -> POOL?]*M
-> [FC -> ReLU]*K -> FC built from ``cnncourse.layers``), ``lenet5_table`` (LeNet-5's
output shapes and parameter counts by hand), ``inception_out`` (output channels and
parameters of an inception block) and ``residual_forward`` (y = ReLU(F(x) + shortcut(x))).

The references below are plain Python on ints and nested lists: the layer sequence the
pattern asks for, LeNet-5's arithmetic, the inception block's sums and a residual block
whose branches (channel mixes with small integer weights, optionally with stride 2) are
computed with loops. A student's model is read through its layers' class names (the MRO,
so subclasses count), their ``params`` arrays and their ``kernel_size``/``stride``/
``padding`` attributes; nothing from ``cnncourse.layers`` is imported here.
"""

from __future__ import annotations

import numpy as _np

from ._core import (
    _RULE_NOTE,
    _AssertionError,
    _call,
    _code_names,
    _dict,
    _fail,
    _int,
    _irange,
    _list,
    _n,
    _python_code,
    _Rng,
    _shape_of,
    _str,
    _tuple,
    _type,
    check_rules,
    close_lists,
    strict_floats,
)

# What the notebook calls: `checks.explain_*` in its visible tests and
# `trusted(globals()).hidden_*` in its hidden ones.
__all__ = [
    "explain_pattern",
    "explain_pattern_error",
    "explain_lenet_rules",
    "explain_lenet_table",
    "explain_lenet_too_small",
    "explain_inception_rules",
    "explain_inception",
    "explain_residual",
    "explain_residual_error",
    "check_residual_rules",
    "hidden_build_pattern",
    "hidden_lenet_table",
    "hidden_inception",
    "hidden_residual",
]

# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------
_NB06_INT_TYPES = (_int, _np.int64, _np.int32, _np.intp)
_NB06_KINDS = {  # class name -> the lecture's name of the layer
    "Conv2D": "CONV",
    "ReLU": "ReLU",
    "MaxPool2D": "POOL",
    "AvgPool2D": "POOL",
    "Flatten": "FLATTEN",
    "Dense": "FC",
}


def _nb06_int(value):
    """A plain int from an exact int or NumPy integer, else None (bool and floats refused)."""
    t = _type(value)
    if t is _int:
        return value
    for it in _NB06_INT_TYPES:
        if t is it:
            return _int(value.item())
    return None


def _nb06_class_names(obj):
    return [c.__name__ for c in _type(obj).__mro__]


def _nb06_rule(message):
    """``message`` marked as a rule of the statement (the hidden checks apply it too)."""
    return message if _str.endswith(message, _RULE_NOTE) else message + _RULE_NOTE


def _nb06_forbidden(fn, names, name, why):
    """The rule message when the code of ``fn`` mentions one of ``names``, else ''."""
    code = _python_code(fn)
    if code is None:
        return ""
    bad = sorted({n for n in _code_names(code, []) if n in names})
    return _nb06_rule(f"{name} usa {bad}: {why}") if bad else ""


def _nb06_forbid(fn, names, name, why):
    """Fail when the code of ``fn`` mentions one of ``names`` (a library shortcut)."""
    message = _nb06_forbidden(fn, names, name, why)
    if message:
        _fail(message)


# --------------------------------------------------------------------------------------
# Exercise 1: the lecture's pattern
# --------------------------------------------------------------------------------------
def ref_pattern(in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10):
    """The layers of INPUT -> [[CONV -> ReLU]*N -> POOL?]*M -> FLATTEN -> [FC -> ReLU]*K -> FC.

    A list of (kind, info): ("CONV", (C_in, D)), ("ReLU", None), ("POOL", None),
    ("FLATTEN", F), ("FC", (in, out)); CONV is 3x3 with padding 1 (the size is kept) and
    POOL a 2x2 window with stride 2 (the size halves, rounded down).
    """
    C, H, W = in_shape
    rows = []
    for _ in _irange(M):
        for _ in _irange(N):
            rows.append(("CONV", (C, channels)))
            rows.append(("ReLU", None))
            C = channels
        if pool:
            rows.append(("POOL", None))
            H, W = H // 2, W // 2
    features = C * H * W
    rows.append(("FLATTEN", features))
    for _ in _irange(K):
        rows.append(("FC", (features, hidden)))
        rows.append(("ReLU", None))
        features = hidden
    rows.append(("FC", (features, num_classes)))
    return rows


def _nb06_pattern_params(rows):
    total = 0
    for kind, info in rows:
        if kind == "CONV":
            total = total + info[1] * (info[0] * 9 + 1)
        elif kind == "FC":
            total = total + info[1] * (info[0] + 1)
    return total


def _nb06_kinds(rows):
    return [kind for kind, _ in rows]


def _nb06_notation(kinds):
    """The lecture's notation for a list of layer kinds: 'INPUT → CONV → ReLU → ... → FC'."""
    return " → ".join(["INPUT"] + list(kinds))


def _nb06_leaves(model, out, depth=0):
    """The plain layers of ``model``, Sequential blocks opened recursively."""
    if depth > 20:
        return out
    names = _nb06_class_names(model)
    if "Sequential" in names:
        try:
            children = list(model.children())
        except Exception:  # noqa: BLE001 - any object a student returns
            children = None
        if children is not None:
            for child in children:
                _nb06_leaves(child, out, depth + 1)
            return out
    out.append(model)
    return out


def _nb06_kind_of(layer):
    for cls in _nb06_class_names(layer):
        if cls in _NB06_KINDS:
            return _NB06_KINDS[cls]
    return _type(layer).__name__


def _nb06_pair(value):
    try:
        a, b = value
        return (_int(a), _int(b))
    except Exception:  # noqa: BLE001
        try:
            return (_int(value), _int(value))
        except Exception:  # noqa: BLE001
            return None


def _nb06_param_shape(layer, key):
    try:
        return _tuple(_dict.get(layer.params, key).shape)
    except Exception:  # noqa: BLE001
        return None


def _nb06_pattern_call(N, M, K, pool):
    extra = "" if pool else ", pool=False"
    return f"N={N}, M={M}, K={K}{extra}"


def _nb06_count_params(layers):
    """Sum of the sizes of the ``params`` arrays of ``layers``, or None if unreadable."""
    total = 0
    try:
        for layer in layers:
            for value in _dict.values(layer.params):
                total = total + _int(value.size)
    except Exception:  # noqa: BLE001 - any object a student returns
        return None
    return total


def _nb06_halvings(n, times):
    """'13 → 6 → 3': ``n`` halved (rounded down) ``times`` times."""
    sizes = [n]
    for _ in _irange(times):
        sizes.append(sizes[-1] // 2)
    return " → ".join(_str(v) for v in sizes)


def explain_pattern_error(err, in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10):
    """Spanish hint for an exception raised by ``build_pattern(in_shape, N, M, K, pool, ...)``.

    Read from the library's message: a shape passed to ``Dense`` (``output_shape`` returns a
    tuple), a float number of inputs, too many POOLs for the image, a CONV built for other
    channels, the parameters in another order.
    """
    text = _str(err)
    kind = _type(err).__name__
    C, H, W = in_shape
    call = (
        f"build_pattern({in_shape}, {N}, {M}, {K}, {pool}, channels={channels}, "
        f"hidden={hidden}, num_classes={num_classes})"
    )
    head = f"{call} falla con {kind}: {text}\n"
    if "in_features" in text and "tuple" in text:
        return head + (
            "Sequential(*capas).output_shape(in_shape) devuelve una tupla, la forma de la "
            "salida de una imagen: tras el Flatten, (entradas,). Dense(entradas, salidas) "
            "necesita el número, un int: usa output_shape(in_shape)[0]."
        )
    if "in_features" in text and "float" in text:
        return head + (
            "El número de entradas de Dense debe ser un int y has pasado un float: ¿has "
            "dividido el alto o el ancho con / en vez de con // (división entera)?"
        )
    order = (
        "Las comprobaciones llaman a la función como el enunciado, build_pattern(in_shape, N, "
        "M, K, pool, channels=..., hidden=..., num_classes=...): pool es el quinto parámetro, "
        "y channels, hidden y num_classes van con esos nombres."
    )
    if any(
        w in text
        for w in ("multiple values for argument", "unexpected keyword", "positional argument")
    ):
        return head + "Tu build_pattern no tiene los parámetros del enunciado. " + order
    if ("True" in text or "False" in text) and "bool" in text:
        return head + (
            "Un argumento que debía ser un número ha recibido True o False: ¿has cambiado el "
            "orden de los parámetros? " + order
        )
    if "Pool" in text and "does not fit" in text:
        return head + (
            f"Un POOL no cabe: la imagen se ha quedado demasiado pequeña, así que hay más "
            f"POOL de los {M if pool else 0} del patrón. Va uno solo al final de cada grupo, "
            f"después de sus N parejas CONV → ReLU, no uno por CONV: con M = {M}, el alto "
            f"pasa por {_nb06_halvings(H, M if pool else 0)} y el ancho por "
            f"{_nb06_halvings(W, M if pool else 0)}."
        )
    if "Conv2D" in text and "expected input with" in text:
        return head + (
            f"Una CONV está construida para otro número de canales de entrada. La primera "
            f"recibe los canales de la imagen, in_shape[0] = {C}, y cada una de las demás, "
            f"los channels = {channels} de la anterior."
        )
    if "Dense" in text and "expected input of shape" in text:
        return head + (
            "La primera FC no espera las entradas que le llegan tras el Flatten: canales × "
            "alto × ancho de la salida del último grupo."
        )
    return head + "Mira la línea de tu código que lanza el error (en la traza, más arriba)."


def explain_pattern(got, in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10):
    """Spanish hint for a wrong ``build_pattern(in_shape, N, M, K, pool, ...)`` model, or ''."""
    if "Layer" not in _nb06_class_names(got):
        return _nb06_rule(
            f"build_pattern debe devolver un modelo de cnncourse.layers (un Sequential), no "
            f"un objeto de tipo {_type(got).__name__}. ¿Te falta el return?"
        )
    if "Sequential" not in _nb06_class_names(got):
        return _nb06_rule(
            "Devuelve un Sequential con todas las capas: Sequential(capa1, capa2, ...)."
        )
    exp = ref_pattern(in_shape, N, M, K, pool, channels, hidden, num_classes)
    layers = _nb06_leaves(got, [])
    kinds = [_nb06_kind_of(layer) for layer in layers]
    want = _nb06_kinds(exp)
    if kinds != want:
        return _nb06_explain_kinds(kinds, want, in_shape, N, M, K, pool)
    C = in_shape[0]
    n_conv = n_fc = 0
    for layer, (kind, info) in zip(layers, exp, strict=True):
        if kind == "CONV":
            n_conv = n_conv + 1
            shape = _nb06_param_shape(layer, "weight")
            if shape is not None and shape[2:] != (3, 3):
                return (
                    f"La CONV número {n_conv} tiene un kernel {shape[2]} × {shape[3]}: el "
                    "enunciado pide kernels 3 × 3 (Conv2D(c_in, channels, 3, padding=1))."
                )
            if _nb06_pair(getattr(layer, "padding", None)) != (1, 1):
                return (
                    f"La CONV número {n_conv} no tiene padding=1: sin él cada 3 × 3 recorta "
                    "la imagen 2 píxeles y el tamaño de la entrada del Flatten cambia."
                )
            if _nb06_pair(getattr(layer, "stride", None)) != (1, 1):
                return f"La CONV número {n_conv} debe tener stride 1."
            if shape is not None and shape[1] != info[0]:
                first = (
                    f" La primera recibe los canales de la imagen, in_shape[0] = {C}."
                    if n_conv == 1
                    else " Cada CONV recibe los canales de la anterior."
                )
                return (
                    f"La CONV número {n_conv} espera {shape[1]} canales de entrada; le llegan "
                    f"{info[0]}.{first}"
                )
            if shape is not None and shape[0] != info[1]:
                return (
                    f"Todas las CONV tienen channels = {channels} filtros (el parámetro "
                    f"channels, no un número fijo); la número {n_conv} tiene {shape[0]}."
                )
            if _nb06_param_shape(layer, "bias") is None:
                return (
                    f"La CONV número {n_conv} no tiene sesgo: usa bias=True (el valor por defecto)."
                )
        elif kind == "POOL":
            if _nb06_pair(getattr(layer, "kernel_size", None)) != (2, 2) or _nb06_pair(
                getattr(layer, "stride", None)
            ) != (2, 2):
                return "Cada POOL es una ventana 2 × 2 con stride 2: MaxPool2D(2)."
        elif kind == "FC":
            n_fc = n_fc + 1
            shape = _nb06_param_shape(layer, "weight")
            last = n_fc == K + 1
            if shape is not None and shape[1] != info[0]:
                if n_fc == 1:
                    return (
                        f"La primera FC espera {shape[1]} entradas, pero tras el Flatten llegan "
                        f"{info[0]} = canales × alto × ancho de la salida del último grupo. "
                        "Cuenta los canales (los de la entrada si no hay ninguna CONV) y "
                        "divide el alto y el ancho entre 2 por cada POOL (redondeando hacia "
                        "abajo); o pregunta a la red: red.output_shape(in_shape)."
                    )
                return f"La FC número {n_fc} espera {shape[1]} entradas; la anterior da {info[0]}."
            if shape is not None and shape[0] != info[1]:
                what = (
                    f"la última da las num_classes = {num_classes} salidas (el parámetro "
                    "num_classes, no un número fijo)"
                    if last
                    else f"las FC ocultas tienen hidden = {hidden} neuronas (el parámetro "
                    "hidden, no un número fijo)"
                )
                return f"La FC número {n_fc} tiene {shape[0]} salidas: {what}."
            if _nb06_param_shape(layer, "bias") is None:
                return f"La FC número {n_fc} no tiene sesgo: usa bias=True (el valor por defecto)."
    total, want = _nb06_count_params(layers), _nb06_pattern_params(exp)
    if total is not None and total != want:
        return (
            f"Con {_nb06_pattern_call(N, M, K, pool)} tu red tiene {total} parámetros; se "
            f"esperaban {want} (CONV: D·(C·3·3 + 1); FC: salidas·(entradas + 1))."
        )
    return ""


def _nb06_explain_kinds(kinds, want, in_shape, N, M, K, pool):
    head = (
        f"Con {_nb06_pattern_call(N, M, K, pool)} la red debe ser\n  {_nb06_notation(want)}\n"
        f"y la tuya es\n  {_nb06_notation(kinds)}\n"
    )
    if kinds == want + ["ReLU"]:
        return head + (
            "Sobra la ReLU después de la última FC: la última FC da la salida del modelo (las "
            "puntuaciones de cada clase) y va sin ReLU."
        )
    if kinds == want[:-1] and (not _n(kinds) or kinds[-1] == "ReLU"):
        return head + "Falta la FC final, la que da la salida: [FC → ReLU]*K y después una FC más."
    if kinds == [k for k in want if k != "FLATTEN"]:
        return head + (
            "Falta el Flatten antes de la primera FC: convierte el volumen (N, C, H, W) en "
            "vectores (N, C·H·W), que es lo que recibe una capa Dense."
        )
    inside = []
    for _ in _irange(M):
        for _ in _irange(N):
            inside += ["CONV", "ReLU"] + (["POOL"] if pool else [])
    inside += ["FLATTEN"] + ["FC", "ReLU"] * K + ["FC"]
    if pool and N > 1 and kinds == inside:
        return head + (
            "El POOL está dentro del bucle de N: va una sola vez al final de cada grupo, "
            "después de las N parejas CONV → ReLU ([[CONV → ReLU]*N → POOL?]*M)."
        )
    n_pool = kinds.count("POOL")
    if M == 0 and (kinds.count("CONV") or n_pool):
        return head + (
            "Con M = 0 no hay ningún grupo, y por tanto ni CONV ni POOL, aunque N > 0: "
            "[...]*0 no repite nada."
        )
    if N == 0 and pool and n_pool != M:
        return head + (
            f"Con N = 0 cada grupo es solo un POOL: M = {M} grupos son {M} POOL seguidos (y "
            "ninguna CONV)."
        )
    swapped = _nb06_kinds(ref_pattern(in_shape, M, N, K, pool))
    if N > 0 and M > 0 and N != M and kinds == swapped:
        return head + (
            "Has intercambiado N y M: N es el número de parejas CONV → ReLU de cada grupo y M "
            "el número de grupos (cada uno acaba en POOL)."
        )
    if not pool and n_pool:
        return head + "Con pool=False los grupos no llevan POOL (POOL? es opcional)."
    if pool and n_pool == 0 and M > 0:
        return head + "Con pool=True cada uno de los M grupos termina en un POOL."
    for k2 in (K - 1, K + 1):
        if k2 >= 0 and kinds == _nb06_kinds(ref_pattern(in_shape, N, M, k2, pool)):
            return head + (
                f"El patrón tiene K + 1 = {K + 1} capas FC: K = {K} ocultas, cada una con su "
                f"ReLU, y la de salida; la tuya tiene {k2 + 1}."
            )
    for n2 in (N - 1, N + 1):
        if n2 >= 0 and kinds == _nb06_kinds(ref_pattern(in_shape, n2, M, K, pool)):
            return head + f"Cada grupo tiene N = {N} parejas CONV → ReLU, no {n2}."
    for m2 in (M - 1, M + 1):
        if m2 >= 0 and kinds == _nb06_kinds(ref_pattern(in_shape, N, m2, K, pool)):
            return head + f"Hay M = {M} grupos, no {m2}."
    return head + (
        "Recorre los bucles como en el patrón: M grupos de N parejas CONV → ReLU (con su POOL), "
        "Flatten, K parejas FC → ReLU y la FC final."
    )


def _nb06_run_forward(model, x, name, call):
    try:
        out = model(x)
    except Exception as err:  # noqa: BLE001 - any error inside the student's model
        _fail(
            f"{name}({call}) construye una red que falla al calcular una salida: "
            f"{_type(err).__name__}: {err}"
        )
    return out


def hidden_build_pattern(fn, namespace=None, name="build_pattern"):
    """Random N, M, K (zeros included), pool on and off, non-square inputs of 1-3 channels."""
    rng = _Rng()
    cases = [
        ((1, 8, 8), 2, 2, 1, True),
        ((1, 9, 7), 0, 0, 0, True),  # a linear model
        ((2, 8, 10), 0, 0, 2, True),  # an MLP
        ((3, 6, 5), 1, 1, 0, False),  # INPUT -> CONV -> ReLU -> FC
        ((1, 12, 9), 0, 2, 1, True),  # groups with no CONV: only pools
        ((2, 7, 8), 3, 0, 1, True),  # M = 0: no group at all
        ((1, 16, 12), 2, 3, 2, True),
    ]
    for _ in _irange(5):
        C = rng.integers(1, 3)
        H = rng.integers(8, 14)
        W = H + rng.integers(1, 4)
        pool = rng.integers(0, 3) > 0
        cases.append(((C, H, W), rng.integers(0, 3), rng.integers(0, 3), rng.integers(0, 2), pool))
    for in_shape, N, M, K, pool in cases:
        channels, hidden, num_classes = rng.integers(2, 6), rng.integers(3, 9), rng.integers(2, 7)
        kwargs = {"channels": channels, "hidden": hidden, "num_classes": num_classes}
        call = f"{in_shape}, N={N}, M={M}, K={K}, pool={pool}, " + ", ".join(
            f"{k}={v}" for k, v in _dict.items(kwargs)
        )
        try:
            model = fn(in_shape, N, M, K, pool, **kwargs)
        except _AssertionError:
            raise
        except Exception as err:  # noqa: BLE001
            _fail(explain_pattern_error(err, in_shape, N, M, K, pool, **kwargs))
        hint = explain_pattern(model, in_shape, N, M, K, pool, channels, hidden, num_classes)
        if hint:
            _fail(f"{name}({call}): {hint}")
        exp = ref_pattern(in_shape, N, M, K, pool, channels, hidden, num_classes)
        total = 0
        for layer in _nb06_leaves(model, []):
            for value in _dict.values(layer.params):
                total = total + _int(value.size)
        if total != _nb06_pattern_params(exp):
            _fail(
                f"{name}({call}) tiene {total} parámetros; se esperaban "
                f"{_nb06_pattern_params(exp)} (CONV: D·(C·3·3 + 1); FC: salidas·(entradas + 1))."
            )
        x = _np.array(rng.values((2,) + _tuple(in_shape)), dtype=_np.float32)
        out = _nb06_run_forward(model, x, name, call)
        if _type(out) is not _np.ndarray or _tuple(out.shape) != (2, num_classes):
            got = _tuple(out.shape) if _type(out) is _np.ndarray else _type(out).__name__
            _fail(
                f"{name}({call}): para un lote de 2 imágenes la salida debe tener forma "
                f"(2, {num_classes}), una fila de num_classes puntuaciones por imagen; "
                f"se obtuvo {got}."
            )


# --------------------------------------------------------------------------------------
# Exercise 2: LeNet-5 by hand
# --------------------------------------------------------------------------------------
_NB06_LENET_ROWS = ("C1", "S2", "C3", "S4", "C5", "F6", "OUTPUT")


def ref_lenet5_table(input_size=32, num_classes=10):
    """{row: (output shape, parameters)} of the notebook's LeNet-5 on (1, n, n) inputs.

    C1 6 conv 5x5, S2 pool 2x2/2, C3 16 conv 5x5 on all 6 maps, S4 pool 2x2/2, C5 120 conv
    5x5, F6 dense -> 84 (on the flattened C5), OUTPUT dense 84 -> num_classes; biases
    everywhere, pooling without parameters.
    """
    n1 = input_size - 5 + 1
    p1 = (n1 - 2) // 2 + 1
    n3 = p1 - 5 + 1
    p3 = (n3 - 2) // 2 + 1
    n5 = p3 - 5 + 1
    flat = 120 * n5 * n5
    return {
        "C1": ((6, n1, n1), 6 * (1 * 5 * 5 + 1)),
        "S2": ((6, p1, p1), 0),
        "C3": ((16, n3, n3), 16 * (6 * 5 * 5 + 1)),
        "S4": ((16, p3, p3), 0),
        "C5": ((120, n5, n5), 120 * (16 * 5 * 5 + 1)),
        "F6": ((84,), 84 * (flat + 1)),
        "OUTPUT": ((num_classes,), num_classes * (84 + 1)),
    }


def _nb06_lenet_row(value):
    """(shape tuple of ints, params int) from a student's row, or None."""
    try:
        shape, params = value
    except Exception:  # noqa: BLE001
        return None
    if _type(shape) is not _tuple:
        return None
    dims = [_nb06_int(d) for d in shape]
    if None in dims or _nb06_int(params) is None:
        return None
    return (_tuple(dims), _nb06_int(params))


_NB06_LENET_CONVS = {"C1": 1, "C3": 6, "C5": 16}  # CONV row -> channels it receives
_NB06_LENET_PREV = {"C1": None, "S2": "C1", "C3": "S2", "S4": "C3", "C5": "S4", "F6": "C5"}


def _nb06_lenet_row_problem(key, value):
    """The rule message when a row is not (tuple of ints, int), else ''."""
    try:
        shape, params = value
    except Exception:  # noqa: BLE001
        return _nb06_rule(
            f"Cada valor del diccionario es una tupla (forma, parámetros); en '{key}' hay "
            f"{value!r}."
        )
    if _type(shape) is not _tuple:
        return _nb06_rule(
            f"La forma es una tupla de enteros, como (6, 28, 28), no un objeto de tipo "
            f"{_type(shape).__name__}; en '{key}' hay {shape!r}."
        )
    if [d for d in shape if _nb06_int(d) is None]:
        return _nb06_rule(
            f"Las dimensiones de la forma son enteros (int); en '{key}' la forma es {shape!r}."
        )
    if _nb06_int(params) is None:
        why = " ¿Has dividido con / en vez de con //?" if _type(params).__name__ == "float" else ""
        return _nb06_rule(
            f"El número de parámetros es un entero (int), no un {_type(params).__name__}; en "
            f"'{key}' hay {params!r}.{why}"
        )
    return ""


def _nb06_lenet_shape_hint(key, shape, exp, n, num_classes):
    """Why the output shape of row ``key`` differs from LeNet-5's (earlier rows are right)."""
    eshape = exp[key][0]
    conv = key in _NB06_LENET_CONVS
    pool = key in ("S2", "S4")
    prev = _NB06_LENET_PREV.get(key)
    pshape = (1, n, n) if prev is None else exp[prev][0]
    source = "la imagen" if prev is None else prev
    gets = "la imagen" if prev is None else f"la salida de {prev}"
    if (conv or pool) and _n(shape) != 3:
        if key == "C5" and _n(shape) == 1:
            return (
                f"C5 es una CONV (120 filtros 5 × 5), no una FC: su salida sigue siendo un "
                f"volumen (C, H, W), aquí {eshape}, aunque el alto y el ancho valgan "
                f"{eshape[1]}. Lo aplana el Flatten que va entre C5 y F6: por eso F6 recibe "
                "120 · Ho · Wo valores."
            )
        what = "una CONV" if conv else "un POOL"
        return (
            f"{key} es {what}: su salida es un volumen (C, H, W), de 3 números; solo las FC "
            "(F6 y OUTPUT) dan un vector (salidas,)."
        )
    if key == "OUTPUT":
        return f"La capa de salida tiene una neurona por clase: ({num_classes},), con num_classes."
    if not (conv or pool):
        if _n(shape) != 1:
            return f"{key} es una FC: su salida es un vector, (salidas,) = {eshape}."
        return f"F6 es una FC de 84 neuronas: su salida es {eshape}."
    if shape == (eshape[1], eshape[2], eshape[0]):
        return "Las formas van con los canales primero, (C, H, W), como en NumPy."
    if shape[1:] == eshape[1:]:
        if conv:
            return (
                f"El número de canales de la salida de una CONV es su número de filtros: "
                f"{eshape[0]} en {key}."
            )
        return f"Un POOL conserva los canales que recibe: los {pshape[0]} de {prev}."
    if key == "C1" and shape == (6, n - 8, n - 8):
        return (
            f"Parece que partes de {n - 4} × {n - 4} (las imágenes de MNIST miden 28): la "
            f"entrada de LeNet-5 mide {n} × {n}, y C1 da {n} − 5 + 1 = {n - 4}."
        )
    h, ph = shape[1], pshape[1]
    if conv and h == ph:
        return (
            f"Sin padding, una convolución 5 × 5 recorta: {source} llega con {ph} × {ph} y "
            f"{key} da {ph} − 5 + 1 = {eshape[1]}."
        )
    if conv and (h == eshape[1] + 1 or h == eshape[1] - 1):
        return (
            f"Error por uno: una convolución 5 × 5 sin padding sobre {ph} × {ph} da "
            f"{ph} − 5 + 1 = {eshape[1]}."
        )
    if pool and h == ph:
        return (
            f"El pooling 2 × 2 con stride 2 divide el alto y el ancho entre 2: {prev} da "
            f"{ph} × {ph} y {key}, {eshape[1]} × {eshape[1]}."
        )
    if pool and h == (ph + 1) // 2 and ph % 2:
        return (
            f"Con un tamaño impar el pooling redondea hacia abajo: ⌊{ph} / 2⌋ = {eshape[1]} "
            "(la última fila y la última columna no llenan una ventana 2 × 2)."
        )
    if conv:
        return (
            f"{key} recibe {gets}, {pshape}: un kernel 5 × 5 sin padding da "
            f"{ph} − 5 + 1 = {eshape[1]} de alto y de ancho, y {eshape[0]} canales, uno por "
            "filtro."
        )
    return (
        f"{key} recibe la salida de {prev}, {pshape}: el pooling 2 × 2 con stride 2 da "
        f"⌊{ph} / 2⌋ = {eshape[1]} de alto y de ancho, y conserva los {pshape[0]} canales."
    )


def explain_lenet_table(got, input_size=32, num_classes=10):
    """Spanish hint for a wrong ``lenet5_table(input_size, num_classes)`` result, or ''."""
    exp = ref_lenet5_table(input_size, num_classes)
    if _type(got) is not _dict:
        return _nb06_rule(
            "lenet5_table debe devolver un diccionario (dict) {'C1': ((6, 28, 28), 156), ...}, "
            f"no un objeto de tipo {_type(got).__name__}."
        )
    keys = list(got)
    if sorted(keys) != sorted(_NB06_LENET_ROWS):
        missing = [k for k in _NB06_LENET_ROWS if k not in got]
        extra = [k for k in keys if k not in _NB06_LENET_ROWS]
        return (
            f"Las claves deben ser exactamente {list(_NB06_LENET_ROWS)}; faltan {missing} y "
            f"sobran {extra}."
        )
    n = input_size
    for key in _NB06_LENET_ROWS:
        problem = _nb06_lenet_row_problem(key, got[key])
        if problem:
            return problem
        shape, params = _nb06_lenet_row(got[key])
        (eshape, eparams) = exp[key]
        where = (
            f"{key}: se esperaba forma {eshape} con {eparams} parámetros; tienes {shape} con "
            f"{params}. "
        )
        if shape != eshape:
            return where + _nb06_lenet_shape_hint(key, shape, exp, n, num_classes)
        if params == eparams:
            continue
        if key in ("S2", "S4"):
            if params == 2 * eshape[0]:
                return where + (
                    "El pooling no tiene parámetros. (En el artículo de 1998 cada mapa de S2 y "
                    "S4 tenía un coeficiente y un sesgo entrenables; aquí, como en el tema, "
                    "el pooling es una ventana sin nada que aprender.)"
                )
            return where + "El pooling no tiene parámetros: 0."
        if key == "C3" and params == 1516:
            return where + (
                "1516 es el C3 del artículo original, con su tabla de conexiones parcial; aquí "
                "cada filtro de C3 ve los 6 mapas de S2: 16 · (6 · 5 · 5 + 1)."
            )
        c_in = _dict.get(_NB06_LENET_CONVS, key)
        if c_in is not None:
            D = eshape[0]
            if params == D * c_in * 25:
                return where + f"Faltan los sesgos: uno por filtro, {D} en total."
            if params == D * (25 + 1):
                return (
                    where + f"Cada filtro tiene {c_in} × 5 × 5 pesos: uno por canal de la entrada."
                )
            return (
                where
                + f"Una CONV tiene D · (C · h · w + 1) = {D} · ({c_in} · 5 · 5 + 1) parámetros."
            )
        fan_in = _int(eparams // eshape[0]) - 1
        if params == eshape[0] * fan_in:
            return where + f"Faltan los sesgos: uno por neurona, {eshape[0]} en total."
        s4 = exp["S4"][0]
        if key == "F6" and params == 84 * (s4[0] * s4[1] * s4[2] + 1):
            return (
                where + "F6 recibe la salida de C5 aplanada (120 · Ho · Wo valores), no la de S4."
            )
        c5 = exp["C5"][0]
        if key == "F6" and c5[1] > 1 and params == 84 * (120 + 1):
            return where + (
                f"F6 recibe C5 aplanada: 120 · Ho · Wo = 120 · {c5[1]} · {c5[2]} = {fan_in} "
                f"valores, no 120 (con input_size={n}, C5 da mapas de {c5[1]} × {c5[2]})."
            )
        return (
            where
            + f"Una FC tiene salidas · (entradas + 1) = {eshape[0]} · ({fan_in} + 1) parámetros."
        )
    return ""


def _nb06_lenet_misfit(n):
    """(row, size reaching it, window) of the first LeNet-5 layer that does not fit, or None."""
    size = n
    for key in ("C1", "S2", "C3", "S4", "C5"):
        window = 5 if key in _NB06_LENET_CONVS else 2
        if size < window:
            return key, size, window
        size = size - 4 if window == 5 else (size - 2) // 2 + 1
    return None


def explain_lenet_too_small(fn, input_size=28, num_classes=10):
    """'' when ``fn(input_size, num_classes)`` raises ValueError, as the statement asks for
    an input too small for LeNet-5 (C5 no longer fits below 32 × 32); else the hint."""
    misfit = _nb06_lenet_misfit(input_size)
    key, size, window = misfit if misfit is not None else ("C5", 0, 5)
    why = (
        f"con input_size={input_size}, a {key} le llegan mapas de {size} × {size} y su "
        f"{'kernel' if window == 5 else 'ventana'} de {window} × {window} ya no cabe"
    )
    call = f"lenet5_table({input_size}, {num_classes})"
    try:
        got = fn(input_size, num_classes)
    except NotImplementedError:
        raise
    except ValueError:
        return ""
    except Exception as err:  # noqa: BLE001 - whatever the student's code raises
        return _nb06_rule(
            f"{call} lanza {_type(err).__name__}: {err}. Cuando la imagen es demasiado "
            f'pequeña ({why}), el enunciado pide un ValueError: raise ValueError("...").'
        )
    shown = repr(got)
    shown = shown if _n(shown) <= 120 else shown[:120] + "..."
    return _nb06_rule(
        f"{call} devuelve {shown}, pero {why}: esa red no existe. El enunciado pide lanzar un "
        'ValueError en ese caso (raise ValueError("...")), no devolver una tabla.'
    )


_NB06_LENET_FORBIDDEN = (
    "lenet5",
    "profile",
    "summary",
    "count_params",
    "output_shape",
    "macs",
    "compare",
    "Conv2D",
    "Dense",
    "Model",
    "BUILDERS",
)
_NB06_LENET_WHY = (
    "aquí hay que calcular las formas y los parámetros con las fórmulas, no pedírselos a las "
    "capas de la biblioteca."
)


def explain_lenet_rules(fn, name="lenet5_table"):
    """The rule message when the code of ``fn`` uses the library's layers or models, or ''."""
    return _nb06_forbidden(fn, _NB06_LENET_FORBIDDEN, name, _NB06_LENET_WHY)


def hidden_lenet_table(fn, namespace=None, name="lenet5_table"):
    """LeNet-5 on random input sizes (32-60) and numbers of classes, computed by hand; a
    ValueError when the input is too small for C5 (below 32)."""
    _nb06_forbid(fn, _NB06_LENET_FORBIDDEN, name, _NB06_LENET_WHY)
    rng = _Rng()
    cases = [(32, 10), (36, 10), (32, 2), (41, 4)]
    for _ in _irange(4):
        cases.append((rng.integers(32, 60), rng.integers(2, 30)))
    for n, nc in cases:
        call = f"{name}(input_size={n}, num_classes={nc})"
        try:
            got = fn(n, nc)
        except Exception as err:  # noqa: BLE001
            _fail(f"{call} falla con {_type(err).__name__}: {err}")
        hint = explain_lenet_table(got, n, nc)
        if hint:
            _fail(f"{call}: {hint}")
    for n in (28, 20, rng.integers(8, 31)):
        hint = explain_lenet_too_small(fn, n, rng.integers(2, 30))
        if hint:
            _fail(hint)


# --------------------------------------------------------------------------------------
# Exercise 3: the inception block
# --------------------------------------------------------------------------------------
def ref_inception(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
    """(output channels, parameters with biases) of GoogLeNet's inception block."""
    C = in_channels
    params = (
        ch1x1 * (C + 1)
        + ch3x3red * (C + 1)
        + ch3x3 * (ch3x3red * 9 + 1)
        + ch5x5red * (C + 1)
        + ch5x5 * (ch5x5red * 25 + 1)
        + pool_proj * (C + 1)
    )
    return (ch1x1 + ch3x3 + ch5x5 + pool_proj, params)


def explain_inception(got, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
    """Spanish hint for a wrong ``inception_out(...)`` result, or ''."""
    C, a, r3, b, r5, c, pp = in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj
    exp_out, exp_params = ref_inception(C, a, r3, b, r5, c, pp)
    if _type(got) is not _tuple or _n(got) != 2:
        named = " (una tupla con nombre no vale)" if "tuple" in _nb06_class_names(got) else ""
        return _nb06_rule(
            "inception_out devuelve una tupla de dos enteros, return (canales, parámetros)"
            f"{named}; has devuelto {got!r}, de tipo {_type(got).__name__}."
        )
    out, params = _nb06_int(got[0]), _nb06_int(got[1])
    if out is None or params is None:
        floats = [v for v in got if _type(v).__name__ in ("float", "float64", "float32")]
        why = " ¿Has dividido con / en vez de con //?" if floats else ""
        return _nb06_rule(
            f"Los dos valores son enteros (int o un entero de NumPy); has devuelto {got!r}, "
            f"con tipos {_type(got[0]).__name__} y {_type(got[1]).__name__}.{why}"
        )
    hints = []
    if out != exp_out:
        if out == a + r3 + b + r5 + c + pp:
            hints.append(
                "Has sumado también los canales de las 1 × 1 de reducción: esas salidas se "
                "quedan dentro de su camino (alimentan la 3 × 3 o la 5 × 5) y no llegan a la "
                "concatenación."
            )
        elif out == a + b + c:
            hints.append(
                "Te falta el cuarto camino, el del max pooling seguido de su 1 × 1 "
                "(pool_proj): también se concatena."
            )
        elif out == a + b + c + C:
            hints.append(
                "El camino del pooling no aporta in_channels canales: tras el max pooling va "
                "una 1 × 1 que los proyecta a pool_proj."
            )
        elif out == C + a + b + c + pp:
            hints.append("La salida no incluye la entrada: solo se concatenan los 4 caminos.")
        else:
            hints.append(
                "Los canales de salida son la suma de lo que da cada uno de los 4 caminos."
            )
    if params != exp_params:
        no_bias = a * C + r3 * C + b * r3 * 9 + r5 * C + c * r5 * 25 + pp * C
        five_as_three = exp_params - c * r5 * 25 + c * r5 * 9
        no_reduce_in = exp_params - b * r3 * 9 - c * r5 * 25 + b * C * 9 + c * C * 25
        no_reduce = a * (C + 1) + b * (C * 9 + 1) + c * (C * 25 + 1) + pp * (C + 1)
        no_proj = exp_params - pp * (C + 1)
        if params == no_bias:
            hints.append("Faltan los sesgos: cada convolución tiene uno por filtro.")
        elif params == five_as_three:
            hints.append(
                "La convolución grande del tercer camino es 5 × 5: 25 pesos por canal, no 9."
            )
        elif params == no_reduce_in:
            hints.append(
                "La 3 × 3 y la 5 × 5 no ven los in_channels canales de la entrada, sino los "
                "ch3x3red y ch5x5red que les dejan sus 1 × 1 de reducción: ese es el ahorro."
            )
        elif params == no_reduce:
            hints.append(
                "Faltan las 1 × 1 de reducción (ch3x3red y ch5x5red), y la 3 × 3 y la 5 × 5 "
                "trabajan sobre lo que estas les dan."
            )
        elif params == no_proj:
            hints.append("Falta la 1 × 1 del camino del pooling (pool_proj · (in_channels + 1)).")
        else:
            hints.append(
                "Suma los parámetros de las 6 convoluciones, cada una D · (C · h · w + 1) con "
                "C los canales que le llegan."
            )
    return " ".join(hints)


_NB06_INCEPTION_FORBIDDEN = (
    "Inception",
    "count_params",
    "output_shape",
    "googlenet",
    "profile",
    "summary",
    "Conv2D",
)
_NB06_INCEPTION_WHY = (
    "aquí hay que contar con la fórmula D · (C · h · w + 1), no construir el bloque."
)


def explain_inception_rules(fn, name="inception_out"):
    """The rule message when the code of ``fn`` builds the block with the library, or ''."""
    return _nb06_forbidden(fn, _NB06_INCEPTION_FORBIDDEN, name, _NB06_INCEPTION_WHY)


def hidden_inception(fn, namespace=None, name="inception_out"):
    """GoogLeNet's nine blocks (3a's 256 channels and 163,696 parameters) and random ones."""
    _nb06_forbid(fn, _NB06_INCEPTION_FORBIDDEN, name, _NB06_INCEPTION_WHY)
    rng = _Rng()
    cases = [
        (192, 64, 96, 128, 16, 32, 32),  # 3a: 256 channels, 163,696 parameters
        (256, 128, 128, 192, 32, 96, 64),  # 3b
        (832, 384, 192, 384, 48, 128, 128),  # 5b
    ]
    for _ in _irange(5):
        cases.append(_tuple(rng.integers(1, 64) for _ in _irange(7)))
    for args in cases:
        call = f"{name}{args}"
        try:
            got = fn(*args)
        except Exception as err:  # noqa: BLE001
            _fail(f"{call} falla con {_type(err).__name__}: {err}")
        exp = ref_inception(*args)
        ok = _type(got) is _tuple and _n(got) == 2
        if ok:
            ok = [_nb06_int(v) for v in got] == list(exp)
        if not ok:
            hint = explain_inception(got, *args)
            if not hint and _type(got) is not _tuple:
                hint = f"Devuelve una tupla (canales, parámetros), no {_type(got).__name__}."
            _fail(f"{call} debe ser {exp}; devolvió {got!r}. {hint}".strip())


# --------------------------------------------------------------------------------------
# Exercise 4: the residual block's forward
# --------------------------------------------------------------------------------------
def _nb06_lists(a, name):
    if _type(a) is not _np.ndarray:
        _fail(
            f"{name} debe pasar arrays de NumPy a las ramas del bloque; se recibió "
            f"{_type(a).__name__}."
        )
    return _np.ndarray.tolist(a.astype(_np.float64))


def _nb06_mix(a, weights, bias, stride=1):
    """out[n][d][j][i] = bias[d] + sum_c weights[d][c] * a[n][c][s*j][s*i] (a 1x1 conv)."""
    out = []
    for sample in a:
        H, W = _n(sample[0]), _n(sample[0][0])
        Ho, Wo = (H - 1) // stride + 1, (W - 1) // stride + 1
        maps = []
        for d in _irange(_n(weights)):
            rows = []
            for j in _irange(Ho):
                row = []
                for i in _irange(Wo):
                    acc = bias[d]
                    for c in _irange(_n(sample)):
                        acc = acc + weights[d][c] * sample[c][stride * j][stride * i]
                    row.append(acc)
                rows.append(row)
            maps.append(rows)
        out.append(maps)
    return out


def _nb06_relu(a):
    if _type(a) is _list:
        return [_nb06_relu(v) for v in a]
    return a if a > 0 else 0.0


def _nb06_add(a, b):
    if _type(a) is _list:
        return [_nb06_add(u, v) for u, v in zip(a, b, strict=True)]
    return a + b


class _Nb06Branch:
    """A branch of the test blocks: 1x1 convolutions with integer weights, in plain Python.

    Called by the student's function on an ndarray (N, C, H, W); returns a new float64
    ndarray. ``stages`` is a list of (weights, bias, stride, relu_after).
    """

    def __init__(self, stages, label):
        self.stages = stages
        self.label = label
        self.calls = 0

    def lists(self, a):
        for weights, bias, stride, relu in self.stages:
            a = _nb06_mix(a, weights, bias, stride)
            if relu:
                a = _nb06_relu(a)
        return a

    def __call__(self, x):
        self.calls = self.calls + 1
        return _np.array(self.lists(_nb06_lists(x, "residual_forward")), dtype=_np.float64)

    def __repr__(self):
        return self.label


def _nb06_block(rng, C, D, stride, identity):
    """(main, shortcut or None): main = 1x1 (C->D, stride) -> ReLU -> 1x1 (D->D)."""
    main = _Nb06Branch(
        [
            (rng.values((D, C), -3, 3), rng.values((D,), -2, 2), stride, True),
            (rng.values((D, D), -3, 3), rng.values((D,), -2, 2), 1, False),
        ],
        "F",
    )
    if identity:
        return main, None
    shortcut = _Nb06Branch([(rng.values((D, C), -2, 2), [0.0] * D, stride, False)], "shortcut")
    return main, shortcut


def explain_residual(got, x, main, shortcut=None):
    """Spanish hint for a wrong ``residual_forward(x, main, shortcut)`` result, or ''."""
    if _type(got) is not _np.ndarray:
        return _nb06_rule(
            f"residual_forward debe devolver un numpy.ndarray, no un objeto de tipo "
            f"{_type(got).__name__}."
        )
    x = _np.asarray(x, dtype=_np.float64)
    f = _np.asarray(main(x), dtype=_np.float64)
    skip = x if shortcut is None else _np.asarray(shortcut(x), dtype=_np.float64)
    try:
        g = _np.asarray(got, dtype=_np.float64)
    except Exception:  # noqa: BLE001
        return "El resultado no se puede convertir en un array de números."
    exp = _np.maximum(f + skip, 0.0)
    if g.shape != exp.shape:
        if g.shape == x.shape and shortcut is not None:
            return (
                f"Forma {g.shape} en vez de {exp.shape}: la salida tiene la forma de F(x); "
                "con un atajo de proyección suma shortcut(x), no x."
            )
        return f"Forma {g.shape} en vez de {exp.shape}, la de F(x)."

    def same(a):
        return a.shape == g.shape and bool(_np.all(_np.abs(a - g) <= 1e-6 * (1 + _np.abs(a))))

    if same(exp):
        return ""
    if same(_np.maximum(f, 0.0) + skip):
        return (
            "Has aplicado la ReLU a F(x) antes de sumar el atajo: en el bloque residual la ReLU "
            "va después de la suma, y = ReLU(F(x) + x)."
        )
    if same(f + skip):
        return "Falta la ReLU final: y = ReLU(F(x) + x), después de la suma."
    if same(_np.maximum(f, 0.0)) or same(f):
        return (
            "Falta el atajo (la skip connection): hay que sumar x (o shortcut(x)) a F(x) antes "
            "de la ReLU."
        )
    if shortcut is not None and f.shape == x.shape and same(_np.maximum(f + x, 0.0)):
        return (
            "Has sumado x aunque el bloque tiene un atajo de proyección: cuando hay shortcut, "
            "se suma shortcut(x), la 1 × 1 que ajusta los canales (y el tamaño) de x."
        )
    if shortcut is not None and same(_np.maximum(f + skip + x, 0.0)):
        return "Has sumado x y shortcut(x): con un atajo de proyección solo se suma shortcut(x)."
    if same(_np.maximum(2 * f, 0.0)) or same(_np.maximum(f + f, 0.0)):
        return "Has sumado F(x) dos veces: lo que se suma a F(x) es el atajo, x o shortcut(x)."
    return "La salida es y = ReLU(F(x) + x), o ReLU(F(x) + shortcut(x)) si hay shortcut."


def _nb06_call(fn, args, name, namespace=None):
    """The hidden tests' guard (``_call``, inputs must survive), with a residual block's words."""
    try:
        return _call(fn, args, name, namespace, forbid=False)
    except _AssertionError as err:
        if "ha modificado" in _str(err):
            _fail(
                _nb06_rule(
                    f"{name} ha modificado x en el sitio (con x += ..., x[...] = ... o "
                    "np.maximum(x, 0, out=x), por ejemplo): el enunciado pide no cambiar x y "
                    "devolver un array nuevo, como np.maximum(main(x) + atajo, 0)."
                )
            )
        raise


def check_residual_rules(fn, args, namespace=None, shape=None):
    """``fn(*args)`` under the rules of residual_forward; its result.

    The hidden tests' rules: ``x`` not modified in place, the result exactly a
    ``numpy.ndarray`` of float dtype, of ``shape`` when given. A broken rule raises
    AssertionError in Spanish that names it.
    """
    got = check_rules(
        fn, args, "residual_forward", namespace, caller=_nb06_call, float_result=False
    )
    if _type(got) is not _np.ndarray:
        raise _AssertionError(
            _nb06_rule(
                f"residual_forward debe devolver un numpy.ndarray, no un objeto de tipo "
                f"{_type(got).__name__}: np.maximum(main(x) + atajo, 0) ya lo es (no lo "
                "conviertas con .tolist() ni lo metas en otra clase)."
            )
        )
    if got.dtype.kind != "f":
        raise _AssertionError(
            _nb06_rule(
                f"residual_forward debe devolver un array de tipo float (su dtype es "
                f"{got.dtype}): F(x) + atajo ya lo es; no lo conviertas con .astype(...)."
            )
        )
    if shape is not None and _tuple(got.shape) != _tuple(shape):
        raise _AssertionError(
            f"residual_forward devolvió forma {_tuple(got.shape)}; se esperaba "
            f"{_tuple(shape)}, la de F(x)."
        )
    return got


def explain_residual_error(err, x, main, shortcut=None):
    """Spanish hint for an exception raised by ``residual_forward(x, main, shortcut)``."""
    text = _str(err)
    head = f"residual_forward falla con {_type(err).__name__}: {text}\n"
    if shortcut is None and "NoneType" in text and "callable" in text:
        return head + (
            "Con shortcut=None el atajo es la identidad: se suma x. Llama a shortcut(x) solo "
            "cuando shortcut no es None."
        )
    if "broadcast" in text:
        try:
            f_shape = _tuple(_np.shape(main(x)))
            s_shape = _tuple(_np.shape(x if shortcut is None else shortcut(x)))
        except Exception:  # noqa: BLE001 - the branches are the test's, but be safe
            f_shape = s_shape = None
        x_shape = _tuple(_np.shape(x))
        if shortcut is not None and f_shape is not None and f_shape != x_shape:
            return head + (
                f"F(x) tiene forma {f_shape} y x, {x_shape}: no se pueden sumar. Con un atajo "
                f"de proyección se suma shortcut(x), de forma {s_shape}, no x."
            )
        return head + (
            f"Las dos cosas que sumas no tienen la misma forma: F(x) es {f_shape} y el atajo "
            f"(x, o shortcut(x) si hay shortcut), {s_shape}."
        )
    return head + "Mira la línea de tu código que lanza el error (en la traza, más arriba)."


def hidden_residual(fn, namespace=None, name="residual_forward"):
    """Identity and projection shortcuts (channels and stride), branches in plain Python."""
    rng = _Rng()
    settings = [  # (C, D, stride, identity shortcut)
        (2, 2, 1, True),
        (3, 3, 1, True),
        (2, 4, 1, False),
        (3, 2, 2, False),
        (2, 3, 2, False),
        (3, 3, 1, False),  # same shape, but a projection: x and shortcut(x) differ
    ]
    for C, D, stride, identity in settings:
        N, H, W = rng.integers(1, 2), rng.integers(3, 5), rng.integers(3, 6)
        x = rng.values((N, C, H, W), -4, 4)
        main, shortcut = _nb06_block(rng, C, D, stride, identity)
        f = main.lists(x)
        skip = x if shortcut is None else shortcut.lists(x)
        exp = _nb06_relu(_nb06_add(f, skip))
        args = (x, main) if shortcut is None else (x, main, shortcut)
        what = (
            "un atajo identidad"
            if shortcut is None
            else f"un atajo de proyección {C} → {D} canales" + (", stride 2" if stride > 1 else "")
        )
        xa = _np.array(x, dtype=_np.float64)
        try:
            got = _nb06_call(fn, (xa,) + args[1:], name, namespace)
        except _AssertionError:
            raise
        except Exception as err:  # noqa: BLE001
            hint = ""
            if shortcut is not None and _shape_of(f) != _shape_of(x):
                hint = (
                    " Si sumas x en vez de shortcut(x), las formas no coinciden: con un atajo "
                    "de proyección se suma shortcut(x)."
                )
            _fail(
                f"{name} falla con {_type(err).__name__}: {err}, para x de forma "
                f"{_shape_of(x)} y {what}.{hint}"
            )
        try:
            values = strict_floats(got, _shape_of(exp), name)
        except _AssertionError as err:
            hint = explain_residual(got, _np.array(x), main, shortcut)
            _fail(f"{err} (x de forma {_shape_of(x)}, {what}) {hint}".strip())
        if not close_lists(values, exp):
            hint = explain_residual(got, _np.array(x), main, shortcut)
            _fail(
                f"{name} no da ReLU(F(x) + atajo) para x de forma {_shape_of(x)} y {what}. "
                f"{hint}".strip()
            )
