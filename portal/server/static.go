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

// frontend serves Config.Frontend: a file that exists as itself (hashed
// files under assets/ cached for a year), any other path without a file
// extension as index.html (the app's client-side routes), everything
// else 404. It runs after every other route, for GET and HEAD only.
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
	b, err := fs.ReadFile(s.cfg.Frontend, name)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && path.Ext(name) == "" && !strings.HasPrefix(name, "assets/"):
		name = "index.html"
		if b, err = fs.ReadFile(s.cfg.Frontend, name); err != nil {
			return fiber.ErrNotFound
		}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrInvalid):
		return fiber.ErrNotFound
	default:
		// A directory or an unreadable entry: nothing to serve.
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ct)
	if strings.HasPrefix(name, "assets/") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	}
	return c.Send(b)
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
