package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/schematest"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// goodConfigs are config files that decode without an error: the schema
// must accept each of them.
func goodConfigs(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("testdata/*.good.yaml")
	more, _ := filepath.Glob("../cli/testdata/*/config.yaml")
	files = append(files, more...)
	files = append(files, "../config.yaml", "../examples/production.yaml", "../campaigns/testdata/config.yaml")
	if len(files) < 10 {
		t.Fatalf("only %d good config files", len(files))
	}
	return files
}

func TestSchemaIsSound(t *testing.T) {
	if err := Schema().Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaMatchesDecoder: every mapping the decoder checks keys of,
// decoding every config file of the repository, is an object of the
// schema with exactly the same keys, and every object of the schema is
// reached. The decoder reads its keys from the schema (Decoder.Object), so
// this fails when a mapping is checked against keys listed by hand, or
// when the schema grows an object the decoder never reads.
func TestSchemaMatchesDecoder(t *testing.T) {
	var tr schematest.Tracer
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, goodConfigs(t)...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := strictyaml.New(f)
		tr.Install(d)
		parse(d, data)
	}
	for _, msg := range tr.Drift(Schema()) {
		t.Error(msg)
	}
}

// TestSchemaValidatesFiles: the JSON Schema `outreach schema config`
// prints accepts every good config file, and refuses every bad file's
// unknown keys.
func TestSchemaValidatesFiles(t *testing.T) {
	js, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob("testdata/*.bad.golden")
	schematest.CheckFiles(t, "config", js, Schema(), goodConfigs(t), goldens)
}
