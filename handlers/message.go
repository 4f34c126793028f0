package handlers

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/message"
	"linli/internal/platform/page"
)

// The resident side of messages (接诉即办): send, list one's own, read the
// thread, follow up, rate.

type createMessageRequest struct {
	Category string `json:"category" zh:"留言类别" validate:"required,lim=message.category"`
	// Content is checked by the service (empty and too long have their own codes).
	Content string   `json:"content" zh:"内容"`
	Images  []string `json:"images" zh:"图片" validate:"lim=message.images,dive,required,lim=media.url,https"`
	Urgency string   `json:"urgency" zh:"紧急程度" validate:"omitempty,oneof=urgent normal"`
}

func (s *server) createMessage(c echo.Context) error {
	var req createMessageRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, err := s.App.Messages.Submit(c.Request().Context(), callerOf(c), message.Draft{
		Category: req.Category, Content: req.Content, Images: req.Images, Urgency: message.Urgency(req.Urgency),
	})
	if err != nil {
		return err
	}
	return created(c, message.View(m, m.UpdatedAt))
}

// states reads a state filter: "active" (work still owed), "all", or a
// comma-separated list of states; empty gives def.
func states(c echo.Context, def []message.State) ([]message.State, error) {
	q := c.QueryParam("state")
	switch q {
	case "":
		return def, nil
	case "all":
		return message.States, nil
	case "active":
		return message.ActiveStates, nil
	}
	var out []message.State
	for _, p := range strings.Split(q, ",") {
		st := message.State(strings.TrimSpace(p))
		if !validState(st) {
			return nil, apperr.ErrValidation.WithFields(apperr.FieldError{
				Field: "state", Code: "oneof", Message: "请选择留言状态：待办、全部、待受理、办理中、待居民回复、已办结或已评价",
			})
		}
		out = append(out, st)
	}
	return out, nil
}

// joinStates is states as a list's filter (see listParams).
func joinStates(states []message.State) string {
	var b strings.Builder
	for i, st := range states {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(st))
	}
	return b.String()
}

func validState(st message.State) bool {
	for _, s := range message.States {
		if s == st {
			return true
		}
	}
	return false
}

func (s *server) myMessages(c echo.Context) error {
	sts, err := states(c, nil)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "state", joinStates(sts))
	if err != nil {
		return err
	}
	list, err := s.App.Messages.Mine(c.Request().Context(), callerOf(c), sts, cur, limit+1)
	if err != nil {
		return err
	}
	return cached(c, summaries(list, limit, cur, message.Summarise, s.now(), func(m message.Message) page.Cursor {
		return page.Cursor{Key: m.SubmittedAt.UnixMilli(), ID: m.ID}
	}))
}

// summaries pages a list (fetched with one extra item) as summaries.
// summarise is message.Summarise or message.StaffSummarise, by the viewer.
func summaries(list []message.Message, limit int, after page.Cursor, summarise func(message.Message, time.Time) message.Summary, now time.Time, cursorOf func(message.Message) page.Cursor) page.Page[message.Summary] {
	p := page.Of(list, limit, after, cursorOf)
	out := page.Page[message.Summary]{Items: make([]message.Summary, len(p.Items)), NextCursor: p.NextCursor}
	for i, m := range p.Items {
		out.Items[i] = summarise(m, now)
	}
	return out
}

func (s *server) getMessage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.App.Messages.Get(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return cached(c, message.View(m, s.now()))
}

type followUpRequest struct {
	Content string   `json:"content" zh:"补充内容"`
	Images  []string `json:"images" zh:"图片" validate:"lim=message.images,dive,required,lim=media.url,https"`
}

// entryResponse is a new entry of a thread (its id is the entry's) with
// the message as it now is: one round trip for a phone. Every change to a
// message answers with it (accept, reply, resolve, transfer, classify,
// escalate, a department's answer, a follow-up, a rating).
type entryResponse struct {
	message.EventView
	Message message.Detail `json:"message"`
}

// entry answers a change: the event, and the message as staff or its
// author sees it.
func entry(m message.Message, ev message.Event, staff bool) entryResponse {
	if staff {
		return entryResponse{EventView: message.ViewEvent(m, ev, true), Message: message.StaffView(m, m.UpdatedAt)}
	}
	return entryResponse{EventView: message.ViewEvent(m, ev, false), Message: message.View(m, m.UpdatedAt)}
}

func (s *server) followUp(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req followUpRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, ev, err := s.App.Messages.FollowUp(c.Request().Context(), callerOf(c), id, req.Content, req.Images)
	if err != nil {
		return err
	}
	return created(c, entry(m, ev, false))
}

type ratingRequest struct {
	Solved       *bool  `json:"solved" zh:"问题是否已解决" validate:"required"`
	Satisfaction string `json:"satisfaction" zh:"满意程度" validate:"required,oneof=satisfied basic unsatisfied"`
	Comment      string `json:"comment" zh:"评价内容" validate:"lim=message.comment"`
}

func (s *server) rateMessage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ratingRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, ev, err := s.App.Messages.Rate(c.Request().Context(), callerOf(c), id, message.RatingInput{
		Solved: *req.Solved, Satisfaction: message.Satisfaction(req.Satisfaction), Comment: req.Comment,
	})
	if err != nil {
		return err
	}
	return created(c, entry(m, ev, false))
}
