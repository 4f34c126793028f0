package handlers

import "reflect"

// RequestTypes returns the request struct each route bound so far, by
// "METHOD /route" (for the field-message test).
func RequestTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	requestTypes.Range(func(k, v any) bool {
		out[k.(string)] = v.(reflect.Type)
		return true
	})
	return out
}

// LimitOf is the domain limit a `lim=` rule names.
func LimitOf(name string) int { return limitOf(name) }
