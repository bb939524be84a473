#!/usr/bin/env bash
# `npm start` in n8n's queue mode: PostgreSQL and Redis (Debian's packages, installed on first
# use, data under the cache folder), the n8n main instance, two workers and a webhook process,
# with the same templates and emulators. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
source scripts/services-install.sh
npm run build >/dev/null
QBSYNC_QUEUE=1 exec node -r ts-node/register/transpile-only scripts/start.ts
