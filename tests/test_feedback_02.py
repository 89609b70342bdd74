"""Notebook 02: feedback a student can act on (issue 17).

* every rule the hidden checks enforce (no library convolution, in the code or at run
  time, not even under an own function's name; inputs untouched; exactly an np.ndarray of
  float, float64 for to_unit_range; the shape) is caught by the VISIBLE test, run as a
  student runs it (without its hidden block), which names the rule; the same answers lose
  their points with the hidden checks;
* the hints follow from the values received: to_unit_range dividing by 127 or 128 is told
  so (not «¿conviertes a float?»), loss_grad divided by N only is named, an answer that
  crashes on a non-square kernel is explained by what it does with a square one;
* a blank exercise says «sin hacer»; a wrong conv2d_loops used by loss_grad is named as
  the cause («Tu conv2d_loops falla: arréglala primero»);
* right answers written in other ways pass the visible and the hidden checks.

One kernel runs every visible probe (``wrong_answer_problems``); the hidden checks run
in-process on the same sources.
"""

from __future__ import annotations

import re
import textwrap

import nbformat
import numpy as np
import pytest
from _nbutils import (
    errors,
    execute,
    index_of,
    load,
    merged_variants,
    statement_of,
    wrong_answer_problems,
)

import cnncourse
import cnncourse._grading as grading
from cnncourse import data

# np.asmatrix answers (a rule break: not exactly an np.ndarray) warn as they are built
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

NAME = "02_conv2d.ipynb"
RULE = "regla del enunciado"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _loops(body: str = "o[j, i] = np.sum(x[j : j + h, i : i + w] * u)", zeros="") -> str:
    """The notebook's conv2d_loops with its inner line (or the output's dtype) changed."""
    dtype = f", dtype={zeros}" if zeros else ""
    return f"""
        def conv2d_loops(x, u):
            H, W = x.shape
            h, w = u.shape
            o = np.zeros((H - h + 1, W - w + 1){dtype})
            for j in range(H - h + 1):
                for i in range(W - w + 1):
                    {body}
            return o
        """


# --------------------------------------------------------------------------------------
# Answers right in their values that break one rule of the statement each
# {grade_id: {variant: (source, phrase the visible test's message must contain)}}
# --------------------------------------------------------------------------------------
RULE_BREAKS = {
    "conv2d_loops": {
        "library": ("def conv2d_loops(x, u):\n    return cnncourse.conv2d(x, u)", RULE),
        "scipy": (
            """
            def conv2d_loops(x, u):
                import scipy.signal
                return scipy.signal.correlate2d(x, u, mode="valid")
            """,
            "convolución ya hecha",
        ),
        "np_correlate_rows": (
            """
            def conv2d_loops(x, u):
                h = u.shape[0]
                rows = range(x.shape[0] - h + 1)
                return np.array(
                    [sum(np.correlate(x[j + n], u[n], "valid") for n in range(h)) for j in rows]
                )
            """,
            "convolución ya hecha",
        ),
        "library_in_a_helper": (
            """
            def _slide(x, u):
                return cnncourse.conv2d(x, u)

            def conv2d_loops(x, u):
                return _slide(x, u)
            """,
            "llama a cnncourse.conv2d",
        ),
        "own_function_named_convolve": (
            """
            def convolve(x, u):
                H, W = x.shape
                h, w = u.shape
                return np.array(
                    [[np.sum(x[j : j + h, i : i + w] * u) for i in range(W - w + 1)]
                     for j in range(H - h + 1)]
                )

            def conv2d_loops(x, u):
                return convolve(x, u)
            """,
            "usa ['convolve']",
        ),
        "in_place": (
            """
            def conv2d_loops(x, u):
                H, W = x.shape
                h, w = u.shape
                u *= -1.0
                o = np.zeros((H - h + 1, W - w + 1))
                for j in range(H - h + 1):
                    for i in range(W - w + 1):
                        o[j, i] = -np.sum(x[j : j + h, i : i + w] * u)
                return o
            """,
            "ha modificado su argumento número 2",
        ),
        "list": (_loops().replace("return o", "return o.tolist()"), "numpy.ndarray"),
        "matrix": (_loops().replace("return o", "return np.asmatrix(o)"), "numpy.ndarray"),
        "int_dtype": (_loops(zeros="int"), "tipo float"),
    },
    "to_unit_range": {
        "float32": (
            "def to_unit_range(img):\n    return img.astype(np.float32) / 127.5 - 1",
            "usa float64",
        ),
        "in_place": (
            """
            def to_unit_range(img):
                out = img / 127.5 - 1
                img[...] = 0
                return out
            """,
            "ha modificado la imagen",
        ),
        "list": ("def to_unit_range(img):\n    return (img / 127.5 - 1).tolist()", "numpy.ndarray"),
        "matrix": (
            "def to_unit_range(img):\n    return np.asmatrix(img / 127.5 - 1)",
            "numpy.ndarray",
        ),
    },
    "loss_grad": {
        "in_place": (
            """
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x])
                err -= t
                t *= 0.0
                return 2 * sum(cnncourse.conv2d(xk, ek) for xk, ek in zip(x, err)) / err.size
            """,
            "ha modificado las respuestas t",
        ),
        "list": (
            """
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                g = 2 * sum(cnncourse.conv2d(xk, ek) for xk, ek in zip(x, err)) / err.size
                return g.tolist()
            """,
            "numpy.ndarray",
        ),
    },
}

# Classic mistakes: the hint the visible test must give (from the values received)
_GRAD = "2 * sum(cnncourse.conv2d(xk, ek) for xk, ek in zip(x, err))"
HINTS = {
    "conv2d_loops": {
        "blank": ("def conv2d_loops(x, u):\n    raise NotImplementedError()", "sin hacer"),
        "flipped": (_loops("o[j, i] = np.sum(x[j : j + h, i : i + w] * u[::-1, ::-1])"), "girado"),
        "off_by_one": (_loops().replace("+ 1", ""), "error por uno"),
        # the lecture's "w x h" read literally: crashes on the 3 x 2 kernel, right on squares
        "lecture_order_kernel_shape": (
            _loops().replace("h, w = u.shape", "w, h = u.shape"),
            "`h, w = u.shape`",
        ),
        "transposed_kernel": (
            _loops("o[j, i] = np.sum(x[j : j + h, i : i + w] * u.T)"),
            "traspuesto",
        ),
        "rows_cols_swapped": (
            """
            def conv2d_loops(x, u):
                W, H = x.shape
                w, h = u.shape
                o = np.zeros((W - w + 1, H - h + 1))
                for i in range(W - w + 1):
                    for j in range(H - h + 1):
                        o[i, j] = np.sum(x[i:i + h, j:j + w] * u)
                return o
            """,
            "usas h donde va w",
        ),
    },
    "to_unit_range": {
        "blank": ("def to_unit_range(img):\n    raise NotImplementedError()", "sin hacer"),
        "uint8_overflow": ("def to_unit_range(img):\n    return img * 2 / 255 - 1", "desborda"),
        "divide_by_127": ("def to_unit_range(img):\n    return img / 127 - 1", "divides entre 127"),
        "divide_by_128": (
            "def to_unit_range(img):\n    return (img.astype(float) - 128) / 128",
            "divides entre 128",
        ),
        "zero_one": ("def to_unit_range(img):\n    return img / 255", "van de 0 a 1"),
        "no_minus_one": ("def to_unit_range(img):\n    return img / 127.5", "falta restar 1"),
        "reversed": ("def to_unit_range(img):\n    return 1 - img / 127.5", "Al revés"),
    },
    "loss_grad": {
        "blank": ("def loss_grad(x, u, t):\n    raise NotImplementedError()", "sin hacer"),
        "no_factor_two": (
            f"""
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                return {_GRAD} / 2 / err.size
            """,
            "falta el factor 2",
        ),
        "sign": (
            f"""
            def loss_grad(x, u, t):
                err = t - np.stack([cnncourse.conv2d(xk, u) for xk in x])
                return {_GRAD} / err.size
            """,
            "el signo está cambiado",
        ),
        "sum_not_mean": (
            f"""
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                return {_GRAD}
            """,
            "has sumado en vez de promediar",
        ),
        "divided_by_n_only": (
            f"""
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                return {_GRAD} / len(x)
            """,
            "divides solo entre N = 3",
        ),
        "divided_by_hw_only": (
            f"""
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                return {_GRAD} / err[0].size
            """,
            "divides solo entre Ho·Wo = 35",
        ),
        "one_gradient_per_image": (
            """
            def loss_grad(x, u, t):
                err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
                return np.stack([cnncourse.conv2d(xk, ek) for xk, ek in zip(x, err)]) * 2 / err.size
            """,
            "un gradiente por imagen",
        ),
        # a blank conv2d_loops: named, not «this exercise (loss_grad) is blank»
        "blank_conv2d_loops": (
            "def conv2d_loops(x, u):\n    raise NotImplementedError()\n\n\n"
            "def loss_grad(x, u, t):\n"
            "    err = np.stack([conv2d_loops(xk, u) for xk in x]) - t\n"
            "    return 2 * sum(conv2d_loops(xk, ek) for xk, ek in zip(x, err)) / err.size",
            "Está sin hacer (todavía",
        ),
        # the cascade: an off-by-one conv2d_loops makes loss_grad fail broadcasting
        "cascade_wrong_conv2d_loops": (
            _src(_loops().replace("+ 1", ""))
            + "\n\n\n"
            + _src(
                """
                def loss_grad(x, u, t):
                    err = np.stack([conv2d_loops(xk, u) for xk in x]) - t
                    return 2 * sum(conv2d_loops(xk, ek) for xk, ek in zip(x, err)) / err.size
                """
            ),
            "Tu conv2d_loops falla: arréglala primero",
        ),
    },
}

# Right answers written in other ways: they pass the visible and the hidden checks
RIGHT = {
    "conv2d_loops": """
        def conv2d_loops(x, u):
            h, w = u.shape
            windows = np.lib.stride_tricks.sliding_window_view(x, (h, w))
            return np.einsum("jinm,nm->ji", windows, u).astype(float)
        """,
    "to_unit_range": """
        def to_unit_range(img):
            return (img.astype(np.float64) - 127.5) / 127.5
        """,
    # after the cascade probe above, conv2d_loops is defined again (right) with it
    "loss_grad": _src(_loops())
    + "\n\n\n"
    + _src(
        """
        def loss_grad(x, u, t):
            N, H, W = x.shape
            h, w = u.shape
            Ho, Wo = t.shape[1:]
            g = np.zeros((h, w))
            for k in range(N):
                err = conv2d_loops(x[k], u) - t[k]
                for n in range(h):
                    for m in range(w):
                        g[n, m] += np.sum(err * x[k, n : n + Ho, m : m + Wo])
            return 2 * g / (N * Ho * Wo)
        """
    ),
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
    "conv2d_loops": lambda G, fn, ns: G.hidden_conv2d(fn, ns),
    "to_unit_range": lambda G, fn, ns: G.hidden_unit_range(fn),
    "loss_grad": lambda G, fn, ns: G.hidden_loss_grad(fn, ns),
}


def _define(source: str, name: str):
    import scipy.signal  # noqa: F401 - loaded, as in a kernel where a student imported it

    ns = {"np": np, "cnncourse": cnncourse, "__name__": "__main__"}
    exec(compile(_src(source), "<answer>", "exec"), ns)  # noqa: S102 - test fixtures
    if name == "loss_grad" and "conv2d_loops" not in ns:
        exec(compile(_src(_loops()), "<answer>", "exec"), ns)  # noqa: S102
    return ns[name], ns


@pytest.mark.parametrize(
    "grade_id, variant", [(g, v) for g, variants in RULE_BREAKS.items() for v in variants]
)
def test_rule_breaks_lose_their_points_with_the_hidden_checks(grade_id, variant):
    fn, ns = _define(RULE_BREAKS[grade_id][variant][0], grade_id)
    with pytest.raises(AssertionError):
        HIDDEN[grade_id](grading.trusted(ns), fn, ns)


@pytest.mark.parametrize("grade_id", sorted(RIGHT))
def test_right_answers_written_differently_pass_the_hidden_checks(grade_id):
    fn, ns = _define(RIGHT[grade_id], grade_id)
    for _ in range(5):  # random sizes on each run
        HIDDEN[grade_id](grading.trusted(ns), fn, ns)


def test_hidden_to_unit_range_names_float32_and_the_divisor():
    G = grading.trusted({})
    with pytest.raises(AssertionError, match="usa float64"):
        G.hidden_unit_range(lambda img: img.astype(np.float32) / 127.5 - 1)
    with pytest.raises(AssertionError, match="divides entre 127"):
        G.hidden_unit_range(lambda img: img / 127 - 1)


def test_hidden_loss_grad_names_the_mean_over_every_output():
    def divided_by_n(x, u, t):
        err = np.stack([cnncourse.conv2d(xk, u) for xk in x]) - t
        return 2 * sum(cnncourse.conv2d(xk, ek) for xk, ek in zip(x, err, strict=True)) / len(x)

    with pytest.raises(AssertionError, match="divides solo entre N|sumado en vez de promediar"):
        grading.trusted({}).hidden_loss_grad(divided_by_n, {})


# --------------------------------------------------------------------------------------
# The hints themselves, from the values received
# --------------------------------------------------------------------------------------
IMG = np.array([[0, 255, 51], [204, 128, 100]], dtype=np.uint8)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda i: i / 127 - 1, "divides entre 127"),
        (lambda i: (i.astype(float) - 128) / 128, "divides entre 128"),
        (lambda i: i * 2 / 255 - 1, "desborda"),
        (lambda i: i // 127.5 - 1, "división entera"),
        (lambda i: np.round(i / 127.5 - 1, 1), "no redondees"),
        (lambda i: i / 255, "van de 0 a 1"),
    ],
)
def test_unit_range_hint_names_the_real_cause(answer, phrase):
    hint = grading.explain_unit_range(answer(IMG), IMG)
    assert phrase in hint, hint
    assert "Conviertes a float" not in hint
    assert grading.explain_unit_range(IMG / 127.5 - 1, IMG) == ""


def test_loss_grad_hint_reads_the_factor_from_the_values():
    x, t = np.zeros((3, 6, 10)), np.zeros((3, 5, 7))
    g = np.arange(1.0, 9.0).reshape(2, 4)
    cases = {
        0.5: "falta el factor 2",
        -1.0: "el signo está cambiado",
        105.0: "has sumado en vez de promediar",
        35.0: "divides solo entre N = 3",
        3.0: "divides solo entre Ho·Wo = 35",
        1 / 3: "dos veces entre N",
        -0.5: "el signo está cambiado (el error es o - t, no t - o); falta el factor 2",
    }
    for factor, phrase in cases.items():
        hint = grading.explain_loss_grad(g * factor, g, x, t)
        assert phrase in hint, (factor, hint)
    assert "girado 180°" in grading.explain_loss_grad(g[::-1, ::-1], g, x, t)
    assert "traspuesto" in grading.explain_loss_grad(g.T, g, x, t)
    assert grading.explain_loss_grad(g, g, x, t) == ""


def test_probe_conv2d_loops():
    def right(x, u):
        return cnncourse.conv2d(x, u)

    def transposed(x, u):
        H, W = x.shape
        h, w = u.shape
        o = np.zeros((H - h + 1, W - w + 1))
        for j in range(H - h + 1):
            for i in range(W - w + 1):
                o[j, i] = np.sum(x[j : j + h, i : i + w] * u.T)
        return o

    assert grading.probe_conv2d_loops(right) == ""
    assert "girado" in grading.probe_conv2d_loops(lambda x, u: right(x, u[::-1, ::-1]))
    assert "traspuesto" in grading.probe_conv2d_loops(transposed)
    assert "np.ndarray" in grading.probe_conv2d_loops(lambda x, u: right(x, u).tolist())


# --------------------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grade_id, words",
    [
        (
            "conv2d_loops",
            [
                "`np.ndarray` nuevo de tipo `float`",
                "(H - h + 1, W - w + 1)",
                "no modifiques la entrada `x` ni el kernel `u`",
                "cnncourse.conv2d",
                "np.convolve",
                "scipy.signal",
                "aunque la hayas escrito tú",
            ],
        ),
        ("to_unit_range", ["`np.ndarray`", "float64", "misma forma", "No modifiques `img`"]),
        (
            "loss_grad",
            ["`np.ndarray` nuevo de tipo `float`", "misma forma que `u`", "No modifiques"],
        ),
    ],
)
def test_statements_say_every_rule(grade_id, words):
    text = statement_of(load(NAME), grade_id)
    missing = [w for w in words if w not in text]
    assert not missing, f"{grade_id}: the statement does not say {missing}"


# --------------------------------------------------------------------------------------
# Issue 18, point 1: the learned vertical-line detector is unique and detects lines
# --------------------------------------------------------------------------------------
def _prose(nb) -> str:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return " ".join(text.split())


def _scenes_and_optimum():
    images, targets, _ = data.line_scenes(n=64, size=12, seed=0)
    windows = data.window_matrix(images)
    best = np.linalg.lstsq(windows, targets.ravel(), rcond=None)[0].reshape(3, 3)
    return images, targets, windows, best


# Appended to the executed notebook: the section's claims, on its own variables
_SECTION_CHECKS = """
assert np.linalg.matrix_rank(A) == 9 and np.linalg.matrix_rank(A_clean) == 5
assert np.abs(A_clean @ z.ravel()).max() < 1e-12 < np.abs(A @ z.ravel()).max()
for u_end in (u_zero, u_rand):  # the same kernel from zero and from a random start
    assert np.max(np.abs(u_end - u_best)) < 2e-3, u_end - u_best
assert np.max(np.abs(snaps_rand["paso 0"] - u_best)) > 0.5  # the start was far away
assert np.all(u[:, 1] > 0.05) and np.all(u[:, [0, 2]] < -0.02), u
ratios = (u / u[:, 1:2])[:, [0, 2]]
assert np.all((ratios > -0.5) & (ratios < -0.3)), ratios  # «algo menos de la mitad»
assert similarity(u, reference) > 0.5 > 3 * abs(similarity(u, reference.T))
assert similarity(no_brightness, reference) > 0.99  # without its brightness: [-1, 2, -1]
assert abs(losses_zero[-1] - best_loss) < 1e-9 and abs(losses_rand[-1] - best_loss) < 1e-6
print("SECTION-OK")
"""


def test_the_learned_detector_section_runs_and_finds_the_unique_line_detector():
    """The notebook, run with the solution's loss_grad: the windows' matrix has full rank
    (the clean lines rank 5), gradient descent from zero and from a random start ends at the
    least-squares kernel, which has a bright centre column and negative sides and responds
    on the photo like [-1, 2, -1] per row, not like its transpose."""
    nb = load(NAME)
    nb.cells.append(nbformat.v4.new_code_cell(_SECTION_CHECKS))
    done = execute(nb)
    failed = [(i, e.ename, e.evalue) for i, c in enumerate(done.cells) for e in errors(c)]
    assert not failed, failed
    assert "SECTION-OK" in done.cells[-1].outputs[0].text


def test_the_numbers_in_the_text_are_the_computed_ones():
    """Every number the prose gives about the scenes and the learned kernel."""
    images, targets, windows, best = _scenes_and_optimum()
    prose = _prose(load(NAME))
    assert windows.shape == (6400, 9) and "64 \\cdot 10 \\cdot 10 = 6400" in prose
    assert np.sum(targets != 0) == 226 and np.sum(targets == 0) == 6174
    assert "226 ventanas" in prose and "6174 ventanas" in prose
    assert f"${best.sum():.3f}$" == "$0.054$" and "suman $0.054$" in prose
    assert f"{best[:, 1].sum():.2f}" == "0.32" and "unos $0.32$" in prose
    # gradient descent with step eta converges iff eta < 2 / (largest eigenvalue of the
    # Hessian 2 A^T A / n): 0.25 converges, 0.54 diverges («una tasa de 0.54 o más»)
    hessian = 2 * windows.T @ windows / len(windows)
    limit = 2 / np.linalg.eigvalsh(hessian).max()
    assert 0.53 < limit < 0.54 and "una tasa de $0.54$ o más diverge" in prose
    photo = data.load_sample_image(gray=True) / 127.5 - 1.0
    reference = np.array([[-1.0, 2.0, -1.0]] * 3)

    def similarity(kernel, other):
        a, b = cnncourse.conv2d(photo, kernel), cnncourse.conv2d(photo, other)
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    assert f"{similarity(best, reference):.2f}" == "0.63" and "correlación $0.63$" in prose
    assert f"{similarity(best, reference.T):.2f}" == "0.13" and "($0.13$)" in prose
    # the brightness: u is about 0.05 [-1, 2, -1] per row plus 0.006 per weight, and on the
    # photo that part is larger than the lines' in most pixels
    assert f"{best.mean():.3f}" == "0.006" and "más $0.006$ en cada peso" in prose
    assert np.abs(best - best.mean() - 0.05 * reference).max() < 0.02
    blur = data.kernels_2d()["desenfoque"]
    assert f"{similarity(best, blur):.2f}" == "0.84" and "desenfoque ($0.84$)" in prose
    flat = best - best.mean()
    assert f"{similarity(flat, reference):.3f}" == "0.998" and "sube a $0.998$" in prose
    lines = cnncourse.conv2d(photo, flat)
    glow = cnncourse.conv2d(photo, np.full((3, 3), best.mean()))
    larger = np.abs(glow - glow.mean()) > np.abs(lines - lines.mean())
    assert larger.mean() > 0.5 and "en la mayoría de sus píxeles, la parte del brillo" in prose
    # «una forma clara sobre un fondo ya claro llega a 1.5»: the shapes leave [-1, 1] too
    noiseless, _, _ = data.line_scenes(n=64, size=12, noise=0.0, seed=0)
    assert 1.0 < np.abs(noiseless).max() <= 1.5 and "llega a $1.5$" in prose


def test_without_noise_the_optimum_uses_the_middle_row_only():
    """The text: «sin ruido [...] el óptimo solo usa la fila central»; the noise spreads the
    weight over the three rows (and keeps it small)."""
    images, targets, _ = data.line_scenes(n=64, size=12, noise=0.0, seed=0)
    clean = np.linalg.lstsq(data.window_matrix(images), targets.ravel(), rcond=None)[0]
    clean = clean.reshape(3, 3)
    assert np.abs(clean[[0, 2]]).max() < 0.02 and clean[1, 1] > 0.4, clean
    assert clean[1, 0] < -0.2 and clean[1, 2] < -0.2, clean
    *_, noisy = _scenes_and_optimum()
    assert np.all(noisy[[0, 2], 1] > 0.05) and noisy[:, 1].sum() < clean[:, 1].sum()
    assert "`data.line_scenes(noise=0)`, el óptimo solo usa la fila central" in _prose(load(NAME))


def test_the_clean_lines_only_fix_row_and_column_sums():
    """Why the data changed: on lines across a uniform background every window is -1 plus
    a full row or column of +2, so x ⊛ u only depends on row and column sums (rank 5), and
    the minimum-norm optimum (lstsq, gradient descent from zero) is a column sum."""
    clean, _ = data.line_images(n=64, size=12, seed=0)
    windows = data.window_matrix(clean)
    assert np.linalg.matrix_rank(windows) == 5
    sums = np.array([np.ones(9)] + [np.eye(3)[r].repeat(3) for r in range(3)])
    sums = np.vstack([sums, [np.tile(np.eye(3)[c], 3) for c in range(3)]])
    # every window is a combination of the all-ones, row-indicator and column-indicator rows
    coef = np.linalg.lstsq(sums.T, windows.T, rcond=None)[0]
    np.testing.assert_allclose(sums.T @ coef, windows.T, atol=1e-12)
    old = np.linalg.lstsq(windows, data.vertical_line_targets(clean).ravel(), rcond=None)[0]
    old = old.reshape(3, 3)
    assert np.all(old[:, 1] > 0.3) and np.abs(old[:, [0, 2]]).max() < 0.02, old
    prose = _prose(load(NAME))
    for phrase in ("rango 5", "las 3 sumas por filas y las 3 sumas por columnas", "menor norma"):
        assert phrase in prose, phrase


def test_summary_says_which_optimum_and_why_it_is_unique():
    nb = load(NAME)
    summary = " ".join(nb.cells[index_of(nb, "nb02-md-summary")].source.split())
    for phrase in (
        "rango 9",
        "**un único kernel**",
        "desde cero y desde un kernel al azar",
        "lados negativos",
        "$[-1, 2, -1]$ en cada fila",
        "rango 5",
    ):
        assert phrase in summary, phrase
    assert "0.34" not in summary  # the old column-sum kernel


# --------------------------------------------------------------------------------------
# Issue 18, points 16-17: Spanish stubs and output, the course's terms
# --------------------------------------------------------------------------------------
ENGLISH = {"the", "of", "with", "where", "is", "are", "by", "an", "and", "shape", "every"}


def test_every_docstring_a_student_reads_is_spanish():
    nb = load(NAME)
    docstrings = [
        doc
        for cell in nb.cells
        if cell.cell_type == "code"
        for doc in re.findall(r'"""(.*?)"""', cell.source, flags=re.S)
    ]
    assert len(docstrings) >= 10  # 3 answers, 3 test cells, predict, examples, train, ...
    for doc in docstrings:
        english = ENGLISH & set(re.findall(r"[a-z]+", doc.lower()))
        assert not english, f"English in a docstring students read: {doc!r} ({english})"


@pytest.mark.parametrize(
    "old, new",
    [
        ("celda de test", "celda de comprobación"),
        ("tests ocultos", "comprobaciones ocultas"),
        ("`np.ndarray` de `float` nuevo", "`np.ndarray` nuevo de tipo `float`"),
        ("en rojo lo más claro", None),
        ("nunca gana", None),
        ("el tema", None),
        ("el *backward*", None),
        ("equivariancia", None),
    ],
)
def test_course_terms(old, new):
    prose = _prose(load(NAME))
    assert old not in prose
    if new:
        assert new in prose
