package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/notify"
	"linli/internal/platform/page"
)

func (s *server) listNotifications(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	list, err := s.App.Inbox.List(c.Request().Context(), callerOf(c).UserID, cur, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, func(n notify.Notice) page.Cursor {
		return page.Cursor{Key: n.CreatedAt.UnixMilli(), ID: n.ID}
	}))
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
