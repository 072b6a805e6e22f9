#!/usr/bin/python3
"""Checks a checkpoint with complex tensors that WeightScope saved, with torch.

usage: check_complex.py ORIGINAL SAVED [EXPR ...]

Loads ORIGINAL (zip or legacy) with torch.load, applies each edit expression
with PyTorch's own indexing and in-place operators; values may be Python
complex literals ("c64[0, 1] = 1+2j", "c128 *= -0.5j", "c64_t[2, :] += 1").
Loads SAVED with torch.load (weights_only False, and True where the original
allows it) and compares the whole object as check_roundtrip.py does (keys,
types, dtypes, shapes, values, shared storages: a view such as a transpose must
still share its base's storage), then every complex tensor's real and imaginary
parts separately, bit for bit. When ORIGINAL is a zip, SAVED must keep its
records and data.pkl byte for byte (check_roundtrip's zip rules); a legacy
original may be saved as a zip.
Prints "OK" and exits 0 on success; prints the differences and exits 1 when
the saved file is wrong; exits 2 on bad arguments.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_roundtrip import check_zip, compare, flatten, load, sharing  # noqa: E402
from edit_expressions import apply, unknown_names  # noqa: E402


def bits(t):
    """Real and imaginary parts as raw integers, so NaNs and -0.0 compare exactly."""
    parts = (t.real.contiguous(), t.imag.contiguous())
    as_int = torch.int32 if t.dtype == torch.complex64 else torch.int64
    return [p.view(as_int) for p in parts]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    original, saved, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors = []
    check_zip(original, saved, errors)
    for weights_only in (False, True):
        try:
            expected = load(original, weights_only)
        except Exception:  # noqa: BLE001 - weights_only=True may refuse the original
            if weights_only:
                continue
            raise
        try:
            got = load(saved, weights_only)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"torch.load(weights_only={weights_only}) failed: {exc}")
            continue
        flat = flatten(expected)
        if unknown_names(flat, exprs):
            print(f"edit expressions that name no tensor: {unknown_names(flat, exprs)}")
            return 2
        for e in exprs:
            apply(flat, e)
        compare(expected, got, "root", errors)
        got_flat = flatten(got)
        for name, a in flatten(expected).items():
            b = got_flat.get(name)
            if not a.is_complex() or b is None:
                continue
            if b.dtype != a.dtype:
                errors.append(f"{name}: {a.dtype} became {b.dtype}")
                continue
            for part, x, y in zip(("real", "imag"), bits(a), bits(b)):
                if x.shape != y.shape or not torch.equal(x, y):
                    errors.append(f"{name}: {part} parts differ")
        if sharing(flatten(expected)) != sharing(got_flat):
            errors.append(f"sharing {sharing(flatten(expected))} became {sharing(got_flat)}")
    if errors:
        print("\n".join(dict.fromkeys(errors[:40])))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
