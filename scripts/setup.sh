#!/usr/bin/env bash
# Sets up a fresh machine for Portico: Node 24, pnpm and the workspace's dependencies, then the local
# infrastructure (Kafka, FerretDB, Redis). Idempotent; run it again after pulling.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup-node.sh"
bash "$here/setup-infra.sh"
bash "$here/setup-deploy-tools.sh" # helm and kustomize for the chart tests (helm/test)
bash "$here/setup-k8s.sh" # a Kubernetes control plane with kwok nodes for helm/test/k8s (about 15 minutes once, cached)
bash "$here/build-portal.sh"
bash "$here/setup-browser.sh"
