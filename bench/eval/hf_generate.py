"""The anchor for evaluation speed: HF transformers `generate` with sampling, one sampled answer
per participant, on the prompts of bench/eval/make_prompts.py.

Random weights of a config.json shape made on the device, bf16, SDPA attention; prompts
tokenised with the same tokenizer.json, left-padded batches, model.generate(do_sample=True,
max_new_tokens=4, temperature=1.0, top_p=1.0; top_k stays transformers' default 50).
Warm-up batches (the first ones of the same prompts) are not timed. The timed loop covers, per
batch: tokenising, padding, the copy to the device, generate, decoding and parsing the answer,
the same steps that our distribution scoring's timed loop covers (tokenising the prompts, the
forward passes, the answer probabilities); model creation is outside it on both sides.
predictions/s = rows / seconds of the timed loop. Prints one JSON line.

python3 bench/eval/hf_generate.py --config configs/models/qwen2.5-14b/config.json --prompts DIR/prompts.jsonl
"""
import argparse, datetime, json, os, re, statistics, time

import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ap = argparse.ArgumentParser()
ap.add_argument("--config", required=True, help="configs/models/<shape>/config.json")
ap.add_argument("--prompts", required=True, help="prompts.jsonl from bench/eval/make_prompts.py")
ap.add_argument("--tokenizer", default=os.path.join(root, "data/tokenizers/qwen2.5/tokenizer.json"))
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--rows", type=int, default=0, help="first N prompts (0: all)")
ap.add_argument("--max-new-tokens", type=int, default=4)
ap.add_argument("--temperature", type=float, default=1.0)
ap.add_argument("--top-p", type=float, default=1.0)
ap.add_argument("--top-k", type=int, default=50, help="transformers' default; 0 turns it off")
ap.add_argument("--warmup", type=int, default=2, help="untimed batches first")
ap.add_argument("--device", default="cuda")
ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

dev = torch.device(a.device)
cuda = dev.type == "cuda"
rows = [json.loads(l) for l in open(a.prompts) if l.strip()]
if a.rows > 0:
    rows = rows[: a.rows]
texts = [r["text"] for r in rows]
tok = Tokenizer.from_file(a.tokenizer)
pad_id = tok.token_to_id("<|endoftext|>")

cfg = AutoConfig.from_pretrained(os.path.dirname(os.path.abspath(a.config)))
torch.manual_seed(a.seed)
t_load = time.perf_counter()
with dev:  # setup, not timed: random weights made on the device
    model = AutoModelForCausalLM.from_config(cfg, dtype=getattr(torch, a.dtype), attn_implementation="sdpa")
model.eval()
if cuda:
    torch.cuda.synchronize()
setup_s = time.perf_counter() - t_load


def batch_inputs(batch_texts):
    enc = tok.encode_batch(batch_texts, add_special_tokens=False)
    L = max(len(e.ids) for e in enc)
    ids = torch.full((len(enc), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(enc), L), dtype=torch.long)
    for i, e in enumerate(enc):  # left padding, as generation needs
        n = len(e.ids)
        ids[i, L - n:] = torch.tensor(e.ids, dtype=torch.long)
        mask[i, L - n:] = 1
    return ids.to(dev, non_blocking=True), mask.to(dev, non_blocking=True), sum(len(e.ids) for e in enc)


answer_re = re.compile(r"-?\d+")


def run_batch(batch_texts):
    ids, mask, ntok = batch_inputs(batch_texts)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, max_new_tokens=a.max_new_tokens,
                             temperature=a.temperature, top_p=a.top_p, top_k=a.top_k, pad_token_id=pad_id)
    new = out[:, ids.shape[1]:].tolist()
    valid, new_tokens = 0, 0
    eos = set(model.generation_config.eos_token_id if isinstance(model.generation_config.eos_token_id, list)
              else [model.generation_config.eos_token_id])
    for seq in new:
        n = next((i + 1 for i, t in enumerate(seq) if t in eos), len(seq))
        new_tokens += n
        m = answer_re.search(tok.decode(seq[:n], skip_special_tokens=True))
        valid += bool(m and 1 <= int(m.group()) <= 7)
    return ntok, new_tokens, valid


batches = [texts[i: i + a.batch] for i in range(0, len(texts), a.batch)]
warm_times = []
for b in batches[: a.warmup]:
    t0 = time.perf_counter()
    run_batch(b)
    if cuda:
        torch.cuda.synchronize()
    warm_times.append(time.perf_counter() - t0)
if cuda:
    torch.cuda.reset_peak_memory_stats()
prompt_tokens = new_tokens = valid = 0
times = []
t_start = time.perf_counter()
for b in batches:
    t0 = time.perf_counter()
    p, n, v = run_batch(b)  # .tolist() inside synchronises with the device
    times.append(time.perf_counter() - t0)
    prompt_tokens, new_tokens, valid = prompt_tokens + p, new_tokens + n, valid + v
seconds = time.perf_counter() - t_start
print(json.dumps({
    "impl": "hf-generate", "shape": os.path.basename(os.path.dirname(os.path.abspath(a.config))),
    "rows": len(texts), "batch": a.batch, "prompt_tokens": prompt_tokens / len(texts),
    "new_tokens": new_tokens / len(texts), "max_new_tokens": a.max_new_tokens, "do_sample": True,
    "temperature": a.temperature, "top_p": a.top_p, "top_k": a.top_k, "valid_answers": valid,
    "warmup_batches": len(warm_times), "warmup_s": warm_times, "batch_s_median": statistics.median(times),
    "seconds": seconds, "predictions_per_s": len(texts) / seconds,
    "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
    "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30 if cuda else None,
    "setup_s": setup_s, "dtype": a.dtype, "device": torch.cuda.get_device_name() if cuda else a.device,
    "torch": torch.__version__, "transformers": transformers.__version__,
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
}))
