package schema

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/records"
)

// StoreErr maps a failure of Records.Store (sealing a record and
// uploading it to the custodian node): the node's 4xx answers are about
// this request and say what to do; an unreachable node is UNAVAILABLE;
// anything else is INTERNAL (logged, not shown).
func StoreErr(ctx context.Context, log *slog.Logger, what string, err error) error {
	var ce *client.Error
	switch {
	case errors.As(err, &ce) && ce.StatusCode == http.StatusForbidden:
		return Errorf(CodeForbidden, "the custodian node refused: "+ce.Message)
	case errors.As(err, &ce) && ce.StatusCode < 500:
		return Errorf(CodeBadUserInput, "the custodian node refused: "+ce.Message)
	case errors.Is(err, records.ErrNoCustodian):
		return Errorf(CodeBadUserInput, err.Error())
	case errors.Is(err, keyring.ErrNoKey):
		return Errorf(CodeForbidden, "the portal holds no signing key for this account")
	case errors.As(err, &ce), errors.Is(err, context.DeadlineExceeded):
		log.WarnContext(ctx, "custodian unavailable", "op", what, "err", err)
		return Errorf(CodeUnavailable, "the custodian's node is unavailable; try again")
	}
	return Internal(ctx, log, what, err)
}

// NotDelivered answers a granted access that released nothing to the
// reader: err is the failure of Records.Open (fetching and decrypting),
// or of the check against the ledger's ciphertext hash (records.ErrNotLedgers).
// When the custodian's side failed (unreachable, refused, no ciphertext,
// another ciphertext) the reader's portal reports it on the ledger
// (record.report_undelivered), so that the patient's access log says
// nothing was delivered and the custodian no longer serves that access;
// the answer tells the reader to read again (a new access). A failure on
// the reader's side (no key in this portal) is only answered.
func (c *Config) NotDelivered(ctx context.Context, access tx.ID, err error) error {
	log := c.Logger
	reason, answer := deliveryFailure(ctx, log, access, err)
	out, ok := answer.(*Error)
	if reason == "" || !ok {
		return answer
	}
	// The request may have timed out: the report gets its own time.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.WaitTimeout+5*time.Second)
	defer cancel()
	res, rerr := submit(rctx, c, delivery.Contract, delivery.Method,
		[]tx.Arg{tx.String(recordvocab.ArgAccess, access.String()), tx.String(recordvocab.ArgReason, reason)}, true)
	switch {
	case rerr == nil && res.Receipt != nil && res.Receipt.OK():
		out.Message += "; nothing was delivered under access " + access.String() +
			", and the patient's access log says so (" + res.ID.String() + "): read again"
	default:
		log.WarnContext(ctx, "could not report an undelivered access", "access", access.String(), "reason", reason,
			"err", rerr, "receipt", receiptErr(res))
		out.Message += "; nothing was delivered under access " + access.String() + ": read again"
	}
	return out
}

// deliveryFailure maps the failure of a release to the answer and, when
// the custodian's side failed, to the delivery.Failures reason to
// report ("" when there is nothing to report).
func deliveryFailure(ctx context.Context, log *slog.Logger, access tx.ID, err error) (string, error) {
	var ce *client.Error
	var reason string
	var out, own *Error // out: a reported failure's answer
	switch {
	case errors.As(err, &own): // the portal's own failure, already answered
		return "", own
	case errors.Is(err, keyring.ErrNoKey):
		return "", Errorf(CodeForbidden, "the portal holds no decryption key for this account")
	case errors.Is(err, records.ErrNotLedgers):
		log.WarnContext(ctx, "custodian released another ciphertext than the ledger's", "access", access.String(), "err", err)
		reason, out = delivery.Mismatch, Errorf(CodeInternal,
			"the custodian released a record that is not the one on the ledger; it is not shown")
	case errors.As(err, &ce) && ce.StatusCode == http.StatusForbidden:
		reason, out = delivery.Refused, Errorf(CodeForbidden,
			"the custodian refused to release the record (consent revoked, record erased or access expired since)")
	case errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound:
		reason, out = delivery.Missing, Errorf(CodeNotFound, "the custodian's nodes do not hold this record's ciphertext")
	case errors.As(err, &ce) && ce.StatusCode < 500:
		return "", Internal(ctx, log, "fetch record", err)
	case errors.As(err, &ce), errors.Is(err, client.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		log.WarnContext(ctx, "custodian unavailable", "access", access.String(), "err", err)
		reason, out = delivery.Unreachable, Errorf(CodeUnavailable,
			"the custodian's nodes cannot be reached")
	default:
		return "", Internal(ctx, log, "open record", err)
	}
	return reason, out
}

func receiptErr(res *TxResult) string {
	switch {
	case res == nil:
		return ""
	case res.Receipt == nil:
		return "not committed (" + string(res.Status) + ")"
	default:
		return res.Receipt.Error
	}
}

// NoteErr maps a failure of Records.SendNote (delivering a break-glass
// note to the custodian): the custodian's refusals say why (the node's
// messages never carry the note's text); an unreachable custodian is
// UNAVAILABLE, and the note can be sent again (sendAccessNote).
func NoteErr(ctx context.Context, log *slog.Logger, err error) *Error {
	var ce *client.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "exists":
		return Errorf(CodeConflict, "the custodian already has this note")
	case errors.As(err, &ce) && ce.StatusCode == http.StatusForbidden:
		return Errorf(CodeForbidden, "the custodian refused the note: "+ce.Message)
	case errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound:
		return Errorf(CodeNotFound, "the custodian does not know this access yet: "+ce.Message)
	case errors.As(err, &ce) && ce.StatusCode < 500:
		return Errorf(CodeBadUserInput, "the custodian refused the note: "+ce.Message)
	case errors.Is(err, records.ErrNoteTooBig), errors.Is(err, records.ErrNoCustodian):
		return Errorf(CodeBadUserInput, err.Error())
	case errors.Is(err, keyring.ErrNoKey):
		return Errorf(CodeForbidden, "the portal holds no signing key for this account")
	case errors.As(err, &ce), errors.Is(err, context.DeadlineExceeded):
		log.WarnContext(ctx, "custodian unavailable", "op", "note", "err", err)
		return Errorf(CodeUnavailable, "the custodian's nodes could not be reached, so the note is not delivered yet; "+
			"send it again (sendAccessNote)")
	}
	return internal(ctx, log, "note", err)
}
