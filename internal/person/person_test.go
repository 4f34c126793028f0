package person

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A name stored before input was cleaned is shown without the characters
// that would turn the text around it, and a nickname is never verified.
func TestNamesAreShownClean(t *testing.T) {
	r := Resident("u1", "\u202E王秀英\u202C（社区党委书记）\u2066")
	if r.Name != "王秀英（社区党委书记）" || r.Verified {
		t.Fatalf("resident %+v", r)
	}
	s := Staff("u2", "s2", "李强\u200F", "\u202D网格员")
	if s.Name != "李强" || s.Position != "网格员" || !s.Verified {
		t.Fatalf("staff %+v", s)
	}
	if a := StreetAdmin("u3").For(false); a.UserID != "" || a.Verified || a.Name != StreetAdminName {
		t.Fatalf("street admin %+v", a)
	}
}

// A resident who never set a nickname (or set one that shows as nothing)
// is named, never "": 居民· and four characters that stay the same for the
// same person and differ between people, and that do not show the ID.
func TestAResidentWithoutANicknameIsNamed(t *testing.T) {
	a, b := "6650f1a2b3c4d5e6f7a8b9c0", "6650f1a2b3c4d5e6f7a8b9c1"
	na := Resident(a, "").Name
	if !strings.HasPrefix(na, UnnamedPrefix) || utf8.RuneCountInString(na) != utf8.RuneCountInString(UnnamedPrefix)+4 {
		t.Fatalf("unnamed resident: %q", na)
	}
	if Resident(a, " \u200B\u3164 ").Name != na || Resident(a, "").Public().Name != na {
		t.Fatal("the fallback name changes with the blank nickname or the viewer")
	}
	if nb := Resident(b, "").Name; nb == na {
		t.Fatalf("two residents without nicknames look the same: %q", nb)
	}
	if strings.Contains(strings.ToLower(na), a[len(a)-4:]) {
		t.Fatalf("the fallback shows the ID: %q", na)
	}
	if Resident("", "").Name == "" || Resident(a, "张阿姨").Name != "张阿姨" {
		t.Fatal("named residents keep their nickname; nobody is nameless")
	}
}
