#!/usr/bin/env bash
# Memory under sustained overload (hardening issue, item 3): a fresh
# one-node consortium, then scripts/overload from a separate process finds
# the rate it sustains for transactions of SIZE bytes and offers FACTOR
# times that rate for DURATION, sampling the node's resident memory.
#
#   scripts/overload.sh                                   # 60 KB txs, 2x for 60s, default memory limit
#   SIZE=2000 FACTOR=3 DURATION=120s MEMLIMIT=512 scripts/overload.sh
. "$(dirname "$0")/bench-lib.sh"
SIZE=${SIZE:-61440}
FACTOR=${FACTOR:-2}
DURATION=${DURATION:-60s}
CALIBRATE=${CALIBRATE:-20s}
MEMLIMIT=${MEMLIMIT:-1024}
go build -o bin/ ./consortium-node ./scripts/overload
tmp=$(mktemp -d)
node=
cleanup_at_exit "$tmp" node
init_node "$tmp/home" "${PORT:-$(pick_base 0 100 200)}"
run_node "$tmp/home" --memory-limit-mib "$MEMLIMIT"
bin/overload --home "$tmp/home" --node "$api" --pid "$node" --size "$SIZE" --factor "$FACTOR" \
  --duration "$DURATION" --calibrate "$CALIBRATE"
if ! kill -0 "$node" 2>/dev/null; then
  echo "overload: the node died; its log:" >&2
  tail -20 "$tmp/node.log" >&2
  exit 1
fi
