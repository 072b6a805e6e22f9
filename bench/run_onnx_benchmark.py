#!/usr/bin/env python3
"""Opening a large ONNX model: WeightScope against onnx.load.

Usage: /usr/bin/python3 bench/run_onnx_benchmark.py [BUILD_DIR]   (default: build)
Makes bench/out/gpt2-small.onnx once: GPT-2-small-sized initializers (124M
float32 as raw_data, 475 MiB) around a trivial graph. Reports `weightscope info`
(whole process, warm cache) with its peak memory, and onnx.load (in-process,
imports excluded).
"""
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import PY  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
OUT = ROOT / "bench" / "out"
MODEL = OUT / "gpt2-small.onnx"
BIN = BUILD / "app" / "weightscope"

MAKE = """
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(0)
inits = [numpy_helper.from_array(rng.standard_normal((50257, 768), dtype=np.float32), "wte")]
for i in range(12):
    for name, shape in [("attn.c_attn.weight", (768, 2304)), ("attn.c_proj.weight", (768, 768)),
                        ("mlp.c_fc.weight", (768, 3072)), ("mlp.c_proj.weight", (3072, 768))]:
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape, dtype=np.float32) * 0.02), f"h.{i}.{name}"))
g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], inits)
onnx.save(helper.make_model(g), sys.argv[1])
"""


def main():
    OUT.mkdir(exist_ok=True)
    if not MODEL.exists():
        subprocess.run([PY, "-c", MAKE, str(MODEL)], check=True)
    subprocess.run(["cat", str(MODEL)], stdout=subprocess.DEVNULL, check=True)
    times, peaks = [], []
    for _ in range(5):
        t = time.perf_counter()
        proc = subprocess.Popen([str(BIN), "info", str(MODEL)], stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - t)
        if status != 0:
            sys.exit(f"weightscope info failed ({status})")
        peaks.append(usage.ru_maxrss / 1024)
    load = subprocess.run([PY, "-c", f"""
import time, onnx
t = time.perf_counter()
m = onnx.load("{MODEL}")
print(time.perf_counter() - t)
"""], check=True, capture_output=True, text=True)
    size = MODEL.stat().st_size / 2**20
    print(f"model: {MODEL} ({size:.0f} MiB)")
    print(f"weightscope info           {statistics.median(times) * 1000:8.1f} ms  "
          f"(peak RSS {max(peaks):.0f} MiB)")
    print(f"onnx.load                  {float(load.stdout) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
