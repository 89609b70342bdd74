"""Helpers to execute the course notebooks and grade them with nbgrader's own code."""

from __future__ import annotations

import copy
import re
import textwrap
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


# --------------------------------------------------------------------------------------
# Shared by the per-notebook test files (test_notebook_04.py, ...)
# --------------------------------------------------------------------------------------
def structure_problems(name: str, prefix: str, exercises: dict[str, int]) -> list[str]:
    """What breaks the course's notebook pattern in ``name`` ([] when nothing does).

    Goals first, a locked setup cell that imports the checks, a summary last; every
    solution cell introduced by a ✏️ statement and followed by its locked, graded test
    cell (one-line docstring, a visible hint from ``checks``, a hidden block that calls
    the trusted checks); the exercises and their points are ``exercises``.
    """
    cells = load(name).cells
    out = []
    ids = [nbgrader_meta(c)["grade_id"] for c in cells if nbgrader_meta(c)]
    if len(ids) != len(set(ids)):
        out.append("duplicate grade_ids")
    first, setup, last = (nbgrader_meta(cells[k]) for k in (0, 1, -1))
    if first.get("grade_id") != f"{prefix}-md-goals" or "**Objetivos.**" not in cells[0].source:
        out.append("the first cell is not the goals cell")
    if setup.get("grade_id") != f"{prefix}-setup" or not setup.get("locked"):
        out.append("the second cell is not the locked setup cell")
    if "import cnncourse._grading as checks" not in cells[1].source:
        out.append("the setup cell does not import the checks")
    if last.get("grade_id") != f"{prefix}-md-summary" or not cells[-1].source.startswith(
        "## Resumen"
    ):
        out.append("the last cell is not the summary")
    found = {}
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        gid, test = meta["grade_id"], cells[i + 1]
        tmeta = nbgrader_meta(test)
        lines = test.source.splitlines()
        checks = [
            (not meta["grade"] and not meta["locked"], "solution cell graded or locked"),
            (tmeta.get("grade_id") == f"test_{gid}", "not followed by its test cell"),
            (tmeta.get("grade") and tmeta.get("locked"), "test cell not graded and locked"),
            (lines[0].startswith('"""') and lines[0].endswith('"""'), "no one-line docstring"),
            ("### BEGIN HIDDEN TESTS" in test.source, "no hidden block"),
            ("_grading.trusted(globals()).hidden_" in test.source, "hidden block not trusted"),
            ("checks.explain_" in test.source, "the visible test gives no hint"),
            (cells[i - 1].cell_type == "markdown" and "✏️" in cells[i - 1].source, "no ✏️"),
        ]
        out += [f"{gid}: {why}" for ok, why in checks if not ok]
        found[gid] = tmeta.get("points")
    if found != exercises:
        out.append(f"exercises and points {found} != {exercises}")
    return out


def visible_part(test_source: str) -> str:
    """A test cell as students get it: the hidden block removed (nbgrader's ClearHiddenTests)."""
    return re.sub(
        r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", "", test_source, flags=re.S
    )


def wrong_answer_problems(
    name, wrong, right=None, timeout: int = 180, visible_only: bool = False
) -> list[str]:
    """Run ``name`` once; after it, each wrong answer then its exercise's test cell.

    ``wrong``: {grade_id: {variant: (source, Spanish phrase the test must print)}};
    ``right``: {grade_id: source} of correct answers written differently, which must
    pass. ``visible_only``: the probes run the test cells without their hidden block, as a
    student runs them before submitting (a rule must be caught there, not only when
    grading). Returns the problems ([] when every wrong answer fails naming its mistake).
    """
    nb = load(name)
    base_len = len(nb.cells)
    probes = []  # (index of the probe's test cell, exercise, variant, phrase or None)
    for grade_id, variants in wrong.items():
        solution = cell_by_id(nb, grade_id)
        test = nb.cells[index_of(nb, grade_id) + 1]
        test_source = visible_part(test.source) if visible_only else test.source
        variants = dict(variants)
        if right and grade_id in right:
            variants["right_but_different"] = (right[grade_id], None)
        for variant, (source, phrase) in variants.items():
            src = textwrap.dedent(source).strip("\n")
            nb.cells += [nbformat.v4.new_code_cell(src), nbformat.v4.new_code_cell(test_source)]
            probes.append((len(nb.cells) - 1, grade_id, variant, phrase))
        nb.cells.append(nbformat.v4.new_code_cell(solution.source))  # restore
    for k, cell in enumerate(nb.cells[base_len:]):
        cell.id = f"probe-{k}"
    done = execute(nb, timeout=timeout)
    base_errors = [c.id for c in done.cells[:base_len] if errors(c)]
    if base_errors:
        return [f"the solution form failed in {base_errors}"]
    problems = []
    for idx, grade_id, variant, phrase in probes:
        errs = errors(done.cells[idx])
        label = f"{grade_id}/{variant}"
        if phrase is None:
            if errs:
                problems.append(f"{label}: a right answer failed: {errs[0].evalue}")
        elif not errs:
            problems.append(f"{label}: passed its test")
        elif phrase not in errs[0].evalue:
            problems.append(f"{label}: message lacks {phrase!r}: {errs[0].ename}: {errs[0].evalue}")
    return problems


def cheat_result(name: str, grade_id: str, source: str):
    """(errors of the test cell, its score) when ``source`` replaces the solution of
    ``grade_id`` in a fresh kernel (the notebook is run up to that test cell)."""
    src = textwrap.dedent(source).strip("\n")
    done = execute(truncated(with_solution(load(name), grade_id, src), f"test_{grade_id}"))
    return errors(done.cells[-1]), scores(done)[f"test_{grade_id}"][0]


def merged_variants(*tables: dict) -> dict:
    """{grade_id: {variant: ...}} tables merged into one (later tables add variants)."""
    out: dict = {}
    for table in tables:
        for grade_id, variants in table.items():
            out.setdefault(grade_id, {}).update(variants)
    return out


def statement_of(nb, grade_id: str) -> str:
    """The ✏️ statement of exercise ``grade_id``: the nearest ✏️ cell above its answer."""
    k = index_of(nb, grade_id) - 1
    while "✏️" not in nb.cells[k].source:
        k -= 1
    return nb.cells[k].source
