# shellcheck shell=bash
# Start and stop a throwaway redis-server on a free loopback port.
# Source this file; it defines:
#   jq_free_port                 print a free TCP port on 127.0.0.1
#   jq_start_redis DIR [ARGS...] start redis-server with its files in DIR;
#                                sets REDIS_PORT, REDIS_PID, REDIS_URL
#   jq_stop_redis                stop the server started above
# Under CI (CI=true) a missing redis-server is an error, never a skip.

jq_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

jq_start_redis() {
  local dir=$1
  shift
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server not found (run scripts/install-deps)" >&2
    return 1
  fi
  local attempt
  for attempt in 1 2 3; do
    REDIS_PORT=$(jq_free_port)
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' \
      --appendonly no --dir "$dir" --logfile "$dir/redis-$REDIS_PORT.log" \
      "$@" &
    REDIS_PID=$!
    local i
    for i in $(seq 1 50); do
      if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
        export REDIS_PORT REDIS_PID REDIS_URL
        return 0
      fi
      if ! kill -0 "$REDIS_PID" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
    echo "redis-server did not start on port $REDIS_PORT (attempt $attempt)" >&2
  done
  return 1
}

jq_stop_redis() {
  if [[ -n ${REDIS_PID:-} ]]; then
    kill "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
  fi
  return 0
}
