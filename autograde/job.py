"""One grading job: one student's notebook, prepared, run in the sandbox and scored.

``grade_one`` runs in a worker thread and never touches the gradebook: it reads
the submission (unreadable: *corrupt*), prepares it from the template
(``prepare``), runs it with ``sandbox.RUNNER`` in a private work directory
(``sandbox``), checks the executed notebook's HMAC, and scores it (``scoring``).
``job_hash`` names a job's inputs, so an unchanged job is not graded again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

from . import __version__, sandbox
from .course import REPO_ROOT, Course
from .prepare import Template, prepare
from .results import JobResult, TestResult
from .scoring import score
from .statuses import NOT_HANDED_IN

_HMAC_LINE = re.compile(r"AUTOGRADE-HMAC ([0-9a-f]{64})")


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
    mode: str,
    numba_cache: Path | None,
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
    work = _make_workdir(course, student, assignment, prep.nb, numba_cache)
    executed, run = _run_sandboxed(course, work, prep.nb, settings, mode, numba_cache is not None)
    if executed is None:
        if run.wall_timeout:
            status = "wall_timeout"
        else:
            status = "grader_error"
            notes.append(f"runner exit {run.returncode}: {run.stderr.strip()[-400:]}")
        if not settings.keep_work:
            shutil.rmtree(work, ignore_errors=True)
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
    dst = course.autograded(student, assignment)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, dst)
    if not settings.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return score(
        executed,
        template,
        executed.metadata.get("autograde_run", {}),
        student=student,
        assignment=assignment,
        job_hash=job_hash,
        flags=flags,
        notes=notes,
        blank=prep.blank,
        seconds=round(time.monotonic() - t0, 2),
        timestamp=timestamp,
    )


def _make_workdir(
    course: Course, student: str, assignment: str, nb, numba_cache: Path | None
) -> Path:
    """A fresh private directory with the prepared notebook and copies of the caches."""
    work = course.workdir(student, assignment)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.chmod(work, 0o700)
    nbformat.write(nb, work / "in.ipynb")
    if numba_cache is not None:
        shutil.copytree(numba_cache, work / ".numba_cache")
    mpl = course.root / "mplconfig"
    if mpl.is_dir():
        shutil.copytree(mpl, work / ".mpl")
    return work


def _run_sandboxed(
    course: Course, work: Path, nb, settings: Settings, mode: str, with_numba_cache: bool
) -> tuple[nbformat.NotebookNode | None, sandbox.RunResult]:
    """Run ``work/in.ipynb``; the executed notebook if its HMAC verifies, else None."""
    argv = [sys.executable, str(sandbox.RUNNER), "in.ipynb", "out.ipynb"]
    cmd, wd_inside = sandbox.build_command(
        argv, work, mode, hide=_hide_list(course), keep=_keep_list()
    )
    cache_inside = f"{wd_inside}/.numba_cache" if with_numba_cache else None
    env = sandbox.kernel_env(wd_inside, cache_inside)
    key = os.urandom(32).hex()
    graded = [i for i, c in enumerate(nb.cells) if nbutils.is_grade(c)]
    cfg = {
        "key": key,
        "cell_timeout": settings.limits.cell_timeout,
        "probe_timeout": settings.limits.probe_timeout,
        # cells after the last test cannot change a score: not run
        "stop_after": max(graded) if graded else None,
    }
    run = sandbox.run_limited(cmd, env, work, settings.limits, json.dumps(cfg) + "\n")
    out_path = work / "out.ipynb"
    m = _HMAC_LINE.search(run.stdout)
    if out_path.is_file() and m and not run.wall_timeout:
        data = out_path.read_bytes()
        mac = hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
        if hmac.compare_digest(mac, m.group(1)):
            return nbformat.reads(data.decode(), as_version=4), run
    return None, run


def _keep_list() -> list[Path]:
    """What the kernel needs to see: the interpreter, the library and the runner."""
    return [
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(sys.executable).resolve(),
        (REPO_ROOT / "cnncourse").resolve(),
        sandbox.RUNNER.resolve(),
    ]


def _hide_list(course: Course) -> list[Path]:
    """What the kernel must not see: the course, the tests, the source notebooks..."""
    course_settings = course.settings()
    hide = [
        course.root,
        REPO_ROOT / "notebooks",
        REPO_ROOT / ".git",
        REPO_ROOT / "tests",
        REPO_ROOT / "autograde" / "demo",
        REPO_ROOT / "out",
        Path.home(),
    ]
    if course_settings.get("notebooks_dir"):
        hide.append(Path(course_settings["notebooks_dir"]))
    if course.sqlite_dir():
        hide.append(course.sqlite_dir())
    # never hide what the kernel needs: the interpreter and the library
    keep = _keep_list()
    out = []
    for path in hide:
        path = path.resolve()
        if any(k == path or path in k.parents for k in keep):
            continue
        out.append(path)
    return out
