package daemonflag

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/almoner/almoner/consortium-node/pprofserver"
)

// LogLevel registers --log-level (debug, info, warn or error; default
// info) on fs. The returned function, called after fs.Parse, returns a
// text logger writing to w at that level, or an error naming the flag.
func LogLevel(fs *flag.FlagSet) func(w io.Writer) (*slog.Logger, error) {
	level := fs.String("log-level", "info", "debug, info, warn or error")
	return func(w io.Writer) (*slog.Logger, error) {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(*level)); err != nil {
			return nil, fmt.Errorf("--log-level: %w", err)
		}
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
	}
}

// Command returns the flag set of the subcommand name (consortium-node backup, portal init, ...): Parse returns
// the first error, and usage, the subcommand's help text, is what it prints (on fs.Output, standard error) for -h or
// flags it does not know.
func Command(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	return fs
}

// Daemon holds a daemon's shared flags (Register) and the flag set they are registered on.
type Daemon struct {
	fs     *flag.FlagSet
	logger func(io.Writer) (*slog.Logger, error)
	pprof  *string
}

// Register registers --log-level and --pprof on fs; example is the
// loopback address the help text offers for --pprof (each daemon has its
// own port).
func Register(fs *flag.FlagSet, example string) *Daemon {
	return &Daemon{
		fs:     fs,
		logger: LogLevel(fs),
		pprof: fs.String("pprof", "", "serve Go profiles (net/http/pprof) at http://ADDR/debug/pprof/ on a listener of "+
			"their own; a loopback address only, e.g. "+example+" (default: off)"),
	}
}

// Parse parses the daemon's arguments (all its flags: Register's and those the daemon registered on the same
// flag set), then checks both shared flags before anything starts (a --pprof address that is not loopback is
// pprofserver.ErrNotLoopback), returns the logger writing to w and starts the profile listener when --pprof is
// set. stop closes the listener (a no-op without one); call it when the daemon ends.
func (d *Daemon) Parse(args []string, w io.Writer) (log *slog.Logger, stop func(), err error) {
	if err := d.fs.Parse(args); err != nil {
		return nil, nil, err
	}
	addr := *d.pprof
	if addr != "" {
		if err := pprofserver.CheckAddr(addr); err != nil {
			return nil, nil, fmt.Errorf("--pprof: %w", err)
		}
	}
	if log, err = d.logger(w); err != nil {
		return nil, nil, err
	}
	if addr == "" {
		return log, func() {}, nil
	}
	prof, err := pprofserver.Start(addr, log)
	if err != nil {
		return nil, nil, fmt.Errorf("--pprof: %w", err)
	}
	return log, func() { _ = prof.Close() }, nil
}
