"""The course as a student sees it: JupyterLab in Chromium, driven by Playwright.

A real JupyterLab server on loopback serves a temporary student workspace
(``cnncourse-grade workspace``), Debian's Chromium runs headless, and the tests
check what a person would: every course notebook (solution form) runs all its
cells in the browser without an error output; the 1D and 2D explorers render and
react to a slider and a preset within a second, and a burst of changes never
leaves a blank or stale picture; nbgrader's Validate button passes a solved
notebook and names the failing cell of a wrong one. Screenshots of the explorers
go to ``out/test-artifacts/browser/``.

Skips, saying why, without Chromium (``apt-get install chromium``; ``.ci/run`` and
``make setup`` as root install it) or without the ``playwright`` package. Every
process the suite starts (server, kernels, browser) is ended at the end.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograde import cli
from autograde.course import Course, discover_notebooks, release
from autograde.demo.make_demo import build

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "out" / "test-artifacts" / "browser"
NOTEBOOKS = discover_notebooks(REPO / "notebooks")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.skipif(not NOTEBOOKS, reason="no course notebooks"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
        return r.read()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A student workspace, plus solved and wrong copies for the run-all and Validate tests."""
    root = tmp_path_factory.mktemp("browser")
    ws = root / "workspace"
    assert cli.main(["workspace", "--dir", str(ws)]) == 0
    solved = ws / "soluciones"
    solved.mkdir()
    for nb in NOTEBOOKS:
        shutil.copy(nb, solved / nb.name)
    # Validate: a solved and a wrong student version of notebook 01, built from the release
    course = Course(root / "course")
    release(course, REPO / "notebooks", log=lambda *a: None)
    name = NOTEBOOKS[0].stem
    rel = nbformat.read(course.release(name), as_version=4)
    src = nbformat.read(course.source(name), as_version=4)
    check = ws / "validar"
    check.mkdir()
    nbformat.write(build("correct", rel, src)[1], check / "resuelto.ipynb")
    nbformat.write(build("partly_wrong", rel, src)[1], check / "con_fallo.ipynb")
    return ws


@pytest.fixture(scope="module")
def lab(workspace, tmp_path_factory):
    """JupyterLab on loopback over the workspace, with the workspace's own configuration."""
    config = tmp_path_factory.mktemp("jupyter-config")
    shutil.copytree(workspace / ".jupyter", config, dirs_exist_ok=True)
    page = config / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(page.read_text()) if page.exists() else {}
    # no "would you like news?" pop-up over the notebook
    data.setdefault("disabledExtensions", {})["@jupyterlab/apputils-extension:announcements"] = True
    page.write_text(json.dumps(data))
    port, token = _free_port(), uuid.uuid4().hex
    runtime = tmp_path_factory.mktemp("runtime")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(runtime),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    log = open(tmp_path_factory.mktemp("lablog") / "jupyter.log", "w")
    cmd = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workspace}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            _get(f"{base}/api/status?token={token}")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start: " + Path(log.name).read_text()[-3000:])
            time.sleep(0.3)
    yield base, token
    proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of its session
    except ProcessLookupError:
        pass
    log.close()
    # the kernels (their command lines name the runtime folder) are gone too
    left = _processes_naming(str(runtime))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"kernels left running after the server stopped: {left}"


def _processes_naming(text: str, wait: float = 10.0) -> list[int]:
    deadline = time.monotonic() + wait
    while True:
        found = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if text in (d / "cmdline").read_bytes().decode(errors="replace"):
                        found.append(int(d.name))
                except OSError:
                    pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


# -- helpers running inside JupyterLab (window.jupyterapp) -----------------------------------

OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  await app.started; await app.restored;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  return true;
}
"""

RUN_ALL_JS = """
async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
  const cells = panel.content.model.cells;
  const problems = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    if (c.executionCount === null) problems.push({cell: i, problem: 'not run'});
    for (const o of c.outputs.toJSON()) {
      if (o.output_type === 'error') problems.push({cell: i, problem: o.ename + ': ' + o.evalue});
    }
  }
  return problems;
}
"""

MARK_JS = """
(needle) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i].model.sharedModel.getSource().includes(needle)) {
      cells[i].node.setAttribute('data-test', 'explorer');
      cells[i].node.scrollIntoView();
      return i;
    }
  }
  return -1;
}
"""


MARK_ALL_JS = """
(pattern) => {
  const re = new RegExp(pattern, 'm');
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  let n = 0;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i].model.type === 'code' && re.test(cells[i].model.sharedModel.getSource())) {
      cells[i].node.setAttribute('data-test', 'explorer-' + n);
      n += 1;
    }
  }
  return n;
}
"""


SOURCE_JS = """
() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) out.push(cells.get(i).sharedModel.getSource());
  return out.join('\\n');
}
"""


def _open(page, base, token, path) -> None:
    page.goto(f"{base}/lab?reset&token={token}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate(OPEN_JS, path)


def _run_all(page) -> list:
    return page.evaluate(RUN_ALL_JS)


def _pixels(locator) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=float)


def _blank(img: np.ndarray) -> bool:
    return img.size == 0 or float(img.std()) < 2.0


def _sources(explorer) -> list[str]:
    return explorer.locator("img").evaluate_all("els => els.map(e => e.src)")


def _wait_change(explorer, before: list[str], seconds: float = 1.0) -> float:
    """Seconds until an image of the explorer changed (fails after ``seconds``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if _sources(explorer) != before:
            return time.monotonic() - t0
        time.sleep(0.02)
    raise AssertionError(f"no picture changed within {seconds} s")


def _settle(explorer, quiet: float = 1.0, timeout: float = 15.0) -> None:
    """Wait until no picture of the explorer has changed for ``quiet`` seconds."""
    t0 = last_change = time.monotonic()
    seen = _sources(explorer)
    while time.monotonic() - last_change < quiet:
        assert time.monotonic() - t0 < timeout, f"the explorer kept redrawing for {timeout} s"
        time.sleep(0.05)
        now = _sources(explorer)
        if now != seen:
            seen, last_change = now, time.monotonic()


def _text(explorer) -> str:
    return explorer.inner_text()


def _wait_text_change(explorer, before: str, seconds: float = 1.0) -> None:
    """The explorer's text (read-out, menu, slider values) changes within ``seconds``."""
    t0 = time.monotonic()
    while _text(explorer) == before:
        assert time.monotonic() - t0 < seconds, f"the read-out did not change within {seconds} s"
        time.sleep(0.02)


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("nb", [p.name for p in NOTEBOOKS])
def test_each_notebook_runs_all_cells_in_the_browser(lab, page, nb):
    """Every cell runs without an error; every explorer in it renders and reacts."""
    base, token = lab
    _open(page, base, token, f"soluciones/{nb}")
    problems = _run_all(page)
    assert problems == [], f"{nb}: {problems[:5]}"
    n = page.evaluate(MARK_ALL_JS, r"^\s*\w+_explorer\(")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        cell = page.locator(f"[data-test=explorer-{k}]")
        cell.scroll_into_view_if_needed()
        explorer = cell.locator(".jp-OutputArea")
        explorer.locator("img").first.wait_for(timeout=30_000)
        assert "Error displaying widget" not in explorer.inner_text()
        assert not _blank(_pixels(explorer.locator("img").last)), f"{nb}: explorer {k} is blank"
        handle = explorer.locator(".noUi-handle").first
        before = _sources(explorer)
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        _wait_change(explorer, before)
        explorer.screenshot(path=str(ARTIFACTS / f"{Path(nb).stem}-explorer-{k}.png"))


def _explorer_roundtrip(page, needle: str, shot: str) -> None:
    assert page.evaluate(MARK_JS, needle) >= 0, f"no cell calls {needle}"
    explorer = page.locator("[data-test=explorer] .jp-OutputArea")
    explorer.locator("img").first.wait_for(timeout=30_000)
    select = explorer.locator("select").first
    select.wait_for()
    panel = explorer.locator("img").last
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / f"{shot}-start.png"))
    start_pixels = _pixels(panel)
    assert not _blank(start_pixels)
    start_label = select.evaluate("s => s.options[s.selectedIndex]?.text || ''")
    assert start_label.strip(), "the preset menu should show the active preset at start"
    # a preset: the pictures change within a second, and so does the read-out
    options = select.evaluate("s => Array.from(s.options).map(o => o.text)")
    other = next(o for o in options if o.strip() and o != start_label)
    before, text_before = _sources(explorer), _text(explorer)
    select.select_option(label=other)
    _wait_change(explorer, before)
    _wait_text_change(explorer, text_before)
    assert not _blank(_pixels(panel))
    # a slider, moved with the keyboard as a student would
    handle = explorer.locator(".noUi-handle").first
    before, text_before = _sources(explorer), _text(explorer)
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    _wait_change(explorer, before)
    _wait_text_change(explorer, text_before)
    # a burst: slider moves and presets in quick succession. Each widget queues its own
    # messages, so the kernel may see the last slider move after the last preset: the
    # explorer must end in *a* consistent state, drawn, never blank.
    for k in range(3):
        for _ in range(8):
            handle.press("ArrowLeft" if k % 2 else "ArrowRight")
        select.select_option(label=options[(k + 1) % len(options)] or other)
    _settle(explorer)
    explorer.screenshot(path=str(ARTIFACTS / f"{shot}-after-burst.png"))
    burst_pixels = _pixels(panel)
    assert not _blank(burst_pixels), "a burst of changes left a blank picture"
    label = select.evaluate("s => s.options[s.selectedIndex]?.text || ''")
    assert label.strip(), "the preset menu lost its label after the burst"
    # then the start preset: the picture comes back exactly, so nothing stale was kept
    before = _sources(explorer)
    select.select_option(label=start_label)
    if label != start_label:
        _wait_change(explorer, before)
    _settle(explorer)
    explorer.screenshot(path=str(ARTIFACTS / f"{shot}-end.png"))
    end_pixels = _pixels(panel)
    assert not _blank(end_pixels)
    assert end_pixels.shape == start_pixels.shape
    assert np.abs(end_pixels - start_pixels).mean() < 1.0, "a stale picture after the burst"


def test_1d_explorer_reacts_and_survives_a_burst(lab, page):
    base, token = lab
    _open(page, base, token, f"soluciones/{NOTEBOOKS[0].name}")
    assert _run_all(page) == []
    _explorer_roundtrip(page, "signal_explorer(", "1d-explorer")


def test_2d_explorer_reacts_and_survives_a_burst(lab, page):
    base, token = lab
    _open(page, base, token, f"soluciones/{NOTEBOOKS[1].name}")
    assert _run_all(page) == []
    _explorer_roundtrip(page, "kernel_explorer(", "2d-explorer")


def _validate(page, base, token, path) -> str:
    _open(page, base, token, path)
    page.get_by_role("button", name="Validate").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    page.wait_for_function(
        "() => !document.querySelector('.jp-Dialog')?.innerText.includes('Validating')",
        timeout=180_000,
    )
    text = dialog.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"validate-{Path(path).stem}.png"))
    return text


def test_validate_passes_a_solved_notebook(lab, page):
    base, token = lab
    text = _validate(page, base, token, "validar/resuelto.ipynb")
    assert "Success" in text and "passes all the tests" in text, text[:2000]


def test_validate_names_the_failing_cell_of_a_wrong_notebook(lab, page, workspace):
    base, token = lab
    text = _validate(page, base, token, "validar/con_fallo.ipynb")
    assert "The following cell failed" in text or "cells failed" in text, text[:2000]
    assert "Success" not in text
    # the dialog quotes the failing test cell: its first line is there
    nb = nbformat.read(workspace / "validar" / "con_fallo.ipynb", as_version=4)
    firsts = [
        c.source.splitlines()[0]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.source.strip()
    ]
    assert any(line in text for line in firsts), (firsts, text[:2000])


def test_the_student_workspace_shows_validate_and_hides_the_instructor_tools(lab, page):
    base, token = lab
    _open(page, base, token, NOTEBOOKS[0].name)  # the released version, in the workspace root
    page.get_by_role("button", name="Validate").first.wait_for(timeout=30_000)
    menubar = page.locator(".lm-MenuBar-content").inner_text()
    assert "File" in menubar and "Nbgrader" not in menubar
    ids = page.evaluate("() => Array.from(window.jupyterapp.commands.listCommands())")
    assert not any("formgrader" in c or "create-assignment" in c for c in ids), ids
    assert page.get_by_text("Create Assignment").count() == 0
    assert page.get_by_text("Formgrader").count() == 0
    # the released notebook has no solutions and no hidden tests
    source = page.evaluate(SOURCE_JS)
    assert "BEGIN HIDDEN TESTS" not in source and "BEGIN SOLUTION" not in source
    assert "ESCRIBE AQUÍ TU CÓDIGO" in source
