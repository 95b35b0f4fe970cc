#!/usr/bin/env bash
# The growth suite of `make bench` (scripts/bench.sh), short form: does
# throughput hold as the store fills? Per round, one fresh node; the load
# process (scripts/loadgen) commits N identity.add_member transactions
# ("first"), then FILL more (not reported), then N again ("later"), all
# against the same running node. Figures per window: committed tx/s,
# commit latency p99, the node's CPU time per transaction, and after it
# the node's resident memory and goroutines (its /metrics); then the bytes on disk per committed
# transaction (the node's data folder: state, blocks, receipts, tx index,
# raft log). The ratio later/first is taken within each round.
#
#   N=10000 FILL=30000 ROUNDS=3 scripts/bench-growth.sh
#
# The issue's long form (10 million committed, within 10% of the first
# million; RSS and goroutines flat for 10 minutes) is N=1000000
# FILL=8000000 ROUNDS=1: hours on 2 cores, and as many GB of disk.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO: exit status $?" >&2' ERR
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
N=${N:-10000}
FILL=${FILL:-30000}
ROUNDS=${ROUNDS:-3}
go build -o bin/ ./consortium-node ./scripts/loadgen
tmp=$(mktemp -d)
node=
cleanup() {
  if [ -n "$node" ]; then kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(pick_base 0 100)
bin/consortium-node init --home "$tmp/home" --base-port "$port" >/dev/null
api=127.0.0.1:$port

load() { # txs; the RESULT line
  local out
  out=$(bin/loadgen --home "$tmp/home" --node "$api" --txs "$1" --wait-leader 30s 2>"$tmp/loadgen.err") || {
    echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" "$tmp/node.log" >&2; return 1
  }
  echo "    $1 txs: $(echo "$out" | awk 'NR == 1')" >&2
  echo "$out" | grep '^RESULT '
}

ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }

window() { # name, txs
  local r c0 c1
  c0=$(cpu_seconds "$node")
  r=$(load "$2")
  c1=$(cpu_seconds "$node")
  curl -sf -o "$tmp/metrics.txt" "http://$api/metrics"
  printf 'BenchmarkGrowth/window=%s 1 %s tx/s %s p99-ms %.0f node-cpu-us/tx %.1f rss-MiB %s goroutines\n' "$1" \
    "$(field tps <<<"$r")" "$(field p99_ms <<<"$r")" "$(awk -v a="$c0" -v b="$c1" -v n="$2" 'BEGIN { print 1e6 * (b - a) / n }')" \
    "$(awk '{ print $1 / 1048576 }' <<<"$(metric process_resident_memory_bytes "$tmp/metrics.txt")")" \
    "$(metric go_goroutines "$tmp/metrics.txt")"
}

echo "growth: one node per round; $N txs (first), $FILL more, $N again (later); $ROUNDS round(s)" >&2
echo "suite: growth"
echo "n: $N"
echo "fill: $FILL"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  echo "  round $r:" >&2
  rm -rf "$tmp/home/data"
  bin/consortium-node run --home "$tmp/home" --log-level warn 2>"$tmp/node.log" &
  node=$!
  wait_for curl -sf "http://$api/v1/status" >/dev/null
  window first "$N"
  load "$FILL" >/dev/null
  window later "$N"
  kill "$node"; wait "$node" 2>/dev/null || true
  node=
  total=$((2 * N + FILL))
  bytes=$(du -sb "$tmp/home/data" | awk '{ print $1 }')
  awk -v b="$bytes" -v n="$total" 'BEGIN { printf "BenchmarkGrowthStore 1 %.0f B/tx %d txs\n", b / n, n }'
done
