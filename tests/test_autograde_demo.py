"""The demo class on the real course notebooks, end to end through `cnncourse-grade demo`.

Slow (a few minutes on 2 cores): it releases every notebook, generates the class
from the released versions, grades it in the sandbox and checks every student's
outcome; then it hands in the instructor's source notebooks (full marks) and the
untouched student versions (zero, no crash) and grades only those.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograde import cli
from autograde.course import Course, discover_notebooks
from autograde.demo.make_demo import expected
from autograde.results import load_results

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = discover_notebooks(REPO / "notebooks")
# generous: the test suite runs other heavy tests on the same cores
LIMITS = ["--cell-timeout", "30", "--jobs", "2", "--no-progress"]

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no course notebooks yet")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "course"
    rc = cli.main(["demo", "--course-dir", str(root), *LIMITS])
    return rc, Course(root)


def test_demo_outcomes_match_every_student(demo):
    rc, course = demo
    got = {k: r.status for k, r in load_results(course).items()}
    want = expected(course.assignments)
    assert got == want
    assert rc == 0
    assert len({s for s, _ in want}) >= 10
    assert len(course.assignments) >= 2


def test_demo_scores(demo):
    _, course = demo
    res = load_results(course)
    for a in course.assignments:
        ana = res[("ana", a)]
        assert ana.score == ana.max_score > 0
    for (s, a), r in res.items():
        if r.status in ("blank", "cheating", "corrupt", "missing", "no_submission"):
            assert r.score == 0, (s, a)
        if r.status == "partly_wrong":
            assert 0 < r.score < r.max_score
        if r.status in ("timeout", "killed", "kernel_died", "memory", "cheating", "corrupt"):
            assert r.needs_review, (s, a)


def test_numba_cache_is_hit_inside_the_sandbox(demo):
    _, course = demo
    stats = [r.numba for r in load_results(course).values() if r.numba]
    assert stats, "no numba statistics came back from the grading kernels"
    assert sum(s["cache_hits"] for s in stats) > 0
    assert sum(s["cache_misses"] for s in stats) == 0


def test_feedback_never_shows_hidden_tests(demo):
    _, course = demo
    pages = list((course.root / "feedback").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text and "trusted(" not in text and "Traceback" not in text


def test_sources_full_marks_and_blank_zero(demo, tmp_path):
    """Instructor notebooks as handed in: full marks; untouched releases: zero, no crash."""
    _, course = demo
    cls = tmp_path / "extra"
    for a in course.assignments:
        for who, src in (("profe", course.source(a)), ("vacio", course.release(a))):
            (cls / who).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, cls / who / f"{a}.ipynb")
    root = str(course.root)
    assert cli.main(["collect", "--course-dir", root, str(cls)]) == 0
    assert cli.main(["grade", "--course-dir", root, *LIMITS]) == 0
    res = load_results(course)
    for a in course.assignments:
        full, blank = res[("profe", a)], res[("vacio", a)]
        assert full.status == "correct" and full.score == full.max_score, full
        assert blank.status == "blank" and blank.score == 0, blank
        assert all(t.outcome != "not_run" for t in blank.tests)
