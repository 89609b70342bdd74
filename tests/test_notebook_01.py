"""Notebook 01 (introduction and 1D convolution): the second review (issue 18).

* point 11: the library demo and the "1000 filtros" count come after the student's
  conv1d_loops; «campo receptivo» and «compartición de pesos» are named where the lecture's
  principles are introduced (the same kernel over the whole input is weight sharing, not
  locality); the bridge from a dense layer to a convolution counts each step for the
  lecture's 100 x 100 image, and its banded weight matrix computes the convolution;
* point 13: the timing section neither calls nor explains cnncourse.load_kernels (the
  library waits for its compiled code itself) and says «función compilada»;
* points 16-17: the docstrings a student reads are Spanish; the course's terms.
"""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
from _nbutils import index_of, load

import cnncourse
from cnncourse import data

NAME = "01_conv1d.ipynb"


@pytest.fixture(scope="module")
def nb():
    return load(NAME)


def _markdown(nb) -> list[str]:
    return [" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown"]


def _cell_with(nb, text: str, kind: str = "code"):
    found = [c for c in nb.cells if c.cell_type == kind and text in c.source]
    assert len(found) == 1, f"expected one {kind} cell with {text!r}, found {len(found)}"
    return found[0]


def _run(source: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)  # noqa: S102 - a cell of our own notebook
    return out.getvalue()


def _solutions(nb) -> dict:
    """The notebook's setup and answers, run: the namespace its later cells see."""
    ns: dict = {}
    _run(nb.cells[1].source, ns)
    for gid in ("dense_params", "conv1d_loops"):
        _run(nb.cells[index_of(nb, gid)].source, ns)
    return ns


# --------------------------------------------------------------------------------------
# Point 11: order, the lecture's two ideas, the bridge from a dense layer
# --------------------------------------------------------------------------------------
def test_the_library_demo_comes_after_the_students_conv1d_loops(nb):
    after = index_of(nb, "test_conv1d_loops")
    for k, cell in enumerate(nb.cells[:after]):
        assert "1000 filtros" not in cell.source, f"cell {k} counts 1000 filters too early"
        if cell.cell_type == "code":
            assert "cnncourse.conv1d(" not in cell.source, f"cell {k} uses the library early"
            assert "equivariante" not in cell.source, f"cell {k}: the demo is before conv1d"
    demo = _cell_with(nb, "np.roll(pattern")
    assert nb.cells.index(demo) > after
    assert "conv1d_loops(pattern, u)" in demo.source  # the student's own function


def test_the_lectures_two_ideas_are_named_where_the_principles_are(nb):
    principles = _cell_with(nb, "## 1. ¿Es posible", "markdown").source
    text = " ".join(principles.split())
    assert "**campo receptivo**" in text and "**Compartición de pesos**" in text
    # the kernel sliding over the whole input is weight sharing, not locality
    bullets = [b for b in re.split(r"\n\s*\* ", principles) if "localidad" in b]
    assert bullets and not any("mismo kernel" in b for b in bullets), bullets
    sharing = next(b for b in re.split(r"\n\s*\* ", principles) if "Compartición" in b)
    assert "mismo kernel" in sharing
    bridge = " ".join(_cell_with(nb, "## 7. De la capa densa", "markdown").source.split())
    for words in ("**campo receptivo**", "**compartición de pesos**", "localmente conectada"):
        assert words in bridge, words


def test_bridge_counts_each_step_for_the_lectures_image(nb):
    """The counts the prose states are the ones the cell prints and the formulas give."""
    ns = _solutions(nb)
    printed = _run(_cell_with(nb, "counts = {").source, ns)
    neurons = (100 - 3 + 1) ** 2
    expected = {
        "1. densa": 100 * 100 * neurons + neurons,
        "2. local": neurons * (3 * 3 + 1),
        "3. local y con pesos compartidos": 3 * 3 + 1,
        "1000 filtros": 1000 * (3 * 3 + 1),
    }
    assert expected == {
        "1. densa": 96_049_604,
        "2. local": 96_040,
        "3. local y con pesos compartidos": 10,
        "1000 filtros": 10_000,
    }
    lines = printed.splitlines()
    for label, count in expected.items():
        line = next(x for x in lines if x.startswith(label))
        assert f"{count:_}".replace("_", " ") + " parámetros" in line, line
    bridge = _cell_with(nb, "## 7. De la capa densa", "markdown").source
    for number in (r"96\,049\,604", r"96\,040", r"9\,604", r"10\,000", r"10\,001\,000"):
        assert number in bridge, number
    summary = nb.cells[-1].source
    assert "96 049 604" in summary and "96 040" in summary


def test_the_banded_weight_matrix_of_the_bridge_is_a_convolution(nb):
    """The cell's construction (local rows, the same weights in each) gives M @ x = x ⊛ u,
    for the lecture's voltage and for other signals and kernels."""
    ns = _solutions(nb)
    cell = _cell_with(nb, "M = np.zeros(")
    printed = _run(cell.source, ns)
    assert "M @ x              = [0. 0. 0. 1. 1. 1. 0.]" in printed
    assert "conv1d_loops(x, u) = [0. 0. 0. 1. 1. 1. 0.]" in printed
    np.testing.assert_array_equal(ns["M"] @ data.voltage_signal(), [0, 0, 0, 1, 1, 1, 0])
    gen = np.random.default_rng(18)
    for W, w in ((8, 2), (13, 4), (30, 7), (5, 5)):
        x, u = gen.normal(size=W), gen.normal(size=w)
        source = cell.source.replace("x = data.voltage_signal()", "").replace(
            "u = np.array([-1.0, 1.0])", ""
        )
        ns.update(x=x, u=u)
        _run(source, ns)
        M = ns["M"]
        assert M.shape == (W - w + 1, W)
        assert np.count_nonzero(M) <= (W - w + 1) * w  # local: w weights per row
        np.testing.assert_allclose(M @ x, cnncourse.conv1d(x, u), atol=1e-12)


# --------------------------------------------------------------------------------------
# Point 13: the timing section
# --------------------------------------------------------------------------------------
def test_timing_section_leaves_the_librarys_loading_to_the_library(nb):
    for cell in nb.cells:
        assert "load_kernels" not in cell.source, "the library waits for its code itself"
    section = " ".join(_cell_with(nb, "### ¿Cuánto se gana?", "markdown").source.split())
    assert "función compilada" in section
    assert not re.search(r"\bkernels? (de Numba|compilad)", section), section
    # one line on what is done before timing (the student's own compilation)
    assert "Antes de medir llamamos una vez a tu `conv1d_numba`" in section
    assert "segundo plano" not in section


# --------------------------------------------------------------------------------------
# Points 16-17: Spanish stubs, and the course's terms
# --------------------------------------------------------------------------------------
ENGLISH = {"the", "of", "with", "where", "is", "are", "by", "an", "and", "as", "under", "shape"}


def test_every_docstring_a_student_reads_is_spanish(nb):
    docstrings = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            docstrings += re.findall(r'"""(.*?)"""', cell.source, flags=re.S)
    assert len(docstrings) >= 9  # 4 answers, 4 test cells, the test's helper
    for doc in docstrings:
        english = ENGLISH & set(re.findall(r"[a-z]+", doc.lower()))
        assert not english, f"English in a docstring students read: {doc!r} ({english})"


@pytest.mark.parametrize(
    "old, new",
    [
        ("celda de test", "celda de comprobación"),
        ("tests ocultos", "comprobaciones ocultas"),
        ("equivariancia", "equivarianza"),
        ("el *backward*", None),
        ("el tema", None),
    ],
)
def test_course_terms(nb, old, new):
    prose = " ".join(_markdown(nb)).lower()
    assert old not in prose
    if new:
        assert new in prose
