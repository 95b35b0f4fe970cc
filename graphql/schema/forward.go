package schema

import "github.com/almoner/almoner/portal/readmodel"

// ForwardPageArgs decodes first/after for cursors of kind, for a
// connection that pages forward only: last/before is BAD_USER_INPUT.
func ForwardPageArgs(cfg *Config, args map[string]any, kind string) (Page, error) {
	pg, err := PageArgs(cfg, args, kind)
	if err != nil {
		return pg, err
	}
	if !pg.Forward {
		return pg, BadInput("this connection pages forward only (first/after)")
	}
	return pg, nil
}

// ConnectionOf is a page of items read from the read model, each with its
// cursor of kind, as a Relay connection.
func ConnectionOf[T any](kind string, items []T, pg readmodel.Page, hasPrev bool) *Connection {
	c := &Connection{HasNext: pg.More, HasPrev: hasPrev}
	for i, it := range items {
		c.Nodes = append(c.Nodes, it)
		c.Cursors = append(c.Cursors, EncodeCursor(kind, pg.Cursors[i]))
	}
	return c
}

// ForwardConnection answers a connection of kind that pages forward only:
// the page args ask for, read by list (list is not called for a page of
// none). fail turns list's error into the one to answer (a module's
// internal error, which logs it and hides its detail).
func ForwardConnection[T any](cfg *Config, args map[string]any, kind string,
	list func(after string, limit int) ([]T, readmodel.Page, error), fail func(error) error) (*Connection, error) {
	pg, err := ForwardPageArgs(cfg, args, kind)
	if err != nil {
		return nil, err
	}
	if pg.Limit == 0 {
		return &Connection{}, nil
	}
	xs, p, err := list(pg.Cursor, pg.Limit)
	if err != nil {
		return nil, fail(err)
	}
	return ConnectionOf(kind, xs, p, pg.HasCursor), nil
}
