package gqlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// CSRFHeader carries a session's CSRF token (portal/server.CSRFHeader).
	CSRFHeader = "X-CSRF-Token"
	// DefaultTimeout bounds a request, its answer read included, when
	// Config.Timeout is 0.
	DefaultTimeout = time.Minute
	// DefaultMaxResponseBytes bounds an answer's body when
	// Config.MaxResponseBytes is 0: room for a record of the largest size
	// the portal takes (16 MiB) read back as an escaped JSON string.
	DefaultMaxResponseBytes = 64 << 20

	mediaGraphQLResponse = "application/graphql-response+json"
)

// ErrResponseTooLarge: an answer was longer than Config.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("gqlclient: answer over the size limit")

// Config says which portal a Client talks to and how.
type Config struct {
	// URL is the portal's base URL (http or https, the host, and a path
	// prefix if the portal is served under one), without /graphql.
	URL string
	// BearerToken, when set, authenticates every request with this API
	// token's secret (Authorization: Bearer) instead of a session.
	BearerToken string
	// Timeout bounds each request, its answer read included;
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds an answer's body; 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Transport sends the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// Validate says what is wrong with c, if anything.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("gqlclient: URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("gqlclient: URL %q: want http(s)://host[:port][/prefix]", c.URL)
	}
	if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/graphql") {
		return fmt.Errorf("gqlclient: URL %q: give the portal's base URL, without /graphql", c.URL)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("gqlclient: negative Timeout %v", c.Timeout)
	}
	if c.MaxResponseBytes < 0 {
		return fmt.Errorf("gqlclient: negative MaxResponseBytes %d", c.MaxResponseBytes)
	}
	return nil
}

// Client is a client of one portal: anonymous, signed in (SignIn) or
// authenticated by an API token. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
	max  int64

	mu sync.Mutex
	id identity
}

// identity is what each request sends to say who it is from.
type identity struct {
	csrf, bearer, origin string
}

func (c *Client) identity() identity {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

func (c *Client) setIdentity(set func(*identity)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set(&c.id)
}

// New returns a client of the portal cfg names, with an empty cookie jar.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("gqlclient: cookie jar: %w", err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	limit := cfg.MaxResponseBytes
	if limit == 0 {
		limit = DefaultMaxResponseBytes
	}
	return &Client{
		base: base,
		hc:   &http.Client{Jar: jar, Timeout: timeout, Transport: cfg.Transport},
		max:  limit,
		id:   identity{bearer: cfg.BearerToken},
	}, nil
}

// URL is the portal's base URL.
func (c *Client) URL() string { return c.base.String() }

// CSRFToken is the token sent in X-CSRF-Token: the signed-in session's,
// or what SetCSRFToken set.
func (c *Client) CSRFToken() string { return c.identity().csrf }

// SetCSRFToken replaces the token sent in X-CSRF-Token ("" sends none).
func (c *Client) SetCSRFToken(token string) { c.setIdentity(func(id *identity) { id.csrf = token }) }

// BearerToken is the API token's secret sent as Authorization: Bearer.
func (c *Client) BearerToken() string { return c.identity().bearer }

// SetBearerToken replaces the API token's secret sent as Authorization:
// Bearer ("" sends none).
func (c *Client) SetBearerToken(secret string) {
	c.setIdentity(func(id *identity) { id.bearer = secret })
}

// SetOrigin sets the Origin header sent with every request, as a browser
// sends it ("" sends none).
func (c *Client) SetOrigin(origin string) { c.setIdentity(func(id *identity) { id.origin = origin }) }

// Cookies are the cookies the jar holds for the portal (the session
// cookie once signed in).
func (c *Client) Cookies() []*http.Cookie { return c.hc.Jar.Cookies(c.base) }

// Session is a signed-in principal as /auth/login and /auth/session
// describe it.
type Session struct {
	Account            string    `json:"account"`
	Via                string    `json:"via"` // "session" or "token"; empty from /auth/login
	CSRFToken          string    `json:"csrfToken"`
	Expires            time.Time `json:"expires"` // zero from /auth/session
	MustChangePassword bool      `json:"mustChangePassword"`
	// Header is the answer's headers (Set-Cookie among them).
	Header http.Header `json:"-"`
}

// SignIn signs in with an account's password: the jar keeps the session
// cookie and later requests send the session's CSRF token. A refusal
// (wrong password, a locked account: 401, 429) is a *ResponseError and
// leaves the client as it was.
func (c *Client) SignIn(ctx context.Context, account, password string) (*Session, error) {
	body, err := json.Marshal(map[string]string{"account": account, "password": password})
	if err != nil {
		return nil, fmt.Errorf("gqlclient: encoding the sign-in: %w", err)
	}
	s, err := c.session(ctx, http.MethodPost, "/auth/login", body)
	if err != nil {
		return nil, err
	}
	if s.CSRFToken == "" {
		return nil, fmt.Errorf("gqlclient: signing in as %s: the answer has no CSRF token", account)
	}
	c.SetCSRFToken(s.CSRFToken)
	return s, nil
}

// Session asks the portal who the client is (GET /auth/session); not
// being signed in is a *ResponseError with status 401. It changes
// nothing in the client.
func (c *Client) Session(ctx context.Context) (*Session, error) {
	return c.session(ctx, http.MethodGet, "/auth/session", nil)
}

func (c *Client) session(ctx context.Context, method, path string, body []byte) (*Session, error) {
	a, err := c.send(ctx, method, path, "application/json", body)
	if err != nil {
		return nil, err
	}
	if a.Status != http.StatusOK {
		return nil, a.refusal()
	}
	var s Session
	if err := json.Unmarshal(a.Body, &s); err != nil {
		return nil, fmt.Errorf("gqlclient: %s %s: %w (%.300s)", method, path, err, a.Body)
	}
	s.Header = a.Header
	return &s, nil
}

// GraphQLError is one entry of an answer's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Code is the error's extensions.code ("" when it has none).
func (e GraphQLError) Code() string {
	code, _ := e.Extensions["code"].(string)
	return code
}

// Response is the portal's answer to a GraphQL request, whatever its HTTP
// status.
type Response struct {
	Status int
	Header http.Header
	// Data is the answer's data as sent: "null" when the operation ran
	// and failed, nil when it did not run.
	Data   json.RawMessage
	Errors []GraphQLError
	// Body is the answer as received.
	Body []byte
}

// Code is the first error's extensions.code ("" without errors).
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

// Err is a *ResponseError when the answer has errors or a status other
// than 200, else nil.
func (r *Response) Err() error {
	if len(r.Errors) == 0 && r.Status == http.StatusOK {
		return nil
	}
	return &ResponseError{*r}
}

// Decode decodes the answer's data into out.
func (r *Response) Decode(out any) error {
	if len(r.Data) == 0 {
		return fmt.Errorf("gqlclient: the answer (HTTP %d) has no data: %.300s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("gqlclient: decoding the data: %w", err)
	}
	return nil
}

// ResponseError is an answer the portal gave that is not a success: a
// status other than 200, or GraphQL errors, or a body that is not a
// GraphQL answer at all (Errors empty).
type ResponseError struct {
	Response
}

func (e *ResponseError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("HTTP %d: %.300s", e.Status, e.Body)
	}
	var b strings.Builder
	if e.Status != http.StatusOK {
		fmt.Fprintf(&b, "HTTP %d: ", e.Status)
	}
	b.WriteString(e.Errors[0].Message)
	if code := e.Code(); code != "" {
		fmt.Fprintf(&b, " (%s)", code)
	}
	if n := len(e.Errors) - 1; n > 0 {
		fmt.Fprintf(&b, " and %d more", n)
	}
	return b.String()
}

// Do posts a query or mutation with its variables (nil for none) as JSON
// to /graphql. Any GraphQL answer is a *Response, errors and all; an
// error is a request that got no answer, an answer over the size limit,
// or one that is not a GraphQL answer (a *ResponseError without Errors).
func (c *Client) Do(ctx context.Context, query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		return nil, fmt.Errorf("gqlclient: encoding the request: %w", err)
	}
	return c.Post(ctx, "application/json", body)
}

// Run is Do for callers that want success only: it decodes the data into
// out (unless out is nil) and makes any errors, or a status other than
// 200, a *ResponseError.
func (c *Client) Run(ctx context.Context, query string, vars map[string]any, out any) error {
	r, err := c.Do(ctx, query, vars)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return r.Decode(out)
}

// Post posts a request body already encoded (JSON of a query and its
// variables, or a GraphQL multipart request with files) of contentType to
// /graphql, and decodes the answer as Do does.
func (c *Client) Post(ctx context.Context, contentType string, body []byte) (*Response, error) {
	a, err := c.send(ctx, http.MethodPost, "/graphql", contentType, body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []GraphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(a.Body, &out); err != nil || (out.Data == nil && out.Errors == nil) {
		return nil, a.refusal()
	}
	a.Data, a.Errors = out.Data, out.Errors
	return a, nil
}

// send makes one request with the client's credentials and reads the
// answer up to the size limit; Data and Errors are left to the caller.
func (c *Client) send(ctx context.Context, method, path, contentType string, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, fmt.Errorf("gqlclient: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", mediaGraphQLResponse)
	id := c.identity()
	if id.csrf != "" {
		req.Header.Set(CSRFHeader, id.csrf)
	}
	if id.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+id.bearer)
	}
	if id.origin != "" {
		req.Header.Set("Origin", id.origin)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		return nil, fmt.Errorf("gqlclient: reading the answer to %s %s: %w", method, path, err)
	}
	if int64(len(b)) > c.max {
		return nil, fmt.Errorf("%w: %s %s answered over %d bytes", ErrResponseTooLarge, method, path, c.max)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// refusal is the answer r as a *ResponseError, with the errors of its
// body when it has the shape of GraphQL errors (as /auth answers do).
func (r *Response) refusal() *ResponseError {
	var out struct {
		Errors []GraphQLError `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &out)
	e := &ResponseError{*r}
	e.Errors = out.Errors
	return e
}
