// Command benchtab summarises the rounds of `make bench` (scripts/bench.sh):
// it reads results in the Go benchmark data format (go test -bench output,
// and the lines the load-test suites print in the same format) and prints,
// per figure, the median over rounds with the range, as one markdown table
// per benchmark, then one machine-readable line per figure:
//
//	RESULT <suite> bench=<name> <label>=<value>... <metric>=<median>... [<ratio>=<median>...] runs=<rounds>
//
//	go run ./scripts/benchtab bin/bench/*.txt
//
// Configuration lines ("key: value", as go test prints "pkg: ...") set
// "suite" and "round" for the results that follow them. A ratio (Block-STM
// over serial, later over first...) is computed within each round, from two
// results of that round, and the median of those per-round ratios is
// reported: both sides ran in the same run, minutes apart at most, so a
// change in the machine's load moves both. Parsing and medians are
// golang.org/x/perf's benchfmt and benchmath (benchstat's own).
//
// Labels come from the sub-benchmark name: "key=value" parts as they are,
// positional parts ("BenchmarkExecute/no-conflict/serial") named by the
// benchmark's spec below. Metrics are every unit a result reports, named
// by its unit ("tx/s": tx_per_s, "p99-ms": p99_ms), unless the spec picks
// and converts them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/money"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// metric picks a unit of a benchmark and says how to report it: value*scale,
// or scale/value when invert (a time per transaction as a rate).
type metric struct {
	unit, key, col string
	scale          float64
	invert         bool
}

// ratio is reported on the rows whose label has the value num, divided by
// the row of the same round and the same other labels whose label is den.
// num "*" is any value but den. key and col may hold {num} and {den}.
type ratio struct {
	label, num, den string
	metric          string // a metric key
	key, col        string
}

// spec describes one benchmark of one suite (bench without "Benchmark").
type spec struct {
	suite, bench string
	title        string
	labels       []string // names of the positional sub-benchmark parts, in order
	metrics      []metric // nil: every unit, as reported
	ratios       []ratio
}

var specs = []spec{
	{suite: "exec", bench: "Execute", title: "Block-STM vs serial, blocks of 10,000 signed transfers (consortium-node/internal/exec)",
		labels: []string{"workload", "executor"},
		metrics: []metric{
			{unit: "tx/s", key: "tx_per_s", col: "tx/s", scale: 1},
			{unit: "ns/op", key: "ms_per_block", col: "ms/block", scale: 1e-6},
		},
		ratios: []ratio{
			{label: "executor", num: "parallel", den: "serial", metric: "tx_per_s", key: "blockstm_over_serial", col: "Block-STM / serial"},
			{label: "executor", num: "parallel", den: "ideal", metric: "tx_per_s", key: "blockstm_over_ideal", col: "Block-STM / ideal"},
			{label: "executor", num: "ideal", den: "serial", metric: "tx_per_s", key: "ideal_over_serial", col: "ideal / serial"},
		}},
	{suite: "authz", bench: "ExecutorAuthorization", title: "Block-STM with authorisation, blocks of 10,000 (consortium-node/internal/authz)",
		labels: []string{"policy"},
		metrics: []metric{
			{unit: "tx/s", key: "tx_per_s", col: "tx/s", scale: 1},
			{unit: "ns/op", key: "ms_per_block", col: "ms/block", scale: 1e-6},
		},
		ratios: []ratio{{label: "policy", num: "*", den: "off", metric: "tx_per_s", key: "vs_off", col: "tx/s vs off"}}},
	{suite: "authz", bench: "Enforce", title: "one policy decision (policies enforcer)",
		labels:  []string{"cache", "rules"},
		metrics: []metric{{unit: "ns/op", key: "ns_per_decision", col: "ns/decision", scale: 1}}},
	{suite: "admission", bench: "Add", title: "mempool.Add: a batch of 1,000 signed txs from 100 senders, all cores (consortium-node/internal/mempool)",
		metrics: []metric{
			{unit: "ns/tx", key: "tx_per_s", col: "tx/s", scale: 1e9, invert: true},
			{unit: "ns/tx", key: "us_per_tx", col: "µs/tx (wall)", scale: 1e-3},
			{unit: "allocs/op", key: "allocs_per_tx", col: "allocs/tx", scale: 1e-3},
			{unit: "B/op", key: "bytes_per_tx", col: "B/tx", scale: 1e-3},
		}},
	{suite: "admission", bench: "Admission", title: "node admission: 1,000 signed txs through a real node's pool and store (consortium-node/internal/node)",
		labels: []string{"check"},
		metrics: []metric{
			{unit: "ns/tx", key: "tx_per_s", col: "tx/s", scale: 1e9, invert: true},
			{unit: "ns/tx", key: "us_per_tx", col: "µs/tx (wall)", scale: 1e-3},
		},
		ratios: []ratio{{label: "check", num: "*", den: "no_member_check", metric: "tx_per_s", key: "vs_no_check", col: "vs no check"}}},
	{suite: "e2e", bench: "E2E", title: "one node, signed txs of each workload (scripts/loadgen) committed per second from a separate load process",
		ratios: []ratio{{label: "executor", num: "block-stm", den: "serial", metric: "tx_per_s", key: "blockstm_over_serial", col: "Block-STM / serial"}}},
	{suite: "cluster", bench: "Cluster", title: "3 nodes on this machine vs a 3-member etcd, same clients and write size",
		ratios: []ratio{{label: "system", num: "almoner", den: "*", metric: "writes_per_s", key: "almoner_over_{den}", col: "almoner / {den}"}}},
	{suite: "growth", bench: "Growth", title: "one node: throughput of the first N committed txs vs N after more were committed, in one run",
		ratios: []ratio{{label: "window", num: "later", den: "first", metric: "tx_per_s", key: "later_over_first", col: "later / first"}}},
	{suite: "growth", bench: "GrowthRebuild", title: "a portal with a fresh home builds its read model from the node's blocks " +
		"after the growth run (seconds from when it serves; every committed tx, setups included)"},
	{suite: "growth", bench: "GrowthStore", title: "the node's bytes on disk per committed transaction after the growth run"},
	{suite: "soak", bench: "Soak", title: "one node at a fixed offered rate: the node's RSS, heap and goroutines, " +
		"medians of the first and the last window",
		ratios: []ratio{{label: "window", num: "last", den: "first", metric: "rss_MiB", key: "rss_last_over_first", col: "RSS last / first"}}},
	{suite: "soak", bench: "SoakTrend", title: "slopes per minute after the first window; the load's committed tx/s, " +
		"p99 and late requests"},
	{suite: "portal", bench: "Portal", title: "portal GraphQL on the demo data, from a separate load process"},
}

func specFor(suite, bench string) *spec {
	for i := range specs {
		if specs[i].suite == suite && specs[i].bench == bench {
			return &specs[i]
		}
	}
	return nil
}

// row is one figure: a benchmark with its labels, and per metric the
// values of each round.
type row struct {
	suite, bench string
	labels       [][2]string
	// values[metric key][round] holds the values of that round (go test
	// -count > 1 gives several; their median stands for the round).
	values map[string]map[string][]float64
	rounds []string // in order of appearance
}

func (r *row) label(k string) string {
	for _, l := range r.labels {
		if l[0] == k {
			return l[1]
		}
	}
	return ""
}

// groupKey is the row's identity without the label k.
func (r *row) groupKey(k string) string {
	var b strings.Builder
	b.WriteString(r.suite + "\x00" + r.bench)
	for _, l := range r.labels {
		if l[0] != k {
			b.WriteString("\x00" + l[0] + "=" + l[1])
		}
	}
	return b.String()
}

type table struct {
	rows    []*row
	byKey   map[string]*row
	metrics map[string][]metric // suite+bench: metrics in order of appearance (specless)
}

func (t *table) add(res *benchfmt.Result) error {
	suite, round := res.GetConfig("suite"), res.GetConfig("round")
	if suite == "" {
		return fmt.Errorf("%s: no \"suite:\" line before it", res.Name)
	}
	if round == "" {
		round = "1"
	}
	base, parts := res.Name.Parts()
	bench := string(base)
	sp := specFor(suite, bench)
	var labels [][2]string
	pos := 0
	for _, p := range parts {
		s := string(p)
		if strings.HasPrefix(s, "-") { // GOMAXPROCS
			continue
		}
		s = strings.TrimPrefix(s, "/")
		if k, v, ok := strings.Cut(s, "="); ok {
			labels = append(labels, [2]string{k, v})
			continue
		}
		k := fmt.Sprintf("part%d", pos+1)
		if sp != nil && pos < len(sp.labels) {
			k = sp.labels[pos]
		}
		labels = append(labels, [2]string{k, s})
		pos++
	}
	key := suite + "\x00" + bench
	for _, l := range labels {
		key += "\x00" + l[0] + "=" + l[1]
	}
	r := t.byKey[key]
	if r == nil {
		r = &row{suite: suite, bench: bench, labels: labels, values: map[string]map[string][]float64{}}
		t.byKey[key] = r
		t.rows = append(t.rows, r)
	}
	if !slices.Contains(r.rounds, round) {
		r.rounds = append(r.rounds, round)
	}
	put := func(k string, v float64) {
		if r.values[k] == nil {
			r.values[k] = map[string][]float64{}
		}
		r.values[k][round] = append(r.values[k][round], v)
	}
	for _, v := range res.Values {
		unit, val := v.Unit, v.Value
		if v.OrigUnit != "" {
			unit, val = v.OrigUnit, v.OrigValue
		}
		if sp != nil && sp.metrics != nil {
			for _, m := range sp.metrics {
				if m.unit != unit {
					continue
				}
				x := val * m.scale
				if m.invert {
					if val == 0 {
						continue
					}
					x = m.scale / val
				}
				put(m.key, x)
			}
			continue
		}
		m := metric{unit: unit, key: unitKey(unit), col: unit, scale: 1}
		tk := suite + "\x00" + bench
		if !slices.ContainsFunc(t.metrics[tk], func(x metric) bool { return x.key == m.key }) {
			t.metrics[tk] = append(t.metrics[tk], m)
		}
		put(m.key, val)
	}
	return nil
}

// unitKey names a unit as a RESULT key: "tx/s" tx_per_s, "p99-ms" p99_ms.
func unitKey(u string) string {
	u = strings.ReplaceAll(u, "/", "_per_")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, u)
}

// summary is a median over rounds with the range.
type summary struct {
	median, lo, hi float64
	n              int
}

func summarise(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := benchmath.NewSample(xs, &benchmath.DefaultThresholds)
	return summary{median: benchmath.AssumeNothing.Summary(s, 0.95).Center, lo: s.Values[0], hi: s.Values[len(s.Values)-1], n: len(xs)}
}

func median(xs []float64) float64 { return summarise(xs).median }

// perRound is the round's value of a metric (the median of its values).
func (r *row) perRound(metric string) map[string]float64 {
	out := map[string]float64{}
	for round, xs := range r.values[metric] {
		out[round] = median(xs)
	}
	return out
}

func (r *row) summary(metric string) summary {
	var xs []float64
	for _, round := range r.rounds {
		if v, ok := r.perRound(metric)[round]; ok {
			xs = append(xs, v)
		}
	}
	return summarise(xs)
}

// ratioCell is one ratio on one row.
type ratioCell struct {
	key, col string
	s        summary
}

func (t *table) ratios(r *row) []ratioCell {
	sp := specFor(r.suite, r.bench)
	if sp == nil {
		return nil
	}
	var out []ratioCell
	for _, rt := range sp.ratios {
		num := r.label(rt.label)
		if num == "" || num == rt.den || (rt.num != "*" && num != rt.num) {
			continue
		}
		var dens []*row
		for _, o := range t.rows {
			d := o.label(rt.label)
			if o == r || d == "" || o.groupKey(rt.label) != r.groupKey(rt.label) || d == num {
				continue
			}
			if rt.den == "*" || d == rt.den {
				dens = append(dens, o)
			}
		}
		for _, o := range dens {
			nv, dv := r.perRound(rt.metric), o.perRound(rt.metric)
			var xs []float64
			for _, round := range r.rounds {
				a, ok1 := nv[round]
				b, ok2 := dv[round]
				if ok1 && ok2 && b != 0 {
					xs = append(xs, a/b)
				}
			}
			if len(xs) == 0 {
				continue
			}
			sub := strings.NewReplacer("{num}", num, "{den}", o.label(rt.label))
			out = append(out, ratioCell{key: unitKey(sub.Replace(rt.key)), col: sub.Replace(rt.col), s: summarise(xs)})
		}
	}
	return out
}

// num formats a figure: no decimals from 100 up, then 3 significant
// digits; with sep, thousands separated by commas.
func num(v float64, sep bool) string {
	var s string
	switch a := math.Abs(v); {
	case a >= 100 || a == 0:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
	}
	if !sep {
		return s
	}
	return money.Group(s) // a figure with a point or an exponent stays as it is
}

func cell(s summary, suffix string) string {
	if s.n == 0 {
		return ""
	}
	if s.n == 1 || s.lo == s.hi {
		return num(s.median, true) + suffix
	}
	return fmt.Sprintf("%s%s (%s–%s)", num(s.median, true), suffix, num(s.lo, true), num(s.hi, true))
}

func (t *table) metricsOf(suite, bench string) []metric {
	if sp := specFor(suite, bench); sp != nil && sp.metrics != nil {
		return sp.metrics
	}
	return t.metrics[suite+"\x00"+bench]
}

// print writes one markdown table per benchmark, suites in order of
// appearance, then the RESULT lines.
func (t *table) print(w io.Writer) {
	type group struct {
		suite, bench string
		rows         []*row
	}
	var groups []*group
	for _, r := range t.rows {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.suite == r.suite && g.bench == r.bench })
		if i < 0 {
			groups = append(groups, &group{suite: r.suite, bench: r.bench})
			i = len(groups) - 1
		}
		groups[i].rows = append(groups[i].rows, r)
	}
	// Keep a suite's benchmarks together.
	var order []string
	for _, g := range groups {
		if !slices.Contains(order, g.suite) {
			order = append(order, g.suite)
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return slices.Index(order, a.suite) - slices.Index(order, b.suite)
	})
	var results []string
	for _, g := range groups {
		title := g.bench
		if sp := specFor(g.suite, g.bench); sp != nil && sp.title != "" {
			title = sp.title
		}
		rounds := 0
		for _, r := range g.rows {
			rounds = max(rounds, len(r.rounds))
		}
		fmt.Fprintf(w, "\n**%s** · %s — median of %d round(s), range in brackets\n\n", g.suite, title, rounds)
		var labelCols []string
		for _, r := range g.rows {
			for _, l := range r.labels {
				if !slices.Contains(labelCols, l[0]) {
					labelCols = append(labelCols, l[0])
				}
			}
		}
		ms := t.metricsOf(g.suite, g.bench)
		var ratioCols []string
		rcs := map[*row][]ratioCell{}
		for _, r := range g.rows {
			rcs[r] = t.ratios(r)
			for _, c := range rcs[r] {
				if !slices.Contains(ratioCols, c.col) {
					ratioCols = append(ratioCols, c.col)
				}
			}
		}
		head := slices.Clone(labelCols)
		for _, m := range ms {
			head = append(head, m.col)
		}
		head = append(head, ratioCols...)
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, r := range g.rows {
			var cells []string
			for _, c := range labelCols {
				cells = append(cells, r.label(c))
			}
			line := []string{"RESULT", r.suite, "bench=" + r.bench}
			for _, l := range r.labels {
				line = append(line, l[0]+"="+l[1])
			}
			for _, m := range ms {
				s := r.summary(m.key)
				cells = append(cells, cell(s, ""))
				if s.n > 0 {
					line = append(line, m.key+"="+num(s.median, false))
				}
			}
			for _, col := range ratioCols {
				i := slices.IndexFunc(rcs[r], func(c ratioCell) bool { return c.col == col })
				if i < 0 {
					cells = append(cells, "")
					continue
				}
				c := rcs[r][i]
				cells = append(cells, cell(c.s, "x"))
				line = append(line, c.key+"="+strconv.FormatFloat(c.s.median, 'f', 3, 64))
			}
			line = append(line, "runs="+strconv.Itoa(len(r.rounds)))
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
			results = append(results, strings.Join(line, " "))
		}
	}
	fmt.Fprintln(w)
	for _, l := range results {
		fmt.Fprintln(w, l)
	}
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchtab [FILE...]   (stdin without files)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(flag.Args(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtab:", err)
		os.Exit(1)
	}
}

func run(files []string, stdin io.Reader, out io.Writer) error {
	t := &table{byKey: map[string]*row{}, metrics: map[string][]metric{}}
	read := func(name string, r io.Reader) error {
		br := benchfmt.NewReader(r, name)
		for br.Scan() {
			switch x := br.Result().(type) {
			case *benchfmt.Result:
				if err := t.add(x); err != nil {
					return err
				}
			case *benchfmt.SyntaxError:
				return x
			}
		}
		return br.Err()
	}
	if len(files) == 0 {
		if err := read("stdin", stdin); err != nil {
			return err
		}
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		err = read(f, fh)
		fh.Close()
		if err != nil {
			return err
		}
	}
	if len(t.rows) == 0 {
		return errors.New("no benchmark results")
	}
	t.print(out)
	return nil
}
