package defaults

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestSet: a zero or negative value takes the default, a positive one is
// kept, for integers, unsigned integers, floats and durations.
func TestSet(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 20}, {-3, 20}, {1, 1}, {50, 50}} {
		n := c.in
		if Set(&n, 20); n != c.want {
			t.Errorf("int %d: %d, want %d", c.in, n, c.want)
		}
	}
	var u uint64
	if Set(&u, 2); u != 2 {
		t.Errorf("uint64 0: %d", u)
	}
	u = 7
	if Set(&u, 2); u != 7 {
		t.Errorf("uint64 7: %d", u)
	}
	f := -0.5
	if Set(&f, 1.5); f != 1.5 {
		t.Errorf("float -0.5: %v", f)
	}
	for _, c := range []struct{ in, want time.Duration }{{0, time.Second}, {-time.Minute, time.Second},
		{time.Millisecond, time.Millisecond}} {
		d := c.in
		if Set(&d, time.Second); d != c.want {
			t.Errorf("duration %v: %v, want %v", c.in, d, c.want)
		}
	}
}

// TestLogger: a nil logger becomes one that discards; a given one is
// kept.
func TestLogger(t *testing.T) {
	var l *slog.Logger
	if Logger(&l); l == nil || l.Enabled(context.Background(), slog.LevelError) {
		t.Fatalf("nil: %v", l)
	}
	given := slog.New(slog.NewTextHandler(io.Discard, nil))
	l = given
	if Logger(&l); l != given {
		t.Fatal("a given logger was replaced")
	}
}
