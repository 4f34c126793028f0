package message

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/256dpi/lungo"

	"linli/internal/account"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/department"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/media"
	plain "linli/internal/platform/text"
)

// Directory finds staff profiles: transfer targets, and the people to tell.
type Directory interface {
	Staff(ctx context.Context, id string) (account.Staff, error)
	SecretariesOf(ctx context.Context, communityID string) ([]account.Staff, error)
	StaffOfGrid(ctx context.Context, gridID string) ([]account.Staff, error)
}

// Departments finds the department a message is escalated to.
type Departments interface {
	Active(ctx context.Context, id string) (department.Department, error)
}

// Places names communities, grids and buildings on messages and in the figures.
type Places interface {
	Community(ctx context.Context, id string) (community.Community, error)
	Grid(ctx context.Context, id string) (community.Grid, error)
	Building(ctx context.Context, id string) (community.Building, error)
}

// Notifier tells people what happened (the in-app inbox).
type Notifier interface {
	Notify(ctx context.Context, n notify.Notice) error
}

// Options are what the service is built from.
type Options struct {
	DB          lungo.IDatabase
	Directory   Directory
	Departments Departments
	Places      Places
	Notifier    Notifier
	Clock       clock.Clock
	Log         *slog.Logger
}

// Service is the message area's operations. Every operation takes the
// caller and enforces scope itself: a message outside it is not found.
type Service struct {
	store       *Store
	directory   Directory
	departments Departments
	places      Places
	notifier    Notifier
	clock       clock.Clock
	log         *slog.Logger
}

// NewService returns the service.
func NewService(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{
		store: NewStore(o.DB), directory: o.Directory, departments: o.Departments, places: o.Places,
		notifier: o.Notifier, clock: o.Clock, log: o.Log,
	}
}

// maxAttempts bounds how often a transition is decided again because a
// concurrent one changed the message first.
const maxAttempts = 32

// step is one transition as the service runs it.
type step struct {
	// see checks the caller may act on the message (nil: the system).
	see func(*Message) error
	// decide applies the transition to the message (a copy) at now.
	decide func(m *Message, now time.Time) (Event, error)
	// tell decides the notices the transition owes, written with it. When
	// it cannot (the people to tell not found), nothing is written: a
	// transition never goes without the notices it owes.
	tell func(ctx context.Context, m *Message, ev Event) ([]notify.Notice, error)
}

// change runs one transition: read the message, decide, and write the
// result in one update whose filter is the version read — the state the
// decision was taken on. When another transition won meanwhile, the
// decision is taken again on the new state (20 staff accepting at once:
// one wins, the others now see its owner). It returns the message as it
// now is; on a refusal, as it was, with the error.
func (s *Service) change(ctx context.Context, id string, st step) (Message, Event, error) {
	for range maxAttempts {
		m, err := s.store.get(ctx, id)
		if err != nil {
			return Message{}, Event{}, err
		}
		if st.see != nil {
			if err := st.see(&m); err != nil {
				return Message{}, Event{}, err
			}
		}
		now := s.clock.Now()
		if now.Before(m.UpdatedAt) { // another process's clock ran ahead: keep the thread in order
			now = m.UpdatedAt
		}
		next := m.clone()
		ev, err := st.decide(&next, now)
		if err != nil {
			return m, Event{}, err
		}
		next.Version = m.Version + 1
		next.finish(ev, now)
		ev = next.Events[len(next.Events)-1]
		delta := tallyOf(&next, m.Figures)
		var told []notify.Notice
		if st.tell != nil {
			if told, err = st.tell(ctx, &next, ev); err != nil {
				return Message{}, Event{}, err
			}
		}
		ok, err := s.store.commit(ctx, &m, next, ev, delta, told)
		if err != nil {
			return Message{}, Event{}, err
		}
		if ok {
			next.Outbox = append(slices.Clone(m.Outbox), told...)
			next.OutboxSize = len(next.Outbox)
			s.settle(ctx, &next)
			s.deliver(ctx, &next)
			return next, ev, nil
		}
	}
	return Message{}, Event{}, ErrBusy.New()
}

// settle applies the counter changes now; when it fails, the sweep does
// it later (the message stays marked), so the caller's answer stands.
func (s *Service) settle(ctx context.Context, m *Message) {
	if !m.TallyDirty {
		return
	}
	if err := s.store.settle(ctx, m.ID); err != nil {
		s.log.WarnContext(ctx, "message counters left for the sweep", "message", m.ID, "err", err)
		return
	}
	m.TallyDirty = false
}

// checkContent trims text and checks it is there and not too long.
// noun is what the resident or staff member is asked for ("回复内容").
func checkContent(field, noun, text string) (string, error) {
	text = plain.Body(text)
	switch {
	case text == "":
		return "", ErrContentEmpty.WithFields(fieldError(field, "required", "请填写"+noun))
	case utf8.RuneCountInString(text) > MaxContent:
		return "", ErrContentTooLong.WithFields(fieldError(field, "max", fmt.Sprintf("%s不能超过%d字", noun, MaxContent)))
	}
	return text, nil
}

// cleanImages trims the image addresses and drops empty ones; more than
// MaxImages is refused.
func cleanImages(images []string) ([]string, error) {
	out := make([]string, 0, len(images))
	for _, u := range images {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	if len(out) > MaxImages {
		return nil, apperr.ErrValidation.WithFields(fieldError("images", "max", "最多上传9张图片"))
	}
	for i, s := range out {
		if !media.ValidImageURL(s) {
			return nil, apperr.ErrValidation.WithFields(fieldError(fmt.Sprintf("images[%d]", i), "url", fmt.Sprintf("图片（第%d个）须为以 https:// 开头的网络地址", i+1)))
		}
	}
	return out, nil
}
