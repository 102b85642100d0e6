# Kaigan: `make run` serves the app on 127.0.0.1:8000; `make test` runs linters and tests.
# Both create the virtualenv (.venv) when needed. Django 6 needs Python 3.12 or newer.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

# Find a Python >= 3.12: the usual names first (each one run, since a pyenv shim may exist
# without working), then pyenv's versions folder.
PYTHON_CANDIDATES = python3.13 python3.12 python3 python \
	$(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) \
	$(wildcard $(PYENV_ROOT)/versions/3.1[2-9]*/bin/python3) \
	$(wildcard /root/.pyenv/versions/3.1[2-9]*/bin/python3) \
	/usr/local/bin/python3 /usr/bin/python3
PYTHON ?= $(shell for c in $(PYTHON_CANDIDATES); do \
	if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	  echo $$c; break; fi; done)

.PHONY: run test venv lint format migrate demo worker beat messages clean-venv chromium

venv: $(STAMP)

$(STAMP): requirements.txt
	@if [ -z "$(PYTHON)" ]; then \
	  echo "ERROR: Kaigan needs Python 3.12 or newer (Django 6). None was found among:"; \
	  echo "  $(PYTHON_CANDIDATES)"; \
	  echo "Install one (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12 ..."; \
	  exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  echo "Replacing $(VENV): it was made with an older Python."; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py createfinance --email finance@example.com --password kaigan-demo-2026 --name 财务

run: demo
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: starting a Celery worker and beat next to the web server."; \
	  $(VENV)/bin/celery -A kaigan worker -B --loglevel=INFO --concurrency=2 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(PY) manage.py runserver 127.0.0.1:8000; \
	else \
	  echo "No REDIS_URL: tasks run eagerly inside the web server."; \
	  $(PY) manage.py runserver 127.0.0.1:8000; \
	fi

worker: venv
	$(VENV)/bin/celery -A kaigan worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A kaigan beat --loglevel=INFO

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Browser tests drive Debian's Chromium (never a downloaded browser); CJK fonts make the
# Chinese screenshots readable. Installed when missing (as root, or with sudo).
chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  echo "Installing Debian's chromium and CJK fonts for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
	  || echo "WARNING: could not install chromium; the browser tests will be skipped."; \
	fi

test: venv lint chromium
	DJANGO_SETTINGS_MODULE=kaigan.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

messages: venv
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean-venv:
	rm -rf $(VENV)
