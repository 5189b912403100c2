#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), where the Rust tests on
# PostgreSQL create and drop a database each (server/tests/common/postgres.rs).
#
# When something answers there, nothing is done. Otherwise, on this machine:
# Debian's postgresql package is installed when missing, and a private
# cluster with trust authentication (its superuser is the URL's user) is
# created once and started on the URL's port. The cluster lives outside the
# clone, in $SAR_POSTGRES_DIR (default: ${XDG_DATA_HOME:-$HOME/.local/share}/
# share-a-recording/postgres, or, for root, share-a-recording/postgres in the
# postgres user's home: PostgreSQL will not run as root), one folder per
# port, and is reused by later runs. Stop it with
#   /usr/lib/postgresql/<version>/bin/pg_ctl -D <that folder>/<port>/data stop
set -euo pipefail

url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
say() { printf '== PostgreSQL: %s\n' "$*" >&2; }
fail() { printf 'PostgreSQL: %s\n' "$*" >&2; exit 1; }

re='^postgres(ql)?://(([^:@/]*)(:[^@/]*)?@)?(\[[^]/]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?'
[[ "$url" =~ $re ]] || fail "TEST_POSTGRES_URL is not a postgres:// URL: $url"
user="${BASH_REMATCH[3]:-$(id -un)}"
host="${BASH_REMATCH[5]}"
host="${host#[}"
host="${host%]}"
port="${BASH_REMATCH[7]:-5432}"
database="${BASH_REMATCH[9]:-$user}"

# Accepting connections at host:port: pg_isready when it can tell, else a
# plain TCP connection.
answers() {
  local rc=0
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$host" -p "$port" -t 3 || rc=$?
    # 0: accepting; 1: starting up or refusing; 2: no answer; other: could not try.
    case "$rc" in 0) return 0 ;; 1 | 2) return 1 ;; esac
  fi
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

if answers; then
  say "answers at $host:$port"
  exit 0
fi

case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *) fail "nothing answers at $host:$port, and a server can only be started here for 127.0.0.1, localhost or ::1" ;;
esac

# The newest PostgreSQL installed (Debian keeps each version's programs under
# /usr/lib/postgresql/<version>/bin).
server_bin() {
  local dir
  dir=$({ find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' -printf '%h\n' 2>/dev/null || true; } | sort -V | tail -n 1)
  [ -n "$dir" ] && printf '%s\n' "$dir"
}

if ! bin=$(server_bin); then
  [ "$(id -u)" -eq 0 ] || fail "the postgresql package is missing; install it (apt-get install postgresql) as root, or set TEST_POSTGRES_URL to a server"
  say "installing Debian's postgresql package"
  # The package would create a "main" cluster of its own on port 5432, with
  # password authentication over TCP, and start it at every boot; the tests
  # use the private cluster below instead.
  mkdir -p /etc/postgresql-common/createcluster.d
  printf '# Share a Recording (scripts/postgres.sh): the tests run a cluster of their own.\ncreate_main_cluster = false\n' \
    >/etc/postgresql-common/createcluster.d/share-a-recording.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(server_bin) || fail "initdb is still missing under /usr/lib/postgresql after installing postgresql"
  if answers; then
    say "answers at $host:$port (started by the package)"
    exit 0
  fi
fi
version=$(basename "$(dirname "$bin")")

# As root, the cluster belongs to the postgres system user, in a folder it can
# reach (root's home is closed to it).
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  owner_home=$(getent passwd postgres | cut -d: -f6)
  [ -n "$owner_home" ] || fail "there is no postgres system user to run the server as"
  base="${SAR_POSTGRES_DIR:-$owner_home/share-a-recording/postgres}"
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  owner=$(id -un)
  base="${SAR_POSTGRES_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/share-a-recording/postgres}"
  as_owner() { "$@"; }
fi
dir="$base/$port"
data="$dir/data"
mkdir -p "$dir"
[ "$(id -u)" -ne 0 ] || chown "$owner:" "$base" "$dir"

# One run at a time sets the cluster up.
exec 9>"$dir/.lock"
flock 9

if [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$version" ]; then
  # Test data only: databases are made and dropped by each test.
  say "removing the cluster of PostgreSQL $(cat "$data/PG_VERSION") in $data (PostgreSQL $version is installed)"
  rm -rf "$data"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  say "creating a cluster (PostgreSQL $version, trust authentication, superuser $user) in $data"
  rm -rf "$data"
  as_owner "$bin/initdb" -D "$data" --auth=trust --username="$user" --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed; see $dir/initdb.log"
fi

if ! answers; then
  say "starting it on $host:$port (log: $dir/server.log)"
  as_owner "$bin/pg_ctl" -D "$data" -o "-p $port -k /tmp" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    fail "the server did not start; see $dir/server.log"
fi

for _ in $(seq 1 60); do
  answers && break
  sleep 0.5
done
answers || fail "nothing answers at $host:$port; see $dir/server.log"

if [ "$database" != postgres ] && [ "$database" != template1 ] &&
  [ -z "$(as_owner "$bin/psql" -h "$host" -p "$port" -U "$user" -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
  say "creating the database $database"
  as_owner "$bin/createdb" -h "$host" -p "$port" -U "$user" "$database"
fi
say "answers at $host:$port (cluster in $data)"
