package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// approveConsoleSession: a staff member scanned the console's sign-in code
// in the mini-program and approves it; the browser showing it is signed in
// as them.
func (s *server) approveConsoleSession(c echo.Context) error {
	if err := s.App.Console.Approve(c.Request().Context(), callerOf(c), strings.TrimSpace(c.Param("code"))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
