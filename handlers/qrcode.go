package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/qrcode"
)

// sendCode answers a check-in code image (a mini-program code from WeChat,
// image/jpeg; a plain QR code without it, image/png). The activity and
// Party-member areas serve theirs with it:
//
//	GET /api/v1/staff/activities/:id/qrcode.png
//	    → code, err := s.App.Codes.Activity(ctx, activityID); sendCode(c, code)
//	GET /api/v1/staff/party/service-points/:id/qrcode.png
//	    → code, err := s.App.Codes.ServicePoint(ctx, pointID); sendCode(c, code)
//
// after their own scope check (an ID outside the caller's scope is 404).
func sendCode(c echo.Context, code qrcode.Code) error {
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	return c.Blob(http.StatusOK, code.ContentType, code.Image)
}

var _ = sendCode // wired by the activity and Party-member areas' routes
