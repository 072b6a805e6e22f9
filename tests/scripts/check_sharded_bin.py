#!/usr/bin/python3
"""Checks a sharded PyTorch model (pytorch_model.bin.index.json + .bin shards)
that WeightScope saved in place, with torch.load.

usage: check_sharded_bin.py ORIGINAL_DIR SAVED_DIR [EXPR ...]

ORIGINAL_DIR is an untouched copy of the model folder, SAVED_DIR the folder
after saving. Each EXPR names a tensor as the index's weight_map does
("model.layers.0.self_attn.q_proj.weight[0, :] = 0.5"). The script
  - reads the index of both folders: SAVED's must be byte-identical;
  - loads every shard of ORIGINAL with torch.load, applies the edits (tensors
    that share a storage inside one shard, like tied weights, change together,
    as in PyTorch), loads the same shard of SAVED (weights_only False, and True
    where the original allows it) and compares it as check_roundtrip.py does:
    keys in order, dtypes, shapes, values, parameters, shared storages;
    a shard that was zip must keep data.pkl and its record list byte for byte,
    a legacy shard may come back as a zip;
  - prints one line per shard, "changed <file>" or "unchanged <file>" (bytes
    compared with the original), and fails when a shard holding no edited
    tensor changed bytes (only the shards that hold edits may be rewritten).
Prints "OK" last and exits 0 on success; prints the differences and exits 1
when the saved folder is wrong; exits 2 on bad arguments.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_roundtrip import check_zip, compare, flatten, load, sharing  # noqa: E402
from edit_expressions import EXPR, apply, unknown_names  # noqa: E402

INDEX = "pytorch_model.bin.index.json"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    original, saved, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors, lines = [], []
    index_name = INDEX if os.path.exists(os.path.join(original, INDEX)) else next(
        n for n in sorted(os.listdir(original)) if n.endswith(".bin.index.json"))
    if read(os.path.join(original, index_name)) != read(os.path.join(saved, index_name)):
        errors.append(f"{index_name} is not byte-identical")
    weight_map = json.loads(read(os.path.join(original, index_name)))["weight_map"]
    shards = list(dict.fromkeys(weight_map.values()))
    if unknown_names(weight_map, exprs):
        print(f"edit expressions that name no tensor of the index: "
              f"{unknown_names(weight_map, exprs)}")
        return 2
    edited_names = {EXPR.match(e).group(1).strip() for e in exprs}
    edited_shards = {weight_map[n] for n in edited_names}
    for shard in shards:
        a_path, b_path = os.path.join(original, shard), os.path.join(saved, shard)
        if not os.path.exists(b_path):
            errors.append(f"{shard}: missing")
            continue
        changed = read(a_path) != read(b_path)
        lines.append(("changed " if changed else "unchanged ") + shard)
        if changed and shard not in edited_shards:
            errors.append(f"{shard}: holds no edited tensor but was rewritten")
        shard_errors = []
        check_zip(a_path, b_path, shard_errors)
        mine = [e for e in exprs if weight_map[EXPR.match(e).group(1).strip()] == shard]
        for weights_only in (False, True):
            try:
                expected = load(a_path, weights_only)
            except Exception:  # noqa: BLE001 - weights_only=True may refuse the original
                if weights_only:
                    continue
                raise
            try:
                got = load(b_path, weights_only)
            except Exception as exc:  # noqa: BLE001
                shard_errors.append(f"torch.load(weights_only={weights_only}) failed: {exc}")
                continue
            flat = flatten(expected)
            for e in mine:
                apply(flat, e)
            compare(expected, got, "root", shard_errors)
            if sharing(flatten(expected)) != sharing(flatten(got)):
                shard_errors.append(f"sharing {sharing(flatten(expected))} became "
                                    f"{sharing(flatten(got))}")
        errors += [f"{shard}: {e}" for e in dict.fromkeys(shard_errors)]
    print("\n".join(lines))
    if errors:
        print("\n".join(errors[:40]))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
