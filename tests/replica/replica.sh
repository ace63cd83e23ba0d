#!/usr/bin/env bash
# A streaming hot standby of the local PostgreSQL 15 cluster, for the replica test.
#
#   tests/replica/replica.sh start DIR   base backup into DIR/data, start it on a free
#                                        port, wait until it streams; prints the port
#   tests/replica/replica.sh stop DIR    stop it, drop its replication slot, remove DIR
#   tests/replica/replica.sh status DIR  "streaming" (exit 0) or why not (exit 1)
#
# The standby is made as config/production/setup-replica.sh makes one (pg_basebackup
# -R -X stream with a physical slot, as the `replicator`-style role over TCP with a
# password) and runs with config/production/postgresql-replica.conf, its memory sizes
# scaled down for a test machine. The primary is the cluster on PRIMARY_PORT (5432),
# reached as the postgres superuser through its Unix socket for the set-up: a
# replication role and, when no pg_hba.conf line lets it in, a line for 127.0.0.1
# (both kept: made idempotently). Must run as root (then as postgres through runuser)
# or as postgres. Nothing is skipped: a missing pg_basebackup is an error.
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_SOCKET=${PRIMARY_SOCKET:-/var/run/postgresql}
PGVER=${PGVER:-15}
PGBIN=${PGBIN:-/usr/lib/postgresql/$PGVER/bin}
ROLE=${REPLICA_ROLE:-crm_test_replicator}
# a replication-only role reachable from 127.0.0.1 on a test machine; override at will
PASSWORD=${REPLICA_PASSWORD:-crm_test_replicator}
SLOT_PREFIX=crm_test_replica_
# the standby replays the WAL written during the copy before it accepts connections:
# minutes when another job writes much meanwhile
STREAM_TIMEOUT=${REPLICA_TIMEOUT:-900}
HERE=$(cd "$(dirname "$0")" && pwd)
PRODUCTION_CONF="$HERE/../../config/production/postgresql-replica.conf"

die() { echo "replica.sh: $*" >&2; exit 1; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
    else die "run as root or as postgres (cluster-level work)"; fi
}

primary_sql() {  # superuser statement on the primary, unaligned output
    as_postgres "$PGBIN/psql" -h "$PRIMARY_SOCKET" -p "$PRIMARY_PORT" -d postgres \
        -X -v ON_ERROR_STOP=1 -Atqc "$1"
}

standby_sql() {
    as_postgres "$PGBIN/psql" -h "$DIR" -p "$PORT" -d postgres -X -Atqc "$1"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

load_state() {
    [ -f "$DIR/replica.env" ] || die "$DIR holds no replica (no replica.env)"
    # shellcheck disable=SC1091
    source "$DIR/replica.env"
}

setup_primary() {
    # the role production uses (setup-replica.sh), with the password set each time
    primary_sql "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
            CREATE ROLE $ROLE WITH REPLICATION LOGIN;
        END IF; END \$\$;
        ALTER ROLE $ROLE WITH REPLICATION LOGIN PASSWORD '$PASSWORD';" >/dev/null
    local allowed
    allowed=$(primary_sql "SELECT count(*) FROM pg_hba_file_rules
        WHERE type = 'host' AND 'replication' = ANY(database)
          AND ('all' = ANY(user_name) OR '$ROLE' = ANY(user_name))
          AND address = '127.0.0.1' AND auth_method IN ('scram-sha-256', 'md5')")
    if [ "$allowed" = 0 ]; then
        local hba
        hba=$(primary_sql "SHOW hba_file")
        echo "host    replication  $ROLE  127.0.0.1/32  scram-sha-256" >>"$hba"
        primary_sql "SELECT pg_reload_conf()" >/dev/null
    fi
    # slots of standbys that were killed before their stop: they would keep WAL forever
    primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE slot_name LIKE '${SLOT_PREFIX}%' AND NOT active
          AND slot_name NOT IN ($(live_slots))" >/dev/null
}

live_slots() {  # slots whose standby still has its data directory (started or starting)
    local list="''" env
    for env in /tmp/crm_replica.*/replica.env "${TMPDIR:-/tmp}"/crm_replica.*/replica.env; do
        [ -f "$env" ] && list="$list, '$(sed -n "s/^SLOT=//p" "$env")'"
    done
    echo "$list"
}

start() {
    [ -x "$PGBIN/pg_basebackup" ] || die "pg_basebackup not found in $PGBIN (install postgresql-$PGVER)"
    [ -f "$PRODUCTION_CONF" ] || die "missing $PRODUCTION_CONF"
    mkdir -p "$DIR"
    [ -e "$DIR/data" ] && die "$DIR/data exists: stop that replica first"
    PORT=$(free_port)
    SLOT="$SLOT_PREFIX$PORT"
    DATA="$DIR/data"
    printf 'PORT=%s\nSLOT=%s\nDATA=%s\n' "$PORT" "$SLOT" "$DATA" >"$DIR/replica.env"
    chown postgres: "$DIR" 2>/dev/null || true
    chmod 700 "$DIR"
    setup_primary
    # the slot first, as production does: it keeps the WAL from now on (pg_basebackup
    # -C made it too late once, when another job wrote much WAL meanwhile)
    primary_sql "SELECT pg_create_physical_replication_slot('$SLOT', true)" >/dev/null
    # -R: standby.signal and primary_conninfo (with the slot)
    as_postgres env PGPASSWORD="$PASSWORD" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" \
        -U "$ROLE" -D "$DATA" -R -X stream -S "$SLOT" --checkpoint=fast --no-sync \
        >"$DIR/basebackup.log" 2>&1 || { cat "$DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
    local hba ident
    hba=$(primary_sql "SHOW hba_file")
    ident=$(primary_sql "SHOW ident_file")
    # the standby must allow what the primary allows (Odoo logs in as on the primary)
    cp "$hba" "$DIR/pg_hba.conf"
    cp "$ident" "$DIR/pg_ident.conf"
    {
        echo "# production settings (config/production/postgresql-replica.conf)"
        cat "$PRODUCTION_CONF"
        echo "# this test machine"
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PORT"
        echo "unix_socket_directories = '$DIR'"
        echo "cluster_name = '$SLOT'"
        echo "hba_file = '$DIR/pg_hba.conf'"
        echo "ident_file = '$DIR/pg_ident.conf'"
        echo "shared_buffers = 128MB"
        echo "effective_cache_size = 512MB"
        echo "work_mem = 16MB"
        echo "logging_collector = off"
        echo "ssl = off"
        # a throw-away copy: no fsync, which also skips syncing the whole data
        # directory before the recovery a base backup starts with (minutes here)
        echo "fsync = off"
        echo "max_wal_size = 4GB"
        # a hot standby needs at least the primary's values of these
        local name
        for name in max_connections max_worker_processes max_wal_senders \
            max_prepared_transactions max_locks_per_transaction; do
            echo "$name = $(primary_sql "SHOW $name")"
        done
    } >"$DIR/postgresql.conf"
    chown postgres: "$DIR"/*.conf
    as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$DIR/postgresql.log" -w -t "$STREAM_TIMEOUT" \
        -o "-c config_file=$DIR/postgresql.conf" start >/dev/null ||
        { tail -20 "$DIR/postgresql.log" >&2; die "the standby did not start"; }
    local waited=0
    until [ "$(status_line)" = streaming ]; do
        [ "$waited" -ge "$STREAM_TIMEOUT" ] && { status_line >&2; tail -20 "$DIR/postgresql.log" >&2; die "not streaming after ${STREAM_TIMEOUT}s"; }
        sleep 1
        waited=$((waited + 1))
    done
    echo "$PORT"
}

status_line() {
    local recovery state
    recovery=$(standby_sql "SELECT pg_is_in_recovery()" 2>/dev/null || echo down)
    [ "$recovery" = t ] || { echo "standby: pg_is_in_recovery=$recovery"; return; }
    state=$(primary_sql "SELECT state FROM pg_stat_replication WHERE application_name = '$SLOT'")
    [ "$state" = streaming ] && echo streaming || echo "primary: replication state '${state:-none}'"
}

status() {
    load_state
    local line
    line=$(status_line)
    echo "$line"
    [ "$line" = streaming ]
}

stop() {
    [ -d "$DIR" ] || return 0
    if [ -f "$DIR/replica.env" ]; then
        load_state
        if [ -f "$DATA/postmaster.pid" ]; then
            as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null ||
                echo "replica.sh: the standby did not stop" >&2
        fi
        # the walsender lets go of the slot once the standby is gone
        local tries=0
        while [ "$(primary_sql "SELECT count(*) FROM pg_replication_slots
                WHERE slot_name = '$SLOT' AND active")" != 0 ] && [ $tries -lt 30 ]; do
            sleep 1
            tries=$((tries + 1))
        done
        primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE slot_name = '$SLOT'" >/dev/null
    fi
    rm -rf "$DIR"
}

[ $# -ge 1 ] || die "usage: $0 start|stop|status [DIR]"
DIR=${2:-${TMPDIR:-/tmp}/crm_replica.default}
DIR=$(realpath -m "$DIR")
case "$1" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "unknown command $1 (start, stop or status)" ;;
esac
