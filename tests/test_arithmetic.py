"""cnncourse.arithmetic: window positions, one step on values, Spanish texts, drawings."""

from __future__ import annotations

import doctest
import io

import numpy as np
import pytest
from helpers import seeds, window_2d
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import np_pool2d, pair

import cnncourse
from cnncourse import arithmetic as A

MINUS = "\u2212"


# ----------------------------------------------------------------------------
# strategies and brute-force oracles
# ----------------------------------------------------------------------------
@st.composite
def axis_case(draw, max_n=9, max_k=4, max_pad=3, max_stride=4, max_dil=3):
    """(n, k, p, s, d) along one axis; the window may or may not fit."""
    return (
        draw(st.integers(1, max_n)),
        draw(st.integers(1, max_k)),
        draw(st.integers(0, max_pad)),
        draw(st.integers(1, max_stride)),
        draw(st.integers(1, max_dil)),
    )


@st.composite
def geometry_case(draw):
    """Geometry arguments: ints (square) or (rows, cols) pairs, possibly not fitting."""
    rows, cols = draw(axis_case()), draw(axis_case())
    if draw(st.booleans()):
        return rows  # all ints: square
    return tuple(zip(rows, cols, strict=True))


def positions(n, k, p, s, d):
    """Window starts along one axis, enumerated: every t = 0, s, 2s, ... whose taps fit."""
    return [t for t in range(0, n + 2 * p, s) if t + d * (k - 1) <= n + 2 * p - 1]


def taps(g: A.Geometry):
    """[(j, i, {(row, col), ...}), ...] enumerated by brute force, row-major."""
    axes = list(zip(g.in_size, g.kernel_size, g.padding, g.stride, g.dilation, strict=True))
    if g.ndim == 1:
        axes = [(1, 1, 0, 1, 1)] + axes
    (rows_axis, cols_axis) = axes
    out = []
    for j, r0 in enumerate(positions(*rows_axis)):
        for i, c0 in enumerate(positions(*cols_axis)):
            cells = {
                (r0 + rows_axis[4] * n, c0 + cols_axis[4] * m)
                for n in range(rows_axis[1])
                for m in range(cols_axis[1])
            }
            out.append((j, i, cells))
    return out


# ----------------------------------------------------------------------------
# output_shape, Geometry, window
# ----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(window_2d(max_n=12, max_k=5, max_pad=3, max_stride=4))
def test_output_shape_matches_output_size(case):
    in_size, kernel_size, padding, stride = case
    (H, W), (h, w), (ph, pw), (sh, sw) = (pair(v) for v in case)
    expected = (cnncourse.output_size(H, h, ph, sh), cnncourse.output_size(W, w, pw, sw))
    assert A.output_shape(in_size, kernel_size, padding, stride) == expected
    assert A.Geometry(in_size, kernel_size, padding, stride).output_shape == expected


@settings(max_examples=120, deadline=None)
@given(geometry_case())
def test_output_shape_counts_window_positions_with_dilation(args):
    g = A.Geometry(*args)
    rows, cols = zip(*[pair(a) for a in args], strict=True)
    counts = (len(positions(*rows)), len(positions(*cols)))
    assert g.output_shape == counts
    assert g.n_steps == counts[0] * counts[1]
    assert g.ok == (counts[0] > 0 and counts[1] > 0)
    assert A.fits(*args) == g.ok
    if g.ok:
        assert A.output_shape(*args) == counts
    else:
        with pytest.raises(ValueError, match=r"output_shape: kernel_size=\d+.*does not fit"):
            A.output_shape(*args)


@settings(max_examples=60, deadline=None)
@given(geometry_case())
def test_window_visits_every_position_row_major(args):
    g = A.Geometry(*args)
    if not g.ok:
        with pytest.raises(ValueError, match="window: the window does not fit"):
            A.window(g, 0)
        return
    expected = taps(g)
    assert len(expected) == g.n_steps
    Hp, Wp = g.padded_size
    for step, (j, i, cells) in enumerate(expected):
        w = A.window(g, step)
        assert w.out_index == (j, i)
        assert w.coords.shape == (np.prod(g.kernel_size), 2)
        assert {tuple(c) for c in w.coords.tolist()} == cells
        assert w.origin == tuple(w.coords[0])
        assert w.coords[:, 0].max() < Hp and w.coords[:, 1].max() < Wp
    covered = set().union(*(cells for _, _, cells in expected))
    assert {r for r, _ in covered} == set(np.flatnonzero(g.covered(0)))
    assert {c for _, c in covered} == set(np.flatnonzero(g.covered(1)))


def test_window_one_dimensional_and_dilated():
    g = A.Geometry((8,), (2,), dilation=3)
    assert g.output_shape == (5,) and g.ndim == 1 and g.effective_kernel == (4,)
    w = A.window(g, 2)
    assert w.out_index == (2,)
    assert w.coords.tolist() == [2, 5]
    assert w.origin == (2,)
    (j, i), coords = A.window(A.Geometry(5, 3, padding=1, stride=2), 5)  # unpacks in two
    assert (j, i) == (1, 2)
    assert coords[0].tolist() == [2, 4]


def test_geometry_normalises_ints_and_pairs():
    g = A.Geometry(np.int64(5), (3, 2), padding=(1, 0), stride=np.int32(2))
    assert g.in_size == (5, 5) and g.kernel_size == (3, 2) and g.padding == (1, 0)
    assert g.stride == (2, 2) and g.dilation == (1, 1)
    assert g.padded_size == (7, 5)
    assert g == A.Geometry((5, 5), (3, 2), (1, 0), (2, 2))
    assert A.Geometry(5, 2, dilation=(1, 3)).effective_kernel == (2, 4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"in_size": -1}, r"Geometry: argument 'in_size' must be >= 1, got -1; use in_size>=1"),
        ({"in_size": 0}, r"argument 'in_size' must be >= 1, got 0"),
        ({"kernel_size": 0}, r"argument 'kernel_size' must be >= 1"),
        ({"padding": -1}, r"argument 'padding' must be >= 0, got -1; use padding=0"),
        ({"stride": 0}, r"argument 'stride' must be >= 1, got 0; use stride>=1"),
        ({"dilation": 0}, r"argument 'dilation' must be >= 1"),
        ({"kernel_size": 2.0}, r"argument 'kernel_size' must be an integer, got 2\.0"),
        ({"stride": True}, r"argument 'stride' must be an integer, got True"),
        ({"padding": "1"}, r"argument 'padding' must be an integer"),
        ({"in_size": (4, 5, 6)}, r"argument 'in_size' must be an int or a pair \(rows, cols\)"),
        ({"stride": (1, 2, 3)}, r"argument 'stride' must be an int or a pair"),
    ],
)
def test_geometry_bad_input_raises_valueerror(kwargs, match):
    args = {"in_size": 5, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        A.Geometry(**args)
    with pytest.raises(ValueError, match=match.replace("Geometry", "output_shape")):
        A.output_shape(**args)


def test_output_shape_misfit_message_names_argument_and_fix():
    with pytest.raises(ValueError, match=r"kernel_size=5 does not fit input size 3 .*rows \(H\)"):
        A.output_shape(3, 5)
    with pytest.raises(
        ValueError, match=r"spanning 17 with dilation=2.*columns \(W\).*use padding >= 7"
    ):
        A.output_shape((3, 4), (2, 9), dilation=(1, 2))


@pytest.mark.parametrize(
    "step, match",
    [
        (9, r"window: argument 'step' must be in 0\.\.8 \(n_steps=9\), got 9"),
        (-1, r"must be in 0\.\.8 .*got -1"),
        (1.0, r"window: argument 'step' must be an integer, got 1\.0"),
        (True, r"argument 'step' must be an integer"),
    ],
)
def test_window_bad_step(step, match):
    with pytest.raises(ValueError, match=match):
        A.window(A.Geometry(5, 3, 1, 2), step)


def test_window_rejects_non_geometry():
    with pytest.raises(TypeError, match="window: argument 'geometry' must be a Geometry"):
        A.window((5, 3), 0)


# ----------------------------------------------------------------------------
# Spanish texts
# ----------------------------------------------------------------------------
def test_formula_es_substitutes_the_numbers():
    g = A.Geometry(5, 3, padding=1, stride=2)
    assert g.formula_es() == (
        "Ho = ⌊(H + 2p − h)/s⌋ + 1 = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3\n"
        "Wo = ⌊(W + 2p − w)/s⌋ + 1 = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3"
    )


def test_formula_es_shows_dilation_only_where_it_is_not_one():
    rows, cols = A.Geometry((7, 9), (3, 2), dilation=(1, 2)).formula_es().split("\n")
    assert "d" not in rows.split("=")[1]
    assert rows == "Ho = ⌊(H + 2p − h)/s⌋ + 1 = ⌊(7 + 2·0 − 3)/1⌋ + 1 = 5"
    assert cols == "Wo = ⌊(W + 2p − d·(w − 1) − 1)/s⌋ + 1 = ⌊(9 + 2·0 − 2·(2 − 1) − 1)/1⌋ + 1 = 7"


def test_formula_es_one_dimensional_and_not_fitting():
    assert (
        A.Geometry((8,), (2,)).formula_es()
        == "Wo = ⌊(W + 2p − w)/s⌋ + 1 = ⌊(8 + 2·0 − 2)/1⌋ + 1 = 7"
    )
    text = A.Geometry(3, 5).formula_es()
    assert f"= {MINUS}1 → la ventana no cabe" in text


def test_message_es_window_does_not_fit():
    g = A.Geometry(3, 5)
    assert not g.ok and g.output_shape == (0, 0) and g.n_steps == 0
    assert g.message_es.startswith(
        "La ventana (5) no cabe en la entrada con padding (3 + 2·0 = 3): "
        "aumenta el padding o reduce el kernel"
    )
    assert "p ≥ 1" in g.message_es
    one_axis = A.Geometry((3, 6), (5, 2)).message_es
    assert one_axis.startswith("En las filas, la ventana (5) no cabe")
    assert "columnas" not in one_axis
    dilated = A.Geometry(5, 3, dilation=3).message_es
    assert "3 con dilatación 3, que ocupa 7" in dilated and "la dilatación" in dilated


def test_message_es_division_not_exact():
    msg = A.Geometry((7,), (2,), stride=2).message_es
    assert "(7 + 2·0 − 2)/2 = 2.5 no es exacto: se redondea hacia abajo" in msg
    assert "la última muestra no se usa (la 6 de la entrada)" in msg  # no padding: no "con padding"
    assert (
        "(la 8 de la entrada con padding;" in A.Geometry((7,), (2,), padding=1, stride=2).message_es
    )
    msg = A.Geometry((5, 7), 2, stride=2).message_es
    assert "la última fila no se usa (la 4 de" in msg
    assert "la última columna no se usa (la 6 de" in msg
    msg = A.Geometry(8, 3, stride=3).message_es
    assert "(8 + 2·0 − 3)/3 ≈ 1.67 no es exacto" in msg
    assert "las últimas 2 filas y columnas no se usan (las 6 y 7 de" in msg
    assert "es padding" in A.Geometry(4, 3, padding=1, stride=2).message_es  # only padding lost


def test_message_es_gaps_between_windows_and_exact_case():
    msg = A.Geometry(5, 1, stride=2).message_es
    assert "Las filas y columnas 1 y 3 de la entrada quedan entre" in msg
    assert "(stride 2)" in msg
    exact = A.Geometry(5, 3, padding=1, stride=2).message_es
    assert exact == (
        "La ventana cabe: salida de 3 × 3 = 9 posiciones. "
        "Se usan todas las filas y columnas de la entrada con padding."
    )


@settings(max_examples=60, deadline=None)
@given(geometry_case())
def test_message_es_names_exactly_the_unused_cells(args):
    """Every padded row/column that no window touches is reported, and only those."""
    g = A.Geometry(*args)
    if not g.ok:
        assert "no cabe" in g.message_es
        return
    assert g.message_es.startswith(f"La ventana cabe: salida de {g.output_shape[0]} × ")
    rows_used, cols_used = g.covered(0).all(), g.covered(1).all()
    assert ("Se usan todas" in g.message_es) == (rows_used and cols_used)
    if not rows_used:
        assert "fila" in g.message_es
    if not cols_used:
        assert "columna" in g.message_es


# ----------------------------------------------------------------------------
# conv_step / conv_steps_text on values
# ----------------------------------------------------------------------------
def test_conv_step_worked_example_text():
    r = A.conv_step([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, -1]], step=1)
    assert r.out_index == (0, 1) and r.origin == (0, 1)
    np.testing.assert_array_equal(r.window, [[2, 3], [5, 6]])
    np.testing.assert_array_equal(r.products, [[2, 0], [0, -6]])
    assert r.value == -4.0
    assert r.text == f"o[0, 1] = 2·1 + 3·0 + 5·0 + 6·({MINUS}1) = {MINUS}4"
    assert str(r) == r.text


@st.composite
def conv_case(draw):
    ndim = draw(st.sampled_from([1, 2, 3]))
    if ndim == 1:
        n, k, p, s = draw(st.integers(1, 9)), draw(st.integers(1, 4)), 0, 1
        p, s = draw(st.integers(0, 2)), draw(st.integers(1, 3))
        n = max(n, k - 2 * p)
        return (n,), (k,), p, s
    (H, W), (h, w), padding, stride = draw(window_2d(max_n=7, max_k=3, max_pad=2, max_stride=3))
    if ndim == 3:
        C = draw(st.integers(1, 3))
        return (C, H, W), (C, h, w), padding, stride
    return (H, W), (h, w), padding, stride


@settings(max_examples=60, deadline=None)
@given(conv_case(), seeds)
def test_conv_step_sum_equals_conv_output(case, seed):
    xshape, ushape, padding, stride = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=xshape).astype(float)
    u = rng.integers(-3, 4, size=ushape).astype(float)
    conv = cnncourse.conv1d if len(xshape) == 1 else cnncourse.conv2d
    expected = conv(x, u, padding=padding, stride=stride)
    lines = A.conv_steps_text(x, u, padding=padding, stride=stride)
    n_steps = expected.size
    for step in range(n_steps):
        r = A.conv_step(x, u, step, padding=padding, stride=stride)
        assert r.out_index == np.unravel_index(step, expected.shape)
        assert r.value == pytest.approx(expected[r.out_index], abs=1e-9)
        np.testing.assert_array_equal(r.products, r.window * u)
        assert r.window.shape == u.shape
        assert r.text in lines
        assert r.text.endswith(f"= {A._num(r.value)}")
        if len(xshape) == 3:
            assert r.text.count("\n") == xshape[0]  # one line per channel + the total
    sep = "\n\n" if len(xshape) == 3 else "\n"
    assert len(lines.split(sep)) == n_steps


def test_conv_step_window_comes_from_the_padded_input():
    x = np.arange(1.0, 10.0).reshape(3, 3)
    r = A.conv_step(x, np.ones((2, 2)), step=0, padding=1, stride=2)
    np.testing.assert_array_equal(r.window, [[0, 0], [0, 1]])
    assert r.text == "o[0, 0] = 0·1 + 0·1 + 0·1 + 1·1 = 1"
    assert r.geometry.padding == (1, 1)


def test_conv_step_channels_text():
    x = np.stack([np.eye(3), -np.ones((3, 3))])
    r = A.conv_step(x, np.ones((2, 2, 2)), step=0)
    assert r.text.split("\n") == [
        "canal 0: 1·1 + 0·1 + 0·1 + 1·1 = 2",
        f"canal 1: ({MINUS}1)·1 + ({MINUS}1)·1 + ({MINUS}1)·1 + ({MINUS}1)·1 = {MINUS}4",
        f"o[0, 0] = 2 + ({MINUS}4) = {MINUS}2",
    ]
    assert r.value == cnncourse.conv2d(x, np.ones((2, 2, 2)))[0, 0]


def test_conv_steps_text_lecture_example():
    text = A.conv_steps_text([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1])
    lines = text.split("\n")
    assert len(lines) == 7
    assert lines[3] == f"o[3] = 0·({MINUS}1) + 1·1 = 1"
    assert [line.rsplit("= ", 1)[1] for line in lines] == ["0", "0", "0", "1", "1", "1", "0"]


def test_conv_step_formats_fractions():
    r = A.conv_step([0.5, 0.25], [1 / 3, 1.0], step=0)
    assert r.text == "o[0] = 0.5·0.3333 + 0.25·1 = 0.4167"


@pytest.mark.parametrize(
    "x, u, kwargs, exc, match",
    [
        (np.ones((3, 3)), np.ones(2), {}, ValueError, r"conv_step: argument 'u' must have 2"),
        (np.ones((2, 3, 3)), np.ones((3, 2, 2)), {}, ValueError, r"conv_step: channel mismatch"),
        (np.ones((3, 3)), np.ones((4, 4)), {}, ValueError, r"kernel 'u'=4 does not fit"),
        (np.ones(5), np.ones(2), {"padding": (1, 1)}, TypeError, r"'padding' must be an integer"),
        (np.ones(5), np.ones(2), {"stride": 0}, ValueError, r"'stride' must be >= 1"),
        (np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1)), {}, ValueError, r"'x' must have 1, 2 or 3"),
        (np.ones((3, 3)), np.ones((2, 2)), {"step": 4}, ValueError, r"conv_step: argument 'step'"),
    ],
)
def test_conv_step_bad_input(x, u, kwargs, exc, match):
    kwargs = {"step": 0, **kwargs}
    with pytest.raises(exc, match=match):
        A.conv_step(x, u, **kwargs)


# ----------------------------------------------------------------------------
# pool_step
# ----------------------------------------------------------------------------
@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 7))
    W = draw(st.integers(max(1, kw - 2 * pw), 7))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    mode = draw(st.sampled_from(["max", "avg", "min"]))
    return (H, W), (kh, kw), stride, (ph, pw), mode


@settings(max_examples=60, deadline=None)
@given(pool_case(), seeds)
def test_pool_step_matches_pool2d(case, seed):
    shape, kernel_size, stride, padding, mode = case
    x = np.random.default_rng(seed).integers(-9, 10, size=shape).astype(float)
    expected = cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
    np.testing.assert_allclose(expected, np_pool2d(x, kernel_size, stride, padding, mode))
    for step in range(expected.size):
        r = A.pool_step(x, step, kernel_size, stride, padding, mode)
        assert r.out_index == np.unravel_index(step, expected.shape)
        assert r.value == pytest.approx(expected[r.out_index])
        assert np.isfinite(r.value)  # padding never wins
        assert r.window.shape == r.is_padding.shape == kernel_size
        if mode != "avg":
            assert not r.is_padding[r.winner]
            assert r.window[r.winner] == r.value
        else:
            assert r.winner is None


def test_pool_step_texts():
    x = np.array([[1.0, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]])
    assert A.pool_step(x, 0).text == "o[0, 0] = máx(1, 3, 2, 9) = 9"
    assert A.pool_step(x, 3, mode="min").text == "o[1, 1] = mín(1, 1, 1, 1) = 1"
    assert (
        A.pool_step(x, 1, mode="avg").text
        == "o[0, 1] = media(5, 6, 7, 8) = (5 + 6 + 7 + 8)/4 = 6.5"
    )
    padded = A.pool_step(x, 0, kernel_size=3, stride=2, padding=1)
    assert padded.text.startswith(f"o[0, 0] = máx({MINUS}∞, {MINUS}∞, {MINUS}∞, {MINUS}∞, 1, 3")
    assert padded.is_padding.sum() == 5 and padded.value == 9


def test_pool_step_avg_divides_by_the_full_window():
    x = np.ones((2, 2))
    r = A.pool_step(x, 0, kernel_size=2, stride=1, padding=1, mode="avg")
    assert r.value == 0.25 == cnncourse.pool2d(x, 2, 1, 1, "avg")[0, 0]
    assert r.text == "o[0, 0] = media(0, 0, 0, 1) = (0 + 0 + 0 + 1)/4 = 0.25"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "mean"}, r"pool_step: argument 'mode' must be one of 'max', 'avg', 'min'"),
        ({"padding": 2}, r"pool_step: argument 'padding' must be at most half the window"),
        ({"kernel_size": 5}, r"pool_step: kernel_size=5 does not fit input size 4"),
        ({"step": 4}, r"pool_step: argument 'step' must be in 0\.\.3"),
    ],
)
def test_pool_step_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.pool_step(np.ones((4, 4)), **{"step": 0, **kwargs})
    with pytest.raises(ValueError, match=r"pool_step: argument 'x' must have 2 dimensions"):
        A.pool_step(np.ones((1, 4, 4)), 0)


# ----------------------------------------------------------------------------
# drawings (Agg figures, no pyplot)
# ----------------------------------------------------------------------------
def _axes(n, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3 * n, 3), dpi=50)
    axes = fig.subplots(1, n, **kw)
    return fig, axes


def _gids(ax, prefix):
    """Cells of the rectangles whose gid is 'prefix r c'."""
    return {
        tuple(int(v) for v in p.get_gid().split()[-2:])
        for p in ax.patches
        if (p.get_gid() or "").startswith(prefix + " ") and p.get_gid() != prefix + " span"
    }


def _grid_texts(ax):
    """{(row, col): text} of the numbers written at cell centres."""
    return {
        (int(t.get_position()[1] - 0.5), int(t.get_position()[0] - 0.5)): t.get_text()
        for t in ax.texts
    }


def _collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return {tuple(c) for c in found[0].cells.tolist()} if found else set()


@pytest.mark.parametrize(
    "args, step",
    [
        ((5, 3, 1, 2), 4),
        (((7, 6), (2, 3), 1, (2, 1), 2), 3),
        ((4, 2), 0),
        (((1, 8), (1, 3), 0, 2), 2),
    ],
)
def test_draw_arithmetic_highlights_the_window_and_output_cell(args, step):
    g = A.Geometry(*args)
    fig, (ax_in, ax_out) = _axes(2)
    assert A.draw_arithmetic(ax_in, ax_out, g, step) is fig
    w = A.window(g, step)
    assert _gids(ax_in, "window") == {tuple(c) for c in w.coords.tolist()}
    assert _gids(ax_out, "current") == {w.out_index}
    Hp, Wp = g.padded_size
    (ph, pw), (H, W) = g.padding, g.in_size
    real = _collection(ax_in, "input")
    pad = _collection(ax_in, "padding")
    assert real == {(r, c) for r in range(ph, ph + H) for c in range(pw, pw + W)}
    assert len(real) + len(pad) == Hp * Wp and not real & pad
    Ho, Wo = g.output_shape
    assert len(_collection(ax_out, "output done")) == step
    assert len(_collection(ax_out, "output")) == Ho * Wo - step - 1
    has_span = any(p.get_gid() == "window span" for p in ax_in.patches)
    assert has_span == (max(g.dilation) > 1)
    if pad:
        padding_coll = next(c for c in ax_in.collections if c.get_gid() == "padding")
        assert padding_coll.get_linestyle()[0][1] is not None  # dashed
    fig.savefig(io.BytesIO(), format="png")  # and it renders


def test_draw_arithmetic_refuses_a_window_that_does_not_fit():
    _, (a, b) = _axes(2)
    with pytest.raises(ValueError, match="draw_arithmetic: the window does not fit"):
        A.draw_arithmetic(a, b, A.Geometry(3, 5), 0)


def test_draw_step_writes_the_numbers():
    x = np.array([[2.0, 3, 1], [5, 6, 0]])
    u = np.array([[1.0, 0], [0, -1]])
    fig, axes = _axes(3)
    r = A.draw_step(*axes, x, u, 1)
    assert r.text == A.conv_step(x, u, 1).text and r.value == 3
    ax_in, ax_k, ax_out = axes
    assert _grid_texts(ax_in) == {(0, 0): "2", (0, 1): "3", (0, 2): "1", (1, 0): "5",
                                  (1, 1): "6", (1, 2): "0"}  # fmt: skip
    assert _grid_texts(ax_k) == {(0, 0): "1", (0, 1): "0", (1, 0): "0", (1, 1): f"{MINUS}1"}
    assert _grid_texts(ax_out) == {(0, 0): f"{MINUS}4", (0, 1): "3"}  # steps 0 and 1 so far
    assert len(ax_in.texts) == 6  # the window's numbers are written once
    assert _gids(ax_in, "window") == {(0, 1), (0, 2), (1, 1), (1, 2)}
    assert _gids(ax_out, "current") == {(0, 1)}


def test_draw_step_channels_and_padding():
    x = np.arange(18.0).reshape(2, 3, 3)
    fig, axes = _axes(3)
    r = A.draw_step(*axes, x, np.ones((2, 2, 2)), 3, padding=1, stride=2)
    assert r.out_index == (1, 1)
    texts = [t.get_text() for t in axes[0].texts]
    assert texts.count("0") >= 2 * 16  # the padding zeros of both channels (and x[0, 0, 0])
    assert "c=1" in texts
    windows = [p for p in axes[0].patches if (p.get_gid() or "").startswith("window")]
    assert len(windows) == 2 * 4  # the window on each channel
    expected = cnncourse.conv2d(x, np.ones((2, 2, 2)), padding=1, stride=2)
    assert _grid_texts(axes[2]) == {idx: A._num(v) for idx, v in np.ndenumerate(expected)}


def test_draw_pool_step_marks_the_winner():
    x = np.array([[1.0, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]])
    fig, (a, b) = _axes(2)
    r = A.draw_pool_step(a, b, x, 0)
    assert r.value == 9 and _gids(a, "winner") == {(1, 1)}
    bold = [t.get_text() for t in a.texts if t.get_fontweight() == "bold"]
    assert bold == ["9"]
    assert [t.get_text() for t in b.texts] == ["9"]
    assert len(a.texts) == 16
    fig, (a, b) = _axes(2)
    A.draw_pool_step(a, b, x, 3, mode="avg")
    assert _gids(a, "winner") == set()
    assert sorted(t.get_text() for t in b.texts) == ["1", "1", "3.75", "6.5"]


def test_module_imports_no_matplotlib():
    import subprocess
    import sys

    code = "import sys, cnncourse.arithmetic; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_docstring_examples_run():
    """The numpydoc Examples sections of cnncourse.arithmetic are correct (doctest)."""
    result = doctest.testmod(A, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize(
    "axis, words, symbols",
    [
        ("signal", ("muestra",), ("Wo", "W", "w")),
        ("columns", ("columna",), ("Wo", "W", "w")),
        ("rows", ("fila",), ("Ho", "H", "h")),
    ],
)
def test_one_axis_geometry_names_its_axis(axis, words, symbols):
    """A 1D Geometry of an image's width speaks of columns, not of a signal's samples."""
    g = A.Geometry((8,), (3,), stride=3, axis=axis)
    text = g.message_es
    for word in words:
        assert word in text, text
    others = {"muestra", "columna", "fila"} - set(words)
    assert not any(o in text for o in others), text
    assert g.formula_es().startswith(f"{symbols[0]} = ⌊({symbols[1]} + 2p − {symbols[2]})/s⌋")


def test_geometry_axis_must_be_known():
    with pytest.raises(ValueError, match="'axis' must be one of"):
        A.Geometry((8,), (3,), axis="width")
