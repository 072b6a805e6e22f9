#!/usr/bin/python3
"""Checks a WeightScope heatmap figure (PDF) the way matplotlib would draw it: renders
the same tensor with matplotlib 3.6 (imshow without interpolation, a colour bar, the
same physical size, font size, colour map and range, TrueType fonts) and compares
with poppler's tools:

- page size (pdfinfo): equal within 0.5 pt;
- text sizes (pdftotext -bbox): the heights of tick labels and of the title equal
  within 0.5 pt;
- the heatmap image (pdfimages): lossless (no JPEG), one pixel per cell, and its
  pixels equal to matplotlib's colours for the same data, map and range, and to the
  image matplotlib embeds in its own PDF.

Prints the measured figures; exit 0 when everything matches, 1 with one line per
difference. With --png-dir, also writes both pages as PNG at 200 dpi
(fig_ours.png, fig_matplotlib.png) for a look.

Usage: compare_with_matplotlib.py --ours FIG.pdf --npy VALUES.npy --width-in W
       --height-in H --font-size PT [--cmap RdBu_r] [--title T] [--xlabel X]
       [--ylabel Y] --workdir DIR [--png-dir DIR]
"""
import argparse
import os
import re
import subprocess
import sys

import matplotlib
matplotlib.use("pdf")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

WORD = re.compile(r'<word xMin="([-0-9.]+)" yMin="([-0-9.]+)" xMax="([-0-9.]+)" '
                  r'yMax="([-0-9.]+)">([^<]*)</word>')
NUMBER = re.compile(r"^[\u2212-]?[0-9]+(\.[0-9]+)?$")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def page_size(pdf):
    m = re.search(r"Page size:\s+([0-9.]+) x ([0-9.]+) pts", run("pdfinfo", pdf))
    return float(m.group(1)), float(m.group(2))


def words(pdf):
    out = []
    for m in WORD.finditer(run("pdftotext", "-bbox", pdf, "-")):
        x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
        out.append((m.group(5), x0, y0, x1, y1))
    return out


def images(pdf, workdir, prefix):
    """[(number, width, height, encoding, path)] of the page's images, extracted as PNG."""
    rows = []
    for line in run("pdfimages", "-list", pdf).splitlines()[2:]:
        f = line.split()
        rows.append((int(f[1]), int(f[3]), int(f[4]), f[8]))
    root = os.path.join(workdir, prefix)
    run("pdfimages", "-png", pdf, root)
    return [(n, w, h, enc, "%s-%03d.png" % (root, n)) for n, w, h, enc in rows]


def reference(args, data, path):
    """matplotlib's figure of data; returns the colours it gives the cells (rows down)."""
    rc = {"font.size": args.font_size, "font.family": "DejaVu Sans", "pdf.fonttype": 42}
    with matplotlib.rc_context(rc):
        fig = plt.figure(figsize=(args.width_in, args.height_in))
        ax = fig.add_subplot()
        m = float(np.nanmax(np.abs(data)))
        im = ax.imshow(data, cmap=args.cmap, vmin=-m, vmax=m, interpolation="none",
                       aspect="auto")
        fig.colorbar(im, ax=ax)
        if args.title:
            ax.set_title(args.title)
        if args.xlabel:
            ax.set_xlabel(args.xlabel)
        if args.ylabel:
            ax.set_ylabel(args.ylabel)
        fig.savefig(path)
        plt.close(fig)
        return im.to_rgba(data, bytes=True)[:, :, :3]


def tick_heights(ws):
    return [y1 - y0 for text, _, y0, _, y1 in ws if NUMBER.match(text)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ours", required=True)
    p.add_argument("--npy", required=True)
    p.add_argument("--width-in", type=float, required=True)
    p.add_argument("--height-in", type=float, required=True)
    p.add_argument("--font-size", type=float, required=True)
    p.add_argument("--cmap", default="RdBu_r")
    p.add_argument("--title", default="")
    p.add_argument("--xlabel", default="")
    p.add_argument("--ylabel", default="")
    p.add_argument("--workdir", required=True)
    p.add_argument("--png-dir")
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    # float64: matplotlib then normalises in double precision, as WeightScope does.
    data = np.load(args.npy).astype(np.float64)
    rows, cols = data.shape
    ref_pdf = os.path.join(args.workdir, "matplotlib.pdf")
    expected = reference(args, data, ref_pdf)
    problems = []

    ours_size, ref_size = page_size(args.ours), page_size(ref_pdf)
    print("page size: ours %.1f x %.1f pt, matplotlib %.1f x %.1f pt" % (ours_size + ref_size))
    if max(abs(a - b) for a, b in zip(ours_size, ref_size)) > 0.5:
        problems.append("page sizes differ by more than 0.5 pt")

    ours_words, ref_words = words(args.ours), words(ref_pdf)
    ours_ticks, ref_ticks = tick_heights(ours_words), tick_heights(ref_words)
    if not ours_ticks or not ref_ticks:
        problems.append("no tick labels found (ours %d, matplotlib %d)"
                        % (len(ours_ticks), len(ref_ticks)))
    else:
        ref_h = float(np.median(ref_ticks))
        print("tick label heights: ours %.2f..%.2f pt (%d labels), matplotlib %.2f pt"
              % (min(ours_ticks), max(ours_ticks), len(ours_ticks), ref_h))
        worst = max(abs(h - ref_h) for h in ours_ticks)
        if worst > 0.5:
            problems.append("a tick label's height differs by %.2f pt" % worst)
    if args.title:
        first = args.title.split()[0]
        ours_t = [y1 - y0 for t, _, y0, _, y1 in ours_words if t == first]
        ref_t = [y1 - y0 for t, _, y0, _, y1 in ref_words if t == first]
        if not ours_t or not ref_t:
            problems.append("title '%s' not found as text" % args.title)
        else:
            print("title height: ours %.2f pt, matplotlib %.2f pt" % (ours_t[0], ref_t[0]))
            if abs(ours_t[0] - ref_t[0]) > 0.5:
                problems.append("title heights differ by %.2f pt" % abs(ours_t[0] - ref_t[0]))
    for label in (args.xlabel, args.ylabel):
        if label and label.split()[0] not in [w[0] for w in ours_words]:
            problems.append("axis label '%s' not found as text" % label)

    ours_images = images(args.ours, args.workdir, "ours")
    ref_images = images(ref_pdf, args.workdir, "matplotlib")
    for who, found in (("ours", ours_images), ("matplotlib", ref_images)):
        lossy = [enc for _, _, _, enc, _ in found if enc != "image"]
        if lossy:
            problems.append("%s embeds images encoded as %s (not lossless)" % (who, lossy))
    print("images: ours %s, matplotlib %s" % ([(w, h, e) for _, w, h, e, _ in ours_images],
                                              [(w, h, e) for _, w, h, e, _ in ref_images]))
    ours_map = [path for _, w, h, _, path in ours_images if (w, h) == (cols, rows)]
    ref_map = [path for _, w, h, _, path in ref_images if (w, h) == (cols, rows)]
    if len(ours_map) != 1:
        problems.append("ours has %d images of %d x %d (one pixel per cell)"
                        % (len(ours_map), cols, rows))
    if len(ref_map) != 1:
        problems.append("matplotlib's PDF has %d images of %d x %d" % (len(ref_map), cols, rows))
    if len(ours_map) == 1 and len(ref_map) == 1:
        ours_px = np.asarray(Image.open(ours_map[0]).convert("RGB"))
        # matplotlib's PDF backend stores an image bottom row first (PDF's y axis points
        # up) and flips it back with its transform: compare it upright.
        ref_px = np.flipud(np.asarray(Image.open(ref_map[0]).convert("RGB")))
        same_expected = int((ours_px == expected).all(axis=2).sum())
        same_ref = int((ours_px == ref_px).all(axis=2).sum())
        print("heatmap pixels equal: %d of %d to matplotlib's colours, %d of %d to its "
              "embedded image" % (same_expected, rows * cols, same_ref, rows * cols))
        if same_expected != rows * cols or same_ref != rows * cols:
            problems.append("heatmap pixels differ from matplotlib's")
        if not (ref_px == expected).all():
            problems.append("matplotlib's own image is not its colours (comparison invalid)")

    if args.png_dir:
        os.makedirs(args.png_dir, exist_ok=True)
        for pdf, name in ((args.ours, "fig_ours"), (ref_pdf, "fig_matplotlib")):
            run("pdftoppm", "-r", "200", "-png", "-singlefile", pdf,
                os.path.join(args.png_dir, name))
    for problem in problems:
        print("DIFFERENCE:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
