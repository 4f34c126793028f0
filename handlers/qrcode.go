package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/clock"
	"linli/internal/platform/qrcode"
)

// The headers of a code image: when the next code is shown (fetch the
// image again then) and when the one in the image stops being accepted.
const (
	HeaderCodeRefreshAt = "X-Checkin-Code-Refresh-At"
	HeaderCodeExpiresAt = "X-Checkin-Code-Expires-At"
)

// activityQRCode answers the mini-program code of an activity's current
// check-in code (its scene), for its staff to show at the door: the same
// scope and check-in window as the JSON check-in code.
func (s *server) activityQRCode(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	code, err := s.App.Activities.CheckinCode(ctx, callerOf(c), id)
	if err != nil {
		return err
	}
	img, err := s.App.Codes.Activity(ctx, code.Code, code.ExpiresAt.Sub(s.now()))
	if err != nil {
		return err
	}
	return s.sendCode(c, img, code.RefreshAt, code.ExpiresAt)
}

// servicePointQRCode answers the mini-program code of a service point's
// current check-in code, for staff of its community to show or print.
func (s *server) servicePointQRCode(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	code, err := s.App.Party.CheckinCode(ctx, callerOf(c), id)
	if err != nil {
		return err
	}
	img, err := s.App.Codes.ServicePoint(ctx, code.Code, code.ExpiresAt.Sub(s.now()))
	if err != nil {
		return err
	}
	return s.sendCode(c, img, code.RefreshAt, code.ExpiresAt)
}

// sendCode answers a check-in code image (a mini-program code from WeChat,
// image/jpeg; a plain QR code without it, image/png), kept by the browser
// until the next code is shown, and says when that is. max-age is rounded
// down: a screen asking again at refreshAt must find its copy stale, or
// it would show the old code (a Party code expires a minute later) until
// it asks again a whole rotation on.
func (s *server) sendCode(c echo.Context, code qrcode.Code, refreshAt, expiresAt time.Time) error {
	maxAge := max(0, int(refreshAt.Sub(s.now())/time.Second))
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(maxAge))
	h.Set(HeaderCodeRefreshAt, refreshAt.In(clock.China).Format(time.RFC3339))
	h.Set(HeaderCodeExpiresAt, expiresAt.In(clock.China).Format(time.RFC3339))
	return c.Blob(http.StatusOK, code.ContentType, code.Image)
}

// checkInActivityByCode checks the caller in with a scanned code alone:
// the code names its activity (the mini-program page posts its scene).
func (s *server) checkInActivityByCode(c echo.Context) error {
	var req checkinRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Activities.CheckInByCode(c.Request().Context(), callerOf(c), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
