# Helpers for the benchmark suites (scripts/bench*.sh, soak.sh, overload.sh); source it first,
#   . "$(dirname "$0")/bench-lib.sh"
# and it is the suite's prelude too: strict mode (an unset variable, or a command failing anywhere, in a function,
# a pipeline or a subshell, ends the suite with its line named on stderr) and the repository root as the
# working directory.
# The suites print their figures in the Go benchmark format on stdout
# ("suite: NAME", "round: N", then "BenchmarkX/key=value 1 V unit V unit")
# and everything else on stderr; scripts/bench.sh and scripts/benchtab turn
# the rounds into medians, ratios, a table and RESULT lines.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO: exit status $?" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/.."

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

# init_node HOME PORT: creates a one-node development consortium in HOME whose node's API listens on PORT (its
# raft transport on PORT+100) and sets api to that address.
init_node() {
  bin/consortium-node init --home "$1" --base-port "$2" >/dev/null
  api=127.0.0.1:$2
}

# run_node HOME FLAG...: starts the node of HOME (--log-level warn and FLAGs; its stderr in $tmp/node.log) in
# the background, sets node to its process id and waits until its API at $api answers.
run_node() {
  local home=$1
  shift
  bin/consortium-node run --home "$home" --log-level warn "$@" 2>"$tmp/node.log" &
  node=$!
  wait_for curl -sf "http://$api/v1/status" >/dev/null
}

# cpu_seconds PID: the process's CPU time so far (user + system), in seconds.
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / t }' "/proc/$1/stat"; }

# start_loadgen FLAG...: starts scripts/loadgen in the background against the node of $tmp/home at $api (after
# it waits up to 30 s for a raft leader) with FLAGs, its stdout in $tmp/loadgen.out and its stderr in
# $tmp/loadgen.err (emptied first: await_loadgen reads this run's only), and sets lg to its process id.
start_loadgen() {
  : >"$tmp/loadgen.err"
  bin/loadgen --home "$tmp/home" --node "$api" --wait-leader 30s "$@" >"$tmp/loadgen.out" 2>"$tmp/loadgen.err" &
  lg=$!
}

# loadgen_failed: says that loadgen failed, with its stderr ($tmp/loadgen.err) and the node's ($tmp/node.log);
# returns 1.
loadgen_failed() {
  echo "loadgen failed:" >&2
  cat "$tmp/loadgen.err" "$tmp/node.log" >&2
  return 1
}

# await_loadgen PATTERN PID: waits until loadgen, running in the background as process PID, has written a line
# matching PATTERN to $tmp/loadgen.err (it writes "signing" once its workload's setup is committed, "submitting"
# when it starts to send); when it exits before that, loadgen_failed.
await_loadgen() {
  until grep -qs "$1" "$tmp/loadgen.err"; do
    if ! kill -0 "$2" 2>/dev/null; then
      grep -qs "$1" "$tmp/loadgen.err" || loadgen_failed
      return
    fi
    sleep 0.05
  done
}

# profile_cpu URL SECONDS OUT: a CPU profile of SECONDS from a --pprof
# endpoint (http://ADDR), in the background; wait for it with `wait`.
profile_cpu() { curl -sf -o "$3" "$1/debug/pprof/profile?seconds=$2" & }

# catch_up BIN PHOME DEVHOME PROFILE: starts portal BIN with the empty home PHOME (--dev DEVHOME), following the
# node at $api and listening on $portal, and waits until its read model has applied the node's last block (the
# lag metric at 0; at most REBUILD_TIMEOUT seconds, else it fails naming the lag). With PROFILE set it runs with
# --pprof at $pprof, and the CPU profile of its first PROFILE_SECONDS (default 8) goes to PROFILE_DIR/PROFILE.cpu.pprof
# in the background. It leaves the portal running and sets its caller's variables: pp (the portal's process id),
# t0 (when it started), tu (when it first answered), t1 (when it caught up), cpuprof (the profile's background job,
# empty without one) and lag; its last scrape is in $tmp/pmetrics.txt, its stderr in $tmp/portal.log.
catch_up() {
  local prof=()
  cpuprof= tu= lag=-1
  if [ -n "$4" ]; then prof=(--pprof "$pprof"); fi
  t0=$(date +%s.%N)
  "$1" --node "$api" --listen "$portal" --home "$2" --dev "$3" --log-level warn "${prof[@]}" 2>"$tmp/portal.log" &
  pp=$!
  while :; do
    if curl -sf -o "$tmp/pmetrics.txt" "http://$portal/metrics" 2>/dev/null; then
      if [ -z "$tu" ]; then
        tu=$(date +%s.%N)
        if [ ${#prof[@]} -gt 0 ]; then
          mkdir -p "$PROFILE_DIR"
          profile_cpu "http://$pprof" "${PROFILE_SECONDS:-8}" "$PROFILE_DIR/$4.cpu.pprof"
          cpuprof=$!
        fi
      fi
      lag=$(metric portal_readmodel_lag_blocks "$tmp/pmetrics.txt")
      if [ "${lag:-x}" = 0 ]; then break; fi
    fi
    if ! kill -0 "$pp" 2>/dev/null; then
      echo "the portal exited:" >&2; cat "$tmp/portal.log" >&2
      echo "the node's log (last lines):" >&2; tail -20 "$tmp/node.log" >&2; return 1
    fi
    if awk -v a="$t0" -v b="$(date +%s.%N)" -v m="$REBUILD_TIMEOUT" 'BEGIN { exit !(b - a > m) }'; then
      echo "the read model did not catch up in ${REBUILD_TIMEOUT}s (lag $lag blocks)" >&2; return 1
    fi
    sleep 0.1
  done
  t1=$(date +%s.%N)
}

# profile_allocs URL OUT: the allocation profile since the process started.
# await_profile PID FILE: wait for a background profile (profile_cpu's curl)
# by its process, then check its file; bash may already have forgotten a
# finished job's status, so `wait PID` could say it is "not a child".
await_profile() {
  while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
  [ -s "$2" ]
}
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
