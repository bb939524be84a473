#!/usr/bin/env bash
# The README's first command: a local n8n with this package, the templates and both
# emulators (QuickBooks Online, HighLevel), no accounts needed. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
npm run build >/dev/null
exec node -r ts-node/register/transpile-only scripts/start.ts
