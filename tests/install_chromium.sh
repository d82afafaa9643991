#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/e2e). Playwright's own browser download needs
# the internet, which CI does not have; the distribution package comes from the apt mirror.
# Present already: nothing to do. Missing and not installable: a warning locally (the browser
# tests then skip with a hint), a failure under CI=true (where they must run).
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "Chromium is installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

install_it() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "Installing Chromium needs root (or password-less sudo)." >&2
    return 1
  fi
}

if command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's package"
  install_it || true
else
  echo "Chromium is missing and this system has no apt-get." >&2
fi

if [ -x "$CHROMIUM" ]; then
  echo "Chromium is installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

message="$CHROMIUM could not be installed; the browser tests in tests/e2e need it. Install it with: apt-get install -y chromium"
if [ "${CI:-}" = "true" ]; then
  echo "FAIL: $message" >&2
  exit 1
fi
echo "WARNING: $message (the browser tests will be skipped)" >&2
exit 0
