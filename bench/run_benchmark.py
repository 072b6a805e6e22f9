#!/usr/bin/env python3
"""WeightScope benchmark against PyTorch and matplotlib on a GPT-2-small-sized file.

Usage: /usr/bin/python3 bench/run_benchmark.py [BUILD_DIR]   (default: build)
Builds nothing: run scripts/run or cmake --build first. The checkpoint is made
once in bench/out/ (about 500 MB). Times are medians of warm runs (file in the
page cache); WeightScope's times are whole processes, PyTorch's and matplotlib's
exclude the Python start-up and imports, which favours them.
Then figures that unit tests used to assert: the open of a 120-tensor checkpoint
(bench/out/lazy120.pt) and the first paint of a 50257 x 768 matrix in memory.
"""
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import PY, python_timed, timed  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
OUT = ROOT / "bench" / "out"
CKPT = OUT / "gpt2-small.pt"
BIN = BUILD / "app" / "weightscope"
BENCH = BUILD / "bench" / "weightscope_bench"
TENSOR = "transformer.wte.weight"


def main():
    OUT.mkdir(exist_ok=True)
    if not CKPT.exists():
        subprocess.run([PY, str(ROOT / "bench" / "make_gpt2_checkpoint.py"), str(CKPT)],
                       check=True)
    size = CKPT.stat().st_size / 2**20
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    print(f"checkpoint: {CKPT} ({size:.0f} MiB)\n")
    subprocess.run(["cat", str(CKPT)], stdout=subprocess.DEVNULL, check=True)  # warm the cache

    ws_info = timed([str(BIN), "info", str(CKPT)], env=env)
    torch_info = python_timed("import torch", f"""
sd = torch.load("{CKPT}", map_location="cpu")
for k, v in sd.items():
    print(k, tuple(v.shape), v.dtype, v.numel())
""")
    png = OUT / "wte.png"
    ws_export = timed([str(BIN), "export", str(CKPT), TENSOR, "-o", str(png)], runs=7, env=env)
    mpl_export = python_timed("import torch", f"""
sd = torch.load("{CKPT}", map_location="cpu")
w = sd["{TENSOR}"].numpy()
m = abs(w).max()
fig, ax = plt.subplots(figsize=(12, 9), dpi=100)
im = ax.imshow(w, aspect="auto", cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
fig.colorbar(im)
fig.savefig("{OUT / 'wte_matplotlib.png'}")
""", runs=7)
    print(f"{'':34} {'WeightScope':>12} {'reference':>12} {'speed-up':>9}")
    print(f"{'info vs torch.load + listing':34} {ws_info * 1e3:10.0f}ms {torch_info * 1e3:10.0f}ms "
          f"{torch_info / ws_info:8.1f}x")
    print(f"{'export png vs torch+matplotlib':34} {ws_export * 1e3:10.0f}ms "
          f"{mpl_export * 1e3:10.0f}ms {mpl_export / ws_export:8.1f}x")
    print()
    subprocess.run([str(BENCH), str(CKPT), TENSOR], check=True, env=env)

    # Figures that unit tests once asserted (timing belongs here, not in tests):
    # a lazy open of 120 tensors of 1024 x 1024 (was < 300 ms in tst_pytorchreader)
    # and the first paint of a 50257 x 768 matrix (was < 150 ms in tst_heatmapwidget).
    print()
    lazy = OUT / "lazy120.pt"
    if not lazy.exists():
        subprocess.run([PY, "-c", "import torch, collections, sys\n"
                        "sd = collections.OrderedDict((f'l{i}.weight', torch.zeros(1024, 1024))"
                        " for i in range(120))\n"
                        "torch.save(sd, sys.argv[1])", str(lazy)], check=True)
    subprocess.run([str(BENCH), "--open", str(lazy)], check=True, env=env)
    subprocess.run([str(BENCH), "--paint"], check=True, env=env)


if __name__ == "__main__":
    main()
