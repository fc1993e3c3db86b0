#!/usr/bin/env bash
# `make down`: stops every process `make up` started (services, then infrastructure).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/services.sh" stop
"$ROOT/scripts/infra.sh" stop
