# Secure Data Pipeline — the commands a newcomer needs. `make help` lists them.
SHELL := /bin/bash
PY := .venv/bin/python
STACK := $(PY) -m include.stack

.DEFAULT_GOAL := help
.PHONY: help setup lock up down status logs airflow demo test test-fast chaos lint bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## create/refresh .venv and .venv-flink from the lock files (skips when unchanged)
	@bash scripts/setup.sh

lock:  ## re-resolve requirements*.txt into the lock files (then run make setup)
	python3 -m uv pip compile --python-version 3.11 --quiet requirements.txt -o requirements.lock
	python3 -m uv pip compile --python-version 3.11 --quiet requirements-flink.txt -o requirements-flink.lock
	python3 -m uv pip compile --python-version 3.11 --quiet requirements-bench.txt -o requirements-bench.lock

up: setup  ## start the local stack (PostgreSQL, Kafka-protocol broker, Airflow), supervised
	@$(STACK) up

down:  ## stop everything `make up` started, even without .local/run/ (state is kept in .local/)
	@if [ -x $(PY) ]; then $(STACK) down; fi

status:  ## state, pid, restarts, last exit, port, readiness and memory of each service
	@$(STACK) status

logs:  ## last lines of each service's log
	@$(STACK) logs

airflow:  ## the Airflow CLI with the stack's settings, e.g. make airflow ARGS="dags list"
	@$(STACK) airflow $(ARGS)

demo: up  ## generate sample files, process them, print a summary from PostgreSQL
	@$(PY) -m include.demo

test: setup  ## lint + the whole test suite against real services it starts and stops
	@bash scripts/test.sh $(TEST_ARGS)

chaos: setup  ## fault cases too slow for `make test`: Spark, PostgreSQL and the broker killed mid-file
	@bash scripts/test.sh -m chaos tests/integration/test_faults.py

test-fast: setup  ## lint + unit and DAG tests only: no services, a minute or two
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
	@$(PY) -m pytest -p no:cacheprovider -q -m "not integration" tests/unit tests/dags

lint:  ## ruff
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup  ## benchmarks (ratios against baselines measured in the same run)
	@bash scripts/bench.sh

clean: down  ## stop the stack and delete ALL local state (databases, data zones, secrets)
	rm -rf .local
