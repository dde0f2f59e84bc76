#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb in a temporary
# directory, the server on 127.0.0.1 and a free port with password
# authentication, a database `delta_arb_test` owned by the user `delta_arb`,
# and DELTA_ARB_TEST_DB set to its URL (password in the URL). The cluster is
# stopped and its directory removed when the command ends, also on failure.
#
#   scripts/with-postgres.sh swift test --filter PostgresSource
#
# The server refuses to run as root, so as root (CI) the cluster belongs to
# the `postgres` user that Debian's package creates.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "with-postgres: no PostgreSQL server (run scripts/install-deps.sh)" >&2; exit 1; }

as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

dir=$(mktemp -d /tmp/delta-arb-pg.XXXXXX)
chmod 755 "$dir"
[ ${#as_owner[@]} -eq 0 ] || chown postgres: "$dir"

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password="pw-$RANDOM$RANDOM"
printf '%s\n' "$password" > "$dir/pwfile"
[ ${#as_owner[@]} -eq 0 ] || chown postgres: "$dir/pwfile"

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U delta_arb --pwfile="$dir/pwfile" \
  --auth=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
PGPASSWORD="$password" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U delta_arb -d postgres \
  -c "CREATE DATABASE delta_arb_test" >/dev/null

export DELTA_ARB_TEST_DB="postgres://delta_arb:$password@127.0.0.1:$port/delta_arb_test"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
