package page

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"linli/internal/apperr"
)

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{Key: 1700000000123, ID: "abc"}
	got, err := Decode(c.Encode())
	if err != nil || got != c {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if got, err := Decode(""); err != nil || got != (Cursor{}) {
		t.Fatalf("empty cursor is the first page: %+v %v", got, err)
	}
}

func TestBadCursorIsItsOwnError(t *testing.T) {
	for _, s := range []string{"!!!", "e30", "bm90IGpzb24"} { // not base64, {}, "not json"
		if _, err := Decode(s); !apperr.ErrBadCursor.Is(err) {
			t.Errorf("Decode(%q) = %v, want INVALID_CURSOR", s, err)
		}
	}
}

func TestLimit(t *testing.T) {
	if n, err := Limit(""); n != DefaultLimit || err != nil {
		t.Fatalf("default: %d %v", n, err)
	}
	if n, err := Limit("50"); n != 50 || err != nil {
		t.Fatalf("50: %d %v", n, err)
	}
	for _, s := range []string{"0", "51", "-1", "ten"} {
		if _, err := Limit(s); !apperr.ErrValidation.Is(err) {
			t.Errorf("Limit(%q) = %v, want VALIDATION_FAILED", s, err)
		}
	}
}

func TestOfCutsTheExtraItem(t *testing.T) {
	cursorOf := func(s string) Cursor { return Cursor{ID: s} }
	p := Of([]string{"a", "b", "c"}, 2, Cursor{}, cursorOf)
	if len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("page: %+v", p)
	}
	if c, _ := Decode(p.NextCursor); c.ID != "b" {
		t.Fatalf("next cursor must point after the last served item, got %+v", c)
	}
	p = Of([]string{"a"}, 2, Cursor{}, cursorOf)
	if len(p.Items) != 1 || p.NextCursor != "" {
		t.Fatalf("last page: %+v", p)
	}
	if p := Of[string](nil, 2, Cursor{}, cursorOf); p.Items == nil {
		t.Fatal("an empty page must serialise items as [] not null")
	}
}

func TestETag(t *testing.T) {
	a, b := ETag([]byte(`{"items":[]}`)), ETag([]byte(`{"items":[1]}`))
	if a != ETag([]byte(`{"items":[]}`)) || a == b {
		t.Fatalf("an ETag names exactly one body: %s %s", a, b)
	}
	if a[:3] != `W/"` || a[len(a)-1] != '"' {
		t.Fatalf("weak ETag expected: %s", a)
	}
}

// A cursor is bound to the list that issued it: it opens in that list, and
// is INVALID_CURSOR in another list, in the same list of another community,
// with its position changed, and when it was issued before cursors were
// bound (no check) or for no list.
func TestACursorOpensOnlyInItsList(t *testing.T) {
	const feedA, feedB = "GET /api/v1/wishes\x00communityId=a", "GET /api/v1/wishes\x00communityId=b"
	first, err := Open("", feedA)
	if err != nil || first.List != feedA || first.ID != "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	p := Of([]string{"x", "y"}, 1, first, func(s string) Cursor { return Cursor{Key: 42, ID: s} })
	c, err := Open(p.NextCursor, feedA)
	if err != nil || c != (Cursor{Key: 42, ID: "x", List: feedA}) {
		t.Fatalf("own list: %+v %v", c, err)
	}
	unbound := Cursor{Key: 42, ID: "x"}.Encode() // as issued before cursors were bound
	moved := encodeWire(t, wire{Key: 43, ID: "x", Check: check(feedA, 42, "x")})
	renamed := encodeWire(t, wire{Key: 42, ID: "z", Check: check(feedA, 42, "x")})
	for name, try := range map[string]func() error{
		"another community": func() error { _, err := Open(p.NextCursor, feedB); return err },
		"another list":      func() error { _, err := Open(p.NextCursor, "GET /api/v1/me/notifications"); return err },
		"no list":           func() error { _, err := Decode(p.NextCursor); return err },
		"unbound, old form": func() error { _, err := Open(unbound, feedA); return err },
		"key changed":       func() error { _, err := Open(moved, feedA); return err },
		"ID changed":        func() error { _, err := Open(renamed, feedA); return err },
	} {
		if err := try(); !apperr.ErrBadCursor.Is(err) {
			t.Errorf("%s: %v, want INVALID_CURSOR", name, err)
		}
	}
	if c, err := Decode(unbound); err != nil || c.ID != "x" { // the desk's links stay unbound
		t.Fatalf("unbound cursor for no list: %+v %v", c, err)
	}
}

func encodeWire(t *testing.T, w wire) string {
	t.Helper()
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
