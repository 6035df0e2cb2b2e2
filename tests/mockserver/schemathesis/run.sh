#!/usr/bin/env bash
# Run Schemathesis (all checks, all phases) against a fresh mock, for curaeai and hookbridge.
# Usage: tests/mockserver/schemathesis/run.sh [max-examples]   (from the repository root)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PY="$ROOT/.venv/bin/python"
PORT="${PORT:-8765}"
EXAMPLES="${1:-30}"
"$PY" -m mockserver --port "$PORT" --api curaeai --api hookbridge --time-scale 100 >/tmp/exportkit-mock.log 2>&1 &
MOCK=$!
WORK="$(mktemp -d)"  # Schemathesis and Hypothesis leave caches in the working folder
trap 'kill "$MOCK"; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/_control/health" >/dev/null && break; sleep 0.2; done
status=0
for api in ${APIS:-curaeai hookbridge}; do
  target="$(curl -sf "http://127.0.0.1:$PORT/_control/$api/target")"
  export EXPORTKIT_TOKEN="$("$PY" -c 'import json,sys; t=json.load(sys.stdin)["tenants"]["primary"]; print(next(iter(t["credentials"].values())))' <<<"$target")"
  export EXPORTKIT_CONNECTION_ID="$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["tenants"]["primary"]["fixtures"].get("connectionId", ""))' <<<"$target")"
  (cd "$WORK" && "$ROOT/.venv/bin/schemathesis" --config-file "$HERE/$api.toml" run "$ROOT/specs/$api.yaml" \
      --url "http://127.0.0.1:$PORT/$api" --checks all --phases examples,coverage,fuzzing,stateful \
      --max-examples "$EXAMPLES") || status=$?
done
exit "$status"
