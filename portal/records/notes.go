package records

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// ErrNoteTooBig means a note is over api.MaxNoteBytes.
var ErrNoteTooBig = fmt.Errorf("records: a note is at most %d bytes", api.MaxNoteBytes)

// NoteHash is the SHA-256 of a note's text: what the ledger keeps.
func NoteHash(text string) [32]byte { return sha256.Sum256([]byte(text)) }

// SendNote delivers note kind (api.NoteReason or api.NoteReview) of
// access, written by member, to custodian, the organisation that keeps
// the access's record: the text is sealed under a fresh data key wrapped
// for each of custodian's nodes, so the nodes on the way (member's own
// among them) carry only opaque bytes. The custodian checks it against
// the ledger's note hash and keeps it once.
func (r *Records) SendNote(ctx context.Context, member, custodian, kind string, access tx.ID, text string) error {
	if len(text) > api.MaxNoteBytes {
		return ErrNoteTooBig
	}
	nodes, err := r.node.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("records: listing nodes: %w", err)
	}
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	defer dk.Destroy()
	id := api.NoteID(kind, access)
	req := &api.NoteRequest{AccessID: access, Kind: kind, Sender: member, Time: r.now().Unix()}
	for _, n := range nodes {
		if n.Org != custodian || len(n.EncKey.Key) == 0 {
			continue
		}
		w, err := envelope.Wrap(nil, n.EncKey.Key, n.ID, dk, id, 1)
		if err != nil {
			return fmt.Errorf("records: wrapping a note for %s: %w", n.ID, err)
		}
		req.Keys = append(req.Keys, api.NoteKey{Node: n.ID, Wrapped: w})
	}
	if len(req.Keys) == 0 {
		return fmt.Errorf("%w: %s", ErrNoCustodian, custodian)
	}
	if req.Sealed, err = envelope.Seal(nil, dk, id, 1, []byte(text)); err != nil {
		return fmt.Errorf("records: sealing a note: %w", err)
	}
	if err := r.keys.SignPrivate(member, req); err != nil {
		return err
	}
	if err := r.node.DeliverNote(ctx, req); err != nil {
		return fmt.Errorf("records: delivering the %s note of %s: %w", kind, access, err)
	}
	return nil
}

// OpenNote fetches note kind of access from the custodian for member and
// opens it with member's key. The caller checks its hash against the
// ledger's before trusting it.
func (r *Records) OpenNote(ctx context.Context, member, kind string, access tx.ID) ([]byte, error) {
	req := &api.NoteFetchRequest{AccessID: access, Kind: kind, Reader: member, Time: r.now().Unix()}
	if err := r.keys.SignPrivate(member, req); err != nil {
		return nil, err
	}
	resp, err := r.node.FetchNote(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("records: fetching the %s note of %s: %w", kind, access, err)
	}
	id := api.NoteID(kind, access)
	if resp.AccessID != access || resp.Kind != kind {
		return nil, errors.New("records: the custodian released another note")
	}
	rk, err := r.keys.ReaderKey(member)
	if err != nil {
		return nil, err
	}
	defer rk.Destroy()
	dk, err := envelope.Unwrap(rk, member, resp.Wrapped, id, 1)
	if err != nil {
		return nil, fmt.Errorf("records: the key of note %s: %w", id, err)
	}
	defer dk.Destroy()
	text, err := envelope.Open(dk, resp.Sealed, id, 1)
	if err != nil {
		return nil, fmt.Errorf("records: opening note %s: %w", id, err)
	}
	return text, nil
}
