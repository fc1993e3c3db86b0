#!/usr/bin/env bash
# Lays out one service with its production dependencies only, ready to run as `node src/main.ts`
# from <dest>/services/<service>. The container images run exactly this (scripts/build-image.sh, the root Dockerfile),
# and helm/test/images.test.ts runs it locally, so the two cannot drift apart.
#
# Why not `pnpm deploy`: it copies the workspace libraries into node_modules, and Node refuses to
# strip types from .ts files under node_modules. Keeping the workspace layout (libs/ beside
# services/, linked by pnpm) keeps their real paths outside node_modules (ADR 0040).
#
# Usage: scripts/package-service.sh <store|key-manager|gateway> <dest>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service="${1:-}"
dest="${2:-}"
[ -n "$service" ] && [ -n "$dest" ] || die "usage: scripts/package-service.sh <service> <dest>"
[ -f "$ROOT/services/$service/package.json" ] || die "no such service: $service"

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
[ -z "$(ls -A "$dest")" ] || die "$dest is not empty"

# Each workspace package the service needs, without its tests and installed modules.
cd "$ROOT"
cp package.json pnpm-lock.yaml pnpm-workspace.yaml "$dest/"
cp -R patches "$dest/" # pnpm-workspace.yaml patchedDependencies
for pkg in libs/* "services/$service"; do
  [ -f "$pkg/package.json" ] || continue
  [ "$pkg" != libs/testing ] || continue # test helpers, a devDependency only
  mkdir -p "$dest/$pkg"
  tar -C "$pkg" --exclude=./node_modules --exclude=./test --exclude='*.test.ts' -cf - . | tar -C "$dest/$pkg" -xf -
done

cd "$dest"
# --prod leaves devDependencies (and so @portico/testing) out; `...` adds the workspace libraries
# the service depends on. --prefer-offline reuses a local pnpm store when there is one.
pnpm install --frozen-lockfile --prod --prefer-offline --reporter=append-only \
  --filter "@portico/$service..." >&2
