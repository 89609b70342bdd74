"""Trusted checks behind the graded exercises of the course notebooks (nbgrader).

Not part of the public API. Two kinds of helpers live here:

* ``explain_*`` functions, used by the *visible* test cells: given a wrong answer
  they say in Spanish which classic mistake it looks like (kernel flipped, output
  one element too long, channels not summed, rows and columns swapped, ...).
* ``trusted(namespace)``, used by the *hidden* tests. It loads a fresh copy of this
  file from disk (bypassing ``sys.modules``), audits the kernel for tampering and
  returns the fresh module, whose ``hidden_*`` functions run the exercise checks.

Why so careful: a student cell runs in the same Python process as the tests. It
can rebind ``np.allclose`` to ``lambda *a, **k: True``, turn ``np.testing`` into
no-ops, replace ``cnncourse.conv2d`` with its own function, shadow builtins, or
return an object whose ``__eq__`` always says True. So the hidden checks

1. refuse to run when numpy, cnncourse, builtins, IPython's traceback display or
   this module were replaced since the setup cell imported this module (a snapshot
   taken then) or look replaced now (functions whose code lives outside numpy's or
   cnncourse's files, builtins that are no longer the C functions of ``builtins``);
2. accept only a result whose type is exactly ``numpy.ndarray`` (checked with a
   ``type`` taken from a literal, ``().__class__.__class__``, which no rebinding
   reaches) with a float dtype, converted with ``ndarray.tolist`` (a method of an
   immutable C type) to plain Python floats;
3. compare those floats one by one with plain arithmetic against expected values
   computed here by pure-Python loops on lists, from inputs generated here
   (random sizes, seeded from ``os.urandom`` so answers cannot be hard-coded).

An in-process check can never be perfect (a student who writes a fake
``cnncourse._grading`` into ``sys.modules`` before the hidden test runs, or who
patches ``importlib``, can still fool it); the grading pipeline should also look
at the cell's execution status, not only at its outputs.
"""

from __future__ import annotations

import builtins as _builtins_mod
import os as _os
import sys as _sys

import numpy as _np

# --------------------------------------------------------------------------------------
# Primitives taken from literals: no name lookup a student could redirect.
# --------------------------------------------------------------------------------------
_type = ().__class__.__class__
_object = _type.__mro__[-1]
_float = _type(0.0)
_int = _type(0)
_bool = _type(True)
_list = _type([])
_tuple = _type(())
_str = _type("")
_dict = _type({})
_builtin_fn = _type([].append)
_function = _type(lambda: 0)
_module = _type(_sys)
_HEAPTYPE = 1 << 9
_AssertionError = AssertionError  # captured; a rebound name would still raise an error


def _bdict():
    """The builtins dict the interpreter uses for this module's name lookups."""
    b = (lambda: 0).__globals__["__builtins__"]
    return b if _type(b) is _dict else b.__dict__


def _n(seq):
    """len() without the builtin."""
    return _type(seq).__len__(seq)


def _irange(n):
    i = 0
    while i < n:
        yield i
        i = i + 1


def _dirname(path):
    return _str.rpartition(path, _os.sep)[0]


def _filename_of(fn):
    """File of the Python code behind ``fn`` (functions, numpy dispatchers), or ''."""
    t = _type(fn)
    if t is _function:
        wrapped = _dict.get(fn.__dict__, "__wrapped__")  # functools.wraps, contextmanager
        if _type(wrapped) is _function:
            return wrapped.__code__.co_filename
        return fn.__code__.co_filename
    if t.__name__ == "_ArrayFunctionDispatcher" and not (t.__flags__ & _HEAPTYPE):
        try:
            inner = _object.__getattribute__(fn, "_implementation")
        except _builtins_mod.AttributeError:
            return ""
        return inner.__code__.co_filename if _type(inner) is _function else ""
    return ""


_NUMPY_ROOT = _dirname(_np.__file__)
_HERE = _dirname(__file__)

_BUILTIN_TYPES_BY_LITERAL = {
    "type": _type,
    "object": _object,
    "float": _float,
    "int": _int,
    "bool": _bool,
    "list": _list,
    "tuple": _tuple,
    "str": _str,
    "dict": _dict,
}
_BUILTIN_FUNCS = (
    "abs",
    "all",
    "any",
    "callable",
    "compile",
    "divmod",
    "eval",
    "exec",
    "format",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "id",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "max",
    "min",
    "next",
    "print",
    "repr",
    "round",
    "setattr",
    "sorted",
    "sum",
    "vars",
    "__import__",
    "locals",
    "delattr",
    "dir",
)
_BUILTIN_CLASSES = (
    "range",
    "zip",
    "enumerate",
    "map",
    "filter",
    "reversed",
    "set",
    "frozenset",
    "slice",
    "super",
    "bytes",
    "complex",
    "property",
    "staticmethod",
    "classmethod",
    "memoryview",
    "bytearray",
)
_NUMPY_SUBMODULES = ("", "testing", "linalg", "random", "lib")
_CNN_SUBMODULES = ("cnncourse", "cnncourse.functional", "cnncourse.reference")
_SHELL_METHODS = (
    "showtraceback",
    "_showtraceback",
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "showsyntaxerror",
)


def _numpy_namespaces():
    out = []
    for sub in _NUMPY_SUBMODULES:
        mod = _np if sub == "" else _dict.get(_np.__dict__, sub)
        if mod is not None and _type(mod) is _module:
            out.append(("numpy" if sub == "" else "numpy." + sub, mod.__dict__))
    return out


def _cnn_namespaces():
    out = []
    for name in _CNN_SUBMODULES:
        mod = _dict.get(_sys.modules, name)
        if mod is not None and _type(mod) is _module:
            out.append((name, mod.__dict__))
    return out


def _shell():
    mod = _dict.get(_sys.modules, "IPython.core.interactiveshell")
    if mod is None:
        return None
    cls = _dict.get(mod.__dict__, "InteractiveShell")
    try:
        return cls._instance if cls is not None else None
    except _builtins_mod.AttributeError:
        return None


def _take_snapshot():
    snap = {"builtins": _dict.copy(_bdict()), "modules": {}}
    for name, ns in _numpy_namespaces() + _cnn_namespaces():
        snap["modules"][name] = _dict.copy(ns)
    shell = _shell()
    snap["shell_class"] = {}
    snap["shell_instance"] = {}
    if shell is not None:
        inst = _object.__getattribute__(shell, "__dict__")
        for meth in _SHELL_METHODS:
            snap["shell_instance"][meth] = _dict.get(inst, meth)
            try:
                snap["shell_class"][meth] = _object.__getattribute__(_type(shell), meth)
            except _builtins_mod.AttributeError:
                pass
    return snap


# Taken when the module is first imported: the notebooks' setup cell imports it before
# any student code runs, so this is the pristine state.
_SNAPSHOT = _take_snapshot()


# --------------------------------------------------------------------------------------
# The audit
# --------------------------------------------------------------------------------------
def _audit_builtins(problems):
    bd = _bdict()
    bmod = _dict.get(_sys.modules, "builtins")
    for name, ref in _dict.items(_BUILTIN_TYPES_BY_LITERAL):
        if _dict.get(bd, name) is not ref:
            problems.append(name)
    for name in _BUILTIN_FUNCS:
        f = _dict.get(bd, name)
        if not (_type(f) is _builtin_fn and f.__self__ is bmod and f.__name__ == name):
            problems.append(name)
    for name in _BUILTIN_CLASSES:
        c = _dict.get(bd, name)
        if not (_type(c) is _type and not (c.__flags__ & _HEAPTYPE) and c.__name__ == name):
            problems.append(name)


_NUMPY_WATCH = (
    "allclose",
    "isclose",
    "array_equal",
    "array_equiv",
    "sum",
    "max",
    "min",
    "all",
    "any",
    "asarray",
    "round",
    "ndim",
    "shape",
    "where",
    "nonzero",
    "flatnonzero",
)


def _watched(label, ns):
    """(key, value) pairs whose code must live in numpy's or cnncourse's own files."""
    if label == "numpy.testing":
        return [(k, v) for k, v in _dict.items(ns) if not _str.startswith(k, "_")]
    if label == "numpy":
        return [(k, _dict.get(ns, k)) for k in _NUMPY_WATCH if k in ns]
    if _str.startswith(label, "cnncourse"):
        names = _dict.get(ns, "__all__", ())
        return [(k, _dict.get(ns, k)) for k in names if k in ns]
    return []


def _audit_modules(problems, snapshot):
    for label, ns, root in [(lab, ns, _NUMPY_ROOT) for lab, ns in _numpy_namespaces()] + [
        (lab, ns, _HERE) for lab, ns in _cnn_namespaces()
    ]:
        before = _dict.get(snapshot["modules"], label) if snapshot is not None else None
        if before is not None:
            for key, value in _dict.items(ns):
                if key in before and before[key] is not value and not _str.startswith(key, "__"):
                    problems.append(label + "." + key)
        for key, value in _watched(label, ns):
            fname = _filename_of(value)
            if _type(value) is _function and not _str.startswith(fname, root):
                problems.append(label + "." + key)
            elif fname and not _str.startswith(fname, root):
                problems.append(label + "." + key)
            elif _type(value) is _builtin_fn and value.__name__ != key:
                problems.append(label + "." + key)


def _audit_shell(problems, snapshot):
    shell = _shell()
    if shell is None:
        return
    inst = _object.__getattribute__(shell, "__dict__")
    for meth in _SHELL_METHODS:
        now = _dict.get(inst, meth)
        if snapshot is not None and "shell_instance" in snapshot:
            before = _dict.get(snapshot["shell_instance"], meth)
            if now is not before:  # restore what was there at setup time
                if before is None:
                    _dict.pop(inst, meth)
                else:
                    inst[meth] = before
                problems.append("get_ipython()." + meth)
        elif now is not None and not _str.startswith(_filename_of(getattr_fn(now)), _SITE):
            problems.append("get_ipython()." + meth)
        if snapshot is not None and meth in snapshot["shell_class"]:
            try:
                now = _object.__getattribute__(_type(shell), meth)
            except _builtins_mod.AttributeError:
                now = None
            if now is not snapshot["shell_class"][meth]:
                _type.__setattr__(_type(shell), meth, snapshot["shell_class"][meth])
                problems.append("InteractiveShell." + meth)


_SITE = _dirname(_dirname(_NUMPY_ROOT))  # site-packages: where IPython and ipykernel live


def getattr_fn(bound):
    """The function behind a bound method (or the object itself)."""
    t = _type(bound)
    if t.__name__ == "method" and not (t.__flags__ & _HEAPTYPE):
        return _object.__getattribute__(bound, "__func__")
    return bound


def _audit_self(problems, original):
    """The module the setup cell imported must still hold this file's functions."""
    if original is None:
        return None
    if _type(original) is not _module:
        problems.append("cnncourse._grading")
        return None
    theirs = original.__dict__

    def same(a, b):
        return (
            _type(a) is _function
            and _type(b) is _function
            and a.__code__.co_code == b.__code__.co_code
            and a.__code__.co_consts == b.__code__.co_consts
        )

    for key, value in _dict.items(globals_of_this_module()):
        if _type(value) is _function and value.__module__ == __name__:
            if not same(_dict.get(theirs, key), value):
                problems.append("cnncourse._grading." + key)
        elif _type(value) is _type and value.__module__ == __name__:
            other = _dict.get(theirs, key)
            if _type(other) is not _type:
                problems.append("cnncourse._grading." + key)
                continue
            mine_members = _dict(_type.__getattribute__(value, "__dict__"))
            their_members = _dict(_type.__getattribute__(other, "__dict__"))
            for attr, member in _dict.items(mine_members):
                if _type(member) is _function:
                    theirs_member = _dict.get(their_members, attr)
                    if not same(theirs_member, member):
                        problems.append(f"cnncourse._grading.{key}.{attr}")
    snap = _dict.get(theirs, "_SNAPSHOT")
    return snap if _type(snap) is _dict else None


def globals_of_this_module():
    return (lambda: 0).__globals__


def _audit_namespace(problems, ns):
    if ns is None or _type(ns) is not _dict:
        return
    for key, genuine in (("np", _np), ("numpy", _np)):
        if key in ns and ns[key] is not genuine:
            problems.append(key)
    for key in ("cnncourse",):
        if key in ns and ns[key] is not _dict.get(_sys.modules, key):
            problems.append(key)


def audit(namespace=None, original=None):
    """Raise AssertionError (in Spanish) if anything the checks rely on was tampered with."""
    problems = []
    _audit_builtins(problems)
    snapshot = _audit_self(problems, original)
    if snapshot is None and original is None:
        snapshot = _SNAPSHOT
    _audit_modules(problems, snapshot)
    _audit_shell(problems, snapshot)
    _audit_namespace(problems, namespace)
    nd = _np.ndarray
    if not (_type(nd) is _type and not (nd.__flags__ & _HEAPTYPE) and nd.__name__ == "ndarray"):
        problems.append("numpy.ndarray")
    if _n(problems):
        shown = ", ".join(problems[:8]) + (" ..." if _n(problems) > 8 else "")
        raise _AssertionError(
            "Los tests ocultos han detectado funciones reasignadas o modificadas en el "
            f"cuaderno: {shown}. No se puede calificar un ejercicio que cambia numpy, "
            "cnncourse, las funciones de Python o el propio corrector. Quita esas "
            "reasignaciones, reinicia el kernel y ejecuta todo de nuevo."
        )


def _load_fresh():
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("cnncourse._grading_trusted", __file__)
    spec = spec_from_loader(loader.name, loader)
    mod = module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def trusted(namespace=None):
    """A fresh copy of this module, loaded from disk, after a tamper audit.

    Hidden test cells call ``trusted(globals())`` and then its ``hidden_*`` checks.
    """
    original = _dict.get(_sys.modules, "cnncourse._grading")
    fresh = _load_fresh()
    fresh.audit(namespace, original=original)
    return fresh


# --------------------------------------------------------------------------------------
# Strict conversion and comparison, in plain Python
# --------------------------------------------------------------------------------------
def _fail(msg):
    raise _AssertionError(msg)


def strict_floats(got, shape, name="el resultado"):
    """Nested lists of Python floats from an exact numpy.ndarray of float dtype and shape."""
    nd = _np.ndarray
    if _type(got) is not nd:
        _fail(
            f"{name} debe ser un numpy.ndarray (se recibió un objeto de tipo "
            f"{_type(got).__name__}). Devuelve el array de salida o, no una lista ni otro objeto."
        )
    if got.dtype.kind != "f":
        _fail(
            f"{name} debe tener dtype float (se recibió {got.dtype}); crea la salida "
            "con np.zeros(..., dtype=float)."
        )
    gshape = _tuple(got.shape)
    if gshape != _tuple(shape):
        _fail(f"{name} tiene forma {gshape}, se esperaba {_tuple(shape)}.")
    return nd.tolist(got)


def _flatten(a, out):
    if _type(a) is _list:
        for item in a:
            _flatten(item, out)
    else:
        out.append(a)
    return out


def close_lists(got, expected, rtol=1e-7, atol=1e-9):
    """True when two equally nested lists of numbers agree elementwise (NaN never agrees)."""
    g = _flatten(got, [])
    e = _flatten(expected, [])
    if _n(g) != _n(e):
        return False
    for i in _irange(_n(g)):
        a = g[i]
        b = e[i]
        if _type(a) is not _float and _type(a) is not _int:
            return False
        d = a - b
        d = d if d >= 0 else -d
        m = b if b >= 0 else -b
        if not (d <= atol + rtol * m):  # also False for NaN
            return False
    return True


def _shape_of(a):
    s = []
    while _type(a) is _list:
        s.append(_n(a))
        a = a[0] if _n(a) else None
    return _tuple(s)


# --------------------------------------------------------------------------------------
# Trusted references on nested lists (the lecture's formulas, nothing else)
# --------------------------------------------------------------------------------------
def ref_conv1d(x, u):
    """(x ⊛ u)[i] = sum_m x[m + i] u[m]  (C1)."""
    W, w = _n(x), _n(u)
    out = []
    for i in _irange(W - w + 1):
        acc = 0.0
        for m in _irange(w):
            acc = acc + x[m + i] * u[m]
        out.append(acc)
    return out


def ref_conv2d(x, u):
    """o[j, i] = sum_n sum_m x[n + j][m + i] u[n][m]  (C3); x is a list of rows."""
    H, W = _n(x), _n(x[0])
    h, w = _n(u), _n(u[0])
    out = []
    for j in _irange(H - h + 1):
        row = []
        for i in _irange(W - w + 1):
            acc = 0.0
            for n in _irange(h):
                for m in _irange(w):
                    acc = acc + x[n + j][m + i] * u[n][m]
            row.append(acc)
        out.append(row)
    return out


def _add(a, b):
    return [[a[j][i] + b[j][i] for i in _irange(_n(a[0]))] for j in _irange(_n(a))]


def ref_conv_rgb(x, u):
    """o[j, i] = sum_c (x_c ⊛ u_c)[j, i]  (C4)."""
    acc = ref_conv2d(x[0], u[0])
    for c in _irange(_n(x) - 1):
        acc = _add(acc, ref_conv2d(x[c + 1], u[c + 1]))
    return acc


def _flip1(u):
    return [u[_n(u) - 1 - m] for m in _irange(_n(u))]


def _flip2(u):
    return [_flip1(u[_n(u) - 1 - n]) for n in _irange(_n(u))]


def _transpose(a):
    return [[a[j][i] for j in _irange(_n(a))] for i in _irange(_n(a[0]))]


def _scale(a, k):
    if _type(a) is _list:
        return [_scale(v, k) for v in a]
    return a * k


# --------------------------------------------------------------------------------------
# Inputs: a small LCG, seeded from os.urandom, giving small integers as floats
# --------------------------------------------------------------------------------------
class _Rng:
    def __init__(self, seed=None):
        if seed is None:
            seed = _int.from_bytes(_os.urandom(8), "little")
        self.state = seed % (1 << 64)

    def next(self):
        self.state = (6364136223846793005 * self.state + 1442695040888963407) % (1 << 64)
        return self.state >> 33

    def integers(self, lo, hi):
        """An int in [lo, hi] (inclusive)."""
        return lo + self.next() % (hi - lo + 1)

    def values(self, shape, lo=-4, hi=4):
        if _n(shape) == 1:
            return [_float(self.integers(lo, hi)) for _ in _irange(shape[0])]
        return [self.values(shape[1:], lo, hi) for _ in _irange(shape[0])]

    def nonsymmetric(self, shape):
        """Values whose flip differs from themselves (so a flipped kernel shows), when the
        shape allows it (a 1 x 1 kernel flips into itself)."""
        v = self.values(shape)
        for _ in _irange(50):
            if _flatten(_flip_any(v), []) != _flatten(v, []):
                return v
            v = self.values(shape)
        return v


def _flip_any(v):
    if _n(_shape_of(v)) == 1:
        return _flip1(v)
    if _n(_shape_of(v)) == 2:
        return _flip2(v)
    return [_flip_any(c) for c in v]


def _array(nested):
    a = _np.array(nested, dtype=_np.float64)
    return a


# --------------------------------------------------------------------------------------
# Diagnoses of classic mistakes (used by visible and hidden tests)
# --------------------------------------------------------------------------------------
def _as_lists(a):
    if _type(a) is _np.ndarray:
        return _np.ndarray.tolist(a.astype(_np.float64))
    return a


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
            "Has girado el kernel: eso es la convolución de las matemáticas (np.convolve). "
            "En deep learning 'convolución' es correlación cruzada: x[m + i] * u[m], sin girar."
        )
    return ""


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
    if g.shape != exp_shape:
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
    gl = _np.ndarray.tolist(g)
    if close_lists(gl, ref_conv2d(x, _flip2(u))):
        return (
            "Has girado el kernel (convolución matemática, como scipy.signal.convolve2d). "
            "Aquí se usa correlación cruzada: x[n + j, m + i] * u[n, m]."
        )
    if h == w and close_lists(gl, ref_conv2d(x, _transpose(u))):
        return (
            "Parece que usas el kernel traspuesto: u[m, n] en lugar de u[n, m] "
            "(n recorre filas, m columnas)."
        )
    return ""


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
        return "Has girado el kernel: aquí la convolución es correlación cruzada, sin girar."
    return ""


# --------------------------------------------------------------------------------------
# Guards used while a student function runs
# --------------------------------------------------------------------------------------
_FORBIDDEN_NAMES = (
    "convolve",
    "correlate",
    "correlate1d",
    "correlate2d",
    "convolve1d",
    "convolve2d",
    "fftconvolve",
    "oaconvolve",
    "conv1d",
    "conv2d",
)


def _code_names(code, acc):
    for name in code.co_names:
        acc.append(name)
    for const in code.co_consts:
        if _type(const) is _type(code):
            _code_names(const, acc)
    return acc


def _python_code(fn):
    py = getattr(fn, "py_func", fn)  # numba dispatchers keep the Python function
    return py.__code__ if _type(py) is _function else None


class _Tripwire:
    """Replace library convolutions while a student function runs; record calls.

    ``allow_2d`` lets single-channel calls to conv2d through (x and u both 2D), for the
    RGB exercise where summing per-channel 2D convolutions is a fine solution.
    """

    def __init__(self, namespace=None, allow_2d=False):
        self.namespace = namespace
        self.allow_2d = allow_2d
        self.used = []
        self.saved = []

    def _wrap(self, label, original):
        def wire(*args, **kwargs):
            if (
                self.allow_2d
                and label.endswith("conv2d")
                and len(args) >= 2
                and _np.ndim(args[0]) == 2
                and _np.ndim(args[1]) == 2
            ):
                return original(*args, **kwargs)
            self.used.append(label)
            raise _AssertionError(f"{label} no está permitido en este ejercicio.")

        return wire

    def __enter__(self):
        targets = []
        for modname in ("cnncourse", "cnncourse.functional", "cnncourse.reference"):
            mod = _sys.modules.get(modname)
            if mod is not None:
                targets += [(mod, n, f"{modname}.{n}") for n in ("conv1d", "conv2d")]
        targets += [(_np, n, f"numpy.{n}") for n in ("convolve", "correlate")]
        for modname in ("scipy.signal", "scipy.ndimage"):
            mod = _sys.modules.get(modname)
            if mod is not None:
                targets += [
                    (mod, n, f"{modname}.{n}") for n in _FORBIDDEN_NAMES if n in mod.__dict__
                ]
        originals = {}
        for mod, name, label in targets:
            original = mod.__dict__[name]
            originals[id(original)] = (label, original)
            self.saved.append((mod.__dict__, name, original))
            mod.__dict__[name] = self._wrap(label, original)
        if self.namespace is not None:  # aliases such as `from cnncourse import conv2d`
            for key, value in list(self.namespace.items()):
                if id(value) in originals and originals[id(value)][1] is value:
                    label, original = originals[id(value)]
                    self.saved.append((self.namespace, key, value))
                    self.namespace[key] = self._wrap(label, original)
        return self

    def __exit__(self, *exc):
        for d, name, value in reversed(self.saved):
            d[name] = value
        self.saved = []
        return False


def _call(fn, args, name, namespace=None, allow_2d=False, forbid=True):
    """Call the student's function on copies of ``args``; check the inputs survive."""
    arrays = [_array(a) if _type(a) is _list else a for a in args]
    before = [_np.ndarray.tolist(a) if _type(a) is _np.ndarray else a for a in arrays]
    if forbid:
        code = _python_code(fn)
        if code is not None:
            bad = [n for n in _code_names(code, []) if n in _FORBIDDEN_NAMES]
            if allow_2d:
                bad = [n for n in bad if n != "conv2d"]
            if bad:
                _fail(
                    f"{name} usa {sorted(set(bad))}: en este ejercicio hay que escribir la "
                    "operación con bucles (o con NumPy elemento a elemento), no llamar a una "
                    "convolución ya hecha."
                )
        with _Tripwire(namespace, allow_2d=allow_2d) as wire:
            try:
                got = fn(*arrays)
            except _AssertionError:
                if wire.used:
                    _fail(
                        f"{name} llama a {wire.used[0]}: en este ejercicio hay que escribir "
                        "la operación uno mismo."
                    )
                raise
        if wire.used:
            _fail(
                f"{name} llama a {wire.used[0]}: en este ejercicio hay que escribir la "
                "operación uno mismo."
            )
    else:
        got = fn(*arrays)
    for k, (a, b) in enumerate(zip(arrays, before, strict=True)):
        if _type(a) is _np.ndarray and not close_lists(_np.ndarray.tolist(a), b, 0.0, 0.0):
            _fail(
                f"{name} ha modificado su argumento número {k + 1} en el sitio. Una "
                "convolución no debe cambiar la entrada x ni el kernel u: escribe en un array "
                "de salida nuevo."
            )
    return got


def _check(got, expected, name, hint_fn=None, hint_args=()):
    shape = _shape_of(expected)
    try:
        values = strict_floats(got, shape, name)
    except _AssertionError as err:
        hint = hint_fn(got, *hint_args) if hint_fn is not None else ""
        _fail(f"{err} {hint}".strip())
    if not close_lists(values, expected):
        hint = hint_fn(got, *hint_args) if hint_fn is not None else ""
        _fail(
            f"{name} no da el valor esperado para una entrada de forma "
            f"{_shape_of(hint_args[0]) if hint_args else '?'}. {hint}".strip()
        )


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
