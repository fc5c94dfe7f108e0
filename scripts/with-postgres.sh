#!/usr/bin/env bash
# Runs a command with throwaway PostgreSQL 15 servers, then stops them and removes their files.
#
#   scripts/with-postgres.sh swift test
#
# Two clusters are started, each in its own temporary directory, listening on 127.0.0.1 only,
# with trust authentication (no password) and their unix sockets inside the temporary directory:
#   - the main one, shared by the ContactStore suite (each test uses its own schema):
#       CONTACT_WORKER_TEST_POSTGRES_URL      postgres://postgres@127.0.0.1:PORT/contact_worker_test
#       CONTACT_WORKER_TEST_POSTGRES_DATADIR  its data directory
#   - a disposable one that the "database goes away" test stops and starts again, so that test
#     cannot disturb the others running in parallel:
#       CONTACT_WORKER_TEST_POSTGRES_OUTAGE_URL, CONTACT_WORKER_TEST_POSTGRES_OUTAGE_DATADIR
#       CONTACT_WORKER_TEST_POSTGRES_OUTAGE_CTL  a pg_ctl command line (run as the right user) to
#                                                which the test appends `stop -m fast` or `start`
# Also exported: CONTACT_WORKER_TEST_PG_CTL (pg_ctl path) and CONTACT_WORKER_TEST_PG_USER (the OS
# user the servers run as).
#
# If PostgreSQL 15 is missing it is installed with apt-get (Debian package postgresql-15).
# PostgreSQL refuses to run as root, so when this script runs as root the servers run as the
# `postgres` user (created by the package).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DB_NAME="contact_worker_test"

log() { echo "with-postgres: $*" >&2; }

if [[ ! -x "$PG_BIN/initdb" || ! -x "$PG_BIN/pg_ctl" ]]; then
    log "PostgreSQL 15 not found in $PG_BIN; installing postgresql-15"
    if [[ "$(id -u)" != 0 ]]; then
        log "not root: cannot install postgresql-15; install it or set PG_BIN"
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi

if [[ "$(id -u)" == 0 ]]; then
    PG_USER=postgres
    if ! id "$PG_USER" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_USER"
    fi
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
    PG_CTL_PREFIX="runuser -u $PG_USER -- "
else
    PG_USER="$(id -un)"
    as_pg() { "$@"; }
    PG_CTL_PREFIX=""
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/contact-worker-pg.XXXXXX")"
chmod 755 "$WORK_DIR"
STARTED_DATADIRS=()

cleanup() {
    local status=$?
    for datadir in "${STARTED_DATADIRS[@]}"; do
        as_pg "$PG_BIN/pg_ctl" -D "$datadir" stop -m immediate >/dev/null 2>&1 || true
    done
    rm -rf "$WORK_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_is_free() {
    # Nothing accepting on the port (connection refused) means it is free for us.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

NEXT_PORT="${CONTACT_WORKER_TEST_POSTGRES_PORT:-54329}"
pick_port() {
    local port=$NEXT_PORT
    while ! port_is_free "$port"; do
        port=$((port + 1))
        if ((port > NEXT_PORT + 200)); then
            log "no free port found from $NEXT_PORT"
            exit 1
        fi
    done
    NEXT_PORT=$((port + 1))
    PICKED_PORT=$port
}

# start_cluster NAME → sets CLUSTER_DATADIR, CLUSTER_PORT, CLUSTER_LOG
start_cluster() {
    local name=$1
    local dir="$WORK_DIR/$name"
    mkdir -p "$dir"
    chown "$PG_USER" "$dir"
    chmod 700 "$dir"
    CLUSTER_DATADIR="$dir/data"
    CLUSTER_LOG="$dir/postgres.log"
    as_pg "$PG_BIN/initdb" -D "$CLUSTER_DATADIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Settings live in postgresql.conf so a bare `pg_ctl start` (the outage test) restarts the
    # server exactly as configured here.
    cat >>"$CLUSTER_DATADIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 128MB
CONF
    # Another test run may take the port between our check and the server's bind: then try the
    # next one (a later `port =` line overrides an earlier one).
    # Registered before starting: a start that times out may still leave a postmaster running,
    # and the cleanup must stop it (stopping a server that never started is harmless).
    STARTED_DATADIRS+=("$CLUSTER_DATADIR")
    local attempt
    for attempt in 1 2 3 4 5; do
        pick_port
        CLUSTER_PORT=$PICKED_PORT
        echo "port = $CLUSTER_PORT" >>"$CLUSTER_DATADIR/postgresql.conf"
        if as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DATADIR" -l "$CLUSTER_LOG" -w -t 60 start >/dev/null; then
            break
        fi
        if ((attempt == 5)) || ! grep -q "Address already in use" "$CLUSTER_LOG"; then
            cat "$CLUSTER_LOG" >&2; exit 1
        fi
        log "port $CLUSTER_PORT was taken meanwhile; trying the next one"
    done
    local tries=0
    until as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CLUSTER_PORT"; do
        tries=$((tries + 1))
        if ((tries > 100)); then
            log "$name server did not become ready"; cat "$CLUSTER_LOG" >&2; exit 1
        fi
        sleep 0.1
    done
    as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$CLUSTER_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $DB_NAME" >/dev/null
    log "$name PostgreSQL 15 ready on 127.0.0.1:$CLUSTER_PORT ($CLUSTER_DATADIR)"
}

start_cluster main
export CONTACT_WORKER_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$CLUSTER_PORT/$DB_NAME"
export CONTACT_WORKER_TEST_POSTGRES_DATADIR="$CLUSTER_DATADIR"

start_cluster outage
export CONTACT_WORKER_TEST_POSTGRES_OUTAGE_URL="postgres://postgres@127.0.0.1:$CLUSTER_PORT/$DB_NAME"
export CONTACT_WORKER_TEST_POSTGRES_OUTAGE_DATADIR="$CLUSTER_DATADIR"
export CONTACT_WORKER_TEST_POSTGRES_OUTAGE_CTL="${PG_CTL_PREFIX}$PG_BIN/pg_ctl -D $CLUSTER_DATADIR -l $CLUSTER_LOG -w -t 60"

export CONTACT_WORKER_TEST_PG_CTL="$PG_BIN/pg_ctl"
export CONTACT_WORKER_TEST_PG_USER="$PG_USER"

if (($# == 0)); then
    log "no command given; servers are up, exiting (usage: scripts/with-postgres.sh CMD...)"
    exit 0
fi

set +e
"$@"
status=$?
set -e
exit "$status"
