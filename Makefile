# Two commands matter: `make dev` (run the whole stack locally) and `make test` (every gate).
# Both set up what they need first: the project virtualenv (.venv) and, where a target
# needs the SAM CLI, its own virtualenv (.venv-sam), kept apart because its pins conflict.
SHELL := /bin/bash
PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# `sam build` for the python3.12 runtime needs a python3.12 on PATH (pyenv: 3.11 + 3.12 together).
SAM_PATH_ENV := $(if $(shell command -v pyenv),PYENV_VERSION=$$(pyenv versions --bare | grep -E '^3\.(11|12)\.' | paste -sd:),)
FUNCTION ?= ApiSystemFunction
EVENT ?= events/api_system_health.json
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCOUNT_ID_ENDPOINT_MODE ?= disabled

.PHONY: help venv sam-venv chromium dev webhook-listen redrive test lint openapi openapi-check typecheck template-lint unit component contracts integration e2e bench backfill build deploy deploy-prod invoke clean

help:
	@echo "make dev    - set up and run the whole stack on 127.0.0.1 (PORT=3000)"
	@echo "make webhook-listen - with make dev running: register a local receiver and print each verified webhook"
	@echo "make redrive QUEUE=delivery - move a DLQ back to its queue (local stack; STACK=<name> for AWS)"
	@echo "make test   - set up and run every gate: ruff, radon, mypy, cfn-lint, sam validate, unit + integration tests"
	@echo "make openapi - regenerate openapi.json (the API contract; make test fails when it is stale)"
	@echo "make bench  - run the benchmarks and write bench/RESULTS.md"
	@echo "make backfill TABLE_NAME=... - give items from before list pages their index attributes and totals"
	@echo "make build  - sam build;  make deploy / deploy-prod - sam deploy (default / prod config env)"
	@echo "make invoke FUNCTION=ApiSystemFunction EVENT=events/api_system_health.json - run one handler like sam local invoke"

$(VENV)/.installed: requirements-dev.txt layers/core/requirements.txt functions/api/requirements.txt sdk/pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e sdk
	@touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON_BOOT) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	@touch $@

sam-venv: $(SAM_VENV)/.installed

dev: venv
	$(PY) -m local

webhook-listen: venv
	$(PY) -m local.webhook_listen

# A DLQ back to its queue: QUEUE=delivery|ingest|chat|fanout-failures (none: each DLQ's depth);
# the local stack by default, STACK=<name> for a deployed stack (StartMessageMoveTask, your AWS credentials).
redrive: venv
	$(PY) -m local.redrive $(QUEUE)

# Complexity gate: no function rated D or worse (cyclomatic complexity above 20) by radon.
COMPLEXITY_PATHS := layers functions local sdk bench

lint: venv
	$(VENV)/bin/ruff check .
	@out="$$($(VENV)/bin/radon cc -s -n D $(COMPLEXITY_PATHS))"; test -z "$$out" || \
		{ echo "$$out"; echo "radon rates these functions D or worse: split them (C or better)"; exit 1; }

# The API contract: openapi.json (committed) is regenerated from rest_api.app.create_app(); `make test` fails
# when the committed file differs (run `make openapi` and commit the result).
openapi: venv
	PYTHONPATH=layers/core:functions/api $(PY) -m rest_api.openapi openapi.json

openapi-check: openapi
	@git diff --exit-code -- openapi.json || { echo "openapi.json is out of date: run 'make openapi' and commit it"; exit 1; }

typecheck: venv
	$(VENV)/bin/mypy layers/core/knowrithm_core sdk/knowrithm_py
	$(VENV)/bin/mypy functions/api/rest_api $(wildcard functions/api_*/api_*.py) functions/event_fanout/event_fanout functions/webhook_delivery/webhook_delivery \
		functions/widget/widget_api functions/document_ingest/document_ingest functions/chat_worker/chat_worker functions/fanout_recovery/fanout_recovery local

template-lint: venv sam-venv
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml

# Test tiers: unit (pure: in-memory table, no moto), component (moto + the ASGI app and handlers), contracts
# (request counts, IAM against the template, the OpenAPI document, layering), integration (the local stack)
unit: venv
	$(PY) -m pytest tests/unit -q

component: venv
	$(PY) -m pytest tests/component -q

contracts: venv
	$(PY) -m pytest tests/contracts -q

integration: venv
	$(PY) -m pytest tests/integration -q

e2e: venv chromium
	$(PY) -m pytest tests/e2e -q

# The e2e tests drive Debian's chromium (never `playwright install`, which downloads a browser build).
chromium:
	@test -x /usr/bin/chromium || { \
		echo "installing chromium (apt-get) for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium < /dev/null; }

# The browser tests run in their own pytest process: Playwright's sync API keeps an event loop running in the
# main thread for the session, which would break in-process Lambda invocations (Mangum) in the same process.
test: venv chromium lint typecheck template-lint openapi-check build
	$(PY) -m pytest -q tests/unit tests/component tests/contracts tests/integration
	$(PY) -m pytest -q tests/e2e

bench: venv
	$(PY) -m bench

# TABLE_NAME: the deployed table (or the local one, with AWS_ENDPOINT_URL); idempotent, see store/backfill.py
backfill: venv
	@test -n "$(TABLE_NAME)" || { echo "set TABLE_NAME (and AWS_ENDPOINT_URL for a local stack)"; exit 2; }
	@# against AWS (no AWS_ENDPOINT_URL), drop this Makefile's moto credentials so the profile's apply
	if [ -z "$$AWS_ENDPOINT_URL" ] && [ "$$AWS_ACCESS_KEY_ID" = testing ]; then unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; fi; \
	PYTHONPATH=layers/core $(PY) -m knowrithm_core.store.backfill --table "$(TABLE_NAME)"

build: sam-venv
	$(SAM_PATH_ENV) $(SAM) build --template template.yaml

deploy: build
	$(SAM) deploy --guided

deploy-prod: build
	$(SAM) deploy --config-env prod

invoke: venv
	$(PY) -m local.invoke --function $(FUNCTION) --event $(EVENT)

clean:
	rm -rf .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
