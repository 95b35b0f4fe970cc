package patientdir

import (
	"encoding/json"
	"strings"
	"unicode"
)

// MaxNameLen bounds a stored name, in bytes.
const MaxNameLen = 200

// humanName is FHIR R4 HumanName, the fields a display name needs.
type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
}

type resource struct {
	ResourceType string      `json:"resourceType"`
	Name         []humanName `json:"name"`
	Entry        []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// PatientName returns the display name of the first Patient resource in a
// FHIR JSON resource: the Patient itself, or the first Patient entry of a
// Bundle. It prefers the official name (then usual, then the first),
// its text, else its given names and family name; ok is false when there
// is no Patient or it has no usable name. Digits are dropped. Content that is not FHIR JSON
// has no name: it is not an error here (the record's own checks decide).
func PatientName(content []byte) (name string, ok bool) {
	var r resource
	if json.Unmarshal(content, &r) != nil {
		return "", false
	}
	switch r.ResourceType {
	case "Patient":
		return display(r.Name)
	case "Bundle":
		for _, e := range r.Entry {
			var p resource
			if json.Unmarshal(e.Resource, &p) == nil && p.ResourceType == "Patient" {
				if n, ok := display(p.Name); ok {
					return n, true
				}
			}
		}
	}
	return "", false
}

// display picks one HumanName and writes it for people.
func display(names []humanName) (string, bool) {
	if len(names) == 0 {
		return "", false
	}
	pick := names[0]
	for _, use := range []string{"usual", "official"} {
		for _, n := range names {
			if n.Use == use {
				pick = n
			}
		}
	}
	s := pick.Text
	if strings.TrimSpace(s) == "" {
		s = strings.Join(append(append([]string(nil), pick.Given...), pick.Family), " ")
	}
	s = clean(s)
	return s, s != ""
}

// clean collapses white space, drops control characters and digits
// (synthetic data such as Synthea's numbers its names: "Ana761") and cuts the
// name at MaxNameLen bytes (on a rune boundary).
func clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.IsDigit(r):
			continue
		}
		if space {
			if b.Len()+1 > MaxNameLen {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+len(string(r)) > MaxNameLen {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
