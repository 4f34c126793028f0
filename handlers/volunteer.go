package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// becomeVolunteer signs the caller up as a volunteer (no body).
func (s *server) becomeVolunteer(c echo.Context) error {
	p, err := s.App.Accounts.BecomeVolunteer(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
