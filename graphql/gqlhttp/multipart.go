package gqlhttp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/almoner/almoner/graphql/schema"
)

// GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec,
// the form that graphql-upload and Apollo's upload clients send): a
// multipart/form-data body whose fields are
//
//  1. operations: the JSON request (query, variables, operationName) with
//     each file replaced by null;
//  2. map: a JSON object from each file field's name to the operations
//     paths ("variables.file", "variables.files.0") where it goes;
//  3. the files.
//
// The portal's HTTP server has read the whole body already, so the parts
// are found in place and a file reaches its resolver as a slice of the
// body (schema.Upload): a record of 16 MiB is never copied here. Batched
// operations (a JSON array) are not supported, as for JSON requests.

// Bounds of a multipart request besides its size.
const (
	maxMapBytes    = 64 << 10
	maxPartHeader  = 8 << 10
	maxPathsOfFile = 16
)

// part is one part of a multipart/form-data body; data aliases the body.
type part struct {
	name, filename, contentType string
	data                        []byte
}

var crlf = []byte("\r\n")

// splitMultipart finds the parts of a multipart body (RFC 2046, 7578) in
// place: each part's data is a slice of body, capacity-bounded so that an
// append cannot write into the body. Line breaks must be CRLF. It refuses
// more than maxParts parts, and accepts nothing that mime/multipart
// would read otherwise (FuzzSplitMultipart).
func splitMultipart(body []byte, boundary string, maxParts int) ([]part, error) {
	if boundary == "" || len(boundary) > 70 {
		return nil, errors.New("the Content-Type names no boundary of 1 to 70 characters")
	}
	dash := []byte("--" + boundary)
	// i: just after a delimiter ("--" boundary); the first may open the
	// body, the others follow a CRLF.
	i := 0
	if bytes.HasPrefix(body, dash) {
		i = len(dash)
	} else {
		j, ok := findDelimiter(body, 0, dash)
		if !ok {
			return nil, errors.New("the body has no boundary delimiter")
		}
		i = j + len(crlf) + len(dash)
	}
	var parts []part
	for {
		rest := body[i:]
		if bytes.HasPrefix(rest, []byte("--")) {
			rest = rest[2:]
			if k := lwsp(rest); k < len(rest) && !bytes.HasPrefix(rest[k:], crlf) {
				return nil, errors.New("the close delimiter is followed by more than a line break")
			}
			if len(parts) == 0 {
				return nil, errors.New("the body has no parts")
			}
			return parts, nil // an epilogue is ignored
		}
		k := lwsp(rest)
		if !bytes.HasPrefix(rest[k:], crlf) {
			return nil, errors.New("a boundary delimiter is not followed by a line break")
		}
		start := i + k + len(crlf)
		var hdr []byte
		dataStart := start + len(crlf)
		if !bytes.HasPrefix(body[start:], crlf) {
			e := bytes.Index(body[start:], []byte("\r\n\r\n"))
			if e < 0 || e > maxPartHeader {
				return nil, fmt.Errorf("part %d: headers without their end, or over %d bytes", len(parts)+1, maxPartHeader)
			}
			hdr, dataStart = body[start:start+e+len(crlf)], start+e+2*len(crlf)
		}
		end, ok := findDelimiter(body, dataStart, dash)
		if !ok {
			return nil, fmt.Errorf("part %d has no closing boundary delimiter", len(parts)+1)
		}
		p, err := partHeader(hdr)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", len(parts)+1, err)
		}
		p.data = body[dataStart:end:end]
		if parts = append(parts, p); len(parts) > maxParts {
			return nil, fmt.Errorf("more than %d parts", maxParts)
		}
		i = end + len(crlf) + len(dash)
	}
}

// findDelimiter returns the index, at or after from, of the next CRLF
// "--" boundary that ends a part, as mime/multipart finds it: followed by
// "--", white space or a line break (the caller then checks that it is a
// well-formed delimiter line).
func findDelimiter(body []byte, from int, dash []byte) (int, bool) {
	delim := append(append([]byte(nil), crlf...), dash...)
	for from <= len(body) {
		j := bytes.Index(body[from:], delim)
		if j < 0 {
			return 0, false
		}
		at := from + j
		if after := body[at+len(delim):]; len(after) == 0 || bytes.HasPrefix(after, []byte("--")) || strings.IndexByte(" \t\r\n", after[0]) >= 0 {
			return at, true
		}
		from = at + 1
	}
	return 0, false
}

// lwsp counts the spaces and tabs at the start of b.
func lwsp(b []byte) int {
	k := 0
	for k < len(b) && (b[k] == ' ' || b[k] == '\t') {
		k++
	}
	return k
}

// partHeader reads a part's header lines (each ending in CRLF).
func partHeader(hdr []byte) (part, error) {
	var p part
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(hdr[:len(hdr):len(hdr)], crlf...)))).ReadMIMEHeader()
	if err != nil {
		return p, fmt.Errorf("malformed headers: %v", err)
	}
	disp, ps, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || disp != "form-data" || ps["name"] == "" {
		return p, errors.New(`every part needs Content-Disposition: form-data; name="..."`)
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "", "binary", "8bit", "7bit":
	default:
		return p, errors.New("a Content-Transfer-Encoding other than binary is not supported (RFC 7578)")
	}
	p.name, p.filename, p.contentType = ps["name"], ps["filename"], h.Get("Content-Type")
	return p, nil
}

// refusal is why a request cannot run: its status (400, 413), its error
// and, for 413, the limit it exceeds.
type refusal struct {
	status int
	err    *schema.Error
	limit  int
}

func tooLargeRefusal(what string, limit int) *refusal {
	return &refusal{status: http.StatusRequestEntityTooLarge, err: schema.TooLarge(what, limit), limit: limit}
}

// fromMultipart reads a GraphQL multipart request's parameters, with its
// files in the variables as *schema.Upload.
func (h *Handler) fromMultipart(body []byte, boundary string) (params, *refusal) {
	bad := func(format string, args ...any) (params, *refusal) {
		return params{}, &refusal{status: http.StatusBadRequest, err: schema.Errorf(schema.CodeBadUserInput,
			"GraphQL multipart request (fields operations, map, then the files): "+fmt.Sprintf(format, args...))}
	}
	parts, err := splitMultipart(body, boundary, h.cfg.MaxFiles+2)
	if err != nil {
		return bad("%v", err)
	}
	// Clients send operations, map, then the files, so that a server may
	// stream; with the whole body read, any order is taken (an HTTP
	// server that parses the form itself may write it back reordered).
	var ops, fmap *part
	files := map[string]*part{}
	for i := range parts {
		p := &parts[i]
		switch {
		case p.name == "operations" && ops == nil:
			ops = p
		case p.name == "map" && fmap == nil:
			fmap = p
		case files[p.name] != nil || p.name == "operations" || p.name == "map":
			return bad("two fields named %q", p.name)
		default:
			files[p.name] = p
		}
	}
	if ops == nil || fmap == nil {
		return bad("the fields operations and map are required")
	}
	if len(ops.data) > h.cfg.MaxBodyBytes {
		return params{}, tooLargeRefusal("the operations field", h.cfg.MaxBodyBytes)
	}
	if t := bytes.TrimSpace(ops.data); len(t) > 0 && t[0] == '[' {
		return bad("batched operations (a JSON array) are not supported; send one operation per request")
	}
	p, perr := fromBody(ops.data)
	if perr != nil {
		return bad("operations: %s", perr.Message)
	}
	if len(fmap.data) > maxMapBytes {
		return bad("the map field is over %d bytes", maxMapBytes)
	}
	var m map[string][]string
	if err := json.Unmarshal(fmap.data, &m); err != nil {
		return bad(`map must be a JSON object of file field names to arrays of paths, e.g. {"0": ["variables.file"]}`)
	}
	for name, f := range files {
		if _, ok := m[name]; !ok {
			return bad("the file field %q is not in the map", name)
		}
		if len(f.data) > h.cfg.MaxFileBytes {
			return params{}, tooLargeRefusal(fmt.Sprintf("the file %q", f.filename), h.cfg.MaxFileBytes)
		}
	}
	for name, paths := range m {
		f := files[name]
		if f == nil {
			return bad("the map names the file field %q, which the request does not have", name)
		}
		if len(paths) == 0 || len(paths) > maxPathsOfFile {
			return bad("the file field %q must go to 1 to %d paths", name, maxPathsOfFile)
		}
		for _, path := range paths {
			if err := setPath(&p, path, schema.NewUpload(f.filename, f.contentType, f.data)); err != nil {
				return bad("the path %q of file field %q: %v", path, name, err)
			}
		}
	}
	return p, nil
}

// setPath puts v where an operations path ("variables.file",
// "variables.files.0") points in p; a file may go only into the
// variables, at a null.
func setPath(p *params, path string, v any) error {
	segs := strings.Split(path, ".")
	if len(segs) < 2 || segs[0] != "variables" {
		return errors.New(`files go into the variables: "variables.<name>"`)
	}
	if p.Variables == nil {
		return errors.New("the operations have no variables")
	}
	var cur any = p.Variables
	for i, s := range segs[1:] {
		last := i == len(segs)-2
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[s]
			if !ok {
				return fmt.Errorf("no %q", s)
			}
			if last {
				if next != nil {
					return errors.New("not null in the operations")
				}
				c[s] = v
				return nil
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(c) {
				return fmt.Errorf("no element %q", s)
			}
			if last {
				if c[n] != nil {
					return errors.New("not null in the operations")
				}
				c[n] = v
				return nil
			}
			cur = c[n]
		default:
			return fmt.Errorf("%q is inside a value that is neither an object nor a list", s)
		}
	}
	return nil
}
