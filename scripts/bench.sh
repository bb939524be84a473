#!/usr/bin/env bash
# Benchmarks (not part of npm test): payments → QuickBooks against n8n's built-in QuickBooks
# node, the trigger's calls per poll and delay, and the emulator's own throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
for bench in test/bench/*.bench.ts; do
  node --expose-gc -r ts-node/register/transpile-only "$bench"
done
