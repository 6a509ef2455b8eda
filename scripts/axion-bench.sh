#!/usr/bin/env bash
# The checks only a real Neoverse V2 machine (Google Axion, e.g. a c4a VM) can answer, side by side with
# llama.cpp: read bandwidth and decode/prefill thread scaling (bench:llm), kernel speeds (bench:kernels),
# and which kernel variants dispatch picked on the real CPU (the native tests, expecting i8mm).
# Run from a checkout with `npm ci` done, on the aarch64 machine itself:
#   scripts/axion-bench.sh [out-dir] [thread list]
# Defaults: bench/results/axion-<UTC time>, threads 1,2,4,8,... up to nproc (and nproc itself).
# Everything it measures goes to out-dir (machine.txt, tests.log, build.log, kernels.jsonl, llm.md,
# llm.svg); bench/README.md says how to read the bench:llm rows.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -m)" != aarch64 ]; then
  echo "axion-bench: run this on the aarch64 machine (this one is $(uname -m))" >&2
  exit 1
fi
out=${1:-bench/results/axion-$(date -u +%Y%m%dT%H%M%SZ)}
cores=$(nproc)
threads=${2:-}
if [ -z "$threads" ]; then
  t=1
  while [ "$t" -lt "$cores" ]; do threads+="$t,"; t=$((t * 2)); done
  threads+="$cores"
fi
mkdir -p "$out"

{
  date -u
  git rev-parse --short HEAD
  lscpu
  grep -m1 -i '^features' /proc/cpuinfo
  free -g
} >"$out/machine.txt"
for f in asimddp i8mm bf16 sve2; do
  grep -m1 -i '^features' /proc/cpuinfo | grep -qw "$f" || echo "axion-bench: warning: the CPU does not report $f (not a Neoverse V2?)" >&2
done

# Dispatch on the real CPU: the native suite prints the chosen variant per type and fails unless the
# i8mm kernels were installed; every kernel is checked against the scalar reference.
echo "== native tests (expecting i8mm)"
cmake -S . -B build-native/axion -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-native/axion -j "$cores" >/dev/null
CAPIBARA_EXPECT_NEON=i8mm build-native/axion/capibara_native_tests | tee "$out/tests.log" | grep -E "neon:|cpu:|passed"

echo "== addon build"
npx node-gyp rebuild -j "$cores" >"$out/build.log" 2>&1

# Kernel speeds per backend and the 2-thread read bandwidth.
echo "== bench:kernels"
npm run -s bench:kernels -- --json >"$out/kernels.jsonl"

# Decode and prefill at each thread count against llama.cpp on the same files; the read bandwidth is
# measured at every thread count run, so the roofline column shows where decode stops scaling.
echo "== bench:llm, threads $threads"
# Markdown: the side-by-side table, then the thread-scaling table (bench/README.md).
npm run -s bench:llm -- --threads "$threads" --chart "$out/llm.svg" | tee "$out/llm.md"
echo "axion-bench: results in $out"
