#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for tests, as an unprivileged user on
# a free loopback port, installing Debian's postgresql package if no server
# is found. Prints `export` lines to eval:
#
#   eval "$(.ci/postgres.sh start)"   # sets SCIM_SQL_TEST_POSTGRES_URL, PG_CI_DIR
#   .ci/postgres.sh stop              # stops the cluster in $PG_CI_DIR
#
# Everything it starts lives under one temporary folder (PG_CI_DIR).
set -euo pipefail

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
    done
    return 1
}

as_user() { # USER CMD... : run as USER (root can't run a PostgreSQL server)
    local user=$1; shift
    if [ "$(id -u)" = 0 ]; then
        su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

cmd=${1:-start}
case "$cmd" in
start)
    if ! bin=$(find_bin); then
        echo "PostgreSQL server not found: installing Debian's postgresql" >&2
        if [ "$(id -u)" = 0 ]; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
        else
            (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
        fi
        bin=$(find_bin)
    fi
    user=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        user=scimci
        id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    dir=$(mktemp -d /tmp/scim-pg.XXXXXX)
    chown "$user" "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    as_user "$user" "$bin/initdb" -D "$dir/data" -U scim --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
        || as_user "$user" "$bin/initdb" -D "$dir/data" -U scim --auth=trust -E UTF8 >/dev/null
    as_user "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
        start >&2
    as_user "$user" "$bin/createdb" -h 127.0.0.1 -p "$port" -U scim scim_test
    echo "export PG_CI_DIR=$dir PG_CI_BIN=$bin PG_CI_USER=$user"
    echo "export SCIM_SQL_TEST_POSTGRES_URL=postgres://scim@127.0.0.1:$port/scim_test"
    ;;
stop)
    dir=${PG_CI_DIR:?PG_CI_DIR is not set}
    bin=${PG_CI_BIN:-$(find_bin)}
    as_user "${PG_CI_USER:-$(id -un)}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
