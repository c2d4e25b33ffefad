package config

import (
	"path/filepath"
	"strings"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// Files stay in their place: the campaign files the `campaigns` globs
// match, and the CSV files campaigns name (prospects, exclude), must be
// inside the config file's directory, or inside a directory `allow_paths`
// lists, once every symlink is followed. A campaign that names
// /proc/self/environ, /etc/passwd or ../../secrets.csv is refused before
// anything reads the file.

// PathError is CheckPath's answer for a file outside the allowed places.
type PathError struct {
	// Config is the config file as given to Load.
	Config string
	// AllowPaths tells whether the config lists allow_paths.
	AllowPaths bool
	// Symlink: the path is inside, but a symlink on it leads outside.
	Symlink bool
}

func (e *PathError) Error() string {
	where := "outside the directory of " + e.Config
	if e.AllowPaths {
		where += " and its allow_paths"
	}
	if e.Symlink {
		return "leads, through a symlink, " + where + ": move the file there, or list the directory the link leads to in allow_paths"
	}
	return "is " + where + ": move the file there, or list its directory in allow_paths"
}

func (c *Config) decodeAllowPaths(m *strictyaml.Map) {
	items, ok := m.Seq("allow_paths")
	if !ok {
		return
	}
	d := m.Decoder()
	for i, item := range items {
		path := strictyaml.Index("allow_paths", i)
		s, ok := d.String(item, path)
		switch {
		case !ok:
		case strings.TrimSpace(s) == "":
			d.Errorf(item.Line, path, "empty path")
		case strings.ContainsRune(s, 0):
			d.Errorf(item.Line, path, "bad path %s", strictyaml.Quote(s))
		default:
			c.AllowPaths = append(c.AllowPaths, s)
		}
	}
}

// roots returns the allowed directories: the config file's and
// allow_paths (relative ones from the config file's directory), absolute
// and cleaned; resolved with every symlink followed when resolve is set.
func (c *Config) roots(resolve bool) []string {
	dir := filepath.Dir(c.Path)
	out := []string{absPath(dir, resolve)}
	for _, p := range c.AllowPaths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, absPath(p, resolve))
	}
	return out
}

// CheckPath returns nil when the file at path (as it is opened: absolute,
// or relative to the current directory) is inside the config file's
// directory or one of AllowPaths, before and after following symlinks;
// otherwise a *PathError. The file need not exist: the deepest existing
// directory on its path is resolved.
func (c *Config) CheckPath(path string) error {
	e := &PathError{Config: c.Path, AllowPaths: len(c.AllowPaths) > 0}
	if !insideAny(absPath(path, false), c.roots(false)) {
		return e
	}
	if !insideAny(absPath(path, true), c.roots(true)) {
		e.Symlink = true
		return e
	}
	return nil
}

// absPath makes p absolute and clean; with resolve, it follows every
// symlink of its deepest existing part.
func absPath(p string, resolve bool) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	if !resolve {
		return abs
	}
	rest := ""
	for dir := abs; ; {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// insideAny reports whether p is one of roots or below one.
func insideAny(p string, roots []string) bool {
	for _, r := range roots {
		rel, err := filepath.Rel(r, p)
		if err == nil && !filepath.IsAbs(rel) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
