"""cnncourse._grading in-process: the hidden checks accept right answers every time
(random sizes are drawn on each run) and reject the classic mistakes and cheats."""

from __future__ import annotations

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
        ("hidden_conv1d", lambda x, u: conv1d_ok(x, u[::-1]), "girado"),
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

    with pytest.raises(AssertionError, match="en el sitio"):
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
    assert "girado" in grading.explain_conv1d(np.convolve(x, u, "valid"), x, u)
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
