package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/page"
)

// notificationView is one notice of the inbox.
type notificationView struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Link is what the notice is about, for the mini-program to open.
	Link      *linkView  `json:"link"`
	CreatedAt time.Time  `json:"createdAt"`
	ReadAt    *time.Time `json:"readAt"`
	// WeChat says whether the notice also went out as a subscribe message:
	// "queued", "sent", "in_app_only", "failed"...
	WeChat string `json:"wechat"`
}

type linkView struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

type inboxPage struct {
	Items      []notificationView `json:"items"`
	NextCursor string             `json:"nextCursor"`
	Unread     int64              `json:"unread"`
}

func notificationOf(r notify.Record) notificationView {
	v := notificationView{
		ID: r.ID, Kind: r.Kind, Title: r.Title, Body: r.Body,
		CreatedAt: r.CreatedAt.In(clock.China), WeChat: r.WeChat.State,
	}
	if r.RefType != "" {
		v.Link = &linkView{Kind: r.RefType, ID: r.RefID}
	}
	if r.ReadAt != nil {
		at := r.ReadAt.In(clock.China)
		v.ReadAt = &at
	}
	if v.WeChat == notify.Sending {
		v.WeChat = notify.Queued
	}
	return v
}

func (s *server) listNotifications(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	ctx, userID := c.Request().Context(), callerOf(c).UserID
	list, err := s.App.Inbox.List(ctx, userID, cur, limit+1)
	if err != nil {
		return err
	}
	unread, err := s.App.Inbox.Unread(ctx, userID)
	if err != nil {
		return err
	}
	p := page.Of(list, limit, cur, func(n notify.Record) page.Cursor {
		return page.Cursor{Key: n.CreatedAt.UnixMilli(), ID: n.ID}
	})
	out := inboxPage{Items: make([]notificationView, len(p.Items)), NextCursor: p.NextCursor, Unread: unread}
	for i, r := range p.Items {
		out.Items[i] = notificationOf(r)
	}
	return cached(c, out)
}

func (s *server) readNotification(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.App.Inbox.MarkRead(c.Request().Context(), callerOf(c).UserID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) readAllNotifications(c echo.Context) error {
	n, err := s.App.Inbox.MarkAllRead(c.Request().Context(), callerOf(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, readAllView{Marked: n, Unread: 0})
}

// readAllView is the answer of read-all: how many were marked, and the
// unread count after it.
type readAllView struct {
	Marked int64 `json:"marked"`
	Unread int64 `json:"unread"`
}

type subscriptionsRequest struct {
	Accepted []string `json:"accepted" zh:"已同意的消息模板" validate:"required,lim=notify.accepted,dive,required,lim=notify.templateId"`
}

type creditView struct {
	TemplateID string `json:"templateId"`
	Title      string `json:"title"`
	Credits    int    `json:"credits"`
}

type subscriptionsView struct {
	Credits []creditView `json:"credits"`
	Ignored []string     `json:"ignored"`
}

// subscribe records the templates the person accepted in the mini-program
// (wx.requestSubscribeMessage): one send allowed per template accepted.
func (s *server) subscribe(c echo.Context) error {
	var req subscriptionsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	got, err := s.App.Credits.Accept(c.Request().Context(), callerOf(c).UserID, req.Accepted)
	if err != nil {
		return err
	}
	out := subscriptionsView{Credits: make([]creditView, len(got.Credits)), Ignored: got.Ignored}
	for i, cr := range got.Credits {
		out.Credits[i] = creditView{TemplateID: cr.TemplateID, Credits: cr.Credits}
		if t, ok := s.App.Templates.Known(cr.TemplateID); ok {
			out.Credits[i].Title = t.Title
		}
	}
	return c.JSON(http.StatusOK, out)
}
