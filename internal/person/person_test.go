package person

import "testing"

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
