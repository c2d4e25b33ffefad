package campaigns

import (
	"os"
	"path/filepath"
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
	goldens, _ := filepath.Glob("testdata/*.bad.golden")
	schematest.CheckFiles(t, "campaign", js, Schema(), goodCampaigns(t), goldens)
}
