"""Cap the number of processes (and threads) one graded notebook can create.

Linux counts processes and threads alike ("tasks"). Three mechanisms, the first
that works on this machine is used for a whole grading run:

* **a pids cgroup** (cgroup v1's ``pids`` hierarchy, or a cgroup v2 tree where the
  grader may create children with the ``pids`` controller, as root or with a
  delegated subtree): every job gets its own cgroup with ``pids.max``; the job's
  launcher moves itself into it before it starts the sandbox, so nothing the
  submission starts can be outside it. The cgroup also tells whether the cap was
  hit (``pids.events``) and, after the run, lets the grader kill whatever is left.
* **RLIMIT_NPROC** (no usable cgroup, the grader is not root): the limit counts
  every task of the grading user, so it is set to the tasks the user already has
  plus the cap for each parallel job. It is shared by the jobs of a run, and a
  hit is not reported as such (the cell shows ``BlockingIOError``).
* **none** (no usable cgroup and the grader is root, whom RLIMIT_NPROC does not
  limit): nothing caps processes; a warning says so.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

_COUNTER = itertools.count()


@dataclass
class JobCap:
    """The cap of one job: what the launcher must apply, and what happened."""

    procs_file: str | None = None  # the launcher writes "0" here (joins the cgroup)
    nproc: int = 0  # RLIMIT_NPROC for the launcher, 0: not set
    directory: Path | None = None

    def hits(self) -> int:
        """How many times a fork or a thread was refused because of the cap."""
        if self.directory is None:
            return 0
        try:
            text = (self.directory / "pids.events").read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "max":
                return int(value)
        return 0

    def peak(self) -> int | None:
        if self.directory is None:
            return None
        try:
            return int((self.directory / "pids.peak").read_text())
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Kill what is left in the cgroup and remove it."""
        if self.directory is None:
            return
        for _ in range(50):
            pids = _read_pids(self.directory)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        for _ in range(50):
            try:
                self.directory.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # EBUSY: the last tasks are still exiting
                time.sleep(0.02)


def _read_pids(directory: Path) -> list[int]:
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


@dataclass
class ProcessCap:
    """How processes are capped in this grading run."""

    mechanism: str  # "cgroup v1" | "cgroup v2" | "RLIMIT_NPROC" | "none"
    limit: int
    parent: Path | None = None  # cgroup under which the jobs' cgroups are made
    nproc: int = 0

    def job(self) -> JobCap:
        """A fresh cap for one job (a new cgroup, or the shared RLIMIT_NPROC)."""
        if self.parent is None:
            return JobCap(nproc=self.nproc)
        d = self.parent / f"cnncourse-grade-{os.getpid()}-{next(_COUNTER)}"
        d.mkdir()
        (d / "pids.max").write_text(str(self.limit))
        return JobCap(procs_file=str(d / "cgroup.procs"), directory=d)

    def describe(self) -> str:
        if self.mechanism == "none":
            return "processes: NOT capped (no usable pids cgroup; RLIMIT_NPROC does not bind root)"
        if self.mechanism == "RLIMIT_NPROC":
            return f"processes: RLIMIT_NPROC {self.nproc} for the grading user (shared by the jobs)"
        return f"processes: at most {self.limit} per notebook ({self.mechanism} pids.max)"


def _mounts() -> list[tuple[str, str, str, list[str]]]:
    """(root in the hierarchy, mount point, type, super options) of every cgroup mount."""
    out = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 3:
            continue
        if rfields[0] in ("cgroup", "cgroup2"):
            out.append((fields[3], fields[4], rfields[0], rfields[2].split(",")))
    return out


def _own_cgroups() -> dict[str, str]:
    """Controller (or "" for cgroup v2) -> this process' cgroup path."""
    own = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            own[c] = path
    return own


def _usable(parent: Path, limit: int) -> bool:
    """Whether a child cgroup with pids.max can be made (and removed) under ``parent``."""
    probe = parent / f"cnncourse-probe-{os.getpid()}-{next(_COUNTER)}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        (probe / "pids.max").write_text(str(limit))
        return True
    except OSError:
        return False
    finally:
        try:
            probe.rmdir()
        except OSError:
            pass


def _inside(root: str, mount: str, path: str) -> Path | None:
    """Where cgroup ``path`` is, seen through a mount of the hierarchy's ``root``."""
    root = root.rstrip("/")
    if path != root and not path.startswith(root + "/"):
        return None
    return Path(mount + path[len(root) :])


def _cgroup_parent(limit: int) -> tuple[str, Path] | None:
    own = _own_cgroups()
    for root, mount, fstype, opts in _mounts():
        if fstype == "cgroup" and "pids" in opts and "pids" in own:
            parent = _inside(root, mount, own["pids"])
            if parent is not None and _usable(parent, limit):
                return "cgroup v1", parent
    for root, mount, fstype, _ in _mounts():
        if fstype == "cgroup2" and "" in own:
            parent = _inside(root, mount, own[""])
            if parent is None:
                continue
            try:
                if "pids" not in (parent / "cgroup.controllers").read_text().split():
                    continue
                ctl = parent / "cgroup.subtree_control"
                if "pids" not in ctl.read_text().split():
                    ctl.write_text("+pids")
            except OSError:
                continue
            if _usable(parent, limit):
                return "cgroup v2", parent
    return None


def _user_tasks() -> int:
    """Tasks (processes and threads) of this real user id, the count RLIMIT_NPROC uses."""
    uid = os.getuid()
    n = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if d.stat().st_uid == uid:
                n += len(os.listdir(d / "task"))
        except OSError:
            continue
    return n


def process_cap(limit: int, jobs: int) -> ProcessCap:
    """The best way to cap processes here, for a run of ``jobs`` parallel jobs."""
    if limit <= 0:
        return ProcessCap("none", 0)
    found = _cgroup_parent(limit)
    if found is not None:
        mechanism, parent = found
        return ProcessCap(mechanism, limit, parent=parent)
    if os.getuid() != 0:
        return ProcessCap("RLIMIT_NPROC", limit, nproc=_user_tasks() + limit * max(jobs, 1))
    return ProcessCap("none", limit)
