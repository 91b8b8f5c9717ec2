#!/bin/sh
# Installs Debian's Chromium (and fonts for Vietnamese text and emoji) for the sandbox's browser
# test. Never downloads a browser from anywhere else. Idempotent; needs root (CI runs as root).
set -eu

CHROMIUM=/usr/bin/chromium
PACKAGES="chromium fonts-dejavu-core fonts-noto-color-emoji"

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $package"
    fi
done

if [ -x "$CHROMIUM" ] && [ -z "$missing" ]; then
    echo "install-browser: already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install Chromium so that $CHROMIUM exists" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: run as root (or install sudo) to apt-get install:$missing" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: missing:$missing"
echo "install-browser: running: apt-get update"
$SUDO apt-get update -q
echo "install-browser: running: apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086  # one word per package
$SUDO apt-get install -y -q --no-install-recommends $missing
echo "install-browser: installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
