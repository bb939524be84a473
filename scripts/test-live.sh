#!/usr/bin/env bash
# The live QuickBooks contract suite: the emulator's contract checks and the probes of what Intuit
# does not document, run against a real Intuit sandbox company (never production).
# Needs QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN, QBO_REALM_ID; without them it skips.
# Intuit rotates the refresh token: the newest is kept in .live-token.json (git-ignored) and used
# before QBO_REFRESH_TOKEN next time. Findings land in .live-findings.json.
set -euo pipefail
cd "$(dirname "$0")/.."
for var in QBO_CLIENT_ID QBO_CLIENT_SECRET QBO_REFRESH_TOKEN QBO_REALM_ID; do
  if [ -z "${!var:-}" ]; then
    echo "Live QuickBooks suite skipped: set QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN and QBO_REALM_ID (an Intuit sandbox company) to run it."
    exit 0
  fi
done
source scripts/node22.sh
# One worker: both files share one token refresh (Intuit rotates refresh tokens).
npx jest --runInBand --testTimeout 180000 test/live "$@"
