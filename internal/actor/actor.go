// Package actor describes who is asking: the identity and scope that every
// service call carries. Scope is decided here and in the services, below the
// HTTP layer, so that no handler can forget it.
package actor

import (
	"slices"

	"linli/internal/apperr"
)

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
	// Secretary is set when the caller's staff profile is marked as the
	// community's secretary (书记): told of overdue work, may reassign it.
	Secretary bool
	// HomeCommunityID is where the caller lives, if chosen.
	HomeCommunityID string
	HomeGridID      string
	HomeBuildingID  string
	// PartyCommunityID is the community where the caller is an approved
	// Party member (党员双报到), if any.
	PartyCommunityID string
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

// MemberOf reports whether the actor holds an active staff profile of
// communityID: the named person a resident sees on an answer. Unlike StaffOf,
// being an admin is not enough.
func (a Actor) MemberOf(communityID string) bool {
	return a.IsStaff() && slices.Contains(a.CommunityIDs, communityID)
}

// SecretaryOf reports whether the actor is a secretary of communityID.
func (a Actor) SecretaryOf(communityID string) bool {
	return a.Secretary && a.MemberOf(communityID)
}

// CanClaim reports whether the actor may claim micro-wishes.
func (a Actor) CanClaim() bool { return a.Has(Volunteer) || a.Has(PartyMember) }

// RequireStaff refuses the staff side to anyone who is neither active staff
// nor an admin (every area's staff operations start with it).
func (a Actor) RequireStaff() error {
	if !a.IsStaff() && !a.IsAdmin() {
		return apperr.ErrForbidden.New()
	}
	return nil
}
