#!/usr/bin/env bash
# The whole test suite: unit, engine-level integration, emulator conformance, and the
# end-to-end suite in a real n8n (one file of it in queue mode, with two workers). Runs on a fresh
# machine: installs Node 22, the dependencies, the pinned n8n (cached), Debian's chromium for the
# editor screenshots and Debian's PostgreSQL and Redis for queue mode.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
source scripts/services-install.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "[test] installing Debian chromium for the editor screenshots" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
export CHROMIUM_PATH="$(command -v chromium)"
npm run build >/dev/null
npx jest --ci "$@"
