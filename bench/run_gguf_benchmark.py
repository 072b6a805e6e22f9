#!/usr/bin/env python3
"""GGUF benchmark: decode throughput of every ggml type (GB/s of packed blocks, one
thread and all cores, next to a plain per-element reference loop), the first paint
of a 4096 x 14336 q4_K tensor, and a one-cell edit + in-place save of a ~520 MB GGUF
next to `cp` of the file.

Usage: /usr/bin/python3 bench/run_gguf_benchmark.py [BUILD_DIR]   (default: build)
Builds nothing: run scripts/run or cmake --build first. The GGUF is written once to
bench/out/llama-q4k.gguf by weightscope_bench_gguf (our reference quantizers on
random normal weights, all cores; about a minute).
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
OUT = ROOT / "bench" / "out"
GGUF = OUT / "llama-q4k.gguf"
BENCH = BUILD / "bench" / "weightscope_bench_gguf"


def main():
    OUT.mkdir(exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if not GGUF.exists():
        subprocess.run([str(BENCH), "make", str(GGUF)], check=True, env=env)
    print(f"machine: {os.cpu_count()} cores\n")
    subprocess.run([str(BENCH), "decode"], check=True, env=env)
    print()
    subprocess.run(["cat", str(GGUF)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    subprocess.run([str(BENCH), "file", str(GGUF)], check=True, env=env)


if __name__ == "__main__":
    main()
