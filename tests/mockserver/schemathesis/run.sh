#!/usr/bin/env bash
# Run Schemathesis' CLI (all checks, all phases) against a fresh mock, by hand, with the same
# configuration tests/mockserver/test_schemathesis_cli.py derives (derive.py, from the spec and
# the mock's target description). The test is what CI runs; this is for reading the output live.
# No --checks: the derived file enables all of them (a check named on the command line would
# override the per-operation exclusions of README.md).
# Usage (from anywhere): tests/mockserver/schemathesis/run.sh [max-examples] [api ...]
#   PORT=8765 SEED=20260521 tests/mockserver/schemathesis/run.sh 30 webadmit
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PY="$ROOT/.venv/bin/python"
PORT="${PORT:-8765}"
SEED="${SEED:-20260521}"
EXAMPLES="${1:-15}"
shift || true
APIS=("$@")
[ ${#APIS[@]} -gt 0 ] || APIS=(curaeai hookbridge carevalidate spaaza webadmit)

WORK="$(mktemp -d)"  # Schemathesis leaves caches in its working folder; the configs hold credentials
"$PY" -m mockserver --port "$PORT" --time-scale 100 >"$WORK/mock.log" 2>&1 &
MOCK=$!
trap 'kill "$MOCK" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/_control/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/_control/health" >/dev/null || { echo "the mock did not start:"; cat "$WORK/mock.log"; exit 2; }

status=0
for api in "${APIS[@]}"; do
  config="$(cd "$ROOT" && "$PY" -m tests.mockserver.schemathesis.derive \
      --target "http://127.0.0.1:$PORT/_control/$api/target" --out "$WORK/$api")"
  echo "=== $api ($config)"
  (cd "$WORK/$api" && "$ROOT/.venv/bin/schemathesis" --config-file "$config" run "$ROOT/specs/$api.yaml" \
      --url "http://127.0.0.1:$PORT/$api" --phases examples,coverage,fuzzing,stateful \
      --max-examples "$EXAMPLES" --seed "$SEED") || status=$?
done
exit "$status"
