package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// The front door (/) and the API reference (/docs: api/openapi.yaml as
// served at /openapi.yaml, rendered by the embedded Swagger UI).

func (c *console) frontDoor(ec echo.Context) error {
	return c.render(ec, http.StatusOK, "front", view{Title: "邻里 Linli"})
}

func (c *console) docs(ec echo.Context) error {
	t, err := c.template("docs")
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "docs", nil); err != nil {
		return err
	}
	return ec.HTML(http.StatusOK, b.String())
}
