#!/usr/bin/env bash
# make bench: every benchmark suite, one after another, then one table of
# medians and one machine-readable line per figure (scripts/benchtab):
#
#   RESULT <suite> bench=<name> <label>=<value>... <metric>=<median>... [<ratio>=<median>...] runs=<rounds>
#
# Suites (SUITES, in this order by default):
#   exec       Block-STM vs serial and vs ideal (the same work split perfectly over the cores), blocks of
#              10,000 (consortium-node/internal/exec BenchmarkExecute)
#   authz      the executor with authorisation off/default/10k rows; one decision (consortium-node/internal/authz)
#   admission  mempool.Add and the node's admission with its member check (mempool, node)
#   e2e        one node, signed txs committed/s from a load process, Block-STM and serial (bench-e2e.sh)
#   cluster    3 nodes vs a 3-member etcd on this machine (bench-cluster.sh)
#   growth     the first N committed txs of a workload (mix) vs N after FILL more, one node; then a fresh
#              portal's read model built from them; bytes on disk per tx (bench-growth.sh)
#   soak       one node at a fixed offered rate of the mix for SOAK_DURATION: RSS, heap and goroutines of
#              the first vs the last minute, and their slopes (soak.sh)
#   portal     gift-lineage and claim-queue GraphQL queries on the demo data (bench-portal.sh)
#
# Every figure is the median of ROUNDS rounds (default 3); the rounds of a
# suite interleave what they compare (serial and Block-STM run in the same
# round, as do Almoner and etcd), and every ratio is taken within a round,
# then its median reported. The short form takes a few minutes on 2 cores;
# LONG=1 is the long form (more rounds, bigger blocks of work). Any setting
# below can be given on its own, e.g. SUITES="e2e portal" E2E_TXS=50000.
#
#   PROFILE_DIR=DIR  also write CPU and allocation profiles of every suite to DIR
#                    (go test -cpuprofile/-memprofile; the daemons' --pprof for e2e and portal)
#   BENCH_OUT=DIR    raw results, logs and the table (default bin/bench)
#
# The machine's load is printed with each suite: figures taken while
# something else runs on the machine are not comparable with others.
. "$(dirname "$0")/bench-lib.sh"
LONG=${LONG:-0}
if [ "$LONG" = 1 ]; then long=1; else long=0; fi
pick() { if [ $long = 1 ]; then echo "$2"; else echo "$1"; fi; } # pick SHORT LONG
SUITES=${SUITES:-exec authz admission e2e cluster growth soak portal}
ROUNDS=${ROUNDS:-$(pick 3 5)}
BENCHTIME=${BENCHTIME:-$(pick 3x 20x)}                   # exec: blocks of 10,000 per benchmark and round
AUTHZ_BENCHTIME=${AUTHZ_BENCHTIME:-$(pick 10x 50x)}      # authz: blocks of 10,000 per benchmark and round
ADMISSION_BENCHTIME=${ADMISSION_BENCHTIME:-$(pick 20x 200x)} # admission: batches of 1,000 per round
E2E_TXS=${E2E_TXS:-$(pick 20000 200000)}
CLUSTER_TXS=${CLUSTER_TXS:-$(pick 5000 20000)}
GROWTH_N=${GROWTH_N:-$(pick 10000 100000)}
GROWTH_FILL=${GROWTH_FILL:-$(pick 30000 1000000)}
GROWTH_WORKLOAD=${GROWTH_WORKLOAD:-mix}
SOAK_DURATION=${SOAK_DURATION:-$(pick 60 600)} # seconds
SOAK_RATE=${SOAK_RATE:-1000}                   # offered tx/s, below what one node sustains here
SOAK_ROUNDS=${SOAK_ROUNDS:-1}
SOAK_WORKLOAD=${SOAK_WORKLOAD:-mix}
PORTAL_N=${PORTAL_N:-$(pick 5000 20000)}
PORTAL_CONNS=${PORTAL_CONNS:-16 64}
OUT=${BENCH_OUT:-bin/bench}
export FHIR_DIR=${FHIR_DIR:-$(cd .. && pwd)/shared/fhir}
if [ -n "${PROFILE_DIR:-}" ]; then
  mkdir -p "$PROFILE_DIR"
  PROFILE_DIR=$(cd "$PROFILE_DIR" && pwd)
  export PROFILE_DIR
fi
mkdir -p "$OUT"
tmp=$(mktemp -d)
cleanup_at_exit "$tmp"

load1() { cut -d' ' -f1 /proc/loadavg; }

# gobench SUITE PKG REGEXP BENCHTIME: the package's benchmarks, once per
# round (so that what a round compares runs minutes apart at most).
gobench() {
  local suite=$1 pkg=$2 re=$3 bt=$4 name
  name=$(basename "$pkg")
  go test -c -o "$tmp/$name.test" "./$pkg"
  for r in $(seq "$ROUNDS"); do
    echo "round: $r"
    local prof=()
    if [ -n "${PROFILE_DIR:-}" ] && [ "$r" = "$ROUNDS" ]; then
      prof=(-test.cpuprofile "$PROFILE_DIR/$suite-$name.cpu.pprof" -test.memprofile "$PROFILE_DIR/$suite-$name.allocs.pprof")
    fi
    echo "  $suite: $pkg round $r of $ROUNDS" >&2
    (cd "$pkg" && "$tmp/$name.test" -test.run '^$' -test.bench "$re" -test.benchtime "$bt" -test.benchmem "${prof[@]}") |
      tee -a "$OUT/$suite.log" | grep -v '^\(PASS\|ok \)'
  done
}

suite_exec() {
  echo "suite: exec"
  gobench exec consortium-node/internal/exec '^BenchmarkExecute$' "$BENCHTIME"
}
suite_authz() {
  echo "suite: authz"
  gobench authz consortium-node/internal/authz '^BenchmarkExecutorAuthorization$' "$AUTHZ_BENCHTIME"
  echo "round: 1"
  (cd consortium-node/internal/authz && "$tmp/authz.test" -test.run '^$' -test.bench '^BenchmarkEnforce$/^cached' -test.count "$ROUNDS" -test.benchtime 100000x &&
    "$tmp/authz.test" -test.run '^$' -test.bench '^BenchmarkEnforce$/^uncached' -test.count "$ROUNDS" -test.benchtime 20x) |
    tee -a "$OUT/authz.log" | grep -v '^\(PASS\|ok \)'
}
suite_admission() {
  echo "suite: admission"
  local r
  go test -c -o "$tmp/mempool.test" ./consortium-node/internal/mempool
  go test -c -o "$tmp/node.test" ./consortium-node/internal/node
  for r in $(seq "$ROUNDS"); do
    echo "round: $r"
    echo "  admission: round $r of $ROUNDS" >&2
    local p1=() p2=()
    if [ -n "${PROFILE_DIR:-}" ] && [ "$r" = "$ROUNDS" ]; then
      p1=(-test.cpuprofile "$PROFILE_DIR/admission-mempool.cpu.pprof" -test.memprofile "$PROFILE_DIR/admission-mempool.allocs.pprof")
      p2=(-test.cpuprofile "$PROFILE_DIR/admission-node.cpu.pprof" -test.memprofile "$PROFILE_DIR/admission-node.allocs.pprof")
    fi
    (cd consortium-node/internal/mempool && "$tmp/mempool.test" -test.run '^$' -test.bench '^BenchmarkAdd$' -test.benchtime "$ADMISSION_BENCHTIME" -test.benchmem "${p1[@]}") |
      tee -a "$OUT/admission.log" | grep -v '^\(PASS\|ok \)'
    (cd consortium-node/internal/node && "$tmp/node.test" -test.run '^$' -test.bench '^BenchmarkAdmission$' -test.benchtime "$ADMISSION_BENCHTIME" "${p2[@]}") |
      tee -a "$OUT/admission.log" | grep -v '^\(PASS\|ok \)'
  done
}
suite_e2e() { TXS=$E2E_TXS ROUNDS=$ROUNDS scripts/bench-e2e.sh; }
suite_cluster() { TXS=$CLUSTER_TXS ROUNDS=$ROUNDS scripts/bench-cluster.sh; }
suite_growth() { N=$GROWTH_N FILL=$GROWTH_FILL ROUNDS=$ROUNDS WORKLOAD=$GROWTH_WORKLOAD scripts/bench-growth.sh; }
suite_soak() {
  DURATION=$SOAK_DURATION RATE=$SOAK_RATE ROUNDS=$SOAK_ROUNDS WORKLOAD=$SOAK_WORKLOAD SAMPLES_OUT=$OUT/soak-samples \
    scripts/soak.sh
}
suite_portal() { N=$PORTAL_N CONNS=$PORTAL_CONNS ROUNDS=$ROUNDS scripts/bench-portal.sh; }

go build -o bin/ ./scripts/benchtab
# BENCH_COMMIT names what is measured when this is not a git checkout
# (e.g. a `git archive` of a commit, away from a shared working tree).
commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -c . || true)
if [ "$dirty" = 0 ]; then dirty=; fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "make bench ($( [ $long = 1 ] && echo long || echo short ) form): $ROUNDS round(s) per figure; suites: $SUITES" >&2
echo "machine: $(nproc) CPU(s) ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(go env GOVERSION); commit $commit${dirty:+ ($dirty modified file(s))}" >&2
meta=()
failed=()
t0=$(date +%s)
files=()
for s in $SUITES; do
  if ! declare -F "suite_$s" >/dev/null; then echo "unknown suite $s (have: exec authz admission e2e cluster growth soak portal)" >&2; exit 2; fi
  echo >&2
  echo "== $s (load average $(load1))" >&2
  l0=$(load1) s0=$(date +%s)
  rm -f "$OUT/$s.log"
  # In a subshell of its own with errexit on: a failing step fails the
  # suite, which is reported, and the other suites still run.
  set +e
  (set -e; "suite_$s") >"$OUT/$s.txt" 2> >(tee -a "$OUT/$s.log" >&2)
  rc=$?
  set -e
  if [ $rc = 0 ]; then
    files+=("$OUT/$s.txt")
  else
    echo "== $s FAILED (log: $OUT/$s.log)" >&2
    failed+=("$s")
    if grep -q '^Benchmark' "$OUT/$s.txt"; then files+=("$OUT/$s.txt"); fi
  fi
  meta+=("RESULT meta suite=$s seconds=$(($(date +%s) - s0)) load1_start=$l0 load1_end=$(load1)")
done
total=$(($(date +%s) - t0))
{
  echo "make bench on $(nproc) CPU(s) ($cpu), $(go env GOVERSION), commit $commit${dirty:+ ($dirty modified file(s))}, $( [ $long = 1 ] && echo long || echo short ) form, $ROUNDS round(s), $(date -u +%Y-%m-%dT%H:%MZ), ${total}s"
  if [ ${#files[@]} -gt 0 ]; then bin/benchtab "${files[@]}"; fi
  printf '%s\n' "${meta[@]}"
  echo "RESULT meta cpus=$(nproc) go=$(go env GOVERSION) commit=$commit rounds=$ROUNDS form=$( [ $long = 1 ] && echo long || echo short ) seconds=$total failed=${#failed[@]}"
} | tee "$OUT/table.md"
if [ -n "${PROFILE_DIR:-}" ]; then echo "profiles in $PROFILE_DIR (go tool pprof -top FILE)" >&2; fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed suites: ${failed[*]} (logs in $OUT)" >&2
  exit 1
fi
