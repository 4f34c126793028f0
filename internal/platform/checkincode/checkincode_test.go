package checkincode_test

import (
	"math"
	"strings"
	"testing"

	"linli/internal/platform/checkincode"
	"linli/internal/platform/qrcode"
)

const id = "6b027b2eb20db96ecfef4b56"

var key = []byte("0123456789abcdef0123456789abcdef")

func TestSealOpensToTheSameIDAndWindowInAScene(t *testing.T) {
	s := checkincode.New(key, "linli/activity-checkin")
	for _, w := range []int64{0, 1, 9_812_345, math.MaxUint32} {
		code, err := s.Seal(id, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != checkincode.Len || !qrcode.ValidScene(code) {
			t.Fatalf("%q: %d characters, valid scene %v", code, len(code), qrcode.ValidScene(code))
		}
		got, gw, ok := s.Open(" " + code + "\n")
		if !ok || got != id || gw != w {
			t.Fatalf("window %d: opened %q %d %v", w, got, gw, ok)
		}
	}
	upper, _ := s.Seal(strings.ToUpper(id), 7)
	if got, _, ok := s.Open(upper); !ok || got != id {
		t.Fatalf("an upper-case ID opens as %q %v", got, ok)
	}
}

func TestACodeOpensOnlyUnderItsOwnDomainAndKey(t *testing.T) {
	act := checkincode.New(key, "linli/activity-checkin")
	party := checkincode.New(key, "linli/party-checkin") // the same key on purpose
	otherKey := checkincode.New([]byte("another key of thirty-two bytes!"), "linli/activity-checkin")
	code, _ := act.Seal(id, 42)
	if _, _, ok := party.Open(code); ok {
		t.Fatal("an activity code opens as a Party code")
	}
	if _, _, ok := otherKey.Open(code); ok {
		t.Fatal("a code opens under another key")
	}
	pcode, _ := party.Seal(id, 42)
	if pcode == code {
		t.Fatal("both areas seal the same code")
	}
	if _, _, ok := act.Open(pcode); ok {
		t.Fatal("a Party code opens as an activity code")
	}
}

func TestEveryChangedCharacterIsRefused(t *testing.T) {
	s := checkincode.New(key, "linli/party-checkin")
	code, _ := s.Seal(id, 123456)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(code) {
		for _, c := range []byte(alphabet) {
			if c == code[i] {
				continue
			}
			forged := code[:i] + string(c) + code[i+1:]
			if _, _, ok := s.Open(forged); ok {
				t.Fatalf("position %d changed to %q opens", i, c)
			}
		}
	}
	for _, bad := range []string{"", code[:31], code + "A", code[:31] + "=", code[:30] + "==", "签到", strings.Repeat("A", 32)} {
		if _, _, ok := s.Open(bad); ok {
			t.Fatalf("%q opens", bad)
		}
	}
}

func TestSealRefusesWhatItCannotCarry(t *testing.T) {
	s := checkincode.New(key, "linli/party-checkin")
	for _, c := range []struct {
		id string
		w  int64
	}{{"6b027b2e", 1}, {id + "00", 1}, {"zz027b2eb20db96ecfef4b56", 1}, {id, -1}, {id, math.MaxUint32 + 1}} {
		if _, err := s.Seal(c.id, c.w); err == nil {
			t.Errorf("%q window %d sealed", c.id, c.w)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a sealer without a key")
		}
	}()
	checkincode.New(nil, "linli/party-checkin")
}
