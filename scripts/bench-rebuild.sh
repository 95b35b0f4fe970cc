#!/usr/bin/env bash
# The read model's rebuild, A/B: one node holding TXS committed
# transactions of WORKLOAD (default mix, 100,000), then, ROUNDS times
# (default 3), each portal binary of PORTALS in turn with a fresh home
# follows it from height 0 until its read model has applied the node's last
# block (the portal's /metrics portal_readmodel_lag_blocks reaches 0), timed
# from when the portal serves, as in scripts/bench-growth.sh's rebuild.
# Binaries alternate within each round, so a busy machine slows both alike.
#
#   go build -o /tmp/portal-main ./portal     # on the commit to compare with
#   PORTALS="/tmp/portal-main bin/portal" TXS=100000 scripts/bench-rebuild.sh
#
# PORTALS defaults to bin/portal, built from this tree. LOADGEN_ARGS adds
# loadgen flags (e.g. "--batch 1 --concurrency 2" for a history of small
# blocks, where a portal's per-block fsync counts). NODE_HOME keeps the
# node's folder (reused when it holds data: the load runs once). With
# PROFILE_DIR, the last binary's last round runs with --pprof and a CPU
# profile of its first PROFILE_SECONDS (default 8) is written there.
. "$(dirname "$0")/bench-lib.sh"
TXS=${TXS:-100000}
ROUNDS=${ROUNDS:-3}
WORKLOAD=${WORKLOAD:-mix}
CHUNK=${CHUNK:-100000}
REBUILD_TIMEOUT=${REBUILD_TIMEOUT:-3600}
go build -o bin/ ./consortium-node ./scripts/loadgen ./portal
read -r -a portals <<<"${PORTALS:-bin/portal}"
tmp=$(mktemp -d)
home=${NODE_HOME:-$tmp/home}
node= pp= # the node's and the portal's process ids while they run
cleanup_at_exit "$tmp" pp node

base=$(pick_base 0 100 1000 1001)
fresh=0
if [ ! -d "$home/data" ]; then
  rm -rf "$home"
  bin/consortium-node init --home "$home" --base-port "$base" >/dev/null
  fresh=1
fi
api=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["api_addr"])' "$home/genesis.json")
portal=127.0.0.1:$((base + 1000)) pprof=127.0.0.1:$((base + 1001))
run_node "$home"
if [ "$fresh" = 1 ]; then
  left=$TXS
  while [ "$left" -gt 0 ]; do
    k=$((left < CHUNK ? left : CHUNK))
    echo "loading $k $WORKLOAD txs..." >&2
    # shellcheck disable=SC2086 # LOADGEN_ARGS is a list of flags
    bin/loadgen --home "$home" --node "$api" --txs "$k" --workload "$WORKLOAD" --wait-leader 30s ${LOADGEN_ARGS:-} \
      >"$tmp/loadgen.out" 2>"$tmp/loadgen.err" || { cat "$tmp/loadgen.err" >&2; exit 1; }
    r=$(grep '^RESULT ' "$tmp/loadgen.out")
    echo $(($(cat "$home/bench-txs" 2>/dev/null || echo 0) + $(field committed <<<"$r") + $(field setup_txs <<<"$r"))) \
      >"$home/bench-txs"
    left=$((left - k))
  done
fi
height=$(curl -sf "http://$api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])')
txs=$(cat "$home/bench-txs" 2>/dev/null || echo 0) # committed, loadgen's setups included
echo "node at height $height (${txs:-?} committed txs); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# rebuild BIN ROUND PROFILE: seconds until a fresh portal's lag is 0
rebuild() {
  local phome=$tmp/portal t0 tu t1 lag cpuprof name=
  rm -rf "$phome"
  [ "$3" = 1 ] && name=rebuild
  catch_up "$1" "$phome" "$home" "$name" || return 1
  local cpu # the portal's CPU time (user + system), its start included: steadier than seconds on a busy machine
  cpu=$(cpu_seconds "$pp")
  [ -n "$cpuprof" ] && { await_profile "$cpuprof" "$PROFILE_DIR/rebuild.cpu.pprof" || echo "(the CPU profile failed)" >&2; }
  stop pp
  awk -v a="$tu" -v b="$t1" -v h="$height" -v n="${txs:-0}" -v bin="$1" -v r="$2" -v cpu="$cpu" \
    -v rss="$(metric process_resident_memory_bytes "$tmp/pmetrics.txt")" \
    -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      s = b - a
      printf "rebuild %s round %d: %.2f s, %.0f blocks/s, %.0f tx/s, %.0f s per Mtx, CPU %.2f s (%.0f per Mtx), portal RSS %.0f MiB, load %s\n",
        bin, r, s, (h + 1) / s, n / s, (n > 0 ? s * 1e6 / n : 0), cpu, (n > 0 ? cpu * 1e6 / n : 0), rss / 1048576, l }'
}

for r in $(seq "$ROUNDS"); do
  for i in "${!portals[@]}"; do
    p=0
    if [ -n "${PROFILE_DIR:-}" ] && [ "$r" = "$ROUNDS" ] && [ "$i" = $((${#portals[@]} - 1)) ]; then p=1; fi
    rebuild "${portals[$i]}" "$r" "$p"
  done
done
