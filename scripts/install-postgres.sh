#!/bin/sh
# Installs Debian's PostgreSQL server for the tests, which start a throw-away cluster of their own
# (tests/pg.py) with its binaries under /usr/lib/postgresql/*/bin. Never downloads PostgreSQL from
# anywhere else. Idempotent; needs root (CI runs as root).
set -eu

PACKAGE=postgresql

find_initdb() {
    # The newest major version wins when several are installed.
    ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1
}

found="$(find_initdb || true)"
if [ -n "$found" ] && [ -x "$found" ]; then
    echo "install-postgres: already installed: $("$found" --version 2>/dev/null || echo "$found")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-postgres: apt-get not found; install PostgreSQL so that" \
        "/usr/lib/postgresql/<version>/bin/initdb exists" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-postgres: run as root (or install sudo) to apt-get install $PACKAGE" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-postgres: missing: /usr/lib/postgresql/*/bin/initdb"
echo "install-postgres: running: apt-get update"
$SUDO apt-get update -q
echo "install-postgres: running: apt-get install -y --no-install-recommends $PACKAGE"
$SUDO apt-get install -y -q --no-install-recommends "$PACKAGE"

found="$(find_initdb || true)"
if [ -z "$found" ] || [ ! -x "$found" ]; then
    echo "install-postgres: $PACKAGE is installed but no /usr/lib/postgresql/*/bin/initdb" >&2
    exit 1
fi
echo "install-postgres: installed: $("$found" --version 2>/dev/null || echo "$found")"
