package schema

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"weak"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// TestPreparedCache: an accepted document is prepared once and shared;
// everything it depends on (text, operation name, limits, schema) is in
// the key; refusals are never cached, so they are the same whatever was
// sent before; the caller's own check (anonymous introspection) still
// applies to a cached document.
func TestPreparedCache(t *testing.T) {
	s := testSchema(t)
	doc := `query A { node { id next { id } } } query B { node { list(first: 30) { id } } }`
	a1, err := s.Prepare(doc, "A", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.Prepare(doc, "A", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a1 != a2 {
		t.Error("the same document, operation and limits were prepared twice")
	}
	b, err := s.Prepare(doc, "B", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if b == a1 || b.OpName != "B" || b.Cost != 32 {
		t.Errorf("operation B: got %+v (cost %d), want its own prepared document of cost 32", b, b.Cost)
	}

	t.Run("limits are in the key", func(t *testing.T) {
		// B was accepted under the default limits; under a lower cost
		// limit it is refused, and accepted again under the default.
		if _, err := s.Prepare(doc, "B", Limits{MaxCost: 10}); !isCode(err, CodeTooComplex) {
			t.Errorf("under MaxCost 10: %v, want %s", err, CodeTooComplex)
		}
		if p, err := s.Prepare(doc, "B", Limits{MaxDepth: 12, MaxCost: 5000}); err != nil || p != b {
			t.Errorf("under the defaults given explicitly: %v, %v; want the cached document", p, err)
		}
	})
	t.Run("the schema is in the key", func(t *testing.T) {
		other := testSchema(t)
		p, err := other.Prepare(doc, "A", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if p == a1 {
			t.Error("another schema got this schema's prepared document")
		}
	})
	t.Run("refusals are not cached", func(t *testing.T) {
		before, _ := preparedDocs.len()
		for _, tc := range []struct{ doc, op, code string }{
			{`{ node { nope } }`, "", CodeBadUserInput},
			{`{ node { id }`, "", CodeBadUserInput},
			{doc, "", CodeBadUserInput},  // several operations, no name
			{doc, "C", CodeBadUserInput}, // no such operation
		} {
			for i := 0; i < 2; i++ {
				_, err := s.Prepare(tc.doc, tc.op, Limits{})
				if !isCode(err, tc.code) {
					t.Errorf("%q %q, try %d: %v, want %s", tc.doc, tc.op, i, err, tc.code)
				}
			}
		}
		if after, _ := preparedDocs.len(); after != before {
			t.Errorf("the cache went from %d to %d entries on refusals", before, after)
		}
	})
	t.Run("anonymous introspection is still refused", func(t *testing.T) {
		q := `{ __schema { queryType { name } } }`
		for i := 0; i < 2; i++ {
			p, err := s.Prepare(q, "", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if re := p.Refused(nil, Limits{}); !isCode(re, CodeUnauthenticated) {
				t.Errorf("try %d: anonymous introspection: %v, want %s", i, re, CodeUnauthenticated)
			}
			if re := p.Refused(nil, Limits{AnonymousIntrospection: true}); re != nil {
				t.Errorf("try %d: with AnonymousIntrospection: %v", i, re)
			}
		}
	})
}

func isCode(err error, code string) bool {
	var re *RequestError
	return errors.As(err, &re) && len(re.Errors) > 0 && re.Errors[0].Extensions["code"] == code
}

// TestPreparedCacheBounds: the cache keeps at most its entries and its
// bytes, dropping the least recently used first, and never a document
// larger than its byte bound.
func TestPreparedCacheBounds(t *testing.T) {
	s := &Schema{}
	key := func(i int) prepKey {
		return prepKey{schema: weak.Make(s), query: fmt.Sprintf("{ node { id } } # %04d", i)}
	}
	p := &Prepared{}
	t.Run("entries", func(t *testing.T) {
		c := newPreparedCache(3, 1<<30)
		for i := range 5 {
			c.add(key(i), p)
			if i == 2 {
				c.get(key(0)) // 0 is now more recent than 1 and 2
			}
		}
		for i, want := range []bool{true, false, false, true, true} {
			if _, ok := c.get(key(i)); ok != want {
				t.Errorf("entry %d kept: %v, want %v", i, ok, want)
			}
		}
		if n, b := c.len(); n != 3 || b != 3*preparedSize(key(0)) {
			t.Errorf("len %d, bytes %d; want 3, %d", n, b, 3*preparedSize(key(0)))
		}
	})
	t.Run("bytes", func(t *testing.T) {
		size := preparedSize(key(0))
		c := newPreparedCache(100, 2*size+size/2)
		for i := range 4 {
			c.add(key(i), p)
		}
		for i, want := range []bool{false, false, true, true} {
			if _, ok := c.get(key(i)); ok != want {
				t.Errorf("entry %d kept: %v, want %v", i, ok, want)
			}
		}
		if n, b := c.len(); n != 2 || b != 2*size {
			t.Errorf("len %d, bytes %d; want 2, %d", n, b, 2*size)
		}
		big := prepKey{schema: weak.Make(s), query: strings.Repeat("x", 3*size)}
		c.add(big, p)
		if _, ok := c.get(big); ok {
			t.Error("a document over the byte bound was kept")
		}
		if n, _ := c.len(); n != 2 {
			t.Errorf("adding a document over the bound evicted others: %d left", n)
		}
	})
}

// TestPreparedCacheConcurrent prepares the same and different documents
// from many goroutines (run with -race): every answer is the uncached
// one.
func TestPreparedCacheConcurrent(t *testing.T) {
	s := testSchema(t)
	docs := []string{`{ node { id } }`, `{ node { next { id } } }`, `{ node { list(first: 2) { id } } }`, `{ node { nope } }`}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				d := docs[(g+i)%len(docs)]
				p, err := s.Prepare(d, "", Limits{})
				want, werr := s.prepare(d, "", func() Limits { l := Limits{}; _ = l.Validate(); return l }())
				if (err == nil) != (werr == nil) || err == nil && (p.Cost != want.Cost || p.Depth != want.Depth || p.Operation != want.Operation) {
					t.Errorf("%q: cached %+v %v, uncached %+v %v", d, p, err, want, werr)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestPreparedSizeEstimate checks that preparedSize does not understate
// what a cached document holds (its text and syntax tree), for documents
// like the web app's.
func TestPreparedSizeEstimate(t *testing.T) {
	for _, doc := range []string{
		`query($id: ID!) { gift(id: $id) { amount campaign { id title } lineage { disbursed refunded inEscrow allocations { milestone { seq title status } amount } } } }`,
		`{ claimQueue(first: 20) { edges { node { id status claimed approved patientShare provider patient } } } }`,
		`{ blocks(first: 10) { nodes { height hash transactionCount } } organisations { id name } members(first: 20) { nodes { id roles organisation { name } } } }`,
		`query Records($first: Int, $after: String) { myRecords(first: $first, after: $after) { edges { cursor node { id category custodian { id name } created version ciphertextHash consents(first: 5) { nodes { id status grantee { id } purpose until } } } } pageInfo { hasNextPage endCursor } } }`,
	} {
		const n = 200
		keep := make([]any, n)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for i := range keep {
			q := strings.Clone(doc)
			d, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(q), Name: "GraphQL request"})})
			if err != nil {
				t.Fatal(err)
			}
			keep[i] = [2]any{q, d}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		runtime.KeepAlive(keep)
		per := int(m1.HeapAlloc-m0.HeapAlloc) / n
		est := preparedSize(prepKey{query: doc})
		t.Logf("%d-byte document: %d bytes held (%.1f per byte), estimated %d", len(doc), per, float64(per)/float64(len(doc)), est)
		if per > est {
			t.Errorf("%d-byte document holds %d bytes, more than the estimate %d", len(doc), per, est)
		}
	}
}
