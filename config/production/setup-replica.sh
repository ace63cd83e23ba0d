#!/usr/bin/env bash
# Turns this PostgreSQL 15 host into a streaming replica of the primary.
# Run as root on the REPLICA host:  PRIMARY=db-primary.internal ./setup-replica.sh
# On the primary, first: CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '...';
# and SELECT pg_create_physical_replication_slot('odoo_replica');
set -euo pipefail
: "${PRIMARY:?set PRIMARY to the primary's host name}"
PGVER=${PGVER:-15}
DATA=/var/lib/postgresql/$PGVER/main
here=$(cd "$(dirname "$0")" && pwd)
systemctl stop "postgresql@$PGVER-main"
rm -rf "$DATA"
# -R writes standby.signal and primary_conninfo; the slot keeps the WAL the replica still needs
sudo -u postgres pg_basebackup -h "$PRIMARY" -U replicator -D "$DATA" -R -X stream -S odoo_replica -P
install -m 644 "$here/postgresql-replica.conf" "/etc/postgresql/$PGVER/main/conf.d/odoo-replica.conf"
systemctl start "postgresql@$PGVER-main"
sudo -u postgres psql -c "SELECT pg_is_in_recovery();"
