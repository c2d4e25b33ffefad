// Package cli implements the outreach command line: flags become Options,
// each command runs with a context, and errors map onto the exit codes of the
// CLI contract (0 success, 1 invalid input with findings printed, 2 usage,
// configuration or runtime error). cmd/outreach only turns signals into the
// context and calls Main.
package cli
