"""Student-side check: run a notebook's visible tests and exit non-zero on failure.

``nbgrader validate`` always exits 0; this runs the notebook top to bottom in a
fresh kernel (same runner as the grader, with rlimits but no sandbox: it is the
student's own code on the student's own machine) and reports every graded test.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from . import sandbox


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
        cfg = {"cell_timeout": cell_timeout}
        run = sandbox.run_notebook(nb, cfg, tmp, "none", limits, cwd=path.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not run.output:
        log(f"{path}: the notebook could not be run:\n{run.stderr[-2000:]}")
        return 2
    if not run.verified:
        log(f"{path}: the run's result was tampered with")
        return 2
    out = nbformat.reads(run.output.decode(), as_version=4)
    failed = 0
    total = 0.0
    got = 0.0
    for c in out.cells:
        meta = c.metadata.get("nbgrader", {})
        if not meta.get("grade") or c.cell_type != "code":
            continue
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
        else:
            failed += 1
            why = f"{err.get('ename')}: {err.get('evalue')}" if err else "wrote to stderr"
            if c.get("execution_count") is None and err is None:
                why = "not run"
            log(f"  FAIL  {meta.get('grade_id')} ({pts:g} pts): {why[:500]}")
    log(
        f"{path.name}: {len(tests) - failed}/{len(tests)} visible tests pass "
        f"({got:g}/{total:g} points before hidden tests)"
    )
    return 1 if failed else 0
