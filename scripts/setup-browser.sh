#!/usr/bin/env bash
# Installs Debian's Chromium for the portal's browser tests (playwright-core drives /usr/bin/chromium;
# nothing downloads a browser of its own). Idempotent: nothing to do when it is already there.
# Only the browser tests need it, so a failed install warns instead of failing the set-up (`make up`
# works without it); those tests then say what is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -x /usr/bin/chromium ]; then exit 0; fi
warn() { log "warning: $*; the portal's browser tests need /usr/bin/chromium (Debian package chromium)"; exit 0; }
command -v apt-get >/dev/null || warn "apt-get is not available"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || warn "not root and no sudo"
  sudo="sudo"
fi
log "installing Chromium from Debian's packages (browser tests)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >"$LOGS/apt-chromium.log" 2>&1 || { tail -20 "$LOGS/apt-chromium.log" >&2; warn "apt-get update failed"; }
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >>"$LOGS/apt-chromium.log" 2>&1 ||
  { tail -20 "$LOGS/apt-chromium.log" >&2; warn "apt-get install chromium failed"; }
[ -x /usr/bin/chromium ] || warn "the install did not produce /usr/bin/chromium"
