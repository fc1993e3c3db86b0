#!/usr/bin/env bash
# Runs Portico's local infrastructure (installed by scripts/setup-infra.sh), bound to 127.0.0.1 only.
#
#   scripts/infra.sh start  [kafka|redis|mongo ...]   start (idempotent) and wait until ready
#   scripts/infra.sh stop   [...]                     stop what we started (pid files only)
#   scripts/infra.sh status [...]                     exit 0 when all are running and answer
#   scripts/infra.sh env    [...]                     print `export MONGO_URL=...` lines: eval "$(scripts/infra.sh env)"
#   scripts/infra.sh reset  [...]                     stop and delete the data
# No name means all three.
#
# Ports: PORTICO_MONGO_PORT=27018 (FerretDB), PORTICO_KAFKA_PORT=19092 + PORTICO_KAFKA_CONTROLLER_PORT=19093,
# PORTICO_REDIS_PORT=16379. PORTICO_INFRA_TIMEOUT=90 (seconds to wait for readiness).
# PORTICO_KAFKA_BROKERS=1 (default) | 3 (three broker+controller KRaft nodes, one cluster: brokers on
# PORTICO_KAFKA_PORT, +2, +4 and controllers on PORTICO_KAFKA_CONTROLLER_PORT, +2, +4; internal topics
# and the default replication factor 3, min.insync.replicas 2).
# PORTICO_REDIS_MODE=single (default) | sentinel (master 16379, replica 16380, sentinels 16381-16383) |
# cluster (3 masters 16379-16381, bus ports 26379-26381); both password-protected (`env` prints it).
# A component named by MONGO_URL / KAFKA_BROKERS / REDIS_URL is external: never started or stopped here.
# Data: .portico/data/<name>, logs: .portico/logs/<name>.log (previous run: <name>.log.1), pids: .portico/pids/<name>.pid
# (extra members of a Redis or Kafka set: <name>-<member>).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA="$RUN/data"
MONGO_PORT="${PORTICO_MONGO_PORT:-27018}"
KAFKA_PORT="${PORTICO_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${PORTICO_KAFKA_CONTROLLER_PORT:-19093}"
REDIS_PORT="${PORTICO_REDIS_PORT:-16379}"
REDIS_MODE="${PORTICO_REDIS_MODE:-single}"
REDIS_SENTINEL_NAME=portico
KAFKA_BROKER_COUNT="${PORTICO_KAFKA_BROKERS:-1}"
case "$KAFKA_BROKER_COUNT" in 1 | 3) ;; *) die "PORTICO_KAFKA_BROKERS=$KAFKA_BROKER_COUNT: expected 1 or 3" ;; esac
START_TIMEOUT="${PORTICO_INFRA_TIMEOUT:-90}"
STOP_TIMEOUT=30
ALL=(redis mongo kafka)

FERRETDB="$TOOLS/bin/ferretdb"
KAFKA_LIBS="$TOOLS/kafka/libs"
KAFKA_CONF="$ROOT/scripts/infra/kafka"
NODE="$(command -v node || true)"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

env_var_of() { case "$1" in mongo) echo MONGO_URL ;; kafka) echo KAFKA_BROKERS ;; redis) echo REDIS_URL ;; esac; }
is_external() {
  local v; v="$(env_var_of "$1")"
  [ -n "${!v:-}" ] && return 0
  [ "$1" = redis ] && [ -n "${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ]
}
url_of() {
  case "$1" in
    mongo) echo "${MONGO_URL:-mongodb://127.0.0.1:$MONGO_PORT/}" ;;
    kafka) echo "${KAFKA_BROKERS:-$(kafka_brokers)}" ;;
    redis) echo "${REDIS_URL:-redis://$(redis_auth)127.0.0.1:$REDIS_PORT}" ;;
  esac
}
# For logs and status: a password inside the URL is masked.
shown_url_of() { url_of "$1" | sed -E 's#(://[^:@/]*):[^@/]*@#\1:***@#'; }
ports_of() {
  case "$1" in
    mongo) echo "$MONGO_PORT" ;;
    kafka) kafka_members | while read -r _ _ port cport; do echo "$port $cport"; done ;;
    redis) redis_ports ;;
  esac
}

# ------------------------------------------------------------------------------------------------ processes

pidfile() { echo "$PIDS/$1.pid"; }

# Is PID the process we started for NAME? Checked on its command line (and, for redis, whose
# process title hides its arguments, on its working directory), so a reused pid is never touched.
is_ours() { # name pid
  local name="$1" pid="$2" cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline="$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" || return 1
  case "$name" in
    mongo) [[ "$cmdline" == *"$FERRETDB "* && "$cmdline" == *"--state-dir=$DATA/mongo/state"* ]] ;;
    kafka | kafka-*) [[ "$cmdline" == *" kafka.Kafka $DATA/$name/server.properties"* ]] ;;
    redis | redis-*) [[ "$cmdline" == *redis-server* && "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$(readlink -f "$DATA/$name")" ]] ;;
    *) return 1 ;;
  esac
}

# Prints the pid of our running NAME; removes a stale pid file.
running_pid() { # name
  local f pid
  f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  if is_ours "$1" "$pid"; then echo "$pid"; return 0; fi
  rm -f "$f"
  return 1
}

port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

ready_check() { # name timeout_seconds [pid]
  local name="$1" secs="$2" pid="${3:-}"
  local args=(--timeout "$((secs * 1000))")
  [ -n "$pid" ] && args+=(--pid "$pid")
  # A Kafka set is ready once every broker has registered.
  [ "$name" = kafka ] && ! is_external kafka && args+=(--brokers "$KAFKA_BROKER_COUNT")
  "$NODE" --disable-warning=TimeoutNegativeWarning "$ROOT/scripts/infra/ready.ts" "$name" "$(url_of "$name")" "${args[@]}"
}

log_tail() { # name
  local f="$LOGS/$1.log"
  printf -- '--- last lines of %s ---\n' "${f#"$ROOT"/}" >&2
  tail -n 30 "$f" >&2 2>/dev/null || echo "(no log)" >&2
}

launch() { # name dir command...
  local name="$1" dir="$2"; shift 2
  local log="$LOGS/$name.log"
  [ -f "$log" ] && mv -f "$log" "$log.1"
  printf '=== %s starting %s: %s\n' "$(date -u +%FT%TZ)" "$name" "$*" >"$log"
  # In the subshell: close every inherited descriptor but 0-2 (the lock of this script, a caller's pipe
  # that would then never see EOF), then setsid (own session: a Ctrl-C in the calling terminal does not
  # reach it) and exec, so that $! is the server's pid.
  (
    cd "$dir" || exit 1
    for fd in "/proc/$BASHPID/fd/"*; do
      fd="${fd##*/}"
      case "$fd" in 0 | 1 | 2) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  echo "$!" >"$(pidfile "$name")"
}

terminate() { # name pid
  local name="$1" pid="$2" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    is_ours "$name" "$pid" || return 0
    sleep 0.2
  done
  log "$name: still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL to $pid"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do is_ours "$name" "$pid" || return 0; sleep 0.2; done
  die "$name: pid $pid did not exit after SIGKILL"
}

# ------------------------------------------------------------------------------------------------ components

need() { [ -e "$1" ] || die "$2 not found at ${1#"$ROOT"/}: run scripts/setup-infra.sh"; }

kafka_java() { # main-class args...
  local main="$1"; shift
  java "@$KAFKA_CONF/jvm.args" "-Dlog4j2.configurationFile=$KAFKA_CONF/log4j2.properties" -cp "$KAFKA_LIBS/*" "$main" "$@"
}

new_cluster_id() { # like Kafka's Uuid.randomUuid(): 16 random bytes, base64url, not starting with '-'
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" == -* ]] || { echo "$id"; return; }
  done
}

# The Kafka nodes of PORTICO_KAFKA_BROKERS, one "name node-id port controller-port" a line; the first is
# `kafka` (its pid file stands for the whole set, its data dir holds cluster.id).
kafka_members() {
  local i
  case "$KAFKA_BROKER_COUNT" in
    1) echo "kafka 1 $KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    3) for i in 1 2 3; do
         echo "$([ "$i" = 1 ] && echo kafka || echo "kafka-$i") $i $((KAFKA_PORT + 2 * (i - 1))) $((KAFKA_CONTROLLER_PORT + 2 * (i - 1)))"
       done ;;
    *) die "PORTICO_KAFKA_BROKERS=$KAFKA_BROKER_COUNT: expected 1 or 3" ;;
  esac
}
kafka_brokers() {
  local name node port cport list=()
  while read -r name node port cport; do list+=("127.0.0.1:$port"); done < <(kafka_members)
  (IFS=,; echo "${list[*]}")
}

# server.properties of one node: the single-node template as it is; for a set of three, the lines that
# differ (node id, quorum, replication of internal and default topics) replaced in place.
kafka_render() { # name node-id port controller-port
  local name="$1" node="$2" port="$3" cport="$4" props="$DATA/$1/server.properties" voters=() n _ c
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@LOG_DIR@|$DATA/$name/kraft-logs|g" \
    "$KAFKA_CONF/server.properties.in" >"$props"
  [ "$KAFKA_BROKER_COUNT" = 1 ] && return 0
  while read -r _ n _ c; do voters+=("$n@127.0.0.1:$c"); done < <(kafka_members)
  sed -i -e "s|^node\.id=.*|node.id=$node|" -e "s|^controller\.quorum\.voters=.*|controller.quorum.voters=$(IFS=,; echo "${voters[*]}")|" \
    -e 's/^\(offsets\.topic\.replication\.factor\|transaction\.state\.log\.replication\.factor\|share\.coordinator\.state\.topic\.replication\.factor\|default\.replication\.factor\)=.*/\1=3/' \
    -e 's/^\(transaction\.state\.log\.min\.isr\|share\.coordinator\.state\.topic\.min\.isr\|min\.insync\.replicas\)=.*/\1=2/' \
    -e 's/^# One broker: every internal topic has one replica\./# Three nodes (PORTICO_KAFKA_BROKERS=3): three replicas, two in sync./' "$props"
}

# Is the storage of one node formatted for cluster ID as NODE?
kafka_storage_ok() { # logdir id node
  local logdir="$1"
  [ -f "$logdir/meta.properties" ] && grep -qx "cluster.id=$2" "$logdir/meta.properties" &&
    grep -qx "node.id=$3" "$logdir/meta.properties" &&
    { [ -f "$logdir/bootstrap.checkpoint" ] || [ -d "$logdir/__cluster_metadata-0" ]; }
}

# Writes each node's server.properties; formats the storage once, keeping the cluster id in
# data/kafka/cluster.id and the number of nodes in data/kafka/brokers (absent: 1). Storage that is missing
# pieces, belongs to another cluster id or to a set of another size is wiped (every node's) and formatted again.
kafka_prepare() {
  local dir="$DATA/kafka" id="" name node port cport ok=1
  while read -r name node port cport; do
    mkdir -p "$DATA/$name"
    kafka_render "$name" "$node" "$port" "$cport"
  done < <(kafka_members)
  [ -s "$dir/cluster.id" ] && id="$(cat "$dir/cluster.id")"
  if [ -n "$id" ] && [ "$(cat "$dir/brokers" 2>/dev/null || echo 1)" = "$KAFKA_BROKER_COUNT" ]; then
    while read -r name node port cport; do
      kafka_storage_ok "$DATA/$name/kraft-logs" "$id" "$node" || ok=0
    done < <(kafka_members)
    [ "$ok" = 1 ] && return 0
  fi
  if [ -e "$dir/kraft-logs" ] || [ -n "$id" ]; then
    log "kafka: storage in ${DATA#"$ROOT"/}/kafka* is incomplete, has another cluster id or another size; wiping it and formatting again"
  fi
  rm -rf "$dir/kraft-logs" "$DATA"/kafka-*/kraft-logs
  id="$(new_cluster_id)"
  echo "$id" >"$dir/cluster.id"
  log "kafka: formatting storage of $KAFKA_BROKER_COUNT node(s) (cluster id $id)"
  while read -r name node port cport; do
    kafka_java kafka.tools.StorageTool format -t "$id" -c "$DATA/$name/server.properties" >>"$LOGS/kafka-format.log" 2>&1 || {
      tail -n 30 "$LOGS/kafka-format.log" >&2
      rm -f "$dir/cluster.id"
      die "kafka: formatting the storage of $name failed (log: ${LOGS#"$ROOT"/}/kafka-format.log)"
    }
  done < <(kafka_members)
  echo "$KAFKA_BROKER_COUNT" >"$dir/brokers"
}

launch_kafka() {
  local name node port cport
  while read -r name node port cport; do
    launch "$name" "$DATA/$name" java "@$KAFKA_CONF/jvm.args" "-Dlog4j2.configurationFile=$KAFKA_CONF/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$DATA/$name/server.properties"
  done < <(kafka_members)
}

# Stops every Kafka node that has a pid file (whatever PORTICO_KAFKA_BROKERS says now), all at once:
# one by one, the last nodes would wait for a controller quorum that is already gone.
kafka_stop() {
  local f name pid waits=() stopped=() rc=0 i
  for f in "$PIDS/kafka.pid" "$PIDS"/kafka-*.pid; do
    [ -f "$f" ] || continue
    name="$(basename "$f" .pid)"
    if pid="$(running_pid "$name")"; then
      terminate "$name" "$pid" &
      waits+=("$!")
      stopped+=("$name (pid $pid)")
    fi
    rm -f "$f"
  done
  for i in "${waits[@]}"; do wait "$i" || rc=1; done
  if [ "${#stopped[@]}" = 0 ]; then log "kafka: not running"; else log "kafka: stopped ${stopped[*]}"; fi
  return "$rc"
}

# ------------------------------------------------------------------------------------------------ redis modes

# The Redis processes of PORTICO_REDIS_MODE, one "name port" a line; the first is `redis` (its pid file
# stands for the whole set). Data is not persisted: each start is a fresh topology.
redis_members() {
  local i
  case "$REDIS_MODE" in
    single) echo "redis $REDIS_PORT" ;;
    sentinel)
      echo "redis $REDIS_PORT"
      echo "redis-replica $((REDIS_PORT + 1))"
      for i in 1 2 3; do echo "redis-sentinel-$i $((REDIS_PORT + 1 + i))"; done
      ;;
    cluster) for i in 1 2 3; do [ "$i" = 1 ] && echo "redis $REDIS_PORT" || echo "redis-node-$i $((REDIS_PORT + i - 1))"; done ;;
    *) die "PORTICO_REDIS_MODE=$REDIS_MODE: expected single, sentinel or cluster" ;;
  esac
}
redis_ports() {
  local name port
  while read -r name port; do
    echo "$port"
    [ "$REDIS_MODE" = cluster ] && echo "$((port + 10000))"
  done < <(redis_members)
  return 0
}

# Sentinel and Cluster require a password (generated once, in .portico/data/redis.password, mode 600).
redis_password() {
  [ "$REDIS_MODE" = single ] && return 0
  local f="$DATA/redis.password"
  if [ ! -s "$f" ]; then
    mkdir -p "$DATA"
    (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$f")
  fi
  cat "$f"
}
redis_auth() { local pw; pw="$(redis_password)"; [ -n "$pw" ] && printf ':%s@' "$pw"; return 0; }
rcli() { # port args...
  local port="$1"; shift
  local pw; pw="$(redis_password)"
  timeout 10 redis-cli -h 127.0.0.1 -p "$port" ${pw:+-a "$pw" --no-auth-warning} "$@"
}

launch_redis() {
  command -v redis-server >/dev/null || die "redis-server not on PATH: run scripts/setup-infra.sh"
  local name port dir pw master_port="$REDIS_PORT" args
  pw="$(redis_password)"
  while read -r name port; do
    dir="$DATA/$name"
    mkdir -p "$dir"
    args=(--port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$dir" --logfile '' --loglevel notice)
    [ -n "$pw" ] && args+=(--requirepass "$pw" --masterauth "$pw")
    case "$name" in
      redis-replica) args+=(--replicaof 127.0.0.1 "$master_port") ;;
      redis-sentinel-*)
        # Sentinels rewrite their file; a fresh one each start (the data nodes start fresh too).
        printf '%s\n' "sentinel monitor $REDIS_SENTINEL_NAME 127.0.0.1 $master_port 2" \
          "sentinel auth-pass $REDIS_SENTINEL_NAME $pw" "sentinel down-after-milliseconds $REDIS_SENTINEL_NAME 2000" \
          "sentinel failover-timeout $REDIS_SENTINEL_NAME 10000" >"$dir/sentinel.conf"
        chmod 600 "$dir/sentinel.conf"
        args=("$dir/sentinel.conf" "${args[@]}" --sentinel)
        ;;
    esac
    if [ "$REDIS_MODE" = cluster ]; then
      rm -f "$dir/nodes.conf"
      args+=(--cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "$((port + 10000))" --cluster-node-timeout 2000)
    fi
    launch "$name" "$dir" redis-server "${args[@]}"
  done < <(redis_members)
}

# After the first member answered: every member answers, then the topology is formed.
redis_topology_ready() { # timeout_seconds
  local secs="$1" name port deadline=$((SECONDS + $1)) nodes=()
  [ "$REDIS_MODE" = single ] && return 0
  while read -r name port; do
    "$NODE" "$ROOT/scripts/infra/ready.ts" redis "redis://$(redis_auth)127.0.0.1:$port" --timeout "$((secs * 1000))" || return 1
    nodes+=("127.0.0.1:$port")
  done < <(redis_members)
  if [ "$REDIS_MODE" = cluster ] && ! rcli "$REDIS_PORT" CLUSTER INFO | grep -q '^cluster_known_nodes:3'; then
    rcli "$REDIS_PORT" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >>"$LOGS/redis.log" 2>&1 || return 1
  fi
  until redis_formed 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { log "redis: the $REDIS_MODE topology did not form within ${secs}s"; return 1; }
    sleep 0.3
  done
}

# Cluster: every node says cluster_state:ok. Sentinel: every sentinel sees the master, the replica
# and the two other sentinels (only then can it fail over).
redis_formed() {
  local name port
  while read -r name port; do
    case "$REDIS_MODE:$name" in
      cluster:*) rcli "$port" CLUSTER INFO | grep -q '^cluster_state:ok' || return 1 ;;
      sentinel:redis-sentinel-*) rcli "$port" INFO sentinel | grep -q 'status=ok,.*slaves=1,sentinels=3' || return 1 ;;
    esac
  done < <(redis_members)
}

redis_stop_members() {
  local name port pid
  while read -r name port; do
    [ "$name" = redis ] && continue
    if pid="$(running_pid "$name")"; then terminate "$name" "$pid"; fi
    rm -f "$(pidfile "$name")"
  done < <(redis_members | tac)
}

redis_env() {
  local name port list=()
  case "$REDIS_MODE" in
    single) printf 'export REDIS_URL=%q\n' "$(url_of redis)" ;;
    sentinel)
      for i in 1 2 3; do list+=("127.0.0.1:$((REDIS_PORT + 1 + i))"); done
      printf 'export REDIS_URL= REDIS_CLUSTER_NODES= REDIS_SENTINELS=%q REDIS_SENTINEL_NAME=%q REDIS_PASSWORD=%q\n' \
        "$(IFS=,; echo "${list[*]}")" "$REDIS_SENTINEL_NAME" "$(redis_password)"
      ;;
    cluster)
      while read -r name port; do list+=("127.0.0.1:$port"); done < <(redis_members)
      printf 'export REDIS_URL= REDIS_SENTINELS= REDIS_SENTINEL_NAME= REDIS_CLUSTER_NODES=%q REDIS_PASSWORD=%q\n' \
        "$(IFS=,; echo "${list[*]}")" "$(redis_password)"
      ;;
  esac
}

launch_component() { # name
  case "$1" in
    redis) launch_redis ;;
    mongo)
      need "$FERRETDB" ferretdb
      mkdir -p "$DATA/mongo/sqlite" "$DATA/mongo/state"
      launch mongo "$DATA/mongo" "$FERRETDB" --handler=sqlite "--sqlite-url=file:$DATA/mongo/sqlite/" \
        "--listen-addr=127.0.0.1:$MONGO_PORT" "--state-dir=$DATA/mongo/state" --debug-addr=- \
        --telemetry=disable --log-level=error
      ;;
    kafka)
      need "$KAFKA_LIBS" "Kafka jars"
      command -v java >/dev/null || die "java not on PATH: run scripts/setup-infra.sh"
      kafka_prepare
      launch_kafka
      ;;
  esac
}

check_node() {
  [ -n "$NODE" ] || die "node not found: run scripts/setup.sh"
  if [ ! -d "$ROOT/libs/testing/node_modules/kafkajs" ] || [ ! -d "$ROOT/libs/testing/node_modules/mongodb" ]; then
    die "libs/testing's dependencies (kafkajs, mongodb) are not installed: run scripts/setup.sh"
  fi
}

# ------------------------------------------------------------------------------------------------ commands

cmd_start() {
  check_node
  exec 9>"$RUN/infra.lock"
  flock -w 300 9 || die "another scripts/infra.sh holds ${RUN#"$ROOT"/}/infra.lock"
  local name pid p waiting=() failed=() t0
  declare -A started_at=()
  for name in "$@"; do
    if is_external "$name"; then
      log "$name: external ($(env_var_of "$name")=$(shown_url_of "$name")), not started here"
      continue
    fi
    if pid="$(running_pid "$name")"; then
      waiting+=("$name")
      continue
    fi
    for p in $(ports_of "$name"); do
      port_busy "$p" && die "$name: port $p on 127.0.0.1 is taken by a process that is not ours (ours has no pid file); stop it or set the PORTICO_*_PORT variables"
    done
    started_at[$name]="$(date +%s%N)"
    launch_component "$name"
    waiting+=("$name")
  done
  for name in "${waiting[@]}"; do
    pid="$(cat "$(pidfile "$name")" 2>/dev/null || true)"
    if ready_check "$name" "$START_TIMEOUT" "$pid" && { [ "$name" != redis ] || redis_topology_ready "$START_TIMEOUT"; }; then
      if [ -n "${started_at[$name]:-}" ]; then
        t0="${started_at[$name]}"
        log "$name: started (pid $pid) on $(shown_url_of "$name"), ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
      else
        log "$name: already running (pid $pid) on $(shown_url_of "$name")"
      fi
    else
      log "$name: did not become ready (waited up to ${START_TIMEOUT}s)"
      log_tail "$name"
      if [ "$name" = kafka ]; then
        kafka_stop || true
      else
        if pid="$(running_pid "$name")"; then terminate "$name" "$pid"; fi
        rm -f "$(pidfile "$name")"
      fi
      [ "$name" = redis ] && redis_stop_members
      failed+=("$name")
    fi
  done
  [ "${#failed[@]}" = 0 ] || die "failed to start: ${failed[*]} (logs in ${LOGS#"$ROOT"/})"
}

cmd_stop() {
  exec 9>"$RUN/infra.lock"
  flock -w 300 9 || die "another scripts/infra.sh holds ${RUN#"$ROOT"/}/infra.lock"
  local name pid i
  # Reverse order: Kafka first.
  for ((i = $# ; i >= 1; i--)); do
    name="${!i}"
    if is_external "$name"; then log "$name: external, not stopped here"; continue; fi
    [ "$name" = redis ] && redis_stop_members
    if [ "$name" = kafka ]; then kafka_stop; continue; fi
    if pid="$(running_pid "$name")"; then
      terminate "$name" "$pid"
      log "$name: stopped (pid $pid)"
    else
      log "$name: not running"
    fi
    rm -f "$(pidfile "$name")"
  done
}

cmd_status() {
  local name pid state rc=0 health
  for name in "$@"; do
    if is_external "$name"; then
      state="external"; pid="-"
    elif pid="$(running_pid "$name")"; then
      state="running"
    else
      printf '%-6s %-8s %-8s %s\n' "$name" stopped - "$(shown_url_of "$name")"
      rc=3
      continue
    fi
    if [ -n "$NODE" ] && ready_check "$name" 3 2>/dev/null; then health=ready; else health="NOT READY"; rc=3; fi
    printf '%-6s %-8s %-8s %s  %s\n' "$name" "$state" "$pid" "$(shown_url_of "$name")" "$health"
  done
  return "$rc"
}

cmd_env() {
  local name
  for name in "$@"; do
    if [ "$name" = redis ] && ! is_external redis; then redis_env; continue; fi
    # External through REDIS_SENTINELS / REDIS_CLUSTER_NODES: those are already in the environment.
    if [ "$name" = redis ] && [ -z "${REDIS_URL:-}" ]; then continue; fi
    printf 'export %s=%q\n' "$(env_var_of "$name")" "$(url_of "$name")"
  done
}

cmd_reset() {
  cmd_stop "$@"
  local name
  for name in "$@"; do
    is_external "$name" && continue
    rm -rf "${DATA:?}/$name"
    [ "$name" = redis ] && rm -rf "${DATA:?}"/redis-* "${DATA:?}/redis.password"
    [ "$name" = kafka ] && rm -rf "${DATA:?}"/kafka-*
    log "$name: data deleted"
  done
}

command="${1:-}"
[ -n "$command" ] || usage
shift
names=("$@")
[ "${#names[@]}" -gt 0 ] || names=("${ALL[@]}")
ordered=()
for n in "${ALL[@]}"; do
  for m in "${names[@]}"; do [ "$m" = "$n" ] && { ordered+=("$n"); break; }; done
done
for m in "${names[@]}"; do
  case "$m" in redis | mongo | kafka) ;; *) die "unknown component '$m' (expected kafka, redis or mongo)" ;; esac
done

case "$command" in
  start) cmd_start "${ordered[@]}" ;;
  stop) cmd_stop "${ordered[@]}" ;;
  status) cmd_status "${ordered[@]}" ;;
  env) cmd_env "${ordered[@]}" ;;
  reset) cmd_reset "${ordered[@]}" ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$command' (expected start, stop, status, env or reset)" ;;
esac
