# Developer commands. Extra arguments go through ARGS, e.g. make test ARGS="-k rules".
.DEFAULT_GOAL := help
.PHONY: help demo test bench lint services bootstrap clean

ARGS ?=

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

demo: ## run the registry locally (SQLite, filesystem broker): http://127.0.0.1:8000/
	scripts/demo.sh $(ARGS)

test: ## ruff, migrations check and pytest on PostgreSQL, Redis and Chromium
	scripts/test.sh $(ARGS)

bench: ## benchmarks against PostgreSQL and a production gunicorn (bench/README.md)
	scripts/bench.sh $(ARGS)

lint: ## ruff check
	scripts/bootstrap.sh
	.venv/bin/ruff check .

services: ## install and start PostgreSQL, Redis and Chromium for the tests
	scripts/services.sh $(ARGS)

bootstrap: ## create .venv and install the project with its dev tools
	scripts/bootstrap.sh

clean: ## remove var/ (demo database, broker, artifacts) and .venv
	rm -rf var .venv
