"""A tiny nbgrader notebook built in code, for tests and as a fallback assignment.

``00_toy`` has two graded exercises (1 and 2 points) in the same shape as the
course notebooks: a solution cell delimited by ``### BEGIN SOLUTION`` and a test
cell with visible asserts and a ``### BEGIN HIDDEN TESTS`` block.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TOY_NAME = "00_toy"


def _nbg(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def toy_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# 00 · Cuaderno de prueba\nDos ejercicios mínimos."),
        new_code_cell("import numpy as np", metadata=_nbg("setup", locked=True)),
        new_markdown_cell("## Ejercicio 1\nEscribe `add_one(x)`, que suma 1 a cada elemento."),
        new_code_cell(
            "def add_one(x):\n"
            '    """Return x + 1 as a float array."""\n'
            "    ### BEGIN SOLUTION\n"
            "    return np.asarray(x, dtype=float) + 1.0\n"
            "    ### END SOLUTION",
            metadata=_nbg("add_one", solution=True),
        ),
        new_code_cell(
            '"""add_one suma 1 a cada elemento."""\n'
            "r = add_one([1.0, 2.0])\n"
            'assert np.allclose(r, [2.0, 3.0]), f"add_one([1, 2]) debería ser [2, 3], no {r}"\n'
            "### BEGIN HIDDEN TESTS\n"
            "r = add_one([0.0, -1.0, 5.0])\n"
            "assert type(r).__module__ == 'numpy', 'add_one debe devolver un array de NumPy'\n"
            "vals = [float(v) for v in r.tolist()]\n"
            "assert vals == [1.0, 0.0, 6.0], 'add_one falla con otros valores'\n"
            "### END HIDDEN TESTS",
            metadata=_nbg("test_add_one", grade=True, locked=True, points=1),
        ),
        new_markdown_cell("## Ejercicio 2\nEscribe `double(x)`, que multiplica por 2."),
        new_code_cell(
            "def double(x):\n"
            '    """Return 2 * x as a float array."""\n'
            "    ### BEGIN SOLUTION\n"
            "    return 2.0 * np.asarray(x, dtype=float)\n"
            "    ### END SOLUTION",
            metadata=_nbg("double", solution=True),
        ),
        new_code_cell(
            '"""double multiplica por 2."""\n'
            "r = double([1.0, 2.0])\n"
            'assert np.allclose(r, [2.0, 4.0]), f"double([1, 2]) debería ser [2, 4], no {r}"\n'
            "### BEGIN HIDDEN TESTS\n"
            "r = double([3.0, -0.5])\n"
            "assert type(r).__module__ == 'numpy', 'double debe devolver un array de NumPy'\n"
            "vals = [float(v) for v in r.tolist()]\n"
            "assert vals == [6.0, -1.0], 'double falla con números negativos'\n"
            "### END HIDDEN TESTS",
            metadata=_nbg("test_double", grade=True, locked=True, points=2),
        ),
        new_markdown_cell("## Resumen\nFin."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.language_info = {"name": "python"}
    return nb


def write_toy(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{TOY_NAME}.ipynb"
    nbformat.write(toy_notebook(), path)
    return path
