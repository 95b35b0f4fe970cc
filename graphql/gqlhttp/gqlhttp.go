package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql/gqlerrors"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/session"
)

// Media types.
const (
	MediaGraphQLResponse = "application/graphql-response+json"
	MediaJSON            = "application/json"
)

// Config configures a Handler.
type Config struct {
	Schema *schema.Schema
	Limits schema.Limits
	// Timeout bounds one operation's execution (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
	// MaxBodyBytes bounds a JSON request body, and a multipart request's
	// operations field (default schema.MaxJSONBodyBytes).
	MaxBodyBytes int
	// MaxUploadBytes bounds a multipart request's body (default
	// schema.MaxUploadRequestBytes), MaxFileBytes one file in it
	// (default schema.MaxUploadFileBytes) and MaxFiles its files
	// (default 4). Larger bodies answer 413 PAYLOAD_TOO_LARGE.
	MaxUploadBytes, MaxFileBytes, MaxFiles int
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Schema == nil {
		return errors.New("gqlhttp: Schema is required")
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	defaults.Set(&c.Timeout, 10*time.Second)
	defaults.Logger(&c.Logger)
	defaults.Set(&c.MaxBodyBytes, schema.MaxJSONBodyBytes)
	defaults.Set(&c.MaxFileBytes, schema.MaxUploadFileBytes)
	defaults.Set(&c.MaxUploadBytes, schema.MaxUploadRequestBytes)
	defaults.Set(&c.MaxFiles, 4)
	if c.MaxBodyBytes < c.Limits.MaxQueryBytes {
		return fmt.Errorf("gqlhttp: MaxBodyBytes %d is below the query limit %d", c.MaxBodyBytes, c.Limits.MaxQueryBytes)
	}
	return nil
}

// Handler serves GraphQL requests. It is safe for concurrent use.
type Handler struct{ cfg Config }

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg}, nil
}

// MaxRequestBytes is the largest body the handler takes (a multipart
// request's): the HTTP server must read bodies up to this size on the
// GraphQL route, and leave the smaller limit of JSON bodies to Serve.
func (h *Handler) MaxRequestBytes() int { return max(h.cfg.MaxBodyBytes, h.cfg.MaxUploadBytes) }

// Request is one HTTP request, as the framework saw it.
type Request struct {
	Method      string
	ContentType string
	Accept      string
	// Query is the URL's query string parameters (GET).
	Query url.Values
	// Body is the whole request body. It must stay valid and unchanged
	// until Serve returns: the files of a multipart request reach their
	// resolvers as slices of it (schema.Upload), not copies.
	Body []byte
	// Principal is who the request acts for (nil: anonymous).
	Principal *session.Principal
	// MutationDenied, if non-nil, refuses mutations (e.g. a cookie
	// session without a valid CSRF token); it must be a *schema.Error.
	MutationDenied *schema.Error
}

// Response is what to write back.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Allow is set with 405.
	Allow string
	// Operation is "query", "mutation", "subscription" or "" when none ran.
	Operation string
	// Codes are the extensions.code values of the errors, for metrics.
	Codes []string
}

type params struct {
	Query         string
	OperationName string
	Variables     map[string]any
}

type outError struct {
	Message    string           `json:"message"`
	Locations  []map[string]int `json:"locations,omitempty"`
	Path       []any            `json:"path,omitempty"`
	Extensions map[string]any   `json:"extensions,omitempty"`
}

type body struct {
	Data       any            `json:"data,omitempty"`
	HasData    bool           `json:"-"`
	Errors     []outError     `json:"errors,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// negotiate picks the response media type from Accept ("" if none fits).
func negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return MediaJSON
	}
	type cand struct {
		media string
		q     float64
		order int
	}
	var cs []cand
	for i, part := range strings.Split(accept, ",") {
		mt, ps, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			continue
		}
		q := 1.0
		if v, ok := ps["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q <= 0 {
			continue
		}
		switch mt {
		case MediaGraphQLResponse:
			cs = append(cs, cand{MediaGraphQLResponse, q, i})
		case MediaJSON, "application/*", "*/*":
			cs = append(cs, cand{MediaJSON, q, i})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.SliceStable(cs, func(a, b int) bool {
		if cs[a].q != cs[b].q {
			return cs[a].q > cs[b].q
		}
		// Equal preference: the spec's media type first.
		return cs[a].media == MediaGraphQLResponse && cs[b].media != MediaGraphQLResponse
	})
	return cs[0].media
}

// Serve handles one request.
func (h *Handler) Serve(ctx context.Context, r Request) Response {
	media := negotiate(r.Accept)
	if media == "" {
		return Response{Status: http.StatusNotAcceptable, ContentType: "text/plain; charset=utf-8",
			Body: []byte("accept application/graphql-response+json or application/json\n")}
	}
	var p params
	switch r.Method {
	case http.MethodGet:
		var bad *schema.Error
		p, bad = fromQuery(r.Query)
		if bad != nil {
			return h.requestError(media, http.StatusBadRequest, bad)
		}
	case http.MethodPost:
		mt, ps, err := mime.ParseMediaType(r.ContentType)
		switch {
		case err == nil && mt == MediaJSON:
			if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
				return h.write(media, http.StatusUnsupportedMediaType, "", &body{Errors: []outError{codeErr(schema.CodeBadUserInput, "the request must be UTF-8")}})
			}
			if len(r.Body) > h.cfg.MaxBodyBytes {
				e := schema.TooLarge("the request body", h.cfg.MaxBodyBytes)
				e.Message += fmt.Sprintf("; send large content (a record of up to %s) as a file of a GraphQL multipart request (multipart/form-data)",
					schema.Bytes(h.cfg.MaxFileBytes))
				return h.tooLarge(media, e, h.cfg.MaxBodyBytes)
			}
			var bad *schema.Error
			p, bad = fromBody(r.Body)
			if bad != nil {
				return h.requestError(media, http.StatusBadRequest, bad)
			}
		case err == nil && mt == "multipart/form-data":
			if len(r.Body) > h.cfg.MaxUploadBytes {
				return h.tooLarge(media, schema.TooLarge("the multipart request body", h.cfg.MaxUploadBytes), h.cfg.MaxUploadBytes)
			}
			var bad *refusal
			p, bad = h.fromMultipart(r.Body, ps["boundary"])
			if bad != nil && bad.status == http.StatusRequestEntityTooLarge {
				return h.tooLarge(media, bad.err, bad.limit)
			}
			if bad != nil {
				return h.requestError(media, bad.status, bad.err)
			}
		default:
			return h.write(media, http.StatusUnsupportedMediaType, "", &body{Errors: []outError{codeErr(schema.CodeBadUserInput,
				"send Content-Type: application/json, or multipart/form-data for a GraphQL multipart request with files")}})
		}
	default:
		return Response{Status: http.StatusMethodNotAllowed, Allow: "GET, POST", ContentType: "text/plain; charset=utf-8", Body: []byte("use GET or POST\n")}
	}

	s := h.cfg.Schema
	prep, err := s.Prepare(p.Query, p.OperationName, h.cfg.Limits)
	if err != nil {
		var re *schema.RequestError
		if !errors.As(err, &re) {
			return h.internal(ctx, media, err)
		}
		return h.write(media, reqStatus(media), "", &body{Errors: convert(re.Errors)})
	}
	if re := prep.Refused(r.Principal, h.cfg.Limits); re != nil {
		return h.write(media, reqStatus(media), prep.Operation, &body{Errors: convert(re.Errors)})
	}
	switch {
	case prep.Operation == schema.OpMutation && r.Method == http.MethodGet:
		resp := h.write(media, http.StatusMethodNotAllowed, prep.Operation, &body{Errors: []outError{codeErr(schema.CodeBadUserInput, "mutations are accepted over POST only")}})
		resp.Allow = "POST"
		return resp
	case prep.Operation == schema.OpSubscription:
		return h.write(media, reqStatus(media), prep.Operation, &body{Errors: []outError{codeErr(schema.CodeBadUserInput, "subscriptions run over WebSocket (graphql-transport-ws) at this URL")}})
	case prep.Operation == schema.OpMutation && r.MutationDenied != nil:
		return h.write(media, http.StatusForbidden, prep.Operation, &body{Errors: []outError{codeErr(r.MutationDenied.Code, r.MutationDenied.Message)}})
	}
	ectx, cancel := context.WithTimeout(s.WithRequest(ctx, r.Principal), h.cfg.Timeout)
	defer cancel()
	res := s.Execute(ectx, prep, p.Variables)
	errs := convert(s.Sanitize(ectx, res.Errors))
	if res.Data == nil && !executed(res.Errors) {
		// Nothing ran: variables did not coerce or the operation was not
		// found.
		return h.write(media, reqStatus(media), prep.Operation, &body{Errors: errs})
	}
	// It ran, even when a failed non-null root field made "data" null: the
	// GraphQL-over-HTTP spec answers such a response with 2xx and "data".

	return h.write(media, http.StatusOK, prep.Operation, &body{Data: res.Data, HasData: true, Errors: errs})
}

// executed reports whether errs come from executing fields (they have a
// path) rather than from a request that never ran.
func executed(errs []gqlerrors.FormattedError) bool {
	for _, e := range errs {
		if len(e.Path) > 0 {
			return true
		}
	}
	return false
}

// reqStatus is the status of a request error: 400 under the spec's media
// type, 200 under application/json.
func reqStatus(media string) int {
	if media == MediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

func (h *Handler) requestError(media string, status int, e *schema.Error) Response {
	return h.write(media, status, "", &body{Errors: []outError{codeErr(e.Code, e.Message)}})
}

// tooLarge answers 413 PAYLOAD_TOO_LARGE with the limit in bytes.
func (h *Handler) tooLarge(media string, e *schema.Error, limit int) Response {
	oe := codeErr(schema.CodePayloadTooLarge, e.Message)
	oe.Extensions["limit"] = limit
	return h.write(media, http.StatusRequestEntityTooLarge, "", &body{Errors: []outError{oe}})
}

func (h *Handler) internal(ctx context.Context, media string, err error) Response {
	h.cfg.Logger.ErrorContext(ctx, "graphql request failed", "err", err)
	return h.write(media, http.StatusInternalServerError, "", &body{Errors: []outError{codeErr(schema.CodeInternal, "internal error")}})
}

func codeErr(code, msg string) outError {
	return outError{Message: msg, Extensions: map[string]any{"code": code}}
}

func convert(fe []gqlerrors.FormattedError) []outError {
	out := make([]outError, len(fe))
	for i, e := range fe {
		o := outError{Message: e.Message, Path: e.Path, Extensions: e.Extensions}
		for _, l := range e.Locations {
			o.Locations = append(o.Locations, map[string]int{"line": l.Line, "column": l.Column})
		}
		out[i] = o
	}
	return out
}

func (h *Handler) write(media string, status int, op string, b *body) Response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var err error
	if b.HasData {
		// Keep "data" even when null-valued fields make it a map.
		err = enc.Encode(struct {
			Data   any        `json:"data"`
			Errors []outError `json:"errors,omitempty"`
		}{b.Data, b.Errors})
	} else {
		err = enc.Encode(b)
	}
	if err != nil {
		h.cfg.Logger.Error("encoding a GraphQL response", "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	resp := Response{Status: status, ContentType: media + "; charset=utf-8", Body: bytes.TrimRight(buf.Bytes(), "\n"), Operation: op}
	for _, e := range b.Errors {
		if c, ok := e.Extensions["code"].(string); ok {
			resp.Codes = append(resp.Codes, c)
		}
	}
	return resp
}

func fromQuery(q url.Values) (params, *schema.Error) {
	var p params
	if !q.Has("query") {
		return p, schema.Errorf(schema.CodeBadUserInput, "give the query parameter")
	}
	p.Query = q.Get("query")
	p.OperationName = q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		if err := json.Unmarshal([]byte(v), &p.Variables); err != nil {
			return p, schema.Errorf(schema.CodeBadUserInput, "variables must be a JSON object")
		}
	}
	if v := q.Get("extensions"); v != "" {
		var ext map[string]any
		if err := json.Unmarshal([]byte(v), &ext); err != nil {
			return p, schema.Errorf(schema.CodeBadUserInput, "extensions must be a JSON object")
		}
	}
	return p, nil
}

// fromBody parses a POST body's request parameters.
func fromBody(b []byte) (params, *schema.Error) {
	var p params
	if len(bytes.TrimSpace(b)) == 0 {
		return p, schema.Errorf(schema.CodeBadUserInput, "the request body is empty")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return p, schema.Errorf(schema.CodeBadUserInput, "the request body is not a JSON object")
	}
	q, ok := raw["query"]
	if !ok || json.Unmarshal(q, &p.Query) != nil {
		return p, schema.Errorf(schema.CodeBadUserInput, "query must be a string")
	}
	if v, ok := raw["operationName"]; ok && string(v) != "null" {
		if json.Unmarshal(v, &p.OperationName) != nil {
			return p, schema.Errorf(schema.CodeBadUserInput, "operationName must be a string or null")
		}
	}
	if v, ok := raw["variables"]; ok && string(v) != "null" {
		if json.Unmarshal(v, &p.Variables) != nil || p.Variables == nil {
			return p, schema.Errorf(schema.CodeBadUserInput, "variables must be an object or null")
		}
	}
	if v, ok := raw["extensions"]; ok && string(v) != "null" {
		var ext map[string]any
		if json.Unmarshal(v, &ext) != nil || ext == nil {
			return p, schema.Errorf(schema.CodeBadUserInput, "extensions must be an object or null")
		}
	}
	return p, nil
}
