#!/usr/bin/env bash
# Sustained load: do the node's resident memory and goroutines stay flat?
# One fresh node; scripts/loadgen sends WORKLOAD (default mix) at a fixed
# offered RATE (tx/s, open loop: below what the node sustains, so that the
# node, not a queue, is measured) for DURATION seconds, in requests of
# BATCH. Every SAMPLE seconds of the timed part (after loadgen's setup) the
# node's /metrics is read: process_resident_memory_bytes, go_goroutines,
# go_memstats_heap_inuse_bytes. Reports the medians of the first and the
# last WINDOW seconds (default 60, or a quarter of DURATION if shorter),
# and the least-squares slope per minute of each after the first WINDOW
# (the warm-up: goleveldb's memory tables and caches filling); with the
# load's committed tx/s, p99 and late requests (due while every connection
# was busy: the node fell behind RATE). In the Go benchmark format on
# stdout, as the suites of `make bench` print (its soak suite is the short
# form: SOAK_DURATION 60 s); the samples go to SAMPLES_OUT if set.
#
#   scripts/soak.sh                                 # the long form: 10 minutes at 1,000 tx/s
#   DURATION=60 ROUNDS=1 RATE=1000 scripts/soak.sh  # the short form
. "$(dirname "$0")/bench-lib.sh"
DURATION=${DURATION:-600}
RATE=${RATE:-1000}
WORKLOAD=${WORKLOAD:-mix}
BATCH=${BATCH:-50}
SAMPLE=${SAMPLE:-5}
ROUNDS=${ROUNDS:-1}
WINDOW=${WINDOW:-$((DURATION / 4 < 60 ? DURATION / 4 : 60))}
if [ "$WINDOW" -lt "$SAMPLE" ]; then echo "soak: WINDOW ($WINDOW s) is shorter than SAMPLE ($SAMPLE s)" >&2; exit 2; fi
go build -o bin/ ./consortium-node ./scripts/loadgen
tmp=$(mktemp -d)
node= lg=
cleanup_at_exit "$tmp" lg node

init_node "$tmp/home" "$(pick_base 0 100)"

echo "soak: one node; $WORKLOAD at $RATE tx/s for ${DURATION}s (requests of $BATCH), sampled every ${SAMPLE}s;" \
  "first vs last ${WINDOW}s; $ROUNDS round(s)" >&2
echo "suite: soak"
echo "duration: $DURATION"
echo "rate: $RATE"
for r in $(seq "$ROUNDS"); do
  echo "round: $r"
  echo "  round $r:" >&2
  rm -rf "$tmp/home/data"
  run_node "$tmp/home"
  start_loadgen --workload "$WORKLOAD" --rate "$RATE" --duration "${DURATION}s" --batch "$BATCH" --concurrency 32
  # The timed part starts when loadgen says it submits (its setup is done).
  await_loadgen '^submitting ' "$lg" || exit 1
  t0=$(date +%s.%N)
  : >"$tmp/samples"
  while kill -0 "$lg" 2>/dev/null; do
    if curl -sf -m 2 -o "$tmp/metrics.txt" "http://$api/metrics"; then
      m=$tmp/metrics.txt
      echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }') $(metric process_resident_memory_bytes "$m")" \
        "$(metric go_goroutines "$m") $(metric go_memstats_heap_inuse_bytes "$m")" >>"$tmp/samples"
    fi
    sleep "$SAMPLE"
  done
  wait "$lg" || { echo "loadgen failed:" >&2; tail -5 "$tmp/loadgen.err" >&2; lg=; exit 1; }
  lg=
  res=$(grep '^RESULT ' "$tmp/loadgen.out")
  echo "    $(awk 'NR == 1' "$tmp/loadgen.out")" >&2
  stop node
  if [ -n "${SAMPLES_OUT:-}" ]; then cp "$tmp/samples" "$SAMPLES_OUT.$r"; fi
  # medians of the first and the last WINDOW seconds; slopes per minute after the first WINDOW
  awk -v w="$WINDOW" -v wl="$WORKLOAD" -v tps="$(field tps <<<"$res")" -v p99="$(field p99_ms <<<"$res")" \
    -v late="$(field late <<<"$res")" -v reqs="$(field requests <<<"$res")" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { t[NR] = $1; rss[NR] = $2 / 1048576; gr[NR] = $3; heap[NR] = $4 / 1048576 }
    END {
      if (NR < 4) { print "soak: too few samples (" NR ")" > "/dev/stderr"; exit 1 }
      end = t[NR]
      for (i = 1; i <= NR; i++) {
        if (t[i] <= w) { fr[++nf] = rss[i]; fg[nf] = gr[i]; fh[nf] = heap[i] }
        if (t[i] >= end - w) { lr[++nl] = rss[i]; lgr[nl] = gr[i]; lh[nl] = heap[i] }
        if (t[i] > w) { n++; x = t[i] / 60; sx += x; sxx += x * x; sr += rss[i]; sg += gr[i]; sh += heap[i]
          sxr += x * rss[i]; sxg += x * gr[i]; sxh += x * heap[i] }
      }
      d = n * sxx - sx * sx
      if (n < 2 || d == 0) { print "soak: too few samples after the first window" > "/dev/stderr"; exit 1 }
      f = "BenchmarkSoak/workload=%s/window=%s 1 %.1f rss-MiB %.1f heap-MiB %.0f goroutines\n"
      printf f, wl, "first", median(fr, nf), median(fh, nf), median(fg, nf)
      printf f, wl, "last", median(lr, nl), median(lh, nl), median(lgr, nl)
      printf "BenchmarkSoakTrend/workload=%s 1 %.2f rss-MiB/min %.2f heap-MiB/min %.3f goroutines/min %.0f tx/s" \
        " %s p99-ms %d late %d requests %d samples\n",
        wl, (n * sxr - sx * sr) / d, (n * sxh - sx * sh) / d, (n * sxg - sx * sg) / d, tps, p99, late, reqs, NR
    }' "$tmp/samples"
done
