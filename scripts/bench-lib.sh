# Helpers for the benchmark suites (scripts/bench-*.sh); source it.
# The suites print their figures in the Go benchmark format on stdout
# ("suite: NAME", "round: N", then "BenchmarkX/key=value 1 V unit V unit")
# and everything else on stderr; scripts/bench.sh and scripts/benchtab turn
# the rounds into medians, ratios, a table and RESULT lines.

# A port is taken if something accepts a connection on it.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_base OFFSET...: a base port B below the ephemeral range with every
# B+OFFSET free (other benchmarks and tests may be running on this machine).
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

# metric NAME FILE: a Prometheus sample's value in a scraped /metrics file
# (the first line for NAME).
metric() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }

# per_block SUM COUNT: milliseconds per observation of a histogram, or 0.
per_block() { awk -v s="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.2f", 1000 * s / c; else print 0 }'; }

# wait_for CMD...: retries CMD every 0.1 s for up to 30 s.
wait_for() {
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  "$@"
}

# profile_cpu URL SECONDS OUT: a CPU profile of SECONDS from a --pprof
# endpoint (http://ADDR), in the background; wait for it with `wait`.
profile_cpu() { curl -sf -o "$3" "$1/debug/pprof/profile?seconds=$2" & }

# profile_allocs URL OUT: the allocation profile since the process started.
profile_allocs() { curl -sf -o "$2" "$1/debug/pprof/allocs"; }

# The ids of processes a suite started and stops together (pids+=($!)).
pids=()

# stop VAR: kills the process whose id the variable VAR holds, if any, waits for it and empties VAR.
stop() {
  if [ -n "${!1:-}" ]; then kill "${!1}" 2>/dev/null || true; wait "${!1}" 2>/dev/null || true; fi
  printf -v "$1" ''
}

# stop_all: kills the processes in pids, waits for them and empties pids.
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# cleanup_at_exit DIR VAR...: when the suite exits, stop each VAR's process (in that order) and those in pids,
# then remove DIR; an interrupt or TERM exits with status 130 through the same clean-up.
cleanup_at_exit() {
  cleanup_dir=$1
  shift
  cleanup_vars=("$@")
  trap cleanup_now EXIT
  trap 'exit 130' INT TERM
}
cleanup_now() {
  for v in "${cleanup_vars[@]}"; do stop "$v"; done
  stop_all
  rm -rf "$cleanup_dir"
}
