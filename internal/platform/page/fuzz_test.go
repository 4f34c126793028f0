package page

import (
	"errors"
	"testing"

	"linli/internal/apperr"
)

// Any cursor a client sends is either read or refused as INVALID_CURSOR,
// for no list (Decode) and for a list (Open); a cursor read once reads the
// same after encoding again, and one read in a list never opens in
// another. Never a panic.
func FuzzDecode(f *testing.F) {
	const list, other = "GET /api/v1/wishes\x00communityId=a", "GET /api/v1/wishes\x00communityId=b"
	f.Add("")
	f.Add(Cursor{Key: 1767225600000, ID: "6a1b2c3d4e5f60718293a4b5"}.Encode())
	f.Add(Cursor{Key: 1767225600000, ID: "6a1b2c3d4e5f60718293a4b5", List: list}.Encode())
	f.Add(Cursor{ID: "x", List: other}.Encode())
	f.Add(Cursor{ID: "x"}.Encode())
	f.Add("e30")                        // {}
	f.Add("bnVsbA")                     // null
	f.Add("!!!")                        // not base64
	f.Add("eyJrIjoxZTMwMCwiaSI6IngifQ") // a key out of range
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range []string{"", list} {
			c, err := Open(s, l)
			if err != nil {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != apperr.ErrBadCursor.Code {
					t.Fatalf("Open(%q, %q): %v, want INVALID_CURSOR", s, l, err)
				}
				continue
			}
			if c.List != l {
				t.Fatalf("Open(%q, %q) read a cursor of list %q", s, l, c.List)
			}
			if s == "" {
				continue
			}
			if c.ID == "" {
				t.Fatalf("Open(%q, %q) read a cursor without an ID", s, l)
			}
			again, err := Open(c.Encode(), l)
			if err != nil || again != c {
				t.Fatalf("Open(%q, %q) = %+v; encoded again it reads %+v, %v", s, l, c, again, err)
			}
			if _, err := Open(s, other); err == nil {
				t.Fatalf("%q opens in %q and in %q", s, l, other)
			}
		}
	})
}

// A limit is 1 to MaxLimit or refused.
func FuzzLimit(f *testing.F) {
	for _, s := range []string{"", "1", "50", "51", "0", "-1", "abc", "99999999999999999999", " 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Limit(s)
		if err == nil && (n < 1 || n > MaxLimit) {
			t.Fatalf("Limit(%q) = %d", s, n)
		}
	})
}
