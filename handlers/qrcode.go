package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/qrcode"
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
	shown := qrcode.Shown{Code: code.Code, RefreshAt: code.RefreshAt, ExpiresAt: code.ExpiresAt}
	return s.App.Codes.Write(ctx, c.Response(), qrcode.ActivityPage, shown, s.now())
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
	shown := qrcode.Shown{Code: code.Code, RefreshAt: code.RefreshAt, ExpiresAt: code.ExpiresAt}
	return s.App.Codes.Write(ctx, c.Response(), qrcode.ServicePointPage, shown, s.now())
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
