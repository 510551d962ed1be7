#!/usr/bin/env bash
# Makes sure the browser tests (Gateway.Tests/Browser, Playwright) have Debian's Chromium: installs the `chromium`
# package with apt when /usr/bin/chromium (or $GATEWAY_CHROMIUM) is missing. Non-interactive; waits for the apt lock.
# Playwright downloads no browser here (PITFALLS 37). Exits non-zero when Chromium cannot be installed; the browser
# tests then fail (they never skip).
set -uo pipefail

chromium="${GATEWAY_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: $chromium missing and no apt-get: install Chromium and set GATEWAY_CHROMIUM" >&2
  exit 1
fi

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
apt_install() {
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o DPkg::Lock::Timeout=300 chromium </dev/null >/dev/null
}
echo "install-chromium: installing Debian's chromium (apt)"
if ! apt_install; then
  $sudo apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null >/dev/null
  if ! apt_install; then
    echo "install-chromium: apt-get install chromium failed" >&2
    exit 1
  fi
fi

if [ ! -x "$chromium" ]; then
  echo "install-chromium: installed, but $chromium is still missing" >&2
  exit 1
fi
echo "install-chromium: $("$chromium" --version 2>/dev/null)"
