"""Run one submission's notebook in a sandboxed, resource-limited subprocess.

What is enforced (see also the README section of ``autograde``):

* Always (Linux rlimits, set in the child before ``exec``, inherited by the kernel):
  address space (``RLIMIT_AS``, memory cap), CPU seconds per process
  (``RLIMIT_CPU``), size of any file written (``RLIMIT_FSIZE``), no core dumps;
  a per-cell timeout (in the runner) and a wall-clock timeout for the whole
  notebook, after which the whole process group is killed.
* With bubblewrap (``bwrap``): the whole file system is read-only; ``/tmp`` is an
  empty tmpfs; the submission's own work directory is the only writable place
  (mounted at ``/tmp/submission``, the cwd); the course directory (gradebook,
  other students' submissions, source notebooks with hidden tests), the
  repository's source notebooks, its ``.git`` and tests, and the gradebook's
  directory are hidden behind empty tmpfs mounts; no network (own network
  namespace with only loopback, which the kernel needs for ZeroMQ); own PID
  namespace (student code cannot see or signal the grader); all capabilities
  dropped; the sandbox dies with the grader.
* Without bubblewrap: only the rlimits and timeouts. Student code then runs with
  the grader's user and can read anything that user can read. A warning says so.

Not enforced: number of processes (RLIMIT_NPROC counts every process of the
user), disk space inside the work directory beyond RLIMIT_FSIZE per file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_MOUNT = "/tmp/submission"
# the script that runs a notebook, cell by cell, inside the sandbox
RUNNER = Path(__file__).with_name("_runner.py")


@dataclass
class Limits:
    """Resource limits for one notebook run."""

    cell_timeout: float = 30.0  # seconds per cell
    notebook_timeout: float = 600.0  # seconds for the whole notebook (wall clock)
    memory_mb: int = 3072  # RLIMIT_AS for the runner and the kernel, each
    cpu_seconds: int = 600  # RLIMIT_CPU per process
    file_mb: int = 256  # RLIMIT_FSIZE
    probe_timeout: float = 5.0  # seconds a kernel gets to answer after an interrupt


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


_BWRAP_OK: dict[str, bool] = {}


def bwrap_works() -> bool:
    """True when bubblewrap exists and can create the namespaces we ask for."""
    exe = bwrap_path()
    if exe is None:
        return False
    if exe not in _BWRAP_OK:
        cmd = [exe, *_base_bwrap_args(), "true"]
        try:
            res = subprocess.run(cmd, capture_output=True, timeout=20)
            _BWRAP_OK[exe] = res.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _BWRAP_OK[exe] = False
    return _BWRAP_OK[exe]


def _base_bwrap_args() -> list[str]:
    return [
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--tmpfs", "/tmp",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
    ]  # fmt: skip


def resolve_sandbox(mode: str) -> str:
    """Map 'auto' | 'bwrap' | 'none' to the mode actually used."""
    if mode == "none":
        return "none"
    if bwrap_works():
        return "bwrap"
    if mode == "bwrap":
        raise RuntimeError(
            "bubblewrap (bwrap) is not available or cannot create namespaces here; "
            "install it (apt-get install bubblewrap) or use --sandbox none"
        )
    return "none"


SANDBOX_WARNING = (
    "WARNING: bubblewrap is not available: submissions run with rlimits and timeouts only. "
    "Student code can read every file the grading user can read (gradebook, other "
    "submissions, hidden tests) and write where that user can write. Install bubblewrap "
    "(apt-get install bubblewrap) for isolation."
)


@dataclass
class RunResult:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    wall_timeout: bool = False
    command: list[str] = field(default_factory=list)


# A tiny launcher sets the rlimits and execs the real command: preexec_fn is not
# safe in a multi-threaded parent (the grader runs jobs from a thread pool).
_LAUNCHER = (
    "import os,resource as r,sys;a=sys.argv;"
    "r.setrlimit(r.RLIMIT_AS,(int(a[1]),int(a[1])));"
    "r.setrlimit(r.RLIMIT_CPU,(int(a[2]),int(a[2])+5));"
    "r.setrlimit(r.RLIMIT_FSIZE,(int(a[3]),int(a[3])));"
    "r.setrlimit(r.RLIMIT_CORE,(0,0));"
    "os.execvp(a[4],a[4:])"
)


def with_rlimits(cmd: list[str], limits: Limits) -> list[str]:
    """Prefix ``cmd`` with a launcher that applies the rlimits, then execs it."""
    mem = int(limits.memory_mb) * 1024 * 1024
    fsz = int(limits.file_mb) * 1024 * 1024
    return [
        sys.executable,
        "-S",
        "-c",
        _LAUNCHER,
        str(mem),
        str(int(limits.cpu_seconds)),
        str(fsz),
        *cmd,
    ]


def kernel_env(workdir_inside: str, numba_cache: str | None) -> dict[str, str]:
    """Environment for the runner and kernel: everything points into the work dir."""
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir_inside,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "IPYTHONDIR": f"{workdir_inside}/.ipython",
        "JUPYTER_RUNTIME_DIR": f"{workdir_inside}/.runtime",
        "JUPYTER_DATA_DIR": f"{workdir_inside}/.jupyter-data",
        "JUPYTER_CONFIG_DIR": f"{workdir_inside}/.jupyter",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLCONFIGDIR": f"{workdir_inside}/.mpl",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "TMPDIR": workdir_inside,
    }
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = numba_cache
    return env


def build_command(
    argv: list[str],
    workdir: Path,
    mode: str,
    hide: list[Path] | tuple[Path, ...] = (),
    keep: list[Path] | tuple[Path, ...] = (),
) -> tuple[list[str], str]:
    """Return (command, workdir as seen by the command).

    ``hide`` folders are covered by an empty tmpfs; ``keep`` paths (the interpreter,
    the library, the runner) stay visible, read-only, even when they live under
    /tmp, which the sandbox replaces with an empty tmpfs (a checkout in /tmp).
    """
    if mode != "bwrap":
        return argv, str(workdir)
    cmd = [bwrap_path() or "bwrap", *_base_bwrap_args()]
    seen = set()
    for h in hide:
        h = Path(h).resolve()
        if h.is_dir() and h not in seen and h != Path("/"):
            seen.add(h)
            cmd += ["--tmpfs", str(h)]
    tmp = Path("/tmp").resolve()
    for k in keep:
        k = Path(k).resolve()
        if k.exists() and tmp in k.parents:
            cmd += ["--ro-bind", str(k), str(k)]
    cmd += ["--bind", str(workdir.resolve()), SANDBOX_MOUNT, "--chdir", SANDBOX_MOUNT]
    return cmd + ["--", *argv], SANDBOX_MOUNT


def run_limited(
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    limits: Limits,
    stdin_data: str = "",
) -> RunResult:
    """Run ``cmd`` in its own process group with rlimits and a wall-clock timeout."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        with_rlimits(cmd, limits),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(cwd),
        env=env,
        start_new_session=True,
        text=True,
    )
    timed_out = False
    try:
        out, err = proc.communicate(stdin_data, timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    finally:
        _kill_group(proc)  # leftovers started by the submission (no-bwrap mode)
    return RunResult(
        returncode=proc.returncode,
        stdout=out or "",
        stderr=(err or "")[-20000:],
        seconds=time.monotonic() - t0,
        wall_timeout=timed_out,
        command=cmd,
    )


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
