#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (Playwright drives it; no
# browser is downloaded at run time). LEARNLEDGER_CHROMIUM names another binary instead.
set -euo pipefail

if [ -n "${LEARNLEDGER_CHROMIUM:-}" ]; then
  echo "==> using Chromium from LEARNLEDGER_CHROMIUM"
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "Chromium is missing: install Debian's chromium package for the browser tests" >&2
  exit 1
fi
echo "==> installing Chromium from Debian's packages (browser tests)"
export DEBIAN_FRONTEND=noninteractive
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root apt-get install -y -qq chromium >/dev/null
