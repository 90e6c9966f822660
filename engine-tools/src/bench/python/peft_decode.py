"""PEFT's mixed-adapter batch beside the bare base model, one decode step with a KV cache, on one GPU.

The peer figure for `bin/platform bench engine --device gpu:0`: same shape (hidden 1024, intermediate 2816,
8 layers, 16 heads / 8 KV heads, vocab 2048, rank 16, context 64, batch max(32, D)), same dtype (fp32 by
default), rows spread over D distinct adapters, adapters on all 7 projections or on q_proj, v_proj only.
PEFT serves a mixed batch through `adapter_names=`, which runs each distinct adapter's rows in turn.
Prints one JSON object. Needs torch (CUDA), transformers and peft; builds its random model itself.
"""
import argparse
import copy
import json
import statistics
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

ALL7 = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--distinct", default="1,8,32,64")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    a = p.parse_args()
    dtype = getattr(torch, a.dtype)
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=1024, intermediate_size=2816, num_hidden_layers=8, num_attention_heads=16,
                         num_key_value_heads=8, vocab_size=2048, max_position_embeddings=4096,
                         tie_word_embeddings=False)
    out = {"command": "python3 engine/src/bench/python/peft_decode.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(a).items()),
        "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "dtype": a.dtype,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "timing": f"median of {a.reps} after {a.warmup} warm-up steps, base and PEFT interleaved", "by_distinct": []}
    for d in [int(x) for x in a.distinct.split(",")]:
        row = {"distinct_adapters": d, "batch": max(a.batch, d)}
        for kind, targets in (("all7", ALL7), ("qv", ["q_proj", "v_proj"])):
            bare = LlamaForCausalLM(config).to("cuda", dtype).eval()
            lora = LoraConfig(r=a.rank, lora_alpha=2 * a.rank, target_modules=targets, init_lora_weights=False)
            # PEFT wraps its base in place, and a disabled adapter still leaves the wrappers in the path:
            # the baseline is an untouched copy of the same weights
            model = get_peft_model(copy.deepcopy(bare), lora, adapter_name="a0")
            for i in range(1, d):
                model.add_adapter(f"a{i}", lora)
            model.to("cuda", dtype).eval()
            row[kind] = step_times(bare, model, d, max(a.batch, d), a.context, a.reps, a.warmup)
            del model, bare
            torch.cuda.empty_cache()
        out["by_distinct"].append(row)
    print(json.dumps(out))


@torch.no_grad()
def step_times(bare, model, d, batch, context, reps, warmup):
    prompt = torch.randint(0, 2048, (batch, context), device="cuda")
    names = [f"a{t % d}" for t in range(batch)]
    bare_cache = bare(input_ids=prompt, use_cache=True).past_key_values
    peft_cache = model(input_ids=prompt, use_cache=True, adapter_names=names).past_key_values
    token = torch.randint(0, 2048, (batch, 1), device="cuda")

    def step(adapters):
        cache = peft_cache if adapters else bare_cache
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        if adapters:
            logits = model(input_ids=token, past_key_values=cache, use_cache=True, adapter_names=names).logits
        else:
            logits = bare(input_ids=token, past_key_values=cache, use_cache=True).logits
        logits[0, 0, 0].item()
        ms = (time.perf_counter() - t0) * 1e3
        cache.crop(-1)  # drop the step's token: every step starts from the same cache length
        return ms

    base, peft = [], []
    for r in range(warmup + reps):
        b, m = step(False), step(True)
        if r >= warmup:
            base.append(b)
            peft.append(m)
    base_ms, peft_ms = statistics.median(base), statistics.median(peft)
    return {"base_ms": round(base_ms, 3), "peft_mixed_ms": round(peft_ms, 3), "peft_mixed_ratio": round(peft_ms / base_ms, 3),
            "peft_mixed_ratio_median_of_rounds": round(statistics.median(m / b for m, b in zip(peft, base)), 3)}


if __name__ == "__main__":
    main()
