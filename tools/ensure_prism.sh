#!/bin/sh
# Make sure Stoplight Prism (the stateless OpenAPI mock) is installed, pinned, for the test that
# runs `exportkit verify` against it (tests/contract_tests/test_against_prism.py).
# Idempotent: does nothing when the pinned version is already in .venv/node, the npm prefix the
# Makefile installs Spectral into; anything else that needs Prism should share this install.
# Prints the path of the `prism` binary on success; npm's chatter goes to stderr.
# Honours $EXPORTKIT_NODE_PREFIX (another npm prefix) and $PRISM_VERSION (another pin).
set -eu

PRISM_PACKAGE="@stoplight/prism-cli"
# Pinned: the newest release when this was written (npm view @stoplight/prism-cli version), and
# the version the benchmarks pin. It declares node >= 24.18 but runs this project's use (mock,
# static examples) on node 20 too; npm only warns about the engine.
PRISM_VERSION="${PRISM_VERSION:-5.16.0}"

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="${EXPORTKIT_NODE_PREFIX:-$root/.venv/node}"
binary="$prefix/node_modules/.bin/prism"
manifest="$prefix/node_modules/@stoplight/prism-cli/package.json"

installed_version() {
    # Read the version from the package manifest: starting node just to ask costs a second.
    [ -f "$manifest" ] || return 1
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1
}

is_ready() {
    [ -x "$binary" ] && [ "$(installed_version || true)" = "$PRISM_VERSION" ]
}

if is_ready; then
    echo "$binary"
    exit 0
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ensure_prism: '$tool' is not on PATH; install Node.js (with npm) to get $PRISM_PACKAGE@$PRISM_VERSION" >&2
        exit 1
    fi
done

mkdir -p "$prefix"
install_pinned() {
    # Re-check under the lock: another process may have installed it while we waited.
    if is_ready; then
        return 0
    fi
    echo "ensure_prism: installing $PRISM_PACKAGE@$PRISM_VERSION with npm into $prefix ..." >&2
    if ! npm install --loglevel=error --no-audit --no-fund --save-exact --prefix "$prefix" "$PRISM_PACKAGE@$PRISM_VERSION" >&2; then
        echo "ensure_prism: npm install $PRISM_PACKAGE@$PRISM_VERSION into $prefix failed (see npm's message above)" >&2
        return 1
    fi
}

# Two installs into one prefix at once (make unit and a benchmark run, say) corrupt node_modules.
if command -v flock >/dev/null 2>&1; then
    (
        flock -w 600 9 || { echo "ensure_prism: timed out waiting for $prefix/.install.lock" >&2; exit 1; }
        install_pinned
    ) 9>"$prefix/.install.lock" || exit 1
else
    install_pinned || exit 1
fi

if is_ready; then
    echo "$binary"
    exit 0
fi
echo "ensure_prism: npm finished but $binary is not version $PRISM_VERSION (found: $(installed_version || echo none))" >&2
exit 1
