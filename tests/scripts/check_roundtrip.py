#!/usr/bin/env python3
"""Checks a file WeightScope saved against the original, with the real tools.

usage: check_roundtrip.py [--flat] [--saved-weights-only] ORIGINAL SAVED EXPR [EXPR ...]

Loads ORIGINAL with torch (or numpy/safetensors-by-hand), applies each edit
expression with PyTorch's own indexing and in-place operators, loads SAVED, and
compares everything: tensors with torch.equal (and dtype), other objects with
==, Parameter vs plain tensor, module classes, and storage sharing. For PyTorch
files both weights_only=True and False are loaded where torch allows it.
With --saved-weights-only, SAVED must load with weights_only=True even where ORIGINAL
does not (a legacy pickle of protocol 4 or 5, which torch 1.13's restricted
unpickler cannot read): it is compared with ORIGINAL loaded with weights_only=False.
Prints "OK" and exits 0 on success, else prints the differences and exits 1.
"""
import collections
import json
import re
import struct
import sys

import numpy as np
import torch

from edit_expressions import apply

class Block(torch.nn.Module):
    """Stands for the fixture generator's custom module so whole-module pickles load."""


DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
      "U8": torch.uint8, "BOOL": torch.bool, "C64": torch.complex64}
# Types torch 1.13 lacks: compared through numpy as int64 (exact) or raw bytes.
NP_ONLY = {"U16": "<u2", "U32": "<u4", "U64": "<u8", "F8_E4M3": "u1", "F8_E5M2": "u1"}


class Flat(dict):
    """Tensors by the names a file gives them (safetensors): flatten() keeps them."""


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        if e["dtype"] in NP_ONLY:
            arr = np.frombuffer(data[b:en], dtype=NP_ONLY[e["dtype"]])
            arr = arr.view(np.int64) if arr.dtype == np.uint64 else arr.astype(np.int64)
            out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"])
            continue
        t = torch.frombuffer(bytearray(data[b:en]), dtype=DT[e["dtype"]]) if en > b else \
            torch.empty(0, dtype=DT[e["dtype"]])
        out[name] = t.reshape(e["shape"])
    return Flat(out), header.get("__metadata__"), list(k for k in header if k != "__metadata__")


def is_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{"


def load(path, weights_only):
    if is_safetensors(path):
        return load_safetensors(path)[0]
    return torch.load(path, map_location="cpu", weights_only=weights_only)


def quote_key(k):
    return "['" + k.replace("\\", "\\\\").replace("'", "\\'") + "']"


def key_part(k, counters):
    """A dict key as a path component, the way WeightScope names tensors (see
    model/formats/pytorch/PyTorchObjects.h): (plain, quoted, bracketed)."""
    if isinstance(k, str):
        if k == "" or "[" in k or "]" in k:
            return quote_key(k), quote_key(k), True
        if "." in k:
            return k, quote_key(k), None  # plain when unique, quoted when names collide
        return k, k, False
    if isinstance(k, bool) or k is None:
        return "[%r]" % (k,), "[%r]" % (k,), True
    if isinstance(k, int):
        return "[%d]" % k, "[%d]" % k, True
    if isinstance(k, float):
        return "[%r]" % k, "[%r]" % k, True
    kind = ("tensor" if isinstance(k, torch.Tensor) else "tuple" if isinstance(k, tuple)
            else "bytes" if isinstance(k, bytes) else "object")
    n = counters.get(kind, 0)
    counters[kind] = n + 1
    text = "[%s#%d]" % (kind, n)
    return text, text, True


def _join(prefix, part, bracketed):
    if bracketed:
        return prefix + part
    return prefix + "." + part if prefix else part


def flatten(obj, prefix="", out=None):
    """name -> tensor, with the names WeightScope gives (its naming rule: string keys
    and list indices joined by '.', other keys in brackets, dotted keys quoted where
    names would collide)."""
    found = []  # (plain, quoted, tensor)
    counters = {}

    def walk(o, plain, quoted):
        if isinstance(o, torch.Tensor):
            found.append((plain or "tensor", quoted or "tensor", o))
        elif isinstance(o, torch.nn.Module):
            for k, v in o.state_dict(keep_vars=True).items():
                found.append((_join(plain, k, False), _join(quoted, k, False), v))
        elif isinstance(o, dict):
            for k, v in o.items():
                p, q, bracketed = key_part(k, counters)
                walk(v, _join(plain, p, bool(bracketed)),
                     _join(quoted, q, bracketed is not False))
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(v, _join(plain, str(i), False), _join(quoted, str(i), False))

    if isinstance(obj, Flat):
        return dict(obj)
    walk(obj, prefix, prefix)
    counts = collections.Counter(p for p, _, _ in found)
    out = {} if out is None else out
    for plain, quoted, t in found:
        name = quoted if counts[plain] > 1 else plain
        if name in out:
            k = 2
            while "%s#%d" % (name, k) in out:
                k += 1
            name = "%s#%d" % (name, k)
        out[name] = t
    return out


def compare(a, b, path, errors):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            errors.append(f"{path}: tensor vs {type(b).__name__}")
        elif type(a) is not type(b):
            errors.append(f"{path}: {type(a).__name__} became {type(b).__name__}")
        elif a.dtype != b.dtype or a.shape != b.shape:
            errors.append(f"{path}: {a.dtype}{list(a.shape)} became {b.dtype}{list(b.shape)}")
        elif not torch.equal(a, b) and not (a.is_floating_point() and
                                             torch.equal(a.isnan(), b.isnan()) and
                                             torch.equal(a.nan_to_num(), b.nan_to_num())):
            diff = (a != b).nonzero()[:5].tolist()
            errors.append(f"{path}: values differ at {diff}")
    elif isinstance(a, torch.nn.Module):
        if type(a) is not type(b):
            errors.append(f"{path}: module {type(a).__name__} became {type(b).__name__}")
            return
        compare(dict(a.named_children()), dict(b.named_children()), path + ".children", errors)
        compare(dict(a._parameters), dict(b._parameters), path + "._parameters", errors)
        compare(dict(a._buffers), dict(b._buffers), path + "._buffers", errors)
    elif isinstance(a, dict):
        ka, kb = list(a.keys()), list(b.keys())
        same = type(a) is type(b) and len(ka) == len(kb)
        for x, y in zip(ka, kb) if same else ():
            if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):  # tensor keys
                compare(x, y, f"{path} key", errors)
            elif type(x) is not type(y) or x != y:
                same = False
        if not same:
            errors.append(f"{path}: keys {ka[:8]} became {kb[:8]}")
            return
        for x, y in zip(ka, kb):
            compare(a[x], b[y], f"{path}.{x if not isinstance(x, torch.Tensor) else 'key'}",
                    errors)
    elif isinstance(a, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            errors.append(f"{path}: {type(a).__name__} of {len(a)} became something else")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}.{i}", errors)
    else:
        if type(a) is not type(b) or (a != b and not (a != a and b != b)):
            errors.append(f"{path}: {a!r} became {b!r}")


def sharing(flat):
    groups = {}
    for name, t in flat.items():
        groups.setdefault(t.storage().data_ptr(), []).append(name)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def check_zip(original, saved, errors):
    import zipfile
    if not zipfile.is_zipfile(saved):
        return
    with zipfile.ZipFile(saved) as z:
        bad = z.testzip()
        if bad is not None:
            errors.append(f"bad CRC in record {bad}")
        for info in z.infolist():
            if info.header_offset is not None and info.compress_type != 0:
                errors.append(f"record {info.filename} is compressed")
        if zipfile.is_zipfile(original):
            with zipfile.ZipFile(original) as o:
                pkl_a = [n for n in o.namelist() if n.endswith("/data.pkl")]
                pkl_b = [n for n in z.namelist() if n.endswith("/data.pkl")]
                if o.read(pkl_a[0]) != z.read(pkl_b[0]):
                    errors.append("data.pkl is not byte-identical")
                if o.namelist() != z.namelist():
                    errors.append(f"records {o.namelist()} became {z.namelist()}")
    with open(saved, "rb") as f:
        data = f.read()
    # every record's data starts at a multiple of 64, as PyTorch writes them
    with zipfile.ZipFile(saved) as z:
        for info in z.infolist():
            off = info.header_offset
            name_len, extra_len = struct.unpack("<HH", data[off + 26:off + 30])
            if (off + 30 + name_len + extra_len) % 64:
                errors.append(f"record {info.filename} is not 64-byte aligned")


def main():
    args = sys.argv[1:]
    flat_only = "--flat" in args
    saved_weights_only = "--saved-weights-only" in args
    args = [a for a in args if a not in ("--flat", "--saved-weights-only")]
    original, saved, exprs = args[0], args[1], args[2:]
    errors = []
    if flat_only:  # a converted file: compare name -> tensor only
        expected = flatten(load(original, False))
        for e in exprs:
            apply(expected, e)
        got = flatten(load(saved, False))
        if list(expected) != list(got):
            errors.append(f"names {list(expected)[:6]} became {list(got)[:6]}")
        else:
            for k in expected:
                compare(expected[k].detach().clone(), got[k].detach().clone(), k, errors)
        if not is_safetensors(saved):
            check_zip(saved, saved, errors)  # CRC and alignment of a fresh layout
        print("\n".join(errors[:40]) if errors else "OK")
        sys.exit(1 if errors else 0)
    check_zip(original, saved, errors)
    modes = [False, True]
    for weights_only in modes:
        try:
            expected = load(original, weights_only)
        except Exception as exc:  # e.g. whole modules with weights_only=True
            if not (weights_only and saved_weights_only):
                if weights_only:
                    try:
                        load(saved, True)
                        errors.append("saved file loads with weights_only=True but original "
                                      "does not")
                    except Exception:
                        pass
                    continue
                raise
            expected = load(original, False)
        got = load(saved, weights_only)
        flat = flatten(expected)
        for e in exprs:
            apply(flat, e)
        compare(expected, got, "root", errors)
        if sharing(flatten(expected)) != sharing(flatten(got)):
            errors.append(f"sharing {sharing(flatten(expected))} became {sharing(flatten(got))}")
        if is_safetensors(original):
            _, meta_a, order_a = load_safetensors(original)
            _, meta_b, order_b = load_safetensors(saved)
            if meta_a != meta_b or order_a != order_b:
                errors.append("safetensors metadata or tensor order changed")
            break
    if errors:
        print("\n".join(errors[:40]))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
