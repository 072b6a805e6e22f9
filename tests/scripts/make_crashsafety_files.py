#!/usr/bin/python3
"""Writes, at test time, a weight file big enough that saving it takes a while
(so that tests/app/tst_crashsafety.cpp can kill or disturb the save midway),
with the real tool of each format.

usage: make_crashsafety_files.py FORMAT DIR MIB

FORMAT is one of pytorch, legacy, safetensors, sharded, npy, npz, hdf5, onnx.
Every file holds "big" (float32, MIB mebibytes, a repeating ramp so that the
bytes are not all zero) and "small" (float32, 4 zeros), except npy (one array,
"big" alone). sharded: model.safetensors.index.json with "big" and "small" in
model-00001-of-00002.safetensors and "other" (float32, 4) in the second shard.
Prints the name of the file to open (relative to DIR); exits 0.
"""
import json
import os
import struct
import sys

import numpy as np


def arrays(mib):
    n = mib * 2**18
    big = np.tile(np.arange(1024, dtype=np.float32) / 1024, n // 1024)
    return big, np.zeros(4, dtype=np.float32)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        raw = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def main():
    fmt, out, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
    big, small = arrays(mib)
    if fmt in ("pytorch", "legacy"):
        import torch
        name = "m.pt" if fmt == "pytorch" else "legacy.pt"
        sd = {"big": torch.from_numpy(big), "small": torch.from_numpy(small)}
        torch.save(sd, os.path.join(out, name), _use_new_zipfile_serialization=fmt == "pytorch")
    elif fmt == "safetensors":
        name = "m.safetensors"
        write_safetensors(os.path.join(out, name), {"big": big, "small": small})
    elif fmt == "sharded":
        name = "model.safetensors.index.json"
        shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
        write_safetensors(os.path.join(out, shards[0]), {"big": big, "small": small})
        write_safetensors(os.path.join(out, shards[1]), {"other": np.ones(4, np.float32)})
        index = {"metadata": {"total_size": big.nbytes + 32},
                 "weight_map": {"big": shards[0], "small": shards[0], "other": shards[1]}}
        with open(os.path.join(out, name), "w") as f:
            json.dump(index, f)
    elif fmt == "npy":
        name = "m.npy"
        np.save(os.path.join(out, name), big)
    elif fmt == "npz":
        name = "m.npz"
        np.savez(os.path.join(out, name), big=big, small=small)
    elif fmt == "hdf5":
        import h5py
        name = "m.h5"
        with h5py.File(os.path.join(out, name), "w") as f:
            f["big"] = big
            f["small"] = small
    elif fmt == "onnx":
        import onnx
        from onnx import helper, numpy_helper
        name = "m.onnx"
        graph = helper.make_graph(
            [helper.make_node("Add", ["x", "small"], ["y"])], "g",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])],
            [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [4])],
            [numpy_helper.from_array(big, "big"), numpy_helper.from_array(small, "small")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        with open(os.path.join(out, name), "wb") as f:
            f.write(model.SerializeToString())
    else:
        sys.exit("unknown format " + fmt)
    print(name)


if __name__ == "__main__":
    main()
