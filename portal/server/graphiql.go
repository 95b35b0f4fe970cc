package server

import (
	"embed"
	"path"

	"github.com/gofiber/fiber/v2"
)

// assets are the GraphiQL page's files: a small self-contained query
// console (no third-party hosts, no CDN).
//
//go:embed assets
var assets embed.FS

func graphiqlPage(c *fiber.Ctx) error {
	b, err := assets.ReadFile("assets/graphiql.html")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b)
}

var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

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
