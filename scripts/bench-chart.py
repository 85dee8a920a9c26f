#!/usr/bin/env python3
"""Draws benches/resync-per-pod.svg (resync cost per pod against N) from criterion's estimates, and
prints every benchmark's median and median absolute deviation as a Markdown table.

Usage: cargo bench --bench podsim && python3 scripts/bench-chart.py [TARGET_DIR]
"""
import json
import math
import os
import sys

target = sys.argv[1] if len(sys.argv) > 1 else "target"
root = os.path.join(target, "criterion")


def estimate(path):
    with open(os.path.join(root, path, "new", "estimates.json")) as f:
        e = json.load(f)
    return e["median"]["point_estimate"], e["median_abs_dev"]["point_estimate"]


def human(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


rows = []
for dirpath, dirnames, filenames in sorted(os.walk(root)):
    if os.path.basename(dirpath) == "new" and "estimates.json" in filenames:
        bench = os.path.relpath(os.path.dirname(dirpath), root)
        if bench.startswith("report"):
            continue
        median, mad = estimate(bench)
        rows.append((bench, median, mad))

print("| benchmark | median | spread (MAD) |")
print("|---|---|---|")
for bench, median, mad in rows:
    print(f"| `{bench}` | {human(median)} | {human(mad)} ({100 * mad / median:.0f}%) |")

ns = [10, 100, 1000, 10000]
series = {}
for case in ["stable", "10pct-changed"]:
    points = []
    for n in ns:
        try:
            median, _ = estimate(f"resync/{case}/{n}")
            points.append((n, median / n))
        except FileNotFoundError:
            pass
    series[case] = points

width, height, left, bottom, top, right = 640, 360, 70, 50, 30, 150
ymax = max((p for pts in series.values() for _, p in pts), default=1.0) * 1.2


def x(n):
    return left + (math.log10(n) - 1) / 3 * (width - left - right)


def y(v):
    return height - bottom - v / ymax * (height - bottom - top)


svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{left}" y="18" font-size="14">Resync cost per pod (compute_pod_actions + status) against pods on the node</text>',
       f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
       f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>']
for n in ns:
    svg.append(f'<text x="{x(n):.1f}" y="{height - bottom + 18}" text-anchor="middle">{n}</text>')
svg.append(f'<text x="{(left + width - right) / 2:.1f}" y="{height - 10}" text-anchor="middle">pods on the node (log scale)</text>')
for i in range(5):
    v = ymax * i / 4
    svg.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0f} ns</text>')
    svg.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="#ddd"/>')
colours = {"stable": "#2a7", "10pct-changed": "#c50"}
for i, (case, points) in enumerate(series.items()):
    if not points:
        continue
    path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in points)
    svg.append(f'<polyline points="{path}" fill="none" stroke="{colours[case]}" stroke-width="2"/>')
    for n, v in points:
        svg.append(f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{colours[case]}"><title>{case} N={n}: {v:.0f} ns per pod</title></circle>')
    svg.append(f'<text x="{width - right + 10}" y="{top + 20 + 18 * i}" fill="{colours[case]}">{case}</text>')
svg.append("</svg>")
with open(os.path.join("benches", "resync-per-pod.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")
print("\nwrote benches/resync-per-pod.svg", file=sys.stderr)
