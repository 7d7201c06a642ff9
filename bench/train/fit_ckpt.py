"""The largest `training.checkpoint_layers` whose peak memory stays under the anchor's, from the
runs of one case in bench/train/run.sh's train.jsonl: the case itself (every layer recomputed)
and its variants that set `training.checkpoint_layers=K` (their "sets"). Each layer that is not
recomputed adds the same memory, taken as the largest per-layer growth the variants showed.

python3 bench/train/fit_ckpt.py TRAIN_JSONL CASE LAYERS [MARGIN_GIB]
  prints N (the number of layers to recompute) or nothing when the rows do not suffice.
python3 bench/train/fit_ckpt.py --fits TRAIN_JSONL CASE RUN
  exits 0 when our run RUN peaked at no more than CASE's anchor, else 1.
python3 bench/train/fit_ckpt.py --self-test
"""
import json, math, sys


def peak(rows, ours, case):
    """The last peak of `case`'s row, ours or the anchor's; None when there is none."""
    return next((r["peak_gib"] for r in reversed(rows)
                 if (r.get("impl") == "socrates") == ours and r.get("case") == case and r.get("peak_gib")), None)


def fits(rows, case, run):
    ours, anchor = peak(rows, True, run), peak(rows, False, case)
    return ours is not None and anchor is not None and ours <= anchor


def fit(rows, case, layers, margin=0.05):
    anchor, full = peak(rows, False, case), peak(rows, True, case)
    if anchor is None or full is None:
        return None
    budget = anchor - margin
    ours = [r for r in rows if r.get("impl") == "socrates" and r.get("peak_gib")]
    base_sets = next((r.get("sets", []) for r in reversed(ours) if r.get("case") == case), [])
    growth = []
    for r in ours:
        if not r.get("case", "").startswith(case + "-"):
            continue
        # Only variants that add checkpoint_layers alone to the case's settings: another setting
        # (dropout_mask = "keep") changes the memory of every layer kept.
        sets = [kv for kv in r.get("sets", []) if kv not in base_sets]
        if len(sets) != 1 or not sets[0].startswith("training.checkpoint_layers="):
            continue
        k = int(sets[0].split("=", 1)[1])
        if k < layers:
            growth.append((r["peak_gib"] - full) / (layers - k))
    per_layer = max(growth, default=0.0)
    if per_layer <= 0:
        return None
    kept = max(0, min(layers, math.floor((budget - full) / per_layer)))
    return layers - kept


def self_test():
    rows = [{"impl": "socrates", "case": "m-none", "peak_gib": 17.0},
            {"impl": "socrates", "case": "m-none-ckpt20", "peak_gib": 21.0, "sets": ["training.checkpoint_layers=20"]},
            {"impl": "socrates", "case": "m-none-ckpt14", "peak_gib": 24.6, "sets": ["training.checkpoint_layers=14"]},
            {"impl": "hf+peft", "case": "m-none", "peak_gib": 24.1}]
    # Growth 0.5 and 0.543 GiB a layer; the larger: (24.05 - 17) / 0.543 = 12.98 -> 12 kept of 28.
    assert fit(rows, "m-none", 28) == 16, fit(rows, "m-none", 28)
    assert fit(rows[:3], "m-none", 28) is None, "no anchor"
    assert fit([rows[0], rows[3]], "m-none", 28) is None, "no variant"
    # A budget below the full-recompute peak keeps no layer; a huge one keeps all.
    assert fit(rows[:3] + [{"impl": "hf", "case": "m-none", "peak_gib": 10.0}], "m-none", 28) == 28
    assert fit(rows[:3] + [{"impl": "hf", "case": "m-none", "peak_gib": 99.0}], "m-none", 28) == 0
    # A variant that also changes another setting is not a measure of a layer's memory.
    keep = {"impl": "socrates", "case": "m-none-keep", "peak_gib": 26.0,
            "sets": ["adapter.dropout_mask=keep", "training.checkpoint_layers=20"]}
    assert fit(rows + [keep], "m-none", 28) == 16, fit(rows + [keep], "m-none", 28)
    # Settings common to every run of the case (SETS) do not count as the variant's.
    common = [dict(r, sets=["adapter.compute=input"] + r.get("sets", [])) if r["impl"] == "socrates" else r
              for r in rows + [keep]]
    assert fit(common, "m-none", 28) == 16, fit(common, "m-none", 28)
    fitted = rows + [{"impl": "socrates", "case": "m-none-fit16", "peak_gib": 24.3}]
    assert not fits(fitted, "m-none", "m-none-fit16"), "over the anchor's peak"
    fitted[-1]["peak_gib"] = 23.9
    assert fits(fitted, "m-none", "m-none-fit16")
    assert not fits(rows, "m-none", "m-none-fit12"), "no such run"
    print("fit_ckpt self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    if sys.argv[1] == "--fits":
        rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
        sys.exit(0 if fits(rows, sys.argv[3], sys.argv[4]) else 1)
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    n = fit(rows, sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.05)
    if n is not None:
        print(n)
