package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/privacy/keystore"
)

// PassphraseEnv holds the passphrase that seals the portal's keys (or use
// --passphrase-file).
const PassphraseEnv = "ALMONER_PORTAL_PASSPHRASE"

// passphrase reads the portal's passphrase from file (first line) or, with
// no file, from $ALMONER_PORTAL_PASSPHRASE; nil when neither is set.
func passphrase(file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		if p := bytes.TrimRight(line, "\r"); len(p) > 0 {
			return p, nil
		}
		return nil, fmt.Errorf("--passphrase-file %s is empty", file)
	}
	if p := os.Getenv(PassphraseEnv); p != "" {
		return []byte(p), nil
	}
	return nil, nil
}

// list splits a comma-separated flag value (--node, --import), dropping
// blanks around items and empty items; nil for none.
func list(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

const initUsage = `usage: portal init --home DIR --org ORG --node ADDR[,ADDR...] --import KEYFILE[,KEYFILE...] [--admin MEMBER]
                   [--genesis FILE] [--password-file FILE] [--passphrase-file FILE]

Provisions a portal for one organisation without --dev: the portal's key sealed under the passphrase
($ALMONER_PORTAL_PASSPHRASE or --passphrase-file; never stored), the organisation's member key files (from
almoner keygen, or the organisation's genesis keys) imported into its keystore, and the first admin's account
with an initial password (shown once, or read from --password-file) to change at first sign-in. Then run
  portal --home DIR
which reads the organisation, node and identity from DIR/portal.json. Further members are enrolled from the
portal (createMember: keys made in the keystore, identity.add_member signed by the admin, a first password).
`

func cmdInit(args []string) error {
	fs := daemonflag.Command("portal init", initUsage)
	home := fs.String("home", "", "portal data folder to create")
	org := fs.String("org", "", "the organisation this portal serves")
	node := fs.String("node", "", "the organisation's node API address(es), comma-separated")
	imports := fs.String("import", "", "member key files to import, comma-separated (members of --org only)")
	admin := fs.String("admin", "", "the imported member who gets the first account (default: the first key file's)")
	gen := fs.String("genesis", "", "the consortium's genesis.json (required for https:// nodes: its node keys authenticate them)")
	pwFile := fs.String("password-file", "", "the admin's initial password (default: random, printed once)")
	ppFile := fs.String("passphrase-file", "", "file whose first line is the passphrase (default: $"+PassphraseEnv+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pp, err := passphrase(*ppFile)
	if err != nil {
		return err
	}
	if pp == nil {
		return fmt.Errorf("set $%s or --passphrase-file: the passphrase seals the portal's keys and is never stored", PassphraseEnv)
	}
	var pw string
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	res, err := app.Init(context.Background(), app.InitConfig{Home: *home, Org: *org, Nodes: list(*node), Passphrase: pp,
		KeyFiles: list(*imports), Admin: *admin, Password: pw, Genesis: *gen})
	if err != nil {
		return err
	}
	fmt.Printf("Provisioned the portal of %s in %s.\n  keys imported: %s\n  first admin:   %s\n", *org, *home,
		strings.Join(res.Imported, ", "), res.Admin)
	if res.InitialPassword != "" {
		fmt.Printf("  initial password (shown once; to change at first sign-in): %s\n", res.InitialPassword)
	}
	if res.Warning != "" {
		fmt.Printf("  warning: %s\n", res.Warning)
	}
	fmt.Printf("Run it with:\n  %s=... portal --home %s --listen 127.0.0.1:8080\n", PassphraseEnv, *home)
	return nil
}

// cmdPassphrase re-seals a portal's key under a new passphrase.
func cmdPassphrase(args []string) error {
	fs := flag.NewFlagSet("portal passphrase", flag.ContinueOnError)
	home := fs.String("home", ".almoner/portal", "portal data folder")
	ppFile := fs.String("passphrase-file", "", "the current passphrase's file (default: $"+PassphraseEnv+")")
	newFile := fs.String("new-passphrase-file", "", "file whose first line is the new passphrase (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	old, err := passphrase(*ppFile)
	if err != nil {
		return err
	}
	if *newFile == "" {
		return errors.New("--new-passphrase-file is required")
	}
	next, err := passphrase(*newFile)
	if err != nil {
		return err
	}
	if err := keyring.Reseal(filepath.Join(*home, app.OrgKeyFile), "portal", old, next, keystore.Options{KDF: keystore.DefaultKDF}); err != nil {
		return err
	}
	fmt.Println("The portal's key is sealed under the new passphrase; restart the portal with it.")
	return nil
}
