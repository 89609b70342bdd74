"""cnncourse._grading in-process: the hidden checks accept right answers every time
(random sizes are drawn on each run) and reject the classic mistakes and cheats."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import cnncourse
import cnncourse._grading as grading

REPEAT = 25


def conv1d_ok(x, u):
    W, w = len(x), len(u)
    o = np.zeros(W - w + 1)
    for i in range(W - w + 1):
        o[i] = np.sum(x[i : i + w] * u)
    return o


def conv2d_ok(x, u):
    H, W = x.shape
    h, w = u.shape
    o = np.zeros((H - h + 1, W - w + 1))
    for j in range(H - h + 1):
        for i in range(W - w + 1):
            o[j, i] = np.sum(x[j : j + h, i : i + w] * u)
    return o


def rgb_ok(x, u):
    return sum(conv2d_ok(x[c], u[c]) for c in range(x.shape[0]))


def multi_ok(x, filters):
    return np.stack([rgb_ok(x, f) for f in filters])


def grad_ok(x, u, t):
    err = np.stack([conv2d_ok(xk, u) for xk in x]) - t
    return 2 * sum(conv2d_ok(xk, ek) for xk, ek in zip(x, err, strict=True)) / err.size


def edges_ok(x, threshold=0.5):
    return np.flatnonzero(np.diff(x) > threshold)


@pytest.fixture()
def G():
    return grading.trusted({})


def test_right_answers_always_pass(G):
    for _ in range(REPEAT):
        G.hidden_dense_params(lambda h, w, n: h * w * n + n)
        G.hidden_conv1d(conv1d_ok, {})
        G.hidden_rising_edges(edges_ok, {})
        G.hidden_conv2d(conv2d_ok, {})
        G.hidden_unit_range(lambda img: img / 127.5 - 1)
        G.hidden_loss_grad(grad_ok, {})
        G.hidden_conv_rgb(rgb_ok, {})
        G.hidden_conv_multi(multi_ok, {})


@pytest.mark.parametrize(
    "check, wrong, match",
    [
        ("hidden_conv1d", lambda x, u: conv1d_ok(x, u[::-1]), "invertido"),
        ("hidden_conv1d", lambda x, u: conv1d_ok(x, u)[:-1], "error por uno"),
        ("hidden_conv1d", lambda x, u: list(conv1d_ok(x, u)), "numpy.ndarray"),
        ("hidden_conv1d", lambda x, u: cnncourse.conv1d(x, u), "conv1d"),
        ("hidden_conv2d", lambda x, u: conv2d_ok(x, u).T.copy(), "intercambiado|valor esperado"),
        ("hidden_conv2d", lambda x, u: conv2d_ok(x, u[::-1, ::-1]), "girado"),
        (
            "hidden_conv_rgb",
            lambda x, u: np.stack([conv2d_ok(a, b) for a, b in zip(x, u, strict=True)]),
            "no las has sumado",
        ),
        ("hidden_conv_rgb", lambda x, u: conv2d_ok(x[0], u[0]), "canal"),
        ("hidden_loss_grad", lambda x, u, t: grad_ok(x, u, t) / 2, "factor 2"),
        ("hidden_loss_grad", lambda x, u, t: -grad_ok(x, u, t), "signo"),
        ("hidden_rising_edges", lambda x, t=0.5: edges_ok(x, t) + 1, "i \\+ 1"),
        ("hidden_conv_multi", lambda x, f: np.moveaxis(multi_ok(x, f), 0, -1), "primer eje"),
    ],
)
def test_classic_mistakes_are_caught_with_a_hint(G, check, wrong, match):
    for _ in range(5):
        with pytest.raises(AssertionError, match=match):
            getattr(G, check)(wrong, {})


def test_in_place_modification_is_caught(G):
    def sneaky(x, u):
        o = conv1d_ok(x, u)
        x[0] += 1.0
        return o

    with pytest.raises(AssertionError, match="ha escrito sobre el propio array"):
        G.hidden_conv1d(sneaky, {})


def test_fake_eq_object_is_rejected(G):
    class Always(np.ndarray):
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="numpy.ndarray"):
        G.hidden_conv1d(lambda x, u: np.zeros(len(x) - len(u) + 1).view(Always), {})


def test_audit_flags_rebound_numpy_and_restores_nothing_silently(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="numpy.allclose"):
        grading.trusted({})


def test_audit_flags_patched_library_and_namespace(monkeypatch):
    monkeypatch.setattr(cnncourse, "conv2d", lambda x, u, **k: conv2d_ok(x, u))
    with pytest.raises(AssertionError, match="cnncourse.conv2d"):
        grading.trusted({})
    monkeypatch.undo()
    with pytest.raises(AssertionError, match="np"):
        grading.trusted({"np": object()})


def test_audit_flags_patched_builtins_and_grader(monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "abs", lambda v: 0)
    with pytest.raises(AssertionError, match="abs"):
        grading.trusted({})
    monkeypatch.undo()
    monkeypatch.setattr(grading, "close_lists", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="close_lists"):
        grading.trusted({})


def test_explain_messages_are_spanish_hints():
    x = np.array([0, 0, 0, 0, 1, 2, 3, 3.0])
    u = np.array([-1, 1.0])
    assert "invertido" in grading.explain_conv1d(np.convolve(x, u, "valid"), x, u)
    assert "W - w + 1" in grading.explain_conv1d(np.zeros(6), x, u)
    assert grading.explain_conv1d(cnncourse.conv1d(x, u), x, u) == ""
    img = np.arange(12.0).reshape(3, 4)
    k = np.ones((2, 2))
    assert "intercambiado" in grading.explain_conv2d(np.zeros((3, 2)), img, k)
    rgb = np.arange(24.0).reshape(2, 3, 4)
    assert "no las has sumado" in grading.explain_conv_rgb(
        np.zeros((2, 2, 3)), rgb, np.ones((2, 2, 2))
    )


def test_library_state_changes_are_not_tampering():
    """The library's lazy state (thread pool, background kernels) may appear after the
    baseline; only a student's rebinding counts as tampering."""
    import subprocess
    import sys

    code = (
        "import numpy as np, cnncourse, cnncourse._grading as g\n"
        "G = g.trusted({})\n"
        "cnncourse._backend.kernels(wait=True)\n"  # Numba kernels, not the NumPy fallback
        "x = np.random.rand(2, 8, 10, 10).astype(np.float32)\n"
        "u = np.random.rand(16, 8, 3, 3).astype(np.float32)\n"  # the im2col + GEMM path
        "cnncourse.conv2d(x, u, padding=1); cnncourse.conv2d_backward(\n"
        "    np.ones((2, 16, 10, 10), np.float32), x, u, padding=1)\n"
        "g.trusted({}).hidden_dense_params(lambda h, w, n: h * w * n + n)\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


# --------------------------------------------------------------------------------------
# The package layout: _core + one module per notebook, fresh copies for the hidden tests
# --------------------------------------------------------------------------------------
MODULES = ("_core",) + grading.NOTEBOOKS


def test_every_notebook_module_is_listed():
    folder = Path(grading.__file__).parent
    assert sorted(p.stem for p in folder.glob("nb*.py")) == sorted(grading.NOTEBOOKS)
    for name in MODULES:
        assert sys.modules[f"cnncourse._grading.{name}"] is getattr(grading, name)
    assert grading._HERE == str(Path(cnncourse.__file__).parent)
    assert grading._SNAPSHOT is grading._core._SNAPSHOT


def test_all_names_exactly_what_the_notebooks_call():
    """Each notebook module's __all__ lists its explain_*, hidden_* and probe_* functions
    (and the other helpers its visible tests call), all defined there; the package's
    __all__ is trusted plus those; the notebooks call all of them but the probes (which
    checks.exercise calls), and no other name but _core's visible-test helpers."""
    for name in grading.NOTEBOOKS:
        module = getattr(grading, name)
        prefixed = [
            key
            for key, value in vars(module).items()
            if key.startswith(("explain_", "hidden_", "probe_"))
            and getattr(value, "__module__", None) == module.__name__
        ]
        assert set(prefixed) <= set(module.__all__), name
        for key in module.__all__:
            value = getattr(module, key)
            assert callable(value) and value.__module__ == module.__name__, (name, key)
    expected = ["trusted"] + [n for m in grading.NOTEBOOKS for n in getattr(grading, m).__all__]
    assert grading.__all__ == expected and len(set(expected)) == len(expected)
    assert all(callable(getattr(grading, key)) for key in grading.__all__)
    called = set()
    for path in (Path(cnncourse.__file__).parent.parent / "notebooks").glob("0*.ipynb"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\bchecks\.(\w+)", r"\b_grading\.(\w+)", r"trusted\(globals\(\)\)\.(\w+)"):
            called.update(re.findall(pattern, text))
    core_helpers = {"exercise", "assert_close", "check_rules", "rule_error"}
    assert called - core_helpers == {k for k in grading.__all__ if not k.startswith("probe_")}


def test_trusted_returns_fresh_modules_not_the_imported_ones():
    G = grading.trusted({})
    assert G is not grading and G.__name__ not in sys.modules
    assert not [k for k in sys.modules if k.startswith(grading._core._FRESH_PREFIX)]
    for name in MODULES:
        fresh = getattr(G, name)
        assert fresh is not sys.modules[f"cnncourse._grading.{name}"]
        assert fresh.__name__ == f"{G.__name__}.{name}"
        assert Path(fresh.__file__) == Path(getattr(grading, name).__file__)
    hidden = [k for k in vars(grading) if k.startswith(("hidden_", "explain_"))]
    assert len(hidden) >= 12
    for key in hidden:
        assert getattr(G, key) is not getattr(grading, key)
        assert getattr(G, key).__code__.co_code == getattr(grading, key).__code__.co_code
    # the fresh notebook modules run on the fresh core, not on the one in sys.modules
    assert G.hidden_conv2d.__globals__ is G.nb02.__dict__
    assert G.nb02._call is G._core._call is not grading._core._call
    assert G.nb01._Rng is G._core._Rng is not grading._Rng
    assert G._core._HERE == grading._HERE


@pytest.mark.parametrize(
    "module, attr",
    [("nb02", "hidden_conv2d"), ("nb01", "explain_conv1d"), ("_core", "close_lists")],
)
def test_audit_flags_patched_package_modules(monkeypatch, module, attr):
    mod = sys.modules[f"cnncourse._grading.{module}"]
    monkeypatch.setattr(mod, attr, lambda *a, **k: None)
    with pytest.raises(AssertionError, match=f"reasignadas.*cnncourse._grading.{module}.{attr}"):
        grading.trusted({})


def test_audit_flags_patched_method_and_snapshot(monkeypatch):
    monkeypatch.setattr(grading._core._Rng, "integers", lambda self, lo, hi: lo)
    with pytest.raises(AssertionError, match=r"cnncourse._grading._core._Rng.integers"):
        grading.trusted({})
    monkeypatch.undo()
    monkeypatch.setattr(grading, "_SNAPSHOT", grading._core._take_snapshot())
    with pytest.raises(AssertionError, match=r"cnncourse._grading._SNAPSHOT"):
        grading.trusted({})


def test_audit_flags_fresh_module_wired_to_sys_modules():
    pkg, core = grading._core._load_fresh()
    core.audit({}, fresh=pkg)  # as loaded: fine
    pkg.nb02.__dict__["_call"] = grading._core._call
    with pytest.raises(AssertionError, match=r"cnncourse._grading.nb02._call"):
        core.audit({}, fresh=pkg)


# --------------------------------------------------------------------------------------
# explain_conv2d: the kernel's shape read as (w, h), the kernel used transposed
# --------------------------------------------------------------------------------------
def conv2d_kernel_shape_as_wh(x, u):
    """The lecture's W x H order taken literally for the kernel: w, h = u.shape."""
    H, W = x.shape
    w, h = u.shape
    o = np.zeros((H - h + 1, W - w + 1))
    for j in range(H - h + 1):
        for i in range(W - w + 1):
            o[j, i] = np.sum(x[j : j + h, i : i + w] * u)
    return o


def conv2d_kernel_shape_as_wh_loops(x, u):
    """Same mistake with four loops, reading u[m, n] so that the indices stay in range."""
    H, W = x.shape
    w, h = u.shape
    o = np.zeros((H - h + 1, W - w + 1))
    for j in range(H - h + 1):
        for i in range(W - w + 1):
            for n in range(h):
                for m in range(w):
                    o[j, i] += x[n + j, m + i] * u[m, n]
    return o


def conv2d_kernel_transposed(x, u):
    H, W = x.shape
    h, w = u.shape
    o = np.zeros((H - h + 1, W - w + 1))
    for j in range(H - h + 1):
        for i in range(W - w + 1):
            for n in range(h):
                for m in range(w):
                    o[j, i] += x[n + j, m + i] * u[m, n]
    return o


X34 = np.arange(1.0, 13.0).reshape(3, 4)


@pytest.mark.parametrize("wrong", [conv2d_kernel_shape_as_wh, conv2d_kernel_shape_as_wh_loops])
def test_explain_conv2d_kernel_shape_read_as_w_h(wrong):
    u = np.array([[1.0, 2.0, 3.0]])
    got = wrong(X34, u)
    hint = grading.explain_conv2d(got, X34, u)
    assert got.shape == (1, 4) and "(3, 2)" in hint
    assert "(w, h)" in hint and "`h, w = u.shape`" in hint
    assert ("traspuesto" in hint) == (wrong is conv2d_kernel_shape_as_wh_loops)
    # a square kernel hides the mistake: the notebook's first case passes
    u_sq = np.array([[1.0, 0.0], [0.0, -1.0]])
    assert np.allclose(wrong(X34, u_sq), conv2d_ok(X34, u_sq))


def test_explain_conv2d_square_kernel_used_transposed():
    u = np.array([[1.0, 2.0], [0.0, -1.0]])
    got = conv2d_kernel_transposed(X34, u)
    assert got.shape == (2, 3) and not np.allclose(got, conv2d_ok(X34, u))
    hint = grading.explain_conv2d(got, X34, u)
    assert "traspuesto" in hint and "u[m, n] en lugar de u[n, m]" in hint
    assert "(w, h)" not in hint and "girado" not in hint
    assert grading.explain_conv2d(conv2d_ok(X34, u), X34, u) == ""
    assert "girado" in grading.explain_conv2d(conv2d_ok(X34, u[::-1, ::-1]), X34, u)


def test_explain_conv2d_wh_versus_swapped_output_on_square_image():
    x = np.arange(25.0).reshape(5, 5)
    u = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    assert "`h, w = u.shape`" in grading.explain_conv2d(conv2d_kernel_shape_as_wh_loops(x, u), x, u)
    assert "intercambiado filas y columnas" in grading.explain_conv2d(
        conv2d_ok(x, u).T.copy(), x, u
    )


def test_hidden_conv2d_hints_kernel_shape_read_as_w_h(G):
    for _ in range(5):
        with pytest.raises(AssertionError, match=r"h, w = u\.shape"):
            G.hidden_conv2d(conv2d_kernel_shape_as_wh_loops, {})


# --------------------------------------------------------------------------------------
# explain_numba_error: real Numba typing errors, explained in Spanish
# --------------------------------------------------------------------------------------
def _numba_error(fn, *args):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reflected-list deprecation warnings
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001
            return exc
    raise AssertionError(f"{fn} did not fail")


def test_explain_numba_error_on_real_typing_errors():
    numba = pytest.importorskip("numba")
    from numba.core.errors import TypingError

    @numba.njit
    def conv1d_on_list(x, u):
        o = np.zeros(x.shape[0] - u.shape[0] + 1)
        return o

    @numba.njit
    def conv1d_calls_cnncourse(x, u):
        return cnncourse.conv1d(x, u)

    @numba.njit
    def conv1d_mixed_types(x, u):
        if x[0] > 0:
            o = 0
        else:
            o = np.zeros(3)
        return o

    @numba.njit
    def zeros_of_float_size(x, u):
        return np.zeros(x.shape[0] / 2)

    ones = np.ones(5)
    cases = [
        (conv1d_on_list, ([1.0, 2.0, 3.0], [1.0]), "lista de Python", "reflected list"),
        (conv1d_calls_cnncourse, (ones, ones[:2]), "cnncourse", "conv1d"),
        (conv1d_mixed_types, (ones, ones), "mezclar tipos", "Cannot unify"),
        (zeros_of_float_size, (ones, ones), "mezclar tipos", "zeros(float64)"),
    ]
    for fn, args, cause, numba_words in cases:
        exc = _numba_error(fn, *args)
        assert isinstance(exc, TypingError)
        hint = grading.explain_numba_error(exc)
        likely, _, rest = hint.partition("Lo más probable:")
        assert "Numba no ha podido compilar" in likely
        assert cause in rest.split(".")[0], (fn.__name__, hint)
        message = hint.split("Mensaje de Numba: «")[1]
        assert numba_words in message and len(message) <= 201, hint
        assert "\x1b" not in hint and "Failed in nopython" not in hint


def test_explain_numba_error_other_exceptions():
    numba = pytest.importorskip("numba")

    @numba.njit
    def first(x):
        return x[0]

    exc = _numba_error(first, [1, "a"])  # a plain TypeError from Numba's dispatcher
    assert "lista de Python" in grading.explain_numba_error(exc)
    assert grading.explain_numba_error(ValueError("operands could not be broadcast")) == ""
    assert grading.explain_numba_error(IndexError("index 3 is out of bounds")) == ""
    assert grading.explain_numba_error(TypeError("unsupported operand")) == ""
    assert grading.explain_numba_error("not an exception") == ""
    long = numba.core.errors.TypingError("Failed in x\n" + "y" * 500)
    hint = grading.explain_numba_error(long)
    assert "Causas habituales" in hint and "y" * 197 + "...»" in hint
