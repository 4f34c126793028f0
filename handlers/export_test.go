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

// LabelOfJSON is the zh label of the field at a JSON path of a request type.
func LabelOfJSON(t reflect.Type, path string) string {
	label, _ := labelOfJSON(t, path)
	if label == "该项" {
		return ""
	}
	return label
}

// ChoiceWord is the Chinese word a field message uses for value, a choice
// of a oneof rule of f (its zhoneof tag, else the shared choice labels).
func ChoiceWord(f reflect.StructField, value string) (string, bool) {
	_, own := rulesOf(f)
	if w, ok := own[value]; ok {
		return w, true
	}
	w, ok := choiceLabels[value]
	return w, ok
}
