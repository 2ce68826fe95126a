#!/usr/bin/env bash
# Run the ADL LRS conformance suite against a fresh LearnLedger LRS.
#
#   scripts/conformance.sh SUITE_DIR [1.0.3|2.0.0] [extra console_runner args, e.g. -g About]
#
# SUITE_DIR is a clone of adlnet/lrs-conformance-test-suite with `npm install` done. The script
# creates a DuckDB database in a temporary directory, a credential with scope "all", starts
# `learnledger serve` on a free loopback port, runs the suite (-x VERSION -a -z), prints the
# pass/fail counts from the last {"total":...} line (the runner's exit code is the failure count
# modulo 256) and stops the server. The full output stays in $TMPDIR/.../runner.out.
# CONFORMANCE_DATABASE_URL=postgresql://... runs it on that database instead (it must be empty:
# the suite reuses fixed statement ids; use a fresh ?schema=name).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 SUITE_DIR [1.0.3|2.0.0] [console_runner args...]" >&2
    exit 2
fi
SUITE_DIR=$(cd "$1" && pwd)
VERSION=${2:-2.0.0}
shift $(( $# >= 2 ? 2 : 1 ))
case "$VERSION" in 1.0.3|2.0.0) ;; *) echo "version must be 1.0.3 or 2.0.0" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -x "$ROOT/.venv/bin/learnledger" ]]; then
    LL=("$ROOT/.venv/bin/learnledger")
    PY="$ROOT/.venv/bin/python"
else
    LL=(learnledger)
    PY=python3
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ll-conformance.XXXXXX")
export LEARNLEDGER_DATABASE_URL="${CONFORMANCE_DATABASE_URL:-duckdb:///$WORK/lrs.duckdb}"
export LEARNLEDGER_LOG_LEVEL=WARNING
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

"${LL[@]}" db init >/dev/null
CREDENTIAL=$("${LL[@]}" credentials add conformance --scopes all)
KEY=$(awk '/^key:/ {print $2}' <<<"$CREDENTIAL")
SECRET=$(awk '/^secret:/ {print $2}' <<<"$CREDENTIAL")
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LEARNLEDGER_LRS_BASE_URL="http://127.0.0.1:$PORT/xapi"

"${LL[@]}" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/xapi/about', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the server did not start; its log:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

echo "LRS on http://127.0.0.1:$PORT/xapi (database ${LEARNLEDGER_DATABASE_URL%%\?*}), xAPI $VERSION"
set +e
(cd "$SUITE_DIR" && node bin/console_runner.js -x "$VERSION" -e "http://127.0.0.1:$PORT/xapi" \
    -a -u "$KEY" -p "$SECRET" -z "$@") >"$WORK/runner.out" 2>&1
set -e

SUMMARY=$(grep -E '^\{"total":' "$WORK/runner.out" | tail -n 1 || true)
if [[ -z "$SUMMARY" ]]; then
    echo "no summary line; runner output in $WORK/runner.out" >&2
    tail -n 20 "$WORK/runner.out" >&2
    exit 1
fi
"$PY" - "$SUMMARY" <<'PYEOF'
import json, sys
s = json.loads(sys.argv[1])
print(f"passed {s.get('passed', 0)} / {s.get('total', 0)}, failed {s.get('failed', 0)}")
PYEOF
grep -E '^Full run log written to' "$WORK/runner.out" || true
echo "runner output: $WORK/runner.out; server log: $WORK/server.log"
