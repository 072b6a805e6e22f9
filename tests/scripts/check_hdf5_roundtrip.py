#!/usr/bin/python3
"""Checks an HDF5 file WeightScope saved against the original, with h5py.

usage: check_hdf5_roundtrip.py ORIGINAL SAVED EXPR [EXPR ...]
       check_hdf5_roundtrip.py --from-safetensors ORIGINAL.safetensors SAVED.h5

Reads every object of ORIGINAL with h5py, applies each edit expression to the
numeric datasets with numpy's own indexing and in-place operators (in the
dataset's dtype, as PyTorch would), then compares SAVED object by object: the
same groups, datasets and links; every dataset's dtype (byte order included),
shape, chunking, filters and values; every attribute of every object (name,
stored type, value). Only the edited values may differ, and they must equal
numpy's result. With --from-safetensors, every tensor of a safetensors file must
appear in SAVED as a dataset of the same name, dtype, shape and values.
Prints "OK" and exits 0 on success, else prints the differences and exits 1.
"""
import json
import re
import struct
import sys

import h5py
import numpy as np

from edit_expressions import apply


def objects(f):
    """path -> ("group"|"dataset"|"soft"|"external", object or link target)."""
    out = {"": ("group", f)}

    def visit(group, prefix):
        for name in group.keys():
            path = prefix + name
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                out[path] = ("soft", link.path)
            elif isinstance(link, h5py.ExternalLink):
                out[path] = ("external", (link.filename, link.path))
            else:
                obj = group[name]
                if isinstance(obj, h5py.Group):
                    out[path] = ("group", obj)
                    visit(obj, path + "/")
                else:
                    out[path] = ("dataset", obj)
    visit(f, "")
    return out


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def describe(expected, saved):
    e, s = np.asarray(expected), np.asarray(saved)
    if e.shape != s.shape or e.dtype != s.dtype:
        return f"({e.dtype}{e.shape} vs {s.dtype}{s.shape})"
    bad = np.argwhere(~((e == s) | ((e != e) & (s != s))) if e.dtype.kind in "fc" else e != s)
    first = tuple(int(i) for i in bad[0]) if len(bad) else ()
    return f"at {len(bad)} positions, first {first}: {e[first]} vs {s[first]}"


def compare_attrs(path, a, b, errors):
    if sorted(a.attrs.keys()) != sorted(b.attrs.keys()):
        errors.append(f"{path}: attributes {sorted(a.attrs.keys())} != {sorted(b.attrs.keys())}")
        return
    for k in a.attrs.keys():
        ta, tb = a.attrs.get_id(k).dtype, b.attrs.get_id(k).dtype
        if ta != tb or h5py.check_string_dtype(ta) != h5py.check_string_dtype(tb):
            errors.append(f"{path}@{k}: type {ta} != {tb}")
        elif not same(a.attrs[k], b.attrs[k]):
            errors.append(f"{path}@{k}: value changed")


def check_edits(original, saved, exprs):
    errors = []
    with h5py.File(original, "r") as fa, h5py.File(saved, "r") as fb:
        oa, ob = objects(fa), objects(fb)
        if list(oa) != list(ob) and sorted(oa) != sorted(ob):
            errors.append(f"objects differ: {sorted(set(oa) ^ set(ob))}")
        values = {p: np.array(o[()]) for p, (kind, o) in oa.items()
                  if kind == "dataset" and o.dtype.kind in "fiub" and o.shape is not None}
        for e in exprs:
            apply(values, e)
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
            for prop in ("shape", "chunks", "compression", "compression_opts", "shuffle",
                         "fletcher32", "scaleoffset"):
                if getattr(a, prop) != getattr(b, prop):
                    errors.append(f"{path}: {prop} {getattr(a, prop)} != {getattr(b, prop)}")
            expected = values[path] if path in values else a[()]
            if not same(expected, b[()]):
                errors.append(f"{path}: values differ from numpy's {describe(expected, b[()])}")
    return errors


def load_safetensors(path):
    dt = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "?", "U16": "<u2", "U32": "<u4", "U64": "<u8"}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        out[name] = np.frombuffer(data[b:en], dtype=dt[e["dtype"]]).reshape(e["shape"])
    return out


def check_from_safetensors(original, saved):
    errors = []
    tensors = load_safetensors(original)
    with h5py.File(saved, "r") as f:
        for name, a in tensors.items():
            if name not in f:
                errors.append(f"{name}: missing")
                continue
            b = f[name][()]
            if not same(a.astype(a.dtype.newbyteorder("=")), b):
                errors.append(f"{name}: {a.dtype}{a.shape} != {b.dtype}{b.shape} or values")
    return errors


def main():
    if sys.argv[1] == "--from-safetensors":
        errors = check_from_safetensors(sys.argv[2], sys.argv[3])
    else:
        errors = check_edits(sys.argv[1], sys.argv[2], sys.argv[3:])
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
