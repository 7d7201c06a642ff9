#!/usr/bin/env python3
"""Builds the tokenizer benchmark corpus (JSONL, one {"text": ...} per line), deterministically.

It holds every text of every tokenizer fixture (fixtures/tokenizers/*/reference_encodings.json)
plus synthetic social-science survey prompts (demographics, scenario, question, answer) with
varied words and numbers, some in chat format with special tokens, up to --mb megabytes.
"""
import argparse
import glob
import json
import os
import random

FIRST = ["Age", "Gender", "Education", "Income", "Political ideology", "Region", "Religion", "Race/ethnicity",
         "Employment", "Marital status", "Household size", "Party identification"]
VALUES = {
    "Gender": ["Female", "Male", "Non-binary", "Prefer not to say"],
    "Education": ["High school diploma", "Some college", "Bachelor's degree", "Master's degree", "Doctorate",
                  "Less than high school", "Associate degree"],
    "Political ideology": ["Very liberal", "Liberal", "Moderate", "Conservative", "Very conservative"],
    "Region": ["Northeast", "Midwest", "South", "West", "Pacific Northwest", "New England"],
    "Religion": ["Catholic", "Protestant", "Jewish", "Muslim", "Hindu", "Buddhist", "None", "Other"],
    "Race/ethnicity": ["White", "Black or African American", "Hispanic or Latino", "Asian", "Mixed", "Other"],
    "Employment": ["Full-time", "Part-time", "Unemployed", "Retired", "Student", "Self-employed"],
    "Marital status": ["Married", "Single", "Divorced", "Widowed", "Living with partner"],
    "Party identification": ["Strong Democrat", "Weak Democrat", "Independent", "Weak Republican",
                             "Strong Republican"],
}
NOUNS = ["participant", "neighbor", "stranger", "colleague", "partner", "group member", "official", "donor",
         "recipient", "voter", "candidate", "community", "charity", "policy", "tax", "subsidy", "reward", "fine"]
VERBS = ["contribute", "donate", "cooperate", "defect", "punish", "trust", "share", "invest", "vote", "support",
         "oppose", "report", "accept", "reject", "negotiate"]
ADJS = ["fair", "unfair", "generous", "selfish", "anonymous", "public", "private", "risky", "certain", "costly",
        "voluntary", "mandatory", "temporary", "permanent"]
GAMES = ["public goods game", "dictator game", "ultimatum game", "trust game", "prisoner's dilemma",
         "lottery choice task", "vignette experiment", "conjoint survey", "list experiment"]
SCALES = [("1", "Strongly disagree", "7", "Strongly agree"), ("0", "Not at all likely", "10", "Extremely likely"),
          ("1", "Never", "5", "Always"), ("0", "Very unfavorable", "100", "Very favorable")]


def demographics(rng):
    parts = []
    for key in rng.sample(FIRST, rng.randint(4, len(FIRST))):
        if key == "Age":
            v = str(rng.randint(18, 90))
        elif key == "Income":
            lo = rng.randrange(0, 200_000, 5_000)
            v = f"${lo:,}-${lo + rng.choice([5_000, 10_000, 25_000]):,}"
        elif key == "Household size":
            v = str(rng.randint(1, 8))
        else:
            v = rng.choice(VALUES[key])
        parts.append(f"{key}: {v}")
    return "Demographics: " + "; ".join(parts)


def scenario(rng):
    sents = []
    for _ in range(rng.randint(2, 6)):
        amount = rng.choice([f"${rng.randint(1, 500)}", f"{rng.randint(1, 100)} tokens", f"{rng.randint(1, 99)}%",
                             f"{rng.uniform(0, 50):.2f} points"])
        sents.append(
            f"A {rng.choice(ADJS)} {rng.choice(NOUNS)} can {rng.choice(VERBS)} {amount} with a "
            f"{rng.choice(ADJS)} {rng.choice(NOUNS)} in round {rng.randint(1, 20)} of the {rng.choice(GAMES)}."
        )
    return "Scenario: " + " ".join(sents)


def question(rng):
    lo, lo_label, hi, hi_label = rng.choice(SCALES)
    q = (f"Question: How much do you agree that the {rng.choice(NOUNS)} should {rng.choice(VERBS)}? "
         f"Scale: {lo} ({lo_label}) - {hi} ({hi_label})")
    return q, rng.randint(int(lo), int(hi))


def prompt(rng):
    q, ans = question(rng)
    body = f"{demographics(rng)}\n{scenario(rng)}\n{q}\nAnswer: {ans}"
    if rng.random() < 0.3:
        return (f"<|im_start|>system\nYou simulate a survey respondent.<|im_end|>\n<|im_start|>user\n{body}"
                f"<|im_end|>\n<|im_start|>assistant\n{ans}<|im_end|>")
    return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True, help="the shared fixtures directory")
    ap.add_argument("--out", required=True)
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fixture_texts = []
    for ref in sorted(glob.glob(os.path.join(args.fixtures, "tokenizers", "*", "reference_encodings.json"))):
        with open(ref, encoding="utf-8") as f:
            fixture_texts += [row["text"] for row in json.load(f)["rows"]]
    target = int(args.mb * 1_000_000)
    size = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for t in fixture_texts:
            out.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
            size += len(t.encode("utf-8"))
        while size < target:
            t = prompt(rng)
            if fixture_texts and rng.random() < 0.2:  # mix fixture snippets into the prompts
                t += "\n" + rng.choice(fixture_texts)
            out.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
            size += len(t.encode("utf-8"))


if __name__ == "__main__":
    main()
