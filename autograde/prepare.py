"""Prepare a submitted notebook for grading, the nbgrader way, plus cheat detection.

``Template`` holds what the gradebook knows about an assignment's notebook after
``release`` (nbgrader's SaveCells ran before ClearHiddenTests, so the locked and
test cells in the gradebook include the hidden tests). ``prepare`` then does what
nbgrader's OverwriteCells (with ``add_missing_cells``) and DeduplicateIds do:

* grade and locked cells get their source back from the gradebook (hidden tests
  restored), and their metadata (grade, solution, locked, points, cell type)
  reset; an edited test cell is flagged;
* a deleted test, solution or locked cell is put back after the previous known
  cell and flagged (nbgrader does not restore a deleted hidden-test cell unless
  asked to: we always do);
* duplicated or unknown grade ids lose their nbgrader metadata;
* outputs are cleared.

``scan_cheats`` reads the student's code (solution cells and any cell the student
added) and flags tampering with what tests rely on. It is a static check: the
runner also checks at run time that numpy/builtins/cnncourse functions were not
rebound, and the course's hidden tests are written to resist these tricks.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import re
import threading
from dataclasses import dataclass, field

import nbformat
from nbgrader import utils as nbutils

from .course import HIDDEN_BEGIN, Course


@dataclass
class CellInfo:
    grade_id: str
    cell_type: str
    locked: bool
    is_grade: bool
    is_solution: bool
    points: float
    source: str  # gradebook source: hidden tests included, solutions cleared
    checksum: str | None
    release_source: str  # what students got


@dataclass
class Template:
    assignment: str
    notebook: str
    order: list[str]
    cells: dict[str, CellInfo]
    release_cells: dict[str, nbformat.NotebookNode]
    protected: set[str]  # names tests rely on (imports and builtins they use)
    fingerprint: str

    @property
    def grade_ids(self) -> list[str]:
        return [g for g in self.order if self.cells[g].is_grade]

    @property
    def max_score(self) -> float:
        return sum(self.cells[g].points for g in self.grade_ids)


def load_template(course: Course, assignment: str, gradebook) -> Template:
    """Build the template from the gradebook (source cells) and the release notebook."""
    rel = nbformat.read(course.release(assignment), as_version=4)
    nbrow = gradebook.find_notebook(assignment, assignment)  # one notebook, named alike
    src_cells = {c.name: c for c in nbrow.source_cells}
    grade_cells = {c.name: c for c in nbrow.grade_cells}
    sol_names = {c.name for c in nbrow.solution_cells}
    order, cells, release_cells = [], {}, {}
    for c in rel.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if not gid or gid not in src_cells:
            continue
        sc = src_cells[gid]
        order.append(gid)
        release_cells[gid] = c
        cells[gid] = CellInfo(
            grade_id=gid,
            cell_type=sc.cell_type,
            locked=bool(sc.locked),
            is_grade=gid in grade_cells,
            is_solution=gid in sol_names,
            points=float(grade_cells[gid].max_score) if gid in grade_cells else 0.0,
            source=sc.source,
            checksum=sc.checksum,
            release_source=c.source,
        )
    protected = _protected_names(rel, cells) - _solution_defined_names(course.source(assignment))
    h = hashlib.sha256(course.source(assignment).read_bytes())
    h.update(course.release(assignment).read_bytes())
    return Template(assignment, assignment, order, cells, release_cells, protected, h.hexdigest())


def _protected_names(rel, cells: dict[str, CellInfo]) -> set[str]:
    """Names the tests use that a solution must not rebind: imports and builtins."""
    imported: set[str] = set()
    for c in rel.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if c.cell_type != "code" or (gid and cells.get(gid) and cells[gid].is_solution):
            continue
        tree = _parse(c.source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for al in node.names:
                    imported.add((al.asname or al.name).split(".")[0])
    loaded: set[str] = set()
    for info in cells.values():
        if info.is_grade and info.cell_type == "code":
            tree = _parse(info.source)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    loaded.add(node.id)
    return imported | (loaded & set(dir(builtins)))


def _solution_defined_names(source_path) -> set[str]:
    """Names the reference solutions themselves bind (allowed for students too)."""
    names: set[str] = set()
    src = nbformat.read(source_path, as_version=4)
    for c in src.cells:
        if c.cell_type != "code" or not nbutils.is_solution(c):
            continue
        tree = _parse(c.source)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                tg = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in tg:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            names.add(n.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for al in node.names:
                    names.add((al.asname or al.name).split(".")[0])
    return names


_MAGIC = re.compile(r"^(\s*)([%!].*)$")


# CPython 3.11's AST constructor keeps its recursion depth in per-interpreter state, so
# ast.parse running in two grading threads at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905): the job became a
# grader_error. One parse at a time; parsing a notebook's cells takes milliseconds.
_PARSE_LOCK = threading.Lock()


def _parse(source: str) -> ast.AST | None:
    if source.lstrip().startswith("%%"):
        return None
    lines = [_MAGIC.sub(r"\1pass", ln) for ln in source.splitlines()]
    try:
        with _PARSE_LOCK:
            return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


# -- preparation ---------------------------------------------------------------


@dataclass
class Prepared:
    nb: nbformat.NotebookNode
    flags: list[str] = field(default_factory=list)  # short codes
    notes: list[str] = field(default_factory=list)  # human-readable, for instructors
    blank: bool = False
    cheats: list[str] = field(default_factory=list)
    student_sources: dict[str, str] = field(default_factory=dict)  # solution grade_id -> code


def _meta_for(info: CellInfo) -> dict:
    meta = {
        "grade": info.is_grade,
        "grade_id": info.grade_id,
        "locked": info.locked,
        "schema_version": 3,
        "solution": info.is_solution,
        "task": False,
        "checksum": info.checksum,
    }
    if info.is_grade:
        meta["points"] = info.points
    return meta


def _new_cell(info: CellInfo, source: str):
    if info.cell_type == "code":
        cell = nbformat.v4.new_code_cell(source)
    else:
        cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["nbgrader"] = _meta_for(info)
    return cell


def prepare(nb: nbformat.NotebookNode, template: Template) -> Prepared:
    nb = copy.deepcopy(nb)
    prep = Prepared(nb=nb)
    seen: set[str] = set()
    cells = []
    for cell in nb.cells:
        cell.setdefault("metadata", {})
        meta = cell.metadata.get("nbgrader")
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if meta is not None and (gid not in template.cells or gid in seen):
            # unknown or duplicated id: an ordinary cell from now on
            if gid in seen:
                prep.notes.append(f"duplicate cell id {gid!r}: the copy is treated as student code")
            del cell.metadata["nbgrader"]
            gid = None
        if gid:
            seen.add(gid)
            info = template.cells[gid]
            if cell.cell_type != info.cell_type:
                prep.notes.append(f"cell {gid}: type changed to {cell.cell_type}; restored")
                cell = _new_cell(info, cell.source if info.is_solution else info.source)
            if info.locked:
                if cell.source.strip() not in (info.release_source.strip(), info.source.strip()):
                    code = "test_cell_edited" if info.is_grade else "locked_cell_edited"
                    prep.flags.append(code)
                    prep.notes.append(f"cell {gid} was edited by the student; original restored")
                cell.source = info.source
            cell.metadata["nbgrader"] = _meta_for(info)
            if info.is_solution:
                prep.student_sources[gid] = cell.source
        cells.append(cell)
    # put back deleted cells, after the previous known cell
    for k, gid in enumerate(template.order):
        if gid in seen:
            continue
        info = template.cells[gid]
        if info.is_grade and not info.is_solution:
            code = "test_cell_deleted"
        elif info.is_solution:
            code = "solution_cell_deleted"
        else:
            code = "locked_cell_deleted"
        prep.flags.append(code)
        prep.notes.append(f"cell {gid} was deleted by the student; restored from the release")
        new = _new_cell(info, info.release_source if info.is_solution else info.source)
        if info.is_solution:
            prep.student_sources[gid] = info.release_source
        pos = 0
        for prev in reversed(template.order[:k]):
            idx = _index_of(cells, prev)
            if idx is not None:
                pos = idx + 1
                break
        cells.insert(pos, new)
        seen.add(gid)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    # blank: every solution cell exactly as released
    sol = [c for c in cells if nbutils.is_solution(c)]
    prep.blank = bool(sol) and all(
        nbutils.compute_checksum(c) == c.metadata["nbgrader"]["checksum"] for c in sol
    )
    student_code = [
        (c.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}", c.source)
        for i, c in enumerate(cells)
        if c.cell_type == "code" and not nbutils.is_locked(c)
    ]
    prep.cheats = scan_cheats(student_code, template.protected)
    if prep.cheats:
        prep.flags.append("cheating")
    prep.flags = sorted(set(prep.flags))
    return prep


def _index_of(cells, gid):
    for i, c in enumerate(cells):
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid:
            return i
    return None


# -- cheat scan ------------------------------------------------------------------

SUSPICIOUS_NAMES = {
    "__builtins__": "uses __builtins__",
    "__import__": "uses __import__",
    "get_ipython": "talks to the IPython shell (get_ipython)",
    "_getframe": "inspects interpreter frames",
    "currentframe": "inspects interpreter frames",
    "globals": "uses globals()",
}
SUSPICIOUS_MODULES = {"builtins", "ctypes", "gc", "inspect", "importlib", "IPython"}
DUNDERS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__array__",
    "__array_ufunc__", "__array_function__", "__array_priority__", "__float__", "__abs__",
    "__sub__", "__rsub__", "__getattribute__", "__instancecheck__", "__subclasscheck__",
    "__class__",
}  # fmt: skip
DYNAMIC_CALLS = {"exec", "eval", "compile", "setattr", "delattr"}
TRUSTED_MODULES = {"numpy", "cnncourse", "math", "matplotlib", "scipy", "numba", "time"}
KNOWN_MODULES = {"np", "numpy", "cnncourse", "math", "builtins", "sys", "numba", "scipy", "cc"}


def scan_cheats(sources: list[tuple[str, str]], protected: set[str]) -> list[str]:
    """Static scan of student code; returns human-readable findings (English)."""
    findings: list[str] = []
    modules = set(KNOWN_MODULES) | set(protected)
    trees = []
    for where, src in sources:
        tree = _parse(src)
        if tree is None:
            continue
        trees.append((where, tree))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for al in node.names:
                    if isinstance(node, ast.Import):
                        modules.add((al.asname or al.name).split(".")[0])
    for where, tree in trees:
        for node in ast.walk(tree):
            findings += [f"{where}: {m}" for m in _check_node(node, modules, protected)]
    return sorted(set(findings))


def _root(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover
        return "?"


def _binding_targets(node) -> list[ast.expr]:
    """What a statement binds, rebinds or deletes, as target expressions.

    Assignments, ``del``, ``for ... in``, ``with ... as``, the walrus ``:=`` and
    ``except ... as`` (which also deletes the name when the handler ends).
    """
    if isinstance(node, ast.Assign | ast.Delete):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.NamedExpr):
        return [node.target]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [ast.Name(id=node.name, ctx=ast.Store())]
    return []


def _flatten(target: ast.expr) -> list[ast.expr]:
    """``a, (b, *c)`` -> ``[a, b, c]``."""
    if isinstance(target, ast.Tuple | ast.List):
        return [t for elt in target.elts for t in _flatten(elt)]
    if isinstance(target, ast.Starred):
        return _flatten(target.value)
    return [target]


def _check_node(node, modules: set[str], protected: set[str]) -> list[str]:
    out = []
    flat = [t for target in _binding_targets(node) for t in _flatten(target)]
    for t in flat:
        if isinstance(t, ast.Attribute) and _root(t) in modules:
            out.append(f"rebinds module attribute {_dotted(t)}")
        elif isinstance(t, ast.Subscript) and "__dict__" in _dotted(t.value):
            out.append(f"writes into a __dict__: {_dotted(t)}")
        elif isinstance(t, ast.Subscript) and _dotted(t.value) in ("globals()", "sys.modules"):
            out.append(f"writes into {_dotted(t.value)}")
        elif isinstance(t, ast.Name) and t.id in protected:
            out.append(f"rebinds '{t.id}', which the tests use")
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if node.name in protected:
            out.append(f"redefines '{node.name}', which the tests use")
        if node.name in DUNDERS:
            out.append(f"defines {node.name} (objects that fake comparisons)")
    if isinstance(node, ast.Import | ast.ImportFrom):
        for al in node.names:
            mod = node.module if isinstance(node, ast.ImportFrom) else al.name
            if (mod or "").split(".")[0] in SUSPICIOUS_MODULES:
                out.append(f"imports {mod}")
            bound = al.asname or al.name.split(".")[0]
            if bound in protected and (mod or "").split(".")[0] not in TRUSTED_MODULES:
                out.append(f"rebinds '{bound}' by an import from {mod}")
    if isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES:
        out.append(SUSPICIOUS_NAMES[node.id])
    if isinstance(node, ast.Attribute):
        if node.attr in SUSPICIOUS_NAMES:
            out.append(SUSPICIOUS_NAMES[node.attr])
        if node.attr == "modules" and _root(node) == "sys":
            out.append("uses sys.modules")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in DYNAMIC_CALLS:
            out.append(f"calls {node.func.id}()")
        if node.func.id == "type" and len(node.args) == 3:
            out.append("creates a class dynamically with type()")
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DUNDERS:
        out.append(f"mentions {node.value}")
    return out


def hidden_region_start(source: str) -> int | None:
    """1-based line number of the hidden-tests marker in a test cell, if any."""
    for i, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            return i
    return None
