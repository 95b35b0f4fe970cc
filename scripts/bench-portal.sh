#!/usr/bin/env bash
# The portal suite of `make bench` (scripts/bench.sh): a one-node consortium
# with the seeded demo data (campaigns, ~300 gifts, claims), the portal
# following it, and a separate load process (scripts/portalload) sending
#   - a donor's gift-lineage query (hope/donor-sam's first gift), and
#   - an insurer's claim-queue query (acme/adjuster),
# N requests each from C concurrent connections, for each C in CONNS,
# ROUNDS times, interleaved. Prints each round in the Go benchmark format
# on stdout (BenchmarkPortal/query=.../conns=C: req/s, p50-ms, p99-ms);
# progress on stderr.
#
#   ROUNDS=3 N=5000 CONNS="16 64" scripts/bench-portal.sh
#
# With PROFILE_DIR, afterwards: each query at the last of CONNS for
# PROFILE_N requests (default 4x N) while a CPU profile of PROFILE_SECONDS
# (default 8) is taken from the portal's --pprof, then its allocation
# profile: PROFILE_DIR/portal-{lineage,claim-queue}.{cpu,allocs}.pprof.
. "$(dirname "$0")/bench-lib.sh"
ROUNDS=${ROUNDS:-3} N=${N:-5000} CONNS=${CONNS:-16 64}
work=$(mktemp -d)
cleanup_at_exit "$work"
# The web app is not needed to serve GraphQL: no frontend build.
go build -o bin/ ./consortium-node ./consortium-node/cmd/almoner ./portal ./scripts/portalload
base=$(pick_base 0 100 1000 1001)
node=127.0.0.1:$base listen=127.0.0.1:$((base + 1000)) pprof=127.0.0.1:$((base + 1001))
bin/consortium-node init --home "$work/dev" --base-port "$base" >/dev/null
bin/consortium-node run --home "$work/dev" --log-level warn 2>"$work/node.log" &
pids+=($!)
wait_for bin/almoner status --home "$work/dev" --node "$node"
echo "seeding the demo data..." >&2
bin/almoner seed --home "$work/dev" --node "$node" --fhir "${FHIR_DIR:-../shared/fhir}" >/dev/null 2>"$work/seed.log" ||
  { echo "seeding failed:" >&2; cat "$work/seed.log" >&2; exit 1; }
bin/portal --node "$node" --listen "$listen" --home "$work/portal" --dev "$work/dev" --log-level warn \
  --rate-per-ip 1000000000 --rate-per-user 1000000000 --pprof "$pprof" 2>"$work/portal.log" &
pids+=($!)
portal_pid=$!
url=http://$listen
wait_for curl -sf "$url/healthz" || { echo "the portal did not become healthy" >&2; cat "$work/portal.log" >&2; exit 1; }

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

# run NAME C N TOKEN QUERY [VARS]: one load; its portalload line on stdout.
run() {
  bin/portalload -url "$url/graphql" -token "$4" -name "$1" -c "$2" -n "$3" -query "$5" -vars "${6:-{\}}"
}
# measure NAME C N TOKEN QUERY [VARS]: run, then the portal's CPU time per
# request (µs; the figure a shared machine moves least) after the line.
measure() {
  local c0 line c1
  c0=$(cpu_seconds "$portal_pid")
  line=$(run "$@")
  c1=$(cpu_seconds "$portal_pid")
  echo "$line cpu_us_per_req $(awk -v a="$c0" -v b="$c1" -v n="$3" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')"
}
# emit NAME C LINE: the figure in the Go benchmark format.
emit() {
  echo "  $3" >&2
  awk -v q="$1" -v c="$2" '{ printf "BenchmarkPortal/query=%s/conns=%s 1 %s req/s %s p50-ms %s p99-ms %s portal-cpu-us/req\n", q, c, $6, $9, $12, $NF }' <<<"$3"
}

echo "portal: the demo data; $N requests per query and connection count ($CONNS), $ROUNDS round(s)" >&2
echo "suite: portal"
echo "requests: $N"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  echo "  round $r of $ROUNDS" >&2
  for c in $CONNS; do
    emit lineage "$c" "$(measure lineage "$c" "$N" "$donor" "$lineage" "{\"id\":\"$gift\"}")"
    emit claim-queue "$c" "$(measure claim-queue "$c" "$N" "$adjuster" "$queue")"
  done
done
if [ -n "${PROFILE_DIR:-}" ]; then
  mkdir -p "$PROFILE_DIR"
  c=${CONNS##* }
  # profile NAME TOKEN QUERY [VARS]: one query at the last connection count, profiled (not counted).
  profile() {
    run "$1" "$c" "${PROFILE_N:-$((N * 4))}" "$2" "$3" "${4:-{\}}" >"$work/profile.out" &
    local lp=$! cp
    sleep 0.5
    profile_cpu "http://$pprof" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/portal-$1.cpu.pprof"
    cp=$!
    wait "$lp"
    wait "$cp" || echo "  (the CPU profile failed: the load ended before ${PROFILE_SECONDS:-8}s? raise PROFILE_N)" >&2
    profile_allocs "http://$pprof" "$PROFILE_DIR/portal-$1.allocs.pprof"
    echo "  $1, $c connections (profiled, not counted): $(cat "$work/profile.out")" >&2
  }
  profile lineage "$donor" "$lineage" "{\"id\":\"$gift\"}"
  profile claim-queue "$adjuster" "$queue"
  echo "  profiles: $PROFILE_DIR/portal-{lineage,claim-queue}.{cpu,allocs}.pprof" >&2
fi
