package server

import (
	"embed"
	"errors"
	"io/fs"
	"path"

	"github.com/gofiber/fiber/v2"
)

// assets are the fallback GraphiQL page's files: a small self-contained
// query console (no third-party hosts, no CDN), served when the web app
// was not built (a fresh clone without npm).
//
//go:embed assets
var assets embed.FS

// graphiqlEntry is GraphiQL's page in the built web app (the second Vite
// entry, frontend/graphiql.html); its scripts, styles and Monaco's
// workers are hashed files under assets/, served by frontend.
const graphiqlEntry = "graphiql.html"

// graphiqlCSP is the Content-Security-Policy of the built GraphiQL page
// only: the portal's (securityHeaders) with two relaxations GraphiQL
// needs. Scripts, workers, connections and everything else stay
// same-origin files, with no inline scripts.
//   - style-src 'unsafe-inline': GraphiQL's Monaco editor creates <style>
//     elements at run time (its theme, decorations) and renders its lines
//     as HTML with style="" attributes; without it Chromium blocks both
//     (style-src-elem and style-src-attr violations, checked by
//     frontend/e2e's TestGraphiQL) and the editor renders unusable.
//     Styles cannot run code; scripts stay 'self' only.
//   - font-src data: GraphiQL's style.css embeds its fonts (Roboto, Fira
//     Code) as data: URLs; they are part of a same-origin file, not
//     fetched from anywhere.
const graphiqlCSP = "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// graphiqlPage serves GraphiQL from the built web app, or the fallback
// console when the app is not there.
func (s *Server) graphiqlPage(c *fiber.Ctx) error {
	if s.cfg.Frontend != nil {
		b, err := fs.ReadFile(s.cfg.Frontend, graphiqlEntry)
		switch {
		case err == nil:
			c.Set("Content-Security-Policy", graphiqlCSP)
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.Send(b)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	b, err := assets.ReadFile("assets/graphiql.html")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b)
}

var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

// graphiqlAsset serves the fallback console's script and style.
func graphiqlAsset(c *fiber.Ctx) error {
	name := path.Base(c.Params("file"))
	ct, ok := assetTypes[path.Ext(name)]
	if !ok {
		return fiber.ErrNotFound
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(b)
}
