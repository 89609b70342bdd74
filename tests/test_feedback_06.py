"""Notebook 06 (architectures), issue 17: feedback a student can act on.

* No rule that only the hidden tests know: every rule a hidden check enforces is said in
  the ✏️ statement, and an answer right in values that breaks it fails the *visible* test
  (run as students run it, without the hidden block), naming the rule; the hidden checks
  take its points too.
* The real error first: every visible test runs inside ``checks.exercise``, so a blank
  exercise says «sin hacer».
* Hints that follow from the values received (C5 written as (120,), ``output_shape``'s
  tuple passed to ``Dense``, a POOL too many, an input too small for LeNet-5, ...).

No exercise of this notebook uses an earlier one (the four are independent), so there is
no cascade to name here and no probe: every test cell is ``checks.exercise(..., needs=())``.
"""

from __future__ import annotations

import collections
import re
import textwrap

import numpy as np
import pytest
from _nbutils import cell_by_id, index_of, load, visible_part, wrong_answer_problems

import cnncourse._grading as grading
from autograde.demo.make_demo import solution_of
from cnncourse import architectures
from cnncourse.layers import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Inception,
    MaxPool2D,
    ReLU,
    ResidualBlock,
    Sequential,
)

NAME = "06_architectures.ipynb"
EXERCISES = ("build_pattern", "lenet5_table", "inception_out", "residual_forward")
RULE = "regla del enunciado"
HIDDEN = {
    "build_pattern": grading.hidden_build_pattern,
    "lenet5_table": grading.hidden_lenet_table,
    "inception_out": grading.hidden_inception,
    "residual_forward": grading.hidden_residual,
}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _solution(grade_id: str) -> str:
    return solution_of(cell_by_id(load(NAME), grade_id).source)


def _with(grade_id: str, *replacements: tuple[str, str]) -> str:
    """The notebook's own solution, each (old, new) replaced once (old must be there)."""
    source = _solution(grade_id)
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new, 1)
    return source


def _wrapping(grade_id: str, signature: str, body: str, imports: str = "") -> str:
    """The notebook's solution renamed ``_nb06_right``, and ``grade_id`` wrapping it."""
    right = _solution(grade_id).replace(f"def {grade_id}(", "def _nb06_right(", 1)
    return (
        f"{imports}{right}\n\n\ndef {grade_id}{signature}:\n{textwrap.indent(_src(body), '    ')}"
    )


def _blank(signature: str) -> str:
    return f"def {signature}:\n    raise NotImplementedError()"


_SIG = {
    "build_pattern": "build_pattern(in_shape, N, M, K, pool=True, channels=8, hidden=32, "
    "num_classes=10)",
    "lenet5_table": "lenet5_table(input_size=32, num_classes=10)",
    "inception_out": "inception_out(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, "
    "pool_proj)",
    "residual_forward": "residual_forward(x, main, shortcut=None)",
}
_INCEPTION_SUMS = (
    "C = in_channels\n"
    "a, r3, b, r5, e, pp = ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj\n"
    "out = a + b + e + pp\n"
    "params = a*(C+1) + r3*(C+1) + b*(r3*9+1) + r5*(C+1) + e*(r5*25+1) + pp*(C+1)\n"
)


def _inception(ret: str, imports: str = "") -> str:
    body = textwrap.indent(_INCEPTION_SUMS + ret, "    ")
    return f"{imports}def {_SIG['inception_out']}:\n{body}"


_FEATURES = "features = Sequential(*layers).output_shape(in_shape)[0]"

# Answers RIGHT IN VALUES on the old visible tests that break one rule of the statement, or
# fail a case that only the hidden checks used to try (a projection shortcut of the same
# shape, an input far too small for LeNet-5): {grade_id: {variant: (source, phrases the
# visible message must contain)}}
RULES = {
    "build_pattern": {
        "returns_the_list_of_layers": (
            _with("build_pattern", ("return Sequential(*layers)", "return layers")),
            ("Sequential", RULE),
        ),
        "default_sizes_hard_coded": (
            _with(
                "build_pattern",
                ("Conv2D(c_in, channels, 3, padding=1)", "Conv2D(c_in, 8, 3, padding=1)"),
                ("c_in = channels", "c_in = 8"),
                ("Dense(features, hidden)", "Dense(features, 32)"),
                ("features = hidden", "features = 32"),
                ("Dense(features, num_classes)", "Dense(features, 10)"),
            ),
            ("channels = 5",),
        ),
        "square_images_only": (
            _with(
                "build_pattern",
                (
                    _FEATURES,
                    "features = (channels if M * N else in_shape[0]) * "
                    "(in_shape[1] // 2 ** (M if pool else 0)) ** 2",
                ),
            ),
            ("La primera FC espera",),
        ),
        "no_group_without_conv": (
            _with("build_pattern", ("for _ in range(M):", "for _ in range(M if N else 0):")),
            ("Con N = 0 cada grupo es solo un POOL", "M = 2 grupos son 2 POOL"),
        ),
        "a_group_even_with_m_zero": (
            _with("build_pattern", ("for _ in range(M):", "for _ in range(max(M, 1)):")),
            ("Con M = 0 no hay ningún grupo",),
        ),
        "pool_is_not_the_fifth_parameter": (
            _with(
                "build_pattern",
                (
                    "def build_pattern(in_shape, N, M, K, pool=True, channels=8,",
                    "def build_pattern(in_shape, N, M, K, channels=8, pool=True,",
                ),
            ),
            ("pool es el quinto",),
        ),
    },
    "lenet5_table": {
        "asks_the_library": (
            _src(
                """
                def lenet5_table(input_size=32, num_classes=10):
                    names = {"C1": "conv1", "S2": "pool1", "C3": "conv2", "S4": "pool2",
                             "C5": "conv3", "F6": "fc1", "OUTPUT": "fc2"}
                    model = architectures.lenet5(num_classes)
                    rows = {r.name: r for r in model.profile((1, input_size, input_size))}
                    return {k: (rows[v].output_shape, rows[v].params) for k, v in names.items()}
                """
            ),
            ("no pedírselos a las capas de la biblioteca", "lenet5", RULE),
        ),
        "builds_conv2d_layers": (
            _with(
                "lenet5_table",
                ("6 * (1 * 5 * 5 + 1)", "Conv2D(1, 6, 5).count_params()"),
            ),
            ("Conv2D", "count_params", RULE),
        ),
        "shapes_as_lists": (
            _with("lenet5_table", ('"C1": ((6, n1, n1)', '"C1": ([6, n1, n1]')),
            ("La forma es una tupla de enteros", RULE),
        ),
        "float_parameters": (
            _with("lenet5_table", ("6 * (1 * 5 * 5 + 1)", "6.0 * (1 * 5 * 5 + 1)")),
            ("El número de parámetros es un entero", RULE),
        ),
        "ordered_dict": (
            _wrapping(
                "lenet5_table",
                "(input_size=32, num_classes=10)",
                "return collections.OrderedDict(_nb06_right(input_size, num_classes))",
                "import collections\n\n\n",
            ),
            ("diccionario (dict)", "OrderedDict", RULE),
        ),
        "no_value_error_when_c5_does_not_fit": (
            _with("lenet5_table", ("if n5 < 1:", "if n5 < -99:")),
            ("lenet5_table(28, 10) devuelve", "ValueError", RULE),
        ),
        "value_error_only_when_c5_gives_zero": (
            _with("lenet5_table", ("if n5 < 1:", "if n5 == 0:")),
            ("lenet5_table(20, 10) devuelve", "a C5 le llegan mapas de 2 × 2", RULE),
        ),
        "another_exception_when_c5_does_not_fit": (
            _with(
                "lenet5_table",
                ("raise ValueError(", "raise RuntimeError("),
            ),
            ("lanza RuntimeError", "ValueError", RULE),
        ),
    },
    "inception_out": {
        "builds_the_block": (
            _src(
                """
                def inception_out(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
                    b = Inception(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)
                    return (b.out_channels, b.count_params())
                """
            ),
            ("no construir el bloque", "Inception", RULE),
        ),
        "a_list": (_inception("return [out, params]"), ("tupla de dos enteros", RULE)),
        "a_named_tuple": (
            _inception(
                "return Pair(out, params)",
                "import collections\n\nPair = collections.namedtuple('Pair', 'channels params')"
                "\n\n\n",
            ),
            ("tupla con nombre", RULE),
        ),
        "floats": (
            _inception("return (out, params / 1)"),
            ("Los dos valores son enteros", "con / en vez de con //", RULE),
        ),
    },
    "residual_forward": {
        "in_place": (
            _src(
                """
                def residual_forward(x, main, shortcut=None):
                    f = main(x)
                    x += f if shortcut is None else f - x + shortcut(x)
                    return np.maximum(x, 0)
                """
            ),
            ("residual_forward ha modificado x", RULE),
        ),
        "x_added_although_a_same_shape_projection": (
            _with(
                "residual_forward",
                (
                    "skip = x if shortcut is None else shortcut(x)",
                    "f = main(x)\n"
                    "    skip = x if shortcut is None or f.shape == x.shape else shortcut(x)",
                ),
                ("np.maximum(main(x) + skip, 0)", "np.maximum(f + skip, 0)"),
            ),
            ("Has sumado x aunque el bloque tiene un atajo de proyección",),
        ),
        "a_list": (
            _with(
                "residual_forward",
                (
                    "return np.maximum(main(x) + skip, 0)",
                    "return (main(x) + skip).clip(0).tolist()",
                ),
            ),
            ("numpy.ndarray", "list", RULE),
        ),
        "an_ndarray_subclass": (
            _with(
                "residual_forward",
                (
                    "return np.maximum(main(x) + skip, 0)",
                    "return np.ma.masked_array(np.maximum(main(x) + skip, 0))",
                ),
            ),
            ("numpy.ndarray", "MaskedArray", RULE),
        ),
        "object_dtype": (
            _with(
                "residual_forward",
                (
                    "return np.maximum(main(x) + skip, 0)",
                    "return np.maximum(main(x) + skip, 0).astype(object)",
                ),
            ),
            ("tipo float", RULE),
        ),
    },
}

# Mistakes whose hint is new or corrected: {grade_id: {variant: (source, phrases)}}
HINTS = {
    "build_pattern": {
        "output_shape_tuple_to_dense": (
            _with(
                "build_pattern",
                (_FEATURES, "features = Sequential(*layers).output_shape(in_shape)"),
            ),
            ("output_shape(in_shape) devuelve una tupla", "output_shape(in_shape)[0]"),
        ),
        "true_division": (
            _with(
                "build_pattern",
                (
                    _FEATURES,
                    "s = 2 ** (M if pool else 0)\n"
                    "    features = (channels if M * N else in_shape[0]) * "
                    "in_shape[1] / s * in_shape[2] / s",
                ),
            ),
            ("con / en vez de con //",),
        ),
        "a_pool_after_every_conv": (
            _with(
                "build_pattern",
                (
                    "            c_in = channels\n        if pool:\n"
                    "            layers.append(MaxPool2D(2))",
                    "            c_in = channels\n            if pool:\n"
                    "                layers.append(MaxPool2D(2))",
                ),
            ),
            ("Un POOL no cabe", "no uno por CONV", "13 → 6 → 3"),
        ),
        "blank": (_blank(_SIG["build_pattern"]), ("sin hacer",)),
    },
    "lenet5_table": {
        "c5_as_a_vector": (  # the example: the hint named the chaining of shapes
            _with("lenet5_table", ('"C5": ((120, n5, n5)', '"C5": ((120,)')),
            ("C5 es una CONV", "(120, 1, 1)", "Flatten"),
        ),
        "input_size_ignored": (
            _with("lenet5_table", ("n1 = conv(input_size)", "n1 = conv(32)")),
            ("Con input_size=41", "C1 recibe la imagen, (1, 41, 41)", "41 − 5 + 1 = 37"),
        ),
        "pool_rounds_up": (
            _with("lenet5_table", ("return (n - 2) // 2 + 1", "return (n + 1) // 2")),
            ("redondea hacia abajo", "⌊37 / 2⌋ = 18"),
        ),
        "f6_always_on_120_values": (
            _with("lenet5_table", ("84 * (120 * n5 * n5 + 1)", "84 * (120 + 1)")),
            ("120 · 3 · 3 = 1080", "no 120"),
        ),
        "blank": (_blank(_SIG["lenet5_table"]), ("sin hacer",)),
    },
    "inception_out": {
        "blank": (_blank(_SIG["inception_out"]), ("sin hacer",)),
    },
    "residual_forward": {
        "shortcut_called_when_none": (
            _with(
                "residual_forward",
                ("skip = x if shortcut is None else shortcut(x)", "skip = shortcut(x)"),
            ),
            ("Llama a shortcut(x) solo",),
        ),
        "x_added_to_a_projection": (
            _with(
                "residual_forward",
                ("skip = x if shortcut is None else shortcut(x)", "skip = x"),
            ),
            ("Has sumado x aunque el bloque tiene un atajo de proyección",),
        ),
        "blank": (_blank(_SIG["residual_forward"]), ("sin hacer",)),
    },
}

# Right answers written differently from the notebook's: every visible test must pass.
RIGHT = {
    "build_pattern": """
        def build_pattern(in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10):
            C = in_shape[0]
            net = Sequential()
            for _ in range(M):
                for _ in range(N):
                    net.append(Conv2D(C, channels, 3, padding=1)).append(ReLU())
                    C = channels
                if pool:
                    net.append(MaxPool2D(2))
            net.append(Flatten())
            n = int(np.prod(net.output_shape(in_shape)))
            for size in [hidden] * K:
                net.append(Dense(n, size)).append(ReLU())
                n = size
            return net.append(Dense(n, num_classes))
        """,
    "lenet5_table": """
        def lenet5_table(input_size=32, num_classes=10):
            if input_size < 32:
                raise ValueError("LeNet-5 necesita al menos 32 x 32")
            sizes = [np.int64(input_size)]
            for step in ("conv", "pool", "conv", "pool", "conv"):
                sizes.append(sizes[-1] - 4 if step == "conv" else sizes[-1] // 2)
            n1, n2, n3, n4, n5 = sizes[1:]
            weights = lambda c, d: d * (c * 25 + 1)
            return dict(
                C1=((6, n1, n1), weights(1, 6)),
                S2=((6, n2, n2), 0),
                C3=((16, n3, n3), weights(6, 16)),
                S4=((16, n4, n4), 0),
                C5=((120, n5, n5), weights(16, 120)),
                F6=((84,), 84 * (120 * n5 * n5 + 1)),
                OUTPUT=((num_classes,), num_classes * 85),
            )
        """,
    "inception_out": """
        def inception_out(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
            paths = [
                [(in_channels, ch1x1, 1)],
                [(in_channels, ch3x3red, 1), (ch3x3red, ch3x3, 3)],
                [(in_channels, ch5x5red, 1), (ch5x5red, ch5x5, 5)],
                [(in_channels, pool_proj, 1)],
            ]
            params = sum(d * (c * k * k + 1) for path in paths for c, d, k in path)
            return (sum(path[-1][1] for path in paths), params)
        """,
    "residual_forward": """
        def residual_forward(x, main, shortcut=None):
            out = main(x)
            out = out + (x if shortcut is None else shortcut(x))
            out[out < 0] = 0
            return out
        """,
}


# --------------------------------------------------------------------------------------
# The statements say every rule; the test cells are written as the issue asks
# --------------------------------------------------------------------------------------
def _statement(grade_id: str) -> str:
    nb = load(NAME)
    text = nb.cells[index_of(nb, grade_id) - 1].source
    assert "✏️" in text, grade_id
    return text


STATED = {  # what each statement must say (the rules the hidden checks apply)
    "build_pattern": (
        "devuelve una **tupla**",
        "output_shape(in_shape)[0]",
        "(no una lista de capas)",
        "`(lote, num_classes)`",
        "imágenes no cuadradas",
        "$N$, $M$ o $K$ iguales a 0",
        "`pool=False`",
        "otros valores\nde `channels`, `hidden` y `num_classes`",
        "(`pool` es el quinto)",
        "con $M = 0$ no\n  hay ningún grupo",
    ),
    "lenet5_table": (
        "diccionario (`dict`)",
        "tupla de enteros",
        "(también en C5",
        "entero (`int`, no `float`",
        "redondea hacia abajo",
        "`ValueError`",
        "menor que 32",
        "otros valores de `input_size` y `num_classes`",
    )
    + tuple(f"`{n}`" for n in ("Conv2D", "Dense", "Model", "BUILDERS", "compare"))
    + tuple(f"`{n}`" for n in ("output_shape", "count_params", "macs", "profile", "summary"))
    + ("`architectures.lenet5`",),
    "inception_out": (
        "exactamente una tupla de dos enteros",
        "no una\nlista ni una tupla con nombre",
        "enteros (`int`), no `float`",
        "`Inception`",
        "`Conv2D`",
        "`architectures.googlenet`",
        "`output_shape`",
        "`count_params`",
        "`profile`",
        "`summary`",
    ),
    "residual_forward": (
        "el propio `x` (un `np.ndarray`)",
        "array nuevo de\nNumPy (`np.ndarray`, de tipo float)",
        "con la forma de $F(\\mathbf{x})$",
        "sin modificar `x`",
    ),
}


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_statement_says_every_rule_the_hidden_checks_apply(grade_id):
    text = " ".join(_statement(grade_id).split())  # wherever the lines break
    missing = [p for p in STATED[grade_id] if " ".join(p.split()) not in text]
    assert not missing, f"{grade_id}: the statement does not say {missing}"


def test_statements_name_every_forbidden_library_name():
    """Every name the hidden checks refuse in the code is named in the statement."""
    for grade_id, names in (
        ("lenet5_table", grading._NB06_LENET_FORBIDDEN),
        ("inception_out", grading._NB06_INCEPTION_FORBIDDEN),
    ):
        text = _statement(grade_id)
        missing = [n for n in names if n not in text]
        assert not missing, f"{grade_id}: the statement does not name {missing}"


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_visible_test_runs_inside_checks_exercise(grade_id):
    nb = load(NAME)
    source = nb.cells[index_of(nb, grade_id) + 1].source
    lines = source.splitlines()
    assert lines[0].startswith('"""') and lines[0].endswith('"""')
    assert lines[1] == f'with checks.exercise(globals(), "{grade_id}"):'
    visible = visible_part(source).splitlines()[2:]
    assert all(not ln or ln.startswith("    ") for ln in visible), "all inside the with"
    hidden = source[source.index("### BEGIN HIDDEN TESTS") :].splitlines()
    assert all(not ln.startswith(" ") for ln in hidden), "the hidden block outside the with"
    assert "np.testing" not in source and "err_msg" not in source


def test_k_layer_mlp_is_translated():
    text = "\n".join(c.source for c in load(NAME).cells if c.cell_type == "markdown")
    assert "*K-layer MLP* [un MLP de $K$ capas ocultas]" in text
    assert "«de $K$ capas»" in text


def test_summaries_print_thousands_with_spaces_and_spanish_headers():
    code = "\n".join(c.source for c in load(NAME).cells if c.cell_type == "code")
    calls = re.findall(r"\.summary\((.*?)\)", code)
    assert calls and all(call == 'thousands=" ", lang="es"' for call in calls), calls


# --------------------------------------------------------------------------------------
# Executed: the visible tests as students run them (one kernel for every probe)
# --------------------------------------------------------------------------------------
def _as_wrong(table):
    """{gid: {variant: (source, phrase)}} for wrong_answer_problems: one probe per phrase
    would rerun the answer, so the phrases are checked together afterwards."""
    return {
        gid: {v: (src, phrases[0]) for v, (src, phrases) in vs.items()} for gid, vs in table.items()
    }


def test_visible_tests_name_every_rule_and_hint_and_pass_right_answers(monkeypatch):
    """Rules broken with right values, new hints, blank exercises and right answers written
    differently, all run after the notebook in one kernel, without the hidden blocks."""
    import _nbutils

    seen = {}
    original = _nbutils.execute

    def execute(nb, **kwargs):
        done = original(nb, **kwargs)
        seen["cells"] = done.cells
        return done

    monkeypatch.setattr(_nbutils, "execute", execute)
    merged = {gid: {**RULES.get(gid, {}), **HINTS.get(gid, {})} for gid in EXERCISES}
    problems = wrong_answer_problems(NAME, _as_wrong(merged), RIGHT, visible_only=True)
    base = len(load(NAME).cells)
    problems += [  # why the notebook itself failed, if it did
        f"{cell.id}: {out.ename}: {out.evalue}"
        for cell in seen["cells"][:base]
        for out in cell.get("outputs", [])
        if out.output_type == "error"
    ]
    assert not problems, "\n".join(problems)
    # every phrase of each probe, in the message of its visible test
    messages = {}
    cells = seen["cells"]
    for k, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                messages[cells[k - 1].source] = out.evalue
    lacking = []
    for gid, variants in merged.items():
        for variant, (source, phrases) in variants.items():
            text = messages.get(_src(source), "")
            lacking += [f"{gid}/{variant}: {p!r}" for p in phrases if p not in text]
    assert not lacking, "\n".join(lacking)


# --------------------------------------------------------------------------------------
# The same rule-breaking answers lose their points with the hidden checks
# --------------------------------------------------------------------------------------
def _namespace():
    return {
        "np": np,
        "architectures": architectures,
        "collections": collections,
        "AvgPool2D": AvgPool2D,
        "Conv2D": Conv2D,
        "Dense": Dense,
        "Flatten": Flatten,
        "Inception": Inception,
        "MaxPool2D": MaxPool2D,
        "ReLU": ReLU,
        "ResidualBlock": ResidualBlock,
        "Sequential": Sequential,
    }


def _defined(grade_id: str, source: str):
    ns = _namespace()
    exec(compile(source, f"<{grade_id}>", "exec"), ns)  # noqa: S102 - the test's own answers
    return ns[grade_id], ns


@pytest.mark.parametrize("grade_id, variant", [(gid, v) for gid in EXERCISES for v in RULES[gid]])
def test_rule_breaking_answers_lose_their_points(grade_id, variant):
    fn, ns = _defined(grade_id, RULES[grade_id][variant][0])
    with pytest.raises(AssertionError):
        HIDDEN[grade_id](fn, ns)


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_right_answers_pass_the_hidden_checks(grade_id):
    for source in (_solution(grade_id), _src(RIGHT[grade_id])):
        fn, ns = _defined(grade_id, source)
        HIDDEN[grade_id](fn, ns)


def test_the_hidden_checks_say_the_rules_as_the_visible_tests():
    """A rule broken in the hidden checks reads as in the visible test (same words)."""
    fn, ns = _defined(
        "lenet5_table", RULES["lenet5_table"]["no_value_error_when_c5_does_not_fit"][0]
    )
    with pytest.raises(AssertionError, match=rf"ValueError.*{RULE}"):
        grading.hidden_lenet_table(fn, ns)
    fn, ns = _defined("residual_forward", RULES["residual_forward"]["in_place"][0])
    with pytest.raises(AssertionError, match=rf"residual_forward ha modificado x.*{RULE}"):
        grading.hidden_residual(fn, ns)
    fn, ns = _defined("inception_out", RULES["inception_out"]["a_named_tuple"][0])
    with pytest.raises(AssertionError, match=rf"tupla con nombre.*{RULE}"):
        grading.hidden_inception(fn, ns)


# --------------------------------------------------------------------------------------
# The hints, in process: they follow from the values received
# --------------------------------------------------------------------------------------
def test_lenet_hint_for_c5_as_a_vector_names_the_conv_not_the_chaining():
    table = grading.ref_lenet5_table(32, 10)
    table["C5"] = ((120,), table["C5"][1])
    hint = grading.explain_lenet_table(table, 32, 10)
    assert "C5 es una CONV" in hint and "(120, 1, 1)" in hint
    assert "Encadena" not in hint


@pytest.mark.parametrize(
    "key, shape, phrase",
    [
        ("S2", (6, 37, 37), "divide el alto y el ancho entre 2"),
        ("C3", (16, 18, 18), "Sin padding"),
        ("C3", (6, 14, 14), "número de filtros: 16"),
        ("S4", (6, 7, 7), "conserva los canales que recibe: los 16 de C3"),
        ("C1", (37, 37, 6), "canales primero"),
        ("F6", (84, 1, 1), "F6 es una FC"),
        ("S4", (16, 3, 3), "S4 recibe la salida de C3, (16, 14, 14)"),
    ],
)
def test_lenet_shape_hints_follow_from_the_values(key, shape, phrase):
    table = grading.ref_lenet5_table(41, 4)
    table[key] = (shape, table[key][1])
    hint = grading.explain_lenet_table(table, 41, 4)
    assert phrase in hint, hint


def test_explain_lenet_too_small_names_the_layer_that_no_longer_fits():
    def returns(n=32, nc=10):
        return {}

    hint = grading.explain_lenet_too_small(returns, 10)
    assert "a C3 le llegan mapas de 3 × 3" in hint and RULE in hint

    def raises(n=32, nc=10):
        raise ValueError("demasiado pequeña")

    assert grading.explain_lenet_too_small(raises, 28) == ""


def test_explain_pattern_error_reads_the_library_message():
    err = TypeError("Dense: argument 'in_features' must be an integer, got (30,) (type tuple)")
    assert "devuelve una tupla" in grading.explain_pattern_error(err, (1, 13, 10), 3, 2, 1)
    err = ValueError("Conv2D: expected input with 5 channels (5, H, W), got shape (1, 13, 10)")
    hint = grading.explain_pattern_error(err, (1, 13, 10), 3, 2, 1, channels=5)
    assert "in_shape[0] = 1" in hint
    err = RuntimeError("something else")
    assert "Mira la línea" in grading.explain_pattern_error(err, (1, 13, 10), 3, 2, 1)


def test_explain_residual_error_names_the_shapes_that_cannot_be_added():
    block = ResidualBlock(3, 4, stride=2).eval()
    x = np.zeros((2, 3, 7, 5), dtype=np.float32)
    err = ValueError("operands could not be broadcast together with shapes (2,4,4,3) (2,3,7,5)")
    hint = grading.explain_residual_error(err, x, block.main, block.shortcut)
    assert "no se pueden sumar" in hint and "se suma shortcut(x), de forma (2, 4, 4, 3)" in hint
    hint = grading.explain_residual_error(TypeError("'NoneType' object is not callable"), x, abs)
    assert "Llama a shortcut(x) solo cuando shortcut no es None" in hint
