package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/platform/clock"
	"linli/internal/platform/text"
)

// NewStaff is what an admin gives to create a staff profile.
type NewStaff struct {
	Name, Position, CommunityID string
	GridIDs                     []string
	// Secretary marks the community's secretary (see Staff.Secretary).
	Secretary bool
}

// inviteTTL is how long an invite code may be redeemed.
const inviteTTL = 14 * 24 * time.Hour

// CreateStaff creates a staff profile and its one-time invite code (shown
// only in this answer). Admins only.
func (s *Service) CreateStaff(ctx context.Context, a actor.Actor, in NewStaff) (StaffView, string, error) {
	if !a.IsAdmin() {
		return StaffView{}, "", apperr.ErrForbidden.New()
	}
	in.Name, in.Position = text.Name(in.Name), text.Name(in.Position)
	var missing []apperr.FieldError
	if in.Name == "" {
		missing = append(missing, apperr.FieldError{Field: "name", Code: "required", Message: "请填写工作人员的真实姓名"})
	}
	if in.Position == "" {
		missing = append(missing, apperr.FieldError{Field: "position", Code: "required", Message: "请填写工作人员的职务"})
	}
	missing = apperr.TooLong(missing, "name", "姓名", in.Name, MaxStaffName)
	missing = apperr.TooLong(missing, "position", "职务", in.Position, MaxPosition)
	if len(in.GridIDs) > MaxStaffGrids {
		missing = append(missing, apperr.FieldError{Field: "gridIds", Code: "max", Message: fmt.Sprintf("负责的网格最多%d个", MaxStaffGrids)})
	}
	if missing != nil {
		return StaffView{}, "", apperr.ErrValidation.WithFields(missing...)
	}
	if err := s.places.GridsIn(ctx, in.CommunityID, in.GridIDs); err != nil {
		return StaffView{}, "", err
	}
	code := newInviteCode()
	now := s.clock.Now()
	st := Staff{
		ID: clock.NewID(), Name: in.Name, Position: in.Position,
		CommunityID: in.CommunityID, GridIDs: append([]string{}, slices.Compact(slices.Sorted(slices.Values(in.GridIDs)))...),
		Secretary: in.Secretary, Active: true, InviteHash: hashInvite(code), InviteExpiresAt: now.Add(inviteTTL), CreatedAt: now,
	}
	if err := s.store.InsertStaff(ctx, st); err != nil {
		return StaffView{}, "", err
	}
	return viewStaff(st), code, nil
}

// RedeemInvite binds the staff profile of code to the caller.
func (s *Service) RedeemInvite(ctx context.Context, a actor.Actor, code string) (Profile, error) {
	hash := hashInvite(code)
	now := s.clock.Now()
	_, ok, err := s.store.Redeem(ctx, hash, a.UserID, now)
	if err != nil {
		return Profile{}, err
	}
	if !ok { // say why: the one update did not match
		st, err := s.store.StaffByInvite(ctx, hash)
		switch {
		case err != nil:
			return Profile{}, err
		case st.RedeemedAt != nil:
			return Profile{}, ErrInviteUsed.New()
		case !st.Active:
			return Profile{}, ErrStaffInactive.New()
		default:
			return Profile{}, ErrInviteExpired.New()
		}
	}
	return s.refreshed(ctx, a.UserID)
}

// DeactivateStaff ends a staff profile: its holder loses staff rights
// within ActorTTL on every server process. Admins only.
func (s *Service) DeactivateStaff(ctx context.Context, a actor.Actor, staffID string) (StaffView, error) {
	if !a.IsAdmin() {
		return StaffView{}, apperr.ErrForbidden.New()
	}
	st, err := s.store.Deactivate(ctx, staffID, s.clock.Now())
	if err != nil {
		return StaffView{}, err
	}
	if st.UserID != "" {
		s.actors.forget(st.UserID)
	}
	return viewStaff(st), nil
}

// SetSecretary marks or unmarks a staff profile as its community's
// secretary. Admins only; the holder's rights change within ActorTTL.
func (s *Service) SetSecretary(ctx context.Context, a actor.Actor, staffID string, secretary bool) (StaffView, error) {
	if !a.IsAdmin() {
		return StaffView{}, apperr.ErrForbidden.New()
	}
	st, err := s.store.SetSecretary(ctx, staffID, secretary)
	if err != nil {
		return StaffView{}, err
	}
	if st.UserID != "" {
		s.actors.forget(st.UserID)
	}
	return viewStaff(st), nil
}

// ListStaff lists the staff profiles of a community. Admins, and staff of
// that community; to staff of another it does not exist (404, like every
// ID out of scope).
func (s *Service) ListStaff(ctx context.Context, a actor.Actor, communityID, afterID string, limit int) ([]StaffView, error) {
	switch {
	case !a.IsStaff() && !a.IsAdmin():
		return nil, apperr.ErrForbidden.New()
	case !a.StaffOf(communityID):
		return nil, community.ErrCommunityNotFound.New()
	}
	list, err := s.store.StaffOfCommunity(ctx, communityID, afterID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]StaffView, len(list))
	for i, st := range list {
		out[i] = viewStaff(st)
	}
	return out, nil
}

// inviteAlphabet leaves out letters easily misread on a phone (0/O, 1/I/L).
const inviteAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newInviteCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = inviteAlphabet[int(b[i])%len(inviteAlphabet)]
	}
	return string(b)
}

// hashInvite normalises what a person typed (case, spaces, dashes) and hashes it.
func hashInvite(code string) string {
	norm := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}
