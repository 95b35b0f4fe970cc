#!/usr/bin/env bash
# The growth suite of `make bench` (scripts/bench.sh), short form: does
# throughput hold as the store fills, and how long does a portal take to
# build its read model from the node's history? Per round, one fresh node;
# the load process (scripts/loadgen, WORKLOAD: default mix) commits N
# transactions ("first"), then FILL more in runs of at most FILL_CHUNK
# (not reported), then N again ("later"), all against the same running
# node. Figures per window: committed tx/s, commit latency p99, the node's
# CPU time per transaction, and after it the node's resident memory and
# goroutines (its /metrics). Then, with the node still running and idle, a
# portal with a fresh home follows it (REBUILD=1, the default): the time
# from when it serves (its follower starts with its listener; the start
# before that, "startup-s", is reported apart) until its read model has
# applied the node's last block (the portal's /metrics
# portal_readmodel_lag_blocks reaches 0), as seconds per million committed
# transactions and blocks/s, with the read model's bytes on disk per
# transaction and the portal's RSS at the end. Last, the node's bytes on disk per
# committed transaction (state, blocks, receipts, tx index, raft log,
# private store). Every loadgen run sets up what its workload needs first
# (members, campaigns, records, claims in review: its setup_txs), which is
# committed too: "txs" counts them all. The ratio later/first is taken
# within each round.
#
#   N=10000 FILL=30000 ROUNDS=3 WORKLOAD=mix scripts/bench-growth.sh
#
# With PROFILE_DIR, the last round's portal runs with --pprof: a CPU
# profile of the first PROFILE_SECONDS (default 8) of its catch-up, then
# its allocation profile (PROFILE_DIR/growth-rebuild.{cpu,allocs}.pprof);
# and the last round's node runs with --pprof: a CPU profile of the first
# PROFILE_SECONDS of each window, then its allocation profile
# (PROFILE_DIR/growth-node-{first,later}.{cpu,allocs}.pprof): what the
# node spends more on once the store has filled.
#
# The issue's long form (10 million committed, the later million within
# 10% of the first; the read model's rebuild per million) is
#
#   N=1000000 FILL=8000000 ROUNDS=1 scripts/bench-growth.sh
#
# (FILL_WORKLOAD=gifts: the 8 million in minutes rather than hours), and
# hours on 2 cores and ~10 GB of disk (TMPDIR picks where). WORKLOAD=onboard
# measures identity onboarding instead, whose members the policy enforcer
# holds in memory: its RSS grows with members, not with the ledger.
. "$(dirname "$0")/bench-lib.sh"
N=${N:-10000}
FILL=${FILL:-30000}
ROUNDS=${ROUNDS:-3}
WORKLOAD=${WORKLOAD:-mix}
# The fill's workload (not measured): WORKLOAD by default. FILL_WORKLOAD=gifts
# fills with gifts, whose loadgen runs need no setup: the mix's runs each
# upload a claim document per claim first (25,000 per 100,000), so a mix fill
# of millions takes hours on 2 cores where gifts take minutes; the store then
# holds mostly gifts, and fewer claim documents than the mix would leave.
FILL_WORKLOAD=${FILL_WORKLOAD:-$WORKLOAD}
FILL_CHUNK=${FILL_CHUNK:-100000} # transactions per loadgen run of the fill: each run signs its own before sending
REBUILD=${REBUILD:-1}
REBUILD_TIMEOUT=${REBUILD_TIMEOUT:-7200} # seconds
go build -o bin/ ./consortium-node ./scripts/loadgen
if [ "$REBUILD" = 1 ]; then go build -o bin/ ./portal; fi
tmp=$(mktemp -d)
node= pp= # the node's and the portal's process ids while they run
cleanup_at_exit "$tmp" pp node

base=$(pick_base 0 100 1000 1001 1002)
init_node "$tmp/home" "$base"
portal=127.0.0.1:$((base + 1000)) pprof=127.0.0.1:$((base + 1001))
npprof=127.0.0.1:$((base + 1002)) # the node's, with PROFILE_DIR in the last round
nprof= # the window's node CPU profile (curl's process id) while it runs

committed=0 # transactions committed in this round, setups included

# Totals of the timed parts of the loads since the last window began:
# node CPU seconds, seconds, committed, the largest p99.
wcpu=0 wsecs=0 wtx=0 wp99=0
load() { # txs [workload]; its RESULT line in $tmp/result
  local lg c0 r
  start_loadgen --txs "$1" --workload "${2:-$WORKLOAD}"
  await_loadgen '^signing' "$lg" || return 1 # its setup is committed
  c0=$(cpu_seconds "$node")
  wait "$lg" || loadgen_failed || return 1
  echo "    $1 txs: $(awk 'NR == 1' "$tmp/loadgen.out")" >&2
  grep '^RESULT ' "$tmp/loadgen.out" >"$tmp/result"
  r=$(cat "$tmp/result")
  committed=$((committed + $(field committed <<<"$r") + $(field setup_txs <<<"$r")))
  read -r wcpu wsecs wtx wp99 < <(awk -v c="$wcpu" -v s="$wsecs" -v t="$wtx" -v p="$wp99" -v c0="$c0" \
    -v c1="$(cpu_seconds "$node")" -v rs="$(field seconds <<<"$r")" -v rt="$(field committed <<<"$r")" \
    -v rp="$(field p99_ms <<<"$r")" 'BEGIN { print c + c1 - c0, s + rs, t + rt, (rp > p ? rp : p) }')
}

# window NAME TXS: TXS in loadgen runs of at most FILL_CHUNK (a run signs
# all its transactions before it sends, each valid for the chain's replay
# window, 1,000 blocks); tx/s over the runs' timed parts, the node's CPU
# time during them, the largest p99 of a run.
window() {
  wcpu=0 wsecs=0 wtx=0 wp99=0
  if [ -n "$nprof" ]; then
    profile_cpu "http://$npprof" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/growth-node-$1.cpu.pprof"
    nprof=$!
  fi
  fill "$2"
  if [ -n "$nprof" ]; then
    await_profile "$nprof" "$PROFILE_DIR/growth-node-$1.cpu.pprof" || echo "  (the node's CPU profile failed)" >&2
    profile_allocs "http://$npprof" "$PROFILE_DIR/growth-node-$1.allocs.pprof"
    echo "    profiles: $PROFILE_DIR/growth-node-$1.{cpu,allocs}.pprof" >&2
    nprof=profile
  fi
  curl -sf -o "$tmp/metrics.txt" "http://$api/metrics"
  printf 'BenchmarkGrowth/workload=%s/window=%s 1 %.1f tx/s %s p99-ms %.0f node-cpu-us/tx %.1f rss-MiB %s goroutines\n' \
    "$WORKLOAD" "$1" "$(awk -v n="$wtx" -v s="$wsecs" 'BEGIN { print n / s }')" "$wp99" \
    "$(awk -v c="$wcpu" -v n="$wtx" 'BEGIN { print 1e6 * c / n }')" \
    "$(awk '{ print $1 / 1048576 }' <<<"$(metric process_resident_memory_bytes "$tmp/metrics.txt")")" \
    "$(metric go_goroutines "$tmp/metrics.txt")"
}

fill() { # txs [workload], in runs of at most FILL_CHUNK
  local left=$1 k
  while [ "$left" -gt 0 ]; do
    k=$((left < FILL_CHUNK ? left : FILL_CHUNK))
    load "$k" "${2:-}"
    left=$((left - k))
  done
}

# rebuild ROUND: a portal with a fresh home follows the running, idle node
# until its read model has applied the node's last block.
rebuild() {
  local home=$tmp/portal-$1 height t0 tu t1 lag cpuprof secs
  height=$(curl -sf "http://$api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])')
  echo "    read model: a fresh portal follows the node to height $height..." >&2
  local name=
  if [ -n "${PROFILE_DIR:-}" ] && [ "$1" = "$ROUNDS" ]; then name=growth-rebuild; fi
  catch_up bin/portal "$home" "$tmp/home" "$name" || return 1
  if [ -n "$cpuprof" ]; then
    await_profile "$cpuprof" "$PROFILE_DIR/growth-rebuild.cpu.pprof" ||
      echo "  (the rebuild's CPU profile failed: it ended before ${PROFILE_SECONDS:-8}s?)" >&2
    profile_allocs "http://$pprof" "$PROFILE_DIR/growth-rebuild.allocs.pprof"
    echo "    profiles: $PROFILE_DIR/growth-rebuild.{cpu,allocs}.pprof" \
      "(the first ${PROFILE_SECONDS:-8}s of the catch-up)" >&2
  fi
  secs=$(awk -v a="$tu" -v b="$t1" 'BEGIN { print b - a }')
  stop pp
  awk -v s="$secs" -v n="$committed" -v h="$height" -v rss="$(metric process_resident_memory_bytes "$tmp/pmetrics.txt")" \
    -v w="$WORKLOAD" -v b="$(du -sb "$home" | awk '{ print $1 }')" -v u="$(awk -v a="$t0" -v b="$tu" 'BEGIN { print b - a }')" 'BEGIN {
      printf "BenchmarkGrowthRebuild/workload=%s 1 %.1f s-per-Mtx %.0f blocks/s %.0f tx/s %.2f s %.2f startup-s %.0f readmodel-B/tx %.1f portal-rss-MiB %d blocks %d txs\n",
        w, s * 1e6 / n, (h + 1) / s, n / s, s, u, b / n, rss / 1048576, h + 1, n }'
}

echo "growth: one node per round; $WORKLOAD: $N txs (first), $FILL more ($FILL_WORKLOAD), $N again (later)$([ "$REBUILD" = 1 ] && echo ", then a portal's read model built from them"); $ROUNDS round(s)" >&2
echo "suite: growth"
echo "n: $N"
echo "fill: $FILL"
echo "fill-workload: $FILL_WORKLOAD"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  echo "  round $r:" >&2
  rm -rf "$tmp/home/data" "$tmp"/portal-*
  committed=0
  nflags=()
  if [ -n "${PROFILE_DIR:-}" ] && [ "$r" = "$ROUNDS" ]; then nflags=(--pprof "$npprof") nprof=profile; fi
  run_node "$tmp/home" "${nflags[@]}"
  window first "$N"
  fill "$FILL" "$FILL_WORKLOAD"
  window later "$N"
  if [ "$REBUILD" = 1 ]; then rebuild "$r"; fi
  stop node
  bytes=$(du -sb "$tmp/home/data" | awk '{ print $1 }')
  awk -v b="$bytes" -v n="$committed" -v w="$WORKLOAD" \
    'BEGIN { printf "BenchmarkGrowthStore/workload=%s 1 %.0f B/tx %d txs\n", w, b / n, n }'
done
