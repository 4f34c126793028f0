package message

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/256dpi/lungo"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/department"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/media"
	"linli/internal/platform/page"
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

// Submit sends a resident's message to the queue of their grid.
func (s *Service) Submit(ctx context.Context, a actor.Actor, d Draft) (Message, error) {
	if a.HomeCommunityID == "" || a.HomeGridID == "" {
		return Message{}, community.ErrHomeRequired.WithDetails(map[string]any{"setHome": "PUT /api/v1/me/home"})
	}
	content, err := checkContent("content", "内容", d.Content)
	if err != nil {
		return Message{}, err
	}
	d.Content, d.Category = content, strings.TrimSpace(d.Category)
	if d.Images, err = cleanImages(d.Images); err != nil {
		return Message{}, err
	}
	if d.Urgency != "" && !d.Urgency.Valid() {
		return Message{}, apperr.ErrValidation.WithFields(fieldError("urgency", "oneof", "请选择紧急程度：紧急或一般"))
	}
	cfg, err := s.store.configs.get(ctx, a.HomeCommunityID)
	if err != nil {
		return Message{}, err
	}
	home := Home{CommunityID: a.HomeCommunityID, GridID: a.HomeGridID, BuildingID: a.HomeBuildingID}
	m, err := newMessage(Author{UserID: a.UserID, Nickname: a.Nickname}, home, d, cfg, s.clock.Now())
	if err != nil {
		return Message{}, err
	}
	if m.Place, err = s.placeOf(ctx, home); err != nil {
		return Message{}, err
	}
	m.Version = 1
	if m.Outbox, err = s.newNotices(ctx, &m); err != nil {
		return Message{}, err
	}
	m.OutboxSize = len(m.Outbox)
	delta := tallyOf(&m, Figures{})
	if err := s.store.insert(ctx, m, delta); err != nil {
		return Message{}, err
	}
	s.settle(ctx, &m)
	s.deliver(ctx, &m)
	return m, nil
}

// placeOf names where a message comes from.
func (s *Service) placeOf(ctx context.Context, h Home) (*Place, error) {
	c, err := s.places.Community(ctx, h.CommunityID)
	if err != nil {
		return nil, err
	}
	g, err := s.places.Grid(ctx, h.GridID)
	if err != nil {
		return nil, err
	}
	p := &Place{CommunityName: c.Name, GridName: g.Name}
	if h.BuildingID != "" {
		b, err := s.places.Building(ctx, h.BuildingID)
		if err != nil && !community.ErrBuildingNotFound.Is(err) {
			return nil, err
		}
		p.BuildingName = b.Name
	}
	return p, nil
}

// Backfill names the place of messages stored before names were kept, and
// gives messages stored by category name their category's identifier. It
// is idempotent (it only touches messages missing the field, each once, in
// ID order) and runs at start-up: when nothing is missing it reads no
// message. A message it cannot name (its community gone) is left as it is
// and passed over.
func (s *Service) Backfill(ctx context.Context) error {
	places := map[Home]*Place{}
	after := ""
	for {
		list, err := s.store.unnamed(ctx, after, sweepBatch)
		if err != nil {
			return err
		}
		for _, m := range list {
			after = m.ID
			home := Home{CommunityID: m.CommunityID, GridID: m.GridID, BuildingID: m.BuildingID}
			p, ok := places[home]
			if !ok {
				p, err = s.placeOf(ctx, home)
				switch {
				case community.ErrCommunityNotFound.Is(err), community.ErrGridNotFound.Is(err):
					s.log.WarnContext(ctx, "message place left unnamed", "message", m.ID, "err", err)
				case err != nil:
					return err
				}
				places[home] = p // nil: not nameable, said once
			}
			if p == nil {
				continue
			}
			if err := s.store.name(ctx, m.ID, *p); err != nil {
				return err
			}
		}
		if len(list) < sweepBatch {
			break
		}
	}
	return s.backfillCategories(ctx)
}

// backfillCategories gives messages stored before categories had
// identifiers the identifier of their category in their community's
// configuration (by name), else the one derived from the name.
func (s *Service) backfillCategories(ctx context.Context) error {
	cfgs := map[string]Config{}
	after := ""
	for {
		list, err := s.store.uncategorised(ctx, after, sweepBatch)
		if err != nil {
			return err
		}
		for _, m := range list {
			after = m.ID
			cfg, ok := cfgs[m.CommunityID]
			if !ok {
				if cfg, err = s.store.configs.get(ctx, m.CommunityID); err != nil {
					return err
				}
				cfgs[m.CommunityID] = cfg
			}
			id := categoryID(m.Category)
			for _, c := range cfg.Categories {
				if c.Name == m.Category {
					id = c.ID
				}
			}
			if err := s.store.categorise(ctx, m.ID, m.Category, id); err != nil {
				return err
			}
		}
		if len(list) < sweepBatch {
			return nil
		}
	}
}

// own lets only the author see a message.
func own(a actor.Actor) func(*Message) error {
	return func(m *Message) error {
		if m.Author.UserID != a.UserID {
			return ErrNotFound.New()
		}
		return nil
	}
}

// Get returns one of the caller's own messages with its thread.
func (s *Service) Get(ctx context.Context, a actor.Actor, id string) (Message, error) {
	m, err := s.store.get(ctx, id)
	if err != nil {
		return Message{}, err
	}
	return m, own(a)(&m)
}

// Mine lists the caller's messages, newest first, optionally by state.
func (s *Service) Mine(ctx context.Context, a actor.Actor, states []State, cur page.Cursor, limit int) ([]Message, error) {
	return s.store.mine(ctx, a.UserID, states, cur, limit)
}

// FollowUp adds the author's words to their open message.
func (s *Service) FollowUp(ctx context.Context, a actor.Actor, id, content string, images []string) (Message, Event, error) {
	content, err := checkContent("content", "补充内容", content)
	if err != nil {
		return Message{}, Event{}, err
	}
	if images, err = cleanImages(images); err != nil {
		return Message{}, Event{}, err
	}
	return s.change(ctx, id, step{see: own(a), decide: func(m *Message, now time.Time) (Event, error) {
		return m.followUp(content, images, now)
	}, tell: func(ctx context.Context, m *Message, ev Event) ([]notify.Notice, error) {
		return s.toOwner(ctx, m, ev, "message.follow_up", "居民补充了留言", excerpt(content))
	}})
}

// RatingInput is a resident's rating.
type RatingInput struct {
	Solved       bool
	Satisfaction Satisfaction
	Comment      string
}

// Rate records the author's rating of the resolution; unsolved or
// unsatisfied reopens the message to its owner.
func (s *Service) Rate(ctx context.Context, a actor.Actor, id string, r RatingInput) (Message, Event, error) {
	if !r.Satisfaction.Valid() {
		return Message{}, Event{}, apperr.ErrValidation.WithFields(fieldError("satisfaction", "oneof", "请选择满意程度：满意、基本满意或不满意"))
	}
	comment := plain.Body(r.Comment)
	if long := apperr.TooLong(nil, "comment", "评价内容", comment, MaxComment); long != nil {
		return Message{}, Event{}, apperr.ErrValidation.WithFields(long...)
	}
	return s.change(ctx, id, step{see: own(a), decide: func(m *Message, now time.Time) (Event, error) {
		return m.rate(r.Solved, r.Satisfaction, comment, now)
	}, tell: func(ctx context.Context, m *Message, ev Event) ([]notify.Notice, error) {
		if !ev.Reopened {
			return nil, nil
		}
		return s.toOwner(ctx, m, ev, "message.reopened", "居民对办理结果不满意，留言已重新打开", excerpt(comment))
	}})
}

// errNothingDue ends a sweep of one message.
var errNothingDue = errors.New("message: nothing due")
