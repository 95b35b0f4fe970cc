#!/usr/bin/env bash
# Cluster benchmark: Almoner on 3 nodes against etcd on 3 members, on this
# machine, driven by separate load processes with the same number of
# clients, ROUNDS rounds each (interleaved), medians side by side.
#
#   scripts/bench-cluster.sh                     # defaults below
#   TXS=5000 ROUNDS=1 scripts/bench-cluster.sh   # quick look
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
# each value the size of one of our signed transactions. Two figures: one
# put per request (POST /v3/kv/put, how etcd clients usually write) and
# BATCH puts per request (POST /v3/kv/txn, the same batching as ours).
#
# Everything listens on 127.0.0.1 only, in a temporary folder that is
# removed on exit, with every process stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
TXS=${TXS:-20000}       # transactions (and etcd keys) per round
ROUNDS=${ROUNDS:-3}     # rounds per system; medians are reported
BATCH=${BATCH:-250}     # transactions per request (and puts per etcd txn)
CLIENTS=${CLIENTS:-8}   # concurrent clients/connections, both systems
VALUE=${VALUE:-}        # etcd value bytes (default: our mean signed tx size)

if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd is not installed: installing Debian's etcd-server and etcd-client" \
    "(apt-get update; apt-get install -y etcd-server etcd-client)"
  sudo=
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server etcd-client >/dev/null
  echo "  installed $(etcd --version | head -1) (the package may also enable a system etcd service" \
    "on 127.0.0.1:2379; this benchmark starts its own members on other ports and leaves that one alone)"
fi

go build -o bin/ ./consortium-node ./scripts/loadgen ./scripts/etcdload

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# A port is taken if something accepts a connection on it.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick_base OFFSET...: a base port B below the ephemeral range with every
# B+OFFSET free.
pick_base() {
  for _ in $(seq 200); do
    local b=$((20000 + RANDOM % 12000)) ok=1
    for o in "$@"; do port_free $((b + o)) || { ok=0; break; }; done
    if [ $ok = 1 ]; then echo $b; return; fi
  done
  echo "no free ports found" >&2; return 1
}

# field KEY: the value of KEY=... on the RESULT line on stdin.
field() { awk -v k="$1" '$1 == "RESULT" { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }'; }
# median of the numbers on stdin (the lower middle one for an even count).
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# --- Almoner: 3 nodes ------------------------------------------------------
abase=$(pick_base 0 1 2 100 101 102)
bin/consortium-node init --home "$tmp/home" --nodes 3 --base-port "$abase" >/dev/null
mapfile -t anodes < <(bin/consortium-node nodes --home "$tmp/home")
aaddrs=$(printf '%s\n' "${anodes[@]}" | awk '{print $2}' | paste -sd, -)

almoner_round() { # $1: round; appends a RESULT line to $tmp/almoner.results
  rm -rf "$tmp/home/data"
  for line in "${anodes[@]}"; do
    local id=${line%% *}
    bin/consortium-node run --home "$tmp/home" --node "$id" --log-level warn 2>"$tmp/$id.log" &
    pids+=($!)
  done
  local out
  if ! out=$(bin/loadgen --home "$tmp/home" --nodes "$aaddrs" --txs "$TXS" --batch "$BATCH" \
    --concurrency "$CLIENTS" --wait-leader 30s 2>"$tmp/loadgen.err"); then
    echo "loadgen failed:" >&2; cat "$tmp/loadgen.err" >&2
    for line in "${anodes[@]}"; do echo "--- ${line%% *} log:" >&2; tail -20 "$tmp/${line%% *}.log" >&2; done
    exit 1
  fi
  stop_all
  echo "  almoner round $1: $(echo "$out" | head -1)"
  echo "$out" | grep '^RESULT ' >>"$tmp/almoner.results"
}

# --- etcd: 3 members -------------------------------------------------------
etcd_round() { # $1: round; appends RESULT lines to $tmp/etcd-put.results and $tmp/etcd-txn.results
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
  for kind in put txn; do
    args=(--puts "$TXS" --clients "$CLIENTS" --value-size "$VALUE" --wait-ready 30s --endpoints "$eps")
    if [ $kind = txn ]; then args+=(--batch "$BATCH"); fi
    if ! out=$(bin/etcdload "${args[@]}" 2>"$tmp/etcdload.err"); then
      echo "etcdload failed:" >&2; cat "$tmp/etcdload.err" >&2
      for i in 0 1 2; do echo "--- etcd e$i log:" >&2; tail -20 "$tmp/etcd-e$i.log" >&2; done
      exit 1
    fi
    echo "  etcd    round $1: $(echo "$out" | head -1)"
    echo "$out" | grep '^RESULT ' >>"$tmp/etcd-$kind.results"
  done
  stop_all
  rm -rf "$tmp/etcd"
}

echo "cluster benchmark on $(nproc) CPU(s): $ROUNDS round(s); per round $TXS writes from $CLIENTS clients;" \
  "Almoner: 3 nodes (consortium-node, $(go env GOVERSION)), etcd: 3 members ($(etcd --version | head -1))"
for r in $(seq "$ROUNDS"); do
  almoner_round "$r"
  if [ -z "$VALUE" ]; then VALUE=$(field tx_bytes <"$tmp/almoner.results" | head -1); fi
  etcd_round "$r"
done

med() { field "$2" <"$tmp/$1.results" | median; }
a_tps=$(med almoner tps) e_put=$(med etcd-put puts_per_s) e_txn=$(med etcd-txn puts_per_s)
echo
echo "medians of $ROUNDS round(s), $TXS writes per round, $CLIENTS clients, 3 nodes/members on 127.0.0.1:"
printf '  %-44s %12s %10s %10s\n' "" "writes/s" "p50 ms" "p99 ms"
printf '  %-44s %12.0f %10.1f %10.1f\n' \
  "Almoner: signed txs, $BATCH per request" "$a_tps" "$(med almoner p50_ms)" "$(med almoner p99_ms)" \
  "etcd: puts of ${VALUE} B, 1 per request" "$e_put" "$(med etcd-put p50_ms)" "$(med etcd-put p99_ms)" \
  "etcd: puts of ${VALUE} B, txn of $BATCH per request" "$e_txn" "$(med etcd-txn p50_ms)" "$(med etcd-txn p99_ms)"
echo
awk -v a="$a_tps" -v p="$e_put" -v t="$e_txn" -v b="$BATCH" 'BEGIN {
  printf "ratio Almoner committed tx/s / etcd puts/s: %.2f (etcd one put per request), %.2f (etcd txn of %d puts per request)\n", a / p, a / t, b }'
cat <<EOF

Notes for a fair reading:
  - Our clients batch ($BATCH signed txs per request); etcd clients normally send one put per request,
    so the first etcd figure is how etcd is usually driven and the second gives etcd the same batching.
  - Latency is per write, request sent to answer received: a write in a batch counts its request's latency,
    so batching trades latency for throughput on both sides.
  - Almoner does more per write than etcd: it checks an Ed25519 signature, runs the identity contract
    (Block-STM), keeps Merkle roots and a block store and signs each block header; etcd stores opaque bytes.
    Both replicate through raft to 3 members and fsync before answering.
  - Our API takes CBOR; etcd is driven through its HTTP/JSON gateway (base64 values, JSON decoding), not gRPC.
  - All 6 server processes and the load process share this machine's $(nproc) CPU(s): figures are for
    comparison on one machine, not what 3 separate hosts would do.
EOF
