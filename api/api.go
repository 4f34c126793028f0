// Package api holds the HTTP contract, api/openapi.yaml: the source of truth
// the mini-program team builds from. The server serves it as it is.
package api

import _ "embed"

// Spec is the OpenAPI document.
//
//go:embed openapi.yaml
var Spec []byte
