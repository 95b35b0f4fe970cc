package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
)

// Failover: a Client may hold several node API addresses of one
// consortium (its organisation's nodes, or any consortium node: they all
// serve the same ledger). Every request goes to the current address. When
// it fails at the connection level — no HTTP answer came back: the dial
// was refused or timed out, the connection was reset or closed before
// the answer's header — the client makes the next address current and
// sends the request again, at most once per address. An HTTP answer,
// 4xx and 5xx included, is never retried elsewhere: it is the node's
// answer. A submission that may have reached a node that died before
// answering is sent again as the same signed bytes: a transaction is
// idempotent by id (the mempool refuses a duplicate, the ledger executes
// an id once), and Submit reports such a transaction as committed when
// the answer refuses it but the ledger holds it (see settleResent).
//
// Streams follow the same rule: when the current node's stream breaks
// (or stays silent for Options.StreamIdle), Stream reconnects to the next
// address from the height after the last block delivered, so its caller
// sees every block once, in order, across nodes.

// ErrUnreachable is matched (errors.Is) by the error of a request or
// stream that no node answered: every address failed at the connection
// level. Callers should tell their user to retry shortly.
var ErrUnreachable = errors.New("client: no node could be reached")

// DefaultDialTimeout bounds connecting to one address of a NewMulti client
// built with its default HTTP client, so that a node whose host is gone
// (no refusal, nothing) costs this much before the next address is tried.
const DefaultDialTimeout = time.Second

// DefaultStreamIdle is how long a stream of a NewMulti client may deliver
// nothing, neither a block nor a keep-alive, before it counts as dead: four
// of the node's default keep-alive intervals (15s).
const DefaultStreamIdle = 60 * time.Second

// Options configure a NewMulti client; the zero value is the default.
type Options struct {
	// HTTP is the HTTP client. Nil: one with a connection pool and a
	// DialTimeout per connection attempt.
	HTTP *http.Client
	// DialTimeout is used only when HTTP is nil (default
	// DefaultDialTimeout).
	DialTimeout time.Duration
	// StreamIdle: a stream silent this long is dropped and resumed on the
	// next address (default DefaultStreamIdle; negative: never).
	StreamIdle time.Duration
	// Logger gets a warning at every failover (default: discard).
	Logger *slog.Logger
}

// NewMulti returns a client for one or more node API addresses of the
// same consortium, tried in the given order (see the Failover comment
// above). Each address is as for New ("host:port" gets http://); an
// empty list or address, or one that is not a URL with a host, is an
// error. It is safe for concurrent use.
func NewMulti(addrs []string, o Options) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("client: no node address")
	}
	bases := make([]string, len(addrs))
	for i, a := range addrs {
		a = strings.TrimSpace(a)
		if a == "" {
			return nil, fmt.Errorf("client: node address %d of %d is empty", i+1, len(addrs))
		}
		bases[i] = normalise(a)
		if u, err := url.Parse(bases[i]); err != nil || u.Host == "" {
			return nil, fmt.Errorf("client: node address %q is not host:port or a URL", a)
		}
	}
	if o.HTTP == nil {
		if o.DialTimeout <= 0 {
			o.DialTimeout = DefaultDialTimeout
		}
		d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 15 * time.Second}
		o.HTTP = &http.Client{Transport: &http.Transport{DialContext: d.DialContext,
			MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	}
	switch {
	case o.StreamIdle == 0:
		o.StreamIdle = DefaultStreamIdle
	case o.StreamIdle < 0:
		o.StreamIdle = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{addrs: bases, hc: o.HTTP, idle: o.StreamIdle, log: o.Logger}, nil
}

func normalise(addr string) string {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return strings.TrimRight(addr, "/")
}

// Addrs returns the client's node addresses (normalised), in order.
func (c *Client) Addrs() []string { return append([]string(nil), c.addrs...) }

// Current returns the address requests go to now.
func (c *Client) Current() string { return c.addrs[c.cur.Load()%uint32(len(c.addrs))] }

// connError marks an attempt that got no HTTP answer: failover may try
// the next address.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// unreachable marks err (from http.Client.Do, or a broken stream) as a
// connection failure; nil stays nil.
func unreachable(err error) error {
	if err == nil {
		return nil
	}
	return &connError{err}
}

// unreachableError is what a request or stream returns when every address
// failed at the connection level.
type unreachableError struct{ errs []error }

func (e *unreachableError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%s (%d tried): %s", ErrUnreachable, len(e.errs), strings.Join(msgs, "; "))
}

func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }
func (e *unreachableError) Unwrap() []error      { return e.errs }

// resentKey carries a *bool through a request's context: failover sets it
// when it sent the request again after an attempt that may have reached a
// node (anything but a failed dial).
type resentKey struct{}

// failover runs attempt with the current address and, while it fails at
// the connection level (attempt returned an error made by unreachable)
// and ctx is live, with each next address once. The first address that
// answers stays current for later requests. Any other error is returned
// as is.
func (c *Client) failover(ctx context.Context, attempt func(base string) error) error {
	n := uint32(len(c.addrs))
	start := c.cur.Load() % n
	var errs []error
	for k := range n {
		i := (start + k) % n
		err := attempt(c.addrs[i])
		var ce *connError
		if err == nil || ctx.Err() != nil || !errors.As(err, &ce) {
			return err
		}
		errs = append(errs, ce.err)
		c.moveOn(i, ce.err)
		if k+1 < n && !dialFailed(ce.err) {
			if p, ok := ctx.Value(resentKey{}).(*bool); ok {
				*p = true
			}
		}
	}
	return &unreachableError{errs}
}

// moveOn makes the address after i current, unless another request has
// already moved on from i.
func (c *Client) moveOn(i uint32, err error) {
	n := uint32(len(c.addrs))
	if n > 1 && c.cur.CompareAndSwap(i, (i+1)%n) {
		c.log.Warn("node unreachable; failing over", "from", c.addrs[i], "to", c.addrs[(i+1)%n], "err", err)
	}
}

// dialFailed says whether err is a failure to connect, so that the
// request cannot have reached the node.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// settleResent corrects the results of a submission that was sent again
// after an attempt that may have reached a node: a transaction that the
// answering node refused (as a duplicate, or as already committed) but
// that the ledger holds was committed by the first node. Its proof gives
// the height, index and receipt. Results whose proof cannot be fetched
// are left as they are.
func (c *Client) settleResent(ctx context.Context, res []api.TxStatus) {
	for i := range res {
		if res[i].Status != api.StatusRejected {
			continue
		}
		p, err := c.Proof(ctx, res[i].ID)
		if err != nil {
			c.log.Debug("resent transaction refused and not committed", "tx", res[i].ID.String(), "err", err)
			continue
		}
		res[i] = api.TxStatus{ID: res[i].ID, Status: api.StatusCommitted, Height: p.Header.Height, Index: int(p.Index),
			Receipt: &p.Receipt}
	}
}
