#!/usr/bin/env bash
# Installs Portico's local infrastructure. Idempotent: what is installed at the pinned version is skipped.
#   Kafka 4.1.1 (KRaft)  jars from Maven Central via mvn      -> .tools/kafka/libs   (docs/adr/0001-*)
#   FerretDB v1.24.2     built from the Go module proxy        -> .tools/bin/ferretdb (docs/adr/0002-*)
#   Redis                Debian's redis-server, when none is on PATH              (docs/adr/0003-*)
#   nginx                Debian's nginx-light: the local load balancer of PORTICO_REPLICAS=2 (ADR 0067)
# Needs Java 17+ with mvn (installed from apt when missing) and Go 1.21+ (not installable here: Debian's is too old).
# scripts/infra.sh starts and stops them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/infra/versions.sh"

SETUP_LOG="$LOGS/setup-infra.log"
: >"$SETUP_LOG"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else die "root is needed for: $* (run as root or install sudo)"; fi
}

fail_with_log() { # message
  printf '%s\n' "--- last lines of $SETUP_LOG ---" >&2
  tail -n 40 "$SETUP_LOG" >&2 || true
  die "$1"
}

apt_updated=0
apt_install() { # packages...
  command -v apt-get >/dev/null || die "apt-get not found: install $* with this system's package manager"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq >>"$SETUP_LOG" 2>&1 || fail_with_log "apt-get update failed"
    apt_updated=1
  fi
  # Keep Debian from starting the packaged services (e.g. redis on 6379): Portico runs its own instances.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" && created=1
  fi
  log "apt-get install $*"
  local rc=0
  as_root apt-get install -y -qq --no-install-recommends "$@" >>"$SETUP_LOG" 2>&1 || rc=$?
  if [ "$created" = 1 ]; then as_root rm -f "$policy"; fi
  [ "$rc" = 0 ] || fail_with_log "apt-get install $* failed"
}

sha() { cat "$@" | sha256sum | cut -c1-16; } # content only: moving the repo must not force a rebuild

# ---------------------------------------------------------------- Java + Maven
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  apt_install openjdk-17-jre-headless
fi
[ "$(java_major)" -ge 17 ] || die "Java 17 or newer is required for Kafka (java -version says: $(java -version 2>&1 | head -n1))"
command -v mvn >/dev/null || apt_install maven
command -v mvn >/dev/null || die "mvn not found after installing maven"

# ---------------------------------------------------------------- Kafka jars
KAFKA_DIR="$TOOLS/kafka"
KAFKA_POM="$ROOT/scripts/infra/kafka/pom.xml"
kafka_want="$(sha "$KAFKA_POM")"
if [ -f "$KAFKA_DIR/.stamp" ] && [ "$(cat "$KAFKA_DIR/.stamp")" = "$kafka_want" ] && compgen -G "$KAFKA_DIR/libs/kafka_2.13-*.jar" >/dev/null; then
  log "kafka: up to date ($(basename "$KAFKA_DIR"/libs/kafka_2.13-*.jar .jar))"
else
  log "kafka: resolving jars from Maven Central (scripts/infra/kafka/pom.xml)"
  tmp="$(mktemp -d "$TOOLS/.kafka-libs.XXXXXX")"
  nice -n 10 mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >>"$SETUP_LOG" 2>&1 ||
    { rm -rf "$tmp"; fail_with_log "mvn could not fetch Kafka's jars (is Maven Central reachable?)"; }
  compgen -G "$tmp/libs/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "mvn produced no kafka_2.13 jar in $tmp/libs"; }
  rm -rf "$KAFKA_DIR/libs"
  mkdir -p "$KAFKA_DIR"
  mv "$tmp/libs" "$KAFKA_DIR/libs"
  rm -rf "$tmp"
  echo "$kafka_want" >"$KAFKA_DIR/.stamp"
  log "kafka: $(find "$KAFKA_DIR/libs" -name '*.jar' | wc -l) jars in ${KAFKA_DIR#"$ROOT"/}/libs"
fi

# ---------------------------------------------------------------- FerretDB
FERRETDB="$TOOLS/bin/ferretdb"
FERRETDB_PATCHES=("$ROOT"/scripts/infra/ferretdb/*.patch)
# The build's package.txt names the patch set, so `ferretdb --version` tells whether a rebuild is due.
ferretdb_package="portico-$(sha "${FERRETDB_PATCHES[@]}")"
ferretdb_have() {
  "$FERRETDB" --version 2>/dev/null | sed -n -e 's/^version: *\(.*\)/\1/p' -e 's/^package: *\(.*\)/\1/p' | paste -sd' '
}
if [ -x "$FERRETDB" ] && [ "$(ferretdb_have)" = "$FERRETDB_VERSION $ferretdb_package" ]; then
  log "ferretdb: up to date ($FERRETDB_VERSION, $ferretdb_package)"
else
  command -v go >/dev/null || die "Go 1.21+ is needed to build FerretDB $FERRETDB_VERSION but 'go' is not on PATH"
  go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  [ "${go_minor:-0}" -ge 21 ] || die "Go 1.21+ is needed to build FerretDB (found $(go env GOVERSION))"
  log "ferretdb: building $FERRETDB_VERSION from the Go module proxy (a cold build takes a few minutes)"
  json="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" 2>>"$SETUP_LOG")" ||
    fail_with_log "go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
  src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [ -d "$src" ] || die "go mod download gave no source directory for FerretDB (output: $json)"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/portico-ferretdb.XXXXXX")"
  cp -R "$src/." "$tmp/"
  chmod -R u+w "$tmp"
  # The module zip lacks the generated build/version/version.txt; without it the binary panics at start
  # ("Invalid build/version/version.txt file content. ..."). See docs/adr/0002-ferretdb-on-sqlite.md.
  echo "$FERRETDB_VERSION" >"$tmp/build/version/version.txt"
  echo "$ferretdb_package" >"$tmp/build/version/package.txt"
  # Portico's patches (scripts/infra/ferretdb/*.patch): serialize-writes.patch makes single-document
  # writes atomic under concurrency (see the ADR).
  for p in "${FERRETDB_PATCHES[@]}"; do
    if command -v patch >/dev/null; then
      (cd "$tmp" && patch -p1 --batch --forward --quiet <"$p") >>"$SETUP_LOG" 2>&1
    else
      (cd "$tmp" && git apply -p1 "$p") >>"$SETUP_LOG" 2>&1
    fi || { rm -rf "$tmp"; fail_with_log "applying $(basename "$p") to FerretDB $FERRETDB_VERSION failed"; }
  done
  mkdir -p "$TOOLS/bin"
  (cd "$tmp" && nice -n 10 go build -p 2 -trimpath -buildvcs=false -tags ferretdb_no_postgresql \
    -ldflags='-s -w' -o "$FERRETDB.new" ./cmd/ferretdb) >>"$SETUP_LOG" 2>&1 ||
    { rm -rf "$tmp" "$FERRETDB.new"; fail_with_log "go build of FerretDB failed"; }
  rm -rf "$tmp"
  mv -f "$FERRETDB.new" "$FERRETDB"
  [ "$(ferretdb_have)" = "$FERRETDB_VERSION $ferretdb_package" ] ||
    die "built ferretdb does not report version $FERRETDB_VERSION: $("$FERRETDB" --version 2>&1 | head -n3)"
  log "ferretdb: built ${FERRETDB#"$ROOT"/}"
fi

# ---------------------------------------------------------------- Redis
redis_major() { redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'; }
if command -v redis-server >/dev/null && [ "$(redis_major)" -ge "$REDIS_MIN_MAJOR" ] 2>/dev/null; then
  log "redis: found $(command -v redis-server) ($(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'))"
else
  apt_install redis-server
  command -v redis-server >/dev/null || die "redis-server is not on PATH after installing Debian's redis-server"
  [ "$(redis_major)" -ge "$REDIS_MIN_MAJOR" ] || die "redis-server $REDIS_MIN_MAJOR+ needed, found: $(redis-server --version)"
  log "redis: installed $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
fi

# ---------------------------------------------------------------- nginx (local load balancer)
PATH="$PATH:/usr/sbin"
if command -v nginx >/dev/null; then
  log "nginx: found $(command -v nginx)"
else
  apt_install nginx-light
  command -v nginx >/dev/null || die "nginx is not on PATH after installing Debian's nginx-light"
  log "nginx: installed"
fi

log "infrastructure installed; start it with scripts/infra.sh start"
