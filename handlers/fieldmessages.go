package handlers

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// fieldInfo is what a message is written from: the field's Chinese label,
// its rules and its kind.
type fieldInfo struct {
	label  string
	rules  map[string]string // validate tag: rule → parameter
	choice map[string]string // the field's own oneof labels
	kind   reflect.Kind      // of the field (of the element for an element error)
	slice  bool              // the field is a list (the error is about the list)
	index  string            // "第2个" for an element of a list
}

// describe finds the struct field an error is about, by its Go path
// ("createMessageRequest.Images[0]").
func describe(root reflect.Type, structNS string) fieldInfo {
	info := fieldInfo{label: "该项", rules: map[string]string{}}
	parts := strings.Split(structNS, ".")[1:]
	t := root
	for i, part := range parts {
		name, idx, hasIdx := strings.Cut(part, "[")
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return info
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return info
		}
		t = f.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if i < len(parts)-1 {
			if hasIdx {
				t = t.Elem()
			}
			continue
		}
		if zh := f.Tag.Get("zh"); zh != "" {
			info.label = zh
		}
		info.rules, info.choice = rulesOf(f)
		info.kind = t.Kind()
		info.slice = t.Kind() == reflect.Slice
		if hasIdx {
			n, _ := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			info.index = fmt.Sprintf("第%d个", n+1)
			info.slice = false
			et := t.Elem()
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			info.kind = et.Kind()
			// Element rules follow "dive".
			info.rules = map[string]string{}
			_, after, _ := strings.Cut(f.Tag.Get("validate"), "dive")
			for _, r := range strings.Split(strings.Trim(after, ","), ",") {
				k, v, _ := strings.Cut(r, "=")
				if k == "lim" {
					k, v = "max", strconv.Itoa(limitOf(v))
				}
				info.rules[k] = v
			}
		}
	}
	return info
}

func rulesOf(f reflect.StructField) (map[string]string, map[string]string) {
	rules := map[string]string{}
	tag, _, _ := strings.Cut(f.Tag.Get("validate"), ",dive")
	for _, r := range strings.Split(tag, ",") {
		k, v, _ := strings.Cut(r, "=")
		if k == "lim" {
			k, v = "max", strconv.Itoa(limitOf(v))
		}
		rules[k] = v
	}
	var choice map[string]string
	if z := f.Tag.Get("zhoneof"); z != "" {
		choice = map[string]string{}
		for _, kv := range strings.Fields(z) {
			k, v, _ := strings.Cut(kv, "=")
			choice[k] = v
		}
	}
	return rules, choice
}

// fieldMessage writes the message of one failed rule in words.
func fieldMessage(root reflect.Type, fe validator.FieldError) string {
	f := describe(root, fe.StructNamespace())
	label := f.label
	if f.index != "" {
		label = label + "（" + f.index + "）"
	}
	number := isNumber(f.kind)
	param, tag := fe.Param(), fe.Tag()
	if tag == "lim" {
		param, tag = strconv.Itoa(limitOf(param)), "max"
	}
	switch tag {
	case "required", "notblank", "required_with", "required_without":
		switch {
		case number && (f.rules["min"] != "" || f.rules["max"] != ""):
			return rangeMessage(label, f.rules["min"], f.rules["max"])
		case f.kind == reflect.Bool, hasRule(f, "objectid"), hasRule(f, "oneof"):
			return "请选择" + label + choices(f, f.rules["oneof"])
		}
		return "请填写" + label
	case "oneof":
		return "请选择" + label + choices(f, param)
	case "objectid":
		return label + "有误，请重新选择"
	case "rfc3339", "datetime":
		return label + "格式应为 " + timeExample
	case "https", "url", "startswith":
		return label + "须为以 https:// 开头的网络地址"
	case "max", "lte", "lt":
		switch {
		case number:
			if f.rules["min"] != "" {
				return rangeMessage(label, f.rules["min"], param)
			}
			return label + "不能大于" + param
		case f.slice:
			return label + "最多" + param + "个"
		}
		return label + "不能超过" + param + "个字"
	case "min", "gte", "gt":
		switch {
		case number:
			if f.rules["max"] != "" {
				return rangeMessage(label, param, f.rules["max"])
			}
			return label + "不能小于" + param
		case f.slice:
			return label + "至少" + param + "个"
		}
		return label + "至少" + param + "个字"
	case "len":
		return label + "应为" + param + "个字"
	}
	return label + "填写有误"
}

func hasRule(f fieldInfo, rule string) bool { _, ok := f.rules[rule]; return ok }

func rangeMessage(label, lo, hi string) string {
	switch {
	case lo != "" && hi != "":
		return label + "应在" + lo + "到" + hi + "之间"
	case lo != "":
		return label + "不能小于" + lo
	}
	return label + "不能大于" + hi
}

// choices lists the values of a oneof in Chinese: "：紧急或一般".
func choices(f fieldInfo, param string) string {
	vals := strings.Fields(param)
	if len(vals) == 0 {
		return ""
	}
	words := make([]string, len(vals))
	for i, v := range vals {
		w, ok := f.choice[v]
		if !ok {
			w, ok = choiceLabels[v]
		}
		if !ok {
			return "" // never show a code word to a resident
		}
		words[i] = w
	}
	return "：" + orList(words)
}

// orList joins words as Chinese does: 甲、乙或丙.
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], "、") + "或" + words[len(words)-1]
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// labelOfJSON finds the Chinese label and Go kind of a field by its JSON
// path ("urgent.responseHours", "categories.name"), for errors found while
// decoding (a number sent as text).
func labelOfJSON(root reflect.Type, path string) (string, reflect.Kind) {
	t := root
	label, kind := "该项", reflect.Invalid
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			break
		}
		f, ok := jsonField(t, name)
		if !ok {
			break
		}
		if zh := f.Tag.Get("zh"); zh != "" {
			label = zh
		}
		t = f.Type
		kind = t.Kind()
		if kind == reflect.Pointer {
			kind = t.Elem().Kind()
		}
	}
	return label, kind
}

var jsonFields sync.Map // reflect.Type → map[string]reflect.StructField

func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	m, ok := jsonFields.Load(t)
	if !ok {
		fields := map[string]reflect.StructField{}
		for f := range fieldsOf(t) {
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if n == "" {
				n = f.Name
			}
			fields[n] = f
		}
		m, _ = jsonFields.LoadOrStore(t, fields)
	}
	f, ok := m.(map[string]reflect.StructField)[name]
	return f, ok
}

// fieldsOf yields a struct's fields, those of embedded structs inlined.
func fieldsOf(t reflect.Type) func(func(reflect.StructField) bool) {
	return func(yield func(reflect.StructField) bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				for g := range fieldsOf(f.Type) {
					if !yield(g) {
						return
					}
				}
				continue
			}
			if f.IsExported() && !yield(f) {
				return
			}
		}
	}
}

// typeMessage says what a field's value should have been.
func typeMessage(label string, k reflect.Kind) string {
	switch {
	case isNumber(k):
		return label + "应填写数字"
	case k == reflect.Bool:
		return "请选择" + label + "（是或否）"
	case k == reflect.String:
		return label + "应填写文字"
	case k == reflect.Slice:
		return label + "应为一组内容"
	}
	return label + "填写有误"
}
