"""Student-side check: run a notebook's visible tests and exit non-zero on failure.

``nbgrader validate`` always exits 0; this runs the notebook top to bottom in a
fresh kernel (same runner as the grader, with rlimits but no sandbox: it is the
student's own code on the student's own machine) and reports every graded test.

What a student reads first is what to fix first:

* an error in one of their own cells (a ``SyntaxError`` in an answer cell, say) is
  reported before the tests, with its cell and line: the tests after it would only
  say ``NameError``;
* a failing test shows its whole message, Spanish hint first, never cut, and, for an
  error raised inside the student's code, the last frames of that code (function, cell,
  line and the line itself);
* a blank exercise (``raise NotImplementedError()`` still there) is named as such;
* the run stops at the first cell that exceeds the time limit and says which one: the
  later test cells would call the same slow function and time out again.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import sandbox

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(
    r"^\s*(?:Cell In\s*\[(\d+)\]|Input In \[(\d+)\]), line (\d+)(?:, in (.+))?$"
)
_ARROW = re.compile(r"^\s*-+>\s*(\d+)\s?(.*)$")
_MAX_LINES = 60  # of NumPy's array dumps; the hint, which comes first, is never cut


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Frame:
    execution_count: int
    line: int
    function: str | None
    code: str


def frames(output) -> list[Frame]:
    """The frames of an error output that lie in notebook cells ("Cell In[N], line L")."""
    text = strip_ansi("\n".join(output.get("traceback", [])))
    lines = text.splitlines()
    out = []
    for k, ln in enumerate(lines):
        m = _CELL_FRAME.match(ln)
        if not m:
            continue
        count = int(m.group(1) or m.group(2))
        line = int(m.group(3))
        code = ""
        for nxt in lines[k + 1 : k + 12]:
            if _CELL_FRAME.match(nxt) or not nxt.strip():
                break
            a = _ARROW.match(nxt)
            if a:
                code = a.group(2).strip()
                break
        if not code and k + 1 < len(lines):  # SyntaxError: the offending line comes next
            code = lines[k + 1].strip()
        function = (m.group(4) or "").strip() or None
        if function:
            function = function.split("(")[0].strip()
        out.append(Frame(count, line, function, code))
    return out


def _label(cell, index: int) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        return f"la celda de tu solución «{meta.get('grade_id')}» (celda {index})"
    return f"la celda {index}"


def _message(err) -> str:
    """A failing cell's message, whole, in the student's words first."""
    ename, evalue = err.get("ename", "Error"), strip_ansi(str(err.get("evalue", "")))
    if ename == "NotImplementedError":
        return (
            "Este ejercicio está sin hacer: escribe tu código donde pone «# ESCRIBE AQUÍ TU "
            "CÓDIGO» y borra la línea «raise NotImplementedError()»."
        )
    lines = evalue.strip().splitlines()
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES] + [f"... ({len(lines) - _MAX_LINES} líneas más)"]
    return f"{ename}: " + "\n".join(lines)


def _indent(text: str, pad: str = "        ") -> str:
    return "\n".join(pad + ln for ln in text.splitlines())


def report(out, log=print) -> tuple[int, int, float, float]:
    """Print what a student should fix, in order; (failed tests, tests, points, total)."""
    by_count = {
        c.get("execution_count"): (i, c)
        for i, c in enumerate(out.cells)
        if c.cell_type == "code" and c.get("execution_count") is not None
    }
    run_meta = out.metadata.get("autograde_run", {})
    stopped = run_meta.get("stopped_at")

    def student_frames(err):
        mine = []
        for f in frames(err):
            i, cell = by_count.get(f.execution_count, (None, None))
            if cell is None or cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            mine.append((i, cell, f))
        return mine

    # 1. errors of the student's own cells, before any test: the answer cells first, then
    # the other cells (demonstrations) whose error is not just the echo of a blank exercise
    # or of an answer cell that failed (NotImplementedError, NameError)
    def cell_error(cell):
        return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)

    own = [
        (i, c)
        for i, c in enumerate(out.cells)
        if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")
    ]
    answers = [(i, c) for i, c in own if c.metadata.get("nbgrader", {}).get("solution")]
    others = [(i, c) for i, c in own if (i, c) not in answers]
    failed_answers = set()
    for i, cell in answers + others:
        err = cell_error(cell)
        if err is None:
            continue
        if cell.metadata.get("nbgrader", {}).get("solution"):
            failed_answers.add(cell.metadata["nbgrader"].get("grade_id"))
            failed_answers.update(re.findall(r"^\s*def (\w+)", cell.source, re.M))
        is_answer = bool(cell.metadata.get("nbgrader", {}).get("solution"))
        if not is_answer and err.get("ename") in ("NotImplementedError", "NameError"):
            continue
        mine = student_frames(err)
        here = [f for k, _, f in mine if k == i]
        f = here[-1] if here else None
        line = f" línea {f.line}" if f else ""
        log(f"  ERROR {_label(cell, i)},{line}: {_message(err)}")
        if f and f.code:
            log(f"        {f.line:>4} | {f.code}")
        inner = [(k, c, fr) for k, c, fr in mine if k != i][-3:]
        if inner:
            log("        En tu código (últimas llamadas):")
            for k, c, fr in inner:
                fn = f"{fr.function}, " if fr.function else ""
                log(f"          {fn}{_label(c, k)}, línea {fr.line}: {fr.code}")
        if err.get("ename") in ("SyntaxError", "IndentationError", "TabError"):
            log(
                "        Corrige esta línea y ejecuta la celda: mientras tenga un error, lo que "
                "define no existe y las comprobaciones que lo usan dirán NameError."
            )
    # 2. the graded tests
    failed = 0
    total = got = 0.0
    n_tests = 0
    for i, c in enumerate(out.cells):
        meta = c.metadata.get("nbgrader", {})
        if not meta.get("grade") or c.cell_type != "code":
            continue
        n_tests += 1
        pts = float(meta.get("points", 0))
        total += pts
        err = next((o for o in c.get("outputs", []) if o.get("output_type") == "error"), None)
        stderr = any(
            o.get("output_type") == "stream" and o.get("name") == "stderr"
            for o in c.get("outputs", [])
        )
        if err is None and not stderr and c.get("execution_count") is not None:
            got += pts
            log(f"  PASS  {meta.get('grade_id')} ({pts:g} pts)")
            continue
        failed += 1
        if err is not None:
            why = _message(err)
            name = re.search(r"name '(\w+)' is not defined", str(err.get("evalue", "")))
            if err.get("ename") == "NameError" and name and name.group(1) in failed_answers:
                why += f" (su celda tiene un error: mira el ERROR de «{name.group(1)}» arriba)"
        elif c.get("execution_count") is None:
            why = "no se ejecutó"
            if stopped is not None and i > stopped:
                why += f": la comprobación se detuvo en la celda {stopped} por tiempo (arriba)"
        else:
            why = "escribió en stderr (un aviso o un error impreso)"
        first, *rest = why.splitlines() or [""]
        log(f"  FAIL  {meta.get('grade_id')} ({pts:g} pts): {first}")
        if rest:
            log(_indent("\n".join(rest)))
        if err is not None:
            mine = student_frames(err)[-3:]
            if mine:
                log("        En tu código (últimas llamadas):")
                for k, cell, f in mine:
                    fn = f"{f.function}, " if f.function else ""
                    log(f"          {fn}{_label(cell, k)}, línea {f.line}: {f.code}")
    if stopped is not None:
        cell = out.cells[stopped]
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"celda {stopped}"
        log(
            f"  STOP  la celda {stopped} ({name}) superó el límite de tiempo: la comprobación "
            "se detuvo ahí y no ejecutó las siguientes. ¿Un bucle que no termina? Arréglalo y "
            "vuelve a comprobar."
        )
    return failed, n_tests, got, total


def _matplotlib_cache() -> Path | None:
    """The student's own matplotlib cache (font list), to seed the run's private config dir.

    Each check runs in a fresh work directory, like a graded job; without the font list
    the first plot would rebuild it (seconds per check). Grading seeds it the same way.
    """
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001 - no matplotlib, or no writable cache: no seed
        return None
    return cache if any(cache.glob("fontlist-*.json")) else None


def check(path: Path, cell_timeout: float = 60.0, log=print) -> int:
    path = Path(path).resolve()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        log(f"{path}: cannot read the notebook: {exc}")
        return 2
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    if not tests:
        log(f"{path}: no graded test cells found (is this a course notebook?)")
        return 2
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
    tmp = Path(tempfile.mkdtemp(prefix="cnncourse-check-"))
    try:
        limits = sandbox.Limits(cell_timeout=cell_timeout, notebook_timeout=3600)
        cfg = {"cell_timeout": cell_timeout, "stop_on_timeout": True}
        seeds = {".mpl": _matplotlib_cache()}
        run = sandbox.run_notebook(nb, cfg, tmp, "none", limits, seeds=seeds, cwd=path.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not run.output:
        log(f"{path}: the notebook could not be run:\n{run.stderr[-2000:]}")
        return 2
    if not run.verified:
        log(f"{path}: the run's result was tampered with")
        return 2
    out = nbformat.reads(run.output.decode(), as_version=4)
    failed, n_tests, got, total = report(out, log)
    log(
        f"{path.name}: {n_tests - failed}/{n_tests} visible tests pass "
        f"({got:g}/{total:g} points before hidden tests)"
    )
    return 1 if failed else 0
