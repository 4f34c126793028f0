package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// exportQuery is how an export route is asked for a spreadsheet: the same
// words on every such route (the attendance, the three rates, the Party
// roster).
type exportQuery struct {
	Format string `json:"format" zh:"导出格式" zhoneof:"json=数据 csv=表格文件" validate:"omitempty,oneof=json csv"`
}

// wantsCSV is the one rule of every export route: format=csv asks for the
// CSV file and format=json for JSON, whatever Accept says; without format,
// Accept: text/csv asks for the file. Any other format is refused (422 on
// the field format), never quietly answered as JSON. An answer chosen by
// Accept says so (Vary: Accept), so that no cache hands one kind to a
// client that asked for the other; media types are matched without
// regard to case, as HTTP has them.
func wantsCSV(c echo.Context) (bool, error) {
	q := exportQuery{Format: c.QueryParam("format")}
	if err := check(q); err != nil {
		return false, err
	}
	if q.Format != "" {
		return q.Format == "csv", nil
	}
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
	return strings.Contains(strings.ToLower(c.Request().Header.Get(echo.HeaderAccept)), "text/csv"), nil
}
