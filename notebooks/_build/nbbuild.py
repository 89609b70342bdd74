"""Helpers to write the course notebooks from Python sources (cells as strings).

Each ``build_XX.py`` lists its cells with :func:`md`, :func:`code`, :func:`solution`
and :func:`tests`, then calls :func:`write`. The .ipynb files are written without
outputs or execution counts and with nbgrader metadata (schema_version 3):

* ``md``/``code`` cells are read-only (``locked``) unless ``locked=False``;
* ``solution`` cells hold the student's code between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``;
* ``tests`` cells are graded (``grade: true``), locked and worth ``points``; they may
  contain a ``### BEGIN HIDDEN TESTS`` block.

Concept ids from OUTLINE.md go in ``metadata["concepts"]``.

Run ``python notebooks/_build/build_all.py`` after editing a build script.

The notebooks are linted like the rest of the code (``ruff check`` and ``ruff format
--check``; ``notebooks/ruff.toml`` formats their cells at 96 columns, so that the cell
strings, indented by 4 here, fit in 100). Write code cells as ruff formats them: after
building, ``ruff format --diff notebooks/*.ipynb`` shows what to change in the script.
Cell strings hold the code verbatim: raw strings when it has a backslash, and single
quotes (three of them) when it has a docstring.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent


class Notebook:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.cells = []
        self._ids = set()
        self._auto = 0

    def _grade_id(self, grade_id, kind):
        if grade_id is None:
            self._auto += 1
            grade_id = f"{self.prefix}-{kind}-{self._auto:02d}"
        if grade_id in self._ids:
            raise ValueError(f"duplicate grade_id {grade_id!r}")
        self._ids.add(grade_id)
        return grade_id

    def _nbgrader(self, grade_id, *, grade=False, solution=False, locked=False, points=None):
        meta = {
            "schema_version": 3,
            "grade_id": grade_id,
            "grade": grade,
            "solution": solution,
            "locked": locked,
            "task": False,
        }
        if points is not None:
            meta["points"] = points
        return meta

    def _add(self, cell, concepts, nbgrader):
        if concepts:
            cell.metadata["concepts"] = list(concepts)
        if nbgrader is not None:
            cell.metadata["nbgrader"] = nbgrader
        self.cells.append(cell)
        return cell

    def md(self, text, concepts=(), locked=True, grade_id=None):
        text = textwrap.dedent(text).strip("\n")
        nbg = self._nbgrader(self._grade_id(grade_id, "md"), locked=True) if locked else None
        return self._add(nbformat.v4.new_markdown_cell(text), concepts, nbg)

    def code(self, src, concepts=(), locked=False, grade_id=None):
        src = textwrap.dedent(src).strip("\n")
        nbg = self._nbgrader(self._grade_id(grade_id, "code"), locked=True) if locked else None
        return self._add(nbformat.v4.new_code_cell(src), concepts, nbg)

    def solution(self, src, grade_id, concepts=()):
        src = textwrap.dedent(src).strip("\n")
        if "### BEGIN SOLUTION" not in src or "### END SOLUTION" not in src:
            raise ValueError(f"solution cell {grade_id} lacks BEGIN/END SOLUTION markers")
        nbg = self._nbgrader(self._grade_id(grade_id, "solution"), solution=True)
        return self._add(nbformat.v4.new_code_cell(src), concepts, nbg)

    def tests(self, src, grade_id, points, concepts=()):
        src = textwrap.dedent(src).strip("\n")
        if not re.match(r'^"""', src):
            raise ValueError(f"test cell {grade_id} must open with a one-line docstring")
        nbg = self._nbgrader(
            self._grade_id(grade_id, "tests"), grade=True, locked=True, points=points
        )
        return self._add(nbformat.v4.new_code_cell(src), concepts, nbg)

    def to_notebook(self):
        """The notebook node (no outputs, no execution counts), validated."""
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        nb.cells = self.cells
        for cell in nb.cells:  # stable ids keep diffs small
            cell.id = cell.metadata.get("nbgrader", {}).get("grade_id") or None
        for i, cell in enumerate(nb.cells):
            if not cell.id:
                cell.id = f"{self.prefix}-cell-{i:02d}"
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.validate(nb)
        return nb

    def write(self, name, directory=None):
        path = Path(directory or NOTEBOOKS) / name
        nbformat.write(self.to_notebook(), path)
        return path
