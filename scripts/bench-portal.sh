#!/usr/bin/env bash
# Portal benchmark on the demo data: a one-node consortium with the seeded
# demo (campaigns, ~300 gifts, claims), the portal following it, and a
# separate load process (scripts/portalload) sending
#   - a donor's gift-lineage query (hope/donor-sam's first gift), and
#   - an insurer's claim-queue query (acme/adjuster),
# ROUNDS times each, interleaved; prints each round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} N=${N:-10000} C=${C:-16}
BASE=${BASE_PORT:-17070} LISTEN=${LISTEN:-127.0.0.1:18080}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
make -s build >&2
go build -o "$work/portalload" ./scripts/portalload
bin/consortium-node init --home "$work/dev" --base-port "$BASE" >/dev/null
bin/consortium-node run --home "$work/dev" --log-level warn 2>"$work/node.log" &
node=127.0.0.1:$BASE
for _ in $(seq 1 100); do bin/almoner status --home "$work/dev" --node "$node" >/dev/null 2>&1 && break; sleep 0.1; done
echo "seeding the demo data..." >&2
bin/almoner seed --home "$work/dev" --node "$node" --fhir "${FHIR_DIR:-../shared/fhir}" 2>/dev/null >&2
bin/portal --node "$node" --listen "$LISTEN" --home "$work/portal" --dev "$work/dev" --log-level warn \
  --rate-per-ip 1000000000 --rate-per-user 1000000000 2>"$work/portal.log" &
url=http://$LISTEN
for _ in $(seq 1 300); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || { echo "the portal did not become healthy" >&2; cat "$work/portal.log" >&2; exit 1; }

# token ACCOUNT: sign in and create a read-only API token.
token() {
  local pw jar="$work/${1//\//_}.jar"
  pw=$(awk -v a="$1" '$1==a {print $2}' "$work/portal/dev-accounts.txt")
  local csrf
  csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' -d "{\"account\":\"$1\",\"password\":\"$pw\"}" "$url/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["csrfToken"])')
  curl -sf -b "$jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" -H "Origin: $url" \
    -d '{"query":"mutation { createApiToken(name: \"bench\", scopes: [\"read\"], ttlHours: 1) { secret } }"}' "$url/graphql" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["data"]["createApiToken"]["secret"]) if d.get("data") else sys.exit("createApiToken: "+json.dumps(d))'
}
donor=$(token hope/donor-sam)
adjuster=$(token acme/adjuster)
gift=$(curl -sf -H "Authorization: Bearer $donor" -H 'Content-Type: application/json' \
  -d '{"query":"{ myGifts(first: 1) { edges { node { id } } } }"}' "$url/graphql" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["myGifts"]["edges"][0]["node"]["id"])')

lineage='query($id: ID!) { gift(id: $id) { amount campaign { id title } lineage { disbursed refunded inEscrow allocations { milestone { seq title status } amount } } } }'
queue='{ claimQueue(first: 20) { edges { node { id status claimed approved patientShare provider patient } } } }'
out="$work/rounds.txt"
for r in $(seq "$ROUNDS"); do
  echo "round $r of $ROUNDS" >&2
  "$work/portalload" -url "$url/graphql" -token "$donor" -name lineage -n "$N" -c "$C" -query "$lineage" -vars "{\"id\":\"$gift\"}" | tee -a "$out"
  "$work/portalload" -url "$url/graphql" -token "$adjuster" -name claim-queue -n "$N" -c "$C" -query "$queue" | tee -a "$out"
done
awk '
{ name=$1; sub(/:$/, "", name); n[name]++; rps[name, n[name]]=$6; p99[name, n[name]]=$12 }
function med(a, k, m,   i,j,t,v) { for (i=1;i<=m;i++) v[i]=a[k,i]
  for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (v[j]<v[i]) {t=v[i];v[i]=v[j];v[j]=t}
  return v[int((m+1)/2)] }
END { print "\nmedians over " n["lineage"] " rounds (portal and node on this machine, load from a separate process):"
  for (k in n) printf "  %-12s %8.0f req/s   p99 %6.2f ms\n", k, med(rps, k, n[k]), med(p99, k, n[k]) }' "$out"
