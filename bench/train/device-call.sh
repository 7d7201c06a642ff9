#!/usr/bin/env bash
# One GPU-machine call (run from the repo root there): build, the GPU tests named by TESTS,
# then bench/train/run.sh for SHAPES x QUANTS with a profile of two steps, folded into at most
# six files under $1 (the device tool returns 8): env-and-tests.log, train.jsonl, profiles.md,
# logs.txt (the tails of every log).
#   bench/train/device-call.sh OUT [TESTS regex]   SHAPES="qwen2.5-7b" QUANTS="none nf4" STEPS=14
#   BUILD_TARGETS="socrates ..." builds only those (the TESTS regex must then name only their tests)
#   MICRO=1 also times LoRA's dropout GEMMs, fused against separate (bench/lora), into dropout-gemm.jsonl
set -uo pipefail
out=${1:?usage: bench/train/device-call.sh OUT [TESTS]}
tests=${2:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export PYTHONPATH=$root/.device/site NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
mkdir -p "$out"
log=$out/env-and-tests.log
# No commit here: the device copy's .git can be stale; note the tree's commit where the call is made.
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; } > "$log"
SOCRATES_BUILD_DIR=$root/build-gpu timeout "${BUILD_TIMEOUT:-300}" scripts/device/build.sh ${BUILD_TARGETS:-} > /tmp/build.log 2>&1
echo "build rc=$?" >> "$log"
tail -3 /tmp/build.log >> "$log"
source /tmp/socrates-env.sh
if [ -n "$tests" ]; then
  (cd build-gpu && timeout "${TEST_TIMEOUT:-150}" ctest -R "$tests" --output-on-failure >> "$log" 2>&1)
  echo "ctest rc=$?" >> "$log"
fi
if [ -n "${MICRO:-}" ] && [ -x build-gpu/bin/bench_dropout_gemm ]; then
  timeout 120 build-gpu/bin/bench_dropout_gemm > "$out/dropout-gemm.jsonl" 2>&1
  echo "bench_dropout_gemm rc=$?" >> "$log"
fi
[ -n "${SHAPES:-}" ] || exit 0
# One quantisation at a time, the results folded into $out after each, so that a call cut
# short by its time limit still returns what finished.
fold() {
  cp /tmp/bench-out/train.jsonl "$out/" 2>/dev/null
  python3 bench/train/table.py /tmp/bench-out/train.jsonl > "$out/train-table.md" 2>&1
  for f in /tmp/bench-out/profile-*.md; do [ -f "$f" ] && { echo "<!-- $(basename "$f") -->"; cat "$f"; echo; }; done > "$out/profiles.md"
  for f in /tmp/bench-out.txt /tmp/bench-out/*.log; do echo "=== $f"; tail -25 "$f"; done > "$out/logs.txt"
}
# Also every 20 s, so that a call killed at its limit still returns the runs that finished.
( while sleep 20; do fold; done ) &
folder=$!
trap 'kill $folder 2>/dev/null' EXIT
for q in ${QUANTS:-none nf4}; do
  QUANTS=$q STEPS=${STEPS:-14} SETS=${SETS:-"training.profile_steps=2 training.profile_start=11"} \
    RUNS_DIR=/tmp/bench-runs bench/train/run.sh /tmp/bench-out $SHAPES >> /tmp/bench-out.txt 2>&1
  fold
done
kill $folder 2>/dev/null
fold
# The timeline of the last profiled run, for the host-side gaps (chrome://tracing, Perfetto).
trace=$(ls -t /tmp/bench-runs/*/profile/trace.json 2>/dev/null | head -1)
[ -n "$trace" ] && gzip -c "$trace" > "$out/trace-$(basename "$(dirname "$(dirname "$trace")")").json.gz"
