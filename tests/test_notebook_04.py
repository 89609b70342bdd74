"""Notebook 04 (hyperparameters H1-H5): stored clean, runnable, graded right.

* (storage, build script, solution and student forms: the generic tests in
  test_notebooks.py, which run every course notebook)
* every plausible wrong answer makes its test cell fail, and the error names the mistake
  in Spanish (asserted on a phrase of the message);
* cheating submissions score zero; correct answers with unusual local names still pass.
"""

from __future__ import annotations

import pytest
from _nbutils import (
    cell_by_id,
    cheat_result,
    load,
    structure_problems,
    wrong_answer_problems,
)

PREFIX = "nb04"
TIMEOUT = 180  # seconds for the notebook and all its probes
NAME = "04_hyperparameters.ipynb"
EXERCISES = {  # solution grade_id: points
    "conv_output_size": 2,
    "output_shapes": 2,
    "conv2d_pad_stride": 3,
    "conv_layer_params": 1,
}


# --------------------------------------------------------------------------------------
# Static checks
# --------------------------------------------------------------------------------------


def test_nbgrader_structure():
    assert not structure_problems(NAME, PREFIX, EXERCISES)


def test_concepts_tagged():
    nb = load(NAME)
    tags = {t for c in nb.cells for t in c.metadata.get("concepts", [])}
    assert {"H1", "H2", "H3", "H4", "H5", "I4"} <= tags
    for grade_id in EXERCISES:
        assert cell_by_id(nb, grade_id).metadata.get("concepts"), f"{grade_id} has no concepts"


def test_quotes_the_lecture():
    text = "\n".join(c.source for c in load(NAME).cells if c.cell_type == "markdown")
    for sentence in (
        "Aunque la operación de convolución es siempre la misma",
        "suele ser mayor",
        "El grosor es un hiperparámetro",
        "¿Qué sucede si cambiamos el tamaño del stride a tres?",
        r"\left(\frac{W+2p-w}{s}+1\right) \times \left(\frac{H+2p-h}{s}+1\right)",
    ):
        assert sentence in text, sentence


# --------------------------------------------------------------------------------------
# Solution and student forms, executed
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Plausible wrong answers: each replaces a solution; its test cell must fail and name it
# --------------------------------------------------------------------------------------
# {solution grade_id: {variant: (source, phrase the failing test's message must contain)}}
WRONG = {
    "conv_output_size": {
        "no_plus_one": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return (n + 2 * padding - k) // stride
            """,
            "Falta el + 1",
        ),
        "true_division": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return (n + 2 * padding - k) / stride + 1
            """,
            "división entera //",
        ),
        "rounds_up": (
            """
            import math

            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return math.ceil((n + 2 * padding - k) / stride) + 1
            """,
            "redondeado hacia arriba",
        ),
        "rounds_to_nearest": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return round((n + 2 * padding - k) / stride) + 1
            """,
            "entero más cercano",
        ),
        "padding_once": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + padding < k:
                    raise ValueError("no cabe")
                return (n + padding - k) // stride + 1
            """,
            "padding una sola vez",
        ),
        "stride_ignored": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return n + 2 * padding - k + 1
            """,
            "dividir entre el stride",
        ),
        "plus_one_inside": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return (n + 2 * padding - k + 1) // stride
            """,
            "Falta el + 1 fuera de la división",
        ),
        "never_raises": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                return (n + 2 * padding - k) // stride + 1
            """,
            "debe lanzar ValueError",
        ),
        "raises_only_when_negative": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                size = (n + 2 * padding - k) // stride + 1
                if size < 0:
                    raise ValueError("no cabe")
                return size
            """,
            "puede dar 0",
        ),
        "library": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                return cnncourse.output_size(n, k, padding, stride)
            """,
            "no con una función de la biblioteca",
        ),
    },
    "output_shapes": {
        "height_width_swapped": (
            """
            def output_shapes(input_shape, layers):
                C, W, H = input_shape                    # the lecture's C x W x H, literally
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "intercambiado alto y ancho",
        ),
        "channels_never_updated": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append((C, H, W))
                return shapes
            """,
            "número de filtros D",
        ),
        "channels_one_layer_late": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append((C, H, W))
                    C = layer["filters"]
                return shapes
            """,
            "número de filtros D",
        ),
        "not_chained": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    shapes.append((layer["filters"], conv_output_size(H, k, p, s),
                                   conv_output_size(W, k, p, s)))
                return shapes
            """,
            "encadena los tamaños",
        ),
        "last_shape_only": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    C = layer["filters"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                return (C, H, W)
            """,
            "solo la forma de la última capa",
        ),
        "lists_not_tuples": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    C = layer["filters"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append([C, H, W])
                return shapes
            """,
            "debe ser una tupla (D, Ho, Wo)",
        ),
    },
    "conv2d_pad_stride": {
        "padding_one_side": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                H, W = x.shape
                h, w = u.shape
                xp = np.zeros((H + padding, W + padding))
                xp[padding:, padding:] = x               # the frame only above and to the left
                Ho = (xp.shape[0] - h) // stride + 1
                Wo = (xp.shape[1] - w) // stride + 1
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "solo por un lado",
        ),
        "stride_on_kernel_index": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding)
                h, w = u.shape
                Ho = conv_output_size(x.shape[0], h, padding, stride)
                Wo = conv_output_size(x.shape[1], w, padding, stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        for n in range(h):
                            for m in range(w):
                                row, col = j * stride + n * stride, i * stride + m * stride
                                o[j, i] += xp[row, col] * u[n, m]
                return o
            """,
            "nunca s·n",
        ),
        "stride_missing_from_size": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding)
                h, w = u.shape
                Ho, Wo = xp.shape[0] - h + 1, xp.shape[1] - w + 1
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "con stride hay menos posiciones",
        ),
        "stride_ignored": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding)
                h, w = u.shape
                o = np.zeros((xp.shape[0] - h + 1, xp.shape[1] - w + 1))
                for j in range(o.shape[0]):
                    for i in range(o.shape[1]):
                        o[j, i] = np.sum(xp[j:j + h, i:i + w] * u)
                return o
            """,
            "es la salida con stride 1",
        ),
        "flipped_kernel": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding)
                h, w = u.shape
                Ho = conv_output_size(x.shape[0], h, padding, stride)
                Wo = conv_output_size(x.shape[1], w, padding, stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j:stride * j + h, stride * i:stride * i + w]
                        o[j, i] = np.sum(window * u[::-1, ::-1])
                return o
            """,
            "girado el kernel 180°",
        ),
        "edge_padding": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding, mode="edge")
                h, w = u.shape
                Ho = conv_output_size(x.shape[0], h, padding, stride)
                Wo = conv_output_size(x.shape[1], w, padding, stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "zero padding",
        ),
        "x_in_a_corner": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                H, W = x.shape
                xp = np.zeros((H + 2 * padding, W + 2 * padding))
                xp[:H, :W] = x
                h, w = u.shape
                Ho = conv_output_size(H, h, padding, stride)
                Wo = conv_output_size(W, w, padding, stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "en una esquina",
        ),
        "library": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                return cnncourse.conv2d(x, u, padding=padding, stride=stride)
            """,
            "hay que escribir la operación",
        ),
    },
    "conv_layer_params": {
        "no_bias": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return out_channels * in_channels * h * w
            """,
            "Faltan los sesgos",
        ),
        "no_input_channels": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return out_channels * (h * w + 1)
            """,
            "Faltan los canales de entrada",
        ),
        "bias_per_weight": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return 2 * out_channels * in_channels * h * w
            """,
            "un sesgo por peso",
        ),
        "bias_per_input_channel": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return out_channels * in_channels * (h * w + 1)
            """,
            "un sesgo por canal de entrada",
        ),
        "square_kernels_only": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                return out_channels * (in_channels * kernel_size ** 2 + 1)
            """,
            "puede ser un int",
        ),
    },
}

# Correct answers written differently: their test cells must pass.
RIGHT = {
    "conv_output_size": """
        def conv_output_size(n, k, padding=0, stride=1):
            output_size = n + 2 * padding - k        # a local named like the library function
            if output_size < 0:
                raise ValueError(f"La ventana de {k} no cabe en {n} + 2·{padding}.")
            return int(output_size // stride) + 1
        """,
    "conv2d_pad_stride": """
        def conv2d_pad_stride(x, u, padding=0, stride=1):
            H, W = x.shape
            h, w = u.shape
            xp = np.zeros((H + 2 * padding, W + 2 * padding))
            xp[padding:padding + H, padding:padding + W] = x
            windows = np.lib.stride_tricks.sliding_window_view(xp, (h, w))[::stride, ::stride]
            return np.einsum("jinm,nm->ji", windows, u)
        """,
    "conv_layer_params": """
        def conv_layer_params(in_channels, out_channels, kernel_size):
            h, w = np.broadcast_to(kernel_size, 2)
            return int(out_channels * (in_channels * h * w + 1))
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
    "hard_coded_visible_cases": (
        "conv_output_size",
        """
        _ANSWERS = {(8, 2, 0, 1): 7, (7, 3, 2, 1): 9, (9, 3, 0, 3): 3, (8, 3, 0, 3): 2,
                    (227, 11, 0, 4): 55, (3, 5, 1, 1): 1, (6, 3, 0, 1): 4}

        def conv_output_size(n, k, padding=0, stride=1):
            if (n, k, padding, stride) in _ANSWERS:
                return _ANSWERS[(n, k, padding, stride)]
            raise ValueError("no cabe")
        """,
    ),
    "rebind_testing_and_return_zeros": (
        "conv2d_pad_stride",
        """
        np.testing.assert_allclose = lambda *a, **k: None

        def conv2d_pad_stride(x, u, padding=0, stride=1):
            return cnncourse.conv2d(np.zeros_like(x), u, padding=padding, stride=stride)
        """,
    ),
}


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_cheating_submission_scores_zero(cheat):
    grade_id, source = CHEATS[cheat]
    errs, score = cheat_result(NAME, grade_id, source)
    assert errs, f"cheat {cheat!r} passed the test cell of {grade_id}"
    assert score == 0
