#!/usr/bin/env python3
"""Opening a model by URL: WeightScope's range requests against downloading the file.

Usage: /usr/bin/python3 bench/run_remote_benchmark.py [BUILD_DIR]   (default: build)
Builds nothing. Generates once, in bench/out/, a ~1.1 GB safetensors file shaped like
a small LLM (a 32000 x 2048 float32 embedding and twelve 2048 x 8192 layers), serves
it with nginx on the loopback (tests/net/nginx.conf.in, a free port, a temporary
prefix) and times, as whole processes (median of 5):
  - `weightscope info URL` and `weightscope export URL embed -o x.png` (every value of
    the embedding read, pooled and drawn), with the disk cache off and then warm
    (reopening);
  - the real window (bench/weightscope_bench_window --view-only): open by URL, first
    paint of the embedding and every byte it fetched in the 10 s after (a large remote
    tensor is previewed, never read whole unless asked);
  - `curl -o FILE URL`, the download one would need otherwise;
  - the same commands on the local file, for reference.
When bench/run_llm_benchmark.py and bench/run_gguf_benchmark.py made their files, the
same over the 3B-shaped model (its index by URL, the export of the embedding and the
window's first paint; curl of the shard holding it) and the q4_K GGUF (its 4096 x 14336 q4_K tensor; curl of the file).
Bytes fetched are WeightScope's own counters (WS_HTTP_STATS) and nginx's log.
"""
import os
import pathlib
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import json

import numpy as np

from benchlib import window_figures

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
OUT = ROOT / "bench" / "out"
MODEL = OUT / "remote-llm.safetensors"
BIN = BUILD / "app" / "weightscope"
WINDOW = BUILD / "bench" / "weightscope_bench_window"


def window_row(name, url, tensor, env, tmp, whole):
    """The window by URL, looking only: (name, seconds to first paint, bytes, nginx bytes)."""
    logged(tmp)
    f = window_figures(WINDOW, url, tensor, os.path.join(tmp, "pan.csv"), env, view_only=True)
    fetched = int(f["bytes fetched over HTTP, open + 10 s after the first paint"])
    return (name, f["open -> first paint of the embedding"] / 1e3, fetched, logged(tmp, 1), whole)


def make_model(path):
    shapes = [("embed", (32000, 2048))] + [(f"layers.{i}.mlp.weight", (2048, 8192))
                                           for i in range(12)]
    header, offset = {}, 0
    for name, shape in shapes:
        n = 4 * shape[0] * shape[1]
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(0)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, shape in shapes:
            for r in range(0, shape[0], 1024):
                rows = min(1024, shape[0] - r)
                f.write((rng.standard_normal((rows, shape[1]), dtype=np.float32) * 0.02)
                        .tobytes())
    tmp.rename(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(root, tmp):
    port = free_port()
    conf = (ROOT / "tests" / "net" / "nginx.conf.in").read_text()
    conf = conf.replace("@TMP@", tmp).replace("@ROOT@", str(root)).replace("@PORT@", str(port))
    conf_path = os.path.join(tmp, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["/usr/sbin/nginx", "-p", tmp, "-e", os.path.join(tmp, "error.log"),
                             "-c", conf_path])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start")


def run(cmd, env, runs=5):
    """Median wall time of RUNS runs, and the last run's bytes fetched (WS_HTTP_STATS)."""
    times, fetched = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t)
        m = re.search(r"fetched (\d+) bytes", done.stderr)
        fetched = int(m.group(1)) if m else 0
    return statistics.median(times), fetched


def logged(tmp, runs=5):
    """Bytes nginx sent per run since the last call (its access log, then emptied)."""
    path = os.path.join(tmp, "access.log")
    total = sum(int(line.split()[2]) for line in open(path) if len(line.split()) > 2)
    open(path, "w").close()
    return total / runs


def main():
    OUT.mkdir(exist_ok=True)
    if not MODEL.exists():
        print("generating", MODEL)
        make_model(MODEL)
    size = MODEL.stat().st_size
    tmp = tempfile.mkdtemp(prefix="ws-remote-bench-")
    cache = os.path.join(tmp, "cache")
    nginx, port = start_nginx(OUT, tmp)
    url = f"http://127.0.0.1:{port}/files/{MODEL.name}"
    png = os.path.join(tmp, "embed.png")
    base = dict(os.environ, QT_QPA_PLATFORM="offscreen", WS_HTTP_STATS="1",
                WS_HTTP_CACHE_DIR=cache)
    nocache = dict(base, WS_HTTP_CACHE_MB="0")
    try:
        subprocess.run(["cat", str(MODEL)], stdout=subprocess.DEVNULL, check=True)
        rows = []
        logged(tmp)
        t, b = run([str(BIN), "info", url], nocache)
        rows.append(("info by URL", t, b, logged(tmp)))
        t, b = run([str(BIN), "export", url, "embed", "-o", png], nocache)
        rows.append(("export of embed by URL (all values)", t, b, logged(tmp)))
        window = window_row("window by URL: embed's first paint", url, "embed", nocache, tmp,
                            size)
        run([str(BIN), "export", url, "embed", "-o", png], base)  # fills the disk cache
        logged(tmp)
        t, b = run([str(BIN), "info", url], base)
        rows.append(("info by URL, disk cache warm", t, b, logged(tmp)))
        t, b = run([str(BIN), "export", url, "embed", "-o", png], base)
        rows.append(("export by URL, disk cache warm", t, b, logged(tmp)))
        dl = os.path.join(tmp, "download.safetensors")
        t, _ = run(["curl", "-sS", "-o", dl, url], base)
        rows.append(("download with curl", t, size, logged(tmp)))
        os.remove(dl)
        t, _ = run([str(BIN), "info", str(MODEL)], base)
        rows.append(("info of the local file", t, 0, 0))
        t, _ = run([str(BIN), "export", str(MODEL), "embed", "-o", png], base)
        rows.append(("export of the local file", t, 0, 0))
        rows = [(name, t, b, sent, size) for name, t, b, sent in rows] + [window]
        big = []  # the LLM-scale files, when the other benchmarks made them
        index = OUT / "llama3b" / "model.safetensors.index.json"
        if index.exists():
            u = f"http://127.0.0.1:{port}/files/llama3b/{index.name}"
            shard = OUT / "llama3b" / "model-00001-of-00002.safetensors"
            subprocess.run(["cat", str(shard)], stdout=subprocess.DEVNULL, check=True)
            model = sum(f.stat().st_size for f in index.parent.glob("*.safetensors"))
            logged(tmp)
            t, b = run([str(BIN), "info", u], nocache, 3)
            big.append(("3B model: info by URL", t, b, logged(tmp, 3), model))
            t, b = run([str(BIN), "export", u, "model.embed_tokens.weight", "-o", png], nocache, 3)
            big.append(("3B model: export of the embedding", t, b, logged(tmp, 3), model))
            big.append(window_row("3B model: window by URL, embedding", u,
                                  "model.embed_tokens.weight", nocache, tmp, model))
            dl = os.path.join(tmp, "shard.safetensors")
            t, _ = run(["curl", "-sS", "-o", dl, f"http://127.0.0.1:{port}/files/llama3b/"
                        f"{shard.name}"], base, 3)
            big.append(("3B model: curl of the shard with it", t, shard.stat().st_size,
                        logged(tmp, 3), model))
            os.remove(dl)
        gguf = OUT / "llama-q4k.gguf"
        if gguf.exists():
            u = f"http://127.0.0.1:{port}/files/{gguf.name}"
            subprocess.run(["cat", str(gguf)], stdout=subprocess.DEVNULL, check=True)
            logged(tmp)
            t, b = run([str(BIN), "info", u], nocache, 3)
            big.append(("q4_K GGUF: info by URL", t, b, logged(tmp, 3), gguf.stat().st_size))
            t, b = run([str(BIN), "export", u, "blk.0.ffn_down.weight", "-o", png], nocache, 3)
            big.append(("q4_K GGUF: export of ffn_down", t, b, logged(tmp, 3),
                        gguf.stat().st_size))
            dl = os.path.join(tmp, "download.gguf")
            t, _ = run(["curl", "-sS", "-o", dl, u], base, 3)
            big.append(("q4_K GGUF: curl of the file", t, gguf.stat().st_size, logged(tmp, 3),
                        gguf.stat().st_size))
            os.remove(dl)
        rows += big
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"model: {MODEL.name}, {size / 2**20:.0f} MiB, embed 32000 x 2048 float32 "
          f"({32000 * 2048 * 4 / 2**20:.0f} MiB); nginx on 127.0.0.1")
    print(f"{'':40} {'time':>9} {'fetched':>14} {'nginx sent':>14} {'of model':>8}")
    for name, t, b, sent, whole in rows:
        print(f"{name:40} {t * 1e3:7.0f}ms {b:14,d} {int(sent):14,d} {100 * sent / whole:7.2f}%")


if __name__ == "__main__":
    main()
