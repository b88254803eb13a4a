# Two commands for a newcomer: `make run` serves the app, `make test` passes the suite.
# python3.11 when it is on PATH, else python3 (which must then be 3.11 or newer).
PYTHON_BIN ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test demo lint schema bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON_BIN) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "need Python 3.11+ (set PYTHON_BIN=/path/to/python3.11)"; exit 2; }
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	PYTHON=$(abspath $(PY)) bin/mediasync all

demo: $(STAMP)
	$(PY) -m mediasync.demo

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

schema: $(STAMP)
	DATA_DIR=$${DATA_DIR:-$$(mktemp -d)} $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV)
