#!/usr/bin/env python3
"""Writes a small SYNTHETIC dataset in the exact layout of SocSci210 (socratesft/SocSci210).

Nothing in it comes from real people: the studies, participants, demographics and answers
are drawn from the simple model below. It exists so the dataset plugin, the prompt formats
and a whole training run can be tested without the real data.

    .venv/bin/python scripts/make_synthetic_socsci210.py [--seed 210] [--out data/synthetic-socsci210]

Output (see data/synthetic-socsci210/README.md):
    data/train-00000-of-00001.parquet   the rows (pyarrow, snappy, several row groups)
    data/train-00000-of-00001.jsonl     the same rows, one JSON object per line
    metadata/participant_mapping.json   {"seen": [study ids], "unseen": [study ids]}
    metadata/condition_mapping.json     {"seen": ["STUDY:condition_num", ...], "unseen": [...]}
    metadata/task_mapping.json          {"seen": ["STUDY:task_num", ...], "unseen": [...]}

The same seed gives byte-identical files (given the same pyarrow version for the parquet).
Only the standard library and pyarrow are used; `random.Random(seed)` drives every draw.
"""
from __future__ import annotations

import argparse
import json
import math
import random
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

# Study templates: a vignette with a {cond} slot, condition texts, and outcome tasks.
# Each task: question, (low anchor, high anchor), and the signs of its ideology/age effects.
STUDIES = [
    ("A city council is debating a new policy. {cond}",
     ["The policy would raise the minimum wage to $15 an hour.",
      "The policy would raise the minimum wage to $15 an hour, phased in over five years.",
      "The policy would raise the minimum wage to $12 an hour."],
     [("How much do you support or oppose this policy?", ("strongly oppose", "strongly support"), -1, 0),
      ("How likely is it that this policy would cost jobs in your area?", ("not at all likely", "extremely likely"), 1, 0)]),
    ("Imagine you read a news story about a local school. {cond}",
     ["The school plans to extend the school day by one hour.",
      "The school plans to replace homework with supervised study time."],
     [("How good or bad is this idea?", ("very bad", "very good"), -1, -1)]),
    ("Consider the following proposal about immigration. {cond}",
     ["Undocumented immigrants who came to the U.S. as children could apply for citizenship.",
      "Undocumented immigrants who have worked in the U.S. for ten years could apply for citizenship.",
      "Undocumented immigrants could apply for a temporary work permit.",
      "The number of border patrol agents would double."],
     [("Do you favor or oppose this proposal?", ("strongly oppose", "strongly favor"), -1, 1),
      ("How important is this issue to you personally?", ("not at all important", "extremely important"), 0, 1),
      ("Would you sign a petition in support of this proposal?", ("definitely not", "definitely yes"), -1, 0)]),
    ("A company announced that it will {cond}",
     ["let every employee work from home three days a week.",
      "require every employee to work in the office five days a week."],
     [("How fair is this decision to the employees?", ("very unfair", "very fair"), 0, 1)]),
    ("Between 2010 and 2020 the state's spending on roads grew from 40 to 55 billion dollars. {cond}",
     ["The governor proposes a gas tax increase of 10 cents per gallon to pay for repairs.",
      "The governor proposes new toll roads to pay for repairs."],
     [("How much do you support the governor's proposal?", ("strongly oppose", "strongly support"), -1, 1),
      ("How much do you trust the state government to spend the money well?", ("no trust at all", "complete trust"), -1, 0)]),
    ("You are told about a new medical treatment. {cond}",
     ["It was approved after a two-year clinical trial.",
      "It was approved on an emergency basis after a six-month trial.",
      "It has not been approved yet but is available abroad."],
     [("How willing would you be to take this treatment if your doctor recommended it?", ("not at all willing", "completely willing"), 1, -1)]),
    ("A candidate for the U.S. Senate gave a speech. {cond}",
     ["In it, the candidate promised to cut taxes for small businesses.",
      "In it, the candidate promised to expand health insurance to everyone.",
      "In it, the candidate promised to reduce the national debt."],
     [("How likely would you be to vote for this candidate?", ("extremely unlikely", "extremely likely"), 1, 0),
      ("How competent does this candidate seem?", ("not at all competent", "extremely competent"), 1, 0)]),
    ("Think about the following situation at work. {cond}",
     ["A coworker takes credit for an idea that was yours."],
     [("How angry would you feel?", ("not at all angry", "extremely angry"), 0, -1),
      ("How likely would you be to complain to your supervisor?", ("not at all likely", "extremely likely"), 0, -1)]),
    ("A proposal would change how elections are run in your state. {cond}",
     ["Every registered voter would receive a mail-in ballot.",
      "Voters would need to show a government-issued photo ID."],
     [("Do you support or oppose this change?", ("strongly oppose", "strongly support"), -1, 0),
      ("How confident are you that elections in your state are counted accurately?", ("not at all confident", "extremely confident"), 0, 1)]),
    ("Here is a short description of a neighborhood. {cond}",
     ["A new apartment building with 200 units will be built near the park.",
      "A new homeless shelter will be built near the park.",
      "A new shopping center will be built near the park."],
     [("How would you feel about living in this neighborhood?", ("very negative", "very positive"), 1, 1)]),
    ("Scientists report that average temperatures in your region rose last decade. {cond}",
     ["The report says that human activity is the main cause.",
      "The report does not say what caused the rise."],
     [("How worried are you about climate change?", ("not at all worried", "extremely worried"), -1, -1),
      ("Should the government limit emissions from power plants?", ("definitely not", "definitely yes"), -1, -1),
      ("Is climate change caused mostly by human activity?", ("no", "yes"), -1, 0)]),
    ("Imagine that you find a wallet on the street with $100 in it. {cond}",
     ["The wallet contains the owner's ID and address.",
      "The wallet contains no ID."],
     [("How likely would you be to return the money?", ("not at all likely", "extremely likely"), 0, 1)]),
    ("A police department is considering a new program. {cond}",
     ["Officers would wear body cameras at all times on duty.",
      "Social workers would respond to some 911 calls instead of officers."],
     [("How much do you support this program?", ("strongly oppose", "strongly support"), -1, 0),
      ("How much do you trust the police in your community?", ("no trust at all", "complete trust"), 1, 1)]),
    ("You are offered a choice about your savings. {cond}",
     ["Option A pays $500 today; option B pays $600 in one year.",
      "Option A pays $500 today; option B pays $550 in one year."],
     [("Which option would you choose?", ("definitely option A", "definitely option B"), 0, 1)]),
    ("Read the following statement from a public health agency. {cond}",
     ["Adults should get a flu shot every fall.",
      "Adults should get a flu shot every fall; it is free at most pharmacies.",
      "Adults should get a flu shot every fall; most of your neighbors already did.",
      "Adults should get a flu shot every fall to protect older relatives."],
     [("How likely are you to get a flu shot this year?", ("not at all likely", "extremely likely"), -1, 1),
      ("How much do you trust this agency?", ("no trust at all", "complete trust"), -1, 0)]),
    ("A university announced a change in admissions. {cond}",
     ["Standardized test scores will no longer be required.",
      "Children of alumni will no longer receive an advantage."],
     [("How much do you approve of this change?", ("strongly disapprove", "strongly approve"), -1, -1)]),
    ("Consider a proposal about trade. {cond}",
     ["The U.S. would raise tariffs on imported steel by 25 percent.",
      "The U.S. would remove all tariffs on imported steel."],
     [("How good or bad would this be for the U.S. economy?", ("very bad", "very good"), 1, 0),
      ("How good or bad would this be for you personally?", ("very bad", "very good"), 0, 0)]),
    ("Imagine a new neighbor moves in next door. {cond}",
     ["The neighbor is a recent immigrant from Mexico.",
      "The neighbor is a retired police officer.",
      "The neighbor is a college student."],
     [("How comfortable would you feel with this neighbor?", ("very uncomfortable", "very comfortable"), 0, 0),
      ("How likely would you be to invite this neighbor for dinner?", ("not at all likely", "extremely likely"), 0, -1)]),
    ("A state is deciding how to spend a budget surplus. {cond}",
     ["The proposal is to send every resident a $300 check.",
      "The proposal is to put the money into a rainy-day fund."],
     [("How much do you support this proposal?", ("strongly oppose", "strongly support"), 0, -1)]),
    ("A social media company changed its rules. {cond}",
     ["Posts that fact-checkers rate false will be removed.",
      "Posts that fact-checkers rate false will get a warning label."],
     [("How acceptable is this rule?", ("completely unacceptable", "completely acceptable"), -1, 0),
      ("How often do you see false information on social media?", ("never", "very often"), 1, -1)]),
]
# Answer scales (number of levels, lowest value); each task draws one.
SCALES = [(2, 0), (2, 1), (3, 1), (4, 1), (5, 1), (5, 1), (6, 1), (7, 1), (7, 1), (7, 1), (9, 1),
          (10, 1), (11, 0)]


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


def generate(seed: int):
    rng = random.Random(seed)
    ids = [f"SYN{i:02d}" for i in range(1, len(STUDIES) + 1)]
    rows = []
    cond_map = {"seen": [], "unseen": []}
    task_map = {"seen": [], "unseen": []}
    listed_tasks = {(2, 2), (10, 2)}  # (study index, task index) using the "list" answer format
    for s, (vignette, conditions, tasks) in enumerate(STUDIES):
        sid = ids[s]
        n_people = rng.randint(40, 50)  # the low end of the real range keeps the files < 3 MB
        scales = [rng.choice(SCALES) for _ in tasks]
        # Per-task effects: condition shifts, and demographic slopes (signs from the template).
        effects = []
        for t, (_, _, ideo_sign, age_sign) in enumerate(tasks):
            effects.append({
                "base": rng.gauss(0, 0.4),
                "cond": [rng.gauss(0, 0.6) for _ in conditions],
                "ideology": ideo_sign * rng.uniform(0.5, 1.0) + rng.gauss(0, 0.1),
                "party": ideo_sign * rng.uniform(0.2, 0.5),
                "age": age_sign * rng.uniform(0.2, 0.5),
                "female": rng.gauss(0, 0.25),
                "education": rng.gauss(0, 0.2),
            })
        # Whole columns some studies did not collect, plus scattered missing answers.
        missing = set(rng.sample(DEMOGRAPHIC_FIELDS[4:], rng.choice([0, 0, 1, 2, 3])))
        first_participant = rng.randint(1, 900)
        for p in range(n_people):
            demo, scores = make_person(rng)
            for f in DEMOGRAPHIC_FIELDS:
                if f in missing or rng.random() < 0.02:
                    demo[f] = None
            c = rng.randrange(len(conditions))  # between-subjects conditions
            for t, (question, anchors, _, _) in enumerate(tasks):
                levels, lo = scales[t]
                e = effects[t]
                latent = (e["base"] + e["cond"][c] + e["ideology"] * scores["ideology"] +
                          e["party"] * scores["party"] + e["age"] * scores["age"] +
                          e["female"] * scores["female"] + e["education"] * scores["education"] +
                          rng.gauss(0, 0.8))
                response = lo + bucket(latent, levels)
                stimuli = (vignette.format(cond=conditions[c]) + "\n\n" + question + "\n\n" +
                           answer_format(levels, lo, anchors, (s, t) in listed_tasks))
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
        # Unseen-condition and unseen-task splits: one held-out condition/task per study that has several.
        held_c = rng.randrange(len(conditions)) if len(conditions) > 1 else None
        for c in range(len(conditions)):
            cond_map["unseen" if c == held_c else "seen"].append(f"{sid}:{c + 1}")
        held_t = rng.randrange(len(tasks)) if len(tasks) > 1 else None
        for t in range(len(tasks)):
            task_map["unseen" if t == held_t else "seen"].append(f"{sid}:{t + 1}")
    unseen = sorted(rng.sample(ids, 4))
    part_map = {"seen": [i for i in ids if i not in unseen], "unseen": unseen}
    return rows, part_map, cond_map, task_map


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

    rows, part_map, cond_map, task_map = generate(args.seed)
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


if __name__ == "__main__":
    main()
