#!/usr/bin/env bash
# Runs on the GPU machine: ours (bench_model) and transformers side by side, forward +
# backward with every base weight trainable, gradient checkpointing off and on, for the
# Qwen2.5-0.5B and -7B shapes at batch 16 x 256. Writes JSON lines to $1 (default stdout).
#   bench/model/run.sh OUT.jsonl [shapes...]
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-/dev/stdout}
shift || true
shapes=${*:-qwen2.5-0.5b qwen2.5-7b}
exe=${SOCRATES_BUILD_DIR:-$root/build}/bin/bench_model
for s in $shapes; do
  cfg=$root/configs/models/$s/config.json
  for ck in "" --checkpointing; do
    "$exe" --config "$cfg" --batch 16 --seq 256 $ck >> "$out" || echo "{\"impl\": \"socrates\", \"config\": \"$cfg\", \"error\": \"failed\"}" >> "$out"
    python3 "$root/bench/model/hf_bench_model.py" --config "$cfg" --batch 16 --seq 256 $ck 2>/dev/null >> "$out" \
      || echo "{\"impl\": \"transformers\", \"config\": \"$cfg\", \"error\": \"failed (OOM?)\"}" >> "$out"
  done
done
