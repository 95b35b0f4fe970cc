package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestRounds: medians over rounds, ratios within each round (then their
// median), labels from positional and key=value parts, one RESULT line
// per figure.
func TestRounds(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{filepath.Join("testdata", "rounds.txt")}, nil, &out); err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "RESULT ") {
			results = append(results, l)
		}
	}
	want := []string{
		"RESULT exec bench=Execute workload=no-conflict executor=serial tx_per_s=22222 ms_per_block=450 runs=3",
		// per round 2.0, 1.25, 1.5: the median is 1.5, not 33333/22222.
		"RESULT exec bench=Execute workload=no-conflict executor=parallel tx_per_s=33333 ms_per_block=300 blockstm_over_serial=1.500 runs=3",
		// two rounds: benchmath's median is the mean of the middle two.
		"RESULT cluster bench=Cluster system=almoner writes_per_s=1100 p50_ms=1350 almoner_over_etcd_put=0.550 almoner_over_etcd_txn=0.225 runs=2",
		"RESULT cluster bench=Cluster system=etcd-put writes_per_s=2000 p50_ms=11.0 runs=2",
		"RESULT cluster bench=Cluster system=etcd-txn writes_per_s=5000 p50_ms=95.0 runs=2",
	}
	if strings.Join(results, "\n") != strings.Join(want, "\n") {
		t.Errorf("RESULT lines:\n%s\nwant:\n%s", strings.Join(results, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{
		"| no-conflict | parallel | 33,333 (25,000–50,000) | 300 (200–400) | 1.50x (1.25–2.00) |",
		"| workload | executor | tx/s | ms/block | Block-STM / serial |",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the table lacks %q:\n%s", s, out.String())
		}
	}
}

func TestNoSuite(t *testing.T) {
	err := run(nil, strings.NewReader("BenchmarkX 1 5 tx/s\n"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "suite") {
		t.Fatalf("a result before any suite line: %v, want an error naming the suite", err)
	}
}
