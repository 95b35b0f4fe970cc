// Command portal runs the Almoner web portal: it follows a consortium
// node's committed blocks into its read model and serves GraphQL (HTTP and
// graphql-transport-ws) at /graphql, GraphiQL at /graphiql, /healthz and
// /metrics.
//
//	portal --node 127.0.0.1:7070 --listen 127.0.0.1:8080 --home .almoner/portal [--dev .almoner/dev]
//
// With --dev, the members of a dev consortium (key files in DIR/keys) get
// their keys imported into the portal keystore and demo accounts with
// random passwords, printed at start.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/app"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	node := fs.String("node", "127.0.0.1:7070", "node API address")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP listen address")
	home := fs.String("home", ".almoner/portal", "portal data folder (read model, accounts, keystore)")
	dev := fs.String("dev", "", "a dev consortium folder (genesis.json, keys/): create demo accounts for its members")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served over TLS, e.g. behind a TLS proxy)")
	ratePerIP := fs.Int("rate-per-ip", 0, "requests per IP per rate window (0: the default)")
	ratePerUser := fs.Int("rate-per-user", 0, "requests per signed-in user or token per rate window (0: the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := app.Config{Node: *node, Listen: *listen, Home: *home, DevHome: *dev, Logger: log}
	cfg.Server.SecureCookies = *secure
	cfg.Server.RatePerIP, cfg.Server.RatePerUser = *ratePerIP, *ratePerUser
	p, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nAlmoner portal is running, following node %s\n  GraphiQL: %s/graphiql\n  GraphQL:  %s/graphql (POST, GET, WebSocket graphql-transport-ws)\n  Health:   %s/healthz   Metrics: %s/metrics\n",
		*node, p.URL, p.URL, p.URL, p.URL)
	if len(p.DevAccounts) > 0 {
		printAccounts(*dev, p.DevAccounts)
	}
	fmt.Fprintln(os.Stderr, "  Press Ctrl-C to stop.")
	<-ctx.Done()
	log.Info("stopping portal")
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
