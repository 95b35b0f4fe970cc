package schema

import (
	"errors"
	"testing"

	"github.com/almoner/almoner/portal/readmodel"
)

func TestForwardConnection(t *testing.T) {
	cfg := &Config{DefaultPage: 2, MaxPage: 5}
	items := []string{"a", "b", "c"}
	calls := 0
	list := func(after string, limit int) ([]string, readmodel.Page, error) {
		calls++
		var pg readmodel.Page
		var out []string
		for _, x := range items {
			if x <= after {
				continue
			}
			if len(out) == limit {
				pg.More = true
				break
			}
			out = append(out, x)
			pg.Cursors = append(pg.Cursors, x)
		}
		return out, pg, nil
	}
	fail := func(err error) error { return errors.New("hidden: " + err.Error()) }

	c, err := ForwardConnection(cfg, map[string]any{}, "k", list, fail)
	if err != nil || len(c.Nodes) != 2 || !c.HasNext || c.HasPrev || c.Cursors[1] != EncodeCursor("k", "b") {
		t.Fatalf("first page: %+v, %v", c, err)
	}
	c, err = ForwardConnection(cfg, map[string]any{"after": c.Cursors[1]}, "k", list, fail)
	if err != nil || len(c.Nodes) != 1 || c.Nodes[0] != "c" || c.HasNext || !c.HasPrev {
		t.Fatalf("second page: %+v, %v", c, err)
	}
	before := calls
	if c, err = ForwardConnection(cfg, map[string]any{"first": 0}, "k", list, fail); err != nil || len(c.Nodes) != 0 || calls != before {
		t.Fatalf("first: 0 gave %+v, %v after %d list calls", c, err, calls-before)
	}
	if _, err = ForwardConnection(cfg, map[string]any{"last": 1}, "k", list, fail); err == nil {
		t.Fatal("last: 1 was accepted by a forward-only connection")
	}
	if _, err = ForwardConnection(cfg, map[string]any{"after": EncodeCursor("other", "a")}, "k", list, fail); err == nil {
		t.Fatal("another kind's cursor was accepted")
	}
	broken := func(string, int) ([]string, readmodel.Page, error) { return nil, readmodel.Page{}, errors.New("disk") }
	if _, err = ForwardConnection(cfg, map[string]any{}, "k", broken, fail); err == nil || err.Error() != "hidden: disk" {
		t.Fatalf("a failing list gave %v, want it through fail", err)
	}
}
