#!/usr/bin/env python3
"""Progress of a mutation run of model/ (scripts/mutants-full.sh OUT_DIR), per file, with its survivors.

usage: scripts/mutants-status.py OUT_DIR [--also DIR]... [--summary] [FILE_PREFIX...]

OUT_DIR's mutants.json is the list of mutants. Each --also DIR is a later run of some of them at the
same source (a run stopped part-way and continued elsewhere, or a re-run of survivors by name after
new tests): a mutant any run caught counts as caught, since the tests only grow. Prints, per file,
how many of its mutants are done and the survivors (missed and timeout) with the path of each diff;
a file is complete when done == total. The last line is the count over the files shown.
"""
import argparse
import collections
import json
import os

RANK = {'CaughtMutant': 3, 'Unviable': 2, 'Timeout': 1, 'MissedMutant': 0}

parser = argparse.ArgumentParser(usage=__doc__)
parser.add_argument('out_dir')
parser.add_argument('--also', action='append', default=[])
parser.add_argument('--summary', action='store_true', help='only the per-file lines and the total')
parser.add_argument('prefixes', nargs='*', default=['model/'])
args = parser.parse_intermixed_args()

mutants = json.load(open(os.path.join(args.out_dir, 'mutants.out', 'mutants.json')))
order = list(dict.fromkeys(m['file'] for m in mutants))
known = {m['name'] for m in mutants}


def outcomes(run_dir):
    """(name, file, summary, diff path) of every mutant a run has finished."""
    base = os.path.join(run_dir, 'mutants.out')
    try:
        runs = json.load(open(os.path.join(base, 'outcomes.json')))['outcomes']
    except (OSError, ValueError):
        return []
    found = []
    for o in runs:
        scenario = o['scenario']
        if isinstance(scenario, dict) and 'Mutant' in scenario:
            m = scenario['Mutant']
            found.append((m['name'], m['file'], o['summary'], os.path.join(base, o.get('diff_path') or '')))
    return found


best = {}
for run_dir in [args.out_dir] + args.also:
    for name, file, summary, diff in outcomes(run_dir):
        if name in known and (name not in best or RANK[summary] > RANK[best[name][1]]):
            best[name] = (file, summary, diff)

total = collections.Counter(m['file'] for m in mutants)
done = collections.Counter(file for file, _, _ in best.values())
survivors = collections.defaultdict(list)
for name, (file, summary, diff) in best.items():
    if summary in ('MissedMutant', 'Timeout'):
        survivors[file].append((summary, name, diff))
for f in order:
    if not any(f.startswith(p) for p in args.prefixes):
        continue
    state = 'COMPLETE' if done[f] == total[f] else 'running' if done[f] else 'waiting'
    print(f'{f}: {done[f]}/{total[f]} {state}, {len(survivors[f])} survivors')
    if not args.summary:
        for summary, name, diff in sorted(survivors[f], key=lambda s: s[1]):
            print(f'  {summary}: {name}\n    diff: {diff}')

selected = [f for f in order if any(f.startswith(p) for p in args.prefixes)]
counts = collections.Counter(summary for file, summary, _ in best.values() if file in selected)
caught, missed, timeout = counts['CaughtMutant'], counts['MissedMutant'], counts['Timeout']
viable = caught + missed + timeout
share = f'{100 * caught / viable:.1f}%' if viable else '-'
print(f'caught {caught}, missed {missed}, timeout {timeout}, unviable {counts["Unviable"]}, '
      f'untested {sum(total[f] - done[f] for f in selected)}: {caught}/{viable} viable caught ({share})')
