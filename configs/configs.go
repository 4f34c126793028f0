// Package configs holds the configuration files the server loads at start
// when no other file is given (see subscribe-templates.json).
package configs

import _ "embed"

// SubscribeTemplates is the default subscribe-message configuration
// (LINLI_SUBSCRIBE_TEMPLATES names a deployment's own file instead).
//
//go:embed subscribe-templates.json
var SubscribeTemplates []byte
