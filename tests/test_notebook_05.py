"""Notebook 05 (pooling P1-P4): stored clean, runnable, graded right.

* (storage, build script, solution and student forms: the generic tests in
  test_notebooks.py, which run every course notebook)
* every plausible wrong answer makes its test cell fail, and the error names the mistake
  in Spanish (asserted on a phrase of the message); correct answers written differently
  pass;
* cheating submissions score zero.
"""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pytest
from _nbutils import (
    cell_by_id,
    cheat_result,
    index_of,
    load,
    structure_problems,
    wrong_answer_problems,
)

import cnncourse

PREFIX = "nb05"
TIMEOUT = 180  # seconds for the notebook and all its probes
NAME = "05_pooling.ipynb"
EXERCISES = {  # solution grade_id: points
    "pool2d_loops": 3,
    "global_pool_loops": 2,
    "maxpool_backward": 3,
}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# --------------------------------------------------------------------------------------
# Static checks
# --------------------------------------------------------------------------------------


def test_nbgrader_structure():
    assert not structure_problems(NAME, PREFIX, EXERCISES)


def test_concepts_tagged():
    nb = load(NAME)
    tags = {t for c in nb.cells for t in c.metadata.get("concepts", [])}
    assert {"P1", "P2", "P3", "P4"} <= tags
    for grade_id in EXERCISES:
        assert cell_by_id(nb, grade_id).metadata.get("concepts"), f"{grade_id} has no concepts"


def test_quotes_the_lecture():
    text = "\n".join(c.source for c in load(NAME).cells if c.cell_type == "markdown")
    text = " ".join(text.replace("> ", " ").split())  # the quotes wrap over several lines
    for sentence in (
        "además de convoluciones, existe otro tipo de operación, el **pooling**",
        "reducir el volumen de entrada agrupando valores y conservando la estructura global",
        "no tiene parámetros**. En este caso no hay filtros, hay una ventana",
        "Max pooling: Máximo de los valores.",
        "Ejemplo con ventana de tamaño 2 y stride de 2 (valores más típicos)",
        "se ha de seleccionar solo una de ellas",
        "transformar el volumen de la entrada en un vector de longitud igual a la profundidad",
        "Resume cada matriz de la entrada en un solo número.",
        "No existe el tamaño de ventana ni stride.",
        r"\left(\frac{W+2p-w}{s}+1\right) \times \left(\frac{H+2p-h}{s}+1\right)",
    ):
        assert sentence in text, sentence


def _first(nb, needle: str) -> int:
    """Index of the first cell whose source contains ``needle``."""
    return next(k for k, c in enumerate(nb.cells) if needle in c.source)


def test_padding_and_rounding_come_after_the_basic_example():
    """Issue 18: the -inf padding, count_include_pad and ceil_mode after the 4 x 4 example
    of section 3, before exercise 1 (which needs them)."""
    nb = load(NAME)
    basic = _first(nb, "x_small = np.array(")
    padding = _first(nb, "count_include_pad")
    ceil = _first(nb, "ceil_mode=True")
    assert basic < padding < ceil < index_of(nb, "pool2d_loops"), (basic, padding, ceil)
    assert _first(nb, "negative = -np.array(") > basic
    text = nb.cells[ceil].source
    for phrase in ("Caffe", "torchvision", "GoogLeNet", "112 \\times 112", "56 \\times 56"):
        assert phrase in text, phrase


def test_rounding_up_figures():
    """The sizes the notebook states: GoogLeNet's four 3 x 3 / 2 max pools give the paper's
    56, 28, 14, 7 rounding up without padding or down with padding 1 (down without: 55...),
    and padding with -inf at the end reproduces PyTorch's ceil_mode=True."""
    for n, paper in ((112, 56), (56, 28), (28, 14), (14, 7)):
        assert math.ceil((n - 3) / 2) + 1 == paper
        assert (n + 2 - 3) // 2 + 1 == paper
        assert (n - 3) // 2 + 1 == paper - 1
    torch = pytest.importorskip("torch")
    x5 = np.arange(25.0).reshape(5, 5)
    outside = np.pad(x5, ((0, 1), (0, 1)), constant_values=-np.inf)
    up = torch.nn.functional.max_pool2d(torch.tensor(x5)[None, None], 2, ceil_mode=True)
    np.testing.assert_array_equal(cnncourse.pool2d(outside, 2), up[0, 0].numpy())
    for n in (112, 56, 28, 14):
        t = torch.zeros(1, 1, n, n)
        assert torch.nn.functional.max_pool2d(t, 3, 2, ceil_mode=True).shape[-1] == (
            math.ceil((n - 3) / 2) + 1
        )


def test_lenet_demo_uses_relu_and_max_pooling_and_says_why():
    """Issue 18 (point 15): the LeNet-5 demo uses the lecture's ReLU and max pooling; the
    text says why notebook 6's LeNet-5 uses average pooling, and that AlexNet popularised
    max pooling (used before by Jarrett et al. 2009 and Cireşan et al. 2011)."""
    nb = load(NAME)
    code = nb.cells[_first(nb, "lenet = [")].source
    assert "np.maximum(" in code and "np.tanh" not in code and 'mode="max"' in code
    text = " ".join(nb.cells[_first(nb, "Una nota histórica")].source.split())
    for phrase in ("Jarrett et al., 2009", "Cireşan et al., 2011", "lo popularizó", "ReLU"):
        assert phrase in text, phrase
    assert "*average pooling*, más cercano al S2 original" in text


def test_terms_of_issue_18():
    """«posición t» for the window's place («paso» nowhere), «celda de comprobación»,
    «comprobaciones ocultas», «la pasada hacia atrás», no «el padding gana»."""
    nb = load(NAME)
    sources = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"\bpasos?\b", sources, re.I), "«paso» has two meanings: not used"
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    prose = " ".join(re.sub(r"`[^`]*`", "", prose).split())  # identifiers aside
    for banned in ("celda de test", "tests ocultos", "backward", "nunca gana", "equivariancia"):
        assert banned not in prose, banned
    for term in ("celda de comprobación", "comprobaciones ocultas", "posición $t$"):
        assert term in prose, term


@pytest.mark.parametrize("grade_id", sorted(EXERCISES))
def test_stub_docstrings_are_spanish(grade_id):
    """Issue 18 (point 16): the docstring a student sees in each stub is in Spanish."""
    source = cell_by_id(load(NAME), grade_id).source
    doc = source.split('"""')[1]
    assert not re.search(r"\b(of|with|the|default|one|number|Gradient)\b", doc), doc
    assert re.search(r"\b(de|con|un|respecto)\b", doc), doc


# --------------------------------------------------------------------------------------
# Solution and student forms, executed
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Plausible wrong answers: each replaces a solution; its test cell must fail and name it
# --------------------------------------------------------------------------------------
_POOL_HEAD = """
    def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
        k = kernel_size
        s = k if stride is None else stride
        p = padding
        H, W = x.shape
        fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
        xp = np.full((H + 2 * p, W + 2 * p), fill)
        xp[p:p + H, p:p + W] = x
    """


def _pool(body: str, head: str = _POOL_HEAD) -> str:
    """A pool2d_loops made of the solution's first lines and ``body`` (its loop)."""
    return _src(head) + "\n" + textwrap.indent(_src(body), "    ")


_POOL_LOOP = """
    Ho = (H + 2 * p - k) // s + 1
    Wo = (W + 2 * p - k) // s + 1
    o = np.zeros((Ho, Wo))
    for j in range(Ho):
        for i in range(Wo):
            window = xp[j * s:j * s + k, i * s:i * s + k]
            o[j, i] = {"max": np.max, "min": np.min, "avg": np.sum}[mode](window)
            if mode == "avg":
                o[j, i] /= k * k
    return o
    """

_BACKWARD_HEAD = """
    def maxpool_backward(dout, x, kernel_size=2, stride=None):
        k = kernel_size
        s = k if stride is None else stride
        dx = np.zeros(x.shape)
        Ho, Wo = dout.shape
        for j in range(Ho):
            for i in range(Wo):
                window = x[j * s:j * s + k, i * s:i * s + k]
    """


def _backward(body: str) -> str:
    """A maxpool_backward made of the loops over the windows and ``body`` (inside them)."""
    return _src(_BACKWARD_HEAD) + "\n" + textwrap.indent(_src(body), " " * 12) + "\n    return dx"


# {solution grade_id: {variant: (source, phrase the failing test's message must contain)}}
WRONG = {
    "pool2d_loops": {
        "avg_over_the_valid_part": (
            """
            def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
                k, p = kernel_size, padding
                s = k if stride is None else stride
                H, W = x.shape
                o = np.zeros(((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1))
                for j in range(o.shape[0]):
                    for i in range(o.shape[1]):
                        r, c = j * s - p, i * s - p          # the window in x's coordinates
                        window = x[max(r, 0):r + k, max(c, 0):c + k]   # the real cells only
                        o[j, i] = {"max": np.max, "min": np.min, "avg": np.mean}[mode](window)
                return o
            """,
            "solo sobre la parte válida",
        ),
        "stride_ignored": (
            _pool(_POOL_LOOP).replace("s = k if stride is None else stride", "s = 1"),
            "tu ventana avanza de 1 en 1",
        ),
        "padding_wins": (
            _pool(
                _POOL_LOOP,
                head="""
                def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
                    k = kernel_size
                    s = k if stride is None else stride
                    p = padding
                    H, W = x.shape
                    xp = np.pad(x, p)                     # zeros, whatever the operation
                """,
            ),
            "Sale un valor del padding",
        ),
        "off_by_one": (
            _pool(_POOL_LOOP.replace("- k) // s + 1", "- k) // s")),
            "error por uno",
        ),
        "max_and_min_swapped": (
            _pool(
                _POOL_LOOP.replace('{"max": np.max, "min": np.min', '{"max": np.min, "min": np.max')
            ),
            "Has intercambiado el máximo y el mínimo",
        ),
        "windows_not_strided": (
            _pool(
                _POOL_LOOP.replace("xp[j * s:j * s + k, i * s:i * s + k]", "xp[j:j + k, i:i + k]")
            ),
            "avanzan de 1 en 1 aunque la forma es la correcta",
        ),
        "avg_divided_by_k": (
            _pool(_POOL_LOOP.replace("/= k * k", "/= k")),
            "Has dividido entre k",
        ),
        "library": (
            """
            def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
                return cnncourse.pool2d(x, kernel_size, stride, padding, mode)
            """,
            "tienes que escribir el pooling tú mismo",
        ),
    },
    "global_pool_loops": {
        "wrong_axis": (
            """
            def global_pool_loops(x, mode="avg"):
                return {"avg": np.mean, "max": np.max, "min": np.min}[mode](x, axis=(0, 1))
            """,
            "eje equivocado",
        ),
        "pooled_over_the_depth": (
            """
            def global_pool_loops(x, mode="avg"):
                return {"avg": np.mean, "max": np.max, "min": np.min}[mode](x, axis=0)
            """,
            "a lo largo de la profundidad",
        ),
        "one_number_for_the_volume": (
            """
            def global_pool_loops(x, mode="avg"):
                return np.array([{"avg": np.mean, "max": np.max, "min": np.min}[mode](x)])
            """,
            "un solo número para todo el volumen",
        ),
        "scalar_for_the_volume": (
            """
            def global_pool_loops(x, mode="avg"):
                return {"avg": np.mean, "max": np.max, "min": np.min}[mode](x)
            """,
            "un solo número para todo el volumen",
        ),
        "keepdims": (
            """
            def global_pool_loops(x, mode="avg"):
                op = {"avg": np.mean, "max": np.max, "min": np.min}[mode]
                return op(x, axis=(1, 2), keepdims=True)
            """,
            "keepdims",
        ),
        "library": (
            """
            def global_pool_loops(x, mode="avg"):
                return cnncourse.global_pool(x, mode)
            """,
            "tienes que escribir el global pooling tú mismo",
        ),
    },
    "maxpool_backward": {
        "gradient_to_every_input": (
            _backward("dx[j * s:j * s + k, i * s:i * s + k] += dout[j, i]"),
            "a todas las entradas de la ventana",
        ),
        "avg_pool_backward": (
            _backward("dx[j * s:j * s + k, i * s:i * s + k] += dout[j, i] / (k * k)"),
            "pasada hacia atrás del average pooling",
        ),
        "last_argmax_on_ties": (
            _backward(
                """
                best, where = -np.inf, (0, 0)
                for n in range(k):
                    for m in range(k):
                        if window[n, m] >= best:
                            best, where = window[n, m], (n, m)
                dx[j * s + where[0], i * s + where[1]] += dout[j, i]
                """
            ),
            "Empate",
        ),
        "overwrite_overlaps": (
            _backward(
                """
                n, m = np.unravel_index(np.argmax(window), window.shape)
                dx[j * s + n, i * s + m] = dout[j, i]
                """
            ),
            "sus gradientes se suman",
        ),
        "library": (
            """
            def maxpool_backward(dout, x, kernel_size=2, stride=None):
                return cnncourse.pool2d_backward(dout, x, kernel_size, stride)
            """,
            "tienes que escribir el gradiente del max pooling tú mismo",
        ),
    },
}

# Correct answers written differently: their test cells must pass.
RIGHT = {
    "pool2d_loops": """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            s = stride or kernel_size
            fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
            xp = np.pad(x, padding, constant_values=fill)
            windows = np.lib.stride_tricks.sliding_window_view(xp, (kernel_size, kernel_size))
            reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
            return reduce(windows[::s, ::s], axis=(2, 3))
        """,
    "global_pool_loops": """
        def global_pool_loops(x, mode="avg"):
            pool = {"avg": np.mean, "max": np.max, "min": np.min}[mode]   # a local named 'pool'
            return pool(x.reshape(x.shape[0], -1), axis=1)
        """,
    "maxpool_backward": """
        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            stride = stride or kernel_size
            dx = np.zeros_like(x, dtype=float)
            for (j, i), g in np.ndenumerate(dout):
                best = None
                for n in range(kernel_size):
                    for m in range(kernel_size):
                        r, c = j * stride + n, i * stride + m
                        if best is None or x[r, c] > x[best]:
                            best = (r, c)
                dx[best] += g
            return dx
        """,
}


def test_wrong_answers_fail_and_name_the_mistake():
    """One kernel: run the notebook, then each wrong answer followed by its test cell."""
    assert set(WRONG) == set(EXERCISES), "every exercise has its wrong answers"
    problems = wrong_answer_problems(NAME, WRONG, RIGHT, timeout=TIMEOUT)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------
# Cheating submissions: fresh kernel each, the hidden tests must not be fooled
# --------------------------------------------------------------------------------------
CHEATS = {
    "rebind_testing_and_return_zeros": (
        "pool2d_loops",
        """
        np.testing.assert_allclose = lambda *a, **k: None

        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            s = kernel_size if stride is None else stride
            H, W = x.shape
            return np.zeros(((H + 2 * padding - kernel_size) // s + 1,
                             (W + 2 * padding - kernel_size) // s + 1))
        """,
    ),
    "library_replaced_by_a_wrong_answer": (
        "pool2d_loops",
        """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            k, p = kernel_size, padding
            s = k if stride is None else stride
            H, W = x.shape
            o = np.zeros(((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1))
            for j in range(o.shape[0]):
                for i in range(o.shape[1]):
                    r, c = j * s - p, i * s - p
                    window = x[max(r, 0):r + k, max(c, 0):c + k]
                    o[j, i] = {"max": np.max, "min": np.min, "avg": np.mean}[mode](window)
            return o

        cnncourse.pool2d = pool2d_loops        # the visible test compares with cnncourse.pool2d
        """,
    ),
    "patch_grading_module": (
        "maxpool_backward",
        """
        import cnncourse._grading as g
        g.hidden_maxpool_backward = lambda *a, **k: None
        g.close_lists = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None

        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            s = kernel_size if stride is None else stride
            dx = np.zeros(x.shape)
            for j in range(dout.shape[0]):
                for i in range(dout.shape[1]):
                    dx[j * s:j * s + kernel_size, i * s:i * s + kernel_size] += dout[j, i]
            return dx
        """,
    ),
}


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_cheating_submission_scores_zero(cheat):
    grade_id, source = CHEATS[cheat]
    errs, score = cheat_result(NAME, grade_id, source)
    assert errs, f"cheat {cheat!r} passed the test cell of {grade_id}"
    assert score == 0
