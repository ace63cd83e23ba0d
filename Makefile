# The two commands of the README, and a few conveniences. Settings: see the README's table.
.PHONY: run test setup lint bench clean

run:    ## set up what is missing, create the demo database once, start Odoo on :8069
	scripts/run.sh

test:   ## set up, lint, and run every test suite on a throw-away database
	scripts/test.sh

setup:  ## only the idempotent set-up (PostgreSQL, venv, Odoo 18.0, requirements, configs)
	scripts/setup.sh

bench:  ## the benchmarks at full size on their own kept database (see README)
	scripts/bench.sh

lint:
	.venv/bin/python -m ruff check addons tests && .venv/bin/python -m ruff format --check addons tests \
	&& .venv/bin/python -m pylint --rcfile=.pylintrc addons/crm_relationship addons/crm_analytics \
	&& .venv/bin/python -c 'import sys; from oca_pre_commit_hooks.cli import main; sys.exit(main())' \
	   addons/crm_relationship addons/crm_analytics

clean:  ## remove the virtual environment and rendered configs (databases are kept)
	rm -rf .venv .local
