#!/usr/bin/env bash
# The e2e suite of `make bench` (scripts/bench.sh): end-to-end throughput
# of one node. Per round, per workload and per executor, a fresh one-node
# consortium and a separate load process (scripts/loadgen) that signs TXS
# transactions of the workload, submits them in requests of 250 from 8
# connections and waits for every commit. WORKLOADS (default "onboard
# mix"; also gifts, access, consent, claims: scripts/loadgen says what each
# sends) picks them: onboard is identity.add_member (~1.9 KB each), mix the
# mission's mix of gifts to hot campaigns, record accesses under consent,
# consent grants, claim submissions and adjudications. Each round runs
# Block-STM and serial (--serial) one after the other, in swapped order
# every other round, so that both see the same machine.
#
# Figures: committed tx/s, per-transaction commit latency p50/p99 (submit
# to committed; a transaction counts its request's latency), transactions
# per block, the node's mean execute and commit (one fsynced batch, written
# while the next block is built) time per block and the part of the commit
# the next block waited for (commit-wait) from its /metrics, the CPU cores
# the node used over the run
# (its user+system CPU time / wall time) and its CPU time per committed
# transaction. On a machine shared with other work, tx/s moves with the
# load; CPU time per transaction much less.
#
#   TXS=20000 ROUNDS=3 scripts/bench-e2e.sh            # Go benchmark format on stdout
#   WORKLOADS="gifts access consent claims mix" scripts/bench-e2e.sh
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
WORKLOADS=${WORKLOADS:-onboard mix}
go build -o bin/ ./consortium-node ./scripts/loadgen
tmp=$(mktemp -d)
node=
cleanup_at_exit "$tmp" node
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
loadgen() { # txs, workload; the RESULT line on stdout
  bin/loadgen --home "$tmp/home" --node "$api" --txs "$1" --workload "${2:-onboard}" --wait-leader 30s 2>"$tmp/loadgen.err" || {
    echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" "$tmp/node.log" >&2; return 1
  }
}

measure() { # workload, label, node flags...
  local workload=$1 label=$2; shift 2
  start_node "$@"
  wait_for curl -sf "http://$api/v1/status"
  local cpu0 out cpu1
  # The node's CPU time counts from the timed load on: the workload's
  # setup runs first (loadgen says "signing" once it is done).
  bin/loadgen --home "$tmp/home" --node "$api" --txs "$TXS" --workload "$workload" --wait-leader 30s \
    >"$tmp/loadgen.out" 2>"$tmp/loadgen.err" &
  local lg=$!
  for _ in $(seq 1200); do grep -q '^signing' "$tmp/loadgen.err" 2>/dev/null && break; sleep 0.05; done
  cpu0=$(cpu_seconds "$node")
  wait "$lg" || { echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" "$tmp/node.log" >&2; return 1; }
  out=$(cat "$tmp/loadgen.out")
  cpu1=$(cpu_seconds "$node")
  local m=$tmp/metrics.txt
  curl -sf -o "$m" "http://$api/metrics"
  local es ec cs cc ws
  es=$(metric almoner_node_block_execute_seconds_sum "$m") ec=$(metric almoner_node_block_execute_seconds_count "$m")
  cs=$(metric almoner_node_block_commit_seconds_sum "$m") cc=$(metric almoner_node_block_commit_seconds_count "$m")
  ws=$(metric almoner_node_block_commit_wait_seconds_sum "$m")
  stop_node
  echo "  e2e $label: $(echo "$out" | awk 'NR == 1')" >&2
  local r
  r=$(echo "$out" | grep '^RESULT ')
  awk -v l="$label" -v tps="$(field tps <<<"$r")" -v p50="$(field p50_ms <<<"$r")" -v p99="$(field p99_ms <<<"$r")" \
    -v n="$(field committed <<<"$r")" -v b="$(field blocks <<<"$r")" -v s="$(field seconds <<<"$r")" \
    -v ex="$(per_block "$es" "$ec")" -v co="$(per_block "$cs" "$cc")" -v wa="$(per_block "${ws:-0}" "$cc")" \
    -v c0="$cpu0" -v c1="$cpu1" -v w="$workload" 'BEGIN {
      printf "BenchmarkE2E/workload=%s/executor=%s 1 %s tx/s %s p50-ms %s p99-ms %.0f tx/block %s exec-ms/block %s commit-ms/block %s commit-wait-ms/block %.2f node-cores %.0f node-cpu-us/tx\n",
        w, l, tps, p50, p99, (b > 0 ? n / b : 0), ex, co, wa, (s > 0 ? (c1 - c0) / s : 0), (n > 0 ? 1e6 * (c1 - c0) / n : 0) }'
}

profile() { # label, node flags...
  local label=$1; shift
  local pp
  pp=127.0.0.1:$(pick_base 0)
  start_node --pprof "$pp" "$@"
  loadgen "${PROFILE_TXS:-$((TXS * 6))}" "${PROFILE_WORKLOAD:-onboard}" >"$tmp/profile.out" &
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

echo "e2e: $TXS txs per round and workload ($WORKLOADS), one node, load from a separate process, $ROUNDS round(s)" >&2
echo "suite: e2e"
echo "txs: $TXS"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  for w in $WORKLOADS; do
    if [ $((r % 2)) = 1 ]; then
      measure "$w" block-stm; measure "$w" serial --serial
    else
      measure "$w" serial --serial; measure "$w" block-stm
    fi
  done
done
if [ -n "${PROFILE_DIR:-}" ]; then
  mkdir -p "$PROFILE_DIR"
  profile block-stm
  profile serial --serial
fi
