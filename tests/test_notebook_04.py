"""Notebook 04 (hyperparameters H1-H5): stored clean, runnable, graded right.

* (storage, build script, solution and student forms: the generic tests in
  test_notebooks.py, which run every course notebook)
* every plausible wrong answer makes its test cell fail, and the error names the mistake
  in Spanish (asserted on a phrase of the message);
* cheating submissions score zero; correct answers with unusual local names still pass.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _nbutils import (
    cell_by_id,
    cheat_result,
    execute,
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


def _markdown(nb=None) -> str:
    nb = nb or load(NAME)
    return " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")


def _index(nb, needle: str, cell_type: str = "markdown") -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == cell_type and needle in c.source]
    assert len(hits) == 1, f"{needle!r} in cells {hits}"
    return hits[0]


def _size(n, k, p=0, s=1):
    return (n + 2 * p - k) // s + 1


# --------------------------------------------------------------------------------------
# Issue 18: the reviewers' corrections, with their numbers checked
# --------------------------------------------------------------------------------------
def test_alexnet_input_size_is_stated_right():
    """With the floor rule, 224 gives 54; 227-230 all give 55; 227 is the smallest giving 55
    and the only one of them whose division is exact (issue 18.2)."""
    giving_55 = [n for n in range(150, 300) if _size(n, 11, 0, 4) == 55]
    assert giving_55 == [227, 228, 229, 230]
    assert [n for n in giving_55 if (n - 11) % 4 == 0] == [227]
    assert _size(224, 11, 0, 4) == 54
    assert _size(224, 11, 2, 4) == 55  # torchvision's AlexNet: 224 with p = 2
    text = _markdown()
    assert "solo con 227 sale 55" not in text
    for phrase in (
        "con 224 salen 54",
        r"\lfloor (224 - 11)/4 \rfloor + 1 = \lfloor 53.25 \rfloor + 1 = 54",
        "todas las entradas de 227 a 230 dan 55",
        "227 es la más pequeña que da 55 y la única de ellas con la que la división es exacta",
        r"\lfloor (224 + 4 - 11)/4 \rfloor + 1 = 55",
    ):
        assert phrase in text, phrase


def test_mac_count_next_to_the_parameter_count():
    """D·Ho·Wo·C·h·w is in the prose of the parameter section, equals the library's
    Conv2D.macs and (parameters − D)·Ho·Wo, and the visible test checks it (issue 18.6)."""
    from cnncourse.layers import Conv2D

    nb = load(NAME)
    section = nb.cells[_index(nb, "## 8. Parámetros y multiplicaciones")].source
    assert r"D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w" in section
    assert r"(\text{parámetros} - D) \times H_o \times W_o" in section
    assert section.index("multiplicaciones") < section.index("✏️")  # before the exercise
    for (C, H, W), D, k, p, s, macs in [
        ((3, 227, 227), 96, 11, 0, 4, 105_415_200),  # AlexNet conv1, quoted in the prose
        ((3, 224, 224), 64, 3, 1, 1, 86_704_128),  # VGG conv1_1, printed by the test cell
        ((64, 224, 224), 64, 3, 1, 1, 1_849_688_064),
        ((3, 224, 224), 64, 7, 3, 2, 118_013_952),  # ResNet conv1
        ((16, 150, 128), 32, 3, 1, 2, 22_118_400),
    ]:
        Ho, Wo = _size(H, k, p, s), _size(W, k, p, s)
        layer = Conv2D(C, D, k, stride=s, padding=p)
        assert D * Ho * Wo * C * k * k == layer.macs((C, H, W)) == macs
        assert (layer.count_params() - D) * Ho * Wo == macs
    assert "105 415 200" in section
    test = cell_by_id(nb, "test_conv_layer_params").source
    visible = test.split("### BEGIN HIDDEN TESTS")[0]
    assert "macs == 96 * 55 * 55 * 3 * 11 * 11" in visible
    dense = nb.cells[_index(nb, "### Convolucional contra densa")].source
    assert "$h \\cdot w = 9$ veces más" in dense
    assert (64 * 224 * 224 * 27) // (3 * 224 * 224 * 64) == 9  # conv vs dense multiplications


def test_padding_cases_are_named_and_right():
    """valid (p = 0), same (p = (k − 1)/2) and full (p = k − 1, output n + k − 1), as the
    frameworks name them (issue 18.9); the 1D demo compares with np.correlate's modes."""
    import cnncourse

    rng = np.random.default_rng(4)
    for n in (5, 8, 13):
        for k in (1, 3, 5):
            assert _size(n, k, 0) == n - k + 1
            assert _size(n, k, (k - 1) // 2) == n
            assert _size(n, k, k - 1) == n + k - 1
            x, u = rng.normal(size=n), rng.normal(size=k)
            for p, mode in ((0, "valid"), ((k - 1) // 2, "same"), (k - 1, "full")):
                np.testing.assert_allclose(
                    cnncourse.conv1d(x, u, padding=p), np.correlate(x, u, mode=mode)
                )
    nb = load(NAME)
    cases = nb.cells[_index(nb, "| completo (*full*) | $p = k - 1$ | $n + k - 1$: crece |")]
    for phrase in ("(*valid*)", "(*half* o *same*)", "`padding=k - 1`", 'mode="valid"'):
        assert phrase in cases.source, phrase
    code = nb.cells[_index(nb, 'pads = {0: "valid", 1: "same", 2: "full"}', "code")].source
    assert "np.correlate(x1, u1, mode=case)" in code
    table = nb.cells[_index(nb, "## 6. El tamaño de la salida")].source
    assert "| *full padding* | 5 | 3 | 2 | 1 | 6 | 7 |" in table
    assert _size(5, 3, 2) == 7 and (5 + 2 * 2 - 3) == 6


def test_d2l_convention_is_warned_about():
    """d2l's p_h is the total padding: ⌊(n − k + p_h + s)/s⌋ with p_h = 2p is the same size
    (issue 18.8)."""
    for n in range(1, 30):
        for k in range(1, 8):
            for p in range(3):
                for s in range(1, 5):
                    if n + 2 * p >= k:
                        assert (n - k + 2 * p + s) // s == _size(n, k, p, s)
    summary = " ".join(cell_by_id(load(NAME), "nb04-md-summary").source.split())
    assert "«Padding and Stride»" in summary
    assert "su $p_h$ es el padding **total**" in summary
    assert r"\lfloor (n_h - k_h + p_h + s_h)/s_h \rfloor" in summary


def test_stride_is_salto_and_the_window_place_is_posicion_t():
    """«paso» had two meanings; now «stride (salto)» and «posición t» (issue 18.7)."""
    nb = load(NAME)
    for i, cell in enumerate(nb.cells):
        assert not re.search(r"\bpasos?\b", cell.source, flags=re.I), (i, cell.source[:200])
    text = _markdown(nb)
    assert "**stride** (salto)" in text
    assert "la **posición $t$**" in text
    codes = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert 'f"posición t = {t}"' in codes


def test_explorer_comes_right_after_the_output_size_formula():
    """The conv-arithmetic explorer follows the H5 formula and its Geometry demo, before the
    exercises (issue 18.19)."""
    nb = load(NAME)
    formula = _index(nb, "## 6. El tamaño de la salida")
    explorer = _index(nb, "conv_arithmetic_explorer(", "code")
    assert nb.cells[formula + 1].cell_type == "code"  # the Geometry cases of the table
    assert explorer == formula + 3
    assert nb.cells[explorer - 1].source.startswith("### Explora")
    assert explorer < _index(nb, "✏️ **Ejercicio 1")


def test_one_axis_geometry_speaks_of_columns():
    """The table's demo builds one-axis geometries of an image's width: «columnas», never
    «muestras» (issue 18.18)."""
    from cnncourse.arithmetic import Geometry

    nb = load(NAME)
    code = nb.cells[_index(nb, "cases = [  # (W, w, p, s), los de la tabla", "code")].source
    assert 'axis="columns"' in code
    g = Geometry((8,), (3,), stride=3, axis="columns")
    assert "columnas" in g.message_es and "muestra" not in g.message_es


def test_printed_outputs_of_the_corrections():
    """Run the solution form: the one-axis table speaks of columns; the AlexNet sweep, the
    MAC counts (checked in the notebook against Conv2D) and the valid/same/full demo print."""
    nb = load(NAME)
    done = execute(nb, timeout=TIMEOUT, allow_errors=False)

    def printed(needle):
        cell = done.cells[_index(done, needle, "code")]
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    table = printed("cases = [  # (W, w, p, s), los de la tabla")
    assert "muestra" not in table
    assert "las últimas 2 columnas no se usan (las 6 y 7 de la entrada)" in table
    assert "⌊(5 + 2·2 − 3)/1⌋ + 1 = 7" in table  # the full-padding row
    sweep = printed("def conv(filters, kernel_size, padding=0, stride=1):")
    assert "n = 224: Ho = 54  (división no exacta)" in sweep
    assert "n = 227: Ho = 55  (división exacta)" in sweep
    assert "n = 230: Ho = 55  (división no exacta)" in sweep
    assert "n = 231: Ho = 56  (división exacta)" in sweep
    params = printed('"""Comprueba conv_layer_params')
    assert "86 704 128 multiplicaciones" in params
    dense = printed("def dense_layer_params(input_shape, units):")
    assert "34 944 parámetros,   105 415 200 multiplicaciones" in dense
    assert "la convolucional hace 9 veces más multiplicaciones" in dense
    modes = printed('pads = {0: "valid", 1: "same", 2: "full"}')
    for mode in ("valid", "same", "full"):
        assert f"np.correlate(x, u, mode={mode!r})? True" in modes


ENGLISH = re.compile(r"\b(the|of|and|with|after|each|layer|weights|shape|output|length)\b", re.I)


def test_what_students_read_is_in_spanish():
    """Docstrings of every function in the notebook (the stubs are part of the statement)
    in Spanish; the terms of issue 18.17."""
    nb = load(NAME)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for doc in re.findall(r'def \w+\(.*?\):\n\s+"""(.*?)"""', cell.source, flags=re.S):
            assert not ENGLISH.search(doc), doc
    text = _markdown(nb)
    for old in ("celda de test", "tests ocultos", "*BatchNorm*", "de `float` nuevo"):
        assert old not in text, old
    assert "celda de comprobación" in nb.cells[0].source
    assert "comprobaciones ocultas" in nb.cells[0].source
    assert "normalización por lotes (BatchNorm)" in text
    assert "un `np.ndarray` nuevo de tipo `float`" in text


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
