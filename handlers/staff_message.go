package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/message"
	"linli/internal/platform/clock"
	"linli/internal/platform/page"
)

// The staff side of messages: the backlog queues and the work on one
// message (accept, reply, resolve, transfer, escalate, classify).

func (s *server) staffQueue(c echo.Context) error {
	sts, err := states(c, message.ActiveStates)
	if err != nil {
		return err
	}
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	scope := message.Scope(c.QueryParam("scope"))
	limit, cur, err := listParams(c, "scope", string(scope), "state", joinStates(sts), "communityId", communityID)
	if err != nil {
		return err
	}
	list, err := s.App.Messages.Queue(c.Request().Context(), callerOf(c), message.QueueQuery{
		Scope: scope, States: sts, CommunityID: communityID, Cursor: cur, Limit: limit + 1,
	})
	if err != nil {
		return err
	}
	return cached(c, summaries(list, limit, cur, message.StaffSummarise, s.now(), func(m message.Message) page.Cursor {
		return page.Cursor{Key: m.SortDueAt.UnixMilli(), ID: m.ID}
	}))
}

func (s *server) staffMessage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.App.Messages.StaffGet(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return cached(c, message.StaffView(m, s.now()))
}

// staffEntry is the answer to a staff transition: the event it appended and
// the message after it, as staff see them.
func staffEntry(m message.Message, ev message.Event, err error) (entryResponse, error) {
	if err != nil {
		return entryResponse{}, err
	}
	return entry(m, ev, true), nil
}

func (s *server) acceptMessage(c echo.Context) error {
	return step(c, func(ctx context.Context, who actor.Actor, id string) (entryResponse, error) {
		return staffEntry(s.App.Messages.Accept(ctx, who, id))
	})
}

type replyRequest struct {
	Content string   `json:"content" zh:"回复内容"`
	Images  []string `json:"images" zh:"图片" validate:"lim=message.images,dive,required,lim=media.url,https"`
	// AskResident makes the reply a question: the message waits on the
	// resident and its resolution clock pauses.
	AskResident bool `json:"askResident" zh:"是否向居民提问"`
}

func (s *server) replyMessage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req replyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, ev, err := s.App.Messages.Reply(c.Request().Context(), callerOf(c), id, req.Content, req.Images, req.AskResident)
	if err != nil {
		return err
	}
	return created(c, entry(m, ev, true))
}

type resolveRequest struct {
	Resolution string `json:"resolution" zh:"办结说明"`
}

func (s *server) resolveMessage(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req resolveRequest) (entryResponse, error) {
		return staffEntry(s.App.Messages.Resolve(ctx, who, id, req.Resolution))
	})
}

type transferRequest struct {
	StaffID string `json:"staffId" zh:"接手的工作人员" validate:"required,objectid"`
	Reason  string `json:"reason" zh:"转交原因" validate:"required,lim=message.reason"`
}

func (s *server) transferMessage(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req transferRequest) (entryResponse, error) {
		return staffEntry(s.App.Messages.Transfer(ctx, who, id, req.StaffID, req.Reason))
	})
}

type escalateRequest struct {
	DepartmentID string `json:"departmentId" zh:"部门" validate:"required,objectid"`
	Note         string `json:"note" zh:"需部门解决的问题" validate:"required,lim=message.note"`
	DueAt        string `json:"dueAt" zh:"答复期限" validate:"required,rfc3339"`
}

func (s *server) escalateMessage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req escalateRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	due, _ := clock.ParseTime(req.DueAt) // the validator parsed it
	m, ev, err := s.App.Messages.Escalate(c.Request().Context(), callerOf(c), id, message.EscalationInput{
		DepartmentID: req.DepartmentID, Note: req.Note, DueAt: due,
	})
	if err != nil {
		return err
	}
	return created(c, entry(m, ev, true))
}

type answerRequest struct {
	Content string `json:"content" zh:"部门答复内容"`
}

func (s *server) recordAnswer(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	escalationID, err := pathID(c, "escalationId")
	if err != nil {
		return err
	}
	var req answerRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, ev, err := s.App.Messages.RecordAnswer(c.Request().Context(), callerOf(c), id, escalationID, req.Content)
	if err != nil {
		return err
	}
	return created(c, entry(m, ev, true))
}

type classifyRequest struct {
	Category *string `json:"category" zh:"留言类别" validate:"omitempty,lim=message.category"`
	Urgency  *string `json:"urgency" zh:"紧急程度" validate:"omitempty,oneof=urgent normal"`
	Complex  *bool   `json:"complex" zh:"是否为复杂事项"`
	Reason   string  `json:"reason" zh:"调整原因" validate:"required,lim=message.reason"`
}

func (s *server) classifyMessage(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req classifyRequest) (entryResponse, error) {
		in := message.Classification{Category: req.Category, Complex: req.Complex, Reason: req.Reason}
		if req.Urgency != nil {
			u := message.Urgency(*req.Urgency)
			in.Urgency = &u
		}
		return staffEntry(s.App.Messages.Classify(ctx, who, id, in))
	})
}
