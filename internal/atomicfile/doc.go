// Package atomicfile writes a file all at once or not at all: the data
// goes to a temporary file beside it, which replaces the file (rename)
// only when everything was written and synced. A failed or abandoned
// write leaves the file as it was, and no temporary file behind.
package atomicfile
