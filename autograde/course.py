"""The course directory: layout, assignment discovery, release and collect.

Layout of a course directory (nbgrader's own conventions where they exist)::

    course.json                 settings saved by ``release`` (db URL, assignments)
    nbgrader_config.py          so nbgrader's own tools (formgrader...) work here too
    gradebook.db                default SQLite gradebook (``--db`` for any SQLAlchemy URL)
    source/<a>/<a>.ipynb        instructor notebooks, with solutions and hidden tests
    release/<a>/<a>.ipynb       student versions made by nbgrader generate_assignment
    submitted/<s>/<a>/<a>.ipynb what ``collect`` took in (+ timestamp.txt)
    collect.json                per student and assignment: ok / missing / renamed ...
    autograded/<s>/<a>/<a>.ipynb executed notebooks, hidden tests included (instructors only)
    feedback/<s>/<a>.html       what students get back
    reports/                    grades.csv, summary.csv, needs_review.csv, PNG plots
    grading_state.json          resumable grading state (atomic writes)
    work/<run>/<s>-<a>-*/       one folder per grading run, one per job in it
    .grading.lock               held by the one grading run at work here (``lock``)

One assignment per course notebook: every ``notebooks/NN_*.ipynb`` with nbgrader
metadata is an assignment named after the notebook's stem (``01_conv1d``), holding
that one notebook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOKS = REPO_ROOT / "notebooks"
COURSE_ID = "cnncourse"
NOTEBOOK_RE = re.compile(r"^\d\d_[A-Za-z0-9_\-]+\.ipynb$")
STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# What nbgrader leaves where a solution was (in Spanish, the course's language). The same
# strings are in nbgrader_config.py, which is copied into the course directory and must
# not import this package; tests/test_autograde.py checks that the two agree.
CODE_STUB = "# ESCRIBE AQUÍ TU CÓDIGO\nraise NotImplementedError()"
TEXT_STUB = "ESCRIBE AQUÍ TU RESPUESTA"
STUB_LINES = {*CODE_STUB.splitlines(), TEXT_STUB}


class GradingError(RuntimeError):
    """A problem the instructor must fix (bad release, bad input folder...)."""


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, *, public: bool = False) -> None:
    """Write ``path`` all at once (a temporary file renamed over it).

    ``public``: the file gets the usual permissions (0666 minus the umask) instead of
    mkstemp's 0600, as for a notebook written into a student's folder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if public:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_nbgrader_notebook(path: Path) -> bool:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    metas = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    return any(m.get("grade") or m.get("solution") for m in metas)


def discover_notebooks(notebooks_dir: Path) -> list[Path]:
    """Every ``NN_*.ipynb`` in ``notebooks_dir`` that carries nbgrader metadata."""
    if not notebooks_dir.is_dir():
        return []
    return sorted(
        p for p in notebooks_dir.iterdir() if NOTEBOOK_RE.match(p.name) and is_nbgrader_notebook(p)
    )


def ensure_venv_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` script: make the venv's bin findable."""
    bindir = os.path.dirname(os.path.abspath(os.sys.executable))
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


@dataclass
class Course:
    root: Path
    db_url: str | None = None

    def __post_init__(self):
        ensure_venv_on_path()
        self.root = Path(self.root).resolve()
        settings = self.settings()
        if self.db_url is None:
            self.db_url = settings.get("db_url") or f"sqlite:///{self.root / 'gradebook.db'}"

    # -- paths -------------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.root / "course.json"

    def settings(self) -> dict:
        if self.settings_path.exists():
            return json.loads(self.settings_path.read_text())
        return {}

    def save_settings(self, **kw) -> None:
        data = self.settings()
        data.update(kw)
        atomic_write_json(self.settings_path, data)

    @property
    def assignments(self) -> list[str]:
        return list(self.settings().get("assignments", []))

    def source(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{assignment}.ipynb"

    def release(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    def submitted(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment / f"{assignment}.ipynb"

    def autograded(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def feedback(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / f"{assignment}.html"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def state_path(self) -> Path:
        return self.root / "grading_state.json"

    @property
    def manifest_path(self) -> Path:
        return self.root / "collect.json"

    def manifest(self) -> dict:
        if self.manifest_path.exists():
            return json.loads(self.manifest_path.read_text())
        return {"students": {}}

    def submission_info(self, student: str, assignment: str) -> dict:
        """What ``collect`` recorded for one notebook of one student (``{}`` if nothing)."""
        students = self.manifest()["students"]
        return students.get(student, {}).get("assignments", {}).get(assignment, {})

    def sqlite_dir(self) -> Path | None:
        if self.db_url and self.db_url.startswith("sqlite:///"):
            return Path(self.db_url[len("sqlite:///") :]).resolve().parent
        return None

    def nbgrader_config(self):
        from traitlets.config import Config

        c = Config()
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.course_id = COURSE_ID
        c.CourseDirectory.db_url = self.db_url
        c.Exchange.root = str(self.root / "exchange")
        c.ClearSolutions.code_stub = {"python": CODE_STUB}
        c.ClearSolutions.text_stub = TEXT_STUB
        return c


# -- release -----------------------------------------------------------------


def release(course: Course, notebooks_dir: Path, log=print) -> list[str]:
    """Generate student versions of every course notebook and verify them."""
    notebooks = discover_notebooks(notebooks_dir)
    if not notebooks:
        raise GradingError(
            f"no course notebooks found in {notebooks_dir} (expected NN_name.ipynb files "
            "with nbgrader metadata)"
        )
    course.root.mkdir(parents=True, exist_ok=True)
    cfg_src = Path(__file__).with_name("nbgrader_config.py")
    shutil.copy(cfg_src, course.root / "nbgrader_config.py")
    names = [p.stem for p in notebooks]
    course.save_settings(
        db_url=course.db_url, notebooks_dir=str(notebooks_dir.resolve()), assignments=names
    )
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=course.nbgrader_config())
    for path in notebooks:
        a = path.stem
        dst = course.source(a)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dst)
        res = api.generate_assignment(a, force=True, create=True)
        if not res.get("success"):
            raise GradingError(
                f"nbgrader generate_assignment failed for {a}:\n"
                f"{res.get('error') or res.get('log')}"
            )
        problems = verify_release(dst, course.release(a))
        if problems:
            raise GradingError(
                f"release of {a} is NOT safe to hand out:\n  " + "\n  ".join(problems)
            )
        log(f"released {a}: {course.release(a)} (verified: no solutions, no hidden tests)")
    return names


def _region_lines(source: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """Split a cell's lines into (inside any begin/end region, outside)."""
    inside, outside, active = [], [], False
    for line in source.splitlines():
        if begin in line:
            active = True
            continue
        if end in line:
            active = False
            continue
        (inside if active else outside).append(line)
    return inside, outside


def verify_release(source_path: Path, release_path: Path) -> list[str]:
    """Return a list of problems: any solution code or hidden test left in the release."""
    problems: list[str] = []
    if not release_path.exists():
        return [f"{release_path} was not generated"]
    src = nbformat.read(source_path, as_version=4)
    rel = nbformat.read(release_path, as_version=4)
    text = release_path.read_text(encoding="utf-8")
    for marker in (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END):
        if marker.split(" ", 1)[1] in text:
            problems.append(f"marker '{marker}' survives in the release")
    rel_cells = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in rel.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    }
    for c in src.cells:
        meta = c.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        rc = rel_cells.get(gid)
        if rc is None:
            problems.append(f"cell {gid} is missing from the release")
            continue
        if c.get("outputs") and rc.get("outputs"):
            problems.append(f"cell {gid} has outputs in the release")
        rel_lines = {ln.strip() for ln in rc.source.splitlines() if ln.strip()}
        allowed = STUB_LINES
        for begin, end, what in (
            (SOLUTION_BEGIN, SOLUTION_END, "solution code"),
            (HIDDEN_BEGIN, HIDDEN_END, "hidden test"),
        ):
            inside, outside = _region_lines(c.source, begin, end)
            outside_set = {ln.strip() for ln in outside}
            for ln in inside:
                s = ln.strip()
                if s and not s.startswith("#") and s not in outside_set and s not in allowed:
                    if s in rel_lines:
                        problems.append(f"{what} line survives in cell {gid}: {s[:80]!r}")
            block = "\n".join(x.strip() for x in inside if x.strip())
            if len(block) > 20 and block in "\n".join(x.strip() for x in text.splitlines()):
                problems.append(f"{what} block of cell {gid} appears in the release file")
    return problems


# -- collect -----------------------------------------------------------------


def _grade_ids(nb) -> set[str]:
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }


def _student_files(entry: Path, tmp: Path) -> list[Path]:
    """All .ipynb files a student handed in (folder, or a <student>.zip)."""
    if entry.is_file() and entry.suffix == ".zip":
        dest = tmp / ("zip-" + entry.stem)
        _safe_extract(entry, dest)
        entry = dest
    if entry.is_file():
        return [entry] if entry.suffix == ".ipynb" else []
    files = []
    for p in sorted(entry.rglob("*.ipynb")):
        parts = set(p.relative_to(entry).parts)
        if ".ipynb_checkpoints" in parts or "__MACOSX" in parts:
            continue
        files.append(p)
    return files


def _safe_extract(zpath: Path, dest: Path) -> None:
    with zipfile.ZipFile(zpath) as zf:
        for info in zf.infolist():
            target = (dest / info.filename).resolve()
            if not str(target).startswith(str(dest.resolve())):
                raise GradingError(f"{zpath}: unsafe path in zip: {info.filename}")
        zf.extractall(dest)


def collect(course: Course, src: Path, roster: list[str] | None = None, log=print) -> dict:
    """Take a class's submissions from a folder or a zip into ``submitted/``.

    Convention: every top-level entry of SRC is one student, named by the student
    id: a folder ``<id>/`` holding the notebooks (any depth), or a ``<id>.zip``.
    Notebooks are matched by file name (``01_conv1d.ipynb``); a notebook under
    another name is recognised by its nbgrader cell ids and marked *renamed*.
    Students on the roster with no entry (or an empty one) submitted nothing.
    """
    assignments = course.assignments
    if not assignments:
        raise GradingError("nothing released yet: run `cnncourse-grade release` first")
    src = Path(src)
    if not src.exists():
        raise GradingError(f"{src} does not exist")
    release_ids = {
        a: _grade_ids(nbformat.read(course.release(a), as_version=4)) for a in assignments
    }
    manifest = course.manifest()
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        if src.is_file():
            if src.suffix != ".zip":
                raise GradingError(f"{src}: expected a folder or a .zip")
            _safe_extract(src, tmp / "class")
            src = tmp / "class"
        entries = {}
        for e in sorted(src.iterdir()):
            if e.name.startswith(".") or e.name == "__MACOSX":
                continue
            if e.is_file() and e.suffix not in (".zip", ".ipynb"):
                log(f"skipping {e.name}: expected a folder or a .zip per student")
                continue
            sid = e.stem if e.is_file() else e.name
            if not STUDENT_RE.match(sid):
                log(f"skipping {e.name}: not a valid student id")
                continue
            entries[sid] = e
        students = sorted(set(entries) | set(roster or []))
        for sid in students:
            files = _student_files(entries[sid], tmp) if sid in entries else []
            info = _collect_student(course, sid, files, assignments, release_ids)
            manifest["students"][sid] = info
    atomic_write_json(course.manifest_path, manifest)
    log(f"collected {len(students)} students into {course.root / 'submitted'}")
    return manifest


def _collect_student(course, sid, files, assignments, release_ids) -> dict:
    out: dict = {"assignments": {}, "extra_files": []}
    student_dir = course.root / "submitted" / sid
    if student_dir.exists():
        shutil.rmtree(student_dir)
    by_name = {f.name: f for f in files}
    used: set[Path] = set()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    unmatched = []
    for a in assignments:
        f = by_name.get(f"{a}.ipynb")
        status, original = "ok", None
        if f is None:
            f = _find_renamed(a, files, used, release_ids)
            if f is not None:
                status, original = "renamed", f.name
        if f is None:
            unmatched.append(a)
            continue
        used.add(f)
        data = f.read_bytes()
        dst = course.submitted(sid, a)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)
        mtime = dt.datetime.fromtimestamp(f.stat().st_mtime, dt.UTC)
        (dst.parent / "timestamp.txt").write_text(
            mtime.strftime("%Y-%m-%d %H:%M:%S.%f %Z") if mtime.year > 1980 else stamp
        )
        out["assignments"][a] = {
            "status": status,
            "original_name": original or f.name,
            "sha256": sha256_bytes(data),
        }
    leftovers = sorted(f.name for f in files if f not in used)
    for a in unmatched:
        # nothing at all / this notebook simply not handed in / files we could not match
        if not files:
            out["assignments"][a] = {"status": "no_submission"}
        elif leftovers:
            out["assignments"][a] = {"status": "missing", "unmatched_files": leftovers}
        else:
            out["assignments"][a] = {"status": "not_submitted"}
    out["extra_files"] = sorted(f.name for f in files if f not in used)
    return out


def _find_renamed(a, files, used, release_ids) -> Path | None:
    want = release_ids[a]
    best, best_score = None, 0.0
    for f in files:
        if f in used or NOTEBOOK_RE.match(f.name) and f.stem in release_ids:
            continue
        try:
            ids = _grade_ids(nbformat.read(f, as_version=4))
        except Exception:
            # unreadable: accept it only if the name clearly refers to this notebook
            if f.stem.startswith(a[:3]) and a[3:] in f.stem:
                return f
            continue
        score = len(ids & want) / max(1, len(want))
        if score > best_score:
            best, best_score = f, score
    return best if best_score >= 0.5 else None
