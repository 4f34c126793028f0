package clock

import "testing"

// An ID is 24 hexadecimal digits, nothing else: what ValidID accepts is
// exactly that, and it round-trips through NewID's form.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{NewID(), "", "nope", "6a1b2c3d4e5f60718293a4b", "6a1b2c3d4e5f60718293a4b5z", "6A1B2C3D4E5F60718293A4B5", "６a1b2c3d4e5f60718293a4b5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := len(s) == 24
		for _, r := range s {
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
				want = false
			}
		}
		if got := ValidID(s); got != want {
			t.Fatalf("ValidID(%q) = %v, want %v", s, got, want)
		}
	})
}
