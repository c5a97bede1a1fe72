# The two commands of the README: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := .local/node/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_DEFAULT_REGION ?= ap-southeast-1

.PHONY: run test lint unit e2e infra bench proof clean

$(STAMP): requirements.txt requirements-dev.txt infra/cdk/requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -r infra/cdk/requirements.txt
	touch $(STAMP)

$(NODE_STAMP): local/package.json local/package-lock.json
	mkdir -p .local/node
	cp local/package.json local/package-lock.json .local/node/
	cd .local/node && npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

# PDFs embed a CJK TrueType font (chalicelib/reports/fonts.py): Debian's Droid Sans Fallback.
FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
$(FONT):
	(apt-get install -y -qq fonts-droid-fallback || (apt-get update -qq && apt-get install -y -qq fonts-droid-fallback)) \
	  || echo "no CJK font installed: PDFs name a font they do not embed (docs/payouts.md)"

## Start the whole local stack (DynamoDB Local, moto server, chalice local, event runner).
run: $(STAMP) $(NODE_STAMP) $(FONT)
	$(BIN)/python -m local.stack

## The whole suite: lint and types, unit and integration tests, CDK synth + cfn-lint, end to end.
test: $(STAMP) $(NODE_STAMP) lint unit infra e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP) $(FONT)
	$(BIN)/pytest -q -n 2 --durations=12 tests/unit tests/integration

infra: $(STAMP) $(FONT)
	$(BIN)/python -m infra.cdk.synth
	$(BIN)/pytest -q tests/infrastructure

e2e: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q tests/e2e

# Every bench runs (a miss does not hide the other figures); the target fails if one missed.
bench: $(STAMP) $(NODE_STAMP)
	status=0; for module in import_time slots_and_search booking payout_run exports hot_endpoints peak; do \
	  $(BIN)/python -m bench.$$module || status=1; done; exit $$status

## The long proof (docs/proof.md): fault injection and scrambled delivery at size, schemathesis
## with 100 examples per operation and role, the 5-minute load run on the local stack.
proof: $(STAMP) $(NODE_STAMP)
	FAULT_ORDERS=30 FAULT_LATENCY_SECONDS=2 $(BIN)/pytest -q -s -p no:logging tests/integration/faults tests/integration/security
	FUZZ_EXAMPLES=100 FUZZ_STATEFUL_EXAMPLES=200 $(BIN)/pytest -q tests/e2e/test_fuzz_every_route.py tests/e2e/test_fuzz_stateful.py
	$(BIN)/python -m bench.load_run

clean:
	rm -rf $(VENV) .local infra/cdk/cdk.out .chalice/deployments
