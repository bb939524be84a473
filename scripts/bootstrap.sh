# Source this file: Node 22 first on PATH and the project's dependencies installed from the
# lockfile (again only when package-lock.json changed).
_here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_here/scripts/node22.sh" || return 1
_stamp="$_here/node_modules/.qbsync-lock-hash"
_hash="$(sha256sum "$_here/package-lock.json" | cut -c1-64)-$(node --version)"
if [ ! -f "$_stamp" ] || [ "$(cat "$_stamp")" != "$_hash" ]; then
  echo "[bootstrap] installing dependencies (npm ci)" >&2
  # Lifecycle scripts are skipped because eslint-plugin-n8n-nodes-base's preinstall insists on
  # pnpm; the one native module the tests need (isolated-vm, via n8n-workflow) is built next.
  (cd "$_here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 && npm rebuild isolated-vm --loglevel=error >&2) || return 1
  echo "$_hash" > "$_stamp"
fi
unset _here _stamp _hash
