#!/usr/bin/env bash
# `make bench`: the benchmarks at full size, on a database of their own that is kept
# between runs (generating 100k customers takes minutes; later runs reuse them).
# BENCH_DB and BENCH_CUSTOMERS override the defaults. Prints one JSON line per benchmark.
# BENCH=curves runs the cost curves instead (BENCH_SIZES, BENCH_CURVES_DB; README).
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh" >/dev/null
cd "$ROOT"
DB=${BENCH_DB:-crm_bench}
CUSTOMERS=${BENCH_CUSTOMERS:-100000}
CONF="$ODOO_STATE_DIR/odoo-test.conf"
if [ "${BENCH:-}" = curves ]; then
    # Cost curves (README): scoring, KPIs and lifetime value at three sizes, each in a
    # kept database PREFIX_10k, ... copied from an empty one (the first run generates
    # the data: ~45 min for the three sizes; later runs reuse it)
    CURVES=${BENCH_CURVES_DB:-crm_bench_curves}
    if ! db_exists "$CURVES"; then
        say "Creating the cost curves' empty database $CURVES"
        odoo_cli -c "$CONF" -d "$CURVES" -i "$ADDONS" --stop-after-init
        update_addons_if_changed "$CONF" "$CURVES" --stamp-only
    fi
    for db in $(psql_odoo -c "SELECT datname FROM pg_database WHERE datname LIKE '${CURVES}%'"); do
        update_addons_if_changed "$CONF" "$db"
    done
    say "Cost curves: ${BENCH_SIZES:=10000,100000,300000} customers"
    "$PY" tests/benchmarks/bench_curves.py -c "$CONF" --template "$CURVES" \
        --prefix "$CURVES" --sizes "$BENCH_SIZES"
    exit 0
fi
if ! db_exists "$DB"; then
    say "Creating the benchmark database $DB"
    odoo_cli -c "$CONF" -d "$DB" -i "$ADDONS" --stop-after-init
    update_addons_if_changed "$CONF" "$DB" --stamp-only
else
    update_addons_if_changed "$CONF" "$DB"
fi
# Many users at once (issue 19): prefork Odoo with the production configuration and
# locust, in its own venv (config/requirements-load.txt). Runs last; BENCH=load runs
# only this step. BENCH_USERS, BENCH_LOAD_TIME, BENCH_HTTP_PORT, BENCH_GEVENT_PORT;
# BENCH_REPLICA_PORT (and BENCH_REPLICA_HOST) to read on a streaming replica.
bench_load() {
    local venv="$ODOO_STATE_DIR/locust-venv" want
    want=$(sha1sum <"$ROOT/config/requirements-load.txt" | cut -c1-40)
    if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]; then
        say "Installing locust in $venv"
        python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
        "$venv/bin/pip" install -q -r "$ROOT/config/requirements-load.txt" || die "could not install locust"
        echo "$want" >"$venv/.requirements"
    fi
    say "Many users at once: ${BENCH_USERS:-50} users for ${BENCH_LOAD_TIME:-3m}, prefork Odoo"
    "$PY" tests/benchmarks/bench_load.py -c "$CONF" -d "$DB" --customers "$CUSTOMERS" \
        --users "${BENCH_USERS:-50}" --run-time "${BENCH_LOAD_TIME:-3m}" --locust "$venv/bin/locust" \
        --http-port "${BENCH_HTTP_PORT:-8274}" --gevent-port "${BENCH_GEVENT_PORT:-8284}" \
        --replica-host "${BENCH_REPLICA_HOST:-127.0.0.1}" --replica-port "${BENCH_REPLICA_PORT:-0}"
}
if [ "${BENCH:-all}" = load ]; then
    bench_load
    exit 0
fi
say "Relationship scoring: $CUSTOMERS customers"
"$PY" tests/benchmarks/bench_scoring.py -c "$CONF" -d "$DB" --customers "$CUSTOMERS" --commit
say "Excel export of KPI history: 100,000 values"
"$PY" tests/benchmarks/bench_export.py -c "$CONF" -d "$DB" --rows 100000
say "KPI engine: 50 KPIs x 200 owners x 12 months, set-based against naive"
"$PY" tests/benchmarks/bench_kpi.py -c "$CONF" -d "$DB"
say "Lifetime value models: fit and score the benchmark company"
"$PY" tests/benchmarks/bench_clv.py -c "$CONF" -d "$DB"
say "Next best actions: propose the shipped rules' actions for the benchmark company"
"$PY" tests/benchmarks/bench_next_action.py -c "$CONF" -d "$DB"
say "Product recommendations: refresh and grade the benchmark company"
"$PY" tests/benchmarks/bench_recommend.py -c "$CONF" -d "$DB"
say "Cohort and churn reports: the views' reads, stored against live"
"$PY" tests/benchmarks/bench_reports.py -c "$CONF" -d "$DB"
bench_load
