"""The student workspace (``cnncourse-grade workspace``, ``make lab``).

One real run of the command releases every course notebook into a workspace (module
fixture, some seconds); each test then works on its own copy of that workspace and
calls ``sync`` with the released bytes, so no test releases again.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from autograde import cli
from autograde.course import (
    DEFAULT_NOTEBOOKS,
    HIDDEN_BEGIN,
    SOLUTION_BEGIN,
    GradingError,
    discover_notebooks,
    verify_release,
)
from autograde.workspace import (
    BACKUPS_NAME,
    CONFIG_DIR_NAME,
    LAB_PLUGINS_HIDDEN,
    LAB_PLUGINS_KEPT,
    MANIFEST_NAME,
    lab_command,
    sync,
)

# make test distributes whole files (--dist loadfile): one release for the whole module

COURSE = [p.stem for p in discover_notebooks(DEFAULT_NOTEBOOKS)]


@pytest.fixture(scope="module")
def created(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A workspace made by the CLI, and the released bytes it holds."""
    ws = tmp_path_factory.mktemp("ws") / "workspace"
    assert cli.main(["workspace", "--dir", str(ws)]) == 0
    return ws, {a: (ws / f"{a}.ipynb").read_bytes() for a in COURSE}


@pytest.fixture
def ws(created, tmp_path) -> Path:
    path = tmp_path / "workspace"
    shutil.copytree(created[0], path)
    return path


@pytest.fixture
def released(created) -> dict[str, bytes]:
    return dict(created[1])


class Log(list):
    def __call__(self, msg: str) -> None:
        self.append(msg)

    def __str__(self) -> str:
        return "\n".join(self)


def _edit(path: Path, text: str = "mi solución") -> bytes:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, path)
    return path.read_bytes()


def _newer(data: bytes) -> bytes:
    nb = nbformat.reads(data.decode(), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("Versión corregida del enunciado."))
    return nbformat.writes(nb).encode()


# -- what the workspace holds ------------------------------------------------------------


def test_workspace_holds_every_released_notebook_and_nothing_else(created):
    ws, _ = created
    assert len(COURSE) >= 6
    assert sorted(p.name for p in ws.iterdir()) == sorted(
        [f"{a}.ipynb" for a in COURSE] + [MANIFEST_NAME, CONFIG_DIR_NAME]
    )
    assert not list(ws.rglob("source")) and not list(ws.rglob("release"))
    for a in COURSE:
        path = ws / f"{a}.ipynb"
        text = path.read_text(encoding="utf-8")
        assert SOLUTION_BEGIN not in text and "BEGIN HIDDEN TESTS" not in text, a
        assert HIDDEN_BEGIN not in text and "END SOLUTION" not in text, a
        assert "ESCRIBE AQUÍ TU CÓDIGO" in text, a
        # no line of any solution or hidden-test region, no outputs
        assert verify_release(DEFAULT_NOTEBOOKS / f"{a}.ipynb", path) == [], a
    manifest = json.loads((ws / MANIFEST_NAME).read_text())
    assert set(manifest["notebooks"]) == set(COURSE)


def test_rerun_leaves_unchanged_notebooks_alone(ws, released):
    before = {a: (ws / f"{a}.ipynb").stat().st_mtime_ns for a in COURSE}
    report = sync(ws, released, log=Log())
    assert sorted(report.unchanged) == sorted(f"{a}.ipynb" for a in COURSE)
    assert before == {a: (ws / f"{a}.ipynb").stat().st_mtime_ns for a in COURSE}


def test_student_changes_are_never_overwritten_and_are_reported(ws, released):
    mine = _edit(ws / "01_conv1d.ipynb")
    log = Log()
    report = sync(ws, released, log=log)
    assert report.kept == ["01_conv1d.ipynb"]
    assert (ws / "01_conv1d.ipynb").read_bytes() == mine
    assert "kept      01_conv1d.ipynb: has your changes" in str(log)
    # a newer release does not overwrite it either; the message says how to take it
    released["01_conv1d"] = _newer(released["01_conv1d"])
    log = Log()
    report = sync(ws, released, log=log)
    assert report.kept_outdated == ["01_conv1d.ipynb"]
    assert (ws / "01_conv1d.ipynb").read_bytes() == mine
    assert "--reset 01_conv1d" in str(log)


def test_unchanged_notebook_is_refreshed_to_a_newer_release(ws, released):
    released["02_conv2d"] = _newer(released["02_conv2d"])
    report = sync(ws, released, log=Log())
    assert report.updated == ["02_conv2d.ipynb"]
    assert (ws / "02_conv2d.ipynb").read_bytes() == released["02_conv2d"]
    assert sync(ws, released, log=Log()).updated == []


def test_deleted_notebook_is_added_again(ws, released):
    (ws / "03_rgb.ipynb").unlink()
    log = Log()
    report = sync(ws, released, log=log)
    assert report.readded == ["03_rgb.ipynb"]
    assert (ws / "03_rgb.ipynb").read_bytes() == released["03_rgb"]
    assert "re-added  03_rgb.ipynb" in str(log)


def test_new_course_notebook_is_added(ws, released):
    released["07_extra"] = released["01_conv1d"]
    assert sync(ws, released, log=Log()).added == ["07_extra.ipynb"]
    assert (ws / "07_extra.ipynb").read_bytes() == released["01_conv1d"]


def test_reset_restores_the_release_and_keeps_a_backup(ws, released):
    mine = _edit(ws / "01_conv1d.ipynb")
    log = Log()
    report = sync(ws, released, reset=["01_conv1d.ipynb"], log=log)
    assert (ws / "01_conv1d.ipynb").read_bytes() == released["01_conv1d"]
    backup = report.reset["01_conv1d.ipynb"]
    assert backup.parent == ws / BACKUPS_NAME and backup.name.startswith("01_conv1d-")
    assert backup.read_bytes() == mine
    assert str(backup) in str(log)
    # by stem, twice in a row: the second backup does not overwrite the first
    _edit(ws / "01_conv1d.ipynb", "otra vez")
    sync(ws, released, reset=["01_conv1d"], log=Log())
    assert len(list((ws / BACKUPS_NAME).iterdir())) == 2
    # an unchanged notebook is reset without a backup; the next run sees it as unchanged
    assert sync(ws, released, reset=["01_conv1d"], log=Log()).reset == {"01_conv1d.ipynb": None}
    assert "01_conv1d.ipynb" in sync(ws, released, log=Log()).unchanged


def test_unknown_reset_name_is_a_clear_error(ws, released, capsys):
    with pytest.raises(GradingError, match="unknown notebook '07_nope'.*01_conv1d"):
        sync(ws, released, reset=["07_nope"], log=Log())
    # the CLI says so before releasing anything, with exit status 2
    assert cli.main(["workspace", "--dir", str(ws), "--reset", "07_nope.ipynb"]) == 2
    err = capsys.readouterr().err
    assert "unknown notebook '07_nope.ipynb'" in err and "01_conv1d" in err


# -- JupyterLab and nbgrader in the workspace ------------------------------------------


def test_page_config_hides_the_instructor_tools(created):
    ws, _ = created
    page = json.loads((ws / CONFIG_DIR_NAME / "labconfig" / "page_config.json").read_text())
    disabled = {k for k, v in page["disabledExtensions"].items() if v}
    for plugin in ("formgrader", "create-assignment", "course-list", "assignment-list"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_plugin_ids_exist_in_the_installed_labextension():
    static = Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader/static"
    if not static.is_dir():
        pytest.skip("nbgrader's labextension is not installed here")
    code = "".join(p.read_text(errors="replace") for p in static.glob("*.js"))
    for plugin in LAB_PLUGINS_HIDDEN + LAB_PLUGINS_KEPT:
        assert f'"{plugin}"' in code, plugin


def test_server_config_disables_formgrader_and_keeps_validate(created, monkeypatch):
    ws, _ = created
    cfg = json.loads((ws / CONFIG_DIR_NAME / "jupyter_server_config.json").read_text())
    ext = cfg["ServerApp"]["jpserver_extensions"]
    assert ext["nbgrader.server_extensions.formgrader"] is False
    assert ext["nbgrader.server_extensions.course_list"] is False
    assert ext["nbgrader.server_extensions.validate_assignment"] is True
    # what jupyter server loads with that config dir (the .d files of the venv's
    # etc/jupyter, which enable all four, only fill in extensions not named here) ...
    assert _server_extensions(monkeypatch, ws / CONFIG_DIR_NAME) == {
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.validate_assignment": True,
    }
    # ... and without it (the instructor's `make lab-source`): everything
    assert set(_server_extensions(monkeypatch, None).values()) == {True}


def _server_extensions(monkeypatch, config_dir: Path | None) -> dict[str, bool]:
    from jupyter_server.serverapp import ServerApp

    if config_dir is None:
        monkeypatch.delenv("JUPYTER_CONFIG_DIR", raising=False)
    else:
        monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    app = ServerApp()
    app.load_config_file()
    app.find_server_extensions()
    return {k: v for k, v in app.jpserver_extensions.items() if k.startswith("nbgrader.")}


def test_validate_reads_the_workspace_nbgrader_config(created, monkeypatch):
    """What nbgrader's validate_assignment handler does to load its config."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.apps import NbGrader

    ws, _ = created
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(ws / CONFIG_DIR_NAME))
    monkeypatch.chdir(ws)
    paths = jupyter_config_path()
    paths.insert(0, str(ws))
    app = NbGrader()
    app.config_file_paths.append(paths)
    app.load_config_file()
    assert app.config.Execute.timeout == 120


def test_lab_command_uses_the_workspace_config(created):
    ws, _ = created
    argv, env = lab_command(ws, ["--no-browser"])
    assert env["JUPYTER_CONFIG_DIR"] == str(ws.resolve() / CONFIG_DIR_NAME)
    assert argv[1:3] == ["-m", "jupyterlab"] and f"--ServerApp.root_dir={ws.resolve()}" in argv
    assert "--no-browser" in argv
    assert ("--allow-root" in argv) == (os.geteuid() == 0)  # a container running as root


def test_check_on_a_workspace_notebook_fails_cleanly(ws, capsys):
    assert cli.main(["check", str(ws / "01_conv1d.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  test_conv1d_loops" in out and "NotImplementedError" in out
    assert "visible tests pass" in out
