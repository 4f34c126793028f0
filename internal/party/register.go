package party

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

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
