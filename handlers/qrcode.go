package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/qrcode"
)

// The headers of a code image (qrcode.SetHeaders): when the next code is
// shown (fetch the image again then) and when the one in the image stops
// being accepted.
const (
	HeaderCodeRefreshAt = qrcode.HeaderRefreshAt
	HeaderCodeExpiresAt = qrcode.HeaderExpiresAt
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
// until the next code is shown, and says when that is (qrcode.SetHeaders).
func (s *server) sendCode(c echo.Context, code qrcode.Code, refreshAt, expiresAt time.Time) error {
	qrcode.SetHeaders(c.Response().Header(), s.now(), refreshAt, expiresAt)
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
