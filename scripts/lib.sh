# Shared shell settings for Portico's scripts. Source it; do not run it.
# Everything the project installs lives in .tools/, everything it runs writes to .portico/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${PORTICO_TOOLS:-$ROOT/.tools}"
RUN="${PORTICO_RUN:-$ROOT/.portico}"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
NODE_VERSION="24.21.0"
PNPM_VERSION="10.34.9"
mkdir -p "$TOOLS" "$LOGS" "$PIDS"

log() { printf '[portico] %s\n' "$*" >&2; }
die() { printf '[portico] error: %s\n' "$*" >&2; exit 1; }

# Go's official install lives outside the default PATH of a non-login shell.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
# Put the project's Node 24 and pnpm first on PATH when they are installed.
if [ -x "$TOOLS/node/bin/node" ]; then PATH="$TOOLS/node/bin:$PATH"; fi
if [ -x "$TOOLS/pnpm/node_modules/.bin/pnpm" ]; then PATH="$TOOLS/pnpm/node_modules/.bin:$PATH"; fi
export PATH
