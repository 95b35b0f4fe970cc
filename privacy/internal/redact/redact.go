package redact

import (
	"fmt"
	"io"
	"log/slog"
)

// Text is the label of a redacted type: a zero-size type whose Redacted returns a constant.
type Text interface {
	Redacted() string
}

// Label formats as T's label whatever the verb; embed it (see the package comment).
type Label[T Text] struct{}

func (Label[T]) text() string {
	var t T
	return t.Redacted()
}

// String never reveals the secret: it is the label.
func (l Label[T]) String() string { return l.text() }

// GoString never reveals the secret: it is the label.
func (l Label[T]) GoString() string { return l.text() }

// Format never reveals the secret, whatever the verb: it writes the label.
func (l Label[T]) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, l.text()) }

// LogValue never reveals the secret: it is the label.
func (l Label[T]) LogValue() slog.Value { return slog.StringValue(l.text()) }

// Methods are the methods a Label gives the type that embeds it; the type
// checks that it has them with var _ redact.Methods = T{}.
type Methods interface {
	fmt.Stringer
	fmt.GoStringer
	fmt.Formatter
	slog.LogValuer
}

var _ Methods = Label[Text]{}
