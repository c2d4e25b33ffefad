package strictyaml

import (
	"math"

	"go.yaml.in/yaml/v3"
)

// scalar returns n as a non-empty scalar, reporting a type error otherwise.
func (d *Decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	n = resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.TypeError(n, path, want)
		return nil, false
	}
	return n, true
}

// String decodes a string. Any non-empty scalar is accepted as written
// (`id: 007` is the string "007"); lists, mappings and empty values are not.
func (d *Decoder) String(n *yaml.Node, path string) (string, bool) {
	n, ok := d.scalar(n, path, "a string")
	if !ok {
		return "", false
	}
	return n.Value, true
}

// Int decodes an integer (not a quoted one, not a float).
func (d *Decoder) Int(n *yaml.Node, path string) (int, bool) {
	v, ok := d.Int64(n, path)
	if !ok {
		return 0, false
	}
	if int64(int(v)) != v {
		d.TypeError(n, path, "an integer of a sensible size")
		return 0, false
	}
	return int(v), true
}

// Int64 decodes a 64-bit integer.
func (d *Decoder) Int64(n *yaml.Node, path string) (int64, bool) {
	n, ok := d.scalar(n, path, "an integer")
	if !ok {
		return 0, false
	}
	var v int64
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.TypeError(n, path, "an integer")
		return 0, false
	}
	return v, true
}

// Float decodes a finite number (an integer or a float).
func (d *Decoder) Float(n *yaml.Node, path string) (float64, bool) {
	n, ok := d.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	var v float64
	if tag := n.ShortTag(); (tag != "!!int" && tag != "!!float") || n.Decode(&v) != nil ||
		math.IsNaN(v) || math.IsInf(v, 0) {
		d.TypeError(n, path, "a number")
		return 0, false
	}
	return v, true
}

// Bool decodes true or false (YAML 1.2: not yes/no/on/off).
func (d *Decoder) Bool(n *yaml.Node, path string) (bool, bool) {
	n, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false, false
	}
	var v bool
	if n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.TypeError(n, path, "true or false")
		return false, false
	}
	return v, true
}

// Seq returns the items of a list, aliases resolved. An empty value is not
// a list.
func (d *Decoder) Seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.TypeError(n, path, "a list")
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = resolve(c)
	}
	return items, true
}

// Strings decodes a list of strings. Items of the wrong type are reported
// at their own line and left out.
func (d *Decoder) Strings(n *yaml.Node, path string) ([]string, bool) {
	items, ok := d.Seq(n, path)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		if s, ok := d.String(item, Index(path, i)); ok {
			out = append(out, s)
		}
	}
	return out, true
}
