#!/usr/bin/env bash
# Runs Portico's own processes on loopback for `make up`: the key-manager, the store, two gateway
# replicas and the demo upstream. Infrastructure comes from scripts/infra.sh.
#
#   scripts/services.sh start  [name ...]   start (idempotent) and wait for every /readyz
#   scripts/services.sh stop   [name ...]   stop what we started (pid files only; SIGTERM drains)
#   scripts/services.sh status              exit 0 when all answer /readyz
#   scripts/services.sh env                 print the URLs of this stack (KEY=value lines)
# Names: demo-upstream key-manager store gateway-1 gateway-2 (default: all, in that order).
# PORTICO_REPLICAS=2 runs two key-managers and two stores (key-manager-2, store-2) behind a local
# nginx (lb) that listens on their usual ports, so every client keeps one address (ADR 0067).
# PORTICO_GATEWAYS=3 adds gateway-3 (ports 8280, admin 9280).
#
# Ports: key-manager 8081 (admin 8091), store 8082 (admin 9082), gateways 8080 and 8180 (admin 9080, 9180),
# demo upstream 8085.
# Secrets for the local stack are generated once into .portico/secrets.env (mode 600).
# PORTICO_PORT_OFFSET shifts every port and PORTICO_STACK names the databases/topics/Redis keys, so a
# test can run a second stack beside `make up` (with PORTICO_RUN=<its own dir>). MONGO_URL,
# KAFKA_BROKERS and REDIS_URL, when set, point the stack at other instances (as scripts/infra.sh env).
# Any other variable of a service's config set in the caller's environment reaches that service.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


o="${PORTICO_PORT_OFFSET:-0}"
KM_PORT=$((8081 + o)) KM_ADMIN_PORT=$((8091 + o)) STORE_PORT=$((8082 + o)) STORE_ADMIN_PORT=$((9082 + o))
UPSTREAM_PORT=$((8085 + o))
GW_PORTS=($((8080 + o)) $((8180 + o)) $((8280 + o))) GW_ADMIN_PORTS=($((9080 + o)) $((9180 + o)) $((9280 + o)))
GATEWAYS="${PORTICO_GATEWAYS:-2}"
[[ "$GATEWAYS" =~ ^[23]$ ]] || die "PORTICO_GATEWAYS must be 2 or 3 (got $GATEWAYS)"
START_TIMEOUT="${PORTICO_SERVICES_TIMEOUT:-90}"
SECRETS="$RUN/secrets.env"
CATALOG="$RUN/demo-catalog.yaml"
KM_URL="http://127.0.0.1:$KM_PORT" STORE_URL_="http://127.0.0.1:$STORE_PORT"
UPSTREAM_URL="http://127.0.0.1:$UPSTREAM_PORT"

REPLICAS="${PORTICO_REPLICAS:-1}"
[[ "$REPLICAS" =~ ^[12]$ ]] || die "PORTICO_REPLICAS must be 1 or 2 (got $REPLICAS)"
LB_CONF="$RUN/lb-nginx.conf"

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
  [demo-upstream]="$UPSTREAM_URL/healthz"
  [key-manager]="$KM_URL/readyz"
  [store]="$STORE_URL_/readyz"
  [gateway-1]="http://127.0.0.1:${GW_ADMIN_PORTS[0]}/readyz"
  [gateway-2]="http://127.0.0.1:${GW_ADMIN_PORTS[1]}/readyz"
)
# Replica r of the key-manager / store listens on its usual port + 100 * (r + 1); the lb on the usual one.
replica_port() { # base replica(1|2)
  echo $(($1 + 100 * ($2 + 1)))
}
if [ "$REPLICAS" = 2 ]; then
  CMD[key-manager-2]="${CMD[key-manager]}"
  CMD[store-2]="${CMD[store]}"
  CMD[lb]="$RUN|nginx -p $RUN -c $LB_CONF"
  ORDER=(demo-upstream key-manager key-manager-2 lb store store-2 gateway-1 gateway-2)
  READY[key-manager]="http://127.0.0.1:$(replica_port "$KM_PORT" 1)/readyz"
  READY[key-manager-2]="http://127.0.0.1:$(replica_port "$KM_PORT" 2)/readyz"
  READY[store]="http://127.0.0.1:$(replica_port "$STORE_PORT" 1)/readyz"
  READY[store-2]="http://127.0.0.1:$(replica_port "$STORE_PORT" 2)/readyz"
  READY[lb]="$KM_URL/healthz"
fi
if [ "$GATEWAYS" = 3 ]; then
  CMD[gateway-3]="${CMD[gateway-1]}"
  ORDER+=(gateway-3)
  READY[gateway-3]="http://127.0.0.1:${GW_ADMIN_PORTS[2]}/readyz"
fi

# One address for the replicas: the key-manager (public and admin) and the store. A replica that
# refuses connections is skipped; requests already sent to a killed one fail (not retried for
# POST: nginx's default, since they may have been applied).
write_lb_conf() {
  [ "$REPLICAS" = 2 ] || return 0
  command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
  command -v nginx >/dev/null || die "PORTICO_REPLICAS=2 needs nginx (scripts/setup-infra.sh installs Debian's nginx-light)"
  local up
  up() { # name base
    printf '  upstream %s { server 127.0.0.1:%s max_fails=1 fail_timeout=2s; server 127.0.0.1:%s max_fails=1 fail_timeout=2s; keepalive 16; }\n' \
      "$1" "$(replica_port "$2" 1)" "$(replica_port "$2" 2)"
  }
  local server
  server() { # port upstream
    printf '  server { listen 127.0.0.1:%s; location / { proxy_pass http://%s; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $remote_addr; proxy_connect_timeout 1s; proxy_next_upstream error timeout http_502 http_503; } }\n' "$1" "$2"
  }
  {
    echo "# Written by scripts/services.sh (PORTICO_REPLICAS=2): the local load balancer."
    echo "daemon off; worker_processes 1; pid $PIDS/lb-nginx.pid; error_log $LOGS/lb-error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "  access_log off; client_body_temp_path $RUN/lb-tmp; proxy_temp_path $RUN/lb-tmp;"
    up km "$KM_PORT"; up km_admin "$KM_ADMIN_PORT"; up store "$STORE_PORT"
    server "$KM_PORT" km; server "$KM_ADMIN_PORT" km_admin; server "$STORE_PORT" store
    echo "}"
  } >"$LB_CONF"
  mkdir -p "$RUN/lb-tmp"
}

rand() { head -c "${1:-32}" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# Generated once per PORTICO_RUN; the names are those of the services' config schemas
# (services/*/src/config.ts). DEMO_* are the demo users' passwords (BOOTSTRAP_USERS below).
# A name missing from an older file is added; existing values are kept (the databases use them).
secret_value() { # name
  case "$1" in
    PERSISTENCE_ENCRYPTION_KEYS) echo "k1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')" ;;
    # One backend-JWT signing key shared by both replicas (a private JWK; the gateway takes PEM or JWK).
    BACKEND_JWT_SIGNING_KEY)
      printf "'%s'" "$(node -e 'const {generateKeyPairSync}=require("node:crypto");const k=generateKeyPairSync("ec",{namedCurve:"P-256"}).privateKey.export({format:"jwk"});process.stdout.write(JSON.stringify({...k,alg:"ES256",kid:"local-1"}))')" ;;
    DEMO_*) rand 12 ;;
    *) rand 32 ;;
  esac
}
ensure_secrets() {
  local name
  umask 077
  touch "$SECRETS"
  for name in KEY_MANAGER_ADMIN_TOKEN GATEWAY_CLIENT_SECRET PORTAL_CLIENT_SECRET READ_MODEL_TOKEN \
    TOKEN_HASH_KEY PERSISTENCE_ENCRYPTION_KEYS COOKIE_KEYS BACKEND_JWT_SIGNING_KEY CACHE_INTEGRITY_KEY \
    DEMO_ADMIN_PASSWORD DEMO_DEVELOPER_PASSWORD DEMO_USER_PASSWORD; do
    grep -q "^$name=" "$SECRETS" || echo "$name=$(secret_value "$name")" >>"$SECRETS"
  done
}

# The demo API (scripts/seed-demo.sh subscribes the demo application to it), imported by the store
# at start-up from CATALOG_FILE; its endpoints are the demo upstream of this stack.
write_catalog() {
  cat >"$CATALOG" <<EOT
# Written by scripts/services.sh: the demo API of \`make up\`, backed by the demo upstream.
apis:
  - name: Twitter
    version: 1.0.0
    context: /twitter/1.0.0
    description: Search recent posts (the example API of WSO2 API Manager's Generate Access Tokens page), served by the local demo upstream.
    productionUrl: $UPSTREAM_URL/production
    sandboxUrl: $UPSTREAM_URL/sandbox
    lifecycle: PUBLISHED
    definition:
      openapi: 3.0.3
      info: { title: Twitter, version: 1.0.0 }
      paths:
        /search.atom:
          get:
            summary: Search posts as an Atom feed
            parameters: [{ name: q, in: query, required: true, schema: { type: string } }]
  # No token needed (WSO2 API Manager's auth type None): rate-limited per client address.
  - name: Public Search
    version: 1.0.0
    context: /public-search/1.0.0
    description: The same search, open to anyone without a token (every resource's auth type is None).
    productionUrl: $UPSTREAM_URL/production
    lifecycle: PUBLISHED
    openResources:
      - { method: GET, path: /* }
EOT
}

# The environment of one service: infrastructure URLs, ports, shared secrets.
service_env() { # name
  local name="$1"
  eval "$("$ROOT/scripts/infra.sh" env)"
  set -a; source "$SECRETS"; set +a
  export LOG_LEVEL="${LOG_LEVEL:-info}" NODE_ENV=development
  local replica=0
  case "$name" in key-manager | store) [ "$REPLICAS" = 2 ] && replica=1 ;; *-2) replica=2 ;; esac
  case "$name" in
    key-manager*)
      export PORT="$KM_PORT" ADMIN_PORT="$KM_ADMIN_PORT" ISSUER="$KM_URL"
      if [ "$replica" != 0 ]; then
        PORT="$(replica_port "$KM_PORT" "$replica")" ADMIN_PORT="$(replica_port "$KM_ADMIN_PORT" "$replica")"
      fi
      export PORTAL_REDIRECT_URIS="$STORE_URL_/auth/callback" PORTAL_POST_LOGOUT_REDIRECT_URIS="$STORE_URL_/"
      export OUTBOX_POLL_MS="${OUTBOX_POLL_MS:-200}"
      export BOOTSTRAP_USERS="PRIMARY/admin:$DEMO_ADMIN_PASSWORD:admin|developer;PRIMARY/demo-developer:$DEMO_DEVELOPER_PASSWORD:developer;PRIMARY/demo-user:$DEMO_USER_PASSWORD:"
      ;;
    store*)
      export PORT="$STORE_PORT" ADMIN_PORT="$STORE_ADMIN_PORT" PUBLIC_URL="$STORE_URL_" CATALOG_FILE="$CATALOG"
      if [ "$replica" != 0 ]; then
        PORT="$(replica_port "$STORE_PORT" "$replica")" ADMIN_PORT="$(replica_port "$STORE_ADMIN_PORT" "$replica")"
      fi
      export KEY_MANAGER_URL="$KM_URL" KEY_MANAGER_ADMIN_URL="http://127.0.0.1:$KM_ADMIN_PORT"
      export PORTAL_GATEWAY_URL="http://127.0.0.1:${GW_PORTS[0]}" PORTAL_CLIENT_DOMAIN_HEADER=Origin
      export OUTBOX_RELAY_INTERVAL_MS="${OUTBOX_RELAY_INTERVAL_MS:-200}"
      ;;
    gateway-*)
      local i=$((${name#gateway-} - 1))
      export PORT="${GW_PORTS[$i]}" ADMIN_PORT="${GW_ADMIN_PORTS[$i]}" GATEWAY_REPLICA_ID="$name"
      export KEY_MANAGER_URL="$KM_URL" STORE_URL="$STORE_URL_" CLIENT_DOMAIN_HEADERS="origin,referer"
      ;;
  esac
  # PORTICO_STACK names a separate stack (databases, topics, Redis keys), e.g. for e2e tests.
  if [ -n "${PORTICO_STACK:-}" ]; then
    export KAFKA_TOPIC_PREFIX="$PORTICO_STACK." REDIS_KEY_PREFIX="$PORTICO_STACK:"
    case "$name" in
      key-manager*) export MONGO_DB="${PORTICO_STACK}_key_manager" ;;
      store*) export MONGO_DB="${PORTICO_STACK}_store" ;;
    esac
  fi
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

names_or_all() { # name... -> validated names in start order
  local n
  if [ "$#" -eq 0 ]; then printf '%s\n' "${ORDER[@]}"; return; fi
  for n in "$@"; do [ -n "${CMD[$n]:-}" ] || die "unknown service $n (one of: ${ORDER[*]})"; done
  for n in "${ORDER[@]}"; do [[ " $* " == *" $n "* ]] && echo "$n"; done
  return 0
}

cmd_start() {
  ensure_secrets
  write_catalog
  write_lb_conf
  local name wd cmd log deadline names
  mapfile -t names < <(names_or_all "$@")
  for name in "${names[@]}"; do
    if running_pid "$name" >/dev/null; then log "$name: already running"; continue; fi
    wd="${CMD[$name]%%|*}"; cmd="${CMD[$name]#*|}"; log="$LOGS/$name.log"
    [ -f "$log" ] && mv -f "$log" "$log.1"
    ( service_env "$name"; cd "$wd" && exec setsid $cmd </dev/null >>"$log" 2>&1 ) &
    echo "$!" >"$(pidfile "$name")"
    log "$name: started (log ${log#"$ROOT"/})"
    # The gateways load their read model from the store: start them once it is ready.
    if [ "$name" = store ] || [ "$name" = lb ]; then wait_ready "$name"; fi
  done
  for name in "${names[@]}"; do wait_ready "$name"; done
}

wait_ready() { # name
  local name="$1" deadline=$((SECONDS + START_TIMEOUT))
  until answers "${READY[$name]}"; do
    # (the pid is checked with kill -0: right after the fork it has not exec'd node yet)
    if ! kill -0 "$(cat "$(pidfile "$name")" 2>/dev/null || echo x)" 2>/dev/null; then
      tail -n 30 "$LOGS/$name.log" >&2; die "$name exited during start-up"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$LOGS/$name.log" >&2
      die "$name not ready at ${READY[$name]} after ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  log "$name: ready"
}

cmd_stop() {
  local name pid i names
  mapfile -t names < <(names_or_all "$@")
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do
    name="${names[$i]}"
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

cmd_env() {
  echo "PORTICO_GATEWAY_URL=http://127.0.0.1:${GW_PORTS[0]}"
  local i urls=() admins=()
  for ((i = 0; i < GATEWAYS; i++)); do
    urls+=("http://127.0.0.1:${GW_PORTS[$i]}") admins+=("http://127.0.0.1:${GW_ADMIN_PORTS[$i]}")
  done
  echo "PORTICO_GATEWAY_URLS=$(IFS=,; echo "${urls[*]}")"
  echo "PORTICO_GATEWAY_ADMIN_URLS=$(IFS=,; echo "${admins[*]}")"
  echo "PORTICO_KEY_MANAGER_URL=$KM_URL"
  echo "PORTICO_KEY_MANAGER_ADMIN_URL=http://127.0.0.1:$KM_ADMIN_PORT"
  echo "PORTICO_STORE_URL=$STORE_URL_"
  echo "PORTICO_DEMO_UPSTREAM_URL=$UPSTREAM_URL"
  if [ "$REPLICAS" = 2 ]; then
    echo "PORTICO_KEY_MANAGER_REPLICA_URLS=http://127.0.0.1:$(replica_port "$KM_PORT" 1),http://127.0.0.1:$(replica_port "$KM_PORT" 2)"
    echo "PORTICO_STORE_REPLICA_URLS=http://127.0.0.1:$(replica_port "$STORE_PORT" 1),http://127.0.0.1:$(replica_port "$STORE_PORT" 2)"
  fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
