package frontend

import (
	"embed"
	"io/fs"
)

// dist is the app's build (dist/app, after `make frontend`) and the
// placeholder page (dist/placeholder, committed).
//
//go:embed all:dist
var dist embed.FS

// FS returns the built web app (index.html at its root, hashed files
// under assets/), or the placeholder page when the app was not built.
func FS() fs.FS {
	if sub, err := fs.Sub(dist, "dist/app"); err == nil && Built() {
		return sub
	}
	sub, err := fs.Sub(dist, "dist/placeholder")
	if err != nil {
		panic("frontend: the placeholder page is missing from dist/placeholder: " + err.Error())
	}
	return sub
}

// Built reports whether the embedded files are the real app rather than
// the placeholder page.
func Built() bool {
	_, err := fs.Stat(dist, "dist/app/index.html")
	return err == nil
}
