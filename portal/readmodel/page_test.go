package readmodel

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestLoadPage: the records of a page in the ids' order with the page
// passed on; IDs' error passed on without a read; a failed read ends it,
// naming the record and wrapping the cause.
func TestLoadPage(t *testing.T) {
	pg := Page{Cursors: []string{"1", "2"}, More: true}
	var reads []string
	get := func(id string) (*string, error) {
		reads = append(reads, id)
		if id == "bad" {
			return nil, ErrCorrupt
		}
		v := "rec-" + id
		return &v, nil
	}
	got, gotPg, err := LoadPage([]string{"b", "a"}, pg, nil, "things: thing", get)
	if err != nil || len(got) != 2 || *got[0] != "rec-b" || *got[1] != "rec-a" || !gotPg.More ||
		!slices.Equal(gotPg.Cursors, pg.Cursors) {
		t.Fatalf("got %v %+v %v", got, gotPg, err)
	}
	reads = nil
	scan := errors.New("scan failed")
	if got, _, err := LoadPage([]string{"a"}, pg, scan, "things: thing", get); got != nil || err != scan || reads != nil {
		t.Fatalf("with IDs' error: %v %v, read %v", got, err, reads)
	}
	got, _, err = LoadPage([]string{"a", "bad", "c"}, pg, nil, "things: thing", get)
	if got != nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "things: thing bad of an index") ||
		!slices.Equal(reads, []string{"a", "bad"}) {
		t.Fatalf("a failed read: %v %v, read %v", got, err, reads)
	}
}
