"""Notebook 05 (pooling P1-P4): stored clean, runnable, graded right.

* (storage, build script, solution and student forms: the generic tests in
  test_notebooks.py, which run every course notebook)
* every plausible wrong answer makes its test cell fail, and the error names the mistake
  in Spanish (asserted on a phrase of the message); correct answers written differently
  pass;
* cheating submissions score zero.
"""

from __future__ import annotations

import textwrap

import pytest
from _nbutils import (
    cell_by_id,
    cheat_result,
    load,
    structure_problems,
    wrong_answer_problems,
)

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
            "El padding gana",
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
            "backward del average pooling",
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
