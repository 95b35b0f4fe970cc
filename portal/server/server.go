package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/almoner/almoner/graphql/gqlhttp"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/graphql/transportws"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/session"
)

// Cookie and header names.
const (
	SessionCookie = "almoner_session"
	CSRFHeader    = "X-CSRF-Token"
)

// Health is what /healthz asks: *readmodel.Follower satisfies it.
type Health interface {
	Lag() (uint64, bool)
	NodeSeen() time.Time
}

// Config configures the portal's HTTP server.
type Config struct {
	Schema   *schema.Schema
	Sessions *session.Store
	Health   Health
	Logger   *slog.Logger
	// Registry receives the portal's metrics (a fresh one if nil).
	Registry *prometheus.Registry
	Limits   schema.Limits
	// BodyLimit bounds a request body (default 1 MiB).
	BodyLimit int
	// RequestTimeout bounds one GraphQL operation (default 10s);
	// ReadTimeout, WriteTimeout and IdleTimeout bound connections
	// (defaults 10s, 30s, 60s).
	RequestTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// RatePerIP and RatePerUser are requests per RateWindow (defaults
	// 600 and 1200 per minute).
	RatePerIP, RatePerUser int
	RateWindow             time.Duration
	// LoginRatePerIP bounds login attempts per IP per RateWindow
	// (default 300: generous, so that people behind one address are not
	// locked out together; guessing is bounded per account).
	LoginRatePerIP int
	// HealthMaxLag is the most blocks the read model may trail the node
	// and still be ready (default 2); HealthNodeStale is how old the
	// node's last status may be (default 10s).
	HealthMaxLag    uint64
	HealthNodeStale time.Duration
	// SecureCookies marks cookies Secure (set when serving TLS or behind
	// a TLS proxy).
	SecureCookies bool
	// AllowedOrigins are origins besides the portal's own that may send
	// mutations and open WebSockets with a session cookie.
	AllowedOrigins []string
	// WSInitTimeout bounds a WebSocket client's connection_init (default
	// 10s).
	WSInitTimeout time.Duration
	// WSAliveEvery is how often a WebSocket's session or token is checked
	// (a sign-out, password change or revocation closes it; default 15s).
	WSAliveEvery time.Duration
	// Frontend is the web app served at / and its client-side routes
	// (frontend.FS()); nil serves none. It never answers for /graphql,
	// /graphiql, /auth, /healthz or /metrics.
	Frontend fs.FS
	// DevAccounts, set only by a development portal (--dev), lists the
	// demo accounts with their passwords at GET /auth/dev-accounts for the
	// web app's role switcher; nil leaves the route out (404).
	DevAccounts func() ([]DevAccount, error)
	// Genesis is the consortium's genesis file, served as it is at GET
	// /genesis.json: it is public (the chain id, the organisations, and
	// the node keys whose signatures make a receipt genuine), and the web
	// app's receipt verification trusts it by default. Nil leaves the
	// route out (404).
	Genesis []byte
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Schema == nil || c.Sessions == nil || c.Health == nil {
		return errors.New("server: Schema, Sessions and Health are required")
	}
	defaults.Logger(&c.Logger)
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	defaults.Set(&c.RequestTimeout, 10*time.Second)
	defaults.Set(&c.ReadTimeout, 60*time.Second) // a 16 MiB record at ~3 Mbit/s
	defaults.Set(&c.WriteTimeout, 30*time.Second)
	defaults.Set(&c.IdleTimeout, 60*time.Second)
	defaults.Set(&c.RateWindow, time.Minute)
	defaults.Set(&c.HealthNodeStale, 10*time.Second)
	defaults.Set(&c.WSInitTimeout, 10*time.Second)
	defaults.Set(&c.WSAliveEvery, 15*time.Second)
	defaults.Set(&c.BodyLimit, 1<<20)
	if c.BodyLimit < c.Limits.MaxQueryBytes {
		return fmt.Errorf("server: BodyLimit %d is below the query limit %d", c.BodyLimit, c.Limits.MaxQueryBytes)
	}
	defaults.Set(&c.RatePerIP, 600)
	defaults.Set(&c.RatePerUser, 1200)
	// Generous: guessing is bounded per account (session.Config
	// MaxLoginFailures); this only stops one address flooding.
	defaults.Set(&c.LoginRatePerIP, 300)
	defaults.Set(&c.HealthMaxLag, 2)
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("server: allowed origin %q is not scheme://host[:port]", o)
		}
	}
	return nil
}

// Server is the portal's HTTP server.
type Server struct {
	cfg     Config
	app     *fiber.App
	gql     *gqlhttp.Handler
	ws      *transportws.Server
	m       *metrics
	wsCtx   context.Context
	wsStop  context.CancelFunc
	wsConns sync.WaitGroup
}

type principalKey struct{}

// New builds the server.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	gql, err := gqlhttp.New(gqlhttp.Config{Schema: cfg.Schema, Limits: cfg.Limits, Timeout: cfg.RequestTimeout, Logger: cfg.Logger,
		MaxBodyBytes: cfg.BodyLimit})
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.Health)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, gql: gql, m: m}
	s.ws, err = transportws.New(transportws.Config{
		Schema: cfg.Schema, Limits: cfg.Limits, InitTimeout: cfg.WSInitTimeout, Logger: cfg.Logger,
		Authenticate: s.wsAuthenticate, Alive: cfg.Sessions.Alive, AliveEvery: cfg.WSAliveEvery,
		OnOperation: func(kind string) { m.ops.WithLabelValues("ws", kind).Inc() },
	})
	if err != nil {
		return nil, err
	}
	s.wsCtx, s.wsStop = context.WithCancel(context.Background())
	// The GraphQL route reads bodies up to a multipart upload's size (a
	// record as a file); every other route keeps BodyLimit (bodyLimit).
	// fasthttp must not parse multipart forms itself: it would spool large
	// files, health records, to temporary files on disk in plain text.
	s.app = fiber.New(fiber.Config{
		AppName: "almoner-portal", BodyLimit: max(cfg.BodyLimit, gql.MaxRequestBytes()), ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, DisableStartupMessage: true,
		DisablePreParseMultipartForm: true, ErrorHandler: s.errorHandler,
	})
	s.routes()
	return s, nil
}

// App returns the fiber app (for tests: app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting requests, ends WebSocket connections and waits
// for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.wsStop()
	err := s.app.ShutdownWithContext(ctx)
	done := make(chan struct{})
	go func() { s.wsConns.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return err
}

func (s *Server) routes() {
	a := s.app
	a.Use(s.recoverAndObserve)
	a.Use(securityHeaders)
	a.Use(s.bodyLimit)
	a.Get("/healthz", s.healthz)
	a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})))
	a.Get("/graphiql", s.graphiqlPage)
	a.Get("/graphiql/:file", graphiqlAsset)
	if s.cfg.Genesis != nil {
		a.Get("/genesis.json", s.genesisFile)
	}

	a.Use(limiter.New(limiter.Config{
		Max: s.cfg.RatePerIP, Expiration: s.cfg.RateWindow,
		KeyGenerator: func(c *fiber.Ctx) string { return "ip:" + c.IP() },
		LimitReached: rateLimited,
	}))
	a.Post("/auth/login", limiter.New(limiter.Config{
		Max: s.cfg.LoginRatePerIP, Expiration: s.cfg.RateWindow,
		KeyGenerator: func(c *fiber.Ctx) string { return "login:" + c.IP() },
		LimitReached: rateLimited,
	}), s.login)
	a.Use(s.authenticate)
	a.Use(limiter.New(limiter.Config{
		Max: s.cfg.RatePerUser, Expiration: s.cfg.RateWindow,
		Next:         func(c *fiber.Ctx) bool { return principal(c) == nil },
		KeyGenerator: func(c *fiber.Ctx) string { return "user:" + principal(c).Account },
		LimitReached: rateLimited,
	}))
	a.Get("/auth/session", s.sessionInfo)
	a.Get("/auth/status", s.sessionStatus)
	a.Post("/auth/logout", s.logout)
	wsHandler := websocket.New(s.serveWS, websocket.Config{Subprotocols: []string{transportws.Subprotocol}, HandshakeTimeout: 10 * time.Second})
	a.Get("/graphql", func(c *fiber.Ctx) error {
		if websocket.IsWebSocketUpgrade(c) {
			return s.upgrade(c, wsHandler)
		}
		return s.graphql(c)
	})
	a.Post("/graphql", s.graphql)
	a.All("/graphql", s.graphql) // other methods: 405 from gqlhttp
	if s.cfg.DevAccounts != nil {
		a.Get("/auth/dev-accounts", s.devAccounts)
	}
	if s.cfg.Frontend != nil {
		a.Get("/*", s.frontend) // last: the web app never shadows the routes above
	}
}

func rateLimited(c *fiber.Ctx) error {
	c.Set(fiber.HeaderRetryAfter, "60")
	return c.Status(fiber.StatusTooManyRequests).JSON(errBody(schema.CodeRateLimited, "too many requests; slow down"))
}

func errBody(code, msg string) fiber.Map {
	return fiber.Map{"errors": []fiber.Map{{"message": msg, "extensions": fiber.Map{"code": code}}}}
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := schema.CodeBadUserInput
		switch fe.Code {
		case fiber.StatusNotFound:
			code = schema.CodeNotFound
		case fiber.StatusRequestEntityTooLarge:
			limit := max(s.cfg.BodyLimit, s.gql.MaxRequestBytes())
			e := schema.TooLarge("the request body", limit)
			return c.Status(fe.Code).JSON(fiber.Map{"errors": []fiber.Map{{"message": e.Message,
				"extensions": fiber.Map{"code": schema.CodePayloadTooLarge, "limit": limit}}}})
		}
		if fe.Code >= 500 {
			code = schema.CodeInternal
		}
		return c.Status(fe.Code).JSON(errBody(code, fe.Message))
	}
	s.cfg.Logger.Error("request failed", "route", c.Route().Path, "err", err)
	return c.Status(fiber.StatusInternalServerError).JSON(errBody(schema.CodeInternal, "internal error"))
}

// bodyLimit keeps BodyLimit on every route but GraphQL's (whose handler
// bounds JSON bodies itself and lets multipart uploads be larger).
func (s *Server) bodyLimit(c *fiber.Ctx) error {
	if c.Path() != "/graphql" && len(c.Body()) > s.cfg.BodyLimit {
		e := schema.TooLarge("the request body", s.cfg.BodyLimit)
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"errors": []fiber.Map{{"message": e.Message,
			"extensions": fiber.Map{"code": schema.CodePayloadTooLarge, "limit": s.cfg.BodyLimit}}}})
	}
	return c.Next()
}

func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

func (s *Server) healthz(c *fiber.Ctx) error {
	lag, known := s.cfg.Health.Lag()
	seen := s.cfg.Health.NodeSeen()
	fresh := !seen.IsZero() && time.Since(seen) <= s.cfg.HealthNodeStale
	body := fiber.Map{"lag": lag, "node_reachable": fresh}
	if known && fresh && lag <= s.cfg.HealthMaxLag {
		body["status"] = "ok"
		return c.Status(fiber.StatusOK).JSON(body)
	}
	body["status"] = "catching up"
	if !fresh {
		body["status"] = "node unreachable"
	}
	return c.Status(fiber.StatusServiceUnavailable).JSON(body)
}

func principal(c *fiber.Ctx) *session.Principal {
	p, _ := c.Locals(principalKey{}).(*session.Principal)
	return p
}

// authenticate resolves the principal: a bearer token (an invalid one is
// refused with 401) or the session cookie (an invalid one is dropped).
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return c.Status(fiber.StatusUnauthorized).JSON(errBody(schema.CodeUnauthenticated, "use Authorization: Bearer <API token>"))
		}
		p, err := s.cfg.Sessions.Token(strings.TrimSpace(tok))
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="almoner"`)
			return c.Status(fiber.StatusUnauthorized).JSON(errBody(schema.CodeUnauthenticated, "the API token is unknown, expired or revoked"))
		}
		c.Locals(principalKey{}, p)
		return c.Next()
	}
	if ck := c.Cookies(SessionCookie); ck != "" {
		p, err := s.cfg.Sessions.Session(ck)
		if err == nil {
			c.Locals(principalKey{}, p)
		} else {
			s.clearCookie(c)
		}
	}
	return c.Next()
}

// sameOrigin reports whether the request's Origin (or, lacking it, its
// Referer) is the portal itself or an allowed origin. A request with
// neither header is not from a browser page and passes.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		if ref := c.Get(fiber.HeaderReferer); ref != "" {
			if u, err := url.Parse(ref); err == nil {
				origin = u.Scheme + "://" + u.Host
			}
		}
	}
	if origin == "" {
		return true
	}
	if origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if u.Host == c.Hostname() {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// csrfError says why a cookie-authenticated state change is refused (nil
// when it may proceed): the Origin must be ours and the X-CSRF-Token
// header must equal the session's token.
func (s *Server) csrfError(c *fiber.Ctx) *schema.Error {
	p := principal(c)
	if p == nil || p.Via != "session" {
		return nil
	}
	if !s.sameOrigin(c) {
		return schema.Errorf(schema.CodeForbidden, "cross-origin request refused")
	}
	if subtle.ConstantTimeCompare([]byte(c.Get(CSRFHeader)), []byte(p.CSRF)) != 1 {
		return schema.Errorf(schema.CodeForbidden, "missing or wrong "+CSRFHeader+" header (GET /auth/session gives the token)")
	}
	return nil
}

func (s *Server) graphql(c *fiber.Ctx) error {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return c.Status(fiber.StatusBadRequest).JSON(errBody(schema.CodeBadUserInput, "malformed query string"))
	}
	r := gqlhttp.Request{
		Method: c.Method(), ContentType: c.Get(fiber.HeaderContentType), Accept: c.Get(fiber.HeaderAccept),
		Query: q, Body: c.Body(), Principal: principal(c), MutationDenied: s.csrfError(c),
	}
	resp := s.gql.Serve(c.UserContext(), r)
	for _, code := range resp.Codes {
		s.m.gqlErrors.WithLabelValues(code).Inc()
	}
	if resp.Operation != "" {
		s.m.ops.WithLabelValues("http", resp.Operation).Inc()
	}
	c.Locals(opKey{}, resp.Operation)
	if resp.Allow != "" {
		c.Set(fiber.HeaderAllow, resp.Allow)
	}
	c.Set(fiber.HeaderContentType, resp.ContentType)
	return c.Status(resp.Status).Send(resp.Body)
}

type opKey struct{}

// upgrade checks a WebSocket handshake before handing it over.
func (s *Server) upgrade(c *fiber.Ctx, ws fiber.Handler) error {
	if !s.sameOrigin(c) {
		return c.Status(fiber.StatusForbidden).JSON(errBody(schema.CodeForbidden, "cross-origin WebSocket refused"))
	}
	offered := false
	for _, p := range strings.Split(c.Get("Sec-WebSocket-Protocol"), ",") {
		if strings.TrimSpace(p) == transportws.Subprotocol {
			offered = true
		}
	}
	if !offered {
		return c.Status(fiber.StatusBadRequest).JSON(errBody(schema.CodeBadUserInput, "use the "+transportws.Subprotocol+" subprotocol"))
	}
	if p := principal(c); p != nil {
		c.Locals("principal", p)
	}
	return ws(c)
}

func (s *Server) serveWS(c *websocket.Conn) {
	s.wsConns.Add(1)
	defer s.wsConns.Done()
	s.m.wsConns.Inc()
	defer s.m.wsConns.Dec()
	p, _ := c.Locals("principal").(*session.Principal)
	s.ws.Serve(s.wsCtx, c.Conn, p)
}

// wsAuthenticate reads {"authorization": "Bearer <token>"} from
// connection_init.
func (s *Server) wsAuthenticate(_ context.Context, payload map[string]any) (*session.Principal, error) {
	v, ok := payload["authorization"]
	if !ok {
		return nil, nil
	}
	h, _ := v.(string)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, errors.New("bad authorization")
	}
	return s.cfg.Sessions.Token(strings.TrimSpace(tok))
}

type loginReq struct {
	Account  string `json:"account"`
	Password string `json:"password"`
}

func (s *Server) login(c *fiber.Ctx) error {
	if !s.sameOrigin(c) {
		return c.Status(fiber.StatusForbidden).JSON(errBody(schema.CodeForbidden, "cross-origin request refused"))
	}
	var r loginReq
	if err := json.Unmarshal(c.Body(), &r); err != nil || r.Account == "" || r.Password == "" {
		return c.Status(fiber.StatusBadRequest).JSON(errBody(schema.CodeBadUserInput, `send {"account": "...", "password": "..."}`))
	}
	a, err := s.cfg.Sessions.Authenticate(r.Account, r.Password)
	if errors.Is(err, session.ErrBadCredentials) {
		return c.Status(fiber.StatusUnauthorized).JSON(errBody(schema.CodeUnauthenticated, "wrong account or password"))
	}
	var locked *session.LockedError
	if errors.As(err, &locked) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(time.Until(locked.Until).Seconds()+0.999))))
		return c.Status(fiber.StatusTooManyRequests).JSON(errBody(schema.CodeRateLimited, "too many failed sign-ins for this account: "+
			"try again after "+locked.Until.UTC().Format("15:04:05 UTC")+", or ask your organisation's admin to reset the password"))
	}
	if err != nil {
		return err
	}
	tok, sess, err := s.cfg.Sessions.NewSession(a.ID)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: tok, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, Expires: sess.Expires})
	return c.JSON(fiber.Map{"account": a.ID, "csrfToken": sess.CSRF, "expires": sess.Expires.Format(time.RFC3339),
		"mustChangePassword": a.MustChange})
}

// sessionInfo answers GET /auth/session: the principal's account, how it
// authenticated, the session's CSRF token and whether it must change its
// password; 401 when not signed in.
func (s *Server) sessionInfo(c *fiber.Ctx) error {
	p := principal(c)
	if p == nil {
		return c.Status(fiber.StatusUnauthorized).JSON(errBody(schema.CodeUnauthenticated, "not signed in"))
	}
	return c.JSON(sessionBody(p))
}

// sessionStatus answers GET /auth/status, the probe a page makes on every
// load: always 200, {"signedIn": false} when anonymous, else what
// /auth/session answers with "signedIn": true. Being signed out is a state
// to show, not an error, so a browser logs nothing for it. (An invalid
// bearer token is still refused with 401 by authenticate.)
// On a development portal it also says "devAccounts": true, so that the
// app asks GET /auth/dev-accounts only where that route exists.
func (s *Server) sessionStatus(c *fiber.Ctx) error {
	body := fiber.Map{"signedIn": false}
	if p := principal(c); p != nil {
		body = sessionBody(p)
	}
	if s.cfg.DevAccounts != nil {
		body["devAccounts"] = true
	}
	return c.JSON(body)
}

func sessionBody(p *session.Principal) fiber.Map {
	return fiber.Map{"signedIn": true, "account": p.Account, "via": p.Via, "csrfToken": p.CSRF, "mustChangePassword": p.MustChangePassword}
}

// genesisFile serves Config.Genesis as it is (its bytes are what a
// fingerprint is taken of), revalidated on each use.
func (s *Server) genesisFile(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, cacheRevalidate)
	return c.Send(s.cfg.Genesis)
}

func (s *Server) logout(c *fiber.Ctx) error {
	p := principal(c)
	if p == nil || p.Via != "session" {
		return c.Status(fiber.StatusUnauthorized).JSON(errBody(schema.CodeUnauthenticated, "not signed in"))
	}
	if e := s.csrfError(c); e != nil {
		return c.Status(fiber.StatusForbidden).JSON(errBody(e.Code, e.Message))
	}
	if err := s.cfg.Sessions.EndSession(c.Cookies(SessionCookie)); err != nil {
		return err
	}
	s.clearCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, Expires: time.Unix(1, 0)})
}

// recoverAndObserve recovers panics, records metrics and logs one line per
// request: route, method, status, duration, operation kind — no IPs,
// accounts, queries or variables.
func (s *Server) recoverAndObserve(c *fiber.Ctx) (err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("panic in handler", "route", c.Route().Path, "panic", fmt.Sprint(r))
			_ = c.Status(fiber.StatusInternalServerError).JSON(errBody(schema.CodeInternal, "internal error"))
			err = nil
		}
		if err != nil {
			if herr := s.app.Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
			err = nil
		}
		// Labels outlive the request: fiber's strings point into buffers
		// that the next request reuses, so they are copied (and the
		// method bounded to the known ones, so a client cannot mint
		// label values).
		route := strings.Clone(c.Route().Path)
		if c.Response().StatusCode() == fiber.StatusNotFound && route == "/" {
			route = "unmatched"
		}
		status := c.Response().StatusCode()
		d := time.Since(start)
		s.m.requests.WithLabelValues(route, methodLabel(c.Method()), strconv.Itoa(status)).Inc()
		s.m.latency.WithLabelValues(route).Observe(d.Seconds())
		op, _ := c.Locals(opKey{}).(string)
		s.cfg.Logger.Info("request", "method", c.Method(), "route", route, "status", status, "ms", d.Milliseconds(), "op", op)
	}()
	return c.Next()
}

// methodLabel returns a constant string for a request method: a known
// method's own name, else "other".
func methodLabel(m string) string {
	for _, k := range [...]string{fiber.MethodGet, fiber.MethodPost, fiber.MethodHead, fiber.MethodOptions, fiber.MethodPut,
		fiber.MethodDelete, fiber.MethodPatch} {
		if m == k {
			return k
		}
	}
	return "other"
}
