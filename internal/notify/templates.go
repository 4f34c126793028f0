package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"linli/internal/platform/clock"
)

// Templates are the subscribe-message templates a deployment chose in the
// WeChat console (订阅消息 → 公共模板库), and how each event kind fills
// one: which keyword shows what. Loaded at start from
// configs/subscribe-templates.json (or LINLI_SUBSCRIBE_TEMPLATES).
type Templates struct {
	// State is the mini-program a message opens: "formal", "trial" or
	// "developer".
	State string `json:"miniprogramState"`
	// Pages are the mini-program pages a message opens, by RefType; "{id}"
	// becomes the RefID.
	Pages map[string]string `json:"pages"`
	List  []Template        `json:"templates"`
	// InAppOnly are the event kinds deliberately never sent by WeChat
	// (the inbox only), each with the reason: every other kind an area
	// writes is in a template.
	InAppOnly map[string]string `json:"inAppOnly,omitempty"`

	byKind map[string]*Template
	byID   map[string]*Template
}

// Template is one template of the deployment's account.
type Template struct {
	// ID is the template ID the WeChat console gave (priTmplId).
	ID string `json:"id"`
	// Title is the template's title in the library (for people).
	Title string `json:"title"`
	// Kinds are the event kinds this template carries.
	Kinds    []string  `json:"kinds"`
	Keywords []Keyword `json:"keywords"`
	// Phrases are the phrase keyword's value by kind (≤ 5 characters).
	Phrases map[string]string `json:"phrases,omitempty"`
}

// Keyword is one keyword of a template: its key in the template
// ("thing1", "time3"), and where its value comes from: "title", "body",
// "time" (when it happened), "phrase" (Template.Phrases of the kind),
// "field:NAME" (the notice's Fields[NAME]) or "text:…" (a constant).
type Keyword struct {
	Key  string `json:"key"`
	From string `json:"from"`
}

// limits of the keyword types, in characters (WeChat's rules for
// subscribe-message data: a longer value is refused with 47003).
var limits = map[string]int{
	"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32,
	"letter": 32, "symbol": 5, "phone_number": 17, "car_number": 8, "amount": 10,
}

// keywordType is the type of a keyword key: "thing1" → "thing".
func keywordType(key string) string {
	return strings.TrimRight(key, "0123456789")
}

// LoadTemplates reads templates from a JSON file.
func LoadTemplates(path string) (*Templates, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notify: templates: %w", err)
	}
	return ParseTemplates(b)
}

// ParseTemplates reads templates from JSON and checks them: every kind in
// one template at most, every keyword of a known type with a known source.
func ParseTemplates(b []byte) (*Templates, error) {
	var t Templates
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("notify: templates: %w", err)
	}
	t.byKind, t.byID = map[string]*Template{}, map[string]*Template{}
	var errs []error
	for i := range t.List {
		tp := &t.List[i]
		if tp.ID == "" {
			errs = append(errs, fmt.Errorf("template %q: no id", tp.Title))
			continue
		}
		if _, dup := t.byID[tp.ID]; dup {
			errs = append(errs, fmt.Errorf("template %s: listed twice", tp.ID))
		}
		t.byID[tp.ID] = tp
		for _, k := range tp.Kinds {
			if _, dup := t.byKind[k]; dup {
				errs = append(errs, fmt.Errorf("kind %s: in two templates", k))
			}
			t.byKind[k] = tp
		}
		for _, kw := range tp.Keywords {
			typ := keywordType(kw.Key)
			if _, ok := limits[typ]; !ok && typ != "time" && typ != "date" {
				errs = append(errs, fmt.Errorf("template %s: keyword %s: unknown type", tp.ID, kw.Key))
			}
			switch {
			case kw.From == "title", kw.From == "body", kw.From == "time", kw.From == "phrase",
				strings.HasPrefix(kw.From, "field:"), strings.HasPrefix(kw.From, "text:"):
			default:
				errs = append(errs, fmt.Errorf("template %s: keyword %s: unknown source %q", tp.ID, kw.Key, kw.From))
			}
			if kw.From == "phrase" {
				for _, k := range tp.Kinds {
					if p := tp.Phrases[k]; p == "" || utf8.RuneCountInString(p) > limits["phrase"] || !allHan(p) {
						errs = append(errs, fmt.Errorf("template %s: kind %s: phrase missing, over 5 characters or not only Chinese characters (WeChat refuses any other)", tp.ID, k))
					}
				}
			}
		}
	}
	for k, why := range t.InAppOnly {
		if _, ok := t.byKind[k]; ok {
			errs = append(errs, fmt.Errorf("kind %s: in a template and in-app only", k))
		}
		if strings.TrimSpace(why) == "" {
			errs = append(errs, fmt.Errorf("kind %s: in-app only without a reason", k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify: templates: %w", err)
	}
	return &t, nil
}

// allHan reports whether s is Chinese characters only: all a phrase
// keyword takes (WeChat answers 47003 to "OK", "已通过!" or "已 通过").
func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// For returns the template that carries kind.
func (t *Templates) For(kind string) (*Template, bool) {
	if t == nil {
		return nil, false
	}
	tp, ok := t.byKind[kind]
	return tp, ok
}

// noSendReason is the delivery reason of a notice of kind no template
// carries: "in_app_only" when the file declares the kind kept in the app
// on purpose, "no_template" when no template carries it (a deployment's
// file missing a kind), so that support tells the two apart.
func (t *Templates) noSendReason(kind string) string {
	if t != nil {
		if _, ok := t.InAppOnly[kind]; ok {
			return "in_app_only"
		}
	}
	return "no_template"
}

// Known reports whether id is one of the deployment's templates.
func (t *Templates) Known(id string) (*Template, bool) {
	if t == nil {
		return nil, false
	}
	tp, ok := t.byID[id]
	return tp, ok
}

// Page is the mini-program page a record opens ("" when its RefType has none).
func (t *Templates) Page(r *Notice) string {
	if t == nil || r.RefType == "" {
		return ""
	}
	p, ok := t.Pages[r.RefType]
	if !ok {
		return ""
	}
	return strings.ReplaceAll(p, "{id}", r.RefID)
}

// Data fills the template's keywords from n, each value within its type's
// limit (a thing longer than 20 characters ends in …).
func (tp *Template) Data(n *Notice) map[string]string {
	out := make(map[string]string, len(tp.Keywords))
	for _, kw := range tp.Keywords {
		var v string
		switch {
		case kw.From == "title":
			v = n.Title
		case kw.From == "body":
			v = n.Body
		case kw.From == "time":
			v = n.CreatedAt.In(clock.China).Format("2006年01月02日 15:04")
		case kw.From == "phrase":
			v = tp.Phrases[n.Kind]
		case strings.HasPrefix(kw.From, "field:"):
			v = n.Fields[strings.TrimPrefix(kw.From, "field:")]
		case strings.HasPrefix(kw.From, "text:"):
			v = strings.TrimPrefix(kw.From, "text:")
		}
		out[kw.Key] = Fit(keywordType(kw.Key), v)
	}
	return out
}

// Fit makes v a valid value of a keyword of type typ: trimmed, never
// empty (WeChat refuses an empty keyword), within the type's length; a
// thing (or name) too long is cut and ends in "…", a phrase is cut.
func Fit(typ, v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if typ == "time" || typ == "date" {
		if v == "" {
			return time.Time{}.Format("2006年01月02日")
		}
		return v
	}
	if v == "" {
		v = "-"
	}
	max, ok := limits[typ]
	if !ok {
		return v
	}
	r := []rune(v)
	if len(r) <= max {
		return v
	}
	if typ == "thing" || typ == "name" {
		return string(r[:max-1]) + "…"
	}
	return string(r[:max])
}
