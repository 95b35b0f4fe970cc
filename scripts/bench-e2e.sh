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
. "$(dirname "$0")/bench-lib.sh"
TXS=${TXS:-20000}
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-onboard mix}
go build -o bin/ ./consortium-node ./scripts/loadgen
tmp=$(mktemp -d)
node=
cleanup_at_exit "$tmp" node

init_node "$tmp/home" "$(pick_base 0 100 200)"

start_node() { # flags...: a fresh node
  rm -rf "$tmp/home/data"
  run_node "$tmp/home" "$@"
}

measure() { # workload, label, node flags...
  local workload=$1 label=$2; shift 2
  start_node "$@"
  local cpu0 out cpu1 lg
  # The node's CPU time counts from the timed load on: the workload's
  # setup runs first (loadgen says "signing" once it is done).
  start_loadgen --txs "$TXS" --workload "$workload"
  await_loadgen '^signing' "$lg" || return 1
  cpu0=$(cpu_seconds "$node")
  wait "$lg" || loadgen_failed || return 1
  out=$(cat "$tmp/loadgen.out")
  cpu1=$(cpu_seconds "$node")
  local m=$tmp/metrics.txt
  curl -sf -o "$m" "http://$api/metrics"
  local es ec cs cc ws
  es=$(metric almoner_node_block_execute_seconds_sum "$m") ec=$(metric almoner_node_block_execute_seconds_count "$m")
  cs=$(metric almoner_node_block_commit_seconds_sum "$m") cc=$(metric almoner_node_block_commit_seconds_count "$m")
  ws=$(metric almoner_node_block_commit_wait_seconds_sum "$m")
  stop node
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
  local pp lg
  pp=127.0.0.1:$(pick_base 0)
  start_node --pprof "$pp" "$@"
  start_loadgen --txs "${PROFILE_TXS:-$((TXS * 6))}" --workload "${PROFILE_WORKLOAD:-onboard}"
  # Profile the submission, not the signing before it.
  await_loadgen '^submitting' "$lg" || return 1
  # An execution trace first (where the raft loop's time goes: running,
  # waiting for a CPU, in syscalls, waiting for the executor's workers).
  curl -sf -o "$PROFILE_DIR/e2e-$label.trace" "http://$pp/debug/pprof/trace?seconds=3" ||
    echo "  (the trace failed)" >&2
  profile_cpu "http://$pp" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/e2e-$label.cpu.pprof"
  local cpu=$!
  wait "$lg" || loadgen_failed || return 1
  wait "$cpu" || echo "  (the CPU profile failed: the load ended before ${PROFILE_SECONDS:-8}s? raise PROFILE_TXS)" >&2
  profile_allocs "http://$pp" "$PROFILE_DIR/e2e-$label.allocs.pprof"
  stop node
  echo "  e2e $label (profiled, not counted): $(head -1 "$tmp/loadgen.out")" >&2
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
