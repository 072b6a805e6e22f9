#!/usr/bin/python3
"""Writes a Llama-shaped model as bf16 safetensors shards plus model.safetensors.index.json,
the way Hugging Face lays one out, for the LLM-scale benchmark (issue 14).

Usage: /usr/bin/python3 bench/make_llm_model.py OUT_DIR [--8b]
  default: Llama-3.2-3B shape (vocab 128256, hidden 3072, 28 layers, 2 shards, ~6.4 GB)
  --8b:    Llama-3.1-8B shape (hidden 4096, intermediate 14336, 32 layers, 4 shards, ~16 GB)
Values are normal * 0.02, rounded to bf16 (slices at random offsets of a pool of 64M
such values: drawing billions of normals would take minutes). The file is written in chunks through
np.memmap: the model is never in memory. Nothing is written when the index exists.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

SHAPES = {
    # 3B ties its output layer to the embedding; 8B has its own lm_head.weight.
    "3b": dict(vocab=128256, hidden=3072, inter=8192, layers=28, kv=1024, shards=2, head=False),
    "8b": dict(vocab=128256, hidden=4096, inter=14336, layers=32, kv=1024, shards=4, head=True),
}
CHUNK = 16 << 20  # elements per chunk written (32 MB of bf16)
POOL = 64 << 20  # random bf16 values drawn once; chunks are slices at random offsets


def tensors(s):
    """(name, shape) in Hugging Face's order."""
    h, i, kv = s["hidden"], s["inter"], s["kv"]
    out = [("model.embed_tokens.weight", (s["vocab"], h))]
    for n in range(s["layers"]):
        p = f"model.layers.{n}."
        out += [(p + "input_layernorm.weight", (h,)),
                (p + "self_attn.q_proj.weight", (h, h)),
                (p + "self_attn.k_proj.weight", (kv, h)),
                (p + "self_attn.v_proj.weight", (kv, h)),
                (p + "self_attn.o_proj.weight", (h, h)),
                (p + "post_attention_layernorm.weight", (h,)),
                (p + "mlp.gate_proj.weight", (i, h)),
                (p + "mlp.up_proj.weight", (i, h)),
                (p + "mlp.down_proj.weight", (h, i))]
    out.append(("model.norm.weight", (h,)))
    if s["head"]:
        out.append(("lm_head.weight", (s["vocab"], h)))
    return out


def to_bf16(x):
    """float32 -> bf16 bit patterns (uint16), rounding to nearest even."""
    bits = x.astype(np.float32).view(np.uint32)
    bits = bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))
    return (bits >> 16).astype(np.uint16)


def split(items, shards):
    """Consecutive groups of roughly equal byte size."""
    sizes = [2 * int(np.prod(shape)) for _, shape in items]
    target = sum(sizes) / shards
    groups, cur, acc = [], [], 0
    for item, size in zip(items, sizes):
        if cur and acc + size > target * (len(groups) + 1) and len(groups) < shards - 1:
            groups.append(cur)
            cur = []
        cur.append(item)
        acc += size
    groups.append(cur)
    return groups


def write_shard(path, items, rng, pool):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in items:
        n = 2 * int(np.prod(shape))
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        f.truncate(8 + len(hjson) + offset)
    data = np.memmap(tmp, dtype=np.uint16, mode="r+", offset=8 + len(hjson))
    pos = 0
    for name, shape in items:
        n = int(np.prod(shape))
        if name.endswith("norm.weight"):
            data[pos:pos + n] = to_bf16(np.ones(n, np.float32))
        else:
            for a in range(0, n, CHUNK):
                b = min(n, a + CHUNK)
                start = int(rng.integers(0, POOL))
                data[pos + a:pos + b] = pool[start:start + b - a]
        pos += n
        data.flush()
    del data
    os.replace(tmp, path)
    return offset


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    shape = SHAPES["8b" if "--8b" in sys.argv else "3b"]
    index = os.path.join(out, "model.safetensors.index.json")
    if os.path.exists(index):
        print(f"{index} exists, reused")
        return
    os.makedirs(out, exist_ok=True)
    items = tensors(shape)
    need = sum(2 * int(np.prod(s)) for _, s in items)
    free = shutil.disk_usage(out).free
    if free < need + (20 << 30):
        sys.exit(f"{out}: {need / 2**30:.1f} GiB needed, {free / 2**30:.1f} GiB free "
                 "(keeping 20 GiB spare)")
    rng = np.random.default_rng(14)
    # Drawing 3 to 8 billion normals takes minutes; slices of a 64M pool look the same.
    pool = to_bf16(rng.standard_normal(POOL + CHUNK, np.float32) * np.float32(0.02))
    groups = split(items, shape["shards"])
    weight_map, total = {}, 0
    for k, group in enumerate(groups):
        fname = f"model-{k + 1:05d}-of-{len(groups):05d}.safetensors"
        total += write_shard(os.path.join(out, fname), group, rng, pool)
        weight_map.update({name: fname for name, _ in group})
        print(f"wrote {fname} ({len(group)} tensors)", flush=True)
    with open(index + ".part", "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    os.replace(index + ".part", index)
    print(f"{index}: {len(items)} tensors, {total / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
