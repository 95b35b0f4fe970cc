package policies

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkAddMembers adds b.N members (patients and donors of three
// organisations, one block's worth at a time) and reports the time and the
// heap each costs the enforcer: what onboarding millions of members costs
// every node.
func BenchmarkAddMembers(b *testing.B) {
	e, err := New(StaticSource{RuleList: DefaultRules()})
	if err != nil {
		b.Fatal(err)
	}
	orgs := []string{"stmarys", "acme", "hope"}
	roleOf := []string{"patient", "patient", "donor"}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += 500 {
		var u Update
		for i := lo; i < min(lo+500, b.N); i++ {
			o := i % len(orgs)
			u.Set = append(u.Set, Assignment{Member: fmt.Sprintf("%s/m-%d", orgs[o], i), Org: orgs[o], Roles: []string{roleOf[o]}})
		}
		if err := e.Apply(u); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heap-B/member")
	runtime.KeepAlive(e)
}
