package campaigns

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// FuzzLoad loads arbitrary bytes as a campaign file against
// testdata/config.yaml: Load must not panic nor return an error for a
// readable file, every finding must keep the location rule
// (strictyaml.CheckLocations), a campaign without error findings must be
// usable (checkUsable), and its CSV files must be in an allowed place
// (config.Config.CheckPath). The campaigns are written in the temporary
// directory, which allow_paths lets in.
func FuzzLoad(f *testing.F) {
	cfg := loadConfig(f)
	cfg.AllowPaths = append(cfg.AllowPaths, os.TempDir())
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "campaign.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, findings, err := Load(path, cfg)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if err := strictyaml.CheckLocations(path, data, findings); err != nil {
			t.Fatal(err)
		}
		if !findings.HasErrors() {
			checkUsable(t, c, cfg)
			for _, src := range []*Source{&c.Prospects, c.Exclude} {
				if src != nil {
					if err := cfg.CheckPath(src.Path); err != nil {
						t.Fatalf("%s passed with a CSV out of place: %v", src.Path, err)
					}
				}
			}
		}
	})
}
