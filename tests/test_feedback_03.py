"""Notebook 03: feedback a student can act on (issue 17).

* every rule the hidden checks enforce (cnncourse.conv2d only channel by channel, on 2D
  matrices, in conv2d_rgb and conv2d_multi, also through the student's own conv2d_rgb; no
  scipy or NumPy convolution; inputs untouched; exactly an np.ndarray of float) is caught
  by the VISIBLE test, run as a student runs it (without its hidden block), which names the
  rule; the same answers lose their points with the hidden checks;
* the hints follow from the values received, on test volumes whose sizes all differ: the
  sum over a wrong axis is named as such (not «filas y columnas intercambiadas»), three
  channels hard-coded are named whether they crash (C = 1) or silently drop a channel
  (C = 4), channels read from the last axis are named;
* a blank exercise says «sin hacer»; a wrong conv2d_rgb is named as the cause when
  conv2d_multi or rgb_to_gray fails because of it («Tu conv2d_rgb falla: arréglala
  primero»);
* right answers written in other ways pass (cnncourse.conv2d channel by channel in
  conv2d_rgb, the whole volume in rgb_to_gray, where it is allowed);
* filter_bank_params (issue 18, point 12): D * (C * h * w + 1) as an int, the forgotten
  bias and the forgotten channels named, a float or a bool caught as a rule by the visible
  test; the notebook's example (10 filters of 3 x 3 x 3 -> 280) is checked there.

One kernel runs every visible probe (``wrong_answer_problems``); the hidden checks run
in-process on the same sources.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest
from _nbutils import (
    cell_by_id,
    index_of,
    load,
    merged_variants,
    statement_of,
    wrong_answer_problems,
)

import cnncourse
import cnncourse._grading as grading

# np.asmatrix answers (a rule break: not exactly an np.ndarray) warn as they are built
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

NAME = "03_rgb.ipynb"
RULE = "regla del enunciado"
ALLOWED = "solo se permite cnncourse.conv2d canal a canal"
CASCADE = "Tu conv2d_rgb falla: arréglala primero"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# The notebook's own conv2d_rgb: every probe of conv2d_multi and rgb_to_gray starts with it,
# so that a probe that redefines conv2d_rgb (wrong) does not leak into the next ones.
RGB_OK = cell_by_id(load(NAME), "conv2d_rgb").source


def _with_rgb(source: str, rgb: str = RGB_OK) -> str:
    return _src(rgb) + "\n\n\n" + _src(source)


def _rgb(line: str) -> str:
    """A conv2d_rgb that sums per-channel maps, built by ``line`` (a generator over c)."""
    return f"def conv2d_rgb(x, u):\n    return {line}"


PER_CHANNEL = "cnncourse.conv2d(x[c], u[c]) for c in range(x.shape[0])"
MULTI_OK = """
    def conv2d_multi(x, filters):
        return np.stack([conv2d_rgb(x, f) for f in filters])
    """
BLANK_RGB = "def conv2d_rgb(x, u):\n    raise NotImplementedError()"
BANK_OK = "def filter_bank_params(D, C, h, w):\n    return D * (C * h * w + 1)"
GRAY_OK = """
    def rgb_to_gray(x):
        return conv2d_rgb(x, np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1))
    """


# --------------------------------------------------------------------------------------
# Answers right in their values that break one rule of the statement each
# {grade_id: {variant: (source, phrase the visible test's message must contain)}}
# --------------------------------------------------------------------------------------
RULE_BREAKS = {
    "conv2d_rgb": {
        "library_whole_volume": (
            "def conv2d_rgb(x, u):\n    return cnncourse.conv2d(x, u)",
            ALLOWED,
        ),
        "library_3d_slices": (
            _rgb("sum(cnncourse.conv2d(x[c : c + 1], u[c : c + 1]) for c in range(len(x)))"),
            "llama a cnncourse.conv2d",
        ),
        "scipy_per_channel": (
            """
            import scipy.signal

            def conv2d_rgb(x, u):
                return sum(
                    scipy.signal.correlate2d(x[c], u[c], mode="valid") for c in range(len(x))
                )
            """,
            "usa ['correlate2d']",
        ),
        # the statement says it: a function of one's own with a library's name is refused
        "own_function_named_correlate": (
            """
            def correlate(a, k):
                h, w = k.shape
                rows, cols = a.shape[0] - h + 1, a.shape[1] - w + 1
                windows = [[a[j : j + h, i : i + w] for i in range(cols)] for j in range(rows)]
                return np.array([[np.sum(v * k) for v in row] for row in windows])

            def conv2d_rgb(x, u):
                return sum(correlate(x[c], u[c]) for c in range(len(x)))
            """,
            "usa ['correlate']",
        ),
        "in_place": (
            """
            def conv2d_rgb(x, u):
                x -= 1.0
                return sum(cnncourse.conv2d(x[c] + 1.0, u[c]) for c in range(x.shape[0]))
            """,
            "ha modificado la entrada x",
        ),
        "list": (_rgb(f"sum({PER_CHANNEL}).tolist()"), "numpy.ndarray"),
        "matrix": (_rgb(f"np.asmatrix(sum({PER_CHANNEL}))"), "numpy.ndarray"),
    },
    "conv2d_multi": {
        "library_bank": (
            _with_rgb("def conv2d_multi(x, filters):\n    return cnncourse.conv2d(x, filters)"),
            ALLOWED,
        ),
        "library_in_own_conv2d_rgb": (
            _with_rgb(MULTI_OK, rgb=_rgb("cnncourse.conv2d(x, u)")),
            "es conv2d_rgb quien incumple la regla",
        ),
        "in_place": (
            _with_rgb(
                """
                def conv2d_multi(x, filters):
                    maps = np.stack([conv2d_rgb(x, f) for f in filters])
                    filters[...] = 0.0
                    return maps
                """
            ),
            "ha modificado los filtros filters",
        ),
        "list": (
            _with_rgb(
                "def conv2d_multi(x, filters):\n    return [conv2d_rgb(x, f) for f in filters]"
            ),
            "numpy.ndarray",
        ),
    },
    "filter_bank_params": {
        "float": (BANK_OK.replace("return D", "return 1.0 * D"), "debe devolver un entero (int)"),
        "true_division": (
            "def filter_bank_params(D, C, h, w):\n    return D * (C * h * w + 1) / 1",
            "no un float",
        ),
        "bool": (
            "def filter_bank_params(D, C, h, w):\n    return D * (C * h * w + 1) > 0",
            "¿una comparación?",
        ),
        "array": (
            "def filter_bank_params(D, C, h, w):\n    return np.array(D * (C * h * w + 1))",
            "no un array",
        ),
    },
    "rgb_to_gray": {
        "rounded_uint8": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    u = np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1)
                    return np.round(conv2d_rgb(x, u)).astype(np.uint8)
                """
            ),
            "no redondees",
        ),
        "in_place": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    x *= np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1)
                    return x.sum(axis=0)
                """
            ),
            "ha modificado la imagen x",
        ),
        "list": (
            _with_rgb(GRAY_OK.replace("reshape(3, 1, 1))", "reshape(3, 1, 1)).tolist()")),
            "numpy.ndarray",
        ),
    },
}

# Classic mistakes: the hint the visible test must give (from the values received). A
# phrase None marks a right answer: it must pass.
HINTS = {
    "conv2d_rgb": {
        "blank": ("def conv2d_rgb(x, u):\n    raise NotImplementedError()", "sin hacer"),
        "channels_not_summed": (_rgb(f"np.stack([{PER_CHANNEL}])"), "no las has sumado"),
        "first_channel_only": (_rgb("cnncourse.conv2d(x[0], u[0])"), "Solo has usado el canal 0"),
        "mean_of_channels": (_rgb(f"np.mean([{PER_CHANNEL}], axis=0)"), "media de los canales"),
        # three channels hard-coded: a crash with C = 1, named; a silent drop with C = 4
        "range_3": (_rgb("sum(cnncourse.conv2d(x[c], u[c]) for c in range(3))"), "siempre 3"),
        "x0_x1_x2": (
            _rgb(
                "cnncourse.conv2d(x[0], u[0]) + cnncourse.conv2d(x[1], u[1])"
                " + cnncourse.conv2d(x[2], u[2])"
            ),
            "recorres siempre 3 canales",
        ),
        "at_most_3": (
            _rgb("sum(cnncourse.conv2d(x[c], u[c]) for c in range(min(3, len(x))))"),
            "Solo sumas los canales 0, 1 y 2",
        ),
        # the example: a sum over a wrong axis, not «filas y columnas intercambiadas»
        "sum_over_columns": (_rgb(f"np.stack([{PER_CHANNEL}]).sum(axis=2)"), "las columnas"),
        "sum_over_rows": (_rgb(f"np.stack([{PER_CHANNEL}]).sum(axis=1)"), "las filas"),
        "flipped": (
            _rgb("sum(cnncourse.conv2d(x[c], u[c, ::-1, ::-1]) for c in range(len(x)))"),
            "girado",
        ),
        "transposed": (
            """
            def conv2d_rgb(x, u):
                C, H, W = x.shape
                _, h, w = u.shape
                o = np.zeros((H - h + 1, W - w + 1))
                for c in range(C):
                    for j in range(H - h + 1):
                        for i in range(W - w + 1):
                            o[j, i] += np.sum(x[c, j : j + h, i : i + w] * u[c].T)
                return o
            """,
            "traspuesto",
        ),
        "right_per_channel_library": (_rgb(f"sum({PER_CHANNEL})"), None),
        "right_alias": (
            "from cnncourse import conv2d\n\n\n"
            "def conv2d_rgb(x, u):\n"
            "    return sum(conv2d(xc, uc) for xc, uc in zip(x, u))",
            None,
        ),
    },
    "conv2d_multi": {
        "blank": (
            _with_rgb("def conv2d_multi(x, filters):\n    raise NotImplementedError()"),
            "sin hacer",
        ),
        "maps_last": (
            _with_rgb(MULTI_OK.replace("for f in filters])", "for f in filters], axis=-1)")),
            "primer eje",
        ),
        "first_filter_only": (
            _with_rgb(MULTI_OK.replace("conv2d_rgb(x, f)", "conv2d_rgb(x, filters[0])")),
            "es la convolución con filters[0]",
        ),
        "one_map": (
            _with_rgb("def conv2d_multi(x, filters):\n    return conv2d_rgb(x, filters[0])"),
            "un solo mapa",
        ),
        "cascade_mean_rgb": (
            _with_rgb(MULTI_OK, rgb=_rgb(f"np.mean([{PER_CHANNEL}], axis=0)")),
            CASCADE,
        ),
        "cascade_three_channels_rgb": (
            _with_rgb(MULTI_OK, rgb=_rgb("sum(cnncourse.conv2d(x[c], u[c]) for c in range(3))")),
            CASCADE,
        ),
        "squeezed": (
            _with_rgb(MULTI_OK.replace("np.stack(", "np.squeeze(np.stack(").replace("]", "])")),
            "no lo quites",
        ),
        # a blank conv2d_rgb: named, not «this exercise (conv2d_multi) is blank»
        "blank_rgb": (_with_rgb(MULTI_OK, rgb=BLANK_RGB), "Está sin hacer (todavía"),
        "right_per_channel_library": (
            """
            def conv2d_multi(x, filters):
                return np.stack(
                    [sum(cnncourse.conv2d(xc, fc) for xc, fc in zip(x, f)) for f in filters]
                )
            """,
            None,
        ),
    },
    "filter_bank_params": {
        "blank": (
            "def filter_bank_params(D, C, h, w):\n    raise NotImplementedError()",
            "sin hacer",
        ),
        "no_bias": (BANK_OK.replace("D * (C * h * w + 1)", "D * C * h * w"), "Faltan los sesgos"),
        "no_channels": (BANK_OK.replace("C * h * w + 1", "h * w + 1"), "Faltan los canales"),
        "one_bias": (BANK_OK.replace("D * (C * h * w + 1)", "D * C * h * w + 1"), "un solo sesgo"),
        "bias_per_channel": (
            BANK_OK.replace("D * (C * h * w + 1)", "D * C * (h * w + 1)"),
            "un sesgo por canal",
        ),
        "one_filter": (BANK_OK.replace("D * (C * h * w + 1)", "C * h * w + 1"), "un solo filtro"),
        "h_plus_w": (BANK_OK.replace("h * w", "(h + w)"), "no h + w"),
        "h_squared": (BANK_OK.replace("h * w", "h * h"), "no h · h"),
        "right_numpy_prod": (
            "def filter_bank_params(D, C, h, w):\n    return D * np.prod((C, h, w)) + D",
            None,
        ),
        "right_int_of_float": (
            "def filter_bank_params(D, C, h, w):\n    return int(D * (C * h * w + 1.0))",
            None,
        ),
    },
    "rgb_to_gray": {
        "blank": (_with_rgb("def rgb_to_gray(x):\n    raise NotImplementedError()"), "sin hacer"),
        "bgr_order": (
            _with_rgb(GRAY_OK.replace("0.299, 0.587, 0.114", "0.114, 0.587, 0.299")),
            "orden inverso",
        ),
        "plain_mean": (
            _with_rgb(GRAY_OK.replace("0.299, 0.587, 0.114", "1 / 3, 1 / 3, 1 / 3")),
            "media de los tres canales",
        ),
        "one_map_kept_3d": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    return conv2d_multi(x, np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1))
                """
            ),
            "eje de tamaño 1",
        ),
        "channels_last": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
                """
            ),
            "último eje",
        ),
        "weighted_not_summed": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    return x * np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1)
                """
            ),
            "no los has sumado",
        ),
        "cascade_first_channel_rgb": (
            _with_rgb(GRAY_OK, rgb=_rgb("cnncourse.conv2d(x[0], u[0])")),
            CASCADE,
        ),
        "blank_rgb": (_with_rgb(GRAY_OK, rgb=BLANK_RGB), "Está sin hacer (todavía"),
        "squeezed": (
            _with_rgb(
                """
                def rgb_to_gray(x):
                    u = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
                    return np.squeeze(conv2d_multi(x, u))
                """
            ),
            "una sola fila (H = 1)",
        ),
        "right_whole_volume_library": (
            """
            def rgb_to_gray(x):
                return cnncourse.conv2d(x, np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1))
            """,
            None,
        ),
    },
}

# Right answers written in other ways (after every other probe of their exercise)
RIGHT = {
    "conv2d_rgb": """
        def conv2d_rgb(x, u):
            windows = np.lib.stride_tricks.sliding_window_view(x, u.shape[1:], axis=(1, 2))
            return np.einsum("cjinm,cnm->ji", windows, u)
        """,
    "conv2d_multi": """
        def conv2d_multi(x, filters):
            D, C, h, w = filters.shape
            windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(1, 2))
            return np.einsum("cjinm,dcnm->dji", windows, filters)
        """,
    "filter_bank_params": """
        def filter_bank_params(D, C, h, w):
            filters = np.zeros((D, C, h, w))
            return filters.size + len(filters)
        """,
    "rgb_to_gray": """
        def rgb_to_gray(x):
            return np.tensordot(np.array([0.299, 0.587, 0.114]), x, axes=1)
        """,
}


def test_rule_breaks_and_hints_fail_the_visible_tests():
    """One kernel: each answer, then its test cell WITHOUT the hidden block (as a student
    runs it): the rule or the mistake is named; the right answers pass."""
    assert set(RULE_BREAKS) == set(HINTS) == set(RIGHT)
    problems = wrong_answer_problems(
        NAME, merged_variants(RULE_BREAKS, HINTS), RIGHT, timeout=240, visible_only=True
    )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------
# The hidden checks, in-process, on the same sources
# --------------------------------------------------------------------------------------
HIDDEN = {
    "conv2d_rgb": lambda G, fn, ns: G.hidden_conv_rgb(fn, ns),
    "conv2d_multi": lambda G, fn, ns: G.hidden_conv_multi(fn, ns),
    "filter_bank_params": lambda G, fn, ns: G.hidden_bank_params(fn),
    "rgb_to_gray": lambda G, fn, ns: G.hidden_rgb_to_gray(fn, ns),
}


def _define(source: str, name: str):
    import scipy.signal  # noqa: F401 - loaded, as in a kernel where a student imported it

    ns = {"np": np, "cnncourse": cnncourse, "__name__": "__main__"}
    exec(compile(_src(source), "<answer>", "exec"), ns)  # noqa: S102 - test fixtures
    return ns[name], ns


@pytest.mark.parametrize(
    "grade_id, variant", [(g, v) for g, variants in RULE_BREAKS.items() for v in variants]
)
def test_rule_breaks_lose_their_points_with_the_hidden_checks(grade_id, variant):
    fn, ns = _define(RULE_BREAKS[grade_id][variant][0], grade_id)
    with pytest.raises(AssertionError):
        HIDDEN[grade_id](grading.trusted(ns), fn, ns)


RIGHT_ALSO = [
    (gid, variant)
    for gid, variants in HINTS.items()
    for variant, (_, phrase) in variants.items()
    if phrase is None
]


@pytest.mark.parametrize("grade_id, variant", [(g, "RIGHT") for g in RIGHT] + RIGHT_ALSO)
def test_right_answers_written_differently_pass_the_hidden_checks(grade_id, variant):
    source = RIGHT[grade_id] if variant == "RIGHT" else HINTS[grade_id][variant][0]
    fn, ns = _define(_with_rgb(source), grade_id)
    for _ in range(5):  # random sizes on each run
        HIDDEN[grade_id](grading.trusted(ns), fn, ns)


# --------------------------------------------------------------------------------------
# The hints themselves, from the values received
# --------------------------------------------------------------------------------------
def test_wrong_axis_on_the_old_test_volume_is_not_called_swapped_rows_and_columns():
    """The old visible test volume had C = Wo = 3: a sum over the columns of each map had
    the shape (Wo, Ho) and was reported as «filas y columnas intercambiadas»."""
    x = np.arange(36, dtype=float).reshape(3, 3, 4)
    u = np.arange(1.0, 13.0).reshape(3, 2, 2)
    maps = np.stack([cnncourse.conv2d(x[c], u[c]) for c in range(3)])
    hint = grading.explain_conv_rgb(maps.sum(axis=2), x, u)
    assert "intercambiad" not in hint and "las columnas" in hint, hint
    swapped = grading.explain_conv_rgb(maps.sum(axis=0).T.copy(), x, u)
    assert "intercambiadas" in swapped, swapped


def test_probes_of_conv2d_rgb_and_conv2d_multi():
    def rgb(x, u):
        return sum(cnncourse.conv2d(x[c], u[c]) for c in range(x.shape[0]))

    def rgb3(x, u):
        return sum(cnncourse.conv2d(x[c], u[c]) for c in range(3))

    assert grading.probe_conv2d_rgb(rgb) == ""
    assert "recorres siempre 3 canales" in grading.probe_conv2d_rgb(rgb3)
    assert "media" in grading.probe_conv2d_rgb(lambda x, u: rgb(x, u) / x.shape[0])
    assert grading.probe_conv2d_multi(lambda x, f: np.stack([rgb(x, k) for k in f])) == ""
    maps_last = grading.probe_conv2d_multi(lambda x, f: np.stack([rgb(x, k) for k in f], -1))
    assert "primer eje" in maps_last


# --------------------------------------------------------------------------------------
# Statements and the notebook's text
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grade_id, words",
    [
        (
            "conv2d_rgb",
            [
                "cualquier número de canales",
                "x.shape[0]",
                "`np.ndarray` nuevo de tipo `float`",
                "no modifiques `x` ni `u`",
                "**canal a canal**",
                "no le pases el volumen entero",
                "scipy.signal",
                "np.convolve",
                "aunque la hayas escrito tú",
            ],
        ),
        (
            "conv2d_multi",
            [
                "`np.ndarray` nuevo de tipo `float`",
                "sin modificar `x` ni `filters`",
                "solo con matrices 2D",
                "no le pases el volumen ni el banco de filtros",
                "Si tu `conv2d_rgb` incumple una regla",
            ],
        ),
        (
            "filter_bank_params",
            [
                "pesos **y** sesgos",
                "un sesgo por",
                "`filter_bank_params(*filters.shape)`",
                "Devuelve un `int`",
                "no un `float`",
                "es una regla",
            ],
        ),
        (
            "rgb_to_gray",
            [
                "`np.ndarray` nuevo de tipo `float`",
                "(incluso con el volumen entero)",
                "no modifiques `x`",
            ],
        ),
    ],
)
def test_statements_say_every_rule(grade_id, words):
    text = statement_of(load(NAME), grade_id)
    missing = [w for w in words if w not in text]
    assert not missing, f"{grade_id}: the statement does not say {missing}"


def test_the_library_demo_says_the_exercises_allow_only_channel_by_channel_calls():
    nb = load(NAME)
    demo = next(c.source for c in nb.cells if "acepta directamente el volumen" in c.source)
    assert "solo puedes llamarla canal a canal" in demo


# --------------------------------------------------------------------------------------
# Issue 18: the parameters of D filters (point 12), Spanish stubs and terms (16, 17)
# --------------------------------------------------------------------------------------
def test_bank_params_formula_and_the_notebooks_numbers():
    """D · (C · h · w + 1), and every count the notebook writes, computed."""
    assert grading.ref_bank_params(10, 3, 3, 3) == 280 == 10 * 28
    assert grading.ref_bank_params(4, 3, 3, 3) == 112 == np.zeros((4, 3, 3, 3)).size + 4
    assert grading.ref_bank_params(64, 64, 3, 3) == 36_928
    assert grading.ref_bank_params(64, 3, 3, 3) == 1_792
    assert 3 * 100 * 100 * 10 + 10 == 300_010  # the dense layer the statement compares
    for D, C in ((1, 3), (64, 192), (7, 5)):  # a 1 x 1 convolution: D · (C + 1)
        assert grading.ref_bank_params(D, C, 1, 1) == D * (C + 1)
    nb = load(NAME)
    statement = statement_of(nb, "filter_bank_params")
    assert r"D \cdot (C \cdot h \cdot w + 1)" in statement
    assert "10 \\cdot 28 = 280" in statement and "300\\,010" in statement
    test = nb.cells[index_of(nb, "filter_bank_params") + 1].source
    assert "(10, 3, 3, 3, 280)" in test  # the visible-test line of the example
    summary = nb.cells[-1].source
    assert r"D \cdot (C \cdot h \cdot w + 1)" in summary and "280" in summary


def test_the_count_matches_the_library_layer():
    """The same count as cnncourse's Conv2D layer (weights and one bias per filter)."""
    from cnncourse.layers import Conv2D

    for D, C, k in ((10, 3, 3), (4, 3, 3), (64, 64, 3), (2, 5, 1)):
        layer = Conv2D(C, D, k)
        assert layer.count_params() == grading.ref_bank_params(D, C, k, k)


def test_points_and_exercises():
    nb = load(NAME)
    points = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert points == {
        "test_conv2d_rgb": 3,
        "test_conv2d_multi": 2,
        "test_filter_bank_params": 1,
        "test_rgb_to_gray": 2,
    }
    statements = [c.source for c in nb.cells if "✏️ **Ejercicio" in c.source]
    numbers = [s.split("✏️ **Ejercicio ")[1].split(" ")[0] for s in statements]
    assert numbers == ["1", "2", "3", "4"]


ENGLISH = re.compile(r"\b(the|of|with|from|and|filters|output|maps|image|grayscale)\b")


def test_stub_docstrings_and_terms_are_spanish():
    """The docstrings a student reads (the stubs are part of the statement) are in Spanish,
    and the prose says «celda de comprobación» and «comprobaciones ocultas»."""
    nb = load(NAME)
    docstrings = [
        m.group(1)
        for c in nb.cells
        if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")
        for m in re.finditer(r'^\s+"""(.+?)"""', c.source, re.M | re.S)
    ]
    assert len(docstrings) == 5, docstrings  # the four stubs and conv3d
    code = re.compile(r"\w+[\[(][^\])]*[\])]")  # code: filters[d], conv2d_rgb(x, u)
    english = [d for d in docstrings if ENGLISH.search(code.sub("", d))]
    assert not english, f"docstrings in English: {english}"
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for term in ("celda de test", "tests ocultos", "el tema"):
        assert term not in prose, term
    assert "celda de comprobación" in nb.cells[0].source
    assert "comprobaciones ocultas" in nb.cells[0].source


def test_bank_params_rejects_an_int_that_always_compares_equal():
    class Always(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    with pytest.raises(AssertionError, match="debe devolver un entero"):
        grading.trusted().hidden_bank_params(lambda D, C, h, w: Always(0))
    with pytest.raises(AssertionError, match="debe devolver un entero"):
        grading.check_bank_params_result(Always(0), 10, 3, 3, 3)
