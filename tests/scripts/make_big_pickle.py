#!/usr/bin/python3
"""Writes, at test time, a checkpoint whose pickle is big because of plain
Python objects, not tensors: a list of 6 million step counts beside a few
tensors. Too big to commit (data.pkl is about 33 MB), so tests call this.

usage: make_big_pickle.py OUT [COUNT]

Writes OUT with torch.save (zip format, pickle protocol 2):
    {"model": OrderedDict(weight f32 4x3, bias f32 4, ids int64 5),
     "steps": [i * 997 for i in range(COUNT)],   # COUNT = 6,000,000
     "epoch": 7, "tag": "big pickle"}
The step counts run through every integer opcode: BININT1 (0), BININT2,
BININT and LONG1 (from 2**31 on); APPENDS batches of 1000.
Then OUT.expected/expected.json and .npy files, read back with torch.load:
each tensor by key path (see tests/fixtures/realworld_util.py) with its
values, and for the list its key path, length, first and last 10 values, sum
(also as a decimal string: it exceeds 2**53) and how many exceed 2**31 - 1. Deterministic (seeded). Prints OUT; exits 0.
"""
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "fixtures"))
from realworld_util import write_json, write_torch_expected  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 6_000_000
    torch.manual_seed(1200)
    model = collections.OrderedDict(weight=torch.randn(4, 3), bias=torch.randn(4),
                                    ids=torch.arange(5) * 123456789)
    torch.save({"model": model, "steps": [i * 997 for i in range(count)], "epoch": 7,
                "tag": "big pickle"}, out)
    loaded = torch.load(out)
    steps = loaded["steps"]
    doc = write_torch_expected(out + ".expected", loaded, {
        "file": os.path.basename(out), "made_by": "torch.save(dict with a %d-int list)" % count,
        "torch_version": torch.__version__})
    doc["lists"] = [{"key_path": [["steps", "str"]], "length": len(steps),
                     "first": steps[:10], "last": steps[-10:], "sum": sum(steps), "sum_str": str(sum(steps)),
                     "above_int32": sum(1 for s in steps if s > 2 ** 31 - 1)}]
    doc["scalars"] = [{"key_path": [["epoch", "str"]], "value": loaded["epoch"]},
                      {"key_path": [["tag", "str"]], "value": loaded["tag"]}]
    write_json(os.path.join(out + ".expected", "expected.json"), doc)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
