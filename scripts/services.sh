#!/usr/bin/env bash
# Runs Portico's own processes on loopback for `make up`: the key-manager, the store, two gateway
# replicas and the demo upstream. Infrastructure comes from scripts/infra.sh.
#
#   scripts/services.sh start   start (idempotent) and wait for every /readyz
#   scripts/services.sh stop    stop what we started (pid files only; SIGTERM drains)
#   scripts/services.sh status  exit 0 when all answer /readyz
#
# Ports: key-manager 8081 (admin 8091), store 8082, gateways 8080 and 8180 (admin 9080, 9180), demo upstream 8085.
# Secrets for the local stack are generated once into .portico/secrets.env (mode 600).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# PORTICO_PORT_OFFSET shifts every port, so a test run can bring up a second stack beside `make up`.
o="${PORTICO_PORT_OFFSET:-0}"
KM_PORT=$((8081 + o)) KM_ADMIN_PORT=$((8091 + o)) STORE_PORT=$((8082 + o)) UPSTREAM_PORT=$((8085 + o))
GW_PORTS=($((8080 + o)) $((8180 + o))) GW_ADMIN_PORTS=($((9080 + o)) $((9180 + o)))
START_TIMEOUT="${PORTICO_SERVICES_TIMEOUT:-90}"
SECRETS="$RUN/secrets.env"

# name -> "workdir|command"
declare -A CMD=(
  [demo-upstream]="$ROOT|node e2e/src/demo-upstream.ts $UPSTREAM_PORT"
  [key-manager]="$ROOT/services/key-manager|node src/main.ts"
  [store]="$ROOT/services/store|node src/main.ts"
  [gateway-1]="$ROOT/services/gateway|node src/main.ts"
  [gateway-2]="$ROOT/services/gateway|node src/main.ts"
)
ORDER=(demo-upstream key-manager store gateway-1 gateway-2)
declare -A READY=(
  [demo-upstream]="http://127.0.0.1:$UPSTREAM_PORT/healthz"
  [key-manager]="http://127.0.0.1:$KM_PORT/readyz"
  [store]="http://127.0.0.1:$STORE_PORT/readyz"
  [gateway-1]="http://127.0.0.1:${GW_PORTS[0]}/readyz"
  [gateway-2]="http://127.0.0.1:${GW_PORTS[1]}/readyz"
)

rand() { head -c "${1:-32}" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

ensure_secrets() {
  [ -s "$SECRETS" ] && return 0
  umask 077
  cat >"$SECRETS" <<EOT
KEY_MANAGER_ADMIN_TOKEN=$(rand 32)
GATEWAY_CLIENT_SECRET=$(rand 32)
PORTAL_CLIENT_SECRET=$(rand 32)
READ_MODEL_TOKEN=$(rand 32)
TOKEN_HASH_KEY=$(rand 32)
TOKEN_ENCRYPTION_KEYS=k1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')
SESSION_SECRET=$(rand 32)
COOKIE_KEYS=$(rand 32)
EOT
}

# The environment of one service: infrastructure URLs, ports, shared secrets.
service_env() { # name
  local name="$1"
  eval "$("$ROOT/scripts/infra.sh" env)"
  set -a; source "$SECRETS"; set +a
  export LOG_LEVEL="${LOG_LEVEL:-info}" NODE_ENV=development
  export KEY_MANAGER_URL="http://127.0.0.1:$KM_PORT" KEY_MANAGER_ADMIN_URL="http://127.0.0.1:$KM_ADMIN_PORT"
  export ISSUER="http://127.0.0.1:$KM_PORT" STORE_URL="http://127.0.0.1:$STORE_PORT"
  export GATEWAY_CLIENT_ID=portico-gateway PORTAL_CLIENT_ID=portico-portal
  export PORTAL_REDIRECT_URIS="http://127.0.0.1:$STORE_PORT/auth/callback"
  # PORTICO_STACK names a separate stack (databases, topics, Redis keys), e.g. for e2e tests.
  if [ -n "${PORTICO_STACK:-}" ]; then
    export KAFKA_TOPIC_PREFIX="$PORTICO_STACK." REDIS_KEY_PREFIX="$PORTICO_STACK:"
    case "$name" in
      key-manager) export MONGO_DB="${PORTICO_STACK}_key_manager" ;;
      store) export MONGO_DB="${PORTICO_STACK}_store" ;;
    esac
  fi
  case "$name" in
    key-manager) export PORT="$KM_PORT" ADMIN_PORT="$KM_ADMIN_PORT" ;;
    store) export PORT="$STORE_PORT" ;;
    gateway-1) export PORT="${GW_PORTS[0]}" ADMIN_PORT="${GW_ADMIN_PORTS[0]}" GATEWAY_REPLICA_ID=gateway-1 ;;
    gateway-2) export PORT="${GW_PORTS[1]}" ADMIN_PORT="${GW_ADMIN_PORTS[1]}" GATEWAY_REPLICA_ID=gateway-2 ;;
  esac
}

pidfile() { echo "$PIDS/svc-$1.pid"; }
is_ours() { # name pid
  local name="$1" pid="$2" wd cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  wd="${CMD[$name]%%|*}"; cmd="${CMD[$name]#*|}"
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$wd" ] || return 1
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"${cmd#node }"* ]]
}
running_pid() {
  local f pid; f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  if is_ours "$1" "$pid"; then echo "$pid"; return 0; fi
  rm -f "$f"; return 1
}
answers() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }

cmd_start() {
  ensure_secrets
  local name wd cmd log pid deadline
  for name in "${ORDER[@]}"; do
    if running_pid "$name" >/dev/null; then log "$name: already running"; continue; fi
    wd="${CMD[$name]%%|*}"; cmd="${CMD[$name]#*|}"; log="$LOGS/$name.log"
    [ -f "$log" ] && mv -f "$log" "$log.1"
    ( service_env "$name"; cd "$wd" && exec setsid $cmd </dev/null >>"$log" 2>&1 ) &
    echo "$!" >"$(pidfile "$name")"
    log "$name: started (log ${log#"$ROOT"/})"
  done
  deadline=$((SECONDS + START_TIMEOUT))
  for name in "${ORDER[@]}"; do
    until answers "${READY[$name]}"; do
      if ! running_pid "$name" >/dev/null; then tail -n 30 "$LOGS/$name.log" >&2; die "$name exited during start-up"; fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 30 "$LOGS/$name.log" >&2
        die "$name not ready at ${READY[$name]} after ${START_TIMEOUT}s"
      fi
      sleep 0.5
    done
    log "$name: ready"
  done
}

cmd_stop() {
  local name pid i
  for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do
    name="${ORDER[$i]}"
    pid="$(running_pid "$name")" || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do is_ours "$name" "$pid" || break; sleep 0.2; done
    if is_ours "$name" "$pid"; then log "$name: still running after SIGTERM, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$(pidfile "$name")"
    log "$name: stopped"
  done
}

cmd_status() {
  local name ok=0
  for name in "${ORDER[@]}"; do
    if answers "${READY[$name]}"; then echo "$name: ready"; else echo "$name: not ready"; ok=1; fi
  done
  return "$ok"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
