package server

import (
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// reservedPrefixes are the portal's own routes: the web app never answers
// for them, so a path under them that no route matched stays a 404.
var reservedPrefixes = []string{"/graphql", "/graphiql", "/graphiql.html", "/auth/", "/auth", "/healthz", "/metrics"}

// DevAccount is a demo account offered by the web app's role switcher
// (only with --dev).
type DevAccount struct {
	Account  string   `json:"account"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
}

// Cache policies of the web app's files: hashed files under assets/ never
// change under their name, so browsers keep them for a year without asking;
// every other file (index.html above all, which names the current hashed
// files) is revalidated on each use, so a new build is seen at once.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// precompressed are the compressed variants the build writes beside each
// text file (NAME.br, NAME.gz: frontend/vite.config.ts), in the order the
// portal prefers them when the browser accepts several.
var precompressed = []struct{ coding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// frontend serves Config.Frontend: a file that exists as itself, any other
// path without a file extension as index.html (the app's client-side
// routes), everything else 404. It runs after every other route, for GET
// and HEAD only.
//
// A file with precompressed variants is served as the best one the
// request's Accept-Encoding allows (brotli, then gzip, else the file
// itself), with Vary: Accept-Encoding; nothing is compressed per request.
// Hashed files under assets/ are cached for a year (immutable), the rest
// revalidated (no-cache).
func (s *Server) frontend(c *fiber.Ctx) error {
	p := c.Path()
	for _, r := range reservedPrefixes {
		if p == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(p, r)) || strings.HasPrefix(p, r+"/") {
			return fiber.ErrNotFound
		}
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" {
		name = "index.html"
	}
	if isVariant(name) {
		// NAME.br and NAME.gz are encodings of NAME, not files of their own.
		return fiber.ErrNotFound
	}
	st, err := fs.Stat(s.cfg.Frontend, name)
	switch {
	case err == nil && !st.IsDir():
	case errors.Is(err, fs.ErrNotExist) && path.Ext(name) == "" && !strings.HasPrefix(name, "assets/"):
		name = "index.html"
	default:
		// Missing, invalid, a directory or unreadable: nothing to serve.
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	file, coding, varies := name, "", false
	for _, v := range precompressed {
		if _, err := fs.Stat(s.cfg.Frontend, name+v.suffix); err != nil {
			continue
		}
		varies = true
		if coding == "" && accepts(c, v.coding) {
			file, coding = name+v.suffix, v.coding
		}
	}
	b, err := fs.ReadFile(s.cfg.Frontend, file)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, ct)
	if coding != "" {
		c.Set(fiber.HeaderContentEncoding, coding)
	}
	if varies {
		c.Vary(fiber.HeaderAcceptEncoding)
	}
	if strings.HasPrefix(name, "assets/") {
		c.Set(fiber.HeaderCacheControl, cacheImmutable)
	} else {
		c.Set(fiber.HeaderCacheControl, cacheRevalidate)
	}
	return c.Send(b)
}

// accepts reports whether the request's Accept-Encoding allows coding (not
// refused with q=0; a request without the header accepts none).
func accepts(c *fiber.Ctx, coding string) bool {
	return c.Get(fiber.HeaderAcceptEncoding) != "" && c.AcceptsEncodings(coding) == coding
}

// isVariant reports whether name is a precompressed variant's name.
func isVariant(name string) bool {
	for _, v := range precompressed {
		if strings.HasSuffix(name, v.suffix) {
			return true
		}
	}
	return false
}

// devAccounts answers the demo accounts for the role switcher.
func (s *Server) devAccounts(c *fiber.Ctx) error {
	list, err := s.cfg.DevAccounts()
	if err != nil {
		return err
	}
	if list == nil {
		list = []DevAccount{}
	}
	return c.JSON(fiber.Map{"accounts": list})
}
