#!/usr/bin/env bash
# `make upstream MODULES=survey,crm`: Odoo's own test suites of the given modules, run
# twice on fresh databases (the modules alone, then with both addons installed), and the
# failures compared: our addons must add none. The Odoo tree in use fails a few of its
# own tests; those fail in both runs and are reported, not counted.
# Exit status 1 when the run with our addons fails a test the run without did not.
set -euo pipefail
source "$(dirname "$0")/common.sh"
WITH_BROWSER=1 "$ROOT/scripts/setup.sh" >/dev/null
MODULES=${1:-${MODULES:-survey}}
CONF="$ODOO_STATE_DIR/odoo-test.conf"
OUT="$ODOO_STATE_DIR/upstream"
mkdir -p "$OUT"
TAGS=$(echo "$MODULES" | sed 's/[^,]*/\/&/g')
for run in without with; do
    DB="crm_upstream_${run}_$$"
    mods=$MODULES
    [ $run = with ] && mods="$MODULES,$ADDONS"
    say "Odoo's tests of $MODULES, $run our addons ($DB)"
    dropdb -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -U "$ODOO_DB_USER" --if-exists "$DB"
    odoo_cli -c "$CONF" -d "$DB" -i "$mods" --test-enable --test-tags "$TAGS" \
        --stop-after-init --log-level=test --http-port="$ODOO_TEST_HTTP_PORT" \
        >"$OUT/$run.log" 2>&1 || true
    dropdb -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -U "$ODOO_DB_USER" --if-exists "$DB"
    rm -rf "$ODOO_DATA_DIR/filestore/$DB"
    # the tests named on "FAIL: Class.test" and "ERROR: Class.test" lines of Odoo's test
    # result log: a test that fails in both runs is the same failure, whether it failed
    # an assertion in one and timed out in the other
    grep -oE '(FAIL|ERROR): [A-Za-z0-9_]+\.[A-Za-z0-9_]+' "$OUT/$run.log" \
        | sed -E 's/^(FAIL|ERROR): //' | sort -u >"$OUT/$run.failed" || true
    grep -E 'tests when loading database|[0-9]+ post-tests in' "$OUT/$run.log" | tail -2 \
        | sed 's/^.*odoo\.[a-z.]*: //' || true
done
say "Failing without our addons: $(wc -l <"$OUT/without.failed")"
sed 's/^/    /' "$OUT/without.failed"
NEW=$(comm -13 "$OUT/without.failed" "$OUT/with.failed")
if [ -n "$NEW" ]; then
    printf '%s\n' "$NEW" | sed 's/^/    NEW /'
    die "our addons add failures to Odoo's own tests (logs in $OUT)"
fi
say "No new failure with our addons (logs in $OUT)"
