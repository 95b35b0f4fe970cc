#!/usr/bin/env bash
# End-to-end throughput: a fresh one-node consortium, a separate load
# process, committed signed transactions per second. Runs the node with
# Block-STM and with serial execution, ROUNDS times each, and prints medians.
set -euo pipefail
cd "$(dirname "$0")/.."
TXS=${TXS:-20000}
ROUNDS=${ROUNDS:-3}
go build -o bin/ ./consortium-node ./consortium-node/cmd/almoner ./scripts/loadgen
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=17070
bin/consortium-node init --home "$tmp/home" --base-port $port >/dev/null

measure() { # $1: label, extra node flags after
  local label=$1; shift
  local out=()
  for r in $(seq "$ROUNDS"); do
    rm -rf "$tmp/home/data"
    bin/consortium-node run --home "$tmp/home" --log-level warn "$@" 2>"$tmp/node.log" &
    local pid=$!
    for _ in $(seq 100); do bin/almoner status --node 127.0.0.1:$port >/dev/null 2>&1 && break; sleep 0.1; done
    line=$(bin/loadgen --home "$tmp/home" --node 127.0.0.1:$port --txs "$TXS")
    echo "  $label round $r: $(echo "$line" | sed -n 1p)" >&2
    out+=("$(echo "$line" | sed -nE 's/.*: ([0-9]+) tx\/s.*/\1/p')")
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  printf '%s\n' "${out[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {print l": median " a[int((NR+1)/2)] " tx/s over " NR " rounds"}'
}
echo "end-to-end: $TXS identity.add_member txs per round, one node, load from a separate process"
measure "block-stm"
measure "serial   " --serial
