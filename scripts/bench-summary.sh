#!/usr/bin/env bash
# Prints median ns/op per benchmark and the serial/parallel ratio per workload.
set -euo pipefail
awk '
/^BenchmarkExecute\// {
  name=$1; sub(/-[0-9]+$/, "", name); n[name]++; v[name, n[name]]=$3
}
END {
  for (k in n) {
    m=n[k]; for (i=1;i<=m;i++) a[i]=v[k,i]
    for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]<a[i]) {t=a[i];a[i]=a[j];a[j]=t}
    med[k]=a[int((m+1)/2)]
  }
  print "median ns/op (block of 10,000 txs) and speed-up of Block-STM over serial:"
  split("no-conflict random-100 one-account", w, " ")
  for (i=1;i<=3;i++) {
    s=med["BenchmarkExecute/" w[i] "/serial"]; p=med["BenchmarkExecute/" w[i] "/parallel"]
    if (s && p) printf "  %-12s serial %6.1f ms  parallel %6.1f ms  speed-up %.2fx\n", w[i], s/1e6, p/1e6, s/p
  }
}' "$1"
