#!/usr/bin/env bash
# Checks `podsim run --report` in a real headless browser (Debian's chromium): writes the reports of a
# passing and of a failing run, has Chromium render them, checks the rendered DOM shows the pod lanes
# and, for the failing run, a violation, and takes a screenshot of each (paths printed at the end).
#
#   scripts/check-report.sh            # reports and screenshots in a fresh temporary directory
#   OUT=/some/dir scripts/check-report.sh
#
# Installs chromium with apt-get if it is missing (as root). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "check-report: FAIL: $*" >&2
    exit 1
}

# ---- a browser -------------------------------------------------------------------------------------
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
    echo "== installing Debian's chromium"
    [ "$(id -u)" -eq 0 ] || fail "chromium is missing and installing it needs root"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq chromium >/dev/null 2>&1 || {
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
    }
    CHROMIUM="$(command -v chromium)" || fail "chromium did not install"
fi
echo "== browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# ---- podsim ------------------------------------------------------------------------------------------
echo "== cargo build"
cargo build --quiet --bin podsim
PODSIM="$(pwd)/target/debug/podsim"

OUT="${OUT:-$(mktemp -d -t podsim-report.XXXXXX)}"
mkdir -p "$OUT"
PROFILES=()
cleanup() {
    local p
    for p in "${PROFILES[@]}"; do
        rm -rf "$p"
    done
}
trap cleanup EXIT

# A failing run: the expectation wants five restarts of a container that never restarts.
cat >"$OUT/failing.yaml" <<'EOF'
name: expects-restarts
description: Expects five restarts of a container that never restarts, so the run fails.
duration: 2m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
- metadata: {name: crasher}
  spec:
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, exit-after, 2s, "1"]}
timeline:
- at: 30s
  fault: {kind: pauseDeath, pod: web}
expect:
  pods:
    web:
      containers:
        app: {state: running, restarts: 5}
EOF

echo "== writing the reports to $OUT"
"$PODSIM" run scenarios/pause-death-recreates-sandbox.yaml --report "$OUT/passing.html" >"$OUT/passing.txt" ||
    fail "the passing run failed (see $OUT/passing.txt)"
set +e
"$PODSIM" run "$OUT/failing.yaml" --report "$OUT/failing.html" >"$OUT/failing.txt"
code=$?
set -e
[ "$code" -eq 1 ] || fail "the failing run exited $code, not 1 (see $OUT/failing.txt)"

# Runs headless Chromium on a report with the given arguments, a fresh profile, and no network.
browse() {
    local file="$1"
    shift
    local profile
    profile="$(mktemp -d -t podsim-chromium.XXXXXX)"
    PROFILES+=("$profile")
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" "$@" "file://$file" 2>>"$OUT/chromium.log"
}

# check NAME EXPECTED-LANES WANTS-VIOLATION
check() {
    local name="$1" lanes="$2" violation="$3"
    local html="$OUT/$name.html" dom="$OUT/$name.dom.html" png="$OUT/$name.png"
    # The file itself loads nothing from outside.
    if grep -Eq 'https?://|<script|<link|@import|src=' "$html"; then
        fail "$name.html refers to something outside itself"
    fi
    browse "$html" --dump-dom >"$dom" || fail "chromium could not render $name.html"
    [ -s "$dom" ] || fail "chromium rendered nothing for $name.html"
    local found
    found="$(grep -o '<section class="lane[^"]*"' "$dom" | wc -l)"
    [ "$found" -eq "$lanes" ] || fail "$name: $found lanes in the rendered DOM, expected $lanes"
    grep -q 'class="lane' "$dom" || fail "$name: no class=\"lane\" in the rendered DOM"
    grep -q 'data-pod="default/web"' "$dom" || fail "$name: no lane for default/web"
    grep -q '<g class="row sandbox">' "$dom" || fail "$name: no sandbox row"
    grep -q 'class="span s-running"' "$dom" || fail "$name: no running container span"
    grep -q '<g class="fault' "$dom" || fail "$name: no fault mark"
    if [ "$violation" = yes ]; then
        grep -q 'class="violation"' "$dom" || fail "$name: no class=\"violation\" element"
        grep -q 'data-rule="Expectation"' "$dom" || fail "$name: the violation's rule is not shown"
        grep -q 'class="verdict fail"' "$dom" || fail "$name: the verdict is not FAIL"
    else
        if grep -q 'class="violation"' "$dom"; then fail "$name: a violation on a passing run"; fi
        grep -q 'class="verdict pass"' "$dom" || fail "$name: the verdict is not PASS"
    fi
    browse "$html" --screenshot="$png" --window-size=1400,900 >/dev/null || fail "$name: no screenshot"
    [ -s "$png" ] || fail "$name: the screenshot is empty"
    echo "   $name: $found lane(s) rendered$([ "$violation" = yes ] && echo ', violation shown'); ok"
}

echo "== checking in headless chromium"
check passing 1 no
check failing 2 yes

echo "== screenshots"
echo "$OUT/passing.png"
echo "$OUT/failing.png"
echo "check-report: ok"
