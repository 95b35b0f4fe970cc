package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/portal/app"
)

const backupUsage = `usage: portal backup --home DIR --out FILE

Asks the portal running on DIR (over its socket DIR/backup.sock, open to the home's owner only) for a
consistent backup: the accounts database (one snapshot), keystore/, portal-org.key, portal.json and
genesis.json. Never the passphrase, never the read model (rebuilt from the node). FILE must not exist.
`

const restoreUsage = `usage: portal restore --home NEWDIR --from FILE [--node ADDR[,ADDR...]]

Creates a portal home from a portal backup, after checking its checksum and that the node (--node, default
the backup's portal.json nodes) serves the backup's chain. Then start it as before:
  portal --home NEWDIR   (with the same passphrase; it rebuilds its read model from the node)
`

func cmdBackup(args []string) error {
	fs := daemonflag.Command("portal backup", backupUsage)
	home := fs.String("home", ".almoner/portal", "the running portal's home")
	out := fs.String("out", "", "the archive file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errors.New("--out is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, report, err := api.WriteBackupFileReport(*out, func(f *os.File) (*api.BackupHeader, error) {
		return app.RequestBackup(ctx, *home, f)
	})
	if err != nil {
		return err
	}
	fmt.Println(report)
	return nil
}

func cmdRestore(args []string) error {
	fs := daemonflag.Command("portal restore", restoreUsage)
	home := fs.String("home", "", "the portal home to create (must not exist, or be empty)")
	from := fs.String("from", "", "the archive (portal backup)")
	node := fs.String("node", "", "node API address(es) to check the chain against (default: the backup's portal.json nodes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *home == "" || *from == "" {
		fs.Usage()
		return errors.New("--home and --from are required")
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := app.Restore(ctx, app.RestoreConfig{From: f, Home: *home, ChainID: app.NodeChain(list(*node))})
	if err != nil {
		return err
	}
	fmt.Printf("restored %s into %s\nstart it with the same passphrase: portal --home %s\n", rep, *home, *home)
	return nil
}
