#!/usr/bin/env bash
# Builds the developer portal (services/portal, React + Vite) into services/portal/dist, which the
# store serves. Idempotent: rebuilds only when a source is newer than the last build (or --force).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
portal="$ROOT/services/portal"
built="$portal/dist/index.html"

if [ "${1:-}" != "--force" ] && [ -f "$built" ] &&
  [ -z "$(find "$portal/src" "$portal/public" "$portal/index.html" "$portal/vite.config.ts" "$portal/package.json" \
    -newer "$built" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
log "building the developer portal (services/portal/dist)"
# Always a production build: under NODE_ENV=test (the test runner's) Vite would bundle React's
# development build, whose StrictMode runs every effect twice.
(cd "$portal" && NODE_ENV=production pnpm run build >"$LOGS/portal-build.log" 2>&1) || { tail -30 "$LOGS/portal-build.log"; die "portal build failed"; }
