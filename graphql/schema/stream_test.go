package schema

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/almoner/almoner/portal/readmodel"
)

// TestChanges: the object is sent for a block that changed it, nothing
// for one that did not, and a failed read ends the stream with the error,
// logged with the subscription's name, its attributes and the height.
func TestChanges(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	failed := errors.New("index unreadable")
	next := Changes(context.Background(), log, "claimStatus", func(b *readmodel.Block) (any, error) {
		switch b.Height {
		case 1:
			return nil, nil
		case 2:
			return "changed", nil
		}
		return nil, failed
	}, "claim", "c-1")
	if vs, err := next(&readmodel.Block{Height: 1}); err != nil || len(vs) != 0 {
		t.Fatalf("an unchanged block: %v %v", vs, err)
	}
	if vs, err := next(&readmodel.Block{Height: 2}); err != nil || len(vs) != 1 || vs[0] != "changed" {
		t.Fatalf("a changing block: %v %v", vs, err)
	}
	if logs.Len() != 0 {
		t.Fatalf("logged without a failure: %s", logs.String())
	}
	if vs, err := next(&readmodel.Block{Height: 3}); !errors.Is(err, failed) || vs != nil {
		t.Fatalf("a failed read: %v %v", vs, err)
	}
	for _, want := range []string{"claimStatus subscription", "claim=c-1", "height=3", "index unreadable"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("the log lacks %q: %s", want, logs.String())
		}
	}
}
