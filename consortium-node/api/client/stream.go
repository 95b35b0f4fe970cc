package client

import (
	"context"
	"errors"

	"github.com/almoner/almoner/consortium-node/api"
)

// Stream calls fn for every committed block from height from on, in order,
// following new blocks until ctx ends or fn returns an error. Every block
// is checked (hash, roots, tx ids) before fn sees it.
//
// When the current node's stream cannot be opened, breaks, stays silent
// for the client's StreamIdle or is ended by the node, Stream reopens it
// on the next address from the height after the last block fn saw, so fn
// sees every block once, without a gap. It gives up, with an error that
// matches ErrUnreachable, once every address has failed in a row with
// nothing received; an HTTP error answer (*Error) or an inconsistent block
// ends it at once. With one address it returns at the first failure.
func (c *Client) Stream(ctx context.Context, from uint64, fn func(*api.Block) error) error {
	n := len(c.addrs)
	next := from
	var errs []error
	for {
		i := c.cur.Load()
		heard := false
		err := c.streamFrom(ctx, c.addrs[i], &next, &heard, fn)
		var ce *connError
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.As(err, &ce) {
			return err
		}
		if heard {
			errs = nil // this node served: the failures start over
		}
		errs = append(errs, ce.err)
		c.moveOn(i, ce.err)
		if len(errs) >= n {
			return &unreachableError{errs}
		}
	}
}
