package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/almoner/almoner/consortium-node/api"
)

// Backup streams the node's backup archive (GET /v1/backup) into w,
// checking it as it arrives, and returns the archive's header once all
// of it is in w and its checksum verified. An archive cut short or
// altered is an error wrapping api.ErrBackupCorrupt; w then holds an
// incomplete archive, which the caller discards. The client must be
// authenticated (Authenticate) as the node itself or an organisation
// admin of the node's organisation; any other caller gets a 403 *Error.
// A backup is of one node, so it goes to the current address only and is
// never failed over to another.
func (c *Client) Backup(ctx context.Context, w io.Writer) (*api.BackupHeader, error) {
	req, err := newRequest(ctx, http.MethodGet, c.Current()+"/v1/backup", "", nil)
	if err != nil {
		return nil, err
	}
	c.sign(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: GET /v1/backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		var e api.Error
		_ = json.Unmarshal(data, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return nil, &Error{StatusCode: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	ew := &errWriter{w: w}
	fail := func(err error) error {
		if ew.err != nil { // the archive was fine; writing it was not (a full disk)
			return fmt.Errorf("client: writing the backup: %w", ew.err)
		}
		return err
	}
	br, err := api.NewBackupReader(io.TeeReader(resp.Body, ew))
	if err != nil {
		return nil, fail(err)
	}
	for {
		_, err := br.Next()
		if errors.Is(err, io.EOF) {
			h := br.Header()
			return &h, nil
		}
		if err != nil {
			return nil, fail(err)
		}
	}
}

// errWriter remembers its writer's first error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
