#!/usr/bin/env bash
# `make up`: set-up if needed, the infrastructure, the services with demo data, then prints the
# URLs and writes them to .portico/demo.env (source it to use the demo with curl).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
source "$ROOT/scripts/lib.sh"
"$ROOT/scripts/infra.sh" start
"$ROOT/scripts/services.sh" start

demo="$RUN/demo.env"
{
  echo "# Written by make up on $(date -u +%FT%TZ). Use: set -a; source .portico/demo.env; set +a"
  echo "PORTICO_GATEWAY_URL=http://127.0.0.1:8080"
  echo "PORTICO_GATEWAY_URLS=http://127.0.0.1:8080,http://127.0.0.1:8180"
  echo "PORTICO_KEY_MANAGER_URL=http://127.0.0.1:8081"
  echo "PORTICO_STORE_URL=http://127.0.0.1:8082"
  echo "PORTICO_DEMO_UPSTREAM_URL=http://127.0.0.1:8085"
} >"$demo"
if [ -x "$ROOT/scripts/seed-demo.sh" ]; then "$ROOT/scripts/seed-demo.sh" >>"$demo"; fi
chmod 600 "$demo"

cat <<EOT

Portico is up.
  gateway       http://127.0.0.1:8080  (second replica http://127.0.0.1:8180)
  key-manager   http://127.0.0.1:8081  (admin API on 8091, loopback only)
  store/portal  http://127.0.0.1:8082
  demo upstream http://127.0.0.1:8085
Demo settings: ${demo#"$ROOT"/}   Logs: ${LOGS#"$ROOT"/}/   Stop: make down
EOT
