"""Helpers to execute the course notebooks and grade them with nbgrader's own code."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
COURSE_NOTEBOOKS = [
    "01_conv1d.ipynb",
    "02_conv2d.ipynb",
    "03_rgb.ipynb",
    "04_hyperparameters.ipynb",
    "05_pooling.ipynb",
    "06_architectures.ipynb",
]
OUTLINE = ROOT.parent / "shared" / "course" / "OUTLINE.md"
# The ids of OUTLINE.md's sections the notebooks teach so far: Introduction, 1D and 2D
# convolution (01-03), Hyperparameters (04), Pooling (05) and Architectures (06): all of them.
CONCEPTS_01_03 = [f"I{k}" for k in range(1, 6)] + [f"C{k}" for k in range(1, 8)]
CONCEPTS_04_05 = [f"H{k}" for k in range(1, 6)] + [f"P{k}" for k in range(1, 5)]
CONCEPTS_06 = [f"A{k}" for k in range(1, 9)]
CONCEPTS_TAUGHT = CONCEPTS_01_03 + CONCEPTS_04_05 + CONCEPTS_06
OUTLINE_SECTIONS = (
    "Introduction",
    "1D convolution",
    "2D convolution",
    "Hyperparameters",
    "Pooling",
    "Architectures",
)


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def cell_by_id(nb, grade_id: str):
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def index_of(nb, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def execute(nb, timeout: int = 180, allow_errors: bool = True):
    """Run ``nb`` in a fresh python3 kernel from the notebooks folder; returns the notebook."""
    nb = copy.deepcopy(nb)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    return nb


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def student_version(nb):
    """What students receive: nbgrader's ClearSolutions + ClearHiddenTests + ClearOutput."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    from autograde.course import CODE_STUB, TEXT_STUB

    nb = copy.deepcopy(nb)
    clear = ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB)
    for pre in (clear, ClearHiddenTests(), ClearOutput()):
        nb, _ = pre.preprocess(nb, {})
    return nb


def restore_grade_cells(submission, source):
    """What autograde does before running: put back the source's test cells (hidden tests
    included) over the submission's, matching them by grade_id."""
    submission = copy.deepcopy(submission)
    for i, cell in enumerate(submission.cells):
        meta = nbgrader_meta(cell)
        if meta.get("grade") or meta.get("locked"):
            original = cell_by_id(source, meta["grade_id"])
            submission.cells[i] = copy.deepcopy(original)
    return submission


def scores(executed) -> dict[str, tuple[float, float]]:
    """{grade_id: (score, max_score)} for every graded code cell, by nbgrader's rules."""
    from nbgrader.utils import determine_grade

    out = {}
    for cell in executed.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            score, max_score = determine_grade(cell)
            out[meta["grade_id"]] = (score, max_score)
    return out


def with_solution(nb, grade_id: str, source: str):
    """A copy of ``nb`` whose solution cell ``grade_id`` holds ``source`` instead."""
    nb = copy.deepcopy(nb)
    cell_by_id(nb, grade_id).source = source
    return nb


def truncated(nb, last_grade_id: str):
    """The notebook up to and including the cell ``last_grade_id``."""
    nb = copy.deepcopy(nb)
    nb.cells = nb.cells[: index_of(nb, last_grade_id) + 1]
    return nb


def outline_concepts(path: Path = OUTLINE) -> list[str]:
    """Concept ids of the OUTLINE.md sections in ``OUTLINE_SECTIONS``."""
    ids, keep = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            keep = line[3:].strip().startswith(OUTLINE_SECTIONS)
        m = re.match(r"- ([A-Z]\d+) ", line)
        if keep and m:
            ids.append(m.group(1))
    return ids


def tagged_concepts(names=COURSE_NOTEBOOKS) -> set[str]:
    tags = set()
    for name in names:
        for cell in load(name).cells:
            tags.update(cell.metadata.get("concepts", []))
    return tags
