"""`cnncourse-grade check`: what a student reads first is what to fix first.

Small notebooks in the course's shape (an answer cell, a graded test cell, a later cell
that uses the answer) run through the real check: the real kernel, the grader's runner.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograde import check as check_mod
from autograde.toy import _nbg


def _nb(answer: str, test: str, extra: list[str] = ()) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_code_cell(
            "import numpy as np\nimport cnncourse._grading as checks",
            metadata=_nbg("setup", locked=True),
        ),
        new_code_cell(textwrap.dedent(answer).strip(), metadata=_nbg("double", solution=True)),
        new_code_cell(
            textwrap.dedent(test).strip(),
            metadata=_nbg("test_double", grade=True, locked=True, points=2),
        ),
        *[new_code_cell(textwrap.dedent(src).strip()) for src in extra],
        new_code_cell(
            '"""The last test."""\nassert 1 + 1 == 2',
            metadata=_nbg("test_last", grade=True, locked=True, points=1),
        ),
    ]
    return nb


TEST = '''
    """double multiplica por 2."""
    with checks.exercise(globals(), "double"):
        r = double(np.array([1.0, 2.0, 3.0]))
        checks.assert_close(r, [2.0, 4.0, 6.0], hint="Multiplica por 2, no sumes 2.")
'''


def _check(tmp_path, nb, **kw) -> tuple[int, str]:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    lines: list[str] = []
    code = check_mod.check(path, log=lines.append, **kw)
    return code, "\n".join(lines)


def test_syntax_error_in_the_answer_is_reported_first_with_its_line(tmp_path):
    answer = """
        def double(x):
            y = np.asarray(x, dtype=float)
            return (y * 2
    """
    code, out = _check(tmp_path, _nb(answer, TEST))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("  ERROR") and "«double»" in first, out
    assert "SyntaxError" in first and "línea 3" in first, out
    assert "return (y * 2" in out.splitlines()[1], out
    # and the test that follows does not hide it behind a bare NameError
    fail = next(ln for ln in out.splitlines() if "FAIL  test_double" in ln)
    assert "double no está definida" in fail and "ha dado un error" in fail, out
    assert out.index("ERROR") < out.index("FAIL"), out


def test_runtime_error_shows_the_last_frames_in_the_students_code(tmp_path):
    answer = """
        def helper(v):
            return v / undefined_scale

        def double(x):
            y = np.asarray(x, dtype=float)
            return helper(y) * 2
    """
    code, out = _check(tmp_path, _nb(answer, TEST))
    assert code == 1
    assert "Tu código usa undefined_scale, que no está definida" in out, out
    assert "NameError: name 'undefined_scale' is not defined" not in out.splitlines()[0]
    assert "En tu código (últimas llamadas):" in out, out
    cell = "la celda de tu solución «double» (celda 1)"
    assert f"helper, {cell}, línea 2: return v / undefined_scale" in out, out
    assert f"double, {cell}, línea 6: return helper(y) * 2" in out, out


def test_blank_exercise_is_named_as_such(tmp_path):
    answer = """
        def double(x):
            # ESCRIBE AQUÍ TU CÓDIGO
            raise NotImplementedError()
    """
    code, out = _check(tmp_path, _nb(answer, TEST))
    assert code == 1
    fail = next(ln for ln in out.splitlines() if "FAIL  test_double" in ln)
    assert "sin hacer" in fail, out
    assert "NotImplementedError: \n" not in out and not fail.rstrip().endswith(
        "NotImplementedError:"
    )


def test_the_hint_comes_first_and_is_never_cut(tmp_path):
    answer = """
        def double(x):
            return np.asarray(x, dtype=float) + 2 + np.zeros(len(x))
    """
    long_hint = "Multiplica por 2, no sumes 2. " + "Detalle que importa. " * 60 + "FIN DE LA PISTA"
    test = TEST.replace('"Multiplica por 2, no sumes 2."', repr(long_hint))
    code, out = _check(tmp_path, _nb(answer, test))
    assert code == 1
    fail = next(ln for ln in out.splitlines() if "FAIL  test_double" in ln)
    assert fail.split(": ", 1)[1].startswith("AssertionError: Multiplica por 2, no sumes 2."), out
    assert "FIN DE LA PISTA" in out, "the hint was cut"
    assert out.index("FIN DE LA PISTA") < out.index("Esperado"), out


def test_stops_at_the_first_timeout_and_names_the_cell(tmp_path):
    answer = """
        def double(x):
            while True:
                pass
    """
    slow_demo = "double(np.zeros(2))  # a demonstration cell after the test: never run"
    code, out = _check(tmp_path, _nb(answer, TEST, [slow_demo]), cell_timeout=3)
    assert code == 1
    assert "TimeoutError" in out, out
    stop = next(ln for ln in out.splitlines() if ln.startswith("  STOP"))
    assert "la celda 2 (test_double)" in stop, out
    last = next(ln for ln in out.splitlines() if "test_last" in ln)
    assert "no se ejecutó" in last and "celda 2" in last, out
    assert out.count("TimeoutError") == 1, "a later cell timed out again"


@pytest.mark.parametrize(
    "message, first",
    [
        ("\nNot equal to tolerance rtol=1e-07\nMismatched", "AssertionError: "),
        ("", "AssertionError: "),
    ],
)
def test_message_keeps_every_line_up_to_the_cap(message, first):
    err = {"ename": "AssertionError", "evalue": message + "\n" + "x\n" * 200}
    text = check_mod._message(err)
    assert text.startswith(first)
    assert text.count("\n") <= check_mod._MAX_LINES + 1
    assert "líneas más" in text
