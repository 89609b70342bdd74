"""``cnncourse-grade``: release, collect, grade, feedback, report, check, workspace, demo.

Typical instructor session (course directory ``out/course`` by default)::

    cnncourse-grade release                 # student versions of notebooks/NN_*.ipynb
    cnncourse-grade collect submissions.zip # one folder (or .zip) per student id
    cnncourse-grade grade --jobs 2          # sandboxed, parallel, resumable
    cnncourse-grade feedback                # feedback/<student>/<notebook>.html
    cnncourse-grade report                  # reports/*.csv, *.png, needs_review.csv

Students run ``cnncourse-grade check 01_conv1d.ipynb`` (exit status 1 when a
visible test fails) and ``cnncourse-grade workspace --lab`` (``make lab``: their own
copies of the released notebooks in ``workspace/``, opened in JupyterLab).
``cnncourse-grade demo`` runs the whole pipeline on the bundled demo class.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from . import sandbox
from .course import DEFAULT_NOTEBOOKS, Course, GradingError, collect, discover_notebooks, release
from .lock import LOCK_NAME, course_lock
from .workspace import DEFAULT_WORKSPACE

DEFAULT_COURSE = Path("out") / "course"
DEFAULT_DEMO = Path("out") / "demo"


def _add_course(p: argparse.ArgumentParser, default: Path = DEFAULT_COURSE) -> None:
    p.add_argument(
        "--course-dir", type=Path, default=default, help=f"course directory (default {default})"
    )
    p.add_argument(
        "--db",
        default=None,
        help="gradebook SQLAlchemy URL (default: sqlite:///COURSE_DIR/gradebook.db; "
        "e.g. postgresql://user@host/db); saved by `release`",
    )


def _add_grading(p: argparse.ArgumentParser, cell_timeout: float = 30.0) -> None:
    g = p.add_argument_group("grading limits")
    g.add_argument("--jobs", "-j", type=int, default=0, help="parallel jobs (default: cores)")
    g.add_argument("--cell-timeout", type=float, default=cell_timeout,
                   help=f"seconds per cell (default {cell_timeout:g})")  # fmt: skip
    g.add_argument("--notebook-timeout", type=float, default=600.0,
                   help="wall-clock seconds per notebook (default 600)")  # fmt: skip
    g.add_argument("--memory-mb", type=int, default=3072, help="memory cap per process (MiB)")
    g.add_argument("--cpu-seconds", type=int, default=600, help="CPU-time cap per process")
    g.add_argument("--disk-mb", type=int, default=1024,
                   help="disk space a notebook may write (MiB; the sandbox's tmpfs)")  # fmt: skip
    g.add_argument("--max-processes", type=int, default=256,
                   help="processes and threads per notebook (pids cgroup)")  # fmt: skip
    g.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                   help="bubblewrap isolation (auto: use it when available)")  # fmt: skip
    g.add_argument("--keep-work", action="store_true", help="keep sandbox work dirs")
    g.add_argument("--no-numba-warmup", action="store_true",
                   help="skip the numba warm-up before grading")  # fmt: skip
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def _settings(args):
    from .job import Settings

    limits = sandbox.Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_mb,
        cpu_seconds=args.cpu_seconds,
        disk_mb=args.disk_mb,
        max_processes=args.max_processes,
    )
    return Settings(
        limits=limits,
        sandbox=args.sandbox,
        jobs=args.jobs,
        keep_work=args.keep_work,
        progress=not args.no_progress,
        warm_numba=not args.no_numba_warmup,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnncourse-grade", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate and verify the student versions")
    _add_course(p)
    p.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS,
                   help="folder of course notebooks NN_name.ipynb")  # fmt: skip

    p = sub.add_parser("collect", help="take submissions from a folder or zip")
    _add_course(p)
    p.add_argument("src", type=Path, help="folder or .zip: one folder or <id>.zip per student")
    p.add_argument("--roster", type=Path, help="file with one student id per line")

    p = sub.add_parser("grade", help="autograde every collected submission")
    _add_course(p)
    _add_grading(p)
    p.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--wait", action="store_true",
                   help="if the course is being graded, wait (default: stop)")  # fmt: skip

    p = sub.add_parser("feedback", help="write HTML feedback for every graded submission")
    _add_course(p)

    p = sub.add_parser("report", help="CSV report, plots and the needs-a-person list")
    _add_course(p)

    p = sub.add_parser("status", help="print the table of statuses and scores")
    _add_course(p)

    p = sub.add_parser("check", help="student side: run the visible tests of a notebook")
    p.add_argument("notebook", type=Path)
    p.add_argument("--cell-timeout", type=float, default=120.0)

    p = sub.add_parser("workspace", help="student side: your copies of the released notebooks")
    p.add_argument("--dir", type=Path, default=DEFAULT_WORKSPACE,
                   help=f"workspace folder (default {DEFAULT_WORKSPACE})")  # fmt: skip
    p.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS,
                   help="folder of course notebooks NN_name.ipynb")  # fmt: skip
    p.add_argument("--reset", nargs="+", action="extend", default=[], metavar="NB",
                   help="put the released version of NB back (01_conv1d or 01_conv1d.ipynb; "
                   "repeatable); the old one is kept in DIR/backups/")  # fmt: skip
    p.add_argument("--lab", action="store_true", help="then open JupyterLab on the workspace")
    p.add_argument("lab_args", nargs="*", metavar="-- LAB_ARGS",
                   help="after --: more arguments for jupyter lab (--port 8889 ...)")  # fmt: skip

    p = sub.add_parser("demo", help="the whole pipeline on the bundled demo class")
    _add_course(p, DEFAULT_DEMO)
    _add_grading(p, cell_timeout=15.0)
    p.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS)
    p.add_argument("--full", action="store_true",
                   help="every demo student hands in every notebook (default: only the "
                   "notebooks their case needs, to keep the demo short)")  # fmt: skip
    p.add_argument("--resume", action="store_true",
                   help="keep the existing demo course directory (default: fresh)")  # fmt: skip
    return parser


def _course(args) -> Course:
    return Course(args.course_dir, db_url=args.db)


def _results(course):
    from .results import load_results

    res = list(load_results(course).values())
    if not res:
        raise GradingError(f"nothing graded yet in {course.root}: run `cnncourse-grade grade`")
    return sorted(res, key=lambda r: (r.student, r.assignment))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: graded submissions are saved; run the same command to resume",
              file=sys.stderr)  # fmt: skip
        return 130


def _dispatch(args) -> int:
    if args.command == "check":
        from .check import check

        return check(args.notebook, cell_timeout=args.cell_timeout)
    if args.command == "demo":
        return demo(args)
    if args.command == "workspace":
        from .workspace import open_lab, workspace

        if args.lab_args and not args.lab:
            raise GradingError("jupyter lab arguments given without --lab")
        workspace(args.dir, args.notebooks, reset=args.reset)
        return open_lab(args.dir, args.lab_args) if args.lab else 0
    course = _course(args)
    if args.command == "release":
        with course_lock(course.root):
            release(course, args.notebooks)
        return 0
    if args.command == "collect":
        roster = None
        if args.roster:
            roster = [ln.split(",")[0].strip() for ln in args.roster.read_text().splitlines()]
            roster = [r for r in roster if r and not r.startswith("#")]
        with course_lock(course.root):
            collect(course, args.src, roster)
        return 0
    if args.command == "grade":
        from .grading import grade
        from .report import status_table

        t0 = time.monotonic()
        results = grade(
            course, _settings(args), students=args.student, force=args.force, wait=args.wait
        )
        print(status_table(results))
        print(f"graded in {time.monotonic() - t0:.1f} s")
        return 0
    if args.command == "feedback":
        from .feedback import write_feedback

        write_feedback(course, _results(course))
        return 0
    if args.command == "report":
        from .report import write_report

        write_report(course, _results(course))
        return 0
    if args.command == "status":
        from .report import status_table

        print(status_table(_results(course)))
        return 0
    raise AssertionError(args.command)  # pragma: no cover


def demo(args) -> int:
    root = args.course_dir.resolve()
    with course_lock(root):
        return _demo(args, root)


def _demo(args, root: Path) -> int:
    from .demo.make_demo import expected, make_demo
    from .feedback import write_feedback
    from .grading import grade
    from .report import status_table, write_report
    from .toy import write_toy

    if not args.resume:  # a fresh course directory; the lock file we hold stays
        for entry in root.iterdir():
            if entry.name == LOCK_NAME:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    notebooks = args.notebooks
    if not discover_notebooks(notebooks):
        notebooks = root / "toy_notebooks"
        write_toy(notebooks)
        print(f"no course notebooks in {args.notebooks} yet: using the built-in toy notebook")
    course = Course(root, db_url=args.db)
    t0 = time.monotonic()
    release(course, notebooks)
    class_dir = root / "demo_class"
    make_demo(course, class_dir, full=args.full)
    collect(course, class_dir)
    t1 = time.monotonic()
    results = grade(course, _settings(args))
    t_grade = time.monotonic() - t1
    write_feedback(course, results)
    write_report(course, results)
    print()
    print(status_table(results))
    want = expected(course.assignments, full=args.full)
    got = {(r.student, r.assignment): r.status for r in results}
    wrong = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
    print(
        f"\ndemo: {len(results)} submissions graded in {t_grade:.1f} s "
        f"(whole pipeline {time.monotonic() - t0:.1f} s); course directory {root}"
    )
    if wrong:
        print("UNEXPECTED outcomes (student, notebook): expected -> got")
        for (s, a), (exp, g) in sorted(wrong.items()):
            print(f"  {s}/{a}: {exp} -> {g}")
        return 1
    print(f"demo: all {len(want)} outcomes as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
