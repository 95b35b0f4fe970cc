#!/usr/bin/env bash
# The e2e suite of `make bench` (scripts/bench.sh): end-to-end throughput
# of one node. Per round and per executor, a fresh one-node consortium and a
# separate load process (scripts/loadgen) that signs TXS
# identity.add_member transactions (~1.9 KB each), submits them in requests
# of 250 from 8 connections and waits for every commit. Each round runs
# Block-STM and serial (--serial) one after the other, in swapped order
# every other round, so that both see the same machine.
#
# Figures: committed tx/s, per-transaction commit latency p50/p99 (submit
# to committed; a transaction counts its request's latency), transactions
# per block, the node's mean execute and commit (one fsynced batch) time
# per block from its /metrics, the CPU cores the node used over the run
# (its user+system CPU time / wall time) and its CPU time per committed
# transaction. On a machine shared with other work, tx/s moves with the
# load; CPU time per transaction much less.
#
#   TXS=20000 ROUNDS=3 scripts/bench-e2e.sh            # Go benchmark format on stdout
#   PROFILE_DIR=bin/bench/profiles scripts/bench-e2e.sh # and CPU/alloc profiles (below)
#
# With PROFILE_DIR, one more run per executor after the rounds: the node
# with --pprof, PROFILE_TXS transactions (default 6x TXS); while they are
# submitted, an execution trace of 3 s and then a CPU profile of
# PROFILE_SECONDS (default 8); after them the allocation profile:
# PROFILE_DIR/e2e-<executor>.{trace,cpu.pprof,allocs.pprof}.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO: exit status $?" >&2' ERR
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
TXS=${TXS:-20000}
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
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }

port=$(pick_base 0 100 200)
bin/consortium-node init --home "$tmp/home" --base-port "$port" >/dev/null
api=127.0.0.1:$port

start_node() { # flags...
  rm -rf "$tmp/home/data"
  bin/consortium-node run --home "$tmp/home" --log-level warn "$@" 2>"$tmp/node.log" &
  node=$!
}
stop_node() {
  kill "$node"
  wait "$node" 2>/dev/null || true
  node=
}
loadgen() { # txs; the RESULT line on stdout
  bin/loadgen --home "$tmp/home" --node "$api" --txs "$1" --wait-leader 30s 2>"$tmp/loadgen.err" || {
    echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" "$tmp/node.log" >&2; return 1
  }
}

measure() { # label, node flags...
  local label=$1; shift
  start_node "$@"
  wait_for curl -sf "http://$api/v1/status"
  local cpu0 out cpu1
  cpu0=$(cpu_seconds "$node")
  out=$(loadgen "$TXS")
  cpu1=$(cpu_seconds "$node")
  local m=$tmp/metrics.txt
  curl -sf -o "$m" "http://$api/metrics"
  local es ec cs cc
  es=$(metric almoner_node_block_execute_seconds_sum "$m") ec=$(metric almoner_node_block_execute_seconds_count "$m")
  cs=$(metric almoner_node_block_commit_seconds_sum "$m") cc=$(metric almoner_node_block_commit_seconds_count "$m")
  stop_node
  echo "  e2e $label: $(echo "$out" | awk 'NR == 1')" >&2
  local r
  r=$(echo "$out" | grep '^RESULT ')
  awk -v l="$label" -v tps="$(field tps <<<"$r")" -v p50="$(field p50_ms <<<"$r")" -v p99="$(field p99_ms <<<"$r")" \
    -v n="$(field committed <<<"$r")" -v b="$(field blocks <<<"$r")" -v s="$(field seconds <<<"$r")" \
    -v ex="$(per_block "$es" "$ec")" -v co="$(per_block "$cs" "$cc")" -v c0="$cpu0" -v c1="$cpu1" 'BEGIN {
      printf "BenchmarkE2E/executor=%s 1 %s tx/s %s p50-ms %s p99-ms %.0f tx/block %s exec-ms/block %s commit-ms/block %.2f node-cores %.0f node-cpu-us/tx\n",
        l, tps, p50, p99, (b > 0 ? n / b : 0), ex, co, (s > 0 ? (c1 - c0) / s : 0), (n > 0 ? 1e6 * (c1 - c0) / n : 0) }'
}

profile() { # label, node flags...
  local label=$1; shift
  local pp
  pp=127.0.0.1:$(pick_base 0)
  start_node --pprof "$pp" "$@"
  loadgen "${PROFILE_TXS:-$((TXS * 6))}" >"$tmp/profile.out" &
  local lg=$!
  # Profile the submission, not the signing before it.
  for _ in $(seq 600); do grep -q '^submitting' "$tmp/loadgen.err" 2>/dev/null && break; sleep 0.05; done
  # An execution trace first (where the raft loop's time goes: running,
  # waiting for a CPU, in syscalls, waiting for the executor's workers).
  curl -sf -o "$PROFILE_DIR/e2e-$label.trace" "http://$pp/debug/pprof/trace?seconds=3" ||
    echo "  (the trace failed)" >&2
  profile_cpu "http://$pp" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/e2e-$label.cpu.pprof"
  local cpu=$!
  wait "$lg" || { echo "loadgen failed (profile run)" >&2; return 1; }
  wait "$cpu" || echo "  (the CPU profile failed: the load ended before ${PROFILE_SECONDS:-8}s? raise PROFILE_TXS)" >&2
  profile_allocs "http://$pp" "$PROFILE_DIR/e2e-$label.allocs.pprof"
  stop_node
  echo "  e2e $label (profiled, not counted): $(head -1 "$tmp/profile.out")" >&2
  echo "  profiles: $PROFILE_DIR/e2e-$label.{trace,cpu.pprof,allocs.pprof}" >&2
}

echo "e2e: $TXS identity.add_member txs per round, one node, load from a separate process, $ROUNDS round(s)" >&2
echo "suite: e2e"
echo "txs: $TXS"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  if [ $((r % 2)) = 1 ]; then
    measure block-stm; measure serial --serial
  else
    measure serial --serial; measure block-stm
  fi
done
if [ -n "${PROFILE_DIR:-}" ]; then
  mkdir -p "$PROFILE_DIR"
  profile block-stm
  profile serial --serial
fi
