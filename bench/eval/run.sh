#!/usr/bin/env bash
# Runs on a GPU machine: evaluation speed side by side, in one run on one GPU. Ours is the real
# evaluation path, `socrates eval --base --mode distribution` (the exact probability of every
# answer of the scale: core/eval/predict.cpp, option_scoring.cpp), on the paper's experiment
# file with random weights of the shape; the anchor is HF transformers `generate` with sampling
# (bench/eval/hf_generate.py). Both read the same ROWS prompts of PROMPT_TOKENS tokens with a
# 7-point answer scale (bench/eval/make_prompts.py), in batches of BATCH.
# One JSON line per implementation and shape to $1/eval.jsonl, the raw logs beside it.
#   bench/eval/run.sh OUT_DIR [shape ...]        shape: qwen2.5-0.5b qwen2.5-7b qwen2.5-14b ...
#   ROWS=512 BATCH=64 PROMPT_TOKENS=320 MAX_NEW_TOKENS=4 bench/eval/run.sh ...
#   DEVICE=cpu DTYPE=float32 bench/eval/run.sh /tmp/o tiny-qwen2      (a CPU smoke test)
#   IMPLS="socrates" (or "hf") runs one side only; SETS="k=v ..." adds --set for ours.
# predictions/s = scored rows / wall seconds of the scoring loop, model creation excluded. Ours
# is one process per call, so its loop includes the first batch's warm-up (CUDA kernels and
# cuBLAS handles loaded, caching allocator grown); WARM_DIFF=1 (default) runs it again on one
# batch and also reports (ROWS - BATCH) / (t_all - t_one_batch), the rate without that warm-up,
# as predictions_per_s_warm. The anchor times after HF_WARMUP untimed batches.
# Needs: $SOCRATES_BUILD_DIR/bin/socrates (default build/) with its plugins; python3 with torch,
# transformers and tokenizers.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:?usage: bench/eval/run.sh OUT_DIR [shape ...]}
shift
shapes=${*:-qwen2.5-14b}
rows=${ROWS:-512}
batch=${BATCH:-64}
prompt_tokens=${PROMPT_TOKENS:-320}
new_tokens=${MAX_NEW_TOKENS:-4}
device=${DEVICE:-cuda}
dtype=${DTYPE:-bfloat16}
impls=${IMPLS:-socrates hf}
py=${PYTHON:-python3}
exe=${SOCRATES_BUILD_DIR:-$root/build}/bin/socrates
runs=${RUNS_DIR:-/tmp/socrates-bench-eval}
tokenizer=$root/data/tokenizers/qwen2.5/tokenizer.json
mkdir -p "$out" "$runs"
out=$(cd "$out" && pwd)
jsonl=$out/eval.jsonl
data=$runs/eval-data
"$py" "$root/bench/eval/make_prompts.py" "$data" --rows "$rows" --prompt-tokens "$prompt_tokens" \
  --tokenizer "$tokenizer" | tee "$out/data.json" || exit 1

gpu_name() {
  if [[ $device == cuda* ]] && command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name --format=csv,noheader -i "${CUDA_VISIBLE_DEVICES:-0}" | head -1
  else
    echo "$device"
  fi
}
# Peak GPU memory in use (nvidia-smi, MiB, the whole device) while a command runs: the same
# measure for both sides (ours does not report its allocator's peak in eval).
mem_start() {
  mem_file=$(mktemp)
  mem_pid=
  if [[ $device == cuda* ]] && command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "${CUDA_VISIBLE_DEVICES:-0}" -lms 200 \
      > "$mem_file" 2> /dev/null &
    mem_pid=$!
  fi
}
mem_stop() {  # prints the peak in GiB, or null
  [ -n "$mem_pid" ] && { kill "$mem_pid" 2> /dev/null; wait "$mem_pid" 2> /dev/null; }
  sort -n "$mem_file" | tail -1 | awk '{ if ($1 != "") printf "%.2f", $1 / 1024; else printf "null" } END { if (NR == 0) printf "null" }'
  rm -f "$mem_file"
}

# Ours: `socrates eval` on the whole test partition (every benchmark row), the experiment's
# model and data swapped for the shape's random weights and the benchmark's prompts.
ours() {  # ours NAME MAX_EXAMPLES CFG -> report dir
  local name=$1 max=$2 cfg=$3
  rm -rf "$runs/$name"
  "$exe" eval "$root/experiments/socrates-qwen2.5-14b-qlora.toml" --base --mode distribution --split test \
    --max-examples "$max" --out "$runs/$name" --log-format plain \
    --set run.name="$name" --set run.output_dir="$runs" --set run.device="$device" \
    --set model.path= --set model.shape="$cfg" --set model.quantize=none --set model.dtype="$dtype" \
    --set model.tokenizer="$tokenizer" \
    --set dataset.path="$data" --set dataset.format=jsonl --set dataset.validation_fraction=0 \
    --set evaluation.batch_size="$batch" \
    $(for kv in ${SETS:-}; do printf -- '--set %s ' "$kv"; done)
}

for s in $shapes; do
  cfg=$root/configs/models/$s/config.json
  [ -f "$cfg" ] || { echo "no shape $cfg" >&2; continue; }
  if [[ " $impls " == *" socrates "* ]]; then
    mem_start
    ours "eval-$s" 0 "$cfg" > "$out/socrates-$s.log" 2>&1
    rc=$?
    peak=$(mem_stop)
    one=
    if [ "${WARM_DIFF:-1}" = 1 ] && [ "$rows" -gt "$batch" ]; then
      ours "eval-$s-1batch" "$batch" "$cfg" > "$out/socrates-$s-1batch.log" 2>&1 && one=$runs/eval-$s-1batch/report.json
    fi
    "$py" - "$runs/eval-$s/report.json" "$one" "$s" "$batch" "$rc" "$peak" "$(gpu_name)" "$dtype" "$data/prompts.jsonl" \
      >> "$jsonl" <<'PY'
import datetime, json, sys
report, one, shape, batch, rc, peak, dev, dtype, prompts = sys.argv[1:]
lens = [json.loads(l)["tokens"] for l in open(prompts) if l.strip()]
r = {"impl": "socrates", "shape": shape, "mode": "distribution", "levels": 7, "rc": int(rc), "batch": int(batch),
     "prompt_tokens": sum(lens) / len(lens), "dtype": dtype, "device": dev,
     "peak_gib_nvsmi": None if peak == "null" else float(peak)}
try:
    m = json.load(open(report))["model"]
    r.update(rows=m["rows"], seconds=m["seconds"], predictions_per_s=m["predictions_per_second"])
    if one:
        o = json.load(open(one))["model"]
        if r["rows"] > o["rows"] and r["seconds"] > o["seconds"]:
            r.update(one_batch_s=o["seconds"],
                     predictions_per_s_warm=(r["rows"] - o["rows"]) / (r["seconds"] - o["seconds"]))
except (OSError, KeyError, ValueError) as e:
    r["error"] = f"no report ({e}); see socrates-{shape}.log"
r["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
r["report"] = report
print(json.dumps(r))
PY
    grep -E "predictions at|error|Error" "$out/socrates-$s.log" | tail -2
  fi
  if [[ " $impls " == *" hf "* ]]; then
    # The anchor: the same prompts, batch and dtype; one sampled answer of MAX_NEW_TOKENS tokens.
    mem_start
    "$py" "$root/bench/eval/hf_generate.py" --config "$cfg" --prompts "$data/prompts.jsonl" --tokenizer "$tokenizer" \
      --batch "$batch" --max-new-tokens "$new_tokens" --warmup "${HF_WARMUP:-2}" --device "$device" --dtype "$dtype" \
      > "$runs/hf-$s.json" 2> "$out/hf-$s.log"
    rc=$?
    peak=$(mem_stop)
    "$py" - "$runs/hf-$s.json" "$s" "$rc" "$peak" >> "$jsonl" <<'PY'
import json, sys
path, shape, rc, peak = sys.argv[1:]
try:
    r = json.loads(open(path).read().strip().splitlines()[-1])
except (OSError, IndexError, ValueError):
    r = {"impl": "hf-generate", "shape": shape, "error": f"failed (rc {rc}), see hf-{shape}.log"}
r["peak_gib_nvsmi"] = None if peak == "null" else float(peak)
print(json.dumps(r))
PY
  fi
  tail -n "$(( $(wc -w <<< "$impls") ))" "$jsonl"
done
