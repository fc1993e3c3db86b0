#!/usr/bin/env bash
# The demo data of `make up` (idempotent): the demo developer's application subscribed to the demo
# API, production keys restricted to one domain, unrestricted sandbox keys, and the demo end user
# allowed the password grant. Prints the PORTICO_DEMO_* lines of .portico/demo.env on stdout.
# Same variables as scripts/services.sh (PORTICO_RUN, PORTICO_PORT_OFFSET) to seed another stack.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -a
eval "$("$ROOT/scripts/services.sh" env)"
source "$RUN/secrets.env"
set +a
PORTICO_SEED_STATE="$RUN/demo-keys.json" exec node "$ROOT/e2e/src/seed.ts"
