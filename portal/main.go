// Command portal runs the Almoner web portal: it follows a consortium
// node's committed blocks into its read model and serves GraphQL (HTTP and
// graphql-transport-ws) at /graphql, GraphiQL at /graphiql, /healthz and
// /metrics, and the web app (package frontend, embedded) at /.
//
//	portal --node 127.0.0.1:7070 --listen 127.0.0.1:8080 --home .almoner/portal [--dev .almoner/dev] [--pprof 127.0.0.1:PORT]
//	portal init --home DIR --org ORG --node ADDR --import KEYFILE,...   provision without --dev
//	portal passphrase --home DIR --new-passphrase-file FILE            rotate the passphrase
//	portal backup --home DIR --out FILE                                back up the running portal
//	portal restore --home NEWDIR --from FILE [--node ADDR]             restore a backup into a new home
//
// Outside --dev the portal's keys are sealed under a passphrase given in
// $ALMONER_PORTAL_PASSPHRASE or --passphrase-file (never stored).
//
// With --dev, the members of a dev consortium (key files in DIR/keys) get
// their keys imported into the portal keystore and demo accounts with
// random passwords, printed at start and offered to the web app's role
// switcher (GET /auth/dev-accounts, which exists only with --dev).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/frontend"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run runs the portal (or a subcommand) until ctx is done.
func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return cmdInit(args[1:])
		case "passphrase":
			return cmdPassphrase(args[1:])
		case "backup":
			return cmdBackup(args[1:])
		case "restore":
			return cmdRestore(args[1:])
		}
	}
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	node := fs.String("node", "127.0.0.1:7070", "node API address, or several comma-separated (failed over in order)")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP listen address")
	home := fs.String("home", ".almoner/portal", "portal data folder (read model, accounts, keystore)")
	dev := fs.String("dev", "", "a dev consortium folder (genesis.json, keys/): create demo accounts for its members")
	daemon := daemonflag.Register(fs, "127.0.0.1:6061")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served over TLS, e.g. behind a TLS proxy)")
	ratePerIP := fs.Int("rate-per-ip", 0, "requests per IP per rate window (0: the default)")
	ratePerUser := fs.Int("rate-per-user", 0, "requests per signed-in user or token per rate window (0: the default)")
	org := fs.String("org", "", "the organisation this portal serves (with --dev: import only its members' keys)")
	identity := fs.String("identity", "", "member to sign node API reads as (default: an admin of --org whose key the portal holds)")
	ppFile := fs.String("passphrase-file", "", "file whose first line is the passphrase sealing the portal's keys (default: $"+
		PassphraseEnv+"; only --dev portals may run without one)")
	claimsKeys := fs.String("claims-keys", "", "folder of the hospital's claims fingerprint key (<org>.key), to file claims (default with --dev: its claims-keys)")
	log, stopProf, err := daemon.Parse(args, os.Stderr)
	if err != nil {
		return err
	}
	defer stopProf()
	pp, err := passphrase(*ppFile)
	if err != nil {
		return err
	}
	// A provisioned portal (portal init) keeps its settings in its home;
	// flags given override them.
	st, err := app.LoadSettings(*home)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	nodes := strings.Split(*node, ",")
	if !set["node"] && len(st.Nodes) > 0 {
		nodes = st.Nodes
	}
	if !set["org"] && st.Org != "" {
		*org = st.Org
	}
	if !set["identity"] && st.Identity != "" {
		*identity = st.Identity
	}
	cfg := app.Config{Nodes: nodes, Listen: *listen, Home: *home, DevHome: *dev, Org: *org, Identity: *identity,
		ClaimsKeys: *claimsKeys, Passphrase: pp, Logger: log}
	cfg.Server.SecureCookies = *secure
	cfg.Server.RatePerIP, cfg.Server.RatePerUser = *ratePerIP, *ratePerUser
	cfg.Server.Frontend = frontend.FS()
	if *dev != "" {
		cfg.Server.DevAccounts = func() ([]server.DevAccount, error) { return readDevAccounts(*home, *dev) }
	}
	p, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	// Backups are served to the home's owner on a socket in the home
	// (portal backup); without it the portal still runs.
	bs, err := app.ServeBackups(p, *home, *org, log)
	if err != nil {
		log.Warn("portal backups unavailable", "err", err)
	}
	web := p.URL + "/"
	if !frontend.Built() {
		web += " (not built: run make build)"
	}
	fmt.Fprintf(os.Stderr, "\nAlmoner portal is running, following node %s\n  Web app:  %s\n  GraphiQL: %s/graphiql\n  GraphQL:  %s/graphql (POST, GET, WebSocket graphql-transport-ws)\n  Health:   %s/healthz   Metrics: %s/metrics\n",
		*node, web, p.URL, p.URL, p.URL, p.URL)
	if len(p.DevAccounts) > 0 {
		printAccounts(*dev, p.DevAccounts)
	}
	fmt.Fprintln(os.Stderr, "  Press Ctrl-C to stop.")
	<-ctx.Done()
	log.Info("stopping portal")
	if bs != nil {
		_ = bs.Close() // before the stores it reads close
	}
	if err := p.Close(); err != nil {
		return err
	}
	log.Info("portal stopped cleanly")
	return nil
}

func printAccounts(devHome string, accounts map[string]string) {
	roles := map[string]string{}
	if g, err := genesis.Load(devHome + "/genesis.json"); err == nil {
		for _, m := range g.Members {
			roles[m.ID] = strings.Join(m.Roles, ", ")
		}
	}
	ids := make([]string, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintln(os.Stderr, "  Demo accounts (development only; passwords in the portal home's dev-accounts.txt):")
	for _, id := range ids {
		fmt.Fprintf(os.Stderr, "    %-22s %-24s %s\n", id, accounts[id], roles[id])
	}
}

// readDevAccounts reads the demo accounts the portal wrote to
// home/dev-accounts.txt, with their roles from the dev genesis, sorted.
func readDevAccounts(home, devHome string) ([]server.DevAccount, error) {
	b, err := os.ReadFile(filepath.Join(home, "dev-accounts.txt"))
	if err != nil {
		return nil, fmt.Errorf("reading the demo accounts: %w", err)
	}
	roles := map[string][]string{}
	if g, err := genesis.Load(filepath.Join(devHome, "genesis.json")); err == nil {
		for _, m := range g.Members {
			roles[m.ID] = m.Roles
		}
	}
	var out []server.DevAccount
	for _, line := range strings.Split(string(b), "\n") {
		if id, pw, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			out = append(out, server.DevAccount{Account: id, Password: pw, Roles: roles[id]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out, nil
}
