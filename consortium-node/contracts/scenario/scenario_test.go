package scenario

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestScenarios runs every script in testdata/, once on the serial
// executor and once on Block-STM, against the same expected output.
func TestScenarios(t *testing.T) {
	modes := []bool{false, true}
	if f := flag.Lookup("rewrite"); f != nil && f.Value.String() == "true" {
		modes = modes[:1] // one run writes the output; the other must agree with it
	}
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		for _, parallel := range modes {
			name := "serial"
			if parallel {
				name = "parallel"
			}
			t.Run(name, func(t *testing.T) {
				e := &env{t: t, parallel: parallel, ids: map[string]tx.ID{}, labels: map[tx.ID]string{}}
				datadriven.RunTest(t, path, e.run)
			})
		}
	})
}

// env is one script's chain and the labels of its transactions.
type env struct {
	t        *testing.T
	parallel bool
	c        *chaintest.Chain
	ids      map[string]tx.ID // label -> transaction id
	labels   map[tx.ID]string // transaction id -> label
	order    []string         // labels in the order they were given
}

// call is one transaction of a script.
type call struct {
	pos              string
	sender, contract string
	method, label    string
	args             tx.Args
	wantErr          bool
}

func (e *env) run(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "genesis" && e.c == nil {
		d.Fatalf(t, "%s before genesis: a script starts with genesis", d.Cmd)
	}
	switch d.Cmd {
	case "genesis":
		return e.genesis(t, d)
	case "tx", "expect-error":
		c := e.parseCall(t, d.Pos, d.Cmd == "expect-error", d.CmdArgs, strings.Split(d.Input, "\n"))
		return e.block(t, []*call{c})
	case "block":
		return e.block(t, e.parseBlock(t, d))
	case "file-claim", "file-claim-refused":
		return e.block(t, []*call{e.fileClaim(t, d, d.Cmd == "file-claim-refused")})
	case "advance":
		if len(d.CmdArgs) != 1 {
			d.Fatalf(t, "advance <duration>")
		}
		dur, err := parseDuration(d.CmdArgs[0].Key)
		if err != nil || dur <= 0 {
			d.Fatalf(t, "advance %s: want a positive duration such as 90s, 2h, 31d or 1d12h", d.CmdArgs[0].Key)
		}
		e.c.Now = e.c.Now.Add(dur)
		return fmt.Sprintf("next block %d at %s", e.c.Height+1, stamp(e.c.Now.Unix()))
	default:
		out, ok := e.view(t, d)
		if !ok {
			d.Fatalf(t, "unknown command %q (genesis, tx, expect-error, block, advance, file-claim, file-claim-refused, or a view: %s)", d.Cmd, strings.Join(views, ", "))
		}
		return e.relabel(out)
	}
}

// genesis builds the chain from "org" and "member" lines.
func (e *env) genesis(t *testing.T, d *datadriven.TestData) string {
	if e.c != nil {
		d.Fatalf(t, "genesis twice")
	}
	var o chaintest.Options
	for i, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		bad := func(want string) { d.Fatalf(t, "genesis line %d %q: want %q", i+1, line, want) }
		switch {
		case len(f) == 0:
		case f[0] == "org":
			if len(f) < 4 {
				bad("org <id> <kind> <name...>")
			}
			o.Orgs = append(o.Orgs, identity.Org{ID: f[1], Kind: f[2], Name: strings.Join(f[3:], " ")})
		case f[0] == "member":
			if len(f) != 3 {
				bad("member <org>/<name> <role>[,<role>...]")
			}
			o.Members = append(o.Members, chaintest.Member{ID: f[1], Roles: strings.Split(f[2], ",")})
		case f[0] == "start":
			var err error
			if len(f) != 2 {
				bad("start <RFC 3339 time>")
			}
			if o.Start, err = time.Parse(time.RFC3339, f[1]); err != nil {
				bad("start <RFC 3339 time>")
			}
		default:
			bad("org ..., member ... or start ...")
		}
	}
	o.Parallel = e.parallel
	e.c = chaintest.New(t, o)
	return fmt.Sprintf("height 0; next block at %s; %d organisations, %d members", stamp(e.c.Now.Unix()), len(o.Orgs), len(o.Members))
}

// parseBlock reads a block's transactions: a line each, with indented
// lines holding the long arguments of the transaction above them.
func (e *env) parseBlock(t *testing.T, d *datadriven.TestData) []*call {
	if len(d.CmdArgs) != 0 {
		d.Fatalf(t, "block takes no arguments; its transactions are its input lines")
	}
	var (
		out  []*call
		head string
		long []string
		line int
	)
	flush := func() {
		if head == "" {
			return
		}
		pos := fmt.Sprintf("%s (block line %d)", d.Pos, line)
		wantErr := false
		if rest, ok := strings.CutPrefix(head, "expect-error "); ok {
			head, wantErr = rest, true
		}
		_, args, err := datadriven.ParseLine("tx " + head)
		if err != nil {
			t.Fatalf("%s: %v", pos, err)
		}
		out = append(out, e.parseCall(t, pos, wantErr, args, long))
		head, long = "", nil
	}
	for i, l := range strings.Split(d.Input, "\n") {
		switch {
		case strings.TrimSpace(l) == "":
		case l[0] == ' ' || l[0] == '\t':
			if head == "" {
				t.Fatalf("%s: block line %d is indented but follows no transaction", d.Pos, i+1)
			}
			long = append(long, strings.TrimSpace(l))
		default:
			flush()
			head, line = l, i+1
		}
	}
	flush()
	return out
}

// parseCall reads "<member> <contract>.<method> [@label] [args]" and the
// input lines' long arguments.
func (e *env) parseCall(t *testing.T, pos string, wantErr bool, cmd []datadriven.CmdArg, input []string) *call {
	fail := func(format string, v ...any) { t.Helper(); t.Fatalf("%s: %s", pos, fmt.Sprintf(format, v...)) }
	if len(cmd) < 2 || len(cmd[0].Vals) > 0 || len(cmd[1].Vals) > 0 {
		fail("want <member> <contract>.<method> [@label] [name[:type]=value ...]")
	}
	c := &call{pos: pos, sender: cmd[0].Key, wantErr: wantErr}
	var ok bool
	if c.contract, c.method, ok = strings.Cut(cmd[1].Key, "."); !ok {
		fail("%q: want <contract>.<method>", cmd[1].Key)
	}
	var args []tx.Arg
	add := func(a tx.Arg, err error) {
		if err != nil {
			fail("%v", err)
		}
		for _, b := range args {
			if b.Name == a.Name {
				fail("argument %q given twice", a.Name)
			}
		}
		args = append(args, a)
	}
	for _, a := range cmd[2:] {
		switch {
		case strings.HasPrefix(a.Key, "@") && len(a.Vals) == 0:
			c.label = a.Key[1:]
			if _, dup := e.ids[c.label]; dup || c.label == "" {
				fail("label @%s is empty or already used", c.label)
			}
		case len(a.Vals) == 0:
			fail("%q: want name=value (or @label)", a.Key)
		case len(a.Vals) > 1 || strings.HasSuffix(a.Key, ":strings"):
			name, typ, _ := strings.Cut(a.Key, ":")
			if typ != "" && typ != "strings" {
				fail("%s: a list is a strings argument", a.Key)
			}
			vals := make([]string, len(a.Vals))
			for i, v := range a.Vals {
				vals[i] = e.expand(t, pos, v)
			}
			add(tx.Strings(name, vals), nil)
		default:
			add(e.arg(t, pos, a.Key, a.Vals[0]))
		}
	}
	// Long arguments: strings ones collect an element per line.
	lists := map[string]int{}
	for _, l := range input {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		lhs, v, ok := strings.Cut(l, "=")
		if !ok {
			fail("input line %q: want name[:type]=value", l)
		}
		name, typ, _ := strings.Cut(lhs, ":")
		if typ == "strings" {
			el := e.expand(t, pos, v)
			if i, ok := lists[name]; ok {
				var prev []string
				if err := codec.State.Unmarshal(args[i].Value, &prev); err != nil {
					fail("%v", err)
				}
				args[i] = tx.Strings(name, append(prev, el))
				continue
			}
			lists[name] = len(args)
			add(tx.Strings(name, []string{el}), nil)
			continue
		}
		add(e.arg(t, pos, lhs, v))
	}
	c.args = args
	return c
}

// arg types one argument, after expanding its value.
func (e *env) arg(t *testing.T, pos, lhs, raw string) (tx.Arg, error) {
	name, typ, _ := strings.Cut(lhs, ":")
	v := e.expand(t, pos, raw)
	wrap := func(err error) (tx.Arg, error) { return tx.Arg{}, fmt.Errorf("argument %s=%q: %w", lhs, raw, err) }
	switch typ {
	case "", "string":
		return tx.String(name, v), nil
	case "uint":
		u, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return wrap(err)
		}
		return tx.Uint(name, u), nil
	case "int":
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return wrap(err)
		}
		return tx.Int(name, i), nil
	case "bool":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return wrap(err)
		}
		return tx.Bool(name, b), nil
	case "bytes":
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return wrap(err)
		}
		return tx.Bytes(name, b), nil
	case "hash":
		h := sha256.Sum256([]byte(v))
		return tx.Bytes(name, h[:]), nil
	case "strings": // long arguments only: one element a line
		return tx.Strings(name, []string{v}), nil
	}
	return wrap(errors.New("unknown type (string, uint, int, bool, bytes, hash or strings)"))
}

var braces = regexp.MustCompile(`\{[^{}]*\}`)

// expand replaces {now}, {now±duration} and {label} in v.
func (e *env) expand(t *testing.T, pos, v string) string {
	return braces.ReplaceAllStringFunc(v, func(m string) string {
		x := m[1 : len(m)-1]
		if rest, ok := strings.CutPrefix(x, "now"); ok {
			if rest == "" {
				return strconv.FormatInt(e.c.Now.Unix(), 10)
			}
			sign := int64(1)
			switch rest[0] {
			case '+':
			case '-':
				sign = -1
			default:
				t.Fatalf("%s: %s: want {now}, {now+<duration>} or {now-<duration>}", pos, m)
			}
			d, err := parseDuration(rest[1:])
			if err != nil {
				t.Fatalf("%s: %s: %v", pos, m, err)
			}
			return strconv.FormatInt(e.c.Now.Unix()+sign*int64(d/time.Second), 10)
		}
		id, ok := e.ids[x]
		if !ok {
			t.Fatalf("%s: %s names no labelled transaction (labels so far: %s)", pos, m, strings.Join(e.order, ", "))
		}
		return id.String()
	})
}

// parseDuration is time.ParseDuration with a leading days part ("31d",
// "1d12h").
func parseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", s, err)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + d, nil
}

// block signs and runs calls as the next block and prints each receipt.
func (e *env) block(t *testing.T, calls []*call) string {
	signed := make([]*tx.Signed, len(calls))
	for i, c := range calls {
		signed[i] = e.c.Sign(c.sender, c.contract, c.method, c.args...)
	}
	res := e.c.Block(signed...)
	var b strings.Builder
	for i, r := range res {
		c := calls[i]
		label := c.label
		if label == "" {
			label = "tx" + strconv.FormatUint(e.c.Height, 10)
			if i > 0 {
				label += "." + strconv.Itoa(i)
			}
		}
		e.ids[label], e.labels[r.ID] = r.ID, label
		e.order = append(e.order, label)
	}
	for i, r := range res {
		c := calls[i]
		switch {
		case r.Err != nil && !c.wantErr:
			t.Fatalf("%s: %s %s.%s failed, want success (write expect-error if the failure is the point):\n%v",
				c.pos, c.sender, c.contract, c.method, e.relabel(r.Err.Error()))
		case r.Err != nil && strings.Contains(r.Err.Error(), tx.ErrArg.Error()):
			// The script, not the contract, is wrong: an expect-error
			// would pass for the wrong reason.
			t.Fatalf("%s: %s %s.%s: the script's arguments do not fit the method (a one-element list is name:strings=(x)):\n%v",
				c.pos, c.sender, c.contract, c.method, e.relabel(r.Err.Error()))
		case r.Err == nil && c.wantErr:
			t.Fatalf("%s: %s %s.%s succeeded, want a failure; its events:\n%s",
				c.pos, c.sender, c.contract, c.method, e.relabel(events(r.Events)))
		}
		if len(res) > 1 {
			fmt.Fprintf(&b, "%d: %s %s.%s: ", i+1, c.sender, c.contract, c.method)
		}
		if r.Err != nil {
			fmt.Fprintf(&b, "error: %v\n", r.Err)
			continue
		}
		fmt.Fprintf(&b, "ok {%s} at height %d\n", e.labels[r.ID], e.c.Height)
		b.WriteString(events(r.Events))
	}
	if len(res) == 0 {
		fmt.Fprintf(&b, "empty block %d\n", e.c.Height)
	}
	return e.relabel(b.String())
}

// events prints events one a line: "contract.type key=value ...".
func events(evs []ledger.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s.%s", ev.Contract, ev.Type)
		for _, a := range ev.Attrs {
			fmt.Fprintf(&b, " %s=%s", a.Key, quote(a.Value))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// quote quotes values that would not read back as one word.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}

var txIDs = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// relabel writes the transaction ids in s as {label}.
func (e *env) relabel(s string) string {
	return txIDs.ReplaceAllStringFunc(s, func(h string) string {
		id, err := tx.ParseID(h)
		if err != nil {
			return h
		}
		if l, ok := e.labels[id]; ok {
			return "{" + l + "}"
		}
		return h
	})
}

// stamp formats Unix seconds of block time.
func stamp(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// sortedCopy returns a sorted copy of l.
func sortedCopy(l []string) []string {
	l = slices.Clone(l)
	slices.Sort(l)
	return l
}

// fileClaim reads "file-claim <member> [@label] claim_id=... patient=...
// insurer=... currency=... items=(CODE:YYYY-MM-DD:AMOUNT, ...)
// [records=(...)] [provider=...]" and files the claim as a hospital's
// portal does: one claim.submit that registers the itemised document (a
// record of category "claim", as member: document_ciphertext_hash) and
// carries the amounts, the document's id and the fingerprints under the
// chain's claims key (chaintest.FileClaim), so that a refused claim
// leaves no record.
func (e *env) fileClaim(t *testing.T, d *datadriven.TestData, wantErr bool) *call {
	if len(d.CmdArgs) < 1 {
		d.Fatalf(t, "%s <member> [@label] claim_id=... patient=... insurer=... currency=... items=(...)", d.Cmd)
	}
	cmd := append([]datadriven.CmdArg{d.CmdArgs[0], {Key: "claim.submit"}}, d.CmdArgs[1:]...)
	c := e.parseCall(t, d.Pos, wantErr, cmd, nil)
	str := func(name, def string) string {
		if !c.args.Has(name) {
			if def == "" {
				d.Fatalf(t, "%s: %s= is required", d.Cmd, name)
			}
			return def
		}
		v, err := c.args.String(name)
		if err != nil {
			d.Fatalf(t, "%s: %s: %v", d.Cmd, name, err)
		}
		return v
	}
	list := func(name string) []string {
		if !c.args.Has(name) {
			return nil
		}
		v, err := c.args.Strings(name)
		if err != nil {
			d.Fatalf(t, "%s: %s must be a list, e.g. %s=(a, b): %v", d.Cmd, name, name, err)
		}
		return v
	}
	doc := e.c.ClaimDoc(str("claim_id", ""), str("provider", identity.OrgOf(c.sender)), str("patient", ""), str("insurer", ""),
		str("currency", ""), list("items")...)
	doc.Records = list("records")
	c.args = e.c.FileClaim(c.sender, doc)
	return c
}
