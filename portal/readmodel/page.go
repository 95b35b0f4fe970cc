package readmodel

import (
	"fmt"
	"strings"
)

// Page is a page of a list read from an index: Cursors[i] is the cursor
// of the list's i-th item; pass the last one as after for the next page.
type Page struct {
	Cursors []string
	More    bool
}

// IDs reads a page of an index whose entries hold ids: the values of up
// to limit of module's keys under prefix, in key order (or reverse),
// after the cursor after ("" for the first page). An entry's cursor is
// its key without prefix.
func (s *Store) IDs(module, prefix, after string, reverse bool, limit int) ([]string, Page, error) {
	var (
		ids []string
		pg  Page
	)
	a := ""
	if after != "" {
		a = prefix + after
	}
	err := s.Scan(module, prefix, a, reverse, func(k string, v []byte) bool {
		if len(ids) == limit {
			pg.More = true
			return false
		}
		ids = append(ids, string(v))
		pg.Cursors = append(pg.Cursors, strings.TrimPrefix(k, prefix))
		return true
	})
	return ids, pg, err
}

// LoadPage reads the records of a page of ids that IDs returned (with its
// page and error, which it passes on): each with get, in order. An error
// names the record, what and its id, that failed to read.
func LoadPage[T any](ids []string, pg Page, err error, what string, get func(id string) (*T, error)) ([]*T, Page, error) {
	if err != nil {
		return nil, pg, err
	}
	out := make([]*T, len(ids))
	for i, id := range ids {
		if out[i], err = get(id); err != nil {
			return nil, pg, fmt.Errorf("%s %s of an index: %w", what, id, err)
		}
	}
	return out, pg, nil
}
