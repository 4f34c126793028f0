package handlers

import (
	"github.com/labstack/echo/v4"

	"linli/internal/community"
	"linli/internal/platform/page"
)

func (s *server) listCommunities(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	list, err := s.App.Communities.List(c.Request().Context(), cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, func(t community.Tree) page.Cursor { return page.Cursor{ID: t.ID} }))
}

// listParams reads limit and cursor.
func listParams(c echo.Context) (int, page.Cursor, error) {
	limit, err := page.Limit(c.QueryParam("limit"))
	if err != nil {
		return 0, page.Cursor{}, err
	}
	cur, err := page.Decode(c.QueryParam("cursor"))
	return limit, cur, err
}
