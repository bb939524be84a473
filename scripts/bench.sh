#!/usr/bin/env bash
# Benchmarks (not part of npm test): payments → QuickBooks against n8n's built-in QuickBooks
# node, the trigger's calls per poll and delay, the emulator's own throughput (in-process), and
# the real path: HighLevel deliveries to a real n8n with the templates (test/bench/realPath.bench.ts)
# and the history import with a gap-free reconcile pass (test/bench/history.bench.ts).
#
#   npm run bench                 every benchmark
#   npm run bench -- real         the real-path and history benchmarks (same: BENCH_ONLY=real npm run bench)
#   npm run bench -- history      the history import (10,000 payments) and a gap-free pass alone
#   npm run bench -- inprocess    every benchmark but the real-path, history and queue ones
#   npm run bench -- payments     one benchmark by name (test/bench/<name>.bench.ts)
#   npm run bench -- queue        payments/min and 429s with 1, 2 and 4 queue-mode workers
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
only="${1:-${BENCH_ONLY:-all}}"
case "$only" in
  all) benches=(test/bench/*.bench.ts) ;;
  real) benches=(test/bench/realPath.bench.ts test/bench/history.bench.ts) ;;
  inprocess) benches=($(ls test/bench/*.bench.ts | grep -v 'realPath\|history\|queue')) ;;
  *) benches=("test/bench/$only.bench.ts") ;;
esac
for bench in "${benches[@]}"; do
  # Queue mode runs on Debian's PostgreSQL and Redis (installed on first use).
  if [[ "$bench" == *queue* ]]; then source scripts/services-install.sh; fi
  # The real path and queue mode run the built package in n8n.
  if [[ "$bench" == *realPath* || "$bench" == *history* || "$bench" == *queue* ]]; then npm run build >&2; fi
  node --expose-gc -r ts-node/register/transpile-only "$bench"
done
