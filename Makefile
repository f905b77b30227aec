# hki — two commands do everything on a fresh machine with Python 3.11, make and git:
#   make run    install, validate and build the graph, serve it at http://127.0.0.1:8000
#   make test   install, run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# npm ci writes node_modules/.package-lock.json: node_modules is current when it is newer than package-lock.json
NPM_STAMP := node_modules/.package-lock.json
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install assets catalogues validate build serve clean chromium bench soak system-deps

install: $(STAMP) system-deps assets catalogues

# Debian packages the tests drive, as command:package — chromium (browser tests), Virtuoso
# (tests/unit/test_virtuoso.py, make bench), haproxy and wrk (replicas behind a proxy: tests/http/test_replicas.py,
# make bench), and npm (with node), which fetches the front-end packages of package.json. The missing ones are
# installed with one apt-get update (root, or sudo); when all are present this does nothing.
SYSTEM_DEPS := chromium:chromium virtuoso-t:virtuoso-opensource haproxy:haproxy wrk:wrk npm:npm
# Shared libraries the Python packages load, as file:package — libseccomp (graph/store/sandbox.py: query workers
# without network access).
SYSTEM_LIBS := libseccomp.so.2:libseccomp2

system-deps:
	@missing=""; for dep in $(SYSTEM_DEPS); do \
	  command -v "$${dep%%:*}" >/dev/null 2>&1 || test -x "/usr/sbin/$${dep%%:*}" || missing="$$missing $${dep#*:}"; done; \
	for lib in $(SYSTEM_LIBS); do \
	  ldconfig -p 2>/dev/null | grep -q "$${lib%%:*}" || missing="$$missing $${lib#*:}"; done; \
	[ -z "$$missing" ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); echo "installing:$$missing"; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }

chromium: system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Front-end files (CodeMirror, vis-network, world-atlas): exact versions in package.json/package-lock.json,
# fetched by npm ci, then the files of graph/assets.py's table copied into the git-ignored assets/ folder.
$(NPM_STAMP): package-lock.json package.json | system-deps
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NPM_STAMP)

# Every time (a second, and it mends a folder someone changed by hand); replaces assets/ in one step.
assets: $(NPM_STAMP) $(STAMP)
	$(BIN)/python -m graph.assets

# The pages' words: api/web/locales/<lang>/LC_MESSAGES/hki.po compiled to hki.mo (built, not committed; the
# server also compiles a missing or stale one when it starts: api/web/i18n.py).
catalogues: $(STAMP)
	$(BIN)/pybabel compile -d api/web/locales -D hki

validate: install
	$(BIN)/kg validate

build: install
	$(BIN)/kg build --out dist

run: build
	MALLOC_ARENA_MAX=2 $(BIN)/kg serve --host $(HOST) --port $(PORT) --store .store --dist dist

# Two passes (pyproject.toml [tool.pytest.ini_options]): the tests spread over the cores, then the ones that measure
# time alone. TEST_PROCESSES=1 runs the first pass in one process.
TEST_PROCESSES ?= $(shell nproc 2>/dev/null || echo 2)
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

# hki vs Oxigraph's own server vs rdflib-endpoint vs a bare FastAPI route, one table (loopback only, bounded
# request counts; wrk from Debian, oxigraph and rdflib-endpoint from the bench extra)
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/lookup_path_bench.py
	$(BIN)/python bench/analysis_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/explorer_bench.py
	$(BIN)/python bench/context_bench.py
	$(BIN)/python bench/world_analysis_bench.py
	$(BIN)/python bench/world_pages_bench.py
	$(BIN)/python bench/workspace_bench.py

# 50 clients for 60 s against kg serve on loopback (cheap, heavy and pathological queries, pages, API);
# prints p50/p99 per class, statuses, memory, a health check after; exits 1 when a target is missed
soak: install
	$(BIN)/python bench/soak.py

clean:
	rm -rf dist .store test-artifacts assets
