"""One grading job: one student's notebook, prepared, run in the sandbox and scored.

``grade_one`` runs in a worker thread and never touches the gradebook: it reads
the submission (unreadable: *corrupt*), prepares it from the template
(``prepare``), runs it with ``sandbox.RUNNER`` in the sandbox (``sandbox``), with
a folder of its own under the run's folder and its own process cap (``pids``),
and scores the executed notebook (``scoring``). ``job_hash`` names a job's
inputs, so an unchanged job is not graded again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

from . import __version__, sandbox
from .course import REPO_ROOT, Course
from .pids import ProcessCap
from .prepare import Template, prepare
from .results import JobResult, TestResult
from .scoring import score
from .statuses import NOT_HANDED_IN

# what the runner's stderr says when the sandbox's disk (its tmpfs) is full
_DISK_FULL = ("No space left on device", "File too large")


@dataclass
class Settings:
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    sandbox: str = "auto"  # auto | bwrap | none
    jobs: int = 0  # 0: number of cores
    keep_work: bool = False
    warm_numba: bool = True
    progress: bool = True

    def fingerprint(self) -> str:
        lim = asdict(self.limits)
        return json.dumps({"limits": lim, "version": __version__}, sort_keys=True)


@dataclass
class RunContext:
    """What the jobs of one grading run share."""

    mode: str  # "bwrap" | "none"
    run_dir: Path  # private folder of this run: one subfolder per job
    cap: ProcessCap
    numba_cache: Path | None = None
    mpl_cache: Path | None = None
    hide: list[Path] = field(default_factory=list)


def job_hash(
    course: Course, student: str, assignment: str, template: Template | None, settings: Settings
) -> str:
    """Hash of everything a job's result depends on: submission, release, limits."""
    h = hashlib.sha256()
    info = course.submission_info(student, assignment)
    h.update(json.dumps(info, sort_keys=True).encode())
    p = course.submitted(student, assignment)
    if p.exists():
        h.update(p.read_bytes())
    h.update((template.fingerprint if template else "").encode())
    h.update(settings.fingerprint().encode())
    return h.hexdigest()


def static_result(
    student: str,
    assignment: str,
    template: Template,
    status: str,
    job_hash: str,
    notes: Sequence[str] = (),
    *,
    flags: Sequence[str] = (),
    seconds: float = 0.0,
    timestamp: str | None = None,
) -> JobResult:
    """The result of a job whose notebook did not run: every test not run, score 0."""
    tests = [TestResult(g, 0.0, template.cells[g].points, "not_run") for g in template.grade_ids]
    return JobResult(
        student,
        assignment,
        status,
        0.0,
        template.max_score,
        flags=list(flags),
        notes=list(notes),
        tests=tests,
        seconds=seconds,
        hash=job_hash,
        timestamp=timestamp,
    )


def grade_one(
    course: Course,
    student: str,
    assignment: str,
    template: Template,
    settings: Settings,
    ctx: RunContext,
    job_hash: str,
) -> JobResult:
    """Grade one submission (runs in a worker thread; no gradebook access here)."""
    t0 = time.monotonic()
    info = course.submission_info(student, assignment)
    collected = info.get("status", "missing")
    if collected in NOT_HANDED_IN:
        notes = []
        if info.get("unmatched_files"):
            notes.append("unmatched files: " + ", ".join(info["unmatched_files"]))
        return static_result(student, assignment, template, collected, job_hash, notes)
    path = course.submitted(student, assignment)
    stamp_file = path.parent / "timestamp.txt"
    timestamp = stamp_file.read_text().strip() if stamp_file.exists() else None
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        note = f"cannot read notebook: {type(exc).__name__}: {exc}"[:300]
        return static_result(
            student, assignment, template, "corrupt", job_hash, [note], timestamp=timestamp
        )
    prep = prepare(nb, template)
    flags = list(prep.flags)
    notes = list(prep.notes) + [f"cheat scan: {c}" for c in prep.cheats]
    if collected == "renamed":
        flags.append("renamed")
        notes.append(f"handed in as {info.get('original_name')!r}")
    host = Path(tempfile.mkdtemp(prefix=f"{student}-{assignment}-", dir=ctx.run_dir))
    try:
        run = _run_sandboxed(prep.nb, host, settings, ctx)
    finally:
        if not settings.keep_work:
            shutil.rmtree(host, ignore_errors=True)
    if run.process_hits:
        peak = f"peak {run.process_peak} " if run.process_peak is not None else ""
        notes.append(
            f"process cap: {run.process_hits} forks or threads refused "
            f"({peak}of {settings.limits.max_processes} tasks)"
        )
    if not run.verified:
        status = _failed_run_status(run)
        if status == "grader_error":
            notes.append(f"runner exit {run.returncode}: {run.stderr.strip()[-400:]}")
        return static_result(
            student,
            assignment,
            template,
            status,
            job_hash,
            notes,
            flags=sorted(set(flags)),
            seconds=run.seconds,
            timestamp=timestamp,
        )
    executed = nbformat.reads(run.output.decode(), as_version=4)
    dst = course.autograded(student, assignment)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, dst)
    run_meta = dict(executed.metadata.get("autograde_run", {}))
    run_meta["process_hits"] = run.process_hits
    return score(
        executed,
        template,
        run_meta,
        student=student,
        assignment=assignment,
        job_hash=job_hash,
        flags=flags,
        notes=notes,
        blank=prep.blank,
        seconds=round(time.monotonic() - t0, 2),
        timestamp=timestamp,
    )


def _failed_run_status(run: sandbox.RunResult) -> str:
    """Why no executed notebook came back: a limit the submission hit, or the grader."""
    if run.wall_timeout:
        return "wall_timeout"
    if run.process_hits:
        return "process_limit"
    if any(s in run.stderr for s in _DISK_FULL):
        return "disk_limit"
    return "grader_error"


def _run_sandboxed(nb, host: Path, settings: Settings, ctx: RunContext) -> sandbox.RunResult:
    """Run the prepared notebook in the sandbox, with a process cap of its own."""
    graded = [i for i, c in enumerate(nb.cells) if nbutils.is_grade(c)]
    cfg = {
        "cell_timeout": settings.limits.cell_timeout,
        "probe_timeout": settings.limits.probe_timeout,
        # cells after the last test cannot change a score: not run
        "stop_after": max(graded) if graded else None,
    }
    seeds = {".numba_cache": ctx.numba_cache, ".mpl": ctx.mpl_cache}
    return sandbox.run_notebook(
        nb, cfg, host, ctx.mode, settings.limits, seeds=seeds, hide=ctx.hide, cap=ctx.cap.job()
    )


def hide_list(course: Course) -> list[Path]:
    """Folders the kernel must never see, should one lie inside a mounted path.

    The sandbox is an allowlist (``sandbox.interpreter_paths``); this list is a
    second line for the case where the course, the source notebooks or the
    gradebook live inside the interpreter's prefix (a virtualenv in the course).
    """
    hide = [course.root, REPO_ROOT / "notebooks", REPO_ROOT / ".git", REPO_ROOT / "tests"]
    notebooks_dir = course.settings().get("notebooks_dir")
    if notebooks_dir:
        hide.append(Path(notebooks_dir))
    if course.sqlite_dir():
        hide.append(course.sqlite_dir())
    return [p.resolve() for p in hide]
