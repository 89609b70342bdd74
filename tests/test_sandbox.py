"""What the grading sandbox enforces, shown by hostile submissions graded for real.

Each test grades a small class on the toy notebook (``autograde.toy``) through the
CLI: hostile students hide their code in an answer cell before a correct answer,
and an honest classmate is graded in the same run. The tests need bubblewrap
(and, for the process cap, a pids cgroup) and skip, saying why, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from autograde import cli, sandbox
from autograde.course import Course
from autograde.pids import process_cap
from autograde.results import load_results
from autograde.toy import TOY_NAME, write_toy

A = TOY_NAME
REPO = Path(__file__).resolve().parent.parent
ARGS = ["--no-progress", "--no-numba-warmup", "--jobs", "2"]

needs_bwrap = pytest.mark.skipif(
    not sandbox.bwrap_works(), reason="bubblewrap is not installed or cannot create namespaces"
)

CORRECT = textwrap.dedent(
    """
    def add_one(x):
        return np.asarray(x, dtype=float) + 1.0
    """
)


def _course(root: Path) -> Course:
    write_toy(root / "nbs")
    cdir = root / "course"
    assert cli.main(["release", "--course-dir", str(cdir), "--notebooks", str(root / "nbs")]) == 0
    return Course(cdir)


def _hand_in(
    course: Course, class_dir: Path, student: str, code: str, answer: str = CORRECT
) -> None:
    """The instructor's solution with ``code`` run first in the first answer cell."""
    nb = nbformat.read(course.source(A), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add_one")
    cell.source = textwrap.dedent(code) + "\n" + answer
    (class_dir / student).mkdir(parents=True)
    nbformat.write(nb, class_dir / student / f"{A}.ipynb")


def _collect(course: Course, class_dir: Path) -> None:
    assert cli.main(["collect", "--course-dir", str(course.root), str(class_dir)]) == 0


def _printed(course: Course, student: str, tag: str) -> dict:
    """The JSON a submission printed after ``tag`` in its executed notebook."""
    nb = nbformat.read(course.autograded(student, A), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            for line in text.splitlines():
                if line.startswith(tag + " "):
                    # only the first JSON value: output captured from the kernel's file
                    # descriptors may arrive later and land on the same line
                    return json.JSONDecoder().raw_decode(line[len(tag) + 1 :])[0]
    raise AssertionError(f"{student} printed no {tag} line")


# -- reading: the allowlist ---------------------------------------------------------------

WALKER = """
import json, os
TOKEN = {token!r}
HIDDEN = "add_one falla con otros valores"
seen, found = 0, []
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    for name in files:
        seen += 1
        if not name.endswith((".ipynb", ".db", ".py", ".json")):
            continue
        path = os.path.join(root, name)
        try:
            if os.path.getsize(path) > 4_000_000:
                continue
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if TOKEN.encode() in data or HIDDEN.encode() in data:
            found.append(path)
print("WALK " + json.dumps({{"seen": seen, "found": found}}))
"""

WRITER = """
import json, os
TOKEN = {token!r}
NAMED = {named!r}
ok = []
targets = list(NAMED)
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys"):
        dirs[:] = []
        continue
    targets.append(root)
for d in targets:
    try:
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "pwned-" + TOKEN), "w") as fh:
            fh.write("x")
        ok.append(d)
    except OSError:
        pass
print("WROTE " + json.dumps({{"tried": len(targets), "ok": ok}}))
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A course, and copies of its source notebook and gradebook where it is not told.

    The copies (marked with a random token) go into a temporary HOME and into
    another folder outside /tmp, which the sandbox replaces anyway.
    """
    token = uuid.uuid4().hex
    root = tmp_path_factory.mktemp("planted")
    course = _course(root)
    outside = Path(tempfile.mkdtemp(prefix="cnncourse-planted-", dir="/var/tmp"))
    home, other = outside / "home", outside / "teaching-backup"
    for folder in (home / "curso", other):
        folder.mkdir(parents=True)
        text = course.source(A).read_text()
        (folder / f"{A}.ipynb").write_text(text.replace('"cells"', f'"{token}": 1, "cells"', 1))
        shutil.copy(course.root / "gradebook.db", folder / "gradebook.db")
        (folder / "gradebook.db").open("ab").write(token.encode())
        (folder / "tests.py").write_text(f"# {token}\n")
    cls = root / "cls"
    named = [str(course.root), str(home), str(other), str(REPO), "/var/tmp", "/root", "/work"]
    _hand_in(course, cls, "walker", WALKER.format(token=token))
    _hand_in(course, cls, "writer", WRITER.format(token=token, named=named))
    _hand_in(course, cls, "honest", "")
    _collect(course, cls)
    yield course, token, home, other
    shutil.rmtree(outside, ignore_errors=True)


def _grade(course, *extra, env_home=None, monkeypatch=None):
    if env_home is not None:
        monkeypatch.setenv("HOME", str(env_home))
    return cli.main(["grade", "--course-dir", str(course.root), *ARGS, *extra])


@needs_bwrap
def test_a_submission_walking_the_file_system_finds_no_hidden_tests(planted, monkeypatch):
    course, token, home, other = planted
    assert _grade(course, "--cell-timeout", "120", env_home=home, monkeypatch=monkeypatch) == 0
    walk = _printed(course, "walker", "WALK")
    assert walk["seen"] > 1000, walk  # it did walk: /usr and the interpreter are there
    assert walk["found"] == []
    res = load_results(course)
    assert res[("walker", A)].status == "correct"
    assert res[("honest", A)].status == "correct"


@needs_bwrap
def test_a_submission_writing_everywhere_leaves_nothing_outside_its_work_directory(
    planted, monkeypatch
):
    course, token, home, other = planted
    if not (course.autograded("writer", A)).exists():
        assert _grade(course, "--cell-timeout", "120", env_home=home, monkeypatch=monkeypatch) == 0
    wrote = _printed(course, "writer", "WROTE")
    assert wrote["tried"] > 100, wrote
    # only the sandbox's own tmpfs (/tmp, the work directory) took the files
    assert all(d == "/tmp" or d.startswith("/tmp/") for d in wrote["ok"]), wrote["ok"]
    hits = subprocess.run(
        ["find", "/", "/tmp", "/var/tmp", "-xdev", "-name", f"pwned-{token}"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert hits == []
    assert load_results(course)[("writer", A)].status == "correct"


@needs_bwrap
def test_without_the_sandbox_the_same_walker_finds_the_planted_copies(planted, monkeypatch):
    """The control: the walker is not blind, the sandbox is what hides the copies."""
    course, token, home, other = planted
    rc = _grade(
        course, "--cell-timeout", "120", "--sandbox", "none", "--force", "--student", "walker",
        env_home=home, monkeypatch=monkeypatch,
    )  # fmt: skip
    assert rc == 0
    found = _printed(course, "walker", "WALK")["found"]
    for folder in (home / "curso", other):
        for name in (f"{A}.ipynb", "gradebook.db", "tests.py"):
            assert str(folder / name) in found, (folder / name, found)


# -- the caps: processes and disk -------------------------------------------------------------

FORK_BOMB = """
import os, time, json
children = []
try:
    for _ in range(1000):
        pid = os.fork()
        if pid == 0:
            time.sleep(120)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    print("FORK " + json.dumps({"children": len(children), "error": repr(exc)}))
else:
    print("FORK " + json.dumps({"children": len(children), "error": None}))
"""

DISK_FILLER = """
import json
written = 0
error = None
try:
    for i in range(24):
        with open(f"big{i}.bin", "wb") as fh:
            for _ in range(200):
                fh.write(bytes(1 << 20))
                written += 1 << 20
except OSError as exc:
    error = repr(exc)
print("DISK " + json.dumps({"written": written, "error": error}))
"""


FORGER = """
import json, os
runner = os.getppid()
reached = []
for what in ("fd/0", "fd/1", "mem", "environ"):
    try:
        with open(f"/proc/{runner}/{what}", "rb") as fh:
            fh.read(1)
        reached.append(what)
    except OSError:
        pass
fake = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
for fd in (1, 2):
    try:
        os.write(fd, fake + b"\\nAUTOGRADE-RESULT " + b"0" * 64 + b" %d\\n" % len(fake))
    except OSError:
        pass
print("FORGE " + json.dumps({"reached": reached}))
"""
WRONG = "def add_one(x):\n    return np.asarray(x, dtype=float)\n"


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    root = tmp_path_factory.mktemp("caps")
    course = _course(root)
    cls = root / "cls"
    _hand_in(course, cls, "forker", FORK_BOMB)
    _hand_in(course, cls, "filler", DISK_FILLER)
    _hand_in(course, cls, "forger", FORGER, answer=WRONG)
    _hand_in(course, cls, "honest", "")
    _collect(course, cls)
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS, "--cell-timeout", "60"]) == 0
    return course


@needs_bwrap
@pytest.mark.skipif(
    process_cap(256, 2).mechanism.startswith("cgroup") is False,
    reason="no pids cgroup the grader may use here (not root, no delegated cgroup v2)",
)
def test_a_fork_bomb_stops_at_the_process_cap_and_is_reported(capped):
    course = capped
    fork = _printed(course, "forker", "FORK")
    # the kernel and its threads count too: it gets fewer than 256 children
    assert 50 < fork["children"] < 256, fork
    assert "BlockingIOError" in fork["error"] or "Resource temporarily" in fork["error"]
    res = load_results(course)
    r = res[("forker", A)]
    assert r.status == "process_limit" and r.needs_review
    assert any("process cap" in n for n in r.notes), r.notes
    peak = [n for n in r.notes if "peak" in n]
    assert peak and int(peak[0].split("peak ")[1].split()[0]) <= 256, r.notes
    # the answers after the bomb still ran and scored
    assert r.score == 3
    assert res[("honest", A)].status == "correct"


@needs_bwrap
def test_a_disk_filler_stops_at_the_disk_cap_and_is_reported(capped):
    course = capped
    disk = _printed(course, "filler", "DISK")
    assert disk["written"] <= 1 << 30, disk
    assert disk["written"] >= 512 << 20, disk  # the cap is the tmpfs, not something smaller
    assert "No space left" in disk["error"], disk
    r = load_results(course)[("filler", A)]
    assert r.status == "disk_limit" and r.needs_review
    assert r.score == 3


@needs_bwrap
def test_student_code_cannot_reach_the_runner_or_forge_its_result(capped):
    course = capped
    assert _printed(course, "forger", "FORGE")["reached"] == []
    r = load_results(course)[("forger", A)]
    # graded on what it did: the wrong add_one fails, double passes
    assert (r.status, r.score) == ("partly_wrong", 2)


# -- one grading run per course, and grader errors never replace a grade ----------------------


def _gradebook_dump(course: Course):
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(course.db_url) as gradebook:
        for sub in gradebook.assignment_submissions(A):
            for nb in sub.notebooks:
                for g in nb.grades:
                    rows.append((sub.student.id, g.name, g.auto_score, g.needs_manual_grade))
    return sorted(rows)


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    course = _course(root)
    cls = root / "cls"
    _hand_in(course, cls, "ana", "")
    _hand_in(course, cls, "bea", "")
    _hand_in(course, cls, "carlos", "import time\ntime.sleep(3)")
    _collect(course, cls)
    return course, root


def test_a_second_grading_run_on_the_same_course_refuses_and_names_the_first(small_class):
    course, root = small_class
    cmd = [sys.executable, "-m", "autograde.cli", "grade", "--course-dir", str(course.root)]
    cmd += [*ARGS, "--force"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = course.root / ".grading.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out_first, _ = first.communicate(timeout=300)
    assert first.returncode == 0, out_first
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another grading run is using" in second.stderr
    assert f"process {first.pid}" in second.stderr
    # the gradebook is exactly what one run gives: a fresh course, graded once
    single = _course(root / "single")
    _collect(single, root / "cls")
    assert cli.main(["grade", "--course-dir", str(single.root), *ARGS]) == 0
    assert _gradebook_dump(course) == _gradebook_dump(single)
    assert {r.status for r in load_results(course).values()} == {"correct"}
    # nothing of the runs' work directories is left behind
    assert list((course.root / "work").iterdir()) == []


def test_a_waiting_run_starts_when_the_first_is_done(small_class):
    course, _ = small_class
    cmd = [sys.executable, "-m", "autograde.cli", "grade", "--course-dir", str(course.root)]
    first = subprocess.Popen([*cmd, *ARGS, "--force"], stdout=subprocess.DEVNULL)
    lock = course.root / ".grading.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    second = subprocess.run([*cmd, *ARGS, "--wait"], capture_output=True, text=True, timeout=300)
    assert first.wait(timeout=300) == 0
    assert second.returncode == 0, second.stderr
    assert "waiting for the other grading run" in second.stdout
    assert "grading 0 submissions (3 already graded" in second.stdout


def test_a_crashed_run_does_not_leave_the_course_locked(small_class):
    course, _ = small_class
    cmd = [sys.executable, "-m", "autograde.cli", "grade", "--course-dir", str(course.root)]
    proc = subprocess.Popen([*cmd, *ARGS, "--force"], stdout=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    lock = course.root / ".grading.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    os.killpg(proc.pid, 9)
    proc.wait()
    again = subprocess.run([*cmd, *ARGS], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr


FAILING_RUNNER = "import sys\nsys.stderr.write('runner broke on purpose\\n')\nsys.exit(3)\n"


def test_a_grader_error_keeps_the_earlier_grade_and_is_retried(small_class, tmp_path, monkeypatch):
    course, _ = small_class
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS]) == 0
    before = _gradebook_dump(course)
    assert {r.status for r in load_results(course).values()} == {"correct"}
    broken = tmp_path / "_runner.py"
    broken.write_text(FAILING_RUNNER)
    monkeypatch.setattr(sandbox, "RUNNER", broken)
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS, "--force"]) == 0
    # the gradebook still holds the correct grades; the state marks them for a retry
    assert _gradebook_dump(course) == before
    res = load_results(course)
    assert all(r.status == "correct" and r.score == 3 and r.retry for r in res.values())
    assert all("runner broke on purpose" in " ".join(r.last_error["notes"]) for r in res.values())
    assert all(r.needs_review for r in res.values())
    # the next run (no --force) retries them, and the mark goes away
    monkeypatch.undo()
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS]) == 0
    res = load_results(course)
    assert all(r.status == "correct" and not r.retry for r in res.values())
    assert _gradebook_dump(course) == before


def test_a_grader_error_with_no_earlier_grade_is_recorded(tmp_path, monkeypatch):
    course = _course(tmp_path)
    _hand_in(course, tmp_path / "cls", "dora", "")
    _collect(course, tmp_path / "cls")
    broken = tmp_path / "_runner.py"
    broken.write_text(FAILING_RUNNER)
    monkeypatch.setattr(sandbox, "RUNNER", broken)
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS]) == 0
    r = load_results(course)[("dora", A)]
    assert r.status == "grader_error" and r.score == 0 and r.needs_review
    assert any("runner broke on purpose" in n for n in r.notes)
    # retried on the next run, without --force
    monkeypatch.undo()
    assert cli.main(["grade", "--course-dir", str(course.root), *ARGS]) == 0
    assert load_results(course)[("dora", A)].status == "correct"
