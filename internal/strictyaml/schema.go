package strictyaml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Schema describes a YAML file's keys: the one definition that the
// decoder's unknown-key check reads (Decoder.Object, Map.Object) and that
// JSONSchema writes out for editors. A Schema says what a value may look
// like; the decoding code says what it means and checks the rest (ranges
// across keys, references to other parts).
type Schema struct {
	Type        Type
	Description string
	Default     any      // written as "default" when not nil
	Enum        []string // the allowed strings
	Pattern     string   // a regular expression (ECMA 262) a string matches
	Min, Max    *float64 // inclusive bounds of a number
	// ExclusiveMin makes Min exclusive (rate > 0), ExclusiveMax Max.
	ExclusiveMin, ExclusiveMax bool
	MinItems                   int     // of a list
	Unique                     bool    // a list's items are distinct
	Items                      *Schema // of a list
	Props                      []Prop  // of an object, in the order documentation shows them
	// Values, of an object without Props, describes the value of every key
	// (a free-form mapping such as variant_accept_rates); KeyPattern
	// constrains its keys.
	Values     *Schema
	KeyPattern string
	// AnyOf lists the alternatives of a value of several shapes (an
	// integer or "unlimited"); Type is then empty.
	AnyOf []*Schema
	// Const is the one value allowed, when not nil.
	Const any
}

// Type is the JSON Schema type of a value.
type Type string

// The types of a Schema.
const (
	Object  Type = "object"
	Array   Type = "array"
	String  Type = "string"
	Integer Type = "integer"
	Number  Type = "number"
	Boolean Type = "boolean"
)

// Prop is one key of an object.
type Prop struct {
	Name     string
	Required bool
	*Schema
}

// Keys returns the names of the object's keys, in order.
func (s *Schema) Keys() []string {
	keys := make([]string, len(s.Props))
	for i, p := range s.Props {
		keys[i] = p.Name
	}
	return keys
}

// Prop returns the schema of key, or nil when the object has no such key.
func (s *Schema) Prop(key string) *Schema {
	if s == nil {
		return nil
	}
	for _, p := range s.Props {
		if p.Name == key {
			return p.Schema
		}
	}
	return nil
}

// At returns the schema at a decoder path ("accounts[3].limits.daily";
// indexes name a list's items), or nil when the path leads nowhere in s.
func (s *Schema) At(path string) *Schema {
	for path != "" && s != nil {
		switch {
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			s, path = s.Items, path[end+1:]
		case path[0] == '.':
			path = path[1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			s, path = s.Prop(path[:end]), path[end:]
		}
	}
	return s
}

// Walk calls fn with the decoder path of every object in s ("" for s
// itself, "accounts[]" for a list's items), depth first.
func (s *Schema) Walk(fn func(path string, obj *Schema)) { s.walk("", fn) }

func (s *Schema) walk(path string, fn func(string, *Schema)) {
	switch {
	case s == nil:
	case s.Type == Object && s.Props != nil:
		fn(path, s)
		for _, p := range s.Props {
			p.walk(Join(path, p.Name), fn)
		}
	case s.Type == Array:
		s.Items.walk(path+"[]", fn)
	}
}

// Object checks that n is a mapping whose keys are those of the object
// schema s and returns it; see Map. Map.Object then finds the schemas of
// its sub-mappings.
func (d *Decoder) Object(n *yaml.Node, path string, s *Schema) *Map {
	if s == nil || s.Type != Object {
		panic(fmt.Sprintf("strictyaml: no object schema for %q", path))
	}
	m := d.Map(n, path, s.Keys()...)
	m.schema = s
	return m
}

// Object returns the mapping under key, checked against the key's object
// schema in m's schema; see Map.Map.
func (m *Map) Object(key string) *Map {
	s := m.schema.Prop(key)
	if s == nil || s.Type != Object {
		panic(fmt.Sprintf("strictyaml: no object schema for %q", m.KeyPath(key)))
	}
	sub := m.Map(key, s.Keys()...)
	sub.schema = s
	return sub
}

// ItemSchema returns the schema of the items of the list under key.
func (m *Map) ItemSchema(key string) *Schema {
	s := m.schema.Prop(key)
	if s == nil || s.Type != Array || s.Items == nil {
		panic(fmt.Sprintf("strictyaml: no list schema for %q", m.KeyPath(key)))
	}
	return s.Items
}

// JSONSchema writes s as a JSON Schema (draft 2020-12) document with the
// given title, for editors' YAML language servers. Every object is closed
// (additionalProperties: false) and, below the top level, may be written
// empty (`limits:`), as the decoder accepts.
func JSONSchema(s *Schema, title string) ([]byte, error) {
	root := s.json(true)
	doc := append(obj{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"title", title},
	}, root...)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// obj is a JSON object that keeps its keys in order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		v, err := marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (s *Schema) json(top bool) obj {
	var o obj
	add := func(k string, v any) { o = append(o, kv{k, v}) }
	if s.Description != "" {
		add("description", s.Description)
	}
	switch {
	case s.Type == Object && !top:
		add("type", []Type{Object, "null"})
	case s.Type != "":
		add("type", s.Type)
	}
	if s.Const != nil {
		add("const", s.Const)
	}
	if s.Enum != nil {
		add("enum", s.Enum)
	}
	if s.Pattern != "" {
		add("pattern", s.Pattern)
	}
	if s.Min != nil {
		if s.ExclusiveMin {
			add("exclusiveMinimum", *s.Min)
		} else {
			add("minimum", *s.Min)
		}
	}
	if s.Max != nil {
		if s.ExclusiveMax {
			add("exclusiveMaximum", *s.Max)
		} else {
			add("maximum", *s.Max)
		}
	}
	if s.Type == Array {
		if s.MinItems > 0 {
			add("minItems", s.MinItems)
		}
		if s.Unique {
			add("uniqueItems", true)
		}
		if s.Items != nil {
			add("items", s.Items.json(false))
		}
	}
	if s.Type == Object {
		if s.Props != nil || s.Values == nil {
			props := obj{}
			var required []string
			for _, p := range s.Props {
				props = append(props, kv{p.Name, p.json(false)})
				if p.Required {
					required = append(required, p.Name)
				}
			}
			add("properties", props)
			if required != nil {
				add("required", required)
			}
			add("additionalProperties", false)
		} else {
			if s.KeyPattern != "" {
				add("propertyNames", obj{{"pattern", s.KeyPattern}})
			}
			add("additionalProperties", s.Values.json(false))
		}
	}
	if s.AnyOf != nil {
		alts := make([]obj, len(s.AnyOf))
		for i, a := range s.AnyOf {
			alts[i] = a.json(false)
		}
		add("anyOf", alts)
	}
	if s.Default != nil {
		add("default", s.Default)
	}
	return o
}

// Float returns a pointer to v, for Min and Max.
func Float(v float64) *float64 { return &v }

// Check reports what is wrong with the schema itself: a property without
// a schema, a repeated key, an object list without item schema, a default
// or enum of the wrong type. Tests call it.
func (s *Schema) Check() error {
	var errs []string
	s.Walk(func(path string, o *Schema) {
		seen := map[string]bool{}
		for _, p := range o.Props {
			switch {
			case p.Schema == nil:
				errs = append(errs, fmt.Sprintf("%s: no schema", Join(path, p.Name)))
			case seen[p.Name]:
				errs = append(errs, fmt.Sprintf("%s: listed twice", Join(path, p.Name)))
			case p.Description == "":
				errs = append(errs, fmt.Sprintf("%s: no description", Join(path, p.Name)))
			case p.Type == Array && p.Items == nil:
				errs = append(errs, fmt.Sprintf("%s: a list without item schema", Join(path, p.Name)))
			case p.Type == "" && p.AnyOf == nil:
				errs = append(errs, fmt.Sprintf("%s: no type", Join(path, p.Name)))
			}
			seen[p.Name] = true
		}
	})
	slices.Sort(errs)
	if errs != nil {
		return fmt.Errorf("schema: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Schema builders, for the files' definitions (config/schema.go,
// campaigns/schema.go) to read as the files do.

// Text is a string with a description.
func Text(description string) *Schema {
	return &Schema{Type: String, Description: description}
}

// ObjectOf is a mapping with the given keys.
func ObjectOf(description string, props ...Prop) *Schema {
	if props == nil {
		props = []Prop{}
	}
	return &Schema{Type: Object, Description: description, Props: props}
}

// Optional is an optional key.
func Optional(name string, s *Schema) Prop { return Prop{Name: name, Schema: s} }

// Mandatory is a required key.
func Mandatory(name string, s *Schema) Prop { return Prop{Name: name, Required: true, Schema: s} }

// WithDefault sets s's documented default and returns s.
func WithDefault(s *Schema, def any) *Schema {
	s.Default = def
	return s
}
