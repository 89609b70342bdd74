"""The student workspace behind ``make lab``: the student's own copies of the released notebooks.

``cnncourse-grade workspace`` fills ``workspace/`` (git-ignored, at the top of the
checkout; ``--dir`` to change) with the student version of every course notebook:
``release`` (nbgrader generate_assignment and the leak check) runs in a temporary
course directory that is deleted afterwards, so no solution and no hidden test ever
lands in the workspace. Layout::

    <a>.ipynb                    the student's notebooks, one per course notebook
    backups/<a>-<time>.ipynb     what ``--reset <a>`` replaced
    .cnncourse-workspace.json    sha256 of what this command last wrote, per notebook
    .jupyter/                    JUPYTER_CONFIG_DIR of ``--lab``: nbgrader's instructor
                                 tools hidden, Validate kept (see ``write_jupyter_config``)

Run again, it adds the notebooks that are not there (new or deleted ones) and
refreshes a notebook to a newer release only while its bytes are still exactly what
it wrote: a notebook the student changed is never overwritten, only reported.
``--reset <a>`` puts the released version back after copying the old one to
``backups/``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import (
    DEFAULT_NOTEBOOKS,
    REPO_ROOT,
    Course,
    GradingError,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    discover_notebooks,
    release,
    sha256_bytes,
)

DEFAULT_WORKSPACE = REPO_ROOT / "workspace"
MANIFEST_NAME = ".cnncourse-workspace.json"
CONFIG_DIR_NAME = ".jupyter"
BACKUPS_NAME = "backups"

# JupyterLab plugins of nbgrader's @jupyter/nbgrader extension hidden from students: the
# instructor's tools, the exchange-based lists (there is no exchange here) and the
# "Nbgrader" menu, which only opens those. Validate (a notebook toolbar button) stays.
LAB_PLUGINS_HIDDEN = tuple(
    f"@jupyter/nbgrader:{p}"
    for p in ("formgrader", "create-assignment", "course-list", "assignment-list", "menu")
)
LAB_PLUGINS_KEPT = ("@jupyter/nbgrader:validate-assignment",)
SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
}
# What Validate (nbgrader's validate_assignment server extension, or `nbgrader validate`)
# reads: NbGrader loads nbgrader_config.* from every Jupyter config path, and the
# workspace's .jupyter/ is the first of them under `--lab`.
NBGRADER_CONFIG = '''\
"""nbgrader settings of the cnncourse student workspace (written by `cnncourse-grade workspace`).

Used by Validate in JupyterLab and by `nbgrader validate` run with
JUPYTER_CONFIG_DIR pointing here. Validate runs a notebook top to bottom in a fresh
kernel and reports the visible tests; `cnncourse-grade check` does the same on the
command line.
"""

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "cnncourse"
c.Execute.timeout = {timeout}  # seconds per cell, as `cnncourse-grade check`
c.Execute.interrupt_on_timeout = True
'''
VALIDATE_CELL_TIMEOUT = 120


@dataclass
class SyncReport:
    """What one run did, notebook by notebook (file names)."""

    directory: Path
    added: list[str] = field(default_factory=list)
    readded: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the student's changes, left alone
    kept_outdated: list[str] = field(default_factory=list)  # ... and a newer release exists
    reset: dict[str, Path | None] = field(default_factory=dict)  # file -> backup (or None)


def course_names(notebooks_dir: Path) -> list[str]:
    names = [p.stem for p in discover_notebooks(Path(notebooks_dir))]
    if not names:
        raise GradingError(
            f"no course notebooks found in {notebooks_dir} (expected NN_name.ipynb files "
            "with nbgrader metadata)"
        )
    return names


def resolve_names(requested: list[str], known: list[str]) -> list[str]:
    """``01_conv1d``, ``01_conv1d.ipynb`` or ``workspace/01_conv1d.ipynb`` -> ``01_conv1d``."""
    out = []
    for raw in requested:
        name = Path(raw).name
        stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
        if stem not in known:
            raise GradingError(
                f"unknown notebook {raw!r}: the course notebooks are " + ", ".join(known)
            )
        if stem not in out:
            out.append(stem)
    return out


def released_notebooks(notebooks_dir: Path, log=print) -> dict[str, bytes]:
    """The verified student version of every course notebook, made in a temporary course.

    The temporary course directory (sources, release, gradebook) is deleted before this
    returns: only the released bytes leave it.
    """
    with tempfile.TemporaryDirectory(prefix="cnncourse-workspace-") as tmp:
        course = Course(Path(tmp) / "course")
        # one summary line instead of release's line per notebook with temporary paths
        names = release(course, Path(notebooks_dir), log=lambda _msg: None)
        log(f"released {len(names)} notebooks (checked: no solutions, no hidden tests)")
        return {a: course.release(a).read_bytes() for a in names}


def _load_manifest(directory: Path) -> dict:
    import json

    path = directory / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"notebooks": {}}
    except ValueError:  # damaged: start over; a notebook not recorded is never overwritten
        return {"notebooks": {}}
    if not isinstance(data.get("notebooks"), dict):
        data["notebooks"] = {}
    return data


def _backup(directory: Path, stem: str, data: bytes) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = directory / BACKUPS_NAME
    folder.mkdir(parents=True, exist_ok=True)
    path, n = folder / f"{stem}-{stamp}.ipynb", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{stamp}-{n}.ipynb"
    atomic_write_bytes(path, data, public=True)
    return path


def sync(
    directory: Path, released: dict[str, bytes], reset: list[str] = (), log=print
) -> SyncReport:
    """Bring ``directory`` up to date with ``released`` ({assignment: notebook bytes}).

    Never overwrites a notebook whose bytes differ from what this function last wrote
    there, except the ones named in ``reset`` (assignment names), which are backed up.
    """
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    reset = resolve_names(list(reset), list(released))
    manifest = _load_manifest(directory)
    entries = manifest["notebooks"]
    report = SyncReport(directory)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def write(a: str, data: bytes) -> None:
        atomic_write_bytes(directory / f"{a}.ipynb", data, public=True)
        entries[a] = {"sha256": sha256_bytes(data), "written": now}

    for a, data in released.items():
        path = directory / f"{a}.ipynb"
        new_sha = sha256_bytes(data)
        last_sha = entries.get(a, {}).get("sha256")
        current = path.read_bytes() if path.is_file() else None
        if a in reset:
            backup = None
            if current is not None and current != data:
                backup = _backup(directory, a, current)
            write(a, data)
            report.reset[path.name] = backup
        elif current is None:
            (report.readded if a in entries else report.added).append(path.name)
            write(a, data)
        elif sha256_bytes(current) == new_sha:
            report.unchanged.append(path.name)
            if last_sha != new_sha:
                entries[a] = {"sha256": new_sha, "written": now}
        elif last_sha is not None and sha256_bytes(current) == last_sha:
            report.updated.append(path.name)
            write(a, data)
        else:
            report.kept.append(path.name)
            if last_sha is not None and last_sha != new_sha:
                report.kept_outdated.append(path.name)
        # a folder or other non-file in the way raises on write; that is the student's to fix
    atomic_write_json(directory / MANIFEST_NAME, manifest)
    _log_report(report, log)
    return report


def _log_report(report: SyncReport, log) -> None:
    d = report.directory
    for name in report.added:
        log(f"  added     {name}")
    for name in report.readded:
        log(f"  re-added  {name} (it had been deleted)")
    for name in report.updated:
        log(f"  updated   {name} to the newer release (you had not changed it)")
    for name in report.kept:
        stem = name[: -len(".ipynb")]
        note = "has your changes, left as it is"
        if name in report.kept_outdated:
            note += (
                f"; a newer version was released: `cnncourse-grade workspace --reset {stem}` "
                "takes it and keeps a backup of yours"
            )
        log(f"  kept      {name}: {note}")
    for name, backup in report.reset.items():
        if backup is None:
            log(f"  reset     {name} to the released version (nothing to back up)")
        else:
            log(f"  reset     {name} to the released version; your old copy is {backup}")
    total = len(report.added + report.readded + report.updated + report.unchanged + report.kept)
    total += len(report.reset)
    log(
        f"workspace {d}: {total} notebooks ({len(report.added) + len(report.readded)} added, "
        f"{len(report.updated)} updated, {len(report.reset)} reset, "
        f"{len(report.kept)} with your changes kept, {len(report.unchanged)} unchanged)"
    )


def write_jupyter_config(directory: Path) -> Path:
    """``directory/.jupyter``: the Jupyter config dir for the workspace's JupyterLab.

    * ``labconfig/page_config.json`` disables nbgrader's instructor plugins in the page;
    * ``jupyter_server_config.json`` disables the formgrader, assignment-list and
      course-list server extensions and keeps validate (jupyter server reads the
      ``jupyter_server_config.d/*.json`` of the venv's ``etc/jupyter``, which enable all
      four, only for the extensions not set in ServerApp.jpserver_extensions already);
    * ``nbgrader_config.py`` is what Validate reads.

    Nothing outside the workspace changes: the instructor's ``jupyter lab`` keeps all.
    """
    cfg = Path(directory).resolve() / CONFIG_DIR_NAME
    page = {
        "disabledExtensions": {
            **{p: True for p in LAB_PLUGINS_HIDDEN},
            **{p: False for p in LAB_PLUGINS_KEPT},
        }
    }
    atomic_write_json(cfg / "labconfig" / "page_config.json", page)
    server = {"ServerApp": {"jpserver_extensions": dict(SERVER_EXTENSIONS)}}
    atomic_write_json(cfg / "jupyter_server_config.json", server)
    atomic_write_text(
        cfg / "nbgrader_config.py", NBGRADER_CONFIG.format(timeout=VALIDATE_CELL_TIMEOUT)
    )
    return cfg


def lab_command(directory: Path, extra: list[str] = ()) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment for the workspace."""
    directory = Path(directory).resolve()
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(directory / CONFIG_DIR_NAME)
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={directory}", *extra]
    if os.geteuid() == 0 and "--allow-root" not in argv:
        argv.append("--allow-root")  # a container or a JupyterHub image running as root
    return argv, env


def workspace(
    directory: Path = DEFAULT_WORKSPACE,
    notebooks_dir: Path = DEFAULT_NOTEBOOKS,
    reset: list[str] = (),
    log=print,
) -> SyncReport:
    """Create or update the workspace: release, sync, Jupyter config."""
    reset = resolve_names(list(reset), course_names(notebooks_dir))  # fail before releasing
    released = released_notebooks(notebooks_dir, log=log)
    report = sync(directory, released, reset, log=log)
    write_jupyter_config(directory)
    return report


def open_lab(directory: Path, extra: list[str] = (), log=print) -> int:
    """Replace this process with JupyterLab on the workspace (Ctrl-C stops it)."""
    argv, env = lab_command(directory, extra)
    log(f"opening JupyterLab on {Path(directory).resolve()} (Ctrl-C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(directory)  # nbgrader's Validate also reads nbgrader_config.py from the cwd
    os.execve(argv[0], argv, env)
    return 0  # pragma: no cover
