#!/usr/bin/env bash
# The lint of `make test` and `make lint`: ruff, pylint-odoo, the OCA module and PO checks,
# prettier over the XML and the READMEs generated from readme/. `--fix` rewrites what the
# formatters own (ruff format, prettier, README.rst) instead of checking it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
if [ "${1:-}" = --fix ]; then
    python -m ruff format addons tests scripts
    prettier_xml --write --log-level=warn
    python scripts/readme.py
    exit 0
fi
say "Lint: ruff, pylint-odoo, the OCA module checks, prettier and the generated READMEs"
python -m ruff check addons tests scripts
python -m ruff format --check addons tests scripts
python -m pylint --rcfile=.pylintrc addons/crm_relationship addons/crm_analytics
# the XML, CSV and PO checks that pylint-odoo 10 handed over to OCA's pre-commit hooks
python -c 'import sys; from oca_pre_commit_hooks.cli import main; sys.exit(main())' \
    addons/crm_relationship addons/crm_analytics
python -c 'import sys; from oca_pre_commit_hooks.cli_po import main; sys.exit(main())' \
    addons/*/i18n/*.pot
prettier_xml --check --log-level=warn || die "XML not formatted: run make format"
python scripts/readme.py --check || die "README.rst is not generated from readme/: run make format"
