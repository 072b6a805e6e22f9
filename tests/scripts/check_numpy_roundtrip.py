#!/usr/bin/python3
"""Checks a .npy or .npz that WeightScope saved against the original, with numpy.

usage: check_numpy_roundtrip.py ORIGINAL SAVED [EXPR ...]

Loads ORIGINAL with numpy, applies each edit expression ("name[0:2, 1] += 0.5")
with numpy's own indexing and in-place operators, loads SAVED and compares:
array names and order, dtypes including byte order, memory order (Fortran or
C), the exact bytes of every array, the .npy header bytes, and for archives the
compression of every record, CRCs (zipfile.testzip) and, for records whose
array was not edited, identical compressed bytes.
Prints "OK" and exits 0 on success, else prints the differences and exits 1.
"""
import os
import re
import sys
import zipfile

import numpy as np

from edit_expressions import apply


def header_bytes(f):
    start = f.tell()
    version = np.lib.format.read_magic(f)
    np.lib.format._read_array_header(f, version)
    end = f.tell()
    f.seek(start)
    return f.read(end - start)


def load(path):
    """name -> (array, header bytes), in file order."""
    out = {}
    if path.endswith(".npy"):
        name = os.path.basename(path)[:-4]
        with open(path, "rb") as f:
            out[name] = (np.load(path), header_bytes(f))
        return out
    with zipfile.ZipFile(path) as z, np.load(path) as npz:
        for info in z.infolist():
            if info.filename.endswith(".npy"):
                with z.open(info) as f:
                    out[info.filename[:-4]] = (npz[info.filename[:-4]], header_bytes(f))
    return out


def same_array(a, b):
    return (a.dtype == b.dtype and a.dtype.byteorder == b.dtype.byteorder and a.shape == b.shape
            and a.flags.f_contiguous == b.flags.f_contiguous
            and a.flags.c_contiguous == b.flags.c_contiguous
            and a.tobytes(order="A") == b.tobytes(order="A"))


def main():
    original, saved, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors = []
    before, after = load(original), load(saved)
    arrays = {k: v[0].copy(order="K") for k, v in before.items()}
    edited = {apply(arrays, e) for e in exprs}
    if list(before) != list(after):
        errors.append(f"names/order: {list(before)} -> {list(after)}")
    for name in before:
        if name not in after:
            continue
        if before[name][1] != after[name][1]:
            errors.append(f"{name}: header bytes changed")
        want, got = arrays[name], after[name][0]
        if not same_array(want, got):
            errors.append(f"{name}: {got.dtype}{got.shape} {got.ravel(order='K')[:8]} != "
                          f"{want.dtype}{want.shape} {want.ravel(order='K')[:8]}")
    if saved.endswith(".npz"):
        with zipfile.ZipFile(original) as a, zipfile.ZipFile(saved) as b:
            bad = b.testzip()
            if bad is not None:
                errors.append(f"CRC error in {bad}")
            for ia, ib in zip(a.infolist(), b.infolist()):
                if ia.filename != ib.filename or ia.compress_type != ib.compress_type:
                    errors.append(f"record {ia.filename}: name or compression changed")
                if ia.filename[:-4] not in edited and (ia.CRC != ib.CRC or
                                                       ia.compress_size != ib.compress_size):
                    errors.append(f"record {ia.filename}: unedited but rewritten")
            if len(a.infolist()) != len(b.infolist()):
                errors.append("record count changed")
    if errors:
        print("\n".join(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
