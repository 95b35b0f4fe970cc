package governance_test

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

type oneKey map[string][]byte

func (m oneKey) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }

// FuzzDecode fuzzes the decoders of governance state (proposals and policy
// rules read from disk): no panic; an accepted proposal re-encodes to the
// same bytes; an accepted rule is valid.
func FuzzDecode(f *testing.F) {
	p := &governance.Proposal{ID: "ab", Kind: governancevocab.KindSetThreshold,
		Args: tx.Args{tx.Uint(governancevocab.ArgPercent, 60)}, Proposer: "a/b",
		Approvals: []governance.Vote{{Org: "a", Member: "a/b", Height: 3}}, Rejections: []governance.Vote{},
		Status: governancevocab.StatusOpen}
	good, _ := codec.Marshal(p)
	f.Add(good)
	f.Add(governance.EncodeRule(policies.DefaultRules()[0]))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, err := governance.Load(oneKey{governance.ProposalStateKey("x"): data}, "x"); err == nil {
			if again, _ := codec.Marshal(got); !bytes.Equal(again, data) {
				t.Fatalf("proposal %x re-encodes differently", data)
			}
		}
		if r, err := governance.DecodeRule(data); err == nil {
			if err := r.Validate(); err != nil {
				t.Fatalf("decoded an invalid rule: %v", err)
			}
		}
	})
}
