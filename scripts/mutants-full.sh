#!/bin/bash
# A full tier-1 mutation run of model/: every mutant cargo-mutants makes of the model crate, each tested
# with the model crate's own tests (a mutant they catch, the workspace's tests catch too: they include
# them). BENCHMARKS.md, "Mutation score", has the figures and what each survivor needs.
#
# Usage: scripts/mutants-full.sh OUT_DIR [--iterate]
#   Run from a scratch clone of the tree (cargo-mutants copies it once per job; two jobs).
#   With --iterate, cargo-mutants skips the mutants OUT_DIR/mutants.out already records as caught or
#   unviable and tests the rest (the untested, and the earlier survivors against today's tests); the
#   caught accumulate in previously_caught.txt. A run stopped part-way resumes this way.
#   Progress and survivors, per file: scripts/mutants-status.py OUT_DIR [--also DIR]... [FILE_PREFIX...]
#   (--also: later runs of some of the same mutants, e.g. a re-run of survivors after new tests).
set -euo pipefail
out=${1:?usage: scripts/mutants-full.sh OUT_DIR [--iterate]}
shift
# No debug info: a mutant's build is mostly linking, and the tests need no debugger.
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
exec nice -n 10 cargo mutants -p podsim-model --jobs 2 --baseline skip --timeout 60 \
    --build-timeout 300 -o "$out" "$@"
