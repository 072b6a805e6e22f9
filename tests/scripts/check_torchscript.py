#!/usr/bin/python3
"""Checks a TorchScript archive WeightScope saved, with torch.jit.load.

usage: check_torchscript.py SAVED EXPECTED_DIR [EXPR ...]

EXPECTED_DIR is a fixture's expected folder, e.g.
tests/fixtures/realworld/torchscript/scripted.pt.expected; its expected.json
names the original archive ("archive", relative to EXPECTED_DIR) and a fixed
input (input.npy). The script
  - loads the original with torch.jit.load and applies each edit expression
    ("head.fc.weight[0:2, :] = 0.5", names as module.state_dict() gives them)
    in place, with PyTorch's own indexing and in-place operators;
  - checks that SAVED holds the same zip records in the same order, a valid
    CRC for each, every record stored except those the original compressed,
    each record's data 64-byte aligned as PyTorch writes it, and the records
    under code/, every .debug_pkl, constants.pkl, data.pkl and version
    byte-identical to the original's: same compression method, same CRC and
    the same compressed bytes (nothing re-deflated);
  - loads SAVED with torch.jit.load and compares every state_dict entry
    (name, order, parameter or buffer, dtype, shape, values) with the edited
    original;
  - runs both modules on the fixed input: the outputs must be equal.
Prints "OK" and exits 0 on success; prints the differences and exits 1 when
the saved file is wrong; exits 2 on bad arguments.
"""
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edit_expressions import apply, unknown_names  # noqa: E402


def raw_record(data, info):
    off = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[off + 26:off + 30])
    start = off + 30 + name_len + extra_len
    return start, data[start:start + info.compress_size]


def kept_verbatim(name):
    rel = name.split("/", 1)[1] if "/" in name else name
    return (rel.startswith("code/") or rel.endswith(".debug_pkl") or
            rel in ("constants.pkl", "data.pkl", "version") or rel.startswith("extra/"))


def check_records(original, saved, errors):
    if not zipfile.is_zipfile(saved):
        errors.append("saved file is not a zip archive")
        return
    with open(original, "rb") as f:
        odata = f.read()
    with open(saved, "rb") as f:
        sdata = f.read()
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(saved) as zs:
        bad = zs.testzip()
        if bad is not None:
            errors.append(f"bad CRC in record {bad}")
        if zo.namelist() != zs.namelist():
            errors.append(f"records {zo.namelist()} became {zs.namelist()}")
        for info in zs.infolist():
            start, _ = raw_record(sdata, info)
            if start % 64:
                errors.append(f"record {info.filename} is not 64-byte aligned")
            try:
                oinfo = zo.getinfo(info.filename)
            except KeyError:
                continue
            if info.compress_type != oinfo.compress_type:
                errors.append(f"record {info.filename}: compression {oinfo.compress_type} "
                              f"became {info.compress_type}")
            if kept_verbatim(info.filename):
                if (info.CRC != oinfo.CRC or info.file_size != oinfo.file_size or
                        raw_record(sdata, info)[1] != raw_record(odata, oinfo)[1]):
                    errors.append(f"record {info.filename} is not byte-identical")


def compare_tensors(want, got, errors):
    if list(want) != list(got):
        errors.append(f"state_dict names {list(want)} became {list(got)}")
        return
    for name in want:
        a, b = want[name].detach(), got[name].detach()
        if a.dtype != b.dtype or a.shape != b.shape:
            errors.append(f"{name}: {a.dtype}{list(a.shape)} became {b.dtype}{list(b.shape)}")
        elif not torch.equal(a, b) and not (a.is_floating_point() and
                                             torch.equal(a.isnan(), b.isnan()) and
                                             torch.equal(a.nan_to_num(), b.nan_to_num())):
            where = (a != b).nonzero()[:5].tolist()
            errors.append(f"{name}: values differ at {where}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    saved, expected_dir, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(os.path.join(expected_dir, "expected.json")) as f:
        expected = json.load(f)
    original = os.path.normpath(os.path.join(expected_dir, expected["archive"]))
    errors = []
    check_records(original, saved, errors)

    orig = torch.jit.load(original, map_location="cpu")
    want = orig.state_dict()
    if unknown_names(want, exprs):
        print(f"edit expressions that name no tensor: {unknown_names(want, exprs)}")
        return 2
    for e in exprs:
        apply(want, e)  # in place: the module runs with the edited weights
    try:
        got_module = torch.jit.load(saved, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - report any load failure
        errors.append(f"torch.jit.load failed: {exc}")
        got_module = None
    if got_module is not None:
        compare_tensors(want, got_module.state_dict(), errors)
        for what in ("named_parameters", "named_buffers"):
            a = [n for n, _ in getattr(orig, what)()]
            b = [n for n, _ in getattr(got_module, what)()]
            if a != b:
                errors.append(f"{what}: {a} became {b}")
        x = torch.from_numpy(np.load(os.path.join(expected_dir, expected["input_npy"])))
        with torch.no_grad():
            try:
                out_want, out_got = orig(x), got_module(x)
                if not torch.equal(out_want, out_got):
                    errors.append(f"module output differs: {out_got.flatten()[:6].tolist()} "
                                  f"instead of {out_want.flatten()[:6].tolist()}")
            except Exception as exc:  # noqa: BLE001
                errors.append(f"running the saved module failed: {exc}")
    if errors:
        print("\n".join(errors[:40]))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
