"""Generate the demo class's submissions from the released student notebooks.

Nothing here is edited by hand: every submission is made from the *released*
student version of each notebook (what a student really starts from) by writing
the instructor's solution code into the answer cells, then applying the case the
student simulates (a wrong answer, an infinite loop, a cheat...). So the demo
follows the notebooks as they change.

Run it through ``cnncourse-grade demo`` or directly::

    python -m autograde.demo.make_demo --course out --dest out/demo_class
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import textwrap
from pathlib import Path

import nbformat

from autograde.course import Course

# -- the class -------------------------------------------------------------------

# Each student: the cases for notebook number k (0-based index in the sorted list of
# released notebooks, taken modulo their count) and a default for the other
# notebooks. "skip" means the notebook is not handed in (status not_submitted): it
# keeps the demo short. ``full=True`` turns every "skip" into "correct", so that
# every student hands in every notebook (a class of realistic size for timing).
CLASS = [
    ("ana", "correct", {}),
    ("bruno", "skip", {0: "partly_wrong", 1: "partly_wrong", 3: "partly_wrong"}),
    ("carla", "skip", {0: "blank", 1: "blank", 4: "blank", 5: "blank"}),
    ("diego", "skip", {1: "py_loop"}),
    ("elena", "skip", {0: "numba_loop"}),
    ("fabio", "skip", {2: "memory_bomb"}),
    ("gabriel", "skip", {1: "kernel_dies"}),
    ("hugo", "skip", {0: "test_edited", 1: "test_deleted"}),
    ("ines", "skip", {0: "corrupt", 1: "renamed", 2: "missing"}),
    ("javier", "nothing", {}),
    ("karla", "skip", {0: "cheat_numpy"}),
    ("luis", "skip", {1: "cheat_eq", 2: "cheat_traceback"}),
    ("marta", "skip", {0: "cheat_builtins", 2: "cheat_cnncourse"}),
]

# The status the grader must give each case (tests check every demo student).
EXPECTED_STATUS = {
    "correct": "correct",
    "skip": "not_submitted",
    "partly_wrong": "partly_wrong",
    "blank": "blank",
    "py_loop": "timeout",
    "numba_loop": "killed",
    "memory_bomb": "memory",
    "kernel_dies": "kernel_died",
    "test_edited": "test_cell_edited",
    "test_deleted": "test_cell_deleted",
    "corrupt": "corrupt",
    "renamed": "renamed",
    "missing": "missing",
    "nothing": "no_submission",
    "cheat_numpy": "cheating",
    "cheat_eq": "cheating",
    "cheat_traceback": "cheating",
    "cheat_builtins": "cheating",
    "cheat_cnncourse": "cheating",
}
NOT_HANDED_IN = ("skip", "missing", "nothing")

# Plausible, notebook-specific mistakes (grade_id of the answer cell -> text
# substitutions applied to the solution code). When an answer cell has no entry,
# or none applies, a generic mistake is used: the function's result is scaled.
MISTAKES: dict[str, list[tuple[str, str]]] = {}


def case_plan(assignments: list[str], full: bool = False) -> dict[str, dict[str, str]]:
    """student -> assignment -> case."""
    n = len(assignments)
    plan: dict[str, dict[str, str]] = {}
    for student, default, special in CLASS:
        if full and default == "skip":
            default = "correct"
        cases = {a: default for a in assignments}
        for k, case in special.items():
            cases[assignments[k % n]] = case
        plan[student] = cases
    return plan


def expected(assignments: list[str], full: bool = False) -> dict[tuple[str, str], str]:
    out = {}
    for s, cases in case_plan(assignments, full).items():
        nothing = all(c in ("skip", "nothing") for c in cases.values())
        # a file that matches no notebook makes every notebook not found "missing" (the
        # collector cannot tell which one it was meant to be), as a skipped one too
        leftovers = any(c == "missing" for c in cases.values())
        for a, c in cases.items():
            if nothing:
                out[(s, a)] = "no_submission"
            elif leftovers and c == "skip":
                out[(s, a)] = "missing"
            else:
                out[(s, a)] = EXPECTED_STATUS[c]
    return out


# -- building answers -------------------------------------------------------------------

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _region(src: str) -> tuple[list[str], list[str], list[str], str]:
    """(lines before, solution lines, lines after, indentation of the region)."""
    lines = src.splitlines()
    b = next(i for i, ln in enumerate(lines) if BEGIN in ln)
    e = next(i for i, ln in enumerate(lines) if END in ln)
    indent = re.match(r"\s*", lines[b]).group(0)
    return lines[:b], lines[b + 1 : e], lines[e + 1 :], indent


def solution_of(src: str) -> str:
    """The instructor's cell with the solution markers removed."""
    if BEGIN not in src:
        return src
    before, sol, after, _ = _region(src)
    return "\n".join(before + sol + after)


def _with_region(src: str, new_lines: list[str]) -> str:
    before, _, after, _ = _region(src)
    return "\n".join(before + new_lines + after)


def _solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def _gid(c):
    return c.metadata.get("nbgrader", {}).get("grade_id")


def _func_in_region(src: str) -> str | None:
    """Name of the function whose body holds the solution region, if any."""
    before, _, _, indent = _region(src)
    if not indent:
        return None
    for ln in reversed(before):
        m = re.match(r"\s*def\s+([A-Za-z_]\w*)\s*\(", ln)
        if m:
            return m.group(1)
    return None


def _generic_mistake(code: str, src: str) -> str:
    name = _func_in_region(src)
    if name is None:
        # a top-level answer (a number, an array): off by one
        tree = ast.parse(code)
        targets = [
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        ]
        if not targets:
            return code + "\nraise ValueError('respuesta a medias')"
        return code + f"\n{targets[-1]} = {targets[-1]} + 1  # off by one"
    return code + textwrap.dedent(
        f"""

        _{name}_ok = {name}


        def {name}(*args, **kwargs):
            # demo: a mistake that changes every value a little
            return _{name}_ok(*args, **kwargs) * 0.9
        """
    )


def wrong_answer(src: str, gid: str) -> str:
    code = solution_of(src)
    for old, new in MISTAKES.get(gid, []):
        if old in code:
            return code.replace(old, new)
    return _generic_mistake(code, src)


NUMBA_LOOP = """

import numba


@numba.njit
def _spin(n):
    i = 0
    while n >= 0:  # never ends, and compiled code ignores KeyboardInterrupt
        i = (i + 1) % 7
    return i


_spin(1)
"""

MEMORY_BOMB = """


def _grow():
    hog = []
    while True:  # grows until the memory limit stops it
        hog.append(bytearray(2**27))


_grow()
"""

KERNEL_DIES = """

import os

os._exit(1)
"""

CHEAT_TRACEBACK = """

# a failing test now prints nothing: nbgrader alone would count it as passed
get_ipython()._showtraceback = lambda *args, **kwargs: None
"""

CHEAT_NUMPY = """

import numpy

# make every comparison in the tests succeed
numpy.allclose = lambda *args, **kwargs: True
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
"""

CHEAT_BUILTINS = """

import builtins

builtins.abs = lambda x: 0
builtins.all = lambda *args: True
builtins.isinstance = lambda *args: True
"""

CHEAT_CNNCOURSE = """

import cnncourse
import cnncourse.reference

_fake = lambda *args, **kwargs: None
for _name in ("conv1d", "conv2d", "pool2d", "output_size"):
    setattr(cnncourse, _name, _fake)
    setattr(cnncourse.reference, _name, _fake)
"""


def _fake_eq_region(indent: str) -> list[str]:
    body = textwrap.dedent(
        """
        class _Anything:
            # equal to everything, so `result == expected` always holds
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

            def __bool__(self):
                return True

            def __getattr__(self, name):
                return self

            def __getitem__(self, key):
                return self

            def __call__(self, *args, **kwargs):
                return self

            def __len__(self):
                return 1

            def __iter__(self):
                return iter([self])

            def __array__(self, *args, **kwargs):
                import numpy

                return numpy.zeros(0)

        return _Anything()
        """
    ).strip("\n")
    return [indent + ln if ln else ln for ln in body.splitlines()]


def build(case: str, release_nb, source_nb) -> tuple[str, object] | None:
    """Return (file name suffix kind, notebook or bytes) for a case, or None (not handed in)."""
    nb = nbformat.reads(nbformat.writes(release_nb), as_version=4)
    src_cells = {_gid(c): c for c in source_nb.cells if _gid(c)}
    sols = _solution_cells(nb)
    if case == "blank":
        return ("nb", nb)
    for c in sols:
        c.source = solution_of(src_cells[_gid(c)].source)
    if case in ("correct", "renamed", "corrupt"):
        if case == "corrupt":
            text = nbformat.writes(nb)
            return ("bytes", text[: len(text) // 2].encode())
        return ("nb", nb)
    if not sols:
        return ("nb", nb)
    first, last = sols[0], sols[-1]
    inside = [c for c in sols if _func_in_region(src_cells[_gid(c)].source)]
    if case == "partly_wrong":
        last.source = wrong_answer(src_cells[_gid(last)].source, _gid(last))
    elif case == "py_loop":
        target = inside[0] if inside else first
        src = src_cells[_gid(target)].source
        _, sol, _, indent = _region(src)
        target.source = _with_region(
            src, [f"{indent}while True:  # forgot to advance the index", f"{indent}    pass", *sol]
        )
    elif case == "numba_loop":
        first.source += NUMBA_LOOP
    elif case == "memory_bomb":
        first.source += MEMORY_BOMB
    elif case == "kernel_dies":
        first.source += KERNEL_DIES
    elif case == "test_edited":
        # a wrong first answer, and its test "fixed" so that it passes
        first.source = wrong_answer(src_cells[_gid(first)].source, _gid(first))
        test = _test_after(nb, first)
        if test is not None:
            test.source = "# las pruebas fallaban, así que las quité\npass"
    elif case == "test_deleted":
        test = _test_after(nb, first)
        if test is not None:
            nb.cells.remove(test)
    elif case == "cheat_traceback":
        first.source = wrong_answer(src_cells[_gid(first)].source, _gid(first)) + CHEAT_TRACEBACK
    elif case == "cheat_numpy":
        first.source += CHEAT_NUMPY
    elif case == "cheat_builtins":
        first.source += CHEAT_BUILTINS
    elif case == "cheat_cnncourse":
        first.source += CHEAT_CNNCOURSE
    elif case == "cheat_eq":
        target = inside[0] if inside else first
        src = src_cells[_gid(target)].source
        _, _, _, indent = _region(src)
        target.source = _with_region(src, _fake_eq_region(indent))
    else:
        raise ValueError(f"unknown demo case {case!r}")
    return ("nb", nb)


def _test_after(nb, cell):
    idx = nb.cells.index(cell)
    for c in nb.cells[idx + 1 :]:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            return c
    return None


def make_demo(course: Course, dest: Path, full: bool = False) -> dict[str, dict[str, str]]:
    """Write the class folder (one folder per student) and return the case plan."""
    assignments = course.assignments
    plan = case_plan(assignments, full)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for student, cases in plan.items():
        sdir = dest / student
        sdir.mkdir()
        for a, case in cases.items():
            if case == "missing":
                # handed in something we cannot match to any notebook
                nbformat.write(nbformat.v4.new_notebook(), sdir / "mi_tarea_final.ipynb")
            if case in NOT_HANDED_IN:
                continue
            rel = nbformat.read(course.release(a), as_version=4)
            src = nbformat.read(course.source(a), as_version=4)
            kind, obj = build(case, rel, src)
            name = f"{a}.ipynb" if case != "renamed" else f"Copia de {a} (1).ipynb"
            if kind == "bytes":
                (sdir / name).write_bytes(obj)
            else:
                nbformat.write(obj, sdir / name)
    return plan


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--course", default="out", help="course directory (already released)")
    p.add_argument("--dest", default=None, help="where to write the class (default COURSE/demo_class)")
    p.add_argument("--full", action="store_true", help="every student hands in every notebook")
    args = p.parse_args(argv)
    course = Course(Path(args.course))
    dest = Path(args.dest) if args.dest else course.root / "demo_class"
    plan = make_demo(course, dest, args.full)
    print(f"wrote {len(plan)} students to {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
