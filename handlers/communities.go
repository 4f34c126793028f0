package handlers

import (
	"strings"

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
	return cached(c, page.Of(list, limit, cur, func(t community.Tree) page.Cursor { return page.Cursor{ID: t.ID} }))
}

// listParams reads limit and cursor. The cursor must be one this list
// issued (page.Open): a cursor from another list, from the same list with
// other filters (another community, state, ...) or changed by hand is 422
// INVALID_CURSOR, and so is one issued before cursors were bound; the
// mini-program starts the list again on that code.
//
// filters are exactly the filters that choose the list's rows, as the
// handler read them (pairs of name and value, defaults resolved): a
// parameter the route does not read (limit, a cache-buster, a filter of
// another list) is no part of the list, and a default sent or left out is
// the same list. Both matter where a page is cached for everyone (the
// feeds: the first page is kept per community whoever filled it), whose
// nextCursor must open for every client that gets that page.
func listParams(c echo.Context, filters ...string) (int, page.Cursor, error) {
	limit, err := page.Limit(c.QueryParam("limit"))
	if err != nil {
		return 0, page.Cursor{}, err
	}
	cur, err := page.Open(c.QueryParam("cursor"), listOf(c, filters...))
	return limit, cur, err
}

// listOf names the list a request reads: its method, route and filters
// (see listParams), those left empty omitted.
func listOf(c echo.Context, filters ...string) string {
	var b strings.Builder
	b.WriteString(c.Request().Method + " " + c.Path())
	for i := 0; i+1 < len(filters); i += 2 {
		if filters[i+1] != "" {
			b.WriteString("\x00" + filters[i] + "=" + filters[i+1])
		}
	}
	return b.String()
}
