package schema

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/session"
)

// core is the module every schema starts with.
type core struct{}

func (core) Name() string { return "core" }

// JSON is a scalar for structured data that the portal passes through
// unchanged (receipt proofs, for verification in the browser).
var JSON = graphql.NewScalar(graphql.ScalarConfig{
	Name:        "JSON",
	Description: "Any JSON value.",
	Serialize:   func(v any) any { return v },
	ParseValue:  func(v any) any { return v },
	ParseLiteral: func(v ast.Value) any {
		if s, ok := v.(*ast.StringValue); ok {
			return s.Value
		}
		return nil
	},
})

// Page arguments of a Relay connection.
var connArgs = graphql.FieldConfigArgument{
	"first":  {Type: graphql.Int},
	"after":  {Type: graphql.String},
	"last":   {Type: graphql.Int},
	"before": {Type: graphql.String},
}

var pageInfo = graphql.NewObject(graphql.ObjectConfig{Name: "PageInfo", Fields: graphql.Fields{
	"hasNextPage":     {Type: graphql.NewNonNull(graphql.Boolean)},
	"hasPreviousPage": {Type: graphql.NewNonNull(graphql.Boolean)},
	"startCursor":     {Type: graphql.String},
	"endCursor":       {Type: graphql.String},
}})

// Connection is a page of a Relay connection.
type Connection struct {
	Nodes   []any
	Cursors []string
	HasNext bool
	HasPrev bool
}

// NewConnectionType returns the Relay connection and edge types of node.
func NewConnectionType(name string, node graphql.Output) *graphql.Object {
	edge := graphql.NewObject(graphql.ObjectConfig{Name: name + "Edge", Fields: graphql.Fields{
		"cursor": {Type: graphql.NewNonNull(graphql.String)},
		"node":   {Type: graphql.NewNonNull(node)},
	}})
	return graphql.NewObject(graphql.ObjectConfig{Name: name + "Connection", Fields: graphql.Fields{
		"edges": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(edge))), Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(*Connection)
			out := make([]map[string]any, len(c.Nodes))
			for i := range c.Nodes {
				out[i] = map[string]any{"cursor": c.Cursors[i], "node": c.Nodes[i]}
			}
			return out, nil
		}},
		"nodes": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(node))), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(*Connection).Nodes, nil
		}},
		"pageInfo": {Type: graphql.NewNonNull(pageInfo), Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(*Connection)
			pi := map[string]any{"hasNextPage": c.HasNext, "hasPreviousPage": c.HasPrev}
			if len(c.Cursors) > 0 {
				pi["startCursor"], pi["endCursor"] = c.Cursors[0], c.Cursors[len(c.Cursors)-1]
			}
			return pi, nil
		}},
	}})
}

// Page is the decoded page arguments.
type Page struct {
	Forward   bool
	Limit     int
	Cursor    string // the after or before cursor's value, "" for none
	HasCursor bool
}

// PageArgs decodes first/after/last/before for cursors of kind.
func PageArgs(cfg *Config, args map[string]any, kind string) (Page, error) {
	first, hasFirst := args["first"].(int)
	last, hasLast := args["last"].(int)
	after, hasAfter := args["after"].(string)
	before, hasBefore := args["before"].(string)
	if hasFirst && hasLast || hasAfter && hasBefore || hasLast && hasAfter || hasFirst && hasBefore {
		return Page{}, Errorf(CodeBadUserInput, "use first/after to page forward or last/before to page backward")
	}
	p := Page{Forward: !hasLast && !hasBefore, Limit: cfg.DefaultPage}
	n, ok := first, hasFirst
	if !p.Forward {
		n, ok = last, hasLast
	}
	if ok {
		if n < 0 || n > cfg.MaxPage {
			return Page{}, Errorf(CodeBadUserInput, fmt.Sprintf("page size must be 0..%d", cfg.MaxPage))
		}
		p.Limit = n
	}
	cur, has := after, hasAfter
	if !p.Forward {
		cur, has = before, hasBefore
	}
	if has {
		v, err := DecodeCursor(kind, cur)
		if err != nil {
			return Page{}, err
		}
		p.Cursor, p.HasCursor = v, true
	}
	return p, nil
}

// EncodeCursor makes an opaque cursor.
func EncodeCursor(kind, v string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + v))
}

// DecodeCursor reads a cursor made by EncodeCursor for kind.
func DecodeCursor(kind, c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), kind+":") {
		return "", Errorf(CodeBadUserInput, "invalid cursor")
	}
	return string(b[len(kind)+1:]), nil
}

func rfc3339(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// Register implements Module.
func (core) Register(b *Builder) error {
	cfg := b.Cfg
	ls := LoadersFrom

	event := graphql.NewObject(graphql.ObjectConfig{Name: "Event", Fields: graphql.Fields{
		"contract": {Type: graphql.NewNonNull(graphql.String)},
		"type":     {Type: graphql.NewNonNull(graphql.String)},
		"attrs": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.NewObject(graphql.ObjectConfig{Name: "Attr", Fields: graphql.Fields{
			"key":   {Type: graphql.NewNonNull(graphql.String)},
			"value": {Type: graphql.NewNonNull(graphql.String)},
		}})))), Resolve: func(p graphql.ResolveParams) (any, error) {
			ev := p.Source.(ledger.Event)
			out := make([]map[string]any, len(ev.Attrs))
			for i, a := range ev.Attrs {
				out[i] = map[string]any{"key": a.Key, "value": a.Value}
			}
			return out, nil
		}},
	}})
	event.Fields()["contract"].Resolve = func(p graphql.ResolveParams) (any, error) { return p.Source.(ledger.Event).Contract, nil }
	event.Fields()["type"].Resolve = func(p graphql.ResolveParams) (any, error) { return p.Source.(ledger.Event).Type, nil }

	status := graphql.NewEnum(graphql.EnumConfig{Name: "ReceiptStatus", Values: graphql.EnumValueConfigMap{
		"OK": {Value: "OK"}, "FAILED": {Value: "FAILED"},
	}})
	receipt := graphql.NewObject(graphql.ObjectConfig{Name: "Receipt", Description: "What a committed transaction did.", Fields: graphql.Fields{
		"status": {Type: graphql.NewNonNull(status)},
		"error":  {Type: graphql.String, Description: "Why a failed transaction failed."},
		"events": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(event)))},
	}})

	org := graphql.NewObject(graphql.ObjectConfig{Name: "Organisation", Fields: graphql.Fields{}})
	member := graphql.NewObject(graphql.ObjectConfig{Name: "Member", Fields: graphql.Fields{}})
	block := graphql.NewObject(graphql.ObjectConfig{Name: "Block", Fields: graphql.Fields{}})
	txn := graphql.NewObject(graphql.ObjectConfig{Name: "Transaction", Fields: graphql.Fields{}})
	memberConn := NewConnectionType("Member", member)
	blockConn := NewConnectionType("Block", block)

	org.AddFieldConfig("id", &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Org).ID, nil }})
	org.AddFieldConfig("kind", &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Org).Kind, nil }})
	org.AddFieldConfig("name", &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Org).Name, nil }})
	org.AddFieldConfig("members", &graphql.Field{Type: graphql.NewNonNull(memberConn), Args: connArgs, Resolve: func(p graphql.ResolveParams) (any, error) {
		return members(p.Context, cfg, p.Source.(*readmodel.Org).ID, p.Args)
	}})

	member.AddFieldConfig("id", &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Member).ID, nil }})
	member.AddFieldConfig("roles", &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Member).Roles, nil }})
	member.AddFieldConfig("revoked", &graphql.Field{Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*readmodel.Member).Revoked, nil }})
	member.AddFieldConfig("since", &graphql.Field{Type: graphql.NewNonNull(graphql.Int), Description: "Height the member was added at (0: genesis).", Resolve: func(p graphql.ResolveParams) (any, error) { return int(p.Source.(*readmodel.Member).Since), nil }})
	member.AddFieldConfig("updated", &graphql.Field{Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return int(p.Source.(*readmodel.Member).Updated), nil }})
	member.AddFieldConfig("organisation", &graphql.Field{Type: org, Resolve: func(p graphql.ResolveParams) (any, error) {
		return thunk(ls(p.Context).Org.Load(p.Context, p.Source.(*readmodel.Member).Org)), nil
	}})

	blockField := func(name string, t graphql.Output, get func(*readmodel.Block) any) {
		block.AddFieldConfig(name, &graphql.Field{Type: graphql.NewNonNull(t), Resolve: func(p graphql.ResolveParams) (any, error) { return get(p.Source.(*readmodel.Block)), nil }})
	}
	blockField("height", graphql.Int, func(b *readmodel.Block) any { return int(b.Height) })
	blockField("hash", graphql.String, func(b *readmodel.Block) any { return b.Hash })
	blockField("prevHash", graphql.String, func(b *readmodel.Block) any { return b.PrevHash })
	blockField("time", graphql.String, func(b *readmodel.Block) any { return rfc3339(b.Time) })
	blockField("proposer", graphql.String, func(b *readmodel.Block) any { return b.Proposer })
	block.AddFieldConfig("proposerOrganisation", &graphql.Field{Type: org,
		Description: "The organisation that runs the proposing node (null when the read model does not know the node).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			nodes, err := cfg.Store.Nodes()
			if err != nil {
				return nil, internal(p.Context, cfg.Logger, "nodes", err)
			}
			for _, n := range nodes {
				if n.ID == p.Source.(*readmodel.Block).Proposer {
					return thunk(ls(p.Context).Org.Load(p.Context, n.Org)), nil
				}
			}
			return nil, nil
		}})
	blockField("txRoot", graphql.String, func(b *readmodel.Block) any { return b.TxRoot })
	blockField("receiptRoot", graphql.String, func(b *readmodel.Block) any { return b.ReceiptRoot })
	blockField("stateHash", graphql.String, func(b *readmodel.Block) any { return b.StateHash })
	blockField("signatures", graphql.Int, func(b *readmodel.Block) any { return b.Signatures })
	blockField("transactionCount", graphql.Int, func(b *readmodel.Block) any { return len(b.TxIDs) })
	block.AddFieldConfig("transactions", &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(txn))), Resolve: func(p graphql.ResolveParams) (any, error) {
		b := p.Source.(*readmodel.Block)
		ids := make([]tx.ID, len(b.TxIDs))
		for i, s := range b.TxIDs {
			id, err := readmodel.ParseTxID(s)
			if err != nil {
				return nil, internal(p.Context, cfg.Logger, "block txs", err)
			}
			ids[i] = id
		}
		many := ls(p.Context).Tx.LoadMany(p.Context, ids)
		return func() (any, error) {
			vs, errs := many()
			vs, errs = visibleTxs(p.Context, cfg, vs, errs)
			for _, err := range errs {
				if err != nil {
					return nil, internal(p.Context, cfg.Logger, "block txs", err)
				}
			}
			return vs, nil
		}, nil
	}})

	txField := func(name string, t graphql.Output, get func(*readmodel.Tx) any) {
		txn.AddFieldConfig(name, &graphql.Field{Type: t, Resolve: func(p graphql.ResolveParams) (any, error) { return get(p.Source.(*readmodel.Tx)), nil }})
	}
	nn := graphql.NewNonNull
	txField("id", nn(graphql.ID), func(t *readmodel.Tx) any { return t.ID })
	txField("height", nn(graphql.Int), func(t *readmodel.Tx) any { return int(t.Height) })
	txField("index", nn(graphql.Int), func(t *readmodel.Tx) any { return t.Index })
	txField("time", nn(graphql.String), func(t *readmodel.Tx) any { return rfc3339(t.Time) })
	txField("sender", nn(graphql.String), func(t *readmodel.Tx) any { return t.Sender })
	txField("contract", nn(graphql.String), func(t *readmodel.Tx) any { return t.Contract })
	txField("method", nn(graphql.String), func(t *readmodel.Tx) any { return t.Method })
	txField("nonce", nn(graphql.String), func(t *readmodel.Tx) any { return strconv.FormatUint(t.Nonce, 10) })
	txField("expiry", nn(graphql.Int), func(t *readmodel.Tx) any { return int(t.Expiry) })
	txField("receipt", nn(receipt), func(t *readmodel.Tx) any { return receiptMap(t.OK, t.Error, t.Events) })
	txn.AddFieldConfig("senderMember", &graphql.Field{Type: member, Resolve: func(p graphql.ResolveParams) (any, error) {
		return thunk(ls(p.Context).Member.Load(p.Context, p.Source.(*readmodel.Tx).Sender)), nil
	}})
	txn.AddFieldConfig("block", &graphql.Field{Type: block, Resolve: func(p graphql.ResolveParams) (any, error) {
		return thunk(ls(p.Context).Block.Load(p.Context, p.Source.(*readmodel.Tx).Height)), nil
	}})

	txStatus := graphql.NewEnum(graphql.EnumConfig{Name: "TxStatus", Values: graphql.EnumValueConfigMap{
		"COMMITTED": {Value: "committed"}, "PENDING": {Value: "pending"},
	}})
	txResult := graphql.NewObject(graphql.ObjectConfig{Name: "TxResult", Description: "A submitted transaction: its id and, when the mutation waited, its receipt.", Fields: graphql.Fields{
		"id":     {Type: nn(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*TxResult).ID.String(), nil }},
		"status": {Type: nn(txStatus), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*TxResult).Status, nil }},
		"height": {Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
			r := p.Source.(*TxResult)
			if r.Receipt == nil {
				return nil, nil
			}
			return int(r.Height), nil
		}},
		"receipt": {Type: receipt, Resolve: func(p graphql.ResolveParams) (any, error) {
			r := p.Source.(*TxResult)
			if r.Receipt == nil {
				return nil, nil
			}
			return receiptMap(r.Receipt.OK(), r.Receipt.Error, r.Receipt.Events), nil
		}},
		"transaction": {Type: txn, Resolve: func(p graphql.ResolveParams) (any, error) {
			r := p.Source.(*TxResult)
			if r.Receipt == nil {
				return nil, nil
			}
			return thunk(ls(p.Context).Tx.Load(p.Context, r.ID)), nil
		}},
	}})

	expiringKey := graphql.NewObject(graphql.ObjectConfig{Name: "ExpiringKey", Fields: graphql.Fields{
		"member":       {Type: nn(graphql.ID)},
		"organisation": {Type: nn(graphql.ID)},
		"expires":      {Type: nn(graphql.String), Description: "RFC 3339."},
		"expired":      {Type: nn(graphql.Boolean)},
	}})
	nodeStatus := graphql.NewObject(graphql.ObjectConfig{Name: "NodeStatus", Fields: graphql.Fields{
		"chainId":       {Type: nn(graphql.String)},
		"nodeId":        {Type: nn(graphql.String)},
		"height":        {Type: nn(graphql.Int)},
		"headHash":      {Type: nn(graphql.String)},
		"headTime":      {Type: nn(graphql.String)},
		"pending":       {Type: nn(graphql.Int)},
		"raftState":     {Type: nn(graphql.String)},
		"nodes":         {Type: nn(graphql.Int)},
		"indexedHeight": {Type: graphql.Int, Description: "The portal read model's applied height."},
		"lag":           {Type: graphql.Int, Description: "Node height minus indexed height."},
		"keysExpiring": {Type: nn(graphql.NewList(nn(expiringKey))),
			Description: "Members whose signing key expires within 30 days or has expired (an org admin must rotate it): those the viewer may read (their own; org admins their organisation's; consortium admins and auditors all)."},
	}})

	apiToken := graphql.NewObject(graphql.ObjectConfig{Name: "ApiToken", Fields: graphql.Fields{
		"id":      {Type: nn(graphql.ID)},
		"name":    {Type: nn(graphql.String)},
		"scopes":  {Type: nn(graphql.NewList(nn(graphql.String)))},
		"created": {Type: nn(graphql.String)},
		"expires": {Type: nn(graphql.String)},
		"revoked": {Type: nn(graphql.Boolean)},
	}})
	tokenMap := func(t *session.Token) map[string]any {
		return map[string]any{"id": t.ID, "name": t.Name, "scopes": t.Scopes, "created": t.Created.Format(time.RFC3339),
			"expires": t.Expires.Format(time.RFC3339), "revoked": t.Revoked}
	}
	viewerT := graphql.NewObject(graphql.ObjectConfig{Name: "Viewer", Fields: graphql.Fields{
		"account": {Type: nn(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*session.Principal).Account, nil }},
		"via":     {Type: nn(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*session.Principal).Via, nil }},
		"scopes":  {Type: nn(graphql.NewList(nn(graphql.String))), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*session.Principal).Scopes, nil }},
		"member": {Type: member, Resolve: func(p graphql.ResolveParams) (any, error) {
			return thunk(ls(p.Context).Member.Load(p.Context, p.Source.(*session.Principal).Account)), nil
		}},
		"apiTokens": {Type: nn(graphql.NewList(nn(apiToken))), Resolve: func(p graphql.ResolveParams) (any, error) {
			ts, err := cfg.Sessions.Tokens(p.Source.(*session.Principal).Account)
			if err != nil {
				return nil, internal(p.Context, cfg.Logger, "tokens", err)
			}
			out := make([]map[string]any, len(ts))
			for i, t := range ts {
				out[i] = tokenMap(t)
			}
			return out, nil
		}},
	}})

	for name, t := range map[string]graphql.Type{"Organisation": org, "Member": member, "Block": block, "Transaction": txn,
		"Receipt": receipt, "TxResult": txResult, "JSON": JSON} {
		b.SetType(name, t)
	}

	// Queries.
	q := []struct {
		name string
		f    *graphql.Field
	}{
		{"nodeStatus", &graphql.Field{Type: nn(nodeStatus), Description: "The followed node's status and the read model's progress.", Resolve: func(p graphql.ResolveParams) (any, error) {
			st, err := cfg.Node.Status(p.Context)
			if err != nil {
				return nil, nodeErr(p.Context, cfg, "status", err)
			}
			out := map[string]any{"chainId": st.ChainID, "nodeId": st.NodeID, "height": int(st.Height), "headHash": st.HeadHash.String(),
				"headTime": st.HeadTime.UTC().Format(time.RFC3339Nano), "pending": st.Pending, "raftState": st.Raft.State, "nodes": st.Nodes}
			keys := []map[string]any{}
			if _, err := Account(p.Context); err == nil {
				for _, k := range st.KeysExpiring {
					ok, err := cfg.Allowed(p.Context, Question{Obj: "member", Act: "read", Owner: k.Member, Org: k.Org})
					if err != nil {
						return nil, err
					}
					if ok {
						keys = append(keys, map[string]any{"member": k.Member, "organisation": k.Org, "expires": k.Expires.UTC().Format(time.RFC3339), "expired": k.Expired})
					}
				}
			}
			out["keysExpiring"] = keys
			if h, ok := cfg.Store.Applied(); ok {
				out["indexedHeight"] = int(h)
				lag := 0
				if st.Height > h {
					lag = int(st.Height - h)
				}
				out["lag"] = lag
			}
			return out, nil
		}}},
		{"blocks", &graphql.Field{Type: nn(blockConn), Args: connArgs, Description: "Blocks, newest first.", Resolve: func(p graphql.ResolveParams) (any, error) {
			return blocks(p.Context, cfg, p.Args)
		}}},
		{"block", &graphql.Field{Type: block, Args: graphql.FieldConfigArgument{"height": {Type: nn(graphql.Int)}}, Resolve: func(p graphql.ResolveParams) (any, error) {
			h := p.Args["height"].(int)
			if h < 0 {
				return nil, Errorf(CodeBadUserInput, "height must not be negative")
			}
			return thunk(ls(p.Context).Block.Load(p.Context, uint64(h))), nil
		}}},
		{"blockByHash", &graphql.Field{Type: block, Args: graphql.FieldConfigArgument{"hash": {Type: nn(graphql.String), Description: "The header hash, 64 hex characters."}},
			Description: "The block with this header hash (null if none, or if the read model has not reached it yet).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				h, err := ledger.ParseHash(strings.ToLower(strings.TrimSpace(p.Args["hash"].(string))))
				if err != nil {
					return nil, Errorf(CodeBadUserInput, "a block hash is 64 hex characters")
				}
				b, err := cfg.Node.BlockByHash(p.Context, h)
				if errors.Is(err, client.ErrNotFound) {
					return nil, nil
				}
				if err != nil {
					return nil, nodeErr(p.Context, cfg, "block by hash", err)
				}
				return thunk(ls(p.Context).Block.Load(p.Context, b.Header.Height)), nil
			}}},
		{"transaction", &graphql.Field{Type: txn, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}}, Resolve: func(p graphql.ResolveParams) (any, error) {
			id, err := readmodel.ParseTxID(p.Args["id"].(string))
			if err != nil {
				return nil, Errorf(CodeBadUserInput, err.Error())
			}
			t, err := Found(p.Context, cfg.Logger, "transaction", cfg.Store.Tx, id)
			if t == nil || err != nil {
				return nil, err
			}
			if err := mayReadTx(p.Context, cfg, t); err != nil {
				return nil, err
			}
			return t, nil
		}}},
		{"receiptProof", &graphql.Field{Type: JSON, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "The transaction's receipt proof as the node serves it (receipt, Merkle paths, header, node signatures), for offline verification.",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id, err := readmodel.ParseTxID(p.Args["id"].(string))
				if err != nil {
					return nil, Errorf(CodeBadUserInput, err.Error())
				}
				t, err := Found(p.Context, cfg.Logger, "proof", cfg.Store.Tx, id)
				if err != nil {
					return nil, err
				}
				if t == nil {
					return nil, Errorf(CodeNotFound, "no committed transaction with this id")
				}
				if err := mayReadTx(p.Context, cfg, t); err != nil {
					return nil, err
				}
				pr, err := cfg.Node.Proof(p.Context, id)
				if errors.Is(err, client.ErrNotFound) {
					return nil, Errorf(CodeNotFound, "no committed transaction with this id")
				}
				if err != nil {
					return nil, nodeErr(p.Context, cfg, "proof", err)
				}
				raw, err := json.Marshal(pr)
				if err != nil {
					return nil, internal(p.Context, cfg.Logger, "proof", err)
				}
				// Numbers stay exact (json.Number): the header's nanosecond
				// time does not fit a float64, and the proof must verify as
				// served.
				var v any
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				if err := dec.Decode(&v); err != nil {
					return nil, internal(p.Context, cfg.Logger, "proof", err)
				}
				return v, nil
			}}},
		{"organisations", &graphql.Field{Type: nn(graphql.NewList(nn(org))), Resolve: func(p graphql.ResolveParams) (any, error) {
			os, err := cfg.Store.Orgs()
			if err != nil {
				return nil, internal(p.Context, cfg.Logger, "orgs", err)
			}
			return os, nil
		}}},
		{"organisation", &graphql.Field{Type: org, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}}, Resolve: func(p graphql.ResolveParams) (any, error) {
			return thunk(ls(p.Context).Org.Load(p.Context, p.Args["id"].(string))), nil
		}}},
		{"members", &graphql.Field{Type: nn(memberConn), Args: withArgs(connArgs, graphql.FieldConfigArgument{"organisation": {Type: graphql.ID}}), Description: "Members by id.", Resolve: func(p graphql.ResolveParams) (any, error) {
			o, _ := p.Args["organisation"].(string)
			return members(p.Context, cfg, o, p.Args)
		}}},
		{"member", &graphql.Field{Type: member, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}}, Resolve: func(p graphql.ResolveParams) (any, error) {
			return thunk(ls(p.Context).Member.Load(p.Context, p.Args["id"].(string))), nil
		}}},
		{"viewer", &graphql.Field{Type: viewerT, Description: "The signed-in account (null when anonymous).", Resolve: func(p graphql.ResolveParams) (any, error) {
			if pr := Principal(p.Context); pr != nil {
				return pr, nil
			}
			return nil, nil
		}}},
	}
	for _, f := range q {
		if err := b.Query(f.name, f.f); err != nil {
			return err
		}
	}

	// Mutations: the identity transactions (account.go), API tokens.
	if err := registerIdentity(b); err != nil {
		return err
	}
	muts := []struct {
		name string
		f    *graphql.Field
	}{
		{"createApiToken", &graphql.Field{Type: nn(graphql.NewObject(graphql.ObjectConfig{Name: "NewApiToken", Fields: graphql.Fields{
			"secret":   {Type: nn(graphql.String), Description: "Shown once; send as Authorization: Bearer <secret>."},
			"apiToken": {Type: nn(apiToken)},
		}})), Description: "Create a bearer token for machine clients (browser sessions only).",
			Args: graphql.FieldConfigArgument{"name": {Type: nn(graphql.String)}, "scopes": {Type: nn(graphql.NewList(nn(graphql.String)))}, "ttlHours": {Type: nn(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				pr, err := writer(p.Context)
				if err != nil {
					return nil, err
				}
				if pr.Via != "session" {
					return nil, Errorf(CodeForbidden, "API tokens are created from a signed-in browser session")
				}
				var scopes []string
				for _, s := range p.Args["scopes"].([]any) {
					scopes = append(scopes, s.(string))
				}
				secret, t, err := cfg.Sessions.NewToken(pr.Account, p.Args["name"].(string), scopes, time.Duration(p.Args["ttlHours"].(int))*time.Hour)
				if errors.Is(err, session.ErrInvalid) {
					return nil, Errorf(CodeBadUserInput, strings.TrimPrefix(err.Error(), "session: invalid argument: "))
				}
				if err != nil {
					return nil, internal(p.Context, cfg.Logger, "new token", err)
				}
				return map[string]any{"secret": secret, "apiToken": tokenMap(t)}, nil
			}}},
		{"revokeApiToken", &graphql.Field{Type: nn(graphql.Boolean), Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				pr, err := writer(p.Context)
				if err != nil {
					return nil, err
				}
				if err := cfg.Sessions.RevokeToken(pr.Account, p.Args["id"].(string)); errors.Is(err, session.ErrNotFound) {
					return nil, Errorf(CodeNotFound, "no such API token of yours")
				} else if err != nil {
					return nil, internal(p.Context, cfg.Logger, "revoke token", err)
				}
				return true, nil
			}}},
	}
	for _, f := range muts {
		if err := b.Mutation(f.name, f.f); err != nil {
			return err
		}
	}
	if err := registerAccount(b, txResult, member); err != nil {
		return err
	}

	return b.Subscription("newBlocks", &graphql.Field{Type: nn(block), Description: "Every block the read model applies from now on.",
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			sub := cfg.Blocks.Subscribe(cfg.SubscriptionBuffer)
			return Stream(p.Context, sub, nil, func(b *readmodel.Block) ([]any, error) { return []any{b}, nil }), nil
		},
	})
}

func withArgs(a, b graphql.FieldConfigArgument) graphql.FieldConfigArgument {
	out := graphql.FieldConfigArgument{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func receiptMap(ok bool, errMsg string, events []ledger.Event) map[string]any {
	st := "OK"
	if !ok {
		st = "FAILED"
	}
	m := map[string]any{"status": st, "events": events}
	if errMsg != "" {
		m["error"] = errMsg
	}
	if events == nil {
		m["events"] = []ledger.Event{}
	}
	return m
}

func blocks(ctx context.Context, cfg *Config, args map[string]any) (*Connection, error) {
	pg, err := PageArgs(cfg, args, "block")
	if err != nil {
		return nil, err
	}
	var cur *uint64
	if pg.HasCursor {
		h, err := strconv.ParseUint(pg.Cursor, 10, 64)
		if err != nil {
			return nil, Errorf(CodeBadUserInput, "invalid cursor")
		}
		cur = &h
	}
	c := &Connection{}
	if pg.Limit == 0 {
		return c, nil
	}
	var bs []*readmodel.Block
	var more bool
	if pg.Forward {
		bs, more, err = cfg.Store.Blocks(cur, pg.Limit)
		c.HasNext, c.HasPrev = more, cur != nil
	} else {
		bs, more, err = cfg.Store.BlocksAscending(cur, pg.Limit)
		slices.Reverse(bs)
		c.HasPrev, c.HasNext = more, cur != nil
	}
	if err != nil {
		return nil, internal(ctx, cfg.Logger, "blocks", err)
	}
	for _, b := range bs {
		c.Nodes = append(c.Nodes, b)
		c.Cursors = append(c.Cursors, EncodeCursor("block", strconv.FormatUint(b.Height, 10)))
	}
	return c, nil
}

func members(ctx context.Context, cfg *Config, org string, args map[string]any) (*Connection, error) {
	pg, err := PageArgs(cfg, args, "member")
	if err != nil {
		return nil, err
	}
	if !pg.Forward {
		return nil, Errorf(CodeBadUserInput, "members page forward only (first/after)")
	}
	if pg.Limit == 0 {
		return &Connection{}, nil
	}
	ms, more, err := cfg.Store.Members(org, pg.Cursor, pg.Limit)
	if err != nil {
		return nil, internal(ctx, cfg.Logger, "members", err)
	}
	c := &Connection{HasNext: more, HasPrev: pg.HasCursor}
	for _, m := range ms {
		c.Nodes = append(c.Nodes, m)
		c.Cursors = append(c.Cursors, EncodeCursor("member", m.ID))
	}
	return c, nil
}

// mayReadTx applies the policy's "chain read" rule to a transaction: its
// sender reads it; so do the roles the policy lets read the whole chain
// (consortium admin, auditor). Everyone else gets FORBIDDEN (anonymous:
// UNAUTHENTICATED): transactions name members and carry their events.
func mayReadTx(ctx context.Context, cfg *Config, t *readmodel.Tx) error {
	return cfg.Require(ctx, Question{Obj: "chain", Act: "read", Owner: t.Sender},
		"only the sender, a consortium admin or an auditor may read this transaction")
}

// visibleTxs drops the transactions of a block that the viewer may not
// read (an anonymous viewer sees none).
func visibleTxs(ctx context.Context, cfg *Config, vs []*readmodel.Tx, errs []error) ([]*readmodel.Tx, []error) {
	var outV []*readmodel.Tx
	var outE []error
	for i, t := range vs {
		if errs != nil && errs[i] != nil {
			outV, outE = append(outV, t), append(outE, errs[i])
			continue
		}
		if t != nil && mayReadTx(ctx, cfg, t) != nil {
			continue
		}
		outV = append(outV, t)
		if errs != nil {
			outE = append(outE, nil)
		}
	}
	return outV, outE
}
