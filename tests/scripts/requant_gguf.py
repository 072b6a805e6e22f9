#!/usr/bin/python3
"""The end-to-end test of quantized GGUF edits (tests/app/tst_quantizededit.cpp).

  requant_gguf.py make EDIT_JSON OUT.gguf
      writes a GGUF holding one tensor, blk.0.ffn_down.weight, whose blocks are the
      reference quantizer's (EDIT_JSON's "blocks" file, made by
      tests/fixtures/quant/make_quant_fixtures.py from ggml_ref.py), with our
      independent GGUF writer (tests/fixtures/quant/gguf_write.py); prints the file
      offset of the tensor's data.
  requant_gguf.py check EDIT_JSON ORIGINAL.gguf SAVED.gguf [N]
      checks that SAVED is ORIGINAL with exactly one block changed: the block holding
      the edited element now holds the reference quantizer's block for the typed value
      (EDIT_JSON's new_block_hex, or its "also"[N-1] entry's). Prints OK or what differs.
Standard library only: the GGUF is parsed here from QUANT.md's layout, not by us."""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUANT = os.path.join(HERE, "..", "fixtures", "quant")
sys.path.insert(0, QUANT)

NAME = "blk.0.ffn_down.weight"


def make(edit_path, out):
    from gguf_write import GGUFWriter
    edit = json.load(open(edit_path))
    blocks = open(os.path.join(os.path.dirname(edit_path), edit["blocks"]), "rb").read()
    rows, cols = edit["input_shape"]
    w = GGUFWriter()
    w.add_kv("general.architecture", "STRING", "llama")
    w.add_tensor(NAME, [cols, rows], edit["type_id"], blocks)
    w.write(out)
    print(data_offset(open(out, "rb").read()))


def read_string(b, pos):
    n = struct.unpack_from("<Q", b, pos)[0]
    return b[pos + 8:pos + 8 + n].decode(), pos + 8 + n


def skip_value(b, pos, vtype):
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    if vtype in sizes:
        return pos + sizes[vtype], None
    if vtype == 8:
        return read_string(b, pos)[1], None
    if vtype == 9:
        inner, n = struct.unpack_from("<IQ", b, pos)
        pos += 12
        for _ in range(n):
            pos, _ = skip_value(b, pos, inner)
        return pos, None
    raise ValueError(f"value type {vtype}")


def data_offset(b):
    """Absolute offset of NAME's data in GGUF bytes b (version 3, alignment 32 unless set)."""
    magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", b, 0)
    assert magic == b"GGUF" and version == 3, (magic, version)
    pos, alignment = 24, 32
    for _ in range(n_kv):
        key, pos = read_string(b, pos)
        vtype = struct.unpack_from("<I", b, pos)[0]
        pos += 4
        if key == "general.alignment":
            alignment = struct.unpack_from("<I", b, pos)[0]
        pos, _ = skip_value(b, pos, vtype)
    offsets = {}
    for _ in range(n_tensors):
        name, pos = read_string(b, pos)
        n_dims = struct.unpack_from("<I", b, pos)[0]
        pos += 4 + 8 * n_dims
        _, offset = struct.unpack_from("<IQ", b, pos)
        pos += 12
        offsets[name] = offset
    start = (pos + alignment - 1) // alignment * alignment
    return start + offsets[NAME]


def check(edit_path, original, saved, which):
    edit = json.load(open(edit_path))
    case = edit if which == 0 else edit["also"][which - 1]
    a, b = open(original, "rb").read(), open(saved, "rb").read()
    if len(a) != len(b):
        return f"size {len(b)} instead of {len(a)}"
    at = data_offset(a) + case["block_byte_offset"]
    size = edit["block_bytes"]
    old, new = bytes.fromhex(case["old_block_hex"]), bytes.fromhex(case["new_block_hex"])
    if a[at:at + size] != old:
        return "the original does not hold the reference's old block"
    if b[at:at + size] != new:
        return f"block is {b[at:at + size].hex()}, the reference quantizer's {new.hex()}"
    if a[:at] != b[:at] or a[at + size:] != b[at + size:]:
        first = next(i for i in range(len(a)) if a[i] != b[i] and not at <= i < at + size)
        return f"byte {first} outside the edited block changed"
    return "OK"


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        print(check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0))
