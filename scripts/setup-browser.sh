#!/usr/bin/env bash
# Installs Debian's Chromium for the portal's browser tests (playwright-core drives it; no browser
# download of its own). Idempotent: does nothing when /usr/bin/chromium is already there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -x /usr/bin/chromium ]; then exit 0; fi
command -v apt-get >/dev/null || die "Chromium is missing and apt-get is not available: install Debian's chromium package"
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
log "installing Chromium from Debian's packages (browser tests)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >"$LOGS/apt-chromium.log" 2>&1 || { tail -20 "$LOGS/apt-chromium.log"; die "apt-get update failed"; }
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >>"$LOGS/apt-chromium.log" 2>&1 ||
  { tail -20 "$LOGS/apt-chromium.log"; die "apt-get install chromium failed"; }
[ -x /usr/bin/chromium ] || die "Chromium install did not produce /usr/bin/chromium"
