package server_test

import (
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/codec"
)

// TestCodecLimitsFitBodies: the API's CBOR decoder takes every body the
// server reads (an upload is the largest) and every response the client
// reads, so the body limits, not the codec, decide what is too large.
func TestCodecLimitsFitBodies(t *testing.T) {
	if max := codec.API.Limits().MaxBytes; max < server.MaxUploadBytes || max < api.MaxBodyBytes+1<<20 {
		t.Fatalf("codec.API takes %d bytes, below an upload's %d", max, server.MaxUploadBytes)
	}
}
