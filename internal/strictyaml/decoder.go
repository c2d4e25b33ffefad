package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-scheduler/outreach/diag"
	"go.yaml.in/yaml/v3"
)

// Decoder decodes one YAML file, collecting findings against it.
type Decoder struct {
	File     string    // file name used in every finding
	Findings diag.List // findings so far, in the order they were found
	// Trace, if set, is called with the path and known keys of every
	// mapping the decoder checks: tests compare them with the Schema.
	Trace func(path string, known []string)
	// TraceRead, if set, is called with the path of the mapping and the
	// key each time decoding code reads a key (present or not).
	TraceRead func(path, key string)
}

// New returns a decoder whose findings name file.
func New(file string) *Decoder { return &Decoder{File: file} }

// Errorf records an error finding at line. The message is prefixed with
// path and ": " unless path is empty (the top level).
func (d *Decoder) Errorf(line int, path, format string, args ...any) {
	d.Findings.Add(diag.Errorf(d.File, line, "%s", prefix(path)+fmt.Sprintf(format, args...)))
}

// Warnf records a warning finding at line, prefixed like Errorf.
func (d *Decoder) Warnf(line int, path, format string, args ...any) {
	d.Findings.Add(diag.Warnf(d.File, line, "%s", prefix(path)+fmt.Sprintf(format, args...)))
}

// Errors returns the number of error findings so far; comparing it before
// and after decoding a part tells whether that part was valid.
func (d *Decoder) Errors() int { return d.Findings.Count(diag.Error) }

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// Join returns the path of key inside the mapping at path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of item i of the list at path.
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Limits on alias expansion: beyond them a document is refused, so a small
// file cannot make the decoder walk billions of nodes.
const (
	maxExpansionFactor = 10
	minExpansionBudget = 1 << 20
)

var yamlLineRE = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// Parse parses data, which must hold exactly one YAML document, and returns
// its root node. It returns nil when there is nothing to decode; the
// findings then say why.
func (d *Decoder) Parse(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on malformed input before; a user's file
		// must never crash the program.
		if r := recover(); r != nil {
			root = nil
			d.Errorf(0, "", "cannot parse YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.Errorf(0, "", "file is empty")
		} else {
			d.syntaxError(err, data)
		}
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.Errorf(0, "", "file is empty")
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err, data)
		return nil
	default:
		d.Errorf(max(next.Line, 1), "", "a second YAML document starts here; the file must hold one")
		return nil
	}
	root = doc.Content[0]
	if !d.checkAliases(root, len(data)) {
		return nil
	}
	return root
}

// parserErrors are the messages of yaml.v3's parser (not its scanner).
// yaml.v3 v3.0.x numbers their lines from 0, and leaves out "line 0".
var parserErrors = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntaxError records a yaml.v3 error as one finding at its line, or as a
// file-level finding when it names none. An error at the end of the input
// is put on the last line (yaml.v3 puts it on a line after it).
func (d *Decoder) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if slices.Contains(parserErrors, msg) {
		line++
	}
	if line > 0 {
		line = min(line, max(LineCount(data), 1))
	}
	d.Errorf(line, "", "YAML syntax: %s", msg)
}

// checkAliases refuses aliases that contain themselves and documents that
// aliases expand beyond the budget. It runs in time linear in the tree.
func (d *Decoder) checkAliases(root *yaml.Node, size int) bool {
	s := sizer{memo: map[*yaml.Node]int{}, active: map[*yaml.Node]bool{}}
	s.limit = max(maxExpansionFactor*size, minExpansionBudget)
	n := s.size(root)
	if s.cycle != nil {
		d.Errorf(s.cycle.Line, "", "alias *%s refers to a value that contains it", s.cycle.Value)
		return false
	}
	if n > s.limit {
		d.Errorf(0, "", "aliases expand the document to more than %d nodes", s.limit)
		return false
	}
	return true
}

type sizer struct {
	memo   map[*yaml.Node]int
	active map[*yaml.Node]bool
	cycle  *yaml.Node
	limit  int
}

// size returns the number of nodes plus scalar bytes reachable from n, with
// aliases expanded, capped just above the limit.
func (s *sizer) size(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		if s.active[n.Alias] {
			if s.cycle == nil {
				s.cycle = n
			}
			return 1
		}
		return min(1+s.size(n.Alias), s.limit+1)
	}
	if v, ok := s.memo[n]; ok {
		return v
	}
	s.active[n] = true
	total := 1 + len(n.Value)
	for _, c := range n.Content {
		total = min(total+s.size(c), s.limit+1)
	}
	s.active[n] = false
	s.memo[n] = total
	return total
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "an empty value"
	case n.Kind == yaml.ScalarNode:
		return Quote(n.Value)
	}
	return "an unsupported node"
}

// Quote quotes a user's value for a message, shortening long ones.
func Quote(s string) string {
	const maxRunes = 40
	if r := []rune(s); len(r) > maxRunes {
		s = string(r[:maxRunes]) + "..."
	}
	return strconv.Quote(s)
}

// TypeError records "PATH: want WANT, got DESCRIPTION" at n's line.
func (d *Decoder) TypeError(n *yaml.Node, path, want string) {
	d.Errorf(resolve(n).Line, path, "want %s, got %s", want, describe(n))
}
