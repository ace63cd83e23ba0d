#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`: PostgreSQL, a virtual environment,
# Odoo 18.0, the Python requirements, Chromium for the browser tests, and the rendered configs.
# A second run finds everything in place and takes a few seconds.
set -euo pipefail
source "$(dirname "$0")/common.sh"
WITH_BROWSER=${WITH_BROWSER:-0}
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found: install $* with your system's package manager"
    if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq || die "apt-get update failed"; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
        || die "could not install $* (root or sudo is needed)"
}

is_local_db() { case "$ODOO_DB_HOST" in 127.0.0.1|localhost|::1|/*) return 0;; *) return 1;; esac; }

setup_postgres() {
    if pg_isready -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -q 2>/dev/null; then :;
    elif is_local_db; then
        command -v pg_lsclusters >/dev/null || { say "Installing PostgreSQL"; apt_install postgresql postgresql-contrib libpq-dev; }
        if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
            ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
            as_root pg_createcluster "$ver" main >/dev/null
        fi
        read -r ver name _ < <(pg_lsclusters -h | head -1)
        say "Starting PostgreSQL $ver/$name"
        as_root pg_ctlcluster "$ver" "$name" start || true
        for _ in $(seq 30); do pg_isready -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -q && break; sleep 1; done
        pg_isready -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -q || die "PostgreSQL did not start on $ODOO_DB_HOST:$ODOO_DB_PORT"
    else
        die "PostgreSQL is not answering on $ODOO_DB_HOST:$ODOO_DB_PORT"
    fi
    if ! psql_odoo -c "SELECT 1" >/dev/null 2>&1; then
        is_local_db || die "cannot log in to PostgreSQL as $ODOO_DB_USER on $ODOO_DB_HOST:$ODOO_DB_PORT"
        say "Creating PostgreSQL role $ODOO_DB_USER"
        as_postgres "psql -qc \"CREATE ROLE \\\"$ODOO_DB_USER\\\" LOGIN CREATEDB PASSWORD '$ODOO_DB_PASSWORD'\"" \
            || die "could not create the PostgreSQL role $ODOO_DB_USER"
        psql_odoo -c "SELECT 1" >/dev/null || die "cannot log in to PostgreSQL as $ODOO_DB_USER"
    fi
}

odoo_is_18() { "$PY" -c 'import sys, odoo.release as r; sys.exit(r.version_info[:2] != (18, 0))' 2>/dev/null; }

setup_python() {
    if [ ! -x "$PY" ]; then
        say "Creating the virtual environment $VENV"
        # system site-packages: an Odoo 18.0 already importable by python3 is used as it is
        python3 -m venv --system-site-packages "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    fi
    if ! odoo_is_18; then
        say "Odoo 18.0 is not importable: installing it from its official source"
        command -v pg_config >/dev/null || apt_install libpq-dev
        command -v gcc >/dev/null || apt_install build-essential python3-dev
        if [ ! -d "$ODOO_SRC/.git" ]; then
            git clone --depth 1 --branch 18.0 "$ODOO_GIT_URL" "$ODOO_SRC" \
                || die "could not download Odoo 18.0 from $ODOO_GIT_URL; set ODOO_SRC to an Odoo 18.0 checkout"
        fi
        "$PY" -m pip install -q -r "$ROOT/config/requirements-odoo.txt" || die "could not install Odoo's Python requirements"
        "$PY" -m pip install -q --no-deps -e "$ODOO_SRC" || die "could not install Odoo from $ODOO_SRC"
        odoo_is_18 || die "Odoo 18.0 is still not importable after installing it from $ODOO_SRC"
    fi
    stamp="$VENV/.crm-requirements"
    want=$(cat "$ROOT/config/requirements.txt" | sha1sum | cut -c1-40)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "Installing the Python requirements"
        "$PY" -m pip install -q --prefer-binary -r "$ROOT/config/requirements.txt" || die "pip install failed"
        echo "$want" > "$stamp"
    fi
}

setup_browser() {
    for b in google-chrome chromium chromium-browser google-chrome-stable; do command -v "$b" >/dev/null && return 0; done
    say "Installing Chromium for the web-client tests"
    apt_install chromium
}

setup_node_tools() {
    # prettier and its XML plugin for the lint, pinned by config/package-lock.json
    command -v npm >/dev/null || { say "Installing Node.js for the XML formatter"; apt_install nodejs npm; }
    local dir="$ODOO_STATE_DIR/node" want
    want=$(cat "$ROOT/config/package.json" "$ROOT/config/package-lock.json" | sha1sum | cut -c1-40)
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$want" ]; then
        say "Installing prettier (XML formatting)"
        mkdir -p "$dir" && cp "$ROOT/config/package.json" "$ROOT/config/package-lock.json" "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in $dir"
        echo "$want" > "$dir/.stamp"
    fi
}

render_configs() {
    mkdir -p "$ODOO_STATE_DIR" "$ODOO_DATA_DIR"
    ODOO_ADDONS_PATH=$("$PY" - "$ROOT/addons" <<'PY'
import os, sys
import odoo
base = os.path.dirname(os.path.abspath(odoo.__file__))
# a source checkout keeps most addons beside the package; a pip install keeps them all inside it
paths = [sys.argv[1], os.path.join(os.path.dirname(base), "addons"), os.path.join(base, "addons")]
print(",".join(p for p in paths if os.path.isdir(p)))
PY
)
    export ODOO_ADDONS_PATH
    for name in odoo odoo-test; do
        "$PY" -c 'import os, string, sys; print(string.Template(open(sys.argv[1]).read()).substitute(os.environ), end="")' \
            "$ROOT/config/$name.conf.template" > "$ODOO_STATE_DIR/$name.conf"
    done
}

setup_postgres
setup_python
setup_node_tools
[ "$WITH_BROWSER" = 1 ] && setup_browser
render_configs
say "Set-up done: Odoo $("$PY" -c 'import odoo.release as r; print(r.version)'), PostgreSQL on $ODOO_DB_HOST:$ODOO_DB_PORT"
