"""Autograde every collected submission: parallel, sandboxed, resumable.

One *job* is one (student, notebook). The parent process (this module) prepares
the notebook (``prepare``), runs it in a sandbox (``sandbox`` + ``_runner``),
scores the executed grade cells the way nbgrader does (an error or anything on
stderr in a test cell: 0; otherwise full points, or the partial credit the cell
prints), decides the status, and writes the gradebook through nbgrader's API.

Jobs run in a thread pool (each thread waits on its own sandboxed subprocess).
Only the main thread touches the gradebook and the state file, in the order jobs
finish; a job's state entry is written (atomically) after its gradebook commit,
so a run killed at any moment and started again regrades at most the jobs that
were in flight and ends with the same gradebook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

from . import __version__, sandbox
from .course import REPO_ROOT, Course, atomic_write_json, sha256_bytes
from .prepare import Template, hidden_region_start, load_template, prepare

RUNNER = Path(__file__).with_name("_runner.py")

# Status of a (student, notebook), most serious first. The first one that applies wins.
STATUS_ORDER = [
    "no_submission",
    "missing",
    "not_submitted",
    "corrupt",
    "grader_error",
    "cheating",
    "killed",
    "kernel_died",
    "cpu_limit",
    "memory",
    "wall_timeout",
    "timeout",
    "test_cell_deleted",
    "test_cell_edited",
    "solution_cell_deleted",
    "renamed",
    "blank",
    "correct",
    "partly_wrong",
    "wrong",
]
# statuses/flags that put a submission on the "needs a person" list, with the reason
REVIEW_REASONS = {
    "missing": "notebook not found, but the student handed in files that could not be matched",
    "corrupt": "the notebook file is not valid JSON / nbformat: could not be graded",
    "grader_error": "the grader could not run this notebook (see the log)",
    "cheating": "code tampers with what the tests rely on (scores withheld)",
    "killed": "a cell never returned (probably an infinite loop in @njit code): kernel killed",
    "kernel_died": "the kernel died (os._exit, crash or signal)",
    "cpu_limit": "the CPU time limit killed the kernel",
    "memory": "the memory limit was hit (MemoryError)",
    "wall_timeout": "the whole notebook exceeded its wall-clock limit and was killed",
    "timeout": "a cell exceeded the per-cell time limit (infinite loop?) and was interrupted",
    "test_cell_deleted": "a test cell was deleted (restored before grading)",
    "test_cell_edited": "a test cell was edited (restored before grading)",
    "solution_cell_deleted": "an answer cell was deleted",
    "locked_cell_edited": "a read-only cell was edited (restored before grading)",
    "locked_cell_deleted": "a read-only cell was deleted (restored before grading)",
    "renamed": "the notebook was handed in under another file name",
}


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
class TestResult:
    grade_id: str
    points: float
    max_points: float
    outcome: str  # passed | failed | error | timeout | killed | not_run | withheld | partial
    ename: str = ""
    message: str = ""
    hidden: bool = False  # the failing line is in the hidden part of the test


@dataclass
class JobResult:
    student: str
    assignment: str
    status: str
    score: float
    max_score: float
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0
    numba: dict | None = None
    hash: str = ""
    timestamp: str | None = None

    @property
    def needs_review(self) -> bool:
        return any(f in REVIEW_REASONS for f in [self.status, *self.flags])

    def review_reasons(self) -> list[str]:
        seen = []
        for f in [self.status, *self.flags]:
            if f in REVIEW_REASONS and REVIEW_REASONS[f] not in seen:
                seen.append(REVIEW_REASONS[f])
        return seen

    def to_json(self) -> dict:
        d = asdict(self)
        return d

    @classmethod
    def from_json(cls, d: dict) -> JobResult:
        d = dict(d)
        d["tests"] = [TestResult(**t) for t in d.get("tests", [])]
        return cls(**d)


# -- state ---------------------------------------------------------------------


def load_state(course: Course) -> dict:
    if course.state_path.exists():
        try:
            return json.loads(course.state_path.read_text())
        except json.JSONDecodeError:
            return {"jobs": {}}
    return {"jobs": {}}


def load_results(course: Course) -> dict[tuple[str, str], JobResult]:
    state = load_state(course)
    out = {}
    for key, d in state.get("jobs", {}).items():
        s, a = key.split("/", 1)
        out[(s, a)] = JobResult.from_json(d)
    return out


# -- numba cache ------------------------------------------------------------------


def warm_numba_cache(course: Course, log=print) -> Path | None:
    """Compile the library's kernels once into a per-course cache directory."""
    cache = course.root / "numba_cache"
    cache.mkdir(parents=True, exist_ok=True)
    # Seed from the library's own cache (``make`` set-up runs the warm-up): with
    # NUMBA_CACHE_DIR numba looks for the same files under CACHE_DIR/<dir>_<sha1(dir)>
    # (numba.core.caching._CacheLocator.get_suitable_cache_subpath).
    lib = (REPO_ROOT / "cnncourse").resolve()
    seeded = cache / f"{lib.name}_{hashlib.sha1(str(lib).encode()).hexdigest()}"
    pyc = lib / "__pycache__"
    if pyc.is_dir():
        seeded.mkdir(parents=True, exist_ok=True)
        for f in pyc.iterdir():
            dst = seeded / f.name
            if f.suffix in (".nbi", ".nbc") and (
                not dst.exists() or dst.stat().st_mtime < f.stat().st_mtime
            ):
                shutil.copy2(f, dst)  # new or refreshed since the last run
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "cnncourse", "warmup"], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        log(f"warning: numba warm-up failed; grading kernels will compile: {res.stderr[-500:]}")
        return None
    log(f"numba cache warm in {cache} ({time.monotonic() - t0:.1f} s)")
    return cache


def warm_matplotlib_cache(course: Course, log=print) -> Path | None:
    """Build matplotlib's font cache once per run, to copy into every work dir.

    Each kernel gets a fresh, private MPLCONFIGDIR; without a ready font list every
    notebook's first plot would rebuild it (seconds per submission).
    """
    mpl = course.root / "mplconfig"
    mpl.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLCONFIGDIR=str(mpl), MPLBACKEND="Agg")
    res = subprocess.run(
        [sys.executable, "-c", "import matplotlib.pyplot"], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        log(f"warning: matplotlib font cache not built: {res.stderr[-300:]}")
        return None
    return mpl


# -- one job ---------------------------------------------------------------------------


def _keep_list() -> list[Path]:
    """What the kernel needs to see: the interpreter, the library and the runner."""
    return [
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(sys.executable).resolve(),
        (REPO_ROOT / "cnncourse").resolve(),
        RUNNER.resolve(),
    ]


def _hide_list(course: Course) -> list[Path]:
    settings = course.settings()
    hide = [
        course.root,
        REPO_ROOT / "notebooks",
        REPO_ROOT / ".git",
        REPO_ROOT / "tests",
        REPO_ROOT / "autograde" / "demo",
        REPO_ROOT / "out",
        Path.home(),
    ]
    if settings.get("notebooks_dir"):
        hide.append(Path(settings["notebooks_dir"]))
    if course.sqlite_dir():
        hide.append(course.sqlite_dir())
    # never hide what the kernel needs: the interpreter and the library
    keep = _keep_list()
    out = []
    for h in hide:
        h = h.resolve()
        if any(k == h or h in k.parents for k in keep):
            continue
        out.append(h)
    return out


def job_hash(course: Course, s: str, a: str, tpl: Template | None, st: Settings) -> str:
    h = hashlib.sha256()
    info = course.manifest()["students"].get(s, {}).get("assignments", {}).get(a, {})
    h.update(json.dumps(info, sort_keys=True).encode())
    p = course.submitted(s, a)
    if p.exists():
        h.update(p.read_bytes())
    h.update((tpl.fingerprint if tpl else "").encode())
    h.update(st.fingerprint().encode())
    return h.hexdigest()


def _static_result(s, a, tpl, status, h, notes=()) -> JobResult:
    tests = [
        TestResult(g, 0.0, tpl.cells[g].points, "not_run") for g in tpl.grade_ids
    ]
    return JobResult(s, a, status, 0.0, tpl.max_score, [], list(notes), tests, hash=h)


def grade_one(
    course: Course,
    s: str,
    a: str,
    tpl: Template,
    st: Settings,
    mode: str,
    numba_cache: Path | None,
    h: str,
) -> JobResult:
    """Grade one submission (runs in a worker thread; no gradebook access here)."""
    t0 = time.monotonic()
    info = course.manifest()["students"].get(s, {}).get("assignments", {}).get(a, {})
    cstatus = info.get("status", "missing")
    if cstatus in ("missing", "no_submission", "not_submitted"):
        notes = []
        if info.get("unmatched_files"):
            notes.append("unmatched files: " + ", ".join(info["unmatched_files"]))
        return _static_result(s, a, tpl, cstatus, h, notes)
    path = course.submitted(s, a)
    stamp_file = path.parent / "timestamp.txt"
    timestamp = stamp_file.read_text().strip() if stamp_file.exists() else None
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        r = _static_result(
            s, a, tpl, "corrupt", h, [f"cannot read notebook: {type(exc).__name__}: {exc}"[:300]]
        )
        r.timestamp = timestamp
        return r
    prep = prepare(nb, tpl)
    flags = list(prep.flags)
    notes = list(prep.notes) + [f"cheat scan: {c}" for c in prep.cheats]
    if cstatus == "renamed":
        flags.append("renamed")
        notes.append(f"handed in as {info.get('original_name')!r}")
    work = course.workdir(s, a)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.chmod(work, 0o700)
    nbformat.write(prep.nb, work / "in.ipynb")
    cache_inside = None
    if numba_cache is not None:
        shutil.copytree(numba_cache, work / ".numba_cache")
    mpl = course.root / "mplconfig"
    if mpl.is_dir():
        shutil.copytree(mpl, work / ".mpl")
    argv = [sys.executable, str(RUNNER), "in.ipynb", "out.ipynb"]
    cmd, wd_inside = sandbox.build_command(
        argv, work, mode, hide=_hide_list(course), keep=_keep_list()
    )
    if numba_cache is not None:
        cache_inside = f"{wd_inside}/.numba_cache"
    env = sandbox.kernel_env(wd_inside, cache_inside)
    key = os.urandom(32).hex()
    graded = [i for i, c in enumerate(prep.nb.cells) if nbutils.is_grade(c)]
    cfg = {
        "key": key,
        "cell_timeout": st.limits.cell_timeout,
        "probe_timeout": st.limits.probe_timeout,
        # cells after the last test cannot change a score: not run
        "stop_after": max(graded) if graded else None,
    }
    run = sandbox.run_limited(cmd, env, work, st.limits, json.dumps(cfg) + "\n")
    executed, run_meta = None, {}
    out_path = work / "out.ipynb"
    m = re.search(r"AUTOGRADE-HMAC ([0-9a-f]{64})", run.stdout)
    if out_path.is_file() and m and not run.wall_timeout:
        data = out_path.read_bytes()
        mac = hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
        if hmac.compare_digest(mac, m.group(1)):
            executed = nbformat.reads(data.decode(), as_version=4)
            run_meta = executed.metadata.get("autograde_run", {})
    if executed is None:
        status = "wall_timeout" if run.wall_timeout else "grader_error"
        r = _static_result(s, a, tpl, status, h, notes)
        r.flags = sorted(set(flags))
        if not run.wall_timeout:
            r.notes.append(f"runner exit {run.returncode}: {run.stderr.strip()[-400:]}")
        r.seconds = run.seconds
        r.timestamp = timestamp
        if not st.keep_work:
            shutil.rmtree(work, ignore_errors=True)
        return r
    dst = course.autograded(s, a)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, dst)
    if not st.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    res = score(executed, tpl, run_meta, flags, notes, prep.blank)
    res.student, res.assignment, res.hash = s, a, h
    res.seconds = round(time.monotonic() - t0, 2)
    res.numba = run_meta.get("numba")
    res.timestamp = timestamp
    return res


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>),?\s*line (\d+)")


def _failing_line(traceback: list[str]) -> int | None:
    """Line (in the test cell) of the innermost frame that belongs to the cell."""
    line = None
    for entry in traceback or []:
        txt = _ANSI.sub("", entry)
        found = _CELL_LINE.findall(txt)
        if found:
            line = int(found[0])
            break  # the first frame is the test cell itself
    return line


def score(executed, tpl: Template, run_meta: dict, flags, notes, blank) -> JobResult:
    events = {int(k): v for k, v in run_meta.get("events", {}).items()}
    tamper = run_meta.get("tamper", [])
    not_run = set(run_meta.get("not_run", []))
    flags = set(flags)
    index = {}
    for i, c in enumerate(executed.cells):
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            index.setdefault(gid, i)
    for ev in events.values():
        e = ev.get("event")
        if e == "timeout":
            flags.add("timeout")
        elif e == "killed":
            flags.add("killed")
        elif e == "died":
            code = ev.get("exit_code")
            flags.add("cpu_limit" if code in (-24, 152) else "kernel_died")
        elif e == "runner_error":
            flags.add("grader_error")
    for c in executed.cells:
        for o in c.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") == "MemoryError":
                flags.add("memory")
    for t in tamper:
        flags.add("cheating")
        notes.append(f"runtime check: {t.get('detail')} (after cell {t.get('cell')})")
    tests: list[TestResult] = []
    for gid in tpl.grade_ids:
        info = tpl.cells[gid]
        i = index.get(gid)
        cell = executed.cells[i] if i is not None else None
        tr = TestResult(gid, 0.0, info.points, "not_run")
        if cell is None or cell.cell_type != "code":
            tests.append(tr)
            continue
        ev = events.get(i, {}).get("event")
        err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if i in not_run:
            tr.outcome = "not_run"
        elif ev in ("timeout", "killed"):
            tr.outcome = ev
            tr.message = err.get("evalue", "") if err else ""
        elif ev == "died":
            tr.outcome = "error"
            tr.ename = "DeadKernelError"
            tr.message = err.get("evalue", "") if err else "el kernel murió"
        elif cell.get("execution_count") is None and not cell.get("outputs"):
            tr.outcome = "not_run"
        else:
            pts, _ = nbutils.determine_grade(cell)
            pts = 0.0 if pts is None else float(pts)
            tr.points = pts
            if err is not None:
                tr.outcome = "failed" if err.get("ename") == "AssertionError" else "error"
                tr.ename = err.get("ename", "")
                tr.message = str(err.get("evalue", ""))
                line = _failing_line(err.get("traceback", []))
                start = hidden_region_start(info.source)
                tr.hidden = bool(start and line and line > start)
            elif pts >= info.points:
                tr.outcome = "passed"
            elif pts > 0:
                tr.outcome = "partial"
            else:
                tr.outcome = "failed"
                tr.ename = "stderr"
                tr.message = "la celda de pruebas escribió en stderr"
        tests.append(tr)
    if "cheating" in flags:
        for tr in tests:
            if tr.points > 0:
                tr.points = 0.0
                tr.outcome = "withheld"
    total = sum(t.points for t in tests)
    maxs = tpl.max_score
    if total >= maxs and maxs > 0:
        base = "correct"
    elif total > 0:
        base = "partly_wrong"
    else:
        base = "wrong"
    if blank:
        flags.add("blank")
    cands = [f for f in STATUS_ORDER if f in flags] + [base]
    status = cands[0]
    return JobResult("", "", status, total, maxs, sorted(flags - {status}), notes, tests)


# -- gradebook ------------------------------------------------------------------------


def write_gradebook(gb, r: JobResult) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy autoflush warnings
        _write_gradebook(gb, r)


def _write_gradebook(gb, r: JobResult) -> None:
    s, a = r.student, r.assignment
    if r.status in ("missing", "no_submission", "not_submitted"):
        try:
            gb.find_submission(a, s)
        except Exception:
            return
        gb.remove_submission(a, s)
        return
    gb.update_or_create_student(s)
    kw = {}
    if r.timestamp:
        try:
            kw["timestamp"] = nbutils.parse_utc(r.timestamp)
        except Exception:
            pass
    gb.update_or_create_submission(a, s, **kw)
    nbrow = gb.find_submission_notebook(a, a, s)
    nbrow.flagged = r.needs_review
    for t in r.tests:
        g = gb.find_grade(t.grade_id, a, a, s)
        g.auto_score = t.points
        g.needs_manual_grade = r.needs_review
    comments = [c for c in nbrow.comments]
    for k, c in enumerate(sorted(comments, key=lambda c: c.name)):
        msg = []
        if r.status == "blank":
            msg.append("No response.")
        if k == 0 and r.needs_review:
            msg.append("Autograder: " + "; ".join(r.review_reasons()))
        c.auto_comment = " ".join(msg) or None
    gb.db.commit()


# -- the run --------------------------------------------------------------------------


def grade(
    course: Course,
    st: Settings,
    students: list[str] | None = None,
    assignments: list[str] | None = None,
    force: bool = False,
    log=print,
) -> list[JobResult]:
    from nbgrader.api import Gradebook

    manifest = course.manifest()["students"]
    all_students = sorted(students or manifest)
    all_assignments = assignments or course.assignments
    jobs = st.jobs or os.cpu_count() or 1
    mode = sandbox.resolve_sandbox(st.sandbox)
    if mode != "bwrap":
        log(sandbox.SANDBOX_WARNING)
    state = load_state(course)
    results: dict[str, JobResult] = {}
    with Gradebook(course.db_url) as gb:
        tpls = {a: load_template(course, a, gb) for a in all_assignments}
        todo = []
        for s in all_students:
            for a in all_assignments:
                key = f"{s}/{a}"
                h = job_hash(course, s, a, tpls[a], st)
                prev = state["jobs"].get(key)
                if not force and prev and prev.get("hash") == h and _in_gradebook(gb, prev):
                    results[key] = JobResult.from_json(prev)
                    continue
                todo.append((s, a, h))
        log(
            f"grading {len(todo)} submissions ({len(results)} already graded and unchanged), "
            f"{jobs} in parallel, sandbox: {mode}"
        )
        needs_kernel = any(
            manifest.get(s, {}).get("assignments", {}).get(a, {}).get("status")
            in ("ok", "renamed")
            for s, a, _ in todo
        )
        cache = warm_numba_cache(course, log) if (needs_kernel and st.warm_numba) else None
        if needs_kernel:
            warm_matplotlib_cache(course, log)
        bar = _progress(len(todo), st.progress)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = {
                pool.submit(grade_one, course, s, a, tpls[a], st, mode, cache, h): (s, a, h)
                for s, a, h in todo
            }
            try:
                for fut in as_completed(futs):
                    s, a, h = futs[fut]
                    try:
                        r = fut.result()
                    except Exception as exc:  # a bug or an unexpected failure: never silent
                        r = _static_result(s, a, tpls[a], "grader_error", h, [repr(exc)[:500]])
                    write_gradebook(gb, r)
                    results[f"{s}/{a}"] = r
                    state["jobs"][f"{s}/{a}"] = r.to_json()
                    atomic_write_json(course.state_path, state)
                    bar.update(1)
                    bar.set_postfix_str(f"{s}/{a}: {r.status}", refresh=False)
            except KeyboardInterrupt:
                for f in futs:
                    f.cancel()
                raise
        bar.close()
        # students or notebooks graded earlier but no longer collected stay in the state
    state["last_run"] = {
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sandbox": mode,
        "jobs": jobs,
    }
    atomic_write_json(course.state_path, state)
    _log_numba(results.values(), log)
    return [results[k] for k in sorted(results)]


def _in_gradebook(gb, prev: dict) -> bool:
    if prev.get("status") in ("missing", "no_submission", "not_submitted"):
        return True
    try:
        gb.find_submission_notebook(prev["assignment"], prev["assignment"], prev["student"])
        return True
    except Exception:
        return False


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


def sha_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())
