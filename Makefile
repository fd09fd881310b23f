# The two commands of the README: `make quickstart` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: quickstart test test-slow lint venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: these wheels are served locally; anything else downloads several GB
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

quickstart: $(STAMP)
	$(PY) -m trl_styling.quickstart --out quickstart_out

test: $(STAMP)
	$(PY) -m ruff check trl_styling tests
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(PY) -m ruff check trl_styling tests
	$(PY) -m ruff format --check trl_styling tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache quickstart_out
