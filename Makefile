# Portico — the commands a new user runs. Everything is installed by the project's scripts.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: ## install Node 24, pnpm, dependencies, Kafka, FerretDB and Redis into .tools/
	@scripts/setup.sh

up: ## start the whole suite locally with demo data (URLs in .portico/demo.env)
	@scripts/up.sh

down: ## stop everything `make up` started
	@scripts/down.sh

test: ## run every test against real Kafka, Redis and FerretDB
	@scripts/test.sh

lint: ## biome and the TypeScript compiler
	@scripts/setup.sh && source scripts/lib.sh && pnpm run lint

infra: ## start only Kafka, Redis and FerretDB
	@scripts/setup.sh && scripts/infra.sh start

.PHONY: help setup up down test lint infra

bench: ## benchmarks over BENCH_RUNS=3 runs (gateway vs minimal Node proxies, nginx; key-manager; scaling; revocation lag) into bench/results/
	@scripts/setup.sh && scripts/setup-bench.sh && source scripts/lib.sh && scripts/infra.sh start && eval "$$(scripts/infra.sh env)" && node bench/src/run.ts

chaos: ## the clustered shape (3 brokers, Redis Sentinel, 2+2+3 replicas) under load with faults injected into bench/results/chaos.{md,json}
	@scripts/setup.sh && source scripts/lib.sh && scripts/infra.sh start mongo && eval "$$(scripts/infra.sh env mongo)" && node bench/src/chaos.ts

.PHONY: bench chaos

k8s-test: ## install the Helm chart on a real Kubernetes control plane (kwok nodes; built into .tools/k8s the first time)
	@scripts/test.sh 'helm/test/k8s/**/*.test.ts'

.PHONY: k8s-test
