#!/usr/bin/python3
"""Tests the real-world check scripts themselves, without WeightScope.

usage: selftest_realworld_checks.py

For each of check_torchscript.py, check_keras_archive.py, check_sharded_bin.py
and check_complex.py it makes, from the fixtures in tests/fixtures/realworld/,
files as a correct in-place save would leave them (the same archive with only
the edited storages' bytes replaced, by zip byte surgery or h5py) and files
that are wrong in one way each (a value not edited, a code record re-deflated,
config.json rewritten, bfloat16 widened, an unedited shard rewritten, ...),
runs the check script on each and verifies its verdict: exit 0 for the right
files, exit 1 for the wrong ones.
Prints one line per case and "N passed, M failed"; exits 0 when all pass.
"""
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
RW = os.path.join(FIXTURES, "realworld")
sys.path.insert(0, FIXTURES)
sys.path.insert(0, HERE)
import zip_surgery  # noqa: E402
from edit_expressions import EXPR, apply  # noqa: E402

results = []


def run(label, script, args, want_ok):
    p = subprocess.run([sys.executable, os.path.join(HERE, script)] + args,
                       capture_output=True, text=True)
    ok = (p.returncode == 0) == want_ok and p.returncode in (0, 1)
    results.append(ok)
    print(("pass " if ok else "FAIL ") + label + ("" if ok else "\n" + p.stdout + p.stderr))
    return p.stdout


def storage_view(t):
    """A fresh tensor over a copy of t's whole storage, and t as a view of it."""
    st = t.storage()
    base = torch.tensor([], dtype=t.dtype).set_(st, 0, (st.size(),), (1,)).clone()
    return base, base.as_strided(t.shape, t.stride(), t.storage_offset())


def record_for(data, prefix_names, base):
    """The data/<key> record holding exactly base's bytes."""
    want = base.numpy().tobytes()
    found = [n for n in prefix_names if "/data/" in n and
             zip_surgery.raw_bytes(data, n) == want]
    assert len(found) == 1, found
    return found[0]


def edit_zip(data, tensors, exprs):
    """An in-place save: apply exprs to copies of the named tensors' storages and
    replace those records' bytes, nothing else (tensors: name -> loaded tensor)."""
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    bases = {}
    for e in exprs:
        name = EXPR.match(e).group(1).strip()
        t = tensors[name]
        probe = storage_view(t)[0]
        key = record_for(data, names, probe)
        base = bases.setdefault(key, probe)
        apply({name: base.as_strided(t.shape, t.stride(), t.storage_offset())}, e)
    for key, base in bases.items():
        data = zip_surgery.replace_record(data, key, base.numpy().tobytes())
    return data


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def torchscript_cases(tmp):
    for fname in ("scripted.pt", "traced.pt"):
        src = os.path.join(RW, "torchscript", fname)
        exp = src + ".expected"
        data = open(src, "rb").read()
        sd = torch.jit.load(src).state_dict()
        run(fname + " unchanged copy", "check_torchscript.py",
            [write(os.path.join(tmp, fname), data), exp], True)
        exprs = ["head.fc.weight[0:2, :] = 0.5", "bn.running_mean += 1",
                 "bn.num_batches_tracked += 2", "conv.weight[1, 0, 2, 2] *= -3"]
        edited = write(os.path.join(tmp, "e_" + fname), edit_zip(data, sd, exprs))
        run(fname + " edited in place", "check_torchscript.py", [edited, exp] + exprs, True)
        run(fname + " edit missing", "check_torchscript.py", [edited, exp] + exprs[:-1], False)
        # torch's own zip writer (aligned, stored): code records lose their deflate
        os.makedirs(os.path.join(tmp, "stored"), exist_ok=True)
        path = os.path.join(tmp, "stored", fname)  # the writer names the top folder after it
        writer = torch._C.PyTorchFileWriter(path)
        with zipfile.ZipFile(src) as zi:
            for info in zi.infolist():
                payload = zi.read(info)
                writer.write_record(info.filename.split("/", 1)[1], payload, len(payload))
        writer.write_end_of_file()
        out = run(fname + " code records no longer deflated", "check_torchscript.py",
                  [path, exp], False)
        assert "aligned" not in out and "code/" in out, out


def rewrite_keras(src, dst, h5_edit=None, replace=None):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for info in zi.infolist():
            payload = zi.read(info)
            if info.filename == "model.weights.h5" and h5_edit:
                bio = io.BytesIO(payload)
                with h5py.File(bio, "r+") as f:
                    h5_edit(f)
                payload = bio.getvalue()
            if replace and info.filename in replace:
                payload = replace[info.filename]
            zo.writestr(info, payload)


def keras_cases(tmp):
    f32 = os.path.join(RW, "keras", "functional_f32.keras")
    bf = os.path.join(RW, "keras", "sequential_bf16.keras")
    run("keras unchanged rewrite", "check_keras_archive.py",
        [f32, shutil.copy(f32, os.path.join(tmp, "a.keras"))], True)

    def edit_f32(f):
        f["layers/sequential/layers/dense_1/vars/0"][0, :] = 0.5
        d = f["layers/batch_normalization/vars/3"]
        d[...] = d[()] * np.float32(2)

    exprs = ["layers/sequential/layers/dense_1/vars/0[0, :] = 0.5",
             "layers/batch_normalization/vars/3 *= 2"]
    out = os.path.join(tmp, "b.keras")
    rewrite_keras(f32, out, edit_f32)
    run("keras f32 edited", "check_keras_archive.py", [f32, out] + exprs, True)
    run("keras f32 edit not expected", "check_keras_archive.py", [f32, out] + exprs[:1], False)
    out = os.path.join(tmp, "c.keras")
    rewrite_keras(f32, out, replace={"config.json": zipfile.ZipFile(f32).read("config.json")
                                     .replace(b'"head"', b'"head2"')})
    run("keras config.json changed", "check_keras_archive.py", [f32, out], False)

    def bf16_torch(ds, fn):
        t = torch.from_numpy(ds[()].view(np.int16).copy()).view(torch.bfloat16)
        fn(t)
        ds[...] = t.view(torch.int16).numpy().view("V2")

    def edit_bf(f):
        bf16_torch(f["layers/embedding/vars/0"], lambda t: t.__imul__(3))
        bf16_torch(f["layers/dense/vars/1"], lambda t: t[2:4].fill_(0.1))

    exprs = ["layers/embedding/vars/0 *= 3", "layers/dense/vars/1[2:4] = 0.1"]
    out = os.path.join(tmp, "d.keras")
    rewrite_keras(bf, out, edit_bf)
    run("keras bf16 edited", "check_keras_archive.py", [bf, out] + exprs, True)

    def widen(f):
        v = f["layers/embedding/vars/0"]
        bits = v[()].view(np.uint16).astype(np.uint32) << 16
        attrs = dict(v.attrs)
        del f["layers/embedding/vars/0"]
        n = f["layers/embedding/vars"].create_dataset("0", data=bits.view(np.float32))
        for k, a in attrs.items():
            n.attrs[k] = a

    out = os.path.join(tmp, "e.keras")
    rewrite_keras(bf, out, widen)
    run("keras bf16 widened to float32", "check_keras_archive.py", [bf, out], False)


def sharded_cases(tmp):
    for variant in ("zip", "mixed_legacy"):
        src = os.path.join(RW, "sharded_bin", variant)
        same = shutil.copytree(src, os.path.join(tmp, variant + "_same"),
                               ignore=shutil.ignore_patterns("*.expected"))
        out = run(variant + " unchanged", "check_sharded_bin.py", [src, same], True)
        assert "changed pytorch" not in out.replace("unchanged", ""), out
        ed = shutil.copytree(src, os.path.join(tmp, variant + "_ed"),
                             ignore=shutil.ignore_patterns("*.expected"))
        shard = os.path.join(ed, "pytorch_model-00002-of-00003.bin")
        exprs = ["model.layers.1.self_attn.k_proj.weight[0, :] = 0.5",
                 "model.layers.1.mlp.up_proj.weight *= 2"]
        if variant == "zip":
            data = open(shard, "rb").read()
            write(shard, edit_zip(data, torch.load(shard), exprs))
        else:  # a legacy shard is saved as a zip
            sd = torch.load(shard)
            for e in exprs:
                apply(sd, e)
            torch.save(sd, shard)
        out = run(variant + " shard 2 edited", "check_sharded_bin.py", [src, ed] + exprs, True)
        assert "changed pytorch_model-00002" in out and "changed pytorch_model-00001" not in \
            out.replace("unchanged pytorch_model-00001", ""), out
        other = os.path.join(ed, "pytorch_model-00003-of-00003.bin")
        sd = torch.load(other)
        torch.save(dict(reversed(list(sd.items()))), other)
        run(variant + " unedited shard 3 rewritten", "check_sharded_bin.py", [src, ed] + exprs,
            False)


def complex_cases(tmp):
    src = os.path.join(RW, "complex", "complex.pt")
    data = open(src, "rb").read()
    sd = torch.load(src)
    exprs = ["c64[0, 1] = 1+2j", "c128 *= -0.5j", "c64_scalar += 1"]
    out = write(os.path.join(tmp, "c.pt"), edit_zip(data, sd, exprs))
    run("complex edited in place", "check_complex.py", [src, out] + exprs, True)
    run("complex: same edit through the transposed view", "check_complex.py",
        [src, out, "c64_t[1, 0] = 1+2j", "c128 *= -0.5j", "c64_scalar += 1"], True)
    run("complex: imaginary part not edited", "check_complex.py",
        [src, out, "c64[0, 1] = 1+3j", "c128 *= -0.5j", "c64_scalar += 1"], False)
    leg = os.path.join(RW, "complex", "complex_legacy.pt")
    sd = torch.load(leg)
    for e in exprs:
        apply(sd, e)
    out = os.path.join(tmp, "cl.pt")
    torch.save(sd, out)
    run("complex legacy saved as zip", "check_complex.py", [leg, out] + exprs, True)
    run("complex legacy: edits missing", "check_complex.py", [leg, out], False)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        torchscript_cases(tmp)
        keras_cases(tmp)
        sharded_cases(tmp)
        complex_cases(tmp)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
