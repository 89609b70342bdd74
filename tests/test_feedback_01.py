"""Notebook 01 (1D convolution): feedback a student can act on (issue 17).

* every rule a hidden check enforces fails the *visible* test too (run as a student runs
  it, without the hidden block), with a Spanish message that names the rule, and the
  same answer loses its points with the hidden checks;
* the classic mistakes get a hint that follows from the values received (the kernel
  flipped by np.convolve in find_rising_edges, = instead of +=, x[i] for x[m + i], ...);
* a blank exercise says «sin hacer», a broken conv1d_loops used by find_rising_edges is
  named («Tu conv1d_loops falla»), and right answers written differently still pass;
* each ✏️ statement says the rules its test checks.

One notebook run checks every probe (``wrong_answer_problems``); the hidden checks run
in-process on the same kinds of answers.
"""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest
from _nbutils import index_of, load, wrong_answer_problems

import cnncourse
import cnncourse._grading as grading

NAME = "01_conv1d.ipynb"
RULE = "regla del enunciado"


def _loops(body: str, name: str = "conv1d_loops", decorator: str = "") -> str:
    """A loop answer to exercise 2 (or 4) whose inner statement is ``body``."""
    return (
        f"{decorator}def {name}(x, u):\n"
        "    W, w = x.shape[0], u.shape[0]\n"
        "    o = np.zeros(W - w + 1)\n"
        "    for i in range(W - w + 1):\n"
        "        for m in range(w):\n"
        f"            {body}\n"
        "    return o\n"
    )


NJIT = "@numba.njit\n"
EDGES = "def find_rising_edges(x, threshold=0.5):\n    return "

# {exercise: {variant: (answer, phrase its visible test must say)}}
WRONG = {
    "dense_params": {
        "float": (
            "def dense_params(height, width, units):\n"
            "    return float(height * width * units + units)",
            "debe devolver un entero (int), no un float",
        ),
        "float_rule": (
            "def dense_params(height, width, units):\n    return (height * width + 1.0) * units",
            RULE,
        ),
        "no_bias": (
            "def dense_params(height, width, units):\n    return height * width * units",
            "Faltan los sesgos",
        ),
        "one_neuron": (
            "def dense_params(height, width, units):\n    return height * width + units",
            "cada una tiene su propio peso por píxel",
        ),
        "one_bias": (
            "def dense_params(height, width, units):\n    return height * width * units + 1",
            "no uno solo para toda la capa",
        ),
        "blank": (
            "def dense_params(height, width, units):\n    raise NotImplementedError()",
            "sin hacer",
        ),
        "answer_cell_failed": ("del dense_params", "no está definida"),
    },
    "conv1d_loops": {
        "cnncourse": ("def conv1d_loops(x, u):\n    return cnncourse.conv1d(x, u)", RULE),
        "np_convolve": (
            "def conv1d_loops(x, u):\n    return np.convolve(x, u[::-1], 'valid')",
            "convolve",
        ),
        "np_correlate": (
            "def conv1d_loops(x, u):\n    return np.correlate(x, u, 'valid')",
            RULE,
        ),
        "scipy": (
            "def conv1d_loops(x, u):\n"
            "    import scipy.signal\n"
            "    return scipy.signal.correlate(x, u, mode='valid')",
            RULE,
        ),
        "in_place": (
            _loops("o[i] += x[m + i] * u[m]").replace("    return o", "    x += 0.5\n    return o"),
            "ha modificado",
        ),
        "list": (
            "def conv1d_loops(x, u):\n"
            "    return [float(np.sum(x[i:i + len(u)] * u)) for i in range(len(x) - len(u) + 1)]",
            "no devuelvas una lista",
        ),
        "int_dtype": (
            _loops("o[i] += x[m + i] * u[m]").replace(
                "np.zeros(W - w + 1)", "np.zeros(W - w + 1, int)"
            ),
            "tipo float",
        ),
        "flipped": (_loops("o[i] += x[m + i] * u[w - 1 - m]"), "invertido el kernel"),
        "off_by_one": (
            _loops("o[i] += x[m + i] * u[m]")
            .replace("np.zeros(W - w + 1)", "np.zeros(W - w)")
            .replace("range(W - w + 1)", "range(W - w)"),
            "error por uno",
        ),
        "last_left_zero": (
            _loops("o[i] += x[m + i] * u[m]").replace("range(W - w + 1)", "range(W - w)"),
            "La última salida se queda en 0",
        ),
        "assign": (_loops("o[i] = x[m + i] * u[m]"), "asignas (=) en vez de acumular (+=)"),
        "x_i": (_loops("o[i] += x[i] * u[m]"), "el índice de x es m + i, no i"),
        "x_m": (_loops("o[i] += x[m] * u[m]"), "no m (la ventana se desliza con i)"),
        "no_kernel": (_loops("o[i] += x[m + i]"), "sin multiplicar por el kernel"),
        "return_in_loop": (
            _loops("o[i] += x[m + i] * u[m]").replace(
                "            o[i] += x[m + i] * u[m]\n    return o",
                "            o[i] += x[m + i] * u[m]\n        return o",
            ),
            "¿está el return dentro del bucle de i?",
        ),
        "blank": ("def conv1d_loops(x, u):\n    raise NotImplementedError()", "sin hacer"),
    },
    "find_rising_edges": {
        # the example: np.convolve flips the kernel, so it marks the falling edges
        "np_convolve": (
            EDGES + "np.flatnonzero(np.convolve(x, [-1, 1], 'valid') > threshold)",
            "np.convolve (como scipy.signal.convolve) invierte el kernel",
        ),
        "np_convolve_falling": (
            EDGES + "np.flatnonzero(np.convolve(x, [-1, 1], 'valid') > threshold)",
            "Marcas los flancos de bajada",
        ),
        "index_plus_one": (EDGES + "np.flatnonzero(np.diff(x) > threshold) + 1", "i + 1"),
        "abs": (
            EDGES + "np.flatnonzero(np.abs(np.diff(x)) > threshold)",
            "sin valor absoluto",
        ),
        "threshold_ignored": (
            EDGES + "np.flatnonzero(np.diff(x) > 0.5)",
            "No usas el parámetro threshold",
        ),
        "mask": (EDGES + "np.diff(x) > threshold", "máscara"),
        "mask_rule": (EDGES + "np.diff(x) > threshold", RULE),
        "list": (EDGES + "[i for i in range(len(x) - 1) if x[i + 1] - x[i] > threshold]", RULE),
        "tuple": (EDGES + "np.nonzero(np.diff(x) > threshold)", "tupla"),
        "float_indices": (
            EDGES + "np.flatnonzero(np.diff(x) > threshold).astype(float)",
            "índices enteros",
        ),
        "empty_float": (
            EDGES + "np.array([i for i in range(len(x) - 1) if x[i + 1] - x[i] > threshold])",
            "np.array([]) es float",
        ),
        "in_place": (
            "def find_rising_edges(x, threshold=0.5):\n"
            "    x -= x[0]  # shift the signal: the edges stay where they are\n"
            "    return np.flatnonzero(np.diff(x) > threshold)",
            "ha modificado",
        ),
        "blank": (
            "def find_rising_edges(x, threshold=0.5):\n    raise NotImplementedError()",
            "sin hacer",
        ),
        # last: conv1d_loops stays broken for the find_rising_edges probes after this one
        # (the right answer below defines a right conv1d_loops again)
        "cascade": (
            _loops("o[i] += x[m + i] * u[w - 1 - m]")
            + "\n\n"
            + EDGES
            + "np.flatnonzero(conv1d_loops(x, np.array([-1.0, 1.0])) > threshold)",
            "Tu conv1d_loops falla: arréglala primero",
        ),
    },
    "conv1d_numba": {
        "not_compiled": (_loops("o[i] += x[m + i] * u[m]", "conv1d_numba"), "@numba.njit"),
        "not_compiled_rule": (_loops("o[i] += x[m + i] * u[m]", "conv1d_numba"), RULE),
        "returns_list": (
            NJIT + "def conv1d_numba(x, u):\n"
            "    W, w = x.shape[0], u.shape[0]\n"
            "    o = []\n"
            "    for i in range(W - w + 1):\n"
            "        acc = 0.0\n"
            "        for m in range(w):\n"
            "            acc += x[m + i] * u[m]\n"
            "        o.append(acc)\n"
            "    return o",
            "no devuelvas una lista",
        ),
        "np_correlate_inside": (
            NJIT + "def conv1d_numba(x, u):\n    return np.correlate(x, u)",
            RULE,
        ),
        "cnncourse_inside": (
            NJIT + "def conv1d_numba(x, u):\n    return cnncourse.conv1d(x, u)",
            "conv1d_numba usa ['conv1d']",
        ),
        "other_cnncourse_inside": (
            _loops("o[i] += x[m + i] * u[m]", "conv1d_numba", NJIT).replace(
                "np.zeros(W - w + 1)", "np.zeros(cnncourse.output_size(W, w))"
            ),
            "llamar dentro a cnncourse",
        ),
        "int_dtype": (
            _loops("o[i] += x[m + i] * u[m]", "conv1d_numba", NJIT).replace(
                "np.zeros(W - w + 1)", "np.zeros(W - w + 1, np.int64)"
            ),
            "tipo float",
        ),
        "in_place": (
            _loops("o[i] += x[m + i] * u[m]", "conv1d_numba", NJIT).replace(
                "    return o", "    x[0] += 1.0\n    return o"
            ),
            "ha modificado",
        ),
        "flipped": (
            _loops("o[i] += x[m + i] * u[w - 1 - m]", "conv1d_numba", NJIT),
            "invertido el kernel",
        ),
        "blank": (NJIT + "def conv1d_numba(x, u):\n    raise NotImplementedError()", "sin hacer"),
    },
}

# Right answers written differently: they must pass the visible tests (the hidden ones
# are checked in-process below)
RIGHT = {
    "dense_params": "def dense_params(height, width, units):\n"
    "    return int(np.prod([height, width, units])) + units",
    "conv1d_loops": "def conv1d_loops(x, u):\n"
    "    w = len(u)\n"
    "    return np.array([np.dot(x[i:i + w], u) for i in range(len(x) - w + 1)])",
    # uses a right conv1d_loops (written again: the cascade probe broke it): no cascade
    "find_rising_edges": _loops("o[i] += x[m + i] * u[m]")
    + "\n\ndef find_rising_edges(x, threshold=0.5):\n"
    "    return np.nonzero(conv1d_loops(x, np.array([-1.0, 1.0])) > threshold)[0]",
    "conv1d_numba": NJIT + "def conv1d_numba(x, u):\n"
    "    n = x.shape[0] - u.shape[0] + 1\n"
    "    o = np.empty(n)\n"
    "    for i in range(n):\n"
    "        o[i] = np.sum(x[i:i + u.shape[0]] * u)\n"
    "    return o",
}


def test_visible_tests_name_every_rule_hint_blank_and_cascade():
    problems = wrong_answer_problems(NAME, WRONG, RIGHT, visible_only=True)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------
# The same rule-breaking answers lose their points with the hidden checks
# --------------------------------------------------------------------------------------
def _loops_ok(x, u):
    W, w = len(x), len(u)
    o = np.zeros(W - w + 1)
    for i in range(W - w + 1):
        for m in range(w):
            o[i] += x[m + i] * u[m]
    return o


def _in_place(x, u):
    o = _loops_ok(x, u)
    x += 0.5
    return o


@numba.njit
def _numba_list(x, u):
    W, w = x.shape[0], u.shape[0]
    o = []
    for i in range(W - w + 1):
        acc = 0.0
        for m in range(w):
            acc += x[m + i] * u[m]
        o.append(acc)
    return o


@numba.njit
def _numba_correlate(x, u):
    return np.correlate(x, u)


@numba.njit
def _numba_int(x, u):
    W, w = x.shape[0], u.shape[0]
    o = np.zeros(W - w + 1, np.int64)
    for i in range(W - w + 1):
        for m in range(w):
            o[i] += x[m + i] * u[m]
    return o


@numba.njit
def _numba_ok(x, u):
    W, w = x.shape[0], u.shape[0]
    o = np.zeros(W - w + 1)
    for i in range(W - w + 1):
        for m in range(w):
            o[i] += x[m + i] * u[m]
    return o


def _edges_from_list(x, threshold=0.5):
    return np.array([i for i in range(len(x) - 1) if x[i + 1] - x[i] > threshold])


def _edges_in_place(x, threshold=0.5):
    x -= x[0]
    return np.flatnonzero(np.diff(x) > threshold)


HIDDEN_RULES = [
    ("hidden_dense_params", lambda h, w, n: float(h * w * n + n), "entero"),
    ("hidden_dense_params", lambda h, w, n: np.float64(h * w * n + n), "entero"),
    ("hidden_conv1d", lambda x, u: cnncourse.conv1d(x, u), "conv1d"),
    ("hidden_conv1d", lambda x, u: np.convolve(x, u[::-1], "valid"), "convolve"),
    ("hidden_conv1d", lambda x, u: np.correlate(x, u, "valid"), "correlate"),
    ("hidden_conv1d", _in_place, "ha modificado"),
    ("hidden_conv1d", lambda x, u: list(_loops_ok(x, u)), "numpy.ndarray"),
    ("hidden_conv1d", lambda x, u: _loops_ok(x, u).astype(int), "dtype float"),
    ("hidden_rising_edges", lambda x, t=0.5: np.diff(x) > t, "máscara"),
    ("hidden_rising_edges", lambda x, t=0.5: list(np.flatnonzero(np.diff(x) > t)), "ndarray"),
    ("hidden_rising_edges", lambda x, t=0.5: np.nonzero(np.diff(x) > t), "tupla"),
    ("hidden_rising_edges", lambda x, t=0.5: np.flatnonzero(np.diff(x) > t) * 1.0, "enteros"),
    ("hidden_rising_edges", _edges_in_place, "ha modificado"),
    ("hidden_rising_edges", _edges_from_list, "np.array([]) es float"),
    (
        "hidden_rising_edges",
        lambda x, t=0.5: np.flatnonzero(np.diff(x) > 0.5),
        "No usas el parámetro",
    ),
    ("hidden_conv1d_numba", _loops_ok, "@numba.njit"),
    ("hidden_conv1d_numba", _numba_list, "no devuelvas una lista"),
    ("hidden_conv1d_numba", _numba_correlate, "correlate"),
    ("hidden_conv1d_numba", _numba_int, "tipo float"),
]


@pytest.mark.parametrize("check, answer, phrase", HIDDEN_RULES)
def test_hidden_checks_apply_the_same_rules(check, answer, phrase):
    args = () if check == "hidden_dense_params" else ({},)
    with pytest.raises(AssertionError, match=re.escape(phrase)):
        getattr(grading, check)(answer, *args)


def test_hidden_checks_pass_right_answers():
    for _ in range(10):
        grading.hidden_dense_params(lambda h, w, n: (h * w + 1) * n)
        grading.hidden_conv1d(_loops_ok, {})
        grading.hidden_rising_edges(lambda x, t=0.5: np.flatnonzero(x[1:] - x[:-1] > t), {})
        grading.hidden_conv1d_numba(_numba_ok, {})


# --------------------------------------------------------------------------------------
# Hints and probe, in-process
# --------------------------------------------------------------------------------------
def test_rising_edges_hint_names_the_flip_only_when_the_values_say_so():
    x = np.array([0, 0, 1, 2, 2, 0, 0, 3, 3, 1.0])
    flipped = np.flatnonzero(np.convolve(x, [-1, 1], "valid") > 0.5)
    assert "invierte el kernel" in grading.explain_rising_edges(flipped, x)
    # the lecture's voltage has no falling edge: an empty answer names no cause
    v = np.array([0, 0, 0, 0, 1, 2, 3, 3.0])
    assert grading.explain_rising_edges(np.array([], dtype=int), v) == ""
    assert grading.explain_rising_edges(np.flatnonzero(np.diff(x) > 0.5), x) == ""


def test_probe_conv1d_loops():
    assert grading.probe_conv1d_loops(_loops_ok) == ""
    assert "invertido" in grading.probe_conv1d_loops(lambda x, u: _loops_ok(x, u[::-1]))
    assert "Modifica su entrada" in grading.probe_conv1d_loops(_in_place)
    assert "list" in grading.probe_conv1d_loops(lambda x, u: list(_loops_ok(x, u)))


def test_hints_that_match_several_mistakes_name_them_as_possibilities():
    v = np.array([0, 0, 0, 0, 1, 2, 3, 3.0])
    hint = grading.explain_conv1d(np.zeros(7), v, np.array([-1.0, 1.0]))
    assert hint.startswith("Tu resultado encaja con más de un error típico")


# --------------------------------------------------------------------------------------
# The statements say the rules
# --------------------------------------------------------------------------------------
STATEMENT_WORDS = {
    "dense_params": ["`int`", "no un `float`"],
    "conv1d_loops": [
        "`np.ndarray`",
        "`float`",
        "no modifiques `x` ni `u`",
        "`np.convolve`",
        "`np.correlate`",
        "`scipy.signal`",
        "`cnncourse.conv1d`",
        "$w = 1$",  # the hidden checks try both ends of 1 <= w <= W
        "$w = W$",
    ],
    "find_rising_edges": ["enteros", "`threshold`", "no modifiques `x`", "`np.convolve`"],
    "conv1d_numba": [
        "`@numba.njit`",
        "listas",
        "no modifiques `x` ni `u`",
        "`cnncourse`",
        "`np.correlate`",
        "`float`",
    ],
}


@pytest.mark.parametrize("grade_id", sorted(STATEMENT_WORDS))
def test_statement_says_the_rules(grade_id):
    nb = load(NAME)
    k = index_of(nb, grade_id) - 1
    while "✏️" not in nb.cells[k].source:  # a code cell may sit in between
        k -= 1
    text = " ".join(nb.cells[k].source.split())
    missing = [w for w in STATEMENT_WORDS[grade_id] if w not in text]
    assert not missing, f"{grade_id}: the statement does not say {missing}"
