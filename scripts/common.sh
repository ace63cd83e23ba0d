# Shared settings and helpers for setup.sh, run.sh and test.sh (sourced, not run).
# Every setting can be overridden from the environment; the README lists them.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ODOO_DB=${ODOO_DB:-crm_demo}
export ODOO_DB_HOST=${ODOO_DB_HOST:-127.0.0.1}
export ODOO_DB_PORT=${ODOO_DB_PORT:-5432}
export ODOO_DB_USER=${ODOO_DB_USER:-odoo}
export ODOO_DB_PASSWORD=${ODOO_DB_PASSWORD:-odoo}
export ODOO_HTTP_INTERFACE=${ODOO_HTTP_INTERFACE:-0.0.0.0}
export ODOO_HTTP_PORT=${ODOO_HTTP_PORT:-8069}
export ODOO_TEST_HTTP_PORT=${ODOO_TEST_HTTP_PORT:-8169}
export ODOO_MASTER_PASSWORD=${ODOO_MASTER_PASSWORD:-admin}
export ODOO_ADMIN_PASSWORD=${ODOO_ADMIN_PASSWORD:-admin}
export ODOO_DEMO_LANG=${ODOO_DEMO_LANG:-en_US}
export ODOO_DEMO_TZ=${ODOO_DEMO_TZ:-$([ "$ODOO_DEMO_LANG" = zh_CN ] && echo Asia/Shanghai)}
export ODOO_STATE_DIR=${ODOO_STATE_DIR:-$ROOT/.local}
export ODOO_DATA_DIR=${ODOO_DATA_DIR:-$ODOO_STATE_DIR/data}
export ODOO_SRC=${ODOO_SRC:-$ROOT/.odoo-src}
export ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
export VENV=${VENV:-$ROOT/.venv}
export PGPASSWORD=$ODOO_DB_PASSWORD
ADDONS="crm_relationship,crm_analytics"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi; }
psql_odoo() { psql -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -U "$ODOO_DB_USER" -d postgres -XtAq "$@"; }
db_exists() { [ "$(psql_odoo -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }
# runs Odoo's command line with the project's interpreter, whatever way Odoo was installed
odoo_cli() { "$PY" -c 'import sys, odoo.cli; sys.argv[0] = "odoo"; odoo.cli.main()' "$@"; }

# update_addons_if_changed CONF DB [--stamp-only]: update both addons in DB when their
# code changed since DB last saw it (a stamp per database in $ODOO_STATE_DIR), then
# stamp it; --stamp-only for a database just installed from this code.
update_addons_if_changed() {
    local conf=$1 db=$2 stamp="$ODOO_STATE_DIR/$2.addons.sha1" sha
    sha=$(cd "$ROOT" && find addons -type f -not -name '*.pyc' -print0 | sort -z \
        | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
    if [ "${3:-}" != --stamp-only ] && [ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]; then
        say "The addons changed: updating them in $db"
        odoo_cli -c "$conf" -d "$db" -u "$ADDONS" --stop-after-init --log-level=warn
    fi
    echo "$sha" >"$stamp"
}

# prettier over the addons' XML with the OCA's settings (config/prettierrc.yml); extra
# arguments: --check or --write
prettier_xml() {
    local node="$ODOO_STATE_DIR/node/node_modules"
    "$node/.bin/prettier" --config "$ROOT/config/prettierrc.yml" \
        --plugin "$node/@prettier/plugin-xml/src/plugin.js" "$@" "$ROOT/addons/**/*.xml"
}
