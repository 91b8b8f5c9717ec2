#!/bin/sh
# Installs Debian's Chromium for the sandbox's browser test (never a browser download).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (CI runs as root).
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: $CHROMIUM is already installed: $("$CHROMIUM" --version 2>/dev/null || echo unknown version)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install Chromium with your package manager so that $CHROMIUM exists" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: run as root (or install sudo) to apt-get install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: $CHROMIUM is missing; running: apt-get update"
$SUDO apt-get update -q
echo "install-browser: running: apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
