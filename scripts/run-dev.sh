#!/usr/bin/env bash
# make run: a one-node dev consortium (created on first start in HOME_DIR)
# plus the portal (data in PORTAL_HOME) with one demo account per role.
# Ctrl-C stops both; a second run reuses both folders.
set -euo pipefail
HOME_DIR=${1:-.almoner/dev}
PORTAL_HOME=${2:-.almoner/portal}
LISTEN=${PORTAL_LISTEN:-127.0.0.1:8080}

bin/consortium-node run --home "$HOME_DIR" --init-dev --log-level warn &
node_pid=$!
portal_pid=
stop() {
  [ -n "$portal_pid" ] && kill -INT "$portal_pid" 2>/dev/null || true
  kill -INT "$node_pid" 2>/dev/null || true
}
trap stop INT TERM
trap 'stop; wait' EXIT

for _ in $(seq 1 300); do
  [ -f "$HOME_DIR/genesis.json" ] && break
  kill -0 "$node_pid" 2>/dev/null || { echo "the node did not start" >&2; exit 1; }
  sleep 0.1
done
api=$(bin/consortium-node nodes --home "$HOME_DIR" | awk 'NR==1 {print $2}')
for _ in $(seq 1 300); do
  bin/almoner status --home "$HOME_DIR" --node "$api" >/dev/null 2>&1 && break
  sleep 0.1
done
# Demo data on first start (campaigns, gifts, records, consents, claims);
# a later start says it is already there.
bin/almoner seed --home "$HOME_DIR" --node "$api" --fhir "${FHIR_DIR:-../shared/fhir}"
bin/portal --node "$api" --listen "$LISTEN" --home "$PORTAL_HOME" --dev "$HOME_DIR" --log-level warn &
portal_pid=$!
wait "$portal_pid" || true
