"""Write job results into nbgrader's gradebook, through nbgrader's own API.

For a graded notebook: the submission (with its timestamp), every grade's
``auto_score`` and ``needs_manual_grade``, the notebook's ``flagged``, and an
automatic comment with the review reasons. A notebook that was not handed in has
no submission in the gradebook (an earlier one is removed).
"""

from __future__ import annotations

import warnings

from nbgrader import utils as nbutils

from .results import JobResult
from .statuses import NOT_HANDED_IN


def write_gradebook(gradebook, result: JobResult) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy autoflush warnings
        _write_gradebook(gradebook, result)


def _write_gradebook(gradebook, result: JobResult) -> None:
    student, assignment = result.student, result.assignment
    if result.status in NOT_HANDED_IN:
        try:
            gradebook.find_submission(assignment, student)
        except Exception:
            return
        gradebook.remove_submission(assignment, student)
        return
    gradebook.update_or_create_student(student)
    kw = {}
    if result.timestamp:
        try:
            kw["timestamp"] = nbutils.parse_utc(result.timestamp)
        except Exception:
            pass
    gradebook.update_or_create_submission(assignment, student, **kw)
    # one notebook per assignment, named like it
    nbrow = gradebook.find_submission_notebook(assignment, assignment, student)
    nbrow.flagged = result.needs_review
    for t in result.tests:
        grade = gradebook.find_grade(t.grade_id, assignment, assignment, student)
        grade.auto_score = t.points
        grade.needs_manual_grade = result.needs_review
    comments = sorted(nbrow.comments, key=lambda c: c.name)
    for k, c in enumerate(comments):
        msg = []
        if result.status == "blank":
            msg.append("No response.")
        if k == 0 and result.needs_review:
            msg.append("Autograder: " + "; ".join(result.review_reasons()))
        c.auto_comment = " ".join(msg) or None
    gradebook.db.commit()


def in_gradebook(gradebook, state_entry: dict) -> bool:
    """Whether a job recorded in the state file is also in the gradebook."""
    if state_entry.get("status") in NOT_HANDED_IN:
        return True
    assignment = state_entry["assignment"]
    try:
        gradebook.find_submission_notebook(assignment, assignment, state_entry["student"])
        return True
    except Exception:
        return False
