// Package memberid is the shape of the consortium's ids, defined once: an
// organisation id ("stmarys") and a member id, "<organisation>/<name>"
// ("stmarys/dr-lee"). The identity contract validates ids against it;
// portals read them with it. It imports only the standard library.
package memberid

import "strings"

// OrgOf returns the organisation of a member id ("stmarys" for
// "stmarys/dr-lee"), or the id itself when it names an organisation.
func OrgOf(id string) string {
	org, _, _ := strings.Cut(id, "/")
	return org
}

// IsMember reports whether id has a member id's shape (one "/" between
// an organisation and a name); an organisation id has none.
func IsMember(id string) bool {
	org, name, ok := strings.Cut(id, "/")
	return ok && org != "" && name != "" && !strings.Contains(name, "/")
}
