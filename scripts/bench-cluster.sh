#!/usr/bin/env bash
# The cluster suite of `make bench` (scripts/bench.sh): Almoner on 3 nodes
# against etcd on 3 members, on this machine, driven by separate load
# processes with the same number of clients, ROUNDS rounds each
# (interleaved). Prints each round in the Go benchmark format on stdout
# (BenchmarkCluster/system=almoner|etcd-put|etcd-txn: writes/s, p50-ms,
# p99-ms); scripts/benchtab takes the medians and the ratios
# almoner/etcd within each round. Progress and notes go to stderr.
#
#   scripts/bench-cluster.sh                     # defaults below
#   TXS=5000 ROUNDS=1 scripts/bench-cluster.sh   # quick look
#   make bench-cluster                           # the same, as a table
#
# Almoner: a fresh 3-node consortium per round (separate consortium-node
# processes), scripts/loadgen signing TXS identity.add_member transactions
# and submitting them in requests of BATCH from CLIENTS connections spread
# round-robin over the three nodes, each request waiting until its
# transactions are committed on the node it went to. Figures: committed
# tx/s and per-transaction commit latency p50/p99 (a transaction's latency
# is its request's: submit to committed).
#
# etcd: a fresh 3-member cluster per round (Debian's etcd-server, installed
# with apt-get if missing), scripts/etcdload with CLIENTS clients, each
# sending its requests one after another to the members round-robin through
# etcd's HTTP/JSON gateway, writing as many keys as we commit transactions,
# each value the size of one of our signed transactions. Four figures: one
# put per request (how etcd clients usually write) and BATCH puts per
# request (a txn, the same batching as ours), each through etcd's own Go
# client over gRPC (etcd-grpc-put, etcd-grpc-txn: how etcd is fastest, as
# its benchmark tool drives it) and through its HTTP/JSON gateway
# (etcd-put: POST /v3/kv/put, etcd-txn: POST /v3/kv/txn).
#
# Almoner's rounds also report the three nodes' CPU time per committed
# transaction, summed (nodes-cpu-us/tx: every node verifies and executes
# every transaction). With PROFILE_DIR, the last round's first node runs
# with --pprof and a CPU profile of PROFILE_SECONDS (default 8) from the
# load's start, then its allocation profile, go to
# PROFILE_DIR/cluster-node.{cpu,allocs}.pprof.
#
# Everything listens on 127.0.0.1 only, in a temporary folder that is
# removed on exit, with every process stopped.
. "$(dirname "$0")/bench-lib.sh"
TXS=${TXS:-20000}       # transactions (and etcd keys) per round
ROUNDS=${ROUNDS:-3}     # rounds per system; medians are reported
BATCH=${BATCH:-250}     # transactions per request (and puts per etcd txn)
CLIENTS=${CLIENTS:-8}   # concurrent clients/connections, both systems
VALUE=${VALUE:-}        # etcd value bytes (default: our mean signed tx size)

if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd is not installed: installing Debian's etcd-server and etcd-client" \
    "(apt-get update; apt-get install -y etcd-server etcd-client)" >&2
  sudo=
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  if $sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server etcd-client >/dev/null; then
    echo "  installed $(etcd --version | awk 'NR == 1') (the package may also enable a system etcd service" \
      "on 127.0.0.1:2379; this benchmark starts its own members on other ports and leaves that one alone)" >&2
  else
    echo "  could not install etcd: measuring Almoner only, no ratio" >&2
  fi
fi
have_etcd=0
if command -v etcd >/dev/null 2>&1; then have_etcd=1; fi

go build -o bin/ ./consortium-node ./scripts/loadgen ./scripts/etcdload

tmp=$(mktemp -d)
cleanup_at_exit "$tmp"

# --- Almoner: 3 nodes ------------------------------------------------------
abase=$(pick_base 0 1 2 100 101 102 1000)
bin/consortium-node init --home "$tmp/home" --nodes 3 --base-port "$abase" >/dev/null
mapfile -t anodes < <(bin/consortium-node nodes --home "$tmp/home")
aaddrs=$(printf '%s\n' "${anodes[@]}" | awk '{print $2}' | paste -sd, -)

almoner_round() { # $1: round; prints its figure and appends its RESULT line to $tmp/almoner.results
  rm -rf "$tmp/home/data"
  local npids=() prof=() paddr=127.0.0.1:$((abase + 1000)) cpuprof=
  if [ -n "${PROFILE_DIR:-}" ] && [ "$1" = "$ROUNDS" ]; then prof=(--pprof "$paddr"); fi
  for line in "${anodes[@]}"; do
    local id=${line%% *}
    bin/consortium-node run --home "$tmp/home" --node "$id" --log-level warn "${prof[@]}" 2>"$tmp/$id.log" &
    pids+=($!) npids+=($!)
    prof=() # the first node only
  done
  if [ -n "${PROFILE_DIR:-}" ] && [ "$1" = "$ROUNDS" ]; then
    wait_for curl -sf "http://$paddr/debug/pprof/" -o /dev/null
    profile_cpu "http://$paddr" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/cluster-node.cpu.pprof"
    cpuprof=$!
  fi
  local out
  if ! out=$(bin/loadgen --home "$tmp/home" --nodes "$aaddrs" --txs "$TXS" --batch "$BATCH" \
    --concurrency "$CLIENTS" --wait-leader 30s 2>"$tmp/loadgen.err"); then
    echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" >&2
    for line in "${anodes[@]}"; do echo "--- ${line%% *} log:" >&2; tail -20 "$tmp/${line%% *}.log" >&2; done
    exit 1
  fi
  # The nodes' CPU from their start to the load's end (setup included).
  local cpu=0 p
  for p in "${npids[@]}"; do
    cpu=$(awk -v a="$cpu" -v b="$(cpu_seconds "$p")" 'BEGIN { print a + b }')
  done
  if [ -n "$cpuprof" ]; then
    await_profile "$cpuprof" "$PROFILE_DIR/cluster-node.cpu.pprof" || echo "  (the node's CPU profile failed)" >&2
    profile_allocs "http://$paddr" "$PROFILE_DIR/cluster-node.allocs.pprof"
    echo "  profiles: $PROFILE_DIR/cluster-node.{cpu,allocs}.pprof (the first node)" >&2
  fi
  stop_all
  echo "  almoner round $1: $(echo "$out" | awk 'NR == 1')" >&2
  echo "$out" | grep '^RESULT ' >>"$tmp/almoner.results"
  emit almoner "$(echo "$out" | grep '^RESULT ')" tps \
    "$(awk -v c="$cpu" -v n="$(field committed <<<"$(echo "$out" | grep '^RESULT ')")" 'BEGIN { printf "%.0f", 1e6 * c / n }')"
}

# --- etcd: 3 members -------------------------------------------------------
etcd_round() { # $1: round; prints the etcd-put and etcd-txn figures
  local b
  b=$(pick_base 0 1 2 3 4 5)
  local cluster="" eps="" i
  for i in 0 1 2; do
    cluster+="${cluster:+,}e$i=http://127.0.0.1:$((b + 3 + i))"
    eps+="${eps:+,}127.0.0.1:$((b + i))"
  done
  # Room for a txn of BATCH puts (etcd allows 128 ops and 1.5 MiB by default).
  local maxops=$((BATCH > 128 ? BATCH : 128))
  local maxbytes=$((BATCH * (VALUE + 256) + 1048576))
  maxbytes=$((maxbytes > 1572864 ? maxbytes : 1572864))
  for i in 0 1 2; do
    etcd --name "e$i" --data-dir "$tmp/etcd/e$i" \
      --listen-client-urls "http://127.0.0.1:$((b + i))" --advertise-client-urls "http://127.0.0.1:$((b + i))" \
      --listen-peer-urls "http://127.0.0.1:$((b + 3 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((b + 3 + i))" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "bench-$$-$1" \
      --max-txn-ops "$maxops" --max-request-bytes "$maxbytes" \
      --logger zap --log-outputs stderr --log-level warn 2>"$tmp/etcd-e$i.log" &
    pids+=($!)
  done
  local kind out args
  for kind in grpc-put grpc-txn put txn; do
    args=(--puts "$TXS" --clients "$CLIENTS" --value-size "$VALUE" --wait-ready 30s --endpoints "$eps")
    case $kind in *txn) args+=(--batch "$BATCH") ;; esac
    case $kind in grpc-*) args+=(--grpc) ;; esac
    if ! out=$(bin/etcdload "${args[@]}" 2>"$tmp/etcdload.err"); then
      echo "etcdload failed:" >&2; cat "$tmp/etcdload.err" >&2
      for i in 0 1 2; do echo "--- etcd e$i log:" >&2; tail -20 "$tmp/etcd-e$i.log" >&2; done
      exit 1
    fi
    echo "  etcd    round $1: $(echo "$out" | awk 'NR == 1')" >&2
    emit "etcd-$kind" "$(echo "$out" | grep '^RESULT ')" puts_per_s
  done
  stop_all
  rm -rf "$tmp/etcd"
}

# emit SYSTEM RESULT-LINE RATE-KEY [NODES-CPU-US-PER-TX]: one figure in the
# Go benchmark format.
emit() {
  printf 'BenchmarkCluster/system=%s 1 %s writes/s %s p50-ms %s p99-ms%s\n' "$1" \
    "$(field "$3" <<<"$2")" "$(field p50_ms <<<"$2")" "$(field p99_ms <<<"$2")" "${4:+ $4 nodes-cpu-us/tx}"
}

etcd_version=none
if [ $have_etcd = 1 ]; then etcd_version=$(etcd --version | awk 'NR == 1'); fi
echo "cluster benchmark on $(nproc) CPU(s): $ROUNDS round(s); per round $TXS writes from $CLIENTS clients;" \
  "Almoner: 3 nodes (consortium-node, $(go env GOVERSION)), etcd: 3 members ($etcd_version)" >&2
echo "suite: cluster"
echo "txs: $TXS"
echo "batch: $BATCH"
echo "clients: $CLIENTS"
echo "etcd: $etcd_version"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  almoner_round "$r"
  if [ -z "$VALUE" ]; then VALUE=$(field tx_bytes <"$tmp/almoner.results" | awk 'NR == 1'); fi
  if [ $have_etcd = 1 ]; then etcd_round "$r"; fi
done
cat >&2 <<EOF

Notes for a fair reading:
  - Our clients batch ($BATCH signed txs per request); etcd-*put sends one put per request, how etcd
    clients usually write; etcd-*txn gives etcd the same batching (a txn of $BATCH puts of ${VALUE} B).
  - Latency is per write, request sent to answer received: a write in a batch counts its request's latency,
    so batching trades latency for throughput on both sides.
  - Almoner does more per write than etcd: it checks an Ed25519 signature, runs the identity contract
    (Block-STM), keeps Merkle roots and a block store and signs each block header; etcd stores opaque bytes.
    Both replicate through raft to 3 members and fsync before answering.
  - Our API takes CBOR over HTTP; etcd-grpc-* drive etcd through its Go client (gRPC, protobuf), etcd-put and
    etcd-txn through its HTTP/JSON gateway (base64 values, JSON decoding).
  - All 6 server processes and the load process share this machine's $(nproc) CPU(s): figures are for
    comparison on one machine, not what 3 separate hosts would do.
EOF
