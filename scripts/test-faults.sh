#!/usr/bin/env bash
# The queue-mode fault matrix (issue 13): n8n 2.30 in queue mode (PostgreSQL, Redis, main, two
# workers) under one fault per test; figures in bench/results/faults.json. Slow (about an hour:
# a 10-minute QuickBooks outage among the rows), so not part of `npm test`. Arguments go to jest,
# e.g. `npm run test:faults -- -t 'SIGKILL'`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
source scripts/services-install.sh
npm run build >/dev/null
npx jest --ci -c jest.faults.config.js "$@"
