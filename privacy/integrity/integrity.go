package integrity

import "errors"

// ErrFailed marks every integrity failure: data that fails the checks of
// its format (see the package doc). Test with errors.Is.
var ErrFailed = errors.New("integrity check failed")

// New returns a package's own integrity sentinel: an error whose text is
// msg and that errors.Is ErrFailed. Each call returns a distinct error.
func New(msg string) error { return &sentinel{msg: msg} }

// sentinel is a package's integrity error; it unwraps to the marker.
type sentinel struct{ msg string }

func (e *sentinel) Error() string { return e.msg }

func (e *sentinel) Unwrap() error { return ErrFailed }
