#!/usr/bin/env python3
"""Writes a small SYNTHETIC dataset in the exact layout of SocSci210 (socratesft/SocSci210).

Nothing in it comes from real people: the studies, participants, demographics and answers
are drawn from the simple model below. It exists so the dataset plugin, the prompt formats
and a whole training run can be tested without the real data, and so that a small model
trained on some studies has something to learn that carries over to the others: every effect
on an answer is visible in the prompt (a condition sentence, a question wording and the
demographic fields, each with the same effect in every study).

    .venv/bin/python scripts/make_synthetic_socsci210.py [--seed 210] [--out data/synthetic-socsci210]

Output (see data/synthetic-socsci210/README.md):
    data/train-00000-of-00001.parquet   the rows (pyarrow, snappy, several row groups)
    data/train-00000-of-00001.jsonl     the same rows, one JSON object per line
    metadata/participant_mapping.json   {"seen": [study ids], "unseen": [study ids]}
    metadata/condition_mapping.json     {"seen": ["STUDY:condition_num", ...], "unseen": [...]}
    metadata/task_mapping.json          {"seen": ["STUDY:task_num", ...], "unseen": [...]}

It prints the rows' counts and, for the unseen (test) and the seen studies, the W1 of a
uniform guess and of an oracle that knows the generator's model but not the per-study shift
or the noise (computed as the `wasserstein` evaluator does).

The same seed gives byte-identical files (given the same pyarrow version for the parquet).
Only the standard library and pyarrow are used; `random.Random(seed)` drives every draw.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import statistics
from pathlib import Path

DEMOGRAPHIC_FIELDS = [
    "age", "gender", "education", "employment", "ethnicity", "income", "party_id", "ideology",
    "location", "marital_status", "household_size", "housing_ownership", "housing_type",
    "metro_status", "internet_access", "phone_service",
]

EDUCATION = ["Less than high school", "High school graduate", "Some college", "Bachelor's degree",
             "Graduate degree"]
INCOME = ["Under $10,000", "$10,000-$24,999", "$25,000-$49,999", "$50,000-$74,999",
          "$75,000-$99,999", "$100,000-$149,999", "$150,000 or more"]
PARTY = ["Strong Democrat", "Moderate Democrat", "Leans Democrat", "Independent",
         "Leans Republican", "Moderate Republican", "Strong Republican"]
IDEOLOGY = ["Extremely liberal", "Liberal", "Slightly liberal", "Moderate", "Slightly conservative",
            "Conservative", "Extremely conservative"]
ETHNICITY = [("White, Non-Hispanic", 62), ("Black, Non-Hispanic", 12), ("Hispanic", 16),
             ("Other, Non-Hispanic", 6), ("2+ Races, Non-Hispanic", 4)]
STATES = [("California", 12), ("Texas", 9), ("Florida", 7), ("New York", 6), ("Pennsylvania", 4),
          ("Illinois", 4), ("Ohio", 4), ("Georgia", 3), ("North Carolina", 3), ("Michigan", 3),
          ("New Jersey", 3), ("Virginia", 3), ("Washington", 2), ("Arizona", 2), ("Massachusetts", 2),
          ("Tennessee", 2), ("Indiana", 2), ("Missouri", 2), ("Maryland", 2), ("Wisconsin", 2),
          ("Colorado", 2), ("Minnesota", 2), ("Alabama", 1), ("Oregon", 1), ("Iowa", 1), ("Utah", 1),
          ("Kansas", 1), ("Nevada", 1), ("Maine", 1), ("Montana", 1)]
MARITAL = ["Married", "Widowed", "Divorced", "Separated", "Never married", "Living with partner"]
OWNERSHIP = [("Owned", 64), ("Rented for cash", 33), ("Occupied without payment of rent", 3)]
HOUSING = [("One-family house, detached", 63), ("One-family house, attached", 8),
           ("Building with 2+ apartments", 23), ("Mobile home", 5), ("Boat, RV, van, etc.", 1)]
PHONE = [("Cellphone only", 55), ("Cellphone and landline", 38), ("Landline only", 5),
         ("No telephone service", 2)]

# The answer model. Everything that moves an answer is visible in the prompt, and the same
# phrase or question wording has the same effect in every study, so a model trained on some
# studies can predict the others:
#   - a study is a proposal (TOPICS) with a political lean and an age lean: lean +1 means
#     conservatives favour it more, -1 liberals; age +1 means older people favour it more;
#   - each condition appends one shared framing sentence (CONDITIONS) with a fixed effect;
#   - each task asks one shared question (QUESTIONS) with a fixed baseline and fixed weights.
# Only a small per-study shift (STUDY_SD) and the per-answer noise (NOISE_SD) are unpredictable.
STUDY_SD = 0.2
NOISE_SD = 0.6

# (vignette, lean, age lean). The condition sentence follows the vignette.
TOPICS = [
    ("A city council is debating a proposal to raise the minimum wage to $15 an hour.", -1, 0),
    ("A school board is considering a proposal to extend the school day by one hour.", 0, 1),
    ("Congress is considering a proposal to let undocumented immigrants who came to the U.S. as "
     "children apply for citizenship.", -1, -1),
    ("A large company is considering a proposal to let every employee work from home three days a week.", 0, -1),
    ("Between 2010 and 2020 the state's spending on roads grew from 40 to 55 billion dollars. The "
     "governor is proposing a gas tax increase of 10 cents per gallon to pay for repairs.", -1, 0),
    ("The state legislature is considering a proposal to cut the income tax rate for small businesses.", 1, 0),
    ("Your state is considering a proposal to require a government-issued photo ID to vote.", 1, 1),
    ("The city is considering a proposal to build an apartment building with 200 units next to the "
     "central park.", 0, -1),
    ("Congress is considering a proposal to limit carbon emissions from power plants.", -1, -1),
    ("The police department is considering a proposal to send social workers instead of officers "
     "to some 911 calls.", -1, -1),
    ("The federal government is considering a proposal to double the number of border patrol agents.", 1, 1),
    ("A public health agency is considering a proposal to offer free flu shots at every pharmacy.", -1, 1),
    ("A state university is considering a proposal to stop requiring standardized test scores for "
     "admission.", -1, -1),
    ("Congress is considering a proposal to raise tariffs on imported steel by 25 percent.", 1, 1),
    ("The state is considering a proposal to send every resident a $300 check from its budget surplus.", 0, -1),
    ("A social media company is considering a proposal to remove posts that fact-checkers rate false.", -1, 0),
    ("The city is considering a proposal to add protected bike lanes on its main streets.", -1, -1),
    ("The state legislature is considering a proposal to allow concealed carry of handguns without "
     "a permit.", 1, 0),
    ("The county is considering a proposal to build a new prison to reduce overcrowding.", 1, 1),
    ("The state is considering a proposal to make community college free for all residents.", -1, -1),
    ("The city is considering a proposal to ban the sale of fireworks.", 0, 1),
    ("Congress is considering a proposal to allow drilling for oil in national forests.", 1, 0),
    ("The state is considering a proposal to require every high school to teach personal finance.", 0, 1),
    ("The city is considering a proposal to lower the speed limit on residential streets to 20 mph.", 0, 1),
    ("The state is considering a proposal to expand Medicaid to cover more low-income adults.", -1, 0),
    ("The school district is considering a proposal to let parents use public funds for private school "
     "tuition.", 1, 0),
    ("Congress is considering a proposal to raise the federal retirement age to 70.", 1, -1),
    ("The city is considering a proposal to ban gas-powered leaf blowers.", -1, 0),
    ("The state is considering a proposal to legalize recreational marijuana.", -1, -1),
    ("The county is considering a proposal to hire 50 more sheriff's deputies.", 1, 1),
    ("A hospital network is considering a proposal to require all of its staff to be vaccinated "
     "against the flu.", -1, 1),
    ("The state is considering a proposal to cap the interest rate on payday loans at 36 percent.", -1, 1),
    ("Congress is considering a proposal to cut federal funding for public broadcasting.", 1, 0),
    ("The city is considering a proposal to allow food trucks in downtown parking lots.", 0, -1),
    ("The state is considering a proposal to require a work requirement for food stamp recipients.", 1, 1),
    ("A large bank is considering a proposal to close its branches on Saturdays.", 0, -1),
    ("The state is considering a proposal to switch to year-round daylight saving time.", 0, -1),
    ("Congress is considering a proposal to build a wall along the entire southern border.", 1, 1),
    ("The city is considering a proposal to turn a golf course into a public park.", -1, -1),
    ("The state is considering a proposal to ban cell phones in public school classrooms.", 0, 1),
]

# (sentence, effect on the latent score): the between-subjects manipulations, shared by all studies.
CONDITIONS = [
    ("Experts estimate that the proposal would save taxpayers money.", 0.9),
    ("Experts estimate that the proposal would cost taxpayers money.", -0.9),
    ("A poll found that most people in your community support it.", 0.6),
    ("A poll found that most people in your community oppose it.", -0.6),
    ("A similar program in another state was a clear success.", 1.2),
    ("A similar program in another state was a costly failure.", -1.2),
    ("Supporters say it would help working families.", 0.7),
    ("Critics say it would hurt working families.", -0.7),
    ("No further details are given.", 0.0),
]

# The outcome questions, shared by all studies. base: the question's baseline on the latent
# score. valence: how much the answer is "for the proposal" (it scales the condition effect and
# the topic's political and age leans). age, female, education: the question's own slopes.
QUESTIONS = [
    dict(text="How much do you support or oppose this proposal?", anchors=("strongly oppose", "strongly support"),
         base=0.0, valence=1.0, age=0.0, female=0.0, education=0.0),
    dict(text="How fair is this proposal to people like you?", anchors=("very unfair", "very fair"),
         base=-0.5, valence=0.8, age=0.0, female=0.1, education=0.0),
    dict(text="How likely is it that this proposal would work as intended?", anchors=("not at all likely", "extremely likely"),
         base=-0.9, valence=0.7, age=0.0, female=0.0, education=-0.2),
    dict(text="How important is this issue to you personally?", anchors=("not at all important", "extremely important"),
         base=1.0, valence=0.2, age=0.3, female=0.2, education=0.0),
    dict(text="How much do you trust the officials behind this proposal?", anchors=("no trust at all", "complete trust"),
         base=-1.2, valence=0.6, age=0.2, female=0.0, education=0.0),
    dict(text="Would you sign a petition in support of this proposal?", anchors=("definitely not", "definitely yes"),
         base=-0.4, valence=1.0, age=-0.2, female=0.0, education=0.2),
    dict(text="How good or bad would this proposal be for the country?", anchors=("very bad", "very good"),
         base=0.3, valence=0.9, age=0.0, female=0.0, education=0.0),
    dict(text="How closely have you followed news about this issue?", anchors=("not at all closely", "very closely"),
         base=-0.6, valence=0.0, age=0.5, female=-0.1, education=0.3),
]
IDEOLOGY_W, PARTY_W, AGE_LEAN_W = 0.6, 0.3, 0.3
# Answer scales (number of levels, lowest value); each task draws one. Only 5- and 7-point
# scales (the most common in surveys): a tiny model can learn what the text says about the
# answer without first having to learn to read many different scales.
SCALES = [(5, 1), (7, 1)]
N_UNSEEN = 8
# Demographics every study records (the ones the answers depend on); each study also records a
# few of the others (OPTIONAL_FIELDS), as real studies record different columns.
CORE_FIELDS = ["age", "gender", "education", "party_id", "ideology"]


def weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def bucket(z: float, n: int) -> int:
    """Maps a standard-normal score onto 0..n-1 through equal-probability cut points."""
    u = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return min(n - 1, int(u * n))


def make_person(rng: random.Random):
    """Demographics plus the numeric scores the answer model uses."""
    age = min(90, max(18, int(rng.gauss(48, 17))))
    politics = rng.gauss(0, 1)  # liberal (-) .. conservative (+)
    edu = bucket(rng.gauss(0, 1), len(EDUCATION))
    ideology = bucket(politics + rng.gauss(0, 0.5), len(IDEOLOGY))
    party = bucket(0.9 * politics + rng.gauss(0, 0.6), len(PARTY))
    income = min(len(INCOME) - 1, max(0, int(rng.gauss(2.6 + 0.5 * edu, 1.4))))
    if age >= 65 and rng.random() < 0.75:
        employment = "Retired"
    else:
        employment = weighted(rng, [("Employed as paid employee", 60), ("Self-employed", 10),
                                    ("Looking for work", 8), ("Disabled", 6), ("Temporary layoff", 2),
                                    ("Not working - other", 8), ("Retired", 6)])
    if age < 25:
        marital = weighted(rng, [("Never married", 80), ("Living with partner", 15), ("Married", 5)])
    else:
        marital = weighted(rng, [(m, w) for m, w in zip(MARITAL, [52, 6 + age // 10, 11, 2, 20, 8])])
    size = 1 if marital in ("Widowed", "Never married") and rng.random() < 0.5 else max(1, min(7, int(rng.gauss(2.6, 1.2))))
    demo = {
        "age": str(age),
        "gender": "Female" if rng.random() < 0.52 else "Male",
        "education": EDUCATION[edu],
        "employment": employment,
        "ethnicity": weighted(rng, ETHNICITY),
        "income": INCOME[income],
        "party_id": PARTY[party],
        "ideology": IDEOLOGY[ideology],
        "location": weighted(rng, STATES),
        "marital_status": marital,
        "household_size": str(size),
        "housing_ownership": weighted(rng, OWNERSHIP),
        "housing_type": weighted(rng, HOUSING),
        "metro_status": "Non-Metro Area" if rng.random() < 0.15 else "Metro Area",
        "internet_access": "Non-internet household" if rng.random() < 0.06 else "Internet household",
        "phone_service": weighted(rng, PHONE),
    }
    scores = {
        "ideology": (ideology - 3) / 3.0, "party": (party - 3) / 3.0, "age": (age - 48) / 17.0,
        "female": 1.0 if demo["gender"] == "Female" else 0.0, "education": (edu - 2) / 2.0,
    }
    return demo, scores


def label(field: str) -> str:
    return field.replace("_", " ").title()  # "party_id" -> "Party Id", as the real prompts do


def render_prompt(demo: dict, stimuli: str) -> str:
    lines = [f"- {label(k)}: {v}" for k, v in demo.items() if v is not None]
    return ("You are a survey respondent with the following demographic profile:\n" + "\n".join(lines) +
            "\n\nRead the question below and answer exactly as this person would. "
            "Follow the response instructions precisely.\n\n" + stimuli)


def answer_format(levels: int, lo: int, anchors, listed: bool) -> str:
    hi = lo + levels - 1
    if listed:  # a format without "from X to Y": the plugin then leaves the scale unknown
        opts = [str(lo + i) for i in range(levels)]
        opts[0] += f" ({anchors[0]})"
        opts[-1] += f" ({anchors[1]})"
        return f"Only return the number of your answer: {', '.join(opts)}."
    return f"Only return an integer from {lo} to {hi}, where {lo} means {anchors[0]} and {hi} means {anchors[1]}."


def reasoning_text(demo: dict, response: int) -> str:
    who = ", ".join(v.lower() for v in (demo["ideology"], demo["party_id"]) if v) or "no stated politics"
    return f"Given their views ({who}), they would answer {response}."


def latent_mean(topic, cond_effect: float, q: dict, scores: dict) -> float:
    """The predictable part of a participant's latent score: everything but the study shift and
    the noise."""
    _, lean, age_lean = topic
    v = q["valence"]
    return (q["base"] + v * cond_effect +
            v * lean * (IDEOLOGY_W * scores["ideology"] + PARTY_W * scores["party"]) +
            v * age_lean * AGE_LEAN_W * scores["age"] +
            q["age"] * scores["age"] + q["female"] * scores["female"] + q["education"] * scores["education"])


def generate(seed: int):
    """Returns the rows, the three mappings, and per row what the oracle knows (its latent mean)."""
    rng = random.Random(seed)
    ids = [f"SYN{i:02d}" for i in range(1, len(TOPICS) + 1)]
    rows, truth = [], []
    cond_map = {"seen": [], "unseen": []}
    task_map = {"seen": [], "unseen": []}
    listed_tasks = {2, 10}  # studies whose last task uses the "list" answer format
    for s, topic in enumerate(TOPICS):
        sid = ids[s]
        n_people = rng.randint(24, 32)  # small studies keep all the files near 3 MB
        conditions = rng.sample(CONDITIONS, rng.choice([1, 2, 2]))
        questions = rng.sample(QUESTIONS, rng.choice([1, 1, 2]))
        scales = [rng.choice(SCALES) for _ in questions]
        study_shift = rng.gauss(0, STUDY_SD)  # the one study-level draw no text predicts
        # Whole columns some studies did not collect, plus scattered missing answers.
        optional = [f for f in DEMOGRAPHIC_FIELDS if f not in CORE_FIELDS]
        missing = set(rng.sample(optional, rng.randint(5, 9)))
        first_participant = rng.randint(1, 900)
        for p in range(n_people):
            demo, scores = make_person(rng)
            for f in DEMOGRAPHIC_FIELDS:
                if f in missing or rng.random() < 0.02:
                    demo[f] = None
            # A missing attribute is one the model cannot see; the answer then follows the average.
            seen_scores = dict(scores)
            for f, k in (("ideology", "ideology"), ("party_id", "party"), ("age", "age"),
                         ("gender", "female"), ("education", "education")):
                if demo[f] is None:
                    seen_scores[k] = 0.52 if k == "female" else 0.0
            c = rng.randrange(len(conditions))  # between-subjects conditions
            for t, q in enumerate(questions):
                levels, lo = scales[t]
                mean = latent_mean(topic, conditions[c][1], q, seen_scores)
                response = lo + bucket(study_shift + mean + rng.gauss(0, NOISE_SD), levels)
                stimuli = (topic[0] + " " + conditions[c][0] + "\n\n" + q["text"] + "\n\n" +
                           answer_format(levels, lo, q["anchors"], s in listed_tasks and t == len(questions) - 1))
                rows.append({
                    "sample_id": len(rows),
                    "participant": first_participant + p,
                    "study_id": sid,
                    "condition_num": c + 1,
                    "task_num": t + 1,
                    "demographic": dict(demo),
                    "stimuli": stimuli,
                    "prompt": render_prompt(demo, stimuli),
                    "reasoning": reasoning_text(demo, response),
                    "response": response,
                })
                truth.append({"mean": mean, "shift": study_shift, "levels": levels, "lo": lo,
                              "stated": not (s in listed_tasks and t == len(questions) - 1)})
        # Unseen-condition and unseen-task splits: one held-out condition/task per study that has several.
        held_c = rng.randrange(len(conditions)) if len(conditions) > 1 else None
        for c in range(len(conditions)):
            cond_map["unseen" if c == held_c else "seen"].append(f"{sid}:{c + 1}")
        held_t = rng.randrange(len(questions)) if len(questions) > 1 else None
        for t in range(len(questions)):
            task_map["unseen" if t == held_t else "seen"].append(f"{sid}:{t + 1}")
    unseen = sorted(rng.sample(ids, N_UNSEEN))
    part_map = {"seen": [i for i in ids if i not in unseen], "unseen": unseen}
    return rows, part_map, cond_map, task_map, truth


# ------------------------------------------------------------------ reference W1 on the test studies
# The same metric as the `wasserstein` evaluator (plugins/evaluator/wasserstein/README.md): per
# (study, condition, task) cell, W1 between the humans' answers and the predicted distribution
# (the mean of the rows' distributions), with the prediction clipped into the humans' range and
# W1 divided by that range's width (0 for a zero-width range); cells average within a study,
# then studies average.

def bucket_probs(mean: float, sd: float, levels: int):
    """P(bucket k) for a latent N(mean, sd^2) under bucket()'s equal-probability cut points."""
    nd = statistics.NormalDist()
    cdf = [0.0] + [statistics.NormalDist(mean, sd).cdf(nd.inv_cdf(j / levels)) for j in range(1, levels)] + [1.0]
    return [cdf[k + 1] - cdf[k] for k in range(levels)]


def cell_w1(humans, dist):
    """humans: the answers; dist: {value: probability} summing to 1."""
    lo, hi = min(humans), max(humans)
    if hi == lo:
        return 0.0
    clipped = {}
    for v, p in dist.items():
        clipped[min(hi, max(lo, v))] = clipped.get(min(hi, max(lo, v)), 0.0) + p
    points = sorted(set(humans) | set(clipped))
    n = len(humans)
    total, fh, fm = 0.0, 0.0, 0.0
    for a, b in zip(points, points[1:]):
        fh += sum(1 for h in humans if h == a) / n
        fm += clipped.get(a, 0.0)
        total += abs(fh - fm) * (b - a)
    return total / (hi - lo)


def reference_w1(rows, truth, studies):
    """Study-averaged W1 on `studies` of three predictions: "uniform" (over the stated scale, else
    the humans' range, as the evaluator's reference), "oracle" (the generator's own model given
    what the prompt shows: the latent mean from the text and the visible demographics, with the
    study shift and the noise unknown) and "oracle_shift" (the same, also knowing the study's
    shift: only the noise unknown)."""
    cells = {}
    for r, tr in zip(rows, truth):
        if r["study_id"] in studies:
            cells.setdefault((r["study_id"], r["condition_num"], r["task_num"]), []).append((r, tr))
    per_study = {}
    for (sid, _, _), members in sorted(cells.items()):
        humans = [r["response"] for r, _ in members]
        tr0 = members[0][1]
        values = range(tr0["lo"], tr0["lo"] + tr0["levels"]) if tr0["stated"] else range(min(humans), max(humans) + 1)
        scores = {"uniform": cell_w1(humans, {v: 1.0 / len(values) for v in values})}
        for name, shift, sd in (("oracle", False, math.hypot(NOISE_SD, STUDY_SD)), ("oracle_shift", True, NOISE_SD)):
            dist = {}
            for r, tr in members:
                m = tr["mean"] + (tr["shift"] if shift else 0.0)
                for k, p in enumerate(bucket_probs(m, sd, tr["levels"])):
                    dist[tr["lo"] + k] = dist.get(tr["lo"] + k, 0.0) + p / len(members)
            scores[name] = cell_w1(humans, dist)
        per_study.setdefault(sid, []).append(scores)
    return {name: statistics.fmean(statistics.fmean(c[name] for c in cs) for cs in per_study.values())
            for name in ("uniform", "oracle", "oracle_shift")}


def schema():
    import pyarrow as pa
    return pa.schema([
        ("sample_id", pa.int64()), ("participant", pa.int64()), ("study_id", pa.string()),
        ("condition_num", pa.int64()), ("task_num", pa.int64()),
        ("demographic", pa.struct([(f, pa.string()) for f in DEMOGRAPHIC_FIELDS])),
        ("stimuli", pa.string()), ("prompt", pa.string()), ("reasoning", pa.string()),
        ("response", pa.int64()),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=210)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "synthetic-socsci210")
    args = ap.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, part_map, cond_map, task_map, truth = generate(args.seed)
    (args.out / "data").mkdir(parents=True, exist_ok=True)
    (args.out / "metadata").mkdir(parents=True, exist_ok=True)
    stem = args.out / "data" / "train-00000-of-00001"
    with open(stem.with_suffix(".jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    table = pa.Table.from_pylist(rows, schema=schema())
    pq.write_table(table, stem.with_suffix(".parquet"), row_group_size=1000, compression="snappy")
    for name, m in (("participant", part_map), ("condition", cond_map), ("task", task_map)):
        with open(args.out / "metadata" / f"{name}_mapping.json", "w", encoding="utf-8", newline="\n") as f:
            json.dump(m, f, indent=1)
            f.write("\n")
    studies = sorted({r["study_id"] for r in rows})
    print(f"{len(rows)} rows, {len(studies)} studies, "
          f"{len({(r['study_id'], r['participant']) for r in rows})} participants -> {args.out}")
    for name, ids in (("test (unseen studies)", set(part_map["unseen"])), ("train (seen studies)", set(part_map["seen"]))):
        ref = reference_w1(rows, truth, ids)
        print(f"W1 on the {name}: uniform {ref['uniform']:.4f}, oracle {ref['oracle']:.4f} "
              f"(knowing the study shifts too: {ref['oracle_shift']:.4f})")


if __name__ == "__main__":
    main()
