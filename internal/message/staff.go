package message

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	plain "linli/internal/platform/text"
)

// staffSee lets staff see the messages of their communities (admins: all).
func staffSee(a actor.Actor) func(*Message) error {
	return func(m *Message) error {
		if !a.StaffOf(m.CommunityID) {
			return ErrNotFound.New()
		}
		return nil
	}
}

// named returns the caller as the named staff member of the message's
// community who acts: answers are signed with a real name and position.
func named(a actor.Actor, m *Message) (StaffRef, error) {
	if !a.MemberOf(m.CommunityID) {
		return StaffRef{}, ErrStaffRequired.New()
	}
	by := StaffRef{StaffID: a.StaffID, UserID: a.UserID, Name: a.StaffName, Position: a.StaffPosition}
	return by, by.check()
}

// ownerOrSecretary lets the owner, or a secretary of the community, act.
func ownerOrSecretary(a actor.Actor, m *Message) (StaffRef, error) {
	by, err := named(a, m)
	if err != nil {
		return StaffRef{}, err
	}
	if (m.Owner != nil && m.Owner.StaffID == by.StaffID) || a.SecretaryOf(m.CommunityID) {
		return by, nil
	}
	return StaffRef{}, ErrNotOwner.WithDetails(m.ownerDetails())
}

func checkText(field, text string, max int, msg string) (string, error) {
	text = plain.Body(text)
	if text == "" || utf8.RuneCountInString(text) > max {
		return "", apperr.ErrValidation.WithFields(fieldError(field, "range", msg))
	}
	return text, nil
}

// StaffGet returns a message of the caller's communities with its thread.
func (s *Service) StaffGet(ctx context.Context, a actor.Actor, id string) (Message, error) {
	if err := a.RequireStaff(); err != nil {
		return Message{}, err
	}
	m, err := s.store.get(ctx, id)
	if err != nil {
		return Message{}, err
	}
	return m, staffSee(a)(&m)
}

// staffChange runs a transition for staff.
func (s *Service) staffChange(ctx context.Context, a actor.Actor, id string, decide func(*Message, time.Time) (Event, error),
	tell func(context.Context, *Message, Event) []notify.Notice) (Message, Event, error) {
	if err := a.RequireStaff(); err != nil {
		return Message{}, Event{}, err
	}
	st := step{see: staffSee(a), decide: decide}
	if tell != nil {
		st.tell = func(ctx context.Context, m *Message, ev Event) ([]notify.Notice, error) { return tell(ctx, m, ev), nil }
	}
	return s.change(ctx, id, st)
}

// Accept makes the caller the message's owner (首接负责). The first of
// several staff accepting at once wins; the others get
// ErrAlreadyAccepted naming the owner. Accepting one's own again is fine.
func (s *Service) Accept(ctx context.Context, a actor.Actor, id string) (Message, Event, error) {
	m, ev, err := s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := named(a, m)
		if err != nil {
			return Event{}, err
		}
		return m.accept(by, now)
	}, func(_ context.Context, m *Message, ev Event) []notify.Notice {
		return toResident(m, ev, "message.accepted", "您的留言已受理",
			"由"+a.StaffName+"（"+a.StaffPosition+"）负责办理")
	})
	if errors.Is(err, errAlreadyYours) { // a retry: the acceptance that was made
		for i := len(m.Events) - 1; i >= 0; i-- {
			if e := m.Events[i]; e.Type == EvAccepted || e.Type == EvTransferred {
				return m, e, nil
			}
		}
		return m, Event{}, nil
	}
	return m, ev, err
}

// Reply adds a named answer by a staff member of the message's community.
// ask makes it a question that waits on the resident (the resolution clock
// pauses).
func (s *Service) Reply(ctx context.Context, a actor.Actor, id, content string, images []string, ask bool) (Message, Event, error) {
	content, err := checkContent("content", "回复内容", content)
	if err != nil {
		return Message{}, Event{}, err
	}
	if images, err = cleanImages(images); err != nil {
		return Message{}, Event{}, err
	}
	return s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := named(a, m)
		if err != nil {
			return Event{}, err
		}
		lc, err := s.lifecycle(ctx, m.CommunityID)
		if err != nil {
			return Event{}, err
		}
		return m.reply(by, content, images, ask, lc, now)
	}, func(_ context.Context, m *Message, ev Event) []notify.Notice {
		title := "您的留言有了新回复"
		if ask {
			title = "社区工作人员请您补充信息"
		}
		return toResident(m, ev, "message.reply", title, ev.By.Staff.Name+"（"+ev.By.Staff.Position+"）："+excerpt(content))
	})
}

// Resolve resolves the message: only its owner, only after a named reply.
func (s *Service) Resolve(ctx context.Context, a actor.Actor, id, resolution string) (Message, Event, error) {
	text, err := checkContent("resolution", "办结说明", resolution)
	if err != nil {
		return Message{}, Event{}, err
	}
	m, ev, err := s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := named(a, m)
		if err != nil {
			return Event{}, err
		}
		lc, err := s.lifecycle(ctx, m.CommunityID)
		if err != nil {
			return Event{}, err
		}
		return m.resolve(by, text, lc, now)
	}, func(_ context.Context, m *Message, ev Event) []notify.Notice {
		return toResident(m, ev, "message.resolved", "您的留言已办结，请评价", excerpt(text))
	})
	return m, ev, err
}

// lifecycle is a community's lifecycle periods.
func (s *Service) lifecycle(ctx context.Context, communityID string) (Lifecycle, error) {
	cfg, err := s.store.configs.get(ctx, communityID)
	return cfg.Lifecycle, err
}

// Transfer moves the message to another active staff member of its
// community: the owner, a secretary or an admin may (and assign a message
// nobody took yet).
func (s *Service) Transfer(ctx context.Context, a actor.Actor, id, staffID, reason string) (Message, Event, error) {
	reason, err := checkText("reason", reason, MaxReason, fmt.Sprintf("请填写转交原因（%d字以内）", MaxReason))
	if err != nil {
		return Message{}, Event{}, err
	}
	if err := a.RequireStaff(); err != nil {
		return Message{}, Event{}, err
	}
	target, err := s.directory.Staff(ctx, staffID)
	if err != nil && !account.ErrStaffNotFound.Is(err) {
		return Message{}, Event{}, err
	}
	m, ev, err := s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by := Who{Kind: ByAdmin, UserID: a.UserID}
		switch {
		case a.MemberOf(m.CommunityID) && m.Owner != nil && m.Owner.StaffID == a.StaffID,
			a.SecretaryOf(m.CommunityID):
			by = staffWho(StaffRef{StaffID: a.StaffID, UserID: a.UserID, Name: a.StaffName, Position: a.StaffPosition})
		case a.IsAdmin():
		default:
			return Event{}, ErrNotOwner.WithDetails(m.ownerDetails())
		}
		if target.ID == "" || !target.Active || target.UserID == "" || target.CommunityID != m.CommunityID {
			return Event{}, ErrTransferTarget.WithFields(fieldError("staffId", "target", "只能转交给本社区其他在岗的工作人员"))
		}
		to := StaffRef{StaffID: target.ID, UserID: target.UserID, Name: target.Name, Position: target.Position}
		return m.transfer(by, to, reason, now)
	}, func(_ context.Context, m *Message, ev Event) []notify.Notice {
		return toStaff(m, ev, []string{target.UserID}, "message.transferred", "有一条留言转交给您", "转交原因："+excerpt(reason))
	})
	return m, ev, err
}

// EscalationInput is a whistle to blow.
type EscalationInput struct {
	DepartmentID string
	Note         string
	DueAt        time.Time
}

// Escalate blows the whistle to a department (吹哨): the owner or a
// secretary; the department's liaison owes an answer by DueAt.
func (s *Service) Escalate(ctx context.Context, a actor.Actor, id string, in EscalationInput) (Message, Event, error) {
	note, err := checkText("note", in.Note, MaxNote, fmt.Sprintf("请说明需要部门解决的问题（%d字以内）", MaxNote))
	if err != nil {
		return Message{}, Event{}, err
	}
	if err := a.RequireStaff(); err != nil {
		return Message{}, Event{}, err
	}
	due := in.DueAt.In(clock.China).Truncate(time.Millisecond)
	dept, err := s.departments.Active(ctx, in.DepartmentID)
	if err != nil {
		return Message{}, Event{}, err
	}
	return s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := ownerOrSecretary(a, m)
		if err != nil {
			return Event{}, err
		}
		return m.escalate(by, Escalation{
			DepartmentID: dept.ID, DepartmentName: dept.Name, LiaisonName: dept.LiaisonName,
			LiaisonPhone: dept.LiaisonPhone, Note: note, DueAt: due,
		}, now)
	}, nil)
}

// RecordAnswer records a department's answer to an escalation, as a staff
// member of the community took it from the liaison.
func (s *Service) RecordAnswer(ctx context.Context, a actor.Actor, id, escalationID, content string) (Message, Event, error) {
	content, err := checkContent("content", "部门答复内容", content)
	if err != nil {
		return Message{}, Event{}, err
	}
	return s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := named(a, m)
		if err != nil {
			return Event{}, err
		}
		return m.recordAnswer(by, escalationID, content, now)
	}, func(_ context.Context, m *Message, ev Event) []notify.Notice {
		if m.Owner == nil || m.Owner.StaffID == a.StaffID {
			return nil
		}
		return toStaff(m, ev, []string{m.Owner.UserID}, "message.department_answer", ev.DepartmentName+"已答复", excerpt(content))
	})
}

// Classify changes a message's category, urgency or complexity, with a
// reason: any staff member of the community while nobody owns it, then its
// owner or a secretary. Deadlines follow the community's configuration.
func (s *Service) Classify(ctx context.Context, a actor.Actor, id string, c Classification) (Message, Event, error) {
	reason, err := checkText("reason", c.Reason, MaxReason, fmt.Sprintf("请填写调整原因（%d字以内）", MaxReason))
	if err != nil {
		return Message{}, Event{}, err
	}
	c.Reason = reason
	if c.Urgency != nil && !c.Urgency.Valid() {
		return Message{}, Event{}, apperr.ErrValidation.WithFields(fieldError("urgency", "oneof", "请选择紧急程度：紧急或一般"))
	}
	if c.Category != nil {
		name := strings.TrimSpace(*c.Category)
		c.Category = &name
	}
	var cfg Config
	return s.staffChange(ctx, a, id, func(m *Message, now time.Time) (Event, error) {
		by, err := named(a, m)
		if err != nil {
			return Event{}, err
		}
		if m.Owner != nil {
			if by, err = ownerOrSecretary(a, m); err != nil {
				return Event{}, err
			}
		}
		if cfg.CommunityID != m.CommunityID {
			if cfg, err = s.store.configs.get(ctx, m.CommunityID); err != nil {
				return Event{}, err
			}
		}
		return m.classify(by, c, cfg, now)
	}, nil)
}

// userIDs lists the user IDs of bound profiles, once each.
func userIDs(staff []account.Staff) []string {
	var out []string
	for _, st := range staff {
		if st.UserID != "" && !slices.Contains(out, st.UserID) {
			out = append(out, st.UserID)
		}
	}
	return out
}
