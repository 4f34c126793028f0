// Package actor describes who is asking: the identity and scope that every
// service call carries. Scope is decided here and in the services, below the
// HTTP layer, so that no handler can forget it.
package actor

import "slices"

// Role is one of the product's roles.
type Role string

// The roles of DESIGN.md §4.
const (
	Resident    Role = "resident"
	Volunteer   Role = "volunteer"
	PartyMember Role = "partyMember"
	Staff       Role = "staff"
	Admin       Role = "admin"
)

// Actor is the authenticated caller.
type Actor struct {
	UserID   string
	Nickname string
	Roles    []Role
	// StaffID is the caller's active staff profile, if any.
	StaffID string
	// StaffName and StaffPosition are what residents see on an answer.
	StaffName     string
	StaffPosition string
	// CommunityIDs are the communities the caller serves as staff.
	CommunityIDs []string
	// GridIDs are the grids the caller is responsible for.
	GridIDs []string
	// HomeCommunityID is where the caller lives, if chosen.
	HomeCommunityID string
	HomeGridID      string
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// IsAdmin reports whether the actor is a street-level admin.
func (a Actor) IsAdmin() bool { return a.Has(Admin) }

// IsStaff reports whether the actor is active staff of some community.
func (a Actor) IsStaff() bool { return a.Has(Staff) && a.StaffID != "" }

// StaffOf reports whether the actor may act as staff in communityID.
// Admins act in every community.
func (a Actor) StaffOf(communityID string) bool {
	if a.IsAdmin() {
		return true
	}
	return a.IsStaff() && slices.Contains(a.CommunityIDs, communityID)
}

// CanClaim reports whether the actor may claim micro-wishes.
func (a Actor) CanClaim() bool { return a.Has(Volunteer) || a.Has(PartyMember) }
