# Two entry points, both idempotent on a fresh machine (Python 3.10+, make, apt):
#   make serve   build the site (executing every lesson) and serve it on http://127.0.0.1:8000
#   make test    run the whole test suite
# Debian's own Python where there is one: grading as root runs each learner's code as a user
# of its own, who must be able to read Python's standard library (a pyenv build under /root
# cannot be read by anyone but root).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1:8000
SYSTEM_PACKAGES := graphviz chromium fonts-dejavu-core python3-venv

.PHONY: serve test check learner-check site lint system-deps notebooks benchmarks mutation compat gpu-check clean

serve: system-deps $(STAMP)
	KFUNC_SITE_CACHE=true $(BIN)/mkdocs serve --strict --dev-addr $(HOST)

site: system-deps $(STAMP)
	$(BIN)/mkdocs build --strict

# Across the cores: each pytest-xdist worker takes whole modules (a module's fixtures run
# once), and every notebook runs once for the whole run (support/notebooks.py).
test: system-deps $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadscope --durations=20 -m "not learner_install"

# A learner's machine: the README's learner install in a fresh venv, no Graphviz on the PATH,
# every lesson and exercise run to the end (minutes: it installs TensorFlow).
learner-check: $(STAMP)
	$(BIN)/python -m pytest -m learner_install tests/site/test_learner_install.py

# A developer's inner loop: lint and the grader's own tests; no notebooks, no browser, no
# learner processes.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadscope -m "not slow and not notebooks" \
		tests/core tests/course tests/face tests/test_architecture.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate the paired .ipynb files (and their Colab badges) from the py:percent sources.
notebooks: $(STAMP)
	$(BIN)/python scripts/sync_notebooks.py

# Also runs the whole test suite once, to publish its measured wall time.
benchmarks: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --test-suite

# Mutation testing of the grader's core (engine, matching, graph, execute) with the fast
# tests; settings in pyproject.toml [tool.mutmut]. Long: a weekly workflow, not make test.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet "mutmut==3.8.1"
	rm -rf mutants
	$(BIN)/python benchmarks/mutation.py run

# The grader suites and every notebook (under TensorFlow, then JAX) in one version profile's
# own virtual environment, .compat/PROFILE: oldest (the declared minimums), colab (Colab's
# runtime, Python 3.13) or latest. Needs that profile's Python (the script says how to get it).
PROFILE ?= latest
compat:
	$(PYTHON) scripts/compat.py $(PROFILE)

# The grader suites and the notebooks on a visible GPU, every verdict compared with the CPU's;
# report in benchmarks/results/gpu_check.{json,md}. Any Keras backend, no Graphviz needed.
gpu-check:
	$(PYTHON) scripts/gpu_check.py

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Graphviz draws plot_model diagrams; Debian's Chromium runs the browser tests (or the
# browser that KFUNC_CHROMIUM names).
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	[ -x "$${KFUNC_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "Missing system packages:$$missing. Install them by hand: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES)

clean:
	rm -rf site .pytest_cache test-artifacts mutants
