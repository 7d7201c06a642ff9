#!/usr/bin/env bash
# Tokenizer benchmark: socrates::BpeTokenizer (bench_tokenizer) against Hugging Face
# tokenizers (bench_hf.py) on the same corpus, both single-threaded on one core. Checks that
# both give identical ids for the whole corpus and writes bench/results/tokenizer-<date>.md.
#
# usage: bench/tokenizer/run.sh [BUILD_DIR]       (default: build)
# env:   TOKENIZER  tokenizer.json to use (default: the first fixtures/tokenizers/*/tokenizer.json)
#        CORPUS_MB  corpus size in MB (default 4); BENCH_CPU core to pin to (default 0)
#        ITERS      timed passes after one warm-up pass (default 5); PYTHON (default .venv/bin/python)
# Needs: bench_tokenizer built in BUILD_DIR (ninja -C BUILD_DIR bench_tokenizer), and
#        tokenizers installed: .venv/bin/pip install -r bench/requirements.txt
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
FIXTURES="$(cd "$ROOT/../shared/fixtures" 2>/dev/null && pwd || true)"
CPU="${BENCH_CPU:-0}"
ITERS="${ITERS:-5}"
BENCH_BIN="$BUILD/bin/bench_tokenizer"
WORK="$BUILD/bench/tokenizer"

if [[ -z "${TOKENIZER:-}" ]]; then
  TOKENIZER="$(ls "$FIXTURES"/tokenizers/*/tokenizer.json 2>/dev/null | head -n1 || true)"
fi
[[ -n "$TOKENIZER" && -f "$TOKENIZER" ]] || { echo "run.sh: no tokenizer.json (set TOKENIZER=...)" >&2; exit 2; }
[[ -x "$BENCH_BIN" ]] || { echo "run.sh: $BENCH_BIN missing; run: ninja -C $BUILD bench_tokenizer" >&2; exit 2; }
"$PY" -c 'import tokenizers' 2>/dev/null || {
  echo "run.sh: HF tokenizers missing; run: $PY -m pip install -r $ROOT/bench/requirements.txt" >&2; exit 2; }

mkdir -p "$WORK" "$ROOT/bench/results"
echo "corpus: building ${CORPUS_MB:-4} MB in $WORK/corpus.jsonl"
"$PY" "$ROOT/bench/tokenizer/make_corpus.py" --fixtures "${FIXTURES:-/nonexistent}" --out "$WORK/corpus.jsonl" --mb "${CORPUS_MB:-4}"

# One core, one thread, for both.
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=1
PIN=(taskset -c "$CPU")
command -v taskset >/dev/null || PIN=()

echo "socrates: $BENCH_BIN"
"${PIN[@]}" "$BENCH_BIN" --tokenizer "$TOKENIZER" --corpus "$WORK/corpus.jsonl" --warmup 1 --iters "$ITERS" \
  --ids-out "$WORK/ids_socrates.txt" > "$WORK/socrates.json"
cat "$WORK/socrates.json"
echo "hf tokenizers: bench_hf.py"
"${PIN[@]}" "$PY" "$ROOT/bench/tokenizer/bench_hf.py" --tokenizer "$TOKENIZER" --corpus "$WORK/corpus.jsonl" \
  --warmup 1 --iters "$ITERS" --ids-out "$WORK/ids_hf.txt" > "$WORK/hf.json"
cat "$WORK/hf.json"

DATE="$(date +%F)"
OUT="$ROOT/bench/results/tokenizer-$DATE.md"
CPU_MODEL="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc --all 2>/dev/null || echo '?') CPUs"
"$PY" - "$WORK" "$OUT" "$TOKENIZER" "$DATE" "${CPU_MODEL:-unknown}" "$CPU" "$LOAD" <<'PYEOF'
import hashlib, json, sys
work, out, tokenizer, date, cpu_model, cpu, load = sys.argv[1:]
s = json.load(open(f"{work}/socrates.json"))
h = json.load(open(f"{work}/hf.json"))
a = open(f"{work}/ids_socrates.txt").read().splitlines()
b = open(f"{work}/ids_hf.txt").read().splitlines()
first_diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
identical = len(a) == len(b) and first_diff is None
sha = hashlib.sha256(open(tokenizer, "rb").read()).hexdigest()
ratio = s["mb_per_s"] / h["mb_per_s"]
lines = [
    f"# Tokenizer benchmark, {date}",
    "",
    f"- Machine: {cpu_model} (pinned to CPU {cpu} with taskset; RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false)",
    f"- Load average after the runs: {load} (other work shares this machine; compare the ratio)",
    f"- Tokenizer: `{tokenizer}` (sha256 {sha[:16]}...)",
    f"- Corpus: {s['docs']} documents, {s['bytes'] / 1e6:.2f} MB, {s['tokens']:,} tokens "
    "(fixture texts plus synthetic survey prompts; bench/tokenizer/make_corpus.py)",
    f"- Method: one warm-up pass, then the median of the timed passes over the whole corpus.",
    f"- Identical ids on the whole corpus: **{'yes' if identical else 'NO (first differing document: %s)' % first_diff}**",
    "",
    "| implementation | MB/s | tokens/s | first (cold) pass MB/s | load s |",
    "|---|---:|---:|---:|---:|",
    f"| socrates BpeTokenizer (C++, encode_into) | {s['mb_per_s']:.2f} | {s['tokens_per_s']:,.0f} | "
    f"{s['first_pass_mb_per_s']:.2f} | {s['load_s']:.2f} |",
]
for mode, m in h["modes"].items():
    lines.append(f"| HF {h['impl']} ({mode}) | {m['mb_per_s']:.2f} | {m['tokens_per_s']:,.0f} | "
                 f"{m['first_pass_mb_per_s']:.2f} | {h['load_s']:.2f} |")
lines += ["", f"socrates / HF (best HF mode, {h['mode']}): **{ratio:.1f}x** the throughput.", ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
sys.exit(0 if identical else 1)
PYEOF
echo "wrote $OUT"
