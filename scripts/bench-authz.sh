#!/usr/bin/env bash
# Authorisation cost: runs the executor benchmark (blocks of 10,000
# authorised transactions on Block-STM) with authorisation off, with the
# default policy and with 10,000 extra rows, COUNT times interleaved, and
# prints medians and the throughput ratios on/off; then the cost of one
# decision, cached and uncached.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
out=${OUT:-bin/bench-authz.txt}
mkdir -p "$(dirname "$out")"
bin=$(mktemp -d)/authz.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./consortium-node/authz/
: >"$out"
# Rounds interleave the configurations, so that a change in the machine's
# load hits all of them alike; the medians are over rounds.
for i in $(seq "$count"); do
  echo "round $i of $count..." >&2
  "$bin" -test.run '^$' -test.bench 'BenchmarkExecutorAuthorization' -test.benchtime 20x | tee -a "$out" >&2
done
"$bin" -test.run '^$' -test.bench 'BenchmarkEnforce/^cached' -test.count "$count" -test.benchtime 100000x | tee -a "$out" >&2
"$bin" -test.run '^$' -test.bench 'BenchmarkEnforce/uncached' -test.count "$count" -test.benchtime 20x | tee -a "$out" >&2
awk '
function median(k,   m,i,j,t,a) { m=n[k]; for (i=1;i<=m;i++) a[i]=v[k,i]
  for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]<a[i]) {t=a[i];a[i]=a[j];a[j]=t}
  return a[int((m+1)/2)] }
/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); n[name]++; v[name, n[name]]=$3 }
END {
  off=median("BenchmarkExecutorAuthorization/off")
  printf "\nmedian per block of 10,000 txs (Block-STM, %d rounds):\n", n["BenchmarkExecutorAuthorization/off"]
  split("off default rows10k default-cold rows10k-cold", w, " ")
  for (i=1;i<=5;i++) { k="BenchmarkExecutorAuthorization/" w[i]; m=median(k)
    printf "  %-13s %7.1f ms  %8.0f tx/s  throughput vs off %.3f\n", w[i], m/1e6, 10000/(m/1e9), off/m }
  print "\nmedian cost of one decision:"
  for (k in n) if (k ~ /^BenchmarkEnforce/) printf "  %-40s %10.0f ns\n", k, median(k)
}' "$out"
