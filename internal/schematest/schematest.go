package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// Validator validates YAML documents against a JSON Schema.
type Validator struct{ s *jsonschema.Schema }

// Compile compiles a JSON Schema document.
func Compile(schemaJSON []byte) (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		return nil, err
	}
	return &Validator{s}, nil
}

// Validate validates a YAML document, its scalars typed as a YAML 1.2
// language server types them (by their resolved tag).
func (v *Validator) Validate(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("yaml: empty document")
	}
	val, err := toJSON(doc.Content[0])
	if err != nil {
		return err
	}
	js, err := json.Marshal(val)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return v.s.Validate(inst)
}

func toJSON(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return toJSON(n.Alias)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := toJSON(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSON(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		return n.Value == "true", nil
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			return json.Number(n.Value), nil
		}
		return json.Number(strconv.FormatInt(v, 10)), nil
	case "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return n.Value, nil
		}
		return v, nil
	}
	return n.Value, nil
}

// Tracer records the mappings a decoder checks (strictyaml.Decoder.Trace).
type Tracer struct {
	// Known holds, by path with list indexes as [] ("accounts[].limits"),
	// the key lists the decoder checked mappings there against.
	Known map[string][][]string
	// Read holds, by the same paths, the keys decoding code read.
	Read map[string]map[string]bool
}

// Install makes the tracer record what d checks and reads.
func (t *Tracer) Install(d *strictyaml.Decoder) {
	d.Trace, d.TraceRead = t.Trace, t.TraceRead
}

// TraceRead is a strictyaml.Decoder.TraceRead.
func (t *Tracer) TraceRead(path, key string) {
	if t.Read == nil {
		t.Read = map[string]map[string]bool{}
	}
	path = indexRE.ReplaceAllString(path, "[]")
	if t.Read[path] == nil {
		t.Read[path] = map[string]bool{}
	}
	t.Read[path][key] = true
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// Trace is a strictyaml.Decoder.Trace.
func (t *Tracer) Trace(path string, known []string) {
	if t.Known == nil {
		t.Known = map[string][][]string{}
	}
	path = indexRE.ReplaceAllString(path, "[]")
	for _, k := range t.Known[path] {
		if slices.Equal(k, known) {
			return
		}
	}
	t.Known[path] = append(t.Known[path], slices.Clone(known))
}

// Drift compares the traced mappings with the schema: every mapping the
// decoder checked must be an object of the schema with the same keys;
// every object of the schema must have been checked (else the files
// traced do not cover it, or the decoder never reads it), and every key
// read (a sub-object is reached instead). It returns one line per
// difference.
func (t *Tracer) Drift(s *strictyaml.Schema) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(t.Known)) {
		obj := s.At(path)
		for _, known := range t.Known[path] {
			switch {
			case obj == nil || obj.Type != strictyaml.Object:
				out = append(out, fmt.Sprintf("%q: the decoder checks keys %v; the schema has no object there", path, known))
			case !slices.Equal(obj.Keys(), known):
				out = append(out, fmt.Sprintf("%q: the decoder accepts %v, the schema %v", path, known, obj.Keys()))
			}
		}
	}
	s.Walk(func(path string, obj *strictyaml.Schema) {
		if _, ok := t.Known[path]; !ok {
			out = append(out, fmt.Sprintf("%q: an object of the schema that no file traced reaches", path))
			return
		}
		for _, k := range obj.Keys() {
			if !t.Read[path][k] && obj.Prop(k).Type != strictyaml.Object {
				out = append(out, fmt.Sprintf("%q: the decoder never reads key %q of the schema", path, k))
			}
		}
	})
	return out
}

var unknownKeyRE = regexp.MustCompile(`unknown key "([^"]+)"`)

// UnknownKeys returns the keys a golden file of findings reports as
// unknown.
func UnknownKeys(golden string) []string {
	var out []string
	for _, line := range strings.Split(golden, "\n") {
		if m := unknownKeyRE.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// KeyPaths returns the paths of every key of a YAML document, list
// indexes as [] ("accounts[].limits.daily").
func KeyPaths(data []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	var out []string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := strictyaml.Join(path, n.Content[i].Value)
				out = append(out, p)
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path+"[]")
			}
		}
	}
	walk(doc.Content[0], "")
	return out, nil
}

// Uncovered returns the keys of the schema that none of paths (KeyPaths of
// the files that validate) holds: keys whose type no file checks.
func Uncovered(s *strictyaml.Schema, paths map[string]bool) []string {
	var out []string
	s.Walk(func(path string, obj *strictyaml.Schema) {
		for _, k := range obj.Keys() {
			if p := strictyaml.Join(path, k); !paths[p] {
				out = append(out, p)
			}
		}
	})
	return out
}

// CheckFiles is the file half of a schema's drift test: the JSON Schema
// schemaJSON (generated from s) accepts every good file, the good files
// together set every key of s (so that each key's type is checked), and
// every bad file whose golden names unknown keys (FILE.bad.golden beside
// FILE.bad.yaml) is refused for each of them. what names the files in
// messages ("config", "campaign").
func CheckFiles(t testing.TB, what string, schemaJSON []byte, s *strictyaml.Schema, good, badGoldens []string) {
	t.Helper()
	v, err := Compile(schemaJSON)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, f := range good {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Validate(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		paths, err := KeyPaths(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			covered[p] = true
		}
	}
	for _, p := range Uncovered(s, covered) {
		t.Errorf("no good %s file sets %s: add it to one (testdata/full.good.yaml)", what, p)
	}
	checked := 0
	for _, g := range badGoldens {
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		keys := UnknownKeys(string(want))
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
		t.Errorf("only %d bad %s files with unknown keys", checked, what)
	}
}
