#!/usr/bin/env bash
# Runs every test (the README's `make test`): set-up if needed, start the local infrastructure
# unless MONGO_URL/KAFKA_BROKERS/REDIS_URL point elsewhere, typecheck, run every test file with
# Node's test runner against the real services, print "N passed, N failed", and stop what it
# started. Extra arguments are test file globs (default: all).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
source "$ROOT/scripts/lib.sh" # PATH now has Node 24 and pnpm

# What the caller gave as external stays external; what we start here we stop at the end.
external_env=(MONGO_URL="${MONGO_URL:-}" KAFKA_BROKERS="${KAFKA_BROKERS:-}" REDIS_URL="${REDIS_URL:-}")
infra_was_up=0
if "$ROOT/scripts/infra.sh" status >/dev/null 2>&1; then infra_was_up=1; fi
stop_infra() {
  if [ "$infra_was_up" = 0 ]; then env "${external_env[@]}" "$ROOT/scripts/infra.sh" stop || true; fi
}
trap stop_infra EXIT
"$ROOT/scripts/infra.sh" start
eval "$("$ROOT/scripts/infra.sh" env)"

log "typecheck"
"$ROOT/node_modules/.bin/tsc" -p tsconfig.json
(cd "$ROOT/services/portal" && pnpm run --silent typecheck) # the portal has its own DOM/JSX config

if [ "$#" -gt 0 ]; then
  globs=("$@")
else
  globs=('libs/*/test/**/*.test.ts' 'services/*/test/**/*.test.ts' 'helm/test/**/*.test.ts' 'bench/test/**/*.test.ts' 'e2e/test/**/*.test.ts')
fi

report="$RUN/test-report.txt"
log "running tests: ${globs[*]}"
set +e
NODE_ENV=test node --test \
  --test-concurrency="${PORTICO_TEST_CONCURRENCY:-2}" \
  --test-timeout="${PORTICO_TEST_TIMEOUT_MS:-180000}" \
  --test-reporter=spec \
  "${globs[@]}" 2>&1 | tee "$report"
status=${PIPESTATUS[0]}
set -e

passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$report" | tail -n1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$report" | tail -n1)
cancelled=$(sed -n 's/^ℹ cancelled \([0-9]*\)$/\1/p' "$report" | tail -n1)
failed=$(( ${failed:-0} + ${cancelled:-0} ))
echo "${passed:-0} passed, ${failed} failed"
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  echo "test runner exited with status $status" >&2
fi
exit "$status"
