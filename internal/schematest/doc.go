// Package schematest checks a strictyaml.Schema against the decoder that
// reads it and against YAML files, with a JSON Schema validator
// (github.com/santhosh-tekuri/jsonschema/v6) on the schema as written out:
// Tracer records the mappings a decoder checks and the keys it reads,
// Drift compares them with the schema, Validator validates YAML files,
// KeyPaths and Uncovered tell which keys the files exercise. Import it
// from tests only.
package schematest
