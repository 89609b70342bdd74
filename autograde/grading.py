"""Autograde every collected submission: parallel, sandboxed, resumable.

One *job* is one (student, notebook), graded by ``job.grade_one``: prepare the
notebook (``prepare``), run it in the sandbox (``sandbox`` + ``_runner``), score
it (``scoring``). This module orchestrates a run: it decides which jobs to run
(``job.job_hash`` unchanged and in the gradebook: skipped), warms the caches
(``caches``), runs the jobs, and records each result in the gradebook
(``gradebook``) and in the state file (``results``), with a progress bar.

Jobs run in a thread pool (each thread waits on its own sandboxed subprocess).
Only the main thread touches the gradebook and the state file, in the order jobs
finish; a job's state entry is written (atomically) after its gradebook commit,
so a run killed at any moment and started again regrades at most the jobs that
were in flight and ends with the same gradebook.

One run per course at a time (``lock.course_lock``); every run works in a folder
of its own (``work/<run id>/``), one subfolder per job. A ``grader_error`` (the
grader failed, not the student) never replaces a valid earlier grade: the
earlier result stays in the gradebook and the state file, marked for a retry,
and the run reports it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import job, sandbox
from .caches import warm_matplotlib_cache, warm_numba_cache
from .course import Course, atomic_write_json
from .gradebook import in_gradebook, write_gradebook
from .lock import course_lock
from .pids import process_cap
from .prepare import load_template
from .results import JobResult, load_state

# collect statuses whose notebook runs in a kernel
_RUNNABLE = ("ok", "renamed")


def grade(
    course: Course,
    settings: job.Settings,
    students: list[str] | None = None,
    assignments: list[str] | None = None,
    force: bool = False,
    log=print,
    wait: bool = False,
) -> list[JobResult]:
    """Grade the course's submissions; one run per course at a time (else ``CourseBusy``)."""
    with course_lock(course.root, wait=wait, log=log):
        return _grade(course, settings, students, assignments, force, log)


def _grade(course, settings, students, assignments, force, log) -> list[JobResult]:
    from nbgrader.api import Gradebook

    all_students = sorted(students or course.manifest()["students"])
    all_assignments = assignments or course.assignments
    workers = settings.jobs or os.cpu_count() or 1
    mode = sandbox.resolve_sandbox(settings.sandbox)
    if mode != "bwrap":
        log(sandbox.SANDBOX_WARNING)
    state = load_state(course)
    results: dict[str, JobResult] = {}
    with Gradebook(course.db_url) as gradebook:
        templates = {a: load_template(course, a, gradebook) for a in all_assignments}
        todo = []
        for student in all_students:
            for assignment in all_assignments:
                key = f"{student}/{assignment}"
                job_hash = job.job_hash(
                    course, student, assignment, templates[assignment], settings
                )
                prev = state["jobs"].get(key)
                unchanged = prev and prev.get("hash") == job_hash
                # a grader error (kept earlier grade or not) is always tried again
                unchanged = unchanged and not prev.get("retry") and prev["status"] != "grader_error"
                if not force and unchanged and in_gradebook(gradebook, prev):
                    results[key] = JobResult.from_json(prev)
                    continue
                todo.append((student, assignment, job_hash))
        log(
            f"grading {len(todo)} submissions ({len(results)} already graded and unchanged), "
            f"{workers} in parallel, sandbox: {mode}"
        )
        needs_kernel = any(
            course.submission_info(student, assignment).get("status") in _RUNNABLE
            for student, assignment, _ in todo
        )
        cap = process_cap(settings.limits.max_processes, workers)
        log(cap.describe())
        ctx = job.RunContext(mode, _run_dir(course), cap, hide=job.hide_list(course))
        if needs_kernel and settings.warm_numba:
            ctx.numba_cache = warm_numba_cache(course, log)
        if needs_kernel:
            ctx.mpl_cache = warm_matplotlib_cache(course, log)
        bar = _progress(len(todo), settings.progress)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(
                    job.grade_one,
                    course,
                    student,
                    assignment,
                    templates[assignment],
                    settings,
                    ctx,
                    job_hash,
                ): (student, assignment, job_hash)
                for student, assignment, job_hash in todo
            }
            try:
                for fut in as_completed(futures):
                    student, assignment, job_hash = futures[fut]
                    key = f"{student}/{assignment}"
                    try:
                        r = fut.result()
                    except Exception as exc:  # a bug or an unexpected failure: never silent
                        r = job.static_result(
                            student,
                            assignment,
                            templates[assignment],
                            "grader_error",
                            job_hash,
                            [repr(exc)[:500]],
                        )
                    entry = r.to_json()
                    kept = _earlier_grade(state["jobs"].get(key), r, gradebook)
                    if kept is not None:  # the grader failed: keep the valid grade
                        entry = dict(kept, retry=True, last_error=_error_info(r))
                        log(
                            f"grader error on {key}: kept the earlier grade "
                            f"({kept['status']}, {kept['score']:g}/{kept['max_score']:g}); "
                            "it is retried on the next run"
                        )
                    else:
                        write_gradebook(gradebook, r)
                    results[key] = JobResult.from_json(entry)
                    state["jobs"][key] = entry
                    atomic_write_json(course.state_path, state)
                    bar.update(1)
                    bar.set_postfix_str(f"{key}: {r.status}", refresh=False)
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                raise
            finally:
                if not settings.keep_work:
                    shutil.rmtree(ctx.run_dir, ignore_errors=True)
        bar.close()
        # students or notebooks graded earlier but no longer collected stay in the state
    state["last_run"] = {
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sandbox": mode,
        "jobs": workers,
    }
    atomic_write_json(course.state_path, state)
    _log_numba(results.values(), log)
    return [results[k] for k in sorted(results)]


def _run_dir(course: Course) -> Path:
    """A private folder for this run's jobs: two runs never share a work directory."""
    base = course.root / "work"
    base.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(tempfile.mkdtemp(prefix=f"run-{stamp}-{os.getpid()}-", dir=base))


def _earlier_grade(prev: dict | None, result: JobResult, gradebook) -> dict | None:
    """The valid earlier result to keep when the grader failed on this job, else None."""
    if result.status != "grader_error" or not prev:
        return None
    if prev.get("status") == "grader_error" or not in_gradebook(gradebook, prev):
        return None
    return {k: v for k, v in prev.items() if k not in ("retry", "last_error")}


def _error_info(result: JobResult) -> dict:
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "notes": result.notes[-3:],
    }


def _log_numba(results, log) -> None:
    hits = misses = 0
    for r in results:
        if r.numba:
            hits += r.numba.get("cache_hits", 0)
            misses += r.numba.get("cache_misses", 0)
    if hits or misses:
        log(f"numba cache in grading kernels: {hits} hits, {misses} misses (library kernels)")


class _NoBar:
    def update(self, n):
        pass

    def set_postfix_str(self, *a, **k):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="nb", desc="grading", dynamic_ncols=True)
