// Package diag holds findings: problems found in user input (config.yaml,
// campaign YAML, prospect CSV), each with the location a user has to fix.
//
// A finding prints as "FILE:LINE: message" when it has a line,
// "FILE: prospect KEY: message" when it is about one prospect, and
// "FILE: message" otherwise. Loaders collect every finding they can instead
// of stopping at the first one, so a user fixes a file in one pass.
package diag
