# The two commands of the README, and a few conveniences. Settings: see the README's table.
.PHONY: run test setup lint format bench upstream clean

run:    ## set up what is missing, create the demo database once, start Odoo on :8069
	scripts/run.sh

test:   ## set up, lint, and run every test suite on a throw-away database
	scripts/test.sh

setup:  ## only the idempotent set-up (PostgreSQL, venv, Odoo 18.0, requirements, configs)
	scripts/setup.sh

bench:  ## the benchmarks at full size on their own kept database (see README)
	scripts/bench.sh

lint:   ## the lint of make test (ruff, pylint-odoo, OCA checks, prettier, generated READMEs)
	WITH_BROWSER=0 scripts/setup.sh >/dev/null && scripts/lint.sh

format: ## rewrite what the formatters own: ruff format, prettier's XML, README.rst from readme/
	WITH_BROWSER=0 scripts/setup.sh >/dev/null && scripts/lint.sh --fix

upstream: ## Odoo's own tests of MODULES (e.g. survey,crm) without and with our addons, compared
	scripts/upstream.sh $(MODULES)

clean:  ## remove the virtual environment and rendered configs (databases are kept)
	rm -rf .venv .local
