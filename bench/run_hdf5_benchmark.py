#!/usr/bin/python3
"""WeightScope against h5py + matplotlib on a compressed HDF5 embedding matrix.

Usage: /usr/bin/python3 bench/run_hdf5_benchmark.py [BUILD_DIR]   (default: build)
Builds nothing: build the weightscope target first. Makes bench/out/wte.h5 once:
one 50257 x 768 float32 dataset (GPT-2's token embedding size), chunked
(256 x 768) and gzip-compressed (level 4, with shuffle), as h5py writes it.
Times are medians of warm runs; WeightScope's are whole processes, h5py's and
matplotlib's exclude the Python start-up and imports, which favours them.
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
FILE = OUT / "wte.h5"
BIN = BUILD / "app" / "weightscope"
DATASET = "transformer/wte/weight"


def make_file():
    script = f"""
import h5py, numpy as np
rng = np.random.default_rng(0)
w = (rng.standard_normal((50257, 768)) * 0.02).astype(np.float32)
with h5py.File("{FILE}", "w") as f:
    f.create_dataset("{DATASET}", data=w, chunks=(256, 768), compression="gzip",
                     compression_opts=4, shuffle=True)
"""
    subprocess.run([PY, "-c", script], check=True)


def main():
    OUT.mkdir(exist_ok=True)
    if not FILE.exists():
        make_file()
    size = FILE.stat().st_size / 2**20
    raw = 50257 * 768 * 4 / 2**20
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    print(f"file: {FILE} ({size:.0f} MiB on disk, {raw:.0f} MiB of float32)\n")
    subprocess.run(["cat", str(FILE)], stdout=subprocess.DEVNULL, check=True)  # warm the cache

    ws_info = timed([str(BIN), "info", str(FILE)], env=env)
    h5_info = python_timed("import h5py, numpy as np", f"""
with h5py.File("{FILE}", "r") as f:
    def show(name, obj):
        if isinstance(obj, h5py.Dataset):
            print(name, obj.shape, obj.dtype, obj.size)
    f.visititems(show)
""")
    png = OUT / "wte_h5.png"
    ws_export = timed([str(BIN), "export", str(FILE), DATASET, "-o", str(png)], runs=3, env=env)
    mpl_export = python_timed("import h5py, numpy as np", f"""
with h5py.File("{FILE}", "r") as f:
    w = f["{DATASET}"][()]
m = abs(w).max()
fig, ax = plt.subplots(figsize=(12, 9), dpi=100)
im = ax.imshow(w, aspect="auto", cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
fig.colorbar(im)
fig.savefig("{OUT / 'wte_h5_matplotlib.png'}")
""")
    h5_read = python_timed("import h5py, numpy as np", f"""
with h5py.File("{FILE}", "r") as f:
    w = f["{DATASET}"][()]
""")
    print(f"{'':34} {'WeightScope':>12} {'reference':>12} {'speed-up':>9}")
    print(f"{'info vs h5py listing':34} {ws_info * 1e3:10.0f}ms {h5_info * 1e3:10.0f}ms "
          f"{h5_info / ws_info:8.1f}x")
    print(f"{'export png vs h5py+matplotlib':34} {ws_export * 1e3:10.0f}ms "
          f"{mpl_export * 1e3:10.0f}ms {mpl_export / ws_export:8.1f}x")
    print(f"{'(h5py read alone)':34} {'':>12} {h5_read * 1e3:10.0f}ms")


if __name__ == "__main__":
    main()
