#!/usr/bin/env bash
# Benchmarks (not part of npm test): payments → QuickBooks against n8n's built-in QuickBooks
# node, the trigger's calls per poll and delay, the emulator's own throughput (in-process), and
# the real path: HighLevel deliveries to a real n8n with the templates (test/bench/realPath.bench.ts).
#
#   npm run bench                 every benchmark
#   npm run bench -- real         only the real-path benchmark (same: BENCH_ONLY=real npm run bench)
#   npm run bench -- inprocess    every benchmark but the real-path one
#   npm run bench -- payments     one benchmark by name (test/bench/<name>.bench.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/n8n-install.sh
only="${1:-${BENCH_ONLY:-all}}"
case "$only" in
  all) benches=(test/bench/*.bench.ts) ;;
  real) benches=(test/bench/realPath.bench.ts) ;;
  inprocess) benches=($(ls test/bench/*.bench.ts | grep -v realPath)) ;;
  *) benches=("test/bench/$only.bench.ts") ;;
esac
for bench in "${benches[@]}"; do
  # The real path packs the built package into n8n.
  if [[ "$bench" == *realPath* ]]; then npm run build >&2; fi
  node --expose-gc -r ts-node/register/transpile-only "$bench"
done
