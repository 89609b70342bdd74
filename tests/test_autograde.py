"""Tests of the grading pipeline on a tiny notebook built in code (autograde.toy).

Fast pieces (release verification, collect conventions, cell restoration, the
cheat scan) run directly; the sandboxed end-to-end runs use the real CLI, as
nbgrader's own tests do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograde import cli
from autograde.course import Course, collect, release, verify_release
from autograde.demo.make_demo import build
from autograde.prepare import prepare, scan_cheats
from autograde.results import load_results
from autograde.toy import TOY_NAME, write_toy

REPO = Path(__file__).resolve().parent.parent
A = TOY_NAME


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("toy")
    write_toy(root / "nbs")
    course = Course(root / "course")
    release(course, root / "nbs", log=lambda *a: None)
    return course


def _nb(course, kind: str):
    rel = nbformat.read(course.release(A), as_version=4)
    src = nbformat.read(course.source(A), as_version=4)
    return build(kind, rel, src)[1]


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _template(course):
    from nbgrader.api import Gradebook

    from autograde.prepare import load_template

    with Gradebook(course.db_url) as gradebook:
        return load_template(course, A, gradebook)


# -- release -----------------------------------------------------------------------------


def test_release_has_no_solutions_or_hidden_tests(released):
    text = released.release(A).read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "np.asarray(x, dtype=float) + 1.0" not in text
    assert verify_release(released.source(A), released.release(A)) == []


def test_released_stub_is_spanish(released):
    text = released.release(A).read_text()
    assert "ESCRIBE AQUÍ TU CÓDIGO" in text and "YOUR CODE HERE" not in text


def test_nbgrader_config_file_uses_the_same_stubs():
    """nbgrader_config.py (copied into the course dir, standalone) agrees with course.py."""
    from traitlets.config import Config

    from autograde import course as course_mod

    c = Config()
    path = Path(course_mod.__file__).with_name("nbgrader_config.py")
    exec(
        compile(path.read_text(encoding="utf-8"), str(path), "exec"),
        {"get_config": lambda: c, "__file__": str(path)},
    )
    assert c.ClearSolutions.code_stub == {"python": course_mod.CODE_STUB}
    assert c.ClearSolutions.text_stub == course_mod.TEXT_STUB


def test_verify_release_catches_a_leak(released, tmp_path):
    nb = nbformat.read(released.release(A), as_version=4)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double":
            c.source += "\nassert vals == [6.0, -1.0], 'double falla con números negativos'"
    bad = tmp_path / "leak.ipynb"
    nbformat.write(nb, bad)
    problems = verify_release(released.source(A), bad)
    assert any("hidden test line survives" in p for p in problems)


def test_release_fails_loudly_without_notebooks(tmp_path):
    from autograde.course import GradingError

    with pytest.raises(GradingError, match="no course notebooks"):
        release(Course(tmp_path / "c"), tmp_path / "empty", log=lambda *a: None)


# -- prepare: restoring cells ---------------------------------------------------------


def test_prepare_restores_edited_and_deleted_test_cells(released):
    tpl = _template(released)
    nb = _nb(released, "correct")
    cells = nb.cells
    edited = next(c for c in cells if _gid(c) == "test_add_one")
    edited.source = "pass"
    nb.cells = [c for c in cells if _gid(c) != "test_double"]
    prep = prepare(nb, tpl)
    assert "test_cell_edited" in prep.flags and "test_cell_deleted" in prep.flags
    by_id = {_gid(c): c for c in prep.nb.cells if _gid(c)}
    assert "BEGIN HIDDEN TESTS" in by_id["test_add_one"].source  # hidden tests restored
    assert "BEGIN HIDDEN TESTS" in by_id["test_double"].source
    order = [_gid(c) for c in prep.nb.cells]
    assert order.index("test_double") == order.index("double") + 1


def test_prepare_detects_blank_and_resets_points(released):
    tpl = _template(released)
    nb = _nb(released, "blank")
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("points"):
            c.metadata["nbgrader"]["points"] = 100
    prep = prepare(nb, tpl)
    assert prep.blank and not prep.cheats
    pts = [c.metadata["nbgrader"]["points"] for c in prep.nb.cells
           if c.metadata.get("nbgrader", {}).get("grade")]  # fmt: skip
    assert pts == [1.0, 2.0]


# -- cheat scan -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, needle",
    [
        ("import numpy as np\nnp.allclose = lambda *a, **k: True", "np.allclose"),
        ("import numpy\nnumpy.testing.assert_allclose = print", "numpy.testing.assert_allclose"),
        ("import builtins\nbuiltins.abs = lambda x: 0", "builtins"),
        ("__builtins__['len'] = lambda x: 3", "__builtins__"),
        ("import cnncourse\nsetattr(cnncourse, 'conv2d', None)", "setattr"),
        ("class A:\n    def __eq__(self, o):\n        return True", "__eq__"),
        ("import sys\nsys.modules['numpy'] = None", "sys.modules"),
        ("np = None", "rebinds 'np'"),
        ("get_ipython().run_cell = None", "IPython"),
        # rebinding through with, for, the walrus and except ... as
        ("with open('datos.txt') as np:\n    pass", "rebinds 'np'"),
        ("with open('a') as f, open('b') as (x, abs):\n    pass", "rebinds 'abs'"),
        ("import numpy as np\nwith open('a') as np.allclose:\n    pass", "np.allclose"),
        ("async def f(g):\n    async with g() as np:\n        pass", "rebinds 'np'"),
        ("for i, (np, *rest) in []:\n    pass", "rebinds 'np'"),
        ("if (np := None) is None:\n    pass", "rebinds 'np'"),
        ("try:\n    pass\nexcept Exception as np:\n    pass", "rebinds 'np'"),
    ],
)
def test_scan_cheats_flags(code, needle):
    found = scan_cheats([("cell", code)], protected={"np", "abs"})
    assert any(needle in f for f in found), found


def test_scan_cheats_accepts_honest_solutions():
    honest = (
        "import numpy as np\n"
        "def conv1d_loops(x, u):\n"
        "    out = np.zeros(len(x) - len(u) + 1)\n"
        "    for i in range(out.shape[0]):\n"
        "        out[i] = np.sum(x[i:i + len(u)] * u)\n"
        "    return out\n"
        "np.random.seed(0)\n"
        "%timeit conv1d_loops(np.ones(10), np.ones(3))\n"
        "with open('datos.txt') as fh, open('otros.txt') as (a, b):\n"
        "    pass\n"
        "try:\n"
        "    pass\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    assert scan_cheats([("c", honest)], protected={"np", "len", "range"}) == []


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_course_solutions_are_not_flagged(path):
    """The instructor's own solutions must never look like cheating."""
    nb = nbformat.read(path, as_version=4)
    code = [(c.metadata.get("nbgrader", {}).get("grade_id", "?"), c.source)
            for c in nb.cells if c.cell_type == "code"
            and not c.metadata.get("nbgrader", {}).get("locked")]  # fmt: skip
    assert scan_cheats(code, protected={"np", "cnncourse"}) == []


# -- statuses and scoring -------------------------------------------------------------------


def test_every_status_has_a_message_and_ranked_ones_keep_their_order():
    from autograde.statuses import NOT_HANDED_IN, STATUS, STATUS_ORDER, STATUSES

    assert len(STATUS) == len(STATUSES)
    assert all(s.message_es for s in STATUSES)
    assert STATUS_ORDER[:3] == ("no_submission", "missing", "not_submitted")
    assert STATUS_ORDER[-3:] == ("correct", "partly_wrong", "wrong")
    assert NOT_HANDED_IN <= set(STATUS_ORDER)
    # read-only cells restored: a reason to look, never the notebook's status
    for name in ("locked_cell_edited", "locked_cell_deleted"):
        assert STATUS[name].review and name not in STATUS_ORDER


def test_score_returns_a_complete_result_and_leaves_its_arguments_alone(released):
    """A run-time tamper finding: status cheating, every point withheld, notes added to a
    copy; the result names its student, assignment and hash without patching."""
    from autograde.scoring import score

    tpl = _template(released)
    executed = prepare(_nb(released, "correct"), tpl).nb
    for c in executed.cells:
        if c.cell_type == "code":
            c.execution_count = 1  # ran, no error output: passes
    flags, notes = ["renamed"], ["cheat scan: none"]
    run_meta = {"tamper": [{"detail": "numpy.allclose rebound", "cell": 3}], "numba": {"x": 1}}
    res = score(executed, tpl, run_meta, student="ana", assignment=A, job_hash="abc",
                flags=flags, notes=notes, blank=False, seconds=1.5, timestamp="t")  # fmt: skip
    assert (res.student, res.assignment, res.hash, res.seconds, res.timestamp) == (
        "ana", A, "abc", 1.5, "t")  # fmt: skip
    assert res.status == "cheating" and res.score == 0 and res.max_score == 3
    assert res.flags == ["renamed"] and res.numba == {"x": 1}
    assert [t.outcome for t in res.tests] == ["withheld", "withheld"]
    assert res.notes[0] == "cheat scan: none" and "numpy.allclose rebound" in res.notes[1]
    assert flags == ["renamed"] and notes == ["cheat scan: none"]
    clean = score(executed, tpl, {}, student="ana", assignment=A, job_hash="abc", flags=[],
                  notes=[], blank=False)  # fmt: skip
    assert clean.status == "correct" and clean.score == 3 and clean.needs_review is False


# -- collect --------------------------------------------------------------------------------


def test_collect_conventions(released, tmp_path):
    good = nbformat.writes(_nb(released, "correct"))
    cls = tmp_path / "cls"
    (cls / "ana").mkdir(parents=True)
    (cls / "ana" / f"{A}.ipynb").write_text(good)
    (cls / "ben").mkdir()
    (cls / "ben" / "Copia de tarea (2).ipynb").write_text(good)  # renamed
    (cls / "cris").mkdir()
    (cls / "cris" / "otra_cosa.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (cls / "dani").mkdir()  # empty folder: nothing submitted
    with zipfile.ZipFile(cls / "eva.zip", "w") as zf:  # one zip per student
        zf.writestr(f"carpeta/{A}.ipynb", good)
    (cls / "notas.txt").write_text("not a student")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in cls.rglob("*"):
            zf.write(p, p.relative_to(cls))
    course = Course(tmp_path / "course", db_url=released.db_url)
    shutil.copytree(released.root / "release", course.root / "release")
    course.save_settings(assignments=[A])
    man = collect(course, archive, roster=["ana", "zoe"], log=lambda *a: None)["students"]
    st = {s: man[s]["assignments"][A]["status"] for s in man}
    assert st == {
        "ana": "ok",
        "ben": "renamed",
        "cris": "missing",
        "dani": "no_submission",
        "eva": "ok",
        "zoe": "no_submission",
    }
    assert course.submitted("ben", A).exists() and course.submitted("eva", A).exists()


# -- end to end with the real CLI (sandboxed) ------------------------------------------------


def _gradebook_dump(db: Path):
    """Every grade row through nbgrader's API: (student, cell, auto score, manual flag)."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{db}") as gradebook:
        for sub in gradebook.assignment_submissions(A):
            for nb in sub.notebooks:
                for g in nb.grades:
                    rows.append((sub.student.id, g.name, g.auto_score, g.needs_manual_grade))
                rows.append((sub.student.id, "flagged", nb.flagged, str(sub.timestamp)))
    return sorted(rows)


def _toy_class(course: Course, dest: Path) -> dict[str, str]:
    cases = {
        "s_correct": "correct",
        "s_partial": "partly_wrong",
        "s_blank": "blank",
        "s_loop": "py_loop",
        "s_dies": "kernel_dies",
        "s_cheat": "cheat_numpy",
        "s_eq": "cheat_eq",
        "s_tb": "cheat_traceback",
        "s_corrupt": "corrupt",
    }
    rel = nbformat.read(course.release(A), as_version=4)
    src = nbformat.read(course.source(A), as_version=4)
    for s, case in cases.items():
        (dest / s).mkdir(parents=True)
        kind, obj = build(case, rel, src)
        if kind == "bytes":
            (dest / s / f"{A}.ipynb").write_bytes(obj)
        else:
            nbformat.write(obj, dest / s / f"{A}.ipynb")
    # the instructor's source notebook handed in as is must get full marks
    (dest / "s_source").mkdir()
    shutil.copy(course.source(A), dest / "s_source" / f"{A}.ipynb")
    (dest / "s_empty").mkdir()
    return cases


GRADE_ARGS = ["--no-progress", "--no-numba-warmup", "--cell-timeout", "6", "--jobs", "2"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    write_toy(root / "nbs")
    cdir = root / "course"
    assert cli.main(["release", "--course-dir", str(cdir), "--notebooks", str(root / "nbs")]) == 0
    course = Course(cdir)
    _toy_class(course, root / "cls")
    assert cli.main(["collect", "--course-dir", str(cdir), str(root / "cls")]) == 0
    assert cli.main(["grade", "--course-dir", str(cdir), *GRADE_ARGS]) == 0
    return course, root


def test_end_to_end_statuses_and_scores(graded):
    course, _ = graded
    res = {s: r for (s, _a), r in load_results(course).items()}
    expect = {
        "s_correct": ("correct", 3),
        "s_source": ("correct", 3),
        "s_partial": ("partly_wrong", 1),
        "s_blank": ("blank", 0),
        "s_loop": ("timeout", 2),
        "s_dies": ("kernel_died", 2),
        "s_cheat": ("cheating", 0),
        "s_eq": ("cheating", 0),
        "s_tb": ("cheating", 0),
        "s_corrupt": ("corrupt", 0),
        "s_empty": ("no_submission", 0),
    }
    got = {s: (r.status, r.score) for s, r in res.items()}
    assert got == expect
    assert res["s_blank"].tests[0].ename == "NotImplementedError"
    assert all(r.needs_review for s, r in res.items() if s in ("s_loop", "s_cheat", "s_corrupt"))
    # a silenced traceback is caught at run time too, from the kernel's execute reply
    assert any("traceback was not displayed" in n for n in res["s_tb"].notes), res["s_tb"].notes


def test_gradebook_holds_the_scores(graded):
    course, _ = graded
    rows = _gradebook_dump(course.root / "gradebook.db")
    scores = {(s, g): sc for s, g, sc, _ in rows}
    assert scores[("s_correct", "test_double")] == 2.0
    assert scores[("s_cheat", "test_add_one")] == 0.0
    manual = {s for s, g, _sc, m in rows if g != "flagged" and m}
    assert "s_cheat" in manual and "s_correct" not in manual
    flagged = {s for s, g, f, _ in rows if g == "flagged" and f}
    assert {"s_cheat", "s_loop", "s_corrupt"} <= flagged and "s_partial" not in flagged


def test_feedback_hides_hidden_tests(graded):
    course, _ = graded
    assert cli.main(["feedback", "--course-dir", str(course.root)]) == 0
    for page in (course.root / "feedback").rglob("*.html"):
        text = page.read_text()
        assert "HIDDEN" not in text and "vals ==" not in text and "Traceback" not in text
    partial = (course.root / "feedback" / "s_partial" / f"{A}.html").read_text()
    assert "prueba oculta" in partial or "falló" in partial


def test_report_files(graded):
    course, _ = graded
    assert cli.main(["report", "--course-dir", str(course.root)]) == 0
    rep = course.root / "reports"
    for name in ("grades.csv", "summary.csv", "needs_review.csv", "pass_rate.png",
                 "score_distribution.png"):  # fmt: skip
        assert (rep / name).stat().st_size > 0
    lines = (rep / "grades.csv").read_text().splitlines()
    assert lines[0] == "student,notebook,exercise,score,max_score,status,notebook_status"
    assert len(lines) == 1 + 11 * 2  # 11 students, 2 exercises each
    review = (rep / "needs_review.csv").read_text()
    assert "s_loop" in review and "s_correct" not in review


def test_regrade_skips_unchanged(graded, capsys):
    course, _ = graded
    t0 = time.monotonic()
    assert cli.main(["grade", "--course-dir", str(course.root), *GRADE_ARGS]) == 0
    assert "grading 0 submissions (11 already graded" in capsys.readouterr().out
    assert time.monotonic() - t0 < 30


def test_killed_run_resumes_to_the_same_gradebook(graded, tmp_path):
    course, root = graded
    reference = _gradebook_dump(course.root / "gradebook.db")
    # a fresh course with the same class: kill the grader mid-run, then run it again
    cdir = tmp_path / "course"
    assert cli.main(["release", "--course-dir", str(cdir), "--notebooks", str(root / "nbs")]) == 0
    assert cli.main(["collect", "--course-dir", str(cdir), str(root / "cls")]) == 0
    cmd = [sys.executable, "-m", "autograde.cli", "grade", "--course-dir", str(cdir), *GRADE_ARGS]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    state = cdir / "grading_state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if state.exists() and len(json.loads(state.read_text())["jobs"]) >= 3:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, 9)
    proc.wait()
    done = len(json.loads(state.read_text())["jobs"])
    assert 3 <= done < 10
    assert cli.main(["grade", "--course-dir", str(cdir), *GRADE_ARGS]) == 0
    assert _gradebook_dump(cdir / "gradebook.db") == reference


def test_check_command(released, tmp_path):
    good = tmp_path / f"{A}.ipynb"
    nbformat.write(_nb(released, "correct"), good)
    assert cli.main(["check", str(good)]) == 0
    bad = tmp_path / "blank" / f"{A}.ipynb"
    bad.parent.mkdir()
    nbformat.write(_nb(released, "blank"), bad)
    assert cli.main(["check", str(bad)]) == 1


def test_gradebook_at_another_sqlalchemy_url(tmp_path):
    """--db puts the gradebook wherever the URL says (here a SQLite file elsewhere); the
    release remembers it, and grade writes the scores there through nbgrader's API."""
    from nbgrader.api import Gradebook

    write_toy(tmp_path / "nbs")
    url = f"sqlite:///{tmp_path / 'shared' / 'class.db'}"
    (tmp_path / "shared").mkdir()
    cdir = tmp_path / "course"
    args = ["--course-dir", str(cdir)]
    assert cli.main(["release", *args, "--notebooks", str(tmp_path / "nbs"), "--db", url]) == 0
    assert not (cdir / "gradebook.db").exists()
    course = Course(cdir)
    (tmp_path / "cls" / "ana").mkdir(parents=True)
    nbformat.write(_nb(course, "correct"), tmp_path / "cls" / "ana" / f"{A}.ipynb")
    assert cli.main(["collect", *args, str(tmp_path / "cls")]) == 0
    assert cli.main(["grade", *args, *GRADE_ARGS]) == 0
    with Gradebook(url) as gradebook:
        sub = gradebook.find_submission(A, "ana")
        assert sub.score == sub.max_score == 3.0
