package install

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadExport: any file, CSV or JSONL, is read without a panic; what
// is accepted is valid for Rebuild (known accounts, unique keys, answers
// with their times), never in the future, and comes with no error finding.
func FuzzReadExport(f *testing.F) {
	f.Add([]byte("account,person,campaign,at,answer,answered\nalice,https://example.com/in/ann,spring,2026-11-20T09:00:00Z,accepted,2026-11-21T09:00:00Z\n"), false)
	f.Add([]byte(`{"account":"bob","person":"p","campaign":"spring","at":"2026-11-20T09:00:00Z","note":true}`+"\n"), true)
	f.Add([]byte("account,person,campaign,at\n\"alice,p,spring,2026-11-20T09:00:00Z\n"), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		name := "x.csv"
		if jsonl {
			name = "x.jsonl"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sent, fs, err := ReadExport(p, exportOpt)
		if err != nil {
			t.Fatal(err)
		}
		if fs.HasErrors() != (sent == nil) {
			t.Fatalf("%d invitations with findings %v", len(sent), fs.Strings())
		}
		if err := Validate(sent, exportOpt.Accounts); err != nil {
			t.Fatalf("accepted an invitation Rebuild refuses: %v", err)
		}
		keys := map[string]bool{}
		for _, s := range sent {
			if keys[s.Key] {
				t.Fatalf("key %q twice", s.Key)
			}
			keys[s.Key] = true
			if s.At.After(exportOpt.Now) || !exportOpt.Campaigns[s.Campaign] {
				t.Fatalf("accepted %+v", s)
			}
		}
	})
}
