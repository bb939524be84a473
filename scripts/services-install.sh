# Source this file: PostgreSQL and Redis from Debian's packages (installed on first use) for n8n's
# queue mode. Exports QBSYNC_PG_BIN (the folder of initdb/postgres) and QBSYNC_REDIS_SERVER.
# Only the binaries are used: the scripts start their own servers on loopback, with data under
# the cache folder, and stop them again; Debian's own service units are left as they are.
_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(_pg_bin)" ] || ! command -v redis-server >/dev/null 2>&1; then
  echo "[services] installing PostgreSQL and Redis from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then _sudo=""; else _sudo="sudo"; fi
  $_sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq --no-install-recommends postgresql redis-server >&2 || return 1
  unset _sudo
fi
export QBSYNC_PG_BIN="$(_pg_bin)"
export QBSYNC_REDIS_SERVER="$(command -v redis-server)"
unset -f _pg_bin
