#!/usr/bin/env bash
# Runs on a GPU machine: Socrates's real training path (`socrates run` on the paper's experiment
# file, random weights of the shape, the synthetic data) and the anchor, HF transformers + PEFT
# (+ bitsandbytes for QLoRA), side by side in one run on one GPU. One JSON line per case to
# $1/train.jsonl, the raw logs beside it.
#   bench/train/run.sh OUT_DIR [shape ...]        shape: qwen2.5-0.5b qwen2.5-7b qwen2.5-14b ...
#   QUANTS="nf4 none" STEPS=12 bench/train/run.sh ...
#   CKPT=off bench/train/run.sh ...   (gradient checkpointing off on both sides; default on)
#   TAG=-bf16lora ANCHOR=off SETS="adapter.compute=input" bench/train/run.sh ...   (a variant of ours:
#   TAG suffixes the case name, ANCHOR=off skips the anchor)
#   VARIANTS="ckpt20:training.checkpoint_layers=20 ckpt16:training.checkpoint_layers=16" bench/train/run.sh ...
#   (more runs of ours per case beside the same anchor run, named CASE-TAG)
#   FIT=1 VARIANTS="ckpt20:training.checkpoint_layers=20" bench/train/run.sh ...   (then one more run,
#   CASE-fitN, with the fewest recomputed layers whose peak stays under the anchor's: fit_ckpt.py)
#   SETS="training.profile_steps=2 training.profile_start=10" bench/train/run.sh ...   (more --set for ours;
#   the profile lands in the run's profile/ folder and is copied to OUT_DIR/profile-<case>.md)
# The anchor needs python3 with torch, transformers, peft and (for nf4) bitsandbytes.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:?usage: bench/train/run.sh OUT_DIR [shape ...]}
shift
shapes=${*:-qwen2.5-7b qwen2.5-14b}
quants=${QUANTS:-nf4 none}
steps=${STEPS:-12}
exe=${SOCRATES_BUILD_DIR:-$root/build}/bin/socrates
runs=${RUNS_DIR:-/tmp/socrates-bench-runs}
mkdir -p "$out" "$runs"
jsonl=$out/train.jsonl
# FIXED_LEN=256: every sequence of ours exactly that long, as the anchor's (prompts lengthened,
# then cut at max_seq_len); unset: the synthetic data's natural lengths.
data_sets=(--set dataset.path="$root/data/synthetic-socsci210")
if [ -n "${FIXED_LEN:-}" ]; then
  python3 "$root/bench/train/fixed_length_data.py" "$root/data/synthetic-socsci210" "$runs/fixed-data" > /dev/null
  data_sets=(--set dataset.path="$runs/fixed-data" --set dataset.format=jsonl --set data.max_seq_len="$FIXED_LEN")
fi

ckpt_sets=()
hf_args=()
# Ours computing LoRA in bf16 ([adapter] compute = "input") is compared with the anchor under
# bf16 autocast, which does the same to PEFT's layers (HF's Trainer with bf16=True).
case " ${SETS:-} " in *" adapter.compute=input "*) hf_args+=(--autocast) ;; esac
if [ "${CKPT:-on}" = off ]; then
  ckpt_sets=(--set training.gradient_checkpointing=false)
  hf_args+=(--no-checkpointing)
fi

# Ours on one case: ours NAME SHAPE_CONFIG QUANT OPTIM [extra --set pairs ...]; one JSON line.
ours() {
  local name=$1 cfg=$2 q=$3 optim=$4
  shift 4
  # Micro-batch 16 = global batch 16, gradient checkpointing, LoRA r=32 on all seven
  # projections, 8-bit AdamW for QLoRA as the paper's experiment file says.
  "$exe" run "$root/experiments/socrates-qwen2.5-14b-qlora.toml" \
    --set run.name="$name" --set run.output_dir="$runs" --set run.device="${DEVICE:-cuda}" \
    --set model.path= --set model.shape="$cfg" --set model.quantize="$q" \
    --set model.tokenizer="$root/data/tokenizers/qwen2.5/tokenizer.json" \
    "${data_sets[@]}" "${ckpt_sets[@]}" \
    --set optimizer.plugin="$optim" \
    --set training.global_batch_size=16 --set training.micro_batch_size=16 \
    --set training.max_steps="$steps" --set training.log_every=1 --set training.eval_every=0 \
    --set training.sample_generations=0 --set training.eval_max_examples=32 \
    --set evaluation.mode=distribution --set evaluation.max_examples=32 \
    --set evaluation.compare_base=false --set evaluation.during_training=false \
    $(for kv in ${SETS:-}; do printf -- '--set %s ' "$kv"; done) "$@" \
    > "$out/socrates-$name.log" 2>&1
  local rc=$?
  local run_dir
  run_dir=$(ls -dt "$runs/$name"-* 2>/dev/null | head -1)
  # The settings of this run beyond the common ones: SETS, then the variant's.
  local sets=(${SETS:-})
  while [ $# -ge 2 ]; do sets+=("$2"); shift 2; done
  python3 - "$run_dir" "$name" "$q" "$optim" "$rc" "${sets[@]}" >> "$jsonl" <<'PY'
import json, statistics, sys
run, name, quant, optim, rc = sys.argv[1:6]
sets = sys.argv[6:]
rows = []
try:
    for line in open(f"{run}/metrics.jsonl"):
        j = json.loads(line)
        if j.get("kind") == "train" and "tokens_per_s" in j:
            rows.append(j)
except OSError:
    pass
warm = rows[3:] if len(rows) > 4 else rows
tps = statistics.median(r["tokens_per_s"] for r in warm) if warm else None
mfu = statistics.median(r.get("mfu", 0) for r in warm) if warm else None
hfu = statistics.median(r.get("hfu", 0) for r in warm) if warm else None
print(json.dumps({"impl": "socrates", "case": name, "quant": quant, "optim": optim, "rc": int(rc),
                  "steps_measured": len(warm), "tokens_per_s": tps, "mfu": mfu, "hfu": hfu,
                  "peak_gib": max((r.get("peak_mem_gib", 0) for r in rows), default=None),
                  "loss_first": rows[0]["loss"] if rows else None, "loss_last": rows[-1]["loss"] if rows else None,
                  "sets": sets, "run_dir": run}))
PY
  grep -E "W1|error|Error" "$out/socrates-$name.log" | tail -3
  [ -f "$run_dir/profile/summary.md" ] && cp "$run_dir/profile/summary.md" "$out/profile-$name.md"
  return 0
}

# VARIANTS="ckpt20:training.checkpoint_layers=20 nodrop:adapter.dropout=0,training.checkpoint_layers=16":
# more runs of ours per case, each TAG:SET[,SET...] named CASE-TAG, beside the same anchor run.
for s in $shapes; do
  cfg=$root/configs/models/$s/config.json
  for q in $quants; do
    optim=adamw8bit
    [ "$q" = none ] && optim=adamw
    name=$s-$q
    [ "${CKPT:-on}" = off ] && name=$name-nockpt
    name=$name${TAG:-}
    if [ "${ANCHOR:-on}" != off ]; then
      # The anchor first, so that a call cut at its time limit still has it: same shape, LoRA
      # settings, optimizer and micro-batch, 16 x 256 fixed tokens. Its JSON line gets the
      # case's name, so that table.py and fit_ckpt.py pair it with ours.
      python3 "$root/bench/train/hf_peft_train.py" --config "$cfg" --quant "$q" --optim "$optim" \
        --steps 8 --warmup 3 "${hf_args[@]}" 2> "$out/hf-$name.log" \
        | python3 -c 'import json,sys; [print(json.dumps({**json.loads(l), "case": sys.argv[1]})) for l in sys.stdin if l.strip()]' "$name" \
        >> "$jsonl"
      [ "${PIPESTATUS[0]}" = 0 ] \
        || echo "{\"impl\": \"hf+peft\", \"case\": \"$name\", \"error\": \"failed, see hf-$name.log\"}" >> "$jsonl"
      tail -2 "$jsonl"
    fi
    ours "$name" "$cfg" "$q" "$optim"
    for v in ${VARIANTS:-}; do
      extra=()
      IFS=, read -ra kvs <<< "${v#*:}"
      for kv in "${kvs[@]}"; do extra+=(--set "$kv"); done
      ours "$name-${v%%:*}" "$cfg" "$q" "$optim" "${extra[@]}"
    done
    # FIT=1: one more run of ours recomputing the fewest layers that keep its peak under the
    # anchor's, from the peaks of this case and its checkpoint_layers variants (fit_ckpt.py);
    # one layer more if that run still went over.
    if [ "${FIT:-0}" = 1 ] && [ "${ANCHOR:-on}" != off ]; then
      layers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_hidden_layers"])' "$cfg")
      for try in 1 2; do
        n=$(python3 "$root/bench/train/fit_ckpt.py" "$jsonl" "$name" "$layers") || break
        [ -n "$n" ] || { echo "FIT: $name needs its anchor and a checkpoint_layers variant"; break; }
        [ "$try" = 2 ] && n=$((n + 1))
        [ "$n" -le "$layers" ] || break
        ours "$name-fit$n" "$cfg" "$q" "$optim" --set training.checkpoint_layers="$n"
        python3 "$root/bench/train/fit_ckpt.py" --fits "$jsonl" "$name" "$name-fit$n" && break
      done
    fi
  done
done
