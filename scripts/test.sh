#!/usr/bin/env bash
# The whole test suite: unit, engine-level integration, emulator conformance, and the
# end-to-end suite in a real n8n. Runs on a fresh machine (installs Node 22 and dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
npx jest --ci "$@"
