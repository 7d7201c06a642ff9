"""The evaluation benchmark's data: N participants whose Alpaca prompts are all exactly
--prompt-tokens tokens long (Qwen2.5 tokenizer), each asking for an answer on a 7-point scale.

Writes, under OUT_DIR:
  data/bench-00000-of-00001.jsonl  the rows in SocSci210's layout (the socsci210 dataset plugin
                                   reads it: [dataset] path = OUT_DIR, format = "jsonl")
  metadata/*_mapping.json          every benchmark study "unseen", so all N rows are the test
                                   partition; one small "seen" study keeps train non-empty
  prompts.jsonl                    {"sample_id", "text", "tokens", "scale_min", "scale_max"}: the
                                   prompt exactly as the alpaca prompt format renders it (default
                                   options), for the anchor (bench/eval/hf_generate.py)

python3 bench/eval/make_prompts.py OUT_DIR [--rows 512] [--prompt-tokens 320] [--tokenizer FILE]
"""
import argparse, json, pathlib, random, shutil

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--rows", type=int, default=512)
ap.add_argument("--prompt-tokens", type=int, default=320, help="tokens of every rendered prompt")
ap.add_argument("--tokenizer", default=str(pathlib.Path(__file__).resolve().parents[2] /
                                           "data/tokenizers/qwen2.5/tokenizer.json"))
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

from tokenizers import Tokenizer  # the anchor's dependency (bench/requirements.txt)

tok = Tokenizer.from_file(a.tokenizer)


def ntok(text):
    return len(tok.encode(text, add_special_tokens=False).ids)


# plugins/prompt_format/alpaca/alpaca.cpp with its default options; prompt_support.hpp's labels.
INSTRUCTION = ("Predict how the person described below would answer the question in the scenario. Respond with "
               "only their answer, in the format the scenario asks for.")
LABELS = {"age": "Age", "gender": "Gender", "education": "Education", "employment": "Employment",
          "ethnicity": "Ethnicity", "income": "Income", "party_id": "Party ID", "ideology": "Ideology",
          "location": "Location", "marital_status": "Marital Status", "household_size": "Household Size",
          "housing_ownership": "Housing Ownership", "housing_type": "Housing Type", "metro_status": "Metro Status",
          "internet_access": "Internet Access", "phone_service": "Phone Service"}


def render_alpaca(demographic, stimuli):
    items = [f"{LABELS[k]}: {v}" for k, v in demographic.items() if v is not None and v.strip()]
    keep = ("Demographics: " + "; ".join(items) + "\n") if items else ""
    return "### Instruction:\n" + INSTRUCTION + "\n\n### Input:\n" + keep + "Scenario: " + stimuli + "\n\n### Response:\n"


VALUES = {
    "age": [str(x) for x in range(18, 90)],
    "gender": ["Male", "Female"],
    "education": ["Less than high school", "High school graduate", "Some college", "Bachelor's degree",
                  "Graduate degree"],
    "employment": ["Employed full-time", "Employed part-time", "Unemployed", "Retired", "Student"],
    "ethnicity": ["White", "Black", "Hispanic", "Asian", "Other"],
    "income": ["Under $25,000", "$25,000-$49,999", "$50,000-$74,999", "$75,000-$99,999", "$100,000 or more"],
    "party_id": ["Strong Democrat", "Moderate Democrat", "Leans Democrat", "Independent", "Leans Republican",
                 "Moderate Republican", "Strong Republican"],
    "ideology": ["Extremely liberal", "Liberal", "Slightly liberal", "Moderate", "Slightly conservative",
                 "Conservative", "Extremely conservative"],
    "location": ["Northeast", "Midwest", "South", "West"],
    "marital_status": ["Married", "Never married", "Divorced", "Widowed"],
    "household_size": [str(x) for x in range(1, 7)],
    "housing_ownership": ["Owned", "Rented"],
    "housing_type": ["One-family house, detached", "Apartment", "Mobile home"],
    "metro_status": ["Metro Area", "Non-metro Area"],
    "internet_access": ["Internet household", "Non-internet household"],
    "phone_service": ["Landline and cellphone", "Cellphone only"],
}
PROPOSALS = [
    "A city council is debating a proposal to raise the minimum wage to $15 an hour.",
    "The state legislature is considering a bill to expand public transit with new bus lines.",
    "The school board proposes to start the school day one hour later for all high schools.",
    "The county is weighing a plan to build a solar farm on unused farmland near the highway.",
    "A proposal would require all new homes in the city to include a charging point for electric cars.",
    "The city is considering a proposal to build an apartment building with 200 units next to the central park.",
    "Lawmakers are debating a tax credit for families who care for an elderly relative at home.",
    "A ballot measure would fund free community college tuition through a small sales tax increase.",
]
QUESTIONS = [
    "How much do you support or oppose this proposal?",
    "How fair is this proposal to people like you?",
    "How good or bad would this proposal be for the country?",
    "How likely is it that this proposal would work as intended?",
]
# Background sentences: context that lengthens the stimulus (none says "integer from A to B").
FILLER = [
    "Background: the survey continues with context that does not change the question.",
    "The proposal was first discussed at a public meeting last spring.",
    "Local newspapers have covered the debate for several weeks.",
    "Both supporters and critics have presented their arguments to the council.",
    "An independent report summarised the expected costs and benefits.",
    "Residents were invited to send written comments before the vote.",
    "Several neighbouring towns have adopted similar measures in recent years.",
    "The final decision is expected before the end of the year.",
    "Officials say that the plan could be revised after a review period.",
    "Community groups have organised information sessions in libraries and schools.",
]
PAD_WORDS = [" Thank", " you", " for", " reading", " this", " carefully", " and", " please", " continue", " now"]
SCALE = "Only return an integer from 1 to 7, where 1 means strongly oppose and 7 means strongly support."


def make_stimuli(rng, demographic, target):
    head = rng.choice(PROPOSALS)
    question = rng.choice(QUESTIONS)

    def stim(background):
        return head + " " + background + "\n\n" + question + "\n\n" + SCALE

    sentences = []
    pool = FILLER[:]
    while True:  # whole sentences while they fit
        s = rng.choice(pool)
        trial = " ".join(sentences + [s])
        if ntok(render_alpaca(demographic, stim(trial))) > target:
            break
        sentences.append(s)
    background = " ".join(sentences)
    words = 0
    while ntok(render_alpaca(demographic, stim(background))) < target and words < 200:  # then single words
        for k in range(len(PAD_WORDS)):  # the next word that does not overshoot, if any
            w = PAD_WORDS[(words + k) % len(PAD_WORDS)]
            if ntok(render_alpaca(demographic, stim(background + w))) <= target:
                break
        background += w
        words += 1
    text = stim(background)
    return text, ntok(render_alpaca(demographic, text))


def make_exact(rng, demographic, target):
    """Draws stimuli until one renders to exactly `target` tokens (a pad word can add 2)."""
    best = None
    for _ in range(20):
        text, n = make_stimuli(rng, demographic, target)
        if best is None or abs(n - target) < abs(best[1] - target):
            best = (text, n)
        if n == target:
            break
    return best


rng = random.Random(a.seed)
out = pathlib.Path(a.out)
if out.exists():
    shutil.rmtree(out)
(out / "data").mkdir(parents=True)
(out / "metadata").mkdir()
studies = [f"BEN{i:02d}" for i in range(1, 9)]
rows, prompts = [], []
for i in range(a.rows):
    study = studies[i % len(studies)]
    demographic = {k: rng.choice(v) for k, v in VALUES.items()}
    stimuli, n = make_exact(rng, demographic, a.prompt_tokens)
    rows.append({"sample_id": i, "participant": i // len(studies), "study_id": study, "condition_num": 1,
                 "task_num": 1, "demographic": demographic, "stimuli": stimuli,
                 "prompt": render_alpaca(demographic, stimuli), "reasoning": "", "response": rng.randint(1, 7)})
    prompts.append({"sample_id": i, "text": render_alpaca(demographic, stimuli), "tokens": n,
                    "scale_min": 1, "scale_max": 7})
# One small seen study, so that the train partition is not empty.
for j in range(2):
    demographic = {k: rng.choice(v) for k, v in VALUES.items()}
    stimuli = rng.choice(PROPOSALS) + "\n\n" + QUESTIONS[0] + "\n\n" + SCALE
    rows.append({"sample_id": a.rows + j, "participant": j, "study_id": "SEEN1", "condition_num": 1, "task_num": 1,
                 "demographic": demographic, "stimuli": stimuli, "prompt": render_alpaca(demographic, stimuli),
                 "reasoning": "", "response": 4})
with open(out / "data" / "bench-00000-of-00001.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
with open(out / "prompts.jsonl", "w") as f:
    for p in prompts:
        f.write(json.dumps(p) + "\n")
units = lambda ss: [f"{s}:1" for s in ss]
(out / "metadata" / "participant_mapping.json").write_text(json.dumps({"seen": ["SEEN1"], "unseen": studies}))
for m in ("condition", "task"):
    (out / "metadata" / f"{m}_mapping.json").write_text(json.dumps({"seen": units(["SEEN1"]), "unseen": units(studies)}))
lens = [p["tokens"] for p in prompts]
print(json.dumps({"rows": a.rows, "prompt_tokens_mean": sum(lens) / len(lens), "prompt_tokens_min": min(lens),
                  "prompt_tokens_max": max(lens), "levels": 7, "out": str(out)}))
