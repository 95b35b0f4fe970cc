package claimdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of a document (a FHIR Claim with
// contained resources and three tiers of items is well under it).
const maxJSONDepth = 48

// decodeTree decodes one JSON value as a tree of map[string]any, []any,
// string, json.Number, bool and nil. Unlike encoding/json it refuses what
// two readers of the same bytes could read differently: a property given
// twice in one object (encoding/json keeps the last, other parsers the
// first), invalid UTF-8 (replaced silently), trailing data. The insurer
// reads the very bytes the amounts on the ledger came from.
func decodeTree(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("the document is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d levels", pathOr(path), maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("not JSON: %v", err)
				}
				k, _ := kt.(string)
				kp := join(path, k)
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("%s: the property is given twice", kp)
				}
				if m[k], err = decodeValue(dec, kp, depth+1); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("not JSON: %v", err)
			}
			return m, nil
		case '[':
			l := []any{}
			for i := 0; dec.More(); i++ {
				v, err := decodeValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("not JSON: %v", err)
			}
			return l, nil
		}
		return nil, fmt.Errorf("not JSON: unexpected %v", t)
	default:
		return tok, nil // string, json.Number, bool, nil
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func pathOr(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}
