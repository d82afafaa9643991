#!/usr/bin/env bash
# Debian's Dovecot IMAP server for the calendar-reply test (tests/integration/calendar_replies):
# the test starts its own throwaway instance on a loopback port, so only the binary is needed,
# never the system service. Present already: nothing to do. Missing and not installable: a
# warning locally (the test then skips with a hint), a failure under CI=true (where it must run).
set -u

DOVECOT=/usr/sbin/dovecot

if [ -x "$DOVECOT" ]; then
  echo "Dovecot is installed: $("$DOVECOT" --version 2>/dev/null || echo "$DOVECOT")"
  exit 0
fi

install_it() {
  # Where the system lets packages start services, this also starts the system-wide dovecot;
  # the test never talks to it (its own instance listens on a free loopback port).
  local packages="dovecot-imapd"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages
  else
    echo "Installing Dovecot needs root (or password-less sudo)." >&2
    return 1
  fi
}

if command -v apt-get >/dev/null 2>&1; then
  echo "Dovecot is missing: installing Debian's package"
  install_it || true
else
  echo "Dovecot is missing and this system has no apt-get." >&2
fi

if [ -x "$DOVECOT" ]; then
  echo "Dovecot is installed: $("$DOVECOT" --version 2>/dev/null || echo "$DOVECOT")"
  exit 0
fi

message="$DOVECOT could not be installed; the calendar-reply test needs it. Install it with: apt-get install -y dovecot-imapd"
if [ "${CI:-}" = "true" ]; then
  echo "FAIL: $message" >&2
  exit 1
fi
echo "WARNING: $message (the calendar-reply test will be skipped)" >&2
exit 0
