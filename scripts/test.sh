#!/usr/bin/env bash
# `make test`: set-up, lint, then every test suite (both addons' tests, the cross-addon,
# browser and benchmark suites under tests/) in one pytest run against a throw-away database
# with both addons installed, which is dropped at the end. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/common.sh"
WITH_BROWSER=1 "$ROOT/scripts/setup.sh"
cd "$ROOT"
export PATH="$VENV/bin:$PATH"

[ "${SKIP_LINT:-0}" = 1 ] || "$ROOT/scripts/lint.sh"

DB=${ODOO_TEST_DB:-crm_test_$(date +%Y%m%d%H%M%S)_$$}
CONF="$ODOO_STATE_DIR/odoo-test.conf"
cleanup() { dropdb -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -U "$ODOO_DB_USER" --if-exists "$DB" >/dev/null 2>&1 || true;
            rm -rf "$ODOO_DATA_DIR/filestore/$DB"; }
trap cleanup EXIT
say "Installing both addons in the throw-away database $DB"
odoo_cli -c "$CONF" -d "$DB" -i "$ADDONS" --stop-after-init
# Build the web client's bundles once, committed: browser tests run in a transaction
# that is rolled back, so without this every tour would compile them again (slow on
# a loaded machine, where the page may then not boot within the tour's timeout).
odoo_cli shell -c "$CONF" -d "$DB" --log-level=warn >/dev/null <<'PY'
for name in ("web.assets_web", "web.assets_tests"):
    bundle = env["ir.qweb"]._get_asset_bundle(name)
    bundle.js()
    bundle.css()
env.cr.commit()
PY
say "Running the test suites"
python -m pytest --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    addons/crm_relationship addons/crm_analytics tests "$@"
