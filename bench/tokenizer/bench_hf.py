#!/usr/bin/env python3
"""Times Hugging Face tokenizers on the benchmark corpus, single-threaded (run under taskset
with RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false; see run.sh). Prints one JSON line;
--ids-out writes the ids in bench_tokenizer's format (one line per document)."""
import argparse
import json
import statistics
import time

import tokenizers
from tokenizers import Tokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--ids-out")
    args = ap.parse_args()
    with open(args.corpus, encoding="utf-8") as f:
        docs = [json.loads(line)["text"] for line in f if line.strip()]
    nbytes = sum(len(d.encode("utf-8")) for d in docs)

    t0 = time.perf_counter()
    tok = Tokenizer.from_file(args.tokenizer)
    load_s = time.perf_counter() - t0

    def loop_pass():
        return [tok.encode(d, add_special_tokens=False).ids for d in docs]

    def batch_pass():
        return [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]

    results = {}
    ids = None
    for name, fn in (("encode", loop_pass), ("encode_batch", batch_pass)):
        first = None
        for w in range(args.warmup):
            t = time.perf_counter()
            ids = fn()
            if w == 0:
                first = time.perf_counter() - t
        times = []
        for _ in range(args.iters):
            t = time.perf_counter()
            ids = fn()
            times.append(time.perf_counter() - t)
        results[name] = (statistics.median(times), min(times), first)
    ntokens = sum(len(x) for x in ids)
    if args.ids_out:
        with open(args.ids_out, "w") as f:
            for x in ids:
                f.write(" ".join(map(str, x)) + "\n")
    best_name = min(results, key=lambda k: results[k][0])
    median, best, first = results[best_name]
    print(json.dumps({
        "impl": f"hf-tokenizers-{tokenizers.__version__}", "mode": best_name, "docs": len(docs), "bytes": nbytes,
        "tokens": ntokens, "load_s": load_s, "first_pass_s": first, "median_s": median, "best_s": best,
        "mb_per_s": nbytes / median / 1e6, "tokens_per_s": ntokens / median,
        "first_pass_mb_per_s": nbytes / first / 1e6 if first else 0.0,
        "modes": {k: {"median_s": v[0], "mb_per_s": nbytes / v[0] / 1e6, "tokens_per_s": ntokens / v[0],
                   "first_pass_mb_per_s": nbytes / v[2] / 1e6 if v[2] else 0.0} for k, v in results.items()},
    }))


if __name__ == "__main__":
    main()
