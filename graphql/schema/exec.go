package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"weak"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/session"
)

// Limits bound what one document may ask for.
type Limits struct {
	// MaxDepth is the deepest selection nesting (introspection fields,
	// "__"-prefixed, are not counted). Default 12.
	MaxDepth int
	// MaxCost bounds the estimated number of resolved fields: each field
	// costs 1 times the page sizes (first/last, or the default page) of
	// the lists above it. Default 5000.
	MaxCost int
	// MaxQueryBytes bounds the document's length (default 32 KiB).
	MaxQueryBytes int
	// DefaultPage is the page size assumed for a connection field without
	// first/last.
	DefaultPage int
	// MaxNesting bounds how deeply one definition nests selection sets,
	// list and object values and list types, checked before validation
	// (default 64).
	MaxNesting int
	// MaxSelections bounds the selections of a document with every
	// fragment spread expanded, checked before validation (default 5000).
	MaxSelections int
	// MaxFieldPairs bounds the pairs of same-named fields in merged
	// selection sets that validation must compare (default 2000).
	MaxFieldPairs int
	// AnonymousIntrospection lets anonymous callers introspect the schema
	// (__schema, __type): development portals only. Signed-in users and
	// API tokens always may.
	AnonymousIntrospection bool
}

// Validate checks the limits and fills defaults.
func (l *Limits) Validate() error {
	defaults.Set(&l.MaxDepth, 12)
	defaults.Set(&l.MaxCost, 5000)
	defaults.Set(&l.MaxQueryBytes, 32<<10)
	defaults.Set(&l.DefaultPage, 20)
	defaults.Set(&l.MaxNesting, 64)
	defaults.Set(&l.MaxSelections, 5000)
	defaults.Set(&l.MaxFieldPairs, 2000)
	return nil
}

// Operation kinds.
const (
	OpQuery        = ast.OperationTypeQuery
	OpMutation     = ast.OperationTypeMutation
	OpSubscription = ast.OperationTypeSubscription
)

// Prepared is a parsed, validated document within the limits. Prepare
// shares one between the requests that send the same document: it is
// read-only.
type Prepared struct {
	Doc       *ast.Document
	Operation string // OpQuery, OpMutation or OpSubscription
	OpName    string
	Depth     int
	Cost      int
	// Introspection: the document selects __schema or __type.
	Introspection bool
}

// Refused returns the error for a prepared document that caller p may not
// run under lim (nil: it may): anonymous introspection where it is off.
func (pr *Prepared) Refused(p *session.Principal, lim Limits) *RequestError {
	if pr.Introspection && p == nil && !lim.AnonymousIntrospection {
		return reqErr(CodeUnauthenticated, "introspection (__schema, __type) is for signed-in users and API tokens on this portal: "+
			"sign in or send an API token")
	}
	return nil
}

// RequestError is a document that cannot run: it does not parse, is not
// valid against the schema, names no operation, or exceeds the limits.
// No data is produced for it.
type RequestError struct {
	Errors []gqlerrors.FormattedError
}

func (e *RequestError) Error() string {
	if len(e.Errors) == 0 {
		return "bad request"
	}
	return e.Errors[0].Message
}

func reqErr(code, msg string) *RequestError {
	return &RequestError{Errors: []gqlerrors.FormattedError{{Message: msg, Locations: nil, Extensions: map[string]any{"code": code}}}}
}

// Prepare parses and validates query, selects the operation and checks
// the limits. What it accepts is kept in the prepared-document cache
// (prepcache.go) and returned again for the same query, operation name
// and limits on this schema: the *Prepared is shared between requests
// and must not be modified. Refusals are never cached. The caller still
// asks Prepared.Refused for its principal.
func (s *Schema) Prepare(query, opName string, lim Limits) (*Prepared, error) {
	_ = lim.Validate() // fills defaults; never fails
	if len(query) > lim.MaxQueryBytes {
		return nil, reqErr(CodeTooComplex, fmt.Sprintf("the document is longer than %d bytes", lim.MaxQueryBytes))
	}
	k := prepKey{schema: weak.Make(s), query: query, opName: opName, lim: lim}
	if p, ok := preparedDocs.get(k); ok {
		return p, nil
	}
	p, err := s.prepare(query, opName, lim)
	if err != nil {
		return nil, err
	}
	preparedDocs.add(k, p)
	return p, nil
}

// prepare is Prepare without the cache.
func (s *Schema) prepare(query, opName string, lim Limits) (*Prepared, error) {
	if len(query) > lim.MaxQueryBytes {
		return nil, reqErr(CodeTooComplex, fmt.Sprintf("the document is longer than %d bytes", lim.MaxQueryBytes))
	}
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(query), Name: "GraphQL request"})})
	if err != nil {
		fe := gqlerrors.FormatErrors(err)
		for i := range fe {
			fe[i].Extensions = map[string]any{"code": CodeBadUserInput}
		}
		return nil, &RequestError{Errors: fe}
	}
	if err := precheck(doc, lim); err != nil {
		return nil, err
	}
	vr, err := s.validate(doc)
	if err != nil {
		return nil, err
	}
	if !vr.IsValid {
		for i := range vr.Errors {
			vr.Errors[i].Extensions = map[string]any{"code": CodeBadUserInput}
		}
		return nil, &RequestError{Errors: vr.Errors}
	}
	var op *ast.OperationDefinition
	frags := map[string]*ast.FragmentDefinition{}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if opName == "" && op != nil {
				return nil, reqErr(CodeBadUserInput, "the document has several operations: give operationName")
			}
			if opName == "" || d.Name != nil && d.Name.Value == opName {
				op = d
			}
		case *ast.FragmentDefinition:
			frags[d.Name.Value] = d
		}
	}
	if op == nil {
		return nil, reqErr(CodeBadUserInput, fmt.Sprintf("no operation named %q", opName))
	}
	c := &coster{frags: frags, lim: lim}
	depth, cost := c.selections(op.SelectionSet, 1, 1, false, map[string]bool{})
	if depth > lim.MaxDepth {
		return nil, reqErr(CodeTooComplex, fmt.Sprintf("the document is %d levels deep; the limit is %d", depth, lim.MaxDepth))
	}
	if cost > lim.MaxCost {
		return nil, reqErr(CodeTooComplex, fmt.Sprintf("the document's estimated cost is %d; the limit is %d", cost, lim.MaxCost))
	}
	return &Prepared{Doc: doc, Operation: op.Operation, OpName: opName, Depth: depth, Cost: cost, Introspection: introspects(doc)}, nil
}

// introspects reports whether any selection of doc is __schema or __type
// (a bounded walk: precheck has limited the document's nesting).
func introspects(doc *ast.Document) bool {
	return eachSelection(definitionSets(doc), func(sel ast.Selection) (*ast.SelectionSet, bool) {
		switch sel := sel.(type) {
		case *ast.Field:
			if n := sel.Name.Value; n == "__schema" || n == "__type" {
				return nil, true
			}
			return sel.SelectionSet, false
		case *ast.InlineFragment:
			return sel.SelectionSet, false
		}
		return nil, false
	})
}

// validate runs graphql-go's validation. A panic inside it (the parser
// lets some malformed documents through) is the document's fault: it is
// logged and refused, never allowed to take the request down.
func (s *Schema) validate(doc *ast.Document) (vr graphql.ValidationResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			if s.Cfg != nil {
				s.Cfg.Logger.Warn("graphql validation panicked on a document", "panic", fmt.Sprint(r))
			}
			err = reqErr(CodeBadUserInput, "the document is malformed: check its syntax")
		}
	}()
	return graphql.ValidateDocument(&s.Schema, doc, nil), nil
}

type coster struct {
	frags map[string]*ast.FragmentDefinition
	lim   Limits
}

const costCap = 1 << 40 // saturate instead of overflowing

// selections returns the depth and cost of a selection set at depth d
// under a list multiplier mult; sized says the field owning the set named
// its page (first/last), which then sizes its nodes or edges too.
func (c *coster) selections(ss *ast.SelectionSet, d, mult int, sized bool, inFrag map[string]bool) (int, int) {
	if ss == nil {
		return d - 1, 0
	}
	maxD, cost := d, 0
	add := func(dd, cc int) {
		maxD = max(maxD, dd)
		cost = min(cost+cc, costCap)
	}
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name.Value, "__") {
				continue
			}
			m := mult
			n, explicit := c.pageSize(s)
			if n > 0 && !(sized && isConnectionList(s.Name.Value)) {
				m = min(mult*n, costCap)
			}
			dd, cc := c.selections(s.SelectionSet, d+1, m, explicit, inFrag)
			if s.SelectionSet == nil {
				dd = d
			}
			add(dd, min(mult+cc, costCap))
		case *ast.InlineFragment:
			add(c.selections(s.SelectionSet, d, mult, sized, inFrag))
		case *ast.FragmentSpread:
			name := s.Name.Value
			f := c.frags[name]
			if f == nil || inFrag[name] {
				continue // validation rejects unknown and cyclic fragments
			}
			inFrag[name] = true
			add(c.selections(f.SelectionSet, d, mult, sized, inFrag))
			delete(inFrag, name)
		}
	}
	return maxD, cost
}

// pageSize returns the multiplier of a list field: its first/last
// argument, or the default page for connection-style fields; explicit
// says first or last was given (a variable counts as the default page).
func (c *coster) pageSize(f *ast.Field) (n int, explicit bool) {
	paged := false
	for _, a := range f.Arguments {
		switch a.Name.Value {
		case "first", "last":
			paged, explicit = true, true
			if v, ok := a.Value.(*ast.IntValue); ok {
				var n int
				if _, err := fmt.Sscan(v.Value, &n); err == nil && n > 0 {
					return n, true
				}
			}
		}
	}
	switch f.Name.Value {
	case "edges", "nodes", "transactions", "organisations", "apiTokens":
		paged = true
	}
	if paged {
		return c.lim.DefaultPage, explicit
	}
	return 0, false
}

// isConnectionList says whether a field is a connection's list (its
// nodes or edges), whose length the connection's first/last gives.
func isConnectionList(name string) bool { return name == "nodes" || name == "edges" }

// Execute runs a prepared query or mutation.
func (s *Schema) Execute(ctx context.Context, p *Prepared, vars map[string]any) *graphql.Result {
	return graphql.Execute(graphql.ExecuteParams{Schema: s.Schema, AST: p.Doc, OperationName: p.OpName, Args: vars, Context: ctx})
}

// Subscribe runs a prepared subscription; the channel closes when ctx
// ends or the source ends. The caller must drain it until it closes.
func (s *Schema) Subscribe(ctx context.Context, p *Prepared, vars map[string]any) chan *graphql.Result {
	return graphql.ExecuteSubscription(graphql.ExecuteParams{Schema: s.Schema, AST: p.Doc, OperationName: p.OpName, Args: vars, Context: ctx})
}

// Sanitize gives every error a code and replaces the message of errors
// that carry none (unexpected failures inside execution) with a generic
// one, logging the original.
func (s *Schema) Sanitize(ctx context.Context, errs []gqlerrors.FormattedError) []gqlerrors.FormattedError {
	for i := range errs {
		e := &errs[i]
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		var ue *Error
		if errors.As(e.OriginalError(), &ue) {
			e.Extensions = ue.Extensions()
			continue
		}
		if errors.Is(e.OriginalError(), context.DeadlineExceeded) || e.Message == context.DeadlineExceeded.Error() {
			// The request's time ran out (graphql-go reports it without a
			// path): the work may finish on the ledger; say so.
			e.Message = "the request took longer than the portal allows; it may still complete: check before retrying"
			e.Extensions = map[string]any{"code": CodeUnavailable}
			continue
		}
		if len(e.Path) == 0 {
			// Variable coercion and operation selection: user input.
			e.Extensions = map[string]any{"code": CodeBadUserInput}
			continue
		}
		s.Cfg.Logger.ErrorContext(ctx, "unexpected resolver error", "path", fmt.Sprint(e.Path), "err", e.Message)
		e.Message = "internal error"
		e.Extensions = map[string]any{"code": CodeInternal}
	}
	return errs
}
