#!/usr/bin/env bash
# Print a PostgreSQL URL the tests can use, starting a throwaway server when none is reachable.
# Order: $TIPTIERS_TEST_POSTGRES_URL; a server on 127.0.0.1:5432 (database `test`, trust auth, as on CI);
# else a private cluster under var/pg-test on port 54329 from Debian's PostgreSQL binaries
# (installed with apt-get when run as root). Progress goes to stderr, the URL alone to stdout.
set -euo pipefail

if [ -n "${TIPTIERS_TEST_POSTGRES_URL:-}" ]; then
  echo "$TIPTIERS_TEST_POSTGRES_URL"; exit 0
fi

reachable() { # host port
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

if reachable 127.0.0.1 5432; then
  echo "postgresql+psycopg://postgres@127.0.0.1:5432/test"; exit 0
fi

port=54329
url="postgresql+psycopg://postgres@127.0.0.1:${port}/postgres"
if reachable 127.0.0.1 "$port"; then echo "$url"; exit 0; fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-postgres: installing Debian's postgresql for the tests" >&2
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "ensure-postgres: no PostgreSQL reachable and none installed. Run: sudo apt-get install postgresql" >&2
    exit 1
  fi
fi

datadir="$(pwd)/var/pg-test"
as_owner=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses to run as root
  datadir=/tmp/tiptiers-pg-test
  as_owner=(runuser -u postgres --)
fi
if [ ! -f "$datadir/PG_VERSION" ]; then
  mkdir -p "$datadir"
  [ "$(id -u)" = 0 ] && chown postgres "$datadir"
  "${as_owner[@]}" "$bindir/initdb" -D "$datadir" -A trust -U postgres >&2
fi
"${as_owner[@]}" "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w \
  -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" start >&2
echo "$url"
