#!/usr/bin/env bash
# The crash-loop test: KILLS (default 50) SIGKILLs of random nodes of a
# 3-node consortium at random moments under load (TestCrashLoop in
# consortium-node/crashloop_test.go). Afterwards every acknowledged
# transaction must be on every node, every store must have opened without
# repair and the nodes' state hashes must agree. SEED (default: random)
# replays a run. Prints the test's log and its summary line
# "crashloop: kills=… acknowledged=… lost=… seed=…"; exits non-zero on failure.
#
#   scripts/crashloop.sh [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-50}
seed=${2:-0}
log=$(mktemp "${TMPDIR:-/tmp}/crashloop.XXXXXX.log")
start=$(date +%s)
rc=0
go test -v -run '^TestCrashLoop$' -count=1 -timeout 60m ./consortium-node/ \
  -args -crashloop.kills="$kills" -crashloop.seed="$seed" 2>&1 | tee "$log" || rc=$?
echo "== log: $log; $(( $(date +%s) - start ))s"
grep -o 'crashloop: .*' "$log" || echo "crashloop: no summary (the test failed before the end of the loop)"
exit "$rc"
