package schema

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestUnreachableNodeIsUnavailable: when no node can be reached (dial
// refused on every address), every mapping of a node error gives
// UNAVAILABLE with a hint to retry, never INTERNAL; a node's own 4xx
// answer stays what it was.
func TestUnreachableNodeIsUnavailable(t *testing.T) {
	s := httptest.NewServer(nil)
	s.Close()
	dead := s.URL
	nc, err := client.NewMulti([]string{dead, dead + "/"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	_, statusErr := nc.Status(ctx)
	uploadErr := nc.UploadRecord(ctx, &api.UploadRequest{})
	_, fetchErr := nc.FetchRecord(ctx, &api.FetchRequest{})
	for _, err := range []error{statusErr, uploadErr, fetchErr} {
		if !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("a dead node's error %v does not match client.ErrUnreachable", err)
		}
	}
	wrapped := func(err error) error { return fmt.Errorf("records: uploading r-1: %w", err) }
	for name, e := range map[string]error{
		"nodeErr":  nodeErr(ctx, &Config{Logger: log}, "submit", statusErr),
		"Internal": Internal(ctx, log, "x", wrapped(statusErr)),
		"StoreErr": StoreErr(ctx, log, "store record", wrapped(uploadErr)),
	} {
		var ue *Error
		if !errors.As(e, &ue) || ue.Code != CodeUnavailable || !strings.Contains(ue.Message, "try again") {
			t.Errorf("%s of an unreachable node: %v, want UNAVAILABLE with a hint to try again", name, e)
		}
	}
	// A release that could not reach the custodian: UNAVAILABLE, reported
	// as not delivered.
	reason, e := deliveryFailure(ctx, log, tx.ID{}, wrapped(fetchErr))
	if ue, ok := e.(*Error); reason != delivery.Unreachable || !ok || ue.Code != CodeUnavailable {
		t.Errorf("an unreachable custodian's release: %q, %v; want %q and UNAVAILABLE", reason, e, delivery.Unreachable)
	}
	if e := nodeErr(ctx, &Config{Logger: log}, "status", &client.Error{StatusCode: 400}); e.Code != CodeInternal {
		t.Errorf("a node's 400 answer: %v, want INTERNAL", e)
	}
}
