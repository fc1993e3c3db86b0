#!/usr/bin/env bash
# Builds one service's container image from the root Dockerfile (needs a Docker engine, which
# the project's own machines do not have; helm/test/images.test.ts checks the arguments below
# against each service's config defaults and runs the build step itself).
#   scripts/build-image.sh <gateway|key-manager|store> [tag]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

service="${1:?usage: scripts/build-image.sh <gateway|key-manager|store> [tag]}"
# service:PORT:ADMIN_PORT (the config defaults; EXPOSE documents them)
case "$service" in
  gateway) ports=(8080 9080) target=service ;;
  key-manager) ports=(8081 8091) target=service ;;
  store) ports=(8082 9082) target=store ;;
  *) echo "unknown service: $service (gateway, key-manager or store)" >&2; exit 2 ;;
esac
tag="${2:-portico/$service}"
exec docker build --build-arg "SERVICE=$service" --build-arg "PORT=${ports[0]}" \
  --build-arg "ADMIN_PORT=${ports[1]}" --target "$target" -t "$tag" .
