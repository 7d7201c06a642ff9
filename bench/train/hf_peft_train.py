"""The anchor: HF transformers + PEFT (+ bitsandbytes for QLoRA) LoRA training steps.

Random weights of a config.json shape, batch B x S of fixed random tokens, LoRA on the seven
projections, AdamW (or bitsandbytes AdamW8bit) on the adapter, gradient checkpointing.
Prints one JSON line: tokens/s (median step), step time, peak allocated memory.

python3 bench/train/hf_peft_train.py --config configs/models/qwen2.5-14b/config.json --quant nf4
"""
import argparse, json, os, statistics, time

import torch
from transformers import AutoConfig, AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--config", required=True)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--seq", type=int, default=256)
ap.add_argument("--steps", type=int, default=8)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--r", type=int, default=32)
ap.add_argument("--alpha", type=int, default=64)
ap.add_argument("--quant", choices=["none", "nf4", "fp4"], default="none")
ap.add_argument("--optim", choices=["adamw", "adamw8bit"], default="adamw")
ap.add_argument("--no-checkpointing", action="store_true")
# HF's Trainer with bf16=True runs the forward under autocast, which computes PEFT's LoRA
# products in bf16 (ours: [adapter] compute = "input"); without it PEFT computes them in fp32.
ap.add_argument("--autocast", action="store_true")
a = ap.parse_args()

cfg = AutoConfig.from_pretrained(os.path.dirname(a.config))
torch.manual_seed(0)
t_load = time.perf_counter()
with torch.device("cuda"):  # setup, not timed: random bf16 weights made on the GPU
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")

if a.quant != "none":
    # What from_pretrained(quantization_config=BitsAndBytesConfig(...)) builds: every decoder
    # linear becomes bnb.nn.Linear4bit (double quantisation, bf16 compute); lm_head stays bf16.
    import bitsandbytes as bnb

    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, lin in list(parent.named_children()):
                if not isinstance(lin, torch.nn.Linear):
                    continue
                q = bnb.nn.Linear4bit(lin.in_features, lin.out_features, bias=lin.bias is not None,
                                      compute_dtype=torch.bfloat16, compress_statistics=True,
                                      quant_type=a.quant, device="meta")
                q.weight = bnb.nn.Params4bit(lin.weight.data, requires_grad=False, quant_type=a.quant,
                                             compress_statistics=True, blocksize=64).to("cuda")
                if lin.bias is not None:
                    q.bias = torch.nn.Parameter(lin.bias.data, requires_grad=False)
                setattr(parent, name, q)
                del lin
    torch.cuda.empty_cache()

from peft import LoraConfig, get_peft_model

model = get_peft_model(model, LoraConfig(
    r=a.r, lora_alpha=a.alpha, lora_dropout=0.05, task_type="CAUSAL_LM",
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
model.train()
checkpointing = not a.no_checkpointing
if checkpointing:
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
params = [p for p in model.parameters() if p.requires_grad]
if a.optim == "adamw8bit":
    import bitsandbytes as bnb
    opt = bnb.optim.AdamW8bit(params, lr=1e-5, weight_decay=0.1)
else:
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.1)
torch.cuda.synchronize()
load_s = time.perf_counter() - t_load

g = torch.Generator(device="cuda").manual_seed(1)
ids = torch.randint(cfg.vocab_size, (a.batch, a.seq), device="cuda", generator=g)
labels = ids.clone()
labels[:, : a.seq // 2] = -100  # loss on the second half only, as a prompt/answer mask


def step():
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.autocast):
        out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)


for _ in range(a.warmup):
    step()
torch.cuda.synchronize()
torch.cuda.reset_peak_memory_stats()
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    torch.cuda.synchronize()
    times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(json.dumps({
    "impl": "hf+peft" + ("+bitsandbytes" if a.quant != "none" or a.optim == "adamw8bit" else ""),
    "config": a.config, "quant": a.quant, "optim": a.optim, "batch": a.batch, "seq": a.seq,
    "checkpointing": checkpointing, "autocast": a.autocast, "r": a.r, "steps": a.steps, "warmup": a.warmup,
    "step_s": med, "tokens_per_s": a.batch * a.seq / med,
    "peak_gib": torch.cuda.max_memory_allocated() / 2**30, "setup_s": load_s,
    "device": torch.cuda.get_device_name(), "torch": torch.__version__,
}))
