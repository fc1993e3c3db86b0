#!/usr/bin/env bash
# Installs the benchmark tools from Debian's packages: wrk (load generator) and nginx (a baseline).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v taskset >/dev/null || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$LOGS/setup-bench.log" 2>&1 || die "apt-get update failed (see $LOGS/setup-bench.log)"
  # policy-rc.d keeps Debian from starting the packaged nginx on port 80.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGS/setup-bench.log" 2>&1 || {
    rm -f /usr/sbin/policy-rc.d; die "apt-get install ${missing[*]} failed (see $LOGS/setup-bench.log)"; }
  rm -f /usr/sbin/policy-rc.d
fi
# What the bench runs, checked here rather than halfway through a run.
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v nginx >/dev/null || die "nginx is not on PATH (apt-get install nginx-light; /usr/sbin must be on PATH)"
command -v taskset >/dev/null || die "taskset is not installed (apt-get install util-linux)"
