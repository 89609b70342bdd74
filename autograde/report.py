"""Class report: CSV files, PNG plots and the list of submissions that need a person."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from .course import Course, atomic_write_text
from .results import JobResult


def _csv(rows: list[list], header: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_report(course: Course, results: list[JobResult], log=print) -> dict[str, Path]:
    out = course.reports
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: (r.student, r.assignment))
    # one row per student and exercise
    rows = []
    for r in results:
        for t in r.tests:
            rows.append(
                [r.student, r.assignment, t.grade_id, f"{t.points:g}", f"{t.max_points:g}",
                 t.outcome, r.status]
            )  # fmt: skip
    paths = {}
    paths["grades"] = out / "grades.csv"
    atomic_write_text(
        paths["grades"],
        _csv(rows, ["student", "notebook", "exercise", "score", "max_score", "status",
                    "notebook_status"]),
    )  # fmt: skip
    nb_rows = [
        [r.student, r.assignment, f"{r.score:g}", f"{r.max_score:g}", r.status,
         " ".join(r.flags), "yes" if r.needs_review else "no", f"{r.seconds:.1f}"]
        for r in results
    ]  # fmt: skip
    paths["notebooks"] = out / "notebooks.csv"
    atomic_write_text(
        paths["notebooks"],
        _csv(nb_rows, ["student", "notebook", "score", "max_score", "status", "flags",
                       "needs_review", "seconds"]),
    )  # fmt: skip
    review = [
        [r.student, r.assignment, r.status, "; ".join(r.review_reasons()),
         " | ".join(r.notes)[:1000]]
        for r in results
        if r.needs_review
    ]  # fmt: skip
    paths["needs_review"] = out / "needs_review.csv"
    atomic_write_text(
        paths["needs_review"], _csv(review, ["student", "notebook", "status", "reason", "details"])
    )
    # per-exercise pass rate and score distribution
    per_ex: dict[tuple[str, str], list] = defaultdict(list)
    for r in results:
        if r.status in ("no_submission",):
            continue
        for t in r.tests:
            per_ex[(r.assignment, t.grade_id)].append(t)
    summary = []
    for (a, g), ts in sorted(per_ex.items()):
        passed = sum(t.outcome == "passed" for t in ts)
        mean = sum(t.points for t in ts) / len(ts)
        summary.append([a, g, len(ts), passed, f"{passed / len(ts):.2f}", f"{mean:.2f}",
                        f"{ts[0].max_points:g}"])  # fmt: skip
    paths["summary"] = out / "summary.csv"
    atomic_write_text(
        paths["summary"],
        _csv(summary, ["notebook", "exercise", "submissions", "passed", "pass_rate",
                       "mean_score", "max_score"]),
    )  # fmt: skip
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in results:
        totals[r.student][0] += r.score
        totals[r.student][1] += r.max_score
    paths.update(_plots(out, summary, totals, results))
    log(
        f"report: {paths['grades']} ({len(rows)} rows), {len(review)} submissions need a "
        f"person ({paths['needs_review']})"
    )
    return paths


def _plots(out: Path, summary, totals, results) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {}
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(summary) + 2), 4))
    labels = [f"{a[:2]}·{g}" for a, g, *_ in summary]
    rates = [float(row[4]) for row in summary]
    ax.bar(range(len(rates)), rates, color="#4c72b0")
    ax.set_xticks(range(len(rates)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of submissions passing")
    ax.set_title("Pass rate per exercise")
    fig.tight_layout()
    paths["pass_rate_png"] = out / "pass_rate.png"
    fig.savefig(paths["pass_rate_png"], dpi=100)
    plt.close(fig)

    by_nb: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.max_score > 0:
            by_nb[r.assignment].append(100 * r.score / r.max_score)
    overall = [100 * s / m for s, m in totals.values() if m > 0]
    panels = [("all notebooks", overall)] + sorted(by_nb.items())
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False)
    for ax, (name, vals) in zip(axes[0], panels, strict=True):
        ax.hist(vals, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#55a868")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score (%)")
    axes[0][0].set_ylabel("students")
    fig.suptitle("Score distribution")
    fig.tight_layout()
    paths["distribution_png"] = out / "score_distribution.png"
    fig.savefig(paths["distribution_png"], dpi=100)
    plt.close(fig)
    return paths


def status_table(results: list[JobResult]) -> str:
    """A plain-text table: one row per student, one column per notebook, and the total."""
    students = sorted({r.student for r in results})
    notebooks = sorted({r.assignment for r in results})
    cell = {(r.student, r.assignment): r for r in results}
    widths = [max(8, max((len(s) for s in students), default=7))]
    head = ["student", *notebooks, "total"]
    body = []
    for s in students:
        row = [s]
        tot = mx = 0.0
        for a in notebooks:
            r = cell.get((s, a))
            if r is None:
                row.append("-")
                continue
            mark = ("!" if r.needs_review else "") + ("*" if r.retry else "")
            row.append(f"{r.status}{mark} {r.score:g}/{r.max_score:g}")
            tot += r.score
            mx += r.max_score
        row.append(f"{tot:g}/{mx:g}")
        body.append(row)
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    lines.append("(! = needs a person: see reports/needs_review.csv)")
    if any(r.retry for r in results):
        lines.append("(* = the grader failed here: the earlier grade is kept and retried next run)")
    return "\n".join(lines)
