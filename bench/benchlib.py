"""Timing helpers shared by the benchmark scripts in this folder."""
import re
import statistics
import sys
import subprocess
import time

PY = "/usr/bin/python3"


def timed(cmd, runs=5, env=None):
    """Median wall time of running CMD (a whole process) RUNS times."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def python_timed(imports, body, runs=3):
    """Median of in-process times of BODY (after IMPORTS and matplotlib's Agg set-up),
    each in a fresh interpreter."""
    script = f"""
import time, matplotlib
{imports}
matplotlib.use("Agg")
import matplotlib.pyplot as plt
t = time.perf_counter()
{body}
print(time.perf_counter() - t)
"""
    times = []
    for _ in range(runs):
        out = subprocess.run([PY, "-c", script], check=True, capture_output=True, text=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def window_figures(window_bin, path, tensor, csv, env, view_only=False):
    """Runs bench/weightscope_bench_window on PATH with TENSOR selected (its pan curve
    to CSV; VIEW_ONLY: open and look only) and returns its figures,
    {"open -> fileLoaded": 23.3, ...}."""
    args = [str(window_bin), str(path), tensor, "--csv", str(csv)]
    out = subprocess.run(args + (["--view-only"] if view_only else []), env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"weightscope_bench_window failed:\n{out.stdout}\n{out.stderr}")
    figures = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(.*?)\s+(-?[\d.]+)\s*(\S*)$", line)
        if m:
            figures[m.group(1).strip()] = float(m.group(2))
    return figures
