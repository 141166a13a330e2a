# vocsvc: `make run` and `make test` each set up everything they need (safe to repeat), then run.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests need: speech synthesis for the synthetic two-party calls, ffmpeg, and Chromium for the
# console's browser tests (Playwright drives /usr/bin/chromium).
DEB_PKGS := espeak-ng festival festvox-ru sox ffmpeg chromium
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run demo-cli serve test install deps-apt eval bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: pip then takes the CPU build from this machine's disk instead of a multi-GB CUDA one.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,train,ray]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use to synthesise speech fixtures; skipped when present or when not root.
deps-apt:
	@[ -z "$(strip $(DEB_PKGS))" ] && exit 0; missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing Debian packages:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

# The product with demo data (examples/demo): migrate ./vocsvc.db, load the demo mentions and calls (idempotent: a
# second run adds nothing and takes seconds), print the demo admin key (created once, kept in
# <data_dir>/demo-admin.key, mode 0600), then serve the API and console (the calls are transcribed by its worker).
run: install
	$(BIN)/vocsvc db upgrade
	$(BIN)/vocsvc demo load --wait
	@key=$$($(BIN)/vocsvc demo key) && echo "admin key: $$key"
	@echo "console: http://127.0.0.1:8000/ui  (sign in with the admin key above)"
	exec $(BIN)/vocsvc serve

# The command-line demo: tag examples/sample.csv -> out/sample.jsonl.
demo-cli: install
	$(BIN)/vocsvc analyze examples/sample.csv -o out/sample.jsonl
	@echo "wrote out/sample.jsonl (first 3 rows):"; head -n 3 out/sample.jsonl

# The service on http://127.0.0.1:8000 (SQLite ./vocsvc.db, in-process worker); prints an admin key the first time.
serve: install
	$(BIN)/vocsvc db upgrade
	@$(BIN)/vocsvc keys list | grep -q '"role": "admin"' || { echo "admin key (shown once):"; $(BIN)/vocsvc keys create --role admin --name local-admin; }
	$(BIN)/vocsvc serve

test: install deps-apt
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/python models/train/evaluate.py

bench: install
	$(BIN)/python bench/analyze.py

clean:
	rm -rf $(VENV) out .pytest_cache
