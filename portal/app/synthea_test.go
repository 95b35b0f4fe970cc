package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/server"
)

// TestSyntheaBundlesRoundTrip registers every Synthea bundle in
// ../shared/fhir (real patient bundles no one here wrote, up to 1 MB) as a
// record through the portal, as a hospital uploads one (a GraphQL
// multipart request), and reads each back as the patient: byte for byte.
func TestSyntheaBundlesRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("six bundles of up to 1 MB")
	}
	paths, _ := filepath.Glob("../../../shared/fhir/synthea-*.json")
	if len(paths) == 0 {
		t.Skip("no Synthea bundles in ../shared/fhir")
	}
	sort.Strings(paths)
	_, p := startPortal(t, server.Config{})
	clerk, ana := as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana")
	for i, path := range paths {
		bundle, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("rec-synthea-%d", i+1)
		start := time.Now()
		r := clerk.upload(uploadDoc, map[string]any{"id": id, "p": "stmarys/patient-ana", "cat": "bundle"},
			filepath.Base(path), bundle)
		if len(r.Errors) != 0 || dig(r.Data, "registerRecord", "receipt", "status") != "OK" {
			t.Errorf("%s (%d bytes): registering: %.400s", filepath.Base(path), len(bundle), r.raw)
			continue
		}
		registered := time.Since(start)
		start = time.Now()
		got := ana.do(readContentDoc, map[string]any{"r": id})
		content, _ := dig(got.Data, "readRecord", "content").(string)
		if len(got.Errors) != 0 || content != string(bundle) {
			t.Errorf("%s (%d bytes): read back %d bytes, not the same: %.300s", filepath.Base(path), len(bundle),
				len(content), got.raw)
			continue
		}
		t.Logf("%s: %d bytes registered in %v, read back byte for byte in %v", filepath.Base(path), len(bundle),
			registered.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
}
