package transportws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Message types of graphql-transport-ws.
const (
	TypeConnectionInit = "connection_init"
	TypeConnectionAck  = "connection_ack"
	TypePing           = "ping"
	TypePong           = "pong"
	TypeSubscribe      = "subscribe"
	TypeNext           = "next"
	TypeError          = "error"
	TypeComplete       = "complete"
)

// Close codes of the protocol.
const (
	CloseInternal            = 4500
	CloseBadRequest          = 4400
	CloseUnauthorized        = 4401
	CloseForbidden           = 4403
	CloseSubprotocol         = 4406
	CloseInitTimeout         = 4408
	CloseSubscriberExists    = 4409
	CloseTooManyInitRequests = 4429
)

// Subprotocol is the WebSocket subprotocol name.
const Subprotocol = "graphql-transport-ws"

// MaxIDLen bounds operation ids.
const MaxIDLen = 128

// ErrBadMessage marks a message that breaks the protocol (close 4400).
var ErrBadMessage = errors.New("transportws: invalid message")

// Message is a decoded client message.
type Message struct {
	Type string
	ID   string
	// Payload of connection_init and ping/pong (nil when absent or null).
	Payload map[string]any
	// Subscribe is set for subscribe messages.
	Subscribe *SubscribePayload
}

// SubscribePayload is a subscribe message's request.
type SubscribePayload struct {
	Query         string
	OperationName string
	Variables     map[string]any
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadMessage, fmt.Sprintf(format, args...))
}

// optObject decodes an optional JSON object (absent or null: nil).
func optObject(raw json.RawMessage, field string) (map[string]any, error) {
	if raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, bad("%s must be an object", field)
	}
	return m, nil
}

// Decode parses and checks one client message (a WebSocket text frame).
// Messages a client must not send (connection_ack, next, error) and
// unknown types are errors.
func Decode(b []byte) (*Message, error) {
	if !utf8.Valid(b) {
		return nil, bad("not UTF-8")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, bad("not a JSON object")
	}
	var m Message
	if err := json.Unmarshal(raw["type"], &m.Type); err != nil || m.Type == "" {
		return nil, bad("type must be a string")
	}
	needID := func() error {
		if err := json.Unmarshal(raw["id"], &m.ID); err != nil || m.ID == "" || len(m.ID) > MaxIDLen {
			return bad("%s needs an id: a string of 1..%d bytes", m.Type, MaxIDLen)
		}
		return nil
	}
	switch m.Type {
	case TypeConnectionInit, TypePing, TypePong:
		p, err := optObject(raw["payload"], "payload")
		if err != nil {
			return nil, err
		}
		m.Payload = p
	case TypeSubscribe:
		if err := needID(); err != nil {
			return nil, err
		}
		var pr map[string]json.RawMessage
		if err := json.Unmarshal(raw["payload"], &pr); err != nil || pr == nil {
			return nil, bad("subscribe needs a payload object")
		}
		sp := &SubscribePayload{}
		if err := json.Unmarshal(pr["query"], &sp.Query); err != nil || pr["query"] == nil {
			return nil, bad("payload.query must be a string")
		}
		if v := pr["operationName"]; v != nil && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if err := json.Unmarshal(v, &sp.OperationName); err != nil {
				return nil, bad("payload.operationName must be a string or null")
			}
		}
		vars, err := optObject(pr["variables"], "payload.variables")
		if err != nil {
			return nil, err
		}
		sp.Variables = vars
		if _, err := optObject(pr["extensions"], "payload.extensions"); err != nil {
			return nil, err
		}
		m.Subscribe = sp
	case TypeComplete:
		if err := needID(); err != nil {
			return nil, err
		}
	case TypeConnectionAck, TypeNext, TypeError:
		return nil, bad("a client does not send %s", m.Type)
	default:
		return nil, bad("unknown message type")
	}
	return &m, nil
}

// outMsg is a server message.
type outMsg struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Payload any    `json:"payload,omitempty"`
}

func encode(m outMsg) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		// Payloads are GraphQL results built from JSON-safe values.
		b, _ = json.Marshal(outMsg{ID: m.ID, Type: TypeError, Payload: []map[string]any{{"message": "internal error", "extensions": map[string]any{"code": "INTERNAL"}}}})
	}
	return b
}
