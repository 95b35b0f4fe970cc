package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/store"
)

// apiSwitch routes the API to the node that runs now: a node stalled by a
// full disk is closed and opened again when space returns
// (node.RunResuming), and requests then go to the reopened one. Requests
// still running on the closed one (block streams) are cancelled, so
// followers reconnect.
type apiSwitch struct {
	log *slog.Logger
	cur atomic.Pointer[apiGen]
}

type apiGen struct {
	h      http.Handler // nil while the node is being reopened
	ctx    context.Context
	cancel context.CancelFunc
}

// serve routes the API to n (nil: answer 503 until the next call).
func (s *apiSwitch) serve(n *node.Node) error {
	g := &apiGen{}
	if n != nil {
		h, err := server.New(server.Config{Backend: n, Logger: s.log, Metrics: n.MetricsHandler()})
		if err != nil {
			return err
		}
		g.h = h
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	if old := s.cur.Swap(g); old != nil {
		old.cancel()
	}
	return nil
}

func (s *apiSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := s.cur.Load()
	if g == nil || g.h == nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(api.Error{Code: "unavailable",
			Error: "the node is reopening its store after a write failure (a full disk); try again shortly"})
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(g.ctx, cancel)()
	g.h.ServeHTTP(w, r.WithContext(ctx))
}

// watchDiskFile is the --fault-disk-file fault injection: the node's
// database sits on a store.FaultDisk whose free space the file sets,
// re-read every 100ms: "full" (no byte free), a number of free bytes, or
// nothing (a missing or empty file: unlimited).
func watchDiskFile(path string, log *slog.Logger) *store.FaultDisk {
	d := store.NewFaultDisk()
	load := func() {
		free := int64(-1)
		if b, err := os.ReadFile(path); err == nil {
			switch f := strings.TrimSpace(string(b)); {
			case f == "full":
				free = 0
			case f != "":
				if v, err := strconv.ParseInt(f, 10, 64); err == nil {
					free = v
				}
			}
		}
		if d.SetFree(free) {
			log.Warn("fault injection: the disk's free space changed", "free_bytes", free)
		}
	}
	load()
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			load()
		}
	}()
	return d
}
