"""Markdown table of bench/eval/run.sh output: ours (distribution scoring) next to the anchor
(HF generate with sampling), per shape, with the ratio of predictions/s.

python3 bench/eval/table.py OUT/eval.jsonl [NOTE]
"""
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
note = sys.argv[2] if len(sys.argv) > 2 else ""
shapes = {}
for r in rows:
    shapes.setdefault(r["shape"], {})["ours" if r["impl"] == "socrates" else "anchor"] = r


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "—"


def ratio(a, b):
    return f"**{a / b:.2f}×**" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "—"


print("| shape | rows × prompt tokens, batch | Socrates distribution, predictions/s (without first batch) "
      "| HF generate, sampled, predictions/s | ratio (without first batch) | peak GiB (nvidia-smi), Socrates / HF |")
print("|---|---|---|---|---|---|")
devices = set()
for shape, c in shapes.items():
    o, a = c.get("ours", {}), c.get("anchor", {})
    devices.update(x["device"] for x in (o, a) if x.get("device"))
    ref = o or a
    op, ow, ap = o.get("predictions_per_s"), o.get("predictions_per_s_warm"), a.get("predictions_per_s")
    print(f"| {shape} | {fmt(ref.get('rows'), 'd')} × {fmt(ref.get('prompt_tokens'), '.0f')}, {fmt(ref.get('batch'), 'd')} "
          f"| {fmt(op, ',.1f')} ({fmt(ow, ',.1f')}) | {fmt(ap, ',.1f')} | {ratio(op, ap)} ({ratio(ow, ap)}) "
          f"| {fmt(o.get('peak_gib_nvsmi'), '.1f')} / {fmt(a.get('peak_gib_nvsmi'), '.1f')} |")
    for x in (o, a):
        if x.get("error"):
            print(f"|  | {x['impl']}: {x['error']} | | | | |")
a = next((c["anchor"] for c in shapes.values() if "anchor" in c), {})
if a:
    print(f"\nHF: `generate(do_sample=True, max_new_tokens={a.get('max_new_tokens')}, temperature={a.get('temperature')}, "
          f"top_p={a.get('top_p')}, top_k={a.get('top_k')})`, {a.get('dtype')}, SDPA, transformers {a.get('transformers')}, "
          f"torch {a.get('torch')}, {a.get('warmup_batches')} untimed warm-up batches.")
dates = sorted({r.get("date", "")[:10] for r in rows if r.get("date")})
print(f"\nDevice: {', '.join(sorted(devices)) or '?'}; date: {', '.join(dates) or '?'}.")
if note:
    print(f"\n{note}")
