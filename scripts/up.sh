#!/usr/bin/env bash
# `make up`: set-up if needed, the infrastructure, the services with demo data, then prints the
# URLs and writes them to .portico/demo.env (source it to use the demo with curl).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
source "$ROOT/scripts/lib.sh"
"$ROOT/scripts/infra.sh" start
"$ROOT/scripts/services.sh" start

demo="$RUN/demo.env"
umask 077 # the file holds client secrets and the demo password
{
  echo "# Written by make up on $(date -u +%FT%TZ). Use: set -a; source .portico/demo.env; set +a"
  "$ROOT/scripts/services.sh" env
} >"$demo.tmp"
"$ROOT/scripts/seed-demo.sh" >>"$demo.tmp"
mv -f "$demo.tmp" "$demo"
chmod 600 "$demo"

cat <<EOT

Portico is up.
  gateway       http://127.0.0.1:8080  (second replica http://127.0.0.1:8180)
  key-manager   http://127.0.0.1:8081  (admin API on 8091, loopback only)
  store/portal  http://127.0.0.1:8082
  demo upstream http://127.0.0.1:8085
Demo settings: ${demo#"$ROOT"/}   Logs: ${LOGS#"$ROOT"/}/   Stop: make down
Try it (README, "Demo with curl"):
  set -a; source ${demo#"$ROOT"/}; set +a
  TOKEN=\$(curl -s -u "\$PORTICO_DEMO_PROD_CLIENT_ID:\$PORTICO_DEMO_PROD_CLIENT_SECRET" -d grant_type=client_credentials "\$PORTICO_KEY_MANAGER_URL/token" | jq -r .access_token)
  curl -H "Authorization: Bearer \$TOKEN" -H "\$PORTICO_CLIENT_DOMAIN_HEADER: \$PORTICO_DEMO_ALLOWED_DOMAIN" "\$PORTICO_GATEWAY_URL\$PORTICO_DEMO_API_PATH/search.atom?q=cat"
EOT
