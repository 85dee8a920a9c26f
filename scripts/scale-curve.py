#!/usr/bin/env python3
"""The "scale on one node" cost curve: runs the release podsim on scenarios/scale/churn-N-pods.yaml
for each N and a few seeds, measures the CPU time of each run (user + sys of the child process),
and prints a Markdown table of the cost per pod per virtual minute against N. Optionally draws it as
an SVG chart.

It builds nothing: build first with `cargo build --release --bin podsim`.

Usage:
  python3 scripts/scale-curve.py [--podsim target/release/podsim] [--sizes 30,100,300,1000]
                                 [--seeds 0,1,2] [--runs 3] [--svg benches/scale-per-pod.svg]
                                 [--baseline OTHER/podsim]

For each N and seed the run is repeated --runs times and the median CPU time taken; the N's row shows
the median over its seeds. Cost per pod per virtual minute = CPU time / (N x the run's virtual
minutes, liveness extension included). Every run must pass (exit code 0), else the script stops
with exit code 1. CPU time still grows with the machine's load (other processes share the caches and
cores): compare two builds with --baseline, whose runs alternate with --podsim's under the same load.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child_cpu():
    """User + sys seconds of every child process waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(podsim, scenario, seed):
    """One `podsim run --json`: (CPU seconds, its outcome)."""
    before = child_cpu()
    proc = subprocess.run(
        [podsim, "run", scenario, "--seed", str(seed), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    cpu = child_cpu() - before
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"scale-curve: {scenario} --seed {seed} failed (exit code {proc.returncode})")
    return cpu, json.loads(proc.stdout)


def measure(binaries, n, seeds, runs):
    """The rows of N, one per binary: events, CPU ms and µs per pod per virtual minute, each the
    median over seeds. With several binaries their runs alternate, so that they share the load."""
    scenario = os.path.join("scenarios", "scale", f"churn-{n}-pods.yaml")
    samples = {b: {"events": [], "cpu_ms": [], "per_pod": []} for b in binaries}
    for seed in seeds:
        cpus = {b: [] for b in binaries}
        outcomes = {}
        for _ in range(runs):
            for b in binaries:
                cpu, outcome = run_once(b, scenario, seed)
                cpus[b].append(cpu)
                outcomes[b] = outcome
        for b in binaries:
            cpu = statistics.median(cpus[b])
            minutes = outcomes[b]["virtual_millis"] / 60_000
            samples[b]["events"].append(outcomes[b]["events"])
            samples[b]["cpu_ms"].append(cpu * 1e3)
            samples[b]["per_pod"].append(cpu * 1e6 / (n * minutes))
    rows = {}
    for b, s in samples.items():
        rows[b] = {
            "n": n,
            "events": statistics.median(s["events"]),
            "cpu_ms": statistics.median(s["cpu_ms"]),
            "per_pod": statistics.median(s["per_pod"]),
            "per_event": statistics.median(c * 1e3 / e for c, e in zip(s["cpu_ms"], s["events"])),
        }
    return rows


def table(rows):
    base = rows[0]["per_pod"]
    lines = [
        f"| N | events | CPU ms | µs per pod per virtual minute | ratio to N={rows[0]['n']} | µs per event |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['events']:,.0f} | {r['cpu_ms']:,.0f} | {r['per_pod']:.1f} | "
            f"{r['per_pod'] / base:.2f} | {r['per_event']:.1f} |"
        )
    return "\n".join(lines)


def svg(rows, title):
    """A line chart of µs per pod per virtual minute against N (log scale), stdlib only."""
    import math

    width, height, left, bottom, top, right = 640, 360, 80, 50, 40, 30
    ymax = max(r["per_pod"] for r in rows) * 1.2
    lo, hi = math.log10(rows[0]["n"]), math.log10(rows[-1]["n"])

    def x(n):
        span = (hi - lo) or 1.0
        return left + (math.log10(n) - lo) / span * (width - left - right)

    def y(v):
        return height - bottom - v / ymax * (height - bottom - top)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
        f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">pods on the node (N, log scale)</text>',
        f'<text x="15" y="{(top + height - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 15 {(top + height - bottom) / 2})">CPU µs per pod per virtual minute</text>',
    ]
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<line x1="{left - 4}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    for r in rows:
        out.append(f'<text x="{x(r["n"]):.1f}" y="{height - bottom + 16}" text-anchor="middle">{r["n"]}</text>')
    points = " ".join(f'{x(r["n"]):.1f},{y(r["per_pod"]):.1f}' for r in rows)
    out.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for r in rows:
        out.append(f'<circle cx="{x(r["n"]):.1f}" cy="{y(r["per_pod"]):.1f}" r="3" fill="#1f77b4"/>')
        out.append(
            f'<text x="{x(r["n"]):.1f}" y="{y(r["per_pod"]) - 8:.1f}" text-anchor="middle">{r["per_pod"]:.0f}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def numbers(text):
    return [int(v) for v in text.split(",") if v]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--podsim", default=os.path.join("target", "release", "podsim"))
    p.add_argument("--sizes", type=numbers, default=[30, 100, 300, 1000])
    p.add_argument("--seeds", type=numbers, default=[0, 1, 2])
    p.add_argument("--runs", type=int, default=3, help="runs of each seed (the median is taken)")
    p.add_argument("--svg", help="also draw the curve to this SVG file")
    p.add_argument(
        "--baseline",
        help="another podsim binary to measure in turn with --podsim (runs alternate), with a table of its own",
    )
    args = p.parse_args()
    os.chdir(ROOT)
    if not os.path.exists(args.podsim):
        sys.exit(f"scale-curve: no {args.podsim}; build it with `cargo build --release --bin podsim`")
    if not args.sizes or not args.seeds or args.runs < 1:
        sys.exit("scale-curve: --sizes, --seeds and --runs must not be empty")
    if args.baseline and not os.path.exists(args.baseline):
        sys.exit(f"scale-curve: no {args.baseline}")
    if args.baseline and os.path.realpath(args.baseline) == os.path.realpath(args.podsim):
        sys.exit("scale-curve: --baseline is --podsim itself")
    binaries = [args.podsim] + ([args.baseline] if args.baseline else [])
    load_before = os.getloadavg()[0]
    rows = {b: [] for b in binaries}
    for n in sorted(args.sizes):
        for b, row in measure(binaries, n, args.seeds, args.runs).items():
            rows[b].append(row)
        print(f"N = {n}: done", file=sys.stderr)
    if args.baseline:
        print(f"{args.podsim}:\n")
    print(table(rows[args.podsim]))
    if args.baseline:
        print(f"\n{args.baseline} (the baseline):\n")
        print(table(rows[args.baseline]))
        print("\n| N | CPU of the baseline / CPU of " + args.podsim + " |\n|---:|---:|")
        for new, old in zip(rows[args.podsim], rows[args.baseline]):
            print(f"| {new['n']} | {old['cpu_ms'] / new['cpu_ms']:.2f} |")
    print(
        f"\nSeeds {','.join(map(str, args.seeds))}, median of {args.runs} runs each; "
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end."
    )
    if args.svg:
        with open(args.svg, "w") as f:
            f.write(svg(rows[args.podsim], "podsim run, scenarios/scale/churn-N-pods.yaml: cost per pod"))
        print(f"wrote {args.svg}", file=sys.stderr)


if __name__ == "__main__":
    main()
