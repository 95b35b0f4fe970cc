package defaults

import "log/slog"

// Number is what Set fills: the integers, floats and types on them (such
// as time.Duration).
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// Set gives *p the default v when it is unset: zero or negative.
func Set[T Number](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}

// Logger gives *l a logger that discards everything when it is unset
// (nil): a config's injected logger left out.
func Logger(l **slog.Logger) {
	if *l == nil {
		*l = slog.New(slog.DiscardHandler)
	}
}
