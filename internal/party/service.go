package party

import (
	"context"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/256dpi/lungo"
	"github.com/redis/go-redis/v9"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/platform/checkincode"
	"linli/internal/platform/clock"
	"linli/internal/platform/fieldcrypt"
	plain "linli/internal/platform/text"
)

// Places names communities and grids and checks that a grid is a community's.
type Places interface {
	Community(ctx context.Context, id string) (community.Community, error)
	Resolve(ctx context.Context, communityID, gridID, buildingID string) (community.Place, error)
}

// Roles drops what a process remembers of a person's roles, so that an
// approval is seen at once here (and within ActorTTL elsewhere).
type Roles interface {
	Forget(userID string)
}

// Notifier tells members what happened to their registration and service.
type Notifier interface {
	Notify(ctx context.Context, n notify.Notice) error
}

// Options are what a Service is built from.
type Options struct {
	DB       lungo.IDatabase
	Redis    redis.UniversalClient
	Clock    clock.Clock
	Log      *slog.Logger
	Ledger   *ledger.Ledger
	Box      *fieldcrypt.Box
	Places   Places
	Roles    Roles
	Notifier Notifier
}

// Service is the Party-member area's operations; every method takes the
// caller and enforces their scope (what they may not see is not found).
type Service struct {
	store    *Store
	ledger   *ledger.Ledger
	board    *board
	box      *fieldcrypt.Box
	codes    checkincode.Sealer
	clock    clock.Clock
	log      *slog.Logger
	places   Places
	roles    Roles
	notifier Notifier
}

// NewService returns the service and has the ledger tell the leaderboard
// of every change.
func NewService(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Service{
		store: NewStore(o.DB), ledger: o.Ledger, box: o.Box, codes: checkincode.New(o.Box.Derive("linli/party/checkin-code"), codeDomain),
		clock: o.Clock, log: o.Log, places: o.Places, roles: o.Roles, notifier: o.Notifier,
	}
	s.board = &board{rdb: o.Redis, log: o.Log, build: s.buildBoard}
	o.Ledger.Watch(s.board.invalidate)
	return s
}

// WithClock returns the service reading time from c (the demo street
// walks a season of check-ins through it).
func (s *Service) WithClock(c clock.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}

// Memberships is what the account area asks to compute roles.
func (s *Service) Memberships() *Store { return s.store }

// scope is the community a staff list is about: the one asked for (when
// the caller serves it and it exists: otherwise not found), or the
// caller's only one.
func (s *Service) scope(ctx context.Context, a actor.Actor, communityID string) (string, error) {
	id, err := scopeID(a, communityID)
	if err != nil || communityID == "" {
		return id, err
	}
	if _, err := s.places.Community(ctx, id); err != nil {
		return "", err
	}
	return id, nil
}

// scopedCommunity is scope for an answer that names the community: it
// reads the community once, for both.
func (s *Service) scopedCommunity(ctx context.Context, a actor.Actor, communityID string) (community.Community, error) {
	id, err := scopeID(a, communityID)
	if err != nil {
		return community.Community{}, err
	}
	return s.places.Community(ctx, id)
}

// scopeID is scope without reading the community.
func scopeID(a actor.Actor, communityID string) (string, error) {
	if communityID == "" {
		if !a.IsAdmin() && len(a.CommunityIDs) == 1 {
			return a.CommunityIDs[0], nil
		}
		if !a.IsStaff() && !a.IsAdmin() {
			return "", apperr.ErrForbidden.New()
		}
		return "", ErrCommunityNeeded.WithFields(apperr.FieldError{Field: "communityId", Code: "required", Message: "请选择社区"})
	}
	if !a.StaffOf(communityID) {
		return "", community.ErrCommunityNotFound.New()
	}
	return communityID, nil
}

// membershipChanged is told when a person became or stopped being a
// member somewhere: roles are read again, the leaderboard rebuilt.
func (s *Service) membershipChanged(ctx context.Context, r Registration) {
	if s.roles != nil {
		s.roles.Forget(r.UserID)
	}
	s.board.forget(ctx, r.CommunityID)
}

// reasonText cleans a reason or a note (text.Body: the ends trimmed,
// control characters dropped) and checks it is there and at most
// MaxReasonRunes long, counted on the cleaned text. The API counts it the
// same way (its lim=party.reason), so the console, which calls here
// directly, and the API accept and refuse the same texts.
func reasonText(field, noun, s string) (string, error) {
	s = plain.Body(s)
	switch {
	case s == "":
		return "", apperr.ErrValidation.WithFields(apperr.FieldError{Field: field, Code: "required", Message: "请填写" + noun})
	case utf8.RuneCountInString(s) > MaxReasonRunes:
		return "", apperr.ErrValidation.WithFields(apperr.FieldError{Field: field, Code: "max",
			Message: fmt.Sprintf("%s不能超过%d个字", noun, MaxReasonRunes)})
	}
	return s, nil
}
