package cli

import (
	"runtime"
	"runtime/debug"
)

// version, when set at link time, is the release this binary is:
//
//	go build -ldflags "-X github.com/outreach-scheduler/outreach/cli.version=v1.4.0" ./cmd/outreach
//
// Unset, the module version `go install ...@v1.4.0` stamps is used, and
// "devel" for a build from a checkout. It is only ever read.
var version string

// versionInfo is what `outreach --version` prints and the daemons log at
// start.
type versionInfo struct {
	Version  string // the release, or "devel"
	Commit   string // the VCS revision the Go toolchain stamped; "unknown" when none
	Modified bool   // the working tree had changes when built
	Go       string // the Go version that built it
}

// String is the form --version prints after "outreach version ".
func (v versionInfo) String() string {
	s := v.Version + ", commit " + v.Commit
	if v.Modified {
		s += " (modified)"
	}
	return s + ", " + v.Go
}

// version reads the binary's version: the link-time stamp, else the module
// version, else "devel"; the commit and whether the tree was modified from
// the VCS settings `go build` records in a checkout (-buildvcs).
func (g *globals) version() versionInfo {
	v := versionInfo{Version: version, Commit: "unknown", Go: runtime.Version()}
	var bi *debug.BuildInfo
	if g.buildInfo != nil {
		if b, ok := g.buildInfo(); ok {
			bi = b
		}
	}
	if bi != nil {
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if s.Value != "" {
					v.Commit = s.Value
				}
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	return v
}
