// Package contracts holds the server to what the mini-program relies on:
// the error-code catalogue (errors.json) and one golden example per
// request/response pair (examples/*.json). Its tests render real responses
// from the whole product, normalise what changes from run to run (IDs,
// times, tokens), validate request and response against api/openapi.yaml,
// and diff against the files; `go test ./mobile-contracts -update` rewrites
// them. See README.md.
package contracts
