"""Score an executed notebook the way nbgrader does, and decide its status.

A test cell scores 0 when it shows an error or writes to stderr, and otherwise
its points (or the partial credit it prints): ``nbgrader.utils.determine_grade``.
On top of that the runner's metadata (``autograde_run``: per-cell events, cells
not run, run-time tamper findings) sets flags, and the most serious flag in
``statuses.STATUS_ORDER`` becomes the status. Tampering withholds every point.
"""

from __future__ import annotations

import re

import nbformat
from nbgrader import utils as nbutils

from .prepare import CellInfo, Template, hidden_region_start
from .results import JobResult, TestResult
from .statuses import STATUS_ORDER

# exit codes of a kernel killed by RLIMIT_CPU (SIGXCPU, seen directly or through a shell)
_CPU_LIMIT_EXIT_CODES = (-24, 152)
# error outputs that mean a cap refused the code: (exception name, text in its message)
_CAP_ERRORS = {
    "memory": (("MemoryError", ""),),
    "disk_limit": (("OSError", "[Errno 28]"), ("OSError", "[Errno 27]")),
    "process_limit": (
        ("BlockingIOError", "[Errno 11]"),
        ("RuntimeError", "can't start new thread"),
    ),
}
# the sandbox's tmpfs counts as full below this much free space (MiB)
_DISK_FULL_MB = 1.0

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>),?\s*line (\d+)")


def score(
    executed: nbformat.NotebookNode,
    template: Template,
    run_meta: dict,
    *,
    student: str,
    assignment: str,
    job_hash: str,
    flags: list[str],
    notes: list[str],
    blank: bool,
    seconds: float = 0.0,
    timestamp: str | None = None,
) -> JobResult:
    """The complete result of one executed notebook.

    ``flags`` and ``notes`` are what preparation found (edited cells, the static
    cheat scan...); they are not modified. ``run_meta`` is the runner's
    ``autograde_run`` metadata.
    """
    events = {int(k): v for k, v in run_meta.get("events", {}).items()}
    not_run = set(run_meta.get("not_run", []))
    tamper = run_meta.get("tamper", [])
    all_flags = set(flags) | _run_flags(executed, events.values(), run_meta)
    if tamper:
        all_flags.add("cheating")
    if blank:
        all_flags.add("blank")
    tamper_notes = [
        f"runtime check: {t.get('detail')} (after cell {t.get('cell')})" for t in tamper
    ]
    index = _grade_cell_index(executed)
    tests = []
    for gid in template.grade_ids:
        i = index.get(gid)
        cell = executed.cells[i] if i is not None else None
        event = events.get(i, {}).get("event")
        tests.append(_test_result(template.cells[gid], cell, event, i in not_run))
    if "cheating" in all_flags:
        _withhold(tests)
    total = sum(t.points for t in tests)
    status = _status(all_flags, total, template.max_score)
    return JobResult(
        student,
        assignment,
        status,
        total,
        template.max_score,
        flags=sorted(all_flags - {status}),
        notes=[*notes, *tamper_notes],
        tests=tests,
        seconds=seconds,
        numba=run_meta.get("numba"),
        hash=job_hash,
        timestamp=timestamp,
    )


def _run_flags(executed, events, run_meta: dict) -> set[str]:
    """Flags from the runner's per-cell events, the caps it hit, and error outputs."""
    flags = set()
    if run_meta.get("process_hits"):
        flags.add("process_limit")
    disk = run_meta.get("disk") or {}
    if disk.get("size_mb") and disk.get("free_mb", _DISK_FULL_MB) < _DISK_FULL_MB:
        flags.add("disk_limit")
    for ev in events:
        kind = ev.get("event")
        if kind in ("timeout", "killed"):
            flags.add(kind)
        elif kind == "died":
            flags.add(
                "cpu_limit" if ev.get("exit_code") in _CPU_LIMIT_EXIT_CODES else "kernel_died"
            )
        elif kind == "runner_error":
            flags.add("grader_error")
    for c in executed.cells:
        for o in c.get("outputs", []):
            if o.get("output_type") != "error":
                continue
            for flag, patterns in _CAP_ERRORS.items():
                ename, evalue = o.get("ename"), str(o.get("evalue", ""))
                if any(ename == n and text in evalue for n, text in patterns):
                    flags.add(flag)
    return flags


def _grade_cell_index(executed) -> dict[str, int]:
    """Position of the first cell with each grade id."""
    index: dict[str, int] = {}
    for i, c in enumerate(executed.cells):
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            index.setdefault(gid, i)
    return index


def _test_result(info: CellInfo, cell, event: str | None, skipped: bool) -> TestResult:
    """One test cell's outcome; ``event`` is the runner's event for it, if any."""
    tr = TestResult(info.grade_id, 0.0, info.points, "not_run")
    if cell is None or cell.cell_type != "code" or skipped:
        return tr
    err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if event in ("timeout", "killed"):
        tr.outcome = event
        tr.message = err.get("evalue", "") if err else ""
    elif event == "died":
        tr.outcome = "error"
        tr.ename = "DeadKernelError"
        tr.message = err.get("evalue", "") if err else "el kernel murió"
    elif cell.get("execution_count") is None and not cell.get("outputs"):
        pass  # never executed: not_run
    else:
        _grade_executed(tr, info, cell, err)
    return tr


def _grade_executed(tr: TestResult, info: CellInfo, cell, err) -> None:
    """nbgrader's grade of an executed test cell, and why it lost points."""
    pts, _ = nbutils.determine_grade(cell)
    tr.points = 0.0 if pts is None else float(pts)
    if err is not None:
        tr.outcome = "failed" if err.get("ename") == "AssertionError" else "error"
        tr.ename = err.get("ename", "")
        tr.message = str(err.get("evalue", ""))
        line = _failing_line(err.get("traceback", []))
        start = hidden_region_start(info.source)
        tr.hidden = bool(start and line and line > start)
    elif tr.points >= info.points:
        tr.outcome = "passed"
    elif tr.points > 0:
        tr.outcome = "partial"
    else:
        tr.outcome = "failed"
        tr.ename = "stderr"
        tr.message = "la celda de pruebas escribió en stderr"


def _failing_line(traceback: list[str]) -> int | None:
    """Line (in the test cell) of the innermost frame that belongs to the cell."""
    for entry in traceback or []:
        found = _CELL_LINE.findall(_ANSI.sub("", entry))
        if found:
            return int(found[0])  # the first frame is the test cell itself
    return None


def _withhold(tests: list[TestResult]) -> None:
    for tr in tests:
        if tr.points > 0:
            tr.points = 0.0
            tr.outcome = "withheld"


def _status(flags: set[str], total: float, max_score: float) -> str:
    """The most serious flag, else what the score says."""
    for name in STATUS_ORDER:
        if name in flags:
            return name
    if total >= max_score and max_score > 0:
        return "correct"
    return "partly_wrong" if total > 0 else "wrong"
