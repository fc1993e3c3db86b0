# shellcheck shell=bash disable=SC2034
# Pinned versions of Portico's local infrastructure. Sourced by scripts/setup-infra.sh.
# Kafka's version lives in scripts/infra/kafka/pom.xml (the jars are resolved from Maven Central).
# FerretDB is built from the Go module proxy; see docs/adr/0002-ferretdb-on-sqlite.md.
FERRETDB_VERSION="v1.24.2"
# Redis comes from Debian's redis-server package (bookworm: 7.0.x); any 6.2+ on PATH is accepted.
REDIS_MIN_MAJOR=6
