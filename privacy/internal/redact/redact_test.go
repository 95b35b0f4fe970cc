package redact

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type testLabel struct{}

func (testLabel) Redacted() string { return "test.Key(redacted)" }

type redactedKey = Label[testLabel]

type key struct {
	redactedKey
	secret *[]byte
}

// TestLabel: a type embedding a Label prints as the label with every verb,
// through a pointer, inside other values and in logs, and never its secret.
func TestLabel(t *testing.T) {
	b := []byte("TOPSECRET")
	k := key{secret: &b}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k))
	}
	out = append(out, fmt.Sprint(k), fmt.Sprintf("%v %+v", []any{k, &k}, struct{ K key }{k}), k.String(), k.GoString())
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	log.Info("x", "key", k, "ptr", &k)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", k)
	out = append(out, logs.String())
	all := strings.Join(out, "\n")
	for _, leak := range []string{"TOPSECRET", "544f50", "84 79 80"} {
		if strings.Contains(all, leak) {
			t.Fatalf("the secret (%q) is printed:\n%s", leak, all)
		}
	}
	if n := strings.Count(all, "test.Key(redacted)"); n < 2*8+5 {
		t.Errorf("the label is printed %d times, want every verb's:\n%s", n, all)
	}
	var zero key
	if zero.String() != "test.Key(redacted)" || fmt.Sprintf("%v", zero) != "test.Key(redacted)" {
		t.Errorf("the zero value prints as %q", fmt.Sprintf("%v", zero))
	}
}
