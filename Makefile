# Two commands matter: `make dev` (run the whole stack locally) and `make test` (every gate).
# Both set up what they need first: the project virtualenv (.venv) and, where a target
# needs the SAM CLI, its own virtualenv (.venv-sam), kept apart because its pins conflict.
SHELL := /bin/bash
PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# checkov and pip-audit (requirements-security.txt) get their own virtualenv: checkov pins an older boto3.
SECURITY_VENV := .venv-security
# `sam build` for the python3.12 runtime needs a python3.12 on PATH (pyenv: 3.11 + 3.12 together).
SAM_PATH_ENV := $(if $(shell command -v pyenv),PYENV_VERSION=$$(pyenv versions --bare | grep -E '^3\.(11|12)\.' | paste -sd:),)
FUNCTION ?= ApiSystemFunction
EVENT ?= events/api_system_health.json
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCOUNT_ID_ENDPOINT_MODE ?= disabled

.PHONY: help venv sam-venv security-venv checkov audit security chromium postgres dev reset webhook-listen redrive test lint openapi openapi-check docs typecheck template-lint unit component contracts integration e2e bench backfill build deploy deploy-prod invoke recrawl clean

help:
	@echo "make dev    - set up and run the whole stack on 127.0.0.1 (PORT=3000)"
	@echo "make reset  - delete the local stack's saved data (.local): the next make dev starts clean"
	@echo "make webhook-listen - with make dev running: register a local receiver and print each verified webhook"
	@echo "make redrive QUEUE=delivery - move a DLQ back to its queue (local stack; STACK=<name> for AWS)"
	@echo "make test   - set up and run every gate: ruff (+ bandit rules), radon, mypy, cfn-lint, sam validate, checkov, pip-audit, unit + integration tests"
	@echo "make security - the security gates alone: ruff (with bandit's rules), checkov, pip-audit"
	@echo "make openapi - regenerate openapi.json (the API contract; make test fails when it is stale)"
	@echo "make docs   - build the documentation site (mkdocs --strict) into site/"
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

$(SECURITY_VENV)/.installed: requirements-security.txt
	@test -x $(SECURITY_VENV)/bin/python || $(PYTHON_BOOT) -m venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/pip install --quiet -r requirements-security.txt
	@touch $@

security-venv: $(SECURITY_VENV)/.installed

# Security gates (docs/operations/security.md); ruff's bandit rules (S) run in `make lint`.
# checkov: 0 failed checks over template.yaml; each suppression is a `# checkov:skip=ID: reason` in the resource.
checkov: security-venv
	$(SECURITY_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download
	@echo "checkov: template.yaml has 0 failed checks"

# pip-audit over every pinned dependency against the registry's vulnerability data (AUDIT_STRICT=1: pins the
# registry did not answer for fail too).
audit: venv security-venv
	$(PY) security/audit_pins.py

security: lint checkov audit

# make dev keeps its data in $(LOCAL_STATE_DIR) (state.json, demo.json) across restarts; make reset deletes it all.
LOCAL_STATE_DIR ?= .local

dev: venv
	LOCAL_STATE_DIR="$(LOCAL_STATE_DIR)" $(PY) -m local

# No venv needed: stop `make dev` first (a running stack saves its state again when it stops).
reset:
	rm -rf -- "$(LOCAL_STATE_DIR)"
	@echo "local state deleted: the next make dev starts clean (new demo key and ids)"

webhook-listen: venv
	$(PY) -m local.webhook_listen

# A DLQ back to its queue: QUEUE=delivery|ingest|chat|fanout-failures (none: each DLQ's depth);
# the local stack by default, STACK=<name> for a deployed stack (StartMessageMoveTask, your AWS credentials).
redrive: venv
	$(PY) -m local.redrive $(QUEUE)

# Complexity gate: no function rated D or worse (cyclomatic complexity above 20) by radon.
COMPLEXITY_PATHS := layers functions local sdk bench security

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

# The documentation site (docs/, mkdocs.yml): --strict fails on a broken link or anchor, a page missing from the
# nav, or an API reference that no longer renders from openapi.json (docs/hooks/openapi_reference.py).
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site

typecheck: venv
	$(VENV)/bin/mypy layers/core/knowrithm_core sdk/knowrithm_py
	$(VENV)/bin/mypy functions/api/rest_api $(wildcard functions/api_*/api_*.py) functions/event_fanout/event_fanout functions/webhook_delivery/webhook_delivery \
		functions/widget/widget_api functions/document_ingest/document_ingest functions/chat_worker/chat_worker functions/realtime/realtime functions/fanout_recovery/fanout_recovery local security

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

# The database-source tests start a throwaway PostgreSQL (initdb + pg_ctl) in a temporary directory.
postgres:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		echo "installing postgresql (apt-get) for the database-source tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql < /dev/null; }

# The browser tests run in their own pytest process: Playwright's sync API keeps an event loop running in the
# main thread for the session, which would break in-process Lambda invocations (Mangum) in the same process.
# Both suites run on two workers (-n 2); --dist loadfile keeps each module, and its module-scoped fixtures, on one.
test: venv chromium postgres lint typecheck template-lint checkov audit openapi-check docs build
	$(PY) -m pytest -q -n 2 --dist loadfile tests/unit tests/component tests/contracts tests/integration
	$(PY) -m pytest -q -n 2 --dist loadfile tests/e2e

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

# What the RecrawlSchedule sends every 15 minutes: queue the website crawls that are due (against make dev when
# AWS_ENDPOINT_URL is set).
recrawl: venv
	$(PY) -m local.invoke --function DocumentIngestFunction --event events/document_ingest_recrawl_due.json

clean:
	rm -rf .aws-sam .local site .pytest_cache .mypy_cache .ruff_cache
