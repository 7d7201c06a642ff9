"""transformers side of bench_model: same shape, batch, steps and FLOP count.

python3 bench/model/hf_bench_model.py --config configs/models/qwen2.5-0.5b/config.json --batch 16 --seq 256 [--checkpointing]
"""
import argparse, json, time

import torch
from transformers import AutoConfig, AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--config", required=True)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--seq", type=int, default=256)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--checkpointing", action="store_true")
a = ap.parse_args()

cfg = AutoConfig.from_pretrained(a.config.rsplit("/", 1)[0])
torch.manual_seed(0)
with torch.device("cuda"):  # initialise on the GPU: setup time only, not timed
    model = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
model.train()
if a.checkpointing:
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
ids = torch.randint(cfg.vocab_size, (a.batch, a.seq), device="cuda")


def step():
    model.zero_grad(set_to_none=True)
    out = model(input_ids=ids, labels=ids)
    out.loss.backward()


for _ in range(a.warmup):
    step()
torch.cuda.synchronize()
torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
torch.cuda.synchronize()
secs = time.perf_counter() - t0
tps = a.batch * a.seq * a.steps / secs
print(json.dumps({"impl": "transformers", "config": a.config, "batch": a.batch, "seq": a.seq,
                  "checkpointing": a.checkpointing, "tokens_per_s": tps,
                  "peak_gib": torch.cuda.max_memory_allocated() / 2**30}))
