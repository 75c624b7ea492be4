# shellcheck shell=bash
# Start and stop a throwaway PostgreSQL server on a free loopback port, for
# the tests. Source this file after tests/support/redis.sh (jq_free_port);
# it defines:
#   jq_start_postgres DIR   initdb in DIR/data and start the server (its
#                           socket in DIR/socket, its log in DIR/server.log),
#                           then make role PG_USER with password
#                           PG_PASSWORD and database PG_DB owned by it; sets
#                           PG_BIN, PG_PORT, PG_SOCKET_DIR, PG_DATA, PG_URL
#                           (with the password) and PG_URL_NO_PASSWORD
#   jq_pg_server_stop       stop the server, keeping its data
#   jq_pg_server_start      start it again on the same port
#   jq_stop_postgres        stop the server (if running)
#   jq_psql ARGS...         psql as the superuser on PG_DB over the socket,
#                           unaligned, tuples only, stopping at an error
# initdb and the server refuse to run as root: as root they run as the
# `postgres` system user (made by Debian's postgresql package), and DIR and
# the directories above it are made searchable for it. A missing PostgreSQL
# is an error, never a skip.

PG_USER=jq_test
PG_DB=jq_test
PG_PASSWORD=
PG_BIN=
PG_PORT=
PG_SOCKET_DIR=
PG_DATA=
PG_URL=
PG_URL_NO_PASSWORD=
_jq_pg_running=false
_jq_pg_log=

# Run a PostgreSQL program as the user the server runs as.
_jq_pg_as_owner() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_jq_pg_find_bin() {
  if [[ -n ${JQ_PG_BIN:-} ]]; then
    PG_BIN=$JQ_PG_BIN
  else
    local dir
    PG_BIN=
    for dir in /usr/lib/postgresql/*/bin; do
      if [[ -x $dir/initdb ]]; then
        PG_BIN=$dir # the glob sorts: the last is the newest
      fi
    done
  fi
  if [[ -z $PG_BIN || ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl ]]; then
    echo "PostgreSQL's initdb and pg_ctl not found (run scripts/install-deps," \
      "or set JQ_PG_BIN)" >&2
    return 1
  fi
  if ! command -v psql >/dev/null 2>&1; then
    echo "psql not found (run scripts/install-deps)" >&2
    return 1
  fi
}

jq_pg_server_start() {
  _jq_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$_jq_pg_log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
    start >/dev/null || {
    echo "PostgreSQL did not start on port $PG_PORT; its log:" >&2
    tail -n 20 "$_jq_pg_log" >&2
    return 1
  }
  _jq_pg_running=true
}

jq_pg_server_stop() {
  if [[ $_jq_pg_running == true ]]; then
    _jq_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop \
      >/dev/null
    _jq_pg_running=false
  fi
  return 0
}

jq_psql() {
  _jq_pg_as_owner psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" \
    -p "$PG_PORT" -U postgres -d "$PG_DB" "$@"
}

jq_start_postgres() {
  local dir=$1
  _jq_pg_find_bin || return 1
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  if ((EUID == 0)); then
    if ! id postgres >/dev/null 2>&1; then
      echo "no postgres system user to run PostgreSQL as (install the" \
        "postgresql package)" >&2
      return 1
    fi
    # The server's user must reach DIR: search rights on the way down.
    local up=$dir
    while [[ -n $up && $up != / ]]; do
      if [[ -O $up ]]; then
        chmod a+x "$up" || return 1
      fi
      up=$(dirname "$up")
    done
    chown postgres: "$dir" || return 1
  fi
  PG_DATA=$dir/data
  PG_SOCKET_DIR=$dir/socket
  _jq_pg_log=$dir/server.log
  _jq_pg_as_owner mkdir -p "$PG_SOCKET_DIR" || return 1
  _jq_pg_as_owner touch "$_jq_pg_log" || return 1
  # Local (socket) logins are trusted, for the test's own psql; TCP logins,
  # the workers', need the password.
  if ! _jq_pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 \
    --locale=C --auth-local=trust --auth-host=scram-sha-256 \
    >"$dir/initdb.log" 2>&1; then
    echo "initdb failed:" >&2
    tail -n 20 "$dir/initdb.log" >&2
    return 1
  fi
  local attempt
  for attempt in 1 2 3; do
    PG_PORT=$(jq_free_port)
    if jq_pg_server_start; then
      break
    fi
    if ((attempt == 3)); then
      return 1
    fi
  done
  PG_PASSWORD="pw-$RANDOM$RANDOM-secret"
  _jq_pg_as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" \
    -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" \
    -c "CREATE DATABASE $PG_DB OWNER $PG_USER" || return 1
  PG_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
  PG_URL_NO_PASSWORD="postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"
  export PG_BIN PG_PORT PG_SOCKET_DIR PG_DATA PG_URL PG_URL_NO_PASSWORD \
    PG_USER PG_DB PG_PASSWORD
}

jq_stop_postgres() {
  jq_pg_server_stop
}
