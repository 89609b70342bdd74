# cnncourse: one entry point. `make demo` (main job) and `make test` (all tests) set up .venv if missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnncourse-installed

.PHONY: setup demo test lint lab lab-source bench warmup clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1 || \
	  echo "note: bubblewrap not installed; grading will fall back to rlimits only"; } || true
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	  echo "note: chromium not installed; the browser tests will skip"; } || true
	$(BIN)/python -m cnncourse warmup
	@touch $(STAMP)

setup: $(STAMP)

warmup: setup
	$(BIN)/python -m cnncourse warmup

demo: setup
	$(BIN)/cnncourse-grade demo

# --dist loadfile: a file's tests share one worker, so a module's fixtures (the browser
# suite's JupyterLab and Chromium, the workspace's release) start once. (xdist_group with
# --dist loadgroup does not group on this pytest: pytest-dev/pytest-xdist#1386.)
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile tests

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Students: workspace/ holds your copies of the released notebooks (created or updated, your
# changes are never overwritten), opened in JupyterLab with nbgrader's Validate only.
# More jupyter lab options: make lab LAB_ARGS="--port 8889 --no-browser"
lab: setup
	$(BIN)/cnncourse-grade workspace --lab -- $(LAB_ARGS)

# Instructors: JupyterLab on the course sources (solutions, hidden tests, all nbgrader tools).
lab-source: setup
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

bench: setup
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "torch==2.13.0" || \
	  echo "note: PyTorch not available; the benchmark skips it"
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
