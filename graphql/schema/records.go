package schema

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/almoner/almoner/consortium-node/api/client"
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

// CustodianUp refuses, before anything is committed, a read whose
// custodian organisation cannot be reached: the access would be granted
// on the ledger (and shown to the patient) with nothing released.
func CustodianUp(ctx context.Context, log *slog.Logger, recs interface {
	Reachable(ctx context.Context, org string) error
}, org string) error {
	err := recs.Reachable(ctx, org)
	if err == nil {
		return nil
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.StatusCode < 500 {
		return Internal(ctx, log, "custodian reachability", err)
	}
	log.WarnContext(ctx, "custodian unreachable before an access", "custodian", org, "err", err)
	return Errorf(CodeUnavailable, "the node of "+org+", which keeps this record, cannot be reached; nothing was committed: try again shortly")
}

// FetchErr maps a failure of Records.Open (fetching and decrypting a
// record after a granted access) to a user error.
func FetchErr(ctx context.Context, log *slog.Logger, access string, err error) error {
	var ce *client.Error
	switch {
	case errors.As(err, &ce) && ce.StatusCode == http.StatusForbidden:
		return Errorf(CodeForbidden, "the custodian refused to release the record under access "+access+" (it was revoked, erased or expired since); read again")
	case errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound:
		return Errorf(CodeNotFound, "the custodian's node does not hold this record's ciphertext")
	case errors.Is(err, keyring.ErrNoKey):
		return Errorf(CodeForbidden, "the portal holds no decryption key for this account")
	case errors.As(err, &ce) && ce.StatusCode < 500:
		return Internal(ctx, log, "fetch record", err)
	case errors.As(err, &ce), errors.Is(err, context.DeadlineExceeded):
		log.WarnContext(ctx, "custodian unavailable", "access", access, "err", err)
		return Errorf(CodeUnavailable, "the custodian's node is unavailable; read again")
	}
	return Internal(ctx, log, "open record", err)
}
