#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth and a database `test`,
# as the test suite expects (LEARNLEDGER_TEST_POSTGRES_URL overrides the address).
# Starts an installed cluster, or installs one from Debian's packages. Fails loudly otherwise.
set -euo pipefail

url=${LEARNLEDGER_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
if [ -n "${LEARNLEDGER_TEST_POSTGRES_URL:-}" ]; then
  echo "==> using PostgreSQL from LEARNLEDGER_TEST_POSTGRES_URL"
  exit 0
fi

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "==> PostgreSQL is not installed: installing it from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

if ! ready; then
  echo "==> starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! ready; then
  echo "PostgreSQL does not answer on 127.0.0.1:5432; the PostgreSQL tests cannot run" >&2
  exit 1
fi
if ! psql "$url" -qtAc 'select 1' >/dev/null 2>&1; then
  as_postgres "psql -qtAc \"select 1 from pg_database where datname = 'test'\" | grep -q 1 || createdb test"
fi
psql "$url" -qtAc 'select 1' >/dev/null || { echo "cannot connect to $url" >&2; exit 1; }
echo "==> PostgreSQL ready"
