#!/usr/bin/env python3
"""Makes a GPT-2-small-sized checkpoint (124M float32 parameters) for the benchmark.

Names and shapes follow Hugging Face's GPT2LMHeadModel state_dict; lm_head.weight
is tied to (shares its storage with) transformer.wte.weight.
Usage: /usr/bin/python3 make_gpt2_checkpoint.py OUT.pt
"""
import sys

import torch

torch.manual_seed(0)
V, P, D, L = 50257, 1024, 768, 12
sd = {}


def w(*shape, std=0.02):
    return torch.randn(*shape) * std


sd["transformer.wte.weight"] = w(V, D)
sd["transformer.wpe.weight"] = w(P, D, std=0.01)
for i in range(L):
    p = f"transformer.h.{i}."
    sd[p + "ln_1.weight"] = torch.ones(D)
    sd[p + "ln_1.bias"] = torch.zeros(D)
    sd[p + "attn.c_attn.weight"] = w(D, 3 * D)
    sd[p + "attn.c_attn.bias"] = torch.zeros(3 * D)
    sd[p + "attn.c_proj.weight"] = w(D, D)
    sd[p + "attn.c_proj.bias"] = torch.zeros(D)
    sd[p + "ln_2.weight"] = torch.ones(D)
    sd[p + "ln_2.bias"] = torch.zeros(D)
    sd[p + "mlp.c_fc.weight"] = w(D, 4 * D)
    sd[p + "mlp.c_fc.bias"] = torch.zeros(4 * D)
    sd[p + "mlp.c_proj.weight"] = w(4 * D, D)
    sd[p + "mlp.c_proj.bias"] = torch.zeros(D)
sd["transformer.ln_f.weight"] = torch.ones(D)
sd["transformer.ln_f.bias"] = torch.zeros(D)
sd["lm_head.weight"] = sd["transformer.wte.weight"]  # tied
n = sum(t.numel() for k, t in sd.items() if k != "lm_head.weight")
torch.save(sd, sys.argv[1])
print(f"wrote {sys.argv[1]}: {n / 1e6:.1f}M parameters")
