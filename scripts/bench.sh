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
