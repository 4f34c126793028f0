package fieldcrypt

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpenHash(t *testing.T) {
	k1, _ := ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	b, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := b.Seal("13800138000")
	s2, _ := b.Seal("13800138000")
	if s1 == s2 || strings.Contains(s1, "138") {
		t.Fatalf("sealed values must differ and hide the phone: %q %q", s1, s2)
	}
	if p, err := b.Open(s1); err != nil || p != "13800138000" {
		t.Fatalf("open: %q %v", p, err)
	}
	if b.Hash("13800138000") != b.Hash("13800138000") || b.Hash("13800138000") == b.Hash("13800138001") {
		t.Fatal("hash must be equal for equal values and differ otherwise")
	}
	other, _ := New(bytes.Repeat([]byte{9}, KeySize))
	if _, err := other.Open(s1); err != ErrOpen {
		t.Fatalf("another key opened it: %v", err)
	}
	if other.Hash("13800138000") == b.Hash("13800138000") {
		t.Fatal("the hash must depend on the key")
	}
	tampered := s1[:len(s1)-2] + "AA"
	if _, err := b.Open(tampered); err != ErrOpen {
		t.Fatalf("tampered value opened: %v", err)
	}
	if bytes.Equal(b.Derive("a"), b.Derive("b")) || len(b.Derive("a")) != 32 {
		t.Fatal("derived keys must differ by label")
	}
}

func TestParseKey(t *testing.T) {
	for _, bad := range []string{"", "short", "AAEC"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(k); err != nil {
		t.Fatal(err)
	}
}
