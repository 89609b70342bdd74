"""The tamper-proof machinery behind the course's hidden tests (see the package docstring).

Primitives taken from literals, the snapshot of numpy / cnncourse / builtins / IPython
taken when the package is first imported, the audit, the fresh loading of the package
from disk that ``trusted()`` relies on, strict conversion and comparison of results in
plain Python, the seeded input generator, the reference loops on lists, and the guards
used while a student function runs. The per-notebook modules (``nb01.py``, ...) build
their ``explain_*`` and ``hidden_*`` functions on top of these.
"""

from __future__ import annotations

import builtins as _builtins_mod
import os as _os
import sys as _sys

import numpy as _np

# --------------------------------------------------------------------------------------
# Primitives taken from literals: no name lookup a student could redirect
# --------------------------------------------------------------------------------------
# The rule: code that runs before the audit has passed (the snapshot, the audit itself)
# uses only these primitives, the modules imported above and plain syntax. It calls
# methods through their C types (`_dict.get(d, k)`, not `d.get(k)`; `_n(seq)`, not
# `len(seq)`) and never looks up a builtin by name (`len`, `getattr`, `isinstance`, ...):
# a student cell may have rebound any of them, and only the audit tells. The exception is
# the loading of the fresh copy the audit runs in (`import`, `importlib`, `globals()` in
# the package's `__init__`): the audit then checks `__import__` and `globals`, not
# importlib (see the package docstring). Once `audit()` has passed, builtins and numpy
# are known to be genuine, and the checks that follow may use them.
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


def _this_module_globals():
    """This module's globals, from the code of a literal function (not ``globals()``)."""
    return (lambda: 0).__globals__


def _bdict():
    """The builtins dict the interpreter uses for this module's name lookups."""
    b = _this_module_globals()["__builtins__"]
    return b if _type(b) is _dict else b.__dict__


def _n(seq):
    """len() without the builtin."""
    return _type(seq).__len__(seq)


def _irange(n):
    """range() without the builtin: 0, 1, ..., n - 1."""
    i = 0
    while i < n:
        yield i
        i = i + 1


def _dirname(path):
    return _str.rpartition(path, _os.sep)[0]


def _function_behind(method):
    """The function behind a bound method (or the object itself if it is not one)."""
    t = _type(method)
    if t.__name__ == "method" and not (t.__flags__ & _HEAPTYPE):
        return _object.__getattribute__(method, "__func__")
    return method


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


# --------------------------------------------------------------------------------------
# Constants: where genuine code lives, what the audit watches, names of this package
# --------------------------------------------------------------------------------------
_NUMPY_ROOT = _dirname(_np.__file__)
_SITE = _dirname(_dirname(_NUMPY_ROOT))  # site-packages: where IPython and ipykernel live
_HERE = _dirname(_dirname(__file__))  # cnncourse/, not cnncourse/_grading/

# Builtins that must still be the genuine ones: the types (compared with the literals
# above), and the C functions and C classes of the builtins module
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
# Modules whose functions are compared with the snapshot, and the functions of numpy (all
# of numpy.testing, the __all__ of the cnncourse modules) whose code must live in numpy's
# or cnncourse's files
_NUMPY_SUBMODULES = ("", "testing", "linalg", "random", "lib")
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
_CNN_SUBMODULES = ("cnncourse", "cnncourse.functional", "cnncourse.reference")
# Methods of IPython's shell that run a cell or show its traceback
_SHELL_METHODS = (
    "showtraceback",
    "_showtraceback",
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "showsyntaxerror",
)

# The package, and the throwaway name under which trusted() loads a fresh copy of it
_PACKAGE = "cnncourse._grading"
_FRESH_PREFIX = "_cnncourse_grading_trusted_"

# Library convolutions a from-scratch exercise may not call (see _Tripwire and _call)
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


# --------------------------------------------------------------------------------------
# The snapshot
# --------------------------------------------------------------------------------------
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


def _watched(label, ns):
    """(key, value) pairs whose code must live in numpy's or cnncourse's own files."""
    if label == "numpy.testing":
        return [(k, v) for k, v in _dict.items(_dict.copy(ns)) if not _str.startswith(k, "_")]
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
            # a copy: the kernels' background loader may add to a module while we look
            for key, value in _dict.items(_dict.copy(ns)):
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
        elif now is not None and not _str.startswith(_filename_of(_function_behind(now)), _SITE):
            problems.append("get_ipython()." + meth)
        if snapshot is not None and meth in snapshot["shell_class"]:
            try:
                now = _object.__getattribute__(_type(shell), meth)
            except _builtins_mod.AttributeError:
                now = None
            if now is not snapshot["shell_class"][meth]:
                _type.__setattr__(_type(shell), meth, snapshot["shell_class"][meth])
                problems.append("InteractiveShell." + meth)


def _audit_namespace(problems, ns):
    if ns is None or _type(ns) is not _dict:
        return
    for key, genuine in (("np", _np), ("numpy", _np)):
        if key in ns and ns[key] is not genuine:
            problems.append(key)
    for key in ("cnncourse",):
        if key in ns and ns[key] is not _dict.get(_sys.modules, key):
            problems.append(key)


# --------------------------------------------------------------------------------------
# The package itself: fresh copies from disk, compared with what the setup cell imported
# --------------------------------------------------------------------------------------
def _same(a, b):
    return (
        _type(a) is _function
        and _type(b) is _function
        and a.__code__.co_code == b.__code__.co_code
        and a.__code__.co_consts == b.__code__.co_consts
    )


def _is_in(name, package):
    """True when module name ``name`` is ``package`` or one of its submodules."""
    return _type(name) is _str and (name == package or _str.startswith(name, package + "."))


def _is_one_of(obj, objs):
    for o in objs:
        if o is obj:
            return True
    return False


def _fresh_pairs(problems, fresh):
    """(name, module in sys.modules or None, fresh copy) for the package and its modules."""
    if _type(fresh) is not _module:
        problems.append(_PACKAGE)
        return []
    pkg = fresh.__dict__
    pairs = [(_PACKAGE, _dict.get(_sys.modules, _PACKAGE), fresh)]
    notebooks = _dict.get(pkg, "NOTEBOOKS")
    for name in ("_core",) + (notebooks if _type(notebooks) is _tuple else ()):
        mod = _dict.get(pkg, name)
        label = _PACKAGE + "." + name
        if _type(mod) is not _module:
            problems.append(label)
            continue
        pairs.append((label, _dict.get(_sys.modules, label), mod))
    return pairs


def _audit_wiring(problems, pairs, parent):
    """The fresh copies use one another (and this module), never the sys.modules ones."""
    fresh_dicts = [fresh.__dict__ for _, _, fresh in pairs]
    if not _is_one_of(_this_module_globals(), fresh_dicts):
        problems.append(_PACKAGE + "._core")
    for label, _, fresh in pairs:
        for key, value in _dict.items(fresh.__dict__):
            t = _type(value)
            if t is _function:
                origin = value.__module__
                ok = not _is_in(origin, _PACKAGE) and (
                    not _is_in(origin, parent) or _is_one_of(value.__globals__, fresh_dicts)
                )
            elif t is _type:
                ok = not _is_in(value.__module__, _PACKAGE)
            elif t is _module:
                origin = _dict.get(value.__dict__, "__name__")
                ok = not _is_in(origin, _PACKAGE) and (
                    not _is_in(origin, parent) or _is_one_of(value.__dict__, fresh_dicts)
                )
            else:
                ok = True
            if not ok:
                problems.append(label + "." + key)


def _audit_self(problems, pairs, parent):
    """The modules the setup cell imported must still hold the functions on disk.

    Every function and class defined in a fresh copy (the package re-exports those of its
    modules) must have the same code under the same name in the module of the same name
    in sys.modules. Returns the snapshot taken when the package was first imported (this
    module's own if the package is not in sys.modules, None if that snapshot is gone).
    """
    snapshots = []
    for label, original, fresh in pairs:
        if original is None:
            continue
        if _type(original) is not _module:
            problems.append(label)
            continue
        theirs = original.__dict__
        for key, value in _dict.items(fresh.__dict__):
            if _type(value) is _function and _is_in(value.__module__, parent):
                if not _same(_dict.get(theirs, key), value):
                    problems.append(label + "." + key)
            elif _type(value) is _type and _is_in(value.__module__, parent):
                other = _dict.get(theirs, key)
                if _type(other) is not _type:
                    problems.append(label + "." + key)
                    continue
                mine_members = _dict(_type.__getattribute__(value, "__dict__"))
                their_members = _dict(_type.__getattribute__(other, "__dict__"))
                for attr, member in _dict.items(mine_members):
                    if _type(member) is _function:
                        if not _same(_dict.get(their_members, attr), member):
                            problems.append(f"{label}.{key}.{attr}")
        if label == _PACKAGE or label == _PACKAGE + "._core":
            snap = _dict.get(theirs, "_SNAPSHOT")
            snapshots.append(snap if _type(snap) is _dict else None)
    if not _n(snapshots):
        return _SNAPSHOT
    for snap in snapshots:
        if snap is not snapshots[0]:
            problems.append(_PACKAGE + "._SNAPSHOT")
    return snapshots[0]


def audit(namespace=None, fresh=None):
    """Raise AssertionError (in Spanish) if anything the checks rely on was tampered with.

    ``fresh`` is the package as ``trusted()`` loaded it from disk: its modules are then
    compared with the ones in sys.modules, and the baseline is the snapshot those took
    when the setup cell imported the package. Without it, this module's snapshot is used.
    """
    problems = []
    _audit_builtins(problems)
    snapshot = _SNAPSHOT
    if fresh is not None:
        pairs = _fresh_pairs(problems, fresh)
        parent = _dict.get(fresh.__dict__, "__name__") if _type(fresh) is _module else None
        _audit_wiring(problems, pairs, parent)
        snapshot = _audit_self(problems, pairs, parent)
    _audit_modules(problems, snapshot)
    _audit_shell(problems, snapshot)
    _audit_namespace(problems, namespace)
    nd = _np.ndarray
    if not (_type(nd) is _type and not (nd.__flags__ & _HEAPTYPE) and nd.__name__ == "ndarray"):
        problems.append("numpy.ndarray")
    if _n(problems):
        shown = ", ".join(problems[:8]) + (" ..." if _n(problems) > 8 else "")
        raise _AssertionError(
            "Las comprobaciones ocultas han detectado funciones reasignadas o modificadas en el "
            f"cuaderno: {shown}. No se puede calificar un ejercicio que cambia numpy, "
            "cnncourse, las funciones de Python o el propio corrector. Quita esas "
            "reasignaciones, reinicia el kernel y ejecuta todo de nuevo."
        )


def _module_from_file(name, filename, package=False):
    """A new, not yet executed module ``name`` for ``filename`` in this package's folder.

    The folder comes from the code object of this very function (not from a global such
    as ``__file__``, which a student cell could rebind).
    """
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_file_location

    path = _dirname((lambda: 0).__code__.co_filename) + _os.sep + filename
    loader = SourceFileLoader(name, path)
    spec = spec_from_file_location(
        name, path, loader=loader, submodule_search_locations=[] if package else None
    )
    return module_from_spec(spec), loader


def _load_fresh():
    """(package, core): fresh copies of the package and of this module, read from disk.

    They get a throwaway name, ``_cnncourse_grading_trusted_<random>``, and stay in
    sys.modules only while the package's ``__init__`` runs (its relative imports resolve
    there; its notebook modules are loaded by ``_submodule`` below, wired to this fresh
    core). Afterwards nothing but the caller holds them.
    """
    parent = _FRESH_PREFIX + _os.urandom(8).hex()
    core, core_loader = _module_from_file(parent + "._core", "_core.py")
    core_loader.exec_module(core)
    pkg, pkg_loader = _module_from_file(parent, "__init__.py", package=True)
    pkg.__dict__["_core"] = core
    added = (parent, parent + "._core")
    _sys.modules[parent] = pkg
    _sys.modules[parent + "._core"] = core
    try:
        pkg_loader.exec_module(pkg)
    finally:
        for name in added:
            _dict.pop(_sys.modules, name, None)
    return pkg, core


def _submodule(package, name):
    """The notebook module ``package.name``: a normal import for the real package, a
    fresh copy from disk (whose ``from ._core import ...`` finds the fresh core) for the
    throwaway package of ``_load_fresh``."""
    if not _str.startswith(package, _FRESH_PREFIX):
        from importlib import import_module

        return import_module(package + "." + name)
    mod, loader = _module_from_file(package + "." + name, name + ".py")
    loader.exec_module(mod)
    return mod


def _exports(module):
    """What the package re-exports from ``module``: every name but the dunders.

    That is more than ``module.__all__`` (the functions the notebooks call, which the
    package's ``__all__`` collects): the private helpers go along, so every name of the
    package's modules is reachable as ``cnncourse._grading.<name>``, where the audit
    compares it with the code on disk.
    """
    return {k: v for k, v in _dict.items(module.__dict__) if not _str.startswith(k, "__")}


def _trusted(namespace=None):
    """Load the package afresh, run the fresh core's audit, return the fresh package."""
    pkg, core = _load_fresh()
    core.audit(namespace, fresh=pkg)
    return pkg


# --------------------------------------------------------------------------------------
# Strict conversion and comparison, in plain Python
# --------------------------------------------------------------------------------------
def _fail(msg):
    raise _AssertionError(msg)


class _RuleBroken(_AssertionError):
    """A broken rule of the statement (a library call, an input modified in place): an
    AssertionError like any failed check, marked so that the visible tests can say it is a
    rule (see ``check_rules``)."""


def _fail_rule(msg):
    raise _RuleBroken(msg)


def strict_floats(got, shape, name="el resultado"):
    """Nested lists of Python floats from an exact numpy.ndarray of float dtype and shape."""
    nd = _np.ndarray
    if _type(got) is not nd:
        _fail(
            f"{name} debe ser un numpy.ndarray (se recibió un objeto de tipo "
            f"{_type(got).__name__}). Devuelve el array de salida `o`, no una lista ni otro objeto."
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


# --------------------------------------------------------------------------------------
# Guards used while a student function runs
# --------------------------------------------------------------------------------------
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
            x = args[0] if len(args) >= 1 else kwargs.get("x")
            u = args[1] if len(args) >= 2 else kwargs.get("u")
            if (
                self.allow_2d
                and label.endswith("conv2d")
                and x is not None
                and u is not None
                and _np.ndim(x) == 2
                and _np.ndim(u) == 2
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
            originals.setdefault(id(original), (label, original))  # the public name first
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
                _fail_rule(
                    f"{name} usa {sorted(set(bad))}: en este ejercicio hay que escribir la "
                    "operación con bucles (o con NumPy elemento a elemento), no llamar a una "
                    "convolución ya hecha."
                )
        if allow_2d:
            why = (
                "en este ejercicio solo vale llamar a cnncourse.conv2d canal a canal, con una "
                "matriz 2D de la entrada y otra del kernel (x[c] y u[c]), no con el volumen "
                "entero ni con otra convolución ya hecha."
            )
        else:
            why = "en este ejercicio hay que escribir la operación uno mismo, con bucles."
        with _Tripwire(namespace, allow_2d=allow_2d) as wire:
            try:
                got = fn(*arrays)
            except _AssertionError:
                if wire.used:
                    _fail_rule(f"{name} llama a {wire.used[0]}: {why}")
                raise
        if wire.used:
            _fail_rule(f"{name} llama a {wire.used[0]}: {why}")
    else:
        got = fn(*arrays)
    for k, (a, b) in enumerate(zip(arrays, before, strict=True)):
        if _type(a) is _np.ndarray and not close_lists(_np.ndarray.tolist(a), b, 0.0, 0.0):
            _fail_rule(
                f"{name} ha modificado su argumento número {k + 1}: ha escrito sobre el propio "
                "array que recibe. No cambies "
                "las entradas (ni con +=, ni asignando a una posición): escribe el resultado "
                "en un array nuevo, o trabaja sobre una copia (x.copy())."
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
# Feedback for the visible tests: rules said before grading, hints first, cascades named
# --------------------------------------------------------------------------------------
# The visible test cells call these (through ``checks.``) so that a student learns, before
# submitting, every rule the hidden tests enforce (issue: no rule only the hidden tests
# know), reads the Spanish hint before NumPy's arrays, and is told when a failure comes from
# an earlier exercise or from an answer cell that did not run.
_RULE_NOTE = " (Es una regla del enunciado; las comprobaciones ocultas también la aplican.)"


def _is_rule_message(text):
    return _str.endswith(text, _RULE_NOTE)


def rule_error(message):
    """AssertionError for a broken rule of the statement, saying that hidden checks apply it."""
    message = _str.rstrip(message)
    if not _is_rule_message(message):
        message = message + _RULE_NOTE
    return _AssertionError(message)


def check_rules(
    fn,
    args,
    name,
    namespace=None,
    *,
    allow_2d=False,
    forbid=True,
    caller=None,
    float_result=True,
    shape=None,
):
    """Run ``fn(*args)`` under the rules the hidden tests enforce; return its result.

    The same guard as the hidden tests (``_call``, or ``caller`` for exercises with their
    own guard, such as pooling's): no library convolution (the function's code and the
    calls it makes at run time), the inputs not modified in place; then the result must
    be exactly a ``numpy.ndarray`` of float dtype (``float_result``) and of ``shape`` when
    given. A broken rule raises AssertionError in Spanish that names it.
    """
    try:
        if caller is not None:
            got = caller(fn, args, name, namespace)
        else:
            got = _call(fn, args, name, namespace, allow_2d=allow_2d, forbid=forbid)
    except _AssertionError as err:
        text = _str(err)
        # _call marks its rules; notebook guards of their own (pooling's, 06's) are known
        # by their words
        rule_words = ("no está permitido", "usa [", "llama a", "ha modificado", "bucles")
        if _type(err) is _RuleBroken or any(_str.__contains__(text, w) for w in rule_words):
            raise rule_error(text) from None
        raise
    if float_result:
        if _type(got) is not _np.ndarray:
            raise rule_error(
                f"{name} debe devolver un numpy.ndarray (devolvió un objeto de tipo "
                f"{_type(got).__name__}). Crea la salida con np.zeros(...) y devuélvela; no "
                "devuelvas una lista, una tupla ni un número."
            )
        if got.dtype.kind != "f":
            raise rule_error(
                f"{name} debe devolver un array de tipo float (su dtype es {got.dtype}). Crea "
                "la salida con np.zeros(..., dtype=float) o conviértela con .astype(float)."
            )
    if shape is not None and _type(got) is _np.ndarray and _tuple(got.shape) != _tuple(shape):
        raise _AssertionError(
            f"{name} devolvió forma {_tuple(got.shape)}; se esperaba {_tuple(shape)}."
        )
    return got


def assert_close(got, expected, hint="", context="", rtol=1e-7, atol=1e-9):
    """assert_allclose whose message puts the Spanish hint first, then the values.

    ``hint`` (the diagnosis, e.g. ``checks.explain_conv2d(...)``) may be a string or a
    callable that returns one; it is only computed on failure. ``context`` says what was
    compared ("Con x = ... y u = ..."). NumPy's own report follows, after both.
    """
    try:
        _np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    except Exception as err:  # noqa: BLE001 - AssertionError, or a TypeError for None...
        text = hint() if callable(hint) else hint
        parts = [p for p in (text, context) if p]
        exp = _np.asarray(expected)
        try:
            g = _np.asarray(got)
            shown = f"Esperado:\n{exp}\nRecibido:\n{g}"
        except Exception:  # noqa: BLE001 - whatever the student returned
            shown = f"Esperado:\n{exp}\nRecibido: {got!r}"
        parts.append(shown)
        parts.append(_difference_es(got, exp, rtol, atol, err))
        raise _AssertionError("\n".join(parts)) from None


def _difference_es(got, exp, rtol, atol, err):
    """Where and by how much ``got`` differs from ``exp``, in Spanish (NumPy's report is
    in English)."""
    try:
        g = _np.asarray(got, dtype=_np.float64)
        e = _np.asarray(exp, dtype=_np.float64)
    except Exception:  # noqa: BLE001 - not numbers at all
        return f"No se puede comparar con números ({_type(err).__name__})."
    if g.shape != e.shape:
        return f"Formas distintas: se esperaba {e.shape} y se recibió {g.shape}."
    bad = ~_np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
    if not bad.any():
        return ""
    with _np.errstate(invalid="ignore"):
        diff = _np.where(bad, _np.abs(g - e), 0.0)
    diff = _np.where(_np.isnan(diff), _np.inf, diff)  # a NaN is the worst difference
    where = _tuple(int(i) for i in _np.unravel_index(int(_np.argmax(diff)), diff.shape))
    shown = where if _n(where) != 1 else where[0]
    if _np.isnan(g[where]) or _np.isinf(diff[where]):
        worst = f"un {g[where]} donde se esperaba {e[where]:.4g}"
    else:
        worst = f"{float(diff[where]):.4g}"
    return (
        f"No coinciden {int(bad.sum())} de {bad.size} valores; la mayor diferencia, "
        f"{worst}, está en la posición {shown}."
    )


def _names_used(fn):
    """Global names the code of ``fn`` reads (nested functions too), or ()."""
    code = _python_code(fn) if fn is not None else None
    if code is None:
        return []
    return _code_names(code, []) + _list(code.co_freevars)


def _probe(name):
    """The quick correctness probe of an earlier exercise, ``probe_<name>`` of the package."""
    pkg = _dict.get(_sys.modules, _PACKAGE)
    return _dict.get(pkg.__dict__, "probe_" + name) if pkg is not None else None


def blank_message(name):
    return (
        f"Este ejercicio está sin hacer: escribe tu código de {name} donde pone "
        "«# ESCRIBE AQUÍ TU CÓDIGO», borra la línea «raise NotImplementedError()», ejecuta esa "
        "celda y después esta."
    )


def undefined_message(name, missing):
    if missing == name:
        return (
            f"{name} no está definida: la celda de tu solución no se ha ejecutado o ha dado un "
            "error (un SyntaxError o un IndentationError, por ejemplo). Mira la salida de esa "
            "celda, corrige lo que indica en su línea y ejecútala de nuevo antes que esta."
        )
    return (
        f"{missing} no está definida: ejecuta antes las celdas anteriores del cuaderno (o la "
        f"celda donde defines {missing}, si es tuya, y corrige su error)."
    )


class exercise:  # noqa: N801 - used as `with checks.exercise(...)`, like a function
    """Context for a visible test: name a blank exercise, a missing definition, a cascade.

    ``with checks.exercise(globals(), "loss_grad", needs=("conv2d_loops",)):`` around the
    visible assertions. When they fail:

    * NotImplementedError raised by the student's function: «este ejercicio está sin
      hacer»;
    * NameError for the exercise's own name (its answer cell failed or was not run) or for
      another name: says so, and where to look;
    * any failure while a function of ``needs`` (an earlier exercise) that the answer
      uses fails its quick probe: «tu conv2d_loops falla: arréglala primero», with the
      probe's reason, and the original error after it.
    """

    def __init__(self, namespace, name, needs=()):
        self.namespace = namespace
        self.name = name
        self.needs = _tuple(needs)

    def __enter__(self):
        return self

    def _broken_need(self):
        fn = _dict.get(self.namespace, self.name) if self.namespace is not None else None
        used = _names_used(fn)
        for need in self.needs:
            if fn is not None and need not in used:
                continue
            other = _dict.get(self.namespace, need)
            if other is None:
                return need, undefined_message(need, need)
            probe = _probe(need)
            if probe is None:
                continue
            try:
                why = probe(other)
            except NotImplementedError:
                why = "Está sin hacer (todavía lanza NotImplementedError)."
            except Exception as err:  # noqa: BLE001 - the earlier answer may raise anything
                why = f"Lanza {_type(err).__name__}: {err}"
            if why:
                return need, why
        return None

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return False
        if exc_type is NotImplementedError or (
            isinstance(exc, BaseException) and _type(exc).__name__ == "NotImplementedError"
        ):
            inner = tb
            while inner is not None and inner.tb_next is not None:
                inner = inner.tb_next
            where = inner.tb_frame.f_code.co_name if inner is not None else ""
            if where != self.name and where in self.needs:
                raise _AssertionError(
                    f"Tu {where} está sin hacer: hazla primero ({self.name} la usa, así que "
                    f"esta comprobación no puede pasar hasta entonces)."
                ) from exc
            raise _AssertionError(blank_message(self.name)) from exc
        broken = self._broken_need()
        if broken is not None:
            need, why = broken
            raise _AssertionError(
                f"Tu {need} falla: arréglala primero ({self.name} la usa, así que esta "
                f"comprobación no puede pasar mientras {need} esté mal). {why}"
            ) from exc
        if exc_type is NameError:
            missing = getattr(exc, "name", None) or _str.split(_str(exc), "'")[1:2] or [""]
            missing = missing if _type(missing) is _str else missing[0]
            if tb is not None and tb.tb_next is not None:
                # raised inside a function the test called: a name the student's code uses
                raise _AssertionError(
                    f"Tu código usa {missing}, que no está definida: ¿una errata, o una "
                    "variable que no has creado antes de usarla? Mira abajo la línea de tu "
                    "código donde aparece."
                ) from exc
            raise _AssertionError(undefined_message(self.name, missing or self.name)) from exc
        return False
