#!/usr/bin/env python3
"""GGUF benchmark: decode throughput of every ggml type (GB/s of packed blocks, one
thread and all cores, next to a plain per-element reference loop), the first paint
of a 4096 x 14336 q4_K tensor in the real window, and a one-cell edit + in-place save
of a ~520 MB GGUF next to `cp` + `sync` of the file.

Usage: /usr/bin/python3 bench/run_gguf_benchmark.py [BUILD_DIR]   (default: build)
Builds nothing: run scripts/run or cmake --build first (needs app/weightscope and
bench/weightscope_bench_gguf, bench/weightscope_bench_window). The GGUF is written once
to bench/out/llama-q4k.gguf by weightscope_bench_gguf (our reference quantizers on
random normal weights, all cores; about a minute). The edit works on a copy of it,
so the file stays as made.
- The window figures come from bench/weightscope_bench_window (the real MainWindow,
  offscreen) with the q4_K tensor selected on start.
- The save is `weightscope edit COPY -o COPY "T[0, 0] = 1"` (a whole process, median of
  5), next to `cp` + `sync` of the same file (alternating, each after os.sync()); then `cmp -l` says how many bytes the save
  changed (one q4_K block is 144 bytes).
"""
import os
import pathlib
import statistics
import subprocess
import sys
import time

from benchlib import window_figures

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
OUT = ROOT / "bench" / "out"
GGUF = OUT / "llama-q4k.gguf"
BENCH = BUILD / "bench" / "weightscope_bench_gguf"
WINDOW = BUILD / "bench" / "weightscope_bench_window"
BIN = BUILD / "app" / "weightscope"
TENSOR = "blk.0.ffn_down.weight"  # 4096 x 14336 q4_K (bench/GgufBenchFile.h)
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")


def run_timed(cmd):
    start = time.perf_counter()
    subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def window():
    return window_figures(WINDOW, GGUF, TENSOR, OUT / "pan_rss_gguf.csv", ENV)


def main():
    OUT.mkdir(exist_ok=True)
    if not GGUF.exists():
        subprocess.run([str(BENCH), "make", str(GGUF)], check=True, env=ENV)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    subprocess.run([str(BENCH), "decode"], check=True, env=ENV)
    print()
    subprocess.run(["cat", str(GGUF)], stdout=subprocess.DEVNULL, check=True)  # warm the cache

    w = window()
    rows = [
        ("window: open -> fileLoaded", w["open -> fileLoaded"], "ms"),
        (f"window: open -> first paint of {TENSOR} (4096 x 14336 q4_K)",
         w["open -> first paint of the embedding"], "ms"),
        ("window: open -> refined() (full-resolution view)", w["open -> refined()"], "ms"),
        ("window: open -> statistics ready", w["open -> statistics ready"], "ms"),
        ("window: RSS after first paint", w["RSS after first paint"], "MiB"),
        ("window: pan 1/64 rows, median redraw to refined", w["pan down: median redraw (to refined)"],
         "ms"),
        ("window: fill of the tensor, re-quantized (Document::edit)",
         w["fill whole tensor (Document::edit)"], "ms"),
        ("window: undo of the fill", w["undo of the fill"], "ms"),
    ]

    copy = OUT / "llama-q4k.edit.gguf"
    subprocess.run(["cp", GGUF, copy], check=True)
    saves, cps = [], []
    for _ in range(5):  # alternating, each with nothing left to write back (os.sync)
        os.sync()
        saves.append(run_timed([BIN, "edit", copy, "-o", copy, f"{TENSOR}[0, 0] = 1"]))
        os.sync()
        target = OUT / "llama-q4k.cp.gguf"
        cps.append(run_timed(["sh", "-c", 'cp "$0" "$1" && sync "$1"', GGUF, target]))
        target.unlink()
    diff = subprocess.run(["cmp", "-l", GGUF, copy], capture_output=True, text=True)
    changed = len(diff.stdout.splitlines())
    size = GGUF.stat().st_size
    copy.unlink()
    save, cp = statistics.median(saves), statistics.median(cps)
    rows.append((f"one-cell edit + in-place save of the {size / 1e6:.0f} MB file", save * 1e3, "ms"))
    rows.append(("cp + sync of the file", cp * 1e3, "ms"))
    rows.append(("save / (cp + sync)", save / cp, "x"))
    rows.append(("bytes the save changed (one q4_K block: 144)", changed, ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}} | {'figure':>12}")
    print(f"{'-' * width}-|-{'-' * 12}")
    for what, value, unit in rows:
        text = f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:.3g} {unit}"
        print(f"{what:<{width}} | {text.strip():>12}")


if __name__ == "__main__":
    main()
