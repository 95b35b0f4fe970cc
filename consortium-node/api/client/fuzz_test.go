package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// answer is a node that answers every request with the same status and
// body.
type answer struct {
	code int
	body []byte
}

func (a *answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}}
	return &http.Response{StatusCode: a.code, Status: strconv.Itoa(a.code), Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body))}, nil
}

// The client's calls, as the fuzzer picks them.
const (
	opSubmit = iota
	opProof
	opBlock
	opLatest
	opByHash
	opStatus
	opNodes
	opPolicy
	opProposal
	opUpload
	opReachable
	opFetch
	opGenesis
	opStream
	opBackup
	numOps
)

// FuzzAnswers fuzzes what a node (or whatever answers at its address)
// sends back to the client: every call of the client decodes a fuzzed
// status and body. No panic; an error answer is an *client.Error with the
// status; blocks, streamed blocks and genesis files that are returned
// passed their checks.
func FuzzAnswers(f *testing.F) {
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	b0 := &ledger.Block{Header: ledger.Header{ChainID: "almoner-dev", Height: 3, TxRoot: ledger.TxRoot(nil),
		ReceiptRoot: ledger.ReceiptRoot(nil), Proposer: "stmarys-node1"}}
	blk, err := api.NewBlock(b0, []ledger.Receipt{}, []ledger.HeaderSignature{})
	if err != nil {
		f.Fatal(err)
	}
	b1 := *b0
	b1.Header.Height, b1.Header.PrevHash = 4, blk.Hash
	blk1, _ := api.NewBlock(&b1, []ledger.Receipt{}, []ledger.HeaderSignature{})
	gen := devtest.GenesisJSON(f, devnet.Options{Nodes: 2})
	fetch, _ := codec.Marshal(&api.FetchResponse{RecordID: "rec-1", Version: 1, Sealed: []byte{1}, Wrapped: []byte{2}})
	var archive bytes.Buffer
	bw, err := api.NewBackupWriter(&archive, api.BackupHeader{Kind: api.BackupNode, ChainID: "almoner-dev",
		Node: "stmarys-node1", RaftID: 1, Org: "stmarys", Height: 3})
	if err != nil {
		f.Fatal(err)
	}
	if err := errors.Join(bw.Put([]byte("k"), []byte("v")), bw.Close()); err != nil {
		f.Fatal(err)
	}
	ok := uint16(http.StatusOK)
	f.Add(uint8(opSubmit), ok, js(api.SubmitResponse{Results: []api.TxStatus{{Status: api.StatusPending},
		{Status: api.StatusCommitted, Height: 3}}}))
	f.Add(uint8(opSubmit), uint16(http.StatusBadRequest), js(api.SubmitResponse{Results: []api.TxStatus{
		{Status: api.StatusRejected, Error: "no"}, {Status: api.StatusRejected, Error: "no"}}}))
	f.Add(uint8(opSubmit), uint16(http.StatusServiceUnavailable), []byte{})
	f.Add(uint8(opProof), uint16(http.StatusNotFound), js(api.Error{Error: "not committed", Code: "not_found"}))
	f.Add(uint8(opProof), ok, []byte(`{"header":{"height":1},"index":0,"path":[]}`))
	f.Add(uint8(opBlock), ok, js(blk))
	f.Add(uint8(opLatest), ok, js(blk))
	f.Add(uint8(opByHash), ok, js(blk))
	f.Add(uint8(opStatus), ok, js(api.Status{ChainID: "almoner-dev", NodeID: "stmarys-node1", Height: 3}))
	f.Add(uint8(opNodes), ok, []byte(`[{"id":"stmarys-node1","org":"stmarys","raft_id":1}]`))
	f.Add(uint8(opPolicy), ok, []byte(`{"height":3,"rules":[],"threshold_percent":67}`))
	f.Add(uint8(opProposal), ok, []byte(`{"id":"p-1"}`))
	f.Add(uint8(opUpload), uint16(http.StatusNoContent), []byte{})
	f.Add(uint8(opReachable), uint16(http.StatusServiceUnavailable), js(api.Error{Error: "down", Code: "unavailable"}))
	f.Add(uint8(opFetch), ok, fetch)
	f.Add(uint8(opFetch), uint16(http.StatusGone), js(api.Error{Error: "erased", Code: "erased"}))
	f.Add(uint8(opGenesis), ok, gen)
	f.Add(uint8(opStream), ok, append(append(append(js(blk), '\n', '\n'), js(blk1)...), '\n'))
	f.Add(uint8(opBackup), ok, archive.Bytes())
	f.Fuzz(func(t *testing.T, op uint8, code uint16, body []byte) {
		status := int(code)
		if status < 200 || status > 599 {
			status = 200 + status%400
		}
		c := client.New("http://node.test", &http.Client{Transport: &answer{code: status, body: body}})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		switch op % numOps {
		case opSubmit:
			var res []api.TxStatus
			if res, err = c.Submit(ctx, [][]byte{{1}, {2}}, client.SubmitOptions{Wait: true}); err == nil && len(res) != 2 {
				t.Fatalf("%d results for 2 transactions", len(res))
			}
			if err == nil && status >= 300 && status != http.StatusBadRequest {
				t.Fatalf("a %d answer is a submission's results", status)
			}
		case opProof:
			_, err = c.Proof(ctx, tx.ID{1})
		case opBlock, opLatest, opByHash:
			var b *api.Block
			switch op % numOps {
			case opBlock:
				b, err = c.Block(ctx, 3)
			case opLatest:
				b, err = c.LatestBlock(ctx)
			default:
				b, err = c.BlockByHash(ctx, blk.Hash)
			}
			if err == nil {
				if cerr := b.Check(); cerr != nil {
					t.Fatalf("the client returned a block that fails its check: %v", cerr)
				}
			}
		case opStatus:
			_, err = c.Status(ctx)
		case opNodes:
			_, err = c.Nodes(ctx)
		case opPolicy:
			_, err = c.Policy(ctx)
		case opProposal:
			_, err = c.Proposal(ctx, "p-1")
		case opUpload:
			err = c.UploadRecord(ctx, &api.UploadRequest{RecordID: "rec-1", Version: 1})
		case opReachable:
			err = c.CustodianReachable(ctx, "stmarys")
		case opFetch:
			_, err = c.FetchRecord(ctx, &api.FetchRequest{Reader: "stmarys/dr-lee"})
		case opGenesis:
			var g *genesis.File
			if g, err = c.Genesis(ctx); err == nil {
				if _, _, berr := genesisstate.Block(g); berr != nil {
					t.Fatalf("the client returned a genesis without a block: %v", berr)
				}
			}
		case opStream:
			next := uint64(3)
			err = c.Stream(ctx, 3, func(b *api.Block) error {
				if b.Header.Height != next || b.Check() != nil {
					t.Fatalf("streamed block %d (want %d) fails its check: %v", b.Header.Height, next, b.Check())
				}
				next++
				return nil
			})
			if err == nil {
				t.Fatal("a stream the node ended returned no error")
			}
		case opBackup:
			var sink bytes.Buffer
			var h *api.BackupHeader
			if h, err = c.Backup(ctx, &sink); err == nil && h.Validate() != nil {
				t.Fatalf("a backup with an invalid header was taken: %+v", h)
			}
		}
		var ce *client.Error
		if status >= 300 && err == nil && op%numOps != opSubmit {
			t.Fatalf("a %d answer was taken as a success", status)
		}
		results := op%numOps == opSubmit && status == http.StatusBadRequest // per-tx results, checked above
		if status >= 300 && err != nil && !results && (!errors.As(err, &ce) || ce.StatusCode != status) {
			t.Fatalf("the error of a %d answer is %v", status, err)
		}
	})
}
