#!/usr/bin/env bash
# Starts a development consortium of N nodes (default 4: one per
# organisation) as separate processes on 127.0.0.1, prints where they
# listen, and stops them all on Ctrl-C. Data lives in .almoner/devnet-N
# (delete it to start afresh).
#
#   scripts/devnet.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
HOME_DIR=${HOME_DIR:-.almoner/devnet-$N}
BASE_PORT=${BASE_PORT:-7270}
go build -o bin/ ./consortium-node ./consortium-node/cmd/almoner
if [ ! -f "$HOME_DIR/genesis.json" ]; then
  bin/consortium-node init --home "$HOME_DIR" --nodes "$N" --base-port "$BASE_PORT"
fi
mapfile -t NODES < <(bin/consortium-node nodes --home "$HOME_DIR")
pids=()
stop() {
  echo; echo "stopping ${#pids[@]} nodes..."
  kill -INT "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM
mkdir -p "$HOME_DIR/logs"
echo "consortium in $HOME_DIR:"
for line in "${NODES[@]}"; do
  read -r id api raft <<<"$line"
  bin/consortium-node run --home "$HOME_DIR" --node "$id" --log-level "${LOG_LEVEL:-info}" 2>"$HOME_DIR/logs/$id.log" &
  pids+=($!)
  printf '  %-20s API http://%-16s raft %-16s log %s\n' "$id" "$api" "$raft" "$HOME_DIR/logs/$id.log"
done
first_api=$(echo "${NODES[0]}" | awk '{print $2}')
cat <<TXT

Try:  bin/almoner status --home $HOME_DIR --node $first_api
      bin/almoner tx --home $HOME_DIR --node $first_api --as stmarys/admin identity add_member id=stmarys/nurse-1 roles:strings=records_clerk --new-keys
Press Ctrl-C to stop all nodes.
TXT
wait "${pids[@]}"
