#!/usr/bin/env python3
"""Progress of a mutation run of model/ (scripts/mutants-full.sh OUT_DIR), per file, with its survivors.

usage: scripts/mutants-status.py OUT_DIR [FILE_PREFIX...]   e.g. ... OUT_DIR model/src/actions.rs model/src/kubelet/kill.rs
Prints, per file, how many of its mutants are done, and the survivors (missed and timeout) so far,
with the path of each survivor's diff. A file is complete when done == total.
"""
import collections
import json
import os
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__)
base = os.path.join(sys.argv[1], 'mutants.out')
muts = json.load(open(f'{base}/mutants.json'))
try:
    outs = json.load(open(f'{base}/outcomes.json'))['outcomes']
except Exception:
    outs = []
prefixes = sys.argv[2:] or ['model/']
total = collections.Counter(m['file'] for m in muts)
done = collections.Counter()
surv = collections.defaultdict(list)
for o in outs:
    s = o['scenario']
    if not isinstance(s, dict) or 'Mutant' not in s:
        continue
    m = s['Mutant']
    done[m['file']] += 1
    if o['summary'] in ('MissedMutant', 'Timeout'):
        surv[m['file']].append((o['summary'], m['name'], os.path.join(base, o.get('diff_path') or '')))
for f in sorted(total, key=lambda f: [m['file'] for m in muts].index(f)):
    if not any(f.startswith(p) for p in prefixes):
        continue
    state = 'COMPLETE' if done[f] == total[f] else 'running' if done[f] else 'waiting'
    print(f'{f}: {done[f]}/{total[f]} {state}, {len(surv[f])} survivors')
    for kind, name, diff in surv[f]:
        print(f'  {kind}: {name}\n    diff: {diff}')


def lines(name):
    """The mutant names a list file of the run holds (none if it is absent)."""
    path = os.path.join(base, name)
    return open(path).read().splitlines() if os.path.exists(path) else []


# The whole run, with the caught of earlier runs that `--iterate` carried over.
caught = len(lines('caught.txt')) + len(lines('previously_caught.txt'))
missed, timeout, unviable = (len(lines(n)) for n in ('missed.txt', 'timeout.txt', 'unviable.txt'))
untested = len(muts) - len(outs)
viable = caught + missed + timeout
share = f'{100 * caught / viable:.1f}%' if viable else '-'
print(f'caught {caught}, missed {missed}, timeout {timeout}, unviable {unviable}, untested {untested}: '
      f'{caught}/{viable} viable caught ({share})')
