#!/usr/bin/env bash
# make consortium: four organisations on this machine as a consortium runs
# them: each with its own node process and its own portal process, each
# portal holding only its own organisation's keys and following its own
# organisation's node. Created on first start in CONSORTIUM_HOME (default
# .almoner/consortium): chain/ (genesis.json, keys/, node data), portals/<org>/,
# logs/, and consortium.json for scripts. Ctrl-C stops everything; a second
# run reuses the folders.
set -euo pipefail
CH=${CONSORTIUM_HOME:-.almoner/consortium}
NODE_PORT=${CONSORTIUM_NODE_PORT:-7170}
PORTAL_PORT=${CONSORTIUM_PORTAL_PORT:-8180}
chain="$CH/chain"
mkdir -p "$CH/logs" "$CH/portals"

pids=()
stop() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; }
trap stop INT TERM
trap 'stop; wait' EXIT

if [ ! -f "$chain/genesis.json" ]; then
  bin/consortium-node init --home "$chain" --nodes 4 --base-port "$NODE_PORT" --chain-id almoner-consortium >/dev/null
fi

# One node per organisation (node ids are <org>-node<N>).
declare -A api_of
orgs=()
while read -r id api raft; do
  org=${id%-node*}
  orgs+=("$org")
  api_of[$org]=$api
  bin/consortium-node run --home "$chain" --node "$id" --api-tls --log-level warn >>"$CH/logs/$id.log" 2>&1 &
  pids+=($!)
done < <(bin/consortium-node nodes --home "$chain")

# Node APIs serve TLS with each node key's certificate; the CLI and the
# portals authenticate them by the node keys in genesis.json.
first=https://${api_of[${orgs[0]}]}
echo "waiting for the nodes to elect a leader..."
for _ in $(seq 1 600); do
  bin/almoner status --home "$chain" --node "$first" 2>/dev/null | grep -Eq '"leader": *[1-9]' && break
  sleep 0.1
done

# One portal per organisation: only its members' keys (--dev ... --org).
declare -A url_of
i=0
for org in "${orgs[@]}"; do
  port=$((PORTAL_PORT + i)); i=$((i + 1))
  url_of[$org]="http://127.0.0.1:$port"
  bin/portal --node "https://${api_of[$org]}" --listen "127.0.0.1:$port" --home "$CH/portals/$org" --dev "$chain" --org "$org" \
    --log-level warn >>"$CH/logs/portal-$org.log" 2>&1 &
  pids+=($!)
done
for org in "${orgs[@]}"; do
  for _ in $(seq 1 600); do
    curl -fsS "${url_of[$org]}/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "${url_of[$org]}/healthz" >/dev/null 2>&1 || { echo "$org's portal did not start; see $CH/logs/portal-$org.log" >&2; exit 1; }
done

# consortium.json, for scripts.
json="{\"node_tls\":true,\"orgs\":["
sep=""
for org in "${orgs[@]}"; do
  acc=""; asep=""
  while read -r id pw; do
    [ -n "$id" ] && { acc+="$asep\"$id\":\"$pw\""; asep=","; }
  done <"$CH/portals/$org/dev-accounts.txt"
  json+="$sep{\"org\":\"$org\",\"portal\":\"${url_of[$org]}\",\"nodes\":[\"${api_of[$org]}\"],\"accounts\":{$acc}}"
  sep=","
done
json+="]}"
printf '%s\n' "$json" >"$CH/consortium.json"

# Demo data on first start, through the portals: each step signs in on the
# portal of the member's own organisation (scripts/portalseed).
if [ ! -f "$CH/seeded" ]; then
  echo "loading the demo journeys through the portals..."
  go build -o bin/portalseed ./scripts/portalseed
  bin/portalseed "$CH/consortium.json" | tee -a "$CH/logs/seed.log" ||
    { echo "loading the demo data failed; see $CH/logs/seed.log" >&2; exit 1; }
  touch "$CH/seeded"
fi

echo
echo "Almoner consortium of ${#orgs[@]} organisations is running (each its own node and portal):"
for org in "${orgs[@]}"; do
  echo
  echo "  $org"
  echo "    portal: ${url_of[$org]}/   (GraphiQL ${url_of[$org]}/graphiql)"
  echo "    node:   https://${api_of[$org]}/v1/status   (TLS: certificate = the node key in genesis.json)"
  echo "    accounts (only this organisation's, on this portal):"
  while read -r id pw; do [ -n "$id" ] && printf '      %-24s %s\n' "$id" "$pw"; done <"$CH/portals/$org/dev-accounts.txt"
done
echo
echo "  for scripts: $CH/consortium.json    logs: $CH/logs/"
echo "  Press Ctrl-C to stop all."
wait
