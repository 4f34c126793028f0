package message

import (
	"context"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/notify"
	"linli/internal/platform/page"
	plain "linli/internal/platform/text"
)

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
