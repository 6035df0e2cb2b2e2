#!/bin/sh
# Make sure a headless Chromium is available for the HTML report's browser test.
# Idempotent: does nothing when one is found. Installs Debian's `chromium` with apt-get when
# missing and running as root; otherwise says what to do and fails.
# Prints the path of the browser on success. Honours $CHROMIUM (a path to use instead).
set -eu

find_chromium() {
    if [ -n "${CHROMIUM:-}" ] && [ -x "${CHROMIUM}" ]; then
        echo "${CHROMIUM}"
        return 0
    fi
    for name in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    echo "$path"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "ensure_chromium: no Chromium found and not root; install it with: sudo apt-get install -y chromium" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no Chromium found and no apt-get; install Chromium and set CHROMIUM=/path/to/it" >&2
    exit 1
fi

echo "ensure_chromium: installing Debian's chromium with apt-get..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2

if path=$(find_chromium); then
    echo "$path"
    exit 0
fi
echo "ensure_chromium: apt-get finished but no chromium is on PATH" >&2
exit 1
