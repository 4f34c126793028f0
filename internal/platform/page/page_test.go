package page

import (
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
	p := Of([]string{"a", "b", "c"}, 2, cursorOf)
	if len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("page: %+v", p)
	}
	if c, _ := Decode(p.NextCursor); c.ID != "b" {
		t.Fatalf("next cursor must point after the last served item, got %+v", c)
	}
	p = Of([]string{"a"}, 2, cursorOf)
	if len(p.Items) != 1 || p.NextCursor != "" {
		t.Fatalf("last page: %+v", p)
	}
	if p := Of[string](nil, 2, cursorOf); p.Items == nil {
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
