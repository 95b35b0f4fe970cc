package readmodel

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestDecoded: a record is decoded once while its bytes stay the same, again
// as soon as they change (there is nothing to invalidate), per key; a
// record that does not decode is not cached; the least recently read
// record leaves first.
func TestDecoded(t *testing.T) {
	decodes := 0
	d := NewDecoded(2, func(b []byte) (*map[string]int, error) {
		decodes++
		var m map[string]int
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return &m, nil
	})
	get := func(key, raw string, want int, wantDecodes int) *map[string]int {
		t.Helper()
		v, err := d.Get(key, []byte(raw))
		if err != nil || (*v)["n"] != want || decodes != wantDecodes {
			t.Fatalf("Get(%q, %s) = %v, %v after %d decodes; want n=%d after %d", key, raw, v, err, decodes, want, wantDecodes)
		}
		return v
	}
	a := get("a", `{"n":1}`, 1, 1)
	if b := get("a", `{"n":1}`, 1, 1); b != a {
		t.Fatal("the same bytes were decoded again")
	}
	get("a", `{"n":2}`, 2, 2) // the record changed
	get("b", `{"n":1}`, 1, 3) // another key, the same bytes
	get("a", `{"n":2}`, 2, 3) // a is the most recent again
	get("c", `{"n":3}`, 3, 4) // evicts b
	get("b", `{"n":1}`, 1, 5) // decoded again
	if _, err := d.Get("d", []byte(`{"n":`)); err == nil {
		t.Fatal("a truncated record decoded")
	}
	var se *json.SyntaxError
	if _, err := d.Get("d", []byte(`{"n":`)); !errors.As(err, &se) || decodes != 7 {
		t.Fatalf("a record that does not decode: %v after %d decodes (want a syntax error, decoded each time)", err, decodes)
	}
}
