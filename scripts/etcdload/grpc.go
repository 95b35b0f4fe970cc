package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// grpcWriter writes through etcd's own Go client (gRPC), the way etcd's
// benchmark tool and its users drive it: one client (one gRPC connection)
// per load client, puts or a txn of puts per request.
type grpcWriter struct {
	clients []*clientv3.Client
	timeout time.Duration
}

// newGRPCWriter connects n clients, client k to the endpoints starting at
// k mod len(endpoints) (so that connections spread over the members).
func newGRPCWriter(eps []string, n int, timeout time.Duration) (*grpcWriter, error) {
	w := &grpcWriter{timeout: timeout}
	for k := range n {
		var order []string
		for i := range eps {
			order = append(order, strings.TrimPrefix(eps[(k+i)%len(eps)], "http://"))
		}
		c, err := clientv3.New(clientv3.Config{Endpoints: order[:1], DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			w.close()
			return nil, fmt.Errorf("connecting to %s: %w", order[0], err)
		}
		w.clients = append(w.clients, c)
	}
	return w, nil
}

// write puts keys[i] = val for every i, in one request: a put, or a txn
// whose success branch holds the puts.
func (w *grpcWriter) write(ctx context.Context, client int, keys []string, val string) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	c := w.clients[client]
	if len(keys) == 1 {
		_, err := c.Put(ctx, keys[0], val)
		return err
	}
	ops := make([]clientv3.Op, len(keys))
	for i, k := range keys {
		ops[i] = clientv3.OpPut(k, val)
	}
	r, err := c.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !r.Succeeded {
		return fmt.Errorf("a txn of %d puts did not succeed", len(keys))
	}
	return nil
}

func (w *grpcWriter) close() {
	for _, c := range w.clients {
		_ = c.Close()
	}
}
