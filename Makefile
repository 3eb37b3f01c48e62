# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint migrate seed clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Embedded defaults: SQLite, local-memory cache, eager Celery, local sandbox, offline mentor.
run: venv
	bin/ensure-system-deps run
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_problems
	DEBUG=true $(PY) manage.py seed_demo --base-url http://$(HOST):$(PORT)
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# Lint + the whole suite on the local PostgreSQL and Redis (see codementor/settings_test.py).
test: venv
	bin/ensure-system-deps test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
