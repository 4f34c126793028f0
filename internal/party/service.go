package party

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/256dpi/lungo"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/bson"

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

// Draft is what a member gives to register.
type Draft struct {
	RealName, PartyOrganization, WorkUnit, CommunityID, GridID, Phone string
	Skills                                                            []string
}

// check holds a draft to the limits of the practice (in characters, as
// trimmed), in the words the API uses for the same limits.
func (d Draft) check() error {
	var fields []apperr.FieldError
	long := func(field, label, v string, limit int) {
		fields = apperr.TooLong(fields, field, label, strings.TrimSpace(v), limit)
	}
	long("realName", "真实姓名", d.RealName, MaxNameLen)
	long("partyOrganization", "所在党组织", d.PartyOrganization, MaxOrgLen)
	long("workUnit", "工作单位", d.WorkUnit, MaxOrgLen)
	long("phone", "手机号", d.Phone, MaxPhoneInput)
	if len(d.Skills) > MaxSkills {
		fields = append(fields, apperr.FieldError{Field: "skills", Code: "max", Message: fmt.Sprintf("服务特长最多%d个", MaxSkills)})
	}
	for i, sk := range d.Skills {
		long(fmt.Sprintf("skills[%d]", i), fmt.Sprintf("服务特长（第%d个）", i+1), sk, MaxSkillLen)
	}
	if len(fields) > 0 {
		return apperr.ErrValidation.WithFields(fields...)
	}
	return nil
}

var phoneRe = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// normalisePhone accepts a mainland mobile number with spaces, dashes or
// +86; anything else is PHONE_INVALID.
func normalisePhone(p string) (string, error) {
	p = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(p))
	p = strings.TrimPrefix(strings.TrimPrefix(p, "+86"), "0086")
	if p == "" {
		return "", nil
	}
	if !phoneRe.MatchString(p) {
		return "", ErrPhoneInvalid.WithFields(apperr.FieldError{Field: "phone", Code: "phone", Message: "手机号须为11位数字，如 13800138000"})
	}
	return p, nil
}

// Register files the caller's registration with a community, pending its
// staff. A person has at most one pending registration (a unique slot);
// registering where they are already a member is refused; registering
// elsewhere (moving home) ends the old one only when the new one is
// approved.
func (s *Service) Register(ctx context.Context, a actor.Actor, d Draft) (RegistrationView, error) {
	if err := d.check(); err != nil {
		return RegistrationView{}, err
	}
	phone, err := normalisePhone(d.Phone)
	if err != nil {
		return RegistrationView{}, err
	}
	if _, err := s.places.Community(ctx, d.CommunityID); err != nil {
		return RegistrationView{}, err
	}
	if d.GridID != "" {
		if _, err := s.places.Resolve(ctx, d.CommunityID, d.GridID, ""); err != nil {
			return RegistrationView{}, err
		}
	}
	if cur, err := s.store.approvedOf(ctx, a.UserID); err != nil {
		return RegistrationView{}, err
	} else if cur != nil && cur.CommunityID == d.CommunityID {
		return RegistrationView{}, ErrAlreadyMember.New()
	}
	sealed, err := s.box.Seal(phone)
	if err != nil {
		return RegistrationView{}, apperr.ErrInternal.Wrap(err)
	}
	skills := []string{}
	for _, sk := range d.Skills {
		if sk = strings.TrimSpace(sk); sk != "" {
			skills = append(skills, sk)
		}
	}
	now := s.clock.Now()
	r := Registration{
		ID: clock.NewID(), UserID: a.UserID, CommunityID: d.CommunityID, GridID: d.GridID,
		RealName: strings.TrimSpace(d.RealName), PartyOrganization: strings.TrimSpace(d.PartyOrganization),
		WorkUnit: strings.TrimSpace(d.WorkUnit), Phone: sealed, PhoneHash: s.box.Hash(phone), Skills: skills,
		State: Pending, PendingSlot: a.UserID, CreatedAt: now, UpdatedAt: now,
		Events: []Event{{Type: "submitted", At: now}},
	}
	if err := s.store.insertRegistration(ctx, r); err != nil {
		return RegistrationView{}, err
	}
	return s.view(ctx, r, true)
}

// Mine is the caller's registrations: the current one (pending, else
// approved) and every one before, newest first.
type Mine struct {
	Current *RegistrationView  `json:"current"`
	History []RegistrationView `json:"history"`
}

// maxHistory bounds the registrations shown.
const maxHistory = 20

// Mine returns the caller's registration and its history.
func (s *Service) Mine(ctx context.Context, a actor.Actor) (Mine, error) {
	list, err := s.store.historyOf(ctx, a.UserID, maxHistory)
	if err != nil {
		return Mine{}, err
	}
	m := Mine{History: []RegistrationView{}}
	names := placeNames{}
	for _, r := range list {
		v, err := s.viewIn(ctx, names, r, true)
		if err != nil {
			return Mine{}, err
		}
		m.History = append(m.History, v)
	}
	for _, st := range []State{Pending, Approved} {
		for i := range m.History {
			if m.Current == nil && m.History[i].State == st {
				m.Current = &m.History[i]
			}
		}
	}
	return m, nil
}

// Withdraw withdraws the caller's pending registration, or when there is
// none ends their approved one.
func (s *Service) Withdraw(ctx context.Context, a actor.Actor) (RegistrationView, error) {
	now := s.clock.Now()
	by := byOf(a)
	if p, err := s.store.pendingOf(ctx, a.UserID); err != nil {
		return RegistrationView{}, err
	} else if p != nil {
		r, ok, err := s.store.move(ctx, p.ID, Pending, bson.M{"state": Withdrawn, "endedAt": now, "updatedAt": now},
			[]string{"pendingSlot"}, Event{Type: "withdrawn", At: now, By: &by}, nil)
		if err != nil {
			return RegistrationView{}, err
		}
		if !ok { // decided meanwhile: the caller meant that one, not the approved one
			return RegistrationView{}, ErrNotPending.New()
		}
		return s.view(ctx, r, true)
	}
	cur, err := s.store.approvedOf(ctx, a.UserID)
	if err != nil {
		return RegistrationView{}, err
	}
	if cur == nil {
		return RegistrationView{}, ErrNothingToEnd.New()
	}
	r, ok, err := s.store.move(ctx, cur.ID, Approved, bson.M{"state": Ended, "endReason": "withdrawn", "endedAt": now, "updatedAt": now},
		nil, Event{Type: "ended", At: now, By: &by, Note: "withdrawn"}, nil)
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrNothingToEnd.New()
	}
	s.membershipChanged(ctx, r)
	return s.view(ctx, r, true)
}

// staffRegistration returns a registration the caller serves as staff;
// another community's is not found.
func (s *Service) staffRegistration(ctx context.Context, a actor.Actor, id string, notFound apperr.Def) (Registration, error) {
	r, err := s.store.registration(ctx, id)
	if err != nil || !a.StaffOf(r.CommunityID) {
		return Registration{}, notFound.New()
	}
	return r, nil
}

// Approve approves a pending registration into a grid (given, or the one
// the member chose): the person is at once a Party member of the community
// and a volunteer, and an approved registration they hold elsewhere ends
// (moving home).
func (s *Service) Approve(ctx context.Context, a actor.Actor, id, gridID string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	r, err := s.staffRegistration(ctx, a, id, ErrNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	if gridID == "" {
		gridID = r.GridID
	}
	if gridID != "" {
		if _, err := s.places.Resolve(ctx, r.CommunityID, gridID, ""); err != nil {
			return RegistrationView{}, err
		}
	}
	now := s.clock.Now()
	by := byOf(a)
	set := bson.M{"state": Approved, "decidedAt": now, "decidedBy": by, "updatedAt": now, "supersedeOwed": true}
	if gridID != "" {
		set["gridId"] = gridID
	}
	r, ok, err := s.store.move(ctx, id, Pending, set, []string{"pendingSlot"}, Event{Type: "approved", At: now, By: &by}, &notify.Notice{
		UserID: r.UserID, Kind: "party.approved", Key: "party:approved:" + r.ID, RefType: refRegistration, RefID: r.ID, CreatedAt: now,
		Title: "党员报到已通过", Body: "您已在社区报到成功，可以参加服务岗签到、认领微心愿。",
	})
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrNotPending.New()
	}
	if err := s.supersede(ctx, r); err != nil {
		s.log.WarnContext(ctx, "party: ending the registration moved from; the sweep finishes it", "registration", r.ID, "err", err)
	}
	s.membershipChanged(ctx, r)
	s.handOver(ctx, s.store.regs, r.ID, &r.Outbox)
	return s.view(ctx, r, true)
}

// movedNotice tells the person of o, an approved registration ended by
// their approval elsewhere (moving home) at at.
func movedNotice(o Registration, at time.Time) notify.Notice {
	return notify.Notice{
		UserID: o.UserID, Kind: "party.moved", Key: "party:moved:" + o.ID, RefType: refRegistration, RefID: o.ID, CreatedAt: at,
		Title: "原社区报到已结束", Body: "您在新社区的报到已通过，原社区的报到随之结束，服务记录仍然保留。",
	}
}

// supersede ends every other approved registration of r's person (moving
// home), then clears the mark the approval left.
func (s *Service) supersede(ctx context.Context, r Registration) error {
	ended, err := s.store.endOthers(ctx, r.UserID, r.ID, s.clock.Now())
	if err != nil {
		return err
	}
	for i, o := range ended {
		s.board.forget(ctx, o.CommunityID)
		s.handOver(ctx, s.store.regs, o.ID, &ended[i].Outbox)
	}
	return s.store.superseded(ctx, r.ID)
}

// Reject refuses a pending registration, telling the person why.
func (s *Service) Reject(ctx context.Context, a actor.Actor, id, reason string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	cur, err := s.staffRegistration(ctx, a, id, ErrNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	reason, err = reasonText("reason", "未通过的原因", reason)
	if err != nil {
		return RegistrationView{}, err
	}
	now := s.clock.Now()
	by := byOf(a)
	r, ok, err := s.store.move(ctx, id, Pending, bson.M{"state": Rejected, "reason": reason, "decidedAt": now, "decidedBy": by, "updatedAt": now},
		[]string{"pendingSlot"}, Event{Type: "rejected", At: now, By: &by, Note: reason}, &notify.Notice{
			UserID: cur.UserID, Kind: "party.rejected", Key: "party:rejected:" + cur.ID, RefType: refRegistration, RefID: cur.ID, CreatedAt: now,
			Title: "党员报到未通过", Body: "原因：" + reason,
		})
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrNotPending.New()
	}
	s.handOver(ctx, s.store.regs, r.ID, &r.Outbox)
	return s.view(ctx, r, true)
}

// SetGrid puts an approved member into a grid of their community (编入网格).
func (s *Service) SetGrid(ctx context.Context, a actor.Actor, id, gridID string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	r, err := s.staffRegistration(ctx, a, id, ErrMemberNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	if _, err := s.places.Resolve(ctx, r.CommunityID, gridID, ""); err != nil {
		return RegistrationView{}, err
	}
	now := s.clock.Now()
	by := byOf(a)
	r, ok, err := s.store.move(ctx, id, Approved, bson.M{"gridId": gridID, "updatedAt": now}, nil,
		Event{Type: "grid_changed", At: now, By: &by, Note: gridID}, nil)
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrMemberNotFound.New()
	}
	return s.view(ctx, r, true)
}

// Registrations lists a community's registrations in one state, oldest
// first (the queue order), with phones masked. A phone given finds that
// person's registrations by the phone's keyed hash (it is never stored in
// the clear).
func (s *Service) Registrations(ctx context.Context, a actor.Actor, communityID string, state State, phone, afterID string, limit int) ([]RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	communityID, err := s.scope(ctx, a, communityID)
	if err != nil {
		return nil, err
	}
	if phone, err = normalisePhone(phone); err != nil {
		return nil, err
	}
	var list []Registration
	if phone != "" {
		list, err = s.store.byPhone(ctx, communityID, state, s.box.Hash(phone), afterID, limit)
	} else {
		list, err = s.store.listRegistrations(ctx, communityID, state, "", afterID, limit)
	}
	if err != nil {
		return nil, err
	}
	out := make([]RegistrationView, 0, len(list))
	names := placeNames{}
	for _, r := range list {
		v, err := s.viewIn(ctx, names, r, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// scope is the community a staff list is about: the one asked for (when
// the caller serves it: otherwise not found), or the caller's only one.
func (s *Service) scope(ctx context.Context, a actor.Actor, communityID string) (string, error) {
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
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return "", err
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
