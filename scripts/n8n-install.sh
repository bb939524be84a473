# Source this file: installs the pinned n8n (once, into the cache) and exports N8N_BIN.
# n8n 2.30.0 is the newest release whose dependency tree the registry here fully serves;
# xlsx and linkedom are overridden because n8n pins them to a tarball outside the registry.
_here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_here/scripts/node22.sh" || return 1
N8N_VERSION="${N8N_VERSION:-2.30.0}"
_dir="$QBSYNC_CACHE/n8n-$N8N_VERSION"
if [ ! -x "$_dir/node_modules/.bin/n8n" ] || [ ! -f "$_dir/.installed" ]; then
  echo "[n8n] installing n8n $N8N_VERSION into $_dir (first run only: ~5 min, ~3 GB)" >&2
  mkdir -p "$_dir"
  cat > "$_dir/package.json" <<JSON
{ "name": "n8n-runtime", "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5", "linkedom": "0.18.13" } }
JSON
  (cd "$_dir" && npm install --no-audit --no-fund --loglevel=error >&2) || return 1
  touch "$_dir/.installed"
fi
export N8N_BIN="$_dir/node_modules/.bin/n8n"
export N8N_VERSION
unset _here _dir
