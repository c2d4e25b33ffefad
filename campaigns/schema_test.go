package campaigns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/schematest"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// goodCampaigns are campaign files that decode without an error: the
// schema must accept each of them.
func goodCampaigns(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"testdata/*.good.yaml", "../examples/campaigns/*.yaml", "../cli/testdata/ws/campaigns/good.yaml",
		"../cli/testdata/allowance/campaigns/*.yaml"} {
		more, _ := filepath.Glob(glob)
		files = append(files, more...)
	}
	if len(files) < 8 {
		t.Fatalf("only %d good campaign files", len(files))
	}
	return files
}

func TestSchemaIsSound(t *testing.T) {
	if err := Schema().Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaMatchesDecoder: every mapping the decoder checks keys of,
// decoding every campaign file of the repository, is an object of the
// schema with exactly the same keys; every object of the schema is
// reached and every key read. See config's test of the same name.
func TestSchemaMatchesDecoder(t *testing.T) {
	var tr schematest.Tracer
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, goodCampaigns(t)...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := strictyaml.New(f)
		tr.Install(d)
		parse(d, data, nil)
	}
	for _, msg := range tr.Drift(Schema()) {
		t.Error(msg)
	}
}

// TestSchemaValidatesFiles: the JSON Schema `outreach schema campaign`
// prints accepts every good campaign file, which together set every key,
// and refuses every bad file's unknown keys.
func TestSchemaValidatesFiles(t *testing.T) {
	js, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	v, err := schematest.Compile(js)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, f := range goodCampaigns(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Validate(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		paths, err := schematest.KeyPaths(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			covered[p] = true
		}
	}
	for _, p := range schematest.Uncovered(Schema(), covered) {
		t.Errorf("no good campaign file sets %s: add it to one (testdata/full.good.yaml)", p)
	}
	goldens, _ := filepath.Glob("testdata/*.bad.golden")
	checked := 0
	for _, g := range goldens {
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		keys := schematest.UnknownKeys(string(want))
		if len(keys) == 0 {
			continue
		}
		data, err := os.ReadFile(strings.TrimSuffix(g, ".golden") + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		err = v.Validate(data)
		if err == nil {
			t.Errorf("%s: the schema accepts the unknown keys %q", g, keys)
			continue
		}
		for _, k := range keys {
			if !strings.Contains(err.Error(), "'"+k+"'") {
				t.Errorf("%s: the schema does not refuse unknown key %q:\n%v", g, k, err)
			}
		}
		checked++
	}
	if checked < 2 {
		t.Errorf("only %d bad files with unknown keys", checked)
	}
}
