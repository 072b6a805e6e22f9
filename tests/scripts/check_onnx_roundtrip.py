#!/usr/bin/python3
"""Checks an ONNX model WeightScope saved against the original, with onnx itself.

usage: check_onnx_roundtrip.py [--relocated] ORIGINAL SAVED [EXPR ...]

Runs onnx.checker.check_model on SAVED, loads both models (with their external
data), applies each edit expression ("name[0, 1:3] *= 2") with numpy to the
original tensors (initializers and Constant node values, subgraphs included,
named as WeightScope names them), and compares every tensor exactly (dtype,
shape, bytes). Then checks that each tensor keeps its storage field (raw_data,
float_data, int32_data, ..., external data with the same keys) and that the
rest of the model (graph, nodes, opsets, metadata) is unchanged. --relocated
allows the external data's location to differ (a Save As beside the original).
Prints "OK" and exits 0 on success, else prints the differences and exits 1.
"""
import re
import sys

import onnx
from onnx import numpy_helper

from edit_expressions import apply

FIELDS = ["raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data",
          "string_data"]


def tensors(graph, out):
    """name -> TensorProto, in WeightScope's order."""
    for t in graph.initializer:
        out[t.name] = t
    for node in graph.node:
        for a in node.attribute:
            if node.op_type == "Constant" and node.domain == "" and a.name == "value" \
                    and a.HasField("t"):
                out[node.output[0] if node.output else a.t.name] = a.t
            if a.HasField("g"):
                tensors(a.g, out)
            for g in a.graphs:
                tensors(g, out)
    return out


RELOCATED = "--relocated" in sys.argv
if RELOCATED:
    sys.argv.remove("--relocated")


def layout(t):
    return ([f for f in FIELDS if (len(getattr(t, f)) > 0)], t.data_location,
            sorted((e.key, "" if RELOCATED and e.key == "location" else e.value)
                   for e in t.external_data), t.data_type, list(t.dims))


def strip_data(model):
    for t in tensors(model.graph, {}).values():
        for f in FIELDS:
            t.ClearField(f)
        for e in t.external_data:
            if RELOCATED and e.key == "location":
                e.value = ""
    return model


def main():
    original, saved, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors = []
    try:
        onnx.checker.check_model(saved)
    except Exception as e:  # noqa: BLE001 - report whatever the checker says
        errors.append(f"checker: {e}")
    before = tensors(onnx.load(original).graph, {})
    after = tensors(onnx.load(saved).graph, {})
    arrays = {k: numpy_helper.to_array(t).copy() for k, t in before.items()}
    for e in exprs:
        apply(arrays, e)
    if list(before) != list(after):
        errors.append(f"tensor names/order: {list(before)} -> {list(after)}")
    for name, t in after.items():
        if name not in arrays:
            continue
        got, want = numpy_helper.to_array(t), arrays[name]
        if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
            errors.append(f"{name}: {got.dtype}{got.shape} {got.ravel()[:6]} != "
                          f"{want.dtype}{want.shape} {want.ravel()[:6]}")
    raw_before = onnx.load(original, load_external_data=False)
    raw_after = onnx.load(saved, load_external_data=False)
    lb = {k: layout(t) for k, t in tensors(raw_before.graph, {}).items()}
    la = {k: layout(t) for k, t in tensors(raw_after.graph, {}).items()}
    for k in lb:
        if lb[k] != la.get(k):
            errors.append(f"{k}: storage layout {lb[k]} became {la.get(k)}")
    if strip_data(raw_before) != strip_data(raw_after):
        errors.append("the model outside the tensor data changed")
    if errors:
        print("\n".join(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
