"""Grading time per notebook: this tree against another commit, measured in one run.

    python benchmarks/bench_grading.py --against HEAD~1 [--repeats 3] [--student ana]

Builds the demo course once (release, the demo class, collect), then grades the chosen
students' notebooks (``grade --force``) alternately with this tree's grader and
with the other commit's (extracted with ``git archive`` into a temporary folder
and put first on ``PYTHONPATH``), ``--repeats`` times each. It prints, for every
notebook, the median seconds of a job (``JobResult.seconds``: prepare, sandbox,
run, score) for both, and the ratio this/other. The machine is shared and
noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _extract(ref: str, dest: Path) -> None:
    data = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref],
        check=True,
        capture_output=True,
    ).stdout
    tar = dest / "src.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as tf:
        tf.extractall(dest, filter="data")
    tar.unlink()


def _grade(src: Path, course: Path, students: list[str], jobs: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, "-m", "autograde.cli", "grade", "--course-dir", str(course)]
    cmd += ["--force", "--no-progress", "--jobs", str(jobs)]
    for s in students:
        cmd += ["--student", s]
    res = subprocess.run(cmd, env=env, cwd=src, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"grading with {src} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    state = json.loads((course / "grading_state.json").read_text())
    return {
        key: job["seconds"]
        for key, job in state["jobs"].items()
        if key.split("/")[0] in students and job["seconds"] > 0
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="git commit to compare with")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--student", action="append", help="demo students to grade (default: ana)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    students = args.student or ["ana"]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        other = tmp / "other"
        other.mkdir()
        _extract(args.against, other)
        course = tmp / "course"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        for step in (
            ["autograde.cli", "release", "--course-dir", str(course)],
            ["autograde.demo.make_demo", "--course", str(course), "--dest", str(tmp / "cls")],
            ["autograde.cli", "collect", "--course-dir", str(course), str(tmp / "cls")],
        ):
            subprocess.run([sys.executable, "-m", *step], check=True, cwd=REPO, env=env)
        times: dict[str, dict[str, list[float]]] = {"this": {}, "other": {}}
        for r in range(args.repeats):
            for name, src in (("this", REPO), ("other", other)):
                for key, sec in _grade(src, course, students, args.jobs).items():
                    times[name].setdefault(key, []).append(sec)
            print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)
    print(f"median seconds per graded notebook, {args.repeats} runs each, -j {args.jobs}")
    print(f"{'notebook':34s} {'this':>8s} {args.against[:10]:>10s} {'ratio':>7s}")
    ratios = []
    for key in sorted(times["this"]):
        a = statistics.median(times["this"][key])
        b = statistics.median(times["other"].get(key, [float("nan")]))
        ratios.append(a / b)
        print(f"{key:34s} {a:8.2f} {b:10.2f} {a / b:7.3f}")
    print(f"{'median ratio (this/other)':34s} {'':8s} {'':10s} {statistics.median(ratios):7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
