package transportws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/graphql-go/graphql/gqlerrors"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/session"
)

// Conn is a WebSocket connection. ReadMessage is called from one
// goroutine; the server serialises writes.
type Conn interface {
	ReadMessage() (messageType int, p []byte, err error)
	WriteMessage(messageType int, data []byte) error
	SetReadLimit(limit int64)
	Close() error
}

// Config configures a Server.
type Config struct {
	Schema *schema.Schema
	Limits schema.Limits
	// InitTimeout is how long a client has to send connection_init
	// (default 10s).
	InitTimeout time.Duration
	// MaxOperations bounds concurrent operations per connection (default 20).
	MaxOperations int
	// MaxMessageBytes bounds one client message (default 64 KiB).
	MaxMessageBytes int64
	// Authenticate, if set, reads credentials from connection_init's
	// payload (e.g. {"authorization": "Bearer <token>"}). It returns the
	// principal (nil: keep the connection's), or an error to refuse the
	// connection (4403).
	Authenticate func(ctx context.Context, payload map[string]any) (*session.Principal, error)
	// OnOperation, if set, is told each operation's kind when it starts.
	OnOperation func(kind string)
	// Alive, if set, says whether the connection's principal still holds
	// (its session was not ended by a sign-out or a password change, its
	// token not revoked). It is asked every AliveEvery (default 15s); a
	// principal that no longer holds closes the connection (4401).
	Alive      func(p *session.Principal) bool
	AliveEvery time.Duration
	Logger     *slog.Logger
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Schema == nil {
		return errors.New("transportws: Schema is required")
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	defaults.Set(&c.InitTimeout, 10*time.Second)
	defaults.Set(&c.MaxOperations, 20)
	defaults.Set(&c.MaxMessageBytes, 64<<10)
	defaults.Set(&c.AliveEvery, 15*time.Second)
	defaults.Logger(&c.Logger)
	return nil
}

// Server runs connections. It is safe for concurrent use.
type Server struct{ cfg Config }

// New returns a Server.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg}, nil
}

type connState struct {
	s        *Server
	c        Conn
	wmu      sync.Mutex
	closed   bool
	mu       sync.Mutex
	acked    bool
	initSeen bool
	ops      map[string]context.CancelFunc
	p        *session.Principal
	wg       sync.WaitGroup
}

// Serve runs the protocol on c for principal p (from the upgrade request;
// nil: anonymous) until the connection ends or ctx is done. It closes c.
func (s *Server) Serve(ctx context.Context, c Conn, p *session.Principal) {
	ctx, cancel := context.WithCancel(ctx)
	st := &connState{s: s, c: c, ops: map[string]context.CancelFunc{}, p: p}
	defer func() {
		cancel()
		st.wg.Wait()
		// Mark the connection closed before closing it, so that a timer or
		// goroutine still running (the init timeout, say) never writes to a
		// socket whose handler has returned (fasthttp panics on that).
		st.wmu.Lock()
		st.closed = true
		_ = c.Close()
		st.wmu.Unlock()
	}()
	c.SetReadLimit(s.cfg.MaxMessageBytes)

	initTimer := time.AfterFunc(s.cfg.InitTimeout, func() {
		st.mu.Lock()
		acked := st.acked
		st.mu.Unlock()
		if !acked {
			st.close(CloseInitTimeout, "Connection initialisation timeout")
		}
	})
	defer initTimer.Stop()
	go func() {
		<-ctx.Done()
		st.close(websocket.CloseGoingAway, "server shutting down")
	}()
	if s.cfg.Alive != nil {
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			t := time.NewTicker(s.cfg.AliveEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					st.mu.Lock()
					p := st.p
					st.mu.Unlock()
					if p != nil && !s.cfg.Alive(p) {
						st.close(CloseUnauthorized, "Unauthorized: the session ended")
						cancel()
						return
					}
				}
			}
		}()
	}

	for {
		mt, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.TextMessage {
			st.close(CloseBadRequest, "Invalid message received")
			return
		}
		m, err := Decode(data)
		if err != nil {
			st.close(CloseBadRequest, "Invalid message received")
			return
		}
		if !st.handle(ctx, m) {
			return
		}
	}
}

// handle processes one message; false ends the connection.
func (st *connState) handle(ctx context.Context, m *Message) bool {
	switch m.Type {
	case TypeConnectionInit:
		st.mu.Lock()
		if st.initSeen {
			st.mu.Unlock()
			st.close(CloseTooManyInitRequests, "Too many initialisation requests")
			return false
		}
		st.initSeen = true
		st.mu.Unlock()
		if st.s.cfg.Authenticate != nil && m.Payload != nil {
			p, err := st.s.cfg.Authenticate(ctx, m.Payload)
			if err != nil {
				st.close(CloseForbidden, "Forbidden")
				return false
			}
			if p != nil {
				st.mu.Lock()
				st.p = p
				st.mu.Unlock()
			}
		}
		st.mu.Lock()
		st.acked = true
		st.mu.Unlock()
		return st.send(outMsg{Type: TypeConnectionAck})
	case TypePing:
		return st.send(outMsg{Type: TypePong})
	case TypePong:
		return true
	case TypeComplete:
		st.mu.Lock()
		if cancel, ok := st.ops[m.ID]; ok {
			cancel()
			delete(st.ops, m.ID)
		}
		st.mu.Unlock()
		return true
	case TypeSubscribe:
		st.mu.Lock()
		if !st.acked {
			st.mu.Unlock()
			st.close(CloseUnauthorized, "Unauthorized")
			return false
		}
		if _, dup := st.ops[m.ID]; dup {
			st.mu.Unlock()
			st.close(CloseSubscriberExists, fmt.Sprintf("Subscriber for %s already exists", m.ID))
			return false
		}
		if len(st.ops) >= st.s.cfg.MaxOperations {
			st.mu.Unlock()
			return st.send(outMsg{ID: m.ID, Type: TypeError, Payload: []map[string]any{codeErr(schema.CodeRateLimited,
				fmt.Sprintf("at most %d operations per connection", st.s.cfg.MaxOperations))}})
		}
		octx, cancel := context.WithCancel(ctx)
		st.ops[m.ID] = cancel
		st.mu.Unlock()
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			st.run(octx, m.ID, m.Subscribe)
			st.mu.Lock()
			// A client complete already removed it; otherwise the server
			// completes the operation.
			_, still := st.ops[m.ID]
			if still {
				delete(st.ops, m.ID)
			}
			st.mu.Unlock()
			cancel()
			if still {
				st.send(outMsg{ID: m.ID, Type: TypeComplete})
			}
		}()
		return true
	}
	return true
}

func codeErr(code, msg string) map[string]any {
	return map[string]any{"message": msg, "extensions": map[string]any{"code": code}}
}

// run executes one operation, sending next messages; it returns when the
// operation is over. Errors before execution are sent as an error
// message, which ends the operation without a complete.
func (st *connState) run(ctx context.Context, id string, sp *SubscribePayload) {
	s := st.s.cfg.Schema
	prep, err := s.Prepare(sp.Query, sp.OperationName, st.s.cfg.Limits)
	if err != nil {
		var re *schema.RequestError
		if errors.As(err, &re) {
			st.sendError(id, re.Errors)
		} else {
			st.sendError(id, []gqlerrors.FormattedError{{Message: "internal error", Extensions: map[string]any{"code": schema.CodeInternal}}})
		}
		return
	}
	if re := prep.Refused(st.p, st.s.cfg.Limits); re != nil {
		st.sendError(id, re.Errors)
		return
	}
	if st.s.cfg.OnOperation != nil {
		st.s.cfg.OnOperation(prep.Operation)
	}
	ctx = s.WithRequest(ctx, st.p)
	switch prep.Operation {
	case schema.OpMutation:
		st.sendError(id, []gqlerrors.FormattedError{{Message: "mutations are accepted over HTTP POST only", Extensions: map[string]any{"code": schema.CodeBadUserInput}}})
	case schema.OpQuery:
		res := s.Execute(ctx, prep, sp.Variables)
		if res.Data == nil && len(res.Errors) > 0 {
			st.sendError(id, s.Sanitize(ctx, res.Errors))
			return
		}
		res.Errors = s.Sanitize(ctx, res.Errors)
		st.send(outMsg{ID: id, Type: TypeNext, Payload: res})
	case schema.OpSubscription:
		ch := s.Subscribe(ctx, prep, sp.Variables)
		first := true
		for res := range ch {
			if first && res.Data == nil && len(res.Errors) > 0 {
				st.sendError(id, s.Sanitize(ctx, res.Errors))
				go func() {
					for range ch {
					}
				}()
				return
			}
			first = false
			if ctx.Err() != nil {
				continue // drain after a complete
			}
			res.Errors = s.Sanitize(ctx, res.Errors)
			st.send(outMsg{ID: id, Type: TypeNext, Payload: res})
		}
	}
}

func (st *connState) sendError(id string, errs []gqlerrors.FormattedError) {
	out := make([]map[string]any, len(errs))
	for i, e := range errs {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			m["locations"] = e.Locations
		}
		if len(e.Path) > 0 {
			m["path"] = e.Path
		}
		if e.Extensions != nil {
			m["extensions"] = e.Extensions
		}
		out[i] = m
	}
	st.mu.Lock()
	_, still := st.ops[id]
	delete(st.ops, id)
	st.mu.Unlock()
	if still {
		st.send(outMsg{ID: id, Type: TypeError, Payload: out})
	}
}

// send writes one message; false if the connection is gone.
func (st *connState) send(m outMsg) bool {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	if st.closed {
		return false
	}
	if err := st.c.WriteMessage(websocket.TextMessage, encode(m)); err != nil {
		st.closed = true
		_ = st.c.Close()
		return false
	}
	return true
}

// close sends a close frame with code and reason and closes the socket.
func (st *connState) close(code int, reason string) {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	if st.closed {
		return
	}
	st.closed = true
	_ = st.c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
	_ = st.c.Close()
}
