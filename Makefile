# Samverkan — the command index. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PY ?= python3.11
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install run test test-unit lint schemas catalogue asyncapi clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PY) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml ops/pyproject.toml
	$(UV) sync --all-packages --frozen --compile-bytecode --python $(PY)
	@# Bytecode for our own (editable) sources too: a shell may set PYTHONDONTWRITEBYTECODE,
	@# and then every service start would compile every module again (3.6 s instead of 1.3 s).
	$(VENV)/bin/python -m compileall -q shared/src services/*/src deploy/local/src ops/src
	@touch $@

install: $(VENV)/.synced ## Install every package (uv workspace, locked, hashes checked)

run: install ## Start broker, SMTP sink and every service; Ctrl-C stops them
	$(VENV)/bin/samverkan-dev run

.PHONY: browser
browser: ## Install Debian's Chromium for the browser tests, if it is missing (root on CI)
	@# The system package, not `playwright install`: no download outside the Debian mirror.
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install browser ## Every test: unit, integration and end-to-end (real Tansu and PostgreSQL)
	$(VENV)/bin/pytest

faults: install ## The fault suite, full form: 2,000 escalations per scenario; report in .run/faults/
	$(VENV)/bin/python -m tests.faults.run --escalations 2000 --out .run/faults

.PHONY: bench
bench: install ## Benchmarks: table in .bench/results.md, plots in docs/bench/ (BENCH_QUICK=1: smoke run)
	@# Not part of `make test`: a command that prints figures, not a timed test.
	$(VENV)/bin/python -m bench $(if $(BENCH_QUICK),--quick) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

test-unit: install ## Only the tests without I/O
	$(VENV)/bin/pytest shared/tests services -q

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy -p samverkan_shared -p national_council -p regional_council -p notifications -p devstack -p samverkan_ops
	@# The tests too, a tree at a time: the services' test trees repeat module names.
	for tests in shared/tests tests services/*/tests; do $(VENV)/bin/mypy --explicit-package-bases $$tests || exit 1; done

schemas: install ## Regenerate the committed JSON Schemas from the contracts
	$(VENV)/bin/python -m samverkan_shared.schemas write

catalogue: install ## Regenerate the event catalogue in README.md
	$(VENV)/bin/python -c "import re,pathlib; from samverkan_shared.catalogue import BEGIN, END, markdown; p=pathlib.Path('README.md'); t=p.read_text(); i,j=t.index(BEGIN),t.index(END)+len(END); p.write_text(t[:i]+markdown()+t[j:])"

asyncapi: install ## Regenerate docs/asyncapi/<deployment>.json (what each service serves)
	$(VENV)/bin/python -m devstack.asyncapi_docs docs/asyncapi

manifests: install ## Regenerate deploy/k8s and deploy/compose from the region and topic registries
	$(VENV)/bin/samverkan manifests generate

settings-docs: install ## Regenerate docs/settings/<service>.md from the settings classes
	$(VENV)/bin/samverkan settings-docs write

clean: ## Remove local data, logs and captured mail
	rm -rf .run
