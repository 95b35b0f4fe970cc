package gqlhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/almoner/almoner/graphql/schema"
)

// multipartBody builds a GraphQL multipart request as clients send it
// (mime/multipart's writer: CRLF, a random boundary).
func multipartBody(t testing.TB, operations, fmap string, files map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("operations", operations)
	_ = w.WriteField("map", fmap)
	for name, data := range files {
		fw, err := w.CreateFormFile(name, name+".json")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func testHandler(t testing.TB) *Handler {
	t.Helper()
	cfg := Config{Schema: &schema.Schema{}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &Handler{cfg: cfg}
}

func boundaryOf(t testing.TB, ct string) string {
	t.Helper()
	_, ps, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatal(err)
	}
	return ps["boundary"]
}

// TestMultipartRequest: the spec's single-file and file-list requests put
// each file into the variables as an Upload that aliases the body (no
// copy); malformed requests are refused with BAD_USER_INPUT and say why.
func TestMultipartRequest(t *testing.T) {
	h := testHandler(t)
	record := []byte(`{"resourceType":"Bundle","type":"collection"}`)
	body, ct := multipartBody(t, `{"query":"mutation($f: Upload!, $p: ID!) { registerRecord(file: $f) { id } }","variables":{"f":null,"p":"x"}}`,
		`{"0":["variables.f"]}`, map[string][]byte{"0": record})
	p, bad := h.fromMultipart(body, boundaryOf(t, ct))
	if bad != nil {
		t.Fatalf("a single file: %v", bad.err)
	}
	u, ok := p.Variables["f"].(*schema.Upload)
	if !ok || !bytes.Equal(u.Bytes(), record) || u.Filename != "0.json" || p.Variables["p"] != "x" {
		t.Fatalf("variables: %#v", p.Variables)
	}
	if start, end := uintptr(unsafe.Pointer(&body[0])), uintptr(unsafe.Pointer(&body[len(body)-1])); uintptr(unsafe.Pointer(&u.Bytes()[0])) < start ||
		uintptr(unsafe.Pointer(&u.Bytes()[0])) > end || cap(u.Bytes()) != len(u.Bytes()) {
		t.Fatal("the file was copied out of the body, or may be appended into it")
	}

	list, ct2 := multipartBody(t, `{"query":"q","variables":{"files":[null,null]}}`, `{"a":["variables.files.0"],"b":["variables.files.1"]}`,
		map[string][]byte{"a": []byte("A"), "b": []byte("B")})
	p, bad = h.fromMultipart(list, boundaryOf(t, ct2))
	if bad != nil {
		t.Fatal(bad.err)
	}
	if fs, _ := p.Variables["files"].([]any); len(fs) != 2 || string(fs[0].(*schema.Upload).Bytes()) != "A" || string(fs[1].(*schema.Upload).Bytes()) != "B" {
		t.Fatalf("a file list: %#v", p.Variables)
	}

	for _, c := range []struct {
		name, ops, fmap string
		files           map[string][]byte
		say             string
	}{
		{"no map", `{"query":"q","variables":{"f":null}}`, ``, nil, "map must be a JSON object"},
		{"batch", `[{"query":"q"}]`, `{}`, nil, "batched operations"},
		{"missing file", `{"query":"q","variables":{"f":null}}`, `{"0":["variables.f"]}`, nil, `"0", which the request does not have`},
		{"unmapped file", `{"query":"q","variables":{"f":null}}`, `{}`, map[string][]byte{"0": record}, "not in the map"},
		{"outside variables", `{"query":"q","variables":{"f":null}}`, `{"0":["query"]}`, map[string][]byte{"0": record}, "files go into the variables"},
		{"not null", `{"query":"q","variables":{"f":"x"}}`, `{"0":["variables.f"]}`, map[string][]byte{"0": record}, "not null"},
		{"no such variable", `{"query":"q","variables":{}}`, `{"0":["variables.g"]}`, map[string][]byte{"0": record}, `no "g"`},
		{"bad index", `{"query":"q","variables":{"f":[null]}}`, `{"0":["variables.f.1"]}`, map[string][]byte{"0": record}, `no element "1"`},
		{"no query", `{"variables":{}}`, `{}`, nil, "query must be a string"},
	} {
		b, ct := multipartBody(t, c.ops, c.fmap, c.files)
		if _, bad := h.fromMultipart(b, boundaryOf(t, ct)); bad == nil || bad.status != http.StatusBadRequest ||
			bad.err.Code != schema.CodeBadUserInput || !strings.Contains(bad.err.Message, c.say) {
			t.Errorf("%s: %+v, want 400 saying %q", c.name, bad, c.say)
		}
	}
	// Fields out of order are taken; twice the same is not.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("map", `{"0":["variables.f"]}`)
	fw, _ := w.CreateFormFile("0", "a.json")
	_, _ = fw.Write(record)
	_ = w.WriteField("operations", `{"query":"q","variables":{"f":null}}`)
	_ = w.Close()
	if p, bad := h.fromMultipart(buf.Bytes(), w.Boundary()); bad != nil || p.Variables["f"].(*schema.Upload).Size() != len(record) {
		t.Errorf("operations last: %+v", bad)
	}
	buf.Reset()
	w = multipart.NewWriter(&buf)
	_ = w.WriteField("operations", `{"query":"q"}`)
	_ = w.WriteField("map", `{}`)
	_ = w.WriteField("operations", `{"query":"q"}`)
	_ = w.Close()
	if _, bad := h.fromMultipart(buf.Bytes(), w.Boundary()); bad == nil || !strings.Contains(bad.err.Message, `two fields named "operations"`) {
		t.Errorf("operations twice: %+v", bad)
	}
}

// TestPayloadTooLarge: a JSON body over its limit, a multipart body over
// its limit, and a file over its limit answer 413 with the code
// PAYLOAD_TOO_LARGE and the limit, in the message and in extensions.
func TestPayloadTooLarge(t *testing.T) {
	h := testHandler(t)
	h.cfg.MaxFileBytes, h.cfg.MaxUploadBytes = 1000, 5000
	big := bytes.Repeat([]byte("x"), 1200)
	file, ct := multipartBody(t, `{"query":"q","variables":{"f":null}}`, `{"0":["variables.f"]}`, map[string][]byte{"0": big})
	whole, ct2 := multipartBody(t, `{"query":"q"}`, `{}`, nil)
	whole = append(whole, make([]byte, 6000)...) // an epilogue: only the size matters
	for _, c := range []struct {
		name, ct string
		body     []byte
		limit    int
		say      string
	}{
		{"json", MediaJSON, append([]byte(`{"query":"q","variables":{"c":"`), make([]byte, schema.MaxJSONBodyBytes)...), schema.MaxJSONBodyBytes,
			"the request body is over the limit of 1 MiB (1048576 bytes); send large content (a record of up to 1000 bytes) as a file"},
		{"file", ct, file, 1000, `the file "0.json" is over the limit of 1000 bytes`},
		{"multipart", ct2, whole, 5000, "the multipart request body is over the limit of 5000 bytes"},
	} {
		resp := h.Serve(t.Context(), Request{Method: http.MethodPost, ContentType: c.ct, Body: c.body})
		var out struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		_ = json.Unmarshal(resp.Body, &out)
		if resp.Status != http.StatusRequestEntityTooLarge || len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != schema.CodePayloadTooLarge ||
			out.Errors[0].Extensions["limit"] != float64(c.limit) || !strings.Contains(out.Errors[0].Message, c.say) {
			t.Errorf("%s: %d %s", c.name, resp.Status, resp.Body)
		}
	}
	if got := testHandler(t).MaxRequestBytes(); got != schema.MaxUploadRequestBytes {
		t.Errorf("MaxRequestBytes %d", got)
	}
}

// TestSplitMultipartAgreesWithStdlib: what splitMultipart finds in bodies
// that mime/multipart writes, with preambles, epilogues, transport
// padding and boundary look-alikes inside content, is what mime/multipart
// reads.
func TestSplitMultipartAgreesWithStdlib(t *testing.T) {
	for i, c := range []struct{ pre, post, pad string }{{"", "", ""}, {"preamble\r\n", "\r\nepilogue", ""}, {"", "", " \t"}} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.SetBoundary("b0und")
		_ = w.WriteField("operations", "one\r\n--b0undary is not a delimiter\r\n--b0und-x")
		_ = w.WriteField("map", "")
		_ = w.Close()
		body := c.pre + strings.ReplaceAll(buf.String(), "--b0und\r\n", "--b0und"+c.pad+"\r\n") + c.post
		checkAgainstStdlib(t, fmt.Sprint("case ", i), []byte(body), "b0und")
	}
}

// checkAgainstStdlib fails when splitMultipart accepts body and finds
// other parts than mime/multipart.
func checkAgainstStdlib(t *testing.T, name string, body []byte, boundary string) {
	t.Helper()
	parts, err := splitMultipart(body, boundary, 16)
	if err != nil {
		return
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for i := 0; ; i++ {
		p, err := r.NextRawPart()
		if err == io.EOF {
			if i != len(parts) {
				t.Fatalf("%s: %d parts, mime/multipart reads %d", name, len(parts), i)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: splitMultipart accepts what mime/multipart refuses (%v): %q", name, err, body)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("%s: part %d: mime/multipart: %v", name, i, err)
		}
		if i >= len(parts) || parts[i].name != p.FormName() || !bytes.Equal(parts[i].data, data) {
			t.Fatalf("%s: part %d differs from mime/multipart's %q %q", name, i, p.FormName(), data)
		}
	}
}

// FuzzSplitMultipart: splitMultipart never panics and agrees with
// mime/multipart on what it accepts.
func FuzzSplitMultipart(f *testing.F) {
	b, ct := multipartBody(f, `{"query":"q","variables":{"f":null}}`, `{"0":["variables.f"]}`, map[string][]byte{"0": []byte("{}")})
	f.Add(b, boundaryOf(f, ct))
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--"), "x")
	f.Add([]byte("--x\r\n\r\n\r\n--x--"), "x")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		checkAgainstStdlib(t, "fuzz", body, boundary)
		h := testHandler(t)
		_, _ = h.fromMultipart(body, boundary)
	})
}

// TestMultipartDoesNotCopyTheFile: reading a 16 MiB file's request
// allocates far less than the file (it is a slice of the body).
func TestMultipartDoesNotCopyTheFile(t *testing.T) {
	h := testHandler(t)
	file := bytes.Repeat([]byte(`{"resourceType":"Bundle"}`), schema.MaxUploadFileBytes/25)
	body, ct := multipartBody(t, `{"query":"q","variables":{"f":null}}`, `{"0":["variables.f"]}`, map[string][]byte{"0": file})
	boundary := boundaryOf(t, ct)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, bad := h.fromMultipart(body, boundary)
	runtime.ReadMemStats(&after)
	if bad != nil {
		t.Fatal(bad.err)
	}
	if got := p.Variables["f"].(*schema.Upload).Size(); got != len(file) {
		t.Fatalf("file of %d bytes, sent %d", got, len(file))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("parsing a multipart request with a file of %d bytes allocated %d bytes", len(file), alloc)
	if alloc > 64<<10 {
		t.Fatalf("parsing allocated %d bytes for a %d-byte file", alloc, len(file))
	}
}
