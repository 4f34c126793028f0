// Package person is how a person appears in every answer of the API: one
// shape for a resident, a volunteer, a Party member and a staff member,
// wherever they appear (a message's owner and replies, a wish's poster and
// claimer, an activity's sign-ups, a Party member's registration).
package person

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"linli/internal/platform/text"
)

// View is a person as an answer shows them.
type View struct {
	// UserID is shown to staff and to the person themself; empty otherwise.
	UserID string `json:"userId,omitempty"`
	// StaffID is set when the person appears as staff.
	StaffID string `json:"staffId,omitempty"`
	// Name is a staff member's real name, a resident's nickname (masked
	// where the public sees it: 张**) or a registered real name where the
	// viewer may see it; for a resident without a nickname, 居民·7F3A
	// (Unnamed). Never empty.
	Name string `json:"name"`
	// Position is a staff member's position (网格员, 社区党委书记).
	Position string `json:"position,omitempty"`
	// Verified is true when Name and Position come from a staff profile
	// that an admin or an invite verified, never from a nickname: a
	// resident named "王秀英（社区党委书记）" is not verified.
	Verified bool `json:"verified"`
}

// Staff is a staff member as answers show them: verified. Names are
// cleaned again as they are shown (control and bidirectional-override
// characters dropped): names stored before input was cleaned cannot turn
// the text around them on another person's screen.
func Staff(userID, staffID, name, position string) View {
	return View{UserID: userID, StaffID: staffID, Name: text.Name(name), Position: text.Name(position), Verified: true}
}

// Resident is a resident as answers show them: by nickname (cleaned as
// Staff's), not verified. A resident who never set a nickname (or whose
// nickname shows as nothing) is named Unnamed(userID), never "".
func Resident(userID, nickname string) View {
	name := text.Name(nickname)
	if name == "" {
		name = Unnamed(userID)
	}
	return View{UserID: userID, Name: name}
}

// UnnamedPrefix begins the name of a resident without a nickname.
const UnnamedPrefix = "居民·"

// Unnamed is the name of a resident without a nickname: 居民· and four
// characters derived from the user ID ("居民·7F3A"), the same in every
// answer and on every screen, so that a staff member can tell two such
// residents apart (and a resident can be told which one they are) without
// the ID being shown. The characters come from a hash of the ID: they tell
// nothing about it. Two of some thousands may share them; staff, who act
// on a person, also have the user ID.
func Unnamed(userID string) string {
	if userID == "" {
		return strings.TrimSuffix(UnnamedPrefix, "·")
	}
	sum := sha256.Sum256([]byte(userID))
	return UnnamedPrefix + strings.ToUpper(hex.EncodeToString(sum[:2]))
}

// A street admin acting without a staff profile (an assignment, a review)
// is named by role, the same way in every area, and is not verified: no
// staff profile vouches for a name.
const (
	StreetAdminName     = "街道工作人员"
	StreetAdminPosition = "街道管理员"
)

// StreetAdmin is a street admin acting without a staff profile.
func StreetAdmin(userID string) View {
	return View{UserID: userID, Name: StreetAdminName, Position: StreetAdminPosition}
}

// For returns v as a viewer sees it: staff (and admins) see user IDs, so
// that they can act on the person; residents do not.
func (v View) For(staff bool) View {
	if !staff {
		v.UserID = ""
	}
	return v
}

// Public returns v as someone without the right to the user's ID sees it.
func (v View) Public() View {
	v.UserID = ""
	return v
}
