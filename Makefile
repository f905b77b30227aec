# hki — two commands do everything on a fresh machine with Python 3.11, make and git:
#   make run    install, validate and build the graph, serve it at http://127.0.0.1:8000
#   make test   install, run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install validate build serve clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

validate: install
	$(BIN)/kg validate

build: install
	$(BIN)/kg build --out dist

run: build
	$(BIN)/kg serve --host $(HOST) --port $(PORT) --store .store --dist dist

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf dist .store test-artifacts
