#!/usr/bin/env python3
"""Issue 16's speed figures of one podsim binary, or of two side by side (the previous build and the
new one, measured in the same run, alternating, so that both see the same machine): prints a Markdown
table and draws benches/speed-targets.svg.

Usage:
    cargo build --release --bin podsim
    python3 scripts/speed-report.py target/release/podsim [BEFORE_BINARY] [--runs N] [--seeds N]

Figures (the scenario is scenarios/churn-random-faults.yaml: 30 pods, 10 virtual minutes, random
faults):
- the churn run, `podsim run ... --seed 1`, whole process, N runs: the median wall time and the mean
  CPU time (user + system of the child, from getrusage, whose tick granularity a mean of many runs
  evens out), and its events per CPU second (`--json`'s `events`);
- `podsim explore ... --seeds 0..S --jobs 1`: seeds per second of wall time;
- the same with `--jobs 2`, and its ratio to twice `--jobs 1` (1.0: two threads give twice the
  throughput of one).
Only the Python standard library is used.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SCENARIO = "scenarios/churn-random-faults.yaml"
TARGETS = {
    "churn run, CPU ms": ("<=", 5.0),
    "events per CPU second": (">=", 1_000_000),
    "explore --jobs 1, seeds/s": (">=", 200),
    "--jobs 2 / (2 x --jobs 1)": (">=", 0.9),
}


def timed(args):
    """Wall seconds and CPU seconds (user + system) of one child process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def churn_run(binary, runs):
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _ = timed([binary, "run", SCENARIO, "--seed", "1"])
        walls.append(wall)
        cpus.append(cpu)
    _, _, out = timed([binary, "run", SCENARIO, "--seed", "1", "--json"])
    events = json.loads(out)["events"]
    # The kernel accounts CPU time in scheduler ticks (4 ms here): one short run's figure is coarse,
    # but the sum over many runs is not biased, so the CPU figure is the mean.
    return statistics.median(walls), sum(cpus) / len(cpus), events


def explore(binary, seeds, jobs):
    wall, cpu, _ = timed([binary, "explore", SCENARIO, "--seeds", f"0..{seeds}", "--jobs", str(jobs)])
    return seeds / wall, cpu


def measure(binary, runs, seeds):
    wall, cpu, events = churn_run(binary, runs)
    one, one_cpu = explore(binary, seeds, 1)
    two, two_cpu = explore(binary, seeds, 2)
    return {
        "churn run, wall ms": wall * 1e3,
        "churn run, CPU ms": cpu * 1e3,
        "events": events,
        "events per CPU second": events / cpu,
        "explore --jobs 1, seeds/s": one,
        "explore --jobs 1, CPU s": one_cpu,
        "explore --jobs 2, seeds/s": two,
        "explore --jobs 2, CPU s": two_cpu,
        "--jobs 2 / (2 x --jobs 1)": two / (2 * one),
    }


def fmt(v):
    if isinstance(v, int) or v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def verdict(name, value):
    if name not in TARGETS:
        return ""
    op, goal = TARGETS[name]
    met = value <= goal if op == "<=" else value >= goal
    return f"{op} {fmt(goal)}: " + ("met" if met else f"missed ({value / goal:.2f}x of the target)")


def chart(rows, path):
    """Bars of each target's figure as a share of the target (1.0 = the target met exactly)."""
    names = list(TARGETS)
    width, bar, gap, left, top = 720, 18, 26, 230, 30
    height = top + len(names) * (2 * bar + gap) + 40
    scale = (width - left - 40) / 1.5
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="12">',
             f'<text x="{left}" y="18">each figure as a share of its target (1.0 = the target; more is better)</text>']
    colours = {"before": "#bbbbbb", "after": "#3070b0"}
    for i, name in enumerate(names):
        y = top + i * (2 * bar + gap)
        parts.append(f'<text x="{left - 8}" y="{y + bar + 4}" text-anchor="end">{name}</text>')
        op, goal = TARGETS[name]
        for j, (label, values) in enumerate(rows):
            v = values[name]
            share = goal / v if op == "<=" else v / goal
            w = max(1.0, min(share, 1.5) * scale)
            parts.append(f'<rect x="{left}" y="{y + j * bar}" width="{w:.1f}" height="{bar - 2}" '
                         f'fill="{colours.get(label, "#3070b0")}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + j * bar + bar - 6}">{label}: {fmt(v)} '
                         f'({share:.2f})</text>')
    x1 = left + scale
    parts.append(f'<line x1="{x1:.1f}" y1="{top - 6}" x2="{x1:.1f}" y2="{height - 30}" stroke="#c03030" '
                 'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x1:.1f}" y="{height - 14}" text-anchor="middle" fill="#c03030">target</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    args = sys.argv[1:]
    runs, seeds = 30, 200
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if "--seeds" in args:
        i = args.index("--seeds")
        seeds = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    binaries = [("after", args[0])] + ([("before", args[1])] if len(args) > 1 else [])
    results = {label: measure(b, runs, seeds) for label, b in reversed(binaries)}
    labels = [label for label, _ in reversed(binaries)]
    print("| figure | " + " | ".join(labels) + " | target |")
    print("|---|" + "---|" * len(labels) + "---|")
    for name in results[labels[0]]:
        cells = [fmt(results[label][name]) for label in labels]
        print(f"| {name} | " + " | ".join(cells) + f" | {verdict(name, results['after'][name])} |")
    os.makedirs("benches", exist_ok=True)
    chart([(label, results[label]) for label in labels], "benches/speed-targets.svg")
    print("\nchart: benches/speed-targets.svg")


if __name__ == "__main__":
    main()
