"""Run one notebook in a sandboxed, resource-limited subprocess.

What is enforced (``autograde/README.md`` has the table, and what is not):

* Always (Linux rlimits, set by a tiny launcher before ``exec``, inherited by the
  runner and the kernel): address space (``RLIMIT_AS``), CPU seconds per process
  (``RLIMIT_CPU``), size of any one file (``RLIMIT_FSIZE``), no core dumps; a
  per-cell timeout (in the runner) and a wall-clock timeout for the whole
  notebook, after which the whole process group is killed; the number of
  processes and threads (``pids``: a pids cgroup per notebook, or RLIMIT_NPROC).
* With bubblewrap (``bwrap``), an allowlist: the kernel sees an empty root in
  which only these are mounted, read-only: ``/usr`` and the usual links to it
  (``/bin``, ``/lib``...), a few files of ``/etc`` (``ETC_FILES``), the
  interpreter's prefixes and site-packages (``interpreter_paths``), the
  ``cnncourse`` package alone, the runner script and the warmed caches. The only
  writable place is a size-limited tmpfs at ``/tmp`` (``Limits.disk_mb``) that
  holds the work directory; ``/`` and ``/dev`` are read-only. No home directory,
  no other checkout, no course directory, nothing of ``/srv``, ``/opt``, ``/mnt``
  or a data disk unless the interpreter lives there (and then only its prefix).
  No network (own namespace with loopback only, which ZeroMQ needs), own PID,
  IPC, UTS and cgroup namespaces, every capability dropped; it dies with the
  grader. The notebook goes in on stdin and the executed notebook comes out on
  stdout, so the work directory never holds the hidden tests.
* Without bubblewrap: rlimits, timeouts and the process cap only. Student code
  runs as the grading user and can read anything that user can read; a warning
  says so.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .pids import JobCap

SANDBOX_MOUNT = "/tmp/submission"  # the work directory inside the sandbox (its cwd)
SEED_MOUNT = "/run/autograde/seed"  # read-only caches the runner copies into the work dir
RUNNER_MOUNT = "/run/autograde/_runner.py"
# the script that runs a notebook, cell by cell, inside the sandbox
RUNNER = Path(__file__).with_name("_runner.py")
# what the runner prints before the executed notebook on stdout
RESULT_MARK = b"AUTOGRADE-RESULT "
# files of /etc a Python kernel may need (dynamic linker, name service, time zone, fonts)
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "localtime",
    "fonts",
    "alternatives",
)
# top-level links or folders of the usual merged-/usr layout
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


@dataclass
class Limits:
    """Resource limits for one notebook run."""

    cell_timeout: float = 30.0  # seconds per cell
    notebook_timeout: float = 600.0  # seconds for the whole notebook (wall clock)
    memory_mb: int = 3072  # RLIMIT_AS for the runner and the kernel, each
    cpu_seconds: int = 600  # RLIMIT_CPU per process
    file_mb: int = 256  # RLIMIT_FSIZE
    probe_timeout: float = 5.0  # seconds a kernel gets to answer after an interrupt
    disk_mb: int = 1024  # size of the sandbox's writable tmpfs (bubblewrap only)
    max_processes: int = 256  # processes and threads of one notebook (pids cgroup)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


_BWRAP_OK: dict[str, bool] = {}


def bwrap_works() -> bool:
    """True when bubblewrap exists and can build the sandbox we ask for."""
    exe = bwrap_path()
    if exe is None:
        return False
    if exe not in _BWRAP_OK:
        cmd = [exe, *_namespace_args(), *_system_args(), "--size", str(1 << 20)]
        cmd += ["--tmpfs", "/tmp", "--remount-ro", "/", "--", "/bin/true"]
        try:
            res = subprocess.run(cmd, capture_output=True, timeout=20)
            _BWRAP_OK[exe] = res.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _BWRAP_OK[exe] = False
    return _BWRAP_OK[exe]


def _namespace_args() -> list[str]:
    return [
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
    ]  # fmt: skip


def _system_args() -> list[str]:
    """/usr, the links to it, a few files of /etc, /dev and /proc."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args + ["--dev", "/dev", "--proc", "/proc"]


def library_path() -> Path:
    """The folder of the ``cnncourse`` package (found without importing it)."""
    spec = importlib.util.find_spec("cnncourse")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cnncourse package cannot be found by this interpreter")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def interpreter_paths() -> list[Path]:
    """What the interpreter needs: its prefixes and site-packages, and the library.

    Worked out from the running interpreter (``sys.prefix``, ``sys.base_prefix``,
    ``site``), so it holds for a virtualenv, a conda environment or a system
    Python alike. Nested paths are dropped (the outer one covers them).
    """
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    found += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path:
        found.append(user_site)
    found.append(str(Path(sys.executable).resolve().parent))
    found.append(str(library_path()))
    paths = sorted({Path(p).resolve() for p in found if p and Path(p).exists()})
    paths = [p for p in paths if p != Path("/")]
    return [p for p in paths if not any(q in p.parents for q in paths)]


def _aliases() -> list[tuple[Path, Path]]:
    """(real path, path as the interpreter names it) where a prefix is reached by a link."""
    out = []
    for raw in {sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)}:
        raw_path = Path(os.path.abspath(raw))
        if raw_path.exists() and raw_path.resolve() != raw_path:
            out.append((raw_path.resolve(), raw_path))
    return out


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
    stderr: str  # the last 20 000 characters
    seconds: float
    wall_timeout: bool = False
    command: list[str] = field(default_factory=list)
    output: bytes = b""  # the executed notebook, if the runner sent one
    verified: bool = False  # its HMAC matched: written by the runner, not forged
    process_hits: int = 0  # forks or threads refused by the process cap
    process_peak: int | None = None  # most processes and threads at once (pids cgroup)


# A tiny launcher sets the rlimits, joins the job's pids cgroup and execs the real
# command: preexec_fn is not safe in a multi-threaded parent (the grader runs jobs
# from a thread pool). argv: AS CPU FSIZE NPROC CGROUP_PROCS_FILE|- COMMAND...
_LAUNCHER = (
    "import os,resource as r,sys;a=sys.argv;"
    "r.setrlimit(r.RLIMIT_AS,(int(a[1]),int(a[1])));"
    "r.setrlimit(r.RLIMIT_CPU,(int(a[2]),int(a[2])+5));"
    "r.setrlimit(r.RLIMIT_FSIZE,(int(a[3]),int(a[3])));"
    "r.setrlimit(r.RLIMIT_CORE,(0,0));"
    "n=int(a[4]);n and r.setrlimit(r.RLIMIT_NPROC,(n,n));"
    "a[5]!='-' and open(a[5],'w').write('0');"
    "os.execvp(a[6],a[6:])"
)


def with_rlimits(cmd: list[str], limits: Limits, cap: JobCap | None = None) -> list[str]:
    """Prefix ``cmd`` with a launcher that applies the rlimits and the cap, then execs it."""
    mem = int(limits.memory_mb) * 1024 * 1024
    fsz = int(limits.file_mb) * 1024 * 1024
    cap = cap or JobCap()
    return [
        sys.executable,
        "-S",
        "-c",
        _LAUNCHER,
        str(mem),
        str(int(limits.cpu_seconds)),
        str(fsz),
        str(int(cap.nproc)),
        cap.procs_file or "-",
        *cmd,
    ]


def kernel_env(workdir_inside: str, numba_cache: str | None) -> dict[str, str]:
    """Environment for the runner and kernel: everything points into the work dir."""
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir_inside,
        "USER": "student",
        "LOGNAME": "student",
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


def bwrap_command(
    argv: list[str],
    limits: Limits,
    seeds: dict[str, Path],
    hide: list[Path] | tuple[Path, ...] = (),
) -> list[str]:
    """The bubblewrap command line of the allowlist sandbox around ``argv``.

    ``seeds`` (name -> host folder) are mounted read-only under ``SEED_MOUNT``;
    ``hide`` folders that happen to lie inside a mounted path (a course directory
    inside a virtualenv...) are covered by an empty tmpfs.
    """
    visible = interpreter_paths()
    cmd = [bwrap_path() or "bwrap", *_namespace_args(), *_system_args()]
    tmp = Path("/tmp").resolve()
    late = []  # mounts under /tmp go after /tmp's tmpfs
    for p in visible:
        if p == Path("/usr") or Path("/usr") in p.parents:
            continue
        (late if tmp in p.parents else cmd).extend(["--ro-bind", str(p), str(p)])
    for real, alias in _aliases():
        (late if tmp in alias.parents else cmd).extend(["--ro-bind", str(real), str(alias)])
    for name, src in seeds.items():
        cmd += ["--ro-bind", str(Path(src).resolve()), f"{SEED_MOUNT}/{name}"]
    cmd += ["--ro-bind", str(RUNNER.resolve()), RUNNER_MOUNT]
    cmd += ["--size", str(int(limits.disk_mb) << 20), "--tmpfs", "/tmp", *late]
    for h in hide:
        h = Path(h).resolve()
        if h.is_dir() and any(h == p or p in h.parents for p in visible):
            cmd += ["--tmpfs", str(h)]
    cmd += ["--dir", SANDBOX_MOUNT, "--chdir", SANDBOX_MOUNT]
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/"]
    return cmd + ["--", *argv]


def run_notebook(
    nb,
    config: dict,
    host_dir: Path,
    mode: str,
    limits: Limits,
    *,
    seeds: dict[str, Path] | None = None,
    hide: list[Path] | tuple[Path, ...] = (),
    cap: JobCap | None = None,
    cwd: Path | None = None,
) -> RunResult:
    """Run a prepared notebook with ``RUNNER`` in the sandbox; the executed notebook out.

    The notebook (hidden tests included) goes in on the runner's stdin and is never
    written where the submission's code runs; the executed notebook comes back on
    stdout, followed by an HMAC keyed with a secret also sent on stdin.
    ``host_dir`` is a private, empty folder of the grader's for this run: it holds
    the run's stdout and stderr, and, without bubblewrap, the work directory.
    ``seeds`` (name -> folder) are copied into the work directory before the
    kernel starts (the warmed Numba and Matplotlib caches). ``cwd`` (without
    bubblewrap only) is the kernel's working directory, if not the work directory.
    """
    seeds = {k: Path(v) for k, v in (seeds or {}).items() if v is not None}
    argv_runner = [sys.executable, RUNNER_MOUNT if mode == "bwrap" else str(RUNNER)]
    if mode == "bwrap":
        cmd = bwrap_command(argv_runner, limits, seeds, hide)
        inside, seeds_inside, cwd = SANDBOX_MOUNT, {k: f"{SEED_MOUNT}/{k}" for k in seeds}, host_dir
    else:
        work = host_dir / "work"
        work.mkdir(mode=0o700)
        cmd, inside, cwd = argv_runner, str(work), cwd or work
        seeds_inside = {k: str(v.resolve()) for k, v in seeds.items()}
    numba = f"{inside}/.numba_cache" if ".numba_cache" in seeds else None
    key = os.urandom(32).hex()
    cfg = dict(config, key=key, seeds=seeds_inside, disk_cap=mode == "bwrap")
    payload = json.dumps(cfg).encode() + b"\n" + _nb_bytes(nb)
    run = run_limited(cmd, kernel_env(inside, numba), cwd, limits, payload, host_dir, cap)
    run.output, run.verified = _read_result(host_dir / "stdout", key)
    return run


def _nb_bytes(nb) -> bytes:
    import nbformat

    return nbformat.writes(nb).encode()


def _read_result(path: Path, key: str) -> tuple[bytes, bool]:
    """The executed notebook the runner printed last on stdout, and whether it is genuine."""
    try:
        out = path.read_bytes()
    except OSError:
        return b"", False
    at = out.rfind(b"\n" + RESULT_MARK)
    if at < 0:
        return b"", False
    trailer = out[at + 1 + len(RESULT_MARK) :].split()
    if len(trailer) != 2 or not trailer[1].isdigit():
        return b"", False
    mac, size = trailer[0].decode("ascii", "replace"), int(trailer[1])
    if size > at:
        return b"", False
    data = out[at - size : at]
    good = hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
    return data, hmac.compare_digest(good, mac)


def run_limited(
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    limits: Limits,
    stdin_data: bytes,
    out_dir: Path,
    cap: JobCap | None = None,
) -> RunResult:
    """Run ``cmd`` in its own session with rlimits, the process cap and a wall-clock timeout.

    Its stdout and stderr go to files in ``out_dir`` (RLIMIT_FSIZE caps them, so
    a flood of output cannot fill the grader's memory).
    """
    t0 = time.monotonic()
    with open(out_dir / "stdout", "wb") as out, open(out_dir / "stderr", "wb") as err:
        proc = subprocess.Popen(
            with_rlimits(cmd, limits, cap),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=str(cwd),
            env=env,
            start_new_session=True,
        )
    timed_out = False
    try:
        proc.communicate(stdin_data, timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.communicate()
    finally:
        _kill_group(proc)  # leftovers started by the submission (no-bwrap mode)
    hits, peak = (cap.hits(), cap.peak()) if cap else (0, None)
    if cap:
        cap.close()  # kills what escaped the session (setsid) but not the cgroup
    return RunResult(
        returncode=proc.returncode,
        stderr=_tail(out_dir / "stderr", 20000),
        seconds=time.monotonic() - t0,
        wall_timeout=timed_out,
        command=cmd,
        process_hits=hits,
        process_peak=peak,
    )


def _tail(path: Path, n: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
