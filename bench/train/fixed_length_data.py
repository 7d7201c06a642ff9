"""A copy of a SocSci210-layout data set (JSON lines) whose prompts are all long enough to be
cut at the benchmark's sequence length, so that every training sequence has exactly that many
tokens, as the anchor's fixed 16 x 256 batch has: bench/train/run.sh uses it with FIXED_LEN.

python3 bench/train/fixed_length_data.py SRC_DIR DST_DIR [--repeats 40]
"""
import argparse, json, pathlib, shutil

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("--repeats", type=int, default=40, help="filler sentences added to every stimulus")
a = ap.parse_args()
src, dst = pathlib.Path(a.src), pathlib.Path(a.dst)
if dst.exists():
    shutil.rmtree(dst)
shutil.copytree(src / "metadata", dst / "metadata")
(dst / "data").mkdir(parents=True)
filler = " ".join(["Background: the survey continues with context that does not change the question."] * a.repeats)
n = 0
for f in sorted((src / "data").glob("*.jsonl")):
    with open(f) as inp, open(dst / "data" / f.name, "w") as out:
        for line in inp:
            row = json.loads(line)
            row["stimuli"] = filler + "\n\n" + row["stimuli"]
            out.write(json.dumps(row) + "\n")
            n += 1
print(f"{n} rows with {a.repeats} filler sentences each in {dst}")
