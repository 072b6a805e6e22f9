#!/usr/bin/python3
"""Checks a Keras 3 `.keras` archive WeightScope saved against the original.

usage: check_keras_archive.py ORIGINAL SAVED [EXPR ...]

Opens both archives as zips and checks that SAVED holds the same members in
the same order with the same compression, valid CRCs, and every member but
model.weights.h5 (metadata.json, config.json, assets) byte-identical. Then it
reads both model.weights.h5 with h5py and compares them object by object as
check_hdf5_roundtrip.py does (groups, datasets, links, every attribute with
its stored type, dtypes, shapes, chunking and filters), and every variable's
values with the original's after the edits: each EXPR ("layers/dense/vars/0[0,
:] = 0.5", names are h5 paths inside model.weights.h5) is applied with numpy's
own indexing and operators in the dataset's dtype; for Keras 3's bfloat16
variables (2-byte opaque with the attribute dtype="bfloat16") it is applied to a
torch.bfloat16 tensor, so the result carries PyTorch's bfloat16 rounding, and
the saved bytes must stay an opaque |V2 dataset holding exactly those bits.
Prints "OK" and exits 0 on success; prints the differences and exits 1 when
the saved file is wrong; exits 2 on bad arguments.
"""
import io
import os
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_hdf5_roundtrip import compare_attrs, describe, objects, same  # noqa: E402
from edit_expressions import apply, unknown_names  # noqa: E402

WEIGHTS = "model.weights.h5"


def is_bf16(ds):
    return ds.dtype.kind == "V" and ds.dtype.itemsize == 2 and ds.attrs.get("dtype") == "bfloat16"


def edited_values(f, exprs):
    """h5 path -> expected array after the edits (bfloat16 as uint16 bits)."""
    import torch
    values, bf16 = {}, set()
    for path, (kind, o) in objects(f).items():
        if kind != "dataset" or o.shape is None:
            continue
        if is_bf16(o):
            bits = np.array(o[()]).view(np.int16)
            values[path] = torch.from_numpy(bits.copy()).view(torch.bfloat16)
            bf16.add(path)
        elif o.dtype.kind in "fiub":
            values[path] = np.array(o[()])
    if unknown_names(values, exprs):
        raise KeyError(f"edit expressions that name no variable: {unknown_names(values, exprs)}")
    for e in exprs:
        apply(values, e)
    for path in bf16:
        values[path] = values[path].view(torch.int16).numpy().view(np.uint16).view("V2")
    return values


def compare_weights(a_bytes, b_bytes, exprs, errors):
    with h5py.File(io.BytesIO(a_bytes), "r") as fa, h5py.File(io.BytesIO(b_bytes), "r") as fb:
        oa, ob = objects(fa), objects(fb)
        if sorted(oa) != sorted(ob):
            errors.append(f"objects differ: {sorted(set(oa) ^ set(ob))}")
        values = edited_values(fa, exprs)
        for path, (kind, a) in oa.items():
            if path not in ob:
                continue
            kb, b = ob[path]
            if kind != kb:
                errors.append(f"{path}: {kind} became {kb}")
                continue
            if kind in ("soft", "external"):
                if a != b:
                    errors.append(f"{path}: link target {a} != {b}")
                continue
            compare_attrs(path or "/", a, b, errors)
            if kind != "dataset":
                continue
            if a.dtype != b.dtype:
                errors.append(f"{path}: dtype {a.dtype} != {b.dtype}")
            ta, tb = a.id.get_type(), b.id.get_type()
            if ta.get_class() != tb.get_class() or (
                    ta.get_class() == h5py.h5t.OPAQUE and ta.get_tag() != tb.get_tag()):
                errors.append(f"{path}: HDF5 type class or opaque tag changed")
            for prop in ("shape", "chunks", "compression", "compression_opts", "shuffle",
                         "fletcher32", "scaleoffset"):
                if getattr(a, prop) != getattr(b, prop):
                    errors.append(f"{path}: {prop} {getattr(a, prop)} != {getattr(b, prop)}")
            want = values[path] if path in values else a[()]
            got = b[()]
            if is_bf16(a):
                if np.asarray(got).dtype != np.dtype("V2") or not np.array_equal(
                        np.asarray(want).view(np.uint16), np.asarray(got).view(np.uint16)):
                    errors.append(f"{path}: bfloat16 bits differ from PyTorch's result")
            elif not same(want, got):
                errors.append(f"{path}: values differ from numpy's {describe(want, got)}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    original, saved, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors = []
    if not zipfile.is_zipfile(saved):
        print("saved file is not a zip archive")
        return 1
    with zipfile.ZipFile(original) as za, zipfile.ZipFile(saved) as zb:
        bad = zb.testzip()
        if bad is not None:
            errors.append(f"bad CRC in member {bad}")
        if za.namelist() != zb.namelist():
            errors.append(f"members {za.namelist()} became {zb.namelist()}")
        for ia in za.infolist():
            try:
                ib = zb.getinfo(ia.filename)
            except KeyError:
                continue
            if ia.compress_type != ib.compress_type:
                errors.append(f"{ia.filename}: compression {ia.compress_type} became "
                              f"{ib.compress_type}")
            if ia.filename != WEIGHTS and za.read(ia.filename) != zb.read(ib.filename):
                errors.append(f"{ia.filename} is not byte-identical")
        if WEIGHTS in za.namelist() and WEIGHTS in zb.namelist():
            try:
                compare_weights(za.read(WEIGHTS), zb.read(WEIGHTS), exprs, errors)
            except KeyError as exc:
                print(exc.args[0])
                return 2
    if errors:
        print("\n".join(errors[:40]))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
