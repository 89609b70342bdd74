"""What grading produces: one ``JobResult`` per (student, notebook), and the state file.

``grading_state.json`` holds every job's result (``JobResult.to_json``) under the
key ``"<student>/<assignment>"``, with the hash of its inputs, so a re-run skips
unchanged jobs; ``feedback``, ``report`` and ``status`` read results back from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .course import Course
from .statuses import review_reason

RETRY_REASON = (
    "the grader failed on the last run (grader_error): this earlier grade was kept "
    "and the notebook is regraded on the next run"
)


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
    hash: str = ""  # the job's hash (``job.job_hash``); the state file's field name
    timestamp: str | None = None
    retry: bool = False  # an earlier grade kept after a grader error: regrade next run
    last_error: dict | None = None  # that grader error (time, notes)

    @property
    def needs_review(self) -> bool:
        return self.retry or any(review_reason(f) for f in [self.status, *self.flags])

    def review_reasons(self) -> list[str]:
        seen = [RETRY_REASON] if self.retry else []
        for f in [self.status, *self.flags]:
            reason = review_reason(f)
            if reason and reason not in seen:
                seen.append(reason)
        return seen

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> JobResult:
        d = dict(d)
        d["tests"] = [TestResult(**t) for t in d.get("tests", [])]
        return cls(**d)


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
        student, assignment = key.split("/", 1)
        out[(student, assignment)] = JobResult.from_json(d)
    return out
