"""One grading run per course directory at a time.

``course_lock`` takes an exclusive ``flock`` on ``<course>/.grading.lock`` and
writes who holds it (pid, host, command, start time) into the file. The
operating system drops the lock when the holder exits, however it exits (a
crash, ``kill -9``), so a dead run never leaves the course locked. A second run
either stops at once with an error that names the running one, or waits for it
(``wait=True``). The lock is re-entrant within a process (``demo`` holds it and
calls ``grade``, which takes it again).

``flock`` is reliable on local file systems; on NFS it depends on the server.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .course import GradingError

LOCK_NAME = ".grading.lock"

_HELD: dict[str, list] = {}  # lock path -> [open file, depth]
_GUARD = threading.Lock()


class CourseBusy(GradingError):
    """Another process is grading (or releasing, collecting) this course."""


def holder(path: Path) -> dict:
    """What the lock file says about the process holding it (may be stale)."""
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _describe(info: dict) -> str:
    if not info:
        return "another process"
    cmd = " ".join(info.get("argv", []))[:200]
    return f"process {info.get('pid')} on {info.get('host')}, started {info.get('started')}" + (
        f": {cmd}" if cmd else ""
    )


@contextmanager
def course_lock(root: Path, *, wait: bool = False, log=print) -> Iterator[None]:
    """Hold the course's grading lock for the duration of the block."""
    root.mkdir(parents=True, exist_ok=True)
    path = (root / LOCK_NAME).resolve()
    key = str(path)
    with _GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
    if held is not None:
        try:
            yield
        finally:
            with _GUARD:
                held[1] -= 1
        return
    fh = open(path, "a+")
    try:
        _acquire(fh, path, wait, log)
        fh.seek(0)
        fh.truncate()
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "argv": [os.path.basename(sys.argv[0]), *sys.argv[1:]],
        }
        fh.write(json.dumps(info))
        fh.flush()
        with _GUARD:
            _HELD[key] = [fh, 1]
        try:
            yield
        finally:
            with _GUARD:
                del _HELD[key]
            fh.seek(0)
            fh.truncate()
            fh.flush()
    finally:
        fh.close()  # closing the file releases the flock


def _acquire(fh, path: Path, wait: bool, log) -> None:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    who = _describe(holder(path))
    if not wait:
        raise CourseBusy(
            f"another grading run is using {path.parent}: {who}. Wait for it to finish "
            "(or stop it), or pass --wait to start when it is done."
        )
    log(f"waiting for the other grading run on {path.parent} to finish ({who})")
    t0 = time.monotonic()
    fcntl.flock(fh, fcntl.LOCK_EX)
    log(f"the other run finished after {time.monotonic() - t0:.0f} s: starting")
