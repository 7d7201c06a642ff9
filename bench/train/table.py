"""Markdown table of bench/train/run.sh output: ours next to the anchor, per case, with the ratio.

python3 bench/train/table.py OUT/train.jsonl [DEVICE-AND-DATE]
"""
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
note = sys.argv[2] if len(sys.argv) > 2 else ""
cases = {}
for r in rows:
    case = r.get("case") or (f"{r['config'].split('/')[-2]}-{r['quant']}"
                             + ("" if r.get("checkpointing", True) else "-nockpt"))
    cases.setdefault(case, {})["ours" if r["impl"] == "socrates" else "anchor"] = r


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "—"


print(f"| case | Socrates tokens/s | anchor tokens/s | ratio | peak GiB, Socrates / anchor |")
print("|---|---|---|---|---|")
for case, c in cases.items():

    o, a = c.get("ours", {}), c.get("anchor", {})
    if not a:  # a tagged variant of ours (TAG=...): the anchor of the case it extends
        base = max((k for k in cases if case.startswith(k) and "anchor" in cases[k]), key=len, default=None)
        a = cases[base]["anchor"] if base else {}
    ot, at = o.get("tokens_per_s"), a.get("tokens_per_s")
    ratio = f"**{ot / at:.2f}×**" if ot and at else "—"
    print(f"| {case} | {fmt(ot, ',.0f')} | {fmt(at, ',.0f')} | {ratio} | {fmt(o.get('peak_gib'), '.1f')} / "
          f"{fmt(a.get('peak_gib'), '.1f')} |")
if note:
    print(f"\n{note}")
