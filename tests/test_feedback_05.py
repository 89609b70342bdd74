"""Notebook 05 (pooling), issue 17: feedback a student can act on.

* no rule known only to the hidden tests: for every rule of every exercise (no library
  pooling or convolution, in the code or at run time, torch included; the inputs not
  modified; an exact float numpy.ndarray) an answer right in values that breaks only that
  rule fails the *visible* test (the cell without its hidden block, as a student runs it)
  naming the rule, and loses its points with the hidden tests too;
* hints that follow from the values: np.unravel_index with the input's shape, the
  window's origin forgotten, a max (min) that starts at 0; the hint comes first;
* the real error first: a blank exercise says «sin hacer», a missing definition says so,
  a wrong pool2d_loops used by maxpool_backward is named as the cause («Tu pool2d_loops
  falla»), and not blamed when the answer does not use it;
* right answers written differently pass the visible and the hidden tests.

One kernel runs the notebook and every probe (answer cell, visible test, hidden block).
"""

from __future__ import annotations

import re
import textwrap

import nbformat
import numpy as np
import pytest
from _nbutils import cell_by_id, errors, execute, index_of, load, visible_part

import cnncourse
import cnncourse._grading as checks

NAME = "05_pooling.ipynb"
RULE = "regla del enunciado"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# --------------------------------------------------------------------------------------
# Answers. Each probe: (exercise, answer source, phrases of the visible message (None: it
# must pass), whether the hidden tests must fail)
# --------------------------------------------------------------------------------------
_POOL_RIGHT = """
    def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
        k = kernel_size
        s = k if stride is None else stride
        p = padding
        H, W = x.shape
        fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
        xp = np.full((H + 2 * p, W + 2 * p), fill)
        xp[p:p + H, p:p + W] = x
        o = np.zeros(((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1))
        for j in range(o.shape[0]):
            for i in range(o.shape[1]):
                window = xp[j * s:j * s + k, i * s:i * s + k]
                o[j, i] = {"max": np.max, "min": np.min, "avg": np.sum}[mode](window)
                if mode == "avg":
                    o[j, i] /= k * k
        return o
    """


def _pool_returning(last_line: str) -> str:
    """The right pool2d_loops with its ``return o`` replaced by ``last_line``."""
    return _src(_POOL_RIGHT).replace("    return o", "    " + last_line)


_BACKWARD_LOOP = """
    def maxpool_backward(dout, x, kernel_size=2, stride=None):
        k = kernel_size
        s = k if stride is None else stride
        dx = np.zeros(x.shape)
        for j in range(dout.shape[0]):
            for i in range(dout.shape[1]):
                window = x[j * s:j * s + k, i * s:i * s + k]
                n, m = np.unravel_index(np.argmax(window), window.shape)
                dx[j * s + n, i * s + m] += dout[j, i]
        return dx
    """

_TORCH_POOL = """
    def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
        import torch

        t = torch.tensor(x)[None, None]
        F = torch.nn.functional
        if mode == "avg":
            return F.avg_pool2d(t, kernel_size, stride, padding)[0, 0].numpy()
        sign = 1.0 if mode == "max" else -1.0
        return sign * F.max_pool2d(sign * t, kernel_size, stride, padding)[0, 0].numpy()
    """

RULES = {  # (exercise, variant): (source, phrases)
    # --- pool2d_loops
    ("pool2d_loops", "cnncourse"): (
        """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            return cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, mode=mode)
        """,
        ["usa ['pool2d']", "tienes que escribir el pooling tú mismo"],
    ),
    ("pool2d_loops", "torch_functional"): (_TORCH_POOL, ["'max_pool2d'", "torch"]),
    ("pool2d_loops", "torch_module"): (
        """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            import torch

            t = torch.tensor(x)[None, None]
            if mode == "avg":
                return torch.nn.AvgPool2d(kernel_size, stride, padding)(t)[0, 0].numpy()
            sign = 1.0 if mode == "max" else -1.0
            layer = torch.nn.MaxPool2d(kernel_size, stride, padding)
            return sign * layer(sign * t)[0, 0].numpy()
        """,
        ["'MaxPool2d'"],
    ),
    ("pool2d_loops", "alias_at_run_time"): (
        """
        from cnncourse import pool2d as ready_made


        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            return ready_made(x, kernel_size, stride, padding, mode)
        """,
        ["llama a cnncourse.pool2d"],
    ),
    ("pool2d_loops", "helper_at_run_time"): (
        """
        def pool_helper(x, k, s, p, mode):
            return cnncourse.pool2d(x, k, s, p, mode)


        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            return pool_helper(x, kernel_size, stride, padding, mode)
        """,
        ["llama a cnncourse.pool2d", "función auxiliar"],
    ),
    ("pool2d_loops", "convolution_for_the_mean"): (
        _src(_POOL_RIGHT).replace(
            "    o = np.zeros(",
            "    if mode == 'avg':\n"
            "        xp = np.pad(x, p)\n"
            "        return cnncourse.conv2d(xp, np.ones((k, k)) / (k * k))[::s, ::s]\n"
            "    o = np.zeros(",
        ),
        ["usa ['conv2d']"],
    ),
    ("pool2d_loops", "input_modified"): (
        _src(_POOL_RIGHT).replace(
            "    k = kernel_size\n",
            "    if mode == 'min':  # min(x) = -max(-x), negating x in place\n"
            "        x *= -1\n"
            "        return -pool2d_loops(x, kernel_size, stride, padding, 'max')\n"
            "    k = kernel_size\n",
        ),
        ["ha modificado su argumento número 1 (x)"],
    ),
    ("pool2d_loops", "list"): (_pool_returning("return o.tolist()"), ["numpy.ndarray", "list"]),
    ("pool2d_loops", "object_dtype"): (
        _pool_returning("return o.astype(object)"),
        ["tipo float", "object"],
    ),
    # --- global_pool_loops
    ("global_pool_loops", "cnncourse"): (
        """
        def global_pool_loops(x, mode="avg"):
            return cnncourse.global_pool(x, mode)
        """,
        ["usa ['global_pool']", "tienes que escribir el global pooling tú mismo"],
    ),
    ("global_pool_loops", "torch"): (
        """
        def global_pool_loops(x, mode="avg"):
            import torch

            t = torch.tensor(x)[None]
            F = torch.nn.functional
            if mode == "avg":
                return F.adaptive_avg_pool2d(t, 1).numpy().ravel()
            sign = 1.0 if mode == "max" else -1.0
            return sign * F.adaptive_max_pool2d(sign * t, 1).numpy().ravel()
        """,
        ["'adaptive_avg_pool2d'"],
    ),
    ("global_pool_loops", "convolution_for_the_mean"): (
        """
        def global_pool_loops(x, mode="avg"):
            out = np.zeros(len(x))
            for c in range(len(x)):
                if mode == "avg":
                    out[c] = cnncourse.conv2d(x[c], np.ones(x[c].shape) / x[c].size)[0, 0]
                else:
                    out[c] = x[c].max() if mode == "max" else x[c].min()
            return out
        """,
        ["usa ['conv2d']"],
    ),
    ("global_pool_loops", "input_modified"): (
        """
        def global_pool_loops(x, mode="avg"):
            if mode == "min":  # min(x) = -max(-x), negating x in place
                np.negative(x, out=x)
                return -global_pool_loops(x, "max")
            op = np.mean if mode == "avg" else np.max
            return np.array([op(x[c]) for c in range(len(x))])
        """,
        ["ha modificado su argumento número 1 (x)"],
    ),
    ("global_pool_loops", "list"): (
        """
        def global_pool_loops(x, mode="avg"):
            op = {"avg": np.mean, "max": np.max, "min": np.min}[mode]
            return [float(op(x[c])) for c in range(len(x))]
        """,
        ["numpy.ndarray", "list"],
    ),
    ("global_pool_loops", "object_dtype"): (
        """
        def global_pool_loops(x, mode="avg"):
            op = {"avg": np.mean, "max": np.max, "min": np.min}[mode]
            return np.array([op(x[c]) for c in range(len(x))], dtype=object)
        """,
        ["tipo float", "object"],
    ),
    # --- maxpool_backward
    ("maxpool_backward", "cnncourse"): (
        """
        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            return cnncourse.pool2d_backward(dout, x, kernel_size, stride, mode="max")
        """,
        ["usa ['pool2d_backward']", "el gradiente del max pooling tú mismo"],
    ),
    ("maxpool_backward", "forward_from_the_library"): (
        """
        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            k = kernel_size
            s = k if stride is None else stride
            o = cnncourse.pool2d(x, k, s)  # the maxima, then where they are
            dx = np.zeros(x.shape)
            for j in range(dout.shape[0]):
                for i in range(dout.shape[1]):
                    window = x[j * s:j * s + k, i * s:i * s + k]
                    n, m = np.argwhere(window == o[j, i])[0]
                    dx[j * s + n, i * s + m] += dout[j, i]
            return dx
        """,
        ["usa ['pool2d']"],
    ),
    ("maxpool_backward", "torch_autograd"): (
        """
        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            import torch

            t = torch.tensor(x, requires_grad=True)
            o = torch.nn.functional.max_pool2d(t[None, None], kernel_size, stride)
            o.backward(torch.tensor(dout)[None, None])
            return t.grad.numpy()
        """,
        ["'max_pool2d'"],
    ),
    ("maxpool_backward", "input_modified"): (
        """
        def maxpool_backward(dout, x, kernel_size=2, stride=None):
            k = kernel_size
            s = k if stride is None else stride
            where = []
            for j in range(dout.shape[0]):
                for i in range(dout.shape[1]):
                    window = x[j * s:j * s + k, i * s:i * s + k]
                    n, m = np.unravel_index(np.argmax(window), window.shape)
                    where.append((j * s + n, i * s + m, dout[j, i]))
            dx = x  # reuses x's memory
            dx[:] = 0
            for r, c, g in where:
                dx[r, c] += g
            return dx
        """,
        ["ha modificado su argumento número 2 (x)"],
    ),
    ("maxpool_backward", "list"): (
        _src(_BACKWARD_LOOP).replace("return dx", "return dx.tolist()"),
        ["numpy.ndarray", "list"],
    ),
    ("maxpool_backward", "object_dtype"): (
        _src(_BACKWARD_LOOP).replace("return dx", "return dx.astype(object)"),
        ["tipo float", "object"],
    ),
}

HINTS = {  # (exercise, variant): (source, phrases, the message's first words or None)
    ("maxpool_backward", "unravel_index_with_the_shape_of_x"): (
        _src(_BACKWARD_LOOP).replace(
            "np.unravel_index(np.argmax(window), window.shape)",
            "np.unravel_index(np.argmax(window), x.shape)",
        ),
        ["np.unravel_index necesita la forma de la ventana", "window.shape"],
        "Has pasado la posición del máximo",
    ),
    # right for 2 x 2 windows: only the numerical-gradient case (3 x 3, stride 2) catches it
    ("maxpool_backward", "window_size_fixed_at_2"): (
        _src(_BACKWARD_LOOP).replace(
            "window = x[j * s:j * s + k, i * s:i * s + k]",
            "window = x[j * s:j * s + 2, i * s:i * s + 2]",
        ),
        ["Tus ventanas miden siempre 2 × 2", "kernel_size=3", "gradiente numérico"],
        "Tus ventanas miden siempre 2 × 2",
    ),
    ("maxpool_backward", "window_origin_forgotten"): (
        _src(_BACKWARD_LOOP).replace("dx[j * s + n, i * s + m]", "dx[n, m]"),
        ["sin sumarle dónde empieza la ventana"],
        "El gradiente de cada ventana va a la posición del máximo dentro de la ventana",
    ),
    ("pool2d_loops", "max_and_min_start_at_zero"): (
        """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            k = kernel_size
            s = k if stride is None else stride
            p = padding
            H, W = x.shape
            xp = np.full((H + 2 * p, W + 2 * p), {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode])
            xp[p:p + H, p:p + W] = x
            o = np.zeros(((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1))
            for j in range(o.shape[0]):
                for i in range(o.shape[1]):
                    best = total = 0.0
                    for n in range(k):
                        for m in range(k):
                            v = xp[j * s + n, i * s + m]
                            total += v
                            if (mode == "max" and v > best) or (mode == "min" and v < best):
                                best = v
                    o[j, i] = total / (k * k) if mode == "avg" else best
            return o
        """,
        ["Tu mínimo nunca sube de 0", "en las ventanas con todos los valores positivos"],
        "Tu mínimo nunca sube de 0",
    ),
    ("global_pool_loops", "max_and_min_start_at_zero"): (
        """
        def global_pool_loops(x, mode="avg"):
            out = np.zeros(len(x))
            for c in range(len(x)):
                if mode == "avg":
                    out[c] = x[c].mean()
                    continue
                best = 0.0
                for v in x[c].ravel():
                    if (mode == "max" and v > best) or (mode == "min" and v < best):
                        best = v
                out[c] = best
            return out
        """,
        ["Tu mínimo nunca sube de 0", "en los canales con todos los valores positivos"],
        "Tu mínimo nunca sube de 0",
    ),
    ("global_pool_loops", "a_number_for_the_volume"): (
        """
        def global_pool_loops(x, mode="avg"):
            return {"avg": np.mean, "max": np.max, "min": np.min}[mode](x)
        """,
        ["un solo número para todo el volumen", "numpy.ndarray", RULE],
        "Forma () en vez de (2,)",
    ),
}

# The real error first: blank answers, a missing definition, cascades
_POOL_SWAPPED = _src(_POOL_RIGHT).replace(
    '{"max": np.max, "min": np.min', '{"max": np.min, "min": np.max'
)
_BACKWARD_WITH_POOL = """
    def maxpool_backward(dout, x, kernel_size=2, stride=None):
        k = kernel_size
        s = k if stride is None else stride
        o = pool2d_loops(x, k, s, 0, "max")  # the maxima, then where they are
        dx = np.zeros(x.shape)
        for j in range(dout.shape[0]):
            for i in range(dout.shape[1]):
                window = x[j * s:j * s + k, i * s:i * s + k]
                n, m = np.argwhere(window == o[j, i])[0]
                dx[j * s + n, i * s + m] += dout[j, i]
        return dx
    """
ORDER = {  # variant: (exercise, source, phrases); cascades restore pool2d_loops afterwards
    "blank_pool2d_loops": (
        "pool2d_loops",
        'def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):\n'
        "    raise NotImplementedError()",
        ["está sin hacer", "pool2d_loops"],
    ),
    "blank_global_pool_loops": (
        "global_pool_loops",
        'def global_pool_loops(x, mode="avg"):\n    raise NotImplementedError()',
        ["está sin hacer", "global_pool_loops"],
    ),
    "blank_maxpool_backward": (
        "maxpool_backward",
        "def maxpool_backward(dout, x, kernel_size=2, stride=None):\n"
        "    raise NotImplementedError()",
        ["está sin hacer", "maxpool_backward"],
    ),
    "undefined_global_pool_loops": (
        "global_pool_loops",
        "del global_pool_loops",
        ["global_pool_loops no está definida", "no se ha ejecutado o ha dado un error"],
    ),
    "cascade_wrong_pool2d_loops": (
        "maxpool_backward",
        _POOL_SWAPPED + "\n\n\n" + _src(_BACKWARD_WITH_POOL),
        [
            "Tu pool2d_loops falla: arréglala primero",
            "maxpool_backward la usa",
            "Has intercambiado el máximo y el mínimo",
        ],
    ),
    "cascade_pool2d_loops_calls_the_library": (
        "maxpool_backward",
        _src(
            """
            def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
                return cnncourse.pool2d(x, kernel_size, stride, padding, mode)
            """
        )
        + "\n\n\n"
        + _src(_BACKWARD_WITH_POOL),
        ["Tu pool2d_loops falla: arréglala primero", "usa ['pool2d']"],
    ),
    "wrong_pool2d_loops_unused_is_not_blamed": (
        "maxpool_backward",
        _POOL_SWAPPED + "\n\n\n" + _src(_BACKWARD_LOOP),
        None,
    ),
}

RIGHT = {  # (exercise, variant): source; visible and hidden tests pass
    ("pool2d_loops", "sliding_windows"): """
        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            s = stride or kernel_size
            fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
            xp = np.pad(x, padding, constant_values=fill)
            windows = np.lib.stride_tricks.sliding_window_view(xp, (kernel_size, kernel_size))
            reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
            return reduce(windows[::s, ::s], axis=(2, 3))
        """,
    ("pool2d_loops", "real_cells_only_and_own_helper_named_pool2d"): """
        def pool2d(values, mode):  # a helper of the student's own, named like the library's
            return {"max": max, "min": min}[mode](values)


        def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
            k, p = kernel_size, padding
            s = k if stride is None else stride
            H, W = x.shape
            o = np.zeros(((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1))
            for j in range(o.shape[0]):
                for i in range(o.shape[1]):
                    r, c = j * s - p, i * s - p
                    cells = [
                        float(x[r + n, c + m])
                        for n in range(k)
                        for m in range(k)
                        if 0 <= r + n < H and 0 <= c + m < W
                    ]
                    o[j, i] = sum(cells) / (k * k) if mode == "avg" else pool2d(cells, mode)
            return o
        """,
    ("global_pool_loops", "reshape"): """
        def global_pool_loops(x, mode="avg"):
            pool = {"avg": np.mean, "max": np.max, "min": np.min}[mode]
            return pool(x.reshape(x.shape[0], -1), axis=1)
        """,
    ("global_pool_loops", "python_loops"): """
        def global_pool_loops(x, mode="avg"):
            out = []
            for channel in x:
                values = [float(v) for row in channel for v in row]
                if mode == "avg":
                    out.append(sum(values) / len(values))
                else:
                    out.append(max(values) if mode == "max" else min(values))
            return np.array(out)
        """,
    ("maxpool_backward", "ndenumerate"): """
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
    ("maxpool_backward", "uses_pool2d_loops"): _BACKWARD_WITH_POOL,
}


# --------------------------------------------------------------------------------------
# One kernel for all the probes
# --------------------------------------------------------------------------------------
def _hidden_block(test_source: str) -> str:
    m = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", test_source, re.S)
    assert m, "the test cell has no hidden block"
    return textwrap.dedent(m.group(1)).strip("\n")


@pytest.fixture(scope="module")
def outcome():
    """{label: (visible error or None, hidden error or None)}: each answer, then its
    exercise's visible test, then its hidden block alone, in one kernel."""
    nb = load(NAME)
    base = len(nb.cells)
    solutions = {g: cell_by_id(nb, g).source for g in ("pool2d_loops", "maxpool_backward")}
    solutions["global_pool_loops"] = cell_by_id(nb, "global_pool_loops").source
    probes = []  # (label, index of the visible test cell)

    def add(label, grade_id, source, restore=()):
        test = nb.cells[index_of(nb, grade_id) + 1].source
        nb.cells.append(nbformat.v4.new_code_cell(_src(source)))
        nb.cells.append(nbformat.v4.new_code_cell(visible_part(test)))
        probes.append((label, len(nb.cells) - 1))
        nb.cells.append(nbformat.v4.new_code_cell(_hidden_block(test)))
        for g in (grade_id, *restore):
            nb.cells.append(nbformat.v4.new_code_cell(solutions[g]))

    for (grade_id, variant), (source, _) in RULES.items():
        add(("rule", grade_id, variant), grade_id, source)
    for (grade_id, variant), (source, _, _) in HINTS.items():
        add(("hint", grade_id, variant), grade_id, source)
    for variant, (grade_id, source, _) in ORDER.items():
        add(("order", grade_id, variant), grade_id, source, restore=("pool2d_loops",))
    for (grade_id, variant), source in RIGHT.items():
        add(("right", grade_id, variant), grade_id, source)
    for k, cell in enumerate(nb.cells[base:]):
        cell.id = f"probe-{k}"
    done = execute(nb, timeout=240)
    failed = [c.id for c in done.cells[:base] if errors(c)]
    assert not failed, f"the solution form failed in {failed}"

    def message(cell):
        errs = errors(cell)
        return f"{errs[0].ename}: {errs[0].evalue}" if errs else None

    return {label: (message(done.cells[i]), message(done.cells[i + 1])) for label, i in probes}


def test_every_probe_answer_differs_from_the_solution():
    """The answers built by replacing a line of a right one did replace it."""
    for source, *_ in [*RULES.values(), *HINTS.values()]:
        assert _src(source) not in (_src(_POOL_RIGHT), _src(_BACKWARD_LOOP))
    for key in (("pool2d_loops", "convolution_for_the_mean"), ("pool2d_loops", "input_modified")):
        assert _src(RULES[key][0]).count("def ") == 1 and len(_src(RULES[key][0])) > len(
            _src(_POOL_RIGHT)
        ), key


@pytest.mark.parametrize("key", sorted(RULES), ids="/".join)
def test_a_broken_rule_fails_the_visible_test_and_the_hidden_one(outcome, key):
    visible, hidden = outcome[("rule", *key)]
    assert visible is not None, f"{key}: the visible test passed an answer that breaks a rule"
    for phrase in [RULE, *RULES[key][1]]:
        assert phrase in visible, f"{key}: {phrase!r} not in the visible message:\n{visible}"
    assert hidden is not None, f"{key}: the hidden tests passed it"


@pytest.mark.parametrize("key", sorted(HINTS), ids="/".join)
def test_the_hint_names_the_mistake_first(outcome, key):
    visible, hidden = outcome[("hint", *key)]
    _, phrases, first = HINTS[key]
    assert visible is not None, f"{key}: the visible test passed"
    for phrase in phrases:
        assert phrase in visible, f"{key}: {phrase!r} not in the visible message:\n{visible}"
    assert visible.startswith(f"AssertionError: {first}"), f"{key}: hint not first:\n{visible}"
    assert hidden is not None, f"{key}: the hidden tests passed it"


@pytest.mark.parametrize("variant", sorted(ORDER))
def test_the_real_error_comes_first(outcome, variant):
    grade_id, _, phrases = ORDER[variant]
    visible, _ = outcome[("order", grade_id, variant)]
    if phrases is None:
        assert visible is None, f"{variant}: {visible}"
        return
    assert visible is not None, f"{variant}: the visible test passed"
    for phrase in phrases:
        assert phrase in visible, f"{variant}: {phrase!r} not in the visible message:\n{visible}"


@pytest.mark.parametrize("key", sorted(RIGHT), ids="/".join)
def test_a_right_answer_written_differently_passes(outcome, key):
    assert outcome[("right", *key)] == (None, None)


# --------------------------------------------------------------------------------------
# In process: the probe, the guard, the statements
# --------------------------------------------------------------------------------------
def _define(source: str):
    ns = {"np": np, "cnncourse": cnncourse, "__name__": "__main__"}
    exec(_src(source), ns)  # noqa: S102 - the test's own answers
    return ns


def test_probe_pool2d_loops():
    assert checks.probe_pool2d_loops(_define(_POOL_RIGHT)["pool2d_loops"]) == ""
    why = checks.probe_pool2d_loops(_define(_POOL_SWAPPED)["pool2d_loops"])
    assert "Has intercambiado el máximo y el mínimo" in why and "(3, 5)" in why
    library = _define(RULES[("pool2d_loops", "cnncourse")][0])["pool2d_loops"]
    assert "usa ['pool2d']" in checks.probe_pool2d_loops(library)
    as_list = _define(RULES[("pool2d_loops", "list")][0])["pool2d_loops"]
    assert "numpy.ndarray" in checks.probe_pool2d_loops(as_list)


def test_unravel_index_hint_needs_the_window_shape():
    """The hint fires on the values of np.unravel_index(..., x.shape) in the visible case,
    and that case does not raise IndexError with the mistake."""
    x = np.array([[1, 5, 0, 2, 3, 8, 2, 0, 9], [2, 6, 7, 1, 0, 2, 4, 1, 9], [9] * 9], dtype=float)
    dout = np.array([[1.0, 2.0, 3.0, 4.0]])
    wrong = _define(HINTS[("maxpool_backward", "unravel_index_with_the_shape_of_x")][0])
    got = wrong["maxpool_backward"](dout, x)
    assert "np.unravel_index necesita la forma de la ventana" in checks.explain_maxpool_backward(
        got, dout, x
    )
    right = cnncourse.pool2d_backward(dout, x, 2)
    assert checks.explain_maxpool_backward(right, dout, x) == ""


def _numeric_case():
    """The numerical-gradient case of the visible test of maxpool_backward, rebuilt."""
    gen = np.random.default_rng(5)
    x = gen.permutation(99).reshape(9, 11) / 10
    dout = gen.normal(size=(4, 5))
    eps = 1e-6
    numeric = np.zeros(x.shape)
    for r, c in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[r, c] = eps
        up = np.sum(dout * cnncourse.pool2d(x + e, 3, 2))
        down = np.sum(dout * cnncourse.pool2d(x - e, 3, 2))
        numeric[r, c] = (up - down) / (2 * eps)
    return x, dout, numeric


def test_numeric_case_is_the_one_in_the_visible_test():
    nb = load(NAME)
    test = nb.cells[index_of(nb, "maxpool_backward") + 1].source
    for line in (
        "gen = np.random.default_rng(5)",
        "x4 = gen.permutation(99).reshape(9, 11) / 10",
        "d4 = gen.normal(size=(4, 5))",
        "eps = 1e-6",
        "numeric[r, c] = (up - down) / (2 * eps)",
        "checks.explain_maxpool_numeric(dx4, numeric, d4, x4, 3, 2)",
    ):
        assert line in test, line
    assert "pool2d_backward" not in test, "the last case compares with finite differences"


def test_numeric_gradient_of_the_visible_case_is_the_exact_one():
    """No ties (99 distinct values 0.1 apart), so the central differences give the exact
    gradient, overlapping windows included (some entry is the maximum of several)."""
    x, dout, numeric = _numeric_case()
    assert len(np.unique(x)) == x.size
    exact = cnncourse.pool2d_backward(dout, x, 3, 2)
    np.testing.assert_allclose(numeric, exact, rtol=1e-5, atol=1e-8)
    wins = cnncourse.pool2d_backward(np.ones((4, 5)), x, 3, 2)
    assert wins.max() >= 2, "the case checks the sum over overlapping windows"


def test_numeric_gradient_at_a_tie_halves_each_entry():
    """The notebook's claim: at the 4-way tie of the 4 x 4 example (dout 4 there) the
    central difference gives 2 to each tied entry, 8 in all."""
    x = np.array([[1, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]], dtype=float)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    eps = 1e-6
    numeric = np.zeros(x.shape)
    for r, c in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[r, c] = eps
        up, down = (np.sum(dout * cnncourse.pool2d(x + d, 2)) for d in (e, -e))
        numeric[r, c] = (up - down) / (2 * eps)
    np.testing.assert_allclose(numeric[2:, 2:], 2.0)
    exact = cnncourse.pool2d_backward(dout, x, 2)
    np.testing.assert_allclose(numeric[:2], exact[:2], atol=1e-8)
    np.testing.assert_allclose(numeric[2:, :2], exact[2:, :2], atol=1e-8)
    assert exact[2:, 2:].tolist() == [[4.0, 0.0], [0.0, 0.0]]


def test_explain_maxpool_numeric():
    x, dout, numeric = _numeric_case()
    exact = cnncourse.pool2d_backward(dout, x, 3, 2)
    assert checks.explain_maxpool_numeric(exact, numeric, dout, x, 3, 2) == ""
    # an entry that is the maximum of no window, given a gradient
    r, c = map(int, np.argwhere(exact == 0)[0])
    wrong = exact.copy()
    wrong[r, c] = 0.5
    why = checks.explain_maxpool_numeric(wrong, numeric, dout, x, 3, 2)
    assert why.startswith(f"x[{r}, {c}] = ") and "no es el máximo de ninguna ventana" in why
    # an entry that is the maximum of several windows, given one of their gradients only
    wins = cnncourse.pool2d_backward(np.ones((4, 5)), x, 3, 2)
    r, c = map(int, np.argwhere(wins >= 2)[0])
    wrong = exact.copy()
    wrong[r, c] = 0.0
    why = checks.explain_maxpool_numeric(wrong, numeric, dout, x, 3, 2)
    assert "es el máximo de las ventanas" in why and "la suma de sus dout" in why, why
    assert f"tu dx[{r}, {c}] vale 0" in why
    # a classic mistake is named first: windows of 2 x 2 whatever kernel_size
    k2 = _define(HINTS[("maxpool_backward", "window_size_fixed_at_2")][0])["maxpool_backward"]
    why = checks.explain_maxpool_numeric(k2(dout, x, 3, 2), numeric, dout, x, 3, 2)
    assert why.startswith("Tus ventanas miden siempre 2 × 2"), why


def _statement(grade_id: str) -> str:
    nb = load(NAME)
    k = index_of(nb, grade_id) - 1
    while "✏️" not in nb.cells[k].source:
        k -= 1
    return " ".join(nb.cells[k].source.split())


@pytest.mark.parametrize("grade_id", ["pool2d_loops", "global_pool_loops", "maxpool_backward"])
def test_the_statement_says_every_rule(grade_id):
    text = _statement(grade_id)
    for phrase in (
        "`np.ndarray`",
        "de tipo `float`",
        "no modifiques",
        "no uses `cnncourse.",
        "tampoco desde una función auxiliar",
        "comprobaciones ocultas",
    ):
        assert phrase in text, f"{grade_id}: {phrase!r} not in the statement"
    assert "torch" in text


def test_unravel_index_is_taught_before_maxpool_backward():
    nb = load(NAME)
    end = index_of(nb, "maxpool_backward")
    before = [c for c in nb.cells[:end] if "np.unravel_index(f, window.shape)" in c.source]
    kinds = {c.cell_type for c in before}
    assert kinds == {"markdown", "code"}, kinds
