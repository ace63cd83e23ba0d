#!/usr/bin/env bash
# `make run`: set-up, a demo database with both addons if there is none, then Odoo on
# http://localhost:$ODOO_HTTP_PORT (login admin / $ODOO_ADMIN_PASSWORD). Extra arguments go to Odoo.
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
CONF="$ODOO_STATE_DIR/odoo.conf"

installed() {
    db_exists "$ODOO_DB" && [ "$(psql -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" -U "$ODOO_DB_USER" -d "$ODOO_DB" -XtAq \
        -c "SELECT count(*) FROM ir_module_module WHERE name IN ('crm_relationship', 'crm_analytics') AND state = 'installed'" 2>/dev/null)" = 2 ]
}
STAMP_ONLY=
if ! installed; then
    STAMP_ONLY=--stamp-only
    if [ "$ODOO_DEMO_LANG" != en_US ]; then
        # the language first, with Odoo's own terms; the company speaks it before the
        # addons install, so that the demo generator writes its names and texts in it
        say "Creating the database $ODOO_DB in $ODOO_DEMO_LANG"
        odoo_cli -c "$CONF" -d "$ODOO_DB" -i base --load-language="$ODOO_DEMO_LANG" \
            --stop-after-init --log-level=warn
        odoo_cli shell -c "$CONF" -d "$ODOO_DB" --log-level=warn --no-http >/dev/null <<EOF
partner = env.ref("base.main_company").partner_id
partner.write({"lang": "$ODOO_DEMO_LANG", "tz": "$ODOO_DEMO_TZ" or partner.tz})
env.cr.commit()
EOF
    fi
    say "Creating the database $ODOO_DB with both addons and demo data (a few minutes, once)"
    odoo_cli -c "$CONF" -d "$ODOO_DB" -i "$ADDONS" --stop-after-init --log-level=warn
    installed || die "the addons did not install in $ODOO_DB; see the log above"
    if [ "$ODOO_DEMO_LANG" != en_US ]; then
        # every user of the demo (admin, the salespeople, the department heads) in it
        odoo_cli shell -c "$CONF" -d "$ODOO_DB" --log-level=warn --no-http >/dev/null <<EOF
users = env["res.users"].with_context(active_test=False).search([("share", "=", False)])
users.write({"lang": "$ODOO_DEMO_LANG"})
if "$ODOO_DEMO_TZ":
    users.write({"tz": "$ODOO_DEMO_TZ"})
    env.ref("base.main_company").resource_calendar_id.tz = "$ODOO_DEMO_TZ"
env.cr.commit()
EOF
    fi
    echo "env.ref('base.user_admin').password = '$ODOO_ADMIN_PASSWORD'; env.cr.commit()" \
        | odoo_cli shell -c "$CONF" -d "$ODOO_DB" --log-level=warn >/dev/null
fi
update_addons_if_changed "$CONF" "$ODOO_DB" $STAMP_ONLY
say "Odoo on http://localhost:$ODOO_HTTP_PORT  (login: admin, password: $ODOO_ADMIN_PASSWORD)"
exec "$PY" -c 'import sys, odoo.cli; sys.argv[0] = "odoo"; odoo.cli.main()' -c "$CONF" -d "$ODOO_DB" "$@"
