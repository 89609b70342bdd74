"""Packaging: pyproject.toml and environment.yml agree; README, CI entry point, clean notebooks."""

import json
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport has the same API
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
IGNORED_CONDA = {"python", "pip"}


def normalize(requirement: str) -> str:
    """'Pytest-XDist>=3.3 ; python_version>"3"' -> 'pytest-xdist' (PEP 503-style)."""
    name = re.split(r"[\s<>=!~;\[@(]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_dependencies() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    reqs = list(project.get("dependencies", []))
    reqs += project.get("optional-dependencies", {}).get("dev", [])
    return {normalize(r) for r in reqs}


def environment_dependencies(text: str) -> set[str]:
    """Parse environment.yml's dependencies (conda items and the `- pip:` sublist) by hand."""
    names: set[str] = set()
    in_deps = False
    deps_indent = pip_indent = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if not in_deps:
            in_deps = line.strip() == "dependencies:" and indent == 0
            continue
        if indent == 0:  # next top-level key
            break
        m = re.match(r"\s*-\s*(.+)$", line)
        if not m:
            continue
        item = m.group(1).strip().strip("'\"")
        if deps_indent is None:
            deps_indent = indent
        if pip_indent is not None and indent > pip_indent:
            if not item.startswith("-e") and not item.startswith("--"):
                names.add(normalize(item))
            continue
        pip_indent = None
        if item == "pip:":
            pip_indent = indent
            continue
        name = normalize(item.split("=", 1)[0] if "::" not in item else item.split("::")[1])
        if name not in IGNORED_CONDA:
            names.add(name)
    return names


def test_environment_parser_handles_pip_sublist():
    text = (
        "name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n"
        "  # comment\n  - numpy>=1.24\n  - conda-forge::Numba =0.59\n  - pip:\n"
        "      - -e .\n      - Some_Pkg>=1\n  - scipy\nvariables:\n  - x\n"
    )
    assert environment_dependencies(text) == {"numpy", "numba", "some-pkg", "scipy"}


def test_pyproject_and_environment_yml_list_the_same_packages():
    env = environment_dependencies((ROOT / "environment.yml").read_text())
    py = pyproject_dependencies()
    assert py, "pyproject.toml declares no dependencies"
    assert env == py, (
        f"only in pyproject.toml: {sorted(py - env)}; only in environment.yml: {sorted(env - py)}"
    )


def test_environment_yml_parses_the_same_with_pyyaml():
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for item in data["dependencies"]:
        if isinstance(item, dict):
            names |= {normalize(p) for p in item.get("pip", []) if not str(p).startswith("-")}
        else:
            name = normalize(str(item).split("=", 1)[0].split("::")[-1])
            if name not in IGNORED_CONDA:
                names.add(name)
    assert names == environment_dependencies((ROOT / "environment.yml").read_text())
    assert "python" in {normalize(str(i).split("=")[0]) for i in data["dependencies"]}


def test_runtime_dependencies_include_the_course_stack():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {normalize(r) for r in data["project"]["dependencies"]}
    assert {"numpy", "numba", "matplotlib", "ipywidgets", "jupyterlab", "nbgrader"} <= runtime
    dev = {normalize(r) for r in data["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "hypothesis", "scipy", "ruff"} <= dev


def test_readme_documents_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme
    assert "make test" in readme


def test_ci_entry_point_runs_make_test():
    run = ROOT / ".ci" / "run"
    lines = [ln.split("#", 1)[0] for ln in run.read_text().splitlines()]
    assert any(re.search(r"(^|[\s;&|(])make\s+test\b", ln) for ln in lines), run.read_text()


def notebooks():
    found = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") for p in parts):  # .ipynb_checkpoints
            continue
        found.append(path)
    return found


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs", []) == [], f"{path.name}: cell {i} has outputs"
        assert cell.get("execution_count") is None, f"{path.name}: cell {i} has an execution count"
