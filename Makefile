# Two commands for a newcomer: `make run` serves the app, `make test` passes the suite.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint schema bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON_BIN) >/dev/null 2>&1 || { echo "need $(PYTHON_BIN) on PATH (or make PYTHON_BIN=python3)"; exit 2; }
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	PYTHON=$(abspath $(PY)) bin/mediasync all

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .

schema: $(STAMP)
	DATA_DIR=$${DATA_DIR:-$$(mktemp -d)} $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV)
