#!/usr/bin/env bash
# LearnLedger's set-up entry point on a fresh machine.
#   ./run.sh demo [learnledger demo options]   install, build the demo company, serve it
#   ./run.sh test [pytest options]             install, lint, type-check, run the whole test suite
#   ./run.sh install                           install only (.venv with the locked dependencies)
set -euo pipefail
cd "$(dirname "$0")"

ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    export PATH="$HOME/.local/bin:$PATH"
  fi
  if ! command -v uv >/dev/null 2>&1; then
    echo "==> installing uv (Python package installer)"
    python3 -m pip install --quiet --user uv
  fi
}

install() {
  ensure_uv
  python3 - <<'PY' || { echo "LearnLedger needs Python >= 3.11 as python3" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
  if [ ! -x .venv/bin/python ]; then
    uv venv --quiet --python "$(command -v python3)" .venv
  fi
  echo "==> installing locked dependencies into .venv"
  uv pip sync --quiet --python .venv/bin/python requirements.lock
  uv pip install --quiet --python .venv/bin/python --no-deps -e .
}

run_tests() {
  scripts/ensure-postgres.sh
  scripts/ensure-chromium.sh
  echo "==> ruff"
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/ruff format --check src tests benchmarks
  echo "==> mypy"
  .venv/bin/mypy
  echo "==> pytest"
  .venv/bin/pytest "$@"
}

command=${1:-help}
shift || true
case "$command" in
  install) install ;;
  demo) install; exec .venv/bin/learnledger demo "$@" ;;
  test) install; run_tests "$@" ;;
  *) sed -n '2,5p' "$0"; exit 2 ;;
esac
