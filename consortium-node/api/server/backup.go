package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/internal/node"
)

// BackupBackend is what GET /v1/backup needs from a node; *node.Node
// implements it. With a Backend that does not, the route answers 404.
type BackupBackend interface {
	// BackupAllowed is nil when caller may take the node's backup, else
	// an error wrapping node.ErrForbidden that says who may.
	BackupAllowed(caller *api.Caller) error
	// OpenBackup takes a consistent snapshot of the node's database.
	OpenBackup() (*node.Backup, error)
}

// backup returns the handler of GET /v1/backup: the node's database as a
// backup archive (api.BackupWriter), streamed from one snapshot while the
// node keeps committing, to the node itself or an organisation admin of
// its organisation only (docs/decisions/0016-backup-restore.md). One
// backup at a time; another gets 503 with Retry-After. A backup that
// fails while streaming cuts the connection, so the archive lacks its end
// record and checksum and no restore takes it.
func (s *server) backup() http.HandlerFunc {
	busy := make(chan struct{}, 1)
	return func(w http.ResponseWriter, r *http.Request) {
		bb, ok := s.cfg.Backend.(BackupBackend)
		if !ok {
			writeErr(w, http.StatusNotFound, "not_found", "this node does not serve backups")
			return
		}
		c := callerOf(r.Context())
		if err := bb.BackupAllowed(c); err != nil {
			if !errors.Is(err, node.ErrForbidden) {
				s.internal(w, r, err)
				return
			}
			id := ""
			if c != nil {
				id = c.ID
			}
			s.cfg.Logger.Warn("node backup refused", "caller", id)
			writeErr(w, http.StatusForbidden, "forbidden", err.Error())
			return
		}
		select {
		case busy <- struct{}{}:
			defer func() { <-busy }()
		default:
			w.Header().Set("Retry-After", "60")
			writeErr(w, http.StatusServiceUnavailable, "busy", "another backup of this node is running; try again later")
			return
		}
		b, err := bb.OpenBackup()
		if errors.Is(err, node.ErrHalted) {
			writeErr(w, http.StatusServiceUnavailable, "halted", err.Error())
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		defer b.Close()
		h := b.Header()
		start := time.Now()
		w.Header().Set("Content-Type", api.BackupContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d.almbk"`, h.Node, h.Height))
		w.WriteHeader(http.StatusOK)
		n, err := b.WriteTo(r.Context(), w)
		if err != nil {
			s.cfg.Logger.Warn("node backup cut short", "caller", c.ID, "height", h.Height, "records", n, "err", err)
			panic(http.ErrAbortHandler) // the client sees a truncated archive, never a complete-looking one
		}
		s.cfg.Logger.Info("node backup served", "caller", c.ID, "height", h.Height, "records", n,
			"duration", time.Since(start).Round(time.Millisecond))
	}
}
