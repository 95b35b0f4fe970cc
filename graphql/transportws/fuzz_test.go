package transportws

import (
	"errors"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"connection_init"}`, `{"type":"connection_init","payload":{"authorization":"Bearer x"}}`,
		`{"type":"ping","payload":null}`, `{"type":"subscribe","id":"1","payload":{"query":"subscription { newBlocks { height } }"}}`,
		`{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":{"x":1},"operationName":null,"extensions":{}}}`,
		`{"type":"complete","id":"1"}`, `{"type":"next","id":"1","payload":{}}`, `[]`, `{"type":1}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error not marked: %v", err)
			}
			return
		}
		switch m.Type {
		case TypeSubscribe:
			if m.ID == "" || m.Subscribe == nil {
				t.Fatalf("subscribe without id or payload: %+v", m)
			}
		case TypeComplete:
			if m.ID == "" {
				t.Fatal("complete without id")
			}
		case TypeConnectionInit, TypePing, TypePong:
		default:
			t.Fatalf("accepted type %q", m.Type)
		}
	})
}

func TestDecodeRejects(t *testing.T) {
	for _, s := range []string{`{"type":"subscribe","payload":{"query":"{a}"}}`, `{"type":"subscribe","id":"1","payload":{"query":1}}`,
		`{"type":"connection_ack"}`, `{"type":"complete"}`, `{"type":"connection_init","payload":"x"}`, `{"type":"what"}`} {
		if _, err := Decode([]byte(s)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: %v", s, err)
		}
	}
}
