package page

import (
	"errors"
	"testing"

	"linli/internal/apperr"
)

// Any cursor a client sends is either read or refused as INVALID_CURSOR; a
// cursor read once reads the same after encoding again. Never a panic.
func FuzzDecode(f *testing.F) {
	f.Add("")
	f.Add(Cursor{Key: 1767225600000, ID: "6a1b2c3d4e5f60718293a4b5"}.Encode())
	f.Add(Cursor{ID: "x"}.Encode())
	f.Add("e30")                        // {}
	f.Add("bnVsbA")                     // null
	f.Add("!!!")                        // not base64
	f.Add("eyJrIjoxZTMwMCwiaSI6IngifQ") // a key out of range
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Decode(s)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.ErrBadCursor.Code {
				t.Fatalf("Decode(%q): %v, want INVALID_CURSOR", s, err)
			}
			return
		}
		if s != "" && c.ID == "" {
			t.Fatalf("Decode(%q) read a cursor without an ID", s)
		}
		again, err := Decode(c.Encode())
		if s != "" && (err != nil || again != c) {
			t.Fatalf("Decode(%q) = %+v; encoded again it reads %+v, %v", s, c, again, err)
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
