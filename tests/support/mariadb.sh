# shellcheck shell=bash
# Start and stop a throwaway MariaDB server on a free loopback port, for the
# tests. Source this file after tests/support/redis.sh (jq_free_port); it
# defines:
#   jq_start_mariadb DIR    mariadb-install-db in DIR/data and start the
#                           server (its socket DIR/mysqld.sock, its log
#                           DIR/server.log), then make user MY_USER with
#                           password MY_PASSWORD and database MY_DB, on
#                           which it has all rights; sets MY_PORT,
#                           MY_SOCKET, MY_DATA, MY_URL (with the password)
#                           and MY_URL_NO_PASSWORD
#   jq_my_server_stop       stop the server, keeping its data
#   jq_my_server_start      start it again on the same port
#   jq_stop_mariadb         stop the server (if running)
#   jq_mariadb ARGS...      the mariadb client as root on MY_DB over the
#                           socket, tab-separated, no column names
# As root, the server runs as root (--user=root): no system user is
# needed. A missing MariaDB is an error, never a skip.

MY_USER=jq_test
MY_DB=jq_test
MY_PASSWORD=
MY_PORT=
MY_SOCKET=
MY_DATA=
MY_URL=
MY_URL_NO_PASSWORD=
_jq_my_running=false
_jq_my_dir=
_jq_my_pid=
_jq_my_server=

_jq_my_find_bin() {
  local bin
  _jq_my_server=
  for bin in mariadbd mysqld; do
    if [[ -x /usr/sbin/$bin ]]; then
      _jq_my_server=/usr/sbin/$bin
      break
    fi
    if command -v "$bin" >/dev/null 2>&1; then
      _jq_my_server=$(command -v "$bin")
      break
    fi
  done
  if [[ -z $_jq_my_server ]]; then
    echo "mariadbd not found (run scripts/install-deps)" >&2
    return 1
  fi
  for bin in mariadb-install-db mariadb mariadb-admin; do
    if ! command -v "$bin" >/dev/null 2>&1; then
      echo "$bin not found (run scripts/install-deps)" >&2
      return 1
    fi
  done
}

_jq_my_user_args() {
  if ((EUID == 0)); then
    printf '%s\n' --user=root
  fi
}

jq_my_server_start() {
  local args
  mapfile -t args < <(_jq_my_user_args)
  "$_jq_my_server" --no-defaults "${args[@]}" --datadir="$MY_DATA" \
    --port="$MY_PORT" --bind-address=127.0.0.1 --socket="$MY_SOCKET" \
    --pid-file="$_jq_my_dir/mysqld.pid" --log-error="$_jq_my_dir/server.log" \
    --innodb-buffer-pool-size=16M --innodb-log-file-size=16M \
    --innodb-flush-log-at-trx-commit=2 --skip-log-bin \
    --skip-name-resolve --max-connections=100 \
    >>"$_jq_my_dir/server.out" 2>&1 </dev/null &
  _jq_my_pid=$!
  local _try
  for _try in $(seq 1 300); do
    if mariadb-admin --no-defaults --socket="$MY_SOCKET" -uroot ping \
      >/dev/null 2>&1; then
      _jq_my_running=true
      return 0
    fi
    if ! kill -0 "$_jq_my_pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "MariaDB did not start on port $MY_PORT; its log:" >&2
  tail -n 20 "$_jq_my_dir/server.log" >&2
  kill "$_jq_my_pid" 2>/dev/null
  wait "$_jq_my_pid" 2>/dev/null
  return 1
}

jq_my_server_stop() {
  if [[ $_jq_my_running == true ]]; then
    mariadb-admin --no-defaults --socket="$MY_SOCKET" -uroot shutdown \
      >/dev/null 2>&1 || kill "$_jq_my_pid" 2>/dev/null
    local _try
    for _try in $(seq 1 300); do
      kill -0 "$_jq_my_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$_jq_my_pid" 2>/dev/null; then
      kill -9 "$_jq_my_pid" 2>/dev/null
    fi
    wait "$_jq_my_pid" 2>/dev/null
    _jq_my_running=false
  fi
  return 0
}

jq_mariadb() {
  mariadb --no-defaults --socket="$MY_SOCKET" -uroot --batch \
    --skip-column-names "$MY_DB" "$@"
}

jq_start_mariadb() {
  local dir=$1
  _jq_my_find_bin || return 1
  mkdir -p "$dir" || return 1
  _jq_my_dir=$(cd "$dir" && pwd)
  MY_DATA=$_jq_my_dir/data
  MY_SOCKET=$_jq_my_dir/mysqld.sock
  local args
  mapfile -t args < <(_jq_my_user_args)
  if ! mariadb-install-db --no-defaults "${args[@]}" --datadir="$MY_DATA" \
    --auth-root-authentication-method=normal --skip-test-db \
    --skip-name-resolve >"$_jq_my_dir/install.log" 2>&1; then
    echo "mariadb-install-db failed:" >&2
    tail -n 20 "$_jq_my_dir/install.log" >&2
    return 1
  fi
  local attempt
  for attempt in 1 2 3; do
    MY_PORT=$(jq_free_port)
    if jq_my_server_start; then
      break
    fi
    if ((attempt == 3)); then
      return 1
    fi
  done
  MY_PASSWORD="pw-$RANDOM$RANDOM-secret"
  mariadb --no-defaults --socket="$MY_SOCKET" -uroot -e "
    CREATE DATABASE $MY_DB CHARACTER SET utf8mb4;
    CREATE USER '$MY_USER'@'127.0.0.1' IDENTIFIED BY '$MY_PASSWORD';
    CREATE USER '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
    GRANT ALL ON $MY_DB.* TO '$MY_USER'@'127.0.0.1';
    GRANT ALL ON $MY_DB.* TO '$MY_USER'@'localhost';" || return 1
  MY_URL="mysql://$MY_USER:$MY_PASSWORD@127.0.0.1:$MY_PORT/$MY_DB"
  MY_URL_NO_PASSWORD="mysql://$MY_USER@127.0.0.1:$MY_PORT/$MY_DB"
  export MY_PORT MY_SOCKET MY_DATA MY_URL MY_URL_NO_PASSWORD MY_USER MY_DB \
    MY_PASSWORD
}

jq_stop_mariadb() {
  jq_my_server_stop
}
