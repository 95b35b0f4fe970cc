package schema

import (
	"context"
	"errors"
	"log/slog"

	"github.com/almoner/almoner/consortium-node/api/client"
)

// Stable error codes in extensions.code.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeInternal        = "INTERNAL"
	// CodeTooComplex: the document exceeds the depth or cost limit.
	CodeTooComplex = "QUERY_TOO_COMPLEX"
	// CodeRateLimited: too many requests; retry later.
	CodeRateLimited = "RATE_LIMITED"
	// CodeUnavailable: the node could not be reached or timed out.
	CodeUnavailable = "UNAVAILABLE"
)

// Error is a user-facing GraphQL error. It implements graphql-go's
// ExtendedError so that the code reaches extensions.code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Extensions implements gqlerrors.ExtendedError.
func (e *Error) Extensions() map[string]any { return map[string]any{"code": e.Code} }

// Errorf returns a user-facing error.
func Errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Common errors.
var (
	ErrUnauthenticated = Errorf(CodeUnauthenticated, "sign in or send an API token")
	ErrReadOnlyToken   = Errorf(CodeForbidden, "this API token lacks the write scope")
	// ErrMustChangePassword: the account's initial password was set by
	// someone else; nothing but changePassword is allowed until it changes.
	ErrMustChangePassword = Errorf(CodeForbidden, "change your initial password first: changePassword(currentPassword, newPassword)")
)

// internal logs err and returns a generic INTERNAL error, except for a
// coded *Error (returned as is), a timeout and a node that could not be
// reached (client.ErrUnreachable: every address failed), which are
// UNAVAILABLE.
func internal(ctx context.Context, log *slog.Logger, what string, err error) *Error {
	var ue *Error
	if errors.As(err, &ue) {
		return ue
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Errorf(CodeUnavailable, "the request timed out")
	}
	if errors.Is(err, client.ErrUnreachable) {
		log.WarnContext(ctx, "no node reachable", "op", what, "err", err)
		return Errorf(CodeUnavailable, "no consortium node can be reached; try again in a few seconds")
	}
	log.ErrorContext(ctx, "resolver failed", "op", what, "err", err)
	return Errorf(CodeInternal, "internal error")
}
