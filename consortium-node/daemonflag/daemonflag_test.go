package daemonflag

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/daemonflag/daemonflagtest"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
)

// parse registers the shared flags on a new flag set and parses args.
func parse(w io.Writer, args ...string) (*slog.Logger, func(), error) {
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Register(fs, "127.0.0.1:6060").Parse(args, w)
}

// TestLogLevel: the logger writes at the level asked for (info by
// default); a level that is not one is an error naming the flag.
func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		debug, inf bool
	}{
		{nil, false, true},
		{[]string{"--log-level", "debug"}, true, true},
		{[]string{"--log-level", "warn"}, false, false},
	} {
		var buf bytes.Buffer
		log, stop, err := parse(&buf, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		stop()
		log.Debug("d-line")
		log.Info("i-line")
		if got := strings.Contains(buf.String(), "d-line"); got != tc.debug {
			t.Errorf("%v: debug written = %v, want %v", tc.args, got, tc.debug)
		}
		if got := strings.Contains(buf.String(), "i-line"); got != tc.inf {
			t.Errorf("%v: info written = %v, want %v", tc.args, got, tc.inf)
		}
	}
	if _, _, err := parse(io.Discard, "--log-level", "loud"); err == nil ||
		!strings.Contains(err.Error(), "--log-level") {
		t.Errorf("--log-level loud: %v, want an error naming the flag", err)
	}
	if _, _, err := parse(io.Discard, "--log-level", "debug", "--nope"); err == nil ||
		!strings.Contains(err.Error(), "-nope") {
		t.Errorf("--nope: %v, want the flag set's error naming the flag", err)
	}
}

// TestPprof: a non-loopback address is refused before the logger is
// built (a bad --log-level too is reported as --pprof); a loopback one
// serves the profiles until stop.
func TestPprof(t *testing.T) {
	daemonflagtest.RefusesNonLoopbackPprof(t, func(pprof []string) error {
		_, _, err := parse(io.Discard, append(pprof, "--log-level", "loud")...)
		return err
	})
	addr := freeport.Addr(t)
	_, stop, err := parse(io.Discard, "--pprof", addr)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /debug/pprof/: %s", res.Status)
	}
	stop()
	if res, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		res.Body.Close()
		t.Error("profiles still served after stop")
	}
}

// TestCommand: a subcommand's flags stop at the first error, which Parse returns, and print the subcommand's
// help text (only it) for -h and for a flag it does not know.
func TestCommand(t *testing.T) {
	const usage = "usage: node thing --home H\n"
	for _, tc := range []struct {
		args []string
		want error
	}{{[]string{"-h"}, flag.ErrHelp}, {[]string{"--nope"}, nil}, {[]string{"--home", "x"}, nil}} {
		fs := Command("thing", usage)
		home := fs.String("home", "", "home")
		var out bytes.Buffer
		fs.SetOutput(&out)
		err := fs.Parse(tc.args)
		switch {
		case tc.args[0] == "--home":
			if err != nil || *home != "x" || out.Len() != 0 {
				t.Errorf("%v: %v, home %q, printed %q", tc.args, err, *home, out.String())
			}
		case err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.HasSuffix(out.String(), usage) ||
			strings.Contains(out.String(), "-home string"):
			t.Errorf("%v: %v, printed %q; want an error and the usage alone", tc.args, err, out.String())
		}
	}
}
