"""Notebook 04: feedback a student can act on (issue 17).

* every rule the hidden checks enforce is caught by the VISIBLE test (run as a student
  runs it, without its hidden block), which names the rule, and the same answer still
  loses its points with the hidden checks;
* the hints follow from the values received (the output size computed without the frame,
  the window origin not multiplied by the stride, a layer size off in output_shapes...);
* a blank exercise says «sin hacer»; a broken conv_output_size is named as the cause when
  output_shapes or conv2d_pad_stride fails because of it;
* right answers written in other ways still pass.

Two kernels: one for ``wrong_answer_problems`` (visible tests), one for the hidden checks
and the cascades (a custom sequence that restores every solution after each probe).
"""

from __future__ import annotations

import re
import textwrap

import nbformat
import pytest
from _nbutils import (
    cell_by_id,
    errors,
    execute,
    index_of,
    load,
    merged_variants,
    statement_of,
    visible_part,
    wrong_answer_problems,
)

NAME = "04_hyperparameters.ipynb"
TIMEOUT = 240
RULE = "regla del enunciado"
EXERCISES = ("conv_output_size", "output_shapes", "conv2d_pad_stride", "conv_layer_params")


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _pad_stride(
    signature="x, u, padding=0, stride=1", zeros="np.zeros((Ho, Wo))", last="return o"
) -> str:
    """The notebook's solution of conv2d_pad_stride with one piece changed."""
    return f"""
        def conv2d_pad_stride({signature}):
            xp = np.pad(x, padding)
            h, w = u.shape
            s = stride
            Ho = conv_output_size(x.shape[0], h, padding, stride)
            Wo = conv_output_size(x.shape[1], w, padding, stride)
            o = {zeros}
            for j in range(Ho):
                for i in range(Wo):
                    o[j, i] = np.sum(xp[s * j : s * j + h, s * i : s * i + w] * u)
            {last}
        """


# --------------------------------------------------------------------------------------
# Answers right in their values that break one rule of the statement each
# {grade_id: {variant: (source, phrase the visible test's message must contain)}}
# --------------------------------------------------------------------------------------
RULE_BREAKS = {
    "conv_output_size": {
        "library_output_size": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                return cnncourse.output_size(n, k, padding, stride)
            """,
            "no con una función de la biblioteca",
        ),
        "reference_output_size_alias": (
            """
            _size = cnncourse.reference.output_size

            def conv_output_size(n, k, padding=0, stride=1):
                return _size(n, k, padding, stride)
            """,
            "llama a cnncourse.reference.output_size",
        ),
        "geometry": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                return Geometry((n,), (k,), padding=padding, stride=stride).output_shape[0]
            """,
            "Geometry",
        ),
        "python_float": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return float((n + 2 * padding - k) // stride + 1)
            """,
            "Devuelves un float",
        ),
        "numpy_floor": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return np.floor((n + 2 * padding - k) / stride) + 1
            """,
            "Devuelves un float",
        ),
        "renamed_arguments": (
            """
            def conv_output_size(n, k, p=0, s=1):
                if n + 2 * p < k:
                    raise ValueError("no cabe")
                return (n + 2 * p - k) // s + 1
            """,
            "uno llamado padding",
        ),
        "no_defaults": (
            """
            def conv_output_size(n, k, padding, stride):
                if n + 2 * padding < k:
                    raise ValueError("no cabe")
                return (n + 2 * padding - k) // stride + 1
            """,
            "necesita un valor por defecto",
        ),
        "other_exception": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding < k:
                    raise IndexError("no cabe")
                return (n + 2 * padding - k) // stride + 1
            """,
            "debe lanzar ValueError",
        ),
        "assert_instead_of_raise": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                assert n + 2 * padding >= k, "no cabe"
                return (n + 2 * padding - k) // stride + 1
            """,
            "debe lanzar ValueError",
        ),
    },
    "output_shapes": {
        "library_output_size": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = cnncourse.output_size(H, k, p, s)
                    W = cnncourse.output_size(W, k, p, s)
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "no con una función de la biblioteca",
        ),
        "modifies_layers": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k = layer.pop("kernel_size")
                    H = conv_output_size(H, k, layer["padding"], layer["stride"])
                    W = conv_output_size(W, k, layer["padding"], layer["stride"])
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "ha modificado la lista de capas",
        ),
        "float_sizes": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = np.floor((H + 2 * p - k) / s) + 1
                    W = np.floor((W + 2 * p - k) / s) + 1
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "deben ser enteros",
        ),
        "tuple_of_shapes": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append((layer["filters"], H, W))
                return tuple(shapes)
            """,
            "debe devolver una lista (list)",
        ),
        "none_without_layers": (
            """
            def output_shapes(input_shape, layers):
                if not layers:
                    return None
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = conv_output_size(H, k, p, s)
                    W = conv_output_size(W, k, p, s)
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "debe devolver la lista vacía",
        ),
    },
    "conv2d_pad_stride": {
        "cnncourse_conv2d": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                return cnncourse.conv2d(x, u, padding=padding, stride=stride)
            """,
            "hay que escribir la operación",
        ),
        "reference_alias": (
            """
            _ref = cnncourse.reference.conv2d

            def conv2d_pad_stride(x, u, padding=0, stride=1):
                return _ref(x, u, padding, stride)
            """,
            "llama a cnncourse.reference.conv2d",
        ),
        "scipy_on_padded": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                import scipy.signal
                full = scipy.signal.correlate2d(np.pad(x, padding), u, mode="valid")
                return full[::stride, ::stride]
            """,
            "correlate2d",
        ),
        "helper_calls_library": (
            """
            def _correlate(a, b):
                return cnncourse.functional.conv2d(a, b)

            def conv2d_pad_stride(x, u, padding=0, stride=1):
                return _correlate(np.pad(x, padding), u)[::stride, ::stride]
            """,
            "llama a cnncourse",
        ),
        "clears_the_input": (
            _pad_stride(last='x[:] = 0.0  # "free" the input\n            return o'),
            "ha modificado su argumento número 1",
        ),
        "returns_a_list": (
            _pad_stride(last="return o.tolist()"),
            "debe devolver un numpy.ndarray",
        ),
        "int_dtype": (
            _pad_stride(zeros="np.zeros((Ho, Wo), dtype=int)"),
            "de tipo float",
        ),
        "stride_before_padding": (
            _pad_stride(signature="x, u, stride=1, padding=0"),
            "padding antes que stride",
        ),
        "no_defaults": (
            _pad_stride(signature="x, u, padding, stride"),
            "necesitan valores por defecto",
        ),
    },
    "conv_layer_params": {
        "python_float": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return float(out_channels * (in_channels * h * w + 1))
            """,
            "debe devolver un número entero (int)",
        ),
        "true_division_somewhere": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                h, w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                return out_channels * (in_channels * h * w + 1) / 1
            """,
            "debe devolver un número entero (int)",
        ),
    },
}

# Mistakes whose visible hint is new or was corrected: {grade_id: {variant: (source, phrase)}}
HINTS = {
    "conv_output_size": {
        "raises_when_the_window_fits_exactly": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                if n + 2 * padding <= k:
                    raise ValueError("no cabe")
                return (n + 2 * padding - k) // stride + 1
            """,
            "pero la ventana cabe",
        ),
        "blank": (
            """
            def conv_output_size(n, k, padding=0, stride=1):
                # ESCRIBE AQUÍ TU CÓDIGO
                raise NotImplementedError()
            """,
            "sin hacer",
        ),
    },
    "output_shapes": {
        "inline_size_without_plus_one": (
            """
            def output_shapes(input_shape, layers):
                C, H, W = input_shape
                shapes = []
                for layer in layers:
                    k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
                    H = (H + 2 * p - k) // s
                    W = (W + 2 * p - k) // s
                    shapes.append((layer["filters"], H, W))
                return shapes
            """,
            "Capa 1: Ho = 19 en vez de 20",
        ),
        "blank": (
            """
            def output_shapes(input_shape, layers):
                # ESCRIBE AQUÍ TU CÓDIGO
                raise NotImplementedError()
            """,
            "sin hacer",
        ),
    },
    "conv2d_pad_stride": {
        # the frame is added, but Ho and Wo come from the unpadded size (issue's example)
        "size_from_the_unpadded_input": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                xp = np.pad(x, padding)
                h, w = u.shape
                Ho = conv_output_size(x.shape[0], h, stride=stride)
                Wo = conv_output_size(x.shape[1], w, stride=stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = xp[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "Ho usa H + 2p",
        ),
        "no_frame_at_all": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                h, w = u.shape
                Ho = conv_output_size(x.shape[0], h, stride=stride)
                Wo = conv_output_size(x.shape[1], w, stride=stride)
                o = np.zeros((Ho, Wo))
                for j in range(Ho):
                    for i in range(Wo):
                        window = x[stride * j : stride * j + h, stride * i : stride * i + w]
                        o[j, i] = np.sum(window * u)
                return o
            """,
            "también en los valores. Añade el marco",
        ),
        # the window origin not multiplied by the stride (issue's example)
        "origin_not_strided": (
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
                                o[j, i] += xp[j + n, i + m] * u[n, m]
                return o
            """,
            "la ventana no salta",
        ),
        "blank": (
            """
            def conv2d_pad_stride(x, u, padding=0, stride=1):
                # ESCRIBE AQUÍ TU CÓDIGO
                raise NotImplementedError()
            """,
            "sin hacer",
        ),
    },
    "conv_layer_params": {
        "kernel_side_not_squared": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                if isinstance(kernel_size, tuple):
                    return out_channels * (in_channels * kernel_size[0] * kernel_size[1] + 1)
                return out_channels * (in_channels * kernel_size + 1)
            """,
            "C × k² = 3 × 11² pesos",
        ),
        "blank": (
            """
            def conv_layer_params(in_channels, out_channels, kernel_size):
                # ESCRIBE AQUÍ TU CÓDIGO
                raise NotImplementedError()
            """,
            "sin hacer",
        ),
    },
}

# Right answers written in other ways: their visible and hidden tests must pass.
RIGHT = {
    "conv_output_size": """
        def conv_output_size(n, k, padding=0, stride=1):
            span = n + 2 * padding - k
            if span < 0:
                raise ValueError(f"La ventana de {k} no cabe en {n} + 2·{padding}.")
            return np.int64(span // stride + 1)      # NumPy's int64 is an int too
        """,
    "output_shapes": """
        def output_shapes(input_shape, layers):
            _, H, W = input_shape
            out = []
            for layer in layers:
                d, k, p, s = (layer[key] for key in ("filters", "kernel_size", "padding", "stride"))
                H, W = (conv_output_size(n, k, padding=p, stride=s) for n in (H, W))
                out.append((d, H, W))
            return out
        """,
    "conv2d_pad_stride": """
        def conv2d_pad_stride(x, u, padding=0, stride=1):
            # notebook 2's conv2d_loops (given above) on the framed input, one row/column in s
            return conv2d_loops(np.pad(x, padding), u)[::stride, ::stride]
        """,
    "conv_layer_params": """
        import math

        def conv_layer_params(in_channels, out_channels, kernel_size):
            kernel = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * 2
            return out_channels * (in_channels * math.prod(kernel) + 1)
        """,
}


def test_rule_breaks_and_hints_fail_the_visible_tests():
    """One kernel: each answer, then its test cell WITHOUT the hidden block (as a student
    runs it): the rule or the mistake is named; the right answers pass."""
    assert set(RULE_BREAKS) == set(HINTS) == set(RIGHT) == set(EXERCISES)
    wrong = merged_variants(RULE_BREAKS, HINTS)
    problems = wrong_answer_problems(NAME, wrong, RIGHT, timeout=TIMEOUT, visible_only=True)
    assert not problems, "\n".join(problems)


def test_rule_messages_say_they_are_rules():
    """The phrases above are the rule's own words; every rule message also says it is a
    rule of the statement (checked on the messages of the hidden-check kernel's run)."""
    out = _hidden_and_cascades()
    missing = [
        f"{gid}/{variant}: {text[:160]}"
        for (kind, gid, variant), (_, text) in out.items()
        if kind == "visible" and RULE not in text
    ]
    assert not missing, "\n".join(missing)


# --------------------------------------------------------------------------------------
# Hidden checks and cascades: one kernel, every solution restored after each probe
# --------------------------------------------------------------------------------------
def _hidden_block(test_source: str) -> str:
    m = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", test_source, flags=re.S)
    return textwrap.dedent(m.group(1))


# A wrong conv_output_size (no + 1), then a later exercise's RIGHT answer: its visible test
# must name conv_output_size as the cause. {label: (setup source, grade_id of the test)}
WRONG_SIZE = """
    def conv_output_size(n, k, padding=0, stride=1):
        if n + 2 * padding < k:
            raise ValueError("no cabe")
        return (n + 2 * padding - k) // stride
    """
LIBRARY_SIZE = """
    def conv_output_size(n, k, padding=0, stride=1):
        return cnncourse.output_size(n, k, padding=padding, stride=stride)
    """
CASCADES = {
    "output_shapes_after_wrong_size": (WRONG_SIZE, "output_shapes", "Falta el + 1"),
    "pad_stride_after_wrong_size": (WRONG_SIZE, "conv2d_pad_stride", "Falta el + 1"),
    "output_shapes_after_library_size": (LIBRARY_SIZE, "output_shapes", "biblioteca"),
}

_CACHE: dict = {}


def _hidden_and_cascades():
    """{(kind, grade_id, variant): (failed, message)} from a single kernel run.

    kind "hidden": the rule-breaking answer, then only the hidden block of its test cell;
    kind "visible": the same answer, then its visible part (for the rule note);
    kind "cascade": a wrong conv_output_size with the right later answer, then its
    visible test; kind "right": a right answer written differently, then the hidden block.
    """
    if _CACHE:
        return _CACHE
    nb = load(NAME)
    base = len(nb.cells)
    solutions = [cell_by_id(nb, gid).source for gid in EXERCISES]
    tests = {gid: nb.cells[index_of(nb, gid) + 1].source for gid in EXERCISES}
    probes = []

    def add(key, setup, test):
        nb.cells.extend(nbformat.v4.new_code_cell(_src(s)) for s in setup)
        nb.cells.append(nbformat.v4.new_code_cell(test))
        probes.append((len(nb.cells) - 1, key))
        nb.cells.extend(nbformat.v4.new_code_cell(s) for s in solutions)  # restore all

    for gid, variants in RULE_BREAKS.items():
        for variant, (source, _) in variants.items():
            add(("hidden", gid, variant), [source], _hidden_block(tests[gid]))
            add(("visible", gid, variant), [source], visible_part(tests[gid]))
    for label, (setup, gid, _) in CASCADES.items():
        add(("cascade", gid, label), [setup], visible_part(tests[gid]))
    for gid, source in RIGHT.items():
        add(("right", gid, "right"), [source], _hidden_block(tests[gid]))
    for k, cell in enumerate(nb.cells[base:]):
        cell.id = f"fb04-{k}"
    done = execute(nb, timeout=TIMEOUT)
    base_errors = [c.id for c in done.cells[:base] if errors(c)]
    assert not base_errors, f"the solution form failed in {base_errors}"
    for idx, key in probes:
        errs = errors(done.cells[idx])
        _CACHE[key] = (bool(errs), errs[0].evalue if errs else "")
    return _CACHE


@pytest.mark.parametrize(
    "grade_id, variant",
    [(gid, v) for gid, variants in RULE_BREAKS.items() for v in variants],
)
def test_rule_breaks_lose_their_points_with_the_hidden_checks(grade_id, variant):
    failed, message = _hidden_and_cascades()[("hidden", grade_id, variant)]
    assert failed, f"{grade_id}/{variant} passed the hidden checks"


@pytest.mark.parametrize("label", sorted(CASCADES))
def test_a_broken_conv_output_size_is_named_as_the_cause(label):
    _, grade_id, phrase = CASCADES[label]
    failed, message = _hidden_and_cascades()[("cascade", grade_id, label)]
    assert failed, f"{label}: the test of {grade_id} passed"
    assert message.startswith("Tu conv_output_size falla: arréglala primero"), message
    assert phrase in message, message


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_right_answers_written_differently_pass_the_hidden_checks(grade_id):
    failed, message = _hidden_and_cascades()[("right", grade_id, "right")]
    assert not failed, message


# --------------------------------------------------------------------------------------
# Statements and the notebook's text
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grade_id, words",
    [
        (
            "conv_output_size",
            ["`int`", "ValueError", "`padding`", "`stride`", "cnncourse.output_size", "Geometry"],
        ),
        ("output_shapes", ["`list`", "`tuple`", "`int`", "no modifiques `layers`", "output_size"]),
        (
            "conv2d_pad_stride",
            [
                "cnncourse.conv2d",
                "np.convolve",
                "scipy",
                "no modifiques `x` ni `u`",
                "`np.ndarray` de tipo `float`",
                "conv2d_pad_stride(x, u, p, s)",
            ],
        ),
        ("conv_layer_params", ["Devuelve un `int`", "regla"]),
    ],
)
def test_statements_say_every_rule(grade_id, words):
    text = statement_of(load(NAME), grade_id)
    missing = [w for w in words if w not in text]
    assert not missing, f"{grade_id}: the statement does not say {missing}"


def test_no_unexplained_concept_ids_and_conv2d_loops_is_given():
    nb = load(NAME)
    docstring = cell_by_id(nb, "conv_output_size").source.splitlines()[1]
    assert "(H5)" not in docstring
    loops = cell_by_id(nb, "nb04-conv2d-loops")
    assert "def conv2d_loops(x, u):" in loops.source
    assert index_of(nb, "nb04-conv2d-loops") < index_of(nb, "conv2d_pad_stride")
    statement = " ".join(statement_of(nb, "conv2d_pad_stride").split())
    assert "`conv2d_loops` (la del cuaderno 2, que tienes más arriba)" in statement
